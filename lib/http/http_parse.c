/*
 * The head parser (see http.h for the contract): request line or status
 * line, header fields, and the framing decision of RFC 9112 6.3.
 *
 * Incremental without per-byte state: the head is parsed line by line as
 * each line's LF arrives; msg->scan_off is the start of the first line not
 * yet parsed, and complete lines are never looked at again.  The line that
 * is still incomplete is checked only for what can already be decided: an
 * octet that no line may hold (a CTL but HT, DEL, a CR not followed by LF),
 * the header count (decided by the first byte of a field line) and the
 * length limits (decided when the limit is reached without an LF).
 *
 * Why any split gives the same result: every check is decided at a byte
 * position by the bytes before it, and the checks run in position order,
 * complete lines first, so whichever prefix first shows an error, the
 * whole buffer shows the same error first.  The one place where the order
 * can differ is a line holding both a syntax error and, after it, an
 * invalid octet: a partial line reports the octet, the complete line the
 * syntax error; both are 400 for a request and 502 for a response, so the
 * status is the same and only msg->error differs.
 *
 * Strictness (RFC 9112 2.2, 3.2, 5, 6.1, 6.3, 11.2; RFC 9110 8.6): lines end in
 * CRLF only; a bare CR or bare LF, obs-fold, whitespace before a colon, a CTL
 * in a value, whitespace before the first field line, a second Host or an
 * invalid one, no Host in an HTTP/1.1 request, Transfer-Encoding with
 * Content-Length (in any response too, with or without a body), a
 * malformed Content-Length or more than one (a list of identical values,
 * "5, 5", included), Transfer-Encoding in HTTP/1.0, chunked listed twice,
 * or a request whose last transfer-coding is not chunked are all errors.
 * A response whose last transfer-coding is not chunked (even with chunked
 * before it) is read until the close; a 1xx, 204 or 304 response or one to
 * HEAD has no body whatever its framing fields say.  With an absolute-form
 * target the Host field is checked but the target says where to go.  A
 * request gets 400 (414, 431, 505 where those apply); a response 502
 * always.
 */
#include <string.h>

#include "common/gh_common.h"
#include "http/http.h"
#include "http/http_priv.h"

#define HTTP_PORT_NONE 0xffffffffu

/* Bits of msg->te_chunked. */
#define TE_LAST_CHUNKED 0x01u /* the last transfer-coding so far */
#define TE_SEEN_CHUNKED 0x02u /* chunked was listed */

void
http_msg_init(struct http_msg *msg, bool is_request,
              enum http_method req_method)
{
	/* everything but the header table, which n_headers guards */
	memset(msg, 0, offsetof(struct http_msg, hdr));
	msg->is_request = is_request ? 1 : 0;
	msg->req_method = is_request ? HTTP_M_OTHER : (uint8_t)req_method;
}

/* Record an error: <req_status> for a request, 502 for a response. */
static int
msg_fail(struct http_msg *msg, uint16_t req_status, const char *why)
{
	msg->status = msg->is_request ? req_status : 502;
	msg->error = why;
	msg->head_len = 0;
	return HTTP_ERROR;
}

/*
 * Why the scan of a line stopped at buf[i] when the byte was not the one
 * the grammar wanted, for a line whose LF is at <lf>: octet-level reasons
 * first, so that the text matches what a partial line would have said.
 */
static const char *
stop_reason(const char *buf, uint32_t i, uint32_t lf, const char *syntax)
{
	unsigned char c = (unsigned char)buf[i];

	if (c == '\n')
		return "bare LF";
	if (c == '\r')
		return i + 1 == lf ? syntax : "bare CR";
	if (c == 0)
		return "NUL octet";
	if (!http_is(c, HTTP_C_VALUE))
		return "invalid octet";
	return syntax;
}

/* Parse a port: 1..5 digits, 1..65535.  Returns the port, or 0 when bad. */
static uint32_t
port_parse(const char *buf, uint32_t a, uint32_t b)
{
	uint32_t v = 0, i;

	if (b - a > 5 || a == b)
		return 0;
	for (i = a; i < b; i++) {
		if (!http_is((unsigned char)buf[i], HTTP_C_DIGIT))
			return 0;
		v = v * 10 + (uint32_t)(buf[i] - '0');
	}
	return v <= 65535 ? v : 0;
}

