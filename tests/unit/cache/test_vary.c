/*
 * lib/cache Vary matching (cache_vary.c) from RFC 9111 4.1: a table of a
 * stored response's Vary lines, the stored request's and the new
 * request's fields, and whether the stored response may be used.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <criterion/criterion.h>

#include "cache/cache_policy.h"
#include "cache_test_util.h"

TestSuite(cache_vary);

struct vary_case {
	const char *name;
	const char *vary; /* the response's fields (Vary lines) */
	const char *sreq; /* the stored request's fields */
	const char *nreq; /* the new request's fields */
	bool match;
};

#define AE(v) "Accept-Encoding: " v "\r\n"

/*
 * RFC 9111 4.1: "the cache MUST NOT use that stored response without
 * revalidation unless all the presented request header fields nominated by
 * that Vary field value match those fields in the original request";
 * fields match "if and only if those in the first request can be
 * transformed to those in the second request by applying any of: adding
 * or removing whitespace, where allowed in the field's syntax; combining
 * multiple field lines with the same field name ...; normalizing both
 * header field values in a way that is known to have identical semantics";
 * "If (after any normalization that might take place) a header field is
 * absent from a request, it can only match another request if it is also
 * absent there."  "A stored response with a Vary header field value
 * containing a member "*" always fails to match."  Field names are
 * case-insensitive (RFC 9110 5.1).
 */
static const struct vary_case cases[] = {
    {"no Vary", "", AE("gzip"), AE("br"), true},
    {"same value", "Vary: Accept-Encoding\r\n", AE("gzip"), AE("gzip"), true},
    {"different value", "Vary: Accept-Encoding\r\n", AE("gzip"), AE("br"),
     false},
    {"names case-insensitive", "Vary: accept-ENCODING\r\n",
     "ACCEPT-encoding: gzip\r\n", AE("gzip"), true},
    {"whitespace around commas", "Vary: Accept-Encoding\r\n",
     AE("gzip,deflate"), AE("gzip ,\t deflate"), true},
    {"lines combined", "Vary: Accept-Encoding\r\n",
     AE("gzip") "X-Other: 1\r\n" AE("deflate"), AE("gzip, deflate"), true},
    {"empty elements", "Vary: Accept-Encoding\r\n", AE("gzip,,deflate,"),
     AE("gzip, deflate"), true},
    {"order matters", "Vary: Accept-Encoding\r\n", AE("deflate, gzip"),
     AE("gzip, deflate"), false},
    {"value case matters", "Vary: Accept-Encoding\r\n", AE("GZIP"), AE("gzip"),
     false},
    {"inner whitespace matters", "Vary: Accept-Encoding\r\n", AE("a b"),
     AE("a  b"), false},
    {"prefix is not a match", "Vary: Accept-Encoding\r\n", AE("gzip"),
     AE("gzip, br"), false},
    {"absent in both", "Vary: Accept-Encoding\r\n", "", "", true},
    {"absent vs present", "Vary: Accept-Encoding\r\n", "", AE("gzip"), false},
    {"present vs absent", "Vary: Accept-Encoding\r\n", AE("gzip"), "", false},
    {"empty vs absent", "Vary: Accept-Encoding\r\n", "Accept-Encoding:\r\n", "",
     false},
    {"empty vs empty", "Vary: Accept-Encoding\r\n", "Accept-Encoding:\r\n",
     "Accept-Encoding: \r\n", true},
    {"comma inside quotes", "Vary: X-Q\r\n", "X-Q: \"a,b\"\r\n",
     "X-Q: \"a, b\"\r\n", false},
    {"quoted equal", "Vary: X-Q\r\n", "X-Q: \"a, b\", c\r\n",
     "X-Q: \"a, b\",c\r\n", true},
    {"two fields, both match", "Vary: Accept, Accept-Language\r\n",
     "Accept: text/html\r\nAccept-Language: fr\r\n",
     "Accept-Language: fr\r\nAccept: text/html\r\n", true},
    {"two fields, one differs", "Vary: Accept, Accept-Language\r\n",
     "Accept: text/html\r\nAccept-Language: fr\r\n",
     "Accept: text/html\r\nAccept-Language: de\r\n", false},
    {"two Vary lines", "Vary: Accept\r\nVary: Accept-Language\r\n",
     "Accept: a\r\nAccept-Language: fr\r\n",
     "Accept: a\r\nAccept-Language: de\r\n", false},
    {"Vary: *", "Vary: *\r\n", "", "", false},
    {"Vary: *, in a list", "Vary: Accept, *\r\n", "Accept: a\r\n",
     "Accept: a\r\n", false},
    {"Vary: * on a second line", "Vary: Accept\r\nVary: *\r\n", "Accept: a\r\n",
     "Accept: a\r\n", false},
    {"Vary name that is no token", "Vary: acc ept\r\n", "", "", false},
    {"empty Vary", "Vary: \r\n", AE("a"), AE("b"), true},
    {"16 names", "Vary: a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p\r\n", "", "", true},
    {"17 names: never", "Vary: a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q\r\n", "", "",
     false},
};

