/*
 * The calls of tcp.h that act on a connection: listen, connect, send and
 * its send queue, recved (the receive window), shutdown, close, abort.
 * Each brackets its work with tcp_enter()/tcp_leave() (see tcp_stack.c).
 */
#include <errno.h>
#include <string.h>

#include <rte_mbuf.h>

#include "common/gh_mbuf.h"
#include "net/net.h"
#include "tcp/tcp_priv.h"

int
tcp_listen(struct tcp_stack *s, unsigned port_idx, uint32_t ip_be,
           uint16_t port_be, enum tcp_cc_algo cc,
           const struct tcp_callbacks *cb, void *listen_arg)
{
	struct tcp_flow_key k;
	unsigned i;
	int rc;

	GH_CHECK_OBJ_NOTNULL(s, TCP_STACK_MAGIC);
	if (port_idx >= s->p.net->n_ports || port_be == 0 || cb == NULL ||
	    cb->on_accept == NULL || cb->on_data == NULL)
		return -EINVAL;
	for (i = 0; i < TCP_LISTEN_MAX; i++)
		if (s->listeners[i].magic == 0)
			break;
	if (i == TCP_LISTEN_MAX)
		return -ENOSPC;
	tcp_flow_key_set(&k, (uint8_t)port_idx, ip_be, port_be, 0, 0);
	rc = tcp_flow_insert(s->flows, &k, TCP_LISTEN_FLAG | i);
	if (rc == -EEXIST)
		return -EADDRINUSE;
	if (rc < 0)
		return rc;
	s->listeners[i].magic = TCP_LISTEN_MAGIC;
	s->listeners[i].cc = (uint8_t)cc;
	s->listeners[i].n_half_open = 0;
	s->listeners[i].key = k;
	s->listeners[i].cb = cb;
	s->listeners[i].arg = listen_arg;
	return 0;
}

/*
 * A connection keeps its listener's index for life, but only a half-open
 * one (TCP_CF_HALFOPEN: SYN_RCVD, not accepted yet) ever looks at the
 * listener again: its n_half_open, and on_accept when the handshake
 * completes.  So those are reset here, while the slot is still valid: the
 * simple option, and the peer learns at once rather than from a RST to its
 * ACK.  An accepted connection never reads the slot again, so it is free
 * for the next tcp_listen() at once.
 */
int
tcp_unlisten(struct tcp_stack *s, unsigned port_idx, uint32_t ip_be,
             uint16_t port_be)
{
	struct tcp_listener *l;
	struct tcp_flow_key k;
	uint32_t v, li, i;

	GH_CHECK_OBJ_NOTNULL(s, TCP_STACK_MAGIC);
	if (port_idx >= s->p.net->n_ports)
		return -ENOENT;
	tcp_flow_key_set(&k, (uint8_t)port_idx, ip_be, port_be, 0, 0);
	if (tcp_flow_lookup(s->flows, &k, &v) != 0 || !(v & TCP_LISTEN_FLAG))
		return -ENOENT;
	li = v & ~TCP_LISTEN_FLAG;
	GH_VERIFY(li < TCP_LISTEN_MAX);
	l = &s->listeners[li];
	GH_CHECK_OBJ(l, TCP_LISTEN_MAGIC);
	tcp_enter(s);
	/* each counted in halfopen_dropped; no callbacks (never accepted) */
	for (i = 0; i < s->p.max_conns && l->n_half_open > 0; i++) {
		struct tcp_conn *c = &s->tcbs[i];

		if (c->magic == TCP_CONN_MAGIC && c->listener == li &&
		    (c->flags & (TCP_CF_HALFOPEN | TCP_CF_DEAD)) ==
		        TCP_CF_HALFOPEN)
			tcp_conn_reset(c, TCP_CLOSE_ABORTED);
	}
	GH_VERIFY(l->n_half_open == 0);
	tcp_flow_delete(s->flows, &k, NULL);
	memset(l, 0, sizeof(*l));
	tcp_leave(s);
	return 0;
}

