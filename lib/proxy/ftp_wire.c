/*
 * The FTP wire format the gateway reads (see ftp_wire.h): replies,
 * passive-mode answers, MDTM and SIZE, listing lines and ftp URLs.  Every
 * loop is bounded by its input's length; nothing is written but the
 * caller's structs and, for ftp_url_decode, its buffer.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <arpa/inet.h>

#include "common/gh_common.h"
#include "common/gh_pct.h"
#include "proxy/ftp_wire.h"

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* The 3-digit code at p (p[0 .. 3) digits, first 1..5), or 0. */
static unsigned
code_at(const char *p)
{
	if (!is_digit(p[0]) || !is_digit(p[1]) || !is_digit(p[2]) ||
	    p[0] < '1' || p[0] > '5')
		return 0;
	return (unsigned)(p[0] - '0') * 100u + (unsigned)(p[1] - '0') * 10u +
	       (unsigned)(p[2] - '0');
}

static int
reply_fail(struct ftp_reply *r, const char *why)
{
	r->why = why;
	return FTP_ERROR;
}

/* The end (index after its LF) of the line starting at <at>, or 0 when
 * buf has none yet. */
static uint32_t
line_end(const char *buf, uint32_t len, uint32_t at)
{
	const char *lf = memchr(buf + at, '\n', len - at);

	return lf == NULL ? 0 : (uint32_t)(lf - buf) + 1;
}

/* The line's length without its line end (LF or CRLF). */
static uint32_t
line_text_end(const char *buf, uint32_t end)
{
	uint32_t e = end - 1;

	if (e > 0 && buf[e - 1] == '\r')
		e--;
	return e;
}

int
ftp_reply_parse(const char *buf, uint32_t len, struct ftp_reply *r)
{
	uint32_t at = 0, end, te;
	unsigned code;
	bool multi;

	memset(r, 0, sizeof(*r));
	if (len > FTP_REPLY_MAX)
		len = FTP_REPLY_MAX; /* what is past it cannot be in a reply */
	if (memchr(buf, '\0', len) != NULL)
		return reply_fail(r, "NUL in a reply");
	end = line_end(buf, len, 0);
	if (end == 0) {
		if (len >= FTP_LINE_MAX)
			return reply_fail(r, "reply line too long");
		/* what is there must be able to start a reply */
		if ((len >= 1 && (buf[0] < '1' || buf[0] > '5')) ||
		    (len >= 2 && !is_digit(buf[1])) ||
		    (len >= 3 && !is_digit(buf[2])) ||
		    (len >= 4 && buf[3] != ' ' && buf[3] != '-' &&
		     buf[3] != '\r'))
			return reply_fail(r, "not a reply");
		return len >= FTP_REPLY_MAX ? reply_fail(r, "reply too long")
		                            : FTP_AGAIN;
	}
	if (end > FTP_LINE_MAX)
		return reply_fail(r, "reply line too long");
	te = line_text_end(buf, end);
	if (te < 3 || (code = code_at(buf)) == 0)
		return reply_fail(r, "not a reply");
	if (te > 3 && buf[3] != ' ' && buf[3] != '-')
		return reply_fail(r, "not a reply");
	multi = te > 3 && buf[3] == '-';
	r->code = code;
	r->text_off = te > 3 ? 4 : 3;
	r->text_len = te - r->text_off;
	r->last_off = r->text_off;
	r->last_len = r->text_len;
	at = end;
	/* RFC 959 4.2: a multi-line reply ends with a line that starts with
	 * the same code and a space (or is the code alone) */
	while (multi) {
		end = line_end(buf, len, at);
		if (end == 0) {
			if (len - at >= FTP_LINE_MAX)
				return reply_fail(r, "reply line too long");
			return len >= FTP_REPLY_MAX
			           ? reply_fail(r, "reply too long")
			           : FTP_AGAIN;
		}
		if (end - at > FTP_LINE_MAX)
			return reply_fail(r, "reply line too long");
		te = line_text_end(buf, end);
		if (te - at >= 3 && code_at(buf + at) == code &&
		    (te - at == 3 || buf[at + 3] == ' ')) {
			multi = false;
			r->last_off = te - at > 3 ? at + 4 : at + 3;
			r->last_len = te - r->last_off;
		}
		at = end;
	}
	r->len = at;
	return FTP_OK;
}

/* A decimal number of at most <max_digits> at t[*i], advancing *i. */
static bool
number_at(const char *t, uint32_t len, uint32_t *i, unsigned max_digits,
          uint32_t *v)
{
	uint32_t n = 0, k = 0;

	while (*i < len && is_digit(t[*i]) && k < max_digits) {
		n = n * 10u + (uint32_t)(t[*i] - '0');
		(*i)++;
		k++;
	}
	if (k == 0 || (*i < len && is_digit(t[*i])))
		return false;
	*v = n;
	return true;
}

