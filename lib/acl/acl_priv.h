/*
 * lib/acl's private structures: the builder (growable, owned by the
 * control thread) and the compiled set (one block, read-only once made).
 * Only lib/acl's .c files include this.
 */
#ifndef GH_ACL_PRIV_H
#define GH_ACL_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "acl/acl.h"
#include "common/gh_common.h"

#define ACL_BUILD_MAGIC 0xac1b0111u
#define ACL_SET_MAGIC   0xac15e701u
#define ACL_WEEK_MIN    (7u * 1440u)
#define ACL_WEEK_WORDS  ((ACL_WEEK_MIN + 63u) / 64u)

/* dstdomain entry flags: exact host, or the host and every name below. */
#define ACL_DOM_EXACT  0x1u
#define ACL_DOM_SUFFIX 0x2u

/* No rule: a tag of a table entry that does not match that way. */
#define ACL_TAG_NONE UINT32_MAX

/*
 * An inclusive range of IPv4 addresses (host order) or of ports.  <tag> is
 * 0 in an element; in a run's table (acl_run.c) the rule it came from,
 * counted from the run's first.
 */
struct acl_r32 {
	uint32_t lo, hi;
	uint32_t tag;
};

/* A string in an element's blob (method, scheme, user, prefix, ...). */
struct acl_sref {
	uint32_t off, len;
};

/* A domain (lower case, no trailing dot) in an element's blob. */
struct acl_dom {
	uint32_t off;
	uint16_t len;
	uint8_t flags;
};

/* A compiled regex; for a header element, the header's name in the blob. */
struct acl_rx {
	pcre2_code *code;
	uint32_t name_off, name_len;
};

/*
 * A slot of a compiled domain table (open addressing, linear probing).
 * <exact> is the tag that matches the host itself, <suffix> the one that
 * matches it and every name below (ACL_TAG_NONE: not that way); tags are 0
 * in an element, a rule counted from the run's first in a run's table.
 */
struct acl_dslot {
	uint64_t hash;
	uint32_t off;
	uint32_t len; /* 0: empty slot */
	uint32_t exact, suffix;
};

/* One element under construction. */
struct acl_belem {
	char name[ACL_NAME_MAX_BYTES + 1];
	enum acl_kind kind;
	uint32_t n, cap; /* items */
	size_t item_size;
	void *items;
	char *blob;
	size_t blob_len, blob_cap;
	uint64_t *week; /* ACL_KIND_TIME: a bit per minute of the week */
};

struct acl_brule {
	uint8_t action;
	uint8_t n;
	uint32_t line;
	uint32_t refs[ACL_RULE_ELEMS_MAX]; /* element index | ACL_REF_NEG */
};
#define ACL_REF_NEG 0x80000000u

struct acl_build {
	unsigned magic;
	struct acl_belem *elems;
	uint32_t n_elems, cap_elems;
	uint32_t *names; /* open addressing: element index + 1, 0 empty */
	uint32_t names_cap;
	struct acl_brule *rules;
	uint32_t n_rules, cap_rules;
};

/* A compiled element: pointers into the set's one block. */
struct acl_elem {
	enum acl_kind kind;
	uint32_t n;    /* items (domain table: entries) */
	uint32_t mask; /* domain table: slots - 1 */
	const void *items;
	const char *blob;
	const uint64_t *week;
	char name[ACL_NAME_MAX_BYTES + 1];
};

struct acl_rule {
	uint8_t action;
	uint8_t n;
	uint32_t line;
	uint32_t first; /* into refs */
	uint32_t run;   /* > 0: first of a run of this many rules (acl_run.c) */
	uint32_t table; /* the run's table: an element index */
};

struct acl_set {
	unsigned magic;
	uint32_t n_elems, n_rules;
	uint32_t n_tables; /* run tables, after the elements in elems[] */
	const struct acl_elem *elems;
	const struct acl_rule *rules;
	const uint32_t *refs;
	pcre2_match_context *mctx;
};

struct acl_scratch {
	pcre2_match_data *md;
};

/* FNV-1a, fed right to left so each suffix's hash comes on the way. */
#define ACL_FNV_OFFSET 0xcbf29ce484222325ull
#define ACL_FNV_PRIME  0x100000001b3ull
static inline uint64_t
acl_hash_step(uint64_t h, unsigned char c)
{
	return (h ^ c) * ACL_FNV_PRIME;
}

/*
 * acl_parse.c: the next whitespace-separated token at <*p> (its length in
 * <*len>, <*p> moved past it), or NULL at the end.
 */
const char *acl_token(const char **p, size_t *len);
/* acl_parse.c: one value of <kind> from <tok> (<len> bytes) into <e>. */
int acl_parse_value(struct acl_belem *e, const char *tok, size_t len,
                    bool icase, struct acl_err *err);
int acl_parse_time(struct acl_belem *e, const char *text, struct acl_err *err);
int acl_parse_header(struct acl_belem *e, const char *text,
                     struct acl_err *err);

/* acl_build.c: room for one more item in <e>, or NULL (ENOMEM / E2BIG). */
void *acl_belem_push(struct acl_belem *e);
/* Appends <len> bytes to <e>'s blob; its offset, or -ENOMEM / -E2BIG. */
int64_t acl_belem_blob(struct acl_belem *e, const char *s, size_t len);

/* acl_compile.c */
int acl_r32_cmp(const void *a, const void *b);
size_t acl_dom_slots(uint32_t n);
uint32_t acl_dom_insert(struct acl_dslot *t, uint32_t mask, const char *blob,
                        uint32_t off, uint32_t len, uint8_t flags,
                        uint32_t tag);

/*
 * acl_run.c: runs of rules that one table lookup can judge.  Plans them
 * over <b> (elements prepared); the bytes their tables need, or -ENOMEM.
 */
struct acl_runs;
int64_t acl_runs_plan(const struct acl_build *b, struct acl_runs **out);
/* Packs the planned tables as elements <first_elem>... at <*at>. */
void acl_runs_pack(struct acl_runs *rp, const struct acl_build *b,
                   struct acl_elem *elems, uint32_t first_elem,
                   struct acl_rule *rules, char **at);
uint32_t acl_runs_count(const struct acl_runs *rp);
void acl_runs_free(struct acl_runs *rp);
/* acl_check.c: the tag of <x> in <e>'s ranges, or -ENOENT. */
int64_t acl_r32_find(const struct acl_elem *e, uint32_t x);

/* acl_regex.c */
int acl_rx_compile(const char *pat, size_t len, bool icase, pcre2_code **out,
                   struct acl_err *err);
/* 1 match, 0 none, -EAGAIN over a limit, -EINVAL no scratch. */
int acl_rx_match(const struct acl_set *s, const pcre2_code *code,
                 const char *subj, size_t len, struct acl_scratch *sc);

/* Writes "<what> '<val>'<tail>" into <err>; returns <rc>. */
int acl_errf(struct acl_err *err, int rc, const char *what, const char *val,
             size_t val_len, const char *tail);

#endif /* GH_ACL_PRIV_H */
