/*
 * Reverse listeners (issue 14) on the two-stack harness: a configuration
 * parsed by lib/conf (pools of servers listening on node B's ports 81..83,
 * routes by Host and path), a reverse listener on 10.0.0.1:8080.  Routing
 * (421, 404, absolute-form, CONNECT's 405), round-robin over the servers,
 * the headers the servers get, the retry on another server after a
 * refused connect, the queue of a pool at max-conns (its turn, its
 * timeout), location-rewrite and the log's pool/server.
 */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "common/gh_common.h"
#include "conf/conf.h"
#include "fwd_test_util.h"

static struct conf *conf;
static struct conf_forward rcfg;
static struct peer srv[3];
/* more clients: static, their callbacks run until the teardown */
static struct peer cli2, cli3;
static struct alog_ring *ring;

#define CONF_TEXT                                              \
	"port in\n\trole inside\n\tdevice net_null0\n"         \
	"\taddress 10.0.0.1/24\n"                              \
	"pool web\n\tserver s1 10.0.0.2:81\n"                  \
	"\tserver s2 10.0.0.2:82\n\tserver s3 10.0.0.2:83\n"   \
	"pool api\n\tserver one 10.0.0.2:81 max-conns 1\n"     \
	"\tqueue-timeout-ms 200\n\tqueue-max 1\n"              \
	"pool flaky\n\tserver dead 10.0.0.2:90\n"              \
	"\tserver live 10.0.0.2:82\n"                          \
	"pool keep\n\tserver k0 10.0.0.2:83 idle-max 0\n"      \
	"pool eighty\n\tserver o 10.0.0.2:80\n"                \
	"listen site\n\tmode reverse\n\tbind 10.0.0.1:8080\n"  \
	"\troute www.a web\n\troute www.a/api api\n"           \
	"\troute *.flaky.test flaky\n\troute only.b/x web\n"   \
	"\troute 10.0.0.2 web\n\troute e80.test eighty\n"      \
	"\troute keep.test keep\n"                             \
	"\tforwarded on\n\tlocation-rewrite on\n"              \
	"listen site2\n\tmode reverse\n\tbind 10.0.0.1:8083\n" \
	"\troute www.a web\n\thttp-access deny secret\n"       \
	"\thttp-access allow\n"                                \
	"acl secret url_prefix /secret\n"

static void
rv_setup_with(bool cache)
{
	char err[CONF_ERR_MAX];
	unsigned i;

	ring = alog_ring_create(256);
	cr_assert_not_null(ring);
	ft_setup(&(struct ft_opts){.alog = ring, .cache = cache});
	conf = conf_parse("rv.conf", CONF_TEXT, strlen(CONF_TEXT), err,
	                  sizeof(err));
	cr_assert_not_null(conf, "%s", err);
	rcfg = conf->listeners[0].fwd;
	rcfg.cache = cache;
	memset(srv, 0, sizeof(srv));
	for (i = 0; i < 3; i++)
		cr_assert_eq(tcp_listen(tt_b.s, 0, TT_IP_B,
		                        rte_cpu_to_be_16((uint16_t)(81 + i)),
		                        TCP_CC_NEWRENO, &peer_cbs, &srv[i]),
		             0);
	cr_assert(ft_listen_connect(8080, &rcfg));
}

static void
rv_setup(void)
{
	rv_setup_with(false);
}

static void
rv_setup_cache(void)
{
	rv_setup_with(true);
}

static void
rv_teardown(void)
{
	ft_teardown();
	conf_free(conf);
	conf = NULL;
	alog_ring_destroy(ring);
}

TestSuite(reverse, .init = rv_setup, .fini = rv_teardown, .timeout = 60);
TestSuite(reverse_cache, .init = rv_setup_cache, .fini = rv_teardown,
          .timeout = 60);

static void
clear_all(void)
{
	unsigned i;

	cli.rx_len = 0;
	cli.rx[0] = '\0';
	for (i = 0; i < 3; i++) {
		srv[i].rx_len = 0;
		srv[i].rx[0] = '\0';
	}
}

/* Peer <p> connected (anew) to the listener on <port>: a connection it
 * still has is reset first (its callbacks find <p>). */
static void
peer_to(struct peer *p, uint16_t port)
{
	struct tcp_conn *c = NULL;

	if (p->c != NULL) {
		tcp_abort(p->c);
		run(2);
	}
	memset(p, 0, sizeof(*p));
	cr_assert_eq(tcp_connect(tt_b.s, 0, TT_IP_B, TT_IP_A,
	                         rte_cpu_to_be_16(port), TCP_CC_NEWRENO,
	                         &peer_cbs, p, &c),
	             0);
	run(5);
	cr_assert(p->connected);
}

/* "GET <path>" with Host www.a on a new connection to <port>: answered
 * with <status> by the proxy, sent to no server. */
static void
get_refused(uint16_t port, const char *path, const char *status)
{
	char req[256];
	int i;

	peer_to(&cli, port);
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: www.a\r\n\r\n",
	         path);
	clear_all();
	send_str(&cli, req);
	run(10);
	for (i = 0; i < 3; i++)
		cr_assert_eq(srv[i].rx_len, 0, "%s reached a server", path);
	cr_assert(strstr(cli.rx, status) != NULL, "%s: %s", path, cli.rx);
}

/* The same to the site on 8080. */
static void
peer_to_site(struct peer *p)
{
	peer_to(p, 8080);
}

/* The server that got a request since clear_all(), or -1. */
static int
which_server(void)
{
	int i, got = -1;

	for (i = 0; i < 3; i++) {
		if (srv[i].rx_len == 0)
			continue;
		cr_assert_eq(got, -1, "two servers got the request");
		got = i;
	}
	return got;
}

/* <req> from the client; the server that got it answers <resp>. */
static int
exchange(const char *req, const char *resp)
{
	int i;

	clear_all();
	send_str(&cli, req);
	run(10);
	i = which_server();
	if (i >= 0 && resp != NULL) {
		send_str(&srv[i], resp);
		run(10);
	}
	return i;
}

