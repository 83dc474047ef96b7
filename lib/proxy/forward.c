/*
 * The HTTP/1.1 forward proxy of one worker (see proxy.h): what browsers and
 * tools configured with http_proxy=http://<appliance>:3128 talk to.
 *
 * A session is one client connection.  It reads a request head (lib/http,
 * parsed in place when it sits in one mbuf), checks it (allowed client,
 * method, target form, destination, CONNECT port), resolves the origin
 * (lib/dns), takes an idle upstream connection to that origin from the
 * worker's pool or opens one from the outside address, and writes the
 * request head anew: request line in origin-form, Host from the target,
 * hop-by-hop fields dropped (Connection and what it names,
 * Proxy-Connection, Keep-Alive, TE, Trailer, Upgrade,
 * Proxy-Authorization), Via and X-Forwarded-For by policy.  Bodies are not
 * rewritten: the body codec only finds where each message ends, and the
 * bytes travel as the mbufs they arrived in, both ways, with backpressure:
 * at most FWD_OUT_MAX bytes wait for a leg's TCP, beyond that the source's
 * receive window stays closed.  A finished response returns the upstream
 * connection to the pool (when both ends allow it) and the session reads
 * the next request, pipelined or not.  CONNECT splices the legs byte for
 * byte after "200 Connection established".
 *
 * Every transaction ends in one access-log record on the worker's ring.
 * Errors the proxy answers itself get a short HTML body naming Gatehouse
 * and the reason, and close the client connection after it.
 *
 * Connection pointers: a leg the session is done with is closed or reset
 * with its callback argument switched to `fwd_orphan`, so later callbacks
 * for it are ignored and the session never waits for them; a session is
 * freed as soon as it has no legs left.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>

#include "common/gh_common.h"
#include "dns/dns.h"
#include "http/http.h"
#include "log/alog.h"
#include "forward.h"
#include "proxy_chain.h"
#include "tcp/tcp_timer.h"

#define FWD_CTX_MAGIC        0x66776301u
#define FWD_SESSION_MAGIC    0x66777302u
#define FWD_IDLE_MAGIC       0x66776903u
#define FWD_ORPHAN_MAGIC     0x66776f04u
#define FWD_LISTENER_MAGIC   0x66776c05u
#define FWD_LISTENERS_MAX    8
#define FWD_OUT_MAX          (64u * 1024) /* bytes waiting for a leg's TCP */
#define FWD_LINGER_MS        2000         /* reading after an error reply */
#define FWD_TIMER_BURST      256
#define FWD_ERR_BODY_MAX     640
#define FWD_HOST_MAX         255 /* a DNS name's text (RFC 1035 2.3.4) */
#define FWD_INTERIM_BURST    64  /* 1xx heads read per event (fairness) */
#define FWD_MAX_FORWARDS_CAP 999999999L /* Max-Forwards we count down from */

enum fwd_state {
	ST_FREE = 0,       /* back in the pool: the session has ended */
	ST_HEAD = 1,       /* reading a request head */
	ST_RESOLVE = 2,    /* waiting for DNS */
	ST_CONNECTING = 3, /* upstream handshake */
	ST_FORWARD = 4,    /* request going up, response coming down */
	ST_TUNNEL = 5,     /* CONNECT established */
	ST_DRAIN = 6,      /* last reply queued; closing the client */
};

/* Session flags. */
#define SF_CLI_HTTP10 0x0001u /* the current request is HTTP/1.0 */
#define SF_REQ_DONE   0x0002u /* the request body is all in up_out */
#define SF_RESP_HEAD  0x0004u /* the response head went to cli_out */
#define SF_RESP_DONE  0x0008u /* the response ended */
#define SF_CLOSE_CLI  0x0010u /* close the client after this response */
#define SF_UP_KEEP    0x0020u /* the upstream may be reused after it */
#define SF_CLI_FIN    0x0040u /* the client sent FIN */
#define SF_CONNECT    0x0080u /* the request is CONNECT */
#define SF_HDR_TIMER  0x0100u /* the header timeout runs (bytes came) */
#define SF_CLI_SHUT   0x0200u /* we sent FIN to the client */
#define SF_UP_SHUT    0x0400u /* we sent FIN upstream (tunnel) */
#define SF_UP_FIN     0x0800u /* the upstream sent FIN */
#define SF_RESUME     0x1000u /* work left: the 1 ms timer resumes it */
#define SF_HEAD_LF    0x2000u /* the unfinished head has a line end */
#define SF_DECHUNK    0x4000u /* chunked response to an HTTP/1.0 client */

struct fwd_listener {
	unsigned magic;
	struct fwd_ctx *fc;
	struct conf_forward cfg;
	struct http_limits lim;
	uint8_t cc; /* enum tcp_cc_algo, both legs */
};

/* The access-log data of one transaction, only while it runs. */
struct fwd_txn {
	struct alog_record rec;
	uint64_t start_tsc;
	uint32_t next_free;
};

struct fwd_session {
	unsigned magic;
	uint8_t state;      /* enum fwd_state */
	uint8_t req_method; /* enum http_method of the current request */
	uint16_t flags;     /* SF_* */
	uint32_t next_free; /* free list, index + 1 */
	uint32_t dst_ip_be;
	uint16_t dst_port_be;
	uint16_t pad;
	uint32_t head_scanned; /* bytes of the head being read (cli_in or
	                          up_in) looked at for a line end */
	struct fwd_listener *l;
	struct tcp_conn *cli;
	struct tcp_conn *up;
	struct rte_mbuf *cli_in;  /* from the client, not consumed yet */
	struct rte_mbuf *cli_out; /* for the client, not taken by TCP yet */
	struct rte_mbuf *up_in;   /* from the upstream, not consumed yet */
	struct rte_mbuf *up_out;  /* for the upstream, not taken by TCP yet */
	struct fwd_txn *txn;
	uint64_t req_body_bytes; /* of the current request, for the limit */
	struct http_body req_body;
	struct http_body resp_body;
	struct dns_waiter dw;
	struct tcp_timer tmr;
};

/* An idle upstream connection kept for reuse. */
struct fwd_idle {
	unsigned magic;
	uint32_t ip_be;
	uint16_t port_be;
	struct tcp_conn *conn;
	struct fwd_ctx *fc;
	struct fwd_idle *next; /* in use: the idle list; else the free list */
	struct fwd_idle **pprev;
	struct tcp_timer tmr;
};

struct fwd_orphan {
	unsigned magic;
};

struct fwd_ctx {
	unsigned magic;
	struct proxy_params p; /* the worker's (copy) */
	struct proxy_counters *cnt;
	uint32_t max_sessions;
	uint32_t sess_unused; /* sessions never used yet start here */
	uint32_t sess_free;   /* free list, index + 1 */
	struct fwd_session *sessions;
	uint32_t txn_unused;
	uint32_t txn_free;
	struct fwd_txn *txns;
	uint32_t idle_max;
	uint32_t idle_ms;
	struct fwd_idle *idle_free;
	struct fwd_idle *idle_head; /* most recently parked first */
	struct fwd_idle *idles;
	unsigned n_listeners;
	struct fwd_listener listeners[FWD_LISTENERS_MAX];
	uint64_t start_tsc;
	uint64_t tsc_per_ms;
	struct tcp_timer_wheel wheel;
	struct alog_clock clock;
	uint32_t scratch_cap;
	char *scratch;       /* a head that spans mbufs, made contiguous */
	struct http_msg msg; /* the head being looked at */
};

static struct fwd_orphan fwd_orphan = {FWD_ORPHAN_MAGIC};
static const struct tcp_callbacks fwd_cb;

static void fwd_session_end(struct fwd_session *s, bool reset);
static void fwd_request(struct fwd_session *s);
static void fwd_response(struct fwd_session *s);
static void fwd_req_pump(struct fwd_session *s);

/* ---- writing heads ---- */

struct head_writer {
	struct rte_mempool *pool;
	struct rte_mbuf *head;
	struct rte_mbuf *tail;
	bool failed;
};

static void
hw_put(struct head_writer *w, const void *p, uint32_t n)
{
	const char *s = p;

	while (n > 0 && !w->failed) {
		uint32_t room =
		    w->tail != NULL ? rte_pktmbuf_tailroom(w->tail) : 0;
		uint32_t k;
		char *dst;

		if (room == 0) {
			struct rte_mbuf *m = rte_pktmbuf_alloc(w->pool);

			if (m == NULL || (w->head != NULL &&
			                  rte_pktmbuf_chain(w->head, m) != 0)) {
				rte_pktmbuf_free(m);
				w->failed = true;
				break;
			}
			if (w->head == NULL)
				w->head = m;
			w->tail = m;
			continue;
		}
		k = n < room ? n : room;
		dst =
		    rte_pktmbuf_mtod_offset(w->tail, char *, w->tail->data_len);
		memcpy(dst, s, k);
		w->tail->data_len = (uint16_t)(w->tail->data_len + k);
		if (w->head != w->tail)
			w->head->pkt_len += k;
		else
			w->tail->pkt_len = w->tail->data_len;
		s += k;
		n -= k;
	}
}

static void
hw_str(struct head_writer *w, const char *s)
{
	hw_put(w, s, (uint32_t)strlen(s));
}

static void
hw_span(struct head_writer *w, const char *buf, struct http_str sp)
{
	hw_put(w, buf + sp.off, sp.len);
}

/* The chain written, or NULL (and the count) when the pool ran dry. */
static struct rte_mbuf *
hw_done(struct head_writer *w, struct proxy_counters *cnt)
{
	if (w->failed) {
		rte_pktmbuf_free(w->head);
		cnt->fwd_no_mbuf++;
		return NULL;
	}
	return w->head;
}

