/*
 * The `access-log` section of the configuration: where the forward proxy's
 * access log goes, its format and the size of the per-worker rings.  Its
 * directives, setters and defaults, and the check at its end (a path is
 * required).  Registered with the parser core as conf_access_log_section
 * (conf_parse.h).
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/gh_common.h"
#include "conf/conf_parse.h"

/* Index of each directive in access_log_directives[] (and parser.seen[]). */
enum access_log_directive_id {
	D_LOG_PATH = 0,
	D_LOG_FORMAT,
	D_LOG_RING_SLOTS,
	D_COUNT,
};

_Static_assert(D_COUNT <= CONF_SECTION_ROWS_MAX, "parser.seen[] holds them");

static int
set_log_path(struct parser *p, const struct directive *d, const char *arg)
{
	return conf_want_abs_path(p, d, arg, p->c->access_log.path,
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
		return conf_fail(p, "%s: \"%s\" is not squid, combined or json",
		                 d->name, arg);
	return 0;
}

static const struct directive access_log_directives[D_COUNT] = {
    [D_LOG_PATH] = CONF_FUNC("path", SECT_ACCESS_LOG, set_log_path),
    [D_LOG_FORMAT] = CONF_FUNC("format", SECT_ACCESS_LOG, set_log_format),
    [D_LOG_RING_SLOTS] = CONF_NUM("ring-slots", SECT_ACCESS_LOG, struct conf,
                                  access_log.ring_slots, 64, 1048576, true, 0),
};

static void
access_log_defaults(struct conf *c)
{
	c->access_log.format = CONF_LOG_SQUID;
	c->access_log.ring_slots = 4096;
}

static int
access_log_begin(struct parser *p, char *rest)
{
	return conf_header_once(p, rest, SECT_ACCESS_LOG,
	                        &p->c->access_log.line);
}

/* An access log needs a path. */
static int
access_log_section_end(struct parser *p)
{
	if (p->seen[D_LOG_PATH] == 0)
		return conf_fail_at(p, p->c->access_log.line,
		                    "access-log: path is required");
	return 0;
}

const struct section_kind conf_access_log_section = {
    .name = "access-log",
    .directives = access_log_directives,
    .n_directives = GH_ARRAY_SIZE(access_log_directives),
    .defaults = access_log_defaults,
    .begin = access_log_begin,
    .end = access_log_section_end,
};
