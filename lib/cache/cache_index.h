/*
 * The cache's shared index (issue 12 item 3): one cds_lfht under QSBR for
 * every worker, keyed by the object's 64-bit key hash then its key bytes,
 * with a memory budget kept by SIEVE eviction (cache_sieve.h; chosen on
 * the simulation in docs/benchmarks.md).
 *
 * Lookups are lock-free: the caller is an online, registered QSBR thread
 * (a worker between two rcu_quiescent_state calls), and a hit takes a
 * reference only while the count is non-zero.  insert_unique, remove,
 * purge and eviction take the index's one mutex; a removed object leaves
 * the table at once (cds_lfht_del, one remover wins), and the index drops
 * its reference a grace period later (call_rcu: the caller must be online
 * and registered).  Bytes are freed when the last reference goes, which
 * may be later still (an mbuf in flight).
 *
 * Budget: <bytes> (every allocation of the objects in the index: object,
 * key, head, segment table, segments) exceeds the budget by at most the
 * objects being filled (BUSY objects are never evicted: clients may be
 * waiting on them), and only when nothing else is left to evict; each is
 * at most max_obj_bytes; no object grows past it (a larger response is
 * the caller's to stream without storing).  Objects removed but still
 * referenced are counted in live_bytes, not in bytes.
 */
#ifndef GH_CACHE_INDEX_H
#define GH_CACHE_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "cache/cache_index_types.h"
#include "cache/cache_obj.h"

/*
 * A new empty index whose objects live in a new jemalloc arena, with a
 * budget of <budget_bytes> (> 0), objects of at most <max_obj_bytes> each
 * (all their allocations; 0 < max_obj_bytes <= budget_bytes) and one
 * segment descriptor per worker for <n_workers> workers (1 ..= 1024).  Any
 * thread.  Returns NULL and sets errno: EINVAL, ENOMEM, or the errno of
 * getrandom / mallctl.
 */
struct cache_index *cache_index_create(uint64_t budget_bytes,
                                       uint64_t max_obj_bytes,
                                       uint32_t n_workers);

/*
 * Change <ci>'s budget to <budget_bytes> (a reload's cache-mb): at most the
 * budget it was created with (its memory region was sized for that), and
 * the largest object becomes the smaller of the one it was created with
 * and the budget.  When it holds more, it evicts down to the new budget at
 * once (objects being filled are spared, as always: cache_index_admit).
 * The caller is an online RCU thread (eviction defers frees by call_rcu).
 * Returns 0, or -EINVAL (0 or above the created budget).
 */
int cache_index_budget_set(struct cache_index *ci, uint64_t budget_bytes);

/*
 * Register the memory every object of <ci> lives in (one region: see
 * cache_mem.h) with DPDK and DMA-map it for every ethdev port's device
 * that takes it, so a NIC can send body segments itself.  Call once, after
 * the ports are probed.  Returns the number of devices mapped (0: none
 * DMAs, as with vdevs that copy), or -ENOTSUP (IOVA as PA and a device
 * that may DMA), -EALREADY, -rte_errno.
 */
int cache_index_dma_register(struct cache_index *ci);

/*
 * Empty <ci> and free it.  The caller is the only user left and is not an
 * online RCU reader (unregistered, or rcu_thread_offline); call_rcu
 * callbacks are drained (rcu_barrier).  Returns 0, or -EBUSY when objects
 * are still referenced (by mbufs in flight or callers): <ci> then stays
 * valid and empty, to be destroyed again once they are put.  NULL: 0.
 */
int cache_index_destroy(struct cache_index *ci);

/* The hash of key <key> of <len> bytes (SipHash-2-4, the index's key). */
uint64_t cache_index_hash(const struct cache_index *ci, const uint8_t *key,
                          size_t len);

/*
 * Find the COMPLETE object with key <key> (<len> bytes) and take a
 * reference on it into <*out>; marks it visited for SIEVE (one relaxed
 * store, no lock).  Online RCU thread.  Returns 0, -ENOENT (absent or being
 * removed), -EBUSY (present but still being filled: no reference taken;
 * collapsed waiting comes with the proxy integration).
 */
int cache_index_lookup(struct cache_index *ci, const uint8_t *key, size_t len,
                       struct cache_obj **out);

/*
 * Put <obj> (created on <ci>, BUSY or COMPLETE, not in the index) in the
 * index unless its key is there: the miss-collapsing primitive.  The index
 * takes its own reference; the caller keeps its own.  Evicts first as the
 * budget needs.  Online RCU thread.  Returns 0 (inserted), -EEXIST (the key
 * is present: <*existing> holds a new reference on that object, BUSY or
 * COMPLETE), -EFBIG (<obj> is over max_obj_bytes), -EINVAL (<obj> is
 * DEAD, already in, or from another index).
 */
int cache_index_insert_unique(struct cache_index *ci, struct cache_obj *obj,
                              struct cache_obj **existing);

/*
 * Take <obj> out of the index and mark it DEAD (an aborted fill, a purge
 * by pointer).  Online RCU thread.  Returns 0 when this call removed it,
 * -ENOENT when it was not in the index (it is DEAD anyway).
 */
int cache_index_remove(struct cache_index *ci, struct cache_obj *obj);

/* Remove the object with key <key> (<len> bytes), in any state.  Online RCU
 * thread.  Returns 0, or -ENOENT when there is none. */
int cache_index_purge(struct cache_index *ci, const uint8_t *key, size_t len);

/*
 * What cache_index_walk shows of one object: its key (valid only during
 * the callback), state (BUSY or COMPLETE, as read then), the body bytes
 * written so far and every byte the object allocated (what the budget
 * counts).
 */
struct cache_index_entry {
	const uint8_t *key;
	uint32_t key_len;
	enum cache_obj_state state;
	uint64_t body_bytes;
	uint64_t mem_bytes;
};

/* A cache_index_walk callback: return 0 to go on, anything else to stop
 * the walk (which then returns that value). */
typedef int (*cache_index_walk_fn)(void *arg,
                                   const struct cache_index_entry *e);

/*
 * Call <fn> for every object in <ci>'s table, in no particular order,
 * without the index's lock (inserts and evictions go on meanwhile: an
 * object added or removed during the walk may be seen or not; each one in
 * the table all along is seen exactly once).  Objects removed but not yet
 * gone from the table are skipped.  Online RCU thread, which stays online
 * (no quiescent state) for the whole walk, so that no object it sees is
 * freed: keep <fn> short.  Returns 0 when every object was visited, else
 * what <fn> returned to stop.
 */
int cache_index_walk(struct cache_index *ci, cache_index_walk_fn fn, void *arg);

/* A snapshot of counters and gauges (takes the lock: control thread). */
void cache_index_stats_get(struct cache_index *ci,
                           struct cache_index_stats *out);

/*
 * Bytes jemalloc counts as allocated in <ci>'s arena (small + large, after
 * an "epoch" refresh), into <*out>.  Returns 0, or -ENOTSUP when jemalloc
 * keeps no statistics.
 */
int cache_index_arena_allocated(const struct cache_index *ci, uint64_t *out);

#endif /* GH_CACHE_INDEX_H */
