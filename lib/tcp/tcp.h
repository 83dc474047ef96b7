/*
 * The userspace TCP endpoint (RFC 9293 with RFC 7323, 2018, 5681, 6298,
 * 6675, 6582, 5961, 6528): one struct tcp_stack per worker, holding that
 * worker's connections, flow table, timer wheel and counters.  The layer
 * above (lib/proxy: the relay, the test services and the HTTP forward
 * proxy) talks to it through the calls below and the callbacks of struct
 * tcp_callbacks; segments reach it from lib/net's L4 dispatch (a handler
 * registered at start-up), already on the worker that owns their flow.
 *
 * Threading: every call takes the calling worker's own stack (or one of its
 * connections) and must be made by that worker.  Nothing here locks, prints,
 * makes a system call or allocates from the heap after tcp_stack_create().
 *
 * Ownership of bytes: payload moves as mbufs.  tcp_send() takes a chain and
 * keeps it (by reference, no copy; segments of up to GH_MBUF_SMALL bytes are
 * copied into the send queue's last buffer, common/gh_mbuf.h) until the
 * peer has acknowledged it;
 * on_data() hands the callee a chain that it then owns.  The receive window
 * counts bytes delivered by on_data() and not yet released with
 * tcp_recved(): a layer that cannot pass data on yet simply does not call
 * tcp_recved(), and the window closes (backpressure).
 *
 * Callbacks are called from within tcp_stack_input(), tcp_stack_timer() and
 * the calls below; a callback may call any function of this API on any
 * connection of the stack, including tcp_close()/tcp_abort() of its own
 * connection.  After on_close() returns the connection pointer is invalid.
 */
#ifndef GH_TCP_H
#define GH_TCP_H

#include <rte_mbuf.h>

#include "net/net_types.h"
#include "tcp/tcp_types.h"

struct tcp_stack; /* opaque, per worker */
struct tcp_conn;  /* opaque, one per connection (TCB) */

/* Why a connection ended (on_close).  One counter per reason. */
enum tcp_close_reason {
	TCP_CLOSE_NORMAL = 0,    /* both FINs exchanged and acknowledged */
	TCP_CLOSE_RESET = 1,     /* the peer sent an acceptable RST */
	TCP_CLOSE_ABORTED = 2,   /* we reset it: tcp_abort(), or new data
	                          * arrived after tcp_close() */
	TCP_CLOSE_TIMEOUT = 3,   /* retransmissions exhausted (R2) */
	TCP_CLOSE_KEEPALIVE = 4, /* keepalive probes unanswered */
	TCP_CLOSE_REFUSED = 5,   /* active open answered by RST */
	TCP_CLOSE_CONNECT_TIMEOUT = 6, /* active open: SYN unanswered */
	TCP_CLOSE_UNREACHABLE = 7,     /* no route / ARP failure for the peer */
	TCP_CLOSE_STACK_STOP = 8,      /* tcp_stack_destroy() with it open */
};

enum tcp_cc_algo {
	TCP_CC_CUBIC = 0, /* RFC 9438, the default */
	TCP_CC_NEWRENO = 1,
};

struct tcp_callbacks {
	/* Listener: a connection reached ESTABLISHED.  Return the argument
	 * for its later callbacks, or NULL to refuse it (it is reset). */
	void *(*on_accept)(void *listen_arg, struct tcp_conn *c);
	/* Active open: the handshake completed. */
	void (*on_connected)(void *arg, struct tcp_conn *c);
	/* In-order payload: <m> is a chain whose data is payload only; the
	 * callee owns it.  Counted against the receive window until
	 * tcp_recved(). */
	void (*on_data)(void *arg, struct tcp_conn *c, struct rte_mbuf *m);
	/* Send space became available after tcp_send() refused a chain. */
	void (*on_writable)(void *arg, struct tcp_conn *c);
	/* The peer sent FIN: no more on_data. We may still send. */
	void (*on_peer_fin)(void *arg, struct tcp_conn *c);
	/* The connection is gone; <c> is invalid once this returns. */
	void (*on_close)(void *arg, struct tcp_conn *c,
	                 enum tcp_close_reason why);
};

