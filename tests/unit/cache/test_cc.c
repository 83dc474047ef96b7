/*
 * lib/cache Cache-Control parser (cache_cc.c), one table of field values
 * written from the RFC text, each case with the directives it must give,
 * the ones marked invalid or dup, and the values kept.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "cache/cache_policy.h"
#include "cache_test_util.h"

TestSuite(cache_cc);

#define DMAX CACHE_DELTA_MAX

struct cc_case {
	const char *name;
	const char *lines[3]; /* field lines, NULL-terminated */
	uint32_t flags;       /* exactly these present */
	uint32_t invalid;     /* exactly these invalid */
	uint32_t dup;         /* exactly these dup */
	/* checked when their flag is expected */
	uint32_t max_age, s_maxage, max_stale, min_fresh, swr, sie;
};

/*
 * RFC 9111 5.2: "cache-directive = token [ "=" ( token / quoted-string ) ]",
 * names "case-insensitive", recipients "ought to accept both forms"
 * (token and quoted-string), unknown directives "MUST" be ignored (5.2.3).
 * RFC 9111 1.2.2: delta-seconds too large is 2147483648.
 * RFC 9111 4.2.1: repeated directives: the first "or ... stale"; invalid
 * freshness ("a max-age directive with non-integer content"): stale.
 * RFC 9110 5.3: field lines combine into one list; 5.6.1: empty list
 * elements are ignored.
 */
