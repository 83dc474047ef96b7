/*
 * Helpers shared by the lib/net unit tests (see net_test_util.h).
 */
#include <stdarg.h>
#include <string.h>

#include <criterion/criterion.h>
#include <rte_arp.h>
#include <rte_ip.h>

#include "net_test_util.h"
#include "tests/unit/common/gh_test_cksum.h"
#include "tests/unit/common/gh_test_eal.h"

const struct rte_ether_addr NT_MAC0 = {{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}};
const struct rte_ether_addr NT_MAC1 = {{0x02, 0x00, 0x00, 0x00, 0x01, 0x01}};
const struct rte_ether_addr NT_PEER_MAC = {
    {0x02, 0x00, 0x00, 0x00, 0x00, 0x99}};
const struct rte_ether_addr NT_BCAST = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
const struct rte_ether_addr NT_ZERO_MAC = {{0, 0, 0, 0, 0, 0}};

struct net_ctx nt_ctx;
struct rte_mempool *nt_pool;
struct nt_l4_call nt_l4;
struct nt_learn_call nt_learn;

#define NT_POOL_SIZE 2047

/* The TCP and the UDP handler: records the last packet of the burst. */
static unsigned
nt_on_l4(void *arg, unsigned port_idx, struct rte_mbuf **pkts, unsigned n)
{
	unsigned i;

	cr_assert_eq(arg, &nt_l4);
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		nt_l4.n++;
		nt_l4.port_idx = port_idx;
		nt_l4.l2_len = m->l2_len;
		nt_l4.l3_len = m->l3_len;
		nt_l4.pkt_len = rte_pktmbuf_pkt_len(m);
		if (nt_l4.pkt_len <= sizeof(nt_l4.data))
			memcpy(nt_l4.data, rte_pktmbuf_mtod(m, void *),
			       nt_l4.pkt_len);
		rte_pktmbuf_free(m);
	}
	return 0;
}

static void
nt_on_learn(void *arg, unsigned port_idx, uint32_t ip_be,
            const struct rte_ether_addr *mac)
{
	cr_assert_eq(arg, &nt_l4);
	nt_learn.n++;
	nt_learn.port_idx = port_idx;
	nt_learn.ip_be = ip_be;
	nt_learn.mac = *mac;
}

