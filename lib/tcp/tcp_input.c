/*
 * Segment arrival (RFC 9293 3.10.7) for a listener and for a connection:
 * the handshake, PAWS (RFC 7323), the acceptability test, RST and SYN
 * handling with RFC 5961's challenge ACKs, ACK processing with RTT
 * measurement, congestion control events, duplicate-ACK counting, fast
 * retransmit and recovery (RFC 5681, 6582, 6675), the send window, data
 * delivery and out-of-order reassembly, and FIN processing.
 *
 * Every function here consumes the segment's mbuf.  After each user
 * callback the connection may have been closed by the callee: the code
 * checks TCP_CF_DETACHED / TCP_CF_DEAD and stops (the memory stays valid
 * until the outermost call into the stack returns, see tcp_priv.h).
 */
#include <errno.h>
#include <string.h>

#include "tcp/tcp_priv.h"

static inline bool
tcp_gone(const struct tcp_conn *c)
{
	return (c->flags & (TCP_CF_DEAD | TCP_CF_DETACHED)) != 0;
}

void
tcp_ooo_free(struct tcp_conn *c)
{
	struct rte_mbuf *m = c->ooo_head, *n;

	while (m != NULL) {
		n = m->next;
		m->next = NULL;
		m->nb_segs = 1;
		rte_pktmbuf_free_seg(m);
		m = n;
	}
	GH_VERIFY(c->s->cnt.ooo_mbufs >= c->n_ooo);
	c->s->cnt.ooo_mbufs -= c->n_ooo;
	c->ooo_head = NULL;
	c->n_ooo = 0;
	c->ooo_bytes = 0;
}

/* Take the single-segment <m> off the OOO count (it leaves the queue). */
static inline void
tcp_ooo_uncount(struct tcp_conn *c, const struct rte_mbuf *m)
{
	GH_VERIFY(c->n_ooo > 0 && c->s->cnt.ooo_mbufs > 0);
	c->n_ooo--;
	c->s->cnt.ooo_mbufs--;
	c->ooo_bytes -= m->data_len;
}

/*
 * Copy <len> bytes of <m> onto the end of the queued segment <prev> that
 * they continue, when its buffer has room and is ours alone (as Linux's
 * tcp_collapse_ofo_queue, at arrival): small segments in sequence behind
 * a hole then hold one mbuf, not one each.  True when done (<m> is
 * freed).  Not rte_pktmbuf_append(): the queue links segments through
 * m->next, which it would take for a chain.
 */
static bool
tcp_ooo_collapse(struct tcp_conn *c, struct rte_mbuf *prev, struct rte_mbuf *m,
                 uint32_t seq, uint32_t len)
{
	if (prev == NULL || prev->hash.usr + prev->data_len != seq ||
	    !RTE_MBUF_DIRECT(prev) || rte_mbuf_refcnt_read(prev) != 1 ||
	    rte_pktmbuf_tailroom(prev) < len)
		return false;
	memcpy(rte_pktmbuf_mtod_offset(prev, uint8_t *, prev->data_len),
	       rte_pktmbuf_mtod(m, const uint8_t *), len);
	prev->data_len = (uint16_t)(prev->data_len + len);
	prev->pkt_len += len;
	c->ooo_bytes += len;
	c->ooo_last = seq;
	c->s->cnt.ooo_collapsed++;
	rte_pktmbuf_free(m);
	return true;
}

/* Options of a SYN or SYN-ACK: MSS, window scale, timestamps, SACK. */
static void
tcp_syn_options(struct tcp_conn *c, const struct tcp_seg *g)
{
	struct tcp_stack *s = c->s;
	uint32_t mss = g->has_mss ? g->mss : TCP_MSS_DEFAULT;
	uint32_t ours = tcp_port_mss(s, c->key.port_idx);

	if (mss > ours)
		mss = ours;
	if (mss < 64)
		mss = 64;
	if (g->has_ws) {
		c->flags |= TCP_CF_WS;
		c->snd_wscale = RTE_MIN(g->ws, TCP_WSCALE_MAX);
		c->rcv_wscale = s->rcv_wscale;
	} else {
		c->snd_wscale = 0;
		c->rcv_wscale = 0;
	}
	if (g->has_ts) {
		c->flags |= TCP_CF_TS;
		c->ts_recent = g->tsval;
		mss -= 12;
	}
	if (g->has_sackok)
		c->flags |= TCP_CF_SACK;
	c->mss = (uint16_t)mss;
	tcp_cc_init(&c->cc, (enum tcp_cc_algo)c->cc.algo, c->mss);
}

/* The user takes the new passive connection; false when it is gone. */
static bool
tcp_accept(struct tcp_conn *c, struct tcp_listener *l)
{
	void *arg;

	c->cb = l->cb;
	c->arg = NULL;
	arg = l->cb->on_accept(l->arg, c);
	if (tcp_gone(c))
		return false;
	if (arg == NULL) {
		c->s->cnt.refuse_accept++;
		c->flags |= TCP_CF_DETACHED;
		tcp_conn_reset(c, TCP_CLOSE_ABORTED);
		return false;
	}
	c->arg = arg;
	c->flags |= TCP_CF_CONNECTED;
	c->s->cnt.conn_accepted++;
	return true;
}

