/*
 * What a reload may change (issue 13 item 4): the comparison of the
 * running snapshot with a newly loaded one.  Settings that only a restart
 * can change (what the workers, ports, stacks, resolver, access-log rings
 * and control socket were built from at start) are reported one line each
 * and set back in the new snapshot to the running values, so that the new
 * snapshot describes exactly what runs: its live settings (a forward
 * listener's access rules, allow-src, header policy, timeouts, body limit,
 * cache policy and cache-mb, the access log's format) take effect, the
 * others stay as they were.  A field added to struct conf is live unless
 * it is compared here.
 *
 * Listeners are matched by name.  The new snapshot's list becomes the
 * running one, in the running order (the workers' listener i is the new
 * snapshot's listener i): a running listener missing from the file, or
 * one that is no longer a forward listener, keeps its running entry,
 * whose access rules the new snapshot then shares with the running one
 * (see <carried>); a listener in the file that is not running is reported
 * and dropped, its rules freed.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "acl/acl.h"
#include "auth/auth.h"
#include "common/gh_common.h"
#include "conf/conf.h"
#include "conf/conf_parse.h"

struct diff {
	void (*note)(void *arg, const char *line);
	void *arg;
	int n;
};

__attribute__((format(printf, 2, 3))) static void
note(struct diff *d, const char *fmt, ...)
{
	char line[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	d->n++;
	if (d->note != NULL)
		d->note(d->arg, line);
}

/* A number: reported by its directive's name, set back. */
#define DIFF_NUM(d, run, next, field, name)                           \
	do {                                                          \
		if ((next)->field != (run)->field) {                  \
			note(d, "%s (file %llu, running %llu)", name, \
			     (unsigned long long)(next)->field,       \
			     (unsigned long long)(run)->field);       \
			(next)->field = (run)->field;                 \
		}                                                     \
	} while (0)

static void
diff_global(struct diff *d, const struct conf *run, struct conf *next)
{
	DIFF_NUM(d, run, next, workers, "workers");
	if (next->control_cpu != run->control_cpu) {
		note(d, "control-cpu");
		next->control_cpu = run->control_cpu;
	}
	if (next->n_worker_cpus != run->n_worker_cpus ||
	    memcmp(next->worker_cpus, run->worker_cpus,
	           sizeof(run->worker_cpus)) != 0) {
		note(d, "cpus");
		next->n_worker_cpus = run->n_worker_cpus;
		memcpy(next->worker_cpus, run->worker_cpus,
		       sizeof(run->worker_cpus));
	}
	DIFF_NUM(d, run, next, busy_poll, "busy-poll");
	DIFF_NUM(d, run, next, idle_spin_polls, "idle-spin-polls");
	DIFF_NUM(d, run, next, idle_sleep_max_us, "idle-sleep-max-us");
	if (strcmp(next->control_socket, run->control_socket) != 0) {
		note(d, "control-socket");
		memcpy(next->control_socket, run->control_socket,
		       sizeof(run->control_socket));
	}
	if (strcmp(next->file_prefix, run->file_prefix) != 0) {
		note(d, "file-prefix");
		memcpy(next->file_prefix, run->file_prefix,
		       sizeof(run->file_prefix));
	}
	DIFF_NUM(d, run, next, hugepages, "hugepages");
	DIFF_NUM(d, run, next, memory_mb, "memory-mb");
	DIFF_NUM(d, run, next, mbufs_per_port, "mbufs-per-port");
	if (next->n_eal_args != run->n_eal_args ||
	    memcmp(next->eal_args, run->eal_args, sizeof(run->eal_args)) != 0) {
		note(d, "eal-arg");
		next->n_eal_args = run->n_eal_args;
		memcpy(next->eal_args, run->eal_args, sizeof(run->eal_args));
	}
	DIFF_NUM(d, run, next, arp_entry_ttl_s, "arp-ttl-s");
	DIFF_NUM(d, run, next, arp_pending_max, "arp-pending-max");
	DIFF_NUM(d, run, next, arp_pending_timeout_ms,
	         "arp-pending-timeout-ms");
	DIFF_NUM(d, run, next, garp_count, "garp-count");
}

