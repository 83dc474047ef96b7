/*
 * lib/cache freshness (cache_fresh.c): the lifetime of RFC 9111 4.2.1 and
 * 4.2.2, the Age field (5.1) and the current age of 4.2.3, and the use
 * decision of 4.2, 5.2.1, 5.2.2 and RFC 5861, each a table from the RFC.
 * Responses are parsed by lib/http and read by cache_resp_meta_parse(), as
 * the cache will see them; every response arrives at CT_T0.
 */
#include <string.h>

#include <criterion/criterion.h>

#include "cache/cache_policy.h"
#include "cache_test_util.h"

TestSuite(cache_fresh);

#define DATE_T0  "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
#define EXP_1H   "Expires: Sun, 06 Nov 1994 09:49:37 GMT\r\n"
#define EXP_PAST "Expires: Sun, 06 Nov 1994 08:48:37 GMT\r\n"
#define LM_7D    "Last-Modified: Sun, 30 Oct 1994 08:49:37 GMT\r\n"
#define LM_LATER "Last-Modified: Sun, 06 Nov 1994 09:49:37 GMT\r\n"
#define OK       "HTTP/1.1 200 OK\r\n"
#define CC(v)    "Cache-Control: " v "\r\n"

#define ETAG_V "ETag: \"v\"\r\n"

#define DAY 86400u

struct life_case {
	const char *name;
	const char *raw;
	uint32_t cap; /* heuristic_max_s */
	uint32_t lifetime;
};

/*
 * RFC 9111 4.2.1: "If the cache is shared and the s-maxage response
 * directive is present, use its value, or If the max-age response
 * directive is present, use its value, or If the Expires response header
 * field is present, use its value minus the value of the Date response
 * header field (using the time the message was received if it is not
 * present ...), or Otherwise, no explicit expiration time is present";
 * "When there is more than one value present for a given directive ...
 * either the first occurrence should be used or the response should be
 * considered stale"; invalid freshness information: stale.
 * 5.3: "A cache recipient MUST interpret invalid date formats, especially
 * the value "0", as representing a time in the past"; "If a response
 * includes a Cache-Control header field with the max-age directive, a
 * recipient MUST ignore the Expires header field".
 * 4.2.2: heuristic only without explicit expiration, for heuristically
 * cacheable statuses or public; "no more than some fraction of the interval
 * since that time. A typical setting of this fraction might be 10%."
 */
static const struct life_case life[] = {
    {"max-age", OK DATE_T0 CC("max-age=60") "\r\n", DAY, 60},
    {"s-maxage over max-age", OK CC("max-age=60, s-maxage=30") "\r\n", DAY, 30},
    {"max-age over Expires", OK DATE_T0 EXP_1H CC("max-age=60") "\r\n", DAY,
     60},
    {"max-age over invalid Expires",
     OK DATE_T0 "Expires: 0\r\n" CC("max-age=60") "\r\n", DAY, 60},
    {"Expires - Date", OK DATE_T0 EXP_1H "\r\n", DAY, 3600},
    {"Expires, no Date: response time", OK EXP_1H "\r\n", DAY, 3600},
    {"Expires, invalid Date: response time",
     OK "Date: yesterday\r\n" EXP_1H "\r\n", DAY, 3600},
    {"Expires: 0", OK DATE_T0 "Expires: 0\r\n" LM_7D "\r\n", DAY, 0},
    {"Expires invalid", OK DATE_T0 "Expires: soon\r\n" LM_7D "\r\n", DAY, 0},
    {"Expires before Date", OK DATE_T0 EXP_PAST "\r\n", DAY, 0},
    {"Expires twice: stale", OK DATE_T0 EXP_1H EXP_1H "\r\n", DAY, 0},
    {"max-age twice, different: stale", OK CC("max-age=60, max-age=120") "\r\n",
     DAY, 0},
    {"max-age on two lines, different: stale",
     OK CC("max-age=60") CC("max-age=120") "\r\n", DAY, 0},
    {"max-age twice, same", OK CC("max-age=60") CC("max-age=60") "\r\n", DAY,
     60},
    {"max-age non-integer: stale", OK CC("max-age=6O") "\r\n", DAY, 0},
    {"s-maxage invalid, max-age valid: stale",
     OK CC("s-maxage=x, max-age=60") "\r\n", DAY, 0},
    {"s-maxage=0 over max-age (5.2.2.10)",
     OK CC("max-age=600, s-maxage=0") "\r\n", DAY, 0},
    {"s-maxage over Expires", OK DATE_T0 EXP_1H CC("s-maxage=30") "\r\n", DAY,
     30},
    {"s-maxage longer than max-age", OK CC("s-maxage=600, max-age=60") "\r\n",
     DAY, 600},
    {"s-maxage valid, max-age invalid: stale (4.2.1: invalid freshness)",
     OK CC("s-maxage=600, max-age=x") "\r\n", DAY, 0},
    {"max-age overflow: 2^31", OK CC("max-age=99999999999") "\r\n", DAY,
     CACHE_DELTA_MAX},
    {"heuristic: 10% since Last-Modified", OK DATE_T0 LM_7D "\r\n", DAY, 60480},
    {"heuristic capped", OK DATE_T0 LM_7D "\r\n", 3600, 3600},
    {"heuristic, no Date: response time", OK LM_7D "\r\n", DAY, 60480},
    {"heuristic: not for 302", "HTTP/1.1 302 Found\r\n" DATE_T0 LM_7D "\r\n",
     DAY, 0},
    {"heuristic: 302 with public",
     "HTTP/1.1 302 Found\r\n" DATE_T0 LM_7D CC("public") "\r\n", DAY, 60480},
    {"heuristic: 404", "HTTP/1.1 404 Not Found\r\n" DATE_T0 LM_7D "\r\n", DAY,
     60480},
    {"heuristic: no Last-Modified", OK DATE_T0 "\r\n", DAY, 0},
    {"heuristic: Last-Modified after Date", OK DATE_T0 LM_LATER "\r\n", DAY, 0},
    {"heuristic: invalid Last-Modified",
     OK DATE_T0 "Last-Modified: last week\r\n\r\n", DAY, 0},
};

