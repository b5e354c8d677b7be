/* stats: summaries of round-trip series (see stats.h). */
#include "stats.h"

#include <math.h>

double stats_mos(double rta_ms, double jitter_ms, double loss_pct)
{
	double latency = rta_ms + 2.0 * jitter_ms + 10.0;
	double r, mos;

	if (latency < 160.0)
		r = 93.2 - latency / 40.0;
	else
		r = 93.2 - (latency - 120.0) / 10.0;
	r -= 2.5 * loss_pct;
	if (r < 0.0)
		r = 0.0;
	/* Below R = 6.5 the cubic dips under 1 (and rises again with more
	 * loss): the scale ends at 1. */
	mos = 1.0 + 0.035 * r + 0.000007 * r * (r - 60.0) * (100.0 - r);
	return mos < 1.0 ? 1.0 : mos > 4.5 ? 4.5 : mos;
}

void stats_compute(const double *rtt, size_t n, struct stats *out)
{
	double sum = 0.0, sumsq = 0.0, jsum = 0.0, last = NAN;
	size_t got = 0, steps = 0;

	out->sent = n;
	out->min = out->max = NAN;
	for (size_t i = 0; i < n; i++) {
		double v = rtt[i];

		if (isnan(v))
			continue;
		if (got == 0 || v < out->min)
			out->min = v;
		if (got == 0 || v > out->max)
			out->max = v;
		sum += v;
		sumsq += v * v;
		if (!isnan(last)) {
			jsum += fabs(v - last);
			steps++;
		}
		last = v;
		got++;
	}
	out->received = got;
	out->loss = n ? 100.0 * (double)(n - got) / (double)n : NAN;
	out->jitter = steps ? jsum / (double)steps : NAN;
	if (got == 0) {
		out->avg = out->stddev = out->mos = NAN;
		return;
	}
	out->avg = sum / (double)got;
	/* E[x^2] - E[x]^2 can come out a hair below zero by rounding. */
	out->stddev = sqrt(fmax(0.0, sumsq / (double)got - out->avg * out->avg));
	out->mos = stats_mos(out->avg * 1e3, steps ? out->jitter * 1e3 : 0.0, out->loss);
}
