/*
 * The `listen NAME` sections of the configuration: a TCP service of the
 * userspace stack (relay, echo, discard, chargen), the HTTP forward proxy
 * (mode forward, with its allow-src, connect-ports, header handling,
 * timeouts, limits and the shared cache) or the SOCKS5 server (mode socks:
 * allow-src, access rules, users, its handshake, connect and idle
 * timeouts).  Its directives, setters,
 * per-listener defaults (filled in at the header, for every mode), the checks
 * at the end of a section (required directives, upstream only for relay,
 * forward-only directives, allow-src, max-header-bytes >= max-request-line) and
 * the whole-file ones (bind address of a port, upstream route, default
 * congestion control from the tcp section, a resolver for forward and socks
 * mode).
 * Registered with the parser core as conf_listen_section (conf_parse.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/gh_common.h"
#include "conf/conf_parse.h"

/* Index of each directive in listen_directives[] (and parser.seen[]). */
enum listen_directive_id {
	D_MODE = 0,
	D_BIND,
	D_UPSTREAM,
	D_LISTEN_CC,
	D_ALLOW_SRC, /* D_ALLOW_SRC..D_FWD_LAST: forward only */
	D_CONNECT_PORTS,
	D_XFF,
	D_ANONYMOUS,
	D_ANONYMIZE,
	D_ANON_USER_AGENT,
	D_ANON_COOKIES,
	D_VIA,
	D_ALLOW_PRIVATE_DST,
	D_HTTP_ACCESS,
	D_AUTH_USERS,
	D_AUTH_GROUPS,
	D_AUTH_REALM,
	D_CLIENT_HEADER_MS,
	D_CLIENT_IDLE_MS,
	D_CONNECT_MS,
	D_UPSTREAM_READ_MS,
	D_UPSTREAM_IDLE_MS,
	D_UPSTREAM_IDLE_MAX,
	D_MAX_REQUEST_LINE,
	D_MAX_HEADERS,
	D_MAX_HEADER_BYTES,
	D_MAX_BODY_BYTES,
	D_CACHE,
	D_CACHE_STATUS,
	D_CACHE_MB,
	D_CACHE_MAX_OBJECT_KB,
	D_CACHE_HEURISTIC_MAX_S,
	D_CACHE_COLLAPSE_MS,
	D_CACHE_BG_MAX,
	D_CACHE_CDN_CONTROL,
	D_ROUTE, /* D_ROUTE..D_REV_LAST: reverse only */
	D_DEFAULT_POOL,
	D_XFP,
	D_FORWARDED,
	D_LOCATION_REWRITE,
	D_REV_LAST = D_LOCATION_REWRITE,
	D_FWD_LAST = D_REV_LAST,
	D_HANDSHAKE_MS, /* D_HANDSHAKE_MS..D_IDLE_MS: socks only */
	D_IDLE_MS,
	D_COUNT,
};

_Static_assert(D_COUNT <= CONF_SECTION_ROWS_MAX, "parser.seen[] holds them");

static const char *
mode_name(enum conf_listen_mode mode)
{
	switch (mode) {
	case CONF_LISTEN_RELAY:
		return "relay";
	case CONF_LISTEN_ECHO:
		return "echo";
	case CONF_LISTEN_DISCARD:
		return "discard";
	case CONF_LISTEN_CHARGEN:
		return "chargen";
	case CONF_LISTEN_FORWARD:
		return "forward";
	case CONF_LISTEN_SOCKS:
		return "socks";
	}
	return "(none)";
}

static int
set_mode(struct parser *p, const struct directive *d, const char *arg)
{
	/* a reverse listener is a forward one pointed the other way: the
	 * same sessions, with routes to pools instead of DNS */
	if (strcmp(arg, "reverse") == 0) {
		p->listen->mode = CONF_LISTEN_FORWARD;
		p->listen->fwd.reverse = true;
		return 0;
	}
	static const enum conf_listen_mode modes[] = {
	    CONF_LISTEN_RELAY, CONF_LISTEN_FORWARD, CONF_LISTEN_SOCKS,
	    CONF_LISTEN_ECHO,  CONF_LISTEN_DISCARD, CONF_LISTEN_CHARGEN};
	size_t i;

	for (i = 0; i < GH_ARRAY_SIZE(modes); i++) {
		if (strcmp(arg, mode_name(modes[i])) == 0) {
			p->listen->mode = modes[i];
			return 0;
		}
	}
	return conf_fail(
	    p,
	    "%s: \"%s\" is not relay, forward, reverse, socks, echo, "
	    "discard or chargen",
	    d->name, arg);
}

