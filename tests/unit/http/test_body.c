/*
 * lib/http body codec: chunked bodies (extensions, trailers, the limits)
 * and the chunked smuggling vectors (RFC 9112 7.1, 11.2) each fed whole,
 * as two spans split at every byte boundary, as three spans, and byte by
 * byte: every feeding must end at the same byte with the same result, and
 * the codec must stop exactly at the end of the body so the next pipelined
 * message starts there.  Content-Length, until-close, tunnel and no-body
 * framing too, and a request with a chunked body parsed head to body to
 * the next request.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "common/gh_common.h"
#include "http/http.h"

TestSuite(http_body);

struct bcase {
	const char *name;
	const char *raw;
	uint32_t raw_len;
	uint8_t kind;  /* enum http_body_kind */
	uint64_t cl;   /* for HTTP_BODY_LENGTH */
	bool response; /* errors are 502 */
	bool small;    /* small limits: chunk line 16, trailers 32 */
	int rc;        /* HTTP_OK, HTTP_AGAIN or HTTP_ERROR */
	uint16_t status;
	uint32_t end; /* bytes consumed in all when the result came */
};

#define R(s)       .raw = (s), .raw_len = sizeof(s) - 1
#define CHUNKED    .kind = HTTP_BODY_CHUNKED
#define OK(n)      .rc = HTTP_OK, .end = (n)
#define BAD(st, n) .rc = HTTP_ERROR, .status = (st), .end = (n)

