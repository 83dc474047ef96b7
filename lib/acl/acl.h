/*
 * lib/acl: named access-control elements (Squid's `acl`) and ordered
 * allow/deny rules (`http-access`), compiled into one immutable set that
 * any number of threads read at once.
 *
 * Life cycle: the control thread makes a builder, adds elements and rules
 * in config order, and compiles it; the set is then read-only, so it can be
 * published by one RCU pointer swap and freed after a grace period.  A
 * check never allocates, locks or reads a clock; its cost does not grow
 * with the number of values in an element (address ranges and ports by
 * binary search, domains by one hash probe per label).
 *
 * Threads: a builder belongs to one thread; acl_check() may run on any
 * number of threads at once on one set, each with its own acl_scratch.
 */
#ifndef GH_ACL_H
#define GH_ACL_H

#include <time.h>

#include "acl/acl_types.h"

struct acl_build;
struct acl_set;

/* A new empty builder, or NULL and errno set (ENOMEM). */
struct acl_build *acl_build_new(void);

/* Frees a builder that was not compiled (NULL is fine). */
void acl_build_free(struct acl_build *b);

/*
 * Adds the values of <text> to element <name> of <kind>, creating it the
 * first time (Squid's repeated `acl NAME KIND ...` lines add up).  <text>
 * holds whitespace-separated values, except for ACL_KIND_TIME (one
 * "[DAYS] [HH:MM-HH:MM]" spec) and ACL_KIND_HEADER ("Name[:] regex").
 * Returns 0, or -EINVAL (bad name or value, a name used with another
 * kind), -E2BIG (a limit) or -ENOMEM, with <err> saying which, e.g.
 * "bad CIDR '10.0.0.0/33'".  After an error the values of <text> before
 * the bad one stay added: a config with an error is refused whole, so the
 * caller frees the builder (acl_build_free) rather than compile it.
 */
int acl_elem_add(struct acl_build *b, const char *name, enum acl_kind kind,
                 const char *text, struct acl_err *err);

/*
 * Appends rule <action> whose <n> elements <names> (each negated where
 * <negated>[i], Squid's `!name`; <negated> may be NULL) must all match;
 * <n> == 0 matches every request.  <line> is the config line, reported in
 * verdicts.  Returns 0, or -EINVAL (unknown element, bad action), -E2BIG
 * (over ACL_RULE_ELEMS_MAX or ACL_RULES_MAX) or -ENOMEM, with <err> set.
 */
int acl_rule_add(struct acl_build *b, enum acl_action action, uint32_t line,
                 const char *const *names, const int *negated, unsigned n,
                 struct acl_err *err);

/*
 * Compiles and consumes <b> (freed whatever the outcome).  Returns the
 * immutable set, or NULL with errno (ENOMEM) and <err> set.
 */
struct acl_set *acl_compile(struct acl_build *b, struct acl_err *err);

/* Frees a set no thread reads any more (after the grace period). */
void acl_set_free(struct acl_set *s);

/* Rules and elements in a set (for `gatehousectl` and the logs). */
unsigned acl_set_rules(const struct acl_set *s);
unsigned acl_set_elems(const struct acl_set *s);
/* Runs of rules judged by one table lookup each (acl_run.c). */
unsigned acl_set_tables(const struct acl_set *s);

/*
 * Judges <req> by <s>: the first rule whose elements all match decides;
 * none: deny.  Fills <v> and returns 0.  Fails closed: a host over the
 * bounds, a regex over its match limit, or a dst element reached without
 * ACL_REQ_DST give deny with the reason in <v> (ACL_R_NEED_DST tells the
 * caller to resolve and check again with each address it would connect
 * to, one call per A record).
 */
int acl_check(const struct acl_set *s, const struct acl_req *req,
              struct acl_verdict *v);

/*
 * Per-thread match data for regex elements, made at start-up (allocates),
 * or NULL and errno set.  acl_scratch_free(NULL) is fine.
 */
struct acl_scratch *acl_scratch_new(void);
void acl_scratch_free(struct acl_scratch *sc);

/* Seconds since Sunday 00:00 of local time <tm> (for acl_req.week_sec). */
uint32_t acl_week_sec(const struct tm *tm);

/* The element kind named <word> ("src", "dstdomain", ...) or -EINVAL. */
int acl_kind_parse(const char *word);

/* The name of <kind>, or "?" */
const char *acl_kind_name(enum acl_kind kind);

#endif /* GH_ACL_H */
