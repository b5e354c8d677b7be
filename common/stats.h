/* stats: what a series of probes to one target measured: round-trip
 * minimum, average, maximum, standard deviation and jitter, loss, and the
 * MOS of the E-model shortcut that check_icmp uses.  Pure arithmetic. */
#ifndef NETCHECK_STATS_H
#define NETCHECK_STATS_H

#include <stddef.h>

struct stats {
	size_t sent;     /* probes counted */
	size_t received; /* probes answered */
	double min, avg, max; /* round trip, seconds; NaN without an answer */
	double stddev;   /* population standard deviation (ping's mdev),
			  * seconds; NaN without an answer */
	double jitter;   /* mean absolute difference between the round trips
			  * of consecutive answered probes, seconds; NaN with
			  * fewer than two answers */
	double loss;     /* percent of the probes sent without an answer
			  * (0-100); NaN when none was sent */
	double mos;      /* mean opinion score, 1 to 4.5; NaN without an
			  * answer */
};

/* Summarises n round trips in seconds, in the order the probes were sent;
 * NaN stands for a probe that got no answer. */
void stats_compute(const double *rtt, size_t n, struct stats *out);

/* MOS from the average round trip and jitter (milliseconds) and loss
 * (percent): effective latency rta + 2 jitter + 10, R = 93.2 - latency/40
 * (below 160 ms; above, 93.2 - (latency - 120)/10), minus 2.5 per percent
 * lost, at least 0; MOS = 1 + 0.035 R + 7e-6 R (R - 60) (100 - R), held
 * between 1 and 4.5. */
double stats_mos(double rta_ms, double jitter_ms, double loss_pct);

#endif
