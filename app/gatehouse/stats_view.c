/*
 * Statistics as operators see them: the control thread (and the DPDK
 * telemetry thread) sum the per-worker counter groups and render them as
 * text, JSON or telemetry dictionaries.  Every counter comes from one
 * X-macro declaration, and one walk over the groups (snapshot_walk) feeds
 * all three surfaces.  Counters are named here only where a value comes
 * from outside a counter struct: the device's (rte_eth_stats fields), the
 * cache index's gauges and the access-log writer's, each assigned to its
 * field by name.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_telemetry.h>

#include "cache/cache_index.h"
#include "common/gh_common.h"
#include "dns/dns.h"
#include "net/net.h"
#include "proxy/proxy.h"
#include "tcp/tcp.h"
#include "tcp/tcp_flow.h"
#include "stats/stats.h"
#include "gatehouse.h"
#include "logger.h"
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

static const struct stats_counter_desc reload_descs[] = {
    RELOAD_COUNTERS(STATS_DESC)};
static const struct stats_group_desc reload_group = {
    "config", reload_descs, GH_ARRAY_SIZE(reload_descs)};
_Static_assert(sizeof(struct reload_totals) ==
                   GH_ARRAY_SIZE(reload_descs) * sizeof(uint64_t),
               "reload counters and descriptors out of step");

/*
 * The shared cache's index (totals only, and only when there is one):
 * its counters (CACHE_INDEX_COUNTERS), then its gauges from the snapshot
 * and jemalloc's count of its arena, each assigned to its field by name.
 */
/* clang-format off */
#define CACHE_GAUGES(X)                                                       \
	X(objects,      "gauge: objects in the index")                        \
	X(bytes,        "gauge: bytes the objects in the index allocated")    \
	X(budget_bytes, "the limit on bytes (cache-mb)")                      \
	X(live_objects, "gauge: objects allocated, in the index or in use")  \
	X(live_bytes,   "gauge: bytes allocated by live objects")             \
	X(arena_bytes,  "gauge: bytes jemalloc counts in the cache's arena")  \
	X(mem_region_bytes, "the cache's memory region (DMA-registered)")     \
	X(mem_used_bytes, "gauge: bytes of the region handed to jemalloc")    \
	X(mem_exhausted, "extent requests the region could not meet")
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

