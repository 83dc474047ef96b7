/*
 * The forward proxy's private types and the calls between its files,
 * private to lib/proxy: fwd_session.c (a session's life, callbacks,
 * timers, set-up), fwd_txn.c (the request and response stages),
 * fwd_head.c (writing and rewriting heads), fwd_upstream.c (destinations,
 * connect, the idle pool), fwd_reply.c (replies of our own), fwd_cache.c
 * (hits and stores of the shared cache).  See fwd_session.c for what the
 * forward proxy does.  Threading as proxy.h: everything here belongs to
 * one worker, except the cache's index and objects (lib/cache: shared).
 */
#ifndef GH_PROXY_FWD_PRIV_H
#define GH_PROXY_FWD_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "cache/cache_types.h"
#include "dns/dns.h"
#include "forward.h"
#include "http/http.h"
#include "log/alog.h"
#include "proxy/proxy_live.h"
#include "proxy/proxy_types.h"
#include "proxy_chain.h"
#include "proxy_splice.h"
#include "socks_wire.h"
#include "tcp/tcp.h"
#include "common/gh_pool.h"
#include "common/gh_wheel.h"
#include "conf/conf_types.h"
#include "lb/lb.h"

#define FWD_CTX_MAGIC        0x66776301u
#define FWD_SESSION_MAGIC    0x66777302u
#define FWD_IDLE_MAGIC       0x66776903u
#define FWD_ORPHAN_MAGIC     0x66776f04u
#define FWD_LISTENER_MAGIC   0x66776c05u
#define FWD_LISTENERS_MAX    8
#define FWD_FTP_MAGIC        0x66746606u
#define FWD_FTP_MAX          256u  /* ftp:// transactions per worker */
#define FWD_FTP_ARG_MAX      1024u /* a decoded path; user and password: 256 */
#define FWD_OUT_MAX          (64u * 1024) /* bytes waiting for a leg's TCP */
#define FWD_WAIT_BUCKETS     256u /* waiter lists per worker (a power of 2) */
#define FWD_LINGER_MS        2000 /* reading after an error reply */
#define FWD_TIMER_BURST      256
#define FWD_ERR_BODY_MAX     640
#define FWD_HOST_MAX         255 /* a DNS name's text (RFC 1035 2.3.4) */
#define FWD_INTERIM_BURST    64  /* 1xx heads read per event (fairness) */
#define FWD_MAX_FORWARDS_CAP 999999999L /* Max-Forwards we count down from */
#define FWD_CACHE_KEY_MAX                                       \
	1024             /* longest cache key kept: longer, not \
	                    stored (and never found) */
#define FWD_HIT_BURST 32 /* pipelined hits answered per event */
#define FWD_CACHE_STATUS_MAX                      \
	128 /* a Cache-Status line we write, CRLF \
	       included */
#define FWD_CACHE_META_ROOM                     \
	256 /* cache_head's room for the stored \
	       metadata and the status line */

/* The verification cache of a worker (fwd_auth.c): entries, how long a
 * verified credential and a refused one are believed (a new users table,
 * at a reload, misses them all at once). */
#define FWD_AUTH_CACHE_ENTRIES 4096
#define FWD_AUTH_OK_TTL_MS     3600000u
#define FWD_AUTH_BAD_TTL_MS    60000u

/* A request's fields kept for Vary (fwd_cache_vary.c): more, and a
 * response with Vary is not stored. */
#define FWD_CACHE_VARY_REQ_MAX 2048

/* Where a SOCKS session's handshake is (fwd_socks.c), in ST_HEAD. */
enum fwd_socks_phase {
	FWD_SOCKS_GREETING = 0, /* reading the method-selection greeting */
	FWD_SOCKS_AUTH = 1,     /* reading the username/password message */
	FWD_SOCKS_REQUEST = 2,  /* reading the request */
	FWD_SOCKS_CONNECT = 3,  /* request read: a reply (REP) answers it */
};

enum fwd_state {
	ST_FREE = 0,       /* back in the pool: the session has ended */
	ST_HEAD = 1,       /* reading a request head */
	ST_RESOLVE = 2,    /* waiting for DNS */
	ST_CONNECTING = 3, /* upstream handshake */
	ST_FORWARD = 4,    /* request going up, response coming down */
	ST_TUNNEL = 5,     /* CONNECT established */
	ST_DRAIN = 6,      /* last reply queued; closing the client */
	ST_WAIT = 7,       /* served from an object another request fills
	                      (a collapsed miss: fwd_collapse.c) */
	ST_AUTH = 8,       /* the verifier checks the request's credentials
	                      (fwd_auth.c); the head waits in cli_in */
	ST_QUEUE = 9,      /* reverse: every server of the pool is at its
	                      max-conns; waits on the pool's queue
	                      (fwd_reverse.c), the request in up_out */
	ST_FTP = 10,       /* an ftp:// request: the FTP control dialogue,
	                      or a listing rendered (fwd_ftp.c); a file's
	                      body is ST_FORWARD with the data leg as up */
};

/* Session flags (32 bits: more come with the cache). */
#define SF_CLI_HTTP10 0x0001u /* the current request is HTTP/1.0 */
#define SF_REQ_DONE   0x0002u /* the request body is all in up_out */
#define SF_RESP_HEAD  0x0004u /* the response head went to cli_out */
#define SF_RESP_DONE  0x0008u /* the response ended */
#define SF_CLOSE_CLI  0x0010u /* close the client after this response */
#define SF_UP_KEEP    0x0020u /* the upstream may be reused after it */
#define SF_CLI_FIN    0x0040u /* the client sent FIN */
#define SF_CONNECT    0x0080u /* the request is CONNECT */
#define SF_HDR_TIMER  0x0100u /* the header timeout runs (bytes came) */
#define SF_CLI_SHUT   0x0200u /* we sent FIN to the client */
#define SF_UP_SHUT    0x0400u /* we sent FIN upstream (tunnel) */
#define SF_UP_FIN     0x0800u /* the upstream sent FIN */
#define SF_RESUME     0x1000u /* work left: the 1 ms timer resumes it */
#define SF_HEAD_LF    0x2000u /* the unfinished head has a line end */
#define SF_DECHUNK    0x4000u /* chunked response to an HTTP/1.0 client */
#define SF_CACHE                                                     \
	0x8000u               /* the response may be stored (txn has \
	                         the key): fwd_cache_response() */
