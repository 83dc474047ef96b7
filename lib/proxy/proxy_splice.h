/*
 * Splicing two TCP legs byte for byte (proxy_splice.c), private to
 * lib/proxy: the forward proxy's CONNECT tunnel today, SOCKS later.
 *
 * The backpressure rule of the whole layer: at most PROXY_OUT_MAX bytes
 * wait in a leg's out queue for its TCP; while more wait, the bytes from
 * the other leg stay in its in queue unreleased (no tcp_recved), so that
 * leg's receive window closes.  The forward proxy's request and response
 * stages follow the same rule (FWD_OUT_MAX).
 *
 * Threading: the worker's own, like the legs' TCP stack.
 */
#ifndef GH_PROXY_SPLICE_H
#define GH_PROXY_SPLICE_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "tcp/tcp.h"

#define PROXY_OUT_MAX (64u * 1024) /* bytes waiting for a leg's TCP */

/*
 * One leg of a splice, as its owner keeps it: the owner builds the two
 * legs from its own state before proxy_splice_push() and reads back the
 * outputs after.
 */
struct proxy_splice_leg {
	struct tcp_conn *conn; /* NULL: closed (its queues may still drain) */
	struct rte_mbuf **in;  /* received from it, not moved yet */
	struct rte_mbuf **out; /* for it, not taken by its TCP yet */
	bool fin;              /* its peer sent FIN */
	bool shut;             /* in and out: we sent FIN on it */
	uint64_t moved;        /* out: bytes moved from *in to the other leg */
	uint64_t sent;         /* out: bytes its TCP took from *out */
};

/*
 * Splice both ways, <leg>[0] to [1] and [1] to [0], again while the legs'
 * TCP take everything (bounded), within PROXY_OUT_MAX; then pass a FIN on
 * once all bytes before it went (shut set, tcp_shutdown() called).  A
 * chain that cannot be appended (more segments than a chain holds) stays
 * where it was.  Adds to the legs' moved and sent.
 */
void proxy_splice_push(struct proxy_splice_leg leg[2]);

#endif /* GH_PROXY_SPLICE_H */
