/*
 * gatehouse: the appliance process.  Loads the configuration, starts EAL
 * with the devices it names, brings the ports up, launches one worker per
 * worker lcore and then becomes the control thread: it serves the control
 * socket, the management (Prometheus) endpoint and DPDK telemetry until
 * SIGINT or SIGTERM, then stops everything in order.  This is the only place
 * that prints to the terminal or exits.
 */
#include <errno.h>
#include <inttypes.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <arpa/inet.h>

#include <jemalloc/jemalloc.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "auth/auth.h"
#include "cache/cache_index.h"
#include "common/gh_common.h"
#include "conf/conf.h"
#include "dns/dns.h"
#include "log/alog.h"
#include "net/net.h"
#include "net/net_flow_owner.h"
#include "proxy/proxy.h"
#include "tcp/tcp.h"
#include "ctl.h"
#include "eal_args.h"
#include "gatehouse.h"
#include "logger.h"
#include "mgmt.h"
#include "pools.h"
#include "reload.h"
#include "status.h"

#define CTL_POLL_MS 100 /* the control loop notices a signal within this */
/* Credentials each worker may have waiting for the verifier: more get a
 * 503 at once (fwd_auth.c). */
#define APP_AUTH_QUEUE_DEPTH 256

static volatile sig_atomic_t signalled;
static volatile sig_atomic_t reload_asked; /* SIGHUP: the loop reloads */

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		reload_asked = 1;
	else
		signalled = sig;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: gatehouse -c FILE [--check]\n"
	           "       gatehouse --version\n"
	           "  -c, --config FILE  configuration file\n"
	           "      --check        validate the configuration and exit\n"
	           "      --version      print the version and exit\n");
}

static const char *
jemalloc_version(void)
{
	const char *v = "unknown";
	size_t len = sizeof(v);

	/* Also proves jemalloc is the allocator actually linked in. */
	if (mallctl("version", &v, &len, NULL, 0) != 0)
		return "unavailable";
	return v;
}

static int
install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) < 0 ||
	    sigaction(SIGTERM, &sa, NULL) < 0 ||
	    sigaction(SIGHUP, &sa, NULL) < 0)
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static int
open_ports(struct app *a)
{
	const struct conf *c = a->conf;
	char err[256];
	unsigned i;

	for (i = 0; i < c->n_ports; i++) {
		const struct conf_port *cp = &c->ports[i];
		struct port_params pp = {
		    .name = cp->name,
		    .device = cp->device,
		    .is_pci = cp->is_pci,
		    .n_queues = (uint16_t)c->workers,
		    .rx_desc = cp->rx_desc,
		    .tx_desc = cp->tx_desc,
		    .mtu = cp->mtu,
		};
		struct port_info *pi = &a->ports[i];
		char rxo[256], txo[256], name[32];
		int rc;

		snprintf(name, sizeof(name), "gh_mbuf_%u", i);
		a->pools[i] =
		    port_pool_create(name, cp->device, c->mbufs_per_port,
		                     (int)rte_socket_id(), err, sizeof(err));
		if (a->pools[i] == NULL) {
			fprintf(stderr, "gatehouse: port %s: %s\n", cp->name,
			        err);
			return -ENOMEM;
		}
		pp.pool = a->pools[i];
		rc = port_open(&pp, pi, err, sizeof(err));
		if (rc < 0) {
			fprintf(stderr, "gatehouse: %s\n", err);
			return rc;
		}
		a->n_ports = i + 1;
		port_offloads_str(pi->rx_offloads, true, rxo, sizeof(rxo));
		port_offloads_str(pi->tx_offloads, false, txo, sizeof(txo));
		fprintf(stderr,
		        "gatehouse: port %s (%s): driver %s, port %u, "
		        "mac " RTE_ETHER_ADDR_PRT_FMT
		        ", %u queue pair(s), rss %s, "
		        "link %s, rx offloads %s, tx offloads %s\n",
		        cp->name,
		        cp->role == CONF_PORT_INSIDE ? "inside" : "outside",
		        pi->driver, pi->port_id, RTE_ETHER_ADDR_BYTES(&pi->mac),
		        pi->n_queues,
		        pi->rss ? "symmetric"
		                : "no (single queue or no PMD "
		                  "support)",
		        pi->link_up ? "up" : "down", rxo, txo);
	}
	return 0;
}

