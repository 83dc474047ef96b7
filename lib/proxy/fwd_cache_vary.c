/*
 * Vary in the forward proxy's cache (RFC 9111 4.1): secondary keys, as
 * Squid keeps them.  A response with a Vary that can match is stored under
 * a variant key; the primary key (the GET key of the URL) holds a marker,
 * a small COMPLETE object whose metadata says FWD_CACHE_F_MARKER and
 * carries a random 64-bit generation, and whose head is the Vary names in
 * canonical form (lower case, the response's order, each once, '\n'
 * after each: cache_vary_names()).
 *
 * Variant key = primary key '\n' generation (16 hex digits) '\n', then for
 * each name: the name, ':' and the request's value normalised as
 * cache_vary_match() compares it (every line of the field, their elements
 * joined by single commas, cache_list_join()), '\n'; a field the request
 * lacks is the name alone, '\n' (absent and empty differ, as in
 * cache_vary_match()).  Values hold no LF and names no ':', so two
 * requests get the same key only when their fields match.
 *
 * A lookup finds the marker, builds the key from the request, looks that
 * up.  Whoever removes or replaces the primary key (purge, invalidation, a
 * response without Vary, a marker with other names: a new generation)
 * leaves every variant unreachable; SIEVE evicts them.  Keys longer than
 * FWD_CACHE_KEY_MAX are not stored (fwd_cache_not_stored_vary).
 *
 * The request's head is gone when the response comes, so the fields a
 * Vary may name are kept in the transaction as "name:value\n" lines (name
 * in lower case, value joined as above), at most FWD_CACHE_VARY_REQ_MAX
 * bytes: a request with more is not stored when the response has Vary.
 * A value with an element that ends inside a quoted-string cannot be
 * joined unambiguously (cache_list_join): kept as "name\t\n", it makes
 * any key that needs it fail (a miss, not stored).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_random.h>

#include "cache/cache_index.h"
#include "cache/cache_obj.h"
#include "cache/cache_policy.h"
#include "common/gh_common.h"
#include "fwd_cache_priv.h"
#include "fwd_priv.h"

#define VARY_NAMES_MAX_BYTES 512 /* canonical names, '\n' after each */

/* The request's fields as "name:value\n" lines into out[0 .. cap).
 * Returns the length, or -ENOSPC. */
