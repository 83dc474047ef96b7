/*
 * Segment-level tests of node A's stack with B played by hand: passive
 * open with and without options, active open, RST for no listener, TCB
 * pool exhaustion, SYN cookies, RFC 5961 RST handling and its rate limit,
 * data both ways, zero window and persist, RTO backoff, TIME_WAIT,
 * tcp_unlisten, data after tcp_close.
 */
#include <errno.h>
#include <string.h>

#include <criterion/criterion.h>

#include "tcp/tcp_priv.h" /* a TCB's state */
#include "tcp_test_util.h"

static struct {
	struct tcp_conn *c;
	unsigned accepted, closed, data, fin;
	enum tcp_close_reason why;
	uint8_t buf[65536];
	uint32_t n;
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
	h.data++;
	cr_assert_leq(h.n + rte_pktmbuf_pkt_len(m), sizeof(h.buf));
	rte_pktmbuf_read(m, 0, rte_pktmbuf_pkt_len(m), h.buf + h.n);
	memcpy(h.buf + h.n,
	       rte_pktmbuf_read(m, 0, rte_pktmbuf_pkt_len(m), h.buf + h.n),
	       rte_pktmbuf_pkt_len(m));
	h.n += rte_pktmbuf_pkt_len(m);
	rte_pktmbuf_free(m);
}

static void
h_fin(void *arg, struct tcp_conn *c)
{
	(void)arg;
	(void)c;
	h.fin++;
}

static void
h_close(void *arg, struct tcp_conn *c, enum tcp_close_reason why)
{
	(void)arg;
	(void)c;
	h.closed++;
	h.why = why;
	h.c = NULL;
}

static const struct tcp_callbacks hcb = {
    .on_accept = h_accept,
    .on_data = h_data,
    .on_peer_fin = h_fin,
    .on_close = h_close,
};

/* Node A with stack parameters <tweak> (NULL: defaults), listening on
 * port 80 with the callbacks above. */
static void
h_setup(void (*tweak)(struct tcp_stack_params *p))
{
	tt_setup(tweak);
	memset(&h, 0, sizeof(h));
	cr_assert_eq(tcp_listen(tt_a.s, 0, TT_IP_A, RTE_BE16(80), TCP_CC_CUBIC,
	                        &hcb, NULL),
	             0);
}

static void
h_init(void)
{
	h_setup(NULL);
}

TestSuite(tcp_handshake, .init = h_init, .fini = tt_teardown);

#define PEER_ISN 1000u

/* Handshake from port <sport> with <o>; returns A's ISN. */
static uint32_t
open_conn(uint16_t sport, const struct tt_opts *o, struct tt_seg *synack)
{
	uint32_t iss = tt_handshake(sport, 80, PEER_ISN, o, 1000, synack);

	cr_assert_eq(h.accepted, 1);
	return iss;
}

Test(tcp_handshake, passive_all_options)
{
	struct tt_opts o = {
	    .mss = 1400, .ws = 7, .sackok = true, .ts = true, .tsval = 5000};
	struct tt_seg g;

	open_conn(40000, &o, &g);
	cr_assert_eq(g.mss, 1460, "MSS = MTU - 40");
	cr_assert_eq(g.ws, 3, "256 KiB needs shift 3");
	cr_assert(g.sackok);
	cr_assert(g.has_ts);
	cr_assert_eq(g.tsecr, 5000);
	cr_assert_eq(tt_cnt(&tt_a, "conn_accepted"), 1);
	cr_assert_eq(tcp_stack_conns(tt_a.s), 1);
}

Test(tcp_handshake, passive_no_options)
{
	struct tt_opts o = {.ws = -1};
	struct tt_seg g;

	open_conn(40001, &o, &g);
	cr_assert_eq(g.mss, 1460);
	cr_assert_eq(g.ws, -1, "no WS unless the peer offered it");
	cr_assert(!g.sackok);
	cr_assert(!g.has_ts);
}

Test(tcp_handshake, rst_for_no_listener)
{
	struct tt_seg g;

	tt_inject(40000, 81, 77, 0, TH_SYN, 1000, NULL, NULL, 0);
	cr_assert_eq(tt_tx_n(&tt_a), 1);
	tt_tx_seg(&tt_a, 0, &g);
	cr_assert_eq(g.flags, TH_RST | TH_ACK);
	cr_assert_eq(g.seq, 0);
	cr_assert_eq(g.ack, 78);
	tt_tx_clear();
	tt_inject(40000, 81, 77, 555, TH_ACK, 1000, NULL, NULL, 0);
	tt_tx_seg(&tt_a, 0, &g);
	cr_assert_eq(g.flags, TH_RST);
	cr_assert_eq(g.seq, 555);
	cr_assert_eq(tt_cnt(&tt_a, "rst_tx_no_conn"), 2);
	tt_tx_clear();
	tt_inject(40000, 81, 77, 555, TH_RST, 1000, NULL, NULL, 0);
	cr_assert_eq(tt_tx_n(&tt_a), 0, "never answer a RST");
}

