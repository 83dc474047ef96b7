/*
 * L4 dispatch: TCP segments and UDP datagrams addressed to us go to the
 * worker that owns their flow (net_flow_owner.h), over that worker's
 * hand-over ring when it is another one (ports without programmable RSS,
 * such as net_af_packet), and there to the handler the layer above
 * registered for the protocol (lib/tcp, lib/dns), in bursts.
 *
 * Segments are batched per protocol and port while net_input() or
 * net_steer_drain() runs, and handed over when the batch fills, the port
 * changes or the call ends (net_l4_flush()); a handler never runs while a
 * batch is being filled with its own segments.  Counters go to
 * ctx->l4cnt (NET_L4_COUNTERS, the worker's group).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <netinet/in.h>

#include <rte_errno.h>
#include <rte_ring.h>

#include "net/layers_priv.h"
#include "net/net_flow_owner.h"

/* The struct is exactly its declaration (the worker's group renders it
 * from NET_L4_COUNTERS, app/gatehouse/worker.c). */
#define NET_L4_COUNT_ONE(name, desc) +1
_Static_assert(sizeof(struct net_l4_counters) ==
                   (0 NET_L4_COUNTERS(NET_L4_COUNT_ONE)) * sizeof(uint64_t),
               "struct net_l4_counters must be exactly NET_L4_COUNTERS");

int
net_proto_register(struct net_ctx *ctx, uint8_t ip_proto, net_proto_fn fn,
                   void *arg)
{
	unsigned idx;

	GH_CHECK_OBJ_NOTNULL(ctx, NET_CTX_MAGIC);
	if (fn == NULL || (ip_proto != IPPROTO_TCP && ip_proto != IPPROTO_UDP))
		return -EINVAL;
	idx = ip_proto == IPPROTO_TCP ? NET_L4_TCP : NET_L4_UDP;
	if (ctx->protos[idx].fn != NULL)
		return -EEXIST;
	ctx->protos[idx].fn = fn;
	ctx->protos[idx].arg = arg;
	ctx->n_protos++;
	return 0;
}

int
net_steer_init(struct net_ctx *ctx, const struct net_flow_owner *owner,
               struct net_ctx *const *peers, unsigned n_peers,
               unsigned ring_size)
{
	char name[RTE_RING_NAMESIZE];

	GH_CHECK_OBJ_NOTNULL(ctx, NET_CTX_MAGIC);
	if (owner == NULL || peers == NULL || n_peers == 0 ||
	    n_peers != owner->n_workers || ctx->p.worker_id >= n_peers ||
	    ctx->steer_ring != NULL)
		return -EINVAL;
	snprintf(name, sizeof(name), "gh_steer_%u", ctx->p.worker_id);
	ctx->steer_ring =
	    rte_ring_create(name, ring_size, SOCKET_ID_ANY, RING_F_SC_DEQ);
	if (ctx->steer_ring == NULL)
		return -rte_errno;
	ctx->owner = owner;
	ctx->peers = peers;
	ctx->n_peers = n_peers;
	return 0;
}

void
net_steer_fini(struct net_ctx *ctx)
{
	struct rte_mbuf *m;

	if (ctx == NULL || ctx->steer_ring == NULL)
		return;
	while (rte_ring_sc_dequeue(ctx->steer_ring, (void **)&m) == 0)
		rte_pktmbuf_free(m);
	rte_ring_free(ctx->steer_ring);
	ctx->steer_ring = NULL;
}

int
net_flow_port_ok(void *net_ctx, uint32_t lip_be, uint32_t rip_be,
                 uint16_t lport_be, uint16_t rport_be)
{
	const struct net_ctx *ctx = net_ctx;

	GH_CHECK_OBJ_NOTNULL(ctx, NET_CTX_MAGIC);
	if (ctx->owner == NULL)
		return 1;
	return net_flow_owner_of_hash(
	           ctx->owner, net_flow_owner_hash(ctx->owner, lip_be, rip_be,
	                                           lport_be, rport_be)) ==
	       ctx->p.worker_id;
}

static void
net_l4_flush_one(struct net_ctx *ctx, unsigned idx)
{
	struct net_l4_batch *b = &ctx->batch[idx];
	struct rte_mbuf *pkts[NET_L4_BURST];
	unsigned n = b->n, port_idx = b->port_idx, refused;

	if (n == 0)
		return;
	GH_ASSERT(n <= NET_L4_BURST);
	/* the batch is free again before the handler runs: it may send,
	 * and so in principle feed us again */
	memcpy(pkts, b->pkts, n * sizeof(pkts[0]));
	b->n = 0;
	refused = ctx->protos[idx].fn(ctx->protos[idx].arg, port_idx, pkts, n);
	GH_ASSERT(refused <= n);
	if (idx == NET_L4_UDP)
		ctx->l4cnt->udp_no_consumer += refused;
}

