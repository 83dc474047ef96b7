/*
 * stale-while-revalidate in the background (RFC 5861 3;
 * lib/proxy/fwd_cache_bg.c) on the two-stack harness: a stored response
 * within its window answers at once (TCP_STALE_HIT) while exactly one
 * conditional request for it reaches the origin, however many requests
 * come meanwhile; its 304 updates the stored head, a new 200 replaces
 * the object, a failure leaves the stale one; over cache-background-max,
 * past the window, or with Authorization the request is validated in the
 * foreground as before.  Collapsed validations: a request that would
 * validate an entry another validation (foreground or background) is
 * already validating waits on it, then is answered from what it brought
 * (304, 200), or validates itself (a failure, cache-collapse-wait-ms).
 * Node A runs the proxy with a cache; node B is the client and the
 * origin (port 80), whose answers each test scripts.
 */
#include <string.h>

#include <criterion/criterion.h>

#include "../tcp/tcp_test_util.h"
#include "fwd_test_util.h"

static struct alog_ring *ring;

static void
setup(void)
{
	ring = ft_setup_ring((struct ft_opts){0});
}

static void
setup_cap1(void)
{
	ring = ft_setup_ring((struct ft_opts){.bg_max = 1});
}

static void
setup_status(void)
{
	ring = ft_setup_ring((struct ft_opts){.cache_status = true});
}

static void
teardown(void)
{
	ft_teardown_ring(ring);
}

TestSuite(swr, .init = setup, .fini = teardown);
TestSuite(swr_cap, .init = setup_cap1, .fini = teardown);
TestSuite(swr_status, .init = setup_status, .fini = teardown);

/* The access-log lines since the last call (squid format), joined; the
 * ring is emptied. */
static const char *
logs(void)
{
	return ft_log_lines(ring);
}

/* fresh for 1 s, then 30 s of stale-while-revalidate */
#define RESP_SWR                                                        \
	"HTTP/1.1 200 OK\r\nCache-Control: max-age=1, "                 \
	"stale-while-revalidate=30\r\nETag: \"v1\"\r\nVary: Accept\r\n" \
	"Content-Length: 5\r\n\r\nhello"
#define NOT_MODIFIED_60                                          \
	"HTTP/1.1 304 Not Modified\r\nCache-Control: max-age=60" \
	"\r\nETag: \"v1\"\r\n\r\n"

/* Stored, then 2 s later (stale, within the window). */
static void
stored_then_stale(const char *path, const char *resp)
{
	client_connect();
	cr_assert(ft_get_clear(path, "Accept: text/plain\r\n", resp));
	cr_assert(strstr(cli.rx, "hello") != NULL, "got: %s", cli.rx);
	(void)logs();
	run(2000);
}

/* The client's answer now: the stale body. */
static void
assert_stale_served(void)
{
	cr_assert(strncmp(cli.rx, "HTTP/1.1 200 OK\r\n", 17) == 0, "got: %s",
	          cli.rx);
	cr_assert(strstr(cli.rx, "\r\n\r\nhello") != NULL, "got: %s", cli.rx);
}

/* Three requests in the window: each answered at once from the stale
 * object, one conditional request upstream, with the Vary-named field
 * and none of the client's credentials; its 304 makes the entry fresh
 * (the next request a plain hit). */
