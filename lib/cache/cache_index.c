/*
 * The shared index (see cache_index.h): a QSBR cds_lfht for lookups, one
 * mutex for everything that changes membership (insert, remove, purge,
 * eviction, budget charges), SIEVE for the eviction order.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include <jemalloc/jemalloc.h>

#include "cache/cache_index.h"
#include "cache/cache_index_priv.h"
#include "cache/cache_mem.h"
#include "cache/cache_sieve.h"
#include "common/gh_siphash.h"

#define CACHE_INDEX_MAX_WORKERS 1024u
#define CACHE_HT_INIT_BUCKETS   1024ul

/* What cds_lfht's match function compares. */
struct cache_key_ref {
	const uint8_t *key;
	size_t len;
	uint64_t hash;
};

static int
key_match(struct cds_lfht_node *node, const void *arg)
{
	const struct cache_obj *obj =
	    caa_container_of(node, struct cache_obj, node);
	const struct cache_key_ref *k = arg;

	return obj->hash == k->hash && obj->key_len == k->len &&
	       memcmp(obj->key, k->key, k->len) == 0;
}

struct cache_index *
cache_index_create(uint64_t budget_bytes, uint64_t max_obj_bytes,
                   uint32_t n_workers)
{
	struct cache_index *ci;
	int err;

	if (budget_bytes == 0 || max_obj_bytes == 0 ||
	    max_obj_bytes > budget_bytes || n_workers == 0 ||
	    n_workers > CACHE_INDEX_MAX_WORKERS) {
		errno = EINVAL;
		return NULL;
	}
	ci = calloc(1, sizeof(*ci));
	if (ci == NULL)
		return NULL;
	if (getrandom(ci->hash_key, sizeof(ci->hash_key), 0) !=
	    (ssize_t)sizeof(ci->hash_key)) {
		err = errno != 0 ? errno : EIO;
		goto out_free;
	}
	/* the region: the budget, what eviction may lag behind it by (an
	 * object per fill in flight, jemalloc's size classes), and room for
	 * jemalloc's own retained extents; only touched pages cost memory */
	err = -cache_mem_init(&ci->mem,
	                      budget_bytes + budget_bytes / 4 +
	                          4 * max_obj_bytes + (UINT64_C(64) << 20),
	                      &ci->arena);
	if (err != 0)
		goto out_free;
	err = pthread_mutex_init(&ci->lock, NULL);
	if (err != 0)
		goto out_arena;
	ci->ht = cds_lfht_new(CACHE_HT_INIT_BUCKETS, CACHE_HT_INIT_BUCKETS, 0,
	                      CDS_LFHT_AUTO_RESIZE | CDS_LFHT_ACCOUNTING, NULL);
	if (ci->ht == NULL) {
		err = ENOMEM;
		goto out_mutex;
	}
	cache_sieve_init(&ci->q);
	ci->budget_bytes = budget_bytes;
	ci->max_obj_bytes = max_obj_bytes;
	ci->budget_created_bytes = budget_bytes;
	ci->max_obj_created_bytes = max_obj_bytes;
	ci->n_workers = n_workers;
	ci->magic = CACHE_INDEX_MAGIC;
	err = -cache_wake_init(ci);
	if (err != 0)
		goto out_ht;
	return ci;
out_ht:
	GH_VERIFY(cds_lfht_destroy(ci->ht, NULL) == 0);
out_mutex:
	pthread_mutex_destroy(&ci->lock);
out_arena : {
	char name[64];

	snprintf(name, sizeof(name), "arena.%u.destroy", ci->arena);
	(void)mallctl(name, NULL, NULL, NULL, 0);
	cache_mem_fini(&ci->mem);
}
out_free:
	free(ci);
	errno = err;
	return NULL;
}

uint64_t
cache_index_hash(const struct cache_index *ci, const uint8_t *key, size_t len)
{
	return gh_siphash(ci->hash_key, key, len);
}

/* call_rcu: the grace period after removal passed; the index's put. */
static void
index_ref_drop(struct rcu_head *head)
{
	cache_obj_put(caa_container_of(head, struct cache_obj, rcu));
}

/*
 * Under lock: take linked <obj> out of the table and the queue, mark it
 * DEAD, and drop the index's reference a grace period later (<deferred>)
 * or now (destroy: no reader is left).
 */
