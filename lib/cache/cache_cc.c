/*
 * Cache-Control (RFC 9111 5.2, RFC 5861) into struct cache_cc: one pass
 * over each field line, one table look-up per directive, no allocation.
 *
 * Grammar (RFC 9111 5.2, RFC 9110 5.6.2, 5.6.4): a list of
 * token [ "=" ( token / quoted-string ) ].  Names are case-insensitive;
 * arguments may come in either form even where a sender should use one
 * (5.2: "recipients ought to accept both forms").  An element that does
 * not start with a token is counted as CACHE_CC_MALFORMED and skipped; a
 * known name followed by something that is neither "=" with a valid
 * argument nor the element's end has a bad argument, read as below.
 *
 * Malformed and repeated directives (4.2.1: "either the first occurrence
 * should be used or the response should be considered stale"; "the most
 * restrictive directive should be honored"), per kind:
 *  - max-age, s-maxage: an invalid value is kept as 0 (and marked
 *    invalid): the response is stale, and as a request directive it asks
 *    for validation.  Repeated with different values: the smallest is kept
 *    and the directive marked dup; a response's lifetime is then 0
 *    (cache_lifetime()), so duplicated max-age means stale.
 *  - max-stale (value optional: absent means any staleness, kept as
 *    CACHE_DELTA_MAX), stale-while-revalidate, stale-if-error: an invalid
 *    value is ignored (no stale use is the restrictive reading); repeated:
 *    the smallest.
 *  - min-fresh: invalid ignored; repeated: the largest.
 *  - no-store, must-revalidate, proxy-revalidate, no-transform,
 *    only-if-cached: restrictive, so they count even with an argument.
 *  - no-cache, private: with an argument (field names, valid or not) the
 *    _FIELDS bit is set too; names are not kept: callers read the
 *    qualified form as the unqualified one, which is the safe reading.
 *  - public, immutable, must-understand: they permit more, so with an
 *    argument they are ignored (and marked invalid).
 *
 * A targeted field (RFC 9213: CDN-Cache-Control) holds the same
 * directives as an RFC 8941 Dictionary (cache_sf.c reads it).  Its values
 * map back to the forms above (2.1): Boolean true is no argument, an
 * Integer >= 0 a delta-seconds, a String a quoted-string; any other value
 * (?0, a Decimal, a negative Integer, a Token, a Byte Sequence, an Inner
 * List, a String where a number belongs) breaks "these inferred
 * constraints" and is read as a bad argument is here, with the same
 * restrictive outcome.  A Dictionary's repeated key means its last value
 * (RFC 8941 4.2.2), so a repeated directive replaces the earlier one
 * instead of being marked dup.
 */
#include <errno.h>
#include <string.h>

#include "cache/cache_policy.h"
#include "cache/cache_priv.h"
#include "common/gh_common.h"
#include "http/http.h"

enum cc_kind {
	CC_FLAG = 0,        /* restrictive: set whatever the argument */
	CC_FLAG_NOARG = 1,  /* permissive: ignored with an argument */
	CC_FIELDS = 2,      /* optional field-name list */
	CC_DELTA_STALE = 3, /* delta-seconds; invalid = 0 */
	CC_DELTA_IGN = 4,   /* delta-seconds; invalid = ignored */
	CC_DELTA_OPT = 5,   /* optional delta-seconds; invalid = ignored */
};

struct cc_dir {
	const char *name; /* lower case */
	uint32_t bit;
	uint8_t kind;     /* enum cc_kind */
	uint8_t keep_max; /* repeated: keep the largest (min-fresh) */
};

static const struct cc_dir cc_dirs[] = {
    {"max-age", CACHE_CC_MAX_AGE, CC_DELTA_STALE, 0},
    {"s-maxage", CACHE_CC_S_MAXAGE, CC_DELTA_STALE, 0},
    {"no-cache", CACHE_CC_NO_CACHE, CC_FIELDS, 0},
    {"no-store", CACHE_CC_NO_STORE, CC_FLAG, 0},
    {"private", CACHE_CC_PRIVATE, CC_FIELDS, 0},
    {"public", CACHE_CC_PUBLIC, CC_FLAG_NOARG, 0},
    {"must-revalidate", CACHE_CC_MUST_REVALIDATE, CC_FLAG, 0},
    {"proxy-revalidate", CACHE_CC_PROXY_REVALIDATE, CC_FLAG, 0},
    {"must-understand", CACHE_CC_MUST_UNDERSTAND, CC_FLAG_NOARG, 0},
    {"no-transform", CACHE_CC_NO_TRANSFORM, CC_FLAG, 0},
    {"immutable", CACHE_CC_IMMUTABLE, CC_FLAG_NOARG, 0},
    {"stale-while-revalidate", CACHE_CC_SWR, CC_DELTA_IGN, 0},
    {"stale-if-error", CACHE_CC_SIE, CC_DELTA_IGN, 0},
    {"max-stale", CACHE_CC_MAX_STALE, CC_DELTA_OPT, 0},
    {"min-fresh", CACHE_CC_MIN_FRESH, CC_DELTA_IGN, 1},
    {"only-if-cached", CACHE_CC_ONLY_IF_CACHED, CC_FLAG, 0},
};

