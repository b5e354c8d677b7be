/* stats: summaries of round-trip series (min, avg, max, population
 * standard deviation, jitter of consecutive answered probes, loss) and the
 * MOS of check_icmp's E-model shortcut, against values worked out by hand. */
#include <math.h>

#include "stats.h"
#include "suites.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define L NAN        /* a probe without an answer */
#define MS(x) ((x) / 1000.0)

/* Equal within tol, or both NaN. */
static void assert_near(const char *what, const char *name, double got, double want, double tol)
{
	if (isnan(want))
		ck_assert_msg(isnan(got), "%s: %s is %.17g, want NaN", name, what, got);
	else
		ck_assert_msg(!isnan(got) && fabs(got - want) <= tol, "%s: %s is %.17g, want %.17g",
			      name, what, got, want);
}

/* ---- stats_compute -------------------------------------------------------- */

static const struct compute_case {
	const char *name;
	double rtt[20]; /* seconds, in send order; L: lost */
	size_t n;
	size_t received;
	double min, avg, max, stddev, jitter; /* seconds */
	double loss;   /* percent */
	double mos;    /* by hand from stats.h's formula */
} compute_cases[] = {
	{ "empty series", { 0 }, 0, 0, NAN, NAN, NAN, NAN, NAN, NAN, NAN },
	{ "all lost", { L, L, L }, 3, 0, NAN, NAN, NAN, NAN, NAN, 100, NAN },
	/* One answer: no jitter (MOS counts it 0); latency 25 + 10 = 35,
	 * R = 93.2 - 35/40 = 92.325. */
	{ "one reply", { MS(25) }, 1, 1, MS(25), MS(25), MS(25), 0, NAN, 0, 4.391712192203125 },
	/* 75% lost: R = 93.2 - 50/40 - 187.5 < 0, MOS 1. */
	{ "one reply among lost", { L, MS(40), L, L }, 4, 1, MS(40), MS(40), MS(40), 0, NAN, 75,
	  1.0 },
	{ "mixed lost", { MS(10), L, MS(30), L }, 4, 2, MS(10), MS(20), MS(30), MS(10), MS(20), 50,
	  1.0 },
	/* The textbook series: mean 5, population deviation 2; jitter
	 * (2+0+0+1+0+2+2)/7 = 1; latency 5 + 2 + 10 = 17, R = 92.775. */
	{ "known series", { MS(2), MS(4), MS(4), MS(4), MS(5), MS(5), MS(7), MS(9) }, 8, 8, MS(2),
	  MS(5), MS(9), MS(2), MS(1), 0, 4.400908434109375 },
	/* Answered 10, 50, 20, 20: jitter (40+30+0)/3, lost ones skipped,
	 * not counted as zero; deviations -15, 25, -5, -5: stddev 15. */
	{ "jitter skips lost", { MS(10), L, MS(50), MS(20), L, L, MS(20) }, 7, 4, MS(10), MS(25),
	  MS(50), MS(15), MS(70) / 3, 300.0 / 7, 1.0 },
	/* Send order, not sorted: (20+10)/2 = 15, not 10.  Latency 20 + 30 +
	 * 10 = 60, R = 91.7. */
	{ "jitter in send order", { MS(10), MS(30), MS(20) }, 3, 3, MS(10), MS(20), MS(30),
	  0.00816496580927726, MS(15), 0, 4.378390309 },
	{ "lost first", { L, L, MS(100), MS(100) }, 4, 2, MS(100), MS(100), MS(100), 0, 0, 50, 1.0 },
	/* Rounding must not make the variance negative (sqrt: NaN).  Latency
	 * 310 (above 160): R = 93.2 - 19 = 74.2. */
	{ "constant series", { 0.3, 0.3, 0.3, 0.3, 0.3 }, 5, 5, 0.3, 0.3, 0.3, 0, 0, 0,
	  3.787287384 },
	{ "constant tenths", { 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1 }, 7, 7, 0.1, 0.1, 0.1, 0, 0, 0,
	  4.349868437125 },
	/* 1 of 20 lost: 5%; R = 93.2 - 30/40 - 12.5 = 79.95. */
	{ "5% loss", { MS(20), MS(20), MS(20), MS(20), MS(20), MS(20), MS(20), MS(20), MS(20), MS(20),
		       L, MS(20), MS(20), MS(20), MS(20), MS(20), MS(20), MS(20), MS(20), MS(20) },
	  20, 19, MS(20), MS(20), MS(20), 0, 0, 5, 4.022108600875 },
};

START_TEST(test_stats_compute)
{
	const struct compute_case *c = &compute_cases[_i];
	struct stats st;

	memset(&st, 0x5a, sizeof(st)); /* every field must be written */
	stats_compute(c->rtt, c->n, &st);
	ck_assert_msg(st.sent == c->n, "%s: sent %zu", c->name, st.sent);
	ck_assert_msg(st.received == c->received, "%s: received %zu", c->name, st.received);
	assert_near("min", c->name, st.min, c->min, 1e-12);
	assert_near("avg", c->name, st.avg, c->avg, 1e-12);
	assert_near("max", c->name, st.max, c->max, 1e-12);
	/* E[x^2] - E[x]^2 leaves a few ns of rounding on a constant series
	 * (0.1 s x 7: 1.3 ns); 0.1 us is far below what is printed. */
	assert_near("stddev", c->name, st.stddev, c->stddev, 1e-7);
	assert_near("jitter", c->name, st.jitter, c->jitter, 1e-12);
	assert_near("loss", c->name, st.loss, c->loss, 1e-9);
	assert_near("mos", c->name, st.mos, c->mos, 1e-9);
}
END_TEST

