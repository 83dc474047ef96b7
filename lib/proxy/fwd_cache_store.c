/*
 * Storing responses in the forward proxy's shared cache (see fwd_cache.c
 * for lookups and hits, docs/architecture.md).  On a miss the response to
 * a GET is stored when cache_storable() allows it, whatever its status
 * (the status line is kept); a response with Vary under its variant key
 * (fwd_cache_vary.c).  Its head is kept as the origin sent it minus the
 * fields never stored (cache_hdr_never_stored) and Age, behind the
 * metadata freshness needs (struct fwd_cache_meta); it replaces a
 * COMPLETE object of the same key that was not used (stale, a marker).
 * A GET that missed under an absent key fills the object it put there at
 * request time (fwd_cache.c, collapsed misses): a response framed by
 * Content-Length publishes its head to the waiters at once; any other
 * (not storable, Vary, unknown length) drops that object, so its waiters
 * fetch for themselves, and is stored as below.
 * The body is copied in as it passes to the client: a chunked one
 * de-chunked (trailers dropped), its head then replaced by one with the
 * Content-Length when it completes, as is a body read until the close.  The
 * object completes only when the response ended properly (the last chunk, the
 * origin's FIN, the Content-Length reached) and is given up otherwise, or
 * when it grows past cache-max-object-kb.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_mbuf.h>

#include "cache/cache_index.h"
#include "cache/cache_obj.h"
#include "cache/cache_policy.h"
#include "common/gh_common.h"
#include "fwd_cache_priv.h"
#include "fwd_priv.h"

/* Append n bytes of p to the head being built; false when it is full. */
static bool
blob_put(struct fwd_ctx *fc, uint32_t *len, const char *p, uint32_t n)
{
	if (n > fc->cache_head_cap - *len)
		return false;
	memcpy(fc->cache_head + *len, p, n);
	*len += n;
	return true;
}

/* Room for "Content-Length: <20 digits>\r\n". */
#define CL_ROOM 40

/* Build the stored form of the response head in <buf> into
 * fc->cache_head; its length, or 0 when it does not fit.  A body of
 * unknown length (<unknown_len>: chunked, until the close) gets no
 * Content-Length yet (FWD_CACHE_F_NOLEN; fill_set_length() adds it, in
 * CL_ROOM bytes kept free in the buffer). */
static uint32_t
stored_head(struct fwd_ctx *fc, const struct http_msg *msg, const char *buf,
            struct fwd_cache_meta *m, bool unknown_len)
{
	uint32_t len = sizeof(*m);
	char line[32];
	unsigned i;
	bool ok;

	snprintf(line, sizeof(line), "HTTP/1.1 %03u ", msg->status);
	ok = blob_put(fc, &len, line, (uint32_t)strlen(line)) &&
	     blob_put(fc, &len, buf + msg->reason.off, msg->reason.len) &&
	     blob_put(fc, &len, "\r\n", 2);
	for (i = 0; ok && i < msg->n_headers; i++) {
		if (cache_hdr_never_stored(msg, buf, i) ||
		    http_hdr_name_is(msg, buf, i, "age") ||
		    (unknown_len &&
		     http_hdr_name_is(msg, buf, i, "content-length")))
			continue;
		ok = blob_put(fc, &len, buf + msg->hdr[i].name.off,
		              msg->hdr[i].name.len) &&
		     blob_put(fc, &len, ": ", 2) &&
		     blob_put(fc, &len, buf + msg->hdr[i].value.off,
		              msg->hdr[i].value.len) &&
		     blob_put(fc, &len, "\r\n", 2);
	}
	if (!ok || CL_ROOM > fc->cache_head_cap - len)
		return 0;
	m->magic = FWD_CACHE_META_MAGIC;
	m->head_len = len - (uint32_t)sizeof(*m);
	if (unknown_len)
		m->flags |= FWD_CACHE_F_NOLEN;
	memcpy(fc->cache_head, m, sizeof(*m));
	return len;
}

/*
 * Insert BUSY <obj>.  A COMPLETE object under its key (one this request
 * did not use: stale, or refused by the request's directives) is replaced
 * by the newer response (RFC 9111 3, 4.3.4's spirit without validation);
 * one being filled by another request wins.  Returns 0 or the -errno of
 * cache_index_insert_unique().
 */
