/*
 * lib/cache's index: insert_unique, lookup, remove and purge, the budget
 * kept by SIEVE eviction, and bytes going back to the arena.  No EAL: no
 * mbufs here (test_mbufs.c has them).
 */
#include <errno.h>
#include <string.h>

#include <criterion/criterion.h>

#include "cache/cache_index.h"
#include "cache/cache_obj.h"
#include "index_test_util.h"

static struct cache_index *ci;

static void
setup(void)
{
	ci = ct_index_start(1u << 20);
}

static void
teardown(void)
{
	ct_index_stop(ci);
}

TestSuite(cache_index, .init = setup, .fini = teardown);

Test(cache_index, create_rejects_bad_arguments)
{
	errno = 0;
	cr_assert_null(cache_index_create(0, 0, 1));
	cr_assert_eq(errno, EINVAL);
	cr_assert_null(cache_index_create(1024, 0, 1));
	cr_assert_null(cache_index_create(1024, 1025, 1), "object > budget");
	cr_assert_null(cache_index_create(1024, 1024, 0));
	cr_assert_null(cache_index_create(1024, 1024, 100000));
}

Test(cache_index, key_build_bounds)
{
	static char uri[CACHE_KEY_MAX_BYTES];
	uint8_t buf[CACHE_KEY_MAX_BYTES];

	memset(uri, 'a', sizeof(uri));
	cr_assert_eq(cache_key_build(buf, sizeof(buf), "GET", 3, "/x", 2), 6);
	cr_assert_eq(memcmp(buf, "GET /x", 6), 0);
	cr_assert_eq(cache_key_build(buf, sizeof(buf), "GET", 3, uri,
	                             CACHE_KEY_MAX_BYTES - 4),
	             (int)CACHE_KEY_MAX_BYTES);
	cr_assert_eq(cache_key_build(buf, sizeof(buf), "GET", 3, uri,
	                             CACHE_KEY_MAX_BYTES - 3),
	             -ENAMETOOLONG);
	cr_assert_eq(cache_key_build(buf, 4, "GET", 3, "/x", 2), -ENAMETOOLONG);
	cr_assert_eq(cache_key_build(buf, sizeof(buf), "GET", 0, "/x", 2),
	             -EINVAL);
	cr_assert_eq(cache_key_build(buf, sizeof(buf), "GET", 3, "", 0),
	             -EINVAL);
}

Test(cache_index, body_in_segments_reads_back)
{
	static uint8_t out[300000];
	const uint64_t lens[] = {0, 1, 4095, 4096, 4097, 61440, 61441, 300000};
	size_t i;

	for (i = 0; i < GH_ARRAY_SIZE(lens); i++) {
		struct cache_obj *o = ct_obj(ci, (uint32_t)i, lens[i], 1000, 1);
		uint64_t j;

		cr_assert_eq(cache_obj_body_len(o), lens[i]);
		cr_assert_eq(cache_obj_body_copy(o, 0, lens[i], out), 0);
		for (j = 0; j < lens[i]; j++)
			cr_assert_eq(out[j], ct_byte((uint32_t)i, j));
		for (j = 0; j < o->n_segs; j++)
			cr_assert_leq(o->segt->seg[j]->cap,
			              CACHE_SEG_MAX_BYTES);
		cr_assert_eq(cache_obj_body_copy(o, lens[i], 1, out), -EINVAL);
		cr_assert_eq(cache_obj_append(o, "x", 1), -EINVAL,
		             "append after complete");
		cache_obj_put(o);
	}
}

Test(cache_index, insert_unique_returns_existing)
{
	struct cache_obj *a = ct_obj(ci, 7, 100, 0, 0);
	struct cache_obj *b = ct_obj(ci, 7, 200, 0, 1);
	struct cache_obj *e = NULL, *f = NULL;
	uint8_t key[CACHE_KEY_MAX_BYTES];
	size_t klen = ct_key(key, 7);

	cr_assert_eq(cache_index_insert_unique(ci, a, &e), 0);
	cr_assert_eq(cache_index_insert_unique(ci, a, &e), -EINVAL,
	             "already in");
	cr_assert_eq(cache_index_insert_unique(ci, b, &e), -EEXIST);
	cr_assert_eq(e, a, "the BUSY placeholder comes back");
	/* BUSY: a lookup does not return it. */
	cr_assert_eq(cache_index_lookup(ci, key, klen, &f), -EBUSY);
	cr_assert_eq(cache_obj_complete(a), 0);
	cr_assert_eq(cache_index_lookup(ci, key, klen, &f), 0);
	cr_assert_eq(f, a);
	cr_assert_eq(cache_obj_body_len(f), 100);
	cache_obj_put(f);
	cache_obj_put(e);
	cache_obj_put(b);
	cache_obj_put(a);
	ct_rcu_drain();
	{
		struct cache_index_stats st;

		cache_index_stats_get(ci, &st);
		cr_assert_eq(st.objects, 1);
		cr_assert_eq(st.live_objects, 1, "only a, held by the index");
		cr_assert_eq(st.c.inserts, 1);
		cr_assert_eq(st.c.insert_collisions, 1);
	}
}

