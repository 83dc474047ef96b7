/*
 * ARP (RFC 826) for one worker: answers requests for our addresses, keeps
 * the neighbour table, holds packets waiting for a next hop to resolve and
 * sends requests and gratuitous ARPs.
 *
 * Neighbour table: open addressing over NET_ARP_TABLE_SIZE slots keyed by
 * (port index, IPv4 address), linear probing over at most
 * NET_ARP_PROBE_MAX slots from the hash.  A lookup always scans the whole
 * probe window instead of stopping at a free slot, so freeing an entry is
 * just marking it FREE (no tombstones, no back-shifting).  When the window
 * has no free slot the entry is refused (arp_table_full).
 *
 * Learning follows RFC 826's merge rule: a sender (in the port's subnet, or
 * the port's gateway) that is already in the table is refreshed by any ARP
 * packet; a new entry is created only when the packet's target is our
 * address (requests to us, replies to our requests).  Gratuitous ARPs thus
 * only refresh.  A sender claiming our own address is counted
 * (arp_addr_conflict) and never learned.
 *
 * Pending queue: up to p.arp_pending_max packets for the whole worker, in
 * arrival order, each tied to an INCOMPLETE entry (entry->n_pending counts
 * them, so an entry with waiting packets is never freed).  A reply or
 * net_neigh_update() sends them in order; net_timer() drops those past their
 * deadline and releases INCOMPLETE entries left without packets once the
 * request rate limit for them has run out.
 *
 * Held frames: an ARP reply or request that finds its port's txbuf full
 * is not dropped (a neighbour left unanswered retries only after a second
 * or more, and our own next hop would stay unresolved until the rate limit
 * lets us ask again): up to NET_ARP_TX_HOLD of them per worker wait, in
 * order, and go onto the txbufs when the worker has flushed them
 * (net_tx_flushed(), before the senders it resumes), counted
 * arp_tx_deferred; past the bound they are dropped as tx_buf_full.
 *
 * Time is ctx->now_tsc, the clock of the last net_timer() call.
 */
#include <errno.h>
#include <string.h>

#include "net/layers_priv.h"

static inline unsigned
net_arp_hash(unsigned port_idx, uint32_t ip_be)
{
	uint32_t h = rte_be_to_cpu_32(ip_be) ^ ((uint32_t)port_idx << 29);

	h *= 0x9e3779b1u; /* Fibonacci hashing: the high bits mix best */
	return (h >> 16) & (NET_ARP_TABLE_SIZE - 1);
}

/* Slot of the live entry for (port_idx, ip_be), or -ENOENT. */
static int
net_arp_slot(const struct net_ctx *ctx, unsigned port_idx, uint32_t ip_be)
{
	unsigned h = net_arp_hash(port_idx, ip_be), i;

	for (i = 0; i < NET_ARP_PROBE_MAX; i++) {
		unsigned s = (h + i) & (NET_ARP_TABLE_SIZE - 1);
		const struct net_arp_entry *e = &ctx->arp[s];

		if (e->state != NET_ARP_FREE && e->ip_be == ip_be &&
		    e->port_idx == port_idx)
			return (int)s;
	}
	return -ENOENT;
}

static struct net_arp_entry *
net_arp_find(struct net_ctx *ctx, unsigned port_idx, uint32_t ip_be)
{
	int s = net_arp_slot(ctx, port_idx, ip_be);

	return s < 0 ? NULL : &ctx->arp[s];
}

/*
 * Take a free slot for (port_idx, ip_be), which must not be in the table,
 * as an INCOMPLETE entry.  Returns NULL when the probe window is full
 * (arp_table_full counted).
 */
