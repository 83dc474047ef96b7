/*
 * The cache index's memory: one region of virtual memory, reserved when
 * the index is made (no page is touched until used), from which the
 * index's jemalloc arena takes every extent (custom extent hooks), so
 * that the whole of it can be registered with DPDK once and DMA-mapped
 * for every device (cache hits leave as external-buffer mbufs pointing
 * into body segments: a NIC reads them directly).  Threading: init and
 * fini by the thread that makes or frees the index; the hooks run on any
 * thread that allocates from the arena (the bump pointer is atomic).
 */
#ifndef GH_CACHE_MEM_H
#define GH_CACHE_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cache/cache_mem_types.h"

/*
 * Reserve a region of <bytes> (rounded up to pages; mapped read-write
 * without reserving swap) and create a jemalloc arena taking its extents
 * from it into <*arena>.  Returns 0 or -errno (of mmap or mallctl).
 */
int cache_mem_init(struct cache_mem *m, uint64_t bytes, unsigned *arena);

/*
 * Register the region with DPDK as external memory and DMA-map it for
 * every ethdev port's device that takes a mapping (EAL initialised, IOVA
 * as VA; the ports already probed).  Returns the number of devices
 * mapped (0 when none DMAs: vdevs that copy; also in IOVA-as-PA mode
 * with vdevs only), -ENOTSUP in IOVA-as-PA mode with a device that may
 * DMA, -EALREADY, or the -rte_errno of rte_extmem_register.
 */
int cache_mem_dma_register(struct cache_mem *m);

/* Whether p[0 .. len) lies in the region. */
bool cache_mem_contains(const struct cache_mem *m, const void *p, size_t len);

/* Unmap for the devices, unregister and unmap the region (after the
 * arena was destroyed). */
void cache_mem_fini(struct cache_mem *m);

#endif /* GH_CACHE_MEM_H */
