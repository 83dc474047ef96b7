/*
 * Configuration file parser: turns the HAProxy-like text described in
 * docs/configuration.md into a validated, immutable struct conf.  Each
 * directive is one row of the directives[] table (name, section, setter,
 * range).  Setters check their value at once, against the ports read so far
 * where it matters (shared addresses, overlapping subnets, duplicate
 * devices), so the error reported is always the first one in file order.
 * Checks that need a whole section (required directives, rto-min-ms <=
 * rto-max-ms, forward-only directives, max-header-bytes >= max-request-line)
 * run when it ends; those that need other sections (bind address, upstream
 * and nameserver routes, default congestion control, a resolver for forward
 * listeners) run when the whole file is read, so sections may come in any
 * order.
 * Nothing here prints or exits: a refusal is one "file:line: what is wrong"
 * message, errno, and NULL.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/gh_common.h"
#include "conf/conf.h"

#define CONF_FILE_MAX  (1u << 20) /* bytes, whole file */
#define LINE_MAX_BYTES 1023u      /* bytes, newline not counted */
#define CPU_ID_MAX     1023u

#define DEFAULT_CONTROL_SOCKET "/run/gatehouse/gatehouse.sock"
#define DEFAULT_FILE_PREFIX    "gatehouse"

enum section {
	SECT_NONE = 0, /* before the first section header */
	SECT_GLOBAL = 1,
	SECT_PORT = 2,
	SECT_TCP = 3,
	SECT_LISTEN = 4,
	SECT_RESOLVER = 5,
	SECT_ACCESS_LOG = 6,
};

/* Index of each directive in directives[]. */
enum directive_id {
	D_WORKERS = 0,
	D_CPUS,
	D_CONTROL_CPU,
	D_BUSY_POLL,
	D_IDLE_SPIN_POLLS,
	D_IDLE_SLEEP_MAX_US,
	D_CONTROL_SOCKET,
	D_FILE_PREFIX,
	D_HUGEPAGES,
	D_MEMORY_MB,
	D_MBUFS_PER_PORT,
	D_EAL_ARG,
	D_ARP_TTL_S,
	D_ARP_PENDING_MAX,
	D_ARP_PENDING_TIMEOUT_MS,
	D_GARP_COUNT,
	D_ROLE,
	D_DEVICE,
	D_ADDRESS,
	D_GATEWAY,
	D_MTU,
	D_RX_DESC,
	D_TX_DESC,
	D_MAX_CONNS,
	D_SYN_BACKLOG,
	D_RCV_BUF_KB,
	D_SND_BUF_KB,
	D_TIME_WAIT_MS,
	D_KEEPALIVE_IDLE_MS,
	D_KEEPALIVE_INTVL_MS,
	D_KEEPALIVE_PROBES,
	D_RTO_MIN_MS,
	D_RTO_MAX_MS,
	D_SYN_RETRIES,
	D_DATA_RETRIES,
	D_DELACK_MS,
	D_OOO_MBUFS_MAX,
	D_EPHEMERAL_PORTS,
	D_TCP_CC,
	D_MODE,
	D_BIND,
	D_UPSTREAM,
	D_LISTEN_CC,
	D_ALLOW_SRC, /* D_ALLOW_SRC..D_MAX_BODY_BYTES: forward mode only */
	D_CONNECT_PORTS,
	D_XFF,
	D_ANONYMOUS,
	D_VIA,
	D_ALLOW_PRIVATE_DST,
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
	D_NAMESERVER,
	D_DNS_TIMEOUT_MS,
	D_DNS_TRIES,
	D_DNS_CACHE_ENTRIES,
	D_DNS_NEG_TTL_S,
	D_DNS_MAX_TTL_S,
	D_LOG_PATH,
	D_LOG_FORMAT,
	D_LOG_RING_SLOTS,
	D_COUNT,
};

/* Lines of the directives of one listen section that are checked only when
 * the whole file is read; 0: not given. */
struct listen_lines {
	unsigned bind;
	unsigned upstream;
	unsigned cc;
};

/* State of one parse; lives on the stack of conf_parse(). */
struct parser {
	const char *name; /* file name used in messages */
	char *err;
	size_t errlen;
	unsigned line; /* current line, from 1 */
	struct conf *c;
	enum section sect;
	unsigned global_line;       /* line of the global header, 0: none yet */
	unsigned ooo_mbufs_line;    /* line of ooo-mbufs-max, 0: not given */
	struct conf_port *port;     /* port section being read, or NULL */
	struct conf_listen *listen; /* listen section being read, or NULL */
	struct listen_lines listen_lines[CONF_LISTENERS_MAX];
	/* Line of each nameserver, for the whole-file checks. */
	unsigned nameserver_lines[CONF_RESOLVERS_MAX];
	/* Line each directive was given on in the current section (the first
	 * one for a repeatable directive), 0: not. */
	unsigned seen[D_COUNT];
};

struct directive {
	const char *name;
	enum section sect;
	bool pow2;         /* set_number only: must be a power of two */
	bool rest_of_line; /* argument is the rest of the line, spaces kept */
	bool repeatable;
	/* Check <arg> and store it; returns 0 or -EINVAL with the message. */
	int (*set)(struct parser *p, const struct directive *d,
	           const char *arg);
	/* set_number only: the field (in struct conf_port for port
	 * sections, struct conf_listen for listen sections, else in struct
	 * conf), its size and range; the value stored is the one given times
	 * <scale> (0 means 1: KiB to bytes is 1024).  set_fwd_flag uses <off>
	 * too: a bool in struct conf_listen. */
	size_t off;
	size_t size;
	uint64_t min;
	uint64_t max;
	uint32_t scale;
};

/* ---- messages ---- */

/* Write "name:line: <fmt>" (or "name: <fmt>" when line is 0) into the
 * caller's buffer.  Returns -EINVAL so setters can `return fail(...)`. */
__attribute__((format(printf, 3, 0))) static int
vfail_at(struct parser *p, unsigned line, const char *fmt, va_list ap)
{
	int n;

	if (p->err == NULL || p->errlen == 0)
		return -EINVAL;
	if (line > 0)
		n = snprintf(p->err, p->errlen, "%s:%u: ", p->name, line);
	else
		n = snprintf(p->err, p->errlen, "%s: ", p->name);
	if (n >= 0 && (size_t)n < p->errlen)
		vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
	return -EINVAL;
}

__attribute__((format(printf, 3, 4))) static int
fail_at(struct parser *p, unsigned line, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vfail_at(p, line, fmt, ap);
	va_end(ap);
	return rc;
}

/* The same, at the current line. */
__attribute__((format(printf, 2, 3))) static int
fail(struct parser *p, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vfail_at(p, p->line, fmt, ap);
	va_end(ap);
	return rc;
}

/* Message for errors found before a parser exists (conf_load). */
__attribute__((format(printf, 3, 4))) static void
set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* ---- small lexical helpers ---- */

static bool
is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r';
}

static bool
is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

static bool
is_alnum(char ch)
{
	return is_digit(ch) || (ch >= 'a' && ch <= 'z') ||
	       (ch >= 'A' && ch <= 'Z');
}

static char *
skip_blanks(char *s)
{
	while (is_blank(*s))
		s++;
	return s;
}

/* Cut <s> after its first word; returns the start of the rest (blanks
 * skipped), which is "" when there is none. */
static char *
cut_word(char *s)
{
	while (*s != '\0' && !is_blank(*s))
		s++;
	if (*s == '\0')
		return s;
	*s = '\0';
	return skip_blanks(s + 1);
}

/* True when <s> is 1..max-1 characters of [A-Za-z0-9_-]. */
static bool
is_name(const char *s, size_t max)
{
	size_t n;

	for (n = 0; s[n] != '\0'; n++)
		if (!is_alnum(s[n]) && s[n] != '_' && s[n] != '-')
			return false;
	return n > 0 && n < max;
}

/*
 * Parse a plain decimal number: digits only, no sign, no blanks.  Returns 0,
 * -EINVAL when <s> is not such a number, -ERANGE when it overflows.
 */
