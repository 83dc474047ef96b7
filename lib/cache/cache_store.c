/*
 * Storability (RFC 9111 section 3, 3.5) for a shared cache, and the
 * fields a cache never stores (RFC 9110 7.6.1, RFC 9111 3.1).
 *
 * RFC 9111 3 lists what must hold for a response to be stored; the checks
 * below follow its order and the first that fails is the reason returned.
 * Two are ours, both about responses the RFC allows to be stored but that
 * could never be used: a Vary that never matches (4.1), and a response
 * stale on arrival with no validator to revalidate it and no stale-*
 * window to serve it in.  The RFC's list does not require a validator for
 * a response that has a lifetime, and neither do we.
 */
#include <string.h>

#include "cache/cache_policy.h"
#include "cache/cache_priv.h"
#include "common/gh_common.h"
#include "http/http.h"

#define CACHE_NS_NAME(e, n, h) [CACHE_NS_##e] = n,
static const char *const nostore_names[CACHE_NS__COUNT] = {
    CACHE_NOSTORE_REASONS(CACHE_NS_NAME)};
#undef CACHE_NS_NAME

const char *
cache_nostore_name(enum cache_nostore why)
{
	if ((unsigned)why >= CACHE_NS__COUNT)
		return "?";
	return nostore_names[why];
}

/* Statuses whose caching requirements this cache implements, for
 * must-understand (5.2.2.3): those heuristically cacheable but 206 (not
 * stored whole), and the redirects whose reuse needs nothing beyond
 * RFC 9111. */
static bool
status_understood(unsigned status)
{
	if (status == 206)
		return false;
	return cache_status_heuristic(status) || status == 302 ||
	       status == 303 || status == 307;
}

enum cache_nostore
cache_storable(const struct cache_req_meta *q, const struct cache_resp_meta *r,
               uint32_t heuristic_max_s)
{
	const uint32_t rf = r->cc.flags;

	if (q->method != HTTP_M_GET && q->method != HTTP_M_HEAD)
		return CACHE_NS_METHOD;
	if (r->status < 200 || r->status > 599)
		return CACHE_NS_STATUS;
	if (r->status == 206 || r->status == 304)
		return CACHE_NS_PARTIAL;
	if (q->cc.flags & CACHE_CC_NO_STORE)
		return CACHE_NS_REQ_NO_STORE;
	/* must-understand: stored only when the status is understood, and
	 * then no-store does not apply (5.2.2.3, 5.2.2.5) */
	if (rf & CACHE_CC_MUST_UNDERSTAND) {
		if (!status_understood(r->status))
			return CACHE_NS_STATUS;
	} else if (rf & CACHE_CC_NO_STORE) {
		return CACHE_NS_NO_STORE;
	}
	/* private, qualified or not: the names are not kept (cache_cc.c),
	 * so a qualified private is read as the plain one */
	if (rf & CACHE_CC_PRIVATE)
		return CACHE_NS_PRIVATE;
	if ((q->flags & CACHE_M_AUTHORIZATION) &&
	    !(rf &
	      (CACHE_CC_PUBLIC | CACHE_CC_S_MAXAGE | CACHE_CC_MUST_REVALIDATE)))
		return CACHE_NS_AUTHORIZATION;
	if (r->flags & CACHE_M_VARY_NEVER)
		return CACHE_NS_VARY;
	/* A shared cache would hand one user's cookie (a session) to every
	 * other: as Varnish's built-in rules, never stored, whatever the
	 * response's Cache-Control says (RFC 9111 3.1 allows storing it;
	 * RFC 6265 8.3 and 9111 7.3 warn of exactly this). */
	if (r->flags & CACHE_M_SET_COOKIE)
		return CACHE_NS_SET_COOKIE;
	if (!(rf & (CACHE_CC_PUBLIC | CACHE_CC_MAX_AGE | CACHE_CC_S_MAXAGE)) &&
	    !(r->flags & CACHE_M_EXPIRES) && !cache_status_heuristic(r->status))
		return CACHE_NS_NO_FRESHNESS;
	if (cache_lifetime(r, heuristic_max_s) == 0 &&
	    !(r->flags & (CACHE_M_ETAG | CACHE_M_LAST_MODIFIED)) &&
	    !(rf & (CACHE_CC_SWR | CACHE_CC_SIE)))
		return CACHE_NS_UNUSABLE;
	return CACHE_NS_STORED;
}

/* Hop-by-hop by definition (RFC 9110 7.6.1, 11.6.2, 11.7; RFC 9112 7.4,
 * 9.6; Proxy-Connection and Keep-Alive by practice). */
static const char *const hop_fields[] = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "transfer-encoding",
    "upgrade",
    "trailer",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-authentication-info",
    /* not hop-by-hop, but one client's: a 304 that sets a cookie must
     * not put it in the head every later hit is served from */
    "set-cookie",
    "set-cookie2",
};

bool
cache_hdr_never_stored(const struct http_msg *msg, const char *buf, unsigned i)
{
	const struct http_header *h;
	size_t k;

	GH_VERIFY(i < msg->n_headers);
	h = &msg->hdr[i];
	for (k = 0; k < GH_ARRAY_SIZE(hop_fields); k++)
		if (cache_eq_nocase(buf + h->name.off, h->name.len,
		                    hop_fields[k]))
			return true;
	return http_conn_lists(msg, buf, buf + h->name.off, h->name.len);
}
