/*
 * libFuzzer harness of the FTP wire format (lib/proxy/ftp_wire.c).
 * Input: one control byte, then the text.
 *   byte 0: bits 0-2 pick the parser (0 replies, one after another, as a
 *   control connection would read them; 1 PASV; 2 EPSV; 3 MDTM and SIZE;
 *   4 MLSD; 5 LIST; 6 an ftp URL and its decoding; 7 all of 1-6).
 * Each parser reads an exact heap copy.  Replies must be whole within
 * the bounds (code 100..599, length within the input and FTP_REPLY_MAX,
 * the text inside the first line) and every prefix of a whole reply
 * must wait (FTP_AGAIN); listing entries must point inside their line;
 * URL spans inside the target; a decoded name holds no CR, LF or NUL.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/gh_common.h"
#include "proxy/ftp_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
replies(const char *p, uint32_t n)
{
	struct ftp_reply r, r2;
	uint32_t off = 0, k;
	int rc;

	while (off < n) {
		rc = ftp_reply_parse(p + off, n - off, &r);
		GH_VERIFY(rc == FTP_OK || rc == FTP_AGAIN || rc == FTP_ERROR);
		if (rc == FTP_ERROR)
			GH_VERIFY(r.why != NULL);
		if (rc != FTP_OK)
			return;
		GH_VERIFY(r.code >= 100 && r.code <= 599);
		GH_VERIFY(r.len > 0 && r.len <= n - off &&
		          r.len <= FTP_REPLY_MAX);
		GH_VERIFY(r.text_off + r.text_len <= r.len);
		GH_VERIFY(r.last_off >= r.text_off &&
		          r.last_off + r.last_len <= r.len);
		GH_VERIFY(memchr(p + off + r.text_off, '\n', r.text_len) ==
		          NULL);
		/* prefixes wait (a sample: the cost is quadratic) */
		for (k = 0; k < r.len; k += 1 + r.len / 16)
			GH_VERIFY(ftp_reply_parse(p + off, k, &r2) ==
			          FTP_AGAIN);
		off += r.len;
	}
}

static void
entry_check(int rc, const struct ftp_entry *e, uint32_t n)
{
	if (rc != 0) {
		GH_VERIFY(rc == -22); /* -EINVAL */
		return;
	}
	GH_VERIFY(e->name_len > 0 && e->name_off + e->name_len <= n);
	GH_VERIFY(e->date_off + e->date_len <= n);
	GH_VERIFY(e->type <= FTP_ENT_SELF);
}

static void
url(const char *p, uint32_t n)
{
	struct ftp_url u;
	char out[FTP_LIST_LINE_MAX];
	int k;

	if (ftp_url_parse(p, n, &u) != 0)
		return;
	GH_VERIFY(u.host_len > 0 && u.host_off + u.host_len <= n);
	GH_VERIFY(u.path_off + u.path_len <= n && u.port != 0);
	GH_VERIFY(u.user_off + u.user_len <= n && u.pass_off + u.pass_len <= n);
	GH_VERIFY(u.type == 0 || u.type == 'a' || u.type == 'i' ||
	          u.type == 'd');
	k = ftp_url_decode(p + u.path_off, u.path_len, out, sizeof(out));
	if (k >= 0) {
		GH_VERIFY((uint32_t)k <= u.path_len);
		GH_VERIFY(memchr(out, '\r', (size_t)k) == NULL &&
		          memchr(out, '\n', (size_t)k) == NULL &&
		          memchr(out, '\0', (size_t)k) == NULL);
	}
}

static void
one(unsigned which, const char *p, uint32_t n)
{
	struct ftp_entry e;
	uint32_t ip;
	uint16_t port;
	uint64_t sz;
	int64_t t;

	switch (which) {
	case 0:
		replies(p, n);
		break;
	case 1:
		if (ftp_pasv_parse(p, n, &ip, &port) == 0)
			GH_VERIFY(port != 0);
		break;
	case 2:
		if (ftp_epsv_parse(p, n, &port) == 0)
			GH_VERIFY(port != 0);
		break;
	case 3:
		if (ftp_mdtm_parse(p, n, &t) == 0)
			GH_VERIFY(t >= 0);
		if (ftp_size_parse(p, n, &sz) == 0)
			GH_VERIFY(sz <= (uint64_t)INT64_MAX);
		break;
	case 4:
		entry_check(ftp_mlsd_parse(p, n, &e), &e, n);
		break;
	case 5:
		entry_check(ftp_list_parse(p, n, &e), &e, n);
		break;
	default:
		url(p, n);
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned which, k;
	char *b;

	if (size < 1 || size > 2 * FTP_REPLY_MAX)
		return 0;
	which = data[0] & 7u;
	size--;
	b = malloc(size > 0 ? size : 1);
	GH_VERIFY(b != NULL);
	memcpy(b, data + 1, size);
	if (which != 7)
		one(which, b, (uint32_t)size);
	else
		for (k = 1; k < 7; k++)
			one(k, b, (uint32_t)size);
	free(b);
	return 0;
}