static int
parse_decimal(const char *s, uint64_t *out)
{
	unsigned long long v;
	const char *q;
	char *end;

	if (*s == '\0')
		return -EINVAL;
	for (q = s; *q != '\0'; q++)
		if (!is_digit(*q))
			return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	GH_VERIFY(*end == '\0');
	*out = v;
	return 0;
}

/* Parse <s> as a number in min..max for directive <dname>; <what> says
 * which part of the argument it is ("" for all of it). */
static int
want_number(struct parser *p, const char *dname, const char *what,
            const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	int rc;

	rc = parse_decimal(s, out);
	if (rc == -EINVAL)
		return fail(p, "%s: %s\"%s\" is not a decimal number", dname,
		            what, s);
	if (rc < 0 || *out < min || *out > max)
		return fail(p, "%s: %s%s is out of range %" PRIu64 "..%" PRIu64,
		            dname, what, s, min, max);
	return 0;
}

/* ---- setters: global section ---- */

static void
store_number(void *field, size_t size, uint64_t v)
{
	uint16_t v16;
	uint32_t v32;

	if (size == sizeof(v16)) {
		v16 = (uint16_t)v;
		memcpy(field, &v16, sizeof(v16));
		return;
	}
	if (size == sizeof(v)) {
		memcpy(field, &v, sizeof(v));
		return;
	}
	GH_VERIFY(size == sizeof(v32));
	v32 = (uint32_t)v;
	memcpy(field, &v32, sizeof(v32));
}

/* The largest value a field of <size> bytes holds. */
static uint64_t
field_max(size_t size)
{
	if (size == sizeof(uint16_t))
		return UINT16_MAX;
	if (size == sizeof(uint32_t))
		return UINT32_MAX;
	GH_VERIFY(size == sizeof(uint64_t));
	return UINT64_MAX;
}

static int
set_number(struct parser *p, const struct directive *d, const char *arg)
{
	uint64_t v = 0, scale = d->scale != 0 ? d->scale : 1;
	char *base = NULL;
	int rc;

	rc = want_number(p, d->name, "", arg, d->min, d->max, &v);
	if (rc < 0)
		return rc;
	if (d->pow2 && (v & (v - 1)) != 0)
		return fail(p, "%s: %s is not a power of two", d->name, arg);
	switch (d->sect) {
	case SECT_PORT:
		base = (char *)p->port;
		break;
	case SECT_LISTEN:
		base = (char *)p->listen;
		break;
	case SECT_GLOBAL:
	case SECT_TCP:        /* NUM_TCP offsets are into struct conf */
	case SECT_RESOLVER:   /* NUM_RESOLVER too */
	case SECT_ACCESS_LOG: /* and NUM_ACCESS_LOG */
		base = (char *)p->c;
		break;
	default:
		GH_WRONG("set_number in a section without numbers");
	}
	GH_VERIFY(d->max <= field_max(d->size) / scale);
	store_number(base + d->off, d->size, v * scale);
	return 0;
}

static int
set_control_cpu(struct parser *p, const struct directive *d, const char *arg)
{
	uint64_t v = 0;
	int rc;

	rc = want_number(p, d->name, "", arg, 0, CPU_ID_MAX, &v);
	if (rc == 0)
		p->c->control_cpu = (int)v;
	return rc;
}

/* Add one element of the cpus list. */
static int
add_worker_cpu(struct parser *p, const struct directive *d, char *s,
               const char *list)
{
	struct conf *c = p->c;
	uint64_t v = 0;
	unsigned i;
	int rc;

	if (*s == '\0')
		return fail(p, "%s: empty element in \"%s\"", d->name, list);
	if (c->n_worker_cpus == CONF_WORKERS_MAX)
		return fail(p, "%s: more than %u CPUs in \"%s\"", d->name,
		            CONF_WORKERS_MAX, list);
	rc = want_number(p, d->name, "CPU ", s, 0, CPU_ID_MAX, &v);
	if (rc < 0)
		return rc;
	for (i = 0; i < c->n_worker_cpus; i++)
		if (c->worker_cpus[i] == (int)v)
			return fail(p, "%s: CPU %s is listed twice", d->name,
			            s);
	c->worker_cpus[c->n_worker_cpus++] = (int)v;
	return 0;
}

static int
set_cpus(struct parser *p, const struct directive *d, const char *arg)
{
	char buf[LINE_MAX_BYTES + 1];
	char *s, *comma;
	int rc;

	GH_VERIFY(strlen(arg) < sizeof(buf));
	strcpy(buf, arg);
	p->c->n_worker_cpus = 0;
	for (s = buf;; s = comma + 1) {
		comma = strchr(s, ',');
		if (comma != NULL)
			*comma = '\0';
		rc = add_worker_cpu(p, d, s, arg);
		if (rc < 0 || comma == NULL)
			return rc;
	}
}

/* Parse on | off into <out>.  Returns 0 or -EINVAL with the message. */
static int
want_on_off(struct parser *p, const struct directive *d, const char *arg,
            bool *out)
{
	if (strcmp(arg, "on") == 0)
		*out = true;
	else if (strcmp(arg, "off") == 0)
		*out = false;
	else
		return fail(p, "%s: \"%s\" is not on or off", d->name, arg);
	return 0;
}

static int
set_busy_poll(struct parser *p, const struct directive *d, const char *arg)
{
	return want_on_off(p, d, arg, &p->c->busy_poll);
}

static int
set_hugepages(struct parser *p, const struct directive *d, const char *arg)
{
	if (strcmp(arg, "auto") == 0)
		p->c->hugepages = CONF_HUGEPAGES_AUTO;
	else if (strcmp(arg, "on") == 0)
		p->c->hugepages = CONF_HUGEPAGES_ON;
	else if (strcmp(arg, "off") == 0)
		p->c->hugepages = CONF_HUGEPAGES_OFF;
	else
		return fail(p, "%s: \"%s\" is not auto, on or off", d->name,
		            arg);
	return 0;
}

/* Copy the absolute path <arg> into <buf> of <len> bytes.  Returns 0 or
 * -EINVAL with the message. */
static int
want_abs_path(struct parser *p, const struct directive *d, const char *arg,
              char *buf, size_t len)
{
	if (arg[0] != '/')
		return fail(p, "%s: \"%s\" is not an absolute path", d->name,
		            arg);
	if (strlen(arg) >= len)
		return fail(p, "%s: \"%s\" is longer than %zu bytes", d->name,
		            arg, len - 1);
	strcpy(buf, arg);
	return 0;
}

static int
set_control_socket(struct parser *p, const struct directive *d, const char *arg)
{
	return want_abs_path(p, d, arg, p->c->control_socket,
	                     sizeof(p->c->control_socket));
}

static int
set_file_prefix(struct parser *p, const struct directive *d, const char *arg)
{
	if (!is_name(arg, sizeof(p->c->file_prefix)))
		return fail(p,
		            "%s: invalid \"%s\" (1 to %zu of A-Z a-z 0-9 _ -)",
		            d->name, arg, sizeof(p->c->file_prefix) - 1);
	strcpy(p->c->file_prefix, arg);
	return 0;
}

static int
set_eal_arg(struct parser *p, const struct directive *d, const char *arg)
{
	struct conf *c = p->c;

	if (c->n_eal_args == CONF_EAL_ARGS_MAX)
		return fail(p, "%s: more than %u given, \"%s\" is one too many",
		            d->name, CONF_EAL_ARGS_MAX, arg);
	if (strlen(arg) >= CONF_EAL_ARG_MAX)
		return fail(p, "%s: \"%s\" is longer than %u bytes", d->name,
		            arg, CONF_EAL_ARG_MAX - 1);
	strcpy(c->eal_args[c->n_eal_args++], arg);
	return 0;
}

/* ---- setters: port section ---- */

