/*
 * The builder: the config layer's side of lib/acl.  Elements are kept by
 * name (a small open-addressing table, so 100,000 elements add in linear
 * time), their values in growable arrays, rules as element indexes.  All of
 * it runs on the control thread and may allocate; acl_compile() turns it
 * into the immutable set.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "acl_priv.h"

static const char *const acl_kind_names[ACL_KIND_COUNT] = {
    [ACL_KIND_SRC] = "src",
    [ACL_KIND_DST] = "dst",
    [ACL_KIND_DSTDOMAIN] = "dstdomain",
    [ACL_KIND_PORT] = "port",
    [ACL_KIND_METHOD] = "method",
    [ACL_KIND_URL_PREFIX] = "url_prefix",
    [ACL_KIND_URL_REGEX] = "url_regex",
    [ACL_KIND_SCHEME] = "scheme",
    [ACL_KIND_CONNECT] = "connect",
    [ACL_KIND_USER] = "user",
    [ACL_KIND_GROUP] = "group",
    [ACL_KIND_TIME] = "time",
    [ACL_KIND_HEADER] = "header",
};

const char *
acl_kind_name(enum acl_kind kind)
{
	if (kind <= 0 || kind >= ACL_KIND_COUNT)
		return "?";
	return acl_kind_names[kind];
}

int
acl_kind_parse(const char *word)
{
	for (int k = 1; k < ACL_KIND_COUNT; k++)
		if (strcmp(word, acl_kind_names[k]) == 0)
			return k;
	return -EINVAL;
}

uint32_t
acl_week_sec(const struct tm *tm)
{
	unsigned wday = (unsigned)tm->tm_wday % 7u;
	unsigned h = (unsigned)tm->tm_hour % 24u;
	unsigned m = (unsigned)tm->tm_min % 60u;
	unsigned s = tm->tm_sec < 0 ? 0u : (unsigned)tm->tm_sec % 61u;

	if (s > 59) /* a leap second counts as the minute's last */
		s = 59;
	return (uint32_t)(wday * 86400u + h * 3600u + m * 60u + s);
}

int
acl_errf(struct acl_err *err, int rc, const char *what, const char *val,
         size_t val_len, const char *tail)
{
	if (err == NULL)
		return rc;
	if (val_len > 64) /* the start of a long value is enough to find it */
		val_len = 64;
	snprintf(err->msg, sizeof(err->msg), "%s '%.*s'%s", what, (int)val_len,
	         val, tail != NULL ? tail : "");
	return rc;
}

static void
acl_err_set(struct acl_err *err, const char *msg)
{
	if (err != NULL)
		snprintf(err->msg, sizeof(err->msg), "%s", msg);
}

struct acl_build *
acl_build_new(void)
{
	struct acl_build *b = calloc(1, sizeof(*b));

	if (b == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	b->magic = ACL_BUILD_MAGIC;
	return b;
}

void
acl_build_free(struct acl_build *b)
{
	if (b == NULL)
		return;
	GH_CHECK_OBJ(b, ACL_BUILD_MAGIC);
	for (uint32_t i = 0; i < b->n_elems; i++) {
		struct acl_belem *e = &b->elems[i];

		if (e->kind == ACL_KIND_URL_REGEX || e->kind == ACL_KIND_HEADER)
			for (uint32_t j = 0; j < e->n; j++)
				pcre2_code_free(
				    ((struct acl_rx *)e->items)[j].code);
		free(e->items);
		free(e->blob);
		free(e->week);
	}
	free(b->elems);
	free(b->names);
	free(b->rules);
	b->magic = 0;
	free(b);
}

static uint64_t
acl_name_hash(const char *name)
{
	uint64_t h = ACL_FNV_OFFSET;

	for (; *name != '\0'; name++)
		h = acl_hash_step(h, (unsigned char)*name);
	return h;
}

/* The index of element <name>, or -ENOENT. */
static int64_t
acl_name_find(const struct acl_build *b, const char *name)
{
	if (b->names_cap == 0)
		return -ENOENT;
	uint32_t mask = b->names_cap - 1;
	uint32_t i = (uint32_t)acl_name_hash(name) & mask;

	for (uint32_t probes = 0; probes < b->names_cap; probes++) {
		uint32_t v = b->names[i];

		if (v == 0)
			return -ENOENT;
		if (strcmp(b->elems[v - 1].name, name) == 0)
			return v - 1;
		i = (i + 1) & mask;
	}
	return -ENOENT;
}

static void
acl_name_put(uint32_t *tab, uint32_t cap, const char *name, uint32_t idx)
{
	uint32_t i = (uint32_t)acl_name_hash(name) & (cap - 1);

	while (tab[i] != 0)
		i = (i + 1) & (cap - 1);
	tab[i] = idx + 1;
}

/* Room for one more element (name table kept under half full). */
static int
acl_elems_grow(struct acl_build *b)
{
	if (b->n_elems >= ACL_ELEMS_MAX)
		return -E2BIG;
	if (b->n_elems == b->cap_elems) {
		uint32_t cap = b->cap_elems ? b->cap_elems * 2 : 16;
		struct acl_belem *n = realloc(b->elems, cap * sizeof(*n));

		if (n == NULL)
			return -ENOMEM;
		b->elems = n;
		b->cap_elems = cap;
	}
	if ((b->n_elems + 1) * 2 > b->names_cap) {
		uint32_t cap = b->names_cap ? b->names_cap * 2 : 32;
		uint32_t *t = calloc(cap, sizeof(*t));

		if (t == NULL)
			return -ENOMEM;
		for (uint32_t i = 0; i < b->n_elems; i++)
			acl_name_put(t, cap, b->elems[i].name, i);
		free(b->names);
		b->names = t;
		b->names_cap = cap;
	}
	return 0;
}

static bool
acl_name_ok(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > ACL_NAME_MAX_BYTES)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (!isalnum(c) && c != '_' && c != '-' && c != '.')
			return false;
	}
	return true;
}

