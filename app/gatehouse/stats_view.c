/*
 * Statistics as operators see them: the control thread (and the DPDK
 * telemetry thread) sum the per-worker counter groups and render them as
 * text, JSON, telemetry dictionaries or Prometheus text.  Every counter
 * comes from one X-macro declaration, and one walk over the groups
 * (snapshot_walk) feeds all four surfaces.  Counters are named here only
 * where a value comes from outside a counter struct: the device's
 * (rte_eth_stats fields), the cache index's gauges, the access-log
 * writer's and the process's, each assigned to its field by name.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_telemetry.h>

#include "cache/cache_index.h"
#include "common/gh_common.h"
#include "dns/dns.h"
#include "lb/lb.h"
#include "net/net.h"
#include "proxy/proxy.h"
#include "tcp/tcp.h"
#include "tcp/tcp_flow.h"
#include "stats/stats.h"
#include "gatehouse.h"
#include "logger.h"
#include "mgmt.h"
#include "pools.h"
#include "reload.h"

/*
 * One port as every surface shows it: our counters (summed over the
 * workers), then the device's (read from the port, so totals only).
 */
struct port_snap {
	struct port_counters own;
	struct dev_counters dev;
};

static const struct stats_counter_desc port_descs[] = {
    PORT_COUNTERS(STATS_DESC) DEV_COUNTERS(STATS_DESC)};
/* The port group as declared (each port's is named after the port). */
static const struct stats_group_desc port_group_decl = {
    "port", port_descs, GH_ARRAY_SIZE(port_descs)};
#define PORT_OWN_N (sizeof(struct port_counters) / sizeof(uint64_t))
_Static_assert(sizeof(struct port_snap) ==
                   GH_ARRAY_SIZE(port_descs) * sizeof(uint64_t),
               "port counters and descriptors out of step");

static const struct stats_counter_desc alog_descs[] = {
    LOGGER_COUNTERS(STATS_DESC)};
static const struct stats_group_desc alog_group = {"access_log", alog_descs,
                                                   GH_ARRAY_SIZE(alog_descs)};
_Static_assert(sizeof(struct logger_totals) ==
                   GH_ARRAY_SIZE(alog_descs) * sizeof(uint64_t),
               "access-log counters and descriptors out of step");

static const struct stats_counter_desc pools_descs[] = {
    POOLS_COUNTERS(STATS_DESC)};
static const struct stats_group_desc pools_group = {"pools", pools_descs,
                                                    GH_ARRAY_SIZE(pools_descs)};
_Static_assert(sizeof(struct pools_totals) ==
                   GH_ARRAY_SIZE(pools_descs) * sizeof(uint64_t),
               "pools counters and descriptors out of step");

static const struct stats_counter_desc reload_descs[] = {
    RELOAD_COUNTERS(STATS_DESC)};
static const struct stats_group_desc reload_group = {
    "config", reload_descs, GH_ARRAY_SIZE(reload_descs)};
_Static_assert(sizeof(struct reload_totals) ==
                   GH_ARRAY_SIZE(reload_descs) * sizeof(uint64_t),
               "reload counters and descriptors out of step");

/*
 * The process's own values (totals only): group "process".
 */
/* clang-format off */
#define PROCESS_GAUGES(X)                                                     \
	X(uptime_seconds, "gauge: seconds since the process started")        \
	X(tsc_hz,         "gauge: TSC cycles per second (worker busy_tsc and idle_tsc count these)") \
	X(workers,        "gauge: worker lcores running")
/* clang-format on */

struct process_vals {
	PROCESS_GAUGES(STATS_FIELD)
};

static const struct stats_counter_desc process_descs[] = {
    PROCESS_GAUGES(STATS_DESC)};
static const struct stats_group_desc process_group = {
    "process", process_descs, GH_ARRAY_SIZE(process_descs)};

static const struct stats_counter_desc mgmt_descs[] = {
    MGMT_COUNTERS(STATS_DESC)};
static const struct stats_group_desc mgmt_group = {"management", mgmt_descs,
                                                   GH_ARRAY_SIZE(mgmt_descs)};
#define MGMT_N (sizeof(struct mgmt_counters) / sizeof(uint64_t))
_Static_assert(MGMT_N == GH_ARRAY_SIZE(mgmt_descs),
               "management counters and descriptors out of step");

/*
 * The shared cache's index (totals only, and only when there is one):
 * its counters (CACHE_INDEX_COUNTERS), then its gauges from the snapshot
 * and jemalloc's count of its arena, each assigned to its field by name,
 * and the hit ratio of the forward proxy's counters.
 */
