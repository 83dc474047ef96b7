/*
 * The L4 relay and the echo service (lib/proxy/proxy.c), both a
 * proxy_splice, on the two-stack harness: node A relays port 7000 to the
 * origin B:80 and echoes on port 7; node B is the client and the origin.
 * Byte-exact both ways, FIN passed on each way, and the splice's
 * backpressure rule: a destination that does not take bytes closes the
 * source's window, and what the relay holds stops growing.
 */
#include <string.h>

#include <criterion/criterion.h>

#include "proxy/proxy.h"
#include "proxy_test_util.h"

#define RELAY_PORT 7000
#define ECHO_PORT  7
#define CHUNK      1400u

static struct proxy_worker *pw;

static void
relay_tick(uint64_t now_tsc)
{
	proxy_worker_timer(pw, now_tsc);
}

static void
relay_setup(void)
{
	struct proxy_params p = {
	    .max_sessions = 8,
	    .n_ports = 1,
	    .tsc_hz = TT_HZ,
	    .start_tsc = TT_T0,
	};

	tt_setup_default();
	pt_reset();
	p.tcp = tt_a.s;
	p.pool = tt_pool;
	p.ports[0].addr_be = TT_IP_A;
	p.ports[0].mask_be = TT_IP(255, 255, 255, 0);
	pw = proxy_worker_create(&p);
	cr_assert_not_null(pw);
	pt_tick = relay_tick;
	cr_assert_eq(proxy_listen_relay(pw, 0, TT_IP_A, RTE_BE16(RELAY_PORT), 0,
	                                TT_IP_A, TT_IP_B, RTE_BE16(80),
	                                TCP_CC_NEWRENO),
	             0);
	cr_assert_eq(proxy_listen_service(pw, PROXY_SVC_ECHO, 0, TT_IP_A,
	                                  RTE_BE16(ECHO_PORT), TCP_CC_NEWRENO),
	             0);
	cr_assert_eq(tcp_listen(tt_b.s, 0, TT_IP_B, RTE_BE16(80),
	                        TCP_CC_NEWRENO, &peer_cbs, &org),
	             0);
}

static void
relay_teardown(void)
{
	tt_teardown(); /* the relay's legs close (on_close) here */
	proxy_worker_destroy(pw);
	pw = NULL;
}

TestSuite(relay, .init = relay_setup, .fini = relay_teardown);

static const struct proxy_counters *
counters(void)
{
	return proxy_worker_counters(pw);
}

/* Connect the client to A:<port>. */
static void
client_to(uint16_t port)
{
	struct tcp_conn *c = NULL;

	cr_assert_eq(tcp_connect(tt_b.s, 0, TT_IP_B, TT_IP_A,
	                         rte_cpu_to_be_16(port), TCP_CC_NEWRENO,
	                         &peer_cbs, &cli, &c),
	             0);
	run(5);
	cr_assert(cli.connected);
}

/* Queue on <p> as many pattern bytes (<seed>, from *<off> up to <total>)
 * as its send buffer takes now. */
static void
feed(struct peer *p, uint32_t seed, uint32_t *off, uint32_t total)
{
	while (*off < total && p->c != NULL) {
		uint32_t k = total - *off < CHUNK ? total - *off : CHUNK;

		if (tcp_send_space(p->c) < k)
			break;
		cr_assert_eq(tcp_send(p->c, tt_chain(seed, *off, k, k)), 0);
		*off += k;
	}
}

/* The first bytes <p> received are the pattern <seed>. */
static void
expect_pattern(const struct peer *p, uint32_t seed)
{
	uint32_t i;

	for (i = 0; i < p->rx_len; i++)
		cr_assert_eq((uint8_t)p->rx[i], tt_pattern(seed, i), "byte %u",
		             i);
}

Test(relay, both_ways_byte_exact_then_fin_each_way)
{
	const uint32_t up = 700000, down = 500000;
	uint32_t sent_up = 0, sent_down = 0;
	unsigned t;

	client_to(RELAY_PORT);
	cr_assert_eq(org.accepted, 1, "the relay connected upstream");
	for (t = 0; t < 3000 && (org.rx_total < up || cli.rx_total < down);
	     t++) {
		feed(&cli, 1, &sent_up, up);
		feed(&org, 2, &sent_down, down);
		run(1);
	}
	cr_assert_eq(org.rx_total, up);
	cr_assert_eq(cli.rx_total, down);
	expect_pattern(&org, 1);
	expect_pattern(&cli, 2);
	/* the client's FIN reaches the origin; the origin still sends */
	cr_assert_eq(tcp_shutdown(cli.c), 0);
	run(10);
	cr_assert(org.fin);
	cr_assert_not(cli.fin);
	send_str(&org, "after");
	run(10);
	cr_assert_eq(cli.rx_total, down + 5);
	cr_assert_eq(tcp_shutdown(org.c), 0);
	run(100);
	cr_assert(cli.fin);
	cr_assert_eq(counters()->relay_bytes_c2u, up);
	cr_assert_eq(counters()->relay_bytes_u2c, down + 5);
	cr_assert_eq(counters()->relay_closed, 1);
	cr_assert_eq(counters()->relay_reset, 0);
	cr_assert_eq(counters()->sessions_in_use, 0);
}