static void
ip_text(uint32_t ip_be, char *buf, size_t cap)
{
	uint32_t a = ntohl(ip_be);

	snprintf(buf, cap, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255,
	         (a >> 8) & 255, a & 255);
}

/* ---- pools ---- */

static struct fwd_session *
session_get(struct fwd_ctx *fc)
{
	struct fwd_session *s;

	if (fc->sess_free != 0) {
		s = &fc->sessions[fc->sess_free - 1];
		fc->sess_free = s->next_free;
	} else if (fc->sess_unused < fc->max_sessions) {
		s = &fc->sessions[fc->sess_unused++];
	} else {
		fc->cnt->fwd_no_session++;
		return NULL;
	}
	GH_VERIFY(s->magic == 0);
	memset(s, 0, sizeof(*s));
	s->magic = FWD_SESSION_MAGIC;
	fc->cnt->fwd_sessions_in_use++;
	return s;
}

static void
session_put(struct fwd_ctx *fc, struct fwd_session *s)
{
	GH_CHECK_OBJ(s, FWD_SESSION_MAGIC);
	GH_VERIFY(s->cli == NULL && s->up == NULL && s->txn == NULL);
	s->magic = 0;
	s->state = ST_FREE; /* what a caller up the stack checks */
	GH_VERIFY(fc->cnt->fwd_sessions_in_use > 0);
	fc->cnt->fwd_sessions_in_use--;
	s->next_free = fc->sess_free;
	fc->sess_free = (uint32_t)(s - fc->sessions) + 1;
}

static struct fwd_txn *
txn_get(struct fwd_ctx *fc)
{
	struct fwd_txn *t;

	if (fc->txn_free != 0) {
		t = &fc->txns[fc->txn_free - 1];
		fc->txn_free = t->next_free;
	} else if (fc->txn_unused < fc->max_sessions) {
		t = &fc->txns[fc->txn_unused++];
	} else {
		return NULL;
	}
	alog_record_reset(&t->rec);
	t->start_tsc = rte_rdtsc();
	return t;
}

static void
txn_put(struct fwd_ctx *fc, struct fwd_txn *t)
{
	t->next_free = fc->txn_free;
	fc->txn_free = (uint32_t)(t - fc->txns) + 1;
}

/* ---- timers ---- */

/* Wheel ticks (ms since creation) at TSC <tsc>. */
static uint64_t
tick_of(const struct fwd_ctx *fc, uint64_t tsc)
{
	return (tsc - fc->start_tsc) / fc->tsc_per_ms;
}

/* Now, in wheel ticks: the time of the last fwd_ctx_timer() call (the
 * worker's TSC, at most a timer period old), so deadlines follow the clock
 * the wheel is driven by (no TSC read here; tests drive a fake one). */
static uint64_t
now_ms(const struct fwd_ctx *fc)
{
	return tcp_timer_wheel_now(&fc->wheel);
}

static void
timer_set(struct fwd_session *s, uint32_t ms)
{
	struct fwd_ctx *fc = s->l->fc;

	tcp_timer_restart(&fc->wheel, &s->tmr, now_ms(fc) + ms);
}

/* (Re)arm the upstream read timeout, unless the resume timer is pending
 * (SF_RESUME): that one fires first and re-arms this one. */
static void
read_timer_set(struct fwd_session *s)
{
	if (!(s->flags & SF_RESUME))
		timer_set(s, s->l->cfg.upstream_read_ms);
}

/* Work is left that no event may bring back (a burst cut for fairness, an
 * mbuf that could not be had): the timer resumes it in 1 ms. */
static void
resume_soon(struct fwd_session *s)
{
	s->flags |= SF_RESUME;
	timer_set(s, 1);
}

static void
timer_stop(struct fwd_session *s)
{
	if (tcp_timer_armed(&s->tmr))
		tcp_timer_stop(&s->l->fc->wheel, &s->tmr);
}

/* ---- legs ---- */

/* Done with *pc: close it gracefully or reset it; its callbacks from now
 * on find the orphan and are ignored. */
static void
leg_close(struct tcp_conn **pc, bool reset)
{
	struct tcp_conn *c = *pc;

	if (c == NULL)
		return;
	*pc = NULL;
	tcp_conn_set_arg(c, &fwd_orphan);
	if (reset)
		tcp_abort(c);
	else
		tcp_close(c);
}

/* Queue <m> for the client and count it. */
static void
cli_queue(struct fwd_session *s, struct rte_mbuf *m)
{
	uint32_t len = proxy_chain_len(m);

	if (proxy_chain_append(&s->cli_out, m) < 0) {
		rte_pktmbuf_free(m);
		return;
	}
	if (s->txn != NULL)
		s->txn->rec.bytes_to_client += len;
}

static void
cli_flush(struct fwd_session *s)
{
	if (s->cli != NULL && s->cli_out != NULL)
		s->l->fc->cnt->fwd_bytes_u2c +=
		    proxy_chain_send(s->cli, &s->cli_out);
}

static void
up_flush(struct fwd_session *s)
{
	if (s->up != NULL && s->up_out != NULL && s->state >= ST_FORWARD)
		s->l->fc->cnt->fwd_bytes_c2u +=
		    proxy_chain_send(s->up, &s->up_out);
}

/* ---- access log ---- */

static void
txn_start(struct fwd_session *s)
{
	struct fwd_ctx *fc = s->l->fc;
	struct tcp_flow_key k;

	GH_VERIFY(s->txn == NULL);
	s->txn = txn_get(fc);
	if (s->txn == NULL)
		return;
	tcp_conn_key(s->cli, &k);
	s->txn->rec.client_ip_be = k.remote_ip_be;
	s->txn->rec.client_port_be = k.remote_port_be;
}

static void
txn_end(struct fwd_session *s)
{
	struct fwd_ctx *fc = s->l->fc;
	struct fwd_txn *t = s->txn;
	struct alog_record *r;
	uint64_t now;

	if (t == NULL)
		return;
	s->txn = NULL;
	now = rte_rdtsc();
	t->rec.elapsed_ms = (uint32_t)((now - t->start_tsc) / fc->tsc_per_ms);
	t->rec.time_us = alog_clock_us(&fc->clock, now);
	if (fc->p.alog != NULL) {
		r = alog_ring_reserve(fc->p.alog);
		if (r != NULL) {
			*r = t->rec;
			alog_ring_commit(fc->p.alog);
			fc->cnt->fwd_log_records++;
		} else {
			fc->cnt->fwd_log_dropped++;
		}
	}
	txn_put(fc, t);
}

/* Fill the log record from the request head in <buf>. */
static void
txn_request(struct fwd_session *s, const struct http_msg *msg, const char *buf)
{
	struct alog_record *r;
	int i;

	if (s->txn == NULL)
		return;
	r = &s->txn->rec;
	alog_field_set(r->method, sizeof(r->method), buf + msg->method_str.off,
	               msg->method_str.len);
	alog_field_set(r->url, sizeof(r->url), buf + msg->target.off,
	               msg->target.len);
	r->version_minor = msg->version_minor;
	r->bytes_from_client = msg->head_len;
	i = http_hdr_find(msg, buf, "referer", 0);
	if (i >= 0)
		alog_field_set(r->referer, sizeof(r->referer),
		               buf + msg->hdr[i].value.off,
		               msg->hdr[i].value.len);
	i = http_hdr_find(msg, buf, "user-agent", 0);
	if (i >= 0)
		alog_field_set(r->user_agent, sizeof(r->user_agent),
		               buf + msg->hdr[i].value.off,
		               msg->hdr[i].value.len);
}

/* ---- closing the client after a last reply ---- */

/* ST_DRAIN: once everything queued went to TCP, send FIN; once the
 * client's FIN came too, end.  Until then what it sends is dropped. */
static void
fwd_drain_step(struct fwd_session *s)
{
	cli_flush(s);
	if (s->cli_out != NULL || s->cli == NULL)
		return;
	if (!(s->flags & SF_CLI_SHUT)) {
		s->flags |= SF_CLI_SHUT;
		tcp_shutdown(s->cli);
		timer_set(s, FWD_LINGER_MS);
	}
	if (s->flags & SF_CLI_FIN)
		fwd_session_end(s, false);
}

/* Enter ST_DRAIN: no more requests on this connection. */
static void
fwd_drain(struct fwd_session *s, uint32_t guard_ms)
{
	s->state = ST_DRAIN;
	rte_pktmbuf_free(s->cli_in);
	s->cli_in = NULL;
	timer_set(s, guard_ms);
	fwd_drain_step(s);
}

/* ---- replies of our own ---- */

static void
count_error(struct proxy_counters *cnt, unsigned status)
{
	switch (status) {
	case 400:
	case 408:
		cnt->fwd_err_400++;
		break;
	case 405:
		cnt->fwd_err_405++;
		break;
	case 413:
		cnt->fwd_err_413++;
		break;
	case 414:
		cnt->fwd_err_414++;
		break;
	case 431:
		cnt->fwd_err_431++;
		break;
	case 501:
		cnt->fwd_err_501++;
		break;
	case 503:
		cnt->fwd_err_503++;
		break;
	case 504:
		cnt->fwd_err_504++;
		break;
	case 505:
		cnt->fwd_err_505++;
		break;
	default:
		break;
	}
}

/* The methods the proxy passes on (405's and OPTIONS' Allow). */
#define FWD_ALLOW "GET, HEAD, POST, PUT, DELETE, OPTIONS, PATCH, CONNECT"

