/*
 * The `resolver` section of the configuration: the forward proxy's DNS
 * (nameservers, timeout, tries, cache size and TTL bounds).  Its
 * directives, setters and defaults, the check at its end (a nameserver is
 * required) and the whole-file one: the port the queries leave from, which
 * must reach every nameserver.  Registered with the parser core as
 * conf_resolver_section (conf_parse.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/gh_common.h"
#include "conf/conf_parse.h"

/* Index of each directive in resolver_directives[] (and parser.seen[]). */
enum resolver_directive_id {
	D_NAMESERVER = 0,
	D_DNS_TIMEOUT_MS,
	D_DNS_TRIES,
	D_DNS_CACHE_ENTRIES,
	D_DNS_NEG_TTL_S,
	D_DNS_MAX_TTL_S,
	D_COUNT,
};

_Static_assert(D_COUNT <= CONF_SECTION_ROWS_MAX, "parser.seen[] holds them");

static int
set_nameserver(struct parser *p, const struct directive *d, const char *arg)
{
	struct conf_resolver *r = &p->c->resolver;
	uint32_t ip_be;
	unsigned i;

	if (r->n_servers == CONF_RESOLVERS_MAX)
		return conf_fail(
		    p, "%s: more than %u given, \"%s\" is one too many",
		    d->name, CONF_RESOLVERS_MAX, arg);
	if (!conf_parse_ipv4(arg, &ip_be))
		return conf_fail(p, "%s: \"%s\" is not an IPv4 address",
		                 d->name, arg);
	if (!conf_is_unicast(ntohl(ip_be)))
		return conf_fail(p, "%s: %s is not a unicast host address",
		                 d->name, arg);
	for (i = 0; i < r->n_servers; i++)
		if (r->server_ip_be[i] == ip_be)
			return conf_fail(p,
			                 "%s: %s is already given at line %u",
			                 d->name, arg, p->nameserver_lines[i]);
	p->nameserver_lines[r->n_servers] = p->line;
	r->server_ip_be[r->n_servers++] = ip_be;
	return 0;
}

/* A resolver number: offset into struct conf. */
#define NUM_RESOLVER(n, field, lo, hi, p2) \
	CONF_NUM(n, SECT_RESOLVER, struct conf, resolver.field, lo, hi, p2, 0)

static const struct directive resolver_directives[D_COUNT] = {
    [D_NAMESERVER] = {.name = "nameserver",
                      .sect = SECT_RESOLVER,
                      .set = set_nameserver,
                      .repeatable = true},
    [D_DNS_TIMEOUT_MS] =
        NUM_RESOLVER("timeout-ms", timeout_ms, 10, 60000, false),
    [D_DNS_TRIES] = NUM_RESOLVER("tries", tries, 1, 10, false),
    [D_DNS_CACHE_ENTRIES] =
        NUM_RESOLVER("cache-entries", cache_entries, 16, 1048576, true),
    [D_DNS_NEG_TTL_S] =
        NUM_RESOLVER("negative-ttl-s", neg_ttl_s, 0, 86400, false),
    [D_DNS_MAX_TTL_S] = NUM_RESOLVER("max-ttl-s", max_ttl_s, 1, 604800, false),
};

static void
resolver_defaults(struct conf *c)
{
	c->resolver.timeout_ms = 1000;
	c->resolver.tries = 3;
	c->resolver.cache_entries = 4096;
	c->resolver.neg_ttl_s = 30;
	c->resolver.max_ttl_s = 3600;
}

static int
resolver_begin(struct parser *p, char *rest)
{
	return conf_header_once(p, rest, SECT_RESOLVER, &p->c->resolver.line);
}

/* A resolver needs a nameserver. */
static int
resolver_section_end(struct parser *p)
{
	if (p->c->resolver.n_servers == 0)
		return conf_fail_at(p, p->c->resolver.line,
		                    "resolver: nameserver is required");
	return 0;
}

/*
 * The port the resolver's queries leave from: the one that reaches the
 * first nameserver.  lib/dns sends to every server from that one port and
 * its address, so each other nameserver must be reached from it too.
 */
static int
resolver_resolve(struct parser *p)
{
	struct conf_resolver *r = &p->c->resolver;
	const struct conf_port *ports = p->c->ports;
	int idx, first = -1;
	unsigned i;

	GH_VERIFY(r->n_servers <= CONF_RESOLVERS_MAX);
	for (i = 0; i < r->n_servers; i++) {
		idx = conf_route_resolve(p, p->nameserver_lines[i],
		                         "resolver: nameserver",
		                         r->server_ip_be[i]);
		if (idx < 0)
			return idx;
		if (first < 0)
			first = idx;
		else if (idx != first)
			return conf_fail_at(
			    p, p->nameserver_lines[i],
			    "resolver: nameserver %s is reached from "
			    "port \"%s\", the first one from port "
			    "\"%s\" (queries leave from one port)",
			    conf_ip_str(r->server_ip_be[i], 0), ports[idx].name,
			    ports[first].name);
	}
	if (first >= 0)
		r->port_idx = (unsigned)first;
	return 0;
}

const struct section_kind conf_resolver_section = {
    .name = "resolver",
    .directives = resolver_directives,
    .n_directives = GH_ARRAY_SIZE(resolver_directives),
    .defaults = resolver_defaults,
    .begin = resolver_begin,
    .end = resolver_section_end,
    .file_end = resolver_resolve,
};