int
tcp_connect(struct tcp_stack *s, unsigned port_idx, uint32_t local_ip_be,
            uint32_t remote_ip_be, uint16_t remote_port_be, enum tcp_cc_algo cc,
            const struct tcp_callbacks *cb, void *arg, struct tcp_conn **out)
{
	struct net_flow_key nk;
	struct tcp_flow_key k;
	struct tcp_conn *c;
	int rc = 0;

	GH_CHECK_OBJ_NOTNULL(s, TCP_STACK_MAGIC);
	if (port_idx >= s->p.net->n_ports || remote_ip_be == 0 ||
	    remote_port_be == 0 || cb == NULL || cb->on_data == NULL ||
	    out == NULL)
		return -EINVAL;
	tcp_enter(s);
	memset(&nk, 0, sizeof(nk));
	nk.port_idx = (uint8_t)port_idx;
	nk.local_ip_be = local_ip_be;
	nk.remote_ip_be = remote_ip_be;
	nk.remote_port_be = remote_port_be;
	if (net_flow_port_choose(s->p.flow_owner, &s->ports, &nk, tcp_flow_busy,
	                         s->flows) < 0) {
		rc = -EADDRNOTAVAIL;
		goto out;
	}
	tcp_flow_key_from_net(&k, &nk);
	c = tcp_conn_alloc(s);
	if (c == NULL) {
		rc = -ENOBUFS;
		goto out;
	}
	if (tcp_flow_insert(s->flows, &k, c->idx) < 0) {
		s->cnt.refuse_flow_full++;
		c->flags |= TCP_CF_DETACHED;
		tcp_conn_release(c);
		rc = -ENOBUFS;
		goto out;
	}
	c->key = k;
	c->cb = cb;
	c->arg = arg;
	c->cc.algo = (uint8_t)cc;
	c->state = TCP_ST_SYN_SENT;
	c->rcv_wscale = s->rcv_wscale;
	c->mss = (uint16_t)(tcp_port_mss(s, port_idx) - 12);
	c->iss = tcp_isn(s, &k);
	c->snd_una = c->iss;
	c->recover = c->iss;
	c->ts_off = tcp_ts_offset(s, &k);
	s->cnt.conn_attempts++;
	tcp_send_syn(c);
	if (c->flags & TCP_CF_UNREACH)
		tcp_rtx_arm(c, TCP_TK_UNREACH, 0);
	*out = c;
out:
	tcp_leave(s);
	return rc;
}

uint32_t
tcp_send_space(const struct tcp_conn *c)
{
	GH_CHECK_OBJ_NOTNULL(c, TCP_CONN_MAGIC);
	return c->sq_bytes < c->s->p.snd_buf_bytes
	           ? c->s->p.snd_buf_bytes - c->sq_bytes
	           : 0;
}

/*
 * Link the chain <m> to the send queue segment by segment; a small segment
 * is copied into the queue's last buffer when that buffer is ours alone
 * (no clone of it in flight), so a peer that makes us send tiny pieces
 * (a dripped body we relay) holds about one mbuf per buffer, not one per
 * piece, and a frame carries few pieces.  Bytes already sent from that
 * buffer do not move: only its data_len grows, which tcp_sq_seek() reads.
 */
static void
tcp_sq_append(struct tcp_conn *c, struct rte_mbuf *m)
{
	while (m != NULL) {
		struct rte_mbuf *seg = m, *put;

		m = seg->next;
		seg->next = NULL;
		seg->nb_segs = 1;
		seg->pkt_len = seg->data_len;
		put = gh_mbuf_compact(c->sq_tail, seg);
		if (put == c->sq_tail)
			continue;
		if (c->sq_tail != NULL)
			c->sq_tail->next = put;
		else
			c->sq_head = put;
		c->sq_tail = put;
	}
}

int
tcp_send(struct tcp_conn *c, struct rte_mbuf *m)
{
	struct tcp_stack *s;
	struct rte_mbuf *last = m;
	uint32_t len = 0, n = 0;

	GH_CHECK_OBJ_NOTNULL(c, TCP_CONN_MAGIC);
	GH_VERIFY(m != NULL);
	s = c->s;
	if (c->flags & (TCP_CF_SHUT_WR | TCP_CF_CLOSED | TCP_CF_DETACHED))
		return -EPIPE;
	switch (c->state) {
	case TCP_ST_SYN_SENT:
	case TCP_ST_SYN_RCVD:
	case TCP_ST_ESTABLISHED:
	case TCP_ST_CLOSE_WAIT:
		break;
	default:
		return -EPIPE;
	}
	/* Refused on the head's pkt_len before the chain is walked: a
	 * caller retrying a long chain against a full queue (a relay leg
	 * behind a slow peer) must not pay a walk per retry. */
	if (m->pkt_len > tcp_send_space(c)) {
		c->flags |= TCP_CF_WRITABLE;
		return -EAGAIN;
	}
	for (;;) { /* bounded by the chain, which nb_segs counts */
		len += last->data_len;
		GH_VERIFY(++n <= m->nb_segs);
		if (last->next == NULL)
			break;
		last = last->next;
	}
	if (GH_UNLIKELY(len != m->pkt_len)) {
		/* a chain whose head does not say its length: the walk
		 * counts, and decides again */
		GH_ASSERT(0);
		m->pkt_len = len;
		if (len > tcp_send_space(c)) {
			c->flags |= TCP_CF_WRITABLE;
			return -EAGAIN;
		}
	}
	tcp_enter(s);
	tcp_sq_append(c, m);
	c->sq_bytes += len;
	tcp_output(c);
	tcp_leave(s);
	return 0;
}

