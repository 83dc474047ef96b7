/*
 * The configuration snapshot: an immutable, fully validated description of
 * what the appliance should be.  Built by conf_load() on the control thread,
 * never modified after it is returned; a reload builds a new one.
 */
#ifndef GH_CONF_TYPES_H
#define GH_CONF_TYPES_H

#include <stdbool.h>
#include <stdint.h>

#define CONF_MAGIC         0x9a7e4c01u
#define CONF_PORTS_MAX     4
#define CONF_WORKERS_MAX   16
#define CONF_NAME_MAX      32
#define CONF_DEVICE_MAX    256
#define CONF_PATH_MAX      108 /* sun_path */
#define CONF_PREFIX_MAX    64
#define CONF_EAL_ARGS_MAX  16
#define CONF_EAL_ARG_MAX   128
#define CONF_ERR_MAX       512
#define CONF_LISTENERS_MAX 16

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

/* Congestion control of a TCP connection. */
enum conf_cc {
	CONF_CC_CUBIC = 0,
	CONF_CC_NEWRENO = 1,
};

/* What a `listen` section does with the connections it accepts. */
enum conf_listen_mode {
	CONF_LISTEN_RELAY = 1,   /* splice to upstream */
	CONF_LISTEN_ECHO = 2,    /* RFC 862 */
	CONF_LISTEN_DISCARD = 3, /* RFC 863 */
	CONF_LISTEN_CHARGEN = 4, /* RFC 864 */
	CONF_LISTEN_FORWARD = 5, /* HTTP/1.1 forward proxy (absolute-form,
	                            CONNECT); `mode reverse` is this mode
	                            with conf_forward.reverse set */
	CONF_LISTEN_SOCKS = 6,   /* SOCKS5 server (RFC 1928, CONNECT) */
};

/* Whether a listener of <mode> is one of the proxy's own (forward or
 * socks): it has a struct conf_forward that is live (access rules,
 * users, timeouts), a listener counter group and sessions of lib/proxy's
 * forward machinery. */
static inline bool
conf_listen_is_proxy(enum conf_listen_mode mode)
{
	return mode == CONF_LISTEN_FORWARD || mode == CONF_LISTEN_SOCKS;
}

#define CONF_ALLOW_SRC_MAX     32
#define CONF_CONNECT_PORTS_MAX 16
/* anonymize-user-agent: its longest value, and the default (the prefix
 * every browser's User-Agent shares: names no client, no software) */
#define CONF_ANON_UA_MAX     128
#define CONF_ANON_UA_DEFAULT "Mozilla/5.0"
#define CONF_RESOLVERS_MAX   4 /* == DNS_SERVERS_MAX */

/* What a forward proxy does with X-Forwarded-For. */
enum conf_xff {
	CONF_XFF_ADD = 0,     /* append the client's address (default) */
	CONF_XFF_DELETE = 1,  /* remove any the client sent */
	CONF_XFF_OFF = 2,     /* pass it on untouched */
	CONF_XFF_REPLACE = 3, /* remove any the client sent, send the
	                         client's address (reverse's default) */
};

/* An IPv4 network, network byte order; addr & ~mask == 0. */
struct acl_set;    /* lib/acl: the compiled access rules */
struct auth_users; /* lib/auth: the proxy users and their groups */

#define CONF_AUTH_REALM_MAX 64 /* auth-realm, with its NUL */

struct conf_cidr {
	uint32_t addr_be;
	uint32_t mask_be;
};

/* ---- the reverse proxy: backend pools and routes (issue 14) ---- */

struct lb_pool;   /* lib/lb: a pool's shape (balancing) */
struct lb_health; /* lib/lb: its servers' health, shared */

#define CONF_POOLS_MAX        16
#define CONF_POOL_SERVERS_MAX 32  /* == LB_SERVERS_MAX (checked in conf) */
#define CONF_ROUTES_MAX       32  /* route lines per reverse listener */
#define CONF_ROUTE_HOST_MAX   253 /* a DNS name's text */
#define CONF_ROUTE_PATH_MAX   255
#define CONF_CHECK_PATH_MAX   128

