/*
 * Control socket server (see ctl.h).  Runs on the control thread only.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/gh_common.h"
#include "ctl.h"
#include "logger.h"

#define CTL_LINE_MAX  256
#define CTL_REPLY_MAX (256 * 1024)
#define CTL_CLIENT_MS 200

static int
ctl_addr(struct sockaddr_un *sa, const char *path)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	strcpy(sa->sun_path, path);
	return 0;
}

/* Create the socket's folder (mode 0700) if it is missing; one level. */
static void
ctl_mkdir_parent(const char *path)
{
	char dir[CONF_PATH_MAX];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return;
	*slash = '\0';
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return; /* bind() will report the real problem */
}

/* Is somebody answering on <sa>? */
static int
ctl_in_use(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int live;

	if (fd < 0)
		return 0;
	live = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0;
	close(fd);
	return live;
}

int
ctl_open(struct ctl *c, const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa;
	mode_t old_umask;
	int rc;

	c->fd = -1;
	snprintf(c->path, sizeof(c->path), "%s", path);
	rc = ctl_addr(&sa, path);
	if (rc < 0) {
		snprintf(err, errlen, "control socket %s: path too long", path);
		return rc;
	}
	if (ctl_in_use(&sa)) {
		snprintf(err, errlen,
		         "control socket %s: another process answers on it",
		         path);
		return -EADDRINUSE;
	}
	ctl_mkdir_parent(path);
	unlink(path); /* stale socket of a process that died */
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->fd < 0)
		goto out_errno;
	old_umask = umask(0177); /* the socket is born 0600 */
	rc = bind(c->fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old_umask);
	if (rc < 0)
		goto out_errno;
	if (chmod(path, 0600) < 0 || listen(c->fd, 8) < 0)
		goto out_errno;
	return 0;

out_errno:
	rc = -errno;
	snprintf(err, errlen, "control socket %s: %s", path, strerror(errno));
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	return rc;
}

/* Read one line within CTL_CLIENT_MS. Returns its length or -errno. */
static int
ctl_read_line(int fd, char *line, size_t cap)
{
	size_t len = 0;

	while (len + 1 < cap) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		ssize_t n;

		if (poll(&pfd, 1, CTL_CLIENT_MS) <= 0)
			return -ETIMEDOUT;
		n = read(fd, line + len, cap - 1 - len);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (memchr(line, '\n', len) != NULL)
			break;
	}
	line[len] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	return (int)strlen(line);
}

static void
ctl_write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		struct pollfd pfd = {.fd = fd, .events = POLLOUT};
		ssize_t n;

		if (poll(&pfd, 1, CTL_CLIENT_MS) <= 0)
			return; /* a client that does not read loses its reply
			         */
		n = write(fd, buf, len);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

/* "log reopen": after log rotation, the logger reopens the access log by
 * its path.  Blocks the control thread for up to 2 s (logger_reopen). */
static size_t
ctl_log_reopen(const struct app *a, char *out, size_t cap)
{
	char err[256];

	if (a->logger == NULL)
		return (size_t)snprintf(out, cap,
		                        "error: no access log configured\n");
	if (logger_reopen(a->logger, err, sizeof(err)) < 0)
		return (size_t)snprintf(out, cap, "error: %s\n", err);
	return (size_t)snprintf(out, cap, "ok\n");
}

static size_t
ctl_execute(const struct app *a, const char *cmd, char *out, size_t cap)
{
	if (strcmp(cmd, "ping") == 0)
		return (size_t)snprintf(out, cap, "pong\n");
	if (strcmp(cmd, "version") == 0)
		return (size_t)snprintf(out, cap, "gatehouse %s\n", GH_VERSION);
	if (strcmp(cmd, "stats") == 0)
		return app_stats_render(a, 0, out, cap);
	if (strcmp(cmd, "stats json") == 0)
		return app_stats_render(a, 1, out, cap);
	if (strcmp(cmd, "log reopen") == 0)
		return ctl_log_reopen(a, out, cap);
	return (size_t)snprintf(out, cap,
	                        "error: unknown command \"%.64s\" (try: ping, "
	                        "version, stats, stats json, log reopen)\n",
	                        cmd);
}

int
ctl_serve(struct ctl *c, const struct app *a, int timeout_ms)
{
	static char reply[CTL_REPLY_MAX];
	struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
	char line[CTL_LINE_MAX];
	size_t len;
	int fd, rc;

	rc = poll(&pfd, 1, timeout_ms);
	if (rc < 0)
		return errno == EINTR ? 0 : -errno;
	if (rc == 0)
		return 0;
	fd = accept4(c->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return (errno == EAGAIN || errno == EINTR) ? 0 : -errno;
	rc = ctl_read_line(fd, line, sizeof(line));
	if (rc < 0)
		len = (size_t)snprintf(reply, sizeof(reply),
		                       "error: no command within %d ms\n",
		                       CTL_CLIENT_MS);
	else
		len = ctl_execute(a, line, reply, sizeof(reply));
	if (len >= sizeof(reply))
		len = sizeof(reply) - 1;
	ctl_write_all(fd, reply, len);
	close(fd);
	return 1;
}

void
ctl_close(struct ctl *c)
{
	if (c->fd >= 0) {
		close(c->fd);
		unlink(c->path);
	}
	c->fd = -1;
}
