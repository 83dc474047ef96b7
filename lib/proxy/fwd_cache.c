/*
 * The forward proxy's use of the shared HTTP cache (see fwd_priv.h; issue
 * 12's first slice).  A GET or HEAD without a body is looked up by its
 * key (lib/cache's cache_key_build: "GET", the effective URI
 * http://host[:port]/path with the host in lower case) before anything
 * goes upstream; a COMPLETE object that cache_use_decide() finds fresh
 * for this request (or stale within the request's max-stale) answers it:
 * the stored head with an Age field, our Via and Connection: close as on
 * a miss, and the body as mbufs attached to the object's segments (no
 * copy, cache_obj_body_mbufs).  A marker under the key (Vary) leads to
 * the variant for this request (fwd_cache_vary.c).  On a miss the
 * response to a GET may be stored (fwd_cache_store.c); an unsafe method's
 * response invalidates (fwd_cache_inval.c).
 *
 * The cache's clock is the proxy's: Unix seconds at the wheel's tick 0
 * plus the wheel's milliseconds (fwd_now_ms), so tests that move the fake
 * TSC move the cache's now with it.
 *
 * Not in this slice (issue 12): collapsed misses (a key being filled is a
 * plain miss that is not stored), revalidation (stale is a miss whose
 * response replaces the stored one), ranges, Cache-Status,
 * conditional requests answered 304.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_mbuf.h>

#include "cache/cache_index.h"
#include "cache/cache_obj.h"
#include "cache/cache_policy.h"
#include "common/gh_common.h"
#include "fwd_cache_priv.h"
#include "fwd_priv.h"

/* The key of the GET for the target of <msg> into <key>: "GET
 * http://host[:port]/path?query", the host in lower case (an IPv6 literal
 * in brackets), no port when it is 80.  Its length, or < 0 when it does
 * not fit. */
int
fwd_cache_key_of(const struct http_msg *msg, const char *buf, uint8_t *key,
                 size_t cap)
{
	char uri[FWD_CACHE_KEY_MAX];
	const char *path = buf + msg->path.off;
	size_t n = 0;
	uint32_t i;
	bool v6;
	int k;

	if (msg->host.len + 16 > sizeof(uri))
		return -ENAMETOOLONG;
	v6 = memchr(buf + msg->host.off, ':', msg->host.len) != NULL;
	memcpy(uri, "http://", 7);
	n = 7;
	if (v6) /* an IPv6 literal, kept without brackets by lib/http */
		uri[n++] = '[';
	for (i = 0; i < msg->host.len; i++) {
		char c = buf[msg->host.off + i];

		uri[n++] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	if (v6)
		uri[n++] = ']';
	if (msg->port != 80) {
		k = snprintf(uri + n, sizeof(uri) - n, ":%u", msg->port);
		if (k < 0)
			return -EINVAL;
		n += (size_t)k;
	}
	if (msg->path.len == 0 || path[0] != '/')
		uri[n++] = '/';
	if (msg->path.len > sizeof(uri) - n)
		return -ENAMETOOLONG;
	memcpy(uri + n, path, msg->path.len);
	n += msg->path.len;
	return cache_key_build(key, cap, "GET", 3, uri, n);
}

/* Answer the request <msg> from COMPLETE <obj> (our reference, always
 * dropped here) if it may be used.  Returns 0 when answered, -ESTALE (not
 * usable for this request), -ENOMEM (no mbufs: a miss instead). */
static int
hit_serve(struct fwd_session *s, const struct http_msg *msg,
          struct cache_obj *obj, const struct cache_req_meta *q, int64_t now_s)
{
	struct fwd_ctx *fc = s->l->fc;
	struct fwd_head_writer w = {.pool = fc->p.pool};
	struct fwd_cache_meta m;
	struct rte_mbuf *head, *body = NULL;
	uint32_t lifetime_s, age_s;
	enum cache_use use;
	uint64_t body_len;
	char text[64];

	GH_VERIFY(obj->head_len >= sizeof(m));
	memcpy(&m, obj->head, sizeof(m));
	GH_VERIFY(m.magic == FWD_CACHE_META_MAGIC &&
	          m.head_len <= obj->head_len - sizeof(m));
	if (m.flags & FWD_CACHE_F_MARKER) { /* never a response */
		cache_obj_put(obj);
		return -ESTALE;
	}
	if (m.dst_private && !s->l->cfg.allow_private_dst) {
		cache_obj_put(obj);
		return -ESTALE; /* a miss: the destination check refuses it */
	}
	lifetime_s = cache_lifetime(&m.r, s->l->cfg.cache_heuristic_max_s);
	age_s = cache_current_age(&m.r, m.request_s, m.response_s, now_s);
	use = cache_use_decide(&m.r, &q->cc, lifetime_s, age_s);
	if (use != CACHE_USE_FRESH && use != CACHE_USE_STALE) {
		cache_obj_put(obj);
		return -ESTALE;
	}
	body_len = cache_obj_body_len(obj);
	if (msg->method == HTTP_M_GET && body_len > 0) {
		body = cache_obj_body_mbufs(obj, fc->p.cache_worker, 0,
		                            body_len, fc->p.pool);
		if (body == NULL) {
			fc->cnt->fwd_no_mbuf++;
			cache_obj_put(obj);
			return -ENOMEM;
		}
	}
	fwd_hw_put(&w, obj->head + sizeof(m), m.head_len);
	/* RFC 9111 5.1: the current age; the stored Age was left out */
	snprintf(text, sizeof(text), "Age: %u\r\n", age_s);
	fwd_hw_str(&w, text);
	if (s->l->cfg.via) {
		snprintf(text, sizeof(text), "Via: 1.%u gatehouse\r\n",
		         (s->flags & SF_CLI_HTTP10) ? 0u : 1u);
		fwd_hw_str(&w, text);
	}
	if (s->flags & SF_CLOSE_CLI)
		fwd_hw_str(&w, "Connection: close\r\n");
	fwd_hw_str(&w, "\r\n");
	head = fwd_hw_done(&w, fc->cnt);
	if (head == NULL) {
		rte_pktmbuf_free(body); /* before the put: it holds refs */
		cache_obj_put(obj);
		return -ENOMEM;
	}
	if (s->txn != NULL) {
		s->txn->rec.status = m.r.status;
		s->txn->rec.result = ALOG_TCP_MEM_HIT;
	}
	fwd_cli_queue(s, head);
	if (body != NULL)
		fwd_cli_queue(s, body);
	fwd_cli_flush(s);
	cache_obj_put(obj);
	fc->cnt->fwd_cache_hits++;
	return 0;
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

	fwd_cache_unsafe_note(s, msg, buf);
	if (fc->p.cache == NULL || !s->l->cfg.cache ||
	    (msg->method != HTTP_M_GET && msg->method != HTTP_M_HEAD) ||
	    msg->body_kind != HTTP_BODY_NONE)
		return FWD_CACHE_PASS;
	cache_req_meta_parse(&q, msg, buf);
	now_s = fwd_cache_now_s(fc);
	klen = fwd_cache_key_of(msg, buf, key, sizeof(key));
	if (klen > 0 &&
	    cache_index_lookup(fc->p.cache, key, (size_t)klen, &obj) == 0 &&
	    fwd_cache_vary_resolve(s, msg, buf, key, (size_t)klen, &obj) == 0 &&
	    hit_serve(s, msg, obj, &q, now_s) == 0)
		return FWD_CACHE_HIT;
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
	}
	return FWD_CACHE_PASS;
}
