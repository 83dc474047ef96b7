/*
 * The forward proxy's transactions (see fwd_priv.h): a transaction's
 * access-log record, the request stage (the head read and checked, the
 * body pumped to the origin) and the response stage (interim heads, the
 * final head, the body to the client, the end of the transaction: park or
 * close the upstream, then the next request or the client's close).
 */
#include <errno.h>
#include <string.h>

#include <netinet/in.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>

#include "common/gh_common.h"
#include "stats/stats.h"
#include "fwd_priv.h"
#include "proxy/fwd_acl.h"

/* ---- access log ---- */

static struct fwd_txn *
txn_get(struct fwd_ctx *fc)
{
	struct fwd_txn *t = gh_pool_get(&fc->txn_pool);

	if (t == NULL)
		return NULL;
	alog_record_reset(&t->rec);
	t->start_tsc = rte_rdtsc();
	return t;
}

static void
txn_put(struct fwd_ctx *fc, struct fwd_txn *t)
{
	gh_pool_put(&fc->txn_pool, t);
}

void
fwd_txn_start(struct fwd_session *s)
{
	struct fwd_ctx *fc = s->l->fc;
	struct tcp_flow_key k;

	GH_VERIFY(s->txn == NULL);
	/* one version judges the request from here to fwd_txn_end() */
	fwd_live_take(s);
	s->txn = txn_get(fc);
	if (s->txn == NULL || s->cli == NULL) /* a background validation's
	                                         client is set by its maker */
		return;
	tcp_conn_key(s->cli, &k);
	s->txn->rec.client_ip_be = k.remote_ip_be;
	s->txn->rec.client_port_be = k.remote_port_be;
}

/* The status class of an HTTP transaction's <status>; on a socks
 * listener the status is a SOCKS reply code (fwd_socks.c): 00 and a
 * tunnel, or anything else. */
static void
txn_count_status(struct proxy_listener_counters *c, bool socks,
                 const struct alog_record *r)
{
	if (socks) {
		if (r->status == 0 && r->result == ALOG_TCP_TUNNEL)
			c->socks_ok++;
		else
			c->socks_failed++;
		return;
	}
	switch (r->status / 100) {
	case 1:
		c->responses_1xx++; /* a 101 that ended the exchange */
		break;
	case 2:
		c->responses_2xx++;
		break;
	case 3:
		c->responses_3xx++;
		break;
	case 4:
		c->responses_4xx++;
		break;
	case 5:
		c->responses_5xx++;
		break;
	default:
		c->responses_none++;
		break;
	}
}

/* The listener's counters of a transaction that took <us> and ended with
 * the record <r>: its status class, bytes and duration. */
static void
txn_count(struct fwd_listener *l, const struct alog_record *r, uint64_t us)
{
	struct proxy_listener_counters *c = &l->cnt;

	txn_count_status(c, l->socks, r);
	if (r->result == ALOG_TCP_DENIED)
		c->denied++;
	c->bytes_in += r->bytes_from_client;
	c->bytes_out += r->bytes_to_client;
	stats_hist_add(&c->request_duration, us);
}

void
fwd_txn_end(struct fwd_session *s)
{
	struct fwd_ctx *fc = s->l->fc;
	struct fwd_txn *t = s->txn;
	struct alog_record *r;
	uint64_t now, us;

	/* a fill still ours (an error page, a timeout) is given up, so
	 * that nobody waits on it */
	fwd_cache_fill_end(s, false);
	fwd_ftp_release(s);         /* an ftp:// transaction's legs */
	fwd_cache_claim_release(s); /* a validation's: its waiters look */
	fwd_rev_finish(s, (enum lb_outcome)s->rev_outcome); /* reverse */
	s->rev_pool = -1;
	s->flags &= (uint32_t)~SF_NO_COLLAPSE;
	fwd_live_drop(s);
	if (t == NULL)
		return;
	s->txn = NULL;
	now = rte_rdtsc();
	/* one division: floor(floor(1000 d / T) / 1000) == floor(d / T) */
	us = (now - t->start_tsc) * 1000 / fc->tsc_per_ms;
	t->rec.elapsed_ms = (uint32_t)(us / 1000);
	if (!(s->flags & SF_BG))
		txn_count(s->l, &t->rec, us);
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
	i = http_field_find(msg, buf, HTTP_FLD_REFERER, 0);
	if (i >= 0)
		alog_field_set(r->referer, sizeof(r->referer),
		               buf + msg->hdr[i].value.off,
		               msg->hdr[i].value.len);
	i = http_field_find(msg, buf, HTTP_FLD_USER_AGENT, 0);
	if (i >= 0)
		alog_field_set(r->user_agent, sizeof(r->user_agent),
		               buf + msg->hdr[i].value.off,
		               msg->hdr[i].value.len);
}

