/*
 * The per-worker TCP stack: creation (all memory taken here: the stack,
 * the TCB pool, the flow table), the TCB pool (a gh_pool) with its zombie
 * list and TIME_WAIT reclaim, segment parsing and demultiplexing, the
 * timers.  The calls of tcp.h that act on a connection are tcp_api.c.
 *
 * Every entry point brackets its work with tcp_enter()/tcp_leave(): TCBs
 * released meanwhile (possibly by a user callback, on any connection)
 * wait on the zombie list and return to the pool when the outermost
 * call leaves, so no code path ever touches a TCB that was reused.
 */
#include <errno.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_malloc.h>

#include "net/net.h"
#include "common/gh_mbuf.h"
#include "tcp/tcp_priv.h"

static const struct stats_counter_desc tcp_counter_descs[] = {
    TCP_COUNTERS(STATS_DESC)};

const struct stats_group_desc tcp_counters_desc = {
    "tcp", tcp_counter_descs, GH_ARRAY_SIZE(tcp_counter_descs)};

_Static_assert(offsetof(struct tcp_counters, close_stack_stop) -
                       offsetof(struct tcp_counters, close_normal) ==
                   TCP_CLOSE_STACK_STOP * sizeof(uint64_t),
               "close counters must follow enum tcp_close_reason");
_Static_assert(sizeof(struct tcp_counters) ==
                   GH_ARRAY_SIZE(tcp_counter_descs) * sizeof(uint64_t),
               "struct tcp_counters must be exactly the TCP_COUNTERS list");

/* ---- pool --------------------------------------------------------------
 */

static void
tcp_tw_unlink(struct tcp_conn *c)
{
	struct tcp_stack *s = c->s;

	if (!(c->flags & TCP_CF_TW_LIST))
		return;
	c->flags &= ~TCP_CF_TW_LIST;
	if (c->tw_prev != TCP_NONE)
		s->tcbs[c->tw_prev].tw_next = c->tw_next;
	else
		s->tw_head = c->tw_next;
	if (c->tw_next != TCP_NONE)
		s->tcbs[c->tw_next].tw_prev = c->tw_prev;
	else
		s->tw_tail = c->tw_prev;
	c->tw_prev = c->tw_next = TCP_NONE;
}

static void
tcp_tw_append(struct tcp_conn *c)
{
	struct tcp_stack *s = c->s;

	GH_VERIFY(!(c->flags & TCP_CF_TW_LIST));
	c->flags |= TCP_CF_TW_LIST;
	c->tw_next = TCP_NONE;
	c->tw_prev = s->tw_tail;
	if (s->tw_tail != TCP_NONE)
		s->tcbs[s->tw_tail].tw_next = c->idx;
	else
		s->tw_head = c->idx;
	s->tw_tail = c->idx;
}

void
tcp_time_wait_free(struct tcp_conn *c)
{
	struct tcp_stack *s = c->s;

	GH_VERIFY(c->state == TCP_ST_TIME_WAIT && (c->flags & TCP_CF_DETACHED));
	tcp_conn_release(c);
	/* tcp_conn_release() pushed it on the zombie list: take it off */
	GH_VERIFY(s->zombie_head == c->idx);
	s->zombie_head = c->link;
	c->magic = 0;
	gh_pool_put(&s->tcb_pool, c);
	GH_VERIFY(s->cnt.conns_in_use > 0);
	s->cnt.conns_in_use--;
}

/*
 * A TCB from the free list; when it is empty, the oldest TIME_WAIT TCB is
 * reclaimed (RFC 9293 leaves 2*MSL to the implementation's resources; a
 * pool full of TIME_WAIT would otherwise refuse every connection for
 * time_wait_ms).  Returns NULL (counted) when there is neither.
 */
struct tcp_conn *
tcp_conn_alloc(struct tcp_stack *s)
{
	struct tcp_conn *c = gh_pool_get(&s->tcb_pool);

	if (c == NULL && s->tw_head != TCP_NONE) {
		s->cnt.time_wait_reclaimed++;
		tcp_time_wait_free(&s->tcbs[s->tw_head]);
		c = gh_pool_get(&s->tcb_pool);
	}
	if (c == NULL) {
		s->cnt.refuse_tcb_pool++;
		return NULL;
	}
	GH_VERIFY(c->magic == 0);
	/* zero until first handed out: the index is set here */
	c->idx = gh_pool_index(&s->tcb_pool, c);
	tcp_conn_init_common(s, c);
	s->cnt.conns_in_use++;
	return c;
}

