/*
 * The `global` section of the configuration: workers and their CPUs, the
 * idle back-off, the control socket, the management (Prometheus) address,
 * EAL's settings (file prefix,
 * hugepages, memory, mbufs, extra arguments) and the neighbour (ARP)
 * settings.  Its directives, setters and defaults; the section has no
 * checks of its own at its end (ooo-mbufs-max against mbufs-per-port is the
 * tcp module's).  Registered with the parser core as conf_global_section
 * (conf_parse.h).
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "common/gh_common.h"
#include "conf/conf_parse.h"

#define CPU_ID_MAX 1023u

#define DEFAULT_CONTROL_SOCKET "/run/gatehouse/gatehouse.sock"
#define DEFAULT_FILE_PREFIX    "gatehouse"
/* Not Prometheus' own 9090: a Prometheus server may run on the host. */
#define DEFAULT_MGMT_IP   0x7f000001u /* 127.0.0.1 */
#define DEFAULT_MGMT_PORT 9190

/* Index of each directive in global_directives[] (and parser.seen[]). */
enum global_directive_id {
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
	D_MGMT_LISTEN,
	D_COUNT,
};

_Static_assert(D_COUNT <= CONF_SECTION_ROWS_MAX, "parser.seen[] holds them");

static int
set_control_cpu(struct parser *p, const struct directive *d, const char *arg)
{
	uint64_t v = 0;
	int rc;

	rc = conf_want_number(p, d->name, "", arg, 0, CPU_ID_MAX, &v);
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
		return conf_fail(p, "%s: empty element in \"%s\"", d->name,
		                 list);
	if (c->n_worker_cpus == CONF_WORKERS_MAX)
		return conf_fail(p, "%s: more than %u CPUs in \"%s\"", d->name,
		                 CONF_WORKERS_MAX, list);
	rc = conf_want_number(p, d->name, "CPU ", s, 0, CPU_ID_MAX, &v);
	if (rc < 0)
		return rc;
	for (i = 0; i < c->n_worker_cpus; i++)
		if (c->worker_cpus[i] == (int)v)
			return conf_fail(p, "%s: CPU %s is listed twice",
			                 d->name, s);
	c->worker_cpus[c->n_worker_cpus++] = (int)v;
	return 0;
}

static int
set_cpus(struct parser *p, const struct directive *d, const char *arg)
{
	char buf[CONF_LINE_MAX_BYTES + 1];
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

static int
set_busy_poll(struct parser *p, const struct directive *d, const char *arg)
{
	return conf_want_on_off(p, d, arg, &p->c->busy_poll);
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
		return conf_fail(p, "%s: \"%s\" is not auto, on or off",
		                 d->name, arg);
	return 0;
}

static int
set_control_socket(struct parser *p, const struct directive *d, const char *arg)
{
	return conf_want_abs_path(p, d, arg, p->c->control_socket,
	                          sizeof(p->c->control_socket));
}

/* "A.B.C.D:PORT" or "off".  Any address of the host may be given (an
 * address on the management network, 0.0.0.0): the socket is the
 * kernel's, never on the data ports. */
static int
set_mgmt_listen(struct parser *p, const struct directive *d, const char *arg)
{
	uint32_t ip_be = 0;
	uint16_t port_be = 0;

	if (strcmp(arg, "off") == 0) {
		p->c->mgmt_ip_be = 0;
		p->c->mgmt_port_be = 0;
		return 0;
	}
	if (conf_want_ip_port(p, d, arg, &ip_be, &port_be) < 0)
		return -EINVAL;
	if ((ntohl(ip_be) >> 28) >= 14)
		return conf_fail(p, "%s: %s is a multicast or reserved address",
		                 d->name, conf_ip_str(ip_be, 0));
	p->c->mgmt_ip_be = ip_be;
	p->c->mgmt_port_be = port_be;
	return 0;
}

static int
set_file_prefix(struct parser *p, const struct directive *d, const char *arg)
{
	if (!conf_is_name(arg, sizeof(p->c->file_prefix)))
		return conf_fail(
		    p, "%s: invalid \"%s\" (1 to %zu of A-Z a-z 0-9 _ -)",
		    d->name, arg, sizeof(p->c->file_prefix) - 1);
	strcpy(p->c->file_prefix, arg);
	return 0;
}

static int
set_eal_arg(struct parser *p, const struct directive *d, const char *arg)
{
	struct conf *c = p->c;

	if (c->n_eal_args == CONF_EAL_ARGS_MAX)
		return conf_fail(
		    p, "%s: more than %u given, \"%s\" is one too many",
		    d->name, CONF_EAL_ARGS_MAX, arg);
	if (strlen(arg) >= CONF_EAL_ARG_MAX)
		return conf_fail(p, "%s: \"%s\" is longer than %u bytes",
		                 d->name, arg, CONF_EAL_ARG_MAX - 1);
	strcpy(c->eal_args[c->n_eal_args++], arg);
	return 0;
}

#define NUM_GLOBAL(n, field, lo, hi) \
	CONF_NUM(n, SECT_GLOBAL, struct conf, field, lo, hi, false, 0)

static const struct directive global_directives[D_COUNT] = {
    [D_WORKERS] = NUM_GLOBAL("workers", workers, 1, CONF_WORKERS_MAX),
    [D_CPUS] = CONF_FUNC("cpus", SECT_GLOBAL, set_cpus),
    [D_CONTROL_CPU] = CONF_FUNC("control-cpu", SECT_GLOBAL, set_control_cpu),
    [D_BUSY_POLL] = CONF_FUNC("busy-poll", SECT_GLOBAL, set_busy_poll),
    [D_IDLE_SPIN_POLLS] =
        NUM_GLOBAL("idle-spin-polls", idle_spin_polls, 1, 1000000),
    [D_IDLE_SLEEP_MAX_US] =
        NUM_GLOBAL("idle-sleep-max-us", idle_sleep_max_us, 0, 100000),
    [D_CONTROL_SOCKET] =
        CONF_FUNC("control-socket", SECT_GLOBAL, set_control_socket),
    [D_FILE_PREFIX] = CONF_FUNC("file-prefix", SECT_GLOBAL, set_file_prefix),
    [D_HUGEPAGES] = CONF_FUNC("hugepages", SECT_GLOBAL, set_hugepages),
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
    [D_MGMT_LISTEN] =
        CONF_FUNC("management-listen", SECT_GLOBAL, set_mgmt_listen),
};

static void
global_defaults(struct conf *c)
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
	c->mgmt_ip_be = htonl(DEFAULT_MGMT_IP);
	c->mgmt_port_be = htons(DEFAULT_MGMT_PORT);
}

static int
global_begin(struct parser *p, char *rest)
{
	return conf_header_once(p, rest, SECT_GLOBAL, &p->global_line);
}

const struct section_kind conf_global_section = {
    .name = "global",
    .directives = global_directives,
    .n_directives = GH_ARRAY_SIZE(global_directives),
    .defaults = global_defaults,
    .begin = global_begin,
};
