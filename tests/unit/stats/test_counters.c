/*
 * Every counter the appliance declares, rendered: each group of the tree
 * (net, worker, tcp, tcp_flow, proxy, dns, a port with its device
 * counters, listener, access_log, management, a reverse proxy's pool and
 * server) passes stats_group_check,
 * group names are unique, and every declared counter appears exactly once
 * in the text and in the JSON rendering with its own value, and in the
 * Prometheus rendering under a name `promtool check metrics` takes (no
 * name part it reads as an abbreviated unit).  Also: stats_group_check
 * refuses empty, badly spelt and repeated names.
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns.h"
#include "net/net.h"
#include "proxy/proxy.h"
#include "stats/stats.h"
#include "tcp/tcp.h"
#include "tcp/tcp_flow.h"
#include "gatehouse.h"
#include "logger.h"
#include "mgmt.h"

/*
 * The groups app/gatehouse declares are expanded here from the same
 * X-macros (their descriptor tables live in worker.c and stats_view.c,
 * which need a running worker and DPDK).
 */
static const struct stats_counter_desc worker_descs[] = {
    WORKER_COUNTERS(STATS_DESC) NET_L4_COUNTERS(STATS_DESC)};
static const struct stats_counter_desc port_descs[] = {
    PORT_COUNTERS(STATS_DESC) DEV_COUNTERS(STATS_DESC)};
static const struct stats_counter_desc alog_descs[] = {
    LOGGER_COUNTERS(STATS_DESC)};
static const struct stats_group_desc worker_group = {
    "worker", worker_descs, sizeof(worker_descs) / sizeof(worker_descs[0])};
static const struct stats_group_desc port_group = {
    "port", port_descs, sizeof(port_descs) / sizeof(port_descs[0])};
static const struct stats_group_desc alog_group = {
    "access_log", alog_descs, sizeof(alog_descs) / sizeof(alog_descs[0])};
static const struct stats_counter_desc mgmt_descs[] = {
    MGMT_COUNTERS(STATS_DESC)};
static const struct stats_group_desc mgmt_group = {
    "management", mgmt_descs, sizeof(mgmt_descs) / sizeof(mgmt_descs[0])};

static const struct stats_group_desc *const all_groups[] = {
    &net_counters_desc,
    &worker_group,
    &tcp_counters_desc,
    &tcp_flow_counters_desc,
    &proxy_counters_desc,
    &dns_counters_desc,
    &port_group,
    &alog_group,
    &proxy_listener_counters_desc,
    &mgmt_group,
    &proxy_pool_counters_desc,
    &proxy_server_counters_desc,
};
#define N_GROUPS (sizeof(all_groups) / sizeof(all_groups[0]))

/* Room for every rendering below. */
#define OUT_BYTES (256 * 1024)
#define VALS_MAX  512

TestSuite(counters);

Test(counters, every_declaration_checks_and_group_names_are_unique)
{
	unsigned i, k;

	for (i = 0; i < N_GROUPS; i++) {
		cr_assert_eq(stats_group_check(all_groups[i]), 0,
		             "group %s fails stats_group_check",
		             all_groups[i]->name);
		for (k = 0; k < i; k++)
			cr_assert_str_neq(all_groups[k]->name,
			                  all_groups[i]->name);
	}
}

/* The groups in every test: the struct sizes match the declarations. */
Test(counters, structs_match_declarations)
{
	cr_assert_eq(sizeof(struct net_counters), net_counters_desc.n * 8);
	cr_assert_eq(sizeof(struct worker_counters), worker_group.n * 8);
	cr_assert_eq(sizeof(struct tcp_counters), tcp_counters_desc.n * 8);
	cr_assert_eq(sizeof(struct tcp_flow_counters),
	             tcp_flow_counters_desc.n * 8);
	cr_assert_eq(sizeof(struct proxy_counters), proxy_counters_desc.n * 8);
	cr_assert_eq(sizeof(struct dns_counters), dns_counters_desc.n * 8);
	cr_assert_eq(sizeof(struct port_counters) + sizeof(struct dev_counters),
	             port_group.n * 8);
	cr_assert_eq(sizeof(struct logger_totals), alog_group.n * 8);
	cr_assert_eq(sizeof(struct proxy_listener_counters),
	             proxy_listener_counters_desc.n * 8);
	cr_assert_eq(sizeof(struct mgmt_counters), mgmt_group.n * 8);
	/* a pool's and a server's per-worker counters, then their gauges */
	cr_assert_eq(sizeof(struct proxy_pool_counters) + 4 * 8,
	             proxy_pool_counters_desc.n * 8);
	cr_assert_eq(sizeof(struct proxy_server_counters) + 2 * 8,
	             proxy_server_counters_desc.n * 8);
}

