/*
 * The FTP wire format (ftp_wire.c): tables of replies (single and
 * multi-line, every way of being cut short, oversized or malformed, and
 * every prefix of a valid one waiting for more), PASV and EPSV answers,
 * MDTM and SIZE, MLSD facts and unix LIST lines, ftp URLs and their
 * decoding, and the FTP-to-HTTP status map.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <criterion/criterion.h>

#include "proxy/ftp_wire.h"

TestSuite(ftp_wire);

/* ---- replies ---- */

struct reply_case {
	const char *name;
	const char *p;
	int want;
	unsigned code;
	uint32_t len;     /* with FTP_OK */
	const char *text; /* the first line's text, with FTP_OK */
	const char *last; /* the last line's text (NULL: the first's) */
};

static const struct reply_case replies[] = {
    {"greeting", "220 Welcome\r\n", FTP_OK, 220, 13, "Welcome"},
    {"bare LF", "230 ok\n", FTP_OK, 230, 7, "ok"},
    {"code alone", "200\r\n", FTP_OK, 200, 5, ""},
    {"empty text", "200 \r\n", FTP_OK, 200, 6, ""},
    {"pipelined behind", "331 pw\r\n230 in\r\n", FTP_OK, 331, 8, "pw"},
    {"multi", "220-a\r\n b\r\n220 c\r\n", FTP_OK, 220, 18, "a", "c"},
    {"multi pasv",
     "227-passive\r\n227 Entering Passive Mode (198,18,0,2,4,1)\r\n", FTP_OK,
     227, 57, "passive", "Entering Passive Mode (198,18,0,2,4,1)"},
    {"multi digits inside", "211-Features\r\n 213 x\r\n211-y\r\n211 End\r\n",
     FTP_OK, 211, 38, "Features", "End"},
    {"multi other code inside", "220-a\r\n230 not the end\r\n220 end\r\n",
     FTP_OK, 220, 33, "a", "end"},
    {"multi ends with code alone", "220-a\r\n220\r\n", FTP_OK, 220, 12, "a",
     ""},
    {"multi same code hyphen goes on", "220-a\r\n220-b\r\n220 c\r\n", FTP_OK,
     220, 21, "a", "c"},
    {"multi empty lines", "220-a\r\n\r\n\r\n220 c\r\n", FTP_OK, 220, 18, "a",
     "c"},
    {"1xx", "150 Opening\r\n", FTP_OK, 150, 13, "Opening"},
    {"5xx", "550 No such file\r\n", FTP_OK, 550, 18, "No such file"},
    {"multi unfinished", "220-a\r\n b\r\n", FTP_AGAIN, 0, 0, NULL},
    {"multi last line cut", "220-a\r\n220 c", FTP_AGAIN, 0, 0, NULL},
    {"no line end", "220 Welcome", FTP_AGAIN, 0, 0, NULL},
    {"empty", "", FTP_AGAIN, 0, 0, NULL},
    {"one digit", "2", FTP_AGAIN, 0, 0, NULL},
    {"code cr", "220\r", FTP_AGAIN, 0, 0, NULL},
    {"code 6xx", "600 x\r\n", FTP_ERROR, 0, 0, NULL},
    {"code 0xx", "020 x\r\n", FTP_ERROR, 0, 0, NULL},
    {"letters", "abc\r\n", FTP_ERROR, 0, 0, NULL},
    {"two digits", "22 x\r\n", FTP_ERROR, 0, 0, NULL},
    {"four digits", "2200 x\r\n", FTP_ERROR, 0, 0, NULL},
    {"code then letter", "220x\r\n", FTP_ERROR, 0, 0, NULL},
    {"unfinished garbage", "HTTP/1.1 200", FTP_ERROR, 0, 0, NULL},
    {"unfinished 4th byte", "220x", FTP_ERROR, 0, 0, NULL},
    {"empty line", "\r\n", FTP_ERROR, 0, 0, NULL},
};