#define SF_WAIT_HEAD 0x20000u /* ST_WAIT: the object's head went out */
#define SF_NO_COLLAPSE                                      \
	0x40000u /* this request waited in vain: it fetches \
	            for itself (kept until its txn ends) */
#define SF_BG                                                  \
	0x100000u /* a background validation (fwd_cache_bg.c): \
	            never had a client; s->claim holds its     \
	            object's claim */
#define SF_WAIT_REVAL                                           \
	0x200000u /* ST_WAIT on another request's validation of \
	             s->wobj (fwd_cache_reval.c), not a fill */
#define SF_CACHE_INVAL                                \
	0x10000u /* an unsafe method: a non-error     \
	            response invalidates (txn has the \
	            target's GET key) */
#define SF_ACL_DST                                                  \
	0x400000u /* the access rules need the destination address: \
	             fwd_connect() judges again (fwd_acl.c) */
#define SF_AUTH_AGAIN                                                \
	0x800000u /* the head is parsed again with the verifier's    \
	             answer in s->auth_verdict (fwd_auth.c): counted \
	             when it first came */
#define SF_UP_REUSED                                                    \
	0x1000000u /* the upstream leg came from the idle pool (a close \
	              before any byte says nothing of the server) */
#define SF_FILL_SELF                                               \
	0x80000u /* ST_FORWARD: the response fills an object and   \
	            the client is served from it (s->sobj), so the \
	            origin is read at its own pace (fwd_collapse.c) */

struct fwd_listener {
	unsigned magic;
	struct fwd_ctx *fc;
	/* the settings given at start: what a request is judged by when no
	 * live version is published (p.live NULL, tests), and the ones only a
	 * restart changes (head limits: lim, the idle pool) */
	struct conf_forward cfg;
	unsigned idx; /* its index in fc->listeners and in a live version */
	struct http_limits lim;
	uint8_t cc;    /* enum tcp_cc_algo, both legs */
	bool socks;    /* mode socks: sessions speak SOCKS5 (fwd_socks.c) */
	uint32_t n_bg; /* background validations of this listener running
	                  on this worker (<= cfg.cache_bg_max) */
	/* the cache's name in Cache-Status (RFC 9211 2): the listener's,
	 * an sf-token, or an sf-string when it starts with no letter */
	char cache_id[CONF_NAME_MAX + 2];
	struct proxy_listener_counters cnt; /* this worker's, of this
	                                       listener */
};

/* The access-log data of one transaction, only while it runs. */
struct fwd_txn {
	struct alog_record rec;
	uint64_t start_tsc;
	/* the shared cache, with SF_CACHE: what storing the response needs
	 * of the request (its head is gone by then) */
	int64_t cache_req_s; /* request time, the cache's clock */
	struct cache_req_meta cache_q;
	uint16_t cache_key_len;
	uint8_t cache_key[FWD_CACHE_KEY_MAX];
	/* the request's fields a Vary may name (fwd_cache_vary.c), or
	 * cache_vary_len UINT16_MAX when they did not fit */
	uint16_t cache_vary_len;
	char cache_vary[FWD_CACHE_VARY_REQ_MAX];
	/* reverse: the request's Host (host[:port]) for location-rewrite */
	uint16_t rev_host_len;
	char rev_host[FWD_HOST_MAX + 9]; /* "[v6]" or name, ":port" */
};

/* One pool of the reverse listeners on this worker (fwd_reverse.c): its
 * lib/lb view and the FIFO of sessions waiting for a free server. */
struct fwd_rev_pool {
	struct lb_worker *w;
	struct fwd_session *q_head;
	struct fwd_session *q_tail;
	uint32_t q_len;
	/* idle connections this worker keeps per server: its share of the
	 * server's idle-max (fwd_idle_put) */
	uint32_t idle_share[CONF_POOL_SERVERS_MAX];
	struct proxy_pool_counters cnt;
	struct proxy_server_counters srv[CONF_POOL_SERVERS_MAX];
};

