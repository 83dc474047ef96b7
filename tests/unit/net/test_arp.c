/*
 * lib/net ARP input: answers, RFC 826 learning, gratuitous ARP, conflicts
 * and malformed packets.
 */
#include <string.h>

#include <criterion/criterion.h>

#include "net_test_util.h"

TestSuite(net_arp, .init = nt_setup, .fini = nt_teardown);

static const struct rte_ether_addr NEW_MAC = {{0x02, 0, 0, 0, 0, 0xaa}};

/* Check the ARP frame <m> field by field. */
static void
check_arp(struct rte_mbuf *m, const struct rte_ether_addr *eth_dst,
          const struct rte_ether_addr *eth_src, uint16_t op,
          const struct rte_ether_addr *sha, uint32_t spa,
          const struct rte_ether_addr *tha, uint32_t tpa)
{
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	static const uint8_t fixed[] = {0x08, 0x06, 0x00, 0x01,
	                                0x08, 0x00, 0x06, 0x04};

	cr_assert_eq(m->nb_segs, 1);
	cr_assert_eq(rte_pktmbuf_pkt_len(m), 42);
	cr_assert_eq(memcmp(f, eth_dst, 6), 0, "eth dst");
	cr_assert_eq(memcmp(f + 6, eth_src, 6), 0, "eth src");
	cr_assert_eq(memcmp(f + 12, fixed, sizeof(fixed)), 0, "ARP fixed part");
	cr_assert_eq(f[20], op >> 8);
	cr_assert_eq(f[21], op & 0xff);
	cr_assert_eq(memcmp(f + 22, sha, 6), 0, "sha");
	cr_assert_eq(memcmp(f + 28, &spa, 4), 0, "spa");
	cr_assert_eq(memcmp(f + 32, tha, 6), 0, "tha");
	cr_assert_eq(memcmp(f + 38, &tpa, 4), 0, "tpa");
}

static void
input_arp(unsigned port, const struct rte_ether_addr *eth_dst, uint16_t op,
          const struct rte_ether_addr *sha, uint32_t spa,
          const struct rte_ether_addr *tha, uint32_t tpa)
{
	uint8_t b[NT_FRAME_MAX];
	size_t n = nt_arp(b, eth_dst, sha, op, sha, spa, tha, tpa);

	nt_input(port, b, n);
}

static int
lookup(unsigned port, uint32_t ip, struct rte_ether_addr *mac)
{
	return net_neigh_lookup(&nt_ctx, port, ip, mac);
}

Test(net_arp, request_for_us_is_answered_and_learned)
{
	struct rte_ether_addr mac;

	input_arp(0, &NT_BCAST, RTE_ARP_OP_REQUEST, &NT_PEER_MAC, NT_PEER,
	          &NT_ZERO_MAC, NT_ADDR0);
	nt_expect("rx_frames", 1, "arp_rx", 1, "arp_learned", 1,
	          "arp_req_answered", 1, "tx_queued", 1, NULL);
	cr_assert_eq(nt_tx_n(0), 1);
	check_arp(nt_tx(0, 0), &NT_PEER_MAC, &NT_MAC0, RTE_ARP_OP_REPLY,
	          &NT_MAC0, NT_ADDR0, &NT_PEER_MAC, NT_PEER);
	cr_assert_eq(nt_tx(0, 0)->l2_len, 14);
	cr_assert_eq(nt_learn.n, 1);
	cr_assert_eq(nt_learn.port_idx, 0);
	cr_assert_eq(nt_learn.ip_be, NT_PEER);
	cr_assert(rte_is_same_ether_addr(&nt_learn.mac, &NT_PEER_MAC));
	cr_assert_eq(lookup(0, NT_PEER, &mac), 0);
	cr_assert(rte_is_same_ether_addr(&mac, &NT_PEER_MAC));
	cr_assert_eq(lookup(1, NT_PEER, &mac), -ENOENT, "keyed by port");
}