/*
 * Answer the current request ourselves: <status>, the header lines
 * <extra> ("" or lines ending in CRLF), and <n> bytes of <body> (not for
 * HEAD), then close the client (after reading what it still sends for a
 * moment, so the reply is not lost to a reset).  Mid-response, when the
 * client has had a head already, resets both legs instead.
 */
static void
fwd_reply(struct fwd_session *s, unsigned status, enum alog_result result,
          const char *extra, const char *body, uint32_t n)
{
	struct fwd_ctx *fc = s->l->fc;
	struct head_writer w = {.pool = fc->p.pool};
	char line[160];
	struct rte_mbuf *m;

	if (s->flags & SF_RESP_HEAD) {
		fc->cnt->fwd_aborted++;
		fwd_session_end(s, true);
		return;
	}
	if (s->dw.query != NULL)
		dns_cancel(fc->p.dns, &s->dw);
	rte_pktmbuf_free(s->up_out);
	s->up_out = NULL;
	rte_pktmbuf_free(s->up_in);
	s->up_in = NULL;
	leg_close(&s->up, true);
	snprintf(line, sizeof(line), "HTTP/1.1 %u %s\r\n", status,
	         http_reason(status));
	hw_str(&w, line);
	hw_str(&w, "Server: Gatehouse\r\nConnection: close\r\n");
	hw_str(&w, extra);
	snprintf(line, sizeof(line), "Content-Length: %u\r\n\r\n", n);
	hw_str(&w, line);
	if (s->req_method != HTTP_M_HEAD)
		hw_put(&w, body, n);
	m = hw_done(&w, fc->cnt);
	if (s->txn != NULL) {
		s->txn->rec.status = (uint16_t)status;
		s->txn->rec.result = (uint8_t)result;
		if (n > 0)
			alog_field_set(s->txn->rec.ctype,
			               sizeof(s->txn->rec.ctype), "text/html",
			               9);
	}
	s->flags |= SF_RESP_HEAD | SF_RESP_DONE | SF_CLOSE_CLI;
	if (m != NULL)
		cli_queue(s, m);
	txn_end(s);
	fwd_drain(s, FWD_LINGER_MS);
}

/*
 * Answer the current request with the error <status> and the reason <why>
 * in a short page naming Gatehouse (see fwd_reply()).  Counters other than
 * the per-status ones are the caller's.
 */
static void
fwd_error(struct fwd_session *s, unsigned status, enum alog_result result,
          const char *why)
{
	char body[FWD_ERR_BODY_MAX];
	int n;

	count_error(s->l->fc->cnt, status);
	n = snprintf(body, sizeof(body),
	             "<html><head><title>%u %s</title></head><body>\n"
	             "<h1>%u %s</h1>\n<p>Gatehouse: %s</p>\n</body></html>\n",
	             status, http_reason(status), status, http_reason(status),
	             why);
	if (n < 0 || (size_t)n >= sizeof(body))
		n = (int)strlen(body);
	fwd_reply(s, status, result,
	          status == 405 ? "Content-Type: text/html; charset=utf-8\r\n"
	                          "Cache-Control: no-store\r\n"
	                          "Allow: " FWD_ALLOW "\r\n"
	                        : "Content-Type: text/html; charset=utf-8\r\n"
	                          "Cache-Control: no-store\r\n",
	          body, (uint32_t)n);
}

/* ---- the end of a session ---- */

static void
fwd_session_end(struct fwd_session *s, bool reset)
{
	struct fwd_ctx *fc = s->l->fc;

	GH_CHECK_OBJ(s, FWD_SESSION_MAGIC);
	if (s->dw.query != NULL)
		dns_cancel(fc->p.dns, &s->dw);
	timer_stop(s);
	txn_end(s);
	leg_close(&s->up, reset || !(s->flags & SF_RESP_DONE));
	leg_close(&s->cli, reset);
	rte_pktmbuf_free(s->cli_in);
	rte_pktmbuf_free(s->cli_out);
	rte_pktmbuf_free(s->up_in);
	rte_pktmbuf_free(s->up_out);
	s->cli_in = s->cli_out = s->up_in = s->up_out = NULL;
	session_put(fc, s);
}

/* ---- idle upstream connections ---- */

static void
idle_unlink(struct fwd_ctx *fc, struct fwd_idle *e)
{
	if (tcp_timer_armed(&e->tmr))
		tcp_timer_stop(&fc->wheel, &e->tmr);
	*e->pprev = e->next;
	if (e->next != NULL)
		e->next->pprev = e->pprev;
	e->magic = 0;
	e->conn = NULL;
	e->next = fc->idle_free;
	fc->idle_free = e;
	GH_VERIFY(fc->cnt->fwd_idle_in_use > 0);
	fc->cnt->fwd_idle_in_use--;
}

/* An idle connection to <ip>:<port>, taken out of the pool, or NULL. */
static struct tcp_conn *
idle_take(struct fwd_ctx *fc, uint32_t ip_be, uint16_t port_be)
{
	struct fwd_idle *e;
	unsigned n = 0;

	for (e = fc->idle_head; e != NULL && n < fc->idle_max;
	     e = e->next, n++) {
		if (e->ip_be == ip_be && e->port_be == port_be) {
			struct tcp_conn *c = e->conn;

			idle_unlink(fc, e);
			return c;
		}
	}
	return NULL;
}

/* Park the upstream leg of <s> for reuse, or close it. */
static void
idle_put(struct fwd_session *s)
{
	struct fwd_ctx *fc = s->l->fc;
	struct fwd_idle *e = fc->idle_free;
	struct tcp_conn *c = s->up;

	if (e == NULL || fc->idle_ms == 0) {
		leg_close(&s->up, false);
		return;
	}
	s->up = NULL;
	fc->idle_free = e->next;
	memset(e, 0, sizeof(*e));
	e->magic = FWD_IDLE_MAGIC;
	e->fc = fc;
	e->conn = c;
	e->ip_be = s->dst_ip_be;
	e->port_be = s->dst_port_be;
	e->tmr.user = FWD_IDLE_MAGIC;
	e->next = fc->idle_head;
	e->pprev = &fc->idle_head;
	if (fc->idle_head != NULL)
		fc->idle_head->pprev = &e->next;
	fc->idle_head = e;
	tcp_conn_set_arg(c, e);
	tcp_timer_start(&fc->wheel, &e->tmr, now_ms(fc) + fc->idle_ms);
	fc->cnt->fwd_upstream_idle++;
	fc->cnt->fwd_idle_in_use++;
}

/* An idle connection spoke, closed or timed out: drop it. */
static void
idle_drop(struct fwd_idle *e, bool reset)
{
	struct fwd_ctx *fc = e->fc;
	struct tcp_conn *c = e->conn;

	idle_unlink(fc, e);
	fc->cnt->fwd_upstream_idle_closed++;
	leg_close(&c, reset);
}

/* ---- destinations ---- */

static bool
cidr_has(uint32_t net, unsigned len, uint32_t ip)
{
	uint32_t mask = len == 0 ? 0 : ~0u << (32 - len);

	return (ip & mask) == net;
}

/* Why <ip_be> may not be a destination, or NULL. */
static const char *
dst_refused(const struct fwd_session *s, uint32_t ip_be)
{
	const struct proxy_params *p = &s->l->fc->p;
	uint32_t ip = ntohl(ip_be);
	unsigned i;

	for (i = 0; i < p->n_ports; i++) {
		uint32_t mask = ntohl(p->ports[i].mask_be);

		if (p->ports[i].addr_be == ip_be)
			return "the destination is the proxy itself";
		/* A port's subnet: its broadcast (a frame to every host,
		 * ff:ff:ff:ff:ff:ff) and its network address are no hosts
		 * (/31 and /32 have neither, RFC 3021). */
		if (mask < 0xfffffffeu &&
		    (ip & mask) == (ntohl(p->ports[i].addr_be) & mask) &&
		    ((ip & ~mask) == ~mask || (ip & ~mask) == 0))
			return "the destination is a subnet's broadcast or "
			       "network address";
	}
	if (cidr_has(0x00000000u, 8, ip) || cidr_has(0x7f000000u, 8, ip) ||
	    cidr_has(0xa9fe0000u, 16, ip) || cidr_has(0xe0000000u, 4, ip) ||
	    cidr_has(0xf0000000u, 4, ip))
		return "the destination address is not routable";
	if (!s->l->cfg.allow_private_dst &&
	    (cidr_has(0x0a000000u, 8, ip) || cidr_has(0xac100000u, 12, ip) ||
	     cidr_has(0xc0a80000u, 16, ip) || cidr_has(0x64400000u, 10, ip)))
		return "the destination is a private address";
	return NULL;
}

/* The port an upstream connection to <ip_be> leaves from: the one whose
 * subnet holds it, else the first outside port with a gateway; -1: none. */
static int
route_port(const struct proxy_params *p, uint32_t ip_be)
{
	unsigned i;

	for (i = 0; i < p->n_ports; i++)
		if ((ip_be & p->ports[i].mask_be) ==
		    (p->ports[i].addr_be & p->ports[i].mask_be))
			return (int)i;
	for (i = 0; i < p->n_ports; i++)
		if (p->ports[i].outside && p->ports[i].has_gateway)
			return (int)i;
	return -1;
}

/* ---- upstream ---- */