Test(cache_fresh, lifetime)
{
	static struct http_msg msg;
	size_t i;

	for (i = 0; i < sizeof(life) / sizeof(life[0]); i++) {
		struct cache_resp_meta r;
		uint32_t got;

		ct_parse_resp(&msg, life[i].raw);
		cache_resp_meta_parse(&r, &msg, life[i].raw, CT_T0);
		got = cache_lifetime(&r, life[i].cap);
		cr_expect_eq(got, life[i].lifetime, "%s: %u, want %u",
		             life[i].name, got, life[i].lifetime);
	}
}

struct age_field_case {
	const char *raw;
	uint32_t age;
};

/* RFC 9111 5.1: Age = delta-seconds; too large: 2147483648.  A value that
 * is no delta-seconds, or a list, makes the response stale (2^31); with
 * several lines the first one counts. */
static const struct age_field_case age_fields[] = {
    {OK "Age: 5\r\n\r\n", 5},
    {OK "\r\n", 0},
    {OK "Age: 5\r\nAge: 7\r\n\r\n", 5},
    {OK "Age: 5, 6\r\n\r\n", CACHE_DELTA_MAX},
    {OK "Age: 1.5\r\n\r\n", CACHE_DELTA_MAX},
    {OK "Age: -1\r\n\r\n", CACHE_DELTA_MAX},
    {OK "Age: \r\n\r\n", CACHE_DELTA_MAX},
    {OK "Age: 99999999999\r\n\r\n", CACHE_DELTA_MAX},
    {OK "Age: 2147483647\r\n\r\n", 2147483647u},
};

Test(cache_fresh, age_field)
{
	static struct http_msg msg;
	size_t i;

	for (i = 0; i < sizeof(age_fields) / sizeof(age_fields[0]); i++) {
		struct cache_resp_meta r;

		ct_parse_resp(&msg, age_fields[i].raw);
		cache_resp_meta_parse(&r, &msg, age_fields[i].raw, CT_T0);
		cr_expect_eq(r.age_s, age_fields[i].age, "%s: %u",
		             age_fields[i].raw, r.age_s);
	}
}

struct age_case {
	const char *name;
	int64_t date, request, response, now;
	uint32_t age_value;
	uint32_t age;
};

/*
 * RFC 9111 4.2.3:
 *   apparent_age = max(0, response_time - date_value);
 *   response_delay = response_time - request_time;
 *   corrected_age_value = age_value + response_delay;
 *   corrected_initial_age = max(apparent_age, corrected_age_value);
 *   resident_time = now - response_time;
 *   current_age = corrected_initial_age + resident_time;
 * and 1.2.2: overflow is 2147483648.
 */
