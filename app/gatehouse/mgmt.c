/*
 * The management endpoint (see mgmt.h): a small HTTP/1.x server for
 * Prometheus on a kernel socket, run by the control thread.  Everything is
 * non-blocking and bounded: at most MGMT_CLIENTS_MAX connections are held
 * (while they are, the listening socket is not polled and new ones wait in
 * the kernel's backlog), a request may be MGMT_REQ_MAX bytes and must
 * arrive within MGMT_READ_MS of the accept, and the answer must be taken
 * within MGMT_WRITE_MS.  So a slowloris, a client that never reads or one
 * that floods holds one slot for a few seconds at most, and the control
 * socket (and what it serves: stats, reload) is polled in the same loop,
 * never behind a management client.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "common/gh_common.h"
#include "stats/stats.h"
#include "mgmt.h"
#include "status.h"
#include "status_page.h"

#define MGMT_HDR_ROOM     1024         /* before the body: the status+fields */
#define MGMT_RENDER_MIN   (256u << 10) /* the first rendering's room */
#define MGMT_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define MGMT_TEXT_TYPE    "text/plain; charset=utf-8"
/*
 * The status page and its data: never cached, never sniffed as another
 * type, never framed, and the page may load nothing but itself (its
 * inline script and style) and fetch nothing but /status.json.
 */
#define MGMT_STATUS_FIELDS                                               \
	"Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n" \
	"X-Frame-Options: DENY\r\nReferrer-Policy: no-referrer\r\n"
