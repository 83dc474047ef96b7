/*
 * The live version (lib/proxy/proxy_live.h, issue 13 item 2): holds are
 * counted per worker, a replaced version is freed only once no hold is
 * left, oldest first, a full retire queue refuses the swap, and readers on
 * other threads (QSBR, as the workers) never see a version freed under
 * them while they hold it across quiescent states.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <urcu-qsbr.h>

#include "proxy/proxy_live.h"

TestSuite(proxy_live);

/* what version_free saw, in order */
static struct proxy_live *freed[PROXY_LIVE_RETIRE_MAX + 8];
static unsigned n_freed;

static void
free_v(struct proxy_live *v, void *arg)
{
	cr_assert_eq(arg, &n_freed);
	cr_assert_lt(n_freed, GH_ARRAY_SIZE(freed));
	freed[n_freed++] = v;
	proxy_live_free(v);
}

static struct proxy_live *
mk(uint64_t n)
{
	struct proxy_live *v = proxy_live_new(n, NULL);

	cr_assert_not_null(v);
	cr_assert_eq((uintptr_t)v % PROXY_LIVE_LINE, 0);
	return v;
}

Test(proxy_live, holds_counted_per_worker)
{
	struct proxy_live *slot = NULL, *v = mk(1), *t;
	struct proxy_live_retire r = {0};

	cr_assert_null(proxy_live_take(&slot, 0)); /* nothing published */
	cr_assert_eq(proxy_live_replace(&slot, v, &r), 0);
	cr_assert_eq(r.n, 0);
	t = proxy_live_take(&slot, 0);
	cr_assert_eq(t, v);
	proxy_live_take(&slot, 0);
	proxy_live_take(&slot, 3);
	proxy_live_hold(v, 5);
	cr_assert_eq(proxy_live_held(v), 4);
	cr_assert_eq(v->hold[0].n, 2);
	/* one cache line per worker */
	cr_assert_eq((char *)&v->hold[1] - (char *)&v->hold[0],
	             PROXY_LIVE_LINE);
	proxy_live_put(v, 0);
	proxy_live_put(v, 0);
	proxy_live_put(v, 3);
	proxy_live_put(v, 5);
	cr_assert_eq(proxy_live_held(v), 0);
	proxy_live_free(v);
}

Test(proxy_live, replaced_version_freed_once_unheld)
{
	struct proxy_live *slot = NULL, *v1 = mk(1), *v2 = mk(2);
	struct proxy_live_retire r = {0};

	n_freed = 0;
	cr_assert_eq(proxy_live_replace(&slot, v1, &r), 0);
	cr_assert_eq(proxy_live_take(&slot, 1), v1); /* a transaction */
	cr_assert_eq(proxy_live_replace(&slot, v2, &r), 0);
	cr_assert_eq(slot, v2);
	cr_assert_eq(r.n, 1);
	/* the next transaction takes the new one */
	cr_assert_eq(proxy_live_take(&slot, 1), v2);
	cr_assert_eq(proxy_live_retire_poll(&r, false, free_v, &n_freed), 1);
	cr_assert_eq(n_freed, 0);
	proxy_live_put(v1, 1); /* the first transaction ends */
	cr_assert_eq(proxy_live_retire_poll(&r, false, free_v, &n_freed), 0);
	cr_assert_eq(n_freed, 1);
	cr_assert_eq(freed[0], v1);
	proxy_live_put(v2, 1);
	proxy_live_free(v2);
}

Test(proxy_live, retired_oldest_first)
{
	struct proxy_live *slot = NULL, *v1 = mk(1), *v2 = mk(2), *v3 = mk(3);
	struct proxy_live_retire r = {0};

	n_freed = 0;
	cr_assert_eq(proxy_live_replace(&slot, v1, &r), 0);
	proxy_live_take(&slot, 0);
	cr_assert_eq(proxy_live_replace(&slot, v2, &r), 0);
	cr_assert_eq(proxy_live_replace(&slot, v3, &r), 0);
	/* v2 is not held, but v1 (which v2 may share rules with) is */
	cr_assert_eq(proxy_live_retire_poll(&r, false, free_v, &n_freed), 2);
	cr_assert_eq(n_freed, 0);
	proxy_live_put(v1, 0);
	cr_assert_eq(proxy_live_retire_poll(&r, false, free_v, &n_freed), 0);
	cr_assert_eq(n_freed, 2);
	cr_assert_eq(freed[0], v1);
	cr_assert_eq(freed[1], v2);
	proxy_live_free(v3);
}

