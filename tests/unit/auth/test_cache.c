/*
 * lib/auth's verification cache: hits, misses, refused credentials,
 * expiry, a new users table, and the bounds of a set.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "auth_test_util.h"

TestSuite(auth_cache);

#define OK_TTL  1000
#define BAD_TTL 100

Test(auth_cache, hit_miss_refused_and_expiry)
{
	struct auth_cache *c = auth_cache_new(64, OK_TTL, BAD_TTL);
	struct auth_cred a = cred_of("alice", "pw"), b = cred_of("alice", "px");
	uint64_t ka, kb;
	uint32_t idx = 99;

	cr_assert_not_null(c);
	ka = auth_cache_key(c, &a);
	kb = auth_cache_key(c, &b);
	cr_assert_neq(ka, kb);
	cr_assert_eq(auth_cache_lookup(c, ka, 7, 0, &idx), AUTH_CACHE_MISS);
	auth_cache_put(c, ka, 7, 0, 3);
	auth_cache_put(c, kb, 7, 0, -1);
	cr_assert_eq(auth_cache_lookup(c, ka, 7, 10, &idx), AUTH_CACHE_OK);
	cr_assert_eq(idx, 3);
	cr_assert_eq(auth_cache_lookup(c, kb, 7, 10, &idx), AUTH_CACHE_BAD);
	/* a refused one is believed BAD_TTL, a verified one OK_TTL */
	cr_assert_eq(auth_cache_lookup(c, kb, 7, BAD_TTL, &idx),
	             AUTH_CACHE_MISS);
	cr_assert_eq(auth_cache_lookup(c, ka, 7, OK_TTL - 1, &idx),
	             AUTH_CACHE_OK);
	cr_assert_eq(auth_cache_lookup(c, ka, 7, OK_TTL, &idx),
	             AUTH_CACHE_MISS);
	auth_cache_free(c);
}

Test(auth_cache, another_table_misses)
{
	struct auth_cache *c = auth_cache_new(16, OK_TTL, BAD_TTL);
	struct auth_cred a = cred_of("alice", "pw");
	uint64_t k;
	uint32_t idx;

	cr_assert_not_null(c);
	k = auth_cache_key(c, &a);
	auth_cache_put(c, k, 7, 0, 0);
	cr_assert_eq(auth_cache_lookup(c, k, 8, 1, &idx), AUTH_CACHE_MISS);
	/* the same credential against the new table: its own entry */
	auth_cache_put(c, k, 8, 1, -1);
	cr_assert_eq(auth_cache_lookup(c, k, 8, 2, &idx), AUTH_CACHE_BAD);
	cr_assert_eq(auth_cache_lookup(c, k, 7, 2, &idx), AUTH_CACHE_OK);
	/* a verdict again replaces, never duplicates */
	auth_cache_put(c, k, 8, 3, 5);
	cr_assert_eq(auth_cache_lookup(c, k, 8, 4, &idx), AUTH_CACHE_OK);
	cr_assert_eq(idx, 5);
	auth_cache_free(c);
}

Test(auth_cache, keys_are_keyed)
{
	struct auth_cache *c1 = auth_cache_new(16, OK_TTL, BAD_TTL);
	struct auth_cache *c2 = auth_cache_new(16, OK_TTL, BAD_TTL);
	struct auth_cred a = cred_of("alice", "pw");

	cr_assert_not_null(c1);
	cr_assert_not_null(c2);
	/* two caches, two random keys: 2^-64 to be equal */
	cr_assert_neq(auth_cache_key(c1, &a), auth_cache_key(c2, &a));
	auth_cache_free(c1);
	auth_cache_free(c2);
	cr_assert_null(auth_cache_new(1u << 21, 1, 1));
	cr_assert_eq(errno, EINVAL);
}

/* 16 entries: 4 sets of 4, the set from the key's low bits; keys made
 * up so that all land in set 0. */
Test(auth_cache, bounded_and_refused_take_at_most_half_a_set)
{
	/* refused ones believed longer than verified ones: without the
	 * bound, each would evict a verified entry */
	struct auth_cache *c = auth_cache_new(16, OK_TTL, 100 * OK_TTL);
	uint32_t idx;
	uint64_t k;
	int hits = 0;

	cr_assert_not_null(c);
	/* four verified, at times 0..3 */
	for (k = 1; k <= 4; k++)
		auth_cache_put(c, k << 2, 1, k - 1, (int32_t)k);
	/* a fifth evicts the one that expires first: key 1 */
	auth_cache_put(c, 5 << 2, 1, 10, 5);
	cr_assert_eq(auth_cache_lookup(c, 1 << 2, 1, 11, &idx),
	             AUTH_CACHE_MISS);
	for (k = 2; k <= 5; k++)
		cr_assert_eq(auth_cache_lookup(c, k << 2, 1, 11, &idx),
		             AUTH_CACHE_OK, "key %lu", (unsigned long)k);
	/* a flood of refused credentials: at most two entries of the set */
	for (k = 100; k < 200; k++)
		auth_cache_put(c, k << 2, 1, 20, -1);
	for (k = 2; k <= 5; k++)
		hits +=
		    auth_cache_lookup(c, k << 2, 1, 21, &idx) == AUTH_CACHE_OK;
	cr_assert_eq(hits, 2);
	/* the last refused one is there, the earlier ones made room */
	cr_assert_eq(auth_cache_lookup(c, 199u << 2, 1, 21, &idx),
	             AUTH_CACHE_BAD);
	cr_assert_eq(auth_cache_lookup(c, 100u << 2, 1, 21, &idx),
	             AUTH_CACHE_MISS);
	/* other sets untouched: a key of set 1 still goes in */
	auth_cache_put(c, (7u << 2) | 1, 1, 22, 7);
	cr_assert_eq(auth_cache_lookup(c, (7u << 2) | 1, 1, 23, &idx),
	             AUTH_CACHE_OK);
	auth_cache_free(c);
}