static const struct age_case ages[] = {
    {"resident time only", 1000, 1000, 1000, 1010, 0, 10},
    {"apparent age", 995, 1000, 1000, 1000, 0, 5},
    {"apparent age + resident", 995, 1000, 1000, 1010, 0, 15},
    {"Age + response delay over apparent", 995, 998, 1000, 1010, 100, 112},
    {"apparent over Age + delay", 900, 999, 1000, 1000, 10, 100},
    {"Date in the future: apparent 0", 1100, 1000, 1000, 1000, 0, 0},
    {"clock back: resident 0", 1000, 1000, 1000, 900, 3, 3},
    {"request after response: delay 0", 1000, 1005, 1000, 1000, 3, 3},
    {"invalid Age saturates", 1000, 1000, 1000, 5000, CACHE_DELTA_MAX,
     CACHE_DELTA_MAX},
    {"huge resident time saturates", 0, 0, 0, INT64_C(1) << 40, 0,
     CACHE_DELTA_MAX},
};

Test(cache_fresh, current_age)
{
	size_t i;

	for (i = 0; i < sizeof(ages) / sizeof(ages[0]); i++) {
		struct cache_resp_meta r;
		uint32_t got;

		memset(&r, 0, sizeof(r));
		r.date_s = ages[i].date;
		r.age_s = ages[i].age_value;
		got = cache_current_age(&r, ages[i].request, ages[i].response,
		                        ages[i].now);
		cr_expect_eq(got, ages[i].age, "%s: %u, want %u", ages[i].name,
		             got, ages[i].age);
	}
}

/* The whole chain on one response: Date 60 s before it arrived, Age 30,
 * 2 s of response delay, 100 s in the cache: age max(60, 32) + 100. */
Test(cache_fresh, age_from_head)
{
	static const char raw[] =
	    OK "Date: Sun, 06 Nov 1994 08:48:37 GMT\r\nAge: 30\r\n" CC(
	        "max-age=200") "\r\n";
	static struct http_msg msg;
	struct cache_resp_meta r;
	uint32_t age;

	ct_parse_resp(&msg, raw);
	cache_resp_meta_parse(&r, &msg, raw, CT_T0);
	age = cache_current_age(&r, CT_T0 - 2, CT_T0, CT_T0 + 100);
	cr_expect_eq(age, 160);
	cr_expect_eq(cache_use_decide(&r, &(struct cache_cc){0},
	                              cache_lifetime(&r, DAY), age),
	             CACHE_USE_FRESH);
	age = cache_current_age(&r, CT_T0 - 2, CT_T0, CT_T0 + 140);
	cr_expect_eq(cache_use_decide(&r, &(struct cache_cc){0},
	                              cache_lifetime(&r, DAY), age),
	             CACHE_USE_VALIDATE);
}

struct use_case {
	const char *name;
	const char *resp_cc; /* the response's Cache-Control */
	const char *req_cc;  /* the request's */
	uint32_t lifetime, age;
	enum cache_use use;
	bool sie_ok; /* cache_stale_if_error_ok(), checked when either side
	                has stale-if-error (false is expected otherwise) */
};

/*
 * RFC 9111 4.2: "response_is_fresh = (freshness_lifetime > current_age)".
 * 4.2.4: a cache MUST NOT generate a stale response if prohibited by a
 * must-revalidate, proxy-revalidate (shared) or s-maxage (shared, 5.2.2.10)
 * directive, and not unless the client allows it (max-stale, 5.2.1.2).
 * 5.2.1.1 request max-age: "prefers a response whose age is less than or
 * equal to the specified number of seconds. Unless the max-stale request
 * directive is also present, the client does not wish to receive a stale
 * response."  5.2.1.3 min-fresh: "a response whose freshness lifetime is
 * no less than its current age plus the specified time".  5.2.1.4 and
 * 5.2.2.4 no-cache: not used without successful validation.
 * RFC 5861 3 stale-while-revalidate: "caches MAY serve the response in
 * which it appears after it becomes stale, up to the indicated number of
 * seconds"; 4 stale-if-error: on an error, stale up to the indicated
 * seconds, from the request or the response.
 */
