/*
 * The management endpoint: a kernel TCP socket (never the data ports) on
 * the management address (management-listen, 127.0.0.1:9190 by default)
 * that answers GET /metrics with every counter in the Prometheus text
 * format 0.0.4 (app_metrics_render), and GET /status (a page charting the
 * last minutes, built into the binary) and /status.json (its data, the
 * live views' history of status.h).  Served by the control thread from
 * its poll loop together with the control socket (mgmt_ctl_serve), never
 * blocking: a few clients at a time, each with a bounded request, a
 * deadline to send it and one to take the answer; one answer per
 * connection, then the connection closes.  Other paths get 404, other
 * methods 405, a request over 2 KiB 431, a malformed one 400.
 */
#ifndef GH_APP_MGMT_H
#define GH_APP_MGMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stats/stats_types.h"
#include "ctl.h"
#include "gatehouse.h"

#define MGMT_CLIENTS_MAX 4
#define MGMT_REQ_MAX     2048        /* bytes of a request head, at most */
#define MGMT_READ_MS     2000        /* from the accept to the whole request */
#define MGMT_WRITE_MS    5000        /* from the request to the answer sent */
#define MGMT_LINGER_MS   1000        /* reading what follows the answer */
#define MGMT_REPLY_MAX   (16u << 20) /* a rendering larger: 500 */

/* The endpoint's own counters (group "management", every surface). */
/* clang-format off */
#define MGMT_COUNTERS(X)                                                      \
	X(accepted,     "connections accepted")                               \
	X(scrapes,      "GET /metrics answered 200")                          \
	X(status_pages, "GET /status and /status.json answered 200")          \
	X(not_found,    "requests for another path (404)")                    \
	X(bad_method,   "requests with another method than GET or HEAD (405)") \
	X(bad_request,  "malformed requests (400)")                           \
	X(too_large,    "requests over 2 KiB (431)")                          \
	X(timeouts,     "connections closed at their deadline (request not sent or answer not taken in time)") \
	X(render_errors, "scrapes and status pages answered 500: no memory, or over 16 MiB")
/* clang-format on */

struct mgmt_counters {
	MGMT_COUNTERS(STATS_FIELD)
};

struct mgmt_client {
	int fd;               /* -1: free */
	uint64_t deadline_ms; /* CLOCK_MONOTONIC */
	size_t req_len;
	char req[MGMT_REQ_MAX];
	char *mem; /* the answer's allocation */
	const char *out;
	size_t out_len;
	size_t out_off;
	bool writing;
	bool lingering; /* answered and shut down: reading to the EOF */
};

struct mgmt {
	int fd; /* the listening socket, -1 when off */
	struct mgmt_client cl[MGMT_CLIENTS_MAX];
	size_t render_hint; /* bytes the last rendering took */
	struct mgmt_counters cnt;
};

/*
 * Listen on <ip_be>:<port_be> (network order); port 0 leaves the endpoint
 * off.  Returns 0, or -errno with a message in <err>.
 */
int mgmt_open(struct mgmt *m, uint32_t ip_be, uint16_t port_be, char *err,
              size_t errlen);

/*
 * Wait up to <timeout_ms> for the control socket <c> and the endpoint,
 * then serve what is ready: the endpoint's clients a step each (never
 * blocking), the control socket's client as ctl_serve() does.  Returns
 * what ctl_serve() returns (0 when it had no client), or -errno of poll.
 */
int mgmt_ctl_serve(struct mgmt *m, struct ctl *c, const struct app *a,
                   int timeout_ms);

/* Close the clients and the socket. */
void mgmt_close(struct mgmt *m);

#endif /* GH_APP_MGMT_H */
