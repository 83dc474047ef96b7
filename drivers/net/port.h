/*
 * Port bring-up over rte_ethdev: the only code in Gatehouse that configures
 * devices.  It turns a configured device (a vdev string or a PCI address)
 * into a started DPDK port with one RX and one TX queue per worker, programs
 * RSS where the PMD offers it, negotiates checksum offloads, and reports
 * what it got.  Called by the control thread before workers start and after
 * they stop.
 */
#ifndef GH_DRV_PORT_H
#define GH_DRV_PORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mempool.h>

/* What port_open() is asked to do. */
struct port_params {
	const char *name;   /* the config's port name, for messages */
	const char *device; /* vdev string as given to EAL, or PCI address */
	bool is_pci;
	uint16_t n_queues; /* RX/TX queue pairs: one per worker */
	uint16_t rx_desc;
	uint16_t tx_desc;
	uint16_t mtu;
	struct rte_mempool *pool; /* RX buffers for every queue */
};

/* What port_open() got. */
struct port_info {
	uint16_t port_id;
	struct rte_ether_addr mac;
	char driver[32];
	uint16_t n_queues;
	bool rss;             /* RSS programmed with the symmetric key */
	uint16_t reta_size;   /* RSS redirection table entries, 0: none */
	uint64_t rss_hf;      /* hash functions enabled */
	uint64_t rx_offloads; /* enabled RX offloads */
	uint64_t tx_offloads; /* enabled TX offloads */
	uint32_t link_speed_mbps;
	bool link_up;
};

/*
 * Write into <out> the EAL device argument for <device>: for net_af_packet
 * it adds qpairs=<n_queues> unless the string already sets qpairs (the PMD
 * needs it to open one socket per queue); for net_af_xdp it adds
 * busy_budget=0 unless the string sets busy_budget (the PMD's default,
 * preferred busy polling, makes a recvfrom() on every RX burst, empty or
 * not: 1.4 million a second on an idle-looking worker, twice a forward
 * miss's cycles).  Other devices are copied as they are.  Returns 0 or
 * -ENOSPC.
 */
int port_devargs_preset(const char *device, uint16_t n_queues, char *out,
                        size_t outlen);

/*
 * Create the mbuf pool <name> of <n> mbufs (data room
 * RTE_MBUF_DEFAULT_BUF_SIZE) for the RX queues of <device>.  For
 * net_af_xdp the pool must be one chunk of evenly spaced objects: the PMD
 * registers [first object, first + n * object size) as the AF_XDP UMEM, so
 * an object placed further on (a pool populated with objects kept inside
 * pages, which --no-huge's 4 KiB pages make one per page) is outside it and
 * the kernel rejects every frame in it.  Such pools are created with
 * RTE_MEMPOOL_F_NO_IOVA_CONTIG (no device DMAs into them: the kernel copies
 * on veth, and maps the UMEM itself in zero-copy mode).  Returns the pool,
 * or NULL with a message in <err>.
 */
struct rte_mempool *port_pool_create(const char *name, const char *device,
                                     unsigned n, int socket, char *err,
                                     size_t errlen);

/*
 * Find the port EAL probed for <p>, configure and start it.  On success
 * returns 0 and fills <info>.  On failure returns a negative errno value,
 * leaves the port closed, and writes a message into <err>.
 */
int port_open(const struct port_params *p, struct port_info *info, char *err,
              size_t errlen);

/*
 * Program the RSS redirection table of port <port_id> (<reta_size> entries,
 * as port_info says) so that entry i sends to queue table[i % table_size]:
 * with table_size a power of two dividing reta_size, a flow whose hash is h
 * lands on queue table[h % table_size], which is what the workers compute
 * in software (lib/net/net_flow_owner.h).  Returns 0 or -errno.
 */
int port_reta_set(uint16_t port_id, uint16_t reta_size, const uint16_t *table,
                  unsigned table_size);

/* Stop and close a port opened by port_open(). Returns 0 or -errno. */
int port_close(uint16_t port_id);

/* Render enabled offload flags as a comma list ("none" when 0). */
void port_offloads_str(uint64_t flags, bool rx, char *out, size_t outlen);

#endif /* GH_DRV_PORT_H */