Test(ftp_wire, reply_table)
{
	size_t i;

	for (i = 0; i < sizeof(replies) / sizeof(replies[0]); i++) {
		const struct reply_case *c = &replies[i];
		struct ftp_reply r;
		uint32_t n = (uint32_t)strlen(c->p);
		int rc = ftp_reply_parse(c->p, n, &r);

		cr_expect_eq(rc, c->want, "%s: %d", c->name, rc);
		if (rc == FTP_ERROR)
			cr_expect_not_null(r.why, "%s: no reason", c->name);
		if (rc != FTP_OK || c->want != FTP_OK)
			continue;
		cr_expect_eq(r.code, c->code, "%s: code %u", c->name, r.code);
		cr_expect_eq(r.len, c->len, "%s: len %u", c->name, r.len);
		cr_expect_eq(r.text_len, strlen(c->text), "%s: text_len %u",
		             c->name, r.text_len);
		cr_expect(memcmp(c->p + r.text_off, c->text, r.text_len) == 0,
		          "%s: text", c->name);
		if (c->last == NULL) { /* one line: the first is the last */
			cr_expect(r.last_off == r.text_off &&
			              r.last_len == r.text_len,
			          "%s: last", c->name);
			continue;
		}
		cr_expect_eq(r.last_len, strlen(c->last), "%s: last_len %u",
		             c->name, r.last_len);
		cr_expect(memcmp(c->p + r.last_off, c->last, r.last_len) == 0,
		          "%s: last text", c->name);
	}
}

/* Every proper prefix of a whole reply waits for more. */
Test(ftp_wire, reply_prefixes_wait)
{
	size_t i;
	uint32_t k;

	for (i = 0; i < sizeof(replies) / sizeof(replies[0]); i++) {
		const struct reply_case *c = &replies[i];
		struct ftp_reply r;

		if (c->want != FTP_OK)
			continue;
		for (k = 0; k < c->len; k++)
			cr_expect_eq(ftp_reply_parse(c->p, k, &r), FTP_AGAIN,
			             "%s: prefix %u", c->name, k);
	}
}

Test(ftp_wire, reply_nul)
{
	static const char p[] = "220 a\0b\r\n";
	struct ftp_reply r;

	cr_assert_eq(ftp_reply_parse(p, sizeof(p) - 1, &r), FTP_ERROR);
}

Test(ftp_wire, reply_line_bounds)
{
	char *b = malloc(FTP_REPLY_MAX + 64);
	struct ftp_reply r;
	uint32_t n;

	cr_assert_not_null(b);
	/* a line of exactly FTP_LINE_MAX bytes, CRLF included: whole */
	memset(b, 'x', FTP_LINE_MAX);
	memcpy(b, "220 ", 4);
	memcpy(b + FTP_LINE_MAX - 2, "\r\n", 2);
	cr_expect_eq(ftp_reply_parse(b, FTP_LINE_MAX, &r), FTP_OK);
	cr_expect_eq(r.len, FTP_LINE_MAX);
	/* one more byte: too long, with or without its end */
	memset(b, 'x', FTP_LINE_MAX + 1);
	memcpy(b, "220 ", 4);
	memcpy(b + FTP_LINE_MAX - 1, "\r\n", 2);
	cr_expect_eq(ftp_reply_parse(b, FTP_LINE_MAX + 1, &r), FTP_ERROR);
	cr_expect_eq(ftp_reply_parse(b, FTP_LINE_MAX, &r), FTP_ERROR);
	cr_expect_eq(ftp_reply_parse(b, FTP_LINE_MAX - 1, &r), FTP_AGAIN);
	/* a long line inside a multi-line reply */
	memset(b, 'y', FTP_LINE_MAX + 8);
	memcpy(b, "220-a\r\n", 7);
	cr_expect_eq(ftp_reply_parse(b, 7 + FTP_LINE_MAX, &r), FTP_ERROR);
	/* a multi-line reply of short lines that never ends: AGAIN until
	 * FTP_REPLY_MAX, then an error */
	memcpy(b, "220-a\r\n", 7);
	for (n = 7; n + 4 <= FTP_REPLY_MAX + 32; n += 4)
		memcpy(b + n, " z\r\n", 4);
	cr_expect_eq(ftp_reply_parse(b, FTP_REPLY_MAX - 1, &r), FTP_AGAIN);
	cr_expect_eq(ftp_reply_parse(b, FTP_REPLY_MAX, &r), FTP_ERROR);
	cr_expect_eq(ftp_reply_parse(b, FTP_REPLY_MAX + 32, &r), FTP_ERROR);
	free(b);
}