int
ftp_pasv_parse(const char *t, uint32_t len, uint32_t *ip_be, uint16_t *port)
{
	uint32_t i = 0, v[6], k;

	while (i < len && !is_digit(t[i]))
		i++;
	for (k = 0; k < 6; k++) {
		if (!number_at(t, len, &i, 3, &v[k]) || v[k] > 255)
			return -EINVAL;
		if (k < 5) {
			if (i >= len || t[i] != ',')
				return -EINVAL;
			i++;
		}
	}
	if (v[4] == 0 && v[5] == 0)
		return -EINVAL;
	*ip_be = htonl(v[0] << 24 | v[1] << 16 | v[2] << 8 | v[3]);
	*port = (uint16_t)(v[4] << 8 | v[5]);
	return 0;
}

int
ftp_epsv_parse(const char *t, uint32_t len, uint16_t *port)
{
	const char *open = memchr(t, '(', len);
	uint32_t i, v;
	char d;

	if (open == NULL)
		return -EINVAL;
	i = (uint32_t)(open - t) + 1;
	if (len - i < 6)
		return -EINVAL;
	d = t[i];
	if (d < 33 || d > 126 || is_digit(d) || t[i + 1] != d || t[i + 2] != d)
		return -EINVAL;
	i += 3;
	if (!number_at(t, len, &i, 5, &v) || v == 0 || v > 65535)
		return -EINVAL;
	if (i + 1 >= len || t[i] != d || t[i + 1] != ')')
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

static unsigned
digits_at(const char *p, unsigned n)
{
	unsigned v = 0, i;

	for (i = 0; i < n; i++)
		v = v * 10u + (unsigned)(p[i] - '0');
	return v;
}

/* Whether p[0 .. n) are all digits. */
static bool
all_digits(const char *p, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		if (!is_digit(p[i]))
			return false;
	return n > 0;
}

/* YYYYMMDDHHMMSS at p into Unix seconds: 0 or -EINVAL. */
static int
stamp14(const char *p, int64_t *unix_s)
{
	static const unsigned mdays[12] = {31, 29, 31, 30, 31, 30,
	                                   31, 31, 30, 31, 30, 31};
	unsigned y, mo, d, h, mi, s;
	struct tm tm;

	if (!all_digits(p, 14))
		return -EINVAL;
	y = digits_at(p, 4);
	mo = digits_at(p + 4, 2);
	d = digits_at(p + 6, 2);
	h = digits_at(p + 8, 2);
	mi = digits_at(p + 10, 2);
	s = digits_at(p + 12, 2);
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    h > 23 || mi > 59 || s > 60)
		return -EINVAL;
	if (mo == 2 && d == 29 &&
	    !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return -EINVAL;
	/* the fields are checked: timegm (glibc, no clock, no tz) is
	 * exact on them, 60 seconds included */
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = (int)y - 1900;
	tm.tm_mon = (int)mo - 1;
	tm.tm_mday = (int)d;
	tm.tm_hour = (int)h;
	tm.tm_min = (int)mi;
	tm.tm_sec = (int)s;
	*unix_s = (int64_t)timegm(&tm);
	return 0;
}

int
ftp_mdtm_parse(const char *t, uint32_t len, int64_t *unix_s)
{
	while (len > 0 && t[len - 1] == ' ')
		len--;
	if (len < 14 || stamp14(t, unix_s) < 0)
		return -EINVAL;
	if (len == 14)
		return 0;
	/* a fraction: '.' and 1..3 digits (RFC 3659 2.3) */
	if (t[14] != '.' || len > 18 || !all_digits(t + 15, len - 15))
		return -EINVAL;
	return 0;
}

int
ftp_size_parse(const char *t, uint32_t len, uint64_t *size)
{
	uint64_t v = 0;
	uint32_t i;

	while (len > 0 && t[len - 1] == ' ')
		len--;
	if (len == 0 || len > 19)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		if (!is_digit(t[i]))
			return -EINVAL;
		v = v * 10u + (uint64_t)(t[i] - '0');
	}
	if (v > INT64_MAX)
		return -EINVAL;
	*size = v;
	return 0;
}

/* a[0 .. n) is <lit> (lower case) without case. */
static bool
eq_nocase(const char *a, uint32_t n, const char *lit)
{
	return n == strlen(lit) && strncasecmp(a, lit, n) == 0;
}

