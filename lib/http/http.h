/*
 * Strict, incremental HTTP/1.1 message framing (RFC 9110, RFC 9112): the
 * request or status line and header section ("head") of a message, and the
 * body codec that finds where a message body ends (Content-Length, chunked
 * with trailers, or until close).  Used by the proxy on both legs.
 *
 * The head parser works on a contiguous buffer holding the bytes received
 * so far; it keeps no state between calls other than struct http_msg, so
 * any split of the same bytes gives the same result (it resumes its search
 * for the end of the head where it stopped).  Results point into the
 * caller's buffer as offsets (struct http_str): no header byte is copied.
 *
 * The body codec is a byte-level state machine fed with spans (the segments
 * of an mbuf chain, say): it does not need the body contiguous and never
 * copies it; the proxy passes the body bytes on unchanged and uses the
 * codec only to learn where the message ends and to reject bad framing.
 *
 * Threading: none; everything works on caller-owned memory.  Nothing here
 * allocates, locks, prints or makes a system call.
 *
 * Returns: parse calls give HTTP_OK (done), HTTP_AGAIN (need more bytes) or
 * HTTP_ERROR (msg->status / body->status holds the HTTP status to answer
 * with: 400, 413, 414, 431, 501, 505; for responses 502).  lib/http itself
 * gives 400, 414, 431 and 505 for requests (a transfer-coding other than a
 * final chunked is 400, not 501); 413 and 501 are the proxy's to give.
 */
#ifndef GH_HTTP_H
#define GH_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "http/http_types.h"

/* The default limits: 8192 bytes of request line, 100 header fields,
 * 32768 bytes of head, 4096 bytes of chunk line, 8192 bytes of trailers. */
void http_limits_default(struct http_limits *lim);

/* Start parsing a new message: a request when <is_request>, else a response
 * to a request with method <req_method> (for the body rules of HEAD and
 * CONNECT; ignored for requests). */
void http_msg_init(struct http_msg *msg, bool is_request,
                   enum http_method req_method);

/*
 * Parse the head of the message in buf[0 .. len): the same <buf> (possibly
 * moved, grown at its end) on every call until the result is not
 * HTTP_AGAIN.  On HTTP_OK, msg->head_len is the length of the head (the
 * body, if any, starts at buf + head_len) and every field of <msg> is set.
 * HTTP_AGAIN: the head is incomplete and nothing seen so far is wrong nor
 * over a limit.  HTTP_ERROR: msg->status is the status to answer with and
 * msg->error a short static reason ("bare CR in header", ...).
 */
int http_parse_head(struct http_msg *msg, const char *buf, uint32_t len,
                    const struct http_limits *lim);

/* Header <i> of <msg> compared by name (case-insensitive) with <name>. */
bool http_hdr_name_is(const struct http_msg *msg, const char *buf, unsigned i,
                      const char *name);

/* Index of the first header named <name> (case-insensitive), from index
 * <from>, or -1. */
int http_hdr_find(const struct http_msg *msg, const char *buf, const char *name,
                  unsigned from);

/* The lower-case name of enum http_field <f>. */
extern const char *const http_field_names[HTTP_FLD_N];

/* http_hdr_find() for a field the parser indexes: -1 at once when <msg>
 * has none, its first line without a scan. */
int http_field_find(const struct http_msg *msg, const char *buf,
                    enum http_field f, unsigned from);

/* Whether <msg> has a line of field <f>. */
static inline bool
http_has_field(const struct http_msg *msg, enum http_field f)
{
	return (msg->fields & HTTP_FLD_BIT(f)) != 0;
}

/* Whether <msg> is an absolute-form request for an ftp:// URL (the FTP
 * gateway's, lib/proxy/fwd_ftp.c). */
static inline bool
http_msg_is_ftp(const struct http_msg *msg)
{
	return msg->form == HTTP_FORM_ABSOLUTE && msg->scheme.len == 3;
}

/* Whether the ftp:// target of <msg> in <buf> may name a user
 * ("user[:password]@": any '@' in the target counts). */
static inline bool
http_msg_ftp_user(const struct http_msg *msg, const char *buf)
{
	return http_msg_is_ftp(msg) &&
	       memchr(buf + msg->target.off, '@', msg->target.len) != NULL;
}

/* True when the Connection header(s) of <msg> list the field name <name>
 * of <name_len> bytes (case-insensitive), so it is hop-by-hop. */
bool http_conn_lists(const struct http_msg *msg, const char *buf,
                     const char *name, uint32_t name_len);

/*
 * Body codec.  http_body_init() takes the framing from a parsed head
 * (msg->body_kind, msg->content_length).  http_body_feed() consumes from
 * p[0 .. len) at most the bytes that belong to this message, sets
 * *consumed, and returns HTTP_AGAIN (more body expected), HTTP_OK (the
 * message ended; bytes after *consumed belong to the next message) or
 * HTTP_ERROR (bad chunk framing; body->status is 400 for a request, 502
 * for a response; 431 for a request whose trailer section is over
 * max_trailer_bytes; *consumed stops before the offending byte).  With
 * HTTP_BODY_EOF framing it consumes everything and returns HTTP_AGAIN, as with
 * HTTP_BODY_TUNNEL; with HTTP_BODY_NONE it consumes nothing and returns
 * HTTP_OK.  http_body_eof() says whether the peer's FIN ends the message
 * cleanly (true for HTTP_BODY_EOF and HTTP_BODY_TUNNEL, and for a body already
 * done).
 */
void http_body_init(struct http_body *b, const struct http_msg *msg,
                    const struct http_limits *lim);
int http_body_feed(struct http_body *b, const char *p, uint32_t len,
                   uint32_t *consumed);
bool http_body_eof(const struct http_body *b);

/* Chunked framing: the chunk data bytes that come next before any framing
 * byte (0 while a chunk line, CRLF or the trailer section is being read).
 * Lets a caller pass on the data and drop the framing (de-chunking). */
uint64_t http_body_chunk_data(const struct http_body *b);

/* The reason phrase of <status> ("Not Found"), "Unknown" when not known. */
const char *http_reason(unsigned status);

/* The method's token ("GET"), "" for HTTP_M_OTHER. */
const char *http_method_name(enum http_method m);

#endif /* GH_HTTP_H */
