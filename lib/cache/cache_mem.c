/*
 * The index's memory (see cache_mem.h): one region of virtual memory
 * reserved when the index is made, handed to the index's jemalloc arena
 * through extent hooks, so that every object, head and body segment lies
 * in it and the region can be registered with DPDK once for a NIC to DMA
 * from (hits leave as external-buffer mbufs pointing into segments).
 *
 * The hooks carve extents from the region with a bump pointer and never
 * give them back to the system: jemalloc retains what it frees
 * (dalloc opts out) and reuses it; split and merge are allowed (the whole
 * region is one registration); commit is a no-op (the region is mapped
 * read-write), decommit and purges opt out (pages a NIC may be mapped to
 * stay where they are).  The retained-extent growth is capped
 * (arena.<i>.retain_grow_limit) so that jemalloc asks for extents of about
 * what it needs, not exponentially larger ones that would use the region
 * up early.  When the region is used up an allocation fails: the fill that
 * asked is given up, as when the budget refuses it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <jemalloc/jemalloc.h>
#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_memory.h>

#include "cache/cache_mem.h"
#include "common/gh_common.h"

/* The most jemalloc grows retained memory by in one request. */
#define CACHE_MEM_GROW_LIMIT (4u << 20)

static struct cache_mem *
mem_of(extent_hooks_t *h)
{
	return (struct cache_mem *)((char *)h -
	                            offsetof(struct cache_mem, hooks));
}

static void *
mem_alloc(extent_hooks_t *h, void *new_addr, size_t size, size_t alignment,
          bool *zero, bool *commit, unsigned arena_ind)
{
	struct cache_mem *m = mem_of(h);
	uintptr_t base = (uintptr_t)m->base, cur, at;

	(void)arena_ind;
	if (new_addr != NULL || size == 0 || alignment == 0 ||
	    (alignment & (alignment - 1)) != 0)
		return NULL; /* jemalloc asks for a fixed address only to
		                grow in place: we never can */
	cur = __atomic_load_n(&m->used, __ATOMIC_RELAXED);
	do {
		at = (base + cur + alignment - 1) & ~(uintptr_t)(alignment - 1);
		if (at - base > m->size || size > m->size - (at - base)) {
			__atomic_add_fetch(&m->exhausted, 1, __ATOMIC_RELAXED);
			return NULL;
		}
	} while (!__atomic_compare_exchange_n(&m->used, &cur, at - base + size,
	                                      false, __ATOMIC_RELAXED,
	                                      __ATOMIC_RELAXED));
	*zero = true; /* fresh anonymous pages, never handed out before */
	*commit = true;
	return (void *)at;
}

static bool
mem_dalloc(extent_hooks_t *h, void *addr, size_t size, bool committed,
           unsigned arena_ind)
{
	(void)h, (void)addr, (void)size, (void)committed, (void)arena_ind;
	return true; /* opt out: jemalloc retains it for reuse */
}

static void
mem_destroy(extent_hooks_t *h, void *addr, size_t size, bool committed,
            unsigned arena_ind)
{
	(void)h, (void)addr, (void)size, (void)committed, (void)arena_ind;
	/* the region goes whole in cache_mem_fini() */
}

static bool
mem_commit(extent_hooks_t *h, void *addr, size_t size, size_t offset,
           size_t length, unsigned arena_ind)
{
	(void)h, (void)addr, (void)size, (void)offset, (void)length,
	    (void)arena_ind;
	return false; /* always committed: success */
}

static bool
mem_no(extent_hooks_t *h, void *addr, size_t size, size_t offset, size_t length,
       unsigned arena_ind)
{
	(void)h, (void)addr, (void)size, (void)offset, (void)length,
	    (void)arena_ind;
	return true; /* decommit, purges: opt out */
}

static bool
mem_split(extent_hooks_t *h, void *addr, size_t size, size_t size_a,
          size_t size_b, bool committed, unsigned arena_ind)
{
	(void)h, (void)addr, (void)size, (void)size_a, (void)size_b,
	    (void)committed, (void)arena_ind;
	return false; /* one region: any split is fine */
}

static bool
mem_merge(extent_hooks_t *h, void *addr_a, size_t size_a, void *addr_b,
          size_t size_b, bool committed, unsigned arena_ind)
{
	(void)h, (void)addr_a, (void)size_a, (void)addr_b, (void)size_b,
	    (void)committed, (void)arena_ind;
	return false;
}

