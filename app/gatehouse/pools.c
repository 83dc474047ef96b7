/*
 * The pools as operators see them (see pools.h).  Every state comes from
 * the pool's shared health (lib/lb) at the lb clock's now
 * (proxy_lb_now_ms); the reason a check failed from the worker that runs
 * the checks (worker 0, proxy_worker_check_last).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>

#include <rte_cycles.h>

#include "common/gh_common.h"
#include "lb/lb.h"
#include "proxy/proxy.h"
#include "gatehouse.h"
#include "pools.h"
#include "worker.h"

static const char *const state_names[] = {
    [LB_UP] = "up",
    [LB_DOWN] = "down",
    [LB_EJECTED] = "ejected",
    [LB_DRAINING] = "draining",
};

static const char *
state_name(enum lb_state st)
{
	return (unsigned)st < GH_ARRAY_SIZE(state_names) ? state_names[st]
	                                                 : "?";
}

static uint64_t
lb_now(void)
{
	return proxy_lb_now_ms(rte_rdtsc(), rte_get_tsc_hz());
}

static const struct conf_rev *
rev_of(const struct app *a)
{
	return a->conf != NULL ? a->conf->rev : NULL;
}

/* The last check of server <s> of pool <p> (worker 0 runs them). */
static enum pchk_result
last_check(const struct app *a, unsigned p, unsigned s)
{
	if (a->n_workers == 0 || a->workers[0] == NULL ||
	    a->workers[0]->proxy == NULL)
		return PCHK_NONE;
	return proxy_worker_check_last(a->workers[0]->proxy, p, s);
}

/* Why server <s> of pool <p> is in <st> now, for the log. */
static void
reason(const struct app *a, unsigned p, unsigned s, enum lb_state st, char *buf,
       size_t cap)
{
	switch (st) {
	case LB_DOWN:
		snprintf(buf, cap, "active check: %s",
		         pchk_result_name(last_check(a, p, s)));
		break;
	case LB_EJECTED:
		snprintf(buf, cap, "failures in a row (passive health)");
		break;
	case LB_DRAINING:
		snprintf(buf, cap, "disabled by the operator");
		break;
	case LB_UP:
		snprintf(buf, cap, "%s",
		         last_check(a, p, s) == PCHK_OK ? "active checks pass"
		                                        : "usable again");
		break;
	}
}

void
pools_watch_poll(struct pools_watch *pw, const struct app *a)
{
	const struct conf_rev *rev = rev_of(a);
	uint64_t now = lb_now();
	unsigned p, s;

	if (pw == NULL || rev == NULL)
		return;
	for (p = 0; p < rev->n_pools; p++) {
		const struct conf_pool *pool = &rev->pools[p];

		for (s = 0; s < pool->n_servers; s++) {
			enum lb_state st =
			    lb_health_state(pool->health, s, now);
			char why[96];

			if (pw->started && pw->last[p][s] == (uint8_t)st)
				continue;
			if (pw->started) {
				reason(a, p, s, st, why, sizeof(why));
				fprintf(
				    stderr,
				    "gatehouse: pool %s server %s: %s -> "
				    "%s (%s)\n",
				    pool->name, pool->servers[s].name,
				    state_name((enum lb_state)pw->last[p][s]),
				    state_name(st), why);
				__atomic_store_n(&pw->state_changes,
				                 pw->state_changes + 1,
				                 __ATOMIC_RELAXED);
			}
			pw->last[p][s] = (uint8_t)st;
		}
	}
	pw->started = true;
}

void
pools_totals(const struct pools_watch *pw, const struct app *a,
             struct pools_totals *out)
{
	const struct conf_rev *rev = rev_of(a);
	uint64_t now = lb_now();
	unsigned p;

	memset(out, 0, sizeof(*out));
	if (pw == NULL || rev == NULL)
		return;
	for (p = 0; p < rev->n_pools; p++) {
		unsigned c[4] = {0};

		lb_health_counts(rev->pools[p].health, now, c);
		out->servers_up += c[LB_UP];
		out->servers_down += c[LB_DOWN];
		out->servers_ejected += c[LB_EJECTED];
		out->servers_draining += c[LB_DRAINING];
	}
	out->state_changes =
	    __atomic_load_n(&pw->state_changes, __ATOMIC_RELAXED);
}

static const char *const balance_names[] = {
    [CONF_BALANCE_ROUNDROBIN] = "roundrobin",
    [CONF_BALANCE_LEASTCONN] = "leastconn",
    [CONF_BALANCE_URI_HASH] = "uri-hash",
};

static const char *const check_names[] = {
    [CONF_CHECK_OFF] = "off",
    [CONF_CHECK_TCP] = "tcp",
    [CONF_CHECK_HTTP] = "http",
};

