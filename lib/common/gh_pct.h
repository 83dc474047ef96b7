/*
 * Percent-encoding (RFC 3986 2.1): the byte a "%XX" escape stands for,
 * and the bytes that need none.
 * One reading for every module that decodes a URL's path (lib/conf's
 * route matching, lib/proxy's FTP gateway), so they agree on what an
 * escape is.
 */
#ifndef GH_PCT_H
#define GH_PCT_H

#include <stdbool.h>
#include <stddef.h>

/* Whether byte <c> is unreserved (RFC 3986 2.3): never escaped, and the
 * same decoded or not. */
static inline bool
gh_pct_unreserved(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	       c == '~';
}

/* The value of hex digit <c> (either case), or -1. */
static inline int
gh_hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The byte that the escape at p[i] ('%' then two hex digits, within the
 * <n> bytes at <p>) stands for, or -1 when it is no valid escape (cut
 * short by the end, or not two hex digits). */
static inline int
gh_pct_byte(const char *p, size_t n, size_t i)
{
	int hi, lo;

	if (i + 2 >= n)
		return -1;
	hi = gh_hex_val(p[i + 1]);
	lo = gh_hex_val(p[i + 2]);
	return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

#endif /* GH_PCT_H */
