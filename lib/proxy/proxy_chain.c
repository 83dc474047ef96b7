/*
 * Handing mbuf chains to a leg's TCP, shared by the relay (proxy.c) and the
 * forward proxy (forward.c).
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <rte_mbuf.h>

#include "proxy_chain.h"

uint32_t
proxy_chain_send(struct tcp_conn *c, struct rte_mbuf **q)
{
	uint32_t done = 0;

	while (*q != NULL) {
		struct rte_mbuf *m = *q, *rest = m->next;
		uint32_t len = rte_pktmbuf_pkt_len(m);

		if (tcp_send(c, m) == 0) {
			*q = NULL;
			return done + len;
		}
		if (rest == NULL || tcp_send_space(c) < m->data_len)
			break;
		/* Split the head mbuf off the chain and send it alone. */
		rest->pkt_len = m->pkt_len - m->data_len;
		rest->nb_segs = (uint16_t)(m->nb_segs - 1);
		m->next = NULL;
		m->pkt_len = m->data_len;
		m->nb_segs = 1;
		if (tcp_send(c, m) != 0) {
			m->next = rest;
			m->pkt_len += rest->pkt_len;
			m->nb_segs = (uint16_t)(m->nb_segs + rest->nb_segs);
			break;
		}
		*q = rest;
		done += m->data_len;
	}
	return done;
}

/*
 * Copy the single-segment <m> (at most PROXY_COALESCE_MAX bytes) into the
 * tailroom of <tail>, the last segment of <head>, when that buffer is ours
 * alone (direct, one reference: no indirect mbuf or TCP retransmit queue
 * sees it).  Returns true when <m> was absorbed (and freed).
 */
static bool
chain_coalesce(struct rte_mbuf *head, struct rte_mbuf *tail, struct rte_mbuf *m)
{
	uint16_t n = m->data_len;

	if (m->nb_segs != 1 || n > PROXY_COALESCE_MAX ||
	    n > rte_pktmbuf_tailroom(tail) || !RTE_MBUF_DIRECT(tail) ||
	    rte_mbuf_refcnt_read(tail) != 1)
		return false;
	memcpy(rte_pktmbuf_mtod_offset(tail, char *, tail->data_len),
	       rte_pktmbuf_mtod(m, const char *), n);
	tail->data_len = (uint16_t)(tail->data_len + n);
	head->pkt_len += n;
	rte_pktmbuf_free(m);
	return true;
}

int
proxy_chain_append(struct rte_mbuf **q, struct rte_mbuf *m)
{
	if (*q == NULL) {
		*q = m;
		return 0;
	}
	if (chain_coalesce(*q, rte_pktmbuf_lastseg(*q), m))
		return 0;
	return rte_pktmbuf_chain(*q, m) == 0 ? 0 : -EOVERFLOW;
}