#define OK_RESP "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

Test(reverse, round_robin_and_headers)
{
	unsigned hits[3] = {0}, i;
	int k;

	for (i = 0; i < 6; i++) {
		k = exchange("GET /p HTTP/1.1\r\nHost: www.a\r\n"
		             "Forwarded: for=6.6.6.6\r\n\r\n",
		             OK_RESP);
		cr_assert_geq(k, 0, "request %u reached no server", i);
		hits[k]++;
		cr_assert(strstr(cli.rx, "HTTP/1.1 200 OK") != NULL, "%s",
		          cli.rx);
		cr_assert(strstr(srv[k].rx, "GET /p HTTP/1.1\r\n") != NULL);
		cr_assert(strstr(srv[k].rx, "Host: www.a\r\n") != NULL);
		cr_assert(strstr(srv[k].rx, "X-Forwarded-Proto: http\r\n"));
		cr_assert(strstr(srv[k].rx, "X-Forwarded-For: 10.0.0.2\r\n"));
		cr_assert(strstr(srv[k].rx,
		                 "Forwarded: for=10.0.0.2;proto=http;"
		                 "host=\"www.a\"\r\n"),
		          "%s", srv[k].rx);
		cr_assert(strstr(srv[k].rx, "6.6.6.6") == NULL,
		          "the client's Forwarded is replaced");
	}
	for (i = 0; i < 3; i++)
		cr_assert_eq(hits[i], 2, "server %u got %u of 6", i, hits[i]);
	cr_assert_eq(cnt.rev_requests, 6);
	cr_assert(strstr(ft_log_lines(ring), "FIRST_UP_PARENT/web/s") != NULL);
}

Test(reverse, misdirected_and_not_found)
{
	cr_assert_eq(
	    exchange("GET / HTTP/1.1\r\nHost: nobody.example\r\n\r\n", NULL),
	    -1);
	cr_assert(strstr(cli.rx, "HTTP/1.1 421 ") != NULL, "%s", cli.rx);
	cr_assert(strstr(cli.rx, "10.0.0.2") == NULL, "no address");
	cr_assert_eq(cnt.rev_no_route_421, 1);
	cr_assert(ft_listen_connect(8081, &rcfg));
	cr_assert_eq(exchange("GET /y HTTP/1.1\r\nHost: only.b\r\n\r\n", NULL),
	             -1);
	cr_assert(strstr(cli.rx, "HTTP/1.1 404 ") != NULL, "%s", cli.rx);
	cr_assert_eq(cnt.rev_no_route_404, 1);
}

Test(reverse, absolute_form_routes_by_its_authority)
{
	int k = exchange("GET http://WWW.A/api/v HTTP/1.1\r\nHost: only.b\r\n"
	                 "\r\n",
	                 OK_RESP);

	cr_assert_eq(k, 0, "the api pool's one server is on 81: %d", k);
	cr_assert(strstr(srv[0].rx, "GET /api/v HTTP/1.1\r\n") != NULL, "%s",
	          srv[0].rx);
	cr_assert(strstr(srv[0].rx, "Host: WWW.A\r\n") != NULL, "%s",
	          srv[0].rx);
	cr_assert(strstr(srv[0].rx, "only.b") == NULL);
}

/* The FTP gateway is the forward proxy's: a site has no ftp:// URLs. */
Test(reverse, ftp_url_is_400)
{
	cr_assert_eq(exchange("GET ftp://www.a/pub/f HTTP/1.1\r\nHost: www.a"
	                      "\r\n\r\n",
	                      NULL),
	             -1);
	cr_assert(strstr(cli.rx, "HTTP/1.1 400 ") != NULL, "%s", cli.rx);
	cr_assert(strstr(cli.rx, "serves no ftp:// URLs") != NULL, "%s",
	          cli.rx);
	cr_assert_eq(cnt.ftp_requests, 0);
}

Test(reverse, connect_is_405_without_connect_in_allow)
{
	cr_assert_eq(exchange("CONNECT www.a:443 HTTP/1.1\r\nHost: www.a:443"
	                      "\r\n\r\n",
	                      NULL),
	             -1);
	cr_assert(strstr(cli.rx, "HTTP/1.1 405 ") != NULL, "%s", cli.rx);
	cr_assert(strstr(cli.rx, "Allow: GET, HEAD, POST, PUT, DELETE, "
	                         "OPTIONS, PATCH\r\n") != NULL,
	          "%s", cli.rx);
}

Test(reverse, refused_connect_retried_on_another_server)
{
	unsigned i;

	for (i = 0; i < 4; i++) {
		int k = exchange("GET / HTTP/1.1\r\nHost: x.flaky.test\r\n\r\n",
		                 OK_RESP);

		cr_assert_eq(k, 1, "request %u: the live server is 82", i);
		cr_assert(strstr(cli.rx, "HTTP/1.1 200 OK") != NULL, "%s",
		          cli.rx);
	}
	cr_assert_geq(cnt.rev_retries, 1);
	cr_assert_geq(cnt.rev_server_failures, 1);
	cr_assert_eq(cnt.fwd_err_502_connect, 0);
}

Test(reverse, queue_waits_for_a_free_server)
{
	/* the one server at its max-conns */
	clear_all();
	send_str(&cli, "GET /api/1 HTTP/1.1\r\nHost: www.a\r\n\r\n");
	run(10);
	cr_assert(strstr(srv[0].rx, "GET /api/1 ") != NULL);
	peer_to_site(&cli2);
	send_str(&cli2, "GET /api/2 HTTP/1.1\r\nHost: www.a\r\n\r\n");
	run(10);
	cr_assert_eq(cnt.rev_queued, 1);
	cr_assert(strstr(srv[0].rx, "GET /api/2 ") == NULL, "waits");
	/* the first answered: the second goes (the same server) */
	send_str(&srv[0], OK_RESP);
	run(20);
	cr_assert(strstr(cli.rx, "200 OK") != NULL);
	cr_assert(strstr(srv[0].rx, "GET /api/2 ") != NULL, "%s", srv[0].rx);
	send_str(&srv[0], OK_RESP);
	run(10);
	cr_assert(strstr(cli2.rx, "200 OK") != NULL, "%s", cli2.rx);
	cr_assert_eq(cnt.rev_queue_timeout, 0);
}

