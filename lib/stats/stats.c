/*
 * Counter aggregation and rendering for the control thread: sums per-worker
 * copies of a counter group and renders it as text, JSON or Prometheus text
 * from the group's single declaration (DPDK telemetry is built by the
 * caller from the same descriptors), and the fixed buckets of the duration
 * histograms workers keep.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
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
stats_json_begin(struct stats_json_nest *j, struct stats_buf *b)
{
	memset(j, 0, sizeof(*j));
	j->b = b;
	return stats_buf_printf(b, "{");
}

static bool
same_name(const char *x, const char *y)
{
	return x != NULL && y != NULL && strcmp(x, y) == 0;
}

int
stats_json_group(struct stats_json_nest *j, const char *parent, const char *sub,
                 const struct stats_group_desc *g, const uint64_t *vals)
{
	GH_VERIFY(sub == NULL || parent != NULL);
	if (j->sub != NULL &&
	    (!same_name(parent, j->parent) || !same_name(sub, j->sub))) {
		stats_buf_printf(j->b, "}");
		j->sub = NULL;
	}
	if (j->parent != NULL && !same_name(parent, j->parent)) {
		stats_buf_printf(j->b, "}");
		j->parent = NULL;
	}
	if (parent != NULL && j->parent == NULL) {
		stats_buf_printf(j->b, "%s\"%s\":{", j->n_top++ ? "," : "",
		                 parent);
		j->parent = parent;
		j->n_in = 0;
	}
	if (sub != NULL && j->sub == NULL) {
		stats_buf_printf(j->b, "%s\"%s\":{", j->n_in++ ? "," : "", sub);
		j->sub = sub;
		j->n_sub = 0;
	}
	if (j->sub != NULL)
		stats_buf_printf(j->b, "%s", j->n_sub++ ? "," : "");
	else if (j->parent != NULL)
		stats_buf_printf(j->b, "%s", j->n_in++ ? "," : "");
	else
		stats_buf_printf(j->b, "%s", j->n_top++ ? "," : "");
	return stats_render_json(j->b, g, vals);
}

int
stats_json_end(struct stats_json_nest *j)
{
	stats_buf_printf(j->b, "%s%s}", j->sub != NULL ? "}" : "",
	                 j->parent != NULL ? "}" : "");
	j->sub = j->parent = NULL;
	return j->b->overflow ? -ENOSPC : 0;
}

#define STATS_HIST_BOUND_ONE(h, help, sfx, us) us,
const uint32_t stats_hist_bounds_us[STATS_HIST_N] = {
    STATS_HIST_BOUNDS(STATS_HIST_BOUND_ONE, x, x)};

void
stats_hist_cumulate(const struct stats_group_desc *g, uint64_t *vals)
{
	unsigned i;

	for (i = 1; i < g->n; i++)
		if (g->counters[i].kind == STATS_KIND_HIST_BUCKET &&
		    g->counters[i - 1].kind == STATS_KIND_HIST_BUCKET)
			vals[i] += vals[i - 1];
}

bool
stats_desc_is_gauge(const struct stats_counter_desc *d)
{
	return d->kind == STATS_KIND_AUTO && d->help != NULL &&
	       strncmp(d->help, "gauge:", 6) == 0;
}

/* <s> with \ and LF escaped, and " too when <quote> (label values). */
static void
prom_escaped(struct stats_buf *b, const char *s, bool quote)
{
	char run[128];
	size_t n = 0;

	for (; *s != '\0'; s++) {
		if (n + 3 > sizeof(run)) {
			stats_buf_printf(b, "%.*s", (int)n, run);
			n = 0;
		}
		if (*s == '\\' || (quote && *s == '"')) {
			run[n++] = '\\';
			run[n++] = *s;
		} else if (*s == '\n') {
			run[n++] = '\\';
			run[n++] = 'n';
		} else {
			run[n++] = *s;
		}
	}
	stats_buf_printf(b, "%.*s", (int)n, run);
}

/* "{a="x",b="y"" of <s> plus <extra> (le="..."), or nothing at all. */
static void
prom_labels(struct stats_buf *b, const struct stats_series *s, const char *le)
{
	unsigned i;

	if (s->n_labels == 0 && le == NULL)
		return;
	stats_buf_printf(b, "{");
	for (i = 0; i < s->n_labels; i++) {
		stats_buf_printf(b, "%s%s=\"", i ? "," : "", s->labels[i].name);
		prom_escaped(b, s->labels[i].value, true);
		stats_buf_printf(b, "\"");
	}
	if (le != NULL)
		stats_buf_printf(b, "%sle=\"%s\"", s->n_labels ? "," : "", le);
	stats_buf_printf(b, "}");
}

/* <us> microseconds as seconds in decimal ("0.00025", "10"): no float. */
static void
prom_seconds(char *out, size_t cap, uint64_t us)
{
	unsigned long long frac = us % 1000000;
	int digits = 6;

	if (frac == 0) {
		snprintf(out, cap, "%llu", (unsigned long long)(us / 1000000));
		return;
	}
	while (frac % 10 == 0) {
		frac /= 10;
		digits--;
	}
	snprintf(out, cap, "%llu.%0*llu", (unsigned long long)(us / 1000000),
	         digits, frac);
}

static bool
series_has(const struct stats_series *s, unsigned i)
{
	return i >= s->from && i < s->to;
}

