/*
 * lib/net ICMP: echo replies built in place (addresses, TTL, both
 * checksums, payload), the incremental checksum update over every possible
 * starting checksum, and the drop reasons.
 */
#include <string.h>

#include <criterion/criterion.h>

#include "net_test_util.h"

TestSuite(net_icmp, .init = nt_setup, .fini = nt_teardown);

#define IP   14
#define ICMP (14 + 20)

/* Check that <m> is the echo reply to the request frame <req>/<n>. */
static void
check_reply(struct rte_mbuf *m, const uint8_t *req, size_t n,
            const struct rte_ether_addr *our_mac)
{
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);

	cr_assert_eq(rte_pktmbuf_pkt_len(m), n);
	cr_assert_eq(memcmp(f, req + 6, 6), 0, "eth dst = request's src");
	cr_assert_eq(memcmp(f + 6, our_mac, 6), 0, "eth src = our MAC");
	cr_assert_eq(memcmp(f + 12, req + 12, 2), 0);
	/* IPv4: same but addresses swapped, TTL 64, new checksum */
	cr_assert_eq(memcmp(f + IP, req + IP, 8), 0, "ver..frag unchanged");
	cr_assert_eq(f[IP + 8], 64, "TTL");
	cr_assert_eq(f[IP + 9], IPPROTO_ICMP);
	cr_assert_eq(memcmp(f + IP + 12, req + IP + 16, 4), 0, "src = dst");
	cr_assert_eq(memcmp(f + IP + 16, req + IP + 12, 4), 0, "dst = src");
	cr_assert(nt_cksum_ok(f + IP, 20), "IPv4 header checksum");
	/* ICMP: type 0, same code, id, seq, data; valid checksum */
	cr_assert_eq(f[ICMP], 0, "type echo reply");
	cr_assert_eq(f[ICMP + 1], 0);
	cr_assert_eq(memcmp(f + ICMP + 4, req + ICMP + 4, n - ICMP - 4), 0,
	             "id, seq and data unchanged");
	cr_assert(nt_cksum_ok(f + ICMP, n - ICMP), "ICMP checksum");
	cr_assert_eq(m->l2_len, 14);
	cr_assert_eq(m->l3_len, 20);
}

static void
echo_ok(size_t dlen)
{
	uint8_t b[NT_FRAME_MAX];
	size_t n = nt_icmp_echo(b, &NT_MAC0, &NT_PEER_MAC, NT_PEER, NT_ADDR0, 8,
	                        0, dlen);

	nt_cnt_reset();
	nt_input(0, b, n);
	nt_expect("rx_frames", 1, "ip_rx", 1, "icmp_rx", 1, "icmp_echo_replied",
	          1, "tx_queued", 1, NULL);
	cr_assert_eq(nt_tx_n(0), 1);
	check_reply(nt_tx(0, 0), b, n, &NT_MAC0);
	nt_tx_free_all();
}

Test(net_icmp, echo_reply)
{
	echo_ok(56);
}

Test(net_icmp, echo_reply_odd_and_empty_data)
{
	echo_ok(57);
	echo_ok(1);
	echo_ok(0);
	echo_ok(1400);
}

Test(net_icmp, echo_reply_on_port1)
{
	uint8_t b[NT_FRAME_MAX];
	size_t n = nt_icmp_echo(b, &NT_MAC1, &NT_PEER_MAC,
	                        NT_IP(192, 168, 1, 9), NT_ADDR1, 8, 0, 32);

	nt_input(1, b, n);
	cr_assert_eq(nt_tx_n(0), 0);
	cr_assert_eq(nt_tx_n(1), 1);
	check_reply(nt_tx(1, 0), b, n, &NT_MAC1);
}

Test(net_icmp, echo_to_broadcast_mac_answered_from_our_mac)
{
	uint8_t b[NT_FRAME_MAX];
	size_t n = nt_icmp_echo(b, &NT_BCAST, &NT_PEER_MAC, NT_PEER, NT_ADDR0,
	                        8, 0, 16);

	nt_input(0, b, n);
	check_reply(nt_tx(0, 0), b, n, &NT_MAC0);
}

Test(net_icmp, padded_request_gets_unpadded_reply)
{
	uint8_t b[NT_FRAME_MAX];
	size_t n =
	    nt_icmp_echo(b, &NT_MAC0, &NT_PEER_MAC, NT_PEER, NT_ADDR0, 8, 0, 4);

	cr_assert_eq(n, 46);
	memset(b + n, 0x5a, 60 - n);
	nt_input(0, b, 60);
	check_reply(nt_tx(0, 0), b, n, &NT_MAC0);
}

Test(net_icmp, reply_with_other_ttl_and_id)
{
	uint8_t b[NT_FRAME_MAX];
	size_t n = nt_icmp_echo(b, &NT_MAC0, &NT_PEER_MAC, NT_PEER, NT_ADDR0, 8,
	                        0, 20);

	b[IP + 8] = 1; /* TTL */
	b[IP + 4] = 0xab;
	nt_ipv4_fix_csum(b);
	nt_input(0, b, n);
	check_reply(nt_tx(0, 0), b, n, &NT_MAC0);
}

/*
 * Every possible request checksum (identifier swept over all 65536 values)
 * must give a reply whose incrementally updated checksum verifies: covers
 * the 0x0000 / 0xffff corner cases of RFC 1624.
 */
