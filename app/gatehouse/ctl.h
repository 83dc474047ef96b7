/*
 * The control socket: a Unix stream socket (mode 0600) served by the control
 * thread.  One command line per connection, the reply, then EOF.
 * Commands: ping, version, stats, stats json, log reopen (the access log,
 * after rotation; replies "ok"), reload (reload.h: "reloaded (version N)"
 * and "restart needed: ..." lines, or "error: FILE:LINE: ..."), and with a
 * cache: cache stats [json],
 * cache purge URL ("purged URL" or "not found URL"), cache list [LIMIT
 * [PREFIX]]; acl test LISTENER|- SRC METHOD URL [USER] (the verdict of a
 * forward listener's rules, docs/operations.md).  Errors start with
 * "error:".  A line may be 4 KiB + 256
 * bytes; a longer one is refused whole.  With a cache the calling thread
 * is registered with liburcu QSBR and offline (cache_open, main.c).
 */
#ifndef GH_APP_CTL_H
#define GH_APP_CTL_H

#include <stddef.h>

#include "gatehouse.h"

struct ctl {
	int fd;
	char path[CONF_PATH_MAX];
};

/*
 * Create the socket at <path>, replacing a stale one but refusing one a live
 * process still answers on.  Returns 0, or -errno with a message in <err>.
 */
int ctl_open(struct ctl *c, const char *path, char *err, size_t errlen);

/*
 * Wait up to <timeout_ms> for a client and serve it (bounded: a client has
 * 200 ms to send its line).  Returns 1 if a client was served, 0 if none
 * came, or -errno on a socket error.
 */
int ctl_serve(struct ctl *c, const struct app *a, int timeout_ms);

/* Close and unlink the socket. */
void ctl_close(struct ctl *c);

#endif /* GH_APP_CTL_H */
