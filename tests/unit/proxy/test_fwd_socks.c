/*
 * The SOCKS5 server (issue 15, fwd_socks.c) on the two-stack harness: a
 * socks listener on 10.0.0.1:1080 (no users) and one on 1081 (alice and
 * bob, RFC 1929); node B is the client and the origin (10.0.0.2:80).  The
 * verifier runs when the test says (auth_verifier_run_once).
 */
#include <string.h>

#include <criterion/criterion.h>
#include <rte_byteorder.h>

#include "../tcp/tcp_test_util.h"
#include "acl/acl.h"
#include "auth/auth.h"
#include "fwd_test_util.h"
#include "log/alog.h"
#include "proxy/forward.h"
#include "proxy/fwd_acl.h"
#include "proxy_test_util.h"

TestSuite(fwd_socks);

/* sha256-crypt of "correct horse" (fast) */
#define HASH "$5$saltsalt$myjXcpMpE2Ofk7fj9hqyNYSn6lmWG4Mqnjx.KIRRr4/"

static struct auth_verifier *ver;
static struct auth_users *users;
static struct alog_ring *ring;

/* The greeting (00) and a CONNECT to 10.0.0.2:80. */
#define GREET_00  "\x05\x01\x00"
#define CONNECT_B "\x05\x01\x00\x01\x0a\x00\x00\x02\x00\x50"

static void
socks_setup(void)
{
	static const char text[] = "alice:" HASH "\nbob:" HASH "\n";
	struct conf_forward c;
	char err[256];

	ver = auth_verifier_new(1, 2);
	cr_assert_not_null(ver);
	ring = alog_ring_create(256);
	cr_assert_not_null(ring);
	users = auth_users_parse("users", text, strlen(text), NULL, NULL, 0,
	                         err, sizeof(err));
	cr_assert_not_null(users, "%s", err);
	ft_setup(&(struct ft_opts){.auth = ver, .alog = ring});
	c = cfg;
	c.socks = true;
	c.client_header_ms = 500;
	cr_assert_eq(
	    fwd_listen(fc, 0, TT_IP_A, RTE_BE16(1080), &c, TCP_CC_NEWRENO), 0);
	c.auth = users;
	cr_assert_eq(
	    fwd_listen(fc, 0, TT_IP_A, RTE_BE16(1081), &c, TCP_CC_NEWRENO), 0);
}

static void
socks_teardown(void)
{
	ft_teardown();
	auth_verifier_free(ver);
	auth_users_put(users);
	alog_ring_destroy(ring);
}

/* The client connected anew to 10.0.0.1:<port>. */
static void
connect_to(uint16_t port)
{
	struct tcp_conn *conn = NULL;

	memset(&cli, 0, sizeof(cli));
	cr_assert_eq(tcp_connect(tt_b.s, 0, TT_IP_B, TT_IP_A,
	                         rte_cpu_to_be_16(port), TCP_CC_NEWRENO,
	                         &peer_cbs, &cli, &conn),
	             0);
	run(5);
	cr_assert(cli.connected && !cli.closed);
}

/* Send <n> bytes and let everything run. */
static void
send_n(const char *p, uint32_t n)
{
	send_bytes(&cli, p, n, n);
	run(10);
}

/* The client got exactly <n> bytes <want>, and <closed>: a FIN. */
static void
expect_rx(const char *want, uint32_t n, bool closed)
{
	uint32_t i;

	cr_assert_eq(cli.rx_len, n, "got %u bytes, want %u", cli.rx_len, n);
	for (i = 0; i < n; i++)
		cr_assert_eq((uint8_t)cli.rx[i], (uint8_t)want[i],
		             "byte %u: %02x, want %02x", i, (uint8_t)cli.rx[i],
		             (uint8_t)want[i]);
	if (closed)
		cr_assert(cli.fin || cli.closed, "not closed");
}

/* The request goes up, the optimistic bytes behind it first, the reply
 * carries the upstream leg's address; then bytes both ways and a FIN. */
