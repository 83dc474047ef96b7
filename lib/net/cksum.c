/*
 * The Internet checksum (RFC 1071), the lowest layer of lib/net: used by
 * IPv4 and ICMP here and by the layers above through net.h.
 */
#include <string.h>

#include <rte_ip.h>

#include "common/gh_common.h"
#include "net/net.h"

/*
 * 32-bit words added into a 64-bit sum, eight at a time, then folded:
 * the same ones' complement sum as 16-bit words (RFC 1071 2.(B), any word
 * size), without carries to handle for any length below 16 GiB.  DPDK
 * 22.11's rte_raw_cksum() adds one 16-bit word per iteration, written for
 * the compiler to vectorize, which -O2 does not: it was three quarters of
 * tcp_build() when every TCP segment's payload is summed in software
 * (1 MiB cache hits over net_af_packet, which offers no checksum offload).
 */
uint16_t
net_cksum_raw(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint64_t sum = 0;
	uint32_t w[8];
	uint16_t h = 0;

	GH_VERIFY(buf != NULL || len == 0);
	for (; len >= sizeof(w); len -= sizeof(w), p += sizeof(w)) {
		memcpy(w, p, sizeof(w));
		sum += (uint64_t)w[0] + w[1] + w[2] + w[3] + w[4] + w[5] +
		       w[6] + w[7];
	}
	for (; len >= 4; len -= 4, p += 4) {
		memcpy(w, p, 4);
		sum += w[0];
	}
	if (len >= 2) {
		memcpy(&h, p, 2);
		sum += h;
		len -= 2;
		p += 2;
	}
	if (len > 0) { /* the last byte, padded with a zero (RFC 1071) */
		h = 0;
		memcpy(&h, p, 1);
		sum += h;
	}
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffffu) + (sum >> 16);
	sum = (sum & 0xffffu) + (sum >> 16);
	return (uint16_t)sum;
}

uint16_t
net_cksum(const void *buf, size_t len)
{
	return (uint16_t)~net_cksum_raw(buf, len);
}
