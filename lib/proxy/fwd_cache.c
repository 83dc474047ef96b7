/*
 * The forward proxy's use of the shared HTTP cache (see fwd_priv.h; issue
 * 12's first slice).  A GET or HEAD without a body is looked up by its
 * key (lib/cache's cache_key_build: "GET", the effective URI
 * http://host[:port]/path with the host in lower case) before anything
 * goes upstream; a COMPLETE object is handed to fwd_cache_hit.c,
 * which answers from it or keeps it for validation (fwd_cache_reval.c).  On a
 * miss the response to a GET may be stored: a 200 that cache_storable() allows,
 * framed by Content-Length, no larger than cache-max-object-kb, without Vary.
 * Its head is kept as the origin sent it minus the fields never stored
 * (cache_hdr_never_stored) and Age, behind the metadata freshness needs (struct
 * fwd_cache_meta); it replaces a COMPLETE object of the same key that was not
 * used (stale); the body is copied in as it passes to the client, unchanged;
 * the object completes with the response and is given up if the response is cut
 * short.
 *
 * The cache's clock is the proxy's: Unix seconds at the wheel's tick 0
 * plus the wheel's milliseconds (fwd_now_ms), so tests that move the fake
 * TSC move the cache's now with it.
 *
 * Not in this slice (issue 12): Vary, invalidation by unsafe methods,
 * chunked or close-delimited bodies.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_mbuf.h>

#include "cache/cache_index.h"
#include "cache/cache_key.h"
#include "cache/cache_obj.h"
#include "cache/cache_policy.h"
#include "common/gh_common.h"
#include "fwd_cache_priv.h"

/* The key of the GET for the target of <msg> into <key>: "GET
 * http://host[:port]/path?query", the host in lower case (an IPv6 literal
 * in brackets), no port when it is 80.  Its length, or < 0 when it does
 * not fit. */
static int
key_of(const struct http_msg *msg, const char *buf, uint8_t *key, size_t cap)
{
	return cache_key_http(buf + msg->host.off, msg->host.len, msg->port,
	                      buf + msg->path.off, msg->path.len, key, cap);
}

struct rte_mbuf *
fwd_cache_head_mbuf(struct fwd_session *s, const uint8_t *stored, uint32_t len,
                    uint32_t age_s)
{
	struct fwd_ctx *fc = s->l->fc;
	struct fwd_head_writer w = {.pool = fc->p.pool};
	char text[64];

	fwd_hw_put(&w, stored, len);
	/* RFC 9111 5.1: the current age; the stored Age was left out */
	snprintf(text, sizeof(text), "Age: %u\r\n", age_s);
	fwd_hw_str(&w, text);
	fwd_cache_status_collapsed(s, &w); /* a waiter's Cache-Status */
	if (s->l->cfg.via) {
		snprintf(text, sizeof(text), "Via: 1.%u gatehouse\r\n",
		         (s->flags & SF_CLI_HTTP10) ? 0u : 1u);
		fwd_hw_str(&w, text);
	}
	if (s->flags & SF_CLOSE_CLI)
		fwd_hw_str(&w, "Connection: close\r\n");
	fwd_hw_str(&w, "\r\n");
	return fwd_hw_done(&w, fc->cnt);
}

/* The metadata and stored head of <obj> into <m>, the head's bytes
 * returned (after the metadata); NULL when it has no head yet. */
static const uint8_t *
meta_of(const struct cache_obj *obj, struct fwd_cache_meta *m)
{
	uint32_t len;
	const uint8_t *stored = cache_obj_head(obj, &len);

	if (stored == NULL)
		return NULL;
	GH_VERIFY(len >= sizeof(*m));
	memcpy(m, stored, sizeof(*m));
	GH_VERIFY(m->magic == FWD_CACHE_META_MAGIC &&
	          m->head_len == len - sizeof(*m));
	return stored + sizeof(*m);
}