Test(fwd_socks, connect_optimistic_data_and_splice, .init = socks_setup,
     .fini = socks_teardown)
{
	static const char msg[] = GREET_00 CONNECT_B "early bytes";
	const struct alog_record *recs[16];
	unsigned n;

	connect_to(1080);
	send_n(msg, sizeof(msg) - 1);
	cr_assert_eq(cnt.socks_connected, 1);
	cr_assert_eq(cli.rx_len, 2 + 10);
	cr_assert_eq(
	    memcmp(cli.rx, "\x05\x00\x05\x00\x00\x01\x0a\x00\x00\x01", 10), 0,
	    "reply: BND.ADDR 10.0.0.1");
	cr_assert_eq(org.rx_len, 11);
	cr_assert_eq(memcmp(org.rx, "early bytes", 11), 0);
	send_str(&org, "from the origin");
	run(10);
	cr_assert_eq(cli.rx_len, 12 + 15);
	cr_assert_eq(memcmp(cli.rx + 12, "from the origin", 15), 0);
	send_str(&cli, " and more");
	run(10);
	cr_assert_eq(org.rx_len, 20);
	tcp_shutdown(org.c);
	run(10);
	cr_assert(cli.fin, "the origin's FIN reached the client");
	/* the session's access-log record: the bytes each way, the
	 * handshake's included (greeting 3 + request 10 + 11 + 9 from the
	 * client; method 2 + reply 10 + 15 to it) */
	tcp_shutdown(cli.c);
	run(20);
	n = alog_ring_peek(ring, recs, 16);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(recs[0]->method, "SOCKS5");
	cr_assert_str_eq(recs[0]->url, "10.0.0.2:80");
	cr_assert_eq(recs[0]->status, 0);
	cr_assert_eq(recs[0]->bytes_from_client, 3 + 10 + 11 + 9);
	cr_assert_eq(recs[0]->bytes_to_client, 2 + 10 + 15);
	alog_ring_release(ring, n);
}

struct bad_case {
	const char *name;
	const char *in;
	uint32_t in_len;
	const char *out;
	uint32_t out_len;
};

#define S(x) x, sizeof(x) - 1

/* Malformed and refused handshakes: the reply of the phase, a close. */
Test(fwd_socks, malformed_table, .init = socks_setup, .fini = socks_teardown)
{
	static const struct bad_case cases[] = {
	    {"socks4", S("\x04\x01\x00\x50\x0a\x00\x00\x02"), S("")},
	    {"nmethods 0", S("\x05\x00"), S("\x05\xff")},
	    {"gssapi only", S("\x05\x01\x01"), S("\x05\xff")},
	    {"rsv 1", S(GREET_00 "\x05\x01\x01\x01\x0a\x00\x00\x02\x00\x50"),
	     S("\x05\x00\x05\x01\x00\x01\x00\x00\x00\x00\x00\x00")},
	    {"request version 4",
	     S(GREET_00 "\x04\x01\x00\x01\x0a\x00\x00\x02\x00\x50"),
	     S("\x05\x00\x05\x01\x00\x01\x00\x00\x00\x00\x00\x00")},
	    {"atyp 9", S(GREET_00 "\x05\x01\x00\x09"),
	     S("\x05\x00\x05\x08\x00\x01\x00\x00\x00\x00\x00\x00")},
	    {"ipv6",
	     S(GREET_00 "\x05\x01\x00\x04"
	                "\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00"
	                "\x00\x00\x01\x00\x50"),
	     S("\x05\x00\x05\x08\x00\x01\x00\x00\x00\x00\x00\x00")},
	    {"bind", S(GREET_00 "\x05\x02\x00\x01\x0a\x00\x00\x02\x00\x50"),
	     S("\x05\x00\x05\x07\x00\x01\x00\x00\x00\x00\x00\x00")},
	    {"udp", S(GREET_00 "\x05\x03\x00\x01\x0a\x00\x00\x02\x00\x50"),
	     S("\x05\x00\x05\x07\x00\x01\x00\x00\x00\x00\x00\x00")},
	    {"loopback", S(GREET_00 "\x05\x01\x00\x01\x7f\x00\x00\x01\x00\x50"),
	     S("\x05\x00\x05\x02\x00\x01\x00\x00\x00\x00\x00\x00")},
	    {"bad name",
	     S(GREET_00 "\x05\x01\x00\x03\x03"
	                "a b\x00\x50"),
	     S("\x05\x00\x05\x04\x00\x01\x00\x00\x00\x00\x00\x00")},
	    {"own address",
	     S(GREET_00 "\x05\x01\x00\x01\x0a\x00\x00\x01\x00\x50"),
	     S("\x05\x00\x05\x02\x00\x01\x00\x00\x00\x00\x00\x00")},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		connect_to(1080);
		send_n(cases[i].in, cases[i].in_len);
		cr_assert_eq(cli.rx_len, cases[i].out_len, "%s: %u bytes",
		             cases[i].name, cli.rx_len);
		cr_assert_eq(memcmp(cli.rx, cases[i].out, cases[i].out_len), 0,
		             "%s: wrong reply", cases[i].name);
		cr_assert(cli.fin || cli.closed, "%s: not closed",
		          cases[i].name);
	}
	cr_assert_eq(cnt.socks_bad_version, 2);
	cr_assert_eq(cnt.socks_bad_greeting, 1);
	cr_assert_eq(cnt.socks_no_method, 1);
	cr_assert_eq(cnt.socks_bad_request, 2); /* rsv 1, atyp 9 */
	cr_assert_eq(cnt.socks_rep_cmd, 2);
	cr_assert_eq(cnt.socks_rep_atyp, 2);
	cr_assert_eq(cnt.socks_rep_not_allowed, 2);
	cr_assert_eq(cnt.socks_rep_host_unreach, 1);
	cr_assert_eq(cnt.socks_connected, 0);
	cr_assert_eq(origin_requests(), 0);
}

