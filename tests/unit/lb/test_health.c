/*
 * lib/lb health: active checks' rise and fall, passive ejection by one
 * worker's streak (not by failures spread among successes or workers),
 * the back-off's doubling, cap and reset, expiry, the last usable server
 * kept, the operator's drain and the states' precedence.
 */
#include <criterion/criterion.h>
#include <errno.h>

#include "common/gh_common.h"
#include "lb_test_util.h"

TestSuite(lb_health);

static const uint32_t w3[3] = {1, 1, 1};

/* Fails <srv> <k> times through <w> at <now>; the last call's result. */
static bool
fail(struct lb_t *t, struct lb_worker *w, unsigned srv, enum lb_outcome o,
     unsigned k, uint64_t now)
{
	bool ejected = false;

	for (unsigned i = 0; i < k; i++) {
		lb_start(w, srv);
		cr_assert(!ejected, "ejected before the streak's end");
		ejected = lb_finish(w, t->h, srv, o, now);
	}
	return ejected;
}

/* rise 2, fall 3, servers starting down. */
Test(lb_health, rise_and_fall)
{
	struct lb_health_params hp = lb_t_params();
	struct lb_health *h;

	hp.start_down = true;
	h = lb_health_new(2, &hp);
	cr_assert_not_null(h);
	cr_assert_eq(lb_health_servers(h), 2);
	cr_assert_eq(lb_health_state(h, 0, 0), LB_DOWN);
	cr_assert(!lb_health_usable(h, 0, 0));
	cr_assert(!lb_health_check_result(h, 0, true, 0));
	cr_assert(!lb_health_check_result(h, 0, false, 0)); /* rise reset */
	cr_assert(!lb_health_check_result(h, 0, true, 0));
	cr_assert_eq(lb_health_state(h, 0, 0), LB_DOWN);
	cr_assert(lb_health_check_result(h, 0, true, 0));
	cr_assert_eq(lb_health_state(h, 0, 0), LB_UP);
	cr_assert(lb_health_usable(h, 0, 0));
	cr_assert(!lb_health_check_result(h, 0, true, 0));
	cr_assert(!lb_health_check_result(h, 0, false, 0));
	cr_assert(!lb_health_check_result(h, 0, false, 0));
	cr_assert(!lb_health_check_result(h, 0, true, 0)); /* fall reset */
	cr_assert(!lb_health_check_result(h, 0, false, 0));
	cr_assert(!lb_health_check_result(h, 0, false, 0));
	cr_assert(lb_health_check_result(h, 0, false, 0));
	cr_assert_eq(lb_health_state(h, 0, 0), LB_DOWN);
	cr_assert(!lb_health_check_result(h, 0, false, 0));
	/* server 1 untouched */
	cr_assert_eq(lb_health_state(h, 1, 0), LB_DOWN);
	lb_health_free(h);
	hp.start_down = false;
	h = lb_health_new(2, &hp);
	cr_assert_eq(lb_health_state(h, 1, 0), LB_UP);
	lb_health_free(h);
}

/* Three connect failures in a row by one worker eject; the third call
 * says so; the server is out until now + eject_base_ms. */
Test(lb_health, streak_ejects)
{
	struct lb_t t = lb_t_make(LB_ROUND_ROBIN, w3, NULL, 3, 1, NULL);

	cr_assert(fail(&t, t.w, 1, LB_CONNECT_FAIL, 3, 500));
	cr_assert_eq(lb_health_state(t.h, 1, 500), LB_EJECTED);
	cr_assert_eq(lb_health_ejected_until(t.h, 1), 1500);
	cr_assert(!lb_health_usable(t.h, 1, 1499));
	for (unsigned i = 0; i < 20; i++)
		cr_assert_neq(lb_pick(t.w, t.p, t.h, 0, 0, 1499), 1);
	cr_assert_eq(lb_health_state(t.h, 1, 1500), LB_UP);
	cr_assert(lb_health_usable(t.h, 1, 1500));
	cr_assert_eq(lb_outstanding(t.w, 1), 0);
	/* errors after connecting count the same */
	cr_assert(fail(&t, t.w, 2, LB_FAIL, 3, 0));
	/* and 5 5xx eject too */
	cr_assert(fail(&t, t.w, 1, LB_5XX, 5, 2000));
	lb_t_free(&t);
}

/* Failures with successes between them, or spread over two workers, or
 * with 5xx between connect failures, never reach a streak. */
