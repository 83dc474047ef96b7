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

#include "conf/conf.h"
#include "fwd_test_util.h"

static struct conf *conf;
static struct conf_forward rcfg;
static struct peer srv[3];
/* more clients: static, their callbacks run until the teardown */
static struct peer cli2, cli3;
static struct alog_ring *ring;

#define CONF_TEXT                                             \
	"port in\n\trole inside\n\tdevice net_null0\n"        \
	"\taddress 10.0.0.1/24\n"                             \
	"pool web\n\tserver s1 10.0.0.2:81\n"                 \
	"\tserver s2 10.0.0.2:82\n\tserver s3 10.0.0.2:83\n"  \
	"pool api\n\tserver one 10.0.0.2:81 max-conns 1\n"    \
	"\tqueue-timeout-ms 200\n\tqueue-max 1\n"             \
	"pool flaky\n\tserver dead 10.0.0.2:90\n"             \
	"\tserver live 10.0.0.2:82\n"                         \
	"listen site\n\tmode reverse\n\tbind 10.0.0.1:8080\n" \
	"\troute www.a web\n\troute www.a/api api\n"          \
	"\troute *.flaky.test flaky\n\troute only.b/x web\n"  \
	"\tforwarded on\n\tlocation-rewrite on\n"

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
	struct tcp_conn *c = NULL;

	/* the one server at its max-conns */
	clear_all();
	send_str(&cli, "GET /api/1 HTTP/1.1\r\nHost: www.a\r\n\r\n");
	run(10);
	cr_assert(strstr(srv[0].rx, "GET /api/1 ") != NULL);
	memset(&cli2, 0, sizeof(cli2));
	cr_assert_eq(tcp_connect(tt_b.s, 0, TT_IP_B, TT_IP_A,
	                         rte_cpu_to_be_16(8080), TCP_CC_NEWRENO,
	                         &peer_cbs, &cli2, &c),
	             0);
	run(5);
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
	struct tcp_conn *c = NULL;

	send_str(&cli, "GET /api/1 HTTP/1.1\r\nHost: www.a\r\n\r\n");
	run(10);
	memset(&cli2, 0, sizeof(cli2));
	memset(&cli3, 0, sizeof(cli3));
	cr_assert_eq(tcp_connect(tt_b.s, 0, TT_IP_B, TT_IP_A,
	                         rte_cpu_to_be_16(8080), TCP_CC_NEWRENO,
	                         &peer_cbs, &cli2, &c),
	             0);
	cr_assert_eq(tcp_connect(tt_b.s, 0, TT_IP_B, TT_IP_A,
	                         rte_cpu_to_be_16(8080), TCP_CC_NEWRENO,
	                         &peer_cbs, &cli3, &c),
	             0);
	run(5);
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