/* A slow greeting is cut by the handshake timeout; a greeting cut by a
 * FIN is counted as truncated. */
Test(fwd_socks, handshake_timeout_and_truncated, .init = socks_setup,
     .fini = socks_teardown)
{
	connect_to(1080);
	send_n("\x05\x02\x00", 3);
	cr_assert_eq(cli.rx_len, 0);
	run(600);
	cr_assert(cli.fin || cli.closed);
	cr_assert_eq(cnt.socks_handshake_timeout, 1);
	connect_to(1080);
	send_n("\x05\x03\x00", 3);
	tcp_shutdown(cli.c);
	run(10);
	cr_assert(cli.fin || cli.closed);
	cr_assert_eq(cnt.socks_truncated, 1);
}

/* 1081 offers 02 only; a wrong password gets 01 01; alice's gets 01 00
 * and her CONNECT goes, logged with her name. */
Test(fwd_socks, userpass_verifier, .init = socks_setup, .fini = socks_teardown)
{
	static const char bad[] = "\x05\x01\x02"
	                          "\x01\x05"
	                          "alice\x05wrong";
	static const char good[] = "\x05\x02\x00\x02"
	                           "\x01\x05"
	                           "alice\x0d"
	                           "correct horse" CONNECT_B;
	const struct alog_record *recs[16];
	uint32_t n;

	connect_to(1081);
	send_n(GREET_00, 3);
	expect_rx("\x05\xff", 2, true);
	connect_to(1081);
	send_n(bad, sizeof(bad) - 1);
	expect_rx("\x05\x02", 2, false); /* the verifier has it */
	cr_assert_eq(auth_verifier_run_once(ver), 1);
	run(5);
	expect_rx("\x05\x02\x01\x01", 4, true);
	cr_assert_eq(cnt.socks_auth_failed, 1);
	connect_to(1081);
	send_n(good, sizeof(good) - 1);
	cr_assert_eq(auth_verifier_run_once(ver), 1);
	run(10);
	cr_assert_eq(cli.rx_len, 14); /* BND.PORT: the leg's own */
	cli.rx_len = 12;
	expect_rx("\x05\x02\x01\x00\x05\x00\x00\x01\x0a\x00\x00\x01", 12,
	          false);
	cr_assert_eq(cnt.socks_auth_ok, 1);
	cr_assert_eq(cnt.socks_connected, 1);
	tcp_shutdown(cli.c);
	tcp_shutdown(org.c);
	run(20);
	n = alog_ring_peek(ring, recs, 16);
	cr_assert_geq(n, 3);
	cr_assert_str_eq(recs[n - 1]->user, "alice");
	cr_assert_str_eq(recs[n - 1]->method, "SOCKS5");
	cr_assert_str_eq(recs[n - 1]->url, "10.0.0.2:80");
	cr_assert_eq(recs[n - 1]->status, 0);
	alog_ring_release(ring, n);
}

