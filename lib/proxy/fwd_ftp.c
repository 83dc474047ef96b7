/*
 * The FTP gateway of the forward proxy (see fwd_priv.h): a GET or HEAD of
 * an ftp:// URL (RFC 1738 3.2) answered from an FTP server (RFC 959), as
 * Squid does.  The request passes the checks, the credentials, the
 * access rules and the cache like any other; then the control connection
 * is opened as an origin connection would be (fwd_resolve, fwd_connect:
 * the destination checks, the outside address) and this file speaks FTP
 * on it: USER/PASS (anonymous, password "gatehouse@", unless the URL
 * carries user[:password]@), TYPE, and for a file SIZE and MDTM (for
 * Content-Length and Last-Modified, so the cache may store it), EPSV or
 * else PASV, and RETR on a data connection opened from the same outside
 * address to the control connection's server only: a PASV answer naming
 * another address (an FTP bounce, RFC 2577) is refused with 502.  A
 * file's body then runs through the forward proxy's response stage with
 * the data leg as the upstream (ST_FORWARD: backpressure, the cache's
 * fill, the client's pace); a directory (a path ending in '/', or
 * ;type=d) is listed with MLSD, or LIST when the server has no MLSD, and
 * rendered here as an HTML index a bounded number of lines per event and
 * only while the client takes it.  A file name whose SIZE (or, on a
 * server without SIZE, RETR) fails with 550 but that CWD accepts is a
 * directory: 301 to the name with a slash.
 *
 * FTP replies that fail map to HTTP statuses (ftp_http_status): 550 404,
 * 530 401 (no credentials in the URL) or 403, 4xx 503, 5xx 502; silence
 * on either connection past timeout-upstream-read-ms is 504.  Every reply
 * is parsed whole within FTP_REPLY_MAX bytes (ftp_wire.c); a listing line
 * over FTP_LIST_LINE_MAX is skipped.
 *
 * Legs: the control connection and the data connection are the FTP
 * state's (struct fwd_ftp, its callbacks' argument; fwd_cb hands them
 * here by its magic) until a file's body starts, when the data leg
 * becomes s->up.  The state is released with the transaction
 * (fwd_txn_end): QUIT and a close for the control leg.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <netinet/in.h>

#include <rte_mbuf.h>

#include "auth/auth.h"
#include "cache/cache_policy.h"
#include "common/gh_common.h"
#include "common/gh_pct.h"
#include "fwd_priv.h"
#include "ftp_wire.h"

#define FTP_USER_MAX   256u
#define FTP_ANON_USER  "anonymous"
#define FTP_ANON_PASS  "gatehouse@"
#define FTP_LIST_BURST 64u /* listing lines rendered per event */
#define FTP_HEAD_MAX   512u

enum ftp_phase {
	FP_GREET = 0, /* waiting for 220 */
	FP_USER = 1,
	FP_PASS = 2,
	FP_TYPE = 3,
	FP_SIZE = 4,
	FP_MDTM = 5,
	FP_CWD = 6, /* SIZE said 550: a directory? */
	FP_EPSV = 7,
	FP_PASV = 8,
	FP_DATA = 9,  /* the data connection is being opened */
	FP_XFER = 10, /* RETR, MLSD or LIST sent: waiting for 1xx */
	FP_BODY = 11, /* a file's body runs (ST_FORWARD) */
	FP_LIST = 12, /* a listing is rendered (ST_FTP) */
};

#define FF_DATA_FIN  0x01u /* the data leg sent FIN */
#define FF_NO_EPSV   0x02u /* EPSV refused: PASV from now on */
#define FF_LIST      0x04u /* LIST, not MLSD (refused, or asked for) */
#define FF_LINE_LONG 0x08u /* the listing line being read is too long */

struct fwd_ftp {
	unsigned magic;
	uint8_t phase; /* enum ftp_phase */
	uint8_t flags; /* FF_* */
	char type;     /* the URL's ;type= or 0 */
	bool dir;
	bool creds; /* the URL named a user */
	struct fwd_session *s;
	struct tcp_conn *ctl;
	struct tcp_conn *data;
	struct rte_mbuf *data_in; /* data bytes not consumed yet */
	uint64_t size;            /* SIZE's answer, UINT64_MAX none */
	int64_t mtime_s;          /* MDTM's answer, INT64_MIN none */
	uint32_t reply_len;
	uint32_t line_len;
	uint16_t user_len, pass_len, path_len;
	uint16_t target_len; /* the target without ;type=, for links */
	uint16_t upath_off;  /* its path (still encoded) in target[] */
	char user[FTP_USER_MAX];
	char pass[FTP_USER_MAX];
	char path[FWD_FTP_ARG_MAX];
	char target[FWD_FTP_ARG_MAX];
	char reply[FTP_REPLY_MAX];
	char line[FTP_LIST_LINE_MAX];
};

size_t
fwd_ftp_size(void)
{
	return sizeof(struct fwd_ftp);
}

static struct proxy_counters *
ftp_cnt(const struct fwd_ftp *f)
{
	return f->s->l->fc->cnt;
}

/* ---- commands ---- */

/* Send "<cmd>[ <arg>]\r\n" on the control leg.  False when it could not
 * be (no mbuf, no room: the caller answers 503). */
