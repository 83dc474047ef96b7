/*
 * lib/common timer wheel (gh_wheel): a timer fires in the first advance()
 * that reaches its deadline and never before, across every level boundary
 * and beyond the 2^32 horizon; stop, restart and re-arming from the callback;
 * the max_expire bound and the order it keeps; a million random timers in
 * deadline order; random operations against a reference model.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "common/gh_common.h"
#include "common/gh_wheel.h"

TestSuite(gh_wheel);

/* An object with a timer in it, as a TCB will be. */
struct obj {
	uint32_t id;
	uint32_t fired;
	struct gh_timer tm;
};

#define OBJ_OF(t) ((struct obj *)((char *)(t)-offsetof(struct obj, tm)))

/* What the callbacks check against: the advance() in progress. */
struct run {
	uint64_t prev_now; /* now of the previous advance() */
	uint64_t now;      /* now of this advance() */
	uint64_t last_deadline;
	uint64_t n;
	struct gh_wheel *w;
};

static uint64_t
rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Exact: fired in the first call that reached the deadline, in order. */
static void
on_exact(void *arg, struct gh_timer *t)
{
	struct run *r = arg;
	struct obj *o = OBJ_OF(t);

	cr_assert(!gh_wheel_armed(t));
	cr_assert_leq(t->deadline_tick, r->now, "fired early: %lu at %lu",
	              (unsigned long)t->deadline_tick, (unsigned long)r->now);
	cr_assert_gt(t->deadline_tick, r->prev_now,
	             "fired late: deadline %lu, reached at %lu",
	             (unsigned long)t->deadline_tick,
	             (unsigned long)r->prev_now);
	cr_assert_geq(t->deadline_tick, r->last_deadline, "out of order");
	r->last_deadline = t->deadline_tick;
	o->fired++;
	r->n++;
}

static unsigned
advance(struct gh_wheel *w, struct run *r, uint64_t now)
{
	unsigned n;

	r->now = now;
	n = gh_wheel_advance(w, now, on_exact, r, UINT32_MAX);
	r->prev_now = now;
	return n;
}

Test(gh_wheel, zeroed_node_is_idle)
{
	struct gh_wheel w;
	struct gh_timer t;

	memset(&t, 0, sizeof(t));
	gh_wheel_init(&w, 100);
	cr_assert(!gh_wheel_armed(&t));
	cr_assert_eq(gh_wheel_stop(&w, &t), -ENOENT);
	cr_assert_eq(gh_wheel_now(&w), 100);
	cr_assert_eq(gh_wheel_count(&w), 0);
	cr_assert_eq(sizeof(struct gh_timer), 32);
	cr_assert_eq(sizeof(struct gh_wheel), 3144);
}

/*
 * One timer at each distance around every level boundary, from starting
 * points aligned and not: advance(deadline - 1) fires nothing, then
 * advance(deadline) fires it.
 */
Test(gh_wheel, fires_at_deadline_not_before)
{
	static const uint64_t starts[] = {0, 12345, (1ull << 30) - 3,
	                                  (1ull << 36) - 1, (1ull << 40) + 17};
	uint64_t deltas[128];
	unsigned nd = 0, si, di, b, l;

	deltas[nd++] = 0;
	deltas[nd++] = 1;
	deltas[nd++] = 2;
	for (l = 1; l <= 7; l++) {
		b = l * GH_WHEEL_LEVEL_BITS;
		deltas[nd++] = (1ull << b) - 2;
		deltas[nd++] = (1ull << b) - 1;
		deltas[nd++] = 1ull << b;
		deltas[nd++] = (1ull << b) + 1;
		deltas[nd++] = (1ull << b) + 63;
	}
	deltas[nd++] = 1ull << 32;
	deltas[nd++] = (1ull << 32) + 1;
	deltas[nd++] = (1ull << 32) - 1;
	deltas[nd++] = 3ull << 40;

	for (si = 0; si < GH_ARRAY_SIZE(starts); si++) {
		for (di = 0; di < nd; di++) {
			struct gh_wheel w;
			struct run r = {0};
			struct obj o = {0};
			uint64_t d = starts[si] + deltas[di] + 1;

			gh_wheel_init(&w, starts[si]);
			r.prev_now = starts[si];
			gh_wheel_start(&w, &o.tm, d);
			cr_assert(gh_wheel_armed(&o.tm));
			cr_assert_eq(advance(&w, &r, d - 1), 0,
			             "start %lu delta %lu",
			             (unsigned long)starts[si],
			             (unsigned long)deltas[di]);
			cr_assert_eq(advance(&w, &r, d), 1);
			cr_assert_eq(o.fired, 1);
			cr_assert_eq(gh_wheel_count(&w), 0);
			cr_assert_eq(advance(&w, &r, d + (1ull << 37)), 0);
		}
	}
}