/* clang-format off */
#define CACHE_GAUGES(X)                                                       \
	X(objects,      "gauge: objects in the index")                        \
	X(bytes,        "gauge: bytes the objects in the index allocated")    \
	X(budget_bytes, "gauge: the limit on bytes (cache-mb)")               \
	X(live_objects, "gauge: objects allocated, in the index or in use")  \
	X(live_bytes,   "gauge: bytes allocated by live objects")             \
	X(arena_bytes,  "gauge: bytes jemalloc counts in the cache's arena")  \
	X(mem_region_bytes, "gauge: the cache's memory region (DMA-registered)") \
	X(mem_used_bytes, "gauge: bytes of the region handed to jemalloc")    \
	X(mem_exhausted, "extent requests the region could not meet")         \
	X(hit_ratio_permille, "gauge: proxy.fwd_cache_hits per 1000 of fwd_cache_hits + fwd_cache_misses since the start (PromQL: a ratio of their rates)")
/* clang-format on */

struct cache_vals {
	struct cache_index_counters c;
	CACHE_GAUGES(STATS_FIELD)
};

static const struct stats_counter_desc cache_descs[] = {
    CACHE_INDEX_COUNTERS(STATS_DESC) CACHE_GAUGES(STATS_DESC)};
static const struct stats_group_desc cache_group = {"cache", cache_descs,
                                                    GH_ARRAY_SIZE(cache_descs)};
_Static_assert(sizeof(struct cache_vals) ==
                   GH_ARRAY_SIZE(cache_descs) * sizeof(uint64_t),
               "cache counters and descriptors out of step");

/* The counters and gauges of the index of <a> (takes its lock briefly). */
static void
cache_read(const struct app *a, struct cache_vals *v)
{
	struct cache_index *ci = a->cache;
	struct cache_index_stats st;
	uint64_t hits = 0, misses = 0;
	unsigned k;

	for (k = 0; k < a->n_workers; k++) {
		const struct proxy_counters *pc =
		    proxy_worker_counters(a->workers[k]->proxy);

		hits += stats_read(&pc->fwd_cache_hits);
		misses += stats_read(&pc->fwd_cache_misses);
	}
	v->hit_ratio_permille =
	    hits + misses != 0 ? hits * 1000 / (hits + misses) : 0;
	cache_index_stats_get(ci, &st);
	v->c = st.c;
	v->objects = st.objects;
	v->bytes = st.bytes;
	v->budget_bytes = st.budget_bytes;
	v->live_objects = st.live_objects;
	v->live_bytes = st.live_bytes;
	v->mem_region_bytes = st.mem_region_bytes;
	v->mem_used_bytes = st.mem_used_bytes;
	v->mem_exhausted = st.mem_exhausted;
	if (cache_index_arena_allocated(ci, &v->arena_bytes) < 0)
		v->arena_bytes = 0; /* jemalloc without statistics */
}

/*
 * The reverse proxy's pools and servers (totals only): each pool's and
 * each server's counters summed over the workers, then the gauges the
 * control thread reads (the pool's shared health, the workers' requests
 * in flight), in the order of proxy_pool_counters_desc and
 * proxy_server_counters_desc.  About 120 KiB: allocated per rendering
 * (rev_sums_take), not kept in every snapshot.
 */
struct rev_pool_vals {
	struct proxy_pool_counters c;
	PROXY_POOL_GAUGES(STATS_FIELD)
};

struct rev_server_vals {
	struct proxy_server_counters c;
	PROXY_SERVER_GAUGES(STATS_FIELD)
};

#define POOL_PW_N   (sizeof(struct proxy_pool_counters) / sizeof(uint64_t))
#define SERVER_PW_N (sizeof(struct proxy_server_counters) / sizeof(uint64_t))

struct rev_sums {
	struct rev_pool_vals pool[CONF_POOLS_MAX];
	struct rev_server_vals srv[CONF_POOLS_MAX][CONF_POOL_SERVERS_MAX];
};

/* Everything one rendering needs, summed once. */
struct stats_snapshot {
	struct net_counters net;
	struct worker_counters worker;
	struct tcp_counters tcp;
	struct tcp_flow_counters tcp_flow;
	struct proxy_counters proxy;
	struct dns_counters dns;
	struct port_snap port[CONF_PORTS_MAX];
	/* the forward listeners, in the order of the configuration */
	struct proxy_listener_counters listener[CONF_LISTENERS_MAX];
	struct process_vals process; /* totals only */
	struct cache_vals cache;     /* valid when has_cache */
	struct logger_totals alog;   /* valid when has_alog */
	struct mgmt_counters mgmt;   /* valid when has_mgmt */
	struct reload_totals reload; /* valid when has_reload */
	struct pools_totals pools;   /* valid when has_pools */
	struct pchk_counters health;
	struct rev_sums *rev; /* totals with pools, else NULL (malloc'd) */
	bool has_cache;
	bool has_alog;
	bool has_mgmt;
	bool has_reload;
	bool has_pools;
};

#define LISTENER_N (sizeof(struct proxy_listener_counters) / sizeof(uint64_t))

