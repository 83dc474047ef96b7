/*
 * The forward proxy's cache hit side (lib/proxy/fwd_cache_hit.c,
 * fwd_cache_reval.c) on the two-stack harness: validation of stale
 * responses with the origin (RFC 9111 4.3: 304, a new 200, 5xx and no
 * answer with and without stale-if-error), clients' conditional requests
 * answered 304 from a fresh entry (RFC 9110 13), single byte ranges
 * (206, 416, If-Range; RFC 9110 14), Cache-Status (RFC 9211) and the
 * access-log codes, read back from the worker's log ring.  Node A runs
 * the proxy on port 3128 with a cache; node B is the client and the
 * origin (port 80), whose answers each test scripts.
 */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>
#include <rte_cycles.h>

#include "../tcp/tcp_test_util.h"
#include "fwd_test_util.h"

static struct alog_ring *ring;

/* The proxy with a 4 MiB cache and an access-log ring; Cache-Status as
 * <status_on>. */
static void
setup_with(bool status_on)
{
	ring = ft_setup_ring((struct ft_opts){.cache_status = status_on});
}

static void
setup(void)
{
	setup_with(false);
}

static void
setup_status(void)
{
	setup_with(true);
}

static void
teardown(void)
{
	ft_teardown_ring(ring);
}

TestSuite(fwdc, .init = setup, .fini = teardown);

/* GET <path> with the fields <extra>; the origin answers <resp> (NULL:
 * not at all) when the request reached it.  The client's and the
 * origin's buffers are cleared first.  Returns whether it did. */
static bool
get(const char *path, const char *extra, const char *resp)
{
	return ft_get_clear(path, extra, resp);
}

/* The access-log line of the last transaction (squid format); the ring
 * is emptied. */
static const char *
last_log(void)
{
	static char line[ALOG_LINE_MAX];
	const struct alog_record *recs[256];
	uint32_t n = alog_ring_peek(ring, recs, 256);

	cr_assert_gt(n, 0, "no access-log record");
	alog_format(recs[n - 1], ALOG_FMT_SQUID, line, sizeof(line));
	alog_ring_release(ring, n);
	return line;
}

#define LM "Tue, 01 Dec 2026 10:00:00 GMT"
/* fresh for 1 s, with both validators */
#define RESP_V1                                                           \
	"HTTP/1.1 200 OK\r\nCache-Control: max-age=1\r\nETag: \"v1\"\r\n" \
	"Last-Modified: " LM "\r\nContent-Length: 5\r\n\r\nhello"
#define RESP_V1_60                                                         \
	"HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nETag: \"v1\"\r\n" \
	"Last-Modified: " LM "\r\nContent-Length: 5\r\n\r\nhello"

/* ---- validation ---- */

/* Expired: the request goes up with the stored validators; the 304's
 * fields update the stored head (the new max-age makes it fresh again,
 * Content-Length and hop-by-hop fields of the 304 are not taken); the
 * client gets the stored body; the next request is a hit. */
Test(fwdc, revalidate_304_updates_head)
{
	client_connect();
	cr_assert(get("/v", "", RESP_V1));
	(void)last_log();
	run(2000);
	cr_assert(get("/v", "",
	              "HTTP/1.1 304 Not Modified\r\nCache-Control: "
	              "max-age=60\r\nETag: \"v1\"\r\nX-New: 1\r\n"
	              "Content-Length: 99\r\nConnection: x-hop\r\n"
	              "X-Hop: no\r\n\r\n"),
	          "not revalidated");
	cr_assert(strstr(org.rx, "\r\nIf-None-Match: \"v1\"\r\n") != NULL,
	          "origin got: %s", org.rx);
	cr_assert(strstr(org.rx, "\r\nIf-Modified-Since: " LM "\r\n") != NULL,
	          "origin got: %s", org.rx);
	cr_assert(strncmp(cli.rx, "HTTP/1.1 200 OK\r\n", 17) == 0, "got: %s",
	          cli.rx);
	cr_assert(strstr(cli.rx, "\r\n\r\nhello") != NULL, "got: %s", cli.rx);
	cr_assert(strstr(cli.rx, "max-age=60") != NULL, "got: %s", cli.rx);
	cr_assert(strstr(cli.rx, "max-age=1\r") == NULL, "got: %s", cli.rx);
	cr_assert(strstr(cli.rx, "\r\nX-New: 1\r\n") != NULL);
	cr_assert(strstr(cli.rx, "\r\nContent-Length: 5\r\n") != NULL);
	cr_assert(strstr(cli.rx, "X-Hop") == NULL, "got: %s", cli.rx);
	cr_assert(strstr(cli.rx, "99") == NULL, "got: %s", cli.rx);
	cr_assert(strstr(last_log(), " TCP_REFRESH_UNMODIFIED/200 ") != NULL);
	cr_assert_eq(cnt.fwd_cache_revalidated_304, 1);
	/* fresh for 60 s now: a hit, the origin not asked */
	run(2000);
	cr_assert_not(get("/v", "", NULL));
	cr_assert(strstr(cli.rx, "\r\n\r\nhello") != NULL);
	cr_assert(strstr(cli.rx, "\r\nX-New: 1\r\n") != NULL);
	cr_assert(strstr(last_log(), " TCP_MEM_HIT/200 ") != NULL);
	cr_assert_not(cli.closed);
}