Test(tcp_handshake, data_both_ways_and_close)
{
	struct tt_opts o = {.mss = 1460, .ws = -1};
	struct tt_seg g;
	uint32_t iss = open_conn(40002, &o, NULL);
	uint8_t d[3000];
	unsigned i;

	for (i = 0; i < sizeof(d); i++)
		d[i] = (uint8_t)i;
	tt_inject(40002, 80, PEER_ISN + 1, iss + 1, TH_ACK, 65535, &o, d, 1460);
	cr_assert_eq(h.n, 1460);
	cr_assert_eq(memcmp(h.buf, d, 1460), 0);
	cr_assert_eq(tt_tx_n(&tt_a), 0, "delayed ACK");
	tt_inject(40002, 80, PEER_ISN + 1461, iss + 1, TH_ACK, 65535, &o,
	          d + 1460, 540);
	cr_assert_eq(tt_tx_n(&tt_a), 0, "not yet two full segments");
	tt_advance(40);
	cr_assert_eq(tt_tx_n(&tt_a), 1, "the delayed ACK after delack_ms");
	tt_tx_seg(&tt_a, 0, &g);
	cr_assert_eq(g.ack, PEER_ISN + 2001);
	cr_assert_eq(memcmp(h.buf, d, 2000), 0);
	cr_assert_eq(tt_cnt(&tt_a, "delayed_acks"), 1);
	tt_tx_clear();
	/* we send 3000 bytes in two chains: segments <= MSS */
	cr_assert_eq(tcp_send(h.c, tt_chain(1, 0, 2000, 700)), 0);
	cr_assert_eq(tcp_send(h.c, tt_chain(1, 2000, 1000, 1000)), 0);
	cr_assert_eq(tt_tx_n(&tt_a), 3);
	{
		uint32_t off = 0;

		for (i = 0; i < 3; i++) {
			unsigned j;

			tt_tx_seg(&tt_a, i, &g);
			cr_assert_eq(g.seq, iss + 1 + off);
			cr_assert_leq(g.len, 1460);
			for (j = 0; j < g.len; j++)
				cr_assert_eq(g.data[j], tt_pattern(1, off + j));
			off += g.len;
		}
		cr_assert_eq(off, 3000);
	}
	tt_tx_clear();
	tt_inject(40002, 80, PEER_ISN + 2001, iss + 3001, TH_ACK, 65535, &o,
	          NULL, 0);
	/* peer closes first: CLOSE_WAIT, then our close: LAST_ACK */
	tt_inject(40002, 80, PEER_ISN + 2001, iss + 3001, TH_ACK | TH_FIN,
	          65535, &o, NULL, 0);
	cr_assert_eq(h.fin, 1);
	tt_tx_seg(&tt_a, 0, &g);
	cr_assert_eq(g.ack, PEER_ISN + 2002);
	tt_tx_clear();
	tcp_close(h.c);
	tt_tx_seg(&tt_a, 0, &g);
	cr_assert(g.flags & TH_FIN);
	cr_assert_eq(g.seq, iss + 3001);
	tt_tx_clear();
	tt_inject(40002, 80, PEER_ISN + 2002, iss + 3002, TH_ACK, 65535, &o,
	          NULL, 0);
	cr_assert_eq(h.closed, 1);
	cr_assert_eq(h.why, TCP_CLOSE_NORMAL);
	cr_assert_eq(tcp_stack_conns(tt_a.s), 0);
}

