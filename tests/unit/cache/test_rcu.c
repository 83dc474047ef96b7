/*
 * lib/cache's index under two registered QSBR threads: one looks keys up in
 * a loop (quiescent state every round) and reads what it finds; the other
 * inserts, grows, completes, purges and evicts (a budget of a few objects).
 * A reader holding a reference must always see a live object with its own
 * key and bytes: a freed object is poisoned (magic and bytes), so a free
 * while referenced shows up as a failed check.  Bounded iterations.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "cache/cache_index.h"
#include "cache/cache_obj.h"
#include "index_test_util.h"

#define CT_KEYS     16u
#define CT_ROUNDS   20000u
#define CT_BODY_MAX 9000u
#define CT_HELD     4u

static struct cache_index *ci;
static int writer_done;

struct reader_result {
	uint64_t hits, misses, busy, bad;
};

/* <o>, referenced, is still the live object of its key (not poisoned). */
static bool
still_good(const struct cache_obj *o)
{
	uint8_t key[CACHE_KEY_MAX_BYTES];
	uint32_t k = 0, i;

	if (o->magic != CACHE_OBJ_MAGIC || o->key_len < 14 || o->key_len > 24)
		return false;
	/* "GET http://t/<k>": the digits within the key (it is not
	 * NUL-terminated, and nothing in particular follows it) */
	for (i = 13; i < o->key_len; i++) {
		if (o->key[i] < '0' || o->key[i] > '9')
			return false;
		k = k * 10 + (uint32_t)(o->key[i] - '0');
	}
	return o->key_len == ct_key(key, k) &&
	       memcmp(o->key, key, o->key_len) == 0 && o->ref.refcount >= 1;
}

static void *
reader(void *arg)
{
	struct cache_obj *held[CT_HELD] = {NULL};
	struct reader_result *r = arg;
	uint8_t key[CACHE_KEY_MAX_BYTES];
	uint8_t buf[CT_BODY_MAX];
	uint32_t i = 0;

	rcu_register_thread();
	while (!__atomic_load_n(&writer_done, __ATOMIC_ACQUIRE) ||
	       i < CT_ROUNDS) {
		uint32_t k = (i * 7u) % CT_KEYS;
		size_t klen = ct_key(key, k);
		struct cache_obj *o;
		int rc = cache_index_lookup(ci, key, klen, &o);

		if (rc == 0) {
			uint64_t len = cache_obj_body_len(o), j;

			r->hits++;
			if (o->magic != CACHE_OBJ_MAGIC || o->key_len != klen ||
			    memcmp(o->key, key, klen) != 0 ||
			    o->ref.refcount < 1 || len > CT_BODY_MAX ||
			    cache_obj_body_copy(o, 0, len, buf) != 0)
				r->bad++;
			else
				for (j = 0; j < len; j++)
					if (buf[j] != ct_byte(k, j)) {
						r->bad++;
						break;
					}
			/* hold it a few rounds while the writer works on */
			if (held[i % CT_HELD] != NULL) {
				if (!still_good(held[i % CT_HELD]))
					r->bad++;
				cache_obj_put(held[i % CT_HELD]);
			}
			held[i % CT_HELD] = o;
		} else if (rc == -EBUSY) {
			r->busy++;
		} else {
			r->misses++;
		}
		rcu_quiescent_state();
		if (++i > 50 * CT_ROUNDS)
			break; /* bound, whatever the writer does */
	}
	for (i = 0; i < CT_HELD; i++) {
		if (held[i] != NULL && !still_good(held[i]))
			r->bad++;
		cache_obj_put(held[i]);
	}
	rcu_unregister_thread();
	return NULL;
}

static void *
writer(void *arg)
{
	uint8_t key[CACHE_KEY_MAX_BYTES];
	uint64_t state = 99;
	uint32_t i;

	(void)arg;
	rcu_register_thread();
	for (i = 0; i < CT_ROUNDS; i++) {
		uint32_t k = i % CT_KEYS;
		struct cache_obj *o, *e;
		uint64_t body;

		state = state * 6364136223846793005ull + 1442695040888963407ull;
		body = (state >> 33) % CT_BODY_MAX;
		switch (i % 4) {
		case 0: /* complete, then insert */
			o = ct_obj(ci, k, body, 1000, 1);
			if (cache_index_insert_unique(ci, o, &e) == -EEXIST)
				cache_obj_put(e);
			cache_obj_put(o);
			break;
		case 1: /* insert BUSY, fill, complete */
			o = ct_obj(ci, k, 0, 0, 0);
			if (cache_index_insert_unique(ci, o, &e) == -EEXIST) {
				cache_obj_put(e);
				cache_index_remove(ci, o);
			} else {
				uint8_t b[CT_BODY_MAX];
				uint64_t j;

				for (j = 0; j < body; j++)
					b[j] = ct_byte(k, j);
				cr_assert_eq(cache_obj_append(o, b, body), 0);
				cache_obj_complete(o);
			}
			cache_obj_put(o);
			break;
		case 2: /* purge a key */
			cache_index_purge(
			    ci, key, ct_key(key, (k + CT_KEYS - 1) % CT_KEYS));
			break;
		default:
			break;
		}
		rcu_quiescent_state();
	}
	rcu_unregister_thread();
	__atomic_store_n(&writer_done, 1, __ATOMIC_RELEASE);
	return NULL;
}

Test(cache_rcu, no_free_while_referenced)
{
	struct reader_result r = {0};
	struct cache_index_stats st;
	pthread_t tr, tw;

	/* budget for a few objects only: eviction runs all the time */
	ci = cache_index_create(40000, 40000, 2);
	cr_assert_not_null(ci);
	cr_assert_eq(pthread_create(&tr, NULL, reader, &r), 0);
	cr_assert_eq(pthread_create(&tw, NULL, writer, NULL), 0);
	cr_assert_eq(pthread_join(tw, NULL), 0);
	cr_assert_eq(pthread_join(tr, NULL), 0);
	cr_assert_eq(r.bad, 0, "%lu bad reads", (unsigned long)r.bad);
	cr_assert_gt(r.hits, 0);
	cache_index_stats_get(ci, &st);
	cr_assert_gt(st.c.evictions, 0);
	cr_assert_gt(st.c.removes, 0);
	cr_assert_leq(st.bytes, 40000 + CT_BODY_MAX + 4096);
	cr_assert_eq(cache_index_destroy(ci), 0, "every reference went back");
}
