/*
 * IPv4 (RFC 791, host requirements of RFC 1122, martian rules of RFC 1812)
 * and ICMP echo for one worker, plus the IPv4 output path.
 *
 * Input validates in a fixed order so that every bad packet hits exactly
 * one counter: length, version, header length, total length, header
 * checksum, TTL, options, fragments, source, destination, protocol.
 * Checksums are always verified in software (RX offload flags are ignored
 * for now).  The strong host model applies: a packet is ours only when its
 * destination is the address of the port it came in on.  Nothing is ever
 * forwarded.
 */
#include <errno.h>
#include <string.h>

#include <rte_icmp.h>

#include "net/layers_priv.h"

/* First octet helpers on a network-order address. */
static inline uint8_t
net_ip_octet0(uint32_t ip_be)
{
	return (uint8_t)(rte_be_to_cpu_32(ip_be) >> 24);
}

/*
 * RFC 1812 5.3.7 martian sources, seen from <port>: 0/8, 127/8, 224/4
 * multicast, 240/4 (which holds 255.255.255.255), the port's subnet
 * broadcast, and any address of ours (nobody else may use it).
 */
static bool
net_ip_src_martian(const struct net_ctx *ctx, const struct net_port *port,
                   uint32_t src_be)
{
	uint8_t o0 = net_ip_octet0(src_be);
	unsigned i;

	if (o0 == 0 || o0 == 127 || o0 >= 224)
		return true;
	if (net_port_is_bcast(port, src_be))
		return true;
	for (i = 0; i < ctx->n_ports; i++)
		if (src_be == ctx->ports[i].addr_be)
			return true;
	return false;
}

/* Limited or subnet broadcast, or multicast. */
static bool
net_ip_dst_group(const struct net_port *port, uint32_t dst_be)
{
	uint8_t o0 = net_ip_octet0(dst_be);

	return dst_be == RTE_BE32(0xffffffffu) || (o0 >= 224 && o0 < 240) ||
	       net_port_is_bcast(port, dst_be);
}

/*
 * RFC 1624 eqn. 3: the checksum <hc> after one 16-bit word of the covered
 * data changes from <old> to <new> (all three in the same byte order).
 */