static const struct bcase corpus[] = {
    {"simple", R("5\r\nhello\r\n0\r\n\r\nGET"), CHUNKED, OK(15)},
    {"two chunks", R("5\r\nhello\r\n1\r\n!\r\n0\r\n\r\n"), CHUNKED, OK(21)},
    {"upper hex", R("A\r\n0123456789\r\n0\r\n\r\n"), CHUNKED, OK(20)},
    {"lower hex", R("a\r\n0123456789\r\n0\r\n\r\n"), CHUNKED, OK(20)},
    {"extension", R("5;name=val;x=\"q s\"\r\nhello\r\n0;y\r\n\r\nX"), CHUNKED,
     OK(34)},
    {"trailers", R("0\r\nX-T: v\r\nY:\r\nZ: a b\t\r\n\r\nnext"), CHUNKED,
     OK(26)},
    {"leading zeros", R("0005\r\nhello\r\n00\r\n\r\n"), CHUNKED, OK(19)},
    {"16 digits", R("0000000000000005\r\nhello\r\n0\r\n\r\n"), CHUNKED, OK(30)},
    {"huge chunk", R("ffffffffffffffff\r\nabc"), CHUNKED, .rc = HTTP_AGAIN,
     .end = 21},
    {"incomplete", R("5\r\nhel"), CHUNKED, .rc = HTTP_AGAIN, .end = 6},
    {"incomplete trailer", R("0\r\nX: 1\r\n"), CHUNKED, .rc = HTTP_AGAIN,
     .end = 9},
    {"empty", R(""), CHUNKED, .rc = HTTP_AGAIN},
    /* the smuggling vectors: each refused at the offending byte */
    {"17 digits", R("00000000000000005\r\nhello\r\n0\r\n\r\n"), CHUNKED,
     BAD(400, 16)},
    {"0x prefix", R("0x5\r\nhello\r\n0\r\n\r\n"), CHUNKED, BAD(400, 1)},
    {"space after size", R("5 \r\nhello\r\n0\r\n\r\n"), CHUNKED, BAD(400, 2)},
    {"negative", R("-5\r\nhello\r\n0\r\n\r\n"), CHUNKED, BAD(400, 0)},
    {"plus", R("+5\r\nhello\r\n0\r\n\r\n"), CHUNKED, BAD(400, 0)},
    {"no size", R("\r\nhello\r\n0\r\n\r\n"), CHUNKED, BAD(400, 0)},
    {"data without CRLF", R("5\r\nhelloXX0\r\n\r\n"), CHUNKED, BAD(400, 8)},
    {"data too long", R("5\r\nhello!\r\n0\r\n\r\n"), CHUNKED, BAD(400, 8)},
    {"data then LF", R("5\r\nhello\n0\r\n\r\n"), CHUNKED, BAD(400, 8)},
    {"data then CR CR", R("5\r\nhello\r\r\n0\r\n\r\n"), CHUNKED, BAD(400, 9)},
    {"bare LF size line", R("5\nhello\r\n0\r\n\r\n"), CHUNKED, BAD(400, 1)},
    {"bare CR size line", R("5\rhello\r\n0\r\n\r\n"), CHUNKED, BAD(400, 2)},
    {"NUL in extension", R("5;a\0\r\nhello\r\n0\r\n\r\n"), CHUNKED,
     BAD(400, 3)},
    {"LF in extension", R("5;a\nhello\r\n0\r\n\r\n"), CHUNKED, BAD(400, 3)},
    {"trailer obs-fold", R("0\r\nA: b\r\n c\r\n\r\n"), CHUNKED, BAD(400, 9)},
    {"trailer space before colon", R("0\r\nA : b\r\n\r\n"), CHUNKED,
     BAD(400, 4)},
    {"trailer bare LF", R("0\r\nA: b\n\r\n"), CHUNKED, BAD(400, 7)},
    {"trailer NUL", R("0\r\nA: \0\r\n\r\n"), CHUNKED, BAD(400, 6)},
    {"trailer empty name", R("0\r\n: b\r\n\r\n"), CHUNKED, BAD(400, 3)},
    {"end bare LF", R("0\r\n\n"), CHUNKED, BAD(400, 3)},
    {"end CR X", R("0\r\n\rX"), CHUNKED, BAD(400, 4)},
    {"response error", R("0x5\r\n"), CHUNKED, .response = true, BAD(502, 1)},
    /* chunk-ext (RFC 9112 7.1.1): BWS ";" BWS name [BWS "=" BWS value],
     * value a token or a quoted-string (RFC 9110 5.6.4) */
    {"ext space before ;", R("5 ;a\r\nhello\r\n0\r\n\r\n"), CHUNKED, OK(18)},
    {"ext BWS everywhere",
     R("5 \t; \tname \t= \tval\r\nhello\r\n0\t;\tz\r\n\r\n"), CHUNKED, OK(36)},
    {"ext quoted escapes", R("5;q=\"a\\\"b;c\\\\\"\r\nhello\r\n0\r\n\r\n"),
     CHUNKED, OK(28)},
    {"ext several", R("5;a;b=1;c=\"x\" ; d\r\nhello\r\n0;e=f;g\r\n\r\n"),
     CHUNKED, OK(37)},
    {"ext quoted obs-text",
     R("5;q=\"\xe9t\xe9 \\\xe9\\\t\"\r\nhello\r\n0\r\n\r\n"), CHUNKED, OK(28)},
    {"ext empty quoted", R("5;q=\"\"\r\nhello\r\n0\r\n\r\n"), CHUNKED, OK(20)},
    {"ext name not a token", R("5;@\r\nhello\r\n0\r\n\r\n"), CHUNKED,
     BAD(400, 2)},
    {"ext quoted name", R("5;\"a\"\r\nhello\r\n0\r\n\r\n"), CHUNKED,
     BAD(400, 2)},
    {"ext no name", R("5;=b\r\nhello\r\n0\r\n\r\n"), CHUNKED, BAD(400, 2)},
    {"ext bare ;", R("5;\r\nhello\r\n0\r\n\r\n"), CHUNKED, BAD(400, 2)},
    {"ext trailing ;", R("5;a;\r\nhello\r\n0\r\n\r\n"), CHUNKED, BAD(400, 4)},
    {"ext = without value", R("5;a=\r\nhello\r\n0\r\n\r\n"), CHUNKED,
     BAD(400, 4)},
    {"ext = BWS without value", R("5;a= \r\nhello\r\n0\r\n\r\n"), CHUNKED,
     BAD(400, 5)},
    {"ext ==", R("5;a==b\r\nhello\r\n0\r\n\r\n"), CHUNKED, BAD(400, 4)},
    {"ext unterminated quote", R("5;a=\"abc\r\nhello\r\n0\r\n\r\n"), CHUNKED,
     BAD(400, 8)},
    {"ext CTL in quoted", R("5;a=\"b\x01c\"\r\nhello\r\n0\r\n\r\n"), CHUNKED,
     BAD(400, 6)},
    {"ext DEL in quoted", R("5;a=\"\x7f\"\r\nhello\r\n0\r\n\r\n"), CHUNKED,
     BAD(400, 5)},
    {"ext CTL in quoted-pair", R("5;a=\"\\\x01\"\r\nhello\r\n0\r\n\r\n"),
     CHUNKED, BAD(400, 6)},
    {"ext CR in quoted-pair", R("5;a=\"\\\r\nhello\r\n0\r\n\r\n"), CHUNKED,
     BAD(400, 6)},
    {"ext space inside token", R("5;a=b c\r\nhello\r\n0\r\n\r\n"), CHUNKED,
     BAD(400, 6)},
    {"ext text after quote", R("5;a=\"b\"c\r\nhello\r\n0\r\n\r\n"), CHUNKED,
     BAD(400, 7)},
    {"ext BWS then text after quote", R("5;a=\"b\" c\r\nhello\r\n0\r\n\r\n"),
     CHUNKED, BAD(400, 8)},
    {"ext backslash in token", R("5;a=b\\c\r\nhello\r\n0\r\n\r\n"), CHUNKED,
     BAD(400, 5)},
    {"ext obs-text in token", R("5;a=\xe9\r\nhello\r\n0\r\n\r\n"), CHUNKED,
     BAD(400, 4)},
    {"ext BWS without ;", R("5\t\r\nhello\r\n0\r\n\r\n"), CHUNKED, BAD(400, 2)},
    {"ext BWS then text", R("5 a\r\nhello\r\n0\r\n\r\n"), CHUNKED, BAD(400, 2)},
    {"ext trailing BWS", R("5;a \r\nhello\r\n0\r\n\r\n"), CHUNKED, BAD(400, 4)},
    {"ext trailing BWS after value", R("5;a=b\t\r\nhello\r\n0\r\n\r\n"),
     CHUNKED, BAD(400, 6)},
    {"ext bare LF in BWS", R("5 \nhello\r\n0\r\n\r\n"), CHUNKED, BAD(400, 2)},
    {"ext error last chunk", R("5\r\nhello\r\n0;@\r\n\r\n"), CHUNKED,
     BAD(400, 12)},
    {"ext error response", R("5;a=\"\x01\"\r\n"), CHUNKED, .response = true,
     BAD(502, 5)},
    /* limits */
    {"chunk line at the limit", R("5;aaaaaaaaaaaa\r\nhello\r\n0\r\n\r\n"),
     CHUNKED, .small = true, OK(28)},
    {"chunk line over", R("5;aaaaaaaaaaaaa\r\nhello\r\n0\r\n\r\n"), CHUNKED,
     .small = true, BAD(400, 16)},
    {"chunk line at the limit quoted",
     R("5 ;a=\"bcdefgh\"\r\nhello\r\n0\r\n\r\n"), CHUNKED, .small = true,
     OK(28)},
    {"chunk line over in quoted", R("5 ;a=\"bcdefghi\"\r\nhello\r\n0\r\n\r\n"),
     CHUNKED, .small = true, BAD(400, 16)},
    {"chunk line over in BWS", R("5               ;a\r\nhello\r\n0\r\n\r\n"),
     CHUNKED, .small = true, BAD(400, 16)},
    {"trailers at the limit", R("0\r\nX: 0123456789012345678901234\r\n\r\n"),
     CHUNKED, .small = true, OK(35)},
    {"trailers over", R("0\r\nX: 01234567890123456789012345\r\n\r\n"), CHUNKED,
     .small = true, BAD(431, 35)},
    {"trailers over response", R("0\r\nX: 01234567890123456789012345\r\n\r\n"),
     CHUNKED, .small = true, .response = true, BAD(502, 35)},
    /* other framings */
    {"length", R("helloGET"), .kind = HTTP_BODY_LENGTH, .cl = 5, OK(5)},
    {"length exact", R("hello"), .kind = HTTP_BODY_LENGTH, .cl = 5, OK(5)},
    {"length short", R("hel"), .kind = HTTP_BODY_LENGTH, .cl = 5,
     .rc = HTTP_AGAIN, .end = 3},
    {"none", R("GET"), .kind = HTTP_BODY_NONE, OK(0)},
    {"eof", R("anything\r\n0\r\n\r\n"), .kind = HTTP_BODY_EOF, .response = true,
     .rc = HTTP_AGAIN, .end = 15},
    {"tunnel", R("\x16\x03\x01"), .kind = HTTP_BODY_TUNNEL, .response = true,
     .rc = HTTP_AGAIN, .end = 3},
};

