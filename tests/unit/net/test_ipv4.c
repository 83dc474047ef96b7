/*
 * lib/net IPv4 input: every validation step and its counter, the order of
 * the checks, martian addresses, the strong host model and delivery to the
 * layer above through on_l4.
 */
#include <string.h>

#include <criterion/criterion.h>

#include "net_test_util.h"

TestSuite(net_ipv4, .init = nt_setup_l4, .fini = nt_teardown);

static const uint8_t PAYLOAD[12] = {0x30, 0x39, 0x00, 0x50, 0x00, 0x0c,
                                    0x00, 0x00, 'h',  'e',  'y',  '!'};

/* A valid UDP datagram from the peer to port 0. */
static size_t
udp_frame(uint8_t *b)
{
	return nt_ipv4(b, &NT_MAC0, &NT_PEER_MAC, NT_PEER, NT_ADDR0,
	               IPPROTO_UDP, 64, PAYLOAD, sizeof(PAYLOAD));
}

/* Feed <b>/<n> and expect exactly one drop counter after ip_rx. */
static void
expect_drop(const uint8_t *b, size_t n, const char *counter)
{
	nt_cnt_reset();
	nt_input(0, b, n);
	nt_expect("rx_frames", 1, "ip_rx", 1, counter, 1, NULL);
	cr_assert_eq(nt_l4.n, 0, "%s: must not reach on_l4", counter);
	cr_assert_eq(nt_tx_n(0), 0);
}

static void
set_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

#define IP 14 /* IPv4 header offset in our frames */

Test(net_ipv4, udp_delivered_to_l4)
{
	uint8_t b[NT_FRAME_MAX];
	size_t n = udp_frame(b);

	nt_input(0, b, n);
	nt_expect("rx_frames", 1, "ip_rx", 1, "l4_delivered", 1, NULL);
	cr_assert_eq(nt_l4.n, 1);
	cr_assert_eq(nt_l4.port_idx, 0);
	cr_assert_eq(nt_l4.l2_len, 14);
	cr_assert_eq(nt_l4.l3_len, 20);
	cr_assert_eq(nt_l4.pkt_len, n);
	cr_assert_eq(memcmp(nt_l4.data, b, n), 0, "delivered untouched");
}

Test(net_ipv4, tcp_delivered_on_port1)
{
	uint8_t b[NT_FRAME_MAX];
	size_t n = nt_ipv4(b, &NT_MAC1, &NT_PEER_MAC, NT_IP(192, 168, 1, 7),
	                   NT_ADDR1, IPPROTO_TCP, 1, PAYLOAD, sizeof(PAYLOAD));

	nt_input(1, b, n);
	nt_expect("rx_frames", 1, "ip_rx", 1, "l4_delivered", 1, NULL);
	cr_assert_eq(nt_l4.port_idx, 1);
}

Test(net_ipv4, broadcast_mac_unicast_ip_accepted)
{
	uint8_t b[NT_FRAME_MAX];
	size_t n = nt_ipv4(b, &NT_BCAST, &NT_PEER_MAC, NT_PEER, NT_ADDR0,
	                   IPPROTO_UDP, 64, PAYLOAD, sizeof(PAYLOAD));

	nt_input(0, b, n);
	nt_expect("rx_frames", 1, "ip_rx", 1, "l4_delivered", 1, NULL);
}

Test(net_ipv4, l4_unhandled_without_callback)
{
	uint8_t b[NT_FRAME_MAX];
	size_t n = udp_frame(b);

	nt_ctx_reset(NULL, 0);
	nt_input(0, b, n);
	n = nt_ipv4(b, &NT_MAC0, &NT_PEER_MAC, NT_PEER, NT_ADDR0, IPPROTO_TCP,
	            64, PAYLOAD, sizeof(PAYLOAD));
	nt_input(0, b, n);
	nt_expect("rx_frames", 2, "ip_rx", 2, "l4_unhandled", 2, NULL);
	cr_assert_eq(nt_l4.n, 0);
}

Test(net_ipv4, truncated_header)
{
	uint8_t b[NT_FRAME_MAX];
	size_t len;

	udp_frame(b);
	for (len = 14; len < 14 + 20; len++)
		expect_drop(b, len, "ip_short");
}

