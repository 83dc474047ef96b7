/*
 * lib/auth's users table: htpasswd and groups files parsed with
 * "file:line: message" errors, and every hash format checked against a
 * known hash of a known password (auth_check, the verifier's call).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "auth_test_util.h"

TestSuite(auth_users);

/* One line each: the format, its hash of FIX_PASS. */
static const struct {
	const char *name;
	const char *hash;
} formats[] = {
    {"yescrypt", FIX_YESCRYPT},
    {"bcrypt $2b$", FIX_BCRYPT_2B},
    {"bcrypt $2y$", FIX_BCRYPT_2Y},
    {"sha512-crypt", FIX_SHA512},
    {"sha512-crypt rounds", FIX_SHA512_ROUNDS},
    {"sha256-crypt", FIX_SHA256},
};

Test(auth_users, each_format_verifies_its_password_only)
{
	char text[512], err[AUTH_TEST_ERR_MAX];
	struct auth_cred good = cred_of("u", FIX_PASS);
	struct auth_cred bad = cred_of("u", FIX_PASS "!");
	struct auth_cred empty = cred_of("u", "");
	struct auth_cred prefix = cred_of("u", "correct hors");
	struct auth_users *u;
	size_t i;

	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		snprintf(text, sizeof(text), "u:%s\n", formats[i].hash);
		u = users_of(text, NULL, err);
		cr_assert_not_null(u, "%s: %s", formats[i].name, err);
		cr_assert_eq(auth_check(u, &good), 0, "%s", formats[i].name);
		cr_assert_eq(auth_check(u, &bad), -EACCES, "%s",
		             formats[i].name);
		cr_assert_eq(auth_check(u, &empty), -EACCES, "%s",
		             formats[i].name);
		cr_assert_eq(auth_check(u, &prefix), -EACCES, "%s",
		             formats[i].name);
		auth_users_put(u);
	}
}

Test(auth_users, unknown_user_and_nul_in_password_refused)
{
	char err[AUTH_TEST_ERR_MAX];
	struct auth_users *u = users_of("alice:" FIX_SHA512 "\n", NULL, err);
	struct auth_cred c = cred_of("bob", FIX_PASS);

	cr_assert_not_null(u, "%s", err);
	cr_assert_eq(auth_check(u, &c), -EACCES);
	/* "correct horse\0x": crypt would see "correct horse" */
	c = cred_of("alice", FIX_PASS "Xx");
	c.buf[6 + strlen(FIX_PASS)] = '\0';
	cr_assert_eq(auth_check(u, &c), -EACCES);
	auth_users_put(u);
}

/* Refused formats, each with its reason at its line. */
Test(auth_users, weak_and_unknown_formats_refused_at_their_line)
{
	static const struct {
		const char *hash;
		const char *want;
	} cases[] = {
	    {FIX_APR1, "users:2: user \"x\": MD5-apr1"},
	    {FIX_MD5, "users:2: user \"x\": MD5-crypt ($1$)"},
	    {FIX_DES, "users:2: user \"x\": DES-crypt"},
	    {"{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=", "users:2: user \"x\": {SHA}"},
	    {"$7$CU..../....abc", "users:2: user \"x\": unknown hash format"},
	    {"$6$sal;t$x", "users:2: user \"x\": libcrypt cannot check"},
	};
	char text[256], err[AUTH_TEST_ERR_MAX];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "ok:%s\nx:%s\n", FIX_SHA256,
		         cases[i].hash);
		cr_assert_null(users_of(text, NULL, err), "%s", cases[i].hash);
		cr_assert_eq(errno, EINVAL);
		cr_assert_eq(strncmp(err, cases[i].want, strlen(cases[i].want)),
		             0, "got \"%s\", want \"%s...\"", err,
		             cases[i].want);
	}
}

Test(auth_users, syntax_errors_name_file_and_line)
{
	static const struct {
		const char *text;
		const char *want;
	} cases[] = {
	    {"# c\n\nnocolon\n", "users:3: expected \"user:hash\""},
	    {":" FIX_SHA256 "\n", "users:1: user name must be 1 to 64"},
	    {"a b:" FIX_SHA256 "\n", "users:1: user name \"a b\": only"},
	    {"a:\n", "users:1: user \"a\" has no hash"},
	    {"a:" FIX_SHA256 "\nb:x\na:" FIX_SHA512 "\n",
	     "users:2: user \"b\": DES-crypt"},
	    {"a:" FIX_SHA256 "\nb:" FIX_SHA256 "\na:" FIX_SHA512 "\n",
	     "users:3: user \"a\" already listed at line 1"},
	    {"a:" FIX_SHA256 " junk\n", "users:1: user \"a\": a blank"},
	    {"a\0b:x\n", "users:1: NUL byte in line"},
	};
	char err[AUTH_TEST_ERR_MAX];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = i == 7 ? 6 : strlen(cases[i].text);

		cr_assert_null(auth_users_parse("users", cases[i].text, len,
		                                NULL, NULL, 0, err,
		                                sizeof(err)),
		               "case %zu", i);
		cr_assert_eq(strncmp(err, cases[i].want, strlen(cases[i].want)),
		             0, "case %zu: got \"%s\", want \"%s...\"", i, err,
		             cases[i].want);
	}
}

