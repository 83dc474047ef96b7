/*
 * lib/cache's keys of http URLs (cache_key.h): what the forward proxy
 * stores a GET under and what `gatehousectl cache purge URL` removes.
 * The expected keys are written out by hand from the rule in
 * docs/architecture.md ("GET http://" + lower-case host, IPv6 in
 * brackets, ":port" unless 80, the path with its query, "/" when empty).
 */
#include <errno.h>
#include <string.h>

#include <criterion/criterion.h>

#include "cache/cache_index_types.h"
#include "cache/cache_key.h"

TestSuite(cache_key);

static int
key_of_url(const char *url, char *out, size_t cap, const char **why)
{
	int n =
	    cache_key_from_url(url, strlen(url), (uint8_t *)out, cap - 1, why);

	out[n > 0 ? n : 0] = '\0';
	return n;
}

static const struct {
	const char *url;
	const char *key;
} good[] = {
    {"http://example.com/a", "GET http://example.com/a"},
    /* the host in lower case; the scheme in any case; the path as sent */
    {"HTTP://Example.COM/A/b", "GET http://example.com/A/b"},
    {"hTtP://WWW.x.ORG/", "GET http://www.x.org/"},
    /* the default port is left out, any other kept */
    {"http://h:80/x", "GET http://h/x"},
    {"http://h:080/x", "GET http://h/x"},
    {"http://h:/x", "GET http://h/x"},
    {"http://h:8080/x", "GET http://h:8080/x"},
    {"http://h:443/", "GET http://h:443/"},
    {"http://h:65535/", "GET http://h:65535/"},
    /* no path: "/" */
    {"http://h", "GET http://h/"},
    {"http://h:81", "GET http://h:81/"},
    /* the query is kept, also without a path */
    {"http://h/p?q=1&r=%41", "GET http://h/p?q=1&r=%41"},
    {"http://h?q", "GET http://h/?q"},
    {"http://h:8000?q", "GET http://h:8000/?q"},
    /* IPv4 and IPv6 literals; IPv6 hex in lower case, in brackets */
    {"http://192.0.2.1/", "GET http://192.0.2.1/"},
    {"http://[2001:DB8::1]/x", "GET http://[2001:db8::1]/x"},
    {"http://[::1]:8080", "GET http://[::1]:8080/"},
    {"http://[::1]:80/", "GET http://[::1]/"},
};

Test(cache_key, good_urls)
{
	char out[CACHE_KEY_MAX_BYTES + 1];
	const char *why = NULL;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		int n = key_of_url(good[i].url, out, sizeof(out), &why);

		cr_assert_eq(n, (int)strlen(good[i].key), "%s: %d (%s)",
		             good[i].url, n, n < 0 ? why : "");
		cr_assert_str_eq(out, good[i].key, "%s", good[i].url);
	}
}

static const struct {
	const char *url;
	int rc;
	const char *why; /* a word of the reason */
} bad[] = {
    {"https://example.com/", -EPROTONOSUPPORT, "http://"},
    {"HTTPS://example.com/", -EPROTONOSUPPORT, "http://"},
    {"gopher://example.com/f", -EPROTONOSUPPORT, "http://"},
    {"ftp://u:p@example.com/f", -EINVAL, "user@"},
    {"example.com/x", -EINVAL, "absolute"},
    {"/x", -EINVAL, "absolute"},
    {"", -EINVAL, "absolute"},
    {"http://", -EINVAL, ""},
    {"http:///x", -EINVAL, "host"},
    {"http://user@h/x", -EINVAL, "userinfo"},
    {"http://user:pw@h/x", -EINVAL, "userinfo"},
    {"http://h:0/", -EINVAL, "port"},
    {"http://h:65536/", -EINVAL, "port"},
    {"http://h:8x/", -EINVAL, "port"},
    {"http://[::1/", -EINVAL, "IPv6"},
    {"http://h/a b", -EINVAL, "ASCII"},
    {"http://h/\r\nX: y", -EINVAL, "ASCII"},
    {"http://h/\xc3\xa9", -EINVAL, "ASCII"},
    {"http://h/#frag", -EINVAL, "fragment"},
    {"http://h~/", -EINVAL, "host"},
};