struct fwd_session {
	unsigned magic;
	uint8_t state;      /* enum fwd_state */
	uint8_t req_method; /* enum http_method of the current request */
	uint16_t dst_port_be;
	uint32_t flags; /* SF_* */
	uint32_t dst_ip_be;
	uint32_t head_scanned; /* bytes of the head being read (cli_in or
	                          up_in) looked at for a line end */
	struct fwd_listener *l;
	/* the live version this transaction is judged by (held from its
	 * start to its end: fwd_live_take/drop) and its listener's settings
	 * in it; NULL between transactions (fwd_cfg) */
	struct proxy_live *live;
	const struct conf_forward *cfg;
	struct tcp_conn *cli;
	struct tcp_conn *up;
	struct rte_mbuf *cli_in;  /* from the client, not consumed yet */
	struct rte_mbuf *cli_out; /* for the client, not taken by TCP yet */
	struct rte_mbuf *up_in;   /* from the upstream, not consumed yet */
	struct rte_mbuf *up_out;  /* for the upstream, not taken by TCP yet */
	/* in ST_TUNNEL, the last mbufs of cli_in and up_in (NULL: not known),
	 * which only proxy_chain_append_tail and the splice change then */
	struct rte_mbuf *cli_in_tail, *up_in_tail;
	struct rte_mbuf *retry; /* a clone of the request sent on a reused
	                           upstream, until its first response byte */
	struct fwd_txn *txn;
	struct cache_obj *cobj; /* the object this response fills, or NULL
	                           (one reference, ours) */
	uint64_t cobj_expect;   /* its Content-Length, or UINT64_MAX */
	/* ST_WAIT: the object waited on (one reference), the body bytes
	 * sent from it, the request head's length (kept in cli_in until
	 * done: a fallback parses it again), the worker's waiter list */
	struct cache_obj *wobj;
	uint64_t wsent; /* also SF_FILL_SELF's bytes sent from sobj */
	uint32_t whead_len;
	struct fwd_session *wnext;
	struct fwd_session **wprev;
	struct cache_obj *reval;   /* a stale object being validated with the
	                              origin (fwd_cache_reval.c), or NULL (one
	                              reference, ours) */
	struct cache_obj *claim;   /* the object whose validation claim
	                              (cache_obj_reval_claim) this session
	                              holds until its transaction ends: a
	                              background validation's, or a foreground
	                              one others may wait on (one reference) */
	uint16_t cache_fwd_status; /* the status a validation got, 0 */
	uint8_t cache_fwd;         /* enum fwd_cache_fwd: Cache-Status */
	uint16_t stall_ms;         /* ms an object's bytes could not be attached
	                              (fwd_collapse.c), 0 after any progress */
	/* SF_FILL_SELF: the object this response fills, which the client
	 * is served from (one reference, ours; kept after cobj when the
	 * fill ends first) */
	struct cache_obj *sobj;
	uint64_t req_body_bytes; /* of the current request, for the limit */
	struct http_body req_body;
	struct http_body resp_body;
	/* de-chunks a chunked body for cobj (kind CHUNKED) when the client
	 * gets it chunked; cobj_expect is UINT64_MAX for chunked and
	 * until-close bodies */
	struct http_body cobj_chunk;
	/* proxy authentication (fwd_auth.c): the verified user's index in
	 * the listener's table (of generation auth_user_gen), -1 none; the
	 * verifier's answer while the head is parsed again (SF_AUTH_AGAIN) for
	 * the credential <auth_key> of table <auth_gen>; the job's number while
	 * in ST_AUTH */
	int32_t auth_user;
	int32_t auth_verdict;
	uint64_t auth_user_gen; /* the table auth_user indexes */
	uint32_t auth_seq;
	uint64_t auth_key;
	uint64_t auth_gen;
	/* mode socks: enum fwd_socks_phase, and the reply code the upstream
	 * stage noted for the error it is about to answer (0: by status) */
	uint8_t socks_phase;
	uint8_t socks_rep;
	/* reverse (fwd_reverse.c): the pool (-1 none), the server counted
	 * by lb_start (-1 none), what lb_finish will say, the servers tried,
	 * the request's hash for uri-hash, the retries made, the queue */
	int16_t rev_pool;
	int16_t rev_srv;
	uint8_t rev_outcome; /* enum lb_outcome */
	uint8_t rev_retries;
	uint32_t rev_exclude;
	uint64_t rev_key;
	uint64_t rev_sent_tsc; /* when the request went (time_to_head), 0 */
	/* the pool and server of the upstream leg (-1: an origin), which
	 * key it in the idle pool when it is parked (fwd_connect) */
	int16_t up_pool;
	int16_t up_srv;
	struct fwd_session *q_next;
	struct fwd_session *q_prev;
	struct fwd_ftp *ftp; /* an ftp:// transaction's state, or NULL */
	struct dns_waiter dw;
	struct gh_timer tmr;
};

/* An idle upstream connection kept for reuse. */
struct fwd_idle {
	unsigned magic;
	uint32_t ip_be;
	uint16_t port_be;
	int16_t pool; /* a reverse listener's pool and server, else -1 */
	int16_t srv;
	struct tcp_conn *conn;
	struct fwd_ctx *fc;
	struct fwd_idle *next; /* the idle list */
	struct fwd_idle **pprev;
	struct gh_timer tmr;
};

struct fwd_orphan {
	unsigned magic;
};

struct fwd_ctx {
	unsigned magic;
	struct proxy_params p; /* the worker's (copy) */
	struct proxy_counters *cnt;
	/* sessions and transactions (max_sessions each) and idle upstream
	 * entries (idle_max): each pool in one calloc'd block, objects
	 * touched only when first handed out */
	struct gh_pool sess_pool;
	struct gh_pool txn_pool;
	struct gh_pool idle_pool;
	struct gh_pool ftp_pool; /* struct fwd_ftp, FWD_FTP_MAX */
	void *ftp_mem;
	void *sess_mem;
	void *txn_mem;
	void *idle_mem;
	uint32_t idle_max;
	uint32_t idle_ms;
	struct fwd_idle *idle_head; /* most recently parked first */
	unsigned n_listeners;
	struct fwd_listener listeners[FWD_LISTENERS_MAX];
	uint64_t start_tsc;
	uint64_t tsc_per_ms;
	struct gh_wheel wheel;
	struct alog_clock clock;
	uint32_t scratch_cap;
	char *scratch;    /* a head that spans mbufs, made contiguous */
	char *cache_head; /* a stored head being built (p.cache only) */
	uint32_t cache_head_cap;
	int64_t wall0_s;     /* Unix time at wheel tick 0: the cache's clock is
	                        wall0_s + the wheel's ms / 1000 */
	struct http_msg msg; /* the head being looked at */
	struct acl_scratch *acl_scratch; /* regex match data (fwd_acl.c) */
	char *acl_url; /* a reverse target decoded for the rules (fwd_acl.c),
	                  scratch_cap bytes */
	struct auth_cache *auth_cache; /* verified credentials (fwd_auth.c) */
	uint32_t auth_seq;             /* the last job handed over */
	/* local time minus UTC in s, taken at start (a DST change shows
	 * after a restart): time acls need no clock call nor tz lock */
	int64_t acl_utc_off_s;
	/* sessions in ST_WAIT, hashed by the object they wait on: a wake
	 * walks the waiters of its bucket only */
	struct fwd_session *waiters[FWD_WAIT_BUCKETS];
	uint32_t n_waiting;
	/* reverse listeners (fwd_reverse.c): the pools they route to (the
	 * snapshot's at start: restart-only), this worker's state of each,
	 * and the pools whose queues a finished request may move (bit i) */
	const struct conf_rev *rev;
	struct fwd_rev_pool rpool[CONF_POOLS_MAX];
	uint32_t rev_wake;
};

/*
 * The settings of listener <l> now: the live version's (a pointer valid
 * until the worker's next quiescent state: use it at once, never keep it),
 * or those given at start when none is published.
 */
