/*
 * The forward proxy's validation of stored responses (RFC 9111 4.3; see
 * fwd_cache_priv.h).  A stale object with a validator, for a request
 * without conditionals of its own, is kept in s->reval while the request
 * goes up with If-None-Match (the stored ETag) and If-Modified-Since (the
 * stored Last-Modified).  A 304 updates the stored head (4.3.4: its
 * fields replace or join the stored ones, but never the fields never
 * stored, Content-Length or Age; new request and response times) and
 * the client is answered from the object (TCP_REFRESH_UNMODIFIED).  A
 * new response goes to the client as on a miss and replaces the object
 * through the store path (TCP_REFRESH_MODIFIED).  A 5xx, or no answer at
 * all (the error we would send), serves the stale object where
 * stale-if-error allows (RFC 5861 4, TCP_REFRESH_FAIL_OLD), else the
 * error (TCP_REFRESH_FAIL_ERR).  A head is never written in place: the
 * updated one is built in the worker's cache_head and published with
 * cache_obj_head_replace() (RCU; readers on other cores keep the old one
 * until their next quiescent state).  A validation in the background
 * (fwd_cache_bg.c: SF_BG, no client) takes the same paths with nobody to
 * serve; its 5xx is a failure that leaves the stale object as it is.
 * Collapsed validations: a validating session holds the object's claim
 * (cache_obj_reval_claim, the one background validations take) until its
 * transaction ends; a request that would validate an object whose claim
 * is taken waits on it (fwd_collapse_wait, SF_WAIT_REVAL) up to
 * cache-collapse-wait-ms, then looks it up again: a hit after a 304 or a
 * stored new response, else a validation of its own.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <rte_mbuf.h>

#include "cache/cache_obj.h"
#include "cache/cache_policy.h"
#include "common/gh_common.h"
#include "fwd_cache_priv.h"
#include "http/http_cond.h"

void
fwd_cache_reval_drop(struct fwd_session *s)
{
	cache_obj_put(s->reval); /* NULL: nothing */
	s->reval = NULL;
}

void
fwd_cache_claim_release(struct fwd_session *s)
{
	struct cache_obj *obj = s->claim;

	if (obj == NULL)
		return;
	s->claim = NULL;
	if (s->flags & SF_BG) {
		GH_VERIFY(s->l->n_bg > 0);
		s->l->n_bg--;
	}
	cache_obj_reval_release(obj);
	cache_obj_notify(obj); /* the requests waiting on it look again */
	cache_obj_put(obj);
}

/* Look the request up again after waiting on a validation (kept in
 * cli_in): a hit after its 304 or its new response, else a validation of
 * its own (SF_NO_COLLAPSE: it waits no more). */
static void
wait_over(struct fwd_session *s)
{
	fwd_collapse_end(s);
	fwd_timer_stop(s);
	s->flags = (s->flags & (uint32_t)~SF_WAIT_REVAL) | SF_NO_COLLAPSE;
	s->state = ST_HEAD;
	fwd_request(s);
}

void
fwd_cache_reval_wait_step(struct fwd_session *s)
{
	GH_VERIFY((s->flags & SF_WAIT_REVAL) && s->wobj != NULL);
	if (!cache_obj_reval_busy(s->wobj))
		wait_over(s);
}

void
fwd_cache_reval_wait_timeout(struct fwd_session *s)
{
	s->l->fc->cnt->fwd_cache_reval_collapse_timeout++;
	wait_over(s);
}

/*
 * A request that would validate <obj> while another validation of it runs
 * (foreground or background, any worker) waits on that one instead, as a
 * collapsed miss waits on a fill (fwd_collapse_wait: the wake rings, up
 * to cache-collapse-wait-ms), unless its answer could not serve it
 * (Authorization; its own conditionals and Range never get here) or it
 * wants the origin's word (no-cache, max-age=0) or waited already.  True
 * when it waits (ST_WAIT, SF_WAIT_REVAL).
 */
bool
fwd_cache_reval_wait(struct fwd_session *s, const struct http_msg *msg,
                     struct cache_obj *obj, const struct cache_req_meta *q)
{
	if (!cache_obj_reval_busy(obj) ||
	    !fwd_cache_shareable(s, msg, &q->cc) ||
	    !fwd_collapse_wait(s, obj, msg->head_len))
		return false;
	s->flags |= SF_WAIT_REVAL;
	s->l->fc->cnt->fwd_cache_reval_collapsed++;
	return true;
}

/* Validating <obj>: take its claim when free, so that others wait on
 * this validation (released when the transaction ends). */
