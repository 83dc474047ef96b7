/*
 * The worker loop: polling, flushing, timers, RCU quiescent states and idle
 * back-off.  What arrives goes to lib/net, which dispatches TCP and UDP to
 * the worker owning the flow and to the registered handlers (lib/tcp,
 * lib/dns); nothing of the data path runs here.  Everything a worker
 * touches is its own (struct worker) except the queues it polls, the
 * neighbour rings and (through lib/net) the hand-over rings of its peers,
 * which it only enqueues into, and the stop flag, which it only reads.
 */
#include <time.h>

#include <netinet/in.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include <urcu-qsbr.h>

#include "common/gh_common.h"
#include "dns/dns.h"
#include "net/net.h"
#include "proxy/proxy.h"
#include "tcp/tcp.h"
#include "worker.h"

/* The worker's own counters, then the L4 dispatch's (lib/net counts them
 * into cnt.l4): one group, "worker", as before the dispatch moved. */
static const struct stats_counter_desc worker_descs[] = {
    WORKER_COUNTERS(STATS_DESC) NET_L4_COUNTERS(STATS_DESC)};
const struct stats_group_desc worker_counters_desc = {
    "worker", worker_descs, GH_ARRAY_SIZE(worker_descs)};
_Static_assert(sizeof(struct worker_counters) ==
                   sizeof(worker_descs) / sizeof(worker_descs[0]) * 8,
               "worker counters and descriptors out of step");

/* The port group's table is built from PORT_COUNTERS and DEV_COUNTERS in
 * stats_view.c; this keeps the struct in step with the list. */
#define PORT_COUNTER_ONE(name, desc) +1
_Static_assert(sizeof(struct port_counters) ==
                   (0 PORT_COUNTERS(PORT_COUNTER_ONE)) * 8,
               "port counters and their declaration out of step");

/* How often the network layer's timers run. */
#define TIMER_PERIOD_US 1000

/*
 * net_learn_cb: tell every other worker what we learned.  An ARP answer may
 * arrive on any queue, but the worker that asked needs it.  A full ring
 * loses the update (counted); the asking worker will retry its request.
 */
void
worker_share_neigh(void *arg, unsigned port_idx, uint32_t ip_be,
                   const struct rte_ether_addr *mac)
{
	struct worker *w = arg;
	struct worker_neigh_msg msg = {
	    .ip_be = ip_be, .port_idx = (uint8_t)port_idx, .mac = *mac};
	unsigned i;

	for (i = 0; i < w->n_peers; i++) {
		struct worker *peer = w->peers[i];

		if (peer == w)
			continue;
		if (rte_ring_mp_enqueue_elem(peer->neigh_ring, &msg,
		                             sizeof(msg)) == 0)
			w->cnt.neigh_shared++;
		else
			w->cnt.neigh_share_drop++;
	}
}

static unsigned
worker_drain_neigh(struct worker *w)
{
	struct worker_neigh_msg msgs[WORKER_BURST];
	unsigned n, i;

	n = rte_ring_sc_dequeue_burst_elem(w->neigh_ring, msgs, sizeof(msgs[0]),
	                                   WORKER_BURST, NULL);
	for (i = 0; i < n; i++)
		net_neigh_update(&w->net, msgs[i].port_idx, msgs[i].ip_be,
		                 &msgs[i].mac);
	w->cnt.neigh_received += n;
	return n;
}

/*
 * Make the chain <m> one segment for a driver that cannot send chains
 * (net_af_xdp copies pkt_len bytes from the first segment alone, so a
 * header mbuf with the payload chained behind went out as the header and
 * whatever followed it in memory).  In place when the first segment is a
 * direct mbuf of our own with the tailroom (a header mbuf of lib/tcp: the
 * payload of one MTU-sized frame fits behind its headers), otherwise into
 * a new mbuf from <pool>.  Returns the single segment, or NULL with <m>
 * freed (no mbuf, or a frame larger than one).
 */
