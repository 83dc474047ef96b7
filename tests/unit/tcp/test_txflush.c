/*
 * TX resumption on flush (issue 11 item 2): a connection parked because
 * its port's txbuf was full sends again as soon as the worker drained the
 * txbuf (net_tx_flushed() and the TCP stack's hook), in the same loop
 * iteration; without the hook it waited for the next 1 ms tick of
 * tcp_stack_timer().  Node A's txbuf is filled by hand with frames the
 * driver has not taken yet; tt_tx_clear() plays the driver taking them.
 */
#include <errno.h>
#include <string.h>

#include <criterion/criterion.h>

#include "tcp/tcp_priv.h" /* TCP_TXBUF_SPARE */
#include "tcp_test_util.h"

static struct tcp_conn *conn;

static void
h_init(void)
{
	tt_setup(NULL);
	tt_sink_listen(80);
	conn = NULL;
}

TestSuite(tcp_txflush, .init = h_init, .fini = tt_teardown);

/* Open a connection from B:40000 to A:80 and leave A's txbuf empty. */
static void
open_conn(void)
{
	conn = tt_sink_open(40000, 80, 1000);
}

/*
 * Fill A's txbuf up to the slots TCP leaves to ARP and ACKs, with frames
 * "not yet taken by the driver", then queue data: the connection parks.
 */
static void
park_conn(void)
{
	struct net_txbuf *tb = net_port_txbuf(&tt_a.net, 0);

	while (tb->n + TCP_TXBUF_SPARE < NET_TXBUF_MAX) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(tt_pool);

		cr_assert_not_null(m);
		tb->pkts[tb->n++] = m;
	}
	cr_assert_eq(tcp_send(conn, tt_chain(7, 0, 3000, 1000)), 0);
	cr_assert_eq(tt_tx_n(&tt_a), NET_TXBUF_MAX - TCP_TXBUF_SPARE,
	             "nothing queued: the txbuf is full");
	cr_assert_eq(tt_cnt(&tt_a, "tx_deferred"), 1);
}

/* The segments of the 3000 bytes, in order, from A's txbuf. */
static void
expect_data(void)
{
	struct tt_seg g;
	uint32_t off = 0;
	unsigned i;

	cr_assert_eq(tt_tx_n(&tt_a), 3, "3000 bytes in MSS-sized segments");
	for (i = 0; i < 3; i++) {
		unsigned j;

		tt_tx_seg(&tt_a, i, &g);
		cr_assert_leq(g.len, 1460);
		for (j = 0; j < g.len; j++)
			cr_assert_eq(g.data[j], tt_pattern(7, off + j));
		off += g.len;
	}
	cr_assert_eq(off, 3000);
}

/* Before: the drained txbuf stays empty until the next timer tick. */
Test(tcp_txflush, without_hook_parked_conn_waits_for_the_tick)
{
	open_conn();
	park_conn();
	tt_tx_clear(); /* the worker flushed */
	cr_assert_eq(net_tx_flushed(&tt_a.net), 0, "no hook registered");
	cr_assert_eq(tt_tx_n(&tt_a), 0, "still parked after the flush");
	tt_clock(tt_now_ms); /* the timer, the clock not moved: resumes */
	expect_data();
	cr_assert_eq(tt_cnt(&tt_a, "tx_resumed_on_flush"), 0);
}

/* After: the flush itself resumes it; the clock never moves. */
Test(tcp_txflush, parked_conn_sends_in_the_flushing_iteration)
{
	const uint64_t now_ms = tt_now_ms;

	cr_assert_eq(
	    net_tx_hook_register(&tt_a.net, tcp_stack_tx_flushed, tt_a.s), 0);
	open_conn();
	park_conn();
	tt_tx_clear(); /* the worker flushed */
	cr_assert_eq(net_tx_flushed(&tt_a.net), 1, "one connection resumed");
	expect_data();
	cr_assert_eq(tt_now_ms, now_ms, "no timer ran");
	cr_assert_eq(tt_cnt(&tt_a, "tx_resumed_on_flush"), 1);
	/* nothing parked any more: a second flush resumes nobody */
	tt_tx_clear();
	cr_assert_eq(net_tx_flushed(&tt_a.net), 0);
	cr_assert_eq(tt_tx_n(&tt_a), 0);
}

