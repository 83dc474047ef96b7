/*
 * lib/log: the SPSC ring (full, drops, wraparound, order, a producer and a
 * consumer thread moving a million records), the three line formats
 * against exact expected lines, escaping and truncation, and the TSC to
 * wall-clock conversion.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "log/alog.h"

TestSuite(alog);

/* ---- ring ----------------------------------------------------------- */

static void
push_seq(struct alog_ring *r, uint64_t seq)
{
	struct alog_record *rec = alog_ring_reserve(r);

	cr_assert_not_null(rec, "ring full at seq %lu", (unsigned long)seq);
	alog_record_reset(rec);
	rec->time_us = seq;
	alog_ring_commit(r);
}

Test(alog, create_rejects_bad_sizes)
{
	uint32_t bad[] = {0, 1, 3, 6, 1000, ALOG_RING_SLOTS_MAX * 2};
	unsigned i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		cr_assert_null(alog_ring_create(bad[i]), "slots %u", bad[i]);
		cr_assert_eq(errno, EINVAL);
	}
	alog_ring_destroy(NULL);
}

Test(alog, full_ring_drops_and_counts)
{
	struct alog_ring *r = alog_ring_create(4);
	const struct alog_record *recs[8];
	uint32_t n, i;

	cr_assert_not_null(r);
	cr_assert_eq(alog_ring_slots(r), 4);
	cr_assert_eq(alog_ring_peek(r, recs, 8), 0);
	for (i = 0; i < 4; i++)
		push_seq(r, 100 + i);
	cr_assert_null(alog_ring_reserve(r));
	cr_assert_null(alog_ring_reserve(r));
	cr_assert_eq(alog_ring_dropped(r), 2);

	n = alog_ring_peek(r, recs, 8);
	cr_assert_eq(n, 4);
	for (i = 0; i < n; i++)
		cr_assert_eq(recs[i]->time_us, 100 + i);
	/* Still full until released. */
	cr_assert_null(alog_ring_reserve(r));
	cr_assert_eq(alog_ring_dropped(r), 3);
	alog_ring_release(r, 2);
	push_seq(r, 104);
	push_seq(r, 105);
	cr_assert_null(alog_ring_reserve(r));
	cr_assert_eq(alog_ring_dropped(r), 4);

	n = alog_ring_peek(r, recs, 8);
	cr_assert_eq(n, 4);
	for (i = 0; i < n; i++)
		cr_assert_eq(recs[i]->time_us, 102 + i);
	alog_ring_release(r, n);
	cr_assert_eq(alog_ring_peek(r, recs, 8), 0);
	alog_ring_destroy(r);
}

Test(alog, reserve_twice_gives_the_same_slot)
{
	struct alog_ring *r = alog_ring_create(2);
	struct alog_record *a = alog_ring_reserve(r);

	cr_assert_eq(alog_ring_reserve(r), a);
	alog_ring_commit(r);
	cr_assert_neq(alog_ring_reserve(r), a);
	alog_ring_destroy(r);
}

Test(alog, wraparound_keeps_order)
{
	struct alog_ring *r = alog_ring_create(8);
	const struct alog_record *recs[8];
	uint64_t next_in = 0, next_out = 0;
	unsigned round, i;

	/* 5 in, 3 out, then drain: the indices wrap many times over. */
	for (round = 0; round < 1000; round++) {
		uint32_t n;

		for (i = 0; i < 5; i++)
			push_seq(r, next_in++);
		n = alog_ring_peek(r, recs, round % 2 ? 3 : 8);
		for (i = 0; i < n; i++)
			cr_assert_eq(recs[i]->time_us, next_out++);
		alog_ring_release(r, n);
	}
	cr_assert_eq(next_in, 5000);
	cr_assert_geq(next_out, 4998);
	cr_assert_eq(alog_ring_dropped(r), 0);
	alog_ring_destroy(r);
}

Test(alog, peek_returns_at_most_max_and_release_partial)
{
	struct alog_ring *r = alog_ring_create(16);
	const struct alog_record *recs[16];
	unsigned i;

	for (i = 0; i < 10; i++)
		push_seq(r, i);
	cr_assert_eq(alog_ring_peek(r, recs, 3), 3);
	cr_assert_eq(recs[2]->time_us, 2);
	alog_ring_release(r, 1);
	cr_assert_eq(alog_ring_peek(r, recs, 16), 9);
	cr_assert_eq(recs[0]->time_us, 1);
	cr_assert_eq(recs[8]->time_us, 9);
	alog_ring_release(r, 9);
	alog_ring_destroy(r);
}

