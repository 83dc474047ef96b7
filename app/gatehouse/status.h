/*
 * The live views' history (issue 16 item 7): once a second the control
 * thread reads the key counters of every worker (requests, cache hits and
 * misses, the ports' bytes, error answers, open connections, each
 * worker's busy and idle cycles) into a lib/stats ring of the last
 * STATS_RING_LEN seconds, which `gatehousectl top` (control command
 * "status json") and the management endpoint's /status page and
 * /status.json show.  Control thread only; fixed memory.
 */
#ifndef GH_APP_STATUS_H
#define GH_APP_STATUS_H

#include <stdint.h>

#include "stats/stats_ring.h"
#include "stats/stats_types.h"

#define STATUS_MAGIC 0x73747601u

struct app;

struct status_view {
	unsigned magic;
	uint64_t next_ms; /* CLOCK_MONOTONIC: when the next reading is due */
	struct stats_ring ring;
};

/* Empty <v>; its first reading is taken by the first status_poll. */
void status_init(struct status_view *v);

/*
 * Take a reading of <a> into the ring when one is due (STATS_RING_
 * INTERVAL_MS after the last): called from the control loop, which turns
 * at least every 100 ms.  Returns 1 when a reading was taken, else 0.
 */
int status_poll(struct status_view *v, const struct app *a);

/*
 * The history as one JSON object: "version", "uptime_s", "now_ms" (unix
 * ms), then the ring's members (stats_ring_render_json) for the newest
 * <last> seconds (0: all).  Returns 0, or -ENOSPC when <b> was too small
 * (STATUS_JSON_MAX always suffices).
 */
int status_render_json(const struct status_view *v, const struct app *a,
                       unsigned last, struct stats_buf *b);

#define STATUS_JSON_MAX (STATS_RING_JSON_MAX + 256)

#endif /* GH_APP_STATUS_H */