/*
 * authority = host [ ":" port ] in buf[a .. b), userinfo not accepted.
 * host is a reg-name of ALPHA DIGIT - . _ (so an IPv4 address too), or an
 * IPv6 literal in brackets (stored without them).  *port is the port,
 * HTTP_PORT_NONE when there is none or it is empty.  Returns 0, or -1 with
 * *why set.
 */
static int
authority_parse(const char *buf, uint32_t a, uint32_t b, struct http_str *host,
                uint32_t *port, const char **why)
{
	uint32_t i = a, h0, h1;

	*port = HTTP_PORT_NONE;
	if (memchr(buf + a, '@', b - a) != NULL) {
		*why = "userinfo in authority";
		return -1;
	}
	if (i < b && buf[i] == '[') {
		h0 = ++i;
		while (i < b && http_is((unsigned char)buf[i], HTTP_C_IPV6))
			i++;
		h1 = i;
		if (i == b || buf[i] != ']' || h1 == h0) {
			*why = "invalid IPv6 literal";
			return -1;
		}
		i++;
	} else {
		h0 = i;
		while (i < b && http_is((unsigned char)buf[i], HTTP_C_HOST))
			i++;
		h1 = i;
		if (h1 == h0) {
			*why = "invalid host";
			return -1;
		}
	}
	host->off = h0;
	host->len = h1 - h0;
	if (i == b)
		return 0;
	if (buf[i] != ':') {
		*why = "invalid host";
		return -1;
	}
	i++;
	if (i == b)
		return 0; /* "host:" - the default port */
	*port = port_parse(buf, i, b);
	if (*port == 0) {
		*why = "invalid port";
		return -1;
	}
	return 0;
}

static uint8_t
method_lookup(const char *p, uint32_t len)
{
	switch (len) {
	case 3:
		if (memcmp(p, "GET", 3) == 0)
			return HTTP_M_GET;
		if (memcmp(p, "PUT", 3) == 0)
			return HTTP_M_PUT;
		break;
	case 4:
		if (memcmp(p, "HEAD", 4) == 0)
			return HTTP_M_HEAD;
		if (memcmp(p, "POST", 4) == 0)
			return HTTP_M_POST;
		break;
	case 5:
		if (memcmp(p, "TRACE", 5) == 0)
			return HTTP_M_TRACE;
		if (memcmp(p, "PATCH", 5) == 0)
			return HTTP_M_PATCH;
		break;
	case 6:
		if (memcmp(p, "DELETE", 6) == 0)
			return HTTP_M_DELETE;
		break;
	case 7:
		if (memcmp(p, "CONNECT", 7) == 0)
			return HTTP_M_CONNECT;
		if (memcmp(p, "OPTIONS", 7) == 0)
			return HTTP_M_OPTIONS;
		break;
	default:
		break;
	}
	return HTTP_M_OTHER;
}