static const struct http_limits small_lim = {
    .max_request_line = 64,
    .max_headers = 8,
    .max_header_bytes = 256,
    .max_chunk_line = 16,
    .max_trailer_bytes = 32,
};

static void
body_start(struct http_body *b, const struct bcase *c)
{
	struct http_msg *m = calloc(1, sizeof(*m));
	struct http_limits lim;

	cr_assert_not_null(m);
	http_limits_default(&lim);
	http_msg_init(m, !c->response, HTTP_M_GET);
	m->body_kind = c->kind;
	m->content_length = c->cl;
	http_body_init(b, m, c->small ? &small_lim : &lim);
	free(m);
}

/*
 * Feed raw[0 .. raw_len) as spans ending at cuts[0..n) (the last one is
 * raw_len), each in a heap buffer of its exact size.  Returns the result
 * and sets *end to the bytes consumed in all.
 */
static int
feed_spans(struct http_body *b, const struct bcase *c, const uint32_t *cuts,
           unsigned n, uint32_t *end)
{
	uint32_t at = 0;
	int rc = HTTP_AGAIN;
	unsigned i;

	for (i = 0; i < n; i++) {
		uint32_t len = cuts[i] - at, used = 0;
		char *p = malloc(len > 0 ? len : 1);

		cr_assert_not_null(p);
		memcpy(p, c->raw + at, len);
		rc = http_body_feed(b, p, len, &used);
		free(p);
		cr_assert_leq(used, len);
		at += used;
		if (rc != HTTP_AGAIN)
			break;
		cr_assert_eq(used, len, "%s: AGAIN must take the whole span",
		             c->name);
	}
	*end = at;
	return rc;
}

