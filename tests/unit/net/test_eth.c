/*
 * lib/net Ethernet layer: frame sorting, drop reasons, set-up arguments,
 * counter descriptors and the checksum helper.
 */
#include <string.h>

#include <criterion/criterion.h>
#include <rte_ip.h>

#include "net_test_util.h"

TestSuite(net_eth, .init = nt_setup, .fini = nt_teardown);

Test(net_eth, counters_desc_matches_struct)
{
	cr_assert_str_eq(net_counters_desc.name, "net");
	cr_assert_eq(net_counters_desc.n * sizeof(uint64_t),
	             sizeof(struct net_counters));
	cr_assert_str_eq(net_counters_desc.counters[0].name, "rx_frames");
	/* the names the lab tests and operators rely on are all there */
	cr_assert_eq(nt_cnt("arp_addr_conflict"), 0);
	cr_assert_eq(nt_cnt("eth_multiseg"), 0);
	cr_assert_eq(nt_cnt("tx_no_route"), 0);
}

Test(net_eth, empty_and_short_frames)
{
	uint8_t b[NT_FRAME_MAX];

	memset(b, 0xff, sizeof(b));
	nt_input(0, b, 0);
	nt_input(0, b, 13);
	nt_expect("rx_frames", 2, "eth_short", 2, NULL);
}

Test(net_eth, empty_burst_is_fine)
{
	net_input(&nt_ctx, 0, NULL, 0);
	nt_expect(NULL);
}

Test(net_eth, not_for_us)
{
	static const struct rte_ether_addr other = {{2, 0, 0, 0, 0, 0x42}};
	static const struct rte_ether_addr mcast = {{0x01, 0, 0x5e, 0, 0, 1}};
	uint8_t b[NT_FRAME_MAX];
	size_t n;

	n = nt_icmp_echo(b, &other, &NT_PEER_MAC, NT_PEER, NT_ADDR0, 8, 0, 8);
	nt_input(0, b, n);
	n = nt_icmp_echo(b, &mcast, &NT_PEER_MAC, NT_PEER, NT_ADDR0, 8, 0, 8);
	nt_input(0, b, n);
	/* port 1's MAC arriving on port 0 */
	n = nt_icmp_echo(b, &NT_MAC1, &NT_PEER_MAC, NT_PEER, NT_ADDR0, 8, 0, 8);
	nt_input(0, b, n);
	nt_expect("rx_frames", 3, "eth_not_ours", 3, NULL);
	cr_assert_eq(nt_tx_n(0), 0);
}

Test(net_eth, group_source_mac)
{
	uint8_t b[NT_FRAME_MAX];
	size_t n;

	n = nt_icmp_echo(b, &NT_MAC0, &NT_BCAST, NT_PEER, NT_ADDR0, 8, 0, 8);
	nt_input(0, b, n);
	nt_expect("rx_frames", 1, "eth_bad_src", 1, NULL);
	cr_assert_eq(nt_tx_n(0), 0);
}

Test(net_eth, unknown_ethertypes)
{
	static const uint16_t types[] = {RTE_ETHER_TYPE_IPV6,
	                                 RTE_ETHER_TYPE_VLAN,
	                                 RTE_ETHER_TYPE_QINQ,
	                                 0x88cc,
	                                 0x0000,
	                                 0x05dc /* 802.3 length */};
	uint8_t b[NT_FRAME_MAX];
	unsigned i;

	memset(b, 0, sizeof(b));
	for (i = 0; i < GH_ARRAY_SIZE(types); i++) {
		nt_eth(b, &NT_MAC0, &NT_PEER_MAC, types[i]);
		nt_input(0, b, 60);
	}
	nt_expect("rx_frames", (int)GH_ARRAY_SIZE(types), "eth_unknown_type",
	          (int)GH_ARRAY_SIZE(types), NULL);
}

Test(net_eth, header_only_frames_reach_the_next_layer)
{
	uint8_t b[NT_FRAME_MAX];

	nt_input(0, b, nt_eth(b, &NT_MAC0, &NT_PEER_MAC, RTE_ETHER_TYPE_IPV4));
	nt_input(0, b, nt_eth(b, &NT_BCAST, &NT_PEER_MAC, RTE_ETHER_TYPE_ARP));
	nt_expect("rx_frames", 2, "ip_rx", 1, "ip_short", 1, "arp_rx", 1,
	          "arp_bad", 1, NULL);
}