static bool
port_same(const struct conf_port *a, const struct conf_port *b)
{
	return strcmp(a->name, b->name) == 0 && a->role == b->role &&
	       strcmp(a->device, b->device) == 0 && a->is_pci == b->is_pci &&
	       a->addr_be == b->addr_be && a->prefix_len == b->prefix_len &&
	       a->gateway_be == b->gateway_be && a->mtu == b->mtu &&
	       a->rx_desc == b->rx_desc && a->tx_desc == b->tx_desc;
}

/* The sections built into the workers at start: ports, tcp, resolver and
 * the access log's file and rings (its format is live). */
static void
diff_sections(struct diff *d, const struct conf *run, struct conf *next)
{
	struct conf_tcp tcp = next->tcp;
	struct conf_resolver res = next->resolver;
	unsigned i;

	for (i = 0; i < run->n_ports || i < next->n_ports; i++) {
		if (i >= run->n_ports)
			note(d, "port %s (not running)", next->ports[i].name);
		else if (i >= next->n_ports)
			note(d, "port %s (not in the file)",
			     run->ports[i].name);
		else if (!port_same(&run->ports[i], &next->ports[i]))
			note(d, "port %s", run->ports[i].name);
	}
	next->n_ports = run->n_ports;
	memcpy(next->ports, run->ports, sizeof(run->ports));
	tcp.line = run->tcp.line;
	if (memcmp(&tcp, &run->tcp, sizeof(tcp)) != 0)
		note(d, "tcp section");
	next->tcp = run->tcp;
	res.line = run->resolver.line;
	if (memcmp(&res, &run->resolver, sizeof(res)) != 0)
		note(d, "resolver section");
	next->resolver = run->resolver;
	if (strcmp(next->access_log.path, run->access_log.path) != 0) {
		note(d, "access-log path%s",
		     run->access_log.path[0] == '\0'
		         ? " (no access log running)"
		         : "");
		memcpy(next->access_log.path, run->access_log.path,
		       sizeof(run->access_log.path));
	}
	if (run->access_log.path[0] == '\0') {
		next->access_log = run->access_log;
		return;
	}
	DIFF_NUM(d, &run->access_log, &next->access_log, ring_slots,
	         "access-log ring-slots");
}

/* Where listener <l> is and what it does: only a restart changes it. */
static bool
listen_same_shape(const struct conf_listen *a, const struct conf_listen *b)
{
	return a->mode == b->mode && a->bind_ip_be == b->bind_ip_be &&
	       a->bind_port_be == b->bind_port_be &&
	       a->bind_port_idx == b->bind_port_idx &&
	       a->upstream_ip_be == b->upstream_ip_be &&
	       a->upstream_port_be == b->upstream_port_be &&
	       a->upstream_port_idx == b->upstream_port_idx && a->cc == b->cc;
}

/* A forward listener's settings the workers sized or opened things for. */
static void
diff_forward(struct diff *d, const char *name, const struct conf_forward *run,
             struct conf_forward *next)
{
	char what[96];

#define DIFF_FWD(field, dname)                                              \
	do {                                                                \
		snprintf(what, sizeof(what), "listen %s: %s", name, dname); \
		DIFF_NUM(d, run, next, field, what);                        \
	} while (0)
	DIFF_FWD(upstream_idle_ms, "upstream-idle-ms");
	DIFF_FWD(upstream_idle_max, "upstream-idle-max");
	DIFF_FWD(max_request_line, "max-request-line");
	DIFF_FWD(max_headers, "max-headers");
	DIFF_FWD(max_header_bytes, "max-header-bytes");
	DIFF_FWD(cache, "cache");
	DIFF_FWD(reverse, "mode reverse");
#undef DIFF_FWD
}

