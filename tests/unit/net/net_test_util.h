/*
 * Shared helpers of the lib/net unit tests: EAL and mbuf pool start-up, a
 * two-port network context with a fake clock, frame builders and counter
 * assertions.
 *
 * EAL: Criterion runs every test in its own process, so each suite's .init
 * calls nt_setup(), which starts EAL at most once per process.  EAL runs
 * with --no-huge --no-shconf (anonymous memory, no runtime files, no
 * multi-process socket) so tests run in parallel without hugepages.
 * --in-memory cannot be used: with --no-huge DPDK 22.11 switches to legacy
 * memory mode, which it refuses to combine with --in-memory.
 *
 * Topology of the context nt_setup() builds (fake TSC at NT_HZ ticks/s,
 * starting at NT_T0):
 *   port 0: NT_MAC0, 10.0.0.1/24, gateway 10.0.0.254
 *   port 1: NT_MAC1, 192.168.1.1/24, no gateway
 *   peer on port 0: NT_PEER_MAC, 10.0.0.2
 */
#ifndef NET_TEST_UTIL_H
#define NET_TEST_UTIL_H

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_arp.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "common/gh_common.h"
#include "net/net.h"

#define NT_HZ                 1000000000ull /* 1 tick = 1 ns */
#define NT_T0                 1000000ull
#define NT_MS                 (NT_HZ / 1000)
#define NT_PENDING_MAX        8
#define NT_TTL_S              300
#define NT_PENDING_TIMEOUT_MS 1000

#define NT_IP(a, b, c, d)                                        \
	RTE_BE32(((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | \
	         ((uint32_t)(c) << 8) | (uint32_t)(d))

#define NT_ADDR0     NT_IP(10, 0, 0, 1)
#define NT_GW0       NT_IP(10, 0, 0, 254)
#define NT_ADDR1     NT_IP(192, 168, 1, 1)
#define NT_PEER      NT_IP(10, 0, 0, 2)
#define NT_FRAME_MAX 1600

extern const struct rte_ether_addr NT_MAC0, NT_MAC1, NT_PEER_MAC, NT_BCAST,
    NT_ZERO_MAC;

/* The context under test and the pool, valid after nt_setup(). */
extern struct net_ctx nt_ctx;
extern struct rte_mempool *nt_pool;

/* on_l4 / on_learn recorders. */
struct nt_l4_call {
	unsigned n;
	unsigned port_idx;
	uint16_t l2_len, l3_len;
	uint32_t pkt_len;
	uint8_t data[NT_FRAME_MAX];
};
struct nt_learn_call {
	unsigned n;
	unsigned port_idx;
	uint32_t ip_be;
	struct rte_ether_addr mac;
};
extern struct nt_l4_call nt_l4;
extern struct nt_learn_call nt_learn;

/* Suite .init: EAL once per process, pool, context (with on_l4 when
 * <with_l4>, and on_learn). */
void nt_setup(void);
void nt_setup_l4(void);
/* Suite .fini: free queued frames, check no mbuf leaked. */
void nt_teardown(void);

/* Re-initialise nt_ctx with <p> changes made by <tweak> (may be NULL). */
void nt_ctx_reset(void (*tweak)(struct net_params *p), int with_l4);

/* Fake clock: set it (runs net_timer). */
void nt_clock(uint64_t tsc);

/* A single-segment mbuf holding a copy of <len> bytes at <b>. */
struct rte_mbuf *nt_mbuf(const void *b, size_t len);

/* Feed one frame to net_input on <port_idx>. */
void nt_input(unsigned port_idx, const void *b, size_t len);

/*
 * Frame builders: write into <b> (NT_FRAME_MAX bytes), return the length.
 */
size_t nt_eth(uint8_t *b, const struct rte_ether_addr *dst,
              const struct rte_ether_addr *src, uint16_t type);
size_t nt_arp(uint8_t *b, const struct rte_ether_addr *eth_dst,
              const struct rte_ether_addr *eth_src, uint16_t op,
              const struct rte_ether_addr *sha, uint32_t spa_be,
              const struct rte_ether_addr *tha, uint32_t tpa_be);
/* IPv4 with a 20-byte header, valid checksum, DF, given payload. */
size_t nt_ipv4(uint8_t *b, const struct rte_ether_addr *eth_dst,
               const struct rte_ether_addr *eth_src, uint32_t src_be,
               uint32_t dst_be, uint8_t proto, uint8_t ttl, const void *payload,
               size_t plen);
/* ICMP echo request (type 8) id/seq and <dlen> pattern bytes, valid csum. */
size_t nt_icmp_echo(uint8_t *b, const struct rte_ether_addr *eth_dst,
                    const struct rte_ether_addr *eth_src, uint32_t src_be,
                    uint32_t dst_be, uint8_t type, uint8_t code, size_t dlen);
/* Recompute the IPv4 header checksum of the frame <b> (IHL honoured). */
void nt_ipv4_fix_csum(uint8_t *b);

/*
 * Counter check: every counter of struct net_counters must be 0 except the
 * (name, value) pairs listed; the list ends with NULL.  Values are int.
 */
void nt_expect(const char *first, ...);
/* Value of one counter by name. */
uint64_t nt_cnt(const char *name);
/* Zero all counters. */
void nt_cnt_reset(void);

/* Frames queued on the txbuf of <port_idx>. */
unsigned nt_tx_n(unsigned port_idx);
struct rte_mbuf *nt_tx(unsigned port_idx, unsigned i);
/* Free every frame queued on every txbuf. */
void nt_tx_free_all(void);

/* True when the Internet checksum over <len> bytes at <p> verifies. */
int nt_cksum_ok(const void *p, size_t len);

#endif /* NET_TEST_UTIL_H */