/* ---- PASV, EPSV ---- */

struct pasv_case {
	const char *t;
	int want;
	const char *ip;
	uint16_t port;
};

static const struct pasv_case pasvs[] = {
    {"Entering Passive Mode (198,18,0,2,195,80).", 0, "198.18.0.2", 50000},
    {"Entering Passive Mode 198,18,0,2,0,21", 0, "198.18.0.2", 21},
    {"=198,18,0,2,255,255", 0, "198.18.0.2", 65535},
    {"(0,0,0,0,4,1)", 0, "0.0.0.0", 1025},
    {"(198,18,0,2,0,0)", -EINVAL, NULL, 0},
    {"(256,18,0,2,4,1)", -EINVAL, NULL, 0},
    {"(198,18,0,2,4,256)", -EINVAL, NULL, 0},
    {"(198,18,0,2,4)", -EINVAL, NULL, 0},
    {"(198,18,0,2,4,)", -EINVAL, NULL, 0},
    {"(198,18,0,2,4,1000)", -EINVAL, NULL, 0},
    {"(198 ,18,0,2,4,1)", -EINVAL, NULL, 0},
    {"(0198,18,0,2,4,1)", -EINVAL, NULL, 0},
    {"no numbers", -EINVAL, NULL, 0},
    {"", -EINVAL, NULL, 0},
};

Test(ftp_wire, pasv_table)
{
	size_t i;

	for (i = 0; i < sizeof(pasvs) / sizeof(pasvs[0]); i++) {
		const struct pasv_case *c = &pasvs[i];
		uint32_t ip = 0;
		uint16_t port = 0;
		int rc =
		    ftp_pasv_parse(c->t, (uint32_t)strlen(c->t), &ip, &port);
		struct in_addr a;

		cr_expect_eq(rc, c->want, "%s: %d", c->t, rc);
		if (rc != 0 || c->ip == NULL)
			continue;
		inet_pton(AF_INET, c->ip, &a);
		cr_expect_eq(ip, a.s_addr, "%s: address", c->t);
		cr_expect_eq(port, c->port, "%s: port %u", c->t, port);
	}
}

static const struct {
	const char *t;
	int want;
	uint16_t port;
} epsvs[] = {
    {"Entering Extended Passive Mode (|||6446|)", 0, 6446},
    {"(!!!65535!)", 0, 65535},
    {"(|||1|)", 0, 1},
    {"(|||0|)", -EINVAL, 0},
    {"(|||65536|)", -EINVAL, 0},
    {"(|||123456|)", -EINVAL, 0},
    {"(||6446|)", -EINVAL, 0},
    {"(|||6446|", -EINVAL, 0},
    {"(|||6446)", -EINVAL, 0},
    {"(|1|198.18.0.9|6446|)", -EINVAL, 0},
    {"(111644 61)", -EINVAL, 0},
    {"(   6446 )", -EINVAL, 0},
    {"|||6446|", -EINVAL, 0},
    {"(|||)", -EINVAL, 0},
    {"(", -EINVAL, 0},
};

Test(ftp_wire, epsv_table)
{
	size_t i;

	for (i = 0; i < sizeof(epsvs) / sizeof(epsvs[0]); i++) {
		uint16_t port = 0;
		int rc = ftp_epsv_parse(epsvs[i].t,
		                        (uint32_t)strlen(epsvs[i].t), &port);

		cr_expect_eq(rc, epsvs[i].want, "%s: %d", epsvs[i].t, rc);
		if (rc == 0)
			cr_expect_eq(port, epsvs[i].port, "%s: %u", epsvs[i].t,
			             port);
	}
}

/* ---- MDTM, SIZE ---- */

