/*
 * Segment output: builds every segment the stack sends and decides what
 * to send (RFC 9293 3.8.6, RFC 5681, RFC 6675 for the recovery loop).
 *
 * A segment is a header mbuf from the stack's pool holding the IPv4 and
 * TCP headers (room for the Ethernet header in front), followed by
 * indirect mbufs attached to the send queue's segments for the payload
 * range: nothing is copied, and a retransmission builds new indirect
 * mbufs over the same bytes.  The TCP checksum is computed in software
 * over the pseudo-header and every segment of the chain
 * (rte_raw_cksum_mbuf handles odd lengths across segments).  Output goes
 * through net_ipv4_output(); when the port's txbuf is nearly full the
 * connection waits on the stack's txwait list and resumes from
 * tcp_stack_tx_flushed() as soon as the worker has flushed (the net
 * layer's net_tx_flushed hook), or from tcp_stack_timer() without one.
 * Nothing is handed to a txbuf without a slot for it: new data leaves
 * TCP_TXBUF_SPARE slots; a pure ACK, a SYN or SYN-ACK and a fast
 * retransmission take any slot and, when there is none, are owed
 * (TCP_CF_ACK_NOW, TCP_CF_SYN_OWED, TCP_CF_REXMIT_OWED) and sent by
 * tcp_output() when the connection resumes; an RST or a cookie SYN-ACK
 * has no TCB to wait on and is not sent, nor is a probe (its timer sends
 * the next): tx_ctl_dropped.  So tx_fail counts only what the layers
 * below refused (no route, ARP queue full).
 */
#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_memcpy.h>

#include "net/net.h"
#include "tcp/tcp_priv.h"

uint16_t
tcp_port_mss(const struct tcp_stack *s, unsigned port_idx)
{
	const struct net_ctx *n = s->p.net;
	unsigned mtu = port_idx < n->n_ports ? n->ports[port_idx].mtu : 1500;

	return (uint16_t)(mtu > 40 + 64 ? mtu - 40 : 64);
}

