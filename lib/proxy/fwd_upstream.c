/*
 * The forward proxy's upstream leg (see fwd_priv.h): which destinations
 * are refused (the proxy itself, broadcast and network addresses,
 * non-routable and, unless allowed, private ones), the port a connection
 * leaves from, the DNS answer, the connect or an idle connection from the
 * worker's pool, and the pool itself: connections parked after a response
 * for the next request to the same origin, dropped on a timeout, on bytes
 * nobody asked for, or when the origin closes.  A reverse listener's
 * connection is kept for its pool and server only (never handed to a
 * request for another server at the same address, nor to a forward
 * listener's), and at most the worker's share of the server's idle-max
 * are kept: over it the connection is closed.
 */
#include <errno.h>
#include <string.h>

#include <netinet/in.h>

#include <rte_mbuf.h>

#include "common/gh_common.h"
#include "fwd_priv.h"
#include "proxy/fwd_acl.h"

/* ---- idle upstream connections ---- */

void
fwd_idle_unlink(struct fwd_ctx *fc, struct fwd_idle *e)
{
	if (gh_wheel_armed(&e->tmr))
		gh_wheel_stop(&fc->wheel, &e->tmr);
	*e->pprev = e->next;
	if (e->next != NULL)
		e->next->pprev = e->pprev;
	if (e->srv >= 0) {
		struct proxy_server_counters *sc =
		    &fc->rpool[e->pool].srv[e->srv];

		GH_VERIFY(sc->idle_conns > 0);
		sc->idle_conns--;
	}
	e->magic = 0;
	e->conn = NULL;
	gh_pool_put(&fc->idle_pool, e);
	GH_VERIFY(fc->cnt->fwd_idle_in_use > 0);
	fc->cnt->fwd_idle_in_use--;
}

/* An idle connection to <ip>:<port> parked for server <srv> of pool
 * <pool> (-1, -1: an origin of a forward listener), taken out of the
 * pool, or NULL. */
static struct tcp_conn *
idle_take(struct fwd_ctx *fc, uint32_t ip_be, uint16_t port_be, int pool,
          int srv)
{
	struct fwd_idle *e;
	unsigned n = 0;

	for (e = fc->idle_head; e != NULL && n < fc->idle_max;
	     e = e->next, n++) {
		if (e->ip_be == ip_be && e->port_be == port_be &&
		    e->pool == pool && e->srv == srv) {
			struct tcp_conn *c = e->conn;

			fwd_idle_unlink(fc, e);
			return c;
		}
	}
	return NULL;
}

/* Park the upstream leg of <s> for reuse, or close it (no idle time, no
 * entry, or its server's idle-max share reached). */
void
fwd_idle_put(struct fwd_session *s)
{
	struct fwd_ctx *fc = s->l->fc;
	struct proxy_server_counters *sc = NULL;
	struct fwd_idle *e = NULL;
	struct tcp_conn *c = s->up;

	if (s->up_srv >= 0) {
		struct fwd_rev_pool *rp = &fc->rpool[s->up_pool];

		sc = &rp->srv[s->up_srv];
		if (sc->idle_conns >= rp->idle_share[s->up_srv]) {
			sc->idle_closed_cap++;
			fwd_leg_close(&s->up, false);
			return;
		}
	}
	if (fc->idle_ms != 0)
		e = gh_pool_get(&fc->idle_pool);
	if (e == NULL) {
		fwd_leg_close(&s->up, false);
		return;
	}
	s->up = NULL;
	memset(e, 0, sizeof(*e));
	e->magic = FWD_IDLE_MAGIC;
	e->fc = fc;
	e->conn = c;
	e->ip_be = s->dst_ip_be;
	e->port_be = s->dst_port_be;
	e->pool = s->up_srv >= 0 ? s->up_pool : -1;
	e->srv = s->up_srv;
	if (sc != NULL) {
		sc->idle_conns++;
		sc->idle_kept++;
	}
	e->tmr.user = FWD_IDLE_MAGIC;
	e->next = fc->idle_head;
	e->pprev = &fc->idle_head;
	if (fc->idle_head != NULL)
		fc->idle_head->pprev = &e->next;
	fc->idle_head = e;
	tcp_conn_set_arg(c, e);
	gh_wheel_start(&fc->wheel, &e->tmr, fwd_now_ms(fc) + fc->idle_ms);
	fc->cnt->fwd_upstream_idle++;
	fc->cnt->fwd_idle_in_use++;
}

/* An idle connection spoke, closed or timed out: drop it. */
void
fwd_idle_drop(struct fwd_idle *e, bool reset)
{
	struct fwd_ctx *fc = e->fc;
	struct tcp_conn *c = e->conn;

	fwd_idle_unlink(fc, e);
	fc->cnt->fwd_upstream_idle_closed++;
	fwd_leg_close(&c, reset);
}

