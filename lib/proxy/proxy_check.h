/*
 * Active health checks of a reverse proxy's servers (issue 14 item 3): a
 * TCP connect, or an HTTP request whose status line is compared with the
 * one expected, every interval, each within a timeout.  One worker runs
 * every check (the servers are reached through the userspace stack, from
 * the appliance's own address); what a check found goes to the caller's
 * report function, which feeds the pool's shared health (lib/lb).
 *
 * Threading: a pchk_ctx belongs to the worker that created it; its calls
 * and the report run on that worker.  pchk_last() may be read by any
 * thread (a relaxed load: for logs).  Nothing is allocated after
 * pchk_create(); a check holds at most one connection and
 * PCHK_REPLY_MAX bytes of the reply.
 */
#ifndef GH_PROXY_CHECK_H
#define GH_PROXY_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mempool.h>

#include "proxy/proxy_types.h"

struct tcp_stack;

#define PCHK_TARGETS_MAX 1024
#define PCHK_REPLY_MAX   256 /* the status line must end within it */
#define PCHK_REQUEST_MAX 1024

enum pchk_kind {
	PCHK_TCP = 1,  /* the connection is accepted */
	PCHK_HTTP = 2, /* and the response's status is the expected one */
};

/* What a check found (the report's argument). */
enum pchk_result {
	PCHK_NONE = 0,        /* not run yet */
	PCHK_OK = 1,          /* passed */
	PCHK_REFUSED = 2,     /* connection refused (RST to the SYN) */
	PCHK_TIMEOUT = 3,     /* no answer within the timeout */
	PCHK_RESET = 4,       /* reset or closed before the answer */
	PCHK_UNREACHABLE = 5, /* no route, no ARP answer */
	PCHK_STATUS = 6,      /* HTTP: another status than expected */
	PCHK_BAD_REPLY = 7,   /* HTTP: no status line we can read */
	PCHK_NO_CONN = 8,     /* no connection slot or local port here */
};

/* One server to check.  Strings are copied by pchk_create(). */
struct pchk_target {
	enum pchk_kind kind;
	unsigned port_idx; /* the port the connection leaves from */
	uint32_t local_ip_be;
	uint32_t ip_be;
	uint16_t port_be;
	uint16_t expect_status; /* HTTP: 100..599 */
	uint32_t interval_ms;   /* >= 1: from the start of one check to the
	                           start of the next */
	uint32_t timeout_ms;    /* >= 1, the whole check */
	/* HTTP: the request sent, whole ("GET /health HTTP/1.1\r\nHost:
	 * ...\r\nConnection: close\r\n\r\n"), at most PCHK_REQUEST_MAX */
	const char *request;
	uint32_t request_len;
};

/* Called on the checking worker after each check of target <i>. */
typedef void (*pchk_report_fn)(void *arg, unsigned i, enum pchk_result r,
                               uint64_t now_ms);

struct pchk_ctx;

/*
 * A checker of the <n> (1..PCHK_TARGETS_MAX) targets <t> on <tcp>, with
 * mbufs for requests from <pool>; the first checks are spread over each
 * target's interval from <now_ms>.  NULL and errno (EINVAL, ENOMEM).
 */
struct pchk_ctx *pchk_create(struct tcp_stack *tcp, struct rte_mempool *pool,
                             const struct pchk_target *t, unsigned n,
                             pchk_report_fn report, void *report_arg,
                             uint64_t now_ms);

/* Stop checking: connections open are reset, no report follows. */
void pchk_destroy(struct pchk_ctx *pc);

/* Start the checks that are due and end the late ones; the worker calls
 * it about every ms.  Returns how many checks it started or ended. */
unsigned pchk_run(struct pchk_ctx *pc, uint64_t now_ms);

/* The last result of target <i> (any thread). */
enum pchk_result pchk_last(const struct pchk_ctx *pc, unsigned i);

/* A result's name for logs ("ok", "refused", "timeout", ...). */
const char *pchk_result_name(enum pchk_result r);

/* The checker's counters (group "health", proxy_types.h). */
const struct pchk_counters *pchk_counters(const struct pchk_ctx *pc);
extern const struct stats_group_desc pchk_counters_desc;

#endif /* GH_PROXY_CHECK_H */
