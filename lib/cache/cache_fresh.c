/*
 * Freshness (RFC 9111 4.2): what a response head says about time (Date,
 * Expires, Last-Modified, Age), the freshness lifetime, the current age,
 * and whether a stored response may be used for a request as it is, used
 * stale, or validated first (4.2, 4.3, 5.2.1, 5.2.2; RFC 5861).
 *
 * All arithmetic is in int64_t on values bounded by the parsers (dates of
 * years 0-9999, deltas of at most 2^31), so nothing overflows; results are
 * saturated to [0, CACHE_DELTA_MAX].
 */
#include <string.h>

#include "cache/cache_policy.h"
#include "cache/cache_priv.h"
#include "common/gh_common.h"
#include "http/http.h"

static uint32_t
sat(int64_t v)
{
	if (v < 0)
		return 0;
	return v > (int64_t)CACHE_DELTA_MAX ? CACHE_DELTA_MAX : (uint32_t)v;
}

void
cache_req_meta_parse(struct cache_req_meta *q, const struct http_msg *msg,
                     const char *buf)
{
	GH_VERIFY(msg->is_request);
	memset(q, 0, sizeof(*q));
	q->method = msg->method;
	if (http_has_field(msg, HTTP_FLD_AUTHORIZATION))
		q->flags |= CACHE_M_AUTHORIZATION;
	cache_cc_parse(&q->cc, msg, buf);
}

/* The value of the first field line named <name> of <msg>: its index, or
 * -1; *second tells whether another line has that name. */
static int
first_line(const struct http_msg *msg, const char *buf, const char *name,
           bool *second)
{
	int i = http_hdr_find(msg, buf, name, 0);

	*second = i >= 0 && http_hdr_find(msg, buf, name, (unsigned)i + 1) >= 0;
	return i;
}

/* The date of header <i>: 0 and *t_s, or -EINVAL. */
static int
hdr_date(const struct http_msg *msg, const char *buf, int i, int64_t now_s,
         int64_t *t_s)
{
	const struct http_header *h = &msg->hdr[i];

	return cache_date_parse(buf + h->value.off, h->value.len, now_s, t_s);
}

void
cache_resp_meta_parse(struct cache_resp_meta *r, const struct http_msg *msg,
                      const char *buf, int64_t response_s)
{
	bool more;
	int i;

	GH_VERIFY(!msg->is_request);
	memset(r, 0, sizeof(*r));
	r->status = msg->status;
	cache_cc_parse(&r->cc, msg, buf);

	/* Date: the first line; none or invalid: the response time */
	r->date_s = response_s;
	i = first_line(msg, buf, "date", &more);
	if (i >= 0 && hdr_date(msg, buf, i, response_s, &r->date_s) == 0)
		r->flags |= CACHE_M_DATE;

	/* Expires: invalid (5.3, "0" included) or repeated (4.2.1: we take
	 * the "considered stale" branch) means already expired */
	i = first_line(msg, buf, "expires", &more);
	if (i >= 0) {
		r->flags |= CACHE_M_EXPIRES;
		if (more || hdr_date(msg, buf, i, response_s, &r->expires_s))
			r->flags |= CACHE_M_EXPIRES_INVALID;
	}

	i = first_line(msg, buf, "last-modified", &more);
	if (i >= 0 &&
	    hdr_date(msg, buf, i, response_s, &r->last_modified_s) == 0)
		r->flags |= CACHE_M_LAST_MODIFIED;

	/* Age (5.1): the first line; a value that is no delta-seconds (a
	 * list, a float, a negative number) makes the response stale */
	i = first_line(msg, buf, "age", &more);
	if (i >= 0) {
		const struct http_header *h = &msg->hdr[i];

		r->flags |= CACHE_M_AGE;
		if (cache_delta_parse(buf + h->value.off, h->value.len,
		                      &r->age_s))
			r->age_s = CACHE_DELTA_MAX;
	}

	GH_VERIFY(r->age_s <= CACHE_DELTA_MAX);
	/* RFC 9213: kept aside, for the listeners that read it */
	if (http_has_field(msg, HTTP_FLD_CDN_CACHE_CONTROL)) {
		int rc = cache_cc_parse_targeted(&r->cdn_cc, msg, buf,
		                                 HTTP_FLD_CDN_CACHE_CONTROL);

		r->flags |= rc == 0 ? CACHE_M_CDN_CC : CACHE_M_CDN_CC_INVALID;
	}
	if (http_hdr_find(msg, buf, "etag", 0) >= 0)
		r->flags |= CACHE_M_ETAG;
	if (http_hdr_find(msg, buf, "set-cookie", 0) >= 0 ||
	    http_hdr_find(msg, buf, "set-cookie2", 0) >= 0)
		r->flags |= CACHE_M_SET_COOKIE;
	if (http_hdr_find(msg, buf, "vary", 0) >= 0) {
		r->flags |= CACHE_M_VARY;
		if (!cache_vary_usable(msg, buf))
			r->flags |= CACHE_M_VARY_NEVER;
	}
}

const struct cache_resp_meta *
cache_resp_targeted(const struct cache_resp_meta *r, bool cdn,
                    struct cache_resp_meta *tmp)
{
	if (!cdn || !(r->flags & CACHE_M_CDN_CC))
		return r;
	*tmp = *r;
	tmp->cc = r->cdn_cc;
	/* 2.1: "MUST ignore the Cache-Control and Expires header fields" */
	tmp->flags &= (uint16_t) ~(CACHE_M_EXPIRES | CACHE_M_EXPIRES_INVALID);
	return tmp;
}

