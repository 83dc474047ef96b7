/*
 * Splicing two TCP legs byte for byte (proxy_splice.c), private to
 * lib/proxy: the L4 relay and the echo service (proxy.c), the forward
 * proxy's CONNECT tunnel, SOCKS later.
 *
 * The backpressure rule of every splice: spliced bytes never wait in a
 * queue of ours.  What one leg received stays in its in queue, unreleased
 * (no tcp_recved), until the other leg's TCP takes it; then, and by what
 * it took, the source is released, so a slow destination closes the
 * source's receive window and a splice holds at most one receive window
 * per direction beside the TCP send buffers.  A leg's out queue holds only
 * what its owner wrote itself (the CONNECT 200): it drains first, and
 * nothing is spliced past it.
 *
 * Threading: the worker's own, like the legs' TCP stack.
 */
#ifndef GH_PROXY_SPLICE_H
#define GH_PROXY_SPLICE_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "tcp/tcp.h"

/*
 * One leg of a splice, as its owner keeps it: the owner builds the two
 * legs from its own state before proxy_splice_push() and reads back the
 * outputs after.  Echo is a connection spliced to itself: two legs with
 * the same conn, the first with its in queue, the second with its shut.
 */
struct proxy_splice_leg {
	struct tcp_conn *conn; /* NULL: closed (its in queue may still go) */
	struct rte_mbuf **in;  /* received from it, not taken yet */
	struct rte_mbuf **out; /* the owner's own bytes for it; *out may be
	                          NULL, out may not */
	bool fin;              /* its peer sent FIN */
	bool shut;             /* in and out: we sent FIN on it */
	uint64_t moved;        /* out: bytes of *in the other leg's TCP took */
	uint64_t sent; /* out: bytes its TCP took (out queue, spliced) */
};

/*
 * Splice both ways, <leg>[0] to [1] and [1] to [0]: each out queue to its
 * TCP, then each in queue to the other leg's TCP (once that leg's out
 * queue is empty), releasing the source by what was taken; then pass a
 * FIN on once all bytes before it went (shut set, tcp_shutdown() called).
 * Bytes for a leg that is closed or shut stay where they are: the owner
 * frees them.  Adds to the legs' moved and sent.
 */
void proxy_splice_push(struct proxy_splice_leg leg[2]);

#endif /* GH_PROXY_SPLICE_H */
