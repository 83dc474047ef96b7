/*
 * The forward proxy's proxy authentication (issue 13 item 3).  A listener
 * with auth-users wants valid Basic credentials in Proxy-Authorization on
 * every request, before the access rules (which then see the user and
 * its groups) and before the cache.  The worker never runs crypt(3): it
 * looks the credential up in its verification cache (lib/auth), and on a
 * miss hands it to the verifier thread and parks the request (ST_AUTH,
 * its head kept in cli_in, the header timeout running).  The answer,
 * polled every loop, goes into the cache and the head is parsed again
 * with it (SF_AUTH_AGAIN).  Answers:
 *   - no Proxy-Authorization, another scheme, an unknown user or a wrong
 *     password: 407 with Proxy-Authenticate: Basic realm="..." (RFC 9110
 *     11.7.1, RFC 7617: a client may try again with other credentials);
 *   - a Basic credential that cannot be decoded (bad base64, no ':', an
 *     empty user, controls, over the bounds) or two Proxy-Authorization
 *     fields: 400, a malformed request (RFC 9110 15.5.1);
 *   - the verifier's queue full, or no answer within
 *     timeout-client-header-ms: 503 with Retry-After: 1 (the credentials
 *     were not judged: a 407 would make a browser ask its user again).
 * Every answer closes the connection (fwd_reply()).  Proxy-Authorization
 * is hop-by-hop (fwd_head.c drops it) and never logged; the user is.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "auth/auth.h"
#include "common/gh_common.h"
#include "fwd_priv.h"
#include "http/http.h"

#define FWD_AUTH_BURST 32 /* answers taken per loop */

/* 407 with the listener's realm. */
static void
fwd_auth_407(struct fwd_session *s, const char *why)
{
	char extra[CONF_AUTH_REALM_MAX + 64];

	snprintf(
	    extra, sizeof(extra),
	    "Proxy-Authenticate: Basic realm=\"%s\", charset=\"UTF-8\"\r\n",
	    fwd_cfg(s)->auth_realm);
	s->l->fc->cnt->fwd_auth_407++;
	fwd_error_extra(s, 407, ALOG_TCP_DENIED, why, extra);
}

static void
fwd_auth_503(struct fwd_session *s, const char *why)
{
	fwd_error_extra(s, 503, ALOG_TCP_DENIED, why, "Retry-After: 1\r\n");
}

/* Verified: user <idx> of the listener's table. */
static enum fwd_auth_result
fwd_auth_ok(struct fwd_session *s, uint32_t idx)
{
	const struct auth_user *u = auth_user_at(fwd_cfg(s)->auth, idx);

	s->auth_user = (int32_t)idx;
	s->auth_user_gen = auth_users_gen(fwd_cfg(s)->auth);
	s->l->fc->cnt->fwd_auth_ok++;
	if (s->txn != NULL)
		alog_field_set(s->txn->rec.user, sizeof(s->txn->rec.user),
		               u->name.p, u->name.len);
	return FWD_AUTH_OK;
}

/* A miss: the credential to the verifier, the request parked. */
static enum fwd_auth_result
fwd_auth_submit(struct fwd_session *s, const struct auth_cred *cred,
                uint64_t key)
{
	struct fwd_ctx *fc = s->l->fc;
	struct auth_job j = {.users = fwd_cfg(s)->auth,
	                     .key = key,
	                     .cookie = (uint64_t)(uintptr_t)s,
	                     .seq = fc->auth_seq + 1,
	                     .cred = *cred};
	int rc = -ENOBUFS;

	if (fc->p.auth != NULL)
		rc = auth_verify_submit(fc->p.auth, fc->p.auth_queue, &j);
	explicit_bzero(&j.cred, sizeof(j.cred));
	if (rc < 0) {
		fc->cnt->fwd_auth_queue_full++;
		fwd_auth_503(s, "credentials cannot be checked now; try again");
		return FWD_AUTH_REPLIED;
	}
	s->auth_seq = ++fc->auth_seq;
	s->state = ST_AUTH;
	fwd_timer_set(s, fwd_cfg(s)->client_header_ms);
	return FWD_AUTH_WAIT;
}

/* The verdict <user_idx> (< 0: refused) on the request of <s>. */
static enum fwd_auth_result
fwd_auth_verdict(struct fwd_session *s, int32_t user_idx)
{
	if (user_idx >= 0)
		return fwd_auth_ok(s, (uint32_t)user_idx);
	s->l->fc->cnt->fwd_auth_failed++;
	fwd_auth_407(s, "the user name or password is not valid");
	return FWD_AUTH_REPLIED;
}

/* The decoded credential <cred> of a listener with users: the verdict the
 * verifier gave it (<again>: the answer that resumed the session), the
 * cache's, or a job for the verifier. */
