/*
 * Judging one request: rules in order, elements of a rule ANDed with
 * short-circuit, the first rule that matches decides, deny when none does.
 * Each element's test costs the same however many values it holds:
 * address and port ranges by binary search, names by binary search, the
 * host by one hash probe per label (every suffix's hash comes from one
 * right-to-left pass).  Nothing here allocates, locks or reads a clock;
 * the request's host is copied (lower case) into a bounded stack buffer.
 */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "acl_priv.h"

/* One check's state: the host normalised once, the first error. */
struct acl_ctx {
	const struct acl_set *s;
	const struct acl_req *r;
	enum acl_reason why; /* of an error */
	int host_state;      /* 0 not yet, 1 ready, -1 bad */
	uint32_t host_len;
	uint32_t n_suf; /* suf[0] is the whole host */
	struct {
		uint32_t pos;
		uint64_t hash;
	} suf[ACL_HOST_LABELS_MAX + 1];
	char host[ACL_HOST_MAX_BYTES + 1];
};

int64_t
acl_r32_find(const struct acl_elem *e, uint32_t x)
{
	const struct acl_r32 *r = e->items;
	uint32_t lo = 0, hi = e->n; /* ranges are sorted and disjoint */

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (r[mid].lo <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo > 0 && x <= r[lo - 1].hi)
		return r[lo - 1].tag;
	return -ENOENT;
}

