/*
 * Per-worker flow table: maps a flow's 4-tuple and port index (struct
 * tcp_flow_key) to a 32-bit value the caller chooses (a TCB handle).  The
 * receive path looks up every TCP segment here, so lookup is the fast path;
 * listeners live in the same table under a key whose remote fields are zero
 * (look the full key up first, the listener key on a miss).
 *
 * Structure: one array of 20-byte slots, open addressing with linear
 * probing kept in Robin Hood order (an entry never sits further from its
 * home slot than an entry it passed), and deletion by backward shift, so
 * there are no tombstones: after any number of insert/delete cycles the
 * table looks as if freshly built from the keys it holds, and probe lengths
 * depend only on the load, never on the history.  The home slot comes from
 * a keyed pair-multiply-shift hash (Thorup), universal with random keys, so
 * a peer choosing its addresses and ports cannot aim at one slot the way it
 * could with a fixed hash such as CRC32.
 *
 * Cost (expected, alpha = load): lookup hit (1 + 1/(1 - alpha)) / 2 slots,
 * a miss stops at the first entry closer to its home than the probe and
 * costs about the same; insert scans to the next empty slot, about
 * (1 + 1/(1 - alpha)^2) / 2 slots, and moves the entries between its
 * place and that slot by one; delete moves back the entries that follow.
 * At 50% load: 1.5 / 2.5 slots; at 90%: 5.5 / 50.5.  All O(1) for a fixed
 * load; tests/unit/tcp/test_flow.c measures them.  Every probe loop is
 * bounded: an insert that would scan more than TCP_FLOW_PROBE_MAX slots is
 * refused (-ENOSPC, flow_probe_limit), as is one beyond 15/16 load
 * (-ENOSPC, flow_table_full).  Size the table at twice the connections
 * expected to keep the fast path near one slot.
 *
 * Memory: allocated once, at creation, with rte_zmalloc_socket() on the
 * worker's NUMA socket; never afterwards.  DPDK memory is backed by
 * hugepages when EAL has them, and a table of millions of slots is read
 * at random: on 4 KiB pages nearly every lookup would also miss the TLB.
 * 20 bytes per slot plus one cache line.
 *
 * Threading: a table belongs to one worker (create and free on the control
 * thread before start and after stop are fine).  No locks, no allocation
 * after creation, no system calls.
 */
#ifndef GH_TCP_FLOW_H
#define GH_TCP_FLOW_H

#include <string.h>

#include "net/net_types.h"
#include "tcp/tcp_types.h"

/* The counter group descriptor for struct tcp_flow_counters ("tcp_flow"). */
extern const struct stats_group_desc tcp_flow_counters_desc;

/* Parameters of tcp_flow_table_create(). */
struct tcp_flow_params {
	const char *name;  /* memory tag for rte_malloc statistics */
	uint32_t capacity; /* slots: a power of two, 16 .. 2^30 */
	int socket_id;     /* NUMA socket, or SOCKET_ID_ANY */
	uint64_t seed;     /* hash keys derive from it; 0 draws rte_rand() */
};

/*
 * Create an empty table.  Returns it, or NULL with errno EINVAL (bad
 * parameters) or ENOMEM.  Holds at most capacity - capacity / 16 flows.
 */
struct tcp_flow_table *tcp_flow_table_create(const struct tcp_flow_params *p);

/* Free <t> (NULL is fine). */
void tcp_flow_table_free(struct tcp_flow_table *t);

/* Fill <k> (network byte order, pad zeroed). */
static inline void
tcp_flow_key_set(struct tcp_flow_key *k, uint8_t port_idx, uint32_t local_ip_be,
                 uint16_t local_port_be, uint32_t remote_ip_be,
                 uint16_t remote_port_be)
{
	memset(k, 0, sizeof(*k));
	k->port_idx = port_idx;
	k->local_ip_be = local_ip_be;
	k->local_port_be = local_port_be;
	k->remote_ip_be = remote_ip_be;
	k->remote_port_be = remote_port_be;
}

/* The same flow as lib/net's flow-owner module names it (the layout is
 * the same; the fields are copied). */
static inline void
tcp_flow_key_from_net(struct tcp_flow_key *k, const struct net_flow_key *nk)
{
	tcp_flow_key_set(k, nk->port_idx, nk->local_ip_be, nk->local_port_be,
	                 nk->remote_ip_be, nk->remote_port_be);
}

static inline void
tcp_flow_key_to_net(struct net_flow_key *nk, const struct tcp_flow_key *k)
{
	memset(nk, 0, sizeof(*nk));
	nk->port_idx = k->port_idx;
	nk->local_ip_be = k->local_ip_be;
	nk->local_port_be = k->local_port_be;
	nk->remote_ip_be = k->remote_ip_be;
	nk->remote_port_be = k->remote_port_be;
}

/*
 * Add <k> -> <value>.  Returns 0, -EEXIST (the key is there; its value is
 * unchanged), or -ENOSPC (at the load limit or past TCP_FLOW_PROBE_MAX).
 * The load limit is checked first, without probing: at the limit a key
 * already present also gets -ENOSPC.  Every refusal is counted.
 */
int tcp_flow_insert(struct tcp_flow_table *t, const struct tcp_flow_key *k,
                    uint32_t value);

/* Find <k>. Returns 0 and fills <value>, or -ENOENT. */
int tcp_flow_lookup(struct tcp_flow_table *t, const struct tcp_flow_key *k,
                    uint32_t *value);

/* Remove <k>; its value goes to <value> unless NULL. Returns 0 or -ENOENT. */
int tcp_flow_delete(struct tcp_flow_table *t, const struct tcp_flow_key *k,
                    uint32_t *value);

/*
 * True when <k> is in <table> (a struct tcp_flow_table *): the shape of
 * lib/net's net_flow_in_use_cb, for net_flow_port_choose().
 */
bool tcp_flow_busy(void *table, const struct net_flow_key *k);

/* Flows in <t>, and the most it takes. */
uint32_t tcp_flow_count(const struct tcp_flow_table *t);
uint32_t tcp_flow_limit(const struct tcp_flow_table *t);

/* The counters of <t>, for the worker's stats registration. */
const struct tcp_flow_counters *
tcp_flow_table_counters(const struct tcp_flow_table *t);

/* Probe accounting of <t>, and a way to zero it between measurements. */
const struct tcp_flow_probes *
tcp_flow_table_probes(const struct tcp_flow_table *t);
void tcp_flow_table_probes_reset(struct tcp_flow_table *t);

/*
 * The slot where the probe sequence of <k> starts (its home), for tests
 * and diagnostics.
 */
uint32_t tcp_flow_home_slot(const struct tcp_flow_table *t,
                            const struct tcp_flow_key *k);

/*
 * Walk every slot (O(capacity): tests and debugging only) and check the
 * invariants: each entry's stored displacement matches its hash, Robin
 * Hood order holds, the count agrees.  Returns 0 and fills <out>, or
 * -EUCLEAN at the first breach.
 */
int tcp_flow_table_audit(const struct tcp_flow_table *t,
                         struct tcp_flow_audit *out);

#endif /* GH_TCP_FLOW_H */