static struct net_arp_entry *
net_arp_create(struct net_ctx *ctx, unsigned port_idx, uint32_t ip_be)
{
	unsigned h = net_arp_hash(port_idx, ip_be), i;

	GH_ASSERT(net_arp_slot(ctx, port_idx, ip_be) < 0);
	for (i = 0; i < NET_ARP_PROBE_MAX; i++) {
		struct net_arp_entry *e =
		    &ctx->arp[(h + i) & (NET_ARP_TABLE_SIZE - 1)];

		if (e->state != NET_ARP_FREE)
			continue;
		memset(e, 0, sizeof(*e));
		e->ip_be = ip_be;
		e->port_idx = (uint8_t)port_idx;
		e->state = NET_ARP_INCOMPLETE;
		e->last_req_tsc = ctx->now_tsc;
		return e;
	}
	ctx->cnt.arp_table_full++;
	return NULL;
}

/* Send, in arrival order, the packets waiting for <e> (now RESOLVED). */
static void
net_arp_pending_flush(struct net_ctx *ctx, struct net_arp_entry *e)
{
	struct net_port *port = &ctx->ports[e->port_idx];
	unsigned i, j = 0;

	for (i = 0; i < ctx->n_pending; i++) {
		struct net_arp_pending *pp = &ctx->pending[i];

		if (pp->port_idx == e->port_idx && pp->nexthop_be == e->ip_be) {
			GH_VERIFY(e->n_pending > 0);
			e->n_pending--;
			if (net_eth_output(ctx, port, pp->m, &e->mac) == 0)
				ctx->cnt.arp_pending_sent++;
			continue;
		}
		if (j != i)
			ctx->pending[j] = *pp;
		j++;
	}
	GH_VERIFY(e->n_pending == 0);
	ctx->n_pending = j;
}

/* Make <e> RESOLVED at <mac>, restart its age, send what waits for it. */
static void
net_arp_resolve(struct net_ctx *ctx, struct net_arp_entry *e,
                const struct rte_ether_addr *mac)
{
	rte_ether_addr_copy(mac, &e->mac);
	e->state = NET_ARP_RESOLVED;
	e->expire_tsc = ctx->now_tsc + ctx->arp_ttl_tsc;
	ctx->cnt.arp_learned++;
	if (e->n_pending > 0)
		net_arp_pending_flush(ctx, e);
}

/*
 * Queue the ARP frame <m> on the txbuf of <port_idx>, or hold it when the
 * txbuf is full (arp_tx_deferred).  Consumes <m>.  Returns 0 (queued or
 * held: it will leave), or -ENOBUFS (the hold full too: m freed,
 * tx_buf_full counted).
 */
static int
net_arp_tx(struct net_ctx *ctx, unsigned port_idx, struct rte_mbuf *m)
{
	struct net_port *port = &ctx->ports[port_idx];
	struct net_arp_held *h;

	if (GH_LIKELY(port->tx.n < NET_TXBUF_MAX))
		return net_tx_queue(ctx, port, m);
	if (ctx->n_arp_held >= NET_ARP_TX_HOLD) {
		NET_DROP(ctx, m, tx_buf_full);
		return -ENOBUFS;
	}
	h = &ctx->arp_held[ctx->n_arp_held++];
	h->m = m;
	h->port_idx = (uint8_t)port_idx;
	ctx->cnt.arp_tx_deferred++;
	return 0;
}

unsigned
net_arp_held_release(struct net_ctx *ctx)
{
	unsigned i, j = 0, sent = 0;

	GH_ASSERT(ctx->n_arp_held <= NET_ARP_TX_HOLD);
	for (i = 0; i < ctx->n_arp_held; i++) {
		struct net_arp_held *h = &ctx->arp_held[i];
		struct net_port *port = &ctx->ports[h->port_idx];

		if (port->tx.n < NET_TXBUF_MAX) {
			(void)net_tx_queue(ctx, port, h->m); /* has room */
			sent++;
			continue;
		}
		ctx->arp_held[j++] = *h; /* still full: the next flush */
	}
	ctx->n_arp_held = j;
	return sent;
}