static void
unlink_locked(struct cache_index *ci, struct cache_obj *obj, bool deferred)
{
	GH_VERIFY(obj->linked);
	__atomic_store_n(&obj->state, CACHE_OBJ_DEAD, __ATOMIC_RELEASE);
	GH_VERIFY(cds_lfht_del(ci->ht, &obj->node) == 0);
	cache_sieve_remove(&ci->q, &obj->q);
	obj->linked = false;
	cache_obj_notify(obj); /* waiters see DEAD */
	GH_VERIFY(ci->bytes >= obj->mem_bytes && ci->objects > 0);
	ci->bytes -= obj->mem_bytes;
	ci->objects--;
	if (deferred)
		call_rcu(&obj->rcu, index_ref_drop);
	else
		cache_obj_put(obj);
}

/* Not a victim: <arg> (the object growing), and any object being filled:
 * evicting a fill would cut the clients waiting on it (collapsed misses)
 * or send them all to the origin at once.  The budget is then exceeded by
 * the fills in flight, up to one largest object (cache_index_admit). */
static bool
skip_self(const struct cache_sieve_node *n, void *arg)
{
	return n == arg ||
	       cache_obj_state(caa_container_of(n, struct cache_obj, q)) ==
	           CACHE_OBJ_BUSY;
}

/* Under lock: evict until within budget, sparing <self> (may be NULL) and
 * every BUSY object. */
static void
make_room_locked(struct cache_index *ci, struct cache_obj *self)
{
	while (ci->bytes > ci->budget_bytes) {
		struct cache_sieve_node *v = cache_sieve_victim(
		    &ci->q, skip_self, self != NULL ? &self->q : NULL);

		if (v == NULL) {
			ci->ctr.evict_stuck++;
			return;
		}
		unlink_locked(ci, caa_container_of(v, struct cache_obj, q),
		              true);
		ci->ctr.evictions++;
	}
}

int
cache_index_admit(struct cache_index *ci, struct cache_obj *obj, uint64_t more)
{
	int rc = 0;

	GH_VERIFY(pthread_mutex_lock(&ci->lock) == 0);
	if (obj->linked) {
		ci->bytes += more;
		make_room_locked(ci, obj);
		if (ci->bytes > ci->budget_bytes + ci->max_obj_bytes) {
			ci->ctr.over_budget++;
			rc = -ENOSPC;
		}
		ci->bytes -= more;
	}
	GH_VERIFY(pthread_mutex_unlock(&ci->lock) == 0);
	return rc;
}

int
cache_index_budget_set(struct cache_index *ci, uint64_t budget_bytes)
{
	GH_CHECK_OBJ_NOTNULL(ci, CACHE_INDEX_MAGIC);
	if (budget_bytes == 0 || budget_bytes > ci->budget_created_bytes)
		return -EINVAL;
	GH_VERIFY(pthread_mutex_lock(&ci->lock) == 0);
	__atomic_store_n(&ci->budget_bytes, budget_bytes, __ATOMIC_RELAXED);
	/* one object never more than the whole budget */
	__atomic_store_n(&ci->max_obj_bytes,
	                 ci->max_obj_created_bytes < budget_bytes
	                     ? ci->max_obj_created_bytes
	                     : budget_bytes,
	                 __ATOMIC_RELAXED);
	make_room_locked(ci, NULL);
	GH_VERIFY(pthread_mutex_unlock(&ci->lock) == 0);
	return 0;
}

void
cache_index_charge(struct cache_index *ci, struct cache_obj *obj, int64_t delta)
{
	uatomic_add(&ci->live_bytes, (uint64_t)delta);
	GH_VERIFY(pthread_mutex_lock(&ci->lock) == 0);
	obj->mem_bytes += (uint64_t)delta;
	if (obj->linked) {
		ci->bytes += (uint64_t)delta;
		if (delta > 0)
			make_room_locked(ci, obj);
	}
	GH_VERIFY(pthread_mutex_unlock(&ci->lock) == 0);
}

int
cache_index_lookup(struct cache_index *ci, const uint8_t *key, size_t len,
                   struct cache_obj **out)
{
	struct cache_key_ref k = {key, len, cache_index_hash(ci, key, len)};
	struct cds_lfht_node *node;
	struct cds_lfht_iter iter;
	struct cache_obj *obj;
	int rc = -ENOENT;

