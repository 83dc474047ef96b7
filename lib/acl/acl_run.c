/*
 * Runs: what keeps a check flat when a config has thousands of rules.  A
 * blocklist is often written as one rule per entry (`deny e1`, `deny e2`,
 * ...): evaluated one by one that is linear in the rules.  At compile
 * time, ACL_RUN_MIN or more consecutive rules with the same action, each of
 * one positive element of the same table kind (src, dst, port, dstdomain),
 * become a run: their values go into one table tagged with the rule each
 * came from, and the check judges the whole run with one lookup.  The
 * first rule of a run that would match is the one with the lowest tag
 * among the matching values, so first-match-wins and the reported rule
 * are exactly those of the rules one by one.  Address and port runs need
 * disjoint ranges (a /32 blocklist is); a run whose ranges overlap is left
 * to the rule-by-rule path.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "acl_priv.h"

#define ACL_RUN_MIN   4
#define ACL_ALIGN8(x) (((x) + 7u) & ~(size_t)7u)

struct acl_run {
	uint32_t first, len; /* rules */
	enum acl_kind kind;
	uint32_t n_items;       /* ranges, or domain entries (at most) */
	struct acl_r32 *ranges; /* sorted, disjoint, tagged */
	size_t blob_len;        /* domains: all their elements' blobs */
};

struct acl_runs {
	uint32_t n;
	struct acl_run run[];
};

/* The element of rule <r> if the rule can be part of a run, else NULL. */
static const struct acl_belem *
acl_run_elem(const struct acl_build *b, const struct acl_brule *r)
{
	if (r->n != 1 || (r->refs[0] & ACL_REF_NEG))
		return NULL;
	const struct acl_belem *e = &b->elems[r->refs[0]];

	switch (e->kind) {
	case ACL_KIND_SRC:
	case ACL_KIND_DST:
	case ACL_KIND_PORT:
	case ACL_KIND_DSTDOMAIN:
		return e;
	default:
		return NULL;
	}
}

/*
 * The tagged ranges of <run>, sorted: 1 when they are disjoint (the run
 * can be one table), 0 when not, -ENOMEM.
 */
static int
acl_run_ranges(const struct acl_build *b, struct acl_run *run)
{
	struct acl_r32 *a = malloc(((size_t)run->n_items + 1) * sizeof(*a));
	uint32_t n = 0;

	if (a == NULL)
		return -ENOMEM;
	for (uint32_t j = 0; j < run->len; j++) {
		const struct acl_brule *r = &b->rules[run->first + j];
		const struct acl_belem *e = &b->elems[r->refs[0]];
		const struct acl_r32 *src = e->items;

		for (uint32_t k = 0; k < e->n; k++) {
			a[n] = src[k];
			a[n++].tag = j;
		}
	}
	qsort(a, n, sizeof(*a), acl_r32_cmp);
	for (uint32_t i = 1; i < n; i++) {
		if (a[i].lo <= a[i - 1].hi) {
			free(a);
			return 0;
		}
	}
	run->ranges = a;
	return 1;
}

/* The bytes <run>'s table takes in the set. */
static size_t
acl_run_bytes(const struct acl_run *run)
{
	if (run->kind == ACL_KIND_DSTDOMAIN)
		return ACL_ALIGN8(acl_dom_slots(run->n_items) *
		                  sizeof(struct acl_dslot)) +
		       ACL_ALIGN8(run->blob_len);
	return ACL_ALIGN8((size_t)run->n_items * sizeof(struct acl_r32));
}

/* Rules [i, <*end>) that can make one run with rule <i>. */
static uint32_t
acl_run_extent(const struct acl_build *b, uint32_t i, struct acl_run *run)
{
	const struct acl_belem *e = acl_run_elem(b, &b->rules[i]);
	uint32_t j = i;

	memset(run, 0, sizeof(*run));
	run->first = i;
	if (e == NULL)
		return i + 1;
	run->kind = e->kind;
	for (; j < b->n_rules; j++) {
		const struct acl_belem *f = acl_run_elem(b, &b->rules[j]);

		if (f == NULL || f->kind != e->kind ||
		    b->rules[j].action != b->rules[i].action)
			break;
		run->n_items += f->n;
		run->blob_len += f->blob_len;
	}
	run->len = j - i;
	return j;
}

int64_t
acl_runs_plan(const struct acl_build *b, struct acl_runs **out)
{
	size_t max = b->n_rules / ACL_RUN_MIN + 1;
	struct acl_runs *rp = calloc(1, sizeof(*rp) + max * sizeof(rp->run[0]));
	size_t bytes = 0;

	*out = NULL;
	if (rp == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < b->n_rules;) {
		struct acl_run *run = &rp->run[rp->n];
		uint32_t end = acl_run_extent(b, i, run);

		i = end;
		if (run->len < ACL_RUN_MIN || run->n_items >= UINT32_MAX / 2)
			continue;
		if (run->kind != ACL_KIND_DSTDOMAIN) {
			int ok = acl_run_ranges(b, run);

			if (ok < 0) {
				acl_runs_free(rp);
				return -ENOMEM;
			}
			if (ok == 0)
				continue;
		}
		bytes += acl_run_bytes(run);
		rp->n++;
	}
	*out = rp;
	return (int64_t)bytes;
}

/* The domain table of <run> at <p> (slots, then their names). */
static void
acl_run_domains(const struct acl_run *run, const struct acl_build *b,
                struct acl_elem *out, char *p)
{
	size_t slots = acl_dom_slots(run->n_items);
	struct acl_dslot *t = (struct acl_dslot *)p;
	char *blob = p + ACL_ALIGN8(slots * sizeof(*t));
	uint32_t base = 0;

	memset(t, 0, slots * sizeof(*t));
	out->mask = (uint32_t)(slots - 1);
	out->blob = blob;
	for (uint32_t j = 0; j < run->len; j++) {
		const struct acl_brule *r = &b->rules[run->first + j];
		const struct acl_belem *e = &b->elems[r->refs[0]];
		const struct acl_dom *d = e->items;

		if (e->blob_len > 0)
			memcpy(blob + base, e->blob, e->blob_len);
		for (uint32_t k = 0; k < e->n; k++)
			out->n +=
			    acl_dom_insert(t, out->mask, blob, base + d[k].off,
			                   d[k].len, d[k].flags, j);
		base += (uint32_t)e->blob_len;
	}
}

void
acl_runs_pack(struct acl_runs *rp, const struct acl_build *b,
              struct acl_elem *elems, uint32_t first_elem,
              struct acl_rule *rules, char **at)
{
	char *p = *at;

	for (uint32_t k = 0; k < rp->n; k++) {
		const struct acl_run *run = &rp->run[k];
		struct acl_elem *out = &elems[first_elem + k];

		memset(out, 0, sizeof(*out));
		out->kind = run->kind;
		snprintf(out->name, sizeof(out->name), "run-%u", run->first);
		out->items = p;
		if (run->kind == ACL_KIND_DSTDOMAIN) {
			acl_run_domains(run, b, out, p);
		} else {
			memcpy(p, run->ranges,
			       (size_t)run->n_items * sizeof(struct acl_r32));
			out->n = run->n_items;
		}
		p += acl_run_bytes(run);
		rules[run->first].run = run->len;
		rules[run->first].table = first_elem + k;
	}
	*at = p;
}

uint32_t
acl_runs_count(const struct acl_runs *rp)
{
	return rp->n;
}

void
acl_runs_free(struct acl_runs *rp)
{
	if (rp == NULL)
		return;
	for (uint32_t k = 0; k < rp->n; k++)
		free(rp->run[k].ranges);
	free(rp);
}
