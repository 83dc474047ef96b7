/*
 * Types of the proxy layer (see proxy.h).
 */
#ifndef GH_PROXY_TYPES_H
#define GH_PROXY_TYPES_H

#include <stdbool.h>
#include <stdint.h>

#include "auth/auth_types.h"
#include "net/net_types.h"
#include "stats/stats_types.h"

struct tcp_stack;
struct rte_mempool;
struct cache_index;
struct dns_resolver;
struct alog_ring;
struct proxy_live;

struct proxy_worker; /* opaque: proxy.c */

/* The built-in test services. */
enum proxy_service {
	PROXY_SVC_ECHO = 1,    /* RFC 862: send back what arrives */
	PROXY_SVC_DISCARD = 2, /* RFC 863: swallow what arrives */
	PROXY_SVC_CHARGEN = 3, /* RFC 864: send lines until the peer closes */
};

/* clang-format off */
/* The L4 relay (proxy.c). */
#define PROXY_RELAY_COUNTERS(X) \
	X(relay_accepted,     "relay: client connections accepted") \
	X(relay_connected,    "relay: upstream connections established") \
	X(relay_upstream_failed, "relay: upstream connect failed (client reset)") \
	X(relay_closed,       "relay: sessions ended, both legs closed") \
	X(relay_reset,        "relay: sessions ended by a reset on either leg") \
	X(relay_bytes_c2u,    "relay: bytes passed from client to upstream") \
	X(relay_bytes_u2c,    "relay: bytes passed from upstream to client") \
	X(relay_backpressure, "relay: splices that left bytes held for a full leg (per direction)")

/* The test services, then what they share with the relay: the session
 * pool (refused_no_session, sessions_in_use) and two that kept their
 * place so every surface lists the names in the order it always did
 * (refused_no_mbuf is chargen's, connect_error the relay's). */
#define PROXY_SVC_COUNTERS(X) \
	X(svc_accepted,       "services: connections accepted") \
	X(svc_bytes_in,       "services: bytes received") \
	X(svc_bytes_out,      "services: bytes sent") \
	X(refused_no_session, "connections refused: session pool empty") \
	X(refused_no_mbuf,    "chargen lines not sent: mbuf pool empty") \
	X(connect_error,      "relay: tcp_connect refused (no port / no TCB)") \
	X(sessions_in_use,    "gauge: sessions (relay and services) open now")