struct rte_mbuf *
fwd_cache_wait_head(struct fwd_session *s, const struct cache_obj *obj,
                    unsigned *status)
{
	struct fwd_cache_meta m;
	const uint8_t *head = meta_of(obj, &m);
	struct rte_mbuf *out;

	if (head == NULL) {
		errno = EAGAIN;
		return NULL;
	}
	if (m.dst_private && !s->l->cfg.allow_private_dst) {
		errno = EACCES;
		return NULL;
	}
	out = fwd_cache_head_mbuf(s, head, m.head_len,
	                          cache_current_age(&m.r, m.request_s,
	                                            m.response_s,
	                                            fwd_cache_now_s(s->l->fc)));
	if (out == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	*status = m.r.status;
	return out;
}

/*
 * Insert BUSY <obj>.  A COMPLETE object under its key (one this request
 * did not use: stale, or refused by the request's directives) is replaced
 * by the newer response (RFC 9111 3, 4.3.4's spirit without validation).
 * Returns 0, or the -errno of cache_index_insert_unique(): -EEXIST when
 * another request fills the key, its object then in <*busy> (a reference)
 * when <busy> is not NULL.
 */
static int
insert_replacing(struct cache_index *ci, struct cache_obj *obj,
                 struct cache_obj **busy)
{
	struct cache_obj *existing = NULL;
	int rc = cache_index_insert_unique(ci, obj, &existing);

	if (rc == -EEXIST && cache_obj_state(existing) == CACHE_OBJ_COMPLETE) {
		(void)cache_index_remove(ci, existing);
		cache_obj_put(existing);
		existing = NULL;
		rc = cache_index_insert_unique(ci, obj, &existing);
	}
	if (busy != NULL && rc == -EEXIST) {
		*busy = existing;
		return rc;
	}
	cache_obj_put(existing); /* NULL: nothing */
	return rc;
}

/*
 * A GET that missed and may store its response: put an object without a
 * head under its key now, so that the misses that follow wait on this
 * fetch instead of making their own (RFC 9111 does not forbid it, and
 * Varnish, ATS and nginx's proxy_cache_lock do the same).  Returns
 * FWD_CACHE_WAIT when another request fills the key and <s> waits on it,
 * else FWD_CACHE_PASS (with s->cobj set when <s> fills).
 */
static enum fwd_cache_verdict
collapse_or_fill(struct fwd_session *s, const struct http_msg *msg,
                 const uint8_t *key, size_t klen)
{
	struct fwd_ctx *fc = s->l->fc;
	struct cache_obj *obj, *busy = NULL;
	const struct cache_cc *cc = &s->txn->cache_q.cc;
	int rc;

	/* A request that wants the origin's word (no-cache, max-age=0)
	 * fetches; so does one that waited in vain. */
	if (s->l->cfg.cache_collapse_ms == 0 || (s->flags & SF_NO_COLLAPSE) ||
	    (cc->flags & CACHE_CC_NO_CACHE) ||
	    ((cc->flags & CACHE_CC_MAX_AGE) && cc->max_age_s == 0))
		return FWD_CACHE_PASS;
	obj = cache_obj_create(fc->p.cache, key, klen, NULL, 0, 0);
	if (obj == NULL)
		return FWD_CACHE_PASS;
	rc = insert_replacing(fc->p.cache, obj, &busy);
	if (rc == 0) {
		s->cobj = obj; /* we fill it: fwd_cache_response() */
		return FWD_CACHE_PASS;
	}
	cache_obj_put(obj);
	if (rc != -EEXIST)
		return FWD_CACHE_PASS;
	if (!fwd_collapse_wait(s, busy, msg->head_len)) {
		cache_obj_put(busy);
		return FWD_CACHE_PASS;
	}
	cache_obj_put(busy); /* fwd_collapse_wait took its own */
	return FWD_CACHE_WAIT;
}

enum fwd_cache_verdict
fwd_cache_request(struct fwd_session *s, const struct http_msg *msg,
                  const char *buf)
{
	struct fwd_ctx *fc = s->l->fc;
	struct fwd_txn *t = s->txn;
	struct cache_req_meta q;
	uint8_t key[FWD_CACHE_KEY_MAX];
	struct cache_obj *obj = NULL;
	int64_t now_s;
	int klen;

	fwd_cache_txn_reset(s);
	if (fc->p.cache == NULL || !s->l->cfg.cache ||
	    (msg->method != HTTP_M_GET && msg->method != HTTP_M_HEAD) ||
	    msg->body_kind != HTTP_BODY_NONE)
		return FWD_CACHE_PASS;
	s->cache_fwd = FWD_CF_URI_MISS;
	cache_req_meta_parse(&q, msg, buf);
	now_s = fwd_cache_now_s(fc);
	klen = key_of(msg, buf, key, sizeof(key));
	if (klen > 0 &&
	    cache_index_lookup(fc->p.cache, key, (size_t)klen, &obj) == 0 &&
	    fwd_cache_hit(s, msg, buf, obj, &q, now_s) == 0)
		return FWD_CACHE_HIT;
	if (!(s->flags & SF_NO_COLLAPSE)) /* counted when it first came */
		fc->cnt->fwd_cache_misses++;
	/* RFC 9111 5.2.1.7: nothing stored to use, and no forwarding */
	if (q.cc.flags & CACHE_CC_ONLY_IF_CACHED) {
		fwd_error(s, 504, ALOG_TCP_MISS,
		          "only-if-cached, and no usable stored response");
		return FWD_CACHE_REPLIED;
	}
	if (klen > 0 && t != NULL && msg->method == HTTP_M_GET &&
	    !(q.cc.flags & CACHE_CC_NO_STORE)) {
		memcpy(t->cache_key, key, (size_t)klen);
		t->cache_key_len = (uint16_t)klen;
		t->cache_q = q;
		t->cache_req_s = now_s;
		s->flags |= SF_CACHE;
		/* A validation (fwd_cache_reval.c) leaves the stale object in
		 * the index, its head updated on a 304; a request whose
		 * semantics kept it from a usable entry (several ranges,
		 * If-Match...) must not push that entry out before its own
		 * answer, maybe unstorable, came: no placeholder. */
		if (s->reval != NULL || s->cache_fwd == FWD_CF_REQUEST)
			return FWD_CACHE_PASS;
		return collapse_or_fill(s, msg, key, (size_t)klen);
	}
	return FWD_CACHE_PASS;
}

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

/* Build the stored form of the response head in <buf> into
 * fc->cache_head; its length, or 0 when it does not fit. */
static uint32_t
stored_head(struct fwd_ctx *fc, const struct http_msg *msg, const char *buf,
            struct fwd_cache_meta *m)
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
		    http_hdr_name_is(msg, buf, i, "age"))
			continue;
		ok = blob_put(fc, &len, buf + msg->hdr[i].name.off,
		              msg->hdr[i].name.len) &&
		     blob_put(fc, &len, ": ", 2) &&
		     blob_put(fc, &len, buf + msg->hdr[i].value.off,
		              msg->hdr[i].value.len) &&
		     blob_put(fc, &len, "\r\n", 2);
	}
	if (!ok)
		return 0;
	m->magic = FWD_CACHE_META_MAGIC;
	m->head_len = len - (uint32_t)sizeof(*m);
	memcpy(fc->cache_head, m, sizeof(*m));
	return len;
}