Test(tcp_handshake, rst_rfc5961)
{
	struct tt_opts o = {.mss = 1460, .ws = -1};
	struct tt_seg g;
	uint32_t iss = open_conn(40003, &o, NULL);

	/* outside the window: ignored */
	tt_inject(40003, 80, PEER_ISN + 1 + 10000000, 0, TH_RST, 0, NULL, NULL,
	          0);
	cr_assert_eq(tt_tx_n(&tt_a), 0);
	cr_assert_eq(tt_cnt(&tt_a, "rst_rx_ignored"), 1);
	/* in the window, not exact: challenge ACK */
	tt_inject(40003, 80, PEER_ISN + 100, 0, TH_RST, 0, NULL, NULL, 0);
	cr_assert_eq(tt_tx_n(&tt_a), 1);
	tt_tx_seg(&tt_a, 0, &g);
	cr_assert_eq(g.flags, TH_ACK);
	cr_assert_eq(g.seq, iss + 1);
	cr_assert_eq(g.ack, PEER_ISN + 1);
	cr_assert_eq(tt_cnt(&tt_a, "challenge_ack"), 1);
	cr_assert_eq(h.closed, 0);
	tt_tx_clear();
	/* exact: reset */
	tt_inject(40003, 80, PEER_ISN + 1, 0, TH_RST, 0, NULL, NULL, 0);
	cr_assert_eq(h.closed, 1);
	cr_assert_eq(h.why, TCP_CLOSE_RESET);
	cr_assert_eq(tcp_stack_conns(tt_a.s), 0);
}

static void
tiny_pool(struct tcp_stack_params *p)
{
	p->max_conns = 2;
	p->syn_backlog = 8;
}

Test(tcp_handshake, tcb_pool_exhaustion, .init = tt_teardown)
{
	unsigned i;

	h_setup(tiny_pool);
	for (i = 0; i < 3; i++)
		tt_inject((uint16_t)(41000 + i), 80, PEER_ISN, 0, TH_SYN, 65535,
		          NULL, NULL, 0);
	cr_assert_eq(tt_tx_n(&tt_a), 2, "two SYN-ACKs, the third refused");
	cr_assert_eq(tt_cnt(&tt_a, "refuse_tcb_pool"), 1);
	cr_assert_eq(tcp_stack_conns(tt_a.s), 2);
}

static void
backlog1(struct tcp_stack_params *p)
{
	p->syn_backlog = 1;
}

Test(tcp_handshake, syn_cookie_round_trip, .init = tt_teardown)
{
	struct tt_opts o = {
	    .mss = 1400, .ws = 5, .sackok = true, .ts = true, .tsval = 777};
	struct tt_opts a = {.ws = -1, .ts = true, .tsval = 778};
	struct tt_seg g;
	uint8_t d[100] = {1, 2, 3};

	h_setup(backlog1);
	tt_inject(42000, 80, 5, 0, TH_SYN, 65535, &o, NULL, 0); /* half-open */
	tt_tx_clear();
	tt_inject(42001, 80, PEER_ISN, 0, TH_SYN, 65535, &o, NULL, 0);
	cr_assert_eq(tt_cnt(&tt_a, "syn_cookie_sent"), 1);
	cr_assert_eq(tcp_stack_conns(tt_a.s), 1, "no TCB for the cookie");
	tt_tx_seg(&tt_a, 0, &g);
	cr_assert_eq(g.flags, TH_SYN | TH_ACK);
	cr_assert_eq(g.mss, 1400);
	cr_assert(g.has_ts);
	tt_tx_clear();
	/* a bad cookie is reset */
	a.tsecr = g.tsval;
	tt_inject(42001, 80, PEER_ISN + 1, g.seq + 2, TH_ACK, 1000, &a, NULL,
	          0);
	cr_assert_eq(tt_cnt(&tt_a, "syn_cookie_bad"), 1);
	tt_tx_clear();
	/* the right one makes the connection, with its data */
	tt_inject(42001, 80, PEER_ISN + 1, g.seq + 1, TH_ACK, 1000, &a, d,
	          sizeof(d));
	cr_assert_eq(tt_cnt(&tt_a, "syn_cookie_ok"), 1);
	cr_assert_eq(h.accepted, 1);
	cr_assert_eq(h.n, sizeof(d));
	cr_assert_eq(tcp_stack_conns(tt_a.s), 2);
}

Test(tcp_handshake, rto_backoff)
{
	struct tt_opts o = {.mss = 1460, .ws = -1};
	struct tt_seg g;
	uint32_t iss = open_conn(40004, &o, NULL);
	uint64_t t0 = tt_now_ms, last = t0, gap[5];
	unsigned fired = 0;

	cr_assert_eq(tcp_send(h.c, tt_chain(3, 0, 100, 100)), 0);
	tt_tx_clear();
	/* each timeout doubles the RTO (RFC 6298 5.5) */
	while (fired < 5 && tt_now_ms < t0 + 100000) {
		tt_advance(1);
		if (tt_tx_n(&tt_a) > 0) {
			tt_tx_seg(&tt_a, 0, &g);
			cr_assert_eq(g.seq, iss + 1);
			cr_assert_eq(g.len, 100);
			gap[fired++] = tt_now_ms - last;
			last = tt_now_ms;
			tt_tx_clear();
		}
	}
	cr_assert_eq(fired, 5);
	for (unsigned i = 1; i < 5; i++)
		cr_assert_eq(gap[i], 2 * gap[i - 1], "backoff %u: %lu then %lu",
		             i, (unsigned long)gap[i - 1],
		             (unsigned long)gap[i]);
	fired = 4;
	cr_assert_eq(fired, 4);
	cr_assert_eq(tt_cnt(&tt_a, "rto_fired"), 5);
}