static size_t
acl_item_size(enum acl_kind kind)
{
	switch (kind) {
	case ACL_KIND_SRC:
	case ACL_KIND_DST:
	case ACL_KIND_PORT:
		return sizeof(struct acl_r32);
	case ACL_KIND_DSTDOMAIN:
		return sizeof(struct acl_dom);
	case ACL_KIND_URL_REGEX:
	case ACL_KIND_HEADER:
		return sizeof(struct acl_rx);
	default:
		return sizeof(struct acl_sref);
	}
}

/* Element <name> of <kind>, made if new; NULL with <*rc> and <err> set. */
static struct acl_belem *
acl_elem_get(struct acl_build *b, const char *name, enum acl_kind kind, int *rc,
             struct acl_err *err)
{
	int64_t idx = acl_name_find(b, name);

	if (idx >= 0) {
		struct acl_belem *e = &b->elems[idx];

		if (e->kind == kind)
			return e;
		*rc = -EINVAL;
		if (err != NULL)
			snprintf(err->msg, sizeof(err->msg),
			         "acl '%s' is a %s, not a %s", name,
			         acl_kind_name(e->kind), acl_kind_name(kind));
		return NULL;
	}
	*rc = acl_elems_grow(b);
	if (*rc < 0) {
		acl_err_set(err, *rc == -E2BIG ? "too many acl elements"
		                               : "out of memory");
		return NULL;
	}
	struct acl_belem *e = &b->elems[b->n_elems];

	memset(e, 0, sizeof(*e));
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->kind = kind;
	e->item_size = acl_item_size(kind);
	if (kind == ACL_KIND_TIME) {
		e->week = calloc(ACL_WEEK_WORDS, sizeof(uint64_t));
		if (e->week == NULL) {
			*rc = -ENOMEM;
			acl_err_set(err, "out of memory");
			return NULL;
		}
	}
	acl_name_put(b->names, b->names_cap, e->name, b->n_elems);
	b->n_elems++;
	return e;
}

void *
acl_belem_push(struct acl_belem *e)
{
	if (e->n >= ACL_VALUES_MAX) {
		errno = E2BIG;
		return NULL;
	}
	if (e->n == e->cap) {
		uint32_t cap = e->cap ? e->cap * 2 : 4;
		void *n = realloc(e->items, cap * e->item_size);

		if (n == NULL) {
			errno = ENOMEM;
			return NULL;
		}
		e->items = n;
		e->cap = cap;
	}
	return (char *)e->items + (size_t)e->n++ * e->item_size;
}

