/*
 * The forward proxy's cache, storage side (lib/proxy/fwd_cache_store.c,
 * fwd_cache_vary.c, fwd_cache_inval.c), on the two-stack harness of
 * test_forward.c (fwd_test_util.h): Vary variants under secondary keys and
 * their markers, statuses other than 200, chunked and until-close bodies
 * stored de-chunked and served with Content-Length, and invalidation by
 * unsafe methods (RFC 9111 4.1, 3, 4.4).
 */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "../tcp/tcp_test_util.h"
#include "cache/cache_index.h"
#include "cache/cache_obj.h"
#include "fwd_test_util.h"
#include "proxy/forward.h"
#include "proxy_test_util.h"

TestSuite(fwd_store, .init = fwd_setup_cache, .fini = fwd_teardown);

/* Forget what the client received so far. */
static void
cli_rx_clear(void)
{
	cli.rx_len = 0;
	cli.rx[0] = '\0';
}

/* The proxy closed the client's connection: close ours, open another. */
static void
cli_reconnect(void)
{
	if (cli.c != NULL)
		tcp_close(cli.c);
	run(10);
	memset(&cli, 0, sizeof(cli));
	client_connect();
}

/* The client sends <req>, the origin answers <resp>. */
static void
exchange(const char *req, const char *resp)
{
	send_str(&cli, req);
	run(10);
	send_str(&org, resp);
	run(10);
}

/* On a new connection, GET <path> is a hit whose head has <line> and
 * whose body is <body>. */
static void
reconnect_hit(const char *path, const char *line, const char *body)
{
	cli_reconnect();
	cr_assert_not(cache_get(path, "", "HTTP/1.1 500 No\r\n\r\n"));
	cr_assert(strstr(cli.rx, line) != NULL, "got: %s", cli.rx);
	cr_assert_str_eq(strstr(cli.rx, "\r\n\r\n") + 4, body);
}

/* A small fresh answer. */
#define OK_60                                              \
	"HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\n" \
	"Content-Length: 2\r\n\r\nok"

/* The response for gzip (its body "GZIP!") and for anything else
 * ("plain"), both varying on Accept-Encoding. */
#define VARY_GZ                                               \
	"HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\n"    \
	"Vary: Accept-Encoding\r\nContent-Encoding: gzip\r\n" \
	"Content-Length: 5\r\n\r\nGZIP!"
#define VARY_PLAIN                                                        \
	"HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\n"                \
	"Vary: accept-encoding, Accept-Encoding\r\nContent-Length: 5\r\n" \
	"\r\nplain"

/* The stored object under the GET key of http://10.0.0.2<path>: true and
 * its head's bytes (metadata first) in <head> when there is one. */
static bool
stored_head_of(const char *path, char *head, size_t cap)
{
	uint8_t key[256];
	char uri[200];
	struct cache_obj *obj = NULL;
	const uint8_t *h;
	uint32_t hlen;
	int n;

	snprintf(uri, sizeof(uri), "http://10.0.0.2%s", path);
	n = cache_key_build(key, sizeof(key), "GET", 3, uri, strlen(uri));
	cr_assert(n > 0);
	if (cache_index_lookup(ci, key, (size_t)n, &obj) != 0)
		return false;
	memset(head, 0, cap);
	h = cache_obj_head(obj, &hlen);
	cr_assert_not_null(h);
	memcpy(head, h, hlen < cap ? hlen : cap - 1);
	cache_obj_put(obj);
	return true;
}

/* Two variants of one URL on Accept-Encoding: each stored under its own
 * key, then both hits with their own bodies; a request whose field
 * differs only in whitespace and empty elements is the same variant. */