/* The HTTP forward proxy (fwd_*.c). */
#define PROXY_FWD_COUNTERS(X) \
	X(fwd_accepted,       "forward: client connections accepted") \
	X(fwd_sessions_in_use, "gauge: forward client connections open now") \
	X(fwd_requests,       "forward: requests received (heads parsed)") \
	X(fwd_responses,      "forward: responses relayed from an origin") \
	X(fwd_tunnels,        "forward: CONNECT tunnels established") \
	X(fwd_pipelined,      "forward: requests found queued behind another") \
	X(fwd_continue,       "forward: 1xx interim responses relayed") \
	X(fwd_options_answered, "forward: OPTIONS answered by the proxy (OPTIONS *, Max-Forwards: 0)") \
	X(fwd_continue_dropped, "forward: 1xx interim responses not relayed (HTTP/1.0 client)") \
	X(fwd_upstream_new,   "forward: upstream connections opened") \
	X(fwd_upstream_reused, "forward: requests sent on an idle upstream connection") \
	X(fwd_upstream_retried, "forward: requests sent again on a new connection (the reused one closed without a response)") \
	X(fwd_upstream_idle,  "forward: upstream connections kept idle for reuse") \
	X(fwd_upstream_idle_closed, "forward: idle upstream connections closed (timeout, peer, full)") \
	X(fwd_idle_in_use,    "gauge: idle upstream connections held now") \
	X(fwd_denied_src,     "forward: client connections reset at accept: address not in allow-src") \
	X(fwd_denied_dst,     "forward: 403, destination not allowed (own, private, non-routable)") \
	X(fwd_denied_port,    "forward: 403, CONNECT to a port not allowed") \
	X(fwd_acl_denied,     "forward: 403, denied by the access rules (http-access)") \
	X(fwd_acl_denied_dst, "forward: 403, denied by the access rules once the destination address was known") \
	X(fwd_auth_ok,        "forward auth: requests with verified Basic credentials (from the cache or the verifier)") \
	X(fwd_auth_failed,    "forward auth: requests whose credentials did not verify (unknown user or wrong password): 407") \
	X(fwd_auth_407,       "forward auth: 407 sent (no, unverified or non-Basic credentials)") \
	X(fwd_auth_invalid,   "forward auth: 400 sent, malformed Basic credentials (bad base64, no ':', over the bounds, two fields)") \
	X(fwd_auth_cache_hits, "forward auth: credentials judged from the worker's verification cache (verified or refused)") \
	X(fwd_auth_cache_misses, "forward auth: credentials sent to the verifier thread") \
	X(fwd_auth_queue_full, "forward auth: 503 sent, the verifier's queue of this worker was full") \
	X(fwd_auth_timeout,   "forward auth: 503 sent, the verifier did not answer within timeout-client-header-ms") \
	X(fwd_err_400,        "forward: 400 sent (bad request)") \
	X(fwd_err_405,        "forward: 405 sent (method not allowed)") \
	X(fwd_err_413,        "forward: 413 sent (request body too large)") \
	X(fwd_err_414,        "forward: 414 sent (request line too long)") \
	X(fwd_err_431,        "forward: 431 sent (header section too large)") \
	X(fwd_err_501,        "forward: 501 sent (method or scheme not implemented)") \
	X(fwd_err_505,        "forward: 505 sent (HTTP version)") \
	X(fwd_err_502_dns,    "forward: 502 sent, DNS lookup failed") \
	X(fwd_err_502_connect, "forward: 502 sent, upstream connect failed") \
	X(fwd_err_502_response, "forward: 502 sent, bad or missing upstream response") \
	X(fwd_err_504,        "forward: 504 sent, upstream timeout") \
	X(fwd_err_503,        "forward: 503 sent, no resources (connections, mbufs)") \
	X(fwd_client_timeout, "forward: client connections closed by the header or idle timeout") \
	X(fwd_aborted,        "forward: transactions cut short by a reset or a failure mid-stream") \
	X(fwd_bytes_c2u,      "forward: bytes sent upstream (heads and bodies)") \
	X(fwd_bytes_u2c,      "forward: bytes sent to clients (heads and bodies)") \
	X(fwd_no_mbuf,        "forward: heads not written: mbuf pool empty") \
	X(fwd_no_session,     "forward: connections refused: session pool empty") \
	X(fwd_log_records,    "forward: access-log records queued") \
	X(fwd_log_dropped,    "forward: access-log records lost: ring full") \
	X(rev_requests,       "reverse: requests routed to a pool") \
	X(rev_no_route_421,   "reverse: 421 sent, no route and no default-pool for the Host") \
	X(rev_no_route_404,   "reverse: 404 sent, the Host routed but no path prefix matched and no default-pool") \
	X(rev_bad_path,       "reverse: 400 sent, a dot-segment, an encoded / or \\ or a bad escape in the path (conf_route_path_safe)") \
	X(rev_no_server,      "reverse: 503 sent, no server of the pool usable (all ejected or down)") \
	X(rev_queued,         "reverse: requests that waited in their pool's queue (every server at max-conns)") \
	X(rev_queue_timeout,  "reverse: 503 sent, queue-timeout-ms passed in the queue") \
	X(rev_queue_full,     "reverse: 503 sent, the pool's queue held queue-max requests (or queue-timeout-ms 0)") \
	X(rev_retries,        "reverse: requests sent again to another server (its server failed before any response byte)") \
	X(rev_server_failures, "reverse: requests whose server failed (connect failure, reset or timeout before a response byte)") \
	X(rev_server_5xx,     "reverse: 5xx responses from servers") \
	X(rev_ejections,      "reverse: servers ejected by this worker's passive health (failure or 5xx streak)") \
	X(fwd_cache_hits,     "forward cache: requests answered from the cache (TCP_MEM_HIT)") \
	X(fwd_cache_misses,   "forward cache: cacheable requests (GET or HEAD, no body) not answered from it") \
	X(fwd_cache_stored,   "forward cache: responses stored whole (the object completed)") \
	X(fwd_cache_not_stored, "forward cache: responses to cacheable requests not stored (policy, framing, size, a fill already running)") \
	X(fwd_cache_fill_aborted, "forward cache: objects given up while filling (response cut short, object too large, no memory)") \
	X(fwd_cache_collapsed, "forward cache: misses that waited on another request's fetch of the same key instead of their own (collapsed), and requests that waited on another's validation (fwd_cache_reval_collapsed)") \
	X(fwd_cache_collapse_fallback, "forward cache: collapsed misses that fetched for themselves after all (the response was not storable, or the wait timed out)") \
	X(fwd_cache_collapse_timeout, "forward cache: collapsed misses whose wait for the response head passed cache-collapse-wait-ms") \
	X(fwd_cache_pass_marked, "forward cache: pass markers put under keys whose response could not be stored (their next misses fetch at once, no collapsing)") \
	X(fwd_cache_fill_orphaned, "forward cache: fills that went on for their waiters after their own client closed") \
	X(fwd_cache_send_stalls, "forward cache: sends from an object that waited 1 ms for an mbuf or a segment descriptor") \
	X(fwd_cache_variants_stored, "forward cache: responses with Vary stored whole under a variant key (also in fwd_cache_stored)") \
	X(fwd_cache_invalidated, "forward cache: objects removed by an unsafe method's response (target, Location, Content-Location)") \
	X(fwd_cache_revalidated_304, "forward cache: stale responses validated with the origin, 304: served from the cache (TCP_REFRESH_UNMODIFIED)") \
	X(fwd_cache_revalidated_200, "forward cache: validations the origin answered with a new response (TCP_REFRESH_MODIFIED)") \
	X(fwd_cache_stale_if_error, "forward cache: stale responses served because validation failed (stale-if-error, TCP_REFRESH_FAIL_OLD)") \
	X(fwd_cache_not_modified, "forward cache: 304s answered from the cache to clients' If-None-Match / If-Modified-Since") \
	X(fwd_cache_ranges, "forward cache: 206s answered from the cache (a single byte range)") \
	X(fwd_cache_range_416, "forward cache: 416s answered from the cache (a range not satisfiable)") \
	X(fwd_cache_stale_hits, "forward cache: requests answered at once from a stale response within its stale-while-revalidate window while a background validation runs (TCP_STALE_HIT; also in fwd_cache_hits)") \
	X(fwd_cache_reval_collapsed, "forward cache: requests that waited on another request's validation of the same stored response (foreground or background, any worker) instead of their own (also in fwd_cache_collapsed)") \
	X(fwd_cache_reval_collapse_timeout, "forward cache: of those, the ones whose wait passed cache-collapse-wait-ms (they validated themselves)") \
	X(fwd_cache_bg_started, "forward cache: background validations started (stale-while-revalidate)") \
	X(fwd_cache_bg_304, "forward cache: background validations answered 304: the stored head updated") \
	X(fwd_cache_bg_replaced, "forward cache: background validations answered with a new response (stored through the store path when storable)") \
	X(fwd_cache_bg_failed, "forward cache: background validations that failed (5xx, no answer, DNS, connect, timeout): the stale response left as it was") \
	X(fwd_cache_bg_refused, "forward cache: background validations not started (cache-background-max reached, no session or record): the request validated in the foreground") \
	X(fwd_cache_cdn_cc, "forward cache: responses whose storing and freshness a valid CDN-Cache-Control decided instead of Cache-Control (listeners with cache-cdn-control on)") \
	X(fwd_cache_cdn_cc_invalid, "forward cache: responses whose CDN-Cache-Control was ignored, no valid Dictionary or empty (listeners with cache-cdn-control on): Cache-Control decided") \
	PROXY_FWD_CACHE_NS_COUNTERS(X)