Test(reverse, queue_timeout_is_503_with_retry_after)
{
	send_str(&cli, "GET /api/1 HTTP/1.1\r\nHost: www.a\r\n\r\n");
	run(10);
	peer_to_site(&cli2);
	peer_to_site(&cli3);
	send_str(&cli2, "GET /api/2 HTTP/1.1\r\nHost: www.a\r\n\r\n");
	run(10);
	/* queue-max 1: the third is refused at once */
	send_str(&cli3, "GET /api/3 HTTP/1.1\r\nHost: www.a\r\n\r\n");
	run(10);
	cr_assert(strstr(cli3.rx, "HTTP/1.1 503 ") != NULL, "%s", cli3.rx);
	cr_assert_eq(cnt.rev_queue_full, 1);
	run(250);
	cr_assert(strstr(cli2.rx, "HTTP/1.1 503 ") != NULL, "%s", cli2.rx);
	cr_assert(strstr(cli2.rx, "Retry-After: 1\r\n") != NULL);
	cr_assert_eq(cnt.rev_queue_timeout, 1);
}

Test(reverse, location_rewritten_to_the_host)
{
	int k = exchange("GET /old HTTP/1.1\r\nHost: www.a:8080\r\n\r\n", NULL);

	cr_assert_geq(k, 0);
	send_str(&srv[k], "HTTP/1.1 302 Found\r\n"
	                  "Location: http://10.0.0.2:81/new?q\r\n"
	                  "Content-Location: http://10.0.0.9/x\r\n"
	                  "Content-Length: 0\r\n\r\n");
	run(10);
	cr_assert(strstr(cli.rx, "Location: http://www.a:8080/new?q\r\n") !=
	              NULL,
	          "%s", cli.rx);
	/* not a server's address: as it came */
	cr_assert(strstr(cli.rx, "Content-Location: http://10.0.0.9/x\r\n") !=
	          NULL);
}

/* The server that got the request resets before answering: an
 * idempotent request goes to another server; a POST with a body gets
 * 502 and reaches no other server. */
Test(reverse, reset_before_answer_retries_idempotent_only)
{
	int k, other;
	unsigned before;

	clear_all();
	send_str(&cli, "GET /r HTTP/1.1\r\nHost: www.a\r\n\r\n");
	run(10);
	k = which_server();
	cr_assert_geq(k, 0);
	tcp_abort(srv[k].c);
	run(20);
	other = -1;
	for (int i = 0; i < 3; i++)
		if (i != k && strstr(srv[i].rx, "GET /r ") != NULL)
			other = i;
	cr_assert_geq(other, 0, "the GET was not sent again");
	send_str(&srv[other], OK_RESP);
	run(10);
	cr_assert(strstr(cli.rx, "HTTP/1.1 200 OK") != NULL, "%s", cli.rx);
	cr_assert_eq(cnt.rev_retries, 1);

	before = (unsigned)cnt.rev_retries;
	clear_all();
	send_str(&cli, "POST /p HTTP/1.1\r\nHost: www.a\r\n"
	               "Content-Length: 4\r\n\r\nbody");
	run(10);
	k = which_server();
	cr_assert_geq(k, 0);
	cr_assert(strstr(srv[k].rx, "body") != NULL);
	tcp_abort(srv[k].c);
	run(20);
	for (int i = 0; i < 3; i++)
		if (i != k)
			cr_assert_eq(srv[i].rx_len, 0, "the POST went again");
	cr_assert(strstr(cli.rx, "HTTP/1.1 502 ") != NULL, "%s", cli.rx);
	cr_assert_eq(cnt.rev_retries, before);
}

/* A server refusing connections again and again is ejected (eject-fails
 * 5 by default): later requests go to the live one without a retry. */
Test(reverse, failing_server_ejected)
{
	unsigned i, retries;

	for (i = 0; i < 12; i++)
		cr_assert_eq(exchange("GET / HTTP/1.1\r\nHost: y.flaky.test\r\n"
		                      "\r\n",
		                      OK_RESP),
		             1);
	cr_assert_eq(cnt.rev_ejections, 1);
	retries = (unsigned)cnt.rev_retries;
	cr_assert_leq(retries, 5);
	for (i = 0; i < 4; i++)
		cr_assert_eq(exchange("GET / HTTP/1.1\r\nHost: y.flaky.test\r\n"
		                      "\r\n",
		                      OK_RESP),
		             1);
	cr_assert_eq(cnt.rev_retries, retries, "the ejected one is not tried");
}

/* The cache in front: a hit needs no server; a stale response within
 * stale-while-revalidate is validated in the background by a server of
 * the request's pool (not by a DNS lookup of the Host). */
Test(reverse_cache, hit_and_background_validation_through_the_pool)
{
	int k, i, v = -1;

	k = exchange("GET /c HTTP/1.1\r\nHost: www.a\r\n\r\n",
	             "HTTP/1.1 200 OK\r\nCache-Control: max-age=1, "
	             "stale-while-revalidate=30\r\nETag: \"v1\"\r\n"
	             "Content-Length: 5\r\n\r\nhello");
	cr_assert_geq(k, 0);
	cr_assert(strstr(cli.rx, "hello") != NULL, "%s", cli.rx);
	cr_assert_eq(exchange("GET /c HTTP/1.1\r\nHost: www.a\r\n\r\n", NULL),
	             -1, "a fresh hit reaches no server");
	cr_assert(strstr(cli.rx, "hello") != NULL, "%s", cli.rx);
	cr_assert_eq(cnt.fwd_cache_hits, 1);
	run(2000);
	clear_all();
	send_str(&cli, "GET /c HTTP/1.1\r\nHost: www.a\r\n\r\n");
	run(10);
	cr_assert(strstr(cli.rx, "hello") != NULL, "stale served: %s", cli.rx);
	cr_assert_eq(cnt.fwd_cache_bg_started, 1);
	for (i = 0; i < 3; i++)
		if (strstr(srv[i].rx, "If-None-Match: \"v1\"") != NULL)
			v = i;
	cr_assert_geq(v, 0, "no server got the validation");
	cr_assert(strstr(srv[v].rx, "Host: www.a\r\n") != NULL, "%s",
	          srv[v].rx);
	send_str(&srv[v], "HTTP/1.1 304 Not Modified\r\nCache-Control: "
	                  "max-age=60\r\nETag: \"v1\"\r\n\r\n");
	run(10);
	cr_assert_eq(cnt.fwd_cache_bg_304, 1);
}