static bool
ctl_send(struct fwd_ftp *f, const char *cmd, const char *arg, uint32_t n)
{
	struct fwd_ctx *fc = f->s->l->fc;
	struct fwd_head_writer w = {.pool = fc->p.pool};
	struct rte_mbuf *m;

	if (f->ctl == NULL)
		return false;
	fwd_hw_str(&w, cmd);
	if (arg != NULL) {
		fwd_hw_put(&w, " ", 1);
		fwd_hw_put(&w, arg, n);
	}
	fwd_hw_put(&w, "\r\n", 2);
	m = fwd_hw_done(&w, fc->cnt);
	if (m == NULL)
		return false;
	if (tcp_send(f->ctl, m) < 0) {
		rte_pktmbuf_free(m);
		return false;
	}
	return true;
}

/* The target path as a command's argument: none for the login
 * directory, a directory's without its last '/'. */
static void
path_arg(const struct fwd_ftp *f, const char **arg, uint32_t *n)
{
	uint32_t len = f->path_len;

	if (f->dir && len > 1 && f->path[len - 1] == '/')
		len--;
	*arg = len == 0 ? NULL : f->path;
	*n = len;
}

/* Send <cmd> with the path and enter <phase>; false as ctl_send. */
static bool
ctl_send_path(struct fwd_ftp *f, const char *cmd, uint8_t phase)
{
	const char *arg;
	uint32_t n;

	path_arg(f, &arg, &n);
	f->phase = phase;
	return ctl_send(f, cmd, arg, n);
}

/* ---- failures ---- */

/* Answer <status> (the session's transaction and <f> end). */
static void
ftp_fail(struct fwd_ftp *f, unsigned status, const char *why)
{
	fwd_error(f->s, status, ALOG_TCP_MISS, why);
}

static void
ftp_fail_nomem(struct fwd_ftp *f)
{
	ftp_fail(f, 503, "out of buffers for the FTP dialogue");
}

/* The failed reply <code> to <step>: its status, counted. */
static void
ftp_fail_reply(struct fwd_ftp *f, unsigned code, enum ftp_step step)
{
	struct proxy_counters *cnt = ftp_cnt(f);
	unsigned status = ftp_http_status(code, step, f->creds);
	char why[96];

	if (status == 404)
		cnt->ftp_not_found++;
	else if (status == 401 || status == 403)
		cnt->ftp_login_failed++;
	else
		cnt->ftp_err_reply++;
	/* the server's text is not repeated: it is theirs, not HTML */
	snprintf(why, sizeof(why), "the FTP server answered %u", code);
	if (status == 401)
		fwd_error_extra(f->s, 401, ALOG_TCP_MISS, why,
		                "WWW-Authenticate: Basic realm=\"FTP\"\r\n");
	else
		ftp_fail(f, status, why);
}

/* ---- answers ---- */

/* Our response head for the file or listing, parsed into fc->msg as the
 * origin's would be, and handed to the response stage: the client's
 * head, or NULL (answered). */
static struct rte_mbuf *
ftp_head(struct fwd_ftp *f, bool listing)
{
	struct fwd_session *s = f->s;
	struct fwd_ctx *fc = s->l->fc;
	struct http_msg *msg = &fc->msg;
	struct http_limits lim = s->l->lim;
	char head[FTP_HEAD_MAX], date[40];
	int n;

	if (listing) {
		n = snprintf(head, sizeof(head),
		             "HTTP/1.1 200 OK\r\n"
		             "Content-Type: text/html; charset=utf-8\r\n\r\n");
	} else {
		n = snprintf(head, sizeof(head),
		             "HTTP/1.1 200 OK\r\nContent-Type: %s\r\n",
		             f->type == 'a' ? "text/plain"
		                            : "application/octet-stream");
		if (f->size != UINT64_MAX)
			n += snprintf(head + n, sizeof(head) - (size_t)n,
			              "Content-Length: %llu\r\n",
			              (unsigned long long)f->size);
		if (f->mtime_s != INT64_MIN) {
			(void)cache_date_format(f->mtime_s, date, sizeof(date));
			n += snprintf(head + n, sizeof(head) - (size_t)n,
			              "Last-Modified: %s\r\n", date);
		}
		n += snprintf(head + n, sizeof(head) - (size_t)n, "\r\n");
	}
	GH_VERIFY(n > 0 && (size_t)n < sizeof(head));
	http_msg_init(msg, false, (enum http_method)s->req_method);
	if (http_parse_head(msg, head, (uint32_t)n, &lim) != HTTP_OK) {
		ftp_fail(f, 502, "the FTP answer makes no HTTP response");
		return NULL;
	}
	return fwd_response_final(s, msg, head);
}

/* HEAD of a file: SIZE and MDTM answered it, no transfer. */
static void
ftp_answer_head(struct fwd_ftp *f)
{
	struct fwd_session *s = f->s;
	struct rte_mbuf *m = ftp_head(f, false);

	if (m == NULL)
		return;
	s->flags &= (uint32_t)~SF_UP_KEEP;
	ftp_cnt(f)->ftp_ok++;
	fwd_cli_queue(s, m);
	fwd_cli_flush(s);
	s->flags |= SF_RESP_DONE;
	fwd_txn_done(s);
}

