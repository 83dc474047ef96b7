/*
 * The L4 relay and the test services of one worker (see proxy.h).
 *
 * A session has two legs, 0 the client and 1 the upstream (services use
 * leg 0 only).  The relay splices them (proxy_splice_push, the rule of
 * proxy_splice.h): bytes a leg receives wait in that leg's `in` chain
 * until the other leg's TCP takes them, and only then are released, so a
 * slow destination closes the source's receive window.  Echo is the one
 * connection spliced to itself.  A FIN is passed on once everything before
 * it was taken; a reset or a failure on one leg resets the other.
 *
 * Lifetime: a session is freed when both of its legs reported on_close.
 * tcp_abort() calls on_close before it returns, so a callback that aborts
 * the other leg may find the session freed afterwards: such paths return
 * at once.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "common/gh_common.h"
#include "common/gh_pool.h"
#include "proxy/proxy.h"
#include "forward.h"
#include "proxy_chain.h"
#include "proxy_pools.h"
#include "proxy_splice.h"

#define PROXY_WORKER_MAGIC  0x70787701u
#define PROXY_LISTENERS_MAX 16

struct proxy_listener {
	struct proxy_worker *pw;
	uint8_t kind; /* enum session_kind */
	uint8_t cc;   /* enum tcp_cc_algo of the upstream leg */
	unsigned up_port_idx;
	uint32_t up_local_ip_be;
	uint32_t up_ip_be;
	uint16_t up_port_be;
};

struct proxy_session;
struct fwd_ctx; /* fwd_session.c */

struct proxy_worker {
	unsigned magic;
	struct proxy_params p;
	unsigned n_listeners;
	struct proxy_listener listeners[PROXY_LISTENERS_MAX];
	struct gh_pool sess_pool; /* max_sessions, in sess_mem (calloc) */
	void *sess_mem;
	struct fwd_ctx *fwd;         /* NULL until the first forward listener */
	struct proxy_checks *checks; /* the pools' active checks, NULL */
	struct proxy_counters cnt;
};

#define PROXY_SESSION_MAGIC 0x70787302u
#define CHARGEN_LINE        72   /* printable characters per line, RFC 864 */
#define CHARGEN_CHUNK       1400 /* bytes per mbuf we fill */

static const struct stats_counter_desc proxy_descs[] = {
    PROXY_COUNTERS(STATS_DESC)};
const struct stats_group_desc proxy_counters_desc = {
    "proxy", proxy_descs, GH_ARRAY_SIZE(proxy_descs)};
static const struct stats_counter_desc listener_descs[] = {
    PROXY_LISTENER_COUNTERS(STATS_DESC) PROXY_LISTENER_HISTS(STATS_HIST_DESC)};
const struct stats_group_desc proxy_listener_counters_desc = {
    "listener", listener_descs, GH_ARRAY_SIZE(listener_descs)};
_Static_assert(sizeof(struct proxy_listener_counters) ==
                   GH_ARRAY_SIZE(listener_descs) * sizeof(uint64_t),
               "listener counters and descriptors out of step");
static const struct stats_counter_desc pool_descs[] = {
    PROXY_POOL_COUNTERS(STATS_DESC) PROXY_POOL_GAUGES(STATS_DESC)};
const struct stats_group_desc proxy_pool_counters_desc = {
    "pool", pool_descs, GH_ARRAY_SIZE(pool_descs)};
static const struct stats_counter_desc server_descs[] = {
    PROXY_SERVER_COUNTERS(STATS_DESC) PROXY_SERVER_HISTS(STATS_HIST_DESC)
        PROXY_SERVER_GAUGES(STATS_DESC)};
const struct stats_group_desc proxy_server_counters_desc = {
    "server", server_descs, GH_ARRAY_SIZE(server_descs)};
_Static_assert(sizeof(struct proxy_server_counters) <
                       GH_ARRAY_SIZE(server_descs) * sizeof(uint64_t) &&
                   sizeof(struct proxy_pool_counters) <
                       GH_ARRAY_SIZE(pool_descs) * sizeof(uint64_t),
               "pool and server counters come before their gauges");
_Static_assert(sizeof(struct proxy_counters) ==
                   GH_ARRAY_SIZE(proxy_descs) * sizeof(uint64_t),
               "proxy counters and descriptors out of step");

enum session_kind {
	KIND_RELAY = 0,
	KIND_ECHO = PROXY_SVC_ECHO,
	KIND_DISCARD = PROXY_SVC_DISCARD,
	KIND_CHARGEN = PROXY_SVC_CHARGEN,
};

