/* See acl_test_util.h. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "acl_test_util.h"
#include "common/gh_common.h"

/* One line of a spec into <b>; 0 or the error. */
static int
acl_t_line(struct acl_build *b, char *line, uint32_t lineno,
           struct acl_err *err)
{
	char *save = NULL;
	char *w = strtok_r(line, " \t", &save);

	if (w == NULL)
		return 0;
	if (strcmp(w, "acl") == 0) {
		char *name = strtok_r(NULL, " \t", &save);
		char *kind = strtok_r(NULL, " \t", &save);
		char *rest = strtok_r(NULL, "", &save);
		int k = kind ? acl_kind_parse(kind) : -EINVAL;

		cr_assert(name != NULL && k > 0, "line %u: bad acl line",
		          lineno);
		return acl_elem_add(b, name, (enum acl_kind)k, rest, err);
	}
	cr_assert(strcmp(w, "allow") == 0 || strcmp(w, "deny") == 0,
	          "line %u: not a rule: %s", lineno, w);
	enum acl_action a = strcmp(w, "allow") == 0 ? ACL_ALLOW : ACL_DENY;
	const char *names[ACL_RULE_ELEMS_MAX + 4];
	int neg[ACL_RULE_ELEMS_MAX + 4];
	unsigned n = 0;

	while ((w = strtok_r(NULL, " \t", &save)) != NULL) {
		cr_assert(n < GH_ARRAY_SIZE(names));
		neg[n] = w[0] == '!';
		names[n++] = w + (w[0] == '!');
	}
	return acl_rule_add(b, a, lineno, names, neg, n, err);
}

/* Builds and compiles <spec> into <*out>; 0 or the first error. */
static int
acl_t_build(const char *spec, struct acl_set **out, struct acl_err *err)
{
	struct acl_build *b = acl_build_new();
	char *copy = strdup(spec);
	uint32_t lineno = 0;
	int rc = 0;

	cr_assert(b != NULL && copy != NULL);
	*out = NULL;
	/* line by line, empty ones counted, as a config file's */
	for (char *p = copy; p != NULL && rc == 0;) {
		char *nl = strchr(p, '\n');

		if (nl != NULL)
			*nl = '\0';
		lineno++;
		rc = acl_t_line(b, p, lineno, err);
		p = nl ? nl + 1 : NULL;
	}
	free(copy);
	if (rc != 0) {
		acl_build_free(b);
		return rc;
	}
	*out = acl_compile(b, err);
	return *out != NULL ? 0 : -errno;
}

int
acl_t_try(const char *spec, char *msg)
{
	struct acl_err err = {{0}};
	struct acl_set *s;
	int rc = acl_t_build(spec, &s, &err);

	acl_set_free(s);
	if (msg != NULL)
		memcpy(msg, err.msg, sizeof(err.msg));
	return rc;
}

struct acl_set *
acl_t_set(const char *spec)
{
	struct acl_err err = {{0}};
	struct acl_set *s;
	int rc = acl_t_build(spec, &s, &err);

	cr_assert_eq(rc, 0, "%s", err.msg);
	return s;
}

uint32_t
acl_t_ip(const char *dotted)
{
	struct in_addr in;

	cr_assert_eq(inet_pton(AF_INET, dotted, &in), 1, "%s", dotted);
	return ntohl(in.s_addr);
}

struct acl_verdict
acl_t_check(const struct acl_set *s, const struct acl_req *req)
{
	struct acl_verdict v;

	memset(&v, 0xa5, sizeof(v)); /* every field must be written */
	cr_assert_eq(acl_check(s, req, &v), 0);
	return v;
}
