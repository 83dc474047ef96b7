/*
 * The forward proxy's test set-up (see fwd_test_util.h).
 */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>
#include <rte_cycles.h>

#include "fwd_test_util.h"
#include "cache/cache_index.h"
#include "dns/dns.h"

struct fwd_ctx *fc;
struct cache_index *ci;
struct dns_resolver *dns;
struct proxy_counters cnt;
struct conf_forward cfg;

/* The proxy's timers and wakes, on the fake clock (run()). */
static void
fwd_tick(uint64_t now_tsc)
{
	fwd_ctx_poll(fc);
	fwd_ctx_timer(fc, now_tsc);
}

void
ft_setup(const struct ft_opts *o)
{
	struct dns_params dp = {
	    .net = &tt_a.net,
	    .port_idx = 0,
	    .local_ip_be = TT_IP_A,
	    .n_servers = 1,
	    .server_ip_be = {TT_IP_B},
	    .tsc_hz = TT_HZ,
	    .start_tsc = TT_T0,
	};
	struct proxy_params p = {
	    .tcp = NULL,
	    .pool = NULL,
	    .max_sessions = 16,
	    .n_ports = 1,
	};

	tt_setup_default();
	pt_reset();
	memset(&cnt, 0, sizeof(cnt));
	dp.pool = tt_pool; /* set by tt_setup_default() */
	dns = dns_create(&dp);
	cr_assert_not_null(dns);
	p.tcp = tt_a.s;
	p.pool = tt_pool;
	p.dns = dns;
	p.alog = o->alog;
	p.auth = o->auth;
	p.auth_queue = 0;
	p.ports[0].addr_be = TT_IP_A;
	p.ports[0].mask_be = TT_IP(255, 255, 255, 0);
	p.ports[0].outside = true;
	p.tsc_hz = TT_HZ; /* the proxy's timers run on the fake clock too */
	p.live = o->live;
	p.start_tsc = TT_T0;
	if (o->cache) {
		/* the test thread is the worker: a registered QSBR reader */
		rcu_register_thread();
		ci = cache_index_create(4u << 20, 1u << 20, 1);
		cr_assert_not_null(ci);
		p.cache = ci;
		p.cache_worker = 0;
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.n_allow_src = 1;
	cfg.allow_src[0].addr_be = o->deny_b ? TT_IP(10, 9, 9, 9) : TT_IP_B;
	cfg.allow_src[0].mask_be = TT_IP(255, 255, 255, 255);
	cfg.n_connect_ports = 2;
	cfg.connect_ports[0] = 443;
	cfg.connect_ports[1] = 80; /* the harness's origin, for CONNECT */
	cfg.xff = CONF_XFF_OFF;
	cfg.via = true;
	cfg.allow_private_dst = true; /* the lab-in-a-process is 10/8 */
	cfg.client_header_ms = 10000;
	cfg.client_idle_ms = 60000;
	cfg.connect_ms = 5000;
	cfg.upstream_read_ms = 30000;
	cfg.upstream_idle_ms = 30000;
	cfg.upstream_idle_max = 8;
	cfg.max_request_line = 8192;
	cfg.max_headers = 100;
	cfg.max_header_bytes = 32768;
	cfg.cache = o->cache;
	cfg.cache_status = o->cache_status;
	cfg.cache_mb = 4;
	cfg.cache_max_object_kb =
	    o->max_object_kb != 0 ? o->max_object_kb : 512;
	cfg.cache_heuristic_max_s = 86400;
	cfg.cache_collapse_ms = o->collapse_ms != 0 ? o->collapse_ms : 10000;
	cfg.cache_bg_max = o->bg_max != 0 ? o->bg_max : 64;
	strcpy(cfg.name, "proxy"); /* Cache-Status: proxy; ... */
	fc = fwd_ctx_create(&p, &cnt, &cfg);
	cr_assert_not_null(fc);
	pt_tick = fwd_tick;
	cr_assert_eq(
	    fwd_listen(fc, 0, TT_IP_A, RTE_BE16(3128), &cfg, TCP_CC_NEWRENO),
	    0);
	cr_assert_eq(tcp_listen(tt_b.s, 0, TT_IP_B, RTE_BE16(80),
	                        TCP_CC_NEWRENO, &peer_cbs, &org),
	             0);
}

void
ft_teardown(void)
{
	tt_teardown(); /* the proxy's legs close (on_close) here */
	fwd_ctx_destroy(fc);
	fc = NULL;
	dns_destroy(dns);
	dns = NULL;
	if (ci != NULL) {
		rcu_unregister_thread();
		cr_assert_eq(cache_index_destroy(ci), 0,
		             "cache objects still referenced at the end");
		ci = NULL;
	}
}

void
peer_connect(struct peer *p)
{
	struct tcp_conn *c = NULL;

	cr_assert_eq(tcp_connect(tt_b.s, 0, TT_IP_B, TT_IP_A, RTE_BE16(3128),
	                         TCP_CC_NEWRENO, &peer_cbs, p, &c),
	             0);
	run(5);
	cr_assert(p->connected);
}

void
client_connect(void)
{
	peer_connect(&cli);
}

uint64_t
origin_requests(void)
{
	return cnt.fwd_upstream_new + cnt.fwd_upstream_reused;
}

bool
ft_get(const char *path, const char *extra, const char *resp)
{
	uint64_t before = origin_requests();
	char req[512];

	snprintf(req, sizeof(req),
	         "GET http://10.0.0.2%s HTTP/1.1\r\nHost: 10.0.0.2\r\n%s\r\n",
	         path, extra);
	send_str(&cli, req);
	run(10);
	if (origin_requests() == before)
		return false;
	if (resp != NULL) {
		send_str(&org, resp);
		run(10);
	}
	return true;
}

bool
ft_get_clear(const char *path, const char *extra, const char *resp)
{
	cli.rx_len = org.rx_len = 0;
	cli.rx[0] = org.rx[0] = '\0';
	return ft_get(path, extra, resp);
}

struct alog_ring *
ft_setup_ring(struct ft_opts o)
{
	struct alog_ring *ring = alog_ring_create(256);

	cr_assert_not_null(ring);
	o.cache = true;
	o.alog = ring;
	ft_setup(&o);
	return ring;
}

void
ft_teardown_ring(struct alog_ring *ring)
{
	ft_teardown();
	alog_ring_destroy(ring);
}

const char *
ft_log_lines(struct alog_ring *ring)
{
	static char all[8 * ALOG_LINE_MAX];
	const struct alog_record *recs[256];
	uint32_t n = alog_ring_peek(ring, recs, 256), i;
	size_t off = 0;

	all[0] = '\0';
	for (i = 0; i < n && off + ALOG_LINE_MAX < sizeof(all); i++)
		off += alog_format(recs[i], ALOG_FMT_SQUID, all + off,
		                   sizeof(all) - off);
	alog_ring_release(ring, n);
	return all;
}

/* A listener on 10.0.0.1:<port> with <c>, and the client connecting to
 * it anew (the old connection forgotten); returns whether it was
 * accepted. */
bool
ft_listen_connect(uint16_t port, const struct conf_forward *c)
{
	struct tcp_conn *conn = NULL;

	cr_assert_eq(fwd_listen(fc, 0, TT_IP_A, rte_cpu_to_be_16(port), c,
	                        TCP_CC_NEWRENO),
	             0);
	memset(&cli, 0, sizeof(cli));
	cr_assert_eq(tcp_connect(tt_b.s, 0, TT_IP_B, TT_IP_A,
	                         rte_cpu_to_be_16(port), TCP_CC_NEWRENO,
	                         &peer_cbs, &cli, &conn),
	             0);
	run(5);
	return cli.connected && !cli.closed;
}

/* ---- the shorter set-up names of the older tests ---- */

uint32_t collapse_ms = 10000;

void
fwd_setup_cfg(bool allow_b, bool cache)
{
	ft_setup(&(struct ft_opts){
	    .deny_b = !allow_b, .cache = cache, .collapse_ms = collapse_ms});
}

void
fwd_setup(void)
{
	fwd_setup_cfg(true, false);
}

void
fwd_setup_denied(void)
{
	fwd_setup_cfg(false, false);
}

void
fwd_setup_cache(void)
{
	fwd_setup_cfg(true, true);
}

void
fwd_teardown(void)
{
	ft_teardown();
}

unsigned
count_of(const char *hay, const char *needle)
{
	unsigned n = 0;
	const char *p = hay;

	while ((p = strstr(p, needle)) != NULL) {
		n++;
		p += strlen(needle);
	}
	return n;
}

bool
cache_get(const char *path, const char *extra, const char *resp)
{
	return ft_get(path, extra, resp);
}