/* Requests in flight to server <s> of pool <p>, summed over the workers
 * (each one's own count, read as it is). */
static uint64_t
in_flight(const struct app *a, unsigned p, unsigned s)
{
	uint64_t n = 0;
	unsigned w;

	for (w = 0; w < a->n_workers; w++)
		if (a->workers[w] != NULL && a->workers[w]->proxy != NULL)
			n += proxy_worker_pool_outstanding(a->workers[w]->proxy,
			                                   p, s);
	return n;
}

/* Idle connections to server <s> of pool <p>, summed over the workers. */
static uint64_t
idle_conns(const struct app *a, unsigned p, unsigned s)
{
	const struct proxy_server_counters *sc;
	uint64_t n = 0;
	unsigned w;

	for (w = 0; w < a->n_workers; w++) {
		if (a->workers[w] == NULL || a->workers[w]->proxy == NULL)
			continue;
		sc = proxy_worker_server_counters(a->workers[w]->proxy, p, s);
		if (sc != NULL)
			n += __atomic_load_n(&sc->idle_conns, __ATOMIC_RELAXED);
	}
	return n;
}

size_t
pools_show(const struct app *a, char *out, size_t cap)
{
	const struct conf_rev *rev = rev_of(a);
	uint64_t now = lb_now();
	size_t len = 0;
	unsigned p, s;

	if (rev == NULL || rev->n_pools == 0)
		return (size_t)snprintf(out, cap, "no pools\n");
	for (p = 0; p < rev->n_pools && len < cap; p++) {
		const struct conf_pool *pool = &rev->pools[p];

		len += (size_t)snprintf(
		    out + len, cap - len,
		    "pool %s: balance %s, check %s, %u server(s)\n", pool->name,
		    balance_names[pool->balance], check_names[pool->check],
		    pool->n_servers);
		for (s = 0; s < pool->n_servers && len < cap; s++) {
			const struct conf_server *sv = &pool->servers[s];
			char ip[INET_ADDRSTRLEN];

			inet_ntop(AF_INET, &sv->ip_be, ip, sizeof(ip));
			len += (size_t)snprintf(
			    out + len, cap - len,
			    "  server %s %s:%u weight %u max-conns %u "
			    "idle-max %u: %s, in flight %" PRIu64
			    ", idle %" PRIu64 ", last check %s\n",
			    sv->name, ip, (unsigned)ntohs(sv->port_be),
			    sv->weight, sv->max_conns, sv->idle_max,
			    state_name(lb_health_state(pool->health, s, now)),
			    in_flight(a, p, s), idle_conns(a, p, s),
			    pchk_result_name(last_check(a, p, s)));
		}
	}
	return len;
}

/* Pool <name>'s index, or -1. */
static int
pool_find(const struct conf_rev *rev, const char *name)
{
	unsigned p;

	for (p = 0; p < rev->n_pools; p++)
		if (strcmp(rev->pools[p].name, name) == 0)
			return (int)p;
	return -1;
}

size_t
pools_server_cmd(const struct app *a, const char *args, char *out, size_t cap)
{
	const struct conf_rev *rev = rev_of(a);
	char verb[16], pname[CONF_NAME_MAX], sname[CONF_NAME_MAX], extra[2];
	const struct conf_pool *pool;
	bool enable;
	int p;
	unsigned s;

	if (sscanf(args, "%15s %31s %31s %1s", verb, pname, sname, extra) !=
	        3 ||
	    (strcmp(verb, "enable") != 0 && strcmp(verb, "disable") != 0))
		return (size_t)snprintf(
		    out, cap,
		    "error: usage: server enable|disable POOL SERVER\n");
	enable = strcmp(verb, "enable") == 0;
	p = rev != NULL ? pool_find(rev, pname) : -1;
	if (p < 0)
		return (size_t)snprintf(out, cap, "error: no pool \"%s\"\n",
		                        pname);
	pool = &rev->pools[p];
	for (s = 0; s < pool->n_servers; s++)
		if (strcmp(pool->servers[s].name, sname) == 0)
			break;
	if (s == pool->n_servers)
		return (size_t)snprintf(out, cap,
		                        "error: pool %s has no server \"%s\"\n",
		                        pname, sname);
	lb_health_admin(pool->health, s, enable);
	fprintf(stderr, "gatehouse: pool %s server %s %s by the operator\n",
	        pname, sname, enable ? "enabled" : "disabled (draining)");
	return (size_t)snprintf(out, cap, "pool %s server %s %s\n", pname,
	                        sname,
	                        enable ? "enabled"
	                               : "disabled: no new requests, those "
	                                 "in flight finish");
}
