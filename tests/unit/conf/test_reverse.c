/*
 * The reverse proxy's configuration (issue 14): pool sections, a mode
 * reverse listener's routes and header policy, their defaults, the bad
 * configs with their exact messages, the lb objects the snapshot builds,
 * a reload that keeps the running pools, and conf_route_match() by a
 * table of hosts and paths.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "conf/conf.h"
#include "lb/lb.h"

TestSuite(conf_reverse);

/* Lines 1-10: the ports; servers live on the outside subnet. */
#define PORTS                       \
	"port in\n"                 \
	"\trole inside\n"           \
	"\tdevice net_null0\n"      \
	"\taddress 198.18.1.1/24\n" \
	"port out\n"                \
	"\trole outside\n"          \
	"\tdevice net_null1\n"      \
	"\taddress 198.19.1.1/24\n" \
	"\tgateway 198.19.1.254\n"  \
	"\n"
/* Lines 11-13: a pool of two servers. */
#define POOL_WEB                      \
	"pool web\n"                  \
	"\tserver a 198.19.1.10:80\n" \
	"\tserver b 198.19.1.11:8080 weight 3 max-conns 10\n"
/* Lines 14-16: a reverse listener header; directives from line 17. */
#define REV_HEAD           \
	"listen site\n"    \
	"\tmode reverse\n" \
	"\tbind 198.18.1.1:80\n"

static char err[CONF_ERR_MAX];

static struct conf *
parse(const char *text)
{
	memset(err, 0, sizeof(err));
	return conf_parse("t.conf", text, strlen(text), err, sizeof(err));
}

Test(conf_reverse, defaults_and_values)
{
	struct conf *c =
	    parse(PORTS POOL_WEB REV_HEAD "\troute www.example.com web\n"
	                                  "\troute *.Example.org/api web\n"
	                                  "\tdefault-pool web\n"
	                                  "pool other\n"
	                                  "\tserver x 198.19.1.20:80\n"
	                                  "\tbalance uri-hash\n"
	                                  "\tqueue-timeout-ms 0\n"
	                                  "\tqueue-max 7\n"
	                                  "\teject-fails 2\n"
	                                  "\teject-5xx 4\n"
	                                  "\teject-base-ms 500\n"
	                                  "\teject-max-ms 1000\n"
	                                  "\tcheck http\n"
	                                  "\tcheck-path /health\n"
	                                  "\tcheck-status 204\n"
	                                  "\tcheck-interval-ms 500\n"
	                                  "\tcheck-timeout-ms 200\n"
	                                  "\trise 1\n"
	                                  "\tfall 5\n");
	const struct conf_forward *f;
	const struct conf_pool *pl;

	cr_assert_not_null(c, "%s", err);
	f = &c->listeners[0].fwd;
	cr_assert_eq(c->listeners[0].mode, CONF_LISTEN_FORWARD);
	cr_assert(f->reverse);
	cr_assert(f->xfp);
	cr_assert(!f->forwarded);
	cr_assert(!f->location_rewrite);
	cr_assert_eq(f->xff, CONF_XFF_REPLACE); /* reverse's default */
	/* open to every client: allow-src 0.0.0.0/0 implied */
	cr_assert_eq(f->n_allow_src, 1);
	cr_assert_eq(f->allow_src[0].mask_be, 0);
	cr_assert_not_null(f->acl);
	cr_assert_eq(f->rev, c->rev);
	cr_assert_not_null(f->routes);
	cr_assert_eq(f->routes->n, 2);
	cr_assert_eq(f->routes->default_pool, 0);
	cr_assert_eq(f->routes->r[1].kind, CONF_ROUTE_WILDCARD);
	cr_assert_str_eq(f->routes->r[1].host, ".example.org");
	cr_assert_str_eq(f->routes->r[1].path, "/api");
	cr_assert_eq(c->rev->n_pools, 2);
	pl = &c->rev->pools[0];
	cr_assert_str_eq(pl->name, "web");
	cr_assert_eq(pl->n_servers, 2);
	cr_assert_eq(pl->servers[0].weight, 1);
	cr_assert_eq(pl->servers[0].max_conns, 0);
	cr_assert_eq(pl->servers[1].weight, 3);
	cr_assert_eq(pl->servers[1].max_conns, 10);
	cr_assert_eq(pl->servers[1].port_be, htons(8080));
	cr_assert_eq(pl->servers[1].port_idx, 1);
	cr_assert_eq(pl->balance, CONF_BALANCE_ROUNDROBIN);
	cr_assert_eq(pl->queue_timeout_ms, 5000);
	cr_assert_eq(pl->queue_max, 1024);
	cr_assert_eq(pl->eject_fails, 5);
	cr_assert_eq(pl->eject_5xx, 0);
	cr_assert_eq(pl->eject_base_ms, 10000);
	cr_assert_eq(pl->eject_max_ms, 300000);
	cr_assert_eq(pl->check, CONF_CHECK_OFF);
	cr_assert_str_eq(pl->check_path, "/");
	cr_assert_eq(pl->check_status, 200);
	cr_assert_eq(pl->check_interval_ms, 2000);
	cr_assert_eq(pl->check_timeout_ms, 1000);
	cr_assert_eq(pl->rise, 2);
	cr_assert_eq(pl->fall, 3);
	cr_assert_not_null(pl->lb);
	cr_assert_not_null(pl->health);
	cr_assert_eq(lb_pool_servers(pl->lb), 2);
	pl = &c->rev->pools[1];
	cr_assert_eq(pl->balance, CONF_BALANCE_URI_HASH);
	cr_assert_eq(lb_pool_algo(pl->lb), LB_URI_HASH);
	cr_assert_eq(pl->queue_timeout_ms, 0);
	cr_assert_eq(pl->queue_max, 7);
	cr_assert_eq(pl->eject_fails, 2);
	cr_assert_eq(pl->eject_5xx, 4);
	cr_assert_eq(pl->eject_base_ms, 500);
	cr_assert_eq(pl->eject_max_ms, 1000);
	cr_assert_eq(pl->check, CONF_CHECK_HTTP);
	cr_assert_str_eq(pl->check_path, "/health");
	cr_assert_eq(pl->check_status, 204);
	cr_assert_eq(pl->check_interval_ms, 500);
	cr_assert_eq(pl->check_timeout_ms, 200);
	cr_assert_eq(pl->rise, 1);
	cr_assert_eq(pl->fall, 5);
	conf_free(c);
}

