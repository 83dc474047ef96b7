/*
 * Configuration file parser.  See docs/configuration.md for the syntax.
 * Called by the control thread only.
 */
#ifndef GH_CONF_H
#define GH_CONF_H

#include <stddef.h>
#include <stdint.h>

#include "conf/conf_types.h"

/*
 * Parse and validate the file at <path>.  Returns a new snapshot (free it
 * with conf_free()), or NULL with errno set and a message of the form
 * "file:line: what is wrong" written into <err> (of <errlen> bytes).  For
 * errors that concern the whole file (missing port, cannot open) the line is
 * that of the end of the file or 0 is left out: "file: what is wrong".
 */
struct conf *conf_load(const char *path, char *err, size_t errlen);

/*
 * The same, for a config held in memory; <name> is used in messages in place
 * of the file name.  Used by tests and by `--check -`.
 */
struct conf *conf_parse(const char *name, const char *text, size_t len,
                        char *err, size_t errlen);

/* Release a snapshot; NULL is accepted. */
void conf_free(struct conf *c);

/* Drop one reference to <r> (its pools' lb objects freed with the last);
 * NULL is accepted.  Control thread only. */
void conf_rev_put(struct conf_rev *r);

/* What conf_route_match() found when no pool serves a request. */
#define CONF_ROUTE_NO_HOST (-1) /* no route's host matches: 421 */
#define CONF_ROUTE_NO_PATH (-2) /* a host matched, no path prefix: 404 */

/*
 * The pool of a request to a reverse listener with routes <rt>: <host>
 * (<host_len> bytes, lower case, no port) and the target <path> (origin
 * form, <path_len> bytes, query included).  Among the routes whose host
 * matches the most specifically (an exact name, else the wildcard with the
 * longest suffix, else `*`), the one with the longest path prefix wins
 * (a prefix matches a path equal to it or continuing with '/', '?' or
 * '#' after it, or any continuation when it ends with '/'); ties go to
 * the first in the file.  Without a match, the default pool if any.
 * Returns the pool's index, CONF_ROUTE_NO_HOST or CONF_ROUTE_NO_PATH.
 * Pure: any thread, no allocation.
 */
int conf_route_match(const struct conf_routes *rt, const char *host,
                     size_t host_len, const char *path, size_t path_len);

/*
 * Whether the target <path> (<path_len> bytes, query included) of a
 * request to a reverse listener may be routed at all: false when its path
 * (before any '?') has a dot-segment ("." or "..", any dot of it
 * percent-encoded, or followed by ";params" as Tomcat reads "..;"), an
 * encoded '/' or '\' (%2F, %5C), a raw '\', an encoded NUL or a '%'
 * without two hex digits.  Servers and their frameworks resolve these in
 * different ways, and a prefix compared before they do could be walked
 * around (/public/../admin); such a request is refused (400), never
 * normalised.  conf_route_match() compares the prefixes with the path
 * whose percent-encoded unreserved characters (RFC 3986 2.3) are decoded,
 * as 6.2.2.2 makes them equivalent: /%61dmin is /admin.  Pure.
 */
bool conf_route_path_safe(const char *path, size_t path_len);

/* The first bytes of path[0 .. n) with its percent-encoded unreserved
 * characters decoded (as conf_route_match() compares them, and the access
 * rules of a reverse listener see them) into out[0 .. cap): their count,
 * at most cap.  Pure. */
size_t conf_route_path_norm(const char *path, size_t n, char *out, size_t cap);

/*
 * A reload (conf_diff.c): compare the running snapshot <run> with <next>,
 * just loaded.  Each setting only a restart changes that differs is
 * reported as one line (without a trailing newline, such as "workers
 * (file 2, running 1)") through <note>(<arg>, line) when <note> is not
 * NULL, and set back in <next> to the running value; <next>'s listeners
 * become <run>'s, in <run>'s order, with the live settings of the file's
 * listeners of the same name; rules of listeners <next> drops are freed.
 * Bit i of *<carried> set: <next>'s listener i shares <run>'s access rules
 * (a listener missing from the file keeps running as it was): clear
 * run->listeners[i].fwd.acl before freeing <run>.  Returns the number of
 * lines reported (0: every difference is live).
 */
int conf_restart_diff(const struct conf *run, struct conf *next,
                      void (*note)(void *arg, const char *line), void *arg,
                      uint32_t *carried);

/* Forget <f>'s access rules (its acl set and their texts) without freeing
 * them: another snapshot has taken them over (a reload's carried listener,
 * see conf_restart_diff). */
void conf_forward_rules_disown(struct conf_forward *f);

/* Free what a reload replaces in <c> (its listeners' access rules), and
 * leave the rest readable for conf_free().  NULL is accepted. */
void conf_live_free(struct conf *c);

/* Return the index of the first port with <role>, or -ENOENT. */
int conf_port_find_role(const struct conf *c, enum conf_port_role role);

#endif /* GH_CONF_H */