/* ---- destinations ---- */

static bool
cidr_has(uint32_t net, unsigned len, uint32_t ip)
{
	uint32_t mask = len == 0 ? 0 : ~0u << (32 - len);

	return (ip & mask) == net;
}

enum fwd_dst_refusal
fwd_dst_refusal(const struct proxy_port *ports, unsigned n_ports,
                bool allow_private, uint32_t ip_be)
{
	uint32_t ip = ntohl(ip_be);
	unsigned i;

	for (i = 0; i < n_ports; i++) {
		uint32_t mask = ntohl(ports[i].mask_be);

		if (ports[i].addr_be == ip_be)
			return FWD_DST_OWN;
		/* A port's subnet: its broadcast (a frame to every host,
		 * ff:ff:ff:ff:ff:ff) and its network address are no hosts
		 * (/31 and /32 have neither, RFC 3021). */
		if (mask < 0xfffffffeu &&
		    (ip & mask) == (ntohl(ports[i].addr_be) & mask) &&
		    ((ip & ~mask) == ~mask || (ip & ~mask) == 0))
			return FWD_DST_BROADCAST;
	}
	if (cidr_has(0x00000000u, 8, ip))
		return FWD_DST_THIS_NET;
	if (cidr_has(0x7f000000u, 8, ip))
		return FWD_DST_LOOPBACK;
	if (cidr_has(0xa9fe0000u, 16, ip))
		return FWD_DST_LINK_LOCAL;
	if (cidr_has(0xe0000000u, 4, ip))
		return FWD_DST_MULTICAST;
	if (cidr_has(0xf0000000u, 4, ip))
		return FWD_DST_RESERVED;
	if (!allow_private && fwd_ip_private(ip_be))
		return FWD_DST_PRIVATE;
	return FWD_DST_OK;
}

/* Names and 403 sentences, by enum fwd_dst_refusal. */
static const char *const dst_refusal_names[][2] = {
    [FWD_DST_OK] = {"", ""},
    [FWD_DST_OWN] = {"builtin:own-address",
                     "the destination is the proxy itself"},
    [FWD_DST_BROADCAST] = {"builtin:broadcast",
                           "the destination is a subnet's broadcast or "
                           "network address"},
    [FWD_DST_THIS_NET] = {"builtin:this-network",
                          "the destination address is not routable"},
    [FWD_DST_LOOPBACK] = {"builtin:loopback",
                          "the destination address is not routable"},
    [FWD_DST_LINK_LOCAL] = {"builtin:link-local",
                            "the destination address is not routable"},
    [FWD_DST_MULTICAST] = {"builtin:multicast",
                           "the destination address is not routable"},
    [FWD_DST_RESERVED] = {"builtin:reserved",
                          "the destination address is not routable"},
    [FWD_DST_PRIVATE] = {"implicit:allow-private-dst",
                         "the destination is a private address"},
};

const char *
fwd_dst_refusal_name(enum fwd_dst_refusal r)
{
	if ((unsigned)r >= GH_ARRAY_SIZE(dst_refusal_names))
		return "?";
	return dst_refusal_names[r][0];
}

const char *
fwd_dst_refusal_why(enum fwd_dst_refusal r)
{
	if ((unsigned)r >= GH_ARRAY_SIZE(dst_refusal_names))
		return "?";
	return dst_refusal_names[r][1];
}

bool
fwd_ip_private(uint32_t ip_be)
{
	uint32_t ip = ntohl(ip_be);

	return cidr_has(0x0a000000u, 8, ip) || cidr_has(0xac100000u, 12, ip) ||
	       cidr_has(0xc0a80000u, 16, ip) || cidr_has(0x64400000u, 10, ip);
}

/* The port an upstream connection to <ip_be> leaves from: the one whose
 * subnet holds it, else the first outside port with a gateway; -ENOENT:
 * none. */
int
fwd_route_port(const struct proxy_params *p, uint32_t ip_be)
{
	unsigned i;

	for (i = 0; i < p->n_ports; i++)
		if ((ip_be & p->ports[i].mask_be) ==
		    (p->ports[i].addr_be & p->ports[i].mask_be))
			return (int)i;
	for (i = 0; i < p->n_ports; i++)
		if (p->ports[i].outside && p->ports[i].has_gateway)
			return (int)i;
	return -ENOENT;
}

/* ---- upstream ---- */

