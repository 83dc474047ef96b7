/*
 * The HTTP forward proxy of one worker (fwd_*.c), private to lib/proxy:
 * proxy.c creates it with the first `mode forward` listener and drives its
 * timers.  Threading as proxy.h: the worker's own.
 */
#ifndef GH_PROXY_FORWARD_H
#define GH_PROXY_FORWARD_H

#include <stdint.h>

#include "conf/conf_types.h"
#include "proxy/proxy_types.h"
#include "tcp/tcp.h"

struct fwd_ctx; /* opaque */

/*
 * The forward proxy state of a worker with parameters <p> (copied; p->dns
 * set), counting into <cnt>, its scratch sized for <cfg>'s head limit.
 * Returns NULL (errno ENOMEM) on failure.
 */
struct fwd_ctx *fwd_ctx_create(const struct proxy_params *p,
                               struct proxy_counters *cnt,
                               const struct conf_forward *cfg);

/* Listen on <ip_be>:<port_be> of port <port_idx> with settings <cfg>
 * (copied).  Returns 0, the -errno of tcp_listen(), -EINVAL, or -ENOSPC
 * (too many listeners, or a head limit above the one fwd_ctx_create()
 * sized for). */
int fwd_listen(struct fwd_ctx *fc, unsigned port_idx, uint32_t ip_be,
               uint16_t port_be, const struct conf_forward *cfg,
               enum tcp_cc_algo cc);

/* Run the timers that are due. */
void fwd_ctx_timer(struct fwd_ctx *fc, uint64_t now_tsc);

/* Every loop: the sessions waiting on objects other requests fill
 * (collapsed misses) whose objects changed, and those waiting for the
 * verifier's answer on their credentials.  Returns the wakes taken. */
unsigned fwd_ctx_poll(struct fwd_ctx *fc);

/* The counters of listener <i> (in fwd_listen() order), or NULL. */
const struct proxy_listener_counters *
fwd_ctx_listener_counters(const struct fwd_ctx *fc, unsigned i);

/* Free it, after its TCP stack closed every connection. NULL is fine. */
void fwd_ctx_destroy(struct fwd_ctx *fc);

/* Requests this worker has in flight to server <srv> of pool <pool>
 * (any thread: a view for pool show, read without a lock). */
uint32_t fwd_rev_outstanding(const struct fwd_ctx *fc, unsigned pool,
                             unsigned srv);

/* This worker's counters of pool <pool>, or of its server <srv>: NULL
 * when there is no such pool or server (for the control thread's sums). */
const struct proxy_pool_counters *
fwd_rev_pool_counters(const struct fwd_ctx *fc, unsigned pool);
const struct proxy_server_counters *
fwd_rev_server_counters(const struct fwd_ctx *fc, unsigned pool, unsigned srv);

#endif /* GH_PROXY_FORWARD_H */
