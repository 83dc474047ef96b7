/*
 * Runs (lib/acl/acl_run.c): consecutive one-element rules judged by one
 * table lookup must decide exactly as the rules one by one would: the
 * first matching rule wins and is the one reported, also when a host is
 * taken by several rules of a run, when ranges overlap (no run then), and
 * when a run needs the destination address.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "acl_test_util.h"

TestSuite(acl_runs);

static struct acl_verdict
host_verdict(const struct acl_set *s, const char *host)
{
	struct acl_req r = {.host = {host, strlen(host)}};

	return acl_t_check(s, &r);
}

/* A host listed by several rules of a run: the first of them decides. */
Test(acl_runs, domains_first_rule_wins)
{
	struct acl_set *s = acl_t_set("acl d0 dstdomain .example.com\n"
	                              "acl d1 dstdomain a.example.com\n"
	                              "acl d2 dstdomain .b.example.com\n"
	                              "acl d3 dstdomain other.org\n"
	                              "acl d4 dstdomain .a.example.com\n"
	                              "deny d1\ndeny d2\ndeny d3\ndeny d4\n"
	                              "deny d0\nallow");
	static const struct {
		const char *host;
		int32_t rule;
	} p[] = {
	    {"a.example.com", 0}, {"x.b.example.com", 1},
	    {"b.example.com", 1}, {"other.org", 2},
	    {"x.other.org", 5},   {"x.a.example.com", 3},
	    {"example.com", 4},   {"c.example.com", 4},
	    {"example.org", 5},
	};

	cr_assert_eq(acl_set_tables(s), 1);
	for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i++) {
		struct acl_verdict v = host_verdict(s, p[i].host);

		cr_assert_eq(v.rule, p[i].rule, "%s: rule %d", p[i].host,
		             v.rule);
		cr_assert_eq(v.line, (uint32_t)p[i].rule + 6);
		cr_assert_eq(v.action, p[i].rule == 5 ? ACL_ALLOW : ACL_DENY);
	}
	acl_set_free(s);
}

/* Overlapping ranges cannot make one table: still judged rule by rule. */
Test(acl_runs, overlapping_ranges)
{
	struct acl_set *s = acl_t_set("acl a src 10.0.0.0/8\n"
	                              "acl b src 10.1.0.0/16\n"
	                              "acl c src 10.1.2.0/24\n"
	                              "acl d src 192.0.2.0/24\n"
	                              "allow c\nallow b\nallow a\nallow d");
	struct acl_req r = {.src_ip = acl_t_ip("10.1.2.3")};

	cr_assert_eq(acl_set_tables(s), 0);
	cr_assert_eq(acl_t_check(s, &r).rule, 0);
	r.src_ip = acl_t_ip("10.1.3.3");
	cr_assert_eq(acl_t_check(s, &r).rule, 1);
	r.src_ip = acl_t_ip("10.9.3.3");
	cr_assert_eq(acl_t_check(s, &r).rule, 2);
	r.src_ip = acl_t_ip("192.0.2.255");
	cr_assert_eq(acl_t_check(s, &r).rule, 3);
	r.src_ip = acl_t_ip("192.0.3.0");
	cr_assert_eq(acl_t_check(s, &r).reason, ACL_R_DEFAULT);
	acl_set_free(s);
}

/* A run of dst rules needs the address; a run of ports; then the rest. */
Test(acl_runs, dst_and_ports)
{
	struct acl_set *s = acl_t_set(
	    "acl p1 port 1-79\nacl p2 port 81-442\nacl p3 port 444-1023\n"
	    "acl p4 port 8080\nacl d1 dst 127.0.0.0/8\n"
	    "acl d2 dst 10.0.0.0/8\nacl d3 dst 169.254.0.0/16\n"
	    "acl d4 dst 192.168.0.0/16\n"
	    "deny p1\ndeny p2\ndeny p3\ndeny p4\n"
	    "deny d1\ndeny d2\ndeny d3\ndeny d4\nallow");
	struct acl_req r = {.dst_port = 443};
	struct acl_verdict v = acl_t_check(s, &r);

	cr_assert_eq(acl_set_tables(s), 2);
	cr_assert_eq(v.reason, ACL_R_NEED_DST);
	cr_assert_eq(v.rule, 4);
	r.dst_port = 100;
	cr_assert_eq(acl_t_check(s, &r).rule, 1);
	r.dst_port = 80;
	r.flags = ACL_REQ_DST;
	r.dst_ip = acl_t_ip("169.254.169.254");
	v = acl_t_check(s, &r);
	cr_assert_eq(v.rule, 6);
	cr_assert_eq(v.action, ACL_DENY);
	r.dst_ip = acl_t_ip("93.184.216.34");
	v = acl_t_check(s, &r);
	cr_assert_eq(v.rule, 8);
	cr_assert_eq(v.action, ACL_ALLOW);
	acl_set_free(s);
}

/* A run is cut by another action, kind or a negation. */
Test(acl_runs, cut_by_action_kind_negation)
{
	struct acl_set *s = acl_t_set(
	    "acl a src 10.0.0.1\nacl b src 10.0.0.2\nacl c src 10.0.0.3\n"
	    "acl d src 10.0.0.4\nacl e src 10.0.0.5\n"
	    "deny a\ndeny b\nallow c\ndeny d\ndeny !e\ndeny a\ndeny b\n"
	    "deny c\ndeny d\ndeny e\nallow");
	static const char *const ips[] = {"10.0.0.1", "10.0.0.2", "10.0.0.3",
	                                  "10.0.0.4", "10.0.0.5"};
	static const int32_t want[] = {0, 1, 2, 3, 9};

	cr_assert_eq(acl_set_tables(s), 1); /* the last five */
	for (int i = 0; i < 5; i++) {
		struct acl_req r = {.src_ip = acl_t_ip(ips[i])};

		cr_assert_eq(acl_t_check(s, &r).rule, want[i], "%s", ips[i]);
	}
	struct acl_req r = {.src_ip = acl_t_ip("10.0.0.9")};

	cr_assert_eq(acl_t_check(s, &r).rule, 4); /* deny !e */
	acl_set_free(s);
}