Test(alog, commit_without_reserve_on_full_ring_aborts, .signal = SIGABRT)
{
	struct alog_ring *r = alog_ring_create(2);

	push_seq(r, 0);
	push_seq(r, 1);
	cr_assert_null(alog_ring_reserve(r));
	alog_ring_commit(r); /* GH_VERIFY */
}

Test(alog, release_more_than_peeked_aborts, .signal = SIGABRT)
{
	struct alog_ring *r = alog_ring_create(4);
	const struct alog_record *recs[4];

	push_seq(r, 0);
	cr_assert_eq(alog_ring_peek(r, recs, 4), 1);
	alog_ring_release(r, 2); /* GH_VERIFY */
}

#define SPSC_RECORDS 1000000u

struct spsc {
	struct alog_ring *r;
	uint64_t full_seen; /* producer's NULL reserves */
	uint64_t bad;       /* consumer: records out of sequence */
	uint64_t got;
};

static void *
spsc_producer(void *arg)
{
	struct spsc *t = arg;
	uint64_t seq;

	for (seq = 0; seq < SPSC_RECORDS; seq++) {
		struct alog_record *rec;

		while ((rec = alog_ring_reserve(t->r)) == NULL) {
			t->full_seen++;
			sched_yield();
		}
		alog_record_reset(rec);
		rec->time_us = seq;
		rec->elapsed_ms = (uint32_t)(seq * 7);
		rec->url[0] = (char)('a' + seq % 26);
		rec->url[1] = '\0';
		alog_ring_commit(t->r);
	}
	return NULL;
}

static void *
spsc_consumer(void *arg)
{
	struct spsc *t = arg;
	const struct alog_record *recs[32];

	while (t->got < SPSC_RECORDS) {
		uint32_t n = alog_ring_peek(t->r, recs, 32), i;

		if (n == 0) {
			sched_yield();
			continue;
		}
		for (i = 0; i < n; i++) {
			uint64_t want = t->got + i;

			if (recs[i]->time_us != want ||
			    recs[i]->elapsed_ms != (uint32_t)(want * 7) ||
			    recs[i]->url[0] != (char)('a' + want % 26))
				t->bad++;
		}
		alog_ring_release(t->r, n);
		t->got += n;
	}
	return NULL;
}

Test(alog, two_threads_move_a_million_records_in_order, .timeout = 60)
{
	struct spsc t = {.r = alog_ring_create(1024)};
	const struct alog_record *recs[1];
	pthread_t p, c;

	cr_assert_not_null(t.r);
	cr_assert_eq(pthread_create(&c, NULL, spsc_consumer, &t), 0);
	cr_assert_eq(pthread_create(&p, NULL, spsc_producer, &t), 0);
	pthread_join(p, NULL);
	pthread_join(c, NULL);
	cr_assert_eq(t.got, SPSC_RECORDS);
	cr_assert_eq(t.bad, 0, "%lu records out of sequence",
	             (unsigned long)t.bad);
	/* Every refusal is a counted drop, and nothing else is. */
	cr_assert_eq(alog_ring_dropped(t.r), t.full_seen);
	cr_assert_eq(alog_ring_peek(t.r, recs, 1), 0);
	alog_ring_destroy(t.r);
}

/* ---- fields --------------------------------------------------------- */

Test(alog, field_set_truncates_and_terminates)
{
	char f[8];

	memset(f, 'x', sizeof(f));
	cr_assert_eq(alog_field_set(f, sizeof(f), "abc", 3), 3);
	cr_assert_str_eq(f, "abc");
	cr_assert_eq(alog_field_set(f, sizeof(f), "0123456789", 10), 7);
	cr_assert_str_eq(f, "0123456");
	cr_assert_eq(alog_field_set(f, sizeof(f), NULL, 5), 0);
	cr_assert_str_eq(f, "");
	cr_assert_eq(alog_field_set(f, 1, "abc", 3), 0);
	cr_assert_str_eq(f, "");
}

