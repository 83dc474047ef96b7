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
 * Check the declaration of <g>: group and counter names not empty and of
 * [a-z0-9_] only (so they are valid telemetry keys and dotted names split
 * back into group and counter), and no counter name twice.  Returns 0, or
 * -EINVAL.
 */
int stats_group_check(const struct stats_group_desc *g);

#endif /* GH_STATS_H */
