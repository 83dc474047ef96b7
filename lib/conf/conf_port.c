/*
 * The `port NAME` sections of the configuration: role, DPDK device (vdev
 * or PCI address, each used once), IPv4 address and prefix (no shared
 * address, no overlapping subnets), gateway, MTU and descriptor counts.
 * Its directives, setters, per-port defaults (filled in at the header),
 * the directives a port requires, the whole-file check for an inside port,
 * and the routing the other modules ask for: which port reaches a host
 * (conf_route_resolve(), for upstreams and nameservers).  Registered with
 * the parser core as conf_port_section (conf_parse.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/gh_common.h"
#include "conf/conf.h"
#include "conf/conf_parse.h"

/* Index of each directive in port_directives[] (and parser.seen[]). */
enum port_directive_id {
	D_ROLE = 0,
	D_DEVICE,
	D_ADDRESS,
	D_GATEWAY,
	D_MTU,
	D_RX_DESC,
	D_TX_DESC,
	D_COUNT,
};

_Static_assert(D_COUNT <= CONF_SECTION_ROWS_MAX, "parser.seen[] holds them");

static int
set_role(struct parser *p, const struct directive *d, const char *arg)
{
	if (strcmp(arg, "inside") == 0)
		p->port->role = CONF_PORT_INSIDE;
	else if (strcmp(arg, "outside") == 0)
		p->port->role = CONF_PORT_OUTSIDE;
	else
		return conf_fail(p, "%s: \"%s\" is not inside or outside",
		                 d->name, arg);
	return 0;
}

/* Read exactly <n> hex digits. */
static bool
read_hex(const char **s, unsigned n, unsigned *v)
{
	unsigned i, x;
	char ch;

	*v = 0;
	for (i = 0; i < n; i++) {
		ch = (*s)[i];
		if (conf_is_digit(ch))
			x = (unsigned)(ch - '0');
		else if (ch >= 'a' && ch <= 'f')
			x = (unsigned)(ch - 'a' + 10);
		else if (ch >= 'A' && ch <= 'F')
			x = (unsigned)(ch - 'A' + 10);
		else
			return false;
		*v = *v * 16 + x;
	}
	*s += n;
	return true;
}

/*
 * Check a PCI address, DDDD:BB:DD.F or BB:DD.F in hex, and write it in the
 * full lower-case form into <norm> (at least 13 bytes) for comparisons.
 */
static bool
pci_normalize(const char *s, char *norm, size_t len)
{
	unsigned dom = 0, bus, dev, fn;
	const char *q = s;

	if (strlen(s) == 12 && (!read_hex(&q, 4, &dom) || *q++ != ':'))
		return false;
	if (strlen(q) != 7 || !read_hex(&q, 2, &bus) || *q++ != ':' ||
	    !read_hex(&q, 2, &dev) || *q++ != '.' || !read_hex(&q, 1, &fn))
		return false;
	if (dev > 0x1f || fn > 7)
		return false;
	snprintf(norm, len, "%04x:%02x:%02x.%x", dom, bus, dev, fn);
	return true;
}

/* The part of a vdev string that names the device ("net_x0" of
 * "net_x0,iface=a"), copied into <out>; false when it is not a name. */
static bool
vdev_name(const char *dev, char *out, size_t len)
{
	size_t n = strcspn(dev, ",");
	size_t i;

	if (n <= 4 || n >= len)
		return false;
	for (i = 0; i < n; i++)
		if (!conf_is_alnum(dev[i]) && dev[i] != '_')
			return false;
	memcpy(out, dev, n);
	out[n] = '\0';
	return true;
}

/* The identity of a port's device used to detect duplicates: the normalized
 * PCI address or the vdev name.  Returns false if it has none. */
static bool
device_key(const char *dev, bool is_pci, char *key, size_t len)
{
	if (is_pci)
		return pci_normalize(dev, key, len);
	return vdev_name(dev, key, len);
}