/* The cache in front of a reverse listener is a shared cache: s-maxage
 * overrides max-age there (RFC 9111 5.2.2.10), so "max-age=0,
 * s-maxage=60" is a hit and "max-age=60, s-maxage=0" is stale at once
 * (validated with its server). */
Test(reverse_cache, s_maxage_decides_freshness)
{
	int k;

	k = exchange("GET /s1 HTTP/1.1\r\nHost: www.a\r\n\r\n",
	             "HTTP/1.1 200 OK\r\nCache-Control: max-age=0, "
	             "s-maxage=60\r\nContent-Length: 5\r\n\r\nshare");
	cr_assert_geq(k, 0);
	cr_assert_eq(exchange("GET /s1 HTTP/1.1\r\nHost: www.a\r\n\r\n", NULL),
	             -1, "s-maxage=60: a hit that reaches no server");
	cr_assert(strstr(cli.rx, "share") != NULL, "%s", cli.rx);
	cr_assert_eq(cnt.fwd_cache_hits, 1);
	k = exchange("GET /s2 HTTP/1.1\r\nHost: www.a\r\n\r\n",
	             "HTTP/1.1 200 OK\r\nCache-Control: max-age=60, "
	             "s-maxage=0\r\nETag: \"s2\"\r\n"
	             "Content-Length: 5\r\n\r\nprivy");
	cr_assert_geq(k, 0);
	cr_assert_geq(exchange("GET /s2 HTTP/1.1\r\nHost: www.a\r\n\r\n",
	                       "HTTP/1.1 304 Not Modified\r\nETag: "
	                       "\"s2\"\r\n\r\n"),
	              0, "s-maxage=0: stale, sent to a server");
	cr_assert(strstr(cli.rx, "privy") != NULL, "%s", cli.rx);
	cr_assert_eq(cnt.fwd_cache_hits, 1);
}

#define CACHED(body)                                        \
	"HTTP/1.1 200 OK\r\nCache-Control: max-age=600\r\n" \
	"Content-Length: 7\r\n\r\n" body

/* The forward listener (3128) and the reverse one share the cache, and
 * "GET http://10.0.0.2/c" through the first has the key of "GET /c" with
 * Host 10.0.0.2 through the second: each kind has its own entries (one
 * would serve the other's origin's response, or a client of one poison
 * the other's), and an unsafe method invalidates its own kind's only. */
Test(reverse_cache, forward_and_reverse_entries_apart)
{
	static struct peer fcli;
	int k;

	memset(&fcli, 0, sizeof(fcli));
	peer_connect(&fcli);
	send_str(&fcli,
	         "GET http://10.0.0.2/c HTTP/1.1\r\nHost: 10.0.0.2\r\n\r\n");
	run(10);
	cr_assert(strstr(org.rx, "GET /c ") != NULL, "%s", org.rx);
	send_str(&org, CACHED("fwd-org"));
	run(10);
	cr_assert(strstr(fcli.rx, "fwd-org") != NULL, "%s", fcli.rx);

	/* the reverse client: not the forward listener's object */
	k = exchange("GET /c HTTP/1.1\r\nHost: 10.0.0.2\r\n\r\n",
	             CACHED("rev-srv"));
	cr_assert_geq(k, 0, "a forward entry answered a reverse client");
	cr_assert(strstr(cli.rx, "rev-srv") != NULL, "%s", cli.rx);
	cr_assert(strstr(cli.rx, "fwd-org") == NULL);
	/* each a hit on its own */
	cr_assert_eq(
	    exchange("GET /c HTTP/1.1\r\nHost: 10.0.0.2\r\n\r\n", NULL), -1);
	cr_assert(strstr(cli.rx, "rev-srv") != NULL, "%s", cli.rx);
	fcli.rx_len = 0;
	fcli.rx[0] = '\0';
	org.rx_len = 0;
	send_str(&fcli,
	         "GET http://10.0.0.2/c HTTP/1.1\r\nHost: 10.0.0.2\r\n\r\n");
	run(10);
	cr_assert_eq(org.rx_len, 0, "a forward hit");
	cr_assert(strstr(fcli.rx, "fwd-org") != NULL, "%s", fcli.rx);

	/* a POST through the reverse listener: its entry goes, not the
	 * forward one */
	k = exchange("POST /c HTTP/1.1\r\nHost: 10.0.0.2\r\n"
	             "Content-Length: 1\r\n\r\nx",
	             "HTTP/1.1 204 No Content\r\n\r\n");
	cr_assert_geq(k, 0);
	cr_assert_eq(cnt.fwd_cache_invalidated, 1);
	fcli.rx_len = 0;
	fcli.rx[0] = '\0';
	send_str(&fcli,
	         "GET http://10.0.0.2/c HTTP/1.1\r\nHost: 10.0.0.2\r\n\r\n");
	run(10);
	cr_assert_eq(org.rx_len, 0, "the forward entry was invalidated");
	cr_assert(strstr(fcli.rx, "fwd-org") != NULL, "%s", fcli.rx);
	cr_assert_geq(exchange("GET /c HTTP/1.1\r\nHost: 10.0.0.2\r\n\r\n",
	                       CACHED("rev-new")),
	              0, "the reverse entry was not invalidated");
	cr_assert(strstr(cli.rx, "rev-new") != NULL, "%s", cli.rx);
	tcp_shutdown(fcli.c);
	run(5);
}

