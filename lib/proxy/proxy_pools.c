/*
 * The active health checks of a worker (see proxy_pools.h): one target
 * per server of every pool with `check` on, its request written once
 * here ("GET check-path HTTP/1.1", Host the server's address, Connection:
 * close), and a report that tells the pool's lb_health.  lib/lb's clock
 * is the TSC in ms (proxy.h: proxy_lb_now_ms), the same on every worker
 * and on the control thread that reads the states.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include "common/gh_common.h"
#include "lb/lb.h"
#include "proxy/proxy.h"
#include "proxy_pools.h"

#define PROXY_CHECKS_MAGIC 0x70636b73u

struct proxy_checks {
	unsigned magic;
	const struct conf_rev *rev;
	struct pchk_ctx *pc;
	uint64_t tsc_per_ms;
	/* target index -> (pool, server); (pool, server) -> target + 1 */
	uint8_t pool_of[PCHK_TARGETS_MAX];
	uint8_t srv_of[PCHK_TARGETS_MAX];
	uint16_t target_of[CONF_POOLS_MAX][CONF_POOL_SERVERS_MAX];
};

static void
checks_report(void *arg, unsigned i, enum pchk_result r, uint64_t now_ms)
{
	struct proxy_checks *pk = arg;
	const struct conf_pool *p = &pk->rev->pools[pk->pool_of[i]];

	lb_health_check_result(p->health, pk->srv_of[i], r == PCHK_OK, now_ms);
}

/* The check request of server <s> of <p> into <buf>: its length, 0 when
 * it does not fit. */
static uint32_t
check_request(const struct conf_pool *p, const struct conf_server *s, char *buf,
              size_t cap)
{
	char ip[INET_ADDRSTRLEN];
	int n;

	inet_ntop(AF_INET, &s->ip_be, ip, sizeof(ip));
	n = snprintf(buf, cap,
	             "GET %s HTTP/1.1\r\nHost: %s:%u\r\n"
	             "User-Agent: gatehouse-check\r\nConnection: close\r\n\r\n",
	             p->check_path, ip, (unsigned)ntohs(s->port_be));
	return n > 0 && (size_t)n < cap ? (uint32_t)n : 0;
}

struct proxy_checks *
proxy_checks_new(const struct conf_rev *rev, const struct proxy_port *ports,
                 unsigned n_ports, struct tcp_stack *tcp,
                 struct rte_mempool *pool, uint64_t tsc_hz, uint64_t now_tsc)
{
	struct pchk_target *t;
	struct proxy_checks *pk;
	char *reqs;
	unsigned i, j, n = 0;
	int err;

	if (rev == NULL || tsc_hz < 1000) {
		errno = rev == NULL ? ENOENT : EINVAL;
		return NULL;
	}
	pk = calloc(1, sizeof(*pk));
	t = calloc(PCHK_TARGETS_MAX, sizeof(*t));
	reqs = calloc(PCHK_TARGETS_MAX, PCHK_REQUEST_MAX);
	if (pk == NULL || t == NULL || reqs == NULL) {
		err = ENOMEM;
		goto fail;
	}
	pk->magic = PROXY_CHECKS_MAGIC;
	pk->rev = rev;
	pk->tsc_per_ms = tsc_hz / 1000;
	for (i = 0; i < rev->n_pools; i++) {
		const struct conf_pool *p = &rev->pools[i];

		if (p->check == CONF_CHECK_OFF)
			continue;
		for (j = 0; j < p->n_servers && n < PCHK_TARGETS_MAX; j++) {
			const struct conf_server *s = &p->servers[j];
			char *req = reqs + (size_t)n * PCHK_REQUEST_MAX;

			if (s->port_idx >= n_ports) {
				err = EINVAL;
				goto fail;
			}
			t[n] = (struct pchk_target){
			    .kind = p->check == CONF_CHECK_HTTP ? PCHK_HTTP
			                                        : PCHK_TCP,
			    .port_idx = s->port_idx,
			    .local_ip_be = ports[s->port_idx].addr_be,
			    .ip_be = s->ip_be,
			    .port_be = s->port_be,
			    .expect_status = (uint16_t)p->check_status,
			    .interval_ms = p->check_interval_ms,
			    .timeout_ms = p->check_timeout_ms,
			    .request = req,
			    .request_len =
			        check_request(p, s, req, PCHK_REQUEST_MAX),
			};
			pk->pool_of[n] = (uint8_t)i;
			pk->srv_of[n] = (uint8_t)j;
			pk->target_of[i][j] = (uint16_t)(n + 1);
			n++;
		}
	}
	err = ENOENT;
	if (n != 0) {
		pk->pc = pchk_create(tcp, pool, t, n, checks_report, pk,
		                     now_tsc / pk->tsc_per_ms);
		err = errno;
	}
	if (pk->pc != NULL) {
		free(t);
		free(reqs);
		return pk;
	}
fail:
	free(t);
	free(reqs);
	free(pk);
	errno = err;
	return NULL;
}

void
proxy_checks_run(struct proxy_checks *pk, uint64_t now_tsc)
{
	GH_CHECK_OBJ(pk, PROXY_CHECKS_MAGIC);
	pchk_run(pk->pc, now_tsc / pk->tsc_per_ms);
}

void
proxy_checks_free(struct proxy_checks *pk)
{
	if (pk == NULL)
		return;
	GH_CHECK_OBJ(pk, PROXY_CHECKS_MAGIC);
	pchk_destroy(pk->pc);
	pk->magic = 0;
	free(pk);
}

enum pchk_result
proxy_checks_last(const struct proxy_checks *pk, unsigned pool, unsigned srv)
{
	unsigned t;

	if (pk == NULL || pool >= CONF_POOLS_MAX ||
	    srv >= CONF_POOL_SERVERS_MAX)
		return PCHK_NONE;
	t = pk->target_of[pool][srv];
	return t == 0 ? PCHK_NONE : pchk_last(pk->pc, t - 1);
}

const struct pchk_counters *
proxy_checks_counters(const struct proxy_checks *pk)
{
	return pk != NULL ? pchk_counters(pk->pc) : NULL;
}