/* A 304 naming another strong ETag is for another representation: the
 * stored head is not updated (RFC 9111 4.3.4), so the entry stays stale
 * and the next request validates again. */
Test(fwdc, revalidate_304_other_etag_not_updated)
{
	static const char other[] = "HTTP/1.1 304 Not Modified\r\n"
	                            "Cache-Control: max-age=60\r\n"
	                            "ETag: \"v9\"\r\n\r\n";

	client_connect();
	cr_assert(get("/o", "", RESP_V1));
	run(2000);
	cr_assert(get("/o", "", other));
	cr_assert(strstr(cli.rx, "\r\n\r\nhello") != NULL, "got: %s", cli.rx);
	cr_assert(strstr(cli.rx, "v9") == NULL, "got: %s", cli.rx);
	cr_assert(get("/o", "", other), "the entry was refreshed");
	cr_assert(strstr(org.rx, "If-None-Match: \"v1\"") != NULL);
}

/* Expired, and the origin has a new version: it goes to the client and
 * replaces the stored one. */
Test(fwdc, revalidate_200_replaces)
{
	client_connect();
	cr_assert(get("/m", "", RESP_V1));
	run(2000);
	cr_assert(get("/m", "",
	              "HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\n"
	              "ETag: \"v2\"\r\nContent-Length: 5\r\n\r\nworld"));
	cr_assert(strstr(cli.rx, "\r\n\r\nworld") != NULL, "got: %s", cli.rx);
	cr_assert(strstr(last_log(), " TCP_REFRESH_MODIFIED/200 ") != NULL);
	cr_assert_eq(cnt.fwd_cache_revalidated_200, 1);
	cr_assert_eq(cnt.fwd_cache_stored, 2);
	cr_assert_not(get("/m", "", NULL));
	cr_assert(strstr(cli.rx, "\r\n\r\nworld") != NULL, "got: %s", cli.rx);
}

/* No validator: nothing to validate with, a plain miss (no conditional
 * goes up). */
Test(fwdc, no_validator_plain_miss)
{
	static const char resp[] =
	    "HTTP/1.1 200 OK\r\nCache-Control: "
	    "max-age=1\r\nContent-Length: 5\r\n\r\nhello";

	client_connect();
	cr_assert(get("/n", "", resp));
	run(2000);
	cr_assert(get("/n", "", resp));
	cr_assert(strstr(org.rx, "If-") == NULL, "origin got: %s", org.rx);
	cr_assert(strstr(last_log(), " TCP_MISS/200 ") != NULL);
}

/* The client's own conditional on a stale entry: passed through, its
 * answer relayed (a plain miss: no validation of ours). */
Test(fwdc, client_conditional_on_stale_passed_through)
{
	client_connect();
	cr_assert(get("/c", "", RESP_V1));
	run(2000);
	cr_assert(get("/c", "If-None-Match: \"zz\"\r\n",
	              "HTTP/1.1 304 Not Modified\r\nETag: \"zz\"\r\n\r\n"));
	cr_assert(strstr(org.rx, "If-None-Match: \"zz\"\r\n") != NULL);
	cr_assert(strstr(org.rx, "\"v1\"") == NULL, "origin got: %s", org.rx);
	cr_assert(strncmp(cli.rx, "HTTP/1.1 304 ", 13) == 0, "got: %s", cli.rx);
	cr_assert(strstr(last_log(), " TCP_MISS/304 ") != NULL);
	cr_assert_eq(cnt.fwd_cache_revalidated_304, 0);
}

