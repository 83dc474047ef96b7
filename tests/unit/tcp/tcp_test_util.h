/*
 * Shared helpers of the TCP endpoint's unit tests: EAL and an mbuf pool,
 * two nodes (a network context with one port, and a TCP stack) on one
 * /24, a fake millisecond clock, a frame builder for hand-made segments
 * and a parser for the segments a stack emits.
 *
 * Node A is 10.0.0.1 (TT_MAC_A), node B 10.0.0.2 (TT_MAC_B); each has the
 * other resolved, so output is queued on the txbuf at once.  Segment-level
 * tests drive node A and play B by hand (tt_inject); the pair test runs
 * both stacks and carries frames between them (tt_carry).
 */
#ifndef TCP_TEST_UTIL_H
#define TCP_TEST_UTIL_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "net/net.h"
#include "tcp/tcp.h"

#define TT_HZ 1000000000ull
#define TT_T0 1000000000ull
#define TT_MS (TT_HZ / 1000)
#define TT_IP(a, b, c, d)                                        \
	RTE_BE32(((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | \
	         ((uint32_t)(c) << 8) | (uint32_t)(d))
#define TT_IP_A      TT_IP(10, 0, 0, 1)
#define TT_IP_B      TT_IP(10, 0, 0, 2)
#define TT_FRAME_MAX 1600

struct tt_node {
	struct net_ctx net;
	struct tcp_stack *s;
	struct tcp_stack_params p;
};

extern struct tt_node tt_a, tt_b;
extern struct rte_mempool *tt_pool;
extern uint64_t tt_now_ms;
extern const uint8_t tt_secret[16];

/* EAL once, pool, both nodes with the parameters <tweak> changes. */
void tt_setup(void (*tweak)(struct tcp_stack_params *p));
void tt_setup_default(void);
/* Destroy the stacks, free queued frames, check no mbuf leaked. */
void tt_teardown(void);

/* Move the fake clock to <ms> (absolute, from 0) and run both timers. */
void tt_clock(uint64_t ms);
/* Advance the clock by <ms> one millisecond at a time. */
void tt_advance(uint64_t ms);

/* A segment as seen on the wire. */
struct tt_seg {
	uint32_t src_ip, dst_ip;
	uint16_t sport, dport; /* host order */
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t wnd;
	int mss, ws, sackok; /* -1 / 0: absent */
	int has_ts;
	uint32_t tsval, tsecr;
	unsigned n_sack;
	uint32_t sack[4][2];
	uint32_t len;
	uint32_t ip_len; /* the IPv4 total length */
	uint8_t data[TT_FRAME_MAX];
};

/* Frames node <n> has queued on port 0. */
unsigned tt_tx_n(struct tt_node *n);
/* Parse (and check both checksums of) frame <i> of node <n>. */
void tt_tx_seg(struct tt_node *n, unsigned i, struct tt_seg *g);
/* Drop every queued frame of both nodes. */
void tt_tx_clear(void);

/* Options for tt_inject: MSS, WS, SACK-permitted, TS, SACK blocks. */
struct tt_opts {
	int mss; /* 0: none */
	int ws;  /* -1: none */
	bool sackok;
	bool ts;
	uint32_t tsval, tsecr;
	unsigned n_sack;
	uint32_t sack[4][2];
};

/*
 * Build a segment from B (10.0.0.2:<sport>) to A (10.0.0.1:<dport>) and
 * feed it to node A through its network layer.
 */
void tt_inject(uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
               uint8_t flags, uint16_t wnd, const struct tt_opts *o,
               const void *data, uint32_t len);

/*
 * Callbacks that keep what node A accepted last in tt_accepted (counted in
 * tt_n_accepted) and free every byte that arrives; tt_setup() resets both.
 */
extern const struct tcp_callbacks tt_sink_cb;
extern struct tcp_conn *tt_accepted;
extern unsigned tt_n_accepted;

/* Listen on A:<dport> with tt_sink_cb. */
void tt_sink_listen(uint16_t dport);
/*
 * The three-way handshake from B:<sport> (ISN <isn>, options <o>) to
 * A:<dport>: the SYN, A's SYN-ACK checked and cleared from its txbuf (a
 * copy in *<synack> when not NULL), the ACK with window <ack_wnd> (and
 * timestamps when <o> has them).  Returns A's ISN.
 */
uint32_t tt_handshake(uint16_t sport, uint16_t dport, uint32_t isn,
                      const struct tt_opts *o, uint16_t ack_wnd,
                      struct tt_seg *synack);
/* Open a connection from B:<sport> (ISN <isn>, MSS 1460, no window
 * scaling, window 65535) to A:<dport>, a tt_sink_listen() port, leaving
 * A's txbuf empty; returns the connection A accepted. */
struct tcp_conn *tt_sink_open(uint16_t sport, uint16_t dport, uint32_t isn);

/* Value of a TCP counter of node <n> by name. */
uint64_t tt_cnt(struct tt_node *n, const char *name);

/* The byte at stream offset <off> of the test pattern <seed>. */
static inline uint8_t
tt_pattern(uint32_t seed, uint64_t off)
{
	uint64_t x = (off + seed) * 0x9e3779b97f4a7c15ull;

	return (uint8_t)(x >> 56);
}

/* A chain of <len> pattern bytes from stream offset <off>, in segments of
 * at most <seg> bytes. */
struct rte_mbuf *tt_chain(uint32_t seed, uint64_t off, uint32_t len,
                          uint32_t seg);

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10

#endif /* TCP_TEST_UTIL_H */
