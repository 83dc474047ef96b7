/*
 * The reverse proxy's pools as one worker serves them, beyond lib/lb's
 * choice: the active health checks of the pools that have `check` on
 * (proxy_check.h), run by the one worker the app gives them to, each
 * result fed to the pool's shared health.  Private to lib/proxy; the
 * app's calls are in proxy.h.
 */
#ifndef GH_PROXY_POOLS_H
#define GH_PROXY_POOLS_H

#include <stdint.h>

#include <rte_mempool.h>

#include "conf/conf_types.h"
#include "proxy/proxy_check.h"

struct tcp_stack;
struct proxy_checks;

/* The checks of <rev>'s pools with `check` on, from the addresses of
 * <ports>, on <tcp>; NULL and errno (ENOENT: no pool checks, EINVAL,
 * ENOMEM). */
struct proxy_checks *proxy_checks_new(const struct conf_rev *rev,
                                      const struct proxy_port *ports,
                                      unsigned n_ports, struct tcp_stack *tcp,
                                      struct rte_mempool *pool, uint64_t tsc_hz,
                                      uint64_t now_tsc);

/* Checks due at <now_tsc> start, late ones end. */
void proxy_checks_run(struct proxy_checks *pk, uint64_t now_tsc);

void proxy_checks_free(struct proxy_checks *pk);

/* The last check of server <srv> of pool <pool>: PCHK_NONE when its
 * pool has no checks (any thread). */
enum pchk_result proxy_checks_last(const struct proxy_checks *pk, unsigned pool,
                                   unsigned srv);

const struct pchk_counters *
proxy_checks_counters(const struct proxy_checks *pk);

#endif /* GH_PROXY_POOLS_H */
