/*
 * The SOCKS5 server (RFC 1928, RFC 1929; issue 15): a `mode socks`
 * listener is a forward listener whose sessions speak SOCKS instead of
 * HTTP until the tunnel is up.  Everything after the request is the
 * forward proxy's CONNECT, shared code and all: the access rules
 * (fwd_acl.c, the request judged as "CONNECT host:port"), the verifier
 * thread for passwords (fwd_auth.c: never crypt(3) on the worker), lib/dns,
 * the refused destinations and the connect (fwd_upstream.c), the splice
 * with backpressure and half-close (fwd_session.c over proxy_splice), the
 * access-log record and the timers.  What is SOCKS's own is here:
 *
 *   - the handshake in ST_HEAD, one phase at a time (greeting, the
 *     username/password sub-negotiation when the listener has users,
 *     the request), each message parsed by socks_wire.c from a flat copy
 *     of at most SOCKS_MSG_MAX bytes of cli_in: an unfinished message
 *     is held whole in the TCP receive queue (never released, so never
 *     more than a window), a malformed one is answered where the
 *     protocol has an answer and the connection closed;
 *   - the replies: the forward proxy's errors arrive here as HTTP
 *     statuses (fwd_error) and become reply codes, with the cause the
 *     upstream code noted (s->socks_rep) where a status says too little
 *     (02 for 403; 03, 04, 05 for the connect's and DNS's failures; 06
 *     for a timeout; 01 otherwise); the success reply carries the
 *     upstream leg's own address and port;
 *   - bytes the client sent behind its request (optimistic data) stay
 *     in cli_in and go upstream first once connected (fwd_upstream.c).
 *
 * The access-log record of a session: method "SOCKS5", the destination
 * as host:port, the verified user, bytes each way, and as its status the
 * reply code sent (0 succeeded .. 8), or 255 when none was (refused
 * method, failed sub-negotiation, malformed greeting, timeout).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <rte_mbuf.h>

#include "auth/auth.h"
#include "common/gh_common.h"
#include "fwd_priv.h"
#include "socks_wire.h"

#define SOCKS_LOG_NO_REPLY 255 /* the record's status: no reply code */

/* Copy the first bytes of chain <q>, at most <cap>: their count. */
static uint32_t
socks_peek(const struct rte_mbuf *q, uint8_t *buf, uint32_t cap)
{
	uint32_t n = 0;

	for (; q != NULL && n < cap; q = q->next) {
		uint32_t k = q->data_len;

		if (k > cap - n)
			k = cap - n;
		memcpy(buf + n, rte_pktmbuf_mtod(q, const uint8_t *), k);
		n += k;
	}
	return n;
}

/* Queue <n> bytes of our own for the client.  False when no mbuf. */
static bool
socks_send(struct fwd_session *s, const uint8_t *p, uint32_t n)
{
	struct fwd_ctx *fc = s->l->fc;
	struct fwd_head_writer w = {.pool = fc->p.pool};
	struct rte_mbuf *m;

	fwd_hw_put(&w, p, n);
	m = fwd_hw_done(&w, fc->cnt);
	if (m == NULL)
		return false;
	fwd_cli_queue(s, m);
	fwd_cli_flush(s);
	return true;
}

/* The message of <n> bytes at the head of cli_in was read. */
static void
socks_consume(struct fwd_session *s, uint32_t n)
{
	proxy_chain_trim(&s->cli_in, n);
	tcp_recved(s->cli, n);
	if (s->txn != NULL)
		s->txn->rec.bytes_from_client += n;
}

static void
socks_log_url(struct fwd_session *s, const char *url)
{
	if (s->txn != NULL)
		alog_field_set(s->txn->rec.url, sizeof(s->txn->rec.url), url,
		               strlen(url));
}

/* The session ends after <reply> (n bytes, or none) reaches the client:
 * logged with <status> and <result>, the client closed gracefully. */
static void
socks_finish(struct fwd_session *s, const uint8_t *reply, uint32_t n,
             unsigned status, enum alog_result result)
{
	struct fwd_ctx *fc = s->l->fc;

	if (s->dw.query != NULL)
		dns_cancel(fc->p.dns, &s->dw);
	rte_pktmbuf_free(s->up_out);
	s->up_out = NULL;
	rte_pktmbuf_free(s->up_in);
	s->up_in = NULL;
	fwd_leg_close(&s->up, true);
	if (n > 0)
		(void)socks_send(s, reply, n); /* no mbuf: the close says it */
	if (s->txn != NULL) {
		s->txn->rec.status = (uint16_t)status;
		s->txn->rec.result = (uint8_t)result;
	}
	s->flags |= SF_RESP_HEAD | SF_RESP_DONE | SF_CLOSE_CLI;
	fwd_txn_end(s);
	fwd_drain(s, FWD_LINGER_MS);
}

