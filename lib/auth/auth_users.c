/*
 * The users table (see auth.h): an htpasswd file of "user:hash" lines and
 * an optional groups file of "group: user1 user2" lines, read once on the
 * control thread into a table sorted by name (a binary search per
 * lookup), then only read.  The two files' text is copied into the table
 * and the names and hashes point into that copy.  Errors are
 * "<file>:<line>: what is wrong", the first in file order.
 */
#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth/auth.h"
#include "common/gh_common.h"

#define AUTH_USERS_MAGIC 0x61757301u

struct auth_users {
	unsigned magic;
	uint32_t refs; /* __atomic */
	uint64_t gen;
	uint32_t n_users;
	struct auth_user *users;      /* sorted by name */
	struct auth_name *group_refs; /* every user's groups, one block */
	char *text;  /* the users file's text, NULs written in */
	char *gtext; /* the groups file's, or NULL */
};

static uint64_t auth_gen_next = 1; /* __atomic */

/* A user while the file is read: the line for messages. */
struct user_tmp {
	struct auth_user u;
	unsigned line;
};

/* One membership while the groups file is read. */
struct member_tmp {
	uint32_t user;
	struct auth_name group;
};

struct parse {
	const char *name;
	char *err;
	size_t errlen;
	struct user_tmp *tmp;
	uint32_t n, cap;
	struct member_tmp *mem;
	uint32_t n_mem, cap_mem;
	struct auth_users *users; /* the table the groups file fills */
};

__attribute__((format(printf, 4, 5))) static int
fail(struct parse *ps, unsigned line, int rc, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (ps->err == NULL || ps->errlen == 0)
		return rc;
	if (line != 0)
		n = snprintf(ps->err, ps->errlen, "%s:%u: ", ps->name, line);
	else
		n = snprintf(ps->err, ps->errlen, "%s: ", ps->name);
	if (n < 0 || (size_t)n >= ps->errlen)
		return rc;
	va_start(ap, fmt);
	vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return rc;
}

/* A byte a group name or a hash may hold: printable ASCII but space
 * and ':'. */
static bool
name_byte(unsigned char ch)
{
	return ch > 0x20 && ch < 0x7f && ch != ':';
}

/* A byte a user name may hold: letters, digits and . _ @ + - (so that
 * the access log never has to escape one). */
static bool
user_byte(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') ||
	       (ch != 0 && strchr("._@+-", ch) != NULL);
}

/*
 * Why the crypt(3) string <h> is refused, or NULL when it is a format we
 * take and libcrypt can check.
 */
static const char *
hash_problem(const char *h)
{
	static const char *const ok[] = {"$y$",  "$2b$", "$2y$",
	                                 "$2a$", "$6$",  "$5$"};
	size_t i;
	int rc;

	if (strncmp(h, "$apr1$", 6) == 0)
		return "MD5-apr1 ($apr1$, Apache's) hashes are refused: "
		       "libcrypt cannot check them; use yescrypt, bcrypt or "
		       "sha512-crypt (htpasswd -B, mkpasswd -m yescrypt)";
	if (strncmp(h, "$1$", 3) == 0)
		return "MD5-crypt ($1$) hashes are refused (weak); use "
		       "yescrypt, bcrypt or sha512-crypt";
	if (strncmp(h, "{SHA}", 5) == 0)
		return "{SHA} hashes are refused (unsalted); use yescrypt, "
		       "bcrypt or sha512-crypt";
	if (h[0] != '$')
		return "DES-crypt (or plain text) is refused; use yescrypt, "
		       "bcrypt or sha512-crypt";
	for (i = 0; i < GH_ARRAY_SIZE(ok); i++)
		if (strncmp(h, ok[i], strlen(ok[i])) == 0)
			break;
	if (i == GH_ARRAY_SIZE(ok))
		return "unknown hash format (yescrypt $y$, bcrypt $2b$/$2y$, "
		       "sha512-crypt $6$, sha256-crypt $5$ are taken)";
	/* LEGACY ($5$ here) is checked as well as the others */
	rc = crypt_checksalt(h);
	if (rc != CRYPT_SALT_OK && rc != CRYPT_SALT_METHOD_LEGACY)
		return "libcrypt cannot check this hash (bad salt or "
		       "parameters, or the method is disabled)";
	return NULL;
}

/*
 * Splits <text> of <len> bytes into lines in place (NUL for '\n', a
 * '\r' before it dropped), calling <fn> for each that is not empty nor a
 * '#' comment.
 */
