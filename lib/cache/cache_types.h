/*
 * Types of lib/cache's policy core (cache_policy.h): the Cache-Control
 * directives of one message, the facts a cache reads from a request and a
 * response head, the reasons a response is not stored and the ways a
 * stored response may be used.  Plain values, no pointers into buffers:
 * they can be kept with a stored object after the head is gone.
 */
#ifndef GH_CACHE_TYPES_H
#define GH_CACHE_TYPES_H

#include <stdint.h>

/*
 * delta-seconds (RFC 9111 1.2.2): a value too large to represent is
 * 2147483648 (2^31); every duration here saturates at it, so an age or a
 * lifetime is always in [0, CACHE_DELTA_MAX].
 */
#define CACHE_DELTA_MAX 2147483648u

/* Cache-Control directives (RFC 9111 5.2, RFC 5861): bits of
 * struct cache_cc's flags, invalid and dup. */
#define CACHE_CC_MAX_AGE          0x00000001u
#define CACHE_CC_S_MAXAGE         0x00000002u
#define CACHE_CC_NO_CACHE         0x00000004u
#define CACHE_CC_NO_CACHE_FIELDS  0x00000008u /* no-cache="names" */
#define CACHE_CC_NO_STORE         0x00000010u
#define CACHE_CC_PRIVATE          0x00000020u
#define CACHE_CC_PRIVATE_FIELDS   0x00000040u /* private="names" */
#define CACHE_CC_PUBLIC           0x00000080u
#define CACHE_CC_MUST_REVALIDATE  0x00000100u
#define CACHE_CC_PROXY_REVALIDATE 0x00000200u
#define CACHE_CC_MUST_UNDERSTAND  0x00000400u
#define CACHE_CC_NO_TRANSFORM     0x00000800u
#define CACHE_CC_IMMUTABLE        0x00001000u
#define CACHE_CC_SWR              0x00002000u /* stale-while-revalidate */
#define CACHE_CC_SIE              0x00004000u /* stale-if-error */
#define CACHE_CC_MAX_STALE        0x00008000u
#define CACHE_CC_MIN_FRESH        0x00010000u
#define CACHE_CC_ONLY_IF_CACHED   0x00020000u
#define CACHE_CC_MALFORMED                    \
	0x80000000u /* in invalid: an element \
	               that is no directive */

/*
 * The Cache-Control directives of one message, all its field lines
 * combined (RFC 9110 5.3).  Filled by cache_cc_parse(); the same struct
 * serves requests and responses (each reader looks at its own side's
 * directives).  How malformed and repeated directives are read is
 * written once, in cache_cc.c, and summed up here:
 *  - flags: directives present and usable;
 *  - invalid: directives seen with a value that is not valid for them;
 *  - dup: delta-seconds directives seen more than once with different
 *    values (the value kept is the most restrictive one).
 * Durations are seconds in [0, CACHE_DELTA_MAX], meaningful only when
 * their flag is set; max-stale without a value is CACHE_DELTA_MAX.
 */
struct cache_cc {
	uint32_t flags;
	uint32_t invalid;
	uint32_t dup;
	uint32_t max_age_s;
	uint32_t s_maxage_s;
	uint32_t max_stale_s;
	uint32_t min_fresh_s;
	uint32_t swr_s; /* stale-while-revalidate */
	uint32_t sie_s; /* stale-if-error */
};

/* Flags of struct cache_req_meta and struct cache_resp_meta. */
#define CACHE_M_AUTHORIZATION 0x0001u /* request: an Authorization field */
#define CACHE_M_DATE          0x0002u /* a valid Date (the first line) */
#define CACHE_M_EXPIRES       0x0004u /* an Expires field line */
#define CACHE_M_EXPIRES_INVALID                                       \
	0x0008u                       /* Expires invalid or repeated: \
	                                 already expired (5.3) */
#define CACHE_M_LAST_MODIFIED 0x0010u /* a valid Last-Modified */
#define CACHE_M_AGE           0x0020u /* an Age field line */
#define CACHE_M_ETAG          0x0040u /* an ETag field line */
#define CACHE_M_VARY          0x0080u /* a Vary field line */
#define CACHE_M_VARY_NEVER                        \
	0x0100u /* Vary lists "*", a name that is \
	           no token, or more than         \
	           CACHE_VARY_NAMES_MAX names:    \
	           never matches (4.1) */

