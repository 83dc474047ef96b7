/*
 * A micro-benchmark of the forward proxy's cache hit path (issue 12 item
 * 11) on the two-stack harness: the client (node B) sends the request
 * tools/bench's wrk sends (an absolute-form GET with Host, keep-alive) for
 * a stored 1 KiB object with nginx's response fields, and the proxy (node
 * A) answers it from the cache.  Only node A's work is timed: the frames
 * it is given (its TCP input, the proxy, the cache, its TCP output into
 * the port's TX buffer, plus the harness's copy of each frame into a
 * fresh mbuf, as a PMD's receive would make) and its timers; the client's
 * stack and the wire are not.  No kernel I/O: what this counts is our
 * own code's cost per hit.
 *
 * Not in the unit suite: `meson test -C build --benchmark proxy-fwd-hit
 * -v`, or build/tests/unit/proxy/bench_fwd_hit directly.  GH_BENCH_HITS
 * (default 20000) hits per round, GH_BENCH_ROUNDS (default 7) rounds;
 * prints each round's TSC cycles per hit and the median.  Under
 * `valgrind --tool=callgrind --toggle-collect=node_a` (GH_BENCH_HITS=2000
 * GH_BENCH_ROUNDS=1) the instructions of node A per function are exact,
 * whatever else the machine runs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <criterion/criterion.h>
#include <rte_cycles.h>

#include "../tcp/tcp_test_util.h"
#include "fwd_test_util.h"

#define REQ                                             \
	"GET http://10.0.0.2/cache/1k.bin HTTP/1.1\r\n" \
	"Host: 10.0.0.2\r\n\r\n"

/* nginx's answer for tests/lab's 1k.bin with max-age */
#define RESP_HEAD                                              \
	"HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\n"          \
	"Date: %s\r\n"                                         \
	"Content-Type: application/octet-stream\r\n"           \
	"Content-Length: 1024\r\n"                             \
	"Last-Modified: Tue, 01 Dec 2026 10:00:00 GMT\r\n"     \
	"Connection: keep-alive\r\nETag: \"692d6b20-400\"\r\n" \
	"Cache-Control: max-age=3600\r\nAccept-Ranges: bytes\r\n\r\n"

static unsigned
env_or(const char *name, unsigned dflt)
{
	const char *v = getenv(name);

	return v != NULL && atoi(v) > 0 ? (unsigned)atoi(v) : dflt;
}

/* Node A's work: the frames node B sent it, and its timers at <now>
 * (valgrind --toggle-collect=node_a counts this alone). */
static __attribute__((noinline)) uint64_t
node_a(uint64_t now)
{
	uint64_t t0 = rte_rdtsc();

	carry(&tt_b, &tt_a);
	if (now != 0)
		pt_tick(now);
	return rte_rdtsc() - t0;
}

/* A run(1) in which only node A's part is timed. */
static uint64_t
step_a(void)
{
	uint64_t t = 0;
	unsigned k;

	for (k = 0; k < 4; k++) {
		t += node_a(0);
		carry(&tt_a, &tt_b);
	}
	tt_advance(1);
	return t + node_a(TT_T0 + tt_now_ms * TT_MS);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

Test(bench, hit_1k_keepalive, .timeout = 600)
{
	static char resp[4096];
	unsigned hits = env_or("GH_BENCH_HITS", 20000);
	unsigned rounds = env_or("GH_BENCH_ROUNDS", 7), r, i;
	uint64_t per[64], before;
	char date[64];
	time_t now = time(NULL);
	struct tm tm;
	int n;

	if (rounds > 64)
		rounds = 64;
	ft_setup(&(struct ft_opts){.cache = true});
	/* dated now: the cache's clock is the wall clock's */
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT",
	         gmtime_r(&now, &tm));
	n = snprintf(resp, sizeof(resp), RESP_HEAD, date);
	cr_assert(n > 0 && n + 1025 < (int)sizeof(resp));
	memset(resp + n, 'x', 1024);
	resp[n + 1024] = '\0';
	client_connect();
	cr_assert(ft_get("/cache/1k.bin", "", resp));
	run(10);
	for (r = 0; r < rounds; r++) {
		uint64_t t = 0;

		before = cnt.fwd_cache_hits;
		for (i = 0; i < hits; i++) {
			cli.rx_len = 0;
			cli.rx[0] = '\0';
			send_str(&cli, REQ);
			t += step_a();
			cr_assert(strncmp(cli.rx, "HTTP/1.1 200 OK\r\n", 17) ==
			              0,
			          "hit %u: %.40s", i, cli.rx);
		}
		cr_assert_eq(
		    cnt.fwd_cache_hits - before, hits,
		    "%" PRIu64 " hits of %u, %" PRIu64 " to the origin",
		    cnt.fwd_cache_hits - before, hits, origin_requests());
		per[r] = t / hits;
		fprintf(stderr, "round %u: %" PRIu64 " cycles per hit\n", r,
		        per[r]);
	}
	cr_assert_eq(origin_requests(), 1);
	qsort(per, rounds, sizeof(per[0]), cmp_u64);
	fprintf(stderr, "median %" PRIu64 " TSC cycles per hit (%u x %u)\n",
	        per[rounds / 2], rounds, hits);
	ft_teardown();
}
