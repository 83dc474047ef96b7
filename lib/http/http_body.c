/*
 * The body codec (see http.h for the contract): where a message body ends,
 * found one span at a time without copying.  Content-Length is a count
 * down; chunked (RFC 9112 7.1) is a byte-level state machine over the
 * chunk lines, a bulk skip over chunk data, and a check of the trailer
 * section like a header section.  Because all state is in struct
 * http_body, any split of the body into spans gives the same result.
 *
 * Strictness: chunk-size is 1 to 16 HEXDIG (no "0x", no sign); chunk
 * extensions follow the RFC 9112 7.1.1 grammar exactly (a token name, a
 * token or quoted-string value, with quoted-pair and obs-text inside the
 * quotes), with BWS (SP / HTAB) accepted around ';' and '=' as a recipient
 * must (RFC 9110 5.6.3) but nowhere else: whitespace after the chunk-size
 * or after an extension that is not followed by ';' is an error, as are an
 * empty name, '=' without a value, an unterminated quote and any CTL but
 * HTAB.  Extensions are checked, never interpreted.  The chunk line,
 * extensions and CRLF included, is at most max_chunk_line bytes.  Every
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
	B_SIZE_LF = 5,    /* LF of the chunk line */
	B_DATA = 6,       /* chunk data */
	B_DATA_CR = 7,    /* CR after chunk data */
	B_DATA_LF = 8,    /* LF after chunk data */
	B_TRL_START = 9,  /* start of a trailer line or the final CRLF */
	B_TRL_NAME = 10,  /* trailer field name */
	B_TRL_VALUE = 11, /* trailer field value, up to CR */
	B_TRL_LF = 12,    /* LF of a trailer line */
	B_END_LF = 13,    /* LF of the final CRLF */
	/* chunk-ext (RFC 9112 7.1.1), between chunk-size and CR */
	B_EXT_SEMI = 14,    /* BWS that must end in ';' */
	B_EXT_NAME0 = 15,   /* BWS after ';', before chunk-ext-name */
	B_EXT_NAME = 16,    /* chunk-ext-name (token) */
	B_EXT_NAME_WS = 17, /* BWS after the name: ';' or '=' next */
	B_EXT_VAL0 = 18,    /* BWS after '=', before chunk-ext-val */
	B_EXT_TOKEN = 19,   /* chunk-ext-val as a token */
	B_EXT_QUOTED = 20,  /* inside a quoted-string */
	B_EXT_QPAIR = 21,   /* the octet after a backslash in a quoted-string */
	B_EXT_QEND = 22,    /* just after the closing DQUOTE */
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

/*
 * After a complete chunk-ext-val (or chunk-size, name): CR ends the chunk
 * line, ';' starts the next extension, SP / HTAB start the BWS before that
 * ';'.  Anything else is an error.
 */
static int
ext_after(struct http_body *b, unsigned char c)
{
	if (c == '\r')
		b->state = B_SIZE_LF;
	else if (c == ';')
		b->state = B_EXT_NAME0;
	else if (c == ' ' || c == '\t')
		b->state = B_EXT_SEMI;
	else
		return body_fail(b, 400);
	return HTTP_AGAIN;
}

/*
 * One byte <c> of a chunk line (RFC 9112 7.1, 7.1.1), b->state one of
 * B_SIZE, B_EXT_*, B_SIZE_LF; b->line_len already counts it.  The grammar
 * after the chunk-size, with BWS = *( SP / HTAB ):
 *   chunk-ext     = *( BWS ";" BWS chunk-ext-name
 *                      [ BWS "=" BWS chunk-ext-val ] )
 *   chunk-ext-val = token / quoted-string
 *   quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE
 *   qdtext        = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
 *   quoted-pair   = "\" ( HTAB / SP / VCHAR / obs-text )
 * so BWS is taken only where a ';', '=' or value must follow it: BWS then
 * CR ("5 \r\n", "5;a \r\n") is an error, as is "5;\r\n" or "5;a=\r\n".
 * Returns HTTP_AGAIN or HTTP_ERROR.
 */