Test(net_ipv4, bad_version)
{
	static const uint8_t versions[] = {0x65, 0x05, 0x45 | 0xf0, 0x35};
	uint8_t b[NT_FRAME_MAX];
	unsigned i;

	for (i = 0; i < GH_ARRAY_SIZE(versions); i++) {
		size_t n = udp_frame(b);

		b[IP] = versions[i];
		nt_ipv4_fix_csum(b);
		expect_drop(b, n, "ip_bad_version");
	}
}

Test(net_ipv4, bad_header_length)
{
	uint8_t b[NT_FRAME_MAX];
	size_t n;
	uint8_t ihl;

	for (ihl = 0; ihl < 5; ihl++) {
		n = udp_frame(b);
		b[IP] = (uint8_t)(0x40 | ihl);
		expect_drop(b, n, "ip_bad_hlen");
	}
	/* IHL 15 = 60 bytes, frame carries 32 after Ethernet */
	n = udp_frame(b);
	b[IP] = 0x4f;
	expect_drop(b, n, "ip_bad_hlen");
	/* IHL 6 with exactly 20 bytes present */
	n = udp_frame(b);
	b[IP] = 0x46;
	expect_drop(b, 14 + 20, "ip_bad_hlen");
}

Test(net_ipv4, bad_total_length)
{
	uint8_t b[NT_FRAME_MAX];
	size_t n;

	n = udp_frame(b);
	set_be16(b + IP + 2, 19); /* below the header length */
	nt_ipv4_fix_csum(b);
	expect_drop(b, n, "ip_bad_len");

	n = udp_frame(b);
	set_be16(b + IP + 2, 0);
	nt_ipv4_fix_csum(b);
	expect_drop(b, n, "ip_bad_len");

	n = udp_frame(b);
	set_be16(b + IP + 2, (uint16_t)(n - 14 + 1)); /* beyond the frame */
	nt_ipv4_fix_csum(b);
	expect_drop(b, n, "ip_bad_len");

	n = udp_frame(b); /* frame cut short of the total length */
	expect_drop(b, n - 1, "ip_bad_len");
}

Test(net_ipv4, ethernet_padding_trimmed)
{
	uint8_t b[NT_FRAME_MAX];
	size_t n = nt_ipv4(b, &NT_MAC0, &NT_PEER_MAC, NT_PEER, NT_ADDR0,
	                   IPPROTO_UDP, 64, PAYLOAD, 8);

	cr_assert_eq(n, 42);
	memset(b + n, 0xa5, 60 - n);
	nt_input(0, b, 60);
	nt_expect("rx_frames", 1, "ip_rx", 1, "l4_delivered", 1, NULL);
	cr_assert_eq(nt_l4.pkt_len, 42, "padding removed");
}

Test(net_ipv4, header_only_datagram)
{
	uint8_t b[NT_FRAME_MAX];
	size_t n = nt_ipv4(b, &NT_MAC0, &NT_PEER_MAC, NT_PEER, NT_ADDR0,
	                   IPPROTO_UDP, 64, NULL, 0);

	nt_input(0, b, n);
	nt_expect("rx_frames", 1, "ip_rx", 1, "l4_delivered", 1, NULL);
}

Test(net_ipv4, bad_checksum)
{
	uint8_t b[NT_FRAME_MAX];
	size_t n = udp_frame(b);

	b[IP + 10] ^= 0x01;
	expect_drop(b, n, "ip_bad_csum");
	n = udp_frame(b);
	b[IP + 8] = 63; /* TTL changed, checksum not */
	expect_drop(b, n, "ip_bad_csum");
	n = udp_frame(b);
	memset(b + IP + 10, 0, 2);
	expect_drop(b, n, "ip_bad_csum");
}

Test(net_ipv4, ttl_zero)
{
	uint8_t b[NT_FRAME_MAX];
	size_t n = nt_ipv4(b, &NT_MAC0, &NT_PEER_MAC, NT_PEER, NT_ADDR0,
	                   IPPROTO_UDP, 0, PAYLOAD, sizeof(PAYLOAD));

	expect_drop(b, n, "ip_ttl_zero");
}

/* The UDP frame with <optlen> bytes of NOP options inserted. */
static size_t
frame_with_options(uint8_t *b, size_t optlen)
{
	uint8_t tmp[NT_FRAME_MAX];
	size_t n = udp_frame(tmp);

	memcpy(b, tmp, IP + 20);
	memset(b + IP + 20, 0x01, optlen);
	memcpy(b + IP + 20 + optlen, tmp + IP + 20, n - IP - 20);
	b[IP] = (uint8_t)(0x40 | (20 + optlen) / 4);
	set_be16(b + IP + 2, (uint16_t)(n - 14 + optlen));
	nt_ipv4_fix_csum(b);
	return n + optlen;
}