Test(net_arp, unicast_request_answered_on_port1)
{
	static const struct rte_ether_addr sha = {{2, 0, 0, 0, 1, 0x99}};
	const uint32_t spa = NT_IP(192, 168, 1, 50);

	input_arp(1, &NT_MAC1, RTE_ARP_OP_REQUEST, &sha, spa, &NT_MAC1,
	          NT_ADDR1);
	nt_expect("rx_frames", 1, "arp_rx", 1, "arp_learned", 1,
	          "arp_req_answered", 1, "tx_queued", 1, NULL);
	cr_assert_eq(nt_tx_n(0), 0);
	cr_assert_eq(nt_tx_n(1), 1);
	check_arp(nt_tx(1, 0), &sha, &NT_MAC1, RTE_ARP_OP_REPLY, &NT_MAC1,
	          NT_ADDR1, &sha, spa);
	cr_assert_eq(nt_learn.port_idx, 1);
}

Test(net_arp, request_for_other_target_not_answered_not_learned)
{
	struct rte_ether_addr mac;

	input_arp(0, &NT_BCAST, RTE_ARP_OP_REQUEST, &NT_PEER_MAC, NT_PEER,
	          &NT_ZERO_MAC, NT_IP(10, 0, 0, 9));
	nt_expect("rx_frames", 1, "arp_rx", 1, "arp_not_ours", 1, NULL);
	cr_assert_eq(nt_tx_n(0), 0);
	cr_assert_eq(nt_learn.n, 0);
	cr_assert_eq(lookup(0, NT_PEER, &mac), -ENOENT);
}

Test(net_arp, request_for_other_ports_address_not_answered)
{
	input_arp(0, &NT_BCAST, RTE_ARP_OP_REQUEST, &NT_PEER_MAC, NT_PEER,
	          &NT_ZERO_MAC, NT_ADDR1);
	nt_expect("rx_frames", 1, "arp_rx", 1, "arp_not_ours", 1, NULL);
	cr_assert_eq(nt_tx_n(0), 0);
	cr_assert_eq(nt_tx_n(1), 0);
}

Test(net_arp, known_sender_refreshed_by_request_for_other_target)
{
	struct rte_ether_addr mac;

	net_neigh_update(&nt_ctx, 0, NT_PEER, &NT_PEER_MAC);
	nt_cnt_reset();
	input_arp(0, &NT_BCAST, RTE_ARP_OP_REQUEST, &NEW_MAC, NT_PEER,
	          &NT_ZERO_MAC, NT_IP(10, 0, 0, 9));
	nt_expect("rx_frames", 1, "arp_rx", 1, "arp_learned", 1, "arp_not_ours",
	          1, NULL);
	cr_assert_eq(lookup(0, NT_PEER, &mac), 0);
	cr_assert(rte_is_same_ether_addr(&mac, &NEW_MAC));
	cr_assert_eq(nt_learn.n, 1);
	cr_assert(rte_is_same_ether_addr(&nt_learn.mac, &NEW_MAC));
}

Test(net_arp, gratuitous_unknown_sender_not_learned)
{
	const uint32_t ip = NT_IP(10, 0, 0, 5);
	struct rte_ether_addr mac;

	input_arp(0, &NT_BCAST, RTE_ARP_OP_REQUEST, &NT_PEER_MAC, ip,
	          &NT_ZERO_MAC, ip);
	input_arp(0, &NT_BCAST, RTE_ARP_OP_REPLY, &NT_PEER_MAC, ip, &NT_BCAST,
	          ip);
	nt_expect("rx_frames", 2, "arp_rx", 2, "arp_garp_rx", 2, NULL);
	cr_assert_eq(lookup(0, ip, &mac), -ENOENT);
	cr_assert_eq(nt_tx_n(0), 0);
	cr_assert_eq(nt_learn.n, 0);
}

Test(net_arp, gratuitous_refreshes_known_entry)
{
	struct rte_ether_addr mac;

	net_neigh_update(&nt_ctx, 0, NT_PEER, &NT_PEER_MAC);
	nt_cnt_reset();
	input_arp(0, &NT_BCAST, RTE_ARP_OP_REQUEST, &NEW_MAC, NT_PEER,
	          &NT_ZERO_MAC, NT_PEER);
	nt_expect("rx_frames", 1, "arp_rx", 1, "arp_garp_rx", 1, "arp_learned",
	          1, NULL);
	cr_assert_eq(lookup(0, NT_PEER, &mac), 0);
	cr_assert(rte_is_same_ether_addr(&mac, &NEW_MAC));
	cr_assert_eq(nt_learn.n, 1);
	cr_assert_eq(nt_tx_n(0), 0);
}