struct relay_leg {
	struct tcp_conn *conn;    /* NULL once on_close was called */
	struct rte_mbuf *in;      /* received here, not taken yet */
	struct rte_mbuf *in_tail; /* in's last mbuf (proxy_chain_append_tail) */
	uint8_t connected;        /* established */
	uint8_t peer_fin;         /* its peer sent FIN */
	uint8_t shut;             /* we sent FIN on it */
};

struct proxy_session {
	unsigned magic;
	uint8_t kind;
	uint32_t chargen_pos;
	struct proxy_worker *pw;
	struct relay_leg leg[2];
};

static const struct tcp_callbacks relay_cb;
static const struct tcp_callbacks service_cb;

/* ---- session pool ---- */

static struct proxy_session *
session_get(struct proxy_worker *pw, uint8_t kind)
{
	struct proxy_session *s = gh_pool_get(&pw->sess_pool);

	if (s == NULL) {
		pw->cnt.refused_no_session++;
		return NULL;
	}
	GH_VERIFY(s->magic == 0);
	memset(s, 0, sizeof(*s));
	s->magic = PROXY_SESSION_MAGIC;
	s->kind = kind;
	s->pw = pw;
	pw->cnt.sessions_in_use++;
	return s;
}

static void
session_put(struct proxy_session *s)
{
	struct proxy_worker *pw = s->pw;
	unsigned i;

	GH_CHECK_OBJ(s, PROXY_SESSION_MAGIC);
	for (i = 0; i < 2; i++) {
		GH_VERIFY(s->leg[i].conn == NULL);
		rte_pktmbuf_free(s->leg[i].in);
	}
	s->magic = 0;
	GH_VERIFY(pw->cnt.sessions_in_use > 0);
	pw->cnt.sessions_in_use--;
	gh_pool_put(&pw->sess_pool, s);
}

static unsigned
leg_of(const struct proxy_session *s, const struct tcp_conn *c)
{
	if (s->leg[0].conn == c)
		return 0;
	GH_VERIFY(s->leg[1].conn == c);
	return 1;
}

/*
 * Splice the session: a relay's two legs once the upstream is connected
 * (until then what the client sends waits, unreleased), or an echo
 * connection to itself.  Counts what each TCP took.
 */
static void
session_push(struct proxy_session *s)
{
	struct proxy_worker *pw = s->pw;
	struct rte_mbuf *no_out[2] = {NULL, NULL}, *no_in = NULL;
	struct relay_leg *l0 = &s->leg[0], *l1 = &s->leg[1];
	struct proxy_splice_leg leg[2] = {
	    {.conn = l0->conn,
	     .in = &l0->in,
	     .out = &no_out[0],
	     .fin = l0->peer_fin,
	     .shut = l0->shut},
	    {.conn = l1->conn,
	     .in = &l1->in,
	     .out = &no_out[1],
	     .fin = l1->peer_fin,
	     .shut = l1->shut},
	};

	if (s->kind != KIND_RELAY) {
		/* echo: from leg 0 back to itself */
		leg[1].conn = l0->conn;
		leg[1].in = &no_in;
		leg[1].fin = false;
		leg[1].shut = l0->shut;
		proxy_splice_push(leg);
		l0->shut = leg[1].shut;
		pw->cnt.svc_bytes_out += leg[1].sent;
		return;
	}
	if (!l1->connected)
		return;
	proxy_splice_push(leg);
	l0->shut = leg[0].shut;
	l1->shut = leg[1].shut;
	pw->cnt.relay_bytes_c2u += leg[1].sent;
	pw->cnt.relay_bytes_u2c += leg[0].sent;
	if (l0->in != NULL)
		pw->cnt.relay_backpressure++;
	if (l1->in != NULL)
		pw->cnt.relay_backpressure++;
}

/* ---- relay callbacks ---- */

static void *
relay_on_accept(void *listen_arg, struct tcp_conn *c)
{
	struct proxy_listener *l = listen_arg;
	struct proxy_worker *pw = l->pw;
	struct proxy_session *s = session_get(pw, KIND_RELAY);
	struct tcp_conn *up;
	int rc;

	if (s == NULL)
		return NULL;
	s->leg[0].conn = c;
	s->leg[0].connected = 1;
	rc = tcp_connect(pw->p.tcp, l->up_port_idx, l->up_local_ip_be,
	                 l->up_ip_be, l->up_port_be, (enum tcp_cc_algo)l->cc,
	                 &relay_cb, s, &up);
	if (rc < 0) {
		pw->cnt.connect_error++;
		s->leg[0].conn = NULL;
		session_put(s);
		return NULL; /* the client is reset */
	}
	s->leg[1].conn = up;
	pw->cnt.relay_accepted++;
	return s;
}