static const struct cc_case cases[] = {
    {"max-age", {"max-age=60"}, CACHE_CC_MAX_AGE, .max_age = 60},
    {"name case-insensitive", {"MAX-Age=60"}, CACHE_CC_MAX_AGE, .max_age = 60},
    {"quoted delta accepted",
     {"max-age=\"60\""},
     CACHE_CC_MAX_AGE,
     .max_age = 60},
    {"same value twice",
     {"max-age=60, max-age=60"},
     CACHE_CC_MAX_AGE,
     .max_age = 60},
    {"two values: smallest, dup",
     {"max-age=60, max-age=30"},
     CACHE_CC_MAX_AGE,
     .dup = CACHE_CC_MAX_AGE,
     .max_age = 30},
    {"two lines combine (9110 5.3)",
     {"max-age=30", "max-age=60"},
     CACHE_CC_MAX_AGE,
     .dup = CACHE_CC_MAX_AGE,
     .max_age = 30},
    {"non-integer: 0, invalid",
     {"max-age=abc"},
     CACHE_CC_MAX_AGE,
     CACHE_CC_MAX_AGE,
     .max_age = 0},
    {"empty value", {"max-age="}, CACHE_CC_MAX_AGE, CACHE_CC_MAX_AGE},
    {"no value", {"max-age"}, CACHE_CC_MAX_AGE, CACHE_CC_MAX_AGE},
    {"negative", {"max-age=-1"}, CACHE_CC_MAX_AGE, CACHE_CC_MAX_AGE},
    {"float", {"max-age=1.5"}, CACHE_CC_MAX_AGE, CACHE_CC_MAX_AGE},
    {"space around =", {"max-age = 5"}, CACHE_CC_MAX_AGE, CACHE_CC_MAX_AGE},
    {"junk after value", {"max-age=5;x=1"}, CACHE_CC_MAX_AGE, CACHE_CC_MAX_AGE},
    {"quoted-pair in delta",
     {"max-age=\"6\\0\""},
     CACHE_CC_MAX_AGE,
     CACHE_CC_MAX_AGE},
    {"overflow: 2^31 (1.2.2)",
     {"max-age=99999999999999999999999"},
     CACHE_CC_MAX_AGE,
     .max_age = DMAX},
    {"2^31 exactly", {"max-age=2147483648"}, CACHE_CC_MAX_AGE, .max_age = DMAX},
    {"2^31 - 1",
     {"max-age=2147483647"},
     CACHE_CC_MAX_AGE,
     .max_age = 2147483647u},
    {"leading zeros",
     {"max-age=0000000000000000000000007"},
     CACHE_CC_MAX_AGE,
     .max_age = 7},
    {"s-maxage and max-age",
     {"s-maxage=10, max-age=20"},
     CACHE_CC_S_MAXAGE | CACHE_CC_MAX_AGE,
     .max_age = 20,
     .s_maxage = 10},
    {"s-maxage invalid", {"s-maxage=x"}, CACHE_CC_S_MAXAGE, CACHE_CC_S_MAXAGE},
    {"no-cache", {"no-cache"}, CACHE_CC_NO_CACHE},
    {"no-cache with names, comma inside quotes",
     {"no-cache=\"set-cookie, foo\", max-age=5"},
     CACHE_CC_NO_CACHE | CACHE_CC_NO_CACHE_FIELDS | CACHE_CC_MAX_AGE,
     .max_age = 5},
    {"no-cache token form",
     {"no-cache=set-cookie"},
     CACHE_CC_NO_CACHE | CACHE_CC_NO_CACHE_FIELDS},
    {"no-cache unterminated quote",
     {"no-cache=\"a, max-age=5"},
     CACHE_CC_NO_CACHE | CACHE_CC_NO_CACHE_FIELDS,
     CACHE_CC_NO_CACHE},
    {"private", {"private"}, CACHE_CC_PRIVATE},
    {"private with names",
     {"private=\"x-user\""},
     CACHE_CC_PRIVATE | CACHE_CC_PRIVATE_FIELDS},
    {"flags",
     {"public, must-revalidate, proxy-revalidate, must-understand, "
      "no-transform, immutable, only-if-cached, no-store"},
     CACHE_CC_PUBLIC | CACHE_CC_MUST_REVALIDATE | CACHE_CC_PROXY_REVALIDATE |
         CACHE_CC_MUST_UNDERSTAND | CACHE_CC_NO_TRANSFORM | CACHE_CC_IMMUTABLE |
         CACHE_CC_ONLY_IF_CACHED | CACHE_CC_NO_STORE},
    {"flags any case",
     {"No-Store, PUBLIC"},
     CACHE_CC_NO_STORE | CACHE_CC_PUBLIC},
    {"public with argument: ignored", {"public=1"}, 0, CACHE_CC_PUBLIC},
    {"must-understand with argument: ignored",
     {"must-understand=yes"},
     0,
     CACHE_CC_MUST_UNDERSTAND},
    {"no-store with argument: still no-store",
     {"no-store=oops"},
     CACHE_CC_NO_STORE,
     CACHE_CC_NO_STORE},
    {"RFC 5861",
     {"stale-while-revalidate=30, stale-if-error=600"},
     CACHE_CC_SWR | CACHE_CC_SIE,
     .swr = 30,
     .sie = 600},
    {"stale-if-error invalid: ignored", {"stale-if-error=x"}, 0, CACHE_CC_SIE},
    {"swr repeated: smallest",
     {"stale-while-revalidate=30", "stale-while-revalidate=10"},
     CACHE_CC_SWR,
     .dup = CACHE_CC_SWR,
     .swr = 10},
    {"max-stale without value",
     {"max-stale"},
     CACHE_CC_MAX_STALE,
     .max_stale = DMAX},
    {"max-stale=10", {"max-stale=10"}, CACHE_CC_MAX_STALE, .max_stale = 10},
    {"max-stale both: the bounded one",
     {"max-stale, max-stale=5"},
     CACHE_CC_MAX_STALE,
     .dup = CACHE_CC_MAX_STALE,
     .max_stale = 5},
    {"max-stale invalid: ignored", {"max-stale=soon"}, 0, CACHE_CC_MAX_STALE},
    {"min-fresh repeated: largest",
     {"min-fresh=5, min-fresh=10"},
     CACHE_CC_MIN_FRESH,
     .dup = CACHE_CC_MIN_FRESH,
     .min_fresh = 10},
    {"unknown directives ignored (5.2.3)",
     {"foo=bar, community=\"UCI\", max-age=5, x-y"},
     CACHE_CC_MAX_AGE,
     .max_age = 5},
    {"empty elements (9110 5.6.1)",
     {", ,\tmax-age=5 ,,"},
     CACHE_CC_MAX_AGE,
     .max_age = 5},
    {"element without a name",
     {"=5, max-age=7"},
     CACHE_CC_MAX_AGE,
     CACHE_CC_MALFORMED,
     .max_age = 7},
    {"quoted junk element",
     {"\"max-age=5\", no-store"},
     CACHE_CC_NO_STORE,
     CACHE_CC_MALFORMED},
    {"empty field value", {""}, 0},
};

