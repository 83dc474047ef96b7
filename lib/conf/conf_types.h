/*
 * The configuration snapshot: an immutable, fully validated description of
 * what the appliance should be.  Built by conf_load() on the control thread,
 * never modified after it is returned; a reload builds a new one.
 */
#ifndef GH_CONF_TYPES_H
#define GH_CONF_TYPES_H

#include <stdbool.h>
#include <stdint.h>

#define CONF_MAGIC        0x9a7e4c01u
#define CONF_PORTS_MAX    4
#define CONF_WORKERS_MAX  16
#define CONF_NAME_MAX     32
#define CONF_DEVICE_MAX   256
#define CONF_PATH_MAX     108 /* sun_path */
#define CONF_PREFIX_MAX   64
#define CONF_EAL_ARGS_MAX 16
#define CONF_EAL_ARG_MAX  128
#define CONF_ERR_MAX      512

/* Which side of the appliance a port faces. */
enum conf_port_role {
	CONF_PORT_INSIDE = 1,  /* clients */
	CONF_PORT_OUTSIDE = 2, /* the Internet / origins */
};

/* How EAL gets its memory. */
enum conf_hugepages {
	CONF_HUGEPAGES_AUTO =
	    0, /* use them when mounted and free, else --no-huge */
	CONF_HUGEPAGES_ON = 1,  /* require them */
	CONF_HUGEPAGES_OFF = 2, /* always --no-huge */
};

/* One `port NAME` section. Addresses are in network byte order. */
struct conf_port {
	char name[CONF_NAME_MAX];
	enum conf_port_role role;
	/* DPDK device: a vdev string ("net_af_packet0,iface=x") or, when
	 * is_pci, a PCI address that goes to EAL's allowlist. */
	char device[CONF_DEVICE_MAX];
	bool is_pci;
	uint32_t addr_be;    /* our IPv4 address on this port */
	uint8_t prefix_len;  /* 0..32 */
	uint32_t gateway_be; /* next hop for off-link destinations; 0: none */
	uint16_t mtu;        /* 68..9000, default 1500 */
	uint16_t rx_desc;    /* RX descriptors per queue, default 1024 */
	uint16_t tx_desc;    /* TX descriptors per queue, default 1024 */
	unsigned line;       /* where the section starts, for messages */
};

/*
 * The whole configuration.  Defaults (see docs/configuration.md) are filled
 * in by conf_load() for every directive the file leaves out.
 */
struct conf {
	unsigned magic;
	char path[CONF_PATH_MAX * 2]; /* file it was loaded from */

	/* global section */
	unsigned workers; /* 1..CONF_WORKERS_MAX, default 1 */
	/* CPUs: main (control) lcore and the CPU each worker is pinned to,
	 * cycled when there are fewer CPUs than workers.  Default: control
	 * on CPU 0, workers on CPU 1 (or 0 on a one-CPU machine). */
	int control_cpu;
	unsigned n_worker_cpus;
	int worker_cpus[CONF_WORKERS_MAX];
	bool busy_poll; /* default false: back off when idle */
	uint32_t
	    idle_spin_polls; /* empty polls before backing off, default 64 */
	uint32_t idle_sleep_max_us; /* longest back-off sleep, default 200 */
	char control_socket[CONF_PATH_MAX]; /* default
	                                       /run/gatehouse/gatehouse.sock */
	char file_prefix[CONF_PREFIX_MAX];  /* EAL --file-prefix, default
	                                       "gatehouse" */
	enum conf_hugepages hugepages;      /* default auto */
	uint32_t memory_mb;                 /* EAL -m, default 256 */
	uint32_t mbufs_per_port;            /* default 8191 */
	unsigned n_eal_args;                /* extra EAL arguments, verbatim */
	char eal_args[CONF_EAL_ARGS_MAX][CONF_EAL_ARG_MAX];

	/* neighbour (ARP) settings */
	uint32_t arp_entry_ttl_s; /* default 300 */
	uint32_t arp_pending_max; /* packets waiting for resolution per worker,
	                             default 64 */
	uint32_t arp_pending_timeout_ms; /* default 1000 */
	uint32_t garp_count; /* gratuitous ARPs per port at start, default 3 */

	unsigned n_ports;
	struct conf_port ports[CONF_PORTS_MAX];
};

#endif /* GH_CONF_TYPES_H */
