/*
 * Statistics as operators see them: the control thread (and the DPDK
 * telemetry thread) sum the per-worker counter groups and render them as
 * text, JSON or telemetry dictionaries.  Every counter comes from one
 * X-macro declaration; nothing here names an individual counter.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_telemetry.h>

#include "common/gh_common.h"
#include "dns/dns.h"
#include "net/net.h"
#include "proxy/proxy.h"
#include "tcp/tcp.h"
#include "stats/stats.h"
#include "gatehouse.h"
#include "logger.h"

/* clang-format off */
#define DEV_COUNTERS(X)                                                       \
	X(dev_ipackets,  "frames the device received")                        \
	X(dev_opackets,  "frames the device sent")                            \
	X(dev_imissed,   "frames the device dropped: RX queues full")         \
	X(dev_ierrors,   "frames the device received with errors")            \
	X(dev_oerrors,   "frames the device failed to send")                  \
	X(dev_rx_nombuf, "RX mbuf allocation failures")                       \
	X(mbufs_in_use,  "gauge: the port's pool's mbufs in use now")
/* clang-format on */

struct dev_counters {
	DEV_COUNTERS(STATS_FIELD)
};

static const struct stats_counter_desc dev_descs[] = {DEV_COUNTERS(STATS_DESC)};
_Static_assert(sizeof(struct dev_counters) == GH_ARRAY_SIZE(dev_descs) * 8,
               "dev counters and descriptors out of step");

#define PORT_GROUP_MAX 16 /* port counters + device counters */

/* Everything one rendering needs, summed once. */
struct stats_snapshot {
	struct net_counters net;
	struct worker_counters worker;
	struct tcp_counters tcp;
	struct proxy_counters proxy;
	struct dns_counters dns;
	uint64_t port[CONF_PORTS_MAX][PORT_GROUP_MAX];
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

static unsigned
port_group_n(void)
{
	return port_counters_n + GH_ARRAY_SIZE(dev_descs);
}

/* Descriptors of the per-port group: our counters, then the device's. */
static const struct stats_counter_desc *
port_group_descs(void)
{
	static struct stats_counter_desc d[PORT_GROUP_MAX];
	unsigned i;

	GH_VERIFY(port_group_n() <= PORT_GROUP_MAX);
	if (d[0].name == NULL) {
		for (i = 0; i < port_counters_n; i++)
			d[i] = port_counter_descs[i];
		for (i = 0; i < GH_ARRAY_SIZE(dev_descs); i++)
			d[port_counters_n + i] = dev_descs[i];
	}
	return d;
}

static struct stats_group_desc
port_group(const struct app *a, unsigned port)
{
	struct stats_group_desc g = {a->conf->ports[port].name,
	                             port_group_descs(), port_group_n()};
	return g;
}

/* Sum worker <only> (or all workers when only < 0) into <s>. */
static void
snapshot_take(const struct app *a, int only, struct stats_snapshot *s,
              bool with_dev)
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
			stats_group_add(s->port[i], &src, 1, port_counters_n);
		}
	}
	if (!with_dev)
		return;
	for (i = 0; i < a->n_ports; i++) {
		struct rte_eth_stats es;
		uint64_t *d = &s->port[i][port_counters_n];

		if (rte_eth_stats_get(a->ports[i].port_id, &es) != 0)
			continue;
		d[0] = es.ipackets;
		d[1] = es.opackets;
		d[2] = es.imissed;
		d[3] = es.ierrors;
		d[4] = es.oerrors;
		d[5] = es.rx_nombuf;
		d[6] = rte_mempool_in_use_count(a->pools[i]);
	}
}

/* The access-log writer's counters: one set for the process, not per
 * worker (the logger thread drains every worker's ring). */
static const struct stats_counter_desc alog_descs[] = {
    {"lines", "access-log lines written to the file"},
    {"dropped", "records lost: a worker's ring was full"},
    {"write_errors", "failed writes (each loses the batch it carried)"},
};
static const struct stats_group_desc alog_group = {"access_log", alog_descs,
                                                   GH_ARRAY_SIZE(alog_descs)};

