/*
 * Access control in the configuration (issue 13): Squid-like
 * `acl NAME KIND VALUES...` lines at the top level (each one a section of
 * its own with no directives, so it may come anywhere between sections) and
 * the ordered `http-access allow|deny [!]NAME...` rules of a forward
 * `listen` section.  An acl line is checked at once against a scratch
 * builder of lib/acl (so a bad value is reported at its line, in file
 * order); the lines are kept until the whole file is read, then every
 * forward listener gets its own compiled set: all acl elements, then its
 * http-access rules, or, when it has none, the implicit rule
 * `allow <allow-src>` (the old behaviour).  The sets belong to the
 * snapshot and conf_free() frees them.  Registered as conf_acl_section.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl/acl.h"
#include "common/gh_common.h"
#include "conf/conf.h"
#include "conf/conf_parse.h"

/* The element that allow-src becomes when a listener has no http-access
 * rules; the dot keeps it apart from every name an acl line may use. */
#define ACL_IMPLICIT_SRC "gh.allow-src"

/* One acl line (listener < 0) or one http-access rule of listener
 * <listener>. */
struct acl_line {
	unsigned line;
	int listener;
	int kind;   /* acl line: enum acl_kind; rule: enum acl_action */
	char *name; /* acl line: the element; rule: NULL */
	char *text; /* acl line: the values; rule: the [!]NAMEs */
};

struct conf_acl_state {
	struct acl_build *check; /* acl lines as they come: errors at once */
	struct acl_line *lines;
	size_t n;
	size_t cap;
};

static struct conf_acl_state *
state_get(struct parser *p)
{
	if (p->acl == NULL)
		p->acl = calloc(1, sizeof(*p->acl));
	return p->acl;
}

/* Appends a line taking <name> and <text> (freed here on failure). */
static int
line_push(struct parser *p, int listener, int kind, char *name, char *text)
{
	struct conf_acl_state *st = state_get(p);
	struct acl_line *nl;
	size_t cap;

	if (st == NULL || text == NULL)
		goto nomem;
	if (st->n == st->cap) {
		cap = st->cap != 0 ? st->cap * 2 : 64;
		nl = realloc(st->lines, cap * sizeof(*nl));
		if (nl == NULL)
			goto nomem;
		st->lines = nl;
		st->cap = cap;
	}
	st->lines[st->n++] = (struct acl_line){.line = p->line,
	                                       .listener = listener,
	                                       .kind = kind,
	                                       .name = name,
	                                       .text = text};
	return 0;
nomem:
	free(name);
	free(text);
	return conf_fail(p, "out of memory");
}

/* `acl NAME KIND [VALUES]`: <rest> is what follows the word acl. */
static int
acl_begin(struct parser *p, char *rest)
{
	struct conf_acl_state *st = state_get(p);
	char *kind_word, *values;
	struct acl_err err;
	int kind, rc;

	p->sect = SECT_ACL;
	if (st == NULL)
		return conf_fail(p, "out of memory");
	kind_word = conf_cut_word(rest);
	values = conf_cut_word(kind_word);
	if (*rest == '\0' || *kind_word == '\0')
		return conf_fail(p,
		                 "acl: expected \"acl NAME KIND VALUES...\"");
	if (!conf_is_name(rest, ACL_NAME_MAX_BYTES + 1))
		return conf_fail(p,
		                 "acl: invalid name \"%s\" (1 to %u of A-Z a-z "
		                 "0-9 _ -)",
		                 rest, ACL_NAME_MAX_BYTES);
	kind = acl_kind_parse(kind_word);
	if (kind < 0)
		return conf_fail(
		    p,
		    "acl %s: unknown kind \"%s\" (src, dst, "
		    "dstdomain, port, method, url_prefix, url_regex, "
		    "scheme, connect, user, group, time, header)",
		    rest, kind_word);
	if (*values == '\0' && kind != ACL_KIND_CONNECT)
		return conf_fail(p, "acl %s: %s needs at least one value", rest,
		                 kind_word);
	if (st->check == NULL)
		st->check = acl_build_new();
	if (st->check == NULL)
		return conf_fail(p, "out of memory");
	rc = acl_elem_add(st->check, rest, (enum acl_kind)kind, values, &err);
	if (rc < 0)
		return conf_fail(p, "acl %s: %s", rest, err.msg);
	return line_push(p, -1, kind, strdup(rest), strdup(values));
}