/*
 * One flow-to-worker table for all ports: the software hash the workers
 * compute (net_flow_owner.h), programmed into every port that does RSS so the
 * NIC agrees with it.  Ports without programmable RSS (af_packet, tap) deliver
 * wherever they like and the workers hand segments to the owner.  The
 * table has 128 entries, or fewer when a port's RETA is smaller, so that it
 * divides every port's RETA size.
 */
static int
rss_setup(struct app *a)
{
	unsigned i, size = NET_FLOW_OWNER_RETA_DEFAULT;
	int rc;

	for (i = 0; i < a->n_ports; i++)
		if (a->ports[i].reta_size != 0 && a->ports[i].reta_size < size)
			size = a->ports[i].reta_size;
	rc = net_flow_owner_init(&a->flow_owner, a->conf->workers, NULL, size);
	if (rc < 0) {
		fprintf(stderr,
		        "gatehouse: RSS table of %u entries for %u "
		        "workers: %s\n",
		        size, a->conf->workers, strerror(-rc));
		return rc;
	}
	for (i = 0; i < a->n_ports; i++) {
		if (a->ports[i].reta_size == 0)
			continue;
		rc = port_reta_set(a->ports[i].port_id, a->ports[i].reta_size,
		                   a->flow_owner.reta, a->flow_owner.reta_size);
		if (rc < 0) {
			fprintf(stderr, "gatehouse: port %s: RSS table: %s\n",
			        a->conf->ports[i].name, strerror(-rc));
			return rc;
		}
		fprintf(stderr,
		        "gatehouse: port %s: RETA of %u entries programmed "
		        "from the %u-entry flow table\n",
		        a->conf->ports[i].name, a->ports[i].reta_size,
		        a->flow_owner.reta_size);
	}
	return 0;
}

static enum tcp_cc_algo
cc_of(enum conf_cc cc)
{
	return cc == CONF_CC_NEWRENO ? TCP_CC_NEWRENO : TCP_CC_CUBIC;
}

/* Open the configured listeners on worker <w>'s stack. */
static int
listeners_open(const struct app *a, struct worker *w)
{
	const struct conf *c = a->conf;
	unsigned i;
	int rc;

	for (i = 0; i < c->n_listeners; i++) {
		const struct conf_listen *l = &c->listeners[i];

		if (conf_listen_is_proxy(l->mode))
			rc = proxy_listen_forward(
			    w->proxy, l->bind_port_idx, l->bind_ip_be,
			    l->bind_port_be, &l->fwd, cc_of(l->cc));
		else if (l->mode == CONF_LISTEN_RELAY)
			rc = proxy_listen_relay(
			    w->proxy, l->bind_port_idx, l->bind_ip_be,
			    l->bind_port_be, l->upstream_port_idx,
			    c->ports[l->upstream_port_idx].addr_be,
			    l->upstream_ip_be, l->upstream_port_be,
			    cc_of(l->cc));
		else
			rc = proxy_listen_service(
			    w->proxy,
			    l->mode == CONF_LISTEN_ECHO ? PROXY_SVC_ECHO
			    : l->mode == CONF_LISTEN_DISCARD
			        ? PROXY_SVC_DISCARD
			        : PROXY_SVC_CHARGEN,
			    l->bind_port_idx, l->bind_ip_be, l->bind_port_be,
			    cc_of(l->cc));
		if (rc < 0) {
			fprintf(stderr, "gatehouse: listen %s: %s\n", l->name,
			        strerror(-rc));
			return rc;
		}
	}
	return 0;
}

/* Worker <w>'s resolver, when the config has a resolver section. */
static int
worker_dns_create(const struct app *a, struct worker *w)
{
	const struct conf_resolver *r = &a->conf->resolver;
	struct dns_params dp = {
	    .worker_id = w->p.id,
	    .net = &w->net,
	    .pool = a->pools[0],
	    .port_idx = r->port_idx,
	    .local_ip_be = a->conf->ports[r->port_idx].addr_be,
	    .n_servers = r->n_servers,
	    .timeout_ms = r->timeout_ms,
	    .tries = r->tries,
	    .cache_entries = r->cache_entries,
	    .neg_ttl_s = r->neg_ttl_s,
	    .max_ttl_s = r->max_ttl_s,
	    .port_ok = net_flow_port_ok,
	    .port_ok_arg = &w->net,
	    .tsc_hz = rte_get_tsc_hz(),
	};
	unsigned i;

	if (r->n_servers == 0)
		return 0;
	for (i = 0; i < r->n_servers; i++)
		dp.server_ip_be[i] = r->server_ip_be[i];
	w->dns = dns_create(&dp);
	if (w->dns == NULL) {
		fprintf(stderr, "gatehouse: worker %u: resolver: %s\n", w->p.id,
		        strerror(errno));
		return -ENOMEM;
	}
	/* UDP for us is the resolver's: its answers */
	if (net_proto_register(&w->net, IPPROTO_UDP, dns_input_burst, w->dns) <
	    0)
		return -EINVAL;
	return 0;
}

