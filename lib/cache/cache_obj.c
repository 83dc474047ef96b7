/*
 * Cached objects (see cache_obj.h): allocation from the index's arena,
 * filling, reference counting, and the zero-copy send path that hands
 * segments to DPDK as external buffers.
 *
 * IOVA: a segment records iova == its virtual address when EAL runs in
 * IOVA-as-VA mode, else RTE_BAD_IOVA.  That is enough for the PMDs that
 * copy (af_packet memcpys each segment in tx_burst) and for unit tests,
 * which never DMA.  A NIC that DMAs from these segments needs the arena's
 * memory registered first: rte_extmem_register() on page-aligned extents
 * (jemalloc's extent hooks would have to hand them out) and
 * rte_dev_dma_map() for every device, or an external heap added with
 * rte_malloc_heap_memory_add(); and the budget must then count bytes
 * waiting for TX completion.  Not done here.
 */
#include <errno.h>
#include <string.h>

#include <jemalloc/jemalloc.h>
#include <rte_common.h>
#include <rte_eal.h>
#include <rte_mbuf.h>

#include "cache/cache_index.h"
#include "cache/cache_index_priv.h"
#include "cache/cache_obj.h"
#include "common/gh_siphash.h"

#define CACHE_POISON_BYTE 0x5a

int
cache_key_build(uint8_t *buf, size_t cap, const char *method, size_t method_len,
                const char *uri, size_t uri_len)
{
	size_t len;

	if (method_len == 0 || uri_len == 0)
		return -EINVAL;
	len = method_len + 1 + uri_len;
	if (len < uri_len || len > cap || len > CACHE_KEY_MAX_BYTES)
		return -ENAMETOOLONG;
	memcpy(buf, method, method_len);
	buf[method_len] = ' ';
	memcpy(buf + method_len + 1, uri, uri_len);
	return (int)len;
}

