/*
 * lb_bench: nanoseconds per lb_pick() on one core, for each algorithm
 * with 3 and 32 servers (unequal weights, all usable), and per request
 * (lb_pick + lb_start + lb_finish), and for the hash with one server of
 * the pool unusable (its keys walk the table).  Not a test: run it by
 * hand (build/tests/unit/lb/lb_bench [picks]) and see docs/benchmarks.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "lb/lb.h"

#define N_KEYS 4096u

static uint64_t keys[N_KEYS];

static double
cpu_ns(void)
{
	struct timespec ts;

	/* the thread's CPU time: a shared machine's other work and our
	 * time descheduled do not count */
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void
die(const char *what)
{
	perror(what);
	exit(1);
}

/* ns per pick (<full> == 0) or per pick + start + finish. */
static double
run(struct lb_worker *w, const struct lb_pool *p, struct lb_health *h,
    unsigned long picks, int full)
{
	volatile int sink = 0;
	double t0 = cpu_ns();

	for (unsigned long i = 0; i < picks; i++) {
		int s = lb_pick(w, p, h, keys[i % N_KEYS], 0, 1000);

		if (full && s >= 0) {
			lb_start(w, (unsigned)s);
			lb_finish(w, h, (unsigned)s, LB_OK, 1000);
		}
		sink += s;
	}
	(void)sink;
	return (cpu_ns() - t0) / (double)picks;
}

int
main(int argc, char **argv)
{
	static const char *names[] = {"round-robin", "least-outstanding",
	                              "uri-hash"};
	static const unsigned sizes[] = {3, 32};
	unsigned long picks = argc > 1 ? strtoul(argv[1], NULL, 10) : 10000000;
	struct lb_health_params hp = {
	    .rise = 2,
	    .fall = 3,
	    .eject_fails = 3,
	    .eject_5xx = 5,
	    .eject_base_ms = 1000,
	    .eject_max_ms = 8000,
	};
	uint64_t x = 88172645463325252ull;

	for (unsigned i = 0; i < N_KEYS; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		keys[i] = x;
	}
	printf("%-18s %7s %10s %13s %14s\n", "algorithm", "servers", "ns/pick",
	       "ns/request", "ns/pick 1 out");
	for (unsigned a = 0; a < 3; a++)
		for (unsigned k = 0; k < 2; k++) {
			unsigned n = sizes[k];
			uint32_t wt[LB_SERVERS_MAX];
			uint64_t ids[LB_SERVERS_MAX];
			struct lb_pool *p;
			struct lb_health *h;
			struct lb_worker *w;
			double pick, req, out;

			for (unsigned i = 0; i < n; i++) {
				wt[i] = 1 + i % 4;
				ids[i] = 0xbe9c000000ull + i;
			}
			p = lb_pool_new((enum lb_algo)a, wt, ids, n);
			h = lb_health_new(n, &hp);
			w = p != NULL ? lb_worker_new(p, 2, 0, NULL) : NULL;
			if (p == NULL || h == NULL || w == NULL)
				die("lb_*_new");
			run(w, p, h, picks / 10, 0); /* warm up */
			pick = run(w, p, h, picks, 0);
			req = run(w, p, h, picks, 1);
			lb_health_admin(h, 0, false);
			out = run(w, p, h, picks, 0);
			printf("%-18s %7u %10.1f %13.1f %14.1f\n", names[a], n,
			       pick, req, out);
			lb_worker_free(w);
			lb_health_free(h);
			lb_pool_free(p);
		}
	return 0;
}