static const struct use_case uses[] = {
    {"fresh", "max-age=60", "", 60, 10, CACHE_USE_FRESH, true},
    {"lifetime == age: stale", "max-age=60", "", 60, 60, CACHE_USE_VALIDATE,
     false},
    {"stale", "", "", 60, 61, CACHE_USE_VALIDATE, false},
    {"response no-cache, fresh", "no-cache", "", 60, 10, CACHE_USE_VALIDATE,
     true},
    {"response no-cache with names, fresh", "no-cache=\"set-cookie\"", "", 60,
     10, CACHE_USE_VALIDATE, true},
    {"request no-cache, fresh", "", "no-cache", 60, 10, CACHE_USE_VALIDATE,
     true},
    {"request max-age under age", "", "max-age=5", 60, 10, CACHE_USE_VALIDATE,
     true},
    {"request max-age == age", "", "max-age=10", 60, 10, CACHE_USE_FRESH, true},
    {"request max-age=0", "", "max-age=0", 60, 1, CACHE_USE_VALIDATE, true},
    {"request max-age invalid: 0", "", "max-age=x", 60, 1, CACHE_USE_VALIDATE,
     true},
    {"request min-fresh not met", "", "min-fresh=20", 60, 45,
     CACHE_USE_VALIDATE, true},
    {"request min-fresh met", "", "min-fresh=20", 60, 40, CACHE_USE_FRESH,
     true},
    {"request min-fresh, stale", "", "min-fresh=0, max-stale", 60, 70,
     CACHE_USE_VALIDATE, false},
    {"max-stale any", "", "max-stale", 60, 1000000, CACHE_USE_STALE, false},
    {"max-stale=10, 10 stale", "", "max-stale=10", 60, 70, CACHE_USE_STALE,
     false},
    {"max-stale=10, 11 stale", "", "max-stale=10", 60, 71, CACHE_USE_VALIDATE,
     false},
    {"max-stale with max-age", "", "max-age=80, max-stale=20", 60, 75,
     CACHE_USE_STALE, false},
    {"max-stale, max-age exceeded", "", "max-age=70, max-stale=20", 60, 75,
     CACHE_USE_VALIDATE, false},
    {"must-revalidate beats max-stale", "must-revalidate", "max-stale", 60, 61,
     CACHE_USE_VALIDATE, false},
    {"proxy-revalidate beats max-stale", "proxy-revalidate", "max-stale", 60,
     61, CACHE_USE_VALIDATE, false},
    {"s-maxage beats max-stale", "s-maxage=60", "max-stale", 60, 61,
     CACHE_USE_VALIDATE, false},
    {"must-revalidate, fresh", "must-revalidate", "", 60, 59, CACHE_USE_FRESH,
     false},
    {"swr window", "stale-while-revalidate=30", "", 60, 90, CACHE_USE_STALE_SWR,
     false},
    {"swr window passed", "stale-while-revalidate=30", "", 60, 91,
     CACHE_USE_VALIDATE, false},
    {"swr and must-revalidate", "stale-while-revalidate=30, must-revalidate",
     "", 60, 70, CACHE_USE_VALIDATE, false},
    {"swr and request no-cache", "stale-while-revalidate=30", "no-cache", 60,
     70, CACHE_USE_VALIDATE, false},
    {"max-stale before swr", "stale-while-revalidate=30", "max-stale", 60, 70,
     CACHE_USE_STALE, false},
    {"response sie", "stale-if-error=60", "", 60, 90, CACHE_USE_VALIDATE, true},
    {"response sie passed", "stale-if-error=60", "", 60, 121,
     CACHE_USE_VALIDATE, false},
    {"request sie wider", "stale-if-error=60", "stale-if-error=100", 60, 150,
     CACHE_USE_VALIDATE, true},
    {"request sie alone", "", "stale-if-error=100", 60, 150, CACHE_USE_VALIDATE,
     true},
    {"sie and must-revalidate", "stale-if-error=60, must-revalidate", "", 60,
     90, CACHE_USE_VALIDATE, false},
    {"sie and s-maxage", "stale-if-error=60, s-maxage=60", "", 60, 90,
     CACHE_USE_VALIDATE, false},
    {"saturated age, unbounded lifetime", "", "", CACHE_DELTA_MAX,
     CACHE_DELTA_MAX, CACHE_USE_VALIDATE, false},
};

