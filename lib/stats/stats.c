/*
 * Counter aggregation and rendering for the control thread: sums per-worker
 * copies of a counter group and renders it as text or JSON from the group's
 * single declaration (DPDK telemetry is built by the caller from the same
 * descriptors).
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

/* True when <s> is a non-empty run of [a-z0-9_]. */
static bool
name_ok(const char *s)
{
	const char *p;

	if (s == NULL || *s == '\0')
		return false;
	for (p = s; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		      *p == '_'))
			return false;
	return true;
}

int
stats_group_check(const struct stats_group_desc *g)
{
	unsigned i, k;

	if (g == NULL || !name_ok(g->name) || g->counters == NULL || g->n == 0)
		return -EINVAL;
	for (i = 0; i < g->n; i++) {
		if (!name_ok(g->counters[i].name))
			return -EINVAL;
		for (k = 0; k < i; k++)
			if (strcmp(g->counters[k].name, g->counters[i].name) ==
			    0)
				return -EINVAL;
	}
	return 0;
}