static const struct {
	const char *t;
	int want;
	int64_t s;
} mdtms[] = {
    {"19700101000000", 0, 0},
    {"20240229123456", 0, 1709210096},
    {"20011231235959.123", 0, 1009843199},
    {"20011231235959.1", 0, 1009843199},
    {"20011231235959 ", 0, 1009843199},
    {"20230229000000", -EINVAL, 0}, /* not a leap year */
    {"21000229000000", -EINVAL, 0}, /* nor is 2100 */
    {"20000229000000", 0, 951782400},
    {"19691231235959", -EINVAL, 0},
    {"20011331000000", -EINVAL, 0},
    {"20011200000000", -EINVAL, 0},
    {"20010431000000", -EINVAL, 0},
    {"20010101240000", -EINVAL, 0},
    {"20010101006000", -EINVAL, 0},
    {"2001010100000", -EINVAL, 0},
    {"20010101000000.", -EINVAL, 0},
    {"20010101000000.1234", -EINVAL, 0},
    {"20010101000000x", -EINVAL, 0},
    {"2001-01-01 00:00", -EINVAL, 0},
    {"", -EINVAL, 0},
};

Test(ftp_wire, mdtm_table)
{
	size_t i;

	for (i = 0; i < sizeof(mdtms) / sizeof(mdtms[0]); i++) {
		int64_t s = -1;
		int rc = ftp_mdtm_parse(mdtms[i].t,
		                        (uint32_t)strlen(mdtms[i].t), &s);

		cr_expect_eq(rc, mdtms[i].want, "%s: %d", mdtms[i].t, rc);
		if (rc == 0)
			cr_expect_eq(s, mdtms[i].s, "%s: %lld", mdtms[i].t,
			             (long long)s);
	}
}

static const struct {
	const char *t;
	int want;
	uint64_t v;
} sizes[] = {
    {"0", 0, 0},
    {"4194304", 0, 4194304},
    {"9223372036854775807", 0, INT64_MAX},
    {"9223372036854775808", -EINVAL, 0},
    {"99999999999999999999", -EINVAL, 0},
    {"12 ", 0, 12},
    {"-1", -EINVAL, 0},
    {"1.5", -EINVAL, 0},
    {"12x", -EINVAL, 0},
    {"", -EINVAL, 0},
    {" ", -EINVAL, 0},
};

Test(ftp_wire, size_table)
{
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint64_t v = 1;
		int rc = ftp_size_parse(sizes[i].t,
		                        (uint32_t)strlen(sizes[i].t), &v);

		cr_expect_eq(rc, sizes[i].want, "%s: %d", sizes[i].t, rc);
		if (rc == 0)
			cr_expect_eq(v, sizes[i].v, "%s", sizes[i].t);
	}
}

/* ---- listings ---- */

struct entry_case {
	const char *line;
	int want;
	const char *name;
	uint8_t type;
	uint64_t size;
	int64_t mtime;
	const char *date; /* LIST: the date as written, or NULL */
};

static const struct entry_case mlsds[] = {
    {"type=file;size=4194304;modify=20240101120000;perm=r; big.bin", 0,
     "big.bin", FTP_ENT_FILE, 4194304, 1704110400, NULL},
    {"type=dir;modify=20240101120000; pub", 0, "pub", FTP_ENT_DIR, UINT64_MAX,
     1704110400, NULL},
    {"Type=File;Size=3; a b  c", 0, "a b  c", FTP_ENT_FILE, 3, INT64_MIN, NULL},
    {"type=cdir; .", 0, ".", FTP_ENT_SELF, UINT64_MAX, INT64_MIN, NULL},
    {"type=pdir; ..", 0, "..", FTP_ENT_SELF, UINT64_MAX, INT64_MIN, NULL},
    {"type=OS.unix=symlink; l", 0, "l", FTP_ENT_LINK, UINT64_MAX, INT64_MIN,
     NULL},
    {"type=OS.unix=chr-13/29; tty", 0, "tty", FTP_ENT_OTHER, UINT64_MAX,
     INT64_MIN, NULL},
    {"size=x;modify=bad;type=file; f", 0, "f", FTP_ENT_FILE, UINT64_MAX,
     INT64_MIN, NULL},
    {"type=file;size=1;; f", 0, "f", FTP_ENT_FILE, 1, INT64_MIN, NULL},
    {"type=file;size=1; <script>", 0, "<script>", FTP_ENT_FILE, 1, INT64_MIN,
     NULL},
    {"type=file;size=1;", -EINVAL, NULL, 0, 0, 0, NULL},
    {"type=file;size=1; ", -EINVAL, NULL, 0, 0, 0, NULL},
    {"type=file;size=1 f", -EINVAL, NULL, 0, 0, 0, NULL},
    {" f", -EINVAL, NULL, 0, 0, 0, NULL},
    {"type=file; a/b", -EINVAL, NULL, 0, 0, 0, NULL},
    {"", -EINVAL, NULL, 0, 0, 0, NULL},
};