/* The upstream leg is ready: send what waits for it. */
static void
fwd_upstream_ready(struct fwd_session *s)
{
	struct fwd_ctx *fc = s->l->fc;

	if (s->flags & SF_CONNECT) {
		struct head_writer w = {.pool = fc->p.pool};
		struct rte_mbuf *m;

		hw_str(&w, "HTTP/1.1 200 Connection established\r\n\r\n");
		m = hw_done(&w, fc->cnt);
		if (m == NULL) {
			fwd_error(s, 503, ALOG_TCP_TUNNEL, "out of buffers");
			return;
		}
		cli_queue(s, m);
		if (s->txn != NULL) {
			s->txn->rec.status = 200;
			s->txn->rec.result = ALOG_TCP_TUNNEL;
		}
		s->flags |= SF_RESP_HEAD;
		s->state = ST_TUNNEL;
		fc->cnt->fwd_tunnels++;
		/* Bytes the client sent behind the CONNECT head. */
		if (s->cli_in != NULL) {
			uint32_t n = proxy_chain_len(s->cli_in);

			GH_VERIFY(s->up_out == NULL); /* CONNECT: no head */
			s->up_out = s->cli_in;
			s->cli_in = NULL;
			tcp_recved(s->cli, n);
		}
		timer_set(s, s->l->cfg.client_idle_ms);
		cli_flush(s);
		up_flush(s);
		return;
	}
	s->state = ST_FORWARD;
	read_timer_set(s);
	fwd_req_pump(s);
}

static void
fwd_connect(struct fwd_session *s)
{
	struct fwd_ctx *fc = s->l->fc;
	const struct proxy_params *p = &fc->p;
	const char *why = dst_refused(s, s->dst_ip_be);
	int port, rc;

	if (s->txn != NULL)
		s->txn->rec.server_ip_be = s->dst_ip_be;
	if (why != NULL) {
		fc->cnt->fwd_denied_dst++;
		fwd_error(s, 403, ALOG_TCP_DENIED, why);
		return;
	}
	if (s->txn != NULL)
		s->txn->rec.hier = ALOG_HIER_DIRECT;
	if (!(s->flags & SF_CONNECT)) {
		s->up = idle_take(fc, s->dst_ip_be, s->dst_port_be);
		if (s->up != NULL) {
			tcp_conn_set_arg(s->up, s);
			fc->cnt->fwd_upstream_reused++;
			fwd_upstream_ready(s);
			return;
		}
	}
	port = route_port(p, s->dst_ip_be);
	if (port < 0) {
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
	timer_set(s, s->l->cfg.connect_ms);
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
		fwd_error(s, 502, ALOG_TCP_MISS,
		          status == -ENOENT
		              ? "the origin's name does not exist (DNS)"
		              : "the origin's name could not be resolved "
		                "(DNS failure or timeout)");
		return;
	}
	s->dst_ip_be = ip_be;
	fwd_connect(s);
}

/* ---- requests ---- */

static bool
port_allowed(const struct conf_forward *cfg, uint16_t port)
{
	unsigned i;

	for (i = 0; i < cfg->n_connect_ports; i++)
		if (cfg->connect_ports[i] == port)
			return true;
	return false;
}

/*
 * Header <i> is hop-by-hop: dropped when the message is passed on.  The
 * framing fields (Content-Length, Transfer-Encoding) never are, whatever
 * Connection says: the body is forwarded as they frame it, so dropping
 * them would let the next hop read the body as another message (RFC 9110
 * 7.6.1 lets an intermediary ignore such a Connection option; a request
 * that names them is refused before this, see conn_names_framing()).
 */
static bool
is_hop_by_hop(const struct http_msg *msg, const char *buf, unsigned i)
{
	static const char *const names[] = {
	    "connection", "proxy-connection", "keep-alive",         "te",
	    "trailer",    "upgrade",          "proxy-authorization"};
	size_t k;

	for (k = 0; k < GH_ARRAY_SIZE(names); k++)
		if (http_hdr_name_is(msg, buf, i, names[k]))
			return true;
	if (http_hdr_name_is(msg, buf, i, "content-length") ||
	    http_hdr_name_is(msg, buf, i, "transfer-encoding"))
		return false;
	return http_conn_lists(msg, buf, buf + msg->hdr[i].name.off,
	                       msg->hdr[i].name.len);
}

/* Connection lists a framing field: a request built to be read two ways. */
static bool
conn_names_framing(const struct http_msg *msg, const char *buf)
{
	return http_conn_lists(msg, buf, "content-length", 14) ||
	       http_conn_lists(msg, buf, "transfer-encoding", 17);
}

/* Fields anonymous mode removes: what names the client or its network. */
static bool
is_identifying(const struct http_msg *msg, const char *buf, unsigned i)
{
	static const char *const names[] = {
	    "from",      "referer",   "x-forwarded-for", "forwarded",
	    "x-real-ip", "client-ip", "true-client-ip",  "x-client-ip",
	    "via",       "cookie"};
	size_t k;

	for (k = 0; k < GH_ARRAY_SIZE(names); k++)
		if (http_hdr_name_is(msg, buf, i, names[k]))
			return true;
	return false;
}

/* The value of a Max-Forwards field (RFC 9110 7.6.2), or -1 when there is
 * none or it is not 1*DIGIT (then it is passed on as it came). */
static long
max_forwards(const struct http_msg *msg, const char *buf)
{
	int i = http_hdr_find(msg, buf, "max-forwards", 0);
	const char *v;
	long n = 0;
	uint32_t k;

	if (i < 0 || msg->hdr[i].value.len == 0)
		return -1;
	v = buf + msg->hdr[i].value.off;
	for (k = 0; k < msg->hdr[i].value.len; k++) {
		if (v[k] < '0' || v[k] > '9')
			return -1;
		/* Larger values are all "very many" (7.6.2: forward the
		 * lesser of value - 1 and the largest we support). */
		if (n < FWD_MAX_FORWARDS_CAP)
			n = n * 10 + (v[k] - '0');
	}
	return n < FWD_MAX_FORWARDS_CAP ? n : FWD_MAX_FORWARDS_CAP;
}

/* An OPTIONS request the proxy answers as its final recipient: "OPTIONS *"
 * (the proxy itself) or Max-Forwards: 0 (RFC 9110 7.6.2: MUST NOT forward). */
static bool
options_for_us(const struct http_msg *msg, const char *buf)
{
	return msg->method == HTTP_M_OPTIONS &&
	       (msg->form == HTTP_FORM_ASTERISK || max_forwards(msg, buf) == 0);
}

/* Write the request head for the origin into s->up_out. */
static int
write_request_head(struct fwd_session *s, const struct http_msg *msg,
                   const char *buf)
{
	struct fwd_ctx *fc = s->l->fc;
	const struct conf_forward *cfg = &s->l->cfg;
	struct head_writer w = {.pool = fc->p.pool};
	struct tcp_flow_key k;
	struct rte_mbuf *m;
	char text[64];
	unsigned i;

	hw_span(&w, buf, msg->method_str);
	hw_str(&w, " ");
	/* RFC 9112 3.2.4: OPTIONS http://h (no path, no query) is "*". */
	if (msg->method == HTTP_M_OPTIONS && msg->path.len == 0)
		hw_str(&w, "*");
	else if (msg->path.len == 0 || buf[msg->path.off] != '/')
		hw_str(&w, "/");
	hw_span(&w, buf, msg->path);
	hw_str(&w, " HTTP/1.1\r\nHost: ");
	hw_span(&w, buf, msg->host);
	if (msg->port != 80) {
		snprintf(text, sizeof(text), ":%u", msg->port);
		hw_str(&w, text);
	}
	hw_str(&w, "\r\n");
	for (i = 0; i < msg->n_headers; i++) {
		if (http_hdr_name_is(msg, buf, i, "host") ||
		    is_hop_by_hop(msg, buf, i))
			continue;
		if (cfg->anonymous && is_identifying(msg, buf, i))
			continue;
		if (cfg->xff == CONF_XFF_DELETE &&
		    http_hdr_name_is(msg, buf, i, "x-forwarded-for"))
			continue;
		/* RFC 9110 7.6.2: an intermediary MUST decrement it (0 was
		 * answered here, see options_for_us()). */
		if ((msg->method == HTTP_M_OPTIONS ||
		     msg->method == HTTP_M_TRACE) &&
		    http_hdr_name_is(msg, buf, i, "max-forwards") &&
		    max_forwards(msg, buf) > 0) {
			/* Once, at the first field: that value counts,
			 * further Max-Forwards lines go. */
			if (http_hdr_find(msg, buf, "max-forwards", 0) ==
			    (int)i) {
				snprintf(text, sizeof(text),
				         "Max-Forwards: %ld\r\n",
				         max_forwards(msg, buf) - 1);
				hw_str(&w, text);
			}
			continue;
		}
		hw_span(&w, buf, msg->hdr[i].name);
		hw_str(&w, ": ");
		hw_span(&w, buf, msg->hdr[i].value);
		hw_str(&w, "\r\n");
	}
	if (cfg->via && !cfg->anonymous) {
		snprintf(text, sizeof(text), "Via: 1.%u gatehouse\r\n",
		         msg->version_minor);
		hw_str(&w, text);
	}
	if (cfg->xff == CONF_XFF_ADD && !cfg->anonymous) {
		tcp_conn_key(s->cli, &k);
		hw_str(&w, "X-Forwarded-For: ");
		ip_text(k.remote_ip_be, text, sizeof(text));
		hw_str(&w, text);
		hw_str(&w, "\r\n");
	}
	hw_str(&w, "\r\n");
	m = hw_done(&w, fc->cnt);
	if (m == NULL)
		return -ENOMEM;
	rte_pktmbuf_free(s->up_out);
	s->up_out = m;
	return 0;
}