/* A 5xx to the validation: within stale-if-error the stale response;
 * without it the error. */
Test(fwdc, revalidate_503_stale_if_error)
{
	static const char resp[] =
	    "HTTP/1.1 200 OK\r\nCache-Control: max-age=1, stale-if-error=60\r\n"
	    "ETag: \"s\"\r\nContent-Length: 5\r\n\r\nhello";

	client_connect();
	cr_assert(get("/s", "", resp));
	run(2000);
	cr_assert(get("/s", "",
	              "HTTP/1.1 503 Service Unavailable\r\n"
	              "Content-Length: 4\r\n\r\noops"));
	cr_assert(strncmp(cli.rx, "HTTP/1.1 200 OK\r\n", 17) == 0, "got: %s",
	          cli.rx);
	cr_assert(strstr(cli.rx, "\r\n\r\nhello") != NULL);
	cr_assert(strstr(cli.rx, "oops") == NULL);
	cr_assert(strstr(last_log(), " TCP_REFRESH_FAIL_OLD/200 ") != NULL);
	cr_assert_eq(cnt.fwd_cache_stale_if_error, 1);
}

Test(fwdc, revalidate_503_without_stale_if_error)
{
	client_connect();
	cr_assert(get("/e", "", RESP_V1));
	run(2000);
	cr_assert(get("/e", "",
	              "HTTP/1.1 503 Service Unavailable\r\n"
	              "Content-Length: 4\r\n\r\noops"));
	cr_assert(strncmp(cli.rx, "HTTP/1.1 503 ", 13) == 0, "got: %s", cli.rx);
	cr_assert(strstr(last_log(), " TCP_REFRESH_FAIL_ERR/503 ") != NULL);
	cr_assert_eq(cnt.fwd_cache_stale_if_error, 0);
	/* still stored: validated next time */
	cr_assert(
	    get("/e", "", "HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\n\r\n"));
	cr_assert(strstr(cli.rx, "\r\n\r\nhello") != NULL, "got: %s", cli.rx);
}

/* No answer at all (the origin resets the connection before a head):
 * stale-if-error in the request serves the stale one; the client is
 * closed after it, as after the 502 it stands for. */
Test(fwdc, revalidate_reset_stale_if_error)
{
	static const char resp[] = "HTTP/1.1 200 OK\r\nCache-Control: "
	                           "max-age=1\r\nConnection: close\r\nETag: "
	                           "\"r\"\r\nContent-Length: 5\r\n\r\nhello";

	client_connect();
	cr_assert(get("/r", "", resp));
	run(2000);
	cr_assert(get("/r", "Cache-Control: stale-if-error=600\r\n", NULL));
	tcp_abort(org.c);
	run(20);
	cr_assert(strncmp(cli.rx, "HTTP/1.1 200 OK\r\n", 17) == 0, "got: %s",
	          cli.rx);
	cr_assert(strstr(cli.rx, "\r\n\r\nhello") != NULL);
	cr_assert(strstr(cli.rx, "\r\nConnection: close\r\n") != NULL);
	cr_assert(strstr(last_log(), " TCP_REFRESH_FAIL_OLD/200 ") != NULL);
	cr_assert(cli.fin);
}

/* ---- clients' conditional requests on a fresh entry ---- */