/* The per-worker counter groups, in rendering order. */
static const uint64_t *
get_net(const struct worker *w)
{
	return (const uint64_t *)&w->net.cnt;
}

static const uint64_t *
get_worker(const struct worker *w)
{
	return (const uint64_t *)&w->cnt;
}

static const uint64_t *
get_tcp(const struct worker *w)
{
	return (const uint64_t *)tcp_stack_counters(w->tcp);
}

static const uint64_t *
get_tcp_flow(const struct worker *w)
{
	return (const uint64_t *)tcp_stack_flow_counters(w->tcp);
}

static const uint64_t *
get_proxy(const struct worker *w)
{
	return (const uint64_t *)proxy_worker_counters(w->proxy);
}

static const uint64_t *
get_health(const struct worker *w)
{
	return (const uint64_t *)proxy_worker_check_counters(w->proxy);
}

static const uint64_t *
get_dns(const struct worker *w)
{
	static const struct dns_counters none;

	return (const uint64_t *)(w->dns != NULL ? dns_resolver_counters(w->dns)
	                                         : &none);
}

static const struct worker_group {
	const struct stats_group_desc *desc;
	size_t snap_off; /* where its sum lives in struct stats_snapshot */
	const uint64_t *(*get)(const struct worker *w);
} worker_groups[] = {
    {&net_counters_desc, offsetof(struct stats_snapshot, net), get_net},
    {&worker_counters_desc, offsetof(struct stats_snapshot, worker),
     get_worker},
    {&tcp_counters_desc, offsetof(struct stats_snapshot, tcp), get_tcp},
    {&tcp_flow_counters_desc, offsetof(struct stats_snapshot, tcp_flow),
     get_tcp_flow},
    {&proxy_counters_desc, offsetof(struct stats_snapshot, proxy), get_proxy},
    {&dns_counters_desc, offsetof(struct stats_snapshot, dns), get_dns},
    {&pchk_counters_desc, offsetof(struct stats_snapshot, health), get_health},
};

static uint64_t *
group_vals(struct stats_snapshot *s, const struct worker_group *g)
{
	return (uint64_t *)((char *)s + g->snap_off);
}

static const uint64_t *
group_cvals(const struct stats_snapshot *s, const struct worker_group *g)
{
	return (const uint64_t *)((const char *)s + g->snap_off);
}

static const struct app *telemetry_app;

static uint64_t
uptime_s(const struct app *a)
{
	return (rte_rdtsc() - a->start_tsc) / rte_get_tsc_hz();
}

/* The device's counters of port <i>, each by its name. */
static void
dev_read(const struct app *a, unsigned i, struct dev_counters *d)
{
	struct rte_eth_stats es;

	if (rte_eth_stats_get(a->ports[i].port_id, &es) == 0) {
		d->dev_ipackets = es.ipackets;
		d->dev_opackets = es.opackets;
		d->dev_imissed = es.imissed;
		d->dev_ierrors = es.ierrors;
		d->dev_oerrors = es.oerrors;
		d->dev_rx_nombuf = es.rx_nombuf;
	}
	d->mbufs_in_use = rte_mempool_in_use_count(a->pools[i]);
}

/* The pools' and servers' values of <a> now, or NULL (no pools, no
 * memory: the groups are left out).  free() it. */
static struct rev_sums *
rev_sums_take(const struct app *a)
{
	const struct conf_rev *rev = a->conf != NULL ? a->conf->rev : NULL;
	uint64_t now = proxy_lb_now_ms(rte_rdtsc(), rte_get_tsc_hz());
	struct rev_sums *rs;
	unsigned p, i, k;

	if (rev == NULL || rev->n_pools == 0)
		return NULL;
	rs = calloc(1, sizeof(*rs));
	if (rs == NULL)
		return NULL;
	for (p = 0; p < rev->n_pools; p++) {
		const struct conf_pool *pl = &rev->pools[p];
		struct rev_pool_vals *pv = &rs->pool[p];
		unsigned st[4] = {0};

		for (k = 0; k < a->n_workers; k++) {
			const struct proxy_worker *pw = a->workers[k]->proxy;
			const uint64_t *src;

			if (pw == NULL)
				continue;
			src =
			    (const uint64_t *)proxy_worker_pool_counters(pw, p);
			if (src != NULL)
				stats_group_add((uint64_t *)&pv->c, &src, 1,
				                POOL_PW_N);
			for (i = 0; i < pl->n_servers; i++) {
				struct rev_server_vals *sv = &rs->srv[p][i];

				src = (const uint64_t *)
				    proxy_worker_server_counters(pw, p, i);
				if (src != NULL)
					stats_group_add((uint64_t *)&sv->c,
					                &src, 1, SERVER_PW_N);
				sv->in_flight +=
				    proxy_worker_pool_outstanding(pw, p, i);
			}
		}
		lb_health_counts(pl->health, now, st);
		pv->servers_up = st[LB_UP];
		pv->servers_down = st[LB_DOWN];
		pv->servers_ejected = st[LB_EJECTED];
		pv->servers_draining = st[LB_DRAINING];
		for (i = 0; i < pl->n_servers; i++) {
			rs->srv[p][i].state =
			    (uint64_t)lb_health_state(pl->health, i, now);
			stats_hist_cumulate(&proxy_server_counters_desc,
			                    (uint64_t *)&rs->srv[p][i]);
		}
	}
	return rs;
}

