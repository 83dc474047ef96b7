/*
 * Initial sequence numbers (RFC 6528) and per-connection timestamp offsets
 * from SipHash-2-4 keyed with the stack's secret (the same 16 bytes on
 * every worker, so the ISN of a 4-tuple does not depend on which worker
 * computes it).  ISN = M + F(4-tuple, secret) with M a 4 microsecond
 * clock taken from the stack's TSC (no clock read: the TSC of the last
 * tcp_stack_timer() call), so a 4-tuple's ISNs rise with time, across
 * stacks too.  Timestamps likewise: a TSC millisecond clock plus a hash of
 * the 4-tuple.
 */
#include <string.h>

#include "tcp/tcp_priv.h"

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                   \
	do {                       \
		v0 += v1;          \
		v1 = ROTL(v1, 13); \
		v1 ^= v0;          \
		v0 = ROTL(v0, 32); \
		v2 += v3;          \
		v3 = ROTL(v3, 16); \
		v3 ^= v2;          \
		v0 += v3;          \
		v3 = ROTL(v3, 21); \
		v3 ^= v0;          \
		v2 += v1;          \
		v1 = ROTL(v1, 17); \
		v1 ^= v2;          \
		v2 = ROTL(v2, 32); \
	} while (0)

static uint64_t
tcp_le64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* SipHash-2-4 (Aumasson and Bernstein) of <len> bytes at <data>. */
uint64_t
tcp_siphash(const uint8_t key[16], const void *data, size_t len)
{
	const uint8_t *in = data;
	uint64_t k0 = tcp_le64(key), k1 = tcp_le64(key + 8);
	uint64_t v0 = 0x736f6d6570736575ull ^ k0;
	uint64_t v1 = 0x646f72616e646f6dull ^ k1;
	uint64_t v2 = 0x6c7967656e657261ull ^ k0;
	uint64_t v3 = 0x7465646279746573ull ^ k1;
	uint64_t b = (uint64_t)len << 56, m;
	size_t i, left = len & 7;

	for (i = 0; i + 8 <= len; i += 8) {
		m = tcp_le64(in + i);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (size_t j = 0; j < left; j++)
		b |= (uint64_t)in[i + j] << (8 * j);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

/* Hash input: the 12 bytes of the 4-tuple and a domain word. */
struct tcp_isn_in {
	uint32_t local_ip_be;
	uint32_t remote_ip_be;
	uint16_t local_port_be;
	uint16_t remote_port_be;
	uint32_t domain;
};

static uint64_t
tcp_tuple_hash(const struct tcp_stack *s, const struct tcp_flow_key *k,
               uint32_t domain)
{
	struct tcp_isn_in in;

	memset(&in, 0, sizeof(in));
	in.local_ip_be = k->local_ip_be;
	in.remote_ip_be = k->remote_ip_be;
	in.local_port_be = k->local_port_be;
	in.remote_port_be = k->remote_port_be;
	in.domain = domain;
	return tcp_siphash(s->secret, &in, sizeof(in));
}

uint32_t
tcp_isn(const struct tcp_stack *s, const struct tcp_flow_key *k)
{
	/* M: a 4 us clock (RFC 6528 section 3, RFC 9293 3.4.1) */
	uint64_t m =
	    s->now_tsc / (s->p.tsc_hz / 250000 ? s->p.tsc_hz / 250000 : 1);

	return (uint32_t)m + (uint32_t)tcp_tuple_hash(s, k, 1);
}

/*
 * TSval = now_ms + this, so a TSC millisecond clock plus F(4-tuple):
 * now_ms counts from the stack's creation (tick0_tsc), and counting the
 * offset from the TSC keeps a 4-tuple's TSvals rising across stacks, a
 * worker restarted included, as an origin's PAWS and TIME_WAIT expect
 * (RFC 7323 section 5.4 and appendix B, RFC 6191).
 */
uint32_t
tcp_ts_offset(const struct tcp_stack *s, const struct tcp_flow_key *k)
{
	return (uint32_t)(s->tick0_tsc / s->tsc_per_ms) +
	       (uint32_t)tcp_tuple_hash(s, k, 2);
}