/* The hook table is bounded and refuses a NULL function. */
Test(tcp_txflush, hook_register_bounds)
{
	unsigned i;

	cr_assert_eq(net_tx_hook_register(&tt_a.net, NULL, NULL), -EINVAL);
	for (i = 0; i < NET_TX_HOOKS_MAX; i++)
		cr_assert_eq(net_tx_hook_register(&tt_a.net,
		                                  tcp_stack_tx_flushed, tt_a.s),
		             0);
	cr_assert_eq(
	    net_tx_hook_register(&tt_a.net, tcp_stack_tx_flushed, tt_a.s),
	    -ENOSPC);
	cr_assert_eq(net_tx_flushed(&tt_a.net), 0, "nothing parked");
}

/* ---- turns (the 1 MiB cache-hit timeouts, 2026-12-02) ---- */

/* Fill A's txbuf with frames "not yet taken by the driver" until <room>
 * slots are left for TCP's data (TCP_TXBUF_SPARE more for ACKs). */
static unsigned
fill_txbuf(unsigned room)
{
	struct net_txbuf *tb = net_port_txbuf(&tt_a.net, 0);

	while (tb->n + TCP_TXBUF_SPARE + room < NET_TXBUF_MAX) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(tt_pool);

		cr_assert_not_null(m);
		tb->pkts[tb->n++] = m;
	}
	return tb->n;
}

/*
 * Three connections park, in order, on a full txbuf, each with its whole
 * initial window (10 segments) to send; then three flushes each leave room
 * for 5 segments.  Before: the list kept its order across resumptions, so
 * the first connection had every turn it could use (5, then 5) and the
 * third none: with 50 connections and large windows, the last ones waited
 * seconds (wrk timeouts).  Now the one that fills the txbuf goes to the
 * back: each of the three sends in one of the three flushes.
 */
Test(tcp_txflush, parked_conns_take_turns)
{
	struct tcp_conn *c[3];
	unsigned sent[3] = {0, 0, 0}, round, i, k, first;
	struct tt_seg g;

	cr_assert_eq(
	    net_tx_hook_register(&tt_a.net, tcp_stack_tx_flushed, tt_a.s), 0);
	for (i = 0; i < 3; i++)
		c[i] = tt_sink_open((uint16_t)(40000 + i), 80, 1000);
	fill_txbuf(0);
	for (i = 0; i < 3; i++)
		cr_assert_eq(tcp_send(c[i], tt_chain(i, 0, 14600, 1460)), 0);
	cr_assert_eq(tt_cnt(&tt_a, "tx_deferred"), 3, "all three parked");
	for (round = 0; round < 3; round++) {
		tt_tx_clear();         /* the worker flushed... */
		first = fill_txbuf(5); /* ...and others queued meanwhile */
		cr_assert_geq(net_tx_flushed(&tt_a.net), 1);
		cr_assert_eq(tt_tx_n(&tt_a), first + 5, "round %u: 5 sent",
		             round);
		for (k = first; k < tt_tx_n(&tt_a); k++) {
			tt_tx_seg(&tt_a, k, &g);
			cr_assert(g.dport >= 40000 && g.dport < 40003);
			sent[g.dport - 40000]++;
		}
	}
	for (i = 0; i < 3; i++)
		cr_expect_eq(sent[i], 5,
		             "connection %u sent %u segments, want 5", i,
		             sent[i]);
	cr_assert_eq(tt_cnt(&tt_a, "tx_fail"), 0);
}

/*
 * A pure ACK owed while the txbuf has no slot at all is not dropped (the
 * peer would wait for its RTO to send its request again): the connection
 * parks and the ACK leaves after the flush.
 */