Test(cache_key, bad_urls_refused_with_a_reason)
{
	char out[CACHE_KEY_MAX_BYTES + 1];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *why = NULL;
		int n = key_of_url(bad[i].url, out, sizeof(out), &why);

		cr_assert_eq(n, bad[i].rc, "%s: %d, not %d", bad[i].url, n,
		             bad[i].rc);
		cr_assert_not_null(why, "%s: no reason", bad[i].url);
		cr_assert_not_null(strstr(why, bad[i].why), "%s: \"%s\"",
		                   bad[i].url, why);
	}
	/* a NULL <why> is allowed */
	cr_assert_eq(cache_key_from_url("x", 1, (uint8_t *)out, 10, NULL),
	             -EINVAL);
}

Test(cache_key, overlong)
{
	static char url[CACHE_KEY_MAX_BYTES + 64];
	static uint8_t key[CACHE_KEY_MAX_BYTES + 64];
	size_t plen, lim = CACHE_KEY_MAX_BYTES - strlen("GET http://h");
	const char *why = NULL;

	/* "GET http://h" + path of <lim> bytes: exactly the longest key */
	memcpy(url, "http://h", 8);
	memset(url + 8, 'a', sizeof(url) - 8);
	url[8] = '/';
	plen = lim;
	cr_assert_eq(cache_key_from_url(url, 8 + plen, key, sizeof(key), &why),
	             (int)CACHE_KEY_MAX_BYTES, "%s", why);
	cr_assert_eq(cache_key_from_url(url, 9 + plen, key, sizeof(key), &why),
	             -ENAMETOOLONG);
	cr_assert_str_eq(why, "URL too long");
	/* an URL longer than any key is refused before parsing */
	cr_assert_eq(
	    cache_key_from_url(url, sizeof(url), key, sizeof(key), &why),
	    -ENAMETOOLONG);
	/* and a small <cap> bounds it too */
	cr_assert_eq(cache_key_from_url("http://h/ab", 11, key, 15, &why), 15);
	cr_assert_eq(cache_key_from_url("http://h/abc", 12, key, 15, &why),
	             -ENAMETOOLONG);
}

Test(cache_key, from_parts)
{
	uint8_t key[64];
	int n;

	n = cache_key_http("Host", 4, 80, "", 0, key, sizeof(key));
	cr_assert_eq(n, 16);
	cr_assert_eq(memcmp(key, "GET http://host/", 16), 0);
	n = cache_key_http("FE80::1", 7, 8080, "?a", 2, key, sizeof(key));
	cr_assert_eq(n, (int)strlen("GET http://[fe80::1]:8080/?a"));
	cr_assert_eq(memcmp(key, "GET http://[fe80::1]:8080/?a", (size_t)n), 0);
	cr_assert_eq(cache_key_http("", 0, 80, "/", 1, key, sizeof(key)),
	             -EINVAL);
	cr_assert_eq(cache_key_http("h", 1, 0, "/", 1, key, sizeof(key)),
	             -EINVAL);
	/* every place a key can run out of room */
	cr_assert_eq(cache_key_http("h", 1, 80, "/", 1, key, 10),
	             -ENAMETOOLONG);
	cr_assert_eq(cache_key_http("::1", 3, 80, "/", 1, key, 15),
	             -ENAMETOOLONG);
	/* the '[' fills <cap> exactly (the fuzzer found this one) */
	cr_assert_eq(cache_key_http("::1", 3, 80, "/", 1, key, 12),
	             -ENAMETOOLONG);
	cr_assert_eq(cache_key_http("::1", 3, 80, "/", 1, key, 13),
	             -ENAMETOOLONG);
	cr_assert_eq(cache_key_http("::1", 3, 80, "/", 1, key, 17), 17);
	cr_assert_eq(cache_key_http("h", 1, 8080, "/", 1, key, 15),
	             -ENAMETOOLONG);
	cr_assert_eq(cache_key_http("h", 1, 80, "", 0, key, 12), -ENAMETOOLONG);
	cr_assert_eq(cache_key_http("h", 1, 80, "/", 1, key, 13), 13);
}
