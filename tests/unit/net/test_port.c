/*
 * drivers/net's device strings and mbuf pools: what EAL and the PMDs are
 * given before a port opens.  EAL here runs with --no-huge (4 KiB pages),
 * where a pool populated with objects kept inside pages spaces them one
 * per page.
 */
#include <string.h>

#include <criterion/criterion.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "drivers/net/port.h"
#include "tests/unit/common/gh_test_eal.h"

static void
preset(const char *device, uint16_t queues, const char *want)
{
	char out[256];

	cr_assert_eq(port_devargs_preset(device, queues, out, sizeof(out)), 0);
	cr_assert_str_eq(out, want, "%s: got %s, want %s", device, out, want);
}

Test(port, devargs_preset)
{
	preset("net_af_packet0,iface=in0", 2,
	       "net_af_packet0,iface=in0,qpairs=2");
	preset("net_af_packet0,iface=in0,qpairs=4", 2,
	       "net_af_packet0,iface=in0,qpairs=4");
	/* preferred busy polling off: no recvfrom() per RX burst */
	preset("net_af_xdp0,iface=in0,start_queue=0,queue_count=1", 1,
	       "net_af_xdp0,iface=in0,start_queue=0,queue_count=1,"
	       "busy_budget=0");
	preset("net_af_xdp0,iface=in0,busy_budget=64", 1,
	       "net_af_xdp0,iface=in0,busy_budget=64");
	preset("net_null0", 4, "net_null0");
}

Test(port, devargs_preset_too_long)
{
	char out[24];

	cr_assert_eq(
	    port_devargs_preset("net_af_xdp0,iface=in0", 1, out, sizeof(out)),
	    -ENOSPC);
}

struct span {
	uintptr_t first, last;
	size_t stride;
	bool uneven;
};

static void
span_obj(struct rte_mempool *mp, void *arg, void *obj, unsigned idx)
{
	struct span *s = arg;
	uintptr_t a = (uintptr_t)obj;

	(void)mp;
	if (idx == 0)
		s->first = a;
	else if (a != s->last + s->stride)
		s->uneven = true;
	s->last = a;
}

/* The PMD registers [first object, first + n * object size) as the UMEM:
 * every object must lie in it, evenly spaced. */
Test(port, af_xdp_pool_is_one_even_run)
{
	struct span s = {0};
	struct rte_mempool *mp;
	char err[256];
	unsigned n = 2047;

	gh_test_eal_start(64);
	mp = port_pool_create("t_xdp", "net_af_xdp0,iface=in0", n, 0, err,
	                      sizeof(err));
	cr_assert_not_null(mp, "%s", err);
	cr_assert_eq(mp->nb_mem_chunks, 1);
	s.stride = mp->header_size + mp->elt_size + mp->trailer_size;
	cr_assert_eq(rte_mempool_obj_iter(mp, span_obj, &s), n);
	cr_assert(!s.uneven, "objects not evenly spaced");
	cr_assert_leq(s.last + s.stride, s.first + (uintptr_t)n * s.stride);
	rte_mempool_free(mp);
}

/* Other pools stay as rte_pktmbuf_pool_create makes them (objects kept
 * inside pages: a NIC DMAs into them) and give working mbufs. */
Test(port, other_pool_gives_mbufs)
{
	struct rte_mempool *mp;
	struct rte_mbuf *m;
	char err[256];

	gh_test_eal_start(64);
	mp = port_pool_create("t_pkt", "net_af_packet0,iface=in0", 1023, 0, err,
	                      sizeof(err));
	cr_assert_not_null(mp, "%s", err);
	cr_assert_eq(mp->flags & RTE_MEMPOOL_F_NO_IOVA_CONTIG, 0);
	m = rte_pktmbuf_alloc(mp);
	cr_assert_not_null(m);
	cr_assert_eq(rte_pktmbuf_data_room_size(mp), RTE_MBUF_DEFAULT_BUF_SIZE);
	cr_assert_eq(rte_pktmbuf_headroom(m), RTE_PKTMBUF_HEADROOM);
	rte_pktmbuf_free(m);
	rte_mempool_free(mp);
}
