/* deadline: one CLOCK_MONOTONIC deadline per run, and waits bounded by it. */
#ifndef NETCHECK_DEADLINE_H
#define NETCHECK_DEADLINE_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>

#define NS_PER_S  1000000000LL
#define NS_PER_MS 1000000LL
#define NS_PER_US 1000LL

struct deadline {
	int64_t start_ns; /* monotonic time when the run started */
	int64_t end_ns;   /* monotonic time when the run must be finished */
};

/* Monotonic now in nanoseconds (CLOCK_MONOTONIC). */
int64_t mono_now_ns(void);

/* Seconds from the monotonic reading from_ns until now. */
double mono_since_s(int64_t from_ns);

/* Starts the budget now: the deadline is now + timeout_ms. */
void deadline_start(struct deadline *d, int64_t timeout_ms);

/* Nanoseconds left before the deadline, never negative. */
int64_t deadline_left_ns(const struct deadline *d);

/* Milliseconds left, rounded down, never negative. */
int64_t deadline_left_ms(const struct deadline *d);

/* Seconds since deadline_start, as a double (for perfdata). */
double deadline_elapsed_s(const struct deadline *d);

/* True once the deadline has passed. */
bool deadline_expired(const struct deadline *d);

/* poll() that waits at most until min(deadline, now + max_ms); max_ms < 0
 * means "until the deadline".  EINTR is retried with the time that is left.
 * Returns what poll returns: > 0 events, 0 when the wait ran out (check
 * deadline_expired to tell the two limits apart), -1 with errno on error. */
int deadline_poll(const struct deadline *d, struct pollfd *fds, nfds_t nfds,
		  int64_t max_ms);

/* The same with max_ns in nanoseconds, for waits shorter than a
 * millisecond. */
int deadline_poll_ns(const struct deadline *d, struct pollfd *fds, nfds_t nfds, int64_t max_ns);

/* Waits until fd is ready for `events` (POLLIN, POLLOUT), at most until
 * min(deadline, now + max_ms) (max_ms < 0: the deadline).  Returns 1 when
 * ready (also on POLLERR or POLLHUP: the next call says why), 0 when the
 * wait ran out, -1 with errno on error. */
int deadline_wait_fd(const struct deadline *d, int fd, short events, int64_t max_ms);

#endif
