/*
 * The forward proxy's test setup, shared by its test files: fwd_setup*()
 * create the proxy (fc, its counters cnt, its configuration cfg) on node A
 * listening on 10.0.0.1:3128, with the origin (org) listening on
 * 10.0.0.2:80; fwd_setup_cache() adds a shared cache (ci, 4 MiB, objects
 * up to 1 MiB, the test thread its one worker).  fwd_teardown() ends all.
 */
#ifndef FWD_TEST_UTIL_H
#define FWD_TEST_UTIL_H

#include <stdbool.h>
#include <stdint.h>

#include "conf/conf_types.h"
#include "proxy/proxy_types.h"

struct fwd_ctx;
struct cache_index;
struct dns_resolver;

extern struct fwd_ctx *fc;
extern struct cache_index *ci;
extern struct dns_resolver *dns;
extern struct proxy_counters cnt;
extern struct conf_forward cfg;
/* cache-collapse-wait-ms of the next fwd_setup_cfg() (default 10000) */
extern uint32_t collapse_ms;

struct peer;

/* The proxy allowing the client (<allow_b>) or not, with a cache or not. */
void fwd_setup_cfg(bool allow_b, bool cache);
void fwd_setup(void);
void fwd_setup_denied(void);
void fwd_setup_cache(void);
void fwd_teardown(void);

/* Connect client peer <p> (cli: client_connect) to the proxy. */
void peer_connect(struct peer *p);
void client_connect(void);
/* How many times <needle> occurs in <hay>. */
unsigned count_of(const char *hay, const char *needle);
/* Requests the proxy sent upstream, on new or reused connections. */
uint64_t origin_requests(void);
/* GET <path> (with the header lines <extra>) from the client; the origin
 * answers with <resp> when the request reached it.  Returns whether it
 * did. */
bool cache_get(const char *path, const char *extra, const char *resp);

#endif /* FWD_TEST_UTIL_H */