static inline uint16_t
net_cksum_adjust(uint16_t hc, uint16_t old, uint16_t new)
{
	uint32_t s = (uint32_t)(uint16_t)~hc + (uint16_t)~old + new;

	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/*
 * ICMP message of <icmp_len> bytes after the IPv4 header <ih> (<hlen>
 * bytes) in <m>.  Answers echo requests in place; consumes <m>.
 */
static void
net_icmp_input(struct net_ctx *ctx, struct net_port *port, struct rte_mbuf *m,
               struct rte_ipv4_hdr *ih, uint32_t hlen, uint32_t icmp_len)
{
	struct rte_icmp_hdr *ic;
	struct rte_ether_hdr *eh;
	uint16_t old_word, new_word;
	uint32_t a;

	ctx->cnt.icmp_rx++;
	if (icmp_len < sizeof(struct rte_icmp_hdr)) {
		NET_DROP(ctx, m, icmp_short);
		return;
	}
	ic = (struct rte_icmp_hdr *)((uint8_t *)ih + hlen);
	if (net_cksum(ic, icmp_len) != 0) {
		NET_DROP(ctx, m, icmp_bad_csum);
		return;
	}
	if (ic->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || ic->icmp_code != 0) {
		NET_DROP(ctx, m, icmp_other);
		return;
	}

	/* Echo reply, in place: back to the frame's source MAC. */
	eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	rte_ether_addr_copy(&eh->src_addr, &eh->dst_addr);
	rte_ether_addr_copy(&port->mac, &eh->src_addr);

	a = ih->src_addr;
	ih->src_addr = ih->dst_addr;
	ih->dst_addr = a;
	ih->time_to_live = NET_IP_TTL_DEFAULT;
	ih->hdr_checksum = 0;
	ih->hdr_checksum = net_cksum(ih, hlen);

	memcpy(&old_word, ic, sizeof(old_word)); /* type and code */
	ic->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	memcpy(&new_word, ic, sizeof(new_word));
	ic->icmp_cksum = net_cksum_adjust(ic->icmp_cksum, old_word, new_word);

	m->l2_len = NET_ETH_HLEN;
	m->l3_len = hlen;
	ctx->cnt.icmp_echo_replied++;
	net_tx_queue(ctx, port, m);
}

void
net_ipv4_input(struct net_ctx *ctx, unsigned port_idx, struct rte_mbuf *m)
{
	struct net_port *port = &ctx->ports[port_idx];
	struct rte_ipv4_hdr *ih;
	uint32_t avail, hlen, tot;

	ctx->cnt.ip_rx++;
	avail = (uint32_t)rte_pktmbuf_data_len(m) - NET_ETH_HLEN;
	if (avail < sizeof(struct rte_ipv4_hdr)) {
		NET_DROP(ctx, m, ip_short);
		return;
	}
	ih = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, NET_ETH_HLEN);
	if ((ih->version_ihl >> 4) != 4) {
		NET_DROP(ctx, m, ip_bad_version);
		return;
	}
	hlen = (uint32_t)(ih->version_ihl & RTE_IPV4_HDR_IHL_MASK) *
	       RTE_IPV4_IHL_MULTIPLIER;
	if (hlen < sizeof(struct rte_ipv4_hdr) || hlen > avail) {
		NET_DROP(ctx, m, ip_bad_hlen);
		return;
	}
	tot = rte_be_to_cpu_16(ih->total_length);
	if (tot < hlen || tot > avail) {
		NET_DROP(ctx, m, ip_bad_len);
		return;
	}
	if (tot < avail) /* Ethernet padding after the datagram */
		rte_pktmbuf_trim(m, (uint16_t)(avail - tot));
	if (net_cksum(ih, hlen) != 0) {
		NET_DROP(ctx, m, ip_bad_csum);
		return;
	}
	if (ih->time_to_live == 0) {
		NET_DROP(ctx, m, ip_ttl_zero);
		return;
	}
	if (hlen > sizeof(struct rte_ipv4_hdr)) {
		NET_DROP(ctx, m, ip_options);
		return;
	}
	if ((ih->fragment_offset &
	     RTE_BE16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) != 0) {
		NET_DROP(ctx, m, ip_fragment);
		return;
	}
	if (net_ip_src_martian(ctx, port, ih->src_addr)) {
		NET_DROP(ctx, m, ip_bad_src);
		return;
	}
	if (net_ip_dst_group(port, ih->dst_addr)) {
		NET_DROP(ctx, m, ip_broadcast);
		return;
	}
	if (ih->dst_addr != port->addr_be) {
		NET_DROP(ctx, m, ip_not_ours);
		return;
	}

	switch (ih->next_proto_id) {
	case IPPROTO_ICMP:
		net_icmp_input(ctx, port, m, ih, hlen, tot - hlen);
		break;
	case IPPROTO_TCP:
	case IPPROTO_UDP:
		m->l2_len = NET_ETH_HLEN;
		m->l3_len = hlen;
		net_l4_input(ctx, port_idx, m);
		break;
	default:
		NET_DROP(ctx, m, ip_unknown_proto);
		break;
	}
}

int
net_ipv4_output(struct net_ctx *ctx, unsigned port_idx, struct rte_mbuf *m,
                uint32_t dst_be)
{
	static const struct rte_ether_addr bcast = {
	    .addr_bytes = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
	struct net_port *port;
	uint32_t nexthop;

	GH_CHECK_OBJ_NOTNULL(ctx, NET_CTX_MAGIC);
	port = net_port_get(ctx, port_idx);
	GH_VERIFY(m != NULL);

	if (dst_be == RTE_BE32(0xffffffffu) || net_port_is_bcast(port, dst_be))
		return net_eth_output(ctx, port, m, &bcast);
	if (net_port_onlink(port, dst_be)) {
		nexthop = dst_be;
	} else if (port->gateway_be != 0) {
		nexthop = port->gateway_be;
	} else {
		NET_DROP(ctx, m, tx_no_route);
		return -ENETUNREACH;
	}
	return net_arp_output(ctx, port_idx, m, nexthop);
}
