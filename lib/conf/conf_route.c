/*
 * conf_route_match(): which pool a reverse listener sends a request to, by
 * its Host and path (issue 14).  Pure and allocation-free, so the workers
 * call it on every request and the unit tests drive it with a table.
 */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "common/gh_common.h"
#include "common/gh_pct.h"
#include "conf/conf.h"

/* How specifically route <r> matches <host>: 0 no match, else higher is
 * more specific (an exact name above any wildcard, a longer wildcard
 * suffix above a shorter one, `*` last). */
static size_t
host_rank(const struct conf_route *r, const char *host, size_t hn)
{
	switch (r->kind) {
	case CONF_ROUTE_EXACT:
		return r->host_len == hn && memcmp(r->host, host, hn) == 0
		           ? CONF_ROUTE_HOST_MAX + 3
		           : 0;
	case CONF_ROUTE_WILDCARD: /* ".example.com": not the apex */
		return hn > r->host_len && memcmp(host + hn - r->host_len,
		                                  r->host, r->host_len) == 0
		           ? (size_t)r->host_len + 1
		           : 0;
	default:
		return 1;
	}
}

bool
conf_route_path_safe(const char *p, size_t n)
{
	size_t i, dots = 0, other = 0;
	bool params = false; /* after a ';' in the segment */
	int c;

	for (i = 0; i <= n; i++) {
		if (i == n || p[i] == '/' || p[i] == '?' || p[i] == '#') {
			if (other == 0 && (dots == 1 || dots == 2))
				return false;
			if (i == n || p[i] != '/')
				return true; /* the query is no path */
			dots = other = 0;
			params = false;
			continue;
		}
		c = (unsigned char)p[i];
		if (c == '%') {
			c = gh_pct_byte(p, n, i);
			if (c < 0 || c == '/' || c == '\\' || c == 0)
				return false;
			i += 2;
		} else if (c == '\\') {
			return false;
		}
		if (c == ';')
			params = true;
		if (params)
			continue;
		if (c == '.')
			dots++;
		else
			other++;
	}
	return true;
}

size_t
conf_route_path_norm(const char *p, size_t n, char *out, size_t cap)
{
	size_t i, k = 0;
	int c;

	for (i = 0; i < n && k < cap; i++) {
		c = p[i] == '%' ? gh_pct_byte(p, n, i) : -1;
		if (c >= 0 && gh_pct_unreserved(c)) {
			out[k++] = (char)c;
			i += 2;
		} else {
			out[k++] = p[i];
		}
	}
	return k;
}

/* Whether the prefix of <r> covers <path>: equal, or followed by a new
 * segment, a query or a fragment (or any byte after a prefix ending in
 * '/'); a route without a path covers all. */
static bool
path_covers(const struct conf_route *r, const char *path, size_t pn)
{
	size_t n = r->path_len;

	if (n == 0)
		return true;
	if (pn < n || memcmp(r->path, path, n) != 0)
		return false;
	return pn == n || r->path[n - 1] == '/' || path[n] == '/' ||
	       path[n] == '?' || path[n] == '#';
}

int
conf_route_match(const struct conf_routes *rt, const char *host,
                 size_t host_len, const char *path, size_t path_len)
{
	size_t rank, best_rank = 0;
	int best = -1;
	unsigned i, host_of = 0;
	/* a prefix and the byte after it are all path_covers() reads */
	char norm[CONF_ROUTE_PATH_MAX + 2];

	GH_VERIFY(rt != NULL && rt->n <= CONF_ROUTES_MAX);
	if (memchr(path, '%', path_len) != NULL) {
		path_len =
		    conf_route_path_norm(path, path_len, norm, sizeof(norm));
		path = norm;
	}
	for (i = 0; i < rt->n; i++) {
		rank = host_rank(&rt->r[i], host, host_len);
		if (rank > best_rank) {
			best_rank = rank;
			host_of = i;
		}
	}
	if (best_rank == 0)
		return rt->default_pool >= 0 ? rt->default_pool
		                             : CONF_ROUTE_NO_HOST;
	/* the routes of that same host: the longest prefix, the first of
	 * equal ones */
	for (i = 0; i < rt->n; i++) {
		const struct conf_route *r = &rt->r[i];

		if (r->kind != rt->r[host_of].kind ||
		    r->host_len != rt->r[host_of].host_len ||
		    memcmp(r->host, rt->r[host_of].host, r->host_len) != 0 ||
		    !path_covers(r, path, path_len))
			continue;
		if (best < 0 || r->path_len > rt->r[best].path_len)
			best = (int)i;
	}
	if (best >= 0)
		return rt->r[best].pool;
	return rt->default_pool >= 0 ? rt->default_pool : CONF_ROUTE_NO_PATH;
}