/* An IPv6 literal in Host keeps its brackets wherever the proxy writes
 * the Host again: the server's Host, Forwarded's host, a rewritten
 * Location (lib/http gives the host without them). */
Test(reverse, ipv6_literal_host_keeps_its_brackets)
{
	static struct conf_routes rt;
	struct conf_forward c = rcfg;
	int k;

	rt = *rcfg.routes;
	rt.default_pool = 0; /* web */
	c.routes = &rt;
	cr_assert(ft_listen_connect(8082, &c));
	k = exchange("GET /v6 HTTP/1.1\r\nHost: [2001:DB8::1]:8080\r\n\r\n",
	             "HTTP/1.1 302 Found\r\n"
	             "Location: http://10.0.0.2:81/n\r\n"
	             "Content-Length: 0\r\n\r\n");
	cr_assert_geq(k, 0);
	cr_assert(strstr(srv[k].rx, "\r\nHost: [2001:DB8::1]:8080\r\n") != NULL,
	          "%s", srv[k].rx);
	cr_assert(strstr(srv[k].rx, "host=\"[2001:DB8::1]:8080\"\r\n") != NULL,
	          "%s", srv[k].rx);
	cr_assert(strstr(cli.rx, "Location: http://[2001:DB8::1]:8080/n\r\n") !=
	              NULL,
	          "%s", cli.rx);
	k = exchange("GET /v6 HTTP/1.1\r\nHost: [::1]\r\n\r\n", OK_RESP);
	cr_assert_geq(k, 0);
	cr_assert(strstr(srv[k].rx, "\r\nHost: [::1]\r\n") != NULL, "%s",
	          srv[k].rx);
}

/* location-rewrite applies to answers from the cache too (200, and the
 * 304 to a client's conditional): the stored head has the server's
 * address as the server sent it. */
Test(reverse_cache, location_rewritten_on_hits)
{
	static const char resp[] = "HTTP/1.1 200 OK\r\n"
	                           "Cache-Control: max-age=600\r\n"
	                           "ETag: \"e1\"\r\n"
	                           "Content-Location: http://10.0.0.2:82/l\r\n"
	                           "Location: http://10.0.0.2:81/n\r\n"
	                           "Content-Length: 2\r\n\r\nok";
	static const char *const want[] = {
	    "Content-Location: http://www.a:8080/l\r\n",
	    "Location: http://www.a:8080/n\r\n"};
	unsigned i;

	cr_assert_geq(
	    exchange("GET /loc HTTP/1.1\r\nHost: www.a:8080\r\n\r\n", resp), 0);
	for (i = 0; i < 2; i++)
		cr_assert(strstr(cli.rx, want[i]) != NULL, "miss: %s", cli.rx);
	cr_assert_eq(
	    exchange("GET /loc HTTP/1.1\r\nHost: www.a:8080\r\n\r\n", NULL),
	    -1);
	cr_assert_eq(cnt.fwd_cache_hits, 1);
	for (i = 0; i < 2; i++)
		cr_assert(strstr(cli.rx, want[i]) != NULL, "hit: %s", cli.rx);
	cr_assert(strstr(cli.rx, "10.0.0.2") == NULL, "%s", cli.rx);
	cr_assert_eq(exchange("GET /loc HTTP/1.1\r\nHost: www.a:8080\r\n"
	                      "If-None-Match: \"e1\"\r\n\r\n",
	                      NULL),
	             -1);
	cr_assert(strstr(cli.rx, "HTTP/1.1 304 ") != NULL, "%s", cli.rx);
	cr_assert(strstr(cli.rx, want[0]) != NULL, "304: %s", cli.rx);
	cr_assert(strstr(cli.rx, "10.0.0.2") == NULL, "%s", cli.rx);
}

/* Path prefix routing cannot be walked around: a dot-segment, raw or
 * percent-encoded, Tomcat's "..;", an encoded '/' or '\', a raw '\', a
 * NUL or a malformed escape in the path get 400 and reach no server;
 * percent-encoded unreserved characters are decoded before the prefixes
 * are compared (/%61pi is /api, RFC 3986 6.2.2.2), and dots in a query
 * or inside a name are no dot-segments. */
Test(reverse, dot_segments_and_encoded_separators_refused)
{
	static const char *const bad[] = {
	    "/x/../api/1", "/x/./api",    "/x/%2e%2e/api", "/x/.%2E/api",
	    "/x/%2e./api", "/x/%2e/api",  "/x/..;/api",    "/x/..;a=b/api",
	    "/x/..%2fapi", "/x/..%2Fapi", "/x%5c..%5capi", "/x/%00",
	    "/x/%zz",      "/x/%2",       "/..",           "/x/..",
	    "/x/.?q",
	};
	static const char *const good[] = {"/x/a..b/.c", "/x/...",
	                                   "/x?a=/../api", "/x/%41%2E%2Ex"};
	char req[256];
	unsigned i;

	for (i = 0; i < GH_ARRAY_SIZE(bad); i++)
		get_refused(8080, bad[i], "HTTP/1.1 400 ");
	cr_assert_eq(cnt.rev_bad_path, GH_ARRAY_SIZE(bad));
	for (i = 0; i < GH_ARRAY_SIZE(good); i++) {
		peer_to_site(&cli);
		snprintf(req, sizeof(req),
		         "GET %s HTTP/1.1\r\nHost: www.a\r\n\r\n", good[i]);
		cr_assert_geq(exchange(req, OK_RESP), 0, "%s", good[i]);
		cr_assert(strstr(cli.rx, "HTTP/1.1 200 ") != NULL, "%s: %s",
		          good[i], cli.rx);
	}
	/* /%61pi/v is /api/v: the api pool's one server (81) */
	peer_to_site(&cli);
	cr_assert_eq(
	    exchange("GET /%61pi/v HTTP/1.1\r\nHost: www.a\r\n\r\n", OK_RESP),
	    0);
	cr_assert(strstr(srv[0].rx, "GET /%61pi/v HTTP/1.1\r\n") != NULL,
	          "sent on as it came: %s", srv[0].rx);
}

