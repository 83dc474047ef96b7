/*
 * Collapsed misses (issue 12 item 6): a GET that misses while another
 * request, on any worker, fetches the same key waits on that fetch's
 * object (fwd_cache.c put it in the index, without a head, when the first
 * request missed) and is answered from it as it fills: the head once the
 * filler published it, the body as mbufs attached to the object's
 * segments (no copy), up to what was appended so far, with the client's
 * backpressure.  Nothing polls: lib/cache queues the object on this
 * worker's wake ring at every change, and fwd_ctx_poll() runs the
 * sessions waiting on it.
 *
 * A waiter falls back to its own fetch when the filler gives the object
 * up before its head (the response was not storable: no-store, private,
 * Vary, too large...) or when cache-collapse-wait-ms pass without a
 * head; it parses its request again (kept in cli_in) with SF_NO_COLLAPSE.
 * Once the head went out, an object given up short of its length cuts
 * the client's connection, as the origin cutting the response would.
 *
 * The waiters of a worker are in FWD_WAIT_BUCKETS lists hashed by the
 * object's address: a wake walks one bucket, the waiters of that object
 * and of the few others that share it.
 *
 * The filler's own client is served from the object too (SF_FILL_SELF):
 * the origin's bytes go into the object at the origin's pace, not at the
 * pace of the client that asked first, and that client reads the object
 * as a waiter does (fwd_fill_self).
 */
#include <errno.h>

#include <rte_mbuf.h>

#include "cache/cache_index.h"
#include "cache/cache_obj.h"
#include "common/gh_common.h"
#include "fwd_priv.h"
#include "proxy/forward.h"

/* Wakes taken from the ring per poll. */
#define FWD_WAKE_BURST 32u

/* The waiter list of <obj>'s bucket. */
static struct fwd_session **
bucket_of(struct fwd_ctx *fc, const struct cache_obj *obj)
{
	uint64_t h = (uint64_t)(uintptr_t)obj * UINT64_C(0x9e3779b97f4a7c15);

	return &fc->waiters[(h >> 32) & (FWD_WAIT_BUCKETS - 1)];
}

bool
fwd_collapse_wait(struct fwd_session *s, struct cache_obj *obj,
                  uint32_t head_len)
{
	struct fwd_ctx *fc = s->l->fc;

	if (cache_obj_watch(obj, fc->p.cache_worker) != 0)
		return false;
	cache_obj_get(obj);
	s->wobj = obj;
	s->wsent = 0;
	s->whead_len = head_len;
	s->wprev = bucket_of(fc, obj);
	s->wnext = *s->wprev;
	if (s->wnext != NULL)
		s->wnext->wprev = &s->wnext;
	*s->wprev = s;
	fc->n_waiting++;
	s->flags &= (uint32_t)~SF_WAIT_HEAD;
	s->state = ST_WAIT;
	fc->cnt->fwd_cache_collapsed++;
	fwd_timer_set(s, fwd_cfg(s)->cache_collapse_ms);
	/* The first look comes with this worker's next poll, not from
	 * here: nested in the request's parsing, a waiter served whole at
	 * once would go on to the next pipelined request. */
	cache_obj_notify(obj);
	return true;
}

void
fwd_collapse_end(struct fwd_session *s)
{
	struct fwd_ctx *fc = s->l->fc;

	if (s->wobj == NULL)
		return;
	*s->wprev = s->wnext;
	if (s->wnext != NULL)
		s->wnext->wprev = s->wprev;
	s->wnext = NULL;
	s->wprev = NULL;
	GH_VERIFY(fc->n_waiting > 0);
	fc->n_waiting--;
	cache_obj_put(s->wobj);
	s->wobj = NULL;
}

/* Nothing was sent: fetch for ourselves, the request parsed again. */
static void
fall_back(struct fwd_session *s)
{
	fwd_collapse_end(s);
	fwd_timer_stop(s);
	s->flags |= SF_NO_COLLAPSE;
	s->state = ST_HEAD;
	s->l->fc->cnt->fwd_cache_collapse_fallback++;
	fwd_request(s);
}