Test(cache_index, lookup_after_remove_misses)
{
	struct cache_obj *a = ct_obj(ci, 1, 5000, 0, 1);
	struct cache_obj *b = ct_obj(ci, 2, 5000, 0, 1);
	struct cache_obj *f = NULL;
	uint8_t key[CACHE_KEY_MAX_BYTES];
	size_t k1 = ct_key(key, 1);

	cr_assert_eq(cache_index_insert_unique(ci, a, &f), 0);
	cr_assert_eq(cache_index_insert_unique(ci, b, &f), 0);
	cr_assert_eq(cache_index_lookup(ci, key, k1, &f), 0);
	cache_obj_put(f);
	cr_assert_eq(cache_index_remove(ci, a), 0);
	cr_assert_eq(cache_index_remove(ci, a), -ENOENT, "one remover wins");
	cr_assert_eq(cache_obj_state(a), CACHE_OBJ_DEAD);
	cr_assert_eq(cache_index_lookup(ci, key, k1, &f), -ENOENT);
	/* a is still ours to read until we put it */
	cr_assert_eq(a->magic, CACHE_OBJ_MAGIC);
	cache_obj_put(a);
	cr_assert_eq(cache_index_purge(ci, key, ct_key(key, 2)), 0);
	cr_assert_eq(cache_index_purge(ci, key, ct_key(key, 2)), -ENOENT);
	cr_assert_eq(cache_index_lookup(ci, key, ct_key(key, 2), &f), -ENOENT);
	cr_assert_eq(cache_obj_complete(b), -EINVAL, "DEAD stays DEAD");
	cache_obj_put(b);
	cr_assert_eq(cache_index_lookup(ci, key, ct_key(key, 3), &f), -ENOENT);
}

Test(cache_index, bytes_return_to_the_arena)
{
	struct cache_index_stats st;
	uint64_t base, full, after;
	struct cache_obj *a, *e;
	int have_stats;

	have_stats = cache_index_arena_allocated(ci, &base) == 0;
	a = ct_obj(ci, 9, 500000, 1460, 1);
	cr_assert_eq(cache_index_insert_unique(ci, a, &e), 0);
	cache_index_stats_get(ci, &st);
	cr_assert_geq(st.bytes, 500000);
	cr_assert_eq(st.bytes, st.live_bytes);
	if (have_stats) {
		cr_assert_eq(cache_index_arena_allocated(ci, &full), 0);
		cr_assert_geq(full - base, 500000);
	}
	cache_obj_put(a);
	cr_assert_eq(cache_index_remove(ci, a), 0);
	cache_index_stats_get(ci, &st);
	cr_assert_eq(st.bytes, 0);
	cr_assert_gt(st.live_bytes, 0, "the index's reference waits for RCU");
	ct_rcu_drain();
	cache_index_stats_get(ci, &st);
	cr_assert_eq(st.live_bytes, 0);
	cr_assert_eq(st.live_objects, 0);
	if (have_stats) {
		cr_assert_eq(cache_index_arena_allocated(ci, &after), 0);
		cr_assert_eq(after, base);
	}
}

