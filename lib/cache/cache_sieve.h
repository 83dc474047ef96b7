/*
 * SIEVE (Zhang et al., NSDI'24): one FIFO, a hand and a visited bit per
 * node.  A hit sets the bit (cache_sieve_hit: one relaxed store, no lock,
 * any core); new nodes go in at the newest end; to evict, the hand walks
 * from the oldest end towards the newest, clearing set bits, and stops at
 * the first node whose bit is clear.
 *
 * The queue is plain data: every call but cache_sieve_hit must be made
 * under its owner's lock (lib/cache's index holds one mutex).  The
 * simulator in tests/unit/cache uses the same code.
 */
#ifndef GH_CACHE_SIEVE_H
#define GH_CACHE_SIEVE_H

#include <stdbool.h>

#include "cache/cache_index_types.h"

/* An empty queue. */
void cache_sieve_init(struct cache_sieve *q);

/* Queue <n> at the newest end with its bit clear. */
void cache_sieve_insert(struct cache_sieve *q, struct cache_sieve_node *n);

/* Take <n>, which is in <q>, out of it (the hand moves on if it was there). */
void cache_sieve_remove(struct cache_sieve *q, struct cache_sieve_node *n);

/* A hit on <n>: any core, no lock.  Writes only when the bit is clear, so
 * hot objects do not bounce their cache line between cores. */
static inline void
cache_sieve_hit(struct cache_sieve_node *n)
{
	if (!__atomic_load_n(&n->visited, __ATOMIC_RELAXED))
		__atomic_store_n(&n->visited, 1, __ATOMIC_RELAXED);
}

/*
 * The node to evict next, left in the queue (the caller removes it, and the
 * hand then points at its newer neighbour), or NULL when every node is
 * skipped.  Nodes for which <skip>(node, arg) is true are passed over with
 * their bit untouched (the index skips the object whose growth asks for
 * room).  Bounded: at most two passes over the queue.
 */
struct cache_sieve_node *
cache_sieve_victim(struct cache_sieve *q,
                   bool (*skip)(const struct cache_sieve_node *, void *),
                   void *arg);

#endif /* GH_CACHE_SIEVE_H */