enum conf_balance {
	CONF_BALANCE_ROUNDROBIN = 0, /* == LB_ROUND_ROBIN */
	CONF_BALANCE_LEASTCONN = 1,  /* == LB_LEAST_OUTSTANDING */
	CONF_BALANCE_URI_HASH = 2,   /* == LB_URI_HASH */
};

enum conf_check {
	CONF_CHECK_OFF = 0,
	CONF_CHECK_TCP = 1,
	CONF_CHECK_HTTP = 2,
};

/* One `server NAME IP:PORT [weight N] [max-conns N] [idle-max N]` of a
 * pool. */
struct conf_server {
	char name[CONF_NAME_MAX];
	uint32_t ip_be;
	uint16_t port_be;
	uint32_t weight;    /* 1..256, default 1 */
	uint32_t max_conns; /* 0: no limit (default) */
	uint32_t idle_max;  /* idle keep-alive connections kept, 0..65536;
	                       default the pool's server-idle-max */
	unsigned port_idx;  /* the port that reaches it (file end) */
	unsigned line;
};

/* One `pool NAME` section.  Every field holds a value; <lb> and <health>
 * are built when the whole file is read and owned by the snapshot's
 * struct conf_rev (freed with its last reference). */
struct conf_pool {
	char name[CONF_NAME_MAX];
	unsigned n_servers; /* 1..CONF_POOL_SERVERS_MAX */
	struct conf_server servers[CONF_POOL_SERVERS_MAX];
	enum conf_balance balance; /* default roundrobin */
	uint32_t queue_timeout_ms; /* 0..600000, default 5000; 0: no queue */
	uint32_t queue_max;        /* per worker, 1..65536, default 1024 */
	uint32_t server_idle_max;  /* a server's idle-max when its line has
	                              none: 0..65536, default 256 */
	uint32_t eject_fails;      /* 0..1000, default 5; 0: never */
	uint32_t eject_5xx;        /* 0..1000, default 0: never */
	uint32_t eject_base_ms;    /* 100..3600000, default 10000 */
	uint32_t eject_max_ms;     /* 100..86400000, default 300000 */
	/* active checks: stored, not acted on yet */
	enum conf_check check;                /* default off */
	char check_path[CONF_CHECK_PATH_MAX]; /* default "/" */
	uint32_t check_status;                /* 100..599, default 200 */
	uint32_t check_interval_ms;           /* 100..3600000, 2000 */
	uint32_t check_timeout_ms;            /* 10..600000, 1000 */
	uint32_t rise;                        /* 1..100, default 2 */
	uint32_t fall;                        /* 1..100, default 3 */
	unsigned line;
	struct lb_pool *lb;
	struct lb_health *health;
};

enum conf_route_kind {
	CONF_ROUTE_EXACT = 0,    /* www.example.com */
	CONF_ROUTE_WILDCARD = 1, /* *.example.com: host holds
	                            ".example.com" */
	CONF_ROUTE_ANY = 2,      /* * */
};

/* One `route HOST[/PATH-PREFIX] POOL` line. */
struct conf_route {
	uint8_t kind;      /* enum conf_route_kind */
	uint16_t host_len; /* bytes of host (lower case) */
	uint16_t path_len; /* bytes of path, 0: every path */
	uint16_t pool;     /* index in conf_rev.pools */
	unsigned line;
	char host[CONF_ROUTE_HOST_MAX + 2];
	char path[CONF_ROUTE_PATH_MAX + 1];
	char pool_name[CONF_NAME_MAX]; /* until the file end resolves it */
};

/* A reverse listener's routes, in file order, and its default-pool. */
struct conf_routes {
	unsigned n;
	int default_pool; /* index in conf_rev.pools, -1: none */
	unsigned default_line;
	char default_name[CONF_NAME_MAX];
	struct conf_route r[CONF_ROUTES_MAX];
};