Test(alog, fmt_parse_and_name)
{
	enum alog_fmt f = ALOG_FMT_JSON;

	cr_assert_eq(alog_fmt_parse("squid", &f), 0);
	cr_assert_eq(f, ALOG_FMT_SQUID);
	cr_assert_eq(alog_fmt_parse("combined", &f), 0);
	cr_assert_eq(f, ALOG_FMT_COMBINED);
	cr_assert_eq(alog_fmt_parse("json", &f), 0);
	cr_assert_eq(f, ALOG_FMT_JSON);
	cr_assert_eq(alog_fmt_parse("JSON", &f), -EINVAL);
	cr_assert_eq(alog_fmt_parse("", &f), -EINVAL);
	cr_assert_eq(alog_fmt_parse(NULL, &f), -EINVAL);
	cr_assert_eq(f, ALOG_FMT_JSON);
	cr_assert_str_eq(alog_fmt_name(ALOG_FMT_SQUID), "squid");
	cr_assert_str_eq(alog_fmt_name(ALOG_FMT_COMBINED), "combined");
	cr_assert_str_eq(alog_fmt_name(ALOG_FMT_JSON), "json");
	cr_assert_str_eq(alog_fmt_name((enum alog_fmt)7), "?");
}

/* ---- formats -------------------------------------------------------- */

