/*
 * SYN cookies: when a listener has syn_backlog half-open connections, a
 * SYN is answered with a SYN-ACK whose ISN encodes what the handshake
 * needs, and no TCB is made; the ACK that completes the handshake is
 * checked and creates the connection (as Linux does).
 *
 * Cookie layout (32 bits): bits 31..27 the time (now_ms >> 16, about 65 s
 * per step, modulo 32), bits 26..3 a 24-bit SipHash of the 4-tuple, the
 * peer's ISN and the full time, keyed with the stack's secret, bits 2..0
 * the index of the MSS in tcp_cookie_mss[].  A cookie is valid in the
 * step it was made and the next (65 to 131 s).  With timestamps the
 * peer's window scale (4 bits, 15 = none; ours is the stack's, fixed) and
 * SACK-permitted (1 bit) ride in the low 6 bits of our TSval, which the
 * ACK echoes in TSecr; without timestamps the connection has neither
 * (RFC 4987 section 3.6), so the cookie SYN-ACK offers neither either.
 */
#include <string.h>

#include "common/gh_siphash.h"
#include "tcp/tcp_priv.h"

static const uint16_t tcp_cookie_mss[8] = {536,  1200, 1360, 1400,
                                           1440, 1452, 1460, 8960};

struct tcp_cookie_in {
	uint32_t local_ip_be;
	uint32_t remote_ip_be;
	uint16_t local_port_be;
	uint16_t remote_port_be;
	uint32_t irs;
	uint32_t t;
	uint32_t mss_idx;
	uint32_t domain;
};

static uint32_t
tcp_cookie_hash(const struct tcp_stack *s, const struct tcp_flow_key *k,
                uint32_t irs, uint32_t t, uint32_t mss_idx)
{
	struct tcp_cookie_in in;

	memset(&in, 0, sizeof(in));
	in.local_ip_be = k->local_ip_be;
	in.remote_ip_be = k->remote_ip_be;
	in.local_port_be = k->local_port_be;
	in.remote_port_be = k->remote_port_be;
	in.irs = irs;
	in.t = t;
	in.mss_idx = mss_idx;
	in.domain = 3;
	return (uint32_t)gh_siphash(s->secret, &in, sizeof(in)) & 0xffffffu;
}

uint32_t
tcp_cookie_make(const struct tcp_stack *s, const struct tcp_flow_key *k,
                uint32_t irs, uint16_t mss, uint16_t *mss_out)
{
	uint32_t t = s->now_ms >> 16;
	unsigned i = 0;

	while (i + 1 < GH_ARRAY_SIZE(tcp_cookie_mss) &&
	       tcp_cookie_mss[i + 1] <= mss)
		i++;
	*mss_out = tcp_cookie_mss[i];
	return ((t & 31u) << 27) | (tcp_cookie_hash(s, k, irs, t, i) << 3) | i;
}

uint16_t
tcp_cookie_check(const struct tcp_stack *s, const struct tcp_flow_key *k,
                 uint32_t irs, uint32_t iss)
{
	uint32_t now_t = s->now_ms >> 16;
	unsigned d;

	for (d = 0; d < 2; d++) {
		uint32_t t = now_t - d;

		if ((t & 31u) != iss >> 27)
			continue;
		if (((iss >> 3) & 0xffffffu) ==
		    tcp_cookie_hash(s, k, irs, t, iss & 7))
			return tcp_cookie_mss[iss & 7];
	}
	return 0;
}

uint32_t
tcp_cookie_tsval(uint32_t now, int ws, bool sack)
{
	uint32_t opt = (uint32_t)(ws < 0 ? 15 : ws) | (sack ? 0x10u : 0);
	uint32_t v = (now & ~0x3fu) | opt;

	if (SEQ_GT(v, now))
		v -= 64;
	return v;
}

void
tcp_cookie_ts_decode(uint32_t tsecr, int *ws, bool *sack)
{
	unsigned w = tsecr & 0xf;

	*ws = w == 15 ? -1 : (int)(w > TCP_WSCALE_MAX ? TCP_WSCALE_MAX : w);
	*sack = (tsecr & 0x10) != 0;
}