/* A complete request head in <buf>: check it and set the request going. */
static void
fwd_request_head(struct fwd_session *s, const struct http_msg *msg,
                 const char *buf)
{
	struct fwd_ctx *fc = s->l->fc;
	const struct conf_forward *cfg = &s->l->cfg;
	char host[FWD_HOST_MAX + 1];
	uint32_t ip_be = 0, host_len = msg->host.len;
	int rc;

	fc->cnt->fwd_requests++;
	txn_request(s, msg, buf);
	s->req_method = msg->method;
	if (msg->version_minor == 0)
		s->flags |= SF_CLI_HTTP10;
	if (msg->method == HTTP_M_OTHER) {
		fwd_error(s, 501, ALOG_TAG_NONE, "method not implemented");
		return;
	}
	if (msg->method == HTTP_M_TRACE) {
		fwd_error(s, 405, ALOG_TAG_NONE, "TRACE is not forwarded");
		return;
	}
	if (options_for_us(msg, buf)) {
		fc->cnt->fwd_options_answered++;
		fwd_reply(s, 200, ALOG_TAG_NONE, "Allow: " FWD_ALLOW "\r\n", "",
		          0);
		return;
	}
	if (msg->method == HTTP_M_CONNECT) {
		s->flags |= SF_CONNECT;
		if (!port_allowed(cfg, msg->port)) {
			fc->cnt->fwd_denied_port++;
			fwd_error(s, 403, ALOG_TCP_DENIED,
			          "CONNECT to this port is not allowed");
			return;
		}
	} else if (conn_names_framing(msg, buf)) {
		fwd_error(s, 400, ALOG_TAG_NONE,
		          "Connection may not name Content-Length or "
		          "Transfer-Encoding");
		return;
	} else if (msg->form != HTTP_FORM_ABSOLUTE) {
		fwd_error(s, 400, ALOG_TAG_NONE,
		          "a proxy request needs an absolute URL "
		          "(http://host/path)");
		return;
	} else if (msg->scheme.len != 4) {
		fwd_error(s, 501, ALOG_TAG_NONE,
		          "only http:// URLs are fetched; use CONNECT for "
		          "https");
		return;
	}
	if (cfg->max_body_bytes != 0 && msg->body_kind == HTTP_BODY_LENGTH &&
	    msg->content_length > cfg->max_body_bytes) {
		fwd_error(s, 413, ALOG_TAG_NONE,
		          "the request body is larger than allowed");
		return;
	}
	if (!(s->flags & SF_CONNECT)) {
		if (write_request_head(s, msg, buf) < 0) {
			fwd_error(s, 503, ALOG_TCP_MISS, "out of buffers");
			return;
		}
		if (!(msg->flags & HTTP_F_CONN_CLOSE) &&
		    (msg->version_minor == 1 ||
		     (msg->flags & HTTP_F_CONN_KEEPALIVE)))
			s->flags &= (uint16_t)~SF_CLOSE_CLI;
		else
			s->flags |= SF_CLOSE_CLI;
		http_body_init(&s->req_body, msg, &s->l->lim);
		s->req_body_bytes = 0;
		if (msg->body_kind == HTTP_BODY_NONE)
			s->flags |= SF_REQ_DONE;
	}
	s->dst_port_be = htons(msg->port);
	/* <buf> may be the head's own mbuf, released by proxy_chain_trim():
	 * what is still needed of it is copied first. */
	if (host_len > FWD_HOST_MAX)
		host_len = 0; /* not a name: dns_resolve() says -EINVAL */
	memcpy(host, buf + msg->host.off, host_len);
	buf = NULL;
	/* The head is consumed; the body (or the next request) follows. */
	proxy_chain_trim(&s->cli_in, msg->head_len);
	tcp_recved(s->cli, msg->head_len);
	s->state = ST_RESOLVE;
	timer_stop(s);
	s->dw.cb = fwd_dns_done;
	s->dw.arg = s;
	rc = dns_resolve(fc->p.dns, host, host_len, &s->dw, &ip_be);
	if (rc == 1)
		return; /* fwd_dns_done follows */
	s->dw.query = NULL;
	if (rc == 0) {
		s->dst_ip_be = ip_be;
		fwd_connect(s);
		return;
	}
	if (rc == -ENOBUFS) {
		fwd_error(s, 503, ALOG_TCP_MISS, "too many DNS lookups");
		return;
	}
	fc->cnt->fwd_err_502_dns++;
	fwd_error(s, 502, ALOG_TCP_MISS,
	          rc == -ENOENT ? "the origin's name does not exist (DNS)"
	          : rc == -EIO  ? "the origin's name could not be resolved "
	                          "(DNS failure)"
	                        : "the origin's name is not valid");
}

/*
 * Whether an unfinished head in <q> (cli_in for a request, up_in for a
 * response: one is read at a time) is worth parsing (again): the first
 * bytes (garbage is refused at once), a new line end (only one can
 * complete a line or the head), or more bytes than the limit that applies
 * (414, 431).  A head dripped a byte a segment is then parsed once a line,
 * not once a byte: no quadratic re-copy and re-parse.  head_reset() when
 * the head is consumed.
 */
static bool
head_worth_parsing(struct fwd_session *s, const struct rte_mbuf *q)
{
	const struct conf_forward *cfg = &s->l->cfg;
	uint32_t len = proxy_chain_len(q), from = s->head_scanned;
	bool lf = proxy_chain_has_lf(q, from);
	uint32_t limit;

	s->head_scanned = len;
	if (lf)
		s->flags |= SF_HEAD_LF;
	if (from == 0 || lf)
		return true;
	limit = cfg->max_request_line;
	if (s->flags & SF_HEAD_LF)
		limit = cfg->max_header_bytes;
	return len >= limit;
}

static void
head_reset(struct fwd_session *s)
{
	s->head_scanned = 0;
	s->flags &= (uint16_t)~SF_HEAD_LF;
}

/* An unfinished request head: wait for more, within the header timeout. */
static void
fwd_head_wait(struct fwd_session *s)
{
	if (s->flags & SF_CLI_FIN) {
		fwd_drain(s, FWD_LINGER_MS); /* a head cut short */
		return;
	}
	if (!(s->flags & SF_HDR_TIMER)) {
		s->flags |= SF_HDR_TIMER;
		timer_set(s, s->l->cfg.client_header_ms);
	}
}

/* State ST_HEAD: parse what the client sent so far. */
static void
fwd_request(struct fwd_session *s)
{
	struct fwd_ctx *fc = s->l->fc;
	struct http_msg *msg = &fc->msg;
	const char *buf;
	uint32_t len;
	int rc;

	GH_VERIFY(s->state == ST_HEAD);
	if (s->cli_in == NULL) {
		s->flags &= (uint16_t)~SF_HDR_TIMER;
		if (s->flags & SF_CLI_FIN) {
			fwd_drain(s, FWD_LINGER_MS);
			return;
		}
		timer_set(s, s->l->cfg.client_idle_ms);
		return;
	}
	if (!head_worth_parsing(s, s->cli_in)) {
		fwd_head_wait(s);
		return;
	}
	buf = proxy_chain_flat(s->cli_in, fc->scratch, fc->scratch_cap, &len);
	http_msg_init(msg, true, HTTP_M_OTHER);
	rc = http_parse_head(msg, buf, len, &s->l->lim);
	if (rc == HTTP_AGAIN) {
		fwd_head_wait(s);
		return;
	}
	s->flags &= (uint16_t)SF_CLI_FIN;
	head_reset(s);
	txn_start(s);
	if (rc == HTTP_ERROR) {
		fc->cnt->fwd_requests++;
		if (s->txn != NULL) {
			alog_field_set(s->txn->rec.method,
			               sizeof(s->txn->rec.method), "NONE", 4);
			alog_field_set(s->txn->rec.url, sizeof(s->txn->rec.url),
			               "error:invalid-request", 21);
			s->txn->rec.bytes_from_client = len;
		}
		fwd_error(s, msg->status, ALOG_TAG_NONE,
		          msg->error != NULL ? msg->error : "bad request");
		return;
	}
	fwd_request_head(s, msg, buf);
}

/* Move request body bytes from cli_in to up_out while there is room, and
 * on to the upstream's TCP; again while TCP takes them all. */
static void
fwd_req_pump(struct fwd_session *s)
{
	struct fwd_ctx *fc = s->l->fc;
	unsigned rounds = 0;
	bool moved = false;

	do {
		while (!(s->flags & SF_REQ_DONE) && s->cli_in != NULL &&
		       proxy_chain_len(s->up_out) < FWD_OUT_MAX) {
			struct rte_mbuf *m = s->cli_in, *part;
			struct http_body before = s->req_body;
			uint32_t used = 0;
			int rc;

			rc = http_body_feed(&s->req_body,
			                    rte_pktmbuf_mtod(m, char *),
			                    m->data_len, &used);
			if (rc == HTTP_ERROR) {
				fwd_error(s, 400, ALOG_TCP_MISS,
				          "bad framing of the request body");
				return;
			}
			if (used > 0) {
				part = proxy_chain_take_seg(&s->cli_in, used,
				                            fc->p.pool);
				if (part == NULL) {
					/* The codec must not count bytes
					 * that did not move. */
					s->req_body = before;
					fc->cnt->fwd_no_mbuf++;
					resume_soon(s);
					break;
				}
				if (proxy_chain_append(&s->up_out, part) < 0) {
					rte_pktmbuf_free(part);
					fwd_session_end(s, true);
					return;
				}
				tcp_recved(s->cli, used);
				moved = true;
				if (s->txn != NULL)
					s->txn->rec.bytes_from_client += used;
				s->req_body_bytes += used;
				/* A chunked body has no length up front:
				 * count it as it goes. */
				if (s->l->cfg.max_body_bytes != 0 &&
				    s->req_body_bytes >
				        s->l->cfg.max_body_bytes) {
					fwd_error(s, 413, ALOG_TCP_MISS,
					          "the request body is larger "
					          "than allowed");
					return;
				}
			}
			if (rc == HTTP_OK)
				s->flags |= SF_REQ_DONE;
			else if (used == 0)
				break;
		}
		up_flush(s);
	} while (s->up_out == NULL && s->cli_in != NULL &&
	         !(s->flags & SF_REQ_DONE) && s->state == ST_FORWARD &&
	         ++rounds < 64);
	/* The origin is not expected to answer before it has the request:
	 * the read timeout counts from the last byte of it that moved. */
	if (moved && s->state == ST_FORWARD && !(s->flags & SF_RESP_HEAD))
		read_timer_set(s);
}

