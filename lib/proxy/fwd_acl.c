/*
 * The forward proxy's calls to lib/acl (issue 13): the request stage judges
 * a parsed request head by its listener's compiled rules (conf_forward.acl,
 * built by lib/conf) before the cache is looked at, so a denied request is
 * never answered from the cache; a verdict that needs the destination
 * address (a dst acl was reached) is judged again in fwd_connect() with the
 * address actually connected to, the literal or the one DNS gave, from
 * what the session keeps of the request (lib/conf refuses rules that would
 * need more).  A deny is a 403 with the rule's config line in the page and
 * TCP_DENIED in the access log.  One acl_scratch per worker (fwd_ctx).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "acl/acl.h"
#include "auth/auth.h"
#include "common/gh_common.h"
#include "fwd_priv.h"
#include "http/http.h"

/* The request head a header acl looks into. */
struct fwd_acl_head {
	const struct http_msg *msg;
	const char *buf;
};

static int
fwd_acl_header(const void *ctx, const char *name, size_t name_len,
               const char **val, size_t *val_len)
{
	const struct fwd_acl_head *h = ctx;
	char lname[ACL_NAME_ARG_MAX_BYTES + 1];
	size_t i;
	int idx;

	if (name_len > ACL_NAME_ARG_MAX_BYTES)
		return -ENOENT;
	for (i = 0; i < name_len; i++)
		lname[i] = (char)tolower((unsigned char)name[i]);
	lname[name_len] = '\0';
	idx = http_hdr_find(h->msg, h->buf, lname, 0);
	if (idx < 0)
		return -ENOENT;
	*val = h->buf + h->msg->hdr[idx].value.off;
	*val_len = h->msg->hdr[idx].value.len;
	return 0;
}

/* Seconds since Sunday 00:00 local time, from the worker's wall clock
 * and the UTC offset taken at start (1970-01-01 was a Thursday). */
static uint32_t
fwd_acl_week_sec(const struct fwd_ctx *fc)
{
	int64_t now_s = fc->wall0_s + (int64_t)(fwd_now_ms(fc) / 1000) +
	                fc->acl_utc_off_s + 4 * 86400;
	int64_t w = now_s % (7 * 86400);

	return (uint32_t)(w < 0 ? w + 7 * 86400 : w);
}

/* What every check of session <s> shares: the client, port, time, and
 * the verified user with its groups (names into <groups>, which lives as
 * long as <r>). */
static void
fwd_acl_req_init(struct fwd_session *s, struct acl_req *r,
                 struct acl_str groups[ACL_REQ_GROUPS_MAX])
{
	struct fwd_ctx *fc = s->l->fc;
	const struct auth_user *u;
	struct tcp_flow_key k;
	uint32_t i;

	memset(r, 0, sizeof(*r));
	tcp_conn_key(s->cli, &k);
	r->src_ip = ntohl(k.remote_ip_be);
	r->dst_port = ntohs(s->dst_port_be);
	r->week_sec = fwd_acl_week_sec(fc);
	r->scratch = fc->acl_scratch;
	/* no user, or one of another table (the listener's settings
	 * changed since): user and group acls never match */
	if (fwd_cfg(s)->auth == NULL || s->auth_user < 0 ||
	    auth_users_gen(fwd_cfg(s)->auth) != s->auth_user_gen)
		return;
	u = auth_user_at(fwd_cfg(s)->auth, (uint32_t)s->auth_user);
	r->flags |= ACL_REQ_USER;
	r->user = (struct acl_str){u->name.p, u->name.len};
	for (i = 0; i < u->n_groups && i < ACL_REQ_GROUPS_MAX; i++)
		groups[i] = (struct acl_str){u->groups[i].p, u->groups[i].len};
	r->groups = groups;
	r->n_groups = i;
}

/* Answers 403 for verdict <v>. */
static void
fwd_acl_deny(struct fwd_session *s, const struct acl_verdict *v)
{
	char why[96];

	if (v->reason == ACL_R_RULE)
		snprintf(why, sizeof(why),
		         "access denied (http-access rule at line %u)",
		         (unsigned)v->line);
	else if (v->reason == ACL_R_DEFAULT)
		snprintf(why, sizeof(why), "access denied (no rule allows it)");
	else
		snprintf(why, sizeof(why),
		         "access denied (the request could not be judged)");
	fwd_error(s, 403, ALOG_TCP_DENIED, why);
}

enum fwd_acl_result
fwd_acl_request(struct fwd_session *s, const struct http_msg *msg,
                const char *buf)
{
	const struct acl_set *set = fwd_cfg(s)->acl;
	struct fwd_acl_head h = {.msg = msg, .buf = buf};
	struct acl_str groups[ACL_REQ_GROUPS_MAX];
	struct acl_verdict v;
	struct acl_req r;

	if (set == NULL)
		return FWD_ACL_ALLOW; /* no rules given: allow-src at accept */
	s->dst_port_be = htons(msg->port);
	fwd_acl_req_init(s, &r, groups);
	r.method =
	    (struct acl_str){buf + msg->method_str.off, msg->method_str.len};
	if (!(s->flags & SF_CONNECT))
		r.scheme =
		    (struct acl_str){buf + msg->scheme.off, msg->scheme.len};
	r.host = (struct acl_str){buf + msg->host.off, msg->host.len};
	r.url = (struct acl_str){buf + msg->target.off, msg->target.len};
	r.header = fwd_acl_header;
	r.header_ctx = &h;
	acl_check(set, &r, &v);
	if (v.action == ACL_ALLOW)
		return FWD_ACL_ALLOW;
	if (v.reason == ACL_R_NEED_DST) {
		s->flags |= SF_ACL_DST;
		return FWD_ACL_NEED_DST;
	}
	s->l->fc->cnt->fwd_acl_denied++;
	fwd_acl_deny(s, &v);
	return FWD_ACL_DENIED;
}

bool
fwd_acl_dst(struct fwd_session *s)
{
	const struct acl_set *set = fwd_cfg(s)->acl;
	const char *method = http_method_name((enum http_method)s->req_method);
	struct acl_str groups[ACL_REQ_GROUPS_MAX];
	struct acl_verdict v;
	struct acl_req r;

	GH_VERIFY(set != NULL && (s->flags & SF_ACL_DST));
	fwd_acl_req_init(s, &r, groups);
	r.flags |= ACL_REQ_DST;
	r.dst_ip = ntohl(s->dst_ip_be);
	r.method = (struct acl_str){method, strlen(method)};
	if (!(s->flags & SF_CONNECT))
		r.scheme = (struct acl_str){"http", 4};
	acl_check(set, &r, &v);
	if (v.action == ACL_ALLOW)
		return true;
	s->l->fc->cnt->fwd_acl_denied++;
	s->l->fc->cnt->fwd_acl_denied_dst++;
	fwd_acl_deny(s, &v);
	return false;
}