/* Parameters of tcp_stack_create(); the config fills them. */
struct tcp_stack_params {
	unsigned worker_id;
	unsigned n_workers;
	uint32_t max_conns;     /* TCBs in the pool; running out refuses */
	uint32_t syn_backlog;   /* half-open passive connections; beyond
	                         * that, SYN cookies */
	uint32_t rcv_buf_bytes; /* receive window ceiling, default 256 KiB */
	uint32_t snd_buf_bytes; /* send queue ceiling, default 256 KiB */
	uint32_t time_wait_ms;  /* 2*MSL, default 60000 (bounded count:
	                         * TIME_WAIT TCBs come from the pool) */
	uint32_t keepalive_idle_ms;  /* 0: off, default 0 */
	uint32_t keepalive_intvl_ms; /* default 75000 */
	uint32_t keepalive_probes;   /* default 9 */
	uint32_t rto_min_ms;       /* default 200 (Linux), RFC 6298 says 1 s */
	uint32_t rto_max_ms;       /* default 60000 */
	uint32_t syn_retries;      /* active open, default 6 */
	uint32_t data_retries;     /* R2, default 15 */
	uint32_t delack_ms;        /* delayed ACK, default 40 */
	uint16_t ephemeral_lo;     /* active-open source ports, default 32768 */
	uint16_t ephemeral_hi;     /* default 60999 */
	enum tcp_cc_algo cc;       /* default CUBIC */
	const uint8_t *isn_secret; /* 16 bytes, same on every worker */
	const struct net_flow_owner *flow_owner; /* shared by all workers */
	struct net_ctx *net;                     /* output: net_ipv4_output() */
	struct rte_mempool *pool; /* mbufs for the segments we build */
	/* Bit i set: port i's driver sends single-segment frames only (no
	 * MULTI_SEGS TX offload, net_af_xdp).  A data segment for it is one
	 * mbuf, the payload copied behind the headers, instead of a header
	 * mbuf with indirect mbufs over the send queue chained behind (which
	 * the worker would copy into one segment anyway). */
	uint32_t tx_linear_ports;
	uint64_t tsc_hz;
	/* The clock (TSC) at creation, where TCP time starts; 0 reads
	 * rte_rdtsc().  Tests pass their fake clock here and then drive
	 * time with tcp_stack_timer(). */
	uint64_t start_tsc;
	/* RFC 5961 7: challenge ACKs sent per second, the whole stack
	 * counted together; beyond it they are not sent (counted).
	 * Default 1000 (0 gives the default). */
	uint32_t challenge_ack_per_s;
	/* mbufs all out-of-order queues of the stack may hold together
	 * (each connection also holds at most 256); beyond it new
	 * out-of-order segments are dropped (counted).  Default (0): a
	 * quarter of <pool> divided among the workers of <flow_owner>, which
	 * share it. */
	uint32_t ooo_mbufs_max;
};

/*
 * Create a worker's stack.  All memory (TCB pool, flow table, timer wheel)
 * is taken here.  Returns NULL and sets errno (EINVAL, ENOMEM).
 */
struct tcp_stack *tcp_stack_create(const struct tcp_stack_params *p);

/* Reset every connection (on_close with TCP_CLOSE_STACK_STOP) and free the
 * stack.  NULL is accepted. */
void tcp_stack_destroy(struct tcp_stack *s);

/*
 * A TCP segment for one of our addresses, received on port <port_idx>:
 * mbuf data starts at the Ethernet header, l2_len and l3_len are set (the
 * net layer's L4 dispatch).  Consumes <m>.  The caller has made sure this
 * worker owns the flow (see net/net_flow_owner.h).
 */
void tcp_stack_input(struct tcp_stack *s, unsigned port_idx,
                     struct rte_mbuf *m);

/* The stack as lib/net's TCP handler (net_proto_fn, net_proto_register();
 * <stack> is the struct tcp_stack): tcp_stack_input() on each of the <n>
 * segments in order.  Returns 0 (every segment is ours). */
unsigned tcp_stack_input_burst(void *stack, unsigned port_idx,
                               struct rte_mbuf **pkts, unsigned n);