static void
relay_on_connected(void *arg, struct tcp_conn *c)
{
	struct proxy_session *s = arg;

	GH_CHECK_OBJ(s, PROXY_SESSION_MAGIC);
	GH_VERIFY(leg_of(s, c) == 1);
	s->leg[1].connected = 1;
	s->pw->cnt.relay_connected++;
	session_push(s); /* what the client sent meanwhile */
}

static void
session_on_data(void *arg, struct tcp_conn *c, struct rte_mbuf *m)
{
	struct proxy_session *s = arg;
	unsigned from;

	GH_CHECK_OBJ(s, PROXY_SESSION_MAGIC);
	from = leg_of(s, c);
	if (s->kind == KIND_DISCARD || s->kind == KIND_CHARGEN) {
		uint32_t len = rte_pktmbuf_pkt_len(m);

		s->pw->cnt.svc_bytes_in += len;
		rte_pktmbuf_free(m);
		tcp_recved(c, len);
		return;
	}
	if (s->kind != KIND_RELAY)
		s->pw->cnt.svc_bytes_in += rte_pktmbuf_pkt_len(m);
	if (proxy_chain_append_tail(&s->leg[from].in, &s->leg[from].in_tail,
	                            m) < 0) {
		/* More segments than an mbuf chain can hold: give up. */
		rte_pktmbuf_free(m);
		tcp_abort(c);
		return;
	}
	session_push(s);
}

static void chargen_fill(struct proxy_session *s);

static void
session_on_writable(void *arg, struct tcp_conn *c)
{
	struct proxy_session *s = arg;

	GH_CHECK_OBJ(s, PROXY_SESSION_MAGIC);
	(void)leg_of(s, c); /* checks <c> is one of ours */
	if (s->kind == KIND_CHARGEN)
		chargen_fill(s);
	else
		session_push(s); /* data waiting to go out on <c> */
}

static void
session_on_peer_fin(void *arg, struct tcp_conn *c)
{
	struct proxy_session *s = arg;
	unsigned leg;

	GH_CHECK_OBJ(s, PROXY_SESSION_MAGIC);
	leg = leg_of(s, c);
	s->leg[leg].peer_fin = 1;
	if (s->kind == KIND_DISCARD || s->kind == KIND_CHARGEN) {
		if (!s->leg[0].shut) {
			s->leg[0].shut = 1;
			tcp_shutdown(c);
		}
		return;
	}
	session_push(s);
}

static void
session_on_close(void *arg, struct tcp_conn *c, enum tcp_close_reason why)
{
	struct proxy_session *s = arg;
	struct proxy_worker *pw;
	struct relay_leg *other;
	unsigned leg;

	GH_CHECK_OBJ(s, PROXY_SESSION_MAGIC);
	pw = s->pw;
	leg = leg_of(s, c);
	s->leg[leg].conn = NULL;
	if (s->kind != KIND_RELAY) {
		session_put(s);
		return;
	}
	other = &s->leg[!leg];
	if (leg == 1 && !s->leg[1].connected)
		pw->cnt.relay_upstream_failed++;
	/* Data the closed leg would have received can no longer go. */
	rte_pktmbuf_free(other->in);
	other->in = NULL;
	if (other->conn == NULL) {
		if (why == TCP_CLOSE_NORMAL)
			pw->cnt.relay_closed++;
		else
			pw->cnt.relay_reset++;
		session_put(s);
		return;
	}
	if (why != TCP_CLOSE_NORMAL) {
		/* Propagate the failure; its on_close frees the session. */
		pw->cnt.relay_reset++;
		tcp_abort(other->conn);
		return;
	}
	/* Both directions of <leg> ended cleanly: finish the other. */
	session_push(s);
}

static const struct tcp_callbacks relay_cb = {
    .on_accept = relay_on_accept,
    .on_connected = relay_on_connected,
    .on_data = session_on_data,
    .on_writable = session_on_writable,
    .on_peer_fin = session_on_peer_fin,
    .on_close = session_on_close,
};

/* ---- services ---- */

