/*
 * The stub resolver end to end on one worker: a net_ctx with one port and
 * the two servers as resolved neighbours, queries read back from the
 * port's txbuf and checked on the wire, answers crafted byte by byte and
 * handed to dns_input(), time moved with dns_timer() on a fake clock.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "common/gh_common.h"
#include "dns/dns.h"
#include "dns/dns_priv.h"
#include "net/net.h"
#include "tests/unit/common/gh_test_cksum.h"
#include "tests/unit/common/gh_test_eal.h"

#define HZ        1000000ull /* 1 tick = 1 us */
#define T0        1000000000000ull
#define POOL_SIZE 511

/* RTE_IPV4 of 22.11 shifts ints: 198 << 24 overflows */
#define IP(a, b, c, d)                                       \
	RTE_BE32((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | \
	         (uint32_t)(c) << 8 | (uint32_t)(d))
#define LOCAL_IP  IP(10, 0, 0, 1)
#define S1_IP     IP(10, 0, 0, 53)
#define S2_IP     IP(10, 0, 0, 54)
#define OTHER_IP  IP(10, 0, 0, 99)
#define ANSWER_IP IP(93, 184, 216, 34)

static const struct rte_ether_addr mac_local = {{2, 0, 0, 0, 0, 1}};
static const struct rte_ether_addr mac_server = {{2, 0, 0, 0, 0, 0x53}};

static struct rte_mempool *pool, *tiny_pool;
static struct net_ctx net;
static struct dns_resolver *r;
static struct dns_params prm;

/* ---- set-up ---- */

static void
defaults(struct dns_params *p)
{
	memset(p, 0, sizeof(*p));
	p->net = &net;
	p->pool = pool;
	p->port_idx = 0;
	p->local_ip_be = LOCAL_IP;
	p->n_servers = 2;
	p->server_ip_be[0] = S1_IP;
	p->server_ip_be[1] = S2_IP;
	p->timeout_ms = 1000;
	p->tries = 3;
	p->cache_entries = 64;
	p->neg_ttl_s = 30;
	p->max_pending = 8;
	p->port_lo = 61000;
	p->port_hi = 61999;
	p->tsc_hz = HZ;
	p->start_tsc = T0;
}

static void
start(void (*tweak)(struct dns_params *p))
{
	if (r != NULL)
		dns_destroy(r);
	defaults(&prm);
	if (tweak != NULL)
		tweak(&prm);
	r = dns_create(&prm);
	cr_assert_not_null(r, "dns_create: errno %d", errno);
}

static void
setup(void)
{
	struct net_params np = {
	    .pool = NULL,
	    .tsc_hz = HZ,
	    .arp_entry_ttl_s = 1000000,
	    .arp_pending_max = 8,
	    .arp_pending_timeout_ms = 1000,
	};

	gh_test_eal_start(64);
	if (pool == NULL) {
		pool = rte_pktmbuf_pool_create("dns_pool", POOL_SIZE, 0, 0,
		                               RTE_MBUF_DEFAULT_BUF_SIZE,
		                               SOCKET_ID_ANY);
		cr_assert_not_null(pool);
	}
	np.pool = pool;
	memset(&net, 0, sizeof(net));
	cr_assert_eq(net_ctx_init(&net, &np), 0);
	cr_assert_eq(net_port_add(&net, 0, &mac_local, LOCAL_IP, 24, 0, 1500),
	             0);
	net_timer(&net, T0);
	net_neigh_update(&net, 0, S1_IP, &mac_server);
	net_neigh_update(&net, 0, S2_IP, &mac_server);
	r = NULL;
	start(NULL);
}

static void
tx_clear(void)
{
	struct net_txbuf *tb = net_port_txbuf(&net, 0);
	unsigned i;

	for (i = 0; i < tb->n; i++)
		rte_pktmbuf_free(tb->pkts[i]);
	tb->n = 0;
}

static void
teardown(void)
{
	dns_destroy(r);
	r = NULL;
	tx_clear();
	if (pool != NULL)
		cr_assert_eq(rte_mempool_avail_count(pool), POOL_SIZE,
		             "mbuf leak: %u of %u back in the pool",
		             rte_mempool_avail_count(pool), POOL_SIZE);
}

TestSuite(dns, .init = setup, .fini = teardown);

/* Move the clock to <ms> after T0. */
static void
clock_ms(uint64_t ms)
{
	net_timer(&net, T0 + ms * (HZ / 1000));
	dns_timer(r, T0 + ms * (HZ / 1000));
}

static uint64_t
cnt(const char *name)
{
	const uint64_t *v = (const uint64_t *)dns_resolver_counters(r);
	unsigned i;

	for (i = 0; i < dns_counters_desc.n; i++)
		if (strcmp(dns_counters_desc.counters[i].name, name) == 0)
			return v[i];
	cr_assert_fail("no counter dns.%s", name);
	return 0;
}

/* ---- waiters ---- */

struct rec {
	struct dns_waiter w;
	int calls;
	int status;
	uint32_t ip;
	void (*then)(struct rec *);
};

static void
rec_cb(void *arg, int status, uint32_t ip_be)
{
	struct rec *c = arg;

	c->calls++;
	c->status = status;
	c->ip = ip_be;
	if (c->then != NULL)
		c->then(c);
}

static int
resolve(const char *name, struct rec *c)
{
	uint32_t ip = 0;
	int rc;

	cr_assert_null(c->w.query, "test bug: reusing a waiter still queued");
	memset(c, 0, sizeof(*c));
	c->w.cb = rec_cb;
	c->w.arg = c;
	rc = dns_resolve(r, name, (uint32_t)strlen(name), &c->w, &ip);
	c->ip = ip;
	return rc;
}

/* ---- the wire ---- */

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* A query as it left. */
struct q {
	uint32_t src, dst;
	uint16_t sport, dport;
	uint16_t id, flags;
	uint8_t qname[256];
	uint32_t qname_len;
	char name[256]; /* dotted */
};

static unsigned
tx_n(void)
{
	return net_port_txbuf(&net, 0)->n;
}

/* Frame <i> of the txbuf, checked as a query on the wire. */
static void
tx_query(unsigned i, struct q *q)
{
	struct net_txbuf *tb = net_port_txbuf(&net, 0);
	const uint8_t *f, *ip, *uh, *d;
	uint32_t n, tot, ulen, ps, o, k;

	cr_assert_lt(i, tb->n, "want frame %u of %u", i, tb->n);
	cr_assert_eq(tb->pkts[i]->nb_segs, 1);
	f = rte_pktmbuf_mtod(tb->pkts[i], const uint8_t *);
	n = rte_pktmbuf_pkt_len(tb->pkts[i]);
	memset(q, 0, sizeof(*q));
	cr_assert_geq(n, 14 + 20 + 8 + 12 + 5);
	cr_assert_eq(memcmp(f, &mac_server, 6), 0);
	cr_assert_eq(rd16(f + 12), 0x0800);
	ip = f + 14;
	cr_assert_eq(ip[0], 0x45);
	tot = rd16(ip + 2);
	cr_assert_eq(14 + tot, n);
	cr_assert_eq(rd16(ip + 6), 0x4000, "DF, not fragmented");
	cr_assert_eq(ip[8], 64, "TTL");
	cr_assert_eq(ip[9], IPPROTO_UDP);
	cr_assert_eq(gh_test_cksum(ip, 20, 0), 0xffff, "IPv4 checksum");
	memcpy(&q->src, ip + 12, 4);
	memcpy(&q->dst, ip + 16, 4);
	uh = ip + 20;
	ulen = rd16(uh + 4);
	cr_assert_eq(ulen, tot - 20);
	cr_assert_neq(rd16(uh + 6), 0, "UDP checksum present");
	ps = gh_test_cksum(ip + 12, 8, 0) + IPPROTO_UDP + ulen;
	cr_assert_eq(gh_test_cksum(uh, ulen, ps), 0xffff, "UDP checksum");
	q->sport = rd16(uh);
	q->dport = rd16(uh + 2);
	d = uh + 8;
	q->id = rd16(d);
	q->flags = rd16(d + 2);
	cr_assert_eq(rd16(d + 4), 1, "QDCOUNT");
	cr_assert_eq(rd16(d + 6), 0);
	cr_assert_eq(rd16(d + 8), 0);
	cr_assert_eq(rd16(d + 10), 0);
	o = 12;
	k = 0;
	while (d[o] != 0) {
		cr_assert_lt(o + d[o] + 1, ulen - 8);
		if (k > 0)
			q->name[k++] = '.';
		memcpy(q->name + k, d + o + 1, d[o]);
		k += d[o];
		o += d[o] + 1u;
	}
	q->qname_len = o + 1 - 12;
	memcpy(q->qname, d + 12, q->qname_len);
	cr_assert_eq(rd16(d + o + 1), 1, "QTYPE A");
	cr_assert_eq(rd16(d + o + 3), 1, "QCLASS IN");
	cr_assert_eq(12 + q->qname_len + 4, ulen - 8, "nothing after");
}

/* The only frame sent, then the txbuf emptied. */
static void
take_query(struct q *q)
{
	cr_assert_eq(tx_n(), 1, "frames sent: %u", tx_n());
	tx_query(0, q);
	tx_clear();
}

/* An answer being written. */
struct ab {
	uint8_t b[1400];
	uint32_t n;
};

static void
ab_u8(struct ab *a, uint8_t v)
{
	cr_assert_lt(a->n, sizeof(a->b));
	a->b[a->n++] = v;
}

static void
ab_u16(struct ab *a, uint16_t v)
{
	ab_u8(a, (uint8_t)(v >> 8));
	ab_u8(a, (uint8_t)v);
}

static void
ab_u32(struct ab *a, uint32_t v)
{
	ab_u16(a, (uint16_t)(v >> 16));
	ab_u16(a, (uint16_t)v);
}

static void
ab_bytes(struct ab *a, const void *p, uint32_t n)
{
	cr_assert_leq(a->n + n, sizeof(a->b));
	memcpy(a->b + a->n, p, n);
	a->n += n;
}

/* A dotted name, uncompressed. */
static void
ab_name(struct ab *a, const char *s)
{
	while (*s != '\0') {
		const char *dot = strchr(s, '.');
		size_t l = dot != NULL ? (size_t)(dot - s) : strlen(s);

		ab_u8(a, (uint8_t)l);
		ab_bytes(a, s, (uint32_t)l);
		s += l;
		if (*s == '.')
			s++;
	}
	ab_u8(a, 0);
}

static void
ab_ptr(struct ab *a, uint16_t off)
{
	ab_u16(a, (uint16_t)(0xc000 | off));
}

static void
ab_hdr(struct ab *a, uint16_t id, uint16_t flags, uint16_t qd, uint16_t an,
       uint16_t ns)
{
	a->n = 0;
	ab_u16(a, id);
	ab_u16(a, flags);
	ab_u16(a, qd);
	ab_u16(a, an);
	ab_u16(a, ns);
	ab_u16(a, 0);
}

/* The question as sent in <q> (at offset 12). */
static void
ab_question(struct ab *a, const struct q *q)
{
	ab_bytes(a, q->qname, q->qname_len);
	ab_u16(a, 1);
	ab_u16(a, 1);
}

/* The fixed part of a record after its owner. */
static void
ab_rr(struct ab *a, uint16_t type, uint32_t ttl, uint16_t rdlen)
{
	ab_u16(a, type);
	ab_u16(a, 1);
	ab_u32(a, ttl);
	ab_u16(a, rdlen);
}

static void
ab_a(struct ab *a, uint32_t ttl, uint32_t ip_be)
{
	ab_rr(a, 1, ttl, 4);
	ab_bytes(a, &ip_be, 4);
}

/* SOA with compressed names pointing at the question; MINIMUM <min>. */
static void
ab_soa(struct ab *a, uint32_t ttl, uint32_t min)
{
	ab_ptr(a, 12);
	ab_rr(a, 6, ttl, 2 + 2 + 20);
	ab_ptr(a, 12);
	ab_ptr(a, 12);
	ab_u32(a, 2024010101);
	ab_u32(a, 7200);
	ab_u32(a, 3600);
	ab_u32(a, 1209600);
	ab_u32(a, min);
}

/* The plain answer to <q>: one A record, owner compressed. */
static void
ab_simple(struct ab *a, const struct q *q, uint32_t ttl, uint32_t ip_be)
{
	ab_hdr(a, q->id, 0x8180, 1, 1, 0);
	ab_question(a, q);
	ab_ptr(a, 12);
	ab_a(a, ttl, ip_be);
}

/* Hand <a> to dns_input as a UDP datagram src:sport -> LOCAL:dport. */
static int
deliver_raw(const struct ab *a, uint32_t src, uint16_t sport, uint16_t dport,
            int break_cksum)
{
	uint32_t ulen = 8 + a->n, tot = 20 + ulen, ps;
	struct rte_mbuf *m;
	uint8_t *f, *ip, *uh;
	uint16_t c;

	m = rte_pktmbuf_alloc(pool);
	cr_assert_not_null(m);
	f = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(14 + tot));
	cr_assert_not_null(f);
	memcpy(f, &mac_local, 6);
	memcpy(f + 6, &mac_server, 6);
	f[12] = 0x08;
	f[13] = 0x00;
	ip = f + 14;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	ip[2] = (uint8_t)(tot >> 8);
	ip[3] = (uint8_t)tot;
	ip[8] = 60;
	ip[9] = IPPROTO_UDP;
	memcpy(ip + 12, &src, 4);
	memcpy(ip + 16, &(uint32_t){LOCAL_IP}, 4);
	c = (uint16_t)~gh_test_cksum(ip, 20, 0);
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
	uh = ip + 20;
	uh[0] = (uint8_t)(sport >> 8);
	uh[1] = (uint8_t)sport;
	uh[2] = (uint8_t)(dport >> 8);
	uh[3] = (uint8_t)dport;
	uh[4] = (uint8_t)(ulen >> 8);
	uh[5] = (uint8_t)ulen;
	uh[6] = uh[7] = 0;
	memcpy(uh + 8, a->b, a->n);
	ps = gh_test_cksum(ip + 12, 8, 0) + IPPROTO_UDP + ulen;
	c = (uint16_t)~gh_test_cksum(uh, ulen, ps);
	if (c == 0)
		c = 0xffff;
	if (break_cksum)
		c ^= 0x5a5a;
	uh[6] = (uint8_t)(c >> 8);
	uh[7] = (uint8_t)c;
	m->l2_len = 14;
	m->l3_len = 20;
	return dns_input(r, m);
}