/* fwd_cache_not_stored by reason: RFC 9111's (cache_storable(), one per
 * enum cache_nostore but STORED), then this slice's own. */
#define PROXY_FWD_CACHE_NS_COUNTERS(X) \
	X(fwd_cache_not_stored_method, "forward cache: not stored: request method not GET or HEAD") \
	X(fwd_cache_not_stored_status, "forward cache: not stored: status not final, or must-understand with a status not understood") \
	X(fwd_cache_not_stored_partial, "forward cache: not stored: 206 or 304") \
	X(fwd_cache_not_stored_req_no_store, "forward cache: not stored: request Cache-Control: no-store") \
	X(fwd_cache_not_stored_no_store, "forward cache: not stored: response Cache-Control: no-store") \
	X(fwd_cache_not_stored_private, "forward cache: not stored: response Cache-Control: private") \
	X(fwd_cache_not_stored_authorization, "forward cache: not stored: Authorization without public, s-maxage or must-revalidate") \
	X(fwd_cache_not_stored_no_freshness, "forward cache: not stored: no explicit expiration and not heuristically cacheable") \
	X(fwd_cache_not_stored_unusable, "forward cache: not stored: stale on arrival, no validator, no stale-* window") \
	X(fwd_cache_not_stored_vary_never, "forward cache: not stored: Vary: * or a Vary that can never match") \
	X(fwd_cache_not_stored_set_cookie, "forward cache: not stored: the response sets a cookie (Set-Cookie)") \
	X(fwd_cache_not_stored_vary, "forward cache: not stored: Vary whose variant key is over 1024 bytes, or the request's fields over 2048 bytes") \
	X(fwd_cache_not_stored_framing, "forward cache: not stored: read until the close in a transfer coding other than chunked") \
	X(fwd_cache_not_stored_too_large, "forward cache: not stored: larger than cache-max-object-kb") \
	X(fwd_cache_not_stored_no_room, "forward cache: not stored: head too large or no memory for the object") \
	X(fwd_cache_not_stored_fill_running, "forward cache: not stored: another request is filling the same key")