/*
 * Sum worker <only> (or all workers when only < 0) into <s>; with <total>
 * also the devices' and the process's counters (the access-log writer's),
 * and the pools' and servers' (s->rev, which snapshot_done frees), which
 * belong to no worker or are shown in totals only.
 */
static void
snapshot_take(const struct app *a, int only, struct stats_snapshot *s,
              bool total)
{
	unsigned i, k;

	memset(s, 0, sizeof(*s));
	for (k = 0; k < a->n_workers; k++) {
		const struct worker *w = a->workers[k];
		const uint64_t *src;

		if (only >= 0 && (unsigned)only != k)
			continue;
		for (i = 0; i < GH_ARRAY_SIZE(worker_groups); i++) {
			const struct worker_group *g = &worker_groups[i];

			src = g->get(w);
			stats_group_add(group_vals(s, g), &src, 1, g->desc->n);
		}
		for (i = 0; i < a->n_ports; i++) {
			src = (const uint64_t *)&w->pcnt[i];
			stats_group_add((uint64_t *)&s->port[i].own, &src, 1,
			                PORT_OWN_N);
		}
		for (i = 0; i < CONF_LISTENERS_MAX; i++) {
			src = (const uint64_t *)proxy_worker_listener_counters(
			    w->proxy, i);
			if (src == NULL)
				break;
			stats_group_add((uint64_t *)&s->listener[i], &src, 1,
			                LISTENER_N);
		}
	}
	for (i = 0; i < CONF_LISTENERS_MAX; i++)
		stats_hist_cumulate(&proxy_listener_counters_desc,
		                    (uint64_t *)&s->listener[i]);
	if (!total)
		return;
	s->process.uptime_seconds = uptime_s(a);
	s->process.tsc_hz = rte_get_tsc_hz();
	s->process.workers = a->n_workers;
	for (i = 0; i < a->n_ports; i++)
		dev_read(a, i, &s->port[i].dev);
	if (a->cache != NULL) {
		cache_read(a, &s->cache);
		s->has_cache = true;
	}
	if (a->logger != NULL) {
		logger_counters(a->logger, &s->alog);
		s->has_alog = true;
	}
	if (a->reload != NULL) {
		reload_counters(a->reload, &s->reload);
		s->has_reload = true;
	}
	if (a->pool_watch != NULL) {
		pools_totals(a->pool_watch, a, &s->pools);
		s->has_pools = true;
	}
	if (a->mgmt_cnt != NULL) {
		const uint64_t *src = (const uint64_t *)a->mgmt_cnt;

		stats_group_add((uint64_t *)&s->mgmt, &src, 1, MGMT_N);
		s->has_mgmt = true;
	}
	s->rev = rev_sums_take(a);
}

/* What snapshot_take allocated, freed. */
static void
snapshot_done(struct stats_snapshot *s)
{
	free(s->rev);
	s->rev = NULL;
}

/*
 * What a surface does with one group.  <parent> is "port" for the group of
 * one port (named after it), "listener" for one forward listener's,
 * "pool" for one pool's, "server" for one server's, NULL for the others;
 * <sub> is the pool of a server's group (named after the server), else
 * NULL.  The first <n_pw> values of the group are kept per worker and
 * found in each worker's snapshot (the rest are the process's: a port's
 * device counters, the cache's, the access-log writer's; and a pool's and
 * a server's groups, whose per-worker copies are summed in totals only).
 */
typedef void (*group_visit_fn)(void *ctx, const char *parent, const char *sub,
                               const struct stats_group_desc *g,
                               const uint64_t *vals, unsigned n_pw);

/* The groups of the pools, then of their servers (pool by pool). */
static void
rev_walk(const struct app *a, const struct rev_sums *rs, group_visit_fn fn,
         void *ctx)
{
	const struct conf_rev *rev = a->conf->rev;
	unsigned p, i;

	for (p = 0; p < rev->n_pools; p++) {
		struct stats_group_desc g = proxy_pool_counters_desc;

		g.name = rev->pools[p].name;
		fn(ctx, "pool", NULL, &g, (const uint64_t *)&rs->pool[p], 0);
	}
	for (p = 0; p < rev->n_pools; p++) {
		const struct conf_pool *pl = &rev->pools[p];

		for (i = 0; i < pl->n_servers; i++) {
			struct stats_group_desc g = proxy_server_counters_desc;

			g.name = pl->servers[i].name;
			fn(ctx, "server", pl->name, &g,
			   (const uint64_t *)&rs->srv[p][i], 0);
		}
	}
}