/* ---- requests ---- */

/* A hit was queued for the client (fwd_cache_request()): the head of
 * <head_len> bytes is consumed and the transaction ends.  True when the
 * session reads the next request (ST_HEAD), false when it closes. */
static bool
fwd_hit_done(struct fwd_session *s, uint32_t head_len)
{
	proxy_chain_trim(&s->cli_in, head_len);
	tcp_recved(s->cli, head_len);
	fwd_txn_end(s);
	if (s->flags & SF_CLOSE_CLI) {
		fwd_drain(s, fwd_cfg(s)->client_idle_ms);
		return false;
	}
	s->flags &= (uint16_t)SF_CLI_FIN;
	return true;
}

/* A complete request head in <buf>: check it and set the request going.
 * True when it was answered from the cache and the next request may be
 * read (the session is in ST_HEAD). */
static bool
fwd_request_head(struct fwd_session *s, struct http_msg *msg, const char *buf)
{
	struct fwd_ctx *fc = s->l->fc;
	const struct conf_forward *cfg = fwd_cfg(s);
	char host[FWD_HOST_MAX + 1];
	uint32_t host_len = msg->host.len;

	/* counted when it first came */
	if (!(s->flags & (SF_NO_COLLAPSE | SF_AUTH_AGAIN))) {
		fc->cnt->fwd_requests++;
		s->l->cnt.requests++;
	}
	txn_request(s, msg, buf);
	if (http_msg_is_ftp(msg))
		fwd_ftp_log_url(s, msg, buf); /* no password in the log */
	s->req_method = msg->method;
	if (msg->version_minor == 0)
		s->flags |= SF_CLI_HTTP10;
	if (msg->method == HTTP_M_OTHER) {
		fwd_error(s, 501, ALOG_TAG_NONE, "method not implemented");
		return false;
	}
	if (!fwd_te_only_chunked(msg, buf)) {
		fwd_error(s, 501, ALOG_TAG_NONE,
		          "transfer codings other than chunked are not "
		          "implemented");
		return false;
	}
	if (msg->method == HTTP_M_TRACE) {
		fwd_error(s, 405, ALOG_TAG_NONE, "TRACE is not forwarded");
		return false;
	}
	if (fwd_options_for_us(msg, buf)) {
		fc->cnt->fwd_options_answered++;
		fwd_reply(s, 200, ALOG_TAG_NONE, "Allow: " FWD_ALLOW "\r\n", "",
		          0);
		return false;
	}
	if (cfg->reverse && http_msg_is_ftp(msg)) {
		fwd_error(s, 400, ALOG_TAG_NONE,
		          "a reverse listener serves no ftp:// URLs");
		return false;
	}
	if (cfg->reverse) {
		/* origin-form, or absolute-form routed by its authority
		 * (RFC 9112 3.2.2); CONNECT refused; the pool chosen */
		if (!fwd_rev_request(s, msg, buf))
			return false;
		if (fwd_conn_names_framing(msg, buf)) {
			fwd_error(s, 400, ALOG_TAG_NONE,
			          "Connection may not name Content-Length or "
			          "Transfer-Encoding");
			return false;
		}
	} else if (msg->method == HTTP_M_CONNECT) {
		s->flags |= SF_CONNECT;
		if (!fwd_connect_port_allowed(cfg, msg->port)) {
			fc->cnt->fwd_denied_port++;
			if (s->txn != NULL)
				s->txn->rec.acl_tag = "builtin:connect-ports";
			fwd_error(s, 403, ALOG_TCP_DENIED,
			          "CONNECT to this port is not allowed");
			return false;
		}
	} else if (fwd_conn_names_framing(msg, buf)) {
		fwd_error(s, 400, ALOG_TAG_NONE,
		          "Connection may not name Content-Length or "
		          "Transfer-Encoding");
		return false;
	} else if (msg->form != HTTP_FORM_ABSOLUTE) {
		fwd_error(s, 400, ALOG_TAG_NONE,
		          "a proxy request needs an absolute URL "
		          "(http://host/path)");
		return false;
	} else if (msg->scheme.len != 4 && msg->scheme.len != 3) {
		fwd_error(s, 501, ALOG_TAG_NONE,
		          "only http:// and ftp:// URLs are fetched; use "
		          "CONNECT for https");
		return false;
	}
	if (cfg->max_body_bytes != 0 && msg->body_kind == HTTP_BODY_LENGTH &&
	    msg->content_length > cfg->max_body_bytes) {
		fwd_error(s, 413, ALOG_TAG_NONE,
		          "the request body is larger than allowed");
		return false;
	}
	/* credentials first: the rules may name the user; ST_AUTH waits */
	if (fwd_auth_request(s, msg, buf) != FWD_AUTH_OK)
		return false;
	/* before the cache: a denied request is not answered from it */
	if (fwd_acl_request(s, msg, buf) == FWD_ACL_DENIED)
		return false;
	if (!(s->flags & SF_CONNECT)) {
		bool pass;

		if (!(msg->flags & HTTP_F_CONN_CLOSE) &&
		    (msg->version_minor == 1 ||
		     (msg->flags & HTTP_F_CONN_KEEPALIVE)))
			s->flags &= (uint32_t)~SF_CLOSE_CLI;
		else
			s->flags |= SF_CLOSE_CLI;
		/* a verdict that waits for the address: no cache */
		/* an ftp URL with credentials (user@, Authorization): what
		 * one user may read is no other's, so it is neither stored
		 * nor served */
		pass = (s->flags & SF_ACL_DST) || http_msg_ftp_user(msg, buf) ||
		       (http_msg_is_ftp(msg) &&
		        http_has_field(msg, HTTP_FLD_AUTHORIZATION));
		switch (pass ? FWD_CACHE_PASS
		             : fwd_cache_request(s, msg, buf)) {
		case FWD_CACHE_HIT:
			return fwd_hit_done(s, msg->head_len);
		case FWD_CACHE_REPLIED:
		case FWD_CACHE_WAIT: /* ST_WAIT: fwd_collapse.c */
			return false;
		case FWD_CACHE_PASS:
			break;
		}
		if (http_msg_is_ftp(msg)) {
			if (!fwd_ftp_begin(s, msg, buf))
				return false;
		} else if (fwd_write_request_head(s, msg, buf) < 0) {
			fwd_error(s, 503, ALOG_TCP_MISS, "out of buffers");
			return false;
		}
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
	if (cfg->reverse) {
		fwd_rev_pick(s);
		return false;
	}
	fwd_resolve(s, host, host_len);
	return false;
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
		fwd_timer_set(s, fwd_cfg(s)->client_header_ms);
	}
}

