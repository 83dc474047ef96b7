/*
 * lib/net neighbour table and resolution queue: net_ipv4_output, pending
 * packets, request rate limit, ageing, net_neigh_update, gratuitous ARP,
 * table capacity.
 */
#include <string.h>

#include <criterion/criterion.h>

#include "net_test_util.h"

TestSuite(net_neigh, .init = nt_setup, .fini = nt_teardown);

static const struct rte_ether_addr GW_MAC = {{0x02, 0, 0, 0, 0, 0xfe}};

/* An IPv4 packet (no Ethernet header) from us to <dst>, <tag> in its id. */
static struct rte_mbuf *
ip_pkt(uint32_t src, uint32_t dst, uint8_t tag)
{
	uint8_t b[NT_FRAME_MAX];
	uint8_t payload[16];
	size_t n;

	memset(payload, tag, sizeof(payload));
	n = nt_ipv4(b, &NT_ZERO_MAC, &NT_ZERO_MAC, src, dst, IPPROTO_UDP, 64,
	            payload, sizeof(payload));
	b[14 + 4] = 0;
	b[14 + 5] = tag;
	nt_ipv4_fix_csum(b);
	return nt_mbuf(b + 14, n - 14);
}

/* Check that <m> is the Ethernet frame around the packet ip_pkt(.., tag). */
static void
check_ip_frame(struct rte_mbuf *m, const struct rte_ether_addr *dst,
               const struct rte_ether_addr *src, uint32_t ip_dst, uint8_t tag)
{
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);

	cr_assert_eq(rte_pktmbuf_pkt_len(m), 14 + 20 + 16);
	cr_assert_eq(m->l2_len, 14);
	cr_assert_eq(memcmp(f, dst, 6), 0, "eth dst");
	cr_assert_eq(memcmp(f + 6, src, 6), 0, "eth src");
	cr_assert_eq(f[12], 0x08);
	cr_assert_eq(f[13], 0x00);
	cr_assert_eq(f[14], 0x45);
	cr_assert_eq(f[14 + 5], tag, "packet order/identity");
	cr_assert_eq(memcmp(f + 14 + 16, &ip_dst, 4), 0, "IP dst untouched");
	cr_assert(nt_cksum_ok(f + 14, 20), "IP header untouched");
	cr_assert_eq(f[14 + 20], tag);
}

static void
check_request(struct rte_mbuf *m, const struct rte_ether_addr *src_mac,
              uint32_t spa, uint32_t tpa)
{
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	static const uint8_t fixed[] = {0x08, 0x06, 0x00, 0x01, 0x08,
	                                0x00, 0x06, 0x04, 0x00, 0x01};

	cr_assert_eq(rte_pktmbuf_pkt_len(m), 42);
	cr_assert_eq(memcmp(f, &NT_BCAST, 6), 0);
	cr_assert_eq(memcmp(f + 6, src_mac, 6), 0);
	cr_assert_eq(memcmp(f + 12, fixed, sizeof(fixed)), 0);
	cr_assert_eq(memcmp(f + 22, src_mac, 6), 0, "sha");
	cr_assert_eq(memcmp(f + 28, &spa, 4), 0, "spa");
	cr_assert_eq(memcmp(f + 32, &NT_ZERO_MAC, 6), 0, "tha");
	cr_assert_eq(memcmp(f + 38, &tpa, 4), 0, "tpa");
}

static void
arp_reply_in(unsigned port, const struct rte_ether_addr *sha, uint32_t spa,
             const struct rte_ether_addr *us, uint32_t us_ip)
{
	uint8_t b[NT_FRAME_MAX];
	size_t n = nt_arp(b, us, sha, RTE_ARP_OP_REPLY, sha, spa, us, us_ip);

	nt_input(port, b, n);
}

static int
n_entries(uint8_t state)
{
	int n = 0;
	unsigned i;

	for (i = 0; i < NET_ARP_TABLE_SIZE; i++)
		n += nt_ctx.arp[i].state == state;
	return n;
}

