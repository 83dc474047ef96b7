/*
 * The reverse proxy's configuration (issue 14): the `pool NAME` sections
 * (servers with weights and connection limits, balancing, the queue,
 * passive ejection, and the active checks' settings, stored for the
 * checker that comes later), the `route` and `default-pool` lines of a
 * `mode reverse` listener, and the checks once the whole file is read:
 * every route names a pool, every server is reached by a port, every
 * reverse listener routes somewhere.  Then each pool's lb_pool and
 * lb_health are built (lib/lb), owned by the snapshot's struct conf_rev,
 * which a reload shares (pools and routes are restart-only).
 * Registered with the parser core as conf_pool_section (conf_parse.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/gh_common.h"
#include "common/gh_siphash.h"
#include "conf/conf.h"
#include "conf/conf_parse.h"
#include "lb/lb.h"

_Static_assert(CONF_POOL_SERVERS_MAX == LB_SERVERS_MAX,
               "a pool's servers fit lib/lb");
_Static_assert(CONF_NAME_MAX <= LB_NAME_MAX, "names fit lib/lb");
_Static_assert((int)CONF_BALANCE_ROUNDROBIN == (int)LB_ROUND_ROBIN &&
                   (int)CONF_BALANCE_LEASTCONN == (int)LB_LEAST_OUTSTANDING &&
                   (int)CONF_BALANCE_URI_HASH == (int)LB_URI_HASH,
               "one numbering");

/* The key of the servers' ids: fixed, so that an id is the same in every
 * snapshot and every process (the consistent-hash table places a server
 * by it). */
static const uint8_t server_id_key[16] = "gatehouse-pools";

/* ---- the shared object ---- */

struct conf_rev *
conf_rev_get(struct parser *p)
{
	if (p->c->rev == NULL) {
		p->c->rev = calloc(1, sizeof(*p->c->rev));
		if (p->c->rev == NULL) {
			conf_fail(p, "out of memory");
			return NULL;
		}
		p->c->rev->refs = 1;
	}
	return p->c->rev;
}

void
conf_rev_put(struct conf_rev *r)
{
	unsigned i;

	if (r == NULL)
		return;
	GH_VERIFY(r->refs > 0);
	if (--r->refs > 0)
		return;
	for (i = 0; i < r->n_pools; i++) {
		lb_pool_free(r->pools[i].lb);
		lb_health_free(r->pools[i].health);
	}
	for (i = 0; i < CONF_LISTENERS_MAX; i++)
		free(r->routes[i]);
	free(r);
}

/* ---- pool sections ---- */

enum pool_directive_id {
	P_SERVER = 0,
	P_BALANCE,
	P_QUEUE_TIMEOUT_MS,
	P_QUEUE_MAX,
	P_EJECT_FAILS,
	P_EJECT_5XX,
	P_EJECT_BASE_MS,
	P_EJECT_MAX_MS,
	P_CHECK,
	P_CHECK_PATH,
	P_CHECK_STATUS,
	P_CHECK_INTERVAL_MS,
	P_CHECK_TIMEOUT_MS,
	P_RISE,
	P_FALL,
	P_SERVER_IDLE_MAX,
	P_COUNT,
};

_Static_assert(P_COUNT <= CONF_SECTION_ROWS_MAX, "parser.seen[] holds them");