/*
 * Tick by tick: timers at every distance 1..300 and around the level-1 and
 * level-2 boundaries, each must fire at exactly its tick.
 */
Test(gh_wheel, tick_by_tick_exact)
{
	static struct obj o[600];
	struct gh_wheel w;
	struct run r = {0};
	uint64_t t0 = 1000003, now;
	unsigned i, n = 0;

	gh_wheel_init(&w, t0);
	r.prev_now = t0;
	for (i = 1; i <= 300; i++)
		gh_wheel_start(&w, &o[n++].tm, t0 + i);
	for (i = 0; i < 150; i++) {
		gh_wheel_start(&w, &o[n++].tm, t0 + 4096 - 75 + i);
		gh_wheel_start(&w, &o[n++].tm, t0 + 262144 - 75 + i);
	}
	for (now = t0 + 1; now <= t0 + 262144 + 100; now++)
		advance(&w, &r, now);
	cr_assert_eq(r.n, n);
	for (i = 0; i < n; i++)
		cr_assert_eq(o[i].fired, 1);
}

/* Far deadlines, big leaps of time: exact in every case. */
Test(gh_wheel, horizon_2_to_the_32_and_beyond)
{
	static struct obj o[4000];
	struct gh_wheel w;
	struct run r = {0};
	uint64_t seed = 7, t0 = 5, now;
	unsigned i;

	gh_wheel_init(&w, t0);
	r.prev_now = t0;
	for (i = 0; i < GH_ARRAY_SIZE(o); i++) {
		uint64_t d;

		switch (i % 4) {
		case 0: /* around 2^32 */
			d = (1ull << 32) - 1000 + rnd(&seed) % 2000;
			break;
		case 1: /* anywhere up to 2^36 */
			d = rnd(&seed) % (1ull << 36);
			break;
		case 2: /* beyond the wheel's range */
			d = (1ull << 36) + rnd(&seed) % (1ull << 40);
			break;
		default:
			d = (1ull << 32) + i;
			break;
		}
		gh_wheel_start(&w, &o[i].tm, t0 + 1 + d);
	}
	now = t0;
	while (r.n < GH_ARRAY_SIZE(o)) {
		now += 1 + rnd(&seed) % (1ull << 31);
		advance(&w, &r, now);
	}
	for (i = 0; i < GH_ARRAY_SIZE(o); i++)
		cr_assert_eq(o[i].fired, 1);
	cr_assert_eq(gh_wheel_count(&w), 0);
}

Test(gh_wheel, stop_and_restart)
{
	struct gh_wheel w;
	struct run r = {0};
	struct obj a = {0}, b = {0}, c = {0};

	gh_wheel_init(&w, 0);
	gh_wheel_start(&w, &a.tm, 100);
	gh_wheel_start(&w, &b.tm, 5000);
	gh_wheel_start(&w, &c.tm, 100);
	cr_assert_eq(gh_wheel_count(&w), 3);
	cr_assert_eq(gh_wheel_stop(&w, &a.tm), 0);
	cr_assert_eq(gh_wheel_stop(&w, &a.tm), -ENOENT);
	cr_assert(!gh_wheel_armed(&a.tm));
	/* restart: later, earlier, and from idle */
	gh_wheel_restart(&w, &b.tm, 50);
	gh_wheel_restart(&w, &c.tm, 300000);
	gh_wheel_restart(&w, &a.tm, 70);
	cr_assert_eq(gh_wheel_count(&w), 3);
	cr_assert_eq(advance(&w, &r, 49), 0);
	cr_assert_eq(advance(&w, &r, 50), 1);
	cr_assert_eq(b.fired, 1);
	cr_assert_eq(advance(&w, &r, 200), 1);
	cr_assert_eq(a.fired, 1);
	cr_assert_eq(advance(&w, &r, 299999), 0);
	cr_assert_eq(advance(&w, &r, 300000), 1);
	cr_assert_eq(c.fired, 1);
	cr_assert_eq(gh_wheel_count(&w), 0);
	/* stop after a level-1 timer moved down, then restart it */
	gh_wheel_start(&w, &a.tm, 300000 + 5000);
	cr_assert_eq(advance(&w, &r, 300000 + 4990), 0);
	cr_assert_eq(gh_wheel_stop(&w, &a.tm), 0);
	cr_assert_eq(advance(&w, &r, 300000 + 6000), 0);
	gh_wheel_start(&w, &a.tm, 300000 + 6001);
	cr_assert_eq(advance(&w, &r, 300000 + 6001), 1);
	cr_assert_eq(a.fired, 2);
}

/* A deadline already passed fires in the next advance, even at the same
 * time. */
