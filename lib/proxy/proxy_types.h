/*
 * Types of the proxy layer (see proxy.h).
 */
#ifndef GH_PROXY_TYPES_H
#define GH_PROXY_TYPES_H

#include <stdint.h>

#include "stats/stats_types.h"

struct proxy_worker; /* opaque: proxy.c */

/* The built-in test services. */
enum proxy_service {
	PROXY_SVC_ECHO = 1,    /* RFC 862: send back what arrives */
	PROXY_SVC_DISCARD = 2, /* RFC 863: swallow what arrives */
	PROXY_SVC_CHARGEN = 3, /* RFC 864: send lines until the peer closes */
};

/* clang-format off */
#define PROXY_COUNTERS(X)                                                     \
	X(relay_accepted,     "relay: client connections accepted")           \
	X(relay_connected,    "relay: upstream connections established")      \
	X(relay_upstream_failed, "relay: upstream connect failed (client reset)") \
	X(relay_closed,       "relay: sessions ended, both legs closed")      \
	X(relay_reset,        "relay: sessions ended by a reset on either leg") \
	X(relay_bytes_c2u,    "relay: bytes passed from client to upstream")  \
	X(relay_bytes_u2c,    "relay: bytes passed from upstream to client")  \
	X(relay_backpressure, "relay: sends refused by a full leg (held, window closed)") \
	X(svc_accepted,       "services: connections accepted")               \
	X(svc_bytes_in,       "services: bytes received")                     \
	X(svc_bytes_out,      "services: bytes sent")                         \
	X(refused_no_session, "connections refused: session pool empty")      \
	X(refused_no_mbuf,    "chargen lines not sent: mbuf pool empty")      \
	X(connect_error,      "relay: tcp_connect refused (no port / no TCB)") \
	X(sessions_in_use,    "gauge: sessions (relay and services) open now")
/* clang-format on */

struct proxy_counters {
	PROXY_COUNTERS(STATS_FIELD)
};

#endif /* GH_PROXY_TYPES_H */
