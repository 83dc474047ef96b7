/*
 * Active health checks (lib/proxy/proxy_check.c) on the two-stack
 * harness: node A checks servers on node B.  A TCP check passes when the
 * connection is accepted and fails refused, unanswered (timeout) or
 * unreachable; an HTTP check sends the request as given and compares the
 * status line, failing on another status, on a line that is not one, on
 * a reply that never ends its line, and on a close before the answer.
 * Checks repeat each interval, never two at once for a server.
 */
#include <string.h>

#include <criterion/criterion.h>

#include "common/gh_common.h"

#include "proxy/proxy_check.h"
#include "proxy_test_util.h"

#define HC_REQ                                                        \
	"GET /health HTTP/1.1\r\nHost: web1\r\nConnection: close\r\n" \
	"User-Agent: gatehouse-check\r\n\r\n"

static struct pchk_ctx *pc;
static unsigned n_reports;
static enum pchk_result reports[64];
static uint64_t report_ms[64];

static void
report(void *arg, unsigned i, enum pchk_result r, uint64_t now_ms)
{
	cr_assert_eq(arg, &n_reports);
	cr_assert_eq(i, 0);
	if (n_reports < 64) {
		reports[n_reports] = r;
		report_ms[n_reports] = now_ms;
	}
	n_reports++;
}

static void
hc_tick(uint64_t now_tsc)
{
	if (pc != NULL)
		pchk_run(pc, (now_tsc - TT_T0) / TT_MS);
}

static void
hc_setup(void)
{
	tt_setup_default();
	pt_reset();
	pc = NULL;
	n_reports = 0;
	pt_tick = hc_tick;
}

static void
hc_teardown(void)
{
	pchk_destroy(pc);
	pc = NULL;
	tt_teardown();
}

TestSuite(check, .init = hc_setup, .fini = hc_teardown);

static void
start(enum pchk_kind kind, uint16_t port, uint32_t interval_ms,
      uint32_t timeout_ms)
{
	struct pchk_target t = {
	    .kind = kind,
	    .port_idx = 0,
	    .local_ip_be = TT_IP_A,
	    .ip_be = TT_IP_B,
	    .port_be = rte_cpu_to_be_16(port),
	    .expect_status = 200,
	    .interval_ms = interval_ms,
	    .timeout_ms = timeout_ms,
	    .request = HC_REQ,
	    .request_len = sizeof(HC_REQ) - 1,
	};

	pc = pchk_create(tt_a.s, tt_pool, &t, 1, report, &n_reports, 0);
	cr_assert_not_null(pc);
}

static void
server_listen(uint16_t port)
{
	cr_assert_eq(tcp_listen(tt_b.s, 0, TT_IP_B, rte_cpu_to_be_16(port),
	                        TCP_CC_NEWRENO, &peer_cbs, &org),
	             0);
}

Test(check, tcp_passes_then_repeats_each_interval)
{
	server_listen(80);
	start(PCHK_TCP, 80, 1000, 500);
	run(50);
	cr_assert_eq(n_reports, 1);
	cr_assert_eq(reports[0], PCHK_OK);
	cr_assert_eq(pchk_last(pc, 0), PCHK_OK);
	run(1000);
	cr_assert_eq(n_reports, 2, "one check per interval");
	cr_assert_eq(reports[1], PCHK_OK);
	cr_assert_geq(report_ms[1] - report_ms[0], 990);
	cr_assert_eq(pchk_counters(pc)->checks, 2);
	cr_assert_eq(pchk_counters(pc)->passed, 2);
	cr_assert_eq(tcp_stack_conns(tt_a.s), 0, "a check keeps nothing open");
}

Test(check, tcp_refused)
{
	start(PCHK_TCP, 81, 1000, 500);
	run(50);
	cr_assert_eq(n_reports, 1);
	cr_assert_eq(reports[0], PCHK_REFUSED);
	cr_assert_eq(pchk_counters(pc)->failed_refused, 1);
}

Test(check, tcp_unanswered_times_out_at_the_timeout)
{
	server_listen(80);
	drop_a_frames(2, 80); /* the SYN is lost on the wire */
	start(PCHK_TCP, 80, 1000, 300);
	/* a 1 ms tick: the queued frames are dropped before each carry */
	for (unsigned i = 0; i < 400; i++) {
		drop_a_frames(2, 80);
		run(1);
	}
	cr_assert_eq(n_reports, 1);
	cr_assert_eq(reports[0], PCHK_TIMEOUT);
	cr_assert_geq(report_ms[0], 300);
	cr_assert_leq(report_ms[0], 302);
	cr_assert_eq(org.accepted, 0);
	cr_assert_eq(tcp_stack_conns(tt_a.s), 0, "the late check is reset");
}