static const struct entry_case lists[] = {
    {"-rw-r--r--    1 0        0         4194304 Jan 01 12:00 big.bin", 0,
     "big.bin", FTP_ENT_FILE, 4194304, INT64_MIN, "Jan 01 12:00"},
    {"drwxr-xr-x    2 0        0            4096 Mar  3  2021 pub", 0, "pub",
     FTP_ENT_DIR, UINT64_MAX, INT64_MIN, "Mar  3  2021"},
    {"lrwxrwxrwx 1 u g 7 Dec 31 23:59 latest -> pub/x", 0, "latest",
     FTP_ENT_LINK, UINT64_MAX, INT64_MIN, "Dec 31 23:59"},
    {"-rw-r--r-- 1 owner 12 Jan 1 2020 nogroup", 0, "nogroup", FTP_ENT_FILE, 12,
     INT64_MIN, "Jan 1 2020"},
    {"-rw-r--r-- 1 u g 5 Jan 1 2020  two spaces", 0, " two spaces",
     FTP_ENT_FILE, 5, INT64_MIN, "Jan 1 2020"},
    {"-rw-r--r-- 1 u g 5 Jan 1 2020 a&b<c>\"'", 0, "a&b<c>\"'", FTP_ENT_FILE, 5,
     INT64_MIN, "Jan 1 2020"},
    {"crw-rw-rw- 1 0 0 1, 3 Jan 1 2020 null", -EINVAL, NULL, 0, 0, 0, NULL},
    {"total 12", -EINVAL, NULL, 0, 0, 0, NULL},
    {"01-01-20  12:00PM       <DIR>          dos", -EINVAL, NULL, 0, 0, 0,
     NULL},
    {"-rw-r--r-- 1 u g 5 Jan 1 2020", -EINVAL, NULL, 0, 0, 0, NULL},
    {"-rw-r--r-- 1 u g 5 Jan 1 2020 ", -EINVAL, NULL, 0, 0, 0, NULL},
    {"-rw-r--r-- 1 u g x Jan 1 2020 f", -EINVAL, NULL, 0, 0, 0, NULL},
    {"-rw-r--r-- 1 u g 5 Foo 1 2020 f", -EINVAL, NULL, 0, 0, 0, NULL},
    {"-rw-r--r-- 1 u g 5 Jan 123 2020 f", -EINVAL, NULL, 0, 0, 0, NULL},
    {"-rw-r--r-- 1 u g 5 Jan 1 2020 a/b", -EINVAL, NULL, 0, 0, 0, NULL},
    {"-rw-r--r-- Jan 1 2020 f", -EINVAL, NULL, 0, 0, 0, NULL},
    {"xrw-r--r-- 1 u g 5 Jan 1 2020 f", -EINVAL, NULL, 0, 0, 0, NULL},
    {"", -EINVAL, NULL, 0, 0, 0, NULL},
};

