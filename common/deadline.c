#include "deadline.h"

#include <errno.h>
#include <time.h>

int64_t mono_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

double mono_since_s(int64_t from_ns)
{
	return (double)(mono_now_ns() - from_ns) / NS_PER_S;
}

void deadline_start(struct deadline *d, int64_t timeout_ms)
{
	d->start_ns = mono_now_ns();
	if (timeout_ms < 0)
		timeout_ms = 0;
	d->end_ns = d->start_ns + timeout_ms * NS_PER_MS;
}

int64_t deadline_left_ns(const struct deadline *d)
{
	int64_t left = d->end_ns - mono_now_ns();

	return left > 0 ? left : 0;
}

int64_t deadline_left_ms(const struct deadline *d)
{
	return deadline_left_ns(d) / NS_PER_MS;
}

double deadline_elapsed_s(const struct deadline *d)
{
	return (double)(mono_now_ns() - d->start_ns) / NS_PER_S;
}

bool deadline_expired(const struct deadline *d)
{
	return mono_now_ns() >= d->end_ns;
}

int deadline_poll(const struct deadline *d, struct pollfd *fds, nfds_t nfds,
		  int64_t max_ms)
{
	return deadline_poll_ns(d, fds, nfds,
				max_ms < 0 || max_ms > INT64_MAX / NS_PER_MS ? -1 : max_ms * NS_PER_MS);
}

int deadline_poll_ns(const struct deadline *d, struct pollfd *fds, nfds_t nfds, int64_t max_ns)
{
	int64_t until = d->end_ns;
	int64_t now = mono_now_ns();

	if (max_ns >= 0 && max_ns < until - now)
		until = now + max_ns;

	for (;;) {
		int64_t left = until - mono_now_ns();
		struct timespec ts;
		int n;

		if (left < 0)
			left = 0;
		ts.tv_sec = (time_t)(left / NS_PER_S);
		ts.tv_nsec = (long)(left % NS_PER_S);
		/* ppoll takes nanoseconds, so the wait ends at the deadline
		 * itself rather than at a millisecond rounded either way. */
		n = ppoll(fds, nfds, &ts, NULL);
		if (n >= 0 || errno != EINTR)
			return n;
	}
}

int deadline_wait_fd(const struct deadline *d, int fd, short events, int64_t max_ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	int n = deadline_poll(d, &p, 1, max_ms);

	return n > 0 ? 1 : n;
}