uint32_t
tcp_rcv_window(const struct tcp_conn *c)
{
	const struct tcp_stack *s = c->s;
	uint32_t buf = s->p.rcv_buf_bytes;
	uint32_t win = c->rcv_held < buf ? buf - c->rcv_held : 0;
	uint32_t cur =
	    SEQ_GT(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
	uint32_t max = (uint32_t)UINT16_MAX << c->rcv_wscale;
	uint32_t sws = RTE_MIN(buf / 2, (uint32_t)c->mss);

	if (win > max)
		win = max;
	win &= ~((1u << c->rcv_wscale) - 1);
	/* RFC 9293 3.8.6.2.2: move the right edge only by a useful amount */
	if (win > cur && win - cur < sws)
		win = cur;
	/* never shrink the window we offered (RFC 9293 3.8.6) */
	if (win < cur)
		win = cur;
	return win;
}

/* Options of a SYN or SYN-ACK; returns their length (multiple of 4). */
static unsigned
tcp_opts_syn(uint8_t *o, uint16_t mss, int ws, bool sack, bool ts,
             uint32_t tsval, uint32_t tsecr)
{
	unsigned n = 0;

	o[n++] = 2; /* MSS */
	o[n++] = 4;
	o[n++] = (uint8_t)(mss >> 8);
	o[n++] = (uint8_t)mss;
	if (sack && ts) {
		o[n++] = 4; /* SACK permitted */
		o[n++] = 2;
	} else if (ts) {
		o[n++] = 1;
		o[n++] = 1;
	}
	if (ts) {
		uint32_t v = rte_cpu_to_be_32(tsval),
		         e = rte_cpu_to_be_32(tsecr);

		o[n++] = 8;
		o[n++] = 10;
		memcpy(o + n, &v, 4);
		memcpy(o + n + 4, &e, 4);
		n += 8;
	} else if (sack) {
		o[n++] = 1;
		o[n++] = 1;
		o[n++] = 4;
		o[n++] = 2;
	}
	if (ws >= 0) {
		o[n++] = 1;
		o[n++] = 3; /* window scale */
		o[n++] = 3;
		o[n++] = (uint8_t)ws;
	}
	return n;
}

/* Options of an established connection's segment (TS, SACK blocks). */
static unsigned
tcp_opts_est(const struct tcp_conn *c, uint8_t *o)
{
	struct tcp_seq_range b[TCP_RSACK_MAX];
	unsigned n = 0, nb, i;

	if (c->flags & TCP_CF_TS) {
		uint32_t v = rte_cpu_to_be_32(tcp_tsval(c));
		uint32_t e = rte_cpu_to_be_32(c->ts_recent);

		o[n++] = 1;
		o[n++] = 1;
		o[n++] = 8;
		o[n++] = 10;
		memcpy(o + n, &v, 4);
		memcpy(o + n + 4, &e, 4);
		n += 8;
	}
	if ((c->flags & TCP_CF_SACK) && c->ooo_head != NULL) {
		nb = tcp_sack_blocks(c, b, tcp_sack_blocks_max(c));
		if (nb > 0) {
			o[n++] = 1;
			o[n++] = 1;
			o[n++] = 5;
			o[n++] = (uint8_t)(2 + 8 * nb);
			for (i = 0; i < nb; i++) {
				uint32_t st = rte_cpu_to_be_32(b[i].start);
				uint32_t en = rte_cpu_to_be_32(b[i].end);

				memcpy(o + n, &st, 4);
				memcpy(o + n + 4, &en, 4);
				n += 8;
			}
			c->s->cnt.sack_blocks_tx += nb;
		}
	}
	return n;
}

/*
 * The Internet checksum sum (not complemented) of the chain <m> from byte
 * <off> of its first segment to the end.  Each segment's sum is folded to
 * 16 bits before a segment starting at an odd offset is byte-swapped
 * (DPDK 22.11's rte_raw_cksum_mbuf swaps the unfolded sum, which is wrong
 * for odd-length segments of more than a few bytes).
 */
static uint16_t
tcp_cksum_chain(const struct rte_mbuf *m, uint32_t off)
{
	uint32_t sum = 0, done = 0;

	for (; m != NULL; m = m->next, off = 0) {
		uint32_t n = m->data_len - off;
		uint32_t t;

		if (n == 0)
			continue;
		t = net_cksum_raw(rte_pktmbuf_mtod_offset(m, const void *, off),
		                  n);
		if (done & 1)
			t = rte_bswap16((uint16_t)t);
		sum += t;
		done += n;
	}
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* The two 16-bit words of a be32 in memory order, summed. */
static inline uint32_t
sum_be32(rte_be32_t v)
{
	return (v & 0xffff) + (v >> 16);
}

/* A 32-bit one's-complement sum folded to 16 bits. */
static inline uint16_t
fold16(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/*
 * Build and send one segment of flow <k>: headers in a new mbuf, <pl>
 * (may be NULL) chained behind as the payload of <len> bytes in <nsegs>
 * mbufs; or, with <nsegs> 0, <pl> is one direct mbuf holding the payload
 * with the headroom for the headers, which go in front of it (a linear
 * segment, from tcp_xmit), and <psum> the payload's checksum sum, taken
 * from the bytes it was copied from.  Consumes <pl>.  Returns
 * net_ipv4_output()'s result or -ENOMEM.
 */
static int
tcp_build(struct tcp_stack *s, const struct tcp_flow_key *k, uint32_t seq,
          uint32_t ack, uint8_t flags, uint16_t wnd, const uint8_t *opt,
          unsigned olen, struct rte_mbuf *pl, uint32_t len, uint16_t nsegs,
          uint16_t psum)
{
	bool linear = pl != NULL && nsegs == 0;

	struct rte_ipv4_hdr *ih;
	struct rte_tcp_hdr *th;
	struct rte_mbuf *h;
	unsigned thl = 20 + olen;
	rte_be16_t tot_be, id_be, wnd_be;
	rte_be32_t seq_be, ack_be;
	uint32_t sum, addrs;
	int rc;

	GH_ASSERT(olen <= 40 && olen % 4 == 0);
	if (linear) {
		h = pl;
		pl = NULL;
		ih = (struct rte_ipv4_hdr *)rte_pktmbuf_prepend(
		    h, (uint16_t)(20 + thl));
	} else {
		h = rte_pktmbuf_alloc(s->p.pool);
		if (h == NULL) {
			s->cnt.tx_nomem++;
			rte_pktmbuf_free(pl);
			return -ENOMEM;
		}
		ih = (struct rte_ipv4_hdr *)rte_pktmbuf_append(
		    h, (uint16_t)(20 + thl));
	}
	GH_VERIFY(ih != NULL);
	th = (struct rte_tcp_hdr *)(ih + 1);
	tot_be = rte_cpu_to_be_16((uint16_t)(20 + thl + len));
	id_be = rte_cpu_to_be_16(s->ip_id++);
	seq_be = rte_cpu_to_be_32(seq);
	ack_be = rte_cpu_to_be_32((flags & TH_ACK) ? ack : 0);
	wnd_be = rte_cpu_to_be_16(wnd);
	/* Both checksums from the values in hand, not read back from the
	 * headers just written (reading them back stalled on store
	 * forwarding: 9% of a cached 1 KiB hit's samples).  A 16-bit word
	 * of bytes b0 b1 is rte_cpu_to_be_16(b0 << 8 | b1) in memory order;
	 * a be32 is its two halves. */
	addrs = sum_be32(k->local_ip_be) + sum_be32(k->remote_ip_be);
	sum = rte_cpu_to_be_16(0x4500) + tot_be + id_be +
	      RTE_BE16(RTE_IPV4_HDR_DF_FLAG) +
	      rte_cpu_to_be_16(64 << 8 | IPPROTO_TCP) + addrs;
	ih->version_ihl = 0x45;
	ih->type_of_service = 0;
	ih->total_length = tot_be;
	ih->packet_id = id_be;
	ih->fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
	ih->time_to_live = 64;
	ih->next_proto_id = IPPROTO_TCP;
	ih->src_addr = k->local_ip_be;
	ih->dst_addr = k->remote_ip_be;
	ih->hdr_checksum = (uint16_t)~fold16(sum);
	th->src_port = k->local_port_be;
	th->dst_port = k->remote_port_be;
	th->sent_seq = seq_be;
	th->recv_ack = ack_be;
	th->data_off = (uint8_t)((thl / 4) << 4);
	th->tcp_flags = flags;
	th->rx_win = wnd_be;
	th->tcp_urp = 0;
	/* pseudo-header, TCP header, options, payload (at an even offset:
	 * the headers are a multiple of 4 bytes) */
	sum = addrs + rte_cpu_to_be_16(IPPROTO_TCP) +
	      rte_cpu_to_be_16((uint16_t)(thl + len)) + k->local_port_be +
	      k->remote_port_be + sum_be32(seq_be) + sum_be32(ack_be) +
	      rte_cpu_to_be_16((uint16_t)(((thl / 4) << 12) | flags)) + wnd_be;
	if (olen > 0) {
		memcpy(th + 1, opt, olen);
		sum += net_cksum_raw(opt, olen);
	}
	if (pl != NULL) {
		h->next = pl;
		h->nb_segs = (uint16_t)(1 + nsegs);
		h->pkt_len += len;
	}
	h->l3_len = 20;
	h->l4_len = thl;
	if (linear)
		sum += psum;
	else if (len > 0)
		sum += tcp_cksum_chain(h, 20 + thl);
	th->cksum = (uint16_t)~fold16(sum);
	s->cnt.seg_out++;
	if (flags & TH_RST)
		s->cnt.rst_tx++;
	rc = net_ipv4_output(s->p.net, k->port_idx, h, k->remote_ip_be);
	if (rc < 0)
		s->cnt.tx_fail++;
	return rc;
}

/* The most payload a segment can carry now (c->mss less SACK blocks). */
static uint32_t
tcp_payload_max(const struct tcp_conn *c)
{
	uint32_t o = tcp_sack_optlen(c);

	return o < c->mss ? c->mss - o : 1;
}

/* Find the send-queue byte at <seq>: its mbuf and offset. */
static void
tcp_sq_seek(struct tcp_conn *c, uint32_t seq, struct rte_mbuf **mp,
            uint32_t *offp)
{
	struct rte_mbuf *m;
	uint32_t off, skip;

	if (c->sq_cur != NULL && SEQ_GEQ(seq, c->sq_cur_seq)) {
		m = c->sq_cur;
		off = c->sq_cur_off;
		skip = seq - c->sq_cur_seq;
	} else {
		m = c->sq_head;
		off = c->sq_head_off;
		skip = seq - c->snd_una;
	}
	for (;;) {
		GH_VERIFY(m != NULL);
		if (skip < m->data_len - off)
			break;
		skip -= m->data_len - off;
		m = m->next;
		off = 0;
	}
	*mp = m;
	*offp = off + skip;
}

void
tcp_sq_drop(struct tcp_conn *c, uint32_t n)
{
	GH_VERIFY(n <= c->sq_bytes);
	c->sq_bytes -= n;
	while (c->sq_head != NULL) {
		struct rte_mbuf *m = c->sq_head;
		uint32_t avail = m->data_len - c->sq_head_off;

		if (n < avail || (n == 0 && avail > 0)) {
			c->sq_head_off += n;
			break;
		}
		n -= avail;
		c->sq_head = m->next;
		c->sq_head_off = 0;
		if (m == c->sq_cur)
			c->sq_cur = NULL;
		m->next = NULL;
		m->nb_segs = 1;
		rte_pktmbuf_free_seg(m);
	}
	if (c->sq_head == NULL) {
		c->sq_tail = NULL;
		c->sq_cur = NULL;
		GH_VERIFY(c->sq_bytes == 0);
	}
}

int
tcp_xmit(struct tcp_conn *c, uint32_t seq, uint32_t len, uint8_t flags)
{
	struct tcp_stack *s = c->s;
	uint8_t opt[40];
	unsigned olen;
	struct rte_mbuf *pl = NULL, **tail = &pl;
	uint32_t psum32 = 0;
	uint16_t nsegs = 0;
	uint32_t win, wnd;
	int rc;

	if (flags & TH_SYN)
		olen = tcp_opts_syn(
		    opt, tcp_port_mss(s, c->key.port_idx),
		    (c->flags & TCP_CF_WS) || c->state == TCP_ST_SYN_SENT
		        ? c->rcv_wscale
		        : -1,
		    (c->flags & TCP_CF_SACK) || c->state == TCP_ST_SYN_SENT,
		    (c->flags & TCP_CF_TS) || c->state == TCP_ST_SYN_SENT,
		    tcp_tsval(c), c->ts_recent);
	else
		olen = tcp_opts_est(c, opt);
	/* the frame fits the MTU the MSS came from (TS already deducted) */
	GH_ASSERT(len == 0 ||
	          len + olen <= c->mss + ((c->flags & TCP_CF_TS) ? 12u : 0u) ||
	          len <= 1);
	if (len > 0) {
		struct rte_mbuf *m;
		uint32_t off, left = len;
		char *dst = NULL;

		tcp_sq_seek(c, seq, &m, &off);
		if ((s->p.tx_linear_ports >> c->key.port_idx) & 1) {
			/* one mbuf: headers prepended in its headroom */
			pl = rte_pktmbuf_alloc(s->p.pool);
			if (pl == NULL) {
				s->cnt.tx_nomem++;
				return -ENOMEM;
			}
			dst = rte_pktmbuf_append(pl, (uint16_t)len);
			if (dst == NULL) { /* larger than one mbuf: chain */
				rte_pktmbuf_free(pl);
				pl = NULL;
			}
		}
		while (left > 0) {
			uint32_t piece = RTE_MIN(left, m->data_len - off);
			struct rte_mbuf *mi;

			if (piece == 0) {
				m = m->next;
				off = 0;
				GH_VERIFY(m != NULL);
				continue;
			}
			if (dst != NULL) {
				const void *src =
				    rte_pktmbuf_mtod_offset(m, void *, off);
				uint32_t t = net_cksum_raw(src, piece);

				/* summed from the source, not read back */
				if ((len - left) & 1)
					t = rte_bswap16((uint16_t)t);
				psum32 += t;
				rte_memcpy(dst, src, piece);
				dst += piece;
			} else {
				mi = rte_pktmbuf_alloc(s->p.pool);
				if (mi == NULL) {
					s->cnt.tx_nomem++;
					rte_pktmbuf_free(pl);
					return -ENOMEM;
				}
				rte_pktmbuf_attach(mi, m);
				mi->data_off = (uint16_t)(mi->data_off + off);
				mi->data_len = (uint16_t)piece;
				mi->pkt_len = piece;
				*tail = mi;
				tail = &mi->next;
				nsegs++;
			}
			left -= piece;
			off += piece;
			if (off == m->data_len && left > 0) {
				m = m->next;
				off = 0;
			}
		}
		if (dst != NULL)
			s->cnt.tx_linear++;
		c->sq_cur = m;
		c->sq_cur_off = off;
		c->sq_cur_seq = seq + len;
		if (off == m->data_len && m->next != NULL) {
			c->sq_cur = m->next;
			c->sq_cur_off = 0;
		}
	}
	win = (flags & TH_RST) ? 0 : tcp_rcv_window(c);
	if (flags & TH_SYN)
		wnd = RTE_MIN(win, (uint32_t)UINT16_MAX);
	else
		wnd = RTE_MIN(win >> c->rcv_wscale, (uint32_t)UINT16_MAX);
	if ((flags & TH_ACK) && !(flags & TH_RST)) {
		uint32_t edge = c->rcv_nxt +
		                ((flags & TH_SYN) ? wnd : wnd << c->rcv_wscale);

		if (SEQ_GT(edge, c->rcv_adv))
			c->rcv_adv = edge;
	}
	rc = tcp_build(s, &c->key, seq, c->rcv_nxt, flags, (uint16_t)wnd, opt,
	               olen, pl, len, nsegs, fold16(psum32));
	if (rc == -ENETUNREACH)
		c->flags |= TCP_CF_UNREACH;
	if (flags & TH_ACK) {
		c->flags &= ~TCP_CF_ACK_NOW;
		c->delack_bytes = 0;
		if (gh_wheel_armed(&c->t_delack))
			gh_wheel_stop(&s->wheel, &c->t_delack);
	}
	c->last_tx_ms = s->now_ms;
	return rc == -ENOMEM ? rc : 0;
}

/*
 * A pure ACK.  When the port's txbuf has no slot left it is not dropped
 * (the peer would retransmit, or wait for its RTO with our ACK of its last
 * request lost): the connection parks with ACK_NOW set, and tcp_output()
 * sends it, piggybacked on data if any, when the txwait list resumes it.
 */
int
tcp_send_ack(struct tcp_conn *c)
{
	if (!tcp_tx_room(c->s, c->key.port_idx, 0)) {
		c->flags |= TCP_CF_ACK_NOW;
		c->s->cnt.tx_ack_deferred++;
		tcp_txwait_add(c);
		return 0;
	}
	return tcp_xmit(c, c->snd_nxt, 0, TH_ACK);
}

void
tcp_send_rst(struct tcp_conn *c)
{
	if (!tcp_tx_room(c->s, c->key.port_idx, 0)) {
		c->s->cnt.tx_ctl_dropped++;
		return;
	}
	tcp_xmit(c, c->snd_nxt, 0, TH_RST | TH_ACK);
}

int
tcp_resend_syn(struct tcp_conn *c)
{
	uint8_t fl = TH_SYN;

	GH_ASSERT(c->state == TCP_ST_SYN_SENT || c->state == TCP_ST_SYN_RCVD);
	if (!tcp_tx_room(c->s, c->key.port_idx, 0)) {
		if (!(c->flags & TCP_CF_SYN_OWED))
			c->s->cnt.tx_syn_deferred++;
		c->flags |= TCP_CF_SYN_OWED;
		tcp_txwait_add(c);
		return 0;
	}
	c->flags &= ~TCP_CF_SYN_OWED;
	if (c->state == TCP_ST_SYN_RCVD)
		fl |= TH_ACK;
	return tcp_xmit(c, c->iss, 0, fl);
}

int
tcp_send_syn(struct tcp_conn *c)
{
	c->snd_nxt = c->iss + 1;
	c->snd_max = c->iss + 1;
	tcp_rtx_arm(c, TCP_TK_RTO, c->rto_ms);
	return tcp_resend_syn(c);
}

void
tcp_send_rst_reply(struct tcp_stack *s, const struct tcp_seg *g)
{
	struct tcp_flow_key k;
	uint32_t seq = 0, ack = 0;
	uint8_t fl = TH_RST;

	if (g->flags & TH_RST)
		return;
	if (!tcp_tx_room(s, g->port_idx, 0)) {
		s->cnt.tx_ctl_dropped++;
		return;
	}
	tcp_flow_key_set(&k, (uint8_t)g->port_idx, g->ih->dst_addr,
	                 g->th->dst_port, g->ih->src_addr, g->th->src_port);
	if (g->flags & TH_ACK) {
		seq = g->ack;
	} else {
		ack = g->seq + g->len + !!(g->flags & TH_SYN) +
		      !!(g->flags & TH_FIN);
		fl |= TH_ACK;
	}
	s->cnt.rst_tx_no_conn++;
	tcp_build(s, &k, seq, ack, fl, 0, NULL, 0, NULL, 0, 0, 0);
}

void
tcp_send_synack_cookie(struct tcp_stack *s, const struct tcp_seg *g,
                       uint32_t iss, uint16_t mss, uint32_t tsval)
{
	struct tcp_flow_key k;
	uint8_t opt[40];
	unsigned olen;

	if (!tcp_tx_room(s, g->port_idx, 0)) {
		s->cnt.tx_ctl_dropped++;
		return;
	}
	tcp_flow_key_set(&k, (uint8_t)g->port_idx, g->ih->dst_addr,
	                 g->th->dst_port, g->ih->src_addr, g->th->src_port);
	/* Window scaling and SACK only with timestamps: only TSecr brings
	 * them back (tcp_cookie.c), and a shift offered but not recovered
	 * leaves the two ends reading each other's windows differently. */
	olen = tcp_opts_syn(
	    opt, mss, g->has_ws && g->has_ts ? s->rcv_wscale : -1,
	    g->has_sackok && g->has_ts, g->has_ts, tsval, g->tsval);
	tcp_build(s, &k, iss, g->seq + 1, TH_SYN | TH_ACK,
	          (uint16_t)RTE_MIN(s->p.rcv_buf_bytes, (uint32_t)UINT16_MAX),
	          opt, olen, NULL, 0, 0, 0);
}

bool
tcp_tx_room(const struct tcp_stack *s, unsigned port_idx, unsigned spare)
{
	return net_port_txbuf(s->p.net, port_idx)->n + spare < NET_TXBUF_MAX;
}

/* Send <len> new bytes at snd_nxt (FIN too when they end the stream). */
static int
tcp_send_new(struct tcp_conn *c, uint32_t len)
{
	uint32_t seq = c->snd_nxt;
	uint32_t data_end = c->snd_una + c->sq_bytes;
	uint8_t fl = TH_ACK;
	bool fin = (c->flags & TCP_CF_SHUT_WR) && seq + len == c->fin_seq;
	int rc;

	if (seq + len == data_end && len > 0)
		fl |= TH_PSH;
	if (fin)
		fl |= TH_FIN;
	rc = tcp_xmit(c, seq, len, fl);
	if (rc < 0)
		return rc;
	if (SEQ_LT(seq, c->snd_max) && len > 0)
		c->s->cnt.rexmit_rto++; /* go-back-N after a timeout */
	else if (len > 0 && !(c->flags & TCP_CF_RTT_ON) &&
	         !(c->flags & TCP_CF_TS)) {
		c->flags |= TCP_CF_RTT_ON;
		c->rtt_seq = seq;
		c->rtt_start_ms = c->s->now_ms;
	}
	c->snd_nxt = seq + len + fin;
	if (fin)
		c->flags |= TCP_CF_FIN_SENT;
	if (SEQ_GT(c->snd_nxt, c->snd_max))
		c->snd_max = c->snd_nxt;
	return 0;
}

/* RFC 6675 NextSeg rule 1 (and NewReno's head retransmission). */
static int
tcp_send_rexmit(struct tcp_conn *c, uint32_t seq, uint32_t len)
{
	uint32_t data_end = c->snd_una + c->sq_bytes;
	uint8_t fl = TH_ACK;
	bool fin = false;
	int rc;

	if (len > tcp_payload_max(c))
		len = tcp_payload_max(c);
	if (SEQ_GEQ(seq, data_end)) { /* only our FIN is left */
		len = 0;
		fin = (c->flags & TCP_CF_FIN_SENT) != 0;
		if (!fin)
			return -ENOENT;
		seq = c->fin_seq;
	} else if (SEQ_GT(seq + len, data_end)) {
		len = data_end - seq;
	}
	if ((c->flags & TCP_CF_FIN_SENT) && seq + len == c->fin_seq)
		fin = true;
	if (fin)
		fl |= TH_FIN;
	rc = tcp_xmit(c, seq, len, fl);
	if (rc == 0) {
		c->s->cnt.rexmit_fast++;
		c->flags &= ~TCP_CF_RTT_ON; /* Karn */
		c->rxt_max = c->snd_max;
		if (SEQ_GT(seq + len + fin, c->high_rxt))
			c->high_rxt = seq + len + fin;
	}
	return rc;
}

/*
 * True when <c> has sent its quantum in this call while others wait on the
 * txwait list: it then parks behind them (counted tx_yield), so that one
 * connection with a large window does not fill every txbuf while the
 * others wait for a turn (a 1 MiB response on each of 50 connections).
 */
static bool
tcp_tx_yield(struct tcp_conn *c, unsigned sent)
{
	struct tcp_stack *s = c->s;

	if (sent < TCP_TX_QUANTUM || s->txwait_head == TCP_NONE)
		return false;
	s->cnt.tx_yield++;
	tcp_txwait_add(c);
	return true;
}

/* tcp_output(): the SYN or SYN-ACK owed (TCP_CF_SYN_OWED) goes now, or
 * waits again for a slot; past the SYN states it is no longer owed. */
static void
tcp_syn_owed(struct tcp_conn *c)
{
	if (c->state != TCP_ST_SYN_SENT && c->state != TCP_ST_SYN_RCVD) {
		c->flags &= ~TCP_CF_SYN_OWED; /* the peer's ACK came */
		return;
	}
	tcp_resend_syn(c);
	/* as tcp_connect() does when its SYN goes at once */
	if ((c->flags & TCP_CF_UNREACH) && c->state == TCP_ST_SYN_SENT)
		tcp_rtx_arm(c, TCP_TK_UNREACH, 0);
}

/* tcp_output(): the fast retransmission tcp_rexmit_head() could not send
 * goes before anything else, unless an RTO or a full ACK ended the
 * recovery meanwhile.  False when <c> parked again or the send failed. */
static bool
tcp_rexmit_owed(struct tcp_conn *c)
{
	if (!tcp_tx_room(c->s, c->key.port_idx, TCP_TXBUF_SPARE)) {
		tcp_txwait_add(c);
		return false;
	}
	c->flags &= ~TCP_CF_REXMIT_OWED;
	if (!(c->flags & TCP_CF_RECOVERY) || c->snd_una == c->snd_max)
		return true;
	return tcp_send_rexmit(c, c->snd_una, c->mss) == 0;
}

void
tcp_output(struct tcp_conn *c)
{
	struct tcp_stack *s = c->s;
	unsigned budget = 4096, sent = 0;

	/* one test on the common path for the three rare cases */
	if (c->flags & (TCP_CF_DEAD | TCP_CF_TXWAIT | TCP_CF_SYN_OWED)) {
		if (c->flags & (TCP_CF_DEAD | TCP_CF_TXWAIT))
			goto ack;
		tcp_syn_owed(c);
	}
	switch (c->state) {
	case TCP_ST_ESTABLISHED:
	case TCP_ST_CLOSE_WAIT:
	case TCP_ST_FIN_WAIT_1:
	case TCP_ST_CLOSING:
	case TCP_ST_LAST_ACK:
		break;
	default:
		goto ack;
	}
	if (c->snd_una == c->snd_max &&
	    (uint32_t)(s->now_ms - c->last_tx_ms) > c->rto_ms &&
	    c->sq_bytes > 0)
		tcp_cc_on_idle(&c->cc, (uint64_t)s->now_ms * 1000);
	if ((c->flags & TCP_CF_REXMIT_OWED) && !tcp_rexmit_owed(c))
		goto timers;
	while (budget-- > 0) {
		uint32_t data_end = c->snd_una + c->sq_bytes;
		uint32_t cwnd = tcp_cc_cwnd(&c->cc);
		uint32_t wnd, flight, usable, len, unsent;

		if (!tcp_tx_room(s, c->key.port_idx, TCP_TXBUF_SPARE)) {
			tcp_txwait_add(c);
			break;
		}
		if (c->flags & TCP_CF_RECOVERY) {
			struct tcp_seq_range h;
			uint32_t pipe;

			if (c->flags & TCP_CF_SACK) {
				pipe = tcp_sack_pipe(c);
			} else {
				uint32_t est = (uint32_t)c->n_dupack * c->mss;

				pipe = c->snd_max - c->snd_una;
				pipe = pipe > est ? pipe - est : 0;
			}
			if (pipe + c->mss > cwnd)
				break;
			if ((c->flags & TCP_CF_SACK) &&
			    tcp_sack_next_hole(c, c->high_rxt, &h) == 0) {
				len =
				    RTE_MIN(h.end - h.start, (uint32_t)c->mss);
				if (tcp_tx_yield(c, sent) ||
				    tcp_send_rexmit(c, h.start, len) < 0)
					break;
				sent++;
				continue;
			}
			wnd = c->snd_wnd;
		} else {
			wnd = RTE_MIN(c->snd_wnd, cwnd);
		}
		flight = c->snd_nxt - c->snd_una;
		/* resending after a timeout: skip what the peer holds */
		if (SEQ_LT(c->snd_nxt, c->snd_max) && c->n_sb > 0) {
			uint32_t end;

			if (tcp_sack_covered(c, c->snd_nxt, &end)) {
				c->snd_nxt = SEQ_MIN(end, data_end);
				continue;
			}
		}
		if (SEQ_LT(c->snd_nxt, data_end)) {
			uint32_t pmax = tcp_payload_max(c);

			unsent = data_end - c->snd_nxt;
			usable = wnd > flight ? wnd - flight : 0;
			len = RTE_MIN(unsent, usable);
			if (len > pmax)
				len = pmax;
			if (len == 0)
				break;
			/* sender SWS avoidance (RFC 9293 3.8.6.2.1) */
			if (len < pmax && len < unsent &&
			    len < c->max_snd_wnd / 2)
				break;
			if (tcp_tx_yield(c, sent) || tcp_send_new(c, len) < 0)
				break;
			sent++;
			continue;
		}
		if ((c->flags & TCP_CF_SHUT_WR) && c->snd_nxt == c->fin_seq) {
			tcp_send_new(c, 0); /* FIN alone */
			break;
		}
		break;
	}
timers:
	tcp_timers_update(c);
ack:
	if ((c->flags & TCP_CF_ACK_NOW) && !(c->flags & TCP_CF_DEAD))
		tcp_send_ack(c);
}

void
tcp_rexmit_head(struct tcp_conn *c)
{
	if (c->snd_una == c->snd_max)
		return;
	if (!tcp_tx_room(c->s, c->key.port_idx, 0)) {
		if (!(c->flags & TCP_CF_REXMIT_OWED))
			c->s->cnt.tx_rexmit_deferred++;
		c->flags |= TCP_CF_REXMIT_OWED;
		tcp_txwait_add(c);
		return;
	}
	c->flags &= ~TCP_CF_REXMIT_OWED;
	tcp_send_rexmit(c, c->snd_una, c->mss);
}
