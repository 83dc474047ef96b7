/*
 * Basic credentials (RFC 7617) from a Proxy-Authorization value: the
 * scheme, then token68 decoded as strict base64 (RFC 4648 section 4: a
 * length that is a multiple of four, padding only at the end, no unused
 * bits set, nothing outside the alphabet) into "user:pass", split at the
 * first ':'.  Bounded: the text is looked at only when it can hold a
 * credential within AUTH_CRED_MAX_BYTES.  Any thread; no state.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "auth/auth.h"
#include "common/gh_common.h"

/* The 6-bit value of base64 character <ch>, or -1. */
static int
b64_val(unsigned char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

/*
 * Decodes <n> bytes of strict base64 at <in> into <out> (room for
 * n / 4 * 3 bytes).  Returns the bytes written or -EINVAL.
 */
static int
b64_decode(const char *in, size_t n, char *out)
{
	size_t i, o = 0, pad = 0;
	uint32_t acc;
	int k, v;

	if (n == 0 || n % 4 != 0)
		return -EINVAL;
	if (in[n - 1] == '=')
		pad = in[n - 2] == '=' ? 2 : 1;
	for (i = 0; i < n; i += 4) {
		acc = 0;
		for (k = 0; k < 4; k++) {
			if (i + (size_t)k >= n - pad) {
				v = 0; /* the padding: checked below */
			} else {
				v = b64_val((unsigned char)in[i + (size_t)k]);
				if (v < 0)
					return -EINVAL;
			}
			acc = acc << 6 | (uint32_t)v;
		}
		out[o++] = (char)(acc >> 16);
		out[o++] = (char)(acc >> 8);
		out[o++] = (char)acc;
	}
	/* RFC 4648 3.5: the bits the padding leaves over must be zero */
	if ((pad == 1 && out[o - 1] != 0) ||
	    (pad == 2 && (out[o - 1] != 0 || out[o - 2] != 0)))
		return -EINVAL;
	return (int)(o - pad);
}

static bool
has_ctl(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
			return true;
	return false;
}

/* "user:pass" decoded into <dec> (<dlen> bytes, < 0: not base64) into
 * <out>: 0 or -EINVAL / -E2BIG as auth_basic_parse(). */
static int
basic_split(const char *dec, int dlen, struct auth_cred *out)
{
	const char *colon;

	if (dlen < 0)
		return -EINVAL;
	colon = memchr(dec, ':', (size_t)dlen);
	if (colon == NULL || colon == dec)
		return -EINVAL; /* no ':' or an empty user */
	out->user_len = (uint32_t)(colon - dec);
	out->pass_len = (uint32_t)dlen - out->user_len - 1;
	if (out->user_len > AUTH_USER_MAX_BYTES ||
	    out->pass_len > AUTH_PASS_MAX_BYTES)
		return -E2BIG;
	if (has_ctl(dec, (size_t)dlen))
		return -EINVAL;
	memcpy(out->buf, dec, (size_t)dlen);
	return 0;
}

int
auth_basic_parse(const char *val, size_t len, struct auth_cred *out)
{
	char dec[AUTH_B64_MAX_BYTES / 4 * 3];
	const char *tok;
	size_t n;
	int dlen, rc;

	GH_VERIFY(val != NULL && out != NULL);
	while (len > 0 && (val[len - 1] == ' ' || val[len - 1] == '\t'))
		len--;
	while (len > 0 && (*val == ' ' || *val == '\t')) {
		val++;
		len--;
	}
	if (len < 5 || strncasecmp(val, "basic", 5) != 0 ||
	    (len > 5 && val[5] != ' '))
		return -ENOENT;
	tok = val + 5; /* "Basic" alone: no token, -EINVAL below */
	n = len - 5;
	while (n > 0 && *tok == ' ') {
		tok++;
		n--;
	}
	if (n > AUTH_B64_MAX_BYTES)
		return -E2BIG;
	dlen = b64_decode(tok, n, dec);
	rc = basic_split(dec, dlen, out);
	explicit_bzero(dec, sizeof(dec)); /* a password: not left behind */
	return rc;
}