Test(fwdc, if_none_match_304)
{
	client_connect();
	cr_assert(get("/i", "", RESP_V1_60));
	(void)last_log();
	cr_assert_not(get("/i", "If-None-Match: \"x\", W/\"v1\"\r\n", NULL));
	cr_assert(strncmp(cli.rx, "HTTP/1.1 304 Not Modified\r\n", 27) == 0,
	          "got: %s", cli.rx);
	cr_assert(strstr(cli.rx, "\r\nETag: \"v1\"\r\n") != NULL);
	cr_assert(strstr(cli.rx, "\r\nCache-Control: max-age=60\r\n") != NULL);
	cr_assert(strstr(cli.rx, "\r\nAge: 0\r\n") != NULL);
	cr_assert(strstr(cli.rx, "\r\nVia: 1.1 gatehouse\r\n") != NULL);
	cr_assert(strstr(cli.rx, "Content-Length") == NULL, "got: %s", cli.rx);
	cr_assert(strstr(cli.rx, "Last-Modified") == NULL, "got: %s", cli.rx);
	cr_assert(strstr(cli.rx, "hello") == NULL);
	cr_assert(strstr(last_log(), " TCP_INM_HIT/304 ") != NULL);
	cr_assert_eq(cnt.fwd_cache_not_modified, 1);
	/* "*" matches any stored response */
	cr_assert_not(get("/i", "If-None-Match: *\r\n", NULL));
	cr_assert(strncmp(cli.rx, "HTTP/1.1 304 ", 13) == 0);
	/* no match: the whole response, from the cache */
	cr_assert_not(get("/i", "If-None-Match: \"v2\"\r\n", NULL));
	cr_assert(strncmp(cli.rx, "HTTP/1.1 200 OK\r\n", 17) == 0);
	cr_assert(strstr(cli.rx, "\r\n\r\nhello") != NULL);
	/* If-None-Match takes precedence over a matching If-Modified-Since */
	cr_assert_not(get("/i",
	                  "If-None-Match: \"v2\"\r\n"
	                  "If-Modified-Since: " LM "\r\n",
	                  NULL));
	cr_assert(strncmp(cli.rx, "HTTP/1.1 200 OK\r\n", 17) == 0);
	cr_assert_eq(origin_requests(), 1);
}

Test(fwdc, if_modified_since_304)
{
	client_connect();
	cr_assert(get("/d", "", RESP_V1_60));
	(void)last_log();
	cr_assert_not(get("/d", "If-Modified-Since: " LM "\r\n", NULL));
	cr_assert(strncmp(cli.rx, "HTTP/1.1 304 ", 13) == 0, "got: %s", cli.rx);
	cr_assert(strstr(last_log(), " TCP_IMS_HIT/304 ") != NULL);
	/* modified since an earlier date: the whole response */
	cr_assert_not(get("/d",
	                  "If-Modified-Since: Mon, 30 Nov 2026 10:00:00 "
	                  "GMT\r\n",
	                  NULL));
	cr_assert(strncmp(cli.rx, "HTTP/1.1 200 OK\r\n", 17) == 0);
	/* an invalid date is ignored */
	cr_assert_not(get("/d", "If-Modified-Since: yesterday\r\n", NULL));
	cr_assert(strncmp(cli.rx, "HTTP/1.1 200 OK\r\n", 17) == 0);
	/* If-Match is the origin's to judge */
	cr_assert(get("/d", "If-Match: \"v1\"\r\n", RESP_V1_60));
	cr_assert_eq(origin_requests(), 2);
}

/* ---- ranges ---- */

/* GET <path> with "Range: <range>" answered from the cache. */
static void
range_hit(const char *range, const char *extra)
{
	char f[256];

	snprintf(f, sizeof(f), "Range: %s\r\n%s", range, extra);
	cr_assert_not(get("/g", f, NULL), "%s went to the origin", range);
}