static int
each_line(struct parse *ps, char *text, size_t len,
          int (*fn)(struct parse *ps, unsigned line, char *s))
{
	unsigned line = 0;
	size_t i = 0, n;
	char *s, *nl;
	int rc;

	while (i < len) {
		s = text + i;
		nl = memchr(s, '\n', len - i);
		n = nl != NULL ? (size_t)(nl - s) : len - i;
		line++;
		i += n + 1;
		if (n > AUTH_LINE_MAX_BYTES)
			return fail(ps, line, -E2BIG,
			            "line longer than %u bytes",
			            AUTH_LINE_MAX_BYTES);
		if (memchr(s, '\0', n) != NULL)
			return fail(ps, line, -EINVAL, "NUL byte in line");
		s[n] = '\0';
		if (n > 0 && s[n - 1] == '\r')
			s[--n] = '\0';
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0' || *s == '#')
			continue;
		rc = fn(ps, line, s);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int
user_line(struct parse *ps, unsigned line, char *s)
{
	char *colon = strchr(s, ':'), *h, *end;
	struct user_tmp *nt;
	size_t i, ulen;
	const char *why;
	uint32_t cap;

	if (colon == NULL)
		return fail(ps, line, -EINVAL,
		            "expected \"user:hash\" (no ':')");
	ulen = (size_t)(colon - s);
	if (ulen == 0 || ulen > AUTH_USER_MAX_BYTES)
		return fail(ps, line, -EINVAL,
		            "user name must be 1 to %u bytes",
		            AUTH_USER_MAX_BYTES);
	for (i = 0; i < ulen; i++)
		if (!user_byte((unsigned char)s[i]))
			return fail(ps, line, -EINVAL,
			            "user name \"%.*s\": only letters, digits "
			            "and . _ @ + - are taken",
			            (int)ulen, s);
	h = colon + 1;
	end = h + strlen(h);
	while (end > h && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	if (*h == '\0')
		return fail(ps, line, -EINVAL, "user \"%.*s\" has no hash",
		            (int)ulen, s);
	if ((size_t)(end - h) > AUTH_HASH_MAX_BYTES)
		return fail(ps, line, -E2BIG,
		            "user \"%.*s\": hash longer than %u bytes",
		            (int)ulen, s, AUTH_HASH_MAX_BYTES);
	for (i = 0; h[i] != '\0'; i++)
		if (!name_byte((unsigned char)h[i]) && h[i] != ':')
			return fail(ps, line, -EINVAL,
			            "user \"%.*s\": a blank or control "
			            "character in the hash",
			            (int)ulen, s);
	why = hash_problem(h);
	if (why != NULL)
		return fail(ps, line, -EINVAL, "user \"%.*s\": %s", (int)ulen,
		            s, why);
	if (ps->n == AUTH_USERS_MAX)
		return fail(ps, line, -E2BIG, "more than %u users",
		            AUTH_USERS_MAX);
	if (ps->n == ps->cap) {
		cap = ps->cap != 0 ? ps->cap * 2 : 64;
		nt = realloc(ps->tmp, cap * sizeof(*nt));
		if (nt == NULL)
			return fail(ps, line, -ENOMEM, "out of memory");
		ps->tmp = nt;
		ps->cap = cap;
	}
	*colon = '\0';
	ps->tmp[ps->n++] = (struct user_tmp){
	    .u = {.name = {s, (uint32_t)ulen}, .hash = h}, .line = line};
	return 0;
}

static int
name_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c != 0)
		return c;
	return alen < blen ? -1 : alen > blen;
}

static int
user_tmp_cmp(const void *x, const void *y)
{
	const struct user_tmp *a = x, *b = y;
	int c =
	    name_cmp(a->u.name.p, a->u.name.len, b->u.name.p, b->u.name.len);

	if (c != 0)
		return c;
	return a->line < b->line ? -1 : a->line > b->line;
}

static int
find_in(const struct auth_user *users, uint32_t n, const char *name, size_t len)
{
	uint32_t lo = 0, hi = n, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = name_cmp(users[mid].name.p, users[mid].name.len, name, len);
		if (c == 0)
			return (int)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -ENOENT;
}

/* ---- the groups file ---- */

static int
group_add_member(struct parse *ps, unsigned line, struct auth_name g,
                 const char *user)
{
	struct auth_users *gu = ps->users;
	struct member_tmp *nm;
	uint32_t cap;
	int idx = find_in(gu->users, gu->n_users, user, strlen(user));

	if (idx < 0)
		return fail(ps, line, -EINVAL,
		            "group \"%.*s\": no user \"%s\" in the users file",
		            (int)g.len, g.p, user);
	if (++gu->users[idx].n_groups > AUTH_USER_GROUPS_MAX)
		return fail(ps, line, -E2BIG,
		            "user \"%s\" in more than %u groups", user,
		            AUTH_USER_GROUPS_MAX);
	if (ps->n_mem == ps->cap_mem) {
		cap = ps->cap_mem != 0 ? ps->cap_mem * 2 : 64;
		nm = realloc(ps->mem, cap * sizeof(*nm));
		if (nm == NULL)
			return fail(ps, line, -ENOMEM, "out of memory");
		ps->mem = nm;
		ps->cap_mem = cap;
	}
	ps->mem[ps->n_mem++] = (struct member_tmp){(uint32_t)idx, g};
	return 0;
}

static int
group_line(struct parse *ps, unsigned line, char *s)
{
	char *colon = strchr(s, ':'), *u, *next;
	struct auth_name g;
	size_t i;
	int rc;

	if (colon == NULL)
		return fail(ps, line, -EINVAL,
		            "expected \"group: user1 user2 ...\" (no ':')");
	g = (struct auth_name){s, (uint32_t)(colon - s)};
	if (g.len == 0 || g.len > AUTH_GROUP_MAX_BYTES)
		return fail(ps, line, -EINVAL,
		            "group name must be 1 to %u bytes",
		            AUTH_GROUP_MAX_BYTES);
	for (i = 0; i < g.len; i++)
		if (!name_byte((unsigned char)s[i]))
			return fail(
			    ps, line, -EINVAL,
			    "group name \"%.*s\" has a blank or control "
			    "character",
			    (int)g.len, s);
	*colon = '\0';
	/* Each turn consumes at least one byte of the line. */
	for (u = colon + 1; *u != '\0'; u = next) {
		while (*u == ' ' || *u == '\t')
			u++;
		if (*u == '\0')
			break;
		next = u + strcspn(u, " \t");
		if (*next != '\0')
			*next++ = '\0';
		rc = group_add_member(ps, line, g, u);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Each user's groups, into one block. */
static int
groups_place(struct parse *ps, struct auth_users *u)
{
	uint32_t i, off = 0;

	if (ps->n_mem == 0)
		return 0;
	u->group_refs = calloc(ps->n_mem, sizeof(*u->group_refs));
	if (u->group_refs == NULL)
		return fail(ps, 0, -ENOMEM, "out of memory");
	for (i = 0; i < u->n_users; i++) {
		u->users[i].groups =
		    u->users[i].n_groups != 0 ? u->group_refs + off : NULL;
		off += u->users[i].n_groups;
		u->users[i].n_groups = 0;
	}
	GH_VERIFY(off == ps->n_mem);
	for (i = 0; i < ps->n_mem; i++) {
		struct auth_user *us = &u->users[ps->mem[i].user];
		const struct auth_name *g = &ps->mem[i].group;
		uint32_t j;

		/* a group listed twice for a user counts once (<= 32) */
		for (j = 0; j < us->n_groups; j++)
			if (name_cmp(us->groups[j].p, us->groups[j].len, g->p,
			             g->len) == 0)
				break;
		if (j == us->n_groups)
			us->groups[us->n_groups++] = *g;
	}
	return 0;
}

static char *
text_copy(const char *text, size_t len)
{
	char *t = malloc(len + 1);

	if (t != NULL) {
		memcpy(t, text, len);
		t[len] = '\0';
	}
	return t;
}

static void
users_free(struct auth_users *u)
{
	if (u == NULL)
		return;
	u->magic = 0;
	free(u->users);
	free(u->group_refs);
	free(u->text);
	free(u->gtext);
	free(u);
}

/* The users of <ps> sorted into <u>; a name twice is an error at the
 * second line. */
static int
users_place(struct parse *ps, struct auth_users *u)
{
	uint32_t i;

	if (ps->n > 1) /* a file without users: tmp is NULL (C11 7.22.5) */
		qsort(ps->tmp, ps->n, sizeof(*ps->tmp), user_tmp_cmp);
	for (i = 1; i < ps->n; i++)
		if (name_cmp(ps->tmp[i].u.name.p, ps->tmp[i].u.name.len,
		             ps->tmp[i - 1].u.name.p,
		             ps->tmp[i - 1].u.name.len) == 0)
			return fail(ps, ps->tmp[i].line, -EINVAL,
			            "user \"%.*s\" already listed at line %u",
			            (int)ps->tmp[i].u.name.len,
			            ps->tmp[i].u.name.p, ps->tmp[i - 1].line);
	u->users = calloc(ps->n + 1, sizeof(*u->users));
	if (u->users == NULL)
		return fail(ps, 0, -ENOMEM, "out of memory");
	for (i = 0; i < ps->n; i++)
		u->users[i] = ps->tmp[i].u;
	u->n_users = ps->n;
	return 0;
}

struct auth_users *
auth_users_parse(const char *name, const char *text, size_t len,
                 const char *gname, const char *gtext, size_t glen, char *err,
                 size_t errlen)
{
	struct parse ps = {.name = name != NULL ? name : "(users)",
	                   .err = err,
	                   .errlen = errlen};
	struct auth_users *u = calloc(1, sizeof(*u));
	int rc = -ENOMEM;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (u == NULL || (u->text = text_copy(text, len)) == NULL) {
		fail(&ps, 0, rc, "out of memory");
		goto out;
	}
	u->magic = AUTH_USERS_MAGIC;
	u->refs = 1;
	u->gen = __atomic_fetch_add(&auth_gen_next, 1, __ATOMIC_RELAXED);
	rc = each_line(&ps, u->text, len, user_line);
	if (rc == 0)
		rc = users_place(&ps, u);
	if (rc == 0 && gtext != NULL) {
		ps.name = gname != NULL ? gname : "(groups)";
		u->gtext = text_copy(gtext, glen);
		if (u->gtext == NULL) {
			rc = fail(&ps, 0, -ENOMEM, "out of memory");
			goto out;
		}
		ps.users = u;
		rc = each_line(&ps, u->gtext, glen, group_line);
		if (rc == 0)
			rc = groups_place(&ps, u);
	}
out:
	free(ps.tmp);
	free(ps.mem);
	if (rc < 0) {
		users_free(u);
		errno = -rc;
		return NULL;
	}
	return u;
}

/* Reads all of <path> (a regular file of at most AUTH_FILE_MAX_BYTES). */
static int
read_file(const char *path, char **out, size_t *out_len, char *err,
          size_t errlen)
{
	struct stat st;
	size_t len = 0;
	char *buf = NULL;
	ssize_t n;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: cannot open: %s", path,
		         strerror(errno));
		return rc;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size > AUTH_FILE_MAX_BYTES) {
		rc = -EINVAL;
		snprintf(err, errlen,
		         "%s: not a regular file of at most %u "
		         "bytes",
		         path, AUTH_FILE_MAX_BYTES);
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		rc = -ENOMEM;
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	while (len < (size_t)st.st_size) {
		n = read(fd, buf + len, (size_t)st.st_size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -errno : -EIO;
			snprintf(err, errlen, "%s: cannot read: %s", path,
			         strerror(-rc));
			goto out;
		}
		len += (size_t)n;
	}
	*out = buf;
	*out_len = len;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return rc;
}

struct auth_users *
auth_users_load(const char *users_path, const char *groups_path, char *err,
                size_t errlen)
{
	char *text = NULL, *gtext = NULL;
	size_t len = 0, glen = 0;
	struct auth_users *u = NULL;
	int rc, saved;

	GH_VERIFY(users_path != NULL && err != NULL && errlen > 0);
	err[0] = '\0';
	rc = read_file(users_path, &text, &len, err, errlen);
	if (rc == 0 && groups_path != NULL)
		rc = read_file(groups_path, &gtext, &glen, err, errlen);
	if (rc == 0) {
		u = auth_users_parse(users_path, text, len, groups_path, gtext,
		                     glen, err, errlen);
		rc = u == NULL ? -errno : 0;
	}
	saved = -rc;
	free(text);
	free(gtext);
	errno = saved;
	return u;
}

void
auth_users_get(struct auth_users *u)
{
	GH_CHECK_OBJ_NOTNULL(u, AUTH_USERS_MAGIC);
	__atomic_fetch_add(&u->refs, 1, __ATOMIC_RELAXED);
}

void
auth_users_put(struct auth_users *u)
{
	if (u == NULL)
		return;
	GH_CHECK_OBJ(u, AUTH_USERS_MAGIC);
	if (__atomic_sub_fetch(&u->refs, 1, __ATOMIC_ACQ_REL) == 0)
		users_free(u);
}

uint64_t
auth_users_gen(const struct auth_users *u)
{
	GH_CHECK_OBJ_NOTNULL(u, AUTH_USERS_MAGIC);
	return u->gen;
}

uint32_t
auth_users_count(const struct auth_users *u)
{
	GH_CHECK_OBJ_NOTNULL(u, AUTH_USERS_MAGIC);
	return u->n_users;
}

int
auth_user_find(const struct auth_users *u, const char *name, size_t len)
{
	GH_CHECK_OBJ_NOTNULL(u, AUTH_USERS_MAGIC);
	return find_in(u->users, u->n_users, name, len);
}

const struct auth_user *
auth_user_at(const struct auth_users *u, uint32_t idx)
{
	GH_CHECK_OBJ_NOTNULL(u, AUTH_USERS_MAGIC);
	GH_VERIFY(idx < u->n_users);
	return &u->users[idx];
}