static void
check(const struct cc_case *c, const struct cache_cc *cc)
{
	cr_expect_eq(cc->flags, c->flags, "%s: flags %#x, want %#x", c->name,
	             cc->flags, c->flags);
	cr_expect_eq(cc->invalid, c->invalid, "%s: invalid %#x, want %#x",
	             c->name, cc->invalid, c->invalid);
	cr_expect_eq(cc->dup, c->dup, "%s: dup %#x, want %#x", c->name, cc->dup,
	             c->dup);
	if (c->flags & CACHE_CC_MAX_AGE)
		cr_expect_eq(cc->max_age_s, c->max_age, "%s: max-age %u",
		             c->name, cc->max_age_s);
	if (c->flags & CACHE_CC_S_MAXAGE)
		cr_expect_eq(cc->s_maxage_s, c->s_maxage, "%s: s-maxage %u",
		             c->name, cc->s_maxage_s);
	if (c->flags & CACHE_CC_MAX_STALE)
		cr_expect_eq(cc->max_stale_s, c->max_stale, "%s: max-stale %u",
		             c->name, cc->max_stale_s);
	if (c->flags & CACHE_CC_MIN_FRESH)
		cr_expect_eq(cc->min_fresh_s, c->min_fresh, "%s: min-fresh %u",
		             c->name, cc->min_fresh_s);
	if (c->flags & CACHE_CC_SWR)
		cr_expect_eq(cc->swr_s, c->swr, "%s: swr %u", c->name,
		             cc->swr_s);
	if (c->flags & CACHE_CC_SIE)
		cr_expect_eq(cc->sie_s, c->sie, "%s: sie %u", c->name,
		             cc->sie_s);
}

Test(cache_cc, table_by_value)
{
	size_t i, k;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cache_cc cc;

		memset(&cc, 0, sizeof(cc));
		for (k = 0; k < 3 && cases[i].lines[k] != NULL; k++)
			cache_cc_add(&cc, cases[i].lines[k],
			             (uint32_t)strlen(cases[i].lines[k]));
		check(&cases[i], &cc);
	}
}

/* The same table through a parsed head: every Cache-Control line of the
 * message, other fields ignored. */
Test(cache_cc, table_by_head)
{
	static char raw[4096];
	static struct http_msg msg;
	size_t i, k;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cache_cc cc;
		int n;

		n = snprintf(raw, sizeof(raw),
		             "HTTP/1.1 200 OK\r\nPragma: no-cache\r\n");
		for (k = 0; k < 3 && cases[i].lines[k] != NULL; k++)
			n += snprintf(raw + n, sizeof(raw) - (size_t)n,
			              "Cache-Control: %s\r\nX-Other: 1\r\n",
			              cases[i].lines[k]);
		snprintf(raw + n, sizeof(raw) - (size_t)n, "\r\n");
		ct_parse_resp(&msg, raw);
		cache_cc_parse(&cc, &msg, raw);
		check(&cases[i], &cc);
	}
}

/* An attacker's value: 1 MiB of directives, quotes and commas.  Work is
 * one pass (this runs in milliseconds), nothing is kept but the struct. */
Test(cache_cc, hostile_sizes)
{
	static const char pat[] = "max-age=1,\"no-cache=\"a\\\",private,";
	static char big[1u << 20];
	struct cache_cc cc;
	size_t i;

	for (i = 0; i < sizeof(big); i++)
		big[i] = pat[i % (sizeof(pat) - 1)];
	memset(&cc, 0, sizeof(cc));
	cache_cc_add(&cc, big, sizeof(big));
	cr_expect(cc.flags & CACHE_CC_MAX_AGE);

	for (i = 0; i < sizeof(big); i++)
		big[i] = '9';
	memset(&cc, 0, sizeof(cc));
	memcpy(big, "s-maxage=", 9);
	cache_cc_add(&cc, big, sizeof(big));
	cr_expect_eq(cc.s_maxage_s, CACHE_DELTA_MAX);
	cr_expect_eq(cc.invalid, 0);
}

/* ---- targeted fields: CDN-Cache-Control (RFC 9213) ---- */

struct tcc_case {
	struct cc_case want; /* want.dup is always 0: a later key replaces */
	int rc;              /* cache_cc_parse_targeted() */
};