/* The request-target in buf[t0 .. t1), already checked for octets. */
static int
target_parse(struct http_msg *msg, const char *buf, uint32_t t0, uint32_t t1)
{
	uint32_t len = t1 - t0, i, a, port;
	const char *why = NULL;

	msg->path.off = t1;
	msg->path.len = 0;
	if (msg->method == HTTP_M_CONNECT) {
		/* RFC 9112 3.2.3: authority-form, and the port is required */
		msg->form = HTTP_FORM_AUTHORITY;
		if (authority_parse(buf, t0, t1, &msg->host, &port, &why) < 0)
			return msg_fail(msg, 400, why);
		if (port == HTTP_PORT_NONE)
			return msg_fail(msg, 400, "CONNECT without a port");
		msg->port = (uint16_t)port;
		return HTTP_OK;
	}
	if (buf[t0] == '/') {
		msg->form = HTTP_FORM_ORIGIN;
		msg->path.off = t0;
		msg->path.len = len;
		return HTTP_OK;
	}
	if (len == 1 && buf[t0] == '*') {
		if (msg->method != HTTP_M_OPTIONS)
			return msg_fail(msg, 400, "asterisk-form not OPTIONS");
		msg->form = HTTP_FORM_ASTERISK;
		return HTTP_OK;
	}
	/* absolute-form: "http://" or "https://", scheme in any case */
	if (len > 7 && http_eq_nocase(buf + t0, 7, "http://", 7)) {
		a = t0 + 7;
		msg->scheme.len = 4;
		msg->port = 80;
	} else if (len > 8 && http_eq_nocase(buf + t0, 8, "https://", 8)) {
		a = t0 + 8;
		msg->scheme.len = 5;
		msg->port = 443;
	} else if (len > 6 && http_eq_nocase(buf + t0, 6, "ftp://", 6)) {
		a = t0 + 6;
		msg->scheme.len = 3;
		msg->port = 21;
	} else {
		return msg_fail(msg, 400, "invalid request-target");
	}
	msg->form = HTTP_FORM_ABSOLUTE;
	msg->scheme.off = t0;
	for (i = a; i < t1; i++)
		if (buf[i] == '/' || buf[i] == '?')
			break;
	/* an ftp URL may carry user[:password]@ (RFC 1738 3.1): the host
	 * follows the last '@' of the authority */
	if (msg->scheme.len == 3) {
		uint32_t j;

		for (j = i; j > a; j--)
			if (buf[j - 1] == '@') {
				a = j;
				break;
			}
	}
	if (authority_parse(buf, a, i, &msg->host, &port, &why) < 0)
		return msg_fail(msg, 400, why);
	if (port != HTTP_PORT_NONE)
		msg->port = (uint16_t)port;
	msg->path.off = i;
	msg->path.len = t1 - i;
	if (i == t1 || buf[i] != '/')
		msg->flags |= HTTP_F_PATH_NOSLASH;
	return HTTP_OK;
}

/*
 * "HTTP/1.1" or "HTTP/1.0" at buf[v], followed by nothing but the CR at
 * buf[lf - 1] when <at_eol>, by SP otherwise.  Returns the minor version,
 * -2 for another HTTP/<d>.<d> (505), -1 for anything else (400).
 */
static int
version_parse(const char *buf, uint32_t v, uint32_t lf, bool at_eol)
{
	const char *p = buf + v;
	int minor;

	if (v + 9 > lf)
		return -1;
	if (memcmp(p, "HTTP/", 5) != 0 ||
	    !http_is((unsigned char)p[5], HTTP_C_DIGIT) || p[6] != '.' ||
	    !http_is((unsigned char)p[7], HTTP_C_DIGIT))
		return -1;
	if (at_eol ? (v + 9 != lf || p[8] != '\r') : p[8] != ' ')
		return -1;
	if (p[5] != '1' || (p[7] != '0' && p[7] != '1'))
		return -2;
	minor = p[7] - '0';
	return minor;
}

/* Request line in buf[0 .. lf], lf the index of its LF. */
static int
request_line_parse(struct http_msg *msg, const char *buf, uint32_t lf)
{
	uint32_t i = 0, t0, t1;
	int minor;

	while (i < lf && http_is((unsigned char)buf[i], HTTP_C_TCHAR))
		i++;
	if (buf[i] != ' ' || i == 0)
		return msg_fail(msg, 400,
		                stop_reason(buf, i, lf, "invalid method"));
	msg->method_str.off = 0;
	msg->method_str.len = i;
	msg->method = method_lookup(buf, i);
	t0 = ++i;
	while (i < lf && http_is((unsigned char)buf[i], HTTP_C_TARGET))
		i++;
	t1 = i;
	if (buf[i] != ' ' || t1 == t0)
		return msg_fail(
		    msg, 400,
		    stop_reason(buf, i, lf, "invalid request-target"));
	msg->target.off = t0;
	msg->target.len = t1 - t0;
	minor = version_parse(buf, t1 + 1, lf, true);
	if (minor == -2)
		return msg_fail(msg, 505, "HTTP version not supported");
	if (minor < 0) {
		/* name the first bad octet of the version, if any */
		for (i = t1 + 1; i < lf; i++)
			if (!http_is((unsigned char)buf[i], HTTP_C_TARGET))
				break;
		return msg_fail(
		    msg, 400, stop_reason(buf, i, lf, "invalid HTTP version"));
	}
	msg->version_minor = (uint8_t)minor;
	return target_parse(msg, buf, t0, t1);
}