/* Every byte went out: the transaction ends as a hit's does. */
static void
wait_done(struct fwd_session *s)
{
	fwd_collapse_end(s);
	proxy_chain_trim(&s->cli_in, s->whead_len);
	tcp_recved(s->cli, s->whead_len);
	fwd_txn_end(s);
	if (s->flags & SF_CLOSE_CLI) {
		fwd_drain(s, fwd_cfg(s)->client_idle_ms);
		return;
	}
	s->state = ST_HEAD;
	s->flags &= (uint32_t)SF_CLI_FIN;
	fwd_request(s);
}

/* Send the head; false when there is none yet or the session went
 * elsewhere. */
static bool
head_out(struct fwd_session *s)
{
	struct fwd_ctx *fc = s->l->fc;
	unsigned status = 0;
	struct rte_mbuf *m = fwd_cache_wait_head(s, s->wobj, &status);

	if (m == NULL) {
		if (errno == EAGAIN) { /* no head yet: wait, unless never */
			if (cache_obj_state(s->wobj) == CACHE_OBJ_DEAD)
				fall_back(s);
			return false;
		}
		if (errno == EACCES) { /* its own fetch gets the 403 */
			fall_back(s);
			return false;
		}
		fc->cnt->fwd_no_mbuf++;
		fwd_session_end(s, true);
		return false;
	}
	s->flags |= SF_WAIT_HEAD;
	if (s->txn != NULL) {
		s->txn->rec.status = (uint16_t)status;
		s->txn->rec.result = ALOG_TCP_MEM_HIT;
	}
	fwd_cli_queue(s, m);
	/* from now on silence (no byte from the filler, none taken by the
	 * client) is bounded by the origin's read timeout */
	fwd_timer_set(s, fwd_cfg(s)->upstream_read_ms);
	return true;
}

/*
 * Queue the body bytes of <obj> from s->wsent up to <have> for the
 * client, at most FWD_OUT_MAX waiting, flushing first: what the client's
 * TCP takes frees room for more, and leaving with bytes queued means TCP
 * refused some, so its on_writable comes back.  When the object's bytes
 * cannot be attached (no mbuf, or the segment's 16-bit per-worker
 * descriptor is full under a flash crowd), it tries again in 1 ms, for
 * as long as the read timeout, then cuts.  False when the session is not
 * to go on now (retrying, or ended).
 */
static bool
obj_push(struct fwd_session *s, struct cache_obj *obj, uint64_t have)
{
	struct fwd_ctx *fc = s->l->fc;
	uint64_t before = s->wsent;

	for (;;) {
		uint32_t queued;
		uint64_t n;
		struct rte_mbuf *m;

		fwd_cli_flush(s);
		queued = proxy_chain_len(s->cli_out);
		if (s->wsent >= have || queued >= FWD_OUT_MAX)
			break;
		n = RTE_MIN(have - s->wsent, (uint64_t)(FWD_OUT_MAX - queued));
		m = cache_obj_body_mbufs(obj, fc->p.cache_worker, s->wsent, n,
		                         fc->p.pool);
		if (m == NULL) {
			fc->cnt->fwd_cache_send_stalls++;
			if (s->stall_ms >= RTE_MIN(fwd_cfg(s)->upstream_read_ms,
			                           (uint32_t)UINT16_MAX)) {
				fc->cnt->fwd_no_mbuf++;
				fwd_session_end(s, true);
				return false;
			}
			s->stall_ms++;
			fwd_resume_soon(s);
			return false;
		}
		fwd_cli_queue(s, m);
		s->wsent += n;
	}
	if (s->wsent != before)
		s->stall_ms = 0;
	return true;
}

void
fwd_collapse_step(struct fwd_session *s)
{
	struct fwd_ctx *fc = s->l->fc;
	enum cache_obj_state st;
	uint64_t have, want, before;

	GH_VERIFY(s->state == ST_WAIT && s->wobj != NULL);
	if (s->flags & SF_WAIT_REVAL) { /* a validation's: fwd_cache_reval.c */
		fwd_cache_reval_wait_step(s);
		return;
	}
	/* the state first: a COMPLETE object's length is final */
	st = cache_obj_state(s->wobj);
	if (!(s->flags & SF_WAIT_HEAD)) {
		if (st == CACHE_OBJ_DEAD) { /* given up: nothing sent yet */
			fall_back(s);
			return;
		}
		if (!head_out(s))
			return;
	}
	before = s->wsent;
	have = s->req_method == HTTP_M_HEAD ? 0 : cache_obj_body_len(s->wobj);
	want = s->req_method == HTTP_M_HEAD ? 0 : cache_obj_hint_get(s->wobj);
	if (!obj_push(s, s->wobj, have))
		return;
	if (s->wsent != before) /* progress: the silence timer restarts */
		fwd_timer_set(s, fwd_cfg(s)->upstream_read_ms);
	if (s->wsent == have && (st == CACHE_OBJ_COMPLETE || have == want)) {
		if (s->cli_out == NULL)
			wait_done(s);
		return; /* else on_writable finishes it */
	}
	if (st == CACHE_OBJ_DEAD && s->wsent == have) {
		/* given up short of its length, part of it sent */
		fc->cnt->fwd_aborted++;
		fwd_session_end(s, true);
	}
}