#define CACHE_M_SET_COOKIE 0x0200u /* a Set-Cookie or Set-Cookie2 line */
#define CACHE_M_CDN_CC                                  \
	0x0400u /* a valid, non-empty CDN-Cache-Control \
	           (RFC 9213): in cdn_cc */
#define CACHE_M_CDN_CC_INVALID                          \
	0x0800u /* a CDN-Cache-Control that is no valid \
	           Dictionary, or empty: ignored */

/* Most field names a stored Vary may list; past it the response could be
 * matched only at a cost an origin chooses, so it is never matched. */
#define CACHE_VARY_NAMES_MAX 16u

/* What a cache reads from a request head (cache_req_meta_parse()). */
struct cache_req_meta {
	uint8_t method; /* enum http_method */
	uint16_t flags; /* CACHE_M_AUTHORIZATION */
	struct cache_cc cc;
};

/* What a cache reads from a response head (cache_resp_meta_parse()). */
struct cache_resp_meta {
	uint16_t status;
	uint16_t flags;          /* CACHE_M_* */
	uint32_t age_s;          /* Age (first line); CACHE_DELTA_MAX when
	                            invalid or too large; 0 when absent */
	int64_t date_s;          /* Date, or the response time without a
	                            valid one (RFC 9110 6.6.1) */
	int64_t expires_s;       /* valid when CACHE_M_EXPIRES and not
	                            CACHE_M_EXPIRES_INVALID */
	int64_t last_modified_s; /* valid when CACHE_M_LAST_MODIFIED */
	struct cache_cc cc;
	/* CDN-Cache-Control's directives (RFC 9213), when CACHE_M_CDN_CC:
	 * a cache that follows it reads them instead of cc
	 * (cache_resp_targeted()); both are kept, so that listeners that
	 * follow it and listeners that do not can share one stored response */
	struct cache_cc cdn_cc;
};

/*
 * Why a response is not stored (RFC 9111 section 3), declared once for
 * the enum, the names (cache_nostore_name()) and the counters to come:
 * X(ENUM, "name", "help").  CACHE_NS_STORED (0) means it may be stored.
 */
/* clang-format off */
#define CACHE_NOSTORE_REASONS(X)                                              \
	X(STORED,        "stored",        "may be stored")                   \
	X(METHOD,        "method",        "request method not GET or HEAD")  \
	X(STATUS,        "status",        "status not final, or must-understand with a status not understood") \
	X(PARTIAL,       "partial",       "206 or 304: not a whole response (206 not in this piece)") \
	X(REQ_NO_STORE,  "req_no_store",  "request Cache-Control: no-store") \
	X(NO_STORE,      "no_store",      "response Cache-Control: no-store") \
	X(PRIVATE,       "private",       "response Cache-Control: private (shared cache)") \
	X(AUTHORIZATION, "authorization", "request with Authorization, response without public, s-maxage or must-revalidate") \
	X(NO_FRESHNESS,  "no_freshness",  "no explicit expiration, no public, status not heuristically cacheable") \
	X(UNUSABLE,      "unusable",      "stale on arrival, no validator and no stale-* window") \
	X(VARY,          "vary",          "Vary: * or a Vary that can never match") \
	X(SET_COOKIE,    "set_cookie",    "response with Set-Cookie: one user's cookie is never served to another")
/* clang-format on */

#define CACHE_NS_ENUM(e, n, h) CACHE_NS_##e,
enum cache_nostore { CACHE_NOSTORE_REASONS(CACHE_NS_ENUM) CACHE_NS__COUNT };
#undef CACHE_NS_ENUM

_Static_assert(CACHE_NS_STORED == 0, "0 means stored");

/*
 * How a stored response may be used for a request (RFC 9111 4.2, 4.3,
 * 5.2; RFC 5861), from cache_use_decide().
 */
enum cache_use {
	CACHE_USE_FRESH = 0,     /* fresh and acceptable: serve it */
	CACHE_USE_STALE = 1,     /* stale, the request's max-stale allows
	                            it: serve it */
	CACHE_USE_STALE_SWR = 2, /* stale within stale-while-revalidate:
	                            serve it, revalidate in the background */
	CACHE_USE_VALIDATE = 3,  /* validate (4.3) before any use */
};

#endif /* GH_CACHE_TYPES_H */
