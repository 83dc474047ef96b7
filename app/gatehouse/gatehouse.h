/*
 * The appliance process: what the control thread owns.  Only app/ sees this.
 */
#ifndef GH_APP_GATEHOUSE_H
#define GH_APP_GATEHOUSE_H

#include <stdint.h>

#include <rte_mempool.h>

#include "conf/conf_types.h"
#include "drivers/net/port.h"
#include "stats/stats_types.h"
#include "tcp/tcp_types.h"
#include "worker.h"

#define APP_MAGIC 0x61707001u

struct logger;        /* logger.h */
struct mgmt_counters; /* mgmt.h */
struct reload;        /* reload.h */
struct status_view;   /* status.h */

struct cache_index;

struct app {
	unsigned magic;
	const struct conf *conf;
	struct conf *boot; /* the same, the reload's to free parts of */
	uint64_t start_tsc;
	unsigned n_ports;
	struct port_info ports[CONF_PORTS_MAX];
	struct rte_mempool *pools[CONF_PORTS_MAX];
	/* Which worker owns a flow; read-only once the workers run. */
	struct net_flow_owner flow_owner;
	/* RFC 6528 ISN key, the same on every worker. */
	uint8_t isn_secret[16];
	unsigned n_workers;
	struct worker *workers[CONF_WORKERS_MAX];
	/* nets[i] = &workers[i]->net: the peers of lib/net's steering */
	struct net_ctx *nets[CONF_WORKERS_MAX];
	/* The shared HTTP cache of every worker; NULL when no forward
	 * listener has cache on.  Destroyed after the workers stop. */
	struct cache_index *cache;
	/* The verifier thread of proxy users (lib/auth): one pair of queues
	 * per worker; NULL when no listener is in forward mode.  Stopped
	 * after the workers. */
	struct auth_verifier *auth;
	/* The access-log writer thread; NULL when no access log is set. */
	struct logger *logger;
	/* The live version and reloads (reload.h): <conf> stays the
	 * snapshot the appliance started with, for what only a restart
	 * changes; the live settings are the published version's. */
	struct reload *reload;
	/* The management endpoint's counters (the control thread's), NULL
	 * before it opens and after it closes. */
	const struct mgmt_counters *mgmt_cnt;
	/* The pools' server states as last seen (pools.h); the control
	 * thread's, NULL when the configuration has no pools. */
	struct pools_watch *pool_watch;
	/* The live views' per-second history (status.h): the control
	 * thread's, NULL before its loop starts and after it ends. */
	const struct status_view *status;
	volatile int stop; /* set once by the control thread */
};

/*
 * A port's device counters, read from rte_eth_stats_get() and the port's
 * mbuf pool field by field, and shown after the port's own counters
 * (PORT_COUNTERS) as group "port.<name>", totals only.
 */
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

/*
 * Text and JSON renderings of every counter: totals first, then per worker.
 * <json> selects the format.  Returns the length written into <out> (always
 * NUL-ended), truncated to <cap> - 1 if too small.
 */
size_t app_stats_render(const struct app *a, int json, char *out, size_t cap);

/*
 * The shared cache's counters and gauges alone (group "cache" of
 * app_stats_render), for `cache stats`: text or, with <json>, one JSON
 * object.  An "error:" line when the appliance has no cache.  Returns the
 * length written into <out> as app_stats_render.
 */
size_t app_cache_stats_render(const struct app *a, int json, char *out,
                              size_t cap);

/*
 * Every counter in the Prometheus text format 0.0.4 (families
 * gatehouse_<group>_<name>, per-worker values labelled worker="N", a
 * port's and a listener's by their name), into <b>.  Control thread only
 * (static scratch).  Returns 0, or -ENOSPC when <b> was too small.
 */
int app_metrics_render(const struct app *a, struct stats_buf *b);

/*
 * Register the /gatehouse/... DPDK telemetry commands, after checking every
 * counter group's declaration (stats_group_check; a bad one is a bug and
 * stops the process).  Returns 0 or -errno.
 */
int app_telemetry_register(const struct app *a);

#endif /* GH_APP_GATEHOUSE_H */