static void
tcp_halfopen_done(struct tcp_conn *c)
{
	if (c->flags & TCP_CF_HALFOPEN) {
		struct tcp_listener *l = &c->s->listeners[c->listener];

		GH_VERIFY(l->n_half_open > 0);
		l->n_half_open--;
		c->flags &= ~TCP_CF_HALFOPEN;
	}
}

/* ESTABLISHED, or FIN_WAIT_1 when the user shut down meanwhile. */
static void
tcp_established(struct tcp_conn *c, const struct tcp_seg *g)
{
	c->state = (c->flags & TCP_CF_SHUT_WR) ? TCP_ST_FIN_WAIT_1
	                                       : TCP_ST_ESTABLISHED;
	c->snd_una = g->ack;
	c->snd_wnd = g->wnd << c->snd_wscale;
	c->max_snd_wnd = c->snd_wnd;
	c->snd_wl1 = g->seq;
	c->snd_wl2 = g->ack;
	if ((c->flags & TCP_CF_TS) && g->has_ts && g->tsecr != 0)
		tcp_rtt_sample(c, (tcp_tsval(c) - g->tsecr) * 1000u);
	else if (c->n_rtx == 0)
		tcp_rtt_sample(c, (c->s->now_ms - c->last_tx_ms) * 1000u);
	c->n_rtx = 0;
	c->recover = c->snd_una;
	c->high_rxt = c->snd_una;
	if (c->flags & TCP_CF_SHUT_WR)
		c->fin_seq = c->snd_una + c->sq_bytes;
	tcp_halfopen_done(c);
	tcp_rtx_stop(c);
}

/*
 * A new passive TCB for flow <k> of listener <l>, in the flow table.
 * Returns NULL when the pool or the flow table is full (counted).
 */
static struct tcp_conn *
tcp_conn_passive_new(struct tcp_stack *s, const struct tcp_listener *l,
                     const struct tcp_flow_key *k)
{
	struct tcp_conn *c = tcp_conn_alloc(s);

	if (c == NULL)
		return NULL;
	c->key = *k;
	c->listener = (uint32_t)(l - s->listeners);
	c->flags |= TCP_CF_PASSIVE;
	c->cc.algo = l->cc;
	if (tcp_flow_insert(s->flows, k, c->idx) < 0) {
		s->cnt.refuse_flow_full++;
		tcp_conn_release(c);
		return NULL;
	}
	return c;
}

void
tcp_input_listen(struct tcp_stack *s, struct tcp_listener *l, struct tcp_seg *g)
{
	struct tcp_flow_key k;
	struct tcp_conn *c;
	uint16_t mss;

	tcp_flow_key_set(&k, (uint8_t)g->port_idx, g->ih->dst_addr,
	                 g->th->dst_port, g->ih->src_addr, g->th->src_port);
	if (g->flags & TH_RST)
		goto drop;
	if (g->flags & TH_ACK) {
		/* a cookie only within TCP_COOKIE_WINDOW_MS of the last one
		 * this listener sent */
		mss = 0;
		if (!(g->flags & TH_SYN) &&
		    (l->cookie_tick == 0 ||
		     s->now_tick - l->cookie_tick > TCP_COOKIE_WINDOW_MS)) {
			s->cnt.syn_cookie_no_recent++;
		} else if (!(g->flags & TH_SYN)) {
			mss = tcp_cookie_check(s, &k, g->seq - 1, g->ack - 1);
			if (mss == 0)
				s->cnt.syn_cookie_bad++;
		}
		if (mss == 0) {
			tcp_send_rst_reply(s, g);
			goto drop;
		}
		c = tcp_conn_passive_new(s, l, &k);
		if (c == NULL)
			goto drop;
		c->ts_off = tcp_ts_offset(s, &k);
		if (g->has_ts) {
			int ws;
			bool sack;

			tcp_cookie_ts_decode(g->tsecr, &ws, &sack);
			c->flags |= TCP_CF_TS;
			c->ts_recent = g->tsval;
			if (ws >= 0) {
				c->flags |= TCP_CF_WS;
				c->snd_wscale = (uint8_t)ws;
				c->rcv_wscale = s->rcv_wscale;
			}
			if (sack)
				c->flags |= TCP_CF_SACK;
		}
		if (mss > tcp_port_mss(s, g->port_idx))
			mss = tcp_port_mss(s, g->port_idx);
		c->mss = (uint16_t)(mss - ((c->flags & TCP_CF_TS) ? 12 : 0));
		tcp_cc_init(&c->cc, (enum tcp_cc_algo)l->cc, c->mss);
		c->iss = g->ack - 1;
		c->irs = g->seq - 1;
		c->snd_nxt = c->snd_max = g->ack;
		c->rcv_nxt = g->seq;
		c->rcv_adv =
		    g->seq + RTE_MIN(s->p.rcv_buf_bytes, (uint32_t)UINT16_MAX);
		c->n_rtx = 1; /* no RTT sample from the handshake */
		tcp_established(c, g);
		s->cnt.syn_cookie_ok++;
		if (!tcp_accept(c, l))
			goto drop;
		/* the ACK may carry data or FIN: process it as established */
		tcp_input_conn(c, g);
		return;
	}
	if (!(g->flags & TH_SYN))
		goto drop;
	if (l->n_half_open >= s->p.syn_backlog) {
		uint32_t mss_in = g->has_mss ? g->mss : TCP_MSS_DEFAULT;
		uint32_t iss, tsval = 0;

		if (mss_in > tcp_port_mss(s, g->port_idx))
			mss_in = tcp_port_mss(s, g->port_idx);
		iss = tcp_cookie_make(s, &k, g->seq, (uint16_t)mss_in, &mss);
		/* the peer's shift (ours is s->rcv_wscale, fixed) */
		if (g->has_ts)
			tsval = tcp_cookie_tsval(
			    s->now_ms + tcp_ts_offset(s, &k),
			    g->has_ws ? RTE_MIN(g->ws, TCP_WSCALE_MAX) : -1,
			    g->has_sackok);
		s->cnt.syn_cookie_sent++;
		l->cookie_tick = s->now_tick;
		tcp_send_synack_cookie(s, g, iss, mss, tsval);
		goto drop;
	}
	c = tcp_conn_passive_new(s, l, &k);
	if (c == NULL)
		goto drop;
	l->n_half_open++;
	c->flags |= TCP_CF_HALFOPEN;
	c->state = TCP_ST_SYN_RCVD;
	c->ts_off = tcp_ts_offset(s, &k);
	tcp_syn_options(c, g);
	c->irs = g->seq;
	c->rcv_nxt = g->seq + 1;
	c->rcv_adv = c->rcv_nxt; /* the SYN-ACK opens the window */
	c->iss = tcp_isn(s, &k);
	c->snd_una = c->iss;
	c->snd_wnd = g->wnd;
	c->snd_wl1 = g->seq;
	tcp_send_syn(c);
drop:
	rte_pktmbuf_free(g->m);
}