Test(relay, deaf_destination_closes_the_source_window)
{
	const uint32_t total = 4u << 20;
	uint32_t sent = 0, base, used_1s = 0, used;
	unsigned t;

	client_to(RELAY_PORT);
	base = rte_mempool_in_use_count(tt_pool);
	/* the origin hears nothing the relay sends it for 3 s */
	for (t = 0; t < 3000; t++) {
		feed(&cli, 3, &sent, total);
		carry(&tt_b, &tt_a);
		drop_a_frames(2, 80);
		carry(&tt_a, &tt_b);
		tt_advance(1);
		relay_tick(TT_T0 + tt_now_ms * TT_MS);
		if (t == 999)
			used_1s = rte_mempool_in_use_count(tt_pool) - base;
	}
	used = rte_mempool_in_use_count(tt_pool) - base;
	cr_log_info("deaf origin: %u bytes queued by the client, %u mbufs "
	            "held after 1 s, %u after 3 s",
	            sent, used_1s, used);
	cr_assert_lt(sent, total, "the client's window never closed");
	cr_assert_eq(tcp_send_space(cli.c) < CHUNK, true,
	             "the client's send buffer is full");
	cr_assert_leq(used, used_1s + 8, "held %u mbufs after 1 s, %u after 3",
	              used_1s, used);
	cr_assert_gt(counters()->relay_backpressure, 0);
	cr_assert_eq(org.rx_total, 0);
	/* the origin hears again: every byte arrives, in order */
	for (t = 0; t < 20000 && org.rx_total < total; t++) {
		feed(&cli, 3, &sent, total);
		run(1);
	}
	cr_assert_eq(org.rx_total, total);
	expect_pattern(&org, 3);
	cr_assert_eq(counters()->relay_bytes_c2u, total);
}

Test(relay, echo_is_a_connection_spliced_to_itself)
{
	const uint32_t total = 300000;
	uint32_t sent = 0;
	unsigned t;

	client_to(ECHO_PORT);
	for (t = 0; t < 3000 && cli.rx_total < total; t++) {
		feed(&cli, 4, &sent, total);
		run(1);
	}
	cr_assert_eq(cli.rx_total, total);
	expect_pattern(&cli, 4);
	cr_assert_eq(tcp_shutdown(cli.c), 0);
	run(100);
	cr_assert(cli.fin, "the echo's FIN after the client's");
	cr_assert_eq(counters()->svc_bytes_in, total);
	cr_assert_eq(counters()->svc_bytes_out, total);
	cr_assert_eq(counters()->sessions_in_use, 0);
}

/* Issue 10 finding 3 for the relay: a client dripping 1-byte segments
 * while the origin hears nothing holds few mbufs (each queue copies small
 * segments into its last buffer), and every byte arrives once it hears. */
Test(relay, dripped_bytes_hold_few_mbufs)
{
	uint32_t base, used, i;
	uint64_t segs;
	unsigned t;

	client_to(RELAY_PORT);
	base = rte_mempool_in_use_count(tt_pool);
	segs = tt_cnt(&tt_a, "seg_in");
	for (i = 0; i < 3000; i++) {
		cr_assert_eq(tcp_send(cli.c, tt_chain(5, i, 1, 1)), 0);
		carry(&tt_b, &tt_a);
		drop_a_frames(2, 80);
		carry(&tt_a, &tt_b);
		if (i % 10 == 0)
			tt_advance(1);
	}
	used = rte_mempool_in_use_count(tt_pool) - base;
	segs = tt_cnt(&tt_a, "seg_in") - segs;
	cr_log_info("3000 one-byte segments, origin deaf: %u mbufs held, "
	            "%lu segments in",
	            used, (unsigned long)segs);
	cr_assert_geq(segs, 3000, "the client coalesced its bytes");
	cr_assert_lt(used, 64, "3000 one-byte segments hold %u mbufs", used);
	for (t = 0; t < 5000 && org.rx_total < 3000; t++)
		run(1);
	cr_assert_eq(org.rx_total, 3000);
	expect_pattern(&org, 5);
}