/* 301 to the target with a slash: the file was a directory. */
static void
ftp_redirect(struct fwd_ftp *f)
{
	char loc[FWD_FTP_ARG_MAX + 16];

	ftp_cnt(f)->ftp_redirects++;
	snprintf(loc, sizeof(loc), "Location: %.*s/\r\n", (int)f->target_len,
	         f->target);
	fwd_reply(f->s, 301, ALOG_TCP_MISS, loc, "", 0);
}

/* ---- listings ---- */

/* p[0 .. n) into <w> with &, <, >, " and ' escaped, control bytes as
 * '?': a name from the server never makes markup. */
static void
hw_html(struct fwd_head_writer *w, const char *p, uint32_t n)
{
	uint32_t i, run = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		const char *e = NULL;

		switch (c) {
		case '&':
			e = "&amp;";
			break;
		case '<':
			e = "&lt;";
			break;
		case '>':
			e = "&gt;";
			break;
		case '"':
			e = "&quot;";
			break;
		case '\'':
			e = "&#39;";
			break;
		default:
			if (c < 0x20 || c == 0x7f)
				e = "?";
			break;
		}
		if (e == NULL)
			continue;
		fwd_hw_put(w, p + run, i - run);
		fwd_hw_str(w, e);
		run = i + 1;
	}
	fwd_hw_put(w, p + run, n - run);
}

/* p[0 .. n) percent-encoded but for RFC 3986's unreserved bytes. */
static void
hw_pct(struct fwd_head_writer *w, const char *p, uint32_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	uint32_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		char e[3];

		if (gh_pct_unreserved(c)) {
			fwd_hw_put(w, p + i, 1);
			continue;
		}
		e[0] = '%';
		e[1] = hex[c >> 4];
		e[2] = hex[c & 15];
		fwd_hw_put(w, e, 3);
	}
}

/* The directory's path as the URL has it ("/" + encoded path + "/"),
 * escaped for an attribute: the base of every link. */
static void
hw_base(struct fwd_head_writer *w, const struct fwd_ftp *f)
{
	uint32_t n = f->target_len - f->upath_off;

	fwd_hw_put(w, "/", 1);
	hw_html(w, f->target + f->upath_off, n);
	if (n > 0 && f->target[f->target_len - 1] != '/')
		fwd_hw_put(w, "/", 1);
}

/* One listing line (no line end) as a row of the index, or nothing. */
static void
list_row(struct fwd_ftp *f, struct fwd_head_writer *w, const char *line,
         uint32_t len)
{
	struct ftp_entry e;
	char meta[64], date[40];
	const char *name;
	bool dir;
	int rc;

	if (len > 0 && line[len - 1] == '\r')
		len--;
	rc = (f->flags & FF_LIST) ? ftp_list_parse(line, len, &e)
	                          : ftp_mlsd_parse(line, len, &e);
	if (rc < 0 || e.type == FTP_ENT_SELF)
		return; /* "total 8", a DOS line, cdir, pdir */
	name = line + e.name_off;
	if ((e.name_len == 1 && name[0] == '.') ||
	    (e.name_len == 2 && name[0] == '.' && name[1] == '.'))
		return;
	dir = e.type == FTP_ENT_DIR;
	fwd_hw_str(w, "<a href=\"");
	hw_base(w, f);
	hw_pct(w, name, e.name_len);
	if (dir)
		fwd_hw_put(w, "/", 1);
	fwd_hw_str(w, "\">");
	hw_html(w, name, e.name_len);
	fwd_hw_str(w, dir ? "/</a>" : "</a>");
	if (e.size != UINT64_MAX)
		snprintf(meta, sizeof(meta), "  %llu",
		         (unsigned long long)e.size);
	else
		snprintf(meta, sizeof(meta), "  %s",
		         dir                      ? "-"
		         : e.type == FTP_ENT_LINK ? "link"
		                                  : "");
	fwd_hw_str(w, meta);
	if (e.mtime_s != INT64_MIN) {
		(void)cache_date_format(e.mtime_s, date, sizeof(date));
		fwd_hw_str(w, "  ");
		fwd_hw_str(w, date);
	} else if (e.date_len > 0) {
		fwd_hw_str(w, "  ");
		hw_html(w, line + e.date_off, e.date_len);
	}
	fwd_hw_put(w, "\n", 1);
}

/* The listing's end: the page closed, the transaction done. */
static void
list_end(struct fwd_ftp *f, struct fwd_head_writer *w)
{
	struct fwd_session *s = f->s;
	struct rte_mbuf *m;

	if (f->line_len > 0 && !(f->flags & FF_LINE_LONG))
		list_row(f, w, f->line, f->line_len);
	f->line_len = 0;
	fwd_hw_str(w, "</pre>\n<hr><address>Gatehouse FTP gateway</address>"
	              "\n</body></html>\n");
	m = fwd_hw_done(w, s->l->fc->cnt);
	if (m == NULL) {
		fwd_session_end(s, true); /* the page would be cut */
		return;
	}
	fwd_cli_queue(s, m);
	fwd_cli_flush(s);
	ftp_cnt(f)->ftp_ok++;
	ftp_cnt(f)->ftp_listings++;
	s->flags |= SF_RESP_DONE;
	fwd_txn_done(s);
}