static int
set_listen_cc(struct parser *p, const struct directive *d, const char *arg)
{
	return conf_want_cc(p, d, arg, &p->listen->cc);
}

static int
set_bind(struct parser *p, const struct directive *d, const char *arg)
{
	const struct conf_listen *q;
	uint32_t ip_be = 0;
	uint16_t port_be = 0;
	unsigned i;

	if (conf_want_ip_port(p, d, arg, &ip_be, &port_be) < 0)
		return -EINVAL;
	for (i = 0; i + 1 < p->c->n_listeners; i++) {
		q = &p->c->listeners[i];
		if (q->bind_ip_be == ip_be && q->bind_port_be == port_be)
			return conf_fail(
			    p, "%s: %s is already used by listen \"%s\"",
			    d->name, arg, q->name);
	}
	p->listen->bind_ip_be = ip_be;
	p->listen->bind_port_be = port_be;
	return 0;
}

static int
set_upstream(struct parser *p, const struct directive *d, const char *arg)
{
	uint32_t ip_be = 0;
	uint16_t port_be = 0;

	if (conf_want_ip_port(p, d, arg, &ip_be, &port_be) < 0)
		return -EINVAL;
	if (!conf_is_unicast(ntohl(ip_be)))
		return conf_fail(p, "%s: %s is not a unicast host address",
		                 d->name, conf_ip_str(ip_be, 0));
	p->listen->upstream_ip_be = ip_be;
	p->listen->upstream_port_be = port_be;
	return 0;
}

/* A.B.C.D/N (N 0..32) or A.B.C.D (a /32), with no host bits set. */
static int
set_allow_src(struct parser *p, const struct directive *d, const char *arg)
{
	struct conf_forward *f = &p->listen->fwd;
	const char *slash = strchr(arg, '/');
	size_t n = slash != NULL ? (size_t)(slash - arg) : strlen(arg);
	char ip[INET_ADDRSTRLEN];
	uint32_t addr_be, mask_be;
	uint64_t plen = 32;
	unsigned i;

	if (f->n_allow_src == CONF_ALLOW_SRC_MAX)
		return conf_fail(
		    p, "%s: more than %u given, \"%s\" is one too many",
		    d->name, CONF_ALLOW_SRC_MAX, arg);
	if (n >= sizeof(ip))
		return conf_fail(p, "%s: \"%.*s\" is not an IPv4 address",
		                 d->name, (int)n, arg);
	memcpy(ip, arg, n);
	ip[n] = '\0';
	if (!conf_parse_ipv4(ip, &addr_be))
		return conf_fail(p, "%s: \"%s\" is not an IPv4 address",
		                 d->name, ip);
	if (slash != NULL && conf_want_number(p, d->name, "prefix length ",
	                                      slash + 1, 0, 32, &plen) < 0)
		return -EINVAL;
	mask_be = htonl(conf_prefix_mask((unsigned)plen));
	if ((addr_be & ~mask_be) != 0)
		return conf_fail(
		    p, "%s: %s has host bits set (the network is %s/%u)",
		    d->name, arg, conf_ip_str(addr_be & mask_be, 0),
		    (unsigned)plen);
	for (i = 0; i < f->n_allow_src; i++)
		if (f->allow_src[i].addr_be == addr_be &&
		    f->allow_src[i].mask_be == mask_be)
			return conf_fail(p, "%s: %s is listed twice", d->name,
			                 arg);
	f->allow_src[f->n_allow_src].addr_be = addr_be;
	f->allow_src[f->n_allow_src].mask_be = mask_be;
	f->n_allow_src++;
	return 0;
}

