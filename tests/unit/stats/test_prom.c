/*
 * lib/stats: the duration histogram's buckets (stats_hist_bucket at and
 * around every bound, stats_hist_cumulate) and the Prometheus text
 * renderer: family names with _total for counters only, HELP and TYPE once
 * per family, labels and their escaping, values a series does not carry
 * left out, and a histogram's cumulative buckets, le in seconds, _sum and
 * _count.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "stats/stats.h"

/* clang-format off */
#define DEMO_COUNTERS(X)                                  \
	X(frames, "frames seen")                          \
	X(in_use, "gauge: sessions open now")             \
	X(odd_help, "a \\ backslash\nand a line end")
#define DEMO_HISTS(X) X(wait, "time waited")
/* clang-format on */

struct demo {
	DEMO_COUNTERS(STATS_FIELD)
	DEMO_HISTS(STATS_HIST_FIELD)
};

static const struct stats_counter_desc demo_descs[] = {
    DEMO_COUNTERS(STATS_DESC) DEMO_HISTS(STATS_HIST_DESC)};
static const struct stats_group_desc demo = {
    "demo", demo_descs, sizeof(demo_descs) / sizeof(demo_descs[0])};

#define DEMO_N (sizeof(struct demo) / sizeof(uint64_t))

TestSuite(prom);

Test(prom, bucket_of_every_bound_and_around_it)
{
	unsigned i;

	cr_assert_eq(stats_hist_bucket(0), 0);
	cr_assert_eq(stats_hist_bucket(1), 0);
	for (i = 0; i < STATS_HIST_N; i++) {
		uint32_t b = stats_hist_bounds_us[i];

		if (i > 0)
			cr_assert_gt(b, stats_hist_bounds_us[i - 1]);
		cr_assert_eq(stats_hist_bucket(b), i, "%u us", b);
		cr_assert_eq(stats_hist_bucket(b + 1ull), i + 1, "%u us + 1",
		             b);
		cr_assert_eq(
		    stats_hist_bucket(b - 1ull),
		    i == 0 || b - 1 > stats_hist_bounds_us[i - 1] ? i : i - 1);
	}
	cr_assert_eq(stats_hist_bounds_us[0], 100);
	cr_assert_eq(stats_hist_bounds_us[STATS_HIST_N - 1], 10000000);
	cr_assert_eq(stats_hist_bucket(UINT64_MAX), STATS_HIST_N);
}

Test(prom, declaration_checks_and_kinds)
{
	struct stats_group_desc cut = demo;

	cr_assert_eq(stats_group_check(&demo), 0);
	cr_assert_eq(demo.n, DEMO_N);
	cr_assert_eq(demo.n, 3 + STATS_HIST_N + 2);
	cr_assert_str_eq(demo_descs[3].name, "wait_le_100us");
	cr_assert_str_eq(demo_descs[3 + STATS_HIST_N].name, "wait_le_inf");
	cr_assert_str_eq(demo_descs[DEMO_N - 1].name, "wait_sum_us");
	cr_assert(!stats_desc_is_gauge(&demo_descs[0]));
	cr_assert(stats_desc_is_gauge(&demo_descs[1]));
	/* a histogram cut short is refused */
	cut.n = DEMO_N - 1;
	cr_assert_eq(stats_group_check(&cut), -EINVAL);
	cut.n = 5;
	cr_assert_eq(stats_group_check(&cut), -EINVAL);
}

Test(prom, add_then_cumulate)
{
	struct demo d;

	memset(&d, 0, sizeof(d));
	stats_hist_add(&d.wait, 50);       /* <= 100us */
	stats_hist_add(&d.wait, 100);      /* <= 100us */
	stats_hist_add(&d.wait, 3000);     /* <= 5ms */
	stats_hist_add(&d.wait, 99000000); /* over 10 s */
	cr_assert_eq(d.wait.bucket[0], 2);
	cr_assert_eq(d.wait.bucket[5], 1);
	cr_assert_eq(d.wait.bucket[STATS_HIST_N], 1);
	cr_assert_eq(d.wait.sum_us, 50 + 100 + 3000 + 99000000);
	d.frames = 7;
	stats_hist_cumulate(&demo, (uint64_t *)&d);
	cr_assert_eq(d.frames, 7, "counters are left alone");
	cr_assert_eq(d.wait.bucket[0], 2);
	cr_assert_eq(d.wait.bucket[4], 2);
	cr_assert_eq(d.wait.bucket[5], 3);
	cr_assert_eq(d.wait.bucket[STATS_HIST_N - 1], 3);
	cr_assert_eq(d.wait.bucket[STATS_HIST_N], 4);
	cr_assert_eq(d.wait.sum_us, 50 + 100 + 3000 + 99000000);
}

