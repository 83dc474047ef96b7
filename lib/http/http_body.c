/*
 * The body codec (see http.h for the contract): where a message body ends,
 * found one span at a time without copying.  Content-Length is a count
 * down; chunked (RFC 9112 7.1) is a byte-level state machine over the
 * chunk lines, a bulk skip over chunk data, and a check of the trailer
 * section like a header section.  Because all state is in struct
 * http_body, any split of the body into spans gives the same result.
 *
 * Strictness: chunk-size is 1 to 16 HEXDIG (no "0x", no sign, no
 * whitespace before ';' or CR), chunk extensions hold no CTL but HT, every
 * line ends in CRLF and chunk data is followed by exactly CRLF.  Errors are
 * 400 for a request, 502 for a response; a trailer section longer than
 * max_trailer_bytes is 431 for a request.
 */
#include <string.h>

#include "common/gh_common.h"
#include "http/http.h"
#include "http/http_priv.h"

enum body_state {
	B_DONE = 0,       /* the message ended */
	B_ERROR = 1,      /* bad framing: status says what to answer */
	B_LENGTH = 2,     /* counting down Content-Length */
	B_RAW = 3,        /* EOF or tunnel: everything is body */
	B_SIZE = 4,       /* chunk-size digits */
	B_EXT = 5,        /* chunk extensions, up to CR */
	B_SIZE_LF = 6,    /* LF of the chunk line */
	B_DATA = 7,       /* chunk data */
	B_DATA_CR = 8,    /* CR after chunk data */
	B_DATA_LF = 9,    /* LF after chunk data */
	B_TRL_START = 10, /* start of a trailer line or the final CRLF */
	B_TRL_NAME = 11,  /* trailer field name */
	B_TRL_VALUE = 12, /* trailer field value, up to CR */
	B_TRL_LF = 13,    /* LF of a trailer line */
	B_END_LF = 14,    /* LF of the final CRLF */
};

#define CHUNK_SIZE_DIGITS_MAX 16

void
http_body_init(struct http_body *b, const struct http_msg *msg,
               const struct http_limits *lim)
{
	memset(b, 0, sizeof(*b));
	b->kind = msg->body_kind;
	b->is_request = msg->is_request;
	b->max_chunk_line = lim->max_chunk_line;
	b->max_trailer_bytes = lim->max_trailer_bytes;
	switch (msg->body_kind) {
	case HTTP_BODY_LENGTH:
		b->remaining = msg->content_length;
		b->state = b->remaining > 0 ? B_LENGTH : B_DONE;
		break;
	case HTTP_BODY_CHUNKED:
		b->state = B_SIZE;
		break;
	case HTTP_BODY_EOF:
	case HTTP_BODY_TUNNEL:
		b->state = B_RAW;
		break;
	default:
		b->state = B_DONE;
		break;
	}
}

static int
body_fail(struct http_body *b, uint16_t req_status)
{
	b->state = B_ERROR;
	b->status = b->is_request ? req_status : 502;
	return HTTP_ERROR;
}

/* One byte of a chunk line or of the trailer section, <c>, in state
 * b->state.  Returns HTTP_AGAIN to go on, HTTP_OK at the end of the
 * message, or HTTP_ERROR. */
