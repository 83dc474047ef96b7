/*
 * Helpers shared by lib/cache's unit tests: an index per test, RCU
 * registration of the test thread, objects with a known byte pattern.
 */
#ifndef GH_INDEX_TEST_UTIL_H
#define GH_INDEX_TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "cache/cache_index.h"

/* The byte at body offset <off> of the object made for key number <k>. */
static inline uint8_t
ct_byte(uint32_t k, uint64_t off)
{
	return (uint8_t)(k * 31u + off * 7u + (off >> 12));
}

/* Register the test thread with QSBR (online). */
void ct_rcu_start(void);

/* Let grace periods pass and drain call_rcu (rcu_barrier), then online. */
void ct_rcu_drain(void);

/* Offline, drain, unregister. */
void ct_rcu_stop(void);

/* Register the test thread and create an index of <budget> bytes for two
 * workers (fails the test on error). */
struct cache_index *ct_index_start(uint64_t budget);

/* Destroy <ci> (it must be empty of references) and unregister. */
void ct_index_stop(struct cache_index *ci);

/* The key "GET http://t/<k>" into <buf> (CACHE_KEY_MAX_BYTES); its length. */
size_t ct_key(uint8_t *buf, uint32_t k);

/*
 * A new object of <ci> for key number <k> with a small head and <body>
 * bytes of ct_byte(k, .) appended in pieces of <chunk> bytes (0: one
 * piece), COMPLETE when <complete>.  Fails the test on error.
 */
struct cache_obj *ct_obj(struct cache_index *ci, uint32_t k, uint64_t body,
                         size_t chunk, int complete);

#endif /* GH_INDEX_TEST_UTIL_H */