static int
set_role(struct parser *p, const struct directive *d, const char *arg)
{
	if (strcmp(arg, "inside") == 0)
		p->port->role = CONF_PORT_INSIDE;
	else if (strcmp(arg, "outside") == 0)
		p->port->role = CONF_PORT_OUTSIDE;
	else
		return fail(p, "%s: \"%s\" is not inside or outside", d->name,
		            arg);
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
		if (is_digit(ch))
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
		if (!is_alnum(dev[i]) && dev[i] != '_')
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
			return fail(p,
			            "%s: %s \"%s\" is already used by port "
			            "\"%s\"",
			            d->name, is_pci ? "PCI device" : "vdev",
			            key, c->ports[i].name);
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
		return fail(p, "%s: \"%s\" is longer than %u bytes", d->name,
		            arg, CONF_DEVICE_MAX - 1);
	if (strncmp(arg, "pci:", 4) == 0) {
		is_pci = true;
		dev = arg + 4;
		if (!pci_normalize(dev, key, sizeof(key)))
			return fail(p,
			            "%s: \"%s\" is not a PCI address "
			            "(pci:DDDD:BB:DD.F or pci:BB:DD.F)",
			            d->name, arg);
	} else if (strncmp(arg, "net_", 4) == 0) {
		is_pci = false;
		if (!vdev_name(dev, key, sizeof(key)))
			return fail(p,
			            "%s: \"%s\" has no valid vdev name "
			            "(net_ then A-Z a-z 0-9 _)",
			            d->name, arg);
	} else {
		return fail(p,
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

static uint32_t
prefix_mask(unsigned prefix_len)
{
	GH_VERIFY(prefix_len <= 32);
	return prefix_len == 0 ? 0 : UINT32_MAX << (32 - prefix_len);
}

/* Dotted quad of a network-order address, in a static buffer of <slot>
 * (two slots so one message can show two addresses). */
static const char *
ip_str(uint32_t addr_be, unsigned slot)
{
	static char buf[2][INET_ADDRSTRLEN];

	GH_VERIFY(slot < GH_ARRAY_SIZE(buf));
	GH_AN(inet_ntop(AF_INET, &addr_be, buf[slot], sizeof(buf[slot])));
	return buf[slot];
}

/* Parse "A.B.C.D" strictly (inet_pton: four decimal parts, no leading
 * zeros) into network order. */
static bool
parse_ipv4(const char *s, uint32_t *addr_be)
{
	return inet_pton(AF_INET, s, addr_be) == 1;
}

/* Refuse 0/8, 127/8 and 224/3 (multicast and reserved). */
static bool
is_unicast(uint32_t addr)
{
	uint32_t first = addr >> 24;

	return first != 0 && first != 127 && first < 224;
}

/* Host part all zeros or all ones: network or broadcast address. */
static const char *
host_part_problem(uint32_t addr, unsigned prefix_len)
{
	uint32_t host = addr & ~prefix_mask(prefix_len);

	if (prefix_len > 30)
		return NULL;
	if (host == 0)
		return "network";
	if (host == ~prefix_mask(prefix_len))
		return "broadcast";
	return NULL;
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
			return fail(p, "%s: %s is already used by port \"%s\"",
			            d->name, ip_str(me->addr_be, 0), q->name);
		shorter = q->prefix_len < me->prefix_len ? q->prefix_len
		                                         : me->prefix_len;
		mask = htonl(prefix_mask(shorter));
		if ((q->addr_be & mask) == (me->addr_be & mask))
			return fail(p, "%s: %s/%u overlaps port \"%s\" (%s/%u)",
			            d->name, ip_str(me->addr_be, 0),
			            me->prefix_len, q->name,
			            ip_str(q->addr_be, 1), q->prefix_len);
	}
	return 0;
}

/* Gateway and address both known: the gateway must be another host of the
 * port's subnet.  Called by whichever of the two comes second. */
static int
check_gateway(struct parser *p)
{
	const struct conf_port *port = p->port;
	uint32_t mask = htonl(prefix_mask(port->prefix_len));
	uint32_t gw = ntohl(port->gateway_be);
	const char *what;

	if (port->gateway_be == port->addr_be)
		return fail(p, "gateway: %s is the port's own address",
		            ip_str(port->gateway_be, 0));
	if ((port->gateway_be & mask) != (port->addr_be & mask))
		return fail(p, "gateway: %s is not in the port's subnet %s/%u",
		            ip_str(port->gateway_be, 0),
		            ip_str(port->addr_be & mask, 1), port->prefix_len);
	what = host_part_problem(gw, port->prefix_len);
	if (what != NULL)
		return fail(p, "gateway: %s is the %s address of %s/%u",
		            ip_str(port->gateway_be, 0), what,
		            ip_str(port->addr_be & mask, 1), port->prefix_len);
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
		return fail(p, "%s: \"%s\" has no prefix length (A.B.C.D/N)",
		            d->name, arg);
	if ((size_t)(slash - arg) >= sizeof(ip))
		return fail(p, "%s: \"%s\" is not an IPv4 address", d->name,
		            arg);
	memcpy(ip, arg, (size_t)(slash - arg));
	ip[slash - arg] = '\0';
	if (!parse_ipv4(ip, &addr_be))
		return fail(p, "%s: \"%s\" is not an IPv4 address", d->name,
		            ip);
	if (want_number(p, d->name, "prefix length ", slash + 1, 1, 32, &plen) <
	    0)
		return -EINVAL;
	if (!is_unicast(ntohl(addr_be)))
		return fail(p, "%s: %s is not a unicast host address", d->name,
		            ip);
	what = host_part_problem(ntohl(addr_be), (unsigned)plen);
	if (what != NULL)
		return fail(p, "%s: %s is the %s address of its /%u subnet",
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

	if (!parse_ipv4(arg, &gw_be))
		return fail(p, "%s: \"%s\" is not an IPv4 address", d->name,
		            arg);
	if (!is_unicast(ntohl(gw_be)))
		return fail(p, "%s: %s is not a unicast host address", d->name,
		            arg);
	p->port->gateway_be = gw_be;
	return p->seen[D_ADDRESS] ? check_gateway(p) : 0;
}

/* ---- setters: tcp and listen sections ---- */

static int
set_cc(struct parser *p, const struct directive *d, const char *arg)
{
	enum conf_cc cc;

	if (strcmp(arg, "cubic") == 0)
		cc = CONF_CC_CUBIC;
	else if (strcmp(arg, "newreno") == 0)
		cc = CONF_CC_NEWRENO;
	else
		return fail(p, "%s: \"%s\" is not cubic or newreno", d->name,
		            arg);
	if (d->sect == SECT_TCP)
		p->c->tcp.cc = cc;
	else
		p->listen->cc = cc;
	return 0;
}

/* LO-HI: both 1024..65535, LO below HI, at least 1024 ports. */
static int
set_ephemeral_ports(struct parser *p, const struct directive *d,
                    const char *arg)
{
	char lo_s[LINE_MAX_BYTES + 1];
	const char *dash = strchr(arg, '-');
	uint64_t lo = 0, hi = 0;

	if (dash == NULL)
		return fail(p, "%s: \"%s\" is not a range LO-HI", d->name, arg);
	GH_VERIFY((size_t)(dash - arg) < sizeof(lo_s));
	memcpy(lo_s, arg, (size_t)(dash - arg));
	lo_s[dash - arg] = '\0';
	if (want_number(p, d->name, "low port ", lo_s, 1024, UINT16_MAX, &lo) <
	        0 ||
	    want_number(p, d->name, "high port ", dash + 1, 1024, UINT16_MAX,
	                &hi) < 0)
		return -EINVAL;
	if (lo >= hi)
		return fail(p, "%s: %s: low port is not below high port",
		            d->name, arg);
	if (hi - lo + 1 < 1024)
		return fail(p,
		            "%s: %s holds %" PRIu64 " ports, fewer than 1024",
		            d->name, arg, hi - lo + 1);
	p->c->tcp.ephemeral_lo = (uint16_t)lo;
	p->c->tcp.ephemeral_hi = (uint16_t)hi;
	return 0;
}

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
	}
	return "(none)";
}

static int
set_mode(struct parser *p, const struct directive *d, const char *arg)
{
	static const enum conf_listen_mode modes[] = {
	    CONF_LISTEN_RELAY, CONF_LISTEN_FORWARD, CONF_LISTEN_ECHO,
	    CONF_LISTEN_DISCARD, CONF_LISTEN_CHARGEN};
	size_t i;

	for (i = 0; i < GH_ARRAY_SIZE(modes); i++) {
		if (strcmp(arg, mode_name(modes[i])) == 0) {
			p->listen->mode = modes[i];
			return 0;
		}
	}
	return fail(p,
	            "%s: \"%s\" is not relay, forward, echo, discard or "
	            "chargen",
	            d->name, arg);
}

/* Parse "A.B.C.D:PORT" (port 1..65535) into network order. */
static int
want_ip_port(struct parser *p, const struct directive *d, const char *arg,
             uint32_t *ip_be, uint16_t *port_be)
{
	char ip[INET_ADDRSTRLEN];
	const char *colon = strchr(arg, ':');
	uint64_t port = 0;

	if (colon == NULL)
		return fail(p, "%s: \"%s\" has no port (A.B.C.D:PORT)", d->name,
		            arg);
	if ((size_t)(colon - arg) >= sizeof(ip))
		return fail(p, "%s: \"%.*s\" is not an IPv4 address", d->name,
		            (int)(colon - arg), arg);
	memcpy(ip, arg, (size_t)(colon - arg));
	ip[colon - arg] = '\0';
	if (!parse_ipv4(ip, ip_be))
		return fail(p, "%s: \"%s\" is not an IPv4 address", d->name,
		            ip);
	if (want_number(p, d->name, "port ", colon + 1, 1, UINT16_MAX, &port) <
	    0)
		return -EINVAL;
	*port_be = htons((uint16_t)port);
	return 0;
}

static int
set_bind(struct parser *p, const struct directive *d, const char *arg)
{
	const struct conf_listen *q;
	uint32_t ip_be = 0;
	uint16_t port_be = 0;
	unsigned i;

	if (want_ip_port(p, d, arg, &ip_be, &port_be) < 0)
		return -EINVAL;
	for (i = 0; i + 1 < p->c->n_listeners; i++) {
		q = &p->c->listeners[i];
		if (q->bind_ip_be == ip_be && q->bind_port_be == port_be)
			return fail(p,
			            "%s: %s is already used by listen \"%s\"",
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

	if (want_ip_port(p, d, arg, &ip_be, &port_be) < 0)
		return -EINVAL;
	if (!is_unicast(ntohl(ip_be)))
		return fail(p, "%s: %s is not a unicast host address", d->name,
		            ip_str(ip_be, 0));
	p->listen->upstream_ip_be = ip_be;
	p->listen->upstream_port_be = port_be;
	return 0;
}

/* ---- setters: forward mode (listen sections) ---- */

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
		return fail(p, "%s: more than %u given, \"%s\" is one too many",
		            d->name, CONF_ALLOW_SRC_MAX, arg);
	if (n >= sizeof(ip))
		return fail(p, "%s: \"%.*s\" is not an IPv4 address", d->name,
		            (int)n, arg);
	memcpy(ip, arg, n);
	ip[n] = '\0';
	if (!parse_ipv4(ip, &addr_be))
		return fail(p, "%s: \"%s\" is not an IPv4 address", d->name,
		            ip);
	if (slash != NULL && want_number(p, d->name, "prefix length ",
	                                 slash + 1, 0, 32, &plen) < 0)
		return -EINVAL;
	mask_be = htonl(prefix_mask((unsigned)plen));
	if ((addr_be & ~mask_be) != 0)
		return fail(
		    p, "%s: %s has host bits set (the network is %s/%u)",
		    d->name, arg, ip_str(addr_be & mask_be, 0), (unsigned)plen);
	for (i = 0; i < f->n_allow_src; i++)
		if (f->allow_src[i].addr_be == addr_be &&
		    f->allow_src[i].mask_be == mask_be)
			return fail(p, "%s: %s is listed twice", d->name, arg);
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
		return fail(p, "%s: more than %u ports in \"%s\"", d->name,
		            CONF_CONNECT_PORTS_MAX, list);
	if (want_number(p, d->name, "port ", s, 1, UINT16_MAX, &v) < 0)
		return -EINVAL;
	for (i = 0; i < f->n_connect_ports; i++)
		if (f->connect_ports[i] == v)
			return fail(p, "%s: port %s is listed twice", d->name,
			            s);
	f->connect_ports[f->n_connect_ports++] = (uint16_t)v;
	return 0;
}

/* Ports separated by blanks; the list replaces the default. */
static int
set_connect_ports(struct parser *p, const struct directive *d, const char *arg)
{
	char buf[LINE_MAX_BYTES + 1];
	char *s, *next;

	GH_VERIFY(strlen(arg) < sizeof(buf));
	strcpy(buf, arg);
	p->listen->fwd.n_connect_ports = 0;
	/* Each turn consumes at least one character of buf. */
	for (s = buf; *s != '\0'; s = next) {
		next = cut_word(s);
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
	else
		return fail(p, "%s: \"%s\" is not add, delete or off", d->name,
		            arg);
	return 0;
}

/* on | off into the bool at <d->off> in struct conf_listen. */
static int
set_fwd_flag(struct parser *p, const struct directive *d, const char *arg)
{
	bool v = false;

	GH_VERIFY(d->size == sizeof(v));
	if (want_on_off(p, d, arg, &v) < 0)
		return -EINVAL;
	memcpy((char *)p->listen + d->off, &v, sizeof(v));
	return 0;
}

/* ---- setters: resolver and access-log sections ---- */

static int
set_nameserver(struct parser *p, const struct directive *d, const char *arg)
{
	struct conf_resolver *r = &p->c->resolver;
	uint32_t ip_be;
	unsigned i;

	if (r->n_servers == CONF_RESOLVERS_MAX)
		return fail(p, "%s: more than %u given, \"%s\" is one too many",
		            d->name, CONF_RESOLVERS_MAX, arg);
	if (!parse_ipv4(arg, &ip_be))
		return fail(p, "%s: \"%s\" is not an IPv4 address", d->name,
		            arg);
	if (!is_unicast(ntohl(ip_be)))
		return fail(p, "%s: %s is not a unicast host address", d->name,
		            arg);
	for (i = 0; i < r->n_servers; i++)
		if (r->server_ip_be[i] == ip_be)
			return fail(p, "%s: %s is already given at line %u",
			            d->name, arg, p->nameserver_lines[i]);
	p->nameserver_lines[r->n_servers] = p->line;
	r->server_ip_be[r->n_servers++] = ip_be;
	return 0;
}

static int
set_log_path(struct parser *p, const struct directive *d, const char *arg)
{
	return want_abs_path(p, d, arg, p->c->access_log.path,
	                     sizeof(p->c->access_log.path));
}

static int
set_log_format(struct parser *p, const struct directive *d, const char *arg)
{
	if (strcmp(arg, "squid") == 0)
		p->c->access_log.format = CONF_LOG_SQUID;
	else if (strcmp(arg, "combined") == 0)
		p->c->access_log.format = CONF_LOG_COMBINED;
	else if (strcmp(arg, "json") == 0)
		p->c->access_log.format = CONF_LOG_JSON;
	else
		return fail(p, "%s: \"%s\" is not squid, combined or json",
		            d->name, arg);
	return 0;
}

/* ---- the directive table ---- */

#define FIELD_SIZE(type, field) sizeof(((type *)0)->field)

#define NUM_GLOBAL(n, field, lo, hi)                                         \
	{                                                                    \
		.name = n, .sect = SECT_GLOBAL, .set = set_number,           \
		.off = offsetof(struct conf, field),                         \
		.size = FIELD_SIZE(struct conf, field), .min = lo, .max = hi \
	}

#define NUM_PORT(n, field, lo, hi, p2)                                  \
	{                                                               \
		.name = n, .sect = SECT_PORT, .set = set_number,        \
		.off = offsetof(struct conf_port, field),               \
		.size = FIELD_SIZE(struct conf_port, field), .min = lo, \
		.max = hi, .pow2 = p2                                   \
	}

/* A tcp section number: offset into struct conf, stored times <sc>. */
#define NUM_TCP(n, field, lo, hi, sc)                                  \
	{                                                              \
		.name = n, .sect = SECT_TCP, .set = set_number,        \
		.off = offsetof(struct conf, tcp.field),               \
		.size = FIELD_SIZE(struct conf, tcp.field), .min = lo, \
		.max = hi, .scale = sc                                 \
	}

/* A forward-mode number: offset into struct conf_listen. */
#define NUM_FWD(n, field, lo, hi)                                             \
	{                                                                     \
		.name = n, .sect = SECT_LISTEN, .set = set_number,            \
		.off = offsetof(struct conf_listen, fwd.field),               \
		.size = FIELD_SIZE(struct conf_listen, fwd.field), .min = lo, \
		.max = hi                                                     \
	}

/* A forward-mode on | off: a bool in struct conf_listen. */
#define FLAG_FWD(n, field)                                           \
	{                                                            \
		.name = n, .sect = SECT_LISTEN, .set = set_fwd_flag, \
		.off = offsetof(struct conf_listen, fwd.field),      \
		.size = FIELD_SIZE(struct conf_listen, fwd.field)    \
	}

/* A resolver or access-log number: offset into struct conf. */
#define NUM_RESOLVER(n, field, lo, hi, p2)                                  \
	{                                                                   \
		.name = n, .sect = SECT_RESOLVER, .set = set_number,        \
		.off = offsetof(struct conf, resolver.field),               \
		.size = FIELD_SIZE(struct conf, resolver.field), .min = lo, \
		.max = hi, .pow2 = p2                                       \
	}

#define NUM_ACCESS_LOG(n, field, lo, hi, p2)                                  \
	{                                                                     \
		.name = n, .sect = SECT_ACCESS_LOG, .set = set_number,        \
		.off = offsetof(struct conf, access_log.field),               \
		.size = FIELD_SIZE(struct conf, access_log.field), .min = lo, \
		.max = hi, .pow2 = p2                                         \
	}

#define FUNC(n, s, fn)                          \
	{                                       \
		.name = n, .sect = s, .set = fn \
	}

static const struct directive directives[D_COUNT] = {
    [D_WORKERS] = NUM_GLOBAL("workers", workers, 1, CONF_WORKERS_MAX),
    [D_CPUS] = FUNC("cpus", SECT_GLOBAL, set_cpus),
    [D_CONTROL_CPU] = FUNC("control-cpu", SECT_GLOBAL, set_control_cpu),
    [D_BUSY_POLL] = FUNC("busy-poll", SECT_GLOBAL, set_busy_poll),
    [D_IDLE_SPIN_POLLS] =
        NUM_GLOBAL("idle-spin-polls", idle_spin_polls, 1, 1000000),
    [D_IDLE_SLEEP_MAX_US] =
        NUM_GLOBAL("idle-sleep-max-us", idle_sleep_max_us, 0, 100000),
    [D_CONTROL_SOCKET] =
        FUNC("control-socket", SECT_GLOBAL, set_control_socket),
    [D_FILE_PREFIX] = FUNC("file-prefix", SECT_GLOBAL, set_file_prefix),
    [D_HUGEPAGES] = FUNC("hugepages", SECT_GLOBAL, set_hugepages),
    [D_MEMORY_MB] = NUM_GLOBAL("memory-mb", memory_mb, 64, 65536),
    [D_MBUFS_PER_PORT] =
        NUM_GLOBAL("mbufs-per-port", mbufs_per_port, 1023, 1048575),
    [D_EAL_ARG] = {.name = "eal-arg",
                   .sect = SECT_GLOBAL,
                   .set = set_eal_arg,
                   .rest_of_line = true,
                   .repeatable = true},
    [D_ARP_TTL_S] = NUM_GLOBAL("arp-ttl-s", arp_entry_ttl_s, 1, 86400),
    [D_ARP_PENDING_MAX] =
        NUM_GLOBAL("arp-pending-max", arp_pending_max, 1, 256),
    [D_ARP_PENDING_TIMEOUT_MS] =
        NUM_GLOBAL("arp-pending-timeout-ms", arp_pending_timeout_ms, 10, 60000),
    [D_GARP_COUNT] = NUM_GLOBAL("garp-count", garp_count, 0, 10),
    [D_ROLE] = FUNC("role", SECT_PORT, set_role),
    [D_DEVICE] = FUNC("device", SECT_PORT, set_device),
    [D_ADDRESS] = FUNC("address", SECT_PORT, set_address),
    [D_GATEWAY] = FUNC("gateway", SECT_PORT, set_gateway),
    [D_MTU] = NUM_PORT("mtu", mtu, 68, 9000, false),
    [D_RX_DESC] = NUM_PORT("rx-desc", rx_desc, 64, 16384, true),
    [D_TX_DESC] = NUM_PORT("tx-desc", tx_desc, 64, 16384, true),
    [D_MAX_CONNS] = NUM_TCP("max-conns", max_conns, 16, 4194304, 1),
    [D_SYN_BACKLOG] = NUM_TCP("syn-backlog", syn_backlog, 0, 1048576, 1),
    [D_RCV_BUF_KB] = NUM_TCP("rcv-buf-kb", rcv_buf_bytes, 4, 65536, 1024),
    [D_SND_BUF_KB] = NUM_TCP("snd-buf-kb", snd_buf_bytes, 4, 65536, 1024),
    [D_TIME_WAIT_MS] = NUM_TCP("time-wait-ms", time_wait_ms, 0, 240000, 1),
    [D_KEEPALIVE_IDLE_MS] =
        NUM_TCP("keepalive-idle-ms", keepalive_idle_ms, 0, 86400000, 1),
    [D_KEEPALIVE_INTVL_MS] =
        NUM_TCP("keepalive-intvl-ms", keepalive_intvl_ms, 1000, 3600000, 1),
    [D_KEEPALIVE_PROBES] =
        NUM_TCP("keepalive-probes", keepalive_probes, 1, 100, 1),
    [D_RTO_MIN_MS] = NUM_TCP("rto-min-ms", rto_min_ms, 1, 60000, 1),
    [D_RTO_MAX_MS] = NUM_TCP("rto-max-ms", rto_max_ms, 100, 600000, 1),
    [D_SYN_RETRIES] = NUM_TCP("syn-retries", syn_retries, 1, 20, 1),
    [D_DATA_RETRIES] = NUM_TCP("data-retries", data_retries, 1, 30, 1),
    [D_DELACK_MS] = NUM_TCP("delack-ms", delack_ms, 1, 500, 1),
    /* at most half the largest mbufs-per-port; the whole-file check
     * holds it to half of the one given (tcp_ooo_check) */
    [D_OOO_MBUFS_MAX] = NUM_TCP("ooo-mbufs-max", ooo_mbufs_max, 0, 524287, 1),
    [D_EPHEMERAL_PORTS] =
        FUNC("ephemeral-ports", SECT_TCP, set_ephemeral_ports),
    /* The one directive of two sections: one row each, found by section. */
    [D_TCP_CC] = FUNC("congestion-control", SECT_TCP, set_cc),
    [D_MODE] = FUNC("mode", SECT_LISTEN, set_mode),
    [D_BIND] = FUNC("bind", SECT_LISTEN, set_bind),
    [D_UPSTREAM] = FUNC("upstream", SECT_LISTEN, set_upstream),
    [D_LISTEN_CC] = FUNC("congestion-control", SECT_LISTEN, set_cc),
    [D_ALLOW_SRC] = {.name = "allow-src",
                     .sect = SECT_LISTEN,
                     .set = set_allow_src,
                     .repeatable = true},
    [D_CONNECT_PORTS] = {.name = "connect-ports",
                         .sect = SECT_LISTEN,
                         .set = set_connect_ports,
                         .rest_of_line = true},
    [D_XFF] = FUNC("x-forwarded-for", SECT_LISTEN, set_xff),
    [D_ANONYMOUS] = FLAG_FWD("anonymous", anonymous),
    [D_VIA] = FLAG_FWD("via", via),
    [D_ALLOW_PRIVATE_DST] = FLAG_FWD("allow-private-dst", allow_private_dst),
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
    [D_LOG_PATH] = FUNC("path", SECT_ACCESS_LOG, set_log_path),
    [D_LOG_FORMAT] = FUNC("format", SECT_ACCESS_LOG, set_log_format),
    [D_LOG_RING_SLOTS] =
        NUM_ACCESS_LOG("ring-slots", ring_slots, 64, 1048576, true),
};

/* The directive called <name> in section <sect>, else the first one of
 * that name in any section (SECT_NONE: just that); NULL if none. */
static const struct directive *
directive_find(const char *name, enum section sect)
{
	const struct directive *any = NULL;
	size_t i;

	for (i = 0; i < GH_ARRAY_SIZE(directives); i++) {
		if (strcmp(directives[i].name, name) != 0)
			continue;
		if (directives[i].sect == sect)
			return &directives[i];
		if (any == NULL)
			any = &directives[i];
	}
	return any;
}

static const char *
section_name(enum section s)
{
	switch (s) {
	case SECT_GLOBAL:
		return "global";
	case SECT_PORT:
		return "port";
	case SECT_TCP:
		return "tcp";
	case SECT_LISTEN:
		return "listen";
	case SECT_RESOLVER:
		return "resolver";
	case SECT_ACCESS_LOG:
		return "access-log";
	case SECT_NONE:
		break;
	}
	GH_WRONG("no such section");
	return "";
}

/* The kinds of section where <name> is a directive, "tcp or listen", into
 * <buf>. */
static const char *
sections_of(const char *name, char *buf, size_t len)
{
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < GH_ARRAY_SIZE(directives) && n < len; i++)
		if (strcmp(directives[i].name, name) == 0)
			n += (size_t)snprintf(buf + n, len - n, "%s%s",
			                      n > 0 ? " or " : "",
			                      section_name(directives[i].sect));
	return buf;
}

/* ---- sections ---- */

static void
conf_defaults(struct conf *c)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	c->workers = 1;
	c->control_cpu = 0;
	c->n_worker_cpus = 1;
	c->worker_cpus[0] = ncpu > 1 ? 1 : 0;
	c->busy_poll = false;
	c->idle_spin_polls = 64;
	c->idle_sleep_max_us = 200;
	snprintf(c->control_socket, sizeof(c->control_socket), "%s",
	         DEFAULT_CONTROL_SOCKET);
	snprintf(c->file_prefix, sizeof(c->file_prefix), "%s",
	         DEFAULT_FILE_PREFIX);
	c->hugepages = CONF_HUGEPAGES_AUTO;
	c->memory_mb = 256;
	c->mbufs_per_port = 8191;
	c->arp_entry_ttl_s = 300;
	c->arp_pending_max = 64;
	c->arp_pending_timeout_ms = 1000;
	c->garp_count = 3;
	c->tcp.max_conns = 65536;
	c->tcp.syn_backlog = 1024;
	c->tcp.rcv_buf_bytes = 256 * 1024;
	c->tcp.snd_buf_bytes = 256 * 1024;
	c->tcp.time_wait_ms = 60000;
	c->tcp.keepalive_idle_ms = 0;
	c->tcp.keepalive_intvl_ms = 75000;
	c->tcp.keepalive_probes = 9;
	c->tcp.rto_min_ms = 200;
	c->tcp.rto_max_ms = 60000;
	c->tcp.syn_retries = 6;
	c->tcp.data_retries = 15;
	c->tcp.delack_ms = 40;
	c->tcp.ooo_mbufs_max = 0;
	c->tcp.ephemeral_lo = 32768;
	c->tcp.ephemeral_hi = 60999;
	c->tcp.cc = CONF_CC_CUBIC;
	c->resolver.timeout_ms = 1000;
	c->resolver.tries = 3;
	c->resolver.cache_entries = 4096;
	c->resolver.neg_ttl_s = 30;
	c->resolver.max_ttl_s = 3600;
	c->access_log.format = CONF_LOG_SQUID;
	c->access_log.ring_slots = 4096;
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
	f->via = true;
	f->allow_private_dst = false;
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
}

/* rto-max-ms below rto-min-ms (either may be the default): reported at the
 * later of the two given, or at the header. */
static int
tcp_section_end(struct parser *p)
{
	const struct conf_tcp *t = &p->c->tcp;
	unsigned line = t->line;

	p->ooo_mbufs_line = p->seen[D_OOO_MBUFS_MAX];
	if (t->rto_max_ms >= t->rto_min_ms)
		return 0;
	if (p->seen[D_RTO_MIN_MS] > line)
		line = p->seen[D_RTO_MIN_MS];
	if (p->seen[D_RTO_MAX_MS] > line)
		line = p->seen[D_RTO_MAX_MS];
	return fail_at(
	    p, line, "tcp: rto-max-ms %" PRIu32 " is below rto-min-ms %" PRIu32,
	    t->rto_max_ms, t->rto_min_ms);
}

/* A forward listener needs allow-src (no open proxy), and max-header-bytes
 * may not be below max-request-line (either may be the default): reported
 * at the later of the two given, or at the header. */
static int
forward_section_end(struct parser *p)
{
	const struct conf_listen *l = p->listen;
	const struct conf_forward *f = &l->fwd;
	unsigned line = l->line;

	if (f->n_allow_src == 0)
		return fail_at(p, l->line,
		               "listen \"%s\": mode forward needs at least one "
		               "allow-src (it must not be an open proxy)",
		               l->name);
	if (f->max_header_bytes >= f->max_request_line)
		return 0;
	if (p->seen[D_MAX_REQUEST_LINE] > line)
		line = p->seen[D_MAX_REQUEST_LINE];
	if (p->seen[D_MAX_HEADER_BYTES] > line)
		line = p->seen[D_MAX_HEADER_BYTES];
	return fail_at(p, line,
	               "listen \"%s\": max-header-bytes %" PRIu32
	               " is below max-request-line %" PRIu32,
	               l->name, f->max_header_bytes, f->max_request_line);
}

/* Outside forward mode, the first forward-only directive given is an
 * error at its line. */
static int
forward_only_check(struct parser *p)
{
	const struct conf_listen *l = p->listen;
	unsigned line = 0, id, first = D_COUNT;

	for (id = D_ALLOW_SRC; id <= D_MAX_BODY_BYTES; id++) {
		if (p->seen[id] != 0 && (line == 0 || p->seen[id] < line)) {
			line = p->seen[id];
			first = id;
		}
	}
	if (line == 0)
		return 0;
	return fail_at(p, line,
	               "listen \"%s\": %s is only allowed in forward mode",
	               l->name, directives[first].name);
}

/* mode and bind are required, upstream is required for relay and refused
 * otherwise, the forward directives are refused outside forward mode.
 * Keeps the lines that the whole-file checks report at. */
static int
listen_section_end(struct parser *p)
{
	static const enum directive_id required[] = {D_MODE, D_BIND};
	const struct conf_listen *l = p->listen;
	struct listen_lines *ll;
	size_t i;

	for (i = 0; i < GH_ARRAY_SIZE(required); i++)
		if (p->seen[required[i]] == 0)
			return fail_at(p, l->line,
			               "listen \"%s\": %s is required", l->name,
			               directives[required[i]].name);
	if (l->mode == CONF_LISTEN_RELAY && p->seen[D_UPSTREAM] == 0)
		return fail_at(p, l->line,
		               "listen \"%s\": upstream is required in relay "
		               "mode",
		               l->name);
	if (l->mode != CONF_LISTEN_RELAY && p->seen[D_UPSTREAM] != 0)
		return fail_at(p, p->seen[D_UPSTREAM],
		               "listen \"%s\": upstream is not allowed in %s "
		               "mode (only relay connects upstream)",
		               l->name, mode_name(l->mode));
	if (l->mode == CONF_LISTEN_FORWARD && forward_section_end(p) < 0)
		return -EINVAL;
	if (l->mode != CONF_LISTEN_FORWARD && forward_only_check(p) < 0)
		return -EINVAL;
	GH_VERIFY(p->c->n_listeners > 0);
	ll = &p->listen_lines[p->c->n_listeners - 1];
	ll->bind = p->seen[D_BIND];
	ll->upstream = p->seen[D_UPSTREAM];
	ll->cc = p->seen[D_LISTEN_CC];
	return 0;
}

/* A resolver needs a nameserver. */
static int
resolver_section_end(struct parser *p)
{
	if (p->c->resolver.n_servers == 0)
		return fail_at(p, p->c->resolver.line,
		               "resolver: nameserver is required");
	return 0;
}

/* An access log needs a path. */
static int
access_log_section_end(struct parser *p)
{
	if (p->seen[D_LOG_PATH] == 0)
		return fail_at(p, p->c->access_log.line,
		               "access-log: path is required");
	return 0;
}

/* Close the current section and run the checks that need all of it: a port
 * must have had role, device, address. */
static int
section_end(struct parser *p)
{
	static const enum directive_id required[] = {D_ROLE, D_DEVICE,
	                                             D_ADDRESS};
	size_t i;

	if (p->sect == SECT_PORT) {
		for (i = 0; i < GH_ARRAY_SIZE(required); i++)
			if (p->seen[required[i]] == 0)
				return fail_at(p, p->port->line,
				               "port \"%s\": %s is required",
				               p->port->name,
				               directives[required[i]].name);
	}
	if (p->sect == SECT_TCP && tcp_section_end(p) < 0)
		return -EINVAL;
	if (p->sect == SECT_LISTEN && listen_section_end(p) < 0)
		return -EINVAL;
	if (p->sect == SECT_RESOLVER && resolver_section_end(p) < 0)
		return -EINVAL;
	if (p->sect == SECT_ACCESS_LOG && access_log_section_end(p) < 0)
		return -EINVAL;
	p->port = NULL;
	p->listen = NULL;
	p->sect = SECT_NONE;
	memset(p->seen, 0, sizeof(p->seen));
	return 0;
}

/* The header of a section without a name that may appear once (global,
 * tcp, resolver, access-log); <line> keeps the line of its header, 0 until
 * it is given. */
static int
header_once(struct parser *p, const char *rest, enum section sect,
            unsigned *line)
{
	const char *kind = section_name(sect);

	if (*rest != '\0')
		return fail(p, "%s: unexpected argument \"%s\"", kind, rest);
	if (*line != 0)
		return fail(p, "%s section already given at line %u", kind,
		            *line);
	*line = p->line;
	p->sect = sect;
	return 0;
}

/* The NAME of a `<kind> NAME` header: one word of is_name().  Returns 0 or
 * -EINVAL with the message. */
static int
check_section_name(struct parser *p, const char *kind, char *rest)
{
	char *extra = cut_word(rest);

	if (*rest == '\0')
		return fail(p, "%s: missing name", kind);
	if (*extra != '\0')
		return fail(p, "%s %s: unexpected argument \"%s\"", kind, rest,
		            extra);
	if (!is_name(rest, CONF_NAME_MAX))
		return fail(p,
		            "%s: invalid name \"%s\" (1 to %u of "
		            "A-Z a-z 0-9 _ -)",
		            kind, rest, CONF_NAME_MAX - 1);
	return 0;
}

static int
header_port(struct parser *p, char *rest)
{
	struct conf *c = p->c;
	struct conf_port *port;
	unsigned i;

	if (check_section_name(p, "port", rest) < 0)
		return -EINVAL;
	for (i = 0; i < c->n_ports; i++)
		if (strcmp(c->ports[i].name, rest) == 0)
			return fail(p, "port \"%s\" already defined at line %u",
			            rest, c->ports[i].line);
	if (c->n_ports == CONF_PORTS_MAX)
		return fail(p, "port \"%s\": too many ports (at most %u)", rest,
		            CONF_PORTS_MAX);
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

static int
header_listen(struct parser *p, char *rest)
{
	struct conf *c = p->c;
	struct conf_listen *l;
	unsigned i;

	if (check_section_name(p, "listen", rest) < 0)
		return -EINVAL;
	for (i = 0; i < c->n_listeners; i++)
		if (strcmp(c->listeners[i].name, rest) == 0)
			return fail(p,
			            "listen \"%s\" already defined at line %u",
			            rest, c->listeners[i].line);
	if (c->n_listeners == CONF_LISTENERS_MAX)
		return fail(p,
		            "listen \"%s\": too many listen sections (at "
		            "most %u)",
		            rest, CONF_LISTENERS_MAX);
	l = &c->listeners[c->n_listeners++];
	strcpy(l->name, rest);
	l->line = p->line;
	forward_defaults(&l->fwd);
	p->listen = l;
	p->sect = SECT_LISTEN;
	return 0;
}

/* A line starting at column 0. */
static int
parse_header(struct parser *p, char *s)
{
	char *rest = cut_word(s);

	if (section_end(p) < 0)
		return -EINVAL;
	if (strcmp(s, "global") == 0)
		return header_once(p, rest, SECT_GLOBAL, &p->global_line);
	if (strcmp(s, "port") == 0)
		return header_port(p, rest);
	if (strcmp(s, "tcp") == 0)
		return header_once(p, rest, SECT_TCP, &p->c->tcp.line);
	if (strcmp(s, "listen") == 0)
		return header_listen(p, rest);
	if (strcmp(s, "resolver") == 0)
		return header_once(p, rest, SECT_RESOLVER,
		                   &p->c->resolver.line);
	if (strcmp(s, "access-log") == 0)
		return header_once(p, rest, SECT_ACCESS_LOG,
		                   &p->c->access_log.line);
	if (directive_find(s, SECT_NONE) != NULL)
		return fail(p,
		            "unknown section \"%s\" (directives must be "
		            "indented)",
		            s);
	return fail(p, "unknown section \"%s\"", s);
}

/* An indented line. */
static int
parse_directive(struct parser *p, char *s)
{
	const struct directive *d;
	char *rest = cut_word(s), *extra;
	char where[64];
	unsigned *seen;

	d = directive_find(s, p->sect);
	if (p->sect == SECT_NONE)
		return fail(p, "directive \"%s\" outside any section", s);
	if (d == NULL)
		return fail(p, "unknown directive \"%s\" in %s section", s,
		            section_name(p->sect));
	if (d->sect != p->sect)
		return fail(p,
		            "unknown directive \"%s\" in %s section (it "
		            "belongs in %s sections)",
		            s, section_name(p->sect),
		            sections_of(s, where, sizeof(where)));
	if (*rest == '\0')
		return fail(p, "%s: missing argument", d->name);
	if (!d->rest_of_line) {
		extra = cut_word(rest);
		if (*extra != '\0')
			return fail(p, "%s: unexpected argument \"%s\"",
			            d->name, extra);
	}
	seen = &p->seen[d - directives];
	if (*seen != 0 && !d->repeatable)
		return fail(p, "%s: already given at line %u", d->name, *seen);
	if (*seen == 0)
		*seen = p->line;
	return d->set(p, d, rest);
}

/* Drop a comment ('#' at the start or after a blank) and trailing blanks. */
static void
strip_comment(char *s)
{
	size_t i, n;

	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] == '#' && (i == 0 || is_blank(s[i - 1]))) {
			s[i] = '\0';
			break;
		}
	}
	n = strlen(s);
	while (n > 0 && is_blank(s[n - 1]))
		s[--n] = '\0';
}

