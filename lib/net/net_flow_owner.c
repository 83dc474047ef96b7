/*
 * Flow owner hash and ephemeral port choice (see net_flow_owner.h).
 *
 * rte_softrss_be() takes the tuple as 32-bit words in host order, laid out
 * as the NIC reads the packet: source address, destination address, then
 * source port in the high half and destination port in the low half of the
 * third word (struct rte_ipv4_tuple), and the key converted once with
 * rte_convert_rss_key().  The Toeplitz hash is a XOR of one key window per
 * set input bit, so it is linear: the port search hashes the tuple once
 * with local port 0 and adds each candidate port's contribution from two
 * 256-entry tables.
 *
 * The port search follows RFC 6056 algorithm 3 (double-hash): a keyed
 * SipHash of (local address, remote address, remote port) gives the
 * destination's start offset and its slot in the worker's table of
 * counters; candidates run on from offset + counter, and the counter moves
 * past the port chosen.  So each destination walks the range in its own
 * order from its own unpredictable place, and a port comes back to the
 * same destination only after the range went round.
 */
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include <rte_byteorder.h>
#include <rte_config.h>
#include <rte_thash.h>

#include "common/gh_common.h"
#include "common/gh_rss.h"
#include "common/gh_siphash.h"
#include "net/net_flow_owner.h"

_Static_assert(NET_FLOW_OWNER_KEY_LEN == GH_RSS_KEY_LEN, "one RSS key length");
const uint8_t net_flow_owner_key_symmetric[NET_FLOW_OWNER_KEY_LEN] =
    GH_RSS_KEY_SYMMETRIC_INIT;

/* Toeplitz over the three host-order words of an IPv4 + L4 tuple. */
static inline uint32_t
rss_words(const struct net_flow_owner *fo, uint32_t src, uint32_t dst,
          uint32_t ports)
{
	uint32_t tuple[RTE_THASH_V4_L4_LEN] = {src, dst, ports};

	return rte_softrss_be(tuple, RTE_THASH_V4_L4_LEN,
	                      (const uint8_t *)fo->key_be);
}

int
net_flow_owner_init(struct net_flow_owner *fo, unsigned n_workers,
                    const uint16_t *reta, unsigned reta_size)
{
	uint32_t key[NET_FLOW_OWNER_KEY_LEN / 4];
	unsigned i;

	if (fo == NULL || n_workers == 0 || n_workers > RTE_MAX_LCORE)
		return -EINVAL;
	if (reta_size == 0 && reta == NULL)
		reta_size = NET_FLOW_OWNER_RETA_DEFAULT;
	if (reta_size == 0 || reta_size > NET_FLOW_OWNER_RETA_MAX ||
	    (reta_size & (reta_size - 1)) != 0)
		return -EINVAL;
	for (i = 0; reta != NULL && i < reta_size; i++)
		if (reta[i] >= n_workers)
			return -EINVAL;

	memset(fo, 0, sizeof(*fo));
	fo->n_workers = n_workers;
	fo->reta_size = reta_size;
	for (i = 0; i < reta_size; i++)
		fo->reta[i] =
		    reta != NULL ? reta[i] : (uint16_t)(i % n_workers);
	memcpy(key, net_flow_owner_key_symmetric, sizeof(key));
	rte_convert_rss_key(key, fo->key_be, NET_FLOW_OWNER_KEY_LEN);
	for (i = 0; i < 256; i++) {
		fo->port_hash[0][i] = rss_words(fo, 0, 0, i);
		fo->port_hash[1][i] = rss_words(fo, 0, 0, i << 8);
	}
	fo->magic = NET_FLOW_OWNER_MAGIC;
	return 0;
}

uint32_t
net_flow_owner_hash(const struct net_flow_owner *fo, uint32_t src_ip_be,
                    uint32_t dst_ip_be, uint16_t src_port_be,
                    uint16_t dst_port_be)
{
	GH_CHECK_OBJ_NOTNULL(fo, NET_FLOW_OWNER_MAGIC);
	return rss_words(fo, rte_be_to_cpu_32(src_ip_be),
	                 rte_be_to_cpu_32(dst_ip_be),
	                 (uint32_t)rte_be_to_cpu_16(src_port_be) << 16 |
	                     rte_be_to_cpu_16(dst_port_be));
}