void
fwd_collapse_timeout(struct fwd_session *s)
{
	struct fwd_ctx *fc = s->l->fc;
	uint64_t before = s->wsent;

	if (s->flags & SF_RESUME) { /* obj_push's retry */
		s->flags &= (uint32_t)~SF_RESUME;
		fwd_timer_set(s, fwd_cfg(s)->upstream_read_ms);
		fwd_collapse_step(s);
		return;
	}
	if (s->flags & SF_WAIT_REVAL) { /* a validation's: fwd_cache_reval.c */
		fwd_cache_reval_wait_timeout(s);
		return;
	}
	if (!(s->flags & SF_WAIT_HEAD)) {
		fc->cnt->fwd_cache_collapse_timeout++;
		fall_back(s);
		return;
	}
	/* A look first (the backstop of a wake lost to a full ring): what
	 * moved re-arms the timer; nothing for the whole read timeout cuts,
	 * as the origin's own silence would. */
	fwd_collapse_step(s);
	if (s->state != ST_WAIT || s->wsent != before)
		return;
	fc->cnt->fwd_aborted++;
	fwd_session_end(s, true);
}

unsigned
fwd_ctx_poll(struct fwd_ctx *fc)
{
	struct cache_obj *objs[FWD_WAKE_BURST];
	unsigned n, i, n_auth;

	GH_CHECK_OBJ(fc, FWD_CTX_MAGIC);
	n_auth = fwd_auth_poll(fc); /* the verifier's answers (fwd_auth.c) */
	n_auth += fwd_rev_poll(fc); /* reverse: queued requests' turns */
	if (fc->p.cache == NULL)
		return n_auth;
	n = cache_wake_drain(fc->p.cache, fc->p.cache_worker, objs,
	                     FWD_WAKE_BURST);
	for (i = 0; i < n; i++) {
		struct fwd_session *s = *bucket_of(fc, objs[i]), *next;

		for (; s != NULL; s = next) {
			next = s->wnext;
			if (s->wobj == objs[i])
				fwd_collapse_step(s);
		}
		cache_obj_put(objs[i]);
	}
	return n + n_auth;
}

bool
fwd_collapse_orphan(struct fwd_session *s)
{
	struct fwd_ctx *fc = s->l->fc;

	/* only a GET's response whose head the waiters have (the request
	 * all sent, so the origin needs nothing more from the client) */
	if (s->state != ST_FORWARD || s->cobj == NULL || s->up == NULL ||
	    (s->flags & (SF_RESP_HEAD | SF_REQ_DONE | SF_RESP_DONE)) !=
	        (SF_RESP_HEAD | SF_REQ_DONE) ||
	    !cache_obj_watched(s->cobj))
		return false;
	GH_VERIFY(s->cli == NULL);
	rte_pktmbuf_free(s->cli_in);
	rte_pktmbuf_free(s->cli_out);
	s->cli_in = s->cli_out = NULL;
	s->flags |= SF_CLOSE_CLI;
	fc->cnt->fwd_cache_fill_orphaned++;
	fwd_response(s); /* what the origin sent already */
	return true;
}

/* ---- the filler's own client, served from the object ---- */

void
fwd_fill_self_start(struct fwd_session *s)
{
	if (s->cobj == NULL || s->cobj_expect == UINT64_MAX ||
	    s->cobj_expect == 0 || s->req_method != HTTP_M_GET ||
	    (s->flags & (SF_RESP_DONE | SF_DECHUNK)))
		return;
	cache_obj_get(s->cobj);
	s->sobj = s->cobj;
	s->wsent = 0;
	s->stall_ms = 0;
	s->flags |= SF_FILL_SELF;
}