static void
nt_eal_init(void)
{
	static int done;

	if (done)
		return;
	gh_test_eal_start(64);
	nt_pool =
	    rte_pktmbuf_pool_create("nt_pool", NT_POOL_SIZE, 0, 0,
	                            RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	cr_assert_not_null(nt_pool, "mbuf pool");
	done = 1;
}

void
nt_ctx_reset(void (*tweak)(struct net_params *p), int with_l4)
{
	struct net_params p = {
	    .worker_id = 0,
	    .pool = nt_pool,
	    .tsc_hz = NT_HZ,
	    .arp_entry_ttl_s = NT_TTL_S,
	    .arp_pending_max = NT_PENDING_MAX,
	    .arp_pending_timeout_ms = NT_PENDING_TIMEOUT_MS,
	    .on_learn = nt_on_learn,
	    .cb_arg = &nt_l4,
	};
	int rc;

	if (tweak != NULL)
		tweak(&p);
	memset(&nt_l4, 0, sizeof(nt_l4));
	memset(&nt_learn, 0, sizeof(nt_learn));
	cr_assert_eq(net_ctx_init(&nt_ctx, &p), 0);
	if (with_l4) {
		cr_assert_eq(
		    net_proto_register(&nt_ctx, IPPROTO_TCP, nt_on_l4, &nt_l4),
		    0);
		cr_assert_eq(
		    net_proto_register(&nt_ctx, IPPROTO_UDP, nt_on_l4, &nt_l4),
		    0);
	}
	rc = net_port_add(&nt_ctx, 0, &NT_MAC0, NT_ADDR0, 24, NT_GW0, 1500);
	cr_assert_eq(rc, 0);
	rc = net_port_add(&nt_ctx, 1, &NT_MAC1, NT_ADDR1, 24, 0, 1500);
	cr_assert_eq(rc, 1);
	nt_clock(NT_T0);
}

void
nt_setup(void)
{
	nt_eal_init();
	nt_ctx_reset(NULL, 0);
}

void
nt_setup_l4(void)
{
	nt_eal_init();
	nt_ctx_reset(NULL, 1);
}

void
nt_teardown(void)
{
	unsigned i;

	if (nt_pool == NULL)
		return;
	nt_tx_free_all();
	for (i = 0; i < nt_ctx.n_pending; i++)
		rte_pktmbuf_free(nt_ctx.pending[i].m);
	nt_ctx.n_pending = 0;
	for (i = 0; i < nt_ctx.n_arp_held; i++)
		rte_pktmbuf_free(nt_ctx.arp_held[i].m);
	nt_ctx.n_arp_held = 0;
	cr_assert_eq(rte_mempool_avail_count(nt_pool), NT_POOL_SIZE,
	             "mbuf leak: %u of %u back in the pool",
	             rte_mempool_avail_count(nt_pool), NT_POOL_SIZE);
}

void
nt_clock(uint64_t tsc)
{
	net_timer(&nt_ctx, tsc);
}

struct rte_mbuf *
nt_mbuf(const void *b, size_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(nt_pool);
	void *d;

	cr_assert_not_null(m);
	d = rte_pktmbuf_append(m, (uint16_t)len);
	cr_assert(d != NULL || len == 0);
	if (len > 0)
		memcpy(d, b, len);
	return m;
}

void
nt_input(unsigned port_idx, const void *b, size_t len)
{
	struct rte_mbuf *m = nt_mbuf(b, len);

	net_input(&nt_ctx, port_idx, &m, 1);
}

size_t
nt_eth(uint8_t *b, const struct rte_ether_addr *dst,
       const struct rte_ether_addr *src, uint16_t type)
{
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)b;

	eh->dst_addr = *dst;
	eh->src_addr = *src;
	eh->ether_type = rte_cpu_to_be_16(type);
	return sizeof(*eh);
}

size_t
nt_arp(uint8_t *b, const struct rte_ether_addr *eth_dst,
       const struct rte_ether_addr *eth_src, uint16_t op,
       const struct rte_ether_addr *sha, uint32_t spa_be,
       const struct rte_ether_addr *tha, uint32_t tpa_be)
{
	size_t n = nt_eth(b, eth_dst, eth_src, RTE_ETHER_TYPE_ARP);
	struct rte_arp_hdr *ah = (struct rte_arp_hdr *)(b + n);

	ah->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	ah->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ah->arp_hlen = 6;
	ah->arp_plen = 4;
	ah->arp_opcode = rte_cpu_to_be_16(op);
	ah->arp_data.arp_sha = *sha;
	ah->arp_data.arp_sip = spa_be;
	ah->arp_data.arp_tha = *tha;
	ah->arp_data.arp_tip = tpa_be;
	/* pad to the Ethernet minimum like a real NIC would */
	memset(b + n + sizeof(*ah), 0xee, 60 - n - sizeof(*ah));
	return 60;
}

/* The checksum to put in a header (host order): the reference sum of
 * tests/unit/common, independent of the code under test, inverted. */
static uint16_t
nt_cksum(const void *p, size_t len)
{
	return (uint16_t)~gh_test_cksum(p, len, 0);
}

int
nt_cksum_ok(const void *p, size_t len)
{
	return nt_cksum(p, len) == 0;
}

void
nt_ipv4_fix_csum(uint8_t *b)
{
	uint8_t *ip = b + sizeof(struct rte_ether_hdr);
	size_t hlen = (size_t)(ip[0] & 0xf) * 4;
	uint16_t c;

	ip[10] = ip[11] = 0;
	c = nt_cksum(ip, hlen);
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
}