Test(net_neigh, unresolved_output_requests_then_reply_sends)
{
	struct rte_ether_addr mac;

	cr_assert_eq(
	    net_ipv4_output(&nt_ctx, 0, ip_pkt(NT_ADDR0, NT_PEER, 1), NT_PEER),
	    0);
	nt_expect("arp_pending_queued", 1, "arp_req_tx", 1, "tx_queued", 1,
	          NULL);
	cr_assert_eq(nt_tx_n(0), 1);
	check_request(nt_tx(0, 0), &NT_MAC0, NT_ADDR0, NT_PEER);
	cr_assert_eq(nt_ctx.n_pending, 1);
	cr_assert_eq(net_neigh_lookup(&nt_ctx, 0, NT_PEER, &mac), -ENOENT);
	nt_tx_free_all();

	arp_reply_in(0, &NT_PEER_MAC, NT_PEER, &NT_MAC0, NT_ADDR0);
	nt_expect("arp_pending_queued", 1, "arp_req_tx", 1, "tx_queued", 2,
	          "rx_frames", 1, "arp_rx", 1, "arp_reply_rx", 1, "arp_learned",
	          1, "arp_pending_sent", 1, NULL);
	cr_assert_eq(nt_tx_n(0), 1);
	check_ip_frame(nt_tx(0, 0), &NT_PEER_MAC, &NT_MAC0, NT_PEER, 1);
	cr_assert_eq(nt_ctx.n_pending, 0);
	cr_assert_eq(nt_learn.n, 1);
	cr_assert_eq(net_neigh_lookup(&nt_ctx, 0, NT_PEER, &mac), 0);
	cr_assert(rte_is_same_ether_addr(&mac, &NT_PEER_MAC));
}

Test(net_neigh, pending_sent_in_order_and_requests_rate_limited)
{
	uint8_t i;

	for (i = 1; i <= 3; i++)
		cr_assert_eq(net_ipv4_output(&nt_ctx, 0,
		                             ip_pkt(NT_ADDR0, NT_PEER, i),
		                             NT_PEER),
		             0);
	nt_clock(NT_T0 + 199 * NT_MS);
	nt_expect("arp_pending_queued", 3, "arp_req_tx", 1, "tx_queued", 1,
	          NULL);
	/* another next hop has its own rate limit */
	cr_assert_eq(net_ipv4_output(&nt_ctx, 0,
	                             ip_pkt(NT_ADDR0, NT_IP(10, 0, 0, 3), 9),
	                             NT_IP(10, 0, 0, 3)),
	             0);
	cr_assert_eq(nt_cnt("arp_req_tx"), 2);
	/* net_timer repeats the request once the gap has passed */
	nt_clock(NT_T0 + 200 * NT_MS);
	cr_assert_eq(nt_cnt("arp_req_tx"), 3);
	nt_clock(NT_T0 + 201 * NT_MS);
	cr_assert_eq(nt_cnt("arp_req_tx"), 3);
	/* within the gap, output does not ask again */
	cr_assert_eq(
	    net_ipv4_output(&nt_ctx, 0, ip_pkt(NT_ADDR0, NT_PEER, 4), NT_PEER),
	    0);
	cr_assert_eq(nt_cnt("arp_req_tx"), 3);
	nt_tx_free_all();

	/* a request from the peer for someone else resolves it (RFC 826
	 * merge on an INCOMPLETE entry) */
	{
		uint8_t b[NT_FRAME_MAX];
		size_t n = nt_arp(b, &NT_BCAST, &NT_PEER_MAC,
		                  RTE_ARP_OP_REQUEST, &NT_PEER_MAC, NT_PEER,
		                  &NT_ZERO_MAC, NT_IP(10, 0, 0, 77));

		nt_input(0, b, n);
	}
	cr_assert_eq(nt_cnt("arp_pending_sent"), 4);
	cr_assert_eq(nt_tx_n(0), 4);
	for (i = 0; i < 4; i++)
		check_ip_frame(nt_tx(0, i), &NT_PEER_MAC, &NT_MAC0, NT_PEER,
		               (uint8_t)(i + 1));
	/* the other next hop still waits */
	cr_assert_eq(nt_ctx.n_pending, 1);
	cr_assert_eq(nt_ctx.pending[0].nexthop_be, NT_IP(10, 0, 0, 3));
}