/* idle-max on the server line; server-idle-max of the pool for the
 * others, wherever it stands in the section; 256 by default. */
Test(conf_reverse, idle_max)
{
	struct conf *c = parse(PORTS "pool p\n\tserver a 198.19.1.10:80 "
	                             "idle-max 2\n\tserver b 198.19.1.11:80\n"
	                             "\tserver-idle-max 0\n"
	                             "pool q\n\tserver a 198.19.1.10:80\n");

	cr_assert_not_null(c, "%s", err);
	cr_assert_eq(c->rev->pools[0].servers[0].idle_max, 2);
	cr_assert_eq(c->rev->pools[0].servers[1].idle_max, 0);
	cr_assert_eq(c->rev->pools[0].server_idle_max, 0);
	cr_assert_eq(c->rev->pools[1].servers[0].idle_max, 256);
	conf_free(c);
}

Test(conf_reverse, header_policy_and_no_resolver)
{
	struct conf *c =
	    parse(PORTS POOL_WEB REV_HEAD "\tdefault-pool web\n"
	                                  "\tx-forwarded-proto off\n"
	                                  "\tforwarded on\n"
	                                  "\tlocation-rewrite on\n"
	                                  "\tx-forwarded-for delete\n"
	                                  "\tallow-src 198.18.1.0/24\n"
	                                  "\tcache on\n"
	                                  "\tvia off\n");

	cr_assert_not_null(c, "%s", err);
	cr_assert(!c->listeners[0].fwd.xfp);
	cr_assert(c->listeners[0].fwd.forwarded);
	cr_assert(c->listeners[0].fwd.location_rewrite);
	cr_assert_eq(c->listeners[0].fwd.xff, CONF_XFF_DELETE);
	cr_assert_eq(c->listeners[0].fwd.n_allow_src, 1);
	cr_assert_neq(c->listeners[0].fwd.allow_src[0].mask_be, 0);
	cr_assert(c->listeners[0].fwd.cache);
	cr_assert_eq(c->listeners[0].fwd.routes->n, 0);
	conf_free(c);
}

