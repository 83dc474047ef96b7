/*
 * The HTTP/1.1 forward proxy of one worker (see proxy.h): what browsers and
 * tools configured with http_proxy=http://<appliance>:3128 talk to.
 *
 * A session is one client connection.  It reads a request head (lib/http,
 * parsed in place when it sits in one mbuf), checks it (allowed client,
 * method, target form, destination, CONNECT port), resolves the origin
 * (lib/dns), takes an idle upstream connection to that origin from the
 * worker's pool or opens one from the outside address, and writes the
 * request head anew: request line in origin-form, Host from the target,
 * hop-by-hop fields dropped (Connection and what it names,
 * Proxy-Connection, Keep-Alive, TE, Trailer, Upgrade,
 * Proxy-Authorization), Via and X-Forwarded-For by policy.  Bodies are not
 * rewritten: the body codec only finds where each message ends, and the
 * bytes travel as the mbufs they arrived in, both ways, with backpressure:
 * at most FWD_OUT_MAX bytes wait for a leg's TCP, beyond that the source's
 * receive window stays closed.  A finished response returns the upstream
 * connection to the pool (when both ends allow it) and the session reads
 * the next request, pipelined or not.  CONNECT splices the legs byte for
 * byte after "200 Connection established".
 *
 * With `cache on`, a GET or HEAD may be answered from the shared cache
 * before anything goes upstream, and a response may be stored as it
 * passes (fwd_cache.c).
 *
 * Every transaction ends in one access-log record on the worker's ring.
 * Errors the proxy answers itself get a short HTML body naming Gatehouse
 * and the reason, and close the client connection after it.
 *
 * Connection pointers: a leg the session is done with is closed or reset
 * with its callback argument switched to `fwd_orphan`, so later callbacks
 * for it are ignored and the session never waits for them; a session is
 * freed as soon as it has no legs left.
 *
 * This file holds a session's life: the session pool, the TCP callbacks
 * that drive the stages, the timers, closing the client after a last
 * reply, the CONNECT tunnel over proxy_splice, and the set-up.  The
 * stages are in fwd_txn.c, the heads in fwd_head.c, the upstream leg and
 * its idle pool in fwd_upstream.c, the replies of our own in fwd_reply.c;
 * the types they share in fwd_priv.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>

#include "acl/acl.h"
#include "auth/auth.h"
#include "common/gh_common.h"
#include "fwd_priv.h"
#include "proxy/fwd_acl.h"

struct fwd_orphan fwd_orphan = {FWD_ORPHAN_MAGIC};

/* ---- pools ---- */

static struct fwd_session *
session_get(struct fwd_ctx *fc)
{
	struct fwd_session *s = gh_pool_get(&fc->sess_pool);

	if (s == NULL) {
		fc->cnt->fwd_no_session++;
		return NULL;
	}
	GH_VERIFY(s->magic == 0);
	memset(s, 0, sizeof(*s));
	s->magic = FWD_SESSION_MAGIC;
	s->auth_user = -1;
	s->rev_pool = -1;
	s->rev_srv = -1;
	s->up_pool = s->up_srv = -1;
	fc->cnt->fwd_sessions_in_use++;
	return s;
}

static void
session_put(struct fwd_ctx *fc, struct fwd_session *s)
{
	GH_CHECK_OBJ(s, FWD_SESSION_MAGIC);
	GH_VERIFY(s->cli == NULL && s->up == NULL && s->txn == NULL);
	s->magic = 0;
	s->state = ST_FREE; /* what a caller up the stack checks */
	GH_VERIFY(fc->cnt->fwd_sessions_in_use > 0);
	fc->cnt->fwd_sessions_in_use--;
	gh_pool_put(&fc->sess_pool, s);
}

struct fwd_session *
fwd_session_new(struct fwd_listener *l)
{
	struct fwd_session *s = session_get(l->fc);

	if (s == NULL)
		return NULL;
	s->l = l;
	s->state = ST_HEAD;
	return s;
}

/* Wheel ticks (ms since creation) at TSC <tsc>. */
static uint64_t
tick_of(const struct fwd_ctx *fc, uint64_t tsc)
{
	return (tsc - fc->start_tsc) / fc->tsc_per_ms;
}