/* Count reply <rep> sent. */
static void
socks_count_rep(struct proxy_counters *cnt, enum socks_rep rep)
{
	switch (rep) {
	case SOCKS_REP_GENERAL:
		cnt->socks_rep_general++;
		break;
	case SOCKS_REP_NOT_ALLOWED:
		cnt->socks_rep_not_allowed++;
		break;
	case SOCKS_REP_NET_UNREACH:
		cnt->socks_rep_net_unreach++;
		break;
	case SOCKS_REP_HOST_UNREACH:
		cnt->socks_rep_host_unreach++;
		break;
	case SOCKS_REP_REFUSED:
		cnt->socks_rep_refused++;
		break;
	case SOCKS_REP_TTL_EXPIRED:
		cnt->socks_rep_ttl_expired++;
		break;
	case SOCKS_REP_CMD:
		cnt->socks_rep_cmd++;
		break;
	case SOCKS_REP_ATYP:
		cnt->socks_rep_atyp++;
		break;
	default:
		break;
	}
}

/* Answer the request with failure <rep> and close. */
static void
socks_reply_fail(struct fwd_session *s, enum socks_rep rep,
                 enum alog_result result)
{
	uint8_t r[SOCKS_REPLY_LEN];

	socks_count_rep(s->l->fc->cnt, rep);
	socks_finish(s, r, (uint32_t)socks_reply_write(r, rep, 0, 0),
	             (unsigned)rep, result);
}

/* The sub-negotiation failed: 01 01 (RFC 1929 section 2) and close. */
static void
socks_auth_refuse(struct fwd_session *s)
{
	static const uint8_t fail[2] = {SOCKS_AUTH_VERSION, 1};

	s->l->fc->cnt->socks_auth_failed++;
	socks_finish(s, fail, sizeof(fail), SOCKS_LOG_NO_REPLY,
	             ALOG_TCP_DENIED);
}

/* The reply code for the forward proxy's error <status>. */
static enum socks_rep
socks_rep_of(const struct fwd_session *s, unsigned status)
{
	if (s->socks_rep != SOCKS_REP_OK)
		return (enum socks_rep)s->socks_rep;
	switch (status) {
	case 403:
		return SOCKS_REP_NOT_ALLOWED;
	case 504:
		return SOCKS_REP_TTL_EXPIRED;
	default:
		return SOCKS_REP_GENERAL;
	}
}

void
fwd_socks_fail(struct fwd_session *s, unsigned status, enum alog_result result)
{
	if (s->flags & SF_RESP_HEAD) { /* the tunnel runs: nothing to say */
		s->l->fc->cnt->fwd_aborted++;
		fwd_session_end(s, true);
		return;
	}
	switch (s->socks_phase) {
	case FWD_SOCKS_AUTH: /* the verifier is busy or late (503) */
		socks_auth_refuse(s);
		return;
	case FWD_SOCKS_CONNECT:
		socks_reply_fail(s, socks_rep_of(s, status), result);
		return;
	default:
		socks_finish(s, NULL, 0, SOCKS_LOG_NO_REPLY, result);
		return;
	}
}

bool
fwd_socks_ready(struct fwd_session *s)
{
	struct fwd_ctx *fc = s->l->fc;
	struct tcp_flow_key k;
	uint8_t r[SOCKS_REPLY_LEN];

	tcp_conn_key(s->up, &k);
	(void)socks_reply_write(r, SOCKS_REP_OK, k.local_ip_be,
	                        k.local_port_be);
	if (!socks_send(s, r, sizeof(r)))
		return false;
	if (s->txn != NULL) {
		s->txn->rec.status = SOCKS_REP_OK;
		s->txn->rec.result = ALOG_TCP_TUNNEL;
	}
	fc->cnt->socks_connected++;
	return true;
}

void
fwd_socks_timeout(struct fwd_session *s)
{
	s->l->fc->cnt->socks_handshake_timeout++;
	if (s->txn != NULL && s->txn->rec.url[0] == '\0')
		socks_log_url(s, "error:handshake-timeout");
	socks_finish(s, NULL, 0, SOCKS_LOG_NO_REPLY, ALOG_TAG_NONE);
}

