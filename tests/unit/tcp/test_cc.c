/*
 * lib/tcp congestion control: initial windows, slow start and the
 * ssthresh crossing, NewReno's one MSS per RTT, exact loss/RTO/idle
 * results, and CUBIC's curve against a double-precision model of RFC 9438
 * written here (K, concave then convex growth, plateau at W_max, fast
 * convergence, the Reno-friendly region), the cwnd-limited rule and the
 * extremes (1 GiB windows, ten-day epochs).  Time is simulated: each "RTT"
 * delivers one ACK per MSS of the window, spread evenly over the RTT.
 */
#include <signal.h>
#include <stdint.h>

#include <criterion/criterion.h>

#include "tcp/tcp_cc.h"

TestSuite(tcp_cc);

#define MSS    1000u
#define SEG(x) ((double)(x) / MSS)

/* ---- helpers ---------------------------------------------------------- */

/*
 * One RTT of a cwnd-limited sender: an ACK of one MSS for each MSS in the
 * window at the start of the RTT, the i-th at t0 + rtt * (i + 1) / n.
 */
static void
ack_rtt(struct tcp_cc *cc, uint64_t *now, uint32_t rtt_us)
{
	uint32_t n = tcp_cc_cwnd(cc) / cc->mss;
	uint64_t t0 = *now;
	uint32_t i;

	for (i = 0; i < n; i++) {
		*now = t0 + (uint64_t)rtt_us * (i + 1) / n;
		tcp_cc_on_ack(cc, cc->mss, rtt_us, tcp_cc_cwnd(cc), *now);
	}
}

/* Slow start from IW until cwnd reaches <target> bytes (a multiple of the
 * MSS), one MSS per ACK. */
static void
grow_to(struct tcp_cc *cc, uint32_t target, uint64_t *now)
{
	while (tcp_cc_cwnd(cc) < target) {
		*now += 10;
		tcp_cc_on_ack(cc, cc->mss, 0, tcp_cc_cwnd(cc), *now);
	}
	cr_assert_eq(tcp_cc_cwnd(cc), target);
}

/* Newton's cube root: the test needs no libm. */
static double
dcbrt(double x)
{
	double y = x > 1 ? x / 3 : 1;
	int i;

	if (x <= 0)
		return 0;
	for (i = 0; i < 200; i++)
		y = y - (y * y * y - x) / (3 * y * y);
	return y;
}

static double
dabs(double x)
{
	return x < 0 ? -x : x;
}

/*
 * The reference: RFC 9438 sections 4.2, 4.3 in doubles, windows in
 * segments, times in seconds, fed the same ACK schedule.
 */
struct ref {
	double cwnd, w_max, k, w_est, cwnd_prior, epoch;
	int has_epoch;
};

static double
ref_w(const struct ref *r, double t)
{
	double d = t - r->k;

	return 0.4 * d * d * d + r->w_max;
}

static void
ref_ack(struct ref *r, double rtt, double now)
{
	double t, target, alpha;

	if (!r->has_epoch) {
		r->has_epoch = 1;
		r->epoch = now;
		if (r->w_max <= r->cwnd)
			r->w_max = r->cwnd;
		r->k = dcbrt((r->w_max - r->cwnd) / 0.4);
		r->w_est = r->cwnd;
	}
	t = now - r->epoch;
	alpha = r->w_est >= r->cwnd_prior ? 1.0 : 0.9 / 1.7;
	r->w_est += alpha / r->cwnd;
	if (ref_w(r, t) < r->w_est) {
		if (r->w_est > r->cwnd)
			r->cwnd = r->w_est;
		return;
	}
	target = ref_w(r, t + rtt);
	if (target < r->cwnd)
		target = r->cwnd;
	if (target > 1.5 * r->cwnd)
		target = 1.5 * r->cwnd;
	r->cwnd += (target - r->cwnd) / r->cwnd;
}

static void
ref_rtt(struct ref *r, double *now, double rtt)
{
	int n = (int)r->cwnd;
	double t0 = *now;
	int i;

	for (i = 0; i < n; i++) {
		*now = t0 + rtt * (i + 1) / n;
		ref_ack(r, rtt, *now);
	}
}

