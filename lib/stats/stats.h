/*
 * Counter aggregation and rendering.  Called by the control thread only;
 * workers just increment their own fields.
 */
#ifndef GH_STATS_H
#define GH_STATS_H

#include "stats/stats_types.h"

/* Initialise <b> over <mem> of <cap> bytes (cap >= 1); always NUL-ended. */
void stats_buf_init(struct stats_buf *b, char *mem, size_t cap);

/* printf into <b>; returns 0, or -ENOSPC when the text was truncated. */
int stats_buf_printf(struct stats_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Add <n_srcs> per-worker copies of a group of <n> counters into <dst>
 * (dst[i] += srcs[k][i]).  Each source value is read once with a relaxed
 * atomic load, so this is safe while the owning workers keep counting.
 */
void stats_group_add(uint64_t *dst, const uint64_t *const *srcs,
                     unsigned n_srcs, unsigned n);

/* Read one counter another thread is writing (relaxed 64-bit load). */
static inline uint64_t
stats_read(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/*
 * Text: one "group.name value" line per counter; with <skip_zero> counters
 * that are 0 are left out.  <label> (may be NULL) is written in front of the
 * name, as in "worker1.net.rx_pkts".  Returns 0 or -ENOSPC.
 */
int stats_render_text(struct stats_buf *b, const char *label,
                      const struct stats_group_desc *g, const uint64_t *vals,
                      bool skip_zero);

/*
 * JSON: writes `"group":{"name":value,...}` (no surrounding braces, no
 * trailing comma) so callers can compose objects.  Returns 0 or -ENOSPC.
 */
int stats_render_json(struct stats_buf *b, const struct stats_group_desc *g,
                      const uint64_t *vals);

/*
 * One JSON object of groups, those with a parent nested in an object of
 * that name and those with a sub-name one level deeper:
 * {"net":{...},"port":{"in":{...}},"server":{"web":{"s1":{...}}}}.
 * The groups of one parent, and of one sub-name in it, must come one
 * after the other (an object is closed when the next group's differs).
 * stats_json_begin writes "{", stats_json_end what is still open and "}".
 * Names are written as they are (group, parent and sub-names are of
 * [A-Za-z0-9_-], nothing to escape).  Each returns 0 or -ENOSPC.
 */
struct stats_json_nest {
	struct stats_buf *b;
	const char *parent; /* the object open at the top, or NULL */
	const char *sub;    /* the object open inside <parent>, or NULL */
	unsigned n_top;     /* members written at the top level */
	unsigned n_in;      /* members written inside <parent> */
	unsigned n_sub;     /* members written inside <sub> */
};

int stats_json_begin(struct stats_json_nest *j, struct stats_buf *b);
int stats_json_group(struct stats_json_nest *j, const char *parent,
                     const char *sub, const struct stats_group_desc *g,
                     const uint64_t *vals);
int stats_json_end(struct stats_json_nest *j);

/* The bounds of struct stats_hist's buckets, in us, ascending. */
extern const uint32_t stats_hist_bounds_us[STATS_HIST_N];

/* The bucket of a duration of <us> microseconds: the first whose bound it
 * does not pass, STATS_HIST_N when it passes them all. */
static inline unsigned
stats_hist_bucket(uint64_t us)
{
	unsigned lo = 0, hi = STATS_HIST_N;

	/* the first bound >= us, by bisection: 4 or 5 steps */
	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;

		if (us <= stats_hist_bounds_us[mid])
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* Count one duration of <us> microseconds into <h> (its owner only). */
static inline void
stats_hist_add(struct stats_hist *h, uint64_t us)
{
	h->bucket[stats_hist_bucket(us)]++;
	h->sum_us += us;
}

/*
 * Make the histogram buckets among the values <vals> of group <g>
 * cumulative (bucket i += buckets 0 .. i-1): once, on a sum of per-worker
 * copies, before rendering.
 */
void stats_hist_cumulate(const struct stats_group_desc *g, uint64_t *vals);

/* Whether counter <d> is a gauge (its help starts "gauge:"). */
bool stats_desc_is_gauge(const struct stats_counter_desc *d);

/*
 * Prometheus text format 0.0.4: for each value of <g>, the HELP and TYPE
 * lines of family <prefix>_<group>_<name> (counters end in "_total"), then
 * one sample per series of <series> (n_series of them) that carries it,
 * with that series' labels (values escaped).  A histogram's values make
 * one family <prefix>_<group>_<name>_seconds with cumulative _bucket
 * samples (le in seconds), _sum (seconds) and _count (the +Inf bucket).
 * Values no series carries are left out.  Returns 0 or -ENOSPC.
 */
int stats_render_prom(struct stats_buf *b, const char *prefix,
                      const struct stats_group_desc *g,
                      const struct stats_series *series, unsigned n_series);

/*
 * Check the declaration of <g>: group and counter names not empty and of
 * [a-z0-9_] only (so they are valid telemetry keys and dotted names split
 * back into group and counter), no counter name twice, and each
 * histogram whole (STATS_HIST_N + 1 buckets with their bounds, then its
 * sum).  Returns 0, or -EINVAL.
 */
int stats_group_check(const struct stats_group_desc *g);

#endif /* GH_STATS_H */
