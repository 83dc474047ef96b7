/*
 * The forward proxy's heads (see fwd_priv.h): the head writer that puts a
 * head into fresh mbufs, the rewriting of a request head for the origin
 * (origin-form request line, Host from the target, hop-by-hop fields
 * dropped, Max-Forwards counted down, Via and X-Forwarded-For by policy)
 * and of a response head for the client (framing fields as RFC 9110 8.6
 * and 9112 6.1 allow), and when an unfinished head is worth parsing again.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <netinet/in.h>

#include <rte_mbuf.h>

#include "common/gh_common.h"
#include "fwd_priv.h"

/* ---- writing heads ---- */

void
fwd_hw_put(struct fwd_head_writer *w, const void *p, uint32_t n)
{
	const char *s = p;

	while (n > 0 && !w->failed) {
		uint32_t room =
		    w->tail != NULL ? rte_pktmbuf_tailroom(w->tail) : 0;
		uint32_t k;
		char *dst;

		if (room == 0) {
			struct rte_mbuf *m = rte_pktmbuf_alloc(w->pool);

			if (m == NULL || (w->head != NULL &&
			                  rte_pktmbuf_chain(w->head, m) != 0)) {
				rte_pktmbuf_free(m);
				w->failed = true;
				break;
			}
			if (w->head == NULL)
				w->head = m;
			w->tail = m;
			continue;
		}
		k = n < room ? n : room;
		dst =
		    rte_pktmbuf_mtod_offset(w->tail, char *, w->tail->data_len);
		memcpy(dst, s, k);
		w->tail->data_len = (uint16_t)(w->tail->data_len + k);
		if (w->head != w->tail)
			w->head->pkt_len += k;
		else
			w->tail->pkt_len = w->tail->data_len;
		s += k;
		n -= k;
	}
}

void
fwd_hw_str(struct fwd_head_writer *w, const char *s)
{
	fwd_hw_put(w, s, (uint32_t)strlen(s));
}

