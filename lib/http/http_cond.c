/*
 * Entity-tags, If-None-Match lists and Range values (see http_cond.h).
 */
#include <string.h>
#include <strings.h>

#include "http/http_cond.h"

bool
http_etag_valid(const char *p, uint32_t len, bool *weak)
{
	*weak = len >= 2 && p[0] == 'W' && p[1] == '/';
	if (*weak) {
		p += 2;
		len -= 2;
	}
	return len >= 2 && p[0] == '"' && p[len - 1] == '"' &&
	       memchr(p + 1, '"', len - 2) == NULL;
}

bool
http_etag_strong_eq(const char *a, uint32_t alen, const char *b, uint32_t blen)
{
	bool wa, wb;

	return http_etag_valid(a, alen, &wa) && !wa &&
	       http_etag_valid(b, blen, &wb) && !wb && alen == blen &&
	       memcmp(a, b, alen) == 0;
}

bool
http_inm_match(const char *list, uint32_t len, const char *tag, uint32_t tlen)
{
	uint32_t i = 0, j, k;
	const char *e;
	bool weak;

	if (tlen > 0 && !http_etag_valid(tag, tlen, &weak))
		tlen = 0; /* a stored value that is no entity-tag: no match */
	if (tlen > 0 && weak) {
		tag += 2;
		tlen -= 2;
	}
	while (i < len) {
		while (i < len &&
		       (list[i] == ' ' || list[i] == '\t' || list[i] == ','))
			i++;
		if (i == len)
			break;
		if (list[i] == '*')
			return true;
		j = i;
		if (len - j >= 2 && list[j] == 'W' && list[j + 1] == '/')
			j += 2;
		if (j >= len || list[j] != '"')
			return false; /* no entity-tag: the reading ends */
		e = memchr(list + j + 1, '"', len - j - 1);
		if (e == NULL)
			return false;
		k = (uint32_t)(e - list) + 1; /* past the closing quote */
		if (tlen > 0 && k - j == tlen &&
		    memcmp(list + j, tag, tlen) == 0)
			return true;
		i = k;
	}
	return false;
}

/* A decimal at p[*i ..): false when there is no digit. */
static bool
range_num(const char *p, uint32_t len, uint32_t *i, uint64_t *x)
{
	uint32_t d = 0;

	*x = 0;
	while (*i < len && p[*i] >= '0' && p[*i] <= '9') {
		if (d++ < 18)
			*x = *x * 10 + (uint64_t)(p[*i] - '0');
		else
			*x = UINT64_MAX / 2;
		(*i)++;
	}
	return d > 0;
}

static void
skip_ows(const char *p, uint32_t len, uint32_t *i)
{
	while (*i < len && (p[*i] == ' ' || p[*i] == '\t'))
		(*i)++;
}

enum http_range_kind
http_range_parse(const char *p, uint32_t len, uint64_t *first, uint64_t *last)
{
	uint32_t i = 6;

	if (len < 7 || strncasecmp(p, "bytes=", 6) != 0)
		return HTTP_RANGE_NONE;
	/* an empty first element of the list (RFC 9110 5.6.1) */
	while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == ','))
		i++;
	if (i < len && p[i] == '-') {
		i++;
		*first = HTTP_RANGE_OPEN;
		if (!range_num(p, len, &i, last))
			return HTTP_RANGE_NONE;
	} else {
		if (!range_num(p, len, &i, first) || i == len || p[i] != '-')
			return HTTP_RANGE_NONE;
		i++;
		*last = HTTP_RANGE_OPEN;
		if (i < len && p[i] >= '0' && p[i] <= '9' &&
		    (!range_num(p, len, &i, last) || *last < *first))
			return HTTP_RANGE_NONE;
	}
	skip_ows(p, len, &i);
	if (i == len)
		return HTTP_RANGE_ONE;
	if (p[i] != ',')
		return HTTP_RANGE_NONE;
	/* trailing empty elements are no second range */
	while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == ','))
		i++;
	return i == len ? HTTP_RANGE_ONE : HTTP_RANGE_MULTI;
}