static enum fwd_auth_result
fwd_auth_judge(struct fwd_session *s, const struct auth_cred *cred, bool again)
{
	struct fwd_ctx *fc = s->l->fc;
	uint64_t key, gen;
	uint32_t idx = 0;

	key = auth_cache_key(fc->auth_cache, cred);
	gen = auth_users_gen(fwd_cfg(s)->auth);
	if (again && s->auth_key == key && s->auth_gen == gen)
		return fwd_auth_verdict(s, s->auth_verdict);
	switch (
	    auth_cache_lookup(fc->auth_cache, key, gen, fwd_now_ms(fc), &idx)) {
	case AUTH_CACHE_OK:
		fc->cnt->fwd_auth_cache_hits++;
		return fwd_auth_ok(s, idx);
	case AUTH_CACHE_BAD:
		fc->cnt->fwd_auth_cache_hits++;
		return fwd_auth_verdict(s, -1);
	default:
		fc->cnt->fwd_auth_cache_misses++;
		return fwd_auth_submit(s, cred, key);
	}
}

enum fwd_auth_result
fwd_auth_request(struct fwd_session *s, const struct http_msg *msg,
                 const char *buf)
{
	struct auth_users *users = fwd_cfg(s)->auth;
	struct fwd_ctx *fc = s->l->fc;
	enum fwd_auth_result res;
	struct auth_cred cred;
	bool again;
	int i, rc;

	again = (s->flags & SF_AUTH_AGAIN) != 0;
	s->flags &= (uint32_t)~SF_AUTH_AGAIN;
	s->auth_user = -1;
	if (users == NULL)
		return FWD_AUTH_OK;
	i = http_hdr_find(msg, buf, "proxy-authorization", 0);
	if (i < 0) {
		fwd_auth_407(s, "proxy authentication is required");
		return FWD_AUTH_REPLIED;
	}
	if (http_hdr_find(msg, buf, "proxy-authorization", (unsigned)i + 1) >=
	    0) {
		fc->cnt->fwd_auth_invalid++;
		fwd_error(s, 400, ALOG_TAG_NONE,
		          "more than one Proxy-Authorization field");
		return FWD_AUTH_REPLIED;
	}
	rc = auth_basic_parse(buf + msg->hdr[i].value.off,
	                      msg->hdr[i].value.len, &cred);
	if (rc == -ENOENT) {
		fwd_auth_407(s, "only Basic proxy authentication is offered");
		return FWD_AUTH_REPLIED;
	}
	if (rc < 0) {
		fc->cnt->fwd_auth_invalid++;
		fwd_error(s, 400, ALOG_TAG_NONE,
		          "malformed Basic credentials in Proxy-Authorization");
		return FWD_AUTH_REPLIED;
	}
	res = fwd_auth_judge(s, &cred, again);
	explicit_bzero(&cred, sizeof(cred));
	return res;
}

enum fwd_auth_result
fwd_auth_cred(struct fwd_session *s, const struct auth_cred *cred)
{
	bool again = (s->flags & SF_AUTH_AGAIN) != 0;

	s->flags &= (uint32_t)~SF_AUTH_AGAIN;
	s->auth_user = -1;
	GH_VERIFY(fwd_cfg(s)->auth != NULL);
	return fwd_auth_judge(s, cred, again);
}

unsigned
fwd_auth_poll(struct fwd_ctx *fc)
{
	struct auth_answer a[FWD_AUTH_BURST];
	struct fwd_session *s;
	unsigned n, i;

	if (fc->p.auth == NULL)
		return 0;
	n = auth_verify_drain(fc->p.auth, fc->p.auth_queue, a, FWD_AUTH_BURST);
	for (i = 0; i < n; i++) {
		auth_cache_put(fc->auth_cache, a[i].key, a[i].users_gen,
		               fwd_now_ms(fc), a[i].user_idx);
		/* sessions are pool objects: the memory outlives the
		 * session, and the number tells whether it still waits */
		s = (struct fwd_session *)(uintptr_t)a[i].cookie;
		if (s->magic != FWD_SESSION_MAGIC || s->state != ST_AUTH ||
		    s->auth_seq != a[i].seq)
			continue; /* the client went, or the wait timed out */
		fwd_timer_stop(s);
		s->state = ST_HEAD;
		s->flags |= SF_AUTH_AGAIN;
		s->auth_key = a[i].key;
		s->auth_gen = a[i].users_gen;
		s->auth_verdict = a[i].user_idx;
		fwd_request(s);
	}
	return n;
}

void
fwd_auth_timeout(struct fwd_session *s)
{
	GH_VERIFY(s->state == ST_AUTH);
	s->l->fc->cnt->fwd_auth_timeout++;
	s->state = ST_HEAD; /* no answer will find it */
	fwd_auth_503(s, "credentials could not be checked in time");
}