/* cc_apply() finds a CC_FIELDS directive's _FIELDS bit next to it */
_Static_assert(CACHE_CC_NO_CACHE << 1 == CACHE_CC_NO_CACHE_FIELDS, "bits");
_Static_assert(CACHE_CC_PRIVATE << 1 == CACHE_CC_PRIVATE_FIELDS, "bits");

/* An element's argument: none, a valid one (the token, or the inside of
 * the quoted-string), or a bad one. */
enum cc_arg {
	CC_ARG_NONE = 0,
	CC_ARG_OK = 1,
	CC_ARG_BAD = 2,
};

int
cache_delta_parse(const char *p, uint32_t len, uint32_t *v)
{
	uint64_t acc = 0;
	uint32_t i;

	if (len == 0)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -EINVAL;
		if (acc < CACHE_DELTA_MAX)
			acc = acc * 10 + (uint64_t)(p[i] - '0');
	}
	*v = acc < CACHE_DELTA_MAX ? (uint32_t)acc : CACHE_DELTA_MAX;
	return 0;
}

static uint32_t *
cc_slot(struct cache_cc *cc, uint32_t bit)
{
	switch (bit) {
	case CACHE_CC_MAX_AGE:
		return &cc->max_age_s;
	case CACHE_CC_S_MAXAGE:
		return &cc->s_maxage_s;
	case CACHE_CC_SWR:
		return &cc->swr_s;
	case CACHE_CC_SIE:
		return &cc->sie_s;
	case CACHE_CC_MAX_STALE:
		return &cc->max_stale_s;
	case CACHE_CC_MIN_FRESH:
		return &cc->min_fresh_s;
	default:
		GH_WRONG("no value slot for this directive");
	}
}

/* Record <v> for the delta-seconds directive <d>; a second, different
 * value keeps the more restrictive one and marks the directive dup. */
static void
cc_delta_set(struct cache_cc *cc, const struct cc_dir *d, uint32_t v)
{
	uint32_t *slot = cc_slot(cc, d->bit);

	GH_VERIFY(v <= CACHE_DELTA_MAX);
	if (!(cc->flags & d->bit)) {
		cc->flags |= d->bit;
		*slot = v;
		return;
	}
	if (*slot == v)
		return;
	cc->dup |= d->bit;
	if (d->keep_max ? v > *slot : v < *slot)
		*slot = v;
}

static void
cc_apply(struct cache_cc *cc, const struct cc_dir *d, enum cc_arg arg,
         const char *a, uint32_t alen)
{
	uint32_t v = 0;
	bool valid;

	switch ((enum cc_kind)d->kind) {
	case CC_FLAG:
		cc->flags |= d->bit;
		if (arg != CC_ARG_NONE)
			cc->invalid |= d->bit;
		return;
	case CC_FLAG_NOARG:
		if (arg == CC_ARG_NONE)
			cc->flags |= d->bit;
		else
			cc->invalid |= d->bit;
		return;
	case CC_FIELDS:
		cc->flags |= d->bit;
		if (arg != CC_ARG_NONE)
			cc->flags |= d->bit << 1; /* the _FIELDS bit */
		if (arg == CC_ARG_BAD)
			cc->invalid |= d->bit;
		return;
	case CC_DELTA_STALE:
	case CC_DELTA_IGN:
	case CC_DELTA_OPT:
		break;
	}
	if (arg == CC_ARG_NONE && d->kind == CC_DELTA_OPT) {
		cc_delta_set(cc, d, CACHE_DELTA_MAX);
		return;
	}
	valid = arg == CC_ARG_OK && cache_delta_parse(a, alen, &v) == 0;
	if (valid) {
		cc_delta_set(cc, d, v);
		return;
	}
	cc->invalid |= d->bit;
	if (d->kind == CC_DELTA_STALE)
		cc_delta_set(cc, d, 0);
}

/* The argument of the element e[0 .. n) whose name is e[0 .. name_len). */
static enum cc_arg
cc_arg(const char *e, uint32_t n, uint32_t name_len, const char **a,
       uint32_t *alen)
{
	uint32_t i = name_len + 1, k;

	if (name_len == n)
		return CC_ARG_NONE;
	if (e[name_len] != '=' || i == n)
		return CC_ARG_BAD;
	if (e[i] != '"') {
		*a = e + i;
		*alen = n - i;
		return cache_is_token(*a, *alen) ? CC_ARG_OK : CC_ARG_BAD;
	}
	/* quoted-string: the closing quote must end the element; quoted-pairs
	 * are skipped over (a delta with one is then not all digits) */
	for (k = i + 1; k < n; k++) {
		if (e[k] == '\\') {
			k++;
			continue;
		}
		if (e[k] == '"')
			break;
	}
	if (k != n - 1)
		return CC_ARG_BAD;
	*a = e + i + 1;
	*alen = k - i - 1;
	return CC_ARG_OK;
}

