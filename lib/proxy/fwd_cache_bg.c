/*
 * Background validations (RFC 5861 3, stale-while-revalidate; see
 * fwd_cache_priv.h).  A stored response within its stale-while-revalidate
 * window answers the request at once (TCP_STALE_HIT) while one validation
 * of it goes to the origin in a session of its own that never had a
 * client (SF_BG): a conditional GET with the stored validators (an
 * unconditional one without them).  Its answer takes the paths of a
 * foreground validation with nobody to serve: a 304 updates the stored
 * head (fwd_cache_reval.c), a new response is stored through the store
 * path (fwd_cache_store.c), an error (a 5xx, no answer, DNS, connect, a
 * timeout) ends the session and leaves the stale object as it is.
 *
 * At most one validation of an object runs at a time, on any worker: a
 * claim on the object itself (cache_obj_reval_claim, a compare-and-swap
 * on a byte of struct cache_obj), held from the start of the background
 * session to its end; a request that finds it taken is served stale and
 * starts nothing.  A per-worker table would let every worker send its own.
 * At most cache-background-max such sessions run per listener and worker
 * (fwd_listener.n_bg); past that, or without a session or a log record,
 * the request is validated in the foreground as before.
 *
 * What the background request carries: the request line and Host of the
 * object's key, the request's own values of the fields the stored Vary
 * names (they chose the variant: the origin must see the same ones, and
 * the store path keys a new response by them), our Via, the conditionals.
 * Nothing else of the client's: no Cookie or Authorization unless the
 * Vary names it (the response was shared across their values, so the
 * origin's answer without them is what every client would get), never
 * Proxy-Authorization or the hop-by-hop fields.  A request with
 * Authorization is validated in the foreground (RFC 9111 3.5: such a
 * response was stored for the credentials; an answer without them could
 * be another), and so is any request of an anonymous listener (its own
 * request would not carry some of the fields a Vary may name).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <arpa/inet.h>

#include <rte_mbuf.h>

#include "cache/cache_obj.h"
#include "common/gh_common.h"
#include "fwd_cache_priv.h"
#include "fwd_priv.h"

/* Fields a Vary may name that never go into a background request: ours
 * (Host is written from the key), hop-by-hop, framing, the proxy's
 * credentials. */
static const char *const never_sent[] = {
    "host",
    "connection",
    "proxy-connection",
    "keep-alive",
    "te",
    "trailer",
    "upgrade",
    "proxy-authorization",
    "content-length",
    "transfer-encoding",
};

static bool
never_sent_name(const char *p, uint32_t n)
{
	unsigned i;

	for (i = 0; i < GH_ARRAY_SIZE(never_sent); i++)
		if (strlen(never_sent[i]) == n &&
		    strncasecmp(never_sent[i], p, n) == 0)
			return true;
	return false;
}

/* Write the request's lines of the field p[0 .. n) into <w>. */
static void
put_field(struct fwd_head_writer *w, const struct http_msg *msg,
          const char *buf, const char *p, uint32_t n)
{
	unsigned i;

	if (never_sent_name(p, n))
		return;
	for (i = 0; i < msg->n_headers; i++) {
		if (msg->hdr[i].name.len != n ||
		    strncasecmp(buf + msg->hdr[i].name.off, p, n) != 0)
			continue;
		fwd_hw_span(w, buf, msg->hdr[i].name);
		fwd_hw_str(w, ": ");
		fwd_hw_span(w, buf, msg->hdr[i].value);
		fwd_hw_str(w, "\r\n");
	}
}

/* The request's fields that the Vary lines of the stored head
 * text[0 .. len) name, into <w>.  Bounded: a stored Vary names at most
 * CACHE_VARY_NAMES_MAX fields (more is never stored), each looked for
 * among the request's max-headers fields. */
static void
put_vary_fields(struct fwd_head_writer *w, const struct http_msg *msg,
                const char *buf, const char *text, uint32_t len)
{
	uint32_t off = 0, n, k;
	const char *p;

	(void)fwd_cache_next_line(text, len, &off, &p, &n); /* status */
	while (fwd_cache_next_line(text, len, &off, &p, &n)) {
		if (n < 5 || strncasecmp(p, "vary:", 5) != 0)
			continue;
		for (k = 5; k < n;) {
			uint32_t start;

			while (k < n &&
			       (p[k] == ' ' || p[k] == '\t' || p[k] == ','))
				k++;
			start = k;
			while (k < n && p[k] != ',' && p[k] != ' ' &&
			       p[k] != '\t')
				k++;
			if (k > start)
				put_field(w, msg, buf, p + start, k - start);
		}
	}
}

/* The background request for <obj> (s->reval set) into s->up_out: the
 * target of <msg>, the Vary-named fields, Via, the conditionals.
 * Returns 0 or -ENOMEM. */
static int
write_bg_request(struct fwd_session *s, const struct http_msg *msg,
                 const char *buf, const char *text, uint32_t len)
{
	struct fwd_ctx *fc = s->l->fc;
	struct fwd_head_writer w = {.pool = fc->p.pool};
	struct rte_mbuf *m;

	fwd_hw_str(&w, "GET ");
	fwd_hw_target(&w, msg, buf); /* a GET or HEAD's: never "*" */
	put_vary_fields(&w, msg, buf, text, len);
	if (fwd_cfg(s)->via)
		fwd_hw_str(&w, "Via: 1.1 gatehouse\r\n");
	fwd_cache_reval_hdrs(s, &w);
	fwd_hw_str(&w, "\r\n");
	m = fwd_hw_done(&w, fc->cnt);
	if (m == NULL)
		return -ENOMEM;
	s->up_out = m;
	return 0;
}

