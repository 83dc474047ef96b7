/*
 * Counter declarations shared by every module.
 *
 * A module declares its counters once, as an X-macro list of
 * X(name, "help text"), and expands it twice: into a struct of uint64_t
 * fields (one copy per worker, written only by that worker) and into a
 * descriptor table.  lib/stats then sums and renders any such group as
 * text, JSON or telemetry without knowing the module (VPP tcp_error.def,
 * Varnish .vsc).
 *
 *	#define NET_COUNTERS(X) X(ip_bad_csum, "IPv4 header checksum wrong")
 *	struct net_counters { NET_COUNTERS(STATS_FIELD) };
 *	static const struct stats_counter_desc d[] = { NET_COUNTERS(STATS_DESC)
 *};
 */
#ifndef GH_STATS_TYPES_H
#define GH_STATS_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STATS_FIELD(name, help) uint64_t name;
#define STATS_DESC(name, help)  {#name, help},

/* Name and one-line description of one counter. */
struct stats_counter_desc {
	const char *name;
	const char *help;
};

/*
 * A named group of counters: `n` uint64_t values laid out like the
 * descriptors.  The group name prefixes counter names in every rendering
 * ("net.ip_bad_csum").
 */
struct stats_group_desc {
	const char *name;
	const struct stats_counter_desc *counters;
	unsigned n;
};

/*
 * Bounded output buffer for renderers.  Renderers never write past `cap`;
 * on overflow they set `overflow` and the content is truncated.
 */
struct stats_buf {
	char *p;
	size_t len;
	size_t cap;
	bool overflow;
};

#endif /* GH_STATS_TYPES_H */