/* Fills v[3]; false when there is no access log. */
static bool
alog_values(const struct app *a, uint64_t v[3])
{
	if (a->logger == NULL)
		return false;
	logger_counters(a->logger, &v[0], &v[1], &v[2]);
	return true;
}

static void
render_text(const struct app *a, const struct stats_snapshot *s,
            const char *label, bool skip_zero, struct stats_buf *b)
{
	char plabel[64];
	uint64_t av[3];
	unsigned i;

	for (i = 0; i < GH_ARRAY_SIZE(worker_groups); i++)
		stats_render_text(b, label, worker_groups[i].desc,
		                  group_cvals(s, &worker_groups[i]), skip_zero);
	snprintf(plabel, sizeof(plabel), "%s%sport", label ? label : "",
	         label ? "." : "");
	for (i = 0; i < a->n_ports; i++) {
		struct stats_group_desc g = port_group(a, i);

		stats_render_text(b, plabel, &g, s->port[i], skip_zero);
	}
	if (label == NULL && alog_values(a, av))
		stats_render_text(b, NULL, &alog_group, av, skip_zero);
}

static void
render_json(const struct app *a, const struct stats_snapshot *s, bool total,
            struct stats_buf *b)
{
	uint64_t av[3];
	unsigned i;

	stats_buf_printf(b, "{");
	for (i = 0; i < GH_ARRAY_SIZE(worker_groups); i++) {
		stats_render_json(b, worker_groups[i].desc,
		                  group_cvals(s, &worker_groups[i]));
		stats_buf_printf(b, ",");
	}
	stats_buf_printf(b, "\"port\":{");
	for (i = 0; i < a->n_ports; i++) {
		struct stats_group_desc g = port_group(a, i);

		stats_buf_printf(b, "%s", i ? "," : "");
		stats_render_json(b, &g, s->port[i]);
	}
	stats_buf_printf(b, "}");
	if (total && alog_values(a, av)) {
		stats_buf_printf(b, ",");
		stats_render_json(b, &alog_group, av);
	}
	stats_buf_printf(b, "}");
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
	render_text(a, &s, NULL, false, &b);
	for (k = 0; k < a->n_workers; k++) {
		char label[24];

		snprintf(label, sizeof(label), "worker%u", k);
		snapshot_take(a, (int)k, &s, false);
		render_text(a, &s, label, true, &b);
	}
	return b.len;
}

/* --- DPDK telemetry: /gatehouse/stats, /gatehouse/worker,N, /gatehouse/info */

/*
 * One telemetry dictionary per counter group, nested under <d> as
 * <key>: DPDK 22.11 accepts only [A-Za-z0-9_-] in dictionary keys, so the
 * dotted names of the text rendering become one level of nesting here.
 */
static void
tel_add_group(struct rte_tel_data *d, const char *key,
              const struct stats_group_desc *g, const uint64_t *vals)
{
	struct rte_tel_data *sub = rte_tel_data_alloc();
	unsigned i;

	if (sub == NULL)
		return;
	rte_tel_data_start_dict(sub);
	for (i = 0; i < g->n; i++)
		rte_tel_data_add_dict_u64(sub, g->counters[i].name, vals[i]);
	if (rte_tel_data_add_dict_container(d, key, sub, 0) != 0)
		rte_tel_data_free(sub);
}

static int
tel_fill(const struct app *a, int only, struct rte_tel_data *d)
{
	struct stats_snapshot s;
	unsigned i;

	snapshot_take(a, only, &s, only < 0);
	rte_tel_data_start_dict(d);
	for (i = 0; i < GH_ARRAY_SIZE(worker_groups); i++)
		tel_add_group(d, worker_groups[i].desc->name,
		              worker_groups[i].desc,
		              group_cvals(&s, &worker_groups[i]));
	for (i = 0; i < a->n_ports; i++) {
		struct stats_group_desc g = port_group(a, i);
		char key[RTE_TEL_MAX_STRING_LEN];

		if (only >= 0)
			g.n = port_counters_n; /* device stats are per port */
		snprintf(key, sizeof(key), "port_%s", g.name);
		tel_add_group(d, key, &g, s.port[i]);
	}
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
	int rc;

	GH_CHECK_OBJ_NOTNULL(a, APP_MAGIC);
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