/* A reverse listener is the site's own cache: CDN-Cache-Control (RFC
 * 9213) on unless the file says off; a forward listener's stays off. */
Test(conf_reverse, cdn_cache_control_on_by_default)
{
	struct conf *c = parse(PORTS POOL_WEB REV_HEAD "\tdefault-pool web\n");

	cr_assert_not_null(c, "%s", err);
	cr_assert(c->listeners[0].fwd.cache_cdn_control);
	conf_free(c);
	c = parse(PORTS POOL_WEB REV_HEAD "\tdefault-pool web\n"
	                                  "\tcache-cdn-control off\n");
	cr_assert_not_null(c, "%s", err);
	cr_assert(!c->listeners[0].fwd.cache_cdn_control);
	conf_free(c);
}

Test(conf_reverse, pool_before_nothing_is_allowed)
{
	/* a pool nobody routes to: allowed, built all the same */
	struct conf *c = parse(PORTS POOL_WEB);

	cr_assert_not_null(c, "%s", err);
	cr_assert_not_null(c->rev);
	cr_assert_not_null(c->rev->pools[0].lb);
	conf_free(c);
}

struct bad_case {
	const char *text;
	const char *msg;
};

static const struct bad_case bad_cases[] = {
    {PORTS POOL_WEB REV_HEAD,
     "t.conf:14: listen \"site\": mode reverse needs at least one route "
     "or a default-pool"},
    {PORTS POOL_WEB REV_HEAD "\troute www.example.com nosuch\n",
     "t.conf:17: route: no pool \"nosuch\" (pool sections: 1)"},
    {PORTS REV_HEAD "\tdefault-pool web\n",
     "t.conf:14: default-pool: no pool \"web\""},
    {PORTS POOL_WEB REV_HEAD "\troute www.example.com\n",
     "t.conf:17: route: expected HOST[/PATH-PREFIX] POOL"},
    {PORTS POOL_WEB REV_HEAD "\troute www.example.com web x\n",
     "t.conf:17: route: unexpected argument \"x\""},
    {PORTS POOL_WEB REV_HEAD "\troute www..example.com web\n",
     "t.conf:17: route: \"www..example.com\" is not a host name, "
     "*.DOMAIN or * (letters, digits, '-' and '.')"},
    {PORTS POOL_WEB REV_HEAD "\troute *.com:80 web\n",
     "t.conf:17: route: \"*.com:80\" is not a host name, *.DOMAIN or * "
     "(letters, digits, '-' and '.')"},
    {PORTS POOL_WEB REV_HEAD "\troute a.example/x\x01y web\n",
     "t.conf:17: route: \"/x\x01y\" is not a path prefix (\"/\" then up "
     "to 254 visible ASCII characters)"},
    {PORTS POOL_WEB REV_HEAD "\troute a.example/x web\n"
                             "\troute A.example/x web\n",
     "t.conf:18: route: A.example/x is already routed at line 17"},
    {PORTS POOL_WEB REV_HEAD "\tdefault-pool web\n\tauth-users /etc/u\n",
     "t.conf:18: listen \"site\": auth-users is not for mode reverse (a "
     "site's users log in to the site, not to the proxy)"},
    {PORTS POOL_WEB REV_HEAD "\tdefault-pool web\n\tconnect-ports 443\n",
     "t.conf:18: listen \"site\": connect-ports is not for mode reverse"},
    {PORTS POOL_WEB REV_HEAD "\tdefault-pool web\n\tforwarded maybe\n",
     "t.conf:18: forwarded: \"maybe\" is not on or off"},
    {PORTS POOL_WEB "resolver\n\tnameserver 198.19.1.3\n"
                    "listen f\n\tmode forward\n\tbind 198.18.1.1:3128\n"
                    "\tallow-src 198.18.1.0/24\n\troute * web\n",
     "t.conf:20: listen \"f\": route is only allowed in reverse mode"},
    {PORTS POOL_WEB "listen e\n\tmode echo\n\tbind 198.18.1.1:7\n"
                    "\tlocation-rewrite on\n",
     "t.conf:17: listen \"e\": location-rewrite is only allowed in "
     "reverse mode"},
    {PORTS "pool p\n\tbalance roundrobin\n",
     "t.conf:11: pool \"p\": at least one server is required"},
    {PORTS "pool p\n\tserver a 198.19.1.10:80\n\tserver a 198.19.1.11:80\n",
     "t.conf:13: server: \"a\" already defined at line 12 in pool \"p\""},
    {PORTS "pool p\n\tserver a 198.19.1.10\n",
     "t.conf:12: server: \"198.19.1.10\" has no port (A.B.C.D:PORT)"},
    {PORTS "pool p\n\tserver a 198.19.1.10:80 weight 0\n",
     "t.conf:12: server: weight 0 is out of range 1..256"},
    {PORTS "pool p\n\tserver a 198.19.1.10:80 weight 257\n",
     "t.conf:12: server: weight 257 is out of range 1..256"},
    {PORTS "pool p\n\tserver a 198.19.1.10:80 weight\n",
     "t.conf:12: server: weight: missing value"},
    {PORTS "pool p\n\tserver a 198.19.1.10:80 backup 1\n",
     "t.conf:12: server: unknown option \"backup\" (weight, "
     "max-conns or idle-max)"},
    {PORTS "pool p\n\tserver a 198.19.1.10:80 idle-max 65537\n",
     "t.conf:12: server: idle-max 65537 is out of range 0..65536"},
    {PORTS "pool p\n\tserver a 198.19.1.10:80 idle-max -1\n",
     "t.conf:12: server: idle-max \"-1\" is not a decimal number"},
    {PORTS "pool p\n\tserver a 198.19.1.10:80\n\tserver-idle-max 70000\n",
     "t.conf:13: server-idle-max: 70000 is out of range 0..65536"},
    {PORTS "pool p\n\tserver a 198.19.1.1:80\n",
     "t.conf:12: pool \"p\": server a 198.19.1.1 is the address of port "
     "\"out\""},
    {PORTS "pool p\n\tserver a 127.0.0.1:80\n",
     "t.conf:12: server: 127.0.0.1 is not a unicast host address"},
    {PORTS "pool p\n\tserver a 198.19.1.10:80\n\tbalance random\n",
     "t.conf:13: balance: \"random\" is not roundrobin, leastconn or "
     "uri-hash"},
    {PORTS "pool p\n\tserver a 198.19.1.10:80\n\tcheck ping\n",
     "t.conf:13: check: \"ping\" is not off, tcp or http"},
    {PORTS "pool p\n\tserver a 198.19.1.10:80\n\tcheck-path health\n",
     "t.conf:13: check-path: \"health\" is not a path (\"/\" then up to "
     "126 visible ASCII characters)"},
    {PORTS "pool p\n\tserver a 198.19.1.10:80\n\tqueue-max 0\n",
     "t.conf:13: queue-max: 0 is out of range 1..65536"},
    {PORTS "pool p\n\tserver a 198.19.1.10:80\n\teject-max-ms 1000\n",
     "t.conf:13: pool \"p\": eject-max-ms 1000 is below eject-base-ms "
     "10000"},
    {PORTS "pool p\n\tserver a 198.19.1.10:80\n"
           "pool p\n\tserver a 198.19.1.10:80\n",
     "t.conf:13: pool \"p\" already defined at line 11"},
    {PORTS "pool p\n\tserver a 198.19.1.10:80\n\tvia on\n",
     "t.conf:13: unknown directive \"via\" in pool section (it belongs "
     "in listen sections)"},
};

