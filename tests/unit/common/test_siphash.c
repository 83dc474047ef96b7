/*
 * gh_siphash (lib/common): SipHash-2-4 as its authors define it, against
 * the reference implementation's vectors (key 00..0f, message 00..len-1,
 * lengths 0-32: every tail length, up to four whole words), from every
 * alignment of the message.
 */
#include <stdint.h>
#include <string.h>

#include <criterion/criterion.h>

#include "common/gh_siphash.h"

/* vectors_sip64[0 .. 32] of the SipHash reference test.c */
static const uint64_t want[33] = {
    0x726fdb47dd0e0e31ull, 0x74f839c593dc67fdull, 0x0d6c8009d9a94f5aull,
    0x85676696d7fb7e2dull, 0xcf2794e0277187b7ull, 0x18765564cd99a68dull,
    0xcbc9466e58fee3ceull, 0xab0200f58b01d137ull, 0x93f5f5799a932462ull,
    0x9e0082df0ba9e4b0ull, 0x7a5dbbc594ddb9f3ull, 0xf4b32f46226bada7ull,
    0x751e8fbc860ee5fbull, 0x14ea5627c0843d90ull, 0xf723ca908e7af2eeull,
    0xa129ca6149be45e5ull, 0x3f2acc7f57c29bdbull, 0x699ae9f52cbe4794ull,
    0x4bc1b3f0968dd39cull, 0xbb6dc91da77961bdull, 0xbed65cf21aa2ee98ull,
    0xd0f2cbb02e3b67c7ull, 0x93536795e3a33e88ull, 0xa80c038ccd5ccec8ull,
    0xb8ad50c6f649af94ull, 0xbce192de8a85b8eaull, 0x17d835b85bbb15f3ull,
    0x2f2e6163076bcfadull, 0xde4daaaca71dc9a5ull, 0xa6a2506687956571ull,
    0xad87a3535c49ef28ull, 0x32d892fad841c342ull, 0x7127512f72f27cceull,
};

Test(siphash, reference_vectors_every_alignment)
{
	uint8_t key[16], buf[8 + 33];
	size_t len, off, i;

	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)i;
	for (off = 0; off < 8; off++) {
		memset(buf, 0xee, sizeof(buf));
		for (i = 0; i < 33; i++)
			buf[off + i] = (uint8_t)i;
		for (len = 0; len < 33; len++)
			cr_assert_eq(gh_siphash(key, buf + off, len), want[len],
			             "offset %zu, %zu bytes", off, len);
	}
}