void
tcp_conn_init_common(struct tcp_stack *s, struct tcp_conn *c)
{
	uint32_t idx = c->idx;

	memset(c, 0, sizeof(*c));
	c->idx = idx;
	c->magic = TCP_CONN_MAGIC;
	c->s = s;
	c->link = TCP_NONE;
	c->txwait_link = TCP_NONE;
	c->tw_prev = TCP_NONE;
	c->tw_next = TCP_NONE;
	c->listener = TCP_NONE;
	c->rto_ms = TCP_RTO_INIT_MS;
	c->t_rtx.user = TCP_TK_NONE;
	c->t_delack.user = TCP_TK_DELACK;
	c->last_rx_ms = s->now_ms;
	c->last_tx_ms = s->now_ms;
	c->mss = (uint16_t)(TCP_MSS_DEFAULT - 12);
}

static void
tcp_txwait_remove(struct tcp_conn *c)
{
	struct tcp_stack *s = c->s;
	uint32_t *pp = &s->txwait_head, prev = TCP_NONE;
	unsigned guard = s->p.max_conns + 1;

	if (!(c->flags & TCP_CF_TXWAIT))
		return;
	while (*pp != TCP_NONE && guard-- > 0) {
		if (*pp == c->idx) {
			*pp = c->txwait_link;
			if (s->txwait_tail == c->idx)
				s->txwait_tail = prev;
			break;
		}
		prev = *pp;
		pp = &s->tcbs[*pp].txwait_link;
	}
	c->flags &= ~TCP_CF_TXWAIT;
	c->txwait_link = TCP_NONE;
}

void
tcp_txwait_add(struct tcp_conn *c)
{
	struct tcp_stack *s = c->s;

	if (c->flags & TCP_CF_TXWAIT)
		return;
	s->cnt.tx_deferred++;
	c->flags |= TCP_CF_TXWAIT;
	c->txwait_link = TCP_NONE;
	if (s->txwait_tail == TCP_NONE)
		s->txwait_head = c->idx;
	else
		s->tcbs[s->txwait_tail].txwait_link = c->idx;
	s->txwait_tail = c->idx;
}

void
tcp_conn_release(struct tcp_conn *c)
{
	struct tcp_stack *s = c->s;
	uint32_t v;

	GH_CHECK_OBJ(c, TCP_CONN_MAGIC);
	if (c->flags & TCP_CF_DEAD)
		return;
	if (c->flags & TCP_CF_HALFOPEN) {
		GH_VERIFY(s->listeners[c->listener].n_half_open > 0);
		s->listeners[c->listener].n_half_open--;
		c->flags &= ~TCP_CF_HALFOPEN;
	}
	if (tcp_flow_lookup(s->flows, &c->key, &v) == 0 && v == c->idx)
		tcp_flow_delete(s->flows, &c->key, NULL);
	if (gh_wheel_armed(&c->t_rtx))
		gh_wheel_stop(&s->wheel, &c->t_rtx);
	if (gh_wheel_armed(&c->t_delack))
		gh_wheel_stop(&s->wheel, &c->t_delack);
	tcp_txwait_remove(c);
	if (c->sq_bytes > 0 || c->sq_head != NULL)
		tcp_sq_drop(c, c->sq_bytes);
	tcp_ooo_free(c);
	tcp_tw_unlink(c);
	c->state = TCP_ST_CLOSED;
	c->flags |= TCP_CF_DEAD | TCP_CF_DETACHED;
	c->link = s->zombie_head;
	s->zombie_head = c->idx;
}

void
tcp_leave(struct tcp_stack *s)
{
	GH_VERIFY(s->depth > 0);
	if (--s->depth > 0)
		return;
	while (s->zombie_head != TCP_NONE) {
		struct tcp_conn *c = &s->tcbs[s->zombie_head];

		GH_VERIFY(c->flags & TCP_CF_DEAD);
		s->zombie_head = c->link;
		c->magic = 0;
		gh_pool_put(&s->tcb_pool, c);
		GH_VERIFY(s->cnt.conns_in_use > 0);
		s->cnt.conns_in_use--;
	}
}

