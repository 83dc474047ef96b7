/*
 * lib/lb picks without the hash: smooth weighted round-robin (exact
 * counts per cycle, no runs, skips), least outstanding per weight (ties
 * shared), each worker's share of max-conns, -EBUSY and -ENOENT, and the
 * constructors' refusals.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>

#include "common/gh_common.h"
#include "lb_test_util.h"

TestSuite(lb_pick);

/* Each cycle of sum(weights) picks gives each server exactly its weight,
 * for several weight sets, over 20 cycles in a row. */
Test(lb_pick, wrr_cycle_counts_exact)
{
	static const uint32_t sets[][4] = {
	    {5, 1, 1, 0},   {3, 2, 1, 1}, {1, 1, 1, 1},
	    {256, 1, 7, 0}, {2, 3, 0, 0},
	};

	for (unsigned k = 0; k < GH_ARRAY_SIZE(sets); k++) {
		unsigned n = 0, total = 0;

		while (n < 4 && sets[k][n] != 0)
			total += sets[k][n++];
		struct lb_t t =
		    lb_t_make(LB_ROUND_ROBIN, sets[k], NULL, n, 1, NULL);
		for (unsigned c = 0; c < 20; c++) {
			unsigned count[4] = {0};

			for (unsigned i = 0; i < total; i++) {
				int s = lb_pick(t.w, t.p, t.h, 0, 0, 0);

				cr_assert(s >= 0 && (unsigned)s < n);
				count[s]++;
			}
			for (unsigned i = 0; i < n; i++)
				cr_expect_eq(count[i], sets[k][i],
				             "set %u cycle %u server %u: %u, "
				             "weight %u",
				             k, c, i, count[i], sets[k][i]);
		}
		lb_t_free(&t);
	}
}

/* nginx's example: weights 5,1,1 give a a b a c a a, never b b or c c. */
Test(lb_pick, wrr_smooth)
{
	const uint32_t wt[] = {5, 1, 1};
	const int want[] = {0, 0, 1, 0, 2, 0, 0};
	struct lb_t t = lb_t_make(LB_ROUND_ROBIN, wt, NULL, 3, 1, NULL);
	int prev = -1;

	for (unsigned i = 0; i < 700; i++) {
		int s = lb_pick(t.w, t.p, t.h, 0, 0, 0);

		cr_assert_eq(s, want[i % 7], "pick %u: %d", i, s);
		cr_assert(!(s != 0 && s == prev), "server %d twice in a row",
		          s);
		prev = s;
	}
	lb_t_free(&t);
}

/* With weights 8,1,1,1 no weight-1 server is picked twice in a row. */
Test(lb_pick, wrr_light_servers_never_twice)
{
	const uint32_t wt[] = {8, 1, 1, 1};
	struct lb_t t = lb_t_make(LB_ROUND_ROBIN, wt, NULL, 4, 1, NULL);
	int prev = -1;

	for (unsigned i = 0; i < 1100; i++) {
		int s = lb_pick(t.w, t.p, t.h, 0, 0, 0);

		cr_assert(s >= 0);
		cr_assert(!(s != 0 && s == prev), "pick %u: %d again", i, s);
		prev = s;
	}
	lb_t_free(&t);
}

/* Excluded and unusable servers are skipped; the others keep their
 * weights among themselves. */
Test(lb_pick, wrr_skips)
{
	const uint32_t wt[] = {3, 2, 1, 4};
	struct lb_t t = lb_t_make(LB_ROUND_ROBIN, wt, NULL, 4, 1, NULL);
	unsigned count[4] = {0};

	lb_health_admin(t.h, 3, false); /* draining */
	for (unsigned i = 0; i < 4 * 3; i++) {
		int s = lb_pick(t.w, t.p, t.h, 0, 1u << 1, 0);

		cr_assert(s == 0 || s == 2, "picked %d", s);
		count[s]++;
	}
	cr_expect_eq(count[0], 9);
	cr_expect_eq(count[2], 3);
	/* server 2 down by checks (fall 3) */
	for (unsigned i = 0; i < 3; i++)
		lb_health_check_result(t.h, 2, false, 0);
	for (unsigned i = 0; i < 10; i++)
		cr_assert_eq(lb_pick(t.w, t.p, t.h, 0, 1u << 1, 0), 0);
	cr_assert_eq(lb_pick(t.w, t.p, t.h, 0, 1u << 0 | 1u << 1, 0), -ENOENT);
	lb_health_admin(t.h, 3, true);
	cr_assert_eq(lb_pick(t.w, t.p, t.h, 0, 1u << 0 | 1u << 1, 0), 3);
	lb_t_free(&t);
}