Test(tcp_txflush, ack_on_full_txbuf_is_deferred_not_dropped)
{
	struct net_txbuf *tb = net_port_txbuf(&tt_a.net, 0);
	static const uint8_t data[100];
	struct tt_seg g;
	uint32_t ack;

	cr_assert_eq(
	    net_tx_hook_register(&tt_a.net, tcp_stack_tx_flushed, tt_a.s), 0);
	open_conn();
	ack = conn->snd_nxt;
	fill_txbuf(0);
	while (tb->n < NET_TXBUF_MAX) { /* ARP replies took the spare too */
		struct rte_mbuf *m = rte_pktmbuf_alloc(tt_pool);

		cr_assert_not_null(m);
		tb->pkts[tb->n++] = m;
	}
	/* out of order: RFC 9293 3.10.7.4 wants an immediate ACK */
	tt_inject(40000, 80, 1001 + 1000, ack, TH_ACK, 65535, NULL, data,
	          sizeof(data));
	cr_assert_eq(tt_cnt(&tt_a, "tx_fail"), 0, "the ACK was dropped");
	cr_assert_eq(tt_cnt(&tt_a, "tx_ack_deferred"), 1);
	tt_tx_clear();
	cr_assert_eq(net_tx_flushed(&tt_a.net), 1);
	cr_assert_eq(tt_tx_n(&tt_a), 1, "the deferred ACK");
	tt_tx_seg(&tt_a, 0, &g);
	cr_assert_eq(g.flags, TH_ACK);
	cr_assert_eq(g.ack, 1001, "a duplicate ACK for the hole");
	cr_assert_eq(g.len, 0);
}

/* ---- segments that bypassed the room check (lab-http_cache hits_1m_fair,
 * tcp.tx_fail up by 28 in CI, 2026-12-02) ---- */

/* Fill A's txbuf to the last slot: data took the first 124 slots and
 * ACKs or ARP the spare ones. */
static void
fill_txbuf_all(void)
{
	struct net_txbuf *tb = net_port_txbuf(&tt_a.net, 0);

	while (tb->n < NET_TXBUF_MAX) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(tt_pool);

		cr_assert_not_null(m);
		tb->pkts[tb->n++] = m;
	}
}

/*
 * wrk opens its 50 connections while the first ones' 1 MiB answers fill
 * the txbuf: the SYN-ACKs of the later ones found no slot, were counted
 * tx_fail and lost (the client sends its SYN again after 1 s).  Now the
 * SYN_RCVD connection parks and its SYN-ACK leaves after the flush.
 */
Test(tcp_txflush, synack_on_full_txbuf_is_deferred_not_dropped)
{
	const struct tt_opts o = {.mss = 1460, .ws = -1};
	struct tt_seg g;

	cr_assert_eq(
	    net_tx_hook_register(&tt_a.net, tcp_stack_tx_flushed, tt_a.s), 0);
	fill_txbuf_all();
	tt_inject(40000, 80, 1000, 0, TH_SYN, 65535, &o, NULL, 0);
	cr_assert_eq(tt_cnt(&tt_a, "tx_fail"), 0, "the SYN-ACK was dropped");
	cr_assert_eq(tt_cnt(&tt_a, "tx_syn_deferred"), 1);
	cr_assert_eq(tt_tx_n(&tt_a), NET_TXBUF_MAX);
	tt_tx_clear();
	cr_assert_eq(net_tx_flushed(&tt_a.net), 1);
	cr_assert_eq(tt_tx_n(&tt_a), 1, "the deferred SYN-ACK");
	tt_tx_seg(&tt_a, 0, &g);
	cr_assert_eq(g.flags, TH_SYN | TH_ACK);
	cr_assert_eq(g.ack, 1001);
	cr_assert_eq(g.mss, 1460);
	tt_tx_clear();
	/* and the handshake completes on it */
	tt_inject(40000, 80, 1001, g.seq + 1, TH_ACK, 65535, NULL, NULL, 0);
	cr_assert_eq(tt_n_accepted, 1);
	cr_assert_eq(tt_cnt(&tt_a, "rexmit_syn"), 0, "no RTO was needed");
}