void
tcp_recved(struct tcp_conn *c, uint32_t n)
{
	struct tcp_stack *s;
	uint32_t old, now;

	GH_CHECK_OBJ_NOTNULL(c, TCP_CONN_MAGIC);
	s = c->s;
	c->rcv_held = n < c->rcv_held ? c->rcv_held - n : 0;
	switch (c->state) {
	case TCP_ST_ESTABLISHED:
	case TCP_ST_FIN_WAIT_1:
	case TCP_ST_FIN_WAIT_2:
		break;
	default:
		return;
	}
	old = SEQ_GT(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
	now = tcp_rcv_window(c);
	if (now > old &&
	    (now - old >= 2u * c->mss || now - old >= s->p.rcv_buf_bytes / 2 ||
	     old < 2u * c->mss)) {
		tcp_enter(s);
		tcp_send_ack(c);
		tcp_leave(s);
	}
}

int
tcp_shutdown(struct tcp_conn *c)
{
	struct tcp_stack *s;

	GH_CHECK_OBJ_NOTNULL(c, TCP_CONN_MAGIC);
	s = c->s;
	if (c->flags & TCP_CF_SHUT_WR)
		return 0;
	switch (c->state) {
	case TCP_ST_SYN_SENT:
	case TCP_ST_SYN_RCVD:
		c->flags |= TCP_CF_SHUT_WR; /* FIN once established */
		return 0;
	case TCP_ST_ESTABLISHED:
		c->state = TCP_ST_FIN_WAIT_1;
		break;
	case TCP_ST_CLOSE_WAIT:
		c->state = TCP_ST_LAST_ACK;
		break;
	default:
		return -ENOTCONN;
	}
	c->flags |= TCP_CF_SHUT_WR;
	c->fin_seq = c->snd_una + c->sq_bytes;
	tcp_enter(s);
	tcp_output(c);
	tcp_leave(s);
	return 0;
}

void
tcp_close(struct tcp_conn *c)
{
	struct tcp_stack *s;

	GH_CHECK_OBJ_NOTNULL(c, TCP_CONN_MAGIC);
	s = c->s;
	if (c->flags & (TCP_CF_CLOSED | TCP_CF_DETACHED))
		return;
	tcp_enter(s);
	c->flags |= TCP_CF_CLOSED;
	c->rcv_held = 0;
	if (c->state == TCP_ST_SYN_SENT) {
		tcp_conn_close_report(c, TCP_CLOSE_ABORTED);
		tcp_conn_release(c);
	} else {
		tcp_shutdown(c);
		if (!(c->flags & TCP_CF_DEAD))
			tcp_timers_update(c);
	}
	tcp_leave(s);
}

void
tcp_abort(struct tcp_conn *c)
{
	struct tcp_stack *s;

	GH_CHECK_OBJ_NOTNULL(c, TCP_CONN_MAGIC);
	s = c->s;
	if (c->flags & TCP_CF_DEAD)
		return;
	tcp_enter(s);
	tcp_conn_reset(c, TCP_CLOSE_ABORTED);
	tcp_leave(s);
}

void
tcp_conn_set_arg(struct tcp_conn *c, void *arg)
{
	GH_CHECK_OBJ_NOTNULL(c, TCP_CONN_MAGIC);
	c->arg = arg;
}

void
tcp_conn_key(const struct tcp_conn *c, struct tcp_flow_key *k)
{
	GH_CHECK_OBJ_NOTNULL(c, TCP_CONN_MAGIC);
	*k = c->key;
}
