/*
 * libFuzzer harness of the HTTP head parser (lib/http/http_parse.c) and of
 * the body codec behind it.  Input: three control bytes, then the message.
 *   byte 0: bit 0 parse as a response, bits 1-4 the request's method
 *           (for a response), bits 5-6 the limits (0 default, 1 small,
 *           2 head below request line);
 *   bytes 1, 2: two cut points (as fractions of the message length).
 * The message is parsed whole, then fed in three growing prefixes cut at
 * those points, each in a heap buffer of exactly its length (ASan sees
 * any read past it): every split must give the result of the whole parse
 * (the contract of http_parse_head()).  A complete head must describe
 * spans inside it.  When the head parses, the rest of the input is fed to
 * the body codec whole and in two spans: same result, same end.
 * A broken contract aborts (GH_VERIFY), which libFuzzer reports as a crash.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/gh_common.h"
#include "http/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct http_limits small_lim = {
    .max_request_line = 32,
    .max_headers = 3,
    .max_header_bytes = 96,
    .max_chunk_line = 16,
    .max_trailer_bytes = 32,
};

static const struct http_limits tight_head_lim = {
    .max_request_line = 64,
    .max_headers = 8,
    .max_header_bytes = 24,
    .max_chunk_line = 16,
    .max_trailer_bytes = 32,
};

static struct http_msg ref, m;

/* A heap copy of exactly <n> bytes of <p> (one byte allocated for 0). */
static char *
exact_copy(const uint8_t *p, uint32_t n)
{
	char *b = malloc(n > 0 ? n : 1);

	GH_VERIFY(b != NULL);
	memcpy(b, p, n);
	return b;
}

static void
span_ok(struct http_str s, uint32_t end)
{
	GH_VERIFY(s.off <= end && s.len <= end - s.off);
}

/* What an HTTP_OK or HTTP_ERROR result must look like. */
static void
check_result(const struct http_msg *x, int rc, uint32_t len,
             const struct http_limits *lim)
{
	unsigned i;

	GH_VERIFY(rc == HTTP_OK || rc == HTTP_AGAIN || rc == HTTP_ERROR);
	if (rc == HTTP_ERROR) {
		GH_VERIFY(x->error != NULL);
		GH_VERIFY(x->status >= 400 && x->status <= 599);
		return;
	}
	if (rc == HTTP_AGAIN) {
		GH_VERIFY(x->error == NULL);
		return;
	}
	GH_VERIFY(x->head_len >= 4 && x->head_len <= len);
	GH_VERIFY(x->head_len <= lim->max_header_bytes);
	GH_VERIFY(x->n_headers <= lim->max_headers);
	GH_VERIFY(x->version_minor <= 1);
	GH_VERIFY(x->body_kind <= HTTP_BODY_TUNNEL);
	span_ok(x->method_str, x->head_len);
	span_ok(x->target, x->head_len);
	span_ok(x->scheme, x->head_len);
	span_ok(x->host, x->head_len);
	span_ok(x->path, x->head_len);
	span_ok(x->reason, x->head_len);
	for (i = 0; i < x->n_headers; i++) {
		span_ok(x->hdr[i].name, x->head_len);
		span_ok(x->hdr[i].value, x->head_len);
		GH_VERIFY(x->hdr[i].name.len > 0);
	}
	if (x->body_kind == HTTP_BODY_LENGTH)
		GH_VERIFY(x->content_length > 0);
}

/* Same outcome: rc, status, and for HTTP_OK every result field (as
 * tests/unit/http/test_parse.c check_same). */
static void
check_same(const struct http_msg *x, int rc, int ref_rc)
{
	GH_VERIFY(rc == ref_rc);
	GH_VERIFY(x->status == ref.status);
	if (rc != HTTP_OK)
		return;
	GH_VERIFY(x->head_len == ref.head_len);
	GH_VERIFY(x->version_minor == ref.version_minor);
	GH_VERIFY(x->method == ref.method);
	GH_VERIFY(x->form == ref.form);
	GH_VERIFY(x->body_kind == ref.body_kind);
	GH_VERIFY(x->flags == ref.flags);
	GH_VERIFY(x->content_length == ref.content_length);
	GH_VERIFY(x->port == ref.port);
	GH_VERIFY(x->n_headers == ref.n_headers);
	GH_VERIFY(memcmp(&x->method_str, &ref.method_str,
	                 sizeof(struct http_str)) == 0);
	GH_VERIFY(memcmp(&x->target, &ref.target, sizeof(x->target)) == 0);
	GH_VERIFY(memcmp(&x->scheme, &ref.scheme, sizeof(x->scheme)) == 0);
	GH_VERIFY(memcmp(&x->host, &ref.host, sizeof(x->host)) == 0);
	GH_VERIFY(memcmp(&x->path, &ref.path, sizeof(x->path)) == 0);
	GH_VERIFY(memcmp(&x->reason, &ref.reason, sizeof(x->reason)) == 0);
	GH_VERIFY(memcmp(x->hdr, ref.hdr,
	                 x->n_headers * sizeof(struct http_header)) == 0);
}