static inline const struct conf_forward *
fwd_listener_cfg(const struct fwd_listener *l)
{
	const struct proxy_live *v;

	if (l->fc->p.live == NULL)
		return &l->cfg;
	v = rcu_dereference(*(struct proxy_live **)l->fc->p.live);
	if (v == NULL)
		return &l->cfg;
	GH_ASSERT(l->idx < v->n_fwd);
	return v->fwd[l->idx];
}

/* The settings <s>'s current transaction is judged by: those of the
 * version it holds, else (between transactions) the listener's now. */
static inline const struct conf_forward *
fwd_cfg(const struct fwd_session *s)
{
	return s->live != NULL ? s->cfg : fwd_listener_cfg(s->l);
}

/* A transaction of <s> starts: it takes the version published now (or
 * keeps the one it holds: a request parsed again after a wait). */
static inline void
fwd_live_take(struct fwd_session *s)
{
	struct fwd_ctx *fc = s->l->fc;

	if (s->live != NULL || fc->p.live == NULL)
		return;
	s->live = proxy_live_take(fc->p.live, fc->p.cache_worker);
	if (s->live != NULL) {
		GH_ASSERT(s->l->idx < s->live->n_fwd);
		s->cfg = s->live->fwd[s->l->idx];
	}
}

/* <s> (a background validation) is judged by the version <from> holds. */
static inline void
fwd_live_share(struct fwd_session *s, const struct fwd_session *from)
{
	GH_VERIFY(s->live == NULL);
	if (from->live == NULL)
		return;
	proxy_live_hold(from->live, s->l->fc->p.cache_worker);
	s->live = from->live;
	s->cfg = from->cfg;
}

/* The transaction of <s> ended: its hold goes. */
static inline void
fwd_live_drop(struct fwd_session *s)
{
	if (s->live == NULL)
		return;
	proxy_live_put(s->live, s->l->fc->p.cache_worker);
	s->live = NULL;
	s->cfg = NULL;
}

/* Writes a head into fresh mbufs from <pool>, appended piece by piece
 * (fwd_hw_put/str/span); an mbuf that cannot be had fails the head, and
 * fwd_hw_done() frees what was written and counts it. */
struct fwd_head_writer {
	struct rte_mempool *pool;
	struct rte_mbuf *head;
	struct rte_mbuf *tail;
	bool failed;
};

/* The methods the proxy passes on (405's and OPTIONS' Allow). */
#define FWD_ALLOW "GET, HEAD, POST, PUT, DELETE, OPTIONS, PATCH, CONNECT"
/* ... and a reverse listener (no CONNECT: it is a site, not a proxy) */
#define FWD_REV_ALLOW "GET, HEAD, POST, PUT, DELETE, OPTIONS, PATCH"

extern struct fwd_orphan fwd_orphan; /* a finished leg's callback arg */
extern const struct tcp_callbacks fwd_cb;

/* ---- fwd_session.c ---- */

/* End <s>: cancel its lookup and timer, log the transaction, close (or,
 * with <reset>, reset) both legs, free its queues and the session.  The
 * session's state reads ST_FREE afterwards. */
void fwd_session_end(struct fwd_session *s, bool reset);

/* A session without a client (a background validation, fwd_cache_bg.c)
 * for the listener <l>: zeroed, ST_HEAD, no timer armed; NULL when the
 * pool is empty (counted as fwd_no_session). */
struct fwd_session *fwd_session_new(struct fwd_listener *l);

/* Enter ST_DRAIN: no more requests on this connection; what is queued for
 * the client goes, then FIN; <guard_ms> bounds the wait. */
void fwd_drain(struct fwd_session *s, uint32_t guard_ms);

/* ---- fwd_txn.c ---- */

/* Start the access-log record of a transaction (none when the pool of
 * records is empty: the transaction runs unlogged). */
void fwd_txn_start(struct fwd_session *s);

/* Finish the record and queue it on the worker's ring (or count it lost). */
void fwd_txn_end(struct fwd_session *s);

/* ST_HEAD: parse what the client sent so far, act on a complete head. */
void fwd_request(struct fwd_session *s);

/* ST_FORWARD: move request body bytes towards the origin. */
void fwd_req_pump(struct fwd_session *s);

/* ST_FORWARD: the response's head, then its body to the client. */
void fwd_response(struct fwd_session *s);

/* The origin sent FIN mid-response: end it as what is left allows. */
void fwd_fin_pending(struct fwd_session *s);

/* The response ended: log, park or close the upstream, next request. */
void fwd_txn_done(struct fwd_session *s);

/* The response is all read from the origin: park the upstream leg for
 * reuse or close it, and free its queues. */
void fwd_up_release(struct fwd_session *s);

/* ---- fwd_head.c ---- */

void fwd_hw_put(struct fwd_head_writer *w, const void *p, uint32_t n);
void fwd_hw_str(struct fwd_head_writer *w, const char *s);
/* A parsed host (lib/http: an IPv6 literal without its brackets, so any
 * ':' means one) written as a Host is: the literal in brackets. */
void fwd_hw_host(struct fwd_head_writer *w, const char *buf,
                 struct http_str host);
void fwd_hw_span(struct fwd_head_writer *w, const char *buf,
                 struct http_str sp);
/* The decimal digits of <v> at out[0 .. 20), no NUL: their count. */
uint32_t fwd_fmt_u64(char *out, uint64_t v);
/* "Age: <age_s>" and CRLF (RFC 9111 5.1). */
void fwd_hw_age(struct fwd_head_writer *w, uint64_t age_s);
/* Whether the stored head line p[0 .. n) (no CRLF) is a Set-Cookie that
 * a listener with <cfg> (anonymize and anonymize-cookies on) leaves out. */
bool fwd_set_cookie_dropped(const struct conf_forward *cfg, const char *p,
                            uint32_t n);

/* The end of a response head for the client: our Via (HTTP/1.<minor>)
 * when <via>, Connection: close when <close>, the empty line. */
void fwd_hw_end(struct fwd_head_writer *w, bool via, unsigned minor,
                bool close);

/* The chain written, or NULL (and fwd_no_mbuf counted) when the pool ran
 * dry. */