void
fwd_cache_reval_claim(struct fwd_session *s, struct cache_obj *obj)
{
	if (s->claim != NULL || !cache_obj_reval_claim(obj))
		return; /* another runs: this one goes too (it waited) */
	cache_obj_get(obj);
	s->claim = obj;
}

void
fwd_cache_txn_reset(struct fwd_session *s)
{
	fwd_cache_reval_drop(s);
	s->cache_fwd = FWD_CF_BYPASS;
	s->cache_fwd_status = 0;
}

void
fwd_cache_reval_hdrs(struct fwd_session *s, struct fwd_head_writer *w)
{
	struct fwd_cache_meta m;
	const char *text, *v;
	uint32_t len, n;

	if (s->reval == NULL)
		return;
	fwd_cache_obj_meta(s->reval, &m, &text, &len);
	if (fwd_cache_field(text, len, "etag", &v, &n)) {
		fwd_hw_str(w, "If-None-Match: ");
		fwd_hw_put(w, v, n);
		fwd_hw_str(w, "\r\n");
	}
	if ((m.r.flags & CACHE_M_LAST_MODIFIED) &&
	    fwd_cache_field(text, len, "last-modified", &v, &n)) {
		fwd_hw_str(w, "If-Modified-Since: ");
		fwd_hw_put(w, v, n);
		fwd_hw_str(w, "\r\n");
	}
}

/* Field <i> of the 304 <msg> goes into the stored head (RFC 9111 3.2). */
static bool
updates(const struct http_msg *msg, const char *buf, unsigned i)
{
	return !cache_hdr_never_stored(msg, buf, i) &&
	       !http_hdr_name_is(msg, buf, i, "content-length") &&
	       !http_hdr_name_is(msg, buf, i, "age");
}

/* Whether the 304 <msg> has a field that updates the stored field line
 * p[0 .. n) ("Name: value"), which then goes. */
static bool
replaced(const struct http_msg *msg, const char *buf, const char *p, uint32_t n)
{
	const char *colon = memchr(p, ':', n);
	size_t k = colon != NULL ? (size_t)(colon - p) : n;
	unsigned i;

	for (i = 0; i < msg->n_headers; i++)
		if (msg->hdr[i].name.len == k &&
		    strncasecmp(buf + msg->hdr[i].name.off, p, k) == 0 &&
		    updates(msg, buf, i))
			return true;
	/* RFC 9110 6.6.1: a 304 without Date gets one (ours, below) */
	return k == 4 && strncasecmp(p, "date", 4) == 0 &&
	       http_hdr_find(msg, buf, "date", 0) < 0;
}

/* Append n bytes of p to the head being built; false when it is full. */
static bool
put(struct fwd_ctx *fc, uint32_t *len, const char *p, uint32_t n)
{
	if (n > fc->cache_head_cap - *len)
		return false;
	memcpy(fc->cache_head + *len, p, n);
	*len += n;
	return true;
}

/* The merged head text (status line, fields, the empty line) after
 * sizeof(struct fwd_cache_meta) bytes of fc->cache_head; its end, 0 when
 * it does not fit. */
static uint32_t
merge(struct fwd_ctx *fc, const char *text, uint32_t len,
      const struct http_msg *msg, const char *buf, int64_t now_s)
{
	uint32_t out = sizeof(struct fwd_cache_meta), off = 0, n;
	const char *p;
	bool ok = true;
	char date[40];
	unsigned i;

	while (ok && fwd_cache_next_line(text, len, &off, &p, &n))
		if (off == n + 2 || !replaced(msg, buf, p, n))
			ok = put(fc, &out, p, n + 2);
	for (i = 0; ok && i < msg->n_headers; i++) {
		if (!updates(msg, buf, i))
			continue;
		ok = put(fc, &out, buf + msg->hdr[i].name.off,
		         msg->hdr[i].name.len) &&
		     put(fc, &out, ": ", 2) &&
		     put(fc, &out, buf + msg->hdr[i].value.off,
		         msg->hdr[i].value.len) &&
		     put(fc, &out, "\r\n", 2);
	}
	if (ok && http_hdr_find(msg, buf, "date", 0) < 0 &&
	    cache_date_format(now_s, date, sizeof(date)) > 0)
		ok = put(fc, &out, "Date: ", 6) &&
		     put(fc, &out, date, (uint32_t)strlen(date)) &&
		     put(fc, &out, "\r\n", 2);
	if (ok)
		ok = put(fc, &out, "\r\n", 2);
	return ok ? out : 0;
}

/*
 * RFC 9111 4.3.4: update <obj>'s stored head with the 304 <msg> in <buf>
 * and publish it.  Returns 0, -ENOSPC (the merged head does not fit: the
 * stored one stays), -EINVAL (it does not parse), or the -errno of
 * cache_obj_head_replace().
 */