/*
 * Build an ARP request from <port_idx> asking for <tpa_be> (broadcast, tha
 * zero; a gratuitous ARP when tpa is our address) and queue it (or hold
 * it, net_arp_tx()).  Returns 0, -ENOMEM (tx_nomem) or -ENOBUFS
 * (tx_buf_full).
 */
static int
net_arp_request_send(struct net_ctx *ctx, unsigned port_idx, uint32_t tpa_be)
{
	struct net_port *port = &ctx->ports[port_idx];
	struct rte_ether_hdr *eh;
	struct rte_arp_hdr *ah;
	struct rte_mbuf *m;

	m = rte_pktmbuf_alloc(ctx->p.pool);
	if (m == NULL) {
		ctx->cnt.tx_nomem++;
		return -ENOMEM;
	}
	eh = (struct rte_ether_hdr *)rte_pktmbuf_append(m, NET_ARP_FRAME_LEN);
	GH_VERIFY(eh != NULL); /* a pool too small for 42 bytes is a bug */
	memset(&eh->dst_addr, 0xff, sizeof(eh->dst_addr));
	rte_ether_addr_copy(&port->mac, &eh->src_addr);
	eh->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);

	ah = (struct rte_arp_hdr *)(eh + 1);
	ah->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
	ah->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	ah->arp_hlen = RTE_ETHER_ADDR_LEN;
	ah->arp_plen = sizeof(uint32_t);
	ah->arp_opcode = RTE_BE16(RTE_ARP_OP_REQUEST);
	rte_ether_addr_copy(&port->mac, &ah->arp_data.arp_sha);
	ah->arp_data.arp_sip = port->addr_be;
	memset(&ah->arp_data.arp_tha, 0, sizeof(ah->arp_data.arp_tha));
	ah->arp_data.arp_tip = tpa_be;
	m->l2_len = NET_ETH_HLEN;
	return net_arp_tx(ctx, port_idx, m);
}

/* Ask for <e>'s address now and restart its rate limit. */
static void
net_arp_request(struct net_ctx *ctx, struct net_arp_entry *e)
{
	e->last_req_tsc = ctx->now_tsc;
	if (net_arp_request_send(ctx, e->port_idx, e->ip_be) == 0)
		ctx->cnt.arp_req_tx++;
}

/* May a sender at <spa_be> on <port> be put in the table? */
static bool
net_arp_learnable(const struct net_port *port, uint32_t spa_be)
{
	if (spa_be == 0 || net_port_is_bcast(port, spa_be))
		return false;
	return net_port_onlink(port, spa_be) || spa_be == port->gateway_be;
}

/* Turn the request <m> for our address on <port_idx> into its reply and
 * queue it (or hold it, net_arp_tx()). */
static void
net_arp_answer(struct net_ctx *ctx, unsigned port_idx, struct rte_mbuf *m)
{
	struct net_port *port = &ctx->ports[port_idx];
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_arp_hdr *ah = (struct rte_arp_hdr *)(eh + 1);
	struct rte_ether_addr sha = ah->arp_data.arp_sha;
	uint32_t spa = ah->arp_data.arp_sip;

	ah->arp_opcode = RTE_BE16(RTE_ARP_OP_REPLY);
	rte_ether_addr_copy(&sha, &ah->arp_data.arp_tha);
	ah->arp_data.arp_tip = spa;
	rte_ether_addr_copy(&port->mac, &ah->arp_data.arp_sha);
	ah->arp_data.arp_sip = port->addr_be;
	rte_ether_addr_copy(&sha, &eh->dst_addr);
	rte_ether_addr_copy(&port->mac, &eh->src_addr);
	/* Do not echo the requester's Ethernet padding back. */
	if (rte_pktmbuf_data_len(m) > NET_ARP_FRAME_LEN)
		rte_pktmbuf_trim(m,
		                 rte_pktmbuf_data_len(m) - NET_ARP_FRAME_LEN);
	m->l2_len = NET_ETH_HLEN;
	ctx->cnt.arp_req_answered++;
	(void)net_arp_tx(ctx, port_idx, m);
}

