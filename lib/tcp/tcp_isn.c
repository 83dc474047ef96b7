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

#include "common/gh_siphash.h"
#include "tcp/tcp_priv.h"

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
	return gh_siphash(s->secret, &in, sizeof(in));
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