/* <a> from the server <q> was sent to, to the port it left from. */
static int
deliver(const struct ab *a, const struct q *q)
{
	return deliver_raw(a, q->dst, q->dport, q->sport, 0);
}

/* ---- the query ---- */

Test(dns, query_on_the_wire)
{
	static struct rec c;
	struct q q;

	cr_assert_eq(resolve("WWW.Example.COM.", &c), 1);
	take_query(&q);
	cr_assert_eq(q.src, LOCAL_IP);
	cr_assert_eq(q.dst, S1_IP, "the first server first");
	cr_assert_eq(q.dport, 53);
	cr_assert(q.sport >= 61000 && q.sport <= 61999, "port %u", q.sport);
	cr_assert_eq(q.flags, 0x0100, "RD only");
	cr_assert_str_eq(q.name, "www.example.com", "lowercased, no dot");
	cr_assert_eq(cnt("lookups"), 1);
	cr_assert_eq(cnt("queries_sent"), 1);
	cr_assert_eq(c.calls, 0);
}

Test(dns, ports_and_ids_vary)
{
	char name[32];
	static struct rec c[8];
	uint16_t ports[8], ids[8];
	unsigned i, j, same_port = 0, same_id = 0;
	struct q q;

	for (i = 0; i < 8; i++) {
		snprintf(name, sizeof(name), "host%u.example.com", i);
		cr_assert_eq(resolve(name, &c[i]), 1);
		take_query(&q);
		ports[i] = q.sport;
		ids[i] = q.id;
	}
	for (i = 0; i < 8; i++)
		for (j = i + 1; j < 8; j++) {
			same_port += ports[i] == ports[j];
			same_id += ids[i] == ids[j];
		}
	cr_assert_eq(same_port, 0, "ports in flight are distinct");
	cr_assert_leq(same_id, 1);
}