Test(tcp_handshake, zero_window_persist)
{
	struct tt_opts o = {.mss = 1460, .ws = -1};
	struct tt_seg g;
	uint32_t iss = open_conn(40005, &o, NULL);

	/* peer closes its window */
	tt_inject(40005, 80, PEER_ISN + 1, iss + 1, TH_ACK, 0, &o, NULL, 0);
	cr_assert_eq(tcp_send(h.c, tt_chain(3, 0, 100, 100)), 0);
	cr_assert_eq(tt_tx_n(&tt_a), 0, "window closed: nothing sent");
	tt_advance(5000);
	cr_assert_geq(tt_cnt(&tt_a, "window_probes"), 2);
	tt_tx_seg(&tt_a, 0, &g);
	cr_assert_eq(g.seq, iss, "probe: an old sequence number");
	tt_tx_clear();
	/* window opens: data flows */
	tt_inject(40005, 80, PEER_ISN + 1, iss + 1, TH_ACK, 1000, &o, NULL, 0);
	cr_assert_eq(tt_tx_n(&tt_a), 1);
	tt_tx_seg(&tt_a, 0, &g);
	cr_assert_eq(g.len, 100);
}

Test(tcp_handshake, time_wait_entry_expiry)
{
	struct tt_opts o = {.mss = 1460, .ws = -1};
	struct tt_seg g;
	uint32_t iss = open_conn(40006, &o, NULL);

	tcp_close(h.c);
	tt_tx_seg(&tt_a, 0, &g);
	cr_assert(g.flags & TH_FIN);
	tt_tx_clear();
	tt_inject(40006, 80, PEER_ISN + 1, iss + 2, TH_ACK | TH_FIN, 1000, &o,
	          NULL, 0);
	cr_assert_eq(h.closed, 1);
	cr_assert_eq(h.why, TCP_CLOSE_NORMAL);
	cr_assert_eq(tcp_stack_conns(tt_a.s), 1, "TIME_WAIT holds the TCB");
	tt_advance(60001);
	cr_assert_eq(tcp_stack_conns(tt_a.s), 0);
	cr_assert_eq(tt_cnt(&tt_a, "time_wait_expired"), 1);
}

Test(tcp_handshake, ooo_reassembly_and_sack_blocks)
{
	struct tt_opts o = {.mss = 1460, .ws = -1, .sackok = true};
	struct tt_seg g;
	uint8_t d[4000];
	uint32_t iss;
	unsigned i;

	for (i = 0; i < sizeof(d); i++)
		d[i] = (uint8_t)(i * 7);
	iss = open_conn(40007, &o, NULL);
	/* bytes 1000..2000 and 3000..4000 first: two SACK blocks, latest
	 * first */
	tt_inject(40007, 80, PEER_ISN + 1 + 1000, iss + 1, TH_ACK, 65535, NULL,
	          d + 1000, 1000);
	tt_inject(40007, 80, PEER_ISN + 1 + 3000, iss + 1, TH_ACK, 65535, NULL,
	          d + 3000, 1000);
	cr_assert_eq(h.n, 0);
	cr_assert_eq(tt_tx_n(&tt_a), 2, "a duplicate ACK for each");
	tt_tx_seg(&tt_a, 1, &g);
	cr_assert_eq(g.ack, PEER_ISN + 1);
	cr_assert_eq(g.n_sack, 2);
	cr_assert_eq(g.sack[0][0], PEER_ISN + 1 + 3000);
	cr_assert_eq(g.sack[0][1], PEER_ISN + 1 + 4000);
	cr_assert_eq(g.sack[1][0], PEER_ISN + 1 + 1000);
	cr_assert_eq(g.sack[1][1], PEER_ISN + 1 + 2000);
	tt_tx_clear();
	/* fill the holes (overlapping the queued data) */
	tt_inject(40007, 80, PEER_ISN + 1, iss + 1, TH_ACK, 65535, NULL, d,
	          1200);
	cr_assert_eq(h.n, 2000);
	tt_inject(40007, 80, PEER_ISN + 1 + 1900, iss + 1, TH_ACK, 65535, NULL,
	          d + 1900, 1200);
	cr_assert_eq(h.n, 4000);
	cr_assert_eq(memcmp(h.buf, d, 4000), 0, "byte-exact reassembly");
	tt_tx_seg(&tt_a, tt_tx_n(&tt_a) - 1, &g);
	cr_assert_eq(g.ack, PEER_ISN + 4001);
	cr_assert_eq(g.n_sack, 0);
	cr_assert_eq(tt_cnt(&tt_a, "ooo_segs"), 2);
}