static int
check_device_unique(struct parser *p, const struct directive *d,
                    const char *key, bool is_pci)
{
	const struct conf *c = p->c;
	char other[CONF_DEVICE_MAX];
	unsigned i;

	for (i = 0; i + 1 < c->n_ports; i++) {
		if (c->ports[i].is_pci != is_pci ||
		    !device_key(c->ports[i].device, is_pci, other,
		                sizeof(other)))
			continue;
		if (strcasecmp(other, key) == 0)
			return conf_fail(
			    p,
			    "%s: %s \"%s\" is already used by port "
			    "\"%s\"",
			    d->name, is_pci ? "PCI device" : "vdev", key,
			    c->ports[i].name);
	}
	return 0;
}

static int
set_device(struct parser *p, const struct directive *d, const char *arg)
{
	char key[CONF_DEVICE_MAX];
	const char *dev = arg;
	bool is_pci;

	if (strlen(arg) >= CONF_DEVICE_MAX)
		return conf_fail(p, "%s: \"%s\" is longer than %u bytes",
		                 d->name, arg, CONF_DEVICE_MAX - 1);
	if (strncmp(arg, "pci:", 4) == 0) {
		is_pci = true;
		dev = arg + 4;
		if (!pci_normalize(dev, key, sizeof(key)))
			return conf_fail(p,
			                 "%s: \"%s\" is not a PCI address "
			                 "(pci:DDDD:BB:DD.F or pci:BB:DD.F)",
			                 d->name, arg);
	} else if (strncmp(arg, "net_", 4) == 0) {
		is_pci = false;
		if (!vdev_name(dev, key, sizeof(key)))
			return conf_fail(p,
			                 "%s: \"%s\" has no valid vdev name "
			                 "(net_ then A-Z a-z 0-9 _)",
			                 d->name, arg);
	} else {
		return conf_fail(p,
		                 "%s: \"%s\" is neither a vdev (net_...) nor a "
		                 "PCI address (pci:...)",
		                 d->name, arg);
	}
	if (check_device_unique(p, d, key, is_pci) < 0)
		return -EINVAL;
	strcpy(p->port->device, dev);
	p->port->is_pci = is_pci;
	return 0;
}

/* Compare the current port's address against the ports before it. */
static int
check_address_unique(struct parser *p, const struct directive *d)
{
	const struct conf_port *me = p->port, *q;
	unsigned i, shorter;
	uint32_t mask;

	for (i = 0; i + 1 < p->c->n_ports; i++) {
		q = &p->c->ports[i];
		if (q->addr_be == me->addr_be)
			return conf_fail(
			    p, "%s: %s is already used by port \"%s\"", d->name,
			    conf_ip_str(me->addr_be, 0), q->name);
		shorter = q->prefix_len < me->prefix_len ? q->prefix_len
		                                         : me->prefix_len;
		mask = htonl(conf_prefix_mask(shorter));
		if ((q->addr_be & mask) == (me->addr_be & mask))
			return conf_fail(
			    p, "%s: %s/%u overlaps port \"%s\" (%s/%u)",
			    d->name, conf_ip_str(me->addr_be, 0),
			    me->prefix_len, q->name, conf_ip_str(q->addr_be, 1),
			    q->prefix_len);
	}
	return 0;
}

/* Gateway and address both known: the gateway must be another host of the
 * port's subnet.  Called by whichever of the two comes second. */
static int
check_gateway(struct parser *p)
{
	const struct conf_port *port = p->port;
	uint32_t mask = htonl(conf_prefix_mask(port->prefix_len));
	uint32_t gw = ntohl(port->gateway_be);
	const char *what;

	if (port->gateway_be == port->addr_be)
		return conf_fail(p, "gateway: %s is the port's own address",
		                 conf_ip_str(port->gateway_be, 0));
	if ((port->gateway_be & mask) != (port->addr_be & mask))
		return conf_fail(
		    p, "gateway: %s is not in the port's subnet %s/%u",
		    conf_ip_str(port->gateway_be, 0),
		    conf_ip_str(port->addr_be & mask, 1), port->prefix_len);
	what = conf_host_part_problem(gw, port->prefix_len);
	if (what != NULL)
		return conf_fail(p, "gateway: %s is the %s address of %s/%u",
		                 conf_ip_str(port->gateway_be, 0), what,
		                 conf_ip_str(port->addr_be & mask, 1),
		                 port->prefix_len);
	return 0;
}