/*
 * The pools and the reverse listeners' routes of a snapshot: one object
 * that reloads keep (pools and routes are restart-only: a reloaded
 * snapshot takes a reference to the running one's).  <refs> is touched by
 * the control thread only (conf_parse, conf_restart_diff, conf_free).
 */
struct conf_rev {
	unsigned refs;
	unsigned n_pools;
	struct conf_pool pools[CONF_POOLS_MAX];
	/* by the index of the listener at parse time; NULL: not reverse */
	struct conf_routes *routes[CONF_LISTENERS_MAX];
};

/* Settings of a `listen` section in mode forward.  Times in ms; every
 * field holds a value (defaults in docs/configuration.md). */
struct conf_forward {
	/* mode socks: the listener speaks SOCKS5, not HTTP; of the
	 * settings below it uses allow-src, allow-private-dst, the access
	 * rules, the users, client_header_ms (timeout-handshake-ms),
	 * client_idle_ms (timeout-idle-ms) and connect_ms */
	bool socks;
	unsigned n_allow_src; /* allow-src, repeatable; 0: nobody allowed */
	struct conf_cidr allow_src[CONF_ALLOW_SRC_MAX];
	unsigned n_connect_ports; /* connect-ports, default one: 443 */
	uint16_t connect_ports[CONF_CONNECT_PORTS_MAX]; /* host order */
	enum conf_xff xff; /* x-forwarded-for, default add */
	bool anonymous;    /* anonymize on|off (alias anonymous),
	                      default off */
	/* anonymize-user-agent: what User-Agent becomes on an anonymize
	 * listener ("": CONF_ANON_UA_DEFAULT), or removed (the value
	 * "remove": anon_ua_remove) */
	char anon_user_agent[CONF_ANON_UA_MAX + 1];
	bool anon_ua_remove;
	bool anon_cookies;      /* anonymize-cookies on|off, default off: Cookie
	                           and Set-Cookie removed too */
	bool via;               /* via on|off, default on */
	bool allow_private_dst; /* allow-private-dst on|off, default off:
	                           refuse 10/8, 172.16/12, 192.168/16,
	                           100.64/10 destinations */
	/* The listener's access rules (http-access, and allow-src as an
	 * implicit rule when it has none), compiled when the whole file is
	 * read (conf_acl.c); owned by the snapshot, freed by conf_free().
	 * Read-only: any number of workers check against it at once. */
	struct acl_set *acl;
	/* Proxy authentication (conf_auth.c): with auth-users, every
	 * request needs valid Basic credentials (407 otherwise); NULL:
	 * none.  The table is read when the section ends and owned by the
	 * snapshot (one reference, dropped by conf_free()); read-only. */
	struct auth_users *auth;
	char auth_users_path[CONF_PATH_MAX * 2];  /* auth-users, "" none */
	char auth_groups_path[CONF_PATH_MAX * 2]; /* auth-groups, "" none */
	char auth_realm[CONF_AUTH_REALM_MAX];     /* auth-realm, "Gatehouse" */
	/* What each rule of <acl> says, by rule index (acl_verdict.rule), as
	 * `gatehousectl acl test` shows it: "http-access deny blocked", or
	 * "implicit: allow-src 198.18.1.0/24" for the rule allow-src becomes
	 * when the listener has no http-access rule (then acl_implicit_src).
	 * Owned by the snapshot like <acl>. */
	char **acl_rule_text;
	unsigned n_acl_rules;
	bool acl_implicit_src;
	uint32_t client_header_ms;  /* timeout-client-header-ms, 10000 */
	uint32_t client_idle_ms;    /* timeout-client-idle-ms, 60000 */
	uint32_t connect_ms;        /* timeout-connect-ms, 5000 */
	uint32_t upstream_read_ms;  /* timeout-upstream-read-ms, 30000 */
	uint32_t upstream_idle_ms;  /* upstream-idle-ms, 30000 */
	uint32_t upstream_idle_max; /* upstream-idle-max (per worker), 64 */
	uint32_t max_request_line;  /* max-request-line, 8192 */
	uint32_t max_headers;       /* max-headers, 100 (<= 128) */
	uint32_t max_header_bytes;  /* max-header-bytes, 32768 */
	uint64_t max_body_bytes;    /* max-request-body-bytes, 0: no limit */
	/* the shared HTTP cache (one index for every worker and listener:
	 * its budget and largest object are the largest any listener with
	 * cache on asks for) */
	bool cache;                     /* cache on|off, default off */
	uint32_t cache_mb;              /* cache-mb 1..1048576, default 64 */
	uint32_t cache_max_object_kb;   /* cache-max-object-kb 1..1048576,
	                                   default 1024; <= cache-mb */
	uint32_t cache_heuristic_max_s; /* cache-heuristic-max-s
	                                   0..31536000, default 86400 */
	uint32_t cache_collapse_ms;     /* cache-collapse-wait-ms 0..600000,
	                                   default 10000; 0: no collapsing */
	uint32_t cache_bg_max;          /* cache-background-max 0..65536,
	                                   default 64: background validations
	                                   (stale-while-revalidate) at a time
	                                   per worker; 0: none */
	/* cache-status on|off: RFC 9211 Cache-Status on responses, default
	 * off */
	bool cache_status;
	/* cache-cdn-control on|off: a valid CDN-Cache-Control (RFC 9213)
	 * decides this listener's storing and freshness instead of
	 * Cache-Control; its default by mode is cdn_control_default() in
	 * conf_listen.c (off for forward) */
	bool cache_cdn_control;
	/* the listen section's name (a copy of conf_listen.name, set with
	 * it): Cache-Status names the cache by it (RFC 9211 2) */
	char name[CONF_NAME_MAX];
	/* mode reverse (issue 14): requests in origin-form routed by Host
	 * and path to the pools of <rev> by <routes> (both owned by the
	 * snapshot's struct conf_rev; NULL on a forward listener) */
	bool reverse;
	bool xfp;              /* x-forwarded-proto on|off, default on */
	bool forwarded;        /* forwarded on|off (RFC 7239), default off */
	bool location_rewrite; /* location-rewrite on|off, default off */
	const struct conf_routes *routes;
	const struct conf_rev *rev;
};