static int
parse_line(struct parser *p, const char *text, size_t len)
{
	char buf[LINE_MAX_BYTES + 1];
	char *s;

	if (len > LINE_MAX_BYTES)
		return fail(p, "line is longer than %u bytes", LINE_MAX_BYTES);
	if (memchr(text, '\0', len) != NULL)
		return fail(p, "line contains a NUL byte");
	memcpy(buf, text, len);
	buf[len] = '\0';
	strip_comment(buf);
	s = skip_blanks(buf);
	if (*s == '\0')
		return 0;
	if (s == buf)
		return parse_header(p, s);
	return parse_directive(p, s);
}

/* ---- whole-file checks of listen sections ---- */

/* Index of the port whose address is <ip_be>, or -ENOENT. */
static int
port_by_addr(const struct conf *c, uint32_t ip_be)
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
		mask = htonl(prefix_mask(c->ports[i].prefix_len));
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
static int
route_resolve(struct parser *p, unsigned line, const char *who, uint32_t ip_be)
{
	const struct conf *c = p->c;
	const struct conf_port *port;
	const char *what;
	int idx;

	idx = port_by_addr(c, ip_be);
	if (idx >= 0)
		return fail_at(p, line, "%s %s is the address of port \"%s\"",
		               who, ip_str(ip_be, 0), c->ports[idx].name);
	idx = port_by_subnet(c, ip_be);
	if (idx >= 0) {
		port = &c->ports[idx];
		what = host_part_problem(ntohl(ip_be), port->prefix_len);
		if (what != NULL)
			return fail_at(p, line,
			               "%s %s is the %s address of port \"%s\" "
			               "(%s/%u)",
			               who, ip_str(ip_be, 0), what, port->name,
			               ip_str(port->addr_be, 1),
			               port->prefix_len);
	} else {
		idx = port_default_route(c);
	}
	if (idx < 0)
		return fail_at(p, line,
		               "%s %s is not reachable from any port (no "
		               "subnet holds it and no outside port has a "
		               "gateway)",
		               who, ip_str(ip_be, 0));
	return idx;
}