/* CUBIC, MSS 1000, grown to <w_max_seg> segments and then a loss. */
static void
cubic_after_loss(struct tcp_cc *cc, uint32_t w_max_seg, uint64_t *now)
{
	tcp_cc_init(cc, TCP_CC_CUBIC, MSS);
	grow_to(cc, w_max_seg * MSS, now);
	tcp_cc_on_loss(cc, tcp_cc_cwnd(cc), *now);
	tcp_cc_on_recovery_end(cc, *now);
}

/* ---- initial window, slow start --------------------------------------- */

Test(tcp_cc, initial_window_per_rfc6928)
{
	static const struct {
		uint32_t mss, iw;
	} v[] = {
	    {100, 1000},   {536, 5360},   {1000, 10000},
	    {1460, 14600}, {1500, 14600}, {4000, 14600},
	    {8960, 17920}, {9000, 18000}, {65535, 131070},
	};
	struct tcp_cc cc;
	size_t i;
	int a;

	for (a = 0; a < 2; a++) {
		for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
			tcp_cc_init(&cc, a ? TCP_CC_NEWRENO : TCP_CC_CUBIC,
			            v[i].mss);
			cr_assert_eq(tcp_cc_cwnd(&cc), v[i].iw, "mss %u: %u",
			             v[i].mss, tcp_cc_cwnd(&cc));
			cr_assert_eq(cc.ssthresh, UINT32_MAX);
			cr_assert_eq(cc.in_slow_start, 1);
		}
	}
}

Test(tcp_cc, slow_start_doubles_per_rtt)
{
	struct tcp_cc cc;
	uint64_t now = 1000;
	uint32_t w = 14600;
	int a, r;

	for (a = 0; a < 2; a++) {
		tcp_cc_init(&cc, a ? TCP_CC_NEWRENO : TCP_CC_CUBIC, 1460);
		w = 14600;
		for (r = 0; r < 8; r++) {
			ack_rtt(&cc, &now, 50000);
			w *= 2;
			cr_assert_eq(tcp_cc_cwnd(&cc), w, "rtt %d: %u", r,
			             tcp_cc_cwnd(&cc));
		}
	}
}

Test(tcp_cc, slow_start_abc_limit_one_mss_per_ack)
{
	struct tcp_cc cc;

	tcp_cc_init(&cc, TCP_CC_NEWRENO, MSS);
	/* A stretch ACK of 5 MSS still grows cwnd by one MSS (L = 1). */
	tcp_cc_on_ack(&cc, 5 * MSS, 0, tcp_cc_cwnd(&cc), 1);
	cr_assert_eq(tcp_cc_cwnd(&cc), 11 * MSS);
	/* A partial ACK grows it by the bytes acked. */
	tcp_cc_on_ack(&cc, 300, 0, tcp_cc_cwnd(&cc), 2);
	cr_assert_eq(tcp_cc_cwnd(&cc), 11 * MSS + 300);
	/* Nothing acked, nothing grown. */
	tcp_cc_on_ack(&cc, 0, 0, tcp_cc_cwnd(&cc), 3);
	cr_assert_eq(tcp_cc_cwnd(&cc), 11 * MSS + 300);
}

Test(tcp_cc, ssthresh_crossing)
{
	struct tcp_cc cc;
	uint32_t i;

	tcp_cc_init(&cc, TCP_CC_NEWRENO, MSS);
	/* RTO with 10.6 MSS in flight: ssthresh 5.3 MSS, cwnd 1 MSS. */
	tcp_cc_on_rto(&cc, 10 * MSS + 600, 1);
	cr_assert_eq(cc.ssthresh, 5 * MSS + 300);
	cr_assert_eq(tcp_cc_cwnd(&cc), MSS);
	cr_assert_eq(cc.in_slow_start, 1);
	for (i = 2; i <= 5; i++) {
		tcp_cc_on_ack(&cc, MSS, 0, tcp_cc_cwnd(&cc), i);
		cr_assert_eq(tcp_cc_cwnd(&cc), i * MSS);
		cr_assert_eq(cc.in_slow_start, 1);
	}
	/* This ACK would pass ssthresh: cwnd stops at it, and the 700 bytes
	 * beyond go to congestion avoidance. */
	tcp_cc_on_ack(&cc, MSS, 0, tcp_cc_cwnd(&cc), 10);
	cr_assert_eq(tcp_cc_cwnd(&cc), 5 * MSS + 300);
	cr_assert_eq(cc.in_slow_start, 0);
	cr_assert_eq(cc.bytes_acked, 700);
	/* From here on, congestion avoidance: no growth per ACK. */
	tcp_cc_on_ack(&cc, MSS, 0, tcp_cc_cwnd(&cc), 11);
	cr_assert_eq(tcp_cc_cwnd(&cc), 5 * MSS + 300);
	cr_assert_eq(cc.bytes_acked, 1700);
}

