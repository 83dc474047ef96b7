/*
 * lib/cache HTTP-date parser (cache_date.c): the three formats, their
 * field ranges and the rfc850 century rule, from RFC 9110 5.6.7; and an
 * invalid Expires read as already expired (RFC 9111 5.3).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "cache/cache_policy.h"
#include "cache_test_util.h"

TestSuite(cache_date);

/* 2026-12-02T00:00:00Z: "now" for the rfc850 two-digit years */
#define NOW 1796169600

struct date_case {
	const char *s;
	int rc;
	int64_t t;
};

/*
 * RFC 9110 5.6.7: "A recipient that parses a timestamp value in an HTTP
 * field MUST accept all three HTTP-date formats"; "HTTP-date is case
 * sensitive"; second is 00-60 (leap second); day 2DIGIT (asctime: 2DIGIT
 * or SP DIGIT); rfc850 "MUST interpret a timestamp that appears to be
 * more than 50 years in the future as representing the most recent year
 * in the past that had the same last two digits".
 */
static const struct date_case cases[] = {
    /* the RFC's example in its three forms */
    {"Sun, 06 Nov 1994 08:49:37 GMT", 0, CT_T0},
    {"Sunday, 06-Nov-94 08:49:37 GMT", 0, CT_T0},
    {"Sun Nov  6 08:49:37 1994", 0, CT_T0},
    {"Sun Nov 06 08:49:37 1994", 0, CT_T0},
    /* the weekday is not checked against the date */
    {"Mon, 06 Nov 1994 08:49:37 GMT", 0, CT_T0},
    {"Wednesday, 06-Nov-94 08:49:37 GMT", 0, CT_T0},
    /* calendar */
    {"Thu, 01 Jan 1970 00:00:00 GMT", 0, 0},
    {"Sat, 01 Jan 2000 00:00:00 GMT", 0, 946684800},
    {"Tue, 29 Feb 2000 00:00:00 GMT", 0, 951782400},
    {"Thu, 29 Feb 2024 12:00:00 GMT", 0, 1709208000},
    {"Fri, 31 Dec 9999 23:59:59 GMT", 0, 253402300799},
    {"Mon, 01 Jan 1900 00:00:00 GMT", 0, -2208988800},
    {"Mon, 01 Jan 0001 00:00:00 GMT", 0, -62135596800},
    {"Sun, 06 Nov 1994 23:59:60 GMT", 0, 784166400},
    /* rfc850 centuries, now = 2026 */
    {"Friday, 01-Jan-75 00:00:00 GMT", 0, 3313526400},
    {"Saturday, 01-Jan-77 00:00:00 GMT", 0, 220924800},
    /* invalid */
    {"", -EINVAL, 0},
    {"0", -EINVAL, 0},
    {"-1", -EINVAL, 0},
    {"sun, 06 Nov 1994 08:49:37 GMT", -EINVAL, 0},
    {"Sun, 06 nov 1994 08:49:37 GMT", -EINVAL, 0},
    {"Sun, 06 Nov 1994 08:49:37 gmt", -EINVAL, 0},
    {"Sun, 06 Nov 1994 08:49:37 UTC", -EINVAL, 0},
    {"Sun, 06 Nov 1994 08:49:37 GMT ", -EINVAL, 0},
    {"Sun, 06 Nov 1994 08:49:37 GMTx", -EINVAL, 0},
    {"Sun, 6 Nov 1994 08:49:37 GMT", -EINVAL, 0},
    {"Sun, 06 Nov 94 08:49:37 GMT", -EINVAL, 0},
    {"Sun, 06 Nov 1994 8:49:37 GMT", -EINVAL, 0},
    {"Sun, 06 Nov 1994 24:00:00 GMT", -EINVAL, 0},
    {"Sun, 06 Nov 1994 08:60:00 GMT", -EINVAL, 0},
    {"Sun, 06 Nov 1994 08:49:61 GMT", -EINVAL, 0},
    {"Sun, 31 Nov 1994 08:49:37 GMT", -EINVAL, 0},
    {"Sun, 00 Nov 1994 08:49:37 GMT", -EINVAL, 0},
    {"Thu, 29 Feb 2001 08:49:37 GMT", -EINVAL, 0},
    {"Thu, 29 Feb 1900 08:49:37 GMT", -EINVAL, 0},
    {"Sun, 06 Nov 1994 08-49-37 GMT", -EINVAL, 0},
    {"Sun,06 Nov 1994 08:49:37 GMT ", -EINVAL, 0},
    {"Sun, 06 Nov +994 08:49:37 GMT", -EINVAL, 0},
    {"Sun, 06-Nov-94 08:49:37 GMT", -EINVAL, 0},
    {"Sunday, 06 Nov 1994 08:49:37 GMT", -EINVAL, 0},
    {"Sundae, 06-Nov-94 08:49:37 GMT", -EINVAL, 0},
    {"Sunday, 06-Nov-1994 08:49:37 GMT", -EINVAL, 0},
    {"Sunday, 06-Nov-94 08:49:37 UTC", -EINVAL, 0},
    {"Sun Nov 6 08:49:37 1994", -EINVAL, 0},
    {"Sun Nov  6 08:49:37 94  ", -EINVAL, 0},
    {"Sun Nov  6 08:49:37 1994 ", -EINVAL, 0},
    {"Sun Nox  6 08:49:37 1994", -EINVAL, 0},
    {"Sun Nov  0 08:49:37 1994", -EINVAL, 0},
    {"Sun Nov x6 08:49:37 1994", -EINVAL, 0},
};