/* The port a relay connects to <l>'s upstream from. */
static int
upstream_resolve(struct parser *p, struct conf_listen *l,
                 const struct listen_lines *ll)
{
	char who[sizeof(l->name) + 32];
	int idx;

	snprintf(who, sizeof(who), "listen \"%s\": upstream", l->name);
	idx = route_resolve(p, ll->upstream, who, l->upstream_ip_be);
	if (idx < 0)
		return idx;
	l->upstream_port_idx = (unsigned)idx;
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
		idx = route_resolve(p, p->nameserver_lines[i],
		                    "resolver: nameserver", r->server_ip_be[i]);
		if (idx < 0)
			return idx;
		if (first < 0)
			first = idx;
		else if (idx != first)
			return fail_at(
			    p, p->nameserver_lines[i],
			    "resolver: nameserver %s is reached from "
			    "port \"%s\", the first one from port "
			    "\"%s\" (queries leave from one port)",
			    ip_str(r->server_ip_be[i], 0), ports[idx].name,
			    ports[first].name);
	}
	if (first >= 0)
		r->port_idx = (unsigned)first;
	return 0;
}

/*
 * ooo-mbufs-max bounds each worker's out-of-order queues, and the workers
 * share each port's pool (it also fills the RX rings): all of them
 * together may hold at most half of mbufs-per-port.  Needs the global
 * section, which may come after the tcp section.  Reported at the
 * directive's line.
 */