int
fwd_cache_insert_replacing(struct cache_index *ci, struct cache_obj *obj)
{
	struct cache_obj *existing = NULL;
	int rc = cache_index_insert_unique(ci, obj, &existing);

	if (rc == -EEXIST && cache_obj_state(existing) == CACHE_OBJ_COMPLETE) {
		(void)cache_index_remove(ci, existing);
		cache_obj_put(existing);
		existing = NULL;
		rc = cache_index_insert_unique(ci, obj, &existing);
	}
	cache_obj_put(existing); /* NULL: nothing */
	return rc;
}

/* The counter of <why> (cache_storable()'s verdict), NULL when stored. */
static uint64_t *
not_stored_counter(struct proxy_counters *c, enum cache_nostore why)
{
	_Static_assert(CACHE_NS__COUNT == 12,
	               "a reason without its fwd_cache_not_stored_ counter");
	switch (why) {
	case CACHE_NS_STORED:
		return NULL;
	case CACHE_NS_METHOD:
		return &c->fwd_cache_not_stored_method;
	case CACHE_NS_STATUS:
		return &c->fwd_cache_not_stored_status;
	case CACHE_NS_PARTIAL:
		return &c->fwd_cache_not_stored_partial;
	case CACHE_NS_REQ_NO_STORE:
		return &c->fwd_cache_not_stored_req_no_store;
	case CACHE_NS_NO_STORE:
		return &c->fwd_cache_not_stored_no_store;
	case CACHE_NS_PRIVATE:
		return &c->fwd_cache_not_stored_private;
	case CACHE_NS_AUTHORIZATION:
		return &c->fwd_cache_not_stored_authorization;
	case CACHE_NS_NO_FRESHNESS:
		return &c->fwd_cache_not_stored_no_freshness;
	case CACHE_NS_UNUSABLE:
		return &c->fwd_cache_not_stored_unusable;
	case CACHE_NS_VARY:
		return &c->fwd_cache_not_stored_vary_never;
	case CACHE_NS_SET_COOKIE:
		return &c->fwd_cache_not_stored_set_cookie;
	default:
		return &c->fwd_cache_not_stored_status; /* not reached: the
		                                           assert */
	}
}

/* Count a response not stored, in the total and under its reason. */
static void
not_stored(struct fwd_ctx *fc, uint64_t *why)
{
	fc->cnt->fwd_cache_not_stored++;
	(*why)++;
}

/*
 * Why the response <msg>, which cache_storable() allows, is not stored
 * (NULL: it may be).  A transfer coding other than chunked (read until the
 * close) cannot be stored decoded; a Content-Length over the maximum
 * object size is known now, a longer chunked or until-close body only as
 * it comes (cache_obj_append's -EFBIG gives the fill up).
 */
static uint64_t *
framing_refusal(struct fwd_session *s, const struct http_msg *msg)
{
	struct proxy_counters *c = s->l->fc->cnt;

	if (msg->body_kind == HTTP_BODY_EOF && (msg->flags & HTTP_F_HAS_TE))
		return &c->fwd_cache_not_stored_framing;
	if (msg->body_kind == HTTP_BODY_LENGTH &&
	    msg->content_length >
	        (uint64_t)fwd_cfg(s)->cache_max_object_kb * 1024)
		return &c->fwd_cache_not_stored_too_large;
	return NULL;
}

/* Give the fill up: out of the index (its waiters fall back, or are cut
 * when they had its head), our reference dropped. */
static void
fill_drop(struct fwd_session *s)
{
	(void)cache_index_remove(s->l->fc->p.cache, s->cobj);
	cache_obj_put(s->cobj);
	s->cobj = NULL;
}

/* The same, counted as a fill given up. */
static void
fill_abort(struct fwd_session *s)
{
	fill_drop(s);
	s->l->fc->cnt->fwd_cache_fill_aborted++;
}