struct rte_mbuf *fwd_hw_done(struct fwd_head_writer *w,
                             struct proxy_counters *cnt);

/* Whether Connection lists a framing field (a request read two ways). */
bool fwd_conn_names_framing(const struct http_msg *msg, const char *buf);
/* A request's Transfer-Encoding, if any, is one line "chunked": any other
 * coding is 501 (RFC 9112 6.1), never passed to a server that may not
 * know it and frame the body another way. */
bool fwd_te_only_chunked(const struct http_msg *msg, const char *buf);

/* Whether the proxy answers this OPTIONS request itself. */
bool fwd_options_for_us(const struct http_msg *msg, const char *buf);

/* The origin-form target of <msg> (its path, "/" when it has none, "*"
 * for an OPTIONS of the authority), " HTTP/1.1" and the Host line from
 * the target's authority: what follows the method in a request line. */
void fwd_hw_target(struct fwd_head_writer *w, const struct http_msg *msg,
                   const char *buf);

/* The final response head <msg> in <buf> (from the origin, or made by
 * the FTP gateway) goes to the client: storing decided, the client's
 * head written, the record and flags set.  Returns the head to queue, or
 * NULL when an error was answered instead. */
struct rte_mbuf *fwd_response_final(struct fwd_session *s,
                                    const struct http_msg *msg,
                                    const char *buf);

/* Write the origin's request head into s->up_out. Returns 0 or -ENOMEM. */
int fwd_write_request_head(struct fwd_session *s, const struct http_msg *msg,
                           const char *buf);

/* The client's copy of a response head, or NULL (no mbuf, counted). */
struct rte_mbuf *fwd_write_response_head(struct fwd_session *s,
                                         const struct http_msg *msg,
                                         const char *buf, bool close);

/* Whether the unfinished head in <q> is worth parsing (again). */
bool fwd_head_worth_parsing(struct fwd_session *s, const struct rte_mbuf *q);

/* The head was consumed: the next one is scanned from its start. */
void fwd_head_reset(struct fwd_session *s);

/* ---- fwd_upstream.c ---- */

/* Resolve <host> (<host_len> bytes; 0: not a name) and connect to it (a
 * checked destination, an idle connection or a new one); or answer with
 * an error page.  The session is in ST_RESOLVE after it, or further on. */
void fwd_resolve(struct fwd_session *s, const char *host, uint32_t host_len);

/* The upstream leg is ready: the tunnel's 200, or the request goes. */
void fwd_upstream_ready(struct fwd_session *s);

/*
 * The reused upstream of <s> closed (or sent FIN) before any byte of the
 * response: send the request again, once, on a new connection, when it
 * is idempotent and had no body (RFC 9110 9.2.2, RFC 9112 9.3.1: the
 * origin may close an idle connection just as we reuse it).  True when
 * the retry is on its way (the old leg is closed); false to answer 502.
 */
bool fwd_retry(struct fwd_session *s);

/* The request clone fwd_retry() would send is no longer needed. */
static inline void
fwd_retry_drop(struct fwd_session *s)
{
	rte_pktmbuf_free(s->retry);
	s->retry = NULL;
}

/* Connect <s> to s->dst_ip_be:dst_port_be (an idle connection when
 * <may_reuse> and one is there, else a new one), or answer an error. */
void fwd_connect(struct fwd_session *s, bool may_reuse);

/* The index of the port whose subnet (or gateway) reaches <ip_be>, or
 * -1: the outside address a connection to it leaves from. */
int fwd_route_port(const struct proxy_params *p, uint32_t ip_be);

/* Whether the request of <s> may be sent again: idempotent, no body. */
bool fwd_retryable(const struct fwd_session *s);

/* Whether <ip_be> is in a private range (RFC 1918, RFC 6598): what
 * allow-private-dst governs. */
bool fwd_ip_private(uint32_t ip_be);

/* Park the upstream leg of <s> for reuse, or close it. */
void fwd_idle_put(struct fwd_session *s);

/* An idle connection spoke, closed or timed out: drop it. */
void fwd_idle_drop(struct fwd_idle *e, bool reset);

/* Take <e> out of the pool (its connection is the caller's). */
void fwd_idle_unlink(struct fwd_ctx *fc, struct fwd_idle *e);

/* ---- fwd_cache.c ---- */

enum fwd_cache_verdict {
	FWD_CACHE_PASS = 0,    /* go to the origin (SF_CACHE: maybe store) */
	FWD_CACHE_HIT = 1,     /* answered from the cache, queued for the
	                          client; the transaction's record is filled */
	FWD_CACHE_REPLIED = 2, /* answered by fwd_error() (only-if-cached) */
	FWD_CACHE_WAIT = 3,    /* waits on another request's fill (ST_WAIT) */
};

/* A request head ready to go (GET or HEAD, no body, SF_CLOSE_CLI
 * decided): answer it from the cache, or say why not. */
enum fwd_cache_verdict fwd_cache_request(struct fwd_session *s,
                                         const struct http_msg *msg,
                                         const char *buf);

/* The final response head in <buf>, written for the client: with
 * SF_CACHE, start storing it when it may and can be (s->cobj). */
void fwd_cache_response(struct fwd_session *s, const struct http_msg *msg,
                        const char *buf);

/* Body bytes <part> (a chain) go to the client: copy them into s->cobj. */
void fwd_cache_body(struct fwd_session *s, const struct rte_mbuf *part);

/* Body bytes p[0 .. len) into s->cobj (SF_FILL_SELF).  Returns 0, or < 0
 * when the fill was given up (s->cobj NULL; what went in before stays
 * readable through another reference). */
int fwd_cache_fill_bytes(struct fwd_session *s, const char *p, uint32_t len);

/* The response ended (<whole>: complete and framed) or was cut short:
 * complete s->cobj or give it up, and drop our reference. */
void fwd_cache_fill_end(struct fwd_session *s, bool whole);

/* The head of <obj> (its metadata read) for the client of <s>, its
 * status into <*status>; NULL and errno EAGAIN (no head yet), EACCES
 * (fetched from a private address the listener may not reach), ENOMEM. */
