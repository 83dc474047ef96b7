/*
 * Splicing two TCP legs byte for byte (see proxy_splice.h): what one leg
 * received goes, as the mbufs it came in, straight to the other leg's TCP
 * (proxy_chain_send) and is released on the source by what that TCP took;
 * a FIN follows once everything before it went.
 */
#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "proxy_chain.h"
#include "proxy_splice.h"

/* Hand <l>'s out queue (the owner's own bytes) to its TCP. */
static void
splice_flush(struct proxy_splice_leg *l)
{
	if (l->conn != NULL && *l->out != NULL)
		l->sent += proxy_chain_send(l->conn, l->out);
}

/* What <src> received to <dst>'s TCP, behind <dst>'s own bytes. */
static void
splice_pass(struct proxy_splice_leg *src, struct proxy_splice_leg *dst)
{
	uint32_t n;

	if (*src->in == NULL || *dst->out != NULL || dst->conn == NULL ||
	    dst->shut)
		return;
	n = proxy_chain_send(dst->conn, src->in);
	if (n == 0)
		return;
	if (src->conn != NULL) /* gone after a clean close */
		tcp_recved(src->conn, n);
	src->moved += n;
	dst->sent += n;
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
	splice_flush(&leg[0]);
	splice_flush(&leg[1]);
	splice_pass(&leg[0], &leg[1]);
	splice_pass(&leg[1], &leg[0]);
	splice_fin(&leg[0], &leg[1]);
	splice_fin(&leg[1], &leg[0]);
}