/*
 * RFC 9213 2: a targeted field is an RFC 8941 Dictionary of cache
 * directives; Boolean true is a directive without a value, an Integer
 * delta-seconds, a String a quoted-string; values breaking "these
 * inferred constraints" are not consumed (read as Cache-Control's bad
 * arguments are: restrictive); an empty or unparseable field is ignored
 * (2.2: -ENOENT, -EINVAL).  RFC 8941 4.2.2: keys are lower case, members
 * are separated by a comma and OWS, no trailing comma, a repeated key
 * keeps its last value; 4.2: all lines are one value joined by commas;
 * 4.2.4: at most 15 integer digits, or 12.3 for a Decimal.
 */
static const struct tcc_case tcases[] = {
    {{"max-age", {"max-age=60"}, CACHE_CC_MAX_AGE, .max_age = 60}, 0},
    {{"several, params ignored",
      {"max-age=60;a=1;b, s-maxage=30,\tstale-while-revalidate=5"},
      CACHE_CC_MAX_AGE | CACHE_CC_S_MAXAGE | CACHE_CC_SWR,
      .max_age = 60,
      .s_maxage = 30,
      .swr = 5},
     0},
    {{"lines are one value",
      {"max-age=60", "no-cache"},
      CACHE_CC_MAX_AGE | CACHE_CC_NO_CACHE,
      .max_age = 60},
     0},
    {{"a String across two lines",
      {"no-cache=\"a", "b\", max-age=5"},
      CACHE_CC_NO_CACHE | CACHE_CC_NO_CACHE_FIELDS | CACHE_CC_MAX_AGE,
      .max_age = 5},
     0},
    {{"repeated key: the last",
      {"max-age=60, max-age=30"},
      CACHE_CC_MAX_AGE,
      .max_age = 30},
     0},
    {{"repeated over lines: the last",
      {"max-age=5", "max-age=50"},
      CACHE_CC_MAX_AGE,
      .max_age = 50},
     0},
    {{"?1 is no value, ?0 restrictive anyway",
      {"no-store=?1, private=?0"},
      CACHE_CC_NO_STORE | CACHE_CC_PRIVATE | CACHE_CC_PRIVATE_FIELDS,
      CACHE_CC_PRIVATE},
     0},
    {{"no-cache with a String",
      {"no-cache=\"set-cookie\""},
      CACHE_CC_NO_CACHE | CACHE_CC_NO_CACHE_FIELDS},
     0},
    {{"only unknown: valid (RFC 9213 3.1 \"none\")", {"none"}, 0}, 0},
    {{"inner list and byte sequence: valid",
      {"x=(1 \"a\" b);p, y=:aGk=:, max-age=7"},
      CACHE_CC_MAX_AGE,
      .max_age = 7},
     0},
    {{"15 digits: saturated",
      {"max-age=999999999999999"},
      CACHE_CC_MAX_AGE,
      .max_age = DMAX},
     0},
    {{"max-age a String: stale",
      {"max-age=\"60\""},
      CACHE_CC_MAX_AGE,
      CACHE_CC_MAX_AGE,
      .max_age = 0},
     0},
    {{"max-age a Decimal: stale",
      {"max-age=1.5"},
      CACHE_CC_MAX_AGE,
      CACHE_CC_MAX_AGE,
      .max_age = 0},
     0},
    {{"max-age negative: stale",
      {"max-age=-1"},
      CACHE_CC_MAX_AGE,
      CACHE_CC_MAX_AGE,
      .max_age = 0},
     0},
    {{"max-age a Token: stale",
      {"max-age=soon"},
      CACHE_CC_MAX_AGE,
      CACHE_CC_MAX_AGE,
      .max_age = 0},
     0},
    {{"swr a Decimal: ignored",
      {"stale-while-revalidate=1.5"},
      0,
      CACHE_CC_SWR},
     0},
    {{"public with a value: ignored", {"public=1"}, 0, CACHE_CC_PUBLIC}, 0},
    {{"upper-case key", {"Max-Age=60"}, 0}, -EINVAL},
    {{"trailing comma", {"max-age=60,"}, 0}, -EINVAL},
    {{"no comma", {"max-age=60 no-store"}, 0}, -EINVAL},
    {{"space before =", {"max-age =60"}, 0}, -EINVAL},
    {{"16 digits", {"max-age=9999999999999999"}, 0}, -EINVAL},
    {{"Decimal, 4 decimals", {"a=1.2345"}, 0}, -EINVAL},
    {{"Decimal, no decimals", {"a=1."}, 0}, -EINVAL},
    {{"bad escape in a String", {"no-cache=\"a\\b\""}, 0}, -EINVAL},
    {{"unterminated String", {"no-cache=\"a"}, 0}, -EINVAL},
    {{"comma in an inner list", {"x=(1,2)"}, 0}, -EINVAL},
    {{"bad byte sequence", {"x=:a b:"}, 0}, -EINVAL},
    {{"parameter without key", {"max-age=5;"}, 0}, -EINVAL},
    {{"a Cache-Control quirk: empty element", {"max-age=5, , no-store"}, 0},
     -EINVAL},
    {{"an empty line joins as a trailing comma", {"max-age=5", ""}, 0},
     -EINVAL},
    {{"empty", {""}, 0}, -ENOENT},
};

