/*
 * The cache key of a GET for an http URL, one builder for every place
 * that needs it: the forward proxy's lookups and stores (from a parsed
 * request) and the operator's `gatehousectl cache purge URL` (from text).
 * The key is "GET " + "http://" + host in lower case (an IPv6 literal in
 * brackets) + ":port" unless 80 + the path with its query ("/" in front
 * when the target has no path).  Pure functions: any thread.
 */
#ifndef GH_CACHE_KEY_H
#define GH_CACHE_KEY_H

#include <stddef.h>
#include <stdint.h>

/*
 * The key of a GET to <host> (<host_len> bytes as parsed by lib/http: an
 * IPv6 literal without its brackets, so any ':' in it means one), port
 * <port> and path <path> (<path_len> bytes, the query included; may be
 * empty or start with '?') into <key> of <cap> bytes.  Returns its length
 * > 0, -EINVAL (empty host, port 0) or -ENAMETOOLONG (over <cap> or
 * CACHE_KEY_MAX_BYTES).
 */
int cache_key_http(const char *host, size_t host_len, uint16_t port,
                   const char *path, size_t path_len, uint8_t *key, size_t cap);

/* The same for an ftp URL: "GET ftp://host[:port]/path", the port left
 * out when it is 21 (the FTP gateway's files, lib/proxy/fwd_ftp.c). */
int cache_key_ftp(const char *host, size_t host_len, uint16_t port,
                  const char *path, size_t path_len, uint8_t *key, size_t cap);

struct http_msg;

/* The key of the absolute-form request <msg> (parsed from <buf>):
 * cache_key_ftp for an ftp:// URL, else cache_key_http. */
int cache_key_msg(const struct http_msg *msg, const char *buf, uint8_t *key,
                  size_t cap);

/*
 * The key a GET for absolute URL <url> (<len> bytes, no NUL needed) is
 * stored under: the URL is read by lib/http's request-target rules, so it
 * is what the proxy would have parsed from a client sending that URL.
 * Writes it into <key> of <cap> bytes.  Returns its length > 0, or
 * -EINVAL (not an absolute URL, a bad host or port, userinfo, a fragment,
 * a byte that is not visible ASCII), -EPROTONOSUPPORT (a scheme other
 * than http: https is tunnelled, never cached), -ENAMETOOLONG (over <cap>
 * or CACHE_KEY_MAX_BYTES).  <*why> (when <why> is not NULL) gets a short
 * static reason on every error.
 */
int cache_key_from_url(const char *url, size_t len, uint8_t *key, size_t cap,
                       const char **why);

#endif /* GH_CACHE_KEY_H */