static void
entry_check(const struct entry_case *c, int rc, const struct ftp_entry *e)
{
	cr_expect_eq(rc, c->want, "%s: %d", c->line, rc);
	if (rc != 0 || c->name == NULL)
		return;
	cr_expect_eq(e->name_len, strlen(c->name), "%s: name_len %u", c->line,
	             e->name_len);
	cr_expect(memcmp(c->line + e->name_off, c->name, e->name_len) == 0,
	          "%s: name", c->line);
	cr_expect_eq(e->type, c->type, "%s: type %u", c->line, e->type);
	cr_expect_eq(e->size, c->size, "%s: size", c->line);
	cr_expect_eq(e->mtime_s, c->mtime, "%s: mtime %lld", c->line,
	             (long long)e->mtime_s);
	if (c->date != NULL) {
		cr_expect_eq(e->date_len, strlen(c->date), "%s: date_len",
		             c->line);
		cr_expect(memcmp(c->line + e->date_off, c->date, e->date_len) ==
		              0,
		          "%s: date", c->line);
	} else {
		cr_expect_eq(e->date_len, 0, "%s: a date", c->line);
	}
}

Test(ftp_wire, mlsd_table)
{
	size_t i;

	for (i = 0; i < sizeof(mlsds) / sizeof(mlsds[0]); i++) {
		struct ftp_entry e;
		int rc = ftp_mlsd_parse(mlsds[i].line,
		                        (uint32_t)strlen(mlsds[i].line), &e);

		entry_check(&mlsds[i], rc, &e);
	}
}

Test(ftp_wire, list_table)
{
	size_t i;

	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		struct ftp_entry e;
		int rc = ftp_list_parse(lists[i].line,
		                        (uint32_t)strlen(lists[i].line), &e);

		entry_check(&lists[i], rc, &e);
	}
}

/* ---- URLs ---- */

static const struct {
	const char *t;
	int want;
	const char *user, *pass, *host, *path;
	uint16_t port;
	char type;
	bool dir;
} urls[] = {
    {"ftp://h/f", 0, NULL, NULL, "h", "f", 21, 0, false},
    {"FTP://h/", 0, NULL, NULL, "h", "", 21, 0, true},
    {"ftp://h", 0, NULL, NULL, "h", "", 21, 0, true},
    {"ftp://h:2121/pub/", 0, NULL, NULL, "h", "pub/", 2121, 0, true},
    {"ftp://h:/f", 0, NULL, NULL, "h", "f", 21, 0, false},
    {"ftp://u@h/f", 0, "u", NULL, "h", "f", 21, 0, false},
    {"ftp://u:p@h/f", 0, "u", "p", "h", "f", 21, 0, false},
    {"ftp://u:@h/f", 0, "u", "", "h", "f", 21, 0, false},
    {"ftp://u:p%40x@h/f", 0, "u", "p%40x", "h", "f", 21, 0, false},
    {"ftp://u:a@b@h/f", 0, "u", "a@b", "h", "f", 21, 0, false},
    {"ftp://h/pub;type=d", 0, NULL, NULL, "h", "pub", 21, 'd', true},
    {"ftp://h/f.txt;type=a", 0, NULL, NULL, "h", "f.txt", 21, 'a', false},
    {"ftp://h/f;TYPE=I", 0, NULL, NULL, "h", "f", 21, 'i', false},
    {"ftp://h/a%20b/c", 0, NULL, NULL, "h", "a%20b/c", 21, 0, false},
    {"ftp://h/f;type=x", -EINVAL, NULL, NULL, NULL, NULL, 0, 0, false},
    {"ftp://h/f;x=y", -EINVAL, NULL, NULL, NULL, NULL, 0, 0, false},
    {"ftp://h/f?q", -EINVAL, NULL, NULL, NULL, NULL, 0, 0, false},
    {"ftp://h/f#x", -EINVAL, NULL, NULL, NULL, NULL, 0, 0, false},
    {"ftp://h:0/f", -EINVAL, NULL, NULL, NULL, NULL, 0, 0, false},
    {"ftp://h:65536/f", -EINVAL, NULL, NULL, NULL, NULL, 0, 0, false},
    {"ftp://h:2x/f", -EINVAL, NULL, NULL, NULL, NULL, 0, 0, false},
    {"ftp:///f", -EINVAL, NULL, NULL, NULL, NULL, 0, 0, false},
    {"ftp://@h/f", -EINVAL, NULL, NULL, NULL, NULL, 0, 0, false},
    {"ftp://u@/f", -EINVAL, NULL, NULL, NULL, NULL, 0, 0, false},
    {"http://h/f", -EINVAL, NULL, NULL, NULL, NULL, 0, 0, false},
    {"ftp:/", -EINVAL, NULL, NULL, NULL, NULL, 0, 0, false},
};

