/*
 * Types of lib/dns (see dns.h).
 */
#ifndef GH_DNS_TYPES_H
#define GH_DNS_TYPES_H

#include <stdint.h>

#include "stats/stats_types.h"

#define DNS_SERVERS_MAX 4
#define DNS_NAME_MAX    253

struct dns_resolver; /* opaque, per worker */

/* A caller waiting for an answer; embedded in the caller's object. */
struct dns_waiter {
	void (*cb)(void *arg, int status, uint32_t ip_be);
	void *arg;
	struct dns_waiter *next; /* private */
	void *query;             /* private: the lookup it waits on */
};

/* clang-format off */
#define DNS_COUNTERS(X)                                                       \
	X(lookups,         "lookups asked for")                               \
	X(cache_hits,      "lookups answered from the cache")                 \
	X(neg_cache_hits,  "lookups answered from the negative cache")        \
	X(literals,        "lookups of an IPv4 literal")                      \
	X(coalesced,       "lookups joined to a query already in flight")     \
	X(queries_sent,    "queries sent (first tries and retries)")          \
	X(retries,         "queries re-sent after a timeout")                 \
	X(answers,         "answers matched to a query")                      \
	X(answers_a,       "lookups resolved to an address")                  \
	X(nxdomain,        "lookups answered NXDOMAIN or without an A record") \
	X(servfail,        "lookups failed: SERVFAIL, REFUSED, other rcode, truncated or malformed answer") \
	X(timeouts,        "lookups failed: every try unanswered")            \
	X(bad_answer,      "datagrams dropped: malformed or mismatched answer") \
	X(no_pending,      "lookups refused: too many in flight")             \
	X(no_mbuf,         "queries not sent: mbuf pool empty")               \
	X(send_error,      "queries not sent: net output refused")            \
	X(cache_evictions, "cache entries replaced before expiry")            \
	X(bad_name,        "lookups refused: not a valid host name")         \
	X(no_port,         "queries not sent: no free local port this worker owns") \
	X(truncated,       "answers truncated (TC): lookup failed, no TCP fallback")
/* clang-format on */

struct dns_counters {
	DNS_COUNTERS(STATS_FIELD)
};

#endif /* GH_DNS_TYPES_H */