Test(auth_users, long_names_and_lines_bounded)
{
	char text[8192], err[AUTH_TEST_ERR_MAX];
	char name[AUTH_USER_MAX_BYTES + 2];

	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	snprintf(text, sizeof(text), "%s:%s\n", name, FIX_SHA256);
	cr_assert_null(users_of(text, NULL, err));
	cr_assert_str_eq(err, "users:1: user name must be 1 to 64 bytes");
	name[AUTH_USER_MAX_BYTES] = '\0'; /* 64: taken */
	snprintf(text, sizeof(text), "%s:%s\r\n", name, FIX_SHA256);
	auth_users_put(users_of(text, NULL, err));
	cr_assert_eq(err[0], '\0', "%s", err);
	memset(text, 'a', 5000);
	text[5000] = '\0';
	cr_assert_null(users_of(text, NULL, err));
	cr_assert_eq(errno, E2BIG);
	cr_assert_str_eq(err, "users:1: line longer than 4095 bytes");
}

Test(auth_users, lookup_sorted_and_groups)
{
	char err[AUTH_TEST_ERR_MAX];
	struct auth_users *u = users_of(
	    "carol:" FIX_SHA256 "\n  alice:" FIX_SHA256 "\r\nbob:" FIX_SHA256
	    "\n",
	    "# groups\nstaff: alice carol\nadmins:alice\nstaff: alice\n\n"
	    "empty:\n",
	    err);
	const struct auth_user *a;

	cr_assert_not_null(u, "%s", err);
	cr_assert_eq(auth_users_count(u), 3);
	cr_assert_eq(auth_user_find(u, "alice", 5), 0);
	cr_assert_eq(auth_user_find(u, "bob", 3), 1);
	cr_assert_eq(auth_user_find(u, "carol", 5), 2);
	cr_assert_eq(auth_user_find(u, "ali", 3), -ENOENT);
	cr_assert_eq(auth_user_find(u, "alicex", 6), -ENOENT);
	a = auth_user_at(u, 0);
	cr_assert_eq(a->n_groups, 2); /* staff twice counts once */
	cr_assert_eq(a->groups[0].len, 5);
	cr_assert_eq(memcmp(a->groups[0].p, "staff", 5), 0);
	cr_assert_eq(memcmp(a->groups[1].p, "admins", 6), 0);
	cr_assert_eq(auth_user_at(u, 1)->n_groups, 0);
	cr_assert_null(auth_user_at(u, 1)->groups);
	cr_assert_eq(auth_user_at(u, 2)->n_groups, 1);
	auth_users_put(u);
}

Test(auth_users, group_errors_name_the_groups_file)
{
	char err[AUTH_TEST_ERR_MAX];

	cr_assert_null(users_of("a:" FIX_SHA256 "\n", "g: a\nh: a zed\n", err));
	cr_assert_str_eq(err,
	                 "groups:2: group \"h\": no user \"zed\" in the users "
	                 "file");
	cr_assert_null(users_of("a:" FIX_SHA256 "\n", "g a\n", err));
	cr_assert_str_eq(err, "groups:1: expected \"group: user1 user2 ...\" "
	                      "(no ':')");
}

Test(auth_users, a_user_in_too_many_groups)
{
	char groups[4096], err[AUTH_TEST_ERR_MAX];
	size_t off = 0;
	int i;

	for (i = 0; i <= AUTH_USER_GROUPS_MAX; i++)
		off += (size_t)snprintf(groups + off, sizeof(groups) - off,
		                        "g%d: a\n", i);
	cr_assert_null(users_of("a:" FIX_SHA256 "\n", groups, err));
	cr_assert_eq(errno, E2BIG);
	cr_assert_str_eq(err, "groups:33: user \"a\" in more than 32 groups");
}

Test(auth_users, generations_differ_and_references_count)
{
	char err[AUTH_TEST_ERR_MAX];
	struct auth_users *a = users_of("a:" FIX_SHA256 "\n", NULL, err);
	struct auth_users *b = users_of("a:" FIX_SHA256 "\n", NULL, err);

	cr_assert_not_null(a);
	cr_assert_not_null(b);
	cr_assert_neq(auth_users_gen(a), auth_users_gen(b));
	auth_users_get(a);
	auth_users_put(a);
	cr_assert_eq(auth_user_find(a, "a", 1), 0); /* still ours */
	auth_users_put(a);
	auth_users_put(b);
	auth_users_put(NULL);
}

Test(auth_users, load_reports_missing_files)
{
	char err[AUTH_TEST_ERR_MAX];

	cr_assert_null(
	    auth_users_load("/nonexistent/users", NULL, err, sizeof(err)));
	cr_assert_eq(errno, ENOENT);
	cr_assert_str_eq(err, "/nonexistent/users: cannot open: No such file "
	                      "or directory");
}
