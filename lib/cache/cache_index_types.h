/*
 * Types of the cache's shared index and its objects (issue 12 items 3-5):
 * the SIEVE queue node and queue, a body segment with one DPDK external
 * buffer descriptor per worker, the cached object and the index.  The API
 * is in cache_sieve.h, cache_obj.h and cache_index.h.  (The HTTP semantics,
 * Cache-Control, freshness, Vary, are the other half of lib/cache and keep
 * their own types.)
 */
#ifndef GH_CACHE_INDEX_TYPES_H
#define GH_CACHE_INDEX_TYPES_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf_core.h>
/* the QSBR flavour with its rcu_* names, before the hash table */
#include <urcu-qsbr.h>
#include <urcu/rculfhash.h>
#include <urcu/ref.h>

#include "cache/cache_mem_types.h"

/* ---- SIEVE queue (cache_sieve.h) ---------------------------------------- */

/*
 * A node of a SIEVE queue, embedded in what is queued.  <newer> and <older>
 * belong to the queue's owner (under its lock); <visited> is set by hits on
 * any core with a relaxed store and cleared by the hand under the lock.
 */
struct cache_sieve_node {
	struct cache_sieve_node *newer;
	struct cache_sieve_node *older;
	uint8_t visited;
};

/* One FIFO: new nodes at <newest>; the hand walks from <oldest> to newer. */
struct cache_sieve {
	struct cache_sieve_node *newest;
	struct cache_sieve_node *oldest;
	struct cache_sieve_node *hand; /* NULL: start at <oldest> */
	uint64_t n;
};

/* ---- objects (cache_obj.h) ---------------------------------------------- */

#define CACHE_OBJ_MAGIC 0x63616f62u
#define CACHE_SEG_MAGIC 0x63617367u
/* What a freed object's and segment's magic become (checked on use). */
#define CACHE_POISON_MAGIC 0xdeadca5eu

/* Longest key (method, space, effective URI) the cache keeps. */
#define CACHE_KEY_MAX_BYTES 4096u
/* Longest stored response head. */
#define CACHE_HEAD_MAX_BYTES 65536u
/*
 * Largest body segment: under 64 KiB because an mbuf's buf_len and data_off
 * are 16-bit.  The first segments are smaller when the object is (they grow
 * geometrically from CACHE_SEG_MIN_BYTES unless the filler gives a size hint).
 */
#define CACHE_SEG_MAX_BYTES (60u * 1024u)
#define CACHE_SEG_MIN_BYTES 4096u
/* Largest body: the segment table is indexed by uint32_t and a chain's
 * pkt_len is 32-bit. */
#define CACHE_OBJ_MAX_BODY_BYTES ((uint64_t)UINT32_MAX)

enum cache_obj_state {
	CACHE_OBJ_BUSY = 1, /* being filled: only insert_unique returns it */
	CACHE_OBJ_COMPLETE =
	    2,              /* filled: lookups return it, mbufs may carry it */
	CACHE_OBJ_DEAD = 3, /* removed, evicted or aborted: never returned */
};

struct cache_obj;

/*
 * A body segment: one block from the index's arena holding this header, one
 * external-buffer descriptor per worker, then <cap> data bytes.  shinfo[w]
 * is touched only by worker w (its refcnt is DPDK's non-atomic-at-1 16-bit
 * count, CACHE-NOTES §4); while it is non-zero it holds one reference on
 * the object, dropped by its free_cb.
 */
struct cache_seg {
	unsigned magic;
	uint32_t len;    /* data bytes written */
	uint32_t cap;    /* data bytes allocated */
	uint64_t off;    /* offset of data[0] in the body */
	rte_iova_t iova; /* of data[0], or RTE_BAD_IOVA (see cache_obj.c) */
	uint8_t *data;   /* after shinfo[n_workers], cache-line aligned */
	struct cache_obj *obj;
	size_t alloc_bytes; /* of the whole block */
	struct rte_mbuf_ext_shared_info shinfo[];
};

/*
 * A stored response head, published by RCU: replacing it (a 304's update,
 * RFC 9111 4.3.4, or the first head of an object inserted before its
 * response came) swaps the pointer and frees the old block a grace period
 * later, so a reader on another core never sees it change under it.
 */
struct cache_head {
	uint32_t len;
	size_t alloc_bytes; /* of the whole block */
	struct cache_index *ci;
	struct rcu_head rcu;
	uint8_t bytes[];
};

/*
 * The segment table: the filler grows it while workers may read a BUSY
 * object's first bytes (collapsed misses), so a grown table is published
 * (release) and the older ones stay, chained, until the object is freed:
 * every reader holds a reference.  They add up to less than the current
 * one (the table doubles).
 */
struct cache_seg_table {
	uint32_t cap;
	size_t alloc_bytes;
	struct cache_seg_table *older;
	struct cache_seg *seg[];
};