Test(fwd_store, vary_two_variants_both_hit)
{
	client_connect();
	cr_assert(cache_get("/v", "Accept-Encoding: gzip\r\n", VARY_GZ));
	cr_assert(cache_get("/v", "", VARY_PLAIN),
	          "a request without Accept-Encoding got the gzip variant");
	cr_assert_eq(cnt.fwd_cache_stored, 2);
	cr_assert_eq(cnt.fwd_cache_variants_stored, 2);
	cli_rx_clear();
	cr_assert_not(cache_get("/v", "Accept-Encoding: gzip\r\n", VARY_GZ));
	cr_assert(strstr(cli.rx, "\r\n\r\nGZIP!") != NULL, "got: %s", cli.rx);
	cr_assert(strstr(cli.rx, "plain") == NULL);
	cli_rx_clear();
	cr_assert_not(cache_get("/v", "", VARY_PLAIN));
	cr_assert(strstr(cli.rx, "\r\n\r\nplain") != NULL, "got: %s", cli.rx);
	cli_rx_clear();
	/* the same list once lines are combined and OWS dropped */
	cr_assert_not(cache_get("/v",
	                        "Accept-Encoding: , gzip\r\n"
	                        "Accept-Encoding:\r\n",
	                        VARY_GZ));
	cr_assert(strstr(cli.rx, "\r\n\r\nGZIP!") != NULL, "got: %s", cli.rx);
	cr_assert_eq(cnt.fwd_cache_hits, 3);
	cr_assert_eq(origin_requests(), 2);
	/* present but empty is not absent: a third variant */
	cr_assert(cache_get("/v", "Accept-Encoding:\r\n", VARY_PLAIN));
	cr_assert_eq(origin_requests(), 3);
}

/* The primary key holds a marker: never served as a response (a request
 * with a value no variant has goes to the origin), and replaced by a
 * response without Vary, which then answers every request. */
Test(fwd_store, vary_marker_never_served)
{
	char head[512];

	client_connect();
	cr_assert(cache_get("/m", "Accept-Encoding: gzip\r\n", VARY_GZ));
	cr_assert(stored_head_of("/m", head, sizeof(head)));
	cli_rx_clear();
	cr_assert(cache_get("/m", "Accept-Encoding: br\r\n",
	                    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
	                    "Cache-Control: max-age=60\r\n\r\nfresh"),
	          "the marker answered a request");
	cr_assert_eq(cnt.fwd_cache_hits, 0);
	cr_assert(strncmp(cli.rx, "HTTP/1.1 200 OK\r\n", 17) == 0, "got: %s",
	          cli.rx);
	cr_assert(strstr(cli.rx, "accept-encoding\n") == NULL);
	/* that response had no Vary: it replaced the marker, and the gzip
	 * variant is unreachable */
	cli_rx_clear();
	cr_assert_not(cache_get("/m", "Accept-Encoding: gzip\r\n", VARY_GZ));
	cr_assert(strstr(cli.rx, "\r\n\r\nfresh") != NULL, "got: %s", cli.rx);
	cr_assert_eq(cnt.fwd_cache_variants_stored, 1);
	cr_assert_eq(cnt.fwd_cache_stored, 2);
}

/* Vary: * never matches (RFC 9111 4.1): not stored. */
Test(fwd_store, vary_star_never_stored)
{
	static const char resp[] =
	    "HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\n"
	    "Vary: Accept-Encoding, *\r\nContent-Length: 5\r\n\r\nhello";

	client_connect();
	cr_assert(cache_get("/star", "", resp));
	cr_assert(cache_get("/star", "", resp), "Vary: * was stored");
	cr_assert_eq(cnt.fwd_cache_not_stored_vary_never, 2);
	cr_assert_eq(cnt.fwd_cache_stored, 0);
	/* what stays under the key is the pass marker of the first miss
	 * (collapsed misses), no Vary marker */
	cr_assert_eq(cnt.fwd_cache_pass_marked, 1);
	cr_assert_eq(cnt.fwd_cache_variants_stored, 0);
}

/* A variant key over FWD_CACHE_KEY_MAX (a huge request field) is not
 * stored, and counted. */
Test(fwd_store, vary_key_too_long_not_stored)
{
	static const char resp[] =
	    "HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\n"
	    "Vary: X-Big\r\nContent-Length: 5\r\n\r\nhello";
	char extra[1400];
	unsigned i;

	memset(extra, 'a', sizeof(extra));
	memcpy(extra, "X-Big: ", 7);
	memcpy(extra + sizeof(extra) - 3, "\r\n", 3);
	client_connect();
	for (i = 0; i < 2; i++) {
		send_str(&cli, "GET http://10.0.0.2/big HTTP/1.1\r\n"
		               "Host: 10.0.0.2\r\n");
		send_str(&cli, extra);
		send_str(&cli, "\r\n");
		run(10);
		cr_assert_eq(origin_requests(), i + 1);
		send_str(&org, resp);
		run(10);
	}
	cr_assert_eq(cnt.fwd_cache_not_stored_vary, 2);
	cr_assert_eq(cnt.fwd_cache_stored, 0);
	cr_assert_eq(count_of(cli.rx, "hello"), 2);
}

