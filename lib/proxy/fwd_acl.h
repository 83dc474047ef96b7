/*
 * How the forward proxy judges a request, for the workers (fwd_acl.c,
 * fwd_upstream.c, fwd_socks.c) and for `gatehousectl acl test`
 * (app/gatehouse/ctl.c, forward and socks listeners),
 * so that the control socket's answer is the proxy's by construction: the
 * same acl_req built from the same parsed head, the same second check with
 * the destination address, the same fixed refusals of destinations.
 *
 * Threads: any, on read-only sets and ports; each caller brings its own
 * acl_scratch (the workers one each, the control thread its own).
 */
#ifndef GH_PROXY_FWD_ACL_H
#define GH_PROXY_FWD_ACL_H

#include <stdbool.h>
#include <stdint.h>

#include "acl/acl_types.h"
#include "conf/conf_types.h"
#include "http/http_types.h"
#include "proxy/proxy_types.h"

/* Who asks, and when: what a check takes from outside the request. */
struct fwd_acl_who {
	uint32_t src_ip;            /* client address, host order */
	uint32_t week_sec;          /* acl_week_sec() of local time */
	const struct acl_str *user; /* authenticated user, or NULL */
	const struct acl_str *groups;
	unsigned n_groups;
	struct acl_scratch *scratch;
	/* what <user> and <groups> may point to */
	struct acl_str user_s;
	struct acl_str group_s[ACL_REQ_GROUPS_MAX];
};

struct auth_user; /* auth/auth.h */

/* <who> is verified user <u> of a listener's table: its name and groups
 * (the first ACL_REQ_GROUPS_MAX), pointing into the table. */
void fwd_acl_who_user(struct fwd_acl_who *who, const struct auth_user *u);

/* Whether a connection from <ip_be> is accepted by a listener with <cfg>:
 * from a network of its allow-src, or any source when it has none (then
 * its rules judge every request).  Checked before anything is read. */
bool fwd_src_accepted(const struct conf_forward *cfg, uint32_t ip_be);

/* Whether CONNECT may go to <port> (connect-ports), checked before the
 * rules. */
bool fwd_connect_port_allowed(const struct conf_forward *cfg, uint16_t port);

/*
 * Judges the parsed request head <msg> in <buf> (a CONNECT has no scheme)
 * by <set> into <v>: the request stage, before the cache.  The URL the
 * url acls see is url[0 .. url_len), or the target as sent when <url> is
 * NULL.  A verdict with reason ACL_R_NEED_DST is judged again by
 * fwd_acl_judge_dst() with each address the proxy would connect to.
 */
void fwd_acl_judge_head(const struct acl_set *set, const struct http_msg *msg,
                        const char *buf, const char *url, uint32_t url_len,
                        const struct fwd_acl_who *who, struct acl_verdict *v);

/*
 * Judges a SOCKS CONNECT (fwd_socks.c) by <set> into <v>, as the forward
 * proxy judges "CONNECT host:port": method CONNECT, no scheme, <host> the
 * name the client sent or the dotted quad of its IPv4 address (<host_len>
 * bytes), <dst_port> host order, <url> the text "host:port" (url_prefix,
 * url_regex); no header (header acls never match).  A verdict with reason
 * ACL_R_NEED_DST is judged again by fwd_acl_judge_dst() with method
 * HTTP_M_CONNECT and each address the session would connect to.
 */
void fwd_acl_judge_socks(const struct acl_set *set,
                         const struct fwd_acl_who *who, const char *host,
                         uint32_t host_len, uint16_t dst_port, const char *url,
                         struct acl_verdict *v);

/*
 * Judges again with the destination <dst_ip> (host order) and <dst_port>,
 * from what a session keeps of its request: method <method> (CONNECT: no
 * scheme, else "ftp" when <ftp>, "http" otherwise), source, user, time.
 * lib/conf refuses rule sets that would need more of the head at this
 * stage.
 */
void fwd_acl_judge_dst(const struct acl_set *set, const struct fwd_acl_who *who,
                       enum http_method method, bool ftp, uint32_t dst_ip,
                       uint16_t dst_port, struct acl_verdict *v);

/* Why a destination is refused before any rule is asked (fixed checks:
 * the "builtin" ones always, the private ranges unless allow-private-dst
 * on). */
enum fwd_dst_refusal {
	FWD_DST_OK = 0,
	FWD_DST_OWN,        /* an address of the appliance */
	FWD_DST_BROADCAST,  /* a port subnet's broadcast or network address */
	FWD_DST_THIS_NET,   /* 0.0.0.0/8 */
	FWD_DST_LOOPBACK,   /* 127.0.0.0/8 */
	FWD_DST_LINK_LOCAL, /* 169.254.0.0/16 (cloud metadata) */
	FWD_DST_MULTICAST,  /* 224.0.0.0/4 */
	FWD_DST_RESERVED,   /* 240.0.0.0/4 and 255.255.255.255 */
	FWD_DST_PRIVATE,    /* 10/8, 172.16/12, 192.168/16, 100.64/10 */
};

/* The refusal of destination <ip_be> for a proxy on <ports> (its own
 * addresses and subnets) with <allow_private> (allow-private-dst), or
 * FWD_DST_OK. */
enum fwd_dst_refusal fwd_dst_refusal(const struct proxy_port *ports,
                                     unsigned n_ports, bool allow_private,
                                     uint32_t ip_be);

/* Its name in verdicts and logs: "builtin:loopback", ...,
 * "implicit:allow-private-dst"; "" for FWD_DST_OK. */
const char *fwd_dst_refusal_name(enum fwd_dst_refusal r);

/* The sentence of the 403 page: "the destination is the proxy itself". */
const char *fwd_dst_refusal_why(enum fwd_dst_refusal r);

#endif /* GH_PROXY_FWD_ACL_H */