/*
 * While A holds out-of-order data its segments carry SACK blocks; a full
 * data segment then carries less payload so that the frame still fits the
 * MTU (the MSS only left room for the timestamps).  Without it the frames
 * are 28 bytes too long and a veth drops every one of them.
 */
Test(tcp_handshake, sack_blocks_shrink_full_segments)
{
	struct tt_opts o = {
	    .mss = 1460, .ws = 7, .sackok = true, .ts = true, .tsval = 100};
	struct tt_opts t = {.ws = -1, .ts = true, .tsval = 101};
	uint8_t d[3000] = {0};
	struct tt_seg g;
	uint32_t iss, sent = 0;
	unsigned i;

	iss = open_conn(40011, &o, NULL);
	/* three separate out-of-order ranges: three SACK blocks */
	for (i = 0; i < 3; i++)
		tt_inject(40011, 80, PEER_ISN + 1 + 1000 + 1000 * i, iss + 1,
		          TH_ACK, 1000, &t, d, 500);
	tt_tx_clear();
	cr_assert_eq(tcp_send(h.c, tt_chain(5, 0, 8 * 1448, 1448)), 0);
	cr_assert_geq(tt_tx_n(&tt_a), 2);
	for (i = 0; i < tt_tx_n(&tt_a); i++) {
		tt_tx_seg(&tt_a, i, &g);
		cr_assert_eq(g.n_sack, 3);
		cr_assert_leq(g.ip_len, 1500, "segment %u: %u bytes > MTU", i,
		              g.ip_len);
		if (i + 1 < tt_tx_n(&tt_a))
			cr_assert_eq(g.len, 1448 - 28,
			             "1448 less the SACK option, got %u",
			             g.len);
		cr_assert_eq(g.seq, iss + 1 + sent);
		sent += g.len;
	}
	cr_assert_eq(sent, 8 * 1448, "all of it sent (IW10)");
}

Test(tcp_handshake, dupack_fast_retransmit)
{
	struct tt_opts o = {.mss = 1000, .ws = -1};
	struct tt_seg g;
	uint32_t iss = open_conn(40008, &o, NULL);
	unsigned i;

	tt_inject(40008, 80, PEER_ISN + 1, iss + 1, TH_ACK, 65535, NULL, NULL,
	          0); /* window update */
	/* five segments out (IW 10 MSS) */
	cr_assert_eq(tcp_send(h.c, tt_chain(5, 0, 5000, 1000)), 0);
	cr_assert_eq(tt_tx_n(&tt_a), 5);
	tt_tx_clear();
	/* the first is lost: three duplicate ACKs */
	for (i = 0; i < 3; i++)
		tt_inject(40008, 80, PEER_ISN + 1, iss + 1, TH_ACK, 65535, NULL,
		          NULL, 0);
	cr_assert_eq(tt_cnt(&tt_a, "dupacks"), 3);
	cr_assert_eq(tt_cnt(&tt_a, "fast_recovery"), 1);
	cr_assert_geq(tt_tx_n(&tt_a), 1);
	tt_tx_seg(&tt_a, 0, &g);
	cr_assert_eq(g.seq, iss + 1, "the head again, before any RTO");
	cr_assert_eq(g.len, 1000);
	cr_assert_eq(tt_cnt(&tt_a, "rto_fired"), 0);
	tt_tx_clear();
	/* everything acknowledged: recovery over */
	tt_inject(40008, 80, PEER_ISN + 1, iss + 5001, TH_ACK, 65535, NULL,
	          NULL, 0);
	cr_assert_eq(tcp_send_space(h.c), 256 * 1024);
}