/* Add one port of the connect-ports list. */
static int
add_connect_port(struct parser *p, const struct directive *d, const char *s,
                 const char *list)
{
	struct conf_forward *f = &p->listen->fwd;
	uint64_t v = 0;
	unsigned i;

	if (f->n_connect_ports == CONF_CONNECT_PORTS_MAX)
		return conf_fail(p, "%s: more than %u ports in \"%s\"", d->name,
		                 CONF_CONNECT_PORTS_MAX, list);
	if (conf_want_number(p, d->name, "port ", s, 1, UINT16_MAX, &v) < 0)
		return -EINVAL;
	for (i = 0; i < f->n_connect_ports; i++)
		if (f->connect_ports[i] == v)
			return conf_fail(p, "%s: port %s is listed twice",
			                 d->name, s);
	f->connect_ports[f->n_connect_ports++] = (uint16_t)v;
	return 0;
}

/* Ports separated by blanks; the list replaces the default. */
static int
set_connect_ports(struct parser *p, const struct directive *d, const char *arg)
{
	char buf[CONF_LINE_MAX_BYTES + 1];
	char *s, *next;

	GH_VERIFY(strlen(arg) < sizeof(buf));
	strcpy(buf, arg);
	p->listen->fwd.n_connect_ports = 0;
	/* Each turn consumes at least one character of buf. */
	for (s = buf; *s != '\0'; s = next) {
		next = conf_cut_word(s);
		if (add_connect_port(p, d, s, arg) < 0)
			return -EINVAL;
	}
	return 0;
}

static int
set_xff(struct parser *p, const struct directive *d, const char *arg)
{
	if (strcmp(arg, "add") == 0)
		p->listen->fwd.xff = CONF_XFF_ADD;
	else if (strcmp(arg, "delete") == 0)
		p->listen->fwd.xff = CONF_XFF_DELETE;
	else if (strcmp(arg, "off") == 0)
		p->listen->fwd.xff = CONF_XFF_OFF;
	else if (strcmp(arg, "replace") == 0)
		p->listen->fwd.xff = CONF_XFF_REPLACE;
	else
		return conf_fail(
		    p, "%s: \"%s\" is not add, replace, delete or off", d->name,
		    arg);
	return 0;
}

/* anonymize | anonymous on|off: one setting under two names, given once. */
static int
set_anonymize(struct parser *p, const struct directive *d, const char *arg)
{
	unsigned other =
	    p->seen[strcmp(d->name, "anonymize") == 0 ? D_ANONYMOUS
	                                              : D_ANONYMIZE];

	if (other != 0)
		return conf_fail(p,
		                 "%s: already given at line %u (anonymize "
		                 "and anonymous are one setting)",
		                 d->name, other);
	return conf_want_on_off(p, d, arg, &p->listen->fwd.anonymous);
}

/* anonymize-user-agent STRING | remove: printable ASCII, blanks inside. */
static int
set_anon_user_agent(struct parser *p, const struct directive *d,
                    const char *arg)
{
	size_t i, n = strlen(arg);

	p->listen->fwd.anon_ua_remove = strcmp(arg, "remove") == 0;
	if (p->listen->fwd.anon_ua_remove)
		return 0;
	if (n == 0 || n > CONF_ANON_UA_MAX)
		return conf_fail(p,
		                 "%s: expected 1 to %u characters or "
		                 "\"remove\"",
		                 d->name, CONF_ANON_UA_MAX);
	for (i = 0; i < n; i++)
		if (arg[i] < 0x20 || arg[i] > 0x7e)
			return conf_fail(p,
			                 "%s: only printable ASCII "
			                 "(byte %zu is 0x%02x)",
			                 d->name, i + 1, (unsigned char)arg[i]);
	memcpy(p->listen->fwd.anon_user_agent, arg, n + 1);
	return 0;
}

/* on | off into the bool at <d->off> in struct conf_listen. */
static int
set_fwd_flag(struct parser *p, const struct directive *d, const char *arg)
{
	bool v = false;

	GH_VERIFY(d->size == sizeof(v));
	if (conf_want_on_off(p, d, arg, &v) < 0)
		return -EINVAL;
	memcpy((char *)p->listen + d->off, &v, sizeof(v));
	return 0;
}

/* A forward-mode number: offset into struct conf_listen. */
#define NUM_FWD(n, field, lo, hi)                                              \
	CONF_NUM(n, SECT_LISTEN, struct conf_listen, fwd.field, lo, hi, false, \
	         0)

