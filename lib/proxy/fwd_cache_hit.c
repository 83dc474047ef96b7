/*
 * The forward proxy's cache hits (see fwd_cache_priv.h): a stored object
 * that may be used answers the request without the origin.  The answer
 * is the stored head with the current Age, our Via (and Cache-Status with
 * cache-status on) and the body as mbufs attached to the object's
 * segments (no copy); or, to the client's own conditionals (RFC 9110
 * 13.1.2, 13.1.3), a 304 with the fields 15.4.5 names; or, to a single
 * byte range of GET (RFC 9110 14), a 206 with its slice of the body, or
 * a 416 when no byte of it exists.  A stale object that must be validated
 * is kept for fwd_cache_reval.c instead; one within its
 * stale-while-revalidate window is served while fwd_cache_bg.c validates
 * it in the background (TCP_STALE_HIT).  Everything a client sends here
 * is read in one bounded pass over its field value.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_mbuf.h>

#include "cache/cache_obj.h"
#include "cache/cache_policy.h"
#include "common/gh_common.h"
#include "fwd_cache_priv.h"
#include "http/http_cond.h"

void
fwd_cache_obj_meta(const struct cache_obj *obj, struct fwd_cache_meta *m,
                   const char **text, uint32_t *len)
{
	const uint8_t *h = fwd_cache_meta_of(obj, m);

	GH_VERIFY(h != NULL);
	*text = (const char *)h;
	*len = m->head_len;
}

const struct cache_resp_meta *
fwd_cache_view(const struct fwd_session *s, const struct cache_resp_meta *r,
               struct cache_resp_meta *tmp)
{
	return cache_resp_targeted(r, fwd_cfg(s)->cache_cdn_control, tmp);
}

bool
fwd_cache_usable_here(const struct fwd_session *s,
                      const struct cache_resp_meta *r)
{
	/* the response's own storability, whoever asked for it */
	const struct cache_req_meta q = {.method = HTTP_M_GET};
	struct cache_resp_meta tmp;

	if (!(r->flags & CACHE_M_CDN_CC))
		return true; /* every listener reads it alike */
	return cache_storable(&q, fwd_cache_view(s, r, &tmp),
	                      fwd_cfg(s)->cache_heuristic_max_s) ==
	       CACHE_NS_STORED;
}

/* Whether the field line at p[0 .. n) is named <name> (lower case). */
static bool
line_named(const char *p, uint32_t n, const char *name)
{
	size_t k = strlen(name), i;

	if (n < k + 1 || p[k] != ':')
		return false;
	for (i = 0; i < k; i++) {
		char c = p[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != name[i])
			return false;
	}
	return true;
}

bool
fwd_cache_next_line(const char *text, uint32_t len, uint32_t *off,
                    const char **p, uint32_t *n)
{
	const char *e;

	if (*off >= len)
		return false;
	*p = text + *off;
	e = memchr(*p, '\n', len - *off);
	GH_VERIFY(e != NULL && e > *p && e[-1] == '\r');
	*n = (uint32_t)(e - *p) - 1;
	*off = (uint32_t)(e - text) + 1;
	return true;
}

bool
fwd_cache_field(const char *text, uint32_t len, const char *name,
                const char **v, uint32_t *vlen)
{
	uint32_t off = 0, n, k = (uint32_t)strlen(name);
	const char *p;

	(void)fwd_cache_next_line(text, len, &off, &p,
	                          &n); /* the status line */
	while (fwd_cache_next_line(text, len, &off, &p, &n)) {
		if (!line_named(p, n, name))
			continue;
		/* stored as "Name: value" */
		*v = p + k + 1;
		*vlen = n - k - 1;
		while (*vlen > 0 && (**v == ' ' || **v == '\t')) {
			(*v)++;
			(*vlen)--;
		}
		return true;
	}
	return false;
}

/* The fields RFC 9110 15.4.5 has a 304 carry (Age and Via are ours). */
static bool
kept_in_304(const char *p, uint32_t n)
{
	static const char *const names[] = {
	    "cache-control", "content-location", "date",
	    "etag",          "expires",          "vary",
	};
	unsigned i;

	for (i = 0; i < GH_ARRAY_SIZE(names); i++)
		if (line_named(p, n, names[i]))
			return true;
	return false;
}

