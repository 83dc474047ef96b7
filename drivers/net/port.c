/*
 * Port bring-up: queues, RSS with a symmetric Toeplitz key, checksum offload
 * negotiation, MTU, start and link report.  See port.h for the contract.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mbuf_pool_ops.h>

#include "common/gh_common.h"
#include "common/gh_rss.h"
#include "drivers/net/port.h"

/* The symmetric key of common/gh_rss.h: both directions, one queue. */
static uint8_t symmetric_rss_key[GH_RSS_KEY_LEN] = GH_RSS_KEY_SYMMETRIC_INIT;

#define WANTED_RX_OFFLOADS                                              \
	(RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_TCP_CKSUM | \
	 RTE_ETH_RX_OFFLOAD_UDP_CKSUM)
#define WANTED_TX_OFFLOADS                                              \
	(RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_CKSUM | \
	 RTE_ETH_TX_OFFLOAD_UDP_CKSUM | RTE_ETH_TX_OFFLOAD_MULTI_SEGS)

int
port_devargs_preset(const char *device, uint16_t n_queues, char *out,
                    size_t outlen)
{
	int n;

	if (strncmp(device, "net_af_packet", 13) == 0 &&
	    strstr(device, "qpairs=") == NULL)
		n = snprintf(out, outlen, "%s,qpairs=%u", device,
		             (unsigned)n_queues);
	else if (strncmp(device, "net_af_xdp", 10) == 0 &&
	         strstr(device, "busy_budget=") == NULL)
		n = snprintf(out, outlen, "%s,busy_budget=0", device);
	else
		n = snprintf(out, outlen, "%s", device);
	if (n < 0 || (size_t)n >= outlen)
		return -ENOSPC;
	return 0;
}

struct rte_mempool *
port_pool_create(const char *name, const char *device, unsigned n, int socket,
                 char *err, size_t errlen)
{
	struct rte_pktmbuf_pool_private priv = {.mbuf_data_room_size =
	                                            RTE_MBUF_DEFAULT_BUF_SIZE};
	bool xdp = strncmp(device, "net_af_xdp", 10) == 0;
	struct rte_mempool *mp;

	mp = rte_mempool_create_empty(
	    name, n,
	    (unsigned)sizeof(struct rte_mbuf) + RTE_MBUF_DEFAULT_BUF_SIZE, 256,
	    sizeof(priv), socket, xdp ? RTE_MEMPOOL_F_NO_IOVA_CONTIG : 0);
	if (mp == NULL)
		goto fail;
	if (rte_mempool_set_ops_byname(mp, rte_mbuf_best_mempool_ops(), NULL) !=
	    0)
		goto fail;
	rte_pktmbuf_pool_init(mp, &priv);
	if (rte_mempool_populate_default(mp) < 0)
		goto fail;
	if (xdp && mp->nb_mem_chunks != 1) {
		snprintf(err, errlen,
		         "%u mbufs for net_af_xdp need one contiguous area, "
		         "the memory gave %u pieces: more memory-mb or "
		         "hugepages",
		         n, mp->nb_mem_chunks);
		rte_mempool_free(mp);
		return NULL;
	}
	rte_mempool_obj_iter(mp, rte_pktmbuf_init, NULL);
	return mp;
fail:
	snprintf(err, errlen, "no memory for %u mbufs: %s", n,
	         rte_strerror(rte_errno));
	rte_mempool_free(mp); /* NULL is fine */
	return NULL;
}

/* The ethdev name of a device string: what comes before the first comma. */
static int
device_name(const char *device, char *out, size_t outlen)
{
	size_t len = strcspn(device, ",");

	if (len == 0 || len >= outlen)
		return -EINVAL;
	memcpy(out, device, len);
	out[len] = '\0';
	return 0;
}

