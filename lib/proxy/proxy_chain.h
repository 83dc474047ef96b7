/*
 * The mbuf-chain helpers (proxy_chain.c), private to lib/proxy.
 */
#ifndef GH_PROXY_CHAIN_H
#define GH_PROXY_CHAIN_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "tcp/tcp.h"

/*
 * Offer the chain *q to <c>: the whole chain, else the longest run of
 * whole mbufs from its head that fits, in one call.  The whole chain is always
 * offered first: a refusal is what makes TCP call on_writable once room opens,
 * so a leg never waits without being woken.  What TCP took leaves *q.  Returns
 * its bytes.
 */
uint32_t proxy_chain_send(struct tcp_conn *c, struct rte_mbuf **q);

/* Append the chain <m> to *q (which may be empty).  Segments of up to
 * GH_MBUF_SMALL bytes are copied into the last buffer of *q (or a fresh
 * one) and freed (see common/gh_mbuf.h): a peer sending tiny segments
 * holds about one mbuf per buffer of bytes, not one per segment; <m> is
 * not to be touched after a 0 return.  Returns 0, or -EOVERFLOW when the
 * result could hold more segments than an mbuf chain can (nothing
 * changes; <m> stays the caller's). */
int proxy_chain_append(struct rte_mbuf **q, struct rte_mbuf *m);

/* proxy_chain_append() for a queue whose last mbuf the caller keeps in
 * *tail (any value while *q is empty, NULL when not known: found once;
 * set on return 0): no walk to the end
 * of a long queue per arriving segment (a relay leg behind a slow peer
 * holds up to a receive window of them).  Only for queues nothing but
 * this and proxy_chain_send() change: sending takes a run from the head
 * and leaves the last mbuf where it is, or empties the queue. */
int proxy_chain_append_tail(struct rte_mbuf **q, struct rte_mbuf **tail,
                            struct rte_mbuf *m);

/* The bytes of chain <m>; 0 for NULL (an empty queue). */
static inline uint32_t
proxy_chain_len(const struct rte_mbuf *m)
{
	return m != NULL ? rte_pktmbuf_pkt_len(m) : 0;
}

/* Drop the first <n> bytes of *q (n <= its length; GH_VERIFY).  Debug
 * builds poison the bytes of a released segment nobody else shares. */
void proxy_chain_trim(struct rte_mbuf **q, uint32_t n);

/*
 * Take the first <n> bytes (0 < n <= data_len of the first segment) of *q
 * as a chain of their own; a partial segment is shared through an
 * indirect mbuf from <pool>, not copied.  Returns NULL when no mbuf was
 * left (nothing moved).
 */
struct rte_mbuf *proxy_chain_take_seg(struct rte_mbuf **q, uint32_t n,
                                      struct rte_mempool *pool);

/*
 * The bytes of <q> (not NULL) as one buffer of at most <cap> bytes, for
 * the head parser: the first segment's data when it holds them all or a
 * whole head (no copy), else a copy into <scratch>.  Sets *len.  Returns
 * the buffer.
 */
const char *proxy_chain_flat(const struct rte_mbuf *q, char *scratch,
                             uint32_t cap, uint32_t *len);

/* Whether the bytes of <q> from offset <from> on hold a line feed. */
bool proxy_chain_has_lf(const struct rte_mbuf *q, uint32_t from);

#endif /* GH_PROXY_CHAIN_H */