/*
 * Hand every group of <s> to <fn>, in the one order all surfaces share:
 * the worker groups, one group per port (its device counters only in
 * totals, <total>), one per forward listener, then the process's groups
 * (totals only: one per pool and one per server of a pool, the process's,
 * the shared cache's index when there is one, the access-log writer's,
 * the reloads', the management endpoint's).  A pool's and a server's
 * counters are kept per worker but shown in totals only (a worker's share
 * of a server says little, and 512 servers times the workers would swamp
 * every surface).  This is the only list of groups: text,
 * JSON, telemetry and Prometheus all render what it visits.
 */
static void
snapshot_walk(const struct app *a, const struct stats_snapshot *s, bool total,
              group_visit_fn fn, void *ctx)
{
	unsigned i, j = 0;

	for (i = 0; i < GH_ARRAY_SIZE(worker_groups); i++)
		fn(ctx, NULL, NULL, worker_groups[i].desc,
		   group_cvals(s, &worker_groups[i]), worker_groups[i].desc->n);
	for (i = 0; i < a->n_ports; i++) {
		struct stats_group_desc g = {
		    a->conf->ports[i].name, port_descs,
		    total ? (unsigned)GH_ARRAY_SIZE(port_descs)
		          : (unsigned)PORT_OWN_N};

		fn(ctx, "port", NULL, &g, (const uint64_t *)&s->port[i],
		   PORT_OWN_N);
	}
	for (i = 0; i < a->conf->n_listeners && j < CONF_LISTENERS_MAX; i++) {
		struct stats_group_desc g = {
		    a->conf->listeners[i].name,
		    proxy_listener_counters_desc.counters,
		    proxy_listener_counters_desc.n};

		if (!conf_listen_is_proxy(a->conf->listeners[i].mode))
			continue;
		fn(ctx, "listener", NULL, &g,
		   (const uint64_t *)&s->listener[j++], g.n);
	}
	if (!total)
		return;
	if (s->rev != NULL)
		rev_walk(a, s->rev, fn, ctx);
	fn(ctx, NULL, NULL, &process_group, (const uint64_t *)&s->process, 0);
	if (s->has_cache)
		fn(ctx, NULL, NULL, &cache_group, (const uint64_t *)&s->cache,
		   0);
	if (s->has_alog)
		fn(ctx, NULL, NULL, &alog_group, (const uint64_t *)&s->alog, 0);
	if (s->has_reload)
		fn(ctx, NULL, NULL, &reload_group, (const uint64_t *)&s->reload,
		   0);
	if (s->has_pools)
		fn(ctx, NULL, NULL, &pools_group, (const uint64_t *)&s->pools,
		   0);
	if (s->has_mgmt)
		fn(ctx, NULL, NULL, &mgmt_group, (const uint64_t *)&s->mgmt, 0);
}

struct text_ctx {
	struct stats_buf *b;
	const char *label; /* "worker1", or NULL for totals */
	bool skip_zero;
};

static void
text_visit(void *arg, const char *parent, const char *sub,
           const struct stats_group_desc *g, const uint64_t *vals,
           unsigned n_pw)
{
	struct text_ctx *c = arg;
	char prefix[96];
	const char *p = c->label;

	(void)n_pw;
	if (parent != NULL) {
		snprintf(prefix, sizeof(prefix), "%s%s%s%s%s",
		         c->label ? c->label : "", c->label ? "." : "", parent,
		         sub ? "." : "", sub ? sub : "");
		p = prefix;
	}
	stats_render_text(c->b, p, g, vals, c->skip_zero);
}

static void
json_visit(void *arg, const char *parent, const char *sub,
           const struct stats_group_desc *g, const uint64_t *vals,
           unsigned n_pw)
{
	(void)n_pw;
	stats_json_group(arg, parent, sub, g, vals);
}

static void
render_json(const struct app *a, const struct stats_snapshot *s, bool total,
            struct stats_buf *b)
{
	struct stats_json_nest j;

	stats_json_begin(&j, b);
	snapshot_walk(a, s, total, json_visit, &j);
	stats_json_end(&j);
}

