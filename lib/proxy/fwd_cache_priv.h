/*
 * The forward proxy's cache files among themselves (private to lib/proxy):
 * fwd_cache.c (lookup and the miss path), fwd_cache_store.c (storing),
 * fwd_cache_vary.c (Vary markers and variant keys), fwd_cache_inval.c
 * (invalidation by unsafe methods), fwd_cache_hit.c (answering from a
 * stored object: 200, 304, 206, 416, Cache-Status), fwd_cache_reval.c
 * (validating a stored object with the origin).  What a stored object's
 * head holds, and the cache's clock.  Threading as fwd_priv.h: one worker;
 * the objects are shared, read through cache_obj_head() by an online QSBR
 * thread holding a reference.
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
#define FWD_CACHE_F_PASS                                         \
	0x4u /* a pass marker (fwd_cache_store.c): the last      \
	        response under this key could not be stored;     \
	        misses fetch at once, nobody waits; never served \
	        (a storable response replaces it) */
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
 * A validation (fwd_cache_reval.c) publishes a new head of the same form.
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

/* Whether the request <msg> with directives <cc> may be answered from
 * another request's fetch, a collapsed miss or validation (fwd_cache.c):
 * collapsing on, not a request that waited in vain, none that wants the
 * origin's word (no-cache, max-age=0), none whose answer may not serve
 * others (Range, a conditional, Authorization). */
bool fwd_cache_shareable(const struct fwd_session *s,
                         const struct http_msg *msg, const struct cache_cc *cc);

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

/* A reverse listener's keys start with "REV " where a forward listener's
 * start with "GET " (the same length): the two kinds never share an entry
 * (the same URL names a site's pool on one and an origin found by DNS on
 * the other), and an unsafe method invalidates its own kind's only. */
#define FWD_CACHE_KEY_REVERSE "REV"

/* The key of the GET for the target of <msg> of <s> into <key>
 * (fwd_cache.c).  Its length, or < 0 when it does not fit. */
int fwd_cache_key_of(const struct fwd_session *s, const struct http_msg *msg,
                     const char *buf, uint8_t *key, size_t cap);

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

/* ---- fwd_cache_hit.c ---- */

/*
 * The head of <obj> (ours, COMPLETE or being validated): its metadata
 * into *m (checked) and the head's text (status line and fields) into
 * *text / *len, valid until the caller's next quiescent state.
 */
void fwd_cache_obj_meta(const struct cache_obj *obj, struct fwd_cache_meta *m,
                        const char **text, uint32_t *len);

/* <r> as the listener of <s> reads it (RFC 9213): with
 * cache-cdn-control on, a valid CDN-Cache-Control's directives in place
 * of Cache-Control's (cache_resp_targeted(); the copy in *tmp). */
const struct cache_resp_meta *fwd_cache_view(const struct fwd_session *s,
                                             const struct cache_resp_meta *r,
                                             struct cache_resp_meta *tmp);

/*
 * Whether the listener of <s> may use the stored response <r> at all.
 * The cache is one for every listener, and a response is stored by the
 * reading of the listener that fetched it; when it has a
 * CDN-Cache-Control, listeners that read that field and those that do
 * not may disagree, so it serves this one only if this one's reading
 * would have stored it too (not no-store or private there).
 */
bool fwd_cache_usable_here(const struct fwd_session *s,
                           const struct cache_resp_meta *r);

/* The next line of a stored head text[0 .. len) from *off: its start
 * and length without the CRLF; false at the end (every line we store
 * ends in CRLF). */
bool fwd_cache_next_line(const char *text, uint32_t len, uint32_t *off,
                         const char **p, uint32_t *n);

/* The value of the first field <name> (lower case) in the stored head
 * text[0 .. len), without the CRLF; false when there is none. */
bool fwd_cache_field(const char *text, uint32_t len, const char *name,
                     const char **v, uint32_t *vlen);

/* The stored head text[0 .. len) (status line and fields) for the client
 * of <s> into <w>: as stored, but for a reverse listener's
 * location-rewrite (fwd_rev_location_line), as a miss's head is. */
void fwd_cache_put_head(struct fwd_session *s, struct fwd_head_writer *w,
                        const char *text, uint32_t len);

/* How a stored object answers a request (fwd_cache_serve). */
struct fwd_cache_answer {
	unsigned status;     /* 200: the stored response, whatever its status;
	                        206, 304 or 416 */
	uint64_t off, len;   /* 206: the body bytes sent */
	uint8_t result;      /* enum alog_result of the log line */
	uint16_t fwd_status; /* Cache-Status fwd-status (a validation's
	                        answer), 0 for a plain hit */
	bool swr;            /* stale, a background validation running:
	                        Cache-Status fwd=stale without fwd-status */
};

/*
 * Queue the answer <a> from <obj> (our reference, kept) for the client
 * and fill the transaction's record; with <body> the body (never for
 * HEAD).  Returns 0, or -ENOMEM (no mbufs: nothing queued).
 */
int fwd_cache_serve(struct fwd_session *s, struct cache_obj *obj,
                    const struct fwd_cache_answer *a, bool body);

/*
 * A lookup found COMPLETE <obj> (our reference, always taken over) for
 * the request <msg> in <buf> with directives <q>: answer it from the
 * object (200, 304 to the client's conditionals, 206 or 416 to a Range);
 * or keep it in s->reval to validate it with the origin (a conditional
 * request goes up), or wait on the validation of it another request runs
 * (fwd_cache_reval_wait).  Returns 0 when answered; -ESTALE when the
 * request goes to the origin (s->reval set or not); -EINPROGRESS when it
 * waits (ST_WAIT); -ENOMEM (no mbufs).
 */
int fwd_cache_hit(struct fwd_session *s, const struct http_msg *msg,
                  const char *buf, struct cache_obj *obj,
                  const struct cache_req_meta *q, int64_t now_s);

/* ---- fwd_cache_reval.c ---- */

/*
 * The request <msg> with directives <q> would validate <obj>
 * (the caller's reference, kept) while another validation of it runs:
 * wait on that one instead (ST_WAIT, SF_WAIT_REVAL; the request head
 * stays in cli_in and is looked up again when it is over).  True when it
 * waits; false when it validates itself.
 */
bool fwd_cache_reval_wait(struct fwd_session *s, const struct http_msg *msg,
                          struct cache_obj *obj,
                          const struct cache_req_meta *q);

/* <s> validates <obj>: take the object's validation claim when it is
 * free (s->claim), so that others wait on this validation. */
void fwd_cache_reval_claim(struct fwd_session *s, struct cache_obj *obj);

/* ---- fwd_cache_bg.c ---- */

/*
 * The request <msg> in <buf> of <s> found COMPLETE <obj> (the caller's
 * reference) within its stale-while-revalidate window: make sure one
 * validation of it runs in the background (one started now, in a session
 * of its own, or another already running).  True when the stale object
 * may answer the request now; false when the request validates it in the
 * foreground (background validations off or at cache-background-max,
 * an anonymous listener, a request with Authorization, no session).
 */
bool fwd_cache_bg_start(struct fwd_session *s, const struct http_msg *msg,
                        const char *buf, struct cache_obj *obj);

#endif /* GH_FWD_CACHE_PRIV_H */