#define MGMT_STATUS_CSP                                           \
	"Content-Security-Policy: default-src 'none'; "           \
	"script-src 'unsafe-inline'; style-src 'unsafe-inline'; " \
	"connect-src 'self'; img-src data:; base-uri 'none'; "    \
	"form-action 'none'; frame-ancestors 'none'\r\n"

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int
mgmt_open(struct mgmt *m, uint32_t ip_be, uint16_t port_be, char *err,
          size_t errlen)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
	                         .sin_addr.s_addr = ip_be,
	                         .sin_port = port_be};
	char ip[INET_ADDRSTRLEN];
	unsigned i;
	int one = 1, rc;

	memset(m, 0, sizeof(*m));
	m->fd = -1;
	for (i = 0; i < MGMT_CLIENTS_MAX; i++)
		m->cl[i].fd = -1;
	if (port_be == 0)
		return 0;
	m->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (m->fd < 0)
		goto out_errno;
	/* a restart within TIME_WAIT of the last scrape binds all the same */
	if (setsockopt(m->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) <
	        0 ||
	    bind(m->fd, (const struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(m->fd, 16) < 0)
		goto out_errno;
	return 0;

out_errno:
	rc = -errno;
	inet_ntop(AF_INET, &ip_be, ip, sizeof(ip));
	snprintf(err, errlen,
	         "management-listen %s:%u: %s (set management-listen to "
	         "another address, or off)",
	         ip, ntohs(port_be), strerror(errno));
	if (m->fd >= 0)
		close(m->fd);
	m->fd = -1;
	return rc;
}

static void
client_close(struct mgmt_client *cl)
{
	if (cl->fd >= 0)
		close(cl->fd);
	free(cl->mem);
	memset(cl, 0, sizeof(*cl));
	cl->fd = -1;
}

/* Queue the answer <status> with <body> of <len> bytes at <body> - its
 * head, which is written into the MGMT_HDR_ROOM bytes before it (the
 * body lives at mem + MGMT_HDR_ROOM).  Takes <mem>. */
static void
client_answer(struct mgmt_client *cl, char *mem, unsigned status,
              const char *reason, const char *type, const char *extra,
              size_t len, bool head)
{
	char hdr[MGMT_HDR_ROOM];
	int n;

	n = snprintf(hdr, sizeof(hdr),
	             "HTTP/1.1 %u %s\r\nContent-Type: %s\r\n%s"
	             "Content-Length: %zu\r\nConnection: close\r\n\r\n",
	             status, reason, type, extra, len);
	GH_VERIFY(n > 0 && (size_t)n < sizeof(hdr));
	memcpy(mem + MGMT_HDR_ROOM - n, hdr, (size_t)n);
	free(cl->mem);
	cl->mem = mem;
	cl->out = mem + MGMT_HDR_ROOM - n;
	cl->out_len = (size_t)n + (head ? 0 : len);
	cl->out_off = 0;
	cl->writing = true;
	cl->deadline_ms = now_ms() + MGMT_WRITE_MS;
}

/* A short answer of our own (an error): the reason is its body. */
static void
client_error(struct mgmt_client *cl, unsigned status, const char *reason,
             const char *extra)
{
	size_t len = strlen(reason) + 1;
	char *mem = malloc(MGMT_HDR_ROOM + len + 1);

	if (mem == NULL) {
		client_close(cl);
		return;
	}
	snprintf(mem + MGMT_HDR_ROOM, len + 1, "%s\n", reason);
	client_answer(cl, mem, status, reason, MGMT_TEXT_TYPE, extra, len,
	              false);
}

/* Every counter, rendered into a buffer that grows (from the last
 * rendering's size) until it fits or passes MGMT_REPLY_MAX. */
static void
client_metrics(struct mgmt *m, struct mgmt_client *cl, const struct app *a,
               bool head)
{
	size_t cap = m->render_hint * 2;
	struct stats_buf b;
	char *mem;

	if (cap < MGMT_RENDER_MIN)
		cap = MGMT_RENDER_MIN;
	for (;;) {
		if (cap > MGMT_REPLY_MAX)
			cap = MGMT_REPLY_MAX;
		mem = malloc(MGMT_HDR_ROOM + cap);
		if (mem == NULL)
			break;
		stats_buf_init(&b, mem + MGMT_HDR_ROOM, cap);
		if (app_metrics_render(a, &b) == 0) {
			m->render_hint = b.len;
			m->cnt.scrapes++;
			client_answer(cl, mem, 200, "OK", MGMT_CONTENT_TYPE, "",
			              b.len, head);
			return;
		}
		free(mem);
		if (cap == MGMT_REPLY_MAX)
			break;
		cap *= 2;
	}
	m->cnt.render_errors++;
	client_error(cl, 500, "Internal Server Error", "");
}

/* GET /status: the page built into the binary (status_page.html). */
static void
client_status_page(struct mgmt *m, struct mgmt_client *cl, bool head)
{
	char *mem = malloc(MGMT_HDR_ROOM + status_page_html_len);

	if (mem == NULL) {
		m->cnt.render_errors++;
		client_error(cl, 500, "Internal Server Error", "");
		return;
	}
	memcpy(mem + MGMT_HDR_ROOM, status_page_html, status_page_html_len);
	m->cnt.status_pages++;
	client_answer(cl, mem, 200, "OK", "text/html; charset=utf-8",
	              MGMT_STATUS_FIELDS MGMT_STATUS_CSP, status_page_html_len,
	              head);
}

/* GET /status.json: the live views' history, STATUS_JSON_MAX at most. */
static void
client_status_json(struct mgmt *m, struct mgmt_client *cl, const struct app *a,
                   bool head)
{
	struct stats_buf b;
	char *mem;

	mem =
	    a->status != NULL ? malloc(MGMT_HDR_ROOM + STATUS_JSON_MAX) : NULL;
	if (mem == NULL) {
		m->cnt.render_errors++;
		client_error(cl, 500, "Internal Server Error", "");
		return;
	}
	stats_buf_init(&b, mem + MGMT_HDR_ROOM, STATUS_JSON_MAX);
	if (status_render_json(a->status, a, 0, &b) < 0) {
		free(mem);
		m->cnt.render_errors++;
		client_error(cl, 500, "Internal Server Error", "");
		return;
	}
	m->cnt.status_pages++;
	client_answer(cl, mem, 200, "OK", "application/json",
	              MGMT_STATUS_FIELDS, b.len, head);
}

/* The request head of <cl> is whole: answer it. */
static void
client_request(struct mgmt *m, struct mgmt_client *cl, const struct app *a)
{
	char *line = cl->req, *sp1, *sp2, *eol;
	size_t path_len;
	bool head;

	eol = strpbrk(line, "\r\n");
	GH_VERIFY(eol != NULL);
	*eol = '\0';
	sp1 = strchr(line, ' ');
	sp2 = sp1 != NULL ? strchr(sp1 + 1, ' ') : NULL;
	if (sp1 == NULL || sp2 == NULL || sp1 == line || sp2 == sp1 + 1 ||
	    strncmp(sp2 + 1, "HTTP/1.", 7) != 0 || sp1[1] != '/') {
		m->cnt.bad_request++;
		client_error(cl, 400, "Bad Request", "");
		return;
	}
	*sp1 = '\0';
	head = strcmp(line, "HEAD") == 0;
	if (!head && strcmp(line, "GET") != 0) {
		m->cnt.bad_method++;
		client_error(cl, 405, "Method Not Allowed",
		             "Allow: GET, HEAD\r\n");
		return;
	}
	path_len = strcspn(sp1 + 1, "? ");
	if (path_len == 8 && strncmp(sp1 + 1, "/metrics", 8) == 0)
		client_metrics(m, cl, a, head);
	else if (path_len == 7 && strncmp(sp1 + 1, "/status", 7) == 0)
		client_status_page(m, cl, head);
	else if (path_len == 12 && strncmp(sp1 + 1, "/status.json", 12) == 0)
		client_status_json(m, cl, a, head);
	else {
		m->cnt.not_found++;
		client_error(cl, 404, "Not Found", "");
	}
}

/* Read what has come; answer once the head is whole (or too large). */
static void
client_read(struct mgmt *m, struct mgmt_client *cl, const struct app *a)
{
	for (;;) {
		size_t room = sizeof(cl->req) - 1 - cl->req_len;
		ssize_t n;

		if (room == 0) {
			m->cnt.too_large++;
			client_error(cl, 431, "Request Header Fields Too Large",
			             "");
			return;
		}
		n = read(cl->fd, cl->req + cl->req_len, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) { /* closed or failed before a whole request */
			client_close(cl);
			return;
		}
		/* a NUL byte: the head is not text (strstr below stops) */
		if (memchr(cl->req + cl->req_len, '\0', (size_t)n) != NULL) {
			m->cnt.bad_request++;
			client_error(cl, 400, "Bad Request", "");
			return;
		}
		cl->req_len += (size_t)n;
		cl->req[cl->req_len] = '\0';
		if (strstr(cl->req, "\r\n\r\n") != NULL ||
		    strstr(cl->req, "\n\n") != NULL) {
			client_request(m, cl, a);
			return;
		}
	}
}

/*
 * The answer went out: send our FIN and read (and drop) what the client
 * still sends until its EOF or MGMT_LINGER_MS, so that bytes we did not
 * read (a head over the limit) do not make the close a reset that could
 * destroy the answer before the client read it.
 */
static void
client_linger(struct mgmt_client *cl)
{
	char junk[4096];

	if (!cl->lingering) {
		cl->lingering = true;
		cl->deadline_ms = now_ms() + MGMT_LINGER_MS;
		if (shutdown(cl->fd, SHUT_WR) < 0) {
			client_close(cl);
			return;
		}
	}
	for (;;) {
		ssize_t n = read(cl->fd, junk, sizeof(junk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		break; /* EOF or an error */
	}
	client_close(cl);
}

static void
client_write(struct mgmt_client *cl)
{
	while (cl->out_off < cl->out_len) {
		ssize_t n = send(cl->fd, cl->out + cl->out_off,
		                 cl->out_len - cl->out_off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			client_close(cl);
			return;
		}
		cl->out_off += (size_t)n;
	}
	client_linger(cl);
}

static void
mgmt_accept(struct mgmt *m)
{
	unsigned i;

	for (i = 0; i < MGMT_CLIENTS_MAX; i++) {
		struct mgmt_client *cl = &m->cl[i];
		int fd;

		if (cl->fd >= 0)
			continue;
		fd = accept4(m->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		m->cnt.accepted++;
		cl->fd = fd;
		cl->deadline_ms = now_ms() + MGMT_READ_MS;
	}
}

int
mgmt_ctl_serve(struct mgmt *m, struct ctl *c, const struct app *a,
               int timeout_ms)
{
	struct pollfd pfd[2 + MGMT_CLIENTS_MAX];
	struct mgmt_client *who[2 + MGMT_CLIENTS_MAX];
	unsigned n = 0, i, busy = 0;
	uint64_t now = now_ms();
	int rc;

	pfd[n] = (struct pollfd){.fd = c->fd, .events = POLLIN};
	who[n++] = NULL;
	for (i = 0; i < MGMT_CLIENTS_MAX; i++) {
		struct mgmt_client *cl = &m->cl[i];

		if (cl->fd < 0)
			continue;
		busy++;
		if (cl->deadline_ms <= now)
			timeout_ms = 0;
		else if (cl->deadline_ms - now < (uint64_t)timeout_ms)
			timeout_ms = (int)(cl->deadline_ms - now);
		pfd[n] = (struct pollfd){
		    .fd = cl->fd,
		    .events = cl->writing && !cl->lingering ? POLLOUT : POLLIN};
		who[n++] = cl;
	}
	/* all slots taken: new clients wait in the backlog */
	if (m->fd >= 0 && busy < MGMT_CLIENTS_MAX) {
		pfd[n] = (struct pollfd){.fd = m->fd, .events = POLLIN};
		who[n++] = NULL;
	}
	rc = poll(pfd, n, timeout_ms);
	if (rc < 0)
		return errno == EINTR ? 0 : -errno;
	now = now_ms();
	for (i = 1; i < n; i++) {
		struct mgmt_client *cl = who[i];

		if (cl == NULL) {
			if (pfd[i].revents != 0)
				mgmt_accept(m);
			continue;
		}
		if (pfd[i].revents != 0 && cl->lingering)
			client_linger(cl);
		else if (pfd[i].revents != 0 && cl->writing)
			client_write(cl);
		else if (pfd[i].revents != 0)
			client_read(m, cl, a);
		if (cl->fd >= 0 && cl->deadline_ms <= now) {
			m->cnt.timeouts += !cl->lingering;
			client_close(cl);
		}
	}
	/* an answer queued just now goes at once when the socket takes it */
	for (i = 0; i < MGMT_CLIENTS_MAX; i++)
		if (m->cl[i].fd >= 0 && m->cl[i].writing &&
		    !m->cl[i].lingering && m->cl[i].out_off == 0)
			client_write(&m->cl[i]);
	if (pfd[0].revents != 0)
		return ctl_serve(c, a, 0);
	return 0;
}

void
mgmt_close(struct mgmt *m)
{
	unsigned i;

	for (i = 0; i < MGMT_CLIENTS_MAX; i++)
		client_close(&m->cl[i]);
	if (m->fd >= 0)
		close(m->fd);
	m->fd = -1;
}