/* ---- closing the client after a last reply ---- */

/* ST_DRAIN: once everything queued went to TCP, send FIN; once the
 * client's FIN came too, end.  Until then what it sends is dropped. */
static void
fwd_drain_step(struct fwd_session *s)
{
	fwd_cli_flush(s);
	if (s->cli_out != NULL || s->cli == NULL)
		return;
	if (!(s->flags & SF_CLI_SHUT)) {
		s->flags |= SF_CLI_SHUT;
		tcp_shutdown(s->cli);
		fwd_timer_set(s, FWD_LINGER_MS);
	}
	if (s->flags & SF_CLI_FIN)
		fwd_session_end(s, false);
}

/* Enter ST_DRAIN: no more requests on this connection. */
void
fwd_drain(struct fwd_session *s, uint32_t guard_ms)
{
	s->state = ST_DRAIN;
	rte_pktmbuf_free(s->cli_in);
	s->cli_in = NULL;
	fwd_timer_set(s, guard_ms);
	fwd_drain_step(s);
}

/* ---- the end of a session ---- */

void
fwd_session_end(struct fwd_session *s, bool reset)
{
	struct fwd_ctx *fc = s->l->fc;

	GH_CHECK_OBJ(s, FWD_SESSION_MAGIC);
	fwd_rev_dequeue(s);
	if (s->dw.query != NULL)
		dns_cancel(fc->p.dns, &s->dw);
	fwd_timer_stop(s);
	fwd_collapse_end(s);
	fwd_fill_self_end(s);
	fwd_cache_fill_end(s, false);
	fwd_cache_reval_drop(s);
	fwd_cache_claim_release(s);
	fwd_txn_end(s);
	fwd_leg_close(&s->up, reset || !(s->flags & SF_RESP_DONE));
	fwd_leg_close(&s->cli, reset);
	rte_pktmbuf_free(s->cli_in);
	rte_pktmbuf_free(s->cli_out);
	rte_pktmbuf_free(s->up_in);
	rte_pktmbuf_free(s->up_out);
	s->cli_in = s->cli_out = s->up_in = s->up_out = NULL;
	fwd_retry_drop(s);
	fwd_live_drop(s); /* held only within a transaction: none left */
	session_put(fc, s);
}

/* ---- tunnel ---- */

/* Splice both ways (proxy_splice_push): the client is leg 0, the
 * upstream leg 1; the session keeps the queues, FINs and counts. */
static void
tunnel_push(struct fwd_session *s)
{
	struct proxy_counters *cnt = s->l->fc->cnt;
	struct proxy_splice_leg leg[2] = {
	    {.conn = s->cli,
	     .in = &s->cli_in,
	     .out = &s->cli_out,
	     .fin = (s->flags & SF_CLI_FIN) != 0,
	     .shut = (s->flags & SF_CLI_SHUT) != 0},
	    {.conn = s->up,
	     .in = &s->up_in,
	     .out = &s->up_out,
	     .fin = (s->flags & SF_UP_FIN) != 0,
	     .shut = (s->flags & SF_UP_SHUT) != 0},
	};

	proxy_splice_push(leg);
	if (leg[0].shut)
		s->flags |= SF_CLI_SHUT;
	if (leg[1].shut)
		s->flags |= SF_UP_SHUT;
	cnt->fwd_bytes_u2c += leg[0].sent;
	cnt->fwd_bytes_c2u += leg[1].sent;
	if (s->txn != NULL) {
		s->txn->rec.bytes_from_client += leg[0].moved;
		s->txn->rec.bytes_to_client += leg[1].moved;
	}
}

/* ---- callbacks ---- */

