/*
 * lib/http head parser: a corpus of valid and invalid requests and
 * responses, each with its expected result (status, method, form, host,
 * port, path, body kind, Content-Length, flags, header table), each parsed
 * whole, split at every byte boundary (buf[0 .. k) then buf[0 .. n)) and
 * grown one byte at a time, in buffers of exactly the length passed so the
 * sanitizer build catches any read past it.  Every split must give the
 * result of the whole buffer.  The corpus holds the known request
 * smuggling vectors (RFC 9112 6.3, 11.2), the limits (414, 431, early on
 * partial input), and pipelining.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "common/gh_common.h"
#include "http/http.h"

TestSuite(http_parse);

struct pcase {
	const char *name;
	const char *raw;
	uint32_t raw_len;
	bool response;      /* parse as a response to req_method */
	uint8_t req_method; /* enum http_method */
	int rc;             /* HTTP_OK or HTTP_ERROR (or HTTP_AGAIN) */
	uint16_t status;    /* error status, or the response's status */
	const struct http_limits *lim; /* NULL: the defaults */
	/* checked when rc == HTTP_OK and set (0 / NULL: not checked) */
	uint8_t method;
	uint8_t form;
	uint8_t body_kind; /* expected + 1 */
	uint8_t minor;     /* expected + 1 */
	uint64_t cl;       /* expected + 1 */
	uint32_t flags;    /* all of these set */
	uint32_t noflags;  /* none of these set */
	uint32_t port;     /* expected + 1 */
	const char *host;
	const char *path;
	const char *scheme;
	const char *reason;
	const char *hdrs; /* "name=value|" for each header */
};

#define R(s)     .raw = (s), .raw_len = sizeof(s) - 1
#define KIND(k)  .body_kind = (k) + 1
#define CL(n)    .cl = (n) + 1
#define PORT(n)  .port = (n) + 1
#define MINOR(n) .minor = (n) + 1
#define BAD(st)  .rc = HTTP_ERROR, .status = (st)
#define RESP(m)  .response = true, .req_method = (m)

static const struct http_limits small_lim = {
    .max_request_line = 32,
    .max_headers = 3,
    .max_header_bytes = 96,
    .max_chunk_line = 16,
    .max_trailer_bytes = 32,
};

/* max_header_bytes below max_request_line: the request line gets 431 */
static const struct http_limits tight_head_lim = {
    .max_request_line = 64,
    .max_headers = 8,
    .max_header_bytes = 24,
    .max_chunk_line = 16,
    .max_trailer_bytes = 32,
};

#define H "Host: example.com\r\n"