/* ---- the judging shared with `gatehousectl acl test` (fwd_acl.h) ---- */

/* Rules at lines 10..13: deny port 81, deny .example.com, allow alice,
 * allow dst 10.0.0.2; else the default deny. */
static struct acl_set *
socks_rules(void)
{
	static const char *const names[] = {"p81", "bad", "alice", "b"};
	static const enum acl_action act[] = {ACL_DENY, ACL_DENY, ACL_ALLOW,
	                                      ACL_ALLOW};
	struct acl_build *b = acl_build_new();
	struct acl_set *set;
	struct acl_err err;
	unsigned i;

	cr_assert_not_null(b);
	cr_assert_eq(acl_elem_add(b, "p81", ACL_KIND_PORT, "81", &err), 0);
	cr_assert_eq(
	    acl_elem_add(b, "bad", ACL_KIND_DSTDOMAIN, ".example.com", &err),
	    0);
	cr_assert_eq(acl_elem_add(b, "alice", ACL_KIND_USER, "alice", &err), 0);
	cr_assert_eq(acl_elem_add(b, "b", ACL_KIND_DST, "10.0.0.2/32", &err),
	             0);
	for (i = 0; i < 4; i++)
		cr_assert_eq(
		    acl_rule_add(b, act[i], 10 + i, &names[i], NULL, 1, &err),
		    0, "%s", err.msg);
	set = acl_compile(b, &err);
	cr_assert_not_null(set, "%s", err.msg);
	return set;
}

static struct acl_set *socks_set; /* outlives the listener using it */

static void
socks_acl_teardown(void)
{
	socks_teardown();
	acl_set_free(socks_set);
	socks_set = NULL;
}

/* fwd_acl_judge_socks() decides on source, user, host and port as the
 * sessions' request stage, fwd_acl_judge_dst() with CONNECT on the
 * address; a socks listener with the same rules answers as they say. */
Test(fwd_socks, acl_judge_socks_as_the_sessions_do, .init = socks_setup,
     .fini = socks_acl_teardown)
{
	struct acl_set *set = socks_set = socks_rules();
	struct fwd_acl_who who = {.src_ip = 0x0a000002u};
	struct acl_str alice = {"alice", 5};
	struct conf_forward c = cfg;
	struct acl_verdict v;

	fwd_acl_judge_socks(set, &who, "10.0.0.2", 8, 81, "10.0.0.2:81", &v);
	cr_assert_eq(v.action, ACL_DENY);
	cr_assert_eq(v.line, 10);
	fwd_acl_judge_socks(set, &who, "WWW.Example.COM", 15, 80,
	                    "WWW.Example.COM:80", &v);
	cr_assert_eq(v.action, ACL_DENY);
	cr_assert_eq(v.line, 11, "the name is a dstdomain, case and all");
	fwd_acl_judge_socks(set, &who, "10.0.0.2", 8, 80, "10.0.0.2:80", &v);
	cr_assert_eq(v.reason, ACL_R_NEED_DST);
	cr_assert_eq(v.line, 13);
	fwd_acl_judge_dst(set, &who, HTTP_M_CONNECT, false, 0x0a000002u, 80,
	                  &v);
	cr_assert_eq(v.action, ACL_ALLOW);
	cr_assert_eq(v.line, 13);
	fwd_acl_judge_dst(set, &who, HTTP_M_CONNECT, false, 0x0a000003u, 80,
	                  &v);
	cr_assert_eq(v.reason, ACL_R_DEFAULT);
	who.user = &alice;
	fwd_acl_judge_socks(set, &who, "origin.lab.test", 15, 80,
	                    "origin.lab.test:80", &v);
	cr_assert_eq(v.action, ACL_ALLOW);
	cr_assert_eq(v.line, 12, "the user's rule");

	/* the sessions: port 81 refused (02) before any connect, port 80
	 * allowed by the dst rule on the address (00) */
	c.socks = true;
	c.acl = set;
	c.n_allow_src = 0; /* the rules decide */
	cr_assert_eq(
	    fwd_listen(fc, 0, TT_IP_A, RTE_BE16(1082), &c, TCP_CC_NEWRENO), 0);
	connect_to(1082);
	send_n(GREET_00 "\x05\x01\x00\x01\x0a\x00\x00\x02\x00\x51", 13);
	expect_rx("\x05\x00\x05\x02\x00\x01\x00\x00\x00\x00\x00\x00", 12, true);
	cr_assert_eq(cnt.fwd_upstream_new, 0);
	connect_to(1082);
	send_n(GREET_00 CONNECT_B, 13);
	cr_assert_eq(cli.rx_len, 12);
	cr_assert_eq(memcmp(cli.rx, "\x05\x00\x05\x00", 4), 0);
	cr_assert_eq(cnt.socks_connected, 1);
	tcp_shutdown(cli.c);
	tcp_shutdown(org.c);
	run(20);
}

