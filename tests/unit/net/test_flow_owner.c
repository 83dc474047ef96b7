/*
 * lib/net flow owner hash and port choice: the hash is the Toeplitz hash a
 * NIC computes (checked against an independent bitwise implementation that
 * itself reproduces Microsoft's published verification vectors), it is
 * symmetric, its RETA index is uniform over local ports; the RETA mapping;
 * for 1..16 workers, the chosen local port brings the return flow to the
 * opening worker, every qualifying port of the range is handed out once,
 * then -EADDRNOTAVAIL.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <rte_byteorder.h>

#include "common/gh_common.h"
#include "net/net_flow_owner.h"

TestSuite(net_flow_owner);

/* Fill <k> (network byte order, pad zeroed). */
static void
key_set(struct net_flow_key *k, uint8_t port_idx, uint32_t local_ip_be,
        uint16_t local_port_be, uint32_t remote_ip_be, uint16_t remote_port_be)
{
	memset(k, 0, sizeof(*k));
	k->port_idx = port_idx;
	k->local_ip_be = local_ip_be;
	k->local_port_be = local_port_be;
	k->remote_ip_be = remote_ip_be;
	k->remote_port_be = remote_port_be;
}

static uint64_t
rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/*
 * Toeplitz as the Microsoft RSS specification writes it: for each set bit
 * of the input, most significant first, XOR in the 32 key bits starting at
 * that bit's position.
 */
static uint32_t
ref_toeplitz(const uint8_t *key, size_t key_len, const uint8_t *in, size_t len)
{
	uint32_t r = 0;
	size_t i;

	cr_assert_geq(key_len * 8, len * 8 + 32);
	for (i = 0; i < len * 8; i++) {
		uint32_t win = 0;
		unsigned b;

		if (((in[i / 8] >> (7 - i % 8)) & 1) == 0)
			continue;
		for (b = 0; b < 32; b++)
			win = win << 1 |
			      ((key[(i + b) / 8] >> (7 - (i + b) % 8)) & 1u);
		r ^= win;
	}
	return r;
}

/* Host-order address and port to the wire-order 12-byte tuple. */
static void
tuple(uint8_t *b, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport)
{
	b[0] = (uint8_t)(src >> 24);
	b[1] = (uint8_t)(src >> 16);
	b[2] = (uint8_t)(src >> 8);
	b[3] = (uint8_t)src;
	b[4] = (uint8_t)(dst >> 24);
	b[5] = (uint8_t)(dst >> 16);
	b[6] = (uint8_t)(dst >> 8);
	b[7] = (uint8_t)dst;
	b[8] = (uint8_t)(sport >> 8);
	b[9] = (uint8_t)sport;
	b[10] = (uint8_t)(dport >> 8);
	b[11] = (uint8_t)dport;
}

#define IP(a, b, c, d) \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

/* The reference reproduces the Microsoft verification suite. */
Test(net_flow_owner, reference_matches_microsoft_vectors)
{
	static const uint8_t ms_key[40] = {
	    0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67,
	    0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
	    0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30,
	    0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa};
	uint8_t b[12];

	tuple(b, IP(66, 9, 149, 187), IP(161, 142, 100, 80), 2794, 1766);
	cr_assert_eq(ref_toeplitz(ms_key, 40, b, 8), 0x323e8fc2);
	cr_assert_eq(ref_toeplitz(ms_key, 40, b, 12), 0x51ccc178);
	tuple(b, IP(199, 92, 111, 2), IP(65, 69, 140, 83), 14230, 4739);
	cr_assert_eq(ref_toeplitz(ms_key, 40, b, 8), 0xd718262a);
	cr_assert_eq(ref_toeplitz(ms_key, 40, b, 12), 0xc626b0ea);
}

Test(net_flow_owner, key_is_the_drivers)
{
	unsigned i;

	for (i = 0; i < NET_FLOW_OWNER_KEY_LEN; i++)
		cr_assert_eq(net_flow_owner_key_symmetric[i],
		             i % 2 ? 0x5a : 0x6d);
}