void
net_arp_input(struct net_ctx *ctx, unsigned port_idx, struct rte_mbuf *m)
{
	struct net_port *port = &ctx->ports[port_idx];
	const struct rte_arp_hdr *ah;
	struct net_arp_entry *e;
	uint32_t spa, tpa;
	uint16_t op;

	ctx->cnt.arp_rx++;
	if (rte_pktmbuf_data_len(m) < NET_ARP_FRAME_LEN) {
		NET_DROP(ctx, m, arp_bad);
		return;
	}
	ah = rte_pktmbuf_mtod_offset(m, const struct rte_arp_hdr *,
	                             NET_ETH_HLEN);
	op = ah->arp_opcode;
	if (ah->arp_hardware != RTE_BE16(RTE_ARP_HRD_ETHER) ||
	    ah->arp_protocol != RTE_BE16(RTE_ETHER_TYPE_IPV4) ||
	    ah->arp_hlen != RTE_ETHER_ADDR_LEN ||
	    ah->arp_plen != sizeof(uint32_t) ||
	    (op != RTE_BE16(RTE_ARP_OP_REQUEST) &&
	     op != RTE_BE16(RTE_ARP_OP_REPLY)) ||
	    !rte_is_valid_assigned_ether_addr(&ah->arp_data.arp_sha)) {
		NET_DROP(ctx, m, arp_bad);
		return;
	}
	spa = ah->arp_data.arp_sip;
	tpa = ah->arp_data.arp_tip;
	if (spa == port->addr_be) {
		NET_DROP(ctx, m, arp_addr_conflict);
		return;
	}

	/* RFC 826 merge, then "am I the target?" (spa != our address here,
	 * so a packet targeting us is never gratuitous). */
	if (net_arp_learnable(port, spa)) {
		e = net_arp_find(ctx, port_idx, spa);
		if (e == NULL && tpa == port->addr_be)
			e = net_arp_create(ctx, port_idx, spa);
		if (e != NULL) {
			net_arp_resolve(ctx, e, &ah->arp_data.arp_sha);
			if (ctx->p.on_learn != NULL)
				ctx->p.on_learn(ctx->p.cb_arg, port_idx, spa,
				                &e->mac);
		}
	}

	if (spa == tpa)
		NET_DROP(ctx, m, arp_garp_rx);
	else if (op == RTE_BE16(RTE_ARP_OP_REPLY))
		NET_DROP(ctx, m, arp_reply_rx);
	else if (tpa != port->addr_be)
		NET_DROP(ctx, m, arp_not_ours);
	else
		net_arp_answer(ctx, port_idx, m);
}

int
net_arp_output(struct net_ctx *ctx, unsigned port_idx, struct rte_mbuf *m,
               uint32_t nexthop_be)
{
	struct net_arp_entry *e = net_arp_find(ctx, port_idx, nexthop_be);
	struct net_arp_pending *pp;

	if (GH_LIKELY(e != NULL && e->state == NET_ARP_RESOLVED))
		return net_eth_output(ctx, &ctx->ports[port_idx], m, &e->mac);

	if (e == NULL) {
		e = net_arp_create(ctx, port_idx, nexthop_be);
		if (e == NULL) {
			rte_pktmbuf_free(m); /* arp_table_full counted */
			return -ENOBUFS;
		}
		net_arp_request(ctx, e);
	} else if (ctx->now_tsc >= e->last_req_tsc + ctx->arp_retry_tsc) {
		net_arp_request(ctx, e);
	}

	if (ctx->n_pending >= ctx->p.arp_pending_max) {
		NET_DROP(ctx, m, arp_pending_full);
		return -ENOBUFS;
	}
	pp = &ctx->pending[ctx->n_pending++];
	pp->m = m;
	pp->nexthop_be = nexthop_be;
	pp->port_idx = (uint8_t)port_idx;
	pp->deadline_tsc = ctx->now_tsc + ctx->pending_timeout_tsc;
	e->n_pending++;
	ctx->cnt.arp_pending_queued++;
	return 0;
}