/* ---- NewReno ---------------------------------------------------------- */

Test(tcp_cc, newreno_ca_one_mss_per_rtt)
{
	struct tcp_cc cc;
	uint64_t now = 1;
	uint32_t start, prev;
	int r;

	tcp_cc_init(&cc, TCP_CC_NEWRENO, MSS);
	grow_to(&cc, 40 * MSS, &now);
	tcp_cc_on_loss(&cc, 40 * MSS, now);
	tcp_cc_on_recovery_end(&cc, now);
	start = tcp_cc_cwnd(&cc);
	cr_assert_eq(start, 20 * MSS);
	for (r = 0; r < 100; r++) {
		prev = tcp_cc_cwnd(&cc);
		ack_rtt(&cc, &now, 100000);
		cr_assert_leq(tcp_cc_cwnd(&cc) - prev, 2 * MSS);
	}
	cr_assert_geq(tcp_cc_cwnd(&cc), start + 99 * MSS, "%u",
	              tcp_cc_cwnd(&cc));
	cr_assert_leq(tcp_cc_cwnd(&cc), start + 101 * MSS, "%u",
	              tcp_cc_cwnd(&cc));
	cr_assert_eq(cc.in_slow_start, 0);
}

Test(tcp_cc, newreno_loss_and_rto_exact)
{
	struct tcp_cc cc;
	uint64_t now = 1;

	tcp_cc_init(&cc, TCP_CC_NEWRENO, MSS);
	grow_to(&cc, 40 * MSS, &now);
	tcp_cc_on_loss(&cc, 30001, now);
	cr_assert_eq(cc.ssthresh, 15000);
	cr_assert_eq(tcp_cc_cwnd(&cc), 15000);
	cr_assert_eq(cc.in_slow_start, 0);
	tcp_cc_on_recovery_end(&cc, now);
	cr_assert_eq(tcp_cc_cwnd(&cc), 15000);
	/* Floor of 2 MSS. */
	tcp_cc_on_loss(&cc, 3000, now);
	cr_assert_eq(cc.ssthresh, 2 * MSS);
	cr_assert_eq(tcp_cc_cwnd(&cc), 2 * MSS);
	/* RTO: half the flight, cwnd one MSS (the LW). */
	tcp_cc_on_rto(&cc, 50000, now);
	cr_assert_eq(cc.ssthresh, 25000);
	cr_assert_eq(tcp_cc_cwnd(&cc), MSS);
	cr_assert_eq(cc.in_slow_start, 1);
	tcp_cc_on_rto(&cc, MSS, now);
	cr_assert_eq(cc.ssthresh, 2 * MSS);
	cr_assert_eq(tcp_cc_cwnd(&cc), MSS);
}

/* ---- CUBIC ------------------------------------------------------------ */

Test(tcp_cc, cubic_loss_and_rto_exact)
{
	struct tcp_cc cc;
	uint64_t now = 1;

	cubic_after_loss(&cc, 100, &now);
	cr_assert_eq(cc.w_max, 100000);
	cr_assert_eq(cc.cwnd_prior, 100000);
	cr_assert_eq(cc.ssthresh, 70000);
	cr_assert_eq(tcp_cc_cwnd(&cc), 70000);
	cr_assert_eq(cc.epoch_start_us, 0);
	/* Floor of 2 MSS. */
	tcp_cc_init(&cc, TCP_CC_CUBIC, MSS);
	tcp_cc_on_rto(&cc, 2 * MSS, now);
	cr_assert_eq(cc.ssthresh, 2 * MSS);
	cr_assert_eq(tcp_cc_cwnd(&cc), MSS);
	tcp_cc_on_loss(&cc, MSS, now);
	cr_assert_eq(cc.ssthresh, 2 * MSS);
	cr_assert_eq(tcp_cc_cwnd(&cc), 2 * MSS);
	/* RTO: ssthresh = 0.7 flight, cwnd 1 MSS, epoch reset. */
	cubic_after_loss(&cc, 100, &now);
	ack_rtt(&cc, &now, 100000);
	cr_assert_neq(cc.epoch_start_us, 0);
	tcp_cc_on_rto(&cc, 90001, now);
	cr_assert_eq(cc.ssthresh, 63000);
	cr_assert_eq(tcp_cc_cwnd(&cc), MSS);
	cr_assert_eq(cc.epoch_start_us, 0);
	cr_assert_eq(cc.in_slow_start, 1);
}

