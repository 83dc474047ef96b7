/*
 * A per-worker cryptographically secure random generator: ChaCha20 (RFC
 * 8439) keyed from getrandom(2), for the values an off-path attacker must
 * not predict (DNS query IDs and source ports, hash seeds).  Each owner
 * embeds its own struct gh_random, so the fast path takes no lock and
 * makes no system call: only gh_random_init() asks the kernel.
 *
 * Fast key erasure (D. J. Bernstein, 2017; as OpenBSD's arc4random): each
 * ChaCha20 block computed gives 32 bytes that replace the key and 32 bytes
 * of output, so the state never holds what it already handed out and a
 * later leak of it does not reveal earlier values.
 *
 * Threading: a struct gh_random belongs to one thread; no call locks.
 */
#ifndef GH_RANDOM_H
#define GH_RANDOM_H

#include <stdint.h>

#define GH_RANDOM_MAGIC 0x72616e64u

struct gh_random {
	unsigned magic;
	uint32_t n_out;  /* words of out[] not handed out yet */
	uint32_t key[8]; /* the next block's key */
	uint64_t out[4]; /* output of the last block, used from the top */
};

/*
 * Key <g> with 32 bytes from getrandom(2) (blocking until the kernel's pool
 * is initialised, as it is once the system has booted).  Returns 0, or
 * -errno when getrandom fails (-ENOSYS, -EFAULT, ...): there is no fallback
 * to a weaker source, the caller must fail instead.  <g> is unusable until
 * this returned 0.
 */
int gh_random_init(struct gh_random *g);

/* Forget the state (zeroed in a way the compiler cannot drop); <g> needs
 * gh_random_init() again before use.  NULL is fine. */
void gh_random_fini(struct gh_random *g);

/* 64 uniformly random bits. */
uint64_t gh_random_u64(struct gh_random *g);

/* A uniformly random value in [0, bound), without modulo bias (Lemire's
 * multiply-and-reject); <bound> must be at least 1. */
uint32_t gh_random_uniform(struct gh_random *g, uint32_t bound);

/*
 * The ChaCha20 block function of RFC 8439 2.3: the 64-byte keystream block
 * of <key> (8 little-endian words), block <counter> and <nonce> (3 words),
 * as 16 words in <out> (serialised little-endian they are the RFC's
 * bytes).  Exposed for the known-answer tests.
 */
void gh_random_chacha20_block(const uint32_t key[8], uint32_t counter,
                              const uint32_t nonce[3], uint32_t out[16]);

#endif /* GH_RANDOM_H */
