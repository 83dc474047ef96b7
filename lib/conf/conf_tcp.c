/*
 * The `tcp` section of the configuration: the userspace TCP stack's
 * limits, buffers, timers, retries, ephemeral ports and congestion control
 * (all per worker).  Its directives, setters and defaults (every field of
 * struct conf_tcp holds a value, section or not), the check at its end
 * (rto-max-ms not below rto-min-ms) and the whole-file one (ooo-mbufs-max
 * times workers within half of mbufs-per-port, from the global section).
 * conf_want_cc() also serves listen sections.  Registered with the parser
 * core as conf_tcp_section (conf_parse.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/gh_common.h"
#include "conf/conf_parse.h"

/* Index of each directive in tcp_directives[] (and parser.seen[]). */
enum tcp_directive_id {
	D_MAX_CONNS = 0,
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
	D_COUNT,
};

_Static_assert(D_COUNT <= CONF_SECTION_ROWS_MAX, "parser.seen[] holds them");

int
conf_want_cc(struct parser *p, const struct directive *d, const char *arg,
             enum conf_cc *out)
{
	if (strcmp(arg, "cubic") == 0)
		*out = CONF_CC_CUBIC;
	else if (strcmp(arg, "newreno") == 0)
		*out = CONF_CC_NEWRENO;
	else
		return conf_fail(p, "%s: \"%s\" is not cubic or newreno",
		                 d->name, arg);
	return 0;
}

static int
set_tcp_cc(struct parser *p, const struct directive *d, const char *arg)
{
	return conf_want_cc(p, d, arg, &p->c->tcp.cc);
}

/* LO-HI: both 1024..65535, LO below HI, at least 1024 ports. */
static int
set_ephemeral_ports(struct parser *p, const struct directive *d,
                    const char *arg)
{
	char lo_s[CONF_LINE_MAX_BYTES + 1];
	const char *dash = strchr(arg, '-');
	uint64_t lo = 0, hi = 0;

	if (dash == NULL)
		return conf_fail(p, "%s: \"%s\" is not a range LO-HI", d->name,
		                 arg);
	GH_VERIFY((size_t)(dash - arg) < sizeof(lo_s));
	memcpy(lo_s, arg, (size_t)(dash - arg));
	lo_s[dash - arg] = '\0';
	if (conf_want_number(p, d->name, "low port ", lo_s, 1024, UINT16_MAX,
	                     &lo) < 0 ||
	    conf_want_number(p, d->name, "high port ", dash + 1, 1024,
	                     UINT16_MAX, &hi) < 0)
		return -EINVAL;
	if (lo >= hi)
		return conf_fail(p, "%s: %s: low port is not below high port",
		                 d->name, arg);
	if (hi - lo + 1 < 1024)
		return conf_fail(
		    p, "%s: %s holds %" PRIu64 " ports, fewer than 1024",
		    d->name, arg, hi - lo + 1);
	p->c->tcp.ephemeral_lo = (uint16_t)lo;
	p->c->tcp.ephemeral_hi = (uint16_t)hi;
	return 0;
}

/* A tcp section number: offset into struct conf, stored times <sc>. */
#define NUM_TCP(n, field, lo, hi, sc) \
	CONF_NUM(n, SECT_TCP, struct conf, tcp.field, lo, hi, false, sc)

static const struct directive tcp_directives[D_COUNT] = {
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
        CONF_FUNC("ephemeral-ports", SECT_TCP, set_ephemeral_ports),
    /* Also a directive of listen sections: one row in each table, found
     * by section. */
    [D_TCP_CC] = CONF_FUNC("congestion-control", SECT_TCP, set_tcp_cc),
};

static void
tcp_defaults(struct conf *c)
{
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
}

static int
tcp_begin(struct parser *p, char *rest)
{
	return conf_header_once(p, rest, SECT_TCP, &p->c->tcp.line);
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
	return conf_fail_at(
	    p, line, "tcp: rto-max-ms %" PRIu32 " is below rto-min-ms %" PRIu32,
	    t->rto_max_ms, t->rto_min_ms);
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
	return conf_fail_at(
	    p, p->ooo_mbufs_line,
	    "tcp: ooo-mbufs-max %" PRIu32 " x workers %u = %" PRIu64
	    " is more than half of mbufs-per-port %" PRIu32,
	    c->tcp.ooo_mbufs_max, c->workers, all, c->mbufs_per_port);
}

const struct section_kind conf_tcp_section = {
    .name = "tcp",
    .directives = tcp_directives,
    .n_directives = GH_ARRAY_SIZE(tcp_directives),
    .defaults = tcp_defaults,
    .begin = tcp_begin,
    .end = tcp_section_end,
    .file_end = tcp_ooo_check,
};
