/*
 * The per-second history of key rates (see stats_ring.h): a fixed ring of
 * samples, each the growth of a reading's counters over the one before,
 * and its JSON rendering, one array per column so a chart takes a column
 * as it is.
 */
#include <errno.h>
#include <string.h>

#include "common/gh_common.h"
#include "stats/stats.h"
#include "stats/stats_ring.h"

void
stats_ring_init(struct stats_ring *r)
{
	memset(r, 0, sizeof(*r));
	r->magic = STATS_RING_MAGIC;
}

/* The growth of a counter from <prev> to <cur>; a reset (cur < prev) is
 * counted from 0. */
static uint64_t
grow(uint64_t prev, uint64_t cur, bool *reset)
{
	if (cur >= prev)
		return cur - prev;
	*reset = true;
	return cur;
}

static uint16_t
busy_permille(uint64_t busy, uint64_t idle)
{
	uint64_t all = busy + idle;

	if (all == 0 || all < busy) /* none counted, or beyond 64 bits */
		return STATS_RING_BUSY_NONE;
	/* busy * 1000 may pass 64 bits: divide first when it would */
	if (busy > UINT64_MAX / 1000)
		return (uint16_t)(busy / (all / 1000));
	return (uint16_t)(busy * 1000 / all);
}

int
stats_ring_add(struct stats_ring *r, const struct stats_ring_read *cur)
{
	const struct stats_ring_read *p = &r->prev;
	struct stats_ring_sample *s;
	bool reset = false;
	unsigned k;

	GH_CHECK_OBJ_NOTNULL(r, STATS_RING_MAGIC);
	GH_VERIFY(cur->n_workers <= STATS_RING_WORKERS_MAX);
	if (!r->has_prev || p->n_workers != cur->n_workers) {
		r->prev = *cur;
		r->has_prev = true;
		return 0;
	}
	if (cur->mono_ms <= p->mono_ms ||
	    cur->mono_ms - p->mono_ms > UINT32_MAX)
		return -EINVAL;
	s = &r->s[r->head];
	memset(s, 0, sizeof(*s));
	s->unix_ms = cur->unix_ms;
	s->dt_ms = (uint32_t)(cur->mono_ms - p->mono_ms);
	s->n_workers = (uint16_t)cur->n_workers;
	s->requests = grow(p->requests, cur->requests, &reset);
	s->hits = grow(p->hits, cur->hits, &reset);
	s->misses = grow(p->misses, cur->misses, &reset);
	s->bytes_in = grow(p->bytes_in, cur->bytes_in, &reset);
	s->bytes_out = grow(p->bytes_out, cur->bytes_out, &reset);
	s->errors = grow(p->errors, cur->errors, &reset);
	s->conns_open = cur->conns_open;
	for (k = 0; k < STATS_RING_WORKERS_MAX; k++)
		s->busy_permille[k] = STATS_RING_BUSY_NONE;
	for (k = 0; k < cur->n_workers; k++)
		s->busy_permille[k] = busy_permille(
		    grow(p->busy_tsc[k], cur->busy_tsc[k], &reset),
		    grow(p->idle_tsc[k], cur->idle_tsc[k], &reset));
	r->resets += reset;
	r->prev = *cur;
	r->head = (r->head + 1) % STATS_RING_LEN;
	if (r->count < STATS_RING_LEN)
		r->count++;
	return 1;
}

unsigned
stats_ring_count(const struct stats_ring *r)
{
	GH_CHECK_OBJ_NOTNULL(r, STATS_RING_MAGIC);
	return r->count;
}

const struct stats_ring_sample *
stats_ring_at(const struct stats_ring *r, unsigned i)
{
	GH_CHECK_OBJ_NOTNULL(r, STATS_RING_MAGIC);
	GH_VERIFY(i < r->count);
	return &r->s[(r->head + STATS_RING_LEN - r->count + i) %
	             STATS_RING_LEN];
}

int
stats_ring_hit_permille(const struct stats_ring_sample *s)
{
	uint64_t all = s->hits + s->misses;

	if (all == 0 || all < s->hits)
		return -1;
	return (int)(s->hits / (double)all * 1000.0);
}

