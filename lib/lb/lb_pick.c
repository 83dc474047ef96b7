/*
 * lib/lb picks: one worker's choice of a server for a request (smooth
 * weighted round-robin, least outstanding per weight, Maglev lookup), its
 * in-flight counts and failure streaks.  A struct lb_worker belongs to one
 * thread; the only shared state these functions touch is lb_health
 * (atomic loads on each pick, an ejection's compare-and-swap when a
 * streak ends in one).  No allocation after lb_worker_new; every loop is
 * bounded by the pool's size, the Maglev walk by its table's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lb_priv.h"

static int lb_smooth_wrr(struct lb_worker *w, const struct lb_pool *p,
                         uint32_t set);

struct lb_worker *
lb_worker_new(const struct lb_pool *p, unsigned n_workers, unsigned worker,
              const uint32_t *max_conns)
{
	struct lb_worker *w;
	size_t bytes;
	uint32_t all;

	GH_CHECK_OBJ_NOTNULL(p, LB_POOL_MAGIC);
	if (n_workers == 0 || worker >= n_workers) {
		errno = EINVAL;
		return NULL;
	}
	/* its own cache lines: no false sharing with another worker's */
	bytes = (sizeof(*w) + LB_CACHE_LINE - 1) & ~(size_t)(LB_CACHE_LINE - 1);
	w = aligned_alloc(LB_CACHE_LINE, bytes);
	if (w == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	memset(w, 0, bytes);
	w->magic = LB_WORKER_MAGIC;
	w->n = p->n;
	w->algo = p->algo;
	for (unsigned i = 0; i < p->n && max_conns != NULL; i++)
		w->share[i] =
		    (uint32_t)(((uint64_t)max_conns[i] + n_workers - 1) /
		               n_workers);
	/* worker k starts k picks in: the smooth sequence repeats every
	 * total_weight picks, so at most that many steps */
	all = p->n >= 32 ? UINT32_MAX : (1u << p->n) - 1;
	for (unsigned k = 0; k < worker % p->total_weight; k++)
		(void)lb_smooth_wrr(w, p, all);
	return w;
}

void
lb_worker_free(struct lb_worker *w)
{
	if (w == NULL)
		return;
	GH_CHECK_OBJ(w, LB_WORKER_MAGIC);
	w->magic = 0;
	free(w);
}

uint32_t
lb_outstanding(const struct lb_worker *w, unsigned srv)
{
	GH_CHECK_OBJ_NOTNULL(w, LB_WORKER_MAGIC);
	GH_VERIFY(srv < w->n);
	return w->outstanding[srv];
}

/* Whether this worker may send <srv> one more request. */
static inline bool
lb_under_share(const struct lb_worker *w, unsigned srv)
{
	return w->share[srv] == 0 || w->outstanding[srv] < w->share[srv];
}

/*
 * The servers (bit i: server i) that may take the request: usable, not in
 * <exclude> and under this worker's share.  <open> gets the usable ones
 * not in <exclude>, limit or not, which tells -EBUSY from -ENOENT.
 */
static uint32_t
lb_candidates(const struct lb_worker *w, const struct lb_health *h,
              uint32_t exclude, uint64_t now_ms, uint32_t *open)
{
	uint32_t cand = 0, usable = 0;

	/* no branches: which servers pass is data, not a pattern a predictor
	 * learns (all three loads are on the server's one line) */
	for (unsigned i = 0; i < w->n; i++) {
		const struct lb_srv_health *s = &h->srv[i];
		uint32_t ok =
		    (uint32_t)(~exclude >> i & 1u) &
		    (uint32_t)atomic_load_explicit(&s->admin,
		                                   memory_order_relaxed) &
		    (uint32_t)atomic_load_explicit(&s->up,
		                                   memory_order_relaxed) &
		    (uint32_t)(now_ms >=
		               atomic_load_explicit(&s->ejected_until_ms,
		                                    memory_order_relaxed));

		usable |= ok << i;
		cand |= (ok & (uint32_t)lb_under_share(w, i)) << i;
	}
	*open = usable;
	return cand;
}

