/*
 * Cached objects (see cache_obj.h): allocation from the index's arena,
 * filling, reference counting, and the zero-copy send path that hands
 * segments to DPDK as external buffers.
 *
 * IOVA: a segment records iova == its virtual address when EAL runs in
 * IOVA-as-VA mode, else RTE_BAD_IOVA.  Every segment lies in the index's
 * one memory region (cache_mem.c), which cache_index_dma_register()
 * registers with DPDK and DMA-maps for every device that takes it, so a
 * NIC can read segments itself; af_packet and the unit tests copy or
 * never DMA.  In IOVA-as-PA mode the region is not registered (it would
 * need every page's physical address).  The budget counts an object until
 * it is freed, which waits for the mbufs still pointing into it (TX not
 * yet completed) through the object's reference count.
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

/* A head block holding <len> bytes of <head>, or NULL (ENOMEM). */
static struct cache_head *
head_alloc(struct cache_index *ci, const void *head, size_t len)
{
	size_t bytes = sizeof(struct cache_head) + len;
	struct cache_head *h = mallocx(bytes, cache_arena_flags(ci));

	if (h == NULL)
		return NULL;
	h->len = (uint32_t)len;
	h->alloc_bytes = bytes;
	h->ci = ci;
	if (len > 0)
		memcpy(h->bytes, head, len);
	return h;
}

/* Give a head block back (poisoned). */
static void
head_free(struct cache_head *h)
{
	int flags = cache_arena_flags(h->ci);

	memset(h, CACHE_POISON_BYTE, h->alloc_bytes);
	dallocx(h, flags);
}

struct cache_obj *
cache_obj_create(struct cache_index *ci, const uint8_t *key, size_t key_len,
                 const void *head, size_t head_len, uint64_t body_hint)
{
	struct cache_head *h = NULL;
	struct cache_obj *obj;
	size_t bytes;

	GH_CHECK_OBJ_NOTNULL(ci, CACHE_INDEX_MAGIC);
	if (key == NULL || key_len == 0 || key_len > CACHE_KEY_MAX_BYTES ||
	    head_len > CACHE_HEAD_MAX_BYTES || (head == NULL && head_len > 0)) {
		errno = EINVAL;
		return NULL;
	}
	bytes = sizeof(*obj) + key_len;
	obj = mallocx(bytes, cache_arena_flags(ci));
	if (obj != NULL && head != NULL) {
		h = head_alloc(ci, head, head_len);
		if (h == NULL) {
			dallocx(obj, cache_arena_flags(ci));
			obj = NULL;
		}
	}
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
	memcpy(obj->key, key, key_len);
	obj->key_len = (uint32_t)key_len;
	obj->head = h;
	obj->hash = cache_index_hash(ci, key, key_len);
	obj->body_hint = body_hint;
	obj->alloc_bytes = bytes;
	obj->mem_bytes = bytes + (h != NULL ? h->alloc_bytes : 0);
	uatomic_add(&ci->live_objects, 1);
	uatomic_add(&ci->live_bytes, obj->mem_bytes);
	return obj;
}

const uint8_t *
cache_obj_head(const struct cache_obj *obj, uint32_t *len)
{
	/* acquire, not consume: what the filler wrote before publishing
	 * (cache_obj_hint) must be seen after the head (weak orders) */
	const struct cache_head *h =
	    __atomic_load_n(&obj->head, __ATOMIC_ACQUIRE);

	*len = h != NULL ? h->len : 0;
	return h != NULL ? h->bytes : NULL;
}

/* call_rcu: no reader can hold the replaced head any more. */
static void
head_free_rcu(struct rcu_head *rh)
{
	struct cache_head *h = caa_container_of(rh, struct cache_head, rcu);

	uatomic_sub(&h->ci->live_bytes, h->alloc_bytes);
	head_free(h);
}