Test(tcp_cc, cubic_after_rto_k_zero_and_w_max_cwnd_epoch)
{
	struct tcp_cc cc;
	uint64_t now = 1;

	cubic_after_loss(&cc, 100, &now);
	tcp_cc_on_rto(&cc, 80 * MSS, now);
	cr_assert_eq(cc.ssthresh, 56 * MSS);
	/* Slow start up to ssthresh, then the first CA ACK opens the epoch
	 * with K = 0 and W_max = cwnd_epoch (RFC 9438 4.8). */
	while (cc.in_slow_start)
		tcp_cc_on_ack(&cc, MSS, 100000, tcp_cc_cwnd(&cc), ++now);
	cr_assert_eq(tcp_cc_cwnd(&cc), 56 * MSS);
	tcp_cc_on_ack(&cc, MSS, 100000, tcp_cc_cwnd(&cc), ++now);
	cr_assert_eq(cc.k_ms, 0);
	cr_assert_eq(cc.w_max, 56 * MSS);
	cr_assert_eq(cc.w_est, 56 * MSS);
	cr_assert_eq(cc.epoch_start_us, now);
}

Test(tcp_cc, cubic_k)
{
	static const struct {
		uint32_t w_max_seg, mss;
	} v[] = {
	    {100, 1000}, {100, 1460}, {1000, 1460}, {37, 536}, {10000, 9000}};
	struct tcp_cc cc;
	uint64_t now;
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		double k;

		now = 1;
		tcp_cc_init(&cc, TCP_CC_CUBIC, v[i].mss);
		grow_to(&cc, v[i].w_max_seg * v[i].mss, &now);
		tcp_cc_on_loss(&cc, tcp_cc_cwnd(&cc), now);
		tcp_cc_on_recovery_end(&cc, now);
		tcp_cc_on_ack(&cc, v[i].mss, 100000, tcp_cc_cwnd(&cc), ++now);
		/* cwnd_epoch = 0.7 W_max (to the byte), so K is RFC 9438's
		 * cbrt(W_max (1 - beta) / C). */
		k = dcbrt((double)(cc.w_max - 7 * (uint64_t)cc.w_max / 10) /
		          v[i].mss / 0.4) *
		    1000;
		cr_assert_leq(dabs(cc.k_ms - k), 1.0, "w_max %u: K %u ms vs %f",
		              v[i].w_max_seg, cc.k_ms, k);
	}
	/* The figure from the brief: W_max = 100 MSS -> K = 4.217 s. */
	cubic_after_loss(&cc, 100, &now);
	tcp_cc_on_ack(&cc, MSS, 100000, tcp_cc_cwnd(&cc), ++now);
	cr_assert_eq(cc.k_ms, 4217);
}

/*
 * Run CUBIC after a loss at W_max = 100 MSS for <n> RTTs of <rtt_us> next
 * to the double model; cwnd must stay within 1 MSS of the model at the end
 * of every RTT.  Fills t[] (s since the epoch) and cw[] (segments).
 */
