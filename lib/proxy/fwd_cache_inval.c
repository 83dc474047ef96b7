/*
 * Invalidation by unsafe methods in the forward proxy's cache (RFC 9111
 * 4.4).  A request whose method is not safe (anything but GET, HEAD,
 * OPTIONS, TRACE: RFC 9110 9.2.1) notes its target's GET key in the
 * transaction (SF_CACHE_INVAL); when its response is not an error (2xx,
 * 3xx) the target's key is removed, and so are the URIs in Location and
 * Content-Location when they have the target's origin (scheme "http",
 * host and port, after resolving a relative reference against the
 * target; RFC 3986 5.2).  Removing a primary key also leaves its Vary
 * variants unreachable (fwd_cache_vary.c).  A reference with dot segments
 * ("." or "..") is left alone rather than normalised: removing the others
 * is optional (4.4's MAY), the target's key is not.
 *
 * A reverse listener's keys are apart from a forward listener's
 * (FWD_CACHE_KEY_REVERSE): each kind invalidates its own only, as a
 * response of one origin may only invalidate that origin's URIs (4.4).
 *
 * Removal is cache_index_purge: the worker is an online QSBR thread, the
 * bytes go when the last reference does (a hit being sent keeps its own).
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "cache/cache_index.h"
#include "cache/cache_obj.h"
#include "common/gh_common.h"
#include "fwd_cache_priv.h"
#include "fwd_priv.h"

void
fwd_cache_unsafe_note(struct fwd_session *s, const struct http_msg *msg,
                      const char *buf)
{
	struct fwd_ctx *fc = s->l->fc;
	struct fwd_txn *t = s->txn;
	int klen;

	if (fc->p.cache == NULL || !fwd_cfg(s)->cache || t == NULL)
		return;
	switch (msg->method) {
	case HTTP_M_GET:
	case HTTP_M_HEAD:
	case HTTP_M_OPTIONS:
	case HTTP_M_TRACE:
	case HTTP_M_CONNECT: /* a tunnel: nothing of it is cached */
		return;
	default:
		break;
	}
	klen =
	    fwd_cache_key_of(s, msg, buf, t->cache_key, sizeof(t->cache_key));
	if (klen <= 0)
		return;
	t->cache_key_len = (uint16_t)klen;
	s->flags |= SF_CACHE_INVAL;
}

/* An absolute "http://authority[path]" in r[0 .. len) (the scheme checked)
 * into <out> as key_of writes a target: host in lower case, no ":80", "/"
 * for an empty path.  Its length, or -EINVAL (userinfo, empty host, too
 * long). */
static int
absolute_norm(const char *r, uint32_t len, char *out)
{
	uint32_t i = 7, a, n = 7, end, colon = 0;

	memcpy(out, "http://", 7);
	for (a = i; a < len && r[a] != '/' && r[a] != '?'; a++) {
		if (r[a] == '@')
			return -EINVAL;
		if (r[a] == ':')
			colon = a;
		else if (r[a] == ']')
			colon = 0; /* inside an IPv6 literal */
	}
	end = colon != 0 ? colon : a;
	if (end == i || end - i > FWD_CACHE_KEY_MAX - 16)
		return -EINVAL;
	for (; i < end; i++)
		out[n++] =
		    (r[i] >= 'A' && r[i] <= 'Z') ? (char)(r[i] + 32) : r[i];
	/* a port other than 80 (an empty one means 80: RFC 3986 6.2.3) */
	if (colon != 0 && !(a - colon - 1 == 0 ||
	                    (a - colon - 1 == 2 && r[colon + 1] == '8' &&
	                     r[colon + 2] == '0'))) {
		if (!fwd_cache_put(out, &n, r + colon, a - colon))
			return -EINVAL;
	}
	if ((a == len || r[a] != '/') && !fwd_cache_put(out, &n, "/", 1))
		return -EINVAL;
	if (!fwd_cache_put(out, &n, r + a, len - a))
		return -EINVAL;
	return (int)n;
}

/* True when r[0 .. len) starts with a scheme (RFC 3986 3.1) ending at
 * *colon. */
static bool
has_scheme(const char *r, uint32_t len, uint32_t *colon)
{
	uint32_t i;

	if (len == 0 || !((r[0] | 0x20) >= 'a' && (r[0] | 0x20) <= 'z'))
		return false;
	for (i = 1; i < len; i++) {
		char c = r[i];

		if (c == ':') {
			*colon = i;
			return true;
		}
		if (!((c | 0x20) >= 'a' && (c | 0x20) <= 'z') &&
		    !(c >= '0' && c <= '9') && c != '+' && c != '-' && c != '.')
			return false;
	}
	return false;
}

/* A path with a "." or ".." segment (left alone: see the top). */
static bool
has_dot_segment(const char *p, uint32_t len)
{
	uint32_t i, seg = 0;

	for (i = 0; i <= len; i++) {
		if (i < len && p[i] != '/' && p[i] != '?')
			continue;
		if ((i - seg == 1 && p[seg] == '.') ||
		    (i - seg == 2 && p[seg] == '.' && p[seg + 1] == '.'))
			return true;
		if (i < len && p[i] == '?')
			return false;
		seg = i + 1;
	}
	return false;
}

