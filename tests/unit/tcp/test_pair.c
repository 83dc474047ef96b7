/*
 * Two stacks talking to each other in one process: node A connects to a
 * listener on node B and both send 4 MiB (pattern bytes, chains of odd
 * segment sizes) and then shut down.  Frames carried between them are
 * copied into fresh single-segment mbufs (as a wire would) and lost,
 * duplicated and reordered by a seeded PRNG.  Checks: every byte arrives
 * in order and exact, both sides see on_peer_fin and on_close(NORMAL),
 * and no mbuf leaks.  The strongest end-to-end proof of the endpoint.
 */
#include <string.h>

#include <criterion/criterion.h>
#include <rte_ip.h>

#include "tcp_test_util.h"

TestSuite(tcp_pair, .init = tt_setup_default, .fini = tt_teardown);

#define PAIR_BYTES (4u << 20)
#define Q_MAX      16384

struct app {
	uint32_t seed;
	struct tcp_conn *c;
	uint64_t sent, rcvd, total;
	bool shut, peer_fin, closed, bad;
	enum tcp_close_reason why;
};

static struct app app_a, app_b;
static uint64_t rng = 0x1234567;

static uint32_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

static void
pump(struct app *a)
{
	unsigned guard = 1000;

	while (a->c != NULL && !a->shut && guard-- > 0) {
		uint32_t len = 1 + rnd() % 9000, space;
		struct rte_mbuf *m;

		if (a->sent == a->total) {
			cr_assert_eq(tcp_shutdown(a->c), 0);
			a->shut = true;
			break;
		}
		if (len > a->total - a->sent)
			len = (uint32_t)(a->total - a->sent);
		space = tcp_send_space(a->c);
		if (space == 0)
			break;
		if (len > space)
			len = space;
		m = tt_chain(a->seed, a->sent, len, 200 + rnd() % 1800);
		if (tcp_send(a->c, m) != 0) {
			rte_pktmbuf_free(m);
			break;
		}
		a->sent += len;
	}
}

static void *
on_accept(void *larg, struct tcp_conn *c)
{
	cr_assert_eq(larg, &app_b);
	app_b.c = c;
	pump(&app_b);
	return &app_b;
}

static void
on_connected(void *arg, struct tcp_conn *c)
{
	struct app *a = arg;

	a->c = c;
	pump(a);
}

static void
on_data(void *arg, struct tcp_conn *c, struct rte_mbuf *m)
{
	struct app *a = arg;
	struct app *peer = a == &app_a ? &app_b : &app_a;
	struct rte_mbuf *s;
	uint32_t n = 0, i;

	for (s = m; s != NULL; s = s->next) {
		const uint8_t *d = rte_pktmbuf_mtod(s, const uint8_t *);

		for (i = 0; i < s->data_len; i++)
			if (d[i] != tt_pattern(peer->seed, a->rcvd + n + i))
				a->bad = true;
		n += s->data_len;
	}
	cr_assert_eq(n, rte_pktmbuf_pkt_len(m));
	a->rcvd += n;
	rte_pktmbuf_free(m);
	tcp_recved(c, n);
}

static void
on_writable(void *arg, struct tcp_conn *c)
{
	(void)c;
	pump(arg);
}

static void
on_peer_fin(void *arg, struct tcp_conn *c)
{
	struct app *a = arg;

	(void)c;
	a->peer_fin = true;
}

static void
on_close(void *arg, struct tcp_conn *c, enum tcp_close_reason why)
{
	struct app *a = arg;

	(void)c;
	a->closed = true;
	a->why = why;
	a->c = NULL;
}

static const struct tcp_callbacks cbs = {
    .on_accept = on_accept,
    .on_connected = on_connected,
    .on_data = on_data,
    .on_writable = on_writable,
    .on_peer_fin = on_peer_fin,
    .on_close = on_close,
};

struct qent {
	struct rte_mbuf *m;
	struct tt_node *to;
	uint64_t at;
};
static struct qent q[Q_MAX];
static unsigned qn;
/* tcp_pair_linear: every frame on the wire must be one mbuf */
static bool pair_linear;

/* Take <from>'s frames onto the wire with loss, duplication, reorder. */
static void
carry(struct tt_node *from, struct tt_node *to, unsigned loss_pm,
      unsigned dup_pm, unsigned reo_pm)
{
	struct net_txbuf *tb = net_port_txbuf(&from->net, 0);
	unsigned i, k;

	for (i = 0; i < tb->n; i++) {
		struct rte_mbuf *m = tb->pkts[i];
		unsigned copies = 1;

		if (pair_linear)
			cr_assert_eq(m->nb_segs, 1,
			             "a chain of %u on a linear port",
			             (unsigned)m->nb_segs);
		if (rnd() % 1000 < loss_pm)
			copies = 0;
		else if (rnd() % 1000 < dup_pm)
			copies = 2;
		for (k = 0; k < copies; k++) {
			struct rte_mbuf *w = rte_pktmbuf_alloc(tt_pool);
			uint32_t len = rte_pktmbuf_pkt_len(m);
			char *d;

			cr_assert_not_null(w);
			d = rte_pktmbuf_append(w, (uint16_t)len);
			cr_assert_not_null(d);
			cr_assert_eq(
			    rte_pktmbuf_read(m, 0, len, d) == d ||
			        (memcpy(d, rte_pktmbuf_read(m, 0, len, d), len),
			         1),
			    1);
			cr_assert_lt(qn, Q_MAX);
			q[qn].m = w;
			q[qn].to = to;
			q[qn].at = tt_now_ms + 1 +
			           (rnd() % 1000 < reo_pm ? 1 + rnd() % 3 : 0);
			qn++;
		}
		rte_pktmbuf_free(m);
	}
	tb->n = 0;
}

