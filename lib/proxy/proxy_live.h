/*
 * The live version: what a reload changes while the appliance runs (issue
 * 13 items 2 and 4), published by the control thread with one pointer
 * swap (liburcu QSBR) and read by the workers without a lock.
 *
 * A version holds, for each forward listener in the order the workers
 * opened them (the i-th `mode forward` listener of the file the appliance
 * started with), the settings its requests are judged by: a const struct
 * conf_forward with its compiled access rules.  Whatever the settings
 * point to (acl sets, and more to come) belongs to the version's owner, a
 * configuration snapshot the control thread frees once the version is
 * retired.
 *
 * One request, one version: a worker takes the version at the start of a
 * transaction (proxy_live_take, inside its QSBR read side) and keeps it
 * until the transaction ends, across any number of loops.  Its hold is
 * counted in the version, in a cache line of the worker's own that only it
 * writes, with plain loads and stores (no lock prefix).  The control thread
 * retires a replaced version in three steps: synchronize_rcu() (after
 * which no worker can newly take it: a worker that took it did so before
 * its next quiescent state, whose barrier published the hold); then it
 * polls, from its loop, until every worker's hold count is zero; then one
 * more synchronize_rcu() (a worker may use a settings pointer it read
 * before its last put until that loop ends), and it frees it.
 * Versions are freed in the order they were replaced, so a newer one never
 * goes while an older one, which may share settings it carried over, is
 * still held.
 *
 * Threading: proxy_live_take/hold/put on workers (each with its own
 * index); everything else on the control thread.
 */
#ifndef GH_PROXY_LIVE_H
#define GH_PROXY_LIVE_H

#include <stdbool.h>
#include <stdint.h>

#include <urcu-qsbr.h>

#include "common/gh_common.h"
#include "conf/conf_types.h"

#define PROXY_LIVE_MAGIC      0x6c697601u
#define PROXY_LIVE_FWD_MAX    CONF_LISTENERS_MAX
#define PROXY_LIVE_WORKERS    CONF_WORKERS_MAX
#define PROXY_LIVE_RETIRE_MAX 64 /* replaced versions waiting to be freed */
#define PROXY_LIVE_LINE       64 /* bytes: one hold counter each */

/* A worker's holds of one version: written by that worker only. */
struct proxy_live_hold {
	_Alignas(PROXY_LIVE_LINE) uint64_t n;
};

struct proxy_live {
	unsigned magic;
	uint64_t version; /* 1 at start, one more per reload */
	unsigned n_fwd;
	const struct conf_forward *fwd[PROXY_LIVE_FWD_MAX];
	/* the control thread's: what the settings belong to and how to free
	 * it (proxy_live_retire_poll's <free_fn> receives the version) */
	void *owner;
	uint32_t owner_bits;
	struct proxy_live_hold hold[PROXY_LIVE_WORKERS];
};

/* Replaced versions, oldest first, waiting for their holds to end. */
struct proxy_live_retire {
	unsigned n;
	struct proxy_live *q[PROXY_LIVE_RETIRE_MAX];
};

/* A zeroed version numbered <version> for <owner>; NULL (errno ENOMEM). */
struct proxy_live *proxy_live_new(uint64_t version, void *owner);

/* Free <v> (not what it points to).  NULL is fine. */
void proxy_live_free(struct proxy_live *v);

/* Another hold of <v> by worker <w>, which holds or just took it. */
static inline void
proxy_live_hold(struct proxy_live *v, unsigned w)
{
	uint64_t *n = &v->hold[w].n;

	GH_ASSERT(w < PROXY_LIVE_WORKERS);
	/* only this worker writes it: a load and a store, no lock prefix */
	__atomic_store_n(n, __atomic_load_n(n, __ATOMIC_RELAXED) + 1,
	                 __ATOMIC_RELAXED);
}

/*
 * Worker <w>, inside its QSBR read side: the version published in <slot>
 * now, with a hold taken (give it back with proxy_live_put), or NULL when
 * none is published.
 */
static inline struct proxy_live *
proxy_live_take(struct proxy_live *const *slot, unsigned w)
{
	struct proxy_live *v = rcu_dereference(*(struct proxy_live **)slot);

	if (v != NULL)
		proxy_live_hold(v, w);
	return v;
}

/* Worker <w> gives back one hold of <v>: its reads of the settings are
 * done before the control thread can see the count drop (release). */
static inline void
proxy_live_put(struct proxy_live *v, unsigned w)
{
	uint64_t *n = &v->hold[w].n;
	uint64_t cur = __atomic_load_n(n, __ATOMIC_RELAXED);

	GH_VERIFY(cur > 0);
	__atomic_store_n(n, cur - 1, __ATOMIC_RELEASE);
}

/* Control thread: the holds of <v> summed over every worker. */
uint64_t proxy_live_held(const struct proxy_live *v);

/*
 * Control thread, registered with QSBR and offline or not registered:
 * publish <v> in <slot> in place of the version there, wait for a grace
 * period, and queue the replaced one on <r> for proxy_live_retire_poll.
 * Returns 0, or -EBUSY when <r> is full (nothing published: older versions
 * are still held by long transactions).
 */
int proxy_live_replace(struct proxy_live **slot, struct proxy_live *v,
                       struct proxy_live_retire *r);

/*
 * Control thread, offline or not registered: free, oldest first, the
 * replaced versions no worker holds any more, after a grace period, each
 * through <free_fn>(v, arg) (which frees what <v>'s owner holds, then <v>
 * with proxy_live_free), stopping at the first one still held.  With
 * <force> (the workers are gone) every one is freed at once.
 * Returns how many remain queued.
 */
unsigned proxy_live_retire_poll(struct proxy_live_retire *r, bool force,
                                void (*free_fn)(struct proxy_live *v,
                                                void *arg),
                                void *arg);

#endif /* GH_PROXY_LIVE_H */
