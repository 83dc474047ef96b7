/*
 * Helpers for lib/acl's unit tests: a rule set from a few lines of text in
 * the shape the config layer will feed (`acl NAME KIND VALUES...`, then
 * `allow|deny [!]NAME...`, the line number being the rule's line), and
 * requests written as designated initialisers.
 */
#ifndef GH_ACL_TEST_UTIL_H
#define GH_ACL_TEST_UTIL_H

#include "acl/acl.h"

/* A literal as an acl_str. */
#define AS(lit) ((struct acl_str){(lit), sizeof(lit) - 1})

/* Builds and compiles <spec>; fails the test (with the message) if not. */
struct acl_set *acl_t_set(const char *spec);

/*
 * Builds <spec> and compiles it; 0, or the first error's code with its
 * message in <msg> (ACL_ERR_MAX_BYTES).
 */
int acl_t_try(const char *spec, char *msg);

/* The IPv4 address <dotted> in host order (the test fails if bad). */
uint32_t acl_t_ip(const char *dotted);

/* Checks <req> against <s>; the verdict. */
struct acl_verdict acl_t_check(const struct acl_set *s,
                               const struct acl_req *req);

/* Seconds of the week: day 0 = Sunday. */
#define ACL_T_WEEK(day, h, m) ((uint32_t)((day)*86400 + (h)*3600 + (m)*60))

#endif /* GH_ACL_TEST_UTIL_H */