static void *
fwd_on_accept(void *listen_arg, struct tcp_conn *c)
{
	struct fwd_listener *l = listen_arg;
	struct fwd_ctx *fc = l->fc;
	/* the version published now; no hold: used before this returns */
	const struct conf_forward *cfg = fwd_listener_cfg(l);
	struct fwd_session *s;
	struct tcp_flow_key k;

	GH_CHECK_OBJ(l, FWD_LISTENER_MAGIC);
	/* A client outside allow-src is reset here, before it can send
	 * (and make us hold) anything: no session, no buffers. */
	tcp_conn_key(c, &k);
	if (!fwd_src_accepted(cfg, k.remote_ip_be)) {
		fc->cnt->fwd_denied_src++;
		l->cnt.denied_src++;
		return NULL;
	}
	s = session_get(fc);
	if (s == NULL)
		return NULL;
	s->l = l;
	s->cli = c;
	s->state = ST_HEAD;
	fc->cnt->fwd_accepted++;
	l->cnt.accepted++;
	fwd_timer_set(s, cfg->client_header_ms);
	return s;
}

static void
fwd_on_connected(void *arg, struct tcp_conn *c)
{
	struct fwd_session *s = arg;

	if (s == (void *)&fwd_orphan)
		return;
	if (*(const unsigned *)arg == FWD_FTP_MAGIC) {
		fwd_ftp_on_connected(arg, c);
		return;
	}
	GH_CHECK_OBJ(s, FWD_SESSION_MAGIC);
	GH_VERIFY(c == s->up && s->state == ST_CONNECTING);
	fwd_upstream_ready(s);
}

static void
fwd_on_data(void *arg, struct tcp_conn *c, struct rte_mbuf *m)
{
	struct fwd_session *s = arg;
	unsigned magic = *(const unsigned *)arg;

	if (magic == FWD_FTP_MAGIC) {
		fwd_ftp_on_data(arg, c, m);
		return;
	}
	if (magic != FWD_SESSION_MAGIC) {
		uint32_t n = rte_pktmbuf_pkt_len(m);

		rte_pktmbuf_free(m);
		tcp_recved(c, n);
		if (magic == FWD_IDLE_MAGIC)
			fwd_idle_drop(arg, true); /* bytes nobody asked for */
		return;
	}
	if (c == s->cli) {
		if (s->state == ST_DRAIN) {
			uint32_t n = rte_pktmbuf_pkt_len(m);

			rte_pktmbuf_free(m);
			tcp_recved(c, n);
			return;
		}
		if ((s->state == ST_TUNNEL
		         ? proxy_chain_append_tail(&s->cli_in, &s->cli_in_tail,
		                                   m)
		         : proxy_chain_append(&s->cli_in, m)) < 0) {
			rte_pktmbuf_free(m);
			fwd_session_end(s, true);
			return;
		}
		switch (s->state) {
		case ST_HEAD:
			fwd_request(s);
			break;
		case ST_FORWARD:
			fwd_req_pump(s);
			break;
		case ST_TUNNEL:
			fwd_timer_set(s, fwd_cfg(s)->client_idle_ms);
			tunnel_push(s);
			break;
		default:
			break; /* kept until the upstream is there */
		}
		return;
	}
	GH_VERIFY(c == s->up);
	fwd_retry_drop(s);  /* the origin answers: no retry */
	if (s->ftp != NULL) /* a file's body on the FTP data leg */
		s->l->fc->cnt->ftp_bytes += rte_pktmbuf_pkt_len(m);
	if ((s->state == ST_TUNNEL
	         ? proxy_chain_append_tail(&s->up_in, &s->up_in_tail, m)
	         : proxy_chain_append(&s->up_in, m)) < 0) {
		rte_pktmbuf_free(m);
		fwd_session_end(s, true);
		return;
	}
	if (s->state == ST_TUNNEL) {
		fwd_timer_set(s, fwd_cfg(s)->client_idle_ms);
		tunnel_push(s);
		return;
	}
	if (s->state == ST_FORWARD) {
		fwd_read_timer_set(s);
		fwd_response(s);
	}
}