/* net_flow_owner_hash is the NIC's hash; it is symmetric; its halves agree. */
Test(net_flow_owner, hash_is_toeplitz_and_symmetric)
{
	struct net_flow_owner rss;
	uint64_t seed = 1;
	unsigned i;

	cr_assert_eq(net_flow_owner_init(&rss, 4, NULL, 0), 0);
	for (i = 0; i < 1000000; i++) {
		uint64_t x = rnd(&seed), y = rnd(&seed);
		uint32_t a = (uint32_t)x, b = (uint32_t)(x >> 32);
		uint16_t pa = (uint16_t)y, pb = (uint16_t)(y >> 16);
		uint32_t h, r;

		h = net_flow_owner_hash(
		    &rss, rte_cpu_to_be_32(a), rte_cpu_to_be_32(b),
		    rte_cpu_to_be_16(pa), rte_cpu_to_be_16(pb));
		r = net_flow_owner_hash(
		    &rss, rte_cpu_to_be_32(b), rte_cpu_to_be_32(a),
		    rte_cpu_to_be_16(pb), rte_cpu_to_be_16(pa));
		cr_assert_eq(h, r, "not symmetric");
		cr_assert_eq(h >> 16, h & 0xffff);
		if (i % 64 == 0) {
			uint8_t t[12];

			tuple(t, a, b, pa, pb);
			cr_assert_eq(
			    h, ref_toeplitz(net_flow_owner_key_symmetric,
			                    NET_FLOW_OWNER_KEY_LEN, t, 12));
		}
	}
}

/*
 * Over all 65536 local ports of one flow, each of the 128 RETA indexes
 * comes up exactly 512 times (the hash is a bijection of the tuple's
 * 16-bit XOR fold), for many flows.
 */
Test(net_flow_owner, reta_index_uniform_over_ports)
{
	struct net_flow_owner rss;
	uint64_t seed = 2;
	unsigned f, p;

	cr_assert_eq(net_flow_owner_init(&rss, 1, NULL, 0), 0);
	for (f = 0; f < 20; f++) {
		uint32_t count[128] = {0};
		uint64_t x = rnd(&seed);
		unsigned i;

		for (p = 0; p < 65536; p++)
			count[net_flow_owner_hash(
			          &rss, (uint32_t)x, (uint32_t)(x >> 32),
			          (uint16_t)(x >> 7),
			          rte_cpu_to_be_16((uint16_t)p)) &
			      127]++;
		for (i = 0; i < 128; i++)
			cr_assert_eq(count[i], 512);
	}
}

Test(net_flow_owner, reta_mapping)
{
	struct net_flow_owner rss;
	uint16_t reta[512];
	unsigned n, i;

	for (n = 1; n <= 16; n++) {
		cr_assert_eq(net_flow_owner_init(&rss, n, NULL, 0), 0);
		cr_assert_eq(rss.reta_size, 128);
		for (i = 0; i < 128; i++)
			cr_assert_eq(rss.reta[i], i % n);
		for (i = 0; i < 1000; i++)
			cr_assert_eq(
			    net_flow_owner_of_hash(&rss, i * 2654435761u),
			    (i * 2654435761u & 127) % n);
	}
	/* a RETA of 512 entries from the caller, every index used */
	for (i = 0; i < 512; i++)
		reta[i] = (uint16_t)((i * 7) % 3);
	cr_assert_eq(net_flow_owner_init(&rss, 3, reta, 512), 0);
	for (i = 0; i < 4096; i++)
		cr_assert_eq(net_flow_owner_of_hash(&rss, i),
		             ((i & 511) * 7) % 3);
	/* default round robin over 512 */
	cr_assert_eq(net_flow_owner_init(&rss, 5, NULL, 512), 0);
	cr_assert_eq(net_flow_owner_of_hash(&rss, 511), 511 % 5);
	/* refusals */
	cr_assert_eq(net_flow_owner_init(&rss, 0, NULL, 0), -EINVAL);
	cr_assert_eq(net_flow_owner_init(&rss, 3, reta, 0), -EINVAL);
	cr_assert_eq(net_flow_owner_init(&rss, 3, NULL, 100), -EINVAL);
	cr_assert_eq(net_flow_owner_init(&rss, 3, NULL, 1024), -EINVAL);
	reta[9] = 3;
	cr_assert_eq(net_flow_owner_init(&rss, 3, reta, 512), -EINVAL);
	cr_assert_eq(net_flow_owner_init(NULL, 3, NULL, 0), -EINVAL);
}

/* in_use predicate over a bitmap of local ports. */
static bool
port_taken(void *arg, const struct net_flow_key *k)
{
	const uint8_t *used = arg;
	uint16_t p = rte_be_to_cpu_16(k->local_port_be);

	return (used[p / 8] >> (p % 8)) & 1;
}

static void
port_take(uint8_t *used, uint16_t p)
{
	used[p / 8] |= (uint8_t)(1u << (p % 8));
}

