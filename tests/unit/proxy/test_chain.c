/*
 * proxy_chain_send() against a real TCP connection (node A of the TCP
 * tests' harness, node B played by hand): what it returns is what left
 * the queue, byte for byte, whatever TCP does with the mbufs it took.
 *
 * Found by lab-tcp_relay (proxy.svc_bytes_out 54 bytes over the echoed
 * total under 1% loss): when the whole chain did not fit and its first
 * mbuf went alone, a small one (<= GH_MBUF_SMALL) was copied into TCP's
 * last send buffer and freed, and proxy_chain_send() then read its
 * data_len; TCP's output had already taken the freed mbuf again for a
 * frame header (14 + 20 + 20 = 54 bytes).
 */
#include <string.h>

#include <criterion/criterion.h>

#include "../tcp/tcp_test_util.h"
#include "proxy/proxy_chain.h"

#define SEED 11u

static struct tcp_conn *conn;

static void
small_sndbuf(struct tcp_stack_params *p)
{
	p->snd_buf_bytes = 8192;
}

static void
h_init(void)
{
	tt_setup(small_sndbuf);
	tt_sink_listen(80);
	conn = tt_sink_open(40000, 80, 1000);
}

static void
h_fini(void)
{
	if (conn != NULL)
		tcp_abort(conn);
	tt_teardown();
}

TestSuite(chain, .init = h_init, .fini = h_fini);

/* Every byte node A sent, in order, is the pattern from offset 0. */
static uint32_t
sent_pattern_bytes(void)
{
	struct tt_seg g;
	uint32_t off = 0;
	unsigned i, j;

	for (i = 0; i < tt_tx_n(&tt_a); i++) {
		tt_tx_seg(&tt_a, i, &g);
		for (j = 0; j < g.len; j++)
			cr_assert_eq(g.data[j], tt_pattern(SEED, off + j),
			             "byte %u", off + j);
		off += g.len;
	}
	return off;
}

Test(chain, small_first_mbuf_copied_into_tcp_is_counted_once)
{
	struct rte_mbuf *q, *rest;
	uint32_t n;

	/* 100 bytes in flight; once the frame is gone their buffer is TCP's
	 * alone and has room: the next small mbuf is copied into it. */
	cr_assert_eq(tcp_send(conn, tt_chain(SEED, 0, 100, 100)), 0);
	cr_assert_eq(sent_pattern_bytes(), 100);
	tt_tx_clear();

	/* 200 + 9 x 1000 bytes: more than the 8092 of room, so they go one
	 * mbuf at a time: 200 (copied and freed by TCP), then 7 x 1000. */
	q = tt_chain(SEED, 100, 200, 200);
	rest = tt_chain(SEED, 300, 9000, 1000);
	cr_assert_eq(rte_pktmbuf_chain(q, rest), 0);
	n = proxy_chain_send(conn, &q);
	cr_assert_not_null(q);
	cr_assert_eq(n, 9200 - rte_pktmbuf_pkt_len(q),
	             "returned %u, %u left the queue", n,
	             9200 - rte_pktmbuf_pkt_len(q));
	cr_assert_eq(n, 7200);
	cr_assert_eq(tcp_send_space(conn), 8192 - 100 - 7200);
	rte_pktmbuf_free(q);
}

Test(chain, whole_chain_taken_returns_its_bytes)
{
	struct rte_mbuf *q = tt_chain(SEED, 0, 3000, 300);

	cr_assert_eq(proxy_chain_send(conn, &q), 3000);
	cr_assert_null(q);
	cr_assert_eq(sent_pattern_bytes(), 3000);
}

/*
 * A chain longer than the room: the longest run of whole mbufs that fits
 * goes (8 x 1000 of 8092 bytes), the rest stays a consistent chain
 * (pkt_len, nb_segs), and with no room left nothing moves.
 */
Test(chain, longest_fitting_run_goes_rest_stays_whole)
{
	struct rte_mbuf *q = tt_chain(SEED, 0, 20000, 1000);

	cr_assert_eq(proxy_chain_send(conn, &q), 8000);
	cr_assert_not_null(q);
	cr_assert_eq(rte_pktmbuf_pkt_len(q), 12000);
	cr_assert_eq(q->nb_segs, 12);
	cr_assert_eq(rte_pktmbuf_data_len(q), 1000);
	cr_assert_eq(tcp_send_space(conn), 8192 - 8000);
	cr_assert_eq(proxy_chain_send(conn, &q), 0);
	cr_assert_eq(rte_pktmbuf_pkt_len(q), 12000);
	cr_assert_eq(q->nb_segs, 12);
	cr_assert_eq(tcp_send(conn, q), -EAGAIN);
	cr_assert_eq(sent_pattern_bytes(), 8000);
	rte_pktmbuf_free(q);
}

/*
 * A queue kept with proxy_chain_append_tail: the remembered last mbuf is
 * the chain's last after every append (large segments linked, small ones
 * copied into it), after proxy_chain_send took a run from the head, and a
 * stale one is ignored once the queue emptied.
 */
Test(chain, append_tail_keeps_the_last_mbuf)
{
	struct rte_mbuf *q = NULL, *tail = (struct rte_mbuf *)0x1;
	uint64_t off = 0;
	unsigned i;

	for (i = 0; i < 18; i++) { /* 12,240 bytes: more than the 8,192 */
		uint32_t len = i % 3 == 2 ? 40 : 1000;

		cr_assert_eq(proxy_chain_append_tail(
		                 &q, &tail, tt_chain(SEED, off, len, len)),
		             0);
		off += len;
		cr_assert_eq(tail, rte_pktmbuf_lastseg(q), "after append %u",
		             i);
		cr_assert_eq(rte_pktmbuf_pkt_len(q), off);
	}
	cr_assert_gt(proxy_chain_send(conn, &q), 0);
	cr_assert_not_null(q);
	cr_assert_eq(tail, rte_pktmbuf_lastseg(q));
	cr_assert_eq(
	    proxy_chain_append_tail(&q, &tail, tt_chain(SEED, off, 1000, 1000)),
	    0);
	cr_assert_eq(tail, rte_pktmbuf_lastseg(q));
	rte_pktmbuf_free(q);
	q = NULL; /* emptied: the old tail means nothing */
	cr_assert_eq(
	    proxy_chain_append_tail(&q, &tail, tt_chain(SEED, 0, 500, 500)), 0);
	cr_assert_eq(tail, q);
	/* not known (NULL) with a queue: found by one walk */
	tail = NULL;
	cr_assert_eq(
	    proxy_chain_append_tail(&q, &tail, tt_chain(SEED, 500, 900, 900)),
	    0);
	cr_assert_eq(tail, rte_pktmbuf_lastseg(q));
	cr_assert_eq(rte_pktmbuf_pkt_len(q), 1400);
	rte_pktmbuf_free(q);
}
