/*
 * The proxy layer of one worker: the L4 relay (HAProxy `mode tcp`, nginx
 * `stream`): accept on an inside address, connect to a configured upstream
 * from the address of the port that reaches it, and splice both legs byte
 * for byte with backpressure and half-close; the RFC 862/863/864 echo,
 * discard and chargen services for tests; and the HTTP/1.1 forward proxy
 * (`mode forward`, lib/proxy/fwd_*.c behind forward.h), which proxy.c
 * creates with the first forward listener and drives the timers of.
 *
 * Threading: a struct proxy_worker belongs to one worker, like the TCP stack
 * it sits on; every call is made by that worker.  Sessions come from a pool
 * allocated at creation; running out is a counted refusal (the client is
 * reset).  Payload moves as mbuf chains from one leg's on_data to the other
 * leg's tcp_send without copying.
 */
#ifndef GH_PROXY_H
#define GH_PROXY_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mempool.h>

#include "conf/conf_types.h"
#include "dns/dns_types.h"
#include "log/alog_types.h"
#include "net/net_types.h"
#include "proxy/proxy_check.h"
#include "proxy/proxy_types.h"
#include "tcp/tcp.h"

/* The counter group of struct proxy_counters ("proxy"). */
extern const struct stats_group_desc proxy_counters_desc;

/* Create a worker's proxy layer. Returns NULL and sets errno. */
struct proxy_worker *proxy_worker_create(const struct proxy_params *p);

/* Free it (after its TCP stack closed every connection). NULL is fine. */
void proxy_worker_destroy(struct proxy_worker *pw);

/*
 * Relay: listen on <ip_be>:<port_be> of port <port_idx>; each accepted
 * connection is spliced to <up_ip_be>:<up_port_be>, opened from
 * <up_local_ip_be> on port <up_port_idx>.  Returns 0 or the -errno of
 * tcp_listen(), or -ENOSPC (too many listeners).
 */
int proxy_listen_relay(struct proxy_worker *pw, unsigned port_idx,
                       uint32_t ip_be, uint16_t port_be, unsigned up_port_idx,
                       uint32_t up_local_ip_be, uint32_t up_ip_be,
                       uint16_t up_port_be, enum tcp_cc_algo cc);

/* A test service on <ip_be>:<port_be>. Returns as proxy_listen_relay(). */
int proxy_listen_service(struct proxy_worker *pw, enum proxy_service svc,
                         unsigned port_idx, uint32_t ip_be, uint16_t port_be,
                         enum tcp_cc_algo cc);

/*
 * HTTP/1.1 forward proxy on <ip_be>:<port_be> of port <port_idx>, with the
 * settings <fwd> (copied).  Needs p.dns.  Returns as proxy_listen_relay(),
 * or -EINVAL (no resolver), -ENOMEM.
 */
int proxy_listen_forward(struct proxy_worker *pw, unsigned port_idx,
                         uint32_t ip_be, uint16_t port_be,
                         const struct conf_forward *fwd, enum tcp_cc_algo cc);

/* Work of the forward proxy not started by packets (collapsed misses'
 * wakes); called by the worker every loop.  Returns how much it did. */
unsigned proxy_worker_poll(struct proxy_worker *pw);

/* Timeouts of the forward proxy; called by the worker every millisecond
 * or so with the current TSC. */
void proxy_worker_timer(struct proxy_worker *pw, uint64_t now_tsc);

/*
 * lib/lb's clock in the appliance: the TSC in ms, the same on every
 * worker and on the control thread (health states, ejections' ends).
 */
static inline uint64_t
proxy_lb_now_ms(uint64_t tsc, uint64_t tsc_hz)
{
	return tsc / (tsc_hz / 1000);
}

/*
 * The active health checks of <rev>'s pools that have `check` on, run by
 * <pw> from proxy_worker_timer() (the app gives them to one worker), each
 * result told to its pool's lb_health.  Returns 0 (also when no pool
 * checks), -EINVAL or -ENOMEM.
 */
int proxy_worker_checks(struct proxy_worker *pw, const struct conf_rev *rev);

/* The last check of server <srv> of pool <pool> on <pw>: PCHK_NONE when
 * <pw> does not check it (any thread: for logs and pool show). */
enum pchk_result proxy_worker_check_last(const struct proxy_worker *pw,
                                         unsigned pool, unsigned srv);

/* Requests <pw> has in flight to server <srv> of pool <pool> (any
 * thread: a view, read without a lock). */
uint32_t proxy_worker_pool_outstanding(const struct proxy_worker *pw,
                                       unsigned pool, unsigned srv);

/* The checks' counters of <pw> (zeros when it runs none). */
const struct pchk_counters *
proxy_worker_check_counters(const struct proxy_worker *pw);

/* The counter group of struct proxy_listener_counters ("listener"). */
extern const struct stats_group_desc proxy_listener_counters_desc;

/*
 * The counters of forward listener <i> of <pw> (the i-th
 * proxy_listen_forward() that succeeded), or NULL when there is none, for
 * the control thread's sums.
 */
const struct proxy_listener_counters *
proxy_worker_listener_counters(const struct proxy_worker *pw, unsigned i);

/* The counter groups of a pool ("pool": struct proxy_pool_counters then
 * PROXY_POOL_GAUGES) and of a server ("server": struct
 * proxy_server_counters then PROXY_SERVER_GAUGES), as declared. */
extern const struct stats_group_desc proxy_pool_counters_desc;
extern const struct stats_group_desc proxy_server_counters_desc;

/* The counters <pw> keeps of pool <pool> (index in the configuration's
 * conf_rev), or of its server <srv>: NULL when it has no such pool or
 * server (no reverse listener), for the control thread's sums. */
const struct proxy_pool_counters *
proxy_worker_pool_counters(const struct proxy_worker *pw, unsigned pool);
const struct proxy_server_counters *
proxy_worker_server_counters(const struct proxy_worker *pw, unsigned pool,
                             unsigned srv);

/* Counters of <pw>, for the control thread's sums. */
const struct proxy_counters *
proxy_worker_counters(const struct proxy_worker *pw);

#endif /* GH_PROXY_H */