/* Fill the send queue with RFC 864 lines while there is room. */
static void
chargen_fill(struct proxy_session *s)
{
	struct tcp_conn *c = s->leg[0].conn;

	while (c != NULL && !s->leg[0].shut &&
	       tcp_send_space(c) >= CHARGEN_CHUNK) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(s->pw->p.pool);
		char *p;
		unsigned i;

		if (m == NULL) {
			s->pw->cnt.refused_no_mbuf++;
			return;
		}
		p = rte_pktmbuf_append(m, CHARGEN_CHUNK);
		GH_VERIFY(p != NULL);
		for (i = 0; i < CHARGEN_CHUNK; i++) {
			uint32_t col = s->chargen_pos % (CHARGEN_LINE + 2);
			uint32_t line = s->chargen_pos / (CHARGEN_LINE + 2);

			if (col == CHARGEN_LINE)
				p[i] = '\r';
			else if (col == CHARGEN_LINE + 1)
				p[i] = '\n';
			else
				p[i] = (char)(' ' + (line + col) % 95);
			s->chargen_pos =
			    (s->chargen_pos + 1) % (95 * (CHARGEN_LINE + 2));
		}
		if (tcp_send(c, m) != 0) {
			rte_pktmbuf_free(m);
			return;
		}
		s->pw->cnt.svc_bytes_out += CHARGEN_CHUNK;
	}
}

static void *
service_on_accept(void *listen_arg, struct tcp_conn *c)
{
	struct proxy_listener *l = listen_arg;
	struct proxy_session *s = session_get(l->pw, l->kind);

	if (s == NULL)
		return NULL;
	s->leg[0].conn = c;
	s->leg[0].connected = 1;
	l->pw->cnt.svc_accepted++;
	if (s->kind == KIND_CHARGEN)
		chargen_fill(s);
	return s;
}

static const struct tcp_callbacks service_cb = {
    .on_accept = service_on_accept,
    .on_data = session_on_data,
    .on_writable = session_on_writable,
    .on_peer_fin = session_on_peer_fin,
    .on_close = session_on_close,
};

/* ---- API ---- */

struct proxy_worker *
proxy_worker_create(const struct proxy_params *p)
{
	struct proxy_worker *pw;
	size_t bytes;

	if (p == NULL || p->tcp == NULL || p->pool == NULL ||
	    p->max_sessions == 0) {
		errno = EINVAL;
		return NULL;
	}
	pw = calloc(1, sizeof(*pw));
	if (pw == NULL)
		return NULL;
	bytes = gh_pool_bytes(p->max_sessions, sizeof(struct proxy_session));
	pw->sess_mem = bytes != 0 ? calloc(1, bytes) : NULL;
	if (pw->sess_mem == NULL ||
	    gh_pool_init(&pw->sess_pool, pw->sess_mem, p->max_sessions,
	                 sizeof(struct proxy_session)) < 0) {
		free(pw->sess_mem);
		free(pw);
		errno = ENOMEM;
		return NULL;
	}
	pw->magic = PROXY_WORKER_MAGIC;
	pw->p = *p;
	return pw;
}

void
proxy_worker_destroy(struct proxy_worker *pw)
{
	if (pw == NULL)
		return;
	GH_CHECK_OBJ(pw, PROXY_WORKER_MAGIC);
	pw->magic = 0;
	proxy_checks_free(pw->checks);
	fwd_ctx_destroy(pw->fwd);
	free(pw->sess_mem);
	free(pw);
}

int
proxy_listen_forward(struct proxy_worker *pw, unsigned port_idx, uint32_t ip_be,
                     uint16_t port_be, const struct conf_forward *fwd,
                     enum tcp_cc_algo cc)
{
	GH_CHECK_OBJ(pw, PROXY_WORKER_MAGIC);
	/* a reverse listener's servers are addresses: no DNS */
	if (fwd == NULL || (pw->p.dns == NULL && !fwd->reverse))
		return -EINVAL;
	if (pw->fwd == NULL) {
		pw->fwd = fwd_ctx_create(&pw->p, &pw->cnt, fwd);
		if (pw->fwd == NULL)
			return -ENOMEM;
	}
	return fwd_listen(pw->fwd, port_idx, ip_be, port_be, fwd, cc);
}

const struct proxy_listener_counters *
proxy_worker_listener_counters(const struct proxy_worker *pw, unsigned i)
{
	GH_CHECK_OBJ(pw, PROXY_WORKER_MAGIC);
	return pw->fwd != NULL ? fwd_ctx_listener_counters(pw->fwd, i) : NULL;
}

unsigned
proxy_worker_poll(struct proxy_worker *pw)
{
	GH_CHECK_OBJ(pw, PROXY_WORKER_MAGIC);
	return pw->fwd != NULL ? fwd_ctx_poll(pw->fwd) : 0;
}

void
proxy_worker_timer(struct proxy_worker *pw, uint64_t now_tsc)
{
	GH_CHECK_OBJ(pw, PROXY_WORKER_MAGIC);
	if (pw->fwd != NULL)
		fwd_ctx_timer(pw->fwd, now_tsc);
	if (pw->checks != NULL)
		proxy_checks_run(pw->checks, now_tsc);
}

