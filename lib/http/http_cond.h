/*
 * The field values of conditional and range requests (RFC 9110 8.8.3,
 * 13.1, 14.1-14.2) that a cache answering from a stored response reads:
 * entity-tags and their comparison, If-None-Match lists, and a Range
 * value.  Each reads its input p[0 .. len) in one bounded pass; no
 * allocation, no lock, no system call.  Threading: none.
 */
#ifndef GH_HTTP_COND_H
#define GH_HTTP_COND_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Whether p[0 .. len) is exactly one entity-tag ([W/]"opaque", the opaque
 * part without '"'; the obs-text and control bytes 8.8.3 leaves out are
 * not checked: the comparison is byte for byte).  *weak says W/.
 */
bool http_etag_valid(const char *p, uint32_t len, bool *weak);

/* Strong comparison (8.8.3.2): both valid, neither weak, the same bytes. */
bool http_etag_strong_eq(const char *a, uint32_t alen, const char *b,
                         uint32_t blen);

/*
 * An If-None-Match field value list[0 .. len): true when it is "*" or one
 * of its entity-tags matches <tag> (tag[0 .. tlen), a stored ETag value;
 * none: tlen 0) under the weak comparison (8.8.3.2: W/ ignored).  A list
 * element that is no entity-tag ends the reading: false (no match) unless
 * a match came before it.
 */
bool http_inm_match(const char *list, uint32_t len, const char *tag,
                    uint32_t tlen);

/* What a Range value asks for (http_range_parse()). */
enum http_range_kind {
	HTTP_RANGE_NONE = 0,  /* not a valid bytes range-set: ignore it
	                         (14.2) */
	HTTP_RANGE_ONE = 1,   /* one range-spec */
	HTTP_RANGE_MULTI = 2, /* several (not checked past the first) */
};

/* *first of a suffix range ("-N": the last N bytes, N in *last); *last of
 * an open one ("N-"). */
#define HTTP_RANGE_OPEN UINT64_MAX

/*
 * A Range field value p[0 .. len): "bytes=" (any case) then a range-set.
 * HTTP_RANGE_ONE sets *first and *last: "a-b" (a <= b), "a-" (*last
 * HTTP_RANGE_OPEN) or "-n" (*first HTTP_RANGE_OPEN, *last n).  Numbers
 * past 18 digits saturate at UINT64_MAX / 2 (past any body).  An invalid
 * first range-spec ("b < a", no digits, junk), another unit or an empty
 * set is HTTP_RANGE_NONE; a valid one followed by a comma
 * HTTP_RANGE_MULTI.
 */
enum http_range_kind http_range_parse(const char *p, uint32_t len,
                                      uint64_t *first, uint64_t *last);

#endif /* GH_HTTP_COND_H */