bool
cache_status_heuristic(unsigned status)
{
	switch (status) {
	case 200:
	case 203:
	case 204:
	case 206:
	case 300:
	case 301:
	case 308:
	case 404:
	case 405:
	case 410:
	case 414:
	case 501:
		return true;
	default:
		return false;
	}
}

uint32_t
cache_lifetime(const struct cache_resp_meta *r, uint32_t heuristic_max_s)
{
	const struct cache_cc *cc = &r->cc;
	const uint32_t explicit_age = CACHE_CC_MAX_AGE | CACHE_CC_S_MAXAGE;
	int64_t since;

	if (cc->flags & explicit_age) {
		/* invalid or duplicated: "considered stale" (4.2.1) */
		if ((cc->invalid | cc->dup) & explicit_age)
			return 0;
		if (cc->flags & CACHE_CC_S_MAXAGE)
			return cc->s_maxage_s;
		return cc->max_age_s;
	}
	if (r->flags & CACHE_M_EXPIRES) {
		if (r->flags & CACHE_M_EXPIRES_INVALID)
			return 0;
		return sat(r->expires_s - r->date_s);
	}
	/* heuristic (4.2.2): only without explicit expiration, for a
	 * heuristically cacheable status or a public response */
	if (!cache_status_heuristic(r->status) &&
	    !(cc->flags & CACHE_CC_PUBLIC))
		return 0;
	if (!(r->flags & CACHE_M_LAST_MODIFIED))
		return 0;
	since = r->date_s - r->last_modified_s;
	if (since <= 0)
		return 0;
	since /= 10;
	return since > heuristic_max_s ? heuristic_max_s : sat(since);
}

uint32_t
cache_current_age(const struct cache_resp_meta *r, int64_t request_s,
                  int64_t response_s, int64_t now_s)
{
	int64_t apparent_age, response_delay, corrected_age_value;
	int64_t corrected_initial_age, resident_time;

	apparent_age = response_s - r->date_s;
	if (apparent_age < 0)
		apparent_age = 0;
	response_delay = response_s - request_s;
	if (response_delay < 0)
		response_delay = 0;
	corrected_age_value = (int64_t)r->age_s + response_delay;
	corrected_initial_age = apparent_age > corrected_age_value
	                            ? apparent_age
	                            : corrected_age_value;
	resident_time = now_s - response_s;
	if (resident_time < 0)
		resident_time = 0;
	return sat(corrected_initial_age + resident_time);
}

/* must-revalidate, or in a shared cache proxy-revalidate or s-maxage
 * (5.2.2.2, 5.2.2.8, 5.2.2.10): never used stale without validation */
static bool
never_stale(const struct cache_resp_meta *r)
{
	return (r->cc.flags &
	        (CACHE_CC_MUST_REVALIDATE | CACHE_CC_PROXY_REVALIDATE |
	         CACHE_CC_S_MAXAGE)) != 0;
}

enum cache_use
cache_use_decide(const struct cache_resp_meta *r, const struct cache_cc *req,
                 uint32_t lifetime_s, uint32_t age_s)
{
	uint32_t staleness;

	GH_VERIFY(lifetime_s <= CACHE_DELTA_MAX && age_s <= CACHE_DELTA_MAX);
	/* no-cache either side (5.2.1.4, 5.2.2.4): validate even when fresh;
	 * a qualified response no-cache is read as the plain one */
	if ((req->flags | r->cc.flags) & CACHE_CC_NO_CACHE)
		return CACHE_USE_VALIDATE;
	/* request max-age (5.2.1.1): not older than that, fresh or not */
	if ((req->flags & CACHE_CC_MAX_AGE) && age_s > req->max_age_s)
		return CACHE_USE_VALIDATE;
	if (lifetime_s > age_s) {
		/* min-fresh (5.2.1.3): fresh for at least that much longer */
		if ((req->flags & CACHE_CC_MIN_FRESH) &&
		    (uint64_t)age_s + req->min_fresh_s > lifetime_s)
			return CACHE_USE_VALIDATE;
		return CACHE_USE_FRESH;
	}
	/* stale from here on (4.2.4) */
	if (never_stale(r) || (req->flags & CACHE_CC_MIN_FRESH))
		return CACHE_USE_VALIDATE;
	staleness = age_s - lifetime_s;
	if ((req->flags & CACHE_CC_MAX_STALE) && staleness <= req->max_stale_s)
		return CACHE_USE_STALE;
	if ((r->cc.flags & CACHE_CC_SWR) && staleness <= r->cc.swr_s)
		return CACHE_USE_STALE_SWR;
	return CACHE_USE_VALIDATE;
}

bool
cache_stale_if_error_ok(const struct cache_resp_meta *r,
                        const struct cache_cc *req, uint32_t lifetime_s,
                        uint32_t age_s)
{
	uint32_t staleness, window = 0;

	GH_VERIFY(lifetime_s <= CACHE_DELTA_MAX && age_s <= CACHE_DELTA_MAX);
	if (never_stale(r))
		return false;
	if (r->cc.flags & CACHE_CC_SIE)
		window = r->cc.sie_s;
	if ((req->flags & CACHE_CC_SIE) && req->sie_s > window)
		window = req->sie_s;
	if (!((r->cc.flags | req->flags) & CACHE_CC_SIE))
		return false;
	staleness = age_s > lifetime_s ? age_s - lifetime_s : 0;
	return staleness <= window;
}