ParameterizedTestParameters(conf_reverse, bad_config)
{
	static size_t idx[sizeof(bad_cases) / sizeof(bad_cases[0])];
	size_t i;

	for (i = 0; i < sizeof(idx) / sizeof(idx[0]); i++)
		idx[i] = i;
	return cr_make_param_array(size_t, idx, sizeof(idx) / sizeof(idx[0]));
}

ParameterizedTest(size_t *i, conf_reverse, bad_config)
{
	const struct bad_case *bc = &bad_cases[*i];
	struct conf *c = parse(bc->text);

	cr_assert_null(c, "case %zu parsed", *i);
	cr_assert_str_eq(err, bc->msg, "case %zu: %s", *i, err);
}

/* ---- conf_route_match ---- */

#define ROUTES                                                       \
	PORTS "pool a\n\tserver s 198.19.1.10:80\n"                  \
	      "pool b\n\tserver s 198.19.1.11:80\n"                  \
	      "pool c\n\tserver s 198.19.1.12:80\n"                  \
	      "pool d\n\tserver s 198.19.1.13:80\n"                  \
	      "pool e\n\tserver s 198.19.1.14:80\n"                  \
	      "listen site\n\tmode reverse\n\tbind 198.18.1.1:80\n"  \
	      "\troute www.example.com a\n"                          \
	      "\troute www.example.com/api b\n"                      \
	      "\troute www.example.com/api/v2/ c\n"                  \
	      "\troute *.example.com/static d\n"                     \
	      "\troute *.img.example.com e\n"                        \
	      "\troute *.example.net/x a\n"                          \
	      "\troute */wide b\n"                                   \
	      "listen nodef\n\tmode reverse\n\tbind 198.18.1.1:81\n" \
	      "\troute only.example a\n"                             \
	      "listen def\n\tmode reverse\n\tbind 198.18.1.1:82\n"   \
	      "\troute only.example/p a\n\tdefault-pool e\n"

