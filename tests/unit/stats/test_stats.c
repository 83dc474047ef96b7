/*
 * lib/stats: summing per-worker copies of a counter group and rendering it
 * as text and JSON, including truncation of a small buffer.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "stats/stats.h"

#define DEMO_COUNTERS(X)           \
	X(frames, "frames seen")   \
	X(drops, "frames dropped") \
	X(bytes, "bytes seen")

struct demo_counters {
	DEMO_COUNTERS(STATS_FIELD)
};

static const struct stats_counter_desc demo_descs[] = {
    DEMO_COUNTERS(STATS_DESC)};
static const struct stats_group_desc demo = {"demo", demo_descs, 3};

TestSuite(stats);

Test(stats, group_add_sums_every_worker)
{
	struct demo_counters w0 = {1, 2, 3}, w1 = {10, 20, 30}, sum = {0};
	const uint64_t *srcs[] = {(uint64_t *)&w0, (uint64_t *)&w1};

	stats_group_add((uint64_t *)&sum, srcs, 2, demo.n);
	cr_assert_eq(sum.frames, 11);
	cr_assert_eq(sum.drops, 22);
	cr_assert_eq(sum.bytes, 33);
	/* Adding again accumulates: dst is not reset. */
	stats_group_add((uint64_t *)&sum, srcs, 1, demo.n);
	cr_assert_eq(sum.frames, 12);
}

Test(stats, text_has_one_line_per_counter)
{
	struct demo_counters c = {5, 0, 7};
	struct stats_buf b;
	char mem[256];

	stats_buf_init(&b, mem, sizeof(mem));
	cr_assert_eq(stats_render_text(&b, NULL, &demo, (uint64_t *)&c, false),
	             0);
	cr_assert_str_eq(mem, "demo.frames 5\ndemo.drops 0\ndemo.bytes 7\n");
}

Test(stats, text_label_and_skip_zero)
{
	struct demo_counters c = {5, 0, 7};
	struct stats_buf b;
	char mem[256];

	stats_buf_init(&b, mem, sizeof(mem));
	stats_render_text(&b, "worker1", &demo, (uint64_t *)&c, true);
	cr_assert_str_eq(mem, "worker1.demo.frames 5\nworker1.demo.bytes 7\n");
}

Test(stats, json_object)
{
	struct demo_counters c = {1, 2, 18446744073709551615ull};
	struct stats_buf b;
	char mem[256];

	stats_buf_init(&b, mem, sizeof(mem));
	cr_assert_eq(stats_render_json(&b, &demo, (uint64_t *)&c), 0);
	cr_assert_str_eq(mem, "\"demo\":{\"frames\":1,\"drops\":2,"
	                      "\"bytes\":18446744073709551615}");
}

Test(stats, small_buffer_truncates_and_reports)
{
	struct demo_counters c = {123456, 2, 3};
	struct stats_buf b;
	char mem[12];

	stats_buf_init(&b, mem, sizeof(mem));
	cr_assert_eq(stats_render_text(&b, NULL, &demo, (uint64_t *)&c, false),
	             -ENOSPC);
	cr_assert(b.overflow);
	cr_assert_eq(strlen(mem), sizeof(mem) - 1);
	cr_assert_eq(b.len, sizeof(mem) - 1);
	/* Once overflowed, further output is refused, not appended. */
	cr_assert_eq(stats_buf_printf(&b, "x"), -ENOSPC);
	cr_assert_eq(strlen(mem), sizeof(mem) - 1);
}

Test(stats, verify_fires_on_bad_buffer, .signal = SIGABRT)
{
	struct stats_buf b;

	stats_buf_init(&b, NULL, 0);
}

/* The JSON of groups with and without parents and sub-names: each
 * parent's object opened once and closed when the parent changes, a
 * server's group in its pool's object inside "server". */
Test(stats, json_nests_parents_and_sub_names)
{
	static const struct stats_counter_desc one[] = {{"n", "n", 0, 0}};
	struct stats_group_desc g = {"demo", one, 1};
	static char out[1024];
	uint64_t v = 1;
	struct stats_json_nest j;
	struct stats_buf b;

	stats_buf_init(&b, out, sizeof(out));
	cr_assert_eq(stats_json_begin(&j, &b), 0);
	stats_json_group(&j, NULL, NULL, &g, &v);
	g.name = "in";
	stats_json_group(&j, "port", NULL, &g, &v);
	g.name = "out";
	stats_json_group(&j, "port", NULL, &g, &v);
	g.name = "web";
	stats_json_group(&j, "pool", NULL, &g, &v);
	g.name = "s1";
	stats_json_group(&j, "server", "web", &g, &v);
	g.name = "s2";
	stats_json_group(&j, "server", "web", &g, &v);
	g.name = "s1";
	stats_json_group(&j, "server", "api", &g, &v);
	g.name = "tail";
	stats_json_group(&j, NULL, NULL, &g, &v);
	cr_assert_eq(stats_json_end(&j), 0);
	cr_assert_str_eq(out, "{\"demo\":{\"n\":1},"
	                      "\"port\":{\"in\":{\"n\":1},\"out\":{\"n\":1}},"
	                      "\"pool\":{\"web\":{\"n\":1}},"
	                      "\"server\":{\"web\":{\"s1\":{\"n\":1},"
	                      "\"s2\":{\"n\":1}},\"api\":{\"s1\":{\"n\":1}}},"
	                      "\"tail\":{\"n\":1}}");
	/* ending inside a sub-name's object closes both */
	stats_buf_init(&b, out, sizeof(out));
	stats_json_begin(&j, &b);
	stats_json_group(&j, "server", "web", &g, &v);
	stats_json_end(&j);
	cr_assert_str_eq(out, "{\"server\":{\"web\":{\"tail\":{\"n\":1}}}}");
}
