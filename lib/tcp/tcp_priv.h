/*
 * Private to the TCP endpoint (tcp_stack.c, tcp_input.c, tcp_output.c,
 * tcp_sack.c, tcp_isn.c, tcp_cookie.c): the TCB, the
 * per-worker stack, the listener, sequence arithmetic and the functions the
 * files share.  Nothing outside lib/tcp includes it (tests may, to look inside
 * a TCB).
 *
 * Life of a TCB: taken from the stack's fixed pool (gh_pool), keyed in
 * the flow table, released by tcp_conn_release(), which unkeys it, stops
 * its timers, frees its queues and puts it on the stack's zombie list.
 * Zombies go back to the pool only when the outermost call into the
 * stack returns (s->depth back to 0), so a callback that closes its own
 * connection never leaves the caller holding freed memory: the caller
 * checks TCP_CF_DETACHED (on_close done) or TCP_CF_DEAD after every
 * callback and stops touching the connection.
 */
#ifndef GH_TCP_PRIV_H
#define GH_TCP_PRIV_H

#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "common/gh_common.h"
#include "tcp/tcp.h"
#include "tcp/tcp_cc.h"
#include "tcp/tcp_flow.h"
#include "net/net_flow_owner.h"
#include "common/gh_pool.h"
#include "common/gh_wheel.h"

#define TCP_STACK_MAGIC  0x74637301u
#define TCP_CONN_MAGIC   0x74636201u
#define TCP_ZOMBIE_MAGIC 0x7463dead
#define TCP_LISTEN_MAGIC 0x74636c01u

#define TCP_LISTEN_MAX  16          /* listeners per stack */
#define TCP_LISTEN_FLAG 0x80000000u /* flow value: a listener index */
#define TCP_NONE        UINT32_MAX
#define TCP_OOO_MAX     256 /* out-of-order segments held per connection */
/* Beyond TCP_OOO_FREE mbufs, a connection's out-of-order queue takes one
 * more only while its mbufs hold TCP_OOO_AVG_MIN payload bytes on average
 * (an mbuf is a 2 KiB buffer: at most 8 times the bytes it holds) */
#define TCP_OOO_FREE    8
#define TCP_OOO_AVG_MIN 256
/* ooo_mbufs_max when the parameter is 0: this share of the mbuf pool,
 * divided among the workers (they share it) */
#define TCP_OOO_POOL_DIV 4
#define TCP_SB_MAX       8    /* SACK scoreboard ranges per connection */
#define TCP_RSACK_MAX    4    /* SACK blocks we send (3 with timestamps) */
#define TCP_RTO_INIT_MS  1000 /* RFC 6298 2.1 */
#define TCP_MSS_DEFAULT  536  /* RFC 9293 3.7.1: no MSS option */
#define TCP_WSCALE_MAX   14
#define TCP_DUPTHRESH    3
/* PAWS tolerance in the peer's timestamp ticks (Linux's TCP_PAWS_WINDOW):
 * a segment reordered behind one sent a tick later is not "old" */
#define TCP_PAWS_WINDOW 1
/* txbuf slots new data leaves free: for ARP, and for the segments that
 * take any free slot (pure ACKs, SYNs and SYN-ACKs, fast retransmissions,
 * RSTs, probes); when none is left those wait for the flush
 * (TCP_CF_ACK_NOW, TCP_CF_*_OWED) or are not sent (tx_ctl_dropped) */
#define TCP_TXBUF_SPARE 4
#define TCP_HDR_ROOM    (20 + 60) /* IPv4 + TCP with options */
/* Segments a connection sends in one tcp_output() call while others wait
 * on the txwait list; then it parks behind them (tcp_tx_yield) */
#define TCP_TX_QUANTUM 32
/* A listener takes an ACK as a cookie only this long after it last sent
 * a cookie SYN-ACK: the longest a cookie is valid (tcp_cookie.c: the
 * 65.5 s step it was made in and the next), Linux's 2-minute
 * tcp_synq_no_recent_overflow() in spirit.  Outside it a stray ACK costs
 * no hash and has no 2^-24 chance of opening a connection. */
