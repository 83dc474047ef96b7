/*
 * SipHash-2-4 (Aumasson and Bernstein), a keyed hash for short inputs:
 * lib/tcp keys its ISNs and SYN cookies with it, lib/net its RFC 6056
 * port choice.  Pure computation: any thread, no state.
 */
#ifndef GH_SIPHASH_H
#define GH_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

/* SipHash-2-4 of <len> bytes at <data> under the 16-byte <key>. */
uint64_t gh_siphash(const uint8_t key[16], const void *data, size_t len);

#endif /* GH_SIPHASH_H */
