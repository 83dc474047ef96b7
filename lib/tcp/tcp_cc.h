/*
 * Congestion control: NewReno (RFC 5681, 6582) and CUBIC (RFC 9438) behind
 * one interface the TCB calls at the events RFC 5681 names.  Pure
 * arithmetic on struct tcp_cc: no clock reads (the caller passes now_us),
 * no allocation, no I/O, so every curve is unit-testable.
 *
 * What the TCB does and what this module does:
 *  - the TCB detects loss (dupacks / SACK, RFC 6675) and RTOs, runs the
 *    recovery and retransmits; it calls tcp_cc_on_loss() once when it
 *    enters fast recovery, tcp_cc_on_recovery_end() when it leaves it, and
 *    tcp_cc_on_rto() on a retransmission timeout;
 *  - for every ACK that advances snd.una outside recovery it calls
 *    tcp_cc_on_ack() with the newly acknowledged bytes;
 *  - this module owns cwnd and ssthresh.
 */
#ifndef GH_TCP_CC_H
#define GH_TCP_CC_H

#include <stdint.h>

#include "tcp/tcp.h"

/*
 * Initial state for <algo> with sender MSS <mss>: cwnd = IW (RFC 6928:
 * min(10*MSS, max(2*MSS, 14600))), ssthresh "arbitrarily high" (RFC 5681
 * 3.1: UINT32_MAX).
 */
void tcp_cc_init(struct tcp_cc *cc, enum tcp_cc_algo algo, uint32_t mss);

/*
 * <acked> new bytes acknowledged outside recovery; <srtt_us> the smoothed
 * RTT (0 if none yet); <flight> bytes outstanding before this ACK.  Slow
 * start grows cwnd by min(acked, MSS) per ACK (RFC 5681 3.1, RFC 3465
 * L=1*SMSS); congestion avoidance by NewReno's ~1 MSS per RTT or CUBIC's
 * W_cubic(t) / Reno-friendly rule.  cwnd does not grow when the sender is
 * not cwnd-limited (flight < cwnd / 2) (RFC 9438 4.8 / RFC 7661 spirit).
 */
void tcp_cc_on_ack(struct tcp_cc *cc, uint32_t acked, uint32_t srtt_us,
                   uint32_t flight, uint64_t now_us);

/*
 * A loss detected by dupacks or SACK: entering fast recovery.  NewReno:
 * ssthresh = max(flight / 2, 2*MSS), cwnd = ssthresh (RFC 6582 / 5681
 * eq. 4, without the +3 MSS inflation: the TCB uses RFC 6675 pipe).
 * CUBIC: beta_cubic = 0.7, fast convergence, new epoch.
 */
void tcp_cc_on_loss(struct tcp_cc *cc, uint32_t flight, uint64_t now_us);

/* Fast recovery ended (snd.una passed the recovery point). */
void tcp_cc_on_recovery_end(struct tcp_cc *cc, uint64_t now_us);

/*
 * Retransmission timeout: ssthresh = max(flight / 2, 2*MSS) (CUBIC:
 * flight * beta), cwnd = 1 MSS (RFC 5681 eq. 4 and the LW rule), epoch
 * reset.
 */
void tcp_cc_on_rto(struct tcp_cc *cc, uint32_t flight, uint64_t now_us);

/*
 * The connection was idle (nothing in flight) for longer than one RTO:
 * restart window min(IW, cwnd) (RFC 5681 4.1); CUBIC also resets its
 * epoch so the idle time does not count as growth time.
 */
void tcp_cc_on_idle(struct tcp_cc *cc, uint64_t now_us);

/* The window the sender may have in flight, bytes. */
static inline uint32_t
tcp_cc_cwnd(const struct tcp_cc *cc)
{
	return cc->cwnd;
}

#endif /* GH_TCP_CC_H */
