/*
 * A fixed-size object pool: N objects of S bytes in one block the owner
 * allocates once at creation, with its own allocator (calloc or
 * rte_zmalloc), sized by gh_pool_bytes().  get and put are O(1): a free
 * list by index, kept in a link array after the objects, so objects carry
 * no link of their own.  Objects never handed out are handed out in index
 * order only once the free list is empty, and neither they nor their links
 * are written before that, so the pages of a large, zeroed, mostly idle pool
 * stay untouched.
 *
 * The pool never reads or writes an object: get hands it back as it was
 * left (zero the first time when the block was zeroed); the owner sets it
 * up and counts a refusal when get returns NULL.  Putting back an object
 * twice, or a pointer that is not one of the pool's objects, fails a
 * GH_VERIFY: either would hand one object to two owners.
 *
 * Threading: a pool belongs to one worker (or one owner); no locks.
 */
#ifndef GH_POOL_H
#define GH_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/gh_common.h"
#include "common/gh_pool_types.h"

/* Link of an object in use (free objects link to index + 1, or 0). */
#define GH_POOL_LINK_IN_USE UINT32_MAX

/*
 * Bytes of the block for <n> objects of <size> bytes (the objects, then
 * the links), or 0 when <n> or <size> is 0, <n> is GH_POOL_LINK_IN_USE or
 * more, or the total overflows.  (A pool of 0 objects needs no block.)
 */
size_t gh_pool_bytes(uint32_t n, size_t size);

/*
 * Make <p> a pool of <n> objects of <size> bytes in <mem>, a block of
 * gh_pool_bytes(n, size) bytes, zeroed, aligned for the objects.  The owner
 * frees <mem> when done.  <n> may be 0 (a pool that is always empty; <mem>
 * is not used).  Returns 0, or -EINVAL when <n> > 0 and <mem> is NULL or
 * gh_pool_bytes() says 0, or <size> is 0.
 */
int gh_pool_init(struct gh_pool *p, void *mem, uint32_t n, size_t size);

/* A free object, or NULL when all <n> are in use. */
void *gh_pool_get(struct gh_pool *p);

/* Give <obj> back (GH_VERIFY: one of p's objects, in use). */
void gh_pool_put(struct gh_pool *p, void *obj);

/* Objects handed out and not put back. */
static inline uint32_t
gh_pool_in_use(const struct gh_pool *p)
{
	return p->in_use;
}

/* The object at <idx> (< n), in use or not. */
static inline void *
gh_pool_at(const struct gh_pool *p, uint32_t idx)
{
	GH_ASSERT(idx < p->n);
	return p->objs + (size_t)idx * p->size;
}

/* Index of <obj>, one of p's objects. */
uint32_t gh_pool_index(const struct gh_pool *p, const void *obj);

/* True while the object at <idx> is handed out. */
static inline bool
gh_pool_idx_in_use(const struct gh_pool *p, uint32_t idx)
{
	return idx < p->unused && p->link[idx] == GH_POOL_LINK_IN_USE;
}

#endif /* GH_POOL_H */
