/*
 * The reverse proxy's pools as operators see them (issue 14 items 3 and
 * 6), on the control thread: each server's state (up, down by its active
 * checks, ejected for failures, draining by the operator's word) watched
 * every control loop, a change logged with its reason and counted;
 * `gatehousectl pool show` and `server disable|enable POOL SERVER`.
 *
 * Threading: pools_watch_poll and the commands run on the control
 * thread; pools_totals may run on any (relaxed loads).
 */
#ifndef GH_APP_POOLS_H
#define GH_APP_POOLS_H

#include <stddef.h>
#include <stdint.h>

#include "conf/conf_types.h"
#include "stats/stats_types.h"

/* clang-format off */
#define POOLS_COUNTERS(X)                                                     \
	X(servers_up,       "gauge: pool servers taking requests")         \
	X(servers_down,     "gauge: pool servers their active checks marked down") \
	X(servers_ejected,  "gauge: pool servers ejected for failures (passive health) until their back-off ends") \
	X(servers_draining, "gauge: pool servers disabled by the operator (gatehousectl server disable)") \
	X(state_changes,    "pool server state changes (each one also logged)")
/* clang-format on */

struct pools_totals {
	POOLS_COUNTERS(STATS_FIELD)
};

struct app;

/* What the watch saw last, per pool and server (enum lb_state). */
struct pools_watch {
	uint8_t last[CONF_POOLS_MAX][CONF_POOL_SERVERS_MAX];
	uint64_t state_changes;
	bool started;
};

/* Look at every server's state; log and count each change. */
void pools_watch_poll(struct pools_watch *pw, const struct app *a);

/* The pools group's values now (any thread). */
void pools_totals(const struct pools_watch *pw, const struct app *a,
                  struct pools_totals *out);

/* `pool show`: every pool, its servers and their states. */
size_t pools_show(const struct app *a, char *out, size_t cap);

/* `server disable|enable POOL SERVER` (<args> after "server "). */
size_t pools_server_cmd(const struct app *a, const char *args, char *out,
                        size_t cap);

#endif /* GH_APP_POOLS_H */