#define TCP_COOKIE_WINDOW_MS (2u << 16)
/* RFC 5961 7's limit when the parameter is 0 (Linux's default before 6.0) */
#define TCP_CHALLENGE_ACK_PER_S 1000
/* A connection answers unacceptable segments with at most one ACK this
 * often (Linux's tcp_invalid_ratelimit default); see tcp_oow_ack() */
#define TCP_OOW_ACK_MS 500

/* Sequence arithmetic modulo 2^32 (RFC 9293 3.4). */
#define SEQ_LT(a, b)  ((int32_t)((uint32_t)(a) - (uint32_t)(b)) < 0)
#define SEQ_LEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) <= 0)
#define SEQ_GT(a, b)  ((int32_t)((uint32_t)(a) - (uint32_t)(b)) > 0)
#define SEQ_GEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) >= 0)
#define SEQ_MAX(a, b) (SEQ_GT(a, b) ? (a) : (b))
#define SEQ_MIN(a, b) (SEQ_LT(a, b) ? (a) : (b))

/* TCP header flags. */
#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10
#define TH_URG 0x20

enum tcp_state {
	TCP_ST_CLOSED = 0,
	TCP_ST_SYN_SENT = 1,
	TCP_ST_SYN_RCVD = 2,
	TCP_ST_ESTABLISHED = 3,
	TCP_ST_FIN_WAIT_1 = 4,
	TCP_ST_FIN_WAIT_2 = 5,
	TCP_ST_CLOSING = 6,
	TCP_ST_TIME_WAIT = 7,
	TCP_ST_CLOSE_WAIT = 8,
	TCP_ST_LAST_ACK = 9,
};

/* TCB flags (c->flags). */
#define TCP_CF_PASSIVE   0x0001   /* from a listener */
#define TCP_CF_CLOSED    0x0002   /* tcp_close(): no callbacks but on_close */
#define TCP_CF_SHUT_WR   0x0004   /* FIN queued behind the data (fin_seq) */
#define TCP_CF_FIN_SENT  0x0008   /* FIN sent at least once */
#define TCP_CF_DETACHED  0x0010   /* on_close done: the user is gone */
#define TCP_CF_DEAD      0x0020   /* released: on the zombie list */
#define TCP_CF_TS        0x0040   /* timestamps negotiated */
#define TCP_CF_SACK      0x0080   /* SACK permitted both ways */
#define TCP_CF_WS        0x0100   /* window scaling both ways */
#define TCP_CF_ACK_NOW   0x0200   /* send an ACK before returning */
#define TCP_CF_RECOVERY  0x0400   /* in fast recovery */
#define TCP_CF_RCVD_FIN  0x0800   /* peer's FIN received (rcv_nxt past it) */
#define TCP_CF_OOO_FIN   0x1000   /* peer's FIN seen out of order (ooo_fin) */
#define TCP_CF_TXWAIT    0x2000   /* on the stack's txwait list */
#define TCP_CF_WRITABLE  0x4000   /* tcp_send() refused: on_writable owed */
#define TCP_CF_UNREACH   0x8000   /* network layer: no route */
#define TCP_CF_RTT_ON    0x10000  /* rtt_seq is being timed */
#define TCP_CF_CONNECTED 0x20000  /* on_accept / on_connected done */
#define TCP_CF_HALFOPEN  0x40000  /* counted in its listener's n_half_open */
#define TCP_CF_SYN_AGAIN 0x80000  /* SYN_SENT: SYN resent after a bad ACK */
#define TCP_CF_TW_LIST   0x100000 /* on the stack's TIME_WAIT list */
/* txbuf full: owed when the connection resumes (tcp_output) */
#define TCP_CF_SYN_OWED    0x200000 /* our SYN or SYN-ACK */
#define TCP_CF_REXMIT_OWED 0x400000 /* the fast retransmission of snd_una */

