/*
 * Types of lib/http (see http.h).
 */
#ifndef GH_HTTP_TYPES_H
#define GH_HTTP_TYPES_H

#include <stdint.h>

#define HTTP_OK    0
#define HTTP_AGAIN 1
#define HTTP_ERROR (-1)

#define HTTP_HEADERS_MAX 128 /* hard ceiling of http_limits.max_headers */

/* Limits a parser enforces; the config fills them. */
struct http_limits {
	uint32_t max_request_line; /* request line incl. CRLF: 414 (for a
	                              response's status line: 502) */
	uint32_t max_headers;      /* header fields: 431, <= HTTP_HEADERS_MAX */
	uint32_t max_header_bytes; /* whole head incl. request line: 431 */
	uint32_t max_chunk_line;   /* chunk-size line incl. extensions: 400 */
	uint32_t max_trailer_bytes; /* trailer section: 431/400 */
};

enum http_method {
	HTTP_M_OTHER = 0, /* a valid token we do not know: 501 by the proxy */
	HTTP_M_GET = 1,
	HTTP_M_HEAD = 2,
	HTTP_M_POST = 3,
	HTTP_M_PUT = 4,
	HTTP_M_DELETE = 5,
	HTTP_M_CONNECT = 6,
	HTTP_M_OPTIONS = 7,
	HTTP_M_TRACE = 8,
	HTTP_M_PATCH = 9,
};

/* RFC 9112 3.2 */
enum http_target_form {
	HTTP_FORM_ORIGIN = 1,    /* /path?query */
	HTTP_FORM_ABSOLUTE = 2,  /* http://host[:port]/path?query */
	HTTP_FORM_AUTHORITY = 3, /* host:port (CONNECT only) */
	HTTP_FORM_ASTERISK = 4,  /* * (OPTIONS only) */
};

/* How the message body ends (RFC 9112 6.3). */
enum http_body_kind {
	HTTP_BODY_NONE = 0,    /* no body (or zero Content-Length) */
	HTTP_BODY_LENGTH = 1,  /* content_length bytes */
	HTTP_BODY_CHUNKED = 2, /* chunked transfer coding */
	HTTP_BODY_EOF = 3,     /* response until the connection closes */
	HTTP_BODY_TUNNEL = 4,  /* 2xx to CONNECT: bytes both ways from here */
};

/* A span of the caller's buffer. */
struct http_str {
	uint32_t off;
	uint32_t len;
};

struct http_header {
	struct http_str name;
	struct http_str value; /* without leading and trailing OWS */
};

/* Flags of struct http_msg. */
#define HTTP_F_CONN_CLOSE      0x0001u /* Connection: close */
#define HTTP_F_CONN_KEEPALIVE  0x0002u /* Connection: keep-alive */
#define HTTP_F_EXPECT_CONTINUE 0x0004u /* Expect: 100-continue */
#define HTTP_F_HAS_TE          0x0008u /* a Transfer-Encoding header */
#define HTTP_F_HAS_CL          0x0010u /* a Content-Length header */
#define HTTP_F_UPGRADE         0x0020u /* an Upgrade header */
#define HTTP_F_HAS_HOST        0x0040u /* a Host header */
#define HTTP_F_PATH_NOSLASH    0x0080u /* absolute-form, no path (below) */

/*
 * Fields the parser indexes as it reads them (http_msg.fields and
 * field_first): a user tells that one is absent, or finds its first
 * line, without a scan of the header table (http_field_find).
 */
#define HTTP_FIELD_LIST(X)                            \
	X(AUTHORIZATION, "authorization")             \
	X(CACHE_CONTROL, "cache-control")             \
	X(CDN_CACHE_CONTROL, "cdn-cache-control")     \
	X(CONNECTION, "connection")                   \
	X(IF_MATCH, "if-match")                       \
	X(IF_MODIFIED_SINCE, "if-modified-since")     \
	X(IF_NONE_MATCH, "if-none-match")             \
	X(IF_RANGE, "if-range")                       \
	X(IF_UNMODIFIED_SINCE, "if-unmodified-since") \
	X(RANGE, "range")                             \
	X(REFERER, "referer")                         \
	X(USER_AGENT, "user-agent")