static int
find_listener(const struct conf *c, const char *name)
{
	unsigned i;

	for (i = 0; i < c->n_listeners; i++)
		if (strcmp(c->listeners[i].name, name) == 0)
			return (int)i;
	return -1;
}

static void
diff_listeners(struct diff *d, const struct conf *run, struct conf *next,
               uint32_t *carried)
{
	struct conf_listen out[CONF_LISTENERS_MAX];
	bool used[CONF_LISTENERS_MAX] = {false};
	unsigned i;
	int j;

	GH_VERIFY(run->n_listeners <= CONF_LISTENERS_MAX &&
	          next->n_listeners <= CONF_LISTENERS_MAX);
	memset(out, 0, sizeof(out));
	for (i = 0; i < run->n_listeners; i++) {
		const struct conf_listen *r = &run->listeners[i];
		struct conf_listen *n;

		j = find_listener(next, r->name);
		if (j < 0) {
			note(d,
			     "listen %s (not in the file: it keeps its "
			     "settings)",
			     r->name);
			out[i] = *r;
			if (r->fwd.acl != NULL)
				*carried |= 1u << i;
			if (out[i].fwd.auth != NULL) /* its own reference */
				auth_users_get(out[i].fwd.auth);
			continue;
		}
		used[j] = true;
		n = &next->listeners[j];
		if (!listen_same_shape(r, n))
			note(d,
			     "listen %s: mode, bind, upstream or "
			     "congestion-control",
			     r->name);
		if (r->mode != CONF_LISTEN_FORWARD ||
		    n->mode != CONF_LISTEN_FORWARD) {
			/* nothing of it is live: the running entry */
			out[i] = *r;
			if (r->fwd.acl != NULL)
				*carried |= 1u << i;
			if (out[i].fwd.auth != NULL) /* its own reference */
				auth_users_get(out[i].fwd.auth);
			continue;
		}
		diff_forward(d, r->name, &r->fwd, &n->fwd);
		out[i] = *n; /* its rules and users move to out[] (next owns
		                them) */
		conf_forward_rules_disown(&n->fwd);
		n->fwd.auth = NULL;
		out[i].mode = r->mode;
		out[i].bind_ip_be = r->bind_ip_be;
		out[i].bind_port_be = r->bind_port_be;
		out[i].bind_port_idx = r->bind_port_idx;
		out[i].upstream_ip_be = r->upstream_ip_be;
		out[i].upstream_port_be = r->upstream_port_be;
		out[i].upstream_port_idx = r->upstream_port_idx;
		out[i].cc = r->cc;
		/* pools and routes are restart-only: the running ones */
		out[i].fwd.routes = r->fwd.routes;
		out[i].fwd.rev = r->fwd.rev;
	}
	for (j = 0; j < (int)next->n_listeners; j++) {
		/* users nobody will check against */
		auth_users_put(next->listeners[j].fwd.auth);
		next->listeners[j].fwd.auth = NULL;
		if (used[j] && next->listeners[j].fwd.acl == NULL)
			continue;
		if (!used[j])
			note(d, "listen %s (not running)",
			     next->listeners[j].name);
		/* rules nobody will judge by */
		conf_forward_rules_free(&next->listeners[j].fwd);
	}
	memcpy(next->listeners, out, sizeof(out));
	next->n_listeners = run->n_listeners;
}