/* A forward-mode on | off: a bool in struct conf_listen. */
#define FLAG_FWD(n, field)                                             \
	{                                                              \
		.name = n, .sect = SECT_LISTEN, .set = set_fwd_flag,   \
		.off = offsetof(struct conf_listen, fwd.field),        \
		.size = CONF_FIELD_SIZE(struct conf_listen, fwd.field) \
	}

static const struct directive listen_directives[D_COUNT] = {
    [D_MODE] = CONF_FUNC("mode", SECT_LISTEN, set_mode),
    [D_BIND] = CONF_FUNC("bind", SECT_LISTEN, set_bind),
    [D_UPSTREAM] = CONF_FUNC("upstream", SECT_LISTEN, set_upstream),
    /* Also a directive of the tcp section: one row in each table, found
     * by section. */
    [D_LISTEN_CC] = CONF_FUNC("congestion-control", SECT_LISTEN, set_listen_cc),
    [D_ALLOW_SRC] = {.name = "allow-src",
                     .sect = SECT_LISTEN,
                     .set = set_allow_src,
                     .repeatable = true},
    [D_CONNECT_PORTS] = {.name = "connect-ports",
                         .sect = SECT_LISTEN,
                         .set = set_connect_ports,
                         .rest_of_line = true},
    [D_XFF] = CONF_FUNC("x-forwarded-for", SECT_LISTEN, set_xff),
    [D_ANONYMOUS] = CONF_FUNC("anonymous", SECT_LISTEN, set_anonymize),
    [D_ANONYMIZE] = CONF_FUNC("anonymize", SECT_LISTEN, set_anonymize),
    [D_ANON_USER_AGENT] = {.name = "anonymize-user-agent",
                           .sect = SECT_LISTEN,
                           .set = set_anon_user_agent,
                           .rest_of_line = true},
    [D_ANON_COOKIES] = FLAG_FWD("anonymize-cookies", anon_cookies),
    [D_VIA] = FLAG_FWD("via", via),
    [D_ALLOW_PRIVATE_DST] = FLAG_FWD("allow-private-dst", allow_private_dst),
    /* conf_acl.c keeps the rule until the whole file is read */
    [D_HTTP_ACCESS] = {.name = "http-access",
                       .sect = SECT_LISTEN,
                       .set = conf_set_http_access,
                       .rest_of_line = true,
                       .repeatable = true},
    /* conf_auth.c reads the files when the section ends */
    [D_AUTH_USERS] = CONF_FUNC("auth-users", SECT_LISTEN, conf_set_auth_users),
    [D_AUTH_GROUPS] =
        CONF_FUNC("auth-groups", SECT_LISTEN, conf_set_auth_groups),
    [D_AUTH_REALM] = {.name = "auth-realm",
                      .sect = SECT_LISTEN,
                      .set = conf_set_auth_realm,
                      .rest_of_line = true},
    [D_CLIENT_HEADER_MS] =
        NUM_FWD("timeout-client-header-ms", client_header_ms, 100, 3600000),
    [D_CLIENT_IDLE_MS] =
        NUM_FWD("timeout-client-idle-ms", client_idle_ms, 100, 86400000),
    [D_CONNECT_MS] = NUM_FWD("timeout-connect-ms", connect_ms, 100, 600000),
    [D_UPSTREAM_READ_MS] =
        NUM_FWD("timeout-upstream-read-ms", upstream_read_ms, 100, 3600000),
    [D_UPSTREAM_IDLE_MS] =
        NUM_FWD("upstream-idle-ms", upstream_idle_ms, 0, 3600000),
    [D_UPSTREAM_IDLE_MAX] =
        NUM_FWD("upstream-idle-max", upstream_idle_max, 0, 65536),
    [D_MAX_REQUEST_LINE] =
        NUM_FWD("max-request-line", max_request_line, 256, 65536),
    [D_MAX_HEADERS] = NUM_FWD("max-headers", max_headers, 8, 128),
    [D_MAX_HEADER_BYTES] =
        NUM_FWD("max-header-bytes", max_header_bytes, 1024, 262144),
    [D_MAX_BODY_BYTES] =
        NUM_FWD("max-request-body-bytes", max_body_bytes, 0, UINT64_C(1) << 62),
    [D_CACHE] = FLAG_FWD("cache", cache),
    [D_CACHE_STATUS] = FLAG_FWD("cache-status", cache_status),
    [D_CACHE_MB] = NUM_FWD("cache-mb", cache_mb, 1, 1048576),
    [D_CACHE_MAX_OBJECT_KB] =
        NUM_FWD("cache-max-object-kb", cache_max_object_kb, 1, 1048576),
    [D_CACHE_HEURISTIC_MAX_S] =
        NUM_FWD("cache-heuristic-max-s", cache_heuristic_max_s, 0, 31536000),
    [D_CACHE_COLLAPSE_MS] =
        NUM_FWD("cache-collapse-wait-ms", cache_collapse_ms, 0, 600000),
    [D_CACHE_BG_MAX] = NUM_FWD("cache-background-max", cache_bg_max, 0, 65536),
    [D_CACHE_CDN_CONTROL] = FLAG_FWD("cache-cdn-control", cache_cdn_control),
    /* conf_pool.c resolves the pools when the whole file is read */
    [D_ROUTE] = {.name = "route",
                 .sect = SECT_LISTEN,
                 .set = conf_set_route,
                 .rest_of_line = true,
                 .repeatable = true},
    [D_DEFAULT_POOL] =
        CONF_FUNC("default-pool", SECT_LISTEN, conf_set_default_pool),
    [D_XFP] = FLAG_FWD("x-forwarded-proto", xfp),
    [D_FORWARDED] = FLAG_FWD("forwarded", forwarded),
    [D_LOCATION_REWRITE] = FLAG_FWD("location-rewrite", location_rewrite),
    /* mode socks: the same settings under the names of its phases */
    [D_HANDSHAKE_MS] =
        NUM_FWD("timeout-handshake-ms", client_header_ms, 100, 3600000),
    [D_IDLE_MS] = NUM_FWD("timeout-idle-ms", client_idle_ms, 100, 86400000),
};