void
tcp_conn_close_report(struct tcp_conn *c, enum tcp_close_reason why)
{
	struct tcp_stack *s = c->s;

	if (c->flags & TCP_CF_DETACHED)
		return;
	c->flags |= TCP_CF_DETACHED;
	if ((c->flags & TCP_CF_PASSIVE) && !(c->flags & TCP_CF_CONNECTED)) {
		s->cnt.halfopen_dropped++;
		return;
	}
	/* close_normal .. close_stack_stop follow enum tcp_close_reason. */
	GH_VERIFY((unsigned)why <= TCP_CLOSE_STACK_STOP);
	(&s->cnt.close_normal)[why]++;
	if (c->cb != NULL && c->cb->on_close != NULL)
		c->cb->on_close(c->arg, c, why);
}

void
tcp_conn_reset(struct tcp_conn *c, enum tcp_close_reason why)
{
	switch (c->state) {
	case TCP_ST_SYN_RCVD:
	case TCP_ST_ESTABLISHED:
	case TCP_ST_FIN_WAIT_1:
	case TCP_ST_FIN_WAIT_2:
	case TCP_ST_CLOSE_WAIT:
	case TCP_ST_CLOSING:
	case TCP_ST_LAST_ACK:
		tcp_send_rst(c);
		break;
	default:
		break;
	}
	tcp_conn_close_report(c, why);
	tcp_conn_release(c);
}

void
tcp_enter_time_wait(struct tcp_conn *c)
{
	if (c->state == TCP_ST_TIME_WAIT) {
		tcp_time_wait_restart(c);
		return;
	}
	c->state = TCP_ST_TIME_WAIT;
	tcp_rtx_arm(c, TCP_TK_TIME_WAIT, c->s->p.time_wait_ms);
	tcp_ooo_free(c);
	tcp_conn_close_report(c, TCP_CLOSE_NORMAL);
	/* reclaimable only now: on_close may open a connection, and our
	 * caller still holds <c> */
	if (!(c->flags & TCP_CF_DEAD))
		tcp_tw_append(c);
}

void
tcp_time_wait_restart(struct tcp_conn *c)
{
	GH_VERIFY(c->state == TCP_ST_TIME_WAIT && (c->flags & TCP_CF_TW_LIST));
	tcp_tw_unlink(c);
	tcp_tw_append(c);
	tcp_rtx_arm(c, TCP_TK_TIME_WAIT, c->s->p.time_wait_ms);
}

/* ---- timers ------------------------------------------------------------
 */

void
tcp_rtx_arm(struct tcp_conn *c, enum tcp_rtx_kind kind, uint32_t ms)
{
	c->t_rtx.user = kind;
	gh_wheel_restart(&c->s->wheel, &c->t_rtx, c->s->now_tick + ms);
}

void
tcp_rtx_stop(struct tcp_conn *c)
{
	if (gh_wheel_armed(&c->t_rtx))
		gh_wheel_stop(&c->s->wheel, &c->t_rtx);
	c->t_rtx.user = TCP_TK_NONE;
}

static uint32_t
tcp_backoff_ms(const struct tcp_conn *c)
{
	uint64_t ms = (uint64_t)c->rto_ms << RTE_MIN(c->n_rtx, 20);

	return (uint32_t)RTE_MIN(ms, (uint64_t)c->s->p.rto_max_ms);
}

