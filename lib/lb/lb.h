/*
 * lib/lb: a reverse proxy's backend pools (issue 14): which server of a
 * pool a request goes to (weighted round-robin, least outstanding
 * requests, consistent hashing of the URL), each server's health (active
 * check results with rise and fall counts, passive ejection with a
 * back-off, an operator's drain) and the per-worker counts the choice
 * needs.  No DPDK, no I/O, no clock: callers pass the time in ms.
 *
 * Three kinds of object:
 *   - struct lb_pool: a pool's shape (servers, weights, algorithm, the
 *     consistent-hash table).  Built by the control thread from the
 *     configuration, immutable after, owned by the snapshot; any number of
 *     workers read it at once.
 *   - struct lb_health: the servers' health, shared by every worker and the
 *     checker.  One cache line per server; written rarely (a check result,
 *     an ejection, an operator's command) with atomics, read by every pick
 *     with plain atomic loads.  No lock.
 *   - struct lb_worker: one worker's private view of one pool (its
 *     round-robin position, requests outstanding and failure streaks per
 *     server).  Never touched by another thread.
 *
 * Limits per server (max-conns) are split among the workers: a worker
 * allows ceil(max_conns / n_workers) requests in flight to a server, so the
 * total never exceeds max_conns + n_workers - 1 and no worker reads
 * another's counts.
 */
#ifndef GH_LB_H
#define GH_LB_H

#include <stdbool.h>
#include <stdint.h>

#define LB_SERVERS_MAX 32 /* per pool */
#define LB_NAME_MAX    32 /* a server's or pool's name, with its NUL */

enum lb_algo {
	LB_ROUND_ROBIN = 0, /* weighted, smooth (no bursts to one server) */
	LB_LEAST_OUTSTANDING = 1, /* fewest requests in flight per weight,
	                             ties by round-robin */
	LB_URI_HASH = 2, /* consistent hashing of the caller's key (the URL):
	                    a server leaving moves only its own keys */
};

/* What became of a request sent to a server (lb_finish). */
enum lb_outcome {
	LB_OK = 0,           /* a response that is not a 5xx */
	LB_CONNECT_FAIL = 1, /* refused, reset or timed out before connected */
	LB_FAIL = 2,         /* reset or timed out before any response byte */
	LB_5XX = 3,          /* a 5xx response from the server */
	LB_ABORTED = 4,      /* the client went away: says nothing of the
	                        server */
};

/* A server's state as operators see it (lb_health_state). */
enum lb_state {
	LB_UP = 0,       /* takes requests */
	LB_DOWN = 1,     /* active checks failed <fall> times in a row */
	LB_EJECTED = 2,  /* passive: too many failures, back until a time */
	LB_DRAINING = 3, /* disabled by the operator: no new requests, the
	                    ones in flight finish */
};

/* Health settings of a pool (per pool; every field holds a value). */
struct lb_health_params {
	uint32_t rise;          /* good checks in a row: DOWN -> UP */
	uint32_t fall;          /* bad checks in a row: UP -> DOWN */
	uint32_t eject_fails;   /* consecutive connect failures or errors
	                           (LB_CONNECT_FAIL, LB_FAIL) seen by one
	                           worker that eject; 0: never */
	uint32_t eject_5xx;     /* consecutive 5xx seen by one worker that
	                           eject; 0: never */
	uint32_t eject_base_ms; /* first ejection's length; each ejection
	                           within eject_max_ms of the last one
	                           doubles it */
	uint32_t eject_max_ms;  /* the longest ejection */
	bool start_down;        /* servers start DOWN until <rise> good
	                           checks (active checks on); false: UP */
};

struct lb_pool;
struct lb_health;
struct lb_worker;

/*
 * A pool of <n> (1..LB_SERVERS_MAX) servers with <weights> (1..256 each;
 * 0 is refused) balanced by <algo>; <ids> are stable identities of the
 * servers (a hash of the pool's and server's names) so the consistent-hash
 * table places a server the same way whatever its index and whatever other
 * servers are listed; LB_URI_HASH refuses two equal ids, the other
 * algorithms do not use them (<ids> may then be NULL).  NULL and errno
 * (EINVAL, ENOMEM).
 */