int
cache_obj_head_replace(struct cache_obj *obj, const void *head, size_t len)
{
	struct cache_index *ci;
	struct cache_head *h, *old;

	GH_CHECK_OBJ_NOTNULL(obj, CACHE_OBJ_MAGIC);
	ci = obj->ci;
	if (head == NULL || len > CACHE_HEAD_MAX_BYTES)
		return -EINVAL;
	if (cache_obj_state(obj) == CACHE_OBJ_DEAD)
		return -ENOENT;
	h = head_alloc(ci, head, len);
	if (h == NULL)
		return -ENOMEM;
	old = rcu_xchg_pointer(&obj->head, h);
	/* the net change at once (charging the new one first could evict
	 * for nothing); the old block leaves live_bytes when it goes */
	cache_index_charge(ci, obj,
	                   (int64_t)h->alloc_bytes -
	                       (old != NULL ? (int64_t)old->alloc_bytes : 0));
	if (old != NULL) {
		uatomic_add(&ci->live_bytes, old->alloc_bytes);
		call_rcu(&old->rcu, head_free_rcu);
	}
	cache_obj_notify(obj);
	return 0;
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

/* Segment <i> (< n_segs as the caller read it) of <obj>: by the filler, or
 * by a reader that loaded body_bytes then n_segs (see cache_obj). */
static inline struct cache_seg *
seg_at(const struct cache_obj *obj, uint32_t i)
{
	const struct cache_seg_table *t =
	    __atomic_load_n(&obj->segt, __ATOMIC_ACQUIRE);

	return t->seg[i];
}

/* The last segment of <obj> (filler), NULL when it has none. */
static struct cache_seg *
last_seg(const struct cache_obj *obj)
{
	return obj->n_segs > 0 ? seg_at(obj, obj->n_segs - 1) : NULL;
}

/* Capacity of the last segment of <obj>, 0 when it has none. */
static uint32_t
last_cap(const struct cache_obj *obj)
{
	return obj->n_segs > 0 ? last_seg(obj)->cap : 0;
}

/* A table of twice the room (4 at first) with the segments of <obj>'s,
 * published; the old one stays chained until the object goes.  The bytes
 * it added, or -ENOMEM. */
static int64_t
table_grow(struct cache_obj *obj)
{
	struct cache_index *ci = obj->ci;
	struct cache_seg_table *old = obj->segt, *t;
	uint32_t cap = old == NULL ? 4 : 2 * old->cap;
	size_t bytes = sizeof(*t) + (size_t)cap * sizeof(t->seg[0]);

	t = mallocx(bytes, cache_arena_flags(ci));
	if (t == NULL)
		return -ENOMEM;
	t->cap = cap;
	t->alloc_bytes = bytes;
	t->older = old;
	if (obj->n_segs > 0)
		memcpy(t->seg, old->seg, obj->n_segs * sizeof(t->seg[0]));
	__atomic_store_n(&obj->segt, t, __ATOMIC_RELEASE);
	return (int64_t)bytes;
}

/* Add an empty segment of <cap> bytes to <obj>: 0, -ENOMEM or -ENOSPC
 * (the index is past its budget and one object: cache_index_admit). */
static int
seg_add(struct cache_obj *obj, uint32_t cap)
{
	struct cache_index *ci = obj->ci;
	size_t hdr = seg_hdr_bytes(ci), bytes = hdr + cap;
	int64_t charged = 0;
	struct cache_seg *seg;
	uint32_t w;
	int rc;

	rc = cache_index_admit(ci, obj, bytes);
	if (rc < 0)
		return rc;
	if (obj->segt == NULL || obj->n_segs == obj->segt->cap) {
		charged = table_grow(obj);
		if (charged < 0)
			return (int)charged;
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
	obj->segt->seg[obj->n_segs] = seg;
	__atomic_store_n(&obj->n_segs, obj->n_segs + 1, __ATOMIC_RELEASE);
	cache_index_charge(ci, obj, charged + (int64_t)bytes);
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
	const struct cache_seg *last = last_seg(obj);
	uint64_t total = obj->mem_bytes, body = obj->body_bytes, take;
	uint32_t n = obj->n_segs, prev = last_cap(obj);
	uint32_t tcap = obj->segt != NULL ? obj->segt->cap : 0;

	if (last != NULL) {
		take = RTE_MIN(len, (uint64_t)(last->cap - last->len));
		body += take;
		len -= take;
	}
	while (len > 0) {
		uint32_t cap = seg_cap_for(obj->body_hint, body, prev, len);

		if (n == tcap) {
			uint32_t ncap = tcap == 0 ? 4 : 2 * tcap;

			total += sizeof(struct cache_seg_table) +
			         (uint64_t)ncap * sizeof(struct cache_seg *);
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
	if (after > __atomic_load_n(&obj->ci->max_obj_bytes, __ATOMIC_RELAXED))
		return -EFBIG;
	while (len > 0) {
		struct cache_seg *last = last_seg(obj);
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
	cache_obj_notify(obj);
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
	cache_obj_notify(obj);
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
	struct cache_seg_table *t = obj->segt;
	uint32_t i, w;

	GH_CHECK_OBJ(obj, CACHE_OBJ_MAGIC);
	GH_VERIFY(!obj->linked);
	for (i = 0; i < obj->n_segs; i++) {
		struct cache_seg *seg = t->seg[i];

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
	while (t != NULL) {
		struct cache_seg_table *older = t->older;

		dallocx(t, flags);
		t = older;
	}
	if (obj->head != NULL)
		head_free(obj->head);
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

/*
 * What a reader of <obj> may use: the body length (acquire), then the
 * segments counted and their table.  Segment i covers [off, off + cap)
 * of the body, wholly written below body_bytes.
 */
struct seg_view {
	uint64_t body;
	uint32_t n;
	const struct cache_seg_table *t;
};

static void
view_get(const struct cache_obj *obj, struct seg_view *v)
{
	v->body = cache_obj_body_len(obj);
	v->n = __atomic_load_n(&obj->n_segs, __ATOMIC_ACQUIRE);
	v->t = __atomic_load_n(&obj->segt, __ATOMIC_ACQUIRE);
}

/* Index of the segment holding body offset <off> (< v->body). */
static uint32_t
seg_find(const struct seg_view *v, uint64_t off)
{
	uint32_t lo = 0, hi = v->n;

	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (v->t->seg[mid]->off <= off)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* Attach one mbuf from <pool> to bytes [in, in + n) of <seg> for worker
 * <worker>; errno ENOMEM or ENOBUFS on NULL. */
static struct rte_mbuf *
seg_mbuf(struct cache_obj *obj, struct cache_seg *seg, uint32_t worker,
         uint32_t in, uint32_t n, struct rte_mempool *pool)
{
	struct rte_mbuf_ext_shared_info *sh = &seg->shinfo[worker];
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint16_t cnt;

	if (m == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	/* Worker-local count: its first reference takes one on the object,
	 * which free_cb gives back when it falls to 0. */
	cnt = rte_mbuf_ext_refcnt_read(sh);
	if (cnt == 0) {
		cache_obj_get(obj);
		rte_mbuf_ext_refcnt_set(sh, 1);
	} else if (cnt == UINT16_MAX) {
		rte_pktmbuf_free(m);
		errno = ENOBUFS;
		return NULL;
	} else {
		rte_mbuf_ext_refcnt_update(sh, 1);
	}
	rte_pktmbuf_attach_extbuf(m, seg->data, seg->iova, (uint16_t)seg->cap,
	                          sh);
	m->data_off = (uint16_t)in;
	m->data_len = (uint16_t)n;
	m->pkt_len = n;
	return m;
}

struct rte_mbuf *
cache_obj_body_mbufs(struct cache_obj *obj, uint32_t worker, uint64_t off,
                     uint64_t len, struct rte_mempool *pool)
{
	struct rte_mbuf *head = NULL, *tail = NULL, *m;
	struct seg_view v;
	uint32_t i;
	int err;

	GH_CHECK_OBJ_NOTNULL(obj, CACHE_OBJ_MAGIC);
	view_get(obj, &v);
	if (worker >= obj->ci->n_workers || len == 0 || len > UINT32_MAX ||
	    off > v.body || len > v.body - off) {
		errno = EINVAL;
		return NULL;
	}
	for (i = seg_find(&v, off); len > 0; i++) {
		struct cache_seg *seg;
		uint32_t in, n;

		GH_VERIFY(i < v.n);
		seg = v.t->seg[i];
		GH_CHECK_OBJ(seg, CACHE_SEG_MAGIC);
		in = (uint32_t)(off - seg->off);
		GH_VERIFY(in < seg->cap);
		n = (uint32_t)RTE_MIN(len, (uint64_t)(seg->cap - in));
		if (head != NULL && head->nb_segs == UINT16_MAX) {
			err = EINVAL;
			goto fail;
		}
		m = seg_mbuf(obj, seg, worker, in, n, pool);
		if (m == NULL) {
			err = errno;
			goto fail;
		}
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
	struct seg_view v;
	uint32_t i;

	GH_CHECK_OBJ_NOTNULL(obj, CACHE_OBJ_MAGIC);
	view_get(obj, &v);
	if (off > v.body || len > v.body - off)
		return -EINVAL;
	for (i = len > 0 ? seg_find(&v, off) : 0; len > 0; i++) {
		const struct cache_seg *seg = v.t->seg[i];
		uint64_t in = off - seg->off;
		uint64_t n = RTE_MIN(len, seg->cap - in);

		memcpy(d, seg->data + in, n);
		d += n;
		off += n;
		len -= n;
	}
	return 0;
}