void
tcp_timers_update(struct tcp_conn *c)
{
	struct tcp_stack *s = c->s;
	bool armed = gh_wheel_armed(&c->t_rtx);
	uint32_t kind = c->t_rtx.user;

	switch (c->state) {
	case TCP_ST_ESTABLISHED:
	case TCP_ST_FIN_WAIT_1:
	case TCP_ST_FIN_WAIT_2:
	case TCP_ST_CLOSE_WAIT:
	case TCP_ST_CLOSING:
	case TCP_ST_LAST_ACK:
		break;
	default:
		return;
	}
	if (c->flags & TCP_CF_UNREACH) {
		if (!armed || kind != TCP_TK_UNREACH)
			tcp_rtx_arm(c, TCP_TK_UNREACH, 0);
		return;
	}
	if (c->snd_max != c->snd_una) {
		if (!armed || kind != TCP_TK_RTO)
			tcp_rtx_arm(c, TCP_TK_RTO, c->rto_ms);
		return;
	}
	if (SEQ_LT(c->snd_nxt, c->snd_una + c->sq_bytes)) {
		if (!armed || kind != TCP_TK_PERSIST)
			tcp_rtx_arm(c, TCP_TK_PERSIST, tcp_backoff_ms(c));
		return;
	}
	if (c->state == TCP_ST_FIN_WAIT_2 && (c->flags & TCP_CF_CLOSED)) {
		if (!armed || kind != TCP_TK_FIN_WAIT_2)
			tcp_rtx_arm(c, TCP_TK_FIN_WAIT_2, s->p.time_wait_ms);
		return;
	}
	if (s->p.keepalive_idle_ms > 0 &&
	    (c->state == TCP_ST_ESTABLISHED || c->state == TCP_ST_CLOSE_WAIT)) {
		if (!armed || kind != TCP_TK_KEEPALIVE)
			tcp_rtx_arm(c, TCP_TK_KEEPALIVE,
			            s->p.keepalive_idle_ms);
		return;
	}
	if (armed)
		tcp_rtx_stop(c);
}

/* Retransmission timeout (RFC 6298 5.4-5.7, RFC 5681 3.1). */
static void
tcp_rto_fire(struct tcp_conn *c)
{
	struct tcp_stack *s = c->s;

	if (c->state == TCP_ST_SYN_SENT || c->state == TCP_ST_SYN_RCVD) {
		if (c->n_rtx >= s->p.syn_retries) {
			if (c->state == TCP_ST_SYN_SENT ||
			    !(c->flags & TCP_CF_PASSIVE))
				tcp_conn_close_report(
				    c, TCP_CLOSE_CONNECT_TIMEOUT);
			else
				tcp_conn_close_report(c, TCP_CLOSE_TIMEOUT);
			tcp_conn_release(c);
			return;
		}
		c->n_rtx++;
		c->rto_ms = (uint32_t)RTE_MIN((uint64_t)c->rto_ms * 2,
		                              (uint64_t)s->p.rto_max_ms);
		s->cnt.rexmit_syn++;
		tcp_send_syn(c);
		return;
	}
	if (c->snd_max == c->snd_una) {
		tcp_timers_update(c);
		return;
	}
	if (c->n_rtx >= s->p.data_retries) {
		tcp_conn_reset(c, TCP_CLOSE_TIMEOUT);
		return;
	}
	s->cnt.rto_fired++;
	tcp_cc_on_rto(&c->cc, c->snd_max - c->snd_una,
	              (uint64_t)s->now_ms * 1000);
	c->n_rtx++;
	c->rto_ms = (uint32_t)RTE_MIN((uint64_t)c->rto_ms * 2,
	                              (uint64_t)s->p.rto_max_ms);
	/* go-back-N resends the head: a fast retransmission owed goes */
	c->flags &= ~(TCP_CF_RECOVERY | TCP_CF_RTT_ON | TCP_CF_REXMIT_OWED);
	c->n_dupack = 0;
	/* Keep what the peer SACKed for the first timeout (Linux does too:
	 * go-back-N then skips it); a second one may mean the receiver
	 * reneged (RFC 2018 8), so forget it then. */
	if (c->n_rtx > 1)
		tcp_sack_clear(c);
	c->recover = c->snd_max;
	c->high_rxt = c->snd_una;
	c->snd_nxt = c->snd_una;
	tcp_rtx_arm(c, TCP_TK_RTO, c->rto_ms);
	tcp_output(c);
}

/* A probe the peer must answer: an old sequence number, no data.  On a
 * full txbuf it is not sent: its timer sends the next one. */
static void
tcp_send_probe(struct tcp_conn *c)
{
	if (!tcp_tx_room(c->s, c->key.port_idx, 0)) {
		c->s->cnt.tx_ctl_dropped++;
		return;
	}
	tcp_xmit(c, c->snd_una - 1, 0, TH_ACK);
}

