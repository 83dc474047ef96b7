/*
 * libFuzzer harness of TCP segment input (lib/tcp through lib/net): node A
 * (10.0.0.1) has a listener on port 80 and opens one connection to B
 * (10.0.0.2:5000); the input is a script of segments from B and of
 * actions on A, played against a fresh stack on a fake clock, like the
 * unit harness tests/unit/tcp/tcp_test_util.c.
 *
 * Input: one byte of set-up, then records (at most FZ_RECORDS):
 *   set-up: bit 0 the application reads nothing (tcp_recved only by
 *           action), bit 1 syn_backlog 1 (SYN cookies at once), bit 2
 *           NewReno, bit 3 keepalive after 1 s, bit 4 max_conns 4 (the
 *           pool runs out);
 *   op & 7 = 0..3  a segment from B, built: flags, then a selector (bits
 *           0-2 the flow: 0, 1, 4-7 clients 40000-40006 of the listener,
 *           2 B's end of the active open, 3 a closed port; bits 3-4 the
 *           sequence number and 5-6 the ack number: "next expected"
 *           (tracked from what A sent), that plus a small delta, taken
 *           whole from the input, or B's next minus up to 64 KiB / A's
 *           ISS + 1; bit 7 a window follows, else 65535), raw TCP
 *           options (0-40 bytes) and a payload (input bytes, or a
 *           pattern up to 1456 bytes);
 *   4      the clock moves (10 ms x the next byte);
 *   5      an action on an accepted connection or the active one: send,
 *          tcp_recved, shutdown, close, abort, unlisten / listen;
 *   6      a raw TCP segment (header and all, any data offset) from the
 *          input, checksummed by the harness, its ports those of a flow
 *          unless selector bit 3;
 *   7      a segment with a wrong TCP checksum.
 * Checked besides sanitizer reports: every frame A sends carries valid
 * IPv4 and TCP checksums, comes from A to B and fits the MTU; the stack
 * never holds more TCBs than max_conns; after tcp_stack_destroy() every
 * mbuf is back in the pool (no leak on any path).
 *
 * EAL: --no-huge --no-pci --no-shconf and a file prefix of the process's
 * own (--in-memory cannot be combined with --no-huge in DPDK 22.11, see
 * tests/unit/common/gh_test_eal.c), started once in LLVMFuzzerInitialize.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "common/gh_common.h"
#include "net/net.h"
#include "tcp/tcp.h"
#include "net/net_flow_owner.h"
#include "tests/unit/common/gh_test_cksum.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_HZ        1000000000ull
#define FZ_T0        1000000000ull
#define FZ_MS        (FZ_HZ / 1000)
#define FZ_POOL_SIZE 4095
#define FZ_RECORDS   96
#define FZ_CONNS     4 /* accepted connections the application keeps */
#define FZ_FLOWS     8 /* flows B plays */
#define FZ_FRAME_MAX 1600
#define FZ_IP(a, b, c, d)                                        \
	RTE_BE32(((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | \
	         ((uint32_t)(c) << 8) | (uint32_t)(d))
#define FZ_IP_A FZ_IP(10, 0, 0, 1)
#define FZ_IP_B FZ_IP(10, 0, 0, 2)

static const struct rte_ether_addr mac_a = {{2, 0, 0, 0, 0, 0xa}};
static const struct rte_ether_addr mac_b = {{2, 0, 0, 0, 0, 0xb}};
static const uint8_t secret[16] = {1, 2,  3,  4,  5,  6,  7,  8,
                                   9, 10, 11, 12, 13, 14, 15, 16};

static struct rte_mempool *pool;
static struct net_flow_owner rss;

/* One run: the stack, what the application holds, what B knows. */
static struct {
	struct net_ctx net;
	struct tcp_stack *s;
	uint64_t now_tsc;
	bool auto_recved;
	struct tcp_conn *conn[FZ_CONNS]; /* accepted, NULL when closed */
	uint32_t unread[FZ_CONNS + 1];   /* delivered, not tcp_recved */
	struct tcp_conn *active;         /* the active open, NULL closed */
	bool closing[FZ_CONNS + 1];      /* tcp_close()d: wait for on_close */
	bool listening;
	uint32_t max_conns;
	/* per flow B plays: ports, B's next sequence number, the highest
	 * sequence number A has sent (its snd_max), A's ISS */
	uint16_t sport[FZ_FLOWS], dport[FZ_FLOWS];
	uint32_t b_next[FZ_FLOWS], a_max[FZ_FLOWS], a_iss[FZ_FLOWS];
} fz;

/* conn index 0..FZ_CONNS-1 accepted, FZ_CONNS the active one */
static void *
slot_arg(unsigned i)
{
	return (void *)(uintptr_t)(i + 1);
}

static unsigned
arg_slot(void *arg)
{
	uintptr_t v = (uintptr_t)arg;

	GH_VERIFY(v >= 1 && v <= FZ_CONNS + 1);
	return (unsigned)(v - 1);
}

static void *
on_accept(void *larg, struct tcp_conn *c)
{
	unsigned i;

	(void)larg;
	for (i = 0; i < FZ_CONNS; i++)
		if (fz.conn[i] == NULL) {
			fz.conn[i] = c;
			fz.unread[i] = 0;
			return slot_arg(i);
		}
	return NULL; /* refused: reset */
}

static void
on_connected(void *arg, struct tcp_conn *c)
{
	GH_VERIFY(arg_slot(arg) == FZ_CONNS && c == fz.active);
}

static void
on_data(void *arg, struct tcp_conn *c, struct rte_mbuf *m)
{
	unsigned i = arg_slot(arg);
	uint32_t n = rte_pktmbuf_pkt_len(m);

	GH_VERIFY(n > 0);
	rte_pktmbuf_free(m);
	if (fz.auto_recved)
		tcp_recved(c, n);
	else
		fz.unread[i] += n;
}

static void
on_writable(void *arg, struct tcp_conn *c)
{
	(void)arg;
	(void)c;
}

static void
on_peer_fin(void *arg, struct tcp_conn *c)
{
	(void)arg;
	(void)c;
}

static void
on_close(void *arg, struct tcp_conn *c, enum tcp_close_reason why)
{
	unsigned i = arg_slot(arg);

	GH_VERIFY((unsigned)why <= TCP_CLOSE_STACK_STOP);
	if (i == FZ_CONNS) {
		GH_VERIFY(fz.active == c);
		fz.active = NULL;
	} else {
		GH_VERIFY(fz.conn[i] == c);
		fz.conn[i] = NULL;
	}
	fz.unread[i] = 0;
	fz.closing[i] = false;
}

static const struct tcp_callbacks cbs = {
    .on_accept = on_accept,
    .on_connected = on_connected,
    .on_data = on_data,
    .on_writable = on_writable,
    .on_peer_fin = on_peer_fin,
    .on_close = on_close,
};

static unsigned
on_tcp(void *arg, unsigned port_idx, struct rte_mbuf **pkts, unsigned n)
{
	unsigned i;

	(void)arg;
	if (fz.s != NULL)
		return tcp_stack_input_burst(fz.s, port_idx, pkts, n);
	for (i = 0; i < n; i++)
		rte_pktmbuf_free(pkts[i]);
	return 0;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char prefix[64];
	char *eal_argv[] = {"fuzz_tcp",
	                    "--no-huge",
	                    "--no-shconf",
	                    "--no-pci",
	                    "-m",
	                    "256",
	                    "--no-telemetry",
	                    "-l",
	                    "0",
	                    "--log-level=*:error",
	                    prefix,
	                    NULL};

	(void)argc;
	(void)argv;
	snprintf(prefix, sizeof(prefix), "--file-prefix=gh-fuzz-tcp-%ld",
	         (long)getpid());
	GH_VERIFY(rte_eal_init((int)GH_ARRAY_SIZE(eal_argv) - 1, eal_argv) >=
	          0);
	pool =
	    rte_pktmbuf_pool_create("fz_pool", FZ_POOL_SIZE, 0, 0,
	                            RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	GH_VERIFY(pool != NULL);
	GH_VERIFY(net_flow_owner_init(&rss, 1, NULL, 0) == 0);
	return 0;
}

static uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* Which flow of B a frame of A belongs to (by B's port), or -1. */
static int
flow_of(uint16_t bport, uint16_t aport)
{
	unsigned i;

	for (i = 0; i < FZ_FLOWS; i++)
		if (fz.sport[i] == bport &&
		    (fz.dport[i] == aport || fz.dport[i] == 0))
			return (int)i;
	return -1;
}

/* Check and learn from every frame A queued, then free them. */
static void
drain(void)
{
	struct net_txbuf *tb = net_port_txbuf(&fz.net, 0);
	static uint8_t f[FZ_FRAME_MAX + 64];
	unsigned i;

	for (i = 0; i < tb->n; i++) {
		struct rte_mbuf *m = tb->pkts[i];
		uint32_t n = rte_pktmbuf_pkt_len(m), tot, thl, ps, seq, end;
		const uint8_t *ip, *th, *p;
		uint16_t bport, aport;
		int fl;

		GH_VERIFY(n >= 14 + 20 + 20 && n <= 14 + 1500);
		p = rte_pktmbuf_read(m, 0, n, f);
		GH_VERIFY(p != NULL);
		if (p != f)
			memcpy(f, p, n);
		rte_pktmbuf_free(m);
		GH_VERIFY(f[12] == 0x08 && f[13] == 0x00);
		ip = f + 14;
		GH_VERIFY(ip[0] == 0x45 && ip[9] == IPPROTO_TCP);
		GH_VERIFY(gh_test_cksum(ip, 20, 0) == 0xffff);
		tot = (uint32_t)(ip[2] << 8 | ip[3]);
		GH_VERIFY(14 + tot == n);
		GH_VERIFY(memcmp(ip + 12, &(uint32_t){FZ_IP_A}, 4) == 0);
		GH_VERIFY(memcmp(ip + 16, &(uint32_t){FZ_IP_B}, 4) == 0);
		th = ip + 20;
		ps = gh_test_cksum(ip + 12, 8, 0) + IPPROTO_TCP + (tot - 20);
		GH_VERIFY(gh_test_cksum(th, tot - 20, ps) == 0xffff);
		thl = (uint32_t)(th[12] >> 4) * 4;
		GH_VERIFY(thl >= 20 && thl <= tot - 20);
		aport = (uint16_t)(th[0] << 8 | th[1]);
		bport = (uint16_t)(th[2] << 8 | th[3]);
		fl = flow_of(bport, aport);
		if (fl < 0)
			continue;
		seq = rd32(th + 4);
		end = seq + (tot - 20 - thl) + ((th[13] & 0x02) != 0) +
		      ((th[13] & 0x01) != 0);
		if (th[13] & 0x02) { /* SYN: A's ISS of this flow */
			fz.a_iss[fl] = seq;
			fz.a_max[fl] = end;
			if (fz.dport[fl] == 0)
				fz.dport[fl] = aport;
		} else if ((int32_t)(end - fz.a_max[fl]) > 0) {
			fz.a_max[fl] = end;
		}
	}
	tb->n = 0;
	GH_VERIFY(tcp_stack_conns(fz.s) <= fz.max_conns);
}

/* A reader of the input. */
struct rd {
	const uint8_t *p;
	size_t n;
};

static uint8_t
rd_u8(struct rd *r)
{
	uint8_t v;

	if (r->n == 0)
		return 0;
	v = *r->p++;
	r->n--;
	return v;
}

static uint16_t
rd_u16(struct rd *r)
{
	uint16_t hi = rd_u8(r);

	return (uint16_t)(hi << 8 | rd_u8(r));
}

static uint32_t
rd_u32(struct rd *r)
{
	uint32_t hi = rd_u16(r);

	return hi << 16 | rd_u16(r);
}

/* Up to <n> input bytes into <out>, zeros past the end of the input. */
static void
rd_bytes(struct rd *r, uint8_t *out, uint32_t n)
{
	uint32_t k = n < r->n ? n : (uint32_t)r->n;

	memcpy(out, r->p, k);
	memset(out + k, 0, n - k);
	r->p += k;
	r->n -= k;
}

/* Frame the TCP segment th[0 .. len) from B to A, fill in both
 * checksums (the TCP one spoiled when <bad_cksum>) and feed it to A. */
static void
inject(uint8_t *f, uint32_t len, bool bad_cksum)
{
	uint8_t *ip = f + 14, *th = ip + 20;
	uint32_t tot = 20 + len, ps;
	struct rte_mbuf *m;
	uint16_t c;
	char *d;

	memcpy(f, &mac_a, 6);
	memcpy(f + 6, &mac_b, 6);
	f[12] = 0x08;
	f[13] = 0x00;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	ip[2] = (uint8_t)(tot >> 8);
	ip[3] = (uint8_t)tot;
	ip[6] = 0x40;
	ip[8] = 64;
	ip[9] = IPPROTO_TCP;
	memcpy(ip + 12, &(uint32_t){FZ_IP_B}, 4);
	memcpy(ip + 16, &(uint32_t){FZ_IP_A}, 4);
	c = (uint16_t)~gh_test_cksum(ip, 20, 0);
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
	if (len >= 18) {
		th[16] = th[17] = 0;
		ps = gh_test_cksum(ip + 12, 8, 0) + IPPROTO_TCP + len;
		c = (uint16_t)~gh_test_cksum(th, len, ps);
		if (bad_cksum)
			c ^= 0x0100;
		th[16] = (uint8_t)(c >> 8);
		th[17] = (uint8_t)c;
	}
	m = rte_pktmbuf_alloc(pool);
	GH_VERIFY(m != NULL);
	d = rte_pktmbuf_append(m, (uint16_t)(14 + tot));
	GH_VERIFY(d != NULL);
	memcpy(d, f, 14 + tot);
	net_input(&fz.net, 0, &m, 1);
	drain();
}

/* op 0-3 and 7: a segment of one of B's flows built from the input. */
static void
segment(struct rd *r, bool bad_cksum)
{
	static uint8_t f[FZ_FRAME_MAX];
	uint8_t *th = f + 14 + 20;
	uint8_t flags = rd_u8(r), sel = rd_u8(r), olen, dlen_sel;
	unsigned fl = sel & 7, i;
	uint32_t seq, ack, thl, dlen;
	uint16_t wnd;

	switch ((sel >> 3) & 3) {
	case 0:
		seq = fz.b_next[fl];
		break;
	case 1:
		seq = fz.b_next[fl] + (uint32_t)(int8_t)rd_u8(r);
		break;
	case 2:
		seq = rd_u32(r);
		break;
	default:
		seq = fz.b_next[fl] - 1 - (uint32_t)rd_u16(r);
	}
	switch ((sel >> 5) & 3) {
	case 0:
		ack = fz.a_max[fl];
		break;
	case 1:
		ack = fz.a_max[fl] + (uint32_t)(int8_t)rd_u8(r);
		break;
	case 2:
		ack = rd_u32(r);
		break;
	default:
		ack = fz.a_iss[fl] + 1;
	}
	wnd = sel & 0x80 ? rd_u16(r) : 65535;
	olen = (uint8_t)(rd_u8(r) % 41);
	thl = (20u + olen + 3) & ~3u;
	memset(th, 0, thl);
	rd_bytes(r, th + 20, olen);
	dlen_sel = rd_u8(r);
	if (dlen_sel < 200) {
		dlen = dlen_sel;
		rd_bytes(r, th + thl, dlen);
	} else {
		dlen = (dlen_sel - 199u) * 26;
		for (i = 0; i < dlen; i++)
			th[thl + i] = (uint8_t)(i * 7 + seq);
	}
	th[0] = (uint8_t)(fz.sport[fl] >> 8);
	th[1] = (uint8_t)fz.sport[fl];
	th[2] = (uint8_t)(fz.dport[fl] >> 8);
	th[3] = (uint8_t)fz.dport[fl];
	for (i = 0; i < 4; i++) {
		th[4 + i] = (uint8_t)(seq >> (24 - 8 * i));
		th[8 + i] = (uint8_t)(ack >> (24 - 8 * i));
	}
	th[12] = (uint8_t)((thl / 4) << 4);
	th[13] = flags;
	th[14] = (uint8_t)(wnd >> 8);
	th[15] = (uint8_t)wnd;
	fz.b_next[fl] =
	    seq + dlen + ((flags & 0x02) != 0) + ((flags & 0x01) != 0);
	inject(f, thl + dlen, bad_cksum);
}

/* op 6: a raw TCP segment; its ports are forced onto one of B's flows
 * unless the selector's bit 2 is set. */
static void
raw_segment(struct rd *r)
{
	static uint8_t f[FZ_FRAME_MAX];
	uint8_t *th = f + 14 + 20, sel = rd_u8(r);
	uint32_t len = rd_u8(r);
	unsigned fl = sel & 7;

	rd_bytes(r, th, len);
	if (!(sel & 8) && len >= 4) {
		th[0] = (uint8_t)(fz.sport[fl] >> 8);
		th[1] = (uint8_t)fz.sport[fl];
		th[2] = (uint8_t)(fz.dport[fl] >> 8);
		th[3] = (uint8_t)fz.dport[fl];
	}
	inject(f, len, false);
}

static void
clock_move(uint32_t ms)
{
	fz.now_tsc += (uint64_t)ms * FZ_MS;
	net_timer(&fz.net, fz.now_tsc);
	tcp_stack_timer(fz.s, fz.now_tsc);
	drain();
}

/* op 5: the application acts on one of its connections. */
static void
action(struct rd *r)
{
	uint8_t a = rd_u8(r), n = rd_u8(r);
	unsigned i = (a >> 4) % (FZ_CONNS + 1);
	struct tcp_conn *c = i == FZ_CONNS ? fz.active : fz.conn[i];
	struct rte_mbuf *m;
	uint32_t len;

	if ((a & 7) == 5) {
		if (fz.listening)
			GH_VERIFY(
			    tcp_unlisten(fz.s, 0, FZ_IP_A, RTE_BE16(80)) == 0);
		else
			GH_VERIFY(tcp_listen(fz.s, 0, FZ_IP_A, RTE_BE16(80),
			                     TCP_CC_CUBIC, &cbs, NULL) == 0);
		fz.listening = !fz.listening;
		drain();
		return;
	}
	if (c == NULL || fz.closing[i])
		return;
	switch (a & 7) {
	case 0: /* send n * 64 bytes */
		len = (uint32_t)n * 64 + 1;
		m = rte_pktmbuf_alloc(pool);
		GH_VERIFY(m != NULL);
		if (len > rte_pktmbuf_tailroom(m))
			len = rte_pktmbuf_tailroom(m);
		memset(rte_pktmbuf_append(m, (uint16_t)len), 'x', len);
		if (tcp_send(c, m) != 0)
			rte_pktmbuf_free(m);
		break;
	case 1:
		tcp_recved(c, fz.unread[i]);
		fz.unread[i] = 0;
		break;
	case 2:
		(void)tcp_shutdown(c);
		break;
	case 3:
		tcp_close(c);
		/* no callback but on_close from now on (it may have come
		 * already): act on it no more */
		if ((i == FZ_CONNS ? fz.active : fz.conn[i]) != NULL)
			fz.closing[i] = true;
		break;
	case 4:
		tcp_abort(c);
		GH_VERIFY(i == FZ_CONNS ? fz.active == NULL
		                        : fz.conn[i] == NULL);
		break;
	default:
		break;
	}
	drain();
}

static void
run_start(uint8_t setup)
{
	struct net_params np = {
	    .worker_id = 0,
	    .pool = pool,
	    .tsc_hz = FZ_HZ,
	    .arp_entry_ttl_s = 100000,
	    .arp_pending_max = 8,
	    .arp_pending_timeout_ms = 1000,
	};
	struct tcp_stack_params p = {
	    .worker_id = 0,
	    .n_workers = 1,
	    .max_conns = setup & 0x10 ? 4 : 16,
	    .syn_backlog = setup & 2 ? 1 : 8,
	    .rcv_buf_bytes = 16 * 1024,
	    .snd_buf_bytes = 16 * 1024,
	    .time_wait_ms = 60000,
	    .keepalive_idle_ms = setup & 8 ? 1000 : 0,
	    .keepalive_intvl_ms = 1000,
	    .keepalive_probes = 3,
	    .rto_min_ms = 200,
	    .rto_max_ms = 60000,
	    .syn_retries = 6,
	    .data_retries = 15,
	    .delack_ms = 40,
	    .ephemeral_lo = 32768,
	    .ephemeral_hi = 60999,
	    .cc = setup & 4 ? TCP_CC_NEWRENO : TCP_CC_CUBIC,
	    .isn_secret = secret,
	    .flow_owner = &rss,
	    .net = &fz.net,
	    .pool = pool,
	    .tsc_hz = FZ_HZ,
	    .start_tsc = FZ_T0,
	};
	static const uint16_t sports[FZ_FLOWS] = {40000, 40001, 5000,  40002,
	                                          40003, 40004, 40005, 40006};
	static const uint16_t dports[FZ_FLOWS] = {80, 80, 0,  81,
	                                          80, 80, 80, 80};
	unsigned i;

	memset(&fz, 0, sizeof(fz));
	fz.now_tsc = FZ_T0;
	fz.auto_recved = !(setup & 1);
	fz.max_conns = p.max_conns;
	for (i = 0; i < FZ_FLOWS; i++) {
		fz.sport[i] = sports[i];
		fz.dport[i] = dports[i];
		fz.b_next[i] = 1000000u * (i + 1);
	}
	GH_VERIFY(net_ctx_init(&fz.net, &np) == 0);
	GH_VERIFY(net_proto_register(&fz.net, IPPROTO_TCP, on_tcp, NULL) == 0);
	GH_VERIFY(net_port_add(&fz.net, 0, &mac_a, FZ_IP_A, 24, 0, 1500) == 0);
	net_timer(&fz.net, FZ_T0);
	net_neigh_update(&fz.net, 0, FZ_IP_B, &mac_b);
	fz.s = tcp_stack_create(&p);
	GH_VERIFY(fz.s != NULL);
	GH_VERIFY(tcp_listen(fz.s, 0, FZ_IP_A, RTE_BE16(80), TCP_CC_CUBIC, &cbs,
	                     NULL) == 0);
	fz.listening = true;
	GH_VERIFY(tcp_connect(fz.s, 0, FZ_IP_A, FZ_IP_B, RTE_BE16(5000),
	                      TCP_CC_CUBIC, &cbs, slot_arg(FZ_CONNS),
	                      &fz.active) == 0);
	drain();
	GH_VERIFY(fz.dport[2] != 0); /* A's SYN named its port */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rd r = {data, size};
	struct net_txbuf *tb;
	unsigned k;

	if (size < 1 || size > 8192)
		return 0;
	run_start(rd_u8(&r));
	for (k = 0; k < FZ_RECORDS && r.n > 0; k++) {
		uint8_t op = rd_u8(&r);

		switch (op & 7) {
		case 4:
			clock_move(10u * rd_u8(&r));
			break;
		case 5:
			action(&r);
			break;
		case 6:
			raw_segment(&r);
			break;
		case 7:
			segment(&r, true);
			break;
		default:
			segment(&r, false);
		}
	}
	tcp_stack_destroy(fz.s);
	fz.s = NULL;
	tb = net_port_txbuf(&fz.net, 0);
	for (k = 0; k < tb->n; k++)
		rte_pktmbuf_free(tb->pkts[k]);
	tb->n = 0;
	GH_VERIFY(rte_mempool_avail_count(pool) == FZ_POOL_SIZE);
	return 0;
}
