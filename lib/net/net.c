/*
 * Per-worker network layer, Ethernet part: context and port set-up, the
 * receive loop that sorts frames into ARP and IPv4, the timer entry point,
 * the Internet checksum and the counter descriptors.
 *
 * Multi-segment frames are counted eth_multiseg and dropped: the ports run
 * without scattered RX (af_packet and an MTU that fits one mbuf), and every
 * parser below reads and rewrites headers in place with
 * rte_pktmbuf_mtod(), which is only safe on one contiguous segment.
 */
#include <errno.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_prefetch.h>

#include "net/layers_priv.h"

static const struct stats_counter_desc net_counter_descs[] = {
    NET_COUNTERS(STATS_DESC)};

const struct stats_group_desc net_counters_desc = {
    "net", net_counter_descs, GH_ARRAY_SIZE(net_counter_descs)};

_Static_assert(sizeof(struct net_counters) ==
                   GH_ARRAY_SIZE(net_counter_descs) * sizeof(uint64_t),
               "struct net_counters must be exactly the NET_COUNTERS list");

int
net_ctx_init(struct net_ctx *ctx, const struct net_params *p)
{
	if (ctx == NULL || p == NULL || p->pool == NULL || p->tsc_hz == 0 ||
	    p->arp_entry_ttl_s == 0 || p->arp_pending_max == 0 ||
	    p->arp_pending_max > NET_ARP_PENDING_CAP ||
	    p->arp_pending_timeout_ms == 0)
		return -EINVAL;

	memset(ctx, 0, sizeof(*ctx));
	ctx->p = *p;
	ctx->arp_ttl_tsc = (uint64_t)p->arp_entry_ttl_s * p->tsc_hz;
	ctx->pending_timeout_tsc =
	    (uint64_t)p->arp_pending_timeout_ms * p->tsc_hz / 1000;
	ctx->arp_retry_tsc = (uint64_t)NET_ARP_RETRY_MS * p->tsc_hz / 1000;
	ctx->now_tsc = rte_rdtsc();
	ctx->l4cnt = p->l4_cnt != NULL ? p->l4_cnt : &ctx->l4cnt_own;
	ctx->magic = NET_CTX_MAGIC;
	return 0;
}

int
net_port_add(struct net_ctx *ctx, uint16_t port_id,
             const struct rte_ether_addr *mac, uint32_t addr_be,
             uint8_t prefix_len, uint32_t gateway_be, uint16_t mtu)
{
	struct net_port *port;
	uint32_t addr = rte_be_to_cpu_32(addr_be);

	GH_CHECK_OBJ_NOTNULL(ctx, NET_CTX_MAGIC);
	if (mac == NULL || !rte_is_valid_assigned_ether_addr(mac) ||
	    prefix_len > 32 || mtu < 68 || addr == 0 || (addr >> 28) >= 0xe)
		return -EINVAL;
	if (ctx->n_ports >= NET_PORTS_MAX)
		return -ENOSPC;

	port = &ctx->ports[ctx->n_ports];
	memset(port, 0, sizeof(*port));
	port->port_id = port_id;
	port->mtu = mtu;
	rte_ether_addr_copy(mac, &port->mac);
	port->addr_be = addr_be;
	port->mask_be =
	    prefix_len == 0
	        ? 0
	        : rte_cpu_to_be_32(0xffffffffu << (32 - prefix_len));
	port->gateway_be = gateway_be;
	return (int)ctx->n_ports++;
}

/* Sort one frame into ARP or IPv4; consumes <m>. */
static void
net_eth_input(struct net_ctx *ctx, unsigned port_idx, struct rte_mbuf *m)
{
	const struct net_port *port = &ctx->ports[port_idx];
	const struct rte_ether_hdr *eh;

	ctx->cnt.rx_frames++;
	if (GH_UNLIKELY(m->nb_segs != 1)) {
		NET_DROP(ctx, m, eth_multiseg);
		return;
	}
	if (GH_UNLIKELY(rte_pktmbuf_data_len(m) < NET_ETH_HLEN)) {
		NET_DROP(ctx, m, eth_short);
		return;
	}
	eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	if (!rte_is_same_ether_addr(&eh->dst_addr, &port->mac) &&
	    !rte_is_broadcast_ether_addr(&eh->dst_addr)) {
		NET_DROP(ctx, m, eth_not_ours);
		return;
	}
	/* IEEE 802: a source address is never a group address; answering
	 * one would turn a reply into a broadcast. */
	if (GH_UNLIKELY(rte_is_multicast_ether_addr(&eh->src_addr))) {
		NET_DROP(ctx, m, eth_bad_src);
		return;
	}
	switch (eh->ether_type) {
	case RTE_BE16(RTE_ETHER_TYPE_IPV4):
		net_ipv4_input(ctx, port_idx, m);
		break;
	case RTE_BE16(RTE_ETHER_TYPE_ARP):
		net_arp_input(ctx, port_idx, m);
		break;
	default:
		NET_DROP(ctx, m, eth_unknown_type);
		break;
	}
}

void
net_input(struct net_ctx *ctx, unsigned port_idx, struct rte_mbuf **pkts,
          unsigned n)
{
	unsigned i;

	GH_CHECK_OBJ_NOTNULL(ctx, NET_CTX_MAGIC);
	GH_VERIFY(port_idx < ctx->n_ports);
	GH_VERIFY(pkts != NULL || n == 0);

	for (i = 0; i < n; i++) {
		GH_VERIFY(pkts[i] != NULL);
		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		net_eth_input(ctx, port_idx, pkts[i]);
	}
	net_l4_flush(ctx);
}

int
net_tx_hook_register(struct net_ctx *ctx, net_tx_flushed_cb fn, void *arg)
{
	GH_CHECK_OBJ_NOTNULL(ctx, NET_CTX_MAGIC);
	if (fn == NULL)
		return -EINVAL;
	if (ctx->n_tx_hooks >= NET_TX_HOOKS_MAX)
		return -ENOSPC;
	ctx->tx_hooks[ctx->n_tx_hooks].fn = fn;
	ctx->tx_hooks[ctx->n_tx_hooks].arg = arg;
	ctx->n_tx_hooks++;
	return 0;
}

unsigned
net_tx_flushed(struct net_ctx *ctx)
{
	unsigned i, n = 0;

	GH_CHECK_OBJ_NOTNULL(ctx, NET_CTX_MAGIC);
	GH_ASSERT(ctx->n_tx_hooks <= NET_TX_HOOKS_MAX);
	/* ARP frames held for a full txbuf first: a neighbour waits on
	 * them, and resumed senders may fill the txbuf again */
	if (ctx->n_arp_held > 0)
		n += net_arp_held_release(ctx);
	for (i = 0; i < ctx->n_tx_hooks; i++)
		n += ctx->tx_hooks[i].fn(ctx->tx_hooks[i].arg);
	return n;
}

void
net_timer(struct net_ctx *ctx, uint64_t now_tsc)
{
	GH_CHECK_OBJ_NOTNULL(ctx, NET_CTX_MAGIC);
	ctx->now_tsc = now_tsc;
	net_arp_timer(ctx);
}