static uint32_t ok_calls;
static uint32_t ok_bad_args;

static int
port_ok_mod7(void *arg, uint32_t lip, uint32_t rip, uint16_t lport_be,
             uint16_t rport_be)
{
	ok_calls++;
	if (arg != &ok_calls || lip != LOCAL_IP ||
	    (rip != S1_IP && rip != S2_IP) || rport_be != RTE_BE16(53))
		ok_bad_args++;
	return rte_be_to_cpu_16(lport_be) % 7 == 3;
}

static void
tweak_port_ok(struct dns_params *p)
{
	p->port_ok = port_ok_mod7;
	p->port_ok_arg = &ok_calls;
}

Test(dns, port_ok_respected)
{
	static struct rec c[4];
	unsigned i;
	struct q q;

	start(tweak_port_ok);
	ok_calls = ok_bad_args = 0;
	for (i = 0; i < 4; i++) {
		char name[32];

		snprintf(name, sizeof(name), "p%u.example.com", i);
		cr_assert_eq(resolve(name, &c[i]), 1);
		take_query(&q);
		cr_assert_eq(q.sport % 7, 3, "port %u", q.sport);
	}
	/* the retry asks port_ok again, for the second server */
	clock_ms(1000);
	cr_assert_eq(tx_n(), 4);
	for (i = 0; i < 4; i++) {
		tx_query(i, &q);
		cr_assert_eq(q.dst, S2_IP);
		cr_assert_eq(q.sport % 7, 3, "port %u", q.sport);
	}
	cr_assert_gt(ok_calls, 0);
	cr_assert_eq(ok_bad_args, 0);
}

static int
port_ok_never(void *arg, uint32_t lip, uint32_t rip, uint16_t lport_be,
              uint16_t rport_be)
{
	(void)arg;
	(void)lip;
	(void)rip;
	(void)lport_be;
	(void)rport_be;
	return 0;
}

static void
tweak_port_never(struct dns_params *p)
{
	p->port_ok = port_ok_never;
	p->max_pending = 1;
}

Test(dns, no_port_refused)
{
	static struct rec c;

	start(tweak_port_never);
	cr_assert_eq(resolve("a.example.com", &c), -ENOBUFS);
	cr_assert_eq(resolve("b.example.com", &c), -ENOBUFS);
	cr_assert_eq(cnt("no_port"), 2);
	cr_assert_eq(cnt("no_pending"), 0, "the query went back to the pool");
	cr_assert_eq(tx_n(), 0);
}

static void
tweak_tiny_pool(struct dns_params *p)
{
	if (tiny_pool == NULL)
		tiny_pool = rte_pktmbuf_pool_create("dns_tiny", 1, 0, 0,
		                                    RTE_MBUF_DEFAULT_BUF_SIZE,
		                                    SOCKET_ID_ANY);
	cr_assert_not_null(tiny_pool);
	p->pool = tiny_pool;
}

Test(dns, no_mbuf_refused)
{
	static struct rec c1, c2;

	start(tweak_tiny_pool);
	cr_assert_eq(resolve("a.example.com", &c1), 1);
	cr_assert_eq(resolve("b.example.com", &c2), -ENOBUFS);
	cr_assert_eq(cnt("no_mbuf"), 1);
	/* a retry without an mbuf spends the try; the lookup still ends */
	clock_ms(1000);
	clock_ms(2000);
	clock_ms(3000);
	cr_assert_eq(c1.calls, 1);
	cr_assert_eq(c1.status, -ETIMEDOUT);
	cr_assert_eq(cnt("no_mbuf"), 3);
	tx_clear();
	cr_assert_eq(rte_mempool_avail_count(tiny_pool), 1);
}

/* ---- answers ---- */

Test(dns, a_answer_then_cache_then_expiry)
{
	static struct rec c;
	struct ab a;
	struct q q;

	cr_assert_eq(resolve("www.example.com", &c), 1);
	take_query(&q);
	ab_simple(&a, &q, 300, ANSWER_IP);
	cr_assert_eq(deliver(&a, &q), 0);
	cr_assert_eq(c.calls, 1);
	cr_assert_eq(c.status, 0);
	cr_assert_eq(c.ip, ANSWER_IP);
	cr_assert_eq(cnt("answers"), 1);
	cr_assert_eq(cnt("answers_a"), 1);

	clock_ms(299999);
	cr_assert_eq(resolve("WWW.EXAMPLE.COM", &c), 0, "cached");
	cr_assert_eq(c.ip, ANSWER_IP);
	cr_assert_eq(c.calls, 0);
	cr_assert_eq(cnt("cache_hits"), 1);
	cr_assert_eq(tx_n(), 0);

	clock_ms(300000);
	cr_assert_eq(resolve("www.example.com", &c), 1, "expired: asked again");
	cr_assert_eq(tx_n(), 1);
	cr_assert_eq(cnt("queries_sent"), 2);
}