/* server NAME IP:PORT [weight 1..256] [max-conns N] [idle-max N] */
static int
set_server(struct parser *p, const struct directive *d, const char *arg)
{
	struct conf_pool *pl = p->pool;
	struct conf_server *sv;
	char buf[CONF_LINE_MAX_BYTES + 1];
	char *name, *addr, *key, *val, *next;
	uint64_t v = 0;
	unsigned i;

	if (pl->n_servers == CONF_POOL_SERVERS_MAX)
		return conf_fail(p, "%s: more than %u servers in pool \"%s\"",
		                 d->name, CONF_POOL_SERVERS_MAX, pl->name);
	GH_VERIFY(strlen(arg) < sizeof(buf));
	strcpy(buf, arg);
	name = buf;
	addr = conf_cut_word(name);
	if (*addr == '\0')
		return conf_fail(p, "%s: expected NAME IP:PORT", d->name);
	next = conf_cut_word(addr);
	if (!conf_is_name(name, CONF_NAME_MAX))
		return conf_fail(p,
		                 "%s: invalid name \"%s\" (1 to %u of "
		                 "A-Z a-z 0-9 _ -)",
		                 d->name, name, CONF_NAME_MAX - 1);
	for (i = 0; i < pl->n_servers; i++)
		if (strcmp(pl->servers[i].name, name) == 0)
			return conf_fail(
			    p,
			    "%s: \"%s\" already defined at line %u "
			    "in pool \"%s\"",
			    d->name, name, pl->servers[i].line, pl->name);
	sv = &pl->servers[pl->n_servers];
	memset(sv, 0, sizeof(*sv));
	if (conf_want_ip_port(p, d, addr, &sv->ip_be, &sv->port_be) < 0)
		return -EINVAL;
	if (!conf_is_unicast(ntohl(sv->ip_be)))
		return conf_fail(p, "%s: %s is not a unicast host address",
		                 d->name, conf_ip_str(sv->ip_be, 0));
	strcpy(sv->name, name);
	sv->weight = 1;
	sv->idle_max = UINT32_MAX; /* the pool's, at its end */
	sv->line = p->line;
	/* Each turn consumes two words of buf. */
	while (*next != '\0') {
		key = next;
		val = conf_cut_word(key);
		if (*val == '\0')
			return conf_fail(p, "%s: %s: missing value", d->name,
			                 key);
		next = conf_cut_word(val);
		if (strcmp(key, "weight") == 0) {
			if (conf_want_number(p, d->name, "weight ", val, 1, 256,
			                     &v) < 0)
				return -EINVAL;
			sv->weight = (uint32_t)v;
		} else if (strcmp(key, "max-conns") == 0) {
			if (conf_want_number(p, d->name, "max-conns ", val, 0,
			                     1000000, &v) < 0)
				return -EINVAL;
			sv->max_conns = (uint32_t)v;
		} else if (strcmp(key, "idle-max") == 0) {
			if (conf_want_number(p, d->name, "idle-max ", val, 0,
			                     65536, &v) < 0)
				return -EINVAL;
			sv->idle_max = (uint32_t)v;
		} else {
			return conf_fail(p,
			                 "%s: unknown option \"%s\" (weight, "
			                 "max-conns or idle-max)",
			                 d->name, key);
		}
	}
	pl->n_servers++;
	return 0;
}

static int
set_balance(struct parser *p, const struct directive *d, const char *arg)
{
	if (strcmp(arg, "roundrobin") == 0)
		p->pool->balance = CONF_BALANCE_ROUNDROBIN;
	else if (strcmp(arg, "leastconn") == 0)
		p->pool->balance = CONF_BALANCE_LEASTCONN;
	else if (strcmp(arg, "uri-hash") == 0)
		p->pool->balance = CONF_BALANCE_URI_HASH;
	else
		return conf_fail(p,
		                 "%s: \"%s\" is not roundrobin, leastconn or "
		                 "uri-hash",
		                 d->name, arg);
	return 0;
}

static int
set_check(struct parser *p, const struct directive *d, const char *arg)
{
	if (strcmp(arg, "off") == 0)
		p->pool->check = CONF_CHECK_OFF;
	else if (strcmp(arg, "tcp") == 0)
		p->pool->check = CONF_CHECK_TCP;
	else if (strcmp(arg, "http") == 0)
		p->pool->check = CONF_CHECK_HTTP;
	else
		return conf_fail(p, "%s: \"%s\" is not off, tcp or http",
		                 d->name, arg);
	return 0;
}

/* An origin-form path: '/' then visible ASCII. */
static bool
path_ok(const char *s, size_t max)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > max || s[0] != '/')
		return false;
	for (i = 0; i < n; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f)
			return false;
	return true;
}

static int
set_check_path(struct parser *p, const struct directive *d, const char *arg)
{
	if (!path_ok(arg, CONF_CHECK_PATH_MAX - 1))
		return conf_fail(p,
		                 "%s: \"%s\" is not a path (\"/\" then up to "
		                 "%u visible ASCII characters)",
		                 d->name, arg, CONF_CHECK_PATH_MAX - 2);
	strcpy(p->pool->check_path, arg);
	return 0;
}

#define NUM_POOL(n, field, lo, hi) \
	CONF_NUM(n, SECT_POOL, struct conf_pool, field, lo, hi, false, 0)