/* One row's response and two requests, parsed. */
static char resp_raw[1024], sreq_raw[1024], nreq_raw[1024];
static struct http_msg resp, sreq, nreq;

static void
case_parse(const struct vary_case *c)
{
	snprintf(resp_raw, sizeof(resp_raw),
	         "HTTP/1.1 200 OK\r\n%sCache-Control: max-age=60\r\n\r\n",
	         c->vary);
	snprintf(sreq_raw, sizeof(sreq_raw),
	         "GET / HTTP/1.1\r\nHost: o\r\n%s\r\n", c->sreq);
	snprintf(nreq_raw, sizeof(nreq_raw),
	         "GET / HTTP/1.1\r\n%sHost: o\r\n\r\n", c->nreq);
	ct_parse_resp(&resp, resp_raw);
	ct_parse_req(&sreq, sreq_raw);
	ct_parse_req(&nreq, nreq_raw);
}

Test(cache_vary, table)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct vary_case *c = &cases[i];
		bool got;

		case_parse(c);
		got = cache_vary_match(&resp, resp_raw, &sreq, sreq_raw, &nreq,
		                       nreq_raw);
		cr_expect_eq(got, c->match, "%s: %d, want %d", c->name, got,
		             c->match);
		/* symmetric */
		got = cache_vary_match(&resp, resp_raw, &nreq, nreq_raw, &sreq,
		                       sreq_raw);
		cr_expect_eq(got, c->match, "%s (swapped): %d", c->name, got);
	}
}

/* The response meta says up front when a Vary can never match (the store
 * then refuses it, cache_store.c). */
Test(cache_vary, meta_flags)
{
	static const char never[] = "HTTP/1.1 200 OK\r\nVary: a, *\r\n\r\n";
	static const char some[] = "HTTP/1.1 200 OK\r\nVary: a\r\n\r\n";
	static struct http_msg msg;
	struct cache_resp_meta r;

	ct_parse_resp(&msg, never);
	cache_resp_meta_parse(&r, &msg, never, CT_T0);
	cr_expect(r.flags & CACHE_M_VARY);
	cr_expect(r.flags & CACHE_M_VARY_NEVER);
	ct_parse_resp(&msg, some);
	cache_resp_meta_parse(&r, &msg, some, CT_T0);
	cr_expect(r.flags & CACHE_M_VARY);
	cr_expect(!(r.flags & CACHE_M_VARY_NEVER));
}

/* The canonical names of a response's Vary (the proxy's markers and
 * variant keys): lower case, in order, each once; -EINVAL when it can
 * never match, -ENOSPC when it does not fit, 0 without Vary. */