/* A reverse listener replaces the X-Forwarded-For a client sent by the
 * client's address (x-forwarded-for replace, its default): a server
 * reading the first address is not told one the client made up. */
Test(reverse, client_xff_replaced)
{
	int k = exchange("GET /p HTTP/1.1\r\nHost: www.a\r\n"
	                 "X-Forwarded-For: 6.6.6.6\r\n"
	                 "x-forwarded-for: 7.7.7.7, 8.8.8.8\r\n\r\n",
	                 OK_RESP);

	cr_assert_geq(k, 0);
	cr_assert(strstr(srv[k].rx, "X-Forwarded-For: 10.0.0.2\r\n") != NULL,
	          "%s", srv[k].rx);
	cr_assert_eq(count_of(srv[k].rx, "orwarded-For"), 1, "%s", srv[k].rx);
	cr_assert(strstr(srv[k].rx, "6.6.6.6") == NULL, "%s", srv[k].rx);
	cr_assert(strstr(srv[k].rx, "7.7.7.7") == NULL, "%s", srv[k].rx);
}

/* A server on port 80 named with an explicit ":80" (or the scheme in
 * capitals) is a server's address all the same: rewritten. */
Test(reverse, location_with_explicit_port_80_rewritten)
{
	clear_all();
	org.rx_len = 0;
	send_str(&cli, "GET /o HTTP/1.1\r\nHost: e80.test\r\n\r\n");
	run(10);
	cr_assert(strstr(org.rx, "GET /o ") != NULL, "%s", org.rx);
	send_str(&org, "HTTP/1.1 302 Found\r\n"
	               "Location: http://10.0.0.2:80/a\r\n"
	               "Content-Location: HTTP://10.0.0.2/b\r\n"
	               "Content-Length: 0\r\n\r\n");
	run(10);
	cr_assert(strstr(cli.rx, "Location: http://e80.test/a\r\n") != NULL,
	          "%s", cli.rx);
	cr_assert(strstr(cli.rx, "Content-Location: http://e80.test/b\r\n") !=
	              NULL,
	          "%s", cli.rx);
	cr_assert(strstr(cli.rx, "10.0.0.2") == NULL, "%s", cli.rx);
}

/* Requests built to be framed two ways never reach a server (400), and a
 * server's response framed two ways never reaches the client (502):
 * nothing the listener and a server could read differently. */