Test(cache_fresh, use)
{
	size_t i;

	for (i = 0; i < sizeof(uses) / sizeof(uses[0]); i++) {
		const struct use_case *u = &uses[i];
		struct cache_resp_meta r;
		struct cache_cc req;
		enum cache_use got;
		bool sie;

		memset(&r, 0, sizeof(r));
		memset(&req, 0, sizeof(req));
		cache_cc_add(&r.cc, u->resp_cc, (uint32_t)strlen(u->resp_cc));
		cache_cc_add(&req, u->req_cc, (uint32_t)strlen(u->req_cc));
		got = cache_use_decide(&r, &req, u->lifetime, u->age);
		cr_expect_eq(got, u->use, "%s: %d, want %d", u->name, got,
		             u->use);
		sie = cache_stale_if_error_ok(&r, &req, u->lifetime, u->age);
		if (strstr(u->resp_cc, "stale-if-error") != NULL ||
		    strstr(u->req_cc, "stale-if-error") != NULL)
			cr_expect_eq(sie, u->sie_ok, "%s: sie %d", u->name,
			             sie);
		else
			cr_expect(!sie, "%s: sie without the directive",
			          u->name);
	}
}

/* ---- CDN-Cache-Control (RFC 9213) ---- */

#define CDN(v) "CDN-Cache-Control: " v "\r\n"

struct tgt_side {
	enum cache_nostore store; /* cache_storable() of a plain GET */
	uint32_t lifetime;
};

struct tgt_case {
	const char *name;
	const char *raw;
	struct tgt_side on;  /* a listener with cache-cdn-control on */
	struct tgt_side off; /* and one with it off: the field ignored */
	enum cache_use use;  /* on, at age 10, a request without directives */
};

#define ST CACHE_NS_STORED

/*
 * RFC 9213 2.1: a cache whose target list holds the field, meeting a
 * valid non-empty one, "MUST ignore the Cache-Control and Expires header
 * fields"; the directives mean what they mean in Cache-Control (max-age,
 * must-revalidate, no-store, no-cache, private required; s-maxage applies
 * to a shared cache); an invalid or empty field is ignored (2.2) and
 * Cache-Control decides.  A cache without it on its list ignores it.
 * 3.1's examples: "Cache-Control: no-store" with "CDN-Cache-Control:
 * max-age=600" is fresh 600 s for the CDN only; "none" lets CDNs store
 * what Cache-Control forbids others.
 */
static const struct tgt_case tgt[] = {
    {"3.1: no-store for others, 600 s for the CDN",
     OK CC("no-store") CDN("max-age=600") "\r\n",
     {ST, 600},
     {CACHE_NS_NO_STORE, 0},
     CACHE_USE_FRESH},
    {"3.1: CDN max-age over max-age and s-maxage",
     OK CC("max-age=60, s-maxage=120") CDN("max-age=600") "\r\n",
     {ST, 600},
     {ST, 120},
     CACHE_USE_FRESH},
    {"3.1: CDN \"none\" overrides no-store",
     OK DATE_T0 LM_7D CC("no-store") CDN("none") "\r\n",
     {ST, 60480},
     {CACHE_NS_NO_STORE, 60480},
     CACHE_USE_FRESH},
    {"CDN no-store over Cache-Control max-age",
     OK CC("max-age=600") CDN("no-store") "\r\n",
     {CACHE_NS_NO_STORE, 0},
     {ST, 600},
     CACHE_USE_VALIDATE},
    {"CDN private over Cache-Control public",
     OK CC("public, max-age=600") CDN("private") "\r\n",
     {CACHE_NS_PRIVATE, 0},
     {ST, 600},
     CACHE_USE_VALIDATE},
    {"CDN no-cache: validated though fresh",
     OK ETAG_V CC("max-age=600") CDN("max-age=600, no-cache") "\r\n",
     {ST, 600},
     {ST, 600},
     CACHE_USE_VALIDATE},
    {"CDN s-maxage over its max-age",
     OK CDN("max-age=600, s-maxage=30") "\r\n",
     {ST, 30},
     {CACHE_NS_UNUSABLE, 0},
     CACHE_USE_FRESH},
    {"CDN max-age=0 over Cache-Control max-age",
     OK ETAG_V CC("max-age=600") CDN("max-age=0") "\r\n",
     {ST, 0},
     {ST, 600},
     CACHE_USE_VALIDATE},
    {"Expires ignored with a CDN field",
     OK DATE_T0 EXP_1H LM_7D CDN("must-revalidate") "\r\n",
     {ST, 60480},
     {ST, 3600},
     CACHE_USE_FRESH},
    {"invalid CDN field: Cache-Control decides",
     OK CC("max-age=60") CDN("max-age=600,") "\r\n",
     {ST, 60},
     {ST, 60},
     CACHE_USE_FRESH},
    {"invalid CDN field, Cache-Control no-store",
     OK CC("no-store") CDN("Max-Age=600") "\r\n",
     {CACHE_NS_NO_STORE, 0},
     {CACHE_NS_NO_STORE, 0},
     CACHE_USE_VALIDATE},
    {"empty CDN field: Cache-Control decides",
     OK CC("max-age=60") CDN("") "\r\n",
     {ST, 60},
     {ST, 60},
     CACHE_USE_FRESH},
};

