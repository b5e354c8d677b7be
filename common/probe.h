/* probe: one scheduler for many outstanding probes.
 *
 * A run has ntargets targets and sends each `count` probes.  Probe k of
 * target t has the index t * count + k.  The scheduler decides when each
 * probe goes out: a target's probes at least `interval` apart, probes to
 * different targets at least `gap` apart, any two at least `spacing`
 * apart, earliest due first; it waits for
 * each answer up to `wait`, in one poll over the caller's sockets and the
 * resolver's, and never past the deadline.  What a probe is and how it is
 * sent and read is the caller's (callbacks); the scheduler keeps the times. */
#ifndef NETCHECK_PROBE_H
#define NETCHECK_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "deadline.h"
#include "resolve.h"

#define PROBE_MAX_FDS 8 /* caller's sockets */

enum probe_state {
	PROBE_UNSENT,   /* not sent (yet, or the deadline came first) */
	PROBE_WAITING,  /* sent, waiting for its answer */
	PROBE_ANSWERED, /* answered; rtt_ns holds the round trip */
	PROBE_LOST,     /* no answer within its wait */
	PROBE_FAILED,   /* could not be sent, or an error came back */
	PROBE_CUT,      /* sent, but the deadline came before its wait ended */
	PROBE_CANCELLED, /* sent, but its target was cancelled before an
			  * answer came (probe_cancel) */
};

struct probe_slot {
	int64_t sent_ns;  /* CLOCK_MONOTONIC when it went out */
	uint32_t rtt_us;  /* PROBE_ANSWERED: the round trip */
	uint8_t state;    /* enum probe_state */
	uint8_t dups;     /* answers after the first (saturates at 255) */
};

/* What happened to a target as a whole. */
struct probe_target {
	unsigned sent;       /* probes sent, or tried (PROBE_ERROR) */
	unsigned dups;       /* duplicate answers */
	unsigned reordered;  /* answers that came after a later probe's */
	uint32_t highest;    /* highest probe number answered, + 1 (0: none) */
	unsigned ended;      /* probes that ended: answered, lost or failed */
};

/* Return values of the send callback. */
enum probe_send {
	PROBE_SENT,   /* out; the wait starts */
	PROBE_AGAIN,  /* the socket is full: try again shortly */
	PROBE_ERROR,  /* not sent, for good (the callee recorded why) */
};

struct probe_params {
	const struct deadline *deadline; /* nothing waits past it */
	size_t ntargets;
	unsigned count;          /* probes per target, >= 1 */
	int64_t interval_ns;     /* between two probes to one target */
	int64_t gap_ns;          /* between two probes to different targets
				  * (0: none) */
	int64_t spacing_ns;      /* between any two probes of the run: a rate
				  * cap (0: none) */
	int64_t wait_ns;         /* how long a probe waits for its answer */
	struct resolver *resolver; /* served in the same poll while it has
				    * lookups pending; NULL: none */
	void *ctx;               /* for the callbacks */
	/* Sends probe k of target t (index = t * count + k). */
	enum probe_send (*send)(void *ctx, size_t t, unsigned k, uint32_t index);
	/* fd is readable (or has POLLERR): read what is there and call
	 * probe_answer / probe_error. */
	void (*readable)(void *ctx, int fd, short revents);
	/* Optional: every probe of target t has ended (answered, lost or
	 * failed; not at the deadline, not after probe_cancel).  It may start,
	 * skip or cancel targets. */
	void (*done)(void *ctx, size_t t);
	/* Optional: how long probe `index` waits for its answer, asked again
	 * each time the loop looks, so it may shrink as answers come in (at
	 * most wait_ns, which also bounds the round trip an answer may have).
	 * NULL: wait_ns for every probe. */
	int64_t (*wait_of)(void *ctx, uint32_t index);
};

struct probe_run;

/* A new run; NULL when out of memory or the parameters are out of range
 * (count 0, more than UINT32_MAX probes).  Targets start unscheduled. */
struct probe_run *probe_new(const struct probe_params *p);
void probe_free(struct probe_run *r);

/* Adds a socket to the poll set (at most PROBE_MAX_FDS).  Returns 0 or -1. */
int probe_watch(struct probe_run *r, int fd);

/* Target t is ready (its address is known): its first probe is due now. */
void probe_start(struct probe_run *r, size_t t);

/* Target t will not be probed (its name did not resolve). */
void probe_skip(struct probe_run *r, size_t t);

/* Target t ends now: probes not sent yet are not sent, those waiting end
 * as PROBE_CANCELLED, and done is not called for it.  A target not started
 * yet is skipped.  For probes the caller no longer needs (hops beyond the
 * destination). */
void probe_cancel(struct probe_run *r, size_t t);

/* Runs until every target is started or skipped and every probe has ended,
 * or the deadline passes.  Returns true when everything ended in time. */
bool probe_run(struct probe_run *r);

/* For the readable callback: an answer to probe `index` received at rx_ns
 * (CLOCK_MONOTONIC).  Returns 1 for the first answer, 2 for a duplicate,
 * 0 when index is no probe of this run or was not waiting (too late, or
 * never sent). */
int probe_answer(struct probe_run *r, uint32_t index, int64_t rx_ns);

/* An error came back for probe `index`: it ends without an answer.
 * Returns 1 when it was waiting, else 0. */
int probe_error(struct probe_run *r, uint32_t index);

/* The slots of target t (count of them), and its totals. */
const struct probe_slot *probe_slots(const struct probe_run *r, size_t t);
const struct probe_target *probe_target_info(const struct probe_run *r, size_t t);

/* When the run sent its first and last probe and when probe_run ended
 * (CLOCK_MONOTONIC; 0: not yet), for -vvv. */
struct probe_times {
	int64_t first_send_ns, last_send_ns, end_ns;
};
const struct probe_times *probe_times(const struct probe_run *r);

/* The slot of a probe index (NULL when out of range). */
const struct probe_slot *probe_slot_at(const struct probe_run *r, uint32_t index);

/* Time the whole schedule of p needs at least, from the first probe to
 * the end of the last wait: (count - 1) * interval, or (ntargets * count -
 * 1) times the gap or spacing when that is what limits, plus wait.  For
 * refusing options that cannot fit in -t. */
int64_t probe_schedule_ns(const struct probe_params *p);

#endif