Test(cache_cc, targeted_table)
{
	static char raw[4096];
	static struct http_msg msg;
	size_t i, k;

	for (i = 0; i < sizeof(tcases) / sizeof(tcases[0]); i++) {
		const struct tcc_case *t = &tcases[i];
		struct cache_cc cc;
		int n, rc;

		n = snprintf(raw, sizeof(raw),
		             "HTTP/1.1 200 OK\r\nCache-Control: no-store\r\n");
		for (k = 0; k < 3 && t->want.lines[k] != NULL; k++)
			n += snprintf(raw + n, sizeof(raw) - (size_t)n,
			              "CDN-Cache-Control: %s\r\nX-Other: 1\r\n",
			              t->want.lines[k]);
		snprintf(raw + n, sizeof(raw) - (size_t)n, "\r\n");
		ct_parse_resp(&msg, raw);
		rc = cache_cc_parse_targeted(&cc, &msg, raw,
		                             HTTP_FLD_CDN_CACHE_CONTROL);
		cr_expect_eq(rc, t->rc, "%s: rc %d, want %d", t->want.name, rc,
		             t->rc);
		check(&t->want, &cc); /* zeroed unless valid */
	}
}

/* Absent: -ENOENT, and Cache-Control is not read as one. */
Test(cache_cc, targeted_absent)
{
	static const char raw[] = "HTTP/1.1 200 OK\r\nCache-Control: "
	                          "max-age=60\r\n\r\n";
	static struct http_msg msg;
	struct cache_cc cc;

	ct_parse_resp(&msg, raw);
	cr_expect_eq(
	    cache_cc_parse_targeted(&cc, &msg, raw, HTTP_FLD_CDN_CACHE_CONTROL),
	    -ENOENT);
	cr_expect_eq(cc.flags, 0);
}

/* Hostile sizes: a field of 1 MiB of members is one pass (milliseconds),
 * nothing kept; an error at its very end undoes all of it. */
Test(cache_cc, targeted_hostile)
{
	static char raw[(1u << 20) + 256];
	static struct http_msg msg;
	struct http_limits lim;
	struct cache_cc cc;
	size_t n = 0;

	n += (size_t)snprintf(raw, sizeof(raw),
	                      "HTTP/1.1 200 OK\r\nCDN-Cache-Control: ");
	while (n < (1u << 20))
		n += (size_t)snprintf(raw + n, sizeof(raw) - n,
		                      "max-age=1, x=(1 2);y=?0, ");
	n += (size_t)snprintf(raw + n, sizeof(raw) - n, "max-age=9\r\n\r\n");
	http_limits_default(&lim);
	lim.max_header_bytes = (uint32_t)n;
	lim.max_request_line = 1024;
	http_msg_init(&msg, false, HTTP_M_GET);
	cr_assert_eq(http_parse_head(&msg, raw, (uint32_t)n, &lim), HTTP_OK);
	cr_expect_eq(
	    cache_cc_parse_targeted(&cc, &msg, raw, HTTP_FLD_CDN_CACHE_CONTROL),
	    0);
	cr_expect_eq(cc.max_age_s, 9);
	raw[n - 5] = ','; /* the last member "max-age=,": no value */
	http_msg_init(&msg, false, HTTP_M_GET);
	cr_assert_eq(http_parse_head(&msg, raw, (uint32_t)n, &lim), HTTP_OK);
	cr_expect_eq(
	    cache_cc_parse_targeted(&cc, &msg, raw, HTTP_FLD_CDN_CACHE_CONTROL),
	    -EINVAL);
	cr_expect_eq(cc.flags, 0);
}