static int
chunk_line_byte(struct http_body *b, unsigned char c)
{
	switch (b->state) {
	case B_SIZE:
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
		return ext_after(b, c);
	case B_EXT_SEMI:
		if (c == ';')
			b->state = B_EXT_NAME0;
		else if (c != ' ' && c != '\t')
			return body_fail(b, 400);
		return HTTP_AGAIN;
	case B_EXT_NAME0:
		if (http_is(c, HTTP_C_TCHAR))
			b->state = B_EXT_NAME;
		else if (c != ' ' && c != '\t')
			return body_fail(b, 400);
		return HTTP_AGAIN;
	case B_EXT_NAME:
		if (http_is(c, HTTP_C_TCHAR))
			return HTTP_AGAIN;
		if (c == '=') {
			b->state = B_EXT_VAL0;
			return HTTP_AGAIN;
		}
		if (c == ' ' || c == '\t') {
			b->state = B_EXT_NAME_WS;
			return HTTP_AGAIN;
		}
		return ext_after(b, c);
	case B_EXT_NAME_WS:
		if (c == '=')
			b->state = B_EXT_VAL0;
		else if (c == ';')
			b->state = B_EXT_NAME0;
		else if (c != ' ' && c != '\t')
			return body_fail(b, 400);
		return HTTP_AGAIN;
	case B_EXT_VAL0:
		if (http_is(c, HTTP_C_TCHAR))
			b->state = B_EXT_TOKEN;
		else if (c == '"')
			b->state = B_EXT_QUOTED;
		else if (c != ' ' && c != '\t')
			return body_fail(b, 400);
		return HTTP_AGAIN;
	case B_EXT_TOKEN:
		if (http_is(c, HTTP_C_TCHAR))
			return HTTP_AGAIN;
		return ext_after(b, c);
	case B_EXT_QUOTED:
		if (c == '"')
			b->state = B_EXT_QEND;
		else if (c == '\\')
			b->state = B_EXT_QPAIR;
		else if (!http_is(c, HTTP_C_VALUE)) /* HTAB SP VCHAR obs-text */
			return body_fail(b, 400);
		return HTTP_AGAIN;
	case B_EXT_QPAIR:
		if (!http_is(c, HTTP_C_VALUE))
			return body_fail(b, 400);
		b->state = B_EXT_QUOTED;
		return HTTP_AGAIN;
	case B_EXT_QEND:
		return ext_after(b, c);
	case B_SIZE_LF:
		if (c != '\n')
			return body_fail(b, 400);
		b->line_len = 0;
		b->state = b->remaining > 0 ? B_DATA : B_TRL_START;
		return HTTP_AGAIN;
	default:
		break;
	}
	GH_WRONG("chunk_line_byte outside a chunk line");
}

/* One byte of a chunk line or of the trailer section, <c>, in state
 * b->state.  Returns HTTP_AGAIN to go on, HTTP_OK at the end of the
 * message, or HTTP_ERROR. */
static int
chunk_byte(struct http_body *b, unsigned char c)
{
	switch (b->state) {
	case B_SIZE:
	case B_SIZE_LF:
	case B_EXT_SEMI:
	case B_EXT_NAME0:
	case B_EXT_NAME:
	case B_EXT_NAME_WS:
	case B_EXT_VAL0:
	case B_EXT_TOKEN:
	case B_EXT_QUOTED:
	case B_EXT_QPAIR:
	case B_EXT_QEND:
		/* the whole chunk line, CRLF included, is bounded */
		if (++b->line_len > b->max_chunk_line)
			return body_fail(b, 400);
		return chunk_line_byte(b, c);
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

			/* Always on: a data run of 0 would never end. */
			GH_VERIFY(b->remaining > 0);
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
		*consumed = i - 1;   /* the offending byte is not taken */
	GH_VERIFY(*consumed <= len); /* the caller slices by it */
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
