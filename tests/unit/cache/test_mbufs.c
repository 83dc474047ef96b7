/*
 * lib/cache's zero-copy send path: cache_obj_body_mbufs attaches the
 * object's segments to mbufs as external buffers.  Checks that the chain
 * carries exactly the object's bytes, from the segments themselves, and
 * that references follow the mbufs: an object purged while mbufs point
 * into it stays readable until the last one is freed, then every byte goes
 * back to the arena.  Starts EAL (gh_test_eal, no hugepages).
 */
#include <errno.h>
#include <string.h>

#include <criterion/criterion.h>
#include <rte_eal.h>
#include <rte_mbuf.h>
#include <rte_memory.h>

#include "cache/cache_index.h"
#include "cache/cache_mem.h"
#include "cache/cache_obj.h"
#include "index_test_util.h"
#include "tests/unit/common/gh_test_eal.h"

#define CT_BODY 200000u

static struct cache_index *ci;
static struct rte_mempool *pool;

static void
setup(void)
{
	gh_test_eal_start(256);
	pool = rte_pktmbuf_pool_create("ct_pool", 4095, 0, 0, 0, SOCKET_ID_ANY);
	cr_assert_not_null(pool);
	ci = ct_index_start(16u << 20);
}

static void
teardown(void)
{
	ct_index_stop(ci);
}

TestSuite(cache_mbufs, .init = setup, .fini = teardown);

/* <m> carries body bytes [off, off + len) of key number <k>, each segment
 * pointing into one of <obj>'s segments. */
static void
check_chain(const struct cache_obj *obj, uint32_t k, struct rte_mbuf *m,
            uint64_t off, uint64_t len)
{
	struct rte_mbuf *s;
	uint64_t pos = off;
	uint16_t n = 0;

	cr_assert_eq(m->pkt_len, len);
	for (s = m; s != NULL; s = s->next, n++) {
		const uint8_t *p = rte_pktmbuf_mtod(s, const uint8_t *);
		uint32_t i, j;
		int inside = 0;

		cr_assert(RTE_MBUF_HAS_EXTBUF(s));
		cr_assert_gt(s->data_len, 0);
		for (j = 0; j < obj->n_segs; j++)
			if (p >= obj->segt->seg[j]->data &&
			    p + s->data_len <= obj->segt->seg[j]->data +
			                           obj->segt->seg[j]->len)
				inside = 1;
		cr_assert(inside, "segment %u is not in the object", n);
		for (i = 0; i < s->data_len; i++, pos++)
			cr_assert_eq(p[i], ct_byte(k, pos), "byte %lu",
			             (unsigned long)pos);
	}
	cr_assert_eq(n, m->nb_segs);
	cr_assert_eq(pos, off + len);
}

Test(cache_mbufs, chains_carry_exactly_the_bytes)
{
	struct cache_obj *o = ct_obj(ci, 3, CT_BODY, 1460, 1);
	uint64_t ranges[][2] = {
	    {0, 1},
	    {0, CT_BODY},
	    {4095, 2},
	    {4000, 10000},
	    {61439, 3},
	    {CT_BODY - 1, 1},
	    {12345, CT_BODY - 12345},
	    {100000, 65536},
	};
	size_t i;

	cr_assert_gt(o->n_segs, 3);
	for (i = 0; i < GH_ARRAY_SIZE(ranges); i++) {
		struct rte_mbuf *m = cache_obj_body_mbufs(
		    o, (uint32_t)(i % 2), ranges[i][0], ranges[i][1], pool);

		cr_assert_not_null(m, "range %zu: errno %d", i, errno);
		check_chain(o, 3, m, ranges[i][0], ranges[i][1]);
		rte_pktmbuf_free(m);
	}
	cr_assert_eq(o->ref.refcount, 1, "only ours once the mbufs are gone");
	cache_obj_put(o);
}

Test(cache_mbufs, bad_requests_are_refused)
{
	struct cache_obj *busy = ct_obj(ci, 4, 1000, 0, 0);
	struct cache_obj *o = ct_obj(ci, 5, 1000, 0, 1);
	struct rte_mbuf *m;

	/* a BUSY object's written bytes may be read (collapsed waiters),
	 * not one byte more; a DEAD one's still, while referenced */
	m = cache_obj_body_mbufs(busy, 0, 0, 1000, pool);
	cr_assert_not_null(m);
	rte_pktmbuf_free(m);
	errno = 0;
	cr_assert_null(cache_obj_body_mbufs(busy, 0, 0, 1001, pool));
	cr_assert_eq(errno, EINVAL);
	(void)cache_index_remove(ci, busy);
	cr_assert_eq(cache_obj_state(busy), CACHE_OBJ_DEAD);
	m = cache_obj_body_mbufs(busy, 0, 0, 10, pool);
	cr_assert_not_null(m, "dead, referenced");
	rte_pktmbuf_free(m);
	cr_assert_null(cache_obj_body_mbufs(o, 2, 0, 10, pool), "worker");
	cr_assert_null(cache_obj_body_mbufs(o, 0, 0, 0, pool), "empty");
	cr_assert_null(cache_obj_body_mbufs(o, 0, 990, 11, pool), "past end");
	cr_assert_null(cache_obj_body_mbufs(o, 0, 1001, 1, pool), "past end");
	cr_assert_eq(rte_mempool_in_use_count(pool), 0);
	cr_assert_eq(o->ref.refcount, 1);
	cache_obj_put(busy);
	cache_obj_put(o);
}

