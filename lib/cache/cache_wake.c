/*
 * Wakes for collapsed misses (see cache_obj.h): a worker waiting on an
 * object being filled sets its bit in the object's watch mask; whoever
 * makes progress on the object (a head, body bytes, completion, removal)
 * queues the object once on each watching worker's wake ring, and the
 * worker drains its ring in its loop.  No lock and no polling of objects:
 * a worker looks at an object again only when something happened to it.
 *
 * The pending mask makes a wake idempotent: a worker's bit is set when
 * the object is queued on its ring and cleared by the worker when it
 * dequeues it, before it reads the object's progress, so a change made
 * after the read queues it again and none is lost.  A queued object holds
 * one reference.  A full ring drops the wake (counted in wake_drops); the
 * waiter's own timer is its backstop.
 */
#include <errno.h>
#include <stdio.h>

#include <jemalloc/jemalloc.h>
#include <rte_ring.h>

#include "cache/cache_index.h"
#include "cache/cache_index_priv.h"
#include "cache/cache_obj.h"

int
cache_wake_init(struct cache_index *ci)
{
	uint32_t n = RTE_MIN(ci->n_workers, CACHE_WAKE_WORKERS_MAX), w;
	ssize_t sz = rte_ring_get_memsize(CACHE_WAKE_RING_SIZE);
	char name[RTE_RING_NAMESIZE];

	if (sz < 0)
		return (int)sz;
	ci->wake = calloc(n, sizeof(*ci->wake));
	if (ci->wake == NULL)
		return -ENOMEM;
	for (w = 0; w < n; w++) {
		struct rte_ring *r =
		    mallocx((size_t)sz, MALLOCX_ALIGN(RTE_CACHE_LINE_SIZE));
		int rc;

		if (r == NULL) {
			cache_wake_fini(ci);
			return -ENOMEM;
		}
		snprintf(name, sizeof(name), "cwake%u", w);
		rc =
		    rte_ring_init(r, name, CACHE_WAKE_RING_SIZE, RING_F_SC_DEQ);
		ci->wake[ci->n_wake++] = r;
		if (rc != 0) {
			cache_wake_fini(ci);
			return rc;
		}
	}
	return 0;
}

void
cache_wake_fini(struct cache_index *ci)
{
	struct cache_obj *obj;
	uint32_t w;

	for (w = 0; w < ci->n_wake; w++) {
		while (rte_ring_sc_dequeue(ci->wake[w], (void **)&obj) == 0)
			cache_obj_put(obj);
		dallocx(ci->wake[w], 0);
	}
	free(ci->wake);
	ci->wake = NULL;
	ci->n_wake = 0;
}

int
cache_obj_watch(struct cache_obj *obj, uint32_t worker)
{
	GH_CHECK_OBJ_NOTNULL(obj, CACHE_OBJ_MAGIC);
	if (worker >= obj->ci->n_wake)
		return -ENOTSUP;
	__atomic_fetch_or(&obj->watch_mask, UINT64_C(1) << worker,
	                  __ATOMIC_SEQ_CST);
	return 0;
}

void
cache_obj_notify(struct cache_obj *obj)
{
	struct cache_index *ci = obj->ci;
	uint64_t mask = __atomic_load_n(&obj->watch_mask, __ATOMIC_SEQ_CST);

	while (mask != 0) {
		uint32_t w = (uint32_t)__builtin_ctzll(mask);
		uint64_t bit = UINT64_C(1) << w;

		mask &= mask - 1;
		if (__atomic_fetch_or(&obj->pending_mask, bit,
		                      __ATOMIC_SEQ_CST) &
		    bit)
			continue; /* queued already, not dequeued yet */
		cache_obj_get(obj);
		if (rte_ring_mp_enqueue(ci->wake[w], obj) != 0) {
			__atomic_fetch_and(&obj->pending_mask, ~bit,
			                   __ATOMIC_SEQ_CST);
			uatomic_inc(&ci->wake_drops);
			cache_obj_put(obj);
		}
	}
}

unsigned
cache_wake_drain(struct cache_index *ci, uint32_t worker,
                 struct cache_obj **objs, unsigned max)
{
	unsigned n, i;

	GH_CHECK_OBJ_NOTNULL(ci, CACHE_INDEX_MAGIC);
	if (worker >= ci->n_wake)
		return 0;
	n = rte_ring_sc_dequeue_burst(ci->wake[worker], (void **)objs, max,
	                              NULL);
	for (i = 0; i < n; i++)
		__atomic_fetch_and(&objs[i]->pending_mask,
		                   ~(UINT64_C(1) << worker), __ATOMIC_SEQ_CST);
	return n;
}