/* Two workers and their histograms, rendered: the whole text. */
Test(prom, family_names_labels_and_histogram)
{
	static char out[16384];
	struct demo w0, w1;
	struct stats_series s[2];
	struct stats_buf b;
	const char *p;
	unsigned i;

	memset(&w0, 0, sizeof(w0));
	memset(&w1, 0, sizeof(w1));
	memset(s, 0, sizeof(s));
	w0.frames = 5;
	w0.in_use = 2;
	w0.odd_help = 1;
	w1.frames = 6;
	stats_hist_add(&w0.wait, 200);     /* <= 250us */
	stats_hist_add(&w0.wait, 1500000); /* <= 2.5 s */
	stats_hist_cumulate(&demo, (uint64_t *)&w0);
	s[0] =
	    (struct stats_series){{{"listener", "we\"b\\1\n"}, {"worker", "0"}},
	                          2,
	                          (const uint64_t *)&w0,
	                          0,
	                          DEMO_N};
	s[1] = (struct stats_series){
	    {{"worker", "1"}}, 1, (const uint64_t *)&w1, 0, 2};
	stats_buf_init(&b, out, sizeof(out));
	cr_assert_eq(stats_render_prom(&b, "gh", &demo, s, 2), 0);

	cr_assert(strstr(out, "# HELP gh_demo_frames_total frames seen\n"
	                      "# TYPE gh_demo_frames_total counter\n"
	                      "gh_demo_frames_total{listener=\"we\\\"b\\\\1"
	                      "\\n\",worker=\"0\"} 5\n"
	                      "gh_demo_frames_total{worker=\"1\"} 6\n"
	                      "# HELP gh_demo_in_use gauge: sessions open "
	                      "now\n# TYPE gh_demo_in_use gauge\n") == out,
	          "%s", out);
	/* series 1 carries values [0, 2) only */
	cr_assert(strstr(out, "# HELP gh_demo_odd_help_total a \\\\ backslash"
	                      "\\nand a line end\n"
	                      "# TYPE gh_demo_odd_help_total counter\n"
	                      "gh_demo_odd_help_total{listener=") != NULL,
	          "%s", out);
	cr_assert_null(strstr(out, "odd_help_total{worker=\"1\"}"));
	p = strstr(out, "# HELP gh_demo_wait_seconds time waited\n"
	                "# TYPE gh_demo_wait_seconds histogram\n"
	                "gh_demo_wait_seconds_bucket{listener=\"we\\\"b\\\\1"
	                "\\n\",worker=\"0\",le=\"0.0001\"} 0\n"
	                "gh_demo_wait_seconds_bucket{listener=\"we\\\"b\\\\1"
	                "\\n\",worker=\"0\",le=\"0.00025\"} 1\n");
	cr_assert_not_null(p, "%s", out);
	cr_assert_not_null(strstr(p, ",le=\"2.5\"} 2\n"));
	cr_assert_not_null(strstr(p, ",le=\"1\"} 1\n"));
	cr_assert_not_null(strstr(p, ",le=\"10\"} 2\n"));
	cr_assert_not_null(strstr(p, ",le=\"+Inf\"} 2\n"
	                             "gh_demo_wait_seconds_sum{listener="));
	cr_assert_not_null(strstr(p, ",worker=\"0\"} 1.5002\n"
	                             "gh_demo_wait_seconds_count{listener="));
	cr_assert(strstr(p, ",worker=\"0\"} 2\n") != NULL);
	/* one bucket line per bucket, and none for series 1 */
	for (i = 0, p = out; (p = strstr(p, "_bucket{")) != NULL; p++)
		i++;
	cr_assert_eq(i, STATS_HIST_N + 1);
	/* every family's HELP once */
	for (i = 0, p = out; (p = strstr(p, "# HELP ")) != NULL; p++)
		i++;
	cr_assert_eq(i, 4);
	cr_assert_eq(out[strlen(out) - 1], '\n');
}

Test(prom, no_labels_and_overflow)
{
	char small[64], out[1024];
	struct demo d;
	struct stats_series s;
	struct stats_buf b;

	memset(&d, 0, sizeof(d));
	memset(&s, 0, sizeof(s));
	d.frames = 9;
	s.vals = (const uint64_t *)&d;
	s.from = 0;
	s.to = 1;
	stats_buf_init(&b, out, sizeof(out));
	cr_assert_eq(stats_render_prom(&b, "gh", &demo, &s, 1), 0);
	cr_assert_str_eq(out, "# HELP gh_demo_frames_total frames seen\n"
	                      "# TYPE gh_demo_frames_total counter\n"
	                      "gh_demo_frames_total 9\n");
	stats_buf_init(&b, small, sizeof(small));
	cr_assert_eq(stats_render_prom(&b, "gh", &demo, &s, 1), -ENOSPC);
	cr_assert_eq(strlen(small), sizeof(small) - 1);
}

/* A server's series: three labels (pool, server, worker), each value
 * escaped, and a histogram's le after them. */
Test(prom, three_labels_escaped)
{
	static char out[16384];
	struct demo d;
	struct stats_series s;
	struct stats_buf b;

	cr_assert_geq(STATS_SERIES_LABELS_MAX, 3);
	memset(&d, 0, sizeof(d));
	d.frames = 7;
	stats_hist_add(&d.wait, 50);
	stats_hist_cumulate(&demo, (uint64_t *)&d);
	s = (struct stats_series){
	    {{"pool", "a\"b"}, {"server", "c\\d\ne"}, {"worker", "3"}},
	    3,
	    (const uint64_t *)&d,
	    0,
	    DEMO_N};
	stats_buf_init(&b, out, sizeof(out));
	cr_assert_eq(stats_render_prom(&b, "gh", &demo, &s, 1), 0);
	cr_assert_not_null(strstr(out, "\ngh_demo_frames_total{pool=\"a\\\"b\","
	                               "server=\"c\\\\d\\ne\",worker=\"3\"} "
	                               "7\n"),
	                   "%s", out);
	cr_assert_not_null(strstr(out, "gh_demo_wait_seconds_bucket{pool=\"a"
	                               "\\\"b\",server=\"c\\\\d\\ne\",worker="
	                               "\"3\",le=\"0.0001\"} 1\n"),
	                   "%s", out);
	cr_assert_not_null(strstr(out, "gh_demo_wait_seconds_count{pool=\"a"
	                               "\\\"b\",server=\"c\\\\d\\ne\",worker="
	                               "\"3\"} 1\n"),
	                   "%s", out);
}
