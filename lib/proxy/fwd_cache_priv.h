/*
 * What the forward proxy's cache files share (fwd_cache.c: lookups and
 * hits; fwd_cache_store.c: storing responses): the metadata at the start
 * of every stored object's head, and the cache's clock.
 */
#ifndef GH_FWD_CACHE_PRIV_H
#define GH_FWD_CACHE_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "cache/cache_types.h"
#include "fwd_priv.h"

#define FWD_CACHE_META_MAGIC 0x66636d31u

/*
 * What a stored object's head starts with (copied out with memcpy: the
 * head has no alignment), then head_len bytes of the head: the status
 * line and the stored fields, each ending in CRLF, without the empty
 * line.
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
 * milliseconds (fwd_now_ms), so tests that move the fake TSC move it. */
static inline int64_t
fwd_cache_now_s(const struct fwd_ctx *fc)
{
	return fc->wall0_s + (int64_t)(fwd_now_ms(fc) / 1000);
}

#endif /* GH_FWD_CACHE_PRIV_H */