static int
tcp_ooo_check(struct parser *p)
{
	const struct conf *c = p->c;
	uint64_t all = (uint64_t)c->tcp.ooo_mbufs_max * c->workers;

	if (all <= c->mbufs_per_port / 2)
		return 0;
	GH_VERIFY(p->ooo_mbufs_line != 0); /* the default 0 always fits */
	return fail_at(p, p->ooo_mbufs_line,
	               "tcp: ooo-mbufs-max %" PRIu32 " x workers %u = %" PRIu64
	               " is more than half of mbufs-per-port %" PRIu32,
	               c->tcp.ooo_mbufs_max, c->workers, all,
	               c->mbufs_per_port);
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
		idx = port_by_addr(c, l->bind_ip_be);
		if (idx < 0)
			return fail_at(p, ll->bind,
			               "listen \"%s\": bind %s is not an "
			               "address of any port",
			               l->name, ip_str(l->bind_ip_be, 0));
		l->bind_port_idx = (unsigned)idx;
		if (ll->cc == 0)
			l->cc = c->tcp.cc;
		if (l->mode == CONF_LISTEN_RELAY &&
		    upstream_resolve(p, l, ll) < 0)
			return -EINVAL;
		if (l->mode == CONF_LISTEN_FORWARD && c->resolver.line == 0)
			return fail_at(p, l->line,
			               "listen \"%s\": mode forward needs a "
			               "resolver section",
			               l->name);
	}
	return 0;
}