/* FP_LIST: render what the data leg sent while the client takes it, at
 * most FTP_LIST_BURST lines an event; the data leg's window stays shut
 * for the rest. */
static void
list_pump(struct fwd_ftp *f)
{
	struct fwd_session *s = f->s;
	struct fwd_head_writer w = {.pool = s->l->fc->p.pool};
	struct rte_mbuf *m;
	unsigned rows = 0;

	while (f->data_in != NULL && rows < FTP_LIST_BURST &&
	       proxy_chain_len(s->cli_out) < FWD_OUT_MAX) {
		const char *p = rte_pktmbuf_mtod(f->data_in, const char *);
		uint32_t n = f->data_in->data_len, take, keep;
		const char *lf;

		if (n == 0) { /* proxy_chain_trim leaves none in front
			         but a last, empty one */
			GH_VERIFY(f->data_in->pkt_len == 0);
			rte_pktmbuf_free(f->data_in);
			f->data_in = NULL;
			break;
		}
		lf = memchr(p, '\n', n);
		take = lf != NULL ? (uint32_t)(lf - p) + 1 : n;
		keep = lf != NULL ? take - 1 : take;
		if (f->line_len + keep > sizeof(f->line)) {
			f->flags |= FF_LINE_LONG;
		} else {
			memcpy(f->line + f->line_len, p, keep);
			f->line_len += keep;
		}
		proxy_chain_trim(&f->data_in, take);
		if (f->data != NULL)
			tcp_recved(f->data, take);
		if (lf == NULL)
			continue;
		if (!(f->flags & FF_LINE_LONG))
			list_row(f, &w, f->line, f->line_len);
		f->flags &= (uint8_t)~FF_LINE_LONG;
		f->line_len = 0;
		rows++;
	}
	if (f->data_in == NULL && (f->flags & FF_DATA_FIN)) {
		list_end(f, &w);
		return;
	}
	if (w.head != NULL || w.failed) {
		m = fwd_hw_done(&w, s->l->fc->cnt);
		if (m == NULL) {
			fwd_session_end(s, true);
			return;
		}
		fwd_cli_queue(s, m);
		fwd_cli_flush(s);
	}
	if (rows == FTP_LIST_BURST && f->data_in != NULL &&
	    proxy_chain_len(s->cli_out) < FWD_OUT_MAX)
		fwd_resume_soon(s);
	else
		fwd_read_timer_set(s);
}

/* The listing's 1xx came: our head, the page's start, then the lines. */
static void
list_start(struct fwd_ftp *f)
{
	struct fwd_session *s = f->s;
	struct fwd_head_writer w = {.pool = s->l->fc->p.pool};
	struct rte_mbuf *m = ftp_head(f, true), *page;

	if (m == NULL)
		return;
	fwd_cache_fill_end(s, false); /* a listing is not stored */
	s->flags &= (uint32_t)~SF_UP_KEEP;
	s->flags |= SF_CLOSE_CLI;
	fwd_cli_queue(s, m);
	f->phase = FP_LIST;
	f->line_len = 0;
	if (s->req_method == HTTP_M_HEAD) {
		s->flags |= SF_RESP_DONE;
		ftp_cnt(f)->ftp_ok++;
		fwd_txn_done(s);
		return;
	}
	fwd_hw_str(&w, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
	               "<title>Index of ");
	hw_base(&w, f);
	fwd_hw_str(&w, "</title></head><body>\n<h1>Index of ");
	hw_base(&w, f);
	fwd_hw_str(&w, "</h1>\n<hr><pre>\n");
	if (f->target_len > f->upath_off)
		fwd_hw_str(&w, "<a href=\"../\">../</a>\n");
	page = fwd_hw_done(&w, s->l->fc->cnt);
	if (page == NULL) {
		fwd_session_end(s, true);
		return;
	}
	fwd_cli_queue(s, page);
	list_pump(f);
}

/* ---- a file's body ---- */

/* RETR's 1xx came: our head, then the data leg is the upstream and the
 * response stage moves the body (ST_FORWARD). */
static void
file_start(struct fwd_ftp *f)
{
	struct fwd_session *s = f->s;
	struct rte_mbuf *m;

	if (f->data == NULL) { /* reset before the reply was read */
		ftp_cnt(f)->ftp_data_failed++;
		ftp_fail(f, 502, "the FTP data connection was reset");
		return;
	}
	m = ftp_head(f, false);
	if (m == NULL)
		return;
	s->flags &= (uint32_t)~SF_UP_KEEP; /* never parked */
	GH_VERIFY(s->up == NULL && s->up_in == NULL);
	s->up = f->data;
	f->data = NULL;
	tcp_conn_set_arg(s->up, s);
	s->up_in = f->data_in;
	f->data_in = NULL;
	if (f->flags & FF_DATA_FIN)
		s->flags |= SF_UP_FIN;
	f->phase = FP_BODY;
	s->state = ST_FORWARD;
	ftp_cnt(f)->ftp_ok++;
	fwd_cli_queue(s, m);
	fwd_fill_self_start(s);
	fwd_read_timer_set(s);
	fwd_response(s);
	fwd_fin_pending(s);
}

