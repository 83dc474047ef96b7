/*
 * lib/common object pool (gh_pool): every object handed out once before
 * any is reused, NULL when empty, LIFO reuse, the in-use count, objects
 * never handed out left untouched, and GH_VERIFY on a double put or a
 * foreign pointer.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "common/gh_common.h"
#include "common/gh_pool.h"

TestSuite(gh_pool);

struct obj {
	uint64_t a;
	uint8_t b[13];
};

static struct gh_pool pool;
static void *mem;

static void
make(uint32_t n)
{
	size_t bytes = gh_pool_bytes(n, sizeof(struct obj));

	cr_assert(bytes >= n * sizeof(struct obj) + n * sizeof(uint32_t));
	mem = calloc(1, bytes);
	cr_assert_not_null(mem);
	cr_assert_eq(gh_pool_init(&pool, mem, n, sizeof(struct obj)), 0);
}

Test(gh_pool, bad_sizes)
{
	char buf[64];

	cr_assert_eq(gh_pool_bytes(0, 8), 0);
	cr_assert_eq(gh_pool_bytes(8, 0), 0);
	cr_assert_eq(gh_pool_bytes(UINT32_MAX, 8), 0);
	cr_assert_eq(gh_pool_bytes(2, SIZE_MAX / 2), 0);
	cr_assert_eq(gh_pool_init(&pool, buf, 4, 0), -EINVAL);
	cr_assert_eq(gh_pool_init(&pool, NULL, 4, 8), -EINVAL);
	/* a pool of nothing: always empty, needs no block */
	cr_assert_eq(gh_pool_init(&pool, NULL, 0, 8), 0);
	cr_assert_null(gh_pool_get(&pool));
	cr_assert_eq(gh_pool_in_use(&pool), 0);
}

Test(gh_pool, get_all_then_null)
{
	struct obj *o[8];
	uint32_t i, j;

	make(8);
	for (i = 0; i < 8; i++) {
		o[i] = gh_pool_get(&pool);
		cr_assert_not_null(o[i]);
		cr_assert_eq(gh_pool_index(&pool, o[i]), i);
		cr_assert_eq(gh_pool_at(&pool, i), o[i]);
		cr_assert(gh_pool_idx_in_use(&pool, i));
		for (j = 0; j < i; j++)
			cr_assert_neq(o[i], o[j]);
		cr_assert_eq(gh_pool_in_use(&pool), i + 1);
	}
	cr_assert_null(gh_pool_get(&pool));
	cr_assert_eq(gh_pool_in_use(&pool), 8);
	gh_pool_put(&pool, o[3]);
	cr_assert(!gh_pool_idx_in_use(&pool, 3));
	cr_assert_eq(gh_pool_in_use(&pool), 7);
	cr_assert_eq(gh_pool_get(&pool), o[3]);
	cr_assert_null(gh_pool_get(&pool));
	free(mem);
}

Test(gh_pool, reuse_is_lifo_and_lazy)
{
	struct obj *a, *b, *c;

	make(1000);
	a = gh_pool_get(&pool);
	b = gh_pool_get(&pool);
	gh_pool_put(&pool, a);
	gh_pool_put(&pool, b);
	/* the free list first, most recent first; then a new object */
	cr_assert_eq(gh_pool_get(&pool), b);
	cr_assert_eq(gh_pool_get(&pool), a);
	c = gh_pool_get(&pool);
	cr_assert_eq(gh_pool_index(&pool, c), 2);
	/* nothing past the high-water mark was written */
	for (size_t i = 3 * sizeof(struct obj); i < 1000 * sizeof(struct obj);
	     i++)
		cr_assert_eq(((unsigned char *)mem)[i], 0);
	for (uint32_t i = 3; i < 1000; i++)
		cr_assert_eq(pool.link[i], 0);
	free(mem);
}

Test(gh_pool, objects_are_left_as_put)
{
	struct obj *a;

	make(2);
	a = gh_pool_get(&pool);
	a->a = 42;
	gh_pool_put(&pool, a);
	a = gh_pool_get(&pool);
	cr_assert_eq(a->a, 42);
	free(mem);
}

Test(gh_pool, random_against_model)
{
	enum { N = 64 };
	struct obj *held[N];
	uint32_t n_held = 0, k;
	uint64_t s = 88172645463325252ull;

	make(N);
	for (int step = 0; step < 100000; step++) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		if (s & 1) {
			struct obj *o = gh_pool_get(&pool);

			if (n_held == N) {
				cr_assert_null(o);
				continue;
			}
			cr_assert_not_null(o);
			for (k = 0; k < n_held; k++)
				cr_assert_neq(held[k], o);
			held[n_held++] = o;
		} else if (n_held > 0) {
			k = (uint32_t)(s >> 8) % n_held;
			gh_pool_put(&pool, held[k]);
			held[k] = held[--n_held];
		}
		cr_assert_eq(gh_pool_in_use(&pool), n_held);
	}
	free(mem);
}

Test(gh_pool, verify_fires_on_double_put, .signal = SIGABRT)
{
	struct obj *a;

	make(4);
	a = gh_pool_get(&pool);
	gh_pool_put(&pool, a);
	gh_pool_put(&pool, a);
}

Test(gh_pool, verify_fires_on_never_handed_out, .signal = SIGABRT)
{
	make(4);
	(void)gh_pool_get(&pool);
	gh_pool_put(&pool, gh_pool_at(&pool, 2));
}

Test(gh_pool, verify_fires_on_foreign_pointer, .signal = SIGABRT)
{
	struct obj other;

	make(4);
	(void)gh_pool_get(&pool);
	gh_pool_put(&pool, &other);
}

Test(gh_pool, verify_fires_on_misaligned_pointer, .signal = SIGABRT)
{
	make(4);
	(void)gh_pool_get(&pool);
	gh_pool_put(&pool, (char *)gh_pool_at(&pool, 0) + 1);
}