uint32_t
fwd_fmt_u64(char *out, uint64_t v)
{
	char d[20];
	uint32_t n = 0, i;

	do {
		d[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	for (i = 0; i < n; i++)
		out[i] = d[n - 1 - i];
	return n;
}

void
fwd_hw_age(struct fwd_head_writer *w, uint64_t age_s)
{
	char line[32];
	uint32_t k;

	memcpy(line, "Age: ", 5);
	k = 5 + fwd_fmt_u64(line + 5, age_s);
	memcpy(line + k, "\r\n", 2);
	fwd_hw_put(w, line, k + 2);
}

void
fwd_hw_end(struct fwd_head_writer *w, bool via, unsigned minor, bool close)
{
	char text[64]; /* "Via: 1." 20 digits " gatehouse\r\n" close CRLF */
	uint32_t n = 0;

	/* one put, no snprintf: every response head for a client ends here */
	if (via) {
		memcpy(text, "Via: 1.", 7);
		n = 7 + fwd_fmt_u64(text + 7, minor);
		memcpy(text + n, " gatehouse\r\n", 12);
		n += 12;
	}
	if (close) {
		memcpy(text + n, "Connection: close\r\n", 19);
		n += 19;
	}
	memcpy(text + n, "\r\n", 2);
	fwd_hw_put(w, text, n + 2);
}

void
fwd_hw_span(struct fwd_head_writer *w, const char *buf, struct http_str sp)
{
	fwd_hw_put(w, buf + sp.off, sp.len);
}

void
fwd_hw_host(struct fwd_head_writer *w, const char *buf, struct http_str host)
{
	bool v6 = memchr(buf + host.off, ':', host.len) != NULL;

	if (v6)
		fwd_hw_str(w, "[");
	fwd_hw_span(w, buf, host);
	if (v6)
		fwd_hw_str(w, "]");
}

/* The chain written, or NULL (and the count) when the pool ran dry. */
struct rte_mbuf *
fwd_hw_done(struct fwd_head_writer *w, struct proxy_counters *cnt)
{
	if (w->failed) {
		rte_pktmbuf_free(w->head);
		cnt->fwd_no_mbuf++;
		return NULL;
	}
	return w->head;
}

static void
ip_text(uint32_t ip_be, char *buf, size_t cap)
{
	uint32_t a = ntohl(ip_be);

	snprintf(buf, cap, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255,
	         (a >> 8) & 255, a & 255);
}

/* ---- request heads ---- */

/*
 * Header <i> is hop-by-hop: dropped when the message is passed on.  The
 * framing fields (Content-Length, Transfer-Encoding) never are, whatever
 * Connection says: the body is forwarded as they frame it, so dropping
 * them would let the next hop read the body as another message (RFC 9110
 * 7.6.1 lets an intermediary ignore such a Connection option; a request
 * that names them is refused before this, see fwd_conn_names_framing()).
 */
static bool
is_hop_by_hop(const struct http_msg *msg, const char *buf, unsigned i)
{
	static const char *const names[] = {
	    "connection", "proxy-connection", "keep-alive",         "te",
	    "trailer",    "upgrade",          "proxy-authorization"};
	size_t k;

	for (k = 0; k < GH_ARRAY_SIZE(names); k++)
		if (http_hdr_name_is(msg, buf, i, names[k]))
			return true;
	if (http_hdr_name_is(msg, buf, i, "content-length") ||
	    http_hdr_name_is(msg, buf, i, "transfer-encoding"))
		return false;
	return http_conn_lists(msg, buf, buf + msg->hdr[i].name.off,
	                       msg->hdr[i].name.len);
}

/* Connection lists a framing field: a request built to be read two ways. */
bool
fwd_conn_names_framing(const struct http_msg *msg, const char *buf)
{
	return http_conn_lists(msg, buf, "content-length", 14) ||
	       http_conn_lists(msg, buf, "transfer-encoding", 17);
}

bool
fwd_te_only_chunked(const struct http_msg *msg, const char *buf)
{
	unsigned i, n = 0;

	if (!(msg->flags & HTTP_F_HAS_TE))
		return true;
	for (i = 0; i < msg->n_headers; i++) {
		if (!http_hdr_name_is(msg, buf, i, "transfer-encoding"))
			continue;
		if (++n > 1 || msg->hdr[i].value.len != 7 ||
		    strncasecmp(buf + msg->hdr[i].value.off, "chunked", 7) != 0)
			return false;
	}
	return true;
}

/* Fields an anonymize listener removes from requests: what names the
 * client, its network or the proxies before us (RFC 9110 7.6.3 lets a
 * proxy at a network's edge replace those by a pseudonym: ours). */
static bool
is_identifying(const struct http_msg *msg, const char *buf, unsigned i)
{
	static const char *const names[] = {
	    "from",      "x-forwarded-for", "forwarded",   "x-real-ip",
	    "client-ip", "true-client-ip",  "x-client-ip", "via"};
	size_t k;

	for (k = 0; k < GH_ARRAY_SIZE(names); k++)
		if (http_hdr_name_is(msg, buf, i, names[k]))
			return true;
	return false;
}

/* Fields a reverse listener that does not trust the client's
 * X-Forwarded-For (replace or delete, a reverse listener's default) also
 * removes: the client's address and the front's host and port as a
 * client could claim them to a server that believes them (nginx's
 * real_ip, frameworks' "trusted proxy" settings). */
static bool
is_forwarding_claim(const struct http_msg *msg, const char *buf, unsigned i)
{
	static const char *const names[] = {
	    "x-real-ip",         "x-client-ip",      "client-ip",
	    "true-client-ip",    "x-forwarded-host", "x-forwarded-port",
	    "x-forwarded-server"};
	size_t k;

	for (k = 0; k < GH_ARRAY_SIZE(names); k++)
		if (http_hdr_name_is(msg, buf, i, names[k]))
			return true;
	return false;
}

/* Host names <a> and <b> equal without case, a trailing dot of either
 * ignored. */
static bool
host_eq(const char *a, uint32_t an, const char *b, uint32_t bn)
{
	an -= an > 0 && a[an - 1] == '.';
	bn -= bn > 0 && b[bn - 1] == '.';
	return an == bn && an != 0 && strncasecmp(a, b, an) == 0;
}

/*
 * Whether Referer field <i> names a host other than the request's (the
 * page the user came from on another site, RFC 9110 10.1.3): an absolute
 * URI "scheme://host[:port]..." whose host differs.  The site's own pages
 * are kept (it knows them, and some check them against forgery); anything
 * not read as such a URI, or with userinfo, counts as foreign.
 */
static bool
referer_foreign(const struct http_msg *msg, const char *buf, unsigned i)
{
	const char *v = buf + msg->hdr[i].value.off;
	uint32_t n = msg->hdr[i].value.len, k = 0, h;

	while (k < n && k < 16 &&
	       (isalnum((unsigned char)v[k]) || v[k] == '+' || v[k] == '-' ||
	        v[k] == '.'))
		k++;
	if (k == 0 || n - k < 3 || memcmp(v + k, "://", 3) != 0)
		return true;
	k += 3;
	for (h = k;
	     h < n && v[h] != '/' && v[h] != '?' && v[h] != '#' && v[h] != ':';
	     h++)
		if (v[h] == '@')
			return true;
	return !host_eq(v + k, h - k, buf + msg->host.off, msg->host.len);
}

/* A request field of an anonymize listener with <cfg>: written as it
 * came (false), or dropped or replaced here (true). */
static bool
anonymized(struct fwd_head_writer *w, const struct conf_forward *cfg,
           const struct http_msg *msg, const char *buf, unsigned i)
{
	if (is_identifying(msg, buf, i))
		return true;
	if (http_hdr_name_is(msg, buf, i, "referer"))
		return referer_foreign(msg, buf, i);
	if (http_hdr_name_is(msg, buf, i, "cookie") ||
	    http_hdr_name_is(msg, buf, i, "cookie2"))
		return cfg->anon_cookies;
	if (!http_hdr_name_is(msg, buf, i, "user-agent"))
		return false;
	/* replaced once, at the first User-Agent line */
	if (!cfg->anon_ua_remove &&
	    http_hdr_find(msg, buf, "user-agent", 0) == (int)i) {
		fwd_hw_str(w, "User-Agent: ");
		fwd_hw_str(w, cfg->anon_user_agent[0] != '\0'
		                  ? cfg->anon_user_agent
		                  : CONF_ANON_UA_DEFAULT);
		fwd_hw_str(w, "\r\n");
	}
	return true;
}

bool
fwd_set_cookie_dropped(const struct conf_forward *cfg, const char *p,
                       uint32_t n)
{
	return cfg->anonymous && cfg->anon_cookies &&
	       ((n >= 11 && strncasecmp(p, "set-cookie:", 11) == 0) ||
	        (n >= 12 && strncasecmp(p, "set-cookie2:", 12) == 0));
}

/* The value of a Max-Forwards field (RFC 9110 7.6.2), or -1 when there is
 * none or it is not 1*DIGIT (then it is passed on as it came). */
static long
max_forwards(const struct http_msg *msg, const char *buf)
{
	int i = http_hdr_find(msg, buf, "max-forwards", 0);
	const char *v;
	long n = 0;
	uint32_t k;

	if (i < 0 || msg->hdr[i].value.len == 0)
		return -1;
	v = buf + msg->hdr[i].value.off;
	for (k = 0; k < msg->hdr[i].value.len; k++) {
		if (v[k] < '0' || v[k] > '9')
			return -1;
		/* Larger values are all "very many" (7.6.2: forward the
		 * lesser of value - 1 and the largest we support). */
		if (n < FWD_MAX_FORWARDS_CAP)
			n = n * 10 + (v[k] - '0');
	}
	return n < FWD_MAX_FORWARDS_CAP ? n : FWD_MAX_FORWARDS_CAP;
}

/* An OPTIONS request the proxy answers as its final recipient: "OPTIONS *"
 * (the proxy itself) or Max-Forwards: 0 (RFC 9110 7.6.2: MUST NOT forward). */
bool
fwd_options_for_us(const struct http_msg *msg, const char *buf)
{
	return msg->method == HTTP_M_OPTIONS &&
	       (msg->form == HTTP_FORM_ASTERISK || max_forwards(msg, buf) == 0);
}

void
fwd_hw_target(struct fwd_head_writer *w, const struct http_msg *msg,
              const char *buf)
{
	char port[16];

	/* RFC 9112 3.2.4: OPTIONS http://h (no path, no query) is "*". */
	if (msg->method == HTTP_M_OPTIONS && msg->path.len == 0)
		fwd_hw_str(w, "*");
	else if (msg->path.len == 0 || buf[msg->path.off] != '/')
		fwd_hw_str(w, "/");
	fwd_hw_span(w, buf, msg->path);
	fwd_hw_str(w, " HTTP/1.1\r\nHost: ");
	fwd_hw_host(w, buf, msg->host);
	if (msg->port != 80) {
		snprintf(port, sizeof(port), ":%u", msg->port);
		fwd_hw_str(w, port);
	}
	fwd_hw_str(w, "\r\n");
}

/* Write the request head for the origin into s->up_out. */
int
fwd_write_request_head(struct fwd_session *s, const struct http_msg *msg,
                       const char *buf)
{
	struct fwd_ctx *fc = s->l->fc;
	const struct conf_forward *cfg = fwd_cfg(s);
	struct fwd_head_writer w = {.pool = fc->p.pool};
	struct tcp_flow_key k;
	struct rte_mbuf *m;
	char text[64];
	unsigned i;

	fwd_hw_span(&w, buf, msg->method_str);
	fwd_hw_str(&w, " ");
	fwd_hw_target(&w, msg, buf);
	for (i = 0; i < msg->n_headers; i++) {
		if (http_hdr_name_is(msg, buf, i, "host") ||
		    is_hop_by_hop(msg, buf, i))
			continue;
		if (cfg->anonymous && anonymized(&w, cfg, msg, buf, i))
			continue;
		if ((cfg->xff == CONF_XFF_DELETE ||
		     cfg->xff == CONF_XFF_REPLACE) &&
		    http_hdr_name_is(msg, buf, i, "x-forwarded-for"))
			continue;
		/* reverse: ours replace what the client claims; a path
		 * override would serve another path than the one routed */
		if (cfg->reverse &&
		    ((cfg->forwarded &&
		      http_hdr_name_is(msg, buf, i, "forwarded")) ||
		     (cfg->xfp &&
		      http_hdr_name_is(msg, buf, i, "x-forwarded-proto")) ||
		     http_hdr_name_is(msg, buf, i, "x-original-url") ||
		     http_hdr_name_is(msg, buf, i, "x-rewrite-url") ||
		     ((cfg->xff == CONF_XFF_DELETE ||
		       cfg->xff == CONF_XFF_REPLACE) &&
		      is_forwarding_claim(msg, buf, i))))
			continue;
		/* RFC 9110 7.6.2: an intermediary MUST decrement it (0 was
		 * answered here, see fwd_options_for_us()). */
		if ((msg->method == HTTP_M_OPTIONS ||
		     msg->method == HTTP_M_TRACE) &&
		    http_hdr_name_is(msg, buf, i, "max-forwards") &&
		    max_forwards(msg, buf) > 0) {
			/* Once, at the first field: that value counts,
			 * further Max-Forwards lines go. */
			if (http_hdr_find(msg, buf, "max-forwards", 0) ==
			    (int)i) {
				snprintf(text, sizeof(text),
				         "Max-Forwards: %ld\r\n",
				         max_forwards(msg, buf) - 1);
				fwd_hw_str(&w, text);
			}
			continue;
		}
		fwd_hw_span(&w, buf, msg->hdr[i].name);
		fwd_hw_str(&w, ": ");
		fwd_hw_span(&w, buf, msg->hdr[i].value);
		fwd_hw_str(&w, "\r\n");
	}
	/* RFC 9110 7.6.3: a proxy sends Via; anonymized, with the pseudonym
	 * "proxy" and no comment (no name, no software) */
	if (cfg->via) {
		snprintf(text, sizeof(text), "Via: 1.%u %s\r\n",
		         msg->version_minor,
		         cfg->anonymous ? "proxy" : "gatehouse");
		fwd_hw_str(&w, text);
	}
	if ((cfg->xff == CONF_XFF_ADD || cfg->xff == CONF_XFF_REPLACE) &&
	    !cfg->anonymous) {
		tcp_conn_key(s->cli, &k);
		fwd_hw_str(&w, "X-Forwarded-For: ");
		ip_text(k.remote_ip_be, text, sizeof(text));
		fwd_hw_str(&w, text);
		fwd_hw_str(&w, "\r\n");
	}
	if (cfg->reverse)
		fwd_rev_request_hdrs(s, &w, msg, buf);
	fwd_cache_reval_hdrs(s, &w); /* a validation's conditionals */
	fwd_hw_str(&w, "\r\n");
	m = fwd_hw_done(&w, fc->cnt);
	if (m == NULL)
		return -ENOMEM;
	rte_pktmbuf_free(s->up_out);
	s->up_out = m;
	return 0;
}

/* ---- response heads ---- */

/* Write the client's copy of the response head in <buf>. */
struct rte_mbuf *
fwd_write_response_head(struct fwd_session *s, const struct http_msg *msg,
                        const char *buf, bool close)
{
	struct fwd_ctx *fc = s->l->fc;
	struct fwd_head_writer w = {.pool = fc->p.pool};
	char text[64];
	unsigned i;

	/* RFC 9110 8.6 and 9112 6.1: no Content-Length on a 1xx or 204, no
	 * Transfer-Encoding on those nor to an HTTP/1.0 client (a chunked
	 * body is de-chunked for it, SF_DECHUNK, and ends with the
	 * connection). */
	bool no_length = msg->status < 200 || msg->status == 204;
	bool no_te = no_length || (s->flags & SF_CLI_HTTP10);

	snprintf(text, sizeof(text), "HTTP/1.1 %03u ", msg->status);
	fwd_hw_str(&w, text);
	fwd_hw_span(&w, buf, msg->reason);
	fwd_hw_str(&w, "\r\n");
	for (i = 0; i < msg->n_headers; i++) {
		if (is_hop_by_hop(msg, buf, i))
			continue;
		if ((no_length || (s->flags & SF_DECHUNK)) &&
		    http_hdr_name_is(msg, buf, i, "content-length"))
			continue;
		if (no_te && http_hdr_name_is(msg, buf, i, "transfer-encoding"))
			continue;
		if (fwd_cfg(s)->anonymous && fwd_cfg(s)->anon_cookies &&
		    (http_hdr_name_is(msg, buf, i, "set-cookie") ||
		     http_hdr_name_is(msg, buf, i, "set-cookie2")))
			continue;
		if (fwd_rev_location(s, &w, msg, buf, i))
			continue;
		fwd_hw_span(&w, buf, msg->hdr[i].name);
		fwd_hw_str(&w, ": ");
		fwd_hw_span(&w, buf, msg->hdr[i].value);
		fwd_hw_str(&w, "\r\n");
	}
	fwd_cache_status_miss(s, &w, msg->status);
	fwd_hw_end(&w, fwd_cfg(s)->via, msg->version_minor,
	           close && msg->status >= 200);
	return fwd_hw_done(&w, fc->cnt);
}

/* ---- reading heads ---- */

/*
 * Whether an unfinished head in <q> (cli_in for a request, up_in for a
 * response: one is read at a time) is worth parsing (again): the first
 * bytes (garbage is refused at once), a new line end (only one can
 * complete a line or the head), or more bytes than the limit that applies
 * (414, 431).  A head dripped a byte a segment is then parsed once a line,
 * not once a byte: no quadratic re-copy and re-parse.  fwd_head_reset() when
 * the head is consumed.
 */
bool
fwd_head_worth_parsing(struct fwd_session *s, const struct rte_mbuf *q)
{
	const struct conf_forward *cfg = fwd_cfg(s);
	uint32_t len = proxy_chain_len(q), from = s->head_scanned;
	bool lf = proxy_chain_has_lf(q, from);
	uint32_t limit;

	s->head_scanned = len;
	if (lf)
		s->flags |= SF_HEAD_LF;
	if (from == 0 || lf)
		return true;
	limit = cfg->max_request_line;
	if (s->flags & SF_HEAD_LF)
		limit = cfg->max_header_bytes;
	return len >= limit;
}

void
fwd_head_reset(struct fwd_session *s)
{
	s->head_scanned = 0;
	s->flags &= (uint32_t)~SF_HEAD_LF;
}