/* Feed <p> of <len> bytes to a fresh codec as spans ending at cuts[]
 * (the last one is len), each in an exact heap buffer. */
static int
body_feed_spans(const struct http_msg *x, const struct http_limits *lim,
                const uint8_t *p, const uint32_t *cuts, unsigned n_cuts,
                uint32_t *end, uint16_t *status)
{
	struct http_body b;
	uint32_t at = 0, used;
	int rc = HTTP_AGAIN;
	unsigned i;

	http_body_init(&b, x, lim);
	for (i = 0; i < n_cuts; i++) {
		uint32_t len = cuts[i] - at;
		char *s = exact_copy(p + at, len);

		used = 0;
		rc = http_body_feed(&b, s, len, &used);
		free(s);
		GH_VERIFY(used <= len);
		at += used;
		if (rc != HTTP_AGAIN)
			break;
		GH_VERIFY(used == len); /* AGAIN takes the whole span */
	}
	if (rc == HTTP_OK)
		GH_VERIFY(http_body_eof(&b));
	if (rc == HTTP_OK || rc == HTTP_ERROR) {
		/* a finished codec stays finished and takes nothing */
		used = 1;
		GH_VERIFY(http_body_feed(&b, "x", 1, &used) == rc);
		GH_VERIFY(used == 0);
	}
	*end = at;
	*status = b.status;
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct http_limits *lim;
	struct http_limits def;
	uint32_t n, k1, k2, cuts[2], end1, end2;
	uint16_t st1, st2;
	bool response;
	int ref_rc, rc, rc1, rc2;
	char *b;

	if (size < 3 || size > 65536)
		return 0;
	response = data[0] & 1;
	http_limits_default(&def);
	switch ((data[0] >> 5) & 3) {
	case 1:
		lim = &small_lim;
		break;
	case 2:
		lim = &tight_head_lim;
		break;
	default:
		lim = &def;
	}
	n = (uint32_t)size - 3;
	k1 = (uint32_t)((uint64_t)n * data[1] / 255);
	k2 = (uint32_t)((uint64_t)n * data[2] / 255);
	if (k1 > k2) {
		uint32_t t = k1;

		k1 = k2;
		k2 = t;
	}
	data += 3;

	/* whole */
	b = exact_copy(data, n);
	http_msg_init(&ref, !response,
	              (enum http_method)((data[-3] >> 1) & 15) % 10);
	ref_rc = http_parse_head(&ref, b, n, lim);
	check_result(&ref, ref_rc, n, lim);
	if (ref_rc != HTTP_AGAIN)
		GH_VERIFY(http_parse_head(&ref, b, n, lim) == ref_rc);
	free(b);

	/* three growing prefixes, each buffer moved and of exact length */
	http_msg_init(&m, !response,
	              (enum http_method)((data[-3] >> 1) & 15) % 10);
	rc = HTTP_AGAIN;
	b = exact_copy(data, k1);
	rc = http_parse_head(&m, b, k1, lim);
	free(b);
	check_result(&m, rc, k1, lim);
	if (rc != HTTP_ERROR) {
		b = exact_copy(data, k2);
		rc = http_parse_head(&m, b, k2, lim);
		free(b);
		check_result(&m, rc, k2, lim);
	}
	if (rc != HTTP_ERROR) {
		b = exact_copy(data, n);
		rc = http_parse_head(&m, b, n, lim);
		free(b);
	}
	check_same(&m, rc, ref_rc);

	/* the body after a parsed head: whole and in two spans */
	if (ref_rc == HTTP_OK) {
		const uint8_t *body = data + ref.head_len;
		uint32_t blen = n - ref.head_len;

		cuts[0] = blen;
		rc1 = body_feed_spans(&ref, lim, body, cuts, 1, &end1, &st1);
		cuts[0] = (uint32_t)((uint64_t)blen * data[-2] / 255);
		cuts[1] = blen;
		rc2 = body_feed_spans(&ref, lim, body, cuts, 2, &end2, &st2);
		GH_VERIFY(rc1 == rc2 && end1 == end2);
		if (rc1 == HTTP_ERROR)
			GH_VERIFY(st1 == st2 && st1 >= 400);
	}
	return 0;
}
