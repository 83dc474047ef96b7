/*
 * Counter declarations shared by every module.
 *
 * A module declares its counters once, as an X-macro list of
 * X(name, "help text"), and expands it twice: into a struct of uint64_t
 * fields (one copy per worker, written only by that worker) and into a
 * descriptor table.  lib/stats then sums and renders any such group as
 * text, JSON or telemetry without knowing the module (VPP tcp_error.def,
 * Varnish .vsc).
 *
 *	#define NET_COUNTERS(X) X(ip_bad_csum, "IPv4 header checksum wrong")
 *	struct net_counters { NET_COUNTERS(STATS_FIELD) };
 *	static const struct stats_counter_desc d[] = { NET_COUNTERS(STATS_DESC)
 *};
 */
#ifndef GH_STATS_TYPES_H
#define GH_STATS_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STATS_FIELD(name, help) uint64_t name;
#define STATS_DESC(name, help)  {#name, help, STATS_KIND_AUTO, 0},

/*
 * What a value is, for the renderers that care (Prometheus): a counter
 * only grows, a gauge goes up and down (declared by a help text that
 * starts "gauge:", so STATS_DESC needs no second list), and the values of
 * a histogram (STATS_HIST_DESC) are its buckets then its sum.
 */
enum stats_kind {
	STATS_KIND_AUTO = 0,        /* a counter, or a gauge by its help */
	STATS_KIND_HIST_BUCKET = 1, /* values <= le_us (cumulative) */
	STATS_KIND_HIST_SUM = 2,    /* the sum of the values, in us */
};

/* Name and one-line description of one value. */
struct stats_counter_desc {
	const char *name;
	const char *help;
	uint8_t kind;   /* enum stats_kind */
	uint32_t le_us; /* STATS_KIND_HIST_BUCKET: its bound; UINT32_MAX +Inf */
};

/*
 * A histogram of durations in microseconds, one per worker (written by
 * that worker only, no lock, no floating point): fixed bounds from 100 us
 * to 10 s in a 1-2.5-5 series, one more bucket above the last bound, and
 * the sum.  A worker counts each value once, in the first bucket whose
 * bound it does not pass (stats_hist_add); the control thread makes the
 * buckets cumulative in its sums (stats_hist_cumulate), so that on every
 * surface bucket "<name>_le_<bound>" holds the values <= its bound, as
 * Prometheus wants, and "<name>_le_inf" is the count.
 */
/* clang-format off */
#define STATS_HIST_BOUNDS(X, h, help)                                         \
	X(h, help, 100us, 100) X(h, help, 250us, 250)                        \
	X(h, help, 500us, 500) X(h, help, 1ms, 1000)                         \
	X(h, help, 2500us, 2500) X(h, help, 5ms, 5000)                       \
	X(h, help, 10ms, 10000) X(h, help, 25ms, 25000)                      \
	X(h, help, 50ms, 50000) X(h, help, 100ms, 100000)                    \
	X(h, help, 250ms, 250000) X(h, help, 500ms, 500000)                  \
	X(h, help, 1s, 1000000) X(h, help, 2500ms, 2500000)                  \
	X(h, help, 5s, 5000000) X(h, help, 10s, 10000000)
/* clang-format on */
#define STATS_HIST_N 16 /* bounds; STATS_HIST_N + 1 buckets */

struct stats_hist {
	uint64_t bucket[STATS_HIST_N + 1];
	uint64_t sum_us;
};

#define STATS_HIST_FIELD(name, help) struct stats_hist name;
#define STATS_HIST_DESC_ONE(h, help, sfx, us) \
	{#h "_le_" #sfx, help, STATS_KIND_HIST_BUCKET, us},
#define STATS_HIST_DESC(name, help)                                     \
	STATS_HIST_BOUNDS(STATS_HIST_DESC_ONE, name, help){             \
	    #name "_le_inf", help, STATS_KIND_HIST_BUCKET, UINT32_MAX}, \
	    {#name "_sum_us", help, STATS_KIND_HIST_SUM, 0},

/*
 * A named group of counters: `n` uint64_t values laid out like the
 * descriptors.  The group name prefixes counter names in every rendering
 * ("net.ip_bad_csum").
 */
struct stats_group_desc {
	const char *name;
	const struct stats_counter_desc *counters;
	unsigned n;
};

/*
 * Bounded output buffer for renderers.  Renderers never write past `cap`;
 * on overflow they set `overflow` and the content is truncated.
 */
struct stats_buf {
	char *p;
	size_t len;
	size_t cap;
	bool overflow;
};

/* A label of a Prometheus series: name="value". */
struct stats_label {
	const char *name;
	const char *value;
};

#define STATS_SERIES_LABELS_MAX 3 /* a server: pool, server, worker */

/*
 * One instance of a group for the Prometheus renderer: its labels (a
 * worker, a port, a listener) and its values, of which it carries the
 * counters [from, to) only (a port's own counters are per worker, its
 * device's are not).
 */
struct stats_series {
	struct stats_label labels[STATS_SERIES_LABELS_MAX];
	unsigned n_labels;
	const uint64_t *vals;
	unsigned from;
	unsigned to;
};

#endif /* GH_STATS_TYPES_H */