/* Workers that can wait on an object being filled (one bit each). */
#define CACHE_WAKE_WORKERS_MAX 64u
/* Objects a worker's wake ring holds (a power of two). */
#define CACHE_WAKE_RING_SIZE 1024u

/*
 * A cached response: its key, the stored head and the body in segments.
 * References: the creator holds one; the index holds one while the object
 * is in it and drops it a grace period after removal; each lookup hit and
 * each worker's non-zero segment descriptor holds one.  The last put frees
 * everything back to the arena.
 *
 * Readers of a BUSY object (collapsed waiters) load body_bytes (acquire),
 * then n_segs (acquire), then the table (rcu): the filler stores a segment
 * in the table before it counts it in n_segs, and bytes in a segment
 * before it counts them in body_bytes.
 */
struct cache_obj {
	unsigned magic;
	uint32_t state; /* enum cache_obj_state; uatomic */
	struct urcu_ref ref;
	struct cds_lfht_node node; /* in the index's table */
	struct rcu_head rcu;       /* the index's deferred put */
	struct cache_sieve_node q; /* the index's eviction queue, under lock */
	struct cache_index *ci;
	uint64_t hash;      /* gh_siphash of the key under the index's key */
	uint64_t mem_bytes; /* all of its allocations; under ci->lock */
	uint64_t body_bytes;
	uint64_t body_hint;    /* expected body length, 0 if unknown */
	uint64_t watch_mask;   /* workers waiting on it: they get wakes */
	uint64_t pending_mask; /* workers with a wake queued for it */
	bool linked;           /* in the table and queue; under ci->lock */
	uint8_t reval_busy;    /* 1 while a validation of it runs, any
	                          worker (cache_obj_reval_claim); atomic */
	uint32_t key_len;
	uint32_t n_segs;              /* acquire / release */
	struct cache_seg_table *segt; /* acquire / release; NULL: none yet */
	struct cache_head *head;      /* rcu; NULL until it is known */
	uint8_t *key;                 /* in the object's own block */
	size_t alloc_bytes;           /* of the object's own block */
};

/* ---- the index (cache_index.h) ------------------------------------------ */

#define CACHE_INDEX_MAGIC 0x63696478u

/* Counters of the index, under its lock (the insert / evict side). */
#define CACHE_INDEX_COUNTERS(X)                                          \
	X(inserts, "objects inserted")                                   \
	X(insert_collisions, "insert_unique found the key present")      \
	X(removes, "objects removed by purge or abort")                  \
	X(evictions, "objects evicted to stay within the budget")        \
	X(evict_stuck, "budget not reachable: no other object to evict") \
	X(over_budget,                                                   \
	  "appends refused: fills in flight past the budget and one object")

struct cache_index_counters {
#define CACHE_X_FIELD(name, help) uint64_t name;
	CACHE_INDEX_COUNTERS(CACHE_X_FIELD)
#undef CACHE_X_FIELD
};

/* A snapshot of the index (cache_index_stats_get). */
struct cache_index_stats {
	struct cache_index_counters c;
	uint64_t objects;      /* in the index */
	uint64_t bytes;        /* charged by objects in the index */
	uint64_t budget_bytes; /* the limit on <bytes> */
	uint64_t live_objects; /* allocated, in the index or still referenced */
	uint64_t live_bytes;   /* allocated by live objects */
	uint64_t mem_region_bytes; /* the memory region (cache_mem.h) */
	uint64_t mem_used_bytes;   /* of it handed to jemalloc so far */
	uint64_t mem_exhausted;    /* extent requests it could not meet */
};

/*
 * The index: one per process, shared by every worker.  Lookups are
 * lock-free (RCU); insert, remove and eviction take <lock>.
 */
struct cache_index {
	unsigned magic;
	unsigned arena;       /* jemalloc arena of every object and segment */
	struct cache_mem mem; /* the region the arena takes extents from */
	uint32_t n_workers;
	uint8_t hash_key[16];
	struct cds_lfht *ht;
	pthread_mutex_t lock;
	struct cache_sieve q; /* under lock */
	/* the limit on <bytes> and on one object (none grows past it):
	 * set at creation, lowered or raised back (never above the values
	 * the memory region was sized for) by cache_index_budget_set, under
	 * lock; relaxed atomic reads elsewhere */
	uint64_t budget_bytes;
	uint64_t max_obj_bytes;
	uint64_t budget_created_bytes;
	uint64_t max_obj_created_bytes;
	uint64_t bytes;   /* under lock; relaxed reads elsewhere */
	uint64_t objects; /* under lock */
	struct cache_index_counters ctr; /* under lock */
	uint64_t live_objects;           /* uatomic */
	uint64_t live_bytes;             /* uatomic */
	uint64_t wake_drops;             /* uatomic: a wake ring was full */
	uint32_t n_wake;                 /* workers with a wake ring */
	struct rte_ring **wake; /* [n_wake], multi-producer, one consumer */
};

#endif /* GH_CACHE_INDEX_TYPES_H */
