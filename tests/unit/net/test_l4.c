/*
 * L4 dispatch and flow ownership in lib/net (issue 11 item 1): TCP and UDP
 * for us reach the handler the layer above registered, in bursts, on the
 * worker that owns the flow: a segment received by another worker crosses
 * that worker's hand-over ring (net_steer_drain()) with nothing of app/ in
 * between.  Two contexts of one appliance: nt_ctx is worker 0 (the
 * recorders of net_test_util as handlers), w1 worker 1 with its own
 * recorder; the owner hash is net_flow_owner.h's for two workers.
 */
#include <string.h>

#include <criterion/criterion.h>

#include "net/net_flow_owner.h"
#include "net_test_util.h"

static struct net_flow_owner owner;
static struct net_ctx w1;
static struct net_ctx *peers[2] = {&nt_ctx, &w1};

/* What worker 1's handler saw. */
static struct {
	unsigned calls, pkts, port_idx;
} r1;

static unsigned
w1_on_tcp(void *arg, unsigned port_idx, struct rte_mbuf **pkts, unsigned n)
{
	unsigned i;

	cr_assert_eq(arg, &r1);
	r1.calls++;
	r1.pkts += n;
	r1.port_idx = port_idx;
	for (i = 0; i < n; i++)
		rte_pktmbuf_free(pkts[i]);
	return 0;
}

static void
l4_init(void)
{
	struct net_params p = {
	    .worker_id = 1,
	    .tsc_hz = NT_HZ,
	    .arp_entry_ttl_s = NT_TTL_S,
	    .arp_pending_max = NT_PENDING_MAX,
	    .arp_pending_timeout_ms = NT_PENDING_TIMEOUT_MS,
	};

	nt_setup_l4();
	memset(&r1, 0, sizeof(r1));
	p.pool = nt_pool;
	cr_assert_eq(net_ctx_init(&w1, &p), 0);
	cr_assert_eq(net_port_add(&w1, 0, &NT_MAC0, NT_ADDR0, 24, NT_GW0, 1500),
	             0);
	cr_assert_eq(net_port_add(&w1, 1, &NT_MAC1, NT_ADDR1, 24, 0, 1500), 1);
	cr_assert_eq(net_proto_register(&w1, IPPROTO_TCP, w1_on_tcp, &r1), 0);
	cr_assert_eq(net_proto_register(&w1, IPPROTO_TCP, w1_on_tcp, &r1),
	             -EEXIST);
	cr_assert_eq(net_proto_register(&w1, IPPROTO_ICMP, w1_on_tcp, &r1),
	             -EINVAL);
	cr_assert_eq(net_flow_owner_init(&owner, 2, NULL, 0), 0);
	cr_assert_eq(net_steer_init(&nt_ctx, &owner, peers, 2, 64), 0);
	cr_assert_eq(net_steer_init(&w1, &owner, peers, 2, 64), 0);
}

static void
l4_fini(void)
{
	net_steer_fini(&nt_ctx);
	net_steer_fini(&w1);
	nt_teardown();
}

TestSuite(net_l4, .init = l4_init, .fini = l4_fini);

/* A source port from NT_PEER to NT_ADDR0:80 whose flow <worker> owns. */
static uint16_t
sport_owned_by(unsigned worker)
{
	uint16_t sp;

	for (sp = 40000; sp < 41000; sp++)
		if (net_flow_owner_of_hash(
		        &owner, net_flow_owner_hash(&owner, NT_PEER, NT_ADDR0,
		                                    rte_cpu_to_be_16(sp),
		                                    RTE_BE16(80))) == worker)
			return sp;
	cr_assert_fail("no port for worker %u", worker);
	return 0;
}

/* A TCP (or UDP) frame from NT_PEER:<sport> to NT_ADDR0:80, arrived on
 * DPDK port 0 as rx_burst marks it. */
