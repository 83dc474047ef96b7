/*
 * Proxy authentication in the configuration (issue 13 item 3): the
 * auth-users, auth-groups and auth-realm directives of a forward `listen`
 * section.  The files are read with lib/auth when the section ends, so
 * that an error in them is reported as "<conf>:<line>: auth-users:
 * <file>:<line>: what is wrong"; the table belongs to the snapshot (one
 * reference) and conf_free() drops it, so a reload that replaces the
 * snapshot carries the users of the files as they are then.
 */
#include <errno.h>
#include <string.h>

#include "auth/auth.h"
#include "common/gh_common.h"
#include "conf/conf_parse.h"

int
conf_set_auth_users(struct parser *p, const struct directive *d,
                    const char *arg)
{
	struct conf_forward *f = &p->listen->fwd;

	return conf_want_abs_path(p, d, arg, f->auth_users_path,
	                          sizeof(f->auth_users_path));
}

int
conf_set_auth_groups(struct parser *p, const struct directive *d,
                     const char *arg)
{
	struct conf_forward *f = &p->listen->fwd;

	return conf_want_abs_path(p, d, arg, f->auth_groups_path,
	                          sizeof(f->auth_groups_path));
}

/* The realm goes into a quoted-string of Proxy-Authenticate: printable
 * ASCII without '"' and '\\', 1 to 63 bytes; quotes around it dropped. */
int
conf_set_auth_realm(struct parser *p, const struct directive *d,
                    const char *arg)
{
	struct conf_forward *f = &p->listen->fwd;
	size_t n = strlen(arg), i;

	if (n >= 2 && arg[0] == '"' && arg[n - 1] == '"') {
		arg++;
		n -= 2;
	}
	if (n == 0 || n >= sizeof(f->auth_realm))
		return conf_fail(p, "%s: must be 1 to %zu characters", d->name,
		                 sizeof(f->auth_realm) - 1);
	for (i = 0; i < n; i++)
		if (arg[i] < 0x20 || arg[i] > 0x7e || arg[i] == '"' ||
		    arg[i] == '\\')
			return conf_fail(p,
			                 "%s: only printable ASCII without "
			                 "'\"' and '\\\\'",
			                 d->name);
	memcpy(f->auth_realm, arg, n);
	f->auth_realm[n] = '\0';
	return 0;
}

int
conf_auth_section_end(struct parser *p, unsigned users_line,
                      unsigned groups_line, unsigned realm_line)
{
	struct conf_forward *f = &p->listen->fwd;
	char err[CONF_ERR_MAX];
	bool in_groups;
	size_t glen;

	if (f->auth_users_path[0] == '\0') {
		if (groups_line != 0 || realm_line != 0)
			return conf_fail_at(
			    p, groups_line != 0 ? groups_line : realm_line,
			    "listen \"%s\": %s needs auth-users",
			    p->listen->name,
			    groups_line != 0 ? "auth-groups" : "auth-realm");
		return 0;
	}
	f->auth = auth_users_load(
	    f->auth_users_path,
	    f->auth_groups_path[0] != '\0' ? f->auth_groups_path : NULL, err,
	    sizeof(err));
	if (f->auth != NULL)
		return 0;
	/* a message about the groups file starts with its path */
	glen = strlen(f->auth_groups_path);
	in_groups = groups_line != 0 &&
	            strncmp(err, f->auth_groups_path, glen) == 0 &&
	            err[glen] == ':';
	return conf_fail_at(p, in_groups ? groups_line : users_line, "%s: %s",
	                    in_groups ? "auth-groups" : "auth-users", err);
}

void
conf_auth_free(struct conf *c)
{
	unsigned i;

	for (i = 0; i < c->n_listeners && i < CONF_LISTENERS_MAX; i++) {
		auth_users_put(c->listeners[i].fwd.auth);
		c->listeners[i].fwd.auth = NULL;
	}
}