/*
 * Smooth weighted round-robin (nginx's ngx_http_upstream_get_peer) over
 * the servers of <set>: each gains its weight, the one with the most wins
 * and gives back the set's total.  Over sum(weights) picks of an unchanged
 * set each server wins exactly its weight, spread out rather than in
 * runs.  Servers outside <set> keep their value.
 */
static int
lb_smooth_wrr(struct lb_worker *w, const struct lb_pool *p, uint32_t set)
{
	int32_t total = 0, best_c = INT32_MIN;
	int best = -1;

	/* the best value kept in a register: reading current[best] back
	 * after each store made every step wait on the one before */
	for (uint32_t m = set; m != 0; m &= m - 1) {
		unsigned i = (unsigned)__builtin_ctz(m);
		int32_t wt = (int32_t)p->weights[i];
		int32_t c = w->current[i] + wt;
		bool better = best < 0 || c > best_c;

		w->current[i] = c;
		total += wt;
		best = better ? (int)i : best;
		best_c = better ? c : best_c;
	}
	GH_VERIFY(best >= 0);
	w->current[best] -= total;
	return best;
}

/*
 * Least outstanding: the fewest requests in flight per weight
 * (outstanding_i / w_i < outstanding_j / w_j compared as
 * outstanding_i * w_j < outstanding_j * w_i, no division), the servers
 * that tie sharing by smooth weighted round-robin, so equal servers take
 * turns and an idle pool still follows the weights.
 */
static int
lb_least(struct lb_worker *w, const struct lb_pool *p, uint32_t cand)
{
	uint64_t bo = 0, bw = 0;
	uint32_t tied = 0;

	for (uint32_t m = cand; m != 0; m &= m - 1) {
		unsigned i = (unsigned)__builtin_ctz(m);
		uint64_t o = w->outstanding[i], wt = p->weights[i];

		if (tied == 0 || o * bw < bo * wt) {
			bo = o;
			bw = wt;
			tied = 1u << i;
		} else if (o * bw == bo * wt) {
			tied |= 1u << i;
		}
	}
	return lb_smooth_wrr(w, p, tied);
}