Test(swr, stale_served_one_background_304)
{
	uint64_t before;
	const char *l;
	int i;

	stored_then_stale("/w", RESP_SWR);
	before = origin_requests();
	cr_assert(ft_get_clear("/w",
	                       "Accept: text/plain\r\nCookie: id=secret\r\n"
	                       "X-Other: 1\r\n",
	                       NULL),
	          "no background validation went up");
	assert_stale_served();
	cr_assert(strncmp(org.rx, "GET /w HTTP/1.1\r\n", 17) == 0, "origin: %s",
	          org.rx);
	cr_assert(strstr(org.rx, "\r\nIf-None-Match: \"v1\"\r\n") != NULL,
	          "origin: %s", org.rx);
	cr_assert(strstr(org.rx, "\r\nAccept: text/plain\r\n") != NULL,
	          "origin: %s", org.rx);
	cr_assert(strstr(org.rx, "Cookie") == NULL, "origin: %s", org.rx);
	cr_assert(strstr(org.rx, "X-Other") == NULL, "origin: %s", org.rx);
	for (i = 0; i < 2; i++) {
		cr_assert_not(
		    ft_get_clear("/w", "Accept: text/plain\r\n", NULL),
		    "a second validation went up");
		assert_stale_served();
	}
	cr_assert_eq(origin_requests(), before + 1);
	cr_assert_eq(cnt.fwd_cache_bg_started, 1);
	cr_assert_eq(cnt.fwd_cache_stale_hits, 3);
	l = logs();
	cr_assert_eq(count_of(l, " TCP_STALE_HIT/200 "), 3, "log: %s", l);
	/* the origin answers the background request: the head updated */
	send_str(&org, NOT_MODIFIED_60);
	run(10);
	cr_assert_eq(cnt.fwd_cache_bg_304, 1);
	cr_assert_eq(cnt.fwd_sessions_in_use, 1,
	             "the background session stays");
	l = logs();
	cr_assert(strstr(l, " TCP_REFRESH_UNMODIFIED/304 ") != NULL, "log: %s",
	          l);
	cr_assert_not(ft_get_clear("/w", "Accept: text/plain\r\n", NULL),
	              "not fresh after the 304");
	assert_stale_served();
	cr_assert(strstr(cli.rx, "max-age=60") != NULL, "got: %s", cli.rx);
	cr_assert(strstr(logs(), " TCP_MEM_HIT/200 ") != NULL);
	cr_assert_eq(origin_requests(), before + 1);
	cr_assert_eq(cnt.fwd_cache_bg_failed, 0);
}

/* The origin has a new version: the background's 200 replaces the
 * object (the client had the stale one); the next request gets it. */
Test(swr, background_200_replaces)
{
	stored_then_stale("/m", RESP_SWR);
	cr_assert(ft_get_clear("/m", "Accept: text/plain\r\n", NULL));
	assert_stale_served();
	send_str(&org, "HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\n"
	               "ETag: \"v2\"\r\nVary: Accept\r\n"
	               "Content-Length: 5\r\n\r\nworld");
	run(10);
	cr_assert_eq(cnt.fwd_cache_bg_replaced, 1);
	cr_assert_eq(cnt.fwd_cache_revalidated_200, 0);
	cr_assert_eq(cnt.fwd_sessions_in_use, 1,
	             "the background session stays");
	cr_assert(strstr(logs(), " TCP_REFRESH_MODIFIED/200 ") != NULL);
	cr_assert_not(ft_get_clear("/m", "Accept: text/plain\r\n", NULL));
	cr_assert(strstr(cli.rx, "\r\n\r\nworld") != NULL, "got: %s", cli.rx);
	cr_assert(strstr(logs(), " TCP_MEM_HIT/200 ") != NULL);
}

/* A 5xx to the background request: counted as failed, the stale object
 * stays; the next request in the window is served it and starts another
 * validation (the claim was released). */
Test(swr, background_failure_keeps_stale)
{
	stored_then_stale("/f", RESP_SWR);
	cr_assert(ft_get_clear("/f", "Accept: text/plain\r\n", NULL));
	assert_stale_served();
	send_str(&org, "HTTP/1.1 503 Service Unavailable\r\n"
	               "Content-Length: 4\r\n\r\noops");
	run(10);
	cr_assert_eq(cnt.fwd_cache_bg_failed, 1);
	cr_assert(strstr(logs(), " TCP_REFRESH_FAIL_OLD/503 ") != NULL);
	cr_assert(ft_get_clear("/f", "Accept: text/plain\r\n", NULL),
	          "no new validation");
	assert_stale_served();
	cr_assert(strstr(cli.rx, "oops") == NULL, "got: %s", cli.rx);
	cr_assert_eq(cnt.fwd_cache_bg_started, 2);
	send_str(&org, NOT_MODIFIED_60);
	run(10);
	cr_assert_eq(cnt.fwd_cache_bg_304, 1);
}