int
cache_mem_init(struct cache_mem *m, uint64_t bytes, unsigned *arena)
{
	extent_hooks_t *hp;
	size_t sz = sizeof(*arena), page = (size_t)sysconf(_SC_PAGESIZE);
	size_t limit = CACHE_MEM_GROW_LIMIT;
	char name[64];
	int err;

	memset(m, 0, sizeof(*m));
	if (bytes == 0 || bytes > (UINT64_C(1) << 46))
		return -EINVAL;
	m->page = page;
	m->size = (size_t)((bytes + page - 1) & ~(uint64_t)(page - 1));
	m->base = mmap(NULL, m->size, PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m->base == MAP_FAILED) {
		m->base = NULL;
		return -errno;
	}
	m->hooks = (extent_hooks_t){
	    .alloc = mem_alloc,
	    .dalloc = mem_dalloc,
	    .destroy = mem_destroy,
	    .commit = mem_commit,
	    .decommit = mem_no,
	    .purge_lazy = mem_no,
	    .purge_forced = mem_no,
	    .split = mem_split,
	    .merge = mem_merge,
	};
	hp = &m->hooks;
	err = mallctl("arenas.create", arena, &sz, &hp, sizeof(hp));
	if (err != 0) {
		munmap(m->base, m->size);
		m->base = NULL;
		return -err;
	}
	snprintf(name, sizeof(name), "arena.%u.retain_grow_limit", *arena);
	(void)mallctl(name, NULL, NULL, &limit, sizeof(limit));
	return 0;
}

bool
cache_mem_contains(const struct cache_mem *m, const void *p, size_t len)
{
	uintptr_t a = (uintptr_t)p, b = (uintptr_t)m->base;

	return m->base != NULL && a >= b && len <= m->size &&
	       a - b <= m->size - len;
}

/* Ports whose device is not a vdev (a NIC that may DMA). */
static unsigned
dma_devices(void)
{
	uint16_t port;
	unsigned n = 0;

	RTE_ETH_FOREACH_DEV(port)
	{
		struct rte_eth_dev_info info;

		if (rte_eth_dev_info_get(port, &info) == 0 &&
		    info.device != NULL &&
		    strcmp(rte_bus_name(rte_dev_bus(info.device)), "vdev") != 0)
			n++;
	}
	return n;
}

int
cache_mem_dma_register(struct cache_mem *m)
{
	uint16_t port;
	int n = 0, rc;

	if (m->base == NULL)
		return -EINVAL;
	if (m->registered)
		return -EALREADY;
	/* IOVA-as-PA would need every page's physical address (pinned
	 * pages); the segments record RTE_BAD_IOVA there (cache_obj.c).
	 * That matters only to a device that DMAs: one on a bus other
	 * than vdev (af_packet, af_xdp and the like copy). */
	if (rte_eal_iova_mode() != RTE_IOVA_VA)
		return dma_devices() > 0 ? -ENOTSUP : 0;
	rc = rte_extmem_register(m->base, m->size, NULL, 0, m->page);
	if (rc != 0)
		return -rte_errno;
	m->registered = true;
	RTE_ETH_FOREACH_DEV(port)
	{
		struct rte_eth_dev_info info;

		if (rte_eth_dev_info_get(port, &info) != 0 ||
		    info.device == NULL)
			continue;
		/* a vdev that copies (af_packet, af_xdp's copy mode) has
		 * no DMA to map: ENOTSUP */
		if (rte_dev_dma_map(info.device, m->base,
		                    (uint64_t)(uintptr_t)m->base,
		                    m->size) == 0) {
			GH_VERIFY(m->n_mapped < CACHE_MEM_DEVS_MAX);
			m->mapped[m->n_mapped++] = info.device;
			n++;
		}
		if (m->n_mapped == CACHE_MEM_DEVS_MAX)
			break;
	}
	return n;
}

void
cache_mem_fini(struct cache_mem *m)
{
	unsigned i;

	if (m->base == NULL)
		return;
	for (i = 0; i < m->n_mapped; i++)
		(void)rte_dev_dma_unmap(m->mapped[i], m->base,
		                        (uint64_t)(uintptr_t)m->base, m->size);
	if (m->registered)
		(void)rte_extmem_unregister(m->base, m->size);
	munmap(m->base, m->size);
	memset(m, 0, sizeof(*m));
}