/* Start an HTTP check against B:80 and wait for its request there. */
static void
http_check_requested(void)
{
	server_listen(80);
	start(PCHK_HTTP, 80, 1000, 500);
	run(20);
	cr_assert_eq(org.accepted, 1);
	cr_assert_str_eq(org.rx, HC_REQ, "the request goes as given");
	cr_assert_eq(n_reports, 0);
}

Test(check, http_expected_status_passes)
{
	http_check_requested();
	send_str(&org, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
	run(20);
	cr_assert_eq(n_reports, 1);
	cr_assert_eq(reports[0], PCHK_OK);
}

Test(check, http_status_split_over_segments_passes)
{
	http_check_requested();
	send_str(&org, "HTTP/1.");
	run(5);
	cr_assert_eq(n_reports, 0);
	send_str(&org, "0 200\r\n");
	run(20);
	cr_assert_eq(n_reports, 1);
	cr_assert_eq(reports[0], PCHK_OK, "no reason phrase is fine");
}

Test(check, http_other_status_fails)
{
	http_check_requested();
	send_str(&org, "HTTP/1.1 503 Service Unavailable\r\n\r\n");
	run(20);
	cr_assert_eq(n_reports, 1);
	cr_assert_eq(reports[0], PCHK_STATUS);
	cr_assert_eq(pchk_counters(pc)->failed_status, 1);
}

Test(check, http_not_a_status_line_fails)
{
	static const char *const bad[] = {
	    "SSH-2.0-OpenSSH\r\n", "HTTP/1.1 2000 OK\r\n",
	    "HTTP/1.1 20 OK\r\n",  "HTTP/2 200\r\n",
	    "HTTP/1.1 600 X\r\n",  "http/1.1 200 OK\r\n",
	};

	for (unsigned i = 0; i < GH_ARRAY_SIZE(bad); i++) {
		hc_teardown();
		hc_setup();
		http_check_requested();
		send_str(&org, bad[i]);
		run(20);
		cr_assert_eq(n_reports, 1, "%s", bad[i]);
		cr_assert_eq(reports[0], PCHK_BAD_REPLY, "%s", bad[i]);
	}
}

Test(check, http_line_that_never_ends_fails_at_its_bound)
{
	char junk[PCHK_REPLY_MAX + 1];

	http_check_requested();
	memset(junk, 'x', sizeof(junk) - 1);
	junk[sizeof(junk) - 1] = '\0';
	memcpy(junk, "HTTP/1.1 200 ", 13);
	send_str(&org, junk);
	run(20);
	cr_assert_eq(n_reports, 1);
	cr_assert_eq(reports[0], PCHK_BAD_REPLY);
}

Test(check, http_close_before_answer_fails)
{
	http_check_requested();
	tcp_close(org.c);
	run(20);
	cr_assert_eq(n_reports, 1);
	cr_assert_eq(reports[0], PCHK_RESET);
	cr_assert_eq(pchk_counters(pc)->failed_reset, 1);
}

Test(check, http_silent_server_times_out)
{
	http_check_requested();
	run(500);
	cr_assert_eq(n_reports, 1);
	cr_assert_eq(reports[0], PCHK_TIMEOUT);
	cr_assert_eq(tcp_stack_conns(tt_a.s), 0);
	/* the next interval asks again */
	run(600);
	cr_assert_eq(org.accepted, 2);
}

Test(check, bad_targets_are_refused)
{
	struct pchk_target t = {
	    .kind = PCHK_HTTP,
	    .ip_be = TT_IP_B,
	    .port_be = rte_cpu_to_be_16(80),
	    .expect_status = 200,
	    .interval_ms = 1000,
	    .timeout_ms = 500,
	};

	cr_assert_null(pchk_create(tt_a.s, tt_pool, &t, 1, report, NULL, 0),
	               "an HTTP check without a request");
	t.kind = PCHK_TCP;
	t.interval_ms = 0;
	cr_assert_null(pchk_create(tt_a.s, tt_pool, &t, 1, report, NULL, 0));
	t.interval_ms = 1000;
	cr_assert_null(pchk_create(tt_a.s, tt_pool, &t, 0, report, NULL, 0));
}