Test(cache_index, eviction_keeps_within_budget)
{
	const uint64_t budget = 1u << 20;
	uint64_t max_obj = 0, state = 12345;
	struct cache_index_stats st;
	struct cache_obj *hot, *e, *f;
	uint8_t key[CACHE_KEY_MAX_BYTES];
	size_t hot_len = ct_key(key, 0);
	uint32_t k;

	hot = ct_obj(ci, 0, 2000, 0, 1);
	cr_assert_eq(cache_index_insert_unique(ci, hot, &e), 0);
	cache_obj_put(hot);
	for (k = 1; k <= 400; k++) {
		struct cache_obj *o;
		uint64_t sz;

		state = state * 6364136223846793005ull + 1442695040888963407ull;
		sz = (state >> 33) % 150000;
		o = ct_obj(ci, k, sz, 1460, k % 3 != 0);
		if (o->mem_bytes > max_obj)
			max_obj = o->mem_bytes;
		cr_assert_eq(cache_index_insert_unique(ci, o, &e), 0);
		/* a BUSY one grows after insert: charged as it grows */
		if (cache_obj_state(o) == CACHE_OBJ_BUSY) {
			uint8_t more[3000];

			memset(more, 1, sizeof(more));
			cr_assert_eq(cache_obj_append(o, more, sizeof(more)),
			             0);
			if (o->mem_bytes > max_obj)
				max_obj = o->mem_bytes;
			cr_assert_eq(cache_obj_complete(o), 0);
		}
		cache_obj_put(o);
		cache_index_stats_get(ci, &st);
		cr_assert_leq(st.bytes, budget + max_obj, "%lu > %lu + %lu",
		              (unsigned long)st.bytes, (unsigned long)budget,
		              (unsigned long)max_obj);
		cr_assert_leq(st.bytes, budget, "something else was evictable");
		/* the hot object is hit between inserts: SIEVE keeps it */
		cr_assert_eq(cache_index_lookup(ci, key, hot_len, &f), 0,
		             "hot evicted at %u", k);
		cache_obj_put(f);
		rcu_quiescent_state();
	}
	cache_index_stats_get(ci, &st);
	cr_assert_gt(st.c.evictions, 100);
	cr_assert_eq(st.c.evict_stuck, 0);
	ct_rcu_drain();
	cache_index_stats_get(ci, &st);
	cr_assert_eq(st.live_objects, st.objects);
	cr_assert_eq(st.live_bytes, st.bytes);
}

Test(cache_index, objects_over_the_maximum_are_refused)
{
	static uint8_t big[CACHE_HEAD_MAX_BYTES];
	struct cache_index *small = cache_index_create(1u << 20, 64000, 2);
	uint8_t key[CACHE_KEY_MAX_BYTES];
	size_t klen = ct_key(key, 1);
	struct cache_obj *o, *e;
	uint64_t i;

	cr_assert_not_null(small);
	/* growth stops before the object's allocations pass 64000 bytes */
	o = cache_obj_create(small, key, klen, "h", 1, 0);
	cr_assert_not_null(o);
	cr_assert_eq(cache_index_insert_unique(small, o, &e), 0);
	for (i = 0; i < 100; i++)
		if (cache_obj_append(o, big, 1000) != 0)
			break;
	cr_assert_lt(i, 100);
	cr_assert_eq(cache_obj_append(o, big, 1000), -EFBIG);
	cr_assert_leq(o->mem_bytes, 64000);
	cr_assert_geq(cache_obj_body_len(o), 50000, "only %lu",
	              (unsigned long)cache_obj_body_len(o));
	cr_assert_eq(cache_index_remove(small, o), 0);
	cache_obj_put(o);
	/* a head alone over the maximum: refused at insert */
	o = cache_obj_create(small, key, klen, big, sizeof(big), 0);
	cr_assert_not_null(o);
	cr_assert_eq(cache_index_insert_unique(small, o, &e), -EFBIG);
	cache_obj_put(o);
	rcu_thread_offline();
	cr_assert_eq(cache_index_destroy(small), 0);
	rcu_thread_online();
}

/* A reload's cache-mb (issue 13 item 4): lowered, the index evicts down to
 * it at once and no object may outgrow it; never above the budget it was
 * created with (its memory region was sized for that); raised back, the
 * object limit it was created with returns. */
Test(cache_index, budget_set_live)
{
	struct cache_index_stats st;
	struct cache_obj *o, *e;
	uint32_t k;

	for (k = 1; k <= 20; k++) {
		o = ct_obj(ci, k, 40000, 0, 1);
		cr_assert_eq(cache_index_insert_unique(ci, o, &e), 0);
		cache_obj_put(o);
	}
	cache_index_stats_get(ci, &st);
	cr_assert_gt(st.bytes, 600000);
	cr_assert_eq(st.c.evictions, 0);
	cr_assert_eq(cache_index_budget_set(ci, 200000), 0);
	cache_index_stats_get(ci, &st);
	cr_assert_leq(st.bytes, 200000, "%lu bytes", (unsigned long)st.bytes);
	cr_assert_geq(st.c.evictions, 15);
	cr_assert_eq(st.budget_bytes, 200000);
	cr_assert_leq(ci->max_obj_bytes, 200000);
	cr_assert_eq(cache_index_budget_set(ci, (1u << 20) + 1), -EINVAL);
	cr_assert_eq(cache_index_budget_set(ci, 0), -EINVAL);
	cache_index_stats_get(ci, &st);
	cr_assert_eq(st.budget_bytes, 200000);
	cr_assert_eq(cache_index_budget_set(ci, 1u << 20), 0);
	cr_assert_eq(ci->max_obj_bytes, ci->max_obj_created_bytes);
	ct_rcu_drain();
}