static bool
pool_same(const struct conf_pool *a, const struct conf_pool *b)
{
	unsigned i;

	if (strcmp(a->name, b->name) != 0 || a->n_servers != b->n_servers ||
	    a->balance != b->balance ||
	    a->queue_timeout_ms != b->queue_timeout_ms ||
	    a->queue_max != b->queue_max || a->eject_fails != b->eject_fails ||
	    a->eject_5xx != b->eject_5xx ||
	    a->eject_base_ms != b->eject_base_ms ||
	    a->eject_max_ms != b->eject_max_ms || a->check != b->check ||
	    strcmp(a->check_path, b->check_path) != 0 ||
	    a->check_status != b->check_status ||
	    a->check_interval_ms != b->check_interval_ms ||
	    a->check_timeout_ms != b->check_timeout_ms || a->rise != b->rise ||
	    a->fall != b->fall)
		return false;
	for (i = 0; i < a->n_servers; i++) {
		const struct conf_server *x = &a->servers[i];
		const struct conf_server *y = &b->servers[i];

		if (strcmp(x->name, y->name) != 0 || x->ip_be != y->ip_be ||
		    x->port_be != y->port_be || x->weight != y->weight ||
		    x->max_conns != y->max_conns)
			return false;
	}
	return true;
}

static bool
routes_same(const struct conf_routes *a, const struct conf_routes *b)
{
	unsigned i;

	if (a == NULL || b == NULL)
		return a == b;
	if (a->n != b->n || a->default_pool != b->default_pool)
		return false;
	for (i = 0; i < a->n; i++)
		if (a->r[i].kind != b->r[i].kind ||
		    a->r[i].pool != b->r[i].pool ||
		    strcmp(a->r[i].host, b->r[i].host) != 0 ||
		    strcmp(a->r[i].path, b->r[i].path) != 0)
			return false;
	return true;
}

/*
 * Pools and routes (issue 14): restart-only.  The workers' per-pool state
 * was made for the running pools; <next> takes a reference to the running
 * struct conf_rev and drops its own, whatever the file says (reported
 * when it differs).  <next>'s listeners already point at the running
 * routes (diff_listeners).
 */
static void
diff_rev(struct diff *d, const struct conf *run, struct conf *next,
         const struct conf_routes *const *file_routes)
{
	const struct conf_rev *a = run->rev, *b = next->rev;
	bool same = (a == NULL) == (b == NULL);
	unsigned i;

	if (a != NULL && b != NULL) {
		same = a->n_pools == b->n_pools;
		for (i = 0; same && i < a->n_pools; i++)
			same = pool_same(&a->pools[i], &b->pools[i]);
	}
	if (!same)
		note(d, "pools (they and the routes keep running as they are)");
	for (i = 0; i < run->n_listeners; i++) {
		if (routes_same(run->listeners[i].fwd.routes, file_routes[i]))
			continue;
		note(d, "listen %s: routes (restart-only)",
		     run->listeners[i].name);
	}
	conf_rev_put(next->rev);
	next->rev = run->rev;
	if (next->rev != NULL)
		next->rev->refs++;
}

int
conf_restart_diff(const struct conf *run, struct conf *next,
                  void (*note_fn)(void *arg, const char *line), void *arg,
                  uint32_t *carried)
{
	struct diff d = {.note = note_fn, .arg = arg, .n = 0};
	const struct conf_routes *file_routes[CONF_LISTENERS_MAX] = {NULL};
	unsigned i;

	GH_CHECK_OBJ_NOTNULL(run, CONF_MAGIC);
	GH_CHECK_OBJ_NOTNULL(next, CONF_MAGIC);
	GH_VERIFY(run != next && carried != NULL);
	*carried = 0;
	diff_global(&d, run, next);
	diff_sections(&d, run, next);
	/* the file's routes of each running listener, before diff_listeners
	 * points them at the running ones */
	for (i = 0; i < run->n_listeners; i++) {
		int j = find_listener(next, run->listeners[i].name);

		file_routes[i] = j >= 0 ? next->listeners[j].fwd.routes : NULL;
	}
	diff_listeners(&d, run, next, carried);
	diff_rev(&d, run, next, file_routes);
	return d.n;
}

void
conf_live_free(struct conf *c)
{
	if (c == NULL)
		return;
	GH_CHECK_OBJ(c, CONF_MAGIC);
	conf_acl_sets_free(c);
	conf_auth_free(c);
}