size_t
app_stats_render(const struct app *a, int json, char *out, size_t cap)
{
	struct stats_snapshot s;
	struct stats_buf b;
	struct text_ctx tc = {&b, NULL, false};
	unsigned k;

	GH_CHECK_OBJ_NOTNULL(a, APP_MAGIC);
	stats_buf_init(&b, out, cap);
	snapshot_take(a, -1, &s, true);
	if (json) {
		stats_buf_printf(&b,
		                 "{\"version\":\"%s\",\"uptime_s\":%llu,"
		                 "\"workers\":%u,\"total\":",
		                 GH_VERSION, (unsigned long long)uptime_s(a),
		                 a->n_workers);
		render_json(a, &s, true, &b);
		snapshot_done(&s);
		stats_buf_printf(&b, ",\"per_worker\":[");
		for (k = 0; k < a->n_workers; k++) {
			snapshot_take(a, (int)k, &s, false);
			stats_buf_printf(&b, "%s", k ? "," : "");
			render_json(a, &s, false, &b);
		}
		stats_buf_printf(&b, "]}\n");
		return b.len;
	}
	stats_buf_printf(&b,
	                 "# gatehouse %s uptime_s %llu workers %u ports %u\n",
	                 GH_VERSION, (unsigned long long)uptime_s(a),
	                 a->n_workers, a->n_ports);
	snapshot_walk(a, &s, true, text_visit, &tc);
	snapshot_done(&s);
	for (k = 0; k < a->n_workers; k++) {
		char label[24];

		snprintf(label, sizeof(label), "worker%u", k);
		tc.label = label;
		tc.skip_zero = true;
		snapshot_take(a, (int)k, &s, false);
		snapshot_walk(a, &s, false, text_visit, &tc);
	}
	return b.len;
}

size_t
app_cache_stats_render(const struct app *a, int json, char *out, size_t cap)
{
	struct cache_vals v;
	struct stats_buf b;

	GH_CHECK_OBJ_NOTNULL(a, APP_MAGIC);
	stats_buf_init(&b, out, cap);
	if (a->cache == NULL) {
		stats_buf_printf(&b, "error: no cache (no forward listener "
		                     "has cache on)\n");
		return b.len;
	}
	cache_read(a, &v);
	if (json) {
		stats_buf_printf(&b, "{");
		stats_render_json(&b, &cache_group, (const uint64_t *)&v);
		stats_buf_printf(&b, "}\n");
	} else {
		stats_render_text(&b, NULL, &cache_group, (const uint64_t *)&v,
		                  false);
	}
	return b.len;
}

/* --- Prometheus text format 0.0.4 --------------------------------------- */

#define PROM_PREFIX "gatehouse"
/* the series of one family: a port's or a listener's, each per worker and
 * one for the process's values; or a server's, one per server (totals) */
#define PROM_SERIES_PW \
	((CONF_PORTS_MAX + CONF_LISTENERS_MAX) * (CONF_WORKERS_MAX + 1))
#define PROM_SERIES_MAX                                          \
	(PROM_SERIES_PW > CONF_POOLS_MAX * CONF_POOL_SERVERS_MAX \
	     ? PROM_SERIES_PW                                    \
	     : CONF_POOLS_MAX * CONF_POOL_SERVERS_MAX)

/*
 * The Prometheus walk: the totals <tot> are walked; a group's per-worker
 * values are found at the same offset in each worker's snapshot <ws>, so
 * its series are one per worker (label worker="N") for its first n_pw
 * values and one for the rest (the process's).  The groups of one parent
 * (each port's, each listener's) make one family each, labelled with
 * the parent ("port", "listener", "pool", "server") and the group's
 * name, a server's also with its pool (label pool): they are gathered in
 * <series> and written together when the parent changes.  The pools'
 * and servers' groups are totals only: one series each, no worker label.
 */
struct prom_ctx {
	struct stats_buf *b;
	const struct stats_snapshot *tot;
	const struct stats_snapshot *ws;
	unsigned n_workers;
	const char *parent;         /* the gathered series' parent, or NULL */
	struct stats_group_desc pg; /* the family of the gathered series */
	unsigned n_series;
	struct stats_series series[PROM_SERIES_MAX];
};

static const char *const worker_label[CONF_WORKERS_MAX] = {
    "0", "1", "2",  "3",  "4",  "5",  "6",  "7",
    "8", "9", "10", "11", "12", "13", "14", "15"};
_Static_assert(CONF_WORKERS_MAX == 16, "a label for every worker");

static void
prom_flush(struct prom_ctx *c)
{
	if (c->n_series > 0)
		stats_render_prom(c->b, PROM_PREFIX, &c->pg, c->series,
		                  c->n_series);
	c->n_series = 0;
	c->parent = NULL;
}

/* One more series of the current family, NULL when there is no room. */
static struct stats_series *
prom_series(struct prom_ctx *c, const char *parent, const char *sub,
            const char *name)
{
	struct stats_series *s;

	if (c->n_series == PROM_SERIES_MAX)
		return NULL;
	s = &c->series[c->n_series++];
	memset(s, 0, sizeof(*s));
	if (sub != NULL)
		s->labels[s->n_labels++] = (struct stats_label){"pool", sub};
	if (parent != NULL)
		s->labels[s->n_labels++] = (struct stats_label){parent, name};
	return s;
}

