/*
 * `anonymize on` (issue 13 item 7, fwd_head.c): what the origin receives
 * from an anonymize listener on 10.0.0.1:3129 (the harness's node B is
 * client and origin), with it off for comparison; Set-Cookie removed
 * from responses, fetched and from the cache, with anonymize-cookies.
 */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "../tcp/tcp_test_util.h"
#include "fwd_test_util.h"
#include "proxy_test_util.h"
#include "proxy/forward.h"

/* A request naming the client, its software, its network, and the page
 * it came from on another site. */
#define REQ_IDENTIFYING                                                     \
	"GET http://10.0.0.2/p HTTP/1.1\r\nHost: 10.0.0.2\r\n"              \
	"User-Agent: SecretBrowser/9.1 (Client-42)\r\n"                     \
	"From: alice@example.org\r\nReferer: http://other.example/page\r\n" \
	"Cookie: session=abc\r\nX-Forwarded-For: 192.168.7.7\r\n"           \
	"Forwarded: for=192.168.7.7\r\nX-Real-IP: 192.168.7.7\r\n"          \
	"Via: 1.1 inner-proxy.corp.example (Squid/6.1)\r\n"                 \
	"Accept: text/html\r\n\r\n"

static void
anon_setup(void)
{
	ft_setup(&(struct ft_opts){.cache = true});
}

TestSuite(fwd_anon, .init = anon_setup, .fini = ft_teardown);

/* The listener <c> on 3129, <req> sent: what the origin received. */
static const char *
origin_got(const struct conf_forward *c, const char *req)
{
	cr_assert(ft_listen_connect(3129, c));
	org.rx_len = 0;
	org.rx[0] = '\0';
	send_str(&cli, req);
	run(10);
	cr_assert_eq(origin_requests(), 1);
	return org.rx;
}

/* REQ_IDENTIFYING through an anonymize listener with the rest of <c>:
 * what the origin received. */
static const char *
anon_got(struct conf_forward *c)
{
	c->anonymous = true;
	return origin_got(c, REQ_IDENTIFYING);
}

static void
has(const char *got, const char *line)
{
	cr_assert_not_null(strstr(got, line), "want \"%s\" in:\n%s", line, got);
}

static void
lacks(const char *got, const char *text)
{
	cr_assert_null(strstr(got, text), "did not want \"%s\" in:\n%s", text,
	               got);
}

/* Off: everything passes, our Via names us, X-Forwarded-For grows. */
Test(fwd_anon, off_passes_every_field)
{
	const char *got = origin_got(&cfg, REQ_IDENTIFYING);

	has(got, "User-Agent: SecretBrowser/9.1 (Client-42)\r\n");
	has(got, "From: alice@example.org\r\n");
	has(got, "Referer: http://other.example/page\r\n");
	has(got, "Cookie: session=abc\r\n");
	has(got, "Via: 1.1 inner-proxy.corp.example (Squid/6.1)\r\n");
	has(got, "Via: 1.1 gatehouse\r\n");
	has(got, "X-Forwarded-For: 192.168.7.7\r\n");
}

/* On: nothing names the client, its network, its software or the
 * proxies before us; our Via is a pseudonym; Cookie stays (the default
 * of anonymize-cookies), Accept is untouched. */
Test(fwd_anon, on_removes_what_identifies)
{
	struct conf_forward c = cfg;
	const char *got = anon_got(&c);

	has(got, "User-Agent: Mozilla/5.0\r\n");
	lacks(got, "SecretBrowser");
	lacks(got, "alice");
	lacks(got, "Referer");
	lacks(got, "192.168.7.7");
	lacks(got, "X-Forwarded-For");
	lacks(got, "Forwarded:");
	lacks(got, "inner-proxy");
	lacks(got, "gatehouse");
	lacks(got, "10.0.0.2\r\nX-Forwarded"); /* no address of ours added */
	has(got, "Via: 1.1 proxy\r\n");
	has(got, "Cookie: session=abc\r\n");
	has(got, "Accept: text/html\r\n");
	cr_assert_eq(count_of(got, "User-Agent:"), 1);
}

