/*
 * The per-worker stub resolver (see dns.h): cache, lookups in flight,
 * query output, answer input, retries and timeouts.
 *
 * Every try of a lookup is a fresh query: a new random ID and a new local
 * port (RFC 5452 9.2: both are what an off-path spoofer must guess), the
 * port picked among those port_ok() steers back to this worker for the
 * server of that try.  An answer is taken only from that server's address
 * and port, to that port, with that ID and our question; anything else
 * aimed at a port we hold is counted bad_answer and dropped.  An answer
 * to an earlier try arriving after a retry finds its port released and is
 * not for the resolver (-ENOENT): the retry's answer will do.
 *
 * The cache is a table of cache_entries slots in buckets of
 * DNS_CACHE_WAYS, keyed by a seeded hash of the lowercased name (the
 * names come from clients' Host headers: the seed keeps them from aiming
 * at one bucket).  A full bucket gives up its entry closest to expiry.
 * Lookups check expiry, so dns_timer() never sweeps the cache.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_ip.h>
#include <rte_jhash.h>
#include <rte_udp.h>

#include "dns/dns_priv.h"
#include "net/net.h"

static const struct stats_counter_desc dns_descs[] = {DNS_COUNTERS(STATS_DESC)};
const struct stats_group_desc dns_counters_desc = {"dns", dns_descs,
                                                   GH_ARRAY_SIZE(dns_descs)};
_Static_assert(sizeof(struct dns_counters) ==
                   GH_ARRAY_SIZE(dns_descs) * sizeof(uint64_t),
               "dns counters and descriptors out of step");

/* The resolver's CSPRNG (gh_random: ChaCha20 keyed from getrandom). */
static uint64_t
dns_rand(struct dns_resolver *r)
{
	return gh_random_u64(&r->rng);
}

static uint32_t
dns_hash(const struct dns_resolver *r, const char *name, uint32_t len)
{
	return rte_jhash(name, len, r->hash_seed);
}

static uint64_t
dns_ttl_tsc(const struct dns_resolver *r, uint32_t ttl_s)
{
	return (uint64_t)ttl_s * r->p.tsc_hz;
}

/* ---- cache ---- */

static struct dns_cache_entry *
dns_cache_bucket(struct dns_resolver *r, uint32_t hash)
{
	return &r->cache[(hash & r->cache_bucket_mask) * r->cache_ways];
}

/* The live entry of <name>, or NULL; an expired one is freed on the way. */
static struct dns_cache_entry *
dns_cache_lookup(struct dns_resolver *r, const char *name, uint32_t len,
                 uint32_t hash)
{
	struct dns_cache_entry *b = dns_cache_bucket(r, hash);
	uint32_t i;

	for (i = 0; i < r->cache_ways; i++) {
		struct dns_cache_entry *e = &b[i];

		if (e->expire_tsc == 0 || e->hash != hash || e->len != len ||
		    memcmp(e->name, name, len) != 0)
			continue;
		if (e->expire_tsc <= r->now_tsc) {
			e->expire_tsc = 0;
			return NULL;
		}
		return e;
	}
	return NULL;
}

/* Remember <status>/<ip_be> for <name> for <ttl_s> seconds (0: not at
 * all). */
static void
dns_cache_insert(struct dns_resolver *r, const char *name, uint32_t len,
                 uint32_t hash, int status, uint32_t ip_be, uint32_t ttl_s)
{
	struct dns_cache_entry *b = dns_cache_bucket(r, hash), *e;
	uint32_t i;

	if (ttl_s == 0)
		return;
	/* the name's own entry, else a free or expired one, else the live
	 * entry closest to expiry */
	e = dns_cache_lookup(r, name, len, hash);
	for (i = 0; e == NULL && i < r->cache_ways; i++)
		if (b[i].expire_tsc <= r->now_tsc)
			e = &b[i];
	if (e == NULL) {
		e = &b[0];
		for (i = 1; i < r->cache_ways; i++)
			if (b[i].expire_tsc < e->expire_tsc)
				e = &b[i];
		r->cnt.cache_evictions++;
	}
	GH_ASSERT(len <= DNS_NAME_MAX);
	e->hash = hash;
	e->len = (uint8_t)len;
	memcpy(e->name, name, len);
	e->status = (int16_t)status;
	e->ip_be = ip_be;
	e->expire_tsc = r->now_tsc + dns_ttl_tsc(r, ttl_s);
}

/* ---- queries in flight ---- */

