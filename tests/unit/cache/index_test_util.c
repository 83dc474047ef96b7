/*
 * Helpers shared by lib/cache's unit tests (see index_test_util.h).
 */
#include <stdio.h>
#include <stdlib.h>

#include <criterion/criterion.h>

#include "cache/cache_obj.h"
#include "index_test_util.h"

void
ct_rcu_start(void)
{
	rcu_register_thread();
}

void
ct_rcu_drain(void)
{
	rcu_thread_offline();
	rcu_barrier();
	rcu_thread_online();
}

void
ct_rcu_stop(void)
{
	rcu_thread_offline();
	rcu_barrier();
	rcu_unregister_thread();
}

struct cache_index *
ct_index_start(uint64_t budget)
{
	struct cache_index *ci;

	ct_rcu_start();
	ci = cache_index_create(budget, budget, 2);
	cr_assert_not_null(ci);
	return ci;
}

void
ct_index_stop(struct cache_index *ci)
{
	rcu_thread_offline();
	cr_assert_eq(cache_index_destroy(ci), 0);
	rcu_thread_online();
	ct_rcu_stop();
}

size_t
ct_key(uint8_t *buf, uint32_t k)
{
	char uri[64];
	int n = snprintf(uri, sizeof(uri), "http://t/%u", k);
	int len =
	    cache_key_build(buf, CACHE_KEY_MAX_BYTES, "GET", 3, uri, (size_t)n);

	cr_assert_gt(len, 0);
	return (size_t)len;
}

struct cache_obj *
ct_obj(struct cache_index *ci, uint32_t k, uint64_t body, size_t chunk,
       int complete)
{
	static const char head[] = "HTTP/1.1 200 OK\r\n\r\n";
	uint8_t key[CACHE_KEY_MAX_BYTES];
	size_t klen = ct_key(key, k);
	struct cache_obj *obj;
	uint8_t *b;
	uint64_t i;

	obj = cache_obj_create(ci, key, klen, head, sizeof(head) - 1, 0);
	cr_assert_not_null(obj);
	if (chunk == 0)
		chunk = body > 0 ? body : 1;
	b = malloc(chunk);
	cr_assert_not_null(b);
	for (i = 0; i < body; i += chunk) {
		uint64_t n = body - i < chunk ? body - i : chunk;
		uint64_t j;

		for (j = 0; j < n; j++)
			b[j] = ct_byte(k, i + j);
		cr_assert_eq(cache_obj_append(obj, b, n), 0);
	}
	free(b);
	if (complete)
		cr_assert_eq(cache_obj_complete(obj), 0);
	return obj;
}