/* A configured User-Agent replaces the client's. */
Test(fwd_anon, user_agent_replaced_by_the_configured_one)
{
	struct conf_forward c = cfg;
	const char *got;

	snprintf(c.anon_user_agent, sizeof(c.anon_user_agent), "Corp/1");
	got = anon_got(&c);
	has(got, "User-Agent: Corp/1\r\n");
	lacks(got, "SecretBrowser");
}

/* anonymize-user-agent remove: no User-Agent at all; via off: no Via
 * either. */
Test(fwd_anon, user_agent_removed)
{
	struct conf_forward c = cfg;
	const char *got;

	c.anon_ua_remove = true;
	c.via = false;
	got = anon_got(&c);
	lacks(got, "User-Agent");
	lacks(got, "Via:");
}

/* A Referer on the request's own host is kept (case, a port, a trailing
 * dot do not make it another host); one with userinfo or not an absolute
 * URI is removed. */
Test(fwd_anon, referer_kept_only_for_the_same_host)
{
	static const struct {
		const char *referer;
		bool kept;
	} cases[] = {
	    {"http://10.0.0.2/a", true},
	    {"HTTPS://10.0.0.2.:8443/b?c", true},
	    {"http://10.0.0.20/", false},
	    {"http://10.0.0.2@evil.example/", false},
	    {"http://user@10.0.0.2/", false},
	    {"//10.0.0.2/", false},
	    {"/relative", false},
	    {"http://other.example/10.0.0.2", false},
	};
	struct conf_forward c = cfg;
	char req[512];
	unsigned i;

	c.anonymous = true;
	cr_assert(ft_listen_connect(3129, &c));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t before = origin_requests();

		org.rx_len = 0;
		org.rx[0] = '\0';
		snprintf(req, sizeof(req),
		         "GET http://10.0.0.2/r%u HTTP/1.1\r\nHost: "
		         "10.0.0.2\r\nReferer: %s\r\n\r\n",
		         i, cases[i].referer);
		send_str(&cli, req);
		run(10);
		cr_assert_eq(origin_requests(), before + 1, "case %u", i);
		cr_assert_eq(strstr(org.rx, "Referer:") != NULL, cases[i].kept,
		             "case %u (%s): %s", i, cases[i].referer, org.rx);
		send_str(&org, "HTTP/1.1 204 No Content\r\n\r\n");
		run(10);
	}
}

#define RESP_COOKIE                                        \
	"HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\n" \
	"Set-Cookie: id=secret; Path=/\r\nX-Kept: yes\r\n" \
	"set-cookie2: old=1\r\nContent-Length: 5\r\n\r\nhello"

/* anonymize-cookies on: Cookie not sent, Set-Cookie not passed on; a
 * response that sets a cookie is not stored (whatever the listener), so
 * the next request goes to the origin again. */
Test(fwd_anon, cookies_removed_both_ways_and_never_stored)
{
	struct conf_forward c = cfg;
	const char *got;

	c.anonymous = true;
	c.anon_cookies = true;
	c.cache = true;
	got = origin_got(&c, "GET http://10.0.0.2/ck HTTP/1.1\r\n"
	                     "Host: 10.0.0.2\r\nCookie: session=abc\r\n\r\n");
	lacks(got, "Cookie");
	cli.rx_len = 0;
	cli.rx[0] = '\0';
	send_str(&org, RESP_COOKIE);
	run(10);
	has(cli.rx, "HTTP/1.1 200 OK\r\n");
	has(cli.rx, "X-Kept: yes\r\n");
	lacks(cli.rx, "secret");
	lacks(cli.rx, "old=1");
	cr_assert_eq(cnt.fwd_cache_stored, 0);
	cr_assert_eq(cnt.fwd_cache_not_stored_set_cookie, 1);
}
