/*
 * Helpers shared by the TCP endpoint's unit tests (see tcp_test_util.h).
 */
#include <string.h>

#include <criterion/criterion.h>
#include <rte_ip.h>
#include <rte_tcp.h>

#include "common/gh_common.h"
#include "net/net_flow_owner.h"
#include "tcp_test_util.h"
#include "tests/unit/common/gh_test_eal.h"
#include "tests/unit/common/gh_test_cksum.h"

#define TT_POOL_SIZE 16383

struct tt_node tt_a, tt_b;
struct rte_mempool *tt_pool;
uint64_t tt_now_ms;
const uint8_t tt_secret[16] = {1, 2,  3,  4,  5,  6,  7,  8,
                               9, 10, 11, 12, 13, 14, 15, 16};
/* Big-endian 32-bit values at any alignment (memcpy: no misaligned load). */
static uint32_t
tt_be32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return rte_be_to_cpu_32(v);
}

static void
tt_put_be32(uint8_t *p, uint32_t host)
{
	uint32_t v = rte_cpu_to_be_32(host);

	memcpy(p, &v, sizeof(v));
}

static struct net_flow_owner tt_flow_owner;
static const struct rte_ether_addr tt_mac_a = {{2, 0, 0, 0, 0, 0xa}};
static const struct rte_ether_addr tt_mac_b = {{2, 0, 0, 0, 0, 0xb}};