static void
prom_visit(void *arg, const char *parent, const char *sub,
           const struct stats_group_desc *g, const uint64_t *vals,
           unsigned n_pw)
{
	struct prom_ctx *c = arg;
	struct stats_series *s;
	size_t off = 0;
	unsigned k;

	if (n_pw > 0) {
		off = (size_t)((const char *)vals - (const char *)c->tot);
		GH_VERIFY(off < sizeof(*c->tot));
	}
	if (c->parent != NULL &&
	    (parent == NULL || strcmp(parent, c->parent) != 0))
		prom_flush(c);
	c->pg = *g;
	if (parent != NULL)
		c->pg.name = parent;
	c->parent = parent;
	for (k = 0; k < c->n_workers && n_pw > 0; k++) {
		s = prom_series(c, parent, sub, g->name);
		if (s == NULL)
			break;
		s->labels[s->n_labels++] =
		    (struct stats_label){"worker", worker_label[k]};
		s->vals = (const uint64_t *)((const char *)&c->ws[k] + off);
		s->from = 0;
		s->to = n_pw;
	}
	if (n_pw < g->n) {
		s = prom_series(c, parent, sub, g->name);
		if (s != NULL) {
			s->vals = vals;
			s->from = n_pw;
			s->to = g->n;
		}
	}
	if (parent == NULL)
		prom_flush(c);
}

int
app_metrics_render(const struct app *a, struct stats_buf *b)
{
	static struct stats_snapshot tot, ws[CONF_WORKERS_MAX];
	static struct prom_ctx c;
	unsigned k;

	GH_CHECK_OBJ_NOTNULL(a, APP_MAGIC);
	snapshot_take(a, -1, &tot, true);
	for (k = 0; k < a->n_workers; k++)
		snapshot_take(a, (int)k, &ws[k], false);
	memset(&c, 0, sizeof(c));
	c.b = b;
	c.tot = &tot;
	c.ws = ws;
	c.n_workers = a->n_workers;
	snapshot_walk(a, &tot, true, prom_visit, &c);
	prom_flush(&c);
	snapshot_done(&tot);
	return b->overflow ? -ENOSPC : 0;
}

/* --- DPDK telemetry: /gatehouse/stats, /gatehouse/worker,N, /gatehouse/info */

/*
 * One telemetry dictionary per counter group, nested under <d>.  DPDK
 * 22.11 takes only [A-Za-z0-9_/] in dictionary keys and one level of
 * nesting, so a port's group "port.<name>" of text and JSON is keyed
 * "port_<name>" here, a pool's "pool_<pool>", a server's
 * "server.<pool>.<name>" "server_<pool>_<name>", and any other character
 * of a name (a '-') becomes '_'; every other name is the same on all
 * three surfaces.  A reply holds at most 16 KiB (DPDK's MAX_OUTPUT_LEN;
 * what does not fit is left out), so the pools' groups have a command of
 * their own (/gatehouse/pools) and each server's another
 * (/gatehouse/server,POOL,SERVER); /gatehouse/stats has the rest.
 */
struct tel_ctx {
	struct rte_tel_data *d;
	const char *parent; /* the groups wanted: this parent's, or */
	const char *pool;   /* with "server", this pool's */
	const char *server; /* and this server's */
};

static bool
tel_wanted(const struct tel_ctx *c, const char *parent, const char *sub,
           const char *name)
{
	bool rev = parent != NULL && (strcmp(parent, "pool") == 0 ||
	                              strcmp(parent, "server") == 0);

	if (c->parent == NULL)
		return !rev;
	if (parent == NULL || strcmp(parent, c->parent) != 0)
		return false;
	return c->pool == NULL || (sub != NULL && strcmp(sub, c->pool) == 0 &&
	                           strcmp(name, c->server) == 0);
}

static void
tel_visit(void *arg, const char *parent, const char *sub_name,
          const struct stats_group_desc *g, const uint64_t *vals, unsigned n_pw)
{
	struct tel_ctx *c = arg;
	struct rte_tel_data *sub;
	char key[RTE_TEL_MAX_STRING_LEN];
	unsigned i;

	(void)n_pw;
	if (!tel_wanted(c, parent, sub_name, g->name))
		return;
	sub = rte_tel_data_alloc();
	if (sub == NULL)
		return;
	rte_tel_data_start_dict(sub);
	for (i = 0; i < g->n; i++)
		rte_tel_data_add_dict_u64(sub, g->counters[i].name, vals[i]);
	snprintf(key, sizeof(key), "%s%s%s%s%s", parent ? parent : "",
	         parent ? "_" : "", sub_name ? sub_name : "",
	         sub_name ? "_" : "", g->name);
	for (i = 0; key[i] != '\0'; i++)
		if (!((key[i] >= 'a' && key[i] <= 'z') ||
		      (key[i] >= 'A' && key[i] <= 'Z') ||
		      (key[i] >= '0' && key[i] <= '9') || key[i] == '/'))
			key[i] = '_';
	if (rte_tel_data_add_dict_container(c->d, key, sub, 0) != 0)
		rte_tel_data_free(sub);
}

