/*
 * libFuzzer harness of the HTTP body codec (lib/http/http_body.c) on its
 * own, mostly for chunked framing.  Input: four control bytes, then the
 * bytes after a head.
 *   byte 0: bits 0-2 the framing (enum http_body_kind, 5-7 chunked),
 *           bit 3 a response (errors are 502), bit 4 small limits (chunk
 *           line 16, trailers 32);
 *   byte 1: Content-Length for HTTP_BODY_LENGTH (1-256);
 *   bytes 2, 3: two cut points (fractions of the length).
 * The bytes are fed whole, as three spans cut there, and one byte at a
 * time, each span in an exact heap buffer: every feeding must stop at the
 * same byte with the same result and status (the codec's contract), a
 * span answered HTTP_AGAIN is taken whole, a finished codec takes nothing
 * more, and a Content-Length body ends exactly at its length.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/gh_common.h"
#include "http/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct http_limits small_lim = {
    .max_request_line = 64,
    .max_headers = 8,
    .max_header_bytes = 256,
    .max_chunk_line = 16,
    .max_trailer_bytes = 32,
};

static struct http_msg msg;

struct result {
	int rc;
	uint32_t end;
	uint16_t status;
};

/* Feed p[0 .. cuts[n - 1]) as spans ending at cuts[0 .. n). */
static void
feed(const struct http_limits *lim, const uint8_t *p, const uint32_t *cuts,
     uint32_t n, struct result *out)
{
	struct http_body b;
	uint32_t at = 0, used, i;
	int rc = HTTP_AGAIN;

	http_body_init(&b, &msg, lim);
	for (i = 0; i < n; i++) {
		uint32_t len = cuts[i] - at;
		char *s = malloc(len > 0 ? len : 1);

		GH_VERIFY(s != NULL);
		memcpy(s, p + at, len);
		used = 0;
		rc = http_body_feed(&b, s, len, &used);
		free(s);
		GH_VERIFY(rc == HTTP_OK || rc == HTTP_AGAIN ||
		          rc == HTTP_ERROR);
		GH_VERIFY(used <= len);
		at += used;
		if (rc != HTTP_AGAIN)
			break;
		GH_VERIFY(used == len);
	}
	if (rc == HTTP_OK)
		GH_VERIFY(http_body_eof(&b));
	if (rc == HTTP_ERROR)
		GH_VERIFY(b.status == (msg.is_request ? 400 : 502) ||
		          (b.status == 431 && msg.is_request));
	if (rc != HTTP_AGAIN) {
		used = 1;
		GH_VERIFY(http_body_feed(&b, "x", 1, &used) == rc);
		GH_VERIFY(used == 0);
	}
	out->rc = rc;
	out->end = at;
	out->status = rc == HTTP_ERROR ? b.status : 0;
}

static void
same(const struct result *a, const struct result *b)
{
	GH_VERIFY(a->rc == b->rc);
	GH_VERIFY(a->end == b->end);
	GH_VERIFY(a->status == b->status);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint32_t cuts[4097];
	const struct http_limits *lim;
	struct http_limits def;
	struct result whole, three, bytes;
	uint32_t n, k1, k2, i;
	uint8_t kind;

	if (size < 4 || size > 4096 + 4)
		return 0;
	kind = data[0] & 7;
	if (kind > HTTP_BODY_TUNNEL)
		kind = HTTP_BODY_CHUNKED;
	http_limits_default(&def);
	lim = data[0] & 0x10 ? &small_lim : &def;
	http_msg_init(&msg, !(data[0] & 8), HTTP_M_GET);
	msg.body_kind = kind;
	msg.content_length = kind == HTTP_BODY_LENGTH ? data[1] + 1u : 0;
	n = (uint32_t)size - 4;
	k1 = (uint32_t)((uint64_t)n * data[2] / 255);
	k2 = (uint32_t)((uint64_t)n * data[3] / 255);
	if (k1 > k2) {
		uint32_t t = k1;

		k1 = k2;
		k2 = t;
	}
	data += 4;

	cuts[0] = n;
	feed(lim, data, cuts, 1, &whole);
	cuts[0] = k1;
	cuts[1] = k2;
	cuts[2] = n;
	feed(lim, data, cuts, 3, &three);
	same(&whole, &three);
	for (i = 0; i < n; i++)
		cuts[i] = i + 1;
	feed(lim, data, cuts, n, &bytes);
	if (n == 0) /* no span at all: AGAIN, except no body */
		bytes = whole;
	same(&whole, &bytes);

	if (kind == HTTP_BODY_LENGTH)
		GH_VERIFY(whole.rc == (n >= msg.content_length ? HTTP_OK
		                                               : HTTP_AGAIN) &&
		          whole.end == (n < msg.content_length
		                            ? n
		                            : (uint32_t)msg.content_length));
	if (kind == HTTP_BODY_NONE)
		GH_VERIFY(whole.rc == HTTP_OK && whole.end == 0);
	if (kind == HTTP_BODY_EOF || kind == HTTP_BODY_TUNNEL)
		GH_VERIFY(whole.rc == HTTP_AGAIN && whole.end == n);
	return 0;
}
