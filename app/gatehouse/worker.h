/*
 * A worker: one lcore, one RX/TX queue pair on every port, run to
 * completion.  It polls (RX, neighbour updates, segments other workers
 * steered to it), lets the network layer and the handlers registered with
 * it run, flushes TX, ticks its timers, announces an RCU quiescent state
 * once per loop, and backs off when idle unless busy-poll is configured.
 */
#ifndef GH_APP_WORKER_H
#define GH_APP_WORKER_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_ring.h>

#include "dns/dns_types.h"
#include "log/alog_types.h"
#include "net/net_types.h"
#include "proxy/proxy_types.h"
#include "tcp/tcp_types.h"
#include "stats/stats_types.h"

#define WORKER_MAGIC      0x776b7201u
#define WORKER_BURST      32
#define WORKER_RX_BURSTS  8   /* RX bursts per port per loop, at most */
#define WORKER_NEIGH_RING 256 /* neighbour updates waiting per worker */

/* clang-format off */
#define WORKER_COUNTERS(X)                                                    \
	X(loops,            "poll loop iterations")                           \
	X(busy_tsc,         "TSC cycles spent in loops that found work")      \
	X(idle_tsc,         "TSC cycles spent in empty loops and back-off sleeps") \
	X(busy_rx_tsc,      "of busy_tsc: cycles inside the driver's RX bursts (rte_eth_rx_burst: for net_af_packet and net_af_xdp their syscalls and copies)") \
	X(busy_tx_tsc,      "of busy_tsc: cycles inside the driver's TX bursts (rte_eth_tx_burst); busy_tsc less both is Gatehouse's own code") \
	X(rx_bursts,        "RX bursts that returned packets")                \
	X(tx_bursts,        "TX bursts handed to the driver (frames per burst: port tx_pkts / this)") \
	X(sleeps,           "idle back-off sleeps")                           \
	X(neigh_shared,     "neighbour updates sent to other workers")        \
	X(neigh_received,   "neighbour updates received from other workers")  \
	X(neigh_share_drop, "neighbour updates lost: another worker's ring full")
#define PORT_COUNTERS(X)                                                      \
	X(rx_pkts,   "frames received")                                       \
	X(rx_bytes,  "bytes received")                                        \
	X(tx_pkts,   "frames sent")                                           \
	X(tx_bytes,  "bytes sent")                                            \
	X(tx_drops,  "frames the driver refused to send (TX queue full), or chains that could not be made one segment for it") \
	X(tx_flattened, "chained frames copied into one segment before TX: the driver cannot send chains (net_af_xdp)")
/* clang-format on */

/* The worker group: its own counters, then lib/net's L4 dispatch counters
 * (NET_L4_COUNTERS: steering and per-protocol ownership), which the net
 * layer writes through net_params.l4_cnt. */
struct worker_counters {
	WORKER_COUNTERS(STATS_FIELD)
	struct net_l4_counters l4;
};

struct port_counters {
	PORT_COUNTERS(STATS_FIELD)
};

extern const struct stats_group_desc worker_counters_desc;

/* What the control thread gives a worker before launching it. */
struct worker_params {
	unsigned id; /* 0..n_workers-1, also the queue index */
	unsigned n_ports;
	uint16_t port_ids[NET_PORTS_MAX];
	/* TX of port i takes single-segment frames only (the PMD has no
	 * MULTI_SEGS offload): chains are copied into one segment from
	 * flat_pool[i] first.  NULL: chains go as they are. */
	struct rte_mempool *flat_pool[NET_PORTS_MAX];
	bool busy_poll;
	uint32_t idle_spin_polls;
	uint32_t idle_sleep_max_us;
	uint32_t garp_count;      /* worker 0 only: gratuitous ARPs per port */
	const volatile int *stop; /* set by the control thread to end run */
};

/* A worker's whole state, allocated by the control thread, cache-aligned. */
struct worker {
	unsigned magic;
	struct worker_params p;
	struct worker **peers; /* all workers, for neighbour sharing */
	unsigned n_peers;
	struct rte_ring *neigh_ring; /* updates from other workers (MP/SC) */
	struct net_ctx net;          /* with the hand-over ring (net_steer_*) */
	struct tcp_stack *tcp;       /* this worker's TCP endpoint */
	struct proxy_worker *proxy;  /* relay and services on top of it */
	struct dns_resolver *dns;    /* the forward proxy's resolver, or NULL */
	struct alog_ring *alog;      /* access-log records, or NULL */
	uint64_t rx_tsc, tx_tsc;     /* this loop's driver cycles, so far */
	struct worker_counters cnt __rte_cache_aligned;
	struct port_counters pcnt[NET_PORTS_MAX];
} __rte_cache_aligned;

/* A neighbour update travelling between workers over neigh_ring. */
struct worker_neigh_msg {
	uint32_t ip_be;
	uint8_t port_idx;
	uint8_t pad;
	struct rte_ether_addr mac;
};

/*
 * net_learn_cb of every worker when there are several: passes a learned
 * neighbour to the other workers' rings.  <arg> is the struct worker.
 */
void worker_share_neigh(void *arg, unsigned port_idx, uint32_t ip_be,
                        const struct rte_ether_addr *mac);

/*
 * The lcore entry point: runs until *p.stop is set.  Registers with
 * liburcu-qsbr for its lifetime.  Returns 0.
 */
int worker_main(void *arg);

#endif /* GH_APP_WORKER_H */