Test(tcp_handshake, time_wait_reuse_by_newer_syn)
{
	struct tt_opts o = {.mss = 1460, .ws = -1, .ts = true, .tsval = 100};
	struct tt_seg g;
	uint32_t iss = open_conn(40009, &o, NULL);

	o.tsval = 200;
	o.tsecr = 0;
	tcp_close(h.c);
	tt_tx_clear();
	tt_inject(40009, 80, PEER_ISN + 1, iss + 2, TH_ACK | TH_FIN, 1000, &o,
	          NULL, 0);
	cr_assert_eq(h.why, TCP_CLOSE_NORMAL);
	tt_tx_clear();
	o.tsval = 300; /* newer timestamp: the SYN reuses the 4-tuple */
	tt_inject(40009, 80, PEER_ISN + 100000, 0, TH_SYN, 65535, &o, NULL, 0);
	cr_assert_eq(tt_cnt(&tt_a, "time_wait_reuse"), 1);
	tt_tx_seg(&tt_a, 0, &g);
	cr_assert_eq(g.flags, TH_SYN | TH_ACK);
	cr_assert_eq(g.ack, PEER_ISN + 100001);
}

/*
 * The window a passive open offers starts at the SYN-ACK: a segment beyond
 * it is refused, whatever the peer's ISN (a TCB starts zeroed, and a right
 * edge left at 0 is "ahead" of half of all ISNs: the window was then
 * unbounded and a relay held every byte the client sent).
 */
Test(tcp_handshake, passive_window_bounded_for_any_isn)
{
	static const uint32_t isns[] = {1000u, 0x7fffff00u, 0x90000000u,
	                                0xfffffff0u};
	struct tt_opts o = {.mss = 1460, .ws = -1};
	uint8_t data[100] = {0};
	unsigned i;

	for (i = 0; i < sizeof(isns) / sizeof(isns[0]); i++) {
		uint16_t sport = (uint16_t)(41000 + i);
		uint32_t irs = isns[i];
		struct tt_seg g;

		tt_tx_clear();
		tt_inject(sport, 80, irs, 0, TH_SYN, 65535, &o, NULL, 0);
		cr_assert_eq(tt_tx_n(&tt_a), 1);
		tt_tx_seg(&tt_a, 0, &g);
		cr_assert_eq(g.flags, TH_SYN | TH_ACK);
		tt_tx_clear();
		tt_inject(sport, 80, irs + 1, g.seq + 1, TH_ACK, 1000, &o, NULL,
		          0);
		/* 1 MiB past the left edge: far outside a 64 KiB window */
		tt_inject(sport, 80, irs + 1 + (1u << 20), g.seq + 1, TH_ACK,
		          1000, &o, data, sizeof(data));
		cr_assert_eq(tt_cnt(&tt_a, "ooo_segs"), 0,
		             "ISN %#x: a segment beyond the window was queued",
		             irs);
		cr_assert_eq(tt_cnt(&tt_a, "rx_out_of_window"), i + 1,
		             "ISN %#x", irs);
	}
}

static void
chack5(struct tcp_stack_params *p)
{
	p->challenge_ack_per_s = 5;
}

/*
 * RFC 5961 7: at most challenge_ack_per_s challenge ACKs per second of the
 * stack's clock, RSTs and SYNs together; the rest are counted, not sent.
 */
Test(tcp_handshake, challenge_ack_rate_limited, .init = tt_teardown)
{
	struct tt_opts o = {.mss = 1460, .ws = -1};
	struct tt_seg g;
	uint32_t iss;
	unsigned i;

	h_setup(chack5);
	iss = open_conn(40020, &o, NULL);
	tt_tx_clear();
	/* eight in-window RSTs with the wrong sequence number */
	for (i = 0; i < 8; i++)
		tt_inject(40020, 80, PEER_ISN + 100 + i, 0, TH_RST, 0, NULL,
		          NULL, 0);
	cr_assert_eq(tt_tx_n(&tt_a), 5, "five challenge ACKs, got %u",
	             tt_tx_n(&tt_a));
	for (i = 0; i < 5; i++) {
		tt_tx_seg(&tt_a, i, &g);
		cr_assert_eq(g.flags, TH_ACK);
		cr_assert_eq(g.seq, iss + 1);
		cr_assert_eq(g.ack, PEER_ISN + 1);
	}
	cr_assert_eq(tt_cnt(&tt_a, "challenge_ack"), 5);
	cr_assert_eq(tt_cnt(&tt_a, "challenge_ack_limited"), 3);
	cr_assert_eq(h.closed, 0);
	tt_tx_clear();
	/* a new second: a new budget, shared by RSTs and SYNs */
	tt_advance(1000);
	tt_inject(40020, 80, PEER_ISN + 100, 0, TH_RST, 0, NULL, NULL, 0);
	cr_assert_eq(tt_tx_n(&tt_a), 1);
	cr_assert_eq(tt_cnt(&tt_a, "challenge_ack"), 6);
	for (i = 0; i < 5; i++)
		tt_inject(40020, 80, PEER_ISN + 1, 0, TH_SYN, 65535, NULL, NULL,
		          0);
	cr_assert_eq(tt_tx_n(&tt_a), 5, "four more for the SYNs, got %u",
	             tt_tx_n(&tt_a));
	cr_assert_eq(tt_cnt(&tt_a, "challenge_ack"), 10);
	cr_assert_eq(tt_cnt(&tt_a, "challenge_ack_limited"), 4);
	cr_assert_eq(h.closed, 0);
	cr_assert_eq(tcp_stack_conns(tt_a.s), 1);
}