/* Past the window: validated in the foreground as before (the client
 * waits for the origin's answer). */
Test(swr, past_window_foreground)
{
	static const char resp[] =
	    "HTTP/1.1 200 OK\r\nCache-Control: max-age=1, "
	    "stale-while-revalidate=2\r\nETag: \"p\"\r\n"
	    "Content-Length: 5\r\n\r\nhello";

	client_connect();
	cr_assert(ft_get_clear("/p", "", resp));
	run(5000);
	cr_assert(ft_get_clear("/p", "", NULL));
	cr_assert_eq(cli.rx_len, 0, "answered before the origin: %s", cli.rx);
	cr_assert(strstr(org.rx, "If-None-Match: \"p\"") != NULL);
	send_str(&org, NOT_MODIFIED_60);
	run(10);
	assert_stale_served();
	cr_assert_eq(cnt.fwd_cache_bg_started, 0);
	cr_assert_eq(cnt.fwd_cache_revalidated_304, 1);
}

/* A request with Authorization in the window: validated in the
 * foreground with its credentials, never in the background. */
Test(swr, authorization_foreground)
{
	stored_then_stale("/a", RESP_SWR);
	cr_assert(ft_get_clear(
	    "/a", "Accept: text/plain\r\nAuthorization: Basic x\r\n", NULL));
	cr_assert_eq(cli.rx_len, 0, "answered before the origin: %s", cli.rx);
	cr_assert(strstr(org.rx, "Authorization: Basic x") != NULL);
	send_str(&org, NOT_MODIFIED_60);
	run(10);
	assert_stale_served();
	cr_assert_eq(cnt.fwd_cache_bg_started, 0);
}

/* cache-background-max 1: with one background validation running, a
 * second object in its window is validated in the foreground. */
Test(swr_cap, cap_reached_foreground)
{
	stored_then_stale("/c1", RESP_SWR);
	cr_assert(ft_get_clear("/c2", "Accept: text/plain\r\n", RESP_SWR));
	run(5);
	cr_assert(ft_get_clear("/c1", "Accept: text/plain\r\n", NULL));
	assert_stale_served();
	cr_assert_eq(cnt.fwd_cache_bg_started, 1);
	/* /c2 stale too (/c1 still within its window) */
	run(2000);
	cr_assert(ft_get_clear("/c2", "Accept: text/plain\r\n", NULL));
	cr_assert_eq(cli.rx_len, 0, "answered before the origin: %s", cli.rx);
	cr_assert_eq(cnt.fwd_cache_bg_refused, 1);
	cr_assert(strstr(org.rx, "GET /c2 ") != NULL, "origin: %s", org.rx);
	send_str(&org, NOT_MODIFIED_60);
	run(10);
	assert_stale_served();
	cr_assert(strstr(logs(), " TCP_REFRESH_UNMODIFIED/200 ") != NULL);
}

/* Cache-Status of a stale answer: fwd=stale, a negative ttl, no
 * fwd-status (the origin's answer is the background request's). */
Test(swr_status, cache_status_stale)
{
	stored_then_stale("/s", RESP_SWR);
	cr_assert(ft_get_clear("/s", "Accept: text/plain\r\n", NULL));
	assert_stale_served();
	cr_assert(strstr(cli.rx, "\r\nCache-Status: proxy; fwd=stale; ttl=-") !=
	              NULL,
	          "got: %s", cli.rx);
	cr_assert(strstr(cli.rx, "detail=revalidating\r\n") != NULL, "got: %s",
	          cli.rx);
	cr_assert(strstr(cli.rx, "fwd-status") == NULL, "got: %s", cli.rx);
}

