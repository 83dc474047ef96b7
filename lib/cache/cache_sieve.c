/*
 * SIEVE's queue (see cache_sieve.h): a doubly linked FIFO and a hand.
 */
#include <stddef.h>

#include "cache/cache_sieve.h"
#include "common/gh_common.h"

void
cache_sieve_init(struct cache_sieve *q)
{
	q->newest = NULL;
	q->oldest = NULL;
	q->hand = NULL;
	q->n = 0;
}

void
cache_sieve_insert(struct cache_sieve *q, struct cache_sieve_node *n)
{
	n->visited = 0;
	n->newer = NULL;
	n->older = q->newest;
	if (q->newest != NULL)
		q->newest->newer = n;
	else
		q->oldest = n;
	q->newest = n;
	q->n++;
}

void
cache_sieve_remove(struct cache_sieve *q, struct cache_sieve_node *n)
{
	GH_VERIFY(q->n > 0);
	if (q->hand == n)
		q->hand = n->newer;
	if (n->newer != NULL)
		n->newer->older = n->older;
	else
		q->newest = n->older;
	if (n->older != NULL)
		n->older->newer = n->newer;
	else
		q->oldest = n->newer;
	n->newer = NULL;
	n->older = NULL;
	q->n--;
}

struct cache_sieve_node *
cache_sieve_victim(struct cache_sieve *q,
                   bool (*skip)(const struct cache_sieve_node *, void *),
                   void *arg)
{
	struct cache_sieve_node *n = q->hand != NULL ? q->hand : q->oldest;
	uint64_t steps;

	/* One pass clears every bit it meets, so a second pass finds a
	 * victim unless all are skipped. */
	for (steps = 0; n != NULL && steps <= 2 * q->n; steps++) {
		if (skip != NULL && skip(n, arg)) {
			/* passed over */
		} else if (__atomic_load_n(&n->visited, __ATOMIC_RELAXED)) {
			__atomic_store_n(&n->visited, 0, __ATOMIC_RELAXED);
		} else {
			q->hand = n;
			return n;
		}
		n = n->newer != NULL ? n->newer : q->oldest;
	}
	return NULL;
}