static const struct directive pool_directives[P_COUNT] = {
    [P_SERVER] = {.name = "server",
                  .sect = SECT_POOL,
                  .set = set_server,
                  .rest_of_line = true,
                  .repeatable = true},
    [P_BALANCE] = CONF_FUNC("balance", SECT_POOL, set_balance),
    [P_QUEUE_TIMEOUT_MS] =
        NUM_POOL("queue-timeout-ms", queue_timeout_ms, 0, 600000),
    [P_QUEUE_MAX] = NUM_POOL("queue-max", queue_max, 1, 65536),
    [P_EJECT_FAILS] = NUM_POOL("eject-fails", eject_fails, 0, 1000),
    [P_EJECT_5XX] = NUM_POOL("eject-5xx", eject_5xx, 0, 1000),
    [P_EJECT_BASE_MS] = NUM_POOL("eject-base-ms", eject_base_ms, 100, 3600000),
    [P_EJECT_MAX_MS] = NUM_POOL("eject-max-ms", eject_max_ms, 100, 86400000),
    [P_CHECK] = CONF_FUNC("check", SECT_POOL, set_check),
    [P_CHECK_PATH] = CONF_FUNC("check-path", SECT_POOL, set_check_path),
    [P_CHECK_STATUS] = NUM_POOL("check-status", check_status, 100, 599),
    [P_CHECK_INTERVAL_MS] =
        NUM_POOL("check-interval-ms", check_interval_ms, 100, 3600000),
    [P_CHECK_TIMEOUT_MS] =
        NUM_POOL("check-timeout-ms", check_timeout_ms, 10, 600000),
    [P_RISE] = NUM_POOL("rise", rise, 1, 100),
    [P_FALL] = NUM_POOL("fall", fall, 1, 100),
    [P_SERVER_IDLE_MAX] =
        NUM_POOL("server-idle-max", server_idle_max, 0, 65536),
};

static void
pool_defaults(struct conf_pool *pl)
{
	pl->balance = CONF_BALANCE_ROUNDROBIN;
	pl->queue_timeout_ms = 5000;
	pl->queue_max = 1024;
	pl->server_idle_max = 256;
	pl->eject_fails = 5;
	pl->eject_5xx = 0;
	pl->eject_base_ms = 10000;
	pl->eject_max_ms = 300000;
	pl->check = CONF_CHECK_OFF;
	strcpy(pl->check_path, "/");
	pl->check_status = 200;
	pl->check_interval_ms = 2000;
	pl->check_timeout_ms = 1000;
	pl->rise = 2;
	pl->fall = 3;
}

static int
pool_begin(struct parser *p, char *rest)
{
	struct conf_rev *r;
	struct conf_pool *pl;
	unsigned i;

	if (conf_section_name_check(p, "pool", rest) < 0)
		return -EINVAL;
	r = conf_rev_get(p);
	if (r == NULL)
		return -ENOMEM;
	for (i = 0; i < r->n_pools; i++)
		if (strcmp(r->pools[i].name, rest) == 0)
			return conf_fail(
			    p, "pool \"%s\" already defined at line %u", rest,
			    r->pools[i].line);
	if (r->n_pools == CONF_POOLS_MAX)
		return conf_fail(p, "pool \"%s\": too many pools (at most %u)",
		                 rest, CONF_POOLS_MAX);
	pl = &r->pools[r->n_pools++];
	memset(pl, 0, sizeof(*pl));
	strcpy(pl->name, rest);
	pl->line = p->line;
	pool_defaults(pl);
	p->pool = pl;
	p->sect = SECT_POOL;
	return 0;
}

static int
pool_end(struct parser *p)
{
	struct conf_pool *pl = p->pool;
	unsigned line = pl->line, i;

	for (i = 0; i < pl->n_servers; i++)
		if (pl->servers[i].idle_max == UINT32_MAX)
			pl->servers[i].idle_max = pl->server_idle_max;
	if (pl->n_servers == 0)
		return conf_fail_at(p, pl->line,
		                    "pool \"%s\": at least one server is "
		                    "required",
		                    pl->name);
	if (pl->eject_max_ms < pl->eject_base_ms) {
		if (p->seen[P_EJECT_BASE_MS] > line)
			line = p->seen[P_EJECT_BASE_MS];
		if (p->seen[P_EJECT_MAX_MS] > line)
			line = p->seen[P_EJECT_MAX_MS];
		return conf_fail_at(p, line,
		                    "pool \"%s\": eject-max-ms %" PRIu32
		                    " is below eject-base-ms %" PRIu32,
		                    pl->name, pl->eject_max_ms,
		                    pl->eject_base_ms);
	}
	return 0;
}

/* ---- a reverse listener's routes ---- */

/* The routes of the listener being read, made on first use. */
static struct conf_routes *
routes_of_listener(struct parser *p)
{
	struct conf_rev *r = conf_rev_get(p);
	unsigned li;

	if (r == NULL)
		return NULL;
	GH_VERIFY(p->listen != NULL && p->c->n_listeners > 0);
	li = (unsigned)(p->listen - p->c->listeners);
	GH_VERIFY(li < CONF_LISTENERS_MAX);
	if (r->routes[li] == NULL) {
		r->routes[li] = calloc(1, sizeof(*r->routes[li]));
		if (r->routes[li] == NULL) {
			conf_fail(p, "out of memory");
			return NULL;
		}
		r->routes[li]->default_pool = -1;
	}
	return r->routes[li];
}

