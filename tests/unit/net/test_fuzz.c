/*
 * lib/net robustness: 10,000 random and mutated frames (from valid ARP,
 * ICMP, UDP and TCP templates) in bursts, with the clock moving and
 * outputs interleaved.  Nothing may crash or leak, every frame must end in
 * exactly one terminal counter, the per-layer arrival counters must add
 * up, and every echo reply emitted must carry valid checksums.
 */
#include <string.h>

#include <criterion/criterion.h>

#include "net_test_util.h"

TestSuite(net_fuzz, .init = nt_setup_l4, .fini = nt_teardown);

#define FRAMES 10000
#define BURST  32

/* Where each frame given to net_input ends (see lib/net/layers_priv.h). */
static const char *const eth_terminal[] = {"eth_short", "eth_not_ours",
                                           "eth_unknown_type", "eth_multiseg",
                                           "eth_bad_src"};
static const char *const arp_terminal[] = {
    "arp_bad",      "arp_not_ours", "arp_req_answered",
    "arp_reply_rx", "arp_garp_rx",  "arp_addr_conflict"};
static const char *const ip_terminal[] = {
    "ip_short",     "ip_bad_version", "ip_bad_hlen", "ip_bad_len",
    "ip_bad_csum",  "ip_ttl_zero",    "ip_options",  "ip_fragment",
    "ip_bad_src",   "ip_broadcast",   "ip_not_ours", "ip_unknown_proto",
    "l4_unhandled", "l4_delivered"};
static const char *const icmp_terminal[] = {"icmp_short", "icmp_bad_csum",
                                            "icmp_echo_replied", "icmp_other"};

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 32);
}

static uint64_t
sum(const char *const *names, unsigned n)
{
	uint64_t s = 0;
	unsigned i;

	for (i = 0; i < n; i++)
		s += nt_cnt(names[i]);
	return s;
}

/* A valid frame of a random kind, addressed to port <port>. */
static size_t template(uint8_t *b, unsigned port)
{
	const struct rte_ether_addr *us = port ? &NT_MAC1 : &NT_MAC0;
	uint32_t addr = port ? NT_ADDR1 : NT_ADDR0;
	uint32_t peer = port ? NT_IP(192, 168, 1, 1 + rnd() % 250)
	                     : NT_IP(10, 0, 0, 1 + rnd() % 250);
	struct rte_ether_addr pm = NT_PEER_MAC;
	uint8_t payload[256];
	size_t i, n;

	pm.addr_bytes[5] = (uint8_t)rnd();
	for (i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)rnd();
	switch (rnd() % 10) {
	case 0:
		return nt_arp(b, &NT_BCAST, &pm, RTE_ARP_OP_REQUEST, &pm, peer,
		              &NT_ZERO_MAC, addr);
	case 1:
		return nt_arp(b, us, &pm, RTE_ARP_OP_REPLY, &pm, peer, us,
		              addr);
	case 2:
		return nt_arp(b, &NT_BCAST, &pm, RTE_ARP_OP_REQUEST, &pm, peer,
		              &NT_ZERO_MAC, peer);
	case 3:
	case 4:
		return nt_icmp_echo(b, us, &pm, peer, addr, 8, 0, rnd() % 300);
	case 5:
		return nt_ipv4(b, us, &pm, peer, addr, IPPROTO_UDP, 64, payload,
		               rnd() % sizeof(payload));
	case 6:
		return nt_ipv4(b, us, &pm, peer, addr, IPPROTO_TCP, 64, payload,
		               rnd() % sizeof(payload));
	case 7: /* noise behind a valid Ethernet header */
		n = rnd() % 200;
		for (i = 0; i < n; i++)
			b[i] = (uint8_t)rnd();
		if (n >= 14) {
			memcpy(b, us, 6);
			b[12] = 0x08;
			b[13] = (rnd() & 1) ? 0x00 : 0x06;
		}
		return n;
	default: /* pure noise */
		n = rnd() % 100;
		for (i = 0; i < n; i++)
			b[i] = (uint8_t)rnd();
		return n;
	}
}

/* Damage <b>/<n>: byte changes (mostly in the headers), cuts, growth. */
static size_t
mutate(uint8_t *b, size_t n)
{
	unsigned k = rnd() % 4, i;

	for (i = 0; i < k && n > 0; i++) {
		size_t span = n < 64 ? n : 64;

		b[rnd() % span] = (uint8_t)rnd();
	}
	if (rnd() % 4 == 0 && n > 0)
		n = rnd() % n;
	if (rnd() % 8 == 0) {
		size_t add = rnd() % 64;

		for (i = 0; i < add; i++)
			b[n + i] = (uint8_t)rnd();
		n += add;
	}
	/* keep IPv4 checksums right half the time so deeper checks run */
	if (n >= 14 + 20 && b[12] == 0x08 && b[13] == 0x00 && (rnd() & 1) &&
	    n >= 14 + (size_t)(b[14] & 0xf) * 4)
		nt_ipv4_fix_csum(b);
	return n;
}