static int
reval_update(struct fwd_session *s, struct cache_obj *obj,
             const struct http_msg *msg, const char *buf)
{
	struct fwd_ctx *fc = s->l->fc;
	struct http_limits lim = s->l->lim;
	struct fwd_cache_meta m, old;
	struct cache_resp_meta r304;
	struct http_msg pm;
	int64_t now_s = fwd_cache_now_s(fc);
	const char *text, *merged;
	uint32_t len, end;

	fwd_cache_obj_meta(obj, &old, &text, &len);
	end = merge(fc, text, len, msg, buf, now_s);
	if (end == 0)
		return -ENOSPC;
	merged = fc->cache_head + sizeof(m);
	lim.max_headers = HTTP_HEADERS_MAX;
	lim.max_header_bytes = end;
	lim.max_request_line = end;
	http_msg_init(&pm, false, HTTP_M_GET);
	if (http_parse_head(&pm, merged, end - (uint32_t)sizeof(m), &lim) !=
	    HTTP_OK)
		return -EINVAL;
	memset(&m, 0, sizeof(m));
	m.magic = FWD_CACHE_META_MAGIC;
	m.head_len = end - (uint32_t)sizeof(m) - 2; /* no empty line */
	m.request_s = s->txn != NULL ? s->txn->cache_req_s : now_s;
	m.response_s = now_s;
	m.dst_private = old.dst_private;
	cache_resp_meta_parse(&m.r, &pm, merged, now_s);
	/* the age of this answer: the 304's Age (never stored) */
	cache_resp_meta_parse(&r304, msg, buf, now_s);
	m.r.age_s = r304.age_s;
	m.r.flags =
	    (uint16_t)((m.r.flags & ~CACHE_M_AGE) | (r304.flags & CACHE_M_AGE));
	memcpy(fc->cache_head, &m, sizeof(m));
	return cache_obj_head_replace(obj, fc->cache_head,
	                              sizeof(m) + m.head_len);
}

/*
 * RFC 9111 4.3.4: a 304 with a strong ETag updates the stored response
 * only when that is the stored strong ETag.  True when the 304 has no
 * strong ETag (Last-Modified validated it) or the same one.
 */
static bool
same_representation(const struct cache_obj *obj, const struct http_msg *msg,
                    const char *buf)
{
	struct fwd_cache_meta m;
	const char *text, *v, *sv;
	int i = http_hdr_find(msg, buf, "etag", 0);
	uint32_t len, n, sn;
	bool weak;

	if (i < 0)
		return true;
	v = buf + msg->hdr[i].value.off;
	n = msg->hdr[i].value.len;
	if (!http_etag_valid(v, n, &weak) || weak)
		return true;
	fwd_cache_obj_meta(obj, &m, &text, &len);
	return fwd_cache_field(text, len, "etag", &sv, &sn) &&
	       http_etag_strong_eq(v, n, sv, sn);
}

/* May the stale <obj> be served after the error of a validation? */
static bool
stale_ok(struct fwd_session *s, struct cache_obj *obj)
{
	struct fwd_cache_meta m;
	struct cache_resp_meta tmp;
	const struct cache_resp_meta *r;
	struct cache_cc none = {0};
	const char *text;
	uint32_t len, lifetime_s, age_s;

	fwd_cache_obj_meta(obj, &m, &text, &len);
	r = fwd_cache_view(s, &m.r, &tmp);
	lifetime_s = cache_lifetime(r, fwd_cfg(s)->cache_heuristic_max_s);
	age_s = cache_current_age(r, m.request_s, m.response_s,
	                          fwd_cache_now_s(s->l->fc));
	return cache_stale_if_error_ok(
	    r, s->txn != NULL ? &s->txn->cache_q.cc : &none, lifetime_s, age_s);
}

/*
 * A background validation's answer <msg> (SF_BG, no client): a 304
 * updates the head, a 5xx ends the session (the stale object stays);
 * true then.  False for anything else: a new response, stored as on a
 * miss.
 */
static bool
bg_response(struct fwd_session *s, const struct http_msg *msg, const char *buf)
{
	struct fwd_ctx *fc = s->l->fc;
	struct cache_obj *obj = s->reval;

	if (msg->status >= 500)
		return fwd_cache_bg_error(s, msg->status);
	if (msg->status != 304)
		return false;
	if (same_representation(obj, msg, buf))
		(void)reval_update(s, obj, msg, buf);
	fc->cnt->fwd_cache_bg_304++;
	if (s->txn != NULL) {
		s->txn->rec.status = 304;
		s->txn->rec.result = ALOG_TCP_REFRESH_UNMODIFIED;
	}
	fwd_cache_reval_drop(s);
	s->flags &= (uint32_t)~SF_CACHE; /* nothing to store */
	proxy_chain_trim(&s->up_in, msg->head_len);
	tcp_recved(s->up, msg->head_len);
	s->flags |= SF_RESP_HEAD | SF_RESP_DONE;
	if (msg->version_minor == 1 && !(msg->flags & HTTP_F_CONN_CLOSE) &&
	    !(s->flags & SF_UP_FIN))
		s->flags |= SF_UP_KEEP;
	return true;
}

