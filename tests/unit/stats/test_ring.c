/*
 * lib/stats stats_ring: the per-second history of the live views.  Rates
 * come from counter deltas over the measured interval, the ring wraps
 * around keeping the newest STATS_RING_LEN samples, a counter that goes
 * back (reset) is counted from 0 instead of wrapping to 2^64, and the
 * JSON rendering is whole JSON and bounded by STATS_RING_JSON_MAX.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stats/stats.h"
#include "stats/stats_ring.h"

TestSuite(stats_ring);

/* A reading at second <sec> with every counter at <v> times its rate. */
static struct stats_ring_read
reading(uint64_t sec, uint64_t v, unsigned workers)
{
	struct stats_ring_read r;
	unsigned k;

	memset(&r, 0, sizeof(r));
	r.mono_ms = 5000 + sec * 1000;
	r.unix_ms = 1700000000000ull + sec * 1000;
	r.requests = 100 * v;
	r.hits = 75 * v;
	r.misses = 25 * v;
	r.bytes_in = 1000 * v;
	r.bytes_out = 50000 * v;
	r.errors = 2 * v;
	r.conns_open = 7;
	r.n_workers = workers;
	for (k = 0; k < workers; k++) {
		/* worker k is busy k/4 of its cycles */
		r.busy_tsc[k] = 1000000 * v * k / 4;
		r.idle_tsc[k] = 1000000 * v - r.busy_tsc[k];
	}
	return r;
}

static struct stats_ring ring;

Test(stats_ring, first_reading_is_a_baseline)
{
	struct stats_ring_read r = reading(0, 0, 2);

	stats_ring_init(&ring);
	cr_assert_eq(stats_ring_add(&ring, &r), 0);
	cr_assert_eq(stats_ring_count(&ring), 0);
	r = reading(1, 1, 2);
	cr_assert_eq(stats_ring_add(&ring, &r), 1);
	cr_assert_eq(stats_ring_count(&ring), 1);
}

Test(stats_ring, rates_from_counter_deltas)
{
	struct stats_ring_read r = reading(0, 10, 4);
	const struct stats_ring_sample *s;

	stats_ring_init(&ring);
	stats_ring_add(&ring, &r);
	/* 2 s later, 3 intervals' worth: rates are per second of dt */
	r = reading(2, 13, 4);
	cr_assert_eq(stats_ring_add(&ring, &r), 1);
	s = stats_ring_at(&ring, 0);
	cr_assert_eq(s->dt_ms, 2000);
	cr_assert_eq(s->requests, 300);
	cr_assert_float_eq(stats_ring_rate(s->requests, s->dt_ms), 150.0, 1e-9);
	cr_assert_float_eq(stats_ring_rate(s->bytes_out, s->dt_ms), 75000.0,
	                   1e-9);
	cr_assert_eq(stats_ring_hit_permille(s), 750);
	cr_assert_eq(s->conns_open, 7);
	cr_assert_eq(s->n_workers, 4);
	cr_assert_eq(s->busy_permille[0], 0);
	cr_assert_eq(s->busy_permille[1], 250);
	cr_assert_eq(s->busy_permille[2], 500);
	cr_assert_eq(s->busy_permille[3], 750);
	cr_assert_eq(s->busy_permille[4], STATS_RING_BUSY_NONE);
	cr_assert_eq(s->unix_ms, 1700000002000ull);
}

Test(stats_ring, no_cacheable_request_has_no_hit_ratio)
{
	struct stats_ring_read r = reading(0, 1, 1);

	stats_ring_init(&ring);
	stats_ring_add(&ring, &r);
	r.mono_ms += 1000;
	r.requests += 5;
	cr_assert_eq(stats_ring_add(&ring, &r), 1);
	cr_assert_eq(stats_ring_hit_permille(stats_ring_at(&ring, 0)), -1);
	/* an idle worker counted no cycle: no share, not 0 */
	cr_assert_eq(stats_ring_at(&ring, 0)->busy_permille[0],
	             STATS_RING_BUSY_NONE);
}

Test(stats_ring, a_reading_not_later_is_ignored)
{
	struct stats_ring_read r = reading(3, 1, 1);

	stats_ring_init(&ring);
	stats_ring_add(&ring, &r);
	cr_assert_eq(stats_ring_add(&ring, &r), -EINVAL);
	r.mono_ms -= 1;
	cr_assert_eq(stats_ring_add(&ring, &r), -EINVAL);
	cr_assert_eq(stats_ring_count(&ring), 0);
}

Test(stats_ring, wraps_around_keeping_the_newest)
{
	struct stats_ring_read r;
	unsigned i, n = STATS_RING_LEN + 57;

	stats_ring_init(&ring);
	for (i = 0; i <= n; i++) {
		r = reading(i, (uint64_t)i * i, 1); /* growth 2i - 1 */
		stats_ring_add(&ring, &r);
		cr_assert_eq(stats_ring_count(&ring),
		             i < STATS_RING_LEN ? i : STATS_RING_LEN);
	}
	/* sample j (oldest first) ended at second n - LEN + 1 + j */
	for (i = 0; i < STATS_RING_LEN; i++) {
		const struct stats_ring_sample *s = stats_ring_at(&ring, i);
		uint64_t sec = n - STATS_RING_LEN + 1 + i;

		cr_assert_eq(s->unix_ms, 1700000000000ull + sec * 1000,
		             "sample %u", i);
		cr_assert_eq(s->requests, 100 * (2 * sec - 1), "sample %u", i);
	}
}