struct lb_pool *lb_pool_new(enum lb_algo algo, const uint32_t *weights,
                            const uint64_t *ids, unsigned n);
void lb_pool_free(struct lb_pool *p);
unsigned lb_pool_servers(const struct lb_pool *p);
enum lb_algo lb_pool_algo(const struct lb_pool *p);

/* Health state for the <n> servers of a pool; NULL and errno (EINVAL
 * also when ejection is on, eject_fails or eject_5xx not 0, with
 * eject_base_ms 0 or above eject_max_ms).  rise and fall of 0 act as 1. */
struct lb_health *lb_health_new(unsigned n, const struct lb_health_params *hp);
void lb_health_free(struct lb_health *h);

/* Whether server <srv> takes new requests at <now_ms>. */
bool lb_health_usable(const struct lb_health *h, unsigned srv, uint64_t now_ms);
enum lb_state lb_health_state(const struct lb_health *h, unsigned srv,
                              uint64_t now_ms);

/* The servers <h> was made for. */
unsigned lb_health_servers(const struct lb_health *h);

/* When <srv>'s last ejection ends (or ended), in the callers' ms; 0 when
 * it was never ejected.  For operators' views (lb_health_state says
 * whether it is ejected now). */
uint64_t lb_health_ejected_until(const struct lb_health *h, unsigned srv);

/* How many servers are in each state at <now_ms>: <counts> indexed by
 * enum lb_state (LB_UP .. LB_DRAINING), for gauges.  Returns how many are
 * usable (the same as counts[LB_UP]). */
unsigned lb_health_counts(const struct lb_health *h, uint64_t now_ms,
                          unsigned counts[4]);

/* An active check of <srv> passed or failed (the checker's thread only).
 * Returns true when the server's UP/DOWN state changed. */
bool lb_health_check_result(struct lb_health *h, unsigned srv, bool ok,
                            uint64_t now_ms);

/* The operator disables (drains) or enables <srv>; any thread. */
void lb_health_admin(struct lb_health *h, unsigned srv, bool enabled);

/*
 * The view of <p> of worker <worker> (0..n_workers-1) of a process of
 * <n_workers> workers, where server i allows <max_conns>[i] requests in
 * flight in all (0: no limit; <max_conns> may be NULL).  The round-robin
 * of worker k starts k picks into the pool's sequence, so that N workers
 * with one request each do not all send it to the same server.  NULL and
 * errno (EINVAL: n_workers 0 or worker >= n_workers; ENOMEM).
 */
struct lb_worker *lb_worker_new(const struct lb_pool *p, unsigned n_workers,
                                unsigned worker, const uint32_t *max_conns);
void lb_worker_free(struct lb_worker *w);

/*
 * Picks a server of <p> for a request: a usable one (lb_health_usable) that
 * is not in <exclude> (bit i: server i, the ones a retry already tried)
 * and is under this worker's share of its connection limit.  <key_hash> is
 * the request's hash for LB_URI_HASH (ignored otherwise): when the server
 * the table names cannot be used, the next slots of the table are walked,
 * so its keys spread over the others and no other key moves.
 * Returns the server's index, -ENOENT when no server is usable (answer
 * 503), -EBUSY when usable servers exist but all are at their limit (the
 * request may queue).  Does not count the request: lb_start() does.
 */
int lb_pick(struct lb_worker *w, const struct lb_pool *p,
            const struct lb_health *h, uint64_t key_hash, uint32_t exclude,
            uint64_t now_ms);

/* A request goes to <srv>: one more in flight. */
void lb_start(struct lb_worker *w, unsigned srv);

/*
 * The request lb_start() counted on <srv> ended with <o>: one fewer in
 * flight, and the passive health of <h> learns from it (a streak of
 * failures ejects the server for a time that grows while it keeps
 * failing).  Returns true when this call ejected the server.  The pool's
 * last usable server is never ejected: false, and it keeps serving.
 */
bool lb_finish(struct lb_worker *w, struct lb_health *h, unsigned srv,
               enum lb_outcome o, uint64_t now_ms);

/* Requests this worker has in flight to <srv>. */
uint32_t lb_outstanding(const struct lb_worker *w, unsigned srv);

#endif /* GH_LB_H */