enum http_field {
#define HTTP_FLD_ENUM(e, n) HTTP_FLD_##e,
	HTTP_FIELD_LIST(HTTP_FLD_ENUM)
#undef HTTP_FLD_ENUM
	    HTTP_FLD_N
};

#define HTTP_FLD_BIT(f) (1u << (f))
_Static_assert(HTTP_FLD_N <= 32, "http_msg.fields is 32 bits");
_Static_assert(HTTP_HEADERS_MAX <= 256, "http_msg.field_first is 8 bits");

/*
 * A parsed head.  Large (the header table) and short-lived: one per worker
 * as scratch, not one per connection.
 */
struct http_msg {
	/* set by http_msg_init */
	uint8_t is_request;
	uint8_t req_method; /* enum http_method, for a response */
	/* parse progress (private) */
	uint32_t scan_off;  /* start of the first line not yet parsed */
	uint32_t part_off;  /* bytes before it in that line already checked */
	uint8_t te_chunked; /* the last transfer-coding so far is chunked,
	                       chunked was seen (bits) */
	/* results, valid after HTTP_OK */
	uint32_t head_len;
	uint16_t status;         /* response status; on HTTP_ERROR: ours */
	const char *error;       /* on HTTP_ERROR: static reason text */
	uint8_t version_minor;   /* HTTP/1.<x>: 0 or 1 */
	uint8_t method;          /* enum http_method */
	uint8_t form;            /* enum http_target_form */
	uint8_t body_kind;       /* enum http_body_kind */
	uint32_t flags;          /* HTTP_F_* */
	uint64_t content_length; /* the Content-Length value when
	                          HTTP_F_HAS_CL (even if body_kind
	                          is NONE: HEAD, 204, 304), else 0 */
	struct http_str method_str;
	struct http_str target; /* the request-target as sent */
	/*
	 * Where the request goes, by form (RFC 9112 3.2, 3.2.2):
	 *  - absolute-form: scheme is "http", "https" or "ftp" as sent (any
	 *    case); host is the target's host (an IPv6 literal without its
	 *    brackets; for ftp after any user[:password]@) and port its
	 *    port, 80 / 443 / 21 when absent or empty.
	 *    path is the rest of the target from the first '/' or '?' after
	 *    the authority to its end.  When the target has a path it starts
	 *    with '/'; when it has none ("http://h" or "http://h?q") path is
	 *    the empty span at the end of the target or the "?q" span, and
	 *    HTTP_F_PATH_NOSLASH is set: the origin-form to send on is then
	 *    "/" followed by path.  The Host header is checked for syntax
	 *    only; RFC 9112 3.2.2 says the proxy must replace it.
	 *  - origin-form: path is the whole target (starts with '/'); host
	 *    and port come from the Host header: port 0 when the Host value
	 *    has none, host empty when there is no Host header or an empty
	 *    one.  scheme is empty.
	 *  - authority-form (CONNECT only): host and port (mandatory,
	 *    1..65535) of the target; scheme empty; path the empty span at
	 *    the end of the target.
	 *  - asterisk-form (OPTIONS only): path the empty span at the end of
	 *    the target; host and port from the Host header as origin-form.
	 */
	struct http_str scheme;
	struct http_str host;
	uint16_t port;
	struct http_str path;
	struct http_str reason; /* response */
	uint32_t fields; /* HTTP_FLD_BIT(f) of each enum http_field present */
	uint8_t field_first[HTTP_FLD_N]; /* its first line's index */
	uint16_t n_headers;
	struct http_header hdr[HTTP_HEADERS_MAX];
};

/* The body codec's state (16-odd bytes: fine per connection). */
struct http_body {
	uint8_t kind;    /* enum http_body_kind */
	uint8_t state;   /* private */
	uint16_t status; /* on HTTP_ERROR */
	uint8_t is_request;
	uint32_t line_len; /* private: bytes of the current chunk line or
	                      trailer section */
	uint32_t max_chunk_line;
	uint32_t max_trailer_bytes;
	uint64_t remaining; /* private: bytes left in the body or chunk */
};

#endif /* GH_HTTP_TYPES_H */