static int
fields_build(const struct http_msg *msg, const char *buf, char *out,
             uint32_t cap)
{
	uint32_t n = 0, i, k;
	int r;

	for (i = 0; i < msg->n_headers; i++) {
		const struct http_header *h = &msg->hdr[i];

		if (h->name.len + 2 > cap - n)
			return -ENOSPC;
		for (k = 0; k < h->name.len; k++) {
			char c = buf[h->name.off + k];

			out[n++] =
			    (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
		}
		out[n++] = ':';
		r = cache_list_join(buf + h->value.off, h->value.len, out + n,
		                    cap - n - 1);
		if (r == -EINVAL) { /* no key can hold it: "name\t" */
			out[n - 1] = '\t';
			r = 0;
		} else if (r < 0) {
			return -ENOSPC;
		}
		n += (uint32_t)r;
		out[n++] = '\n';
	}
	return (int)n;
}

void
fwd_cache_vary_keep(struct fwd_txn *t, const struct http_msg *msg,
                    const char *buf)
{
	int n = fields_build(msg, buf, t->cache_vary, sizeof(t->cache_vary));

	_Static_assert(FWD_CACHE_VARY_REQ_MAX < UINT16_MAX,
	               "cache_vary_len holds a length or UINT16_MAX");
	t->cache_vary_len = n < 0 ? UINT16_MAX : (uint16_t)n;
}

/* Append the value of field <name> (<nlen> bytes) from the field lines
 * f[0 .. flen): ':' and the lines' elements joined, or nothing when the
 * request has no such field.  False when the key is full. */
static bool
key_put_field(uint8_t *out, uint32_t *n, const char *name, uint32_t nlen,
              const char *f, uint32_t flen)
{
	bool present = false, any = false;
	uint32_t i = 0;

	while (i < flen) {
		const char *e = memchr(f + i, '\n', flen - i);
		uint32_t l = (uint32_t)(e - (f + i)), vl;

		GH_VERIFY(e != NULL);
		if (l == nlen + 1 && f[i + nlen] == '\t' &&
		    memcmp(f + i, name, nlen) == 0)
			return false; /* a value no key holds (fields_build) */
		if (l > nlen && f[i + nlen] == ':' &&
		    memcmp(f + i, name, nlen) == 0) {
			vl = l - nlen - 1;
			if ((!present && !fwd_cache_put(out, n, ":", 1)) ||
			    (any && vl > 0 && !fwd_cache_put(out, n, ",", 1)) ||
			    !fwd_cache_put(out, n, f + i + nlen + 1, vl))
				return false;
			present = true;
			any = any || vl > 0;
		}
		i += l + 1;
	}
	return true;
}

/* The variant key of the primary key <key> (<klen> bytes), generation
 * <gen>, names[0 .. nlen) and the request's fields f[0 .. flen) into
 * <out> (FWD_CACHE_KEY_MAX bytes).  Its length, or -E2BIG. */
static int
variant_key(const uint8_t *key, size_t klen, uint64_t gen, const char *names,
            uint32_t nlen, const char *f, uint32_t flen, uint8_t *out)
{
	char g[24];
	uint32_t n = 0, i = 0;

	snprintf(g, sizeof(g), "\n%016" PRIx64 "\n", gen);
	if (klen > FWD_CACHE_KEY_MAX ||
	    !fwd_cache_put(out, &n, key, (uint32_t)klen) ||
	    !fwd_cache_put(out, &n, g, (uint32_t)strlen(g)))
		return -E2BIG;
	while (i < nlen) {
		const char *e = memchr(names + i, '\n', nlen - i);
		uint32_t l = (uint32_t)(e - (names + i));

		GH_VERIFY(e != NULL);
		if (!fwd_cache_put(out, &n, names + i, l) ||
		    !key_put_field(out, &n, names + i, l, f, flen) ||
		    !fwd_cache_put(out, &n, "\n", 1))
			return -E2BIG;
		i += l + 1;
	}
	return (int)n;
}

int
fwd_cache_vary_resolve(struct fwd_session *s, const struct http_msg *msg,
                       const char *buf, const uint8_t *key, size_t klen,
                       struct cache_obj **obj)
{
	struct cache_index *ci = s->l->fc->p.cache;
	uint8_t vkey[FWD_CACHE_KEY_MAX];
	char f[FWD_CACHE_VARY_REQ_MAX];
	struct fwd_cache_meta m;
	const uint8_t *names = fwd_cache_meta_of(*obj, &m);
	int flen, n = -E2BIG;

	GH_VERIFY(names != NULL); /* lookups return COMPLETE objects */
	if (!(m.flags & FWD_CACHE_F_MARKER))
		return 0;
	flen = fields_build(msg, buf, f, sizeof(f));
	if (flen >= 0)
		n = variant_key(key, klen, m.vary_gen, (const char *)names,
		                m.head_len, f, (uint32_t)flen, vkey);
	cache_obj_put(*obj);
	*obj = NULL;
	if (n < 0 || cache_index_lookup(ci, vkey, (size_t)n, obj) != 0)
		return -ENOENT;
	GH_VERIFY(fwd_cache_meta_of(*obj, &m) != NULL);
	if (m.flags & FWD_CACHE_F_MARKER) { /* not reached: keys differ */
		cache_obj_put(*obj);
		*obj = NULL;
		return -ENOENT;
	}
	return 0;
}

/* The generation of the marker under t's key when it has the names
 * names[0 .. nlen), else 0. */
static uint64_t
marker_gen(struct cache_index *ci, const struct fwd_txn *t, const char *names,
           uint32_t nlen)
{
	struct cache_obj *old = NULL;
	struct fwd_cache_meta m;
	const uint8_t *have;
	uint64_t gen = 0;

	if (cache_index_lookup(ci, t->cache_key, t->cache_key_len, &old) != 0)
		return 0;
	have = fwd_cache_meta_of(old, &m);
	GH_VERIFY(have != NULL);
	if ((m.flags & FWD_CACHE_F_MARKER) && m.head_len == nlen &&
	    memcmp(have, names, nlen) == 0)
		gen = m.vary_gen;
	cache_obj_put(old);
	return gen;
}

/* Put a new marker of generation <gen> and names[0 .. nlen) under t's
 * key, replacing what is there unless it is being filled.  Returns 0,
 * -EBUSY, -ENOMEM. */
static int
marker_insert(struct fwd_ctx *fc, const struct fwd_txn *t, uint64_t gen,
              const char *names, uint32_t nlen)
{
	struct fwd_cache_meta m;
	struct cache_obj *obj;
	int rc;

	if (sizeof(m) + nlen > fc->cache_head_cap)
		return -ENOMEM;
	memset(&m, 0, sizeof(m));
	m.magic = FWD_CACHE_META_MAGIC;
	m.head_len = nlen;
	m.flags = FWD_CACHE_F_MARKER;
	m.vary_gen = gen;
	m.response_s = fwd_cache_now_s(fc);
	memcpy(fc->cache_head, &m, sizeof(m));
	memcpy(fc->cache_head + sizeof(m), names, nlen);
	obj = cache_obj_create(fc->p.cache, t->cache_key, t->cache_key_len,
	                       fc->cache_head, sizeof(m) + nlen, 0);
	if (obj == NULL)
		return -ENOMEM;
	rc = fwd_cache_insert_replacing(fc->p.cache, obj);
	if (rc == 0 && cache_obj_complete(obj) != 0)
		rc = -EBUSY; /* removed at once by someone else */
	cache_obj_put(obj);
	return rc == 0 ? 0 : rc == -EEXIST ? -EBUSY : -ENOMEM;
}

int
fwd_cache_vary_key(struct fwd_ctx *fc, const struct fwd_txn *t,
                   const struct http_msg *resp, const char *buf, uint8_t *out)
{
	char names[VARY_NAMES_MAX_BYTES];
	uint64_t gen;
	bool have;
	int nlen, n;

	nlen = cache_vary_names(resp, buf, names, sizeof(names));
	if (nlen == 0)
		return 0; /* "Vary:" naming nothing: the primary key */
	if (nlen < 0 || t->cache_vary_len == UINT16_MAX)
		return -E2BIG;
	gen = marker_gen(fc->p.cache, t, names, (uint32_t)nlen);
	have = gen != 0;
	if (!have) {
		gen = rte_rand();
		gen = gen == 0 ? 1 : gen;
	}
	n = variant_key(t->cache_key, t->cache_key_len, gen, names,
	                (uint32_t)nlen, t->cache_vary, t->cache_vary_len, out);
	if (n < 0)
		return n;
	if (!have) {
		int rc = marker_insert(fc, t, gen, names, (uint32_t)nlen);

		if (rc < 0)
			return rc;
	}
	return n;
}