Test(cache_date, table)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct date_case *c = &cases[i];
		int64_t t = 12345;
		int rc;

		rc = cache_date_parse(c->s, (uint32_t)strlen(c->s), NOW, &t);
		cr_expect_eq(rc, c->rc, "\"%s\": rc %d, want %d", c->s, rc,
		             c->rc);
		if (c->rc == 0)
			cr_expect_eq(t, c->t, "\"%s\": %lld, want %lld", c->s,
			             (long long)t, (long long)c->t);
		else
			cr_expect_eq(t, 12345, "\"%s\": *t_s written", c->s);
	}
}

/* Each date cut short at every length is invalid, and no read goes past
 * the length given (the sanitizer build checks the heap copy). */
Test(cache_date, every_prefix)
{
	size_t i;

	for (i = 0; i < 4; i++) {
		const char *s = cases[i].s;
		uint32_t n = (uint32_t)strlen(s), k;

		for (k = 0; k < n; k++) {
			char *p = malloc(k > 0 ? k : 1);
			int64_t t;

			cr_assert_not_null(p);
			memcpy(p, s, k);
			cr_expect_eq(cache_date_parse(p, k, NOW, &t), -EINVAL,
			             "\"%s\" cut at %u", s, k);
			free(p);
		}
	}
}

/* The IMF-fixdate written (Date on a merged 304, the FTP gateway's
 * Last-Modified) is RFC 9110's example and parses back to its time. */
Test(cache_date, format_round_trip)
{
	char out[40];
	int64_t t;

	cr_assert_eq(cache_date_format(784111777, out, sizeof(out)), 29);
	cr_assert_str_eq(out, "Sun, 06 Nov 1994 08:49:37 GMT");
	cr_assert_eq(cache_date_parse(out, 29, 784111777, &t), 0);
	cr_assert_eq(t, 784111777);
	cr_assert_eq(cache_date_format(0, out, sizeof(out)), 29);
	cr_assert_str_eq(out, "Thu, 01 Jan 1970 00:00:00 GMT");
	/* no room for it all: nothing usable */
	cr_assert_eq(cache_date_format(784111777, out, 29), 0);
	cr_assert_str_eq(out, "");
}
