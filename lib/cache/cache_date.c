/*
 * HTTP-date (RFC 9110 5.6.7) to seconds since the epoch.  A recipient
 * "MUST accept all three HTTP-date formats":
 *   IMF-fixdate   Sun, 06 Nov 1994 08:49:37 GMT
 *   rfc850-date   Sunday, 06-Nov-94 08:49:37 GMT
 *   asctime-date  Sun Nov  6 08:49:37 1994
 * HTTP-date is case-sensitive, so names are matched exactly; every field
 * has its fixed width, days are checked against their month (29 February
 * only in leap years), hours 0-23, minutes 0-59, seconds 0-60 (a leap
 * second).  The day name must be a day name but is not checked against
 * the date: the date is what the value means, and a wrong weekday says
 * nothing about which of the two is wrong.  Nothing may follow the date
 * (lib/http has already trimmed the OWS around a field value).
 *
 * Fixed-size work: every path reads at most 30 bytes.
 */
#include <errno.h>
#include <stdio.h>
#include <time.h>

#include "cache/cache_policy.h"
#include "common/gh_common.h"

static const char *const day_short[7] = {"Mon", "Tue", "Wed", "Thu",
                                         "Fri", "Sat", "Sun"};
static const char *const day_long[7] = {"Monday",   "Tuesday", "Wednesday",
                                        "Thursday", "Friday",  "Saturday",
                                        "Sunday"};
static const char month_names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";

/* The value of the <n> digits at p, or -1. */
static int
digits(const char *p, unsigned n)
{
	int v = 0;
	unsigned i;

	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

/* True when p[0 .. n) equals the NUL-terminated <s>, case-sensitively. */
static bool
eq(const char *p, uint32_t n, const char *s)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		if (s[i] == '\0' || p[i] != s[i])
			return false;
	return s[n] == '\0';
}

/* The month (1-12) named by the 3 bytes at p, or -1. */
static int
month(const char *p)
{
	int m;

	for (m = 0; m < 12; m++)
		if (p[0] == month_names[3 * m] &&
		    p[1] == month_names[3 * m + 1] &&
		    p[2] == month_names[3 * m + 2])
			return m + 1;
	return -1;
}

static bool
day_name(const char *p, uint32_t n, const char *const names[7])
{
	unsigned i;

	for (i = 0; i < 7; i++)
		if (eq(p, n, names[i]))
			return true;
	return false;
}

static bool
leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days from 1970-01-01 to y-m-d, proleptic Gregorian (H. Hinnant's
 * days_from_civil). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The year of the day <z> days after 1970-01-01 (civil_from_days). */
static int64_t
year_of_days(int64_t z)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	return yoe + era * 400 + (mp >= 10); /* Jan, Feb: next year */
}

/* "hh:mm:ss" at p into seconds of the day, or -1. */
static int
time_of_day(const char *p)
{
	int h = digits(p, 2), m = digits(p + 3, 2), s = digits(p + 6, 2);

	if (p[2] != ':' || p[5] != ':' || h < 0 || m < 0 || s < 0 || h > 23 ||
	    m > 59 || s > 60)
		return -1;
	return h * 3600 + m * 60 + s;
}

static int
civil_to_secs(int64_t y, int m, int d, int tod, int64_t *t_s)
{
	static const int mdays[12] = {31, 28, 31, 30, 31, 30,
	                              31, 31, 30, 31, 30, 31};

	if (m < 1 || m > 12 || d < 1 || tod < 0)
		return -EINVAL;
	if (d > mdays[m - 1] + (m == 2 && leap(y)))
		return -EINVAL;
	*t_s = days_from_civil(y, m, d) * 86400 + tod;
	return 0;
}

/* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT", 29 bytes */
static int
imf_fixdate(const char *p, uint32_t len, int64_t *t_s)
{
	int y;

	if (len != 29 || !day_name(p, 3, day_short) || p[3] != ',' ||
	    p[4] != ' ' || p[7] != ' ' || p[11] != ' ' || p[16] != ' ' ||
	    p[25] != ' ' || !eq(p + 26, 3, "GMT"))
		return -EINVAL;
	y = digits(p + 12, 4);
	if (y < 0)
		return -EINVAL;
	return civil_to_secs(y, month(p + 8), digits(p + 5, 2),
	                     time_of_day(p + 17), t_s);
}

/* rfc850-date: "Sunday, 06-Nov-94 08:49:37 GMT", the day name 6 to 9
 * bytes */
static int
rfc850_date(const char *p, uint32_t len, int64_t now_s, int64_t *t_s)
{
	uint32_t n = len >= 24 ? len - 24 : 0; /* day name length */
	const char *q = p + n;
	int64_t now_year, y;
	int yy;

	if (len < 30 || len > 33 || !day_name(p, n, day_long) || q[0] != ',' ||
	    q[1] != ' ' || q[4] != '-' || q[8] != '-' || q[11] != ' ' ||
	    q[20] != ' ' || !eq(q + 21, 3, "GMT"))
		return -EINVAL;
	yy = digits(q + 9, 2);
	if (yy < 0)
		return -EINVAL;
	/* RFC 9110 5.6.7: more than 50 years in the future is the most
	 * recent past year with the same last two digits */
	now_year = year_of_days(now_s / 86400 - (now_s % 86400 < 0));
	y = now_year - now_year % 100 + yy;
	if (y > now_year + 50)
		y -= 100;
	return civil_to_secs(y, month(q + 5), digits(q + 2, 2),
	                     time_of_day(q + 12), t_s);
}

/* asctime-date: "Sun Nov  6 08:49:37 1994", 24 bytes */
static int
asctime_date(const char *p, uint32_t len, int64_t *t_s)
{
	int d, y;

	if (len != 24 || !day_name(p, 3, day_short) || p[3] != ' ' ||
	    p[7] != ' ' || p[10] != ' ' || p[19] != ' ')
		return -EINVAL;
	d = p[8] == ' ' ? digits(p + 9, 1) : digits(p + 8, 2);
	y = digits(p + 20, 4);
	if (y < 0)
		return -EINVAL;
	return civil_to_secs(y, month(p + 4), d, time_of_day(p + 11), t_s);
}

int
cache_date_parse(const char *p, uint32_t len, int64_t now_s, int64_t *t_s)
{
	if (len < 24)
		return -EINVAL;
	if (p[3] == ',')
		return imf_fixdate(p, len, t_s);
	if (p[3] == ' ')
		return asctime_date(p, len, t_s);
	return rfc850_date(p, len, now_s, t_s);
}

size_t
cache_date_format(int64_t t_s, char *out, size_t cap)
{
	static const char *const day[7] = {"Sun", "Mon", "Tue", "Wed",
	                                   "Thu", "Fri", "Sat"};
	static const char *const mon[12] = {"Jan", "Feb", "Mar", "Apr",
	                                    "May", "Jun", "Jul", "Aug",
	                                    "Sep", "Oct", "Nov", "Dec"};
	time_t tt = (time_t)t_s;
	struct tm tm;
	int n;

	GH_VERIFY(cap > 0);
	out[0] = '\0';
	if (gmtime_r(&tt, &tm) == NULL)
		return 0;
	n = snprintf(out, cap, "%s, %02d %s %04d %02d:%02d:%02d GMT",
	             day[tm.tm_wday], tm.tm_mday, mon[tm.tm_mon],
	             tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (n <= 0 || (size_t)n >= cap) {
		out[0] = '\0'; /* no room for it whole */
		return 0;
	}
	return (size_t)n;
}
