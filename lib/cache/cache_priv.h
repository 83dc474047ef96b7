/*
 * Private to lib/cache: the small byte-level helpers its parsers share (the
 * token class of RFC 9110 5.6.2, case-insensitive compares, a list walker
 * that knows quoted strings, a delta-seconds reader).  All bounded by the
 * length they are given.
 */
#ifndef GH_CACHE_PRIV_H
#define GH_CACHE_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "cache/cache_types.h"
#include "http/http_types.h"

/* tchar (RFC 9110 5.6.2) */
static inline bool
cache_is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	switch (c) {
	case '!':
	case '#':
	case '$':
	case '%':
	case '&':
	case '\'':
	case '*':
	case '+':
	case '-':
	case '.':
	case '^':
	case '_':
	case '`':
	case '|':
	case '~':
		return true;
	default:
		return false;
	}
}

static inline bool
cache_is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* True when p[0 .. len) is a token (non-empty, tchars only). */
static inline bool
cache_is_token(const char *p, uint32_t len)
{
	uint32_t i;

	if (len == 0)
		return false;
	for (i = 0; i < len; i++)
		if (!cache_is_tchar((unsigned char)p[i]))
			return false;
	return true;
}

/* True when a[0 .. alen) equals b[0 .. blen), ASCII case-insensitively. */
static inline bool
cache_span_eq_nocase(const char *a, uint32_t alen, const char *b, uint32_t blen)
{
	uint32_t i;

	if (alen != blen)
		return false;
	for (i = 0; i < alen; i++) {
		unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];

		if (x >= 'A' && x <= 'Z')
			x = (unsigned char)(x + 32);
		if (y >= 'A' && y <= 'Z')
			y = (unsigned char)(y + 32);
		if (x != y)
			return false;
	}
	return true;
}

/* True when p[0 .. len) equals the NUL-terminated <s>, ASCII
 * case-insensitively. */
static inline bool
cache_eq_nocase(const char *p, uint32_t len, const char *s)
{
	return cache_span_eq_nocase(p, len, s, (uint32_t)strlen(s));
}

/*
 * The next element of a comma-separated list (RFC 9110 5.6.1) in
 * p[*pos .. len), without the OWS around it; a comma inside a
 * quoted-string (5.6.4, with its quoted-pairs) does not end an element, and
 * an unterminated quoted-string runs to the end.  Empty elements are
 * skipped.  Returns false when the list holds no more elements; else sets
 * *off and *elen and moves *pos past the element's comma.  Each call moves
 * *pos forward, so a loop over it is bounded by <len>.
 */
static inline bool
cache_list_next(const char *p, uint32_t len, uint32_t *pos, uint32_t *off,
                uint32_t *elen)
{
	uint32_t i = *pos, e;
	bool quoted = false;

	while (i < len && (cache_is_ows(p[i]) || p[i] == ','))
		i++;
	if (i >= len) {
		*pos = len;
		return false;
	}
	for (e = i; e < len; e++) {
		if (quoted && p[e] == '\\' && e + 1 < len)
			e++;
		else if (p[e] == '"')
			quoted = !quoted;
		else if (!quoted && p[e] == ',')
			break;
	}
	*pos = e < len ? e + 1 : len;
	while (e > i && cache_is_ows(p[e - 1]))
		e--;
	*off = i;
	*elen = e - i;
	return true;
}

/*
 * delta-seconds (RFC 9111 1.2.2) in p[0 .. len): 1*DIGIT, saturated at
 * CACHE_DELTA_MAX.  Returns 0 and sets *v, or -EINVAL.
 */
int cache_delta_parse(const char *p, uint32_t len, uint32_t *v);

/*
 * RFC 8941 Dictionary fields (cache_sf.c), read a member at a time: what
 * each member is (its key and the type of its value), all lines of the
 * field as one value.  Parameters and inner lists' items are checked,
 * not kept.
 */
enum cache_sf_type {
	CACHE_SF_TRUE = 0,  /* no value (Boolean true), or ?1 */
	CACHE_SF_FALSE = 1, /* ?0 */
	CACHE_SF_INTEGER = 2,
	CACHE_SF_DECIMAL = 3,
	CACHE_SF_STRING = 4,
	CACHE_SF_TOKEN = 5,
	CACHE_SF_BYTES = 6,
	CACHE_SF_INNER_LIST = 7,
};

#define CACHE_SF_KEY_MAX 32 /* longer keys are read, not kept */

struct cache_sf_member {
	char key[CACHE_SF_KEY_MAX]; /* not NUL-terminated */
	uint32_t key_len;           /* 0: the key was longer than the room */
	uint8_t type;               /* enum cache_sf_type */
	int64_t integer;            /* CACHE_SF_INTEGER's value (15 digits at
	                               most, so no overflow) */
};

/* A reader's position in the field's lines (private to cache_sf.c). */
struct cache_sf_in {
	const struct http_msg *msg;
	const char *buf;
	const char *p; /* the segment read: a line's value, or ", " */
	uint32_t len, pos;
	int line; /* the line of the segment, or of the next; -1: no more */
	uint32_t members;
	uint8_t field; /* enum http_field */
	bool sep;      /* the segment is the separator before <line> */
	bool failed;
};

/* Start reading field <f> of <msg>, every line of it. */
void cache_sf_begin(struct cache_sf_in *in, const struct http_msg *msg,
                    const char *buf, enum http_field f);

/*
 * The next member of the Dictionary into *m: 1; 0 at the end of a valid
 * field (no member read at all: the field is absent or empty); -EINVAL
 * when the field is no valid Dictionary (RFC 8941 4.2.2; then every
 * later call too).  Members already returned are valid on their own; the
 * caller decides what an error later in the field undoes.
 */
int cache_sf_dict_next(struct cache_sf_in *in, struct cache_sf_member *m);

/* False when the Vary lines of the response <msg> can never match
 * (cache_vary.c): "*", a name that is no token, more than
 * CACHE_VARY_NAMES_MAX names. */
bool cache_vary_usable(const struct http_msg *msg, const char *buf);

#endif /* GH_CACHE_PRIV_H */