int
conf_set_http_access(struct parser *p, const struct directive *d,
                     const char *arg)
{
	char buf[CONF_LINE_MAX_BYTES + 1];
	char *s, *next, *names, *kept;
	unsigned n = 0;
	int action;

	GH_VERIFY(strlen(arg) < sizeof(buf) && p->c->n_listeners > 0);
	strcpy(buf, arg);
	names = conf_cut_word(buf);
	kept = names; /* the [!]NAMEs as given, before the loop cuts them */
	if (strcmp(buf, "allow") == 0)
		action = ACL_ALLOW;
	else if (strcmp(buf, "deny") == 0)
		action = ACL_DENY;
	else
		return conf_fail(p, "%s: \"%s\" is not allow or deny", d->name,
		                 buf);
	/* Each turn consumes at least one character of buf. */
	for (s = names; *s != '\0'; s = next) {
		next = conf_cut_word(s);
		if (++n > ACL_RULE_ELEMS_MAX)
			return conf_fail(p, "%s: more than %u acl names",
			                 d->name, ACL_RULE_ELEMS_MAX);
		if (!conf_is_name(s + (*s == '!'), ACL_NAME_MAX_BYTES + 1))
			return conf_fail(p, "%s: \"%s\" is not an acl name",
			                 d->name, s);
	}
	return line_push(p, (int)p->c->n_listeners - 1, action, NULL,
	                 strdup(arg + (kept - buf)));
}

/* ---- compiling, once the whole file is read ---- */