/* A DNS name's label characters, lower-cased into <out>; false when
 * <s> (<n> bytes) is not a name. */
static bool
host_ok(const char *s, size_t n, char *out)
{
	size_t i;

	if (n == 0 || n > CONF_ROUTE_HOST_MAX || s[0] == '.' || s[n - 1] == '.')
		return false;
	for (i = 0; i < n; i++) {
		char ch = s[i];

		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		if (!(conf_is_alnum(ch) || ch == '-' ||
		      (ch == '.' && s[i + 1] != '.')))
			return false;
		out[i] = ch;
	}
	out[n] = '\0';
	return true;
}

/* route HOST[/PATH-PREFIX] POOL */
int
conf_set_route(struct parser *p, const struct directive *d, const char *arg)
{
	char buf[CONF_LINE_MAX_BYTES + 1];
	char *target, *pool, *extra, *slash;
	struct conf_routes *rt;
	struct conf_route *ro;
	size_t hn;
	unsigned i;

	GH_VERIFY(strlen(arg) < sizeof(buf));
	strcpy(buf, arg);
	target = buf;
	pool = conf_cut_word(target);
	extra = conf_cut_word(pool);
	if (*pool == '\0')
		return conf_fail(p, "%s: expected HOST[/PATH-PREFIX] POOL",
		                 d->name);
	if (*extra != '\0')
		return conf_fail(p, "%s: unexpected argument \"%s\"", d->name,
		                 extra);
	if (!conf_is_name(pool, CONF_NAME_MAX))
		return conf_fail(p, "%s: invalid pool name \"%s\"", d->name,
		                 pool);
	rt = routes_of_listener(p);
	if (rt == NULL)
		return -ENOMEM;
	if (rt->n == CONF_ROUTES_MAX)
		return conf_fail(p, "%s: more than %u routes in listen \"%s\"",
		                 d->name, CONF_ROUTES_MAX, p->listen->name);
	ro = &rt->r[rt->n];
	memset(ro, 0, sizeof(*ro));
	slash = strchr(target, '/');
	hn = slash != NULL ? (size_t)(slash - target) : strlen(target);
	if (hn == 1 && target[0] == '*') {
		ro->kind = CONF_ROUTE_ANY;
	} else if (hn > 2 && target[0] == '*' && target[1] == '.') {
		ro->kind = CONF_ROUTE_WILDCARD;
		ro->host[0] = '.';
		if (!host_ok(target + 2, hn - 2, ro->host + 1))
			goto bad_host;
		ro->host_len = (uint16_t)(hn - 1);
	} else {
		ro->kind = CONF_ROUTE_EXACT;
		if (!host_ok(target, hn, ro->host))
			goto bad_host;
		ro->host_len = (uint16_t)hn;
	}
	if (slash != NULL) {
		if (!path_ok(slash, CONF_ROUTE_PATH_MAX))
			return conf_fail(
			    p,
			    "%s: \"%s\" is not a path prefix (\"/\" "
			    "then up to %u visible ASCII "
			    "characters)",
			    d->name, slash, CONF_ROUTE_PATH_MAX - 1);
		strcpy(ro->path, slash);
		ro->path_len = (uint16_t)strlen(slash);
	}
	for (i = 0; i < rt->n; i++)
		if (rt->r[i].kind == ro->kind &&
		    strcmp(rt->r[i].host, ro->host) == 0 &&
		    strcmp(rt->r[i].path, ro->path) == 0)
			return conf_fail(p,
			                 "%s: %s is already routed at line %u",
			                 d->name, target, rt->r[i].line);
	strcpy(ro->pool_name, pool);
	ro->line = p->line;
	rt->n++;
	return 0;
bad_host:
	return conf_fail(p,
	                 "%s: \"%.*s\" is not a host name, *.DOMAIN or * "
	                 "(letters, digits, '-' and '.')",
	                 d->name, (int)hn, target);
}

int
conf_set_default_pool(struct parser *p, const struct directive *d,
                      const char *arg)
{
	struct conf_routes *rt;

	if (!conf_is_name(arg, CONF_NAME_MAX))
		return conf_fail(p, "%s: invalid pool name \"%s\"", d->name,
		                 arg);
	rt = routes_of_listener(p);
	if (rt == NULL)
		return -ENOMEM;
	strcpy(rt->default_name, arg);
	rt->default_line = p->line;
	return 0;
}