/* The least loaded per weight wins: 3 in flight on weight 4 (0.75) beats
 * 1 on weight 1. */
Test(lb_pick, least_per_weight)
{
	const uint32_t wt[] = {4, 1, 1};
	struct lb_t t = lb_t_make(LB_LEAST_OUTSTANDING, wt, NULL, 3, 1, NULL);

	for (unsigned i = 0; i < 3; i++)
		lb_start(t.w, 0);
	lb_start(t.w, 1);
	lb_start(t.w, 2);
	cr_assert_eq(lb_pick(t.w, t.p, t.h, 0, 0, 0), 0);
	lb_start(t.w, 0); /* 4/4 = 1/1 = 1/1: a tie of all three */
	lb_start(t.w, 0); /* 5/4 > 1 */
	for (unsigned i = 0; i < 10; i++) {
		int s = lb_pick(t.w, t.p, t.h, 0, 0, 0);

		cr_assert(s == 1 || s == 2, "picked %d", s);
	}
	lb_start(t.w, 1); /* 2 on server 1: server 2 least */
	for (unsigned i = 0; i < 10; i++)
		cr_assert_eq(lb_pick(t.w, t.p, t.h, 0, 0, 0), 2);
	/* server 2 excluded: server 0 at 5/4 beats server 1 at 2/1 */
	cr_assert_eq(lb_pick(t.w, t.p, t.h, 0, 1u << 2, 0), 0);
	lb_t_free(&t);
}

/* Equal servers with nothing in flight take turns: every server within
 * each n picks. */
Test(lb_pick, least_ties_rotate)
{
	const uint32_t wt[] = {1, 1, 1, 1, 1};
	struct lb_t t = lb_t_make(LB_LEAST_OUTSTANDING, wt, NULL, 5, 1, NULL);

	for (unsigned c = 0; c < 10; c++) {
		unsigned seen = 0;

		for (unsigned i = 0; i < 5; i++) {
			int s = lb_pick(t.w, t.p, t.h, 0, 0, 0);

			cr_assert(s >= 0);
			seen |= 1u << s;
		}
		cr_assert_eq(seen, 0x1fu, "cycle %u saw %#x", c, seen);
	}
	lb_t_free(&t);
}

/* Requests that never end pile up in proportion to the weights. */
Test(lb_pick, least_load_follows_weights)
{
	const uint32_t wt[] = {3, 2, 1};
	struct lb_t t = lb_t_make(LB_LEAST_OUTSTANDING, wt, NULL, 3, 1, NULL);

	for (unsigned i = 0; i < 600; i++) {
		int s = lb_pick(t.w, t.p, t.h, 0, 0, 0);

		cr_assert(s >= 0);
		lb_start(t.w, (unsigned)s);
	}
	cr_expect_eq(lb_outstanding(t.w, 0), 300);
	cr_expect_eq(lb_outstanding(t.w, 1), 200);
	cr_expect_eq(lb_outstanding(t.w, 2), 100);
	lb_t_free(&t);
}

/* Fills <srv>'s share: lb_start until the pick stops returning it. */
static unsigned
fill(struct lb_t *t, uint32_t exclude)
{
	unsigned started = 0;
	int s;

	while ((s = lb_pick(t->w, t->p, t->h, 0, exclude, 0)) >= 0) {
		lb_start(t->w, (unsigned)s);
		cr_assert(++started < 1000);
	}
	cr_assert_eq(s, -EBUSY);
	return started;
}

/* max-conns 10 and 5: one worker may have 10 and 5 in flight, each of 4
 * workers ceil(10/4) = 3 and ceil(5/4) = 2; 0 is unlimited. */