	GH_CHECK_OBJ_NOTNULL(ci, CACHE_INDEX_MAGIC);
	rcu_read_lock();
	cds_lfht_lookup(ci->ht, (unsigned long)k.hash, key_match, &k, &iter);
	node = cds_lfht_iter_get_node(&iter);
	if (node == NULL)
		goto out;
	obj = caa_container_of(node, struct cache_obj, node);
	GH_CHECK_OBJ(obj, CACHE_OBJ_MAGIC);
	switch (cache_obj_state(obj)) {
	case CACHE_OBJ_COMPLETE:
		break;
	case CACHE_OBJ_BUSY:
		rc = -EBUSY;
		goto out;
	default:
		goto out;
	}
	/* The index's reference lasts a grace period past removal, so the
	 * count is not 0 here; unless_zero is the belt to those braces. */
	if (!urcu_ref_get_unless_zero(&obj->ref))
		goto out;
	if (cache_obj_state(obj) == CACHE_OBJ_DEAD) {
		cache_obj_put(obj);
		goto out;
	}
	cache_sieve_hit(&obj->q);
	*out = obj;
	rc = 0;
out:
	rcu_read_unlock();
	return rc;
}

int
cache_index_insert_unique(struct cache_index *ci, struct cache_obj *obj,
                          struct cache_obj **existing)
{
	struct cache_key_ref k;
	struct cds_lfht_node *node;
	int rc = 0;

	GH_CHECK_OBJ_NOTNULL(ci, CACHE_INDEX_MAGIC);
	GH_CHECK_OBJ_NOTNULL(obj, CACHE_OBJ_MAGIC);
	if (obj->ci != ci)
		return -EINVAL;
	k.key = obj->key;
	k.len = obj->key_len;
	k.hash = obj->hash;
	GH_VERIFY(pthread_mutex_lock(&ci->lock) == 0);
	if (obj->linked || cache_obj_state(obj) == CACHE_OBJ_DEAD) {
		rc = -EINVAL;
		goto out;
	}
	if (obj->mem_bytes >
	    __atomic_load_n(&ci->max_obj_bytes, __ATOMIC_RELAXED)) {
		rc = -EFBIG;
		goto out;
	}
	cache_obj_get(obj); /* the index's */
	rcu_read_lock();
	node = cds_lfht_add_unique(ci->ht, (unsigned long)k.hash, key_match, &k,
	                           &obj->node);
	rcu_read_unlock();
	if (node != &obj->node) {
		struct cache_obj *e =
		    caa_container_of(node, struct cache_obj, node);

		/* Never published: the index's reference goes back. */
		cache_obj_put(obj);
		/* Every removal holds the lock we hold, so <e> is in the
		 * table and holds the index's reference. */
		GH_CHECK_OBJ(e, CACHE_OBJ_MAGIC);
		GH_VERIFY(e->linked);
		cache_obj_get(e);
		*existing = e;
		ci->ctr.insert_collisions++;
		rc = -EEXIST;
		goto out;
	}
	obj->linked = true;
	cache_sieve_insert(&ci->q, &obj->q);
	ci->bytes += obj->mem_bytes;
	ci->objects++;
	ci->ctr.inserts++;
	make_room_locked(ci, obj);
out:
	GH_VERIFY(pthread_mutex_unlock(&ci->lock) == 0);
	return rc;
}

int
cache_index_remove(struct cache_index *ci, struct cache_obj *obj)
{
	int rc = -ENOENT;

	GH_CHECK_OBJ_NOTNULL(ci, CACHE_INDEX_MAGIC);
	GH_CHECK_OBJ_NOTNULL(obj, CACHE_OBJ_MAGIC);
	GH_VERIFY(pthread_mutex_lock(&ci->lock) == 0);
	if (obj->linked) {
		unlink_locked(ci, obj, true);
		ci->ctr.removes++;
		rc = 0;
	} else {
		__atomic_store_n(&obj->state, CACHE_OBJ_DEAD, __ATOMIC_RELEASE);
		cache_obj_notify(obj);
	}
	GH_VERIFY(pthread_mutex_unlock(&ci->lock) == 0);
	return rc;
}

int
cache_index_purge(struct cache_index *ci, const uint8_t *key, size_t len)
{
	struct cache_key_ref k = {key, len, cache_index_hash(ci, key, len)};
	struct cds_lfht_node *node;
	struct cds_lfht_iter iter;
	int rc = -ENOENT;

	GH_CHECK_OBJ_NOTNULL(ci, CACHE_INDEX_MAGIC);
	GH_VERIFY(pthread_mutex_lock(&ci->lock) == 0);
	rcu_read_lock();
	cds_lfht_lookup(ci->ht, (unsigned long)k.hash, key_match, &k, &iter);
	node = cds_lfht_iter_get_node(&iter);
	if (node != NULL) {
		unlink_locked(
		    ci, caa_container_of(node, struct cache_obj, node), true);
		ci->ctr.removes++;
		rc = 0;
	}
	rcu_read_unlock();
	GH_VERIFY(pthread_mutex_unlock(&ci->lock) == 0);
	return rc;
}