static void
entry_init(struct ftp_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->type = FTP_ENT_OTHER;
	e->size = UINT64_MAX;
	e->mtime_s = INT64_MIN;
}

/* One MLSD fact f[0 .. n) ("name=value") into <e>. */
static void
mlsd_fact(const char *f, uint32_t n, struct ftp_entry *e)
{
	const char *eq = memchr(f, '=', n);
	uint32_t kn, vn;
	const char *v;
	uint64_t sz;
	int64_t t;

	if (eq == NULL)
		return;
	kn = (uint32_t)(eq - f);
	v = eq + 1;
	vn = n - kn - 1;
	if (eq_nocase(f, kn, "type")) {
		if (eq_nocase(v, vn, "file"))
			e->type = FTP_ENT_FILE;
		else if (eq_nocase(v, vn, "dir"))
			e->type = FTP_ENT_DIR;
		else if (eq_nocase(v, vn, "cdir") || eq_nocase(v, vn, "pdir"))
			e->type = FTP_ENT_SELF;
		else if (vn >= 8 && eq_nocase(v, 8, "os.unix=") &&
		         (eq_nocase(v + 8, vn - 8, "symlink") ||
		          eq_nocase(v + 8, vn - 8, "slink")))
			e->type = FTP_ENT_LINK;
		else
			e->type = FTP_ENT_OTHER;
	} else if (eq_nocase(f, kn, "size")) {
		if (ftp_size_parse(v, vn, &sz) == 0)
			e->size = sz;
	} else if (eq_nocase(f, kn, "modify")) {
		if (ftp_mdtm_parse(v, vn, &t) == 0)
			e->mtime_s = t;
	}
}

int
ftp_mlsd_parse(const char *line, uint32_t len, struct ftp_entry *e)
{
	const char *sp = memchr(line, ' ', len);
	uint32_t facts, i, start;

	entry_init(e);
	if (sp == NULL)
		return -EINVAL;
	facts = (uint32_t)(sp - line);
	if (facts == 0 || line[facts - 1] != ';' || facts + 1 >= len)
		return -EINVAL;
	e->name_off = facts + 1;
	e->name_len = len - facts - 1;
	if (memchr(line + e->name_off, '/', e->name_len) != NULL)
		return -EINVAL; /* a name, never a path */
	for (i = 0, start = 0; i < facts; i++) {
		if (line[i] != ';')
			continue;
		mlsd_fact(line + start, i - start, e);
		start = i + 1;
	}
	return 0;
}

/* The next field of line[*i .. len) (runs of spaces between): its start
 * and length, *i after it.  False when there is none. */
static bool
field_next(const char *line, uint32_t len, uint32_t *i, uint32_t *off,
           uint32_t *n)
{
	while (*i < len && line[*i] == ' ')
		(*i)++;
	if (*i >= len)
		return false;
	*off = *i;
	while (*i < len && line[*i] != ' ')
		(*i)++;
	*n = *i - *off;
	return true;
}

static bool
is_month(const char *p, uint32_t n)
{
	static const char *const mon[12] = {"jan", "feb", "mar", "apr",
	                                    "may", "jun", "jul", "aug",
	                                    "sep", "oct", "nov", "dec"};
	unsigned k;

	for (k = 0; k < 12; k++)
		if (eq_nocase(p, n, mon[k]))
			return true;
	return false;
}

int
ftp_list_parse(const char *line, uint32_t len, struct ftp_entry *e)
{
	uint32_t i = 0, off = 0, n = 0, k, size_off = 0, size_n = 0;
	uint32_t f_off[3], f_n[3];
	const char *arrow;
	uint64_t sz;

	entry_init(e);
	if (!field_next(line, len, &i, &off, &n) || n != 10 ||
	    memchr("-dlcbps", line[0], 7) == NULL || off != 0)
		return -EINVAL;
	switch (line[0]) {
	case '-':
		e->type = FTP_ENT_FILE;
		break;
	case 'd':
		e->type = FTP_ENT_DIR;
		break;
	case 'l':
		e->type = FTP_ENT_LINK;
		break;
	default:
		e->type = FTP_ENT_OTHER;
		break;
	}
	/* links, owner, group (some servers leave the group out), size:
	 * the size is the last number before the month */
	for (k = 0; k < 5; k++) {
		if (!field_next(line, len, &i, &off, &n))
			return -EINVAL;
		if (is_month(line + off, n))
			break;
		size_off = off;
		size_n = n;
	}
	if (k < 2 || k == 5 || !all_digits(line + size_off, size_n))
		return -EINVAL;
	if (ftp_size_parse(line + size_off, size_n, &sz) == 0 &&
	    e->type == FTP_ENT_FILE)
		e->size = sz;
	/* month (found), day, time or year */
	f_off[0] = off;
	f_n[0] = n;
	for (k = 1; k < 3; k++)
		if (!field_next(line, len, &i, &f_off[k], &f_n[k]))
			return -EINVAL;
	if (f_n[1] < 1 || f_n[1] > 2 || !all_digits(line + f_off[1], f_n[1]) ||
	    f_n[2] < 4 || f_n[2] > 5)
		return -EINVAL;
	e->date_off = f_off[0];
	e->date_len = f_off[2] + f_n[2] - f_off[0];
	/* one space, then the name (which may start with spaces) */
	if (i + 1 >= len || line[i] != ' ')
		return -EINVAL;
	e->name_off = i + 1;
	e->name_len = len - i - 1;
	if (e->type == FTP_ENT_LINK) {
		arrow = NULL;
		for (k = e->name_off; k + 4 <= len; k++)
			if (memcmp(line + k, " -> ", 4) == 0) {
				arrow = line + k;
				break;
			}
		if (arrow != NULL)
			e->name_len = (uint32_t)(arrow - line) - e->name_off;
	}
	if (e->name_len == 0 ||
	    memchr(line + e->name_off, '/', e->name_len) != NULL)
		return -EINVAL;
	return 0;
}

