/*
 * Live reload (issue 13 items 2 and 4): the control thread reads the
 * configuration file again on `gatehousectl reload` or SIGHUP, keeps the
 * running settings that only a restart can change (conf_restart_diff),
 * and publishes the rest as a new live version (lib/proxy/proxy_live.h):
 * every forward listener's access rules, allow-src, header policy,
 * timeouts and cache policy, the cache budget, the access log's format.
 * A file with any error changes nothing.  Replaced versions are freed once
 * no transaction that started under them runs any more (reload_poll).
 *
 * Threading: the control thread only, but reload_counters (any thread).
 */
#ifndef GH_APP_RELOAD_H
#define GH_APP_RELOAD_H

#include <stddef.h>
#include <stdint.h>

#include "conf/conf_types.h"
#include "proxy/proxy_live.h"
#include "stats/stats_types.h"

#define RELOAD_MAGIC 0x726c6401u

/* clang-format off */
#define RELOAD_COUNTERS(X)                                                    \
	X(reloads_ok,      "configuration reloads applied (gatehousectl reload, SIGHUP)") \
	X(reloads_failed,  "configuration reloads refused (an error in the file, or too many older versions still held): nothing changed") \
	X(restart_needed,  "settings that reloads found changed but only a restart applies (each left as it was)") \
	X(version,         "gauge: the live configuration's version (1 at start, one more per applied reload)") \
	X(versions_held,   "gauge: replaced versions not freed yet: transactions that started under them still run")
/* clang-format on */

struct reload_totals {
	RELOAD_COUNTERS(STATS_FIELD)
};

struct app;

struct reload {
	unsigned magic;
	struct conf *boot; /* what the appliance started with (main's) */
	struct conf *cur;  /* the published version's */
	/* the slot the workers read (proxy_params.live) */
	struct proxy_live *live;
	struct proxy_live_retire retire;
	struct reload_totals cnt; /* relaxed atomic stores */
};

/* Publish version 1 for <boot> (the workers need it from their start).
 * Returns 0 or -ENOMEM. */
int reload_init(struct reload *r, struct conf *boot);

/*
 * Read the file the appliance started with again and apply it (see
 * above); the outcome goes into <out> (of <cap> bytes) and the log: either
 * "reloaded (version N)" and one "restart needed: WHAT" line per setting
 * left as it was, or one "error: FILE:LINE: message" line.  Returns the
 * length written, as snprintf.
 */
size_t reload_run(struct reload *r, const struct app *a, char *out, size_t cap);

/* Free the replaced versions no transaction holds any more, oldest first.
 * Called from the control loop at least every 100 ms. */
void reload_poll(struct reload *r);

/* After the workers are gone: free every version (but the boot snapshot,
 * which is main's to free). */
void reload_fini(struct reload *r);

/* The snapshot the live settings come from now (control thread only: it
 * may be freed by the next reload's retirement).  app->conf stays the boot
 * snapshot, whose listeners' rules are gone once version 1 is retired: a
 * control command that looks at access rules (acl test) reads them here. */
const struct conf *reload_current(const struct reload *r);

/* The counters, read field by field with relaxed loads (any thread). */
void reload_counters(const struct reload *r, struct reload_totals *out);

#endif /* GH_APP_RELOAD_H */
