/*
 * The cache index's memory region (cache_mem.h): its state, apart from
 * the API so that cache_index_types.h can hold it.
 */
#ifndef GH_CACHE_MEM_TYPES_H
#define GH_CACHE_MEM_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jemalloc/jemalloc.h>

/* Devices a region is DMA-mapped for, at most. */
#define CACHE_MEM_DEVS_MAX 16u

struct rte_device;

struct cache_mem {
	extent_hooks_t hooks; /* what jemalloc calls; mem_of() finds us */
	uint8_t *base;        /* the region, page-aligned */
	size_t size;          /* its bytes, a multiple of <page> */
	size_t page;
	size_t used;        /* bump pointer: bytes handed out (atomic) */
	uint64_t exhausted; /* extent requests refused: region used up */
	bool registered;    /* rte_extmem_register() done */
	unsigned n_mapped;
	struct rte_device *mapped[CACHE_MEM_DEVS_MAX]; /* rte_dev_dma_map() */
};

#endif /* GH_CACHE_MEM_TYPES_H */