Test(stats_ring, counter_reset_counts_from_zero)
{
	struct stats_ring_read r = reading(0, 1000, 2);
	const struct stats_ring_sample *s;

	stats_ring_init(&ring);
	stats_ring_add(&ring, &r);
	r = reading(1, 1010, 2);
	stats_ring_add(&ring, &r);
	cr_assert_eq(ring.resets, 0);
	/* the counters start again (a reload re-created their owner):
	 * 3 units since, not 2^64 - 1007 */
	r = reading(2, 3, 2);
	cr_assert_eq(stats_ring_add(&ring, &r), 1);
	s = stats_ring_at(&ring, 1);
	cr_assert_eq(s->requests, 300);
	cr_assert_eq(s->bytes_out, 150000);
	cr_assert_eq(s->busy_permille[1], 250);
	cr_assert_eq(ring.resets, 1);
	/* and from there on as before */
	r = reading(3, 5, 2);
	stats_ring_add(&ring, &r);
	cr_assert_eq(stats_ring_at(&ring, 2)->requests, 200);
	cr_assert_eq(ring.resets, 1);
}

Test(stats_ring, other_worker_count_is_a_new_baseline)
{
	struct stats_ring_read r = reading(0, 1, 2);

	stats_ring_init(&ring);
	stats_ring_add(&ring, &r);
	r = reading(1, 2, 3);
	cr_assert_eq(stats_ring_add(&ring, &r), 0);
	r = reading(2, 3, 3);
	cr_assert_eq(stats_ring_add(&ring, &r), 1);
	cr_assert_eq(stats_ring_at(&ring, 0)->n_workers, 3);
}

Test(stats_ring, json_columns)
{
	static char mem[STATS_RING_JSON_MAX];
	struct stats_ring_read r;
	struct stats_buf b;
	unsigned i;

	stats_ring_init(&ring);
	for (i = 0; i < 4; i++) {
		r = reading(i, i, 2);
		stats_ring_add(&ring, &r);
	}
	stats_buf_init(&b, mem, sizeof(mem));
	cr_assert_eq(stats_ring_render_json(&b, &ring, 2), 0);
	cr_assert_str_eq(
	    mem, "\"interval_ms\":1000,\"capacity\":300,\"samples\":2,"
	         "\"workers\":2,\"resets\":0,"
	         "\"t_ms\":[1700000002000,1700000003000],"
	         "\"dt_ms\":[1000,1000],\"req_s\":[100.0,100.0],"
	         "\"hit_s\":[75.0,75.0],\"miss_s\":[25.0,25.0],"
	         "\"hit_ratio\":[0.750,0.750],"
	         "\"in_bytes_s\":[1000.0,1000.0],"
	         "\"out_bytes_s\":[50000.0,50000.0],\"err_s\":[2.0,2.0],"
	         "\"conns\":[7,7],\"busy\":[[0.000,0.000],[0.250,0.250]]");
	/* no sample yet: empty columns */
	stats_ring_init(&ring);
	stats_buf_init(&b, mem, sizeof(mem));
	cr_assert_eq(stats_ring_render_json(&b, &ring, 0), 0);
	cr_assert(strstr(mem, "\"samples\":0,\"workers\":0") != NULL);
	cr_assert(strstr(mem, "\"req_s\":[],") != NULL);
	cr_assert(strstr(mem, "\"busy\":[]") != NULL);
}

/* The widest rendering there can be fits in STATS_RING_JSON_MAX. */
Test(stats_ring, json_worst_case_is_bounded)
{
	static char mem[STATS_RING_JSON_MAX];
	struct stats_ring_read r;
	struct stats_buf b;
	unsigned i, k;

	stats_ring_init(&ring);
	memset(&r, 0, sizeof(r));
	r.n_workers = STATS_RING_WORKERS_MAX;
	stats_ring_add(&ring, &r);
	for (i = 0; i < STATS_RING_LEN; i++) {
		struct stats_ring_sample *s = &ring.s[i];

		memset(s, 0xff, sizeof(*s));
		s->dt_ms = 1;
		s->n_workers = STATS_RING_WORKERS_MAX;
		s->misses = 0;
		for (k = 0; k < STATS_RING_WORKERS_MAX; k++)
			s->busy_permille[k] = 1000;
	}
	ring.count = STATS_RING_LEN;
	ring.resets = UINT64_MAX;
	stats_buf_init(&b, mem, sizeof(mem));
	cr_assert_eq(stats_ring_render_json(&b, &ring, 0), 0,
	             "%zu bytes did not fit", b.len);
	cr_assert(strstr(mem, "18446744073709551616000.0") != NULL);
	/* and a buffer too small says so */
	stats_buf_init(&b, mem, 4096);
	cr_assert_eq(stats_ring_render_json(&b, &ring, 0), -ENOSPC);
}

/* A rendering of a wrapped ring is JSON Python's parser takes whole. */
Test(stats_ring, json_parses)
{
	static char mem[STATS_RING_JSON_MAX];
	struct stats_ring_read r;
	struct stats_buf b;
	char path[] = "/tmp/gh_test_ring_XXXXXX";
	char cmd[256];
	unsigned i;
	FILE *f;
	int fd;

	stats_ring_init(&ring);
	for (i = 0; i < STATS_RING_LEN + 10; i++) {
		r = reading(i, i * 3, 3);
		stats_ring_add(&ring, &r);
	}
	stats_buf_init(&b, mem, sizeof(mem));
	cr_assert_eq(stats_ring_render_json(&b, &ring, 0), 0);
	fd = mkstemp(path);
	cr_assert(fd >= 0);
	f = fdopen(fd, "w");
	cr_assert_not_null(f);
	fprintf(f, "{%s}", mem);
	fclose(f);
	snprintf(cmd, sizeof(cmd),
	         "python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); "
	         "assert d[\"samples\"]==300 and len(d[\"req_s\"])==300 and "
	         "len(d[\"busy\"])==3 and len(d[\"busy\"][2])==300' %s",
	         path);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	unlink(path);
}