/* Whether a stored field line may need location-rewrite on its way to
 * the client of <s> (a reverse listener's: fwd_rev_location_line). */
static bool
stored_rewrites(const struct fwd_session *s)
{
	return s->rev_pool >= 0 && fwd_cfg(s)->location_rewrite;
}

/* Field line p[0 .. n + 2) of a stored head (with its CRLF) for the
 * client of <s>. */
static void
put_stored_line(struct fwd_session *s, struct fwd_head_writer *w, const char *p,
                uint32_t n)
{
	if (!stored_rewrites(s) || !fwd_rev_location_line(s, w, p, n))
		fwd_hw_put(w, p, n + 2);
}

void
fwd_cache_put_head(struct fwd_session *s, struct fwd_head_writer *w,
                   const char *text, uint32_t len)
{
	uint32_t off = 0, n;
	const char *p;

	if (!stored_rewrites(s)) {
		fwd_hw_put(w, text, len); /* all of it, in one copy */
		return;
	}
	(void)fwd_cache_next_line(text, len, &off, &p, &n);
	fwd_hw_put(w, text, off); /* the status line */
	while (fwd_cache_next_line(text, len, &off, &p, &n))
		put_stored_line(s, w, p, n);
}

/* Write the stored head text[0 .. len) for the answer <a> into <w>: the
 * status line, then the stored fields that answer keeps. */
static void
write_stored(struct fwd_session *s, struct fwd_head_writer *w, const char *text,
             uint32_t len, const struct fwd_cache_answer *a)
{
	uint32_t off = 0, n;
	const char *p;
	char line[96];

	if (a->status == 200) {
		fwd_cache_put_head(s, w, text, len);
		return;
	}
	(void)fwd_cache_next_line(text, len, &off, &p, &n);
	snprintf(line, sizeof(line), "HTTP/1.1 %u %s\r\n", a->status,
	         http_reason(a->status));
	fwd_hw_str(w, line);
	while (fwd_cache_next_line(text, len, &off, &p, &n)) {
		if (a->status == 304 && !kept_in_304(p, n))
			continue;
		if (a->status == 416 && !line_named(p, n, "date"))
			continue;
		if (a->status == 206 && line_named(p, n, "content-length"))
			continue;
		put_stored_line(s, w, p, n);
	}
}

/* Cache-Status fwd= of enum fwd_cache_fwd (RFC 9211 2.2). */
static const char *const fwd_names[] = {
    [FWD_CF_BYPASS] = "bypass",
    [FWD_CF_URI_MISS] = "uri-miss",
    [FWD_CF_STALE] = "stale",
    [FWD_CF_REQUEST] = "request",
};

void
fwd_cache_id(const char *name, char *out, size_t cap)
{
	size_t i, n = strlen(name);
	bool token = n > 0 && ((name[0] >= 'a' && name[0] <= 'z') ||
	                       (name[0] >= 'A' && name[0] <= 'Z'));

	GH_VERIFY(cap >= n + 3);
	/* a conf name is A-Z a-z 0-9 _ -, all tchars: a token when it
	 * starts with a letter (RFC 8941 3.3.4), else a String of the same
	 * bytes, none of which needs an escape (3.3.3) */
	for (i = 0; i < n; i++)
		GH_VERIFY(name[i] > 0x20 && name[i] < 0x7f && name[i] != '"' &&
		          name[i] != '\\');
	if (n == 0)
		snprintf(out, cap, "gatehouse");
	else if (token)
		snprintf(out, cap, "%s", name);
	else
		snprintf(out, cap, "\"%s\"", name);
}

/* RFC 9211, the cache named by its listener (ID): "ID; hit; ttl=N" for a
 * plain hit, "ID; fwd=stale; fwd-status=N" for one a validation (or its
 * failure) gave, "ID; fwd=stale; ttl=-N; detail=revalidating" for a stale
 * one served while a validation runs in the background. */