static void
tcp_rtx_fire(struct tcp_conn *c)
{
	struct tcp_stack *s = c->s;
	uint32_t idle;

	switch (c->t_rtx.user) {
	case TCP_TK_RTO:
		tcp_rto_fire(c);
		break;
	case TCP_TK_PERSIST:
		tcp_output(c);
		if (c->flags & TCP_CF_DEAD)
			break;
		if (c->snd_max == c->snd_una &&
		    SEQ_LT(c->snd_nxt, c->snd_una + c->sq_bytes)) {
			s->cnt.window_probes++;
			tcp_send_probe(c);
			if (c->n_rtx < 30)
				c->n_rtx++;
			tcp_rtx_arm(c, TCP_TK_PERSIST, tcp_backoff_ms(c));
		}
		break;
	case TCP_TK_KEEPALIVE:
		idle = s->now_ms - c->last_rx_ms;
		if (c->n_probe == 0 && idle < s->p.keepalive_idle_ms) {
			tcp_rtx_arm(c, TCP_TK_KEEPALIVE,
			            s->p.keepalive_idle_ms - idle);
			break;
		}
		if (c->n_probe >= s->p.keepalive_probes) {
			tcp_conn_reset(c, TCP_CLOSE_KEEPALIVE);
			break;
		}
		c->n_probe++;
		s->cnt.keepalives++;
		tcp_send_probe(c);
		tcp_rtx_arm(c, TCP_TK_KEEPALIVE, s->p.keepalive_intvl_ms);
		break;
	case TCP_TK_TIME_WAIT:
		s->cnt.time_wait_expired++;
		tcp_conn_release(c);
		break;
	case TCP_TK_FIN_WAIT_2:
		tcp_conn_reset(c, TCP_CLOSE_TIMEOUT);
		break;
	case TCP_TK_UNREACH:
		tcp_conn_close_report(c, TCP_CLOSE_UNREACHABLE);
		tcp_conn_release(c);
		break;
	default:
		break;
	}
}

static void
tcp_stack_timer_cb(void *arg, struct gh_timer *t)
{
	struct tcp_stack *s = arg;
	struct tcp_conn *c;

	if (t->user == TCP_TK_DELACK) {
		c = container_of(t, struct tcp_conn, t_delack);
		GH_CHECK_OBJ(c, TCP_CONN_MAGIC);
		if (c->flags & TCP_CF_DEAD)
			return;
		s->cnt.delayed_acks++;
		tcp_send_ack(c);
		return;
	}
	c = container_of(t, struct tcp_conn, t_rtx);
	GH_CHECK_OBJ(c, TCP_CONN_MAGIC);
	if (c->flags & TCP_CF_DEAD)
		return;
	tcp_rtx_fire(c);
}

void
tcp_rtt_sample(struct tcp_conn *c, uint32_t r)
{
	uint32_t var, rto;

	if (c->srtt_us == 0 && c->rttvar_us == 0) {
		c->srtt_us = r;
		c->rttvar_us = r / 2;
	} else {
		uint32_t d = c->srtt_us > r ? c->srtt_us - r : r - c->srtt_us;

		c->rttvar_us = c->rttvar_us - c->rttvar_us / 4 + d / 4;
		c->srtt_us = c->srtt_us - c->srtt_us / 8 + r / 8;
	}
	var = RTE_MAX(4 * c->rttvar_us, 1000u); /* G: the 1 ms clock */
	rto = (c->srtt_us + var + 999) / 1000;
	if (rto < c->s->p.rto_min_ms)
		rto = c->s->p.rto_min_ms;
	c->rto_ms = RTE_MIN(rto, c->s->p.rto_max_ms);
}

/* ---- create / destroy --------------------------------------------------
 */