/* The upstream leg is ready: send what waits for it. */
void
fwd_upstream_ready(struct fwd_session *s)
{
	struct fwd_ctx *fc = s->l->fc;

	if (s->ftp != NULL) { /* the FTP control leg: fwd_ftp.c */
		fwd_ftp_connected(s);
		return;
	}
	if ((s->flags & SF_CONNECT) && s->l->socks) {
		if (!fwd_socks_ready(s)) {
			fwd_error(s, 503, ALOG_TCP_TUNNEL, "out of buffers");
			return;
		}
	} else if (s->flags & SF_CONNECT) {
		struct fwd_head_writer w = {.pool = fc->p.pool};
		struct rte_mbuf *m;

		fwd_hw_str(&w, "HTTP/1.1 200 Connection established\r\n\r\n");
		m = fwd_hw_done(&w, fc->cnt);
		if (m == NULL) {
			fwd_error(s, 503, ALOG_TCP_TUNNEL, "out of buffers");
			return;
		}
		fwd_cli_queue(s, m);
		if (s->txn != NULL) {
			s->txn->rec.status = 200;
			s->txn->rec.result = ALOG_TCP_TUNNEL;
		}
		fc->cnt->fwd_tunnels++;
	}
	if (s->flags & SF_CONNECT) {
		s->flags |= SF_RESP_HEAD;
		s->state = ST_TUNNEL;
		s->cli_in_tail = NULL;
		s->up_in_tail = NULL;
		/* Bytes the client sent behind the CONNECT head. */
		if (s->cli_in != NULL) {
			uint32_t n = proxy_chain_len(s->cli_in);

			GH_VERIFY(s->up_out == NULL); /* CONNECT: no head */
			s->up_out = s->cli_in;
			s->cli_in = NULL;
			tcp_recved(s->cli, n);
			if (s->txn != NULL && s->l->socks) /* its bytes */
				s->txn->rec.bytes_from_client += n;
		}
		fwd_timer_set(s, fwd_cfg(s)->client_idle_ms);
		fwd_cli_flush(s);
		fwd_up_flush(s);
		return;
	}
	s->state = ST_FORWARD;
	fwd_rev_sent(s); /* a reverse listener's: time_to_head starts */
	fwd_read_timer_set(s);
	fwd_req_pump(s);
}

/* Whether the current request may be sent again (fwd_retry): idempotent
 * (RFC 9110 9.2.2) and without a body, so up_out holds all of it. */
bool
fwd_retryable(const struct fwd_session *s)
{
	switch (s->req_method) {
	case HTTP_M_GET:
	case HTTP_M_HEAD:
	case HTTP_M_OPTIONS:
	case HTTP_M_TRACE:
	case HTTP_M_PUT:
	case HTTP_M_DELETE:
		break;
	default:
		return false;
	}
	return s->req_body_bytes == 0 && http_body_eof(&s->req_body) &&
	       s->cli_in == NULL;
}

/* Connect <s> to its checked destination: an idle connection when
 * <may_reuse> and one is there, else a new one.  A reverse listener's
 * server (s->rev_srv) is the configuration's: not checked, not logged by
 * address (the record names pool and server). */
void
fwd_connect(struct fwd_session *s, bool may_reuse)
{
	struct fwd_ctx *fc = s->l->fc;
	const struct proxy_params *p = &fc->p;
	bool rev = s->rev_srv >= 0;
	enum fwd_dst_refusal why =
	    rev ? FWD_DST_OK
	        : fwd_dst_refusal(p->ports, p->n_ports,
	                          fwd_cfg(s)->allow_private_dst, s->dst_ip_be);
	int port, rc;

	if (s->txn != NULL && !rev)
		s->txn->rec.server_ip_be = s->dst_ip_be;
	/* the leg's identity in the idle pool */
	s->up_pool = rev ? s->rev_pool : -1;
	s->up_srv = rev ? s->rev_srv : -1;
	if (why != FWD_DST_OK) {
		fc->cnt->fwd_denied_dst++;
		if (s->txn != NULL) {
			s->txn->rec.acl_line = 0;
			s->txn->rec.acl_tag = fwd_dst_refusal_name(why);
		}
		fwd_error(s, 403, ALOG_TCP_DENIED, fwd_dst_refusal_why(why));
		return;
	}
	/* the access rules' dst acls, on the address connected to */
	if ((s->flags & SF_ACL_DST) && !fwd_acl_dst(s))
		return;
	if (s->txn != NULL)
		s->txn->rec.hier = rev ? ALOG_HIER_PARENT : ALOG_HIER_DIRECT;
	s->flags &= (uint32_t)~SF_UP_REUSED;
	/* An indirect copy (no bytes copied) of an idempotent request: the
	 * origin may close a reused connection just now, a reverse
	 * listener's server may fail before answering (fwd_retry) */
	fwd_retry_drop(s);
	if (s->up_out != NULL && (rev || may_reuse) && fwd_retryable(s))
		s->retry = rte_pktmbuf_clone(s->up_out, p->pool);
	/* never an idle HTTP connection for an FTP control leg */
	if (!(s->flags & SF_CONNECT) && may_reuse && s->ftp == NULL) {
		s->up = idle_take(fc, s->dst_ip_be, s->dst_port_be, s->up_pool,
		                  s->up_srv);
		if (s->up != NULL) {
			tcp_conn_set_arg(s->up, s);
			fc->cnt->fwd_upstream_reused++;
			s->flags |= SF_UP_REUSED;
			fwd_upstream_ready(s);
			return;
		}
	}
	if (!rev)
		fwd_retry_drop(s); /* a new connection to an origin */
	port = fwd_route_port(p, s->dst_ip_be);
	if (port < 0) {
		fwd_socks_note(s, SOCKS_REP_NET_UNREACH);
		fc->cnt->fwd_err_502_connect++;
		fwd_error(s, 502, ALOG_TCP_MISS, "no route to the origin");
		return;
	}
	rc = tcp_connect(p->tcp, (unsigned)port, p->ports[port].addr_be,
	                 s->dst_ip_be, s->dst_port_be,
	                 (enum tcp_cc_algo)s->l->cc, &fwd_cb, s, &s->up);
	if (rc < 0) {
		s->up = NULL;
		fwd_error(s, 503, ALOG_TCP_MISS,
		          "no local port or connection slot for the origin");
		return;
	}
	fc->cnt->fwd_upstream_new++;
	s->state = ST_CONNECTING;
	fwd_timer_set(s, fwd_cfg(s)->connect_ms);
}

