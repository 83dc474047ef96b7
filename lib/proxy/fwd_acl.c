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
#include "conf/conf.h"
#include "fwd_priv.h"
#include "http/http.h"
#include "proxy/fwd_acl.h"

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

bool
fwd_src_accepted(const struct conf_forward *cfg, uint32_t ip_be)
{
	unsigned i;

	if (cfg->n_allow_src == 0)
		return cfg->acl != NULL;
	for (i = 0; i < cfg->n_allow_src; i++)
		if ((ip_be & cfg->allow_src[i].mask_be) ==
		    cfg->allow_src[i].addr_be)
			return true;
	return false;
}

bool
fwd_connect_port_allowed(const struct conf_forward *cfg, uint16_t port)
{
	unsigned i;

	for (i = 0; i < cfg->n_connect_ports; i++)
		if (cfg->connect_ports[i] == port)
			return true;
	return false;
}

/* Who asks in session <s>: the client, the time, the worker's scratch. */
static void
fwd_acl_who_init(struct fwd_session *s, struct fwd_acl_who *who)
{
	struct fwd_ctx *fc = s->l->fc;
	struct tcp_flow_key k;

	/* not a memset: the group slots (512 bytes) are filled as needed */
	who->user = NULL;
	who->groups = NULL;
	who->n_groups = 0;
	tcp_conn_key(s->cli, &k);
	who->src_ip = ntohl(k.remote_ip_be);
	who->week_sec = fwd_acl_week_sec(fc);
	who->scratch = fc->acl_scratch;
	/* no user, or one of another table (the listener's settings
	 * changed since): user and group acls never match */
	if (fwd_cfg(s)->auth == NULL || s->auth_user < 0 ||
	    auth_users_gen(fwd_cfg(s)->auth) != s->auth_user_gen)
		return;
	fwd_acl_who_user(
	    who, auth_user_at(fwd_cfg(s)->auth, (uint32_t)s->auth_user));
}

void
fwd_acl_who_user(struct fwd_acl_who *who, const struct auth_user *u)
{
	uint32_t i;

	who->user_s = (struct acl_str){u->name.p, u->name.len};
	for (i = 0; i < u->n_groups && i < ACL_REQ_GROUPS_MAX; i++)
		who->group_s[i] =
		    (struct acl_str){u->groups[i].p, u->groups[i].len};
	who->user = &who->user_s;
	who->groups = who->group_s;
	who->n_groups = i;
}

/* What every check shares: the client, the user, the time. */
static void
fwd_acl_req_init(const struct fwd_acl_who *who, struct acl_req *r)
{
	memset(r, 0, sizeof(*r));
	r->src_ip = who->src_ip;
	r->week_sec = who->week_sec;
	r->scratch = who->scratch;
	if (who->user != NULL) {
		r->flags |= ACL_REQ_USER;
		r->user = *who->user;
		r->groups = who->groups;
		r->n_groups = who->n_groups;
	}
}

void
fwd_acl_judge_head(const struct acl_set *set, const struct http_msg *msg,
                   const char *buf, const char *url, uint32_t url_len,
                   const struct fwd_acl_who *who, struct acl_verdict *v)
{
	struct fwd_acl_head h = {.msg = msg, .buf = buf};
	struct acl_req r;

	fwd_acl_req_init(who, &r);
	r.dst_port = msg->port;
	r.method =
	    (struct acl_str){buf + msg->method_str.off, msg->method_str.len};
	if (msg->method != HTTP_M_CONNECT)
		r.scheme =
		    (struct acl_str){buf + msg->scheme.off, msg->scheme.len};
	r.host = (struct acl_str){buf + msg->host.off, msg->host.len};
	r.url = url != NULL
	            ? (struct acl_str){url, url_len}
	            : (struct acl_str){buf + msg->target.off, msg->target.len};
	r.header = fwd_acl_header;
	r.header_ctx = &h;
	acl_check(set, &r, v);
}

void
fwd_acl_judge_dst(const struct acl_set *set, const struct fwd_acl_who *who,
                  enum http_method method, bool ftp, uint32_t dst_ip,
                  uint16_t dst_port, struct acl_verdict *v)
{
	const char *name = http_method_name(method);
	struct acl_req r;

	fwd_acl_req_init(who, &r);
	r.flags |= ACL_REQ_DST;
	r.dst_ip = dst_ip;
	r.dst_port = dst_port;
	r.method = (struct acl_str){name, strlen(name)};
	if (method != HTTP_M_CONNECT)
		r.scheme = ftp ? (struct acl_str){"ftp", 3}
		               : (struct acl_str){"http", 4};
	acl_check(set, &r, v);
}