/* <t>'s response read by a listener with cache-cdn-control <cdn>: as
 * <want> says; its use decision (on only) returned. */
static enum cache_use
tgt_check(const struct tgt_case *t, const struct cache_resp_meta *r, bool cdn,
          const struct tgt_side *want)
{
	const struct cache_req_meta q = {.method = HTTP_M_GET};
	struct cache_resp_meta tmp;
	const struct cache_resp_meta *v = cache_resp_targeted(r, cdn, &tmp);
	enum cache_nostore why = cache_storable(&q, v, DAY);
	uint32_t lifetime = cache_lifetime(v, DAY);

	cr_expect_eq(why, want->store, "%s (%s): %s, want %s", t->name,
	             cdn ? "on" : "off", cache_nostore_name(why),
	             cache_nostore_name(want->store));
	cr_expect_eq(lifetime, want->lifetime, "%s (%s): lifetime %u, want %u",
	             t->name, cdn ? "on" : "off", lifetime, want->lifetime);
	return cache_use_decide(v, &(struct cache_cc){0}, lifetime, 10);
}

Test(cache_fresh, targeted)
{
	static struct http_msg msg;
	size_t i;

	for (i = 0; i < sizeof(tgt) / sizeof(tgt[0]); i++) {
		const struct tgt_case *t = &tgt[i];
		struct cache_resp_meta r;
		enum cache_use use;

		ct_parse_resp(&msg, t->raw);
		cache_resp_meta_parse(&r, &msg, t->raw, CT_T0);
		use = tgt_check(t, &r, true, &t->on);
		(void)tgt_check(t, &r, false, &t->off);
		if (t->on.store == ST)
			cr_expect_eq(use, t->use, "%s: use %d, want %d",
			             t->name, use, t->use);
	}
}

/* What the parse keeps: both directive sets, and which CDN field was
 * there; the targeted reading copies, it never changes the stored one. */
Test(cache_fresh, targeted_kept)
{
	static const char raw[] =
	    OK DATE_T0 EXP_1H CC("no-store") CDN("max-age=600") "\r\n";
	static const char bad[] = OK CC("max-age=5") CDN("max-age=600;") "\r\n";
	static struct http_msg msg;
	struct cache_resp_meta r, tmp;
	const struct cache_resp_meta *v;

	ct_parse_resp(&msg, raw);
	cache_resp_meta_parse(&r, &msg, raw, CT_T0);
	cr_expect(r.flags & CACHE_M_CDN_CC);
	cr_expect(r.cc.flags & CACHE_CC_NO_STORE);
	cr_expect_eq(r.cdn_cc.flags, CACHE_CC_MAX_AGE);
	v = cache_resp_targeted(&r, true, &tmp);
	cr_expect_eq(v, &tmp);
	cr_expect_eq(v->cc.max_age_s, 600);
	cr_expect_not(v->flags & CACHE_M_EXPIRES);
	cr_expect(r.flags & CACHE_M_EXPIRES, "the original is untouched");
	cr_expect(r.cc.flags & CACHE_CC_NO_STORE);
	cr_expect_eq(cache_resp_targeted(&r, false, &tmp), &r);

	ct_parse_resp(&msg, bad);
	cache_resp_meta_parse(&r, &msg, bad, CT_T0);
	cr_expect_eq(r.flags & (CACHE_M_CDN_CC | CACHE_M_CDN_CC_INVALID),
	             CACHE_M_CDN_CC_INVALID);
	cr_expect_eq(cache_resp_targeted(&r, true, &tmp), &r);
}