static int
tel_fill(const struct app *a, int only, struct tel_ctx *c)
{
	struct stats_snapshot s;

	snapshot_take(a, only, &s, only < 0);
	rte_tel_data_start_dict(c->d);
	snapshot_walk(a, &s, only < 0, tel_visit, c);
	snapshot_done(&s);
	return 0;
}

static int
tel_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct tel_ctx c = {d, NULL, NULL, NULL};

	(void)cmd;
	(void)params;
	return tel_fill(telemetry_app, -1, &c);
}

static int
tel_pools(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct tel_ctx c = {d, "pool", NULL, NULL};

	(void)cmd;
	(void)params;
	return tel_fill(telemetry_app, -1, &c);
}

static int
tel_server(const char *cmd, const char *params, struct rte_tel_data *d)
{
	char pool[CONF_NAME_MAX], server[CONF_NAME_MAX], extra[2];
	struct tel_ctx c = {d, "server", pool, server};

	(void)cmd;
	if (params == NULL ||
	    sscanf(params, "%31[^,],%31[^,]%1s", pool, server, extra) != 2)
		return -EINVAL;
	return tel_fill(telemetry_app, -1, &c);
}

static int
tel_worker(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct tel_ctx c = {d, NULL, NULL, NULL};
	char *end;
	unsigned long id;

	(void)cmd;
	if (params == NULL || *params == '\0')
		return -EINVAL;
	id = strtoul(params, &end, 10);
	if (*end != '\0' || id >= telemetry_app->n_workers)
		return -EINVAL;
	return tel_fill(telemetry_app, (int)id, &c);
}

static int
tel_info(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct app *a = telemetry_app;
	unsigned i;

	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "version", GH_VERSION);
	rte_tel_data_add_dict_u64(d, "uptime_s", uptime_s(a));
	rte_tel_data_add_dict_int(d, "workers", (int)a->n_workers);
	for (i = 0; i < a->n_ports; i++) {
		char key[64];

		snprintf(key, sizeof(key), "port_%s_driver",
		         a->conf->ports[i].name);
		rte_tel_data_add_dict_string(d, key, a->ports[i].driver);
	}
	return 0;
}

int
app_telemetry_register(const struct app *a)
{
	unsigned i;
	int rc;

	GH_CHECK_OBJ_NOTNULL(a, APP_MAGIC);
	for (i = 0; i < GH_ARRAY_SIZE(worker_groups); i++)
		GH_VERIFY(stats_group_check(worker_groups[i].desc) == 0);
	GH_VERIFY(stats_group_check(&port_group_decl) == 0);
	GH_VERIFY(stats_group_check(&alog_group) == 0);
	GH_VERIFY(stats_group_check(&cache_group) == 0);
	GH_VERIFY(stats_group_check(&reload_group) == 0);
	GH_VERIFY(stats_group_check(&pools_group) == 0);
	GH_VERIFY(stats_group_check(&process_group) == 0);
	GH_VERIFY(stats_group_check(&mgmt_group) == 0);
	GH_VERIFY(stats_group_check(&proxy_listener_counters_desc) == 0);
	GH_VERIFY(stats_group_check(&proxy_pool_counters_desc) == 0);
	GH_VERIFY(stats_group_check(&proxy_server_counters_desc) == 0);
	GH_VERIFY(proxy_pool_counters_desc.n * sizeof(uint64_t) ==
	          sizeof(struct rev_pool_vals));
	GH_VERIFY(proxy_server_counters_desc.n * sizeof(uint64_t) ==
	          sizeof(struct rev_server_vals));
	telemetry_app = a;
	rc = rte_telemetry_register_cmd("/gatehouse/stats", tel_stats,
	                                "Totals of every Gatehouse counter");
	if (rc == 0)
		rc = rte_telemetry_register_cmd(
		    "/gatehouse/worker", tel_worker,
		    "Counters of one worker. Parameters: int worker_id");
	if (rc == 0)
		rc = rte_telemetry_register_cmd(
		    "/gatehouse/pools", tel_pools,
		    "Totals of every reverse-proxy pool's counters");
	if (rc == 0)
		rc = rte_telemetry_register_cmd(
		    "/gatehouse/server", tel_server,
		    "One pool server's totals. Parameters: POOL,SERVER");
	if (rc == 0)
		rc = rte_telemetry_register_cmd(
		    "/gatehouse/info", tel_info,
		    "Version, uptime, workers and port drivers");
	return rc;
}
