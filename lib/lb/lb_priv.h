/*
 * lib/lb's private structures: the immutable pool (with its Maglev table),
 * the shared health lines and one worker's private counts.  Only lib/lb's
 * .c files include this.
 */
#ifndef GH_LB_PRIV_H
#define GH_LB_PRIV_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/gh_common.h"
#include "lb/lb.h"

#define LB_POOL_MAGIC   0x6c62706fu
#define LB_HEALTH_MAGIC 0x6c626865u
#define LB_WORKER_MAGIC 0x6c62776bu

#define LB_CACHE_LINE 64u

/*
 * The Maglev table's size: a prime (every skip then walks a full
 * permutation), the same for every pool so that a pool rebuilt with one
 * more server moves only the slots the new server takes.  65537 is the
 * paper's and Envoy's default: >= 100 x LB_SERVERS_MAX slots per server
 * keeps the disruption of a change near the ideal 1/N, and with weights
 * 1..256 over 32 servers the lightest server still holds ~8 slots.  One
 * byte per slot: 64 KiB per hashed pool.
 */
#define LB_MAGLEV_M     65537u
#define LB_MAGLEV_EMPTY 0xffu

struct lb_pool {
	unsigned magic;
	enum lb_algo algo;
	unsigned n;
	uint32_t total_weight;
	uint32_t weights[LB_SERVERS_MAX];
	uint64_t ids[LB_SERVERS_MAX];
	uint32_t table_size; /* LB_MAGLEV_M for LB_URI_HASH, else 0 */
	uint8_t table[];     /* slot -> server index */
};

/*
 * One server's health, alone on its cache line.  Who writes what:
 *  - admin: the operator (any thread), lb_health_admin;
 *  - up, rise_count, fall_count: the checker thread only
 *    (lb_health_check_result); the counts are plain fields that no other
 *    thread reads;
 *  - ejected_until_ms, eject_len_ms: the worker whose failure streak
 *    ejects the server (lb_finish), by a compare-and-swap on
 *    ejected_until_ms so that one of several racing workers wins;
 *    eject_len_ms is written only by that winner, and read only by the
 *    next ejection, which cannot start before the current one ends.
 * Every worker reads admin, up and ejected_until_ms on each pick.
 */
struct lb_srv_health {
	_Alignas(LB_CACHE_LINE) _Atomic uint64_t ejected_until_ms; /* 0: never
	                                                              ejected */
	_Atomic uint32_t eject_len_ms; /* the last ejection's length */
	_Atomic bool admin;            /* false: draining */
	_Atomic bool up;               /* active checks' verdict */
	uint32_t rise_count;           /* checker only */
	uint32_t fall_count;           /* checker only */
};

struct lb_health {
	unsigned magic;
	unsigned n;
	struct lb_health_params hp;
	struct lb_srv_health srv[];
};

/*
 * One worker's view of one pool: nothing here is shared.  <share> is this
 * worker's part of each server's max-conns (0: no limit), <current> the
 * smooth weighted round-robin's running values, the streaks count
 * consecutive failures and 5xx this worker saw.
 */
struct lb_worker {
	unsigned magic;
	unsigned n;
	enum lb_algo algo;
	uint32_t share[LB_SERVERS_MAX];
	uint32_t outstanding[LB_SERVERS_MAX];
	int32_t current[LB_SERVERS_MAX];
	uint32_t fail_streak[LB_SERVERS_MAX];
	uint32_t x5xx_streak[LB_SERVERS_MAX];
};

/* Ejects <srv> for the back-off's next length (lb_health.c): 1 ejected,
 * 0 refused (the last usable server), -1 not usable anyway. */
int lb_health_eject(struct lb_health *h, unsigned srv, uint64_t now_ms);

/* The usable test of lb_health_usable, for the pick's loops. */
static inline bool
lb_srv_usable(const struct lb_srv_health *s, uint64_t now_ms)
{
	return atomic_load_explicit(&s->admin, memory_order_relaxed) &&
	       atomic_load_explicit(&s->up, memory_order_relaxed) &&
	       now_ms >= atomic_load_explicit(&s->ejected_until_ms,
	                                      memory_order_relaxed);
}

#endif /* GH_LB_PRIV_H */
