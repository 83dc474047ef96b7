/*
 * lib/acl evaluation: each element kind at its edges, negation, rules
 * ANDed, first match wins, deny by default, and the fail-closed cases.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "acl_test_util.h"
#include "common/gh_common.h"

TestSuite(acl_rules);

/* Allowed when rule 0 (`allow x`) matches, else denied by default. */
static bool
allowed(const struct acl_set *s, const struct acl_req *r)
{
	struct acl_verdict v = acl_t_check(s, r);

	if (v.action == ACL_ALLOW) {
		cr_assert_eq(v.reason, ACL_R_RULE);
		return true;
	}
	cr_assert_eq(v.reason, ACL_R_DEFAULT);
	cr_assert_eq(v.rule, -1);
	cr_assert_eq(v.line, 0);
	return false;
}

/* A probe of a table test: a value and whether rule `allow x` takes it. */
struct probe {
	const char *text; /* address, host */
	uint32_t num;     /* port, seconds of the week */
	bool want;
};

/* Each probe's request (made by <fill>) is allowed exactly when wanted. */
static void
probes(const char *spec, const struct probe *p, size_t n,
       void (*fill)(struct acl_req *, const struct probe *))
{
	struct acl_set *s = acl_t_set(spec);

	for (size_t i = 0; i < n; i++) {
		struct acl_req r = {0};

		fill(&r, &p[i]);
		cr_assert_eq(allowed(s, &r), p[i].want, "%s: %s %u", spec,
		             p[i].text ? p[i].text : "", p[i].num);
	}
	acl_set_free(s);
}

static void
fill_src(struct acl_req *r, const struct probe *p)
{
	r->src_ip = acl_t_ip(p->text);
}

static void
fill_host(struct acl_req *r, const struct probe *p)
{
	r->host = (struct acl_str){p->text, strlen(p->text)};
}

static void
fill_port(struct acl_req *r, const struct probe *p)
{
	r->dst_port = (uint16_t)p->num;
}

static void
fill_time(struct acl_req *r, const struct probe *p)
{
	r->week_sec = p->num;
}

Test(acl_rules, cidr_edges)
{
	static const struct probe all[] = {{"0.0.0.0", 0, true},
	                                   {"255.255.255.255", 0, true}};
	static const struct probe one[] = {{"192.0.2.7", 0, true},
	                                   {"192.0.2.6", 0, false},
	                                   {"192.0.2.8", 0, false}};
	static const struct probe net[] = {
	    {"10.1.0.0", 0, true},      {"10.2.128.1", 0, true},
	    {"10.3.255.255", 0, true},  {"255.255.255.255", 0, true},
	    {"10.0.255.255", 0, false}, {"10.4.0.0", 0, false},
	    {"0.0.0.0", 0, false},      {"255.255.255.254", 0, false}};

	probes("acl x src 0.0.0.0/0\nallow x", all, GH_ARRAY_SIZE(all),
	       fill_src);
	probes("acl x src 192.0.2.7/32\nallow x", one, GH_ARRAY_SIZE(one),
	       fill_src);
	probes("acl x src 10.1.0.0/16 10.3.0.0/16 10.2.0.0/16 "
	       "255.255.255.255\nallow x",
	       net, GH_ARRAY_SIZE(net), fill_src);
}

Test(acl_rules, domains_exact_and_suffix)
{
	static const struct probe p[] = {
	    {"example.com", 0, true},
	    {"EXAMPLE.com.", 0, true},
	    {"badexample.com", 0, false},
	    {"a.example.com", 0, false},
	    {"a.example.com.", 0, false},
	    {"example.com..", 0, false},
	    {"com", 0, false},
	    {"", 0, false},
	    {"example.org", 0, true},
	    {"a.example.org", 0, true},
	    {"x.Y.a.EXAMPLE.org.", 0, true},
	    {"badexample.org", 0, false},
	    {"example.org.evil", 0, false},
	    {"org", 0, false},
	};

	probes("acl x dstdomain example.com .Example.ORG.\nallow x", p,
	       GH_ARRAY_SIZE(p), fill_host);
}

Test(acl_rules, suffix_listed_twice_and_subdomain)
{
	static const struct probe p[] = {{"a.example.com.", 0, true},
	                                 {"example.com", 0, true},
	                                 {"b.a.example.com", 0, true},
	                                 {"badexample.com", 0, false}};

	probes("acl x dstdomain a.example.com .example.com\nallow x", p,
	       GH_ARRAY_SIZE(p), fill_host);
}

