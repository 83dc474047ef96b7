/*
 * Configuration file parser, the core: turns the HAProxy-like text described
 * in docs/configuration.md into a validated, immutable struct conf.  This
 * file reads the file, cuts it into lines and words, finds section headers
 * and directives in the tables of the section modules (sections[] below;
 * see conf_parse.h), keeps the line each directive was given on, calls the
 * modules' hooks and writes the one "file:line: what is wrong" message.
 *
 * The modules own everything about their directives: conf_global.c (global
 * and EAL settings), conf_port.c (ports, devices, addresses, routes),
 * conf_tcp.c, conf_listen.c (listen sections with the forward proxy),
 * conf_resolver.c, conf_log.c (access-log), conf_acl.c (acl lines and
 * http-access rules, compiled with lib/acl); conf_value.c holds the value
 * parsers they share.  Setters check their value at once, against the
 * sections read so far where it matters (shared addresses, overlapping
 * subnets, duplicate devices), so the error reported is always the first
 * one in file order.  Checks that need a whole section run when it ends;
 * those that need other sections (bind address, upstream and nameserver
 * routes, default congestion control, a resolver for forward listeners,
 * ooo-mbufs-max against mbufs-per-port) run when the whole file is read, in
 * the order of sections[], so sections may come in any order.
 * Nothing here prints or exits: a refusal is one "file:line: what is wrong"
 * message, errno, and NULL.
 */
#include <errno.h>
#include <fcntl.h>
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
#include "conf/conf_parse.h"

#define CONF_FILE_MAX \
	(16u << 20) /* bytes, whole file: 100,000s of acl values */

/* The kinds of section, indexed by enum section: the order directives are
 * looked up in (so "tcp or listen" in messages) and the whole-file checks
 * run in (the inside port, ooo-mbufs-max, listeners, resolver). */
static const struct section_kind *const sections[SECT_COUNT] = {
    [SECT_GLOBAL] = &conf_global_section,
    [SECT_PORT] = &conf_port_section,
    [SECT_TCP] = &conf_tcp_section,
    [SECT_LISTEN] = &conf_listen_section,
    [SECT_RESOLVER] = &conf_resolver_section,
    [SECT_ACCESS_LOG] = &conf_access_log_section,
    [SECT_ACL] = &conf_acl_section,
    [SECT_POOL] = &conf_pool_section,
};

/* ---- messages ---- */

/* Write "name:line: <fmt>" (or "name: <fmt>" when line is 0) into the
 * caller's buffer.  Returns -EINVAL so setters can `return conf_fail(...)`. */
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

int
conf_fail_at(struct parser *p, unsigned line, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vfail_at(p, line, fmt, ap);
	va_end(ap);
	return rc;
}

int
conf_fail(struct parser *p, const char *fmt, ...)
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

/* ---- words ---- */

static char *
skip_blanks(char *s)
{
	while (conf_is_blank(*s))
		s++;
	return s;
}

char *
conf_cut_word(char *s)
{
	while (*s != '\0' && !conf_is_blank(*s))
		s++;
	if (*s == '\0')
		return s;
	*s = '\0';
	return skip_blanks(s + 1);
}

/* ---- directives and sections ---- */

/* The directive called <name> in section <sect>, else the first one of
 * that name in any section (SECT_NONE: just that); NULL if none. */
static const struct directive *
directive_find(const char *name, enum section sect)
{
	const struct directive *any = NULL, *d;
	const struct section_kind *k;
	size_t i, s;

	for (s = SECT_GLOBAL; s < SECT_COUNT; s++) {
		k = sections[s];
		for (i = 0; i < k->n_directives; i++) {
			d = &k->directives[i];
			if (strcmp(d->name, name) != 0)
				continue;
			if (d->sect == sect)
				return d;
			if (any == NULL)
				any = d;
		}
	}
	return any;
}

static const char *
section_name(enum section s)
{
	if (s > SECT_NONE && s < SECT_COUNT)
		return sections[s]->name;
	GH_WRONG("no such section");
	return "";
}

/* The kinds of section where <name> is a directive, "tcp or listen", into
 * <buf>. */
static const char *
sections_of(const char *name, char *buf, size_t len)
{
	const struct section_kind *k;
	size_t i, s, n = 0;

	buf[0] = '\0';
	for (s = SECT_GLOBAL; s < SECT_COUNT; s++) {
		k = sections[s];
		for (i = 0; i < k->n_directives && n < len; i++)
			if (strcmp(k->directives[i].name, name) == 0)
				n += (size_t)snprintf(
				    buf + n, len - n, "%s%s",
				    n > 0 ? " or " : "",
				    section_name(k->directives[i].sect));
	}
	return buf;
}

/* Close the current section and run the checks that need all of it. */
static int
section_end(struct parser *p)
{
	const struct section_kind *k;

	if (p->sect != SECT_NONE) {
		k = sections[p->sect];
		if (k->end != NULL && k->end(p) < 0)
			return -EINVAL;
	}
	p->port = NULL;
	p->listen = NULL;
	p->pool = NULL;
	p->sect = SECT_NONE;
	memset(p->seen, 0, sizeof(p->seen));
	return 0;
}

int
conf_header_once(struct parser *p, const char *rest, enum section sect,
                 unsigned *line)
{
	const char *kind = section_name(sect);

	if (*rest != '\0')
		return conf_fail(p, "%s: unexpected argument \"%s\"", kind,
		                 rest);
	if (*line != 0)
		return conf_fail(p, "%s section already given at line %u", kind,
		                 *line);
	*line = p->line;
	p->sect = sect;
	return 0;
}

