/*
 * lib/acl at scale: 100,000 distinct /32s, 100,000 destinations and
 * 100,000 domains compile, and every one of them (and none of their
 * neighbours) matches; 100,000 rules of one element each (runs of 1,000,
 * acl_run.c) decide by the right rule.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "acl_test_util.h"

#define N 100000u

TestSuite(acl_scale);

/* Element <name> of <kind> with the <N> values <fmt>(i) (one add each). */
static void
add_many(struct acl_build *b, const char *name, enum acl_kind kind,
         void (*fmt)(char *, size_t, uint32_t))
{
	struct acl_err err;
	char v[96];

	for (uint32_t i = 0; i < N; i++) {
		fmt(v, sizeof(v), i);
		cr_assert_eq(acl_elem_add(b, name, kind, v, &err), 0, "%s: %s",
		             v, err.msg);
	}
}

/* 10.0.0.0 + 3i: no two adjacent, so no range merges away. */
static uint32_t
spaced_ip(uint32_t i)
{
	return (10u << 24) + 3u * i;
}

static void
fmt_ip(char *buf, size_t cap, uint32_t i)
{
	uint32_t a = spaced_ip(i);

	snprintf(buf, cap, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255,
	         (a >> 8) & 255, a & 255);
}

static void
fmt_dom(char *buf, size_t cap, uint32_t i)
{
	snprintf(buf, cap, "%sh%u.example%u.test", i % 2 ? "." : "", i, i % 97);
}

Test(acl_scale, hundred_thousand_values, .timeout = 60)
{
	struct acl_build *b = acl_build_new();
	struct acl_err err;
	const char *names[1];

	cr_assert_not_null(b);
	add_many(b, "badsrc", ACL_KIND_SRC, fmt_ip);
	add_many(b, "baddst", ACL_KIND_DST, fmt_ip);
	add_many(b, "baddom", ACL_KIND_DSTDOMAIN, fmt_dom);
	cr_assert_eq(acl_elem_add(b, "all", ACL_KIND_SRC, "0.0.0.0/0", &err),
	             0);
	names[0] = "badsrc";
	cr_assert_eq(acl_rule_add(b, ACL_DENY, 1, names, NULL, 1, &err), 0);
	names[0] = "baddom";
	cr_assert_eq(acl_rule_add(b, ACL_DENY, 2, names, NULL, 1, &err), 0);
	names[0] = "baddst";
	cr_assert_eq(acl_rule_add(b, ACL_DENY, 3, names, NULL, 1, &err), 0);
	names[0] = "all";
	cr_assert_eq(acl_rule_add(b, ACL_ALLOW, 4, names, NULL, 1, &err), 0);
	struct acl_set *s = acl_compile(b, &err);

	cr_assert_not_null(s, "%s", err.msg);
	cr_assert_eq(acl_set_rules(s), 4);
	cr_assert_eq(acl_set_elems(s), 4);
	for (uint32_t i = 0; i < N; i++) {
		char host[96], other[100];
		struct acl_req r = {
		    .flags = ACL_REQ_DST, .src_ip = spaced_ip(i), .dst_ip = 1};

		cr_assert_eq(acl_t_check(s, &r).line, 1, "src %u", i);
		r.src_ip = spaced_ip(i) + 1; /* the neighbour */
		cr_assert_eq(acl_t_check(s, &r).line, 4, "src+1 %u", i);
		r.dst_ip = spaced_ip(i);
		cr_assert_eq(acl_t_check(s, &r).line, 3, "dst %u", i);
		r.dst_ip = spaced_ip(i) + 2;
		cr_assert_eq(acl_t_check(s, &r).line, 4, "dst+2 %u", i);
		snprintf(host, sizeof(host), "h%u.example%u.test", i, i % 97);
		r.host = (struct acl_str){host, strlen(host)};
		cr_assert_eq(acl_t_check(s, &r).line, 2, "%s", host);
		/* a name below: only the .suffix entries (odd i) take it */
		snprintf(other, sizeof(other), "w.%s", host);
		r.host = (struct acl_str){other, strlen(other)};
		cr_assert_eq(acl_t_check(s, &r).line, i % 2 ? 2 : 4, "%s",
		             other);
		snprintf(other, sizeof(other), "x%s", host);
		r.host = (struct acl_str){other, strlen(other)};
		cr_assert_eq(acl_t_check(s, &r).line, 4, "%s", other);
	}
	acl_set_free(s);
}

/* Blocks of 1,000 rules of one action: runs of a table each. */
static enum acl_action
action_of(uint32_t i)
{
	return (i / 1000) % 2 ? ACL_ALLOW : ACL_DENY;
}

Test(acl_scale, hundred_thousand_rules, .timeout = 60)
{
	struct acl_build *b = acl_build_new();
	struct acl_err err;
	char name[32], v[32];

	cr_assert_not_null(b);
	for (uint32_t i = 0; i < N; i++) {
		const char *names[1] = {name};

		snprintf(name, sizeof(name), "e%u", i);
		fmt_ip(v, sizeof(v), i);
		cr_assert_eq(acl_elem_add(b, name, ACL_KIND_SRC, v, &err), 0);
		cr_assert_eq(
		    acl_rule_add(b, action_of(i), i + 10, names, NULL, 1, &err),
		    0);
	}
	struct acl_set *s = acl_compile(b, &err);

	cr_assert_not_null(s, "%s", err.msg);
	cr_assert_eq(acl_set_rules(s), N);
	cr_assert_eq(acl_set_tables(s), N / 1000);
	for (uint32_t i = 0; i < N; i++) {
		struct acl_req r = {.src_ip = spaced_ip(i)};
		struct acl_verdict v2 = acl_t_check(s, &r);

		cr_assert_eq(v2.rule, (int32_t)i);
		cr_assert_eq(v2.line, i + 10);
		cr_assert_eq(v2.action, action_of(i));
	}
	struct acl_req r = {.src_ip = spaced_ip(N)};

	cr_assert_eq(acl_t_check(s, &r).reason, ACL_R_DEFAULT);
	acl_set_free(s);
}