/* The client's FIN came with <n> bytes of an unfinished message: it can
 * never be finished. */
static bool
socks_cut_short(struct fwd_session *s, uint32_t n)
{
	if (!(s->flags & SF_CLI_FIN))
		return false;
	if (n > 0) {
		s->l->fc->cnt->socks_truncated++;
		socks_log_url(s, "error:truncated");
	}
	socks_finish(s, NULL, 0, SOCKS_LOG_NO_REPLY, ALOG_TAG_NONE);
	return true;
}

/* The greeting: choose 02 when the listener has users, else 00. */
static bool
socks_greeting(struct fwd_session *s, const uint8_t *buf, uint32_t n)
{
	struct proxy_counters *cnt = s->l->fc->cnt;
	struct socks_greeting g;
	uint8_t choice[2] = {SOCKS_VERSION, SOCKS_M_REFUSED};
	size_t used = 0;
	int rc;

	rc = socks_greeting_parse(buf, n, &g, &used);
	if (rc == SOCKS_MORE) {
		(void)socks_cut_short(s, n);
		return false;
	}
	if (rc < 0) {
		socks_log_url(s, "error:bad-greeting");
		if (rc == SOCKS_E_VERSION) { /* not SOCKS5: no answer of ours
			                         means anything to it */
			cnt->socks_bad_version++;
			socks_finish(s, NULL, 0, SOCKS_LOG_NO_REPLY,
			             ALOG_TAG_NONE);
			return false;
		}
		cnt->socks_bad_greeting++;
		socks_finish(s, choice, sizeof(choice), SOCKS_LOG_NO_REPLY,
		             ALOG_TAG_NONE);
		return false;
	}
	socks_consume(s, (uint32_t)used);
	if (fwd_cfg(s)->auth != NULL ? !g.userpass : !g.no_auth) {
		cnt->socks_no_method++;
		socks_log_url(s, "error:no-acceptable-method");
		socks_finish(s, choice, sizeof(choice), SOCKS_LOG_NO_REPLY,
		             ALOG_TCP_DENIED);
		return false;
	}
	if (fwd_cfg(s)->auth != NULL) {
		choice[1] = SOCKS_M_USERPASS;
		s->socks_phase = FWD_SOCKS_AUTH;
	} else {
		choice[1] = SOCKS_M_NONE;
		s->socks_phase = FWD_SOCKS_REQUEST;
	}
	if (!socks_send(s, choice, sizeof(choice))) {
		fwd_session_end(s, true);
		return false;
	}
	return true;
}

/* The username/password sub-negotiation, judged as proxy auth's Basic
 * credentials are (fwd_auth_cred): from the worker's cache, or by the
 * verifier thread while the session waits in ST_AUTH with the message
 * still in cli_in (parsed again when the answer comes). */
static bool
socks_userpass(struct fwd_session *s, const uint8_t *buf, uint32_t n)
{
	struct socks_userpass u;
	struct auth_cred cred;
	enum fwd_auth_result res;
	size_t used = 0;
	int rc;

	rc = socks_userpass_parse(buf, n, &u, &used);
	if (rc == SOCKS_MORE) {
		(void)socks_cut_short(s, n);
		return false;
	}
	if (rc < 0) {
		socks_log_url(s, "error:bad-auth");
		if (rc == SOCKS_E_VERSION)
			s->l->fc->cnt->socks_bad_version++;
		else
			s->l->fc->cnt->socks_bad_auth++;
		socks_finish(s, (const uint8_t[]){SOCKS_AUTH_VERSION, 1}, 2,
		             SOCKS_LOG_NO_REPLY, ALOG_TAG_NONE);
		return false;
	}
	if (u.user_len > AUTH_USER_MAX_BYTES ||
	    u.pass_len > AUTH_PASS_MAX_BYTES ||
	    memchr(u.user, ':', u.user_len) != NULL) {
		/* no user of the table has such a name or password */
		s->flags &= (uint32_t)~SF_AUTH_AGAIN;
		socks_log_url(s, "error:auth-failed");
		socks_auth_refuse(s);
		return false;
	}
	memset(&cred, 0, sizeof(cred));
	cred.user_len = u.user_len;
	cred.pass_len = u.pass_len;
	memcpy(cred.buf, u.user, u.user_len);
	cred.buf[u.user_len] = ':';
	memcpy(cred.buf + u.user_len + 1, u.pass, u.pass_len);
	res = fwd_auth_cred(s, &cred);
	explicit_bzero(&cred, sizeof(cred));
	if (res == FWD_AUTH_WAIT)
		return false; /* ST_AUTH: fwd_auth_poll() resumes */
	if (res == FWD_AUTH_REPLIED)
		return false; /* refused: fwd_socks_fail() answered */
	s->l->fc->cnt->socks_auth_ok++;
	socks_consume(s, (uint32_t)used);
	s->socks_phase = FWD_SOCKS_REQUEST;
	if (!socks_send(s, (const uint8_t[]){SOCKS_AUTH_VERSION, 0}, 2)) {
		fwd_session_end(s, true);
		return false;
	}
	return true;
}