struct rte_mbuf *fwd_cache_wait_head(struct fwd_session *s,
                                     const struct cache_obj *obj,
                                     unsigned *status);

/* ---- fwd_collapse.c ---- */

/* The stored head of <obj> answers the request of <s>: it with Age
 * <age_s>, our Via and Connection: close when the client goes; NULL when
 * no mbuf could be had (counted). */
struct rte_mbuf *fwd_cache_head_mbuf(struct fwd_session *s,
                                     const uint8_t *stored, uint32_t len,
                                     uint32_t age_s);

/* <s> waits on <obj> (BUSY, filled by another request; we take our own
 * reference) instead of fetching: its request head of <head_len> bytes
 * stays in cli_in.  False when this worker cannot wait (the caller
 * fetches). */
bool fwd_collapse_wait(struct fwd_session *s, struct cache_obj *obj,
                       uint32_t head_len);

/* ST_WAIT: send what the object has now; finish, fall back or cut. */
void fwd_collapse_step(struct fwd_session *s);

/* ST_WAIT's timer fired. */
void fwd_collapse_timeout(struct fwd_session *s);

/* The session ends or leaves ST_WAIT: off the list, reference dropped. */
void fwd_collapse_end(struct fwd_session *s);

/*
 * The response head went to the client of <s> and the response fills
 * s->cobj with a body of known length: from here on the client is served
 * from the object like a waiter (SF_FILL_SELF), so that the origin is
 * read at its own pace, not the client's, for the others waiting.
 */
void fwd_fill_self_start(struct fwd_session *s);

/* ST_FORWARD with SF_FILL_SELF: the origin's body bytes into the object,
 * the object's bytes to the client; the transaction ends when the
 * client has them all. */
void fwd_fill_self(struct fwd_session *s);

/* The session ends or stops serving from s->sobj: reference dropped. */
void fwd_fill_self_end(struct fwd_session *s);

/* The client of <s> closed while its response fills an object others
 * wait on: the fill goes on without it (true), the response read from
 * the origin into the object only, and the session ends with it. */
bool fwd_collapse_orphan(struct fwd_session *s);

/* Why a request went to the origin, for Cache-Status (RFC 9211 2.2). */
enum fwd_cache_fwd {
	FWD_CF_BYPASS = 0,   /* not a request the cache handles */
	FWD_CF_URI_MISS = 1, /* nothing stored under its key */
	FWD_CF_STALE = 2,    /* stored, stale: validated or replaced */
	FWD_CF_REQUEST = 3,  /* stored, the request did not allow its use */
};

/* ---- fwd_cache_hit.c ---- */

/* The Cache-Status identifier (RFC 9211 2) of a listener named <name> (a
 * conf name, at most CONF_NAME_MAX - 1 bytes) into out[0 .. cap), cap at
 * least its length + 3: the name as an sf-token when it starts with a
 * letter, else as an sf-string ("gatehouse" for an empty name). */
void fwd_cache_id(const char *name, char *out, size_t cap);

/* Write the Cache-Status line of a response from the origin (a miss)
 * into <w>, when the listener has cache-status on. */
void fwd_cache_status_miss(struct fwd_session *s, struct fwd_head_writer *w,
                           unsigned status);

/* Write the Cache-Status line of a collapsed miss (served from another
 * request's fetch: "fwd=uri-miss; collapsed") into <w>, when the listener
 * has cache-status on. */
void fwd_cache_status_collapsed(struct fwd_session *s,
                                struct fwd_head_writer *w);

/* ---- fwd_cache_reval.c ---- */

/* Write the conditional fields of a validation (If-None-Match with the
 * stored ETag, If-Modified-Since with the stored Last-Modified) into the
 * origin's request head <w>; nothing without s->reval. */
void fwd_cache_reval_hdrs(struct fwd_session *s, struct fwd_head_writer *w);

/*
 * The final response head <msg> in <buf> answers a validation (s->reval):
 * a 304 updates the stored head (RFC 9111 4.3.4) and the client is
 * answered from the object; a 5xx within stale-if-error serves the stale
 * one.  True when the client was answered so (the head consumed, the
 * response done: SF_RESP_HEAD | SF_RESP_DONE; or the session ended),
 * false when the response goes to the client as on a miss.
 */
bool fwd_cache_reval_response(struct fwd_session *s, const struct http_msg *msg,
                              const char *buf);

/* A response from the origin goes to the client: the validation (if any)
 * is over, the object dropped (fwd_cache_response()'s first step). */
void fwd_cache_reval_passed(struct fwd_session *s, unsigned status);

/* The access-log code of a response from the origin with <status>. */
enum alog_result fwd_cache_miss_result(const struct fwd_session *s,
                                       unsigned status);

/* We are about to answer with the error <status> (no response head sent
 * yet): true when a stale object was served instead (stale-if-error; the
 * transaction ended, the client closes), false to send the error. */
bool fwd_cache_reval_failed(struct fwd_session *s, unsigned status);

/* Drop s->reval (the session ends). */
void fwd_cache_reval_drop(struct fwd_session *s);

/* A new request: no validation, no Cache-Status reason yet. */
void fwd_cache_txn_reset(struct fwd_session *s);

/* The transaction (or session) ends: the validation claim it holds on an
 * object (s->claim) is released and the requests waiting on it woken;
 * nothing without one. */
void fwd_cache_claim_release(struct fwd_session *s);

/* SF_WAIT_REVAL: the object waited on changed (or the client can take
 * more): once its validation is over, the request looks it up again. */
void fwd_cache_reval_wait_step(struct fwd_session *s);

/* SF_WAIT_REVAL: cache-collapse-wait-ms passed: the request looks the
 * object up again and validates it itself. */
void fwd_cache_reval_wait_timeout(struct fwd_session *s);

/* ---- fwd_cache_bg.c ---- */

/* We are about to answer with the error <status>: a background
 * validation has nobody to answer, so it ends here (true; counted as
 * failed, the stale object left as it is); false for any other session. */
bool fwd_cache_bg_error(struct fwd_session *s, unsigned status);

/* ---- fwd_acl.c ---- */

