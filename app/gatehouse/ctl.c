/*
 * Control socket server (see ctl.h).  Runs on the control thread only.
 *
 * The cache commands (purge, list) use the shared index as an RCU reader:
 * the control thread registered with liburcu QSBR when the index was
 * created (cache_open, main.c) and stays OFFLINE, so that it never holds
 * up a grace period (the workers' call_rcu) while it waits for clients; it
 * comes ONLINE only around each such command (ctl_rcu_online/offline).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <urcu-qsbr.h>

#include <arpa/inet.h>
#include <time.h>

#include "acl/acl.h"
#include "auth/auth.h"
#include "cache/cache_index.h"
#include "cache/cache_key.h"
#include "common/gh_common.h"
#include "conf/conf.h"
#include "http/http.h"
#include "proxy/fwd_acl.h"
#include "stats/stats.h"
#include "ctl.h"
#include "logger.h"
#include "pools.h"
#include "reload.h"
#include "status.h"

/* A command line: room for "cache purge " and the longest cache key. */
#define CTL_LINE_MAX  (CACHE_KEY_MAX_BYTES + 256)
#define CTL_REPLY_MAX (256 * 1024)
/* "stats" of many pools and servers may pass CTL_REPLY_MAX: rendered
 * again in a buffer that grows 4 times at a turn up to this */
#define CTL_STATS_MAX (16 * 1024 * 1024)
#define CTL_CLIENT_MS 200
_Static_assert(STATUS_JSON_MAX < CTL_REPLY_MAX, "status json fits a reply");
/* What is read and dropped of an overlong command line at most. */
#define CTL_DISCARD_MAX (1024 * 1024)

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

/*
 * Read and drop the rest of an overlong line (to its LF, the client's
 * EOF, CTL_CLIENT_MS of silence or CTL_DISCARD_MAX bytes), so that the
 * error reply reaches the client instead of a reset for unread bytes.
 */
static void
ctl_discard_line(int fd)
{
	char junk[4096];
	size_t total = 0;

	while (total < CTL_DISCARD_MAX) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		ssize_t n;

		if (poll(&pfd, 1, CTL_CLIENT_MS) <= 0)
			return;
		n = read(fd, junk, sizeof(junk));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0 || memchr(junk, '\n', (size_t)n) != NULL)
			return;
		total += (size_t)n;
	}
}

/* Read one line within CTL_CLIENT_MS.  Returns its length, -ETIMEDOUT, or
 * -E2BIG when it does not fit in <cap> (never cut short: a purge of a
 * truncated URL would remove another object). */