static void
write_status_hit(struct fwd_session *s, struct fwd_head_writer *w,
                 const struct fwd_cache_answer *a, int64_t ttl_s)
{
	const char *id = s->l->cache_id;
	char text[FWD_CACHE_STATUS_MAX];

	if (!fwd_cfg(s)->cache_status)
		return;
	if (a->swr) /* the origin's answer is the background's */
		snprintf(text, sizeof(text),
		         "Cache-Status: %s; fwd=stale; ttl=%" PRId64
		         "; detail=revalidating\r\n",
		         id, ttl_s);
	else if (a->fwd_status == 0)
		snprintf(text, sizeof(text),
		         "Cache-Status: %s; hit; ttl=%" PRId64 "\r\n", id,
		         ttl_s);
	else
		snprintf(text, sizeof(text),
		         "Cache-Status: %s; fwd=%s; fwd-status=%u; "
		         "ttl=%" PRId64 "\r\n",
		         id,
		         s->cache_fwd < GH_ARRAY_SIZE(fwd_names)
		             ? fwd_names[s->cache_fwd]
		             : "stale",
		         a->fwd_status, ttl_s);
	fwd_hw_str(w, text);
}

void
fwd_cache_status_miss(struct fwd_session *s, struct fwd_head_writer *w,
                      unsigned status)
{
	char text[FWD_CACHE_STATUS_MAX];
	int n;

	if (!fwd_cfg(s)->cache_status || !fwd_cfg(s)->cache ||
	    s->l->fc->p.cache == NULL || status < 200 ||
	    s->cache_fwd >= GH_ARRAY_SIZE(fwd_names))
		return;
	n = snprintf(text, sizeof(text), "Cache-Status: %s; fwd=%s",
	             s->l->cache_id, fwd_names[s->cache_fwd]);
	if (n > 0 && s->cache_fwd_status != 0)
		n += snprintf(text + n, sizeof(text) - (size_t)n,
		              "; fwd-status=%u", status);
	if (n > 0 && s->cobj != NULL)
		n += snprintf(text + n, sizeof(text) - (size_t)n, "; stored");
	if (n > 0 && (size_t)n < sizeof(text) - 2) {
		fwd_hw_str(w, text);
		fwd_hw_str(w, "\r\n");
	}
}

void
fwd_cache_status_collapsed(struct fwd_session *s, struct fwd_head_writer *w)
{
	char text[FWD_CACHE_STATUS_MAX];

	if (!fwd_cfg(s)->cache_status ||
	    s->cache_fwd >= GH_ARRAY_SIZE(fwd_names))
		return;
	snprintf(text, sizeof(text), "Cache-Status: %s; fwd=%s; collapsed\r\n",
	         s->l->cache_id, fwd_names[s->cache_fwd]);
	fwd_hw_str(w, text);
}

