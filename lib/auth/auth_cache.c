/*
 * The verification cache of one worker (see auth.h): sets of 4 entries,
 * a set chosen by the low bits of the credential's key (a SipHash of
 * "user:pass" under a key of this cache, drawn from getrandom(2), so a
 * client cannot aim at a set nor forge a key).  An entry is the key, the
 * table it was checked against (auth_users_gen) and its expiry: a hit
 * needs all three, so a reload with a new users file misses every old
 * entry.  Only the 64-bit key is kept, never the password: two
 * credentials with one key are told apart with a chance of 2^-64 per
 * try under a key the client does not know.  Replacement: an expired or
 * free entry, else the one that expires first; a refused credential may
 * hold at most AUTH_CACHE_BAD_WAYS entries of a set.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "common/gh_common.h"
#include "common/gh_random.h"
#include "common/gh_siphash.h"

#define AUTH_CACHE_MAGIC    0x61756301u
#define AUTH_CACHE_WAYS     4
#define AUTH_CACHE_BAD_WAYS 2
#define AUTH_CACHE_MIN      16u
#define AUTH_CACHE_MAX      (1u << 20)

struct auth_cache_entry {
	uint64_t key;
	uint64_t gen; /* 0: free */
	uint64_t expires_ms;
	int32_t user_idx; /* < 0: refused */
	uint32_t pad;
};

struct auth_cache {
	unsigned magic;
	uint32_t set_mask;
	uint32_t ok_ttl_ms;
	uint32_t bad_ttl_ms;
	uint8_t sip_key[16];
	struct auth_cache_entry *e; /* (set_mask + 1) * AUTH_CACHE_WAYS */
};

struct auth_cache *
auth_cache_new(uint32_t entries, uint32_t ok_ttl_ms, uint32_t bad_ttl_ms)
{
	struct auth_cache *c;
	struct gh_random g;
	uint64_t k[2];
	uint32_t n = AUTH_CACHE_MIN;
	int rc;

	if (entries > AUTH_CACHE_MAX) {
		errno = EINVAL;
		return NULL;
	}
	while (n < entries)
		n <<= 1;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->e = calloc(n, sizeof(*c->e));
	if (c->e == NULL) {
		free(c);
		errno = ENOMEM;
		return NULL;
	}
	rc = gh_random_init(&g);
	if (rc < 0) {
		free(c->e);
		free(c);
		errno = -rc;
		return NULL;
	}
	k[0] = gh_random_u64(&g);
	k[1] = gh_random_u64(&g);
	gh_random_fini(&g);
	memcpy(c->sip_key, k, sizeof(c->sip_key));
	c->magic = AUTH_CACHE_MAGIC;
	c->set_mask = n / AUTH_CACHE_WAYS - 1;
	c->ok_ttl_ms = ok_ttl_ms;
	c->bad_ttl_ms = bad_ttl_ms;
	return c;
}

void
auth_cache_free(struct auth_cache *c)
{
	if (c == NULL)
		return;
	GH_CHECK_OBJ(c, AUTH_CACHE_MAGIC);
	c->magic = 0;
	free(c->e);
	free(c);
}

uint64_t
auth_cache_key(const struct auth_cache *ac, const struct auth_cred *c)
{
	GH_CHECK_OBJ_NOTNULL(ac, AUTH_CACHE_MAGIC);
	return gh_siphash(ac->sip_key, c->buf, c->user_len + 1 + c->pass_len);
}

static struct auth_cache_entry *
set_of(struct auth_cache *ac, uint64_t key)
{
	return &ac->e[(key & ac->set_mask) * AUTH_CACHE_WAYS];
}

enum auth_cache_result
auth_cache_lookup(struct auth_cache *ac, uint64_t key, uint64_t users_gen,
                  uint64_t now_ms, uint32_t *user_idx)
{
	struct auth_cache_entry *s;
	unsigned i;

	GH_CHECK_OBJ_NOTNULL(ac, AUTH_CACHE_MAGIC);
	s = set_of(ac, key);
	for (i = 0; i < AUTH_CACHE_WAYS; i++) {
		if (s[i].gen != users_gen || s[i].key != key ||
		    s[i].expires_ms <= now_ms)
			continue;
		if (s[i].user_idx < 0)
			return AUTH_CACHE_BAD;
		*user_idx = (uint32_t)s[i].user_idx;
		return AUTH_CACHE_OK;
	}
	return AUTH_CACHE_MISS;
}

void
auth_cache_put(struct auth_cache *ac, uint64_t key, uint64_t users_gen,
               uint64_t now_ms, int32_t user_idx)
{
	struct auth_cache_entry *s, *victim = NULL, *bad_oldest = NULL;
	unsigned i, n_bad = 0;

	GH_CHECK_OBJ_NOTNULL(ac, AUTH_CACHE_MAGIC);
	s = set_of(ac, key);
	for (i = 0; i < AUTH_CACHE_WAYS; i++) {
		bool live = s[i].gen != 0 && s[i].expires_ms > now_ms;

		if (live && s[i].key == key && s[i].gen == users_gen) {
			victim = &s[i]; /* the same credential: replaced */
			break;
		}
		if (!live) {
			if (victim == NULL || victim->gen != 0)
				victim = &s[i];
			continue;
		}
		if (s[i].user_idx < 0) {
			n_bad++;
			if (bad_oldest == NULL ||
			    s[i].expires_ms < bad_oldest->expires_ms)
				bad_oldest = &s[i];
		}
		if (victim == NULL ||
		    (victim->gen != 0 && victim->expires_ms > now_ms &&
		     s[i].expires_ms < victim->expires_ms))
			victim = &s[i];
	}
	/* a refused one past its share replaces a refused one */
	if (user_idx < 0 && n_bad >= AUTH_CACHE_BAD_WAYS &&
	    (victim->gen != 0 && victim->expires_ms > now_ms) &&
	    !(victim->key == key && victim->gen == users_gen))
		victim = bad_oldest;
	victim->key = key;
	victim->gen = users_gen;
	victim->user_idx = user_idx < 0 ? -1 : user_idx;
	victim->expires_ms =
	    now_ms + (user_idx < 0 ? ac->bad_ttl_ms : ac->ok_ttl_ms);
}