static uint32_t
dns_query_index(const struct dns_resolver *r, const struct dns_query *q)
{
	return (uint32_t)(q - r->queries);
}

static struct dns_query *
dns_pending_lookup(struct dns_resolver *r, const char *name, uint32_t len,
                   uint32_t hash)
{
	struct dns_query *q;
	uint32_t i;

	q = r->qhash[hash & r->qhash_mask];
	for (i = 0; q != NULL && i < r->p.max_pending; i++, q = q->hnext)
		if (q->hash == hash && q->len == len &&
		    memcmp(q->name, name, len) == 0)
			return q;
	return NULL;
}

static void
dns_active_unlink(struct dns_resolver *r, struct dns_query *q)
{
	if (q->prev != NULL)
		q->prev->next = q->next;
	else if (r->active_head == q)
		r->active_head = q->next;
	if (q->next != NULL)
		q->next->prev = q->prev;
	else if (r->active_tail == q)
		r->active_tail = q->prev;
	q->prev = q->next = NULL;
}

static void
dns_active_append(struct dns_resolver *r, struct dns_query *q)
{
	q->next = NULL;
	q->prev = r->active_tail;
	if (r->active_tail != NULL)
		r->active_tail->next = q;
	else
		r->active_head = q;
	r->active_tail = q;
}

static void
dns_port_release(struct dns_resolver *r, struct dns_query *q)
{
	if (q->lport == 0)
		return;
	GH_VERIFY(r->port_q[q->lport - r->p.port_lo] ==
	          dns_query_index(r, q) + 1);
	r->port_q[q->lport - r->p.port_lo] = 0;
	q->lport = 0;
}

/*
 * Hold a local port for the current try of <q>: from a random point of
 * the range, the first free port port_ok() allows towards the server,
 * trying at most DNS_PORT_TRIES.  Returns 0 or -EADDRINUSE.
 */
static int
dns_port_pick(struct dns_resolver *r, struct dns_query *q)
{
	uint32_t start = gh_random_uniform(&r->rng, r->n_ports);
	uint32_t i, n = RTE_MIN(r->n_ports, (uint32_t)DNS_PORT_TRIES);
	uint32_t rip = r->p.server_ip_be[q->server];

	GH_ASSERT(q->lport == 0);
	for (i = 0; i < n; i++) {
		uint32_t k = (start + i) % r->n_ports;
		uint16_t port = (uint16_t)(r->p.port_lo + k);

		if (r->port_q[k] != 0)
			continue;
		if (r->p.port_ok != NULL &&
		    !r->p.port_ok(r->p.port_ok_arg, r->p.local_ip_be, rip,
		                  rte_cpu_to_be_16(port), r->server_port_be))
			continue;
		r->port_q[k] = (uint16_t)(dns_query_index(r, q) + 1);
		q->lport = port;
		return 0;
	}
	return -EADDRINUSE;
}

/* Build the IPv4/UDP/DNS packet of <q>'s current try (data at the IPv4
 * header, headroom for Ethernet).  Returns NULL when the pool is empty. */