/* The SOCKS5 server (fwd_socks.c): mode socks listeners. */
#define PROXY_SOCKS_COUNTERS(X) \
	X(socks_requests,     "socks: requests read whole (CONNECT, BIND, UDP ASSOCIATE)") \
	X(socks_connected,    "socks: CONNECTs established (reply 00 sent, the splice runs)") \
	X(socks_no_method,    "socks: greetings offering no method we accept (answered FF, closed)") \
	X(socks_auth_ok,      "socks: username/password sub-negotiations verified") \
	X(socks_auth_failed,  "socks: sub-negotiations refused (unknown user, wrong password, over the bounds; 01 01)") \
	X(socks_bad_version,  "socks: greetings, sub-negotiations or requests with a wrong version byte (closed)") \
	X(socks_bad_greeting, "socks: greetings with NMETHODS 0 (answered FF, closed)") \
	X(socks_bad_auth,     "socks: sub-negotiations with ULEN or PLEN 0 (answered 01 01, closed)") \
	X(socks_bad_request,  "socks: requests with RSV not 0, an empty or invalid domain or an unknown ATYP (answered 01 or 08)") \
	X(socks_truncated,    "socks: connections closed by the client mid-handshake (a message cut short)") \
	X(socks_handshake_timeout, "socks: handshakes cut by timeout-handshake-ms") \
	X(socks_rep_general,  "socks: replies 01 general failure sent") \
	X(socks_rep_not_allowed, "socks: replies 02 not allowed by ruleset (access rules, refused destinations)") \
	X(socks_rep_net_unreach, "socks: replies 03 network unreachable (no route)") \
	X(socks_rep_host_unreach, "socks: replies 04 host unreachable (DNS failure, NXDOMAIN, unreachable)") \
	X(socks_rep_refused,  "socks: replies 05 connection refused (RST to the connect)") \
	X(socks_rep_ttl_expired, "socks: replies 06 TTL expired (timeout-connect-ms passed)") \
	X(socks_rep_cmd,      "socks: replies 07 command not supported (BIND, UDP ASSOCIATE, unknown)") \
	X(socks_rep_atyp,     "socks: replies 08 address type not supported (IPv6, unknown)")

/* The FTP gateway (fwd_ftp.c): ftp:// URLs on forward listeners. */
#define PROXY_FTP_COUNTERS(X) \
	X(ftp_requests,       "ftp: ftp:// requests that started an FTP dialogue") \
	X(ftp_ok,             "ftp: files and listings answered 200 (HEAD included)") \
	X(ftp_listings,       "ftp: directory listings rendered as HTML") \
	X(ftp_redirects,      "ftp: files that were directories (RETR target CWDs fine): 301 to the name with a slash") \
	X(ftp_not_found,      "ftp: 550 (and 450, 553) on the target: 404") \
	X(ftp_login_failed,   "ftp: 530 to USER or PASS: 401 without credentials in the URL, 403 with") \
	X(ftp_err_reply,      "ftp: other failed replies (4xx: 503, 5xx: 502)") \
	X(ftp_bad_reply,      "ftp: malformed replies, lines or replies over the bounds, bad PASV/EPSV answers: 502") \
	X(ftp_bad_url,        "ftp: ftp:// URLs refused (userinfo, path or type not usable; a CR, LF or NUL in a name): 400") \
	X(ftp_timeout,        "ftp: control or data connections silent past timeout-upstream-read-ms (or connect past timeout-connect-ms): 504") \
	X(ftp_bounce_refused, "ftp: PASV answers naming another address than the control connection's server (FTP bounce): 502") \
	X(ftp_data_failed,    "ftp: data connections refused, reset or with no route: 502") \
	X(ftp_no_state,       "ftp: requests refused because the worker had FWD_FTP_MAX dialogues running: 503") \
	X(ftp_epsv_fallback,  "ftp: EPSV refused by the server: PASV used") \
	X(ftp_mlsd_fallback,  "ftp: MLSD refused by the server: LIST used") \
	X(ftp_aborted,        "ftp: transfers the server failed (4xx/5xx on the control connection) after the head went out: cut") \
	X(ftp_bytes,          "ftp: bytes read from data connections")