/* ---- the dialogue ---- */

static void
after_login(struct fwd_ftp *f)
{
	bool ascii = f->dir || f->type == 'a';

	f->phase = FP_TYPE;
	if (!ctl_send(f, "TYPE", ascii ? "A" : "I", 1))
		ftp_fail_nomem(f);
}

/* EPSV (or PASV once EPSV was refused). */
static void
passive_start(struct fwd_ftp *f)
{
	bool pasv = (f->flags & FF_NO_EPSV) != 0;

	f->phase = pasv ? FP_PASV : FP_EPSV;
	if (!ctl_send(f, pasv ? "PASV" : "EPSV", NULL, 0))
		ftp_fail_nomem(f);
}

/* Open the data leg to the control leg's server, port <port>, from the
 * outside address the control leg left from. */
static void
data_connect(struct fwd_ftp *f, uint16_t port)
{
	struct fwd_session *s = f->s;
	const struct proxy_params *p = &s->l->fc->p;
	int idx = fwd_route_port(p, s->dst_ip_be);

	if (idx < 0 ||
	    tcp_connect(p->tcp, (unsigned)idx, p->ports[idx].addr_be,
	                s->dst_ip_be, htons(port), (enum tcp_cc_algo)s->l->cc,
	                &fwd_cb, f, &f->data) < 0) {
		f->data = NULL;
		ftp_cnt(f)->ftp_data_failed++;
		ftp_fail(f, 503,
		         "no connection slot for the FTP data "
		         "connection");
		return;
	}
	f->phase = FP_DATA;
	fwd_timer_set(s, fwd_cfg(s)->connect_ms);
}

static void
on_epsv(struct fwd_ftp *f, unsigned code, const char *t, uint32_t n)
{
	uint16_t port;

	if (code == 229) {
		if (ftp_epsv_parse(t, n, &port) < 0) {
			ftp_cnt(f)->ftp_bad_reply++;
			ftp_fail(f, 502,
			         "the FTP server's EPSV answer is "
			         "not valid");
			return;
		}
		data_connect(f, port);
		return;
	}
	/* refused (500, 502: not known; 4xx): the old way */
	ftp_cnt(f)->ftp_epsv_fallback++;
	f->flags |= FF_NO_EPSV;
	passive_start(f);
}

static void
on_pasv(struct fwd_ftp *f, unsigned code, const char *t, uint32_t n)
{
	uint32_t ip_be;
	uint16_t port;

	if (code != 227) {
		ftp_fail_reply(f, code, FTP_STEP_OTHER);
		return;
	}
	if (ftp_pasv_parse(t, n, &ip_be, &port) < 0) {
		ftp_cnt(f)->ftp_bad_reply++;
		ftp_fail(f, 502, "the FTP server's PASV answer is not valid");
		return;
	}
	/* RFC 2577: data only from the control connection's server */
	if (ip_be != f->s->dst_ip_be) {
		ftp_cnt(f)->ftp_bounce_refused++;
		ftp_fail(f, 502,
		         "the FTP server named another address for "
		         "the data connection (FTP bounce refused)");
		return;
	}
	data_connect(f, port);
}

/* Close the data leg (reset when <reset>) and drop what it brought. */
static void
data_drop(struct fwd_ftp *f, bool reset)
{
	fwd_leg_close(&f->data, reset);
	rte_pktmbuf_free(f->data_in);
	f->data_in = NULL;
	f->flags &= (uint8_t)~FF_DATA_FIN;
}

/* The transfer command's answer: 1xx (or a 2xx without one) starts the
 * body; MLSD refused is LIST's turn; anything else fails. */
static void
on_xfer(struct fwd_ftp *f, unsigned code)
{
	if (code < 300) {
		if (f->dir)
			list_start(f);
		else
			file_start(f);
		return;
	}
	if (f->dir && !(f->flags & FF_LIST) &&
	    (code == 500 || code == 501 || code == 502 || code == 504)) {
		ftp_cnt(f)->ftp_mlsd_fallback++;
		f->flags |= FF_LIST;
		data_drop(f, true);
		passive_start(f);
		return;
	}
	/* a server without SIZE: RETR's 550 may name a directory too */
	if (!f->dir && code == 550) {
		data_drop(f, true);
		if (!ctl_send_path(f, "CWD", FP_CWD))
			ftp_fail_nomem(f);
		return;
	}
	ftp_fail_reply(f, code, f->dir ? FTP_STEP_OTHER : FTP_STEP_FILE);
}