Test(net_neigh, resolved_output_goes_straight_out)
{
	net_neigh_update(&nt_ctx, 0, NT_PEER, &NT_PEER_MAC);
	nt_cnt_reset();
	cr_assert_eq(
	    net_ipv4_output(&nt_ctx, 0, ip_pkt(NT_ADDR0, NT_PEER, 5), NT_PEER),
	    0);
	nt_expect("tx_queued", 1, NULL);
	check_ip_frame(nt_tx(0, 0), &NT_PEER_MAC, &NT_MAC0, NT_PEER, 5);
}

Test(net_neigh, output_txbuf_full)
{
	struct net_txbuf *tb = net_port_txbuf(&nt_ctx, 0);

	net_neigh_update(&nt_ctx, 0, NT_PEER, &NT_PEER_MAC);
	while (tb->n < NET_TXBUF_MAX)
		tb->pkts[tb->n++] = ip_pkt(NT_ADDR0, NT_PEER, 0);
	nt_cnt_reset();
	cr_assert_eq(
	    net_ipv4_output(&nt_ctx, 0, ip_pkt(NT_ADDR0, NT_PEER, 5), NT_PEER),
	    -ENOBUFS);
	nt_expect("tx_buf_full", 1, NULL);
}

Test(net_neigh, pending_full)
{
	unsigned i;

	for (i = 0; i < NT_PENDING_MAX; i++)
		cr_assert_eq(
		    net_ipv4_output(
		        &nt_ctx, 0,
		        ip_pkt(NT_ADDR0, NT_IP(10, 0, 0, 10 + i), (uint8_t)i),
		        NT_IP(10, 0, 0, 10 + i)),
		    0);
	cr_assert_eq(
	    net_ipv4_output(&nt_ctx, 0, ip_pkt(NT_ADDR0, NT_PEER, 0), NT_PEER),
	    -ENOBUFS);
	nt_expect("arp_pending_queued", NT_PENDING_MAX, "arp_pending_full", 1,
	          "arp_req_tx", NT_PENDING_MAX + 1, "tx_queued",
	          NT_PENDING_MAX + 1, NULL);
	cr_assert_eq(nt_ctx.n_pending, NT_PENDING_MAX);
	/* the INCOMPLETE entry left without packets goes after the gap */
	cr_assert_eq(n_entries(NET_ARP_INCOMPLETE), NT_PENDING_MAX + 1);
	nt_clock(NT_T0 + 200 * NT_MS);
	cr_assert_eq(n_entries(NET_ARP_INCOMPLETE), NT_PENDING_MAX);
}

Test(net_neigh, pending_timeout_and_entry_release)
{
	uint64_t t = NT_T0 + 10 * NT_MS;

	nt_clock(t);
	cr_assert_eq(
	    net_ipv4_output(&nt_ctx, 0, ip_pkt(NT_ADDR0, NT_PEER, 1), NT_PEER),
	    0);
	nt_clock(t + 500 * NT_MS);
	cr_assert_eq(
	    net_ipv4_output(&nt_ctx, 0, ip_pkt(NT_ADDR0, NT_PEER, 2), NT_PEER),
	    0);
	nt_clock(t + (NT_PENDING_TIMEOUT_MS - 1) * NT_MS);
	cr_assert_eq(nt_ctx.n_pending, 2);
	cr_assert_eq(nt_cnt("arp_pending_timeout"), 0);
	nt_clock(t + NT_PENDING_TIMEOUT_MS * NT_MS);
	cr_assert_eq(nt_ctx.n_pending, 1, "first one timed out");
	cr_assert_eq(nt_cnt("arp_pending_timeout"), 1);
	cr_assert_eq(n_entries(NET_ARP_INCOMPLETE), 1);
	nt_clock(t + (500 + NT_PENDING_TIMEOUT_MS) * NT_MS);
	cr_assert_eq(nt_ctx.n_pending, 0);
	cr_assert_eq(nt_cnt("arp_pending_timeout"), 2);
	cr_assert_eq(n_entries(NET_ARP_INCOMPLETE), 0, "released");
	cr_assert_eq(nt_cnt("arp_pending_sent"), 0);
	cr_assert_eq(nt_cnt("arp_expired"), 0);
}