static void
fwd_on_writable(void *arg, struct tcp_conn *c)
{
	struct fwd_session *s = arg;

	if (*(const unsigned *)arg != FWD_SESSION_MAGIC)
		return;
	if (s->state == ST_TUNNEL) {
		tunnel_push(s);
		return;
	}
	if (c == s->up) {
		fwd_up_flush(s);
		if (s->state == ST_FORWARD)
			fwd_req_pump(s);
		return;
	}
	fwd_cli_flush(s);
	if (s->state == ST_WAIT) {
		fwd_collapse_step(s);
		return;
	}
	if (s->state == ST_FTP) {
		fwd_ftp_writable(s);
		return;
	}
	/* Pipelined requests held while hits filled the client's queue. */
	if (s->state == ST_HEAD && s->cli_out == NULL && s->cli_in != NULL) {
		fwd_request(s);
		return;
	}
	if (s->state == ST_FORWARD) {
		/* A slow client reading a response that is all here is
		 * progress too: the read timeout is for silence both ways. */
		if (s->flags & SF_RESP_HEAD)
			fwd_read_timer_set(s);
		fwd_response(s);
		fwd_fin_pending(s);
		return;
	}
	if (s->state == ST_DRAIN)
		fwd_drain_step(s);
}

static void
fwd_on_peer_fin(void *arg, struct tcp_conn *c)
{
	struct fwd_session *s = arg;
	unsigned magic = *(const unsigned *)arg;

	if (magic == FWD_IDLE_MAGIC) {
		fwd_idle_drop(arg, false);
		return;
	}
	if (magic == FWD_FTP_MAGIC) {
		fwd_ftp_on_peer_fin(arg, c);
		return;
	}
	if (magic != FWD_SESSION_MAGIC)
		return;
	if (c == s->cli) {
		s->flags |= SF_CLI_FIN;
		switch (s->state) {
		case ST_HEAD:
			fwd_request(s);
			break;
		case ST_TUNNEL:
			tunnel_push(s);
			break;
		case ST_DRAIN:
			fwd_drain_step(s);
			break;
		default:
			break; /* answered first, then closed */
		}
		return;
	}
	if (s->state == ST_TUNNEL) {
		s->flags |= SF_UP_FIN;
		tunnel_push(s);
		return;
	}
	if (s->state != ST_FORWARD)
		return;
	/* The origin is done sending: end of an until-close body, or a
	 * response cut short. */
	s->flags |= SF_UP_FIN;
	fwd_response(s);
	fwd_fin_pending(s);
}

static void
fwd_on_close(void *arg, struct tcp_conn *c, enum tcp_close_reason why)
{
	struct fwd_session *s = arg;
	unsigned magic = *(const unsigned *)arg;
	struct fwd_ctx *fc;

	if (magic == FWD_IDLE_MAGIC) {
		struct fwd_idle *e = arg;

		fc = e->fc;
		fwd_idle_unlink(fc, e);
		fc->cnt->fwd_upstream_idle_closed++;
		return;
	}
	if (magic == FWD_FTP_MAGIC) {
		fwd_ftp_on_close(arg, c, why);
		return;
	}
	if (magic != FWD_SESSION_MAGIC)
		return;
	fc = s->l->fc;
	if (c == s->cli) {
		s->cli = NULL;
		/* A tunnel's client that closed cleanly: what it sent still
		 * goes up, then FIN; the session ends with the upstream. */
		if (s->state == ST_TUNNEL && why == TCP_CLOSE_NORMAL &&
		    s->up != NULL && (s->cli_in != NULL || s->up_out != NULL)) {
			tunnel_push(s);
			return;
		}
		/* Both ways done cleanly (its FIN went up): the upstream's
		 * TCP may still owe the origin the last bytes; close it,
		 * do not reset it. */
		if (s->state == ST_TUNNEL && why == TCP_CLOSE_NORMAL &&
		    (s->flags & SF_UP_SHUT))
			fwd_leg_close(&s->up, false);
		/* A fill others wait on goes on without its own client. */
		if (fwd_collapse_orphan(s))
			return;
		if (why != TCP_CLOSE_NORMAL && !(s->flags & SF_RESP_DONE) &&
		    s->state != ST_HEAD && s->state != ST_DRAIN)
			fc->cnt->fwd_aborted++;
		fwd_session_end(s, true);
		return;
	}
	GH_VERIFY(c == s->up);
	s->up = NULL;
	switch (s->state) {
	case ST_CONNECTING:
		/* a reverse listener's server: another one, once */
		if (why == TCP_CLOSE_CONNECT_TIMEOUT)
			fwd_rev_timeout(s);
		if (fwd_rev_failed(s, LB_CONNECT_FAIL))
			return;
		fwd_socks_note(s, why == TCP_CLOSE_REFUSED
		                      ? SOCKS_REP_REFUSED
		                      : SOCKS_REP_HOST_UNREACH);
		if (why == TCP_CLOSE_CONNECT_TIMEOUT) {
			fwd_socks_note(s, SOCKS_REP_TTL_EXPIRED);
			fwd_error(s, 504, ALOG_TCP_MISS,
			          "the origin did not answer the connection "
			          "attempt");
			return;
		}
		fc->cnt->fwd_err_502_connect++;
		fwd_error(s, 502, ALOG_TCP_MISS,
		          why == TCP_CLOSE_REFUSED
		              ? "the origin refused the connection"
		              : "the origin could not be reached");
		return;
	case ST_TUNNEL:
		/* The origin closed cleanly with bytes still on their way
		 * to the client: they go, then FIN (tunnel_push). */
		if (why == TCP_CLOSE_NORMAL && s->cli != NULL &&
		    (s->up_in != NULL || s->cli_out != NULL)) {
			s->flags |= SF_UP_FIN;
			tunnel_push(s);
			return;
		}
		fwd_session_end(s, why != TCP_CLOSE_NORMAL);
		return;
	case ST_FORWARD:
		if (s->flags & SF_RESP_DONE)
			return;
		if ((s->flags & SF_RESP_HEAD) && why == TCP_CLOSE_NORMAL &&
		    s->up_in == NULL && http_body_eof(&s->resp_body)) {
			s->flags |= SF_RESP_DONE;
			fwd_txn_done(s);
			return;
		}
		if (!(s->flags & SF_RESP_HEAD)) {
			if (fwd_retry(s))
				return;
			fc->cnt->fwd_err_502_response++;
			fwd_error(s, 502, ALOG_TCP_MISS,
			          "the origin closed the connection without "
			          "a response");
			return;
		}
		fc->cnt->fwd_aborted++;
		fwd_session_end(s, true);
		return;
	default:
		return;
	}
}