int
ftp_url_parse(const char *t, uint32_t len, struct ftp_url *u)
{
	uint32_t a, i, end, at = UINT32_MAX, colon = UINT32_MAX, p;
	uint32_t port = 0;

	memset(u, 0, sizeof(*u));
	u->port = 21;
	if (len < 7 || !eq_nocase(t, 6, "ftp://"))
		return -EINVAL;
	if (memchr(t, '?', len) != NULL || memchr(t, '#', len) != NULL)
		return -EINVAL;
	a = 6;
	for (end = a; end < len && t[end] != '/'; end++)
		if (t[end] == '@')
			at = end;
	if (at != UINT32_MAX) {
		for (i = a; i < at; i++)
			if (t[i] == ':') {
				colon = i;
				break;
			}
		u->has_user = true;
		u->user_off = a;
		u->user_len = (colon != UINT32_MAX ? colon : at) - a;
		if (colon != UINT32_MAX) {
			u->has_pass = true;
			u->pass_off = colon + 1;
			u->pass_len = at - colon - 1;
		}
		if (u->user_len == 0)
			return -EINVAL;
		a = at + 1;
	}
	u->host_off = a;
	for (i = a; i < end && t[i] != ':'; i++)
		;
	u->host_len = i - a;
	if (u->host_len == 0)
		return -EINVAL;
	if (i < end) { /* a port; empty means the default */
		for (p = i + 1; p < end; p++) {
			if (!is_digit(t[p]))
				return -EINVAL;
			port = port * 10u + (uint32_t)(t[p] - '0');
			if (port > 65535)
				return -EINVAL;
		}
		if (p > i + 1) {
			if (port == 0)
				return -EINVAL;
			u->port = (uint16_t)port;
		}
	}
	u->path_off = end < len ? end + 1 : len;
	u->path_len = len - u->path_off;
	/* ";type=X" ends the path (RFC 1738 3.2.2) */
	if (u->path_len >= 7 && eq_nocase(t + len - 7, 6, ";type=")) {
		char c = t[len - 1];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != 'a' && c != 'i' && c != 'd')
			return -EINVAL;
		u->type = c;
		u->path_len -= 7;
	} else if (memchr(t + u->path_off, ';', u->path_len) != NULL) {
		return -EINVAL;
	}
	u->dir = u->type == 'd' || u->path_len == 0 ||
	         t[u->path_off + u->path_len - 1] == '/';
	return 0;
}

int
ftp_url_decode(const char *s, uint32_t len, char *out, uint32_t cap)
{
	uint32_t i, n = 0;

	for (i = 0; i < len; i++) {
		char c = s[i];

		if (c == '%') {
			int b = gh_pct_byte(s, len, i);

			if (b < 0)
				return -EINVAL;
			c = (char)b;
			i += 2;
		}
		if (c == '\r' || c == '\n' || c == '\0')
			return -EINVAL;
		if (n == cap)
			return -ENAMETOOLONG;
		out[n++] = c;
	}
	return (int)n;
}

unsigned
ftp_http_status(unsigned code, enum ftp_step step, bool creds)
{
	if (code == 530 || code == 532 || code == 332)
		return creds ? 403 : 401;
	if (step == FTP_STEP_FILE &&
	    (code == 550 || code == 450 || code == 553 || code == 551))
		return 404;
	if (code == 421 || (code >= 400 && code < 500))
		return 503;
	return 502;
}