Test(net_neigh, no_route)
{
	cr_assert_eq(net_ipv4_output(&nt_ctx, 1,
	                             ip_pkt(NT_ADDR1, NT_IP(8, 8, 8, 8), 1),
	                             NT_IP(8, 8, 8, 8)),
	             -ENETUNREACH);
	nt_expect("tx_no_route", 1, NULL);
	cr_assert_eq(nt_tx_n(1), 0);
	cr_assert_eq(nt_ctx.n_pending, 0);
}

Test(net_neigh, off_link_goes_to_gateway)
{
	const uint32_t far = NT_IP(8, 8, 8, 8);

	cr_assert_eq(net_ipv4_output(&nt_ctx, 0, ip_pkt(NT_ADDR0, far, 1), far),
	             0);
	check_request(nt_tx(0, 0), &NT_MAC0, NT_ADDR0, NT_GW0);
	nt_tx_free_all();
	net_neigh_update(&nt_ctx, 0, NT_GW0, &GW_MAC);
	cr_assert_eq(nt_tx_n(0), 1);
	check_ip_frame(nt_tx(0, 0), &GW_MAC, &NT_MAC0, far, 1);
	cr_assert_eq(nt_learn.n, 0, "neigh_update does not call on_learn");
	/* on-link destinations do not use the gateway */
	cr_assert_eq(
	    net_ipv4_output(&nt_ctx, 0, ip_pkt(NT_ADDR0, NT_PEER, 2), NT_PEER),
	    0);
	check_request(nt_tx(0, 1), &NT_MAC0, NT_ADDR0, NT_PEER);
}

Test(net_neigh, broadcast_output_needs_no_arp)
{
	const uint32_t bc = NT_IP(10, 0, 0, 255);

	cr_assert_eq(net_ipv4_output(&nt_ctx, 0, ip_pkt(NT_ADDR0, bc, 3), bc),
	             0);
	nt_expect("tx_queued", 1, NULL);
	check_ip_frame(nt_tx(0, 0), &NT_BCAST, &NT_MAC0, bc, 3);
}

Test(net_neigh, entries_age_out_and_refresh_extends)
{
	struct rte_ether_addr mac;
	const uint32_t other = NT_IP(10, 0, 0, 3);
	uint64_t ttl = (uint64_t)NT_TTL_S * NT_HZ;

	net_neigh_update(&nt_ctx, 0, NT_PEER, &NT_PEER_MAC);
	net_neigh_update(&nt_ctx, 0, other, &NT_PEER_MAC);
	nt_clock(NT_T0 + ttl / 2);
	net_neigh_update(&nt_ctx, 0, other, &NT_PEER_MAC); /* refresh */
	nt_clock(NT_T0 + ttl - 1);
	cr_assert_eq(net_neigh_lookup(&nt_ctx, 0, NT_PEER, &mac), 0);
	cr_assert_eq(nt_cnt("arp_expired"), 0);
	nt_clock(NT_T0 + ttl);
	cr_assert_eq(net_neigh_lookup(&nt_ctx, 0, NT_PEER, &mac), -ENOENT);
	cr_assert_eq(net_neigh_lookup(&nt_ctx, 0, other, &mac), 0);
	cr_assert_eq(nt_cnt("arp_expired"), 1);
	nt_clock(NT_T0 + ttl / 2 + ttl);
	cr_assert_eq(net_neigh_lookup(&nt_ctx, 0, other, &mac), -ENOENT);
	cr_assert_eq(nt_cnt("arp_expired"), 2);
	cr_assert_eq(n_entries(NET_ARP_FREE), NET_ARP_TABLE_SIZE);
}