Test(fwdc, single_ranges)
{
	client_connect();
	cr_assert(get("/g", "", RESP_V1_60));
	range_hit("bytes=1-3", "");
	cr_assert(strncmp(cli.rx, "HTTP/1.1 206 Partial Content\r\n", 30) == 0,
	          "got: %s", cli.rx);
	cr_assert(strstr(cli.rx, "\r\nContent-Range: bytes 1-3/5\r\n") != NULL);
	cr_assert(strstr(cli.rx, "\r\nContent-Length: 3\r\n") != NULL);
	cr_assert(strstr(cli.rx, "Content-Length: 5") == NULL);
	cr_assert(strstr(cli.rx, "\r\n\r\nell") != NULL);
	cr_assert_eq(strlen(strstr(cli.rx, "\r\n\r\n")), 4 + 3,
	             "more than the range: %s", cli.rx);
	cr_assert(strstr(last_log(), " TCP_MEM_HIT/206 ") != NULL);
	range_hit("bytes=-2", "");
	cr_assert(strstr(cli.rx, "bytes 3-4/5\r\n") != NULL, "got %s", cli.rx);
	cr_assert(strstr(cli.rx, "\r\n\r\nlo") != NULL);
	range_hit("bytes=3-", "");
	cr_assert(strstr(cli.rx, "bytes 3-4/5\r\n") != NULL);
	range_hit("bytes=0-999", "");
	cr_assert(strstr(cli.rx, "bytes 0-4/5\r\n") != NULL);
	cr_assert(strstr(cli.rx, "\r\n\r\nhello") != NULL);
	range_hit("bytes=-99", "");
	cr_assert(strstr(cli.rx, "bytes 0-4/5\r\n") != NULL);
	cr_assert_eq(cnt.fwd_cache_ranges, 5);
	/* unsatisfiable */
	range_hit("bytes=5-", "");
	cr_assert(strncmp(cli.rx, "HTTP/1.1 416 ", 13) == 0, "got: %s", cli.rx);
	cr_assert(strstr(cli.rx, "\r\nContent-Range: bytes */5\r\n") != NULL);
	cr_assert(strstr(cli.rx, "\r\nContent-Length: 0\r\n") != NULL);
	cr_assert(strstr(last_log(), " TCP_MEM_HIT/416 ") != NULL);
	range_hit("bytes=-0", "");
	cr_assert(strncmp(cli.rx, "HTTP/1.1 416 ", 13) == 0, "got: %s", cli.rx);
	cr_assert_eq(cnt.fwd_cache_range_416, 2);
	/* invalid: ignored, the whole 200 (RFC 9110 14.2) */
	range_hit("bytes=3-1", "");
	cr_assert(strncmp(cli.rx, "HTTP/1.1 200 OK\r\n", 17) == 0);
	range_hit("items=0-1", "");
	cr_assert(strncmp(cli.rx, "HTTP/1.1 200 OK\r\n", 17) == 0);
	range_hit("bytes=x-1", "");
	cr_assert(strncmp(cli.rx, "HTTP/1.1 200 OK\r\n", 17) == 0);
	cr_assert_eq(origin_requests(), 1);
}

Test(fwdc, if_range_and_multi_range)
{
	client_connect();
	cr_assert(get("/g", "", RESP_V1_60));
	range_hit("bytes=0-1", "If-Range: \"v1\"\r\n");
	cr_assert(strncmp(cli.rx, "HTTP/1.1 206 ", 13) == 0, "got: %s", cli.rx);
	range_hit("bytes=0-1", "If-Range: " LM "\r\n");
	cr_assert(strncmp(cli.rx, "HTTP/1.1 206 ", 13) == 0, "got: %s", cli.rx);
	/* another tag, a weak one, another date: the whole 200 */
	range_hit("bytes=0-1", "If-Range: \"v0\"\r\n");
	cr_assert(strncmp(cli.rx, "HTTP/1.1 200 ", 13) == 0, "got: %s", cli.rx);
	range_hit("bytes=0-1", "If-Range: W/\"v1\"\r\n");
	cr_assert(strncmp(cli.rx, "HTTP/1.1 200 ", 13) == 0, "got: %s", cli.rx);
	range_hit("bytes=0-1", "If-Range: Mon, 30 Nov 2026 10:00:00 GMT\r\n");
	cr_assert(strncmp(cli.rx, "HTTP/1.1 200 ", 13) == 0, "got: %s", cli.rx);
	/* several ranges: the origin's, its 206 not stored */
	cr_assert(get("/g", "Range: bytes=0-0, 2-3\r\n",
	              "HTTP/1.1 206 Partial Content\r\n"
	              "Content-Type: multipart/byteranges; boundary=B\r\n"
	              "Content-Length: 2\r\n\r\nxx"));
	cr_assert(strstr(org.rx, "Range: bytes=0-0, 2-3\r\n") != NULL);
	cr_assert_eq(cnt.fwd_cache_stored, 1);
	cr_assert_not(get("/g", "", NULL));
	cr_assert(strstr(cli.rx, "\r\n\r\nhello") != NULL);
}

/* HEAD with a Range: ranges are for GET only, the whole head. */
Test(fwdc, head_ignores_range)
{
	client_connect();
	cr_assert(get("/h", "", RESP_V1_60));
	cli.rx_len = 0;
	send_str(&cli, "HEAD http://10.0.0.2/h HTTP/1.1\r\nHost: x\r\n"
	               "Range: bytes=0-1\r\n\r\n");
	run(10);
	cr_assert(strncmp(cli.rx, "HTTP/1.1 200 OK\r\n", 17) == 0, "got: %s",
	          cli.rx);
	cr_assert(strstr(cli.rx, "\r\nContent-Length: 5\r\n") != NULL);
}

