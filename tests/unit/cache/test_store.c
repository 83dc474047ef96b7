/*
 * lib/cache storability (cache_store.c) from RFC 9111 section 3 and 3.5,
 * one table of request and response heads with the reason expected, and
 * the fields never stored (RFC 9110 7.6.1).
 */
#include <string.h>

#include <criterion/criterion.h>

#include "cache/cache_policy.h"
#include "cache_test_util.h"

TestSuite(cache_store);

#define GET     "GET /x HTTP/1.1\r\nHost: o.example\r\n"
#define HEAD    "HEAD /x HTTP/1.1\r\nHost: o.example\r\n"
#define POST    "POST /x HTTP/1.1\r\nHost: o.example\r\nContent-Length: 0\r\n"
#define AUTH    "Authorization: Basic dTpw\r\n"
#define OK      "HTTP/1.1 200 OK\r\n"
#define CC(v)   "Cache-Control: " v "\r\n"
#define ETAG    "ETag: \"v1\"\r\n"
#define DATE_T0 "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
#define EXP_1H  "Expires: Sun, 06 Nov 1994 09:49:37 GMT\r\n"
#define LM_7D   "Last-Modified: Sun, 30 Oct 1994 08:49:37 GMT\r\n"
#define END     "\r\n"

struct store_case {
	const char *name;
	const char *req;
	const char *resp;
	enum cache_nostore why;
};

/*
 * RFC 9111 3: a cache MUST NOT store a response unless "the request method
 * is understood by the cache"; "the response status code is final"; "if
 * the response status code is 206 or 304, or the must-understand cache
 * directive is present: the cache understands the response status code";
 * "the no-store cache directive is not present in the response"; "if the
 * cache is shared: the private response directive is either not present or
 * allows a shared cache to store a modified response"; "if the cache is
 * shared: the Authorization header field is not present in the request or
 * a response directive is present that explicitly allows shared caching";
 * and "the response contains at least one of: a public response
 * directive; ... an Expires header field; a max-age response directive;
 * ... an s-maxage response directive; ... a status code that is defined as
 * heuristically cacheable".  5.2.1.5: request no-store: "MUST NOT store
 * any part of either this request or any response to it".  5.2.2.3:
 * must-understand overrides no-store for an understood status.  3.5: with
 * Authorization, only public, s-maxage or must-revalidate allow it.
 * 5.2.2.4: no-cache responses may be stored (and are validated on use).
 * 4.1: "A stored response with a Vary header field value containing a
 * member "*" always fails to match".
 */