/* Status line in buf[0 .. lf]: HTTP-version SP 3DIGIT [SP reason] CRLF. */
static int
status_line_parse(struct http_msg *msg, const char *buf, uint32_t lf)
{
	uint32_t i, st;
	int minor;

	minor = version_parse(buf, 0, lf, false);
	if (minor < 0)
		return msg_fail(msg, 502, "invalid status line");
	msg->version_minor = (uint8_t)minor;
	if (lf < 13)
		return msg_fail(msg, 502, "invalid status line");
	for (i = 9, st = 0; i < 12; i++) {
		if (!http_is((unsigned char)buf[i], HTTP_C_DIGIT))
			return msg_fail(msg, 502, "invalid status code");
		st = st * 10 + (uint32_t)(buf[i] - '0');
	}
	if (st < 100 || st > 599)
		return msg_fail(msg, 502, "invalid status code");
	msg->status = (uint16_t)st;
	msg->reason.off = 13;
	msg->reason.len = 0;
	if (buf[12] == '\r' && lf == 13)
		return HTTP_OK; /* tolerated: no SP and no reason */
	if (buf[12] != ' ')
		return msg_fail(msg, 502, "invalid status line");
	for (i = 13; i < lf; i++)
		if (!http_is((unsigned char)buf[i], HTTP_C_VALUE))
			break;
	if (buf[i] != '\r' || i + 1 != lf)
		return msg_fail(msg, 502,
		                stop_reason(buf, i, lf, "invalid reason"));
	msg->reason.len = i - 13;
	return HTTP_OK;
}

/*
 * Content-Length: exactly one field line holding 1*DIGIT (RFC 9110 8.6).
 * A list, even of identical values ("5, 5"), or a second Content-Length
 * line is refused rather than merged: 8.6 lets a recipient either reject
 * it or replace it with a single value before forwarding, and the proxy
 * passes field values on as received, so rejecting is the one choice
 * that never forwards an invalid Content-Length.
 */
static int
hdr_content_length(struct http_msg *msg, const char *buf,
                   const struct http_str *v)
{
	uint32_t i;
	uint64_t n = 0;

	if (msg->flags & HTTP_F_HAS_CL)
		return msg_fail(msg, 400, "more than one Content-Length");
	if (v->len == 0)
		return msg_fail(msg, 400, "empty Content-Length");
	for (i = v->off; i < v->off + v->len; i++) {
		unsigned d = (unsigned char)buf[i] - '0';

		if (buf[i] == ',')
			return msg_fail(msg, 400, "Content-Length list");
		if (d > 9)
			return msg_fail(msg, 400, "invalid Content-Length");
		if (n > (UINT64_MAX - d) / 10)
			return msg_fail(msg, 400, "Content-Length overflow");
		n = n * 10 + d;
	}
	msg->content_length = n;
	msg->flags |= HTTP_F_HAS_CL;
	return HTTP_OK;
}

/*
 * Transfer-Encoding: a list of transfer-codings; msg->te_chunked tracks
 * whether the last one so far is chunked and whether chunked was seen.
 * chunked twice, chunked with parameters, or an empty element are errors;
 * so is chunked before another coding in a request (RFC 9112 6.1: chunked
 * must be its final coding).  In a response chunked before another coding
 * is allowed and the body then ends at the close (RFC 9112 6.3 item 4),
 * decided with the whole head.
 */