/* The TCP stack and the proxy layer of worker <w>, with its listeners. */
static int
worker_tcp_create(const struct app *a, struct worker *w)
{
	const struct conf_tcp *t = &a->conf->tcp;
	struct tcp_stack_params tp = {
	    .worker_id = w->p.id,
	    .n_workers = a->conf->workers,
	    .max_conns = t->max_conns,
	    .syn_backlog = t->syn_backlog,
	    .rcv_buf_bytes = t->rcv_buf_bytes,
	    .snd_buf_bytes = t->snd_buf_bytes,
	    .time_wait_ms = t->time_wait_ms,
	    .keepalive_idle_ms = t->keepalive_idle_ms,
	    .keepalive_intvl_ms = t->keepalive_intvl_ms,
	    .keepalive_probes = t->keepalive_probes,
	    .rto_min_ms = t->rto_min_ms,
	    .rto_max_ms = t->rto_max_ms,
	    .syn_retries = t->syn_retries,
	    .data_retries = t->data_retries,
	    .delack_ms = t->delack_ms,
	    .ooo_mbufs_max = t->ooo_mbufs_max,
	    .ephemeral_lo = t->ephemeral_lo,
	    .ephemeral_hi = t->ephemeral_hi,
	    .cc = cc_of(t->cc),
	    .isn_secret = a->isn_secret,
	    .flow_owner = &a->flow_owner,
	    .net = &w->net,
	    .pool = a->pools[0],
	    .tsc_hz = rte_get_tsc_hz(),
	};
	struct proxy_params pp = {.pool = a->pools[0],
	                          .max_sessions = t->max_conns,
	                          .tsc_hz = rte_get_tsc_hz(),
	                          .cache = a->cache,
	                          .cache_worker = w->p.id,
	                          .live = &a->reload->live,
	                          .auth = a->auth,
	                          .auth_queue = w->p.id,
	                          .n_workers = a->conf->workers,
	                          .worker = w->p.id};
	const struct conf *c = a->conf;
	unsigned i;

	for (i = 0; i < a->n_ports; i++)
		if (!(a->ports[i].tx_offloads & RTE_ETH_TX_OFFLOAD_MULTI_SEGS))
			tp.tx_linear_ports |= 1u << i;
	w->tcp = tcp_stack_create(&tp);
	if (w->tcp == NULL) {
		fprintf(stderr,
		        "gatehouse: worker %u: TCP stack for %u "
		        "connections: %s\n",
		        w->p.id, t->max_conns, strerror(errno));
		return -ENOMEM;
	}
	/* Parked connections resume on the worker's flush, not its tick. */
	if (net_tx_hook_register(&w->net, tcp_stack_tx_flushed, w->tcp) < 0 ||
	    net_proto_register(&w->net, IPPROTO_TCP, tcp_stack_input_burst,
	                       w->tcp) < 0)
		return -ENOMEM;
	pp.tcp = w->tcp;
	if (worker_dns_create(a, w) < 0)
		return -ENOMEM;
	pp.dns = w->dns;
	if (c->access_log.path[0] != '\0') {
		w->alog = alog_ring_create(c->access_log.ring_slots);
		if (w->alog == NULL) {
			fprintf(stderr,
			        "gatehouse: worker %u: access-log ring: %s\n",
			        w->p.id, strerror(errno));
			return -ENOMEM;
		}
	}
	pp.alog = w->alog;
	pp.n_ports = c->n_ports;
	for (i = 0; i < c->n_ports; i++) {
		pp.ports[i].addr_be = c->ports[i].addr_be;
		pp.ports[i].mask_be =
		    c->ports[i].prefix_len == 0
		        ? 0
		        : htonl(~0u << (32 - c->ports[i].prefix_len));
		pp.ports[i].has_gateway = c->ports[i].gateway_be != 0;
		pp.ports[i].outside = c->ports[i].role == CONF_PORT_OUTSIDE;
	}
	w->proxy = proxy_worker_create(&pp);
	if (w->proxy == NULL) {
		fprintf(stderr, "gatehouse: worker %u: proxy sessions: %s\n",
		        w->p.id, strerror(errno));
		return -ENOMEM;
	}
	/* worker 0 runs the pools' active checks: one check per server */
	if (w->p.id == 0 && proxy_worker_checks(w->proxy, c->rev) < 0) {
		fprintf(stderr, "gatehouse: worker 0: health checks: %s\n",
		        strerror(errno));
		return -ENOMEM;
	}
	return listeners_open(a, w);
}