static const struct store_case cases[] = {
    {"GET 200 max-age", GET END, OK CC("max-age=60") END, CACHE_NS_STORED},
    {"HEAD 200 max-age", HEAD END, OK CC("max-age=60") END, CACHE_NS_STORED},
    {"POST", POST END, OK CC("max-age=60") END, CACHE_NS_METHOD},
    {"DELETE", "DELETE /x HTTP/1.1\r\nHost: o\r\n" END, OK CC("max-age=60") END,
     CACHE_NS_METHOD},
    {"206", GET END, "HTTP/1.1 206 Partial Content\r\n" CC("max-age=60") END,
     CACHE_NS_PARTIAL},
    {"304", GET END, "HTTP/1.1 304 Not Modified\r\n" CC("max-age=60") END,
     CACHE_NS_PARTIAL},
    {"request no-store", GET CC("no-store") END, OK CC("max-age=60") END,
     CACHE_NS_REQ_NO_STORE},
    {"response no-store", GET END, OK CC("no-store, max-age=60") END,
     CACHE_NS_NO_STORE},
    {"no-store on a second line", GET END,
     OK CC("max-age=60") CC("no-store") END, CACHE_NS_NO_STORE},
    {"no-store with must-understand, 200", GET END,
     OK CC("no-store, must-understand, max-age=60") END, CACHE_NS_STORED},
    {"must-understand, status unknown", GET END,
     "HTTP/1.1 299 Whatever\r\n" CC("no-store, must-understand, max-age=60")
         END,
     CACHE_NS_STATUS},
    {"private", GET END, OK CC("private, max-age=60") END, CACHE_NS_PRIVATE},
    {"private with names", GET END,
     OK CC("private=\"set-cookie\", max-age=60") END, CACHE_NS_PRIVATE},
    {"Authorization, max-age only", GET AUTH END, OK CC("max-age=60") END,
     CACHE_NS_AUTHORIZATION},
    {"Authorization, public", GET AUTH END, OK CC("public, max-age=60") END,
     CACHE_NS_STORED},
    {"Authorization, s-maxage", GET AUTH END, OK CC("s-maxage=60") END,
     CACHE_NS_STORED},
    {"Authorization, must-revalidate", GET AUTH END,
     OK CC("must-revalidate, max-age=60") END, CACHE_NS_STORED},
    {"Vary: *", GET END, OK CC("max-age=60") "Vary: *\r\n" END, CACHE_NS_VARY},
    {"Vary: *, in a list", GET END,
     OK CC("max-age=60") "Vary: Accept, *\r\n" END, CACHE_NS_VARY},
    {"Vary: * on a second line", GET END,
     OK CC("max-age=60") "Vary: Accept\r\nVary: *\r\n" END, CACHE_NS_VARY},
    {"Vary: Accept", GET END, OK CC("max-age=60") "Vary: Accept\r\n" END,
     CACHE_NS_STORED},
    {"Set-Cookie", GET END,
     OK CC("max-age=60") "Set-Cookie: session=a1b2\r\n" END,
     CACHE_NS_SET_COOKIE},
    {"Set-Cookie, public", GET END,
     OK CC("public, s-maxage=60") "Set-Cookie: session=a1b2\r\n" END,
     CACHE_NS_SET_COOKIE},
    {"Set-Cookie2", GET END, OK CC("max-age=60") "Set-Cookie2: a=b\r\n" END,
     CACHE_NS_SET_COOKIE},
    {"302 without freshness", GET END, "HTTP/1.1 302 Found\r\n" LM_7D END,
     CACHE_NS_NO_FRESHNESS},
    {"302 max-age", GET END, "HTTP/1.1 302 Found\r\n" CC("max-age=60") END,
     CACHE_NS_STORED},
    {"302 Expires", GET END, "HTTP/1.1 302 Found\r\n" DATE_T0 EXP_1H END,
     CACHE_NS_STORED},
    {"302 public, Last-Modified", GET END,
     "HTTP/1.1 302 Found\r\n" CC("public") DATE_T0 LM_7D END, CACHE_NS_STORED},
    {"500 max-age", GET END,
     "HTTP/1.1 500 Internal Server Error\r\n" CC("max-age=60") END,
     CACHE_NS_STORED},
    {"503 without freshness", GET END,
     "HTTP/1.1 503 Service Unavailable\r\n" ETAG END, CACHE_NS_NO_FRESHNESS},
    {"404 heuristic", GET END, "HTTP/1.1 404 Not Found\r\n" DATE_T0 LM_7D END,
     CACHE_NS_STORED},
    {"200 nothing: stale, no validator", GET END, OK END, CACHE_NS_UNUSABLE},
    {"200 ETag only", GET END, OK ETAG END, CACHE_NS_STORED},
    {"200 Last-Modified only", GET END, OK DATE_T0 LM_7D END, CACHE_NS_STORED},
    {"max-age=0, no validator", GET END, OK CC("max-age=0") END,
     CACHE_NS_UNUSABLE},
    {"max-age=0 with ETag", GET END, OK CC("max-age=0") ETAG END,
     CACHE_NS_STORED},
    {"max-age=0 with stale-while-revalidate", GET END,
     OK CC("max-age=0, stale-while-revalidate=30") END, CACHE_NS_STORED},
    {"Expires: 0, no validator", GET END, OK DATE_T0 "Expires: 0\r\n" END,
     CACHE_NS_UNUSABLE},
    {"no-cache with ETag", GET END, OK CC("no-cache") ETAG END,
     CACHE_NS_STORED},
    {"request no-cache: still stored", GET CC("no-cache") END,
     OK CC("max-age=60") END, CACHE_NS_STORED},
};