Test(net_icmp, incremental_checksum_all_values)
{
	uint8_t b[NT_FRAME_MAX];
	size_t n =
	    nt_icmp_echo(b, &NT_MAC0, &NT_PEER_MAC, NT_PEER, NT_ADDR0, 8, 0, 8);
	uint32_t id;

	unsigned sent = 0, alt;

	for (id = 0; id <= 0xffff; id++) {
		uint16_t c;

		b[ICMP + 4] = (uint8_t)(id >> 8);
		b[ICMP + 5] = (uint8_t)id;
		b[ICMP + 2] = b[ICMP + 3] = 0;
		c = net_cksum(b + ICMP, n - ICMP);
		/* a checksum of 0 may also be sent as 0xffff (-0) */
		for (alt = 0; alt < (c == 0 ? 2u : 1u); alt++) {
			const uint8_t *f;

			if (alt)
				c = 0xffff;
			memcpy(b + ICMP + 2, &c, 2);
			cr_assert(nt_cksum_ok(b + ICMP, n - ICMP));
			nt_input(0, b, n);
			sent++;
			cr_assert_eq(nt_tx_n(0), 1, "id %u not answered", id);
			f = rte_pktmbuf_mtod(nt_tx(0, 0), const uint8_t *);
			cr_assert(nt_cksum_ok(f + ICMP, n - ICMP),
			          "bad reply checksum for id %u", id);
			nt_tx_free_all();
		}
	}
	cr_assert_gt(sent, 0x10000, "the 0xffff form was exercised");
	cr_assert_eq(nt_cnt("icmp_echo_replied"), sent);
}

Test(net_icmp, short_message)
{
	uint8_t b[NT_FRAME_MAX];
	static const uint8_t seven[7] = {8, 0, 0xf7, 0xff, 0, 0, 0};
	size_t n;

	n = nt_ipv4(b, &NT_MAC0, &NT_PEER_MAC, NT_PEER, NT_ADDR0, IPPROTO_ICMP,
	            64, seven, sizeof(seven));
	nt_input(0, b, n);
	n = nt_ipv4(b, &NT_MAC0, &NT_PEER_MAC, NT_PEER, NT_ADDR0, IPPROTO_ICMP,
	            64, NULL, 0);
	nt_input(0, b, n);
	nt_expect("rx_frames", 2, "ip_rx", 2, "icmp_rx", 2, "icmp_short", 2,
	          NULL);
	cr_assert_eq(nt_tx_n(0), 0);
}

Test(net_icmp, bad_checksum)
{
	uint8_t b[NT_FRAME_MAX];
	size_t n = nt_icmp_echo(b, &NT_MAC0, &NT_PEER_MAC, NT_PEER, NT_ADDR0, 8,
	                        0, 33);

	b[n - 1] ^= 0x40; /* last (odd) byte of data */
	nt_input(0, b, n);
	nt_expect("rx_frames", 1, "ip_rx", 1, "icmp_rx", 1, "icmp_bad_csum", 1,
	          NULL);
	cr_assert_eq(nt_tx_n(0), 0);
}

Test(net_icmp, other_types_dropped)
{
	static const uint8_t tc[][2] = {{0, 0},  {3, 3},  {8, 1},
	                                {11, 0}, {13, 0}, {5, 1}};
	uint8_t b[NT_FRAME_MAX];
	unsigned i;

	for (i = 0; i < GH_ARRAY_SIZE(tc); i++) {
		size_t n = nt_icmp_echo(b, &NT_MAC0, &NT_PEER_MAC, NT_PEER,
		                        NT_ADDR0, tc[i][0], tc[i][1], 8);

		nt_input(0, b, n);
	}
	nt_expect("rx_frames", (int)GH_ARRAY_SIZE(tc), "ip_rx",
	          (int)GH_ARRAY_SIZE(tc), "icmp_rx", (int)GH_ARRAY_SIZE(tc),
	          "icmp_other", (int)GH_ARRAY_SIZE(tc), NULL);
	cr_assert_eq(nt_tx_n(0), 0);
}

Test(net_icmp, reply_dropped_when_txbuf_full)
{
	struct net_txbuf *tb = net_port_txbuf(&nt_ctx, 0);
	uint8_t b[NT_FRAME_MAX];
	size_t n =
	    nt_icmp_echo(b, &NT_MAC0, &NT_PEER_MAC, NT_PEER, NT_ADDR0, 8, 0, 8);

	while (tb->n < NET_TXBUF_MAX)
		tb->pkts[tb->n++] = nt_mbuf(b, n);
	nt_input(0, b, n);
	nt_expect("rx_frames", 1, "ip_rx", 1, "icmp_rx", 1, "icmp_echo_replied",
	          1, "tx_buf_full", 1, NULL);
}

Test(net_icmp, echo_for_other_port_not_answered)
{
	uint8_t b[NT_FRAME_MAX];
	size_t n =
	    nt_icmp_echo(b, &NT_MAC0, &NT_PEER_MAC, NT_PEER, NT_ADDR1, 8, 0, 8);

	nt_input(0, b, n);
	nt_expect("rx_frames", 1, "ip_rx", 1, "ip_not_ours", 1, NULL);
	cr_assert_eq(nt_tx_n(0) + nt_tx_n(1), 0);
}
