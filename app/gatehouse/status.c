/*
 * The live views' history (see status.h): one reading a second of the
 * counters the views chart, summed over the workers with relaxed loads
 * (the workers keep counting), into the ring of lib/stats.
 */
#include <errno.h>
#include <time.h>

#include <rte_cycles.h>

#include "common/gh_common.h"
#include "proxy/proxy.h"
#include "stats/stats.h"
#include "gatehouse.h"
#include "status.h"

_Static_assert(STATS_RING_WORKERS_MAX == CONF_WORKERS_MAX,
               "the ring keeps a busy share for every worker");

static uint64_t
clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void
status_init(struct status_view *v)
{
	v->magic = STATUS_MAGIC;
	v->next_ms = 0;
	stats_ring_init(&v->ring);
}

/* The forward, reverse and socks listeners' counters of worker <w> that
 * the views show: requests, error answers. */
static void
read_listeners(const struct worker *w, struct stats_ring_read *r)
{
	unsigned i;

	for (i = 0; i < CONF_LISTENERS_MAX; i++) {
		const struct proxy_listener_counters *lc =
		    proxy_worker_listener_counters(w->proxy, i);

		if (lc == NULL)
			break;
		r->requests += stats_read(&lc->requests);
		r->errors += stats_read(&lc->errors);
	}
}

static void
read_worker(const struct app *a, unsigned k, struct stats_ring_read *r)
{
	const struct worker *w = a->workers[k];
	const struct proxy_counters *pc = proxy_worker_counters(w->proxy);
	unsigned i;

	read_listeners(w, r);
	r->errors += stats_read(&pc->relay_upstream_failed);
	r->hits += stats_read(&pc->fwd_cache_hits);
	r->misses += stats_read(&pc->fwd_cache_misses);
	r->conns_open += stats_read(&pc->sessions_in_use) +
	                 stats_read(&pc->fwd_sessions_in_use);
	for (i = 0; i < a->n_ports; i++) {
		r->bytes_in += stats_read(&w->pcnt[i].rx_bytes);
		r->bytes_out += stats_read(&w->pcnt[i].tx_bytes);
	}
	r->busy_tsc[k] = stats_read(&w->cnt.busy_tsc);
	r->idle_tsc[k] = stats_read(&w->cnt.idle_tsc);
}

int
status_poll(struct status_view *v, const struct app *a)
{
	struct stats_ring_read r = {0};
	uint64_t now = clock_ms(CLOCK_MONOTONIC);
	unsigned k;

	GH_CHECK_OBJ_NOTNULL(v, STATUS_MAGIC);
	GH_CHECK_OBJ_NOTNULL(a, APP_MAGIC);
	if (now < v->next_ms)
		return 0;
	/* the next one a second after this one was due, or from now when
	 * the loop was held up longer (a reload): never a burst of them */
	v->next_ms = now - v->next_ms < STATS_RING_INTERVAL_MS
	                 ? v->next_ms + STATS_RING_INTERVAL_MS
	                 : now + STATS_RING_INTERVAL_MS;
	r.mono_ms = now;
	r.unix_ms = clock_ms(CLOCK_REALTIME);
	r.n_workers = a->n_workers;
	for (k = 0; k < a->n_workers; k++)
		read_worker(a, k, &r);
	(void)stats_ring_add(&v->ring, &r);
	return 1;
}

int
status_render_json(const struct status_view *v, const struct app *a,
                   unsigned last, struct stats_buf *b)
{
	GH_CHECK_OBJ_NOTNULL(v, STATUS_MAGIC);
	GH_CHECK_OBJ_NOTNULL(a, APP_MAGIC);
	stats_buf_printf(
	    b, "{\"version\":\"%s\",\"uptime_s\":%llu,\"now_ms\":%llu,",
	    GH_VERSION,
	    (unsigned long long)((rte_rdtsc() - a->start_tsc) /
	                         rte_get_tsc_hz()),
	    (unsigned long long)clock_ms(CLOCK_REALTIME));
	stats_ring_render_json(b, &v->ring, last);
	stats_buf_printf(b, "}\n");
	return b->overflow ? -ENOSPC : 0;
}