Test(cache_vary, names_canonical)
{
	static const char two[] =
	    "HTTP/1.1 200 OK\r\nVary: Accept-Encoding, accept-encoding\r\n"
	    "X-A: 1\r\nVary: User-Agent,, ACCEPT ,Accept-Encoding\r\n\r\n";
	static const char star[] = "HTTP/1.1 200 OK\r\nVary: a, *\r\n\r\n";
	static const char none[] = "HTTP/1.1 200 OK\r\nX-A: 1\r\n\r\n";
	static struct http_msg msg;
	char out[128];
	int n;

	ct_parse_resp(&msg, two);
	n = cache_vary_names(&msg, two, out, sizeof(out));
	cr_assert_eq(n, 34, "got %d", n);
	cr_expect(memcmp(out, "accept-encoding\nuser-agent\naccept\n", 34) ==
	          0);
	cr_expect_eq(cache_vary_names(&msg, two, out, 20), -ENOSPC);
	ct_parse_resp(&msg, star);
	cr_expect_eq(cache_vary_names(&msg, star, out, sizeof(out)), -EINVAL);
	ct_parse_resp(&msg, none);
	cr_expect_eq(cache_vary_names(&msg, none, out, sizeof(out)), 0);
}

/* The value of field <name> of the request <msg>, its lines joined with
 * cache_list_join() and commas between non-empty ones, into <out>, as
 * the proxy builds a variant key; "-" alone when the field is absent. */
static void
joined(const struct http_msg *msg, const char *raw, const char *name, char *out,
       int cap)
{
	int n = 0, r;
	unsigned i;
	bool present = false;

	for (i = 0; i < msg->n_headers; i++) {
		const struct http_header *h = &msg->hdr[i];

		if (h->name.len != strlen(name) ||
		    strncasecmp(raw + h->name.off, name, h->name.len) != 0)
			continue;
		if (!present)
			out[n++] = ':';
		present = true;
		if (n > 1 && h->value.len > 0)
			out[n++] = ',';
		r = cache_list_join(raw + h->value.off, h->value.len, out + n,
		                    (uint32_t)(cap - n));
		cr_assert(r >= 0);
		n += r;
		if (r == 0 && n > 1 && out[n - 1] == ',')
			n--; /* an empty line adds nothing */
	}
	if (!present)
		out[n++] = '-';
	out[n] = '\0';
}

/* The variant key's normalisation agrees with cache_vary_match() on every
 * row of the table whose Vary can match: equal joined values for every
 * name exactly when the requests match. */
Test(cache_vary, join_agrees_with_match)
{
	char names[256], a[256], b[256], name[64];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct vary_case *c = &cases[i];
		bool same = true;
		int n, p = 0, e;

		case_parse(c);
		n = cache_vary_names(&resp, resp_raw, names, sizeof(names));
		if (n < 0)
			continue; /* never matches: never stored */
		for (e = 0; e < n; e++) {
			if (names[e] != '\n')
				continue;
			memcpy(name, names + p, (size_t)(e - p));
			name[e - p] = '\0';
			joined(&sreq, sreq_raw, name, a, sizeof(a));
			joined(&nreq, nreq_raw, name, b, sizeof(b));
			same = same && strcmp(a, b) == 0;
			p = e + 1;
		}
		cr_expect_eq(same, c->match, "%s: joined %d, match %d", c->name,
		             same, c->match);
	}
}

/* cache_list_join: elements joined by one comma, OWS and empty elements
 * gone, quoted commas kept; an element that ends inside a quoted-string
 * is refused (joined, '"a' and 'b"' would read as the one element
 * '"a,b"'). */
Test(cache_vary, list_join)
{
	static const char v1[] = " a , ,b,\t\"c, d\" ,";
	static const char v2[] = "x, \"a";
	char out[32];
	int n;

	n = cache_list_join(v1, sizeof(v1) - 1, out, sizeof(out));
	cr_assert_eq(n, 10, "got %d", n);
	cr_expect(memcmp(out, "a,b,\"c, d\"", 10) == 0);
	cr_expect_eq(cache_list_join(v1, sizeof(v1) - 1, out, 5), -ENOSPC);
	cr_expect_eq(cache_list_join(v2, sizeof(v2) - 1, out, sizeof(out)),
	             -EINVAL);
	cr_expect_eq(cache_list_join("", 0, out, sizeof(out)), 0);
}
