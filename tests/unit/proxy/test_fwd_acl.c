/*
 * The forward proxy's access rules (issue 13, fwd_acl.c): a second
 * listener on 10.0.0.1:3129 gets a set compiled from Squid-like lines;
 * the client (node B) talks to it.  A denied request is a 403 that never
 * reaches the origin nor the cache; a dst rule is judged on the address
 * connected to.
 */
#include <string.h>
#include <time.h>

#include <criterion/criterion.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "../tcp/tcp_test_util.h"
#include "acl/acl.h"
#include "common/gh_common.h"
#include "dns/dns.h"
#include "net/net.h"
#include "fwd_test_util.h"
#include "proxy_test_util.h"
#include "http/http.h"
#include "proxy/forward.h"
#include "proxy/fwd_acl.h"
#include "proxy/proxy_live.h"

TestSuite(fwd_acl);

static struct acl_set *set;

/* Squid's letter of the local weekday <ahead> days from now. */
static const char *
day_letter(int ahead)
{
	static const char *const letters[] = {"S", "M", "T", "W",
	                                      "H", "F", "A"};
	time_t t = time(NULL);
	struct tm tm;

	cr_assert_not_null(localtime_r(&t, &tm));
	return letters[(tm.tm_wday + ahead) % 7];
}

/* Elements of the tests, then <rules> as "allow|deny NAME" pairs, on
 * a listener on <port>. */
static void
acl_listen_port(uint16_t port, const char *const *rules, unsigned n)
{
	struct acl_build *b = acl_build_new();
	struct conf_forward c = cfg;
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
	cr_assert_eq(
	    acl_elem_add(b, "today", ACL_KIND_TIME, day_letter(0), &err), 0);
	cr_assert_eq(
	    acl_elem_add(b, "tomorrow", ACL_KIND_TIME, day_letter(1), &err), 0);
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
	cr_assert(ft_listen_connect(port, &c),
	          "the rules reset the client at accept");
}