static void
cubic_run(uint32_t rtt_us, int n, struct ref *r, double *t, double *cw)
{
	struct tcp_cc cc;
	uint64_t now = 1000000;
	double rnow = 1.0, worst = 0;
	int i;

	*r = (struct ref){.cwnd = 70, .w_max = 100, .cwnd_prior = 100};
	cubic_after_loss(&cc, 100, &now);
	now = 1000000;
	for (i = 0; i < n; i++) {
		double e;

		ack_rtt(&cc, &now, rtt_us);
		ref_rtt(r, &rnow, rtt_us / 1e6);
		cr_assert_leq(dabs((double)cc.epoch_start_us / 1e6 - r->epoch),
		              1e-6);
		t[i] = (double)(now - cc.epoch_start_us) / 1e6;
		cw[i] = SEG(tcp_cc_cwnd(&cc));
		e = dabs(cw[i] - r->cwnd);
		worst = e > worst ? e : worst;
		cr_assert_leq(e, 1.0, "rtt %d: cwnd %.3f vs model %.3f", i,
		              cw[i], r->cwnd);
	}
	cr_log_info("rtt %u us: cwnd vs the per-ACK model: worst %.3f MSS",
	            rtt_us, worst);
}

/* cwnd at the last sample at or before <at> seconds. */
static double
cw_at(const double *t, const double *cw, int n, double at)
{
	int i;

	for (i = n - 1; i > 0 && t[i] > at; i--)
		continue;
	return cw[i];
}

/*
 * RTT 250 ms: W_est (0.53 MSS per RTT from 70) stays below W_cubic for
 * these 10 s, so cwnd is the cubic curve itself: within 1.5 MSS of
 * W_cubic(t) throughout (whole-MSS steps, plus the per-ACK rule's own
 * lag of about RTT^2 W''/2), concave, flat at W_max around K, then convex.
 */
Test(tcp_cc, cubic_follows_w_cubic)
{
	enum { N = 40 };
	struct ref r;
	double t[N], cw[N], worst = 0, k;
	double early, at_k, late;
	int i;

	cubic_run(250000, N, &r, t, cw);
	k = r.k;
	cr_assert_leq(dabs(k - 4.217), 0.001);
	for (i = 0; i < N; i++) {
		double w = ref_w(&r, t[i]), e = dabs(cw[i] - w);

		worst = e > worst ? e : worst;
		cr_assert_leq(e, 1.5, "t %.3f: cwnd %.3f vs W_cubic %.3f", t[i],
		              cw[i], w);
		/* The cubic region, not the Reno-friendly one. */
		cr_assert_lt(70 + 0.9 / 1.7 * (i + 1), w);
		/* Plateau: around K, cwnd stays at W_max. */
		if (t[i] > k - 0.5 && t[i] < k + 0.5)
			cr_assert_leq(dabs(cw[i] - 100), 1.0, "t %.3f: %.3f",
			              t[i], cw[i]);
	}
	cr_log_info("cwnd vs W_cubic(t): worst %.3f MSS", worst);
	/* Concave: the first second grows far more than the second before
	 * K; convex: the second from 8 s far more again. */
	early = cw_at(t, cw, N, 1.0) - cw_at(t, cw, N, 0.0);
	at_k = cw_at(t, cw, N, k) - cw_at(t, cw, N, k - 1);
	late = cw_at(t, cw, N, 9.0) - cw_at(t, cw, N, 8.0);
	cr_assert_gt(early, 10, "%f", early);
	cr_assert_lt(at_k, 2, "%f", at_k);
	cr_assert_gt(late, 10, "%f", late);
	cr_assert_gt(cw[N - 1], 150);
}

/*
 * RTT 100 ms: W_est reaches cwnd_prior near t = 5.7 s and then grows one
 * MSS per RTT, faster than the curve near its plateau: cwnd is
 * max(W_cubic(t), W_est) there, and the implementation still matches the
 * model within 1 MSS.
 */
Test(tcp_cc, cubic_w_cubic_then_reno_friendly)
{
	enum { N = 100 };
	struct ref r;
	double t[N], cw[N];
	int i, reno = 0;

	cubic_run(100000, N, &r, t, cw);
	for (i = 0; i < N; i++) {
		double w = ref_w(&r, t[i]);

		if (t[i] < 5.5)
			cr_assert_leq(dabs(cw[i] - w), 1.5, "t %.3f: %.3f %.3f",
			              t[i], cw[i], w);
		if (cw[i] > w + 1)
			reno++;
	}
	cr_assert_gt(reno, 10);
}