int
cache_index_walk(struct cache_index *ci, cache_index_walk_fn fn, void *arg)
{
	struct cds_lfht_node *node;
	struct cds_lfht_iter iter;
	int rc = 0;

	GH_CHECK_OBJ_NOTNULL(ci, CACHE_INDEX_MAGIC);
	rcu_read_lock();
	/* Not cds_lfht_for_each_entry(): it takes caa_container_of() of the
	 * NULL node that ends the walk, an offset applied to a null pointer
	 * (undefined; UBSan stops the unit suite on it).  The node is
	 * tested first here. */
	for (cds_lfht_first(ci->ht, &iter);
	     (node = cds_lfht_iter_get_node(&iter)) != NULL;
	     cds_lfht_next(ci->ht, &iter)) {
		struct cache_obj *obj =
		    caa_container_of(node, struct cache_obj, node);
		struct cache_index_entry e;

		GH_CHECK_OBJ(obj, CACHE_OBJ_MAGIC);
		e.state = cache_obj_state(obj);
		if (e.state == CACHE_OBJ_DEAD)
			continue;
		e.key = obj->key;
		e.key_len = obj->key_len;
		e.body_bytes = cache_obj_body_len(obj);
		/* written under the lock; a relaxed read is a fair gauge */
		e.mem_bytes =
		    __atomic_load_n(&obj->mem_bytes, __ATOMIC_RELAXED);
		rc = fn(arg, &e);
		if (rc != 0)
			break;
	}
	rcu_read_unlock();
	return rc;
}

void
cache_index_stats_get(struct cache_index *ci, struct cache_index_stats *out)
{
	GH_CHECK_OBJ_NOTNULL(ci, CACHE_INDEX_MAGIC);
	GH_VERIFY(pthread_mutex_lock(&ci->lock) == 0);
	out->c = ci->ctr;
	out->objects = ci->objects;
	out->bytes = ci->bytes;
	out->budget_bytes = ci->budget_bytes;
	GH_VERIFY(pthread_mutex_unlock(&ci->lock) == 0);
	out->live_objects = uatomic_read(&ci->live_objects);
	out->live_bytes = uatomic_read(&ci->live_bytes);
	out->mem_region_bytes = ci->mem.size;
	out->mem_used_bytes = __atomic_load_n(&ci->mem.used, __ATOMIC_RELAXED);
	out->mem_exhausted =
	    __atomic_load_n(&ci->mem.exhausted, __ATOMIC_RELAXED);
}

int
cache_index_arena_allocated(const struct cache_index *ci, uint64_t *out)
{
	uint64_t epoch = 1;
	size_t small, large, sz = sizeof(epoch);
	char name[64];

	if (mallctl("epoch", &epoch, &sz, &epoch, sz) != 0)
		return -ENOTSUP;
	sz = sizeof(small);
	snprintf(name, sizeof(name), "stats.arenas.%u.small.allocated",
	         ci->arena);
	if (mallctl(name, &small, &sz, NULL, 0) != 0)
		return -ENOTSUP;
	snprintf(name, sizeof(name), "stats.arenas.%u.large.allocated",
	         ci->arena);
	if (mallctl(name, &large, &sz, NULL, 0) != 0)
		return -ENOTSUP;
	*out = (uint64_t)small + large;
	return 0;
}

int
cache_index_dma_register(struct cache_index *ci)
{
	GH_CHECK_OBJ(ci, CACHE_INDEX_MAGIC);
	return cache_mem_dma_register(&ci->mem);
}

int
cache_index_destroy(struct cache_index *ci)
{
	char name[64];

	if (ci == NULL)
		return 0;
	GH_CHECK_OBJ(ci, CACHE_INDEX_MAGIC);
	GH_VERIFY(pthread_mutex_lock(&ci->lock) == 0);
	while (ci->q.oldest != NULL)
		unlink_locked(
		    ci, caa_container_of(ci->q.oldest, struct cache_obj, q),
		    false);
	GH_VERIFY(pthread_mutex_unlock(&ci->lock) == 0);
	cache_wake_fini(ci); /* the references queued wakes hold */
	rcu_barrier();
	if (uatomic_read(&ci->live_objects) != 0)
		return -EBUSY;
	GH_VERIFY(cds_lfht_destroy(ci->ht, NULL) == 0);
	pthread_mutex_destroy(&ci->lock);
	snprintf(name, sizeof(name), "arena.%u.destroy", ci->arena);
	(void)mallctl(name, NULL, NULL, NULL, 0);
	cache_mem_fini(&ci->mem);
	ci->magic = CACHE_POISON_MAGIC;
	free(ci);
	return 0;
}
