/*
 * Per-worker network layer: Ethernet in/out, ARP (answers, neighbour table,
 * resolution queue, gratuitous ARP), IPv4 validation and ICMP echo, and the
 * L4 dispatch: TCP and UDP to the worker owning the flow
 * (net_flow_owner.h) and there to the protocol handler the layer above
 * registered (lib/tcp, lib/dns), so no step of the data path runs in app/.
 *
 * Threading: every function takes the calling worker's own net_ctx and must
 * be called only by that worker; the one thing it does to another worker's
 * context is enqueue into its hand-over ring (multi-producer).  Nothing
 * after start-up (net_steer_init creates a ring) locks, allocates from the
 * heap, prints or makes a system call.  The layer never forwards: a packet
 * not addressed to the receiving port is counted and dropped.
 *
 * Ownership: net_input() consumes every mbuf it is given: it either turns it
 * into a reply queued on a port's txbuf, hands it to the registered
 * protocol handler (on this worker or, over a ring, on the worker owning
 * the flow), or frees it and counts why.  Frames queued on a txbuf belong to
 * the worker, which sends them with rte_eth_tx_burst() and frees what the
 * driver refuses.
 */
#ifndef GH_NET_H
#define GH_NET_H

#include <rte_mbuf.h>

#include "net/net_types.h"

/* The counter group descriptor for struct net_counters ("net"). */
extern const struct stats_group_desc net_counters_desc;

/* Initialise <ctx> with <p>. Returns 0 or -EINVAL. */
int net_ctx_init(struct net_ctx *ctx, const struct net_params *p);

/*
 * Add a port: DPDK <port_id>, its MAC, our address and prefix length, the
 * gateway (0 for none) and MTU.  Returns the port index (>= 0) used by the
 * other calls, -EINVAL on bad arguments or -ENOSPC when NET_PORTS_MAX ports
 * are already there.
 */
int net_port_add(struct net_ctx *ctx, uint16_t port_id,
                 const struct rte_ether_addr *mac, uint32_t addr_be,
                 uint8_t prefix_len, uint32_t gateway_be, uint16_t mtu);

/* Process <n> frames received on port <port_idx>. Consumes them all. */
void net_input(struct net_ctx *ctx, unsigned port_idx, struct rte_mbuf **pkts,
               unsigned n);

/*
 * Send the IPv4 packet in <m> (data starts at the IPv4 header, headroom for
 * an Ethernet header) out of port <port_idx> towards <dst_be>: picks the
 * next hop (on-link or the gateway), prepends the Ethernet header and queues
 * the frame, or queues the packet until ARP resolves the next hop.
 * Consumes <m> in every case.  Returns 0 when queued for TX or for ARP,
 * -ENETUNREACH (no route), -ENOBUFS (pending queue or txbuf full).
 */
int net_ipv4_output(struct net_ctx *ctx, unsigned port_idx, struct rte_mbuf *m,
                    uint32_t dst_be);

/* Send a gratuitous ARP (request form) for our address on <port_idx>.
 * Returns 0 or -ENOMEM / -ENOBUFS. */
int net_garp_send(struct net_ctx *ctx, unsigned port_idx);

/*
 * Learn or refresh a neighbour told by another worker (see net_learn_cb).
 * Sends packets waiting for it.  Does not call on_learn.
 */
void net_neigh_update(struct net_ctx *ctx, unsigned port_idx, uint32_t ip_be,
                      const struct rte_ether_addr *mac);

/* Look up a resolved neighbour; returns 0 and fills <mac>, or -ENOENT. */
int net_neigh_lookup(const struct net_ctx *ctx, unsigned port_idx,
                     uint32_t ip_be, struct rte_ether_addr *mac);

/*
 * Periodic work, called by the worker every millisecond or so with the
 * current TSC: ages neighbour entries, drops pending packets past their
 * deadline, re-sends ARP requests for incomplete entries.
 */
void net_timer(struct net_ctx *ctx, uint64_t now_tsc);

/*
 * Register <fn>(<arg>) to run on every net_tx_flushed(): a sender that
 * parks on a full txbuf resumes when the worker drained it, in the same
 * loop, not on its next timer tick.  Start-up only, before the worker
 * runs.  Returns 0, -EINVAL (fn NULL) or -ENOSPC (NET_TX_HOOKS_MAX hooks
 * already).
 */
int net_tx_hook_register(struct net_ctx *ctx, net_tx_flushed_cb fn, void *arg);

/*
 * The worker has just handed every port's txbuf to the driver (they are
 * empty): queue the ARP frames held for a full txbuf (arp_tx_deferred),
 * then run the hooks in registration order.  Returns the ARP frames
 * queued plus the sum of what the hooks returned (senders resumed); all
 * their frames wait on the txbufs for the worker's next flush.
 */
unsigned net_tx_flushed(struct net_ctx *ctx);

/*
 * L4 dispatch (net_l4.c).  Register <fn>(<arg>, ...) as the handler of
 * <ip_proto> (IPPROTO_TCP or IPPROTO_UDP): the segments of that protocol
 * addressed to us whose flow this worker owns reach it in bursts.  With no
 * handler at all, TCP and UDP are counted l4_unhandled; with some, UDP
 * without one is counted udp_no_consumer.  Start-up only.  Returns 0,
 * -EINVAL or -EEXIST.
 */
int net_proto_register(struct net_ctx *ctx, uint8_t ip_proto, net_proto_fn fn,
                       void *arg);

/*
 * Flow ownership across workers: <owner> maps a flow to a worker id,
 * <peers>[i] is worker i's context (n_peers == owner's n_workers; the
 * array is the caller's and outlives the workers).  Creates this worker's
 * hand-over ring of <ring_size> (a power of two) slots, which the other
 * workers enqueue into.  Without this call every flow is ours.  Start-up
 * only.  Returns 0, -EINVAL or rte_ring_create's -rte_errno.
 */
int net_steer_init(struct net_ctx *ctx, const struct net_flow_owner *owner,
                   struct net_ctx *const *peers, unsigned n_peers,
                   unsigned ring_size);

/* Segments other workers received for flows we own, to their handlers:
 * bursts of NET_L4_BURST until one comes back short, at most
 * NET_STEER_DRAIN_BURSTS (a peer hands over up to several RX bursts per
 * port per loop).  Returns how many. */
unsigned net_steer_drain(struct net_ctx *ctx);

/* After the workers stopped: free what waits in <ctx>'s hand-over ring,
 * and the ring.  Any context (also one never initialised, zeroed). */
void net_steer_fini(struct net_ctx *ctx);

/*
 * dns_params.port_ok's shape, <net_ctx> the worker's struct net_ctx: does
 * the flow <lip_be>:<lport_be> -> <rip_be>:<rport_be> belong to this
 * worker?  1 or 0 (always 1 without net_steer_init()).
 */
int net_flow_port_ok(void *net_ctx, uint32_t lip_be, uint32_t rip_be,
                     uint16_t lport_be, uint16_t rport_be);

/* The txbuf of port <port_idx>, for the worker to flush. */
static inline struct net_txbuf *
net_port_txbuf(struct net_ctx *ctx, unsigned port_idx)
{
	return &ctx->ports[port_idx].tx;
}

/* Internet checksum helpers, exposed for tests and the layers above:
 * net_cksum_raw() is the folded ones' complement sum of <len> bytes (as
 * rte_raw_cksum(): 16-bit words in memory order, not complemented), and
 * net_cksum() its complement, the checksum field's value. */
uint16_t net_cksum_raw(const void *buf, size_t len);
uint16_t net_cksum(const void *buf, size_t len);

#endif /* GH_NET_H */
