/*
 * libFuzzer harness of lib/acl: the config side (element values, rules)
 * and the request side (host, URL, header value: attacker input).
 * Input: text lines up to a line "--", each `acl NAME KIND VALUES` or
 * `allow|deny [!]NAME...`; everything after "--\n" is the request's host,
 * URL and User-Agent value at once (from a heap buffer of exactly its
 * length, so ASan sees any read past it).
 * Checked: a refused line has a message and a documented error; a set
 * compiles; a check returns 0 with a verdict whose rule is in range and
 * carries that rule's line, the same verdict twice; a default deny has no
 * rule.  A broken contract aborts (GH_VERIFY), which libFuzzer reports.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acl/acl.h"
#include "common/gh_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One config line into <b>; 0 or a documented error with its message. */
static void
fuzz_line(struct acl_build *b, char *line, uint32_t lineno)
{
	const char *names[ACL_RULE_ELEMS_MAX + 1];
	int neg[ACL_RULE_ELEMS_MAX + 1];
	struct acl_err err = {{0}};
	char *save = NULL;
	char *w = strtok_r(line, " ", &save);
	unsigned n = 0;
	int rc;

	if (w == NULL)
		return;
	if (strcmp(w, "acl") == 0) {
		char *name = strtok_r(NULL, " ", &save);
		char *kind = strtok_r(NULL, " ", &save);
		int k = kind ? acl_kind_parse(kind) : -EINVAL;

		if (name == NULL || k < 0)
			return;
		rc = acl_elem_add(b, name, (enum acl_kind)k,
		                  strtok_r(NULL, "", &save), &err);
	} else {
		while ((w = strtok_r(NULL, " ", &save)) != NULL &&
		       n <= ACL_RULE_ELEMS_MAX) {
			neg[n] = w[0] == '!';
			names[n] = w + neg[n];
			n++;
		}
		rc = acl_rule_add(b, line[0] == 'a' ? ACL_ALLOW : ACL_DENY,
		                  lineno, names, neg, n, &err);
	}
	GH_VERIFY(rc == 0 || rc == -EINVAL || rc == -E2BIG);
	GH_VERIFY(rc == 0 || err.msg[0] != '\0');
}

static int
fuzz_header(const void *ctx, const char *name, size_t len, const char **val,
            size_t *vlen)
{
	const struct acl_str *ua = ctx;

	if (len != 10 || strncasecmp(name, "user-agent", 10) != 0)
		return -ENOENT;
	*val = ua->p;
	*vlen = ua->len;
	return 0;
}

static void
fuzz_check(const struct acl_set *s, const char *req, size_t len)
{
	static struct acl_scratch *sc;
	struct acl_str ua = {req, len};
	struct acl_req r = {.flags = ACL_REQ_DST | ACL_REQ_USER,
	                    .src_ip = 0x0a000001,
	                    .dst_ip = 0x5db8d822,
	                    .dst_port = 443,
	                    .week_sec = 200000,
	                    .method = {"GET", 3},
	                    .scheme = {"http", 4},
	                    .host = {req, len},
	                    .url = {req, len},
	                    .user = {req, len < 8 ? len : 8},
	                    .groups = &ua,
	                    .n_groups = 1,
	                    .header = fuzz_header,
	                    .header_ctx = &ua};
	struct acl_verdict v, again;

	if (sc == NULL)
		sc = acl_scratch_new();
	r.scratch = sc;
	GH_VERIFY(acl_check(s, &r, &v) == 0);
	GH_VERIFY(acl_check(s, &r, &again) == 0);
	GH_VERIFY(memcmp(&v, &again, sizeof(v)) == 0);
	GH_VERIFY(v.action == ACL_ALLOW || v.action == ACL_DENY);
	if (v.reason == ACL_R_DEFAULT)
		GH_VERIFY(v.rule == -1 && v.line == 0 && v.action == ACL_DENY);
	else
		GH_VERIFY(v.rule >= 0 && (unsigned)v.rule < acl_set_rules(s));
	if (v.action == ACL_ALLOW)
		GH_VERIFY(v.reason == ACL_R_RULE);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *sep = memmem(data, size, "\n--\n", 4);
	size_t cfg_len = sep ? (size_t)(sep - data) : size;
	size_t req_len = sep ? size - cfg_len - 4 : 0;
	char *cfg = malloc(cfg_len + 1), *req = malloc(req_len + 1);
	struct acl_build *b = acl_build_new();
	struct acl_err err;
	uint32_t lineno = 0;

	GH_VERIFY(cfg != NULL && req != NULL && b != NULL);
	memcpy(cfg, data, cfg_len);
	cfg[cfg_len] = '\0';
	memcpy(req, sep ? sep + 4 : data, req_len);
	for (char *p = cfg; p != NULL && lineno < 256;) {
		char *nl = strchr(p, '\n');

		if (nl != NULL)
			*nl = '\0';
		fuzz_line(b, p, ++lineno);
		p = nl ? nl + 1 : NULL;
	}
	struct acl_set *s = acl_compile(b, &err);

	GH_VERIFY(s != NULL);
	fuzz_check(s, req, req_len);
	acl_set_free(s);
	free(cfg);
	free(req);
	return 0;
}
