/*
 * RFC 8941 Dictionary fields, read member by member (cache_priv.h), for
 * the targeted cache-control fields of RFC 9213 (CDN-Cache-Control): its
 * section 2.2 asks for a Structured Fields parser, whose errors differ
 * from a Cache-Control parser's ("Max-Age=60", "max-age=60,", "a b" are
 * all failures), and a failure anywhere means the whole field is ignored.
 *
 * All field lines of the name are one value joined by ", " (RFC 8941 4.2,
 * RFC 9110 5.3): the reader walks the lines and the separators between
 * them as one stream of bytes, so a string or a member may span a line
 * boundary exactly as it would in the joined text, without a copy.
 * Nothing recurses (an inner list holds items, never lists) and every
 * step takes a byte or fails, so a walk is bounded by the bytes of the
 * field; members' values are only classified (the cache needs the type,
 * and a non-negative integer's value), never kept.
 */
#include <errno.h>
#include <string.h>

#include "cache/cache_priv.h"
#include "common/gh_common.h"
#include "http/http.h"

/* The next segment once the current one is read: after a line, the ", "
 * before the next line of the field; after a separator, that line.
 * False at the end of the field. */
static bool
sf_advance(struct cache_sf_in *in)
{
	const struct http_header *h;
	int next;

	if (in->line < 0)
		return false;
	if (!in->sep) {
		next = http_field_find(in->msg, in->buf,
		                       (enum http_field)in->field,
		                       (unsigned)in->line + 1);
		if (next < 0) {
			in->line = -1;
			return false;
		}
		in->line = next;
		in->p = ", ";
		in->len = 2;
		in->pos = 0;
		in->sep = true;
		return true;
	}
	h = &in->msg->hdr[in->line];
	in->p = in->buf + h->value.off;
	in->len = h->value.len;
	in->pos = 0;
	in->sep = false;
	return true;
}

/* The next byte, not taken; -1 at the end of the field. */
static int
sf_peek(struct cache_sf_in *in)
{
	/* each round moves to another segment: at most two per line */
	while (in->pos >= in->len)
		if (!sf_advance(in))
			return -1;
	return (unsigned char)in->p[in->pos];
}

/* Take the byte sf_peek() returned (there is one). */
static void
sf_take(struct cache_sf_in *in)
{
	GH_VERIFY(in->pos < in->len);
	in->pos++;
}

/* The next byte, taken; -1 at the end. */
static int
sf_get(struct cache_sf_in *in)
{
	int c = sf_peek(in);

	if (c >= 0)
		sf_take(in);
	return c;
}

static void
sf_skip_sp(struct cache_sf_in *in)
{
	while (sf_peek(in) == ' ')
		sf_take(in);
}

static void
sf_skip_ows(struct cache_sf_in *in)
{
	int c;

	while ((c = sf_peek(in)) == ' ' || c == '\t')
		sf_take(in);
}

static bool
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static bool
is_lcalpha(int c)
{
	return c >= 'a' && c <= 'z';
}

static bool
is_alpha(int c)
{
	return is_lcalpha(c) || (c >= 'A' && c <= 'Z');
}

/* key (RFC 8941 4.2.3.3): ( lcalpha / "*" ) *( lcalpha / DIGIT / "_" /
 * "-" / "." / "*" ), kept in <m> when it fits (else m->key_len is 0). */
static int
sf_key(struct cache_sf_in *in, struct cache_sf_member *m)
{
	uint32_t n = 0;
	int c = sf_peek(in);

	if (!is_lcalpha(c) && c != '*')
		return -EINVAL;
	for (;;) {
		c = sf_peek(in);
		if (!is_lcalpha(c) && !is_digit(c) && c != '_' && c != '-' &&
		    c != '.' && c != '*')
			break;
		sf_take(in);
		if (m != NULL && n < CACHE_SF_KEY_MAX)
			m->key[n] = (char)c;
		n++;
	}
	if (m != NULL)
		m->key_len = n <= CACHE_SF_KEY_MAX ? n : 0;
	return 0;
}

/* Integer or Decimal (4.2.4): at most 15 digits, or 12 before the point
 * and 1 to 3 after it. */
static int
sf_number(struct cache_sf_in *in, struct cache_sf_member *m)
{
	uint32_t ndig = 0, frac = 0;
	bool neg = false, dec = false;
	int64_t v = 0;
	int c = sf_peek(in);

	if (c == '-') {
		neg = true;
		sf_take(in);
	}
	if (!is_digit(sf_peek(in)))
		return -EINVAL;
	for (;;) {
		c = sf_peek(in);
		if (is_digit(c)) {
			sf_take(in);
			if (dec) {
				if (++frac > 3)
					return -EINVAL;
			} else {
				if (++ndig > 15)
					return -EINVAL;
				v = v * 10 + (c - '0');
			}
		} else if (c == '.' && !dec) {
			if (ndig > 12)
				return -EINVAL;
			sf_take(in);
			dec = true;
		} else {
			break;
		}
	}
	if (dec && frac == 0)
		return -EINVAL;
	m->type = dec ? CACHE_SF_DECIMAL : CACHE_SF_INTEGER;
	m->integer = neg ? -v : v;
	return 0;
}