static void
span_check(const char *t, uint32_t off, uint32_t len, const char *want,
           const char *what)
{
	cr_expect_eq(len, strlen(want), "%s: %s length %u", t, what, len);
	cr_expect(memcmp(t + off, want, len) == 0, "%s: %s", t, what);
}

Test(ftp_wire, url_table)
{
	size_t i;

	for (i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		struct ftp_url u;
		const char *t = urls[i].t;
		int rc = ftp_url_parse(t, (uint32_t)strlen(t), &u);

		cr_expect_eq(rc, urls[i].want, "%s: %d", t, rc);
		if (rc != 0)
			continue;
		cr_expect_eq(u.has_user, urls[i].user != NULL, "%s: user", t);
		if (urls[i].user != NULL)
			span_check(t, u.user_off, u.user_len, urls[i].user,
			           "user");
		cr_expect_eq(u.has_pass, urls[i].pass != NULL, "%s: pass", t);
		if (urls[i].pass != NULL)
			span_check(t, u.pass_off, u.pass_len, urls[i].pass,
			           "password");
		span_check(t, u.host_off, u.host_len, urls[i].host, "host");
		span_check(t, u.path_off, u.path_len, urls[i].path, "path");
		cr_expect_eq(u.port, urls[i].port, "%s: port %u", t, u.port);
		cr_expect_eq(u.type, urls[i].type, "%s: type", t);
		cr_expect_eq(u.dir, urls[i].dir, "%s: dir", t);
	}
}

static const struct {
	const char *in;
	int want;
	const char *out;
} decodes[] = {
    {"a%20b", 3, "a b"},
    {"%2Fetc", 4, "/etc"},
    {"p%40x", 3, "p@x"},
    {"%e2%82%ac", 3, "\xe2\x82\xac"},
    {"", 0, ""},
    {"a%0d%0aDELE%20x", -EINVAL, NULL},
    {"a%0Ab", -EINVAL, NULL},
    {"a%00b", -EINVAL, NULL},
    {"a%2", -EINVAL, NULL},
    {"a%", -EINVAL, NULL},
    {"a%zz", -EINVAL, NULL},
    {"0123456789abcdefX", -ENAMETOOLONG, NULL},
};

Test(ftp_wire, url_decode_table)
{
	size_t i;

	for (i = 0; i < sizeof(decodes) / sizeof(decodes[0]); i++) {
		char out[16];
		int rc = ftp_url_decode(decodes[i].in,
		                        (uint32_t)strlen(decodes[i].in), out,
		                        sizeof(out));

		cr_expect_eq(rc, decodes[i].want, "%s: %d", decodes[i].in, rc);
		if (rc >= 0)
			cr_expect(memcmp(out, decodes[i].out, (size_t)rc) == 0,
			          "%s", decodes[i].in);
	}
}

/* ---- statuses ---- */

Test(ftp_wire, http_status_map)
{
	cr_expect_eq(ftp_http_status(550, FTP_STEP_FILE, false), 404);
	cr_expect_eq(ftp_http_status(450, FTP_STEP_FILE, false), 404);
	cr_expect_eq(ftp_http_status(550, FTP_STEP_OTHER, false), 502);
	cr_expect_eq(ftp_http_status(530, FTP_STEP_LOGIN, false), 401);
	cr_expect_eq(ftp_http_status(530, FTP_STEP_LOGIN, true), 403);
	cr_expect_eq(ftp_http_status(421, FTP_STEP_GREETING, false), 503);
	cr_expect_eq(ftp_http_status(425, FTP_STEP_OTHER, false), 503);
	cr_expect_eq(ftp_http_status(500, FTP_STEP_OTHER, false), 502);
	cr_expect_eq(ftp_http_status(502, FTP_STEP_LOGIN, true), 502);
}