/* ---- responses ---- */

/* Write the client's copy of the response head in <buf>. */
static struct rte_mbuf *
write_response_head(struct fwd_session *s, const struct http_msg *msg,
                    const char *buf, bool close)
{
	struct fwd_ctx *fc = s->l->fc;
	struct head_writer w = {.pool = fc->p.pool};
	char text[64];
	unsigned i;

	/* RFC 9110 8.6 and 9112 6.1: no Content-Length on a 1xx or 204, no
	 * Transfer-Encoding on those nor to an HTTP/1.0 client (a chunked
	 * body is de-chunked for it, SF_DECHUNK, and ends with the
	 * connection). */
	bool no_length = msg->status < 200 || msg->status == 204;
	bool no_te = no_length || (s->flags & SF_CLI_HTTP10);

	snprintf(text, sizeof(text), "HTTP/1.1 %03u ", msg->status);
	hw_str(&w, text);
	hw_span(&w, buf, msg->reason);
	hw_str(&w, "\r\n");
	for (i = 0; i < msg->n_headers; i++) {
		if (is_hop_by_hop(msg, buf, i))
			continue;
		if ((no_length || (s->flags & SF_DECHUNK)) &&
		    http_hdr_name_is(msg, buf, i, "content-length"))
			continue;
		if (no_te && http_hdr_name_is(msg, buf, i, "transfer-encoding"))
			continue;
		hw_span(&w, buf, msg->hdr[i].name);
		hw_str(&w, ": ");
		hw_span(&w, buf, msg->hdr[i].value);
		hw_str(&w, "\r\n");
	}
	if (s->l->cfg.via) {
		snprintf(text, sizeof(text), "Via: 1.%u gatehouse\r\n",
		         msg->version_minor);
		hw_str(&w, text);
	}
	if (close && msg->status >= 200)
		hw_str(&w, "Connection: close\r\n");
	hw_str(&w, "\r\n");
	return hw_done(&w, fc->cnt);
}

/* A response head in up_in: returns true when the caller should go on
 * with the body, false when done here (error, or an interim response
 * relayed and another head to wait for). */
static bool
fwd_response_head(struct fwd_session *s)
{
	struct fwd_ctx *fc = s->l->fc;
	struct http_msg *msg = &fc->msg;
	struct http_limits lim = s->l->lim;
	struct rte_mbuf *m;
	const char *buf;
	uint32_t len;
	bool close;
	int rc, i;

	if (!head_worth_parsing(s, s->up_in))
		return false;
	buf = proxy_chain_flat(s->up_in, fc->scratch, fc->scratch_cap, &len);
	http_msg_init(msg, false, (enum http_method)s->req_method);
	rc = http_parse_head(msg, buf, len, &lim);
	if (rc == HTTP_AGAIN)
		return false;
	head_reset(s);
	if (rc == HTTP_ERROR || msg->status == 101) {
		fc->cnt->fwd_err_502_response++;
		fwd_error(s, 502, ALOG_TCP_MISS,
		          "the origin's response is not valid HTTP/1.1");
		return false;
	}
	if (msg->status < 200) {
		/* 1xx: relay it, the final response follows.  Never to an
		 * HTTP/1.0 client (RFC 9110 15.2): consumed only. */
		m = NULL;
		if (!(s->flags & SF_CLI_HTTP10))
			m = write_response_head(s, msg, buf, false);
		proxy_chain_trim(&s->up_in, msg->head_len);
		tcp_recved(s->up, msg->head_len);
		if (m != NULL) {
			cli_queue(s, m);
			fc->cnt->fwd_continue++;
		} else if (s->flags & SF_CLI_HTTP10) {
			fc->cnt->fwd_continue_dropped++;
		} /* else no mbuf: hw_done() counted it */
		cli_flush(s);
		return s->up_in != NULL;
	}
	if ((s->flags & SF_CLI_HTTP10) && msg->body_kind == HTTP_BODY_CHUNKED)
		s->flags |= SF_DECHUNK;
	/* A body in a transfer coding other than chunked (read until the
	 * close): an HTTP/1.0 client could not decode it (RFC 9112 6.1). */
	if ((s->flags & SF_CLI_HTTP10) && (msg->flags & HTTP_F_HAS_TE) &&
	    msg->body_kind == HTTP_BODY_EOF) {
		fc->cnt->fwd_err_502_response++;
		fwd_error(s, 502, ALOG_TCP_MISS,
		          "the origin's response has a transfer coding an "
		          "HTTP/1.0 client cannot decode");
		return false;
	}
	close = (s->flags & (SF_CLOSE_CLI | SF_DECHUNK)) ||
	        msg->body_kind == HTTP_BODY_EOF;
	m = write_response_head(s, msg, buf, close);
	if (m == NULL) {
		fwd_error(s, 503, ALOG_TCP_MISS, "out of buffers");
		return false;
	}
	if (close)
		s->flags |= SF_CLOSE_CLI;
	if (msg->version_minor == 1 && !(msg->flags & HTTP_F_CONN_CLOSE) &&
	    msg->body_kind != HTTP_BODY_EOF && !(s->flags & SF_UP_FIN))
		s->flags |= SF_UP_KEEP;
	if (s->txn != NULL) {
		s->txn->rec.status = msg->status;
		s->txn->rec.result = ALOG_TCP_MISS;
		i = http_hdr_find(msg, buf, "content-type", 0);
		if (i >= 0)
			alog_field_set(
			    s->txn->rec.ctype, sizeof(s->txn->rec.ctype),
			    buf + msg->hdr[i].value.off, msg->hdr[i].value.len);
	}
	http_body_init(&s->resp_body, msg, &lim);
	s->flags |= SF_RESP_HEAD;
	if (msg->body_kind == HTTP_BODY_NONE)
		s->flags |= SF_RESP_DONE;
	fc->cnt->fwd_responses++;
	proxy_chain_trim(&s->up_in, msg->head_len);
	tcp_recved(s->up, msg->head_len);
	cli_queue(s, m);
	return true;
}

/* The transaction is over: log it, park or close the upstream, and read
 * the next request or close the client. */
static void
fwd_txn_done(struct fwd_session *s)
{
	struct fwd_ctx *fc = s->l->fc;

	txn_end(s);
	if (!(s->flags & SF_REQ_DONE))
		s->flags |= SF_CLOSE_CLI; /* the rest of its body: unreadable */
	if (s->up != NULL) {
		/* Never one that sent FIN: the next request would meet a
		 * closed connection. */
		if ((s->flags & SF_UP_KEEP) && (s->flags & SF_REQ_DONE) &&
		    !(s->flags & SF_UP_FIN) && s->up_in == NULL &&
		    s->up_out == NULL)
			idle_put(s);
		else
			leg_close(&s->up, false);
	}
	rte_pktmbuf_free(s->up_in);
	rte_pktmbuf_free(s->up_out);
	s->up_in = s->up_out = NULL;
	if (s->flags & SF_CLOSE_CLI) {
		fwd_drain(s, s->l->cfg.client_idle_ms);
		return;
	}
	s->state = ST_HEAD;
	s->flags &= (uint16_t)SF_CLI_FIN;
	if (s->cli_in != NULL)
		fc->cnt->fwd_pipelined++;
	fwd_request(s);
}

/* State ST_FORWARD: the response's head, then its body to the client. */
static void
fwd_response(struct fwd_session *s)
{
	struct fwd_ctx *fc = s->l->fc;
	unsigned guard = 0;

	/* Heads until the final one: any number of interim (1xx) heads, a
	 * burst per event; the timer resumes the rest when no event would
	 * (they may all be in up_in already).  While the client's queue is
	 * full its on_writable resumes instead. */
	while (!(s->flags & SF_RESP_HEAD) && s->up_in != NULL &&
	       s->state == ST_FORWARD) {
		if (proxy_chain_len(s->cli_out) >= FWD_OUT_MAX)
			return;
		if (guard++ == FWD_INTERIM_BURST) {
			resume_soon(s);
			return;
		}
		if (!fwd_response_head(s))
			break;
	}
	if (s->state != ST_FORWARD || !(s->flags & SF_RESP_HEAD))
		return;
	guard = 0;
	do {
		while (!(s->flags & SF_RESP_DONE) && s->up_in != NULL &&
		       proxy_chain_len(s->cli_out) < FWD_OUT_MAX) {
			struct rte_mbuf *m = s->up_in, *part;
			struct http_body before = s->resp_body;
			uint32_t used = 0, n = m->data_len;
			bool framing = false;
			int rc;

			/* De-chunking: data runs go on, framing bytes (taken
			 * one at a time, a few per chunk) are dropped. */
			if (s->flags & SF_DECHUNK) {
				uint64_t d =
				    http_body_chunk_data(&s->resp_body);

				framing = d == 0;
				n = framing ? 1
				            : (uint32_t)RTE_MIN(d, (uint64_t)n);
			}
			rc = http_body_feed(&s->resp_body,
			                    rte_pktmbuf_mtod(m, char *), n,
			                    &used);
			if (rc == HTTP_ERROR) {
				fc->cnt->fwd_err_502_response++;
				fwd_error(s, 502, ALOG_TCP_MISS,
				          "bad framing of the response body");
				return;
			}
			if (used > 0 && framing) {
				proxy_chain_trim(&s->up_in, used);
				tcp_recved(s->up, used);
			} else if (used > 0) {
				part = proxy_chain_take_seg(&s->up_in, used,
				                            fc->p.pool);
				if (part == NULL) {
					s->resp_body = before; /* as above */
					fc->cnt->fwd_no_mbuf++;
					resume_soon(s);
					break;
				}
				tcp_recved(s->up, used);
				cli_queue(s, part);
			}
			if (rc == HTTP_OK)
				s->flags |= SF_RESP_DONE;
			else if (used == 0)
				break;
		}
		cli_flush(s);
	} while (s->cli_out == NULL && s->up_in != NULL &&
	         !(s->flags & SF_RESP_DONE) && ++guard < 64);
	/* A body that ends with the connection: the FIN came, all passed. */
	if (!(s->flags & SF_RESP_DONE) && s->up_in == NULL &&
	    (s->flags & SF_UP_FIN) && http_body_eof(&s->resp_body))
		s->flags |= SF_RESP_DONE;
	cli_flush(s);
	if (s->flags & SF_RESP_DONE)
		fwd_txn_done(s);
}

