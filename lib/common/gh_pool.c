/*
 * The fixed-size object pool (see gh_pool.h for the contract).
 */
#include <errno.h>

#include "common/gh_pool.h"

/* Objects end here, rounded up so the links are aligned. */
static size_t
links_offset(uint32_t n, size_t size)
{
	size_t a = _Alignof(uint32_t);

	return ((size_t)n * size + a - 1) / a * a;
}

size_t
gh_pool_bytes(uint32_t n, size_t size)
{
	if (n == 0 || size == 0 || n >= GH_POOL_LINK_IN_USE)
		return 0;
	if (size > (SIZE_MAX - (size_t)n * sizeof(uint32_t)) / n / 2)
		return 0;
	return links_offset(n, size) + (size_t)n * sizeof(uint32_t);
}

int
gh_pool_init(struct gh_pool *p, void *mem, uint32_t n, size_t size)
{
	if (size == 0 ||
	    (n > 0 && (mem == NULL || gh_pool_bytes(n, size) == 0)))
		return -EINVAL;
	p->magic = GH_POOL_MAGIC;
	p->n = n;
	p->unused = 0;
	p->free_head = 0;
	p->in_use = 0;
	p->size = size;
	p->objs = mem;
	p->link = n > 0 ? (uint32_t *)(void *)(p->objs + links_offset(n, size))
	                : NULL;
	return 0;
}

void *
gh_pool_get(struct gh_pool *p)
{
	uint32_t i;

	GH_VERIFY(p->magic == GH_POOL_MAGIC);
	if (p->free_head != 0) {
		i = p->free_head - 1;
		GH_VERIFY(i < p->unused);
		p->free_head = p->link[i];
	} else if (p->unused < p->n) {
		i = p->unused++;
	} else {
		return NULL;
	}
	p->link[i] = GH_POOL_LINK_IN_USE;
	p->in_use++;
	return p->objs + (size_t)i * p->size;
}

uint32_t
gh_pool_index(const struct gh_pool *p, const void *obj)
{
	const char *o = obj;
	size_t off;

	GH_VERIFY(p->magic == GH_POOL_MAGIC && p->n > 0);
	GH_VERIFY(o >= p->objs && o < p->objs + (size_t)p->n * p->size);
	off = (size_t)(o - p->objs);
	GH_VERIFY(off % p->size == 0);
	return (uint32_t)(off / p->size);
}

void
gh_pool_put(struct gh_pool *p, void *obj)
{
	uint32_t i = gh_pool_index(p, obj);

	GH_VERIFY(gh_pool_idx_in_use(p, i));
	GH_VERIFY(p->in_use > 0);
	p->link[i] = p->free_head;
	p->free_head = i + 1;
	p->in_use--;
}
