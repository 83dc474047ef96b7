/*
 * A per-second history of the appliance's key rates, for the live views
 * (gatehousectl top, the status page): the control thread reads a few
 * cumulative counters and gauges about once a second (struct
 * stats_ring_read) and stats_ring_add turns each reading into a sample of
 * what changed since the one before.  The ring holds the last
 * STATS_RING_LEN samples in fixed memory (no allocation, no growth): the
 * oldest is overwritten.  Control thread only; no locks.
 */
#ifndef GH_STATS_RING_H
#define GH_STATS_RING_H

#include <stdint.h>

#include "stats/stats_types.h"

#define STATS_RING_MAGIC       0x73726e67u
#define STATS_RING_LEN         300 /* samples: 5 minutes at one a second */
#define STATS_RING_WORKERS_MAX 16  /* = CONF_WORKERS_MAX (checked in app/) */
#define STATS_RING_INTERVAL_MS 1000
/* busy_permille of a worker without cycles counted in the interval */
#define STATS_RING_BUSY_NONE UINT16_MAX

/*
 * One reading: counters that only grow (but across a reset, see
 * stats_ring_add) and gauges, summed over the workers by the caller.
 */
struct stats_ring_read {
	uint64_t mono_ms;    /* when: a monotonic clock, for the interval */
	uint64_t unix_ms;    /* when: the wall clock, for the charts' axis */
	uint64_t requests;   /* counter: requests received */
	uint64_t hits;       /* counter: answered from the cache */
	uint64_t misses;     /* counter: cacheable, not from the cache */
	uint64_t bytes_in;   /* counter: bytes received */
	uint64_t bytes_out;  /* counter: bytes sent */
	uint64_t errors;     /* counter: error answers of our own */
	uint64_t conns_open; /* gauge: client connections open now */
	unsigned n_workers;  /* <= STATS_RING_WORKERS_MAX */
	uint64_t busy_tsc[STATS_RING_WORKERS_MAX]; /* counters, per worker */
	uint64_t idle_tsc[STATS_RING_WORKERS_MAX];
};

/* One second (dt_ms, about 1000): the counters' growth over it. */
struct stats_ring_sample {
	uint64_t unix_ms; /* the end of the interval */
	uint32_t dt_ms;   /* its length, > 0 */
	uint16_t n_workers;
	uint16_t pad;
	uint64_t requests;
	uint64_t hits;
	uint64_t misses;
	uint64_t bytes_in;
	uint64_t bytes_out;
	uint64_t errors;
	uint64_t conns_open; /* the gauge at the end */
	/* busy cycles per 1000 counted cycles, STATS_RING_BUSY_NONE when the
	 * worker counted none */
	uint16_t busy_permille[STATS_RING_WORKERS_MAX];
};

struct stats_ring {
	unsigned magic;
	unsigned head;  /* the slot the next sample goes into */
	unsigned count; /* samples held, <= STATS_RING_LEN */
	bool has_prev;
	uint64_t resets; /* readings in which a counter went back */
	struct stats_ring_read prev;
	struct stats_ring_sample s[STATS_RING_LEN];
};

/* Empty <r>: the next reading is a baseline. */
void stats_ring_init(struct stats_ring *r);

/*
 * Add reading <cur>.  The first one (and the first after a change in the
 * number of workers) is the baseline of the next: no sample.  Each next
 * one adds a sample of the growth since the previous reading.  A counter
 * lower than before was reset (its owner started again): its growth is
 * its new value, as Prometheus's rate() takes it, and r->resets counts
 * the reading.  Returns 1 when a sample was added, 0 for a baseline,
 * -EINVAL for a reading not later than the previous one (ignored).
 */
int stats_ring_add(struct stats_ring *r, const struct stats_ring_read *cur);

/* The samples held, <= STATS_RING_LEN. */
unsigned stats_ring_count(const struct stats_ring *r);

/* Sample <i>, 0 the oldest held, count - 1 the newest. */
const struct stats_ring_sample *stats_ring_at(const struct stats_ring *r,
                                              unsigned i);

/* The per-second rate of <delta> over <dt_ms> (> 0). */
static inline double
stats_ring_rate(uint64_t delta, uint32_t dt_ms)
{
	return (double)delta * 1000.0 / (double)dt_ms;
}

/* The hit ratio of <s> in permille, -1 when it had no cacheable request. */
int stats_ring_hit_permille(const struct stats_ring_sample *s);

/*
 * The bytes stats_ring_render_json writes at most: a fixed part and, per
 * sample, 10 columns of at most 26 characters each ("," and a rate of a
 * 64-bit delta with one decimal) and one per worker of at most 6.
 */
#define STATS_RING_JSON_MAX \
	(512 + STATS_RING_LEN * (10 * 26 + STATS_RING_WORKERS_MAX * 6))

/*
 * JSON members (no surrounding braces, as stats_render_json) describing
 * the newest <last> samples (all when 0 or more than held), oldest first,
 * one array per column: "interval_ms", "capacity", "samples", "workers",
 * "resets", then "t_ms" (unix ms), "dt_ms", "req_s", "hit_s", "miss_s",
 * "hit_ratio" (0..1, null without cacheable requests), "in_bytes_s",
 * "out_bytes_s", "err_s", "conns", and "busy": one array per worker of
 * busy shares 0..1 (null when it counted no cycle).  Rates have one
 * decimal.  Returns 0, or -ENOSPC when <b> was too small.
 */
int stats_ring_render_json(struct stats_buf *b, const struct stats_ring *r,
                           unsigned last);

#endif /* GH_STATS_RING_H */