static struct rte_mbuf *
frame(uint8_t proto, uint16_t sport)
{
	uint8_t b[NT_FRAME_MAX], l4[20] = {0};
	struct rte_mbuf *m;
	size_t n;

	l4[0] = (uint8_t)(sport >> 8);
	l4[1] = (uint8_t)sport;
	l4[3] = 80;
	n = nt_ipv4(b, &NT_MAC0, &NT_PEER_MAC, NT_PEER, NT_ADDR0, proto, 64, l4,
	            sizeof(l4));
	m = nt_mbuf(b, n);
	m->port = 0;
	return m;
}

Test(net_l4, segment_reaches_its_owner_over_the_ring)
{
	struct rte_mbuf *m = frame(IPPROTO_TCP, sport_owned_by(1));

	net_input(&nt_ctx, 0, &m, 1);
	cr_assert_eq(nt_l4.n, 0, "not worker 0's flow");
	cr_assert_eq(nt_ctx.l4cnt->steer_out, 1);
	cr_assert_eq(nt_ctx.l4cnt->tcp_owned, 0);
	cr_assert_eq(r1.pkts, 0, "waits in worker 1's ring");
	cr_assert_eq(net_steer_drain(&w1), 1);
	cr_assert_eq(r1.pkts, 1);
	cr_assert_eq(r1.port_idx, 0);
	cr_assert_eq(w1.l4cnt->steer_in, 1);
	cr_assert_eq(w1.l4cnt->tcp_owned, 1);
	cr_assert_eq(net_steer_drain(&w1), 0);
	cr_assert_eq(net_steer_drain(&nt_ctx), 0);
}

Test(net_l4, own_flow_stays_on_the_receiving_worker)
{
	struct rte_mbuf *m = frame(IPPROTO_TCP, sport_owned_by(0));

	net_input(&nt_ctx, 0, &m, 1);
	cr_assert_eq(nt_l4.n, 1);
	cr_assert_eq(nt_ctx.l4cnt->tcp_owned, 1);
	cr_assert_eq(nt_ctx.l4cnt->steer_out, 0);
	cr_assert_eq(net_steer_drain(&w1), 0);
}

/* A burst received together reaches the handler in one call. */
Test(net_l4, burst_in_one_handler_call)
{
	uint16_t sp = sport_owned_by(1);
	struct rte_mbuf *m[3] = {frame(IPPROTO_TCP, sp), frame(IPPROTO_TCP, sp),
	                         frame(IPPROTO_TCP, sp)};

	net_input(&w1, 0, m, 3);
	cr_assert_eq(r1.calls, 1);
	cr_assert_eq(r1.pkts, 3);
	cr_assert_eq(w1.l4cnt->tcp_owned, 3);
}

/* Worker 1 has no UDP handler (no resolver): counted, not steered. */
Test(net_l4, udp_without_handler_is_no_consumer)
{
	struct rte_mbuf *m = frame(IPPROTO_UDP, sport_owned_by(0));

	net_input(&w1, 0, &m, 1);
	cr_assert_eq(r1.pkts, 0);
	cr_assert_eq(w1.l4cnt->udp_no_consumer, 1);
	cr_assert_eq(w1.l4cnt->steer_out, 0);
	cr_assert_eq(w1.cnt.l4_delivered, 1);
	cr_assert_eq(w1.cnt.l4_unhandled, 0);
}

/* The resolver's port test: the flows of worker 1 are not worker 0's. */
Test(net_l4, port_ok_follows_the_owner)
{
	uint16_t sp = sport_owned_by(1);

	cr_assert_eq(net_flow_port_ok(&w1, NT_ADDR0, NT_PEER, RTE_BE16(80),
	                              rte_cpu_to_be_16(sp)),
	             1);
	cr_assert_eq(net_flow_port_ok(&nt_ctx, NT_ADDR0, NT_PEER, RTE_BE16(80),
	                              rte_cpu_to_be_16(sp)),
	             0);
}