Test(net_arp, reply_to_us_learned)
{
	const uint32_t ip = NT_IP(10, 0, 0, 3);
	struct rte_ether_addr mac;

	input_arp(0, &NT_MAC0, RTE_ARP_OP_REPLY, &NT_PEER_MAC, ip, &NT_MAC0,
	          NT_ADDR0);
	nt_expect("rx_frames", 1, "arp_rx", 1, "arp_reply_rx", 1, "arp_learned",
	          1, NULL);
	cr_assert_eq(lookup(0, ip, &mac), 0);
	cr_assert_eq(nt_tx_n(0), 0);
}

Test(net_arp, reply_to_other_target_not_learned)
{
	const uint32_t ip = NT_IP(10, 0, 0, 3);
	struct rte_ether_addr mac;

	input_arp(0, &NT_BCAST, RTE_ARP_OP_REPLY, &NT_PEER_MAC, ip, &NEW_MAC,
	          NT_IP(10, 0, 0, 4));
	nt_expect("rx_frames", 1, "arp_rx", 1, "arp_reply_rx", 1, NULL);
	cr_assert_eq(lookup(0, ip, &mac), -ENOENT);
}

Test(net_arp, sender_out_of_subnet_answered_not_learned)
{
	const uint32_t ip = NT_IP(172, 16, 0, 5);
	struct rte_ether_addr mac;

	input_arp(0, &NT_BCAST, RTE_ARP_OP_REQUEST, &NT_PEER_MAC, ip,
	          &NT_ZERO_MAC, NT_ADDR0);
	nt_expect("rx_frames", 1, "arp_rx", 1, "arp_req_answered", 1,
	          "tx_queued", 1, NULL);
	cr_assert_eq(lookup(0, ip, &mac), -ENOENT);
	cr_assert_eq(nt_learn.n, 0);
}

Test(net_arp, probe_from_zero_answered_not_learned)
{
	struct rte_ether_addr mac;

	/* RFC 5227 probe for our address: we defend it by answering */
	input_arp(0, &NT_BCAST, RTE_ARP_OP_REQUEST, &NT_PEER_MAC, 0,
	          &NT_ZERO_MAC, NT_ADDR0);
	input_arp(0, &NT_BCAST, RTE_ARP_OP_REQUEST, &NT_PEER_MAC,
	          NT_IP(10, 0, 0, 255), &NT_ZERO_MAC, NT_ADDR0);
	nt_expect("rx_frames", 2, "arp_rx", 2, "arp_req_answered", 2,
	          "tx_queued", 2, NULL);
	check_arp(nt_tx(0, 0), &NT_PEER_MAC, &NT_MAC0, RTE_ARP_OP_REPLY,
	          &NT_MAC0, NT_ADDR0, &NT_PEER_MAC, 0);
	cr_assert_eq(lookup(0, 0, &mac), -ENOENT);
	cr_assert_eq(lookup(0, NT_IP(10, 0, 0, 255), &mac), -ENOENT);
}

Test(net_arp, off_subnet_gateway_is_learned)
{
	static const struct rte_ether_addr mac2 = {{2, 0, 0, 0, 2, 1}};
	static const struct rte_ether_addr gwmac = {{2, 0, 0, 0, 2, 0xfe}};
	const uint32_t gw = NT_IP(10, 9, 9, 9);
	struct rte_ether_addr mac;

	cr_assert_eq(
	    net_port_add(&nt_ctx, 2, &mac2, NT_IP(172, 16, 0, 1), 24, gw, 1500),
	    2);
	input_arp(2, &mac2, RTE_ARP_OP_REPLY, &gwmac, gw, &mac2,
	          NT_IP(172, 16, 0, 1));
	nt_expect("rx_frames", 1, "arp_rx", 1, "arp_reply_rx", 1, "arp_learned",
	          1, NULL);
	cr_assert_eq(lookup(2, gw, &mac), 0);
	cr_assert(rte_is_same_ether_addr(&mac, &gwmac));
}

