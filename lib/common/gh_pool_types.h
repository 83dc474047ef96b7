/*
 * Type of the fixed-size object pool (gh_pool.h has the functions and the
 * contract), so an owner can embed the pool in its context.
 */
#ifndef GH_POOL_TYPES_H
#define GH_POOL_TYPES_H

#include <stddef.h>
#include <stdint.h>

#define GH_POOL_MAGIC 0x67706f6cu

/*
 * N objects of one size in one block the owner allocated, then a uint32_t
 * link per object.  Objects [0, unused) have been handed out at least once;
 * the free list (by index + 1, 0 ends it) runs through their links.  An
 * object in use has the link GH_POOL_LINK_IN_USE.
 */
struct gh_pool {
	unsigned magic;
	uint32_t n;         /* capacity */
	uint32_t unused;    /* objects never handed out start here */
	uint32_t free_head; /* index + 1 of the first free object, 0: none */
	uint32_t in_use;
	size_t size; /* bytes per object (the stride) */
	char *objs;
	uint32_t *link;
};

#endif /* GH_POOL_TYPES_H */
