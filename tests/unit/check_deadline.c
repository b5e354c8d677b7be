/* deadline: monotonic budget, and a poll that never waits past it. */
#include <signal.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "deadline.h"
#include "suites.h"

#define MS 1000000LL
#define SLACK (UNIT_SLACK_MS * MS) /* how late a wait may end */
#define EINTR_DEADLINE_MS 150      /* test_poll_retries_eintr */

START_TEST(test_left_and_expired)
{
	struct deadline d;

	/* Nothing waits here: the deadline is far from the next lines. */
	deadline_start(&d, UNIT_DEADLINE_MS);
	ck_assert(!deadline_expired(&d));
	ck_assert_int_le(deadline_left_ms(&d), UNIT_DEADLINE_MS);
	ck_assert_int_gt(deadline_left_ms(&d), UNIT_DEADLINE_MS / 2);
	ck_assert(deadline_elapsed_s(&d) >= 0);

	deadline_start(&d, 0);
	ck_assert(deadline_expired(&d));
	ck_assert_int_eq(deadline_left_ns(&d), 0);
	ck_assert_int_eq(deadline_left_ms(&d), 0);

	deadline_start(&d, -5);
	ck_assert(deadline_expired(&d));
	ck_assert_int_eq(deadline_left_ms(&d), 0);
}
END_TEST

/* Waiting on a pipe nobody writes to ends at the deadline: never before it,
 * and not long after it. */
START_TEST(test_poll_stops_at_deadline)
{
	static const int64_t budgets_ms[] = { 0, 1, 30, 120 };
	int fds[2];

	ck_assert_int_eq(pipe(fds), 0);
	for (size_t i = 0; i < sizeof(budgets_ms) / sizeof(budgets_ms[0]); i++) {
		struct deadline d;
		struct pollfd p = { .fd = fds[0], .events = POLLIN };
		int64_t t0;

		deadline_start(&d, budgets_ms[i]);
		t0 = d.start_ns;
		ck_assert_int_eq(deadline_poll(&d, &p, 1, -1), 0);
		ck_assert(deadline_expired(&d));
		ck_assert_int_ge(mono_now_ns() - t0, budgets_ms[i] * MS);
		ck_assert_int_lt(mono_now_ns() - t0, budgets_ms[i] * MS + SLACK);
	}
	close(fds[0]);
	close(fds[1]);
}
END_TEST

/* max_ms caps one wait below the deadline; the deadline caps max_ms. */
START_TEST(test_poll_max_ms)
{
	struct deadline d;
	struct pollfd p;
	int fds[2];
	int64_t t0;

	ck_assert_int_eq(pipe(fds), 0);
	p = (struct pollfd){ .fd = fds[0], .events = POLLIN };

	deadline_start(&d, UNIT_BUDGET_MS);
	t0 = mono_now_ns();
	ck_assert_int_eq(deadline_poll(&d, &p, 1, 20), 0);
	ck_assert(!deadline_expired(&d));
	ck_assert_int_ge(mono_now_ns() - t0, 20 * MS);
	ck_assert_int_lt(mono_now_ns() - t0, 20 * MS + SLACK);

	deadline_start(&d, 30);
	t0 = mono_now_ns();
	ck_assert_int_eq(deadline_poll(&d, &p, 1, 60000), 0);
	ck_assert(deadline_expired(&d));
	ck_assert_int_lt(mono_now_ns() - t0, 30 * MS + SLACK);
	close(fds[0]);
	close(fds[1]);
}
END_TEST

START_TEST(test_poll_ready_returns_at_once)
{
	struct deadline d;
	struct pollfd p;
	int fds[2];

	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_eq(write(fds[1], "x", 1), 1);
	p = (struct pollfd){ .fd = fds[0], .events = POLLIN };
	deadline_start(&d, UNIT_BUDGET_MS);
	ck_assert_int_eq(deadline_poll(&d, &p, 1, -1), 1);
	ck_assert(p.revents & POLLIN);
	ck_assert_int_gt(deadline_left_ms(&d), UNIT_BUDGET_MS / 2);
	close(fds[0]);
	close(fds[1]);
}
END_TEST

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

/* Signals that interrupt the wait (EINTR) neither end it early nor make it
 * start over with the whole budget.  They come every 10 ms, 15 before the
 * deadline: a wait that started over at each would never end. */
START_TEST(test_poll_retries_eintr)
{
	struct sigaction sa, old;
	struct itimerval every_10ms = { { 0, 10000 }, { 0, 10000 } }, off = { { 0, 0 }, { 0, 0 } };
	struct deadline d;
	struct pollfd p;
	int fds[2];
	int64_t t0;

	ck_assert_int_eq(pipe(fds), 0);
	p = (struct pollfd){ .fd = fds[0], .events = POLLIN };
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm; /* no SA_RESTART: poll gets EINTR */
	sigemptyset(&sa.sa_mask);
	ck_assert_int_eq(sigaction(SIGALRM, &sa, &old), 0);
	alarms = 0;
	ck_assert_int_eq(setitimer(ITIMER_REAL, &every_10ms, NULL), 0);

	deadline_start(&d, EINTR_DEADLINE_MS);
	t0 = d.start_ns;
	ck_assert_int_eq(deadline_poll(&d, &p, 1, -1), 0);
	setitimer(ITIMER_REAL, &off, NULL);
	sigaction(SIGALRM, &old, NULL);

	ck_assert_int_gt(alarms, 2);
	ck_assert_int_ge(mono_now_ns() - t0, EINTR_DEADLINE_MS * MS);
	ck_assert_int_lt(mono_now_ns() - t0, EINTR_DEADLINE_MS * MS + SLACK);
	close(fds[0]);
	close(fds[1]);
}
END_TEST

Suite *deadline_suite(void)
{
	Suite *s = suite_create("deadline");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, UNIT_TIMEOUT);
	tcase_add_test(tc, test_left_and_expired);
	tcase_add_test(tc, test_poll_stops_at_deadline);
	tcase_add_test(tc, test_poll_max_ms);
	tcase_add_test(tc, test_poll_ready_returns_at_once);
	tcase_add_test(tc, test_poll_retries_eintr);
	suite_add_tcase(s, tc);
	return s;
}