Test(dns, late_answer_not_for_us)
{
	static struct rec c;
	struct ab a;
	struct q q;

	cr_assert_eq(resolve("www.example.com", &c), 1);
	take_query(&q);
	ab_simple(&a, &q, 300, ANSWER_IP);
	cr_assert_eq(deliver(&a, &q), 0);
	cr_assert_eq(deliver(&a, &q), -ENOENT, "port released");
	cr_assert_eq(deliver_raw(&a, S1_IP, 53, 12345, 0), -ENOENT);
	cr_assert_eq(cnt("answers"), 1);
	cr_assert_eq(cnt("bad_answer"), 0);
}

Test(dns, ttl_clamped)
{
	static struct rec c, c2;
	struct ab a;
	struct q q;

	cr_assert_eq(resolve("zero.example.com", &c), 1);
	take_query(&q);
	ab_simple(&a, &q, 0, ANSWER_IP);
	cr_assert_eq(deliver(&a, &q), 0);
	cr_assert_eq(resolve("big.example.com", &c), 1);
	take_query(&q);
	ab_simple(&a, &q, 0x7fffffff, ANSWER_IP);
	cr_assert_eq(deliver(&a, &q), 0);

	clock_ms(999);
	cr_assert_eq(resolve("zero.example.com", &c), 0, "min_ttl_s 1");
	clock_ms(1000);
	cr_assert_eq(resolve("zero.example.com", &c2), 1);
	clock_ms(3599999);
	cr_assert_eq(resolve("big.example.com", &c), 0);
	clock_ms(3600000);
	cr_assert_eq(resolve("big.example.com", &c), 1, "max_ttl_s 3600");
}

Test(dns, cname_chain)
{
	static struct rec c;
	struct ab a;
	struct q q;
	uint16_t cdn;

	cr_assert_eq(resolve("www.example.com", &c), 1);
	take_query(&q);
	ab_hdr(&a, q.id, 0x8180, 1, 4, 0);
	ab_question(&a, &q);
	/* an A record for another name first: not ours */
	ab_name(&a, "decoy.example.com");
	ab_a(&a, 600, OTHER_IP);
	/* www.example.com CNAME edge.cdn.net (TTL 100) */
	ab_ptr(&a, 12);
	ab_rr(&a, 5, 100, 14);
	cdn = (uint16_t)a.n;
	ab_name(&a, "edge.cdn.net");
	/* EDGE.cdn.net CNAME x.Edge.CDN.net, compressed (TTL 80) */
	ab_ptr(&a, cdn);
	ab_rr(&a, 5, 80, 4);
	ab_u8(&a, 1);
	ab_u8(&a, 'x');
	ab_ptr(&a, cdn);
	/* x.edge.cdn.net A (TTL 50), owner written in capitals */
	ab_name(&a, "X.EDGE.CDN.NET");
	ab_a(&a, 50, ANSWER_IP);
	cr_assert_eq(deliver(&a, &q), 0);
	cr_assert_eq(c.calls, 1);
	cr_assert_eq(c.status, 0);
	cr_assert_eq(c.ip, ANSWER_IP, "the A at the end of the chain");
	clock_ms(49999);
	cr_assert_eq(resolve("www.example.com", &c), 0, "TTL: min of chain");
	clock_ms(50000);
	cr_assert_eq(resolve("www.example.com", &c), 1);
}

Test(dns, cname_out_of_order)
{
	static struct rec c;
	struct ab a;
	struct q q;

	cr_assert_eq(resolve("www.example.com", &c), 1);
	take_query(&q);
	ab_hdr(&a, q.id, 0x8180, 1, 2, 0);
	ab_question(&a, &q);
	ab_name(&a, "target.example.net");
	ab_a(&a, 60, ANSWER_IP);
	ab_ptr(&a, 12);
	ab_rr(&a, 5, 60, 20);
	ab_name(&a, "target.example.net");
	cr_assert_eq(deliver(&a, &q), 0);
	cr_assert_eq(c.status, 0);
	cr_assert_eq(c.ip, ANSWER_IP);
}

Test(dns, cname_loop_fails)
{
	static struct rec c;
	struct ab a;
	struct q q;
	uint16_t b;

	cr_assert_eq(resolve("www.example.com", &c), 1);
	take_query(&q);
	ab_hdr(&a, q.id, 0x8180, 1, 2, 0);
	ab_question(&a, &q);
	/* www CNAME b.example.com; b.example.com CNAME www */
	ab_ptr(&a, 12);
	ab_rr(&a, 5, 60, 15);
	b = (uint16_t)a.n;
	ab_name(&a, "b.example.com");
	ab_ptr(&a, b);
	ab_rr(&a, 5, 60, 2);
	ab_ptr(&a, 12);
	cr_assert_eq(deliver(&a, &q), 0);
	cr_assert_eq(c.calls, 1);
	cr_assert_eq(c.status, -EIO);
	cr_assert_eq(cnt("bad_answer"), 1);
}

Test(dns, nxdomain_with_soa)
{
	static struct rec c;
	struct ab a;
	struct q q;

	cr_assert_eq(resolve("nope.example.com", &c), 1);
	take_query(&q);
	ab_hdr(&a, q.id, 0x8183, 1, 0, 1);
	ab_question(&a, &q);
	ab_soa(&a, 3600, 10);
	cr_assert_eq(deliver(&a, &q), 0);
	cr_assert_eq(c.calls, 1);
	cr_assert_eq(c.status, -ENOENT);
	cr_assert_eq(cnt("nxdomain"), 1);
	clock_ms(9999);
	cr_assert_eq(resolve("nope.example.com", &c), -ENOENT);
	cr_assert_eq(cnt("neg_cache_hits"), 1);
	clock_ms(10000);
	cr_assert_eq(resolve("nope.example.com", &c), 1,
	             "SOA minimum 10 s below neg_ttl_s 30");
}

Test(dns, nxdomain_soa_above_neg_ttl)
{
	static struct rec c;
	struct ab a;
	struct q q;

	cr_assert_eq(resolve("nope.example.com", &c), 1);
	take_query(&q);
	ab_hdr(&a, q.id, 0x8183, 1, 0, 1);
	ab_question(&a, &q);
	ab_soa(&a, 900, 86400);
	cr_assert_eq(deliver(&a, &q), 0);
	clock_ms(29999);
	cr_assert_eq(resolve("nope.example.com", &c), -ENOENT);
	clock_ms(30000);
	cr_assert_eq(resolve("nope.example.com", &c), 1, "neg_ttl_s caps");
}

