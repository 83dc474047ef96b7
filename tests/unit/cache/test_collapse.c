/*
 * lib/cache for collapsed misses: an object inserted before its response
 * (no head), its head given and replaced by RCU, waiters woken through
 * their worker's wake ring (once per change until drained, nothing lost),
 * and a waiter thread reading a BUSY object's bytes while the filler
 * appends and grows its segment table on another thread.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <criterion/criterion.h>

#include "cache/cache_index.h"
#include "cache/cache_obj.h"
#include "index_test_util.h"

static struct cache_index *ci;

static void
setup(void)
{
	ci = ct_index_start(64u << 20);
}

static void
teardown(void)
{
	ct_index_stop(ci);
}

TestSuite(cache_collapse, .init = setup, .fini = teardown);

/* A BUSY object of key number <k> without a head. */
static struct cache_obj *
placeholder(uint32_t k)
{
	uint8_t key[CACHE_KEY_MAX_BYTES];
	size_t klen = ct_key(key, k);
	struct cache_obj *o = cache_obj_create(ci, key, klen, NULL, 0, 0);

	cr_assert_not_null(o);
	return o;
}

/* Drain worker <w>'s wakes: how many; each object put. */
static unsigned
drain(uint32_t w, struct cache_obj *expect)
{
	struct cache_obj *objs[16];
	unsigned n = cache_wake_drain(ci, w, objs, 16), i;

	for (i = 0; i < n; i++) {
		cr_assert_eq(objs[i], expect);
		cache_obj_put(objs[i]);
	}
	return n;
}

Test(cache_collapse, a_placeholder_is_found_busy_and_gets_its_head_later)
{
	struct cache_obj *p = placeholder(1), *q = placeholder(1), *e = NULL;
	struct cache_obj *hit = NULL;
	uint8_t key[CACHE_KEY_MAX_BYTES];
	size_t klen = ct_key(key, 1);
	const uint8_t *h;
	uint32_t len = 99;

	cr_assert_null(cache_obj_head(p, &len));
	cr_assert_eq(len, 0);
	cr_assert_eq(cache_index_insert_unique(ci, p, &e), 0);
	cr_assert_eq(cache_index_lookup(ci, key, klen, &e), -EBUSY);
	/* the second miss finds the first's object and waits on it */
	cr_assert_eq(cache_index_insert_unique(ci, q, &e), -EEXIST);
	cr_assert_eq(e, p);
	cr_assert_eq(cache_obj_head_replace(p, "HTTP/1.1 200 OK\r\n", 17), 0);
	h = cache_obj_head(e, &len);
	cr_assert_eq(len, 17);
	cr_assert_eq(memcmp(h, "HTTP/1.1 200 OK\r\n", 17), 0);
	cr_assert_eq(cache_obj_append(p, "abc", 3), 0);
	cr_assert_eq(cache_obj_complete(p), 0);
	cr_assert_eq(cache_index_lookup(ci, key, klen, &hit), 0, "now a hit");
	cr_assert_eq(hit, p);
	cache_obj_put(hit);
	cache_obj_put(q); /* refused by the index: ours to drop */
	cache_obj_put(e);
	cache_obj_put(p);
	cache_obj_put(placeholder(2)); /* never inserted: freed at once */
}

Test(cache_collapse, a_head_replaced_is_charged_and_freed_after_a_grace_period)
{
	static const char big[] =
	    "HTTP/1.1 200 OK\r\nETag: \"v2-much-longer\"\r\n";
	struct cache_obj *o = ct_obj(ci, 3, 100, 0, 1), *e = NULL;
	struct cache_index_stats st0, st1;
	const uint8_t *old, *now;
	uint32_t len;

	cr_assert_eq(cache_index_insert_unique(ci, o, &e), 0);
	cache_index_stats_get(ci, &st0);
	old = cache_obj_head(o, &len);
	cr_assert_eq(cache_obj_head_replace(o, big, sizeof(big) - 1), 0);
	/* a reader that took the old head before still reads it: its
	 * block waits for our next quiescent state */
	cr_assert_eq(memcmp(old, "HTTP/1.1 200 OK\r\n\r\n", 19), 0);
	now = cache_obj_head(o, &len);
	cr_assert_eq(len, sizeof(big) - 1);
	cr_assert_eq(memcmp(now, big, len), 0);
	cache_index_stats_get(ci, &st1);
	cr_assert_eq(st1.bytes - st0.bytes, sizeof(big) - 1 - 19,
	             "the index is charged the difference");
	cr_assert_gt(st1.live_bytes, st1.bytes, "the old block still lives");
	ct_rcu_drain();
	cache_index_stats_get(ci, &st1);
	cr_assert_eq(st1.live_bytes, st1.bytes, "and goes after a grace");
	cr_assert_eq(cache_obj_head_replace(o, NULL, 0), -EINVAL);
	cr_assert_eq(cache_index_remove(ci, o), 0);
	cr_assert_eq(cache_obj_head_replace(o, big, 3), -ENOENT, "dead");
	cache_obj_put(o);
}