/* cache-cdn-control when not given, by mode: off for a forward proxy (a
 * CDN-Cache-Control speaks to the site's own caches, not to its clients'
 * proxies); a listener in front of a site is such a cache and has it on.
 * The one place the default is decided. */
static bool
cdn_control_default(const struct conf_listen *l)
{
	return l->mode == CONF_LISTEN_FORWARD && l->fwd.reverse;
}

/* The forward-mode settings of every listen section, whatever its mode. */
static void
forward_defaults(struct conf_forward *f)
{
	f->n_allow_src = 0;
	f->n_connect_ports = 1;
	f->connect_ports[0] = 443;
	f->xff = CONF_XFF_ADD;
	f->anonymous = false;
	f->anon_user_agent[0] = '\0'; /* CONF_ANON_UA_DEFAULT */
	f->anon_ua_remove = false;
	f->anon_cookies = false;
	f->via = true;
	f->allow_private_dst = false;
	f->auth = NULL;
	f->auth_users_path[0] = '\0';
	f->auth_groups_path[0] = '\0';
	strcpy(f->auth_realm, "Gatehouse");
	f->client_header_ms = 10000;
	f->client_idle_ms = 60000;
	f->connect_ms = 5000;
	f->upstream_read_ms = 30000;
	f->upstream_idle_ms = 30000;
	f->upstream_idle_max = 64;
	f->max_request_line = 8192;
	f->max_headers = 100;
	f->max_header_bytes = 32768;
	f->max_body_bytes = 0;
	f->cache = false;
	f->cache_status = false;
	f->cache_mb = 64;
	f->cache_max_object_kb = 1024;
	f->cache_heuristic_max_s = 86400;
	f->cache_collapse_ms = 10000;
	f->cache_bg_max = 64;
	f->cache_cdn_control = false; /* at the end: cdn_control_default() */
	f->reverse = false;
	f->xfp = true;
	f->forwarded = false;
	f->location_rewrite = false;
	f->routes = NULL;
	f->rev = NULL;
}

/* Forward directives a reverse listener refuses: no proxy users, no
 * CONNECT, no destinations of the client's choosing. */