/* ---- collapsed validations ---- */

/* fresh for 1 s, no stale-while-revalidate: validated in the foreground */
#define RESP_V1                                                       \
	"HTTP/1.1 200 OK\r\nCache-Control: max-age=1\r\nETag: \"v1\"" \
	"\r\nContent-Length: 5\r\n\r\nhello"

static struct peer cli2;

/* <path> stored, 2 s later stale; the client's request for it goes up as
 * a validation (unanswered); the second client's request for it waits
 * on that one (no second request upstream). */
static void
two_validations(const char *path)
{
	char req[128];
	uint64_t before;

	client_connect();
	cr_assert(ft_get_clear(path, "", RESP_V1));
	run(2000);
	(void)logs();
	cr_assert(ft_get_clear(path, "", NULL), "no validation went up");
	cr_assert(strstr(org.rx, "If-None-Match: \"v1\"") != NULL);
	before = origin_requests();
	peer_connect(&cli2);
	snprintf(req, sizeof(req),
	         "GET http://10.0.0.2%s HTTP/1.1\r\nHost: 10.0.0.2\r\n\r\n",
	         path);
	send_str(&cli2, req);
	run(10);
	cr_assert_eq(origin_requests(), before, "a second validation went up");
	cr_assert_eq(cli2.rx_len, 0, "answered early: %s", cli2.rx);
	cr_assert_eq(cnt.fwd_cache_reval_collapsed, 1);
}

/* The validation's 304: the waiter is answered from the updated entry
 * (a plain hit), one request upstream in all. */
Test(swr, collapsed_validation_304)
{
	uint64_t before;
	const char *l;

	two_validations("/cv");
	before = origin_requests();
	send_str(&org, NOT_MODIFIED_60);
	run(10);
	assert_stale_served();
	cr_assert(strstr(cli2.rx, "\r\n\r\nhello") != NULL, "waiter got: %s",
	          cli2.rx);
	cr_assert(strstr(cli2.rx, "max-age=60") != NULL, "waiter got: %s",
	          cli2.rx);
	cr_assert_eq(origin_requests(), before);
	l = logs();
	cr_assert(strstr(l, " TCP_REFRESH_UNMODIFIED/200 ") != NULL, "%s", l);
	cr_assert(strstr(l, " TCP_MEM_HIT/200 ") != NULL, "%s", l);
}

/* A new response to the validation: the waiter gets it from the new
 * object. */
Test(swr, collapsed_validation_200)
{
	uint64_t before;

	two_validations("/cn");
	before = origin_requests();
	send_str(&org, "HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\n"
	               "ETag: \"v2\"\r\nContent-Length: 5\r\n\r\nworld");
	run(10);
	cr_assert(strstr(cli.rx, "\r\n\r\nworld") != NULL, "got: %s", cli.rx);
	cr_assert(strstr(cli2.rx, "\r\n\r\nworld") != NULL, "waiter got: %s",
	          cli2.rx);
	cr_assert_eq(origin_requests(), before);
}

/* The validation fails (a 503, no stale-if-error): the first client gets
 * the error, the waiter validates for itself. */
Test(swr, collapsed_validation_failure)
{
	uint64_t before;

	two_validations("/cf");
	before = origin_requests();
	send_str(&org, "HTTP/1.1 503 Service Unavailable\r\n"
	               "Content-Length: 4\r\n\r\noops");
	run(10);
	cr_assert(strncmp(cli.rx, "HTTP/1.1 503 ", 13) == 0, "got: %s", cli.rx);
	cr_assert_eq(origin_requests(), before + 1, "the waiter did not go up");
	cr_assert(strstr(org.rx, "If-None-Match: \"v1\"") != NULL);
	send_str(&org, NOT_MODIFIED_60);
	run(10);
	cr_assert(strstr(cli2.rx, "\r\n\r\nhello") != NULL, "waiter got: %s",
	          cli2.rx);
}

