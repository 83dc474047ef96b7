/*
 * lib/auth's Basic credentials (RFC 7617): the scheme, strict base64
 * (RFC 4648), the split at the first ':', and the bounds.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "auth_test_util.h"

TestSuite(auth_basic);

/* "Basic " and the base64 of <n> bytes at <p>, into <out>. */
static void
basic_of(const char *p, size_t n, char *out)
{
	static const char a[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i, o = 6;

	memcpy(out, "Basic ", 6);
	for (i = 0; i < n; i += 3) {
		unsigned v = (unsigned)(unsigned char)p[i] << 16;

		if (i + 1 < n)
			v |= (unsigned)(unsigned char)p[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)p[i + 2];
		out[o++] = a[v >> 18 & 63];
		out[o++] = a[v >> 12 & 63];
		out[o++] = i + 1 < n ? a[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? a[v & 63] : '=';
	}
	out[o] = '\0';
}

static int
parse(const char *v, struct auth_cred *c)
{
	return auth_basic_parse(v, strlen(v), c);
}

Test(auth_basic, a_credential_and_its_parts)
{
	struct auth_cred c;

	cr_assert_eq(parse("Basic YWxpY2U6c2VjcmV0", &c), 0);
	cr_assert_eq(c.user_len, 5);
	cr_assert_eq(c.pass_len, 6);
	cr_assert_eq(memcmp(c.buf, "alice:secret", 12), 0);
	/* scheme in any case, several spaces, blanks around */
	cr_assert_eq(parse("  bAsIc    YWxpY2U6c2VjcmV0 \t", &c), 0);
	cr_assert_eq(c.user_len, 5);
	/* the user ends at the first ':', the password may hold more */
	cr_assert_eq(parse("Basic YTpiOmM=", &c), 0); /* a:b:c */
	cr_assert_eq(c.user_len, 1);
	cr_assert_eq(c.pass_len, 3);
	cr_assert_eq(memcmp(c.buf + 2, "b:c", 3), 0);
	/* an empty password is a credential (checked, and refused) */
	cr_assert_eq(parse("Basic YWxpY2U6", &c), 0); /* alice: */
	cr_assert_eq(c.pass_len, 0);
	/* UTF-8 passes as bytes */
	cr_assert_eq(parse("Basic w6k6w6k=", &c), 0); /* é:é */
	cr_assert_eq(c.user_len, 2);
}

Test(auth_basic, other_schemes_are_not_basic)
{
	struct auth_cred c;

	cr_assert_eq(parse("Digest username=\"a\"", &c), -ENOENT);
	cr_assert_eq(parse("Bearer abc", &c), -ENOENT);
	cr_assert_eq(parse("BasicYWxpY2U6c2VjcmV0", &c), -ENOENT);
	cr_assert_eq(parse("", &c), -ENOENT);
}

Test(auth_basic, bad_base64_refused)
{
	static const char *const bad[] = {
	    "Basic ",                        /* nothing */
	    "basic",                         /* the scheme alone */
	    "Basic YWxpY2U6c2VjcmV0=",       /* not a multiple of 4 */
	    "Basic YWxpY2U6c2Vjc*V0",        /* outside the alphabet */
	    "Basic YWxp Y2U6c2VjcmV0",       /* a space inside */
	    "Basic YQ==YWxpY2U6",            /* padding inside */
	    "Basic YR==",                    /* bits after the last byte */
	    "Basic YWF=",                    /* the same with one '=' */
	    "Basic =QWE",                    /* padding first */
	    "Basic YWxpY2U6c2VjcmV0\r\nX: y" /* a line break */
	};
	struct auth_cred c;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(parse(bad[i], &c), -EINVAL, "%s", bad[i]);
}

Test(auth_basic, no_colon_empty_user_controls_refused)
{
	char v[64];
	struct auth_cred c;

	basic_of("alice", 5, v);
	cr_assert_eq(parse(v, &c), -EINVAL);
	basic_of(":secret", 7, v);
	cr_assert_eq(parse(v, &c), -EINVAL);
	basic_of("al\x01ice:s", 8, v);
	cr_assert_eq(parse(v, &c), -EINVAL);
	basic_of("alice:s\x7f", 8, v);
	cr_assert_eq(parse(v, &c), -EINVAL);
	basic_of("alice:s\0x", 9, v);
	cr_assert_eq(parse(v, &c), -EINVAL);
}

Test(auth_basic, bounds)
{
	char cred[AUTH_CRED_MAX_BYTES + 8], v[512];
	struct auth_cred c;

	/* 64-byte user, 128-byte password: the largest taken */
	memset(cred, 'u', AUTH_USER_MAX_BYTES);
	cred[AUTH_USER_MAX_BYTES] = ':';
	memset(cred + AUTH_USER_MAX_BYTES + 1, 'p', AUTH_PASS_MAX_BYTES);
	basic_of(cred, AUTH_CRED_MAX_BYTES, v);
	cr_assert_eq(parse(v, &c), 0);
	cr_assert_eq(c.user_len, AUTH_USER_MAX_BYTES);
	cr_assert_eq(c.pass_len, AUTH_PASS_MAX_BYTES);
	/* one more byte of password */
	cred[AUTH_CRED_MAX_BYTES] = 'p';
	basic_of(cred, AUTH_CRED_MAX_BYTES + 1, v);
	cr_assert_eq(parse(v, &c), -E2BIG);
	/* a 65-byte user */
	memset(cred, 'u', AUTH_USER_MAX_BYTES + 1);
	cred[AUTH_USER_MAX_BYTES + 1] = ':';
	basic_of(cred, AUTH_USER_MAX_BYTES + 3, v);
	cr_assert_eq(parse(v, &c), -E2BIG);
	/* kilobytes of base64: refused before decoding */
	memset(v + 6, 'Q', 400);
	v[406] = '\0';
	cr_assert_eq(parse(v, &c), -E2BIG);
}
