/*
 * Cache keys of http URLs (see cache_key.h).  cache_key_from_url does not
 * parse URLs itself: it hands "GET <url> HTTP/1.0" to lib/http, so the
 * octets, host, port and path rules are the proxy's own and a URL the
 * proxy would refuse has no key.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cache/cache_index_types.h"
#include "cache/cache_key.h"
#include "common/gh_common.h"
#include "http/http.h"

#define KEY_SCHEME     "http://"
#define KEY_SCHEME_LEN 7u
#define REQ_PREFIX     "GET "
#define REQ_SUFFIX     " HTTP/1.0\r\n\r\n"

/* Append <len> bytes of <src> to key[*n] within <cap>; false when full. */
static bool
put(uint8_t *key, size_t cap, size_t *n, const void *src, size_t len)
{
	if (len > cap - *n)
		return false;
	memcpy(key + *n, src, len);
	*n += len;
	return true;
}

/* The key "GET <scheme>host[:port]/path" (the port left out when it is
 * <dflt>): its length or -errno (see cache_key_http). */
static int
key_build(const char *scheme, uint16_t dflt, const char *host, size_t host_len,
          uint16_t port, const char *path, size_t path_len, uint8_t *key,
          size_t cap)
{
	bool v6;
	char pt[8];
	size_t n = 0, i;

	if (host_len == 0 || port == 0)
		return -EINVAL;
	if (cap > CACHE_KEY_MAX_BYTES)
		cap = CACHE_KEY_MAX_BYTES;
	v6 = memchr(host, ':', host_len) != NULL;
	if (!put(key, cap, &n, "GET ", 4) ||
	    !put(key, cap, &n, scheme, strlen(scheme)) ||
	    (v6 && !put(key, cap, &n, "[", 1)) ||
	    host_len + (v6 ? 1 : 0) > cap - n)
		return -ENAMETOOLONG;
	for (i = 0; i < host_len; i++) {
		char c = host[i];

		key[n++] =
		    (uint8_t)((c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c);
	}
	if (v6 && !put(key, cap, &n, "]", 1))
		return -ENAMETOOLONG;
	if (port != dflt) {
		int k = snprintf(pt, sizeof(pt), ":%u", (unsigned)port);

		GH_VERIFY(k > 1 && (size_t)k < sizeof(pt));
		if (!put(key, cap, &n, pt, (size_t)k))
			return -ENAMETOOLONG;
	}
	if ((path_len == 0 || path[0] != '/') && !put(key, cap, &n, "/", 1))
		return -ENAMETOOLONG;
	if (!put(key, cap, &n, path, path_len))
		return -ENAMETOOLONG;
	return (int)n;
}

int
cache_key_http(const char *host, size_t host_len, uint16_t port,
               const char *path, size_t path_len, uint8_t *key, size_t cap)
{
	return key_build(KEY_SCHEME, 80, host, host_len, port, path, path_len,
	                 key, cap);
}

int
cache_key_ftp(const char *host, size_t host_len, uint16_t port,
              const char *path, size_t path_len, uint8_t *key, size_t cap)
{
	return key_build("ftp://", 21, host, host_len, port, path, path_len,
	                 key, cap);
}

int
cache_key_msg(const struct http_msg *msg, const char *buf, uint8_t *key,
              size_t cap)
{
	return (http_msg_is_ftp(msg) ? cache_key_ftp : cache_key_http)(
	    buf + msg->host.off, msg->host.len, msg->port, buf + msg->path.off,
	    msg->path.len, key, cap);
}

/* The scheme of <url>, checked before lib/http sees it (it would only say
 * "invalid request-target").  Returns 0 for http, else -errno. */
static int
scheme_check(const char *url, size_t len, const char **why)
{
	const char *sep = memchr(url, ':', len);
	size_t i;

	if ((len >= KEY_SCHEME_LEN &&
	     strncasecmp(url, KEY_SCHEME, KEY_SCHEME_LEN) == 0) ||
	    (len >= 6 && strncasecmp(url, "ftp://", 6) == 0))
		return 0;
	if (sep != NULL && (size_t)(sep - url) + 3 <= len &&
	    memcmp(sep, "://", 3) == 0 && sep > url) {
		for (i = 0; url + i < sep; i++)
			if (!((url[i] >= 'a' && url[i] <= 'z') ||
			      (url[i] >= 'A' && url[i] <= 'Z')))
				break;
		if (url + i == sep) {
			*why = "only http:// and ftp:// URLs are cached "
			       "(https and other schemes never are)";
			return -EPROTONOSUPPORT;
		}
	}
	*why = "not an absolute http URL (http://host[:port]/path)";
	return -EINVAL;
}

int
cache_key_from_url(const char *url, size_t len, uint8_t *key, size_t cap,
                   const char **why)
{
	static const char pre[] = REQ_PREFIX, suf[] = REQ_SUFFIX;
	char req[sizeof(pre) - 1 + CACHE_KEY_MAX_BYTES + sizeof(suf)];
	struct http_limits lim;
	struct http_msg msg;
	const char *dummy;
	size_t i, rlen;
	int rc;

	if (why == NULL)
		why = &dummy;
	*why = "URL too long";
	if (len > CACHE_KEY_MAX_BYTES)
		return -ENAMETOOLONG;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)url[i];

		if (c == '#') {
			*why = "fragment (#...) in URL: clients never send "
			       "one, leave it out";
			return -EINVAL;
		}
		if (c <= 0x20 || c >= 0x7f) {
			*why = "URL byte that is not visible ASCII "
			       "(percent-encode it)";
			return -EINVAL;
		}
	}
	rc = scheme_check(url, len, why);
	if (rc < 0)
		return rc;
	memcpy(req, pre, sizeof(pre) - 1);
	memcpy(req + sizeof(pre) - 1, url, len);
	memcpy(req + sizeof(pre) - 1 + len, suf, sizeof(suf) - 1);
	rlen = sizeof(pre) - 1 + len + sizeof(suf) - 1;
	http_limits_default(&lim);
	if (lim.max_request_line < rlen)
		lim.max_request_line = (uint32_t)rlen;
	http_msg_init(&msg, true, HTTP_M_GET);
	rc = http_parse_head(&msg, req, (uint32_t)rlen, &lim);
	if (rc != HTTP_OK) {
		*why = rc == HTTP_ERROR && msg.error != NULL
		           ? msg.error
		           : "not an absolute http URL";
		return -EINVAL;
	}
	GH_VERIFY(msg.form == HTTP_FORM_ABSOLUTE &&
	          (msg.scheme.len == 4 || msg.scheme.len == 3));
	/* an ftp URL with a user is never stored (fwd_txn.c): no key */
	if (http_msg_ftp_user(&msg, req)) {
		*why = "an ftp:// URL with user@ is never cached";
		return -EINVAL;
	}
	rc = cache_key_msg(&msg, req, key, cap);
	if (rc == -ENAMETOOLONG)
		*why = "URL too long";
	else if (rc < 0)
		*why = "invalid host or port";
	return rc;
}