static int
hdr_transfer_encoding(struct http_msg *msg, const char *buf,
                      const struct http_str *v)
{
	uint32_t pos = v->off, end = v->off + v->len, k, n;
	struct http_str el;
	bool chunked;

	if (msg->version_minor == 0)
		return msg_fail(msg, 400, "Transfer-Encoding in HTTP/1.0");
	msg->flags |= HTTP_F_HAS_TE;
	for (k = 0; k <= v->len; k++) {
		if (!http_list_next(buf, &pos, end, &el))
			break;
		for (n = 0; n < el.len; n++)
			if (!http_is((unsigned char)buf[el.off + n],
			             HTTP_C_TCHAR))
				break;
		if (n == 0)
			return msg_fail(msg, 400, "invalid Transfer-Encoding");
		chunked = http_eq_nocase(buf + el.off, n, "chunked", 7);
		if ((msg->te_chunked & TE_LAST_CHUNKED) && msg->is_request)
			return msg_fail(msg, 400, "chunked is not last");
		if (chunked && (msg->te_chunked & TE_SEEN_CHUNKED))
			return msg_fail(msg, 400, "chunked twice");
		msg->te_chunked &= TE_SEEN_CHUNKED;
		if (chunked)
			msg->te_chunked = TE_LAST_CHUNKED | TE_SEEN_CHUNKED;
		if (n == el.len)
			continue;
		/* parameters: OWS ";" ..., none for chunked, no quotes */
		while (n < el.len &&
		       http_is((unsigned char)buf[el.off + n], HTTP_C_OWS))
			n++;
		if (chunked || buf[el.off + n] != ';' ||
		    memchr(buf + el.off + n, '"', el.len - n) != NULL)
			return msg_fail(msg, 400, "invalid Transfer-Encoding");
	}
	return HTTP_OK;
}

/* The per-field rules for header <h> (RFC 9110, 9112). */
static int
hdr_semantics(struct http_msg *msg, const char *buf,
              const struct http_header *h)
{
	const char *name = buf + h->name.off;
	uint32_t pos, end, k, port;
	struct http_str el;
	const char *why = NULL;

	switch (h->name.len) {
	case 4:
		if (!msg->is_request || !http_eq_nocase(name, 4, "host", 4))
			break;
		if (msg->flags & HTTP_F_HAS_HOST)
			return msg_fail(msg, 400, "more than one Host");
		msg->flags |= HTTP_F_HAS_HOST;
		if (h->value.len == 0)
			break;
		if (msg->form == HTTP_FORM_ABSOLUTE &&
		    h->value.len ==
		        msg->path.off - msg->scheme.off - msg->scheme.len - 3 &&
		    memcmp(buf + h->value.off,
		           buf + msg->scheme.off + msg->scheme.len + 3,
		           h->value.len) == 0)
			break; /* the target's authority, checked already */
		if (msg->form == HTTP_FORM_ABSOLUTE ||
		    msg->form == HTTP_FORM_AUTHORITY) {
			struct http_str host;

			/* checked, but the target says where to go */
			if (authority_parse(buf, h->value.off,
			                    h->value.off + h->value.len, &host,
			                    &port, &why) < 0)
				return msg_fail(msg, 400, why);
			break;
		}
		if (authority_parse(buf, h->value.off,
		                    h->value.off + h->value.len, &msg->host,
		                    &port, &why) < 0)
			return msg_fail(msg, 400, why);
		msg->port = port == HTTP_PORT_NONE ? 0 : (uint16_t)port;
		break;
	case 6:
		if (!http_eq_nocase(name, 6, "expect", 6))
			break;
		pos = h->value.off;
		end = h->value.off + h->value.len;
		for (k = 0; k <= h->value.len; k++) {
			if (!http_list_next(buf, &pos, end, &el))
				break;
			if (http_eq_nocase(buf + el.off, el.len, "100-continue",
			                   12))
				msg->flags |= HTTP_F_EXPECT_CONTINUE;
		}
		break;
	case 7:
		if (http_eq_nocase(name, 7, "upgrade", 7))
			msg->flags |= HTTP_F_UPGRADE;
		break;
	case 10:
		if (!http_eq_nocase(name, 10, "connection", 10))
			break;
		pos = h->value.off;
		end = h->value.off + h->value.len;
		for (k = 0; k <= h->value.len; k++) {
			if (!http_list_next(buf, &pos, end, &el))
				break;
			if (http_eq_nocase(buf + el.off, el.len, "close", 5))
				msg->flags |= HTTP_F_CONN_CLOSE;
			else if (http_eq_nocase(buf + el.off, el.len,
			                        "keep-alive", 10))
				msg->flags |= HTTP_F_CONN_KEEPALIVE;
		}
		break;
	case 14:
		if (http_eq_nocase(name, 14, "content-length", 14))
			return hdr_content_length(msg, buf, &h->value);
		break;
	case 17:
		if (http_eq_nocase(name, 17, "transfer-encoding", 17))
			return hdr_transfer_encoding(msg, buf, &h->value);
		break;
	default:
		break;
	}
	return HTTP_OK;
}