static struct worker *
worker_create(struct app *a, unsigned id)
{
	const struct conf *c = a->conf;
	struct net_params np = {
	    .worker_id = id,
	    .pool = a->pools[0],
	    .tsc_hz = rte_get_tsc_hz(),
	    .arp_entry_ttl_s = c->arp_entry_ttl_s,
	    .arp_pending_max = c->arp_pending_max,
	    .arp_pending_timeout_ms = c->arp_pending_timeout_ms,
	    .on_learn = NULL,
	};
	char name[RTE_RING_NAMESIZE];
	struct worker *w;
	unsigned i;

	w = aligned_alloc(RTE_CACHE_LINE_SIZE,
	                  RTE_ALIGN_CEIL(sizeof(*w), RTE_CACHE_LINE_SIZE));
	if (w == NULL)
		return NULL;
	memset(w, 0, sizeof(*w));
	w->magic = WORKER_MAGIC;
	w->p.id = id;
	w->p.n_ports = a->n_ports;
	w->p.busy_poll = c->busy_poll;
	w->p.idle_spin_polls = c->idle_spin_polls;
	w->p.idle_sleep_max_us = c->idle_sleep_max_us;
	w->p.garp_count = c->garp_count;
	w->p.stop = &a->stop;
	w->peers = a->workers;
	w->n_peers = c->workers;
	snprintf(name, sizeof(name), "gh_neigh_%u", id);
	w->neigh_ring = rte_ring_create_elem(
	    name, sizeof(struct worker_neigh_msg), WORKER_NEIGH_RING,
	    (int)rte_socket_id(), RING_F_SC_DEQ);
	if (w->neigh_ring == NULL)
		goto out_free;
	/* With one worker nobody else needs to hear what it learns. */
	np.on_learn = c->workers > 1 ? worker_share_neigh : NULL;
	np.cb_arg = w;
	np.l4_cnt = &w->cnt.l4;
	if (net_ctx_init(&w->net, &np) < 0)
		goto out_ring;
	for (i = 0; i < a->n_ports; i++) {
		const struct conf_port *cp = &c->ports[i];

		w->p.port_ids[i] = a->ports[i].port_id;
		if (!(a->ports[i].tx_offloads & RTE_ETH_TX_OFFLOAD_MULTI_SEGS))
			w->p.flat_pool[i] = a->pools[i];
		if (net_port_add(&w->net, a->ports[i].port_id, &a->ports[i].mac,
		                 cp->addr_be, cp->prefix_len, cp->gateway_be,
		                 cp->mtu) != (int)i)
			goto out_ring;
	}
	/* TCP and UDP flows to their owner (hand-over ring, a->nets) */
	a->nets[id] = &w->net;
	if (net_steer_init(&w->net, &a->flow_owner, a->nets, c->workers,
	                   NET_STEER_RING) < 0)
		goto out_ring;
	if (worker_tcp_create(a, w) < 0)
		goto out_tcp;
	return w;

out_tcp:
	tcp_stack_destroy(w->tcp);
	proxy_worker_destroy(w->proxy);
	dns_destroy(w->dns);
	alog_ring_destroy(w->alog);
out_ring:
	net_steer_fini(&w->net);
	a->nets[id] = NULL;
	rte_ring_free(w->neigh_ring);
out_free:
	free(w);
	return NULL;
}

