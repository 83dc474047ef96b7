/*
 * The SOCKS5 wire format (RFC 1928, and RFC 1929's username/password
 * sub-negotiation), parsed from a flat buffer and nothing else: no session,
 * no allocation, so the unit tables and the fuzzer drive it alone.  Every
 * message is length-prefixed, so a parser either finds a whole message at
 * the start of the buffer (its length in *used), says how far it is from
 * whole (SOCKS_MORE), or names what is wrong with it (< 0).  A message is
 * never longer than SOCKS_MSG_MAX: a session holds at most that much of
 * an unfinished one.  Threads: any (pure functions).
 */
#ifndef GH_PROXY_SOCKS_WIRE_H
#define GH_PROXY_SOCKS_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define SOCKS_VERSION      5
#define SOCKS_AUTH_VERSION 1 /* RFC 1929 sub-negotiation */

/* Methods (RFC 1928 section 3). */
#define SOCKS_M_NONE     0x00
#define SOCKS_M_USERPASS 0x02
#define SOCKS_M_REFUSED  0xff

/* Commands (section 4). */
#define SOCKS_CMD_CONNECT 1
#define SOCKS_CMD_BIND    2
#define SOCKS_CMD_UDP     3

/* Address types (section 4). */
#define SOCKS_ATYP_IPV4   1
#define SOCKS_ATYP_DOMAIN 3
#define SOCKS_ATYP_IPV6   4

/* Reply codes (section 6). */
enum socks_rep {
	SOCKS_REP_OK = 0,
	SOCKS_REP_GENERAL = 1,
	SOCKS_REP_NOT_ALLOWED = 2,
	SOCKS_REP_NET_UNREACH = 3,
	SOCKS_REP_HOST_UNREACH = 4,
	SOCKS_REP_REFUSED = 5,
	SOCKS_REP_TTL_EXPIRED = 6,
	SOCKS_REP_CMD = 7,
	SOCKS_REP_ATYP = 8,
};

/* The longest of each message, and of any. */
#define SOCKS_GREETING_MAX (2 + 255)
#define SOCKS_USERPASS_MAX (3 + 255 + 255)
#define SOCKS_REQUEST_MAX  (4 + 1 + 255 + 2)
#define SOCKS_MSG_MAX      SOCKS_USERPASS_MAX
#define SOCKS_REPLY_LEN    10 /* ours: always an IPv4 BND.ADDR */

/* What a parser returns besides a whole message (1). */
enum socks_parse_result {
	SOCKS_OK = 1,
	SOCKS_MORE = 0,          /* a prefix of a valid message: wait */
	SOCKS_E_VERSION = -1,    /* VER is not 5 (1 in a sub-negotiation) */
	SOCKS_E_NMETHODS = -2,   /* NMETHODS 0 */
	SOCKS_E_RSV = -3,        /* RSV is not 0 */
	SOCKS_E_ATYP = -4,       /* an address type RFC 1928 does not name */
	SOCKS_E_DOMAIN_LEN = -5, /* a domain name of 0 bytes */
	SOCKS_E_ULEN = -6,       /* ULEN 0 */
	SOCKS_E_PLEN = -7,       /* PLEN 0 */
};

/* A method-selection greeting. */
struct socks_greeting {
	uint8_t n_methods;
	uint8_t no_auth;  /* method 00 offered */
	uint8_t userpass; /* method 02 offered */
};

/* A username/password request: pointers into the parsed buffer. */
struct socks_userpass {
	const uint8_t *user;
	const uint8_t *pass;
	uint8_t user_len; /* 1..255 */
	uint8_t pass_len; /* 1..255 */
};

/* A request.  <host> is NUL-terminated text: the domain name as sent
 * (ATYP 3), or the dotted quad of an IPv4 address (ATYP 1); empty for
 * IPv6.  Ports and addresses in network byte order. */
struct socks_request {
	uint8_t cmd;
	uint8_t atyp;
	uint8_t host_len;
	uint16_t port_be;
	uint32_t ip_be;     /* ATYP 1 */
	uint8_t ip6[16];    /* ATYP 4 */
	char host[255 + 1]; /* ATYP 3 and 1 */
};

/* Each parses the message at p[0 .. n): SOCKS_OK with *used its length,
 * SOCKS_MORE, or a SOCKS_E_* (nothing filled in that can be trusted). */
int socks_greeting_parse(const uint8_t *p, size_t n, struct socks_greeting *g,
                         size_t *used);
int socks_userpass_parse(const uint8_t *p, size_t n, struct socks_userpass *u,
                         size_t *used);
int socks_request_parse(const uint8_t *p, size_t n, struct socks_request *r,
                        size_t *used);

/* The reply VER 5, REP <rep>, RSV 0, ATYP 1, <ip_be>, <port_be> into
 * out[0 .. SOCKS_REPLY_LEN); returns SOCKS_REPLY_LEN. */
size_t socks_reply_write(uint8_t *out, enum socks_rep rep, uint32_t ip_be,
                         uint16_t port_be);

/* The name of a parse result, for messages ("bad version", ...). */
const char *socks_parse_name(int rc);

#endif /* GH_PROXY_SOCKS_WIRE_H */
