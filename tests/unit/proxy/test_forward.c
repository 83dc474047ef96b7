/*
 * The forward proxy (lib/proxy/fwd_*.c) on the two-stack harness of the
 * TCP tests, without the lab: node A (10.0.0.1) runs the proxy on port
 * 3128; node B (10.0.0.2) is both the client and the origin (a listener on
 * port 80), so a request names http://10.0.0.2/ and the proxy connects
 * back to B.  Frames are carried between the stacks in fresh mbufs; the
 * origin's answers are scripted per test.  Hostile cases from the issue 10
 * review each have a test here named after the finding.
 */
#include <string.h>

#include <criterion/criterion.h>
#include <rte_cycles.h>
#include <rte_ip.h>

#include "../tcp/tcp_test_util.h"
#include "fwd_test_util.h"
#include "proxy_test_util.h"
#include "cache/cache_index.h"
#include "cache/cache_index_types.h"
#include "cache/cache_obj.h"
#include "dns/dns.h"
#include "proxy/forward.h"

TestSuite(fwd);

/* The client's request reaches the origin; its answer comes back. */
Test(fwd, get_round_trip, .init = fwd_setup, .fini = fwd_teardown)
{
	client_connect();
	send_str(&cli, "GET http://10.0.0.2/x HTTP/1.1\r\n"
	               "Host: 10.0.0.2\r\nUser-Agent: t\r\n\r\n");
	run(10);
	cr_assert_eq(org.accepted, 1, "the origin saw no connection");
	cr_assert(strstr(org.rx, "GET /x HTTP/1.1\r\nHost: 10.0.0.2\r\n") !=
	              NULL,
	          "origin got: %s", org.rx);
	send_str(&org, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
	run(10);
	cr_assert(strncmp(cli.rx, "HTTP/1.1 200 OK\r\n", 17) == 0,
	          "client got: %s", cli.rx);
	cr_assert(strstr(cli.rx, "\r\n\r\nhello") != NULL);
	cr_assert_eq(cnt.fwd_responses, 1);
}

/* Finding 4: the host name was read from the request head's mbuf after
 * chain_trim() released it; debug builds poison what chain_trim frees,
 * so the lookup saw garbage.  Heads of every size up to two segments. */
Test(fwd, host_read_after_head_released, .init = fwd_setup,
     .fini = fwd_teardown)
{
	static char req[4096];
	unsigned pad;

	client_connect();
	for (pad = 0; pad < 3000; pad += 997) {
		char fill[3001];

		memset(fill, 'p', pad);
		fill[pad] = '\0';
		snprintf(req, sizeof(req),
		         "GET http://10.0.0.2/%u HTTP/1.1\r\nHost: 10.0.0.2\r\n"
		         "X-Pad: %s\r\n\r\n",
		         pad, fill);
		org.rx_len = 0;
		org.rx[0] = '\0';
		send_str(&cli, req);
		run(10);
		cr_assert_eq(cnt.fwd_err_502_dns, 0,
		             "the host name was read from a released buffer");
		cr_assert_eq(cnt.fwd_err_503, 0);
		cr_assert(strstr(org.rx, "HTTP/1.1\r\nHost: 10.0.0.2\r\n") !=
		              NULL,
		          "origin got: %s", org.rx);
		send_str(&org, "HTTP/1.1 204 No Content\r\n\r\n");
		run(10);
	}
	cr_assert_eq(count_of(cli.rx, "HTTP/1.1 204"), 4);
}

/* Finding 1: Connection naming Content-Length dropped the framing header
 * while the body was still forwarded: a second request smuggled to the
 * origin.  Refused with 400 and nothing reaches the origin. */
Test(fwd, connection_names_content_length, .init = fwd_setup,
     .fini = fwd_teardown)
{
	const char *smuggled = "GET /admin HTTP/1.1\r\nHost: internal\r\n\r\n";
	char req[512];

	client_connect();
	snprintf(req, sizeof(req),
	         "POST http://10.0.0.2/ HTTP/1.1\r\nHost: 10.0.0.2\r\n"
	         "Content-Length: %zu\r\nConnection: Content-Length\r\n\r\n%s",
	         strlen(smuggled), smuggled);
	send_str(&cli, req);
	run(20);
	cr_assert(strstr(org.rx, "/admin") == NULL,
	          "smuggled to the origin: %s", org.rx);
	cr_assert(strncmp(cli.rx, "HTTP/1.1 400 ", 13) == 0, "client got: %s",
	          cli.rx);
}

Test(fwd, connection_names_transfer_encoding, .init = fwd_setup,
     .fini = fwd_teardown)
{
	client_connect();
	send_str(&cli, "POST http://10.0.0.2/ HTTP/1.1\r\nHost: 10.0.0.2\r\n"
	               "Transfer-Encoding: chunked\r\n"
	               "Connection: close, transfer-encoding\r\n\r\n"
	               "28\r\nGET /admin HTTP/1.1\r\nHost: internal\r\n\r\n"
	               "\r\n0\r\n\r\n");
	run(20);
	cr_assert(strstr(org.rx, "/admin") == NULL,
	          "smuggled to the origin: %s", org.rx);
	cr_assert(strncmp(cli.rx, "HTTP/1.1 400 ", 13) == 0, "client got: %s",
	          cli.rx);
}

/* Finding 1, response side: the client keeps the length it needs. */
Test(fwd, response_connection_names_content_length, .init = fwd_setup,
     .fini = fwd_teardown)
{
	client_connect();
	send_str(&cli,
	         "GET http://10.0.0.2/ HTTP/1.1\r\nHost: 10.0.0.2\r\n\r\n");
	run(10);
	send_str(&org, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
	               "Connection: Content-Length, X-Hop\r\nX-Hop: 1\r\n\r\n"
	               "hello");
	run(10);
	cr_assert(strstr(cli.rx, "\r\nContent-Length: 5\r\n") != NULL,
	          "client got: %s", cli.rx);
	cr_assert(strstr(cli.rx, "X-Hop") == NULL, "client got: %s", cli.rx);
	cr_assert(strstr(cli.rx, "\r\n\r\nhello") != NULL);
}

/* Finding 2: nine 100 Continue, then a chunked 200 with a bad chunk line
 * and a FIN ended the session twice (GH_VERIFY abort of the process). */
Test(fwd, interim_heads_then_bad_chunk_and_fin, .init = fwd_setup,
     .fini = fwd_teardown)
{
	char resp[1024] = "";
	unsigned i;

	client_connect();
	send_str(&cli,
	         "GET http://10.0.0.2/ HTTP/1.1\r\nHost: 10.0.0.2\r\n\r\n");
	run(10);
	cr_assert_not_null(org.c);
	for (i = 0; i < 9; i++)
		strcat(resp, "HTTP/1.1 100 Continue\r\n\r\n");
	strcat(resp, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	             "ZZZ\r\n");
	send_str(&org, resp);
	cr_assert_eq(tcp_shutdown(org.c), 0);
	run(50);
	cr_assert_eq(cnt.fwd_sessions_in_use, 0);
	cr_assert(cli.closed, "the client's connection was not ended");
}

/* Any number of interim responses is consumed and relayed; the final
 * response follows, never stalled. */
Test(fwd, many_interim_heads_then_final, .init = fwd_setup,
     .fini = fwd_teardown)
{
	static char resp[16384];
	unsigned i;

	client_connect();
	send_str(&cli,
	         "GET http://10.0.0.2/ HTTP/1.1\r\nHost: 10.0.0.2\r\n\r\n");
	run(10);
	resp[0] = '\0';
	for (i = 0; i < 300; i++)
		strcat(resp, "HTTP/1.1 102 Processing\r\n\r\n");
	strcat(resp, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
	send_str(&org, resp);
	run(50);
	cr_assert_eq(count_of(cli.rx, "HTTP/1.1 102 Processing\r\n"), 300);
	cr_assert(strstr(cli.rx, "HTTP/1.1 200 OK\r\n") != NULL,
	          "the final response stalled (%u bytes at the client)",
	          cli.rx_len);
	cr_assert(strstr(cli.rx, "\r\n\r\nhello") != NULL);
}

/* RFC 9110 15.2: no 1xx to an HTTP/1.0 client. */
Test(fwd, no_interim_to_http10_client, .init = fwd_setup, .fini = fwd_teardown)
{
	client_connect();
	send_str(&cli,
	         "GET http://10.0.0.2/ HTTP/1.0\r\nHost: 10.0.0.2\r\n\r\n");
	run(10);
	send_str(&org, "HTTP/1.1 100 Continue\r\n\r\n"
	               "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
	run(10);
	cr_assert(strncmp(cli.rx, "HTTP/1.1 200 OK\r\n", 17) == 0,
	          "an HTTP/1.0 client got: %s", cli.rx);
	cr_assert(strstr(cli.rx, "hello") != NULL);
}

/* Finding 9: the subnet's broadcast (and network) address is no
 * destination: 403, and no SYN leaves for it. */
Test(fwd, directed_broadcast_refused, .init = fwd_setup, .fini = fwd_teardown)
{
	client_connect();
	send_str(&cli, "GET http://10.0.0.255/ HTTP/1.1\r\nHost: x\r\n\r\n");
	run(10);
	cr_assert(strncmp(cli.rx, "HTTP/1.1 403 ", 13) == 0, "client got: %s",
	          cli.rx);
	cr_assert_eq(cnt.fwd_upstream_new, 0);
	cr_assert_eq(cnt.fwd_denied_dst, 1);
}

Test(fwd, network_address_refused, .init = fwd_setup, .fini = fwd_teardown)
{
	client_connect();
	send_str(&cli, "GET http://10.0.0.0/ HTTP/1.1\r\nHost: x\r\n\r\n");
	run(10);
	cr_assert(strncmp(cli.rx, "HTTP/1.1 403 ", 13) == 0, "client got: %s",
	          cli.rx);
	cr_assert_eq(cnt.fwd_upstream_new, 0);
}

/* Finding 3: a head dripped one byte a segment pinned one mbuf per byte.
 * The client is played by hand (tt_inject) so each byte is a segment. */
Test(fwd, dripped_head_holds_few_mbufs, .init = fwd_setup, .fini = fwd_teardown)
{
	const char *line = "GET http://10.0.0.2/ HTTP/1.1\r\nX-Drip: ";
	struct tt_opts o = {.mss = 1460, .ws = -1};
	struct tt_seg g;
	uint32_t iss = 1000, seq, base_used, used, i, n = 3000;
	uint32_t len = (uint32_t)strlen(line);

	base_used = rte_mempool_in_use_count(tt_pool);
	tt_inject(40000, 3128, iss, 0, TH_SYN, 65535, &o, NULL, 0);
	cr_assert_eq(tt_tx_n(&tt_a), 1);
	tt_tx_seg(&tt_a, 0, &g);
	cr_assert_eq(g.flags, TH_SYN | TH_ACK);
	tt_tx_clear();
	seq = iss + 1;
	tt_inject(40000, 3128, seq, g.seq + 1, TH_ACK, 65535, NULL, NULL, 0);
	for (i = 0; i < n; i++) {
		char b = i < len ? line[i] : 'd';

		tt_inject(40000, 3128, seq, g.seq + 1, TH_ACK | TH_PSH, 65535,
		          NULL, &b, 1);
		seq++;
		tt_tx_clear();
	}
	used = rte_mempool_in_use_count(tt_pool) - base_used;
	cr_log_info("%u one-byte segments: %u mbufs held", n, used);
	cr_assert_lt(used, 16, "%u one-byte segments pin %u mbufs", n, used);
	tt_tx_clear();
}

/* Finding 3: a client outside allow-src is refused when it connects, not
 * after it had the chance to send (and hold) a head. */
Test(fwd_denied, client_outside_allow_src_refused_at_accept,
     .init = fwd_setup_denied, .fini = fwd_teardown)
{
	struct tcp_conn *c = NULL;

	cr_assert_eq(tcp_connect(tt_b.s, 0, TT_IP_B, TT_IP_A, RTE_BE16(3128),
	                         TCP_CC_NEWRENO, &peer_cbs, &cli, &c),
	             0);
	run(5);
	cr_assert(cli.closed, "the denied client's connection is open");
	cr_assert_eq(cnt.fwd_denied_src, 1);
	cr_assert_eq(cnt.fwd_sessions_in_use, 0);
}

/* ---- RFC 9110 / 9112 requirements on an intermediary ---- */

/* 9110 9.3.7, 9112 3.2.4: "OPTIONS *" is for the proxy itself. */
Test(fwd, options_asterisk_answered_here, .init = fwd_setup,
     .fini = fwd_teardown)
{
	client_connect();
	send_str(&cli, "OPTIONS * HTTP/1.1\r\nHost: 10.0.0.1\r\n\r\n");
	run(10);
	cr_assert(strncmp(cli.rx, "HTTP/1.1 200 OK\r\n", 17) == 0,
	          "client got: %s", cli.rx);
	cr_assert(strstr(cli.rx, "\r\nAllow: ") != NULL);
	cr_assert(strstr(cli.rx, "\r\nContent-Length: 0\r\n") != NULL);
	cr_assert_eq(org.accepted, 0);
}

/* 9110 7.6.2: Max-Forwards: 0 is not forwarded; the proxy answers. */
Test(fwd, options_max_forwards_zero_answered_here, .init = fwd_setup,
     .fini = fwd_teardown)
{
	client_connect();
	send_str(&cli, "OPTIONS http://10.0.0.2/ HTTP/1.1\r\nHost: 10.0.0.2\r\n"
	               "Max-Forwards: 0\r\n\r\n");
	run(10);
	cr_assert(strncmp(cli.rx, "HTTP/1.1 200 OK\r\n", 17) == 0,
	          "client got: %s", cli.rx);
	cr_assert(strstr(cli.rx, "\r\nAllow: ") != NULL);
	cr_assert_eq(org.accepted, 0, "Max-Forwards: 0 was forwarded");
	cr_assert_eq(cnt.fwd_options_answered, 1);
}

/* 9110 7.6.2: decremented when forwarded; 9112 3.2.4: an empty path is
 * sent as "*". */
Test(fwd, options_forwarded_with_max_forwards_less_one, .init = fwd_setup,
     .fini = fwd_teardown)
{
	client_connect();
	send_str(&cli, "OPTIONS http://10.0.0.2 HTTP/1.1\r\nHost: 10.0.0.2\r\n"
	               "Max-Forwards: 5\r\n\r\n");
	run(10);
	cr_assert(strncmp(org.rx, "OPTIONS * HTTP/1.1\r\n", 20) == 0,
	          "origin got: %s", org.rx);
	cr_assert(strstr(org.rx, "\r\nMax-Forwards: 4\r\n") != NULL,
	          "origin got: %s", org.rx);
	cr_assert(strstr(org.rx, "Max-Forwards: 5") == NULL);
}

/* 9110 15.5.6: a 405 lists what is allowed. */
Test(fwd, method_not_allowed_has_allow, .init = fwd_setup, .fini = fwd_teardown)
{
	client_connect();
	send_str(&cli,
	         "TRACE http://10.0.0.2/ HTTP/1.1\r\nHost: 10.0.0.2\r\n\r\n");
	run(10);
	cr_assert(strncmp(cli.rx, "HTTP/1.1 405 ", 13) == 0, "client got: %s",
	          cli.rx);
	cr_assert(strstr(cli.rx, "\r\nAllow: GET, ") != NULL);
	cr_assert_eq(org.accepted, 0);
}

/* 9110 8.6: no Content-Length in a 204 (nor in a 1xx). */
Test(fwd, no_content_length_on_204, .init = fwd_setup, .fini = fwd_teardown)
{
	client_connect();
	send_str(&cli,
	         "GET http://10.0.0.2/ HTTP/1.1\r\nHost: 10.0.0.2\r\n\r\n");
	run(10);
	send_str(&org, "HTTP/1.1 100 Continue\r\nContent-Length: 0\r\n\r\n"
	               "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n"
	               "X-A: 1\r\n\r\n");
	run(10);
	cr_assert(strstr(cli.rx, "HTTP/1.1 204 No Content\r\n") != NULL,
	          "client got: %s", cli.rx);
	cr_assert(strstr(cli.rx, "X-A: 1\r\n") != NULL);
	cr_assert(strstr(cli.rx, "Content-Length") == NULL, "client got: %s",
	          cli.rx);
}

/* 9112 6.1: no Transfer-Encoding to an HTTP/1.0 client: a chunked
 * response is de-chunked and ends with the connection. */
Test(fwd, chunked_response_dechunked_for_http10_client, .init = fwd_setup,
     .fini = fwd_teardown)
{
	const char *body;

	client_connect();
	send_str(&cli,
	         "GET http://10.0.0.2/ HTTP/1.0\r\nHost: 10.0.0.2\r\n\r\n");
	run(10);
	cr_assert(strstr(org.rx, "GET / HTTP/1.1\r\n") != NULL,
	          "the proxy sends its own version; origin got: %s", org.rx);
	send_str(&org,
	         "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	         "5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nX-T: 1\r\n\r\n");
	run(20);
	cr_assert(strncmp(cli.rx, "HTTP/1.1 200 OK\r\n", 17) == 0,
	          "client got: %s", cli.rx);
	cr_assert(strstr(cli.rx, "Transfer-Encoding") == NULL, "client got: %s",
	          cli.rx);
	cr_assert(strstr(cli.rx, "\r\nConnection: close\r\n") != NULL);
	body = strstr(cli.rx, "\r\n\r\n");
	cr_assert_not_null(body);
	cr_assert_str_eq(body + 4, "hello, world");
	cr_assert(cli.fin, "the body's end was not marked by the close");
}

/* 9112 3.2: an HTTP/1.1 request without Host, or with two, is 400. */
Test(fwd, host_missing_is_400, .init = fwd_setup, .fini = fwd_teardown)
{
	client_connect();
	send_str(&cli, "GET http://10.0.0.2/ HTTP/1.1\r\nX-A: 1\r\n\r\n");
	run(10);
	cr_assert(strncmp(cli.rx, "HTTP/1.1 400 ", 13) == 0, "client got: %s",
	          cli.rx);
	cr_assert_eq(org.accepted, 0);
}

Test(fwd, host_twice_is_400, .init = fwd_setup, .fini = fwd_teardown)
{
	client_connect();
	send_str(&cli, "GET http://10.0.0.2/ HTTP/1.1\r\nHost: 10.0.0.2\r\n"
	               "Host: 10.0.0.3\r\n\r\n");
	run(10);
	cr_assert(strncmp(cli.rx, "HTTP/1.1 400 ", 13) == 0, "client got: %s",
	          cli.rx);
	cr_assert_eq(org.accepted, 0);
}

/* ---- mbufs held by bodies; an upstream after its FIN (review of issue 10)
 * ---- */

/* An HTTP/1.0 client that does not read and a chunked response of
 * <chunk>-byte chunks: the mbufs the proxy then holds. */
static unsigned
probe_dechunk(unsigned chunk)
{
	static char resp[64 * 1024];
	unsigned base, used, i, len, k;

	client_connect();
	send_str(&cli,
	         "GET http://10.0.0.2/ HTTP/1.0\r\nHost: 10.0.0.2\r\n\r\n");
	run(10);
	cr_assert_not_null(org.c);
	len = (unsigned)snprintf(
	    resp, sizeof(resp),
	    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
	for (i = 0; len + chunk + 16 < 40000; i++) {
		len += (unsigned)snprintf(resp + len, sizeof(resp) - len,
		                          "%x\r\n", chunk);
		for (k = 0; k < chunk; k++)
			resp[len++] = 'X';
		resp[len++] = '\r';
		resp[len++] = '\n';
	}
	resp[len] = 0;
	base = rte_mempool_in_use_count(tt_pool);
	send_bytes(&org, resp, len, 1400);
	/* carry the origin's segments to the proxy only: the client does
	 * not ack, so what the proxy queued for it stays queued */
	for (i = 0; i < 40; i++) {
		carry(&tt_b, &tt_a);
		tt_advance(1);
		fwd_ctx_timer(fc, TT_T0 + tt_now_ms * TT_MS);
		{
			struct net_txbuf *tb = net_port_txbuf(&tt_a.net, 0);
			unsigned j;
			/* frames to the client: drop them (a lossy / silent
			 * client) , but keep acks to the origin flowing */
			for (j = 0; j < tb->n; j++)
				rte_pktmbuf_free(tb->pkts[j]);
			tb->n = 0;
		}
	}
	used = rte_mempool_in_use_count(tt_pool) - base;
	cr_log_info("dechunk chunk=%u: ~%u bytes, %u mbufs held", chunk, len,
	            used);
	return used;
}

/* De-chunking 1-byte chunks took an indirect mbuf per chunk (2211 for
 * 40 KB); now about what the same bytes in large chunks take. */
Test(fwd, dechunked_tiny_chunks_hold_few_mbufs, .init = fwd_setup,
     .fini = fwd_teardown)
{
	unsigned used = probe_dechunk(1);

	cr_assert_lt(used, 120, "40 KB of 1-byte chunks hold %u mbufs", used);
}

Test(fwd, dechunked_large_chunks_hold_few_mbufs, .init = fwd_setup,
     .fini = fwd_teardown)
{
	unsigned used = probe_dechunk(1000);

	cr_assert_lt(used, 120, "40 KB of 1000-byte chunks hold %u mbufs",
	             used);
}

/* A final head read after the origin's FIN (interim heads first) parked
 * the half-closed upstream for reuse: the next request went to a dead
 * connection. */
Test(fwd, upstream_after_fin_not_parked, .init = fwd_setup,
     .fini = fwd_teardown)
{
	static char resp[16384];
	unsigned i;

	client_connect();
	send_str(&cli,
	         "GET http://10.0.0.2/ HTTP/1.1\r\nHost: 10.0.0.2\r\n\r\n");
	run(10);
	resp[0] = 0;
	for (i = 0; i < 400; i++)
		strcat(resp, "HTTP/1.1 102 P\r\n\r\n");
	strcat(resp, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
	send_bytes(&org, resp, (uint32_t)strlen(resp), 1400);
	cr_assert_eq(tcp_shutdown(org.c), 0);
	run(50);
	cr_assert(strstr(cli.rx, "\r\n\r\nhello") != NULL);
	cr_assert_eq(cnt.fwd_idle_in_use, 0,
	             "an upstream that sent FIN was parked for reuse");
}

/* A request body dripped a byte a segment to an origin that does not
 * acknowledge: each byte was an mbuf in TCP's send queue (about 4490 for
 * 3000 bytes). */
Test(fwd, dripped_body_holds_few_mbufs, .init = fwd_setup, .fini = fwd_teardown)
{
	unsigned i, base, used;

	client_connect();
	send_str(&cli, "POST http://10.0.0.2/ HTTP/1.1\r\nHost: 10.0.0.2\r\n"
	               "Content-Length: 100000\r\n\r\n");
	run(10);
	cr_assert_not_null(org.c);
	base = rte_mempool_in_use_count(tt_pool);
	for (i = 0; i < 3000; i++) {
		char b = 'x';

		send_bytes(&cli, &b, 1, 1);
		carry(&tt_b, &tt_a);
		drop_a_frames(2, 80); /* an origin that does not ack */
		carry(&tt_a, &tt_b);
		carry(&tt_b, &tt_a);
		tt_advance(1);
		fwd_ctx_timer(fc, TT_T0 + tt_now_ms * TT_MS);
	}
	used = rte_mempool_in_use_count(tt_pool) - base;
	cr_log_info("3000 dripped body bytes, origin silent: %u mbufs held",
	            used);
	cr_assert_lt(used, 64, "3000 one-byte body segments hold %u mbufs",
	             used);
}

/* The origin answers every request head it has seen with "200 ok". */
static void
origin_answer_all(void)
{
	unsigned heads = count_of(org.rx, " HTTP/1.1\r\nHost: ");

	while (org.c != NULL && org.answered < heads) {
		send_str(&org,
		         "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
		org.answered++;
	}
}

/*
 * A request body and the next request in one segment, delivered while only
 * <k> mbufs are left in the pool, for k = 0..15 (so that, for some k, the
 * head for the origin could be written but the body's partial segment
 * could not be taken).  The body codec used to count the body as sent when
 * the mbuf for it could not be had: the origin got a POST without its body
 * and the proxy read "helloGET ..." as the next request (501).  Now every
 * request is answered 200, in order, whatever k.
 */
Test(fwd, body_split_when_the_pool_is_empty, .init = fwd_setup,
     .fini = fwd_teardown)
{
	static struct rte_mbuf *hoard[16384];
	char req[256];
	unsigned k, t, n = 0, total = 0;

	client_connect();
	send_str(&cli,
	         "GET http://10.0.0.2/warm HTTP/1.1\r\nHost: 10.0.0.2\r\n\r\n");
	for (t = 0; t < 20; t++) {
		run(1);
		origin_answer_all();
	}
	total = 1;
	for (k = 0; k < 16; k++) {
		struct net_txbuf *tb = net_port_txbuf(&tt_b.net, 0);
		unsigned i;

		snprintf(
		    req, sizeof(req),
		    "POST http://10.0.0.2/a%u HTTP/1.1\r\nHost: 10.0.0.2\r\n"
		    "Content-Length: 5\r\n\r\nhello"
		    "GET http://10.0.0.2/b%u HTTP/1.1\r\nHost: "
		    "10.0.0.2\r\n\r\n",
		    k, k);
		send_str(&cli, req);
		total += 2;
		/* the client's frames reach the proxy with k mbufs left */
		for (i = 0; i < tb->n; i++) {
			struct rte_mbuf *m = tb->pkts[i], *w;
			uint32_t len = rte_pktmbuf_pkt_len(m);

			w = rte_pktmbuf_alloc(tt_pool);
			cr_assert_not_null(w);
			cr_assert_not_null(
			    rte_pktmbuf_append(w, (uint16_t)len));
			rte_pktmbuf_read(m, 0, len,
			                 rte_pktmbuf_mtod(w, char *));
			rte_pktmbuf_free(m);
			n = 0;
			while (rte_mempool_avail_count(tt_pool) > k &&
			       n < 16384) {
				hoard[n] = rte_pktmbuf_alloc(tt_pool);
				if (hoard[n] == NULL)
					break;
				n++;
			}
			net_input(&tt_a.net, 0, &w, 1);
			while (n > 0)
				rte_pktmbuf_free(hoard[--n]);
		}
		tb->n = 0;
		/* long enough for a retransmission of what was dropped */
		for (t = 0; t < 600; t++) {
			run(1);
			origin_answer_all();
		}
		cr_assert_eq(
		    count_of(cli.rx, "HTTP/1.1 200 OK\r\n"), total,
		    "k=%u: %u answers of %u; no_mbuf %lu 503 %lu org heads %u "
		    "answered %u accepted %u; 501s %u; client got: %.300s",
		    k, count_of(cli.rx, "HTTP/1.1 200 OK\r\n"), total,
		    (unsigned long)cnt.fwd_no_mbuf,
		    (unsigned long)cnt.fwd_err_503,
		    count_of(org.rx, " HTTP/1.1\r\nHost: "), org.answered,
		    org.accepted, count_of(cli.rx, "HTTP/1.1 501"),
		    cli.rx + (cli.rx_len > 300 ? cli.rx_len - 300 : 0));
	}
	cr_assert_eq(count_of(cli.rx, "HTTP/1.1 501"), 0);
}

/* RFC 9112 6.1: no Transfer-Encoding to an HTTP/1.0 client, also on a
 * response without a body (HEAD). */
Test(fwd, no_transfer_encoding_to_http10_client_on_head, .init = fwd_setup,
     .fini = fwd_teardown)
{
	client_connect();
	send_str(&cli,
	         "HEAD http://10.0.0.2/ HTTP/1.0\r\nHost: 10.0.0.2\r\n\r\n");
	run(10);
	send_str(&org, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
	run(10);
	cr_assert(strncmp(cli.rx, "HTTP/1.1 200 OK\r\n", 17) == 0,
	          "client got: %s", cli.rx);
	cr_assert(strstr(cli.rx, "Transfer-Encoding") == NULL, "client got: %s",
	          cli.rx);
}

/* A transfer coding an HTTP/1.0 client cannot decode: 502. */
Test(fwd, gzip_transfer_coding_to_http10_client_is_502, .init = fwd_setup,
     .fini = fwd_teardown)
{
	client_connect();
	send_str(&cli,
	         "GET http://10.0.0.2/ HTTP/1.0\r\nHost: 10.0.0.2\r\n\r\n");
	run(10);
	send_str(&org, "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nxyz");
	run(10);
	cr_assert(strncmp(cli.rx, "HTTP/1.1 502 ", 13) == 0, "client got: %s",
	          cli.rx);
}

/* RFC 9110 7.6.2: a value past what we count is "very many", still
 * decremented; a second Max-Forwards line does not pass. */
Test(fwd, max_forwards_large_and_repeated, .init = fwd_setup,
     .fini = fwd_teardown)
{
	client_connect();
	send_str(&cli, "OPTIONS http://10.0.0.2/ HTTP/1.1\r\nHost: 10.0.0.2\r\n"
	               "Max-Forwards: 123456789012\r\nMax-Forwards: 0\r\n\r\n");
	run(10);
	cr_assert(strstr(org.rx, "\r\nMax-Forwards: 999999998\r\n") != NULL,
	          "origin got: %s", org.rx);
	cr_assert_eq(count_of(org.rx, "Max-Forwards"), 1, "origin got: %s",
	             org.rx);
}

/* A client connected through the proxy by CONNECT to the origin B:80. */
static void
tunnel_open(void)
{
	client_connect();
	send_str(&cli,
	         "CONNECT 10.0.0.2:80 HTTP/1.1\r\nHost: 10.0.0.2:80\r\n\r\n");
	run(10);
	cr_assert(strncmp(cli.rx, "HTTP/1.1 200 ", 13) == 0, "client got: %s",
	          cli.rx);
}

/* A CONNECT tunnel: the client half-closes, the origin answers with more
 * than fits in flight and closes; while the client's ACKs are held up,
 * the upstream's clean close used to end the session and drop what was
 * queued for the client (it saw a clean FIN after a short stream). */
Test(fwd, tunnel_keeps_data_after_upstream_closes, .init = fwd_setup,
     .fini = fwd_teardown)
{
	static char big[500000];
	uint32_t sent = 0;
	unsigned t;

	memset(big, 'z', sizeof(big));
	tunnel_open();
	cr_assert_eq(cnt.fwd_tunnels, 1);
	send_str(&cli, "GO");
	cr_assert_eq(tcp_shutdown(cli.c), 0);
	run(10);
	cr_assert(org.fin && strcmp(org.rx, "GO") == 0, "origin got: %s",
	          org.rx);
	cli.rx_total = 0;
	/* the origin sends 500000 bytes and closes; the client is deaf */
	for (t = 0; t < 400 && !(org.c == NULL); t++) {
		while (sent < sizeof(big) && org.c != NULL) {
			uint32_t room = tcp_send_space(org.c), k;

			k = sizeof(big) - sent < 1400 ? sizeof(big) - sent
			                              : 1400;
			if (room < k)
				break;
			send_bytes(&org, big + sent, k, 1400);
			sent += k;
		}
		if (sent == sizeof(big) && org.c != NULL && !org.closed) {
			tcp_shutdown(org.c);
			sent++; /* once */
		}
		carry(&tt_b, &tt_a);
		drop_a_frames(0, 3128); /* to the client */
		carry(&tt_a, &tt_b);
		tt_advance(1);
		fwd_ctx_timer(fc, TT_T0 + tt_now_ms * TT_MS);
	}
	run(5000); /* the client's ACKs flow again: retransmissions */
	cr_assert_eq(cli.rx_total, sizeof(big),
	             "the client got %lu of %zu bytes (fin %d)",
	             (unsigned long)cli.rx_total, sizeof(big), cli.fin);
	cr_assert(cli.fin);
	cr_assert_eq(cnt.fwd_sessions_in_use, 0);
}

/* The mirror case: the origin half-closes at once, the client uploads
 * more than fits in flight and closes cleanly while the origin's ACKs are
 * held up; the client's clean close used to reset the upstream and drop
 * what was still queued for it. */
Test(fwd, tunnel_keeps_data_after_client_closes, .init = fwd_setup,
     .fini = fwd_teardown)
{
	static char big[500000];
	uint32_t sent = 0;
	unsigned t;

	memset(big, 'u', sizeof(big));
	tunnel_open();
	cr_assert_not_null(org.c);
	cr_assert_eq(tcp_shutdown(org.c), 0);
	run(10);
	cr_assert(cli.fin, "the origin's FIN did not reach the client");
	org.rx_total = 0;
	for (t = 0; t < 400; t++) {
		while (sent < sizeof(big) && cli.c != NULL) {
			uint32_t room = tcp_send_space(cli.c), k;

			k = sizeof(big) - sent < 1400 ? sizeof(big) - sent
			                              : 1400;
			if (room < k)
				break;
			send_bytes(&cli, big + sent, k, 1400);
			sent += k;
		}
		if (sent == sizeof(big) && cli.c != NULL) {
			tcp_shutdown(cli.c);
			sent++; /* once */
		}
		carry(&tt_b, &tt_a);
		drop_a_frames(2, 80); /* to the origin */
		carry(&tt_a, &tt_b);
		tt_advance(1);
		fwd_ctx_timer(fc, TT_T0 + tt_now_ms * TT_MS);
	}
	run(5000); /* the origin's ACKs flow again */
	cr_assert_eq(
	    org.rx_total, sizeof(big),
	    "the origin got %lu of %zu bytes (fin %d, client closed %d)",
	    (unsigned long)org.rx_total, sizeof(big), org.fin, cli.closed);
	cr_assert(org.fin);
	cr_assert_eq(cnt.fwd_sessions_in_use, 0);
}

/* A request head split into two segments at every byte boundary, on one
 * keep-alive client connection (the upstream reused each time): each split
 * gives the same request at the origin and one answer, in order. */
Test(fwd, head_split_at_every_byte, .init = fwd_setup, .fini = fwd_teardown)
{
	static const char head[] = "GET http://10.0.0.2/split HTTP/1.1\r\n"
	                           "Host: 10.0.0.2\r\nX-A: b\r\n\r\n";
	const uint32_t n = sizeof(head) - 1;
	uint32_t k;
	unsigned t;

	client_connect();
	for (k = 1; k < n; k++) {
		send_bytes(&cli, head, k, k);
		run(3);
		send_bytes(&cli, head + k, n - k, n);
		for (t = 0; t < 10; t++) {
			run(1);
			origin_answer_all();
		}
		cr_assert_eq(count_of(org.rx, "GET /split HTTP/1.1\r\n"
		                              "Host: 10.0.0.2\r\nX-A: b\r\n"),
		             k, "split at %u: origin got: %s", k, org.rx);
		cr_assert_eq(count_of(cli.rx, "HTTP/1.1 200 OK\r\n"), k,
		             "split at %u: %u answers", k,
		             count_of(cli.rx, "HTTP/1.1 200 OK\r\n"));
	}
	cr_assert_eq(org.accepted, 1, "the upstream was not reused");
	cr_assert_eq(cnt.fwd_upstream_reused, n - 2);
}

/* ---- retry on a reused upstream that closed (issue 12 item 8) ---- */

/* One request answered and its upstream parked; then the client's second
 * request <req2> goes out on the parked connection, which the origin then
 * ends without a word (<rst>: reset, else FIN and close). */
static void
first_request_parked(void)
{
	client_connect();
	send_str(&cli,
	         "GET http://10.0.0.2/a HTTP/1.1\r\nHost: 10.0.0.2\r\n\r\n");
	run(10);
	send_str(&org, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na");
	run(10);
	cr_assert(strstr(cli.rx, "\r\n\r\na") != NULL, "client got: %s",
	          cli.rx);
	cr_assert_eq(cnt.fwd_upstream_idle, 1, "the upstream was parked");
	cli.rx_len = 0;
	cli.rx[0] = '\0';
}

static void
reused_upstream_dies(const char *req2, bool rst)
{
	first_request_parked();
	send_str(&cli, req2);
	run(10);
	cr_assert_eq(cnt.fwd_upstream_reused, 1);
	cr_assert_eq(org.accepted, 1);
	cr_assert(strstr(org.rx, " /b HTTP/1.1\r\n") != NULL, "origin got: %s",
	          org.rx);
	if (rst)
		tcp_abort(org.c);
	else
		tcp_close(org.c);
	run(10);
}

/* The origin closed the reused connection as the request arrived: the
 * request goes again, once, on a new connection, and is answered. */
static void
expect_retried(void)
{
	cr_assert_eq(org.accepted, 2, "no new upstream connection");
	cr_assert(strstr(org.rx, "GET /b HTTP/1.1\r\n") != NULL,
	          "origin got: %s", org.rx);
	send_str(&org, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb");
	run(10);
	cr_assert(strncmp(cli.rx, "HTTP/1.1 200 OK\r\n", 17) == 0,
	          "client got: %s", cli.rx);
	cr_assert(strstr(cli.rx, "\r\n\r\nb") != NULL);
	cr_assert_eq(cnt.fwd_upstream_retried, 1);
	cr_assert_eq(cnt.fwd_err_502_response, 0);
}

Test(fwd, reused_upstream_reset_get_retried_once, .init = fwd_setup,
     .fini = fwd_teardown)
{
	reused_upstream_dies(
	    "GET http://10.0.0.2/b HTTP/1.1\r\nHost: 10.0.0.2\r\n\r\n", true);
	expect_retried();
}

Test(fwd, reused_upstream_fin_get_retried_once, .init = fwd_setup,
     .fini = fwd_teardown)
{
	reused_upstream_dies(
	    "GET http://10.0.0.2/b HTTP/1.1\r\nHost: 10.0.0.2\r\n\r\n", false);
	expect_retried();
}

/* Once only: the new connection failing the same way is a 502. */
Test(fwd, retried_request_failing_again_is_502, .init = fwd_setup,
     .fini = fwd_teardown)
{
	reused_upstream_dies(
	    "GET http://10.0.0.2/b HTTP/1.1\r\nHost: 10.0.0.2\r\n\r\n", true);
	cr_assert_eq(org.accepted, 2);
	tcp_abort(org.c);
	run(10);
	cr_assert_eq(org.accepted, 2, "retried twice");
	cr_assert(strncmp(cli.rx, "HTTP/1.1 502 ", 13) == 0, "client got: %s",
	          cli.rx);
	cr_assert_eq(cnt.fwd_upstream_retried, 1);
}

/* A POST is not idempotent: never sent twice (RFC 9110 9.2.2). */
Test(fwd, reused_upstream_reset_post_is_502, .init = fwd_setup,
     .fini = fwd_teardown)
{
	reused_upstream_dies(
	    "POST http://10.0.0.2/b HTTP/1.1\r\nHost: 10.0.0.2\r\n"
	    "Content-Length: 2\r\n\r\nhi",
	    true);
	cr_assert_eq(org.accepted, 1, "a POST was sent again");
	cr_assert(strncmp(cli.rx, "HTTP/1.1 502 ", 13) == 0, "client got: %s",
	          cli.rx);
	cr_assert_eq(cnt.fwd_upstream_retried, 0);
}

/* A response begun is never retried: the client sees it cut short. */
Test(fwd, reused_upstream_answering_is_not_retried, .init = fwd_setup,
     .fini = fwd_teardown)
{
	first_request_parked();
	send_str(&cli,
	         "GET http://10.0.0.2/b HTTP/1.1\r\nHost: 10.0.0.2\r\n\r\n");
	run(10);
	cr_assert_eq(cnt.fwd_upstream_reused, 1);
	send_str(&org, "HTTP/1.1 200 OK\r\nContent-Le");
	run(10);
	tcp_abort(org.c);
	run(10);
	cr_assert_eq(org.accepted, 1);
	cr_assert_eq(cnt.fwd_upstream_retried, 0);
	cr_assert_eq(cnt.fwd_err_502_response, 1);
}

/* ---- the shared cache (issue 12's first slice) ---- */

#define RESP_60                                            \
	"HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\n" \
	"Content-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello"

/* Miss, stored, then a hit: the origin sees one request, the client gets
 * the same body twice, the second time with Age, on the same connection. */
Test(fwd, cache_miss_then_hit, .init = fwd_setup_cache, .fini = fwd_teardown)
{
	const char *second;

	client_connect();
	cr_assert(cache_get("/c", "", RESP_60));
	cr_assert_eq(cnt.fwd_cache_misses, 1);
	cr_assert_eq(cnt.fwd_cache_stored, 1);
	cr_assert(strstr(cli.rx, "Age:") == NULL, "a miss has no Age added");
	cr_assert_not(cache_get("/c", "", RESP_60),
	              "the origin saw the second request");
	cr_assert_eq(origin_requests(), 1);
	cr_assert_eq(cnt.fwd_cache_hits, 1);
	cr_assert_eq(count_of(cli.rx, "\r\n\r\nhello"), 2, "client got: %s",
	             cli.rx);
	second = strstr(cli.rx + 1, "HTTP/1.1 200 OK\r\n");
	cr_assert_not_null(second);
	cr_assert(strstr(second, "\r\nAge: 0\r\n") != NULL, "hit: %s", second);
	cr_assert(strstr(second, "\r\nContent-Length: 5\r\n") != NULL);
	cr_assert(strstr(second, "\r\nCache-Control: max-age=60\r\n") != NULL);
	cr_assert(strstr(second, "\r\nVia: 1.1 gatehouse\r\n") != NULL);
	/* keep-alive: a third request on the same connection, a hit too */
	cr_assert_not(cache_get("/c", "", RESP_60));
	cr_assert_eq(cnt.fwd_cache_hits, 2);
	cr_assert_eq(count_of(cli.rx, "\r\n\r\nhello"), 3);
	cr_assert_not(cli.closed);
	cr_assert_eq(cli.connected, true);
}

/* HEAD answered from a stored GET: the head only. */
Test(fwd, cache_head_from_get, .init = fwd_setup_cache, .fini = fwd_teardown)
{
	client_connect();
	cr_assert(cache_get("/h", "", RESP_60));
	cli.rx_len = 0;
	cli.rx[0] = '\0';
	send_str(&cli, "HEAD http://10.0.0.2/h HTTP/1.1\r\nHost: 10.0.0.2\r\n"
	               "\r\n");
	run(10);
	cr_assert_eq(origin_requests(), 1);
	cr_assert_eq(cnt.fwd_cache_hits, 1);
	cr_assert(strncmp(cli.rx, "HTTP/1.1 200 OK\r\n", 17) == 0, "got: %s",
	          cli.rx);
	cr_assert(strstr(cli.rx, "hello") == NULL, "a body to HEAD: %s",
	          cli.rx);
}

/* Response no-store: not stored, the origin sees both requests. */
Test(fwd, cache_response_no_store, .init = fwd_setup_cache,
     .fini = fwd_teardown)
{
	static const char resp[] =
	    "HTTP/1.1 200 OK\r\nCache-Control: no-store\r\n"
	    "Content-Length: 5\r\n\r\nhello";

	client_connect();
	cr_assert(cache_get("/n", "", resp));
	cr_assert(cache_get("/n", "", resp), "served a no-store response");
	cr_assert_eq(origin_requests(), 2);
	cr_assert_eq(cnt.fwd_cache_stored, 0);
	cr_assert_eq(cnt.fwd_cache_not_stored, 2);
	cr_assert_eq(cnt.fwd_cache_not_stored_no_store, 2,
	             "the reason counted");
	cr_assert_eq(cnt.fwd_cache_hits, 0);
	cr_assert_eq(count_of(cli.rx, "\r\n\r\nhello"), 2);
}

/* Request no-cache: the stored response is not used without validation
 * (not in this slice): the request goes to the origin. */
Test(fwd, cache_request_no_cache, .init = fwd_setup_cache, .fini = fwd_teardown)
{
	client_connect();
	cr_assert(cache_get("/q", "", RESP_60));
	cr_assert(cache_get("/q", "Cache-Control: no-cache\r\n", RESP_60),
	          "no-cache answered from the cache");
	cr_assert_eq(origin_requests(), 2);
	cr_assert_eq(cnt.fwd_cache_hits, 0);
	/* still stored: a plain request is a hit */
	cr_assert_not(cache_get("/q", "", RESP_60));
	cr_assert_eq(cnt.fwd_cache_hits, 1);
}

/* Request no-store: not stored. */
Test(fwd, cache_request_no_store, .init = fwd_setup_cache, .fini = fwd_teardown)
{
	client_connect();
	cr_assert(cache_get("/r", "Cache-Control: no-store\r\n", RESP_60));
	cr_assert_eq(cnt.fwd_cache_stored, 0);
	cr_assert(cache_get("/r", "", RESP_60));
	cr_assert_eq(origin_requests(), 2);
}

/* max-age=1: after the proxy's clock moved 2 s the origin is asked again. */
Test(fwd, cache_max_age_expires, .init = fwd_setup_cache, .fini = fwd_teardown)
{
	static const char resp[] =
	    "HTTP/1.1 200 OK\r\nCache-Control: max-age=1\r\n"
	    "Content-Length: 5\r\n\r\nhello";

	client_connect();
	cr_assert(cache_get("/e", "", resp));
	cr_assert_not(cache_get("/e", "", resp), "fresh for 1 s");
	run(2000);
	cr_assert(cache_get("/e", "", resp), "served after max-age");
	cr_assert_eq(origin_requests(), 2);
	cr_assert_eq(cnt.fwd_cache_hits, 1);
	/* the new response replaced the stale one: a hit again */
	cr_assert_eq(cnt.fwd_cache_stored, 2);
	cr_assert_not(cache_get("/e", "", resp), "the stale copy stayed");
	cr_assert_eq(cnt.fwd_cache_hits, 2);
}

/* only-if-cached with nothing stored: 504, nothing goes upstream. */
Test(fwd, cache_only_if_cached_504, .init = fwd_setup_cache,
     .fini = fwd_teardown)
{
	client_connect();
	cr_assert_not(
	    cache_get("/o", "Cache-Control: only-if-cached\r\n", RESP_60));
	cr_assert(strncmp(cli.rx, "HTTP/1.1 504 ", 13) == 0, "got: %s", cli.rx);
	cr_assert_eq(origin_requests(), 0);
}

/* A hit's body goes as mbufs attached to the object's segments: the
 * frames TCP sends carry external buffers, and the bytes at the client
 * are the stored ones.  Cut short fills are given up, never served. */
Test(fwd, cache_hit_body_is_external_buffers, .init = fwd_setup_cache,
     .fini = fwd_teardown)
{
	static char resp[8192], body[4001];
	unsigned i;

	for (i = 0; i < 4000; i++)
		body[i] = (char)('a' + i % 26);
	body[4000] = '\0';
	snprintf(resp, sizeof(resp),
	         "HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\n"
	         "Content-Length: 4000\r\n\r\n%s",
	         body);
	client_connect();
	cr_assert(cache_get("/x", "", resp));
	run(50);
	/* the miss that fills is served from the object too */
	cr_assert_gt(pt_ext_frames, 0, "the filler's client got copies");
	pt_ext_frames = 0;
	cr_assert_not(cache_get("/x", "", resp));
	run(50);
	cr_assert_gt(pt_ext_frames, 0, "the hit's body was copied");
	cr_assert_eq(count_of(cli.rx, body), 2);
}

/* A response cut short is not stored (the fill is given up). */
Test(fwd, cache_cut_short_not_stored, .init = fwd_setup_cache,
     .fini = fwd_teardown)
{
	client_connect();
	cr_assert(cache_get("/a", "",
	                    "HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\n"
	                    "Content-Length: 10\r\n\r\nhello"));
	tcp_abort(org.c);
	run(20);
	cr_assert_eq(cnt.fwd_cache_fill_aborted, 1);
	cr_assert_eq(cnt.fwd_cache_stored, 0);
	client_connect();
	cr_assert(cache_get("/a", "", RESP_60));
	cr_assert_eq(cnt.fwd_cache_stored, 1);
}

/* Pipelined hits: more than a burst (32) in one write are all answered,
 * in order, the rest resumed by the timer; the connection stays open. */
Test(fwd, cache_pipelined_hits, .init = fwd_setup_cache, .fini = fwd_teardown)
{
	static char reqs[40 * 64];
	unsigned i;

	client_connect();
	cr_assert(cache_get("/p", "", RESP_60));
	reqs[0] = '\0';
	for (i = 0; i < 40; i++)
		strcat(reqs,
		       "GET http://10.0.0.2/p HTTP/1.1\r\nHost: x\r\n\r\n");
	send_str(&cli, reqs);
	run(50);
	cr_assert_eq(cnt.fwd_cache_hits, 40);
	cr_assert_eq(count_of(cli.rx, "\r\n\r\nhello"), 41);
	cr_assert_eq(origin_requests(), 1);
	cr_assert_not(cli.closed);
}

/* An HTTP/1.0 client without keep-alive: the hit says Connection: close
 * and the proxy closes after it. */
Test(fwd, cache_hit_http10_closes, .init = fwd_setup_cache,
     .fini = fwd_teardown)
{
	client_connect();
	cr_assert(cache_get("/t", "", RESP_60));
	cli.rx_len = 0;
	cli.rx[0] = '\0';
	send_str(&cli, "GET http://10.0.0.2/t HTTP/1.0\r\n\r\n");
	run(50);
	cr_assert_eq(cnt.fwd_cache_hits, 1);
	cr_assert(strstr(cli.rx, "\r\nConnection: close\r\n") != NULL,
	          "got: %s", cli.rx);
	cr_assert(strstr(cli.rx, "\r\nVia: 1.0 gatehouse\r\n") != NULL);
	cr_assert(strstr(cli.rx, "\r\n\r\nhello") != NULL);
	cr_assert(cli.fin, "the proxy did not close after the hit");
}

/* A Content-Length over cache-max-object-kb (512 here) is not stored,
 * decided at the response head, the client getting the response as on any
 * miss (Vary, chunked bodies and other statuses: test_fwd_store.c). */
Test(fwd, cache_not_stored_too_large, .init = fwd_setup_cache,
     .fini = fwd_teardown)
{
	client_connect();
	cr_assert(cache_get("/big", "",
	                    "HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\n"
	                    "Content-Length: 524289\r\n\r\nhello"));
	cr_assert_eq(cnt.fwd_cache_not_stored, 1);
	cr_assert_eq(cnt.fwd_cache_not_stored_too_large, 1);
	cr_assert_eq(cnt.fwd_cache_stored, 0);
	cr_assert_eq(cnt.fwd_cache_fill_aborted, 0);
	cr_assert(strstr(cli.rx, "\r\nContent-Length: 524289\r\n") != NULL);
}

/* Age on a hit is the current age (RFC 9111 4.2.3): the origin's Age
 * (corrected initial age) plus the time resident, on the proxy's clock;
 * the origin's own Age line is not passed on a second time. */
Test(fwd, cache_hit_age_counts, .init = fwd_setup_cache, .fini = fwd_teardown)
{
	const char *hit;

	client_connect();
	cr_assert(cache_get("/g", "",
	                    "HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\n"
	                    "Age: 10\r\nContent-Length: 5\r\n\r\nhello"));
	run(5000);
	cli.rx_len = 0;
	cli.rx[0] = '\0';
	cr_assert_not(cache_get("/g", "", ""));
	hit = cli.rx;
	cr_assert(strstr(hit, "\r\nAge: 15\r\n") != NULL, "hit: %s", hit);
	cr_assert_eq(count_of(hit, "Age:"), 1, "hit: %s", hit);
}

/* A 200 hit is the stored head as it came (hop-by-hop fields and the
 * origin's Age left out), then the current Age, Via and the empty line,
 * byte for byte (written in one copy, the Age without snprintf). */
Test(fwd, cache_hit_head_exact, .init = fwd_setup_cache, .fini = fwd_teardown)
{
	static const char want[] =
	    "HTTP/1.1 200 OK\r\nCache-Control: max-age=6000\r\n"
	    "ETag: \"x\"\r\nContent-Length: 5\r\nAge: 1234\r\n"
	    "Via: 1.1 gatehouse\r\n\r\nhello";

	client_connect();
	cr_assert(cache_get("/x", "",
	                    "HTTP/1.1 200 OK\r\nCache-Control: max-age=6000\r\n"
	                    "Connection: keep-alive\r\nAge: 1234\r\n"
	                    "ETag: \"x\"\r\nContent-Length: 5\r\n\r\nhello"));
	cli.rx_len = 0;
	cli.rx[0] = '\0';
	cr_assert_not(cache_get("/x", "", ""));
	cr_assert_eq(cnt.fwd_cache_hits, 1);
	cr_assert_str_eq(cli.rx, want);
}

/* Found in review of the first slice: a hit skipped the listener's
 * destination policy.  An object fetched from a private address by a
 * listener with allow-private-dst is no hit on a listener without it:
 * there the request meets the destination check, 403, as a fetch would. */
Test(fwd, cache_private_dst_object_not_served_without_allow_private_dst,
     .init = fwd_setup_cache, .fini = fwd_teardown)
{
	struct conf_forward strict = cfg;
	struct tcp_conn *c = NULL;

	strict.allow_private_dst = false;
	cr_assert_eq(
	    fwd_listen(fc, 0, TT_IP_A, RTE_BE16(3129), &strict, TCP_CC_NEWRENO),
	    0);
	client_connect();
	cr_assert(cache_get("/p", "", RESP_60));
	cr_assert_eq(cnt.fwd_cache_stored, 1);
	tcp_close(cli.c);
	run(10);
	memset(&cli, 0, sizeof(cli));
	cr_assert_eq(tcp_connect(tt_b.s, 0, TT_IP_B, TT_IP_A, RTE_BE16(3129),
	                         TCP_CC_NEWRENO, &peer_cbs, &cli, &c),
	             0);
	run(5);
	cr_assert(cli.connected);
	send_str(&cli,
	         "GET http://10.0.0.2/p HTTP/1.1\r\nHost: 10.0.0.2\r\n\r\n");
	run(10);
	cr_assert(strncmp(cli.rx, "HTTP/1.1 403 ", 13) == 0, "client got: %s",
	          cli.rx);
	cr_assert_eq(cnt.fwd_cache_hits, 0);
	cr_assert_eq(origin_requests(), 1);
}

/* Found in review: the origin closes first, then the client sends its
 * last bytes and closes cleanly; the client leg ends at once (its FIN
 * after ours: TIME-WAIT) while those bytes still wait, unacknowledged,
 * in the upstream's send queue.  The session reset the upstream then,
 * and the origin never got them. */
Test(fwd, tunnel_client_last_bytes_survive_its_clean_close, .init = fwd_setup,
     .fini = fwd_teardown)
{
	unsigned t;

	tunnel_open();
	cr_assert_eq(tcp_shutdown(org.c), 0);
	run(10);
	cr_assert(cli.fin, "the origin's FIN did not reach the client");
	org.rx_total = 0;
	send_str(&cli, "LAST");
	cr_assert_eq(tcp_shutdown(cli.c), 0);
	/* the origin hears nothing from the proxy for a while */
	for (t = 0; t < 20; t++) {
		carry(&tt_b, &tt_a);
		drop_a_frames(2, 80);
		carry(&tt_a, &tt_b);
		tt_advance(1);
		fwd_ctx_timer(fc, TT_T0 + tt_now_ms * TT_MS);
	}
	cr_assert(cli.closed || cli.fin, "the client leg ended");
	run(5000); /* retransmissions reach the origin */
	cr_assert_eq(org.rx_total, 4, "the origin got %lu bytes",
	             (unsigned long)org.rx_total);
	cr_assert(org.fin, "the origin got no FIN");
	cr_assert_neq(org.why, TCP_CLOSE_RESET, "the upstream was reset");
	cr_assert_eq(cnt.fwd_sessions_in_use, 0);
}

/* ---- collapsed misses (issue 12 item 6) ---- */

static struct peer cli2; /* a second client */

/* Both clients GET /k; the first one's reaches the origin. */
static void
two_misses(void)
{
	static const char req[] =
	    "GET http://10.0.0.2/k HTTP/1.1\r\nHost: 10.0.0.2\r\n\r\n";

	client_connect();
	peer_connect(&cli2);
	send_str(&cli, req);
	run(10);
	cr_assert_eq(origin_requests(), 1);
	send_str(&cli2, req);
	run(10);
}

#define BIG_LEN 3000u

/* A 200 of BIG_LEN bytes of 'a'..'z' with max-age=60, its head and the
 * first <part> body bytes sent now, the rest by big_rest(). */
static char big[BIG_LEN];

static void
big_start(const char *cc, uint32_t part)
{
	char head[256];
	uint32_t i;

	for (i = 0; i < BIG_LEN; i++)
		big[i] = (char)('a' + i % 26);
	snprintf(head, sizeof(head),
	         "HTTP/1.1 200 OK\r\nCache-Control: %s\r\n"
	         "Content-Length: %u\r\n\r\n",
	         cc, BIG_LEN);
	send_str(&org, head);
	send_bytes(&org, big, part, 1000);
	run(10);
}

static void
big_rest(uint32_t part)
{
	send_bytes(&org, big + part, BIG_LEN - part, 1000);
	run(10);
}

/* <p> received one response whose body is big[]. */
static void
assert_got_big(const struct peer *p)
{
	const char *body = strstr(p->rx, "\r\n\r\n");

	cr_assert_not_null(body, "got: %.200s", p->rx);
	body += 4;
	cr_assert_eq(p->rx_len - (uint32_t)(body - p->rx), BIG_LEN,
	             "body of %u bytes",
	             (unsigned)(p->rx_len - (uint32_t)(body - p->rx)));
	cr_assert_eq(memcmp(body, big, BIG_LEN), 0);
}

/* The second miss waits on the first one's fetch and gets the head and
 * the body as they arrive, from the object (no request of its own); then
 * its connection reads the next request, a plain hit. */
Test(fwd, collapse_second_miss_streams_from_the_first_fetch,
     .init = fwd_setup_cache, .fini = fwd_teardown)
{
	two_misses();
	cr_assert_eq(origin_requests(), 1, "the second miss went upstream");
	cr_assert_eq(cnt.fwd_cache_collapsed, 1);
	cr_assert_eq(cli2.rx_len, 0, "nothing before the origin answers");
	big_start("max-age=60", 1000);
	cr_assert(strncmp(cli2.rx, "HTTP/1.1 200 OK\r\n", 17) == 0,
	          "the waiter got no head while the body streams: %.100s",
	          cli2.rx);
	cr_assert(strstr(cli2.rx, "\r\nAge: 0\r\n") != NULL);
	cr_assert_geq(cli.rx_len, 1000);
	cr_assert_gt(cli2.rx_len, 1000 - 1, "streamed, not at the end");
	big_rest(1000);
	assert_got_big(&cli);
	assert_got_big(&cli2);
	cr_assert_eq(origin_requests(), 1);
	cr_assert_eq(cnt.fwd_cache_stored, 1);
	cr_assert_gt(pt_ext_frames, 0, "the waiter's body is not copied");
	/* the waiter's connection goes on: its next request is a hit */
	cli2.rx_len = 0;
	send_str(&cli2, "GET http://10.0.0.2/k HTTP/1.1\r\nHost: 10.0.0.2\r\n"
	                "\r\n");
	run(10);
	assert_got_big(&cli2);
	cr_assert_eq(cnt.fwd_cache_hits, 1);
	cr_assert_eq(origin_requests(), 1);
	cr_assert_eq(cnt.fwd_cache_collapse_fallback, 0);
}

/* The first fetch's response may not be stored (no-store): the waiter,
 * which got nothing yet, fetches for itself. */
Test(fwd, collapse_falls_back_when_the_response_is_not_storable,
     .init = fwd_setup_cache, .fini = fwd_teardown)
{
	two_misses();
	big_start("no-store", BIG_LEN);
	assert_got_big(&cli);
	cr_assert_eq(origin_requests(), 2, "the waiter did not fetch");
	cr_assert_eq(cnt.fwd_cache_collapse_fallback, 1);
	cr_assert_eq(cli2.rx_len, 0);
	big_start("no-store", BIG_LEN); /* to the second request */
	assert_got_big(&cli2);
	cr_assert_eq(cnt.fwd_requests, 2, "the fallback counted again");
	cr_assert_eq(cnt.fwd_cache_misses, 2);
	cr_assert_eq(cnt.fwd_cache_stored, 0);
}

static void
fwd_setup_cache_short_wait(void)
{
	ft_setup(&(struct ft_opts){.cache = true, .collapse_ms = 100});
}

/* An origin slow to answer: after cache-collapse-wait-ms the waiter
 * fetches for itself (and its response, the key being filled, is not
 * stored). */
Test(fwd, collapse_wait_is_bounded, .init = fwd_setup_cache_short_wait,
     .fini = fwd_teardown)
{
	two_misses();
	run(150);
	cr_assert_eq(cnt.fwd_cache_collapse_timeout, 1);
	cr_assert_eq(origin_requests(), 2);
	big_start("max-age=60", BIG_LEN); /* both requests are answered */
	big_start("max-age=60", BIG_LEN);
	assert_got_big(&cli2);
}

/* The first fetch is cut after the head and part of the body: the
 * waiter, which got that part, is cut too (as by the origin), and no
 * session or object stays behind. */
Test(fwd, collapse_waiter_is_cut_with_the_fill, .init = fwd_setup_cache,
     .fini = fwd_teardown)
{
	two_misses();
	big_start("max-age=60", 1000);
	cr_assert_gt(cli2.rx_len, 1000 - 1);
	tcp_abort(org.c);
	run(20);
	cr_assert(cli.closed, "the filler's client was not cut");
	cr_assert(cli2.closed, "the waiter's client was not cut");
	cr_assert_eq(cnt.fwd_cache_stored, 0);
	cr_assert_eq(cnt.fwd_sessions_in_use, 0);
}

/* A slow origin: a piece every 10 s, 40 s in all (past the 30 s read
 * timeout): the waiter's silence timer restarts with every piece, as the
 * filler's does, so both clients get everything. */
Test(fwd, collapse_waiter_timer_restarts_on_progress, .init = fwd_setup_cache,
     .fini = fwd_teardown)
{
	uint32_t off = 1000;

	two_misses();
	big_start("max-age=60", 1000);
	cr_assert_gt(cli2.rx_len, 999);
	while (off < BIG_LEN) {
		run(10000);
		send_bytes(&org, big + off, 500, 1000);
		off += 500;
		run(10);
	}
	run(100);
	assert_got_big(&cli);
	assert_got_big(&cli2);
	cr_assert_eq(cnt.fwd_aborted, 0);
}

/* Other objects pushing the index past its budget while a fill streams to
 * a waiter: the fill (BUSY) is never the victim. */
Test(fwd, collapse_fill_is_not_evicted, .init = fwd_setup_cache,
     .fini = fwd_teardown)
{
	static uint8_t body[450 * 1024];
	struct cache_index_stats st;
	unsigned i;

	two_misses();
	big_start("max-age=60", 1000);
	cr_assert_gt(cli2.rx_len, 999);
	for (i = 0; i < 20; i++) {
		uint8_t key[64];
		struct cache_obj *o, *e = NULL;
		int kl =
		    snprintf((char *)key, sizeof(key), "GET http://x/%u", i);

		o = cache_obj_create(ci, key, (size_t)kl, "H", 1, sizeof(body));
		cr_assert_not_null(o);
		cr_assert_eq(cache_index_insert_unique(ci, o, &e), 0);
		cr_assert_eq(cache_obj_append(o, body, sizeof(body)), 0);
		cr_assert_eq(cache_obj_complete(o), 0);
		cache_obj_put(o);
	}
	cache_index_stats_get(ci, &st);
	cr_assert_gt(st.c.evictions, 0, "nothing was evicted");
	big_rest(1000);
	assert_got_big(&cli);
	assert_got_big(&cli2);
	cr_assert_eq(cnt.fwd_cache_stored, 1);
}

/* A request whose directives refuse a fresh stored response (min-fresh)
 * goes to the origin, but the stored response stays for the others: a
 * client header cannot remove it (the 500 it got is not stored). */
Test(fwd, cache_request_directives_do_not_purge, .init = fwd_setup_cache,
     .fini = fwd_teardown)
{
	client_connect();
	cr_assert(cache_get("/p", "", RESP_60));
	cr_assert_not(cache_get("/p", "", RESP_60), "not a hit");
	cr_assert(cache_get("/p", "Cache-Control: min-fresh=100000\r\n",
	                    "HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n"));
	cr_assert_not(cache_get("/p", "", RESP_60),
	              "the fresh object was removed by a request header");
	cr_assert_eq(cnt.fwd_cache_hits, 2);
}

/* The filler's own client goes away after the head: the fill goes on
 * without it, at the origin's pace, the waiter gets every byte, the
 * object is stored, and the orphaned session ends with the response. */
Test(fwd, collapse_fill_outlives_its_client, .init = fwd_setup_cache,
     .fini = fwd_teardown)
{
	two_misses();
	big_start("max-age=60", 1000);
	cr_assert_gt(cli2.rx_len, 999);
	tcp_abort(cli.c);
	run(20);
	cr_assert_eq(cnt.fwd_cache_fill_orphaned, 1);
	big_rest(1000);
	run(20);
	assert_got_big(&cli2);
	cr_assert_eq(cnt.fwd_cache_stored, 1);
	cr_assert_eq(cnt.fwd_sessions_in_use, 1, "only the waiter's is left");
	cr_assert_eq(origin_requests(), 1);
}

/* Feed <len> bytes of <body> from the origin as its send space allows,
 * the proxy running between pieces; how many went. */
static uint32_t
origin_feed(const char *body, uint32_t len, unsigned max_ms)
{
	uint32_t off = 0;
	unsigned t;

	for (t = 0; t < max_ms && off < len; t++) {
		uint32_t k = RTE_MIN(tcp_send_space(org.c), 16000u);

		k = RTE_MIN(k, len - off);
		if (k > 0)
			send_bytes(&org, body + off, k, 1000);
		off += k;
		run(1);
	}
	return off;
}

/* Review finding 1B: the filler's own client reads nothing for a while
 * (its window closes): the fill goes on at the origin's pace and the
 * waiter gets the whole body meanwhile; then the slow client reads, and
 * gets all of it too. */
static void
fwd_setup_cache_1m(void)
{
	ft_setup(&(struct ft_opts){.cache = true, .max_object_kb = 1024});
}

/* (LEN is more than the slow client's window, our send queue and
 * FWD_OUT_MAX together.) */
Test(fwd, collapse_fill_runs_at_the_origins_pace, .init = fwd_setup_cache_1m,
     .fini = fwd_teardown)
{
	enum { LEN = 1000 * 1024 };
	static char body[LEN];
	char head[128];
	uint32_t off, hl, i;

	for (i = 0; i < LEN; i++)
		body[i] = (char)('a' + i % 26);
	two_misses();
	cli.hold = true;
	hl = (uint32_t)snprintf(head, sizeof(head),
	                        "HTTP/1.1 200 OK\r\nCache-Control: "
	                        "max-age=60\r\nContent-Length: %u\r\n\r\n",
	                        (unsigned)LEN);
	send_str(&org, head);
	off = origin_feed(body, LEN, 5000);
	run(50);
	cr_assert_eq(off, LEN, "the origin could send %u of %u bytes", off,
	             (unsigned)LEN);
	cr_assert_gt(cli2.rx_len, 0);
	hl = (uint32_t)(strstr(cli2.rx, "\r\n\r\n") + 4 - cli2.rx);
	cr_assert_eq(cli2.rx_total, hl + LEN,
	             "the waiter got %lu of %u body bytes behind a slow filler",
	             (unsigned long)(cli2.rx_total - hl), (unsigned)LEN);
	cr_assert_lt(cli.rx_total, LEN, "the filler's client did not hold");
	cr_assert_eq(cnt.fwd_cache_stored, 1, "the object did not complete");
	peer_release(&cli);
	run(200);
	hl = (uint32_t)(strstr(cli.rx, "\r\n\r\n") + 4 - cli.rx);
	cr_assert_eq(cli.rx_total, hl + LEN, "the slow client got %lu of %u",
	             (unsigned long)(cli.rx_total - hl), (unsigned)LEN);
	cr_assert_eq(memcmp(cli.rx + hl, body, cli.rx_len - hl), 0);
	cr_assert_eq(origin_requests(), 1);
	cr_assert_eq(cnt.fwd_sessions_in_use, 2, "keep-alive both");
	cr_assert_eq(cnt.fwd_aborted, 0);
}

/* The client (a slow reader with <hold>) asks for /m; the origin
 * answers with the head of a storable <len>-byte body. */
static void
lone_get(bool hold, uint32_t len)
{
	char head[128];

	client_connect();
	cli.hold = hold;
	send_str(&cli,
	         "GET http://10.0.0.2/m HTTP/1.1\r\nHost: 10.0.0.2\r\n\r\n");
	run(10);
	snprintf(head, sizeof(head),
	         "HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\n"
	         "Content-Length: %u\r\n\r\n",
	         len);
	send_str(&org, head);
}

/* A fill given up on the way (here the index's own size limit, which
 * counts the head too, refuses the last bytes): the client, served from
 * the object, gets what went in from it and the rest as the origin sends
 * it: every byte, in order; nothing is stored. */
Test(fwd, fill_given_up_midway_loses_nothing, .init = fwd_setup_cache_1m,
     .fini = fwd_teardown)
{
	enum { LEN = 1024 * 1024 - 8 };
	static char body[LEN];
	uint32_t i, hl;

	for (i = 0; i < LEN; i++)
		body[i] = (char)('a' + (i * 7) % 26);
	lone_get(false, LEN);
	cr_assert_eq(origin_feed(body, LEN, 5000), LEN);
	run(100);
	cr_assert_eq(cnt.fwd_cache_fill_aborted, 1,
	             "the fill was not given up");
	cr_assert_eq(cnt.fwd_cache_stored, 0);
	hl = (uint32_t)(strstr(cli.rx, "\r\n\r\n") + 4 - cli.rx);
	cr_assert_eq(cli.rx_total, hl + LEN, "the client got %lu of %u",
	             (unsigned long)(cli.rx_total - hl), (unsigned)LEN);
	cr_assert_eq(memcmp(cli.rx + hl, body, cli.rx_len - hl), 0);
	cr_assert_eq(cnt.fwd_aborted, 0);
	cr_assert_eq(cnt.fwd_sessions_in_use, 1, "keep-alive");
}

/* A slow client nobody else waits with (its fill reads at most
 * FWD_FILL_AHEAD ahead of it): it gets every byte once it reads, and the
 * object is stored. */
Test(fwd, fill_with_a_lone_slow_client, .init = fwd_setup_cache_1m,
     .fini = fwd_teardown)
{
	enum { LEN = 1000 * 1024 };
	static char body[LEN];
	uint32_t i, hl, off;

	for (i = 0; i < LEN; i++)
		body[i] = (char)('a' + i % 26);
	lone_get(true, LEN);
	off = origin_feed(body, LEN, 2000);
	cr_assert_lt(cli.rx_total, LEN, "the client did not hold");
	peer_release(&cli);
	cr_assert_eq(off + origin_feed(body + off, LEN - off, 5000), LEN);
	run(100);
	hl = (uint32_t)(strstr(cli.rx, "\r\n\r\n") + 4 - cli.rx);
	cr_assert_eq(cli.rx_total, hl + LEN);
	cr_assert_eq(memcmp(cli.rx + hl, body, cli.rx_len - hl), 0);
	cr_assert_eq(cnt.fwd_cache_stored, 1);
}

/* Review finding 12: the object's segment cannot take another mbuf on
 * this worker (its 16-bit descriptor count is full, as under a flash
 * crowd of 65,535 sends of one segment): the waiter and the filler's
 * client retry every 1 ms instead of being cut, and go on once the
 * count falls. */
Test(fwd, collapse_send_stalls_on_a_full_descriptor_then_goes_on,
     .init = fwd_setup_cache, .fini = fwd_teardown)
{
	static const char key[] = "GET http://10.0.0.2/k";
	struct cache_obj *probe, *obj = NULL;
	struct rte_mbuf_ext_shared_info *sh;
	int32_t add;

	two_misses();
	big_start("max-age=60", 1000);
	run(20); /* what went out is acknowledged: no mbuf of ours left */
	cr_assert_gt(cli2.rx_len, 999);
	probe = cache_obj_create(ci, key, sizeof(key) - 1, NULL, 0, 0);
	cr_assert_not_null(probe);
	cr_assert_eq(cache_index_insert_unique(ci, probe, &obj), -EEXIST);
	cache_obj_put(probe);
	sh = &obj->segt->seg[0]->shinfo[0];
	add = UINT16_MAX - rte_mbuf_ext_refcnt_read(sh);
	rte_mbuf_ext_refcnt_update(sh, (int16_t)add);
	big_rest(1000);
	run(50);
	cr_assert_gt(cnt.fwd_cache_send_stalls, 0, "no send stalled");
	cr_assert_not(cli2.closed, "the waiter was cut");
	cr_assert_not(cli.closed, "the filler's client was cut");
	rte_mbuf_ext_refcnt_update(sh, (int16_t)-add);
	cache_obj_put(obj);
	run(20);
	assert_got_big(&cli);
	assert_got_big(&cli2);
	cr_assert_eq(cnt.fwd_aborted, 0);
	cr_assert_eq(cnt.fwd_cache_stored, 1);
}

/* No waiter: a client that goes away ends its session and its fill. */
Test(fwd, fill_without_waiters_ends_with_its_client, .init = fwd_setup_cache,
     .fini = fwd_teardown)
{
	client_connect();
	send_str(&cli,
	         "GET http://10.0.0.2/k HTTP/1.1\r\nHost: 10.0.0.2\r\n\r\n");
	run(10);
	big_start("max-age=60", 1000);
	tcp_abort(cli.c);
	run(20);
	cr_assert_eq(cnt.fwd_cache_fill_orphaned, 0);
	cr_assert_eq(cnt.fwd_cache_fill_aborted, 1);
	cr_assert_eq(cnt.fwd_sessions_in_use, 0);
}

/* A key whose response could not be stored gets a pass marker: the next
 * concurrent misses fetch at once (neither waits for a head that would
 * send it to the origin anyway); a storable response later replaces the
 * marker and is a hit after. */
Test(fwd, collapse_pass_marker_after_an_unstorable_response,
     .init = fwd_setup_cache, .fini = fwd_teardown)
{
	static const char req[] =
	    "GET http://10.0.0.2/k HTTP/1.1\r\nHost: 10.0.0.2\r\n\r\n";

	client_connect();
	cr_assert(cache_get("/k", "",
	                    "HTTP/1.1 200 OK\r\nCache-Control: no-store\r\n"
	                    "Content-Length: 2\r\n\r\nno"));
	cr_assert_eq(cnt.fwd_cache_pass_marked, 1);
	peer_connect(&cli2);
	send_str(&cli, req);
	run(10);
	send_str(&cli2, req);
	run(10);
	cr_assert_eq(origin_requests(), 3, "a miss waited behind the marker");
	cr_assert_eq(cnt.fwd_cache_collapsed, 0);
	big_start("max-age=60", BIG_LEN); /* answers one of them ... */
	big_start("max-age=60", BIG_LEN); /* ... and the other */
	assert_got_big(&cli2);
	cr_assert_geq(cnt.fwd_cache_stored, 1, "the marker was not replaced");
	cli2.rx_len = 0;
	send_str(&cli2, req);
	run(10);
	assert_got_big(&cli2);
	cr_assert_eq(origin_requests(), 3, "not a hit after the marker");
}