/* The length of the origin "http://authority" of the target <uri>
 * (<ulen> bytes, as fwd_cache_key_of() writes it: a '/' follows). */
static uint32_t
target_origin(const char *uri, uint32_t ulen)
{
	const char *path;

	GH_VERIFY(ulen > 8 && memcmp(uri, "http://", 7) == 0);
	path = memchr(uri + 7, '/', ulen - 7);
	GH_VERIFY(path != NULL);
	return (uint32_t)(path - uri);
}

/*
 * The reference r[0 .. len) resolved against the target <uri> (<ulen>
 * bytes, "http://authority/path"), into <out> (FWD_CACHE_KEY_MAX bytes).
 * Its length, or -EINVAL when it cannot be (another scheme, dot segments,
 * too long).
 */
static int
resolve(const char *r, uint32_t len, const char *uri, uint32_t ulen, char *out)
{
	char abs[FWD_CACHE_KEY_MAX];
	const char *path, *q, *slash;
	uint32_t origin, n = 0, colon;

	origin = target_origin(uri, ulen);
	path = uri + origin;
	q = memchr(r, '#', len);
	if (q != NULL)
		len = (uint32_t)(q - r);
	if (has_scheme(r, len, &colon)) {
		if (colon != 4 || strncasecmp(r, "http", 4) != 0 || len < 7 ||
		    memcmp(r + 4, "://", 3) != 0 || len > FWD_CACHE_KEY_MAX ||
		    has_dot_segment(r + 7, len - 7))
			return -EINVAL;
		return absolute_norm(r, len, out);
	}
	if (len >= 2 && r[0] == '/' && r[1] == '/') { /* network-path */
		if (len + 5 > FWD_CACHE_KEY_MAX || has_dot_segment(r, len))
			return -EINVAL;
		memcpy(abs, "http:", 5);
		memcpy(abs + 5, r, len);
		return absolute_norm(abs, len + 5, out);
	}
	if (!fwd_cache_put(out, &n, uri, origin))
		return -EINVAL;
	if (len > 0 && r[0] == '/') { /* absolute-path */
		if (has_dot_segment(r, len) || !fwd_cache_put(out, &n, r, len))
			return -EINVAL;
		return (int)n;
	}
	/* relative: the target's path to its last '/' (or all of it before
	 * the query for "?q"), then the reference */
	q = memchr(path, '?', ulen - origin);
	if (q == NULL)
		q = uri + ulen;
	if (len > 0 && r[0] == '?') {
		slash = q;
	} else {
		for (slash = q; slash > path && slash[-1] != '/'; slash--)
			;
	}
	if (!fwd_cache_put(out, &n, path, (uint32_t)(slash - path)) ||
	    !fwd_cache_put(out, &n, r, len) ||
	    has_dot_segment(out + origin, n - origin))
		return -EINVAL;
	return (int)n;
}

/* Remove the key of <uri> (<n> bytes) of the kind of <tkey> (a target's
 * key: "GET " or "REV "); counted when it was there. */
static void
purge_uri(struct fwd_ctx *fc, const uint8_t *tkey, const char *uri, uint32_t n)
{
	uint8_t key[FWD_CACHE_KEY_MAX];
	int klen =
	    cache_key_build(key, sizeof(key), (const char *)tkey, 3, uri, n);

	if (klen > 0 && cache_index_purge(fc->p.cache, key, (size_t)klen) == 0)
		fc->cnt->fwd_cache_invalidated++;
}

void
fwd_cache_invalidate(struct fwd_session *s, const struct http_msg *msg,
                     const char *buf)
{
	static const char *const fields[] = {"location", "content-location"};
	struct fwd_ctx *fc = s->l->fc;
	struct fwd_txn *t = s->txn;
	char out[FWD_CACHE_KEY_MAX];
	const char *uri;
	uint32_t ulen, origin;
	unsigned k;
	int i, n;

	s->flags &= (uint32_t)~SF_CACHE_INVAL;
	if (t == NULL || msg->status < 200 || msg->status >= 400)
		return;
	GH_VERIFY(t->cache_key_len > 4 &&
	          t->cache_key_len <= FWD_CACHE_KEY_MAX);
	uri = (const char *)t->cache_key + 4; /* "GET " or "REV " */
	ulen = t->cache_key_len - 4u;
	purge_uri(fc, t->cache_key, uri, ulen);
	origin = target_origin(uri, ulen);
	for (k = 0; k < GH_ARRAY_SIZE(fields); k++) {
		i = http_hdr_find(msg, buf, fields[k], 0);
		if (i < 0)
			continue;
		n = resolve(buf + msg->hdr[i].value.off, msg->hdr[i].value.len,
		            uri, ulen, out);
		/* only the target's origin (4.4: no denial of service on
		 * others' entries) */
		if (n > 0 && (uint32_t)n >= origin &&
		    memcmp(out, uri, origin) == 0 &&
		    ((uint32_t)n == origin || out[origin] == '/'))
			purge_uri(fc, t->cache_key, out, (uint32_t)n);
	}
}
