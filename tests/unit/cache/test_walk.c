/*
 * lib/cache's index walk (cache_index_walk), what `gatehousectl cache
 * list` shows: every object in the table once with its key, state and
 * sizes; removed ones never; the callback stops it; and objects that stay
 * in the table are each seen exactly once while another thread inserts
 * and purges others (and the table resizes).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "cache/cache_index.h"
#include "cache/cache_obj.h"
#include "index_test_util.h"

#define N_KEYS  300u
#define CHURN_0 100000u /* key numbers of the churning thread */

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

TestSuite(cache_walk, .init = setup, .fini = teardown);

/* What one walk saw, by key number ("GET http://t/<k>", ct_key). */
struct seen {
	unsigned times[N_KEYS];
	struct cache_index_entry e[N_KEYS];
	unsigned calls;
	unsigned others;     /* keys not of the form above, or churn keys */
	unsigned stop_after; /* 0: never stop */
};

static int
record(void *arg, const struct cache_index_entry *e)
{
	static const char pre[] = "GET http://t/";
	struct seen *s = arg;
	char num[16];
	size_t n = e->key_len - (sizeof(pre) - 1);
	unsigned long k;

	s->calls++;
	if (e->key_len <= sizeof(pre) - 1 || n >= sizeof(num) ||
	    memcmp(e->key, pre, sizeof(pre) - 1) != 0) {
		s->others++;
		goto out;
	}
	memcpy(num, e->key + sizeof(pre) - 1, n);
	num[n] = '\0';
	k = strtoul(num, NULL, 10);
	if (k >= N_KEYS) {
		s->others++;
		goto out;
	}
	s->times[k]++;
	s->e[k] = *e;
	s->e[k].key = NULL; /* valid only in the callback */
out:
	return s->stop_after != 0 && s->calls == s->stop_after ? 42 : 0;
}

Test(cache_walk, empty_index_calls_nothing)
{
	struct seen s = {0};

	cr_assert_eq(cache_index_walk(ci, record, &s), 0);
	cr_assert_eq(s.calls, 0);
}

Test(cache_walk, every_object_once_with_state_and_sizes)
{
	struct cache_obj *o[N_KEYS], *e;
	struct cache_index_stats st;
	static struct seen s;
	uint64_t mem = 0;
	unsigned k;

	for (k = 0; k < N_KEYS; k++) {
		/* every third one still BUSY (being filled) */
		o[k] = ct_obj(ci, k, 1000u * k, 0, k % 3 != 0);
		cr_assert_eq(cache_index_insert_unique(ci, o[k], &e), 0);
	}
	/* removed by pointer and by key: not shown */
	cr_assert_eq(cache_index_remove(ci, o[7]), 0);
	{
		uint8_t key[CACHE_KEY_MAX_BYTES];

		cr_assert_eq(cache_index_purge(ci, key, ct_key(key, 8)), 0);
	}
	memset(&s, 0, sizeof(s));
	cr_assert_eq(cache_index_walk(ci, record, &s), 0);
	cr_assert_eq(s.others, 0);
	cr_assert_eq(s.calls, N_KEYS - 2);
	for (k = 0; k < N_KEYS; k++) {
		if (k == 7 || k == 8) {
			cr_assert_eq(s.times[k], 0, "removed %u shown", k);
			continue;
		}
		cr_assert_eq(s.times[k], 1, "key %u seen %u times", k,
		             s.times[k]);
		cr_assert_eq(s.e[k].state,
		             k % 3 != 0 ? CACHE_OBJ_COMPLETE : CACHE_OBJ_BUSY);
		cr_assert_eq(s.e[k].body_bytes, 1000u * k);
		cr_assert_eq(s.e[k].mem_bytes, o[k]->mem_bytes);
		cr_assert_gt(s.e[k].mem_bytes, s.e[k].body_bytes);
		cr_assert_eq(s.e[k].key_len, o[k]->key_len);
		mem += s.e[k].mem_bytes;
	}
	cache_index_stats_get(ci, &st);
	cr_assert_eq(mem, st.bytes, "the walk's sizes add up to the index's");
	for (k = 0; k < N_KEYS; k++)
		cache_obj_put(o[k]);
	ct_rcu_drain();
}

Test(cache_walk, callback_stops_it)
{
	struct cache_obj *o, *e;
	struct seen s = {.stop_after = 5};
	unsigned k;

	for (k = 0; k < 20; k++) {
		o = ct_obj(ci, k, 10, 0, 1);
		cr_assert_eq(cache_index_insert_unique(ci, o, &e), 0);
		cache_obj_put(o);
	}
	cr_assert_eq(cache_index_walk(ci, record, &s), 42);
	cr_assert_eq(s.calls, 5);
}

/* ---- a walk while another thread inserts and purges ---------------------- */

static volatile int churn_stop;
static unsigned churn_rounds;
static int churn_err;

static void *
churn(void *arg)
{
	uint8_t key[CACHE_KEY_MAX_BYTES];
	unsigned i = 0;

	(void)arg;
	rcu_register_thread();
	while (!__atomic_load_n(&churn_stop, __ATOMIC_ACQUIRE) ||
	       churn_rounds < 4) {
		unsigned j;

		/* 2000 objects in, then out again: the table grows and
		 * shrinks under the walker */
		for (j = 0; j < 2000; j++, i++) {
			struct cache_obj *o = ct_obj(ci, CHURN_0 + j, 64, 0, 1),
			                 *e;

			if (cache_index_insert_unique(ci, o, &e) != 0)
				churn_err = 1;
			cache_obj_put(o);
		}
		for (j = 0; j < 2000; j++)
			if (cache_index_purge(ci, key,
			                      ct_key(key, CHURN_0 + j)) != 0)
				churn_err = 2;
		rcu_quiescent_state();
		churn_rounds++;
	}
	rcu_thread_offline();
	rcu_barrier();
	rcu_unregister_thread();
	return NULL;
}

Test(cache_walk, stable_objects_seen_once_during_churn)
{
	static struct seen s;
	struct cache_obj *o, *e;
	pthread_t t;
	unsigned k, walks;

	for (k = 0; k < N_KEYS; k++) {
		o = ct_obj(ci, k, 100, 0, 1);
		cr_assert_eq(cache_index_insert_unique(ci, o, &e), 0);
		cache_obj_put(o);
	}
	churn_stop = 0;
	cr_assert_eq(pthread_create(&t, NULL, churn, NULL), 0);
	for (walks = 0; walks < 200 || churn_rounds < 2; walks++) {
		memset(&s, 0, sizeof(s));
		cr_assert_eq(cache_index_walk(ci, record, &s), 0);
		for (k = 0; k < N_KEYS; k++)
			cr_assert_eq(s.times[k], 1, "walk %u: key %u seen %u",
			             walks, k, s.times[k]);
		rcu_quiescent_state();
	}
	__atomic_store_n(&churn_stop, 1, __ATOMIC_RELEASE);
	rcu_thread_offline();
	cr_assert_eq(pthread_join(t, NULL), 0);
	rcu_thread_online();
	cr_assert_eq(churn_err, 0);
	ct_rcu_drain();
}