static const enum listen_directive_id not_reverse[] = {
    D_AUTH_USERS, D_AUTH_GROUPS, D_AUTH_REALM, D_CONNECT_PORTS,
    D_ALLOW_PRIVATE_DST};

/* A reverse listener: the directives above refused; with neither
 * allow-src nor http-access every client is served (allow-src
 * 0.0.0.0/0 implied: a site is open to all). */
static int
reverse_section_end(struct parser *p)
{
	struct conf_listen *l = p->listen;
	size_t i;

	for (i = 0; i < GH_ARRAY_SIZE(not_reverse); i++)
		if (p->seen[not_reverse[i]] != 0)
			return conf_fail_at(
			    p, p->seen[not_reverse[i]],
			    "listen \"%s\": %s is not for mode reverse%s",
			    l->name, listen_directives[not_reverse[i]].name,
			    not_reverse[i] == D_AUTH_USERS ||
			            not_reverse[i] == D_AUTH_GROUPS ||
			            not_reverse[i] == D_AUTH_REALM
			        ? " (a site's users log in to the site, not "
			          "to the proxy)"
			        : "");
	if (l->fwd.n_allow_src == 0 && p->seen[D_HTTP_ACCESS] == 0) {
		l->fwd.allow_src[0].addr_be = 0;
		l->fwd.allow_src[0].mask_be = 0;
		l->fwd.n_allow_src = 1;
	}
	return 0;
}

/* A forward listener needs allow-src or http-access (no open proxy);
 * cache-max-object-kb may not be above cache-mb MiB, nor max-header-bytes below
 * max-request-line (either may be the default): reported at the later of
 * the two given, or at the header. */
static int
forward_section_end(struct parser *p)
{
	const struct conf_listen *l = p->listen;
	const struct conf_forward *f = &l->fwd;
	unsigned line = l->line;

	if (f->reverse && reverse_section_end(p) < 0)
		return -EINVAL;
	if (f->n_allow_src == 0 && p->seen[D_HTTP_ACCESS] == 0)
		return conf_fail_at(
		    p, l->line,
		    "listen \"%s\": mode forward needs at least one "
		    "allow-src or http-access (it must not be an open proxy)",
		    l->name);
	if (conf_auth_section_end(p, p->seen[D_AUTH_USERS],
	                          p->seen[D_AUTH_GROUPS],
	                          p->seen[D_AUTH_REALM]) < 0)
		return -EINVAL;
	if ((uint64_t)f->cache_max_object_kb > (uint64_t)f->cache_mb * 1024) {
		if (p->seen[D_CACHE_MB] > line)
			line = p->seen[D_CACHE_MB];
		if (p->seen[D_CACHE_MAX_OBJECT_KB] > line)
			line = p->seen[D_CACHE_MAX_OBJECT_KB];
		return conf_fail_at(
		    p, line,
		    "listen \"%s\": cache-max-object-kb %" PRIu32
		    " is above cache-mb %" PRIu32 " MiB",
		    l->name, f->cache_max_object_kb, f->cache_mb);
	}
	if (f->max_header_bytes >= f->max_request_line)
		return 0;
	if (p->seen[D_MAX_REQUEST_LINE] > line)
		line = p->seen[D_MAX_REQUEST_LINE];
	if (p->seen[D_MAX_HEADER_BYTES] > line)
		line = p->seen[D_MAX_HEADER_BYTES];
	return conf_fail_at(p, line,
	                    "listen \"%s\": max-header-bytes %" PRIu32
	                    " is below max-request-line %" PRIu32,
	                    l->name, f->max_header_bytes, f->max_request_line);
}

/* The directives of mode forward a socks listener takes too. */
static bool
socks_takes(unsigned id)
{
	switch (id) {
	case D_ALLOW_SRC:
	case D_ALLOW_PRIVATE_DST:
	case D_HTTP_ACCESS:
	case D_AUTH_USERS:
	case D_AUTH_GROUPS:
	case D_CONNECT_MS:
	case D_HANDSHAKE_MS:
	case D_IDLE_MS:
		return true;
	default:
		return false;
	}
}