Test(proxy_live, full_queue_refuses_the_swap)
{
	struct proxy_live *slot = NULL, *held[PROXY_LIVE_RETIRE_MAX + 1];
	struct proxy_live_retire r = {0};
	struct proxy_live *extra = mk(999);
	unsigned i;

	n_freed = 0;
	for (i = 0; i <= PROXY_LIVE_RETIRE_MAX; i++) {
		held[i] = mk(i + 1);
		cr_assert_eq(proxy_live_replace(&slot, held[i], &r), 0);
		proxy_live_take(&slot, 2);
	}
	cr_assert_eq(r.n, PROXY_LIVE_RETIRE_MAX);
	cr_assert_eq(proxy_live_replace(&slot, extra, &r), -EBUSY);
	cr_assert_eq(slot, held[PROXY_LIVE_RETIRE_MAX]); /* nothing changed */
	cr_assert_eq(proxy_live_retire_poll(&r, false, free_v, &n_freed),
	             PROXY_LIVE_RETIRE_MAX);
	/* the workers are gone: every one goes */
	cr_assert_eq(proxy_live_retire_poll(&r, true, free_v, &n_freed), 0);
	cr_assert_eq(n_freed, PROXY_LIVE_RETIRE_MAX);
	for (i = 0; i < PROXY_LIVE_RETIRE_MAX; i++)
		cr_assert_eq(freed[i], held[i]);
	proxy_live_free(held[PROXY_LIVE_RETIRE_MAX]);
	proxy_live_free(extra);
}

/* ---- readers on other threads ---- */

#define READERS  2
#define VERSIONS 300

struct payload {
	unsigned magic; /* PROXY_LIVE_MAGIC while alive */
	struct conf_forward fwd;
};

static struct proxy_live *shared_slot;
static volatile int stop_readers;
static uint64_t bad_reads[READERS];
static uint64_t reads[READERS];

static void *
reader(void *arg)
{
	unsigned w = (unsigned)(uintptr_t)arg, k;

	rcu_register_thread();
	while (!__atomic_load_n(&stop_readers, __ATOMIC_ACQUIRE)) {
		struct proxy_live *v = proxy_live_take(&shared_slot, w);
		const struct payload *p;

		if (v == NULL) {
			rcu_quiescent_state();
			continue;
		}
		/* a transaction spanning several loops */
		for (k = 0; k < 4; k++) {
			p = v->owner;
			if (v->magic != PROXY_LIVE_MAGIC ||
			    p->magic != PROXY_LIVE_MAGIC ||
			    v->fwd[0] != &p->fwd ||
			    p->fwd.connect_ms != (uint32_t)v->version)
				bad_reads[w]++;
			__atomic_store_n(&reads[w], reads[w] + 1,
			                 __ATOMIC_RELAXED);
			rcu_quiescent_state();
		}
		proxy_live_put(v, w);
		rcu_quiescent_state();
	}
	rcu_unregister_thread();
	return NULL;
}

/* Poison what <v> owns, then free it: a reader still using it sees the
 * poison (or ASan the use after free). */
static void
free_poisoned(struct proxy_live *v, void *arg)
{
	struct payload *p = v->owner;

	(void)arg;
	p->magic = 0xdead;
	p->fwd.connect_ms = 0xdead;
	free(p);
	v->magic = PROXY_LIVE_MAGIC; /* proxy_live_free checks it */
	proxy_live_free(v);
}

static struct proxy_live *
mk_payload(uint64_t n)
{
	struct payload *p = calloc(1, sizeof(*p));
	struct proxy_live *v = mk(n);

	cr_assert_not_null(p);
	p->magic = PROXY_LIVE_MAGIC;
	p->fwd.connect_ms = (uint32_t)n;
	v->owner = p;
	v->fwd[0] = &p->fwd;
	v->n_fwd = 1;
	return v;
}

Test(proxy_live, readers_never_see_a_freed_version, .timeout = 60)
{
	struct proxy_live_retire r = {0};
	pthread_t th[READERS];
	unsigned i, w;

	stop_readers = 0;
	cr_assert_eq(proxy_live_replace(&shared_slot, mk_payload(1), &r), 0);
	for (w = 0; w < READERS; w++)
		cr_assert_eq(
		    pthread_create(&th[w], NULL, reader, (void *)(uintptr_t)w),
		    0);
	/* every reader runs before the swaps start, and reads between them */
	for (w = 0; w < READERS; w++)
		while (__atomic_load_n(&reads[w], __ATOMIC_RELAXED) == 0)
			sched_yield();
	for (i = 2; i <= VERSIONS; i++) {
		uint64_t seen =
		    __atomic_load_n(&reads[i % READERS], __ATOMIC_RELAXED);

		while (__atomic_load_n(&reads[i % READERS], __ATOMIC_RELAXED) ==
		       seen)
			sched_yield();
		while (proxy_live_replace(&shared_slot, mk_payload(i), &r) ==
		       -EBUSY)
			cr_assert_fail("retire queue full with short holds");
		(void)proxy_live_retire_poll(&r, false, free_poisoned, NULL);
	}
	/* the readers' holds end: everything replaced gets freed */
	for (i = 0; i < 100000 && r.n > 0; i++) {
		(void)proxy_live_retire_poll(&r, false, free_poisoned, NULL);
		sched_yield();
	}
	cr_assert_eq(r.n, 0, "%u versions still held", r.n);
	__atomic_store_n(&stop_readers, 1, __ATOMIC_RELEASE);
	for (w = 0; w < READERS; w++) {
		cr_assert_eq(pthread_join(th[w], NULL), 0);
		cr_assert_eq(bad_reads[w], 0,
		             "reader %u: %llu bad reads of %llu", w,
		             (unsigned long long)bad_reads[w],
		             (unsigned long long)reads[w]);
		cr_assert_gt(reads[w], 0);
		cr_assert_eq(shared_slot->hold[w].n, 0);
	}
	free_poisoned(shared_slot, NULL);
}
