/*
 * Value parsers shared by the section modules of lib/conf: names, decimal
 * numbers in a range (and the generic setter of CONF_NUM rows), on | off,
 * absolute paths, IPv4 addresses and prefixes.  Each returns 0 or -EINVAL
 * with the "file:line: what is wrong" message (conf_fail()); the address
 * helpers are predicates and formatters.  Prototypes in conf_parse.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/gh_common.h"
#include "conf/conf_parse.h"

bool
conf_is_name(const char *s, size_t max)
{
	size_t n;

	for (n = 0; s[n] != '\0'; n++)
		if (!conf_is_alnum(s[n]) && s[n] != '_' && s[n] != '-')
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
		if (!conf_is_digit(*q))
			return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	GH_VERIFY(*end == '\0');
	*out = v;
	return 0;
}

int
conf_want_number(struct parser *p, const char *dname, const char *what,
                 const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	int rc;

	rc = parse_decimal(s, out);
	if (rc == -EINVAL)
		return conf_fail(p, "%s: %s\"%s\" is not a decimal number",
		                 dname, what, s);
	if (rc < 0 || *out < min || *out > max)
		return conf_fail(
		    p, "%s: %s%s is out of range %" PRIu64 "..%" PRIu64, dname,
		    what, s, min, max);
	return 0;
}

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

int
conf_set_number(struct parser *p, const struct directive *d, const char *arg)
{
	uint64_t v = 0, scale = d->scale != 0 ? d->scale : 1;
	char *base = NULL;
	int rc;

	rc = conf_want_number(p, d->name, "", arg, d->min, d->max, &v);
	if (rc < 0)
		return rc;
	if (d->pow2 && (v & (v - 1)) != 0)
		return conf_fail(p, "%s: %s is not a power of two", d->name,
		                 arg);
	switch (d->sect) {
	case SECT_PORT:
		base = (char *)p->port;
		break;
	case SECT_LISTEN:
		base = (char *)p->listen;
		break;
	case SECT_POOL:
		base = (char *)p->pool;
		break;
	case SECT_GLOBAL:
	case SECT_TCP:        /* offsets into struct conf: tcp.field */
	case SECT_RESOLVER:   /* resolver.field */
	case SECT_ACCESS_LOG: /* access_log.field */
		base = (char *)p->c;
		break;
	default:
		GH_WRONG("conf_set_number in a section without numbers");
	}
	GH_VERIFY(d->max <= field_max(d->size) / scale);
	store_number(base + d->off, d->size, v * scale);
	return 0;
}

int
conf_want_on_off(struct parser *p, const struct directive *d, const char *arg,
                 bool *out)
{
	if (strcmp(arg, "on") == 0)
		*out = true;
	else if (strcmp(arg, "off") == 0)
		*out = false;
	else
		return conf_fail(p, "%s: \"%s\" is not on or off", d->name,
		                 arg);
	return 0;
}

int
conf_want_abs_path(struct parser *p, const struct directive *d, const char *arg,
                   char *buf, size_t len)
{
	if (arg[0] != '/')
		return conf_fail(p, "%s: \"%s\" is not an absolute path",
		                 d->name, arg);
	if (strlen(arg) >= len)
		return conf_fail(p, "%s: \"%s\" is longer than %zu bytes",
		                 d->name, arg, len - 1);
	strcpy(buf, arg);
	return 0;
}

/* ---- IPv4 addresses ---- */

uint32_t
conf_prefix_mask(unsigned prefix_len)
{
	GH_VERIFY(prefix_len <= 32);
	return prefix_len == 0 ? 0 : UINT32_MAX << (32 - prefix_len);
}

const char *
conf_ip_str(uint32_t addr_be, unsigned slot)
{
	static char buf[2][INET_ADDRSTRLEN];

	GH_VERIFY(slot < GH_ARRAY_SIZE(buf));
	GH_AN(inet_ntop(AF_INET, &addr_be, buf[slot], sizeof(buf[slot])));
	return buf[slot];
}

bool
conf_parse_ipv4(const char *s, uint32_t *addr_be)
{
	return inet_pton(AF_INET, s, addr_be) == 1;
}

bool
conf_is_unicast(uint32_t addr)
{
	uint32_t first = addr >> 24;

	return first != 0 && first != 127 && first < 224;
}

const char *
conf_host_part_problem(uint32_t addr, unsigned prefix_len)
{
	uint32_t host = addr & ~conf_prefix_mask(prefix_len);

	if (prefix_len > 30)
		return NULL;
	if (host == 0)
		return "network";
	if (host == ~conf_prefix_mask(prefix_len))
		return "broadcast";
	return NULL;
}

/* Parse "A.B.C.D:PORT" (port 1..65535) into network order. */
int
conf_want_ip_port(struct parser *p, const struct directive *d, const char *arg,
                  uint32_t *ip_be, uint16_t *port_be)
{
	char ip[INET_ADDRSTRLEN];
	const char *colon = strchr(arg, ':');
	uint64_t port = 0;

	if (colon == NULL)
		return conf_fail(p, "%s: \"%s\" has no port (A.B.C.D:PORT)",
		                 d->name, arg);
	if ((size_t)(colon - arg) >= sizeof(ip))
		return conf_fail(p, "%s: \"%.*s\" is not an IPv4 address",
		                 d->name, (int)(colon - arg), arg);
	memcpy(ip, arg, (size_t)(colon - arg));
	ip[colon - arg] = '\0';
	if (!conf_parse_ipv4(ip, ip_be))
		return conf_fail(p, "%s: \"%s\" is not an IPv4 address",
		                 d->name, ip);
	if (conf_want_number(p, d->name, "port ", colon + 1, 1, UINT16_MAX,
	                     &port) < 0)
		return -EINVAL;
	*port_be = htons((uint16_t)port);
	return 0;
}
