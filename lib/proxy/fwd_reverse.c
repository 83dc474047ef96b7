/*
 * Reverse listeners (issue 14): the forward proxy's sessions pointed the
 * other way.  A request in origin-form (or absolute-form, RFC 9112 3.2.2:
 * routed by the target's authority, the Host field ignored) is routed by
 * its Host and path to a pool (conf_route_match), a server of the pool is
 * chosen by lib/lb and connected to through the same path as an origin
 * (fwd_connect: the idle pool keyed by address gives each server its
 * keep-alive connections).  Everything else (heads, bodies, the cache,
 * access rules, the log, counters) is the forward proxy's.
 *
 * lb_start() counts a request on its server when it goes, lb_finish()
 * when its transaction ends, with what became of it (connect failure,
 * failure before any response byte, 5xx, ok, or the client went away), so
 * the passive health of lib/lb ejects a failing server.  A server failing
 * before any response byte gets the request retried once on another when
 * nothing of it can have been acted upon: a connect failure (nothing was
 * sent; the body, if any, still waits in cli_in) or an idempotent request
 * without a body (fwd_retryable).
 *
 * Each pool and each server has its counters on the worker (struct
 * fwd_rev_pool: groups "pool" and "server" on every stats surface): a
 * request is counted on its pool once, when it first came (not again
 * when a collapsed or waiting request is parsed again), and on each
 * server it is sent to.
 *
 * When every usable server is at its max-conns share (lb_pick -EBUSY),
 * the session waits in its pool's FIFO on this worker (ST_QUEUE, at most
 * queue-max, at most queue-timeout-ms: then 503 with Retry-After).  A
 * request of the pool that ends marks the pool (rev_wake) and the worker's
 * poll gives the freed places to the queue's head, in order.
 *
 * The servers' addresses never reach the client: error pages name no
 * address, and location-rewrite turns a Location naming a server by
 * address into the request's Host.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <netinet/in.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>

#include "common/gh_common.h"
#include "common/gh_siphash.h"
#include "conf/conf.h"
#include "stats/stats.h"
#include "fwd_priv.h"

#define FWD_REV_WAKE_BURST 64 /* queued requests sent on per poll */

static const uint8_t rev_hash_key[16] = "gatehouse-uri-h";

/* ---- set-up ---- */

int
fwd_rev_init(struct fwd_ctx *fc, const struct conf_forward *cfg)
{
	uint32_t max_conns[CONF_POOL_SERVERS_MAX];
	unsigned nw = fc->p.n_workers != 0 ? fc->p.n_workers : 1, i, j;

	if (fc->rev != NULL || cfg->rev == NULL)
		return 0;
	fc->rev = cfg->rev;
	for (i = 0; i < fc->rev->n_pools; i++) {
		const struct conf_pool *pl = &fc->rev->pools[i];

		for (j = 0; j < pl->n_servers; j++) {
			max_conns[j] = pl->servers[j].max_conns;
			/* ceil, as max-conns: at most idle-max + nw - 1 */
			fc->rpool[i].idle_share[j] =
			    (uint32_t)(((uint64_t)pl->servers[j].idle_max + nw -
			                1) /
			               nw);
		}
		fc->rpool[i].w =
		    lb_worker_new(pl->lb, nw, fc->p.worker % nw, max_conns);
		if (fc->rpool[i].w == NULL) {
			fwd_rev_fini(fc);
			return -ENOMEM;
		}
	}
	return 0;
}

void
fwd_rev_fini(struct fwd_ctx *fc)
{
	unsigned i;

	for (i = 0; i < CONF_POOLS_MAX; i++) {
		lb_worker_free(fc->rpool[i].w);
		fc->rpool[i].w = NULL;
	}
	fc->rev = NULL;
}

uint32_t
fwd_rev_outstanding(const struct fwd_ctx *fc, unsigned pool, unsigned srv)
{
	if (fc->rev == NULL || pool >= fc->rev->n_pools ||
	    srv >= fc->rev->pools[pool].n_servers || fc->rpool[pool].w == NULL)
		return 0;
	return lb_outstanding(fc->rpool[pool].w, srv);
}

const struct proxy_pool_counters *
fwd_rev_pool_counters(const struct fwd_ctx *fc, unsigned pool)
{
	if (fc->rev == NULL || pool >= fc->rev->n_pools)
		return NULL;
	return &fc->rpool[pool].cnt;
}