/*
 * tcp_unlisten: the connection already accepted carries on both ways, a
 * new SYN is refused, and the port (and the listener slot) can be listened
 * on again.
 */
Test(tcp_handshake, unlisten_keeps_established)
{
	struct tt_opts o = {.mss = 1460, .ws = -1};
	uint8_t d[100];
	struct tt_seg g;
	uint32_t iss;
	unsigned i;

	for (i = 0; i < sizeof(d); i++)
		d[i] = (uint8_t)(i + 3);
	iss = open_conn(40030, &o, NULL);
	tt_tx_clear();
	cr_assert_eq(tcp_unlisten(tt_a.s, 0, TT_IP_A, RTE_BE16(80)), 0);
	cr_assert_eq(tcp_unlisten(tt_a.s, 0, TT_IP_A, RTE_BE16(80)), -ENOENT);
	cr_assert_eq(tcp_unlisten(tt_a.s, 0, TT_IP_A, RTE_BE16(81)), -ENOENT);
	cr_assert_eq(tt_tx_n(&tt_a), 0);
	/* data in */
	tt_inject(40030, 80, PEER_ISN + 1, iss + 1, TH_ACK, 65535, &o, d,
	          sizeof(d));
	cr_assert_eq(h.n, sizeof(d));
	cr_assert_eq(memcmp(h.buf, d, sizeof(d)), 0);
	/* data out, carrying the ACK of it */
	cr_assert_eq(tcp_send(h.c, tt_chain(2, 0, 100, 100)), 0);
	cr_assert_eq(tt_tx_n(&tt_a), 1);
	tt_tx_seg(&tt_a, 0, &g);
	cr_assert_eq(g.len, 100);
	cr_assert_eq(g.seq, iss + 1);
	cr_assert_eq(g.ack, PEER_ISN + 1 + sizeof(d));
	for (i = 0; i < g.len; i++)
		cr_assert_eq(g.data[i], tt_pattern(2, i));
	tt_tx_clear();
	tt_inject(40030, 80, PEER_ISN + 1 + sizeof(d), iss + 101, TH_ACK, 65535,
	          &o, NULL, 0);
	cr_assert_eq(tcp_send_space(h.c), 256 * 1024, "all acknowledged");
	cr_assert_eq(tt_cnt(&tt_a, "rst_tx"), 0);
	/* a new SYN to the port: no listener, RST */
	tt_inject(40031, 80, PEER_ISN, 0, TH_SYN, 65535, &o, NULL, 0);
	cr_assert_eq(tt_tx_n(&tt_a), 1);
	tt_tx_seg(&tt_a, 0, &g);
	cr_assert_eq(g.flags, TH_RST | TH_ACK);
	cr_assert_eq(g.ack, PEER_ISN + 1);
	cr_assert_eq(tt_cnt(&tt_a, "rst_tx_no_conn"), 1);
	cr_assert_eq(tcp_stack_conns(tt_a.s), 1);
	cr_assert_eq(h.closed, 0);
	tt_tx_clear();
	/* the slot is reused: more rounds than there are listener slots */
	for (i = 0; i < 40; i++) {
		cr_assert_eq(tcp_listen(tt_a.s, 0, TT_IP_A, RTE_BE16(81),
		                        TCP_CC_CUBIC, &hcb, NULL),
		             0, "round %u", i);
		cr_assert_eq(tcp_unlisten(tt_a.s, 0, TT_IP_A, RTE_BE16(81)), 0);
	}
	/* listening again on the port works */
	cr_assert_eq(tcp_listen(tt_a.s, 0, TT_IP_A, RTE_BE16(80), TCP_CC_CUBIC,
	                        &hcb, NULL),
	             0);
	h.accepted = 0;
	open_conn(40032, &o, NULL);
	cr_assert_eq(tcp_stack_conns(tt_a.s), 2);
	cr_assert_eq(tt_cnt(&tt_a, "conn_accepted"), 2);
}

