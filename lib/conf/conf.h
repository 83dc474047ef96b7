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