const struct tcp_callbacks fwd_cb = {
    .on_accept = fwd_on_accept,
    .on_connected = fwd_on_connected,
    .on_data = fwd_on_data,
    .on_writable = fwd_on_writable,
    .on_peer_fin = fwd_on_peer_fin,
    .on_close = fwd_on_close,
};

/* ---- timers ---- */

static void
fwd_timer_fired(void *arg, struct gh_timer *t)
{
	struct fwd_ctx *fc = arg;
	struct fwd_session *s;

	if (t->user == FWD_IDLE_MAGIC) {
		struct fwd_idle *e =
		    (struct fwd_idle *)((char *)t -
		                        offsetof(struct fwd_idle, tmr));

		GH_CHECK_OBJ(e, FWD_IDLE_MAGIC);
		fwd_idle_drop(e, false);
		return;
	}
	s = (struct fwd_session *)((char *)t -
	                           offsetof(struct fwd_session, tmr));
	GH_CHECK_OBJ(s, FWD_SESSION_MAGIC);
	switch (s->state) {
	case ST_HEAD:
		if (s->l->socks) {
			fwd_socks_timeout(s);
			return;
		}
		if (s->flags & SF_RESUME) { /* more pipelined hits */
			s->flags &= (uint32_t)~SF_RESUME;
			fwd_request(s);
			return;
		}
		fc->cnt->fwd_client_timeout++;
		if (s->cli_in != NULL) {
			fwd_txn_start(s);
			if (s->txn != NULL) {
				alog_field_set(s->txn->rec.method,
				               sizeof(s->txn->rec.method),
				               "NONE", 4);
				alog_field_set(s->txn->rec.url,
				               sizeof(s->txn->rec.url),
				               "error:request-timeout", 21);
			}
			fwd_error(s, 408, ALOG_TAG_NONE,
			          "the request head did not arrive in time");
			return;
		}
		fwd_session_end(s, false);
		return;
	case ST_CONNECTING:
		fwd_rev_timeout(s);
		if (fwd_rev_failed(s, LB_CONNECT_FAIL))
			return;
		fwd_error(s, 504, ALOG_TCP_MISS,
		          "the origin did not answer the connection attempt");
		return;
	case ST_QUEUE:
		fwd_rev_queue_timeout(s);
		return;
	case ST_FORWARD:
		if (s->flags & SF_RESUME) {
			s->flags &= (uint32_t)~SF_RESUME;
			fwd_timer_set(s, fwd_cfg(s)->upstream_read_ms);
			if (!(s->flags & SF_REQ_DONE))
				fwd_req_pump(s);
			if (s->state != ST_FORWARD)
				return; /* ended or answered */
			fwd_response(s);
			fwd_fin_pending(s);
			return;
		}
		/* reverse: a server silent before any response byte */
		if (!(s->flags & SF_RESP_HEAD))
			fwd_rev_timeout(s);
		if (!(s->flags & SF_RESP_HEAD) && s->up_in == NULL &&
		    fwd_rev_failed(s, LB_FAIL))
			return;
		if (!(s->flags & SF_RESP_HEAD))
			s->rev_outcome = LB_FAIL;
		fwd_error(s, 504, ALOG_TCP_MISS,
		          "the origin did not answer in time");
		return;
	case ST_TUNNEL:
		fwd_session_end(s, false);
		return;
	case ST_DRAIN:
		fwd_session_end(s, !(s->flags & SF_CLI_SHUT));
		return;
	case ST_WAIT:
		fwd_collapse_timeout(s);
		return;
	case ST_AUTH:
		fwd_auth_timeout(s);
		return;
	case ST_FTP:
		fwd_ftp_timeout(s);
		return;
	default:
		return;
	}
}