/* One whole reply <code> with its last line's text t[0 .. n). */
static void
on_reply(struct fwd_ftp *f, unsigned code, const char *t, uint32_t n)
{
	struct fwd_session *s = f->s;
	uint64_t size;
	int64_t mt;

	/* preliminary replies: only the transfer's starts something */
	if (code < 200 && f->phase != FP_XFER)
		return;
	switch (f->phase) {
	case FP_GREET:
		if (code != 220) {
			ftp_fail_reply(f, code, FTP_STEP_GREETING);
			return;
		}
		f->phase = FP_USER;
		if (!ctl_send(f, "USER", f->user, f->user_len))
			ftp_fail_nomem(f);
		return;
	case FP_USER:
	case FP_PASS:
		if (code == 230 || code == 202) {
			after_login(f);
			return;
		}
		if (code == 331 && f->phase == FP_USER) {
			f->phase = FP_PASS;
			if (!ctl_send(f, "PASS", f->pass, f->pass_len))
				ftp_fail_nomem(f);
			return;
		}
		ftp_fail_reply(f, code == 332 ? 502 : code, FTP_STEP_LOGIN);
		return;
	case FP_TYPE:
		if (code / 100 != 2) {
			ftp_fail_reply(f, code, FTP_STEP_OTHER);
			return;
		}
		if (f->dir)
			passive_start(f);
		else if (!ctl_send_path(f, "SIZE", FP_SIZE))
			ftp_fail_nomem(f);
		return;
	case FP_SIZE:
		if (code == 213 && ftp_size_parse(t, n, &size) == 0)
			f->size = size;
		if (code == 550 || code == 450) {
			if (!ctl_send_path(f, "CWD", FP_CWD))
				ftp_fail_nomem(f);
			return;
		}
		if (!ctl_send_path(f, "MDTM", FP_MDTM))
			ftp_fail_nomem(f);
		return;
	case FP_MDTM:
		if (code == 213 && ftp_mdtm_parse(t, n, &mt) == 0)
			f->mtime_s = mt;
		if (s->req_method == HTTP_M_HEAD)
			ftp_answer_head(f);
		else
			passive_start(f);
		return;
	case FP_CWD:
		if (code == 250)
			ftp_redirect(f);
		else
			ftp_fail_reply(f, 550, FTP_STEP_FILE);
		return;
	case FP_EPSV:
		on_epsv(f, code, t, n);
		return;
	case FP_PASV:
		on_pasv(f, code, t, n);
		return;
	case FP_DATA:
		if (code >= 400)
			ftp_fail_reply(f, code, FTP_STEP_OTHER);
		return;
	case FP_XFER:
		on_xfer(f, code);
		return;
	case FP_BODY:
		/* 226 ends it; a failure after the head cuts the client,
		 * so that nothing incomplete looks whole or is stored */
		if (code >= 400 && s->state == ST_FORWARD &&
		    !(s->flags & SF_RESP_DONE)) {
			ftp_cnt(f)->ftp_aborted++;
			fwd_session_end(s, true);
		}
		return;
	case FP_LIST:
		if (code >= 400) {
			ftp_cnt(f)->ftp_aborted++;
			fwd_session_end(s, true);
		}
		return;
	default:
		return;
	}
}

/* Control bytes <m>: whole replies answered, the rest kept. */
static void
ctl_input(struct fwd_ftp *f, struct rte_mbuf *m)
{
	uint32_t total = rte_pktmbuf_pkt_len(m), off = 0, n;
	struct ftp_reply r;
	const char *src;
	int rc;

	tcp_recved(f->ctl, total);
	while (off < total) {
		n = RTE_MIN(total - off, FTP_REPLY_MAX - f->reply_len);
		if (n == 0)
			break; /* full without a reply: parse says so */
		/* rte_pktmbuf_read copies only when the span crosses
		 * segments, else points into one: the bytes go to reply[] */
		src = rte_pktmbuf_read(m, off, n, f->reply + f->reply_len);
		GH_VERIFY(src != NULL);
		if (src != f->reply + f->reply_len)
			memcpy(f->reply + f->reply_len, src, n);
		f->reply_len += n;
		off += n;
		while (f->reply_len > 0) {
			rc = ftp_reply_parse(f->reply, f->reply_len, &r);
			if (rc == FTP_AGAIN)
				break;
			if (rc == FTP_ERROR) {
				rte_pktmbuf_free(m);
				ftp_cnt(f)->ftp_bad_reply++;
				if (f->phase >= FP_BODY) {
					fwd_session_end(f->s, true);
					return;
				}
				ftp_fail(f, 502,
				         "the FTP server's reply is not valid");
				return;
			}
			/* the read timeout again, unless a listing's burst
			 * waits for its 1 ms resume (SF_RESUME) */
			fwd_read_timer_set(f->s);
			on_reply(f, r.code, f->reply + r.last_off, r.last_len);
			if (f->magic != FWD_FTP_MAGIC) { /* released */
				rte_pktmbuf_free(m);
				return;
			}
			memmove(f->reply, f->reply + r.len,
			        f->reply_len - r.len);
			f->reply_len -= r.len;
		}
	}
	rte_pktmbuf_free(m);
}

/* ---- entry points ---- */

/* An Authorization: Basic of the request (what a browser sends after our
 * 401) as the FTP user and password: true with *nu, *np set, false when
 * there is none.  auth_basic_parse() refuses control bytes (so no CR, LF
 * or NUL reaches a command) and bounds both below our buffers. */
_Static_assert(AUTH_USER_MAX_BYTES < FTP_USER_MAX &&
                   AUTH_PASS_MAX_BYTES < FTP_USER_MAX,
               "a verified Basic user and password fit the FTP login");
