/*
 * The forward proxy's proxy authentication (issue 13 item 3, fwd_auth.c):
 * a second listener on 10.0.0.1:3129 with auth-users (alice, bob; group
 * staff: alice), its access rules naming a user and a group.  The
 * verifier runs when the test says (auth_verifier_run_once), not on a
 * thread, so every step is deterministic: a request waits for it (no
 * answer, nothing upstream) until it ran.
 */
#include <string.h>

#include <criterion/criterion.h>
#include <rte_byteorder.h>

#include "../tcp/tcp_test_util.h"
#include "acl/acl.h"
#include "auth/auth.h"
#include "common/gh_common.h"
#include "fwd_test_util.h"
#include "log/alog.h"
#include "proxy/forward.h"
#include "proxy_test_util.h"

TestSuite(fwd_auth);

/* sha256-crypt of "correct horse" (fast: the tests run it often) */
#define HASH "$5$saltsalt$myjXcpMpE2Ofk7fj9hqyNYSn6lmWG4Mqnjx.KIRRr4/"
#define ALICE_OK                                                                       \
	"Proxy-Authorization: Basic YWxpY2U6Y29ycmVjdCBob3JzZQ==\r\n" /* alice:correct \
	                                                                 horse         \
	                                                               */
#define BOB_OK    "Proxy-Authorization: Basic Ym9iOmNvcnJlY3QgaG9yc2U=\r\n"
#define ALICE_BAD "Proxy-Authorization: Basic YWxpY2U6d3Jvbmc=\r\n"

static struct auth_verifier *ver;
static struct auth_users *users;
static struct acl_set *set;
static struct alog_ring *ring;

/* The harness with a verifier (depth 2) and an access-log ring. */
static void
auth_setup(void)
{
	static const char text[] = "alice:" HASH "\nbob:" HASH "\n";
	static const char groups[] = "staff: alice\n";
	char err[256];

	ver = auth_verifier_new(1, 2);
	cr_assert_not_null(ver);
	ring = alog_ring_create(256);
	cr_assert_not_null(ring);
	users = auth_users_parse("users", text, strlen(text), "groups", groups,
	                         strlen(groups), err, sizeof(err));
	cr_assert_not_null(users, "%s", err);
	ft_setup(&(struct ft_opts){.auth = ver, .alog = ring});
}

static void
auth_teardown(void)
{
	ft_teardown();
	acl_set_free(set);
	set = NULL;
	auth_verifier_free(ver);
	auth_users_put(users);
	alog_ring_destroy(ring);
}

/* Connect <p> anew to 10.0.0.1:3129. */
static void
connect_3129(struct peer *p)
{
	struct tcp_conn *conn = NULL;

	memset(p, 0, sizeof(*p));
	cr_assert_eq(tcp_connect(tt_b.s, 0, TT_IP_B, TT_IP_A, RTE_BE16(3129),
	                         TCP_CC_NEWRENO, &peer_cbs, p, &conn),
	             0);
	run(5);
	cr_assert(p->connected && !p->closed);
}

/* The listener on 3129 with the users and the rules "deny <deny>"
 * (NULL: none), "allow staff" when <staff_only>, then "allow all". */
static void
auth_listen(const char *deny, bool staff_only)
{
	struct acl_build *b = acl_build_new();
	struct conf_forward c = cfg;
	const char *name;
	struct acl_err err;

	cr_assert_not_null(b);
	cr_assert_eq(acl_elem_add(b, "all", ACL_KIND_SRC, "0.0.0.0/0", &err),
	             0);
	cr_assert_eq(acl_elem_add(b, "bob", ACL_KIND_USER, "bob", &err), 0);
	cr_assert_eq(acl_elem_add(b, "staff", ACL_KIND_GROUP, "staff", &err),
	             0);
	if (deny != NULL)
		cr_assert_eq(
		    acl_rule_add(b, ACL_DENY, 100, &deny, NULL, 1, &err), 0);
	name = staff_only ? "staff" : "all";
	cr_assert_eq(acl_rule_add(b, ACL_ALLOW, 101, &name, NULL, 1, &err), 0);
	set = acl_compile(b, &err);
	cr_assert_not_null(set, "%s", err.msg);
	c.acl = set;
	c.n_allow_src = 0;
	c.auth = users;
	c.client_header_ms = 500;
	strcpy(c.auth_realm, "Test realm");
	cr_assert_eq(
	    fwd_listen(fc, 0, TT_IP_A, RTE_BE16(3129), &c, TCP_CC_NEWRENO), 0);
	connect_3129(&cli);
}

/* GET http://10.0.0.2/ on <p> with the header lines <extra>. */
static void
get(struct peer *p, const char *extra)
{
	char req[512];

	snprintf(req, sizeof(req),
	         "GET http://10.0.0.2/ HTTP/1.1\r\nHost: 10.0.0.2\r\n%s\r\n",
	         extra);
	send_str(p, req);
	run(10);
}