/* Run expired timers; called by the worker every millisecond or so.
 * Also resumes connections parked on a full txbuf that no flush hook
 * resumed. */
void tcp_stack_timer(struct tcp_stack *s, uint64_t now_tsc);

/*
 * A net_tx_flushed_cb (net_tx_hook_register(), <stack> is the struct
 * tcp_stack): the txbufs were just drained, so the connections parked on
 * a full one send again now, without waiting for tcp_stack_timer().  Does
 * not move the stack's clock.  Returns how many were resumed.
 */
unsigned tcp_stack_tx_flushed(void *stack);

/* The counter group of struct tcp_counters ("tcp"), and the stack's. */
extern const struct stats_group_desc tcp_counters_desc;
const struct tcp_counters *tcp_stack_counters(const struct tcp_stack *s);

/* The counters of the stack's flow table (group "tcp_flow", tcp_flow.h). */
const struct tcp_flow_counters *
tcp_stack_flow_counters(const struct tcp_stack *s);

/* Connections in use / TCBs in the pool (for stats and tests). */
uint32_t tcp_stack_conns(const struct tcp_stack *s);

/*
 * Listen on <ip_be>:<port_be> on port <port_idx>.  Returns 0, -EADDRINUSE,
 * -ENOSPC (flow table full) or -EINVAL.
 */
int tcp_listen(struct tcp_stack *s, unsigned port_idx, uint32_t ip_be,
               uint16_t port_be, enum tcp_cc_algo cc,
               const struct tcp_callbacks *cb, void *listen_arg);

/*
 * Stop listening on <ip_be>:<port_be> on port <port_idx>: the slot is free
 * for tcp_listen() again and new SYNs get a RST.  Connections the listener
 * accepted carry on; half-open ones (SYN-ACK sent, handshake not done) are
 * reset, without callbacks (on_accept was never called).  Returns 0 or
 * -ENOENT (no such listener).
 */
int tcp_unlisten(struct tcp_stack *s, unsigned port_idx, uint32_t ip_be,
                 uint16_t port_be);

/*
 * Open a connection from <local_ip_be> on port <port_idx> to
 * <remote_ip_be>:<remote_port_be>, choosing a source port whose return
 * flow this worker owns.  Returns 0 and sets *out (the connection exists
 * from now on and will get on_connected or on_close), or -EADDRNOTAVAIL
 * (no source port), -ENOBUFS (no TCB), -EINVAL.
 */
int tcp_connect(struct tcp_stack *s, unsigned port_idx, uint32_t local_ip_be,
                uint32_t remote_ip_be, uint16_t remote_port_be,
                enum tcp_cc_algo cc, const struct tcp_callbacks *cb, void *arg,
                struct tcp_conn **out);

/* Bytes tcp_send() would accept now. */
uint32_t tcp_send_space(const struct tcp_conn *c);

/*
 * Queue the chain <m> for sending.  All or nothing: returns 0 and owns the
 * chain, or -EAGAIN when it does not fit in tcp_send_space() (the caller
 * keeps it; on_writable follows), -EPIPE after tcp_shutdown()/close.
 */
int tcp_send(struct tcp_conn *c, struct rte_mbuf *m);

/* The layer above released <n> bytes delivered by on_data: reopen the
 * window by that much. */
void tcp_recved(struct tcp_conn *c, uint32_t n);

/* Send FIN once the queued data is out (half-close).  Returns 0 or
 * -ENOTCONN. */
int tcp_shutdown(struct tcp_conn *c);

/* Graceful close: shutdown, and no more callbacks but on_close.  New data
 * from the peer after this resets the connection (RFC 9293 3.6.1: nobody
 * will read it), with on_close(TCP_CLOSE_ABORTED). */
void tcp_close(struct tcp_conn *c);

/* Reset now; on_close(TCP_CLOSE_ABORTED) is called before this returns. */
void tcp_abort(struct tcp_conn *c);

/* Change the callback argument of <c>. */
void tcp_conn_set_arg(struct tcp_conn *c, void *arg);

/* The 4-tuple of <c> (for logs). */
void tcp_conn_key(const struct tcp_conn *c, struct tcp_flow_key *k);

#endif /* GH_TCP_H */
