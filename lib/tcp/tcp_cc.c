/*
 * Congestion control: NewReno (RFC 5681 with RFC 3465 byte counting) and
 * CUBIC (RFC 9438), as pure integer arithmetic on struct tcp_cc.  Nothing
 * here reads a clock, allocates or prints; the TCB passes the time in and
 * reads cwnd out (tcp_cc.h says at which events).
 *
 * Units: windows in bytes, times in microseconds, CUBIC's K in
 * milliseconds.  CUBIC's curve is evaluated in fixed point (time in whole
 * milliseconds, the cubic term in 1/1024 segment) with 64-bit
 * intermediates and an exact integer cube root, so the per-ACK path has no
 * floating point.  docs/architecture.md ("Congestion control") gives the
 * error bounds; every product below is bounded in a comment next to it.
 */
#include <stdint.h>

#include "common/gh_common.h"
#include "tcp/tcp_cc.h"

/* RFC 6928 initial window: min(10*MSS, max(2*MSS, 14600)). */
#define CC_IW_BYTES 14600u

/* CUBIC constants (RFC 9438 section 5): C = 0.4 = 2/5, beta = 0.7 = 7/10. */
#define CUBIC_BETA_NUM 7u
#define CUBIC_BETA_DEN 10u
/* (1 + beta) / 2 = 17/20, fast convergence (section 4.7). */
#define CUBIC_FC_NUM 17u
#define CUBIC_FC_DEN 20u
/* alpha_cubic = 3 (1 - beta) / (1 + beta) = 0.9 / 1.7 = 9/17 exactly. */
#define CUBIC_ALPHA_NUM 9u
#define CUBIC_ALPHA_DEN 17u
/*
 * K^3 in ms^3 = (W_max - cwnd_epoch) [segments] / C * 10^9 = bytes / MSS *
 * 2.5e9.  With both windows <= 2^30 the product is < 2.7e18 < 2^64.
 */
#define CUBIC_K3_PER_SEG 2500000000ull
/*
 * C * d^3 for d in ms, in 1/1024 segment: 0.4 * 1024 / 10^9 = 4 / 5^10.
 */
#define CUBIC_D3_DIV    9765625ull
#define CUBIC_D3_MUL    4ull
#define CUBIC_FRAC_BITS 10
/*
 * |t - K| is clamped to 2^21 ms (35 min) so d^3 stays < 2^63; there the
 * cubic term is already 0.4 * 2097^3 = 3.7e9 segments, more than any window
 * for an MSS >= 1.
 */
#define CUBIC_D_MAX_MS (1ull << 21)

static uint32_t
cc_min_u64(uint64_t a, uint64_t b)
{
	return (uint32_t)(a < b ? a : b);
}

static uint32_t
cc_iw(uint32_t mss)
{
	uint64_t two = 2ull * mss;
	uint64_t ten = 10ull * mss;
	uint64_t iw = two > CC_IW_BYTES ? two : CC_IW_BYTES;

	return cc_min_u64(cc_min_u64(iw, ten), TCP_CC_CWND_MAX);
}

/* a + b, saturating at UINT32_MAX (accumulators). */
static uint32_t
cc_add_sat(uint32_t a, uint32_t b)
{
	return cc_min_u64((uint64_t)a + b, UINT32_MAX);
}

/* max(x, 2*MSS), never above the cwnd cap. */
static uint32_t
cc_ssthresh_floor(const struct tcp_cc *cc, uint64_t x)
{
	uint64_t two = 2ull * cc->mss;

	return cc_min_u64(x > two ? x : two, TCP_CC_CWND_MAX);
}

static void
cc_set_cwnd(struct tcp_cc *cc, uint64_t cwnd)
{
	cc->cwnd = cc_min_u64(cwnd, TCP_CC_CWND_MAX);
}

/*
 * floor(cbrt(x)), exact, for any 64-bit x: the bitwise method of Hacker's
 * Delight (icbrt64), 22 rounds.  y < 2^22, so 3y(y+1)+1 < 2^46, and b << s
 * is taken only when it is <= x.  Called at epoch starts only.
 */
static uint32_t
cc_icbrt64(uint64_t x)
{
	uint64_t y = 0;
	int s;

	for (s = 63; s >= 0; s -= 3) {
		uint64_t b;

		y <<= 1;
		b = 3 * y * (y + 1) + 1;
		if ((x >> s) >= b) {
			x -= b << s;
			y++;
		}
	}
	return (uint32_t)y;
}