Test(dns, nodata_without_soa)
{
	static struct rec c;
	struct ab a;
	struct q q;

	cr_assert_eq(resolve("v6only.example.com", &c), 1);
	take_query(&q);
	/* NOERROR, a CNAME to a name with no A, no authority */
	ab_hdr(&a, q.id, 0x8180, 1, 1, 0);
	ab_question(&a, &q);
	ab_ptr(&a, 12);
	ab_rr(&a, 5, 300, 2);
	ab_ptr(&a, 12 + 7); /* example.com */
	cr_assert_eq(deliver(&a, &q), 0);
	cr_assert_eq(c.calls, 1);
	cr_assert_eq(c.status, -ENOENT);
	cr_assert_eq(cnt("nxdomain"), 1);
	clock_ms(29999);
	cr_assert_eq(resolve("v6only.example.com", &c), -ENOENT);
	clock_ms(30000);
	cr_assert_eq(resolve("v6only.example.com", &c), 1);
}

Test(dns, servfail_cached_briefly)
{
	static struct rec c;
	struct ab a;
	struct q q;

	cr_assert_eq(resolve("broken.example.com", &c), 1);
	take_query(&q);
	ab_hdr(&a, q.id, 0x8182, 1, 0, 0);
	ab_question(&a, &q);
	cr_assert_eq(deliver(&a, &q), 0);
	cr_assert_eq(c.calls, 1);
	cr_assert_eq(c.status, -EIO);
	cr_assert_eq(cnt("servfail"), 1);
	clock_ms(4999);
	cr_assert_eq(resolve("broken.example.com", &c), -EIO);
	clock_ms(5000);
	cr_assert_eq(resolve("broken.example.com", &c), 1);
}

Test(dns, refused_without_question)
{
	static struct rec c;
	struct ab a;
	struct q q;

	cr_assert_eq(resolve("www.example.com", &c), 1);
	take_query(&q);
	ab_hdr(&a, q.id, 0x8185, 0, 0, 0);
	cr_assert_eq(deliver(&a, &q), 0);
	cr_assert_eq(c.status, -EIO);
}

Test(dns, truncated_fails)
{
	static struct rec c;
	struct ab a;
	struct q q;

	cr_assert_eq(resolve("big.example.com", &c), 1);
	take_query(&q);
	ab_hdr(&a, q.id, 0x8380, 1, 0, 0);
	ab_question(&a, &q);
	cr_assert_eq(deliver(&a, &q), 0);
	cr_assert_eq(c.calls, 1);
	cr_assert_eq(c.status, -EIO);
	cr_assert_eq(cnt("truncated"), 1);
}

/* ---- answers that are not ours ---- */

Test(dns, mismatches_dropped)
{
	static struct rec c;
	struct ab a, good;
	struct q q;
	uint32_t bad = 0;

	cr_assert_eq(resolve("www.example.com", &c), 1);
	take_query(&q);
	ab_simple(&good, &q, 300, ANSWER_IP);

	a = good; /* wrong ID */
	a.b[1] ^= 1;
	cr_assert_eq(deliver(&a, &q), 0);
	cr_assert_eq(cnt("bad_answer"), ++bad);
	/* wrong source address, wrong source port, the other server */
	cr_assert_eq(deliver_raw(&good, OTHER_IP, 53, q.sport, 0), 0);
	cr_assert_eq(cnt("bad_answer"), ++bad);
	cr_assert_eq(deliver_raw(&good, S1_IP, 5353, q.sport, 0), 0);
	cr_assert_eq(cnt("bad_answer"), ++bad);
	cr_assert_eq(deliver_raw(&good, S2_IP, 53, q.sport, 0), 0);
	cr_assert_eq(cnt("bad_answer"), ++bad);
	/* bad UDP checksum */
	cr_assert_eq(deliver_raw(&good, S1_IP, 53, q.sport, 1), 0);
	cr_assert_eq(cnt("bad_answer"), ++bad);
	/* a question for another name, another type */
	a = good;
	a.b[12 + 1] = 'W' + 1;
	cr_assert_eq(deliver(&a, &q), 0);
	cr_assert_eq(cnt("bad_answer"), ++bad);
	a = good;
	a.b[12 + q.qname_len + 1] = 28; /* AAAA */
	cr_assert_eq(deliver(&a, &q), 0);
	cr_assert_eq(cnt("bad_answer"), ++bad);
	/* a query, not an answer */
	a = good;
	a.b[2] &= 0x7f;
	cr_assert_eq(deliver(&a, &q), 0);
	cr_assert_eq(cnt("bad_answer"), ++bad);
	/* shorter than a header */
	a = good;
	a.n = 5;
	cr_assert_eq(deliver(&a, &q), 0);
	cr_assert_eq(cnt("bad_answer"), ++bad);
	/* the question cut short */
	a = good;
	a.n = 12 + 4;
	cr_assert_eq(deliver(&a, &q), 0);
	cr_assert_eq(cnt("bad_answer"), ++bad);

	cr_assert_eq(c.calls, 0, "still waiting");
	cr_assert_eq(cnt("answers"), 0);
	/* question case does not matter */
	a = good;
	a.b[12 + 1] = 'W';
	cr_assert_eq(deliver(&a, &q), 0);
	cr_assert_eq(c.calls, 1);
	cr_assert_eq(c.status, 0);
	cr_assert_eq(c.ip, ANSWER_IP);
}

Test(dns, garbage_after_question_fails)
{
	static struct rec c;
	struct ab a;
	struct q q;

	cr_assert_eq(resolve("www.example.com", &c), 1);
	take_query(&q);
	ab_simple(&a, &q, 300, ANSWER_IP);
	a.n -= 2; /* RDATA shorter than RDLENGTH says */
	cr_assert_eq(deliver(&a, &q), 0);
	cr_assert_eq(c.calls, 1);
	cr_assert_eq(c.status, -EIO);
	cr_assert_eq(cnt("answers"), 1);
	cr_assert_eq(cnt("bad_answer"), 1);
}

Test(dns, compression_loops)
{
	static struct rec c;
	struct ab a;
	struct q q;
	uint16_t self;

	cr_assert_eq(resolve("www.example.com", &c), 1);
	take_query(&q);
	/* the question is a pointer to itself: not our question */
	ab_hdr(&a, q.id, 0x8180, 1, 0, 0);
	ab_ptr(&a, 12);
	ab_u16(&a, 1);
	ab_u16(&a, 1);
	cr_assert_eq(deliver(&a, &q), 0);
	cr_assert_eq(cnt("bad_answer"), 1);
	cr_assert_eq(c.calls, 0);
	/* a label then a pointer back to it, forever */
	ab_hdr(&a, q.id, 0x8180, 1, 1, 0);
	ab_question(&a, &q);
	self = (uint16_t)a.n;
	ab_u8(&a, 1);
	ab_u8(&a, 'a');
	ab_ptr(&a, self);
	ab_a(&a, 60, ANSWER_IP);
	cr_assert_eq(deliver(&a, &q), 0);
	cr_assert_eq(cnt("bad_answer"), 2);
	cr_assert_eq(c.calls, 1);
	cr_assert_eq(c.status, -EIO);
}

