/*
 * The two-stack harness of the proxy tests, on the TCP tests' one
 * (tests/unit/tcp/tcp_test_util.h): node A (10.0.0.1) runs the proxy
 * under test; node B (10.0.0.2) plays the client (`cli`) and the origin
 * (`org`, which a test makes listen with peer_cbs).  Frames are carried
 * between the stacks in fresh mbufs.
 */
#ifndef PROXY_TEST_UTIL_H
#define PROXY_TEST_UTIL_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "../tcp/tcp_test_util.h"

#define RX_MAX (256u * 1024)

/* One end on node B: what it received (the first RX_MAX - 1 bytes, and a
 * count of all), and what happened to its connection. */
struct peer {
	struct tcp_conn *c;
	char rx[RX_MAX];
	uint32_t rx_len;
	uint64_t rx_total; /* every byte, also past rx[] */
	unsigned accepted;
	unsigned answered; /* requests the origin answered on this conn */
	bool connected, fin, closed;
	bool hold;     /* a slow reader: what arrives is not taken (its
	                  window closes) until peer_release() */
	uint32_t held; /* bytes arrived and not taken */
	enum tcp_close_reason why;
};

extern struct peer cli, org;
/* Callbacks of a peer: their argument is its struct peer. */
extern const struct tcp_callbacks peer_cbs;
/* Called by run() each fake ms with the clock in TSC units, or NULL. */
extern void (*pt_tick)(uint64_t now_tsc);
/* Frames carried that had a segment with an external buffer (a cache
 * hit's body sent without a copy); pt_reset() zeroes it. */
extern unsigned pt_ext_frames;

/* Forget both peers and the tick (after tt_setup()). */
void pt_reset(void);
/* Move node <from>'s queued frames to <to> as fresh mbufs (a wire). */
void carry(struct tt_node *from, struct tt_node *to);
/* Run the wire, both stacks and pt_tick for <ms> fake ms. */
void run(unsigned ms);
/* Send <len> bytes of <data> on <p>'s connection in segments of <seg>. */
void send_bytes(struct peer *p, const char *data, uint32_t len, uint32_t seg);
void send_str(struct peer *p, const char *s);
/* <p> takes what it held (its window opens) and reads on. */
void peer_release(struct peer *p);
/* Drop node A's queued frames whose TCP port at offset <which> of the TCP
 * header (0 source, 2 destination) is <port>. */
void drop_a_frames(unsigned which, uint16_t port);

#endif /* PROXY_TEST_UTIL_H */