bool
fwd_retry(struct fwd_session *s)
{
	/* a reverse listener's server that failed on a connection of its
	 * own: another server, once (fwd_reverse.c) */
	if (s->rev_srv >= 0 && !(s->flags & SF_UP_REUSED))
		return s->state == ST_FORWARD && fwd_rev_failed(s, LB_FAIL);
	if (s->retry == NULL || s->state != ST_FORWARD ||
	    (s->flags & SF_RESP_HEAD) || s->up_in != NULL) {
		fwd_retry_drop(s);
		return false;
	}
	s->l->fc->cnt->fwd_upstream_retried++;
	fwd_leg_close(&s->up, true);
	rte_pktmbuf_free(s->up_out);
	s->up_out = s->retry;
	s->retry = NULL;
	s->flags &= (uint32_t) ~(SF_UP_FIN | SF_UP_KEEP);
	fwd_connect(s, false);
	return true;
}

static void
fwd_dns_done(void *arg, int status, uint32_t ip_be)
{
	struct fwd_session *s = arg;

	GH_CHECK_OBJ(s, FWD_SESSION_MAGIC);
	GH_VERIFY(s->state == ST_RESOLVE);
	s->dw.query = NULL;
	if (status < 0) {
		s->l->fc->cnt->fwd_err_502_dns++;
		fwd_socks_note(s, SOCKS_REP_HOST_UNREACH);
		fwd_error(s, 502, ALOG_TCP_MISS,
		          status == -ENOENT
		              ? "the origin's name does not exist (DNS)"
		              : "the origin's name could not be resolved "
		                "(DNS failure or timeout)");
		return;
	}
	s->dst_ip_be = ip_be;
	fwd_connect(s, true);
}

/* The request is checked and its head consumed: look <host> (<host_len>
 * bytes, 0 when it is no name) up and connect once the answer is there,
 * now on a cache hit or later in fwd_dns_done(); or answer with an error
 * page. */
void
fwd_resolve(struct fwd_session *s, const char *host, uint32_t host_len)
{
	struct fwd_ctx *fc = s->l->fc;
	uint32_t ip_be = 0;
	int rc;

	s->state = ST_RESOLVE;
	fwd_timer_stop(s);
	s->dw.cb = fwd_dns_done;
	s->dw.arg = s;
	rc = dns_resolve(fc->p.dns, host, host_len, &s->dw, &ip_be);
	if (rc == 1)
		return; /* fwd_dns_done follows */
	s->dw.query = NULL;
	if (rc == 0) {
		s->dst_ip_be = ip_be;
		fwd_connect(s, true);
		return;
	}
	if (rc == -ENOBUFS) {
		fwd_error(s, 503, ALOG_TCP_MISS, "too many DNS lookups");
		return;
	}
	fc->cnt->fwd_err_502_dns++;
	fwd_socks_note(s, SOCKS_REP_HOST_UNREACH);
	fwd_error(s, 502, ALOG_TCP_MISS,
	          rc == -ENOENT ? "the origin's name does not exist (DNS)"
	          : rc == -EIO  ? "the origin's name could not be resolved "
	                          "(DNS failure)"
	                        : "the origin's name is not valid");
}