enum fwd_acl_result {
	FWD_ACL_ALLOW = 0,
	FWD_ACL_DENIED = 1,   /* answered 403 */
	FWD_ACL_NEED_DST = 2, /* SF_ACL_DST set: fwd_connect() decides */
};

/* Judges the request head <msg> in <buf> by the listener's access rules,
 * before the cache is looked at. */
enum fwd_acl_result fwd_acl_request(struct fwd_session *s,
                                    const struct http_msg *msg,
                                    const char *buf);

/* A SOCKS request for <host> (<host_len> bytes: a name or a dotted quad)
 * and s->dst_port_be, judged as "CONNECT <url>" would be (<url> its
 * host:port); a deny is answered with fwd_error(403). */
enum fwd_acl_result fwd_acl_socks(struct fwd_session *s, const char *host,
                                  uint32_t host_len, const char *url);

/* With SF_ACL_DST: judges the request again with the address about to be
 * connected to (s->dst_ip_be).  True: allowed; false: answered 403. */
bool fwd_acl_dst(struct fwd_session *s);

/* ---- fwd_auth.c ---- */

enum fwd_auth_result {
	FWD_AUTH_OK = 0,      /* no auth-users, or verified: s->auth_user */
	FWD_AUTH_REPLIED = 1, /* answered 407, 400 or 503 */
	FWD_AUTH_WAIT = 2,    /* ST_AUTH: the verifier's answer resumes it */
};

/* A listener with auth-users: the request head <msg> in <buf> needs
 * valid Basic credentials in Proxy-Authorization, judged from the cache
 * or by the verifier thread; before the access rules. */
enum fwd_auth_result fwd_auth_request(struct fwd_session *s,
                                      const struct http_msg *msg,
                                      const char *buf);

/* Every loop: the verifier's answers into the cache, their sessions
 * resumed.  Returns the answers taken. */
unsigned fwd_auth_poll(struct fwd_ctx *fc);

/* ST_AUTH's timer fired: 503. */
void fwd_auth_timeout(struct fwd_session *s);

/* The credential <cred> (a SOCKS5 username/password) judged as
 * fwd_auth_request() judges Basic ones: FWD_AUTH_OK with s->auth_user,
 * REPLIED (refused: fwd_error answered) or WAIT (ST_AUTH). */
struct auth_cred; /* auth/auth_types.h */
enum fwd_auth_result fwd_auth_cred(struct fwd_session *s,
                                   const struct auth_cred *cred);

/* ---- fwd_socks.c ---- */

/* ST_HEAD of a socks listener's session: read the handshake so far. */
void fwd_socks_step(struct fwd_session *s);

/* The forward proxy's error <status> for a socks session: the reply of
 * the phase it is in (none, 01 01, or a REP code), then close. */
void fwd_socks_fail(struct fwd_session *s, unsigned status,
                    enum alog_result result);

/* The upstream is connected: the success reply queued (false: no mbuf). */
bool fwd_socks_ready(struct fwd_session *s);

/* The handshake timeout fired. */
void fwd_socks_timeout(struct fwd_session *s);

/* The upstream stage about to answer an error notes the reply code a
 * socks client gets for it (nothing for an HTTP client). */
static inline void
fwd_socks_note(struct fwd_session *s, uint8_t rep)
{
	s->socks_rep = rep;
}
/* ---- fwd_reverse.c ---- */

/* fwd_listen() of a reverse listener: the worker's view of each pool
 * (once, for the first).  Returns 0 or -ENOMEM. */
int fwd_rev_init(struct fwd_ctx *fc, const struct conf_forward *cfg);

/* Free what fwd_rev_init() made. */
void fwd_rev_fini(struct fwd_ctx *fc);

/* A request head <msg> in <buf> on a reverse listener, before the
 * access rules: its form checked, its pool chosen by Host and path
 * (s->rev_pool).  False when it was answered (405, 400, 421, 404). */
bool fwd_rev_request(struct fwd_session *s, struct http_msg *msg,
                     const char *buf);

/* The request is ready in up_out: a server of s->rev_pool and the
 * connect, or the pool's queue (ST_QUEUE), or a 503. */
void fwd_rev_pick(struct fwd_session *s);

/* The request's server is done with it: lb_finish with <o> (counted,
 * the pool's queue woken); nothing when no server is counted. */
void fwd_rev_finish(struct fwd_session *s, enum lb_outcome o);

/* The server failed before any response byte with <o> (LB_CONNECT_FAIL,
 * LB_FAIL): true when the request went to another server (retried),
 * false to answer with an error. */
bool fwd_rev_failed(struct fwd_session *s, enum lb_outcome o);

/* The server of <s> let a timer pass (connect or first response byte):
 * counted on it; nothing when no server is counted. */
void fwd_rev_timeout(struct fwd_session *s);

/* The request went to the server (its connection ready): the clock of
 * time_to_head starts.  Nothing when no server is counted. */
void fwd_rev_sent(struct fwd_session *s);

/* The server's final response head arrived: time_to_head counted. */
void fwd_rev_head(struct fwd_session *s);

/* The session leaves ST_QUEUE (ends, or its turn came). */
void fwd_rev_dequeue(struct fwd_session *s);

/* ST_QUEUE's timer fired: 503. */
void fwd_rev_queue_timeout(struct fwd_session *s);

/* Every loop: the queues of pools with a server freed. */
unsigned fwd_rev_poll(struct fwd_ctx *fc);

/* A response field <i> of <msg> for the client: a Location or
 * Content-Location naming a server of the pool by address rewritten to
 * the request's Host (location-rewrite on); true when written here. */
bool fwd_rev_location(struct fwd_session *s, struct fwd_head_writer *w,
                      const struct http_msg *msg, const char *buf, unsigned i);
/* The same for a stored head's field line p[0 .. n) ("Name: value", no
 * CRLF): an answer from the cache is rewritten as a miss is. */
bool fwd_rev_location_line(struct fwd_session *s, struct fwd_head_writer *w,
                           const char *p, uint32_t n);

/* The request head's Forwarded / X-Forwarded-Proto fields by the
 * listener's policy (after X-Forwarded-For). */