/* ---- NewReno ---------------------------------------------------------- */

/*
 * Congestion avoidance, RFC 3465 2.1 / RFC 5681 eq. 3: one MSS each time a
 * full cwnd of bytes has been acknowledged.  At most one MSS per ACK.
 */
static void
reno_ca(struct tcp_cc *cc, uint32_t acked)
{
	cc->bytes_acked = cc_add_sat(cc->bytes_acked, acked);
	if (cc->bytes_acked < cc->cwnd)
		return;
	cc->bytes_acked -= cc->cwnd;
	cc_set_cwnd(cc, (uint64_t)cc->cwnd + cc->mss);
	/* A stretch ACK larger than two windows still earns one MSS. */
	if (cc->bytes_acked >= cc->cwnd)
		cc->bytes_acked = cc->cwnd - 1;
}

/* ---- CUBIC ------------------------------------------------------------ */

/*
 * K (section 4.2) = cbrt((W_max - cwnd_epoch) / C) seconds with windows in
 * segments; here in whole ms, rounded down (error < 1 ms).
 */
static uint32_t
cubic_k_ms(uint32_t w_max, uint32_t cwnd_epoch, uint32_t mss)
{
	uint64_t diff;

	if (cwnd_epoch >= w_max)
		return 0;
	diff = w_max - cwnd_epoch; /* <= 2^30 */
	return cc_icbrt64(diff * CUBIC_K3_PER_SEG / mss);
}

/*
 * W_cubic(t) = C (t - K)^3 + W_max in bytes (section 4.2, eq. 1), t in us
 * since the epoch start.  The result is >= 0 and < 2^59.
 */
static uint64_t
cubic_w(const struct tcp_cc *cc, uint64_t t_us)
{
	uint64_t t_ms = t_us / 1000;
	uint64_t d, d3, delta_fp, delta;
	int below_k = t_ms < cc->k_ms;

	d = below_k ? cc->k_ms - t_ms : t_ms - cc->k_ms;
	if (d > CUBIC_D_MAX_MS)
		d = CUBIC_D_MAX_MS;
	d3 = d * d * d; /* <= 2^63 */
	/* C d^3 in 1/1024 segment, exact floor: < 2^42. */
	delta_fp = d3 / CUBIC_D3_DIV * CUBIC_D3_MUL +
	           d3 % CUBIC_D3_DIV * CUBIC_D3_MUL / CUBIC_D3_DIV;
	delta = (delta_fp * cc->mss) >> CUBIC_FRAC_BITS; /* < 2^58 */
	if (below_k)
		return delta >= cc->w_max ? 0 : cc->w_max - delta;
	return cc->w_max + delta;
}

/*
 * A new congestion-avoidance stage begins at the first ACK in CA after a
 * reduction, an RTO or an idle restart.  When cwnd already reaches W_max
 * (first CA stage, after an RTO per section 4.8, or after an idle period),
 * W_max becomes cwnd_epoch and K = 0: the curve starts on its convex side.
 */
static void
cubic_epoch_start(struct tcp_cc *cc, uint64_t now_us)
{
	cc->epoch_start_us = now_us != 0 ? now_us : 1;
	if (cc->w_max <= cc->cwnd)
		cc->w_max = cc->cwnd;
	cc->k_ms = cubic_k_ms(cc->w_max, cc->cwnd, cc->mss);
	cc->w_est = cc->cwnd; /* section 4.3: W_est = cwnd_epoch */
	cc->w_est_acked = 0;
	cc->bytes_acked = 0;
}

/*
 * Reno-friendly estimate (section 4.3): W_est += alpha * acked / cwnd
 * segments, i.e. one MSS per cwnd / alpha bytes acknowledged, with alpha =
 * 9/17 until W_est reaches cwnd_prior and 1 after.  W_est moves in whole
 * MSS steps; the remainder stays in w_est_acked.
 */