/*
 * A half-open connection of the listener (SYN-ACK sent) is reset when it
 * goes, so its ACK never reaches a listener slot that is gone or reused.
 */
Test(tcp_handshake, unlisten_resets_half_open)
{
	struct tt_seg g;
	uint32_t iss;

	tt_inject(40040, 80, PEER_ISN, 0, TH_SYN, 65535, NULL, NULL, 0);
	cr_assert_eq(tt_tx_n(&tt_a), 1);
	tt_tx_seg(&tt_a, 0, &g);
	cr_assert_eq(g.flags, TH_SYN | TH_ACK);
	iss = g.seq;
	tt_tx_clear();
	cr_assert_eq(tcp_stack_conns(tt_a.s), 1);
	cr_assert_eq(tcp_unlisten(tt_a.s, 0, TT_IP_A, RTE_BE16(80)), 0);
	cr_assert_eq(tcp_stack_conns(tt_a.s), 0);
	cr_assert_eq(tt_cnt(&tt_a, "halfopen_dropped"), 1);
	cr_assert_eq(tt_tx_n(&tt_a), 1);
	tt_tx_seg(&tt_a, 0, &g);
	cr_assert_eq(g.flags, TH_RST | TH_ACK);
	cr_assert_eq(g.seq, iss + 1);
	tt_tx_clear();
	/* another listener takes the slot; the old handshake's ACK is
	 * refused, not accepted by it */
	cr_assert_eq(tcp_listen(tt_a.s, 0, TT_IP_A, RTE_BE16(81), TCP_CC_CUBIC,
	                        &hcb, NULL),
	             0);
	tt_inject(40040, 80, PEER_ISN + 1, iss + 1, TH_ACK, 1000, NULL, NULL,
	          0);
	cr_assert_eq(h.accepted, 0);
	cr_assert_eq(tt_cnt(&tt_a, "rst_tx_no_conn"), 1);
	tt_tx_seg(&tt_a, 0, &g);
	cr_assert_eq(g.flags, TH_RST);
	cr_assert_eq(g.seq, iss + 1);
	cr_assert_eq(tcp_stack_conns(tt_a.s), 0);
}

/*
 * New data after tcp_close() resets the connection (nobody will read it)
 * instead of being ACKed and dropped.
 */
Test(tcp_handshake, data_after_close_resets)
{
	struct tt_opts o = {.mss = 1460, .ws = -1};
	uint8_t d[100] = {0};
	struct tcp_conn *c;
	struct tt_seg g;
	uint32_t iss = open_conn(40050, &o, NULL);

	c = h.c;
	tt_tx_clear();
	tcp_close(c);
	cr_assert_eq(tt_tx_n(&tt_a), 1);
	tt_tx_seg(&tt_a, 0, &g);
	cr_assert(g.flags & TH_FIN);
	cr_assert_eq(g.seq, iss + 1);
	cr_assert_eq(c->state, TCP_ST_FIN_WAIT_1);
	tt_tx_clear();
	/* the peer acknowledges our FIN */
	tt_inject(40050, 80, PEER_ISN + 1, iss + 2, TH_ACK, 65535, &o, NULL, 0);
	cr_assert_eq(c->state, TCP_ST_FIN_WAIT_2);
	cr_assert_eq(tt_tx_n(&tt_a), 0);
	cr_assert_eq(h.closed, 0);
	/* and sends data: RST */
	tt_inject(40050, 80, PEER_ISN + 1, iss + 2, TH_ACK, 65535, &o, d,
	          sizeof(d));
	cr_assert_eq(tt_tx_n(&tt_a), 1);
	tt_tx_seg(&tt_a, 0, &g);
	cr_assert_eq(g.flags, TH_RST | TH_ACK);
	cr_assert_eq(g.seq, iss + 2);
	cr_assert_eq(tt_cnt(&tt_a, "rx_after_close"), 1);
	cr_assert_eq(h.data, 0);
	cr_assert_eq(h.closed, 1);
	cr_assert_eq(h.why, TCP_CLOSE_ABORTED);
	cr_assert_eq(tt_cnt(&tt_a, "close_aborted"), 1);
	cr_assert_eq(tcp_stack_conns(tt_a.s), 0);
	tt_tx_clear();
	/* more of it meets no connection */
	tt_inject(40050, 80, PEER_ISN + 101, iss + 2, TH_ACK, 65535, &o, d,
	          sizeof(d));
	cr_assert_eq(tt_cnt(&tt_a, "rst_tx_no_conn"), 1);
	cr_assert_eq(h.closed, 1);
}
