/*
 * Counter aggregation and rendering for the control thread: sums per-worker
 * copies of a counter group and renders it as text, JSON or Prometheus from
 * the group's single declaration.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/gh_common.h"
#include "stats/stats.h"

void
stats_buf_init(struct stats_buf *b, char *mem, size_t cap)
{
	GH_VERIFY(mem != NULL && cap >= 1);
	b->p = mem;
	b->len = 0;
	b->cap = cap;
	b->overflow = false;
	mem[0] = '\0';
}

int
stats_buf_printf(struct stats_buf *b, const char *fmt, ...)
{
	va_list ap;
	size_t room;
	int n;

	if (b->overflow)
		return -ENOSPC;
	room = b->cap - b->len;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room) {
		/* Keep what fitted, NUL-ended, and remember the loss. */
		b->len = b->cap - 1;
		b->p[b->len] = '\0';
		b->overflow = true;
		return -ENOSPC;
	}
	b->len += (size_t)n;
	return 0;
}

void
stats_group_add(uint64_t *dst, const uint64_t *const *srcs, unsigned n_srcs,
                unsigned n)
{
	unsigned k, i;

	for (k = 0; k < n_srcs; k++) {
		GH_VERIFY(srcs[k] != NULL);
		for (i = 0; i < n; i++)
			dst[i] += stats_read(&srcs[k][i]);
	}
}

int
stats_render_text(struct stats_buf *b, const char *label,
                  const struct stats_group_desc *g, const uint64_t *vals,
                  bool skip_zero)
{
	unsigned i;

	for (i = 0; i < g->n; i++) {
		if (skip_zero && vals[i] == 0)
			continue;
		stats_buf_printf(b, "%s%s%s.%s %llu\n", label ? label : "",
		                 label ? "." : "", g->name, g->counters[i].name,
		                 (unsigned long long)vals[i]);
	}
	return b->overflow ? -ENOSPC : 0;
}

int
stats_render_json(struct stats_buf *b, const struct stats_group_desc *g,
                  const uint64_t *vals)
{
	unsigned i;

	stats_buf_printf(b, "\"%s\":{", g->name);
	for (i = 0; i < g->n; i++)
		stats_buf_printf(b, "%s\"%s\":%llu", i ? "," : "",
		                 g->counters[i].name,
		                 (unsigned long long)vals[i]);
	stats_buf_printf(b, "}");
	return b->overflow ? -ENOSPC : 0;
}

int
stats_render_prom(struct stats_buf *b, const struct stats_group_desc *g,
                  const uint64_t *vals, const char *labels, bool with_meta)
{
	unsigned i;

	for (i = 0; i < g->n; i++) {
		const struct stats_counter_desc *c = &g->counters[i];

		if (with_meta) {
			stats_buf_printf(b, "# HELP gatehouse_%s_%s_total %s\n",
			                 g->name, c->name, c->help);
			stats_buf_printf(b,
			                 "# TYPE gatehouse_%s_%s_total "
			                 "counter\n",
			                 g->name, c->name);
		}
		stats_buf_printf(b, "gatehouse_%s_%s_total%s%s%s %llu\n",
		                 g->name, c->name, labels ? "{" : "",
		                 labels ? labels : "", labels ? "}" : "",
		                 (unsigned long long)vals[i]);
	}
	return b->overflow ? -ENOSPC : 0;
}