static void
acl_listen(const char *const *rules, unsigned n)
{
	acl_listen_port(3129, rules, n);
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

/* <req> on a listener with <rules> is a 403 by the rule at <line>. */
static void
denied_by_rule(const char *const *rules, unsigned n, const char *req,
               const char *line)
{
	acl_listen(rules, n);
	send_str(&cli, req);
	run(20);
	expect_403(line);
}

Test(fwd_acl, denied_method_is_403_and_nothing_goes_upstream, .init = fwd_setup,
     .fini = acl_teardown)
{
	static const char *const rules[] = {"deny", "posts", "allow", "all"};

	denied_by_rule(rules, 4,
	               "POST http://10.0.0.2/ HTTP/1.1\r\nHost: 10.0.0.2\r\n"
	               "Content-Length: 0\r\n\r\n",
	               "rule at line 100");
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

	denied_by_rule(rules, 4,
	               "GET http://WWW.Example.COM./ HTTP/1.1\r\n"
	               "Host: www.example.com\r\n\r\n",
	               "rule at line 100");
	cr_assert_eq(cnt.fwd_acl_denied, 1);
	cr_assert_eq(cnt.fwd_err_502_dns, 0);
}

/* A dst rule waits for the address, then refuses it at connect. */
Test(fwd_acl, dst_rule_judged_on_the_address_connected_to, .init = fwd_setup,
     .fini = acl_teardown)
{
	static const char *const rules[] = {"deny", "origin", "allow", "all"};

	denied_by_rule(rules, 4,
	               "GET http://10.0.0.2/ HTTP/1.1\r\nHost: 10.0.0.2\r\n"
	               "\r\n",
	               "rule at line 100");
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

/* What lib/conf makes of a listener with allow-src and no http-access:
 * `allow gh.allow-src`.  A client inside gets through as before; one
 * outside allow-src is still reset at accept, before any rule runs. */
Test(fwd_acl, allow_src_only_behaves_as_before, .init = fwd_setup,
     .fini = acl_teardown)
{
	static const char *const names[] = {"gh.allow-src"};
	struct acl_build *b = acl_build_new();
	struct conf_forward c = cfg, other;
	struct acl_err err;

	cr_assert_eq(
	    acl_elem_add(b, names[0], ACL_KIND_SRC, "10.0.0.2/32", &err), 0);
	cr_assert_eq(acl_rule_add(b, ACL_ALLOW, 7, names, NULL, 1, &err), 0);
	set = acl_compile(b, &err);
	cr_assert_not_null(set);
	c.acl = set; /* allow-src (node B) kept as ft_setup() gave it */
	other = c;
	other.allow_src[0].addr_be = TT_IP(10, 9, 9, 9);
	cr_assert(ft_listen_connect(3129, &c));
	send_str(&cli, "GET http://10.0.0.2/ HTTP/1.1\r\nHost: 10.0.0.2\r\n"
	               "\r\n");
	run(10);
	cr_assert_eq(origin_requests(), 1);
	cr_assert_eq(cnt.fwd_acl_denied, 0);
	tcp_close(cli.c);
	run(10);
	cr_assert_not(ft_listen_connect(3130, &other),
	              "a client outside allow-src was accepted");
	cr_assert(cli.closed);
	cr_assert_eq(cnt.fwd_denied_src, 1);
}

/* ---- names that resolve to where they must not lead ---- */

/* The A record node B's fake name server gives every question. */
static uint32_t answer_ip_be;

/* Node B as a name server: each query becomes an answer (one A record,
 * TTL 60) queued on B's port for the wire to carry to A. */
static unsigned
fake_dns(void *arg, unsigned port_idx, struct rte_mbuf **pkts, unsigned n)
{
	static const uint8_t rr[12] = {0xc0, 0x0c, 0, 1,  0, 1,
	                               0,    0,    0, 60, 0, 4};
	struct net_txbuf *tb = net_port_txbuf(&tt_b.net, 0);
	unsigned i;

	(void)arg;
	(void)port_idx;
	for (i = 0; i < n; i++) {
		struct rte_mbuf *w = rte_pktmbuf_alloc(tt_pool);
		uint32_t len = rte_pktmbuf_pkt_len(pkts[i]);
		struct rte_ether_hdr *eth;
		struct rte_ipv4_hdr *ip;
		struct rte_udp_hdr *udp;
		struct rte_ether_addr mac;
		uint8_t *d, *dns_h;
		uint32_t a;
		uint16_t port;

		cr_assert_not_null(w);
		d = (uint8_t *)rte_pktmbuf_append(w, (uint16_t)(len + 16));
		cr_assert_not_null(d);
		memcpy(d, rte_pktmbuf_mtod(pkts[i], void *), len);
		rte_pktmbuf_free(pkts[i]);
		eth = (struct rte_ether_hdr *)d;
		ip = (struct rte_ipv4_hdr *)(eth + 1);
		udp = (struct rte_udp_hdr *)(ip + 1);
		dns_h = (uint8_t *)(udp + 1);
		mac = eth->src_addr;
		eth->src_addr = eth->dst_addr;
		eth->dst_addr = mac;
		a = ip->src_addr;
		ip->src_addr = ip->dst_addr;
		ip->dst_addr = a;
		port = udp->src_port;
		udp->src_port = udp->dst_port;
		udp->dst_port = port;
		dns_h[2] = 0x81; /* QR, RD */
		dns_h[3] = 0x80; /* RA, NOERROR */
		dns_h[7] = 1;    /* ANCOUNT 1 */
		memcpy(d + len, rr, sizeof(rr));
		memcpy(d + len + sizeof(rr), &answer_ip_be, 4);
		ip->total_length = rte_cpu_to_be_16(
		    (uint16_t)(rte_be_to_cpu_16(ip->total_length) + 16));
		udp->dgram_len = rte_cpu_to_be_16(
		    (uint16_t)(rte_be_to_cpu_16(udp->dgram_len) + 16));
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		udp->dgram_cksum = 0;
		udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
		cr_assert_lt(tb->n, GH_ARRAY_SIZE(tb->pkts));
		tb->pkts[tb->n++] = w;
	}
	return 0;
}

static void
name_server_up(uint32_t ip_be)
{
	answer_ip_be = ip_be;
	cr_assert_eq(net_proto_register(&tt_b.net, IPPROTO_UDP, fake_dns, NULL),
	             0);
	cr_assert_eq(
	    net_proto_register(&tt_a.net, IPPROTO_UDP, dns_input_burst, dns),
	    0);
}

/* A name that resolves to 127.0.0.1 is refused like the literal. */
Test(fwd_acl, name_resolving_to_loopback_refused, .init = fwd_setup,
     .fini = acl_teardown)
{
	static const char *const rules[] = {"allow", "all"};

	acl_listen(rules, 2);
	name_server_up(RTE_BE32(0x7f000001));
	send_str(&cli, "GET http://loop.test/ HTTP/1.1\r\nHost: loop.test\r\n"
	               "\r\n");
	run(20);
	cr_assert(strncmp(cli.rx, "HTTP/1.1 403 ", 13) == 0, "client got: %s",
	          cli.rx);
	cr_assert(strstr(cli.rx, "not routable") != NULL, "%s", cli.rx);
	cr_assert_eq(cnt.fwd_denied_dst, 1);
	cr_assert_eq(cnt.fwd_err_502_dns, 0);
	cr_assert_eq(origin_requests(), 0);
}

/* A dst rule judges the address the name resolved to. */
Test(fwd_acl, dst_rule_judges_the_resolved_address, .init = fwd_setup,
     .fini = acl_teardown)
{
	static const char *const rules[] = {"deny", "origin", "allow", "all"};

	name_server_up(TT_IP_B);
	denied_by_rule(rules, 4,
	               "GET http://www.origin.test/ HTTP/1.1\r\n"
	               "Host: www.origin.test\r\n\r\n",
	               "rule at line 100");
	cr_assert_eq(cnt.fwd_acl_denied_dst, 1);
	cr_assert_eq(cnt.fwd_err_502_dns, 0);
}

/* The weekday a time acl sees is the local one (off by one day, today's
 * deny would not match and tomorrow's would). */
Test(fwd_acl, time_acl_sees_the_local_weekday, .init = fwd_setup,
     .fini = acl_teardown)
{
	static const char *const rules[] = {"deny",  "tomorrow", "deny",
	                                    "today", "allow",    "all"};

	denied_by_rule(rules, 6,
	               "GET http://10.0.0.2/ HTTP/1.1\r\nHost: 10.0.0.2\r\n"
	               "\r\n",
	               "rule at line 101");
}

/* ---- live versions (issue 13 item 2) ---- */

static struct proxy_live *live_slot, *live_v1, *live_v2;
static struct acl_set *deny_set;
static struct conf_forward live_allow, live_deny;

static void
live_teardown(void)
{
	acl_teardown(); /* the sessions end: they read the slot */
	proxy_live_free(live_v1);
	proxy_live_free(live_v2);
	acl_set_free(deny_set);
	live_slot = live_v1 = live_v2 = NULL;
	deny_set = NULL;
}

/* A version of the two listeners: the harness's (cfg) and ours on 3129. */
static struct proxy_live *
live_version(uint64_t n, const struct conf_forward *ours)
{
	struct proxy_live *v = proxy_live_new(n, NULL);

	cr_assert_not_null(v);
	v->n_fwd = 2;
	v->fwd[0] = &cfg;
	v->fwd[1] = ours;
	return v;
}

/* A request in flight when a reload denies everything is answered under
 * the version it started with (and holds it until it ends); the next one
 * on the same connection is judged by the new version. */
Test(fwd_acl, a_request_is_judged_by_one_version, .fini = live_teardown)
{
	static const char *const rules[] = {"allow", "all"};
	const char *all = "all";
	struct acl_build *b = acl_build_new();
	struct acl_err err;

	ft_setup(&(struct ft_opts){.live = &live_slot});
	acl_listen(rules, 2); /* listener 1: allow all */
	live_allow = cfg;
	live_allow.acl = set;
	live_allow.n_allow_src = 0;
	cr_assert_not_null(b);
	cr_assert_eq(acl_elem_add(b, "all", ACL_KIND_SRC, "0.0.0.0/0", &err),
	             0);
	cr_assert_eq(acl_rule_add(b, ACL_DENY, 7, &all, NULL, 1, &err), 0);
	deny_set = acl_compile(b, &err);
	cr_assert_not_null(deny_set, "%s", err.msg);
	live_deny = live_allow;
	live_deny.acl = deny_set;
	live_deny.via = false; /* and the response heads change too */
	live_v1 = live_version(1, &live_allow);
	live_slot = live_v1;

	cr_assert(ft_get("/slow", "", NULL), "the request did not go up");
	cr_assert_eq(proxy_live_held(live_v1), 1);
	live_v2 = live_version(2, &live_deny); /* the reload */
	live_slot = live_v2;
	send_str(&org, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
	run(10);
	cr_assert(strncmp(cli.rx, "HTTP/1.1 200 ", 13) == 0, "client got: %s",
	          cli.rx);
	cr_assert(strstr(cli.rx, "\r\nVia: ") != NULL,
	          "the response was not written under its version: %s", cli.rx);
	cr_assert_eq(proxy_live_held(live_v1), 0, "the old version still held");
	cli.rx_len = 0;
	cli.rx[0] = '\0';
	send_str(&cli, "GET http://10.0.0.2/again HTTP/1.1\r\n"
	               "Host: 10.0.0.2\r\n\r\n");
	run(20);
	cr_assert(strncmp(cli.rx, "HTTP/1.1 403 ", 13) == 0, "client got: %s",
	          cli.rx);
	cr_assert(strstr(cli.rx, "rule at line 7") != NULL, "%s", cli.rx);
	cr_assert_eq(cnt.fwd_acl_denied, 1);
	cr_assert_eq(proxy_live_held(live_v2), 0);
}

/* ---- the judging shared with `gatehousectl acl test` (fwd_acl.h) ---- */

/* fwd_acl_judge_head() on a head from the parser gives what the workers'
 * requests get, and fwd_acl_judge_dst() the second check's verdict. */
Test(fwd_acl, judge_head_and_dst_as_the_workers_do)
{
	static const char get[] = "GET http://WWW.Example.COM./a HTTP/1.1\r\n"
	                          "Host: www.example.com\r\n\r\n";
	static const char post[] =
	    "POST http://10.0.0.2/x HTTP/1.1\r\n"
	    "Host: 10.0.0.2\r\nContent-Length: 0\r\n\r\n";
	const char *names[] = {"bad", "posts", "origin"};
	struct fwd_acl_who who = {.src_ip = 0x0a000009u};
	struct acl_build *b = acl_build_new();
	struct http_limits lim;
	struct acl_verdict v;
	struct http_msg msg;
	struct acl_err err;

	cr_assert_eq(
	    acl_elem_add(b, "bad", ACL_KIND_DSTDOMAIN, ".example.com", &err),
	    0);
	cr_assert_eq(acl_elem_add(b, "posts", ACL_KIND_METHOD, "POST", &err),
	             0);
	cr_assert_eq(
	    acl_elem_add(b, "origin", ACL_KIND_DST, "10.0.0.2/32", &err), 0);
	cr_assert_eq(acl_rule_add(b, ACL_DENY, 7, &names[0], NULL, 1, &err), 0);
	cr_assert_eq(acl_rule_add(b, ACL_DENY, 8, &names[2], NULL, 1, &err), 0);
	cr_assert_eq(acl_rule_add(b, ACL_ALLOW, 9, &names[1], NULL, 1, &err),
	             0);
	set = acl_compile(b, &err);
	cr_assert_not_null(set);
	http_limits_default(&lim);
	http_msg_init(&msg, true, HTTP_M_OTHER);
	cr_assert_eq(http_parse_head(&msg, get, sizeof(get) - 1, &lim),
	             HTTP_OK);
	fwd_acl_judge_head(set, &msg, get, NULL, 0, &who, &v);
	cr_assert_eq(v.action, ACL_DENY);
	cr_assert_eq(v.reason, ACL_R_RULE);
	cr_assert_eq(v.line, 7); /* case and trailing dot: still the domain */
	http_msg_init(&msg, true, HTTP_M_OTHER);
	cr_assert_eq(http_parse_head(&msg, post, sizeof(post) - 1, &lim),
	             HTTP_OK);
	fwd_acl_judge_head(set, &msg, post, NULL, 0, &who, &v);
	cr_assert_eq(v.reason, ACL_R_NEED_DST);
	cr_assert_eq(v.line, 8);
	fwd_acl_judge_dst(set, &who, HTTP_M_POST, false, 0x0a000002u, 80, &v);
	cr_assert_eq(v.action, ACL_DENY);
	cr_assert_eq(v.line, 8);
	fwd_acl_judge_dst(set, &who, HTTP_M_POST, false, 0x0a000003u, 80, &v);
	cr_assert_eq(v.action, ACL_ALLOW);
	cr_assert_eq(v.line, 9);
	fwd_acl_judge_dst(set, &who, HTTP_M_GET, false, 0x0a000003u, 80, &v);
	cr_assert_eq(v.reason, ACL_R_DEFAULT);
	acl_set_free(set);
	set = NULL;
}

/* The fixed destination checks, each under its own name. */
Test(fwd_acl, dst_refusals_are_named)
{
	const struct proxy_port ports[] = {
	    {.addr_be = rte_cpu_to_be_32(0xc6120101u),
	     .mask_be = rte_cpu_to_be_32(0xffffff00u)},
	};
	static const struct {
		uint32_t ip;
		bool allow_private;
		enum fwd_dst_refusal want;
		const char *name;
	} cases[] = {
	    {0xc6120101u, false, FWD_DST_OWN, "builtin:own-address"},
	    {0xc61201ffu, false, FWD_DST_BROADCAST, "builtin:broadcast"},
	    {0x00000001u, false, FWD_DST_THIS_NET, "builtin:this-network"},
	    {0x7f000001u, true, FWD_DST_LOOPBACK, "builtin:loopback"},
	    {0xa9fea9feu, true, FWD_DST_LINK_LOCAL, "builtin:link-local"},
	    {0xe0000001u, true, FWD_DST_MULTICAST, "builtin:multicast"},
	    {0xffffffffu, true, FWD_DST_RESERVED, "builtin:reserved"},
	    {0x0a000001u, false, FWD_DST_PRIVATE, "implicit:allow-private-dst"},
	    {0x0a000001u, true, FWD_DST_OK, ""},
	    {0xc6130102u, false, FWD_DST_OK, ""},
	};
	unsigned i;

	for (i = 0; i < GH_ARRAY_SIZE(cases); i++) {
		enum fwd_dst_refusal r =
		    fwd_dst_refusal(ports, 1, cases[i].allow_private,
		                    rte_cpu_to_be_32(cases[i].ip));

		cr_assert_eq(r, cases[i].want, "case %u: %d", i, r);
		cr_assert_str_eq(fwd_dst_refusal_name(r), cases[i].name);
	}
}

/* ---- the verdict's rule in the access log ---- */

static struct alog_ring *log_ring;

static void
fwd_setup_log(void)
{
	log_ring = alog_ring_create(256);
	cr_assert_not_null(log_ring);
	ft_setup(&(struct ft_opts){.alog = log_ring});
}

static void
log_teardown(void)
{
	acl_teardown();
	alog_ring_destroy(log_ring);
	log_ring = NULL;
}

/* <req> sent on the client connection: the access-log lines it made. */
static const char *
logged(const char *req)
{
	send_str(&cli, req);
	run(20);
	return ft_log_lines(log_ring);
}

/* Each line names what decided: the rule's line for an allowed and a
 * denied request. */
Test(fwd_acl, the_log_names_the_deciding_rule, .init = fwd_setup_log,
     .fini = log_teardown)
{
	static const char *const rules[] = {"deny", "posts", "deny",
	                                    "bad",  "allow", "all"};
	const char *l;

	acl_listen(rules, 6);
	cr_assert(ft_get("/ok", "", "HTTP/1.1 204 No Content\r\n\r\n"));
	l = logged("GET http://www.example.com/ HTTP/1.1\r\n"
	           "Host: www.example.com\r\n\r\n");
	cr_assert_not_null(strstr(l, " http://10.0.0.2/ok - HIER_DIRECT/"
	                             "10.0.0.2 - rule:102\n"),
	                   "%s", l);
	cr_assert_not_null(strstr(l, " TCP_DENIED/403 "), "%s", l);
	cr_assert_not_null(strstr(l, " http://www.example.com/ - HIER_NONE/- "
	                             "text/html rule:101\n"),
	                   "%s", l);
}

#define GET_ORIGIN "GET http://10.0.0.2/ HTTP/1.1\r\nHost: 10.0.0.2\r\n\r\n"

/* A dst rule's verdict is logged once the address is known. */
Test(fwd_acl, the_log_names_the_dst_rule, .init = fwd_setup_log,
     .fini = log_teardown)
{
	static const char *const rules[] = {"deny", "origin"};
	const char *l;

	acl_listen(rules, 2);
	l = logged(GET_ORIGIN);
	cr_assert_not_null(strstr(l, " TCP_DENIED/403 "), "%s", l);
	cr_assert_not_null(strstr(l, " rule:100\n"), "%s", l);
}

/* No rule matched: "default"; a builtin refusal of the destination
 * (before the rules): its name. */
Test(fwd_acl, the_log_names_default_and_builtin, .init = fwd_setup_log,
     .fini = log_teardown)
{
	static const char *const rules[] = {"allow", "all"};
	const char *l;

	acl_listen(rules, 0);
	l = logged(GET_ORIGIN);
	cr_assert_not_null(strstr(l, " default\n"), "%s", l);
	acl_set_free(set);
	set = NULL;
	acl_listen_port(3130, rules, 2);
	l = logged("GET http://127.0.0.1/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
	cr_assert_not_null(strstr(l, " TCP_DENIED/403 "), "%s", l);
	cr_assert_not_null(strstr(l, " builtin:loopback\n"), "%s", l);
}
