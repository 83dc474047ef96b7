/*
 * The forward proxy's use of the shared HTTP cache (see fwd_priv.h; issue
 * 12's first slice).  A GET or HEAD without a body is looked up by its
 * key (lib/cache's cache_key_build: "GET", the effective URI
 * http://host[:port]/path with the host in lower case) before anything
 * goes upstream; a COMPLETE object is handed to fwd_cache_hit.c, which
 * answers from it (200, 304, 206, 416: the body as mbufs attached to the
 * object's segments, no copy) or keeps it for validation
 * (fwd_cache_reval.c).  A marker under the key (Vary) leads to
 * the variant for this request (fwd_cache_vary.c).  On a miss the
 * response to a GET may be stored (fwd_cache_store.c); an unsafe method's
 * response invalidates (fwd_cache_inval.c).
 *
 * The cache's clock is the proxy's: Unix seconds at the wheel's tick 0
 * plus the wheel's milliseconds (fwd_now_ms), so tests that move the fake
 * TSC move the cache's now with it.
 *
 * A GET that misses under an absent key puts an object without a head
 * there at once, so that concurrent misses wait on its fetch
 * (fwd_collapse.c) instead of making their own.
 *
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
#include "fwd_priv.h"

/* The key of the GET for the target of <msg> into <key>: "GET
 * http://host[:port]/path?query", the host in lower case (an IPv6 literal
 * in brackets), no port when it is 80; "REV " in place of "GET " on a
 * reverse listener.  Its length, or < 0 when it does not fit. */
int
fwd_cache_key_of(const struct fwd_session *s, const struct http_msg *msg,
                 const char *buf, uint8_t *key, size_t cap)
{
	int n = cache_key_msg(msg, buf, key, cap);

	if (n > 3 && fwd_cfg(s)->reverse)
		memcpy(key, FWD_CACHE_KEY_REVERSE, 3);
	return n;
}

struct rte_mbuf *
fwd_cache_head_mbuf(struct fwd_session *s, const uint8_t *stored, uint32_t len,
                    uint32_t age_s)
{
	struct fwd_ctx *fc = s->l->fc;
	struct fwd_head_writer w = {.pool = fc->p.pool};

	/* no Set-Cookie in it: never stored (cache_hdr_never_stored) */
	fwd_cache_put_head(s, &w, (const char *)stored, len);
	fwd_cache_status_collapsed(s, &w); /* a waiter's Cache-Status */
	/* RFC 9111 5.1: the current age; the stored Age was left out */
	fwd_hw_age(&w, age_s);
	fwd_hw_end(&w, fwd_cfg(s)->via, (s->flags & SF_CLI_HTTP10) ? 0u : 1u,
	           (s->flags & SF_CLOSE_CLI) != 0);
	return fwd_hw_done(&w, fc->cnt);
}

