/*
 * The forward proxy's test set-up on the two-stack harness
 * (proxy_test_util.h), shared by the forward proxy's test files: node A
 * (10.0.0.1) runs the proxy on port 3128, node B (10.0.0.2) is the
 * client and the origin (a listener on port 80).
 */
#ifndef FWD_TEST_UTIL_H
#define FWD_TEST_UTIL_H

#include <stdbool.h>
#include <stdint.h>

#include "proxy_test_util.h"
#include "conf/conf_types.h"
#include "log/alog.h"
#include "proxy/forward.h"

/* What a test's proxy has besides the defaults. */
struct ft_opts {
	bool deny_b;       /* allow-src leaves node B out */
	bool cache;        /* a 4 MiB cache (the test thread a QSBR reader) */
	bool cache_status; /* cache-status on */
	struct alog_ring *alog; /* the worker's access-log ring, or NULL */
	uint32_t collapse_ms;   /* cache-collapse-wait-ms; 0: 10000 */
	uint32_t max_object_kb; /* cache-max-object-kb; 0: 512 */
	uint32_t bg_max;        /* cache-background-max; 0: 64 */
	/* where the test publishes live versions (proxy_live.h), or NULL */
	struct proxy_live *const *live;
	struct auth_verifier *auth; /* the proxy users' verifier, or NULL */
};

/* The proxy under test and what it was given (ft_setup()). */
extern struct fwd_ctx *fc;
extern struct cache_index *ci;
extern struct dns_resolver *dns;
extern struct proxy_counters cnt;
extern struct conf_forward cfg;

/* The harness, the resolver, the cache, the proxy listening on
 * 10.0.0.1:3128, the origin listening on 10.0.0.2:80. */
void ft_setup(const struct ft_opts *o);
/* All of it down; asserts that no cache object is still referenced. */
void ft_teardown(void);
/* Connect client peer <p> to the proxy. */
void peer_connect(struct peer *p);
/* Connect the client (cli) to the proxy. */
void client_connect(void);
/* Requests the proxy sent upstream, on new or reused connections. */
uint64_t origin_requests(void);
/* GET http://10.0.0.2<path> from the client with the header lines
 * <extra>; the origin answers <resp> (NULL: not yet) when the request
 * reached it.  Returns whether it did. */
bool ft_get(const char *path, const char *extra, const char *resp);
/* ft_get() with the client's and the origin's buffers cleared first. */
bool ft_get_clear(const char *path, const char *extra, const char *resp);
/* ft_setup(<o>) with a cache and a 256-slot access-log ring, returned;
 * ft_teardown_ring() takes both down. */
struct alog_ring *ft_setup_ring(struct ft_opts o);
void ft_teardown_ring(struct alog_ring *ring);
/* A second listener on 10.0.0.1:<port> with <c>, and the client (cli)
 * connecting to it anew (the old connection forgotten); returns whether
 * it was accepted. */
bool ft_listen_connect(uint16_t port, const struct conf_forward *c);
/* The access-log lines of <ring> since the last call (squid format),
 * joined; the ring is emptied. */
const char *ft_log_lines(struct alog_ring *ring);

/* The same with the older tests' names: fwd_setup_cfg() is ft_setup()
 * with allow-src for node B or not, a cache or not, and <collapse_ms>
 * (default 10000); fwd_setup(), fwd_setup_denied(), fwd_setup_cache() its
 * three uses; fwd_teardown() is ft_teardown(); cache_get() is ft_get(). */
extern uint32_t collapse_ms;
void fwd_setup_cfg(bool allow_b, bool cache);
void fwd_setup(void);
void fwd_setup_denied(void);
void fwd_setup_cache(void);
void fwd_teardown(void);
bool cache_get(const char *path, const char *extra, const char *resp);
/* How many times <needle> occurs in <hay>. */
unsigned count_of(const char *hay, const char *needle);

#endif /* FWD_TEST_UTIL_H */