Test(tcp_cc, cubic_fast_convergence)
{
	struct tcp_cc cc;
	uint64_t now = 1000000;
	uint32_t w;

	cubic_after_loss(&cc, 100, &now);
	cr_assert_eq(cc.w_last_max, 0);
	/* Grow to about 90 MSS (concave side, below W_max = 100). */
	while (tcp_cc_cwnd(&cc) < 90 * MSS)
		ack_rtt(&cc, &now, 100000);
	w = tcp_cc_cwnd(&cc);
	cr_assert_lt(w, 100 * MSS);
	tcp_cc_on_loss(&cc, w, now);
	/* Loss below the last W_max: W_max = cwnd (1 + beta) / 2. */
	cr_assert_eq(cc.w_last_max, 100 * MSS);
	cr_assert_eq(cc.w_max, (uint64_t)w * 17 / 20);
	cr_assert_eq(cc.ssthresh, (uint64_t)w * 7 / 10);
	cr_assert_eq(tcp_cc_cwnd(&cc), cc.ssthresh);
	cr_assert_eq(cc.cwnd_prior, w);
	tcp_cc_on_recovery_end(&cc, now);
	/* Now grow past that W_max and lose again: no reduction of W_max. */
	while (tcp_cc_cwnd(&cc) <= cc.w_max)
		ack_rtt(&cc, &now, 100000);
	w = tcp_cc_cwnd(&cc);
	tcp_cc_on_loss(&cc, w, now);
	cr_assert_eq(cc.w_max, w);
}

/*
 * Short RTT (1 ms) and a small window: W_est grows by alpha = 9/17 MSS per
 * RTT up to cwnd_prior and by 1 MSS per RTT after, far faster than
 * W_cubic(t), so cwnd = W_est: the Reno-friendly region.
 */
Test(tcp_cc, cubic_reno_friendly_region)
{
	const uint32_t rtt = 1000;
	struct tcp_cc cc;
	struct ref r = {.cwnd = 14, .w_max = 20, .cwnd_prior = 20};
	uint64_t now = 1000000;
	double rnow = 1.0;
	int i;

	cubic_after_loss(&cc, 20, &now);
	now = 1000000;
	for (i = 0; i < 200; i++) {
		uint32_t prev = tcp_cc_cwnd(&cc);
		double t;

		ack_rtt(&cc, &now, rtt);
		ref_rtt(&r, &rnow, rtt / 1e6);
		cr_assert_geq(tcp_cc_cwnd(&cc), cc.w_est);
		/* Past cwnd_prior, alpha = 1: exactly Reno's MSS per RTT. */
		if (i >= 15)
			cr_assert_eq(tcp_cc_cwnd(&cc) - prev, MSS, "rtt %d", i);
		t = (double)(now - cc.epoch_start_us) / 1e6;
		/* W_est is what holds cwnd up: W_cubic(t) lies below. */
		if (i >= 5)
			cr_assert_gt(SEG(cc.w_est), ref_w(&r, t) + 1,
			             "rtt %d: W_est %.3f W_cubic %.3f", i,
			             SEG(cc.w_est), ref_w(&r, t));
		/* The model's floor(cwnd) ACKs per RTT make it a little
		 * slower than 1 MSS per RTT: 2 MSS apart after 200 RTTs. */
		cr_assert_leq(dabs(SEG(tcp_cc_cwnd(&cc)) - r.cwnd), 2.0,
		              "rtt %d: cwnd %.3f vs model %.3f", i,
		              SEG(tcp_cc_cwnd(&cc)), r.cwnd);
		if (i == 10)
			/* ~11 RTTs at 9/17 MSS from 14 reach cwnd_prior 20. */
			cr_assert_leq(tcp_cc_cwnd(&cc), 20 * MSS);
	}
	/* 6 MSS at 9/17 per RTT (11.3 RTTs), then 1 MSS per RTT. */
	cr_assert_geq(tcp_cc_cwnd(&cc), (uint32_t)(20 + 188 - 2) * MSS, "%u",
	              tcp_cc_cwnd(&cc));
	cr_assert_leq(tcp_cc_cwnd(&cc), (uint32_t)(20 + 188 + 2) * MSS, "%u",
	              tcp_cc_cwnd(&cc));
}