static uint32_t
ip(const char *s)
{
	struct in_addr a;

	cr_assert_eq(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

static void
set(char *dst, size_t cap, const char *s)
{
	alog_field_set(dst, (uint32_t)cap, s, (uint32_t)strlen(s));
}

#define SET(rec, field, s) set((rec)->field, sizeof((rec)->field), s)

/* 2024-11-23T12:00:00.123456Z, a GET fetched from the origin. */
static void
miss_record(struct alog_record *rec)
{
	memset(rec, 0x5a, sizeof(*rec)); /* stale bytes past the NULs */
	alog_record_reset(rec);
	rec->time_us = 1732363200123456ull;
	rec->elapsed_ms = 45;
	rec->client_ip_be = ip("198.18.1.2");
	rec->client_port_be = htons(40000);
	rec->status = 200;
	rec->server_ip_be = ip("198.19.1.2");
	rec->bytes_to_client = 1234;
	rec->bytes_from_client = 87;
	rec->result = ALOG_TCP_MISS;
	rec->hier = ALOG_HIER_DIRECT;
	rec->version_minor = 1;
	SET(rec, method, "GET");
	SET(rec, url, "http://origin.lab.test/1k.bin");
	SET(rec, ctype, "text/html");
	SET(rec, user_agent, "curl/8.5.0");
	rec->acl_line = 72; /* allowed by the rule at line 72 */
}

static const char *
fmt(const struct alog_record *rec, enum alog_fmt f)
{
	static char line[ALOG_LINE_MAX];
	size_t n = alog_format(rec, f, line, sizeof(line));

	cr_assert_gt(n, 0);
	cr_assert_lt(n, ALOG_LINE_MAX);
	cr_assert_eq(strlen(line), n);
	cr_assert_eq(line[n - 1], '\n');
	cr_assert_null(memchr(line, '\n', n - 1), "one line: %s", line);
	return line;
}

Test(alog, squid_line)
{
	struct alog_record rec;

	miss_record(&rec);
	cr_assert_str_eq(fmt(&rec, ALOG_FMT_SQUID),
	                 "1732363200.123     45 198.18.1.2 TCP_MISS/200 1234 "
	                 "GET http://origin.lab.test/1k.bin - "
	                 "HIER_DIRECT/198.19.1.2 text/html rule:72\n");
}

Test(alog, squid_line_of_a_refusal_and_of_nothing)
{
	struct alog_record rec;

	miss_record(&rec);
	rec.result = ALOG_TCP_DENIED;
	rec.status = 403;
	rec.hier = ALOG_HIER_NONE;
	rec.server_ip_be = 0;
	rec.ctype[0] = '\0';
	rec.elapsed_ms = 1234567;
	rec.acl_line = 0;
	rec.acl_tag = "builtin:loopback";
	cr_assert_str_eq(fmt(&rec, ALOG_FMT_SQUID),
	                 "1732363200.123 1234567 198.18.1.2 TCP_DENIED/403 "
	                 "1234 GET http://origin.lab.test/1k.bin - "
	                 "HIER_NONE/- - builtin:loopback\n");

	alog_record_reset(&rec);
	rec.time_us = 5000; /* 0.005 s */
	cr_assert_str_eq(fmt(&rec, ALOG_FMT_SQUID),
	                 "0.005      0 0.0.0.0 NONE/000 0 - - - HIER_NONE/- "
	                 "- -\n");
	rec.result = ALOG_TAG_NONE;
	rec.status = 400;
	cr_assert_str_eq(fmt(&rec, ALOG_FMT_SQUID),
	                 "0.005      0 0.0.0.0 TAG_NONE/400 0 - - - "
	                 "HIER_NONE/- - -\n");
	rec.result = ALOG_TCP_TUNNEL;
	rec.hier = ALOG_HIER_DIRECT;
	rec.server_ip_be = ip("10.0.0.1");
	SET(&rec, method, "CONNECT");
	SET(&rec, url, "origin.lab.test:443");
	cr_assert_str_eq(fmt(&rec, ALOG_FMT_SQUID),
	                 "0.005      0 0.0.0.0 TCP_TUNNEL/400 0 CONNECT "
	                 "origin.lab.test:443 - HIER_DIRECT/10.0.0.1 - -\n");
	rec.result = ALOG_TCP_HIT;
	cr_assert_not_null(strstr(fmt(&rec, ALOG_FMT_SQUID), " TCP_HIT/400 "));
	rec.result = 99; /* unknown: printed as NONE, never out of bounds */
	cr_assert_not_null(strstr(fmt(&rec, ALOG_FMT_SQUID), " NONE/400 "));
}

Test(alog, squid_escapes_what_would_split_the_line)
{
	struct alog_record rec;

	miss_record(&rec);
	SET(&rec, url, "http://o/a b\tc%20\x7f\xc3\xa9\"");
	SET(&rec, ctype, "text/html; charset=utf-8");
	cr_assert_str_eq(fmt(&rec, ALOG_FMT_SQUID),
	                 "1732363200.123     45 198.18.1.2 TCP_MISS/200 1234 "
	                 "GET http://o/a%20b%09c%20%7F%C3%A9\" - "
	                 "HIER_DIRECT/198.19.1.2 text/html;%20charset=utf-8 "
	                 "rule:72\n");
}

/* Issue 13 item 3: the verified user in Squid's %un, combined's %u and
 * JSON's "user"; "-" (or "") without one. */
Test(alog, user_in_every_format)
{
	struct alog_record rec;

	miss_record(&rec);
	SET(&rec, user, "alice@lab");
	cr_assert_not_null(strstr(fmt(&rec, ALOG_FMT_SQUID),
	                          " http://origin.lab.test/1k.bin alice@lab "
	                          "HIER_DIRECT/"));
	cr_assert_not_null(
	    strstr(fmt(&rec, ALOG_FMT_COMBINED), "198.18.1.2 - alice@lab ["));
	cr_assert_not_null(
	    strstr(fmt(&rec, ALOG_FMT_JSON), ",\"user\":\"alice@lab\","));
	rec.user[0] = '\0';
	cr_assert_not_null(
	    strstr(fmt(&rec, ALOG_FMT_SQUID), "1k.bin - HIER_DIRECT/"));
	cr_assert_not_null(
	    strstr(fmt(&rec, ALOG_FMT_COMBINED), "198.18.1.2 - - ["));
}

Test(alog, combined_line)
{
	struct alog_record rec;

	miss_record(&rec);
	cr_assert_str_eq(fmt(&rec, ALOG_FMT_COMBINED),
	                 "198.18.1.2 - - [23/Nov/2024:12:00:00 +0000] \"GET "
	                 "http://origin.lab.test/1k.bin HTTP/1.1\" 200 1234 "
	                 "\"-\" \"curl/8.5.0\" rule:72\n");
	SET(&rec, referer, "http://r.test/");
	rec.version_minor = 0;
	rec.status = 0;
	cr_assert_str_eq(fmt(&rec, ALOG_FMT_COMBINED),
	                 "198.18.1.2 - - [23/Nov/2024:12:00:00 +0000] \"GET "
	                 "http://origin.lab.test/1k.bin HTTP/1.0\" 000 1234 "
	                 "\"http://r.test/\" \"curl/8.5.0\" rule:72\n");
}

Test(alog, combined_escapes_like_nginx)
{
	struct alog_record rec;

	miss_record(&rec);
	SET(&rec, user_agent, "a\"b\\c\x01\n\x7f\xff ok");
	SET(&rec, referer, "\"");
	cr_assert_str_eq(
	    fmt(&rec, ALOG_FMT_COMBINED),
	    "198.18.1.2 - - [23/Nov/2024:12:00:00 +0000] \"GET "
	    "http://origin.lab.test/1k.bin HTTP/1.1\" 200 1234 "
	    "\"\\x22\" \"a\\x22b\\x5Cc\\x01\\x0A\\x7F\\xFF ok\" rule:72\n");
}

Test(alog, combined_dates)
{
	struct alog_record rec;

	alog_record_reset(&rec);
	rec.time_us = 951782400ull * 1000000u; /* leap day 2000 */
	cr_assert_not_null(strstr(fmt(&rec, ALOG_FMT_COMBINED),
	                          "[29/Feb/2000:00:00:00 +0000]"));
	rec.time_us = 4107542399ull * 1000000u + 999999u;
	cr_assert_not_null(strstr(fmt(&rec, ALOG_FMT_COMBINED),
	                          "[28/Feb/2100:23:59:59 +0000]"));
	rec.time_us = 0;
	cr_assert_not_null(strstr(fmt(&rec, ALOG_FMT_COMBINED),
	                          "[01/Jan/1970:00:00:00 +0000]"));
}

Test(alog, dates_agree_with_gmtime)
{
	struct alog_record rec;
	uint64_t t;

	alog_record_reset(&rec);
	/* Every ~3.7 days from 1970 to 2200. */
	for (t = 0; t < 7258118400ull; t += 321987) {
		time_t tt = (time_t)t;
		struct tm tm;
		char want[32];

		gmtime_r(&tt, &tm);
		strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%S", &tm);
		rec.time_us = t * 1000000u;
		cr_assert_not_null(strstr(fmt(&rec, ALOG_FMT_JSON), want),
		                   "t=%lu want %s", (unsigned long)t, want);
	}
}

Test(alog, json_line)
{
	struct alog_record rec;

	miss_record(&rec);
	cr_assert_str_eq(
	    fmt(&rec, ALOG_FMT_JSON),
	    "{\"time\":\"2024-11-23T12:00:00.123Z\",\"elapsed_ms\":45,"
	    "\"client\":\"198.18.1.2\",\"client_port\":40000,\"user\":\"\","
	    "\"result\":\"TCP_MISS\",\"status\":200,\"bytes\":1234,"
	    "\"bytes_in\":87,\"method\":\"GET\","
	    "\"url\":\"http://origin.lab.test/1k.bin\","
	    "\"hierarchy\":\"HIER_DIRECT\",\"server\":\"198.19.1.2\","
	    "\"content_type\":\"text/html\",\"referer\":\"\","
	    "\"user_agent\":\"curl/8.5.0\",\"version\":\"HTTP/1.1\","
	    "\"rule\":72,\"acl\":\"rule:72\"}\n");
	alog_record_reset(&rec);
	cr_assert_str_eq(
	    fmt(&rec, ALOG_FMT_JSON),
	    "{\"time\":\"1970-01-01T00:00:00.000Z\",\"elapsed_ms\":0,"
	    "\"client\":\"0.0.0.0\",\"client_port\":0,\"user\":\"\","
	    "\"result\":\"NONE\",\"status\":0,\"bytes\":0,"
	    "\"bytes_in\":0,\"method\":\"\",\"url\":\"\","
	    "\"hierarchy\":\"HIER_NONE\",\"server\":\"\","
	    "\"content_type\":\"\",\"referer\":\"\","
	    "\"user_agent\":\"\",\"version\":\"HTTP/1.0\","
	    "\"rule\":null,\"acl\":\"\"}\n");
	rec.acl_tag = "implicit:allow-src";
	cr_assert_not_null(
	    strstr(fmt(&rec, ALOG_FMT_JSON),
	           ",\"rule\":null,\"acl\":\"implicit:allow-src\"}"));
}

Test(alog, json_escapes_and_keeps_utf8_valid)
{
	struct alog_record rec;
	const char *line;

	miss_record(&rec);
	/* quote, backslash, controls, DEL, valid UTF-8 (é, €, 😀), then
	 * invalid: lone continuation, overlong, surrogate, cut sequence */
	SET(&rec, user_agent,
	    "\"\\\x01\n\x1f\x7f\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
	    "\x80\xc0\xaf\xed\xa0\x80\xe2\x82");
	line = fmt(&rec, ALOG_FMT_JSON);
	cr_assert_not_null(
	    strstr(line, "\"user_agent\":\"\\\"\\\\\\u0001\\u000A\\u001F"
	                 "\\u007F\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
	                 "\\u0080\\u00C0\\u00AF\\u00ED\\u00A0\\u0080"
	                 "\\u00E2\\u0082\","),
	    "%s", line);
}

/* Every string field full, every byte in need of the longest escape. */
static void
worst_record(struct alog_record *rec, char c)
{
	alog_record_reset(rec);
	rec->time_us = UINT64_MAX;
	rec->elapsed_ms = UINT32_MAX;
	rec->client_ip_be = UINT32_MAX;
	rec->client_port_be = UINT16_MAX;
	rec->status = UINT16_MAX;
	rec->server_ip_be = UINT32_MAX;
	rec->bytes_to_client = UINT64_MAX;
	rec->bytes_from_client = UINT64_MAX;
	rec->result = ALOG_TCP_TUNNEL;
	rec->hier = ALOG_HIER_DIRECT;
	rec->version_minor = UINT8_MAX;
	memset(rec->method, c, sizeof(rec->method) - 1);
	memset(rec->url, c, sizeof(rec->url) - 1);
	memset(rec->ctype, c, sizeof(rec->ctype) - 1);
	memset(rec->referer, c, sizeof(rec->referer) - 1);
	memset(rec->user_agent, c, sizeof(rec->user_agent) - 1);
	rec->method[sizeof(rec->method) - 1] = '\0';
	rec->url[sizeof(rec->url) - 1] = '\0';
	rec->ctype[sizeof(rec->ctype) - 1] = '\0';
	rec->referer[sizeof(rec->referer) - 1] = '\0';
	rec->user_agent[sizeof(rec->user_agent) - 1] = '\0';
	memset(rec->user, c, sizeof(rec->user) - 1);
	rec->user[sizeof(rec->user) - 1] = '\0';
	rec->acl_tag = "implicit:allow-private-dst"; /* the longest */
}

Test(alog, worst_case_records_fit_a_line)
{
	const char worst[] = {'\x01', '"', '\xff', ' ', 'a'};
	enum alog_fmt f;
	unsigned i;

	for (i = 0; i < sizeof(worst); i++) {
		for (f = ALOG_FMT_SQUID; f <= ALOG_FMT_JSON; f++) {
			struct alog_record rec;
			const char *line;

			worst_record(&rec, worst[i]);
			line = fmt(&rec, f);
			cr_assert_lt(strlen(line), ALOG_LINE_MAX);
			/* whole: the last field and the line end are there */
			cr_assert_eq(line[strlen(line) - 1], '\n');
			if (f == ALOG_FMT_JSON)
				cr_assert_not_null(
				    strstr(line,
				           "\"version\":\"HTTP/1.255\","
				           "\"rule\":null,\"acl\":"
				           "\"implicit:allow-private-dst\"}"),
				    "%s", line);
			else
				cr_assert_not_null(
				    strstr(line,
				           " implicit:allow-private-dst\n"),
				    "%s", line);
		}
	}
}

Test(alog, unterminated_fields_are_bounded)
{
	struct alog_record rec;
	const char *line;

	miss_record(&rec);
	memset(rec.url, 'u', sizeof(rec.url)); /* no NUL at all */
	memset(rec.method, 'M', sizeof(rec.method));
	line = fmt(&rec, ALOG_FMT_SQUID);
	cr_assert_not_null(strstr(line, " MMMMMMMMMMMMMMMM uuuu"));
	cr_assert_null(strstr(line, "MMMMMMMMMMMMMMMMM"));
	cr_assert_lt(strlen(line), ALOG_LINE_MAX);
}

Test(alog, long_escaped_url_is_cut_between_escapes)
{
	struct alog_record rec;
	const char *line, *u, *end;

	miss_record(&rec);
	memset(rec.url, '"', sizeof(rec.url) - 1);
	rec.url[sizeof(rec.url) - 1] = '\0';
	/* combined: 511 * 4 bytes do not fit the URL's 1024: 256 escapes */
	line = fmt(&rec, ALOG_FMT_COMBINED);
	u = strstr(line, "\"GET ") + 5;
	end = strstr(u, " HTTP/1.1\"");
	cr_assert_not_null(end);
	cr_assert_eq(end - u, 1024);
	cr_assert_eq(strncmp(end - 4, "\\x22", 4), 0);
	/* json: \" is 2 bytes, 511 * 2 = 1022 fit whole */
	line = fmt(&rec, ALOG_FMT_JSON);
	u = strstr(line, "\"url\":\"") + 7;
	end = strstr(u, "\",\"hierarchy\"");
	cr_assert_not_null(end);
	cr_assert_eq(end - u, 1022);
	/* control bytes: \u0001 is 6 bytes, 170 of them fit 1024 */
	memset(rec.url, 1, sizeof(rec.url) - 1);
	line = fmt(&rec, ALOG_FMT_JSON);
	u = strstr(line, "\"url\":\"") + 7;
	end = strstr(u, "\",\"hierarchy\"");
	cr_assert_eq(end - u, 170 * 6);
}

Test(alog, small_buffer_gives_zero)
{
	struct alog_record rec;
	char buf[64];

	miss_record(&rec);
	memset(buf, 'x', sizeof(buf));
	cr_assert_eq(alog_format(&rec, ALOG_FMT_SQUID, buf, sizeof(buf)), 0);
	cr_assert_eq(buf[0], '\0');
	cr_assert_eq(alog_format(&rec, ALOG_FMT_SQUID, buf, 0), 0);
	cr_assert_eq(alog_format(&rec, (enum alog_fmt)9, buf, sizeof(buf)), 0);
}

/* ---- clock ---------------------------------------------------------- */

static uint64_t
exact_us(uint64_t ticks, uint64_t hz)
{
	return (uint64_t)((unsigned __int128)ticks * 1000000u / hz);
}

Test(alog, clock_starts_at_realtime)
{
	struct alog_clock clk;
	struct timespec ts;
	uint64_t now_us, us;

	clock_gettime(CLOCK_REALTIME, &ts);
	now_us = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000;
	alog_clock_init(&clk, 123456789, 2500000000ull);
	us = alog_clock_us(&clk, 123456789);
	cr_assert_geq(us, now_us);
	cr_assert_lt(us - now_us, 1000000u);
	cr_assert_eq(alog_clock_us(&clk, 123456789 + 2500000000ull),
	             us + 1000000u);
	cr_assert_eq(alog_clock_us(&clk, 123456789 + 2500), us + 1);
	/* A TSC read just before the base (another core) counts back. */
	cr_assert_eq(alog_clock_us(&clk, 123456789 - 2500000), us - 1000);
}

Test(alog, clock_conversion_over_long_uptimes)
{
	const uint64_t hzs[] = {1000000ull,    2099999999ull, 2500000000ull,
	                        3000000007ull, 3700000000ull, 1000ull,
	                        999999937ull};
	const uint64_t days = 86400ull;
	unsigned h;

	for (h = 0; h < sizeof(hzs) / sizeof(hzs[0]); h++) {
		uint64_t hz = hzs[h], secs;
		struct alog_clock clk;

		alog_clock_init(&clk, 0, hz);
		clk.base_us = 0; /* compare the elapsed part only */
		for (secs = 1; secs < 3650 * days; secs = secs * 3 + 7) {
			uint64_t ticks = secs * hz + hz / 3;
			uint64_t want = exact_us(ticks, hz);
			uint64_t got = alog_clock_us(&clk, ticks);

			cr_assert(got == want || got == want + 1,
			          "hz %lu ticks %lu: %lu != %lu",
			          (unsigned long)hz, (unsigned long)ticks,
			          (unsigned long)got, (unsigned long)want);
		}
	}
}
