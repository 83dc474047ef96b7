/*
 * What cache_obj.c and cache_index.c share and nobody else sees: the
 * arena flags, the budget charge of a growing object, the wake rings.
 */
#ifndef GH_CACHE_INDEX_PRIV_H
#define GH_CACHE_INDEX_PRIV_H

#include <stdint.h>

#include <jemalloc/jemalloc.h>

#include "cache/cache_index_types.h"

/* mallocx / dallocx flags: the index's arena, no thread cache (so the
 * arena's statistics are exact and bytes go back at once). */
static inline int
cache_arena_flags(const struct cache_index *ci)
{
	return (int)MALLOCX_ARENA(ci->arena) | MALLOCX_TCACHE_NONE;
}

/*
 * Whether <obj> may grow by <more> bytes: evicts what it can first; a
 * linked object may not take the index past its budget plus one largest
 * object (what the objects being filled, never evicted, could otherwise
 * stretch without bound).  0, or -ENOSPC (counted in over_budget).
 */
int cache_index_admit(struct cache_index *ci, struct cache_obj *obj,
                      uint64_t more);

/*
 * <obj> grew by <delta> bytes: add them to its own count and, when it is in
 * the index, to the index's, evicting others until within budget (online
 * RCU thread).  Also counts them in live_bytes.
 */
void cache_index_charge(struct cache_index *ci, struct cache_obj *obj,
                        int64_t delta);

/* The wake rings of <ci>'s first CACHE_WAKE_WORKERS_MAX workers
 * (cache_wake.c): 0 or -errno; and their end, which drops the references
 * of wakes still queued. */
int cache_wake_init(struct cache_index *ci);
void cache_wake_fini(struct cache_index *ci);

#endif /* GH_CACHE_INDEX_PRIV_H */
