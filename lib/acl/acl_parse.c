/*
 * The values of ACL elements, from config text to the builder's arrays:
 * IPv4 CIDRs, ports and ranges, domains, names (method, scheme, user,
 * group), URL prefixes and regexes, time specs and header matches.  Every
 * refusal names the value, e.g. "bad CIDR '10.0.0.0/33'".
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "acl_priv.h"

const char *
acl_token(const char **p, size_t *len)
{
	const char *s = *p + strspn(*p, " \t");
	const char *t = s;

	if (*s == '\0')
		return NULL;
	while (*s != '\0' && *s != ' ' && *s != '\t')
		s++;
	*len = (size_t)(s - t);
	*p = s;
	return t;
}

/* The builder's push failed: errno says why. */
static int
acl_push_err(struct acl_err *err)
{
	int rc = errno == E2BIG ? -E2BIG : -ENOMEM;

	if (err != NULL)
		snprintf(err->msg, sizeof(err->msg), "%s",
		         rc == -E2BIG ? "too many values in one acl"
		                      : "out of memory");
	return rc;
}

/* <s>/<len> into <e>'s blob: 0 and <*off>, or the error. */
static int
acl_blob_put(struct acl_belem *e, const char *s, size_t len, uint32_t *off,
             struct acl_err *err)
{
	int64_t o = acl_belem_blob(e, s, len);

	if (o < 0) {
		errno = (int)-o;
		return acl_push_err(err);
	}
	*off = (uint32_t)o;
	return 0;
}

/* Decimal <s> of <len> digits (1-5, no sign) into <*v>; false if not. */
static bool
acl_dec(const char *s, size_t len, unsigned long max, unsigned long *v)
{
	unsigned long x = 0;

	if (len == 0 || len > 5)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		x = x * 10 + (unsigned long)(s[i] - '0');
	}
	if (x > max)
		return false;
	*v = x;
	return true;
}

static int
acl_parse_cidr(struct acl_belem *e, const char *tok, size_t len,
               struct acl_err *err)
{
	char addr[INET_ADDRSTRLEN];
	const char *slash = memchr(tok, '/', len);
	size_t alen = slash ? (size_t)(slash - tok) : len;
	unsigned long plen = 32;
	struct in_addr in;

	if (alen == 0 || alen >= sizeof(addr))
		return acl_errf(err, -EINVAL, "bad CIDR", tok, len, "");
	memcpy(addr, tok, alen);
	addr[alen] = '\0';
	if (inet_pton(AF_INET, addr, &in) != 1)
		return acl_errf(err, -EINVAL, "bad CIDR", tok, len, "");
	if (slash != NULL && !acl_dec(slash + 1, len - alen - 1, 32, &plen))
		return acl_errf(err, -EINVAL, "bad CIDR", tok, len, "");
	uint32_t a = ntohl(in.s_addr);
	uint32_t host = plen == 32 ? 0 : (plen == 0 ? ~0u : ~0u >> plen);

	if (a & host)
		return acl_errf(err, -EINVAL, "bad CIDR", tok, len,
		                ": bits set past the prefix length");
	struct acl_r32 *r = acl_belem_push(e);

	if (r == NULL)
		return acl_push_err(err);
	r->lo = a;
	r->hi = a | host;
	r->tag = 0;
	return 0;
}

static int
acl_parse_port(struct acl_belem *e, const char *tok, size_t len,
               struct acl_err *err)
{
	const char *dash = memchr(tok, '-', len);
	unsigned long lo, hi;

	if (dash == NULL) {
		if (!acl_dec(tok, len, 65535, &lo) || lo == 0)
			return acl_errf(err, -EINVAL, "bad port", tok, len, "");
		hi = lo;
	} else {
		size_t l1 = (size_t)(dash - tok);

		if (!acl_dec(tok, l1, 65535, &lo) || lo == 0 ||
		    !acl_dec(dash + 1, len - l1 - 1, 65535, &hi) || hi < lo)
			return acl_errf(err, -EINVAL, "bad port range", tok,
			                len, "");
	}
	struct acl_r32 *r = acl_belem_push(e);

	if (r == NULL)
		return acl_push_err(err);
	r->lo = (uint32_t)lo;
	r->hi = (uint32_t)hi;
	r->tag = 0;
	return 0;
}

/*
 * "example.com" (that host only) or ".example.com" (it and every name
 * below), case-insensitive, one trailing dot ignored.  Labels are 1-63 of
 * letters, digits, '-' and '_'; the whole at most ACL_HOST_MAX_BYTES.
 */
