/*
 * Handing mbuf chains to a leg's TCP, shared by the relay (proxy.c) and the
 * forward proxy (forward.c).
 */
#include <errno.h>

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

int
proxy_chain_append(struct rte_mbuf **q, struct rte_mbuf *m)
{
	if (*q == NULL) {
		*q = m;
		return 0;
	}
	return rte_pktmbuf_chain(*q, m) == 0 ? 0 : -EOVERFLOW;
}
