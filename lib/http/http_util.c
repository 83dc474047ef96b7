/*
 * The small pieces of lib/http around the parser: the octet class table
 * (built by the compiler from the RFC 9110 / 9112 / 3986 grammar, so no
 * start-up code and no hand-typed hex), default limits, reason phrases,
 * method names, and header look-ups over a parsed head.
 */
#include <string.h>

#include "common/gh_common.h"
#include "http/http.h"
#include "http/http_priv.h"

/* tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
 *         "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA */
#define CT_ALPHA(c) (((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z'))
#define CT_DIGIT(c) ((c) >= '0' && (c) <= '9')
#define CT_HEX(c)                                     \
	(CT_DIGIT(c) || ((c) >= 'a' && (c) <= 'f') || \
	 ((c) >= 'A' && (c) <= 'F'))
#define CT_VCHAR(c) ((c) >= 0x21 && (c) <= 0x7e)
#define CT_TSYM(c)                                                             \
	((c) == '!' || (c) == '#' || (c) == '$' || (c) == '%' || (c) == '&' || \
	 (c) == '\'' || (c) == '*' || (c) == '+' || (c) == '-' ||              \
	 (c) == '.' || (c) == '^' || (c) == '_' || (c) == '`' || (c) == '|' || \
	 (c) == '~')
#define CT_OWS(c) ((c) == ' ' || (c) == '\t')

#define CT(c)                                                                  \
	((CT_ALPHA(c) || CT_DIGIT(c) || CT_TSYM(c) ? HTTP_C_TCHAR : 0u) |      \
	 (CT_VCHAR(c) || CT_OWS(c) || (c) >= 0x80 ? HTTP_C_VALUE : 0u) |       \
	 (CT_VCHAR(c) && (c) != '#' ? HTTP_C_TARGET : 0u) |                    \
	 (CT_ALPHA(c) || CT_DIGIT(c) || (c) == '-' || (c) == '.' || (c) == '_' \
	      ? HTTP_C_HOST                                                    \
	      : 0u) |                                                          \
	 (CT_HEX(c) ? HTTP_C_HEX : 0u) | (CT_DIGIT(c) ? HTTP_C_DIGIT : 0u) |   \
	 (CT_HEX(c) || (c) == ':' || (c) == '.' ? HTTP_C_IPV6 : 0u) |          \
	 (CT_OWS(c) ? HTTP_C_OWS : 0u))
#define CT4(c)   CT(c), CT((c) + 1), CT((c) + 2), CT((c) + 3)
#define CT16(c)  CT4(c), CT4((c) + 4), CT4((c) + 8), CT4((c) + 12)
#define CT64(c)  CT16(c), CT16((c) + 16), CT16((c) + 32), CT16((c) + 48)
#define CT256(c) CT64(c), CT64((c) + 64), CT64((c) + 128), CT64((c) + 192)

const uint8_t http_ctab[256] = {CT256(0)};

_Static_assert(sizeof(http_ctab) == 256, "one class byte per octet");

void
http_limits_default(struct http_limits *lim)
{
	lim->max_request_line = 8192;
	lim->max_headers = 100;
	lim->max_header_bytes = 32768;
	lim->max_chunk_line = 4096;
	lim->max_trailer_bytes = 8192;
}

const char *
http_reason(unsigned status)
{
	switch (status) {
	case 100:
		return "Continue";
	case 101:
		return "Switching Protocols";
	case 200:
		return "OK";
	case 201:
		return "Created";
	case 202:
		return "Accepted";
	case 203:
		return "Non-Authoritative Information";
	case 204:
		return "No Content";
	case 205:
		return "Reset Content";
	case 206:
		return "Partial Content";
	case 300:
		return "Multiple Choices";
	case 301:
		return "Moved Permanently";
	case 302:
		return "Found";
	case 303:
		return "See Other";
	case 304:
		return "Not Modified";
	case 305:
		return "Use Proxy";
	case 307:
		return "Temporary Redirect";
	case 308:
		return "Permanent Redirect";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 402:
		return "Payment Required";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 406:
		return "Not Acceptable";
	case 407:
		return "Proxy Authentication Required";
	case 408:
		return "Request Timeout";
	case 409:
		return "Conflict";
	case 410:
		return "Gone";
	case 411:
		return "Length Required";
	case 412:
		return "Precondition Failed";
	case 413:
		return "Content Too Large";
	case 414:
		return "URI Too Long";
	case 415:
		return "Unsupported Media Type";
	case 416:
		return "Range Not Satisfiable";
	case 417:
		return "Expectation Failed";
	case 421:
		return "Misdirected Request";
	case 422:
		return "Unprocessable Content";
	case 426:
		return "Upgrade Required";
	case 428:
		return "Precondition Required";
	case 429:
		return "Too Many Requests";
	case 431:
		return "Request Header Fields Too Large";
	case 451:
		return "Unavailable For Legal Reasons";
	case 500:
		return "Internal Server Error";
	case 501:
		return "Not Implemented";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	case 504:
		return "Gateway Timeout";
	case 505:
		return "HTTP Version Not Supported";
	default:
		return "Unknown";
	}
}