Test(gh_wheel, past_deadline_fires_next_advance)
{
	struct gh_wheel w;
	struct obj a = {0};
	struct run r = {0};
	unsigned n;

	gh_wheel_init(&w, 1000);
	gh_wheel_start(&w, &a.tm, 10);
	cr_assert(gh_wheel_armed(&a.tm));
	r.now = 1000;
	r.prev_now = 0;
	n = gh_wheel_advance(&w, 1000, on_exact, &r, 8);
	cr_assert_eq(n, 1);
	cr_assert_eq(a.fired, 1);
	/* and one can be stopped while it waits on the due list */
	gh_wheel_start(&w, &a.tm, 999);
	cr_assert_eq(gh_wheel_stop(&w, &a.tm), 0);
	cr_assert_eq(gh_wheel_advance(&w, 1000, on_exact, &r, 8), 0);
	/* time going backwards fires nothing new and moves nothing */
	gh_wheel_start(&w, &a.tm, 1005);
	cr_assert_eq(gh_wheel_advance(&w, 900, on_exact, &r, 8), 0);
	cr_assert_eq(gh_wheel_now(&w), 1000);
	r.prev_now = 1000;
	cr_assert_eq(advance(&w, &r, 1005), 1);
}

/* A callback that re-arms its own timer 10 ticks on: periodic. */
static void
on_periodic(void *arg, struct gh_timer *t)
{
	struct run *r = arg;

	cr_assert_eq(t->deadline_tick, r->now);
	OBJ_OF(t)->fired++;
	gh_wheel_start(r->w, t, t->deadline_tick + 10);
}

Test(gh_wheel, callback_rearms)
{
	struct gh_wheel w;
	struct run r = {0};
	struct obj a = {0};
	uint64_t now;

	gh_wheel_init(&w, 0);
	r.w = &w;
	gh_wheel_start(&w, &a.tm, 10);
	for (now = 1; now <= 1000; now++) {
		r.now = now;
		gh_wheel_advance(&w, now, on_periodic, &r, 4);
	}
	cr_assert_eq(a.fired, 100);
	cr_assert(gh_wheel_armed(&a.tm));
	cr_assert_eq(a.tm.deadline_tick, 1010);
}

/* A callback that stops the other timers due at the same tick. */
static struct obj stop_objs[3];

static void
on_stop_others(void *arg, struct gh_timer *t)
{
	struct run *r = arg;
	unsigned i;

	OBJ_OF(t)->fired++;
	r->n++;
	for (i = 0; i < 3; i++)
		(void)gh_wheel_stop(r->w, &stop_objs[i].tm);
}

Test(gh_wheel, callback_stops_due_timers)
{
	struct gh_wheel w;
	struct run r = {0};
	unsigned i;

	gh_wheel_init(&w, 0);
	r.w = &w;
	for (i = 0; i < 3; i++)
		gh_wheel_start(&w, &stop_objs[i].tm, 77);
	cr_assert_eq(gh_wheel_advance(&w, 100, on_stop_others, &r, 10), 1);
	cr_assert_eq(r.n, 1);
	cr_assert_eq(gh_wheel_count(&w), 0);
}

/* max_expire: 1000 timers at one tick and 10 at the next. */
Test(gh_wheel, bounded_advance)
{
	static struct obj o[1010];
	struct gh_wheel w;
	struct run r = {0};
	unsigned i, k;

	gh_wheel_init(&w, 0);
	for (i = 0; i < 1010; i++)
		gh_wheel_start(&w, &o[i].tm, i < 1000 ? 500 : 501);
	r.prev_now = 499; /* for the "late" check: 500 is reached now */
	r.now = 501;
	/* nothing fires with a budget of 0, and time stops at 500 */
	cr_assert_eq(gh_wheel_advance(&w, 501, on_exact, &r, 0), 0);
	cr_assert_eq(gh_wheel_now(&w), 500);
	for (k = 0; k < 10; k++) {
		cr_assert_eq(gh_wheel_advance(&w, 501, on_exact, &r, 100), 100);
		cr_assert_eq(r.last_deadline, 500);
	}
	cr_assert_eq(gh_wheel_count(&w), 10);
	cr_assert_eq(gh_wheel_advance(&w, 501, on_exact, &r, 100), 10);
	cr_assert_eq(r.last_deadline, 501);
	for (i = 0; i < 1010; i++)
		cr_assert_eq(o[i].fired, 1);
	cr_assert_eq(gh_wheel_advance(&w, 501, on_exact, &r, 100), 0);
}

/*
 * A million timers with random deadlines (most within 2^22 ticks, some up
 * to 2^34), time moving in random steps: each fires exactly once, in the
 * first advance() that reaches it, in deadline order.
 */