/* The log record and what storing a new response needs, for the
 * background session <bg> of the request <msg> of <s>. */
static void
bg_txn(struct fwd_session *bg, const struct fwd_session *s,
       const struct http_msg *msg, const char *buf, const uint8_t *key,
       int klen)
{
	struct fwd_txn *t = bg->txn;

	alog_field_set(t->rec.method, sizeof(t->rec.method), "GET", 3);
	alog_field_set(t->rec.url, sizeof(t->rec.url), buf + msg->target.off,
	               msg->target.len);
	t->rec.version_minor = 1;
	if (s->txn != NULL) {
		t->rec.client_ip_be = s->txn->rec.client_ip_be;
		t->rec.client_port_be = s->txn->rec.client_port_be;
	}
	memset(&t->cache_q, 0, sizeof(t->cache_q));
	t->cache_q.method = HTTP_M_GET;
	t->cache_req_s = fwd_cache_now_s(bg->l->fc);
	memcpy(t->cache_key, key, (size_t)klen);
	t->cache_key_len = (uint16_t)klen;
	fwd_cache_vary_keep(t, msg, buf);
}

/* Start the background session for <obj> (claimed); false when it could
 * not be had (the claim is the caller's to release). */
static bool
bg_launch(struct fwd_session *s, const struct http_msg *msg, const char *buf,
          struct cache_obj *obj, const uint8_t *key, int klen)
{
	struct fwd_listener *l = s->l;
	struct fwd_session *bg = fwd_session_new(l);
	char host[FWD_HOST_MAX + 1];
	uint32_t host_len = msg->host.len, len;
	struct fwd_cache_meta m;
	const char *text;

	if (bg == NULL)
		return false;
	cache_obj_get(obj);
	bg->reval = obj;
	fwd_cache_obj_meta(obj, &m, &text, &len);
	/* judged by the version of the request that started it, which it
	 * holds until it ends */
	fwd_live_share(bg, s);
	if (write_bg_request(bg, msg, buf, text, len) == 0)
		fwd_txn_start(bg);
	if (bg->txn == NULL) { /* no mbuf or no record: nothing logged */
		fwd_session_end(bg, true); /* drops reval and up_out */
		return false;
	}
	bg_txn(bg, s, msg, buf, key, klen);
	cache_obj_get(obj);
	bg->claim = obj; /* from here the session releases the claim */
	l->n_bg++;
	bg->flags = SF_BG | SF_REQ_DONE | SF_CACHE;
	bg->req_method = HTTP_M_GET;
	bg->cache_fwd = FWD_CF_STALE;
	bg->dst_port_be = htons(msg->port);
	l->fc->cnt->fwd_cache_bg_started++;
	if (s->rev_pool >= 0) {
		/* a reverse listener's: a server of the request's pool */
		bg->rev_pool = s->rev_pool;
		bg->rev_key = s->rev_key;
		fwd_rev_pick(bg); /* may end it (fwd_cache_bg_error) */
		return true;
	}
	if (host_len > FWD_HOST_MAX)
		host_len = 0; /* not a name: dns_resolve() says -EINVAL */
	memcpy(host, buf + msg->host.off, host_len);
	fwd_resolve(bg, host, host_len); /* may end it (fwd_cache_bg_error) */
	return true;
}

bool
fwd_cache_bg_start(struct fwd_session *s, const struct http_msg *msg,
                   const char *buf, struct cache_obj *obj)
{
	struct fwd_listener *l = s->l;
	const struct conf_forward *cfg = fwd_cfg(s);
	uint8_t key[FWD_CACHE_KEY_MAX];
	int klen;

	if (cfg->cache_bg_max == 0 || cfg->anonymous ||
	    http_has_field(msg, HTTP_FLD_AUTHORIZATION))
		return false;
	if (cache_obj_reval_busy(obj))
		return true; /* another one runs: served stale meanwhile */
	klen = fwd_cache_key_of(s, msg, buf, key, sizeof(key));
	if (klen <= 0)
		return false;
	if (l->n_bg >= cfg->cache_bg_max) {
		l->fc->cnt->fwd_cache_bg_refused++;
		return false;
	}
	if (!cache_obj_reval_claim(obj))
		return true; /* taken meanwhile, by another worker */
	if (!bg_launch(s, msg, buf, obj, key, klen)) {
		cache_obj_reval_release(obj);
		l->fc->cnt->fwd_cache_bg_refused++;
		return false;
	}
	return true;
}

bool
fwd_cache_bg_error(struct fwd_session *s, unsigned status)
{
	struct fwd_ctx *fc = s->l->fc;

	if (!(s->flags & SF_BG))
		return false;
	if (s->flags & SF_RESP_HEAD) { /* a new response cut short */
		fc->cnt->fwd_aborted++;
	} else {
		fc->cnt->fwd_cache_bg_failed++;
		if (s->txn != NULL) {
			s->txn->rec.status = (uint16_t)status;
			s->txn->rec.result = ALOG_TCP_REFRESH_FAIL_OLD;
		}
	}
	fwd_session_end(s, true);
	return true;
}