/*
 * After fwd_response(): the origin sent FIN (SF_UP_FIN) and the response
 * is not over.  End it as what is left allows, or leave it to the event
 * that resumes the rest (the client's on_writable, the resume timer).
 * The session may have ended in fwd_response() (state ST_FREE): nothing
 * here touches it then.
 */
static void
fwd_fin_pending(struct fwd_session *s)
{
	if (s->state != ST_FORWARD || !(s->flags & SF_UP_FIN))
		return;
	s->flags &= (uint16_t)~SF_UP_KEEP;
	if ((s->flags & SF_RESP_HEAD) && s->up_in == NULL &&
	    http_body_eof(&s->resp_body)) {
		s->flags |= SF_RESP_DONE;
		cli_flush(s);
		fwd_txn_done(s);
		return;
	}
	if (s->up_in != NULL && ((s->flags & (SF_RESP_HEAD | SF_RESUME)) ||
	                         proxy_chain_len(s->cli_out) >= FWD_OUT_MAX))
		return; /* the rest goes as the client makes room */
	if (!(s->flags & SF_RESP_HEAD)) {
		s->l->fc->cnt->fwd_err_502_response++;
		fwd_error(s, 502, ALOG_TCP_MISS,
		          "the origin closed the connection without a "
		          "complete response");
		return;
	}
	s->l->fc->cnt->fwd_aborted++;
	fwd_session_end(s, true);
}

/* ---- tunnel ---- */

static void
tunnel_move(struct fwd_session *s)
{
	if (s->cli_in != NULL && proxy_chain_len(s->up_out) < FWD_OUT_MAX) {
		uint32_t n = proxy_chain_len(s->cli_in);

		if (proxy_chain_append(&s->up_out, s->cli_in) == 0) {
			s->cli_in = NULL;
			if (s->cli != NULL) /* gone after a clean close */
				tcp_recved(s->cli, n);
			if (s->txn != NULL)
				s->txn->rec.bytes_from_client += n;
		}
	}
	if (s->up_in != NULL && proxy_chain_len(s->cli_out) < FWD_OUT_MAX) {
		struct rte_mbuf *m = s->up_in;
		uint32_t n = proxy_chain_len(m);

		s->up_in = NULL;
		if (s->up != NULL)
			tcp_recved(s->up, n);
		cli_queue(s, m);
	}
	cli_flush(s);
	up_flush(s);
}

/* Splice both ways, again while the legs' TCP take everything. */
static void
tunnel_push(struct fwd_session *s)
{
	unsigned rounds = 0;

	do
		tunnel_move(s);
	while (((s->cli_in != NULL && s->up_out == NULL) ||
	        (s->up_in != NULL && s->cli_out == NULL)) &&
	       ++rounds < 64);
	if ((s->flags & SF_CLI_FIN) && s->cli_in == NULL && s->up_out == NULL &&
	    s->up != NULL && !(s->flags & SF_UP_SHUT)) {
		s->flags |= SF_UP_SHUT;
		tcp_shutdown(s->up);
	}
	if ((s->flags & SF_UP_FIN) && s->up_in == NULL && s->cli_out == NULL &&
	    s->cli != NULL && !(s->flags & SF_CLI_SHUT)) {
		s->flags |= SF_CLI_SHUT;
		tcp_shutdown(s->cli);
	}
}

/* ---- callbacks ---- */

static void *
fwd_on_accept(void *listen_arg, struct tcp_conn *c)
{
	struct fwd_listener *l = listen_arg;
	struct fwd_ctx *fc = l->fc;
	struct fwd_session *s;
	struct tcp_flow_key k;
	uint32_t ip;
	unsigned i;
	bool ok = false;

	GH_CHECK_OBJ(l, FWD_LISTENER_MAGIC);
	/* A client outside allow-src is reset here, before it can send
	 * (and make us hold) anything: no session, no buffers. */
	tcp_conn_key(c, &k);
	ip = k.remote_ip_be;
	for (i = 0; i < l->cfg.n_allow_src && !ok; i++)
		ok = (ip & l->cfg.allow_src[i].mask_be) ==
		     l->cfg.allow_src[i].addr_be;
	if (!ok) {
		fc->cnt->fwd_denied_src++;
		return NULL;
	}
	s = session_get(fc);
	if (s == NULL)
		return NULL;
	s->l = l;
	s->cli = c;
	s->state = ST_HEAD;
	fc->cnt->fwd_accepted++;
	timer_set(s, l->cfg.client_header_ms);
	return s;
}

static void
fwd_on_connected(void *arg, struct tcp_conn *c)
{
	struct fwd_session *s = arg;

	if (s == (void *)&fwd_orphan)
		return;
	GH_CHECK_OBJ(s, FWD_SESSION_MAGIC);
	GH_VERIFY(c == s->up && s->state == ST_CONNECTING);
	fwd_upstream_ready(s);
}

static void
fwd_on_data(void *arg, struct tcp_conn *c, struct rte_mbuf *m)
{
	struct fwd_session *s = arg;
	unsigned magic = *(const unsigned *)arg;

	if (magic != FWD_SESSION_MAGIC) {
		uint32_t n = rte_pktmbuf_pkt_len(m);

		rte_pktmbuf_free(m);
		tcp_recved(c, n);
		if (magic == FWD_IDLE_MAGIC)
			idle_drop(arg, true); /* bytes nobody asked for */
		return;
	}
	if (c == s->cli) {
		if (s->state == ST_DRAIN) {
			uint32_t n = rte_pktmbuf_pkt_len(m);

			rte_pktmbuf_free(m);
			tcp_recved(c, n);
			return;
		}
		if (proxy_chain_append(&s->cli_in, m) < 0) {
			rte_pktmbuf_free(m);
			fwd_session_end(s, true);
			return;
		}
		switch (s->state) {
		case ST_HEAD:
			fwd_request(s);
			break;
		case ST_FORWARD:
			fwd_req_pump(s);
			break;
		case ST_TUNNEL:
			timer_set(s, s->l->cfg.client_idle_ms);
			tunnel_push(s);
			break;
		default:
			break; /* kept until the upstream is there */
		}
		return;
	}
	GH_VERIFY(c == s->up);
	if (proxy_chain_append(&s->up_in, m) < 0) {
		rte_pktmbuf_free(m);
		fwd_session_end(s, true);
		return;
	}
	if (s->state == ST_TUNNEL) {
		timer_set(s, s->l->cfg.client_idle_ms);
		tunnel_push(s);
		return;
	}
	if (s->state == ST_FORWARD) {
		read_timer_set(s);
		fwd_response(s);
	}
}

static void
fwd_on_writable(void *arg, struct tcp_conn *c)
{
	struct fwd_session *s = arg;

	if (*(const unsigned *)arg != FWD_SESSION_MAGIC)
		return;
	if (s->state == ST_TUNNEL) {
		tunnel_push(s);
		return;
	}
	if (c == s->up) {
		up_flush(s);
		if (s->state == ST_FORWARD)
			fwd_req_pump(s);
		return;
	}
	cli_flush(s);
	if (s->state == ST_FORWARD) {
		/* A slow client reading a response that is all here is
		 * progress too: the read timeout is for silence both ways. */
		if (s->flags & SF_RESP_HEAD)
			read_timer_set(s);
		fwd_response(s);
		fwd_fin_pending(s);
		return;
	}
	if (s->state == ST_DRAIN)
		fwd_drain_step(s);
}

static void
fwd_on_peer_fin(void *arg, struct tcp_conn *c)
{
	struct fwd_session *s = arg;
	unsigned magic = *(const unsigned *)arg;

	if (magic == FWD_IDLE_MAGIC) {
		idle_drop(arg, false);
		return;
	}
	if (magic != FWD_SESSION_MAGIC)
		return;
	if (c == s->cli) {
		s->flags |= SF_CLI_FIN;
		switch (s->state) {
		case ST_HEAD:
			fwd_request(s);
			break;
		case ST_TUNNEL:
			tunnel_push(s);
			break;
		case ST_DRAIN:
			fwd_drain_step(s);
			break;
		default:
			break; /* answered first, then closed */
		}
		return;
	}
	if (s->state == ST_TUNNEL) {
		s->flags |= SF_UP_FIN;
		tunnel_push(s);
		return;
	}
	if (s->state != ST_FORWARD)
		return;
	/* The origin is done sending: end of an until-close body, or a
	 * response cut short. */
	s->flags |= SF_UP_FIN;
	fwd_response(s);
	fwd_fin_pending(s);
}