Test(reverse, smuggling_vectors_refused)
{
	static const char *const bad[] = {
	    "POST /s HTTP/1.1\r\nHost: www.a\r\nContent-Length: 4\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	    "POST /s HTTP/1.1\r\nHost: www.a\r\nContent-Length: 4\r\n"
	    "Content-Length: 5\r\n\r\nbody",
	    "POST /s HTTP/1.1\r\nHost: www.a\r\nContent-Length: 4, 4\r\n"
	    "\r\nbody",
	    "POST /s HTTP/1.1\r\nHost: www.a\r\nTransfer-Encoding: chunked"
	    "\r\n x\r\n\r\n0\r\n\r\n",
	    "POST /s HTTP/1.1\r\nHost: www.a\r\nX: a\r\n b\r\n"
	    "Content-Length: 0\r\n\r\n",
	    "POST /s HTTP/1.0\r\nHost: www.a\r\nTransfer-Encoding: chunked"
	    "\r\n\r\n0\r\n\r\n",
	    "POST /s HTTP/1.1\r\nHost: www.a\r\nTransfer-Encoding : chunked"
	    "\r\n\r\n0\r\n\r\n",
	    "POST /s HTTP/1.1\r\nHost: www.a\r\nConnection: content-length"
	    "\r\nContent-Length: 4\r\n\r\nbody",
	    "GET /s HTTP/1.1\r\nHost: www.a\r\nHost: www.b\r\n\r\n",
	};
	unsigned i;
	int k;

	for (i = 0; i < GH_ARRAY_SIZE(bad); i++) {
		peer_to_site(&cli);
		cr_assert_eq(exchange(bad[i], NULL), -1,
		             "case %u reached a "
		             "server",
		             i);
		cr_assert(strstr(cli.rx, "HTTP/1.1 400 ") != NULL,
		          "case %u: %s", i, cli.rx);
	}
	peer_to_site(&cli);
	k = exchange("GET /s HTTP/1.1\r\nHost: www.a\r\n\r\n",
	             "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
	             "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
	cr_assert_geq(k, 0);
	cr_assert(strstr(cli.rx, "HTTP/1.1 502 ") != NULL, "%s", cli.rx);
	cr_assert(strstr(cli.rx, "Transfer-Encoding") == NULL, "%s", cli.rx);
}

/* A request whose transfer codings are anything but one "chunked" gets
 * 501 (RFC 9112 6.1) and reaches no server: a server that does not know
 * "identity" or "gzip" may frame the body by its absent Content-Length,
 * and the chunked bytes become a request of their own on a connection
 * other clients reuse (nginx answers 501 the same way). */
Test(reverse, transfer_codings_other_than_chunked_501)
{
	static const char *const bad[] = {
	    "identity, chunked",
	    "gzip, chunked",
	    "gzip",
	    "x;a=b, chunked",
	    "chunked\r\nTransfer-Encoding: chunked",
	    "gzip\r\nTransfer-Encoding: chunked",
	};
	char req[256];
	unsigned i;

	for (i = 0; i < GH_ARRAY_SIZE(bad); i++) {
		peer_to_site(&cli);
		snprintf(req, sizeof(req),
		         "POST /t HTTP/1.1\r\nHost: www.a\r\n"
		         "Transfer-Encoding: %s\r\n\r\n0\r\n\r\n",
		         bad[i]);
		cr_assert_eq(exchange(req, NULL), -1, "%s reached a server",
		             bad[i]);
		cr_assert(strstr(cli.rx, "HTTP/1.1 501 ") != NULL ||
		              strstr(cli.rx, "HTTP/1.1 400 ") != NULL,
		          "%s: %s", bad[i], cli.rx);
	}
	peer_to_site(&cli);
	cr_assert_geq(exchange("POST /t HTTP/1.1\r\nHost: www.a\r\n"
	                       "Transfer-Encoding: Chunked\r\n\r\n"
	                       "2\r\nok\r\n0\r\n\r\n",
	                       OK_RESP),
	              0, "chunked alone goes");
	cr_assert(strstr(cli.rx, "HTTP/1.1 200 ") != NULL, "%s", cli.rx);
}

/* X-Original-URL and X-Rewrite-URL (IIS's, Symfony's and others' path
 * overrides) never reach a server: the path that was routed is the path
 * the server serves. */
Test(reverse, path_override_fields_dropped)
{
	int k = exchange("GET /p HTTP/1.1\r\nHost: only.b\r\n\r\n", NULL);

	cr_assert_eq(k, -1, "only.b/p has no route: %s", cli.rx);
	peer_to_site(&cli);
	k = exchange("GET /x/ok HTTP/1.1\r\nHost: only.b\r\n"
	             "X-Original-URL: /admin\r\nx-rewrite-url: /admin\r\n\r\n",
	             OK_RESP);
	cr_assert_geq(k, 0);
	cr_assert(strstr(srv[k].rx, "GET /x/ok HTTP/1.1\r\n") != NULL, "%s",
	          srv[k].rx);
	cr_assert(strstr(srv[k].rx, "/admin") == NULL, "%s", srv[k].rx);
}

/* The access rules judge a reverse listener's target with its
 * percent-encoded unreserved characters decoded, as the prefixes are:
 * "deny url_prefix /secret" is not walked around by /%73ecret, which a
 * server reads as /secret. */
Test(reverse, url_acl_sees_decoded_unreserved)
{
	static const char *const denied[] = {"/secret/x", "/%73ecret/x",
	                                     "/%73%65%63%72%65%74"};
	struct conf_forward c2 = conf->listeners[1].fwd;
	unsigned i;

	cr_assert(ft_listen_connect(8083, &c2));
	for (i = 0; i < GH_ARRAY_SIZE(denied); i++)
		get_refused(8083, denied[i], "HTTP/1.1 403 ");
	peer_to(&cli, 8083);
	cr_assert_geq(
	    exchange("GET /ok HTTP/1.1\r\nHost: www.a\r\n\r\n", OK_RESP), 0);
	cr_assert(strstr(cli.rx, "HTTP/1.1 200 ") != NULL, "%s", cli.rx);
}

/* anonymize on a reverse listener: no Forwarded naming the client either
 * (as no X-Forwarded-For is added), whatever forwarded says. */
Test(reverse, anonymize_sends_no_forwarded_for)
{
	struct conf_forward c = rcfg;
	int k;

	c.anonymous = true;
	cr_assert(ft_listen_connect(8084, &c));
	k = exchange("GET /p HTTP/1.1\r\nHost: www.a\r\n\r\n", OK_RESP);
	cr_assert_geq(k, 0);
	cr_assert(strstr(srv[k].rx, "10.0.0.2") == NULL, "%s", srv[k].rx);
	cr_assert(strstr(srv[k].rx, "Forwarded:") == NULL, "%s", srv[k].rx);
}

/* A request that waited on another's fetch (collapsed) is answered from
 * the stored head: rewritten too. */
Test(reverse_cache, location_rewritten_for_a_collapsed_waiter)
{
	int k;

	clear_all();
	send_str(&cli, "GET /w HTTP/1.1\r\nHost: www.a:8080\r\n\r\n");
	run(10);
	k = which_server();
	cr_assert_geq(k, 0);
	memset(&cli2, 0, sizeof(cli2));
	peer_to_site(&cli2);
	send_str(&cli2, "GET /w HTTP/1.1\r\nHost: www.a:8080\r\n\r\n");
	run(10);
	cr_assert_eq(srv[(k + 1) % 3].rx_len + srv[(k + 2) % 3].rx_len, 0,
	             "the second request waits");
	send_str(&srv[k], "HTTP/1.1 200 OK\r\nCache-Control: max-age=600\r\n"
	                  "Content-Location: http://10.0.0.2:83/w\r\n"
	                  "Content-Length: 2\r\n\r\nok");
	run(20);
	cr_assert(strstr(cli.rx, "Content-Location: http://www.a:8080/w\r\n"),
	          "%s", cli.rx);
	cr_assert(strstr(cli2.rx, "Content-Location: http://www.a:8080/w\r\n"),
	          "waiter: %s", cli2.rx);
	cr_assert(strstr(cli2.rx, "10.0.0.2") == NULL, "%s", cli2.rx);
}

/* A request that waited on another's fetch of the same URL and then
 * fetched for itself (the response was not storable) is one request of
 * its pool: fwd_rev_request ran again on it and counted rev_requests
 * twice.  The servers count each request they got. */
Test(reverse_cache, collapsed_then_fetched_counted_once)
{
	uint64_t per_srv = 0;
	int k, i, other = -1;
	unsigned s;

	peer_to_site(&cli2);
	clear_all();
	send_str(&cli, "GET /n HTTP/1.1\r\nHost: www.a\r\n\r\n");
	run(10);
	k = which_server();
	cr_assert_geq(k, 0);
	send_str(&cli2, "GET /n HTTP/1.1\r\nHost: www.a\r\n\r\n");
	run(10);
	cr_assert_eq(cnt.fwd_cache_collapsed, 1);
	clear_all();
	send_str(&srv[k], "HTTP/1.1 200 OK\r\nCache-Control: no-store\r\n"
	                  "Content-Length: 2\r\n\r\nok");
	run(20);
	cr_assert(strstr(cli.rx, "200 OK") != NULL, "%s", cli.rx);
	for (i = 0; i < 3; i++)
		if (strstr(srv[i].rx, "GET /n ") != NULL)
			other = i;
	cr_assert_geq(other, 0, "the waiting request fetched nothing");
	send_str(&srv[other], OK_RESP);
	run(10);
	cr_assert(strstr(cli2.rx, "200 OK") != NULL, "%s", cli2.rx);
	cr_assert_eq(cnt.fwd_cache_collapse_fallback, 1);
	cr_assert_eq(cnt.rev_requests, 2);
	cr_assert_eq(fwd_rev_pool_counters(fc, 0)->requests, 2);
	for (s = 0; s < 3; s++)
		per_srv += fwd_rev_server_counters(fc, 0, s)->requests;
	cr_assert_eq(per_srv, 2);
}

/* The pool's and the servers' counters: requests, a connect failure on
 * the dead server, a retry on the pool, time_to_head counted once per
 * response from a server. */
Test(reverse, pool_and_server_counters)
{
	const struct proxy_server_counters *dead, *live;
	uint64_t n = 0;
	unsigned i;

	for (i = 0; i < 4; i++)
		cr_assert_eq(exchange("GET / HTTP/1.1\r\nHost: z.flaky.test\r\n"
		                      "\r\n",
		                      OK_RESP),
		             1);
	dead = fwd_rev_server_counters(fc, 2, 0);
	live = fwd_rev_server_counters(fc, 2, 1);
	cr_assert(dead != NULL && live != NULL);
	cr_assert_null(fwd_rev_server_counters(fc, 2, 2));
	cr_assert_null(fwd_rev_pool_counters(fc, 5));
	cr_assert_eq(fwd_rev_pool_counters(fc, 2)->requests, 4);
	cr_assert_eq(live->requests, 4);
	cr_assert_geq(dead->requests, 1);
	cr_assert_eq(dead->connect_failures, dead->requests);
	cr_assert_eq(fwd_rev_pool_counters(fc, 2)->retries, dead->requests);
	for (i = 0; i <= STATS_HIST_N; i++)
		n += live->time_to_head.bucket[i];
	cr_assert_eq(n, 4);
	cr_assert_eq(dead->time_to_head.bucket[0], 0);
}

/* Idle connections are kept per pool and server: the api pool's server
 * has the address of the web pool's s1, and does not get s1's idle
 * connection.  A server with idle-max 0 keeps none: closed after each
 * response, counted. */
Test(reverse, idle_keyed_by_server_and_capped)
{
	const struct proxy_server_counters *s1 =
	    fwd_rev_server_counters(fc, 0, 0);
	const struct proxy_server_counters *one =
	    fwd_rev_server_counters(fc, 1, 0);
	const struct proxy_server_counters *k0 =
	    fwd_rev_server_counters(fc, 3, 0);
	uint64_t reused, opened;

	cr_assert_eq(
	    exchange("GET /p HTTP/1.1\r\nHost: www.a\r\n\r\n", OK_RESP), 0,
	    "worker 0 starts at s1");
	cr_assert_eq(s1->idle_conns, 1);
	cr_assert_eq(s1->idle_kept, 1);
	reused = cnt.fwd_upstream_reused;
	opened = cnt.fwd_upstream_new;
	cr_assert_eq(
	    exchange("GET /api/1 HTTP/1.1\r\nHost: www.a\r\n\r\n", OK_RESP), 0);
	cr_assert(strstr(cli.rx, "200 OK") != NULL, "%s", cli.rx);
	cr_assert_eq(cnt.fwd_upstream_reused, reused, "s1's conn reused");
	cr_assert_eq(cnt.fwd_upstream_new, opened + 1);
	cr_assert_eq(s1->idle_conns, 1);
	cr_assert_eq(one->idle_conns, 1);

	cr_assert_eq(
	    exchange("GET / HTTP/1.1\r\nHost: keep.test\r\n\r\n", OK_RESP), 2);
	cr_assert_eq(k0->idle_conns, 0);
	cr_assert_eq(k0->idle_closed_cap, 1);
	opened = cnt.fwd_upstream_new;
	cr_assert_eq(
	    exchange("GET / HTTP/1.1\r\nHost: keep.test\r\n\r\n", OK_RESP), 2);
	cr_assert_eq(cnt.fwd_upstream_new, opened + 1);
	cr_assert_eq(k0->idle_closed_cap, 2);
	cr_assert_eq(k0->requests, 2);
}

/* A reverse listener (x-forwarded-for replace, its default) removes what
 * a client could claim about its address or the front to a server that
 * believes it (X-Real-IP and the like, X-Forwarded-Host/Port/Server);
 * other fields pass. */
Test(reverse, client_address_claims_dropped)
{
	int k = exchange("GET /p HTTP/1.1\r\nHost: only.b\r\n\r\n", NULL);

	cr_assert_eq(k, -1, "only.b/p has no route: %s", cli.rx);
	peer_to_site(&cli);
	k = exchange("GET /x/ok HTTP/1.1\r\nHost: only.b\r\n"
	             "X-Real-IP: 10.9.9.9\r\nx-client-ip: 10.9.9.9\r\n"
	             "Client-IP: 10.9.9.9\r\nTrue-Client-IP: 10.9.9.9\r\n"
	             "X-Forwarded-Host: evil.example\r\n"
	             "X-Forwarded-Port: 8443\r\n"
	             "X-Forwarded-Server: evil.example\r\n"
	             "X-Kept: yes\r\n\r\n",
	             OK_RESP);
	cr_assert_geq(k, 0);
	cr_assert(strstr(srv[k].rx, "10.9.9.9") == NULL, "%s", srv[k].rx);
	cr_assert(strstr(srv[k].rx, "evil.example") == NULL, "%s", srv[k].rx);
	cr_assert(strstr(srv[k].rx, "8443") == NULL, "%s", srv[k].rx);
	cr_assert(strstr(srv[k].rx, "X-Kept: yes\r\n") != NULL, "%s",
	          srv[k].rx);
}