static int
ctl_read_line(int fd, char *line, size_t cap)
{
	size_t len = 0;
	char *eol;

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
	eol = memchr(line, '\n', len);
	if (len + 1 >= cap && eol == NULL) {
		ctl_discard_line(fd);
		return -E2BIG;
	}
	if (memchr(line, '\0', eol != NULL ? (size_t)(eol - line) : len))
		return -EINVAL;
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

/* ---- cache commands ----------------------------------------------------- */

#define CTL_LIST_DEFAULT 1000u
#define CTL_LIST_MAX     1000000u
/* One listed line at most: state, two sizes, a key escaped (4 x). */
#define CTL_LIST_LINE_MAX (4 * CACHE_KEY_MAX_BYTES + 64)

/* The control thread uses the index as a QSBR reader only in between. */
static void
ctl_rcu_online(void)
{
	rcu_thread_online();
}

static void
ctl_rcu_offline(void)
{
	rcu_thread_offline();
}

/* "cache purge URL": remove the GET response stored for <url>, fetched
 * through a forward listener ("GET " key) and through a reverse one
 * ("REV ": lib/proxy keeps the kinds apart). */
static size_t
ctl_cache_purge(const struct app *a, const char *url, char *out, size_t cap)
{
	uint8_t key[CACHE_KEY_MAX_BYTES];
	const char *why;
	int klen, rc, rc_rev;

	klen = cache_key_from_url(url, strlen(url), key, sizeof(key), &why);
	if (klen < 0)
		return (size_t)snprintf(
		    out, cap, "error: bad URL \"%.200s\": %s\n", url, why);
	ctl_rcu_online();
	rc = cache_index_purge(a->cache, key, (size_t)klen);
	memcpy(key, "REV", 3);
	rc_rev = cache_index_purge(a->cache, key, (size_t)klen);
	ctl_rcu_offline();
	if (rc_rev == 0)
		rc = 0;
	/* the key is "GET " and the URL as the cache writes it */
	return (size_t)snprintf(out, cap, "%s %.*s\n",
	                        rc == 0 ? "purged" : "not found", klen - 4,
	                        (const char *)key + 4);
}

struct list_ctx {
	struct stats_buf *b;
	const char *prefix;
	size_t prefix_len;
	uint64_t limit;
	uint64_t shown;
	uint64_t more; /* matching but not shown: over the limit or room */
	char line[CTL_LIST_LINE_MAX];
};

static const char *
state_name(enum cache_obj_state st)
{
	return st == CACHE_OBJ_COMPLETE ? "complete" : "busy";
}

/* <key> with "GET " dropped ("REV ", a reverse listener's, shown as
 * "reverse:") and bytes other than visible ASCII as \xHH (a key from a
 * request target has none), into <out> of <cap> bytes. */
static size_t
key_escape(const uint8_t *key, size_t len, char *out, size_t cap)
{
	size_t i, n = 0;

	if (len >= 4 && memcmp(key, "REV ", 4) == 0) {
		memcpy(out, "reverse:", 8);
		n = 8;
	}
	if (len >= 4 &&
	    (memcmp(key, "GET ", 4) == 0 || memcmp(key, "REV ", 4) == 0)) {
		key += 4;
		len -= 4;
	}
	for (i = 0; i < len && n + 5 < cap; i++) {
		if (key[i] > 0x20 && key[i] < 0x7f)
			out[n++] = (char)key[i];
		else
			n += (size_t)snprintf(out + n, cap - n, "\\x%02x",
			                      key[i]);
	}
	out[n] = '\0';
	return n;
}

static int
list_visit(void *arg, const struct cache_index_entry *e)
{
	struct list_ctx *c = arg;
	char url[4 * CACHE_KEY_MAX_BYTES + 1];
	int n;

	key_escape(e->key, e->key_len, url, sizeof(url));
	if (strncmp(url, c->prefix, c->prefix_len) != 0)
		return 0;
	if (c->shown == c->limit) {
		c->more++;
		return 0;
	}
	n = snprintf(c->line, sizeof(c->line), "%-8s %12llu %12llu %s\n",
	             state_name(e->state), (unsigned long long)e->body_bytes,
	             (unsigned long long)e->mem_bytes, url);
	/* keep room for the "... N more" line */
	if (n < 0 || c->b->len + (size_t)n + 64 >= c->b->cap) {
		c->more++;
		return 0;
	}
	stats_buf_printf(c->b, "%s", c->line);
	c->shown++;
	return 0;
}

/*
 * "cache list [LIMIT [PREFIX]]": the URLs stored that start with PREFIX
 * (the URL as the cache keeps it: the host in lower case, no ":80"), at
 * most LIMIT of them (default CTL_LIST_DEFAULT) and as many as the reply
 * holds, then how many more there are.
 */
static size_t
ctl_cache_list(const struct app *a, const char *args, char *out, size_t cap)
{
	static struct list_ctx c;
	struct stats_buf b;
	unsigned long long limit = CTL_LIST_DEFAULT;
	char *end;

	memset(&c, 0, sizeof(c));
	if (*args != '\0') {
		errno = 0;
		limit = strtoull(args, &end, 10);
		if (errno != 0 || end == args || limit == 0 ||
		    limit > CTL_LIST_MAX || (*end != '\0' && *end != ' '))
			return (size_t)snprintf(out, cap,
			                        "error: cache list: LIMIT must "
			                        "be 1..%u\n",
			                        CTL_LIST_MAX);
		args = *end == ' ' ? end + 1 : end;
	}
	stats_buf_init(&b, out, cap);
	c.b = &b;
	c.prefix = args;
	c.prefix_len = strlen(args);
	c.limit = limit;
	stats_buf_printf(&b, "# state body_bytes object_bytes url\n");
	ctl_rcu_online();
	(void)cache_index_walk(a->cache, list_visit, &c);
	ctl_rcu_offline();
	if (c.more > 0)
		stats_buf_printf(&b, "... %llu more\n",
		                 (unsigned long long)c.more);
	return b.len;
}

/* "cache ...": <args> is what follows "cache ". */
static size_t
ctl_cache(const struct app *a, const char *args, char *out, size_t cap)
{
	if (a->cache == NULL)
		return (size_t)snprintf(out, cap,
		                        "error: no cache (no forward listener "
		                        "has cache on)\n");
	if (strcmp(args, "stats") == 0)
		return app_cache_stats_render(a, 0, out, cap);
	if (strcmp(args, "stats json") == 0)
		return app_cache_stats_render(a, 1, out, cap);
	if (strncmp(args, "purge ", 6) == 0)
		return ctl_cache_purge(a, args + 6, out, cap);
	if (strcmp(args, "list") == 0)
		return ctl_cache_list(a, "", out, cap);
	if (strncmp(args, "list ", 5) == 0)
		return ctl_cache_list(a, args + 5, out, cap);
	return (size_t)snprintf(out, cap,
	                        "error: unknown cache command \"%.64s\" (try: "
	                        "cache stats, cache stats json, cache purge "
	                        "URL, cache list [LIMIT [PREFIX]])\n",
	                        args);
}

/* ---- acl test ---- */

/*
 * The configuration the control thread answers about: the snapshot of
 * the version published now (reload.c).
 */
static const struct conf *
ctl_conf(const struct app *a)
{
	return reload_current(a->reload);
}

/* Regex match data of the control thread, made on first use. */
static struct acl_scratch *ctl_acl_scratch;

/* Forward or socks listener <name>, or the first forward one when <name>
 * is "-". */
static const struct conf_listen *
ctl_forward_listener(const struct conf *c, const char *name)
{
	unsigned i;

	for (i = 0; i < c->n_listeners; i++) {
		const struct conf_listen *l = &c->listeners[i];

		if (strcmp(name, "-") == 0 ? l->mode == CONF_LISTEN_FORWARD
		                           : conf_listen_is_proxy(l->mode) &&
		                                 strcmp(l->name, name) == 0)
			return l;
	}
	return NULL;
}

/* Appends "RESULT: line N: TEXT" for verdict <v> of listener <l>. */
static size_t
ctl_verdict(const struct conf_listen *l, const struct acl_verdict *v, char *out,
            size_t cap)
{
	const char *act = v->action == ACL_ALLOW ? "allow" : "deny";

	switch (v->reason) {
	case ACL_R_RULE:
		if (v->rule >= 0 && (unsigned)v->rule < l->fwd.n_acl_rules)
			return (size_t)snprintf(out, cap, "%s: line %u: %s\n",
			                        act, (unsigned)v->line,
			                        l->fwd.acl_rule_text[v->rule]);
		return (size_t)snprintf(out, cap, "%s: line %u\n", act,
		                        (unsigned)v->line);
	case ACL_R_DEFAULT:
		return (size_t)snprintf(out, cap,
		                        "deny: no rule matched (default "
		                        "deny)\n");
	case ACL_R_BAD_HOST:
		return (size_t)snprintf(out, cap,
		                        "deny: the host is too long to be "
		                        "judged\n");
	case ACL_R_REGEX_ERROR:
		return (size_t)snprintf(out, cap,
		                        "deny: a regex hit its match limit\n");
	case ACL_R_NEED_DST:
		break;
	}
	return (size_t)snprintf(out, cap, "deny: ?\n");
}

/* The destination checks of fwd_connect() for the literal <ip_be>,
 * before the dst rules: 0 passed, else the length written. */
static size_t
ctl_dst_fixed(const struct conf *c, const struct conf_listen *l, uint32_t ip_be,
              char *out, size_t cap)
{
	struct proxy_port ports[CONF_PORTS_MAX];
	enum fwd_dst_refusal why;
	unsigned i;

	for (i = 0; i < c->n_ports && i < CONF_PORTS_MAX; i++)
		ports[i] = (struct proxy_port){
		    .addr_be = c->ports[i].addr_be,
		    .mask_be =
		        htonl(c->ports[i].prefix_len == 0
		                  ? 0
		                  : ~0u << (32 - c->ports[i].prefix_len)),
		};
	why = fwd_dst_refusal(ports, i, l->fwd.allow_private_dst, ip_be);
	if (why == FWD_DST_OK)
		return 0;
	return (size_t)snprintf(
	    out, cap, "deny: %s%s (%s)\n", fwd_dst_refusal_name(why),
	    why == FWD_DST_PRIVATE ? " off" : "", fwd_dst_refusal_why(why));
}

/*
 * Who asks, for listener <l>: client <src_be>, the control thread's local
 * time and scratch, and <user> (NULL: none) as its sessions would have
 * it: with auth-users the user taken as verified, its groups from the
 * table (an unknown one is refused: <refusal> says how); without, a
 * forward listener's rules see <user> as given (proxy authentication
 * elsewhere), a socks listener's never see one (<user> is an error).
 * Returns 0; or, the reply ended, its length: an error in place of the
 * <n> bytes of <out> written, or a verdict after them.
 */
static size_t
ctl_acl_who(const struct conf_listen *l, uint32_t src_be, const char *user,
            const char *refusal, struct fwd_acl_who *who, struct acl_str *ustr,
            char *out, size_t cap, size_t n)
{
	struct tm tm;
	time_t now;
	int uidx;

	if (ctl_acl_scratch == NULL)
		ctl_acl_scratch = acl_scratch_new();
	if (ctl_acl_scratch == NULL)
		return (size_t)snprintf(out, cap, "error: out of memory\n");
	now = time(NULL);
	localtime_r(&now, &tm);
	who->src_ip = ntohl(src_be);
	who->week_sec = acl_week_sec(&tm);
	who->scratch = ctl_acl_scratch;
	if (l->fwd.auth != NULL) {
		uidx = user == NULL
		           ? -1
		           : auth_user_find(l->fwd.auth, user, strlen(user));
		if (uidx < 0)
			return n + (size_t)snprintf(out + n, cap - n,
			                            "deny: %s: %s)\n", refusal,
			                            user == NULL
			                                ? "no USER given"
			                                : "unknown user");
		fwd_acl_who_user(who,
		                 auth_user_at(l->fwd.auth, (uint32_t)uidx));
	} else if (user != NULL && l->mode == CONF_LISTEN_SOCKS) {
		return (size_t)snprintf(out, cap,
		                        "error: listener %s has no auth-users: "
		                        "its clients give no USER\n",
		                        l->name);
	} else if (user != NULL) {
		*ustr = (struct acl_str){user, strlen(user)};
		who->user = ustr;
	}
	return 0;
}

/*
 * After the request stage's verdict <v> on a request for <host> (<len>
 * bytes), port <port>, method <method> (CONNECT for socks), an ftp://
 * URL when <ftp>: when allowed,
 * a literal host meets the fixed destination checks; a verdict that
 * needs the destination is judged again with a literal, and depends on
 * DNS for a name.  Writes the verdict line; returns its length.
 */
static size_t
ctl_acl_dst(const struct conf *c, const struct conf_listen *l,
            const struct fwd_acl_who *who, struct acl_verdict *v,
            const char *host, size_t len, enum http_method method, bool ftp,
            uint16_t port, char *out, size_t cap)
{
	char lit[16];
	struct in_addr in;
	bool literal;
	size_t k;

	snprintf(lit, sizeof(lit), "%.*s", (int)(len < sizeof(lit) ? len : 0),
	         host);
	literal = inet_pton(AF_INET, lit, &in) == 1;
	if (v->reason != ACL_R_NEED_DST) {
		/* allowed: a literal destination meets the fixed checks */
		if (v->action == ACL_ALLOW && literal) {
			k = ctl_dst_fixed(c, l, in.s_addr, out, cap);
			if (k != 0)
				return k;
		}
		return ctl_verdict(l, v, out, cap);
	}
	if (!literal)
		return (size_t)snprintf(
		    out, cap,
		    "depends on DNS: line %u has a dst acl; the proxy judges "
		    "each address %.*s resolves to (test with the address as "
		    "the host)\n",
		    (unsigned)v->line, (int)len, host);
	k = ctl_dst_fixed(c, l, in.s_addr, out, cap);
	if (k != 0)
		return k;
	fwd_acl_judge_dst(l->fwd.acl, who, method, ftp, ntohl(in.s_addr), port,
	                  v);
	return ctl_verdict(l, v, out, cap);
}

/*
 * `acl test LISTENER SRC CONNECT HOST:PORT [USER]` on socks listener <l>
 * (<n> bytes of <out> written): the verdict of fwd_socks.c's request
 * stage (fwd_acl_judge_socks(), the code the sessions run), then what
 * the session does with the address it connects to.  The checks of
 * SOCKS sessions: allow-src at accept, the username/password
 * sub-negotiation with auth-users, the rules; no connect-ports.
 */
static size_t
ctl_acl_test_socks(const struct conf *c, const struct conf_listen *l,
                   const struct in_addr *src, const char *method,
                   const char *dst, const char *user, char *out, size_t cap,
                   size_t n)
{
	struct fwd_acl_who who = {0};
	struct acl_verdict v;
	struct acl_str ustr;
	const char *colon = strrchr(dst, ':');
	char *end;
	unsigned long port;
	size_t k;

	if (strcmp(method, "CONNECT") != 0)
		return (size_t)snprintf(out, cap,
		                        "error: socks listener %s: its clients "
		                        "ask CONNECT HOST:PORT (BIND and UDP "
		                        "ASSOCIATE get reply 07)\n",
		                        l->name);
	port = colon == NULL ? 0 : strtoul(colon + 1, &end, 10);
	if (colon == NULL || colon == dst || colon - dst > 255 ||
	    colon[1] == '\0' || *end != '\0' || port == 0 || port > 65535 ||
	    memchr(dst, ':', (size_t)(colon - dst)) != NULL)
		return (size_t)snprintf(
		    out, cap,
		    "error: \"%.128s\" is not HOST:PORT (a "
		    "name or IPv4 address, a port 1..65535; "
		    "IPv6 gets reply 08)\n",
		    dst);
	if (!fwd_src_accepted(&l->fwd, src->s_addr))
		return n + (size_t)snprintf(out + n, cap - n,
		                            "deny: implicit:allow-src (the "
		                            "connection is reset as it is "
		                            "accepted)\n");
	k = ctl_acl_who(l, src->s_addr, user,
	                "01 01 (username/password sub-negotiation", &who, &ustr,
	                out, cap, n);
	if (k != 0)
		return k;
	fwd_acl_judge_socks(l->fwd.acl, &who, dst, (uint32_t)(colon - dst),
	                    (uint16_t)port, dst, &v);
	return n + ctl_acl_dst(c, l, &who, &v, dst, (size_t)(colon - dst),
	                       HTTP_M_CONNECT, false, (uint16_t)port, out + n,
	                       cap - n);
}

/*
 * `acl test LISTENER SRC METHOD URL [USER]` (LISTENER "-": the first
 * forward one): the verdict the proxy would give, from the same code
 * (lib/proxy/fwd_acl.h) on a head parsed by the same parser.  A verdict
 * that needs the destination address is judged again with the host when
 * it is an IPv4 literal; a name is not resolved here (the host's
 * resolver is not the appliance's, and the answer may differ per query):
 * the reply says the verdict depends on DNS.  A socks listener judges
 * CONNECT HOST:PORT as its sessions do (ctl_acl_test_socks()).
 */
/* The authority of the ftp URL <url> after any user[:password]@. */
static const char *
ctl_ftp_host(const char *url)
{
	const char *a = url + 6, *end = a + strcspn(a, "/?#"), *p;

	for (p = end; p > a; p--)
		if (p[-1] == '@')
			return p;
	return a;
}

static size_t
ctl_acl_test(const struct app *a, const char *args, char *out, size_t cap)
{
	char buf[CTL_LINE_MAX], head[2 * CTL_LINE_MAX];
	char dec[2 * CTL_LINE_MAX];
	uint32_t dec_len = 0;
	char *lname, *src, *method, *url, *user, *end;
	const struct conf *c = ctl_conf(a);
	const struct conf_listen *l;
	struct http_limits lim;
	struct fwd_acl_who who = {0};
	struct acl_str ustr;
	struct acl_verdict v;
	struct http_msg msg;
	struct in_addr in;
	size_t n, k;
	int rc;

	snprintf(buf, sizeof(buf), "%s", args);
	lname = strtok_r(buf, " ", &end);
	src = strtok_r(NULL, " ", &end);
	method = strtok_r(NULL, " ", &end);
	url = strtok_r(NULL, " ", &end);
	user = strtok_r(NULL, " ", &end);
	if (url == NULL || strtok_r(NULL, " ", &end) != NULL)
		return (size_t)snprintf(out, cap,
		                        "error: usage: acl test LISTENER|- SRC "
		                        "METHOD URL [USER]\n");
	l = ctl_forward_listener(c, lname);
	if (l == NULL || l->fwd.acl == NULL)
		return (size_t)snprintf(
		    out, cap, "error: no forward listener%s%.64s\n",
		    strcmp(lname, "-") == 0 ? "" : " named ",
		    strcmp(lname, "-") == 0 ? "" : lname);
	if (inet_pton(AF_INET, src, &in) != 1)
		return (size_t)snprintf(out, cap,
		                        "error: SRC \"%.64s\" is not an IPv4 "
		                        "address\n",
		                        src);
	n = (size_t)snprintf(out, cap, "listener %s\n", l->name);
	if (l->mode == CONF_LISTEN_SOCKS)
		return ctl_acl_test_socks(c, l, &in, method, url, user, out,
		                          cap, n);
	/* the request as the client sends it (the Host its authority) */
	if (strcmp(method, "CONNECT") == 0)
		snprintf(head, sizeof(head),
		         "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", url, url);
	else if (strncasecmp(url, "http://", 7) == 0)
		snprintf(head, sizeof(head),
		         "%s %s HTTP/1.1\r\nHost: %.*s\r\n\r\n", method, url,
		         (int)strcspn(url + 7, "/?#"), url + 7);
	else if (strncasecmp(url, "ftp://", 6) == 0)
		snprintf(head, sizeof(head),
		         "%s %s HTTP/1.1\r\nHost: %.*s\r\n\r\n", method, url,
		         (int)strcspn(ctl_ftp_host(url), "/?#"),
		         ctl_ftp_host(url));
	else
		return (size_t)snprintf(out, cap,
		                        "error: URL \"%.128s\" is not an "
		                        "absolute http:// URL (nor ftp://, "
		                        "or CONNECT host:port)\n",
		                        url);
	/* the accept stage: allow-src resets other clients */
	if (!fwd_src_accepted(&l->fwd, in.s_addr))
		return n + (size_t)snprintf(out + n, cap - n,
		                            "deny: implicit:allow-src (the "
		                            "connection is reset as it is "
		                            "accepted)\n");
	http_limits_default(&lim); /* with the listener's head limits */
	lim.max_request_line = l->fwd.max_request_line;
	lim.max_headers = l->fwd.max_headers;
	lim.max_header_bytes = l->fwd.max_header_bytes;
	http_msg_init(&msg, true, HTTP_M_OTHER);
	rc = http_parse_head(&msg, head, (uint32_t)strlen(head), &lim);
	if (rc != HTTP_OK)
		return (size_t)snprintf(
		    out, cap, "error: the proxy would answer %u: %s\n",
		    rc == HTTP_ERROR ? msg.status : 400,
		    rc == HTTP_ERROR ? msg.error : "incomplete request");
	if (msg.method == HTTP_M_OTHER || msg.method == HTTP_M_TRACE)
		return (size_t)snprintf(out, cap,
		                        "error: the proxy answers %s with %u, "
		                        "before the rules\n",
		                        method,
		                        msg.method == HTTP_M_TRACE ? 405 : 501);
	if (msg.method == HTTP_M_CONNECT &&
	    !fwd_connect_port_allowed(&l->fwd, msg.port))
		return n + (size_t)snprintf(out + n, cap - n,
		                            "deny: builtin:connect-ports "
		                            "(CONNECT to port %u is not "
		                            "allowed)\n",
		                            (unsigned)msg.port);
	/* the listener wants credentials first: a 407 without a user */
	k = ctl_acl_who(l, in.s_addr, user, "407 (proxy authentication", &who,
	                &ustr, out, cap, n);
	if (k != 0)
		return k;
	/* a reverse listener's rules see the target decoded (fwd_acl.c) */
	if (l->fwd.reverse)
		dec_len = (uint32_t)conf_route_path_norm(
		    head + msg.target.off, msg.target.len, dec, sizeof(dec));
	fwd_acl_judge_head(l->fwd.acl, &msg, head, l->fwd.reverse ? dec : NULL,
	                   dec_len, &who, &v);
	return n + ctl_acl_dst(c, l, &who, &v, head + msg.host.off,
	                       msg.host.len, msg.method, http_msg_is_ftp(&msg),
	                       msg.port, out + n, cap - n);
}

static size_t
ctl_acl(const struct app *a, const char *args, char *out, size_t cap)
{
	if (strncmp(args, "test ", 5) == 0)
		return ctl_acl_test(a, args + 5, out, cap);
	return (size_t)snprintf(out, cap,
	                        "error: unknown acl command \"%.64s\" (try: "
	                        "acl test LISTENER|- SRC METHOD URL [USER])\n",
	                        args);
}

/*
 * "status json [SECONDS]": the live views' history (status.h), the newest
 * SECONDS (1..STATS_RING_LEN) or all of it, as one JSON object.
 */
static size_t
ctl_status(const struct app *a, const char *args, char *out, size_t cap)
{
	unsigned long last = 0;
	struct stats_buf b;
	char *end;

	if (*args != '\0') {
		errno = 0;
		last = strtoul(args, &end, 10);
		if (errno != 0 || end == args || *end != '\0' || last == 0 ||
		    last > STATS_RING_LEN)
			return (size_t)snprintf(out, cap,
			                        "error: status json: SECONDS "
			                        "must be 1..%u\n",
			                        STATS_RING_LEN);
	}
	if (a->status == NULL)
		return (size_t)snprintf(out, cap, "error: no history yet\n");
	stats_buf_init(&b, out, cap);
	if (status_render_json(a->status, a, (unsigned)last, &b) < 0)
		return (size_t)snprintf(out, cap,
		                        "error: status json: the reply is "
		                        "too large\n");
	return b.len;
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
	if (strcmp(cmd, "status json") == 0)
		return ctl_status(a, "", out, cap);
	if (strncmp(cmd, "status json ", 12) == 0)
		return ctl_status(a, cmd + 12, out, cap);
	if (strcmp(cmd, "log reopen") == 0)
		return ctl_log_reopen(a, out, cap);
	if (strcmp(cmd, "reload") == 0)
		return reload_run(a->reload, a, out, cap);
	if (strncmp(cmd, "cache ", 6) == 0)
		return ctl_cache(a, cmd + 6, out, cap);
	if (strncmp(cmd, "acl ", 4) == 0)
		return ctl_acl(a, cmd + 4, out, cap);
	if (strcmp(cmd, "pool show") == 0)
		return pools_show(a, out, cap);
	if (strncmp(cmd, "server ", 7) == 0)
		return pools_server_cmd(a, cmd + 7, out, cap);
	return (size_t)snprintf(
	    out, cap,
	    "error: unknown command \"%.64s\" (try: ping, "
	    "version, stats, stats json, status json [SECONDS], log reopen, "
	    "reload, "
	    "cache stats, cache purge URL, cache list, acl "
	    "test, pool show, server enable|disable POOL SERVER)\n",
	    cmd);
}

/*
 * "stats" or "stats json" (<json>) that did not fit CTL_REPLY_MAX, again
 * in a buffer of its own (*big, malloc'd; the caller frees it): its
 * length, or 0 when it does not fit CTL_STATS_MAX or there is no memory
 * (the reply cut at CTL_REPLY_MAX stands).
 */
static size_t
ctl_stats_grow(const struct app *a, int json, char **big)
{
	size_t cap, len;

	for (cap = (size_t)CTL_REPLY_MAX * 4; cap <= CTL_STATS_MAX; cap *= 4) {
		char *p = malloc(cap);

		if (p == NULL)
			return 0;
		len = app_stats_render(a, json, p, cap);
		if (len < cap - 1) {
			*big = p;
			return len;
		}
		free(p);
	}
	return 0;
}

int
ctl_serve(struct ctl *c, const struct app *a, int timeout_ms)
{
	static char reply[CTL_REPLY_MAX];
	struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
	char line[CTL_LINE_MAX], *big = NULL;
	size_t len, k;
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
	if (rc == -E2BIG)
		len = (size_t)snprintf(reply, sizeof(reply),
		                       "error: command line over %d bytes\n",
		                       CTL_LINE_MAX - 1);
	else if (rc == -EINVAL)
		len = (size_t)snprintf(reply, sizeof(reply),
		                       "error: NUL byte in the command line\n");
	else if (rc < 0)
		len = (size_t)snprintf(reply, sizeof(reply),
		                       "error: no command within %d ms\n",
		                       CTL_CLIENT_MS);
	else
		len = ctl_execute(a, line, reply, sizeof(reply));
	if (len >= sizeof(reply))
		len = sizeof(reply) - 1;
	if (len == sizeof(reply) - 1 && rc >= 0 &&
	    (strcmp(line, "stats") == 0 || strcmp(line, "stats json") == 0)) {
		k = ctl_stats_grow(a, strcmp(line, "stats json") == 0, &big);
		if (k != 0)
			len = k;
	}
	ctl_write_all(fd, big != NULL ? big : reply, len);
	free(big);
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
	acl_scratch_free(ctl_acl_scratch);
	ctl_acl_scratch = NULL;
	c->fd = -1;
}