Test(lb_pick, limits_share_per_worker)
{
	const uint32_t wt[] = {1, 1, 1};
	const uint32_t mc[] = {10, 5, 0};
	static const enum lb_algo algos[] = {LB_ROUND_ROBIN,
	                                     LB_LEAST_OUTSTANDING, LB_URI_HASH};

	for (unsigned a = 0; a < 3; a++) {
		struct lb_t t1 = lb_t_make(algos[a], wt, NULL, 3, 1, mc);
		struct lb_t t4 = lb_t_make(algos[a], wt, NULL, 3, 4, mc);

		cr_expect_eq(fill(&t1, 1u << 2), 15);
		cr_expect_eq(lb_outstanding(t1.w, 0), 10);
		cr_expect_eq(lb_outstanding(t1.w, 1), 5);
		cr_expect_eq(fill(&t4, 1u << 2), 5);
		cr_expect_eq(lb_outstanding(t4.w, 0), 3);
		cr_expect_eq(lb_outstanding(t4.w, 1), 2);
		/* the unlimited server still takes requests */
		for (unsigned i = 0; i < 100; i++) {
			int s = lb_pick(t4.w, t4.p, t4.h, i, 0, 0);

			cr_assert_eq(s, 2);
			lb_start(t4.w, 2);
		}
		/* one ends: that server is open again */
		lb_finish(t4.w, t4.h, 1, LB_OK, 0);
		cr_assert_eq(lb_pick(t4.w, t4.p, t4.h, 0, 1u << 2, 0), 1);
		lb_t_free(&t1);
		lb_t_free(&t4);
	}
}

/* -EBUSY when usable servers are all full, -ENOENT when none is usable or
 * the usable ones are all excluded. */
Test(lb_pick, busy_and_none)
{
	const uint32_t wt[] = {1, 2};
	const uint32_t mc[] = {1, 1};
	static const enum lb_algo algos[] = {LB_ROUND_ROBIN,
	                                     LB_LEAST_OUTSTANDING, LB_URI_HASH};

	for (unsigned a = 0; a < 3; a++) {
		struct lb_t t = lb_t_make(algos[a], wt, NULL, 2, 1, mc);

		lb_start(t.w, 0);
		cr_assert_eq(lb_pick(t.w, t.p, t.h, 7, 0, 0), 1);
		lb_start(t.w, 1);
		cr_assert_eq(lb_pick(t.w, t.p, t.h, 7, 0, 0), -EBUSY);
		cr_assert_eq(lb_pick(t.w, t.p, t.h, 7, 1u << 0, 0), -EBUSY);
		cr_assert_eq(lb_pick(t.w, t.p, t.h, 7, 3u, 0), -ENOENT);
		lb_health_admin(t.h, 0, false);
		cr_assert_eq(lb_pick(t.w, t.p, t.h, 7, 0, 0), -EBUSY);
		lb_health_admin(t.h, 1, false);
		cr_assert_eq(lb_pick(t.w, t.p, t.h, 7, 0, 0), -ENOENT);
		lb_finish(t.w, t.h, 0, LB_OK, 0);
		cr_assert_eq(lb_pick(t.w, t.p, t.h, 7, 0, 0), -ENOENT);
		lb_health_admin(t.h, 0, true);
		cr_assert_eq(lb_pick(t.w, t.p, t.h, 7, 0, 0), 0);
		lb_t_free(&t);
	}
}

/* Out-of-range sizes, weights, workers and duplicate hash ids: NULL and
 * EINVAL. */