static int
acl_parse_domain(struct acl_belem *e, const char *tok, size_t len,
                 struct acl_err *err)
{
	char low[ACL_HOST_MAX_BYTES + 2];
	const char *p = tok;
	size_t n = len;
	uint8_t flags = ACL_DOM_EXACT;

	if (n > 0 && p[0] == '.') {
		flags = ACL_DOM_SUFFIX;
		p++;
		n--;
	}
	if (n > 0 && p[n - 1] == '.')
		n--;
	if (n == 0 || n > ACL_HOST_MAX_BYTES)
		return acl_errf(err, -EINVAL, "bad domain", tok, len, "");
	size_t label = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '.') {
			if (label == 0)
				return acl_errf(err, -EINVAL, "bad domain", tok,
				                len, ": empty label");
			label = 0;
		} else if (isalnum(c) || c == '-' || c == '_') {
			if (++label > 63)
				return acl_errf(err, -EINVAL, "bad domain", tok,
				                len, ": label over 63");
		} else {
			return acl_errf(err, -EINVAL, "bad domain", tok, len,
			                "");
		}
		low[i] = (char)tolower(c);
	}
	uint32_t off;
	int rc = acl_blob_put(e, low, n, &off, err);

	if (rc < 0)
		return rc;
	struct acl_dom *d = acl_belem_push(e);

	if (d == NULL)
		return acl_push_err(err);
	d->off = off;
	d->len = (uint16_t)n;
	d->flags = flags;
	return 0;
}