Test(acl_rules, host_over_bounds_fails_closed)
{
	struct acl_set *s = acl_t_set("acl x dstdomain .example.com\ndeny x\n"
	                              "acl all src 0.0.0.0/0\nallow all");
	char big[400];
	struct acl_req r = {.host = {big, 0}};

	memset(big, 'a', sizeof(big));
	memcpy(big + 300, ".example.com", 12);
	r.host.len = 312;
	struct acl_verdict v = acl_t_check(s, &r);

	cr_assert_eq(v.action, ACL_DENY);
	cr_assert_eq(v.reason, ACL_R_BAD_HOST);
	/* 127 labels of "a." is 253 bytes with the last: allowed */
	for (int i = 0; i < 127; i++)
		memcpy(big + 2 * i, "a.", 2);
	r.host.len = 253;
	v = acl_t_check(s, &r);
	cr_assert_eq(v.action, ACL_ALLOW);
	cr_assert_eq(v.rule, 1);
	cr_assert_eq(v.line, 4);
	r.host = AS("a b.example.com");
	v = acl_t_check(s, &r);
	cr_assert_eq(v.reason, ACL_R_BAD_HOST);
	acl_set_free(s);
}

Test(acl_rules, port_ranges)
{
	static const struct probe p[] = {
	    {NULL, 80, true},   {NULL, 443, true},   {NULL, 21, true},
	    {NULL, 1024, true}, {NULL, 65535, true}, {NULL, 8500, true},
	    {NULL, 0, false},   {NULL, 22, false},   {NULL, 79, false},
	    {NULL, 81, false},  {NULL, 1023, false}};

	probes("acl x port 80 443 1024-65535 8000-9000 21\nallow x", p,
	       GH_ARRAY_SIZE(p), fill_port);
}

Test(acl_rules, methods_schemes_connect)
{
	struct acl_set *s = acl_t_set("acl m method GET HEAD\n"
	                              "acl c connect\nacl tls port 443\n"
	                              "acl web scheme http HTTPS\n"
	                              "allow c tls\nallow m web");
	struct acl_req r = {.method = AS("GET"), .scheme = AS("HTTP")};

	cr_assert(allowed(s, &r));
	r.method = AS("get"); /* methods are case-sensitive */
	cr_assert_not(allowed(s, &r));
	r.method = AS("HEAD");
	r.scheme = AS("https");
	cr_assert(allowed(s, &r));
	r.scheme = AS("ftp");
	cr_assert_not(allowed(s, &r));
	r.method = AS("GETX");
	r.scheme = AS("http");
	cr_assert_not(allowed(s, &r));
	r = (struct acl_req){.method = AS("CONNECT"), .dst_port = 443};
	struct acl_verdict v = acl_t_check(s, &r);

	cr_assert_eq(v.action, ACL_ALLOW);
	cr_assert_eq(v.rule, 0);
	cr_assert_eq(v.line, 5);
	r.dst_port = 25;
	cr_assert_not(allowed(s, &r));
	acl_set_free(s);
}

Test(acl_rules, time_weekdays_and_midnight)
{
	/* office hours on weekdays, and Friday night into Saturday */
	static const struct probe office[] = {
	    {NULL, ACL_T_WEEK(1, 8, 0), true},
	    {NULL, ACL_T_WEEK(5, 17, 29), true},
	    {NULL, ACL_T_WEEK(1, 7, 59), false},
	    {NULL, ACL_T_WEEK(1, 17, 30), false},
	    {NULL, ACL_T_WEEK(0, 12, 0), false},
	    {NULL, ACL_T_WEEK(5, 23, 59), true},
	    {NULL, ACL_T_WEEK(6, 0, 0), true},
	    {NULL, ACL_T_WEEK(6, 1, 59) + 59, true},
	    {NULL, ACL_T_WEEK(6, 2, 0), false},
	    {NULL, ACL_T_WEEK(5, 21, 59), false},
	    {NULL, ACL_T_WEEK(4, 23, 0), false},
	};
	/* Saturday 23:00 to 01:00 wraps the week into Sunday */
	static const struct probe wrap[] = {
	    {NULL, ACL_T_WEEK(6, 23, 30), true},
	    {NULL, ACL_T_WEEK(0, 0, 30), true},
	    {NULL, ACL_T_WEEK(0, 1, 0), false},
	    {NULL, ACL_T_WEEK(6, 0, 30), false},
	};

	probes("acl t time D 08:00-17:30\nacl t time F 22:00-02:00\nallow t",
	       office, GH_ARRAY_SIZE(office), fill_time);
	probes("acl t time A 23:00-01:00\nallow t", wrap, GH_ARRAY_SIZE(wrap),
	       fill_time);
}