/* State ST_HEAD: parse what the client sent so far.  True when a request
 * was answered from the cache and the next one may be read. */
static bool
fwd_request_one(struct fwd_session *s)
{
	struct fwd_ctx *fc = s->l->fc;
	struct http_msg *msg = &fc->msg;
	const char *buf;
	uint32_t len;
	int rc;

	GH_VERIFY(s->state == ST_HEAD);
	if (s->cli_in == NULL) {
		s->flags &= (uint32_t)~SF_HDR_TIMER;
		if (s->flags & SF_CLI_FIN) {
			fwd_drain(s, FWD_LINGER_MS);
			return false;
		}
		fwd_timer_set(s, fwd_cfg(s)->client_idle_ms);
		return false;
	}
	if (!fwd_head_worth_parsing(s, s->cli_in)) {
		fwd_head_wait(s);
		return false;
	}
	buf = proxy_chain_flat(s->cli_in, fc->scratch, fc->scratch_cap, &len);
	http_msg_init(msg, true, HTTP_M_OTHER);
	rc = http_parse_head(msg, buf, len, &s->l->lim);
	if (rc == HTTP_AGAIN) {
		fwd_head_wait(s);
		return false;
	}
	/* a request parsed again after waiting in vain (or for the
	 * verifier) keeps its txn */
	s->flags &= (uint32_t)(SF_CLI_FIN | SF_NO_COLLAPSE | SF_AUTH_AGAIN);
	fwd_head_reset(s);
	if (s->txn == NULL)
		fwd_txn_start(s);
	if (rc == HTTP_ERROR) {
		fc->cnt->fwd_requests++;
		s->l->cnt.requests++;
		if (s->txn != NULL) {
			alog_field_set(s->txn->rec.method,
			               sizeof(s->txn->rec.method), "NONE", 4);
			alog_field_set(s->txn->rec.url, sizeof(s->txn->rec.url),
			               "error:invalid-request", 21);
			s->txn->rec.bytes_from_client = len;
		}
		fwd_error(s, msg->status, ALOG_TAG_NONE,
		          msg->error != NULL ? msg->error : "bad request");
		return false;
	}
	return fwd_request_head(s, msg, buf);
}