int
fwd_cache_serve(struct fwd_session *s, struct cache_obj *obj,
                const struct fwd_cache_answer *a, bool body)
{
	struct fwd_ctx *fc = s->l->fc;
	struct fwd_head_writer w = {.pool = fc->p.pool};
	struct fwd_cache_meta m;
	struct cache_resp_meta tmp;
	const struct cache_resp_meta *r;
	struct rte_mbuf *head, *mb = NULL;
	uint64_t off = 0, len = cache_obj_body_len(obj);
	uint32_t lifetime_s, age_s, hlen;
	const char *text;
	char line[96];

	fwd_cache_obj_meta(obj, &m, &text, &hlen);
	r = fwd_cache_view(s, &m.r, &tmp);
	if (a->status == 206) {
		off = a->off;
		len = a->len;
	}
	if (body && len > 0 && (a->status == 200 || a->status == 206)) {
		mb = cache_obj_body_mbufs(obj, fc->p.cache_worker, off, len,
		                          fc->p.pool);
		if (mb == NULL) {
			fc->cnt->fwd_no_mbuf++;
			return -ENOMEM;
		}
	}
	lifetime_s = cache_lifetime(r, fwd_cfg(s)->cache_heuristic_max_s);
	age_s = cache_current_age(r, m.request_s, m.response_s,
	                          fwd_cache_now_s(fc));
	write_stored(s, &w, text, hlen, a);
	if (a->status == 206) {
		snprintf(line, sizeof(line),
		         "Content-Range: bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64
		         "\r\nContent-Length: %" PRIu64 "\r\n",
		         off, off + len - 1, cache_obj_body_len(obj), len);
		fwd_hw_str(&w, line);
	} else if (a->status == 416) {
		snprintf(line, sizeof(line),
		         "Content-Range: bytes */%" PRIu64
		         "\r\nContent-Length: 0\r\n",
		         cache_obj_body_len(obj));
		fwd_hw_str(&w, line);
	}
	/* RFC 9111 5.1: the current age; the stored Age was left out */
	fwd_hw_age(&w, age_s);
	write_status_hit(s, &w, a, (int64_t)lifetime_s - (int64_t)age_s);
	fwd_hw_end(&w, fwd_cfg(s)->via, (s->flags & SF_CLI_HTTP10) ? 0u : 1u,
	           (s->flags & SF_CLOSE_CLI) != 0);
	head = fwd_hw_done(&w, fc->cnt);
	if (head == NULL) {
		rte_pktmbuf_free(mb); /* before any put: it holds refs */
		return -ENOMEM;
	}
	if (s->txn != NULL) {
		s->txn->rec.status =
		    a->status == 200 ? m.r.status : (uint16_t)a->status;
		s->txn->rec.result = a->result;
	}
	fwd_cli_queue(s, head);
	if (mb != NULL)
		fwd_cli_queue(s, mb);
	fwd_cli_flush(s);
	return 0;
}

/* ---- the client's conditionals (RFC 9110 13.1.2, 13.1.3) ---- */

/* Every line of field <name> of the request, combined (RFC 9110 5.3),
 * checked for a match with the stored ETag. */
static bool
inm_any(const struct http_msg *msg, const char *buf, const char *tag,
        uint32_t tn)
{
	int i = http_field_find(msg, buf, HTTP_FLD_IF_NONE_MATCH, 0);

	while (i >= 0) {
		if (http_inm_match(buf + msg->hdr[i].value.off,
		                   msg->hdr[i].value.len, tag, tn))
			return true;
		i = http_field_find(msg, buf, HTTP_FLD_IF_NONE_MATCH,
		                    (unsigned)i + 1);
	}
	return false;
}

/*
 * RFC 9110 13.2.2 steps 3 and 4 for a stored, usable response: true when
 * the answer is 304 (*result says which field decided).  If-None-Match
 * takes precedence; If-Modified-Since only for GET and HEAD without it,
 * against the stored Last-Modified, else Date; an invalid date is
 * ignored.
 */
static bool
not_modified(const struct http_msg *msg, const char *buf, const char *text,
             uint32_t len, const struct fwd_cache_meta *m, uint8_t *result)
{
	const char *tag = "";
	uint32_t tn = 0;
	int64_t ims_s, lm_s;
	int i;

	if (http_has_field(msg, HTTP_FLD_IF_NONE_MATCH)) {
		(void)fwd_cache_field(text, len, "etag", &tag, &tn);
		*result = ALOG_TCP_INM_HIT;
		return inm_any(msg, buf, tag, tn);
	}
	i = http_field_find(msg, buf, HTTP_FLD_IF_MODIFIED_SINCE, 0);
	if (i < 0 ||
	    cache_date_parse(buf + msg->hdr[i].value.off, msg->hdr[i].value.len,
	                     m->response_s, &ims_s) != 0)
		return false;
	lm_s = (m->r.flags & CACHE_M_LAST_MODIFIED) ? m->r.last_modified_s
	                                            : m->r.date_s;
	*result = ALOG_TCP_IMS_HIT;
	return lm_s <= ims_s;
}

/* ---- ranges (RFC 9110 14) ---- */

/*
 * If-Range (RFC 9110 13.1.5): the range applies only when the value is
 * a strong entity-tag equal to the stored strong ETag, or exactly the
 * stored Last-Modified.
 */