static void
workers_free(struct app *a)
{
	unsigned i;

	/* Stacks first: closing their connections frees proxy sessions. */
	for (i = 0; i < a->n_workers; i++) {
		tcp_stack_destroy(a->workers[i]->tcp);
		a->workers[i]->tcp = NULL;
		proxy_worker_destroy(a->workers[i]->proxy);
		a->workers[i]->proxy = NULL;
		dns_destroy(a->workers[i]->dns);
		a->workers[i]->dns = NULL;
	}
	/* The logger is gone by now (logger_stop): the rings are ours. */
	for (i = 0; i < a->n_workers; i++) {
		alog_ring_destroy(a->workers[i]->alog);
		a->workers[i]->alog = NULL;
	}
	for (i = 0; i < a->n_workers; i++) {
		rte_ring_free(a->workers[i]->neigh_ring);
		net_steer_fini(&a->workers[i]->net);
		a->nets[i] = NULL;
		a->workers[i]->magic = 0;
		free(a->workers[i]);
		a->workers[i] = NULL;
	}
	a->n_workers = 0;
}

static int
launch_workers(struct app *a)
{
	unsigned lcore, i = 0;

	RTE_LCORE_FOREACH_WORKER(lcore)
	{
		if (i == a->n_workers)
			break;
		if (rte_eal_remote_launch(worker_main, a->workers[i], lcore) !=
		    0) {
			fprintf(stderr,
			        "gatehouse: cannot launch worker %u on "
			        "lcore %u\n",
			        i, lcore);
			return -EBUSY;
		}
		i++;
	}
	return 0;
}

/* Start the access-log writer over the workers' rings, if configured. */
static int
logger_open(struct app *a)
{
	const struct conf_access_log *al = &a->conf->access_log;
	struct alog_ring *rings[CONF_WORKERS_MAX];
	char err[CONF_ERR_MAX];
	unsigned i;

	if (al->path[0] == '\0')
		return 0;
	for (i = 0; i < a->n_workers; i++)
		rings[i] = a->workers[i]->alog;
	a->logger = logger_start(al->path, (enum alog_fmt)al->format, rings,
	                         a->n_workers, err, sizeof(err));
	if (a->logger == NULL) {
		fprintf(stderr, "gatehouse: access log: %s\n", err);
		return -EIO;
	}
	fprintf(stderr, "gatehouse: access log %s\n", al->path);
	return 0;
}

static void
print_eal_args(const struct eal_args *ea)
{
	int i;

	fprintf(stderr, "gatehouse: %s\n", ea->huge_note);
	fprintf(stderr, "gatehouse: EAL arguments:");
	for (i = 1; i < ea->argc; i++)
		fprintf(stderr, " %s", ea->argv[i]);
	fprintf(stderr, "\n");
}

/* Everything after the configuration is loaded. Returns the exit code. */
/*
 * The shared cache, when a forward listener has cache on: one index for
 * every worker, its budget and largest object the largest any such
 * listener asks for (each listener still refuses objects over its own
 * cache-max-object-kb).  The index's object limit counts the head, the
 * key and the segments' descriptors too: it gets room above the body
 * limit, within the budget.  This thread, the control thread, registers
 * with QSBR once the index exists and stays offline but around each cache
 * command (ctl.c).  Returns 0 or -1 (printed).
 */
/*
 * The verifier of proxy users' passwords, when any listener is in forward
 * mode (with auth-users or not: a reload may add them).  A plain pthread
 * that inherits the control lcore's CPU, never a worker's.
 */
static int
auth_open(struct app *a)
{
	const struct conf *c = a->conf;
	unsigned i;
	int rc;

	for (i = 0; i < c->n_listeners; i++)
		if (conf_listen_is_proxy(c->listeners[i].mode))
			break;
	if (i == c->n_listeners)
		return 0;
	a->auth = auth_verifier_new(c->workers, APP_AUTH_QUEUE_DEPTH);
	if (a->auth == NULL) {
		fprintf(stderr, "gatehouse: auth verifier: %s\n",
		        strerror(errno));
		return -ENOMEM;
	}
	rc = auth_verifier_start(a->auth);
	if (rc < 0) {
		fprintf(stderr, "gatehouse: auth verifier thread: %s\n",
		        strerror(-rc));
		auth_verifier_free(a->auth);
		a->auth = NULL;
		return rc;
	}
	return 0;
}