static int
parse_text(struct parser *p, const char *text, size_t len)
{
	const char *end = text + len, *nl;
	size_t n;

	while (text < end) {
		nl = memchr(text, '\n', (size_t)(end - text));
		n = nl != NULL ? (size_t)(nl - text) : (size_t)(end - text);
		p->line++;
		if (parse_line(p, text, n) < 0)
			return -EINVAL;
		text += n + (nl != NULL);
	}
	if (section_end(p) < 0)
		return -EINVAL;
	if (conf_port_find_role(p->c, CONF_PORT_INSIDE) < 0)
		return fail_at(p, 0, "no port with role inside");
	if (tcp_ooo_check(p) < 0)
		return -EINVAL;
	if (listeners_resolve(p) < 0)
		return -EINVAL;
	return resolver_resolve(p);
}

/* ---- public API ---- */

struct conf *
conf_parse(const char *name, const char *text, size_t len, char *err,
           size_t errlen)
{
	struct parser p = {0};
	struct conf *c;

	GH_VERIFY(text != NULL || len == 0);
	p.name = name != NULL ? name : "(config)";
	p.err = err;
	p.errlen = errlen;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (len > CONF_FILE_MAX) {
		fail_at(&p, 0, "larger than %u bytes", CONF_FILE_MAX);
		errno = EFBIG;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		fail_at(&p, 0, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	/* Magic first: conf_port_find_role() checks it during the parse. */
	c->magic = CONF_MAGIC;
	snprintf(c->path, sizeof(c->path), "%s", p.name);
	conf_defaults(c);
	p.c = c;
	if (parse_text(&p, text, len) < 0) {
		free(c);
		errno = EINVAL;
		return NULL;
	}
	return c;
}

/* Read all of <fd> (at most CONF_FILE_MAX bytes) into a new buffer. */
static int
read_all(int fd, char **out, size_t *out_len)
{
	size_t cap = CONF_FILE_MAX + 1, len = 0;
	char *buf = malloc(cap);
	ssize_t n;

	if (buf == NULL)
		return -ENOMEM;
	while (len < cap) {
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			n = -errno;
			free(buf);
			return (int)n;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	*out = buf;
	*out_len = len;
	return 0;
}

/* Open <path> and read it; on failure writes the message and returns
 * -errno. */
static int
load_file(const char *path, char **buf, size_t *len, char *err, size_t errlen)
{
	struct stat st;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		rc = -errno;
		set_err(err, errlen, "%s: cannot open: %s", path,
		        strerror(-rc));
		return rc;
	}
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		set_err(err, errlen, "%s: cannot stat: %s", path,
		        strerror(-rc));
	} else if (!S_ISREG(st.st_mode)) {
		rc = -EINVAL;
		set_err(err, errlen, "%s: not a regular file", path);
	} else {
		rc = read_all(fd, buf, len);
		if (rc < 0)
			set_err(err, errlen, "%s: cannot read: %s", path,
			        strerror(-rc));
	}
	close(fd);
	return rc;
}

struct conf *
conf_load(const char *path, char *err, size_t errlen)
{
	struct conf *c;
	char *buf = NULL;
	size_t len = 0;
	int rc, saved;

	GH_VERIFY(path != NULL);
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (strlen(path) >= FIELD_SIZE(struct conf, path)) {
		set_err(err, errlen, "%s: path is longer than %zu bytes", path,
		        FIELD_SIZE(struct conf, path) - 1);
		errno = ENAMETOOLONG;
		return NULL;
	}
	rc = load_file(path, &buf, &len, err, errlen);
	if (rc < 0) {
		errno = -rc;
		return NULL;
	}
	/* conf_parse() refuses len > CONF_FILE_MAX with EFBIG. */
	c = conf_parse(path, buf, len, err, errlen);
	saved = errno;
	free(buf);
	errno = saved;
	return c;
}

void
conf_free(struct conf *c)
{
	if (c == NULL)
		return;
	GH_CHECK_OBJ(c, CONF_MAGIC);
	c->magic = 0;
	free(c);
}

int
conf_port_find_role(const struct conf *c, enum conf_port_role role)
{
	unsigned i;

	GH_CHECK_OBJ_NOTNULL(c, CONF_MAGIC);
	GH_VERIFY(c->n_ports <= CONF_PORTS_MAX);
	for (i = 0; i < c->n_ports; i++)
		if (c->ports[i].role == role)
			return (int)i;
	return -ENOENT;
}
