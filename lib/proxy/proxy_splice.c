/*
 * Splicing two TCP legs byte for byte (see proxy_splice.h): what one leg
 * received moves, as the mbufs it came in, to the other leg's out queue
 * while that holds less than PROXY_OUT_MAX bytes, and on to its TCP; a
 * FIN follows once everything before it went.
 */
#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "common/gh_common.h"
#include "proxy_chain.h"
#include "proxy_splice.h"

#define SPLICE_ROUNDS 64 /* moves per push: fairness between sessions */

/* Move what <src> received to <dst>'s out queue, within the limit. */
static void
splice_move(struct proxy_splice_leg *src, struct proxy_splice_leg *dst)
{
	uint32_t n;

	if (*src->in == NULL || proxy_chain_len(*dst->out) >= PROXY_OUT_MAX)
		return;
	n = proxy_chain_len(*src->in);
	if (proxy_chain_append(dst->out, *src->in) < 0)
		return; /* kept: tried again once the queue drained */
	*src->in = NULL;
	if (src->conn != NULL) /* gone after a clean close */
		tcp_recved(src->conn, n);
	src->moved += n;
}

/* Hand <l>'s out queue to its TCP. */
static void
splice_flush(struct proxy_splice_leg *l)
{
	if (l->conn != NULL && *l->out != NULL)
		l->sent += proxy_chain_send(l->conn, l->out);
}

/* <src>'s FIN goes on to <dst> once all before it went. */
static void
splice_fin(struct proxy_splice_leg *src, struct proxy_splice_leg *dst)
{
	if (src->fin && *src->in == NULL && *dst->out == NULL &&
	    dst->conn != NULL && !dst->shut) {
		dst->shut = true;
		tcp_shutdown(dst->conn);
	}
}

void
proxy_splice_push(struct proxy_splice_leg leg[2])
{
	unsigned rounds = 0;

	do {
		splice_move(&leg[0], &leg[1]);
		splice_move(&leg[1], &leg[0]);
		splice_flush(&leg[0]);
		splice_flush(&leg[1]);
	} while (((*leg[0].in != NULL && *leg[1].out == NULL) ||
	          (*leg[1].in != NULL && *leg[0].out == NULL)) &&
	         ++rounds < SPLICE_ROUNDS);
	splice_fin(&leg[0], &leg[1]);
	splice_fin(&leg[1], &leg[0]);
}