static const struct pcase corpus[] = {
    /* ---- valid requests ---- */
    {"get", R("GET / HTTP/1.1\r\n" H "\r\n"), .method = HTTP_M_GET,
     .form = HTTP_FORM_ORIGIN, KIND(HTTP_BODY_NONE), MINOR(1), CL(0),
     .flags = HTTP_F_HAS_HOST, .host = "example.com", PORT(0), .path = "/",
     .scheme = "", .hdrs = "Host=example.com|"},
    {"post cl",
     R("POST /up?x=1 HTTP/1.1\r\n" H "Content-Length: 5\r\n\r\nhello"),
     .method = HTTP_M_POST, KIND(HTTP_BODY_LENGTH), CL(5),
     .flags = HTTP_F_HAS_CL, .noflags = HTTP_F_HAS_TE, .path = "/up?x=1"},
    {"post chunked",
     R("POST / HTTP/1.1\r\n" H
       "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"),
     KIND(HTTP_BODY_CHUNKED), CL(0), .flags = HTTP_F_HAS_TE,
     .noflags = HTTP_F_HAS_CL},
    {"te case",
     R("POST / HTTP/1.1\r\n" H "transfer-encoding: ChUnKeD\r\n"
       "\r\n"),
     KIND(HTTP_BODY_CHUNKED)},
    {"te list",
     R("POST / HTTP/1.1\r\n" H "Transfer-Encoding: gzip , chunked\r\n\r\n"),
     KIND(HTTP_BODY_CHUNKED)},
    {"te two headers",
     R("POST / HTTP/1.1\r\n" H "Transfer-Encoding: gzip\r\n"
       "Transfer-Encoding: chunked\r\n\r\n"),
     KIND(HTTP_BODY_CHUNKED)},
    {"te param before chunked",
     R("POST / HTTP/1.1\r\n" H "Transfer-Encoding: foo;a=b, chunked\r\n\r\n"),
     KIND(HTTP_BODY_CHUNKED)},
    {"cl zero", R("POST / HTTP/1.1\r\n" H "Content-Length: 0\r\n\r\n"),
     KIND(HTTP_BODY_NONE), CL(0), .flags = HTTP_F_HAS_CL},
    {"cl max",
     R("POST / HTTP/1.1\r\n" H "Content-Length: 18446744073709551614\r\n\r\n"),
     KIND(HTTP_BODY_LENGTH), CL(18446744073709551614ull)},
    {"absolute", R("GET http://Example.com:8080/a/b?c=d HTTP/1.1\r\n" H "\r\n"),
     .form = HTTP_FORM_ABSOLUTE, .host = "Example.com", PORT(8080),
     .path = "/a/b?c=d", .scheme = "http", .noflags = HTTP_F_PATH_NOSLASH},
    {"absolute https no path",
     R("GET HTTPS://example.com HTTP/1.1\r\n" H "\r\n"),
     .form = HTTP_FORM_ABSOLUTE, .host = "example.com", PORT(443), .path = "",
     .scheme = "HTTPS", .flags = HTTP_F_PATH_NOSLASH},
    {"absolute query only",
     R("GET http://example.com?x=1 HTTP/1.1\r\n" H "\r\n"),
     .form = HTTP_FORM_ABSOLUTE, PORT(80), .path = "?x=1",
     .flags = HTTP_F_PATH_NOSLASH},
    {"absolute ipv6",
     R("GET http://[::1]:81/ HTTP/1.1\r\nHost: [::1]:81\r\n"
       "\r\n"),
     .form = HTTP_FORM_ABSOLUTE, .host = "::1", PORT(81), .path = "/"},
    {"absolute empty port", R("GET http://h.example:/x HTTP/1.1\r\n" H "\r\n"),
     .host = "h.example", PORT(80), .path = "/x"},
    {"absolute ipv4", R("GET http://10.0.0.1/ HTTP/1.1\r\n" H "\r\n"),
     .host = "10.0.0.1", PORT(80)},
    /* the FTP gateway's URLs: port 21, the host after user[:password]@ */
    {"absolute ftp", R("GET FTP://ftp.example/pub/ HTTP/1.1\r\n" H "\r\n"),
     .form = HTTP_FORM_ABSOLUTE, .host = "ftp.example", PORT(21),
     .path = "/pub/", .scheme = "FTP"},
    {"absolute ftp userinfo",
     R("GET ftp://u:p%40x@h.example:2121/f;type=i HTTP/1.1\r\n" H "\r\n"),
     .form = HTTP_FORM_ABSOLUTE, .host = "h.example", PORT(2121),
     .path = "/f;type=i", .scheme = "ftp"},
    {"http userinfo still refused",
     R("GET http://u@h.example/ HTTP/1.1\r\n" H "\r\n"), BAD(400)},
    /* RFC 9112 3.2.2: the target's authority wins over the Host header */
    {"absolute host differs",
     R("GET http://a.example:8080/p HTTP/1.1\r\nHost: b.example:99\r\n\r\n"),
     .form = HTTP_FORM_ABSOLUTE, .host = "a.example", PORT(8080), .path = "/p",
     .flags = HTTP_F_HAS_HOST},
    {"absolute host differs default port",
     R("GET http://a.example/p HTTP/1.1\r\nHost: b.example:99\r\n\r\n"),
     .form = HTTP_FORM_ABSOLUTE, .host = "a.example", PORT(80)},
    {"absolute host empty",
     R("GET https://a.example/p HTTP/1.1\r\nHost:\r\n\r\n"),
     .form = HTTP_FORM_ABSOLUTE, .host = "a.example", PORT(443)},
    {"connect",
     R("CONNECT example.com:443 HTTP/1.1\r\n"
       "Host: example.com:443\r\n\r\n"),
     .method = HTTP_M_CONNECT, .form = HTTP_FORM_AUTHORITY,
     .host = "example.com", PORT(443), .path = "", .scheme = "",
     KIND(HTTP_BODY_NONE)},
    {"connect ipv6", R("CONNECT [2001:db8::1]:8443 HTTP/1.1\r\n" H "\r\n"),
     .form = HTTP_FORM_AUTHORITY, .host = "2001:db8::1", PORT(8443)},
    {"options asterisk", R("OPTIONS * HTTP/1.1\r\n" H "\r\n"),
     .method = HTTP_M_OPTIONS, .form = HTTP_FORM_ASTERISK, .path = ""},
    {"http/1.0 no host", R("GET /x HTTP/1.0\r\n\r\n"), MINOR(0),
     .noflags = HTTP_F_HAS_HOST, .host = "", .hdrs = ""},
    {"connection list",
     R("GET / HTTP/1.1\r\n" H "Connection: keep-alive , Upgrade\r\n"
       "Upgrade: websocket\r\n\r\n"),
     .flags = HTTP_F_CONN_KEEPALIVE | HTTP_F_UPGRADE,
     .noflags = HTTP_F_CONN_CLOSE},
    {"connection two headers",
     R("GET / HTTP/1.1\r\nConnection: foo\r\n" H "connection: CLOSE\r\n\r\n"),
     .flags = HTTP_F_CONN_CLOSE, .noflags = HTTP_F_CONN_KEEPALIVE},
    {"expect",
     R("PUT /f HTTP/1.1\r\n" H "Expect: 100-Continue\r\n"
       "Content-Length: 3\r\n\r\n"),
     .method = HTTP_M_PUT, .flags = HTTP_F_EXPECT_CONTINUE,
     KIND(HTTP_BODY_LENGTH), CL(3)},
    {"expect other", R("GET / HTTP/1.1\r\n" H "Expect: foo\r\n\r\n"),
     .noflags = HTTP_F_EXPECT_CONTINUE},
    {"other method", R("PURGE /x HTTP/1.1\r\n" H "\r\n"),
     .method = HTTP_M_OTHER},
    {"lower-case method is a token", R("get / HTTP/1.1\r\n" H "\r\n"),
     .method = HTTP_M_OTHER},
    {"all methods", R("PATCH / HTTP/1.1\r\n" H "\r\n"), .method = HTTP_M_PATCH},
    {"ows trimmed",
     R("GET / HTTP/1.1\r\n" H "X-A: \t v a l \t \r\n"
       "X-Empty:\r\nX-Sp:   \r\nX-U: \xc3\xa9\r\n\r\n"),
     .hdrs = "Host=example.com|X-A=v a l|X-Empty=|X-Sp=|X-U=\xc3\xa9|"},
    {"host port", R("GET / HTTP/1.1\r\nHost: example.com:8080\r\n\r\n"),
     .host = "example.com", PORT(8080)},
    {"host empty", R("GET / HTTP/1.1\r\nHost:\r\n\r\n"), .host = "", PORT(0),
     .flags = HTTP_F_HAS_HOST},
    {"pipelined", R("GET /1 HTTP/1.1\r\n" H "\r\nGET /2 HTTP/1.1\r\n" H "\r\n"),
     .path = "/1"},
    {"request line at the limit",
     R("GET /aaaaaaaaaaaaaaaa HTTP/1.0\r\n"
       "\r\n"),
     .lim = &small_lim, .path = "/aaaaaaaaaaaaaaaa"},
    {"max headers", R("GET / HTTP/1.1\r\n" H "A: 1\r\nB: 2\r\n\r\n"),
     .lim = &small_lim, .hdrs = "Host=example.com|A=1|B=2|"},
    {"head at the limit",
     R("GET / HTTP/1.1\r\n" H "A: 1\r\n"
       "X: 012345678901234567890123456789012345678901234567"
       "\r\n"
       "\r\n"),
     .lim = &small_lim},

    /* ---- smuggling vectors and bad requests ---- */
    {"cl + te",
     R("POST / HTTP/1.1\r\n" H "Content-Length: 5\r\n"
       "Transfer-Encoding: chunked\r\n\r\n"),
     BAD(400)},
    {"te + cl",
     R("POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\n"
       "Content-Length: 5\r\n\r\n"),
     BAD(400)},
    {"te chunked, identity",
     R("POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked, identity\r\n\r\n"),
     BAD(400)},
    {"te chunked twice",
     R("POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\n"
       "Transfer-Encoding: chunked\r\n\r\n"),
     BAD(400)},
    {"te space before colon",
     R("POST / HTTP/1.1\r\n" H "Transfer-Encoding : chunked\r\n\r\n"),
     BAD(400)},
    {"te folded",
     R("POST / HTTP/1.1\r\n" H "Transfer-Encoding:\r\n"
       " chunked\r\n\r\n"),
     BAD(400)},
    {"obs-fold", R("GET / HTTP/1.1\r\n" H "X-A: a\r\n b\r\n\r\n"), BAD(400)},
    {"obs-fold tab first field", R("GET / HTTP/1.1\r\n\tHost: x\r\n\r\n"),
     BAD(400)},
    {"te xchunked",
     R("POST / HTTP/1.1\r\n" H "Transfer-Encoding: xchunked\r\n\r\n"),
     BAD(400)},
    {"te gzip only",
     R("POST / HTTP/1.1\r\n" H "Transfer-Encoding: gzip\r\n"
       "\r\n"),
     BAD(400)},
    {"te chunked params",
     R("POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked;a=b\r\n\r\n"),
     BAD(400)},
    {"te empty element",
     R("POST / HTTP/1.1\r\n" H "Transfer-Encoding: gzip,,chunked\r\n\r\n"),
     BAD(400)},
    {"te empty", R("POST / HTTP/1.1\r\n" H "Transfer-Encoding:\r\n\r\n"),
     BAD(400)},
    {"te in http/1.0",
     R("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n"
       "\r\n"),
     BAD(400)},
    {"te in http/1.0 with cl",
     R("POST / HTTP/1.0\r\nContent-Length: 5\r\n"
       "Transfer-Encoding: chunked\r\n\r\nhello"),
     BAD(400)},
    {"te gzip in http/1.0",
     R("POST / HTTP/1.0\r\nTransfer-Encoding: gzip\r\n\r\n"), BAD(400)},
    /* RFC 9110 8.6: a list of identical values is refused, not merged */
    {"cl list same", R("POST / HTTP/1.1\r\n" H "Content-Length: 5, 5\r\n\r\n"),
     BAD(400)},
    {"cl list same three",
     R("POST / HTTP/1.1\r\n" H "Content-Length: 7, 7,7\r\n"
       "\r\n"),
     BAD(400)},
    {"cl twice same",
     R("POST / HTTP/1.1\r\n" H "Content-Length: 7\r\n"
       "Content-Length: 7\r\n\r\n"),
     BAD(400)},
    {"cl twice same leading zero",
     R("POST / HTTP/1.1\r\n" H "Content-Length: 7\r\n"
       "Content-Length: 007\r\n\r\n"),
     BAD(400)},
    {"cl list differs",
     R("POST / HTTP/1.1\r\n" H "Content-Length: 5, 6\r\n"
       "\r\n"),
     BAD(400)},
    {"cl plus sign", R("POST / HTTP/1.1\r\n" H "Content-Length: +5\r\n\r\n"),
     BAD(400)},
    {"cl minus", R("POST / HTTP/1.1\r\n" H "Content-Length: -1\r\n\r\n"),
     BAD(400)},
    {"cl two differ",
     R("POST / HTTP/1.1\r\n" H "Content-Length: 5\r\n"
       "Content-Length: 6\r\n\r\n"),
     BAD(400)},
    {"cl space inside",
     R("POST / HTTP/1.1\r\n" H "Content-Length: 1 2\r\n"
       "\r\n"),
     BAD(400)},
    {"cl empty", R("POST / HTTP/1.1\r\n" H "Content-Length: \r\n\r\n"),
     BAD(400)},
    {"cl hex", R("POST / HTTP/1.1\r\n" H "Content-Length: 0x5\r\n\r\n"),
     BAD(400)},
    {"cl overflow",
     R("POST / HTTP/1.1\r\n" H "Content-Length: 18446744073709551616\r\n\r\n"),
     BAD(400)},
    {"cl trailing comma",
     R("POST / HTTP/1.1\r\n" H "Content-Length: 5,\r\n"
       "\r\n"),
     BAD(400)},
    {"bare LF request line", R("GET / HTTP/1.1\n" H "\r\n"), BAD(400)},
    {"bare LF header", R("GET / HTTP/1.1\r\n" H "X: a\n\r\n"), BAD(400)},
    {"bare LF end", R("GET / HTTP/1.1\r\n" H "\n"), BAD(400)},
    {"bare LF only", R("GET / HTTP/1.1\n\n"), BAD(400)},
    {"bare CR header", R("GET / HTTP/1.1\r\n" H "X: a\rb\r\n\r\n"), BAD(400)},
    {"bare CR end", R("GET / HTTP/1.1\r\n" H "\rX: a\r\n\r\n"), BAD(400)},
    {"CR CR LF", R("GET / HTTP/1.1\r\n" H "X: a\r\r\n\r\n"), BAD(400)},
    {"bare CR request line", R("GET /\r HTTP/1.1\r\n" H "\r\n"), BAD(400)},
    {"NUL in value", R("GET / HTTP/1.1\r\n" H "X: a\0b\r\n\r\n"), BAD(400)},
    {"NUL in name", R("GET / HTTP/1.1\r\n" H "X\0: a\r\n\r\n"), BAD(400)},
    {"DEL in value", R("GET / HTTP/1.1\r\n" H "X: a\x7f\r\n\r\n"), BAD(400)},
    {"CTL in value", R("GET / HTTP/1.1\r\n" H "X: a\x01\r\n\r\n"), BAD(400)},
    {"space before colon", R("GET / HTTP/1.1\r\n" H "X-A : b\r\n\r\n"),
     BAD(400)},
    {"tab before colon", R("GET / HTTP/1.1\r\n" H "X-A\t: b\r\n\r\n"),
     BAD(400)},
    {"empty name", R("GET / HTTP/1.1\r\n" H ": b\r\n\r\n"), BAD(400)},
    {"bad name char", R("GET / HTTP/1.1\r\n" H "X(a): b\r\n\r\n"), BAD(400)},
    {"no colon", R("GET / HTTP/1.1\r\n" H "Xab\r\n\r\n"), BAD(400)},
    {"two spaces", R("GET  / HTTP/1.1\r\n" H "\r\n"), BAD(400)},
    {"two spaces before version", R("GET /  HTTP/1.1\r\n" H "\r\n"), BAD(400)},
    {"tab separator", R("GET\t/ HTTP/1.1\r\n" H "\r\n"), BAD(400)},
    {"space after version", R("GET / HTTP/1.1 \r\n" H "\r\n"), BAD(400)},
    {"no version", R("GET /\r\n" H "\r\n"), BAD(400)},
    {"leading empty line", R("\r\nGET / HTTP/1.1\r\n" H "\r\n"), BAD(400)},
    {"userinfo", R("GET http://user@example.com/ HTTP/1.1\r\n" H "\r\n"),
     BAD(400)},
    {"userinfo password",
     R("GET http://u:p@example.com/ HTTP/1.1\r\n" H "\r\n"), BAD(400)},
    {"http/1.1 no host", R("GET / HTTP/1.1\r\nX: y\r\n\r\n"), BAD(400)},
    {"http/1.1 absolute no host", R("GET http://a.example/ HTTP/1.1\r\n\r\n"),
     BAD(400)},
    {"two hosts same", R("GET / HTTP/1.1\r\n" H H "\r\n"), BAD(400)},
    {"two hosts absolute",
     R("GET http://a.example/ HTTP/1.1\r\n" H "Host: a.example\r\n\r\n"),
     BAD(400)},
    {"two hosts http/1.0", R("GET / HTTP/1.0\r\n" H "Host: b\r\n\r\n"),
     BAD(400)},
    {"host list", R("GET / HTTP/1.1\r\nHost: a, b\r\n\r\n"), BAD(400)},
    {"bad host absolute",
     R("GET http://a.example/ HTTP/1.1\r\nHost: a/b\r\n\r\n"), BAD(400)},
    /* a Host that repeats the target's authority is not parsed again; one
     * of the same length that differs still is */
    {"host is the target's authority",
     R("GET http://a.example:81/ HTTP/1.1\r\nHost: a.example:81\r\n\r\n"),
     .form = HTTP_FORM_ABSOLUTE, .host = "a.example", PORT(81),
     .flags = HTTP_F_HAS_HOST},
    {"bad host as long as the target's authority",
     R("GET http://a.example:81/ HTTP/1.1\r\nHost: a.example:8x\r\n\r\n"),
     BAD(400)},
    {"space before first field", R("GET / HTTP/1.1\r\n " H "\r\n"), BAD(400)},
    {"two hosts", R("GET / HTTP/1.1\r\n" H "Host: other\r\n\r\n"), BAD(400)},
    {"bad host", R("GET / HTTP/1.1\r\nHost: exa mple.com\r\n\r\n"), BAD(400)},
    {"host userinfo", R("GET / HTTP/1.1\r\nHost: a@b\r\n\r\n"), BAD(400)},
    {"host port 0", R("GET / HTTP/1.1\r\nHost: a:0\r\n\r\n"), BAD(400)},
    {"http/2.0", R("GET / HTTP/2.0\r\n" H "\r\n"), BAD(505)},
    {"http/1.2", R("GET / HTTP/1.2\r\n" H "\r\n"), BAD(505)},
    {"http/0.9", R("GET / HTTP/0.9\r\n" H "\r\n"), BAD(505)},
    {"lower-case version", R("GET / http/1.1\r\n" H "\r\n"), BAD(400)},
    {"version garbage", R("GET / HTTP/1.10\r\n" H "\r\n"), BAD(400)},
    {"version short", R("GET / HTTP/1\r\n" H "\r\n"), BAD(400)},
    {"asterisk not options", R("GET * HTTP/1.1\r\n" H "\r\n"), BAD(400)},
    {"connect no port", R("CONNECT example.com HTTP/1.1\r\n" H "\r\n"),
     BAD(400)},
    {"connect empty port", R("CONNECT example.com: HTTP/1.1\r\n" H "\r\n"),
     BAD(400)},
    {"connect port 0", R("CONNECT example.com:0 HTTP/1.1\r\n" H "\r\n"),
     BAD(400)},
    {"connect port 65536", R("CONNECT example.com:65536 HTTP/1.1\r\n" H "\r\n"),
     BAD(400)},
    {"connect port 65535", R("CONNECT example.com:65535 HTTP/1.1\r\n" H "\r\n"),
     PORT(65535)},
    {"connect origin-form", R("CONNECT / HTTP/1.1\r\n" H "\r\n"), BAD(400)},
    {"connect absolute",
     R("CONNECT http://example.com:80/ HTTP/1.1\r\n" H "\r\n"), BAD(400)},
    {"authority-form not connect",
     R("GET example.com:80 HTTP/1.1\r\n" H "\r\n"), BAD(400)},
    {"other scheme", R("GET gopher://example.com/ HTTP/1.1\r\n" H "\r\n"),
     BAD(400)},
    {"scheme only", R("GET http:// HTTP/1.1\r\n" H "\r\n"), BAD(400)},
    {"empty host", R("GET http:///x HTTP/1.1\r\n" H "\r\n"), BAD(400)},
    {"bad port", R("GET http://h:8x/ HTTP/1.1\r\n" H "\r\n"), BAD(400)},
    {"ipv6 unclosed", R("GET http://[::1/ HTTP/1.1\r\n" H "\r\n"), BAD(400)},
    {"fragment", R("GET /a#b HTTP/1.1\r\n" H "\r\n"), BAD(400)},
    {"CTL in target", R("GET /a\x01 HTTP/1.1\r\n" H "\r\n"), BAD(400)},
    {"DEL in target", R("GET /a\x7f HTTP/1.1\r\n" H "\r\n"), BAD(400)},
    {"obs-text in target", R("GET /\xc3\xa9 HTTP/1.1\r\n" H "\r\n"), BAD(400)},
    {"bad method char", R("G@T / HTTP/1.1\r\n" H "\r\n"), BAD(400)},
    {"empty method", R(" / HTTP/1.1\r\n" H "\r\n"), BAD(400)},

    /* ---- limits ---- */
    {"414",
     R("GET /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa HTTP/1.1\r\n" H "\r\n"),
     .lim = &small_lim, BAD(414)},
    {"414 one over", R("GET /aaaaaaaaaaaaaaaaa HTTP/1.0\r\n\r\n"),
     .lim = &small_lim, BAD(414)},
    {"414 CR at the limit", R("GET /aaaaaaaaaaaaaaaaa HTTP/1.0\r"),
     .lim = &small_lim, BAD(414)},
    {"NUL before the 414", R("GET /a\0aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
     .lim = &small_lim, BAD(400)},
    {"431 head",
     R("GET / HTTP/1.1\r\n" H "A: 1\r\n"
       "X: 0123456789012345678901234567890123456789012345679"
       "\r\n\r\n"),
     .lim = &small_lim, BAD(431)},
    {"431 head incomplete",
     R("GET / HTTP/1.1\r\n" H "X: 0123456789012345678901234567890123456789"
       "01234567890123456789"),
     .lim = &small_lim, BAD(431)},
    {"431 count", R("GET / HTTP/1.1\r\n" H "A: 1\r\nB: 2\r\nC: 3\r\n\r\n"),
     .lim = &small_lim, BAD(431)},
    {"431 count on first byte",
     R("GET / HTTP/1.1\r\n" H "A: 1\r\nB: 2\r\n"
       "\x01"),
     .lim = &small_lim, BAD(431)},
    {"431 request line over head limit", R("GET /aaaaaaaaaaaaaaaaaaaaaaaaa"),
     .lim = &tight_head_lim, BAD(431)},
    {"incomplete", R("GET / HTTP/1.1\r\n" H), .rc = HTTP_AGAIN},
    {"incomplete CR", R("GET / HTTP/1.1\r\n" H "\r"), .rc = HTTP_AGAIN},

    /* ---- responses ---- */
    {"resp cl", R("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"),
     RESP(HTTP_M_GET), .status = 200, KIND(HTTP_BODY_LENGTH), CL(5),
     .reason = "OK", MINOR(1)},
    {"resp chunked",
     R("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
       "\r\n"),
     RESP(HTTP_M_GET), .status = 200, KIND(HTTP_BODY_CHUNKED)},
    {"resp eof", R("HTTP/1.1 200 OK\r\nServer: x\r\n\r\n"), RESP(HTTP_M_GET),
     .status = 200, KIND(HTTP_BODY_EOF)},
    {"resp te gzip is eof",
     R("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n"
       "\r\n"),
     RESP(HTTP_M_GET), .status = 200, KIND(HTTP_BODY_EOF)},
    {"resp no reason", R("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n"),
     RESP(HTTP_M_GET), .status = 200, .reason = "", KIND(HTTP_BODY_NONE)},
    {"resp empty reason", R("HTTP/1.1 404 \r\n\r\n"), RESP(HTTP_M_GET),
     .status = 404, .reason = "", KIND(HTTP_BODY_EOF)},
    {"resp reason obs-text", R("HTTP/1.0 200 Ok \xe9t\xe9\r\n\r\n"),
     RESP(HTTP_M_GET), .status = 200, .reason = "Ok \xe9t\xe9", MINOR(0)},
    {"resp 204", R("HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n"),
     RESP(HTTP_M_GET), .status = 204, KIND(HTTP_BODY_NONE)},
    {"resp 204 chunked",
     R("HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n"),
     RESP(HTTP_M_GET), .status = 204, KIND(HTTP_BODY_NONE)},
    {"resp 304 cl",
     R("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n"),
     RESP(HTTP_M_GET), .status = 304, KIND(HTTP_BODY_NONE), CL(10),
     .flags = HTTP_F_HAS_CL},
    {"resp 103 cl", R("HTTP/1.1 103 Early Hints\r\nContent-Length: 10\r\n\r\n"),
     RESP(HTTP_M_GET), .status = 103, KIND(HTTP_BODY_NONE)},
    {"resp 100 chunked",
     R("HTTP/1.1 100 Continue\r\nTransfer-Encoding: chunked\r\n\r\n"),
     RESP(HTTP_M_PUT), .status = 100, KIND(HTTP_BODY_NONE)},
    {"resp 204 no framing", R("HTTP/1.1 204 No Content\r\n\r\n"),
     RESP(HTTP_M_POST), .status = 204, KIND(HTTP_BODY_NONE)},
    {"resp 304 chunked",
     R("HTTP/1.1 304 Not Modified\r\n"
       "Transfer-Encoding: chunked\r\n\r\n"),
     RESP(HTTP_M_GET), .status = 304, KIND(HTTP_BODY_NONE)},
    {"resp 100", R("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"),
     RESP(HTTP_M_PUT), .status = 100, KIND(HTTP_BODY_NONE)},
    {"resp head", R("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"),
     RESP(HTTP_M_HEAD), .status = 200, KIND(HTTP_BODY_NONE), CL(10)},
    {"resp head chunked",
     R("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"),
     RESP(HTTP_M_HEAD), .status = 200, KIND(HTTP_BODY_NONE)},
    {"resp head no framing", R("HTTP/1.1 200 OK\r\n\r\n"), RESP(HTTP_M_HEAD),
     .status = 200, KIND(HTTP_BODY_NONE)},
    {"resp head 404", R("HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\n"),
     RESP(HTTP_M_HEAD), .status = 404, KIND(HTTP_BODY_NONE)},
    /* RFC 9112 6.3 item 4: a final coding other than chunked reads to
     * the close, chunked earlier in the list or not */
    {"resp te chunked, gzip is eof",
     R("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"),
     RESP(HTTP_M_GET), .status = 200, KIND(HTTP_BODY_EOF)},
    {"resp te chunked then gzip headers is eof",
     R("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
       "Transfer-Encoding: gzip\r\n\r\n"),
     RESP(HTTP_M_GET), .status = 200, KIND(HTTP_BODY_EOF)},
    {"resp te gzip, chunked",
     R("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"),
     RESP(HTTP_M_GET), .status = 200, KIND(HTTP_BODY_CHUNKED)},
    {"resp connect 200", R("HTTP/1.1 200 Connection established\r\n\r\n"),
     RESP(HTTP_M_CONNECT), .status = 200, KIND(HTTP_BODY_TUNNEL)},
    {"resp connect 407", R("HTTP/1.1 407 Auth\r\nContent-Length: 2\r\n\r\n"),
     RESP(HTTP_M_CONNECT), .status = 407, KIND(HTTP_BODY_LENGTH), CL(2)},
    {"resp conn close", R("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n"),
     RESP(HTTP_M_GET), .status = 200, .flags = HTTP_F_CONN_CLOSE},
    {"resp cl + te",
     R("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
       "Transfer-Encoding: chunked\r\n\r\n"),
     RESP(HTTP_M_GET), BAD(502)},
    /* RFC 9112 6.3 item 3: Transfer-Encoding with Content-Length is
     * refused, not read as chunked; the same for a response without a
     * body, since its head is passed on with both fields */
    {"resp te + cl",
     R("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
       "Content-Length: 5\r\n\r\n"),
     RESP(HTTP_M_GET), BAD(502)},
    {"resp 304 te + cl",
     R("HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n"
       "Content-Length: 5\r\n\r\n"),
     RESP(HTTP_M_GET), BAD(502)},
    {"resp te chunked twice",
     R("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip, chunked\r\n"
       "\r\n"),
     RESP(HTTP_M_GET), BAD(502)},
    {"resp te chunked params",
     R("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked;a=b\r\n\r\n"),
     RESP(HTTP_M_GET), BAD(502)},
    {"resp cl list same", R("HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n"),
     RESP(HTTP_M_GET), BAD(502)},
    {"resp cl twice same",
     R("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
       "Content-Length: 5\r\n\r\n"),
     RESP(HTTP_M_GET), BAD(502)},
    {"resp space before first field",
     R("HTTP/1.1 200 OK\r\n Content-Length: 0\r\n\r\n"), RESP(HTTP_M_GET),
     BAD(502)},
    {"resp space before colon",
     R("HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n"), RESP(HTTP_M_GET),
     BAD(502)},
    {"resp cl invalid", R("HTTP/1.1 200 OK\r\nContent-Length: 5x\r\n\r\n"),
     RESP(HTTP_M_GET), BAD(502)},
    {"resp cl invalid to head",
     R("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n"), RESP(HTTP_M_HEAD),
     BAD(502)},
    {"resp cl differ",
     R("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
       "Content-Length: 50\r\n\r\n"),
     RESP(HTTP_M_GET), BAD(502)},
    {"resp te http/1.0",
     R("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n"
       "\r\n"),
     RESP(HTTP_M_GET), BAD(502)},
    {"resp te http/1.0 with cl",
     R("HTTP/1.0 200 OK\r\nContent-Length: 5\r\n"
       "Transfer-Encoding: chunked\r\n\r\n"),
     RESP(HTTP_M_GET), BAD(502)},
    {"resp 99", R("HTTP/1.1 099 X\r\n\r\n"), RESP(HTTP_M_GET), BAD(502)},
    {"resp 600", R("HTTP/1.1 600 X\r\n\r\n"), RESP(HTTP_M_GET), BAD(502)},
    {"resp 2 digits", R("HTTP/1.1 20 OK\r\n\r\n"), RESP(HTTP_M_GET), BAD(502)},
    {"resp 4 digits", R("HTTP/1.1 2000 OK\r\n\r\n"), RESP(HTTP_M_GET),
     BAD(502)},
    {"resp http/2", R("HTTP/2 200 OK\r\n\r\n"), RESP(HTTP_M_GET), BAD(502)},
    {"resp http/1.2", R("HTTP/1.2 200 OK\r\n\r\n"), RESP(HTTP_M_GET), BAD(502)},
    {"resp bare LF", R("HTTP/1.1 200 OK\nServer: x\r\n\r\n"), RESP(HTTP_M_GET),
     BAD(502)},
    {"resp obs-fold", R("HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n"),
     RESP(HTTP_M_GET), BAD(502)},
    {"resp NUL in reason", R("HTTP/1.1 200 O\0K\r\n\r\n"), RESP(HTTP_M_GET),
     BAD(502)},
    {"resp status line too long", R("HTTP/1.1 200 OOOOOOOOOOOOOOOOOOOOOOOOO"),
     RESP(HTTP_M_GET), .lim = &small_lim, BAD(502)},
    {"resp too many headers",
     R("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\n"
       "C: 3\r\nD: 4\r\n\r\n"),
     RESP(HTTP_M_GET), .lim = &small_lim, BAD(502)},
};

static struct http_limits default_lim;

static const struct http_limits *
case_lim(const struct pcase *c)
{
	if (c->lim != NULL)
		return c->lim;
	http_limits_default(&default_lim);
	return &default_lim;
}

/* A heap copy of buf[0 .. n) with nothing after it. */
static char *
exact_copy(const char *buf, uint32_t n)
{
	char *p = malloc(n > 0 ? n : 1);

	cr_assert_not_null(p);
	memcpy(p, buf, n);
	return p;
}

static bool
str_is(const char *buf, struct http_str s, const char *want)
{
	return s.len == strlen(want) && memcmp(buf + s.off, want, s.len) == 0;
}

static void
check_expect(const struct pcase *c, const struct http_msg *m, int rc,
             const char *buf)
{
	char dump[1024];
	size_t o = 0;
	unsigned i;

	cr_assert_eq(rc, c->rc, "%s: rc %d, want %d (status %u: %s)", c->name,
	             rc, c->rc, m->status, m->error ? m->error : "-");
	if (rc == HTTP_ERROR) {
		cr_assert_eq(m->status, c->status,
		             "%s: status %u (%s), want %u", c->name, m->status,
		             m->error, c->status);
		cr_assert_not_null(m->error);
		return;
	}
	if (rc != HTTP_OK)
		return;
	{
		const char *end = memmem(c->raw, c->raw_len, "\r\n\r\n", 4);

		cr_assert_not_null(end, "%s", c->name);
		cr_assert_eq(m->head_len, (uint32_t)(end + 4 - c->raw),
		             "%s: head_len %u", c->name, m->head_len);
	}
	if (c->response)
		cr_assert_eq(m->status, c->status, "%s", c->name);
	else
		cr_assert_eq(m->status, 0, "%s", c->name);
	if (c->method)
		cr_assert_eq(m->method, c->method, "%s", c->name);
	if (c->form)
		cr_assert_eq(m->form, c->form, "%s", c->name);
	if (c->body_kind)
		cr_assert_eq(m->body_kind + 1, c->body_kind, "%s: kind %u",
		             c->name, m->body_kind);
	if (c->minor)
		cr_assert_eq(m->version_minor + 1, c->minor, "%s", c->name);
	if (c->cl)
		cr_assert_eq(m->content_length + 1, c->cl, "%s: cl %lu",
		             c->name, (unsigned long)m->content_length);
	cr_assert_eq(m->flags & c->flags, c->flags, "%s: flags %#x", c->name,
	             m->flags);
	cr_assert_eq(m->flags & c->noflags, 0, "%s: flags %#x", c->name,
	             m->flags);
	if (c->port)
		cr_assert_eq(m->port + 1u, c->port, "%s: port %u", c->name,
		             m->port);
	if (c->host)
		cr_assert(str_is(buf, m->host, c->host), "%s: host '%.*s'",
		          c->name, (int)m->host.len, buf + m->host.off);
	if (c->path)
		cr_assert(str_is(buf, m->path, c->path), "%s: path '%.*s'",
		          c->name, (int)m->path.len, buf + m->path.off);
	if (c->scheme)
		cr_assert(str_is(buf, m->scheme, c->scheme), "%s", c->name);
	if (c->reason)
		cr_assert(str_is(buf, m->reason, c->reason), "%s", c->name);
	if (!c->response)
		cr_assert(memcmp(buf + m->method_str.off, buf, 0) == 0 &&
		              m->method_str.off == 0 && m->method_str.len > 0 &&
		              m->target.off == m->method_str.len + 1,
		          "%s", c->name);
	if (c->hdrs == NULL)
		return;
	dump[0] = 0;
	for (i = 0; i < m->n_headers; i++)
		o += (size_t)snprintf(
		    dump + o, sizeof(dump) - o, "%.*s=%.*s|",
		    (int)m->hdr[i].name.len, buf + m->hdr[i].name.off,
		    (int)m->hdr[i].value.len, buf + m->hdr[i].value.off);
	cr_assert_str_eq(dump, c->hdrs, "%s", c->name);
}

/* Same outcome: rc, status, and for HTTP_OK every result field. */
static void
check_same(const char *name, uint32_t k, int rc, const struct http_msg *m,
           int ref_rc, const struct http_msg *ref)
{
	cr_assert_eq(rc, ref_rc, "%s split %u: rc %d, whole %d (%s / %s)", name,
	             k, rc, ref_rc, m->error ? m->error : "-",
	             ref->error ? ref->error : "-");
	cr_assert_eq(m->status, ref->status, "%s split %u: status %u vs %u",
	             name, k, m->status, ref->status);
	if (rc != HTTP_OK)
		return;
	cr_assert_eq(m->head_len, ref->head_len, "%s split %u", name, k);
	cr_assert_eq(m->version_minor, ref->version_minor);
	cr_assert_eq(m->method, ref->method);
	cr_assert_eq(m->form, ref->form);
	cr_assert_eq(m->body_kind, ref->body_kind);
	cr_assert_eq(m->flags, ref->flags);
	cr_assert_eq(m->content_length, ref->content_length);
	cr_assert_eq(m->port, ref->port);
	cr_assert_eq(m->n_headers, ref->n_headers);
	cr_assert(memcmp(&m->method_str, &ref->method_str,
	                 sizeof(struct http_str)) == 0);
	cr_assert(memcmp(&m->target, &ref->target, sizeof(m->target)) == 0);
	cr_assert(memcmp(&m->scheme, &ref->scheme, sizeof(m->scheme)) == 0);
	cr_assert(memcmp(&m->host, &ref->host, sizeof(m->host)) == 0);
	cr_assert(memcmp(&m->path, &ref->path, sizeof(m->path)) == 0);
	cr_assert(memcmp(&m->reason, &ref->reason, sizeof(m->reason)) == 0);
	cr_assert(memcmp(m->hdr, ref->hdr,
	                 m->n_headers * sizeof(struct http_header)) == 0,
	          "%s split %u: header table", name, k);
}

static void
msg_start(struct http_msg *m, const struct pcase *c)
{
	http_msg_init(m, !c->response, (enum http_method)c->req_method);
}

static struct http_msg ref, m;

static int
parse_whole(const struct pcase *c, struct http_msg *out)
{
	char *b = exact_copy(c->raw, c->raw_len);
	int rc;

	msg_start(out, c);
	rc = http_parse_head(out, b, c->raw_len, case_lim(c));
	free(b);
	return rc;
}

Test(http_parse, corpus_whole)
{
	size_t i;

	for (i = 0; i < GH_ARRAY_SIZE(corpus); i++) {
		const struct pcase *c = &corpus[i];
		char *b = exact_copy(c->raw, c->raw_len);
		int rc;

		msg_start(&m, c);
		rc = http_parse_head(&m, b, c->raw_len, case_lim(c));
		check_expect(c, &m, rc, b);
		/* a finished parse gives the same again */
		if (rc != HTTP_AGAIN)
			cr_assert_eq(
			    http_parse_head(&m, b, c->raw_len, case_lim(c)),
			    rc);
		free(b);
	}
}

Test(http_parse, corpus_split_everywhere)
{
	size_t i;

	for (i = 0; i < GH_ARRAY_SIZE(corpus); i++) {
		const struct pcase *c = &corpus[i];
		int ref_rc = parse_whole(c, &ref);
		uint32_t k;

		for (k = 0; k <= c->raw_len; k++) {
			char *b1 = exact_copy(c->raw, k), *b2;
			int rc;

			msg_start(&m, c);
			rc = http_parse_head(&m, b1, k, case_lim(c));
			free(b1);
			if (rc == HTTP_ERROR) {
				/* decided early: must be the final answer */
				check_same(c->name, k, rc, &m, ref_rc, &ref);
				continue;
			}
			/* the buffer moves and grows */
			b2 = exact_copy(c->raw, c->raw_len);
			rc = http_parse_head(&m, b2, c->raw_len, case_lim(c));
			free(b2);
			check_same(c->name, k, rc, &m, ref_rc, &ref);
		}
	}
}

Test(http_parse, corpus_byte_by_byte)
{
	size_t i;

	for (i = 0; i < GH_ARRAY_SIZE(corpus); i++) {
		const struct pcase *c = &corpus[i];
		int ref_rc = parse_whole(c, &ref), rc = HTTP_AGAIN;
		uint32_t k;

		msg_start(&m, c);
		for (k = 0; k <= c->raw_len && rc == HTTP_AGAIN; k++) {
			char *b = exact_copy(c->raw, k);

			rc = http_parse_head(&m, b, k, case_lim(c));
			free(b);
			if (rc == HTTP_AGAIN)
				cr_assert_null(m.error);
		}
		check_same(c->name, k, rc, &m, ref_rc, &ref);
	}
}

/* 414 is decided by the first max_request_line bytes, before any LF. */
Test(http_parse, limit_414_early)
{
	static const char req[] = "GET /0123456789012345678901234567";
	struct http_msg *mm = &m;

	http_msg_init(mm, true, HTTP_M_OTHER);
	cr_assert_eq(http_parse_head(mm, req, 31, &small_lim), HTTP_AGAIN);
	cr_assert_eq(http_parse_head(mm, req, 32, &small_lim), HTTP_ERROR);
	cr_assert_eq(mm->status, 414);
}

/* 431 on the first byte of a field line past max_headers. */
Test(http_parse, limit_431_count_early)
{
	static const char req[] =
	    "GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n"
	    "C";

	http_msg_init(&m, true, HTTP_M_OTHER);
	cr_assert_eq(http_parse_head(&m, req, sizeof(req) - 2, &small_lim),
	             HTTP_AGAIN);
	cr_assert_eq(http_parse_head(&m, req, sizeof(req) - 1, &small_lim),
	             HTTP_ERROR);
	cr_assert_eq(m.status, 431);
}

/* Pipelining: head_len is where the next request starts. */
Test(http_parse, pipelined)
{
	static const char two[] = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"
	                          "HEAD /2 HTTP/1.1\r\nHost: b\r\n\r\n";
	struct http_limits lim;
	uint32_t first;

	http_limits_default(&lim);
	http_msg_init(&m, true, HTTP_M_OTHER);
	cr_assert_eq(http_parse_head(&m, two, sizeof(two) - 1, &lim), HTTP_OK);
	first = m.head_len;
	cr_assert_eq(first, 28);
	cr_assert_eq(m.body_kind, HTTP_BODY_NONE);
	http_msg_init(&m, true, HTTP_M_OTHER);
	cr_assert_eq(
	    http_parse_head(&m, two + first, sizeof(two) - 1 - first, &lim),
	    HTTP_OK);
	cr_assert_eq(m.method, HTTP_M_HEAD);
	cr_assert_eq(m.head_len, sizeof(two) - 1 - first);
	cr_assert(str_is(two + first, m.host, "b"));
}

Test(http_parse, lookups)
{
	static const char req[] = "GET / HTTP/1.1\r\nHost: h\r\n"
	                          "Connection: Keep-Alive, X-Hop ,\r\n"
	                          "X-Hop: 1\r\nconnection: TE\r\nx-hop: 2\r\n"
	                          "\r\n";
	struct http_limits lim;

	http_limits_default(&lim);
	http_msg_init(&m, true, HTTP_M_OTHER);
	cr_assert_eq(http_parse_head(&m, req, sizeof(req) - 1, &lim), HTTP_OK);
	cr_assert(http_hdr_name_is(&m, req, 0, "host"));
	cr_assert(http_hdr_name_is(&m, req, 1, "CONNECTION"));
	cr_assert_not(http_hdr_name_is(&m, req, 1, "connectio"));
	cr_assert_eq(http_hdr_find(&m, req, "x-hop", 0), 2);
	cr_assert_eq(http_hdr_find(&m, req, "X-HOP", 3), 4);
	cr_assert_eq(http_hdr_find(&m, req, "absent", 0), -1);
	cr_assert(http_conn_lists(&m, req, "x-hop", 5));
	cr_assert(http_conn_lists(&m, req, "te", 2));
	cr_assert(http_conn_lists(&m, req, "keep-alive", 10));
	cr_assert_not(http_conn_lists(&m, req, "x-ho", 4));
	cr_assert_not(http_conn_lists(&m, req, "host", 4));
	cr_assert(m.flags & HTTP_F_CONN_KEEPALIVE);
}

/* The parser's field index (http_msg.fields, field_first): for every
 * indexed field, in any case, http_field_find answers what a scan
 * (http_hdr_find) does from every index, also when the head came a byte
 * at a time; fields it does not index, or names that only share a
 * length or a prefix, leave it empty. */
Test(http_parse, field_index)
{
	static const char req[] =
	    "GET / HTTP/1.1\r\nHost: h\r\nX-Range: 1\r\n"
	    "rAnGe: bytes=0-1\r\nIf-Match: \"a\"\r\nUser-Agent: u\r\n"
	    "CACHE-CONTROL: no-cache\r\nif-none-match: \"b\"\r\n"
	    "Range: bytes=2-3\r\nAuthorizatio: x\r\nCache-Control: x\r\n"
	    "\r\n";
	static const uint32_t want = HTTP_FLD_BIT(HTTP_FLD_RANGE) |
	                             HTTP_FLD_BIT(HTTP_FLD_IF_MATCH) |
	                             HTTP_FLD_BIT(HTTP_FLD_USER_AGENT) |
	                             HTTP_FLD_BIT(HTTP_FLD_CACHE_CONTROL) |
	                             HTTP_FLD_BIT(HTTP_FLD_IF_NONE_MATCH);
	struct http_limits lim;
	uint32_t k;
	unsigned f, from;
	int rc = HTTP_AGAIN;

	http_limits_default(&lim);
	http_msg_init(&m, true, HTTP_M_OTHER);
	for (k = 1; k <= sizeof(req) - 1 && rc == HTTP_AGAIN; k++)
		rc = http_parse_head(&m, req, k, &lim);
	cr_assert_eq(rc, HTTP_OK);
	cr_assert_eq(m.fields, want, "fields %#x", m.fields);
	for (f = 0; f < HTTP_FLD_N; f++) {
		cr_assert_eq(http_has_field(&m, f), (want >> f) & 1u);
		for (from = 0; from <= m.n_headers + 1u; from++)
			cr_assert_eq(
			    http_field_find(&m, req, f, from),
			    http_hdr_find(&m, req, http_field_names[f], from),
			    "field %s from %u", http_field_names[f], from);
	}
	cr_assert_eq(http_field_find(&m, req, HTTP_FLD_RANGE, 0), 2);
	cr_assert_eq(http_field_find(&m, req, HTTP_FLD_RANGE, 3), 7);
	cr_assert_eq(http_field_find(&m, req, HTTP_FLD_CACHE_CONTROL, 6), 9);
	cr_assert_eq(http_field_find(&m, req, HTTP_FLD_AUTHORIZATION, 0), -1);
}

Test(http_parse, names)
{
	struct http_limits lim;

	cr_assert_str_eq(http_reason(200), "OK");
	cr_assert_str_eq(http_reason(404), "Not Found");
	cr_assert_str_eq(http_reason(431), "Request Header Fields Too Large");
	cr_assert_str_eq(http_reason(505), "HTTP Version Not Supported");
	cr_assert_str_eq(http_reason(299), "Unknown");
	cr_assert_str_eq(http_method_name(HTTP_M_CONNECT), "CONNECT");
	cr_assert_str_eq(http_method_name(HTTP_M_OTHER), "");
	http_limits_default(&lim);
	cr_assert_eq(lim.max_request_line, 8192);
	cr_assert_eq(lim.max_headers, 100);
	cr_assert_eq(lim.max_header_bytes, 32768);
	cr_assert_eq(lim.max_chunk_line, 4096);
	cr_assert_eq(lim.max_trailer_bytes, 8192);
}

/* A buffer shorter than what was already parsed is a caller bug. */
Test(http_parse, verify_shrunk_buffer, .signal = SIGABRT)
{
	static const char req[] = "GET / HTTP/1.1\r\nHost: h\r\n";
	struct http_limits lim;

	http_limits_default(&lim);
	http_msg_init(&m, true, HTTP_M_OTHER);
	cr_assert_eq(http_parse_head(&m, req, sizeof(req) - 1, &lim),
	             HTTP_AGAIN);
	http_parse_head(&m, req, 4, &lim);
}