/* The `resolver` section (the forward proxy's DNS). */
struct conf_resolver {
	unsigned n_servers; /* nameserver, repeatable; 0: no section */
	uint32_t server_ip_be[CONF_RESOLVERS_MAX];
	unsigned port_idx;      /* the port that reaches server_ip_be[0] (and
	                           every other server: queries leave from it) */
	uint32_t timeout_ms;    /* timeout-ms 10..60000, default 1000 */
	uint32_t tries;         /* tries 1..10, default 3 */
	uint32_t cache_entries; /* cache-entries, power of two 16..1048576,
	                           default 4096 */
	uint32_t neg_ttl_s;     /* negative-ttl-s 0..86400, default 30 */
	uint32_t max_ttl_s;     /* max-ttl-s 1..604800, default 3600 */
	unsigned line;          /* header line, 0: absent */
};

enum conf_log_format {
	CONF_LOG_SQUID = 0, /* default */
	CONF_LOG_COMBINED = 1,
	CONF_LOG_JSON = 2,
};

/* The `access-log` section. */
struct conf_access_log {
	char path[CONF_PATH_MAX * 2]; /* path, required; "" : no section */
	enum conf_log_format format;  /* format squid|combined|json */
	uint32_t ring_slots;          /* ring-slots per worker, power of two
	                                 64..1048576, default 4096 */
	unsigned line;                /* header line, 0: absent */
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

/* The `tcp` section: the userspace TCP stack.  All limits are per worker.
 * Present or not, every field holds a value (the defaults below). */
struct conf_tcp {
	uint32_t max_conns;         /* max-conns 16..4194304, default 65536 */
	uint32_t syn_backlog;       /* syn-backlog 0..1048576, default 1024 (0:
	                               always SYN cookies) */
	uint32_t rcv_buf_bytes;     /* rcv-buf-kb 4..65536 (KiB), default 256 */
	uint32_t snd_buf_bytes;     /* snd-buf-kb 4..65536, default 256 */
	uint32_t time_wait_ms;      /* time-wait-ms 0..240000, default 60000 */
	uint32_t keepalive_idle_ms; /* keepalive-idle-ms 0..86400000, default
	                               0 (off) */
	uint32_t keepalive_intvl_ms; /* keepalive-intvl-ms 1000..3600000,
	                                default 75000 */
	uint32_t keepalive_probes;   /* keepalive-probes 1..100, default 9 */
	uint32_t rto_min_ms;         /* rto-min-ms 1..60000, default 200 */
	uint32_t rto_max_ms;         /* rto-max-ms 100..600000, default 60000;
	                                never below rto_min_ms */
	uint32_t syn_retries;        /* syn-retries 1..20, default 6 */
	uint32_t data_retries;       /* data-retries 1..30, default 15 */
	uint32_t delack_ms;          /* delack-ms 1..500, default 40 */
	/* ooo-mbufs-max 0..524287, default 0 (a quarter of the port's mbuf
	 * pool divided among the workers): mbufs the worker's out-of-order
	 * queues may hold together; times workers at most half of
	 * mbufs-per-port */
	uint32_t ooo_mbufs_max;
	/* ephemeral-ports LO-HI, default 32768-60999: local ports for
	 * connections the stack opens; 1024 <= LO < HI, at least 1024. */
	uint16_t ephemeral_lo;
	uint16_t ephemeral_hi;
	enum conf_cc cc; /* congestion-control, default cubic */
	unsigned line;   /* line of the section header, 0: absent */
};

/*
 * One `listen NAME` section: a TCP service of the userspace stack.  The
 * port indexes are resolved after the whole file is read, so sections may
 * come in any order.  Addresses and ports are in network byte order.
 */
struct conf_listen {
	char name[CONF_NAME_MAX];
	enum conf_listen_mode mode;
	uint32_t bind_ip_be;    /* an address of ports[bind_port_idx] */
	uint16_t bind_port_be;  /* 1..65535 */
	unsigned bind_port_idx; /* index in conf->ports */
	/* Relay only (0 otherwise): where to connect, and the port the
	 * connection leaves from (the one whose subnet holds the upstream,
	 * else the first outside port with a gateway). */
	uint32_t upstream_ip_be;
	uint16_t upstream_port_be;
	unsigned upstream_port_idx;
	enum conf_cc cc; /* default: the tcp section's */
	unsigned line;   /* where the section starts, for messages */
	/* Mode forward only (defaults filled in for every mode). */
	struct conf_forward fwd;
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
	/* management-listen: the Prometheus endpoint's kernel socket;
	 * mgmt_port_be 0 when off.  Default 127.0.0.1:9190. */
	uint32_t mgmt_ip_be;
	uint16_t mgmt_port_be;
	unsigned n_eal_args; /* extra EAL arguments, verbatim */
	char eal_args[CONF_EAL_ARGS_MAX][CONF_EAL_ARG_MAX];

	/* neighbour (ARP) settings */
	uint32_t arp_entry_ttl_s; /* default 300 */
	uint32_t arp_pending_max; /* packets waiting for resolution per worker,
	                             default 64 */
	uint32_t arp_pending_timeout_ms; /* default 1000 */
	uint32_t garp_count; /* gratuitous ARPs per port at start, default 3 */

	unsigned n_ports;
	struct conf_port ports[CONF_PORTS_MAX];

	struct conf_tcp tcp;
	unsigned n_listeners;
	struct conf_listen listeners[CONF_LISTENERS_MAX];

	struct conf_resolver resolver;
	struct conf_access_log access_log;

	/* pool sections and reverse routes; NULL when the file has none
	 * (one reference, dropped by conf_free) */
	struct conf_rev *rev;
};

#endif /* GH_CONF_TYPES_H */
