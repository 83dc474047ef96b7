/*
 * Access log records: the single-producer single-consumer ring a worker
 * hands finished transactions to the logger thread through, the TSC to
 * wall-clock conversion the worker stamps them with, and the three line
 * formats (Squid native, NCSA combined, JSON) the logger writes.
 *
 * The ring uses free-running 32-bit head and tail indices (unsigned
 * differences stay right across wraparound because slots <= 2^20).  head
 * is written only by the producer with release order after it filled the
 * slot, and read by the consumer with acquire order; tail the other way
 * round.  Each side keeps a private copy of the other's index on its own
 * cache line so the shared line is touched only when the copy says the
 * ring looks full (producer) or empty (consumer).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/gh_common.h"
#include "log/alog.h"

#define ALOG_RING_MAGIC 0x616c6f67u /* "alog" */
#define ALOG_CACHE_LINE 64

struct alog_ring {
	/* Read-only after alog_ring_create(). */
	unsigned magic;
	uint32_t mask;
	struct alog_record *slots;

	/* The producer's line: it writes all three; the consumer reads head,
	 * anyone reads dropped. */
	_Alignas(ALOG_CACHE_LINE) uint32_t head; /* next slot to fill */
	uint32_t tail_seen; /* producer's last look at tail */
	uint64_t dropped;

	/* The consumer's line. */
	_Alignas(ALOG_CACHE_LINE) uint32_t tail; /* next slot to read */
	uint32_t head_seen; /* consumer's last look at head */
};

struct alog_ring *
alog_ring_create(uint32_t slots)
{
	struct alog_ring *r;
	size_t bytes;

	if (slots < 2 || slots > ALOG_RING_SLOTS_MAX ||
	    (slots & (slots - 1)) != 0) {
		errno = EINVAL;
		return NULL;
	}
	r = aligned_alloc(ALOG_CACHE_LINE, sizeof(*r));
	if (r == NULL)
		goto out_nomem;
	memset(r, 0, sizeof(*r));
	/* sizeof(struct alog_record) is a multiple of 8; round the size up
	 * to the alignment as C11 aligned_alloc() wants. */
	bytes = (size_t)slots * sizeof(struct alog_record);
	bytes = (bytes + ALOG_CACHE_LINE - 1) & ~(size_t)(ALOG_CACHE_LINE - 1);
	r->slots = aligned_alloc(ALOG_CACHE_LINE, bytes);
	if (r->slots == NULL)
		goto out_nomem;
	/* Touch every page now, not on the worker's fast path. */
	memset(r->slots, 0, bytes);
	r->mask = slots - 1;
	r->magic = ALOG_RING_MAGIC;
	return r;

out_nomem:
	free(r);
	errno = ENOMEM;
	return NULL;
}

void
alog_ring_destroy(struct alog_ring *r)
{
	if (r == NULL)
		return;
	GH_CHECK_OBJ(r, ALOG_RING_MAGIC);
	r->magic = 0;
	free(r->slots);
	free(r);
}

uint32_t
alog_ring_slots(const struct alog_ring *r)
{
	GH_CHECK_OBJ_NOTNULL(r, ALOG_RING_MAGIC);
	return r->mask + 1;
}

struct alog_record *
alog_ring_reserve(struct alog_ring *r)
{
	uint32_t head;

	GH_ASSERT(r->magic == ALOG_RING_MAGIC);
	head = r->head; /* ours: no other writer */
	if (GH_UNLIKELY(head - r->tail_seen > r->mask)) {
		/* Acquire: the consumer's reads of the slot we are about to
		 * overwrite happened before it moved tail past it. */
		r->tail_seen = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
		if (head - r->tail_seen > r->mask) {
			__atomic_store_n(&r->dropped, r->dropped + 1,
			                 __ATOMIC_RELAXED);
			return NULL;
		}
	}
	return &r->slots[head & r->mask];
}

void
alog_ring_commit(struct alog_ring *r)
{
	uint32_t head = r->head;

	GH_ASSERT(r->magic == ALOG_RING_MAGIC);
	/* A commit without a successful reserve would hand the consumer a
	 * slot it may still be reading. */
	GH_VERIFY(head - r->tail_seen <= r->mask);
	/* Release: the record's contents before the new head. */
	__atomic_store_n(&r->head, head + 1, __ATOMIC_RELEASE);
}

