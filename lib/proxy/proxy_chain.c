/*
 * The mbuf-chain helpers of lib/proxy, shared by the relay (proxy.c), the
 * forward proxy (fwd_*.c) and the splice (proxy_splice.c): handing a
 * chain to a leg's TCP, queueing with small segments coalesced, trimming,
 * cutting off a first piece, and flattening a head for the parser.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <rte_mbuf.h>

#include "common/gh_common.h"
#include "common/gh_mbuf.h"
#include "proxy_chain.h"

uint32_t
proxy_chain_send(struct tcp_conn *c, struct rte_mbuf **q)
{
	struct rte_mbuf *m = *q, *last, *rest;
	uint32_t len, space;
	uint16_t n = 1;

	if (m == NULL)
		return 0;
	len = rte_pktmbuf_pkt_len(m);
	if (tcp_send(c, m) == 0) {
		*q = NULL;
		return len;
	}
	/* Split off the longest run of whole mbufs the send queue takes
	 * and hand it over in one call (one walk, one tcp_output): once TCP
	 * took it, it is TCP's (small ones copied into its last buffer). */
	space = tcp_send_space(c);
	len = m->data_len;
	if (len > space)
		return 0;
	for (last = m;
	     last->next != NULL && len + last->next->data_len <= space;
	     last = last->next) {
		len += last->next->data_len;
		n++;
	}
	rest = last->next;
	GH_ASSERT(rest != NULL); /* the whole chain did not fit */
	rest->pkt_len = m->pkt_len - len;
	rest->nb_segs = (uint16_t)(m->nb_segs - n);
	last->next = NULL;
	m->pkt_len = len;
	m->nb_segs = n;
	if (tcp_send(c, m) != 0) {
		last->next = rest;
		m->pkt_len += rest->pkt_len;
		m->nb_segs = (uint16_t)(m->nb_segs + rest->nb_segs);
		return 0;
	}
	*q = rest;
	return len;
}

/* proxy_chain_append() onto *q whose last mbuf is <tail> (NULL when *q
 * is empty); the new last one in *tailp. */
static int
chain_append(struct rte_mbuf **q, struct rte_mbuf *tail, struct rte_mbuf *m,
             struct rte_mbuf **tailp)
{
	if (*q != NULL &&
	    (uint32_t)(*q)->nb_segs + m->nb_segs > RTE_MBUF_MAX_NB_SEGS)
		return -EOVERFLOW;
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
	*tailp = tail;
	return 0;
}

int
proxy_chain_append_tail(struct rte_mbuf **q, struct rte_mbuf **tail,
                        struct rte_mbuf *m)
{
	if (*q == NULL)
		*tail = NULL;
	else if (*tail == NULL) /* not known yet: one walk */
		*tail = rte_pktmbuf_lastseg(*q);
	GH_ASSERT(*q == NULL || *tail == rte_pktmbuf_lastseg(*q));
	return chain_append(q, *tail, m, tail);
}

int
proxy_chain_append(struct rte_mbuf **q, struct rte_mbuf *m)
{
	struct rte_mbuf *tail = NULL; /* not known: found by one walk */

	return proxy_chain_append_tail(q, &tail, m);
}

/*
 * A segment proxy_chain_trim() is done with.  Debug builds fill the bytes of a
 * segment nobody else shares before it goes back to the pool, so a
 * pointer into it used afterwards reads garbage in the unit tests instead
 * of passing by luck (the pool recycles buffers, ASan does not see them).
 */
static void
chain_seg_release(struct rte_mbuf *m)
{
#ifdef GH_ENABLE_ASSERT
	if (RTE_MBUF_DIRECT(m) && rte_mbuf_refcnt_read(m) == 1)
		memset(rte_pktmbuf_mtod(m, char *), 0x5a, m->data_len);
#endif
	rte_pktmbuf_free_seg(m);
}