static bool
basic_creds(struct fwd_ftp *f, const struct http_msg *msg, const char *buf,
            int *nu, int *np)
{
	int i = http_field_find(msg, buf, HTTP_FLD_AUTHORIZATION, 0);
	struct auth_cred c;

	if (i < 0 || auth_basic_parse(buf + msg->hdr[i].value.off,
	                              msg->hdr[i].value.len, &c) < 0)
		return false;
	memcpy(f->user, c.buf, c.user_len);
	memcpy(f->pass, c.buf + c.user_len + 1, c.pass_len);
	*nu = (int)c.user_len;
	*np = (int)c.pass_len;
	return true;
}

void
fwd_ftp_log_url(struct fwd_session *s, const struct http_msg *msg,
                const char *buf)
{
	const char *t = buf + msg->target.off;
	uint32_t len = msg->target.len, n, rest;
	char url[FWD_FTP_ARG_MAX + 3];
	struct ftp_url u;

	if (s->txn == NULL || memchr(t, '@', len) == NULL)
		return;
	if (len >= FWD_FTP_ARG_MAX || ftp_url_parse(t, len, &u) < 0) {
		/* refused (400) later: its userinfo is not logged */
		alog_field_set(s->txn->rec.url, sizeof(s->txn->rec.url),
		               "ftp://***", 9);
		return;
	}
	if (!u.has_pass)
		return;
	rest = len - u.pass_off - u.pass_len;
	memcpy(url, t, u.pass_off);
	memcpy(url + u.pass_off, "***", 3);
	memcpy(url + u.pass_off + 3, t + u.pass_off + u.pass_len, rest);
	n = u.pass_off + 3 + rest;
	alog_field_set(s->txn->rec.url, sizeof(s->txn->rec.url), url, n);
}

bool
fwd_ftp_begin(struct fwd_session *s, const struct http_msg *msg,
              const char *buf)
{
	struct fwd_ctx *fc = s->l->fc;
	const char *t = buf + msg->target.off;
	struct ftp_url u;
	struct fwd_ftp *f;
	int nu, np, nh;

	if (msg->method != HTTP_M_GET && msg->method != HTTP_M_HEAD) {
		fwd_error(s, 501, ALOG_TAG_NONE,
		          "only GET and HEAD fetch ftp:// URLs");
		return false;
	}
	if (msg->body_kind != HTTP_BODY_NONE) {
		fwd_error(s, 400, ALOG_TAG_NONE,
		          "a GET of an ftp:// URL has no body");
		return false;
	}
	if (msg->target.len >= FWD_FTP_ARG_MAX ||
	    ftp_url_parse(t, msg->target.len, &u) < 0) {
		fc->cnt->ftp_bad_url++;
		fwd_error(s, 400, ALOG_TAG_NONE,
		          "not a usable ftp:// URL "
		          "(ftp://[user[:password]@]host[:port]/path"
		          "[;type=a|i|d])");
		return false;
	}
	f = gh_pool_get(&fc->ftp_pool);
	if (f == NULL) {
		fc->cnt->ftp_no_state++;
		fwd_error(s, 503, ALOG_TAG_NONE,
		          "too many FTP transfers at once");
		return false;
	}
	memset(f, 0, offsetof(struct fwd_ftp, user));
	f->magic = FWD_FTP_MAGIC;
	f->s = s;
	f->size = UINT64_MAX;
	f->mtime_s = INT64_MIN;
	f->type = u.type;
	f->dir = u.dir;
	f->creds = u.has_user;
	if (u.has_user) {
		nu = ftp_url_decode(t + u.user_off, u.user_len, f->user,
		                    sizeof(f->user));
		np = ftp_url_decode(t + u.pass_off, u.pass_len, f->pass,
		                    sizeof(f->pass));
	} else if (basic_creds(f, msg, buf, &nu, &np)) {
		f->creds = true; /* Authorization: Basic, as Squid takes it */
	} else {
		memcpy(f->user, FTP_ANON_USER, sizeof(FTP_ANON_USER) - 1);
		memcpy(f->pass, FTP_ANON_PASS, sizeof(FTP_ANON_PASS) - 1);
		nu = sizeof(FTP_ANON_USER) - 1;
		np = sizeof(FTP_ANON_PASS) - 1;
	}
	nh = ftp_url_decode(t + u.path_off, u.path_len, f->path,
	                    sizeof(f->path));
	if (nu <= 0 || np < 0 || nh < 0) {
		f->magic = 0;
		gh_pool_put(&fc->ftp_pool, f);
		fc->cnt->ftp_bad_url++;
		fwd_error(s, 400, ALOG_TAG_NONE,
		          "the ftp:// URL's user, password or path is not "
		          "valid (a bad %-escape, or CR, LF or NUL)");
		return false;
	}
	f->user_len = (uint16_t)nu;
	f->pass_len = (uint16_t)np;
	f->path_len = (uint16_t)nh;
	/* the target up to the end of its path, for links and Location */
	f->target_len = (uint16_t)(u.path_off + u.path_len);
	f->upath_off = (uint16_t)u.path_off;
	memcpy(f->target, t, f->target_len);
	s->ftp = f;
	s->flags |= SF_REQ_DONE;
	fc->cnt->ftp_requests++;
	return true;
}

