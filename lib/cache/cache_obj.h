/*
 * A cached object (issue 12 items 3-4): key, 64-bit key hash, stored
 * response head and a body in segments of at most CACHE_SEG_MAX_BYTES, all
 * from the index's own jemalloc arena so the cache's bytes are measurable.
 * A filler creates the object BUSY, appends the body, marks it COMPLETE;
 * workers then send it with cache_obj_body_mbufs, whose mbufs point into
 * the segments (external buffers: no copy per hit).
 *
 * References (urcu_ref): cache_obj_create returns one; cache_index_lookup
 * and insert_unique return one; cache_obj_put drops one, and the last put
 * frees the object and its segments back to the arena.  A put may run on
 * any thread; the last one must not race with cache_obj_body_mbufs on the
 * same object, which a caller's own reference rules out.
 *
 * Threading: one filler per object (create, append, complete, abort);
 * cache_obj_body_mbufs by worker <w> only, and the mbufs it returns freed
 * by worker <w> only (each worker has its own descriptor per segment,
 * whose 16-bit count DPDK updates non-atomically).
 *
 * Collapsed misses: an object may go into the index BUSY before its
 * response is known (no head: cache_obj_create with head NULL), so that
 * the other requests for the key find it (cache_index_insert_unique) and
 * wait instead of fetching.  Waiters read its head and the bytes appended
 * so far while it fills (cache_obj_head, cache_obj_body_mbufs below
 * cache_obj_body_len), and learn of progress without polling: a worker
 * watches the object (cache_obj_watch), and every head, append,
 * completion or removal queues the object on the wake ring of each
 * watching worker (cache_obj_notify), which the worker drains in its loop
 * (cache_wake_drain).
 */
#ifndef GH_CACHE_OBJ_H
#define GH_CACHE_OBJ_H

#include <stddef.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "cache/cache_index_types.h"
#include "common/gh_common.h"

/*
 * Write the key of <method> and <uri> (the effective request URI) into
 * <buf> of <cap> bytes: method, one space, URI.  Returns its length > 0, or
 * -ENAMETOOLONG when it would exceed <cap> or CACHE_KEY_MAX_BYTES, -EINVAL
 * for an empty method or URI.
 */
int cache_key_build(uint8_t *buf, size_t cap, const char *method,
                    size_t method_len, const char *uri, size_t uri_len);

/*
 * A new BUSY object of index <ci> with key <key> (<key_len> bytes, from
 * cache_key_build) and response head <head> (<head_len> bytes, copied; or
 * NULL and 0: no head yet, cache_obj_head_replace gives it later);
 * <body_hint> is the expected body length (Content-Length) or 0.  The
 * caller holds the one reference.  Returns NULL and sets errno: EINVAL (bad
 * lengths), ENOMEM.
 */
struct cache_obj *cache_obj_create(struct cache_index *ci, const uint8_t *key,
                                   size_t key_len, const void *head,
                                   size_t head_len, uint64_t body_hint);

/*
 * Append <len> body bytes to BUSY <obj>.  Segments grow as needed; when
 * <obj> is in the index the new memory is charged to the budget, which may
 * evict other objects (so the caller must be an online RCU thread).
 * Returns 0, -EINVAL (not BUSY), -EFBIG (the object would pass the index's
 * max_obj_bytes or CACHE_OBJ_MAX_BODY_BYTES), -ENOMEM, -ENOSPC (the index
 * is past its budget and one largest object with objects being filled,
 * which are never evicted).  On -EFBIG nothing was appended; on -ENOMEM
 * and -ENOSPC the bytes before the failure were (the filler
 * gives the object up either way: cache_index_remove, cache_obj_put).
 */
int cache_obj_append(struct cache_obj *obj, const void *data, size_t len);

/*
 * The current head of <obj> and its length into <*len>; NULL (and 0) when
 * it has none yet.  The caller holds a reference and is an online QSBR
 * thread: the bytes stay valid until its next quiescent state, even if
 * the head is replaced meanwhile.
 */
const uint8_t *cache_obj_head(const struct cache_obj *obj, uint32_t *len);

/*
 * Give <obj> (BUSY or COMPLETE) the head <head> of <len> bytes (copied),
 * replacing the one it had: the new one is published at once, the old one
 * freed a grace period later (call_rcu: an online, registered thread).
 * Its bytes are charged to the budget.  Wakes the watchers.  Returns 0,
 * -EINVAL (NULL head, over CACHE_HEAD_MAX_BYTES), -ENOENT (DEAD), -ENOMEM.
 */
int cache_obj_head_replace(struct cache_obj *obj, const void *head, size_t len);

/* The body length the filler of BUSY <obj> expects (a Content-Length):
 * sizes its segments, and tells waiters when they have it all.  Set it
 * before the head (cache_obj_head_replace publishes both). */
static inline void
cache_obj_hint(struct cache_obj *obj, uint64_t body_hint)
{
	__atomic_store_n(&obj->body_hint, body_hint, __ATOMIC_RELEASE);
}