const char *
http_method_name(enum http_method m)
{
	switch (m) {
	case HTTP_M_GET:
		return "GET";
	case HTTP_M_HEAD:
		return "HEAD";
	case HTTP_M_POST:
		return "POST";
	case HTTP_M_PUT:
		return "PUT";
	case HTTP_M_DELETE:
		return "DELETE";
	case HTTP_M_CONNECT:
		return "CONNECT";
	case HTTP_M_OPTIONS:
		return "OPTIONS";
	case HTTP_M_TRACE:
		return "TRACE";
	case HTTP_M_PATCH:
		return "PATCH";
	case HTTP_M_OTHER:
		return "";
	}
	return "";
}

bool
http_hdr_name_is(const struct http_msg *msg, const char *buf, unsigned i,
                 const char *name)
{
	const struct http_header *h;

	GH_VERIFY(i < msg->n_headers);
	h = &msg->hdr[i];
	return http_eq_nocase(buf + h->name.off, h->name.len, name,
	                      (uint32_t)strlen(name));
}

int
http_hdr_find(const struct http_msg *msg, const char *buf, const char *name,
              unsigned from)
{
	uint32_t name_len = (uint32_t)strlen(name);
	unsigned i;

	for (i = from; i < msg->n_headers; i++) {
		const struct http_header *h = &msg->hdr[i];

		if (http_eq_nocase(buf + h->name.off, h->name.len, name,
		                   name_len))
			return (int)i;
	}
	return -1;
}

#define FLD_NAME(e, n) n,
#define FLD_LEN(e, n)  (uint8_t)(sizeof(n) - 1),
#define FLD_LBIT(e, n) | (1u << (sizeof(n) - 1))
const char *const http_field_names[HTTP_FLD_N] = {HTTP_FIELD_LIST(FLD_NAME)};
static const uint8_t field_lens[HTTP_FLD_N] = {HTTP_FIELD_LIST(FLD_LEN)};
/* bit n: some indexed name has n bytes (all of them fewer than 32) */
static const uint32_t field_len_bits = 0u HTTP_FIELD_LIST(FLD_LBIT);

void
http_field_index(struct http_msg *msg, const char *buf, unsigned i)
{
	const struct http_header *h = &msg->hdr[i];
	unsigned f;

	GH_VERIFY(i < msg->n_headers);
	if (h->name.len >= 32 || !(field_len_bits & (1u << h->name.len)))
		return;
	for (f = 0; f < HTTP_FLD_N; f++) {
		if (!http_eq_nocase(buf + h->name.off, h->name.len,
		                    http_field_names[f], field_lens[f]))
			continue;
		if (!(msg->fields & HTTP_FLD_BIT(f))) {
			msg->fields |= HTTP_FLD_BIT(f);
			msg->field_first[f] = (uint8_t)i;
		}
		return;
	}
}

int
http_field_find(const struct http_msg *msg, const char *buf, enum http_field f,
                unsigned from)
{
	GH_VERIFY((unsigned)f < HTTP_FLD_N);
	if (!(msg->fields & HTTP_FLD_BIT(f)))
		return -1;
	if (from <= msg->field_first[f])
		return msg->field_first[f];
	return http_hdr_find(msg, buf, http_field_names[f], from);
}

bool
http_conn_lists(const struct http_msg *msg, const char *buf, const char *name,
                uint32_t name_len)
{
	int i = -1;
	unsigned n;

	/* at most one pass over the headers; each find moves past i */
	for (n = 0; n < msg->n_headers; n++) {
		const struct http_header *h;
		struct http_str el;
		uint32_t pos, end, k;

		i = http_field_find(msg, buf, HTTP_FLD_CONNECTION,
		                    (unsigned)(i + 1));
		if (i < 0)
			break;
		h = &msg->hdr[i];
		pos = h->value.off;
		end = h->value.off + h->value.len;
		/* a list of L bytes has at most L + 1 elements */
		for (k = 0; k <= h->value.len; k++) {
			if (!http_list_next(buf, &pos, end, &el))
				break;
			if (http_eq_nocase(buf + el.off, el.len, name,
			                   name_len))
				return true;
		}
	}
	return false;
}
