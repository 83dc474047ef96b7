/*
 * libFuzzer harness of lib/cache's policy core (cache_policy.h), the
 * parsers an origin or a client feeds: Cache-Control, HTTP-date, and the
 * whole response head read by cache_resp_meta_parse().  Input: one control
 * byte, then the text.
 *   byte 0: bits 0-1 the heuristic cap (0, 60, 86400, 2^31), bits 2-7 a
 *           number of seconds the response is aged by;
 *   the rest: read as one Cache-Control field value, as one HTTP-date, and
 *           as a response head (lib/http), each from a heap buffer of
 *           exactly its length (ASan sees any read past it).
 * Checked: struct cache_cc's values are in range and only delta-seconds
 * directives are marked dup; an accepted IMF-fixdate formats back to the
 * same text (gmtime_r); a parsed response gives a lifetime and an age in
 * range, a storability reason in range, a decision in range, and matches
 * itself under its own Vary unless that Vary can never match.  Its
 * CDN-Cache-Control (RFC 9213, an RFC 8941 Dictionary) is valid or not,
 * never both, never dup (a later key replaces), all zero when not valid;
 * read in its place, the same ranges hold.
 * A broken contract aborts (GH_VERIFY), which libFuzzer reports as a crash.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cache/cache_policy.h"
#include "common/gh_common.h"
#include "http/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define T0 784111777 /* Sun, 06 Nov 1994 08:49:37 GMT */

static const uint32_t caps[4] = {0, 60, 86400, CACHE_DELTA_MAX};

static const uint32_t cc_deltas = CACHE_CC_MAX_AGE | CACHE_CC_S_MAXAGE |
                                  CACHE_CC_MAX_STALE | CACHE_CC_MIN_FRESH |
                                  CACHE_CC_SWR | CACHE_CC_SIE;

static void
check_cc(const struct cache_cc *cc)
{
	GH_VERIFY((cc->dup & ~cc_deltas) == 0);
	GH_VERIFY((cc->dup & ~cc->flags) == 0);
	GH_VERIFY(cc->max_age_s <= CACHE_DELTA_MAX);
	GH_VERIFY(cc->s_maxage_s <= CACHE_DELTA_MAX);
	GH_VERIFY(cc->max_stale_s <= CACHE_DELTA_MAX);
	GH_VERIFY(cc->min_fresh_s <= CACHE_DELTA_MAX);
	GH_VERIFY(cc->swr_s <= CACHE_DELTA_MAX);
	GH_VERIFY(cc->sie_s <= CACHE_DELTA_MAX);
}

/* An accepted IMF-fixdate (not a leap second) prints back the same after
 * its day name. */
static void
check_date(const char *p, uint32_t n, int rc, int64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;
	char out[64];

	GH_VERIFY(rc == 0 || rc == -EINVAL);
	if (rc != 0 || n != 29 || p[3] != ',' || memcmp(p + 23, "60", 2) == 0)
		return;
	GH_VERIFY(gmtime_r(&tt, &tm) != NULL);
	if (tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 1000)
		return; /* strftime's %Y is not 4 digits there */
	GH_VERIFY(strftime(out, sizeof(out), "%d %b %Y %H:%M:%S GMT", &tm) ==
	          24);
	GH_VERIFY(memcmp(out, p + 5, 24) == 0);
}

/* The pieces of the proxy's variant keys: canonical Vary names ('\n'
 * after each, lower case, no ':'), refused exactly when the Vary can never
 * match; each field's joined value no longer than the value, no LF. */
static void
check_vary_key_parts(const struct http_msg *msg, const char *b,
                     const struct cache_resp_meta *r)
{
	static char out[4096];
	unsigned i;
	int k, j;

	k = cache_vary_names(msg, b, out, sizeof(out));
	GH_VERIFY((k == -EINVAL) == ((r->flags & CACHE_M_VARY_NEVER) != 0));
	GH_VERIFY(k == -EINVAL || k == -ENOSPC || k >= 0);
	GH_VERIFY(k <= 0 || out[k - 1] == '\n');
	for (j = 0; j < k; j++)
		GH_VERIFY(out[j] != ':' && !(out[j] >= 'A' && out[j] <= 'Z'));
	for (i = 0; i < msg->n_headers; i++) {
		const struct http_header *h = &msg->hdr[i];

		k = cache_list_join(b + h->value.off, h->value.len, out,
		                    sizeof(out));
		GH_VERIFY(k == -ENOSPC || k == -EINVAL ||
		          (k >= 0 && (uint32_t)k <= h->value.len));
		GH_VERIFY(k <= 0 || memchr(out, '\n', (size_t)k) == NULL);
	}
}