/* All of them, in the order of struct proxy_counters and every surface. */
#define PROXY_COUNTERS(X) \
	PROXY_RELAY_COUNTERS(X) \
	PROXY_SVC_COUNTERS(X) \
	PROXY_FWD_COUNTERS(X) \
	PROXY_SOCKS_COUNTERS(X) \
	PROXY_FTP_COUNTERS(X)
/* clang-format on */

struct proxy_counters {
	PROXY_COUNTERS(STATS_FIELD)
};

/*
 * One forward listener's counters on one worker (group "listener", one
 * instance per listener, named after it): kept in the worker's listener,
 * written by that worker only, summed by the control thread.  A
 * transaction is counted when it ends, once, in the class of the status
 * the client got; background validations (no client) are not counted.
 */
/* clang-format off */
#define PROXY_LISTENER_COUNTERS(X) \
	X(accepted,      "client connections accepted") \
	X(denied_src,    "client connections reset at accept: address not in allow-src") \
	X(requests,      "requests received (heads parsed, bad ones too)") \
	X(responses_1xx, "interim 1xx responses relayed") \
	X(responses_2xx, "transactions answered with a 2xx status") \
	X(responses_3xx, "transactions answered with a 3xx status") \
	X(responses_4xx, "transactions answered with a 4xx status") \
	X(responses_5xx, "transactions answered with a 5xx status") \
	X(responses_none, "transactions that ended with no status sent (client gone, reset mid-response)") \
	X(denied,        "requests refused by policy with a 403 (destination, CONNECT port, http-access)") \
	X(errors,        "error responses the proxy wrote itself (4xx and 5xx but the 403s of policy)") \
	X(bytes_in,      "bytes received from clients (heads, bodies, tunnels)") \
	X(bytes_out,     "bytes sent to clients (heads, bodies, tunnels)") \
	X(socks_ok,      "socks listeners: sessions answered 00 succeeded") \
	X(socks_failed,  "socks listeners: sessions that ended with a failure reply or none")
#define PROXY_LISTENER_HISTS(X) \
	X(request_duration, "transactions by duration: from the request head read whole to the end of the response")
/* clang-format on */

struct proxy_listener_counters {
	PROXY_LISTENER_COUNTERS(STATS_FIELD)
	PROXY_LISTENER_HISTS(STATS_HIST_FIELD)
};

/*
 * A reverse proxy's pools and servers on one worker (issue 14): groups
 * "pool.<pool>" and "server.<pool>.<server>" (Prometheus: labels pool and
 * server), kept in the worker by the configuration's pool and server
 * index (pools are restart-only, so an index names one server for the
 * process's life), written by that worker only, summed by the control
 * thread.  The values after them in each group are the process's, read
 * by the control thread (PROXY_POOL_GAUGES, PROXY_SERVER_GAUGES).
 */
/* clang-format off */
#define PROXY_POOL_COUNTERS(X) \
	X(requests,      "requests routed to the pool (each once, when it first came)") \
	X(no_server,     "503 sent: no server of the pool usable") \
	X(queued,        "requests that waited in the pool's queue (every server at max-conns)") \
	X(queue_timeout, "503 sent: queue-timeout-ms passed in the queue") \
	X(queue_full,    "503 sent: the queue held queue-max requests (or queue-timeout-ms 0)") \
	X(retries,       "requests sent again to another server of the pool")
#define PROXY_POOL_GAUGES(X) \
	X(servers_up,       "gauge: servers of the pool taking requests") \
	X(servers_down,     "gauge: servers of the pool down by their active checks") \
	X(servers_ejected,  "gauge: servers of the pool ejected for failures") \
	X(servers_draining, "gauge: servers of the pool disabled by the operator")