/*
 * An RFC 5961 challenge ACK, within the stack's budget of
 * challenge_ack_per_s per second of the ms clock (section 7): a flood of
 * forged RSTs or SYNs would otherwise draw one ACK each, turning us into
 * an ACK reflector.  The budget is per stack, as the RFC's per-system
 * limit; note that a shared, exactly known budget lets an off-path
 * prober count our challenge ACKs (CVE-2016-5696, why Linux randomises
 * its limit and later made it per socket).
 */
static void
tcp_challenge_ack(struct tcp_conn *c)
{
	struct tcp_stack *s = c->s;
	uint32_t sec = s->now_ms / 1000;

	if (sec != s->chack_sec) {
		s->chack_sec = sec;
		s->chack_n = 0;
	}
	if (s->chack_n >= s->p.challenge_ack_per_s) {
		s->cnt.challenge_ack_limited++;
		return;
	}
	s->chack_n++;
	s->cnt.challenge_ack++;
	tcp_send_ack(c);
}

/*
 * The ACK owed for the unacceptable segment <g> of <seglen> (RFC 9293
 * 3.10.7.4: out of window or acknowledging unsent data; RFC 7323 5.3:
 * PAWS): at most one per TCP_OOW_ACK_MS per connection, as Linux's
 * tcp_oow_rate_limited() (tcp_invalid_ratelimit), or a blind flood with a
 * guessed 4-tuple draws one ACK per segment; the others are dropped
 * (counted).  RFC 5961's challenge ACKs keep their own, per-stack limit.
 *
 * Exempt, so that a legitimate peer is answered at once:
 * - a retransmission of what we already acknowledged (our ACK was lost,
 *   and the peer only recovers once one arrives): data or FIN (a FIN
 *   retransmitted to TIME_WAIT too), no SYN, ending at or before RCV.NXT
 *   and starting at most rcv_buf_bytes below it: the peer never sent
 *   beyond a window we advertised, each at most rcv_buf_bytes past an ACK
 *   it saw, so its SND.UNA (where its retransmissions start) is no
 *   further behind;
 * - a keepalive or zero-window probe without data, SEG.SEQ = RCV.NXT - 1
 *   (RFC 9293 3.8.4; Linux's probes): a flood cannot then starve the
 *   peer's probes of their answers, and a blind sender must guess the
 *   exact sequence number to get one.
 * Linux exempts every segment with data or FIN ("not likely part of an
 * ACK loop"), beyond the window too, and not the probes; we limit data
 * beyond the window as well, so a blind data flood is limited, and it gets
 * past the limit only by hitting the rcv_buf_bytes behind RCV.NXT, as
 * likely as hitting the window itself.
 */
static void
tcp_oow_ack(struct tcp_conn *c, const struct tcp_seg *g, uint32_t seglen)
{
	struct tcp_stack *s = c->s;

	if ((seglen > 0 && !(g->flags & TH_SYN) &&
	     SEQ_LEQ(g->seq + seglen, c->rcv_nxt) &&
	     c->rcv_nxt - g->seq <= s->p.rcv_buf_bytes) ||
	    (seglen == 0 && g->seq == c->rcv_nxt - 1)) {
		c->flags |= TCP_CF_ACK_NOW;
		return;
	}
	if (c->oow_ack_ms != 0 && s->now_ms - c->oow_ack_ms < TCP_OOW_ACK_MS) {
		s->cnt.rx_oow_ack_limited++;
		return;
	}
	c->oow_ack_ms = s->now_ms;
	c->flags |= TCP_CF_ACK_NOW;
}

