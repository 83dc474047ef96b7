/*
 * libFuzzer harness of lib/auth's parsers of untrusted or operator text:
 * a Proxy-Authorization value (attacker input) and the users and groups
 * files.  Input: the first byte chooses; 'B': the rest is the field's
 * value (from a heap buffer of exactly its length, so ASan sees any read
 * past it); otherwise the rest is a users file, then, after a NUL byte, a
 * groups file.  crypt(3) is never called (too slow to fuzz; libxcrypt's
 * own business).
 * Checked: a credential parses to bounded parts with a ':' between them
 * and no control byte, or a documented error; a table loads with every
 * user findable at its index, sorted, groups within their bound, or fails
 * with "name:line: " in its message.  A broken contract aborts.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "common/gh_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_basic(const uint8_t *data, size_t size)
{
	char *v = malloc(size + 1);
	struct auth_cred c;
	uint32_t i;
	int rc;

	GH_VERIFY(v != NULL);
	memcpy(v, data, size);
	rc = auth_basic_parse(v, size, &c);
	GH_VERIFY(rc == 0 || rc == -ENOENT || rc == -EINVAL || rc == -E2BIG);
	if (rc == 0) {
		GH_VERIFY(c.user_len >= 1 && c.user_len <= AUTH_USER_MAX_BYTES);
		GH_VERIFY(c.pass_len <= AUTH_PASS_MAX_BYTES);
		GH_VERIFY(c.buf[c.user_len] == ':');
		GH_VERIFY(memchr(c.buf, ':', c.user_len) == NULL);
		for (i = 0; i < c.user_len + 1 + c.pass_len; i++)
			GH_VERIFY((unsigned char)c.buf[i] >= 0x20 &&
			          c.buf[i] != 0x7f);
	}
	free(v);
}

static void
fuzz_files(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t ulen = nul != NULL ? (size_t)(nul - data) : size;
	char err[256];
	struct auth_users *u;
	uint32_t i, n;

	u = auth_users_parse("u", (const char *)data, ulen, "g",
	                     nul != NULL ? (const char *)nul + 1 : NULL,
	                     nul != NULL ? size - ulen - 1 : 0, err,
	                     sizeof(err));
	if (u == NULL) {
		GH_VERIFY(errno == EINVAL || errno == E2BIG || errno == ENOMEM);
		GH_VERIFY(strncmp(err, "u:", 2) == 0 ||
		          strncmp(err, "g:", 2) == 0);
		return;
	}
	n = auth_users_count(u);
	for (i = 0; i < n; i++) {
		const struct auth_user *us = auth_user_at(u, i);

		GH_VERIFY(auth_user_find(u, us->name.p, us->name.len) ==
		          (int)i);
		GH_VERIFY(us->n_groups <= AUTH_USER_GROUPS_MAX);
		GH_VERIFY(us->hash[0] == '$');
	}
	auth_users_put(u);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] == 'B')
		fuzz_basic(data + 1, size - 1);
	else
		fuzz_files(data + 1, size - 1);
	return 0;
}