/* The counter of <why> (cache_storable()'s verdict), NULL when stored. */
static uint64_t *
not_stored_counter(struct proxy_counters *c, enum cache_nostore why)
{
	_Static_assert(CACHE_NS__COUNT == 11,
	               "a reason without its fwd_cache_ns_ counter");
	switch (why) {
	case CACHE_NS_STORED:
		return NULL;
	case CACHE_NS_METHOD:
		return &c->fwd_cache_ns_method;
	case CACHE_NS_STATUS:
		return &c->fwd_cache_ns_status;
	case CACHE_NS_PARTIAL:
		return &c->fwd_cache_ns_partial;
	case CACHE_NS_REQ_NO_STORE:
		return &c->fwd_cache_ns_req_no_store;
	case CACHE_NS_NO_STORE:
		return &c->fwd_cache_ns_no_store;
	case CACHE_NS_PRIVATE:
		return &c->fwd_cache_ns_private;
	case CACHE_NS_AUTHORIZATION:
		return &c->fwd_cache_ns_authorization;
	case CACHE_NS_NO_FRESHNESS:
		return &c->fwd_cache_ns_no_freshness;
	case CACHE_NS_UNUSABLE:
		return &c->fwd_cache_ns_unusable;
	case CACHE_NS_VARY:
		return &c->fwd_cache_ns_vary_never;
	default:
		return &c->fwd_cache_ns_status; /* not reached: the assert */
	}
}