/*
 * For 1..16 workers and every worker: ports chosen for random flows bring
 * the return flow to that worker (checked with the full hash in both
 * directions); repeated choices for one peer hand out exactly the ports
 * that qualify, each once, then -EADDRNOTAVAIL.
 */
Test(net_flow_owner, port_choice_lands_on_every_worker, .timeout = 60)
{
	const uint16_t lo = 32768, hi = 60999;
	uint64_t seed = 3;
	unsigned n, c;

	for (n = 1; n <= 16; n++) {
		struct net_flow_owner rss;

		cr_assert_eq(net_flow_owner_init(&rss, n, NULL, 0), 0);
		for (c = 0; c < n; c++) {
			struct net_flow_ports pp;
			static uint8_t used[8192];
			struct net_flow_key k;
			uint64_t x = rnd(&seed);
			uint32_t lip = rte_cpu_to_be_32((uint32_t)x);
			uint32_t rip = rte_cpu_to_be_32((uint32_t)(x >> 32));
			uint16_t rport = rte_cpu_to_be_16(443);
			unsigned want = 0, got = 0, i, p;
			int rc;

			cr_assert_eq(net_flow_ports_init(&pp, &rss, c, lo, hi),
			             0);
			/* single choices for random peers */
			for (i = 0; i < 50; i++) {
				uint64_t y = rnd(&seed);

				key_set(&k, 0, lip, 0, (uint32_t)y,
				        (uint16_t)(y >> 32));
				cr_assert_eq(net_flow_port_choose(&rss, &pp, &k,
				                                  NULL, NULL),
				             0);
				p = rte_be_to_cpu_16(k.local_port_be);
				cr_assert(p >= lo && p <= hi);
				cr_assert_eq(net_flow_owner_of_flow(&rss, &k),
				             c);
				cr_assert_eq(
				    net_flow_owner_of_hash(
				        &rss,
				        net_flow_owner_hash(
				            &rss, k.local_ip_be, k.remote_ip_be,
				            k.local_port_be, k.remote_port_be)),
				    c);
			}
			/* exhaust one peer */
			for (p = lo; p <= hi; p++)
				if (net_flow_owner_of_hash(
				        &rss, net_flow_owner_hash(
				                  &rss, rip, lip, rport,
				                  rte_cpu_to_be_16(
				                      (uint16_t)p))) == c)
					want++;
			memset(used, 0, sizeof(used));
			for (;;) {
				key_set(&k, 1, lip, 0, rip, rport);
				rc = net_flow_port_choose(&rss, &pp, &k,
				                          port_taken, used);
				if (rc != 0)
					break;
				p = rte_be_to_cpu_16(k.local_port_be);
				cr_assert(!port_taken(used, &k),
				          "port %u twice", p);
				cr_assert_eq(net_flow_owner_of_flow(&rss, &k),
				             c);
				port_take(used, (uint16_t)p);
				got++;
				cr_assert_leq(got, want);
			}
			cr_assert_eq(rc, -EADDRNOTAVAIL);
			cr_assert_eq(k.local_port_be, 0, "key unchanged");
			cr_assert_eq(got, want, "n %u worker %u", n, c);
			cr_assert_geq(want, (hi - lo + 1u) / n * 3 / 4);
		}
	}
}

/* A range where no port maps to the worker; a range whose only port
 * that does is taken. */
Test(net_flow_owner, exhaustion_returns_eaddrnotavail)
{
	struct net_flow_owner rss;
	struct net_flow_ports pp;
	struct net_flow_key k;
	uint8_t used[8192];
	uint32_t lip = rte_cpu_to_be_32(IP(10, 0, 0, 1));
	uint32_t rip = rte_cpu_to_be_32(IP(93, 184, 216, 34));
	uint16_t p, other = 0, mine = 0;

	cr_assert_eq(net_flow_owner_init(&rss, 16, NULL, 0), 0);
	for (p = 1024; p < 2048 && (other == 0 || mine == 0); p++) {
		key_set(&k, 0, lip, rte_cpu_to_be_16(p), rip,
		        rte_cpu_to_be_16(80));
		if (net_flow_owner_of_flow(&rss, &k) == 5)
			mine = p;
		else
			other = p;
	}
	cr_assert(mine != 0 && other != 0);
	cr_assert_eq(net_flow_ports_init(&pp, &rss, 5, other, other), 0);
	key_set(&k, 0, lip, RTE_BE16(7), rip, rte_cpu_to_be_16(80));
	cr_assert_eq(net_flow_port_choose(&rss, &pp, &k, NULL, NULL),
	             -EADDRNOTAVAIL);
	cr_assert_eq(k.local_port_be, RTE_BE16(7), "key unchanged");

	cr_assert_eq(net_flow_ports_init(&pp, &rss, 5, mine, mine), 0);
	memset(used, 0, sizeof(used));
	cr_assert_eq(net_flow_port_choose(&rss, &pp, &k, port_taken, used), 0);
	cr_assert_eq(k.local_port_be, rte_cpu_to_be_16(mine));
	port_take(used, mine);
	cr_assert_eq(net_flow_port_choose(&rss, &pp, &k, port_taken, used),
	             -EADDRNOTAVAIL);

	cr_assert_eq(net_flow_ports_init(&pp, &rss, 16, 1, 2), -EINVAL);
	cr_assert_eq(net_flow_ports_init(&pp, &rss, 0, 0, 2), -EINVAL);
	cr_assert_eq(net_flow_ports_init(&pp, &rss, 0, 3, 2), -EINVAL);
}

