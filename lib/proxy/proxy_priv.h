/*
 * What the files of lib/proxy share and nobody else sees: the worker's
 * proxy state and its listeners.  proxy.c holds the relay and the test
 * services, forward.c the HTTP forward proxy.
 */
#ifndef GH_PROXY_PRIV_H
#define GH_PROXY_PRIV_H

#include "proxy/proxy.h"

#define PROXY_WORKER_MAGIC  0x70787701u
#define PROXY_LISTENERS_MAX 16

struct proxy_listener {
	struct proxy_worker *pw;
	uint8_t kind; /* enum session_kind */
	uint8_t cc;   /* enum tcp_cc_algo of the upstream leg */
	unsigned up_port_idx;
	uint32_t up_local_ip_be;
	uint32_t up_ip_be;
	uint16_t up_port_be;
};

struct proxy_session;
struct fwd_ctx; /* forward.c */

struct proxy_worker {
	unsigned magic;
	struct proxy_params p;
	unsigned n_listeners;
	struct proxy_listener listeners[PROXY_LISTENERS_MAX];
	uint32_t free_head; /* index + 1 of the first free session, 0: none */
	struct proxy_session *sessions;
	struct fwd_ctx *fwd; /* NULL until the first forward listener */
	struct proxy_counters cnt;
};

/*
 * Offer the chain *q to <c>: the whole chain, else one mbuf at a time
 * while they fit.  The whole chain is always offered first: a refusal is
 * what makes TCP call on_writable once room opens, so a leg never waits
 * without being woken.  What TCP took leaves *q.  Returns its bytes.
 */
uint32_t proxy_chain_send(struct tcp_conn *c, struct rte_mbuf **q);

/* forward.c: free the forward proxy's state (proxy_worker_destroy). */
void fwd_ctx_destroy(struct fwd_ctx *fc);

/* forward.c: run its timers (proxy_worker_timer). */
void fwd_ctx_timer(struct fwd_ctx *fc, uint64_t now_tsc);

#endif /* GH_PROXY_PRIV_H */