static int
cache_open(struct app *a)
{
	const struct conf *c = a->conf;
	uint64_t budget = 0, max_obj = 0;
	unsigned i;
	int rc;

	for (i = 0; i < c->n_listeners; i++) {
		const struct conf_forward *f = &c->listeners[i].fwd;

		if (c->listeners[i].mode != CONF_LISTEN_FORWARD || !f->cache)
			continue;
		budget = RTE_MAX(budget, (uint64_t)f->cache_mb << 20);
		max_obj =
		    RTE_MAX(max_obj, (uint64_t)f->cache_max_object_kb << 10);
	}
	if (budget == 0)
		return 0;
	max_obj = RTE_MIN(budget, max_obj + max_obj / 8 + (128u << 10));
	a->cache = cache_index_create(budget, max_obj, c->workers);
	if (a->cache == NULL) {
		fprintf(stderr, "gatehouse: cache of %" PRIu64 " MiB: %s\n",
		        budget >> 20, strerror(errno));
		return -1;
	}
	/* hits leave as mbufs pointing into the cache's memory: a NIC
	 * that DMAs needs it registered and mapped */
	rc = cache_index_dma_register(a->cache);
	if (rc > 0)
		fprintf(stderr,
		        "gatehouse: cache memory DMA-mapped for %d device(s)\n",
		        rc);
	else if (rc < 0)
		fprintf(stderr,
		        "gatehouse: WARNING: cache memory not registered for "
		        "DMA (%s): a NIC that DMAs would send cache hits "
		        "from unmapped memory\n",
		        rc == -ENOTSUP ? "IOVA as PA" : strerror(-rc));
	rcu_register_thread();
	rcu_thread_offline();
	return 0;
}

/* After the workers stopped: the stacks close their connections (a fill
 * given up calls call_rcu: this thread, registered since cache_open, is an
 * online reader while they do), then the index goes. */
static void
workers_and_cache_free(struct app *a)
{
	int rc;

	if (a->cache != NULL)
		rcu_thread_online();
	workers_free(a);
	if (a->cache == NULL)
		return;
	rcu_unregister_thread();
	rc = cache_index_destroy(a->cache);
	if (rc < 0)
		fprintf(stderr, "gatehouse: cache not freed: %s\n",
		        strerror(-rc));
	a->cache = NULL;
}