void
fwd_ctx_timer(struct fwd_ctx *fc, uint64_t now_tsc)
{
	GH_CHECK_OBJ(fc, FWD_CTX_MAGIC);
	gh_wheel_advance(&fc->wheel, tick_of(fc, now_tsc), fwd_timer_fired, fc,
	                 FWD_TIMER_BURST);
}

/* ---- set-up ---- */

/* Local time minus UTC at <t>, in seconds (0 when unknown). */
static int64_t
fwd_utc_off_s(time_t t)
{
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL)
		return 0;
	return (int64_t)tm.tm_gmtoff;
}

struct fwd_ctx *
fwd_ctx_create(const struct proxy_params *p, struct proxy_counters *cnt,
               const struct conf_forward *cfg)
{
	struct fwd_ctx *fc;
	size_t sess_bytes, txn_bytes, idle_bytes, ftp_bytes;

	fc = calloc(1, sizeof(*fc));
	if (fc == NULL)
		return NULL;
	fc->magic = FWD_CTX_MAGIC;
	fc->p = *p;
	fc->cnt = cnt;
	fc->idle_max = cfg->upstream_idle_max;
	fc->idle_ms = cfg->upstream_idle_ms;
	fc->rev_wake = 0;
	sess_bytes = gh_pool_bytes(p->max_sessions, sizeof(struct fwd_session));
	txn_bytes = gh_pool_bytes(p->max_sessions, sizeof(struct fwd_txn));
	idle_bytes = gh_pool_bytes(fc->idle_max, sizeof(struct fwd_idle));
	ftp_bytes = gh_pool_bytes(FWD_FTP_MAX, fwd_ftp_size());
	/* + 1: a pool of 0 objects (upstream-idle-max 0) still gets a block,
	 * so NULL means out of memory */
	fc->sess_mem = calloc(1, sess_bytes + 1);
	fc->txn_mem = calloc(1, txn_bytes + 1);
	fc->idle_mem = calloc(1, idle_bytes + 1);
	fc->ftp_mem = calloc(1, ftp_bytes);
	fc->scratch_cap = cfg->max_header_bytes + 1;
	fc->scratch = malloc(fc->scratch_cap);
	fc->acl_scratch = acl_scratch_new();
	fc->acl_url = malloc(fc->scratch_cap);
	fc->auth_cache = auth_cache_new(
	    FWD_AUTH_CACHE_ENTRIES, FWD_AUTH_OK_TTL_MS, FWD_AUTH_BAD_TTL_MS);
	if (p->cache != NULL) {
		fc->cache_head_cap = fc->scratch_cap + FWD_CACHE_META_ROOM;
		fc->cache_head = malloc(fc->cache_head_cap);
	}
	if (fc->sess_mem == NULL || fc->txn_mem == NULL ||
	    fc->idle_mem == NULL || fc->ftp_mem == NULL ||
	    fc->scratch == NULL || fc->acl_scratch == NULL ||
	    fc->acl_url == NULL || fc->auth_cache == NULL ||
	    (p->cache != NULL && fc->cache_head == NULL) ||
	    gh_pool_init(&fc->sess_pool, fc->sess_mem, p->max_sessions,
	                 sizeof(struct fwd_session)) < 0 ||
	    gh_pool_init(&fc->txn_pool, fc->txn_mem, p->max_sessions,
	                 sizeof(struct fwd_txn)) < 0 ||
	    gh_pool_init(&fc->idle_pool, fc->idle_mem, fc->idle_max,
	                 sizeof(struct fwd_idle)) < 0 ||
	    gh_pool_init(&fc->ftp_pool, fc->ftp_mem, FWD_FTP_MAX,
	                 fwd_ftp_size()) < 0) {
		fwd_ctx_destroy(fc);
		return NULL;
	}
	fc->start_tsc = p->start_tsc != 0 ? p->start_tsc : rte_rdtsc();
	fc->tsc_per_ms = p->tsc_hz / 1000 != 0 ? p->tsc_hz / 1000 : 1;
	gh_wheel_init(&fc->wheel, 0);
	fc->wall0_s = (int64_t)time(NULL);
	fc->acl_utc_off_s = fwd_utc_off_s((time_t)fc->wall0_s);
	alog_clock_init(&fc->clock, rte_rdtsc(), p->tsc_hz);
	return fc;
}