/* The validation takes longer than cache-collapse-wait-ms: the waiter
 * validates for itself. */
Test(swr, collapsed_validation_timeout)
{
	uint64_t before;

	two_validations("/ct");
	before = origin_requests();
	run(10000);
	cr_assert_eq(cnt.fwd_cache_reval_collapse_timeout, 1);
	cr_assert_eq(origin_requests(), before + 1, "the waiter did not go up");
}

/* A background validation runs; a request that may not take the stale
 * entry (min-fresh) waits on it instead of validating again, and is
 * answered from the entry its 304 refreshed. */
Test(swr, waits_on_background_validation)
{
	uint64_t before;

	stored_then_stale("/bw", RESP_SWR);
	cr_assert(ft_get_clear("/bw", "Accept: text/plain\r\n", NULL));
	assert_stale_served();
	before = origin_requests();
	cr_assert_not(ft_get_clear("/bw",
	                           "Accept: text/plain\r\n"
	                           "Cache-Control: min-fresh=5\r\n",
	                           NULL),
	              "validated again");
	cr_assert_eq(cli.rx_len, 0, "answered early: %s", cli.rx);
	cr_assert_eq(cnt.fwd_cache_reval_collapsed, 1);
	send_str(&org, NOT_MODIFIED_60);
	run(10);
	assert_stale_served();
	cr_assert(strstr(cli.rx, "max-age=60") != NULL, "got: %s", cli.rx);
	cr_assert_eq(origin_requests(), before);
	cr_assert_eq(cnt.fwd_cache_bg_304, 1);
}

/* No validator: the background request is an unconditional GET, and
 * its 200 replaces the object. */
Test(swr, no_validator_unconditional)
{
	stored_then_stale("/u", "HTTP/1.1 200 OK\r\nCache-Control: max-age=1, "
	                        "stale-while-revalidate=30\r\n"
	                        "Content-Length: 5\r\n\r\nhello");
	cr_assert(ft_get_clear("/u", "Accept: text/plain\r\n", NULL));
	assert_stale_served();
	cr_assert(strncmp(org.rx, "GET /u HTTP/1.1\r\n", 17) == 0, "origin: %s",
	          org.rx);
	cr_assert(strstr(org.rx, "If-") == NULL, "origin: %s", org.rx);
	send_str(&org, "HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\n"
	               "Content-Length: 5\r\n\r\nworld");
	run(10);
	cr_assert_eq(cnt.fwd_cache_bg_replaced, 1);
	cr_assert_not(ft_get_clear("/u", "", NULL));
	cr_assert(strstr(cli.rx, "\r\n\r\nworld") != NULL, "got: %s", cli.rx);
}

/* No answer at all (the origin resets the connection, and the retry's
 * too): the background session ends, counted as failed, the stale entry
 * stays and the next request in the window starts another. */
Test(swr, background_reset_keeps_stale)
{
	stored_then_stale("/r", RESP_SWR);
	cr_assert(ft_get_clear("/r", "Accept: text/plain\r\n", NULL));
	assert_stale_served();
	tcp_abort(org.c);
	run(20);
	if (cnt.fwd_cache_bg_failed == 0) { /* retried on a new connection */
		cr_assert_eq(cnt.fwd_upstream_retried, 1);
		tcp_abort(org.c);
		run(20);
	}
	cr_assert_eq(cnt.fwd_cache_bg_failed, 1);
	cr_assert_eq(cnt.fwd_sessions_in_use, 1,
	             "the background session stays");
	cr_assert(ft_get_clear("/r", "Accept: text/plain\r\n", NULL));
	assert_stale_served();
	cr_assert_eq(cnt.fwd_cache_bg_started, 2);
}