Test(net_arp, address_conflict_counted_not_learned)
{
	struct rte_ether_addr mac;

	input_arp(0, &NT_BCAST, RTE_ARP_OP_REQUEST, &NT_PEER_MAC, NT_ADDR0,
	          &NT_ZERO_MAC, NT_ADDR0);
	input_arp(0, &NT_BCAST, RTE_ARP_OP_REPLY, &NT_PEER_MAC, NT_ADDR0,
	          &NT_MAC0, NT_PEER);
	input_arp(0, &NT_BCAST, RTE_ARP_OP_REQUEST, &NT_PEER_MAC, NT_ADDR0,
	          &NT_ZERO_MAC, NT_PEER);
	nt_expect("rx_frames", 3, "arp_rx", 3, "arp_addr_conflict", 3, NULL);
	cr_assert_eq(lookup(0, NT_ADDR0, &mac), -ENOENT);
	cr_assert_eq(nt_tx_n(0), 0);
	cr_assert_eq(nt_learn.n, 0);
}

/* A valid request for us, then one field broken. */
struct arp_mutation {
	const char *what;
	unsigned off;
	uint8_t val;
	size_t len;
};

Test(net_arp, malformed_packets_are_arp_bad)
{
	static const struct arp_mutation muts[] = {
	    {"htype 6", 15, 6, 60},       {"htype high byte", 14, 1, 60},
	    {"ptype IPv6", 16, 0x86, 60}, {"ptype low byte", 17, 0xdd, 60},
	    {"hlen 8", 18, 8, 60},        {"plen 16", 19, 16, 60},
	    {"op 0", 21, 0, 60},          {"op 3", 21, 3, 60},
	    {"op high byte", 20, 1, 60},  {"sha multicast", 22, 0x01, 60},
	    {"truncated 41", 0, 0, 41},   {"truncated 14", 0, 0, 14},
	    {"truncated 28", 0, 0, 28},
	};
	uint8_t b[NT_FRAME_MAX];
	struct rte_ether_addr mac;
	unsigned i;

	for (i = 0; i < GH_ARRAY_SIZE(muts); i++) {
		nt_arp(b, &NT_BCAST, &NT_PEER_MAC, RTE_ARP_OP_REQUEST,
		       &NT_PEER_MAC, NT_PEER, &NT_ZERO_MAC, NT_ADDR0);
		if (muts[i].off != 0)
			b[muts[i].off] = muts[i].val;
		nt_cnt_reset();
		nt_input(0, b, muts[i].len);
		cr_expect_eq(nt_cnt("arp_bad"), 1, "%s", muts[i].what);
		nt_expect("rx_frames", 1, "arp_rx", 1, "arp_bad", 1, NULL);
	}
	/* zero sender MAC */
	nt_arp(b, &NT_BCAST, &NT_PEER_MAC, RTE_ARP_OP_REQUEST, &NT_ZERO_MAC,
	       NT_PEER, &NT_ZERO_MAC, NT_ADDR0);
	nt_cnt_reset();
	nt_input(0, b, 60);
	nt_expect("rx_frames", 1, "arp_rx", 1, "arp_bad", 1, NULL);

	cr_assert_eq(nt_tx_n(0), 0);
	cr_assert_eq(lookup(0, NT_PEER, &mac), -ENOENT);
	cr_assert_eq(nt_learn.n, 0);
}

/* Fill port 0's txbuf as a busy worker's loop does. */
static void
fill_txbuf(void)
{
	struct net_txbuf *tb = net_port_txbuf(&nt_ctx, 0);
	uint8_t b[NT_FRAME_MAX] = {0};

	while (tb->n < NET_TXBUF_MAX)
		tb->pkts[tb->n++] = nt_mbuf(b, 60);
}