void
port_offloads_str(uint64_t flags, bool rx, char *out, size_t outlen)
{
	size_t used = 0;
	unsigned bit;

	GH_VERIFY(outlen > 0);
	out[0] = '\0';
	for (bit = 0; bit < 64; bit++) {
		const char *name;
		int n;

		if (!(flags & (UINT64_C(1) << bit)))
			continue;
		name = rx ? rte_eth_dev_rx_offload_name(UINT64_C(1) << bit)
		          : rte_eth_dev_tx_offload_name(UINT64_C(1) << bit);
		n = snprintf(out + used, outlen - used, "%s%s", used ? "," : "",
		             name);
		if (n < 0 || (size_t)n >= outlen - used)
			return; /* truncated: good enough for a report */
		used += (size_t)n;
	}
	if (used == 0)
		snprintf(out, outlen, "none");
}

static int
setup_queues(const struct port_params *p, uint16_t port_id,
             const struct rte_eth_dev_info *di, const struct rte_eth_conf *conf,
             char *err, size_t errlen)
{
	uint16_t rx_desc = p->rx_desc, tx_desc = p->tx_desc;
	int socket = rte_eth_dev_socket_id(port_id);
	struct rte_eth_rxconf rxq = di->default_rxconf;
	struct rte_eth_txconf txq = di->default_txconf;
	uint16_t q;
	int rc;

	rc = rte_eth_dev_adjust_nb_rx_tx_desc(port_id, &rx_desc, &tx_desc);
	if (rc < 0) {
		snprintf(err, errlen, "port %s: descriptor counts: %s", p->name,
		         rte_strerror(-rc));
		return rc;
	}
	if (socket < 0)
		socket = 0;
	rxq.offloads = conf->rxmode.offloads;
	txq.offloads = conf->txmode.offloads;
	for (q = 0; q < p->n_queues; q++) {
		rc = rte_eth_rx_queue_setup(port_id, q, rx_desc,
		                            (unsigned)socket, &rxq, p->pool);
		if (rc < 0) {
			snprintf(err, errlen, "port %s: RX queue %u: %s",
			         p->name, q, rte_strerror(-rc));
			return rc;
		}
		rc = rte_eth_tx_queue_setup(port_id, q, tx_desc,
		                            (unsigned)socket, &txq);
		if (rc < 0) {
			snprintf(err, errlen, "port %s: TX queue %u: %s",
			         p->name, q, rte_strerror(-rc));
			return rc;
		}
	}
	return 0;
}