/* A field line in buf[s .. lf], lf the index of its LF (RFC 9112 5). */
static int
field_line_parse(struct http_msg *msg, const char *buf, uint32_t s, uint32_t lf,
                 uint32_t max_headers)
{
	struct http_header *h;
	uint32_t i = s, v0, v1;
	unsigned char c = (unsigned char)buf[s];

	if (c != '\r' && msg->n_headers >= max_headers)
		return msg_fail(msg, 431, "too many header fields");
	if (c == ' ' || c == '\t')
		return msg_fail(msg, 400, "obs-fold");
	while (i < lf && http_is((unsigned char)buf[i], HTTP_C_TCHAR))
		i++;
	if (buf[i] != ':' || i == s) {
		c = (unsigned char)buf[i];
		if (i != s && (c == ' ' || c == '\t'))
			return msg_fail(msg, 400, "whitespace before colon");
		return msg_fail(msg, 400,
		                stop_reason(buf, i, lf, "invalid field name"));
	}
	/* the count check above, with max_headers <= HTTP_HEADERS_MAX */
	GH_VERIFY(msg->n_headers < HTTP_HEADERS_MAX);
	h = &msg->hdr[msg->n_headers];
	h->name.off = s;
	h->name.len = i - s;
	i++;
	while (i < lf && http_is((unsigned char)buf[i], HTTP_C_OWS))
		i++;
	v0 = i;
	while (i < lf && http_is((unsigned char)buf[i], HTTP_C_VALUE))
		i++;
	if (buf[i] != '\r' || i + 1 != lf)
		return msg_fail(msg, 400,
		                stop_reason(buf, i, lf, "invalid field value"));
	v1 = i;
	while (v1 > v0 && http_is((unsigned char)buf[v1 - 1], HTTP_C_OWS))
		v1--;
	h->value.off = v0;
	h->value.len = v1 - v0;
	msg->n_headers++;
	http_field_index(msg, buf, msg->n_headers - 1u);
	return hdr_semantics(msg, buf, h);
}

/* The head ends at head_len: the framing rules of RFC 9112 6.3. */
/* Span <sp> lies within the head's <head_len> bytes (callers index the
 * buffer with every span: one off-by-one here would read past it). */
static void
span_verify(struct http_str sp, uint32_t head_len)
{
	GH_VERIFY(sp.off <= head_len && sp.len <= head_len - sp.off);
}

/* Always on: every span a caller will use stays inside the head. */
static void
msg_spans_verify(const struct http_msg *msg, uint32_t head_len)
{
	unsigned i;

	GH_VERIFY(msg->n_headers <= HTTP_HEADERS_MAX);
	span_verify(msg->method_str, head_len);
	span_verify(msg->target, head_len);
	span_verify(msg->scheme, head_len);
	span_verify(msg->host, head_len);
	span_verify(msg->path, head_len);
	span_verify(msg->reason, head_len);
	for (i = 0; i < msg->n_headers; i++) {
		span_verify(msg->hdr[i].name, head_len);
		span_verify(msg->hdr[i].value, head_len);
	}
}

static int
head_finish(struct http_msg *msg, uint32_t head_len)
{
	bool te = (msg->flags & HTTP_F_HAS_TE) != 0;
	bool cl = (msg->flags & HTTP_F_HAS_CL) != 0;
	bool chunked = (msg->te_chunked & TE_LAST_CHUNKED) != 0;

	if (te && cl)
		return msg_fail(msg, 400,
		                "Transfer-Encoding with Content-Length");
	if (msg->is_request) {
		if (msg->version_minor == 1 && !(msg->flags & HTTP_F_HAS_HOST))
			return msg_fail(msg, 400, "no Host in HTTP/1.1");
		if (te && !chunked)
			return msg_fail(msg, 400, "final coding not chunked");
		if (te)
			msg->body_kind = HTTP_BODY_CHUNKED;
		else if (cl && msg->content_length > 0)
			msg->body_kind = HTTP_BODY_LENGTH;
		else
			msg->body_kind = HTTP_BODY_NONE;
	} else {
		unsigned st = msg->status;

		if (st < 200 || st == 204 || st == 304 ||
		    msg->req_method == HTTP_M_HEAD)
			msg->body_kind = HTTP_BODY_NONE;
		else if (msg->req_method == HTTP_M_CONNECT && st < 300)
			msg->body_kind = HTTP_BODY_TUNNEL;
		else if (te)
			msg->body_kind =
			    chunked ? HTTP_BODY_CHUNKED : HTTP_BODY_EOF;
		else if (cl)
			msg->body_kind = msg->content_length > 0
			                     ? HTTP_BODY_LENGTH
			                     : HTTP_BODY_NONE;
		else
			msg->body_kind = HTTP_BODY_EOF;
	}
	msg_spans_verify(msg, head_len);
	msg->head_len = head_len;
	msg->scan_off = head_len;
	return HTTP_OK;
}