struct cache_obj *
cache_obj_create(struct cache_index *ci, const uint8_t *key, size_t key_len,
                 const void *head, size_t head_len, uint64_t body_hint)
{
	struct cache_obj *obj;
	size_t bytes;

	GH_CHECK_OBJ_NOTNULL(ci, CACHE_INDEX_MAGIC);
	if (key == NULL || key_len == 0 || key_len > CACHE_KEY_MAX_BYTES ||
	    head_len > CACHE_HEAD_MAX_BYTES || (head == NULL && head_len > 0)) {
		errno = EINVAL;
		return NULL;
	}
	bytes = sizeof(*obj) + key_len + head_len;
	obj = mallocx(bytes, cache_arena_flags(ci));
	if (obj == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	memset(obj, 0, sizeof(*obj));
	obj->magic = CACHE_OBJ_MAGIC;
	obj->state = CACHE_OBJ_BUSY;
	urcu_ref_init(&obj->ref);
	cds_lfht_node_init(&obj->node);
	obj->ci = ci;
	obj->key = (uint8_t *)(obj + 1);
	obj->head = obj->key + key_len;
	memcpy(obj->key, key, key_len);
	if (head_len > 0)
		memcpy(obj->head, head, head_len);
	obj->key_len = (uint32_t)key_len;
	obj->head_len = (uint32_t)head_len;
	obj->hash = cache_index_hash(ci, key, key_len);
	obj->body_hint = body_hint;
	obj->alloc_bytes = bytes;
	obj->mem_bytes = bytes;
	uatomic_add(&ci->live_objects, 1);
	uatomic_add(&ci->live_bytes, bytes);
	return obj;
}

/* DPDK's free_cb: worker w's descriptor of <opaque>'s segment fell to 0. */
static void
seg_free_cb(void *addr, void *opaque)
{
	struct cache_seg *seg = opaque;

	(void)addr;
	GH_CHECK_OBJ_NOTNULL(seg, CACHE_SEG_MAGIC);
	cache_obj_put(seg->obj);
}

/* Bytes of a segment's header and descriptors, rounded to a cache line. */
static size_t
seg_hdr_bytes(const struct cache_index *ci)
{
	size_t b =
	    sizeof(struct cache_seg) +
	    (size_t)ci->n_workers * sizeof(struct rte_mbuf_ext_shared_info);

	return RTE_ALIGN_CEIL(b, RTE_CACHE_LINE_SIZE);
}

/*
 * Capacity of the next segment, to take <want> bytes after <body> bytes in
 * segments the last of which has <prev_cap> (0: none): what the size hint
 * <hint> leaves, else twice the last segment, from CACHE_SEG_MIN_BYTES; at
 * least <want>, at most CACHE_SEG_MAX_BYTES.
 */
static uint32_t
seg_cap_for(uint64_t hint, uint64_t body, uint32_t prev_cap, uint64_t want)
{
	uint64_t cap;

	if (hint > body)
		cap = hint - body;
	else
		cap = prev_cap == 0 ? CACHE_SEG_MIN_BYTES
		                    : 2 * (uint64_t)prev_cap;
	cap = RTE_MAX(cap, want);
	return (uint32_t)RTE_MIN(cap, (uint64_t)CACHE_SEG_MAX_BYTES);
}

/* Capacity of the last segment of <obj>, 0 when it has none. */
static uint32_t
last_cap(const struct cache_obj *obj)
{
	return obj->n_segs > 0 ? obj->segs[obj->n_segs - 1]->cap : 0;
}

/* Add an empty segment of <cap> bytes to <obj>: 0 or -ENOMEM. */
static int
seg_add(struct cache_obj *obj, uint32_t cap)
{
	struct cache_index *ci = obj->ci;
	size_t hdr = seg_hdr_bytes(ci), bytes = hdr + cap;
	uint64_t charged = 0;
	struct cache_seg *seg;
	uint32_t w;

	if (obj->n_segs == obj->segs_cap) {
		uint32_t ncap = obj->segs_cap == 0 ? 4 : 2 * obj->segs_cap;
		struct cache_seg **t;

		t = mallocx(ncap * sizeof(*t), cache_arena_flags(ci));
		if (t == NULL)
			return -ENOMEM;
		if (obj->n_segs > 0)
			memcpy(t, obj->segs, obj->n_segs * sizeof(*t));
		if (obj->segs != NULL)
			dallocx(obj->segs, cache_arena_flags(ci));
		charged += (uint64_t)(ncap - obj->segs_cap) * sizeof(*t);
		obj->segs = t;
		obj->segs_cap = ncap;
	}
	seg = mallocx(bytes, cache_arena_flags(ci) |
	                         MALLOCX_ALIGN(RTE_CACHE_LINE_SIZE));
	if (seg == NULL) {
		if (charged > 0)
			cache_index_charge(ci, obj, charged);
		return -ENOMEM;
	}
	seg->magic = CACHE_SEG_MAGIC;
	seg->len = 0;
	seg->cap = cap;
	seg->off = obj->body_bytes;
	seg->data = (uint8_t *)seg + hdr;
	seg->iova = rte_eal_iova_mode() == RTE_IOVA_VA
	                ? (rte_iova_t)(uintptr_t)seg->data
	                : RTE_BAD_IOVA;
	seg->obj = obj;
	seg->alloc_bytes = bytes;
	for (w = 0; w < ci->n_workers; w++) {
		seg->shinfo[w].free_cb = seg_free_cb;
		seg->shinfo[w].fcb_opaque = seg;
		rte_mbuf_ext_refcnt_set(&seg->shinfo[w], 0);
	}
	obj->segs[obj->n_segs++] = seg;
	cache_index_charge(ci, obj, charged + bytes);
	return 0;
}

/*
 * What <obj>'s allocations would come to after appending <len> bytes, with
 * segments chosen as seg_cap_for will (and the segment table's growth).
 * The filler alone changes mem_bytes, so it may read it without the lock.
 */
static uint64_t
obj_bytes_after(const struct cache_obj *obj, uint64_t len)
{
	const struct cache_seg *last =
	    obj->n_segs > 0 ? obj->segs[obj->n_segs - 1] : NULL;
	uint64_t total = obj->mem_bytes, body = obj->body_bytes, take;
	uint32_t n = obj->n_segs, tcap = obj->segs_cap, prev = last_cap(obj);

	if (last != NULL) {
		take = RTE_MIN(len, (uint64_t)(last->cap - last->len));
		body += take;
		len -= take;
	}
	while (len > 0) {
		uint32_t cap = seg_cap_for(obj->body_hint, body, prev, len);

		if (n == tcap) {
			uint32_t ncap = tcap == 0 ? 4 : 2 * tcap;

			total += (uint64_t)(ncap - tcap) * sizeof(*obj->segs);
			tcap = ncap;
		}
		total += seg_hdr_bytes(obj->ci) + cap;
		n++;
		prev = cap;
		take = RTE_MIN(len, (uint64_t)cap);
		body += take;
		len -= take;
	}
	return total;
}

int
cache_obj_append(struct cache_obj *obj, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t after;
	int rc;

	GH_CHECK_OBJ_NOTNULL(obj, CACHE_OBJ_MAGIC);
	if (cache_obj_state(obj) != CACHE_OBJ_BUSY)
		return -EINVAL;
	if (len > CACHE_OBJ_MAX_BODY_BYTES - obj->body_bytes)
		return -EFBIG;
	after = obj_bytes_after(obj, len);
	if (after > obj->ci->max_obj_bytes)
		return -EFBIG;
	while (len > 0) {
		struct cache_seg *last =
		    obj->n_segs > 0 ? obj->segs[obj->n_segs - 1] : NULL;
		size_t n;

		if (last == NULL || last->len == last->cap) {
			rc = seg_add(obj, seg_cap_for(obj->body_hint,
			                              obj->body_bytes,
			                              last_cap(obj), len));
			if (rc < 0)
				return rc;
			continue;
		}
		n = RTE_MIN(len, (size_t)(last->cap - last->len));
		memcpy(last->data + last->len, p, n);
		last->len += (uint32_t)n;
		__atomic_store_n(&obj->body_bytes, obj->body_bytes + n,
		                 __ATOMIC_RELEASE);
		p += n;
		len -= n;
	}
	GH_ASSERT(obj->mem_bytes == after);
	return 0;
}

int
cache_obj_complete(struct cache_obj *obj)
{
	uint32_t expect = CACHE_OBJ_BUSY;

	GH_CHECK_OBJ_NOTNULL(obj, CACHE_OBJ_MAGIC);
	if (!__atomic_compare_exchange_n(&obj->state, &expect,
	                                 CACHE_OBJ_COMPLETE, false,
	                                 __ATOMIC_RELEASE, __ATOMIC_RELAXED))
		return -EINVAL;
	return 0;
}

void
cache_obj_get(struct cache_obj *obj)
{
	GH_CHECK_OBJ_NOTNULL(obj, CACHE_OBJ_MAGIC);
	GH_VERIFY(urcu_ref_get_unless_zero(&obj->ref));
}

/* The last reference went: every byte back to the arena, poisoned. */
static void
obj_release(struct urcu_ref *ref)
{
	struct cache_obj *obj = caa_container_of(ref, struct cache_obj, ref);
	struct cache_index *ci = obj->ci;
	int flags = cache_arena_flags(ci);
	uint32_t i, w;

	GH_CHECK_OBJ(obj, CACHE_OBJ_MAGIC);
	GH_VERIFY(!obj->linked);
	for (i = 0; i < obj->n_segs; i++) {
		struct cache_seg *seg = obj->segs[i];

		GH_CHECK_OBJ(seg, CACHE_SEG_MAGIC);
		for (w = 0; w < ci->n_workers; w++)
			GH_VERIFY(rte_mbuf_ext_refcnt_read(&seg->shinfo[w]) ==
			          0);
#ifdef GH_ENABLE_ASSERT
		memset(seg->data, CACHE_POISON_BYTE, seg->cap);
#endif
		seg->magic = CACHE_POISON_MAGIC;
		dallocx(seg, flags);
	}
	if (obj->segs != NULL)
		dallocx(obj->segs, flags);
	uatomic_sub(&ci->live_bytes, obj->mem_bytes);
	uatomic_sub(&ci->live_objects, 1);
	memset(obj, CACHE_POISON_BYTE, obj->alloc_bytes);
	obj->magic = CACHE_POISON_MAGIC;
	dallocx(obj, flags);
}

void
cache_obj_put(struct cache_obj *obj)
{
	if (obj == NULL)
		return;
	GH_CHECK_OBJ(obj, CACHE_OBJ_MAGIC);
	urcu_ref_put(&obj->ref, obj_release);
}

/* Index of the segment holding body offset <off> (< body_bytes). */
static uint32_t
seg_find(const struct cache_obj *obj, uint64_t off)
{
	uint32_t lo = 0, hi = obj->n_segs;

	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (obj->segs[mid]->off <= off)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

struct rte_mbuf *
cache_obj_body_mbufs(struct cache_obj *obj, uint32_t worker, uint64_t off,
                     uint64_t len, struct rte_mempool *pool)
{
	struct rte_mbuf *head = NULL, *tail = NULL, *m;
	uint64_t body;
	uint32_t i;
	int err;

	GH_CHECK_OBJ_NOTNULL(obj, CACHE_OBJ_MAGIC);
	body = cache_obj_body_len(obj);
	if (worker >= obj->ci->n_workers || len == 0 || len > UINT32_MAX ||
	    cache_obj_state(obj) != CACHE_OBJ_COMPLETE || off > body ||
	    len > body - off) {
		errno = EINVAL;
		return NULL;
	}
	for (i = seg_find(obj, off); len > 0; i++) {
		struct cache_seg *seg = obj->segs[i];
		struct rte_mbuf_ext_shared_info *sh = &seg->shinfo[worker];
		uint32_t in = (uint32_t)(off - seg->off);
		uint32_t n = (uint32_t)RTE_MIN(len, (uint64_t)(seg->len - in));
		uint16_t cnt;

		GH_CHECK_OBJ(seg, CACHE_SEG_MAGIC);
		GH_VERIFY(i < obj->n_segs && in < seg->len);
		if (head != NULL && head->nb_segs == UINT16_MAX) {
			err = EINVAL;
			goto fail;
		}
		m = rte_pktmbuf_alloc(pool);
		if (m == NULL) {
			err = ENOMEM;
			goto fail;
		}
		/* Worker-local count: its first reference takes one on the
		 * object, which free_cb gives back when it falls to 0. */
		cnt = rte_mbuf_ext_refcnt_read(sh);
		if (cnt == 0) {
			cache_obj_get(obj);
			rte_mbuf_ext_refcnt_set(sh, 1);
		} else if (cnt == UINT16_MAX) {
			rte_pktmbuf_free(m);
			err = ENOBUFS;
			goto fail;
		} else {
			rte_mbuf_ext_refcnt_update(sh, 1);
		}
		rte_pktmbuf_attach_extbuf(m, seg->data, seg->iova,
		                          (uint16_t)seg->cap, sh);
		m->data_off = (uint16_t)in;
		m->data_len = (uint16_t)n;
		m->pkt_len = n;
		if (head == NULL) {
			head = m;
		} else {
			tail->next = m;
			head->nb_segs++;
			head->pkt_len += n;
		}
		tail = m;
		off += n;
		len -= n;
	}
	return head;
fail:
	rte_pktmbuf_free(head);
	errno = err;
	return NULL;
}

int
cache_obj_body_copy(const struct cache_obj *obj, uint64_t off, uint64_t len,
                    void *dst)
{
	uint8_t *d = dst;
	uint64_t body;
	uint32_t i;

	GH_CHECK_OBJ_NOTNULL(obj, CACHE_OBJ_MAGIC);
	body = cache_obj_body_len(obj);
	if (off > body || len > body - off)
		return -EINVAL;
	for (i = len > 0 ? seg_find(obj, off) : 0; len > 0; i++) {
		const struct cache_seg *seg = obj->segs[i];
		uint64_t in = off - seg->off;
		uint64_t n = RTE_MIN(len, seg->len - in);

		memcpy(d, seg->data + in, n);
		d += n;
		off += n;
		len -= n;
	}
	return 0;
}