struct tcp_stack *
tcp_stack_create(const struct tcp_stack_params *p)
{
	struct tcp_flow_params fp;
	struct tcp_stack *s = NULL;
	uint32_t cap = TCP_FLOW_CAPACITY_MIN;
	int err = EINVAL, rc;

	if (p == NULL || p->max_conns == 0 || p->max_conns > (1u << 24) ||
	    p->rcv_buf_bytes < 1024 || p->snd_buf_bytes < 1024 ||
	    p->rcv_buf_bytes > (1u << 30) || p->pool == NULL ||
	    p->net == NULL || p->flow_owner == NULL || p->isn_secret == NULL ||
	    p->tsc_hz < 1000 || p->ephemeral_lo == 0 ||
	    p->ephemeral_lo > p->ephemeral_hi || p->rto_min_ms == 0 ||
	    p->rto_min_ms > p->rto_max_ms || p->delack_ms == 0 ||
	    p->worker_id >= p->flow_owner->n_workers)
		goto fail;
	err = ENOMEM;
	s = rte_zmalloc_socket("tcp_stack", sizeof(*s), RTE_CACHE_LINE_SIZE,
	                       SOCKET_ID_ANY);
	if (s == NULL)
		goto fail;
	s->p = *p;
	if (s->p.challenge_ack_per_s == 0)
		s->p.challenge_ack_per_s = TCP_CHALLENGE_ACK_PER_S;
	/* the workers share the pool: each takes its part of the share */
	if (s->p.ooo_mbufs_max == 0)
		s->p.ooo_mbufs_max =
		    RTE_MAX(p->pool->size /
		                (TCP_OOO_POOL_DIV * p->flow_owner->n_workers),
		            1u);
	s->zombie_head = TCP_NONE;
	s->txwait_head = TCP_NONE;
	s->txwait_tail = TCP_NONE;
	s->tw_head = TCP_NONE;
	s->tw_tail = TCP_NONE;
	memcpy(s->secret, p->isn_secret, sizeof(s->secret));
	while (s->rcv_wscale < TCP_WSCALE_MAX &&
	       ((uint32_t)UINT16_MAX << s->rcv_wscale) < p->rcv_buf_bytes)
		s->rcv_wscale++;
	s->tsc_per_ms = p->tsc_hz / 1000;
	s->now_tsc = p->start_tsc != 0 ? p->start_tsc : rte_rdtsc();
	/* tick 1 at creation: ms clock values are never 0 in practice */
	s->tick0_tsc = s->now_tsc - s->tsc_per_ms;
	s->now_tick = 1;
	s->now_ms = 1;
	gh_wheel_init(&s->wheel, s->now_tick);
	s->tcbs = rte_zmalloc_socket(
	    "tcp_tcbs", gh_pool_bytes(p->max_conns, sizeof(*s->tcbs)),
	    RTE_CACHE_LINE_SIZE, SOCKET_ID_ANY);
	if (s->tcbs == NULL || gh_pool_init(&s->tcb_pool, s->tcbs, p->max_conns,
	                                    sizeof(*s->tcbs)) < 0)
		goto fail;
	while (cap < 2 * (p->max_conns + TCP_LISTEN_MAX))
		cap <<= 1;
	memset(&fp, 0, sizeof(fp));
	fp.name = "tcp_flows";
	fp.capacity = cap;
	fp.socket_id = SOCKET_ID_ANY;
	s->flows = tcp_flow_table_create(&fp);
	if (s->flows == NULL)
		goto fail;
	rc = net_flow_ports_init(&s->ports, p->flow_owner, p->worker_id,
	                         p->ephemeral_lo, p->ephemeral_hi);
	if (rc < 0) {
		err = -rc;
		goto fail;
	}
	s->magic = TCP_STACK_MAGIC;
	return s;
fail:
	if (s != NULL) {
		tcp_flow_table_free(s->flows);
		rte_free(s->tcbs);
		rte_free(s);
	}
	errno = err;
	return NULL;
}

void
tcp_stack_destroy(struct tcp_stack *s)
{
	uint32_t i;

	if (s == NULL)
		return;
	GH_CHECK_OBJ(s, TCP_STACK_MAGIC);
	tcp_enter(s);
	for (i = 0; i < s->p.max_conns; i++) {
		struct tcp_conn *c = &s->tcbs[i];

		if (c->magic == TCP_CONN_MAGIC && !(c->flags & TCP_CF_DEAD))
			tcp_conn_reset(c, TCP_CLOSE_STACK_STOP);
	}
	tcp_leave(s);
	GH_VERIFY(s->cnt.conns_in_use == 0);
	GH_VERIFY(s->cnt.ooo_mbufs == 0);
	s->magic = 0;
	tcp_flow_table_free(s->flows);
	rte_free(s->tcbs);
	rte_free(s);
}

/* ---- input -------------------------------------------------------------
 */

/* The big-endian 32-bit value at <p>, which options leave at any alignment
 * (a load through a uint32_t pointer there is undefined behaviour). */
static inline uint32_t
opt_be32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return rte_be_to_cpu_32(v);
}