Test(dns, pointer_past_end)
{
	static struct rec c;
	struct ab a;
	struct q q;

	cr_assert_eq(resolve("www.example.com", &c), 1);
	take_query(&q);
	ab_hdr(&a, q.id, 0x8180, 1, 1, 0);
	ab_question(&a, &q);
	ab_ptr(&a, 0x3fff);
	ab_a(&a, 60, ANSWER_IP);
	cr_assert_eq(deliver(&a, &q), 0);
	cr_assert_eq(c.status, -EIO);
}

/* ---- retries and timeouts ---- */

Test(dns, retry_goes_to_second_server)
{
	static struct rec c;
	struct ab a;
	struct q q1, q2;

	cr_assert_eq(resolve("www.example.com", &c), 1);
	take_query(&q1);
	cr_assert_eq(q1.dst, S1_IP);
	clock_ms(999);
	cr_assert_eq(tx_n(), 0);
	clock_ms(1000);
	take_query(&q2);
	cr_assert_eq(q2.dst, S2_IP);
	cr_assert_str_eq(q2.name, "www.example.com");
	cr_assert_eq(cnt("retries"), 1);
	cr_assert_eq(cnt("queries_sent"), 2);
	/* the first try's port is gone; server 1 may not answer the second */
	ab_simple(&a, &q1, 300, ANSWER_IP);
	if (q1.sport != q2.sport)
		cr_assert_eq(deliver(&a, &q1), -ENOENT);
	ab_simple(&a, &q2, 300, ANSWER_IP);
	cr_assert_eq(deliver_raw(&a, S1_IP, 53, q2.sport, 0), 0);
	cr_assert_eq(c.calls, 0);
	cr_assert_eq(deliver(&a, &q2), 0);
	cr_assert_eq(c.calls, 1);
	cr_assert_eq(c.status, 0);
	clock_ms(5000);
	cr_assert_eq(tx_n(), 0, "nothing more sent");
}

Test(dns, timeout_after_tries)
{
	static struct rec c;
	struct q q;

	cr_assert_eq(resolve("slow.example.com", &c), 1);
	take_query(&q);
	cr_assert_eq(q.dst, S1_IP);
	clock_ms(1000);
	take_query(&q);
	cr_assert_eq(q.dst, S2_IP);
	clock_ms(2000);
	take_query(&q);
	cr_assert_eq(q.dst, S1_IP);
	clock_ms(2999);
	cr_assert_eq(c.calls, 0);
	clock_ms(3000);
	cr_assert_eq(c.calls, 1);
	cr_assert_eq(c.status, -ETIMEDOUT);
	cr_assert_eq(cnt("timeouts"), 1);
	cr_assert_eq(cnt("queries_sent"), 3);
	cr_assert_eq(tx_n(), 0);
	cr_assert_eq(resolve("slow.example.com", &c), 1, "not cached");
}

/* ---- waiters ---- */

Test(dns, coalescing)
{
	static struct rec c1, c2;
	struct ab a;
	struct q q;

	cr_assert_eq(resolve("www.example.com", &c1), 1);
	cr_assert_eq(resolve("WWW.example.com.", &c2), 1);
	take_query(&q);
	cr_assert_eq(cnt("coalesced"), 1);
	cr_assert_eq(cnt("queries_sent"), 1);
	ab_simple(&a, &q, 300, ANSWER_IP);
	cr_assert_eq(deliver(&a, &q), 0);
	cr_assert_eq(c1.calls, 1);
	cr_assert_eq(c2.calls, 1);
	cr_assert_eq(c1.ip, ANSWER_IP);
	cr_assert_eq(c2.ip, ANSWER_IP);
	dns_cancel(r, &c1.w); /* after the answer: nothing to do */
}

Test(dns, cancel)
{
	static struct rec c1, c2, c3;
	struct ab a;
	struct q q;

	cr_assert_eq(resolve("www.example.com", &c1), 1);
	cr_assert_eq(resolve("www.example.com", &c2), 1);
	cr_assert_eq(resolve("www.example.com", &c3), 1);
	take_query(&q);
	dns_cancel(r, &c2.w);
	dns_cancel(r, &c2.w); /* twice is fine */
	ab_simple(&a, &q, 300, ANSWER_IP);
	cr_assert_eq(deliver(&a, &q), 0);
	cr_assert_eq(c1.calls, 1);
	cr_assert_eq(c2.calls, 0);
	cr_assert_eq(c3.calls, 1);
}

Test(dns, cancel_all_still_fills_cache)
{
	static struct rec c;
	struct ab a;
	struct q q;

	cr_assert_eq(resolve("www.example.com", &c), 1);
	take_query(&q);
	dns_cancel(r, &c.w);
	ab_simple(&a, &q, 300, ANSWER_IP);
	cr_assert_eq(deliver(&a, &q), 0);
	cr_assert_eq(c.calls, 0);
	cr_assert_eq(resolve("www.example.com", &c), 0);
	cr_assert_eq(c.ip, ANSWER_IP);
}

Test(dns, cancel_all_then_timeout)
{
	static struct rec c;

	cr_assert_eq(resolve("www.example.com", &c), 1);
	dns_cancel(r, &c.w);
	clock_ms(1000);
	clock_ms(2000);
	clock_ms(3000);
	cr_assert_eq(c.calls, 0);
	cr_assert_eq(cnt("timeouts"), 1);
	tx_clear();
}

/* Re-entrancy: the first callback called cancels the other waiter (not
 * yet called), resolves the same name (the cache answers) and starts
 * another lookup. */
static struct rec *re_pair[2];
static struct rec re_next;
static int re_done, re_same_rc, re_next_rc;

static void
reenter(struct rec *c)
{
	struct rec same;

	if (re_done++)
		return;
	memset(&same, 0, sizeof(same));
	dns_cancel(r, &re_pair[c == re_pair[0] ? 1 : 0]->w);
	re_same_rc = resolve("www.example.com", &same);
	cr_assert_eq(same.ip, ANSWER_IP);
	re_next_rc = resolve("next.example.com", &re_next);
}

Test(dns, callbacks_reenter)
{
	static struct rec c1, c2;
	struct ab a;
	struct q q;

	cr_assert_eq(resolve("www.example.com", &c1), 1);
	cr_assert_eq(resolve("www.example.com", &c2), 1);
	c1.then = c2.then = reenter;
	re_pair[0] = &c1;
	re_pair[1] = &c2;
	take_query(&q);
	ab_simple(&a, &q, 300, ANSWER_IP);
	re_same_rc = re_next_rc = 99;
	cr_assert_eq(deliver(&a, &q), 0);
	cr_assert_eq(c1.calls + c2.calls, 1, "the other was cancelled");
	cr_assert_eq(re_same_rc, 0);
	cr_assert_eq(re_next_rc, 1);
	cr_assert_eq(tx_n(), 1, "the new lookup's query left");
	tx_query(0, &q);
	cr_assert_str_eq(q.name, "next.example.com");
	tx_clear();
}

/* A waiter cancelled by the callback of one called before it. */
static struct rec *victim;

static void
cancel_victim(struct rec *c)
{
	(void)c;
	dns_cancel(r, &victim->w);
}

