/*
 * Live reload, the control thread's side (see reload.h).
 *
 * A reload: conf_load() builds the new snapshot completely (any error: the
 * reply is its "FILE:LINE: message" and nothing changes);
 * conf_restart_diff() sets what only a restart changes back to the
 * running values and names each; the cache budget and the largest object
 * are checked against what the cache was created with; then a version is
 * built over the snapshot's forward listeners and published with one
 * pointer swap (proxy_live_replace: the grace period that follows is
 * short, the workers announce a quiescent state every loop and are offline
 * when they sleep).  The replaced version is freed by reload_poll once no
 * transaction that started under it runs any more; with it goes its
 * snapshot (conf_free: its acl sets and whatever else it owns), but the
 * boot snapshot, of which only what a reload replaces is freed
 * (conf_live_free): the rest describes what runs and main frees it at exit.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <urcu-qsbr.h>

#include "cache/cache_index.h"
#include "common/gh_common.h"
#include "conf/conf.h"
#include "stats/stats.h"
#include "gatehouse.h"
#include "logger.h"
#include "reload.h"

#define RELOAD_NOTES_MAX 8192 /* bytes of "restart needed" lines */

static void
cnt_set(uint64_t *c, uint64_t v)
{
	__atomic_store_n(c, v, __ATOMIC_RELAXED);
}

static void
cnt_add(uint64_t *c, uint64_t n)
{
	cnt_set(c, __atomic_load_n(c, __ATOMIC_RELAXED) + n);
}

/* A version over snapshot <c>'s forward listeners, in their order (the
 * order the workers opened them in). */
static struct proxy_live *
version_build(uint64_t n, struct conf *c)
{
	struct proxy_live *v = proxy_live_new(n, c);
	unsigned i;

	if (v == NULL)
		return NULL;
	for (i = 0; i < c->n_listeners; i++)
		if (conf_listen_is_proxy(c->listeners[i].mode))
			v->fwd[v->n_fwd++] = &c->listeners[i].fwd;
	return v;
}

/* proxy_live_retire_poll's: nobody reads <v> any more. */
static void
version_free(struct proxy_live *v, void *arg)
{
	struct reload *r = arg;
	struct conf *c = v->owner;
	unsigned i;

	/* the rules a newer snapshot took over are its own now */
	for (i = 0; i < c->n_listeners; i++)
		if (v->owner_bits & (1u << i))
			conf_forward_rules_disown(&c->listeners[i].fwd);
	if (c == r->boot)
		conf_live_free(c);
	else
		conf_free(c);
	proxy_live_free(v);
}

int
reload_init(struct reload *r, struct conf *boot)
{
	struct proxy_live *v;

	memset(r, 0, sizeof(*r));
	v = version_build(1, boot);
	if (v == NULL)
		return -ENOMEM;
	r->magic = RELOAD_MAGIC;
	r->boot = boot;
	r->cur = boot;
	GH_VERIFY(proxy_live_replace(&r->live, v, &r->retire) == 0);
	cnt_set(&r->cnt.version, 1);
	return 0;
}

void
reload_poll(struct reload *r)
{
	GH_CHECK_OBJ_NOTNULL(r, RELOAD_MAGIC);
	cnt_set(&r->cnt.versions_held,
	        proxy_live_retire_poll(&r->retire, false, version_free, r));
}

void
reload_fini(struct reload *r)
{
	struct proxy_live *v;

	if (r == NULL || r->magic != RELOAD_MAGIC)
		return;
	(void)proxy_live_retire_poll(&r->retire, true, version_free, r);
	v = r->live;
	r->live = NULL;
	if (v != NULL) {
		if (r->cur != r->boot)
			conf_free(r->cur);
		proxy_live_free(v);
	}
	r->cur = NULL;
	r->magic = 0;
}

struct notes {
	struct stats_buf b;
	char mem[RELOAD_NOTES_MAX];
	unsigned n;
};

static void
note_add(void *arg, const char *line)
{
	struct notes *nt = arg;

	stats_buf_printf(&nt->b, "restart needed: %s\n", line);
	nt->n++;
}

/*
 * The cache's side of <next> (the shared index exists when a listener had
 * cache on at start): its budget is the largest cache-mb of the listeners
 * with cache on, at most the one it was created with; a listener's
 * cache-max-object-kb above the index's object limit is set back.
 * Returns the budget to apply (0: no cache).
 */
static uint64_t
cache_check(const struct app *a, const struct conf *run, struct conf *next,
            struct notes *nt)
{
	struct cache_index_stats st;
	uint64_t budget = 0;
	unsigned i;