const uint8_t *
fwd_cache_meta_of(const struct cache_obj *obj, struct fwd_cache_meta *m)
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
	const uint8_t *head = fwd_cache_meta_of(obj, &m);
	struct rte_mbuf *out;

	if (head == NULL) {
		errno = EAGAIN;
		return NULL;
	}
	/* a marker, a body of unknown length (no Content-Length to frame
	 * with yet), a private origin for a listener without
	 * allow-private-dst, a response this listener's reading of
	 * CDN-Cache-Control would not store: the waiter fetches for itself */
	if ((m.flags & (FWD_CACHE_F_MARKER | FWD_CACHE_F_NOLEN)) ||
	    (m.dst_private && !fwd_cfg(s)->allow_private_dst &&
	     !fwd_cfg(s)->reverse) ||
	    !fwd_cache_usable_here(s, &m.r)) {
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
 * A GET that missed and may store its response: when its key is absent,
 * put an object without a head there now, so that the misses that follow
 * wait on this fetch instead of making their own (Varnish, ATS and
 * nginx's proxy_cache_lock do the same).  A COMPLETE object under the key
 * (stale, refused by this request's directives, a Vary marker) stays:
 * only a response known to be storable replaces it (fwd_cache_store.c),
 * so no request header can remove what others may still use.  Returns
 * FWD_CACHE_WAIT when another request fills the key and <s> waits on it,
 * else FWD_CACHE_PASS (with s->cobj set when <s> fills).
 */
/* Request fields whose answer may not serve others (a 206, a 304, one
 * for these credentials): such a request neither fills for others nor
 * waits on another's fill.  The parser indexes them (http_has_field). */
#define NO_COLLAPSE_FIELDS                                                \
	(HTTP_FLD_BIT(HTTP_FLD_RANGE) | HTTP_FLD_BIT(HTTP_FLD_IF_RANGE) | \
	 HTTP_FLD_BIT(HTTP_FLD_IF_NONE_MATCH) |                           \
	 HTTP_FLD_BIT(HTTP_FLD_IF_MATCH) |                                \
	 HTTP_FLD_BIT(HTTP_FLD_IF_MODIFIED_SINCE) |                       \
	 HTTP_FLD_BIT(HTTP_FLD_IF_UNMODIFIED_SINCE) |                     \
	 HTTP_FLD_BIT(HTTP_FLD_AUTHORIZATION))

bool
fwd_cache_shareable(const struct fwd_session *s, const struct http_msg *msg,
                    const struct cache_cc *cc)
{
	/* A request that wants the origin's word (no-cache, max-age=0)
	 * fetches; so does one that waited in vain. */
	if (fwd_cfg(s)->cache_collapse_ms == 0 || (s->flags & SF_NO_COLLAPSE) ||
	    (cc->flags & CACHE_CC_NO_CACHE) ||
	    ((cc->flags & CACHE_CC_MAX_AGE) && cc->max_age_s == 0))
		return false;
	return (msg->fields & NO_COLLAPSE_FIELDS) == 0;
}

static enum fwd_cache_verdict
collapse_or_fill(struct fwd_session *s, const struct http_msg *msg,
                 const uint8_t *key, size_t klen)
{
	struct fwd_ctx *fc = s->l->fc;
	struct cache_obj *obj, *busy = NULL;
	int rc;

	if (!fwd_cache_shareable(s, msg, &s->txn->cache_q.cc))
		return FWD_CACHE_PASS;
	obj = cache_obj_create(fc->p.cache, key, klen, NULL, 0, 0);
	if (obj == NULL)
		return FWD_CACHE_PASS;
	rc = cache_index_insert_unique(fc->p.cache, obj, &busy);
	if (rc == 0) {
		s->cobj = obj; /* we fill it: fwd_cache_response() */
		return FWD_CACHE_PASS;
	}
	cache_obj_put(obj);
	if (rc != -EEXIST)
		return FWD_CACHE_PASS;
	if (cache_obj_state(busy) != CACHE_OBJ_BUSY ||
	    !fwd_collapse_wait(s, busy, msg->head_len)) {
		cache_obj_put(busy);
		return FWD_CACHE_PASS;
	}
	cache_obj_put(busy); /* fwd_collapse_wait took its own */
	return FWD_CACHE_WAIT;
}

/* <*obj> is a pass marker (no response: fwd_cache_store.c): dropped, and
 * true (a miss; the marker keeps the key from collapsing). */
static bool
pass_marker(struct cache_obj **obj)
{
	struct fwd_cache_meta m;

	GH_VERIFY(fwd_cache_meta_of(*obj, &m) != NULL);
	if (!(m.flags & FWD_CACHE_F_PASS))
		return false;
	cache_obj_put(*obj);
	*obj = NULL;
	return true;
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
	int klen, rc = -ENOENT;

	fwd_cache_txn_reset(s);
	fwd_cache_unsafe_note(s, msg, buf);
	if (fc->p.cache == NULL || !fwd_cfg(s)->cache ||
	    (msg->method != HTTP_M_GET && msg->method != HTTP_M_HEAD) ||
	    msg->body_kind != HTTP_BODY_NONE)
		return FWD_CACHE_PASS;
	s->cache_fwd = FWD_CF_URI_MISS;
	cache_req_meta_parse(&q, msg, buf);
	now_s = fwd_cache_now_s(fc);
	klen = fwd_cache_key_of(s, msg, buf, key, sizeof(key));
	if (klen > 0 &&
	    cache_index_lookup(fc->p.cache, key, (size_t)klen, &obj) == 0 &&
	    fwd_cache_vary_resolve(s, msg, buf, key, (size_t)klen, &obj) == 0 &&
	    !pass_marker(&obj) &&
	    (rc = fwd_cache_hit(s, msg, buf, obj, &q, now_s)) == 0)
		return FWD_CACHE_HIT;
	if (rc == -EINPROGRESS) /* waits on another's validation */
		return FWD_CACHE_WAIT;
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
		fwd_cache_vary_keep(t, msg, buf);
		s->flags |= SF_CACHE;
		/* A validation (fwd_cache_reval.c) keeps the stale object to
		 * update it on a 304; a request whose semantics kept it from
		 * a usable entry (several ranges, If-Match...) fetches alone:
		 * no placeholder for others to wait on. */
		if (s->reval != NULL || s->cache_fwd == FWD_CF_REQUEST)
			return FWD_CACHE_PASS;
		return collapse_or_fill(s, msg, key, (size_t)klen);
	}
	return FWD_CACHE_PASS;
}