static void
cubic_w_est_update(struct tcp_cc *cc, uint32_t acked)
{
	uint64_t thr = cc->cwnd;
	uint64_t n;

	if (cc->w_est < cc->cwnd_prior)
		thr = thr * CUBIC_ALPHA_DEN / CUBIC_ALPHA_NUM;
	if (thr == 0)
		thr = 1;
	cc->w_est_acked = cc_add_sat(cc->w_est_acked, acked);
	n = cc->w_est_acked / thr;
	if (n == 0)
		return;
	cc->w_est_acked -= (uint32_t)(n * thr);
	cc->w_est = cc_min_u64(cc->w_est + n * cc->mss, TCP_CC_CWND_MAX);
}

static void
cubic_ca(struct tcp_cc *cc, uint32_t acked, uint32_t srtt_us, uint64_t now_us)
{
	uint64_t t_us, target, cap, thr, n, grown;

	if (cc->epoch_start_us == 0)
		cubic_epoch_start(cc, now_us);
	t_us = now_us > cc->epoch_start_us ? now_us - cc->epoch_start_us : 0;

	cubic_w_est_update(cc, acked);
	/* Reno-friendly region: W_cubic(t) < W_est, cwnd follows W_est. */
	if (cubic_w(cc, t_us) < cc->w_est) {
		if (cc->w_est > cc->cwnd)
			cc_set_cwnd(cc, cc->w_est);
		return;
	}

	/* Section 4.2: target = W_cubic(t + RTT) within [cwnd, 1.5 cwnd]. */
	target = cubic_w(cc, t_us + srtt_us);
	cap = (uint64_t)cc->cwnd + cc->cwnd / 2;
	if (target > cap)
		target = cap;
	if (target <= cc->cwnd)
		return; /* plateau or concave side caught up: hold */

	/*
	 * (target - cwnd) / cwnd segments per segment acked: one MSS per
	 * cwnd * MSS / (target - cwnd) bytes acked.  cwnd * MSS < 2^46.
	 */
	thr = (uint64_t)cc->cwnd * cc->mss / (target - cc->cwnd);
	if (thr == 0)
		thr = 1;
	cc->bytes_acked = cc_add_sat(cc->bytes_acked, acked);
	n = cc->bytes_acked / thr;
	if (n == 0)
		return;
	cc->bytes_acked -= (uint32_t)(n * thr);
	/* A stretch ACK grows cwnd to target, or by one MSS if that is more. */
	grown = (uint64_t)cc->cwnd + n * cc->mss;
	cap = target > (uint64_t)cc->cwnd + cc->mss
	          ? target
	          : (uint64_t)cc->cwnd + cc->mss;
	cc_set_cwnd(cc, grown < cap ? grown : cap);
}

/*
 * A congestion event (section 4.6 with 4.7): fast convergence lowers W_max
 * when this loss came below the previous one.  ssthresh uses cwnd, which
 * section 4.6 allows because cwnd does not grow while the sender is not
 * cwnd-limited (tcp_cc_on_ack).
 */
static void
cubic_reduce(struct tcp_cc *cc)
{
	uint64_t cwnd = cc->cwnd;

	cc->w_last_max = cc->w_max;
	if (cc->cwnd < cc->w_last_max)
		cc->w_max = (uint32_t)(cwnd * CUBIC_FC_NUM / CUBIC_FC_DEN);
	else
		cc->w_max = cc->cwnd;
	cc->cwnd_prior = cc->cwnd;
	cc->ssthresh =
	    cc_ssthresh_floor(cc, cwnd * CUBIC_BETA_NUM / CUBIC_BETA_DEN);
	cc->cwnd = cc->ssthresh;
	cc->epoch_start_us = 0;
}

/* ---- the interface ---------------------------------------------------- */

void
tcp_cc_init(struct tcp_cc *cc, enum tcp_cc_algo algo, uint32_t mss)
{
	GH_AN(cc);
	GH_VERIFY(mss != 0);
	GH_VERIFY(algo == TCP_CC_CUBIC || algo == TCP_CC_NEWRENO);

	*cc = (struct tcp_cc){
	    .algo = (uint8_t)algo,
	    .in_slow_start = 1,
	    .mss = mss,
	    .cwnd = cc_iw(mss),
	    .ssthresh = UINT32_MAX,
	};
}

/*
 * Slow start (RFC 5681 3.1, RFC 3465 L = 1 SMSS): cwnd += min(acked, MSS),
 * stopping at ssthresh.  Returns the acked bytes left for congestion
 * avoidance when the growth was stopped by ssthresh, else 0.
 */