static struct rte_mbuf *
dns_query_mbuf(struct dns_resolver *r, const struct dns_query *q)
{
	uint32_t dlen = DNS_HDR_LEN + q->len + 6u;
	uint16_t tot = (uint16_t)(DNS_QUERY_HDR_ROOM + dlen);
	struct rte_ipv4_hdr *ih;
	struct rte_udp_hdr *uh;
	struct rte_mbuf *m;

	m = rte_pktmbuf_alloc(r->p.pool);
	if (m == NULL)
		return NULL;
	if (rte_pktmbuf_headroom(m) < RTE_ETHER_HDR_LEN ||
	    (ih = (struct rte_ipv4_hdr *)rte_pktmbuf_append(m, tot)) == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	uh = (struct rte_udp_hdr *)(ih + 1);
	memset(ih, 0, sizeof(*ih));
	ih->version_ihl = 0x45;
	ih->total_length = rte_cpu_to_be_16(tot);
	ih->packet_id = rte_cpu_to_be_16(r->ip_id);
	ih->fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
	ih->time_to_live = 64;
	ih->next_proto_id = IPPROTO_UDP;
	ih->src_addr = r->p.local_ip_be;
	ih->dst_addr = r->p.server_ip_be[q->server];
	ih->hdr_checksum = rte_ipv4_cksum(ih);
	uh->src_port = rte_cpu_to_be_16(q->lport);
	uh->dst_port = r->server_port_be;
	uh->dgram_len = rte_cpu_to_be_16((uint16_t)(8 + dlen));
	uh->dgram_cksum = 0;
	GH_VERIFY(dns_query_write((uint8_t *)(uh + 1), q->id, q->name,
	                          q->len) == dlen);
	/* contiguous single segment: the plain (non-mbuf) helper is right */
	uh->dgram_cksum = rte_ipv4_udptcp_cksum(ih, uh);
	r->ip_id++;
	m->l3_len = sizeof(*ih);
	m->l4_len = sizeof(*uh);
	return m;
}

/*
 * Make a try of <q> to server q->server: new port, new ID, deadline one
 * timeout from now (the try counts even when it cannot leave, so a lookup
 * always ends).  Returns 0 when the query was handed to the network
 * layer (which may still drop it: send_error), -ENOBUFS when no port or
 * no mbuf was found (counted).
 */
static int
dns_query_send(struct dns_resolver *r, struct dns_query *q)
{
	struct rte_mbuf *m;

	q->sent++;
	q->deadline_tsc = r->now_tsc + r->timeout_tsc;
	dns_active_unlink(r, q);
	dns_active_append(r, q);
	dns_port_release(r, q);
	if (dns_port_pick(r, q) < 0) {
		r->cnt.no_port++;
		return -ENOBUFS;
	}
	q->id = (uint16_t)(dns_rand(r) >> 48);
	m = dns_query_mbuf(r, q);
	if (m == NULL) {
		r->cnt.no_mbuf++;
		dns_port_release(r, q);
		return -ENOBUFS;
	}
	r->cnt.queries_sent++;
	if (net_ipv4_output(r->p.net, r->p.port_idx, m,
	                    r->p.server_ip_be[q->server]) < 0)
		r->cnt.send_error++;
	return 0;
}

/* Give <q> back to the free list; its waiters must be gone. */
static void
dns_query_release(struct dns_resolver *r, struct dns_query *q)
{
	struct dns_query **pp = &r->qhash[q->hash & r->qhash_mask];
	uint32_t i;

	GH_CHECK_OBJ(q, DNS_QUERY_MAGIC);
	GH_VERIFY(q->in_use && q->waiters == NULL);
	for (i = 0; *pp != NULL && *pp != q && i < r->p.max_pending; i++)
		pp = &(*pp)->hnext;
	GH_VERIFY(*pp == q);
	*pp = q->hnext;
	dns_active_unlink(r, q);
	dns_port_release(r, q);
	q->in_use = false;
	q->hnext = NULL;
	gh_pool_put(&r->qpool, q);
}

/*
 * End <q> with <status>/<ip_be>: cache the result for <ttl_s> seconds
 * (0: not cached), release the query, then call its waiters.  They are
 * moved to a delivery list on this stack frame first, so their callbacks
 * may start lookups (even of this name: the cache answers), cancel
 * waiters of the list not yet called, or reuse the query object.
 */
static void
dns_query_finish(struct dns_resolver *r, struct dns_query *q, int status,
                 uint32_t ip_be, uint32_t ttl_s)
{
	struct dns_delivery d = {DNS_DELIVERY_MAGIC, q->waiters};
	struct dns_waiter *w;

	q->waiters = NULL;
	for (w = d.head; w != NULL; w = w->next)
		w->query = &d;
	dns_cache_insert(r, q->name, q->len, q->hash, status, ip_be, ttl_s);
	dns_query_release(r, q);
	while ((w = d.head) != NULL) {
		d.head = w->next;
		w->next = NULL;
		w->query = NULL;
		w->cb(w->arg, status, ip_be);
	}
	d.magic = 0;
}

/* ---- API ---- */

/* Fill the defaults of <p> and check it. Returns 0 or -EINVAL. */
static int
dns_params_check(struct dns_params *p)
{
	unsigned i;

	if (p->server_port_be == 0)
		p->server_port_be = RTE_BE16(DNS_PORT);
	if (p->timeout_ms == 0)
		p->timeout_ms = 1000;
	if (p->tries == 0)
		p->tries = 3;
	if (p->cache_entries == 0)
		p->cache_entries = 4096;
	if (p->max_pending == 0)
		p->max_pending = 256;
	if (p->min_ttl_s == 0)
		p->min_ttl_s = 1;
	if (p->max_ttl_s == 0)
		p->max_ttl_s = 3600;
	if (p->port_lo == 0 && p->port_hi == 0) {
		p->port_lo = 61000;
		p->port_hi = 65535;
	}
	if (p->net == NULL || p->pool == NULL || p->tsc_hz == 0 ||
	    p->n_servers == 0 || p->n_servers > DNS_SERVERS_MAX ||
	    p->local_ip_be == 0 || p->port_idx >= NET_PORTS_MAX)
		return -EINVAL;
	for (i = 0; i < p->n_servers; i++)
		if (p->server_ip_be[i] == 0)
			return -EINVAL;
	if (!rte_is_power_of_2(p->cache_entries) ||
	    p->max_pending > UINT16_MAX - 1 || p->min_ttl_s > p->max_ttl_s ||
	    p->max_ttl_s > DNS_TTL_CAP_S || p->neg_ttl_s > DNS_TTL_CAP_S ||
	    p->port_lo == 0 || p->port_lo > p->port_hi ||
	    p->timeout_ms > 60000 || p->tries > 100)
		return -EINVAL;
	return 0;
}

struct dns_resolver *
dns_create(const struct dns_params *params)
{
	struct dns_resolver *r = NULL;
	struct dns_params p;
	uint32_t nq;
	int err = ENOMEM, rc;

	if (params == NULL) {
		errno = EINVAL;
		return NULL;
	}
	p = *params;
	if (dns_params_check(&p) < 0) {
		err = EINVAL;
		goto fail;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		goto fail;
	r->magic = DNS_RESOLVER_MAGIC;
	r->p = p;
	r->server_port_be = p.server_port_be;
	r->now_tsc = p.start_tsc != 0 ? p.start_tsc : rte_rdtsc();
	r->timeout_tsc =
	    RTE_MAX((uint64_t)p.timeout_ms * p.tsc_hz / 1000, 1ull);
	rc = gh_random_init(&r->rng);
	if (rc < 0) {
		err = -rc;
		goto fail;
	}
	r->hash_seed = (uint32_t)dns_rand(r);
	r->ip_id = (uint16_t)dns_rand(r);

	r->cache_ways = RTE_MIN(p.cache_entries, (uint32_t)DNS_CACHE_WAYS);
	r->cache_bucket_mask = p.cache_entries / r->cache_ways - 1;
	r->cache = calloc(p.cache_entries, sizeof(*r->cache));
	r->queries =
	    calloc(1, gh_pool_bytes(p.max_pending, sizeof(struct dns_query)));
	nq = rte_align32pow2(p.max_pending * 2);
	r->qhash_mask = nq - 1;
	r->qhash = calloc(nq, sizeof(*r->qhash));
	r->n_ports = (uint32_t)p.port_hi - p.port_lo + 1;
	r->port_q = calloc(r->n_ports, sizeof(*r->port_q));
	if (r->cache == NULL || r->queries == NULL || r->qhash == NULL ||
	    r->port_q == NULL ||
	    gh_pool_init(&r->qpool, r->queries, p.max_pending,
	                 sizeof(struct dns_query)) < 0)
		goto fail;
	return r;
fail:
	if (r != NULL) {
		free(r->cache);
		free(r->queries);
		free(r->qhash);
		free(r->port_q);
		gh_random_fini(&r->rng);
		free(r);
	}
	errno = err;
	return NULL;
}

void
dns_destroy(struct dns_resolver *r)
{
	uint32_t i;

	if (r == NULL)
		return;
	GH_CHECK_OBJ(r, DNS_RESOLVER_MAGIC);
	r->destroying = true;
	for (i = 0; i < r->p.max_pending; i++)
		if (r->queries[i].in_use)
			dns_query_finish(r, &r->queries[i], -ECANCELED, 0, 0);
	r->magic = 0;
	gh_random_fini(&r->rng);
	free(r->cache);
	free(r->queries);
	free(r->qhash);
	free(r->port_q);
	free(r);
}

int
dns_resolve(struct dns_resolver *r, const char *name, uint32_t len,
            struct dns_waiter *w, uint32_t *ip_be)
{
	/* whole words: rte_jhash reads the last one whole */
	char norm[RTE_ALIGN_CEIL(DNS_NAME_MAX + 1, 8)];
	struct dns_cache_entry *e;
	struct dns_query *q;
	uint32_t hash;
	int n;

	GH_CHECK_OBJ_NOTNULL(r, DNS_RESOLVER_MAGIC);
	GH_VERIFY(!r->destroying);
	GH_VERIFY(w != NULL && w->cb != NULL && ip_be != NULL);
	w->next = NULL;
	w->query = NULL;
	r->cnt.lookups++;
	n = dns_name_normalise(name, len, norm, ip_be);
	if (n == 0) {
		r->cnt.literals++;
		return 0;
	}
	if (n < 0) {
		r->cnt.bad_name++;
		return -EINVAL;
	}
	hash = dns_hash(r, norm, (uint32_t)n);
	e = dns_cache_lookup(r, norm, (uint32_t)n, hash);
	if (e != NULL) {
		if (e->status == 0) {
			r->cnt.cache_hits++;
			*ip_be = e->ip_be;
			return 0;
		}
		r->cnt.neg_cache_hits++;
		return e->status;
	}
	q = dns_pending_lookup(r, norm, (uint32_t)n, hash);
	if (q != NULL) {
		r->cnt.coalesced++;
		w->next = q->waiters;
		q->waiters = w;
		w->query = q;
		return 1;
	}
	q = gh_pool_get(&r->qpool);
	if (q == NULL) {
		r->cnt.no_pending++;
		return -ENOBUFS;
	}
	/* zero the first time it is handed out; it keeps its magic after */
	GH_VERIFY(q->magic == 0 || q->magic == DNS_QUERY_MAGIC);
	GH_VERIFY(!q->in_use);
	q->magic = DNS_QUERY_MAGIC;
	q->in_use = true;
	q->len = (uint8_t)n;
	memcpy(q->name, norm, (size_t)n + 1);
	q->hash = hash;
	q->server = 0;
	q->sent = 0;
	q->lport = 0;
	q->waiters = NULL;
	q->prev = q->next = NULL;
	q->hnext = r->qhash[hash & r->qhash_mask];
	r->qhash[hash & r->qhash_mask] = q;
	if (dns_query_send(r, q) < 0) {
		dns_query_release(r, q);
		return -ENOBUFS;
	}
	q->waiters = w;
	w->query = q;
	return 1;
}

void
dns_cancel(struct dns_resolver *r, struct dns_waiter *w)
{
	struct dns_waiter **pp;
	unsigned magic;

	GH_CHECK_OBJ_NOTNULL(r, DNS_RESOLVER_MAGIC);
	GH_VERIFY(w != NULL);
	if (w->query == NULL)
		return; /* answered, never queued, or cancelled already */
	magic = *(const unsigned *)w->query;
	if (magic == DNS_QUERY_MAGIC) {
		struct dns_query *q = w->query;

		GH_VERIFY(q->in_use);
		pp = &q->waiters;
	} else {
		struct dns_delivery *d = w->query;

		GH_CHECK_OBJ(d, DNS_DELIVERY_MAGIC);
		pp = &d->head;
	}
	while (*pp != NULL && *pp != w)
		pp = &(*pp)->next;
	GH_VERIFY(*pp == w);
	*pp = w->next;
	w->next = NULL;
	w->query = NULL;
}

/* The TTL an answer <a> is cached for, per the resolver's bounds. */
static uint32_t
dns_answer_ttl(const struct dns_resolver *r, const struct dns_answer *a)
{
	uint32_t ttl;

	if (a->status == 0) {
		ttl = RTE_MIN(a->ttl_s, r->p.max_ttl_s);
		return RTE_MAX(ttl, r->p.min_ttl_s);
	}
	if (a->status == -ENOENT)
		return a->has_soa ? RTE_MIN(a->ttl_s, r->p.neg_ttl_s)
		                  : r->p.neg_ttl_s;
	return RTE_MIN(r->p.neg_ttl_s, (uint32_t)DNS_FAIL_TTL_S);
}

/* Internet checksum of a UDP datagram <uh> of <ulen> bytes in <ih>;
 * 0xffff when right. */
static uint16_t
dns_udp_cksum(const struct rte_ipv4_hdr *ih, const struct rte_udp_hdr *uh,
              uint32_t ulen)
{
	uint32_t s = rte_raw_cksum(uh, ulen);

	s += rte_ipv4_phdr_cksum(ih, 0);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

int
dns_input(struct dns_resolver *r, struct rte_mbuf *m)
{
	const struct rte_ipv4_hdr *ih;
	const struct rte_udp_hdr *uh;
	struct dns_answer a;
	struct dns_query *q;
	uint8_t qwire[DNS_WIRE_MAX];
	uint32_t l2, l3, dlen, tot, ulen, qwlen, k, ttl;
	uint16_t lport;
	int rc = -ENOENT, prc;

	GH_CHECK_OBJ_NOTNULL(r, DNS_RESOLVER_MAGIC);
	GH_VERIFY(m != NULL);
	l2 = m->l2_len;
	l3 = m->l3_len;
	dlen = rte_pktmbuf_data_len(m);
	if (m->nb_segs != 1 || l3 < sizeof(*ih) || l2 + l3 + sizeof(*uh) > dlen)
		goto out;
	ih = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, l2);
	uh = rte_pktmbuf_mtod_offset(m, const struct rte_udp_hdr *, l2 + l3);
	if (ih->next_proto_id != IPPROTO_UDP)
		goto out;
	lport = rte_be_to_cpu_16(uh->dst_port);
	if (lport < r->p.port_lo || lport > r->p.port_hi)
		goto out;
	k = r->port_q[lport - r->p.port_lo];
	if (k == 0)
		goto out;
	/* aimed at a query of ours: from here on it is ours to count */
	rc = 0;
	q = &r->queries[k - 1];
	GH_CHECK_OBJ(q, DNS_QUERY_MAGIC);
	GH_VERIFY(q->in_use && q->lport == lport);
	tot = rte_be_to_cpu_16(ih->total_length);
	ulen = rte_be_to_cpu_16(uh->dgram_len);
	if (ih->src_addr != r->p.server_ip_be[q->server] ||
	    uh->src_port != r->server_port_be ||
	    ih->dst_addr != r->p.local_ip_be || tot < l3 || l2 + tot > dlen ||
	    ulen != tot - l3 || ulen < sizeof(*uh) ||
	    (uh->dgram_cksum != 0 && dns_udp_cksum(ih, uh, ulen) != 0xffff)) {
		r->cnt.bad_answer++;
		goto out;
	}
	qwlen = dns_name_to_wire(q->name, q->len, qwire);
	prc = dns_answer_parse((const uint8_t *)(uh + 1),
	                       ulen - (uint32_t)sizeof(*uh), q->id, qwire,
	                       qwlen, &a);
	if (prc == -EBADMSG) {
		r->cnt.bad_answer++;
		goto out;
	}
	r->cnt.answers++;
	if (prc < 0) {
		/* our question answered, the rest malformed: fail the lookup
		 * rather than wait for a better one that will not come */
		r->cnt.bad_answer++;
		a.status = -EIO;
		a.ip_be = 0;
	}
	if (a.truncated)
		r->cnt.truncated++;
	if (a.status == 0)
		r->cnt.answers_a++;
	else if (a.status == -ENOENT)
		r->cnt.nxdomain++;
	else
		r->cnt.servfail++;
	ttl = dns_answer_ttl(r, &a);
	dns_query_finish(r, q, a.status, a.ip_be, ttl);
out:
	rte_pktmbuf_free(m);
	return rc;
}

unsigned
dns_input_burst(void *resolver, unsigned port_idx, struct rte_mbuf **pkts,
                unsigned n)
{
	unsigned i, refused = 0;

	(void)port_idx;
	for (i = 0; i < n; i++)
		if (dns_input(resolver, pkts[i]) < 0)
			refused++;
	return refused;
}

void
dns_timer(struct dns_resolver *r, uint64_t now_tsc)
{
	struct dns_query *q;
	uint32_t i, bound;

	GH_CHECK_OBJ_NOTNULL(r, DNS_RESOLVER_MAGIC);
	r->now_tsc = now_tsc;
	/* a query is either ended or moved behind now: bounded by the pool,
	 * twice for the lookups callbacks may start (due later than now) */
	bound = 2 * r->p.max_pending;
	for (i = 0; i < bound; i++) {
		q = r->active_head;
		if (q == NULL || q->deadline_tsc > now_tsc)
			break;
		GH_CHECK_OBJ(q, DNS_QUERY_MAGIC);
		if (q->sent >= r->p.tries) {
			r->cnt.timeouts++;
			dns_query_finish(r, q, -ETIMEDOUT, 0, 0);
			continue;
		}
		q->server = (uint8_t)((q->server + 1) % r->p.n_servers);
		r->cnt.retries++;
		(void)dns_query_send(r, q); /* counted; the try is spent */
	}
}

const struct dns_counters *
dns_resolver_counters(const struct dns_resolver *r)
{
	GH_CHECK_OBJ_NOTNULL(r, DNS_RESOLVER_MAGIC);
	return &r->cnt;
}
