/*
 * Types of the per-worker network layer: Ethernet, ARP, IPv4, ICMP, the L4
 * dispatch (protocol handlers, hand-over rings) and the flow owner hash.
 * Every drop path has a counter in NET_COUNTERS or NET_L4_COUNTERS; the names
 * are part of the operator interface (gatehousectl stats, telemetry) and of the
 * lab tests.
 */
#ifndef GH_NET_TYPES_H
#define GH_NET_TYPES_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_ether.h>

#include "stats/stats_types.h"

#define NET_CTX_MAGIC       0x6e657401u
#define NET_PORTS_MAX       4
#define NET_TXBUF_MAX       128  /* frames queued per port between flushes */
#define NET_ARP_TABLE_SIZE  256  /* entries per worker, power of two */
#define NET_ARP_PENDING_CAP 256  /* hard cap of the per-worker pending queue */
#define NET_TX_HOOKS_MAX    4    /* net_tx_flushed hooks per worker */
#define NET_ARP_TX_HOLD     16   /* ARP frames held while a txbuf is full */
#define NET_L4_BURST        32   /* segments handed to a protocol at once */
#define NET_STEER_RING      4096 /* segments handed over, waiting per worker */
/* bursts taken from the steer ring per drain, at most */
#define NET_STEER_DRAIN_BURSTS 16

/* clang-format off */
#define NET_COUNTERS(X)                                                       \
	X(rx_frames,         "frames handed to the network layer")            \
	X(eth_short,         "dropped: shorter than an Ethernet header")      \
	X(eth_not_ours,    "dropped: destination MAC neither ours nor broadcast") \
	X(eth_unknown_type,  "dropped: EtherType other than IPv4 and ARP (IPv6, VLAN, ...)") \
	X(eth_multiseg,      "dropped: multi-segment frame (not supported)")  \
	X(eth_bad_src,       "dropped: source MAC is a group (multicast/broadcast) address") \
	X(arp_rx,            "ARP packets received")                          \
	X(arp_bad,           "dropped: malformed ARP (length, hardware or protocol type, opcode)") \
	X(arp_not_ours,    "ARP packets for another target address (learned from, not answered)") \
	X(arp_req_answered,  "ARP requests for our address answered")         \
	X(arp_reply_rx,      "ARP replies received")                          \
	X(arp_garp_rx,       "gratuitous ARPs received (refresh known entries only)") \
	X(arp_addr_conflict, "ARP packets whose sender claims our address (not learned)") \
	X(arp_req_tx,        "ARP requests sent to resolve a next hop")       \
	X(arp_garp_tx,       "gratuitous ARPs sent")                          \
	X(arp_tx_deferred,   "ARP replies and requests that found the txbuf full: held, sent after the worker's flush") \
	X(arp_learned,       "neighbour entries created or updated")          \
	X(arp_expired,       "neighbour entries aged out")                    \
	X(arp_table_full,    "neighbour entries refused: table full")         \
	X(arp_pending_queued, "packets queued waiting for ARP resolution")    \
	X(arp_pending_sent,  "queued packets sent after resolution")          \
	X(arp_pending_full,  "dropped: ARP pending queue full")               \
	X(arp_pending_timeout, "dropped: next hop did not answer ARP in time") \
	X(ip_rx,             "IPv4 packets received")                         \
	X(ip_short,          "dropped: shorter than an IPv4 header")          \
	X(ip_bad_version,    "dropped: IP version not 4")                     \
	X(ip_bad_hlen,       "dropped: IPv4 header length below 20 bytes or beyond the packet") \
	X(ip_bad_len,        "dropped: IPv4 total length inconsistent with the frame") \
	X(ip_bad_csum,       "dropped: IPv4 header checksum wrong")           \
	X(ip_ttl_zero,       "dropped: IPv4 TTL zero")                        \
	X(ip_options,        "dropped: IPv4 options (not supported)")         \
	X(ip_fragment,       "dropped: IPv4 fragments (not supported)")       \
	X(ip_bad_src,        "dropped: source address martian (0, broadcast, multicast, loopback, ours)") \
	X(ip_broadcast,      "dropped: broadcast or multicast destination")   \
	X(ip_not_ours,     "dropped: destination not this port's address (never forwarded)") \
	X(ip_unknown_proto,  "dropped: IP protocol other than ICMP, TCP, UDP") \
	X(icmp_rx,           "ICMP messages received")                        \
	X(icmp_short,        "dropped: ICMP message shorter than its header") \
	X(icmp_bad_csum,     "dropped: ICMP checksum wrong")                  \
	X(icmp_echo_replied, "ICMP echo requests answered")                   \
	X(icmp_other,        "dropped: ICMP types we do not act on")          \
	X(l4_unhandled,      "dropped: TCP or UDP with no layer above to take it") \
	X(l4_delivered,      "TCP or UDP packets handed to the layer above")  \
	X(tx_queued,         "frames queued for transmission")                \
	X(tx_buf_full,       "dropped: per-port transmit buffer full (ARP: and its hold full)") \
	X(tx_nomem,          "dropped: no mbuf for an ARP request or reply")  \
	X(tx_no_route,       "dropped: destination off-link and no gateway")