Test(acl_rules, week_sec_from_tm)
{
	struct tm tm = {.tm_wday = 3, .tm_hour = 13, .tm_min = 5, .tm_sec = 60};

	cr_assert_eq(acl_week_sec(&tm), ACL_T_WEEK(3, 13, 5) + 59);
}

Test(acl_rules, negation_and_and)
{
	struct acl_set *s = acl_t_set("acl lan src 10.0.0.0/8\n"
	                              "acl safe port 80 443\n"
	                              "deny !safe\nallow lan safe");
	struct acl_req r = {.src_ip = acl_t_ip("10.9.9.9"), .dst_port = 80};
	struct acl_verdict v = acl_t_check(s, &r);

	cr_assert_eq(v.action, ACL_ALLOW);
	cr_assert_eq(v.rule, 1);
	cr_assert_eq(v.line, 4);
	r.dst_port = 25;
	v = acl_t_check(s, &r);
	cr_assert_eq(v.action, ACL_DENY);
	cr_assert_eq(v.reason, ACL_R_RULE);
	cr_assert_eq(v.rule, 0);
	cr_assert_eq(v.line, 3);
	r = (struct acl_req){.src_ip = acl_t_ip("11.0.0.1"), .dst_port = 443};
	v = acl_t_check(s, &r);
	cr_assert_eq(v.reason, ACL_R_DEFAULT);
	cr_assert_eq(v.action, ACL_DENY);
	acl_set_free(s);
}

/* <r> gets <action> for <why> from rule <rule> (-1: none). */
static void
expect(const struct acl_set *s, const struct acl_req *r, enum acl_action action,
       enum acl_reason why, int32_t rule)
{
	struct acl_verdict v = acl_t_check(s, r);

	cr_assert_eq(v.action, action, "rule %d", rule);
	cr_assert_eq(v.reason, why, "rule %d", rule);
	cr_assert_eq(v.rule, rule);
}

Test(acl_rules, first_match_wins_and_default_deny)
{
	struct acl_set *s = acl_t_set("acl a src 10.0.0.0/8\n"
	                              "acl b src 10.1.0.0/16\n"
	                              "allow b\ndeny a\nallow a");
	struct acl_req r = {.src_ip = acl_t_ip("10.1.2.3")};

	expect(s, &r, ACL_ALLOW, ACL_R_RULE, 0);
	r.src_ip = acl_t_ip("10.2.0.1");
	expect(s, &r, ACL_DENY, ACL_R_RULE, 1);
	r.src_ip = acl_t_ip("11.0.0.1");
	expect(s, &r, ACL_DENY, ACL_R_DEFAULT, -1);
	acl_set_free(s);
	/* no rules at all: deny; a rule of no element: everything */
	s = acl_t_set("acl a src 10.0.0.0/8");
	expect(s, &r, ACL_DENY, ACL_R_DEFAULT, -1);
	acl_set_free(s);
	s = acl_t_set("allow");
	expect(s, &r, ACL_ALLOW, ACL_R_RULE, 0);
	acl_set_free(s);
}

/* The private-destination rule, checked per resolved address. */
Test(acl_rules, dst_per_address)
{
	struct acl_set *s = acl_t_set("acl inside dst 127.0.0.0/8 10.0.0.0/8 "
	                              "169.254.0.0/16\nacl all src 0.0.0.0/0\n"
	                              "deny inside\nallow all");
	struct acl_req r = {.host = AS("metadata.example")};
	struct acl_verdict v = acl_t_check(s, &r);

	cr_assert_eq(v.action, ACL_DENY);
	cr_assert_eq(v.reason, ACL_R_NEED_DST);
	const char *const as[] = {"93.184.216.34", "169.254.169.254",
	                          "127.0.0.1"};
	const int want[] = {ACL_ALLOW, ACL_DENY, ACL_DENY};

	for (int i = 0; i < 3; i++) {
		r.flags = ACL_REQ_DST;
		r.dst_ip = acl_t_ip(as[i]);
		v = acl_t_check(s, &r);
		cr_assert_eq(v.action, want[i], "%s", as[i]);
		cr_assert_eq(v.reason, ACL_R_RULE);
	}
	acl_set_free(s);
}