static void
fwd_on_close(void *arg, struct tcp_conn *c, enum tcp_close_reason why)
{
	struct fwd_session *s = arg;
	unsigned magic = *(const unsigned *)arg;
	struct fwd_ctx *fc;

	if (magic == FWD_IDLE_MAGIC) {
		struct fwd_idle *e = arg;

		fc = e->fc;
		idle_unlink(fc, e);
		fc->cnt->fwd_upstream_idle_closed++;
		return;
	}
	if (magic != FWD_SESSION_MAGIC)
		return;
	fc = s->l->fc;
	if (c == s->cli) {
		s->cli = NULL;
		/* A tunnel's client that closed cleanly: what it sent still
		 * goes up, then FIN; the session ends with the upstream. */
		if (s->state == ST_TUNNEL && why == TCP_CLOSE_NORMAL &&
		    s->up != NULL && (s->cli_in != NULL || s->up_out != NULL)) {
			tunnel_push(s);
			return;
		}
		if (why != TCP_CLOSE_NORMAL && !(s->flags & SF_RESP_DONE) &&
		    s->state != ST_HEAD && s->state != ST_DRAIN)
			fc->cnt->fwd_aborted++;
		fwd_session_end(s, true);
		return;
	}
	GH_VERIFY(c == s->up);
	s->up = NULL;
	switch (s->state) {
	case ST_CONNECTING:
		if (why == TCP_CLOSE_CONNECT_TIMEOUT) {
			fwd_error(s, 504, ALOG_TCP_MISS,
			          "the origin did not answer the connection "
			          "attempt");
			return;
		}
		fc->cnt->fwd_err_502_connect++;
		fwd_error(s, 502, ALOG_TCP_MISS,
		          why == TCP_CLOSE_REFUSED
		              ? "the origin refused the connection"
		              : "the origin could not be reached");
		return;
	case ST_TUNNEL:
		/* The origin closed cleanly with bytes still on their way
		 * to the client: they go, then FIN (tunnel_push). */
		if (why == TCP_CLOSE_NORMAL && s->cli != NULL &&
		    (s->up_in != NULL || s->cli_out != NULL)) {
			s->flags |= SF_UP_FIN;
			tunnel_push(s);
			return;
		}
		fwd_session_end(s, why != TCP_CLOSE_NORMAL);
		return;
	case ST_FORWARD:
		if (s->flags & SF_RESP_DONE)
			return;
		if ((s->flags & SF_RESP_HEAD) && why == TCP_CLOSE_NORMAL &&
		    s->up_in == NULL && http_body_eof(&s->resp_body)) {
			s->flags |= SF_RESP_DONE;
			fwd_txn_done(s);
			return;
		}
		if (!(s->flags & SF_RESP_HEAD)) {
			fc->cnt->fwd_err_502_response++;
			fwd_error(s, 502, ALOG_TCP_MISS,
			          "the origin closed the connection without "
			          "a response");
			return;
		}
		fc->cnt->fwd_aborted++;
		fwd_session_end(s, true);
		return;
	default:
		return;
	}
}

static const struct tcp_callbacks fwd_cb = {
    .on_accept = fwd_on_accept,
    .on_connected = fwd_on_connected,
    .on_data = fwd_on_data,
    .on_writable = fwd_on_writable,
    .on_peer_fin = fwd_on_peer_fin,
    .on_close = fwd_on_close,
};

/* ---- timers ---- */

static void
fwd_timer_fired(void *arg, struct tcp_timer *t)
{
	struct fwd_ctx *fc = arg;
	struct fwd_session *s;

	if (t->user == FWD_IDLE_MAGIC) {
		struct fwd_idle *e =
		    (struct fwd_idle *)((char *)t -
		                        offsetof(struct fwd_idle, tmr));

		GH_CHECK_OBJ(e, FWD_IDLE_MAGIC);
		idle_drop(e, false);
		return;
	}
	s = (struct fwd_session *)((char *)t -
	                           offsetof(struct fwd_session, tmr));
	GH_CHECK_OBJ(s, FWD_SESSION_MAGIC);
	switch (s->state) {
	case ST_HEAD:
		fc->cnt->fwd_client_timeout++;
		if (s->cli_in != NULL) {
			txn_start(s);
			if (s->txn != NULL) {
				alog_field_set(s->txn->rec.method,
				               sizeof(s->txn->rec.method),
				               "NONE", 4);
				alog_field_set(s->txn->rec.url,
				               sizeof(s->txn->rec.url),
				               "error:request-timeout", 21);
			}
			fwd_error(s, 408, ALOG_TAG_NONE,
			          "the request head did not arrive in time");
			return;
		}
		fwd_session_end(s, false);
		return;
	case ST_CONNECTING:
		fwd_error(s, 504, ALOG_TCP_MISS,
		          "the origin did not answer the connection attempt");
		return;
	case ST_FORWARD:
		if (s->flags & SF_RESUME) {
			s->flags &= (uint16_t)~SF_RESUME;
			timer_set(s, s->l->cfg.upstream_read_ms);
			if (!(s->flags & SF_REQ_DONE))
				fwd_req_pump(s);
			if (s->state != ST_FORWARD)
				return; /* ended or answered */
			fwd_response(s);
			fwd_fin_pending(s);
			return;
		}
		fwd_error(s, 504, ALOG_TCP_MISS,
		          "the origin did not answer in time");
		return;
	case ST_TUNNEL:
		fwd_session_end(s, false);
		return;
	case ST_DRAIN:
		fwd_session_end(s, !(s->flags & SF_CLI_SHUT));
		return;
	default:
		return;
	}
}

void
fwd_ctx_timer(struct fwd_ctx *fc, uint64_t now_tsc)
{
	GH_CHECK_OBJ(fc, FWD_CTX_MAGIC);
	tcp_timer_wheel_advance(&fc->wheel, tick_of(fc, now_tsc),
	                        fwd_timer_fired, fc, FWD_TIMER_BURST);
}

/* ---- set-up ---- */

struct fwd_ctx *
fwd_ctx_create(const struct proxy_params *p, struct proxy_counters *cnt,
               const struct conf_forward *cfg)
{
	struct fwd_ctx *fc;
	uint32_t i;

	fc = calloc(1, sizeof(*fc));
	if (fc == NULL)
		return NULL;
	fc->magic = FWD_CTX_MAGIC;
	fc->p = *p;
	fc->cnt = cnt;
	fc->max_sessions = p->max_sessions;
	fc->sessions = calloc(p->max_sessions, sizeof(*fc->sessions));
	fc->txns = calloc(p->max_sessions, sizeof(*fc->txns));
	fc->idle_max = cfg->upstream_idle_max;
	fc->idle_ms = cfg->upstream_idle_ms;
	fc->idles = calloc(fc->idle_max + 1, sizeof(*fc->idles));
	fc->scratch_cap = cfg->max_header_bytes + 1;
	fc->scratch = malloc(fc->scratch_cap);
	if (fc->sessions == NULL || fc->txns == NULL || fc->idles == NULL ||
	    fc->scratch == NULL) {
		fwd_ctx_destroy(fc);
		return NULL;
	}
	for (i = 0; i < fc->idle_max; i++) {
		fc->idles[i].next = fc->idle_free;
		fc->idle_free = &fc->idles[i];
	}
	fc->start_tsc = p->start_tsc != 0 ? p->start_tsc : rte_rdtsc();
	fc->tsc_per_ms = p->tsc_hz / 1000 != 0 ? p->tsc_hz / 1000 : 1;
	tcp_timer_wheel_init(&fc->wheel, 0);
	alog_clock_init(&fc->clock, rte_rdtsc(), p->tsc_hz);
	return fc;
}

void
fwd_ctx_destroy(struct fwd_ctx *fc)
{
	if (fc == NULL)
		return;
	fc->magic = 0;
	free(fc->sessions);
	free(fc->txns);
	free(fc->idles);
	free(fc->scratch);
	free(fc);
}

int
fwd_listen(struct fwd_ctx *fc, unsigned port_idx, uint32_t ip_be,
           uint16_t port_be, const struct conf_forward *cfg,
           enum tcp_cc_algo cc)
{
	struct fwd_listener *l;
	int rc;

	GH_CHECK_OBJ(fc, FWD_CTX_MAGIC);
	if (cfg->max_headers > HTTP_HEADERS_MAX)
		return -EINVAL;
	if (fc->n_listeners == FWD_LISTENERS_MAX ||
	    cfg->max_header_bytes + 1 > fc->scratch_cap)
		return -ENOSPC;
	l = &fc->listeners[fc->n_listeners];
	memset(l, 0, sizeof(*l));
	l->magic = FWD_LISTENER_MAGIC;
	l->fc = fc;
	l->cfg = *cfg;
	l->cc = (uint8_t)cc;
	http_limits_default(&l->lim);
	l->lim.max_request_line = cfg->max_request_line;
	l->lim.max_headers = cfg->max_headers;
	l->lim.max_header_bytes = cfg->max_header_bytes;
	rc = tcp_listen(fc->p.tcp, port_idx, ip_be, port_be, cc, &fwd_cb, l);
	if (rc == 0)
		fc->n_listeners++;
	return rc;
}