size_t
nt_ipv4(uint8_t *b, const struct rte_ether_addr *eth_dst,
        const struct rte_ether_addr *eth_src, uint32_t src_be, uint32_t dst_be,
        uint8_t proto, uint8_t ttl, const void *payload, size_t plen)
{
	size_t n = nt_eth(b, eth_dst, eth_src, RTE_ETHER_TYPE_IPV4);
	struct rte_ipv4_hdr *ih = (struct rte_ipv4_hdr *)(b + n);

	cr_assert_leq(n + sizeof(*ih) + plen, NT_FRAME_MAX);
	memset(ih, 0, sizeof(*ih));
	ih->version_ihl = 0x45;
	ih->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ih) + plen));
	ih->packet_id = rte_cpu_to_be_16(0x1234);
	ih->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
	ih->time_to_live = ttl;
	ih->next_proto_id = proto;
	ih->src_addr = src_be;
	ih->dst_addr = dst_be;
	if (plen > 0)
		memcpy(ih + 1, payload, plen);
	nt_ipv4_fix_csum(b);
	return n + sizeof(*ih) + plen;
}

size_t
nt_icmp_echo(uint8_t *b, const struct rte_ether_addr *eth_dst,
             const struct rte_ether_addr *eth_src, uint32_t src_be,
             uint32_t dst_be, uint8_t type, uint8_t code, size_t dlen)
{
	uint8_t msg[NT_FRAME_MAX];
	uint16_t c;
	size_t i;

	cr_assert_leq(8 + dlen, sizeof(msg));
	msg[0] = type;
	msg[1] = code;
	msg[2] = msg[3] = 0;
	msg[4] = 0xbe; /* identifier */
	msg[5] = 0xef;
	msg[6] = 0x00; /* sequence */
	msg[7] = 0x07;
	for (i = 0; i < dlen; i++)
		msg[8 + i] = (uint8_t)(i * 7 + 3);
	c = nt_cksum(msg, 8 + dlen);
	msg[2] = (uint8_t)(c >> 8);
	msg[3] = (uint8_t)c;
	return nt_ipv4(b, eth_dst, eth_src, src_be, dst_be, IPPROTO_ICMP, 64,
	               msg, 8 + dlen);
}

static int
nt_cnt_index(const char *name)
{
	unsigned i;

	for (i = 0; i < net_counters_desc.n; i++)
		if (strcmp(net_counters_desc.counters[i].name, name) == 0)
			return (int)i;
	cr_assert_fail("no counter named %s", name);
	return -1;
}

uint64_t
nt_cnt(const char *name)
{
	const uint64_t *v = (const uint64_t *)&nt_ctx.cnt;

	return v[nt_cnt_index(name)];
}

void
nt_cnt_reset(void)
{
	memset(&nt_ctx.cnt, 0, sizeof(nt_ctx.cnt));
}

void
nt_expect(const char *first, ...)
{
	const uint64_t *v = (const uint64_t *)&nt_ctx.cnt;
	uint64_t want[sizeof(struct net_counters) / sizeof(uint64_t)];
	const char *name;
	va_list ap;
	unsigned i;

	memset(want, 0, sizeof(want));
	va_start(ap, first);
	for (name = first; name != NULL; name = va_arg(ap, const char *))
		want[nt_cnt_index(name)] = (uint64_t)va_arg(ap, int);
	va_end(ap);
	for (i = 0; i < net_counters_desc.n; i++)
		cr_expect_eq(v[i], want[i], "counter net.%s is %lu, want %lu",
		             net_counters_desc.counters[i].name,
		             (unsigned long)v[i], (unsigned long)want[i]);
}

unsigned
nt_tx_n(unsigned port_idx)
{
	return net_port_txbuf(&nt_ctx, port_idx)->n;
}

struct rte_mbuf *
nt_tx(unsigned port_idx, unsigned i)
{
	struct net_txbuf *tb = net_port_txbuf(&nt_ctx, port_idx);

	cr_assert_lt(i, tb->n, "txbuf %u has %u frames, want #%u", port_idx,
	             tb->n, i);
	return tb->pkts[i];
}

void
nt_tx_free_all(void)
{
	unsigned p, i;

	for (p = 0; p < nt_ctx.n_ports; p++) {
		struct net_txbuf *tb = net_port_txbuf(&nt_ctx, p);

		for (i = 0; i < tb->n; i++)
			rte_pktmbuf_free(tb->pkts[i]);
		tb->n = 0;
	}
}