static void
prom_head(struct stats_buf *b, const char *family, const char *help,
          const char *type)
{
	stats_buf_printf(b, "# HELP %s ", family);
	prom_escaped(b, help, false);
	stats_buf_printf(b, "\n# TYPE %s %s\n", family, type);
}

/*
 * The histogram whose buckets are values [first, sum) of <g> and whose
 * sum is value <sum>; its name is the sum's without "_sum_us".
 */
static void
prom_hist(struct stats_buf *b, const char *prefix,
          const struct stats_group_desc *g, unsigned first, unsigned sum,
          const struct stats_series *series, unsigned n_series)
{
	const char *sname = g->counters[sum].name;
	char family[160], le[32];
	unsigned k, i;
	int base = (int)strlen(sname) - 7; /* "_sum_us" */

	snprintf(family, sizeof(family), "%s_%s_%.*s_seconds", prefix, g->name,
	         base, sname);
	prom_head(b, family, g->counters[sum].help, "histogram");
	for (k = 0; k < n_series; k++) {
		const struct stats_series *s = &series[k];

		if (!series_has(s, first) || !series_has(s, sum))
			continue;
		for (i = first; i < sum; i++) {
			if (g->counters[i].le_us == UINT32_MAX)
				snprintf(le, sizeof(le), "+Inf");
			else
				prom_seconds(le, sizeof(le),
				             g->counters[i].le_us);
			stats_buf_printf(b, "%s_bucket", family);
			prom_labels(b, s, le);
			stats_buf_printf(b, " %llu\n",
			                 (unsigned long long)s->vals[i]);
		}
		prom_seconds(le, sizeof(le), s->vals[sum]);
		stats_buf_printf(b, "%s_sum", family);
		prom_labels(b, s, NULL);
		stats_buf_printf(b, " %s\n%s_count", le, family);
		prom_labels(b, s, NULL);
		stats_buf_printf(b, " %llu\n",
		                 (unsigned long long)s->vals[sum - 1]);
	}
}

int
stats_render_prom(struct stats_buf *b, const char *prefix,
                  const struct stats_group_desc *g,
                  const struct stats_series *series, unsigned n_series)
{
	unsigned i, k;

	for (i = 0; i < g->n; i++) {
		const struct stats_counter_desc *d = &g->counters[i];
		bool gauge = stats_desc_is_gauge(d), any = false;
		char family[160];

		for (k = 0; k < n_series && !any; k++)
			any = series_has(&series[k], i);
		if (d->kind == STATS_KIND_HIST_BUCKET) {
			unsigned sum = i;

			while (sum < g->n &&
			       g->counters[sum].kind == STATS_KIND_HIST_BUCKET)
				sum++;
			/* stats_group_check: a sum ends every run */
			GH_VERIFY(sum < g->n &&
			          g->counters[sum].kind == STATS_KIND_HIST_SUM);
			if (any)
				prom_hist(b, prefix, g, i, sum, series,
				          n_series);
			i = sum;
			continue;
		}
		if (!any)
			continue;
		snprintf(family, sizeof(family), "%s_%s_%s%s", prefix, g->name,
		         d->name, gauge ? "" : "_total");
		prom_head(b, family, d->help, gauge ? "gauge" : "counter");
		for (k = 0; k < n_series; k++) {
			if (!series_has(&series[k], i))
				continue;
			stats_buf_printf(b, "%s", family);
			prom_labels(b, &series[k], NULL);
			stats_buf_printf(b, " %llu\n",
			                 (unsigned long long)series[k].vals[i]);
		}
	}
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

/* Whether the histogram of <g> starting at value <i> is whole: its
 * STATS_HIST_N bounds, the +Inf bucket, then its sum. */
static bool
hist_ok(const struct stats_group_desc *g, unsigned i)
{
	unsigned j;

	if (i + STATS_HIST_N + 2 > g->n)
		return false;
	for (j = 0; j < STATS_HIST_N; j++)
		if (g->counters[i + j].kind != STATS_KIND_HIST_BUCKET ||
		    g->counters[i + j].le_us != stats_hist_bounds_us[j])
			return false;
	return g->counters[i + j].kind == STATS_KIND_HIST_BUCKET &&
	       g->counters[i + j].le_us == UINT32_MAX &&
	       g->counters[i + j + 1].kind == STATS_KIND_HIST_SUM &&
	       strlen(g->counters[i + j + 1].name) > 7;
}

int
stats_group_check(const struct stats_group_desc *g)
{
	unsigned i, k;

	if (g == NULL || !name_ok(g->name) || g->counters == NULL || g->n == 0)
		return -EINVAL;
	for (i = 0; i < g->n; i++) {
		const struct stats_counter_desc *d = &g->counters[i];

		if (!name_ok(d->name) || d->kind > STATS_KIND_HIST_SUM)
			return -EINVAL;
		/* a run of buckets starts here: it must be whole */
		if (d->kind == STATS_KIND_HIST_BUCKET &&
		    (i == 0 ||
		     g->counters[i - 1].kind != STATS_KIND_HIST_BUCKET) &&
		    !hist_ok(g, i))
			return -EINVAL;
		if (d->kind == STATS_KIND_HIST_SUM &&
		    (i == 0 ||
		     g->counters[i - 1].kind != STATS_KIND_HIST_BUCKET))
			return -EINVAL;
		for (k = 0; k < i; k++)
			if (strcmp(g->counters[k].name, g->counters[i].name) ==
			    0)
				return -EINVAL;
	}
	return 0;
}
