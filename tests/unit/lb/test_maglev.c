/*
 * lib/lb's Maglev table (LB_URI_HASH): shares follow the weights, a
 * server leaving moves only its own keys and spreads them, a server added
 * takes about its share and no more, and the order servers are listed in
 * does not matter.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "common/gh_common.h"
#include "lb_test_util.h"

TestSuite(lb_maglev);

#define KEYS 1000000u

/* Relative tolerances (of the expected count), stated once:
 *  SHARE: a server's share of 1,000,000 keys against its weight's share;
 *    the table gives each server its weight's slots to within a slot or
 *    two of ~1,200 or more, and 1,000,000 keys add ~0.3% of noise;
 *  SPREAD: a leaving server's keys received by each other server against
 *    that server's weight share among the rest; the cases below leave
 *    each other server 900 keys or more, whose noise is ~3%. */
#define TOL_SHARE  0.05
#define TOL_SPREAD 0.10
/* Keys that move when one server is added to N: at most 1/(N+1) + 3%. */
#define ADD_SLACK 0.03

static uint8_t map_a[KEYS], map_b[KEYS];

/* The index each of the KEYS keys goes to (seeded, so reproducible). */
static void
map_keys(struct lb_t *t, uint8_t *map)
{
	uint64_t seed = 42;

	for (unsigned k = 0; k < KEYS; k++) {
		int s = lb_pick(t->w, t->p, t->h, lb_t_rand(&seed), 0, 0);

		cr_assert(s >= 0, "key %u: %d", k, s);
		map[k] = (uint8_t)s;
	}
}

