/*
 * lib/lb health: each server's shared state (operator's drain, active
 * checks' UP/DOWN, passive ejection with its back-off), one cache line per
 * server, C11 atomics, no lock.  Picks read it with relaxed loads; the
 * rare writers are the operator (lb_health_admin), the checker thread
 * (lb_health_check_result, the only writer of the rise and fall counts)
 * and a worker whose failure streak ejects a server (lb_health_eject,
 * from lb_finish).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lb_priv.h"

struct lb_health *
lb_health_new(unsigned n, const struct lb_health_params *hp)
{
	struct lb_health *h;
	size_t bytes;

	if (hp == NULL || n == 0 || n > LB_SERVERS_MAX ||
	    ((hp->eject_fails != 0 || hp->eject_5xx != 0) &&
	     (hp->eject_base_ms == 0 ||
	      hp->eject_max_ms < hp->eject_base_ms))) {
		errno = EINVAL;
		return NULL;
	}
	bytes = sizeof(*h) + n * sizeof(h->srv[0]);
	bytes = (bytes + LB_CACHE_LINE - 1) & ~(size_t)(LB_CACHE_LINE - 1);
	h = aligned_alloc(LB_CACHE_LINE, bytes);
	if (h == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	memset(h, 0, bytes);
	h->magic = LB_HEALTH_MAGIC;
	h->n = n;
	h->hp = *hp;
	/* 0 would mean "never"; one check is the least that can decide */
	if (h->hp.rise == 0)
		h->hp.rise = 1;
	if (h->hp.fall == 0)
		h->hp.fall = 1;
	for (unsigned i = 0; i < n; i++) {
		atomic_init(&h->srv[i].ejected_until_ms, 0);
		atomic_init(&h->srv[i].eject_len_ms, 0);
		atomic_init(&h->srv[i].admin, true);
		atomic_init(&h->srv[i].up, !hp->start_down);
	}
	return h;
}

void
lb_health_free(struct lb_health *h)
{
	if (h == NULL)
		return;
	GH_CHECK_OBJ(h, LB_HEALTH_MAGIC);
	h->magic = 0;
	free(h);
}

bool
lb_health_usable(const struct lb_health *h, unsigned srv, uint64_t now_ms)
{
	GH_CHECK_OBJ_NOTNULL(h, LB_HEALTH_MAGIC);
	GH_VERIFY(srv < h->n);
	return lb_srv_usable(&h->srv[srv], now_ms);
}

enum lb_state
lb_health_state(const struct lb_health *h, unsigned srv, uint64_t now_ms)
{
	const struct lb_srv_health *s;

	GH_CHECK_OBJ_NOTNULL(h, LB_HEALTH_MAGIC);
	GH_VERIFY(srv < h->n);
	s = &h->srv[srv];
	if (!atomic_load(&s->admin))
		return LB_DRAINING;
	if (!atomic_load(&s->up))
		return LB_DOWN;
	if (now_ms < atomic_load(&s->ejected_until_ms))
		return LB_EJECTED;
	return LB_UP;
}

uint64_t
lb_health_ejected_until(const struct lb_health *h, unsigned srv)
{
	GH_CHECK_OBJ_NOTNULL(h, LB_HEALTH_MAGIC);
	GH_VERIFY(srv < h->n);
	return atomic_load(&h->srv[srv].ejected_until_ms);
}

unsigned
lb_health_servers(const struct lb_health *h)
{
	GH_CHECK_OBJ_NOTNULL(h, LB_HEALTH_MAGIC);
	return h->n;
}

bool
lb_health_check_result(struct lb_health *h, unsigned srv, bool ok,
                       uint64_t now_ms)
{
	struct lb_srv_health *s;
	bool up;

	(void)now_ms;
	GH_CHECK_OBJ_NOTNULL(h, LB_HEALTH_MAGIC);
	GH_VERIFY(srv < h->n);
	s = &h->srv[srv];
	up = atomic_load(&s->up);
	if (ok) {
		s->fall_count = 0;
		if (up)
			return false;
		if (++s->rise_count < h->hp.rise)
			return false;
		s->rise_count = 0;
		atomic_store(&s->up, true);
		return true;
	}
	s->rise_count = 0;
	if (!up)
		return false;
	if (++s->fall_count < h->hp.fall)
		return false;
	s->fall_count = 0;
	atomic_store(&s->up, false);
	return true;
}

void
lb_health_admin(struct lb_health *h, unsigned srv, bool enabled)
{
	GH_CHECK_OBJ_NOTNULL(h, LB_HEALTH_MAGIC);
	GH_VERIFY(srv < h->n);
	atomic_store(&h->srv[srv].admin, enabled);
}

/* Whether a server other than <srv> is usable at <now_ms>. */
static bool
lb_other_usable(const struct lb_health *h, unsigned srv, uint64_t now_ms)
{
	for (unsigned i = 0; i < h->n; i++) {
		const struct lb_srv_health *s = &h->srv[i];

		if (i != srv && atomic_load(&s->admin) && atomic_load(&s->up) &&
		    now_ms >= atomic_load(&s->ejected_until_ms))
			return true;
	}
	return false;
}

/*
 * Ejects <srv> from <now_ms> on; the caller is the worker whose streak
 * reached its threshold.  The length is eject_base_ms, or twice the last
 * one (at most eject_max_ms) when the last ejection ended less than
 * eject_max_ms ago: a server that keeps failing stays out longer, one
 * that was quiet that long starts again from the base.
 *
 * Returns 1 when ejected, 0 when refused because no other server of the
 * pool is usable (the last usable server keeps serving), -1 when the
 * server is not usable anyway (already ejected, down or draining: nothing
 * to take it out of; failures of requests sent before say nothing new).  Two
 * workers ejecting the last two servers at once each store their ejection, then
 * look at the others (sequentially consistent, so at least one of them
 * sees the other's), and the one that finds none usable takes its
 * ejection back: the pool never empties by ejection.
 */
int
lb_health_eject(struct lb_health *h, unsigned srv, uint64_t now_ms)
{
	struct lb_srv_health *s;
	uint64_t prev_end, until;
	uint32_t len;

	GH_CHECK_OBJ_NOTNULL(h, LB_HEALTH_MAGIC);
	GH_VERIFY(srv < h->n);
	s = &h->srv[srv];
	prev_end = atomic_load(&s->ejected_until_ms);
	if (!atomic_load(&s->admin) || !atomic_load(&s->up) ||
	    now_ms < prev_end)
		return -1;
	if (!lb_other_usable(h, srv, now_ms))
		return 0;
	len = h->hp.eject_base_ms;
	if (prev_end != 0 && now_ms - prev_end < h->hp.eject_max_ms) {
		uint64_t twice = 2 * (uint64_t)atomic_load(&s->eject_len_ms);

		if (twice > len)
			len = twice < h->hp.eject_max_ms ? (uint32_t)twice
			                                 : h->hp.eject_max_ms;
	}
	until = now_ms + len;
	if (!atomic_compare_exchange_strong(&s->ejected_until_ms, &prev_end,
	                                    until))
		return -1; /* another worker ejected it first */
	if (!lb_other_usable(h, srv, now_ms)) {
		/* lost the race for the last usable server: give it back */
		atomic_compare_exchange_strong(&s->ejected_until_ms, &until,
		                               prev_end);
		return 0;
	}
	atomic_store(&s->eject_len_ms, len);
	return 1;
}
