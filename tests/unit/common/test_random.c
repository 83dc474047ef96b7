/*
 * lib/common/gh_random: the ChaCha20 block function against RFC 8439's
 * test vectors, and the generator's contracts: keyed from getrandom (two
 * generators differ, a failing getrandom is an error), uniform() stays in
 * range, fini() forgets the key.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "common/gh_common.h"
#include "common/gh_random.h"

TestSuite(gh_random);

/* getrandom(2) as gh_random sees it (this definition in the executable
 * hides libc's): fails on demand, else asks the kernel. */
static int getrandom_errno;
static unsigned getrandom_short; /* return at most this many bytes */

ssize_t getrandom(void *buf, size_t len, unsigned flags);

ssize_t
getrandom(void *buf, size_t len, unsigned flags)
{
	if (getrandom_errno != 0) {
		errno = getrandom_errno;
		return -1;
	}
	if (getrandom_short != 0 && len > getrandom_short)
		len = getrandom_short;
	return syscall(SYS_getrandom, buf, len, flags);
}

static void
block_bytes(const uint8_t key_bytes[32], uint32_t counter,
            const uint8_t nonce_bytes[12], uint8_t out[64])
{
	uint32_t key[8], nonce[3], w[16];
	unsigned i;

	for (i = 0; i < 8; i++)
		key[i] = (uint32_t)key_bytes[4 * i] |
		         (uint32_t)key_bytes[4 * i + 1] << 8 |
		         (uint32_t)key_bytes[4 * i + 2] << 16 |
		         (uint32_t)key_bytes[4 * i + 3] << 24;
	for (i = 0; i < 3; i++)
		nonce[i] = (uint32_t)nonce_bytes[4 * i] |
		           (uint32_t)nonce_bytes[4 * i + 1] << 8 |
		           (uint32_t)nonce_bytes[4 * i + 2] << 16 |
		           (uint32_t)nonce_bytes[4 * i + 3] << 24;
	gh_random_chacha20_block(key, counter, nonce, w);
	for (i = 0; i < 16; i++) {
		out[4 * i] = (uint8_t)w[i];
		out[4 * i + 1] = (uint8_t)(w[i] >> 8);
		out[4 * i + 2] = (uint8_t)(w[i] >> 16);
		out[4 * i + 3] = (uint8_t)(w[i] >> 24);
	}
}

/* RFC 8439 2.3.2: key 00..1f, nonce 000000090000004a00000000, counter 1. */
Test(gh_random, chacha20_rfc8439_2_3_2)
{
	static const uint8_t nonce[12] = {0, 0,    0, 9, 0, 0,
	                                  0, 0x4a, 0, 0, 0, 0};
	static const uint8_t want[64] = {
	    0x10, 0xf1, 0xe7, 0xe4, 0xd1, 0x3b, 0x59, 0x15, 0x50, 0x0f, 0xdd,
	    0x1f, 0xa3, 0x20, 0x71, 0xc4, 0xc7, 0xd1, 0xf4, 0xc7, 0x33, 0xc0,
	    0x68, 0x03, 0x04, 0x22, 0xaa, 0x9a, 0xc3, 0xd4, 0x6c, 0x4e, 0xd2,
	    0x82, 0x64, 0x46, 0x07, 0x9f, 0xaa, 0x09, 0x14, 0xc2, 0xd7, 0x05,
	    0xd9, 0x8b, 0x02, 0xa2, 0xb5, 0x12, 0x9c, 0xd1, 0xde, 0x16, 0x4e,
	    0xb9, 0xcb, 0xd0, 0x83, 0xe8, 0xa2, 0x50, 0x3c, 0x4e};
	uint8_t key[32], out[64];
	unsigned i;

	for (i = 0; i < 32; i++)
		key[i] = (uint8_t)i;
	block_bytes(key, 1, nonce, out);
	cr_assert_arr_eq(out, want, 64);
}