Test(net_ipv4, options)
{
	uint8_t b[NT_FRAME_MAX];
	size_t n;

	n = frame_with_options(b, 4);
	expect_drop(b, n, "ip_options");
	n = frame_with_options(b, 40);
	expect_drop(b, n, "ip_options");
}

Test(net_ipv4, fragments)
{
	static const uint16_t frag[] = {0x2000 /* MF */, 0x0001, 0x1fff, 0x2001,
	                                0x4001 /* DF + offset */};
	uint8_t b[NT_FRAME_MAX];
	size_t n;
	unsigned i;

	for (i = 0; i < GH_ARRAY_SIZE(frag); i++) {
		n = udp_frame(b);
		set_be16(b + IP + 6, frag[i]);
		nt_ipv4_fix_csum(b);
		expect_drop(b, n, "ip_fragment");
	}
	/* DF alone, and DF clear, are whole datagrams */
	n = udp_frame(b);
	set_be16(b + IP + 6, 0x0000);
	nt_ipv4_fix_csum(b);
	nt_input(0, b, n);
	cr_assert_eq(nt_l4.n, 1);
}

Test(net_ipv4, martian_sources)
{
	static const uint32_t srcs[] = {
	    NT_IP(0, 0, 0, 0),
	    NT_IP(0, 1, 2, 3),
	    NT_IP(127, 0, 0, 1),
	    NT_IP(127, 255, 0, 9),
	    NT_IP(224, 0, 0, 1),
	    NT_IP(239, 255, 255, 250),
	    NT_IP(240, 0, 0, 1),
	    NT_IP(255, 255, 255, 255),
	    NT_IP(10, 0, 0, 255), /* port 0's subnet broadcast */
	    NT_ADDR0,
	    NT_ADDR1,
	};
	uint8_t b[NT_FRAME_MAX];
	unsigned i;

	for (i = 0; i < GH_ARRAY_SIZE(srcs); i++) {
		size_t n = nt_ipv4(b, &NT_MAC0, &NT_PEER_MAC, srcs[i], NT_ADDR0,
		                   IPPROTO_UDP, 64, PAYLOAD, sizeof(PAYLOAD));

		expect_drop(b, n, "ip_bad_src");
	}
	/* network address and off-subnet sources are fine */
	for (i = 0; i < 2; i++) {
		uint32_t ok = i ? NT_IP(10, 0, 0, 0) : NT_IP(8, 8, 8, 8);
		size_t n = nt_ipv4(b, &NT_MAC0, &NT_PEER_MAC, ok, NT_ADDR0,
		                   IPPROTO_UDP, 64, PAYLOAD, sizeof(PAYLOAD));

		nt_input(0, b, n);
	}
	cr_assert_eq(nt_l4.n, 2);
}

Test(net_ipv4, group_destinations)
{
	static const uint32_t dsts[] = {
	    NT_IP(255, 255, 255, 255),
	    NT_IP(10, 0, 0, 255),
	    NT_IP(224, 0, 0, 1),
	    NT_IP(239, 255, 255, 250),
	};
	uint8_t b[NT_FRAME_MAX];
	unsigned i;

	for (i = 0; i < GH_ARRAY_SIZE(dsts); i++) {
		size_t n = nt_ipv4(b, &NT_BCAST, &NT_PEER_MAC, NT_PEER, dsts[i],
		                   IPPROTO_UDP, 64, PAYLOAD, sizeof(PAYLOAD));

		expect_drop(b, n, "ip_broadcast");
	}
}

Test(net_ipv4, not_for_us)
{
	static const uint32_t dsts[] = {
	    NT_IP(10, 0, 0, 9),
	    NT_IP(8, 8, 8, 8),
	    NT_IP(0, 0, 0, 0),
	    NT_IP(10, 0, 0, 0),
	    NT_ADDR1, /* the other port's address: strong host model */
	    NT_IP(192, 168, 1, 255),
	    NT_IP(240, 0, 0, 1),
	};
	uint8_t b[NT_FRAME_MAX];
	unsigned i;

	for (i = 0; i < GH_ARRAY_SIZE(dsts); i++) {
		size_t n = nt_ipv4(b, &NT_MAC0, &NT_PEER_MAC, NT_PEER, dsts[i],
		                   IPPROTO_UDP, 64, PAYLOAD, sizeof(PAYLOAD));

		expect_drop(b, n, "ip_not_ours");
	}
}

