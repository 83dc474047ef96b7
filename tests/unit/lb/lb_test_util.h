/*
 * Helpers shared by lib/lb's tests: a pool, its health and one worker
 * made at once (every test checks they were made), and a fixed-seed
 * random generator so a failure reproduces.
 */
#ifndef GH_LB_TEST_UTIL_H
#define GH_LB_TEST_UTIL_H

#include <criterion/criterion.h>
#include <stdint.h>

#include "lb/lb.h"

struct lb_t {
	struct lb_pool *p;
	struct lb_health *h;
	struct lb_worker *w;
};

/* Health settings the tests start from: checks rise 2 / fall 3, eject
 * after 3 failures or 5 5xx, 1 s doubling to 8 s. */
static inline struct lb_health_params
lb_t_params(void)
{
	struct lb_health_params hp = {
	    .rise = 2,
	    .fall = 3,
	    .eject_fails = 3,
	    .eject_5xx = 5,
	    .eject_base_ms = 1000,
	    .eject_max_ms = 8000,
	    .start_down = false,
	};

	return hp;
}

/* Ids 1000 + i unless <ids> is given. */
static inline struct lb_t
lb_t_make(enum lb_algo algo, const uint32_t *weights, const uint64_t *ids,
          unsigned n, unsigned n_workers, const uint32_t *max_conns)
{
	struct lb_health_params hp = lb_t_params();
	uint64_t def[LB_SERVERS_MAX];
	struct lb_t t;

	for (unsigned i = 0; i < n && i < LB_SERVERS_MAX; i++)
		def[i] = 1000 + i;
	t.p = lb_pool_new(algo, weights, ids != NULL ? ids : def, n);
	cr_assert_not_null(t.p);
	t.h = lb_health_new(n, &hp);
	cr_assert_not_null(t.h);
	t.w = lb_worker_new(t.p, n_workers, 0, max_conns);
	cr_assert_not_null(t.w);
	return t;
}

static inline void
lb_t_free(struct lb_t *t)
{
	lb_worker_free(t->w);
	lb_health_free(t->h);
	lb_pool_free(t->p);
}

/* splitmix64: the tests' keys. */
static inline uint64_t
lb_t_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

#endif /* GH_LB_TEST_UTIL_H */