/*
 * Towards one destination the candidates run on from where the last choice
 * stopped (RFC 6056's per-destination counter), wrapping inside the range:
 * with one worker, every port in turn.
 */
Test(net_flow_owner, per_destination_ports_advance_and_wrap)
{
	struct net_flow_owner rss;
	struct net_flow_ports pp;
	struct net_flow_key k;
	uint16_t first = 0, p;
	unsigned i;

	cr_assert_eq(net_flow_owner_init(&rss, 1, NULL, 0), 0);
	cr_assert_eq(net_flow_ports_init(&pp, &rss, 0, 50000, 50009), 0);
	for (i = 0; i < 25; i++) {
		key_set(&k, 0, 1, 0, 2, 3);
		cr_assert_eq(net_flow_port_choose(&rss, &pp, &k, NULL, NULL),
		             0);
		p = rte_be_to_cpu_16(k.local_port_be);
		if (i == 0)
			first = p;
		cr_assert_eq(p, 50000 + (first - 50000 + i) % 10,
		             "one worker: every port in turn");
	}
}

/*
 * Issue 10, findings 5 and 11: the source port came from one visible
 * cursor, so consecutive connections to any destinations used consecutive
 * ports (guessable 4-tuples, and ports reused in sequence while an origin
 * still held TIME_WAIT for them).  RFC 6056 algorithm 3: each destination
 * starts at its own keyed-hash offset (the key from getrandom(2), so two
 * instances differ) and moves on by its own counter; the owner hash still
 * decides which candidates qualify.
 */
Test(net_flow_owner, rfc6056_ports_not_sequential_across_destinations)
{
	struct net_flow_owner rss;
	struct net_flow_ports pp, pp2;
	struct net_flow_key k;
	uint16_t port[16], again;
	unsigned i, steps = 0, n = 4, c = 1;

	cr_assert_eq(net_flow_owner_init(&rss, n, NULL, 0), 0);
	cr_assert_eq(net_flow_ports_init(&pp, &rss, c, 32768, 60999), 0);
	cr_assert_eq(net_flow_ports_init(&pp2, &rss, c, 32768, 60999), 0);
	/* one connection each to 16 destinations */
	for (i = 0; i < 16; i++) {
		key_set(&k, 0, RTE_BE32(0xc6120001), 0,
		        rte_cpu_to_be_32(0xc6130000 + i), RTE_BE16(80));
		cr_assert_eq(net_flow_port_choose(&rss, &pp, &k, NULL, NULL),
		             0);
		cr_assert_eq(net_flow_owner_of_flow(&rss, &k), c);
		port[i] = rte_be_to_cpu_16(k.local_port_be);
		/* the distance to the next port this worker owns is under
		 * 64 for a sequential cursor */
		if (i > 0 && (uint16_t)(port[i] - port[i - 1]) < 64)
			steps++;
	}
	cr_assert_lt(steps, 4, "%u of 15 ports follow the one before", steps);
	/* the same destination again: on from its own last port, not from
	 * a shared cursor */
	key_set(&k, 0, RTE_BE32(0xc6120001), 0, rte_cpu_to_be_32(0xc6130000),
	        RTE_BE16(80));
	cr_assert_eq(net_flow_port_choose(&rss, &pp, &k, NULL, NULL), 0);
	again = rte_be_to_cpu_16(k.local_port_be);
	cr_assert_neq(again, port[0]);
	cr_assert_lt((uint16_t)(again - port[0]), 64,
	             "%u after %u: not the next owned port", again, port[0]);
	/* another instance has another key */
	cr_assert_neq(memcmp(pp.key, pp2.key, sizeof(pp.key)), 0);
}