Test(lb_pick, constructors_refuse)
{
	uint32_t wt[LB_SERVERS_MAX + 1];
	uint64_t ids[LB_SERVERS_MAX + 1];
	struct lb_health_params hp = lb_t_params();
	struct lb_pool *p;

	for (unsigned i = 0; i <= LB_SERVERS_MAX; i++) {
		wt[i] = 1;
		ids[i] = i + 1;
	}
	errno = 0;
	cr_assert_null(lb_pool_new(LB_ROUND_ROBIN, wt, ids, 0));
	cr_assert_eq(errno, EINVAL);
	errno = 0;
	cr_assert_null(
	    lb_pool_new(LB_ROUND_ROBIN, wt, ids, LB_SERVERS_MAX + 1));
	cr_assert_eq(errno, EINVAL);
	p = lb_pool_new(LB_URI_HASH, wt, ids, LB_SERVERS_MAX);
	cr_assert_not_null(p);
	cr_assert_eq(lb_pool_servers(p), LB_SERVERS_MAX);
	cr_assert_eq(lb_pool_algo(p), LB_URI_HASH);
	errno = 0;
	cr_assert_null(lb_worker_new(p, 0, 0, NULL));
	cr_assert_eq(errno, EINVAL);
	lb_pool_free(p);
	wt[3] = 0;
	errno = 0;
	cr_assert_null(lb_pool_new(LB_LEAST_OUTSTANDING, wt, ids, 5));
	cr_assert_eq(errno, EINVAL);
	wt[3] = 257;
	cr_assert_null(lb_pool_new(LB_LEAST_OUTSTANDING, wt, ids, 5));
	wt[3] = 256;
	p = lb_pool_new(LB_LEAST_OUTSTANDING, wt, ids, 5);
	cr_assert_not_null(p);
	lb_pool_free(p);
	ids[4] = ids[2];
	errno = 0;
	cr_assert_null(lb_pool_new(LB_URI_HASH, wt, ids, 5));
	cr_assert_eq(errno, EINVAL);
	cr_assert_null(lb_pool_new((enum lb_algo)7, wt, ids, 5));
	errno = 0;
	cr_assert_null(lb_health_new(0, &hp));
	cr_assert_eq(errno, EINVAL);
	cr_assert_null(lb_health_new(LB_SERVERS_MAX + 1, &hp));
	cr_assert_null(lb_health_new(3, NULL));
	hp.eject_max_ms = hp.eject_base_ms - 1;
	cr_assert_null(lb_health_new(3, &hp));
}

/* A finish without its start would corrupt the counts: GH_VERIFY. */
Test(lb_pick, finish_without_start_aborts, .signal = SIGABRT)
{
	const uint32_t wt[] = {1, 1};
	struct lb_t t = lb_t_make(LB_ROUND_ROBIN, wt, NULL, 2, 1, NULL);

	lb_finish(t.w, t.h, 1, LB_OK, 0);
}

/* A worker, pool and health of different sizes are mixed up: GH_VERIFY,
 * before any index is read out of range. */
Test(lb_pick, mixed_objects_abort, .signal = SIGABRT)
{
	const uint32_t wt[3] = {1, 1, 1};
	struct lb_t t = lb_t_make(LB_ROUND_ROBIN, wt, NULL, 3, 1, NULL);
	struct lb_health_params hp = lb_t_params();
	struct lb_health *h2 = lb_health_new(2, &hp);

	cr_assert_not_null(h2);
	lb_pick(t.w, t.p, h2, 0, 0, 0);
}

/* Worker k's round-robin starts k picks in: N workers with one request
 * each reach N different servers (equal weights), and each worker's own
 * cycle still gives every server its weight. */
Test(lb_pick, workers_start_apart)
{
	static const uint32_t w4[] = {1, 1, 1, 1};
	static const uint32_t wt[] = {2, 1, 1};
	unsigned seen = 0, count[3] = {0};
	struct lb_t t = lb_t_make(LB_ROUND_ROBIN, w4, NULL, 4, 4, NULL);

	for (unsigned k = 0; k < 4; k++) {
		struct lb_worker *w = lb_worker_new(t.p, 4, k, NULL);
		int s;

		cr_assert_not_null(w);
		s = lb_pick(w, t.p, t.h, 0, 0, 0);
		cr_assert(s >= 0 && s < 4);
		cr_assert_eq(seen & (1u << s), 0, "worker %u: server %d again",
		             k, s);
		seen |= 1u << s;
		lb_worker_free(w);
	}
	errno = 0;
	cr_assert_null(lb_worker_new(t.p, 4, 4, NULL));
	cr_assert_eq(errno, EINVAL);
	lb_t_free(&t);

	t = lb_t_make(LB_ROUND_ROBIN, wt, NULL, 3, 1, NULL);
	struct lb_worker *w = lb_worker_new(t.p, 3, 2, NULL);

	cr_assert_not_null(w);
	for (unsigned i = 0; i < 4 * 10; i++)
		count[lb_pick(w, t.p, t.h, 0, 0, 0)]++;
	cr_assert(count[0] == 20 && count[1] == 10 && count[2] == 10);
	lb_worker_free(w);
	lb_t_free(&t);
}