/* Count a response not stored, in the total and under its reason. */
static void
not_stored(struct fwd_ctx *fc, uint64_t *why)
{
	fc->cnt->fwd_cache_not_stored++;
	(*why)++;
}

/* Give the fill up: out of the index (its waiters fall back or are cut),
 * our reference dropped. */
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

/* Why the response in <msg> (metadata <m>) is not stored, or NULL. */
static uint64_t *
why_not_stored(struct fwd_session *s, const struct http_msg *msg,
               const struct fwd_cache_meta *m)
{
	struct proxy_counters *c = s->l->fc->cnt;
	const struct conf_forward *cfg = &s->l->cfg;
	uint64_t *ns =
	    not_stored_counter(c, cache_storable(&s->txn->cache_q, &m->r,
	                                         cfg->cache_heuristic_max_s));

	/* This slice stores whole 200s of a known length, without Vary. */
	if (ns != NULL)
		return ns;
	if (m->r.status != 200)
		return &c->fwd_cache_ns_not_200;
	if (m->r.flags & CACHE_M_VARY)
		return &c->fwd_cache_ns_vary;
	if (msg->body_kind != HTTP_BODY_LENGTH &&
	    msg->body_kind != HTTP_BODY_NONE)
		return &c->fwd_cache_ns_framing;
	if (msg->body_kind == HTTP_BODY_LENGTH &&
	    msg->content_length > (uint64_t)cfg->cache_max_object_kb * 1024)
		return &c->fwd_cache_ns_too_large;
	return NULL;
}

void
fwd_cache_response(struct fwd_session *s, const struct http_msg *msg,
                   const char *buf)
{
	struct fwd_ctx *fc = s->l->fc;
	struct fwd_txn *t = s->txn;
	struct cache_obj *obj;
	struct fwd_cache_meta m;
	uint64_t body_len, *ns;
	uint32_t len;

	fwd_cache_reval_passed(s, msg->status);
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
	body_len = msg->body_kind == HTTP_BODY_LENGTH ? msg->content_length : 0;
	ns = why_not_stored(s, msg, &m);
	if (ns != NULL) {
		if (s->cobj != NULL)
			fill_drop(s); /* its waiters fetch for themselves */
		not_stored(fc, ns);
		return;
	}
	len = stored_head(fc, msg, buf, &m);
	if (s->cobj != NULL) {
		/* Ours since the request: the head goes out to the waiters
		 * now, the body as it comes. */
		cache_obj_hint(s->cobj, body_len);
		if (len == 0 ||
		    cache_obj_head_replace(s->cobj, fc->cache_head, len) != 0) {
			fill_drop(s);
			not_stored(fc, &fc->cnt->fwd_cache_ns_no_room);
			return;
		}
		s->cobj_expect = body_len;
		return;
	}
	obj = len == 0 ? NULL
	               : cache_obj_create(fc->p.cache, t->cache_key,
	                                  t->cache_key_len, fc->cache_head, len,
	                                  body_len);
	if (obj == NULL) {
		not_stored(fc, &fc->cnt->fwd_cache_ns_no_room);
		return;
	}
	if (insert_replacing(fc->p.cache, obj, NULL) != 0) {
		cache_obj_put(obj);
		not_stored(fc, &fc->cnt->fwd_cache_ns_fill_running);
		return;
	}
	s->cobj = obj;
	s->cobj_expect = body_len;
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
		if (cache_obj_append(s->cobj,
		                     rte_pktmbuf_mtod(seg, const void *),
		                     seg->data_len) < 0) {
			fill_abort(s);
			return;
		}
	}
}

void
fwd_cache_fill_end(struct fwd_session *s, bool whole)
{
	struct fwd_ctx *fc = s->l->fc;

	if (s->cobj == NULL)
		return;
	if (!whole || cache_obj_body_len(s->cobj) != s->cobj_expect ||
	    cache_obj_complete(s->cobj) != 0) {
		fill_abort(s);
		return;
	}
	cache_obj_put(s->cobj);
	s->cobj = NULL;
	fc->cnt->fwd_cache_stored++;
}