/*
 * The fast retransmission (three duplicate ACKs) on a txbuf with no slot:
 * before, it was counted tx_fail and lost, yet counted as sent
 * (rexmit_fast): the hole stayed until the RTO.  Now it is owed
 * (TCP_CF_REXMIT_OWED) and goes first when the connection resumes.
 */
Test(tcp_txflush, fast_rexmit_on_full_txbuf_is_deferred_not_dropped)
{
	struct tt_seg g;
	uint32_t una, j;
	unsigned i;

	cr_assert_eq(
	    net_tx_hook_register(&tt_a.net, tcp_stack_tx_flushed, tt_a.s), 0);
	open_conn();
	una = conn->snd_una;
	cr_assert_eq(tcp_send(conn, tt_chain(9, 0, 5 * 1460, 1460)), 0);
	cr_assert_eq(tt_tx_n(&tt_a), 5);
	tt_tx_clear();
	fill_txbuf_all();
	/* the first segment is lost: three duplicate ACKs */
	for (i = 0; i < 3; i++)
		tt_inject(40000, 80, 1001, una, TH_ACK, 65535, NULL, NULL, 0);
	cr_assert_eq(tt_cnt(&tt_a, "fast_recovery"), 1);
	cr_assert_eq(tt_cnt(&tt_a, "tx_fail"), 0,
	             "the retransmission was dropped");
	cr_assert_eq(tt_cnt(&tt_a, "tx_rexmit_deferred"), 1);
	cr_assert_eq(tt_cnt(&tt_a, "rexmit_fast"), 0, "nothing sent yet");
	tt_tx_clear();
	cr_assert_eq(net_tx_flushed(&tt_a.net), 1);
	cr_assert_geq(tt_tx_n(&tt_a), 1, "the owed retransmission");
	tt_tx_seg(&tt_a, 0, &g);
	cr_assert_eq(g.seq, una, "the head again, before any RTO");
	cr_assert_eq(g.len, 1460);
	for (j = 0; j < g.len; j++)
		cr_assert_eq(g.data[j], tt_pattern(9, j));
	cr_assert_eq(tt_cnt(&tt_a, "rexmit_fast"), 1);
	cr_assert_eq(tt_cnt(&tt_a, "rto_fired"), 0);
	tt_tx_clear();
	/* everything acknowledged: recovery over, nothing owed any more */
	tt_inject(40000, 80, 1001, una + 5 * 1460, TH_ACK, 65535, NULL, NULL,
	          0);
	cr_assert_eq(tt_tx_n(&tt_a), 0);
	cr_assert_eq(tt_cnt(&tt_a, "tx_fail"), 0);
}

/*
 * An RST for a segment to no connection has no TCB to wait on: on a full
 * txbuf it is not sent and counted as such (the peer's next segment draws
 * another), not as a segment the network layer refused.
 */
Test(tcp_txflush, rst_reply_on_full_txbuf_is_skipped_not_failed)
{
	fill_txbuf_all();
	tt_inject(40000, 81, 1000, 5000, TH_ACK, 65535, NULL, NULL, 0);
	cr_assert_eq(tt_cnt(&tt_a, "rx_no_conn"), 1);
	cr_assert_eq(tt_cnt(&tt_a, "tx_fail"), 0);
	cr_assert_eq(tt_cnt(&tt_a, "tx_ctl_dropped"), 1);
	cr_assert_eq(tt_cnt(&tt_a, "rst_tx_no_conn"), 0, "none sent");
	tt_tx_clear();
	tt_inject(40000, 81, 1000, 5000, TH_ACK, 65535, NULL, NULL, 0);
	cr_assert_eq(tt_tx_n(&tt_a), 1, "with room, the RST goes");
	cr_assert_eq(tt_cnt(&tt_a, "rst_tx_no_conn"), 1);
}
