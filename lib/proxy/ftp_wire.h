/*
 * The FTP wire format the gateway reads (RFC 959, RFC 2428, RFC 3659,
 * RFC 1738's ftp URLs), parsed from flat buffers and nothing else: no
 * session, no allocation, so the unit tables and the fuzzer drive it
 * alone.  A reply is found whole at the start of a buffer (its length
 * in r->len), said to be unfinished (FTP_AGAIN: wait for more, within
 * FTP_REPLY_MAX), or refused (FTP_ERROR, r->why).  Listing lines (MLSD
 * facts, LIST in the unix `ls -l` form) are parsed one at a time, without
 * their line end.  Threads: any (pure functions).
 */
#ifndef GH_PROXY_FTP_WIRE_H
#define GH_PROXY_FTP_WIRE_H

#include <stdbool.h>
#include <stdint.h>

#define FTP_LINE_MAX  512u  /* a reply line, line end included */
#define FTP_REPLY_MAX 4096u /* a whole (multi-line) reply */
#define FTP_LIST_LINE_MAX                            \
	1024u /* a listing line: a longer one is cut \
	         and skipped */

enum ftp_parse_result {
	FTP_OK = 1,
	FTP_AGAIN = 0,
	FTP_ERROR = -1,
};

/* One reply: its code (100..599), its length in bytes (line ends
 * included), the text of its first line and of its last line (after "ddd"
 * and the space or hyphen, without the line end; the same for a one-line
 * reply) as offsets into the buffer.  What a reply carries (PASV's
 * numbers, SIZE's) is in its last line: "227-..." then "227 Entering
 * Passive Mode (...)". */
struct ftp_reply {
	unsigned code;
	uint32_t len;
	uint32_t text_off;
	uint32_t text_len;
	uint32_t last_off;
	uint32_t last_len;
	const char *why; /* FTP_ERROR: what is wrong */
};

/* The reply at the start of buf[0 .. len): FTP_OK, FTP_AGAIN (a prefix
 * of one: no line end yet, or a multi-line reply without its last line;
 * only while len < FTP_REPLY_MAX and the open line < FTP_LINE_MAX) or
 * FTP_ERROR (no 3-digit code, a code outside 1xx-5xx, a NUL, a line or a
 * reply over the bounds). */
int ftp_reply_parse(const char *buf, uint32_t len, struct ftp_reply *r);

/* PASV's answer text t[0 .. len) (a 227's, RFC 959 4.1.2 and RFC 1123
 * 4.1.2.6: the first h1,h2,h3,h4,p1,p2 in it, parenthesised or not):
 * the address (network order) and port.  0, or -EINVAL (a number over
 * 255, fewer than six, port 0). */
int ftp_pasv_parse(const char *t, uint32_t len, uint32_t *ip_be,
                   uint16_t *port);

/* EPSV's answer text (a 229's, RFC 2428 3: "(<d><d><d><port><d>)", the
 * delimiter <d> any of 33..126): the port.  0 or -EINVAL. */
int ftp_epsv_parse(const char *t, uint32_t len, uint16_t *port);

/* An MDTM answer (a 213's text, RFC 3659 3: YYYYMMDDHHMMSS[.sss] in
 * UTC) into Unix seconds.  0 or -EINVAL (not a time, a field out of
 * range, a year before 1970). */
int ftp_mdtm_parse(const char *t, uint32_t len, int64_t *unix_s);

/* A SIZE answer (a 213's text, RFC 3659 4): the size.  0 or -EINVAL (not
 * digits only, empty, over 2^63). */
int ftp_size_parse(const char *t, uint32_t len, uint64_t *size);

enum ftp_entry_type {
	FTP_ENT_FILE = 0,
	FTP_ENT_DIR = 1,
	FTP_ENT_LINK = 2,
	FTP_ENT_OTHER = 3, /* a device, a socket, an unknown type */
	FTP_ENT_SELF = 4,  /* MLSD's cdir and pdir: not listed */
};

/* One listing entry: name (offset and length into the line), type, size
 * (UINT64_MAX when not given), modification time (Unix s, INT64_MIN
 * when not given) and, for LIST, the date as the server wrote it. */
struct ftp_entry {
	uint32_t name_off;
	uint32_t name_len;
	uint8_t type; /* enum ftp_entry_type */
	uint64_t size;
	int64_t mtime_s;
	uint32_t date_off;
	uint32_t date_len; /* 0: none */
};

/* An MLSD line (RFC 3659 7.2: "fact=value;...; name", no line end).
 * 0, or -EINVAL (no facts, no space, an empty name). */
int ftp_mlsd_parse(const char *line, uint32_t len, struct ftp_entry *e);

/* A LIST line in the unix form ("drwxr-xr-x 2 u g 4096 Jan  1 12:00
 * name"; a link's " -> target" left out of the name).  0, or -EINVAL (any
 * other line: "total 12", a DOS listing, garbage). */
int ftp_list_parse(const char *line, uint32_t len, struct ftp_entry *e);

/* An ftp URL (RFC 1738 3.2) of a request target: "ftp://" in any case,
 * then [user[:password]@]host[:port], then /path with an optional
 * ";type=a|i|d" at its end.  Spans are offsets into the target, still
 * percent-encoded (ftp_url_decode). */
struct ftp_url {
	uint32_t user_off, user_len; /* user_len 0: anonymous */
	uint32_t pass_off, pass_len;
	bool has_user;
	bool has_pass;
	uint32_t host_off, host_len;
	uint16_t port;     /* 21 when not given */
	uint32_t path_off; /* after the '/' that follows the host */
	uint32_t path_len; /* without ";type=" */
	char type;         /* 'a', 'i', 'd', or 0 when not given */
	bool dir;          /* a directory: type d, an empty path or one
	                      ending in '/' */
};

/* Parses t[0 .. len).  0, or -EINVAL (not ftp://, no host, a bad port or
 * type, a query or fragment). */
int ftp_url_parse(const char *t, uint32_t len, struct ftp_url *u);

/* Percent-decodes s[0 .. len) into out[0 .. cap): its length, or
 * -EINVAL for a bad escape or a decoded CR, LF or NUL (they would end an
 * FTP command: never sent), -ENAMETOOLONG when it does not fit. */
int ftp_url_decode(const char *s, uint32_t len, char *out, uint32_t cap);

/* What an FTP reply <code> to <step> means for the HTTP client. */
enum ftp_step {
	FTP_STEP_GREETING = 0,
	FTP_STEP_LOGIN = 1, /* USER, PASS */
	FTP_STEP_FILE = 2,  /* SIZE, RETR, CWD of the target */
	FTP_STEP_OTHER = 3, /* TYPE, EPSV, PASV, LIST, MLSD */
};

/* The HTTP status a failed FTP reply <code> to <step> becomes: 550 (and
 * 450, 553 on the target) 404, 530 401 when the URL had no credentials
 * (<creds> false) else 403, 421 and other 4xx 503, 5xx 502. */
unsigned ftp_http_status(unsigned code, enum ftp_step step, bool creds);

#endif /* GH_PROXY_FTP_WIRE_H */
