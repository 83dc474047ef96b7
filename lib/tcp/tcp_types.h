/*
 * Types of the per-worker TCP building blocks: the flow-table key and
 * counters, congestion control and the TCP counters.  (The flow-owner hash
 * is lib/net's, net_flow_owner.h; the timer wheel is lib/common's,
 * gh_wheel_types.h.)  The TCB holds a struct tcp_flow_key, so it lives here,
 * apart from the functions (tcp_flow.h).  The flow table itself is opaque: only
 * tcp_flow.c sees its slots.
 */
#ifndef GH_TCP_TYPES_H
#define GH_TCP_TYPES_H

#include <stdbool.h>
#include <stdint.h>

#include "stats/stats_types.h"

/* ---- flow table ------------------------------------------------------- */

#define TCP_FLOW_TABLE_MAGIC  0x74666c01u
#define TCP_FLOW_CAPACITY_MIN 16u
#define TCP_FLOW_CAPACITY_MAX (1u << 30)
/* Longest probe sequence an insert may scan (and the largest displacement
 * an entry may have): past it the insert is refused as if the table were
 * full.  See tcp_flow.h for why this is far beyond what 15/16 load needs. */
#define TCP_FLOW_PROBE_MAX 4096u

/*
 * The key of a flow: our address and port, the peer's, in network byte
 * order as they come off the wire, and the index of the port (lib/net) the
 * flow lives on.  A listener is a key with remote_ip_be and remote_port_be
 * zero (never a valid peer: lib/net drops source address 0).  pad must be
 * zero (tcp_flow_key_set() does it); it keeps the key 16 bytes with no
 * indeterminate bytes.
 */
struct tcp_flow_key {
	uint32_t local_ip_be;
	uint32_t remote_ip_be;
	uint16_t local_port_be;
	uint16_t remote_port_be;
	uint8_t port_idx;
	uint8_t pad[3];
};

/* clang-format off */
#define TCP_FLOW_COUNTERS(X)                                                  \
	X(flow_inserted,    "flows added to the flow table")                  \
	X(flow_deleted,     "flows removed from the flow table")              \
	X(flow_exists,      "flow inserts refused: the 4-tuple is already there") \
	X(flow_table_full,  "flow inserts refused: table at its load limit")  \
	X(flow_probe_limit, "flow inserts refused: probe sequence too long")
/* clang-format on */

/* Per-worker flow-table counters; written only by the owning worker. */
struct tcp_flow_counters {
	TCP_FLOW_COUNTERS(STATS_FIELD)
};

/*
 * Probe accounting, for tests and benchmarks rather than operators: slots
 * read by lookups (hits and misses), slots read and entries moved by
 * inserts, entries moved by deletes.  Each op adds to its sums.
 */
struct tcp_flow_probes {
	uint64_t lookups;
	uint64_t lookup_slots;
	uint64_t inserts;
	uint64_t insert_slots;
	uint64_t insert_moves;
	uint64_t deletes;
	uint64_t delete_moves;
};

/* Result of tcp_flow_table_audit(). */
struct tcp_flow_audit {
	uint32_t count;    /* occupied slots */
	uint32_t max_dist; /* largest displacement from a home slot */
	uint64_t sum_dist; /* sum of displacements (mean = sum / count) */
};

struct tcp_flow_table; /* opaque: tcp_flow.c */

/* ------------------------------------------------------------------------
 * Congestion control state (tcp_cc.h), embedded in every TCB.  Units are
 * bytes and microseconds.  cwnd never exceeds TCP_CC_CWND_MAX, about the
 * largest window RFC 7323 can advertise.
 */
#define TCP_CC_CWND_MAX (1u << 30)