/* ---- Cache-Status (RFC 9211) ---- */

Test(fwdc, cache_status_off_by_default)
{
	client_connect();
	cr_assert(get("/o", "", RESP_V1_60));
	cr_assert_not(get("/o", "", NULL));
	cr_assert(strstr(cli.rx, "Cache-Status") == NULL);
}

/* Cache-Status on: a suite of its own (its set-up differs). */
TestSuite(fwdc_status, .init = setup_status, .fini = teardown);

Test(fwdc_status, cache_status)
{
	client_connect();
	cr_assert(get("/t", "", RESP_V1));
	cr_assert(strstr(cli.rx, "\r\nCache-Status: proxy; fwd=uri-miss; "
	                         "stored\r\n") != NULL,
	          "got: %s", cli.rx);
	cr_assert_not(get("/t", "", NULL));
	cr_assert(strstr(cli.rx, "\r\nCache-Status: proxy; hit; ttl=1\r\n") !=
	              NULL,
	          "got: %s", cli.rx);
	run(2000);
	cr_assert(get("/t", "",
	              "HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\n"
	              "Cache-Control: max-age=30\r\n\r\n"));
	cr_assert(strstr(cli.rx, "\r\nCache-Status: proxy; fwd=stale; "
	                         "fwd-status=304; ttl=30\r\n") != NULL,
	          "got: %s", cli.rx);
	cr_assert(get("/t", "Cache-Control: no-cache\r\n",
	              "HTTP/1.1 200 OK\r\nCache-Control: max-age=30\r\n"
	              "ETag: \"v3\"\r\nContent-Length: 5\r\n\r\nthree"));
	cr_assert(strstr(cli.rx, "\r\nCache-Status: proxy; fwd=request; "
	                         "fwd-status=200; stored\r\n") != NULL,
	          "got: %s", cli.rx);
	/* not a request the cache handles */
	cli.rx_len = 0;
	send_str(&cli, "POST http://10.0.0.2/p HTTP/1.1\r\nHost: x\r\n"
	               "Content-Length: 1\r\n\r\nx");
	run(10);
	send_str(&org, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
	run(10);
	cr_assert(strstr(cli.rx, "\r\nCache-Status: proxy; fwd=bypass\r\n") !=
	              NULL,
	          "got: %s", cli.rx);
}

/* A collapsed miss (waiting on the first request's fetch) says so. */
Test(fwdc_status, cache_status_collapsed)
{
	static const char req[] =
	    "GET http://10.0.0.2/w HTTP/1.1\r\nHost: 10.0.0.2\r\n\r\n";
	static struct peer cli2;

	client_connect();
	peer_connect(&cli2);
	send_str(&cli, req);
	run(10);
	cr_assert_eq(origin_requests(), 1);
	send_str(&cli2, req);
	run(10);
	cr_assert_eq(origin_requests(), 1, "the second miss went upstream");
	send_str(&org, RESP_V1_60);
	run(20);
	cr_assert(strstr(cli.rx, "\r\nCache-Status: proxy; fwd=uri-miss; "
	                         "stored\r\n") != NULL,
	          "got: %s", cli.rx);
	cr_assert(strstr(cli2.rx, "\r\nCache-Status: proxy; fwd=uri-miss; "
	                          "collapsed\r\n") != NULL,
	          "got: %s", cli2.rx);
	cr_assert(strstr(cli2.rx, "\r\n\r\nhello") != NULL);
}

/* ---- CDN-Cache-Control (RFC 9213), per listener ---- */

/* GET <path> on the connection of <p>; the origin answers <resp> when the
 * request reached it.  Both sides' buffers cleared first; returns whether
 * it did. */
static bool
get_on(struct peer *p, const char *path, const char *resp)
{
	uint64_t before = origin_requests();
	char req[256];

	p->rx_len = org.rx_len = 0;
	p->rx[0] = org.rx[0] = '\0';
	snprintf(req, sizeof(req),
	         "GET http://10.0.0.2%s HTTP/1.1\r\nHost: 10.0.0.2\r\n\r\n",
	         path);
	send_str(p, req);
	run(10);
	if (origin_requests() == before)
		return false;
	send_str(&org, resp);
	run(10);
	return true;
}

/* RFC 9213 3.1's example on one shared cache: no-store for every cache
 * but CDNs, 60 s for them.  The listener with cache-cdn-control on
 * stores and serves it, both fields forwarded as they came (3: CDN
 * caches "typically forward" it); the one with it off (the default)
 * neither stores it nor uses the copy the other stored.  Cache-Status
 * names each listener: "proxy" a token, "2-edge" (no letter first) a
 * String. */
Test(fwdc_status, cdn_cache_control_per_listener)
{
	static const char resp[] =
	    "HTTP/1.1 200 OK\r\nCache-Control: no-store\r\n"
	    "CDN-Cache-Control: max-age=60\r\nContent-Length: 5\r\n\r\nhello";
	static struct peer off;
	struct conf_forward edge = cfg;

	edge.cache_cdn_control = true;
	strcpy(edge.name, "2-edge");
	cr_assert(ft_listen_connect(3129, &edge)); /* cli: the edge */
	peer_connect(&off);                        /* off: port 3128 */

	cr_assert(get_on(&off, "/cdn", resp));
	cr_assert_eq(cnt.fwd_cache_not_stored_no_store, 1);
	cr_assert_eq(cnt.fwd_cache_cdn_cc, 0, "counted on a listener off");
	cr_assert(strstr(off.rx, "\r\nCache-Status: proxy; fwd=uri-miss\r\n"),
	          "got: %s", off.rx);
	cr_assert(get_on(&off, "/cdn", resp), "stored on a listener off");

	cr_assert(get_on(&cli, "/cdn", resp));
	cr_assert_eq(cnt.fwd_cache_cdn_cc, 1);
	cr_assert_eq(cnt.fwd_cache_stored, 1);
	cr_assert(strstr(cli.rx, "\r\nCache-Status: \"2-edge\"; fwd=uri-miss; "
	                         "stored\r\n") != NULL,
	          "got: %s", cli.rx);
	cr_assert(strstr(cli.rx, "\r\nCDN-Cache-Control: max-age=60\r\n"));
	cr_assert(strstr(cli.rx, "\r\nCache-Control: no-store\r\n"));
	cr_assert_not(get_on(&cli, "/cdn", NULL), "not a hit on the edge");
	cr_assert(
	    strstr(cli.rx, "\r\nCache-Status: \"2-edge\"; hit; ttl=60\r\n"),
	    "got: %s", cli.rx);
	cr_assert(strstr(cli.rx, "\r\nCDN-Cache-Control: max-age=60\r\n"));
	cr_assert(strstr(cli.rx, "\r\nCache-Control: no-store\r\n"));
	cr_assert(strstr(cli.rx, "\r\n\r\nhello"));

	/* the edge's copy is no use to a listener that reads no-store */
	cr_assert(get_on(&off, "/cdn", resp), "the off listener used it");
	cr_assert_not(get_on(&cli, "/cdn", NULL), "the edge's copy was lost");
}

/* An invalid CDN-Cache-Control (a trailing comma: RFC 8941 says no) is
 * ignored (RFC 9213 2.2): Cache-Control decides, and it is counted. */
Test(fwdc_status, cdn_cache_control_invalid_ignored)
{
	static const char resp[] =
	    "HTTP/1.1 200 OK\r\nCache-Control: max-age=30\r\n"
	    "CDN-Cache-Control: max-age=600,\r\nContent-Length: 5\r\n\r\nhello";
	struct conf_forward edge = cfg;

	edge.cache_cdn_control = true;
	strcpy(edge.name, "edge");
	cr_assert(ft_listen_connect(3129, &edge));
	cr_assert(get_on(&cli, "/bad", resp));
	cr_assert_eq(cnt.fwd_cache_cdn_cc_invalid, 1);
	cr_assert_eq(cnt.fwd_cache_cdn_cc, 0);
	cr_assert_not(get_on(&cli, "/bad", NULL));
	cr_assert(strstr(cli.rx, "\r\nCache-Status: edge; hit; ttl=30\r\n"),
	          "got: %s", cli.rx);
}