/* A reply and a gratuitous ARP that find the txbuf full are held, not
 * dropped, and go onto it, in order, when net_tx_flushed() follows the
 * worker's flush (they were lost as tx_buf_full, and the neighbour kept
 * asking). */
Test(net_arp, answer_held_when_txbuf_full_then_sent_after_the_flush)
{
	fill_txbuf();
	input_arp(0, &NT_BCAST, RTE_ARP_OP_REQUEST, &NT_PEER_MAC, NT_PEER,
	          &NT_ZERO_MAC, NT_ADDR0);
	cr_assert_eq(net_garp_send(&nt_ctx, 0), 0, "held: it will leave");
	nt_expect("rx_frames", 1, "arp_rx", 1, "arp_learned", 1,
	          "arp_req_answered", 1, "arp_garp_tx", 1, "arp_tx_deferred", 2,
	          NULL);
	cr_assert_eq(nt_tx_n(0), NET_TXBUF_MAX);
	nt_tx_free_all(); /* the worker's flush */
	cr_assert_eq(net_tx_flushed(&nt_ctx), 2, "work for one more flush");
	cr_assert_eq(nt_tx_n(0), 2);
	check_arp(nt_tx(0, 0), &NT_PEER_MAC, &NT_MAC0, RTE_ARP_OP_REPLY,
	          &NT_MAC0, NT_ADDR0, &NT_PEER_MAC, NT_PEER);
	check_arp(nt_tx(0, 1), &NT_BCAST, &NT_MAC0, RTE_ARP_OP_REQUEST,
	          &NT_MAC0, NT_ADDR0, &NT_ZERO_MAC, NT_ADDR0);
	cr_assert_eq(nt_cnt("tx_queued"), 2);
	cr_assert_eq(nt_cnt("tx_buf_full"), 0);
	cr_assert_eq(net_tx_flushed(&nt_ctx), 0, "nothing held any more");
}

/* The hold is bounded (NET_ARP_TX_HOLD a worker; past it tx_buf_full),
 * and what finds the txbuf full again at the flush waits for the next. */
Test(net_arp, held_answers_are_bounded_and_wait_for_room)
{
	unsigned i;

	fill_txbuf();
	for (i = 0; i < NET_ARP_TX_HOLD + 3; i++)
		input_arp(0, &NT_BCAST, RTE_ARP_OP_REQUEST, &NT_PEER_MAC,
		          NT_PEER, &NT_ZERO_MAC, NT_ADDR0);
	cr_assert_eq(nt_cnt("arp_req_answered"), NET_ARP_TX_HOLD + 3);
	cr_assert_eq(nt_cnt("arp_tx_deferred"), NET_ARP_TX_HOLD);
	cr_assert_eq(nt_cnt("tx_buf_full"), 3);
	cr_assert_eq(net_tx_flushed(&nt_ctx), 0, "still full: held");
	cr_assert_eq(nt_ctx.n_arp_held, NET_ARP_TX_HOLD);
	nt_tx_free_all();
	cr_assert_eq(net_tx_flushed(&nt_ctx), NET_ARP_TX_HOLD);
	cr_assert_eq(nt_tx_n(0), NET_ARP_TX_HOLD);
	for (i = 0; i < NET_ARP_TX_HOLD; i++)
		check_arp(nt_tx(0, i), &NT_PEER_MAC, &NT_MAC0, RTE_ARP_OP_REPLY,
		          &NT_MAC0, NT_ADDR0, &NT_PEER_MAC, NT_PEER);
	cr_assert_eq(nt_ctx.n_arp_held, 0);
}

static void
no_learn_cb(struct net_params *p)
{
	p->on_learn = NULL;
}

Test(net_arp, learning_without_callback)
{
	struct rte_ether_addr mac;

	nt_ctx_reset(no_learn_cb, 0);
	input_arp(0, &NT_BCAST, RTE_ARP_OP_REQUEST, &NT_PEER_MAC, NT_PEER,
	          &NT_ZERO_MAC, NT_ADDR0);
	cr_assert_eq(lookup(0, NT_PEER, &mac), 0);
	cr_assert_eq(nt_learn.n, 0);
}
