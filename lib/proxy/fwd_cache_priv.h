/*
 * What the forward proxy's cache files share (fwd_cache.c: lookups and
 * hits; fwd_cache_store.c: storing responses): the metadata at the start
 * of every stored object's head, and the cache's clock.
 */
#ifndef GH_FWD_CACHE_PRIV_H
#define GH_FWD_CACHE_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "cache/cache_types.h"
#include "fwd_priv.h"

#define FWD_CACHE_META_MAGIC 0x66636d31u

/* fwd_cache_meta.flags */
#define FWD_CACHE_F_MARKER                                    \
	0x1u /* a Vary marker (fwd_cache_vary.c): its head is \
	        the Vary names, '\n'-ended; never a response */
#define FWD_CACHE_F_NOLEN                                        \
	0x2u /* a body of unknown length being filled (chunked,  \
	        until the close): the head has no Content-Length \
	        until the fill completes, so nobody waits on it */

/*
 * What a stored object's head starts with (copied out with memcpy: the
 * head has no alignment), then head_len bytes of the head: the status
 * line and the stored fields, each ending in CRLF, without the empty
 * line.  A Vary marker's head is its names instead (FWD_CACHE_F_MARKER).
 * A body of unknown length (chunked, until the close) is filled under a
 * head without Content-Length (FWD_CACHE_F_NOLEN), replaced by one with
 * it when the fill completes (cache_obj_head_replace: heads are never
 * written in place, readers on other cores may hold them).
 */
struct fwd_cache_meta {
	uint32_t magic;
	uint32_t head_len;
	int64_t request_s;  /* RFC 9111 4.2.3 request_time */
	int64_t response_s; /* response_time */
	struct cache_resp_meta r;
	/* fetched from a private address: a listener without
	 * allow-private-dst may not be served it (its own fetch gets 403) */
	bool dst_private;
	uint32_t flags;    /* FWD_CACHE_F_* */
	uint64_t vary_gen; /* a marker's generation (its variants' keys) */
};

_Static_assert(sizeof(struct fwd_cache_meta) + 64 <= FWD_CACHE_META_ROOM,
               "fwd_ctx_create sizes cache_head for it and a status line");

/* The cache's clock: Unix seconds at the wheel's tick 0 plus the wheel's
 * milliseconds (fwd_now_ms), so tests that move the fake TSC move it. */
static inline int64_t
fwd_cache_now_s(const struct fwd_ctx *fc)
{
	return fc->wall0_s + (int64_t)(fwd_now_ms(fc) / 1000);
}

/* The metadata of <obj>'s current head into <m> (checked), and the head's
 * bytes after it; NULL when it has no head yet (a fill just begun).  The
 * caller holds a reference and is an online QSBR thread. */
const uint8_t *fwd_cache_meta_of(const struct cache_obj *obj,
                                 struct fwd_cache_meta *m);

/* Append p[0 .. len) to out[0 .. FWD_CACHE_KEY_MAX), a key or a URI
 * being built; false when it is full. */
static inline bool
fwd_cache_put(void *out, uint32_t *n, const void *p, uint32_t len)
{
	if (len > FWD_CACHE_KEY_MAX - *n)
		return false;
	memcpy((char *)out + *n, p, len);
	*n += len;
	return true;
}

/* The key of the GET for the target of <msg> into <key> (fwd_cache.c).
 * Its length, or < 0 when it does not fit. */
int fwd_cache_key_of(const struct http_msg *msg, const char *buf, uint8_t *key,
                     size_t cap);

/* ---- fwd_cache_vary.c ---- */

/* Keep the fields of the request <msg> that a Vary may name in t's
 * cache_vary (cache_vary_len UINT16_MAX when they do not fit). */
void fwd_cache_vary_keep(struct fwd_txn *t, const struct http_msg *msg,
                         const char *buf);

/*
 * <*obj>, found under the primary key <key> (<klen> bytes), is a marker:
 * replace it (our reference dropped) by the variant for the request <msg>
 * or NULL.  Anything else is left as it is.  Returns 0 when *obj is then
 * an object to serve, -ENOENT when there is none.
 */
int fwd_cache_vary_resolve(struct fwd_session *s, const struct http_msg *msg,
                           const char *buf, const uint8_t *key, size_t klen,
                           struct cache_obj **obj);

/*
 * The response <resp> has a Vary that can match: write the key its
 * variant is stored under into <out> (FWD_CACHE_KEY_MAX bytes) from the
 * request fields t kept, making sure the primary key (t's cache_key) holds
 * a marker with these names.  Returns the key's length, 0 when the Vary
 * names nothing (stored under the primary key), -E2BIG (the key
 * or the request's fields too long), -EBUSY (the primary key is being
 * filled), -ENOMEM.
 */
int fwd_cache_vary_key(struct fwd_ctx *fc, const struct fwd_txn *t,
                       const struct http_msg *resp, const char *buf,
                       uint8_t *out);

/* Put BUSY <obj> in the index, replacing a COMPLETE object of its key
 * (fwd_cache_store.c).  Returns 0 or -errno of cache_index_insert_unique. */
int fwd_cache_insert_replacing(struct cache_index *ci, struct cache_obj *obj);

/* ---- fwd_cache_inval.c ---- */

/* Before a request <msg> goes upstream: an unsafe method notes its target
 * for invalidation (SF_CACHE_INVAL). */
void fwd_cache_unsafe_note(struct fwd_session *s, const struct http_msg *msg,
                           const char *buf);

/* Its response <msg>: a 2xx or 3xx invalidates (RFC 9111 4.4). */
void fwd_cache_invalidate(struct fwd_session *s, const struct http_msg *msg,
                          const char *buf);

#endif /* GH_FWD_CACHE_PRIV_H */