Test(gh_wheel, million_random_timers)
{
	const unsigned n = 1000000;
	struct obj *o = calloc(n, sizeof(*o));
	struct gh_wheel w;
	struct run r = {0};
	uint64_t seed = 42, t0 = 987654321, now;
	unsigned i;

	cr_assert_not_null(o);
	gh_wheel_init(&w, t0);
	r.prev_now = t0;
	for (i = 0; i < n; i++) {
		uint64_t d = i % 100 == 0 ? rnd(&seed) % (1ull << 34)
		                          : rnd(&seed) % (1ull << 22);

		o[i].id = i;
		gh_wheel_start(&w, &o[i].tm, t0 + 1 + d);
	}
	cr_assert_eq(gh_wheel_count(&w), n);
	now = t0;
	while (r.n < n) {
		now += 1 + rnd(&seed) % (r.n < n - n / 100 ? 4096 : 1u << 26);
		advance(&w, &r, now);
	}
	cr_assert_eq(r.n, n);
	for (i = 0; i < n; i++)
		cr_assert_eq(o[i].fired, 1, "timer %u fired %u times", i,
		             o[i].fired);
	cr_assert_eq(gh_wheel_count(&w), 0);
	free(o);
}

/* Random start / stop / restart / advance against a plain model. */
struct model {
	struct obj o[4096];
	bool armed[4096];
	uint64_t deadline[4096];
	uint64_t now, prev_now;
};

static void
on_model(void *arg, struct gh_timer *t)
{
	struct model *m = arg;
	struct obj *o = OBJ_OF(t);

	cr_assert(m->armed[o->id], "timer %u fired but not armed", o->id);
	cr_assert_eq(t->deadline_tick, m->deadline[o->id]);
	cr_assert_leq(t->deadline_tick, m->now);
	cr_assert(t->deadline_tick > m->prev_now ||
	              m->deadline[o->id] <= m->prev_now,
	          "timer %u fired late", o->id);
	m->armed[o->id] = false;
	o->fired++;
}

Test(gh_wheel, random_ops_match_model)
{
	struct model *m = calloc(1, sizeof(*m));
	struct gh_wheel w;
	uint64_t seed = 99;
	unsigned op, i, armed;

	cr_assert_not_null(m);
	m->now = m->prev_now = 1u << 20;
	gh_wheel_init(&w, m->now);
	for (i = 0; i < GH_ARRAY_SIZE(m->o); i++)
		m->o[i].id = i;
	for (op = 0; op < 400000; op++) {
		uint64_t x = rnd(&seed);
		unsigned id = (unsigned)(x % GH_ARRAY_SIZE(m->o));
		uint64_t d = m->now + (x >> 40) % (x & 1 ? 100 : 300000);

		switch ((x >> 20) % 8) {
		case 0:
		case 1:
			if (!m->armed[id]) {
				gh_wheel_start(&w, &m->o[id].tm, d);
				m->armed[id] = true;
				m->deadline[id] = d;
			}
			break;
		case 2:
			cr_assert_eq(gh_wheel_stop(&w, &m->o[id].tm),
			             m->armed[id] ? 0 : -ENOENT);
			m->armed[id] = false;
			break;
		case 3:
		case 4:
			gh_wheel_restart(&w, &m->o[id].tm, d);
			m->armed[id] = true;
			m->deadline[id] = d;
			break;
		default:
			if ((x >> 30) % 16 != 0)
				break;
			m->prev_now = m->now;
			m->now += (x >> 34) % 2000;
			gh_wheel_advance(&w, m->now, on_model, m, UINT32_MAX);
			for (i = armed = 0; i < GH_ARRAY_SIZE(m->o); i++) {
				cr_assert(
				    !m->armed[i] || m->deadline[i] > m->now,
				    "timer %u due at %lu not fired at %lu", i,
				    (unsigned long)m->deadline[i],
				    (unsigned long)m->now);
				cr_assert_eq(gh_wheel_armed(&m->o[i].tm),
				             m->armed[i]);
				armed += m->armed[i];
			}
			cr_assert_eq(gh_wheel_count(&w), armed);
			break;
		}
	}
	free(m);
}

/* Linking a node twice would corrupt the wheel: GH_VERIFY stops it. */
Test(gh_wheel, verify_fires_on_double_start, .signal = SIGABRT)
{
	struct gh_wheel w;
	struct gh_timer t;

	gh_wheel_init(&w, 0);
	gh_wheel_timer_init(&t);
	gh_wheel_start(&w, &t, 10);
	gh_wheel_start(&w, &t, 20);
}

Test(gh_wheel, verify_fires_on_uninitialised_wheel, .signal = SIGABRT)
{
	struct gh_wheel w;
	struct gh_timer t;

	memset(&w, 0, sizeof(w));
	gh_wheel_timer_init(&t);
	gh_wheel_start(&w, &t, 10);
}