/* The columns of a sample, in the order they are rendered. */
enum ring_col {
	COL_T_MS = 0,
	COL_DT_MS,
	COL_REQ_S,
	COL_HIT_S,
	COL_MISS_S,
	COL_HIT_RATIO,
	COL_IN_S,
	COL_OUT_S,
	COL_ERR_S,
	COL_CONNS,
	COL_N
};

static const char *const col_name[COL_N] = {
    "t_ms",      "dt_ms",      "req_s",       "hit_s", "miss_s",
    "hit_ratio", "in_bytes_s", "out_bytes_s", "err_s", "conns"};

static void
col_render(struct stats_buf *b, const struct stats_ring_sample *s,
           enum ring_col c)
{
	int hp;

	switch (c) {
	case COL_T_MS:
		stats_buf_printf(b, "%llu", (unsigned long long)s->unix_ms);
		return;
	case COL_DT_MS:
		stats_buf_printf(b, "%u", (unsigned)s->dt_ms);
		return;
	case COL_REQ_S:
		stats_buf_printf(b, "%.1f",
		                 stats_ring_rate(s->requests, s->dt_ms));
		return;
	case COL_HIT_S:
		stats_buf_printf(b, "%.1f", stats_ring_rate(s->hits, s->dt_ms));
		return;
	case COL_MISS_S:
		stats_buf_printf(b, "%.1f",
		                 stats_ring_rate(s->misses, s->dt_ms));
		return;
	case COL_HIT_RATIO:
		hp = stats_ring_hit_permille(s);
		if (hp < 0)
			stats_buf_printf(b, "null");
		else
			stats_buf_printf(b, "%d.%03d", hp / 1000, hp % 1000);
		return;
	case COL_IN_S:
		stats_buf_printf(b, "%.1f",
		                 stats_ring_rate(s->bytes_in, s->dt_ms));
		return;
	case COL_OUT_S:
		stats_buf_printf(b, "%.1f",
		                 stats_ring_rate(s->bytes_out, s->dt_ms));
		return;
	case COL_ERR_S:
		stats_buf_printf(b, "%.1f",
		                 stats_ring_rate(s->errors, s->dt_ms));
		return;
	case COL_CONNS:
		stats_buf_printf(b, "%llu", (unsigned long long)s->conns_open);
		return;
	case COL_N:
		break;
	}
	GH_WRONG("no such column");
}

int
stats_ring_render_json(struct stats_buf *b, const struct stats_ring *r,
                       unsigned last)
{
	unsigned n = stats_ring_count(r), from, i, k, c, workers;

	if (last == 0 || last > n)
		last = n;
	from = n - last;
	workers = last > 0 ? stats_ring_at(r, n - 1)->n_workers : 0;
	stats_buf_printf(b,
	                 "\"interval_ms\":%u,\"capacity\":%u,\"samples\":%u,"
	                 "\"workers\":%u,\"resets\":%llu",
	                 STATS_RING_INTERVAL_MS, STATS_RING_LEN, last, workers,
	                 (unsigned long long)r->resets);
	for (c = 0; c < COL_N; c++) {
		stats_buf_printf(b, ",\"%s\":[", col_name[c]);
		for (i = from; i < n; i++) {
			if (i > from)
				stats_buf_printf(b, ",");
			col_render(b, stats_ring_at(r, i), (enum ring_col)c);
		}
		stats_buf_printf(b, "]");
	}
	stats_buf_printf(b, ",\"busy\":[");
	for (k = 0; k < workers; k++) {
		stats_buf_printf(b, "%s[", k > 0 ? "," : "");
		for (i = from; i < n; i++) {
			unsigned bp = stats_ring_at(r, i)->busy_permille[k];

			if (bp == STATS_RING_BUSY_NONE)
				stats_buf_printf(b, "%snull",
				                 i > from ? "," : "");
			else
				stats_buf_printf(b, "%s%u.%03u",
				                 i > from ? "," : "", bp / 1000,
				                 bp % 1000);
		}
		stats_buf_printf(b, "]");
	}
	stats_buf_printf(b, "]");
	return b->overflow ? -ENOSPC : 0;
}