/* String (4.2.5): printable ASCII, escapes \" and \\ only. */
static int
sf_string(struct cache_sf_in *in)
{
	int c;

	sf_take(in); /* the opening DQUOTE */
	for (;;) {
		c = sf_get(in);
		if (c == '"')
			return 0;
		if (c == '\\') {
			c = sf_get(in);
			if (c != '"' && c != '\\')
				return -EINVAL;
			continue;
		}
		if (c < 0x20 || c > 0x7e) /* the end (-1) too */
			return -EINVAL;
	}
}

/* Byte Sequence (4.2.7): ":" base64 ":" */
static int
sf_bytes(struct cache_sf_in *in)
{
	int c;

	sf_take(in);
	for (;;) {
		c = sf_get(in);
		if (c == ':')
			return 0;
		if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '/' &&
		    c != '=')
			return -EINVAL;
	}
}

/* Bare Item (4.2.3.1), classified into <m>. */
static int
sf_bare_item(struct cache_sf_in *in, struct cache_sf_member *m)
{
	int c = sf_peek(in);

	if (c == '-' || is_digit(c))
		return sf_number(in, m);
	if (c == '"') {
		m->type = CACHE_SF_STRING;
		return sf_string(in);
	}
	if (c == ':') {
		m->type = CACHE_SF_BYTES;
		return sf_bytes(in);
	}
	if (c == '?') {
		sf_take(in);
		c = sf_get(in);
		if (c != '0' && c != '1')
			return -EINVAL;
		m->type = c == '1' ? CACHE_SF_TRUE : CACHE_SF_FALSE;
		return 0;
	}
	if (!is_alpha(c) && c != '*')
		return -EINVAL;
	/* Token (4.2.6): tchar, ":" and "/" after the first */
	m->type = CACHE_SF_TOKEN;
	sf_take(in);
	while ((c = sf_peek(in)) >= 0 &&
	       (cache_is_tchar((unsigned char)c) || c == ':' || c == '/'))
		sf_take(in);
	return 0;
}

/* Parameters (4.2.3.2): checked, not kept. */
static int
sf_params(struct cache_sf_in *in)
{
	struct cache_sf_member scratch;

	while (sf_peek(in) == ';') {
		sf_take(in);
		sf_skip_sp(in);
		if (sf_key(in, NULL) < 0)
			return -EINVAL;
		if (sf_peek(in) != '=')
			continue;
		sf_take(in);
		if (sf_bare_item(in, &scratch) < 0)
			return -EINVAL;
	}
	return 0;
}

/* Inner List (4.2.1.2): "(" items separated by SP ")" and parameters. */
static int
sf_inner_list(struct cache_sf_in *in)
{
	struct cache_sf_member scratch;
	int c;

	sf_take(in);
	for (;;) {
		sf_skip_sp(in);
		if (sf_peek(in) == ')') {
			sf_take(in);
			return sf_params(in);
		}
		if (sf_bare_item(in, &scratch) < 0 || sf_params(in) < 0)
			return -EINVAL;
		c = sf_peek(in);
		if (c != ' ' && c != ')')
			return -EINVAL;
	}
}

void
cache_sf_begin(struct cache_sf_in *in, const struct http_msg *msg,
               const char *buf, enum http_field f)
{
	memset(in, 0, sizeof(*in));
	in->msg = msg;
	in->buf = buf;
	in->field = (uint8_t)f;
	in->line = http_field_find(msg, buf, f, 0);
	in->p = "";
	in->sep = true; /* the first sf_advance() loads the line */
	if (in->line < 0)
		in->line = -1;
}

/* One member after the separator: key, then "=" and a value, or true. */
static int
sf_member(struct cache_sf_in *in, struct cache_sf_member *m)
{
	memset(m, 0, sizeof(*m));
	if (sf_key(in, m) < 0)
		return -EINVAL;
	if (sf_peek(in) != '=') {
		m->type = CACHE_SF_TRUE;
		return sf_params(in);
	}
	sf_take(in);
	if (sf_peek(in) == '(') {
		m->type = CACHE_SF_INNER_LIST;
		return sf_inner_list(in);
	}
	if (sf_bare_item(in, m) < 0)
		return -EINVAL;
	return sf_params(in);
}

int
cache_sf_dict_next(struct cache_sf_in *in, struct cache_sf_member *m)
{
	int c;

	if (in->failed)
		return -EINVAL;
	if (in->members == 0) {
		sf_skip_sp(in); /* 4.2: leading SP */
		if (sf_peek(in) < 0)
			return 0; /* empty */
	} else {
		/* 4.2.2: OWS, then the end or "," OWS and a member */
		sf_skip_ows(in);
		c = sf_peek(in);
		if (c < 0)
			return 0;
		if (c != ',')
			goto bad;
		sf_take(in);
		sf_skip_ows(in);
		if (sf_peek(in) < 0)
			goto bad; /* a trailing comma */
	}
	if (sf_member(in, m) < 0)
		goto bad;
	in->members++;
	return 1;
bad:
	in->failed = true;
	return -EINVAL;
}