static bool
if_range_holds(const char *v, uint32_t n, const char *text, uint32_t len)
{
	const char *sv;
	uint32_t sn;

	if (n > 0 && (v[0] == '"' || v[0] == 'W'))
		return fwd_cache_field(text, len, "etag", &sv, &sn) &&
		       http_etag_strong_eq(v, n, sv, sn);
	return fwd_cache_field(text, len, "last-modified", &sv, &sn) &&
	       sn == n && memcmp(sv, v, n) == 0;
}
/*
 * The answer to a GET's Range of a stored body of <size> bytes into *a
 * (status 206 or 416, or unchanged for the whole 200).  Returns
 * HTTP_RANGE_MULTI when the request is the origin's.
 */
static enum http_range_kind
range_answer(const struct http_msg *msg, const char *buf, const char *text,
             uint32_t len, uint64_t size, struct fwd_cache_answer *a)
{
	int i = http_field_find(msg, buf, HTTP_FLD_RANGE, 0), k;
	uint64_t first = 0, last = 0;
	enum http_range_kind kind;

	if (i < 0 || msg->method != HTTP_M_GET)
		return HTTP_RANGE_NONE;
	if (http_field_find(msg, buf, HTTP_FLD_RANGE, (unsigned)i + 1) >= 0)
		return HTTP_RANGE_NONE; /* one field only: ignored */
	kind = http_range_parse(buf + msg->hdr[i].value.off,
	                        msg->hdr[i].value.len, &first, &last);
	if (kind != HTTP_RANGE_ONE)
		return kind;
	k = http_field_find(msg, buf, HTTP_FLD_IF_RANGE, 0);
	if (k >= 0 && !if_range_holds(buf + msg->hdr[k].value.off,
	                              msg->hdr[k].value.len, text, len))
		return HTTP_RANGE_NONE; /* the whole representation */
	if (first == HTTP_RANGE_OPEN) { /* suffix */
		if (last == 0 || size == 0) {
			a->status = 416;
			return kind;
		}
		first = last >= size ? 0 : size - last;
		last = size - 1;
	} else if (first >= size) {
		a->status = 416;
		return kind;
	} else if (last >= size) {
		last = size - 1;
	}
	a->status = 206;
	a->off = first;
	a->len = last - first + 1;
	return kind;
}

/* Whether the request carries a precondition a cache leaves to the origin
 * (If-Match, If-Unmodified-Since), or any conditional at all (<any>). */
static bool
has_conditional(const struct http_msg *msg, const char *buf, bool any)
{
	const uint32_t origin_only = HTTP_FLD_BIT(HTTP_FLD_IF_MATCH) |
	                             HTTP_FLD_BIT(HTTP_FLD_IF_UNMODIFIED_SINCE);
	const uint32_t others = HTTP_FLD_BIT(HTTP_FLD_IF_NONE_MATCH) |
	                        HTTP_FLD_BIT(HTTP_FLD_IF_MODIFIED_SINCE) |
	                        HTTP_FLD_BIT(HTTP_FLD_IF_RANGE) |
	                        HTTP_FLD_BIT(HTTP_FLD_RANGE);

	(void)buf; /* the parser's field index, no scan */
	return (msg->fields & (origin_only | (any ? others : 0))) != 0;
}

/* A stale (or unusable) <obj>: keep it for validation when it has a
 * validator and the request has no conditional (or Range) of its own and
 * may go to the origin, or wait on the validation of it that runs.
 * Returns -ESTALE, or -EINPROGRESS when the request waits (ST_WAIT). */
static int
hit_validate(struct fwd_session *s, const struct http_msg *msg, const char *buf,
             struct cache_obj *obj, const struct fwd_cache_meta *m,
             const struct cache_req_meta *q)
{
	if (!(m->r.flags & (CACHE_M_ETAG | CACHE_M_LAST_MODIFIED)) ||
	    (q->cc.flags & CACHE_CC_ONLY_IF_CACHED) ||
	    has_conditional(msg, buf, true) || s->reval != NULL) {
		cache_obj_put(obj);
		return -ESTALE;
	}
	if (fwd_cache_reval_wait(s, msg, obj, q)) {
		cache_obj_put(obj); /* the wait holds its own */
		return -EINPROGRESS;
	}
	fwd_cache_reval_claim(s, obj);
	s->reval = obj;
	if (s->txn != NULL) { /* what the validation's answer needs */
		s->txn->cache_q = *q;
		s->txn->cache_req_s = fwd_cache_now_s(s->l->fc);
	}
	return -ESTALE;
}