/*
 * The response to a request others could have waited on may not be
 * stored: a pass marker under its key (an object with no response, only
 * metadata), so that the next misses for it fetch at once instead of
 * waiting for a head that sends them to the origin anyway (Varnish's
 * hit-for-miss).  A storable response replaces it; eviction takes it as
 * any object.
 */
static void
pass_mark(struct fwd_session *s)
{
	struct fwd_ctx *fc = s->l->fc;
	struct fwd_txn *t = s->txn;
	struct cache_obj *obj, *e = NULL;
	struct fwd_cache_meta m;

	memset(&m, 0, sizeof(m));
	m.magic = FWD_CACHE_META_MAGIC;
	m.flags = FWD_CACHE_F_PASS;
	m.response_s = fwd_cache_now_s(fc);
	obj = cache_obj_create(fc->p.cache, t->cache_key, t->cache_key_len, &m,
	                       sizeof(m), 0);
	if (obj == NULL)
		return;
	if (cache_index_insert_unique(fc->p.cache, obj, &e) == 0 &&
	    cache_obj_complete(obj) == 0)
		fc->cnt->fwd_cache_pass_marked++;
	cache_obj_put(e); /* NULL: nothing */
	cache_obj_put(obj);
}

/* s->cobj, put under t's key when the request missed, gets the response
 * <msg> (storable, no Vary, a known length): its head goes out to the
 * waiters now (cache_obj_head_replace), the body as it comes.  False
 * when the head cannot be had (the object was dropped, counted). */
static bool
fill_placeholder(struct fwd_session *s, const struct http_msg *msg,
                 const char *buf, struct fwd_cache_meta *m)
{
	struct fwd_ctx *fc = s->l->fc;
	uint64_t body_len =
	    msg->body_kind == HTTP_BODY_LENGTH ? msg->content_length : 0;
	uint32_t len = stored_head(fc, msg, buf, m, false);

	cache_obj_hint(s->cobj, body_len);
	if (len == 0 ||
	    cache_obj_head_replace(s->cobj, fc->cache_head, len) != 0) {
		fill_drop(s);
		not_stored(fc, &fc->cnt->fwd_cache_not_stored_no_room);
		return false;
	}
	s->cobj_expect = body_len;
	memset(&s->cobj_chunk, 0, sizeof(s->cobj_chunk));
	return true;
}

/* Create the object for the response <msg> under <key> and start filling
 * it (s->cobj); counts what stops it. */
static void
fill_start(struct fwd_session *s, const struct http_msg *msg, const char *buf,
           struct fwd_cache_meta *m, const uint8_t *key, uint16_t klen)
{
	struct fwd_ctx *fc = s->l->fc;
	bool unknown_len = msg->body_kind == HTTP_BODY_CHUNKED ||
	                   msg->body_kind == HTTP_BODY_EOF;
	uint64_t body_len =
	    msg->body_kind == HTTP_BODY_LENGTH ? msg->content_length : 0;
	struct cache_obj *obj;
	uint32_t len;

	len = stored_head(fc, msg, buf, m, unknown_len);
	obj = len == 0 ? NULL
	               : cache_obj_create(fc->p.cache, key, klen,
	                                  fc->cache_head, len, body_len);
	if (obj == NULL) {
		not_stored(fc, &fc->cnt->fwd_cache_not_stored_no_room);
		return;
	}
	if (fwd_cache_insert_replacing(fc->p.cache, obj) != 0) {
		cache_obj_put(obj);
		not_stored(fc, &fc->cnt->fwd_cache_not_stored_fill_running);
		return;
	}
	s->cobj = obj;
	s->cobj_expect = unknown_len ? UINT64_MAX : body_len;
	memset(&s->cobj_chunk, 0, sizeof(s->cobj_chunk));
	/* the client gets it chunked: de-chunk a copy for the object (an
	 * HTTP/1.0 client's is de-chunked already, SF_DECHUNK) */
	if (msg->body_kind == HTTP_BODY_CHUNKED && !(s->flags & SF_DECHUNK))
		http_body_init(&s->cobj_chunk, msg, &s->l->lim);
}

