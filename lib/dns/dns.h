/*
 * A stub resolver (RFC 1034/1035 client side) over the appliance's own UDP:
 * A records only, one per worker.  It keeps a TTL cache of answers and a
 * negative cache (NXDOMAIN, no A record, server failure), sends queries to
 * the configured servers in turn with retries and a timeout, and coalesces
 * lookups of a name already in flight into one query.
 *
 * Waiters are caller-owned (struct dns_waiter, embedded in a proxy
 * session), so a lookup allocates nothing; a caller that goes away before
 * the answer calls dns_cancel().
 *
 * Flow ownership: a query leaves from a local port chosen so that the
 * answer is steered to this worker (params.port_ok, the same owner hash as
 * TCP); the net layer hands dns_input_burst() every UDP datagram the
 * worker owns.
 *
 * Spoofing (RFC 5452): every try of a lookup, first or retry, is a new
 * query with a new random ID from a new random local port, and only an
 * answer from the server of that try, to that port, with that ID and our
 * question is taken.  IDs, ports and the cache's hash seed come from the
 * resolver's own CSPRNG (common/gh_random.h: ChaCha20 keyed from
 * getrandom(2) in dns_create()), not from the clock.
 *
 * Threading: a struct dns_resolver belongs to one worker; every call is
 * made by it.  Nothing here locks, prints or makes a system call except
 * dns_create() (memory, getrandom); memory is taken there only.
 */
#ifndef GH_DNS_H
#define GH_DNS_H

#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "dns/dns_types.h"
#include "net/net_types.h"

/* The counter group of struct dns_counters ("dns"). */
extern const struct stats_group_desc dns_counters_desc;

struct dns_params {
	unsigned worker_id;
	struct net_ctx *net;      /* output: net_ipv4_output() */
	struct rte_mempool *pool; /* mbufs for queries */
	unsigned port_idx;        /* net port the servers are reached by */
	uint32_t local_ip_be;     /* our address on that port */
	unsigned n_servers;       /* 1..DNS_SERVERS_MAX */
	uint32_t server_ip_be[DNS_SERVERS_MAX];
	uint16_t server_port_be;   /* 0: 53 */
	uint32_t timeout_ms;       /* per try, default 1000 (0: default;
	                              at most 60000) */
	uint32_t tries;            /* queries sent per lookup before giving
	                              up, cycling the servers; default 3
	                              (at most 100) */
	uint32_t cache_entries;    /* power of two; default 4096 */
	uint32_t max_pending;      /* lookups in flight, default 256 (at
	                              most 65534) */
	uint32_t min_ttl_s;        /* answers kept at least, default 1 */
	uint32_t max_ttl_s;        /* and at most, default 3600 (at most
	                              604800) */
	uint32_t neg_ttl_s;        /* negative answers kept at most (RFC
	                              2308: min(SOA minimum, this)),
	                              failures min(this, 5); 0: not
	                              cached (no default: the config's is
	                              30) */
	uint16_t port_lo, port_hi; /* local ports, host order; default
	                              61000-65535 */
	/* May this worker use <lport_be> towards <rip_be>:<rport_be> from
	 * <lip_be>?  True when the answer would be steered to it.  NULL:
	 * every port. */
	int (*port_ok)(void *arg, uint32_t lip_be, uint32_t rip_be,
	               uint16_t lport_be, uint16_t rport_be);
	void *port_ok_arg;
	uint64_t tsc_hz;
	uint64_t start_tsc; /* 0: rte_rdtsc(); tests pass their fake clock */
};

/* Create a worker's resolver. Returns NULL and sets errno (EINVAL,
 * ENOMEM, or getrandom's errno when its generator cannot be keyed: no
 * fallback to a weaker seed). */
struct dns_resolver *dns_create(const struct dns_params *p);

/* Free it; waiters still queued are called with -ECANCELED first. NULL is
 * fine. */
void dns_destroy(struct dns_resolver *r);

/*
 * Resolve <name> (<len> bytes, no trailing dot needed, case-insensitive;
 * a dotted-quad IPv4 literal answers itself).  Returns:
 *   0          answered now (cache or literal): *ip_be set, no callback;
 *   1          pending: w->cb(w->arg, status, ip_be) will be called once,
 *              from dns_input() or dns_timer(), unless dns_cancel(w);
 *   -ENOENT    negative cache hit (the name has no A record);
 *   -EIO       negative cache hit: a lookup of the name failed (SERVFAIL,
 *              REFUSED, truncated or malformed answer) less than
 *              min(neg_ttl_s, 5) seconds ago;
 *   -EINVAL    not a valid host name (RFC 1123 labels of [A-Za-z0-9-_],
 *              <= 253 bytes; a name whose last label is all digits must
 *              be a strict dotted quad);
 *   -ENOBUFS   too many lookups in flight, no free local port port_ok
 *              allows, or no mbuf (counted: no_pending, no_port,
 *              no_mbuf).
 * The callback's status: 0 (ip_be set), -ENOENT (NXDOMAIN / no A record),
 * -EIO (SERVFAIL, REFUSED, truncated or malformed answers), -ETIMEDOUT
 * (every try unanswered: not cached), -ECANCELED (dns_destroy).  The
 * caller fills w->cb and w->arg before the call; <w> must not be queued
 * already.  Unless 1 is returned <w> is left unqueued, so dns_cancel(w)
 * is always safe.
 *
 * Callbacks run from dns_input(), dns_timer() or dns_destroy(), after the
 * lookup is cached and released: they may call dns_resolve() (except from
 * dns_destroy) and dns_cancel(), also on other waiters of the same lookup
 * not yet called, but not dns_input(), dns_timer() or dns_destroy().
 */
int dns_resolve(struct dns_resolver *r, const char *name, uint32_t len,
                struct dns_waiter *w, uint32_t *ip_be);

/* Forget a pending waiter: its callback will not be called.  A waiter
 * already called, cancelled or never queued is left alone.  O(waiters
 * of its lookup).  The lookup goes on and its answer is cached. */
void dns_cancel(struct dns_resolver *r, struct dns_waiter *w);

/*
 * A UDP datagram for one of our addresses, owned by this worker: data
 * starts at the Ethernet header, l2_len and l3_len set (IPv4 header
 * checked by the net layer), a single segment.  Consumes <m> in every
 * case.  Returns 0 when it was sent to the local port of a query in
 * flight: taken, or counted bad_answer and dropped (wrong source address
 * or port, bad UDP length or checksum, wrong ID or question, malformed);
 * -ENOENT when no query in flight holds its destination port (not for
 * the resolver, or a late answer to a finished or retried query; the
 * caller counts it).
 */
int dns_input(struct dns_resolver *r, struct rte_mbuf *m);

/* The resolver as lib/net's UDP handler (net_proto_fn,
 * net_proto_register(); <resolver> is the struct dns_resolver):
 * dns_input() on each of the <n> datagrams.  Returns how many it did not
 * take (-ENOENT: the net layer counts them udp_no_consumer). */
unsigned dns_input_burst(void *resolver, unsigned port_idx,
                         struct rte_mbuf **pkts, unsigned n);

/* Retries and timeouts, every millisecond or so; <now_tsc> is also the
 * clock cache expiry is judged by (lookups check it, nothing is swept). */
void dns_timer(struct dns_resolver *r, uint64_t now_tsc);

/* Counters of <r>. */
const struct dns_counters *dns_resolver_counters(const struct dns_resolver *r);

#endif /* GH_DNS_H */