/* The counters and gauges of index <ci> (takes its lock briefly). */
static void
cache_read(struct cache_index *ci, struct cache_vals *v)
{
	struct cache_index_stats st;

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

/* Everything one rendering needs, summed once. */
struct stats_snapshot {
	struct net_counters net;
	struct worker_counters worker;
	struct tcp_counters tcp;
	struct tcp_flow_counters tcp_flow;
	struct proxy_counters proxy;
	struct dns_counters dns;
	struct port_snap port[CONF_PORTS_MAX];
	struct cache_vals cache;     /* valid when has_cache */
	struct logger_totals alog;   /* valid when has_alog */
	struct reload_totals reload; /* valid when has_reload */
	bool has_cache;
	bool has_alog;
	bool has_reload;
};

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

/*
 * Sum worker <only> (or all workers when only < 0) into <s>; with <total>
 * also the devices' and the process's counters (the access-log writer's),
 * which belong to no worker.
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
	}
	if (!total)
		return;
	for (i = 0; i < a->n_ports; i++)
		dev_read(a, i, &s->port[i].dev);
	if (a->cache != NULL) {
		cache_read(a->cache, &s->cache);
		s->has_cache = true;
	}
	if (a->logger != NULL) {
		logger_counters(a->logger, &s->alog.lines, &s->alog.dropped,
		                &s->alog.write_errors);
		s->has_alog = true;
	}
	if (a->reload != NULL) {
		reload_counters(a->reload, &s->reload);
		s->has_reload = true;
	}
}

/*
 * What a surface does with one group.  <parent> is "port" for the group of
 * one port (named after it), NULL for the others.
 */
typedef void (*group_visit_fn)(void *ctx, const char *parent,
                               const struct stats_group_desc *g,
                               const uint64_t *vals);

/*
 * Hand every group of <s> to <fn>, in the one order all surfaces share:
 * the worker groups, one group per port (its device counters only in
 * totals, <total>), then the process's groups (totals only: the shared
 * cache's index when there is one, the access-log writer's, the
 * reloads').  This is the
 * only list of groups: text, JSON and telemetry all render what it visits.
 */
static void
snapshot_walk(const struct app *a, const struct stats_snapshot *s, bool total,
              group_visit_fn fn, void *ctx)
{
	unsigned i;

	for (i = 0; i < GH_ARRAY_SIZE(worker_groups); i++)
		fn(ctx, NULL, worker_groups[i].desc,
		   group_cvals(s, &worker_groups[i]));
	for (i = 0; i < a->n_ports; i++) {
		struct stats_group_desc g = {
		    a->conf->ports[i].name, port_descs,
		    total ? (unsigned)GH_ARRAY_SIZE(port_descs)
		          : (unsigned)PORT_OWN_N};

		fn(ctx, "port", &g, (const uint64_t *)&s->port[i]);
	}
	if (total && s->has_cache)
		fn(ctx, NULL, &cache_group, (const uint64_t *)&s->cache);
	if (total && s->has_alog)
		fn(ctx, NULL, &alog_group, (const uint64_t *)&s->alog);
	if (total && s->has_reload)
		fn(ctx, NULL, &reload_group, (const uint64_t *)&s->reload);
}

struct text_ctx {
	struct stats_buf *b;
	const char *label; /* "worker1", or NULL for totals */
	bool skip_zero;
};

static void
text_visit(void *arg, const char *parent, const struct stats_group_desc *g,
           const uint64_t *vals)
{
	struct text_ctx *c = arg;
	char prefix[64];
	const char *p = c->label;

	if (parent != NULL) {
		snprintf(prefix, sizeof(prefix), "%s%s%s",
		         c->label ? c->label : "", c->label ? "." : "", parent);
		p = prefix;
	}
	stats_render_text(c->b, p, g, vals, c->skip_zero);
}

struct json_ctx {
	struct stats_buf *b;
	const char *parent; /* the object open inside ours, or NULL */
	unsigned n_top;     /* members written at the top level */
	unsigned n_in;      /* members written inside <parent> */
};

static void
json_visit(void *arg, const char *parent, const struct stats_group_desc *g,
           const uint64_t *vals)
{
	struct json_ctx *c = arg;

	if (c->parent != NULL &&
	    (parent == NULL || strcmp(parent, c->parent) != 0)) {
		stats_buf_printf(c->b, "}");
		c->parent = NULL;
	}
	if (parent != NULL && c->parent == NULL) {
		stats_buf_printf(c->b, "%s\"%s\":{", c->n_top++ ? "," : "",
		                 parent);
		c->parent = parent;
		c->n_in = 0;
	}
	if (c->parent != NULL)
		stats_buf_printf(c->b, "%s", c->n_in++ ? "," : "");
	else
		stats_buf_printf(c->b, "%s", c->n_top++ ? "," : "");
	stats_render_json(c->b, g, vals);
}

static void
render_json(const struct app *a, const struct stats_snapshot *s, bool total,
            struct stats_buf *b)
{
	struct json_ctx c = {b, NULL, 0, 0};

	stats_buf_printf(b, "{");
	snapshot_walk(a, s, total, json_visit, &c);
	stats_buf_printf(b, "%s}", c.parent != NULL ? "}" : "");
}

static uint64_t
uptime_s(const struct app *a)
{
	return (rte_rdtsc() - a->start_tsc) / rte_get_tsc_hz();
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
	cache_read(a->cache, &v);
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

/* --- DPDK telemetry: /gatehouse/stats, /gatehouse/worker,N, /gatehouse/info */

/*
 * One telemetry dictionary per counter group, nested under <d>.  DPDK
 * 22.11 takes only [A-Za-z0-9_/] in dictionary keys and one level of
 * nesting, so a port's group "port.<name>" of text and JSON is keyed
 * "port_<name>" here; every other name is the same on all three surfaces.
 */
static void
tel_visit(void *arg, const char *parent, const struct stats_group_desc *g,
          const uint64_t *vals)
{
	struct rte_tel_data *d = arg;
	struct rte_tel_data *sub = rte_tel_data_alloc();
	char key[RTE_TEL_MAX_STRING_LEN];
	unsigned i;

	if (sub == NULL)
		return;
	rte_tel_data_start_dict(sub);
	for (i = 0; i < g->n; i++)
		rte_tel_data_add_dict_u64(sub, g->counters[i].name, vals[i]);
	snprintf(key, sizeof(key), "%s%s%s", parent ? parent : "",
	         parent ? "_" : "", g->name);
	if (rte_tel_data_add_dict_container(d, key, sub, 0) != 0)
		rte_tel_data_free(sub);
}

static int
tel_fill(const struct app *a, int only, struct rte_tel_data *d)
{
	struct stats_snapshot s;

	snapshot_take(a, only, &s, only < 0);
	rte_tel_data_start_dict(d);
	snapshot_walk(a, &s, only < 0, tel_visit, d);
	return 0;
}

static int
tel_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	return tel_fill(telemetry_app, -1, d);
}

static int
tel_worker(const char *cmd, const char *params, struct rte_tel_data *d)
{
	char *end;
	unsigned long id;

	(void)cmd;
	if (params == NULL || *params == '\0')
		return -EINVAL;
	id = strtoul(params, &end, 10);
	if (*end != '\0' || id >= telemetry_app->n_workers)
		return -EINVAL;
	return tel_fill(telemetry_app, (int)id, d);
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
	telemetry_app = a;
	rc = rte_telemetry_register_cmd("/gatehouse/stats", tel_stats,
	                                "Totals of every Gatehouse counter");
	if (rc == 0)
		rc = rte_telemetry_register_cmd(
		    "/gatehouse/worker", tel_worker,
		    "Counters of one worker. Parameters: int worker_id");
	if (rc == 0)
		rc = rte_telemetry_register_cmd(
		    "/gatehouse/info", tel_info,
		    "Version, uptime, workers and port drivers");
	return rc;
}