uint32_t
alog_ring_peek(struct alog_ring *r, const struct alog_record **recs,
               uint32_t max)
{
	uint32_t tail, avail, i;

	GH_ASSERT(r->magic == ALOG_RING_MAGIC);
	tail = r->tail; /* ours: no other writer */
	avail = r->head_seen - tail;
	if (avail < max) {
		r->head_seen = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
		avail = r->head_seen - tail;
	}
	GH_VERIFY(avail <= r->mask + 1);
	if (avail > max)
		avail = max;
	for (i = 0; i < avail; i++)
		recs[i] = &r->slots[(tail + i) & r->mask];
	return avail;
}

void
alog_ring_release(struct alog_ring *r, uint32_t n)
{
	uint32_t tail = r->tail;

	GH_ASSERT(r->magic == ALOG_RING_MAGIC);
	GH_VERIFY(n <= r->head_seen - tail);
	/* Release: our reads of the records before the producer may reuse
	 * their slots. */
	__atomic_store_n(&r->tail, tail + n, __ATOMIC_RELEASE);
}

uint64_t
alog_ring_dropped(const struct alog_ring *r)
{
	GH_ASSERT(r->magic == ALOG_RING_MAGIC);
	return __atomic_load_n(&r->dropped, __ATOMIC_RELAXED);
}

void
alog_record_reset(struct alog_record *rec)
{
	memset(rec, 0, offsetof(struct alog_record, method));
	rec->method[0] = '\0';
	rec->url[0] = '\0';
	rec->ctype[0] = '\0';
	rec->referer[0] = '\0';
	rec->user_agent[0] = '\0';
	rec->user[0] = '\0';
	rec->peer[0] = '\0';
}

uint32_t
alog_field_set(char *dst, uint32_t cap, const char *s, uint32_t len)
{
	GH_VERIFY(cap >= 1);
	if (s == NULL)
		len = 0;
	if (len > cap - 1)
		len = cap - 1;
	if (len > 0)
		memcpy(dst, s, len);
	dst[len] = '\0';
	return len;
}

/* ---- clock ---------------------------------------------------------- */

