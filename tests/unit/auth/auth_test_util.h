/*
 * Helpers of the lib/auth unit tests: fixture hashes (made with Python's
 * crypt module over libxcrypt and, for sha512-crypt, checked against
 * `openssl passwd -6 -salt saltsalt`) and a table from a string.
 */
#ifndef GH_AUTH_TEST_UTIL_H
#define GH_AUTH_TEST_UTIL_H

#include <string.h>

#include "auth/auth.h"

/* Each of these is the hash of FIX_PASS. */
#define FIX_PASS "correct horse"
#define FIX_YESCRYPT                                                        \
	"$y$j9T$7Gq2sT9vHfQwz1Xk5aPnE.$slnl9vo3NzlRv4yIMzNJwfTW8hfEaNFPx9l" \
	"Wivl2SmA"
#define FIX_BCRYPT_2B \
	"$2b$04$Qe1vo7.rj7aNHFjjRJVygOHS7CJ3HRll8U7YC4JQkdQMTkyFYX1JO"
#define FIX_BCRYPT_2Y \
	"$2y$04$abcdefghijklmnopqrstuujydOTSfIH/d5oUHpsygqV5X9xJLQc6e"
#define FIX_SHA512                                                          \
	"$6$saltsalt$hRM5XZ86KXEw9UOmjigeVqFgULtFB2sgpC9lXQDfMib3Zgw7mEiUv" \
	"BJI2EplzfAqxL5Vvwp2scFtv/uamSo5z0"
#define FIX_SHA512_ROUNDS                                                   \
	"$6$rounds=5000$abc$dv7vAygfDghQeO8lNAuLv4y4HAQXw9d6a14dcjFGfTijFc" \
	"0S6MgzM7g53hZv6MaGDXhNpGxhpXakWuTlqHtzn."
#define FIX_SHA256 "$5$saltsalt$myjXcpMpE2Ofk7fj9hqyNYSn6lmWG4Mqnjx.KIRRr4/"
#define FIX_MD5    "$1$abc$mEYYKBYwc4Odg5SoPgnFr/"
#define FIX_APR1   "$apr1$abcdefgh$82JubPF2dQkt1tVfvLnXS."
#define FIX_DES    "abhfCpXqd4GrI"

/* The table of users file <text> (and groups file <gtext>, or NULL), or
 * NULL with the message in <err> (AUTH_TEST_ERR_MAX bytes). */
#define AUTH_TEST_ERR_MAX 512
static inline struct auth_users *
users_of(const char *text, const char *gtext, char *err)
{
	return auth_users_parse("users", text, strlen(text), "groups", gtext,
	                        gtext != NULL ? strlen(gtext) : 0, err,
	                        AUTH_TEST_ERR_MAX);
}

/* A credential "user:pass" as auth_basic_parse would give it. */
static inline struct auth_cred
cred_of(const char *user, const char *pass)
{
	struct auth_cred c;

	memset(&c, 0, sizeof(c));
	c.user_len = (uint32_t)strlen(user);
	c.pass_len = (uint32_t)strlen(pass);
	memcpy(c.buf, user, c.user_len);
	c.buf[c.user_len] = ':';
	memcpy(c.buf + c.user_len + 1, pass, c.pass_len);
	return c;
}

#endif /* GH_AUTH_TEST_UTIL_H */