Test(tcp_cc, not_cwnd_limited_no_growth)
{
	struct tcp_cc cc;
	uint64_t now = 1;
	uint32_t w;
	int a, i;

	for (a = 0; a < 2; a++) {
		enum tcp_cc_algo algo = a ? TCP_CC_NEWRENO : TCP_CC_CUBIC;

		/* Slow start. */
		tcp_cc_init(&cc, algo, MSS);
		for (i = 0; i < 100; i++)
			tcp_cc_on_ack(&cc, MSS, 1000, 5 * MSS - 1, ++now);
		cr_assert_eq(tcp_cc_cwnd(&cc), 10 * MSS);
		tcp_cc_on_ack(&cc, MSS, 1000, 5 * MSS, ++now);
		cr_assert_eq(tcp_cc_cwnd(&cc), 11 * MSS);
		/* Congestion avoidance. */
		grow_to(&cc, 40 * MSS, &now);
		tcp_cc_on_loss(&cc, 40 * MSS, now);
		tcp_cc_on_recovery_end(&cc, now);
		w = tcp_cc_cwnd(&cc);
		for (i = 0; i < 100000; i++) {
			now += 1000;
			tcp_cc_on_ack(&cc, MSS, 1000, w / 2 - 1, now);
		}
		cr_assert_eq(tcp_cc_cwnd(&cc), w);
	}
}

/* CUBIC: time spent application-limited is not epoch time. */
Test(tcp_cc, cubic_app_limited_time_not_counted)
{
	struct tcp_cc a, b;
	uint64_t now_a = 1000000, now_b;
	int i;

	cubic_after_loss(&a, 100, &now_a);
	b = a;
	now_a = now_b = 1000000;
	for (i = 0; i < 10; i++) {
		ack_rtt(&a, &now_a, 100000);
		ack_rtt(&b, &now_b, 100000);
	}
	cr_assert_eq(tcp_cc_cwnd(&a), tcp_cc_cwnd(&b));
	/* b is application-limited for 10 s (one small ACK every 100 ms). */
	for (i = 0; i < 100; i++) {
		now_b += 100000;
		tcp_cc_on_ack(&b, MSS, 100000, 2 * MSS, now_b);
	}
	for (i = 0; i < 30; i++) {
		ack_rtt(&a, &now_a, 100000);
		ack_rtt(&b, &now_b, 100000);
		cr_assert_leq(dabs(SEG(tcp_cc_cwnd(&a)) - SEG(tcp_cc_cwnd(&b))),
		              2.0, "rtt %d: %u vs %u", i, tcp_cc_cwnd(&a),
		              tcp_cc_cwnd(&b));
	}
}

