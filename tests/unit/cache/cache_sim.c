/*
 * The eviction simulator behind docs/benchmarks.md, "Cache eviction policy
 * (simulated)": replays a Zipf trace with Pareto object sizes against a
 * byte budget and prints object and byte hit ratios for LRU, SIEVE (the
 * index's own cache_sieve code) and S3-FIFO.  Deterministic: a fixed seed.
 *
 *   cache_sim            the full table (1M requests over 100k keys,
 *                        alpha 0.8 and 1.0, budgets 1%, 5%, 10%)
 *   cache_sim --quick    a small run that checks the invariants (every
 *                        policy within budget after every request; ratios
 *                        in range); what the unit suite runs
 *
 * All three policies admit every object that fits the budget, evict until
 * the bytes fit, and never evict the object just admitted (as the index).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache/cache_sieve.h"

#define SIM_SEED       0x5eed5eed12345678ull
#define SIM_SIZE_MIN   2048.0  /* Pareto scale (bytes) */
#define SIM_SIZE_SHAPE 1.5     /* Pareto shape: mean 3x the scale */
#define SIM_SIZE_MAX   4194304 /* 4 MiB cap */
#define SIM_NIL        UINT32_MAX

enum sim_policy { SIM_LRU = 0, SIM_SIEVE = 1, SIM_S3FIFO = 2, SIM_N = 3 };
static const char *const sim_names[SIM_N] = {"LRU", "SIEVE", "S3-FIFO"};

/* A doubly linked list of keys by index (LRU and S3-FIFO's queues). */
struct sim_list {
	uint32_t head, tail; /* head newest */
	uint64_t bytes, n;
};

struct sim_obj {
	struct cache_sieve_node sn;
	uint32_t prev, next;
	uint32_t size;
	uint8_t in;    /* 0 no, 1 LRU / SIEVE / S3 small, 2 S3 main */
	uint8_t freq;  /* S3-FIFO, 0..3 */
	uint8_t ghost; /* S3-FIFO: in the ghost queue */
};

struct sim {
	uint32_t nkeys;
	struct sim_obj *o;
	uint64_t budget, bytes;
	struct sim_list a, m; /* LRU: a; S3: a small, m main */
	struct cache_sieve q;
	uint32_t *ghost; /* S3 ghost FIFO ring of keys */
	uint64_t g_head, g_tail;
	uint64_t hits, hit_bytes, reqs, req_bytes;
};