/* The targeted reading (RFC 9213) of <r>: the same contracts. */
static void
check_targeted(const struct cache_resp_meta *r, uint32_t cap, uint32_t aged)
{
	const struct cache_req_meta q = {.method = HTTP_M_GET};
	const struct cache_cc none = {0};
	const uint16_t both = CACHE_M_CDN_CC | CACHE_M_CDN_CC_INVALID;
	struct cache_resp_meta tmp;
	const struct cache_resp_meta *v;
	uint32_t life, age;

	GH_VERIFY((r->flags & both) != both);
	check_cc(&r->cdn_cc);
	GH_VERIFY(r->cdn_cc.dup == 0);
	if (!(r->flags & CACHE_M_CDN_CC)) {
		GH_VERIFY(r->cdn_cc.flags == 0 && r->cdn_cc.invalid == 0);
		GH_VERIFY(cache_resp_targeted(r, true, &tmp) == r);
		return;
	}
	v = cache_resp_targeted(r, true, &tmp);
	GH_VERIFY(v == &tmp && !(v->flags & CACHE_M_EXPIRES));
	GH_VERIFY(memcmp(&v->cc, &r->cdn_cc, sizeof(v->cc)) == 0);
	life = cache_lifetime(v, cap);
	GH_VERIFY(life <= CACHE_DELTA_MAX);
	age = cache_current_age(v, T0 - 1, T0, T0 + aged);
	GH_VERIFY((unsigned)cache_storable(&q, v, cap) < CACHE_NS__COUNT);
	GH_VERIFY(cache_use_decide(v, &none, life, age) <= CACHE_USE_VALIDATE);
}

static void
check_head(const char *b, uint32_t n, uint32_t cap, uint32_t aged)
{
	static struct http_msg msg;
	struct http_limits lim;
	struct cache_resp_meta r;
	struct cache_req_meta q;
	struct cache_cc none;
	enum cache_nostore why;
	enum cache_use use;
	uint32_t life, age;
	unsigned i;

	http_limits_default(&lim);
	http_msg_init(&msg, false, HTTP_M_GET);
	if (http_parse_head(&msg, b, n, &lim) != HTTP_OK)
		return;
	cache_resp_meta_parse(&r, &msg, b, T0);
	check_cc(&r.cc);
	GH_VERIFY(r.age_s <= CACHE_DELTA_MAX);
	life = cache_lifetime(&r, cap);
	GH_VERIFY(life <= CACHE_DELTA_MAX);
	age = cache_current_age(&r, T0 - 1, T0, T0 + aged);
	GH_VERIFY(age <= CACHE_DELTA_MAX);

	memset(&q, 0, sizeof(q));
	q.method = HTTP_M_GET;
	why = cache_storable(&q, &r, cap);
	GH_VERIFY((unsigned)why < CACHE_NS__COUNT);
	GH_VERIFY(cache_nostore_name(why)[0] != '?');

	memset(&none, 0, sizeof(none));
	use = cache_use_decide(&r, &none, life, age);
	GH_VERIFY(use <= CACHE_USE_VALIDATE);
	if (life > age && !(r.cc.flags & CACHE_CC_NO_CACHE))
		GH_VERIFY(use == CACHE_USE_FRESH);
	(void)cache_stale_if_error_ok(&r, &r.cc, life, age);

	/* the head's own fields, taken as both requests' */
	GH_VERIFY(cache_vary_match(&msg, b, &msg, b, &msg, b) ==
	          !(r.flags & CACHE_M_VARY_NEVER));
	for (i = 0; i < msg.n_headers; i++)
		(void)cache_hdr_never_stored(&msg, b, i);
	check_vary_key_parts(&msg, b, &r);
	check_targeted(&r, cap, aged);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cache_cc cc;
	uint32_t n, cap, aged;
	int64_t t = 0;
	char *b;
	int rc;

	if (size < 1 || size > 65536)
		return 0;
	cap = caps[data[0] & 3];
	aged = (uint32_t)(data[0] >> 2) * 1000u;
	n = (uint32_t)size - 1;
	b = malloc(n > 0 ? n : 1);
	GH_VERIFY(b != NULL);
	memcpy(b, data + 1, n);

	memset(&cc, 0, sizeof(cc));
	cache_cc_add(&cc, b, n);
	check_cc(&cc);

	rc = cache_date_parse(b, n, T0, &t);
	check_date(b, n, rc, t);

	check_head(b, n, cap, aged);
	free(b);
	return 0;
}
