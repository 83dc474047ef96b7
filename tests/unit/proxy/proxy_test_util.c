/*
 * The two-stack harness of the proxy tests (see proxy_test_util.h).
 */
#include <string.h>

#include <criterion/criterion.h>

#include "proxy_test_util.h"

struct peer cli, org;
void (*pt_tick)(uint64_t now_tsc);
unsigned pt_ext_frames;

static void *
on_accept(void *larg, struct tcp_conn *c)
{
	struct peer *p = larg;

	p->c = c;
	p->accepted++;
	p->answered = 0;
	p->rx_len = 0;
	p->fin = p->closed = false;
	return p;
}

static void
on_connected(void *arg, struct tcp_conn *c)
{
	struct peer *p = arg;

	p->c = c;
	p->connected = true;
}

static void
on_data(void *arg, struct tcp_conn *c, struct rte_mbuf *m)
{
	struct peer *p = arg;
	struct rte_mbuf *s;
	uint32_t n = 0;

	for (s = m; s != NULL; s = s->next) {
		uint32_t k = s->data_len;

		if (k > RX_MAX - 1 - p->rx_len)
			k = RX_MAX - 1 - p->rx_len;
		memcpy(p->rx + p->rx_len, rte_pktmbuf_mtod(s, char *), k);
		p->rx_len += k;
		n += s->data_len;
	}
	p->rx_total += n;
	p->rx[p->rx_len] = '\0';
	rte_pktmbuf_free(m);
	if (p->hold)
		p->held += n;
	else
		tcp_recved(c, n);
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
	struct peer *p = arg;

	(void)c;
	p->fin = true;
}

static void
on_close(void *arg, struct tcp_conn *c, enum tcp_close_reason why)
{
	struct peer *p = arg;

	(void)c;
	p->closed = true;
	p->why = why;
	p->c = NULL;
}

const struct tcp_callbacks peer_cbs = {
    .on_accept = on_accept,
    .on_connected = on_connected,
    .on_data = on_data,
    .on_writable = on_writable,
    .on_peer_fin = on_peer_fin,
    .on_close = on_close,
};

/* Move node <from>'s queued frames to <to> as fresh mbufs (a wire). */
void
carry(struct tt_node *from, struct tt_node *to)
{
	struct net_txbuf *tb = net_port_txbuf(&from->net, 0);
	unsigned i;

	for (i = 0; i < tb->n; i++) {
		struct rte_mbuf *m = tb->pkts[i], *w, *seg;
		uint32_t len = rte_pktmbuf_pkt_len(m);
		char *d;

		for (seg = m; seg != NULL; seg = seg->next) {
			if (RTE_MBUF_HAS_EXTBUF(seg)) {
				pt_ext_frames++;
				break;
			}
		}

		w = rte_pktmbuf_alloc(tt_pool);
		cr_assert_not_null(w);
		d = rte_pktmbuf_append(w, (uint16_t)len);
		cr_assert_not_null(d);
		cr_assert_not_null(rte_pktmbuf_read(m, 0, len, d));
		if (rte_pktmbuf_read(m, 0, len, d) != d)
			memcpy(d, rte_pktmbuf_read(m, 0, len, d), len);
		rte_pktmbuf_free(m);
		net_input(&to->net, 0, &w, 1);
	}
	tb->n = 0;
}

/* Run the wire, both stacks and the proxy's timers for <ms> fake ms. */
void
run(unsigned ms)
{
	unsigned t;

	for (t = 0; t < ms; t++) {
		unsigned k;

		for (k = 0; k < 8; k++) {
			carry(&tt_a, &tt_b);
			carry(&tt_b, &tt_a);
		}
		tt_advance(1);
		if (pt_tick != NULL)
			pt_tick(TT_T0 + tt_now_ms * TT_MS);
	}
}

void
pt_reset(void)
{
	memset(&cli, 0, sizeof(cli));
	memset(&org, 0, sizeof(org));
	pt_tick = NULL;
	pt_ext_frames = 0;
}

/* Send <len> bytes of <data> on <p>'s connection in segments of <seg>. */
void
peer_release(struct peer *p)
{
	p->hold = false;
	if (p->held > 0 && p->c != NULL)
		tcp_recved(p->c, p->held);
	p->held = 0;
}

void
send_bytes(struct peer *p, const char *data, uint32_t len, uint32_t seg)
{
	struct rte_mbuf *head = NULL;
	uint32_t off = 0;

	cr_assert_not_null(p->c);
	while (off < len) {
		uint32_t k = len - off < seg ? len - off : seg;
		struct rte_mbuf *m = rte_pktmbuf_alloc(tt_pool);
		char *d;

		cr_assert_not_null(m);
		d = rte_pktmbuf_append(m, (uint16_t)k);
		cr_assert_not_null(d);
		memcpy(d, data + off, k);
		if (head == NULL)
			head = m;
		else
			cr_assert_eq(rte_pktmbuf_chain(head, m), 0);
		off += k;
	}
	cr_assert_eq(tcp_send(p->c, head), 0, "tcp_send refused %u bytes", len);
}

void
send_str(struct peer *p, const char *s)
{
	send_bytes(p, s, (uint32_t)strlen(s), 1400);
}

/* Drop node A's queued frames whose TCP port <which> (0 source, 2
 * destination: the offset in the TCP header) is <port>: a peer that stops
 * acknowledging for a while; what was dropped is retransmitted later. */
void
drop_a_frames(unsigned which, uint16_t port)
{
	struct net_txbuf *tb = net_port_txbuf(&tt_a.net, 0);
	unsigned i, keep = 0;

	for (i = 0; i < tb->n; i++) {
		struct rte_mbuf *m = tb->pkts[i];
		const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
		uint16_t v = (uint16_t)(p[14 + 20 + which] << 8 |
		                        p[14 + 20 + which + 1]);

		if (rte_pktmbuf_data_len(m) > 14 + 20 + 4 && v == port)
			rte_pktmbuf_free(m);
		else
			tb->pkts[keep++] = m;
	}
	tb->n = keep;
}
