/*
 * Which worker owns a flow, computed as the NIC computes it, and the choice
 * of a local port for an active open so the answers come back to the
 * worker that opened (as mTCP and F-Stack do).
 *
 * The hash is Toeplitz (Microsoft RSS) over (source address, destination
 * address, source port, destination port) with the 40-byte key the driver
 * programs (drivers/net/port.c): 0x6d, 0x5a repeated.  A key with a period
 * of 16 bits makes the hash symmetric, hash(a -> b) == hash(b -> a), since
 * swapping the addresses or the ports shifts the input by 32 or 16 bits
 * (Woo and Park).  It also makes the hash a function of the 16-bit XOR of
 * the six 16-bit words of the tuple only, and its two 16-bit halves equal;
 * 0x6d5a has odd weight, so that function is a bijection of the 16 bits
 * and every RETA index is reached equally often.
 *
 * The owner is reta[hash & (reta_size - 1)]: the RETA maps the hash to an
 * RX queue and queue i is worker i.  The caller gives the RETA the port
 * really uses (rte_eth_dev_rss_reta_query()); by default it is what most
 * NICs start with, entry i = i % n_workers over 128 entries (ixgbe, igb,
 * many VFs).  A NIC with 512 entries (i40e, mlx5) and a worker count that
 * does not divide 128 maps differently: pass its table.
 *
 * Threading: struct net_flow_owner is built on the control thread before the
 * workers start and only read afterwards, by any worker.  struct
 * net_flow_ports belongs to one worker.  Nothing here allocates or locks.
 */
#ifndef GH_NET_FLOW_OWNER_H
#define GH_NET_FLOW_OWNER_H

#include "net/net_types.h"

/* The symmetric key, byte for byte the one drivers/net/port.c programs. */
extern const uint8_t net_flow_owner_key_symmetric[NET_FLOW_OWNER_KEY_LEN];

/*
 * Initialise <fo> for <n_workers> workers (1 .. RTE_MAX_LCORE) with the
 * RETA <reta> of <reta_size> entries (a power of two, 1 ..
 * NET_FLOW_OWNER_RETA_MAX, each entry < n_workers), or, when <reta> is NULL,
 * the round-robin default of <reta_size> entries (0 means
 * NET_FLOW_OWNER_RETA_DEFAULT).  Returns 0 or -EINVAL.
 */
int net_flow_owner_init(struct net_flow_owner *fo, unsigned n_workers,
                        const uint16_t *reta, unsigned reta_size);

/*
 * The Toeplitz hash of a packet from <src_ip_be>:<src_port_be> to
 * <dst_ip_be>:<dst_port_be> (network byte order), equal to the NIC's RSS
 * hash for it and to the hash of the reverse direction.
 */
uint32_t net_flow_owner_hash(const struct net_flow_owner *fo,
                             uint32_t src_ip_be, uint32_t dst_ip_be,
                             uint16_t src_port_be, uint16_t dst_port_be);

/* The worker the RETA maps <hash> to. */
static inline unsigned
net_flow_owner_of_hash(const struct net_flow_owner *fo, uint32_t hash)
{
	return fo->reta[hash & (fo->reta_size - 1)];
}

/* The worker that owns the flow <k> (both directions). */
unsigned net_flow_owner_of_flow(const struct net_flow_owner *fo,
                                const struct net_flow_key *k);

/*
 * Initialise worker <worker>'s ephemeral port state: ports <lo> .. <hi>
 * (host order, inclusive, 1 <= lo <= hi), and a secret key from
 * getrandom(2) (a system call: start-up only).  Returns 0, -EINVAL, or
 * getrandom's -errno.
 */
int net_flow_ports_init(struct net_flow_ports *pp,
                        const struct net_flow_owner *fo, unsigned worker,
                        uint16_t lo, uint16_t hi);

/*
 * Choose a local port for an active open from the worker of <pp> to the
 * flow <k> (port_idx, local_ip_be, remote_ip_be, remote_port_be filled in;
 * local_port_be is the output) such that the flow hashes to that worker
 * and, when <in_use> is not NULL, in_use(<arg>, k) says it is free.
 * Candidates are tried in order from the destination's start (RFC 6056
 * algorithm 3: keyed hash of local address, remote address and port, plus
 * the counter of the table slot that hash selects), wrapping within the
 * range, each once at most: at most hi - lo + 1 O(1) hash steps, and
 * in_use is asked only about ports that map to the worker.  The counter
 * moves past the port chosen, so the destination's next search starts
 * after it.  Returns 0 with k->local_port_be set, or -EADDRNOTAVAIL (k
 * unchanged) when no port in the range qualifies.
 *
 * Two workers never choose the same port towards the same peer address and
 * port from the same local address: a port maps to exactly one worker.
 */
int net_flow_port_choose(const struct net_flow_owner *fo,
                         struct net_flow_ports *pp, struct net_flow_key *k,
                         net_flow_in_use_cb in_use, void *arg);

#endif /* GH_NET_FLOW_OWNER_H */