/* A 404 with max-age is stored (RFC 9111 3) and hit, its status line
 * kept. */
Test(fwd_store, status_404_with_max_age_stored_and_hit)
{
	static const char resp[] =
	    "HTTP/1.1 404 Not Found\r\nCache-Control: max-age=60\r\n"
	    "Content-Length: 4\r\n\r\nnope";

	client_connect();
	cr_assert(cache_get("/404", "", resp));
	cr_assert_eq(cnt.fwd_cache_stored, 1);
	cli_rx_clear();
	cr_assert_not(cache_get("/404", "", resp), "the 404 was not stored");
	cr_assert_eq(cnt.fwd_cache_hits, 1);
	cr_assert(strncmp(cli.rx, "HTTP/1.1 404 Not Found\r\n", 24) == 0,
	          "got: %s", cli.rx);
	cr_assert(strstr(cli.rx, "\r\n\r\nnope") != NULL);
}

/* A chunked body is stored de-chunked, its trailer dropped, and served
 * with Content-Length. */
Test(fwd_store, chunked_stored_served_with_length)
{
	static const char resp[] =
	    "HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n"
	    "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n";

	client_connect();
	cr_assert(cache_get("/k", "", resp));
	cr_assert(strstr(cli.rx, "5\r\nhello\r\n") != NULL,
	          "the client did not get it chunked: %s", cli.rx);
	cr_assert_eq(cnt.fwd_cache_stored, 1);
	cli_rx_clear();
	cr_assert_not(cache_get("/k", "", resp));
	cr_assert(strstr(cli.rx, "\r\nContent-Length: 11\r\n") != NULL,
	          "got: %s", cli.rx);
	cr_assert(strstr(cli.rx, "Transfer-Encoding") == NULL);
	cr_assert(strstr(cli.rx, "X-Trailer") == NULL);
	cr_assert(strstr(cli.rx, "\r\n\r\nhello world") != NULL, "got: %s",
	          cli.rx);
	cr_assert_eq(cli.rx_len,
	             (uint32_t)(strstr(cli.rx, "\r\n\r\n") - cli.rx + 4 + 11));
	/* keep-alive after it: the framing was right */
	cr_assert_not(cache_get("/k", "", resp));
	cr_assert_eq(cnt.fwd_cache_hits, 2);
	cr_assert_not(cli.closed);
}

/* An HTTP/1.0 client gets a chunked response de-chunked (SF_DECHUNK); the
 * object is stored from those bytes, whole. */
Test(fwd_store, chunked_to_http10_stored)
{
	client_connect();
	exchange("GET http://10.0.0.2/k10 HTTP/1.0\r\n\r\n",
	         "HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\n"
	         "Transfer-Encoding: chunked\r\n\r\n"
	         "3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n");
	run(10);
	cr_assert_eq(cnt.fwd_cache_stored, 1);
	cr_assert(cli.fin);
	cr_assert(strstr(cli.rx, "\r\n\r\nabcdefg") != NULL, "got: %s", cli.rx);
	reconnect_hit("/k10", "\r\nContent-Length: 7\r\n", "abcdefg");
}

/* A chunked response cut short (the origin's FIN before the last chunk)
 * is not stored; the next request goes to the origin. */