static struct rte_mbuf *
worker_flatten(struct rte_mbuf *m, struct rte_mempool *pool)
{
	struct rte_mbuf *f;
	const void *src;
	char *dst;

	if (RTE_MBUF_DIRECT(m) && rte_mbuf_refcnt_read(m) == 1 &&
	    rte_pktmbuf_linearize(m) == 0)
		return m;
	f = rte_pktmbuf_alloc(pool);
	if (f == NULL || rte_pktmbuf_tailroom(f) < m->pkt_len) {
		rte_pktmbuf_free(f);
		rte_pktmbuf_free(m);
		return NULL;
	}
	dst = rte_pktmbuf_append(f, (uint16_t)m->pkt_len);
	src = rte_pktmbuf_read(m, 0, m->pkt_len, dst);
	if (src != dst)
		rte_memcpy(dst, src, m->pkt_len);
	f->ol_flags = m->ol_flags;
	f->tx_offload = m->tx_offload;
	rte_pktmbuf_free(m);
	return f;
}

/* Chains on port <i>'s txbuf to single segments where its driver needs
 * them; what cannot be flattened is dropped (tx_drops). */
static void
worker_flatten_txbuf(struct worker *w, unsigned i, struct net_txbuf *tb)
{
	struct port_counters *pc = &w->pcnt[i];
	uint16_t k, n = 0;

	for (k = 0; k < tb->n; k++) {
		struct rte_mbuf *m = tb->pkts[k];

		if (m->nb_segs > 1) {
			m = worker_flatten(m, w->p.flat_pool[i]);
			if (m == NULL) {
				pc->tx_drops++;
				continue;
			}
			pc->tx_flattened++;
		}
		tb->pkts[n++] = m;
	}
	tb->n = n;
}

/* Hand every queued frame to the driver; free and count what it refuses. */
static void
worker_flush_tx(struct worker *w)
{
	unsigned i;

	for (i = 0; i < w->p.n_ports; i++) {
		struct net_txbuf *tb = net_port_txbuf(&w->net, i);
		struct port_counters *pc = &w->pcnt[i];
		uint64_t t0;
		uint16_t sent, k;

		if (tb->n == 0)
			continue;
		if (w->p.flat_pool[i] != NULL)
			worker_flatten_txbuf(w, i, tb);
		for (k = 0; k < tb->n; k++)
			pc->tx_bytes += rte_pktmbuf_pkt_len(tb->pkts[k]);
		t0 = rte_rdtsc();
		sent = rte_eth_tx_burst(w->p.port_ids[i], (uint16_t)w->p.id,
		                        tb->pkts, (uint16_t)tb->n);
		w->tx_tsc += rte_rdtsc() - t0;
		w->cnt.tx_bursts++;
		for (k = sent; k < tb->n; k++) {
			pc->tx_bytes -= rte_pktmbuf_pkt_len(tb->pkts[k]);
			rte_pktmbuf_free(tb->pkts[k]);
		}
		pc->tx_pkts += sent;
		pc->tx_drops += tb->n - sent;
		tb->n = 0;
	}
}

/*
 * Receive from every port: bursts until one comes back short, at most
 * WORKER_RX_BURSTS of them per port.  One burst per loop was too few: a
 * loop that sends two txbufs of data makes the kernel peers answer with
 * more ACKs than one burst takes, and net_af_packet's RX ring (512 frames)
 * then overflows silently (lost ACKs and requests, then RTOs).
 */
