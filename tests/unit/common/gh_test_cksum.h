/*
 * A reference Internet checksum (RFC 1071) for unit tests that check the
 * frames a library wrote: byte by byte, kept apart from lib/net's
 * net_cksum() on purpose, so the code under test is not its own judge.
 */
#ifndef GH_TEST_CKSUM_H
#define GH_TEST_CKSUM_H

#include <stddef.h>
#include <stdint.h>

/* The folded one's-complement sum of b[0 .. len) added to <s> (not
 * inverted): 0xffff over a block that carries a correct checksum. */
static inline uint16_t
gh_test_cksum(const uint8_t *b, size_t len, uint32_t s)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		s += (uint32_t)b[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

#endif /* GH_TEST_CKSUM_H */