#define PROXY_SERVER_COUNTERS(X) \
	X(requests,         "requests sent to the server (a retried request counts on each server it went to; background validations too)") \
	X(responses_5xx,    "errors: 5xx responses from the server") \
	X(connect_failures, "errors: connections refused, reset or not answered in timeout-connect-ms") \
	X(failures,         "errors: closed, reset or timed out before a response head, or an invalid head") \
	X(timeouts,         "errors: of connect_failures and failures, the ones a timeout ended") \
	X(ejections,        "times this worker ejected the server (passive health)") \
	X(idle_kept,        "connections kept idle for reuse after a response") \
	X(idle_closed_cap,  "connections closed after a response instead of kept idle: idle-max reached") \
	X(idle_conns,       "gauge: idle keep-alive connections held now")
#define PROXY_SERVER_HISTS(X) \
	X(time_to_head, "requests by the time from the request sent (connection ready) to the response head received")
#define PROXY_SERVER_GAUGES(X) \
	X(state,     "gauge: the server's state: 0 up, 1 down (active checks), 2 ejected (passive health), 3 draining (operator)") \
	X(in_flight, "gauge: requests in flight to the server")
/* clang-format on */

struct proxy_pool_counters {
	PROXY_POOL_COUNTERS(STATS_FIELD)
};

struct proxy_server_counters {
	PROXY_SERVER_COUNTERS(STATS_FIELD)
	PROXY_SERVER_HISTS(STATS_HIST_FIELD)
};

/* The active health checks of one worker (proxy_check.h), group
 * "health". */
/* clang-format off */
#define PCHK_COUNTERS(X) \
	X(checks,          "health checks started") \
	X(passed,          "health checks passed") \
	X(failed_refused,  "health checks failed: connection refused") \
	X(failed_timeout,  "health checks failed: no answer within check-timeout-ms") \
	X(failed_reset,    "health checks failed: reset or closed before the answer") \
	X(failed_unreachable, "health checks failed: no route or no ARP answer") \
	X(failed_status,   "HTTP health checks failed: another status than check-status") \
	X(failed_reply,    "HTTP health checks failed: no readable status line") \
	X(no_conn,         "health checks not run: no connection slot or local port")
/* clang-format on */

struct pchk_counters {
	PCHK_COUNTERS(STATS_FIELD)
};

/* One of the appliance's ports, as the forward proxy sees it: where an
 * upstream connection leaves from, and which addresses are our own. */
struct proxy_port {
	uint32_t addr_be;
	uint32_t mask_be;
	bool has_gateway;
	bool outside;
};

struct proxy_params {
	struct tcp_stack *tcp;
	struct rte_mempool *pool; /* chargen's lines, heads we write */
	uint32_t max_sessions;    /* relay sessions and service connections;
	                             forward sessions, a pool of their own */
	/* forward proxy only (NULL / 0 otherwise) */
	struct dns_resolver *dns; /* this worker's resolver */
	struct alog_ring *alog;   /* this worker's access-log ring, or NULL */
	unsigned n_ports;
	struct proxy_port ports[NET_PORTS_MAX]; /* by net port index */
	uint64_t tsc_hz;
	uint64_t start_tsc; /* 0: rte_rdtsc() */
	/* the shared HTTP cache (the app's, every worker's; NULL: none) and
	 * this worker's index in it (cache_obj_body_mbufs' <worker>), which
	 * is also its hold counter's in a live version */
	struct cache_index *cache;
	uint32_t cache_worker;
	/* where the control thread publishes the live version (proxy_live.h;
	 * the forward listeners' settings as reloaded), or NULL: the settings
	 * given to proxy_listen_forward() stay */
	struct proxy_live *const *live;
	/* proxy users (lib/auth): the verifier thread (the app's, NULL:
	 * none, a request that needs it is answered 503) and this worker's
	 * queue in it */
	struct auth_verifier *auth;
	uint32_t auth_queue;
	/* workers of the process: a pool's max-conns is shared among them
	 * (lib/lb); 0 counts as 1; and this worker's index among them
	 * (0..n_workers-1: where its round-robin starts, lb_worker_new) */
	uint32_t n_workers;
	uint32_t worker;
};

#endif /* GH_PROXY_TYPES_H */