Test(net_ipv4, unknown_protocols)
{
	static const uint8_t protos[] = {0, 2, 41, 47, 50, 58, 132, 255};
	uint8_t b[NT_FRAME_MAX];
	unsigned i;

	for (i = 0; i < GH_ARRAY_SIZE(protos); i++) {
		size_t n = nt_ipv4(b, &NT_MAC0, &NT_PEER_MAC, NT_PEER, NT_ADDR0,
		                   protos[i], 64, PAYLOAD, sizeof(PAYLOAD));

		expect_drop(b, n, "ip_unknown_proto");
	}
}

/* Frames bad in several ways hit the first check in the documented order. */
Test(net_ipv4, check_order)
{
	uint8_t b[NT_FRAME_MAX];
	size_t n;

	/* wrong version and IHL 3: the version is checked first */
	n = udp_frame(b);
	b[IP] = 0x63;
	expect_drop(b, n, "ip_bad_version");
	/* IHL 4 and a total length beyond the frame */
	n = udp_frame(b);
	b[IP] = 0x44;
	set_be16(b + IP + 2, 1000);
	expect_drop(b, n, "ip_bad_hlen");
	/* bad length and bad checksum */
	n = udp_frame(b);
	set_be16(b + IP + 2, 1000);
	expect_drop(b, n, "ip_bad_len");
	/* bad checksum, TTL 0, fragment, martian source */
	n = nt_ipv4(b, &NT_MAC0, &NT_PEER_MAC, 0, NT_ADDR0, IPPROTO_UDP, 0,
	            PAYLOAD, sizeof(PAYLOAD));
	set_be16(b + IP + 6, 0x2000);
	expect_drop(b, n, "ip_bad_csum");
	nt_ipv4_fix_csum(b);
	expect_drop(b, n, "ip_ttl_zero");
	/* options and fragment */
	n = frame_with_options(b, 4);
	set_be16(b + IP + 6, 0x2000);
	nt_ipv4_fix_csum(b);
	expect_drop(b, n, "ip_options");
	/* fragment and martian source */
	n = nt_ipv4(b, &NT_BCAST, &NT_PEER_MAC, NT_IP(127, 0, 0, 1),
	            NT_IP(255, 255, 255, 255), 47, 64, PAYLOAD,
	            sizeof(PAYLOAD));
	set_be16(b + IP + 6, 0x0001);
	nt_ipv4_fix_csum(b);
	expect_drop(b, n, "ip_fragment");
	set_be16(b + IP + 6, 0x4000);
	nt_ipv4_fix_csum(b);
	expect_drop(b, n, "ip_bad_src");
	/* broadcast beats unknown protocol */
	n = nt_ipv4(b, &NT_BCAST, &NT_PEER_MAC, NT_PEER,
	            NT_IP(255, 255, 255, 255), 47, 64, PAYLOAD,
	            sizeof(PAYLOAD));
	expect_drop(b, n, "ip_broadcast");
	/* not for us beats unknown protocol */
	n = nt_ipv4(b, &NT_MAC0, &NT_PEER_MAC, NT_PEER, NT_IP(10, 0, 0, 9), 47,
	            64, PAYLOAD, sizeof(PAYLOAD));
	expect_drop(b, n, "ip_not_ours");
}

Test(net_ipv4, point_to_point_prefixes_have_no_broadcast)
{
	static const struct rte_ether_addr mac2 = {{2, 0, 0, 0, 2, 1}};
	uint8_t b[NT_FRAME_MAX];
	size_t n;

	/* 172.16.0.1/31: the peer 172.16.0.0 is a host, not a broadcast */
	cr_assert_eq(
	    net_port_add(&nt_ctx, 2, &mac2, NT_IP(172, 16, 0, 1), 31, 0, 1500),
	    2);
	n = nt_ipv4(b, &mac2, &NT_PEER_MAC, NT_IP(172, 16, 0, 0),
	            NT_IP(172, 16, 0, 1), IPPROTO_UDP, 64, PAYLOAD,
	            sizeof(PAYLOAD));
	nt_input(2, b, n);
	nt_expect("rx_frames", 1, "ip_rx", 1, "l4_delivered", 1, NULL);
}