Test(cache_collapse, every_change_wakes_each_watcher_once_until_it_drains)
{
	struct cache_obj *p = placeholder(4), *e = NULL;

	cr_assert_eq(cache_index_insert_unique(ci, p, &e), 0);
	cr_assert_eq(cache_obj_append(p, "x", 1), 0);
	cr_assert_eq(drain(0, p) + drain(1, p), 0, "nobody watches yet");
	cr_assert_eq(cache_obj_watch(p, 1), 0);
	cr_assert_eq(cache_obj_watch(p, 2), -ENOTSUP, "the index has 2");
	cr_assert_eq(cache_obj_head_replace(p, "HTTP/1.1 200 OK\r\n", 17), 0);
	cr_assert_eq(cache_obj_append(p, "y", 1), 0);
	cr_assert_eq(cache_obj_append(p, "z", 1), 0);
	cr_assert_eq(drain(1, p), 1, "three changes, one wake");
	cr_assert_eq(drain(0, p), 0, "worker 0 does not watch");
	cr_assert_eq(cache_obj_append(p, "w", 1), 0);
	cr_assert_eq(drain(1, p), 1, "a change after the drain wakes again");
	cr_assert_eq(cache_obj_complete(p), 0);
	cr_assert_eq(drain(1, p), 1, "completion wakes");
	cr_assert_eq(cache_obj_watch(p, 0), 0);
	cr_assert_eq(cache_index_remove(ci, p), 0);
	cr_assert_eq(drain(0, p), 1, "removal wakes");
	cr_assert_eq(drain(1, p), 1);
	cr_assert_eq(cache_obj_state(p), CACHE_OBJ_DEAD);
	cache_obj_put(p);
}

Test(cache_collapse,
     a_full_wake_ring_drops_and_counts_and_destroy_puts_the_rest)
{
	enum { N = CACHE_WAKE_RING_SIZE + 10 };
	static struct cache_obj *objs[N];
	struct cache_index_stats st;
	unsigned i;

	for (i = 0; i < N; i++) {
		objs[i] = placeholder(100 + i);
		cr_assert_eq(cache_obj_watch(objs[i], 0), 0);
		cr_assert_eq(cache_obj_append(objs[i], "a", 1), 0);
	}
	cr_assert_eq(ci->wake_drops, N - (CACHE_WAKE_RING_SIZE - 1));
	(void)st;
	for (i = 0; i < N; i++)
		cache_obj_put(objs[i]); /* the queued wakes hold the rest */
	cr_assert_gt(ci->live_objects, 0);
	/* teardown's destroy must drop the queued references and succeed */
}

/* ---- a waiter on another thread ---------------------------------------- */

#define BIG_BODY (3u * 1024u * 1024u + 17u)
/* A waiter that hears nothing for this long lost a wake. */
#define LOST_WAKE_NS (30ull * 1000000000ull)

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct waiter_arg {
	struct cache_obj *obj;
	uint64_t wakes, read, bad;
	int watching;
};

static void *
waiter(void *arg)
{
	struct waiter_arg *a = arg;
	static uint8_t buf[CACHE_SEG_MAX_BYTES * 2];
	struct cache_obj *objs[8];
	uint64_t woken_ns = now_ns();

	rcu_register_thread();
	cr_assert_eq(cache_obj_watch(a->obj, 1), 0);
	__atomic_store_n(&a->watching, 1, __ATOMIC_RELEASE);
	for (;;) {
		unsigned n = cache_wake_drain(ci, 1, objs, 8), i;
		uint64_t have;
		enum cache_obj_state st;

		if (n == 0) {
			/* look only when woken, the first time too: a lost
			 * wake hangs here.  (It looked before its first
			 * wake: drained nothing, lost the CPU, and read the
			 * whole fill done meanwhile without a wake, so
			 * wakes > 0 failed on a loaded host.)  The bound is
			 * time since the last wake, and the waiter yields:
			 * spins counted over the whole fill grew with the
			 * time the filler waited for a CPU the spinning
			 * waiter took. */
			rcu_quiescent_state();
			if (now_ns() - woken_ns > LOST_WAKE_NS) {
				a->bad++;
				break;
			}
			sched_yield();
			continue;
		}
		woken_ns = now_ns();
		st = cache_obj_state(a->obj);
		have = cache_obj_body_len(a->obj);

		for (i = 0; i < n; i++)
			cache_obj_put(objs[i]);
		a->wakes += n;
		while (a->read < have) {
			uint64_t k = have - a->read, j;

			if (k > sizeof(buf))
				k = sizeof(buf);
			if (cache_obj_body_copy(a->obj, a->read, k, buf) != 0)
				a->bad++;
			for (j = 0; j < k; j++)
				if (buf[j] != ct_byte(7, a->read + j))
					a->bad++;
			a->read += k;
		}
		if (st != CACHE_OBJ_BUSY &&
		    a->read == cache_obj_body_len(a->obj))
			break;
		rcu_quiescent_state();
	}
	rcu_unregister_thread();
	return NULL;
}