/*
 * The line from s has no LF in buf[s .. min(len, line_lim)): report what
 * those bytes already decide, else HTTP_AGAIN.  Resumes at msg->part_off.
 */
static int
partial_line_check(struct http_msg *msg, const char *buf, uint32_t len,
                   uint32_t s, uint32_t line_lim, uint32_t max_headers,
                   uint16_t lim_status, const char *lim_why)
{
	uint32_t end = len < line_lim ? len : line_lim;
	uint32_t i = msg->part_off > s ? msg->part_off : s;

	if (i == s && s > 0 && s < len && buf[s] != '\r' &&
	    msg->n_headers >= max_headers)
		return msg_fail(msg, 431, "too many header fields");
	for (; i < end; i++) {
		unsigned char c = (unsigned char)buf[i];

		if (GH_LIKELY(http_is(c, HTTP_C_VALUE)))
			continue;
		if (c == '\r' && i + 1 == end)
			break; /* its LF may be next */
		return msg_fail(msg, 400,
		                c == '\r' ? "bare CR"
		                : c == 0  ? "NUL octet"
		                          : "invalid octet");
	}
	msg->part_off = i;
	if (len >= line_lim)
		return msg_fail(msg, lim_status, lim_why);
	return HTTP_AGAIN;
}

int
http_parse_head(struct http_msg *msg, const char *buf, uint32_t len,
                const struct http_limits *lim)
{
	uint32_t max_headers = lim->max_headers, s = msg->scan_off, n;
	int rc;

	GH_ASSERT(lim->max_headers <= HTTP_HEADERS_MAX);
	if (max_headers > HTTP_HEADERS_MAX)
		max_headers = HTTP_HEADERS_MAX;
	if (msg->error != NULL)
		return HTTP_ERROR;
	if (msg->head_len != 0)
		return HTTP_OK;
	GH_VERIFY(s <= len);

	/* one line per turn: the request line, the fields, the empty line */
	for (n = 0; n < max_headers + 2; n++) {
		uint32_t line_lim = lim->max_header_bytes, from, lf, end;
		uint16_t lim_status = 431;
		const char *lim_why = "header section too large";
		const char *p;

		if (s == 0 && lim->max_request_line <= line_lim) {
			line_lim = lim->max_request_line;
			lim_status = 414;
			lim_why = msg->is_request ? "request line too long"
			                          : "status line too long";
		}
		end = len < line_lim ? len : line_lim;
		from = msg->part_off > s ? msg->part_off : s;
		p = from < end ? memchr(buf + from, '\n', end - from) : NULL;
		if (p == NULL)
			return partial_line_check(msg, buf, len, s, line_lim,
			                          max_headers, lim_status,
			                          lim_why);
		lf = (uint32_t)(p - buf);
		if (s == 0) {
			rc = msg->is_request ? request_line_parse(msg, buf, lf)
			                     : status_line_parse(msg, buf, lf);
		} else if (lf == s + 1 && buf[s] == '\r') {
			return head_finish(msg, lf + 1);
		} else {
			rc = field_line_parse(msg, buf, s, lf, max_headers);
		}
		if (rc != HTTP_OK)
			return rc;
		s = lf + 1;
		msg->scan_off = s;
		msg->part_off = s;
	}
	/* max_headers fields and no end: the next field line is too many */
	return msg_fail(msg, 431, "too many header fields");
}