static int
run(struct app *a)
{
	static struct eal_args ea;
	const struct conf *c = a->conf;
	struct ctl ctl = {.fd = -1};
	static struct mgmt mgmt = {.fd = -1};
	static struct status_view views; /* ~32 KiB: not on the stack */
	char err[CONF_ERR_MAX];
	int rc, status = EXIT_FAILURE;
	unsigned i;

	rc = eal_args_build(&ea, c, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "gatehouse: %s\n", err);
		return EXIT_FAILURE;
	}
	print_eal_args(&ea);
	if (rte_eal_init(ea.argc, ea.argv) < 0) {
		fprintf(stderr, "gatehouse: EAL init failed: %s\n",
		        rte_strerror(rte_errno));
		return EXIT_FAILURE;
	}
	a->start_tsc = rte_rdtsc();
	if (rte_lcore_count() < c->workers + 1) {
		fprintf(stderr, "gatehouse: EAL gave %u lcores, need %u\n",
		        rte_lcore_count(), c->workers + 1);
		goto out_eal;
	}
	if (open_ports(a) < 0)
		goto out_ports;
	if (rss_setup(a) < 0)
		goto out_ports;
	if (getrandom(a->isn_secret, sizeof(a->isn_secret), 0) !=
	    (ssize_t)sizeof(a->isn_secret)) {
		fprintf(stderr,
		        "gatehouse: no random bytes for the ISN key: "
		        "%s\n",
		        strerror(errno));
		goto out_ports;
	}
	if (cache_open(a) < 0)
		goto out_ports;
	if (auth_open(a) < 0)
		goto out_workers;
	/* version 1 is published before the workers read it */
	if (reload_init(a->reload, a->boot) < 0) {
		fprintf(stderr, "gatehouse: live version: out of memory\n");
		goto out_workers;
	}
	for (i = 0; i < c->workers; i++) {
		a->workers[i] = worker_create(a, i);
		if (a->workers[i] == NULL) {
			fprintf(stderr, "gatehouse: worker %u: out of memory\n",
			        i);
			goto out_workers;
		}
		a->n_workers = i + 1;
	}
	if (logger_open(a) < 0)
		goto out_workers;
	if (ctl_open(&ctl, c->control_socket, err, sizeof(err)) < 0) {
		fprintf(stderr, "gatehouse: %s\n", err);
		goto out_workers;
	}
	if (mgmt_open(&mgmt, c->mgmt_ip_be, c->mgmt_port_be, err, sizeof(err)) <
	    0) {
		fprintf(stderr, "gatehouse: %s\n", err);
		goto out_stop;
	}
	a->mgmt_cnt = &mgmt.cnt;
	if (c->rev != NULL && c->rev->n_pools > 0) {
		static struct pools_watch watch;

		a->pool_watch = &watch;
	}
	if (app_telemetry_register(a) < 0)
		fprintf(stderr, "gatehouse: telemetry commands not "
		                "registered\n");
	if (install_signals() < 0 || launch_workers(a) < 0)
		goto out_stop;
	status_init(&views);
	a->status = &views;
	fprintf(stderr,
	        "gatehouse: running: %u worker(s), %u port(s), control "
	        "socket %s, metrics %s:%u%s, jemalloc %s\n",
	        a->n_workers, a->n_ports, c->control_socket,
	        inet_ntop(AF_INET, &c->mgmt_ip_be, err, sizeof(err)),
	        ntohs(c->mgmt_port_be), mgmt.fd < 0 ? " (off)" : "",
	        jemalloc_version());

	while (!signalled) {
		rc = mgmt_ctl_serve(&mgmt, &ctl, a, CTL_POLL_MS);
		if (rc < 0)
			fprintf(stderr, "gatehouse: control socket: %s\n",
			        strerror(-rc));
		if (reload_asked) {
			static char reply[1024];

			/* the outcome goes to the log (reload_run) */
			reload_asked = 0;
			(void)reload_run(a->reload, a, reply, sizeof(reply));
		}
		reload_poll(a->reload);
		pools_watch_poll(a->pool_watch, a);
		status_poll(&views, a);
	}
	fprintf(stderr, "gatehouse: signal %d: stopping\n", (int)signalled);
	status = EXIT_SUCCESS;

out_stop:
	__atomic_store_n(&a->stop, 1, __ATOMIC_RELEASE);
	rte_eal_mp_wait_lcore();
	a->mgmt_cnt = NULL;
	a->pool_watch = NULL;
	a->status = NULL;
	mgmt_close(&mgmt);
	ctl_close(&ctl);
out_workers:
	/* The workers are stopped: the logger drains their rings and ends. */
	logger_stop(a->logger);
	a->logger = NULL;
	workers_and_cache_free(a);
	/* the sessions are closed: no transaction holds a version */
	reload_fini(a->reload);
out_ports:
	auth_verifier_free(a->auth); /* the workers are gone */
	a->auth = NULL;
	for (i = 0; i < a->n_ports; i++)
		port_close(a->ports[i].port_id);
	for (i = 0; i < CONF_PORTS_MAX; i++)
		rte_mempool_free(a->pools[i]);
out_eal:
	rte_eal_cleanup();
	if (status == EXIT_SUCCESS)
		fprintf(stderr, "gatehouse: stopped\n");
	return status;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"check", no_argument, NULL, 'k'},
	    {"version", no_argument, NULL, 'V'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	static struct app a;
	static struct reload rl;
	const char *path = NULL;
	char err[CONF_ERR_MAX];
	struct conf *c;
	int opt, check = 0, status;

	while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			path = optarg;
			break;
		case 'k':
			check = 1;
			break;
		case 'V':
			printf("gatehouse %s\n", GH_VERSION);
			return EXIT_SUCCESS;
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (path == NULL || optind != argc) {
		usage(stderr);
		return 2;
	}
	c = conf_load(path, err, sizeof(err));
	if (c == NULL) {
		fprintf(stderr, "%s\n", err);
		return EXIT_FAILURE;
	}
	if (check) {
		printf("%s: ok (%u port(s), %u worker(s))\n", path, c->n_ports,
		       c->workers);
		conf_free(c);
		return EXIT_SUCCESS;
	}
	a.magic = APP_MAGIC;
	a.conf = c;
	a.boot = c;
	a.reload = &rl;
	status = run(&a);
	a.magic = 0;
	conf_free(c);
	return status;
}