static void
check(const struct bcase *c, const struct http_body *b, int rc, uint32_t end,
      const char *how)
{
	cr_assert_eq(rc, c->rc, "%s (%s): rc %d, want %d", c->name, how, rc,
	             c->rc);
	cr_assert_eq(end, c->end, "%s (%s): end %u, want %u", c->name, how, end,
	             c->end);
	if (rc == HTTP_ERROR)
		cr_assert_eq(b->status, c->status, "%s (%s): status %u",
		             c->name, how, b->status);
	if (rc == HTTP_OK)
		cr_assert(http_body_eof(b), "%s", c->name);
}

Test(http_body, corpus_whole)
{
	size_t i;

	for (i = 0; i < GH_ARRAY_SIZE(corpus); i++) {
		const struct bcase *c = &corpus[i];
		uint32_t cut = c->raw_len, end, used = 1;
		struct http_body b;
		int rc;

		body_start(&b, c);
		rc = feed_spans(&b, c, &cut, 1, &end);
		check(c, &b, rc, end, "whole");
		/* a finished codec stays finished and takes nothing */
		if (rc == HTTP_OK || rc == HTTP_ERROR) {
			cr_assert_eq(http_body_feed(&b, "x", 1, &used), rc);
			cr_assert_eq(used, 0);
		}
	}
}

