/*
 * Compacting small segments into buffers (header-only), shared by the TCP
 * send queue (lib/tcp) and the proxy's queues (lib/proxy).  A peer that
 * sends tiny segments must not make us hold one mbuf per segment: every
 * queue that keeps bytes for later copies a small segment into the spare
 * room of its last buffer, as Linux collapses its queues.  Large segments
 * stay zero-copy.  Callers include rte_mbuf.h (they all link DPDK).
 */
#ifndef GH_MBUF_H
#define GH_MBUF_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_mbuf.h>

/* Segments of at most this many bytes are copied, larger ones linked. */
#define GH_MBUF_SMALL 512u

/* Whether <m> may take <n> more bytes in place: a direct buffer nobody
 * else references (no indirect clone in flight or elsewhere), with room. */
static inline bool
gh_mbuf_has_room(const struct rte_mbuf *m, uint32_t n)
{
	return m != NULL && RTE_MBUF_DIRECT(m) &&
	       rte_mbuf_refcnt_read(m) == 1 && rte_pktmbuf_tailroom(m) >= n;
}

/* Append the bytes of the one segment <seg> to <m> (gh_mbuf_has_room()
 * was true).  Only m->data_len changes: a chain head's pkt_len is the
 * caller's. */
static inline void
gh_mbuf_put(struct rte_mbuf *m, const struct rte_mbuf *seg)
{
	memcpy(rte_pktmbuf_mtod_offset(m, char *, m->data_len),
	       rte_pktmbuf_mtod(seg, const char *), seg->data_len);
	m->data_len = (uint16_t)(m->data_len + seg->data_len);
}

/*
 * Free the one segment <seg> whose bytes were copied elsewhere.  Debug
 * builds (asserts on) zero its lengths first when nobody else holds it,
 * so a caller that reads them afterwards gets 0 in the unit tests instead
 * of a stale value by luck (the pool recycles buffers; ASan does not see
 * them).
 */
static inline void
gh_mbuf_release_seg(struct rte_mbuf *seg)
{
#ifdef GH_ENABLE_ASSERT
	if (rte_mbuf_refcnt_read(seg) == 1) {
		seg->data_len = 0;
		seg->pkt_len = 0;
	}
#endif
	rte_pktmbuf_free_seg(seg);
}

/*
 * Where the single segment <seg> (next == NULL) goes at the end of a queue
 * whose last buffer is <tail> (NULL when empty):
 *  - returns <tail>: a small <seg> was copied into it and freed;
 *  - returns a fresh direct buffer holding a copy of a small <seg> that
 *    could not be copied into <tail> and is not itself a buffer we may
 *    fill (indirect or shared); <seg> was freed: link the fresh one;
 *  - returns <seg>: link it (large, or a small direct one that later small
 *    segments fill, or no buffer could be had for the copy).
 */
static inline struct rte_mbuf *
gh_mbuf_compact(struct rte_mbuf *tail, struct rte_mbuf *seg)
{
	struct rte_mbuf *fresh;

	if (seg->data_len > GH_MBUF_SMALL)
		return seg;
	if (gh_mbuf_has_room(tail, seg->data_len)) {
		gh_mbuf_put(tail, seg);
		gh_mbuf_release_seg(seg);
		return tail;
	}
	if (RTE_MBUF_DIRECT(seg) && rte_mbuf_refcnt_read(seg) == 1)
		return seg;
	fresh = rte_pktmbuf_alloc(seg->pool);
	if (fresh == NULL)
		return seg;
	gh_mbuf_put(fresh, seg);
	fresh->pkt_len = fresh->data_len;
	gh_mbuf_release_seg(seg);
	return fresh;
}

#endif /* GH_MBUF_H */
