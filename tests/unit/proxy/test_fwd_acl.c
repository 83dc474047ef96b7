/*
 * The forward proxy's access rules (issue 13, fwd_acl.c): a second
 * listener on 10.0.0.1:3129 gets a set compiled from Squid-like lines;
 * the client (node B) talks to it.  A denied request is a 403 that never
 * reaches the origin nor the cache; a dst rule is judged on the address
 * connected to.
 */
#include <string.h>

#include <criterion/criterion.h>
#include <rte_byteorder.h>

#include "../tcp/tcp_test_util.h"
#include "acl/acl.h"
#include "fwd_test_util.h"
#include "proxy_test_util.h"
#include "proxy/forward.h"

TestSuite(fwd_acl);

static struct acl_set *set;

/* Elements of the tests, then <rules> as "allow|deny NAME" pairs. */
static void
acl_listen(const char *const *rules, unsigned n)
{
	struct acl_build *b = acl_build_new();
	struct conf_forward c = cfg;
	struct tcp_conn *conn = NULL;
	struct acl_err err;
	unsigned i;

	cr_assert_not_null(b);
	cr_assert_eq(acl_elem_add(b, "all", ACL_KIND_SRC, "0.0.0.0/0", &err),
	             0);
	cr_assert_eq(acl_elem_add(b, "posts", ACL_KIND_METHOD, "POST", &err),
	             0);
	cr_assert_eq(
	    acl_elem_add(b, "bad", ACL_KIND_DSTDOMAIN, ".example.com", &err),
	    0);
	cr_assert_eq(
	    acl_elem_add(b, "origin", ACL_KIND_DST, "10.0.0.2/32", &err), 0);
	cr_assert_eq(acl_elem_add(b, "cpath", ACL_KIND_URL_PREFIX,
	                          "http://10.0.0.2/c", &err),
	             0);
	for (i = 0; i + 1 < n; i += 2) {
		const char *name = rules[i + 1];

		cr_assert_eq(acl_rule_add(b,
		                          strcmp(rules[i], "allow") == 0
		                              ? ACL_ALLOW
		                              : ACL_DENY,
		                          100 + i / 2, &name, NULL, 1, &err),
		             0, "%s", err.msg);
	}
	set = acl_compile(b, &err);
	cr_assert_not_null(set, "%s", err.msg);
	c.acl = set;
	c.n_allow_src = 0; /* the rules decide */
	cr_assert_eq(
	    fwd_listen(fc, 0, TT_IP_A, RTE_BE16(3129), &c, TCP_CC_NEWRENO), 0);
	memset(&cli, 0, sizeof(cli));
	cr_assert_eq(tcp_connect(tt_b.s, 0, TT_IP_B, TT_IP_A, RTE_BE16(3129),
	                         TCP_CC_NEWRENO, &peer_cbs, &cli, &conn),
	             0);
	run(5);
	cr_assert(cli.connected, "the rules reset the client at accept");
}

static void
acl_teardown(void)
{
	fwd_teardown();
	acl_set_free(set);
	set = NULL;
}

static void
expect_403(const char *rule_line)
{
	cr_assert(strncmp(cli.rx, "HTTP/1.1 403 ", 13) == 0, "client got: %s",
	          cli.rx);
	cr_assert(strstr(cli.rx, rule_line) != NULL, "client got: %s", cli.rx);
	cr_assert_eq(origin_requests(), 0);
	cr_assert_eq(cnt.fwd_upstream_new, 0);
}

Test(fwd_acl, denied_method_is_403_and_nothing_goes_upstream, .init = fwd_setup,
     .fini = acl_teardown)
{
	static const char *const rules[] = {"deny", "posts", "allow", "all"};

	acl_listen(rules, 4);
	send_str(&cli, "POST http://10.0.0.2/ HTTP/1.1\r\nHost: 10.0.0.2\r\n"
	               "Content-Length: 0\r\n\r\n");
	run(10);
	expect_403("rule at line 100");
	cr_assert_eq(cnt.fwd_acl_denied, 1);
	cr_assert_eq(cnt.fwd_acl_denied_dst, 0);
}

Test(fwd_acl, allowed_get_reaches_the_origin, .init = fwd_setup,
     .fini = acl_teardown)
{
	static const char *const rules[] = {"deny", "posts", "allow", "all"};

	acl_listen(rules, 4);
	send_str(&cli, "GET http://10.0.0.2/ok HTTP/1.1\r\nHost: 10.0.0.2\r\n"
	               "\r\n");
	run(10);
	cr_assert_eq(origin_requests(), 1);
	cr_assert_eq(cnt.fwd_acl_denied, 0);
}

/* Refused before any DNS lookup: the name never leaves the box. */
Test(fwd_acl, denied_domain_is_403_without_dns, .init = fwd_setup,
     .fini = acl_teardown)
{
	static const char *const rules[] = {"deny", "bad", "allow", "all"};

	acl_listen(rules, 4);
	send_str(&cli, "GET http://WWW.Example.COM./ HTTP/1.1\r\n"
	               "Host: www.example.com\r\n\r\n");
	run(10);
	expect_403("rule at line 100");
	cr_assert_eq(cnt.fwd_acl_denied, 1);
	cr_assert_eq(cnt.fwd_err_502_dns, 0);
}

/* A dst rule waits for the address, then refuses it at connect. */
Test(fwd_acl, dst_rule_judged_on_the_address_connected_to, .init = fwd_setup,
     .fini = acl_teardown)
{
	static const char *const rules[] = {"deny", "origin", "allow", "all"};

	acl_listen(rules, 4);
	send_str(&cli, "GET http://10.0.0.2/ HTTP/1.1\r\nHost: 10.0.0.2\r\n"
	               "\r\n");
	run(10);
	expect_403("rule at line 100");
	cr_assert_eq(cnt.fwd_acl_denied_dst, 1);
}

/* No rule matches: the default is deny. */
Test(fwd_acl, no_matching_rule_is_deny, .init = fwd_setup, .fini = acl_teardown)
{
	static const char *const rules[] = {"allow", "posts"};

	acl_listen(rules, 2);
	send_str(&cli, "GET http://10.0.0.2/ HTTP/1.1\r\nHost: 10.0.0.2\r\n"
	               "\r\n");
	run(10);
	expect_403("no rule allows it");
}

#define RESP_60                                            \
	"HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\n" \
	"Content-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello"

/* An object stored through the open listener is no hit for a request the
 * rules deny: the check comes before the cache. */
Test(fwd_acl, cache_hit_refused_by_a_deny_rule, .init = fwd_setup_cache,
     .fini = acl_teardown)
{
	static const char *const rules[] = {"deny", "cpath", "allow", "all"};

	client_connect();
	cr_assert(cache_get("/c", "", RESP_60));
	cr_assert_eq(cnt.fwd_cache_stored, 1);
	acl_listen(rules, 4);
	send_str(&cli, "GET http://10.0.0.2/c HTTP/1.1\r\nHost: 10.0.0.2\r\n"
	               "\r\n");
	run(10);
	cr_assert(strncmp(cli.rx, "HTTP/1.1 403 ", 13) == 0, "client got: %s",
	          cli.rx);
	cr_assert_eq(cnt.fwd_cache_hits, 0);
	cr_assert_eq(origin_requests(), 1);
	cr_assert_eq(cnt.fwd_acl_denied, 1);
}