/* Counter j of group g gets the value 1000 * (g + 1) + j: each its own. */
static uint64_t
value_of(unsigned g, unsigned j)
{
	return 1000ull * (g + 1) + j;
}

static void
fill(unsigned g, uint64_t *vals)
{
	unsigned j;

	cr_assert_leq(all_groups[g]->n, VALS_MAX);
	for (j = 0; j < all_groups[g]->n; j++)
		vals[j] = value_of(g, j);
}

Test(counters, every_counter_once_in_text_with_its_value)
{
	static char out[OUT_BYTES];
	uint64_t vals[VALS_MAX];
	struct stats_buf b;
	unsigned g, j, lines = 0, total = 0;
	char *ln, *save = NULL;

	stats_buf_init(&b, out, sizeof(out));
	for (g = 0; g < N_GROUPS; g++) {
		fill(g, vals);
		cr_assert_eq(
		    stats_render_text(&b, NULL, all_groups[g], vals, false), 0);
		total += all_groups[g]->n;
	}
	for (g = 0; g < N_GROUPS; g++) {
		for (j = 0; j < all_groups[g]->n; j++) {
			char want[160];
			const char *hit;

			snprintf(want, sizeof(want), "%s.%s %" PRIu64 "\n",
			         all_groups[g]->name,
			         all_groups[g]->counters[j].name,
			         value_of(g, j));
			hit = strstr(out, want);
			cr_assert(
			    hit != NULL && (hit == out || hit[-1] == '\n'),
			    "text lacks \"%.*s\"", (int)strlen(want) - 1, want);
			cr_assert(strstr(hit + 1, want) == NULL ||
			              strstr(hit + 1, want)[-1] != '\n',
			          "text has \"%s\" twice", want);
		}
	}
	for (ln = strtok_r(out, "\n", &save); ln != NULL;
	     ln = strtok_r(NULL, "\n", &save))
		lines++;
	cr_assert_eq(lines, total, "%u lines for %u counters", lines, total);
}

Test(counters, every_counter_once_in_json_with_its_value)
{
	static char out[OUT_BYTES];
	uint64_t vals[VALS_MAX];
	struct stats_buf b;
	unsigned g, j;

	for (g = 0; g < N_GROUPS; g++) {
		const char *obj, *end;
		char head[64];
		unsigned colons = 0;

		fill(g, vals);
		stats_buf_init(&b, out, sizeof(out));
		cr_assert_eq(stats_render_json(&b, all_groups[g], vals), 0);
		snprintf(head, sizeof(head), "\"%s\":{", all_groups[g]->name);
		cr_assert(strncmp(out, head, strlen(head)) == 0,
		          "JSON of %s starts \"%.40s\"", all_groups[g]->name,
		          out);
		obj = out + strlen(head);
		end = strchr(obj, '}');
		cr_assert(end != NULL && end[1] == '\0');
		for (j = 0; j < all_groups[g]->n; j++) {
			char want[160];
			const char *hit;
			size_t wl;

			wl = (size_t)snprintf(
			    want, sizeof(want), "\"%s\":%" PRIu64,
			    all_groups[g]->counters[j].name, value_of(g, j));
			hit = strstr(obj, want);
			cr_assert(
			    hit != NULL && (hit == obj || hit[-1] == ',') &&
			        (hit[wl] == ',' || hit[wl] == '}'),
			    "JSON of %s lacks %s", all_groups[g]->name, want);
		}
		for (; obj < end; obj++)
			colons += *obj == ':';
		cr_assert_eq(colons, all_groups[g]->n,
		             "JSON of %s has %u members for %u counters",
		             all_groups[g]->name, colons, all_groups[g]->n);
	}
}