int
conf_section_name_check(struct parser *p, const char *kind, char *rest)
{
	char *extra = conf_cut_word(rest);

	if (*rest == '\0')
		return conf_fail(p, "%s: missing name", kind);
	if (*extra != '\0')
		return conf_fail(p, "%s %s: unexpected argument \"%s\"", kind,
		                 rest, extra);
	if (!conf_is_name(rest, CONF_NAME_MAX))
		return conf_fail(p,
		                 "%s: invalid name \"%s\" (1 to %u of "
		                 "A-Z a-z 0-9 _ -)",
		                 kind, rest, CONF_NAME_MAX - 1);
	return 0;
}

/* A line starting at column 0. */
static int
parse_header(struct parser *p, char *s)
{
	char *rest = conf_cut_word(s);
	size_t i;

	if (section_end(p) < 0)
		return -EINVAL;
	for (i = SECT_GLOBAL; i < SECT_COUNT; i++)
		if (strcmp(s, sections[i]->name) == 0)
			return sections[i]->begin(p, rest);
	if (directive_find(s, SECT_NONE) != NULL)
		return conf_fail(p,
		                 "unknown section \"%s\" (directives must be "
		                 "indented)",
		                 s);
	return conf_fail(p, "unknown section \"%s\"", s);
}

/* An indented line. */
static int
parse_directive(struct parser *p, char *s)
{
	const struct directive *d;
	char *rest = conf_cut_word(s), *extra;
	char where[64];
	unsigned *seen;
	size_t row;

	d = directive_find(s, p->sect);
	if (p->sect == SECT_NONE)
		return conf_fail(p, "directive \"%s\" outside any section", s);
	if (d == NULL)
		return conf_fail(p, "unknown directive \"%s\" in %s section", s,
		                 section_name(p->sect));
	if (d->sect != p->sect)
		return conf_fail(p,
		                 "unknown directive \"%s\" in %s section (it "
		                 "belongs in %s sections)",
		                 s, section_name(p->sect),
		                 sections_of(s, where, sizeof(where)));
	if (*rest == '\0')
		return conf_fail(p, "%s: missing argument", d->name);
	if (!d->rest_of_line) {
		extra = conf_cut_word(rest);
		if (*extra != '\0')
			return conf_fail(p, "%s: unexpected argument \"%s\"",
			                 d->name, extra);
	}
	row = (size_t)(d - sections[p->sect]->directives);
	GH_VERIFY(row < sections[p->sect]->n_directives);
	seen = &p->seen[row];
	if (*seen != 0 && !d->repeatable)
		return conf_fail(p, "%s: already given at line %u", d->name,
		                 *seen);
	if (*seen == 0)
		*seen = p->line;
	return d->set(p, d, rest);
}

/* ---- lines ---- */

/* Drop a comment ('#' at the start or after a blank) and trailing blanks. */
static void
strip_comment(char *s)
{
	size_t i, n;

	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] == '#' && (i == 0 || conf_is_blank(s[i - 1]))) {
			s[i] = '\0';
			break;
		}
	}
	n = strlen(s);
	while (n > 0 && conf_is_blank(s[n - 1]))
		s[--n] = '\0';
}

static int
parse_line(struct parser *p, const char *text, size_t len)
{
	char buf[CONF_LINE_MAX_BYTES + 1];
	char *s;

	if (len > CONF_LINE_MAX_BYTES)
		return conf_fail(p, "line is longer than %u bytes",
		                 CONF_LINE_MAX_BYTES);
	if (memchr(text, '\0', len) != NULL)
		return conf_fail(p, "line contains a NUL byte");
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

static int
parse_text(struct parser *p, const char *text, size_t len)
{
	const char *end = text + len, *nl;
	size_t n, i;

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
	for (i = SECT_GLOBAL; i < SECT_COUNT; i++)
		if (sections[i]->file_end != NULL &&
		    sections[i]->file_end(p) < 0)
			return -EINVAL;
	return 0;
}

/* ---- public API ---- */

struct conf *
conf_parse(const char *name, const char *text, size_t len, char *err,
           size_t errlen)
{
	struct parser p = {0};
	struct conf *c;
	size_t i;

	GH_VERIFY(text != NULL || len == 0);
	p.name = name != NULL ? name : "(config)";
	p.err = err;
	p.errlen = errlen;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (len > CONF_FILE_MAX) {
		conf_fail_at(&p, 0, "larger than %u bytes", CONF_FILE_MAX);
		errno = EFBIG;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		conf_fail_at(&p, 0, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	/* Magic first: conf_port_find_role() checks it during the parse. */
	c->magic = CONF_MAGIC;
	snprintf(c->path, sizeof(c->path), "%s", p.name);
	for (i = SECT_GLOBAL; i < SECT_COUNT; i++)
		if (sections[i]->defaults != NULL)
			sections[i]->defaults(c);
	p.c = c;
	if (parse_text(&p, text, len) < 0) {
		conf_acl_parse_done(&p);
		conf_acl_sets_free(c);
		conf_auth_free(c);
		conf_rev_put(c->rev);
		free(c);
		errno = EINVAL;
		return NULL;
	}
	conf_acl_parse_done(&p);
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
	if (strlen(path) >= CONF_FIELD_SIZE(struct conf, path)) {
		set_err(err, errlen, "%s: path is longer than %zu bytes", path,
		        CONF_FIELD_SIZE(struct conf, path) - 1);
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
	conf_acl_sets_free(c);
	conf_auth_free(c);
	conf_rev_put(c->rev);
	c->rev = NULL;
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