	if (a->cache == NULL)
		return 0;
	for (i = 0; i < next->n_listeners; i++) {
		struct conf_forward *f = &next->listeners[i].fwd;

		if (next->listeners[i].mode != CONF_LISTEN_FORWARD || !f->cache)
			continue;
		if (((uint64_t)f->cache_max_object_kb << 10) >
		    a->cache->max_obj_created_bytes) {
			char line[128];

			snprintf(line, sizeof(line),
			         "listen %s: cache-max-object-kb %u above the "
			         "cache's object limit set at start",
			         next->listeners[i].name,
			         f->cache_max_object_kb);
			note_add(nt, line);
			f->cache_max_object_kb =
			    run->listeners[i].fwd.cache_max_object_kb;
		}
		budget = RTE_MAX(budget, (uint64_t)f->cache_mb << 20);
	}
	if (budget > a->cache->budget_created_bytes) {
		char line[128];

		snprintf(line, sizeof(line),
		         "cache-mb %" PRIu64 " above the %" PRIu64
		         " MiB the cache was created with",
		         budget >> 20, a->cache->budget_created_bytes >> 20);
		note_add(nt, line);
		cache_index_stats_get(a->cache, &st);
		budget = st.budget_bytes; /* left as it is */
	}
	return budget;
}

/* The live settings outside the version: the cache budget, the log's
 * format. */
static void
apply_side(const struct app *a, const struct conf *next, uint64_t budget)
{
	int rc;

	if (a->cache != NULL && budget != 0) {
		/* eviction defers frees by call_rcu: online around it */
		rcu_thread_online();
		rc = cache_index_budget_set(a->cache, budget);
		rcu_thread_offline();
		GH_VERIFY(rc == 0);
	}
	if (a->logger != NULL)
		logger_format_set(a->logger,
		                  (enum alog_fmt)next->access_log.format);
}

/* The outcome in the log: one line each, prefixed. */
static void
log_notes(const char *path, uint64_t n, const char *notes)
{
	const char *eol;

	fprintf(stderr, "gatehouse: reloaded %s (version %" PRIu64 ")\n", path,
	        n);
	for (; *notes != '\0'; notes = eol + 1) {
		eol = strchr(notes, '\n');
		if (eol == NULL)
			break;
		fprintf(stderr, "gatehouse: reload: %.*s\n", (int)(eol - notes),
		        notes);
	}
}

static size_t
refuse(struct reload *r, char *out, size_t cap, const char *why)
{
	cnt_add(&r->cnt.reloads_failed, 1);
	fprintf(stderr, "gatehouse: reload refused, nothing changed: %s\n",
	        why);
	return (size_t)snprintf(out, cap, "error: %s\n", why);
}

size_t
reload_run(struct reload *r, const struct app *a, char *out, size_t cap)
{
	static struct notes nt;
	char err[CONF_ERR_MAX];
	struct proxy_live *v;
	struct conf *next;
	uint64_t budget, n;
	uint32_t carried = 0;

	GH_CHECK_OBJ_NOTNULL(r, RELOAD_MAGIC);
	reload_poll(r);
	if (r->retire.n == PROXY_LIVE_RETIRE_MAX) {
		snprintf(err, sizeof(err),
		         "%u older versions are still held by running "
		         "transactions: try again later",
		         r->retire.n);
		return refuse(r, out, cap, err);
	}
	next = conf_load(r->boot->path, err, sizeof(err));
	if (next == NULL)
		return refuse(r, out, cap, err);
	memset(&nt, 0, sizeof(nt));
	stats_buf_init(&nt.b, nt.mem, sizeof(nt.mem));
	(void)conf_restart_diff(r->cur, next, note_add, &nt, &carried);
	budget = cache_check(a, r->cur, next, &nt);
	n = r->live->version + 1;
	v = version_build(n, next);
	if (v == NULL) {
		conf_free(next);
		return refuse(r, out, cap, "out of memory");
	}
	r->live->owner_bits = carried; /* for version_free */
	GH_VERIFY(proxy_live_replace(&r->live, v, &r->retire) == 0);
	r->cur = next;
	apply_side(a, next, budget);
	cnt_add(&r->cnt.reloads_ok, 1);
	cnt_add(&r->cnt.restart_needed, nt.n);
	cnt_set(&r->cnt.version, n);
	cnt_set(&r->cnt.versions_held, r->retire.n);
	log_notes(next->path, n, nt.mem);
	return (size_t)snprintf(out, cap, "reloaded (version %" PRIu64 ")\n%s",
	                        n, nt.mem);
}

void
reload_counters(const struct reload *r, struct reload_totals *out)
{
	const uint64_t *src = (const uint64_t *)&r->cnt;
	uint64_t *dst = (uint64_t *)out;
	size_t i;

	for (i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

const struct conf *
reload_current(const struct reload *r)
{
	GH_CHECK_OBJ_NOTNULL(r, RELOAD_MAGIC);
	return r->cur;
}
