/*
 * The policy core of the shared HTTP cache (RFC 9111, RFC 5861): the
 * semantics that need no index, no store and no network, as pure
 * functions over parsed heads (lib/http's struct http_msg and its buffer)
 * and the plain values of cache_types.h.  It answers: what do the
 * Cache-Control fields say, when is an HTTP-date, may this response be
 * stored, how long is it fresh and how old is it, may it be used for this
 * request, does the stored Vary match, and which fields are never stored.
 * The index and the store (issue 12's later pieces) call these.
 *
 * Everything an attacker sends is read in one bounded pass: loops are
 * bounded by the length of the input (or by the head's header count), and
 * nothing recurses, allocates, locks, prints or makes a system call.
 * Threading: none; any core may call anything here.
 *
 * Times are seconds since the Unix epoch (int64_t); durations are seconds
 * saturated at CACHE_DELTA_MAX (2^31, RFC 9111 1.2.2).
 */
#ifndef GH_CACHE_POLICY_H
#define GH_CACHE_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "cache/cache_types.h"
#include "http/http_types.h"

/*
 * Cache-Control (RFC 9111 5.2): cache_cc_add() reads one field line's
 * value p[0 .. len) into <cc>, adding to what earlier lines gave (RFC 9110
 * 5.3: several lines are one comma-joined list); cache_cc_parse() zeroes
 * <cc> and adds every Cache-Control line of <msg>.  Unknown directives are
 * ignored (5.2.3); see struct cache_cc for malformed and repeated ones.
 */
void cache_cc_add(struct cache_cc *cc, const char *p, uint32_t len);
void cache_cc_parse(struct cache_cc *cc, const struct http_msg *msg,
                    const char *buf);

/*
 * A targeted cache-control field (RFC 9213 2: CDN-Cache-Control is
 * HTTP_FLD_CDN_CACHE_CONTROL), every line of field <f> of <msg> read as
 * one RFC 8941 Dictionary of Cache-Control directives, into <cc> (zeroed
 * first; see cache_cc.c for how values map).  Returns 0 when the field is
 * a valid Dictionary with at least one member (an unknown directive
 * counts: RFC 9213 3.1's "none"); -ENOENT when absent or empty, -EINVAL
 * when invalid (both: <cc> left zeroed, the field to be ignored, 2.2).
 */
int cache_cc_parse_targeted(struct cache_cc *cc, const struct http_msg *msg,
                            const char *buf, enum http_field f);

/*
 * HTTP-date (RFC 9110 5.6.7) in p[0 .. len): IMF-fixdate, or the obsolete
 * rfc850-date and asctime-date forms.  <now_s> places rfc850's two-digit
 * year: a year more than 50 years after now is taken a century earlier.
 * Returns 0 and sets *t_s, or -EINVAL (no valid HTTP-date: a wrong name,
 * field, range or separator, trailing bytes).
 */
int cache_date_parse(const char *p, uint32_t len, int64_t now_s, int64_t *t_s);

/* The IMF-fixdate of Unix time <t_s> ("Sun, 06 Nov 1994 08:49:37 GMT",
 * RFC 9110 5.6.7, 29 bytes; names in English whatever the locale) into
 * <out> of <cap> bytes, NUL-terminated.  Returns its length, or 0 (out
 * empty) when <t_s> is no calendar time or <cap> is too small. */
size_t cache_date_format(int64_t t_s, char *out, size_t cap);

/* Read what the cache needs from a request head (method, Authorization,
 * Cache-Control). */
void cache_req_meta_parse(struct cache_req_meta *q, const struct http_msg *msg,
                          const char *buf);

/*
 * Read what the cache needs from a response head received at
 * <response_s>: status, Cache-Control, CDN-Cache-Control, Date, Expires,
 * Last-Modified, Age, ETag, Vary.  Repeated or invalid fields are read as
 * RFC 9111 asks: the first Date, Last-Modified and Age line; an invalid
 * Age is CACHE_DELTA_MAX (stale); an invalid or repeated Expires is
 * already expired (4.2.1, 5.3).  CDN-Cache-Control goes to cdn_cc with
 * CACHE_M_CDN_CC when valid and not empty, else CACHE_M_CDN_CC_INVALID
 * when present; nothing else reads it (cache_resp_targeted() does).
 */
void cache_resp_meta_parse(struct cache_resp_meta *r,
                           const struct http_msg *msg, const char *buf,
                           int64_t response_s);

/*
 * The response <r> as a cache reads it (RFC 9213 2.1): one that follows
 * CDN-Cache-Control (<cdn>: its listener's cache-cdn-control) and meets
 * a valid, non-empty one reads that field's directives in place of
 * Cache-Control's and ignores Expires; a copy that says so is made in
 * *tmp and returned.  Otherwise <r> itself.  Every function below takes
 * the result wherever it takes a response.
 */
const struct cache_resp_meta *
cache_resp_targeted(const struct cache_resp_meta *r, bool cdn,
                    struct cache_resp_meta *tmp);

/*
 * May a shared cache store this response to this request (RFC 9111
 * section 3, 3.5)?  Returns CACHE_NS_STORED (0) or the first reason it may
 * not.  <heuristic_max_s> caps heuristic freshness (cache_lifetime()).
 */