Test(dns, callback_cancels_pending_sibling)
{
	static struct rec c1, c2, c3;
	struct ab a;
	struct q q;

	cr_assert_eq(resolve("www.example.com", &c1), 1);
	cr_assert_eq(resolve("www.example.com", &c2), 1);
	cr_assert_eq(resolve("www.example.com", &c3), 1);
	take_query(&q);
	/* c2 is called neither first nor last, whatever the order: the
	 * first one called cancels it */
	c1.then = c2.then = c3.then = cancel_victim;
	victim = &c2;
	ab_simple(&a, &q, 300, ANSWER_IP);
	cr_assert_eq(deliver(&a, &q), 0);
	cr_assert_eq(c1.calls, 1);
	cr_assert_eq(c2.calls, 0);
	cr_assert_eq(c3.calls, 1);
}

Test(dns, destroy_cancels_waiters)
{
	static struct rec c;

	cr_assert_eq(resolve("www.example.com", &c), 1);
	dns_destroy(r);
	r = NULL;
	cr_assert_eq(c.calls, 1);
	cr_assert_eq(c.status, -ECANCELED);
}

static void
tweak_two_pending(struct dns_params *p)
{
	p->max_pending = 2;
}

Test(dns, max_pending)
{
	static struct rec c1, c2, c3, c4;
	struct ab a;
	struct q q;

	start(tweak_two_pending);
	cr_assert_eq(resolve("a.example.com", &c1), 1);
	cr_assert_eq(resolve("b.example.com", &c2), 1);
	cr_assert_eq(resolve("c.example.com", &c3), -ENOBUFS);
	cr_assert_eq(cnt("no_pending"), 1);
	cr_assert_eq(resolve("a.example.com", &c4), 1, "joining is free");
	tx_query(0, &q);
	tx_clear();
	ab_simple(&a, &q, 300, ANSWER_IP);
	cr_assert_eq(deliver(&a, &q), 0);
	cr_assert_eq(resolve("c.example.com", &c3), 1, "a slot came back");
	tx_clear();
}

static void
tweak_small_cache(struct dns_params *p)
{
	p->cache_entries = 4; /* one bucket */
}

Test(dns, cache_eviction)
{
	static struct rec c, c1;
	struct ab a;
	struct q q;
	char name[32];
	unsigned i;

	start(tweak_small_cache);
	for (i = 1; i <= 5; i++) {
		snprintf(name, sizeof(name), "n%u.example.com", i);
		cr_assert_eq(resolve(name, &c), 1);
		take_query(&q);
		ab_simple(&a, &q, 100 * i, ANSWER_IP);
		cr_assert_eq(deliver(&a, &q), 0);
	}
	cr_assert_eq(cnt("cache_evictions"), 1);
	cr_assert_eq(resolve("n1.example.com", &c1), 1, "closest to expiry");
	tx_clear();
	for (i = 2; i <= 5; i++) {
		snprintf(name, sizeof(name), "n%u.example.com", i);
		cr_assert_eq(resolve(name, &c), 0, "%s", name);
	}
}

/* ---- names ---- */

Test(dns, literals)
{
	static struct rec c;

	cr_assert_eq(resolve("198.19.1.2", &c), 0);
	cr_assert_eq(c.ip, IP(198, 19, 1, 2));
	cr_assert_eq(resolve("0.0.0.0", &c), 0);
	cr_assert_eq(c.ip, 0);
	cr_assert_eq(resolve("255.255.255.255.", &c), 0);
	cr_assert_eq(c.ip, IP(255, 255, 255, 255));
	cr_assert_eq(cnt("literals"), 3);
	cr_assert_eq(resolve("1.2.3.256", &c), -EINVAL);
	cr_assert_eq(resolve("01.2.3.4", &c), -EINVAL);
	cr_assert_eq(resolve("1.2.3.00", &c), -EINVAL);
	cr_assert_eq(resolve("1.2.3", &c), -EINVAL);
	cr_assert_eq(resolve("1.2.3.4.5", &c), -EINVAL);
	cr_assert_eq(resolve("1234.1.1.1", &c), -EINVAL);
	cr_assert_eq(resolve("example.1", &c), -EINVAL);
	cr_assert_eq(cnt("bad_name"), 7);
	cr_assert_eq(tx_n(), 0);
	cr_assert_eq(c.calls, 0);
}

Test(dns, names)
{
	static const char *const bad[] = {
	    "",       ".",          "..",       "a..b",    ".a",
	    "-a.com", "a-.com",     "a.-b.com", "a b.com", "a.com..",
	    "a/b",    "ex\xc3\xa4", "a.com:80", "a*.com",
	};
	char label[80], name[400];
	static struct rec c, k[6];
	unsigned i;

	for (i = 0; i < GH_ARRAY_SIZE(bad); i++)
		cr_assert_eq(resolve(bad[i], &c), -EINVAL, "'%s'", bad[i]);
	cr_assert_eq(cnt("bad_name"), GH_ARRAY_SIZE(bad));

	memset(label, 'a', 64);
	label[64] = '\0';
	snprintf(name, sizeof(name), "%s.com", label);
	cr_assert_eq(resolve(name, &c), -EINVAL, "64-byte label");
	label[63] = '\0';
	snprintf(name, sizeof(name), "%s.com", label);
	cr_assert_eq(resolve(name, &k[0]), 1, "63-byte label");
	/* 253 bytes: 4 x 63 + 1; 254 refused; 253 plus a dot fine */
	snprintf(name, sizeof(name), "%s.%s.%s.%.61s", label, label, label,
	         label);
	cr_assert_eq(strlen(name), 253);
	cr_assert_eq(resolve(name, &k[1]), 1);
	strcat(name, ".");
	cr_assert_eq(resolve(name, &k[2]), 1, "trailing dot: the same name");
	cr_assert_eq(cnt("coalesced"), 1);
	snprintf(name, sizeof(name), "%s.%s.%s.%.62s", label, label, label,
	         label);
	cr_assert_eq(resolve(name, &c), -EINVAL, "254 bytes");
	cr_assert_eq(resolve("_service.Example-1.com", &k[3]), 1);
	cr_assert_eq(resolve("a", &k[4]), 1);
	cr_assert_eq(resolve("1a.2b", &k[5]), 1);
	cr_assert_eq(tx_n(), 5);
	tx_clear();
}

static void
tweak_no_neg(struct dns_params *p)
{
	p->neg_ttl_s = 0;
}

Test(dns, negative_caching_off)
{
	static struct rec c, c2;
	struct ab a;
	struct q q;

	start(tweak_no_neg);
	cr_assert_eq(resolve("nope.example.com", &c), 1);
	take_query(&q);
	ab_hdr(&a, q.id, 0x8183, 1, 0, 1);
	ab_question(&a, &q);
	ab_soa(&a, 3600, 600);
	cr_assert_eq(deliver(&a, &q), 0);
	cr_assert_eq(c.status, -ENOENT);
	cr_assert_eq(resolve("nope.example.com", &c), 1, "asked again");
	take_query(&q);
	ab_hdr(&a, q.id, 0x8182, 1, 0, 0);
	ab_question(&a, &q);
	cr_assert_eq(deliver(&a, &q), 0);
	cr_assert_eq(c.status, -EIO);
	cr_assert_eq(resolve("nope.example.com", &c2), 1, "asked again");
	tx_clear();
}