/* Authenticated by the verifier, then silent: the request phase is timed
 * too (the verifier's answer stopped the only timer once). */
Test(fwd_socks, request_after_verifier_is_timed, .init = socks_setup,
     .fini = socks_teardown)
{
	static const char auth[] = "\x05\x01\x02"
	                           "\x01\x05"
	                           "alice\x0d"
	                           "correct horse";

	connect_to(1081);
	send_n(auth, sizeof(auth) - 1);
	cr_assert_eq(auth_verifier_run_once(ver), 1);
	run(10);
	expect_rx("\x05\x02\x01\x00", 4, false);
	cr_assert(!cli.fin && !cli.closed);
	run(600);
	cr_assert(cli.fin || cli.closed, "held open without a request");
	cr_assert_eq(cnt.socks_handshake_timeout, 1);
	cr_assert_eq(cnt.socks_requests, 0);
}

/* CONNECT to port 0 is refused with 02, never attempted. */
Test(fwd_socks, connect_port_zero_refused, .init = socks_setup,
     .fini = socks_teardown)
{
	connect_to(1080);
	send_n(GREET_00 "\x05\x01\x00\x01\x0a\x00\x00\x02\x00\x00", 13);
	expect_rx("\x05\x00\x05\x02\x00\x01\x00\x00\x00\x00\x00\x00", 12, true);
	cr_assert_eq(cnt.socks_rep_not_allowed, 1);
	connect_to(1080);
	send_n(GREET_00 "\x05\x01\x00\x03\x01"
	                "b\x00\x00",
	       11);
	expect_rx("\x05\x00\x05\x02\x00\x01\x00\x00\x00\x00\x00\x00", 12, true);
	cr_assert_eq(cnt.socks_rep_not_allowed, 2);
	cr_assert_eq(cnt.socks_connected, 0);
	cr_assert_eq(origin_requests(), 0);
}

/* The connect's failures have their own reply codes (RFC 1928 6): a
 * reset to the SYN is 05 (connection refused), no answer within
 * timeout-connect-ms is 06 (TTL expired, as Dante answers a timeout). */
Test(fwd_socks, refused_is_05_and_connect_timeout_is_06, .init = socks_setup,
     .fini = socks_teardown)
{
	struct conf_forward c = cfg;

	c.socks = true;
	c.connect_ms = 200;
	cr_assert_eq(
	    fwd_listen(fc, 0, TT_IP_A, RTE_BE16(1083), &c, TCP_CC_NEWRENO), 0);
	/* 10.0.0.2:81: nobody listens, the origin's stack resets */
	connect_to(1083);
	send_n(GREET_00 "\x05\x01\x00\x01\x0a\x00\x00\x02\x00\x51", 13);
	run(20);
	expect_rx("\x05\x00\x05\x05\x00\x01\x00\x00\x00\x00\x00\x00", 12, true);
	cr_assert_eq(cnt.socks_rep_refused, 1);
	/* 10.0.0.3:80: no host answers */
	connect_to(1083);
	send_n(GREET_00 "\x05\x01\x00\x01\x0a\x00\x00\x03\x00\x50", 13);
	run(10);
	cr_assert_eq(cli.rx_len, 2, "answered before the connect timed out");
	run(400);
	expect_rx("\x05\x00\x05\x06\x00\x01\x00\x00\x00\x00\x00\x00", 12, true);
	cr_assert_eq(cnt.socks_rep_ttl_expired, 1);
	cr_assert_eq(cnt.socks_connected, 0);
	/* the SYN waiting for 10.0.0.3's ARP answer is dropped in time: the
	 * mbuf is back in its pool at the teardown */
	run(1200); /* tcp_test_util.c: arp_pending_timeout_ms 1000 */
}