void fwd_rev_request_hdrs(struct fwd_session *s, struct fwd_head_writer *w,
                          const struct http_msg *msg, const char *buf);

/* ---- fwd_ftp.c ---- */

struct fwd_ftp; /* fwd_ftp.c */

/* The size of struct fwd_ftp (the worker's pool of them). */
size_t fwd_ftp_size(void);

/* A checked GET or HEAD of an ftp:// URL (<msg> in <buf>), after the
 * rules and the cache: its FTP state made (s->ftp), the request head
 * consumed by the caller next.  False when it was answered (400, 405,
 * 503). */
bool fwd_ftp_begin(struct fwd_session *s, const struct http_msg *msg,
                   const char *buf);

/* The access-log record of an ftp:// request <msg> in <buf> gets its URL
 * with the password as "***" (none is ever logged). */
void fwd_ftp_log_url(struct fwd_session *s, const struct http_msg *msg,
                     const char *buf);

/* The control connection (s->up) is up: the dialogue starts (ST_FTP). */
void fwd_ftp_connected(struct fwd_session *s);

/* The transaction ends: the control leg gets QUIT and closes, a data leg
 * that is not s->up closes, the state goes back to the pool. */
void fwd_ftp_release(struct fwd_session *s);

/* ST_FTP: the client can take more (a listing being rendered). */
void fwd_ftp_writable(struct fwd_session *s);

/* ST_FTP's timer fired. */
void fwd_ftp_timeout(struct fwd_session *s);

/* The callbacks of an FTP leg (its argument a struct fwd_ftp), from
 * fwd_cb's when the argument's magic is FWD_FTP_MAGIC. */
void fwd_ftp_on_connected(struct fwd_ftp *f, struct tcp_conn *c);
void fwd_ftp_on_data(struct fwd_ftp *f, struct tcp_conn *c, struct rte_mbuf *m);
void fwd_ftp_on_peer_fin(struct fwd_ftp *f, struct tcp_conn *c);
void fwd_ftp_on_close(struct fwd_ftp *f, struct tcp_conn *c,
                      enum tcp_close_reason why);

/* ---- fwd_reply.c ---- */

/* Answer the current request ourselves and close the client after it. */
void fwd_reply(struct fwd_session *s, unsigned status, enum alog_result result,
               const char *extra, const char *body, uint32_t n);

/* Answer with the error <status> and a page saying <why>. */
void fwd_error(struct fwd_session *s, unsigned status, enum alog_result result,
               const char *why);

/* The same with more header lines <extra> ("" or lines ending in CRLF). */
void fwd_error_extra(struct fwd_session *s, unsigned status,
                     enum alog_result result, const char *why,
                     const char *extra);

/* ---- small helpers of every stage ---- */

/* Now, in wheel ticks: the time of the last fwd_ctx_timer() call (the
 * worker's TSC, at most a timer period old), so deadlines follow the clock
 * the wheel is driven by (no TSC read here; tests drive a fake one). */
static inline uint64_t
fwd_now_ms(const struct fwd_ctx *fc)
{
	return gh_wheel_now(&fc->wheel);
}

/* lib/lb's clock (proxy.h: proxy_lb_now_ms, the TSC in ms, shared with
 * the health checker and the control thread) at the wheel's now. */
static inline uint64_t
fwd_lb_now_ms(const struct fwd_ctx *fc)
{
	return fc->start_tsc / fc->tsc_per_ms + fwd_now_ms(fc);
}

static inline void
fwd_timer_set(struct fwd_session *s, uint32_t ms)
{
	struct fwd_ctx *fc = s->l->fc;

	gh_wheel_restart(&fc->wheel, &s->tmr, fwd_now_ms(fc) + ms);
}

/* (Re)arm the upstream read timeout, unless the resume timer is pending
 * (SF_RESUME): that one fires first and re-arms this one. */
static inline void
fwd_read_timer_set(struct fwd_session *s)
{
	if (!(s->flags & SF_RESUME))
		fwd_timer_set(s, fwd_cfg(s)->upstream_read_ms);
}

/* Work is left that no event may bring back (a burst cut for fairness, an
 * mbuf that could not be had): the timer resumes it in 1 ms. */
static inline void
fwd_resume_soon(struct fwd_session *s)
{
	s->flags |= SF_RESUME;
	fwd_timer_set(s, 1);
}

static inline void
fwd_timer_stop(struct fwd_session *s)
{
	if (gh_wheel_armed(&s->tmr))
		gh_wheel_stop(&s->l->fc->wheel, &s->tmr);
}

/* Done with *pc: close it gracefully or reset it; its callbacks from now
 * on find the orphan and are ignored. */
static inline void
fwd_leg_close(struct tcp_conn **pc, bool reset)
{
	struct tcp_conn *c = *pc;

	if (c == NULL)
		return;
	*pc = NULL;
	tcp_conn_set_arg(c, &fwd_orphan);
	if (reset)
		tcp_abort(c);
	else
		tcp_close(c);
}

/* Queue <m> for the client and count it. */
static inline void
fwd_cli_queue(struct fwd_session *s, struct rte_mbuf *m)
{
	uint32_t len = proxy_chain_len(m);

	if (s->cli == NULL) { /* gone (a fill that goes on without it) */
		rte_pktmbuf_free(m);
		return;
	}
	if (proxy_chain_append(&s->cli_out, m) < 0) {
		rte_pktmbuf_free(m);
		return;
	}
	if (s->txn != NULL)
		s->txn->rec.bytes_to_client += len;
}

static inline void
fwd_cli_flush(struct fwd_session *s)
{
	if (s->cli != NULL && s->cli_out != NULL)
		s->l->fc->cnt->fwd_bytes_u2c +=
		    proxy_chain_send(s->cli, &s->cli_out);
}

static inline void
fwd_up_flush(struct fwd_session *s)
{
	if (s->up != NULL && s->up_out != NULL && s->state >= ST_FORWARD)
		s->l->fc->cnt->fwd_bytes_c2u +=
		    proxy_chain_send(s->up, &s->up_out);
}

#endif /* GH_PROXY_FWD_PRIV_H */