void
fwd_fill_self_end(struct fwd_session *s)
{
	if (s->sobj == NULL)
		return;
	cache_obj_put(s->sobj);
	s->sobj = NULL;
	s->flags &= (uint32_t)~SF_FILL_SELF;
}

/*
 * The origin's body bytes at the head of up_in into the object (one mbuf
 * segment's worth).  A fill given up on the way (no room) keeps what went
 * in, served from the object; the rest stays in up_in for the client,
 * the body's framing state counting only what went in.  False when
 * nothing more is to be taken now (or the session was answered).
 */
static bool
self_take(struct fwd_session *s)
{
	struct fwd_ctx *fc = s->l->fc;
	struct rte_mbuf *m = s->up_in;
	const char *p = rte_pktmbuf_mtod(m, const char *);
	struct http_body before = s->resp_body;
	uint64_t len0 = cache_obj_body_len(s->sobj);
	uint32_t used = 0, got;
	int rc;

	rc = http_body_feed(&s->resp_body, p, m->data_len, &used);
	if (rc == HTTP_ERROR) {
		fc->cnt->fwd_err_502_response++;
		fwd_error(s, 502, ALOG_TCP_MISS,
		          "bad framing of the response body");
		return false;
	}
	if (used > 0 && fwd_cache_fill_bytes(s, p, used) < 0) {
		got = (uint32_t)(cache_obj_body_len(s->sobj) - len0);
		GH_VERIFY(got < used);
		s->resp_body = before;
		used = 0;
		rc = got > 0 ? http_body_feed(&s->resp_body, p, got, &used)
		             : HTTP_AGAIN;
		GH_VERIFY(rc == HTTP_AGAIN && used == got);
	}
	if (used > 0) {
		proxy_chain_trim(&s->up_in, used);
		tcp_recved(s->up, used);
	}
	if (rc == HTTP_OK)
		s->flags |= SF_RESP_DONE;
	return used > 0 && s->cobj != NULL && !(s->flags & SF_RESP_DONE);
}

/* What a fill nobody else waits on reads ahead of its own client. */
#define FWD_FILL_AHEAD (256u * 1024)

/* Whether the origin's bytes may be taken now: always while others wait
 * on the object (the point: the origin's pace), else up to
 * FWD_FILL_AHEAD ahead of our own client. */
static bool
self_may_take(const struct fwd_session *s)
{
	return s->cobj != NULL && !(s->flags & SF_RESP_DONE) &&
	       s->up_in != NULL &&
	       (s->cli == NULL || cache_obj_watched(s->sobj) ||
	        cache_obj_body_len(s->sobj) - s->wsent < FWD_FILL_AHEAD);
}

void
fwd_fill_self(struct fwd_session *s)
{
	unsigned guard = 0;

	GH_VERIFY(s->state == ST_FORWARD && (s->flags & SF_FILL_SELF) &&
	          s->sobj != NULL);
	do {
		while (self_may_take(s)) {
			if (guard++ == 64) {
				fwd_resume_soon(s); /* the rest in 1 ms */
				break;
			}
			if (!self_take(s))
				break;
		}
		if (s->state != ST_FORWARD)
			return; /* answered (bad framing) */
		if (s->cli != NULL &&
		    !obj_push(s, s->sobj, cache_obj_body_len(s->sobj)))
			return;
	} while (self_may_take(s) && guard < 64);
	/* All of it from the origin: the object completes and the upstream
	 * is free at once, whatever our own client's pace. */
	if ((s->flags & SF_RESP_DONE) && s->cobj != NULL) {
		fwd_cache_fill_end(s, true);
		fwd_up_release(s);
	}
	if (s->cli != NULL && s->wsent < cache_obj_body_len(s->sobj))
		return; /* its on_writable brings the rest */
	if (s->flags & SF_RESP_DONE) {
		fwd_fill_self_end(s);
		fwd_txn_done(s);
		return;
	}
	if (s->cobj == NULL) { /* the fill was given up, its part sent */
		fwd_fill_self_end(s);
		fwd_response(s); /* the rest as the origin sends it */
	}
}
