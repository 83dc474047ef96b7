/*
 * The Internet checksum (RFC 1071), the lowest layer of lib/net: used by
 * IPv4 and ICMP here and by the layers above through net.h.
 */
#include <string.h>

#include <rte_ip.h>

#include "common/gh_common.h"
#include "net/net.h"

/* A 64-bit word of p, any alignment. */
static inline uint64_t
load64(const uint8_t *p)
{
	uint64_t w;

	memcpy(&w, p, sizeof(w));
	return w;
}

/*
 * The last <len> (0..7) bytes at <p> as a zero-padded 64-bit word in
 * memory order.  Built from 4-, 2- and 1-byte loads: copying them into a
 * stack word (memcpy with a variable length: a byte loop) and loading it
 * whole missed store-to-load forwarding, and that stall was three fifths
 * of this function's samples on a cached 1 KiB hit.
 */
static inline uint64_t
tail_word(const uint8_t *p, size_t len)
{
#if RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN
	uint64_t w = 0;
	unsigned shift = 0;

	if (len & 4) {
		uint32_t v;

		memcpy(&v, p, sizeof(v));
		w = v;
		p += 4;
		shift = 32;
	}
	if (len & 2) {
		uint16_t v;

		memcpy(&v, p, sizeof(v));
		w |= (uint64_t)v << shift;
		p += 2;
		shift += 16;
	}
	if (len & 1)
		w |= (uint64_t)*p << shift;
	return w;
#else
	uint64_t w = 0;

	memcpy(&w, p, len);
	return w;
#endif
}

/*
 * 64-bit words added with their carries (an add, then an add-with-carry
 * of 0: two instructions a word), four at a time, then folded: the same
 * ones' complement sum as 16-bit words (RFC 1071 2.(B), any word size,
 * the carries added back in).  DPDK 22.11's rte_raw_cksum() adds one
 * 16-bit word per iteration, written for the compiler to vectorize, which
 * -O2 does not: it was three quarters of tcp_build() when every TCP
 * segment's payload is summed in software (cache hits over
 * net_af_packet, which offers no checksum offload).
 */
uint16_t
net_cksum_raw(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint64_t sum = 0, carries = 0, w;

	GH_VERIFY(buf != NULL || len == 0);
	for (; len >= 32; p += 32, len -= 32) {
		w = load64(p);
		sum += w;
		carries += sum < w;
		w = load64(p + 8);
		sum += w;
		carries += sum < w;
		w = load64(p + 16);
		sum += w;
		carries += sum < w;
		w = load64(p + 24);
		sum += w;
		carries += sum < w;
	}
	for (; len >= 8; p += 8, len -= 8) {
		w = load64(p);
		sum += w;
		carries += sum < w;
	}
	/* the last 0-7 bytes at their places in a zero-padded word (RFC
	 * 1071: an odd last byte is padded with a zero) */
	w = tail_word(p, len);
	sum += w;
	carries += sum < w;
	sum += carries; /* fewer than 2^61 words: no carry out of this */
	sum += sum < carries;
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffffu) + (sum >> 16);
	sum = (sum & 0xffffu) + (sum >> 16);
	sum = (sum & 0xffffu) + (sum >> 16);
	return (uint16_t)sum;
}

uint16_t
net_cksum(const void *buf, size_t len)
{
	return (uint16_t)~net_cksum_raw(buf, len);
}