/* SYN_SENT (RFC 9293 3.10.7.3). */
static void
tcp_input_syn_sent(struct tcp_conn *c, struct tcp_seg *g)
{
	struct tcp_stack *s = c->s;

	if (g->flags & TH_ACK) {
		if (SEQ_LEQ(g->ack, c->iss) || SEQ_GT(g->ack, c->snd_max)) {
			if (g->flags & TH_RST)
				goto drop;
			/* RFC 9293 3.10.7.3: the peer answered with state of
			 * an older incarnation (TIME_WAIT, a stale
			 * SYN_RCVD): our RST (SEQ = SEG.ACK) clears it, so
			 * send the SYN again now rather than after an RTO;
			 * once per open, or forged ACKs would pace SYNs */
			s->cnt.syn_sent_bad_ack++;
			tcp_send_rst_reply(s, g);
			if (!(c->flags & TCP_CF_SYN_AGAIN)) {
				c->flags |= TCP_CF_SYN_AGAIN;
				s->cnt.rexmit_syn++;
				tcp_send_syn(c);
			}
			goto drop;
		}
	}
	if (g->flags & TH_RST) {
		if (g->flags & TH_ACK) {
			s->cnt.rst_rx++;
			tcp_conn_close_report(c, TCP_CLOSE_REFUSED);
			tcp_conn_release(c);
		}
		goto drop;
	}
	if (!(g->flags & TH_SYN))
		goto drop;
	c->irs = g->seq;
	c->rcv_nxt = g->seq + 1;
	c->rcv_adv = c->rcv_nxt;
	tcp_syn_options(c, g);
	if (g->flags & TH_ACK) {
		tcp_established(c, g);
		c->snd_wnd = g->wnd; /* never scaled in a SYN */
		c->max_snd_wnd = c->snd_wnd;
		c->flags |= TCP_CF_CONNECTED | TCP_CF_ACK_NOW;
		s->cnt.conn_opened++;
		if (c->cb->on_connected != NULL)
			c->cb->on_connected(c->arg, c);
		if (tcp_gone(c))
			goto drop;
		tcp_output(c);
		goto drop;
	}
	/* simultaneous open */
	c->state = TCP_ST_SYN_RCVD;
	c->snd_wnd = g->wnd;
	c->snd_wl1 = g->seq;
	tcp_resend_syn(c);
drop:
	rte_pktmbuf_free(g->m);
}

/* Insert the payload-only single-segment <m> at <seq> in the OOO queue. */
static void
tcp_ooo_insert(struct tcp_conn *c, struct rte_mbuf *m, uint32_t seq)
{
	struct tcp_stack *s = c->s;
	struct rte_mbuf *prev = NULL, *cur = c->ooo_head, *next;
	uint32_t len = m->data_len;

	while (cur != NULL && SEQ_LEQ(cur->hash.usr + cur->data_len, seq)) {
		prev = cur;
		cur = cur->next;
	}
	while (cur != NULL && SEQ_LEQ(cur->hash.usr, seq)) {
		uint32_t ce = cur->hash.usr + cur->data_len, d;

		if (SEQ_GEQ(ce, seq + len)) { /* all there already */
			rte_pktmbuf_free(m);
			return;
		}
		d = ce - seq;
		rte_pktmbuf_adj(m, (uint16_t)d);
		seq += d;
		len -= d;
		prev = cur;
		cur = cur->next;
	}
	while (cur != NULL &&
	       SEQ_LEQ(cur->hash.usr + cur->data_len, seq + len)) {
		next = cur->next;
		tcp_ooo_uncount(c, cur);
		cur->next = NULL;
		rte_pktmbuf_free_seg(cur);
		cur = next;
	}
	if (prev != NULL)
		prev->next = cur;
	else
		c->ooo_head = cur;
	if (cur != NULL && SEQ_LT(cur->hash.usr, seq + len)) {
		rte_pktmbuf_trim(m, (uint16_t)(seq + len - cur->hash.usr));
		len = m->data_len;
	}
	if (tcp_ooo_collapse(c, prev, m, seq, len))
		return;
	/* a new mbuf on the queue: within the connection's count, its
	 * bytes per mbuf (so 1-byte segments cannot pin TCP_OOO_MAX
	 * buffers) and the stack's total (so connections together cannot
	 * pin the pool) */
	if (c->n_ooo >= TCP_OOO_MAX) {
		s->cnt.ooo_drop++;
		rte_pktmbuf_free(m);
		return;
	}
	if (c->n_ooo >= TCP_OOO_FREE &&
	    c->ooo_bytes + len < (c->n_ooo + 1u) * TCP_OOO_AVG_MIN) {
		s->cnt.ooo_drop_small++;
		rte_pktmbuf_free(m);
		return;
	}
	if (s->cnt.ooo_mbufs >= s->p.ooo_mbufs_max) {
		s->cnt.ooo_drop_stack++;
		rte_pktmbuf_free(m);
		return;
	}
	m->hash.usr = seq;
	m->next = cur;
	if (prev != NULL)
		prev->next = m;
	else
		c->ooo_head = m;
	c->n_ooo++;
	s->cnt.ooo_mbufs++;
	c->ooo_bytes += len;
	c->ooo_last = seq;
	s->cnt.ooo_segs++;
}