void
net_l4_flush(struct net_ctx *ctx)
{
	net_l4_flush_one(ctx, NET_L4_TCP);
	net_l4_flush_one(ctx, NET_L4_UDP);
}

/* A segment whose flow we own: into its protocol's batch. */
static void
net_l4_owned(struct net_ctx *ctx, unsigned idx, unsigned port_idx,
             struct rte_mbuf *m)
{
	struct net_l4_batch *b = &ctx->batch[idx];

	if (GH_UNLIKELY(ctx->protos[idx].fn == NULL)) {
		/* steered here by a worker that has a handler we lack */
		ctx->l4cnt->udp_no_consumer++;
		rte_pktmbuf_free(m);
		return;
	}
	if (idx == NET_L4_TCP)
		ctx->l4cnt->tcp_owned++;
	else
		ctx->l4cnt->udp_owned++;
	if (b->n > 0 && (b->port_idx != port_idx || b->n == NET_L4_BURST))
		net_l4_flush_one(ctx, idx);
	b->port_idx = port_idx;
	b->pkts[b->n++] = m;
}

void
net_l4_input(struct net_ctx *ctx, unsigned port_idx, struct rte_mbuf *m)
{
	const struct rte_ipv4_hdr *ih =
	    rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, m->l2_len);
	unsigned idx =
	    ih->next_proto_id == IPPROTO_TCP ? NET_L4_TCP : NET_L4_UDP;
	const uint16_t *ports;
	unsigned owner;

	if (ctx->n_protos == 0) {
		NET_DROP(ctx, m, l4_unhandled);
		return;
	}
	ctx->cnt.l4_delivered++;
	if (ctx->protos[idx].fn == NULL) {
		/* only UDP: a worker always has TCP (the resolver is not
		 * configured) */
		ctx->l4cnt->udp_no_consumer++;
		rte_pktmbuf_free(m);
		return;
	}
	/* Too short for the ports: the handler counts it malformed.  UDP
	 * flows hash like TCP ones (the ports sit at the same offset). */
	if (rte_pktmbuf_data_len(m) < m->l2_len + m->l3_len + 4u ||
	    ctx->n_peers <= 1) {
		net_l4_owned(ctx, idx, port_idx, m);
		return;
	}
	ports =
	    rte_pktmbuf_mtod_offset(m, const uint16_t *, m->l2_len + m->l3_len);
	owner = net_flow_owner_of_hash(
	    ctx->owner, net_flow_owner_hash(ctx->owner, ih->src_addr,
	                                    ih->dst_addr, ports[0], ports[1]));
	if (owner == ctx->p.worker_id) {
		net_l4_owned(ctx, idx, port_idx, m);
		return;
	}
	GH_VERIFY(owner < ctx->n_peers);
	if (rte_ring_mp_enqueue(ctx->peers[owner]->steer_ring, m) == 0) {
		ctx->l4cnt->steer_out++;
		return;
	}
	ctx->l4cnt->steer_drop++;
	rte_pktmbuf_free(m);
}

/* One burst from the steer ring into the stack; how many. */
static unsigned
steer_burst(struct net_ctx *ctx)
{
	struct rte_mbuf *pkts[NET_L4_BURST];
	unsigned n, i, k;

	n = rte_ring_sc_dequeue_burst(ctx->steer_ring, (void **)pkts,
	                              NET_L4_BURST, NULL);
	for (i = 0; i < n; i++) {
		const struct rte_ipv4_hdr *ih = rte_pktmbuf_mtod_offset(
		    pkts[i], const struct rte_ipv4_hdr *, pkts[i]->l2_len);

		/* m->port is the DPDK port id the frame arrived on. */
		for (k = 0; k < ctx->n_ports; k++)
			if (ctx->ports[k].port_id == pkts[i]->port)
				break;
		GH_VERIFY(k < ctx->n_ports);
		net_l4_owned(ctx,
		             ih->next_proto_id == IPPROTO_TCP ? NET_L4_TCP
		                                              : NET_L4_UDP,
		             k, pkts[i]);
	}
	ctx->l4cnt->steer_in += n;
	net_l4_flush(ctx);
	return n;
}

unsigned
net_steer_drain(struct net_ctx *ctx)
{
	unsigned b, n, total = 0;

	GH_CHECK_OBJ_NOTNULL(ctx, NET_CTX_MAGIC);
	if (ctx->steer_ring == NULL)
		return 0;
	/* bursts until one comes back short: a peer worker hands over up
	 * to several RX bursts per port per loop */
	for (b = 0; b < NET_STEER_DRAIN_BURSTS; b++) {
		n = steer_burst(ctx);
		total += n;
		if (n < NET_L4_BURST)
			break;
	}
	return total;
}