/* splitmix64's step: the fallback probes of a key. */
static inline uint64_t
lb_mix(uint64_t x)
{
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/*
 * Maglev lookup: the slot of <key_hash> names a server; when that one
 * cannot take the request, the key's own probe sequence is walked to the
 * first server that can.  A usable server's keys therefore never move.
 * The probes are first LB_HASH_PROBES slots drawn from the key
 * (independent, so an unusable server's keys land on the others in
 * proportion to their slots: walking the adjacent slots instead hands its
 * keys to whoever follows its slots, and a fixed stride meets the
 * arithmetic runs Maglev's permutations leave in the table; both were up
 * to a quarter off the others' weights), then, should all of those miss
 * (the candidates hold few slots), slot + step, + 2 step, ... mod M with
 * the step from the key's high bits: M is prime and the step in 1..M-1,
 * so that visits every slot within M steps.  It ends because every server
 * owns a slot (lb_maglev_fill) and the walk starts only once some
 * candidate exists.
 */
#define LB_HASH_PROBES 64u

static int
lb_hash(const struct lb_worker *w, const struct lb_pool *p,
        const struct lb_health *h, uint64_t key_hash, uint32_t exclude,
        uint64_t now_ms)
{
	const uint32_t m = p->table_size;
	uint32_t s = (uint32_t)(key_hash % m), step, cand, open;
	unsigned i = p->table[s];
	uint64_t x = key_hash;

	if (!((exclude >> i) & 1u) && lb_under_share(w, i) &&
	    lb_srv_usable(&h->srv[i], now_ms))
		return (int)i;
	cand = lb_candidates(w, h, exclude, now_ms, &open);
	if (cand == 0)
		return open != 0 ? -EBUSY : -ENOENT;
	for (uint32_t k = 0; k < LB_HASH_PROBES; k++) {
		x = lb_mix(x + 0x9e3779b97f4a7c15ull);
		s = (uint32_t)(((x >> 32) * m) >> 32);
		if ((cand >> p->table[s]) & 1u)
			return p->table[s];
	}
	step = (uint32_t)((key_hash >> 32) % (m - 1)) + 1;
	for (uint32_t k = 0; k < m; k++) {
		s += step;
		if (s >= m)
			s -= m;
		if ((cand >> p->table[s]) & 1u)
			return p->table[s];
	}
	GH_WRONG("a candidate server owns no slot of the Maglev table");
}

int
lb_pick(struct lb_worker *w, const struct lb_pool *p, const struct lb_health *h,
        uint64_t key_hash, uint32_t exclude, uint64_t now_ms)
{
	uint32_t cand, open;

	GH_CHECK_OBJ_NOTNULL(w, LB_WORKER_MAGIC);
	GH_CHECK_OBJ_NOTNULL(p, LB_POOL_MAGIC);
	GH_CHECK_OBJ_NOTNULL(h, LB_HEALTH_MAGIC);
	GH_VERIFY(w->n == p->n && h->n == p->n && w->algo == p->algo);
	if (p->algo == LB_URI_HASH)
		return lb_hash(w, p, h, key_hash, exclude, now_ms);
	cand = lb_candidates(w, h, exclude, now_ms, &open);
	if (cand == 0)
		return open != 0 ? -EBUSY : -ENOENT;
	if (p->algo == LB_LEAST_OUTSTANDING)
		return lb_least(w, p, cand);
	return lb_smooth_wrr(w, p, cand);
}

void
lb_start(struct lb_worker *w, unsigned srv)
{
	GH_CHECK_OBJ_NOTNULL(w, LB_WORKER_MAGIC);
	GH_VERIFY(srv < w->n);
	GH_VERIFY(w->outstanding[srv] < UINT32_MAX);
	w->outstanding[srv]++;
}

/*
 * One more failure in <streak>: at <limit> (0: never) the server is
 * ejected.  An ejection refused because the server is the last usable one
 * keeps the streak at its limit, so its first failure after another one
 * is back ejects it (a success resets it); one that was out already
 * (ejected by another worker, down, draining) starts a new streak.
 */
static bool
lb_streak(uint32_t *streak, uint32_t limit, struct lb_health *h, unsigned srv,
          uint64_t now_ms)
{
	if (limit == 0)
		return false;
	if (*streak < limit)
		(*streak)++;
	if (*streak < limit)
		return false;
	switch (lb_health_eject(h, srv, now_ms)) {
	case 1:
		*streak = 0;
		return true;
	case 0:
		return false;
	default:
		*streak = 0;
		return false;
	}
}

bool
lb_finish(struct lb_worker *w, struct lb_health *h, unsigned srv,
          enum lb_outcome o, uint64_t now_ms)
{
	GH_CHECK_OBJ_NOTNULL(w, LB_WORKER_MAGIC);
	GH_CHECK_OBJ_NOTNULL(h, LB_HEALTH_MAGIC);
	GH_VERIFY(srv < w->n && h->n == w->n);
	/* a finish without its start would corrupt the limits */
	GH_VERIFY(w->outstanding[srv] > 0);
	w->outstanding[srv]--;
	switch (o) {
	case LB_OK:
		w->fail_streak[srv] = 0;
		w->x5xx_streak[srv] = 0;
		return false;
	case LB_CONNECT_FAIL:
	case LB_FAIL:
		/* says nothing of its answers: the 5xx streak stays */
		return lb_streak(&w->fail_streak[srv], h->hp.eject_fails, h,
		                 srv, now_ms);
	case LB_5XX:
		/* it connected and answered: the failure streak ends */
		w->fail_streak[srv] = 0;
		return lb_streak(&w->x5xx_streak[srv], h->hp.eject_5xx, h, srv,
		                 now_ms);
	case LB_ABORTED:
		return false;
	}
	GH_WRONG("unknown lb_outcome");
}