static int
set_address(struct parser *p, const struct directive *d, const char *arg)
{
	char ip[INET_ADDRSTRLEN];
	const char *slash = strchr(arg, '/'), *what;
	uint32_t addr_be;
	uint64_t plen = 0;

	if (slash == NULL)
		return conf_fail(p,
		                 "%s: \"%s\" has no prefix length (A.B.C.D/N)",
		                 d->name, arg);
	if ((size_t)(slash - arg) >= sizeof(ip))
		return conf_fail(p, "%s: \"%s\" is not an IPv4 address",
		                 d->name, arg);
	memcpy(ip, arg, (size_t)(slash - arg));
	ip[slash - arg] = '\0';
	if (!conf_parse_ipv4(ip, &addr_be))
		return conf_fail(p, "%s: \"%s\" is not an IPv4 address",
		                 d->name, ip);
	if (conf_want_number(p, d->name, "prefix length ", slash + 1, 1, 32,
	                     &plen) < 0)
		return -EINVAL;
	if (!conf_is_unicast(ntohl(addr_be)))
		return conf_fail(p, "%s: %s is not a unicast host address",
		                 d->name, ip);
	what = conf_host_part_problem(ntohl(addr_be), (unsigned)plen);
	if (what != NULL)
		return conf_fail(p,
		                 "%s: %s is the %s address of its /%u subnet",
		                 d->name, ip, what, (unsigned)plen);
	p->port->addr_be = addr_be;
	p->port->prefix_len = (uint8_t)plen;
	if (check_address_unique(p, d) < 0)
		return -EINVAL;
	return p->seen[D_GATEWAY] ? check_gateway(p) : 0;
}

static int
set_gateway(struct parser *p, const struct directive *d, const char *arg)
{
	uint32_t gw_be;

	if (!conf_parse_ipv4(arg, &gw_be))
		return conf_fail(p, "%s: \"%s\" is not an IPv4 address",
		                 d->name, arg);
	if (!conf_is_unicast(ntohl(gw_be)))
		return conf_fail(p, "%s: %s is not a unicast host address",
		                 d->name, arg);
	p->port->gateway_be = gw_be;
	return p->seen[D_ADDRESS] ? check_gateway(p) : 0;
}

#define NUM_PORT(n, field, lo, hi, p2) \
	CONF_NUM(n, SECT_PORT, struct conf_port, field, lo, hi, p2, 0)

static const struct directive port_directives[D_COUNT] = {
    [D_ROLE] = CONF_FUNC("role", SECT_PORT, set_role),
    [D_DEVICE] = CONF_FUNC("device", SECT_PORT, set_device),
    [D_ADDRESS] = CONF_FUNC("address", SECT_PORT, set_address),
    [D_GATEWAY] = CONF_FUNC("gateway", SECT_PORT, set_gateway),
    [D_MTU] = NUM_PORT("mtu", mtu, 68, 9000, false),
    [D_RX_DESC] = NUM_PORT("rx-desc", rx_desc, 64, 16384, true),
    [D_TX_DESC] = NUM_PORT("tx-desc", tx_desc, 64, 16384, true),
};

static int
port_begin(struct parser *p, char *rest)
{
	struct conf *c = p->c;
	struct conf_port *port;
	unsigned i;

	if (conf_section_name_check(p, "port", rest) < 0)
		return -EINVAL;
	for (i = 0; i < c->n_ports; i++)
		if (strcmp(c->ports[i].name, rest) == 0)
			return conf_fail(
			    p, "port \"%s\" already defined at line %u", rest,
			    c->ports[i].line);
	if (c->n_ports == CONF_PORTS_MAX)
		return conf_fail(p, "port \"%s\": too many ports (at most %u)",
		                 rest, CONF_PORTS_MAX);
	port = &c->ports[c->n_ports++];
	strcpy(port->name, rest);
	port->line = p->line;
	port->mtu = 1500;
	port->rx_desc = 1024;
	port->tx_desc = 1024;
	p->port = port;
	p->sect = SECT_PORT;
	return 0;
}