/* The request: CONNECT goes the forward proxy's way; the rest is
 * answered here. */
static void
socks_request(struct fwd_session *s, const uint8_t *buf, uint32_t n)
{
	struct fwd_ctx *fc = s->l->fc;
	struct socks_request r;
	char url[sizeof(r.host) + 48];
	size_t used = 0;
	int rc;

	rc = socks_request_parse(buf, n, &r, &used);
	if (rc == SOCKS_MORE) {
		(void)socks_cut_short(s, n);
		return;
	}
	fc->cnt->socks_requests++;
	s->l->cnt.requests++;
	s->socks_phase = FWD_SOCKS_CONNECT; /* a reply answers from here */
	if (rc < 0) {
		socks_log_url(s, "error:bad-request");
		if (rc == SOCKS_E_VERSION)
			fc->cnt->socks_bad_version++;
		else
			fc->cnt->socks_bad_request++;
		socks_reply_fail(
		    s, rc == SOCKS_E_ATYP ? SOCKS_REP_ATYP : SOCKS_REP_GENERAL,
		    ALOG_TAG_NONE);
		return;
	}
	if (r.atyp == SOCKS_ATYP_IPV6) {
		char a[INET6_ADDRSTRLEN];

		inet_ntop(AF_INET6, r.ip6, a, sizeof(a));
		snprintf(url, sizeof(url), "[%s]:%u", a, ntohs(r.port_be));
	} else {
		snprintf(url, sizeof(url), "%s:%u", r.host, ntohs(r.port_be));
	}
	socks_log_url(s, url);
	socks_consume(s, (uint32_t)used);
	if (r.cmd != SOCKS_CMD_CONNECT) {
		socks_reply_fail(s, SOCKS_REP_CMD, ALOG_TAG_NONE);
		return;
	}
	if (r.atyp == SOCKS_ATYP_IPV6) {
		socks_reply_fail(s, SOCKS_REP_ATYP, ALOG_TAG_NONE);
		return;
	}
	if (r.port_be == 0) { /* no service is there: never tried */
		socks_reply_fail(s, SOCKS_REP_NOT_ALLOWED, ALOG_TCP_DENIED);
		return;
	}
	s->flags |= SF_CONNECT;
	s->req_method = HTTP_M_CONNECT;
	s->dst_port_be = r.port_be;
	if (fwd_acl_socks(s, r.host, r.host_len, url) == FWD_ACL_DENIED)
		return;
	fwd_resolve(s, r.host, r.host_len);
}

void
fwd_socks_step(struct fwd_session *s)
{
	uint8_t buf[SOCKS_MSG_MAX];
	unsigned rounds;
	uint32_t n;

	GH_VERIFY(s->state == ST_HEAD);
	/* the verifier's answer stopped the timer (fwd_auth_poll): the
	 * request is timed all the same, one more period */
	if (!gh_wheel_armed(&s->tmr))
		fwd_timer_set(s, fwd_cfg(s)->client_header_ms);
	if (s->txn == NULL) {
		fwd_txn_start(s);
		if (s->txn != NULL)
			alog_field_set(s->txn->rec.method,
			               sizeof(s->txn->rec.method), "SOCKS5", 6);
	}
	/* at most one turn per phase */
	for (rounds = 0; rounds < 3 && s->state == ST_HEAD; rounds++) {
		n = socks_peek(s->cli_in, buf, sizeof(buf));
		switch (s->socks_phase) {
		case FWD_SOCKS_GREETING:
			if (!socks_greeting(s, buf, n))
				return;
			break;
		case FWD_SOCKS_AUTH:
			if (!socks_userpass(s, buf, n))
				return;
			break;
		case FWD_SOCKS_REQUEST:
			socks_request(s, buf, n);
			return;
		default:
			return;
		}
	}
}