Test(acl_rules, users_and_groups)
{
	struct acl_set *s = acl_t_set("acl u user alice bob\n"
	                              "acl g group staff admins\n"
	                              "allow u\nallow g");
	struct acl_str groups[] = {AS("guests"), AS("admins")};
	struct acl_req r = {.user = AS("alice")};

	cr_assert_not(allowed(s, &r)); /* not authenticated */
	r.flags = ACL_REQ_USER;
	cr_assert(allowed(s, &r));
	r.user = AS("Alice");
	cr_assert_not(allowed(s, &r));
	r.groups = groups;
	r.n_groups = 2;
	struct acl_verdict v = acl_t_check(s, &r);

	cr_assert_eq(v.action, ACL_ALLOW);
	cr_assert_eq(v.rule, 1);
	r.n_groups = 1;
	cr_assert_not(allowed(s, &r));
	acl_set_free(s);
}

/* A header lookup over a fixed list, names without case. */
static int
hdr_get(const void *ctx, const char *name, size_t len, const char **val,
        size_t *vlen)
{
	const char *const *h = ctx;

	for (; h[0] != NULL; h += 2)
		if (strlen(h[0]) == len && strncasecmp(h[0], name, len) == 0) {
			*val = h[1];
			*vlen = strlen(h[1]);
			return 0;
		}
	return -ENOENT;
}

Test(acl_rules, urls_and_headers)
{
	struct acl_set *s = acl_t_set(
	    "acl exe url_regex -i \\.exe$\n"
	    "acl intra url_prefix http://intra.example/ http://wiki/\n"
	    "acl bot header user-agent -i ^curl/\n"
	    "deny exe\ndeny bot\nallow intra");
	struct acl_scratch *sc = acl_scratch_new();
	const char *hdrs[] = {"User-Agent", "Mozilla/5.0", NULL};
	struct acl_req r = {.url = AS("http://intra.example/a/b"),
	                    .header = hdr_get,
	                    .header_ctx = hdrs,
	                    .scratch = sc};

	cr_assert_not_null(sc);
	cr_assert(allowed(s, &r));
	r.url = AS("http://intra.example/setup.EXE");
	cr_assert_eq(acl_t_check(s, &r).rule, 0);
	r.url = AS("http://intra.exampl");
	cr_assert_not(allowed(s, &r));
	hdrs[1] = "CURL/8.0";
	r.url = AS("http://wiki/");
	cr_assert_eq(acl_t_check(s, &r).rule, 1);
	hdrs[0] = "X-Other";
	cr_assert(allowed(s, &r));
	/* no scratch: a regex cannot run, so the check fails closed */
	r.scratch = NULL;
	struct acl_verdict v = acl_t_check(s, &r);

	cr_assert_eq(v.action, ACL_DENY);
	cr_assert_eq(v.reason, ACL_R_REGEX_ERROR);
	acl_scratch_free(sc);
	acl_set_free(s);
}

/* A catastrophic pattern on a long URL hits the match limit: deny. */
Test(acl_rules, regex_limit_fails_closed)
{
	struct acl_set *s = acl_t_set("acl evil url_regex ^(a+)+$\n"
	                              "acl all src 0.0.0.0/0\n"
	                              "allow !evil all");
	struct acl_scratch *sc = acl_scratch_new();
	char url[64];
	struct acl_req r = {.url = {url, sizeof(url)}, .scratch = sc};

	memset(url, 'a', sizeof(url) - 1);
	url[sizeof(url) - 1] = '!';
	struct acl_verdict v = acl_t_check(s, &r);

	cr_assert_eq(v.action, ACL_DENY);
	cr_assert_eq(v.reason, ACL_R_REGEX_ERROR);
	r.url = AS("aaa!");
	cr_assert_eq(acl_t_check(s, &r).action, ACL_ALLOW);
	acl_scratch_free(sc);
	acl_set_free(s);
}
