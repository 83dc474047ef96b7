/*
 * Regression tests for the TCP findings of the security review (issue 10),
 * segment by segment against node A's stack with B played by hand: blind
 * out-of-window segments and old ACKs (RFC 5961 section 5), the rate of
 * ACKs for unacceptable segments, SYN cookies
 * and window scaling, cookie ACKs outside a cookie period, TIME_WAIT
 * filling the TCB pool, monotonic ISNs and timestamps per 4-tuple, the
 * RFC 6056 source port choice, our SYN answered by a bare ACK, and the
 * bounds on out-of-order queues.  Each test is named after its finding.
 */
#include <errno.h>
#include <string.h>

#include <criterion/criterion.h>

#include "tcp/tcp_priv.h" /* a TCB's state */
#include "tcp_test_util.h"

static struct {
	struct tcp_conn *c;
	unsigned accepted, connected, closed, data;
	enum tcp_close_reason why;
	uint32_t n;
	uint8_t buf[4096];     /* the first bytes delivered */
	bool connect_on_close; /* on_close calls tcp_connect() */
	int connect_rc;
	struct tcp_conn *connect_c;
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
h_connected(void *arg, struct tcp_conn *c)
{
	(void)arg;
	(void)c;
	h.connected++;
}

static void
h_data(void *arg, struct tcp_conn *c, struct rte_mbuf *m)
{
	(void)arg;
	(void)c;
	h.data++;
	if (h.n + rte_pktmbuf_pkt_len(m) <= sizeof(h.buf)) {
		const void *p =
		    rte_pktmbuf_read(m, 0, rte_pktmbuf_pkt_len(m), h.buf + h.n);

		cr_assert_not_null(p);
		if (p != h.buf + h.n)
			memcpy(h.buf + h.n, p, rte_pktmbuf_pkt_len(m));
	}
	h.n += rte_pktmbuf_pkt_len(m);
	rte_pktmbuf_free(m);
}

static const struct tcp_callbacks hcb;

static void
h_close(void *arg, struct tcp_conn *c, enum tcp_close_reason why)
{
	(void)arg;
	if (c == h.c)
		h.c = NULL;
	h.closed++;
	h.why = why;
	if (h.connect_on_close) {
		h.connect_on_close = false;
		h.connect_rc =
		    tcp_connect(tt_a.s, 0, TT_IP_A, TT_IP_B, RTE_BE16(81),
		                TCP_CC_CUBIC, &hcb, &h, &h.connect_c);
	}
}

static const struct tcp_callbacks hcb = {
    .on_accept = h_accept,
    .on_connected = h_connected,
    .on_data = h_data,
    .on_close = h_close,
};

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

TestSuite(tcp_issue10, .init = h_init, .fini = tt_teardown);

#define PEER_ISN 1000u

/* Handshake from port <sport> with <o>; returns A's ISN. */
static uint32_t
open_conn(uint16_t sport, const struct tt_opts *o, struct tt_seg *synack)
{
	unsigned before = h.accepted;
	uint32_t iss = tt_handshake(sport, 80, PEER_ISN, o, 65535, synack);

	cr_assert_eq(h.accepted, before + 1);
	return iss;
}

/*
 * Finding 5: four blind segments with a guessed 4-tuple, sequence numbers
 * a quarter of the space apart and window 0, froze the connection: a
 * segment outside the receive window still moved snd_wnd / snd_wl1.  Now
 * it only draws an ACK; the window stays, data still goes out.
 */
Test(tcp_issue10, blind_out_of_window_segments_keep_the_window)
{
	struct tt_opts o = {.mss = 1460, .ws = -1};
	uint32_t iss = open_conn(40100, &o, NULL);
	unsigned k;

	tt_tx_clear();
	for (k = 1; k < 4; k++)
		tt_inject(40100, 80, PEER_ISN + 1 + k * (1u << 30), iss + 1,
		          TH_ACK, 0, NULL, NULL, 0);
	tt_inject(40100, 80, PEER_ISN + 1 - (1u << 20), iss + 1, TH_ACK, 0,
	          NULL, NULL, 0);
	cr_assert_eq(tt_cnt(&tt_a, "rx_out_of_window"), 4);
	cr_assert_eq(tt_tx_n(&tt_a), 1, "one ACK (rate-limited), nothing else");
	cr_assert_eq(tt_cnt(&tt_a, "rx_oow_ack_limited"), 3);
	cr_assert_eq(h.c->snd_wnd, 65535, "window moved to %u", h.c->snd_wnd);
	tt_tx_clear();
	cr_assert_eq(tcp_send(h.c, tt_chain(1, 0, 100, 100)), 0);
	cr_assert_eq(tt_tx_n(&tt_a), 1, "data still flows");
}

/*
 * The ACKs that unacceptable segments draw (RFC 9293 3.10.7.4) were not
 * limited: a blind flood with a guessed 4-tuple drew one ACK a segment,
 * with or without data.  Now one per TCP_OOW_ACK_MS (500 ms) per
 * connection, as Linux's tcp_invalid_ratelimit; the others are dropped and
 * counted.  A retransmission of data we already acknowledged (our ACK was
 * lost) and a keepalive are still ACKed at once, every time.
 */
Test(tcp_issue10, out_of_window_acks_rate_limited)
{
	struct tt_opts o = {.mss = 1460, .ws = -1};
	uint32_t iss = open_conn(40102, &o, NULL);
	uint8_t d[100];
	struct tt_seg g;
	uint64_t dup;
	unsigned k;

	memset(d, 0x33, sizeof(d));
	tt_tx_clear();
	/* spread over the whole sequence space (half of it "before"
	 * RCV.NXT), every other one with data */
	for (k = 0; k < 100; k++)
		tt_inject(40102, 80, PEER_ISN + 1 + (k + 1) * 42000000u,
		          iss + 1, TH_ACK, 65535, NULL, (k & 1) ? d : NULL,
		          (k & 1) ? sizeof(d) : 0);
	cr_assert_eq(tt_cnt(&tt_a, "rx_out_of_window") +
	                 tt_cnt(&tt_a, "rx_dup_data"),
	             100);
	cr_assert_eq(tt_tx_n(&tt_a), 1, "%u ACKs for 100 blind segments",
	             tt_tx_n(&tt_a));
	cr_assert_eq(tt_cnt(&tt_a, "rx_oow_ack_limited"), 99);
	tt_tx_seg(&tt_a, 0, &g);
	cr_assert_eq(g.flags, TH_ACK);
	cr_assert_eq(g.ack, PEER_ISN + 1);
	tt_tx_clear();
	/* 499 ms on: still none */
	tt_clock(tt_now_ms + 499);
	tt_inject(40102, 80, PEER_ISN + 1 + (1u << 30), iss + 1, TH_ACK, 65535,
	          NULL, d, sizeof(d));
	cr_assert_eq(tt_tx_n(&tt_a), 0);
	cr_assert_eq(tt_cnt(&tt_a, "rx_oow_ack_limited"), 100);
	/* 500 ms on: one more */
	tt_clock(tt_now_ms + 1);
	tt_inject(40102, 80, PEER_ISN + 1 + (1u << 30), iss + 1, TH_ACK, 65535,
	          NULL, d, sizeof(d));
	cr_assert_eq(tt_tx_n(&tt_a), 1);
	cr_assert_eq(tt_cnt(&tt_a, "rx_oow_ack_limited"), 100);
	tt_inject(40102, 80, PEER_ISN + 1 + (1u << 30), iss + 1, TH_ACK, 65535,
	          NULL, NULL, 0);
	cr_assert_eq(tt_tx_n(&tt_a), 1);
	cr_assert_eq(tt_cnt(&tt_a, "rx_oow_ack_limited"), 101);
	tt_tx_clear();
	/* the peer's data, ACKed; the ACK is lost and the peer sends the
	 * segment again, inside the limiter's 500 ms: ACKed at once, as
	 * often as it comes */
	tt_inject(40102, 80, PEER_ISN + 1, iss + 1, TH_ACK, 65535, NULL, d,
	          sizeof(d));
	cr_assert_eq(h.n, sizeof(d));
	tt_clock(tt_now_ms + 100);
	cr_assert_eq(tt_tx_n(&tt_a), 1, "the (delayed) ACK");
	tt_tx_clear();
	dup = tt_cnt(&tt_a, "rx_dup_data");
	for (k = 0; k < 3; k++) {
		tt_inject(40102, 80, PEER_ISN + 1, iss + 1, TH_ACK, 65535, NULL,
		          d, sizeof(d));
		cr_assert_eq(tt_tx_n(&tt_a), 1, "retransmission %u: %u ACKs", k,
		             tt_tx_n(&tt_a));
		tt_tx_seg(&tt_a, 0, &g);
		cr_assert_eq(g.flags, TH_ACK);
		cr_assert_eq(g.ack, PEER_ISN + 1 + sizeof(d));
		tt_tx_clear();
	}
	cr_assert_eq(tt_cnt(&tt_a, "rx_dup_data"), dup + 3);
	cr_assert_eq(tt_cnt(&tt_a, "rx_oow_ack_limited"), 101);
	cr_assert_eq(h.n, sizeof(d), "delivered once");
	/* a keepalive (SEG.SEQ = RCV.NXT - 1, no data) is answered too */
	for (k = 0; k < 2; k++) {
		tt_inject(40102, 80, PEER_ISN + sizeof(d), iss + 1, TH_ACK,
		          65535, NULL, NULL, 0);
		cr_assert_eq(tt_tx_n(&tt_a), 1, "keepalive %u: %u ACKs", k,
		             tt_tx_n(&tt_a));
		tt_tx_clear();
	}
	cr_assert_eq(tt_cnt(&tt_a, "rx_oow_ack_limited"), 101);
	/* and a blind one still is not */
	tt_inject(40102, 80, PEER_ISN + 1 + (1u << 31), iss + 1, TH_ACK, 65535,
	          NULL, NULL, 0);
	cr_assert_eq(tt_tx_n(&tt_a), 0);
	cr_assert_eq(tt_cnt(&tt_a, "rx_oow_ack_limited"), 102);
}

/*
 * The same limit for segments failing PAWS (RFC 7323 5.3: an ACK each,
 * and a blind sender's random TSval is "old" half the time), and the
 * exemption for a FIN retransmitted to TIME_WAIT (the peer in LAST_ACK
 * lost our ACK of it).
 */
Test(tcp_issue10, paws_acks_rate_limited_time_wait_fin_answered)
{
	struct tt_opts o = {.mss = 1460, .ws = -1, .ts = true, .tsval = 5000};
	struct tt_opts old = o;
	uint32_t iss = open_conn(40103, &o, NULL);
	unsigned k;

	tt_tx_clear();
	old.tsval = 5000 - 100000;
	for (k = 0; k < 10; k++)
		tt_inject(40103, 80, PEER_ISN + 1, iss + 1, TH_ACK, 65535, &old,
		          NULL, 0);
	cr_assert_eq(tt_cnt(&tt_a, "paws_drop"), 10);
	cr_assert_eq(tt_tx_n(&tt_a), 1, "%u ACKs", tt_tx_n(&tt_a));
	cr_assert_eq(tt_cnt(&tt_a, "rx_oow_ack_limited"), 9);
	tt_tx_clear();
	/* the peer closes after us: TIME_WAIT; our last ACK is lost, its
	 * FIN comes again while the limiter is closed */
	tcp_close(h.c);
	tt_tx_clear();
	o.tsval += 2;
	tt_inject(40103, 80, PEER_ISN + 1, iss + 2, TH_ACK | TH_FIN, 65535, &o,
	          NULL, 0);
	cr_assert_eq(tt_tx_n(&tt_a), 1, "the ACK of the FIN");
	tt_tx_clear();
	for (k = 0; k < 2; k++) {
		o.tsval++;
		tt_inject(40103, 80, PEER_ISN + 1, iss + 2, TH_ACK | TH_FIN,
		          65535, &o, NULL, 0);
		cr_assert_eq(tt_tx_n(&tt_a), 1, "FIN again %u: %u ACKs", k,
		             tt_tx_n(&tt_a));
		tt_tx_clear();
	}
	cr_assert_eq(tt_cnt(&tt_a, "rx_oow_ack_limited"), 9);
}

/*
 * Finding 5: an ACK below SND.UNA - MAX.SND.WND is not processed (RFC
 * 5961 section 5.2): a challenge ACK, counted, and the window stays.
 */
Test(tcp_issue10, ack_below_max_snd_wnd_is_challenged)
{
	struct tt_opts o = {.mss = 1460, .ws = -1};
	uint32_t iss = open_conn(40101, &o, NULL);
	struct tt_seg g;

	tt_tx_clear();
	/* far below SND.UNA, in-window sequence number, window 0 */
	tt_inject(40101, 80, PEER_ISN + 1, iss + 1 - 70000, TH_ACK, 0, NULL,
	          NULL, 0);
	cr_assert_eq(tt_cnt(&tt_a, "rx_ack_too_old"), 1);
	cr_assert_eq(tt_cnt(&tt_a, "challenge_ack"), 1);
	cr_assert_eq(tt_tx_n(&tt_a), 1);
	tt_tx_seg(&tt_a, 0, &g);
	cr_assert_eq(g.flags, TH_ACK);
	cr_assert_eq(g.seq, iss + 1);
	cr_assert_eq(h.c->snd_wnd, 65535);
	tt_tx_clear();
	/* just inside SND.UNA - MAX.SND.WND: an old ACK, accepted, ignored */
	tt_inject(40101, 80, PEER_ISN + 1, iss + 1 - 65535, TH_ACK, 65535, NULL,
	          NULL, 0);
	cr_assert_eq(tt_cnt(&tt_a, "rx_ack_too_old"), 1);
	cr_assert_eq(tt_tx_n(&tt_a), 0);
	cr_assert_eq(h.closed, 0);
}

static void
backlog1(struct tcp_stack_params *p)
{
	p->syn_backlog = 1;
}

/* Node A with a backlog of 1, already holding one half-open connection:
 * the next SYN gets a cookie. */
static void
cookie_setup(void)
{
	h_setup(backlog1);
	tt_inject(42000, 80, 5, 0, TH_SYN, 65535, NULL, NULL, 0);
	cr_assert_eq(tt_tx_n(&tt_a), 1);
	tt_tx_clear();
}

/*
 * Finding 6: a cookie SYN-ACK offered window scaling to a SYN without
 * timestamps, but only timestamps can bring the shift back, so the
 * connection ran unscaled while the client scaled (a 256-byte window view
 * during a SYN flood).  Without timestamps the cookie SYN-ACK offers no
 * scaling, and the connection agrees with what it said.
 */
Test(tcp_issue10, cookie_synack_wscale_matches_connection, .init = tt_teardown)
{
	struct tt_opts o = {.mss = 1460, .ws = 7, .sackok = true};
	struct tt_opts a = {.ws = -1};
	struct tt_seg g;

	cookie_setup();
	tt_inject(42001, 80, PEER_ISN, 0, TH_SYN, 65535, &o, NULL, 0);
	cr_assert_eq(tt_cnt(&tt_a, "syn_cookie_sent"), 1);
	tt_tx_seg(&tt_a, 0, &g);
	cr_assert_eq(g.flags, TH_SYN | TH_ACK);
	cr_assert_eq(g.ws, -1, "cookie SYN-ACK offered shift %d", g.ws);
	cr_assert(!g.sackok);
	tt_tx_clear();
	tt_inject(42001, 80, PEER_ISN + 1, g.seq + 1, TH_ACK, 1000, &a, NULL,
	          0);
	cr_assert_eq(tt_cnt(&tt_a, "syn_cookie_ok"), 1);
	cr_assert_not_null(h.c);
	cr_assert(!(h.c->flags & TCP_CF_WS));
	cr_assert_eq(h.c->snd_wnd, 1000);
	tcp_abort(h.c);
	tt_tx_clear();
	/* with timestamps the shift rides in TSval and both sides scale */
	o.ts = true;
	o.tsval = 900;
	tt_inject(42002, 80, PEER_ISN, 0, TH_SYN, 65535, &o, NULL, 0);
	cr_assert_eq(tt_cnt(&tt_a, "syn_cookie_sent"), 2);
	tt_tx_seg(&tt_a, 0, &g);
	cr_assert_eq(g.ws, 3);
	cr_assert(g.sackok);
	tt_tx_clear();
	a.ts = true;
	a.tsval = 901;
	a.tsecr = g.tsval;
	tt_inject(42002, 80, PEER_ISN + 1, g.seq + 1, TH_ACK, 1000, &a, NULL,
	          0);
	cr_assert_eq(tt_cnt(&tt_a, "syn_cookie_ok"), 2);
	cr_assert_not_null(h.c);
	cr_assert(h.c->flags & TCP_CF_WS);
	cr_assert_eq(h.c->snd_wscale, 7);
	cr_assert_eq(h.c->rcv_wscale, 3);
	cr_assert_eq(h.c->snd_wnd, 1000u << 7);
}

/*
 * Finding 7: every stray ACK to a listener was tried as a cookie, whether
 * or not the listener had sent one.  A cookie ACK is now taken only within
 * TCP_COOKIE_WINDOW_MS of the listener's last cookie SYN-ACK; the rest are
 * refused with a RST and counted.
 */
Test(tcp_issue10, cookie_ack_only_after_recent_cookie, .init = tt_teardown)
{
	struct tcp_flow_key k;
	struct tt_opts a = {.ws = -1};
	struct tt_seg g;
	uint32_t iss;
	uint16_t mss;

	cookie_setup();
	/* a valid cookie, but the listener never sent one */
	tcp_flow_key_set(&k, 0, TT_IP_A, RTE_BE16(80), TT_IP_B,
	                 RTE_BE16(42010));
	iss = tcp_cookie_make(tt_a.s, &k, PEER_ISN, 1460, &mss);
	tt_inject(42010, 80, PEER_ISN + 1, iss + 1, TH_ACK, 1000, &a, NULL, 0);
	cr_assert_eq(tt_cnt(&tt_a, "syn_cookie_ok"), 0, "cookie taken");
	cr_assert_eq(tt_cnt(&tt_a, "syn_cookie_no_recent"), 1);
	cr_assert_eq(h.accepted, 0);
	cr_assert_eq(tt_tx_n(&tt_a), 1);
	tt_tx_seg(&tt_a, 0, &g);
	cr_assert_eq(g.flags, TH_RST);
	cr_assert_eq(g.seq, iss + 1);
	tt_tx_clear();
	/* after a cookie SYN-ACK it is taken */
	tt_inject(42011, 80, PEER_ISN, 0, TH_SYN, 65535, NULL, NULL, 0);
	cr_assert_eq(tt_cnt(&tt_a, "syn_cookie_sent"), 1);
	tt_tx_clear();
	tt_inject(42010, 80, PEER_ISN + 1, iss + 1, TH_ACK, 1000, &a, NULL, 0);
	cr_assert_eq(tt_cnt(&tt_a, "syn_cookie_ok"), 1);
	cr_assert_eq(h.accepted, 1);
	tcp_abort(h.c);
	tt_tx_clear();
	/* long after the last cookie, a fresh valid cookie is refused */
	tt_clock(tt_now_ms + TCP_COOKIE_WINDOW_MS + 1);
	tt_tx_clear();
	tcp_flow_key_set(&k, 0, TT_IP_A, RTE_BE16(80), TT_IP_B,
	                 RTE_BE16(42012));
	iss = tcp_cookie_make(tt_a.s, &k, PEER_ISN, 1460, &mss);
	tt_inject(42012, 80, PEER_ISN + 1, iss + 1, TH_ACK, 1000, &a, NULL, 0);
	cr_assert_eq(tt_cnt(&tt_a, "syn_cookie_ok"), 1);
	cr_assert_eq(tt_cnt(&tt_a, "syn_cookie_no_recent"), 2);
	cr_assert_eq(h.accepted, 1);
}

static void
pool2(struct tcp_stack_params *p)
{
	p->max_conns = 2;
}

/* Open a connection from <sport>, close it from our side first and let
 * the peer finish: A holds it in TIME_WAIT.  <o> as for open_conn. */
static void
time_wait_conn(uint16_t sport, struct tt_opts *o)
{
	uint32_t iss = open_conn(sport, o, NULL);
	struct tt_opts f = *o;

	tcp_close(h.c);
	tt_tx_clear();
	if (f.ts) {
		f.tsval += 2;
		f.tsecr = 0;
	}
	tt_inject(sport, 80, PEER_ISN + 1, iss + 2, TH_ACK | TH_FIN, 65535, &f,
	          NULL, 0);
	tt_tx_clear();
}

/*
 * Finding 10: TIME_WAIT TCBs were never reclaimed, so a pool full of them
 * refused every new connection for 60 s.  Now the oldest is reclaimed
 * when the pool is empty (counted), and a new connection gets its TCB.
 */
Test(tcp_issue10, time_wait_reclaimed_when_pool_empty, .init = tt_teardown)
{
	struct tt_opts o = {.mss = 1460, .ws = -1};
	struct tt_seg g;
	struct tcp_flow_key k;
	uint32_t v;

	h_setup(pool2);
	time_wait_conn(40200, &o);
	tt_advance(10);
	time_wait_conn(40201, &o);
	cr_assert_eq(tcp_stack_conns(tt_a.s), 2, "both in TIME_WAIT");
	/* a third connection: the oldest TIME_WAIT (40200) makes room */
	tt_inject(40202, 80, PEER_ISN, 0, TH_SYN, 65535, &o, NULL, 0);
	cr_assert_eq(tt_cnt(&tt_a, "refuse_tcb_pool"), 0);
	cr_assert_eq(tt_cnt(&tt_a, "time_wait_reclaimed"), 1);
	cr_assert_eq(tt_tx_n(&tt_a), 1);
	tt_tx_seg(&tt_a, 0, &g);
	cr_assert_eq(g.flags, TH_SYN | TH_ACK);
	tt_tx_clear();
	tcp_flow_key_set(&k, 0, TT_IP_A, RTE_BE16(80), TT_IP_B,
	                 RTE_BE16(40200));
	cr_assert_neq(tcp_flow_lookup(tt_a.s->flows, &k, &v), 0,
	              "the oldest went");
	k.remote_port_be = RTE_BE16(40201);
	cr_assert_eq(tcp_flow_lookup(tt_a.s->flows, &k, &v), 0,
	             "the newer stays");
	cr_assert_eq(tcp_stack_conns(tt_a.s), 2);
	/* with no TIME_WAIT left the pool refuses as before */
	tt_inject(40203, 80, PEER_ISN, 0, TH_SYN, 65535, &o, NULL, 0);
	cr_assert_eq(tt_cnt(&tt_a, "time_wait_reclaimed"), 2);
	tt_inject(40204, 80, PEER_ISN, 0, TH_SYN, 65535, &o, NULL, 0);
	cr_assert_eq(tt_cnt(&tt_a, "refuse_tcb_pool"), 1);
	cr_assert_eq(tcp_stack_conns(tt_a.s), 2);
}

static void
pool1(struct tcp_stack_params *p)
{
	p->max_conns = 1;
}

/*
 * The TIME_WAIT reclaim must not take a TCB while it is entering
 * TIME_WAIT: on_close (called then) may open a connection with the pool
 * empty, and the code that entered TIME_WAIT still holds the TCB.  The
 * open is refused; the TCB stays in TIME_WAIT.
 */
Test(tcp_issue10, time_wait_not_reclaimed_during_its_on_close,
     .init = tt_teardown)
{
	struct tt_opts o = {.mss = 1460, .ws = -1};
	struct tcp_conn *c;
	uint32_t iss;

	h_setup(pool1);
	iss = open_conn(40220, &o, NULL);
	c = h.c;
	tcp_shutdown(c);
	tt_inject(40220, 80, PEER_ISN + 1, iss + 2, TH_ACK, 65535, &o, NULL, 0);
	cr_assert_eq(c->state, TCP_ST_FIN_WAIT_2);
	tt_tx_clear();
	h.connect_on_close = true;
	tt_inject(40220, 80, PEER_ISN + 1, iss + 2, TH_ACK | TH_FIN, 65535, &o,
	          NULL, 0);
	cr_assert_eq(h.closed, 1);
	cr_assert_eq(h.connect_rc, -ENOBUFS, "tcp_connect: %d", h.connect_rc);
	cr_assert_eq(c->magic, TCP_CONN_MAGIC);
	cr_assert_eq(c->state, TCP_ST_TIME_WAIT);
	cr_assert_eq(tt_cnt(&tt_a, "time_wait_reclaimed"), 0);
	cr_assert_eq(tt_tx_n(&tt_a), 1, "the ACK of the FIN only");
	tt_tx_clear();
	/* afterwards it is reclaimable as usual */
	cr_assert_eq(tcp_connect(tt_a.s, 0, TT_IP_A, TT_IP_B, RTE_BE16(81),
	                         TCP_CC_CUBIC, &hcb, &h, &h.connect_c),
	             0);
	cr_assert_eq(tt_cnt(&tt_a, "time_wait_reclaimed"), 1);
}

/*
 * Finding 10 (RFC 6191, RFC 9293 3.6.1): a SYN for a 4-tuple in TIME_WAIT
 * with a newer timestamp (or, without timestamps, a higher sequence
 * number) opens a new connection in the TIME_WAIT TCB's place, even with
 * the pool otherwise empty; an older one only gets an ACK.
 */
Test(tcp_issue10, time_wait_syn_recycles_tcb, .init = tt_teardown)
{
	struct tt_opts o = {.mss = 1460, .ws = -1, .ts = true, .tsval = 100};
	struct tt_seg g;

	h_setup(pool1);
	time_wait_conn(40210, &o);
	cr_assert_eq(tcp_stack_conns(tt_a.s), 1);
	/* an older timestamp: not a new incarnation, an ACK */
	o.tsval = 50;
	tt_inject(40210, 80, PEER_ISN + 100000, 0, TH_SYN, 65535, &o, NULL, 0);
	cr_assert_eq(tt_cnt(&tt_a, "time_wait_reuse"), 0);
	cr_assert_eq(tt_tx_n(&tt_a), 1);
	tt_tx_seg(&tt_a, 0, &g);
	cr_assert_eq(g.flags, TH_ACK);
	tt_tx_clear();
	/* newer: recycled */
	o.tsval = 1000;
	tt_inject(40210, 80, PEER_ISN + 100000, 0, TH_SYN, 65535, &o, NULL, 0);
	cr_assert_eq(tt_cnt(&tt_a, "time_wait_reuse"), 1);
	cr_assert_eq(tt_cnt(&tt_a, "refuse_tcb_pool"), 0);
	cr_assert_eq(tt_tx_n(&tt_a), 1);
	tt_tx_seg(&tt_a, 0, &g);
	cr_assert_eq(g.flags, TH_SYN | TH_ACK);
	cr_assert_eq(g.ack, PEER_ISN + 100001);
	cr_assert_eq(tcp_stack_conns(tt_a.s), 1);
}

/* An active open from A to B:80; returns A's SYN. */
static struct tcp_conn *
connect_b(struct tt_seg *syn)
{
	struct tcp_conn *c = NULL;

	tt_tx_clear();
	cr_assert_eq(tcp_connect(tt_a.s, 0, TT_IP_A, TT_IP_B, RTE_BE16(80),
	                         TCP_CC_CUBIC, &hcb, &h, &c),
	             0);
	cr_assert_eq(tt_tx_n(&tt_a), 1);
	tt_tx_seg(&tt_a, 0, syn);
	cr_assert_eq(syn->flags, TH_SYN);
	tt_tx_clear();
	return c;
}

/*
 * Finding 11: our SYN answered by a bare ACK (the origin still holds the
 * 4-tuple in TIME_WAIT or some stale state: RFC 9293's "ACK not
 * acceptable" in SYN_SENT) got a RST, but the SYN went again only after a
 * full RTO.  The RST (SEQ = SEG.ACK) clears the origin's state, so the SYN
 * follows it at once; once per open, so forged ACKs cannot make us send
 * SYNs at their rate.
 */
Test(tcp_issue10, syn_answered_by_bare_ack_resent_at_once)
{
	struct tt_seg syn, g;
	struct tcp_conn *c = connect_b(&syn);

	tt_inject(80, syn.sport, 555555, syn.seq + 77777, TH_ACK, 65535, NULL,
	          NULL, 0);
	cr_assert_eq(tt_tx_n(&tt_a), 2, "RST and SYN at once, got %u",
	             tt_tx_n(&tt_a));
	tt_tx_seg(&tt_a, 0, &g);
	cr_assert_eq(g.flags, TH_RST);
	cr_assert_eq(g.seq, syn.seq + 77777);
	tt_tx_seg(&tt_a, 1, &g);
	cr_assert_eq(g.flags, TH_SYN);
	cr_assert_eq(g.seq, syn.seq);
	cr_assert_eq(g.sport, syn.sport);
	cr_assert_eq(tt_cnt(&tt_a, "syn_sent_bad_ack"), 1);
	tt_tx_clear();
	/* a second one: the RST only */
	tt_inject(80, syn.sport, 555555, syn.seq + 77777, TH_ACK, 65535, NULL,
	          NULL, 0);
	cr_assert_eq(tt_tx_n(&tt_a), 1);
	tt_tx_seg(&tt_a, 0, &g);
	cr_assert_eq(g.flags, TH_RST);
	cr_assert_eq(tt_cnt(&tt_a, "syn_sent_bad_ack"), 2);
	tt_tx_clear();
	/* and the handshake then completes */
	tt_inject(80, syn.sport, 9000, syn.seq + 1, TH_SYN | TH_ACK, 65535,
	          NULL, NULL, 0);
	cr_assert_eq(h.connected, 1);
	cr_assert_eq(c->state, TCP_ST_ESTABLISHED);
}

/*
 * Finding 11: the ISN of a 4-tuple grows with time (RFC 6528: M + F, M a
 * 4 us clock), so a later incarnation is above an earlier one by about
 * 250 per millisecond.
 */
Test(tcp_issue10, isn_monotonic_per_tuple)
{
	struct tcp_flow_key k;
	uint32_t a, b;

	tcp_flow_key_set(&k, 0, TT_IP_A, RTE_BE16(40000), TT_IP_B,
	                 RTE_BE16(80));
	a = tcp_isn(tt_a.s, &k);
	tt_clock(tt_now_ms + 1000);
	b = tcp_isn(tt_a.s, &k);
	cr_assert_geq(b - a, 249000u, "ISN moved %u in 1 s", b - a);
	cr_assert_leq(b - a, 251000u, "ISN moved %u in 1 s", b - a);
}

static uint64_t later_start_tsc;

static void
start_later(struct tcp_stack_params *p)
{
	p->start_tsc = later_start_tsc;
}

/*
 * Finding 11: TSval = the stack's ms clock + an offset per 4-tuple, and
 * the ms clock started at 1 with each stack: a restarted worker sent
 * TSvals below the ones an origin's TIME_WAIT remembered for the 4-tuple,
 * and its SYN was refused.  The offset now counts from the TSC, so a later
 * stack's TSval for a 4-tuple is above an earlier one's.
 */
Test(tcp_issue10, tsval_monotonic_across_stacks, .init = tt_teardown)
{
	struct tcp_flow_key k;
	uint32_t a, b;

	tcp_flow_key_set(&k, 0, TT_IP_A, RTE_BE16(40000), TT_IP_B,
	                 RTE_BE16(80));
	h_setup(NULL);
	tt_clock(5000);
	a = tt_a.s->now_ms + tcp_ts_offset(tt_a.s, &k);
	tt_teardown();
	/* a new stack (a restart) 10 s after the first started */
	later_start_tsc = TT_T0 + 10000 * TT_MS;
	h_setup(start_later);
	b = tt_a.s->now_ms + tcp_ts_offset(tt_a.s, &k);
	cr_assert(SEQ_GT(b, a), "TSval went from %u to %u", a, b);
	cr_assert_geq(b - a, 4999u);
	cr_assert_leq(b - a, 5001u);
}

/* mbufs of the test pool in use now */
static unsigned
mbufs_held(void)
{
	return rte_mempool_in_use_count(tt_pool);
}

/*
 * Finding 3: out-of-order queues were bounded per connection only
 * (TCP_OOO_MAX segments), so enough connections could hold the whole mbuf
 * pool.  All of a stack's queues together now hold at most ooo_mbufs_max
 * mbufs (default: a quarter of the pool); beyond it, new out-of-order
 * segments are dropped and counted.
 */
Test(tcp_issue10, ooo_queues_capped_per_stack, .timeout = 60)
{
	struct tt_opts o = {.mss = 1460, .ws = 7};
	uint8_t d[300];
	unsigned cap = tt_pool->size / 4, i, j, n_conn, before;

	memset(d, 0x5a, sizeof(d));
	n_conn = cap / 256 + 2;
	cr_assert_leq(n_conn, 64u);
	before = mbufs_held();
	for (i = 0; i < n_conn; i++) {
		uint16_t sport = (uint16_t)(40300 + i);
		uint32_t iss = open_conn(sport, &o, NULL);

		tt_tx_clear();
		/* 256 separate ranges, one hole before each */
		for (j = 0; j < 256; j++) {
			tt_inject(sport, 80, PEER_ISN + 1 + 1 + 301 * j,
			          iss + 1, TH_ACK, 65535, NULL, d, sizeof(d));
			tt_tx_clear();
		}
	}
	cr_assert_leq(mbufs_held() - before, cap, "%u mbufs held, cap %u",
	              mbufs_held() - before, cap);
	cr_assert_eq(tt_cnt(&tt_a, "ooo_drop_stack"), n_conn * 256 - cap);
	cr_assert_eq(tt_cnt(&tt_a, "ooo_mbufs"), cap);
	/* all of it back when the connections go */
	tcp_stack_destroy(tt_a.s);
	tt_a.s = NULL;
	tt_tx_clear();
	cr_assert_eq(mbufs_held(), 0);
}

static struct net_flow_owner rss4;

static void
workers4(struct tcp_stack_params *p)
{
	p->n_workers = 4;
	p->flow_owner = &rss4;
}

/*
 * Finding 3: the workers share a port's mbuf pool, but the default cap
 * was a quarter of the pool for each of them: with four workers their
 * out-of-order queues together could pin all of it.  The default is now
 * a quarter of the pool shared among the workers; a value given is kept.
 */
Test(tcp_issue10, ooo_default_cap_shared_by_workers, .init = tt_teardown)
{
	cr_assert_eq(net_flow_owner_init(&rss4, 4, NULL, 0), 0);
	h_setup(workers4);
	cr_assert_eq(tt_a.s->p.ooo_mbufs_max, tt_pool->size / 16, "cap %u",
	             tt_a.s->p.ooo_mbufs_max);
	tt_teardown();
	h_setup(NULL);
	cr_assert_eq(tt_a.s->p.ooo_mbufs_max, tt_pool->size / 4);
}

/*
 * Finding 3: one connection's 256 queued segments could be 1 byte each,
 * every one pinning a whole mbuf.  Beyond the first few, a connection's
 * queue takes a new mbuf only while they average TCP_OOO_AVG_MIN bytes.
 */
Test(tcp_issue10, ooo_tiny_segments_do_not_pin_mbufs)
{
	struct tt_opts o = {.mss = 1460, .ws = 7};
	uint32_t iss = open_conn(40400, &o, NULL);
	uint8_t b = 1;
	unsigned j;

	tt_tx_clear();
	for (j = 0; j < 256; j++) {
		tt_inject(40400, 80, PEER_ISN + 1 + 2 + 2 * j, iss + 1, TH_ACK,
		          65535, NULL, &b, 1);
		tt_tx_clear();
	}
	cr_assert_leq(h.c->n_ooo, 16, "%u mbufs for %u bytes", h.c->n_ooo,
	              h.c->ooo_bytes);
	cr_assert_eq(tt_cnt(&tt_a, "ooo_drop_small"), 256 - h.c->n_ooo);
}

/*
 * Finding 3: small segments in sequence after a hole are copied onto the
 * queued segment they continue (as Linux's tcp_collapse_ofo_queue), one
 * mbuf for all of them, and delivered byte-exact once the hole fills.
 */
Test(tcp_issue10, ooo_adjacent_small_segments_collapse)
{
	struct tt_opts o = {.mss = 1460, .ws = 7};
	uint32_t iss = open_conn(40401, &o, NULL);
	uint8_t d[1010];
	unsigned j;

	for (j = 0; j < sizeof(d); j++)
		d[j] = (uint8_t)(j * 13 + 1);
	tt_tx_clear();
	for (j = 0; j < 100; j++) {
		tt_inject(40401, 80, PEER_ISN + 1 + 10 + 10 * j, iss + 1,
		          TH_ACK, 65535, NULL, d + 10 + 10 * j, 10);
		tt_tx_clear();
	}
	cr_assert_leq(h.c->n_ooo, 2, "%u mbufs for 1000 bytes", h.c->n_ooo);
	cr_assert_eq(h.c->ooo_bytes, 1000);
	cr_assert_geq(tt_cnt(&tt_a, "ooo_collapsed"), 98);
	tt_inject(40401, 80, PEER_ISN + 1, iss + 1, TH_ACK, 65535, NULL, d, 10);
	cr_assert_eq(h.n, sizeof(d));
	cr_assert_eq(memcmp(h.buf, d, sizeof(d)), 0, "byte-exact");
	cr_assert_eq(h.c->n_ooo, 0);
}