static struct rte_mbuf *
frame_mbuf(const uint8_t *b, size_t n)
{
	struct rte_mbuf *m, *m2;

	if (n < 2 || rnd() % 64 != 0)
		return nt_mbuf(b, n);
	m = nt_mbuf(b, n / 2);
	m2 = nt_mbuf(b + n / 2, n - n / 2);
	cr_assert_eq(rte_pktmbuf_chain(m, m2), 0);
	return m;
}

/* Every echo reply on the txbufs must verify. */
static unsigned
check_tx(void)
{
	unsigned p, i, replies = 0;

	for (p = 0; p < nt_ctx.n_ports; p++) {
		for (i = 0; i < nt_tx_n(p); i++) {
			struct rte_mbuf *m = nt_tx(p, i);
			const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
			uint32_t len = rte_pktmbuf_pkt_len(m);

			cr_assert_eq(m->nb_segs, 1);
			cr_assert_geq(len, 34);
			if (f[12] != 0x08 || f[13] != 0x00 || f[14 + 9] != 1)
				continue;
			cr_assert(nt_cksum_ok(f + 14, 20));
			cr_assert_eq(f[14 + 20], 0, "echo reply type");
			cr_assert(nt_cksum_ok(f + 34, len - 34));
			replies++;
		}
	}
	return replies;
}

Test(net_fuzz, random_frames_all_accounted)
{
	static uint8_t b[NT_FRAME_MAX + 64];
	struct rte_mbuf *pkts[BURST];
	uint64_t now = NT_T0, terminal;
	unsigned done = 0, replies = 0;

	while (done < FRAMES) {
		unsigned port = rnd() % 4 == 0 ? 1 : 0, n = 0;

		while (n < BURST && done + n < FRAMES) {
			size_t len = template(b, port);

			if (rnd() % 4 != 0)
				len = mutate(b, len);
			pkts[n++] = frame_mbuf(b, len);
		}
		net_input(&nt_ctx, port, pkts, n);
		done += n;

		/* traffic of our own and time passing */
		if (rnd() % 4 == 0) {
			uint8_t ip[64];
			uint32_t dst =
			    rnd() % 2 ? NT_IP(10, 0, 0, rnd() % 256) : rnd();
			size_t len =
			    nt_ipv4(ip, &NT_ZERO_MAC, &NT_ZERO_MAC, NT_ADDR0,
			            dst, IPPROTO_UDP, 64, NULL, 0);

			net_ipv4_output(&nt_ctx, rnd() % 2,
			                nt_mbuf(ip + 14, len - 14), dst);
		}
		if (rnd() % 16 == 0)
			net_garp_send(&nt_ctx, rnd() % 2);
		now += (uint64_t)(rnd() % 100) * NT_MS;
		if (rnd() % 64 == 0)
			now += (uint64_t)NT_TTL_S * NT_HZ;
		nt_clock(now);
		replies += check_tx();
		nt_tx_free_all();
	}

	terminal = sum(eth_terminal, GH_ARRAY_SIZE(eth_terminal)) +
	           sum(arp_terminal, GH_ARRAY_SIZE(arp_terminal)) +
	           sum(ip_terminal, GH_ARRAY_SIZE(ip_terminal)) +
	           sum(icmp_terminal, GH_ARRAY_SIZE(icmp_terminal));
	cr_assert_eq(nt_cnt("rx_frames"), FRAMES);
	cr_assert_eq(terminal, FRAMES, "frames not accounted exactly once");
	cr_assert_eq(nt_cnt("arp_rx"),
	             sum(arp_terminal, GH_ARRAY_SIZE(arp_terminal)));
	cr_assert_eq(nt_cnt("ip_rx"),
	             sum(ip_terminal, GH_ARRAY_SIZE(ip_terminal)) +
	                 nt_cnt("icmp_rx"));
	cr_assert_eq(nt_cnt("icmp_rx"),
	             sum(icmp_terminal, GH_ARRAY_SIZE(icmp_terminal)));
	cr_assert_eq(nt_cnt("l4_delivered"), nt_l4.n);
	/* replies counted by the layer match the frames we found
	 * (no txbuf overflow: at most 32 replies per flush) */
	cr_assert_eq(nt_cnt("tx_buf_full"), 0);
	cr_assert_eq(nt_cnt("icmp_echo_replied"), replies);
	/* pending packets are accounted too */
	cr_assert_eq(nt_cnt("arp_pending_queued"),
	             nt_cnt("arp_pending_sent") +
	                 nt_cnt("arp_pending_timeout") + nt_ctx.n_pending);
	/* the fuzzer reached the interesting places */
	cr_assert_gt(nt_cnt("icmp_echo_replied"), 0);
	cr_assert_gt(nt_cnt("arp_req_answered"), 0);
	cr_assert_gt(nt_cnt("l4_delivered"), 0);
	cr_assert_gt(nt_cnt("ip_bad_csum"), 0);
	cr_assert_gt(nt_cnt("arp_bad"), 0);
	cr_assert_gt(nt_cnt("eth_multiseg"), 0);
}