/* RFC 9110 tchar. */
static bool
acl_tchar(unsigned char c)
{
	return isalnum(c) || (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* Method (a token), scheme (RFC 3986, stored lower case) or a name. */
static int
acl_parse_name(struct acl_belem *e, const char *tok, size_t len,
               struct acl_err *err)
{
	char low[ACL_NAME_ARG_MAX_BYTES];

	if (e->kind == ACL_KIND_METHOD || e->kind == ACL_KIND_SCHEME) {
		const char *what =
		    e->kind == ACL_KIND_METHOD ? "bad method" : "bad scheme";

		if (len > ACL_NAME_ARG_MAX_BYTES)
			return acl_errf(err, -EINVAL, what, tok, len, "");
		for (size_t i = 0; i < len; i++) {
			unsigned char c = (unsigned char)tok[i];
			bool ok = e->kind == ACL_KIND_METHOD
			              ? acl_tchar(c)
			              : isalpha(c) ||
			                    (i > 0 &&
			                     (isdigit(c) || strchr("+-.", c)));

			if (!ok)
				return acl_errf(err, -EINVAL, what, tok, len,
				                "");
			low[i] = e->kind == ACL_KIND_SCHEME ? (char)tolower(c)
			                                    : (char)c;
		}
		tok = low;
	}
	uint32_t off;
	int rc = acl_blob_put(e, tok, len, &off, err);

	if (rc < 0)
		return rc;
	struct acl_sref *s = acl_belem_push(e);

	if (s == NULL)
		return acl_push_err(err);
	s->off = off;
	s->len = (uint32_t)len;
	return 0;
}

static int
acl_parse_regex(struct acl_belem *e, const char *tok, size_t len, bool icase,
                uint32_t name_off, uint32_t name_len, struct acl_err *err)
{
	pcre2_code *code;
	int rc = acl_rx_compile(tok, len, icase, &code, err);

	if (rc < 0)
		return rc;
	struct acl_rx *rx = acl_belem_push(e);

	if (rx == NULL) {
		pcre2_code_free(code);
		return acl_push_err(err);
	}
	rx->code = code;
	rx->name_off = name_off;
	rx->name_len = name_len;
	return 0;
}

int
acl_parse_value(struct acl_belem *e, const char *tok, size_t len, bool icase,
                struct acl_err *err)
{
	switch (e->kind) {
	case ACL_KIND_SRC:
	case ACL_KIND_DST:
		return acl_parse_cidr(e, tok, len, err);
	case ACL_KIND_PORT:
		return acl_parse_port(e, tok, len, err);
	case ACL_KIND_DSTDOMAIN:
		return acl_parse_domain(e, tok, len, err);
	case ACL_KIND_URL_REGEX:
		return acl_parse_regex(e, tok, len, icase, 0, 0, err);
	case ACL_KIND_METHOD:
	case ACL_KIND_SCHEME:
	case ACL_KIND_USER:
	case ACL_KIND_GROUP:
	case ACL_KIND_URL_PREFIX:
		return acl_parse_name(e, tok, len, err);
	default:
		return acl_errf(err, -EINVAL, "no values for kind",
		                acl_kind_name(e->kind),
		                strlen(acl_kind_name(e->kind)), "");
	}
}

/* "HH:MM" (HH 00-23, or 24:00 when <end>) into minutes; -1 if bad. */
static int
acl_hhmm(const char *s, size_t len, bool end)
{
	unsigned long h, m;

	if (len != 5 || s[2] != ':' || !acl_dec(s, 2, 24, &h) ||
	    !acl_dec(s + 3, 2, 59, &m))
		return -1;
	if (h == 24 && (!end || m != 0))
		return -1;
	return (int)(h * 60 + m);
}

static void
acl_week_set(uint64_t *week, unsigned from, unsigned to)
{
	for (unsigned m = from; m < to; m++)
		week[m / 64] |= 1ull << (m % 64);
}

/* Sets minutes [s, e) of each day in <days>; e <= s runs past midnight. */
static void
acl_week_window(uint64_t *week, unsigned days, unsigned s, unsigned e)
{
	for (unsigned d = 0; d < 7; d++) {
		if (!(days & (1u << d)))
			continue;
		if (e > s) {
			acl_week_set(week, d * 1440 + s, d * 1440 + e);
		} else {
			unsigned next = (d + 1) % 7;

			acl_week_set(week, d * 1440 + s, d * 1440 + 1440);
			acl_week_set(week, next * 1440, next * 1440 + e);
		}
	}
}

/* Squid's day letters: S M T W H F A, D for Monday to Friday. */
static int
acl_days(const char *t, size_t len, unsigned *days)
{
	static const char letters[] = "SMTWHFA";

	for (size_t i = 0; i < len; i++) {
		const char *l = strchr(letters, t[i]);

		if (t[i] == 'D')
			*days |= 0x3eu;
		else if (t[i] != '\0' && l != NULL)
			*days |= 1u << (l - letters);
		else
			return -1;
	}
	return 0;
}

/* Squid's time spec, "[DAYS] [HH:MM-HH:MM ...]": all days, all day. */
int
acl_parse_time(struct acl_belem *e, const char *text, struct acl_err *err)
{
	unsigned days = 0, windows = 0;
	int ws[8], we[8];
	const char *p = text;

	const char *t;
	size_t len;

	while ((t = acl_token(&p, &len)) != NULL) {
		if (len == 11 && t[5] == '-') {
			if (windows == GH_ARRAY_SIZE(ws))
				return acl_errf(err, -E2BIG,
				                "too many windows in", text,
				                strlen(text), "");
			ws[windows] = acl_hhmm(t, 5, false);
			we[windows] = acl_hhmm(t + 6, 5, true);
			if (ws[windows] < 0 || we[windows] < 0 ||
			    ws[windows] == we[windows])
				return acl_errf(err, -EINVAL, "bad time window",
				                t, len, "");
			windows++;
		} else if (acl_days(t, len, &days) < 0) {
			return acl_errf(err, -EINVAL, "bad time", t, len,
			                " (days SMTWHFAD, then HH:MM-HH:MM)");
		}
	}
	if (days == 0)
		days = 0x7fu;
	if (windows == 0)
		acl_week_window(e->week, days, 0, 1440);
	for (unsigned i = 0; i < windows; i++)
		acl_week_window(e->week, days, (unsigned)ws[i],
		                (unsigned)we[i]);
	e->n++;
	return 0;
}

/* "Name[:] [-i] regex": the header's value matched by the regex. */
int
acl_parse_header(struct acl_belem *e, const char *text, struct acl_err *err)
{
	const char *p = text + strspn(text, " \t");
	const char *name = p;
	bool icase = false;

	while (acl_tchar((unsigned char)*p) && *p != ':')
		p++;
	size_t nlen = (size_t)(p - name);

	if (*p == ':')
		p++;
	if (nlen == 0 || nlen > ACL_NAME_ARG_MAX_BYTES ||
	    (*p != ' ' && *p != '\t'))
		return acl_errf(err, -EINVAL, "bad header match", text,
		                strlen(text), " (Name regex)");
	p += strspn(p, " \t");
	if (strncmp(p, "-i", 2) == 0 && (p[2] == ' ' || p[2] == '\t')) {
		icase = true;
		p += 2 + strspn(p + 2, " \t");
	}
	size_t rlen = strlen(p);

	while (rlen > 0 && (p[rlen - 1] == ' ' || p[rlen - 1] == '\t'))
		rlen--;
	if (rlen == 0 || rlen > ACL_VALUE_MAX_BYTES)
		return acl_errf(err, -EINVAL, "bad header match", text,
		                strlen(text), " (Name regex)");
	uint32_t off;
	int rc = acl_blob_put(e, name, nlen, &off, err);

	if (rc < 0)
		return rc;
	return acl_parse_regex(e, p, rlen, icase, off, (uint32_t)nlen, err);
}