/* Whether directive <id> belongs in a listener of <mode>. */
static bool
mode_takes(enum conf_listen_mode mode, unsigned id)
{
	if (id < D_ALLOW_SRC)
		return true;
	if (mode == CONF_LISTEN_SOCKS)
		return socks_takes(id);
	if (mode == CONF_LISTEN_FORWARD)
		return id <= D_FWD_LAST;
	return false;
}

/* The first directive given that the section's mode does not take is an
 * error at its line. */
static int
mode_only_check(struct parser *p)
{
	const struct conf_listen *l = p->listen;
	unsigned line = 0, id, first = D_COUNT;

	for (id = D_ALLOW_SRC; id < D_COUNT; id++) {
		if (p->seen[id] != 0 && !mode_takes(l->mode, id) &&
		    (line == 0 || p->seen[id] < line)) {
			line = p->seen[id];
			first = id;
		}
	}
	if (line == 0)
		return 0;
	if (l->mode == CONF_LISTEN_SOCKS || first > D_FWD_LAST)
		return conf_fail_at(
		    p, line, "listen \"%s\": %s is not allowed in %s mode%s",
		    l->name, listen_directives[first].name, mode_name(l->mode),
		    first > D_FWD_LAST ? " (only socks takes it)" : "");
	return conf_fail_at(p, line,
	                    "listen \"%s\": %s is only allowed in %s mode",
	                    l->name, listen_directives[first].name,
	                    first >= D_ROUTE ? "reverse" : "forward");
}

/* In forward mode, the first reverse-only directive given is an error
 * at its line. */
static int
reverse_only_check(struct parser *p)
{
	unsigned line = 0, id, first = D_COUNT;

	for (id = D_ROUTE; id <= D_REV_LAST; id++) {
		if (p->seen[id] != 0 && (line == 0 || p->seen[id] < line)) {
			line = p->seen[id];
			first = id;
		}
	}
	if (line == 0)
		return 0;
	return conf_fail_at(p, line,
	                    "listen \"%s\": %s is only allowed in reverse mode",
	                    p->listen->name, listen_directives[first].name);
}

/* A socks listener: allow-src or http-access, the users loaded, its own
 * default idle timeout (a tunnel's silence is longer than HTTP's). */
static int
socks_section_end(struct parser *p)
{
	struct conf_listen *l = p->listen;

	l->fwd.socks = true;
	if (p->seen[D_IDLE_MS] == 0)
		l->fwd.client_idle_ms = 300000;
	if (l->fwd.n_allow_src == 0 && p->seen[D_HTTP_ACCESS] == 0)
		return conf_fail_at(
		    p, l->line,
		    "listen \"%s\": mode socks needs at least one "
		    "allow-src or http-access (it must not be an open proxy)",
		    l->name);
	return conf_auth_section_end(p, p->seen[D_AUTH_USERS],
	                             p->seen[D_AUTH_GROUPS], 0);
}

/* mode and bind are required, upstream is required for relay and refused
 * otherwise, the forward directives are refused outside forward mode.
 * Keeps the lines that the whole-file checks report at. */
static int
listen_section_end(struct parser *p)
{
	static const enum listen_directive_id required[] = {D_MODE, D_BIND};
	const struct conf_listen *l = p->listen;
	struct listen_lines *ll;
	size_t i;

	for (i = 0; i < GH_ARRAY_SIZE(required); i++)
		if (p->seen[required[i]] == 0)
			return conf_fail_at(
			    p, l->line, "listen \"%s\": %s is required",
			    l->name, listen_directives[required[i]].name);
	if (l->mode == CONF_LISTEN_RELAY && p->seen[D_UPSTREAM] == 0)
		return conf_fail_at(
		    p, l->line,
		    "listen \"%s\": upstream is required in relay "
		    "mode",
		    l->name);
	if (l->mode != CONF_LISTEN_RELAY && p->seen[D_UPSTREAM] != 0)
		return conf_fail_at(
		    p, p->seen[D_UPSTREAM],
		    "listen \"%s\": upstream is not allowed in %s "
		    "mode (only relay connects upstream)",
		    l->name, mode_name(l->mode));
	if (mode_only_check(p) < 0)
		return -EINVAL;
	if (l->mode == CONF_LISTEN_FORWARD && !l->fwd.reverse &&
	    reverse_only_check(p) < 0)
		return -EINVAL;
	if (p->seen[D_CACHE_CDN_CONTROL] == 0)
		p->listen->fwd.cache_cdn_control = cdn_control_default(l);
	/* a site's edge: what a client says it forwarded for is not passed */
	if (p->seen[D_XFF] == 0 && cdn_control_default(l))
		p->listen->fwd.xff = CONF_XFF_REPLACE;
	if (l->mode == CONF_LISTEN_FORWARD && forward_section_end(p) < 0)
		return -EINVAL;
	if (l->mode == CONF_LISTEN_SOCKS && socks_section_end(p) < 0)
		return -EINVAL;
	GH_VERIFY(p->c->n_listeners > 0);
	ll = &p->listen_lines[p->c->n_listeners - 1];
	ll->bind = p->seen[D_BIND];
	ll->upstream = p->seen[D_UPSTREAM];
	ll->cc = p->seen[D_LISTEN_CC];
	return 0;
}