static unsigned
worker_poll_rx(struct worker *w)
{
	struct rte_mbuf *pkts[WORKER_BURST];
	unsigned i, b, total = 0;

	for (i = 0; i < w->p.n_ports; i++) {
		struct port_counters *pc = &w->pcnt[i];

		for (b = 0; b < WORKER_RX_BURSTS; b++) {
			uint64_t t0 = rte_rdtsc();
			uint16_t n, k;

			n = rte_eth_rx_burst(w->p.port_ids[i],
			                     (uint16_t)w->p.id, pkts,
			                     WORKER_BURST);
			w->rx_tsc += rte_rdtsc() - t0;
			if (n == 0)
				break;
			w->cnt.rx_bursts++;
			pc->rx_pkts += n;
			for (k = 0; k < n; k++)
				pc->rx_bytes += rte_pktmbuf_pkt_len(pkts[k]);
			net_input(&w->net, i, pkts, n);
			total += n;
			if (n < WORKER_BURST)
				break;
		}
	}
	return total;
}

/*
 * Sleep for <us> microseconds while offline for RCU, so a grace period
 * never waits for a sleeping worker.
 */
static void
worker_sleep(struct worker *w, uint32_t us)
{
	struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)us * 1000};

	rcu_thread_offline();
	nanosleep(&ts, NULL);
	rcu_thread_online();
	w->cnt.sleeps++;
}

int
worker_main(void *arg)
{
	struct worker *w = arg;
	const uint64_t hz = rte_get_tsc_hz();
	const uint64_t timer_tsc = hz * TIMER_PERIOD_US / 1000000;
	uint64_t last_timer = rte_rdtsc(), next_garp = last_timer;
	uint32_t empty = 0, sleep_us = 1;
	uint32_t garp_left = w->p.id == 0 ? w->p.garp_count : 0;

	GH_CHECK_OBJ_NOTNULL(w, WORKER_MAGIC);
	rcu_register_thread();

	while (!__atomic_load_n(w->p.stop, __ATOMIC_RELAXED)) {
		uint64_t t0 = rte_rdtsc(), t1, io_rx, io_tx;
		unsigned work;

		work = worker_poll_rx(w);
		work += worker_drain_neigh(w);
		work += net_steer_drain(&w->net);
		work += proxy_worker_poll(w->proxy);
		if (t0 - last_timer >= timer_tsc) {
			net_timer(&w->net, t0);
			tcp_stack_timer(w->tcp, t0);
			if (w->dns != NULL)
				dns_timer(w->dns, t0);
			proxy_worker_timer(w->proxy, t0);
			last_timer = t0;
		}
		if (garp_left > 0 && t0 >= next_garp) {
			unsigned i;

			for (i = 0; i < w->p.n_ports; i++)
				net_garp_send(&w->net, i);
			garp_left--;
			next_garp = t0 + hz; /* one a second, RFC 5227 style */
			work++;
		}
		worker_flush_tx(w);
		/* Senders parked on a full txbuf go again now, and what
		 * they queued leaves in this iteration (one more flush). */
		if (net_tx_flushed(&w->net) > 0) {
			worker_flush_tx(w);
			work++;
		}
		rcu_quiescent_state();

		w->cnt.loops++;
		t1 = rte_rdtsc();
		io_rx = w->rx_tsc;
		io_tx = w->tx_tsc;
		w->rx_tsc = 0;
		w->tx_tsc = 0;
		if (work > 0) {
			w->cnt.busy_tsc += t1 - t0;
			w->cnt.busy_rx_tsc += io_rx;
			w->cnt.busy_tx_tsc += io_tx;
			empty = 0;
			sleep_us = 1;
			continue;
		}
		w->cnt.idle_tsc += t1 - t0;
		/* idle-sleep-max-us 0 means: never sleep (as busy-poll). */
		if (w->p.busy_poll || w->p.idle_sleep_max_us == 0 ||
		    ++empty < w->p.idle_spin_polls)
			continue;
		/* Back off: double the sleep up to the configured ceiling. */
		worker_sleep(w, sleep_us);
		w->cnt.idle_tsc += rte_rdtsc() - t1;
		sleep_us = RTE_MIN(sleep_us * 2, w->p.idle_sleep_max_us);
	}

	worker_flush_tx(w);
	rcu_unregister_thread();
	return 0;
}