Test(counters, check_refuses_bad_declarations)
{
	static const struct stats_counter_desc twice[] = {
	    {"frames", "x"}, {"drops", "x"}, {"frames", "x"}};
	static const struct stats_counter_desc dotted[] = {{"rx.frames", "x"}};
	static const struct stats_counter_desc upper[] = {{"Frames", "x"}};
	static const struct stats_counter_desc empty[] = {{"", "x"}};
	static const struct stats_counter_desc fine[] = {{"rx_frames_2", "x"}};
	struct stats_group_desc g = {"demo", twice, 3};

	cr_assert_eq(stats_group_check(&g), -EINVAL);
	g.counters = dotted;
	g.n = 1;
	cr_assert_eq(stats_group_check(&g), -EINVAL);
	g.counters = upper;
	cr_assert_eq(stats_group_check(&g), -EINVAL);
	g.counters = empty;
	cr_assert_eq(stats_group_check(&g), -EINVAL);
	g.counters = fine;
	cr_assert_eq(stats_group_check(&g), 0);
	g.name = "port-1";
	cr_assert_eq(stats_group_check(&g), -EINVAL);
	g.name = "demo";
	g.n = 0;
	cr_assert_eq(stats_group_check(&g), -EINVAL);
	cr_assert_eq(stats_group_check(NULL), -EINVAL);
}

/*
 * The name parts Prometheus' linter (promlint, run by `promtool check
 * metrics`) takes for abbreviated units: "_us_" in a name fails the check
 * even when it means "us" (net.ip_not_for_us did).
 */
static const char *const unit_abbrevs[] = {"s",  "ms", "us", "ns", "sec",
                                           "b",  "kb", "mb", "gb", "tb",
                                           "pb", "m",  "h",  "d"};

Test(counters, every_counter_in_prometheus_with_a_lint_clean_name)
{
	static char out[OUT_BYTES];
	uint64_t vals[VALS_MAX];
	struct stats_buf b;
	unsigned g, j, k, families = 0, want = 0;
	char *ln, *save = NULL;

	stats_buf_init(&b, out, sizeof(out));
	for (g = 0; g < N_GROUPS; g++) {
		struct stats_series s = {.vals = vals, .from = 0};

		fill(g, vals);
		s.to = all_groups[g]->n;
		cr_assert_eq(
		    stats_render_prom(&b, "gatehouse", all_groups[g], &s, 1),
		    0);
		for (j = 0; j < all_groups[g]->n; j++)
			want += all_groups[g]->counters[j].kind !=
			        STATS_KIND_HIST_BUCKET;
	}
	for (ln = strtok_r(out, "\n", &save); ln != NULL;
	     ln = strtok_r(NULL, "\n", &save)) {
		char name[200];

		if (strncmp(ln, "# TYPE ", 7) != 0)
			continue;
		families++;
		cr_assert_eq(sscanf(ln + 7, "%199s", name), 1);
		for (k = 0; k < sizeof(unit_abbrevs) / sizeof(*unit_abbrevs);
		     k++) {
			char mid[16], *end;
			size_t n;

			snprintf(mid, sizeof(mid), "_%s_", unit_abbrevs[k]);
			n = strlen(mid) - 1;
			end = name + strlen(name) - n;
			cr_assert(strstr(name, mid) == NULL &&
			              strncmp(end, mid, n) != 0,
			          "%s: \"%s\" reads as a unit to promtool",
			          name, unit_abbrevs[k]);
		}
		if (strstr(ln, " counter") != NULL)
			cr_assert(strstr(name, "_total") ==
			              name + strlen(name) - 6,
			          "counter %s without _total", name);
	}
	/* a histogram's buckets and sum are one family */
	cr_assert_eq(families, want);
}