/* Append to <head> the OOO segments now in order; returns bytes added. */
static uint32_t
tcp_ooo_pull(struct tcp_conn *c, struct rte_mbuf *head)
{
	struct rte_mbuf *last = rte_pktmbuf_lastseg(head);
	uint32_t added = 0;

	while (c->ooo_head != NULL &&
	       SEQ_LEQ(c->ooo_head->hash.usr, c->rcv_nxt)) {
		struct rte_mbuf *m = c->ooo_head;
		uint32_t st = m->hash.usr, en = st + m->data_len;

		c->ooo_head = m->next;
		tcp_ooo_uncount(c, m);
		m->next = NULL;
		if (SEQ_LEQ(en, c->rcv_nxt)) {
			rte_pktmbuf_free_seg(m);
			continue;
		}
		if (SEQ_LT(st, c->rcv_nxt))
			rte_pktmbuf_adj(m, (uint16_t)(c->rcv_nxt - st));
		last->next = m;
		last = m;
		head->nb_segs++;
		head->pkt_len += m->data_len;
		c->rcv_nxt += m->data_len;
		added += m->data_len;
	}
	return added;
}

/* The peer's FIN is in order: rcv_nxt is its sequence number. */
static void
tcp_fin_in(struct tcp_conn *c)
{
	c->rcv_nxt++;
	c->flags |= TCP_CF_RCVD_FIN | TCP_CF_ACK_NOW;
	c->flags &= ~TCP_CF_OOO_FIN;
	tcp_ooo_free(c);
	switch (c->state) {
	case TCP_ST_ESTABLISHED:
		c->state = TCP_ST_CLOSE_WAIT;
		break;
	case TCP_ST_FIN_WAIT_1:
		c->state = TCP_ST_CLOSING;
		break;
	case TCP_ST_FIN_WAIT_2:
		break;
	default:
		return;
	}
	if (!(c->flags & (TCP_CF_CLOSED | TCP_CF_DETACHED)) &&
	    c->cb->on_peer_fin != NULL)
		c->cb->on_peer_fin(c->arg, c);
	if (tcp_gone(c))
		return;
	if (c->state == TCP_ST_FIN_WAIT_2)
		tcp_enter_time_wait(c);
}