/* What t_rtx is timing (t_rtx.user). */
enum tcp_rtx_kind {
	TCP_TK_NONE = 0,
	TCP_TK_RTO = 1,        /* retransmission (SYN, data, FIN) */
	TCP_TK_PERSIST = 2,    /* zero-window probe */
	TCP_TK_KEEPALIVE = 3,  /* keepalive probe */
	TCP_TK_TIME_WAIT = 4,  /* 2*MSL */
	TCP_TK_FIN_WAIT_2 = 5, /* closed by the user, peer's FIN awaited */
	TCP_TK_UNREACH = 6,    /* report TCP_CLOSE_UNREACHABLE */
	TCP_TK_DELACK = 7,     /* t_delack's user value */
};

struct tcp_seq_range {
	uint32_t start;
	uint32_t end; /* exclusive */
};

/*
 * The TCB.  Sequence variables follow RFC 9293 names; snd_max is the
 * highest sequence number sent (snd_nxt goes back to snd_una after an
 * RTO).  The send queue is the chain of mbuf segments the user gave
 * tcp_send(), linked through m->next, the first sq_head_off bytes of
 * sq_head already acknowledged; it starts at snd_una (plus one while our
 * SYN is unacknowledged: data never rides on a SYN).  The out-of-order
 * queue is single-segment mbufs linked through m->next in sequence order,
 * each with its sequence number in m->hash.usr.  Idle and established,
 * both queues are empty: a TCB holds no mbufs.
 */
struct tcp_conn {
	unsigned magic;
	uint8_t state;      /* enum tcp_state */
	uint8_t snd_wscale; /* peer's shift: its windows << this */
	uint8_t rcv_wscale; /* ours: our windows >> this */
	uint8_t n_rtx;      /* consecutive timeouts (backoff exponent) */
	uint32_t flags;     /* TCP_CF_* */
	uint8_t pad1[2];
	uint16_t mss; /* payload per segment (options deducted) */
	uint8_t n_dupack;
	uint8_t n_probe; /* keepalive probes unanswered */
	uint16_t n_ooo;  /* segments on the out-of-order queue */
	uint32_t idx;    /* in the pool */
	uint32_t link;   /* zombie list */
	uint32_t txwait_link;
	/* TIME_WAIT list, oldest first (the stack's tw_head / tw_tail) */
	uint32_t tw_prev;
	uint32_t tw_next;
	uint32_t listener; /* passive: listener index, else TCP_NONE */
	struct tcp_flow_key key;
	/* now_ms of the last ACK sent for an unacceptable segment; 0: none
	 * (here: it fills the hole before the pointers) */
	uint32_t oow_ack_ms;
	const struct tcp_callbacks *cb;
	void *arg;
	struct tcp_stack *s;

	/* send sequence space */
	uint32_t iss;
	uint32_t snd_una;
	uint32_t snd_nxt;
	uint32_t snd_max;
	uint32_t snd_wnd; /* bytes, already scaled */
	uint32_t max_snd_wnd;
	uint32_t snd_wl1;
	uint32_t snd_wl2;
	uint32_t fin_seq;  /* TCP_CF_SHUT_WR: the sequence number of our FIN */
	uint32_t recover;  /* RFC 6582 recovery point */
	uint32_t high_rxt; /* RFC 6675 HighRxt */
	uint32_t rxt_max;  /* snd_max when we last retransmitted */
	uint32_t sq_bytes; /* data queued: sent-unacked plus unsent */
	uint32_t sq_head_off;
	struct rte_mbuf *sq_head;
	struct rte_mbuf *sq_tail;
	/* where snd_nxt's byte is (a cache: NULL when unknown) */
	struct rte_mbuf *sq_cur;
	uint32_t sq_cur_off;
	uint32_t sq_cur_seq;