/*
 * State ST_HEAD: read requests while they are answered from the cache, at
 * most FWD_HIT_BURST an event (the timer resumes the rest: SF_RESUME);
 * while the client's queue is full its on_writable resumes instead.
 */
void
fwd_request(struct fwd_session *s)
{
	unsigned n = 0;

	if (s->l->socks) {
		fwd_socks_step(s);
		return;
	}
	while (fwd_request_one(s)) {
		if (s->cli_in == NULL)
			continue; /* once more: arms the idle timer */
		if (proxy_chain_len(s->cli_out) >= FWD_OUT_MAX) {
			fwd_timer_set(s, fwd_cfg(s)->client_idle_ms);
			return;
		}
		if (++n == FWD_HIT_BURST) {
			fwd_resume_soon(s);
			return;
		}
	}
}

/* Move request body bytes from cli_in to up_out while there is room, and
 * on to the upstream's TCP; again while TCP takes them all. */
void
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
					fwd_resume_soon(s);
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
				if (fwd_cfg(s)->max_body_bytes != 0 &&
				    s->req_body_bytes >
				        fwd_cfg(s)->max_body_bytes) {
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
		fwd_up_flush(s);
	} while (s->up_out == NULL && s->cli_in != NULL &&
	         !(s->flags & SF_REQ_DONE) && s->state == ST_FORWARD &&
	         ++rounds < 64);
	/* The origin is not expected to answer before it has the request:
	 * the read timeout counts from the last byte of it that moved. */
	if (moved && s->state == ST_FORWARD && !(s->flags & SF_RESP_HEAD))
		fwd_read_timer_set(s);
}

/* ---- responses ---- */

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
	int rc;

	if (!fwd_head_worth_parsing(s, s->up_in))
		return false;
	buf = proxy_chain_flat(s->up_in, fc->scratch, fc->scratch_cap, &len);
	http_msg_init(msg, false, (enum http_method)s->req_method);
	rc = http_parse_head(msg, buf, len, &lim);
	if (rc == HTTP_AGAIN)
		return false;
	fwd_head_reset(s);
	if (rc == HTTP_ERROR || msg->status == 101) {
		s->rev_outcome = LB_FAIL;
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
			m = fwd_write_response_head(s, msg, buf, false);
		proxy_chain_trim(&s->up_in, msg->head_len);
		tcp_recved(s->up, msg->head_len);
		if (m != NULL) {
			fwd_cli_queue(s, m);
			fc->cnt->fwd_continue++;
			s->l->cnt.responses_1xx++;
		} else if (s->flags & SF_CLI_HTTP10) {
			fc->cnt->fwd_continue_dropped++;
		} /* else no mbuf: fwd_hw_done() counted it */
		fwd_cli_flush(s);
		return s->up_in != NULL;
	}
	/* a validation's 304 (or 5xx within stale-if-error) answered from
	 * the stored object (fwd_cache_reval.c) */
	s->rev_outcome = msg->status >= 500 ? LB_5XX : LB_OK;
	fwd_rev_head(s); /* a reverse listener's: time_to_head */
	if (s->reval != NULL && fwd_cache_reval_response(s, msg, buf))
		return true;
	m = fwd_response_final(s, msg, buf);
	if (m == NULL)
		return false;
	proxy_chain_trim(&s->up_in, msg->head_len);
	tcp_recved(s->up, msg->head_len);
	fwd_cli_queue(s, m);
	fwd_fill_self_start(s); /* a fill: the client served from it */
	return true;
}

struct rte_mbuf *
fwd_response_final(struct fwd_session *s, const struct http_msg *msg,
                   const char *buf)
{
	struct fwd_ctx *fc = s->l->fc;
	struct http_limits lim = s->l->lim;
	struct rte_mbuf *m;
	bool close;
	int i;

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
		return NULL;
	}
	close = (s->flags & (SF_CLOSE_CLI | SF_DECHUNK)) ||
	        msg->body_kind == HTTP_BODY_EOF;
	/* Storing is decided before the client's head is written: its
	 * Cache-Status says "stored" (fwd_cache_status_miss()). */
	fwd_cache_response(s, msg, buf);
	m = fwd_write_response_head(s, msg, buf, close);
	if (m == NULL) {
		fwd_cache_fill_end(s, false);
		fwd_error(s, 503, ALOG_TCP_MISS, "out of buffers");
		return NULL;
	}
	if (close)
		s->flags |= SF_CLOSE_CLI;
	if (msg->version_minor == 1 && !(msg->flags & HTTP_F_CONN_CLOSE) &&
	    msg->body_kind != HTTP_BODY_EOF && !(s->flags & SF_UP_FIN))
		s->flags |= SF_UP_KEEP;
	if (s->txn != NULL) {
		s->txn->rec.status = msg->status;
		s->txn->rec.result = fwd_cache_miss_result(s, msg->status);
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
	return m;
}