/* The expected body length (0: not known), acquire-read. */
static inline uint64_t
cache_obj_hint_get(const struct cache_obj *obj)
{
	return __atomic_load_n(&obj->body_hint, __ATOMIC_ACQUIRE);
}

/* BUSY -> COMPLETE: lookups return it from now on.  Returns 0, or -EINVAL
 * when it was not BUSY (removed meanwhile: -EINVAL, and it stays DEAD). */
int cache_obj_complete(struct cache_obj *obj);

/* A new reference on <obj>, whose caller already holds one. */
void cache_obj_get(struct cache_obj *obj);

/* Drop one reference; the last frees <obj>.  NULL is a no-op. */
void cache_obj_put(struct cache_obj *obj);

/* The state, acquire-read. */
static inline enum cache_obj_state
cache_obj_state(const struct cache_obj *obj)
{
	return (enum cache_obj_state)__atomic_load_n(&obj->state,
	                                             __ATOMIC_ACQUIRE);
}

/*
 * Claim the one validation of <obj> that may run at a time (any worker:
 * a compare-and-swap on the object, so two workers never both send one).
 * True when the caller got it and must cache_obj_reval_release() it once
 * the validation is over (its reference on <obj> held until then); false
 * when another runs.
 */
static inline bool
cache_obj_reval_claim(struct cache_obj *obj)
{
	uint8_t idle = 0;

	return __atomic_compare_exchange_n(&obj->reval_busy, &idle, 1, false,
	                                   __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
}

/* The validation claimed on <obj> is over. */
static inline void
cache_obj_reval_release(struct cache_obj *obj)
{
	__atomic_store_n(&obj->reval_busy, 0, __ATOMIC_RELEASE);
}

/* Whether a validation of <obj> runs (a hint: it may end at once). */
static inline bool
cache_obj_reval_busy(const struct cache_obj *obj)
{
	return __atomic_load_n(&obj->reval_busy, __ATOMIC_ACQUIRE) != 0;
}

/* The body length written so far (final once COMPLETE). */
static inline uint64_t
cache_obj_body_len(const struct cache_obj *obj)
{
	return __atomic_load_n(&obj->body_bytes, __ATOMIC_ACQUIRE);
}

/*
 * An mbuf chain carrying body bytes [<off>, <off> + <len>) of <obj> in any
 * state (bytes appended so far: below cache_obj_body_len; a DEAD object's
 * bytes stay while referenced), one mbuf
 * per segment piece, each attached to the segment as an external buffer (no
 * copy), mbufs from <pool>.  Called by worker <worker>
 * (< the index's n_workers), which alone frees the chain; every attached
 * mbuf keeps <obj> alive until freed.  Returns the chain, or NULL and sets
 * errno: EINVAL (bad worker, range, <len> 0 or over UINT32_MAX), ENOMEM (pool
 * empty), ENOBUFS (a segment's descriptor of this worker is at 65535
 * references).  On failure nothing stays attached.
 */
struct rte_mbuf *cache_obj_body_mbufs(struct cache_obj *obj, uint32_t worker,
                                      uint64_t off, uint64_t len,
                                      struct rte_mempool *pool);

/*
 * Copy body bytes [<off>, <off> + <len>) of <obj> into <dst> (tests and
 * slow paths), by anyone holding a reference.  Returns 0 or -EINVAL when
 * the range is past what is written.
 */
int cache_obj_body_copy(const struct cache_obj *obj, uint64_t off, uint64_t len,
                        void *dst);

/*
 * Worker <worker> waits on <obj>: from now on every change to <obj> queues
 * it on the worker's wake ring (once until drained).  Read the object's
 * progress after watching, not before, or a change may be missed.  Returns
 * 0, or -ENOTSUP for a worker past CACHE_WAKE_WORKERS_MAX (it cannot wait:
 * it fetches for itself).  The watch lasts as long as the object.
 */
int cache_obj_watch(struct cache_obj *obj, uint32_t worker);

/* Whether some worker watches <obj> (clients may be waiting on it). */
static inline bool
cache_obj_watched(const struct cache_obj *obj)
{
	return __atomic_load_n(&obj->watch_mask, __ATOMIC_ACQUIRE) != 0;
}

/* Queue <obj> on the wake ring of every worker watching it that has no
 * wake for it queued yet (each wake holds a reference).  Called by the
 * library on every change; any thread. */
void cache_obj_notify(struct cache_obj *obj);

/*
 * Worker <worker>'s wakes: up to <max> objects into <objs>, each holding a
 * reference the caller drops with cache_obj_put once it looked.  Their
 * pending bits are cleared before this returns, so a change after the
 * caller's look wakes the worker again.  Returns how many.
 */
unsigned cache_wake_drain(struct cache_index *ci, uint32_t worker,
                          struct cache_obj **objs, unsigned max);

#endif /* GH_CACHE_OBJ_H */
