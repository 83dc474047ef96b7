/*
 * The appliance process: what the control thread owns.  Only app/ sees this.
 */
#ifndef GH_APP_GATEHOUSE_H
#define GH_APP_GATEHOUSE_H

#include <stdint.h>

#include <rte_mempool.h>

#include "conf/conf_types.h"
#include "drivers/net/port.h"
#include "tcp/tcp_types.h"
#include "worker.h"

#define APP_MAGIC 0x61707001u

struct logger; /* logger.h */

struct app {
	unsigned magic;
	const struct conf *conf;
	uint64_t start_tsc;
	unsigned n_ports;
	struct port_info ports[CONF_PORTS_MAX];
	struct rte_mempool *pools[CONF_PORTS_MAX];
	/* Which worker owns a flow; read-only once the workers run. */
	struct net_flow_owner rss;
	/* RFC 6528 ISN key, the same on every worker. */
	uint8_t isn_secret[16];
	unsigned n_workers;
	struct worker *workers[CONF_WORKERS_MAX];
	/* nets[i] = &workers[i]->net: the peers of lib/net's steering */
	struct net_ctx *nets[CONF_WORKERS_MAX];
	/* The access-log writer thread; NULL when no access log is set. */
	struct logger *logger;
	volatile int stop; /* set once by the control thread */
};

/*
 * Text and JSON renderings of every counter: totals first, then per worker.
 * <json> selects the format.  Returns the length written into <out> (always
 * NUL-ended), truncated to <cap> - 1 if too small.
 */
size_t app_stats_render(const struct app *a, int json, char *out, size_t cap);

/* Register the /gatehouse/... DPDK telemetry commands. Returns 0 or -errno. */
int app_telemetry_register(const struct app *a);

#endif /* GH_APP_GATEHOUSE_H */