static uint32_t
cc_slow_start(struct tcp_cc *cc, uint32_t acked)
{
	uint32_t inc = acked < cc->mss ? acked : cc->mss;
	uint32_t room = cc->ssthresh - cc->cwnd; /* cwnd < ssthresh */

	if (inc < room) {
		cc_set_cwnd(cc, (uint64_t)cc->cwnd + inc);
		return 0;
	}
	cc_set_cwnd(cc, cc->ssthresh);
	return acked - room;
}

void
tcp_cc_on_ack(struct tcp_cc *cc, uint32_t acked, uint32_t srtt_us,
              uint32_t flight, uint64_t now_us)
{
	GH_ASSERT(cc->mss != 0 && cc->cwnd <= TCP_CC_CWND_MAX);

	if (acked == 0)
		goto out;
	/*
	 * Not cwnd-limited: no growth, and for CUBIC the time does not count
	 * as epoch time (the curve resumes where it left off).
	 */
	if ((uint64_t)flight * 2 < cc->cwnd) {
		if (cc->epoch_start_us != 0 && now_us > cc->last_ack_us &&
		    cc->last_ack_us != 0)
			cc->epoch_start_us += now_us - cc->last_ack_us;
		goto out;
	}
	if (cc->cwnd < cc->ssthresh) {
		acked = cc_slow_start(cc, acked);
		if (acked == 0 || cc->cwnd < cc->ssthresh)
			goto out;
	}
	if (cc->algo == TCP_CC_NEWRENO)
		reno_ca(cc, acked);
	else
		cubic_ca(cc, acked, srtt_us, now_us);
out:
	cc->last_ack_us = now_us;
	cc->in_slow_start = cc->cwnd < cc->ssthresh;
}

void
tcp_cc_on_loss(struct tcp_cc *cc, uint32_t flight, uint64_t now_us)
{
	(void)now_us;
	if (cc->algo == TCP_CC_NEWRENO) {
		cc->ssthresh = cc_ssthresh_floor(cc, flight / 2);
		cc->cwnd = cc->ssthresh;
	} else {
		cubic_reduce(cc);
	}
	cc->bytes_acked = 0;
	cc->in_slow_start = cc->cwnd < cc->ssthresh;
}

void
tcp_cc_on_recovery_end(struct tcp_cc *cc, uint64_t now_us)
{
	(void)now_us;
	/* cwnd was set to ssthresh on entry (no inflation); an RTO during
	 * recovery may have left it lower, which stands. */
	if (cc->cwnd > cc->ssthresh)
		cc->cwnd = cc->ssthresh;
	cc->bytes_acked = 0;
	/* CUBIC's epoch starts at the first ACK in CA from here. */
	cc->epoch_start_us = 0;
	cc->in_slow_start = cc->cwnd < cc->ssthresh;
}

void
tcp_cc_on_rto(struct tcp_cc *cc, uint32_t flight, uint64_t now_us)
{
	(void)now_us;
	if (cc->algo == TCP_CC_NEWRENO) {
		cc->ssthresh = cc_ssthresh_floor(cc, flight / 2);
	} else {
		/*
		 * Section 4.8: ssthresh from beta_cubic; the next CA stage
		 * starts with K = 0 and W_max = cwnd_epoch (w_max = 0 makes
		 * cubic_epoch_start do that).
		 */
		cc->ssthresh = cc_ssthresh_floor(
		    cc, (uint64_t)flight * CUBIC_BETA_NUM / CUBIC_BETA_DEN);
		cc->cwnd_prior = cc->cwnd;
		cc->w_last_max = cc->w_max;
		cc->w_max = 0;
		cc->epoch_start_us = 0;
	}
	cc->cwnd = cc->mss;
	cc->bytes_acked = 0;
	cc->in_slow_start = cc->cwnd < cc->ssthresh;
}

void
tcp_cc_on_idle(struct tcp_cc *cc, uint64_t now_us)
{
	uint32_t rw = cc_iw(cc->mss);

	(void)now_us;
	/* RFC 5681 4.1: cwnd = min(RW, cwnd), RW = IW; ssthresh stays. */
	if (cc->cwnd > rw)
		cc->cwnd = rw;
	cc->bytes_acked = 0;
	/* The idle time is no growth time: a new epoch on the next CA ACK. */
	cc->epoch_start_us = 0;
	cc->in_slow_start = cc->cwnd < cc->ssthresh;
}