static int
chunk_byte(struct http_body *b, unsigned char c)
{
	switch (b->state) {
	case B_SIZE:
		if (++b->line_len > b->max_chunk_line)
			return body_fail(b, 400);
		if (http_is(c, HTTP_C_HEX)) {
			if (b->line_len > CHUNK_SIZE_DIGITS_MAX)
				return body_fail(b, 400);
			b->remaining =
			    (b->remaining << 4) |
			    (uint64_t)(c <= '9' ? c - '0'
			                        : (c | 0x20) - 'a' + 10);
			return HTTP_AGAIN;
		}
		if (b->line_len == 1)
			return body_fail(b, 400); /* no digit */
		if (c == ';')
			b->state = B_EXT;
		else if (c == '\r')
			b->state = B_SIZE_LF;
		else
			return body_fail(b, 400);
		return HTTP_AGAIN;
	case B_EXT:
		if (++b->line_len > b->max_chunk_line)
			return body_fail(b, 400);
		if (c == '\r')
			b->state = B_SIZE_LF;
		else if (!http_is(c, HTTP_C_VALUE))
			return body_fail(b, 400);
		return HTTP_AGAIN;
	case B_SIZE_LF:
		if (++b->line_len > b->max_chunk_line || c != '\n')
			return body_fail(b, 400);
		b->line_len = 0;
		b->state = b->remaining > 0 ? B_DATA : B_TRL_START;
		return HTTP_AGAIN;
	case B_DATA_CR:
		if (c != '\r')
			return body_fail(b, 400);
		b->state = B_DATA_LF;
		return HTTP_AGAIN;
	case B_DATA_LF:
		if (c != '\n')
			return body_fail(b, 400);
		b->state = B_SIZE;
		b->line_len = 0;
		b->remaining = 0;
		return HTTP_AGAIN;
	default:
		break;
	}

	/* the trailer section, bounded as a whole */
	if (++b->line_len > b->max_trailer_bytes)
		return body_fail(b, 431);
	switch (b->state) {
	case B_TRL_START:
		if (c == '\r')
			b->state = B_END_LF;
		else if (http_is(c, HTTP_C_TCHAR))
			b->state = B_TRL_NAME;
		else
			return body_fail(b, 400); /* obs-fold, bad name */
		return HTTP_AGAIN;
	case B_TRL_NAME:
		if (c == ':')
			b->state = B_TRL_VALUE;
		else if (!http_is(c, HTTP_C_TCHAR))
			return body_fail(b, 400);
		return HTTP_AGAIN;
	case B_TRL_VALUE:
		if (c == '\r')
			b->state = B_TRL_LF;
		else if (!http_is(c, HTTP_C_VALUE))
			return body_fail(b, 400);
		return HTTP_AGAIN;
	case B_TRL_LF:
		if (c != '\n')
			return body_fail(b, 400);
		b->state = B_TRL_START;
		return HTTP_AGAIN;
	case B_END_LF:
		if (c != '\n')
			return body_fail(b, 400);
		b->state = B_DONE;
		return HTTP_OK;
	default:
		break;
	}
	GH_WRONG("chunk_byte in a state without bytes");
}

int
http_body_feed(struct http_body *b, const char *p, uint32_t len,
               uint32_t *consumed)
{
	uint32_t i = 0;
	int rc = HTTP_AGAIN;

	GH_ASSERT(p != NULL || len == 0);
	*consumed = 0;
	switch (b->state) {
	case B_DONE:
		return HTTP_OK;
	case B_ERROR:
		return HTTP_ERROR;
	case B_RAW:
		*consumed = len;
		return HTTP_AGAIN;
	case B_LENGTH:
		if (b->remaining <= len) {
			*consumed = (uint32_t)b->remaining;
			b->remaining = 0;
			b->state = B_DONE;
			return HTTP_OK;
		}
		b->remaining -= len;
		*consumed = len;
		return HTTP_AGAIN;
	default:
		break;
	}

	/* chunked: each turn takes one byte or one run of chunk data */
	while (i < len) {
		if (b->state == B_DATA) {
			uint32_t n = len - i;

			GH_ASSERT(b->remaining > 0);
			if (b->remaining < n)
				n = (uint32_t)b->remaining;
			b->remaining -= n;
			i += n;
			if (b->remaining == 0)
				b->state = B_DATA_CR;
			continue;
		}
		rc = chunk_byte(b, (unsigned char)p[i++]);
		if (rc != HTTP_AGAIN)
			break;
	}
	*consumed = i;
	if (rc == HTTP_ERROR)
		*consumed = i - 1; /* the offending byte is not taken */
	return rc;
}

bool
http_body_eof(const struct http_body *b)
{
	return b->state == B_DONE || b->kind == HTTP_BODY_EOF ||
	       b->kind == HTTP_BODY_TUNNEL;
}

uint64_t
http_body_chunk_data(const struct http_body *b)
{
	return b->state == B_DATA ? b->remaining : 0;
}