/* The response is all read from the origin: its leg parked or closed. */
void
fwd_up_release(struct fwd_session *s)
{
	if (s->up != NULL) {
		/* Never one that sent FIN: the next request would meet a
		 * closed connection. */
		if ((s->flags & SF_UP_KEEP) && (s->flags & SF_REQ_DONE) &&
		    !(s->flags & SF_UP_FIN) && s->up_in == NULL &&
		    s->up_out == NULL)
			fwd_idle_put(s);
		else
			fwd_leg_close(&s->up, false);
	}
	rte_pktmbuf_free(s->up_in);
	rte_pktmbuf_free(s->up_out);
	s->up_in = s->up_out = NULL;
}

/* The transaction is over: log it, park or close the upstream, and read
 * the next request or close the client. */
void
fwd_txn_done(struct fwd_session *s)
{
	struct fwd_ctx *fc = s->l->fc;

	fwd_cache_fill_end(s, (s->flags & SF_RESP_DONE) != 0);
	fwd_txn_end(s);
	fwd_retry_drop(s);
	if (!(s->flags & SF_REQ_DONE))
		s->flags |= SF_CLOSE_CLI; /* the rest of its body: unreadable */
	fwd_up_release(s);
	if (s->cli == NULL) { /* a fill that went on after its client */
		fwd_session_end(s, false);
		return;
	}
	if (s->flags & SF_CLOSE_CLI) {
		fwd_drain(s, fwd_cfg(s)->client_idle_ms);
		return;
	}
	s->state = ST_HEAD;
	s->flags &= (uint16_t)SF_CLI_FIN;
	if (s->cli_in != NULL)
		fc->cnt->fwd_pipelined++;
	fwd_request(s);
}

/* State ST_FORWARD: the response's head, then its body to the client. */
void
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
			fwd_resume_soon(s);
			return;
		}
		if (!fwd_response_head(s))
			break;
	}
	if (s->state != ST_FORWARD || !(s->flags & SF_RESP_HEAD))
		return;
	if (s->flags & SF_FILL_SELF) {
		fwd_fill_self(s);
		return;
	}
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
					fwd_resume_soon(s);
					break;
				}
				tcp_recved(s->up, used);
				fwd_cache_body(s, part);
				fwd_cli_queue(s, part);
			}
			if (rc == HTTP_OK)
				s->flags |= SF_RESP_DONE;
			else if (used == 0)
				break;
		}
		fwd_cli_flush(s);
	} while (s->cli_out == NULL && s->up_in != NULL &&
	         !(s->flags & SF_RESP_DONE) && ++guard < 64);
	/* A body that ends with the connection: the FIN came, all passed. */
	if (!(s->flags & SF_RESP_DONE) && s->up_in == NULL &&
	    (s->flags & SF_UP_FIN) && http_body_eof(&s->resp_body))
		s->flags |= SF_RESP_DONE;
	fwd_cli_flush(s);
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
void
fwd_fin_pending(struct fwd_session *s)
{
	if (s->state != ST_FORWARD || !(s->flags & SF_UP_FIN))
		return;
	s->flags &= (uint32_t)~SF_UP_KEEP;
	/* served from the object: it ends when the client has it all */
	if ((s->flags & (SF_FILL_SELF | SF_RESP_DONE)) ==
	    (SF_FILL_SELF | SF_RESP_DONE))
		return;
	if ((s->flags & SF_RESP_HEAD) && s->up_in == NULL &&
	    http_body_eof(&s->resp_body)) {
		s->flags |= SF_RESP_DONE;
		fwd_cli_flush(s);
		fwd_txn_done(s);
		return;
	}
	if (s->up_in != NULL && ((s->flags & (SF_RESP_HEAD | SF_RESUME)) ||
	                         proxy_chain_len(s->cli_out) >= FWD_OUT_MAX))
		return; /* the rest goes as the client makes room */
	if (!(s->flags & SF_RESP_HEAD)) {
		if (fwd_retry(s))
			return;
		s->l->fc->cnt->fwd_err_502_response++;
		fwd_error(s, 502, ALOG_TCP_MISS,
		          "the origin closed the connection without a "
		          "complete response");
		return;
	}
	s->l->fc->cnt->fwd_aborted++;
	fwd_session_end(s, true);
}
