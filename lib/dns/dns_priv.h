/*
 * Private to lib/dns (dns.c, dns_wire.c): the resolver, its cache and
 * query objects, and the wire-format helpers the two files share.  Tests
 * may include it to look inside.
 *
 * Life of a query: taken from the resolver's fixed pool (free list) by
 * dns_resolve(), keyed by name in a small hash and by local port in the
 * port table, kept on the active list in deadline order (every try moves
 * it to the tail: the timeout is the same for all), and released when an
 * answer, a failure or the last timeout ends it.  Its waiters are
 * detached before it is released and called after, so a callback may
 * start or cancel lookups, even of the same name.
 */
#ifndef GH_DNS_PRIV_H
#define GH_DNS_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "common/gh_common.h"
#include "common/gh_pool.h"
#include "common/gh_random.h"
#include "dns/dns.h"

#define DNS_RESOLVER_MAGIC 0x646e7301u
#define DNS_QUERY_MAGIC    0x646e7102u
#define DNS_DELIVERY_MAGIC 0x646e6403u

#define DNS_PORT           53
#define DNS_HDR_LEN        12
#define DNS_WIRE_MAX       255 /* a name in wire form (RFC 1035 2.3.4) */
#define DNS_LABEL_MAX      63
#define DNS_PTR_MAX        32       /* compression pointers followed per name */
#define DNS_CNAME_MAX      8        /* CNAME links followed per answer */
#define DNS_CACHE_WAYS     4        /* entries per cache bucket */
#define DNS_PORT_TRIES     512      /* local ports tried per query */
#define DNS_FAIL_TTL_S     5        /* failures cached at most this long */
#define DNS_TTL_CAP_S      604800   /* largest max_ttl_s accepted: 1 week */
#define DNS_QUERY_HDR_ROOM (20 + 8) /* IPv4 + UDP */

#define DNS_TYPE_A     1
#define DNS_TYPE_CNAME 5
#define DNS_TYPE_SOA   6
#define DNS_CLASS_IN   1

#define DNS_FLAG_QR     0x8000
#define DNS_FLAG_TC     0x0200
#define DNS_FLAG_RD     0x0100
#define DNS_OPCODE_MASK 0x7800
#define DNS_RCODE_MASK  0x000f
#define DNS_RCODE_OK    0
#define DNS_RCODE_NXDOM 3

/* A cached answer: positive (status 0, ip_be) or negative (status
 * -ENOENT or -EIO).  expire_tsc 0 marks a free entry. */
struct dns_cache_entry {
	uint64_t expire_tsc;
	uint32_t hash;
	uint32_t ip_be;
	int16_t status;
	uint8_t len;
	char name[DNS_NAME_MAX]; /* lowercased, no trailing dot, no NUL */
};

/* A lookup in flight. */
struct dns_query {
	unsigned magic;
	bool in_use;
	uint8_t len;    /* of name */
	uint8_t server; /* index of the server of the current try */
	uint16_t id;    /* of the current try */
	uint16_t lport; /* host order; 0: no port held */
	uint32_t sent;  /* tries made */
	uint32_t hash;  /* of name */
	uint64_t deadline_tsc;
	struct dns_waiter *waiters;
	struct dns_query *hnext;       /* name hash chain */
	struct dns_query *prev, *next; /* active list, deadline order */
	char name[DNS_NAME_MAX + 1];   /* lowercased, NUL-terminated */
};

/*
 * Waiters being called back: dns_query_finish() moves a query's waiters
 * here (on its stack) and points their `query` at it, so dns_cancel()
 * from a callback can still unlink a waiter not yet called.
 */
struct dns_delivery {
	unsigned magic;
	struct dns_waiter *head;
};

struct dns_resolver {
	unsigned magic;
	bool destroying;
	struct dns_params p;
	/* The worker's clock: the TSC of the last dns_timer() call
	 * (start_tsc at creation); expiries and deadlines read it. */
	uint64_t now_tsc;
	uint64_t timeout_tsc;
	struct gh_random rng; /* IDs, ports, hash_seed, ip_id */
	uint32_t hash_seed;
	uint16_t ip_id;
	uint16_t server_port_be;

	uint32_t cache_ways;
	uint32_t cache_bucket_mask;
	struct dns_cache_entry *cache;

	struct dns_query *queries; /* max_pending, qpool's block */
	struct gh_pool qpool;
	struct dns_query *active_head, *active_tail;
	struct dns_query **qhash;
	uint32_t qhash_mask;
	uint16_t *port_q; /* per local port: query index + 1, 0 free */
	uint32_t n_ports; /* port_hi - port_lo + 1 */

	struct dns_counters cnt;
};

/* What an answer says, filled by dns_answer_parse(). */
struct dns_answer {
	int status; /* 0 (ip_be), -ENOENT, -EIO */
	uint32_t ip_be;
	uint32_t ttl_s; /* 0: min over the records used; -ENOENT: from the
	                   SOA when has_soa */
	bool has_soa;
	bool truncated; /* TC set: status -EIO */
	uint8_t rcode;
};

/*
 * Check and normalise a host name of <len> bytes: one trailing dot is
 * dropped, letters lowercased into <out> (DNS_NAME_MAX + 1 bytes, NUL
 * terminated).  Returns the length (1..DNS_NAME_MAX); 0 when the name is
 * a dotted-quad IPv4 literal (*ip_be set); -EINVAL otherwise, also for a
 * name whose last label is numeric but which is not a valid literal
 * ("1.2.3.256", "01.2.3.4": no top-level domain is all digits).
 */
int dns_name_normalise(const char *name, uint32_t len, char *out,
                       uint32_t *ip_be);

/* Write the normalised <name> (<len> bytes) in wire form to <wire>
 * (DNS_WIRE_MAX bytes); returns its length, len + 2. */
uint32_t dns_name_to_wire(const char *name, uint32_t len, uint8_t *wire);

/* Write the DNS message of a query for <name> (normalised, <len> bytes),
 * type A class IN, RD, to <buf>; returns its length, DNS_HDR_LEN + len +
 * 6.  <buf> must hold that many bytes. */
uint32_t dns_query_write(uint8_t *buf, uint16_t id, const char *name,
                         uint32_t len);

/*
 * Parse the DNS message <msg> of <len> bytes as the answer to the query
 * <id> for the name whose wire form is <qwire> (<qwire_len> bytes).
 * Returns 0 and fills <a>; -EBADMSG when the header or the question do not
 * match (not our answer: drop it and keep waiting); -EPROTO when they do
 * but the rest is malformed (the lookup fails with -EIO).
 */
int dns_answer_parse(const uint8_t *msg, uint32_t len, uint16_t id,
                     const uint8_t *qwire, uint32_t qwire_len,
                     struct dns_answer *a);

#endif /* GH_DNS_PRIV_H */