Test(cache_mbufs, one_object_reference_per_worker_and_segment)
{
	struct cache_obj *o = ct_obj(ci, 6, 1000, 0, 1);
	struct rte_mbuf *a[3], *b;
	int i;

	cr_assert_eq(o->n_segs, 1);
	for (i = 0; i < 3; i++) {
		a[i] = cache_obj_body_mbufs(o, 0, 0, 1000, pool);
		cr_assert_not_null(a[i]);
	}
	cr_assert_eq(o->ref.refcount, 2, "ours + worker 0's descriptor");
	cr_assert_eq(rte_mbuf_ext_refcnt_read(&o->segt->seg[0]->shinfo[0]), 3);
	b = cache_obj_body_mbufs(o, 1, 10, 20, pool);
	cr_assert_not_null(b);
	cr_assert_eq(o->ref.refcount, 3, "+ worker 1's");
	for (i = 0; i < 3; i++)
		rte_pktmbuf_free(a[i]);
	cr_assert_eq(o->ref.refcount, 2);
	rte_pktmbuf_free(b);
	cr_assert_eq(o->ref.refcount, 1);
	/* a descriptor back at 0 is taken again from scratch */
	b = cache_obj_body_mbufs(o, 0, 0, 1, pool);
	cr_assert_eq(o->ref.refcount, 2);
	rte_pktmbuf_free(b);
	cache_obj_put(o);
}

Test(cache_mbufs, purged_while_sending_stays_readable)
{
	uint8_t key[CACHE_KEY_MAX_BYTES];
	struct cache_index_stats st;
	struct cache_obj *o, *e, *f;
	struct rte_mbuf *m0, *m1;
	uint64_t base = 0, now = 0;
	int have_stats;

	have_stats = cache_index_arena_allocated(ci, &base) == 0;
	o = ct_obj(ci, 8, CT_BODY, 4000, 1);
	cr_assert_eq(cache_index_insert_unique(ci, o, &e), 0);
	cache_obj_put(o); /* the index holds it now */
	cr_assert_eq(cache_index_lookup(ci, key, ct_key(key, 8), &f), 0);
	m0 = cache_obj_body_mbufs(f, 0, 0, CT_BODY, pool);
	m1 = cache_obj_body_mbufs(f, 1, 70000, 1000, pool);
	cr_assert_not_null(m0);
	cr_assert_not_null(m1);
	cache_obj_put(f); /* the hit is done; the mbufs are in flight */
	cr_assert_eq(cache_index_purge(ci, key, ct_key(key, 8)), 0);
	cr_assert_eq(cache_index_lookup(ci, key, ct_key(key, 8), &f), -ENOENT);
	ct_rcu_drain(); /* the index's reference is gone too */
	cache_index_stats_get(ci, &st);
	cr_assert_eq(st.objects, 0);
	cr_assert_eq(st.bytes, 0);
	cr_assert_eq(st.live_objects, 1, "held by the mbufs");
	cr_assert_gt(st.live_bytes, CT_BODY);
	cr_assert_eq(o->magic, CACHE_OBJ_MAGIC);
	check_chain(o, 8, m0, 0, CT_BODY);
	check_chain(o, 8, m1, 70000, 1000);
	rte_pktmbuf_free(m0);
	cache_index_stats_get(ci, &st);
	cr_assert_eq(st.live_objects, 1, "worker 1 still sends");
	check_chain(o, 8, m1, 70000, 1000);
	rte_pktmbuf_free(m1);
	cache_index_stats_get(ci, &st);
	cr_assert_eq(st.live_objects, 0);
	cr_assert_eq(st.live_bytes, 0);
	if (have_stats) {
		cr_assert_eq(cache_index_arena_allocated(ci, &now), 0);
		cr_assert_eq(now, base, "arena %lu, was %lu",
		             (unsigned long)now, (unsigned long)base);
	}
	cr_assert_eq(rte_mempool_in_use_count(pool), 0);
}