/* Payload and FIN of an acceptable segment (RFC 9293 3.10.7.4, 7th/8th). */
static void
tcp_data_in(struct tcp_conn *c, struct tcp_seg *g)
{
	struct tcp_stack *s = c->s;
	struct rte_mbuf *m = g->m;
	uint32_t seq = g->seq, len = g->len, wend, got;
	bool fin = (g->flags & TH_FIN) != 0;
	bool had_ooo;

	switch (c->state) {
	case TCP_ST_ESTABLISHED:
	case TCP_ST_FIN_WAIT_1:
	case TCP_ST_FIN_WAIT_2:
		break;
	case TCP_ST_TIME_WAIT:
		/* a retransmitted FIN: ACK it, restart 2*MSL */
		if (fin)
			tcp_time_wait_restart(c);
		/* fall through */
	default:
		if (fin || len > 0)
			c->flags |= TCP_CF_ACK_NOW;
		rte_pktmbuf_free(m);
		return;
	}
	/* New data for a connection the user closed: nobody will ever read
	 * it, so reset rather than ACK and drop it, which would let the peer
	 * believe it was delivered (RFC 9293 3.6.1 SHLD-2, after RFC 1122
	 * 4.2.2.13; RFC 2525 "Failure to send a RST after Half Duplex
	 * Close"; Linux and BSD do the same).  The reset is our side's doing,
	 * hence TCP_CLOSE_ABORTED (TCP_CLOSE_RESET means the peer sent a
	 * RST).  The TCB is released: return without touching it (the caller
	 * sees TCP_CF_DEAD). */
	if ((c->flags & (TCP_CF_CLOSED | TCP_CF_DETACHED)) && len > 0 &&
	    SEQ_GT(seq + len, c->rcv_nxt)) {
		s->cnt.rx_after_close++;
		rte_pktmbuf_free(m);
		tcp_conn_reset(c, TCP_CLOSE_ABORTED);
		return;
	}
	rte_pktmbuf_adj(m, (uint16_t)g->hdr_len);
	if (m->data_len > len)
		rte_pktmbuf_trim(m, (uint16_t)(m->data_len - len));
	if (SEQ_LT(seq, c->rcv_nxt)) { /* front already received */
		uint32_t d = c->rcv_nxt - seq;

		if (d >= len) {
			if (len > 0)
				s->cnt.rx_dup_data++;
			fin = fin && seq + len == c->rcv_nxt;
			len = 0;
		} else {
			rte_pktmbuf_adj(m, (uint16_t)d);
			len -= d;
		}
		seq = c->rcv_nxt;
	}
	wend = SEQ_GT(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv : c->rcv_nxt;
	if (SEQ_GT(seq + len, wend)) { /* beyond the window: cut, FIN too */
		uint32_t cut = seq + len - wend;

		len = cut >= len ? 0 : len - cut;
		if (len > 0)
			rte_pktmbuf_trim(m, (uint16_t)cut);
		fin = false;
		c->flags |= TCP_CF_ACK_NOW;
	}
	if (len == 0) {
		rte_pktmbuf_free(m);
	} else if (seq != c->rcv_nxt) {
		tcp_ooo_insert(c, m, seq);
		c->flags |= TCP_CF_ACK_NOW; /* dupack now (RFC 5681 4.2) */
	} else {
		had_ooo = c->ooo_head != NULL;
		c->rcv_nxt += len;
		got = len + tcp_ooo_pull(c, m);
		if (had_ooo)
			c->flags |= TCP_CF_ACK_NOW;
		c->delack_bytes += got;
		if (c->delack_bytes >= 2u * c->mss)
			c->flags |= TCP_CF_ACK_NOW;
		else if (!gh_wheel_armed(&c->t_delack))
			gh_wheel_start(&s->wheel, &c->t_delack,
			               s->now_tick + s->p.delack_ms);
		if ((c->flags & TCP_CF_OOO_FIN) && c->ooo_fin == c->rcv_nxt)
			fin = true, seq = c->rcv_nxt, len = 0;
		/* a closed connection never gets here (reset above) */
		c->rcv_held += got;
		c->cb->on_data(c->arg, c, m);
		if (tcp_gone(c))
			return;
		if (fin && seq != c->rcv_nxt)
			seq = c->rcv_nxt, len = 0;
	}
	if (fin) {
		if (seq + len == c->rcv_nxt) {
			tcp_fin_in(c);
		} else {
			c->flags |= TCP_CF_OOO_FIN;
			c->ooo_fin = seq + len;
		}
	}
}

/* Enter fast recovery (RFC 6675 / 6582). */
static void
tcp_recovery_enter(struct tcp_conn *c)
{
	struct tcp_stack *s = c->s;

	c->flags |= TCP_CF_RECOVERY;
	c->recover = c->snd_max;
	c->high_rxt = c->snd_una;
	c->rxt_max = c->snd_max;
	if (c->flags & TCP_CF_SACK)
		s->cnt.sack_recovery++;
	else
		s->cnt.fast_recovery++;
	tcp_cc_on_loss(&c->cc, c->snd_max - c->snd_una,
	               (uint64_t)s->now_ms * 1000);
	tcp_rexmit_head(c);
	tcp_rtx_arm(c, TCP_TK_RTO, c->rto_ms);
}

/*
 * In SACK recovery: when the peer SACKed more than (DupThresh - 1) * MSS
 * of the data first sent after our latest retransmission, the holes we
 * retransmitted before it should have been filled by now; those still
 * open were lost again.  Retransmit them (from snd_una) rather than wait
 * for the timeout (a simplified RACK, RFC 8985).
 */
static void
tcp_rexmit_lost_check(struct tcp_conn *c)
{
	if (!(c->flags & TCP_CF_SACK) || !SEQ_GT(c->high_rxt, c->snd_una) ||
	    tcp_sack_above(c, c->rxt_max) <= (TCP_DUPTHRESH - 1) * c->mss)
		return;
	c->s->cnt.rexmit_lost++;
	c->high_rxt = c->snd_una;
	c->rxt_max = c->snd_max;
}

/* ACK processing in synchronized states; false when <c> is gone. */
static bool
tcp_ack_in(struct tcp_conn *c, struct tcp_seg *g)
{
	struct tcp_stack *s = c->s;
	uint32_t ack = g->ack, wnd = g->wnd << c->snd_wscale;
	bool wnd_same = wnd == c->snd_wnd, news;

	/* RFC 9293 3.10.7.4: the window only from an ACK in [SND.UNA,
	 * SND.NXT] of a newer segment (the caller checked the ACK's upper
	 * bound and the sequence number's acceptability) */
	if (SEQ_GEQ(ack, c->snd_una) &&
	    (SEQ_LT(c->snd_wl1, g->seq) ||
	     (c->snd_wl1 == g->seq && SEQ_LEQ(c->snd_wl2, ack)))) {
		c->snd_wnd = wnd;
		c->snd_wl1 = g->seq;
		c->snd_wl2 = ack;
		if (wnd > c->max_snd_wnd)
			c->max_snd_wnd = wnd;
	}
	if (SEQ_GT(ack, c->snd_una)) {
		uint32_t acked = ack - c->snd_una;
		uint32_t flight = c->snd_max - c->snd_una;
		uint32_t data_acked = RTE_MIN(acked, c->sq_bytes);
		bool fin_acked =
		    (c->flags & TCP_CF_FIN_SENT) && SEQ_GT(ack, c->fin_seq);

		if ((c->flags & TCP_CF_TS) && g->has_ts && g->tsecr != 0 &&
		    (uint32_t)(tcp_tsval(c) - g->tsecr) < 600000u)
			tcp_rtt_sample(c, (tcp_tsval(c) - g->tsecr) * 1000u);
		else if ((c->flags & TCP_CF_RTT_ON) &&
		         SEQ_GT(ack, c->rtt_seq)) {
			c->flags &= ~TCP_CF_RTT_ON;
			tcp_rtt_sample(c,
			               (s->now_ms - c->rtt_start_ms) * 1000u);
		}
		c->n_rtx = 0;
		tcp_sq_drop(c, data_acked);
		c->snd_una = ack;
		if (SEQ_LT(c->snd_nxt, ack))
			c->snd_nxt = ack;
		if (SEQ_LT(c->high_rxt, ack))
			c->high_rxt = ack;
		if (c->flags & TCP_CF_SACK)
			tcp_sack_update(c, g);
		tcp_sack_trim(c);
		if (c->flags & TCP_CF_RECOVERY) {
			tcp_rexmit_lost_check(c);
			if (SEQ_GEQ(ack, c->recover)) {
				c->flags &= ~TCP_CF_RECOVERY;
				c->n_dupack = 0;
				tcp_cc_on_recovery_end(
				    &c->cc, (uint64_t)s->now_ms * 1000);
			} else {
				uint32_t segs = acked / c->mss;

				s->cnt.partial_ack++;
				c->n_dupack = (uint8_t)(c->n_dupack > segs
				                            ? c->n_dupack - segs
				                            : 0);
				if (!(c->flags & TCP_CF_SACK))
					tcp_rexmit_head(c);
			}
		} else {
			c->n_dupack = 0;
			tcp_cc_on_ack(&c->cc, data_acked, c->srtt_us, flight,
			              (uint64_t)s->now_ms * 1000);
		}
		/* the ACK advanced but SACKs above say the new head is lost */
		if (!(c->flags & TCP_CF_RECOVERY) && c->n_sb > 0 &&
		    SEQ_GEQ(c->snd_una, c->recover) &&
		    c->snd_una != c->snd_max && tcp_sack_is_lost(c, c->snd_una))
			tcp_recovery_enter(c);
		if (c->snd_una == c->snd_max)
			tcp_rtx_stop(c);
		else
			tcp_rtx_arm(c, TCP_TK_RTO, c->rto_ms);
		if (fin_acked) {
			switch (c->state) {
			case TCP_ST_FIN_WAIT_1:
				c->state = TCP_ST_FIN_WAIT_2;
				break;
			case TCP_ST_CLOSING:
				tcp_enter_time_wait(c);
				return !(c->flags & TCP_CF_DEAD);
			case TCP_ST_LAST_ACK:
				tcp_conn_close_report(c, TCP_CLOSE_NORMAL);
				tcp_conn_release(c);
				return false;
			default:
				break;
			}
		}
		if ((c->flags & TCP_CF_WRITABLE) &&
		    tcp_send_space(c) >= s->p.snd_buf_bytes / 4) {
			c->flags &= ~TCP_CF_WRITABLE;
			if (!(c->flags & TCP_CF_CLOSED) &&
			    c->cb->on_writable != NULL) {
				c->cb->on_writable(c->arg, c);
				if (tcp_gone(c))
					return false;
			}
		}
		return true;
	}
	news = (c->flags & TCP_CF_SACK) && tcp_sack_update(c, g);
	/* duplicate ACK: one that SACKs new bytes (RFC 6675 2, whatever it
	 * carries: data flows both ways through an echo or a relay), or one
	 * of RFC 5681 2 (no data, same window) without SACK blocks */
	if (ack == c->snd_una && c->snd_max != c->snd_una &&
	    (news || (g->len == 0 && g->n_sack == 0 &&
	              !(g->flags & (TH_SYN | TH_FIN)) && wnd_same))) {
		s->cnt.dupacks++;
		if (c->n_dupack < UINT8_MAX)
			c->n_dupack++;
		if (c->flags & TCP_CF_RECOVERY)
			tcp_rexmit_lost_check(c);
		else if (SEQ_GEQ(c->snd_una, c->recover) &&
		         (c->n_dupack >= TCP_DUPTHRESH ||
		          ((c->flags & TCP_CF_SACK) &&
		           tcp_sack_is_lost(c, c->snd_una))))
			tcp_recovery_enter(c);
	}
	return true;
}

void
tcp_input_conn(struct tcp_conn *c, struct tcp_seg *g)
{
	struct tcp_stack *s = c->s;
	uint32_t seglen, rwnd;
	bool ok;

	GH_CHECK_OBJ(c, TCP_CONN_MAGIC);
	c->last_rx_ms = s->now_ms;
	c->n_probe = 0;
	if (c->state == TCP_ST_SYN_SENT) {
		tcp_input_syn_sent(c, g);
		return;
	}
	if (c->state == TCP_ST_TIME_WAIT && (g->flags & TH_SYN) &&
	    !(g->flags & (TH_ACK | TH_RST))) {
		bool newer = (c->flags & TCP_CF_TS) && g->has_ts
		                 ? SEQ_GT(g->tsval, c->ts_recent)
		                 : SEQ_GT(g->seq, c->rcv_nxt);
		struct tcp_flow_key lk;
		uint32_t v;

		tcp_flow_key_set(&lk, c->key.port_idx, c->key.local_ip_be,
		                 c->key.local_port_be, 0, 0);
		if (newer && tcp_flow_lookup(s->flows, &lk, &v) == 0 &&
		    (v & TCP_LISTEN_FLAG)) {
			/* RFC 6191 / RFC 9293 3.6.1: a new incarnation in
			 * this TCB's place, which is free at once (the pool
			 * may have no other) */
			s->cnt.time_wait_reuse++;
			tcp_time_wait_free(c);
			tcp_input_listen(s, &s->listeners[v & ~TCP_LISTEN_FLAG],
			                 g);
			return;
		}
	}
	if (c->state == TCP_ST_SYN_RCVD && (g->flags & TH_SYN) &&
	    !(g->flags & (TH_ACK | TH_RST)) && g->seq == c->irs) {
		tcp_resend_syn(c); /* the SYN-ACK again */
		goto drop;
	}
	seglen = g->len + !!(g->flags & TH_SYN) + !!(g->flags & TH_FIN);
	/* PAWS (RFC 7323 5.3) */
	if ((c->flags & TCP_CF_TS) && g->has_ts && !(g->flags & TH_RST) &&
	    (int32_t)(c->ts_recent - g->tsval) > TCP_PAWS_WINDOW) {
		s->cnt.paws_drop++;
		tcp_oow_ack(c, g, seglen);
		goto out;
	}
	/* acceptability (RFC 9293 3.10.7.4, first) */
	rwnd = SEQ_GT(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
	if (seglen == 0)
		ok = rwnd == 0 ? g->seq == c->rcv_nxt
		               : SEQ_GEQ(g->seq, c->rcv_nxt) &&
		                     SEQ_LT(g->seq, c->rcv_nxt + rwnd);
	else
		ok = rwnd != 0 &&
		     ((SEQ_GEQ(g->seq, c->rcv_nxt) &&
		       SEQ_LT(g->seq, c->rcv_nxt + rwnd)) ||
		      (SEQ_GEQ(g->seq + seglen - 1, c->rcv_nxt) &&
		       SEQ_LT(g->seq + seglen - 1, c->rcv_nxt + rwnd)));
	/* a zero window still takes in-order ACKs, RSTs and FINs */
	if (!ok && rwnd == 0 && g->seq == c->rcv_nxt)
		ok = true;
	if (!ok) {
		if (g->flags & TH_RST) {
			s->cnt.rst_rx_ignored++;
			goto drop;
		}
		if (SEQ_LEQ(g->seq + seglen, c->rcv_nxt) && g->len > 0)
			s->cnt.rx_dup_data++;
		else
			s->cnt.rx_out_of_window++;
		/* RFC 9293 3.10.7.4: an ACK (rate-limited), and nothing
		 * else of it is used: neither its ACK nor its window (a
		 * blind segment with a guessed 4-tuple would otherwise set
		 * the window to 0) */
		tcp_oow_ack(c, g, seglen);
		goto out;
	}
	if (g->flags & TH_RST) { /* RFC 5961 3.2 */
		if (g->seq != c->rcv_nxt) {
			tcp_challenge_ack(c);
			goto drop;
		}
		s->cnt.rst_rx++;
		if (c->state == TCP_ST_SYN_RCVD && !(c->flags & TCP_CF_PASSIVE))
			tcp_conn_close_report(c, TCP_CLOSE_REFUSED);
		else if (c->state != TCP_ST_TIME_WAIT)
			tcp_conn_close_report(c, TCP_CLOSE_RESET);
		tcp_conn_release(c);
		goto drop;
	}
	if (g->flags & TH_SYN) { /* RFC 5961 4.2 */
		tcp_challenge_ack(c);
		goto drop;
	}
	if (!(g->flags & TH_ACK))
		goto drop;
	if (c->state == TCP_ST_SYN_RCVD) {
		if (!SEQ_GT(g->ack, c->snd_una) || SEQ_GT(g->ack, c->snd_max)) {
			tcp_send_rst_reply(s, g);
			goto drop;
		}
		tcp_established(c, g);
		if (c->flags & TCP_CF_PASSIVE) {
			if (!tcp_accept(c, &s->listeners[c->listener]))
				goto drop;
		} else {
			c->flags |= TCP_CF_CONNECTED;
			s->cnt.conn_opened++;
			if (c->cb->on_connected != NULL)
				c->cb->on_connected(c->arg, c);
			if (tcp_gone(c))
				goto drop;
		}
	} else if (SEQ_GT(g->ack, c->snd_max)) {
		s->cnt.rx_ack_unsent++;
		tcp_oow_ack(c, g, seglen);
		goto out;
	} else if (SEQ_LT(g->ack, c->snd_una - c->max_snd_wnd)) {
		/* RFC 5961 5.2: acceptable ACKs lie in [SND.UNA -
		 * MAX.SND.WND, SND.NXT]; below it, a challenge ACK and the
		 * segment is dropped (Linux: TCP_TOO_OLD_ACK) */
		s->cnt.rx_ack_too_old++;
		tcp_challenge_ack(c);
		goto drop;
	} else if (!tcp_ack_in(c, g)) {
		goto drop;
	}
	/* RFC 7323 4.3: TS.Recent only moves forward, and only for a segment
	 * at the left window edge */
	if (g->has_ts && (c->flags & TCP_CF_TS) &&
	    SEQ_LEQ(g->seq, c->rcv_nxt) && SEQ_GEQ(g->tsval, c->ts_recent))
		c->ts_recent = g->tsval;
	if (g->len > 0 || (g->flags & TH_FIN)) {
		tcp_data_in(c, g);
		g->m = NULL;
		if (tcp_gone(c) && c->state != TCP_ST_TIME_WAIT)
			return;
		if (c->flags & TCP_CF_DEAD)
			return;
	}
out:
	if (!(c->flags & TCP_CF_DEAD))
		tcp_output(c);
drop:
	rte_pktmbuf_free(g->m);
}