/* ---- stats_mos ------------------------------------------------------------ */

/* latency = rta + 2 jitter + 10; R = 93.2 - latency/40 below 160 ms, else
 * 93.2 - (latency - 120)/10; minus 2.5 per percent lost, at least 0;
 * MOS = 1 + 0.035 R + 7e-6 R (R - 60) (100 - R). */
static const struct mos_case {
	double rta, jitter, loss; /* ms, ms, percent */
	double want;
} mos_cases[] = {
	/* latency 10: R = 92.95; 1 + 3.25325 + 7e-6 * 92.95 * 32.95 * 7.05 */
	{ 0, 0, 0, 4.404394368375 },
	/* latency 130 (< 160): R = 93.2 - 3.25 = 89.95 */
	{ 100, 10, 0, 4.337773075875 },
	/* latency 110: R = 93.2 - 2.75 = 90.45 */
	{ 100, 0, 0, 4.349868437125 },
	/* latency 160, both branches agree: R = 89.2 */
	{ 150, 0, 0, 4.318910784 },
	/* latency 210 (> 160): R = 93.2 - 9 = 84.2, not 93.2 - 5.25 */
	{ 200, 0, 0, 4.172362984 },
	/* latency 170 through jitter: R = 93.2 - 5 = 88.2 */
	{ 100, 30, 0, 4.292446024 },
	/* latency 40: R = 92.2 - 25 = 67.2 */
	{ 20, 5, 10, 3.463089664 },
	/* R = 93.2 - 0.75 - 100 < 0: clamped at 0, MOS 1 */
	{ 20, 0, 40, 1.0 },
	{ 0, 0, 100, 1.0 },
	/* latency 2010: R = 93.2 - 189 < 0 */
	{ 2000, 0, 0, 1.0 },
};

START_TEST(test_stats_mos)
{
	const struct mos_case *c = &mos_cases[_i];
	double got = stats_mos(c->rta, c->jitter, c->loss);

	ck_assert_msg(fabs(got - c->want) <= 1e-9, "stats_mos(%g, %g, %g) = %.12f, want %.12f",
		      c->rta, c->jitter, c->loss, got, c->want);
}
END_TEST

/* More delay, jitter or loss never raises the score (while R stays above
 * 6.5; below, see test_stats_mos_at_least_1). */
START_TEST(test_stats_mos_monotonic)
{
	double last = stats_mos(0, 0, 0);

	for (double rta = 1; rta <= 600; rta += 1) {
		double m = stats_mos(rta, 0, 0);

		ck_assert_msg(m <= last + 1e-12, "MOS rises at %g ms: %g > %g", rta, m, last);
		last = m;
	}
	/* R = 93.2 - 40/40 - 2.5 loss >= 6.5 up to 34% */
	for (double loss = 0.5; loss <= 34; loss += 0.5)
		ck_assert_msg(stats_mos(20, 5, loss) < stats_mos(20, 5, loss - 0.5),
			      "MOS does not fall from %g%% to %g%% loss", loss - 0.5, loss);
	ck_assert(stats_mos(20, 10, 0) < stats_mos(20, 0, 0));
}
END_TEST

/* The MOS is 1 to 4.5 as struct stats says: for 0 < R < 6.5 the cubic
 * alone gives less than 1 (its slope at R = 0 is 0.035 - 0.042 < 0).  A
 * series averaging 1 s: latency 1010, R = 4.2, the cubic 0.9898; held at
 * 1 (G.107: MOS 1 at the bottom of the scale). */
START_TEST(test_stats_mos_at_least_1)
{
	static const double rtt[] = { 1.0, 1.0, 1.0 };
	struct stats st;

	stats_compute(rtt, N(rtt), &st);
	ck_assert_msg(st.mos >= 1.0 && st.mos <= 4.5, "MOS %.6f for a 1 s round trip, not in 1..4.5",
		      st.mos);
	for (double rta = 0; rta <= 3000; rta += 5) {
		double m = stats_mos(rta, 0, 0);

		ck_assert_msg(m >= 1.0 && m <= 4.5, "stats_mos(%g, 0, 0) = %.6f, not in 1..4.5",
			      rta, m);
	}
	/* and so more loss raises the score again near the bottom */
	for (double loss = 0.5; loss <= 100; loss += 0.5)
		ck_assert_msg(stats_mos(20, 5, loss) <= stats_mos(20, 5, loss - 0.5),
			      "MOS rises from %g%% to %g%% loss", loss - 0.5, loss);
}
END_TEST

Suite *stats_suite(void)
{
	Suite *s = suite_create("stats");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, UNIT_TIMEOUT);
	tcase_add_loop_test(tc, test_stats_compute, 0, N(compute_cases));
	tcase_add_loop_test(tc, test_stats_mos, 0, N(mos_cases));
	tcase_add_test(tc, test_stats_mos_monotonic);
	tcase_add_test(tc, test_stats_mos_at_least_1);
	suite_add_tcase(s, tc);
	return s;
}