void
fwd_cache_response(struct fwd_session *s, const struct http_msg *msg,
                   const char *buf)
{
	struct fwd_ctx *fc = s->l->fc;
	const struct conf_forward *cfg = fwd_cfg(s);
	struct fwd_txn *t = s->txn;
	uint8_t vkey[FWD_CACHE_KEY_MAX];
	struct fwd_cache_meta m;
	struct cache_resp_meta tmp;
	uint64_t *ns;
	int vlen;

	fwd_cache_reval_passed(s, msg->status);
	if (s->flags & SF_CACHE_INVAL)
		fwd_cache_invalidate(s, msg, buf);
	if (!(s->flags & SF_CACHE) || t == NULL) {
		if (s->cobj != NULL)
			fill_drop(s);
		return;
	}
	s->flags &= (uint32_t)~SF_CACHE;
	memset(&m, 0, sizeof(m));
	m.request_s = t->cache_req_s;
	m.response_s = fwd_cache_now_s(fc);
	m.dst_private = fwd_ip_private(s->dst_ip_be);
	cache_resp_meta_parse(&m.r, msg, buf, m.response_s);
	if (cfg->cache_cdn_control && (m.r.flags & CACHE_M_CDN_CC))
		fc->cnt->fwd_cache_cdn_cc++;
	else if (cfg->cache_cdn_control && (m.r.flags & CACHE_M_CDN_CC_INVALID))
		fc->cnt->fwd_cache_cdn_cc_invalid++;
	/* stored with both directive sets: each listener reads its own */
	ns = not_stored_counter(
	    fc->cnt, cache_storable(&t->cache_q, fwd_cache_view(s, &m.r, &tmp),
	                            cfg->cache_heuristic_max_s));
	if (ns == NULL)
		ns = framing_refusal(s, msg);
	if (ns != NULL) {
		if (s->cobj != NULL) {
			fill_drop(s); /* its waiters fetch for themselves */
			pass_mark(s);
		}
		not_stored(fc, ns);
		return;
	}
	if (s->cobj != NULL) {
		if (!(m.r.flags & CACHE_M_VARY) &&
		    (msg->body_kind == HTTP_BODY_LENGTH ||
		     msg->body_kind == HTTP_BODY_NONE)) {
			(void)fill_placeholder(s, msg, buf, &m);
			return;
		}
		/* Vary (stored under a variant key, a marker under this
		 * one) or no length to frame the waiters' copies with */
		fill_drop(s);
	}
	vlen = (m.r.flags & CACHE_M_VARY)
	           ? fwd_cache_vary_key(fc, t, msg, buf, vkey)
	           : 0;
	if (vlen == 0) {
		fill_start(s, msg, buf, &m, t->cache_key, t->cache_key_len);
		return;
	}
	if (vlen < 0) {
		not_stored(fc, vlen == -E2BIG
		                   ? &fc->cnt->fwd_cache_not_stored_vary
		               : vlen == -EBUSY
		                   ? &fc->cnt->fwd_cache_not_stored_fill_running
		                   : &fc->cnt->fwd_cache_not_stored_no_room);
		return;
	}
	fill_start(s, msg, buf, &m, vkey, (uint16_t)vlen);
}

/* Append body bytes to the object, within the listener's
 * cache-max-object-kb (a chunked or until-close body learns it here; the
 * index's own limit, the largest of all listeners', gives -EFBIG too). */
static int
fill_put(struct fwd_session *s, const char *p, uint32_t len)
{
	uint64_t max = (uint64_t)fwd_cfg(s)->cache_max_object_kb * 1024;

	if (len > max - RTE_MIN(max, cache_obj_body_len(s->cobj)))
		return -EFBIG;
	return cache_obj_append(s->cobj, p, len);
}

/* Append <len> bytes at <p>, de-chunked when s->cobj_chunk says so.
 * Returns 0, or < 0 when the fill must be given up. */