Test(fwd_store, chunked_cut_short_not_stored)
{
	client_connect();
	exchange("GET http://10.0.0.2/cut HTTP/1.1\r\nHost: 10.0.0.2\r\n"
	         "\r\n",
	         "HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\n"
	         "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
	cr_assert_eq(tcp_shutdown(org.c), 0);
	run(20);
	cr_assert_eq(cnt.fwd_cache_stored, 0);
	cr_assert_eq(cnt.fwd_cache_fill_aborted, 1);
	cr_assert(strstr(cli.rx, "hello") != NULL);
}

/* A body read until the close is stored when the origin's FIN ends it,
 * and served with Content-Length. */
Test(fwd_store, until_close_stored_on_fin)
{
	client_connect();
	exchange("GET http://10.0.0.2/eof HTTP/1.1\r\nHost: 10.0.0.2\r\n"
	         "\r\n",
	         "HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\n"
	         "Connection: close\r\n\r\nuntil the end");
	cr_assert_eq(cnt.fwd_cache_stored, 0, "complete before the FIN");
	cr_assert_eq(tcp_shutdown(org.c), 0);
	run(20);
	cr_assert_eq(cnt.fwd_cache_stored, 1);
	/* the client's connection closed with that response: a new one */
	cr_assert(cli.fin);
	reconnect_hit("/eof", "\r\nContent-Length: 13\r\n", "until the end");
}

/* A chunked body over cache-max-object-kb (512) is given up while it
 * streams; the client still gets all of it. */
Test(fwd_store, chunked_too_large_given_up)
{
	static char body[600 * 1024];
	size_t off;

	memset(body, 'x', sizeof(body));
	client_connect();
	send_str(&cli, "GET http://10.0.0.2/huge HTTP/1.1\r\nHost: 10.0.0.2\r\n"
	               "\r\n");
	run(10);
	send_str(&org, "HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\n"
	               "Transfer-Encoding: chunked\r\n\r\n96000\r\n");
	for (off = 0; off < sizeof(body); off += 28000) {
		send_bytes(&org, body + off,
		           (uint32_t)RTE_MIN(sizeof(body) - off, (size_t)28000),
		           1400);
		run(5);
	}
	send_str(&org, "\r\n0\r\n\r\n");
	run(100);
	cr_assert_eq(cnt.fwd_cache_stored, 0);
	cr_assert_eq(cnt.fwd_cache_fill_aborted, 1);
	cr_assert(cli.rx_total > sizeof(body), "client got %lu",
	          (unsigned long)cli.rx_total);
}

/* A POST's 2xx removes the target's GET key (RFC 9111 4.4). */
Test(fwd_store, post_invalidates_target)
{
	client_connect();
	cr_assert(cache_get("/p", "",
	                    "HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\n"
	                    "Content-Length: 3\r\n\r\nold"));
	cr_assert_not(cache_get("/p", "", "unused"));
	exchange("POST http://10.0.0.2/p HTTP/1.1\r\nHost: 10.0.0.2\r\n"
	         "Content-Length: 2\r\n\r\nhi",
	         "HTTP/1.1 204 No Content\r\n\r\n");
	cr_assert_eq(cnt.fwd_cache_invalidated, 1);
	cr_assert(cache_get("/p", "",
	                    "HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\n"
	                    "Content-Length: 3\r\n\r\nnew"),
	          "the stale entry answered after the POST");
}

/* An error response to an unsafe method invalidates nothing. */
Test(fwd_store, post_error_keeps_entry)
{
	client_connect();
	cr_assert(cache_get("/e", "",
	                    "HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\n"
	                    "Content-Length: 3\r\n\r\nold"));
	exchange("DELETE http://10.0.0.2/e HTTP/1.1\r\nHost: 10.0.0.2\r\n"
	         "\r\n",
	         "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
	cr_assert_eq(cnt.fwd_cache_invalidated, 0);
	cr_assert_not(cache_get("/e", "", "unused"));
}

/* Location and Content-Location of the target's origin are removed, a
 * relative one resolved against the target; one of another origin (here
 * another port, another scheme) is not. */
Test(fwd_store, location_same_origin_only)
{
	client_connect();
	cr_assert(cache_get("/d/a", "", OK_60));
	cr_assert(cache_get("/d/b", "", OK_60));
	cr_assert(cache_get("/c", "", OK_60));
	exchange("PUT http://10.0.0.2/d/x HTTP/1.1\r\nHost: 10.0.0.2\r\n"
	         "Content-Length: 0\r\n\r\n",
	         "HTTP/1.1 201 Created\r\nLocation: a#frag\r\n"
	         "Content-Location: HTTP://10.0.0.2:80/d/b\r\n"
	         "Content-Length: 0\r\n\r\n");
	cr_assert_eq(cnt.fwd_cache_invalidated, 2);
	cr_assert(cache_get("/d/a", "", OK_60), "Location not invalidated");
	cr_assert(cache_get("/d/b", "", OK_60),
	          "Content-Location not invalidated");
	exchange("POST http://10.0.0.2/d/x HTTP/1.1\r\nHost: 10.0.0.2\r\n"
	         "Content-Length: 0\r\n\r\n",
	         "HTTP/1.1 303 See Other\r\n"
	         "Location: http://10.0.0.2:8080/c\r\n"
	         "Content-Location: https://10.0.0.2/c\r\n"
	         "Content-Length: 0\r\n\r\n");
	cr_assert_eq(cnt.fwd_cache_invalidated, 2);
	cr_assert_not(cache_get("/c", "", OK_60),
	              "another origin's Location invalidated /c");
}

/* Invalidating a URL with Vary removes its marker: no variant answers. */
Test(fwd_store, post_invalidates_variants)
{
	client_connect();
	cr_assert(cache_get("/vp", "Accept-Encoding: gzip\r\n", VARY_GZ));
	cr_assert_not(cache_get("/vp", "Accept-Encoding: gzip\r\n", VARY_GZ));
	exchange("POST http://10.0.0.2/vp HTTP/1.1\r\nHost: 10.0.0.2\r\n"
	         "Content-Length: 0\r\n\r\n",
	         "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
	cr_assert_eq(cnt.fwd_cache_invalidated, 1);
	cr_assert(cache_get("/vp", "Accept-Encoding: gzip\r\n", VARY_GZ),
	          "a variant answered after its URL was invalidated");
}

/* Reference forms (RFC 3986 5.2): a network-path reference of the same
 * origin is removed; one with dot segments is left alone (see
 * fwd_cache_inval.c), as is one to another host. */
Test(fwd_store, location_reference_forms)
{
	client_connect();
	cr_assert(cache_get("/f/a", "", OK_60));
	cr_assert(cache_get("/f/b", "", OK_60));
	exchange("DELETE http://10.0.0.2/f/x?y HTTP/1.1\r\nHost: 10.0.0.2\r\n"
	         "\r\n",
	         "HTTP/1.1 200 OK\r\nLocation: //10.0.0.2/f/a\r\n"
	         "Content-Location: ../f/b\r\nContent-Length: 0\r\n\r\n");
	cr_assert_eq(cnt.fwd_cache_invalidated, 1);
	cr_assert(cache_get("/f/a", "", OK_60), "network-path not removed");
	cr_assert_not(cache_get("/f/b", "", OK_60), "a dot-segment reference");
	exchange("PATCH http://10.0.0.2/f/x HTTP/1.1\r\nHost: 10.0.0.2\r\n"
	         "Content-Length: 0\r\n\r\n",
	         "HTTP/1.1 200 OK\r\nLocation: //10.0.0.3/f/b\r\n"
	         "Content-Length: 0\r\n\r\n");
	cr_assert_eq(cnt.fwd_cache_invalidated, 1);
	cr_assert_not(cache_get("/f/b", "", OK_60));
}

/* HEAD finds the variant through the marker too: a hit without a body. */
Test(fwd_store, vary_head_hits_variant)
{
	client_connect();
	cr_assert(cache_get("/vh", "Accept-Encoding: gzip\r\n", VARY_GZ));
	cli_rx_clear();
	send_str(&cli, "HEAD http://10.0.0.2/vh HTTP/1.1\r\nHost: 10.0.0.2\r\n"
	               "Accept-Encoding: gzip\r\n\r\n");
	run(10);
	cr_assert_eq(cnt.fwd_cache_hits, 1);
	cr_assert(strstr(cli.rx, "\r\nContent-Encoding: gzip\r\n") != NULL,
	          "got: %s", cli.rx);
	cr_assert(strstr(cli.rx, "GZIP!") == NULL);
	cr_assert_eq(origin_requests(), 1);
}

/* A field whose element ends inside a quoted-string has no variant key
 * (two different lists would join to one string): never a hit, never
 * stored; the same field well-formed is. */
Test(fwd_store, vary_unterminated_quote_no_key)
{
	static const char resp[] =
	    "HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\n"
	    "Vary: X-Q\r\nContent-Length: 5\r\n\r\nhello";

	client_connect();
	cr_assert(cache_get("/q", "X-Q: \"a,b\"\r\n", resp));
	cr_assert_eq(cnt.fwd_cache_variants_stored, 1);
	cr_assert(cache_get("/q", "X-Q: \"a\r\nX-Q: b\"\r\n", resp),
	          "an ambiguous field hit the variant of \"a,b\"");
	cr_assert_eq(cnt.fwd_cache_not_stored_vary, 1);
	cr_assert_not(cache_get("/q", "X-Q: \"a,b\"\r\n", resp));
}