int
fwd_cache_hit(struct fwd_session *s, const struct http_msg *msg,
              const char *buf, struct cache_obj *obj,
              const struct cache_req_meta *q, int64_t now_s)
{
	struct fwd_ctx *fc = s->l->fc;
	struct fwd_cache_answer a = {.status = 200, .result = ALOG_TCP_MEM_HIT};
	struct fwd_cache_meta m;
	struct cache_resp_meta tmp;
	const struct cache_resp_meta *r;
	uint32_t lifetime_s, age_s, len;
	enum cache_use use;
	const char *text;
	uint8_t result = ALOG_TCP_MEM_HIT;
	int rc;

	fwd_cache_obj_meta(obj, &m, &text, &len);
	/* a miss: the destination check refuses it (a reverse listener's
	 * servers are configured: any address), or this listener's reading
	 * of CDN-Cache-Control would not have stored it */
	if ((m.dst_private && !fwd_cfg(s)->allow_private_dst &&
	     !fwd_cfg(s)->reverse) ||
	    !fwd_cache_usable_here(s, &m.r)) {
		cache_obj_put(obj);
		return -ESTALE;
	}
	r = fwd_cache_view(s, &m.r, &tmp);
	lifetime_s = cache_lifetime(r, fwd_cfg(s)->cache_heuristic_max_s);
	age_s = cache_current_age(r, m.request_s, m.response_s, now_s);
	use = cache_use_decide(r, &q->cc, lifetime_s, age_s);
	/* RFC 5861 3: within stale-while-revalidate, served now while one
	 * validation runs in the background (fwd_cache_bg.c) */
	if (use == CACHE_USE_STALE_SWR &&
	    fwd_cache_bg_start(s, msg, buf, obj)) {
		s->cache_fwd = FWD_CF_STALE;
		a.result = ALOG_TCP_STALE_HIT;
		a.swr = true;
	} else if (use != CACHE_USE_FRESH && use != CACHE_USE_STALE) {
		s->cache_fwd =
		    ((q->cc.flags & CACHE_CC_NO_CACHE) || lifetime_s > age_s)
		        ? FWD_CF_REQUEST
		        : FWD_CF_STALE;
		return hit_validate(s, msg, buf, obj, &m, q);
	}
	if (has_conditional(msg, buf, false)) {
		s->cache_fwd = FWD_CF_REQUEST; /* the origin's to judge */
		cache_obj_put(obj);
		return -ESTALE;
	}
	/* RFC 9110 13.2.1: preconditions only where the answer would be a
	 * 2xx; 14.2: ranges only of a 200 */
	if (m.r.status / 100 == 2 &&
	    not_modified(msg, buf, text, len, &m, &result)) {
		a.status = 304;
		a.result = result;
	} else if (m.r.status == 200 &&
	           range_answer(msg, buf, text, len, cache_obj_body_len(obj),
	                        &a) == HTTP_RANGE_MULTI) {
		s->cache_fwd = FWD_CF_REQUEST;
		cache_obj_put(obj);
		return -ESTALE;
	}
	rc = fwd_cache_serve(s, obj, &a, msg->method == HTTP_M_GET);
	cache_obj_put(obj);
	if (rc != 0)
		return rc;
	fc->cnt->fwd_cache_hits++;
	if (a.swr)
		fc->cnt->fwd_cache_stale_hits++;
	if (a.status == 304)
		fc->cnt->fwd_cache_not_modified++;
	else if (a.status == 206)
		fc->cnt->fwd_cache_ranges++;
	else if (a.status == 416)
		fc->cnt->fwd_cache_range_416++;
	return 0;
}