bool
fwd_cache_reval_response(struct fwd_session *s, const struct http_msg *msg,
                         const char *buf)
{
	struct fwd_ctx *fc = s->l->fc;
	struct cache_obj *obj = s->reval;
	struct fwd_cache_answer a = {.status = 200};
	bool keep = false;
	int rc;

	GH_VERIFY(obj != NULL && msg->status >= 200);
	s->cache_fwd_status = msg->status;
	if (s->flags & SF_BG)
		return bg_response(s, msg, buf);
	if (msg->status == 304) {
		/* a merged head too large, or a 304 for another
		 * representation: the old one stays (stale), served */
		if (same_representation(obj, msg, buf))
			(void)reval_update(s, obj, msg, buf);
		a.result = ALOG_TCP_REFRESH_UNMODIFIED;
		fc->cnt->fwd_cache_revalidated_304++;
		keep = msg->version_minor == 1 &&
		       !(msg->flags & HTTP_F_CONN_CLOSE) &&
		       !(s->flags & SF_UP_FIN);
	} else if (msg->status >= 500 && stale_ok(s, obj)) {
		a.result = ALOG_TCP_REFRESH_FAIL_OLD;
		fc->cnt->fwd_cache_stale_if_error++;
	} else {
		return false; /* to the client: fwd_cache_reval_passed() */
	}
	a.fwd_status = msg->status;
	s->reval = NULL;
	s->flags &= (uint32_t)~SF_CACHE; /* nothing to store */
	GH_VERIFY(s->cobj == NULL);      /* a validation fills nothing */
	rc = fwd_cache_serve(s, obj, &a, s->req_method == HTTP_M_GET);
	cache_obj_put(obj);
	proxy_chain_trim(&s->up_in, msg->head_len);
	tcp_recved(s->up, msg->head_len);
	if (rc != 0) {
		fwd_error(s, 503, ALOG_TCP_MISS, "out of buffers");
		return true;
	}
	/* A 5xx's body is not read: that upstream closes (no SF_UP_KEEP). */
	s->flags |= SF_RESP_HEAD | SF_RESP_DONE | (keep ? SF_UP_KEEP : 0u);
	return true;
}

void
fwd_cache_reval_passed(struct fwd_session *s, unsigned status)
{
	if (s->reval == NULL)
		return;
	fwd_cache_reval_drop(s);
	s->cache_fwd_status = (uint16_t)status;
	if (status >= 500)
		return;
	if (s->flags & SF_BG)
		s->l->fc->cnt->fwd_cache_bg_replaced++;
	else
		s->l->fc->cnt->fwd_cache_revalidated_200++;
}

enum alog_result
fwd_cache_miss_result(const struct fwd_session *s, unsigned status)
{
	if (s->cache_fwd_status == 0)
		return ALOG_TCP_MISS;
	return status >= 500 ? ALOG_TCP_REFRESH_FAIL_ERR
	                     : ALOG_TCP_REFRESH_MODIFIED;
}

bool
fwd_cache_reval_failed(struct fwd_session *s, unsigned status)
{
	struct fwd_ctx *fc = s->l->fc;
	struct cache_obj *obj = s->reval;
	struct fwd_cache_answer a = {
	    .status = 200,
	    .result = ALOG_TCP_REFRESH_FAIL_OLD,
	    .fwd_status = (uint16_t)status,
	};
	bool served = false;

	if (obj == NULL || (s->flags & SF_RESP_HEAD))
		return false;
	s->reval = NULL;
	s->cache_fwd_status = (uint16_t)status;
	if (stale_ok(s, obj)) {
		/* an error path: the client closes after it, as after the
		 * error it stands for */
		s->flags |= SF_CLOSE_CLI;
		served = fwd_cache_serve(s, obj, &a,
		                         s->req_method == HTTP_M_GET) == 0;
	}
	cache_obj_put(obj);
	if (!served)
		return false;
	fc->cnt->fwd_cache_stale_if_error++;
	s->flags |= SF_RESP_HEAD | SF_RESP_DONE;
	fwd_txn_end(s);
	fwd_drain(s, FWD_LINGER_MS);
	return true;
}