static void
tweak_bad(struct dns_params *p)
{
	p->cache_entries = 100;
}

Test(dns, create_checks)
{
	struct dns_params p;

	defaults(&p);
	tweak_bad(&p);
	errno = 0;
	cr_assert_null(dns_create(&p));
	cr_assert_eq(errno, EINVAL);
	defaults(&p);
	p.n_servers = 0;
	cr_assert_null(dns_create(&p));
	defaults(&p);
	p.n_servers = DNS_SERVERS_MAX + 1;
	cr_assert_null(dns_create(&p));
	defaults(&p);
	p.port_lo = 2000;
	p.port_hi = 1000;
	cr_assert_null(dns_create(&p));
	defaults(&p);
	p.min_ttl_s = 100;
	p.max_ttl_s = 10;
	cr_assert_null(dns_create(&p));
	cr_assert_null(dns_create(NULL));
	dns_destroy(NULL);
}

/* ---- randomness (issue 10, finding 8) ---- */

/*
 * getrandom(2) as the resolver sees it: this definition in the test
 * executable takes the place of libc's, so a test can make it fail.
 * Otherwise it asks the kernel (the system call, not libc's wrapper, which
 * this one hides).
 */
static int getrandom_errno;

ssize_t getrandom(void *buf, size_t len, unsigned flags);

ssize_t
getrandom(void *buf, size_t len, unsigned flags)
{
	if (getrandom_errno != 0) {
		errno = getrandom_errno;
		return -1;
	}
	return syscall(SYS_getrandom, buf, len, flags);
}

#define SEED_TRIALS 2000

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * The regression of finding 8: resolvers created on the real clock, as the
 * appliance creates them (start_tsc 0), one after the other, must not share
 * their secrets.  The old seed, two TSC reads XORed, gave about 126 distinct
 * states in 200,000 creations; 48 bits of each resolver's secrets (the cache
 * hash seed and the first IPv4 ID) from a CSPRNG collide in 2000 creations
 * with probability about 2^-27.
 */
Test(dns, secrets_distinct_per_resolver)
{
	static uint64_t seen[SEED_TRIALS];
	struct dns_resolver *x;
	struct dns_params p;
	unsigned i, dup = 0;

	defaults(&p);
	p.start_tsc = 0;
	for (i = 0; i < SEED_TRIALS; i++) {
		x = dns_create(&p);
		cr_assert_not_null(x, "dns_create: errno %d", errno);
		seen[i] = (uint64_t)x->hash_seed << 16 | x->ip_id;
		dns_destroy(x);
	}
	qsort(seen, SEED_TRIALS, sizeof(seen[0]), cmp_u64);
	for (i = 1; i < SEED_TRIALS; i++)
		dup += seen[i] == seen[i - 1];
	cr_assert_eq(dup, 0, "%u of %u resolvers repeat another's secrets", dup,
	             SEED_TRIALS);
}

/*
 * Resolvers created at the same clock reading (a worker restarted at the
 * same TSC, or every worker at once) send different first queries: what
 * an off-path spoofer must guess, the ID and the local port, does not
 * follow from the clock.
 */
Test(dns, same_tsc_different_first_query)
{
	static uint64_t seen[64];
	static struct rec c;
	unsigned i, dup = 0;
	struct q q;

	for (i = 0; i < GH_ARRAY_SIZE(seen); i++) {
		start(NULL); /* start_tsc T0 every time */
		cr_assert_eq(resolve("www.example.com", &c), 1);
		take_query(&q);
		seen[i] = (uint64_t)q.id << 16 | q.sport;
		dns_cancel(r, &c.w);
	}
	qsort(seen, GH_ARRAY_SIZE(seen), sizeof(seen[0]), cmp_u64);
	for (i = 1; i < GH_ARRAY_SIZE(seen); i++)
		dup += seen[i] == seen[i - 1];
	cr_assert_eq(dup, 0, "%u first queries (ID, port) repeated", dup);
}

/* No entropy, no resolver: dns_create() fails with getrandom's errno
 * instead of falling back to the clock. */
Test(dns, no_entropy_no_resolver)
{
	struct dns_resolver *x;
	struct dns_params p;

	defaults(&p);
	getrandom_errno = ENOSYS;
	errno = 0;
	cr_assert_null(dns_create(&p));
	cr_assert_eq(errno, ENOSYS);
	getrandom_errno = 0;
	x = dns_create(&p);
	cr_assert_not_null(x, "dns_create: errno %d", errno);
	dns_destroy(x);
}

/* ---- the parser alone, on mutated answers ---- */

static uint32_t fz_state = 12345;

static uint32_t
fz_rand(void)
{
	fz_state ^= fz_state << 13;
	fz_state ^= fz_state >> 17;
	fz_state ^= fz_state << 5;
	return fz_state;
}

Test(dns, parser_survives_mutations)
{
	static const char name[] = "www.example.com";
	uint8_t qwire[DNS_WIRE_MAX], buf[sizeof(((struct ab *)0)->b)];
	uint32_t qlen, i, j, n_ok = 0;
	struct dns_answer ans;
	struct ab a;
	struct q q;

	memset(&q, 0, sizeof(q));
	q.id = 0x1234;
	q.qname_len = dns_name_to_wire(name, sizeof(name) - 1, q.qname);
	qlen = q.qname_len;
	memcpy(qwire, q.qname, qlen);
	/* CNAME + A + SOA in authority: every section has something */
	ab_hdr(&a, q.id, 0x8180, 1, 2, 1);
	ab_question(&a, &q);
	ab_ptr(&a, 12);
	ab_rr(&a, 5, 60, 4);
	ab_u8(&a, 1);
	ab_u8(&a, 'x');
	ab_ptr(&a, 12);
	ab_u8(&a, 1);
	ab_u8(&a, 'x');
	ab_ptr(&a, 12);
	ab_a(&a, 60, ANSWER_IP);
	ab_soa(&a, 60, 60);
	cr_assert_eq(dns_answer_parse(a.b, a.n, q.id, qwire, qlen, &ans), 0);
	cr_assert_eq(ans.status, 0);
	cr_assert_eq(ans.ip_be, ANSWER_IP);
	for (i = 0; i < 20000; i++) {
		uint32_t n = a.n, k = 1 + fz_rand() % 4;
		int rc;

		memcpy(buf, a.b, n);
		for (j = 0; j < k; j++)
			buf[12 + fz_rand() % (n - 12)] = (uint8_t)fz_rand();
		if (fz_rand() % 4 == 0)
			n = fz_rand() % (n + 1);
		rc = dns_answer_parse(buf, n, q.id, qwire, qlen, &ans);
		cr_assert(rc == 0 || rc == -EBADMSG || rc == -EPROTO);
		if (rc == 0) {
			n_ok++;
			cr_assert(ans.status == 0 || ans.status == -ENOENT ||
			          ans.status == -EIO);
		}
	}
	cr_assert_gt(n_ok, 0);
}