int
port_open(const struct port_params *p, struct port_info *info, char *err,
          size_t errlen)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info di;
	struct rte_eth_link link;
	char name[RTE_ETH_NAME_MAX_LEN];
	uint16_t port_id, mtu;
	int rc;

	GH_VERIFY(p != NULL && info != NULL && p->pool != NULL);
	memset(info, 0, sizeof(*info));
	memset(&conf, 0, sizeof(conf));

	rc = device_name(p->device, name, sizeof(name));
	if (rc < 0) {
		snprintf(err, errlen, "port %s: bad device \"%s\"", p->name,
		         p->device);
		return rc;
	}
	rc = rte_eth_dev_get_port_by_name(name, &port_id);
	if (rc < 0) {
		snprintf(err, errlen,
		         "port %s: device %s was not probed by EAL (missing "
		         "driver, interface or permission?)",
		         p->name, name);
		return -ENODEV;
	}
	rc = rte_eth_dev_info_get(port_id, &di);
	if (rc < 0) {
		snprintf(err, errlen, "port %s: dev_info: %s", p->name,
		         rte_strerror(-rc));
		return rc;
	}
	if (p->n_queues > di.max_rx_queues || p->n_queues > di.max_tx_queues) {
		snprintf(err, errlen,
		         "port %s: %u workers need %u queue pairs, driver %s "
		         "offers %u RX / %u TX",
		         p->name, p->n_queues, p->n_queues, di.driver_name,
		         di.max_rx_queues, di.max_tx_queues);
		return -EINVAL;
	}

	/* RSS only makes sense with several queues and a PMD that hashes. */
	if (p->n_queues > 1 && di.flow_type_rss_offloads != 0) {
		uint64_t hf =
		    (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP) &
		    di.flow_type_rss_offloads;

		if (hf != 0) {
			conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
			conf.rx_adv_conf.rss_conf.rss_key = symmetric_rss_key;
			conf.rx_adv_conf.rss_conf.rss_key_len =
			    sizeof(symmetric_rss_key);
			conf.rx_adv_conf.rss_conf.rss_hf = hf;
			info->rss = true;
			info->rss_hf = hf;
		}
	}
	conf.rxmode.offloads = di.rx_offload_capa & WANTED_RX_OFFLOADS;
	conf.txmode.offloads = di.tx_offload_capa & WANTED_TX_OFFLOADS;

	rc = rte_eth_dev_configure(port_id, p->n_queues, p->n_queues, &conf);
	if (rc < 0) {
		snprintf(err, errlen, "port %s: configure: %s", p->name,
		         rte_strerror(-rc));
		return rc;
	}
	rc = rte_eth_dev_get_mtu(port_id, &mtu);
	if (rc == 0 && mtu != p->mtu) {
		rc = rte_eth_dev_set_mtu(port_id, p->mtu);
		if (rc < 0) {
			snprintf(err, errlen, "port %s: MTU %u: %s", p->name,
			         p->mtu, rte_strerror(-rc));
			goto out_close;
		}
	}
	rc = setup_queues(p, port_id, &di, &conf, err, errlen);
	if (rc < 0)
		goto out_close;
	rc = rte_eth_dev_start(port_id);
	if (rc < 0) {
		snprintf(err, errlen, "port %s: start: %s", p->name,
		         rte_strerror(-rc));
		goto out_close;
	}
	rc = rte_eth_macaddr_get(port_id, &info->mac);
	if (rc < 0) {
		snprintf(err, errlen, "port %s: MAC address: %s", p->name,
		         rte_strerror(-rc));
		goto out_stop;
	}
	if (rte_eth_link_get_nowait(port_id, &link) == 0) {
		info->link_up = link.link_status == RTE_ETH_LINK_UP;
		info->link_speed_mbps = link.link_speed;
	}
	info->port_id = port_id;
	info->n_queues = p->n_queues;
	info->reta_size = info->rss ? di.reta_size : 0;
	info->rx_offloads = conf.rxmode.offloads;
	info->tx_offloads = conf.txmode.offloads;
	snprintf(info->driver, sizeof(info->driver), "%s", di.driver_name);
	return 0;

out_stop:
	rte_eth_dev_stop(port_id);
out_close:
	rte_eth_dev_close(port_id);
	return rc;
}

int
port_reta_set(uint16_t port_id, uint16_t reta_size, const uint16_t *table,
              unsigned table_size)
{
	struct rte_eth_rss_reta_entry64
	    conf[RTE_ETH_RSS_RETA_SIZE_512 / RTE_ETH_RETA_GROUP_SIZE];
	unsigned i;

	if (reta_size == 0 || reta_size > RTE_ETH_RSS_RETA_SIZE_512 ||
	    table_size == 0 || reta_size % table_size != 0)
		return -EINVAL;
	memset(conf, 0, sizeof(conf));
	for (i = 0; i < reta_size; i++) {
		struct rte_eth_rss_reta_entry64 *g =
		    &conf[i / RTE_ETH_RETA_GROUP_SIZE];

		g->mask |= UINT64_C(1) << (i % RTE_ETH_RETA_GROUP_SIZE);
		g->reta[i % RTE_ETH_RETA_GROUP_SIZE] = table[i % table_size];
	}
	return rte_eth_dev_rss_reta_update(port_id, conf, reta_size);
}

int
port_close(uint16_t port_id)
{
	int rc = rte_eth_dev_stop(port_id);

	if (rc < 0 && rc != -ENODEV)
		return rc;
	return rte_eth_dev_close(port_id);
}
