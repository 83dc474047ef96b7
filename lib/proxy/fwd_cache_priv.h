/*
 * The forward proxy's cache files among themselves (private to lib/proxy):
 * fwd_cache.c (lookup and the miss path), fwd_cache_store.c (storing),
 * fwd_cache_hit.c (answering from a stored object: 200, 304, 206, 416,
 * Cache-Status), fwd_cache_reval.c (validating a stored object with the
 * origin).  What a stored object's head holds, and the cache's clock.
 * Threading as fwd_priv.h: one worker; the objects are shared, read
 * through cache_obj_head() by an online QSBR thread holding a reference.
 */
#ifndef GH_PROXY_FWD_CACHE_PRIV_H
#define GH_PROXY_FWD_CACHE_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "cache/cache_types.h"
#include "fwd_priv.h"

#define FWD_CACHE_META_MAGIC 0x66636d31u

/*
 * What a stored object's head starts with (copied out with memcpy: the
 * head has no alignment), then head_len bytes of the head: the status
 * line and the stored fields, each ending in CRLF, without the empty
 * line.  A validation (fwd_cache_reval.c) publishes a new head of the
 * same form; the old one is never written.
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
};

_Static_assert(sizeof(struct fwd_cache_meta) + 64 <= FWD_CACHE_META_ROOM,
               "fwd_ctx_create sizes cache_head for it and a status line");

/* The cache's clock: Unix seconds at the wheel's tick 0 plus the wheel's
 * milliseconds (tests that move the fake TSC move it too). */
static inline int64_t
fwd_cache_now_s(const struct fwd_ctx *fc)
{
	return fc->wall0_s + (int64_t)(fwd_now_ms(fc) / 1000);
}

/* ---- fwd_cache_hit.c ---- */

/*
 * The head of <obj> (ours, COMPLETE or being validated): its metadata
 * into *m (checked) and the head's text (status line and fields) into
 * *text / *len, valid until the caller's next quiescent state.
 */
void fwd_cache_obj_meta(const struct cache_obj *obj, struct fwd_cache_meta *m,
                        const char **text, uint32_t *len);

/* The next line of a stored head text[0 .. len) from *off: its start
 * and length without the CRLF; false at the end (every line we store
 * ends in CRLF). */
bool fwd_cache_next_line(const char *text, uint32_t len, uint32_t *off,
                         const char **p, uint32_t *n);

/* The value of the first field <name> (lower case) in the stored head
 * text[0 .. len), without the CRLF; false when there is none. */
bool fwd_cache_field(const char *text, uint32_t len, const char *name,
                     const char **v, uint32_t *vlen);

/* How a stored object answers a request (fwd_cache_serve). */
struct fwd_cache_answer {
	unsigned status;     /* 200: the stored response, whatever its status;
	                        206, 304 or 416 */
	uint64_t off, len;   /* 206: the body bytes sent */
	uint8_t result;      /* enum alog_result of the log line */
	uint16_t fwd_status; /* Cache-Status fwd-status (a validation's
	                        answer), 0 for a plain hit */
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
 * request goes up).  Returns 0 when answered; -ESTALE when the request
 * goes to the origin (s->reval set or not); -ENOMEM (no mbufs).
 */
int fwd_cache_hit(struct fwd_session *s, const struct http_msg *msg,
                  const char *buf, struct cache_obj *obj,
                  const struct cache_req_meta *q, int64_t now_s);

#endif /* GH_PROXY_FWD_CACHE_PRIV_H */