Test(lb_health, spread_failures_do_not_eject)
{
	struct lb_t t = lb_t_make(LB_ROUND_ROBIN, w3, NULL, 3, 2, NULL);
	struct lb_worker *w2 = lb_worker_new(t.p, 2, 1, NULL);

	cr_assert_not_null(w2);
	for (unsigned i = 0; i < 50; i++) {
		cr_assert(!fail(&t, t.w, 0, LB_CONNECT_FAIL, 2, i));
		cr_assert(!fail(&t, t.w, 0, LB_OK, 1, i));
		cr_assert(!fail(&t, t.w, 1, LB_5XX, 4, i));
		cr_assert(!fail(&t, t.w, 1, LB_OK, 1, i));
	}
	cr_assert(!fail(&t, t.w, 2, LB_CONNECT_FAIL, 2, 0));
	cr_assert(!fail(&t, w2, 2, LB_CONNECT_FAIL, 2, 0));
	cr_assert(!fail(&t, t.w, 2, LB_5XX, 1, 0)); /* ends the fail streak */
	cr_assert(!fail(&t, t.w, 2, LB_CONNECT_FAIL, 2, 0));
	/* aborted requests say nothing either way */
	cr_assert(!fail(&t, t.w, 2, LB_ABORTED, 10, 0));
	for (unsigned i = 0; i < 3; i++)
		cr_assert_eq(lb_health_state(t.h, i, 100), LB_UP);
	/* the streak of 2 on server 2 still stands: one more ejects */
	cr_assert(fail(&t, t.w, 2, LB_CONNECT_FAIL, 1, 0));
	lb_worker_free(w2);
	lb_t_free(&t);
}

/* Ejected again within eject_max_ms of the last ejection's end: twice as
 * long, up to eject_max_ms; after that long a quiet time: the base. */
Test(lb_health, backoff_doubles_to_max_then_resets)
{
	struct lb_t t = lb_t_make(LB_ROUND_ROBIN, w3, NULL, 3, 1, NULL);
	static const uint64_t len[] = {1000, 2000, 4000, 8000, 8000, 8000};
	uint64_t now = 10000;

	for (unsigned i = 0; i < GH_ARRAY_SIZE(len); i++) {
		cr_assert(fail(&t, t.w, 0, LB_CONNECT_FAIL, 3, now));
		cr_assert_eq(lb_health_ejected_until(t.h, 0), now + len[i],
		             "ejection %u: until %lu, want %lu", i,
		             (unsigned long)lb_health_ejected_until(t.h, 0),
		             (unsigned long)(now + len[i]));
		/* failures while ejected (requests still in flight) do not
		 * extend it */
		cr_assert(!fail(&t, t.w, 0, LB_CONNECT_FAIL, 3, now + 1));
		cr_assert_eq(lb_health_ejected_until(t.h, 0), now + len[i]);
		now += len[i] + 7999; /* back, and fails within max */
	}
	now = lb_health_ejected_until(t.h, 0) + 8000; /* quiet for max */
	cr_assert(!fail(&t, t.w, 0, LB_OK, 1, now));
	cr_assert(fail(&t, t.w, 0, LB_CONNECT_FAIL, 3, now));
	cr_assert_eq(lb_health_ejected_until(t.h, 0), now + 1000);
	lb_t_free(&t);
}

/* The last usable server is never ejected: the call says false and the
 * server keeps serving; once another is back, its next failure ejects. */
Test(lb_health, last_usable_kept)
{
	struct lb_t t = lb_t_make(LB_ROUND_ROBIN, w3, NULL, 3, 1, NULL);

	lb_health_admin(t.h, 2, false);
	cr_assert(fail(&t, t.w, 0, LB_CONNECT_FAIL, 3, 0));
	cr_assert(!fail(&t, t.w, 1, LB_5XX, 20, 10));
	cr_assert(!fail(&t, t.w, 1, LB_CONNECT_FAIL, 3, 10));
	cr_assert_eq(lb_health_state(t.h, 1, 10), LB_UP);
	for (unsigned i = 0; i < 10; i++)
		cr_assert_eq(lb_pick(t.w, t.p, t.h, 0, 0, 10), 1);
	cr_assert_eq(lb_health_ejected_until(t.h, 1), 0);
	/* server 0 back at 1000: server 1's standing streak ejects it */
	cr_assert(fail(&t, t.w, 1, LB_CONNECT_FAIL, 1, 1000));
	cr_assert_eq(lb_health_state(t.h, 1, 1000), LB_EJECTED);
	/* a down server does not count as usable either */
	for (unsigned i = 0; i < 3; i++)
		lb_health_check_result(t.h, 1, false, 1000);
	cr_assert(!fail(&t, t.w, 0, LB_CONNECT_FAIL, 3, 1001));
	cr_assert_eq(lb_pick(t.w, t.p, t.h, 0, 0, 1001), 0);
	lb_t_free(&t);
}

/* Draining: never picked, requests in flight end normally (counts back
 * to zero, no ejection from their failures), enabled again: picked. */