Test(cache_collapse,
     a_waiter_reads_every_byte_while_the_filler_grows_the_object)
{
	struct waiter_arg a = {.obj = placeholder(7)};
	struct cache_obj *e = NULL;
	static uint8_t piece[1500];
	pthread_t th;
	uint64_t off = 0;

	cr_assert_eq(cache_index_insert_unique(ci, a.obj, &e), 0);
	cr_assert_eq(pthread_create(&th, NULL, waiter, &a), 0);
	while (!__atomic_load_n(&a.watching, __ATOMIC_ACQUIRE))
		rcu_quiescent_state();
	cr_assert_eq(cache_obj_head_replace(a.obj, "HTTP/1.1 200 OK\r\n", 17),
	             0);
	while (off < BIG_BODY) {
		uint64_t n = BIG_BODY - off, j;

		if (n > 1448 - (off % 7)) /* odd sizes: pieces straddle */
			n = 1448 - (off % 7);
		for (j = 0; j < n; j++)
			piece[j] = ct_byte(7, off + j);
		cr_assert_eq(cache_obj_append(a.obj, piece, n), 0);
		off += n;
		rcu_quiescent_state();
	}
	cr_assert_eq(cache_obj_complete(a.obj), 0);
	cr_assert_eq(pthread_join(th, NULL), 0);
	cr_assert_eq(a.bad, 0);
	cr_assert_eq(a.read, BIG_BODY);
	cr_assert_gt(a.wakes, 0);
	cr_assert_gt(a.obj->n_segs, 4, "the table grew while read");
	cr_assert_eq(cache_index_remove(ci, a.obj), 0);
	cache_obj_put(a.obj);
}

/* Objects being filled are never evicted, so without a bound enough fills
 * in flight would stretch the budget without limit: past the budget plus
 * one largest object, appends are refused (-ENOSPC, over_budget) and what
 * the index holds stays within that. */
Test(cache_collapse, fills_in_flight_stay_within_budget_and_one_object)
{
	const uint64_t budget = 1u << 20, max_obj = 256u << 10;
	struct cache_index *small = cache_index_create(budget, max_obj, 2);
	struct cache_obj *o[8];
	struct cache_index_stats st;
	static uint8_t piece[10 << 10];
	unsigned i, j, refused = 0;

	cr_assert_not_null(small);
	for (i = 0; i < GH_ARRAY_SIZE(o); i++) {
		uint8_t key[CACHE_KEY_MAX_BYTES];
		size_t klen = ct_key(key, i);
		struct cache_obj *e = NULL;

		o[i] = cache_obj_create(small, key, klen, "H", 1, 200u << 10);
		cr_assert_not_null(o[i]);
		cr_assert_eq(cache_index_insert_unique(small, o[i], &e), 0);
	}
	for (j = 0; j < 20; j++)
		for (i = 0; i < GH_ARRAY_SIZE(o); i++) {
			int rc = cache_obj_append(o[i], piece, sizeof(piece));

			cr_assert(rc == 0 || rc == -ENOSPC, "append: %d", rc);
			refused += rc == -ENOSPC;
			cache_index_stats_get(small, &st);
			cr_assert_leq(st.bytes, budget + max_obj,
			              "%lu bytes held",
			              (unsigned long)st.bytes);
		}
	cr_assert_gt(refused, 0, "8 fills of 200 KiB in 1 MiB all went in");
	cr_assert_gt(st.c.over_budget, 0);
	for (i = 0; i < GH_ARRAY_SIZE(o); i++) {
		(void)cache_index_remove(small, o[i]);
		cache_obj_put(o[i]);
	}
	ct_rcu_drain();
	rcu_thread_offline();
	cr_assert_eq(cache_index_destroy(small), 0);
	rcu_thread_online();
}