static const uint32_t w_equal[11] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
static const uint32_t w_unequal[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
static const uint32_t w_mixed[10] = {100, 1, 37, 256, 7, 7, 50, 3, 200, 9};
static const unsigned sizes[] = {3, 5, 10};

static void
check_shares(const uint32_t *wt, unsigned n)
{
	struct lb_t t = lb_t_make(LB_URI_HASH, wt, NULL, n, 1, NULL);
	unsigned count[10] = {0};
	double total = 0;

	map_keys(&t, map_a);
	for (unsigned k = 0; k < KEYS; k++)
		count[map_a[k]]++;
	for (unsigned i = 0; i < n; i++)
		total += wt[i];
	for (unsigned i = 0; i < n; i++) {
		double want = KEYS * wt[i] / total;

		cr_expect(count[i] >= want * (1 - TOL_SHARE) &&
		              count[i] <= want * (1 + TOL_SHARE),
		          "n %u server %u weight %u: %u keys, want %.0f +-5%%",
		          n, i, wt[i], count[i], want);
	}
	lb_t_free(&t);
}

Test(lb_maglev, shares_follow_weights)
{
	for (unsigned k = 0; k < GH_ARRAY_SIZE(sizes); k++) {
		check_shares(w_equal, sizes[k]);
		check_shares(w_unequal, sizes[k]);
		check_shares(w_mixed, sizes[k]);
	}
}

/* Server <gone> unusable: no key of another server moves; its keys go to
 * the others, each about its weight's share of them. */
static void
check_removal(const uint32_t *wt, unsigned n, unsigned gone)
{
	struct lb_t t = lb_t_make(LB_URI_HASH, wt, NULL, n, 1, NULL);
	unsigned got[10] = {0}, moved_other = 0, orphans = 0;
	double rest = 0;

	map_keys(&t, map_a);
	lb_health_admin(t.h, gone, false);
	map_keys(&t, map_b);
	for (unsigned k = 0; k < KEYS; k++) {
		cr_assert_neq(map_b[k], gone);
		if (map_a[k] != gone) {
			moved_other += map_a[k] != map_b[k];
			continue;
		}
		orphans++;
		got[map_b[k]]++;
	}
	cr_expect_eq(moved_other, 0, "n %u: %u keys of others moved", n,
	             moved_other);
	for (unsigned i = 0; i < n; i++)
		rest += i != gone ? wt[i] : 0;
	for (unsigned i = 0; i < n; i++) {
		double want = orphans * wt[i] / rest;

		if (i == gone)
			continue;
		cr_expect(got[i] >= want * (1 - TOL_SPREAD) &&
		              got[i] <= want * (1 + TOL_SPREAD),
		          "n %u without %u: server %u (weight %u) got %u of "
		          "%u keys, want %.0f +-10%%",
		          n, gone, i, wt[i], got[i], orphans, want);
	}
	lb_t_free(&t);
}

Test(lb_maglev, removal_moves_only_its_keys)
{
	for (unsigned k = 0; k < GH_ARRAY_SIZE(sizes); k++) {
		unsigned n = sizes[k];

		check_removal(w_equal, n, 0);
		check_removal(w_equal, n, n - 1);
		check_removal(w_unequal, n, n / 2);
		check_removal(w_mixed, n, n == 3 ? 0 : 3); /* the heaviest */
	}
}

/* Two servers out at once, and a retry's exclusion: the same rule. */
Test(lb_maglev, exclusion_moves_only_excluded_keys)
{
	struct lb_t t = lb_t_make(LB_URI_HASH, w_unequal, NULL, 10, 1, NULL);
	uint64_t seed = 42;

	map_keys(&t, map_a);
	lb_health_admin(t.h, 3, false);
	for (unsigned k = 0; k < KEYS; k++) {
		int s = lb_pick(t.w, t.p, t.h, lb_t_rand(&seed), 1u << 7, 0);

		cr_assert(s >= 0 && s != 3 && s != 7);
		if (map_a[k] != 3 && map_a[k] != 7)
			cr_assert_eq(s, map_a[k], "key %u moved", k);
	}
	lb_t_free(&t);
}

/* A pool rebuilt with one more server (a new id): at most
 * 1/(N+1) + 3% of the keys change server, and all that move go to the
 * new one. */
Test(lb_maglev, adding_moves_about_one_share)
{
	uint64_t ids[11];

	for (unsigned i = 0; i < 11; i++)
		ids[i] = 0x5eed0000ull + 977 * i;
	for (unsigned k = 0; k < GH_ARRAY_SIZE(sizes); k++) {
		unsigned n = sizes[k], moved = 0, to_new = 0;
		struct lb_t a =
		    lb_t_make(LB_URI_HASH, w_equal, ids, n, 1, NULL);
		struct lb_t b =
		    lb_t_make(LB_URI_HASH, w_equal, ids, n + 1, 1, NULL);
		double bound = 1.0 / (n + 1) + ADD_SLACK;

		map_keys(&a, map_a);
		map_keys(&b, map_b);
		for (unsigned i = 0; i < KEYS; i++) {
			moved += map_a[i] != map_b[i];
			to_new += map_b[i] == n;
		}
		cr_expect(moved <= bound * KEYS,
		          "n %u -> %u: %u keys moved, bound %.0f", n, n + 1,
		          moved, bound * KEYS);
		cr_expect(to_new <= moved, "the new server's keys all moved");
		lb_t_free(&a);
		lb_t_free(&b);
	}
}

/* The same ids listed in another order: every key goes to the same id. */
Test(lb_maglev, order_does_not_matter)
{
	const uint64_t ids[5] = {11, 99, 4242, 7, 123456789};
	const uint32_t wt[5] = {3, 1, 4, 1, 5};
	const unsigned perm[5] = {3, 0, 4, 2, 1};
	uint64_t ids2[5];
	uint32_t wt2[5];

	for (unsigned i = 0; i < 5; i++) {
		ids2[i] = ids[perm[i]];
		wt2[i] = wt[perm[i]];
	}
	struct lb_t a = lb_t_make(LB_URI_HASH, wt, ids, 5, 1, NULL);
	struct lb_t b = lb_t_make(LB_URI_HASH, wt2, ids2, 5, 1, NULL);

	map_keys(&a, map_a);
	map_keys(&b, map_b);
	for (unsigned k = 0; k < KEYS; k++)
		cr_assert_eq(ids[map_a[k]], ids2[map_b[k]], "key %u", k);
	lb_t_free(&a);
	lb_t_free(&b);
}

/* One server and nothing usable: -ENOENT at once, whatever the key. */
Test(lb_maglev, none_usable)
{
	const uint32_t wt[1] = {1};
	struct lb_t t = lb_t_make(LB_URI_HASH, wt, NULL, 1, 1, NULL);

	cr_assert_eq(lb_pick(t.w, t.p, t.h, 12345, 0, 0), 0);
	lb_health_admin(t.h, 0, false);
	for (uint64_t k = 0; k < 1000; k++)
		cr_assert_eq(lb_pick(t.w, t.p, t.h, k * 7919, 0, 0), -ENOENT);
	lb_t_free(&t);
}