/* The directive named k[0 .. n), or NULL (unknown: ignored, 5.2.3). */
static const struct cc_dir *
cc_find(const char *k, uint32_t n)
{
	size_t d;

	for (d = 0; d < GH_ARRAY_SIZE(cc_dirs); d++)
		if (cache_eq_nocase(k, n, cc_dirs[d].name))
			return &cc_dirs[d];
	return NULL;
}

void
cache_cc_add(struct cache_cc *cc, const char *p, uint32_t len)
{
	uint32_t pos = 0, off, n;

	while (cache_list_next(p, len, &pos, &off, &n)) {
		const char *e = p + off, *a = NULL;
		uint32_t name_len = 0, alen = 0;
		const struct cc_dir *d;
		enum cc_arg arg;

		GH_VERIFY(off <= len && n <= len - off);

		while (name_len < n &&
		       cache_is_tchar((unsigned char)e[name_len]))
			name_len++;
		if (name_len == 0) {
			cc->invalid |= CACHE_CC_MALFORMED;
			continue;
		}
		d = cc_find(e, name_len);
		if (d == NULL)
			continue; /* unknown: ignored (5.2.3) */
		arg = cc_arg(e, n, name_len, &a, &alen);
		GH_VERIFY(arg != CC_ARG_OK || (a >= e && alen <= n));
		cc_apply(cc, d, arg, a, alen);
	}
}

/* Forget what <cc> holds of <d>: a Dictionary's later key replaces it. */
static void
cc_forget(struct cache_cc *cc, const struct cc_dir *d)
{
	uint32_t bits = d->bit;

	if (d->kind == CC_FIELDS)
		bits |= d->bit << 1;
	cc->flags &= ~bits;
	cc->invalid &= ~bits;
	cc->dup &= ~bits;
	if (d->kind >= CC_DELTA_STALE)
		*cc_slot(cc, d->bit) = 0;
}

/* Apply the Dictionary member <m> naming <d> (see the top of the file). */
static void
cc_apply_sf(struct cache_cc *cc, const struct cc_dir *d,
            const struct cache_sf_member *m)
{
	cc_forget(cc, d);
	switch ((enum cache_sf_type)m->type) {
	case CACHE_SF_TRUE:
		cc_apply(cc, d, CC_ARG_NONE, NULL, 0);
		return;
	case CACHE_SF_INTEGER:
		if (m->integer < 0 || d->kind < CC_DELTA_STALE)
			break;
		cc_delta_set(cc, d,
		             m->integer < (int64_t)CACHE_DELTA_MAX
		                 ? (uint32_t)m->integer
		                 : CACHE_DELTA_MAX);
		return;
	case CACHE_SF_STRING:
		if (d->kind != CC_FIELDS)
			break;
		cc_apply(cc, d, CC_ARG_OK, "", 0); /* the names: not kept */
		return;
	default:
		break;
	}
	cc_apply(cc, d, CC_ARG_BAD, NULL, 0);
}

int
cache_cc_parse_targeted(struct cache_cc *cc, const struct http_msg *msg,
                        const char *buf, enum http_field f)
{
	struct cache_sf_member m;
	struct cache_sf_in in;
	int rc;

	memset(cc, 0, sizeof(*cc));
	if (!http_has_field(msg, f))
		return -ENOENT;
	cache_sf_begin(&in, msg, buf, f);
	/* each member takes at least a byte of the field */
	while ((rc = cache_sf_dict_next(&in, &m)) == 1) {
		const struct cc_dir *d =
		    m.key_len > 0 ? cc_find(m.key, m.key_len) : NULL;

		if (d != NULL)
			cc_apply_sf(cc, d, &m);
	}
	if (rc == 0 && in.members > 0)
		return 0;
	memset(cc, 0, sizeof(*cc)); /* invalid or empty: ignored (2.2) */
	return rc < 0 ? -EINVAL : -ENOENT;
}

void
cache_cc_parse(struct cache_cc *cc, const struct http_msg *msg, const char *buf)
{
	int i = -1;
	unsigned n;

	memset(cc, 0, sizeof(*cc));
	/* each find moves past the last: at most n_headers rounds */
	for (n = 0; n < msg->n_headers; n++) {
		const struct http_header *h;

		i = http_field_find(msg, buf, HTTP_FLD_CACHE_CONTROL,
		                    (unsigned)(i + 1));
		if (i < 0)
			break;
		h = &msg->hdr[i];
		cache_cc_add(cc, buf + h->value.off, h->value.len);
	}
}