static int
name_cmp(const void *a, const void *b)
{
	const struct acl_line *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

/* Kinds that the check after DNS cannot see (conf_acl_rule_add). */
static bool
kind_needs_head(int kind)
{
	return kind == ACL_KIND_DSTDOMAIN || kind == ACL_KIND_URL_PREFIX ||
	       kind == ACL_KIND_URL_REGEX || kind == ACL_KIND_HEADER;
}

/* A user or group acl needs the listener's users (and groups): a user
 * name comes only from credentials checked against them. */
static int
auth_check_kind(struct parser *p, const struct acl_line *r, int kind,
                const char *name)
{
	const struct conf_listen *l = &p->c->listeners[r->listener];

	if (kind != ACL_KIND_USER && kind != ACL_KIND_GROUP)
		return 0;
	if (l->fwd.auth == NULL)
		return conf_fail_at(p, r->line,
		                    "http-access: acl \"%s\" (%s) needs "
		                    "auth-users in listen \"%s\"",
		                    name, acl_kind_name((enum acl_kind)kind),
		                    l->name);
	if (kind == ACL_KIND_GROUP && l->fwd.auth_groups_path[0] == '\0')
		return conf_fail_at(p, r->line,
		                    "http-access: acl \"%s\" (group) needs "
		                    "auth-groups in listen \"%s\"",
		                    name, l->name);
	return 0;
}

/*
 * Adds rule <r> to <b>.  The proxy checks a request whose verdict needs a
 * dst address again once it has one, from what it keeps of the request
 * (source, address, port, method, scheme, time): from the first rule
 * with a dst element on, a rule may not use a kind only the request head
 * has.  <dst_line> is the line of that first rule, 0 before it.
 */
static int
rule_add(struct parser *p, struct acl_build *b, const struct acl_line *r,
         struct acl_line **idx, size_t n_idx, unsigned *dst_line)
{
	char buf[CONF_LINE_MAX_BYTES + 1];
	const char *names[ACL_RULE_ELEMS_MAX];
	int neg[ACL_RULE_ELEMS_MAX];
	struct acl_line key = {0}, *kp = &key, **hit;
	struct acl_err err;
	unsigned n = 0, i;
	char *s, *next;

	GH_VERIFY(strlen(r->text) < sizeof(buf));
	strcpy(buf, r->text);
	for (s = buf; *s != '\0' && n < ACL_RULE_ELEMS_MAX; s = next) {
		next = conf_cut_word(s);
		neg[n] = *s == '!';
		names[n++] = s + (*s == '!');
	}
	for (i = 0; i < n; i++) {
		key.name = (char *)names[i];
		hit = bsearch(&kp, idx, n_idx, sizeof(*idx), name_cmp);
		if (hit == NULL)
			return conf_fail_at(p, r->line,
			                    "http-access: no acl named \"%s\"",
			                    names[i]);
		if ((*hit)->kind == ACL_KIND_DST && *dst_line == 0)
			*dst_line = r->line;
		if (auth_check_kind(p, r, (*hit)->kind, names[i]) < 0)
			return -EINVAL;
	}
	for (i = 0; i < n && *dst_line != 0; i++) {
		key.name = (char *)names[i];
		hit = bsearch(&kp, idx, n_idx, sizeof(*idx), name_cmp);
		if (kind_needs_head((*hit)->kind))
			return conf_fail_at(
			    p, r->line,
			    "http-access: acl \"%s\" (%s) cannot be used in or "
			    "after a rule with a dst acl (line %u): that rule "
			    "is judged again after DNS, without the request "
			    "head; put this rule before it",
			    names[i],
			    acl_kind_name((enum acl_kind)(*hit)->kind),
			    *dst_line);
	}
	if (acl_rule_add(b, (enum acl_action)r->kind, r->line, names, neg, n,
	                 &err) < 0)
		return conf_fail_at(p, r->line, "http-access: %s", err.msg);
	return 0;
}

/* Appends the text of the listener's next rule (see
 * conf_forward.acl_rule_text): <a>, then a blank and <b> when <b> is not
 * empty; 0 or -ENOMEM. */
static int
rule_text_push(struct conf_listen *l, const char *a, const char *b)
{
	size_t len = strlen(a) + strlen(b) + 1;
	char **nt, *t;

	nt = realloc(l->fwd.acl_rule_text,
	             (l->fwd.n_acl_rules + 1) * sizeof(*nt));
	if (nt == NULL)
		return -ENOMEM;
	l->fwd.acl_rule_text = nt;
	t = malloc(len + 1);
	if (t == NULL)
		return -ENOMEM;
	snprintf(t, len + 1, "%s%s%s", a, *b != '\0' ? " " : "", b);
	nt[l->fwd.n_acl_rules++] = t;
	return 0;
}

/* allow-src as the element gh.allow-src and the rule `allow` on it. */
static int
implicit_allow_src(struct parser *p, struct acl_build *b, struct conf_listen *l)
{
	static const char *const names[] = {ACL_IMPLICIT_SRC};
	char text[CONF_ALLOW_SRC_MAX * 20];
	struct acl_err err;
	size_t off = 0;
	unsigned i;

	GH_VERIFY(l->fwd.n_allow_src > 0 &&
	          l->fwd.n_allow_src <= CONF_ALLOW_SRC_MAX);
	for (i = 0; i < l->fwd.n_allow_src; i++) {
		const struct conf_cidr *c = &l->fwd.allow_src[i];
		unsigned plen = (unsigned)__builtin_popcount(c->mask_be);

		off +=
		    (size_t)snprintf(text + off, sizeof(text) - off, "%s/%u ",
		                     conf_ip_str(c->addr_be, 0), plen);
		GH_VERIFY(off < sizeof(text));
	}
	if (acl_elem_add(b, ACL_IMPLICIT_SRC, ACL_KIND_SRC, text, &err) < 0 ||
	    acl_rule_add(b, ACL_ALLOW, l->line, names, NULL, 1, &err) < 0)
		return conf_fail_at(p, l->line, "listen \"%s\": allow-src: %s",
		                    l->name, err.msg);
	text[off - 1] = '\0'; /* the last blank */
	if (rule_text_push(l, "implicit: allow-src", text) < 0)
		return conf_fail_at(p, l->line, "out of memory");
	return 0;
}

/* The set of forward listener <li>: the acl elements, then its rules. */
static int
listener_compile(struct parser *p, unsigned li, struct acl_line **idx,
                 size_t n_idx)
{
	const struct conf_acl_state *st = p->acl;
	struct conf_listen *l = &p->c->listeners[li];
	struct acl_build *b = acl_build_new();
	unsigned dst_line = 0, n_rules = 0;
	struct acl_err err;
	size_t i;

	if (b == NULL)
		return conf_fail_at(p, l->line, "out of memory");
	/* every element first: a rule may name one defined below it */
	for (i = 0; st != NULL && i < st->n; i++)
		if (st->lines[i].listener < 0 &&
		    acl_elem_add(b, st->lines[i].name,
		                 (enum acl_kind)st->lines[i].kind,
		                 st->lines[i].text, &err) < 0)
			goto fail_at_line;
	for (i = 0; st != NULL && i < st->n; i++) {
		if (st->lines[i].listener != (int)li)
			continue;
		n_rules++;
		if (rule_add(p, b, &st->lines[i], idx, n_idx, &dst_line) < 0) {
			acl_build_free(b);
			return -EINVAL;
		}
		if (rule_text_push(l,
		                   st->lines[i].kind == ACL_ALLOW
		                       ? "http-access allow"
		                       : "http-access deny",
		                   st->lines[i].text) < 0)
			goto nomem;
	}
	if (n_rules == 0) {
		if (implicit_allow_src(p, b, l) < 0) {
			acl_build_free(b);
			return -EINVAL;
		}
		l->fwd.acl_implicit_src = true;
	}
	l->fwd.acl = acl_compile(b, &err);
	if (l->fwd.acl == NULL)
		return conf_fail_at(p, l->line,
		                    "listen \"%s\": access rules: %s", l->name,
		                    err.msg);
	return 0;
nomem:
	acl_build_free(b);
	return conf_fail_at(p, l->line, "out of memory");
fail_at_line:
	acl_build_free(b);
	return conf_fail_at(p, st->lines[i].line, "acl %s: %s",
	                    st->lines[i].name, err.msg);
}

static int
acl_file_end(struct parser *p)
{
	struct conf_acl_state *st = p->acl;
	struct acl_line **idx = NULL;
	size_t n_idx = 0, i;
	unsigned li;
	int rc = 0;

	if (st != NULL) {
		acl_build_free(st->check);
		st->check = NULL;
		idx = calloc(st->n + 1, sizeof(*idx));
		if (idx == NULL)
			return conf_fail_at(p, 0, "out of memory");
		for (i = 0; i < st->n; i++)
			if (st->lines[i].listener < 0)
				idx[n_idx++] = &st->lines[i];
		qsort(idx, n_idx, sizeof(*idx), name_cmp);
	}
	for (li = 0; li < p->c->n_listeners && rc == 0; li++)
		if (conf_listen_is_proxy(p->c->listeners[li].mode))
			rc = listener_compile(p, li, idx, n_idx);
	free(idx);
	return rc;
}

void
conf_acl_parse_done(struct parser *p)
{
	struct conf_acl_state *st = p->acl;
	size_t i;

	if (st == NULL)
		return;
	for (i = 0; i < st->n; i++) {
		free(st->lines[i].name);
		free(st->lines[i].text);
	}
	free(st->lines);
	acl_build_free(st->check);
	free(st);
	p->acl = NULL;
}

void
conf_forward_rules_disown(struct conf_forward *f)
{
	f->acl = NULL;
	f->acl_rule_text = NULL;
	f->n_acl_rules = 0;
}

void
conf_forward_rules_free(struct conf_forward *f)
{
	unsigned j;

	acl_set_free(f->acl);
	for (j = 0; j < f->n_acl_rules; j++)
		free(f->acl_rule_text[j]);
	free(f->acl_rule_text);
	conf_forward_rules_disown(f);
}

void
conf_acl_sets_free(struct conf *c)
{
	unsigned i;

	for (i = 0; i < c->n_listeners && i < CONF_LISTENERS_MAX; i++)
		conf_forward_rules_free(&c->listeners[i].fwd);
}

const struct section_kind conf_acl_section = {
    .name = "acl",
    .directives = NULL,
    .n_directives = 0,
    .begin = acl_begin,
    .file_end = acl_file_end,
};