void
alog_clock_init(struct alog_clock *clk, uint64_t now_tsc, uint64_t tsc_hz)
{
	struct timespec ts;

	GH_VERIFY(tsc_hz > 0);
	GH_AZ(clock_gettime(CLOCK_REALTIME, &ts));
	clk->base_tsc = now_tsc;
	clk->base_us =
	    (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
	clk->tsc_hz = tsc_hz;
	clk->us_per_tsc_int = 1000000u / tsc_hz;
	/* Rounded up, so whole seconds come out exact and the result is at
	 * most 1 us above the exact quotient, never below it. */
	clk->us_per_tsc_frac =
	    (uint64_t)((((unsigned __int128)(1000000u % tsc_hz) << 64) +
	                tsc_hz - 1) /
	               tsc_hz);
}

/* <ticks> TSC ticks in microseconds: the exact quotient or 1 more. */
static inline uint64_t
alog_clock_ticks_us(const struct alog_clock *clk, uint64_t ticks)
{
	return ticks * clk->us_per_tsc_int +
	       (uint64_t)(((unsigned __int128)ticks * clk->us_per_tsc_frac) >>
	                  64);
}

uint64_t
alog_clock_us(const struct alog_clock *clk, uint64_t tsc)
{
	if (GH_LIKELY(tsc >= clk->base_tsc))
		return clk->base_us +
		       alog_clock_ticks_us(clk, tsc - clk->base_tsc);
	return clk->base_us - alog_clock_ticks_us(clk, clk->base_tsc - tsc);
}

/* ---- formats -------------------------------------------------------- */

/*
 * Output budgets of the variable fields, in output bytes after escaping.
 * Each is at least the field's raw capacity, so plain ASCII is never cut;
 * only heavily escaped input is.  With the fixed parts (at most ~420 bytes
 * in JSON, the longest) every line fits ALOG_LINE_MAX - 1; the unit tests
 * format worst-case records to prove it.
 */
#define ALOG_BUDGET_METHOD     96
#define ALOG_BUDGET_URL        1024
#define ALOG_BUDGET_CTYPE      192 /* squid: 63 bytes * 3 */
#define ALOG_BUDGET_CTYPE_JSON 96
#define ALOG_BUDGET_HDR        200 /* Referer, User-Agent */
/* lib/auth's user names need no escaping: this is their length */
#define ALOG_BUDGET_USER 64

struct alog_out {
	char *p;
	size_t len;
	size_t cap; /* room for the line; one more byte holds the NUL */
	bool full;
};

static const char alog_hex[] = "0123456789ABCDEF";

static inline void
out_bytes(struct alog_out *o, const char *s, size_t n)
{
	if (o->full || n > o->cap - o->len) {
		o->full = true;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static inline void
out_str(struct alog_out *o, const char *s)
{
	out_bytes(o, s, strlen(s));
}

static inline void
out_char(struct alog_out *o, char c)
{
	out_bytes(o, &c, 1);
}

/* <v> in decimal, left-padded with <pad> to at least <width> chars. */
static void
out_uint(struct alog_out *o, uint64_t v, unsigned width, char pad)
{
	char tmp[24];
	unsigned n = 0;

	do {
		tmp[sizeof(tmp) - 1 - n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	while (n < width && n < sizeof(tmp))
		tmp[sizeof(tmp) - 1 - n++] = pad;
	out_bytes(o, tmp + sizeof(tmp) - n, n);
}

/* An address in network byte order, dotted quad. */
static void
out_ipv4(struct alog_out *o, uint32_t ip_be)
{
	const uint8_t *b = (const uint8_t *)&ip_be;
	unsigned i;

	for (i = 0; i < 4; i++) {
		if (i > 0)
			out_char(o, '.');
		out_uint(o, b[i], 0, ' ');
	}
}

/* The NUL-terminated string in a field of <cap> bytes, never past it. */
static inline size_t
field_len(const char *s, size_t cap)
{
	return strnlen(s, cap);
}

/* How a text format escapes a byte of a field. */
enum field_esc {
	ESC_SQUID = 0,    /* %HH for SP, controls, DEL and >= 0x80 (Squid) */
	ESC_COMBINED = 1, /* \xHH for '"', '\\', controls, DEL and >= 0x80
	                     (nginx) */
};

/* A field of <cap> bytes, escaped as <esc>, at most <budget> bytes of
 * output ("-" when empty); an escape is never cut in two. */
static void
out_text_field(struct alog_out *o, const char *s, size_t cap, size_t budget,
               enum field_esc esc)
{
	size_t n = field_len(s, cap), i, used = 0;

	if (n == 0) {
		out_char(o, '-');
		return;
	}
	for (i = 0; i < n; i++) {
		uint8_t c = (uint8_t)s[i];
		bool escape = esc == ESC_SQUID ? c <= 0x20 || c >= 0x7f
		                               : c < 0x20 || c >= 0x7f ||
		                                     c == '"' || c == '\\';

		if (escape) {
			char e[4] = {'\\', 'x', alog_hex[c >> 4],
			             alog_hex[c & 15]};
			size_t k = esc == ESC_SQUID ? 3 : 4;

			if (used + k > budget)
				break;
			if (esc == ESC_SQUID)
				e[1] = '%';
			out_bytes(o, e + 4 - k, k);
			used += k;
		} else {
			if (used + 1 > budget)
				break;
			out_char(o, (char)c);
			used++;
		}
	}
}

/* Squid: percent-encode what would break the space-separated line. */
static void
out_squid_field(struct alog_out *o, const char *s, size_t cap, size_t budget)
{
	out_text_field(o, s, cap, budget, ESC_SQUID);
}

/* Combined: nginx's escaping of '"', '\\' and non-printable bytes. */
static void
out_combined_field(struct alog_out *o, const char *s, size_t cap, size_t budget)
{
	out_text_field(o, s, cap, budget, ESC_COMBINED);
}

/*
 * Length of the well-formed UTF-8 sequence at s[0 .. n) that starts with a
 * byte >= 0x80, or 0 if it is not one (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF).
 */
static size_t
utf8_seq_len(const uint8_t *s, size_t n)
{
	uint8_t c = s[0], lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

/* JSON: a quoted string, RFC 8259 escapes, always valid UTF-8. */
static void
out_json_str(struct alog_out *o, const char *str, size_t cap, size_t budget)
{
	const uint8_t *s = (const uint8_t *)str;
	size_t n = field_len(str, cap), i = 0, used = 0;

	out_char(o, '"');
	while (i < n) {
		uint8_t c = s[i];
		size_t u = 0;

		if (c == '"' || c == '\\') {
			char e[2] = {'\\', (char)c};

			if (used + 2 > budget)
				break;
			out_bytes(o, e, 2);
			used += 2;
			i++;
			continue;
		}
		if (c >= 0x80)
			u = utf8_seq_len(s + i, n - i);
		if (c < 0x20 || c == 0x7f || (c >= 0x80 && u == 0)) {
			char e[6] = {'\\',
			             'u',
			             '0',
			             '0',
			             alog_hex[c >> 4],
			             alog_hex[c & 15]};

			if (used + 6 > budget)
				break;
			out_bytes(o, e, 6);
			used += 6;
			i++;
			continue;
		}
		if (u == 0)
			u = 1;
		if (used + u > budget)
			break;
		out_bytes(o, (const char *)s + i, u);
		used += u;
		i += u;
	}
	out_char(o, '"');
}

static const char *const alog_result_names[] = {
    [ALOG_NONE] = "NONE",
    [ALOG_TCP_MISS] = "TCP_MISS",
    [ALOG_TCP_TUNNEL] = "TCP_TUNNEL",
    [ALOG_TCP_DENIED] = "TCP_DENIED",
    [ALOG_TCP_HIT] = "TCP_HIT",
    [ALOG_TAG_NONE] = "TAG_NONE",
    [ALOG_TCP_MEM_HIT] = "TCP_MEM_HIT",
    [ALOG_TCP_REFRESH_UNMODIFIED] = "TCP_REFRESH_UNMODIFIED",
    [ALOG_TCP_REFRESH_MODIFIED] = "TCP_REFRESH_MODIFIED",
    [ALOG_TCP_REFRESH_FAIL_OLD] = "TCP_REFRESH_FAIL_OLD",
    [ALOG_TCP_REFRESH_FAIL_ERR] = "TCP_REFRESH_FAIL_ERR",
    [ALOG_TCP_INM_HIT] = "TCP_INM_HIT",
    [ALOG_TCP_IMS_HIT] = "TCP_IMS_HIT",
    [ALOG_TCP_STALE_HIT] = "TCP_STALE_HIT",
};

static const char *
result_name(uint8_t result)
{
	if (result >= GH_ARRAY_SIZE(alog_result_names))
		return "NONE";
	return alog_result_names[result];
}

static bool
hier_direct(const struct alog_record *rec)
{
	return rec->hier == ALOG_HIER_DIRECT;
}

/* Broken-down UTC time (Howard Hinnant's days_from_civil, inverted). */
struct alog_tm {
	uint64_t year;
	unsigned mon; /* 1 .. 12 */
	unsigned mday, hour, min, sec, ms;
};

static void
alog_utc(uint64_t time_us, struct alog_tm *tm)
{
	uint64_t secs = time_us / 1000000u;
	uint64_t days = secs / 86400u, sod = secs % 86400u;
	uint64_t z = days + 719468u, era = z / 146097u;
	uint64_t doe = z - era * 146097u;
	uint64_t yoe =
	    (doe - doe / 1460u + doe / 36524u - doe / 146096u) / 365u;
	uint64_t doy = doe - (365u * yoe + yoe / 4u - yoe / 100u);
	uint64_t mp = (5u * doy + 2u) / 153u;

	tm->mday = (unsigned)(doy - (153u * mp + 2u) / 5u + 1u);
	tm->mon = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	tm->year = yoe + era * 400u + (tm->mon <= 2);
	tm->hour = (unsigned)(sod / 3600u);
	tm->min = (unsigned)(sod / 60u % 60u);
	tm->sec = (unsigned)(sod % 60u);
	tm->ms = (unsigned)(time_us / 1000u % 1000u);
}

/* Room for the access-rule field: "rule:4294967295" and the longest
 * tag. */
#define ALOG_ACL_TOKEN_MAX 32

const char *
alog_acl_token(const struct alog_record *rec, char *buf, size_t cap)
{
	if (cap == 0)
		return "";
	if (rec->acl_tag != NULL)
		snprintf(buf, cap, "%s", rec->acl_tag);
	else if (rec->acl_line != 0)
		snprintf(buf, cap, "rule:%u", (unsigned)rec->acl_line);
	else
		snprintf(buf, cap, "-");
	return buf;
}

static void
out_squid(struct alog_out *o, const struct alog_record *rec)
{
	char acl[ALOG_ACL_TOKEN_MAX];

	out_uint(o, rec->time_us / 1000000u, 0, ' ');
	out_char(o, '.');
	out_uint(o, rec->time_us / 1000u % 1000u, 3, '0');
	out_char(o, ' ');
	out_uint(o, rec->elapsed_ms, 6, ' ');
	out_char(o, ' ');
	out_ipv4(o, rec->client_ip_be);
	out_char(o, ' ');
	out_str(o, result_name(rec->result));
	out_char(o, '/');
	out_uint(o, rec->status, 3, '0');
	out_char(o, ' ');
	out_uint(o, rec->bytes_to_client, 0, ' ');
	out_char(o, ' ');
	out_squid_field(o, rec->method, sizeof(rec->method),
	                ALOG_BUDGET_METHOD);
	out_char(o, ' ');
	out_squid_field(o, rec->url, sizeof(rec->url), ALOG_BUDGET_URL);
	out_char(o, ' ');
	out_squid_field(o, rec->user, sizeof(rec->user), ALOG_BUDGET_USER);
	out_char(o, ' ');
	if (hier_direct(rec)) {
		out_str(o, "HIER_DIRECT/");
		if (rec->server_ip_be != 0)
			out_ipv4(o, rec->server_ip_be);
		else
			out_char(o, '-');
	} else if (rec->hier == ALOG_HIER_PARENT) {
		out_str(o, "FIRST_UP_PARENT/");
		out_squid_field(o, rec->peer, sizeof(rec->peer),
		                ALOG_PEER_MAX - 1);
	} else {
		out_str(o, "HIER_NONE/-");
	}
	out_char(o, ' ');
	out_squid_field(o, rec->ctype, sizeof(rec->ctype), ALOG_BUDGET_CTYPE);
	out_char(o, ' '); /* an 11th field: the deciding access rule */
	out_str(o, alog_acl_token(rec, acl, sizeof(acl)));
	out_char(o, '\n');
}

static const char alog_months[12][4] = {"Jan", "Feb", "Mar", "Apr",
                                        "May", "Jun", "Jul", "Aug",
                                        "Sep", "Oct", "Nov", "Dec"};

static void
out_combined(struct alog_out *o, const struct alog_record *rec)
{
	char acl[ALOG_ACL_TOKEN_MAX];
	struct alog_tm tm;

	alog_utc(rec->time_us, &tm);
	out_ipv4(o, rec->client_ip_be);
	out_str(o, " - ");
	out_combined_field(o, rec->user, sizeof(rec->user), ALOG_BUDGET_USER);
	out_str(o, " [");
	out_uint(o, tm.mday, 2, '0');
	out_char(o, '/');
	out_str(o, alog_months[tm.mon - 1]);
	out_char(o, '/');
	out_uint(o, tm.year, 4, '0');
	out_char(o, ':');
	out_uint(o, tm.hour, 2, '0');
	out_char(o, ':');
	out_uint(o, tm.min, 2, '0');
	out_char(o, ':');
	out_uint(o, tm.sec, 2, '0');
	out_str(o, " +0000] \"");
	out_combined_field(o, rec->method, sizeof(rec->method),
	                   ALOG_BUDGET_METHOD);
	out_char(o, ' ');
	out_combined_field(o, rec->url, sizeof(rec->url), ALOG_BUDGET_URL);
	out_str(o, " HTTP/1.");
	out_uint(o, rec->version_minor, 0, ' ');
	out_str(o, "\" ");
	out_uint(o, rec->status, 3, '0');
	out_char(o, ' ');
	out_uint(o, rec->bytes_to_client, 0, ' ');
	out_str(o, " \"");
	out_combined_field(o, rec->referer, sizeof(rec->referer),
	                   ALOG_BUDGET_HDR);
	out_str(o, "\" \"");
	out_combined_field(o, rec->user_agent, sizeof(rec->user_agent),
	                   ALOG_BUDGET_HDR);
	out_str(o, "\" "); /* an extra field: the deciding access rule */
	out_str(o, alog_acl_token(rec, acl, sizeof(acl)));
	out_char(o, '\n');
}

static void
out_json(struct alog_out *o, const struct alog_record *rec)
{
	char acl[ALOG_ACL_TOKEN_MAX];
	struct alog_tm tm;

	alog_utc(rec->time_us, &tm);
	out_str(o, "{\"time\":\"");
	out_uint(o, tm.year, 4, '0');
	out_char(o, '-');
	out_uint(o, tm.mon, 2, '0');
	out_char(o, '-');
	out_uint(o, tm.mday, 2, '0');
	out_char(o, 'T');
	out_uint(o, tm.hour, 2, '0');
	out_char(o, ':');
	out_uint(o, tm.min, 2, '0');
	out_char(o, ':');
	out_uint(o, tm.sec, 2, '0');
	out_char(o, '.');
	out_uint(o, tm.ms, 3, '0');
	out_str(o, "Z\",\"elapsed_ms\":");
	out_uint(o, rec->elapsed_ms, 0, ' ');
	out_str(o, ",\"client\":\"");
	out_ipv4(o, rec->client_ip_be);
	out_str(o, "\",\"client_port\":");
	out_uint(o, ntohs(rec->client_port_be), 0, ' ');
	out_str(o, ",\"user\":");
	out_json_str(o, rec->user, sizeof(rec->user), ALOG_BUDGET_USER);
	out_str(o, ",\"result\":\"");
	out_str(o, result_name(rec->result));
	out_str(o, "\",\"status\":");
	out_uint(o, rec->status, 0, ' ');
	out_str(o, ",\"bytes\":");
	out_uint(o, rec->bytes_to_client, 0, ' ');
	out_str(o, ",\"bytes_in\":");
	out_uint(o, rec->bytes_from_client, 0, ' ');
	out_str(o, ",\"method\":");
	out_json_str(o, rec->method, sizeof(rec->method), ALOG_BUDGET_METHOD);
	out_str(o, ",\"url\":");
	out_json_str(o, rec->url, sizeof(rec->url), ALOG_BUDGET_URL);
	out_str(o, ",\"hierarchy\":\"");
	out_str(o, hier_direct(rec)                ? "HIER_DIRECT"
	           : rec->hier == ALOG_HIER_PARENT ? "FIRST_UP_PARENT"
	                                           : "HIER_NONE");
	out_str(o, "\",\"server\":\"");
	if (hier_direct(rec) && rec->server_ip_be != 0)
		out_ipv4(o, rec->server_ip_be);
	out_str(o, "\"");
	if (rec->hier == ALOG_HIER_PARENT) {
		out_str(o, ",\"peer\":");
		out_json_str(o, rec->peer, sizeof(rec->peer),
		             ALOG_PEER_MAX - 1);
	}
	out_str(o, ",\"content_type\":");
	out_json_str(o, rec->ctype, sizeof(rec->ctype), ALOG_BUDGET_CTYPE_JSON);
	out_str(o, ",\"referer\":");
	out_json_str(o, rec->referer, sizeof(rec->referer), ALOG_BUDGET_HDR);
	out_str(o, ",\"user_agent\":");
	out_json_str(o, rec->user_agent, sizeof(rec->user_agent),
	             ALOG_BUDGET_HDR);
	out_str(o, ",\"version\":\"HTTP/1.");
	out_uint(o, rec->version_minor, 0, ' ');
	/* the deciding access rule: its line (null: none) and the token */
	out_str(o, "\",\"rule\":");
	if (rec->acl_line != 0)
		out_uint(o, rec->acl_line, 0, ' ');
	else
		out_str(o, "null");
	out_str(o, ",\"acl\":\"");
	if (rec->acl_line != 0 || rec->acl_tag != NULL)
		out_str(o, alog_acl_token(rec, acl, sizeof(acl)));
	out_str(o, "\"}\n");
}

size_t
alog_format(const struct alog_record *rec, enum alog_fmt fmt, char *buf,
            size_t cap)
{
	struct alog_out o;

	if (buf == NULL || cap == 0)
		return 0;
	o.p = buf;
	o.len = 0;
	/* One byte for the NUL; never more than a line may be long. */
	o.cap = (cap < ALOG_LINE_MAX ? cap : ALOG_LINE_MAX) - 1;
	o.full = false;
	switch (fmt) {
	case ALOG_FMT_SQUID:
		out_squid(&o, rec);
		break;
	case ALOG_FMT_COMBINED:
		out_combined(&o, rec);
		break;
	case ALOG_FMT_JSON:
		out_json(&o, rec);
		break;
	default:
		o.full = true;
		break;
	}
	if (o.full) {
		buf[0] = '\0';
		return 0;
	}
	buf[o.len] = '\0';
	return o.len;
}

static const char *const alog_fmt_names[] = {
    [ALOG_FMT_SQUID] = "squid",
    [ALOG_FMT_COMBINED] = "combined",
    [ALOG_FMT_JSON] = "json",
};

int
alog_fmt_parse(const char *name, enum alog_fmt *fmt)
{
	unsigned i;

	if (name == NULL)
		return -EINVAL;
	for (i = 0; i < GH_ARRAY_SIZE(alog_fmt_names); i++) {
		if (strcmp(name, alog_fmt_names[i]) == 0) {
			*fmt = (enum alog_fmt)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *
alog_fmt_name(enum alog_fmt fmt)
{
	if ((unsigned)fmt >= GH_ARRAY_SIZE(alog_fmt_names))
		return "?";
	return alog_fmt_names[fmt];
}