/* Parse the options of <g>; malformed options end the parse. */
static void
tcp_parse_options(struct tcp_seg *g, const uint8_t *o, unsigned len)
{
	unsigned i = 0;

	while (i < len) {
		unsigned kind = o[i], olen;

		if (kind == 0)
			break;
		if (kind == 1) {
			i++;
			continue;
		}
		if (i + 1 >= len)
			break;
		olen = o[i + 1];
		if (olen < 2 || i + olen > len)
			break;
		switch (kind) {
		case 2:
			if (olen == 4 && (g->flags & TH_SYN)) {
				g->has_mss = 1;
				g->mss = (uint16_t)(o[i + 2] << 8 | o[i + 3]);
			}
			break;
		case 3:
			if (olen == 3 && (g->flags & TH_SYN)) {
				g->has_ws = 1;
				g->ws = o[i + 2];
			}
			break;
		case 4:
			if (olen == 2 && (g->flags & TH_SYN))
				g->has_sackok = 1;
			break;
		case 5:
			if (olen >= 10 && (olen - 2) % 8 == 0) {
				unsigned n = (olen - 2) / 8, j;

				for (j = 0; j < n && j < 4; j++) {
					const uint8_t *b = o + i + 2 + 8 * j;

					g->sack[j].start = opt_be32(b);
					g->sack[j].end = opt_be32(b + 4);
				}
				g->n_sack = (uint8_t)RTE_MIN(n, 4u);
			}
			break;
		case 8:
			if (olen == 10) {
				g->has_ts = 1;
				g->tsval = opt_be32(o + i + 2);
				g->tsecr = opt_be32(o + i + 6);
			}
			break;
		default:
			break;
		}
		i += olen;
	}
}

void
tcp_stack_input(struct tcp_stack *s, unsigned port_idx, struct rte_mbuf *m)
{
	struct tcp_flow_key k;
	struct tcp_seg g;
	uint32_t tot, tcp_len, doff, v, sum;
	uint16_t l3;

	GH_CHECK_OBJ_NOTNULL(s, TCP_STACK_MAGIC);
	tcp_enter(s);
	s->cnt.seg_in++;
	if (m->nb_segs != 1) {
		s->cnt.rx_multiseg++;
		goto drop;
	}
	memset(&g, 0, sizeof(g));
	g.m = m;
	g.port_idx = port_idx;
	l3 = m->l3_len;
	if (m->data_len < m->l2_len + l3 + 20u || l3 < 20) {
		s->cnt.rx_short++;
		goto drop;
	}
	g.ih =
	    rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, m->l2_len);
	tot = rte_be_to_cpu_16(g.ih->total_length);
	if (tot < l3 + 20u || m->l2_len + tot > m->data_len) {
		s->cnt.rx_short++;
		goto drop;
	}
	tcp_len = tot - l3;
	g.th = (const struct rte_tcp_hdr *)((const uint8_t *)g.ih + l3);
	doff = (uint32_t)(g.th->data_off >> 4) * 4;
	if (doff < 20 || doff > tcp_len) {
		s->cnt.rx_bad_offset++;
		goto drop;
	}
	sum = (uint32_t)net_cksum_raw(g.th, tcp_len) +
	      rte_ipv4_phdr_cksum(g.ih, 0);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	if (sum != 0xffff) {
		s->cnt.rx_bad_csum++;
		goto drop;
	}
	g.seq = rte_be_to_cpu_32(g.th->sent_seq);
	g.ack = rte_be_to_cpu_32(g.th->recv_ack);
	g.flags = g.th->tcp_flags & 0x3f;
	g.wnd = rte_be_to_cpu_16(g.th->rx_win);
	g.len = tcp_len - doff;
	g.hdr_len = m->l2_len + l3 + doff;
	if ((g.flags & TH_SYN) && (g.flags & (TH_FIN | TH_RST))) {
		s->cnt.rx_bad_flags++;
		goto drop;
	}
	tcp_parse_options(&g, (const uint8_t *)(g.th + 1), doff - 20);
	tcp_flow_key_set(&k, (uint8_t)port_idx, g.ih->dst_addr, g.th->dst_port,
	                 g.ih->src_addr, g.th->src_port);
	if (tcp_flow_lookup(s->flows, &k, &v) == 0) {
		GH_VERIFY(!(v & TCP_LISTEN_FLAG) && v < s->p.max_conns);
		tcp_input_conn(&s->tcbs[v], &g);
		goto out;
	}
	k.remote_ip_be = 0;
	k.remote_port_be = 0;
	if (tcp_flow_lookup(s->flows, &k, &v) == 0) {
		GH_VERIFY((v & TCP_LISTEN_FLAG) &&
		          (v & ~TCP_LISTEN_FLAG) < TCP_LISTEN_MAX);
		tcp_input_listen(s, &s->listeners[v & ~TCP_LISTEN_FLAG], &g);
		goto out;
	}
	s->cnt.rx_no_conn++;
	tcp_send_rst_reply(s, &g);