Test(net_eth, multi_segment_dropped)
{
	uint8_t b[NT_FRAME_MAX];
	struct rte_mbuf *m, *m2;
	size_t n;

	n = nt_icmp_echo(b, &NT_MAC0, &NT_PEER_MAC, NT_PEER, NT_ADDR0, 8, 0,
	                 64);
	m = nt_mbuf(b, 40);
	m2 = nt_mbuf(b + 40, n - 40);
	cr_assert_eq(rte_pktmbuf_chain(m, m2), 0);
	net_input(&nt_ctx, 0, &m, 1);
	nt_expect("rx_frames", 1, "eth_multiseg", 1, NULL);
}

Test(net_eth, mixed_burst_each_frame_one_counter)
{
	uint8_t b[NT_FRAME_MAX];
	struct rte_mbuf *pkts[5];
	static const struct rte_ether_addr sha2 = {{2, 0, 0, 0, 0, 0x77}};
	size_t n;

	n = nt_icmp_echo(b, &NT_MAC0, &NT_PEER_MAC, NT_PEER, NT_ADDR0, 8, 0, 8);
	pkts[0] = nt_mbuf(b, n);
	pkts[1] = nt_mbuf(b, 10);
	n = nt_arp(b, &NT_BCAST, &sha2, RTE_ARP_OP_REQUEST, &sha2,
	           NT_IP(10, 0, 0, 7), &NT_ZERO_MAC, NT_ADDR0);
	pkts[2] = nt_mbuf(b, n);
	nt_eth(b, &NT_MAC0, &NT_PEER_MAC, RTE_ETHER_TYPE_IPV6);
	pkts[3] = nt_mbuf(b, 60);
	n = nt_icmp_echo(b, &NT_MAC0, &NT_PEER_MAC, NT_PEER, NT_ADDR0, 0, 0, 8);
	pkts[4] = nt_mbuf(b, n);
	net_input(&nt_ctx, 0, pkts, 5);
	nt_expect("rx_frames", 5, "eth_short", 1, "eth_unknown_type", 1,
	          "ip_rx", 2, "icmp_rx", 2, "icmp_echo_replied", 1,
	          "icmp_other", 1, "arp_rx", 1, "arp_req_answered", 1,
	          "arp_learned", 1, "tx_queued", 2, NULL);
	cr_assert_eq(nt_tx_n(0), 2);
}

Test(net_eth, ctx_init_rejects_bad_params)
{
	struct net_params p = {.pool = nt_pool,
	                       .tsc_hz = NT_HZ,
	                       .arp_entry_ttl_s = 1,
	                       .arp_pending_max = NET_ARP_PENDING_CAP,
	                       .arp_pending_timeout_ms = 1};
	struct net_params q;
	static struct net_ctx c;

	cr_assert_eq(net_ctx_init(&c, &p), 0);
	cr_assert_eq(c.magic, NET_CTX_MAGIC);
	cr_assert_eq(net_ctx_init(NULL, &p), -EINVAL);
	cr_assert_eq(net_ctx_init(&c, NULL), -EINVAL);
	q = p;
	q.arp_pending_max = NET_ARP_PENDING_CAP + 1;
	cr_assert_eq(net_ctx_init(&c, &q), -EINVAL);
	q = p;
	q.arp_pending_max = 0;
	cr_assert_eq(net_ctx_init(&c, &q), -EINVAL);
	q = p;
	q.pool = NULL;
	cr_assert_eq(net_ctx_init(&c, &q), -EINVAL);
	q = p;
	q.tsc_hz = 0;
	cr_assert_eq(net_ctx_init(&c, &q), -EINVAL);
	q = p;
	q.arp_entry_ttl_s = 0;
	cr_assert_eq(net_ctx_init(&c, &q), -EINVAL);
	q = p;
	q.arp_pending_timeout_ms = 0;
	cr_assert_eq(net_ctx_init(&c, &q), -EINVAL);
}