Test(http_body, corpus_split_everywhere)
{
	size_t i;

	for (i = 0; i < GH_ARRAY_SIZE(corpus); i++) {
		const struct bcase *c = &corpus[i];
		uint32_t k, j, end, cuts[3];
		int rc;
		struct http_body b;

		for (k = 0; k <= c->raw_len; k++) {
			cuts[0] = k;
			cuts[1] = c->raw_len;
			body_start(&b, c);
			rc = feed_spans(&b, c, cuts, 2, &end);
			check(c, &b, rc, end, "two spans");
			for (j = k; j <= c->raw_len; j++) {
				cuts[1] = j;
				cuts[2] = c->raw_len;
				body_start(&b, c);
				rc = feed_spans(&b, c, cuts, 3, &end);
				check(c, &b, rc, end, "three spans");
			}
		}
	}
}

Test(http_body, corpus_byte_by_byte)
{
	size_t i;

	for (i = 0; i < GH_ARRAY_SIZE(corpus); i++) {
		const struct bcase *c = &corpus[i];
		uint32_t cuts[64], k, end;
		int rc;
		struct http_body b;

		cr_assert_leq(c->raw_len, GH_ARRAY_SIZE(cuts));
		for (k = 0; k < c->raw_len; k++)
			cuts[k] = k + 1;
		body_start(&b, c);
		rc = feed_spans(&b, c, cuts, c->raw_len, &end);
		check(c, &b, rc, end, "byte by byte");
	}
}

Test(http_body, eof_semantics)
{
	struct bcase c = {.kind = HTTP_BODY_EOF, .response = true};
	struct http_body b;

	body_start(&b, &c);
	cr_assert(http_body_eof(&b));
	c.kind = HTTP_BODY_CHUNKED;
	body_start(&b, &c);
	cr_assert_not(http_body_eof(&b)); /* a FIN here truncates */
	c.kind = HTTP_BODY_LENGTH;
	c.cl = 3;
	body_start(&b, &c);
	cr_assert_not(http_body_eof(&b));
	c.kind = HTTP_BODY_NONE;
	body_start(&b, &c);
	cr_assert(http_body_eof(&b));
}

/* A chunked request, then the next pipelined request from where the body
 * codec stopped. */
Test(http_body, pipelined_chunked_request)
{
	static const char buf[] = "POST /a HTTP/1.1\r\nHost: h\r\n"
	                          "Transfer-Encoding: chunked\r\n\r\n"
	                          "5\r\nhello\r\n0\r\nT: 1\r\n\r\n"
	                          "POST /b HTTP/1.1\r\nHost: h\r\n"
	                          "Content-Length: 3\r\n\r\nabc"
	                          "GET /c HTTP/1.1\r\nHost: h\r\n\r\n";
	static struct http_msg m;
	struct http_limits lim;
	struct http_body b;
	uint32_t at = 0, used, n = sizeof(buf) - 1;
	static const char *const paths[] = {"/a", "/b", "/c"};
	unsigned i;

	http_limits_default(&lim);
	for (i = 0; i < 3; i++) {
		http_msg_init(&m, true, HTTP_M_OTHER);
		cr_assert_eq(http_parse_head(&m, buf + at, n - at, &lim),
		             HTTP_OK);
		cr_assert_eq(m.path.len, 2);
		cr_assert(memcmp(buf + at + m.path.off, paths[i], 2) == 0);
		at += m.head_len;
		http_body_init(&b, &m, &lim);
		cr_assert_eq(http_body_feed(&b, buf + at, n - at, &used),
		             HTTP_OK);
		at += used;
	}
	cr_assert_eq(at, n);
}

/* The always-on check: a chunk data run of 0 bytes (a corrupted codec)
 * would never end; the codec stops the process instead of spinning. */
Test(http_body, verify_data_run_never_empty, .signal = SIGABRT)
{
	static struct http_msg m;
	struct http_limits lim;
	struct http_body b;
	uint32_t used;

	http_limits_default(&lim);
	http_msg_init(&m, true, HTTP_M_GET);
	m.body_kind = HTTP_BODY_CHUNKED;
	http_body_init(&b, &m, &lim);
	cr_assert_eq(http_body_feed(&b, "5\r\n", 3, &used), HTTP_AGAIN);
	cr_assert_eq(http_body_chunk_data(&b), 5);
	b.remaining = 0; /* what a wild write would leave */
	http_body_feed(&b, "hello", 5, &used);
}