static void
deliver(void)
{
	unsigned i, j = 0;

	for (i = 0; i < qn; i++) {
		if (q[i].at <= tt_now_ms) {
			net_input(&q[i].to->net, 0, &q[i].m, 1);
			continue;
		}
		q[j++] = q[i];
	}
	qn = j;
}

static void
dump(const char *who, struct tt_node *n)
{
	const uint64_t *v = (const uint64_t *)tcp_stack_counters(n->s);
	unsigned i;

	for (i = 0; i < tcp_counters_desc.n; i++)
		if (v[i] != 0)
			cr_log_info("%s tcp.%s %lu", who,
			            tcp_counters_desc.counters[i].name,
			            (unsigned long)v[i]);
}

static void
run_pair(uint64_t bytes, unsigned loss_pm, unsigned dup_pm, unsigned reo_pm,
         uint64_t limit_ms)
{
	struct tcp_conn *c = NULL;
	uint64_t t;

	memset(&app_a, 0, sizeof(app_a));
	memset(&app_b, 0, sizeof(app_b));
	app_a.seed = 11;
	app_b.seed = 22;
	app_a.total = app_b.total = bytes;
	cr_assert_eq(tcp_listen(tt_b.s, 0, TT_IP_B, RTE_BE16(80), TCP_CC_CUBIC,
	                        &cbs, &app_b),
	             0);
	cr_assert_eq(tcp_connect(tt_a.s, 0, TT_IP_A, TT_IP_B, RTE_BE16(80),
	                         TCP_CC_NEWRENO, &cbs, &app_a, &c),
	             0);
	for (t = 0; t < limit_ms; t++) {
		carry(&tt_a, &tt_b, loss_pm, dup_pm, reo_pm);
		carry(&tt_b, &tt_a, loss_pm, dup_pm, reo_pm);
		tt_advance(1);
		deliver();
		pump(&app_a);
		pump(&app_b);
		if (app_a.closed && app_b.closed && qn == 0)
			break;
	}
	cr_log_info("after %lu simulated ms", (unsigned long)t);
	dump("A", &tt_a);
	dump("B", &tt_b);
	cr_assert(app_a.closed && app_b.closed,
	          "not closed after %lu ms: a sent %lu rcvd %lu, b sent %lu "
	          "rcvd %lu",
	          (unsigned long)t, (unsigned long)app_a.sent,
	          (unsigned long)app_a.rcvd, (unsigned long)app_b.sent,
	          (unsigned long)app_b.rcvd);
	cr_assert(!app_a.bad && !app_b.bad, "payload corrupted");
	cr_assert_eq(app_a.rcvd, bytes,
	             "a rcvd %lu sent %lu why %d/%d, b rcvd %lu sent %lu",
	             (unsigned long)app_a.rcvd, (unsigned long)app_a.sent,
	             app_a.why, app_b.why, (unsigned long)app_b.rcvd,
	             (unsigned long)app_b.sent);
	cr_assert_eq(app_b.rcvd, bytes);
	cr_assert(app_a.peer_fin && app_b.peer_fin);
	cr_assert_eq(app_a.why, TCP_CLOSE_NORMAL);
	cr_assert_eq(app_b.why, TCP_CLOSE_NORMAL);
	while (qn > 0) {
		qn--;
		rte_pktmbuf_free(q[qn].m);
	}
}

Test(tcp_pair, clean_4mib_each_way)
{
	run_pair(PAIR_BYTES, 0, 0, 0, 600000);
}

Test(tcp_pair, lossy_4mib_each_way, .timeout = 300)
{
	rng = 42;
	run_pair(PAIR_BYTES, 20, 5, 30, 3600000);
	cr_assert_gt(
	    tt_cnt(&tt_a, "rexmit_fast") + tt_cnt(&tt_a, "rexmit_rto") +
	        tt_cnt(&tt_b, "rexmit_fast") + tt_cnt(&tt_b, "rexmit_rto"),
	    0);
	cr_assert_gt(tt_cnt(&tt_a, "ooo_segs") + tt_cnt(&tt_b, "ooo_segs"), 0);
}

/*
 * The same pair with port 0 a "linear" port (tx_linear_ports, as for
 * net_af_xdp, whose driver takes no chains): every data segment is built
 * in one mbuf with the payload copied behind the headers; checksums
 * (checked by the receiving stack), payload and closes as above, under
 * loss, duplication and reordering (retransmissions copy again).
 */
static void
linear_tweak(struct tcp_stack_params *p)
{
	p->tx_linear_ports = 1;
}

static void
linear_setup(void)
{
	pair_linear = true;
	tt_setup(linear_tweak);
}

Test(tcp_pair_linear, lossy_4mib_each_way, .init = linear_setup,
     .fini = tt_teardown, .timeout = 300)
{
	rng = 43;
	run_pair(PAIR_BYTES, 20, 5, 30, 3600000);
	cr_assert_gt(tt_cnt(&tt_a, "tx_linear"), 1000);
	cr_assert_gt(tt_cnt(&tt_b, "tx_linear"), 1000);
	cr_assert_gt(tt_cnt(&tt_a, "rexmit_fast") + tt_cnt(&tt_a, "rexmit_rto"),
	             0);
}