void
fwd_ftp_connected(struct fwd_session *s)
{
	struct fwd_ftp *f = s->ftp;

	GH_CHECK_OBJ(f, FWD_FTP_MAGIC);
	f->ctl = s->up;
	s->up = NULL;
	tcp_conn_set_arg(f->ctl, f);
	f->phase = FP_GREET;
	s->state = ST_FTP;
	fwd_timer_set(s, fwd_cfg(s)->upstream_read_ms);
}

void
fwd_ftp_release(struct fwd_session *s)
{
	struct fwd_ftp *f = s->ftp;

	if (f == NULL)
		return;
	GH_CHECK_OBJ(f, FWD_FTP_MAGIC);
	s->ftp = NULL;
	if (f->ctl != NULL) {
		(void)ctl_send(f, "QUIT", NULL, 0);
		fwd_leg_close(&f->ctl, false);
	}
	data_drop(f, !(f->flags & FF_DATA_FIN));
	f->magic = 0;
	gh_pool_put(&s->l->fc->ftp_pool, f);
}

void
fwd_ftp_writable(struct fwd_session *s)
{
	struct fwd_ftp *f = s->ftp;

	if (f != NULL && f->phase == FP_LIST)
		list_pump(f);
}

void
fwd_ftp_timeout(struct fwd_session *s)
{
	struct fwd_ftp *f = s->ftp;

	if (f == NULL) {
		fwd_session_end(s, true);
		return;
	}
	if (s->flags & SF_RESUME) {
		s->flags &= (uint32_t)~SF_RESUME;
		if (f->phase == FP_LIST)
			list_pump(f);
		else /* never without a timer */
			fwd_read_timer_set(s);
		return;
	}
	s->l->fc->cnt->ftp_timeout++;
	if (f->phase == FP_LIST) { /* the head went: cut */
		fwd_session_end(s, true);
		return;
	}
	fwd_error(s, 504, ALOG_TCP_MISS,
	          f->phase == FP_DATA
	              ? "the FTP data connection was not accepted in time"
	              : "the FTP server did not answer in time");
}

void
fwd_ftp_on_connected(struct fwd_ftp *f, struct tcp_conn *c)
{
	struct fwd_session *s = f->s;
	bool list = (f->flags & FF_LIST) != 0;

	GH_CHECK_OBJ(f, FWD_FTP_MAGIC);
	if (c != f->data || f->phase != FP_DATA)
		return;
	fwd_timer_set(s, fwd_cfg(s)->upstream_read_ms);
	if (!ctl_send_path(f,
	                   !f->dir ? "RETR"
	                   : list  ? "LIST"
	                           : "MLSD",
	                   FP_XFER))
		ftp_fail_nomem(f);
}

void
fwd_ftp_on_data(struct fwd_ftp *f, struct tcp_conn *c, struct rte_mbuf *m)
{
	uint32_t n = rte_pktmbuf_pkt_len(m);

	GH_CHECK_OBJ(f, FWD_FTP_MAGIC);
	if (c == f->ctl) {
		ctl_input(f, m);
		return;
	}
	if (c != f->data || proxy_chain_append(&f->data_in, m) < 0) {
		rte_pktmbuf_free(m);
		tcp_recved(c, n);
		if (c == f->data)
			fwd_session_end(f->s, true);
		return;
	}
	/* held (window closing) until the transfer's reply came */
	ftp_cnt(f)->ftp_bytes += n;
	if (f->phase == FP_LIST)
		list_pump(f); /* sets the read timer or its resume */
}

void
fwd_ftp_on_peer_fin(struct fwd_ftp *f, struct tcp_conn *c)
{
	GH_CHECK_OBJ(f, FWD_FTP_MAGIC);
	if (c == f->data) {
		f->flags |= FF_DATA_FIN;
		if (f->phase == FP_LIST)
			list_pump(f);
		return;
	}
	if (c == f->ctl && f->phase < FP_BODY) {
		ftp_cnt(f)->ftp_err_reply++;
		ftp_fail(f, 502,
		         "the FTP server closed the control "
		         "connection");
	}
}

void
fwd_ftp_on_close(struct fwd_ftp *f, struct tcp_conn *c,
                 enum tcp_close_reason why)
{
	GH_CHECK_OBJ(f, FWD_FTP_MAGIC);
	if (c == f->ctl) {
		f->ctl = NULL;
		if (f->phase < FP_BODY) {
			ftp_cnt(f)->ftp_err_reply++;
			ftp_fail(f, 502, "the FTP control connection closed");
		}
		return;
	}
	if (c != f->data)
		return;
	f->data = NULL;
	if (f->phase == FP_LIST) {
		if (why == TCP_CLOSE_NORMAL) {
			f->flags |= FF_DATA_FIN;
			list_pump(f);
		} else {
			fwd_session_end(f->s, true);
		}
		return;
	}
	if (f->phase == FP_DATA || f->phase == FP_XFER) {
		ftp_cnt(f)->ftp_data_failed++;
		if (why == TCP_CLOSE_CONNECT_TIMEOUT) {
			ftp_cnt(f)->ftp_timeout++;
			ftp_fail(f, 504,
			         "the FTP data connection was not "
			         "accepted in time");
			return;
		}
		ftp_fail(f, 502,
		         "the FTP data connection was refused or "
		         "reset");
	}
}
