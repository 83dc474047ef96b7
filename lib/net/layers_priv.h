/*
 * Private to lib/net: the interface between its layers (Ethernet helpers,
 * the drop macro, the ARP and IPv4 entry points) that net.c, arp.c and
 * ipv4.c share.  Nothing outside lib/net includes this file.
 *
 * Frame accounting: every frame given to net_input() ends in exactly one
 * "terminal" counter: a drop reason (eth_*, arp_bad, arp_not_ours,
 * arp_addr_conflict, ip_* other than ip_rx, icmp_short, icmp_bad_csum,
 * icmp_other, l4_unhandled) or a hand-off (arp_req_answered, arp_reply_rx,
 * arp_garp_rx, icmp_echo_replied, l4_delivered).  rx_frames, arp_rx, ip_rx
 * and icmp_rx count arrivals at a layer; tx_* count what happens to the
 * frames we queue (a reply dropped by a full txbuf counts its terminal
 * counter and tx_buf_full).
 */
#ifndef GH_NET_LAYERS_PRIV_H
#define GH_NET_LAYERS_PRIV_H

#include <errno.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "common/gh_common.h"
#include "net/net.h"

/* Longest probe sequence in the neighbour table (linear probing). */
#define NET_ARP_PROBE_MAX 16
/* Minimum gap between two ARP requests for one next hop. */
#define NET_ARP_RETRY_MS 200
/* TTL of the IPv4 packets we originate (echo replies). */
#define NET_IP_TTL_DEFAULT 64

#define NET_ETH_HLEN ((uint16_t)sizeof(struct rte_ether_hdr))
#define NET_ARP_LEN  ((uint16_t)sizeof(struct rte_arp_hdr))
/* ARP frames we send: Ethernet header and ARP payload, no padding (the
 * NIC pads to the Ethernet minimum, as Linux relies on too). */
#define NET_ARP_FRAME_LEN ((uint16_t)(NET_ETH_HLEN + NET_ARP_LEN))

_Static_assert(sizeof(struct rte_ether_hdr) == 14, "Ethernet header size");
_Static_assert(sizeof(struct rte_arp_hdr) == 28, "ARP payload size");
_Static_assert(sizeof(struct rte_ipv4_hdr) == 20, "IPv4 header size");
_Static_assert((NET_ARP_TABLE_SIZE & (NET_ARP_TABLE_SIZE - 1)) == 0,
               "NET_ARP_TABLE_SIZE must be a power of two");
_Static_assert(NET_ARP_PROBE_MAX <= NET_ARP_TABLE_SIZE, "probe too long");
_Static_assert(NET_ARP_PENDING_CAP <= UINT16_MAX, "n_pending is 16 bits");

static inline struct net_port *
net_port_get(struct net_ctx *ctx, unsigned port_idx)
{
	GH_VERIFY(port_idx < ctx->n_ports);
	return &ctx->ports[port_idx];
}

/* True when <ip_be> is inside the subnet of <port>. */
static inline bool
net_port_onlink(const struct net_port *port, uint32_t ip_be)
{
	return ((ip_be ^ port->addr_be) & port->mask_be) == 0;
}

/*
 * True when <ip_be> is the subnet broadcast of <port>; prefixes without one
 * (/31 after RFC 3021, /32) never match.
 */
static inline bool
net_port_is_bcast(const struct net_port *port, uint32_t ip_be)
{
	uint32_t mask = rte_be_to_cpu_32(port->mask_be);

	if (mask == 0xffffffffu || mask == 0xfffffffeu)
		return false;
	return ip_be == (port->addr_be | ~port->mask_be);
}

/* Free <m> and count why. */
#define NET_DROP(ctx, m, counter)     \
	do {                          \
		(ctx)->cnt.counter++; \
		rte_pktmbuf_free(m);  \
	} while (0)

/*
 * Queue the frame <m> on the txbuf of <port>.  Consumes <m>.  Returns 0, or
 * -ENOBUFS when the txbuf is full (m freed, tx_buf_full counted).
 */
static inline int
net_tx_queue(struct net_ctx *ctx, struct net_port *port, struct rte_mbuf *m)
{
	struct net_txbuf *tb = &port->tx;

	GH_ASSERT(tb->n <= NET_TXBUF_MAX);
	if (GH_UNLIKELY(tb->n >= NET_TXBUF_MAX)) {
		NET_DROP(ctx, m, tx_buf_full);
		return -ENOBUFS;
	}
	tb->pkts[tb->n++] = m;
	ctx->cnt.tx_queued++;
	return 0;
}

/*
 * Prepend an Ethernet header from <port> to <dst> to the IPv4 packet <m>
 * and queue it on <port>'s txbuf.  Consumes <m>; returns as net_tx_queue().
 * The caller guarantees the headroom (net_ipv4_output's contract).
 */
static inline int
net_eth_output(struct net_ctx *ctx, struct net_port *port, struct rte_mbuf *m,
               const struct rte_ether_addr *dst)
{
	struct rte_ether_hdr *eh;

	eh = (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, NET_ETH_HLEN);
	GH_VERIFY(eh != NULL);
	rte_ether_addr_copy(dst, &eh->dst_addr);
	rte_ether_addr_copy(&port->mac, &eh->src_addr);
	eh->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	m->l2_len = NET_ETH_HLEN;
	return net_tx_queue(ctx, port, m);
}

/* arp.c */
void net_arp_input(struct net_ctx *ctx, unsigned port_idx, struct rte_mbuf *m);
/* The held ARP frames onto their txbufs, as far as they have room: how
 * many went (net_tx_flushed(), after the worker's flush). */
unsigned net_arp_held_release(struct net_ctx *ctx);
void net_arp_timer(struct net_ctx *ctx);
/*
 * Send the IPv4 packet <m> (no Ethernet header yet) out of <port_idx> to
 * the on-link next hop <nexthop_be>: at once when resolved, else through
 * the pending queue.  Consumes <m>; returns as net_ipv4_output().
 */
int net_arp_output(struct net_ctx *ctx, unsigned port_idx, struct rte_mbuf *m,
                   uint32_t nexthop_be);

/* ipv4.c */
void net_ipv4_input(struct net_ctx *ctx, unsigned port_idx, struct rte_mbuf *m);

/* net_l4.c: a TCP segment or UDP datagram for us (l2_len, l3_len set):
 * to its protocol's handler, on this worker or the flow's owner.
 * Consumes <m>.  Handlers run from net_l4_flush(). */
void net_l4_input(struct net_ctx *ctx, unsigned port_idx, struct rte_mbuf *m);
/* Hand the batched segments to their handlers. */
void net_l4_flush(struct net_ctx *ctx);

#endif /* GH_NET_LAYERS_PRIV_H */