const struct proxy_server_counters *
fwd_rev_server_counters(const struct fwd_ctx *fc, unsigned pool, unsigned srv)
{
	if (fc->rev == NULL || pool >= fc->rev->n_pools ||
	    srv >= fc->rev->pools[pool].n_servers)
		return NULL;
	return &fc->rpool[pool].srv[srv];
}

/* The counters of the server <s> has a request counted on, or NULL. */
static struct proxy_server_counters *
rev_srv_cnt(struct fwd_session *s)
{
	if (s->rev_srv < 0 || s->rev_pool < 0)
		return NULL;
	return &s->l->fc->rpool[s->rev_pool].srv[s->rev_srv];
}

/* ---- requests ---- */

bool
fwd_rev_request(struct fwd_session *s, struct http_msg *msg, const char *buf)
{
	struct fwd_ctx *fc = s->l->fc;
	const struct conf_forward *cfg = fwd_cfg(s);
	char host[FWD_HOST_MAX + 1];
	const char *path = buf + msg->path.off;
	uint32_t n = msg->host.len, i;
	int pool;

	if (msg->method == HTTP_M_CONNECT) {
		fwd_error(s, 405, ALOG_TAG_NONE, "CONNECT is not served here");
		return false;
	}
	if (n == 0 || n > FWD_HOST_MAX) {
		fwd_error(s, 400, ALOG_TAG_NONE, "no valid Host");
		return false;
	}
	if (msg->port == 0) /* Host without a port */
		msg->port = 80;
	for (i = 0; i < n; i++) {
		char ch = buf[msg->host.off + i];

		host[i] =
		    (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
	}
	if (host[n - 1] == '.') /* "example.com." is example.com */
		n--;
	if (!conf_route_path_safe(path, msg->path.len)) {
		fc->cnt->rev_bad_path++;
		fwd_error(s, 400, ALOG_TAG_NONE,
		          "dot-segments and encoded separators are refused");
		return false;
	}
	pool = conf_route_match(cfg->routes, host, n, path, msg->path.len);
	if (pool == CONF_ROUTE_NO_HOST) {
		fc->cnt->rev_no_route_421++;
		fwd_error(s, 421, ALOG_TAG_NONE,
		          "no site is served here under this name");
		return false;
	}
	if (pool == CONF_ROUTE_NO_PATH) {
		fc->cnt->rev_no_route_404++;
		fwd_error(s, 404, ALOG_TAG_NONE,
		          "nothing is served here under this path");
		return false;
	}
	if (fc->rev == NULL || pool < 0 || (unsigned)pool >= fc->rev->n_pools) {
		fc->cnt->rev_no_server++;
		fwd_error(s, 503, ALOG_TAG_NONE, "no server available");
		return false;
	}
	/* counted when it first came, as fwd_requests: a collapsed or
	 * waiting request parsed again (SF_NO_COLLAPSE) is the same one */
	if (!(s->flags & (SF_NO_COLLAPSE | SF_AUTH_AGAIN))) {
		fc->cnt->rev_requests++;
		fc->rpool[pool].cnt.requests++;
	}
	s->rev_pool = (int16_t)pool;
	s->rev_srv = -1;
	s->rev_exclude = 0;
	s->rev_retries = 0;
	s->rev_outcome = LB_ABORTED;
	s->rev_key = 0;
	if (fc->rev->pools[pool].balance == CONF_BALANCE_URI_HASH)
		s->rev_key = gh_siphash(rev_hash_key, host, n) ^
		             (gh_siphash(rev_hash_key, path, msg->path.len) *
		              UINT64_C(0x9e3779b97f4a7c15));
	if (s->txn != NULL) {
		struct fwd_txn *t = s->txn;
		bool v6 = memchr(buf + msg->host.off, ':', n) != NULL;
		uint32_t len = v6 ? 1 : 0;

		t->rev_host[0] = '[';
		memcpy(t->rev_host + len, buf + msg->host.off, msg->host.len);
		len += msg->host.len;
		if (v6)
			t->rev_host[len++] = ']';
		if (msg->port != 80) {
			t->rev_host[len++] = ':';
			len += fwd_fmt_u64(t->rev_host + len, msg->port);
		}
		t->rev_host_len = (uint16_t)len;
	}
	return true;
}

/* The chosen server <srv> of the pool: counted, logged, connected. */
static void
rev_go(struct fwd_session *s, unsigned srv)
{
	struct fwd_ctx *fc = s->l->fc;
	const struct conf_pool *pl = &fc->rev->pools[s->rev_pool];
	struct fwd_rev_pool *rp = &fc->rpool[s->rev_pool];

	GH_VERIFY(srv < pl->n_servers && s->rev_srv < 0);
	lb_start(rp->w, srv);
	rp->srv[srv].requests++;
	s->rev_srv = (int16_t)srv;
	s->rev_sent_tsc = 0;
	s->rev_outcome = LB_ABORTED;
	s->dst_ip_be = pl->servers[srv].ip_be;
	s->dst_port_be = pl->servers[srv].port_be;
	if (s->txn != NULL) {
		struct alog_record *r = &s->txn->rec;
		size_t a = strlen(pl->name), b = strlen(pl->servers[srv].name);

		GH_VERIFY(a + 1 + b < sizeof(r->peer));
		memcpy(r->peer, pl->name, a);
		r->peer[a] = '/';
		memcpy(r->peer + a + 1, pl->servers[srv].name, b + 1);
	}
	fwd_connect(s, true);
}

static int
rev_choose(struct fwd_session *s)
{
	struct fwd_ctx *fc = s->l->fc;
	const struct conf_pool *pl = &fc->rev->pools[s->rev_pool];

	return lb_pick(fc->rpool[s->rev_pool].w, pl->lb, pl->health, s->rev_key,
	               s->rev_exclude, fwd_lb_now_ms(fc));
}

void
fwd_rev_pick(struct fwd_session *s)
{
	struct fwd_ctx *fc = s->l->fc;
	const struct conf_pool *pl = &fc->rev->pools[s->rev_pool];
	struct fwd_rev_pool *rp = &fc->rpool[s->rev_pool];
	int rc;

	GH_VERIFY(s->rev_pool >= 0);
	s->state = ST_RESOLVE; /* the client's bytes wait in cli_in */
	fwd_timer_stop(s);
	rc = rev_choose(s);
	if (rc >= 0) {
		rev_go(s, (unsigned)rc);
		return;
	}
	if (rc != -EBUSY) {
		fc->cnt->rev_no_server++;
		rp->cnt.no_server++;
		fwd_error(s, 503, ALOG_TCP_MISS, "no server available");
		return;
	}
	if (pl->queue_timeout_ms == 0 || rp->q_len >= pl->queue_max) {
		fc->cnt->rev_queue_full++;
		rp->cnt.queue_full++;
		fwd_error_extra(s, 503, ALOG_TCP_MISS, "every server is busy",
		                "Retry-After: 1\r\n");
		return;
	}
	fc->cnt->rev_queued++;
	rp->cnt.queued++;
	s->state = ST_QUEUE;
	s->q_next = NULL;
	s->q_prev = rp->q_tail;
	if (rp->q_tail != NULL)
		rp->q_tail->q_next = s;
	else
		rp->q_head = s;
	rp->q_tail = s;
	rp->q_len++;
	fwd_timer_set(s, pl->queue_timeout_ms);
}

void
fwd_rev_dequeue(struct fwd_session *s)
{
	struct fwd_rev_pool *rp;

	if (s->state != ST_QUEUE)
		return;
	rp = &s->l->fc->rpool[s->rev_pool];
	GH_VERIFY(rp->q_len > 0);
	if (s->q_prev != NULL)
		s->q_prev->q_next = s->q_next;
	else
		rp->q_head = s->q_next;
	if (s->q_next != NULL)
		s->q_next->q_prev = s->q_prev;
	else
		rp->q_tail = s->q_prev;
	rp->q_len--;
	s->q_next = s->q_prev = NULL;
	s->state = ST_RESOLVE;
}

void
fwd_rev_queue_timeout(struct fwd_session *s)
{
	fwd_rev_dequeue(s);
	s->l->fc->cnt->rev_queue_timeout++;
	s->l->fc->rpool[s->rev_pool].cnt.queue_timeout++;
	fwd_error_extra(s, 503, ALOG_TCP_MISS, "no server was free in time",
	                "Retry-After: 1\r\n");
}

unsigned
fwd_rev_poll(struct fwd_ctx *fc)
{
	uint32_t wake = fc->rev_wake;
	unsigned n = 0;

	fc->rev_wake = 0;
	while (wake != 0) {
		unsigned i = (unsigned)__builtin_ctz(wake);
		struct fwd_rev_pool *rp = &fc->rpool[i];

		wake &= wake - 1;
		while (rp->q_head != NULL) {
			struct fwd_session *s = rp->q_head;
			int rc;

			if (n == FWD_REV_WAKE_BURST) {
				fc->rev_wake |= 1u
				                << i; /* the rest next loop */
				break;
			}
			rc = rev_choose(s);
			if (rc == -EBUSY)
				break;
			fwd_rev_dequeue(s);
			fwd_timer_stop(s);
			n++;
			if (rc < 0) {
				fc->cnt->rev_no_server++;
				rp->cnt.no_server++;
				fwd_error(s, 503, ALOG_TCP_MISS,
				          "no server available");
				continue;
			}
			rev_go(s, (unsigned)rc);
		}
	}
	return n;
}

void
fwd_rev_finish(struct fwd_session *s, enum lb_outcome o)
{
	struct fwd_ctx *fc = s->l->fc;
	struct proxy_server_counters *sc = rev_srv_cnt(s);
	const struct conf_pool *pl;

	if (sc == NULL)
		return;
	pl = &fc->rev->pools[s->rev_pool];
	if (o == LB_5XX) {
		fc->cnt->rev_server_5xx++;
		sc->responses_5xx++;
	} else if (o == LB_CONNECT_FAIL || o == LB_FAIL) {
		fc->cnt->rev_server_failures++;
		if (o == LB_CONNECT_FAIL)
			sc->connect_failures++;
		else
			sc->failures++;
	}
	if (lb_finish(fc->rpool[s->rev_pool].w, pl->health,
	              (unsigned)s->rev_srv, o, fwd_lb_now_ms(fc))) {
		fc->cnt->rev_ejections++;
		sc->ejections++;
	}
	s->rev_sent_tsc = 0;
	s->rev_exclude |= 1u << s->rev_srv;
	s->rev_srv = -1;
	fc->rev_wake |= 1u << s->rev_pool;
}

bool
fwd_rev_failed(struct fwd_session *s, enum lb_outcome o)
{
	struct fwd_ctx *fc = s->l->fc;
	int rc;

	if (s->rev_srv < 0)
		return false;
	fwd_rev_finish(s, o);
	/* once; a connect failure sent nothing, anything else needs the
	 * idempotent request's clone */
	if (s->rev_retries != 0 || (o != LB_CONNECT_FAIL && s->retry == NULL) ||
	    (s->flags & SF_RESP_HEAD) || s->up_in != NULL) {
		fwd_retry_drop(s);
		return false;
	}
	rc = rev_choose(s);
	if (rc < 0) {
		fwd_retry_drop(s);
		return false;
	}
	s->rev_retries++;
	fc->cnt->rev_retries++;
	fc->rpool[s->rev_pool].cnt.retries++;
	fwd_leg_close(&s->up, true);
	if (s->retry != NULL) {
		rte_pktmbuf_free(s->up_out);
		s->up_out = s->retry;
		s->retry = NULL;
	}
	s->flags &= (uint32_t) ~(SF_UP_FIN | SF_UP_KEEP | SF_UP_REUSED);
	s->state = ST_RESOLVE;
	fwd_timer_stop(s);
	rev_go(s, (unsigned)rc);
	return true;
}

void
fwd_rev_timeout(struct fwd_session *s)
{
	struct proxy_server_counters *sc = rev_srv_cnt(s);

	if (sc != NULL)
		sc->timeouts++;
}

void
fwd_rev_sent(struct fwd_session *s)
{
	if (s->rev_srv >= 0)
		s->rev_sent_tsc = rte_rdtsc();
}

void
fwd_rev_head(struct fwd_session *s)
{
	struct proxy_server_counters *sc = rev_srv_cnt(s);
	uint64_t now;

	if (sc == NULL || s->rev_sent_tsc == 0)
		return;
	now = rte_rdtsc();
	stats_hist_add(&sc->time_to_head,
	               (now - s->rev_sent_tsc) * 1000 / s->l->fc->tsc_per_ms);
	s->rev_sent_tsc = 0;
}

/* ---- heads ---- */

void
fwd_rev_request_hdrs(struct fwd_session *s, struct fwd_head_writer *w,
                     const struct http_msg *msg, const char *buf)
{
	const struct conf_forward *cfg = fwd_cfg(s);
	struct tcp_flow_key k;
	char text[32];
	const uint8_t *b;

	(void)buf;
	if (cfg->xfp)
		fwd_hw_str(w, "X-Forwarded-Proto: http\r\n");
	/* anonymize: the client is not named, as by X-Forwarded-For */
	if (!cfg->forwarded || cfg->anonymous || s->cli == NULL)
		return;
	/* RFC 7239 4: for, proto, host (a quoted-string: it may hold ':') */
	tcp_conn_key(s->cli, &k);
	b = (const uint8_t *)&k.remote_ip_be;
	snprintf(text, sizeof(text), "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
	fwd_hw_str(w, "Forwarded: for=");
	fwd_hw_str(w, text);
	fwd_hw_str(w, ";proto=http");
	if (s->txn != NULL && s->txn->rev_host_len > 0) {
		fwd_hw_str(w, ";host=\"");
		fwd_hw_put(w, s->txn->rev_host, s->txn->rev_host_len);
		fwd_hw_str(w, "\"");
	} else if (msg->host.len > 0) {
		fwd_hw_str(w, ";host=\"");
		fwd_hw_host(w, buf, msg->host);
		fwd_hw_str(w, "\"");
	}
	fwd_hw_str(w, "\r\n");
}

/* Whether <v> (<n> bytes) starts with "http://" and the authority of a
 * server of the pool of <s> ("a.b.c.d:port", or "a.b.c.d" for port 80,
 * with ":80" or without), followed by the end, '/', '?' or '#': the
 * authority's length, else 0. */
static uint32_t
server_authority(const struct fwd_session *s, const char *v, uint32_t n)
{
	const struct conf_pool *pl = &s->l->fc->rev->pools[s->rev_pool];
	char a[32];
	unsigned i;

	if (n < 7 || strncasecmp(v, "http://", 7) != 0)
		return 0;
	for (i = 0; i < pl->n_servers; i++) {
		const uint8_t *b = (const uint8_t *)&pl->servers[i].ip_be;
		unsigned port = ntohs(pl->servers[i].port_be);
		uint32_t k;

		k = (uint32_t)snprintf(a, sizeof(a), "%u.%u.%u.%u:%u", b[0],
		                       b[1], b[2], b[3], port);
		if (n - 7 < k || memcmp(v + 7, a, k) != 0) {
			/* port 80 may be left out */
			k -= 3;
			if (port != 80 || n - 7 < k || memcmp(v + 7, a, k) != 0)
				continue;
		}
		if (n - 7 == k || v[7 + k] == '/' || v[7 + k] == '?' ||
		    v[7 + k] == '#')
			return k;
	}
	return 0;
}

/* Field <name> (<nlen> bytes, any case) with value v[0 .. n): written
 * rewritten when it is a Location or Content-Location to rewrite. */
static bool
rev_location(struct fwd_session *s, struct fwd_head_writer *w, const char *name,
             uint32_t nlen, const char *v, uint32_t n)
{
	uint32_t k;

	if (s->rev_pool < 0 || s->txn == NULL || s->txn->rev_host_len == 0 ||
	    !fwd_cfg(s)->location_rewrite ||
	    !((nlen == 8 && strncasecmp(name, "location", 8) == 0) ||
	      (nlen == 16 && strncasecmp(name, "content-location", 16) == 0)))
		return false;
	k = server_authority(s, v, n);
	if (k == 0)
		return false;
	fwd_hw_put(w, name, nlen);
	fwd_hw_str(w, ": http://");
	fwd_hw_put(w, s->txn->rev_host, s->txn->rev_host_len);
	fwd_hw_put(w, v + 7 + k, n - 7 - k);
	fwd_hw_str(w, "\r\n");
	return true;
}

bool
fwd_rev_location(struct fwd_session *s, struct fwd_head_writer *w,
                 const struct http_msg *msg, const char *buf, unsigned i)
{
	return rev_location(s, w, buf + msg->hdr[i].name.off,
	                    msg->hdr[i].name.len, buf + msg->hdr[i].value.off,
	                    msg->hdr[i].value.len);
}

bool
fwd_rev_location_line(struct fwd_session *s, struct fwd_head_writer *w,
                      const char *p, uint32_t n)
{
	const char *colon = memchr(p, ':', n);
	uint32_t k;

	if (colon == NULL)
		return false;
	k = (uint32_t)(colon - p) + 1;
	while (k < n && (p[k] == ' ' || p[k] == '\t'))
		k++;
	return rev_location(s, w, p, (uint32_t)(colon - p), p + k, n - k);
}