Test(net_eth, port_add_rejects_bad_args)
{
	static const struct rte_ether_addr mc = {{1, 0, 0, 0, 0, 1}};
	static struct net_ctx c;
	struct net_params p = {.pool = nt_pool,
	                       .tsc_hz = NT_HZ,
	                       .arp_entry_ttl_s = 1,
	                       .arp_pending_max = 1,
	                       .arp_pending_timeout_ms = 1};
	unsigned i;

	cr_assert_eq(net_ctx_init(&c, &p), 0);
	cr_assert_eq(net_port_add(&c, 0, NULL, NT_ADDR0, 24, 0, 1500), -EINVAL);
	cr_assert_eq(net_port_add(&c, 0, &mc, NT_ADDR0, 24, 0, 1500), -EINVAL);
	cr_assert_eq(net_port_add(&c, 0, &NT_ZERO_MAC, NT_ADDR0, 24, 0, 1500),
	             -EINVAL);
	cr_assert_eq(net_port_add(&c, 0, &NT_MAC0, 0, 24, 0, 1500), -EINVAL);
	cr_assert_eq(
	    net_port_add(&c, 0, &NT_MAC0, NT_IP(224, 0, 0, 1), 24, 0, 1500),
	    -EINVAL);
	cr_assert_eq(net_port_add(&c, 0, &NT_MAC0, NT_ADDR0, 33, 0, 1500),
	             -EINVAL);
	cr_assert_eq(net_port_add(&c, 0, &NT_MAC0, NT_ADDR0, 24, 0, 67),
	             -EINVAL);
	for (i = 0; i < NET_PORTS_MAX; i++)
		cr_assert_eq(net_port_add(&c, (uint16_t)i, &NT_MAC0, NT_ADDR0,
		                          24, 0, 1500),
		             (int)i);
	cr_assert_eq(net_port_add(&c, 9, &NT_MAC0, NT_ADDR0, 24, 0, 1500),
	             -ENOSPC);
	cr_assert_eq(c.ports[0].mask_be, NT_IP(255, 255, 255, 0));
}

Test(net_eth, cksum_known_values)
{
	/* RFC 1071 section 3 example: sum ddf2, checksum 220d */
	static const uint8_t rfc[] = {0x00, 0x01, 0xf2, 0x03,
	                              0xf4, 0xf5, 0xf6, 0xf7};
	/* A classic IPv4 header with its checksum b861 in place */
	static const uint8_t ip[] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40,
	                             0x00, 0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8,
	                             0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
	static const uint8_t odd[] = {0x01, 0x02, 0x03};
	uint16_t c = net_cksum(rfc, sizeof(rfc));
	uint8_t cb[2];

	memcpy(cb, &c, 2);
	cr_assert_eq(cb[0], 0x22);
	cr_assert_eq(cb[1], 0x0d);
	cr_assert_eq(net_cksum(ip, sizeof(ip)), 0);
	c = net_cksum(odd, sizeof(odd));
	memcpy(cb, &c, 2);
	/* 0x0102 + 0x0300 = 0x0402 -> ~ = 0xfbfd */
	cr_assert_eq(cb[0], 0xfb);
	cr_assert_eq(cb[1], 0xfd);
}

/*
 * net_cksum_raw() (64-bit words with their carries) against DPDK's 16-bit
 * rte_raw_cksum() on every length up to 2 KiB at every alignment of 0-7,
 * over bytes chosen to make carries (many 0xff), and on all-0xff buffers.
 */
Test(net_eth, cksum_raw_matches_rte_raw_cksum)
{
	static uint8_t buf[2048 + 8];
	unsigned len, off, i;
	uint32_t x = 12345;

	for (i = 0; i < sizeof(buf); i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (x >> 16) % 3 == 0 ? 0xff : (uint8_t)(x >> 8);
	}
	for (off = 0; off < 8; off++)
		for (len = 0; len <= 2048; len++)
			cr_assert_eq(net_cksum_raw(buf + off, len),
			             rte_raw_cksum(buf + off, len),
			             "length %u at offset %u", len, off);
	memset(buf, 0xff, sizeof(buf));
	for (len = 0; len <= 2048; len += 7)
		cr_assert_eq(net_cksum_raw(buf + 1, len),
		             rte_raw_cksum(buf + 1, len), "0xff, length %u",
		             len);
}

Test(net_eth, verify_fires_on_bad_ctx, .signal = SIGABRT)
{
	struct rte_mbuf *m = NULL;

	nt_ctx.magic = 0;
	net_input(&nt_ctx, 0, &m, 0);
}

Test(net_eth, verify_fires_on_bad_port, .signal = SIGABRT)
{
	struct rte_mbuf *m = NULL;

	net_input(&nt_ctx, 2, &m, 0);
}