static int
fill_append(struct fwd_session *s, const char *p, uint32_t len)
{
	struct http_body *b = &s->cobj_chunk;
	uint32_t used, n;
	int rc;

	if (b->kind != HTTP_BODY_CHUNKED)
		return fill_put(s, p, len);
	while (len > 0) {
		uint64_t d = http_body_chunk_data(b);

		/* framing bytes one at a time (a few per chunk), data runs
		 * whole, as fwd_response() de-chunks for HTTP/1.0 */
		n = d == 0 ? 1 : (uint32_t)RTE_MIN(d, (uint64_t)len);
		used = 0;
		rc = http_body_feed(b, p, n, &used);
		if (rc == HTTP_ERROR || used == 0)
			return rc == HTTP_OK ? 0 : -EINVAL;
		if (d > 0 && fill_put(s, p, used) < 0)
			return -EFBIG;
		p += used;
		len -= used;
		if (rc == HTTP_OK)
			return len == 0 ? 0 : -EINVAL;
	}
	return 0;
}

int
fwd_cache_fill_bytes(struct fwd_session *s, const char *p, uint32_t len)
{
	if (s->cobj == NULL)
		return -EINVAL;
	if (fill_append(s, p, len) < 0) {
		fill_abort(s);
		return -EFBIG;
	}
	return 0;
}

void
fwd_cache_body(struct fwd_session *s, const struct rte_mbuf *part)
{
	const struct rte_mbuf *seg;
	unsigned n = 0;

	if (s->cobj == NULL)
		return;
	for (seg = part; seg != NULL && n < RTE_MBUF_MAX_NB_SEGS;
	     seg = seg->next, n++) {
		if (fill_append(s, rte_pktmbuf_mtod(seg, const char *),
		                seg->data_len) < 0) {
			fill_abort(s);
			return;
		}
	}
}

/* A body of unknown length is whole: its head is replaced by one with the
 * Content-Length (readers on other cores may hold the old one).  Returns
 * 0 or the -errno of cache_obj_head_replace. */
static int
fill_set_length(struct fwd_ctx *fc, struct cache_obj *obj)
{
	struct fwd_cache_meta m;
	const uint8_t *head = fwd_cache_meta_of(obj, &m);
	uint32_t len;
	int n;

	GH_VERIFY(head != NULL && (m.flags & FWD_CACHE_F_NOLEN));
	len = (uint32_t)sizeof(m) + m.head_len;
	if (len + CL_ROOM > fc->cache_head_cap)
		return -ENOMEM; /* not reached: stored_head() kept the room */
	memcpy(fc->cache_head + sizeof(m), head, m.head_len);
	n = snprintf((char *)fc->cache_head + len, CL_ROOM,
	             "Content-Length: %" PRIu64 "\r\n",
	             cache_obj_body_len(obj));
	GH_VERIFY(n > 0 && n < CL_ROOM);
	m.head_len += (uint32_t)n;
	m.flags &= ~FWD_CACHE_F_NOLEN;
	memcpy(fc->cache_head, &m, sizeof(m));
	return cache_obj_head_replace(obj, fc->cache_head, len + (uint32_t)n);
}

void
fwd_cache_fill_end(struct fwd_session *s, bool whole)
{
	struct fwd_ctx *fc = s->l->fc;
	const uint8_t *key;
	size_t key_len;
	uint64_t got;

	if (s->cobj == NULL)
		return;
	if (!whole && cache_obj_head(s->cobj, &(uint32_t){0}) == NULL) {
		fill_drop(s); /* put there at the request, no answer came */
		return;
	}
	key = s->cobj->key;
	key_len = s->cobj->key_len;
	got = cache_obj_body_len(s->cobj);
	/* chunked: the last chunk seen (SF_RESP_DONE: fwd_response());
	 * until the close: the origin's FIN, never a reset or a timeout */
	if (!whole || (s->cobj_expect != UINT64_MAX && got != s->cobj_expect)) {
		fill_abort(s);
		return;
	}
	if ((s->cobj_expect == UINT64_MAX &&
	     fill_set_length(fc, s->cobj) != 0) ||
	    cache_obj_complete(s->cobj) != 0) {
		fill_abort(s);
		return;
	}
	fc->cnt->fwd_cache_stored++;
	/* a variant's key has a '\n' (fwd_cache_vary.c), a URI never */
	if (memchr(key, '\n', key_len) != NULL)
		fc->cnt->fwd_cache_variants_stored++;
	cache_obj_put(s->cobj);
	s->cobj = NULL;
}