Test(net_neigh, neigh_update_rules)
{
	static const struct rte_ether_addr mc = {{1, 0, 0x5e, 0, 0, 1}};
	struct rte_ether_addr mac;

	net_neigh_update(&nt_ctx, 0, 0, &NT_PEER_MAC);
	net_neigh_update(&nt_ctx, 0, NT_PEER, &mc);
	net_neigh_update(&nt_ctx, 0, NT_PEER, &NT_ZERO_MAC);
	cr_assert_eq(net_neigh_lookup(&nt_ctx, 0, NT_PEER, &mac), -ENOENT);
	cr_assert_eq(n_entries(NET_ARP_FREE), NET_ARP_TABLE_SIZE);
	nt_expect(NULL);
	net_neigh_update(&nt_ctx, 1, NT_PEER, &NT_PEER_MAC);
	cr_assert_eq(net_neigh_lookup(&nt_ctx, 0, NT_PEER, &mac), -ENOENT);
	cr_assert_eq(net_neigh_lookup(&nt_ctx, 1, NT_PEER, &mac), 0);
	nt_expect("arp_learned", 1, NULL);
	cr_assert_eq(nt_learn.n, 0);
}

Test(net_neigh, reply_on_other_port_does_not_resolve)
{
	struct rte_ether_addr mac;

	cr_assert_eq(
	    net_ipv4_output(&nt_ctx, 0, ip_pkt(NT_ADDR0, NT_PEER, 1), NT_PEER),
	    0);
	net_neigh_update(&nt_ctx, 1, NT_PEER, &NT_PEER_MAC);
	cr_assert_eq(nt_ctx.n_pending, 1);
	cr_assert_eq(net_neigh_lookup(&nt_ctx, 0, NT_PEER, &mac), -ENOENT);
	cr_assert_eq(nt_cnt("arp_pending_sent"), 0);
}

Test(net_neigh, flush_into_full_txbuf)
{
	struct net_txbuf *tb = net_port_txbuf(&nt_ctx, 0);

	cr_assert_eq(
	    net_ipv4_output(&nt_ctx, 0, ip_pkt(NT_ADDR0, NT_PEER, 1), NT_PEER),
	    0);
	while (tb->n < NET_TXBUF_MAX)
		tb->pkts[tb->n++] = ip_pkt(NT_ADDR0, NT_PEER, 0);
	nt_cnt_reset();
	net_neigh_update(&nt_ctx, 0, NT_PEER, &NT_PEER_MAC);
	nt_expect("arp_learned", 1, "tx_buf_full", 1, NULL);
	cr_assert_eq(nt_ctx.n_pending, 0);
}

Test(net_neigh, garp_frame)
{
	cr_assert_eq(net_garp_send(&nt_ctx, 1), 0);
	nt_expect("arp_garp_tx", 1, "tx_queued", 1, NULL);
	cr_assert_eq(nt_tx_n(0), 0);
	check_request(nt_tx(1, 0), &NT_MAC1, NT_ADDR1, NT_ADDR1);
}

Test(net_neigh, garp_no_mbuf)
{
	struct rte_mbuf *all[4096];
	unsigned n = rte_mempool_avail_count(nt_pool);

	cr_assert_leq(n, GH_ARRAY_SIZE(all));
	cr_assert_eq(rte_pktmbuf_alloc_bulk(nt_pool, all, n), 0);
	cr_assert_eq(net_garp_send(&nt_ctx, 0), -ENOMEM);
	nt_expect("tx_nomem", 1, NULL);
	rte_pktmbuf_free_bulk(all, n);
}

/* A full txbuf holds gratuitous ARPs (arp_tx_deferred) up to
 * NET_ARP_TX_HOLD; past that they are refused. */