Test(cache_mbufs, refusals_leave_nothing_attached)
{
	struct rte_mempool *tiny =
	    rte_pktmbuf_pool_create("ct_tiny", 3, 0, 0, 0, SOCKET_ID_ANY);
	struct cache_obj *o = ct_obj(ci, 10, CT_BODY, 0, 1);
	struct rte_mbuf *m;

	cr_assert_not_null(tiny);
	cr_assert_gt(o->n_segs, 3);
	/* pool runs dry half way through the chain */
	errno = 0;
	cr_assert_null(cache_obj_body_mbufs(o, 0, 0, CT_BODY, tiny));
	cr_assert_eq(errno, ENOMEM);
	cr_assert_eq(rte_mempool_in_use_count(tiny), 0);
	cr_assert_eq(o->ref.refcount, 1);
	cr_assert_eq(rte_mbuf_ext_refcnt_read(&o->segt->seg[0]->shinfo[0]), 0);
	/* a worker's descriptor at DPDK's 16-bit limit */
	m = cache_obj_body_mbufs(o, 0, 0, 10, pool);
	cr_assert_not_null(m);
	rte_mbuf_ext_refcnt_set(&o->segt->seg[0]->shinfo[0], UINT16_MAX);
	errno = 0;
	cr_assert_null(cache_obj_body_mbufs(o, 0, 0, 10, pool));
	cr_assert_eq(errno, ENOBUFS);
	rte_mbuf_ext_refcnt_set(&o->segt->seg[0]->shinfo[0], 1);
	rte_pktmbuf_free(m);
	cr_assert_eq(o->ref.refcount, 1);
	cache_obj_put(o);
	rte_mempool_free(tiny);
}

Test(cache_mbufs, destroy_waits_for_mbufs_in_flight)
{
	struct cache_index *own = cache_index_create(1u << 20, 1u << 20, 1);
	struct cache_obj *o, *e;
	struct rte_mbuf *m;

	cr_assert_not_null(own);
	o = ct_obj(own, 11, 5000, 0, 1);
	cr_assert_eq(cache_index_insert_unique(own, o, &e), 0);
	m = cache_obj_body_mbufs(o, 0, 0, 5000, pool);
	cr_assert_not_null(m);
	cache_obj_put(o);
	rcu_thread_offline();
	cr_assert_eq(cache_index_destroy(own), -EBUSY);
	rcu_thread_online();
	check_chain(o, 11, m, 0, 5000);
	rte_pktmbuf_free(m);
	rcu_thread_offline();
	cr_assert_eq(cache_index_destroy(own), 0);
	rcu_thread_online();
}

/* Every allocation of the index (objects, heads, segment tables,
 * segments) comes from its one memory region, which is what is
 * registered with DPDK and DMA-mapped for the NICs. */
Test(cache_mbufs, every_allocation_is_in_the_region)
{
	struct cache_obj *o[8];
	uint32_t k, j;

	for (k = 0; k < GH_ARRAY_SIZE(o); k++) {
		o[k] = ct_obj(ci, k, CT_BODY, 1460, 1);
		cr_assert(cache_mem_contains(&ci->mem, o[k], sizeof(*o[k])));
		cr_assert(cache_mem_contains(&ci->mem, o[k]->segt,
		                             sizeof(*o[k]->segt)));
		for (j = 0; j < o[k]->n_segs; j++) {
			const struct cache_seg *s = o[k]->segt->seg[j];

			cr_assert(cache_mem_contains(&ci->mem, s, sizeof(*s)));
			cr_assert(cache_mem_contains(&ci->mem, s->data, s->cap),
			          "object %u segment %u outside the region", k,
			          j);
		}
	}
	cr_assert_eq(ci->mem.exhausted, 0);
	for (k = 0; k < GH_ARRAY_SIZE(o); k++)
		cache_obj_put(o[k]);
}

/* The region registered with DPDK: external memory that EAL knows (a
 * NIC's IOVA for a segment is its address), once only; no device here
 * takes a DMA mapping (--no-pci), so none is mapped. */
Test(cache_mbufs, region_registered_with_dpdk)
{
	struct cache_obj *o = ct_obj(ci, 1, CT_BODY, 1460, 1);
	const struct rte_memseg_list *msl;
	const uint8_t *data = o->segt->seg[0]->data;
	int rc = cache_index_dma_register(ci);

	cr_log_info("IOVA mode %s",
	            rte_eal_iova_mode() == RTE_IOVA_VA ? "VA" : "PA");

	if (rte_eal_iova_mode() != RTE_IOVA_VA) { /* vdevs only: nothing */
		cr_assert_eq(rc, 0);
		cache_obj_put(o);
		return;
	}
	cr_assert_eq(rc, 0, "register: %d", rc);
	msl = rte_mem_virt2memseg_list(data);
	cr_assert_not_null(msl, "EAL does not know the segment's memory");
	cr_assert(msl->external);
	cr_assert_eq(rte_mem_virt2iova(data), (rte_iova_t)(uintptr_t)data);
	cr_assert_eq(o->segt->seg[0]->iova, (rte_iova_t)(uintptr_t)data);
	cr_assert_eq(cache_index_dma_register(ci), -EALREADY);
	cache_obj_put(o);
}