/* clang-format on */

/*
 * The L4 dispatch's counters (net_l4.c).  The names are the operator's
 * "worker.*" counters of before the dispatch moved here: the worker keeps
 * them in its own group (net_params.l4_cnt points there).
 */
/* clang-format off */
#define NET_L4_COUNTERS(X)                                                    \
	X(steer_out,        "TCP segments handed to the worker owning their flow") \
	X(steer_in,         "TCP segments received from another worker (their owner is us)") \
	X(steer_drop,       "TCP segments lost: the owner's hand-over ring was full") \
	X(tcp_owned,        "TCP segments processed by the worker owning their flow") \
	X(udp_owned,        "UDP datagrams processed by the worker owning their flow") \
	X(udp_no_consumer,  "UDP datagrams dropped: not an answer to our resolver")
/* clang-format on */

struct net_l4_counters {
	NET_L4_COUNTERS(STATS_FIELD)
};

/* Per-worker network counters; written only by the owning worker. */
struct net_counters {
	NET_COUNTERS(STATS_FIELD)
};

/* Frames waiting to be handed to rte_eth_tx_burst() by the worker. */
struct net_txbuf {
	unsigned n;
	struct rte_mbuf *pkts[NET_TXBUF_MAX];
};

/* One of the appliance's ports as a worker sees it. */
struct net_port {
	uint16_t port_id; /* DPDK port id */
	uint16_t mtu;
	struct rte_ether_addr mac;
	uint32_t addr_be;    /* our address, network order */
	uint32_t mask_be;    /* netmask, network order */
	uint32_t gateway_be; /* 0: no gateway */
	struct net_txbuf tx;
};

enum net_arp_state {
	NET_ARP_FREE = 0,
	NET_ARP_INCOMPLETE = 1, /* request sent, no answer yet */
	NET_ARP_RESOLVED = 2,
};

struct net_arp_entry {
	uint32_t ip_be;
	uint8_t port_idx;
	uint8_t state; /* enum net_arp_state */
	struct rte_ether_addr mac;
	uint16_t n_pending;    /* packets in the pending queue for this entry */
	uint64_t expire_tsc;   /* RESOLVED: entry ages out at this time */
	uint64_t last_req_tsc; /* INCOMPLETE: when the last request left */
};

/* An ARP frame (reply, request, gratuitous) held for a full txbuf. */
struct net_arp_held {
	struct rte_mbuf *m; /* the whole frame, Ethernet header and all */
	uint8_t port_idx;
};

struct net_arp_pending {
	struct rte_mbuf *m; /* IPv4 packet without its Ethernet header */
	uint32_t nexthop_be;
	uint8_t port_idx;
	uint64_t deadline_tsc;
};

/*
 * Called when the worker learns or refreshes a neighbour from an ARP packet,
 * so the worker can tell the other workers (ARP answers may land on any
 * queue).  May be NULL.
 */
typedef void (*net_learn_cb)(void *arg, unsigned port_idx, uint32_t ip_be,
                             const struct rte_ether_addr *mac);

/*
 * A protocol handler (net_proto_register()): <n> TCP segments or UDP
 * datagrams for one of our addresses, received on port <port_idx>, whose
 * flow this worker owns (the mbuf data still starts at the Ethernet
 * header; l2_len/l3_len are set).  The callee owns the mbufs.  Returns how
 * many were not for it (freed by it; for UDP counted udp_no_consumer).
 */
typedef unsigned (*net_proto_fn)(void *arg, unsigned port_idx,
                                 struct rte_mbuf **pkts, unsigned n);

enum net_l4_proto {
	NET_L4_TCP = 0,
	NET_L4_UDP = 1,
	NET_L4_N = 2,
};

struct net_proto {
	net_proto_fn fn;
	void *arg;
};

/* Owned segments of one protocol from one port, waiting for the handler. */
struct net_l4_batch {
	unsigned port_idx;
	unsigned n;
	struct rte_mbuf *pkts[NET_L4_BURST];
};

/*
 * Called by net_tx_flushed() once the worker has handed every port's txbuf
 * to the driver: a layer above that stopped sending because a txbuf was
 * full (TCP's txwait list) sends again now.  Returns how many senders it
 * resumed (work done, for the worker's idle accounting).
 */
typedef unsigned (*net_tx_flushed_cb)(void *arg);

struct net_tx_hook {
	net_tx_flushed_cb fn;
	void *arg;
};

/* Parameters of net_ctx_init(). */
struct net_params {
	unsigned worker_id;
	struct rte_mempool *pool; /* for ARP requests and gratuitous ARPs */
	uint64_t tsc_hz;
	uint32_t arp_entry_ttl_s;
	uint32_t arp_pending_max; /* <= NET_ARP_PENDING_CAP */
	uint32_t arp_pending_timeout_ms;
	net_learn_cb on_learn;
	void *cb_arg;
	/* Where the L4 dispatch counts (the worker's group); NULL: in the
	 * context's own struct. */
	struct net_l4_counters *l4_cnt;
};