struct route_case {
	unsigned listener;
	const char *host;
	const char *path;
	int want; /* pool index (a=0 .. e=4) or CONF_ROUTE_NO_* */
};

static const struct route_case route_cases[] = {
    {0, "www.example.com", "/", 0},
    {0, "www.example.com", "/index.html", 0},
    {0, "www.example.com", "/api", 1},
    {0, "www.example.com", "/api/users", 1},
    {0, "www.example.com", "/api?x=1", 1},
    {0, "www.example.com", "/apix", 0}, /* not a segment of /api */
    {0, "www.example.com", "/api/v2/", 2},
    {0, "www.example.com", "/api/v2/things", 2},
    {0, "www.example.com", "/api/v2", 1}, /* the prefix ends in '/' */
    /* a wildcard: any depth of subdomain, not the apex */
    {0, "cdn.example.com", "/static/a.css", 3},
    {0, "a.b.example.com", "/static", 3},
    {0, "example.com", "/static", CONF_ROUTE_NO_PATH}, /* only */
    /* ... the apex falls to `*`, which has /wide only */
    {0, "example.com", "/wide", 1},
    {0, "cdn.example.com", "/other", CONF_ROUTE_NO_PATH},
    /* the longest suffix wins, even without a path match */
    {0, "x.img.example.com", "/static", 4},
    {0, "img.example.com", "/static", 3},
    /* the exact host wins over the wildcard */
    {0, "www.example.com", "/static", 0},
    {0, "a.example.net", "/x/y", 0},
    {0, "a.example.net", "/y", CONF_ROUTE_NO_PATH},
    {0, "unknown.org", "/wide/1", 1},
    {0, "unknown.org", "/", CONF_ROUTE_NO_PATH},
    {1, "only.example", "/anything", 0},
    {1, "other.example", "/", CONF_ROUTE_NO_HOST},
    {1, "nly.example", "/", CONF_ROUTE_NO_HOST},
    {2, "only.example", "/p/q", 0},
    {2, "only.example", "/q", 4},
    {2, "other.example", "/", 4},
    /* percent-encoded unreserved characters are what they stand for */
    {0, "www.example.com", "/%61pi/x", 1},
    {0, "www.example.com", "/%61%70%69/v2/", 2},
    {0, "www.example.com", "/api%2Fv2/", 0}, /* "%2F" is no boundary */
    {0, "www.example.com", "/ap%69x", 0},
};