Test(cache_store, table)
{
	static struct http_msg req, resp;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct store_case *c = &cases[i];
		struct cache_req_meta q;
		struct cache_resp_meta r;
		enum cache_nostore why;

		ct_parse_req(&req, c->req);
		ct_parse_resp(&resp, c->resp);
		cache_req_meta_parse(&q, &req, c->req);
		cache_resp_meta_parse(&r, &resp, c->resp, CT_T0);
		why = cache_storable(&q, &r, 86400);
		cr_expect_eq(why, c->why, "%s: %s, want %s", c->name,
		             cache_nostore_name(why),
		             cache_nostore_name(c->why));
	}
}

/* A status that is not final is refused whatever else it says (lib/http
 * does not hand a 1xx to the cache; the struct is built by hand). */
Test(cache_store, not_final)
{
	struct cache_req_meta q = {.method = HTTP_M_GET};
	struct cache_resp_meta r;

	memset(&r, 0, sizeof(r));
	r.status = 103;
	r.cc.flags = CACHE_CC_MAX_AGE | CACHE_CC_PUBLIC;
	r.cc.max_age_s = 60;
	cr_expect_eq(cache_storable(&q, &r, 0), CACHE_NS_STATUS);
}

Test(cache_store, reason_names)
{
	cr_expect_str_eq(cache_nostore_name(CACHE_NS_STORED), "stored");
	cr_expect_str_eq(cache_nostore_name(CACHE_NS_NO_STORE), "no_store");
	cr_expect_str_eq(cache_nostore_name(CACHE_NS_VARY), "vary");
	cr_expect_str_eq(cache_nostore_name(CACHE_NS__COUNT), "?");
	cr_expect_str_eq(cache_nostore_name((enum cache_nostore) - 1), "?");
}

/* RFC 9110 15.1: the heuristically cacheable statuses, and some that are
 * not. */
Test(cache_store, heuristic_statuses)
{
	static const unsigned yes[] = {200, 203, 204, 206, 300, 301,
	                               308, 404, 405, 410, 414, 501};
	static const unsigned no[] = {201, 202, 205, 302, 303, 304, 307,
	                              400, 401, 403, 500, 502, 503, 504};
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		cr_expect(cache_status_heuristic(yes[i]), "%u", yes[i]);
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		cr_expect(!cache_status_heuristic(no[i]), "%u", no[i]);
}

/*
 * RFC 9110 7.6.1: "Connection" and the fields it lists, "Proxy-Connection",
 * "Keep-Alive", "TE", "Transfer-Encoding", "Upgrade" are connection
 * specific; RFC 9111 3.1: a cache MUST NOT store them (nor Trailer, nor
 * the Proxy-Authenticate / Proxy-Authorization / Proxy-Authentication-Info
 * fields of RFC 9110 11.7, which belong to one hop).  Set-Cookie is ours:
 * one client's cookie never goes into a stored head.
 */
Test(cache_store, never_stored)
{
	static const char raw[] = "HTTP/1.1 200 OK\r\n"
	                          "Connection: close, X-Hop\r\n"
	                          "x-hop: 1\r\n"
	                          "Connection: x-other\r\n"
	                          "X-Other: 1\r\n"
	                          "Keep-Alive: timeout=5\r\n"
	                          "Proxy-Connection: keep-alive\r\n"
	                          "TE: trailers\r\n"
	                          "Transfer-Encoding: chunked\r\n"
	                          "UPGRADE: h2c\r\n"
	                          "Trailer: x-t\r\n"
	                          "Proxy-Authenticate: Basic\r\n"
	                          "Proxy-Authorization: Basic dTpw\r\n"
	                          "Proxy-Authentication-Info: x\r\n"
	                          "X-Hopper: 2\r\n"
	                          "Set-Cookie: a=b\r\n"
	                          "Content-Type: text/plain\r\n"
	                          "Authorization: x\r\n"
	                          "Age: 3\r\n"
	                          "\r\n";
	static const bool want[] = {true, true,  true, true,  true,  true,
	                            true, true,  true, true,  true,  true,
	                            true, false, true, false, false, false};
	static struct http_msg msg;
	unsigned i;

	ct_parse_resp(&msg, raw);
	cr_assert_eq(msg.n_headers, sizeof(want) / sizeof(want[0]));
	for (i = 0; i < msg.n_headers; i++)
		cr_expect_eq(cache_hdr_never_stored(&msg, raw, i), want[i],
		             "header %u (%.*s)", i, (int)msg.hdr[i].name.len,
		             raw + msg.hdr[i].name.off);
}