	/* receive sequence space */
	uint32_t irs;
	uint32_t rcv_nxt;
	uint32_t rcv_adv;  /* right edge of the window we advertised */
	uint32_t rcv_held; /* delivered by on_data, not yet tcp_recved() */
	uint32_t ooo_bytes;
	uint32_t ooo_fin;      /* TCP_CF_OOO_FIN: the peer's FIN */
	uint32_t ooo_last;     /* start of the latest out-of-order arrival */
	uint32_t delack_bytes; /* in-order bytes not yet acknowledged */
	struct rte_mbuf *ooo_head;

	/* timestamps (RFC 7323) */
	uint32_t ts_off;
	uint32_t ts_recent;
	/* RTT (RFC 6298), microseconds; rto in milliseconds */
	uint32_t srtt_us;
	uint32_t rttvar_us;
	uint32_t rto_ms;
	uint32_t rtt_seq;      /* no timestamps: the segment being timed */
	uint32_t rtt_start_ms; /* 0: none timed */
	uint32_t last_rx_ms;   /* keepalive idle start */
	uint32_t last_tx_ms;   /* cwnd restart after idle */

	/* SACK scoreboard: what the peer holds above snd_una, sorted */
	uint8_t n_sb;
	uint8_t pad2[3];
	uint32_t sacked_bytes;
	struct tcp_seq_range sb[TCP_SB_MAX];

	struct tcp_cc cc;
	struct gh_timer t_rtx;
	struct gh_timer t_delack;
};

/* A listening endpoint (flow value TCP_LISTEN_FLAG | index). */
struct tcp_listener {
	unsigned magic; /* 0: free slot */
	uint8_t cc;
	uint32_t n_half_open; /* SYN_RCVD TCBs of this listener */
	uint64_t cookie_tick; /* now_tick of the last cookie sent; 0: none */
	struct tcp_flow_key key;
	const struct tcp_callbacks *cb;
	void *arg;
};

struct tcp_stack {
	unsigned magic;
	struct tcp_stack_params p;
	uint8_t secret[16];
	uint8_t rcv_wscale; /* the shift we offer: rcv_buf fits */
	uint64_t now_tsc;
	uint64_t tsc_per_ms;
	uint32_t now_ms;   /* ms clock: timer ticks, TSval, RTT */
	uint64_t now_tick; /* 64-bit ms ticks for the wheel */
	uint64_t tick0_tsc;
	/* challenge ACKs sent in second chack_sec of the ms clock */
	uint32_t chack_sec;
	uint32_t chack_n;
	uint32_t depth;          /* nesting of calls into the stack */
	struct gh_pool tcb_pool; /* max_conns TCBs, in the block at tcbs */
	uint32_t zombie_head;
	uint32_t txwait_head;
	uint32_t txwait_tail;
	/* TCBs in TIME_WAIT, in order of entry (so of expiry: restarting
	 * 2*MSL moves one to the tail); the oldest is reclaimed when the
	 * pool is empty */
	uint32_t tw_head;
	uint32_t tw_tail;
	uint16_t ip_id;
	struct tcp_conn *tcbs;
	struct tcp_flow_table *flows;
	struct net_flow_ports ports;
	struct tcp_listener listeners[TCP_LISTEN_MAX];
	struct tcp_counters cnt __rte_cache_aligned;
	struct gh_wheel wheel;
};

/* A parsed incoming segment. */
struct tcp_seg {
	struct rte_mbuf *m;
	const struct rte_ipv4_hdr *ih;
	const struct rte_tcp_hdr *th;
	unsigned port_idx;
	uint32_t seq;
	uint32_t ack;
	uint32_t len;     /* payload bytes (SYN and FIN not counted) */
	uint32_t wnd;     /* raw 16-bit window */
	uint32_t hdr_len; /* l2 + l3 + TCP header */
	uint8_t flags;
	/* options */
	uint8_t has_mss, has_ws, has_sackok, has_ts;
	uint8_t ws;
	uint8_t n_sack;
	uint16_t mss;
	uint32_t tsval, tsecr;
	struct tcp_seq_range sack[4];
};

/* ---- tcp_stack.c --------------------------------------------------------
 */