/* Drop pending packets whose deadline has passed. */
static void
net_arp_pending_expire(struct net_ctx *ctx)
{
	unsigned i, j = 0;

	for (i = 0; i < ctx->n_pending; i++) {
		struct net_arp_pending *pp = &ctx->pending[i];

		if (ctx->now_tsc >= pp->deadline_tsc) {
			struct net_arp_entry *e =
			    net_arp_find(ctx, pp->port_idx, pp->nexthop_be);

			GH_VERIFY(e != NULL && e->n_pending > 0);
			e->n_pending--;
			NET_DROP(ctx, pp->m, arp_pending_timeout);
			continue;
		}
		if (j != i)
			ctx->pending[j] = *pp;
		j++;
	}
	ctx->n_pending = j;
}

void
net_arp_timer(struct net_ctx *ctx)
{
	unsigned i;

	if (ctx->n_pending > 0)
		net_arp_pending_expire(ctx);

	for (i = 0; i < NET_ARP_TABLE_SIZE; i++) {
		struct net_arp_entry *e = &ctx->arp[i];

		switch (e->state) {
		case NET_ARP_RESOLVED:
			if (ctx->now_tsc < e->expire_tsc)
				break;
			GH_VERIFY(e->n_pending == 0);
			e->state = NET_ARP_FREE;
			ctx->cnt.arp_expired++;
			break;
		case NET_ARP_INCOMPLETE:
			if (ctx->now_tsc < e->last_req_tsc + ctx->arp_retry_tsc)
				break;
			if (e->n_pending == 0)
				e->state = NET_ARP_FREE;
			else
				net_arp_request(ctx, e);
			break;
		default:
			break;
		}
	}
}

int
net_garp_send(struct net_ctx *ctx, unsigned port_idx)
{
	int rc;

	GH_CHECK_OBJ_NOTNULL(ctx, NET_CTX_MAGIC);
	rc = net_arp_request_send(ctx, port_idx,
	                          net_port_get(ctx, port_idx)->addr_be);
	if (rc == 0)
		ctx->cnt.arp_garp_tx++;
	return rc;
}

void
net_neigh_update(struct net_ctx *ctx, unsigned port_idx, uint32_t ip_be,
                 const struct rte_ether_addr *mac)
{
	struct net_arp_entry *e;

	GH_CHECK_OBJ_NOTNULL(ctx, NET_CTX_MAGIC);
	GH_VERIFY(port_idx < ctx->n_ports);
	GH_VERIFY(mac != NULL);
	/* The sending worker applied the learning rules; only refuse what
	 * could never be a neighbour. */
	if (ip_be == 0 || !rte_is_valid_assigned_ether_addr(mac))
		return;
	e = net_arp_find(ctx, port_idx, ip_be);
	if (e == NULL)
		e = net_arp_create(ctx, port_idx, ip_be);
	if (e != NULL)
		net_arp_resolve(ctx, e, mac);
}

int
net_neigh_lookup(const struct net_ctx *ctx, unsigned port_idx, uint32_t ip_be,
                 struct rte_ether_addr *mac)
{
	int s;

	GH_CHECK_OBJ_NOTNULL(ctx, NET_CTX_MAGIC);
	GH_VERIFY(port_idx < ctx->n_ports);
	GH_VERIFY(mac != NULL);
	s = net_arp_slot(ctx, port_idx, ip_be);
	if (s < 0 || ctx->arp[s].state != NET_ARP_RESOLVED)
		return -ENOENT;
	rte_ether_addr_copy(&ctx->arp[s].mac, mac);
	return 0;
}