static void
tt_eal_init(void)
{
	static int done;

	if (done)
		return;
	gh_test_eal_start(512);
	tt_pool =
	    rte_pktmbuf_pool_create("tt_pool", TT_POOL_SIZE, 0, 0,
	                            RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	cr_assert_not_null(tt_pool);
	cr_assert_eq(net_flow_owner_init(&tt_flow_owner, 1, NULL, 0), 0);
	done = 1;
}

/* Node <arg>'s TCP handler: to its stack, or dropped once it is gone. */
static unsigned
tt_on_tcp(void *arg, unsigned port_idx, struct rte_mbuf **pkts, unsigned n)
{
	struct tt_node *node = arg;
	unsigned i;

	if (node->s != NULL)
		return tcp_stack_input_burst(node->s, port_idx, pkts, n);
	for (i = 0; i < n; i++)
		rte_pktmbuf_free(pkts[i]);
	return 0;
}

static void
tt_node_init(struct tt_node *n, const struct rte_ether_addr *mac, uint32_t ip,
             const struct rte_ether_addr *peer_mac, uint32_t peer_ip,
             void (*tweak)(struct tcp_stack_params *p))
{
	struct net_params np = {
	    .worker_id = 0,
	    .pool = tt_pool,
	    .tsc_hz = TT_HZ,
	    .arp_entry_ttl_s = 100000,
	    .arp_pending_max = 8,
	    .arp_pending_timeout_ms = 1000,
	    .cb_arg = n,
	};

	memset(n, 0, sizeof(*n));
	cr_assert_eq(net_ctx_init(&n->net, &np), 0);
	cr_assert_eq(net_proto_register(&n->net, IPPROTO_TCP, tt_on_tcp, n), 0);
	cr_assert_eq(net_port_add(&n->net, 0, mac, ip, 24, 0, 1500), 0);
	net_timer(&n->net, TT_T0);
	net_neigh_update(&n->net, 0, peer_ip, peer_mac);
	n->p = (struct tcp_stack_params){
	    .worker_id = 0,
	    .n_workers = 1,
	    .max_conns = 64,
	    .syn_backlog = 16,
	    .rcv_buf_bytes = 256 * 1024,
	    .snd_buf_bytes = 256 * 1024,
	    .time_wait_ms = 60000,
	    .keepalive_idle_ms = 0,
	    .keepalive_intvl_ms = 75000,
	    .keepalive_probes = 9,
	    .rto_min_ms = 200,
	    .rto_max_ms = 60000,
	    .syn_retries = 6,
	    .data_retries = 15,
	    .delack_ms = 40,
	    .ephemeral_lo = 32768,
	    .ephemeral_hi = 60999,
	    .cc = TCP_CC_CUBIC,
	    .isn_secret = tt_secret,
	    .flow_owner = &tt_flow_owner,
	    .net = &n->net,
	    .pool = tt_pool,
	    .tsc_hz = TT_HZ,
	    .start_tsc = TT_T0,
	};
	if (tweak != NULL)
		tweak(&n->p);
	n->s = tcp_stack_create(&n->p);
	cr_assert_not_null(n->s, "tcp_stack_create: errno %d", errno);
}

struct tcp_conn *tt_accepted;
unsigned tt_n_accepted;

static void *
tt_sink_accept(void *larg, struct tcp_conn *c)
{
	(void)larg;
	tt_accepted = c;
	tt_n_accepted++;
	return &tt_accepted;
}

static void
tt_sink_data(void *arg, struct tcp_conn *c, struct rte_mbuf *m)
{
	(void)arg;
	(void)c;
	rte_pktmbuf_free(m);
}

const struct tcp_callbacks tt_sink_cb = {
    .on_accept = tt_sink_accept,
    .on_data = tt_sink_data,
};

void
tt_sink_listen(uint16_t dport)
{
	cr_assert_eq(tcp_listen(tt_a.s, 0, TT_IP_A, rte_cpu_to_be_16(dport),
	                        TCP_CC_CUBIC, &tt_sink_cb, NULL),
	             0);
}

uint32_t
tt_handshake(uint16_t sport, uint16_t dport, uint32_t isn,
             const struct tt_opts *o, uint16_t ack_wnd, struct tt_seg *synack)
{
	struct tt_opts ack = {.ws = -1};
	struct tt_seg g;

	tt_inject(sport, dport, isn, 0, TH_SYN, 65535, o, NULL, 0);
	cr_assert_eq(tt_tx_n(&tt_a), 1, "a SYN-ACK");
	tt_tx_seg(&tt_a, 0, &g);
	cr_assert_eq(g.flags, TH_SYN | TH_ACK);
	cr_assert_eq(g.ack, isn + 1);
	if (synack != NULL)
		*synack = g;
	tt_tx_clear();
	if (o != NULL && o->ts) {
		ack.ts = true;
		ack.tsval = o->tsval + 1;
		ack.tsecr = g.tsval;
	}
	tt_inject(sport, dport, isn + 1, g.seq + 1, TH_ACK, ack_wnd, &ack, NULL,
	          0);
	return g.seq;
}

struct tcp_conn *
tt_sink_open(uint16_t sport, uint16_t dport, uint32_t isn)
{
	const struct tt_opts o = {.mss = 1460, .ws = -1};
	unsigned before = tt_n_accepted;

	tt_handshake(sport, dport, isn, &o, 65535, NULL);
	cr_assert_eq(tt_n_accepted, before + 1);
	cr_assert_not_null(tt_accepted);
	cr_assert_eq(tt_tx_n(&tt_a), 0);
	return tt_accepted;
}

void
tt_setup(void (*tweak)(struct tcp_stack_params *p))
{
	tt_eal_init();
	tt_now_ms = 0;
	tt_accepted = NULL;
	tt_n_accepted = 0;
	tt_node_init(&tt_a, &tt_mac_a, TT_IP_A, &tt_mac_b, TT_IP_B, tweak);
	tt_node_init(&tt_b, &tt_mac_b, TT_IP_B, &tt_mac_a, TT_IP_A, tweak);
}

void
tt_setup_default(void)
{
	tt_setup(NULL);
}

void
tt_tx_clear(void)
{
	struct tt_node *nodes[2] = {&tt_a, &tt_b};
	unsigned i, j;

	for (i = 0; i < 2; i++) {
		struct net_txbuf *tb = net_port_txbuf(&nodes[i]->net, 0);

		for (j = 0; j < tb->n; j++)
			rte_pktmbuf_free(tb->pkts[j]);
		tb->n = 0;
	}
}

void
tt_teardown(void)
{
	if (tt_pool == NULL)
		return;
	tcp_stack_destroy(tt_a.s);
	tcp_stack_destroy(tt_b.s);
	tt_a.s = tt_b.s = NULL;
	tt_tx_clear();
	cr_assert_eq(rte_mempool_avail_count(tt_pool), TT_POOL_SIZE,
	             "mbuf leak: %u of %u back in the pool",
	             rte_mempool_avail_count(tt_pool), TT_POOL_SIZE);
}

void
tt_clock(uint64_t ms)
{
	uint64_t tsc = TT_T0 + ms * TT_MS;

	tt_now_ms = ms;
	net_timer(&tt_a.net, tsc);
	net_timer(&tt_b.net, tsc);
	if (tt_a.s != NULL)
		tcp_stack_timer(tt_a.s, tsc);
	if (tt_b.s != NULL)
		tcp_stack_timer(tt_b.s, tsc);
}

void
tt_advance(uint64_t ms)
{
	uint64_t i;

	for (i = 0; i < ms; i++)
		tt_clock(tt_now_ms + 1);
}

unsigned
tt_tx_n(struct tt_node *n)
{
	return net_port_txbuf(&n->net, 0)->n;
}

static void
tt_parse(const uint8_t *f, size_t n, struct tt_seg *g)
{
	const uint8_t *ip = f + 14, *th, *o;
	uint32_t tot, thl, ps, i;

	cr_assert_geq(n, 14 + 20 + 20);
	cr_assert_eq(f[12], 0x08);
	cr_assert_eq(ip[9], IPPROTO_TCP);
	cr_assert_eq(gh_test_cksum(ip, 20, 0), 0xffff, "IPv4 checksum");
	tot = (uint32_t)(ip[2] << 8 | ip[3]);
	cr_assert_eq(14 + tot, n);
	th = ip + 20;
	/* pseudo-header */
	ps = gh_test_cksum(ip + 12, 8, 0) + IPPROTO_TCP + (tot - 20);
	cr_assert_eq(gh_test_cksum(th, tot - 20, ps), 0xffff, "TCP checksum");
	memset(g, 0, sizeof(*g));
	g->ip_len = tot;
	memcpy(&g->src_ip, ip + 12, 4);
	memcpy(&g->dst_ip, ip + 16, 4);
	g->sport = (uint16_t)(th[0] << 8 | th[1]);
	g->dport = (uint16_t)(th[2] << 8 | th[3]);
	g->seq = tt_be32(th + 4);
	g->ack = tt_be32(th + 8);
	thl = (uint32_t)(th[12] >> 4) * 4;
	g->flags = th[13];
	g->wnd = (uint16_t)(th[14] << 8 | th[15]);
	g->ws = -1;
	o = th + 20;
	for (i = 0; i < thl - 20;) {
		uint8_t k = o[i];

		if (k == 0)
			break;
		if (k == 1) {
			i++;
			continue;
		}
		cr_assert_geq(o[i + 1], 2);
		if (k == 2)
			g->mss = o[i + 2] << 8 | o[i + 3];
		else if (k == 3)
			g->ws = o[i + 2];
		else if (k == 4)
			g->sackok = 1;
		else if (k == 8) {
			g->has_ts = 1;
			g->tsval = tt_be32(o + i + 2);
			g->tsecr = tt_be32(o + i + 6);
		} else if (k == 5) {
			unsigned j;

			g->n_sack = (o[i + 1] - 2u) / 8;
			for (j = 0; j < g->n_sack && j < 4; j++) {
				g->sack[j][0] = tt_be32(o + i + 2 + 8 * j);
				g->sack[j][1] = tt_be32(o + i + 6 + 8 * j);
			}
		}
		i += o[i + 1];
	}
	g->len = tot - 20 - thl;
	memcpy(g->data, th + thl, g->len);
}

void
tt_tx_seg(struct tt_node *n, unsigned i, struct tt_seg *g)
{
	struct net_txbuf *tb = net_port_txbuf(&n->net, 0);
	uint8_t f[TT_FRAME_MAX + 100];
	const void *p;

	cr_assert_lt(i, tb->n, "want frame %u of %u", i, tb->n);
	cr_assert_leq(rte_pktmbuf_pkt_len(tb->pkts[i]), sizeof(f));
	p = rte_pktmbuf_read(tb->pkts[i], 0, rte_pktmbuf_pkt_len(tb->pkts[i]),
	                     f);
	if (p != f)
		memcpy(f, p, rte_pktmbuf_pkt_len(tb->pkts[i]));
	tt_parse(f, rte_pktmbuf_pkt_len(tb->pkts[i]), g);
}

void
tt_inject(uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
          uint8_t flags, uint16_t wnd, const struct tt_opts *o,
          const void *data, uint32_t len)
{
	uint8_t f[TT_FRAME_MAX], opt[40];
	unsigned olen = 0, thl, tot, j;
	uint8_t *ip = f + 14, *th = ip + 20;
	struct rte_mbuf *m;
	uint32_t ps;
	uint16_t c;

	if (o != NULL) {
		if (o->mss > 0) {
			opt[olen++] = 2;
			opt[olen++] = 4;
			opt[olen++] = (uint8_t)(o->mss >> 8);
			opt[olen++] = (uint8_t)o->mss;
		}
		if (o->ws >= 0) {
			opt[olen++] = 1;
			opt[olen++] = 3;
			opt[olen++] = 3;
			opt[olen++] = (uint8_t)o->ws;
		}
		if (o->sackok) {
			opt[olen++] = 1;
			opt[olen++] = 1;
			opt[olen++] = 4;
			opt[olen++] = 2;
		}
		if (o->ts) {
			uint32_t v = rte_cpu_to_be_32(o->tsval);
			uint32_t e = rte_cpu_to_be_32(o->tsecr);

			opt[olen++] = 1;
			opt[olen++] = 1;
			opt[olen++] = 8;
			opt[olen++] = 10;
			memcpy(opt + olen, &v, 4);
			memcpy(opt + olen + 4, &e, 4);
			olen += 8;
		}
		if (o->n_sack > 0) {
			opt[olen++] = 1;
			opt[olen++] = 1;
			opt[olen++] = 5;
			opt[olen++] = (uint8_t)(2 + 8 * o->n_sack);
			for (j = 0; j < o->n_sack; j++) {
				uint32_t a = rte_cpu_to_be_32(o->sack[j][0]);
				uint32_t b = rte_cpu_to_be_32(o->sack[j][1]);

				memcpy(opt + olen, &a, 4);
				memcpy(opt + olen + 4, &b, 4);
				olen += 8;
			}
		}
	}
	cr_assert_leq(olen, 40);
	thl = 20 + olen;
	tot = 20 + thl + len;
	cr_assert_leq(14 + tot, sizeof(f));
	memcpy(f, &tt_mac_a, 6);
	memcpy(f + 6, &tt_mac_b, 6);
	f[12] = 0x08;
	f[13] = 0x00;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	ip[2] = (uint8_t)(tot >> 8);
	ip[3] = (uint8_t)tot;
	ip[6] = 0x40;
	ip[8] = 64;
	ip[9] = IPPROTO_TCP;
	memcpy(ip + 12, &(uint32_t){TT_IP_B}, 4);
	memcpy(ip + 16, &(uint32_t){TT_IP_A}, 4);
	c = (uint16_t)~gh_test_cksum(ip, 20, 0);
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
	memset(th, 0, thl);
	th[0] = (uint8_t)(sport >> 8);
	th[1] = (uint8_t)sport;
	th[2] = (uint8_t)(dport >> 8);
	th[3] = (uint8_t)dport;
	tt_put_be32(th + 4, seq);
	tt_put_be32(th + 8, ack);
	th[12] = (uint8_t)((thl / 4) << 4);
	th[13] = flags;
	th[14] = (uint8_t)(wnd >> 8);
	th[15] = (uint8_t)wnd;
	memcpy(th + 20, opt, olen);
	if (len > 0)
		memcpy(th + thl, data, len);
	ps = gh_test_cksum(ip + 12, 8, 0) + IPPROTO_TCP + (tot - 20);
	c = (uint16_t)~gh_test_cksum(th, tot - 20, ps);
	th[16] = (uint8_t)(c >> 8);
	th[17] = (uint8_t)c;
	m = rte_pktmbuf_alloc(tt_pool);
	cr_assert_not_null(m);
	memcpy(rte_pktmbuf_append(m, (uint16_t)(14 + tot)), f, 14 + tot);
	net_input(&tt_a.net, 0, &m, 1);
}

uint64_t
tt_cnt(struct tt_node *n, const char *name)
{
	const uint64_t *v = (const uint64_t *)tcp_stack_counters(n->s);
	unsigned i;

	for (i = 0; i < tcp_counters_desc.n; i++)
		if (strcmp(tcp_counters_desc.counters[i].name, name) == 0)
			return v[i];
	cr_assert_fail("no counter tcp.%s", name);
	return 0;
}

struct rte_mbuf *
tt_chain(uint32_t seed, uint64_t off, uint32_t len, uint32_t seg)
{
	struct rte_mbuf *head = NULL, *m;
	uint32_t done = 0, i;

	while (done < len) {
		uint32_t n = RTE_MIN(seg, len - done);
		uint8_t *d;

		m = rte_pktmbuf_alloc(tt_pool);
		cr_assert_not_null(m);
		d = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)n);
		cr_assert_not_null(d);
		for (i = 0; i < n; i++)
			d[i] = tt_pattern(seed, off + done + i);
		if (head == NULL)
			head = m;
		else
			cr_assert_eq(rte_pktmbuf_chain(head, m), 0);
		done += n;
	}
	return head;
}