static inline void
tcp_enter(struct tcp_stack *s)
{
	s->depth++;
}
void tcp_leave(struct tcp_stack *s);

struct tcp_conn *tcp_conn_alloc(struct tcp_stack *s);
/* Unkey, stop timers, free queues, put on the zombie list. */
void tcp_conn_release(struct tcp_conn *c);
/* Tell the user (once) and count the reason; then release. */
void tcp_conn_close_report(struct tcp_conn *c, enum tcp_close_reason why);
/* Reset the connection: send RST (when synchronized), report, release. */
void tcp_conn_reset(struct tcp_conn *c, enum tcp_close_reason why);
void tcp_rtx_arm(struct tcp_conn *c, enum tcp_rtx_kind kind, uint32_t ms);
void tcp_rtx_stop(struct tcp_conn *c);
/* Set t_rtx after the send state changed (RTO / persist / keepalive). */
void tcp_timers_update(struct tcp_conn *c);
void tcp_txwait_add(struct tcp_conn *c);
/* True when port <port_idx>'s txbuf has more than <spare> free slots. */
bool tcp_tx_room(const struct tcp_stack *s, unsigned port_idx, unsigned spare);
void tcp_conn_init_common(struct tcp_stack *s, struct tcp_conn *c);
void tcp_enter_time_wait(struct tcp_conn *c);
/* A retransmitted FIN in TIME_WAIT: 2*MSL again, youngest again. */
void tcp_time_wait_restart(struct tcp_conn *c);
/* Release the TIME_WAIT TCB <c> and put it straight back on the free
 * list (no zombie stage: nothing holds a TIME_WAIT TCB, its user is gone
 * and no callback of it runs), so tcp_conn_alloc() can take it now. */
void tcp_time_wait_free(struct tcp_conn *c);

/* ---- tcp_output.c ------------------------------------------------------ */
/* Send what the windows allow; then a pure ACK if one is owed. */
void tcp_output(struct tcp_conn *c);
int tcp_send_ack(struct tcp_conn *c);
/* Retransmit the first unacknowledged segment (fast retransmit); on a
 * full txbuf it is owed (TCP_CF_REXMIT_OWED) and the connection parks. */
void tcp_rexmit_head(struct tcp_conn *c);
/* Send one segment of <len> bytes of the send queue at <seq>. */
int tcp_xmit(struct tcp_conn *c, uint32_t seq, uint32_t len, uint8_t flags);
/* SYN or SYN-ACK for <c>'s state: sets snd_nxt past the ISN, arms the
 * RTO and sends it (tcp_resend_syn). */
int tcp_send_syn(struct tcp_conn *c);
/* The SYN or SYN-ACK of <c>'s state again, or, when the txbuf has no free
 * slot, owed (TCP_CF_SYN_OWED) with <c> parked until the flush. */
int tcp_resend_syn(struct tcp_conn *c);
/* RST in reply to the segment <g> that has no connection (RFC 9293
 * 3.10.7.1). */
void tcp_send_rst_reply(struct tcp_stack *s, const struct tcp_seg *g);
/* RST for <c>: SEQ=snd_nxt, ACK. */
void tcp_send_rst(struct tcp_conn *c);
/* SYN-ACK for a SYN cookie, no TCB. */
void tcp_send_synack_cookie(struct tcp_stack *s, const struct tcp_seg *g,
                            uint32_t iss, uint16_t mss, uint32_t tsval);
/* The window we would advertise now, unscaled bytes. */
uint32_t tcp_rcv_window(const struct tcp_conn *c);
/* The connection's TSval now. */
static inline uint32_t
tcp_tsval(const struct tcp_conn *c)
{
	return c->s->now_ms + c->ts_off;
}
/* Our MSS for a port (MTU - 40). */
uint16_t tcp_port_mss(const struct tcp_stack *s, unsigned port_idx);
/* Free the send queue's first <n> bytes. */
void tcp_sq_drop(struct tcp_conn *c, uint32_t n);
/* RFC 6298 (2.3) new RTT sample in microseconds. */
void tcp_rtt_sample(struct tcp_conn *c, uint32_t rtt_us);