/* RFC 8439 A.1, test vectors #1 and #2: zero key and nonce, blocks 0, 1. */
Test(gh_random, chacha20_rfc8439_a_1)
{
	static const uint8_t zero[32];
	static const uint8_t want0[64] = {
	    0x76, 0xb8, 0xe0, 0xad, 0xa0, 0xf1, 0x3d, 0x90, 0x40, 0x5d, 0x6a,
	    0xe5, 0x53, 0x86, 0xbd, 0x28, 0xbd, 0xd2, 0x19, 0xb8, 0xa0, 0x8d,
	    0xed, 0x1a, 0xa8, 0x36, 0xef, 0xcc, 0x8b, 0x77, 0x0d, 0xc7, 0xda,
	    0x41, 0x59, 0x7c, 0x51, 0x57, 0x48, 0x8d, 0x77, 0x24, 0xe0, 0x3f,
	    0xb8, 0xd8, 0x4a, 0x37, 0x6a, 0x43, 0xb8, 0xf4, 0x15, 0x18, 0xa1,
	    0x1c, 0xc3, 0x87, 0xb6, 0x69, 0xb2, 0xee, 0x65, 0x86};
	static const uint8_t want1[64] = {
	    0x9f, 0x07, 0xe7, 0xbe, 0x55, 0x51, 0x38, 0x7a, 0x98, 0xba, 0x97,
	    0x7c, 0x73, 0x2d, 0x08, 0x0d, 0xcb, 0x0f, 0x29, 0xa0, 0x48, 0xe3,
	    0x65, 0x69, 0x12, 0xc6, 0x53, 0x3e, 0x32, 0xee, 0x7a, 0xed, 0x29,
	    0xb7, 0x21, 0x76, 0x9c, 0xe6, 0x4e, 0x43, 0xd5, 0x71, 0x33, 0xb0,
	    0x74, 0xd8, 0x39, 0xd5, 0x31, 0xed, 0x1f, 0x28, 0x51, 0x0a, 0xfb,
	    0x45, 0xac, 0xe1, 0x0a, 0x1f, 0x4b, 0x79, 0x4d, 0x6f};
	uint8_t out[64];

	block_bytes(zero, 0, zero, out);
	cr_assert_arr_eq(out, want0, 64);
	block_bytes(zero, 1, zero, out);
	cr_assert_arr_eq(out, want1, 64);
}

/* The generator is ChaCha20 with fast key erasure: from a known key, the
 * outputs are the block's words 8-15 (pairs from the top down), then the
 * same from the block of the key its words 0-7 made. */
Test(gh_random, fast_key_erasure)
{
	static const uint32_t nonce[3];
	uint32_t key[8] = {0}, b[16];
	struct gh_random g;
	unsigned blk, k;

	cr_assert_eq(gh_random_init(&g), 0);
	memset(g.key, 0, sizeof(g.key));
	g.n_out = 0;
	for (blk = 0; blk < 2; blk++) {
		gh_random_chacha20_block(key, 0, nonce, b);
		for (k = 4; k-- > 0;)
			cr_assert_eq(gh_random_u64(&g),
			             (uint64_t)b[9 + 2 * k] << 32 |
			                 b[8 + 2 * k],
			             "block %u, word pair %u", blk, k);
		memcpy(key, b, sizeof(key));
		cr_assert_eq(memcmp(g.key, key, sizeof(key)), 0,
		             "the next key is words 0-7");
	}
	gh_random_fini(&g);
}

Test(gh_random, two_generators_differ)
{
	struct gh_random a, b;
	unsigned i, same = 0;

	cr_assert_eq(gh_random_init(&a), 0);
	cr_assert_eq(gh_random_init(&b), 0);
	for (i = 0; i < 16; i++)
		same += gh_random_u64(&a) == gh_random_u64(&b);
	cr_assert_eq(same, 0);
	gh_random_fini(&a);
	gh_random_fini(&b);
}

Test(gh_random, short_reads_completed)
{
	struct gh_random g;
	static const uint32_t zero[8];

	getrandom_short = 5;
	cr_assert_eq(gh_random_init(&g), 0);
	getrandom_short = 0;
	cr_assert_neq(memcmp(g.key, zero, sizeof(zero)), 0);
}

Test(gh_random, getrandom_failure_is_an_error)
{
	struct gh_random g;

	getrandom_errno = ENOSYS;
	cr_assert_eq(gh_random_init(&g), -ENOSYS);
	getrandom_errno = 0;
	cr_assert_neq(g.magic, GH_RANDOM_MAGIC);
}

Test(gh_random, unkeyed_use_aborts, .signal = SIGABRT)
{
	struct gh_random g;

	memset(&g, 0, sizeof(g));
	(void)gh_random_u64(&g);
}

Test(gh_random, fini_forgets)
{
	struct gh_random g;
	static const struct gh_random zero;

	cr_assert_eq(gh_random_init(&g), 0);
	(void)gh_random_u64(&g);
	gh_random_fini(&g);
	cr_assert_eq(memcmp(&g, &zero, sizeof(g)), 0);
	gh_random_fini(NULL);
}

Test(gh_random, uniform_in_range_and_spread)
{
	static const uint32_t bounds[] = {
	    1, 2, 3, 7, 1000, 4536, 65535, 0x80000001u, UINT32_MAX};
	unsigned hist[7] = {0};
	struct gh_random g;
	unsigned i, j;

	cr_assert_eq(gh_random_init(&g), 0);
	for (i = 0; i < GH_ARRAY_SIZE(bounds); i++)
		for (j = 0; j < 1000; j++)
			cr_assert_lt(gh_random_uniform(&g, bounds[i]),
			             bounds[i]);
	for (j = 0; j < 70000; j++)
		hist[gh_random_uniform(&g, 7)]++;
	/* 10000 expected each; 5 sigma is about 480 */
	for (i = 0; i < 7; i++)
		cr_assert(hist[i] > 9400 && hist[i] < 10600, "hist[%u] = %u", i,
		          hist[i]);
}