void
fwd_acl_judge_socks(const struct acl_set *set, const struct fwd_acl_who *who,
                    const char *host, uint32_t host_len, uint16_t dst_port,
                    const char *url, struct acl_verdict *v)
{
	struct acl_req r;

	fwd_acl_req_init(who, &r);
	r.dst_port = dst_port;
	r.method = (struct acl_str){"CONNECT", 7};
	r.host = (struct acl_str){host, host_len};
	r.url = (struct acl_str){url, strlen(url)};
	acl_check(set, &r, v); /* no header: header acls never match */
}

/* The verdict's rule in the access-log record of the request. */
static void
fwd_acl_log(struct fwd_session *s, const struct acl_verdict *v)
{
	struct alog_record *rec;

	if (s->txn == NULL)
		return;
	rec = &s->txn->rec;
	rec->acl_line = 0;
	rec->acl_tag = NULL;
	if (v->reason == ACL_R_RULE && v->rule == 0 &&
	    fwd_cfg(s)->acl_implicit_src)
		rec->acl_tag = "implicit:allow-src";
	else if (v->reason == ACL_R_RULE)
		rec->acl_line = v->line;
	else if (v->reason == ACL_R_DEFAULT)
		rec->acl_tag = "default";
	else
		rec->acl_tag = "error"; /* fails closed: host, regex limit */
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

/* What verdict <v> on the request of <s> means: NEED_DST (judged again
 * with the address), or logged and allowed, or denied with a 403. */
static enum fwd_acl_result
fwd_acl_outcome(struct fwd_session *s, const struct acl_verdict *v)
{
	if (v->reason == ACL_R_NEED_DST) {
		s->flags |= SF_ACL_DST;
		return FWD_ACL_NEED_DST;
	}
	fwd_acl_log(s, v);
	if (v->action == ACL_ALLOW)
		return FWD_ACL_ALLOW;
	s->l->fc->cnt->fwd_acl_denied++;
	fwd_acl_deny(s, v);
	return FWD_ACL_DENIED;
}

enum fwd_acl_result
fwd_acl_request(struct fwd_session *s, const struct http_msg *msg,
                const char *buf)
{
	const struct acl_set *set = fwd_cfg(s)->acl;
	struct fwd_acl_who who;
	struct acl_verdict v;
	const char *url = NULL;
	uint32_t url_len = 0;

	if (set == NULL)
		return FWD_ACL_ALLOW; /* no rules given: allow-src at accept */
	s->dst_port_be = htons(msg->port);
	fwd_acl_who_init(s, &who);
	/* reverse: the target as the routes see it and a server reads it
	 * (/%61dmin is /admin); it fits, being no longer than the head */
	if (fwd_cfg(s)->reverse &&
	    memchr(buf + msg->target.off, '%', msg->target.len) != NULL &&
	    msg->target.len <= s->l->fc->scratch_cap) {
		url = s->l->fc->acl_url;
		url_len = (uint32_t)conf_route_path_norm(
		    buf + msg->target.off, msg->target.len, s->l->fc->acl_url,
		    s->l->fc->scratch_cap);
	}
	fwd_acl_judge_head(set, msg, buf, url, url_len, &who, &v);
	return fwd_acl_outcome(s, &v);
}

enum fwd_acl_result
fwd_acl_socks(struct fwd_session *s, const char *host, uint32_t host_len,
              const char *url)
{
	const struct acl_set *set = fwd_cfg(s)->acl;
	struct fwd_acl_who who;
	struct acl_verdict v;

	if (set == NULL)
		return FWD_ACL_ALLOW; /* no rules given: allow-src at accept */
	fwd_acl_who_init(s, &who);
	fwd_acl_judge_socks(set, &who, host, host_len, ntohs(s->dst_port_be),
	                    url, &v);
	return fwd_acl_outcome(s, &v);
}

bool
fwd_acl_dst(struct fwd_session *s)
{
	const struct acl_set *set = fwd_cfg(s)->acl;
	struct fwd_acl_who who;
	struct acl_verdict v;

	GH_VERIFY(set != NULL && (s->flags & SF_ACL_DST));
	fwd_acl_who_init(s, &who);
	fwd_acl_judge_dst(set, &who, (enum http_method)s->req_method,
	                  s->ftp != NULL, ntohl(s->dst_ip_be),
	                  ntohs(s->dst_port_be), &v);
	fwd_acl_log(s, &v);
	if (v.action == ACL_ALLOW)
		return true;
	s->l->fc->cnt->fwd_acl_denied++;
	s->l->fc->cnt->fwd_acl_denied_dst++;
	fwd_acl_deny(s, &v);
	return false;
}