int64_t
acl_belem_blob(struct acl_belem *e, const char *s, size_t len)
{
	if (e->blob_len + len > UINT32_MAX / 2)
		return -E2BIG;
	if (e->blob_len + len > e->blob_cap) {
		size_t cap = e->blob_cap ? e->blob_cap : 64;

		while (cap < e->blob_len + len)
			cap *= 2;
		char *n = realloc(e->blob, cap);

		if (n == NULL)
			return -ENOMEM;
		e->blob = n;
		e->blob_cap = cap;
	}
	memcpy(e->blob + e->blob_len, s, len);
	e->blob_len += len;
	return (int64_t)(e->blob_len - len);
}

/* The whitespace-separated values of <text> into <e>. */
static int
acl_elem_tokens(struct acl_belem *e, const char *text, struct acl_err *err)
{
	const char *p = text;
	bool icase = false;
	unsigned n = 0;

	const char *t;
	size_t len;

	while ((t = acl_token(&p, &len)) != NULL) {
		if (len > ACL_VALUE_MAX_BYTES)
			return acl_errf(err, -E2BIG, "value too long:", t, len,
			                "");
		if (e->kind == ACL_KIND_URL_REGEX && len == 2 &&
		    (t[0] == '-' || t[0] == '+') && t[1] == 'i') {
			icase = t[0] == '-';
			continue;
		}
		int rc = acl_parse_value(e, t, len, icase, err);

		if (rc < 0)
			return rc;
		n++;
	}
	if (n == 0) {
		acl_err_set(err, "acl needs at least one value");
		return -EINVAL;
	}
	return 0;
}

int
acl_elem_add(struct acl_build *b, const char *name, enum acl_kind kind,
             const char *text, struct acl_err *err)
{
	int rc = 0;

	GH_CHECK_OBJ_NOTNULL(b, ACL_BUILD_MAGIC);
	if (err != NULL)
		err->msg[0] = '\0';
	if (name == NULL || !acl_name_ok(name))
		return acl_errf(err, -EINVAL, "bad acl name", name ? name : "",
		                name ? strlen(name) : 0,
		                " (1-63 of A-Z a-z 0-9 _ - .)");
	if (kind <= 0 || kind >= ACL_KIND_COUNT) {
		acl_err_set(err, "unknown acl kind");
		return -EINVAL;
	}
	if (text == NULL)
		text = "";
	if (kind == ACL_KIND_CONNECT && text[strspn(text, " \t")] != '\0')
		return acl_errf(err, -EINVAL, "connect takes no value, got",
		                text, strlen(text), "");
	struct acl_belem *e = acl_elem_get(b, name, kind, &rc, err);

	if (e == NULL)
		return rc;
	switch (kind) {
	case ACL_KIND_CONNECT:
		return 0;
	case ACL_KIND_TIME:
		return acl_parse_time(e, text, err);
	case ACL_KIND_HEADER:
		return acl_parse_header(e, text, err);
	default:
		return acl_elem_tokens(e, text, err);
	}
}

int
acl_rule_add(struct acl_build *b, enum acl_action action, uint32_t line,
             const char *const *names, const int *negated, unsigned n,
             struct acl_err *err)
{
	GH_CHECK_OBJ_NOTNULL(b, ACL_BUILD_MAGIC);
	if (err != NULL)
		err->msg[0] = '\0';
	if (action != ACL_ALLOW && action != ACL_DENY) {
		acl_err_set(err, "rule action must be allow or deny");
		return -EINVAL;
	}
	if (n > ACL_RULE_ELEMS_MAX) {
		acl_err_set(err, "too many acl names in one rule (max 16)");
		return -E2BIG;
	}
	if (b->n_rules >= ACL_RULES_MAX) {
		acl_err_set(err, "too many rules");
		return -E2BIG;
	}
	struct acl_brule r = {
	    .action = (uint8_t)action, .n = (uint8_t)n, .line = line};

	for (unsigned i = 0; i < n; i++) {
		int64_t idx = acl_name_find(b, names[i]);

		if (idx < 0)
			return acl_errf(err, -EINVAL, "unknown acl", names[i],
			                strlen(names[i]), "");
		r.refs[i] = (uint32_t)idx |
		            (negated != NULL && negated[i] ? ACL_REF_NEG : 0);
	}
	if (b->n_rules == b->cap_rules) {
		uint32_t cap = b->cap_rules ? b->cap_rules * 2 : 16;
		struct acl_brule *nr = realloc(b->rules, cap * sizeof(*nr));

		if (nr == NULL) {
			acl_err_set(err, "out of memory");
			return -ENOMEM;
		}
		b->rules = nr;
		b->cap_rules = cap;
	}
	b->rules[b->n_rules++] = r;
	return 0;
}