/*
 * The network layer state of one worker.  Owned and touched by that worker
 * only (except net_ctx_init / net_port_add before it starts, and counter
 * reads by the control thread).
 */
struct net_ctx {
	unsigned magic;
	struct net_params p;
	uint64_t arp_ttl_tsc;
	uint64_t pending_timeout_tsc;
	uint64_t arp_retry_tsc; /* minimum gap between requests for one IP */
	/* The worker's clock: the TSC given to the last net_timer() call
	 * (rte_rdtsc() at net_ctx_init).  Ages, deadlines and the request
	 * rate limit are taken from it, so the fast path reads no clock and
	 * tests can drive time through net_timer(). */
	uint64_t now_tsc;
	unsigned n_ports;
	struct net_port ports[NET_PORTS_MAX];
	struct net_arp_entry arp[NET_ARP_TABLE_SIZE];
	unsigned n_pending;
	struct net_arp_pending pending[NET_ARP_PENDING_CAP];
	/* ARP frames waiting for room in their port's txbuf, in order
	 * (net_tx_flushed() queues them before the tx hooks run) */
	unsigned n_arp_held;
	struct net_arp_held arp_held[NET_ARP_TX_HOLD];
	unsigned n_tx_hooks;
	struct net_tx_hook tx_hooks[NET_TX_HOOKS_MAX];
	/* L4 dispatch (net_l4.c): handlers, the flow owner and the
	 * hand-over rings; peers[i] is worker i's context (shared array
	 * owned by the control thread; we only enqueue into their rings). */
	unsigned n_protos;
	struct net_proto protos[NET_L4_N];
	struct net_l4_batch batch[NET_L4_N];
	const struct net_flow_owner *owner; /* NULL: we own every flow */
	struct net_ctx *const *peers;
	unsigned n_peers;
	struct rte_ring *steer_ring; /* segments we own, from others (MP/SC) */
	struct net_l4_counters *l4cnt;
	struct net_l4_counters l4cnt_own;
	struct net_counters cnt __rte_cache_aligned;
} __rte_cache_aligned;

/* ---- flow owner hash (RSS), net_flow_owner.h ---------------------------- */

/*
 * A flow as the worker sees it, in network byte order: our address and
 * port, the peer's, and the port index it uses.  Laid out as lib/tcp's
 * struct net_flow_key.
 */
struct net_flow_key {
	uint32_t local_ip_be;
	uint32_t remote_ip_be;
	uint16_t local_port_be;
	uint16_t remote_port_be;
	uint8_t port_idx;
	uint8_t pad[3];
};

#define NET_FLOW_OWNER_MAGIC        0x74727301u
#define NET_FLOW_OWNER_KEY_LEN      40
#define NET_FLOW_OWNER_RETA_DEFAULT 128 /* entries (ixgbe, igb; many VFs) */
#define NET_FLOW_OWNER_RETA_MAX     512 /* i40e, mlx5 default */

/*
 * Everything needed to compute which worker owns a flow, as the NIC does.
 * Built once by the control thread before the workers start, read-only
 * after, shared by all workers.
 */
struct net_flow_owner {
	unsigned magic;
	uint32_t n_workers;
	uint32_t reta_size; /* power of two */
	/* the key in rte_softrss_be() form (rte_convert_rss_key) */
	uint32_t key_be[NET_FLOW_OWNER_KEY_LEN / 4];
	/* Toeplitz contribution of each byte of a port in the tuple: the
	 * hash is linear over XOR, so hash(tuple with port p) =
	 * hash(tuple with port 0) ^ port_hash[0][p & 255] ^ port_hash[1][p >>
	 * 8] (p in host order).  Makes each candidate of an ephemeral port
	 * search O(1). */
	uint32_t port_hash[2][256];
	uint16_t reta[NET_FLOW_OWNER_RETA_MAX]; /* index -> worker id */
};

#define NET_FLOW_PORTS_MAGIC 0x74727003u
#define NET_FLOW_PORT_TABLE                               \
	256 /* RFC 6056 table[]: per-destination counters \
	     */

/*
 * One worker's ephemeral port state for active opens (RFC 6056 section
 * 3.3.3, algorithm 3): the configured range (inclusive, host order), the
 * worker's secret key (getrandom(2)) and the table of counters a
 * destination's hash selects.  Owned by that worker.
 */
struct net_flow_ports {
	unsigned magic;
	uint16_t worker;
	uint16_t lo;
	uint16_t hi;
	uint16_t pad;
	uint8_t key[16];
	uint16_t table[NET_FLOW_PORT_TABLE];
};

/*
 * Asked by net_flow_port_choose() whether the flow <k> (local port filled
 * in) is taken.  tcp_flow_busy() has this shape, to ask a flow table.
 */
typedef bool (*net_flow_in_use_cb)(void *arg, const struct net_flow_key *k);

#endif /* GH_NET_TYPES_H */
