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

static struct {
	struct tcp_conn *c;
	unsigned accepted;
} h;

static void *
h_accept(void *larg, struct tcp_conn *c)
{
	(void)larg;
	h.c = c;
	h.accepted++;
	return &h;
}

static void
h_data(void *arg, struct tcp_conn *c, struct rte_mbuf *m)
{
	(void)arg;
	(void)c;
	rte_pktmbuf_free(m);
}

static const struct tcp_callbacks hcb = {
    .on_accept = h_accept,
    .on_data = h_data,
};

static void
h_init(void)
{
	tt_setup(NULL);
	memset(&h, 0, sizeof(h));
	cr_assert_eq(tcp_listen(tt_a.s, 0, TT_IP_A, RTE_BE16(80), TCP_CC_CUBIC,
	                        &hcb, NULL),
	             0);
}

TestSuite(tcp_txflush, .init = h_init, .fini = tt_teardown);

#define PEER_ISN 1000u

/* Open a connection from B:40000 to A:80 and leave A's txbuf empty. */
static void
open_conn(void)
{
	struct tt_opts o = {.mss = 1460, .ws = -1};
	struct tt_seg g;

	tt_inject(40000, 80, PEER_ISN, 0, TH_SYN, 65535, &o, NULL, 0);
	cr_assert_eq(tt_tx_n(&tt_a), 1);
	tt_tx_seg(&tt_a, 0, &g);
	tt_tx_clear();
	o.mss = 0;
	tt_inject(40000, 80, PEER_ISN + 1, g.seq + 1, TH_ACK, 65535, &o, NULL,
	          0);
	cr_assert_eq(h.accepted, 1);
	cr_assert_not_null(h.c);
	cr_assert_eq(tt_tx_n(&tt_a), 0);
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
	cr_assert_eq(tcp_send(h.c, tt_chain(7, 0, 3000, 1000)), 0);
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