void
fwd_ctx_destroy(struct fwd_ctx *fc)
{
	if (fc == NULL)
		return;
	fc->magic = 0;
	fwd_rev_fini(fc);
	free(fc->sess_mem);
	free(fc->txn_mem);
	free(fc->idle_mem);
	free(fc->ftp_mem);
	free(fc->scratch);
	acl_scratch_free(fc->acl_scratch);
	free(fc->acl_url);
	auth_cache_free(fc->auth_cache);
	free(fc->cache_head);
	free(fc);
}

const struct proxy_listener_counters *
fwd_ctx_listener_counters(const struct fwd_ctx *fc, unsigned i)
{
	GH_CHECK_OBJ(fc, FWD_CTX_MAGIC);
	return i < fc->n_listeners ? &fc->listeners[i].cnt : NULL;
}

int
fwd_listen(struct fwd_ctx *fc, unsigned port_idx, uint32_t ip_be,
           uint16_t port_be, const struct conf_forward *cfg,
           enum tcp_cc_algo cc)
{
	struct fwd_listener *l;
	int rc;

	GH_CHECK_OBJ(fc, FWD_CTX_MAGIC);
	if (cfg->max_headers > HTTP_HEADERS_MAX)
		return -EINVAL;
	if (fc->n_listeners == FWD_LISTENERS_MAX ||
	    cfg->max_header_bytes + 1 > fc->scratch_cap)
		return -ENOSPC;
	l = &fc->listeners[fc->n_listeners];
	memset(l, 0, sizeof(*l));
	l->magic = FWD_LISTENER_MAGIC;
	l->fc = fc;
	l->cfg = *cfg;
	l->idx = fc->n_listeners;
	l->cc = (uint8_t)cc;
	l->socks = cfg->socks;
	fwd_cache_id(cfg->name, l->cache_id, sizeof(l->cache_id));
	http_limits_default(&l->lim);
	l->lim.max_request_line = cfg->max_request_line;
	l->lim.max_headers = cfg->max_headers;
	l->lim.max_header_bytes = cfg->max_header_bytes;
	if (cfg->reverse && (cfg->routes == NULL || cfg->rev == NULL))
		return -EINVAL;
	if (cfg->reverse && fwd_rev_init(fc, cfg) < 0)
		return -ENOMEM;
	rc = tcp_listen(fc->p.tcp, port_idx, ip_be, port_be, cc, &fwd_cb, l);
	if (rc == 0)
		fc->n_listeners++;
	return rc;
}
