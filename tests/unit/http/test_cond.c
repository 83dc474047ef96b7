/*
 * lib/http's conditional and range field values (http_cond.h), as tables
 * from RFC 9110: entity-tag comparison (8.8.3.2's table), If-None-Match
 * lists (13.1.2) and Range values (14.1.1, 14.1.2, 14.2).
 */
#include <string.h>

#include <criterion/criterion.h>

#include "http/http_cond.h"

TestSuite(http_cond);

#define S(x) x, (uint32_t)strlen(x)

/* RFC 9110 8.8.3.2: W/"1" W/"1" no strong match, weak match; W/"1"
 * W/"2" neither; W/"1" "1" weak only; "1" "1" both. */
Test(http_cond, etag_comparison_table)
{
	cr_assert_not(http_etag_strong_eq(S("W/\"1\""), S("W/\"1\"")));
	cr_assert(http_inm_match(S("W/\"1\""), S("W/\"1\"")));
	cr_assert_not(http_etag_strong_eq(S("W/\"1\""), S("W/\"2\"")));
	cr_assert_not(http_inm_match(S("W/\"1\""), S("W/\"2\"")));
	cr_assert_not(http_etag_strong_eq(S("W/\"1\""), S("\"1\"")));
	cr_assert(http_inm_match(S("W/\"1\""), S("\"1\"")));
	cr_assert(http_inm_match(S("\"1\""), S("W/\"1\"")));
	cr_assert(http_etag_strong_eq(S("\"1\""), S("\"1\"")));
	cr_assert(http_inm_match(S("\"1\""), S("\"1\"")));
}

Test(http_cond, etag_valid)
{
	bool weak;

	cr_assert(http_etag_valid(S("\"\""), &weak) && !weak);
	cr_assert(http_etag_valid(S("W/\"a b\""), &weak) && weak);
	cr_assert_not(http_etag_valid(S("\"a\"b\""), &weak));
	cr_assert_not(http_etag_valid(S("abc"), &weak));
	cr_assert_not(http_etag_valid(S("\""), &weak));
	cr_assert_not(http_etag_valid(S("W/"), &weak));
	cr_assert_not(http_etag_valid(S("w/\"a\""), &weak));
}

Test(http_cond, if_none_match_lists)
{
	cr_assert(http_inm_match(S("*"), S("\"x\"")));
	cr_assert(http_inm_match(S("*"), "", 0), "* needs no stored tag");
	cr_assert(http_inm_match(S("\"a\", \"b\" ,\t\"c\""), S("\"c\"")));
	cr_assert(http_inm_match(S(",,\"a\","), S("\"a\"")));
	cr_assert_not(http_inm_match(S("\"a\", \"b\""), S("\"c\"")));
	cr_assert_not(http_inm_match(S("\"a\""), "", 0), "nothing stored");
	cr_assert_not(http_inm_match(S("a"), S("\"a\"")), "no quotes");
	cr_assert_not(http_inm_match(S("\"a"), S("\"a\"")), "unterminated");
	/* an element that is no entity-tag ends the reading */
	cr_assert_not(http_inm_match(S("junk, \"a\""), S("\"a\"")));
	cr_assert(http_inm_match(S("\"a\", junk"), S("\"a\"")));
	/* a stored value that is no entity-tag matches nothing but * */
	cr_assert_not(http_inm_match(S("\"a\""), S("a")));
	cr_assert_not(http_inm_match(S(""), S("\"a\"")));
}

static enum http_range_kind
range(const char *v, uint64_t *first, uint64_t *last)
{
	return http_range_parse(v, (uint32_t)strlen(v), first, last);
}

/* RFC 9110 14.1.2's examples and the invalid forms 14.1.1 names. */
Test(http_cond, range_values)
{
	uint64_t f = 0, l = 0;

	cr_assert_eq(range("bytes=0-499", &f, &l), HTTP_RANGE_ONE);
	cr_assert(f == 0 && l == 499);
	cr_assert_eq(range("bytes=500-999", &f, &l), HTTP_RANGE_ONE);
	cr_assert(f == 500 && l == 999);
	cr_assert_eq(range("bytes=-500", &f, &l), HTTP_RANGE_ONE);
	cr_assert(f == HTTP_RANGE_OPEN && l == 500);
	cr_assert_eq(range("bytes=9500-", &f, &l), HTTP_RANGE_ONE);
	cr_assert(f == 9500 && l == HTTP_RANGE_OPEN);
	cr_assert_eq(range("BYTES=1-1", &f, &l), HTTP_RANGE_ONE);
	cr_assert_eq(range("bytes= 1-2 ", &f, &l), HTTP_RANGE_ONE);
	cr_assert_eq(range("bytes=1-2,", &f, &l), HTTP_RANGE_ONE);
	cr_assert_eq(range("bytes=0-0,-1", &f, &l), HTTP_RANGE_MULTI);
	cr_assert_eq(range("bytes=500-600,601-999", &f, &l), HTTP_RANGE_MULTI);
	cr_assert_eq(range("bytes=99999999999999999999999-", &f, &l),
	             HTTP_RANGE_ONE);
	cr_assert_eq(f, UINT64_MAX / 2, "saturated");
	/* invalid: ignored */
	cr_assert_eq(range("bytes=5-1", &f, &l), HTTP_RANGE_NONE);
	cr_assert_eq(range("bytes=-", &f, &l), HTTP_RANGE_NONE);
	cr_assert_eq(range("bytes=", &f, &l), HTTP_RANGE_NONE);
	cr_assert_eq(range("bytes=a-1", &f, &l), HTTP_RANGE_NONE);
	cr_assert_eq(range("bytes=1-2x", &f, &l), HTTP_RANGE_NONE);
	cr_assert_eq(range("bytes=1", &f, &l), HTTP_RANGE_NONE);
	cr_assert_eq(range("items=0-1", &f, &l), HTTP_RANGE_NONE);
	cr_assert_eq(range("bytes 0-1", &f, &l), HTTP_RANGE_NONE);
}