/* conf_route_path_safe: dot-segments and separators in disguise */
Test(conf_reverse, route_path_safe)
{
	static const char *const bad[] = {
	    "/..",     "/.",        "/a/../b", "/a/./b", "/a/%2e%2E/b",
	    "/a/.%2e", "/a/..;x/b", "/a/.;/b", "/a%2fb", "/a%5Cb",
	    "/a\\b",   "/a%00",     "/a%",     "/a%4",   "/a%g0",
	    "/a/..?q", "/a/%2e#f",
	};
	static const char *const good[] = {
	    "/",      "",          "/a..b",  "/...",        "/.a/b.",
	    "/a?../", "/a?%2e%2e", "/a;x/b", "/%41%2e%2ex", "/a/b%20c",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect(!conf_route_path_safe(bad[i], strlen(bad[i])), "%s",
		          bad[i]);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		cr_expect(conf_route_path_safe(good[i], strlen(good[i])), "%s",
		          good[i]);
}

Test(conf_reverse, route_table)
{
	struct conf *c = parse(ROUTES);
	size_t i;

	cr_assert_not_null(c, "%s", err);
	for (i = 0; i < sizeof(route_cases) / sizeof(route_cases[0]); i++) {
		const struct route_case *rc = &route_cases[i];
		int got = conf_route_match(
		    c->listeners[rc->listener].fwd.routes, rc->host,
		    strlen(rc->host), rc->path, strlen(rc->path));

		cr_expect_eq(got, rc->want, "%s%s on %u: %d, want %d", rc->host,
		             rc->path, rc->listener, got, rc->want);
	}
	conf_free(c);
}

/* ---- reload ---- */

static char notes[2048];

static void
note(void *arg, const char *line)
{
	(void)arg;
	strncat(notes, line, sizeof(notes) - strlen(notes) - 2);
	strcat(notes, "\n");
}

Test(conf_reverse, reload_keeps_pools_and_routes)
{
	struct conf *run =
	    parse(PORTS POOL_WEB REV_HEAD "\troute a.example web\n"
	                                  "\tforwarded off\n");
	struct conf *next, *same;
	uint32_t carried = 0;
	int n;

	cr_assert_not_null(run, "%s", err);
	next = parse(PORTS "pool web\n\tserver a 198.19.1.10:80\n"
	                   "pool more\n\tserver z 198.19.1.30:80\n" REV_HEAD
	                   "\troute b.example more\n"
	                   "\tforwarded on\n");
	cr_assert_not_null(next, "%s", err);
	notes[0] = '\0';
	n = conf_restart_diff(run, next, note, NULL, &carried);
	cr_assert_eq(n, 2, "%s", notes);
	cr_assert(strstr(notes, "pools") != NULL, "%s", notes);
	cr_assert(strstr(notes, "listen site: routes") != NULL, "%s", notes);
	/* the running ones stay; the live header policy changes */
	cr_assert_eq(next->rev, run->rev);
	cr_assert_eq(run->rev->refs, 2);
	cr_assert_eq(next->listeners[0].fwd.routes,
	             run->listeners[0].fwd.routes);
	cr_assert(next->listeners[0].fwd.forwarded);
	conf_free(run); /* the rev lives on in next */
	cr_assert_eq(next->rev->refs, 1);
	cr_assert_str_eq(next->rev->pools[0].servers[1].name, "b");

	/* the same file again: nothing to say */
	same = parse(PORTS POOL_WEB REV_HEAD "\troute a.example web\n"
	                                     "\tforwarded on\n");
	cr_assert_not_null(same, "%s", err);
	notes[0] = '\0';
	n = conf_restart_diff(next, same, note, NULL, &carried);
	cr_assert_eq(n, 0, "%s", notes);
	cr_assert_eq(same->rev, next->rev);
	conf_free(next);
	conf_free(same);
}
