/*
 * Handing mbuf chains to a leg's TCP, shared by the relay (proxy.c) and the
 * forward proxy (forward.c).
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <rte_mbuf.h>

#include "common/gh_mbuf.h"
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
	struct rte_mbuf *tail = NULL;

	if (*q != NULL) {
		if ((uint32_t)(*q)->nb_segs + m->nb_segs > RTE_MBUF_MAX_NB_SEGS)
			return -EOVERFLOW;
		tail = rte_pktmbuf_lastseg(*q);
	}
	/* Segment by segment: small ones are copied into the last buffer
	 * (gh_mbuf_compact), the others linked. */
	while (m != NULL) {
		struct rte_mbuf *seg = m, *put;
		uint32_t len = seg->data_len;

		m = seg->next;
		if (m != NULL) {
			m->pkt_len = seg->pkt_len - len;
			m->nb_segs = (uint16_t)(seg->nb_segs - 1);
		}
		seg->next = NULL;
		seg->nb_segs = 1;
		seg->pkt_len = len;
		put = gh_mbuf_compact(tail, seg);
		if (*q == NULL) {
			*q = put;
		} else {
			(*q)->pkt_len += len;
			if (put != tail) {
				tail->next = put;
				(*q)->nb_segs++;
			}
		}
		tail = put;
	}
	return 0;
}