Test(net_neigh, garp_txbuf_full)
{
	struct net_txbuf *tb = net_port_txbuf(&nt_ctx, 0);
	unsigned i;

	while (tb->n < NET_TXBUF_MAX)
		tb->pkts[tb->n++] = ip_pkt(NT_ADDR0, NT_PEER, 0);
	for (i = 0; i < NET_ARP_TX_HOLD; i++)
		cr_assert_eq(net_garp_send(&nt_ctx, 0), 0);
	cr_assert_eq(net_garp_send(&nt_ctx, 0), -ENOBUFS);
	nt_expect("arp_garp_tx", NET_ARP_TX_HOLD, "arp_tx_deferred",
	          NET_ARP_TX_HOLD, "tx_buf_full", 1, NULL);
}

Test(net_neigh, table_capacity_and_probe_window)
{
	struct rte_ether_addr mac;
	unsigned i, ok = 0, full;

	for (i = 0; i < 400; i++)
		net_neigh_update(&nt_ctx, 0, NT_IP(10, 1, i >> 8, i & 0xff),
		                 &NT_PEER_MAC);
	for (i = 0; i < 400; i++)
		ok +=
		    net_neigh_lookup(&nt_ctx, 0, NT_IP(10, 1, i >> 8, i & 0xff),
		                     &mac) == 0;
	full = (unsigned)nt_cnt("arp_table_full");
	cr_assert_eq(ok + full, 400);
	cr_assert_leq(ok, NET_ARP_TABLE_SIZE);
	cr_assert_geq(ok, NET_ARP_TABLE_SIZE * 3 / 4,
	              "probe window too short: %u", ok);
	cr_assert_eq(nt_cnt("arp_learned"), ok);

	/* an output to a next hop with no slot is refused and counted */
	for (i = 0; i < 400; i++) {
		uint32_t ip = NT_IP(10, 1, i >> 8, i & 0xff);

		if (net_neigh_lookup(&nt_ctx, 0, ip, &mac) == 0)
			continue;
		cr_assert_eq(
		    net_ipv4_output(&nt_ctx, 0, ip_pkt(NT_ADDR0, ip, 1), ip),
		    -ENOBUFS);
		cr_assert_eq(nt_cnt("arp_table_full"), full + 1);
		break;
	}
	cr_assert_lt(i, 400);
}

Test(net_neigh, freed_slots_do_not_hide_entries)
{
	struct rte_ether_addr mac;
	uint64_t ttl = (uint64_t)NT_TTL_S * NT_HZ;
	unsigned i;

	/* odd entries at T0, even ones later: expiring the odd ones leaves
	 * holes inside probe sequences that must not stop lookups */
	for (i = 1; i < 200; i += 2)
		net_neigh_update(&nt_ctx, 0, NT_IP(10, 2, 0, i), &NT_PEER_MAC);
	nt_clock(NT_T0 + ttl / 2);
	for (i = 0; i < 200; i += 2)
		net_neigh_update(&nt_ctx, 0, NT_IP(10, 2, 0, i), &NT_PEER_MAC);
	cr_assert_eq(nt_cnt("arp_table_full"), 0);
	nt_clock(NT_T0 + ttl);
	cr_assert_eq(nt_cnt("arp_expired"), 100);
	for (i = 0; i < 200; i++)
		cr_assert_eq(
		    net_neigh_lookup(&nt_ctx, 0, NT_IP(10, 2, 0, i), &mac),
		    (i & 1) ? -ENOENT : 0, "entry %u", i);
	/* a refresh must find the live entry, not take a hole: no dups */
	for (i = 0; i < 200; i += 2)
		net_neigh_update(&nt_ctx, 0, NT_IP(10, 2, 0, i), &GW_MAC);
	cr_assert_eq(n_entries(NET_ARP_RESOLVED), 100);
}

Test(net_neigh, verify_fires_on_bad_port, .signal = SIGABRT)
{
	net_ipv4_output(&nt_ctx, 3, ip_pkt(NT_ADDR0, NT_PEER, 1), NT_PEER);
}