/* The origin answers 200 and the client has it. */
static void
expect_200_via_origin(unsigned n_before)
{
	cr_assert_eq(origin_requests(), n_before + 1);
	cr_assert_null(strstr(org.rx, "Authorization"),
	               "credentials went upstream: %s", org.rx);
	send_str(&org, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
	run(10);
	cr_assert(strncmp(cli.rx, "HTTP/1.1 200 ", 13) == 0, "client got: %s",
	          cli.rx);
}

static void
expect_407(void)
{
	cr_assert(strncmp(cli.rx, "HTTP/1.1 407 ", 13) == 0, "client got: %s",
	          cli.rx);
	cr_assert_not_null(strstr(cli.rx, "\r\nProxy-Authenticate: Basic "
	                                  "realm=\"Test realm\""),
	                   "client got: %s", cli.rx);
}

/* The user field of the access-log records so far, in order. */
static void
logged_users(char *out, size_t cap)
{
	const struct alog_record *recs[256];
	uint32_t n = alog_ring_peek(ring, recs, 256), i;
	size_t off = 0;

	out[0] = '\0';
	for (i = 0; i < n; i++)
		off += (size_t)snprintf(out + off, cap - off, "%u:%s ",
		                        recs[i]->status,
		                        recs[i]->user[0] ? recs[i]->user : "-");
	alog_ring_release(ring, n);
}

Test(fwd_auth, no_credentials_407_then_200_with_them, .init = auth_setup,
     .fini = auth_teardown)
{
	char users_seen[256];

	auth_listen(NULL, false);
	get(&cli, "");
	expect_407();
	cr_assert_eq(origin_requests(), 0);
	cr_assert_eq(cnt.fwd_auth_407, 1);
	/* with credentials, on a new connection: waits for the verifier */
	connect_3129(&cli);
	get(&cli, ALICE_OK);
	cr_assert_eq(cli.rx_len, 0);
	cr_assert_eq(origin_requests(), 0);
	cr_assert_eq(cnt.fwd_auth_cache_misses, 1);
	cr_assert_eq(auth_verifier_run_once(ver), 1);
	run(5);
	expect_200_via_origin(0);
	cr_assert_eq(cnt.fwd_auth_ok, 1);
	/* again on the same connection: the cache, no verifier */
	cli.rx_len = org.rx_len = 0;
	cli.rx[0] = org.rx[0] = '\0';
	get(&cli, ALICE_OK);
	expect_200_via_origin(1);
	cr_assert_eq(cnt.fwd_auth_cache_hits, 1);
	cr_assert_eq(cnt.fwd_auth_ok, 2);
	cr_assert_eq(cnt.fwd_requests, 3); /* the wait counted once */
	logged_users(users_seen, sizeof(users_seen));
	cr_assert_str_eq(users_seen, "407:- 200:alice 200:alice ");
}

Test(fwd_auth, wrong_password_407_and_remembered, .init = auth_setup,
     .fini = auth_teardown)
{
	auth_listen(NULL, false);
	get(&cli, ALICE_BAD);
	cr_assert_eq(auth_verifier_run_once(ver), 1);
	run(5);
	expect_407();
	cr_assert_eq(cnt.fwd_auth_failed, 1);
	/* the same wrong password: from the cache, no crypt */
	connect_3129(&cli);
	get(&cli, ALICE_BAD);
	expect_407();
	cr_assert_eq(auth_verifier_run_once(ver), 0);
	cr_assert_eq(cnt.fwd_auth_failed, 2);
	cr_assert_eq(cnt.fwd_auth_cache_hits, 1);
	cr_assert_eq(origin_requests(), 0);
}

Test(fwd_auth, user_acl_denies_bob_allows_alice, .init = auth_setup,
     .fini = auth_teardown)
{
	auth_listen("bob", false);
	get(&cli, BOB_OK);
	cr_assert_eq(auth_verifier_run_once(ver), 1);
	run(5);
	cr_assert(strncmp(cli.rx, "HTTP/1.1 403 ", 13) == 0, "client got: %s",
	          cli.rx);
	cr_assert_not_null(strstr(cli.rx, "rule at line 100"));
	cr_assert_eq(cnt.fwd_auth_ok, 1);
	cr_assert_eq(cnt.fwd_acl_denied, 1);
	connect_3129(&cli);
	get(&cli, ALICE_OK);
	cr_assert_eq(auth_verifier_run_once(ver), 1);
	run(5);
	expect_200_via_origin(0);
}

Test(fwd_auth, group_acl_allows_staff_only, .init = auth_setup,
     .fini = auth_teardown)
{
	auth_listen(NULL, true);
	get(&cli, ALICE_OK);
	cr_assert_eq(auth_verifier_run_once(ver), 1);
	run(5);
	expect_200_via_origin(0);
	connect_3129(&cli);
	get(&cli, BOB_OK);
	cr_assert_eq(auth_verifier_run_once(ver), 1);
	run(5);
	cr_assert(strncmp(cli.rx, "HTTP/1.1 403 ", 13) == 0, "client got: %s",
	          cli.rx);
	cr_assert_not_null(strstr(cli.rx, "no rule allows it"));
}

Test(fwd_auth, malformed_credentials_400, .init = auth_setup,
     .fini = auth_teardown)
{
	static const char *const bad[] = {
	    "Proxy-Authorization: Basic YWxpY2U*\r\n",
	    "Proxy-Authorization: Basic YWxpY2U=\r\n", /* no ':' */
	    ALICE_OK ALICE_OK,                         /* two of them */
	};
	unsigned i;

	auth_listen(NULL, false);
	for (i = 0; i < GH_ARRAY_SIZE(bad); i++) {
		if (i > 0)
			connect_3129(&cli);
		get(&cli, bad[i]);
		cr_assert(strncmp(cli.rx, "HTTP/1.1 400 ", 13) == 0,
		          "%u: client got: %s", i, cli.rx);
	}
	cr_assert_eq(cnt.fwd_auth_invalid, 3);
	/* another scheme: 407, the client may offer Basic */
	connect_3129(&cli);
	get(&cli, "Proxy-Authorization: Digest username=\"alice\"\r\n");
	expect_407();
	cr_assert_eq(auth_verifier_run_once(ver), 0);
}

Test(fwd_auth, full_queue_503_and_late_answer_503, .init = auth_setup,
     .fini = auth_teardown)
{
	static struct peer p2, p3;

	auth_listen(NULL, false);
	/* depth 2: two credentials wait, the third is refused at once */
	get(&cli, ALICE_OK);
	connect_3129(&p2);
	get(&p2, BOB_OK);
	connect_3129(&p3);
	get(&p3, ALICE_BAD);
	cr_assert(strncmp(p3.rx, "HTTP/1.1 503 ", 13) == 0, "p3 got: %s",
	          p3.rx);
	cr_assert_not_null(strstr(p3.rx, "\r\nRetry-After: 1\r\n"));
	cr_assert_eq(cnt.fwd_auth_queue_full, 1);
	/* nobody runs the verifier: timeout-client-header-ms (500) */
	run(600);
	cr_assert(strncmp(cli.rx, "HTTP/1.1 503 ", 13) == 0, "cli got: %s",
	          cli.rx);
	cr_assert(strncmp(p2.rx, "HTTP/1.1 503 ", 13) == 0, "p2 got: %s",
	          p2.rx);
	cr_assert_eq(cnt.fwd_auth_timeout, 2);
	/* the answers come after all: into the cache, no session resumed */
	cr_assert_eq(auth_verifier_run_once(ver), 1);
	cr_assert_eq(auth_verifier_run_once(ver), 1);
	run(5);
	cr_assert_eq(origin_requests(), 0);
	connect_3129(&cli);
	get(&cli, ALICE_OK);
	expect_200_via_origin(0);
	cr_assert_eq(cnt.fwd_auth_cache_hits, 1);
}

/* CONNECT needs credentials too; with them the tunnel is set up. */
Test(fwd_auth, connect_needs_credentials, .init = auth_setup,
     .fini = auth_teardown)
{
	auth_listen(NULL, false);
	send_str(&cli, "CONNECT 10.0.0.2:80 HTTP/1.1\r\nHost: 10.0.0.2:80\r\n"
	               "\r\n");
	run(10);
	expect_407();
	connect_3129(&cli);
	send_str(
	    &cli,
	    "CONNECT 10.0.0.2:80 HTTP/1.1\r\nHost: 10.0.0.2:80\r\n" ALICE_OK
	    "\r\n");
	run(10);
	cr_assert_eq(cli.rx_len, 0);
	cr_assert_eq(auth_verifier_run_once(ver), 1);
	run(10);
	cr_assert(strncmp(cli.rx, "HTTP/1.1 200 ", 13) == 0, "client got: %s",
	          cli.rx);
	cr_assert_eq(cnt.fwd_tunnels, 1);
}

/* The client goes while the verifier works: the answer finds no one. */
Test(fwd_auth, client_gone_before_the_answer, .init = auth_setup,
     .fini = auth_teardown)
{
	auth_listen(NULL, false);
	get(&cli, ALICE_OK);
	tcp_abort(cli.c);
	run(5);
	cr_assert_eq(auth_verifier_run_once(ver), 1);
	run(5);
	cr_assert_eq(origin_requests(), 0);
	cr_assert_eq(cnt.fwd_auth_ok, 0);
	/* the session is free, and its slot serves the next client */
	connect_3129(&cli);
	get(&cli, ALICE_OK);
	expect_200_via_origin(0);
}