struct tcp_cc {
	uint8_t algo;          /* enum tcp_cc_algo */
	uint8_t in_slow_start; /* cwnd < ssthresh, cached for counters */
	uint16_t pad;
	uint32_t mss;         /* sender MSS (SMSS) */
	uint32_t cwnd;        /* congestion window */
	uint32_t ssthresh;    /* slow start threshold */
	uint32_t bytes_acked; /* congestion-avoidance accumulator (RFC 3465) */
	/* CUBIC (RFC 9438 section 4) */
	uint32_t w_max;          /* cwnd just before the last reduction */
	uint32_t w_last_max;     /* w_max of the reduction before (fast
	                          * convergence, section 4.7) */
	uint32_t cwnd_prior;     /* cwnd at the last congestion event */
	uint32_t w_est;          /* Reno-friendly estimate (section 4.3) */
	uint32_t k_ms;           /* K, in milliseconds */
	uint32_t w_est_acked;    /* bytes acked towards W_est's next MSS */
	uint64_t epoch_start_us; /* start of the current CA epoch; 0: none */
	uint64_t last_ack_us;    /* previous on_ack(): app-limited time is
	                          * taken out of the epoch */
};

/* ---- the TCP endpoint's counters (tcp.h) ------------------------------ */

/* clang-format off */
#define TCP_COUNTERS(X)                                                       \
	X(seg_in,            "TCP segments received")                         \
	X(seg_out,           "TCP segments sent")                             \
	X(rx_short,          "dropped: shorter than a TCP header")            \
	X(rx_bad_csum,       "dropped: TCP checksum wrong")                   \
	X(rx_bad_offset,     "dropped: data offset below 20 or past the segment") \
	X(rx_multiseg,       "dropped: multi-segment frame (not supported)")  \
	X(rx_bad_flags,      "dropped: SYN with FIN or RST, or no flags")     \
	X(rx_no_conn,        "segments for no connection and no listener")    \
	X(rst_tx_no_conn,    "RSTs sent for segments to no listener or a closed flow") \
	X(rst_tx,            "RSTs sent, all causes")                         \
	X(rst_rx,            "acceptable RSTs received (connection reset)")   \
	X(rst_rx_ignored,    "RSTs outside the window ignored (RFC 5961)")    \
	X(challenge_ack,     "RFC 5961 challenge ACKs sent (RST or SYN in window)") \
	X(challenge_ack_limited, "RFC 5961 challenge ACKs not sent: over the per-second limit") \
	X(paws_drop,         "dropped: timestamp older than ts_recent (PAWS)") \
	X(rx_out_of_window,  "segments outside the receive window (ACKed, dropped)") \
	X(rx_oow_ack_limited, "ACKs not sent for unacceptable segments (out of window, PAWS, unsent ACK): one per 500 ms per connection") \
	X(rx_ack_unsent,     "segments acknowledging unsent data (ACKed, dropped)") \
	X(rx_ack_too_old,    "segments with an ACK below SND.UNA - MAX.SND.WND (RFC 5961 5.2: challenge ACK, dropped)") \
	X(rx_dup_data,       "segments whose data was all received before")  \
	X(rx_after_close,    "new data arriving after tcp_close() (connection reset)") \
	X(ooo_segs,          "out-of-order segments queued for reassembly")   \
	X(ooo_drop,          "out-of-order segments dropped: queue full")     \
	X(ooo_drop_small,    "out-of-order segments dropped: the queue's mbufs hold too few bytes") \
	X(ooo_drop_stack,    "out-of-order segments dropped: the stack's ooo_mbufs_max reached") \
	X(ooo_collapsed,     "out-of-order segments copied onto the queued one they continue") \
	X(ooo_mbufs,         "gauge: mbufs held in out-of-order queues now")  \
	X(dupacks,           "duplicate ACKs received")                       \
	X(rexmit_rto,        "segments retransmitted after a timeout")        \
	X(rexmit_fast,       "segments retransmitted by fast retransmit / recovery") \
	X(rexmit_syn,        "SYN or SYN-ACK retransmissions")                \
	X(syn_sent_bad_ack,  "SYN_SENT: unacceptable ACK (RST sent; the SYN again at once, once)") \
	X(rto_fired,         "retransmission timeouts")                       \
	X(fast_recovery,     "fast recoveries entered (dupacks, NewReno)")    \
	X(sack_recovery,     "fast recoveries entered with SACK (RFC 6675)")  \
	X(partial_ack,       "partial ACKs in recovery (RFC 6582)")           \
	X(rexmit_lost,       "retransmissions found lost again in SACK recovery") \
	X(sack_blocks_rx,    "SACK blocks received")                          \
	X(sack_blocks_tx,    "SACK blocks sent")                              \
	X(window_probes,     "zero-window probes sent")                       \
	X(keepalives,        "keepalive probes sent")                         \
	X(delayed_acks,      "ACKs sent by the delayed-ACK timer")            \
	X(tx_nomem,          "segments not sent: mbuf pool empty")            \
	X(tx_linear,         "data segments built in one mbuf, the payload copied behind the headers (ports whose driver takes no chains: net_af_xdp)") \
	X(tx_fail,           "segments refused by the network layer")         \
	X(tx_deferred,       "transmissions deferred: txbuf full")           \
	X(tx_resumed_on_flush, "deferred connections resumed when the txbuf drained") \
	X(tx_yield,          "transmissions deferred: quantum sent while others waited (fair turns)") \
	X(tx_ack_deferred,   "pure ACKs deferred: txbuf full (sent when the connection resumes)") \
	X(tx_syn_deferred,   "SYNs and SYN-ACKs deferred: txbuf full (sent when the connection resumes)") \
	X(tx_rexmit_deferred, "fast retransmissions deferred: txbuf full (sent first when the connection resumes)") \
	X(tx_ctl_dropped,    "RSTs, cookie SYN-ACKs and probes not sent: txbuf full (no TCB to wait on, or the timer sends the next)") \
	X(conns_in_use,      "gauge: TCBs in use now (any state, TIME_WAIT too)") \
	X(conn_accepted,     "passive opens that reached ESTABLISHED")        \
	X(conn_opened,       "active opens that reached ESTABLISHED")         \
	X(conn_attempts,     "active opens started (tcp_connect)")            \
	X(close_normal,      "connections closed: FINs exchanged")            \
	X(close_reset,       "connections closed: reset by the peer")         \
	X(close_aborted,     "connections closed: tcp_abort()")               \
	X(close_timeout,     "connections closed: retransmissions exhausted") \
	X(close_keepalive,   "connections closed: keepalive unanswered")      \
	X(close_refused,     "connections closed: active open refused by RST") \
	X(close_connect_timeout, "connections closed: SYN unanswered")        \
	X(close_unreachable, "connections closed: no route to the peer")      \
	X(close_stack_stop,  "connections closed: stack destroyed")           \
	X(halfopen_dropped,  "half-open passive connections dropped (RST, SYN-ACK timeout, tcp_unlisten)") \
	X(refuse_tcb_pool,   "refused: TCB pool empty")                       \
	X(refuse_flow_full,  "refused: flow table full")                      \
	X(refuse_accept,     "refused: on_accept returned NULL (reset)")      \
	X(syn_cookie_sent,   "SYN backlog full: SYN cookies sent")            \
	X(syn_cookie_ok,     "valid SYN cookies: connection created")         \
	X(syn_cookie_bad,    "ACKs to a listener with a bad cookie (RST)")    \
	X(syn_cookie_no_recent, "ACKs to a listener refused: no cookie sent in the last 131 s (RST)") \
	X(time_wait_reuse,   "TIME_WAIT connections recycled by a new SYN")   \
	X(time_wait_expired, "TIME_WAIT connections expired")                 \
	X(time_wait_reclaimed, "TIME_WAIT connections reclaimed early: TCB pool empty")
/* clang-format on */

/* Per-worker TCP counters; written only by the owning worker. */
struct tcp_counters {
	TCP_COUNTERS(STATS_FIELD)
};

#endif /* GH_TCP_TYPES_H */