Test(lb_health, drain)
{
	struct lb_t t = lb_t_make(LB_LEAST_OUTSTANDING, w3, NULL, 3, 1, NULL);

	lb_start(t.w, 1);
	lb_start(t.w, 1);
	lb_start(t.w, 1);
	lb_start(t.w, 1);
	lb_health_admin(t.h, 1, false);
	cr_assert_eq(lb_health_state(t.h, 1, 0), LB_DRAINING);
	for (unsigned i = 0; i < 30; i++) {
		int s = lb_pick(t.w, t.p, t.h, 0, 0, 0);

		cr_assert(s == 0 || s == 2, "picked %d", s);
	}
	cr_assert(!lb_finish(t.w, t.h, 1, LB_CONNECT_FAIL, 0));
	cr_assert(!lb_finish(t.w, t.h, 1, LB_CONNECT_FAIL, 0));
	cr_assert(!lb_finish(t.w, t.h, 1, LB_CONNECT_FAIL, 0));
	cr_assert(!lb_finish(t.w, t.h, 1, LB_OK, 0));
	cr_assert_eq(lb_outstanding(t.w, 1), 0);
	cr_assert_eq(lb_health_ejected_until(t.h, 1), 0);
	lb_health_admin(t.h, 1, true);
	cr_assert_eq(lb_health_state(t.h, 1, 0), LB_UP);
	lb_start(t.w, 0);
	lb_start(t.w, 2);
	cr_assert_eq(lb_pick(t.w, t.p, t.h, 0, 0, 0), 1);
	lb_t_free(&t);
}

/* DRAINING > DOWN > EJECTED > UP. */
Test(lb_health, state_precedence)
{
	struct lb_t t = lb_t_make(LB_ROUND_ROBIN, w3, NULL, 3, 1, NULL);

	cr_assert(fail(&t, t.w, 0, LB_CONNECT_FAIL, 3, 0));
	cr_assert_eq(lb_health_state(t.h, 0, 0), LB_EJECTED);
	for (unsigned i = 0; i < 3; i++)
		lb_health_check_result(t.h, 0, false, 0);
	cr_assert_eq(lb_health_state(t.h, 0, 0), LB_DOWN);
	lb_health_admin(t.h, 0, false);
	cr_assert_eq(lb_health_state(t.h, 0, 0), LB_DRAINING);
	lb_health_admin(t.h, 0, true);
	lb_health_check_result(t.h, 0, true, 0);
	lb_health_check_result(t.h, 0, true, 0);
	cr_assert_eq(lb_health_state(t.h, 0, 0), LB_EJECTED);
	cr_assert_eq(lb_health_state(t.h, 0, 1000), LB_UP);
	lb_t_free(&t);
}

/* The gauges: one count per state. */
Test(lb_health, counts_per_state)
{
	const uint32_t w4[4] = {1, 1, 1, 1};
	struct lb_t t = lb_t_make(LB_ROUND_ROBIN, w4, NULL, 4, 1, NULL);
	unsigned c[4];

	cr_assert_eq(lb_health_counts(t.h, 0, c), 4);
	cr_assert(fail(&t, t.w, 0, LB_CONNECT_FAIL, 3, 0));
	for (unsigned i = 0; i < 3; i++)
		lb_health_check_result(t.h, 1, false, 0);
	lb_health_admin(t.h, 2, false);
	cr_assert_eq(lb_health_counts(t.h, 10, c), 1);
	cr_assert_eq(c[LB_UP], 1);
	cr_assert_eq(c[LB_DOWN], 1);
	cr_assert_eq(c[LB_EJECTED], 1);
	cr_assert_eq(c[LB_DRAINING], 1);
	cr_assert_eq(lb_health_counts(t.h, 1000, c), 2);
	cr_assert_eq(c[LB_EJECTED], 0);
	lb_t_free(&t);
}

/* rise and fall of 0 act as 1 (one check decides); without ejection
 * settings (eject_fails and eject_5xx 0) failures never eject and the
 * lengths may be 0. */
Test(lb_health, zero_settings)
{
	struct lb_health_params hp = {0};
	const uint32_t w2[2] = {1, 1};
	struct lb_pool *p = lb_pool_new(LB_ROUND_ROBIN, w2, NULL, 2);
	struct lb_health *h = lb_health_new(2, &hp);
	struct lb_worker *w = p != NULL ? lb_worker_new(p, 1, 0, NULL) : NULL;

	cr_assert(p != NULL && h != NULL && w != NULL);
	cr_assert(lb_health_check_result(h, 0, false, 0));
	cr_assert_eq(lb_health_state(h, 0, 0), LB_DOWN);
	cr_assert(lb_health_check_result(h, 0, true, 0));
	cr_assert_eq(lb_health_state(h, 0, 0), LB_UP);
	for (unsigned i = 0; i < 100; i++) {
		lb_start(w, 1);
		cr_assert(!lb_finish(w, h, 1, i % 2 ? LB_5XX : LB_FAIL, 0));
	}
	cr_assert_eq(lb_health_state(h, 1, 0), LB_UP);
	lb_worker_free(w);
	lb_health_free(h);
	lb_pool_free(p);
}