/* Drop the first <n> bytes of *q (n <= its length). */
void
proxy_chain_trim(struct rte_mbuf **q, uint32_t n)
{
	struct rte_mbuf *m = *q;

	GH_VERIFY(n <= proxy_chain_len(m));
	while (n > 0) {
		if (n >= m->data_len) {
			struct rte_mbuf *next = m->next;
			uint32_t pkt_len = m->pkt_len - m->data_len;
			uint16_t nb = (uint16_t)(m->nb_segs - 1);

			n -= m->data_len;
			m->next = NULL;
			chain_seg_release(m);
			m = next;
			if (m != NULL) {
				m->pkt_len = pkt_len;
				m->nb_segs = nb;
			}
			continue;
		}
		m->data_off = (uint16_t)(m->data_off + n);
		m->data_len = (uint16_t)(m->data_len - n);
		m->pkt_len -= n;
		n = 0;
	}
	/* Empty segments left in front carry nothing. */
	while (m != NULL && m->data_len == 0 && m->next != NULL) {
		struct rte_mbuf *next = m->next;

		next->pkt_len = m->pkt_len;
		next->nb_segs = (uint16_t)(m->nb_segs - 1);
		m->next = NULL;
		chain_seg_release(m);
		m = next;
	}
	if (m != NULL && m->pkt_len == 0) {
		chain_seg_release(m);
		m = NULL;
	}
	*q = m;
}

/*
 * Take the first <n> bytes (n <= data_len of the first segment) of *q as
 * a chain of their own; a partial segment is shared through an indirect
 * mbuf, not copied.  Returns NULL when no mbuf was left (nothing moved).
 */
struct rte_mbuf *
proxy_chain_take_seg(struct rte_mbuf **q, uint32_t n, struct rte_mempool *pool)
{
	struct rte_mbuf *m = *q, *mi;

	GH_VERIFY(m != NULL && n > 0 && n <= m->data_len);
	if (n == m->data_len) {
		struct rte_mbuf *next = m->next;

		if (next != NULL) {
			next->pkt_len = m->pkt_len - m->data_len;
			next->nb_segs = (uint16_t)(m->nb_segs - 1);
		}
		m->next = NULL;
		m->pkt_len = m->data_len;
		m->nb_segs = 1;
		*q = next;
		return m;
	}
	mi = rte_pktmbuf_alloc(pool);
	if (mi == NULL)
		return NULL;
	rte_pktmbuf_attach(mi, m);
	mi->data_len = (uint16_t)n;
	mi->pkt_len = n;
	mi->next = NULL;
	mi->nb_segs = 1;
	m->data_off = (uint16_t)(m->data_off + n);
	m->data_len = (uint16_t)(m->data_len - n);
	m->pkt_len -= n;
	return mi;
}

/*
 * The bytes of *q as one buffer of at most <cap> bytes, for the head
 * parser: the first segment's data when it holds them all or a whole head
 * (no copy), else a copy into <scratch>.  Sets *len.
 */
const char *
proxy_chain_flat(const struct rte_mbuf *q, char *scratch, uint32_t cap,
                 uint32_t *len)
{
	uint32_t n = 0;

	/* No copy either when the first segment holds a whole head (the
	 * parser needs no more): interim heads queued behind each other. */
	if (q->next == NULL || memmem(rte_pktmbuf_mtod(q, const char *),
	                              q->data_len, "\r\n\r\n", 4) != NULL) {
		*len = q->data_len;
		return rte_pktmbuf_mtod(q, const char *);
	}
	for (; q != NULL && n < cap; q = q->next) {
		uint32_t k = q->data_len;

		if (k > cap - n)
			k = cap - n;
		memcpy(scratch + n, rte_pktmbuf_mtod(q, const char *), k);
		n += k;
	}
	*len = n;
	return scratch;
}

/* Whether the bytes of <q> from offset <from> on hold a line feed. */
bool
proxy_chain_has_lf(const struct rte_mbuf *q, uint32_t from)
{
	for (; q != NULL; q = q->next) {
		if (from >= q->data_len) {
			from -= q->data_len;
			continue;
		}
		if (memchr(rte_pktmbuf_mtod_offset(q, const char *, from), '\n',
		           q->data_len - from) != NULL)
			return true;
		from = 0;
	}
	return false;
}