static uint64_t
splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static double
unit(uint64_t *s)
{
	return ((splitmix(s) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

static void
list_push(struct sim *s, struct sim_list *l, uint32_t k)
{
	struct sim_obj *o = &s->o[k];

	o->prev = SIM_NIL;
	o->next = l->head;
	if (l->head != SIM_NIL)
		s->o[l->head].prev = k;
	else
		l->tail = k;
	l->head = k;
	l->bytes += o->size;
	l->n++;
}

static void
list_del(struct sim *s, struct sim_list *l, uint32_t k)
{
	struct sim_obj *o = &s->o[k];

	if (o->prev != SIM_NIL)
		s->o[o->prev].next = o->next;
	else
		l->head = o->next;
	if (o->next != SIM_NIL)
		s->o[o->next].prev = o->prev;
	else
		l->tail = o->prev;
	l->bytes -= o->size;
	l->n--;
}

static void
sim_reset(struct sim *s, uint64_t budget)
{
	uint32_t k;

	for (k = 0; k < s->nkeys; k++) {
		s->o[k].in = 0;
		s->o[k].freq = 0;
		s->o[k].ghost = 0;
	}
	s->budget = budget;
	s->bytes = 0;
	s->a.head = s->a.tail = s->m.head = s->m.tail = SIM_NIL;
	s->a.bytes = s->a.n = s->m.bytes = s->m.n = 0;
	cache_sieve_init(&s->q);
	s->g_head = s->g_tail = 0;
	s->hits = s->hit_bytes = s->reqs = s->req_bytes = 0;
}

static void
evict_lru(struct sim *s, uint32_t self)
{
	while (s->bytes > s->budget && s->a.tail != self) {
		uint32_t v = s->a.tail;

		list_del(s, &s->a, v);
		s->o[v].in = 0;
		s->bytes -= s->o[v].size;
	}
}

static bool
sieve_skip(const struct cache_sieve_node *n, void *arg)
{
	return n == arg;
}

static void
evict_sieve(struct sim *s, uint32_t self)
{
	while (s->bytes > s->budget) {
		struct cache_sieve_node *n =
		    cache_sieve_victim(&s->q, sieve_skip, &s->o[self].sn);
		struct sim_obj *v;

		if (n == NULL)
			return;
		v = (struct sim_obj *)n; /* sn is the first member */
		cache_sieve_remove(&s->q, n);
		v->in = 0;
		s->bytes -= v->size;
	}
}

/* S3-FIFO's ghost: a FIFO of keys as long as M has objects. */
static void
ghost_push(struct sim *s, uint32_t k)
{
	s->ghost[s->g_tail++ % s->nkeys] = k;
	s->o[k].ghost = 1;
	while (s->g_tail - s->g_head > s->m.n + 1 ||
	       s->g_tail - s->g_head >= s->nkeys)
		s->o[s->ghost[s->g_head++ % s->nkeys]].ghost = 0;
}

static void
evict_s3(struct sim *s, uint32_t self)
{
	uint64_t steps = 0;

	while (s->bytes > s->budget && steps++ < 8 * (uint64_t)s->nkeys) {
		uint32_t v;

		if ((s->a.bytes > s->budget / 10 || s->m.n == 0) &&
		    s->a.tail != SIM_NIL && s->a.tail != self) {
			v = s->a.tail;
			list_del(s, &s->a, v);
			if (s->o[v].freq >= 1) { /* was hit while in S */
				s->o[v].freq = 0;
				s->o[v].in = 2;
				list_push(s, &s->m, v);
			} else {
				s->o[v].in = 0;
				s->bytes -= s->o[v].size;
				ghost_push(s, v);
			}
		} else if (s->m.tail != SIM_NIL && s->m.tail != self) {
			v = s->m.tail;
			list_del(s, &s->m, v);
			if (s->o[v].freq > 0) {
				s->o[v].freq--;
				list_push(s, &s->m, v);
			} else {
				s->o[v].in = 0;
				s->bytes -= s->o[v].size;
			}
		} else {
			return;
		}
	}
}

static void
sim_request(struct sim *s, enum sim_policy p, uint32_t k)
{
	struct sim_obj *o = &s->o[k];

	s->reqs++;
	s->req_bytes += o->size;
	if (o->in) {
		s->hits++;
		s->hit_bytes += o->size;
		if (p == SIM_LRU) {
			list_del(s, &s->a, k);
			list_push(s, &s->a, k);
		} else if (p == SIM_SIEVE) {
			cache_sieve_hit(&o->sn);
		} else if (o->freq < 3) {
			o->freq++;
		}
		return;
	}
	if (o->size > s->budget)
		return;
	s->bytes += o->size;
	if (p == SIM_LRU) {
		o->in = 1;
		list_push(s, &s->a, k);
		evict_lru(s, k);
	} else if (p == SIM_SIEVE) {
		o->in = 1;
		cache_sieve_insert(&s->q, &o->sn);
		evict_sieve(s, k);
	} else {
		o->freq = 0;
		if (o->ghost) {
			o->in = 2;
			list_push(s, &s->m, k);
		} else {
			o->in = 1;
			list_push(s, &s->a, k);
		}
		evict_s3(s, k);
	}
}

/* Zipf(<alpha>) ranks over <n> keys: the CDF, for binary search. */
static double *
zipf_cdf(uint32_t n, double alpha)
{
	double *c = malloc(n * sizeof(*c)), sum = 0;
	uint32_t i;

	if (c == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		c[i] = (sum += 1.0 / pow(i + 1, alpha));
	for (i = 0; i < n; i++)
		c[i] /= sum;
	return c;
}

static uint32_t
zipf_draw(const double *c, uint32_t n, uint64_t *st)
{
	double u = unit(st);
	uint32_t lo = 0, hi = n - 1;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (c[mid] < u)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int
main(int argc, char **argv)
{
	const double alphas[] = {0.8, 1.0};
	const double fracs[] = {0.01, 0.05, 0.10};
	int quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
	uint32_t nkeys = quick ? 10000 : 100000;
	uint32_t nreq = quick ? 100000 : 1000000;
	uint32_t *trace = malloc(nreq * sizeof(*trace));
	uint32_t *perm = malloc(nkeys * sizeof(*perm));
	uint8_t *seen = calloc(nkeys, 1);
	struct sim s = {0};
	uint64_t fp[2] = {0, 0};
	uint32_t distinct[2] = {0, 0};
	int bad = 0;
	size_t ai, fi;
	uint32_t i;

	s.nkeys = nkeys;
	s.o = calloc(nkeys, sizeof(*s.o));
	s.ghost = calloc(nkeys, sizeof(*s.ghost));
	if (trace == NULL || perm == NULL || seen == NULL || s.o == NULL ||
	    s.ghost == NULL)
		return 2;
	printf("| alpha | budget (%% of footprint) | policy | object hit "
	       "ratio | byte hit ratio |\n|---|---|---|---|---|\n");
	for (ai = 0; ai < 2; ai++) {
		uint64_t st = SIM_SEED + ai, footprint = 0;
		double *cdf = zipf_cdf(nkeys, alphas[ai]);

		if (cdf == NULL)
			return 2;
		/* sizes per key; popularity rank -> key by a permutation */
		for (i = 0; i < nkeys; i++) {
			double sz =
			    SIM_SIZE_MIN / pow(unit(&st), 1.0 / SIM_SIZE_SHAPE);
			uint32_t j = (uint32_t)(splitmix(&st) % (i + 1));

			s.o[i].size =
			    sz > SIM_SIZE_MAX ? SIM_SIZE_MAX : (uint32_t)sz;
			perm[i] = perm[j];
			perm[j] = i;
		}
		memset(seen, 0, nkeys);
		for (i = 0; i < nreq; i++) {
			trace[i] = perm[zipf_draw(cdf, nkeys, &st)];
			if (!seen[trace[i]]) {
				seen[trace[i]] = 1;
				footprint += s.o[trace[i]].size;
				distinct[ai]++;
			}
		}
		free(cdf);
		for (fi = 0; fi < 3; fi++) {
			int p;

			for (p = 0; p < SIM_N; p++) {
				sim_reset(&s,
				          (uint64_t)(footprint * fracs[fi]));
				for (i = 0; i < nreq; i++) {
					sim_request(&s, (enum sim_policy)p,
					            trace[i]);
					if (quick &&
					    s.bytes > s.budget + SIM_SIZE_MAX) {
						fprintf(stderr,
						        "%s over budget\n",
						        sim_names[p]);
						bad = 1;
						break;
					}
				}
				printf(
				    "| %.1f | %.0f%% (%.1f MiB) | %s | %.4f | "
				    "%.4f |\n",
				    alphas[ai], fracs[fi] * 100,
				    s.budget / 1048576.0, sim_names[p],
				    (double)s.hits / s.reqs,
				    (double)s.hit_bytes / s.req_bytes);
				if (s.hits > s.reqs || s.hits == 0)
					bad = 1;
			}
		}
		fp[ai] = footprint;
	}
	for (ai = 0; ai < 2; ai++)
		printf("\nalpha %.1f: %u requests over %u keys, %u distinct "
		       "requested, footprint %.1f MiB",
		       alphas[ai], nreq, nkeys, distinct[ai],
		       fp[ai] / 1048576.0);
	printf("\n");
	free(trace);
	free(perm);
	free(seen);
	free(s.o);
	free(s.ghost);
	return bad;
}