/* 1 if <p>/<len> is one of the sorted names of <e>. */
static int
acl_sref_in(const struct acl_elem *e, const char *p, size_t len)
{
	const struct acl_sref *s = e->items;
	uint32_t lo = 0, hi = e->n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		size_t n = s[mid].len < len ? s[mid].len : len;
		int c = memcmp(e->blob + s[mid].off, p, n);

		if (c == 0)
			c = s[mid].len < len ? -1 : s[mid].len > len;
		if (c == 0)
			return 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/*
 * Lower-cases the host into <c> and hashes every suffix that starts a
 * label.  -1 when over ACL_HOST_MAX_BYTES / ACL_HOST_LABELS_MAX or a byte
 * is not visible ASCII.
 */
static int
acl_host_prepare(struct acl_ctx *c)
{
	const struct acl_str *h = &c->r->host;
	size_t len = h->len;

	if (len > 0 && h->p[len - 1] == '.')
		len--;
	if (len > ACL_HOST_MAX_BYTES)
		return -1;
	c->host_len = (uint32_t)len;
	uint64_t hash = ACL_FNV_OFFSET;
	uint32_t n = 0;

	/* one pass, right to left: lower case, check, hash each suffix */
	for (size_t i = len; i > 0; i--) {
		unsigned char ch = (unsigned char)h->p[i - 1];

		if (ch <= 0x20 || ch >= 0x7f)
			return -1;
		ch |= (unsigned char)((unsigned)(ch - 'A') < 26u) << 5;
		c->host[i - 1] = (char)ch;
		hash = acl_hash_step(hash, ch);
		if (i - 1 == 0 || h->p[i - 2] == '.') {
			if (n == GH_ARRAY_SIZE(c->suf))
				return -1;
			c->suf[n].pos = (uint32_t)(i - 1);
			c->suf[n].hash = hash;
			n++;
		}
	}
	c->n_suf = n; /* suf[n-1] is the whole host: matched exactly too */
	return 0;
}

/*
 * The lowest tag of an entry of <e>'s domain table that takes the host:
 * the host itself (exact or suffix entries), or a name above it (suffix
 * entries only).  -ENOENT if none, -EINVAL (c->why set) if the host is
 * over the bounds.
 */
static int64_t
acl_dom_find(struct acl_ctx *c, const struct acl_elem *e)
{
	const struct acl_dslot *t = e->items;
	uint32_t best = ACL_TAG_NONE;

	if (c->host_state == 0)
		c->host_state = acl_host_prepare(c) == 0 ? 1 : -1;
	if (c->host_state < 0) {
		c->why = ACL_R_BAD_HOST;
		return -EINVAL;
	}
	for (uint32_t k = 0; k < c->n_suf && best != 0; k++) {
		uint32_t pos = c->suf[k].pos;
		uint32_t len = c->host_len - pos;
		uint32_t j = (uint32_t)c->suf[k].hash & e->mask;

		/* the table is at most half full: a probe run ends */
		for (; t[j].len != 0; j = (j + 1) & e->mask) {
			if (t[j].hash != c->suf[k].hash || t[j].len != len ||
			    memcmp(e->blob + t[j].off, c->host + pos, len) != 0)
				continue;
			if (t[j].suffix < best)
				best = t[j].suffix;
			if (pos == 0 && t[j].exact < best)
				best = t[j].exact;
			break;
		}
	}
	return best == ACL_TAG_NONE ? -ENOENT : (int64_t)best;
}

/*
 * The lookup of a table kind (src, dst, port, dstdomain) in <e>: the tag
 * of the value that takes the request, -ENOENT, or another error with
 * c->why set.
 */
static int64_t
acl_table_find(struct acl_ctx *c, const struct acl_elem *e)
{
	const struct acl_req *r = c->r;

	switch (e->kind) {
	case ACL_KIND_SRC:
		return acl_r32_find(e, r->src_ip);
	case ACL_KIND_DST:
		if (!(r->flags & ACL_REQ_DST)) {
			c->why = ACL_R_NEED_DST;
			return -EAGAIN;
		}
		return acl_r32_find(e, r->dst_ip);
	case ACL_KIND_PORT:
		return acl_r32_find(e, r->dst_port);
	case ACL_KIND_DSTDOMAIN:
		return r->host.len == 0 ? -ENOENT : acl_dom_find(c, e);
	default:
		GH_WRONG("not a table kind");
	}
}

static int
acl_prefix_match(const struct acl_elem *e, const struct acl_str *u)
{
	const struct acl_sref *s = e->items;

	for (uint32_t i = 0; i < e->n; i++)
		if (s[i].len <= u->len &&
		    memcmp(e->blob + s[i].off, u->p, s[i].len) == 0)
			return 1;
	return 0;
}

static int
acl_rx_any(struct acl_ctx *c, const struct acl_elem *e)
{
	const struct acl_rx *rx = e->items;
	const struct acl_req *r = c->r;

	for (uint32_t i = 0; i < e->n; i++) {
		const char *subj = r->url.p;
		size_t len = r->url.len;

		if (e->kind == ACL_KIND_HEADER) {
			if (r->header == NULL ||
			    r->header(r->header_ctx, e->blob + rx[i].name_off,
			              rx[i].name_len, &subj, &len) != 0)
				continue;
		}
		int m = acl_rx_match(c->s, rx[i].code, subj, len, r->scratch);

		if (m < 0) {
			c->why = ACL_R_REGEX_ERROR;
			return m;
		}
		if (m > 0)
			return 1;
	}
	return 0;
}

static int
acl_scheme_match(const struct acl_elem *e, const struct acl_str *sch)
{
	char low[ACL_NAME_ARG_MAX_BYTES];

	if (sch->len > sizeof(low))
		return 0;
	for (size_t i = 0; i < sch->len; i++)
		low[i] = (char)tolower((unsigned char)sch->p[i]);
	return acl_sref_in(e, low, sch->len);
}

static int
acl_group_match(const struct acl_elem *e, const struct acl_req *r)
{
	unsigned n =
	    r->n_groups < ACL_REQ_GROUPS_MAX ? r->n_groups : ACL_REQ_GROUPS_MAX;

	if (!(r->flags & ACL_REQ_USER))
		return 0;
	for (unsigned i = 0; i < n; i++)
		if (acl_sref_in(e, r->groups[i].p, r->groups[i].len))
			return 1;
	return 0;
}

/* 1 if <e> matches, 0 if not, < 0 (c->why set) when it cannot say. */
static int
acl_elem_match(struct acl_ctx *c, const struct acl_elem *e)
{
	const struct acl_req *r = c->r;
	uint32_t min;

	switch (e->kind) {
	case ACL_KIND_SRC:
	case ACL_KIND_DST:
	case ACL_KIND_PORT:
	case ACL_KIND_DSTDOMAIN: {
		int64_t t = acl_table_find(c, e);

		return t >= 0 ? 1 : (t == -ENOENT ? 0 : (int)t);
	}
	case ACL_KIND_METHOD:
		return acl_sref_in(e, r->method.p, r->method.len);
	case ACL_KIND_CONNECT:
		return r->method.len == 7 &&
		       memcmp(r->method.p, "CONNECT", 7) == 0;
	case ACL_KIND_SCHEME:
		return acl_scheme_match(e, &r->scheme);
	case ACL_KIND_URL_PREFIX:
		return acl_prefix_match(e, &r->url);
	case ACL_KIND_URL_REGEX:
	case ACL_KIND_HEADER:
		return acl_rx_any(c, e);
	case ACL_KIND_USER:
		return (r->flags & ACL_REQ_USER) &&
		       acl_sref_in(e, r->user.p, r->user.len);
	case ACL_KIND_GROUP:
		return acl_group_match(e, r);
	case ACL_KIND_TIME:
		min = (r->week_sec % (7u * 86400u)) / 60u;
		return (int)((e->week[min / 64] >> (min % 64)) & 1u);
	default:
		GH_WRONG("acl element of no kind");
	}
}

/* Fills <v>: <action> for <why> by rule <i> of <s> (-1: none). */
static int
acl_decide(struct acl_verdict *v, const struct acl_set *s, int64_t i,
           enum acl_action action, enum acl_reason why)
{
	*v = (struct acl_verdict){.action = action,
	                          .reason = why,
	                          .rule = (int32_t)i,
	                          .line = i >= 0 ? s->rules[i].line : 0};
	return 0;
}

/* 1 if every element of <rule> matches, 0 if not, < 0 (c->why set). */
static int
acl_rule_match(struct acl_ctx *c, const struct acl_rule *rule)
{
	const struct acl_set *s = c->s;

	for (uint32_t k = 0; k < rule->n; k++) {
		uint32_t ref = s->refs[rule->first + k];
		int m = acl_elem_match(c, &s->elems[ref & ~ACL_REF_NEG]);

		if (m < 0)
			return m;
		if (((ref & ACL_REF_NEG) ? !m : m) == 0)
			return 0;
	}
	return 1;
}

int
acl_check(const struct acl_set *s, const struct acl_req *req,
          struct acl_verdict *v)
{
	struct acl_ctx c;

	GH_CHECK_OBJ_NOTNULL(s, ACL_SET_MAGIC);
	c.s = s;
	c.r = req;
	c.host_state = 0;
	for (uint32_t i = 0; i < s->n_rules;) {
		const struct acl_rule *rule = &s->rules[i];

		if (rule->run > 0) { /* one lookup judges rule->run rules */
			int64_t t = acl_table_find(&c, &s->elems[rule->table]);

			if (t >= 0)
				return acl_decide(v, s, i + t, rule->action,
				                  ACL_R_RULE);
			if (t != -ENOENT) /* fail closed, and say why */
				return acl_decide(v, s, i, ACL_DENY, c.why);
			i += rule->run;
			continue;
		}
		int m = acl_rule_match(&c, rule);

		if (m < 0)
			return acl_decide(v, s, i, ACL_DENY, c.why);
		if (m > 0)
			return acl_decide(v, s, i, rule->action, ACL_R_RULE);
		i++;
	}
	return acl_decide(v, s, -1, ACL_DENY, ACL_R_DEFAULT);
}