int
proxy_worker_checks(struct proxy_worker *pw, const struct conf_rev *rev)
{
	GH_CHECK_OBJ(pw, PROXY_WORKER_MAGIC);
	GH_VERIFY(pw->checks == NULL);
	if (rev == NULL)
		return 0;
	pw->checks = proxy_checks_new(
	    rev, pw->p.ports, pw->p.n_ports, pw->p.tcp, pw->p.pool,
	    pw->p.tsc_hz, pw->p.start_tsc != 0 ? pw->p.start_tsc : rte_rdtsc());
	if (pw->checks == NULL && errno != ENOENT)
		return -errno;
	return 0;
}

enum pchk_result
proxy_worker_check_last(const struct proxy_worker *pw, unsigned pool,
                        unsigned srv)
{
	GH_CHECK_OBJ(pw, PROXY_WORKER_MAGIC);
	return proxy_checks_last(pw->checks, pool, srv);
}

uint32_t
proxy_worker_pool_outstanding(const struct proxy_worker *pw, unsigned pool,
                              unsigned srv)
{
	GH_CHECK_OBJ(pw, PROXY_WORKER_MAGIC);
	return pw->fwd != NULL ? fwd_rev_outstanding(pw->fwd, pool, srv) : 0;
}

const struct proxy_pool_counters *
proxy_worker_pool_counters(const struct proxy_worker *pw, unsigned pool)
{
	GH_CHECK_OBJ(pw, PROXY_WORKER_MAGIC);
	return pw->fwd != NULL ? fwd_rev_pool_counters(pw->fwd, pool) : NULL;
}

const struct proxy_server_counters *
proxy_worker_server_counters(const struct proxy_worker *pw, unsigned pool,
                             unsigned srv)
{
	GH_CHECK_OBJ(pw, PROXY_WORKER_MAGIC);
	return pw->fwd != NULL ? fwd_rev_server_counters(pw->fwd, pool, srv)
	                       : NULL;
}

const struct pchk_counters *
proxy_worker_check_counters(const struct proxy_worker *pw)
{
	static const struct pchk_counters none;

	GH_CHECK_OBJ(pw, PROXY_WORKER_MAGIC);
	return pw->checks != NULL ? proxy_checks_counters(pw->checks) : &none;
}

static struct proxy_listener *
listener_add(struct proxy_worker *pw, uint8_t kind, enum tcp_cc_algo cc)
{
	struct proxy_listener *l;

	GH_CHECK_OBJ(pw, PROXY_WORKER_MAGIC);
	if (pw->n_listeners == PROXY_LISTENERS_MAX)
		return NULL;
	l = &pw->listeners[pw->n_listeners];
	memset(l, 0, sizeof(*l));
	l->pw = pw;
	l->kind = kind;
	l->cc = (uint8_t)cc;
	return l;
}

int
proxy_listen_relay(struct proxy_worker *pw, unsigned port_idx, uint32_t ip_be,
                   uint16_t port_be, unsigned up_port_idx,
                   uint32_t up_local_ip_be, uint32_t up_ip_be,
                   uint16_t up_port_be, enum tcp_cc_algo cc)
{
	struct proxy_listener *l = listener_add(pw, KIND_RELAY, cc);
	int rc;

	if (l == NULL)
		return -ENOSPC;
	l->up_port_idx = up_port_idx;
	l->up_local_ip_be = up_local_ip_be;
	l->up_ip_be = up_ip_be;
	l->up_port_be = up_port_be;
	rc = tcp_listen(pw->p.tcp, port_idx, ip_be, port_be, cc, &relay_cb, l);
	if (rc == 0)
		pw->n_listeners++;
	return rc;
}

int
proxy_listen_service(struct proxy_worker *pw, enum proxy_service svc,
                     unsigned port_idx, uint32_t ip_be, uint16_t port_be,
                     enum tcp_cc_algo cc)
{
	struct proxy_listener *l;
	int rc;

	if (svc != PROXY_SVC_ECHO && svc != PROXY_SVC_DISCARD &&
	    svc != PROXY_SVC_CHARGEN)
		return -EINVAL;
	l = listener_add(pw, (uint8_t)svc, cc);
	if (l == NULL)
		return -ENOSPC;
	rc =
	    tcp_listen(pw->p.tcp, port_idx, ip_be, port_be, cc, &service_cb, l);
	if (rc == 0)
		pw->n_listeners++;
	return rc;
}

const struct proxy_counters *
proxy_worker_counters(const struct proxy_worker *pw)
{
	GH_CHECK_OBJ(pw, PROXY_WORKER_MAGIC);
	return &pw->cnt;
}