unsigned
net_flow_owner_of_flow(const struct net_flow_owner *fo,
                       const struct net_flow_key *k)
{
	GH_VERIFY(k != NULL);
	/* The direction the NIC sees on receive; symmetric anyway. */
	return net_flow_owner_of_hash(
	    fo, net_flow_owner_hash(fo, k->remote_ip_be, k->local_ip_be,
	                            k->remote_port_be, k->local_port_be));
}

int
net_flow_ports_init(struct net_flow_ports *pp, const struct net_flow_owner *fo,
                    unsigned worker, uint16_t lo, uint16_t hi)
{
	ssize_t n;

	GH_CHECK_OBJ_NOTNULL(fo, NET_FLOW_OWNER_MAGIC);
	if (pp == NULL || worker >= fo->n_workers || lo == 0 || lo > hi)
		return -EINVAL;
	memset(pp, 0, sizeof(*pp));
	/* up to 256 bytes: never interrupted once the pool is ready */
	n = getrandom(pp->key, sizeof(pp->key), 0);
	if (n < 0)
		return -errno;
	if ((size_t)n != sizeof(pp->key))
		return -EIO;
	pp->worker = (uint16_t)worker;
	pp->lo = lo;
	pp->hi = hi;
	pp->magic = NET_FLOW_PORTS_MAGIC;
	return 0;
}

/* RFC 6056's F and G in one keyed hash of the destination. */
struct net_flow_dest {
	uint32_t local_ip_be;
	uint32_t remote_ip_be;
	uint16_t remote_port_be;
	uint16_t pad;
};

int
net_flow_port_choose(const struct net_flow_owner *fo, struct net_flow_ports *pp,
                     struct net_flow_key *k, net_flow_in_use_cb in_use,
                     void *arg)
{
	struct net_flow_dest d;
	uint32_t base, h, n, range, off;
	uint16_t p, saved, *ctr;
	uint64_t fg;

	GH_CHECK_OBJ_NOTNULL(fo, NET_FLOW_OWNER_MAGIC);
	GH_CHECK_OBJ_NOTNULL(pp, NET_FLOW_PORTS_MAGIC);
	GH_VERIFY(k != NULL);

	memset(&d, 0, sizeof(d));
	d.local_ip_be = k->local_ip_be;
	d.remote_ip_be = k->remote_ip_be;
	d.remote_port_be = k->remote_port_be;
	fg = gh_siphash(pp->key, &d, sizeof(d));
	ctr = &pp->table[(fg >> 56) & (NET_FLOW_PORT_TABLE - 1)];

	/* Hash of the answers (remote -> local) with local port 0. */
	base = rss_words(fo, rte_be_to_cpu_32(k->remote_ip_be),
	                 rte_be_to_cpu_32(k->local_ip_be),
	                 (uint32_t)rte_be_to_cpu_16(k->remote_port_be) << 16);
	range = (uint32_t)(pp->hi - pp->lo) + 1;
	saved = k->local_port_be;
	off = (uint32_t)(((uint32_t)fg + *ctr) % range);
	p = (uint16_t)(pp->lo + off);
	for (n = 0; n < range; n++) {
		h = base ^ fo->port_hash[0][p & 0xff] ^
		    fo->port_hash[1][p >> 8];
		if (net_flow_owner_of_hash(fo, h) == pp->worker) {
			k->local_port_be = rte_cpu_to_be_16(p);
			if (in_use == NULL || !in_use(arg, k)) {
				/* next time from the port after this one */
				*ctr = (uint16_t)(*ctr + n + 1);
				return 0;
			}
		}
		p = p == pp->hi ? pp->lo : p + 1;
	}
	k->local_port_be = saved;
	return -EADDRNOTAVAIL;
}
