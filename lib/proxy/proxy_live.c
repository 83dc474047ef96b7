/*
 * The live version's control side (see proxy_live.h): creation, the
 * grace period after a swap, and retirement in order once no worker holds
 * a replaced version any more.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/proxy_live.h"

struct proxy_live *
proxy_live_new(uint64_t version, void *owner)
{
	struct proxy_live *v;

	v = aligned_alloc(PROXY_LIVE_LINE, (sizeof(*v) + PROXY_LIVE_LINE - 1) &
	                                       ~(size_t)(PROXY_LIVE_LINE - 1));
	if (v == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	memset(v, 0, sizeof(*v));
	v->magic = PROXY_LIVE_MAGIC;
	v->version = version;
	v->owner = owner;
	return v;
}

void
proxy_live_free(struct proxy_live *v)
{
	if (v == NULL)
		return;
	GH_CHECK_OBJ(v, PROXY_LIVE_MAGIC);
	v->magic = 0;
	free(v);
}

uint64_t
proxy_live_held(const struct proxy_live *v)
{
	uint64_t sum = 0;
	unsigned i;

	GH_CHECK_OBJ_NOTNULL(v, PROXY_LIVE_MAGIC);
	for (i = 0; i < PROXY_LIVE_WORKERS; i++)
		sum += __atomic_load_n(&v->hold[i].n, __ATOMIC_ACQUIRE);
	return sum;
}

int
proxy_live_replace(struct proxy_live **slot, struct proxy_live *v,
                   struct proxy_live_retire *r)
{
	struct proxy_live *old = *slot;

	GH_CHECK_OBJ_NOTNULL(v, PROXY_LIVE_MAGIC);
	GH_VERIFY(r->n <= PROXY_LIVE_RETIRE_MAX);
	if (old != NULL && r->n == PROXY_LIVE_RETIRE_MAX)
		return -EBUSY;
	rcu_assign_pointer(*slot, v);
	if (old == NULL)
		return 0;
	/* after this no worker can take <old>: its holds only go down */
	synchronize_rcu();
	r->q[r->n++] = old;
	return 0;
}

unsigned
proxy_live_retire_poll(struct proxy_live_retire *r, bool force,
                       void (*free_fn)(struct proxy_live *v, void *arg),
                       void *arg)
{
	unsigned done = 0;

	unsigned i;

	GH_VERIFY(r->n <= PROXY_LIVE_RETIRE_MAX);
	while (done < r->n && (force || proxy_live_held(r->q[done]) == 0))
		done++;
	/* A worker that put its last hold back may still, until the end of
	 * that loop, use a settings pointer it read before: one more grace
	 * period (the holds stay zero: nobody can take these any more). */
	if (done > 0 && !force)
		synchronize_rcu();
	for (i = 0; i < done; i++)
		free_fn(r->q[i], arg);
	if (done > 0) {
		memmove(r->q, r->q + done, (r->n - done) * sizeof(r->q[0]));
		r->n -= done;
	}
	return r->n;
}
