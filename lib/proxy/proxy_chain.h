/*
 * Handing mbuf chains to TCP (proxy_chain.c), private to lib/proxy.
 */
#ifndef GH_PROXY_CHAIN_H
#define GH_PROXY_CHAIN_H

#include <stdint.h>

#include <rte_mbuf.h>

#include "tcp/tcp.h"

/*
 * Offer the chain *q to <c>: the whole chain, else one mbuf at a time
 * while they fit.  The whole chain is always offered first: a refusal is
 * what makes TCP call on_writable once room opens, so a leg never waits
 * without being woken.  What TCP took leaves *q.  Returns its bytes.
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

#endif /* GH_PROXY_CHAIN_H */