/* ---- tcp_input.c ------------------------------------------------------- */
void tcp_input_conn(struct tcp_conn *c, struct tcp_seg *g);
void tcp_input_listen(struct tcp_stack *s, struct tcp_listener *l,
                      struct tcp_seg *g);
/* Deliver data, or a deferred FIN, now in order. */
void tcp_ooo_free(struct tcp_conn *c);

/* ---- tcp_sack.c -------------------------------------------------------- */
/* Record the peer's SACK blocks of <g>; true when they SACK new bytes
 * (an RFC 6675 DupAck when the ACK does not advance). */
bool tcp_sack_update(struct tcp_conn *c, const struct tcp_seg *g);
/* RFC 6675 IsLost(<seq>). */
bool tcp_sack_is_lost(const struct tcp_conn *c, uint32_t seq);
/* Bytes SACKed at or above <seq>. */
uint32_t tcp_sack_above(const struct tcp_conn *c, uint32_t seq);
/* Forget scoreboard entries below snd_una. */
void tcp_sack_trim(struct tcp_conn *c);
void tcp_sack_clear(struct tcp_conn *c);
/* Highest sequence number SACKed, or snd_una. */
uint32_t tcp_sack_high(const struct tcp_conn *c);
/* True when <seq> is covered by a scoreboard range; *end is its end. */
bool tcp_sack_covered(const struct tcp_conn *c, uint32_t seq, uint32_t *end);
/* RFC 6675 pipe. */
uint32_t tcp_sack_pipe(const struct tcp_conn *c);
/* Next lost hole at or above <from>: 0 and [start,end), or -ENOENT. */
int tcp_sack_next_hole(const struct tcp_conn *c, uint32_t from,
                       struct tcp_seq_range *h);
/* Bytes the SACK option takes in our next segment (0: none).  c->mss
 * already leaves room for the timestamps, not for this: a data segment
 * carries at most c->mss - tcp_sack_optlen(c) bytes, or the frame would
 * exceed the MTU. */
uint32_t tcp_sack_optlen(const struct tcp_conn *c);
/* SACK blocks our segments can carry: 3 beside the timestamps, else 4. */
static inline unsigned
tcp_sack_blocks_max(const struct tcp_conn *c)
{
	return (c->flags & TCP_CF_TS) ? TCP_RSACK_MAX - 1 : TCP_RSACK_MAX;
}
/* Blocks to send, most recent first: returns how many (<= max). */
unsigned tcp_sack_blocks(const struct tcp_conn *c, struct tcp_seq_range *b,
                         unsigned max);

/* ---- tcp_isn.c / tcp_cookie.c ------------------------------------------ */
/* RFC 6528 ISN for <k> at <now_tsc>. */
uint32_t tcp_isn(const struct tcp_stack *s, const struct tcp_flow_key *k);
/* Per-connection timestamp offset: TSval = now_ms + this, a TSC ms clock
 * plus a hash of <k>, so it rises per 4-tuple across stacks too. */
uint32_t tcp_ts_offset(const struct tcp_stack *s, const struct tcp_flow_key *k);
/* SYN cookie for <k> and the peer's ISN <irs>, carrying MSS index. */
uint32_t tcp_cookie_make(const struct tcp_stack *s,
                         const struct tcp_flow_key *k, uint32_t irs,
                         uint16_t mss, uint16_t *mss_out);
/* Check the cookie <iss> (ack - 1); returns the MSS it encodes, or 0. */
uint16_t tcp_cookie_check(const struct tcp_stack *s,
                          const struct tcp_flow_key *k, uint32_t irs,
                          uint32_t iss);
/* Options encoded in the low bits of a cookie SYN-ACK's TSval. */
uint32_t tcp_cookie_tsval(uint32_t now, int ws, bool sack);
void tcp_cookie_ts_decode(uint32_t tsecr, int *ws, bool *sack);

#endif /* GH_TCP_PRIV_H */
