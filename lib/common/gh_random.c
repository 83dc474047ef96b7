/*
 * ChaCha20 with fast key erasure keyed from getrandom(2) (see
 * gh_random.h).  The block function is the portable one of RFC 8439 2.3:
 * about 150 ns per 64-byte block, that is per four 64-bit values (40 ns
 * each, gcc -O2 on the lab VM), which is nothing next to the packet a DNS
 * query is sent in.
 */
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "common/gh_common.h"
#include "common/gh_random.h"

/* getrandom calls per init before giving up: each returns the 32 bytes
 * asked for at once unless a signal interrupts it. */
#define GH_RANDOM_INIT_TRIES 16

#define ROTL32(v, n) ((uint32_t)((v) << (n)) | ((v) >> (32 - (n))))

#define QUARTER(a, b, c, d)            \
	do {                           \
		a += b;                \
		d = ROTL32(d ^ a, 16); \
		c += d;                \
		b = ROTL32(b ^ c, 12); \
		a += b;                \
		d = ROTL32(d ^ a, 8);  \
		c += d;                \
		b = ROTL32(b ^ c, 7);  \
	} while (0)

void
gh_random_chacha20_block(const uint32_t key[8], uint32_t counter,
                         const uint32_t nonce[3], uint32_t out[16])
{
	uint32_t in[16] = {0x61707865, 0x3320646e, 0x79622d32, 0x6b206574};
	uint32_t x[16];
	unsigned i;

	memcpy(in + 4, key, 8 * sizeof(uint32_t));
	in[12] = counter;
	memcpy(in + 13, nonce, 3 * sizeof(uint32_t));
	memcpy(x, in, sizeof(x));
	for (i = 0; i < 10; i++) {
		QUARTER(x[0], x[4], x[8], x[12]);
		QUARTER(x[1], x[5], x[9], x[13]);
		QUARTER(x[2], x[6], x[10], x[14]);
		QUARTER(x[3], x[7], x[11], x[15]);
		QUARTER(x[0], x[5], x[10], x[15]);
		QUARTER(x[1], x[6], x[11], x[12]);
		QUARTER(x[2], x[7], x[8], x[13]);
		QUARTER(x[3], x[4], x[9], x[14]);
	}
	for (i = 0; i < 16; i++)
		out[i] = x[i] + in[i];
	explicit_bzero(x, sizeof(x));
	explicit_bzero(in, sizeof(in));
}

int
gh_random_init(struct gh_random *g)
{
	uint8_t *p = (uint8_t *)g->key;
	size_t got = 0;
	unsigned tries;
	ssize_t n;

	memset(g, 0, sizeof(*g));
	for (tries = 0; got < sizeof(g->key); tries++) {
		if (tries == GH_RANDOM_INIT_TRIES) {
			explicit_bzero(g, sizeof(*g));
			return -EAGAIN;
		}
		n = getrandom(p + got, sizeof(g->key) - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = errno;

			explicit_bzero(g, sizeof(*g));
			return err > 0 ? -err : -EIO;
		}
		got += (size_t)n;
	}
	g->magic = GH_RANDOM_MAGIC;
	return 0;
}

void
gh_random_fini(struct gh_random *g)
{
	if (g != NULL)
		explicit_bzero(g, sizeof(*g));
}

/* One block under the current key: words 0-7 become the next key, words
 * 8-15 the next four outputs.  Counter and nonce stay 0: no key is used
 * twice. */
static void
gh_random_refill(struct gh_random *g)
{
	static const uint32_t nonce[3];
	uint32_t b[16];

	gh_random_chacha20_block(g->key, 0, nonce, b);
	memcpy(g->key, b, sizeof(g->key));
	memcpy(g->out, b + 8, sizeof(g->out));
	g->n_out = GH_ARRAY_SIZE(g->out);
	explicit_bzero(b, sizeof(b));
}

uint64_t
gh_random_u64(struct gh_random *g)
{
	uint64_t v;

	/* An unkeyed generator would hand out ChaCha20 of a zero key: a
	 * predictable "random" value is a security hole, so never. */
	GH_CHECK_OBJ(g, GH_RANDOM_MAGIC);
	if (g->n_out == 0)
		gh_random_refill(g);
	v = g->out[--g->n_out];
	g->out[g->n_out] = 0;
	return v;
}

uint32_t
gh_random_uniform(struct gh_random *g, uint32_t bound)
{
	uint64_t m;
	uint32_t lo, floor_;

	GH_VERIFY(bound != 0);
	m = (gh_random_u64(g) >> 32) * bound;
	lo = (uint32_t)m;
	if (lo < bound) {
		floor_ = (uint32_t)-bound % bound; /* 2^32 mod bound */
		while (lo < floor_) {
			m = (gh_random_u64(g) >> 32) * bound;
			lo = (uint32_t)m;
		}
	}
	return (uint32_t)(m >> 32);
}
