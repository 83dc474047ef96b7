/*
 * Private to lib/http: the octet class table both the head parser and the
 * body codec scan with, and the small inline helpers they share.  One table
 * lookup per byte answers "may this byte appear here", so the scanning
 * loops have no per-byte calls and no chains of comparisons.
 */
#ifndef GH_HTTP_PRIV_H
#define GH_HTTP_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "http/http_types.h"

/* Octet classes (bits of http_ctab[]). */
#define HTTP_C_TCHAR 0x01u /* token (RFC 9110 5.6.2) */
#define HTTP_C_VALUE                                                  \
	0x02u               /* field-value and reason-phrase: SP, HT, \
	                       VCHAR, obs-text */
#define HTTP_C_TARGET 0x04u /* request-target: VCHAR but '#' */
#define HTTP_C_HOST   0x08u /* reg-name we accept: ALPHA DIGIT - . _ */
#define HTTP_C_HEX    0x10u /* HEXDIG */
#define HTTP_C_DIGIT  0x20u /* DIGIT */
#define HTTP_C_IPV6   0x40u /* inside [ ]: HEXDIG ':' '.' */
#define HTTP_C_OWS    0x80u /* SP, HT */

extern const uint8_t http_ctab[256];

static inline bool
http_is(unsigned char c, unsigned cls)
{
	return (http_ctab[c] & cls) != 0;
}

static inline unsigned char
http_lower(unsigned char c)
{
	return (unsigned char)(c - 'A') < 26u ? (unsigned char)(c + 32) : c;
}

/* True when p[0 .. len) equals the lower-case <lc> of <len> bytes, ASCII
 * case-insensitively. */
static inline bool
http_eq_nocase(const char *p, uint32_t len, const char *lc, uint32_t lc_len)
{
	uint32_t i;

	if (len != lc_len)
		return false;
	for (i = 0; i < len; i++)
		if (http_lower((unsigned char)p[i]) !=
		    http_lower((unsigned char)lc[i]))
			return false;
	return true;
}

/* Note field line <i> of <msg> (parsed) in msg->fields and field_first
 * when its name is one of enum http_field (http_util.c). */
void http_field_index(struct http_msg *msg, const char *buf, unsigned i);

/*
 * The next element of a comma-separated list (RFC 9110 5.6.1) in
 * buf[*pos .. end), without its surrounding OWS.  Start with *pos at the
 * first byte of the list; *pos moves past the comma, or to end + 1 after
 * the last element.  Returns false when the list is exhausted.  Every
 * element is returned, empty ones too ("" is one empty element, "a," two):
 * callers decide whether an empty element is an error.
 */
static inline bool
http_list_next(const char *buf, uint32_t *pos, uint32_t end,
               struct http_str *elem)
{
	uint32_t i = *pos, e;

	if (i > end)
		return false;
	while (i < end && http_is((unsigned char)buf[i], HTTP_C_OWS))
		i++;
	e = i;
	while (e < end && buf[e] != ',')
		e++;
	*pos = e + 1;
	elem->off = i;
	while (e > i && http_is((unsigned char)buf[e - 1], HTTP_C_OWS))
		e--;
	elem->len = e - i;
	return true;
}

#endif /* GH_HTTP_PRIV_H */