drop:
	rte_pktmbuf_free(m);
out:
	tcp_leave(s);
}

/*
 * Connections that stopped on a full txbuf, after the worker flushed: in
 * the list's order, each sends what it can now, until a txbuf is full
 * again.  Those not reached keep their place at the head; one that fills
 * the txbuf or sends its quantum (tcp_tx_yield) parks again at the tail,
 * behind them: turns go round, so no connection waits behind others that
 * always have more to send.  Each connection listed at the start is
 * resumed at most once.  Returns how many were resumed.
 */
static unsigned
tcp_txwait_resume(struct tcp_stack *s)
{
	uint32_t last = s->txwait_tail;
	unsigned n = 0, guard = s->p.max_conns + 1;

	while (s->txwait_head != TCP_NONE) {
		struct tcp_conn *c = &s->tcbs[s->txwait_head];
		bool was_last = c->idx == last;

		GH_VERIFY(guard-- > 0);
		if (!tcp_tx_room(s, c->key.port_idx, TCP_TXBUF_SPARE))
			break;
		s->txwait_head = c->txwait_link;
		if (s->txwait_head == TCP_NONE)
			s->txwait_tail = TCP_NONE;
		c->txwait_link = TCP_NONE;
		c->flags &= ~TCP_CF_TXWAIT;
		if (!(c->flags & TCP_CF_DEAD))
			tcp_output(c);
		n++;
		if (was_last)
			break;
	}
	return n;
}

unsigned
tcp_stack_tx_flushed(void *stack)
{
	struct tcp_stack *s = stack;
	unsigned n;

	GH_CHECK_OBJ_NOTNULL(s, TCP_STACK_MAGIC);
	if (s->txwait_head == TCP_NONE)
		return 0;
	tcp_enter(s);
	n = tcp_txwait_resume(s);
	tcp_leave(s);
	s->cnt.tx_resumed_on_flush += n;
	return n;
}

unsigned
tcp_stack_input_burst(void *stack, unsigned port_idx, struct rte_mbuf **pkts,
                      unsigned n)
{
	struct tcp_stack *s = stack;
	unsigned i;

	GH_CHECK_OBJ_NOTNULL(s, TCP_STACK_MAGIC);
	for (i = 0; i < n; i++)
		tcp_stack_input(s, port_idx, pkts[i]);
	return 0;
}

void
tcp_stack_timer(struct tcp_stack *s, uint64_t now_tsc)
{
	uint64_t tick;

	GH_CHECK_OBJ_NOTNULL(s, TCP_STACK_MAGIC);
	tcp_enter(s);
	if (now_tsc > s->now_tsc)
		s->now_tsc = now_tsc;
	tick = (s->now_tsc - s->tick0_tsc) / s->tsc_per_ms;
	if (tick > s->now_tick) {
		s->now_tick = tick;
		s->now_ms = (uint32_t)tick;
	}
	/* a fallback when no net_tx_flushed hook resumed them */
	tcp_txwait_resume(s);
	gh_wheel_advance(&s->wheel, s->now_tick, tcp_stack_timer_cb, s,
	                 UINT32_MAX);
	tcp_leave(s);
}

const struct tcp_counters *
tcp_stack_counters(const struct tcp_stack *s)
{
	GH_CHECK_OBJ_NOTNULL(s, TCP_STACK_MAGIC);
	return &s->cnt;
}

const struct tcp_flow_counters *
tcp_stack_flow_counters(const struct tcp_stack *s)
{
	GH_CHECK_OBJ_NOTNULL(s, TCP_STACK_MAGIC);
	return tcp_flow_table_counters(s->flows);
}

uint32_t
tcp_stack_conns(const struct tcp_stack *s)
{
	GH_CHECK_OBJ_NOTNULL(s, TCP_STACK_MAGIC);
	return (uint32_t)s->cnt.conns_in_use;
}