static int
listen_begin(struct parser *p, char *rest)
{
	struct conf *c = p->c;
	struct conf_listen *l;
	unsigned i;

	if (conf_section_name_check(p, "listen", rest) < 0)
		return -EINVAL;
	for (i = 0; i < c->n_listeners; i++)
		if (strcmp(c->listeners[i].name, rest) == 0)
			return conf_fail(
			    p, "listen \"%s\" already defined at line %u", rest,
			    c->listeners[i].line);
	if (c->n_listeners == CONF_LISTENERS_MAX)
		return conf_fail(p,
		                 "listen \"%s\": too many listen sections (at "
		                 "most %u)",
		                 rest, CONF_LISTENERS_MAX);
	l = &c->listeners[c->n_listeners++];
	strcpy(l->name, rest);
	l->line = p->line;
	forward_defaults(&l->fwd);
	strcpy(l->fwd.name, rest);
	p->listen = l;
	p->sect = SECT_LISTEN;
	return 0;
}

/* The port a relay connects to <l>'s upstream from. */
static int
upstream_resolve(struct parser *p, struct conf_listen *l,
                 const struct listen_lines *ll)
{
	char who[sizeof(l->name) + 32];
	int idx;

	snprintf(who, sizeof(who), "listen \"%s\": upstream", l->name);
	idx = conf_route_resolve(p, ll->upstream, who, l->upstream_ip_be);
	if (idx < 0)
		return idx;
	l->upstream_port_idx = (unsigned)idx;
	return 0;
}

/* Checks of listen sections that need the ports, the tcp and the resolver
 * section, in file order, once the whole file is read. */
static int
listeners_resolve(struct parser *p)
{
	struct conf *c = p->c;
	const struct listen_lines *ll;
	struct conf_listen *l;
	unsigned i;
	int idx;

	GH_VERIFY(c->n_listeners <= CONF_LISTENERS_MAX);
	for (i = 0; i < c->n_listeners; i++) {
		l = &c->listeners[i];
		ll = &p->listen_lines[i];
		idx = conf_port_by_addr(c, l->bind_ip_be);
		if (idx < 0)
			return conf_fail_at(p, ll->bind,
			                    "listen \"%s\": bind %s is not an "
			                    "address of any port",
			                    l->name,
			                    conf_ip_str(l->bind_ip_be, 0));
		l->bind_port_idx = (unsigned)idx;
		if (ll->cc == 0)
			l->cc = c->tcp.cc;
		if (l->mode == CONF_LISTEN_RELAY &&
		    upstream_resolve(p, l, ll) < 0)
			return -EINVAL;
		if (conf_listen_is_proxy(l->mode) && !l->fwd.reverse &&
		    c->resolver.line == 0)
			return conf_fail_at(p, l->line,
			                    "listen \"%s\": mode %s needs a "
			                    "resolver section",
			                    l->name, mode_name(l->mode));
	}
	return 0;
}

const struct section_kind conf_listen_section = {
    .name = "listen",
    .directives = listen_directives,
    .n_directives = GH_ARRAY_SIZE(listen_directives),
    .begin = listen_begin,
    .end = listen_section_end,
    .file_end = listeners_resolve,
};