/* 1 GiB windows and ten-day epochs: no wrap, cwnd stays within bounds. */
Test(tcp_cc, no_overflow_at_extremes)
{
	const uint64_t day_us = 86400ull * 1000000;
	struct tcp_cc cc;
	uint64_t now = 1, t;
	uint32_t prev;
	double k;
	int a;

	for (a = 0; a < 2; a++) {
		tcp_cc_init(&cc, a ? TCP_CC_NEWRENO : TCP_CC_CUBIC, 9000);
		while (tcp_cc_cwnd(&cc) < TCP_CC_CWND_MAX)
			tcp_cc_on_ack(&cc, UINT32_MAX, UINT32_MAX, UINT32_MAX,
			              ++now);
		cr_assert_eq(tcp_cc_cwnd(&cc), TCP_CC_CWND_MAX);
		tcp_cc_on_ack(&cc, UINT32_MAX, UINT32_MAX, UINT32_MAX, ++now);
		cr_assert_eq(tcp_cc_cwnd(&cc), TCP_CC_CWND_MAX);
		tcp_cc_on_loss(&cc, UINT32_MAX, now);
		cr_assert_geq(tcp_cc_cwnd(&cc), TCP_CC_CWND_MAX / 2);
		cr_assert_leq(cc.ssthresh, TCP_CC_CWND_MAX);
		tcp_cc_on_recovery_end(&cc, now);
		/* Ten days of huge stretch ACKs: monotone, capped. */
		for (t = 0; t <= 10 * day_us; t += day_us / 4) {
			prev = tcp_cc_cwnd(&cc);
			tcp_cc_on_ack(&cc, UINT32_MAX, UINT32_MAX, UINT32_MAX,
			              now + t);
			cr_assert_geq(tcp_cc_cwnd(&cc), prev);
			cr_assert_leq(tcp_cc_cwnd(&cc), TCP_CC_CWND_MAX);
		}
		cr_assert_eq(tcp_cc_cwnd(&cc), TCP_CC_CWND_MAX);
		tcp_cc_on_rto(&cc, UINT32_MAX, now);
		cr_assert_eq(tcp_cc_cwnd(&cc), 9000);
		cr_assert_leq(cc.ssthresh, TCP_CC_CWND_MAX);
	}

	/* MSS 1 and W_max = 1 GiB: the largest K, 930.6 s, still exact. */
	tcp_cc_init(&cc, TCP_CC_CUBIC, 1);
	cc.cwnd = TCP_CC_CWND_MAX; /* white box: 2^30 ACKs take too long */
	cc.ssthresh = TCP_CC_CWND_MAX;
	now = 1;
	tcp_cc_on_loss(&cc, TCP_CC_CWND_MAX, now);
	tcp_cc_on_recovery_end(&cc, now);
	tcp_cc_on_ack(&cc, 1, 1000, tcp_cc_cwnd(&cc), ++now);
	k = dcbrt((double)(cc.w_max - (uint64_t)cc.w_max * 7 / 10) / 0.4) *
	    1000;
	cr_assert_leq(dabs(cc.k_ms - k), 1.0, "K %u vs %f", cc.k_ms, k);
	/* Sample the curve from t = 0 to 10 days: cwnd never falls, never
	 * passes the cap, and the model says where it should be. */
	for (t = 1000; t <= 10 * day_us; t *= 2) {
		prev = tcp_cc_cwnd(&cc);
		tcp_cc_on_ack(&cc, UINT32_MAX, 1000, tcp_cc_cwnd(&cc), now + t);
		cr_assert_geq(tcp_cc_cwnd(&cc), prev);
		cr_assert_leq(tcp_cc_cwnd(&cc), TCP_CC_CWND_MAX);
	}
	cr_assert_eq(tcp_cc_cwnd(&cc), TCP_CC_CWND_MAX);
}

Test(tcp_cc, idle_restart)
{
	struct tcp_cc cc;
	uint64_t now = 1;
	uint32_t ss;
	int a;

	for (a = 0; a < 2; a++) {
		tcp_cc_init(&cc, a ? TCP_CC_NEWRENO : TCP_CC_CUBIC, 1460);
		grow_to(&cc, 50 * 1460, &now);
		tcp_cc_on_loss(&cc, 50 * 1460, now);
		tcp_cc_on_recovery_end(&cc, now);
		ack_rtt(&cc, &now, 100000);
		ss = cc.ssthresh;
		/* RW = min(IW, cwnd) = 14600; ssthresh untouched. */
		tcp_cc_on_idle(&cc, now + 5000000);
		cr_assert_eq(tcp_cc_cwnd(&cc), 14600);
		cr_assert_eq(cc.ssthresh, ss);
		cr_assert_eq(cc.in_slow_start, 1);
		cr_assert_eq(cc.epoch_start_us, 0);
		/* A window already below IW stays. */
		tcp_cc_on_rto(&cc, 10 * 1460, now);
		cr_assert_eq(tcp_cc_cwnd(&cc), 1460);
		tcp_cc_on_idle(&cc, now + 10000000);
		cr_assert_eq(tcp_cc_cwnd(&cc), 1460);
	}
	/* CUBIC: after idle, the next CA ACK opens a new epoch then. */
	tcp_cc_init(&cc, TCP_CC_CUBIC, MSS);
	now = 1000000;
	cubic_after_loss(&cc, 100, &now);
	ack_rtt(&cc, &now, 100000);
	tcp_cc_on_idle(&cc, now);
	now += 60000000;
	while (cc.in_slow_start)
		tcp_cc_on_ack(&cc, MSS, 100000, tcp_cc_cwnd(&cc), ++now);
	tcp_cc_on_ack(&cc, MSS, 100000, tcp_cc_cwnd(&cc), ++now);
	cr_assert_eq(cc.epoch_start_us, now);
	cr_assert_eq(cc.w_max, 100 * MSS); /* the curve still aims at W_max */
}

Test(tcp_cc, init_mss_zero_aborts, .signal = SIGABRT)
{
	struct tcp_cc cc;

	tcp_cc_init(&cc, TCP_CC_CUBIC, 0);
}