/* ---- the whole file ---- */

static int
pool_index(const struct conf_rev *r, const char *name)
{
	unsigned i;

	for (i = 0; i < r->n_pools; i++)
		if (strcmp(r->pools[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* Each route's pool by name; a listener that routes nowhere. */
static int
routes_resolve(struct parser *p, struct conf_rev *r)
{
	struct conf *c = p->c;
	unsigned li, i;
	int idx;

	for (li = 0; li < c->n_listeners; li++) {
		struct conf_listen *l = &c->listeners[li];
		struct conf_routes *rt = r != NULL ? r->routes[li] : NULL;

		if (!l->fwd.reverse)
			continue;
		if (rt == NULL || (rt->n == 0 && rt->default_name[0] == '\0'))
			return conf_fail_at(
			    p, l->line,
			    "listen \"%s\": mode reverse needs at "
			    "least one route or a default-pool",
			    l->name);
		for (i = 0; i < rt->n; i++) {
			idx = pool_index(r, rt->r[i].pool_name);
			if (idx < 0)
				return conf_fail_at(
				    p, rt->r[i].line,
				    "route: no pool \"%s\" (pool sections: "
				    "%u)",
				    rt->r[i].pool_name, r->n_pools);
			rt->r[i].pool = (uint16_t)idx;
		}
		rt->default_pool = -1;
		if (rt->default_name[0] != '\0') {
			idx = pool_index(r, rt->default_name);
			if (idx < 0)
				return conf_fail_at(
				    p, rt->default_line,
				    "default-pool: no pool \"%s\"",
				    rt->default_name);
			rt->default_pool = idx;
		}
		l->fwd.routes = rt;
		l->fwd.rev = r;
	}
	return 0;
}

/* The lb objects of <pl>. */
static int
pool_build(struct parser *p, struct conf_pool *pl)
{
	uint32_t weights[CONF_POOL_SERVERS_MAX];
	uint64_t ids[CONF_POOL_SERVERS_MAX];
	struct lb_health_params hp = {
	    .rise = pl->rise,
	    .fall = pl->fall,
	    .eject_fails = pl->eject_fails,
	    .eject_5xx = pl->eject_5xx,
	    .eject_base_ms = pl->eject_base_ms,
	    .eject_max_ms = pl->eject_max_ms,
	    .start_down = false, /* no active checks yet */
	};
	char key[2 * CONF_NAME_MAX];
	unsigned i;
	int n;

	for (i = 0; i < pl->n_servers; i++) {
		weights[i] = pl->servers[i].weight;
		n = snprintf(key, sizeof(key), "%s/%s", pl->name,
		             pl->servers[i].name);
		GH_VERIFY(n > 0 && (size_t)n < sizeof(key));
		ids[i] = gh_siphash(server_id_key, key, (size_t)n);
	}
	pl->lb =
	    lb_pool_new((enum lb_algo)pl->balance, weights, ids, pl->n_servers);
	pl->health = lb_health_new(pl->n_servers, &hp);
	if (pl->lb == NULL || pl->health == NULL)
		return conf_fail_at(p, pl->line, "pool \"%s\": %s", pl->name,
		                    strerror(errno != 0 ? errno : ENOMEM));
	return 0;
}

static int
pools_file_end(struct parser *p)
{
	struct conf_rev *r = p->c->rev;
	char who[CONF_NAME_MAX * 2 + 32];
	unsigned i, j;
	int idx;

	if (routes_resolve(p, r) < 0)
		return -EINVAL;
	if (r == NULL)
		return 0;
	for (i = 0; i < r->n_pools; i++) {
		struct conf_pool *pl = &r->pools[i];

		for (j = 0; j < pl->n_servers; j++) {
			struct conf_server *sv = &pl->servers[j];

			/* refuses the appliance's own addresses too */
			snprintf(who, sizeof(who), "pool \"%s\": server %s",
			         pl->name, sv->name);
			idx = conf_route_resolve(p, sv->line, who, sv->ip_be);
			if (idx < 0)
				return -EINVAL;
			sv->port_idx = (unsigned)idx;
		}
		if (pool_build(p, pl) < 0)
			return -EINVAL;
	}
	return 0;
}

const struct section_kind conf_pool_section = {
    .name = "pool",
    .directives = pool_directives,
    .n_directives = GH_ARRAY_SIZE(pool_directives),
    .begin = pool_begin,
    .end = pool_end,
    .file_end = pools_file_end,
};
