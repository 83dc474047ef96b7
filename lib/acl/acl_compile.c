/*
 * Compiling a builder into the immutable set: each element's values are
 * normalised (address and port ranges sorted and merged, names sorted and
 * made unique, domains put in an open-addressing table of their hashes)
 * and everything is packed into one block, so a set is one allocation plus
 * PCRE2's compiled regexes, and freeing it is as cheap.
 */
#include <errno.h>
#include <string.h>

#include "acl_priv.h"

#define ACL_ALIGN8(x) (((x) + 7u) & ~(size_t)7u)

int
acl_r32_cmp(const void *a, const void *b)
{
	const struct acl_r32 *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Sorts and merges overlapping or touching ranges; the new count. */
static uint32_t
acl_r32_merge(struct acl_r32 *r, uint32_t n)
{
	uint32_t o = 0;

	if (n == 0) /* an element whose first value was refused */
		return 0;
	qsort(r, n, sizeof(*r), acl_r32_cmp);
	for (uint32_t i = 0; i < n; i++) {
		if (o > 0 &&
		    (r[o - 1].hi == UINT32_MAX || r[i].lo <= r[o - 1].hi + 1)) {
			if (r[i].hi > r[o - 1].hi)
				r[o - 1].hi = r[i].hi;
		} else {
			r[o++] = r[i];
		}
	}
	return o;
}

static int
acl_sref_cmp(const void *a, const void *b, void *blob)
{
	const struct acl_sref *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c =
	    memcmp((const char *)blob + x->off, (const char *)blob + y->off, n);

	if (c != 0)
		return c;
	return x->len < y->len ? -1 : x->len > y->len;
}

static uint32_t
acl_sref_sort(struct acl_sref *s, uint32_t n, char *blob)
{
	uint32_t o = 0;

	if (n == 0)
		return 0;
	qsort_r(s, n, sizeof(*s), acl_sref_cmp, blob);
	for (uint32_t i = 0; i < n; i++)
		if (o == 0 || acl_sref_cmp(&s[o - 1], &s[i], blob) != 0)
			s[o++] = s[i];
	return o;
}

/* Slots of the domain table of <n> entries: a power of two >= 2n. */
size_t
acl_dom_slots(uint32_t n)
{
	size_t cap = 2;

	while (cap < 2 * (size_t)n)
		cap *= 2;
	return cap;
}

/* Normalises <e> in place; the bytes its compiled items need. */
static size_t
acl_elem_prepare(struct acl_belem *e)
{
	switch (e->kind) {
	case ACL_KIND_SRC:
	case ACL_KIND_DST:
	case ACL_KIND_PORT:
		e->n = acl_r32_merge(e->items, e->n);
		return (size_t)e->n * sizeof(struct acl_r32);
	case ACL_KIND_DSTDOMAIN:
		return (size_t)acl_dom_slots(e->n) * sizeof(struct acl_dslot);
	case ACL_KIND_METHOD:
	case ACL_KIND_SCHEME:
	case ACL_KIND_USER:
	case ACL_KIND_GROUP:
	case ACL_KIND_URL_PREFIX:
		e->n = acl_sref_sort(e->items, e->n, e->blob);
		return (size_t)e->n * sizeof(struct acl_sref);
	case ACL_KIND_URL_REGEX:
	case ACL_KIND_HEADER:
		return (size_t)e->n * sizeof(struct acl_rx);
	default:
		return 0;
	}
}

static uint64_t
acl_dom_hash(const char *s, size_t len)
{
	uint64_t h = ACL_FNV_OFFSET;

	while (len > 0)
		h = acl_hash_step(h, (unsigned char)s[--len]);
	return h;
}

/*
 * Puts domain <off>/<len> of <blob> into table <t> (<mask> + 1 slots, kept
 * under half full), or lowers the tags of its slot: a host matched by two
 * rules of a run is judged by the first.  1 if a slot was taken, else 0.
 */
uint32_t
acl_dom_insert(struct acl_dslot *t, uint32_t mask, const char *blob,
               uint32_t off, uint32_t len, uint8_t flags, uint32_t tag)
{
	const char *s = blob + off;
	uint64_t h = acl_dom_hash(s, len);
	uint32_t j = (uint32_t)h & mask;
	uint32_t fresh = 0;

	for (;; j = (j + 1) & mask) {
		if (t[j].len == 0) {
			fresh = 1;
			t[j] = (struct acl_dslot){.hash = h,
			                          .off = off,
			                          .len = len,
			                          .exact = ACL_TAG_NONE,
			                          .suffix = ACL_TAG_NONE};
			break;
		}
		if (t[j].hash == h && t[j].len == len &&
		    memcmp(blob + t[j].off, s, len) == 0)
			break;
	}
	if ((flags & ACL_DOM_EXACT) && tag < t[j].exact)
		t[j].exact = tag;
	if ((flags & ACL_DOM_SUFFIX) && tag < t[j].suffix)
		t[j].suffix = tag;
	return fresh;
}

/* Fills the domain table <t> of <mask> + 1 slots; the entries it holds. */
static uint32_t
acl_dom_fill(struct acl_dslot *t, uint32_t mask, const struct acl_belem *e)
{
	const struct acl_dom *d = e->items;
	uint32_t used = 0;

	for (uint32_t i = 0; i < e->n; i++)
		used += acl_dom_insert(t, mask, e->blob, d[i].off, d[i].len,
		                       d[i].flags, 0);
	return used;
}

/* Copies <e> into the set's block at <*at>; fills <out>. */
static void
acl_elem_pack(struct acl_elem *out, struct acl_belem *e, size_t items_bytes,
              char **at)
{
	char *p = *at;

	memset(out, 0, sizeof(*out));
	out->kind = e->kind;
	out->n = e->n;
	memcpy(out->name, e->name, sizeof(out->name));
	out->items = p;
	if (e->kind == ACL_KIND_DSTDOMAIN) {
		uint32_t slots =
		    (uint32_t)(items_bytes / sizeof(struct acl_dslot));

		memset(p, 0, items_bytes);
		out->mask = slots - 1;
		out->n = acl_dom_fill((struct acl_dslot *)p, out->mask, e);
	} else if (items_bytes > 0) {
		memcpy(p, e->items, items_bytes);
	}
	if (e->kind == ACL_KIND_URL_REGEX || e->kind == ACL_KIND_HEADER)
		e->n = 0; /* the set owns the regexes now */
	p += ACL_ALIGN8(items_bytes);
	out->blob = p;
	if (e->blob_len > 0)
		memcpy(p, e->blob, e->blob_len);
	p += ACL_ALIGN8(e->blob_len);
	if (e->week != NULL) {
		memcpy(p, e->week, ACL_WEEK_WORDS * sizeof(uint64_t));
		out->week = (const uint64_t *)p;
		p += ACL_WEEK_WORDS * sizeof(uint64_t);
	}
	*at = p;
}

static pcre2_match_context *
acl_mctx_new(void)
{
	pcre2_match_context *m = pcre2_match_context_create(NULL);

	if (m == NULL)
		return NULL;
	pcre2_set_match_limit(m, ACL_REGEX_MATCH_LIMIT);
	pcre2_set_depth_limit(m, ACL_REGEX_DEPTH_LIMIT);
	return m;
}

/* The rules and their element references into <rules> and <refs>. */
static void
acl_rules_pack(const struct acl_build *b, struct acl_rule *rules,
               uint32_t *refs)
{
	uint32_t r = 0;

	for (uint32_t i = 0; i < b->n_rules; i++) {
		const struct acl_brule *br = &b->rules[i];

		rules[i] = (struct acl_rule){.action = br->action,
		                             .n = br->n,
		                             .line = br->line,
		                             .first = r};
		memcpy(refs + r, br->refs, br->n * sizeof(uint32_t));
		r += br->n;
	}
}

struct acl_set *
acl_compile(struct acl_build *b, struct acl_err *err)
{
	struct acl_set *s = NULL;
	struct acl_runs *runs = NULL;
	size_t *ib = NULL;
	size_t n_refs = 0, total;

	GH_CHECK_OBJ_NOTNULL(b, ACL_BUILD_MAGIC);
	ib = calloc(b->n_elems + 1u, sizeof(*ib));
	if (ib == NULL)
		goto nomem;
	total = ACL_ALIGN8(sizeof(*s)) +
	        ACL_ALIGN8(b->n_rules * sizeof(struct acl_rule));
	for (uint32_t i = 0; i < b->n_elems; i++) {
		struct acl_belem *e = &b->elems[i];

		ib[i] = acl_elem_prepare(e);
		total += ACL_ALIGN8(ib[i]) + ACL_ALIGN8(e->blob_len) +
		         (e->week ? ACL_WEEK_WORDS * sizeof(uint64_t) : 0);
	}
	for (uint32_t i = 0; i < b->n_rules; i++)
		n_refs += b->rules[i].n;
	total += ACL_ALIGN8(n_refs * sizeof(uint32_t));
	int64_t run_bytes = acl_runs_plan(b, &runs);

	if (run_bytes < 0)
		goto nomem;
	uint32_t n_all = b->n_elems + acl_runs_count(runs);

	total +=
	    (size_t)run_bytes + ACL_ALIGN8(n_all * sizeof(struct acl_elem));
	s = calloc(1, total);
	if (s == NULL)
		goto nomem;
	s->magic = ACL_SET_MAGIC;
	s->mctx = acl_mctx_new();
	if (s->mctx == NULL)
		goto nomem;
	char *p = (char *)s + ACL_ALIGN8(sizeof(*s));
	struct acl_elem *elems = (struct acl_elem *)p;

	p += ACL_ALIGN8(n_all * sizeof(struct acl_elem));
	struct acl_rule *rules = (struct acl_rule *)p;

	p += ACL_ALIGN8(b->n_rules * sizeof(struct acl_rule));
	uint32_t *refs = (uint32_t *)p;

	p += ACL_ALIGN8(n_refs * sizeof(uint32_t));
	acl_rules_pack(b, rules, refs);
	s->n_elems = b->n_elems;
	s->n_tables = acl_runs_count(runs);
	s->n_rules = b->n_rules;
	s->elems = elems;
	s->rules = rules;
	s->refs = refs;
	for (uint32_t i = 0; i < b->n_elems; i++)
		acl_elem_pack(&elems[i], &b->elems[i], ib[i], &p);
	acl_runs_pack(runs, b, elems, b->n_elems, rules, &p);
	GH_VERIFY(p <= (char *)s + total);
	acl_runs_free(runs);
	free(ib);
	acl_build_free(b);
	return s;
nomem:
	if (err != NULL)
		snprintf(err->msg, sizeof(err->msg), "out of memory");
	if (s != NULL)
		pcre2_match_context_free(s->mctx);
	free(s);
	acl_runs_free(runs);
	free(ib);
	acl_build_free(b);
	errno = ENOMEM;
	return NULL;
}

void
acl_set_free(struct acl_set *s)
{
	if (s == NULL)
		return;
	GH_CHECK_OBJ(s, ACL_SET_MAGIC);
	for (uint32_t i = 0; i < s->n_elems; i++) {
		const struct acl_elem *e = &s->elems[i];

		if (e->kind != ACL_KIND_URL_REGEX && e->kind != ACL_KIND_HEADER)
			continue;
		for (uint32_t j = 0; j < e->n; j++)
			pcre2_code_free(
			    ((const struct acl_rx *)e->items)[j].code);
	}
	pcre2_match_context_free(s->mctx);
	s->magic = 0;
	free(s);
}

unsigned
acl_set_rules(const struct acl_set *s)
{
	GH_CHECK_OBJ_NOTNULL(s, ACL_SET_MAGIC);
	return s->n_rules;
}

unsigned
acl_set_elems(const struct acl_set *s)
{
	GH_CHECK_OBJ_NOTNULL(s, ACL_SET_MAGIC);
	return s->n_elems;
}

unsigned
acl_set_tables(const struct acl_set *s)
{
	GH_CHECK_OBJ_NOTNULL(s, ACL_SET_MAGIC);
	return s->n_tables;
}