enum cache_nostore cache_storable(const struct cache_req_meta *q,
                                  const struct cache_resp_meta *r,
                                  uint32_t heuristic_max_s);

/* The name of <why> ("no_store"), "?" for a value out of range. */
const char *cache_nostore_name(enum cache_nostore why);

/* RFC 9110 15.1: statuses heuristically cacheable (200 203 204 206 300
 * 301 308 404 405 410 414 501). */
bool cache_status_heuristic(unsigned status);

/*
 * Freshness lifetime in a shared cache (RFC 9111 4.2.1, 4.2.2):
 * s-maxage, else max-age, else Expires - Date (0 when Expires is invalid
 * or not after Date), else, when the status is heuristically cacheable or
 * the response is public, 10% of Date - Last-Modified capped at
 * <heuristic_max_s> (0 without Last-Modified).  An invalid or conflicting
 * max-age or s-maxage gives 0 (stale).
 */
uint32_t cache_lifetime(const struct cache_resp_meta *r,
                        uint32_t heuristic_max_s);

/*
 * Current age (RFC 9111 4.2.3) of a response requested at <request_s>,
 * received at <response_s>, at <now_s>: the corrected initial age (the
 * larger of Date's apparent age and Age plus the response delay) plus the
 * time resident in the cache.  Clock steps backwards count as 0.
 */
uint32_t cache_current_age(const struct cache_resp_meta *r, int64_t request_s,
                           int64_t response_s, int64_t now_s);

/*
 * May a stored response of lifetime <lifetime_s> and current age <age_s>
 * be used for a request with directives <req> (RFC 9111 4.2, 5.2.1,
 * 5.2.2; RFC 5861 3)?  Request or response no-cache, a request max-age
 * the age is over, a min-fresh not met, or a stale response with
 * must-revalidate, proxy-revalidate or s-maxage all give
 * CACHE_USE_VALIDATE; a stale one within the request's max-stale gives
 * CACHE_USE_STALE, within the response's stale-while-revalidate
 * CACHE_USE_STALE_SWR.
 */
enum cache_use cache_use_decide(const struct cache_resp_meta *r,
                                const struct cache_cc *req, uint32_t lifetime_s,
                                uint32_t age_s);

/*
 * After validation failed with an error (a 5xx or no answer): may the
 * stale response be served anyway (RFC 5861 4: stale-if-error of the
 * request or the response, the larger window)?  Never with
 * must-revalidate, proxy-revalidate or s-maxage (RFC 9111 5.2.2.2: 504).
 */
bool cache_stale_if_error_ok(const struct cache_resp_meta *r,
                             const struct cache_cc *req, uint32_t lifetime_s,
                             uint32_t age_s);

/*
 * Vary (RFC 9111 4.1): may the response <resp> stored for the request
 * <sreq> be used for the request <nreq>?  True when every field named by
 * the response's Vary lines has matching values in both requests: absent
 * in both, or the same list of elements once the lines are combined and
 * the whitespace around commas and empty elements are dropped (values
 * compared byte for byte; commas inside quoted strings are not
 * separators).  False whenever the Vary is "*" anywhere, lists a name that
 * is no token, or more than CACHE_VARY_NAMES_MAX names.
 */
bool cache_vary_match(const struct http_msg *resp, const char *resp_buf,
                      const struct http_msg *sreq, const char *sreq_buf,
                      const struct http_msg *nreq, const char *nreq_buf);

/*
 * The elements of the list value v[0 .. len) joined by single commas, as
 * cache_vary_match() compares them (the OWS around elements and empty
 * elements dropped; a comma inside a quoted-string is no separator), into
 * out[0 .. cap).  Returns the length written, -EINVAL when an element
 * ends inside a quoted-string (joined, it would swallow the next: lists
 * that do not match could give one string), or -ENOSPC.  Two values give
 * the same string only when their lists match.
 */
int cache_list_join(const char *v, uint32_t len, char *out, uint32_t cap);

/*
 * The names of the response's Vary lines in canonical form into
 * out[0 .. cap): lower case, in the response's order, each once, each
 * followed by '\n'.  Returns the length written (0: no Vary), -EINVAL when
 * the Vary can never match (cache_vary_match()), -ENOSPC.
 */
int cache_vary_names(const struct http_msg *resp, const char *buf, char *out,
                     uint32_t cap);

/*
 * Header <i> of <msg> is never stored (RFC 9110 7.6.1, RFC 9111 3.1):
 * Connection and every field it names, Keep-Alive, Proxy-Connection, TE,
 * Transfer-Encoding, Upgrade, Trailer, Proxy-Authenticate,
 * Proxy-Authorization, Proxy-Authentication-Info; and Set-Cookie,
 * Set-Cookie2 (a response with one is not stored, CACHE_NS_SET_COOKIE: this
 * keeps a 304's out of the stored head).
 */
bool cache_hdr_never_stored(const struct http_msg *msg, const char *buf,
                            unsigned i);

#endif /* GH_CACHE_POLICY_H */