/* A port must have had role, device, address. */
static int
port_section_end(struct parser *p)
{
	static const enum port_directive_id required[] = {D_ROLE, D_DEVICE,
	                                                  D_ADDRESS};
	size_t i;

	for (i = 0; i < GH_ARRAY_SIZE(required); i++)
		if (p->seen[required[i]] == 0)
			return conf_fail_at(
			    p, p->port->line, "port \"%s\": %s is required",
			    p->port->name, port_directives[required[i]].name);
	return 0;
}

/* The file needs a port facing the clients. */
static int
port_file_end(struct parser *p)
{
	if (conf_port_find_role(p->c, CONF_PORT_INSIDE) < 0)
		return conf_fail_at(p, 0, "no port with role inside");
	return 0;
}

int
conf_port_by_addr(const struct conf *c, uint32_t ip_be)
{
	unsigned i;

	for (i = 0; i < c->n_ports; i++)
		if (c->ports[i].addr_be == ip_be)
			return (int)i;
	return -ENOENT;
}

/* Index of the port whose subnet holds <ip_be> (subnets do not overlap, so
 * there is at most one), or -ENOENT. */
static int
port_by_subnet(const struct conf *c, uint32_t ip_be)
{
	uint32_t mask;
	unsigned i;

	for (i = 0; i < c->n_ports; i++) {
		mask = htonl(conf_prefix_mask(c->ports[i].prefix_len));
		if ((c->ports[i].addr_be & mask) == (ip_be & mask))
			return (int)i;
	}
	return -ENOENT;
}

/* Index of the first outside port with a gateway, or -ENOENT. */
static int
port_default_route(const struct conf *c)
{
	unsigned i;

	for (i = 0; i < c->n_ports; i++)
		if (c->ports[i].role == CONF_PORT_OUTSIDE &&
		    c->ports[i].gateway_be != 0)
			return (int)i;
	return -ENOENT;
}

/*
 * The port that reaches <ip_be>, a host the appliance connects to, given at
 * <line>; <who> starts the messages ("listen \"a\": upstream").  It is the
 * port whose subnet holds the host, else the first outside port with a
 * gateway.  One of our own addresses and a subnet's network or broadcast
 * address are refused.  Returns the port index, or -EINVAL with the
 * message.
 */
int
conf_route_resolve(struct parser *p, unsigned line, const char *who,
                   uint32_t ip_be)
{
	const struct conf *c = p->c;
	const struct conf_port *port;
	const char *what;
	int idx;

	idx = conf_port_by_addr(c, ip_be);
	if (idx >= 0)
		return conf_fail_at(p, line,
		                    "%s %s is the address of port \"%s\"", who,
		                    conf_ip_str(ip_be, 0), c->ports[idx].name);
	idx = port_by_subnet(c, ip_be);
	if (idx >= 0) {
		port = &c->ports[idx];
		what = conf_host_part_problem(ntohl(ip_be), port->prefix_len);
		if (what != NULL)
			return conf_fail_at(
			    p, line,
			    "%s %s is the %s address of port \"%s\" "
			    "(%s/%u)",
			    who, conf_ip_str(ip_be, 0), what, port->name,
			    conf_ip_str(port->addr_be, 1), port->prefix_len);
	} else {
		idx = port_default_route(c);
	}
	if (idx < 0)
		return conf_fail_at(p, line,
		                    "%s %s is not reachable from any port (no "
		                    "subnet holds it and no outside port has a "
		                    "gateway)",
		                    who, conf_ip_str(ip_be, 0));
	return idx;
}

const struct section_kind conf_port_section = {
    .name = "port",
    .directives = port_directives,
    .n_directives = GH_ARRAY_SIZE(port_directives),
    .begin = port_begin,
    .end = port_section_end,
    .file_end = port_file_end,
};
