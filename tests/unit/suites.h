/* One libcheck suite per module of common/. */
#ifndef NETCHECK_TEST_SUITES_H
#define NETCHECK_TEST_SUITES_H

#include <check.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

Suite *range_suite(void);
Suite *result_suite(void);
Suite *output_suite(void);
Suite *opts_suite(void);
Suite *deadline_suite(void);
Suite *fail_suite(void);
Suite *addr_suite(void);
Suite *dnsmsg_suite(void);
Suite *resolve_suite(void);
Suite *mx_suite(void);
Suite *transcript_suite(void);
Suite *tls_suite(void);
Suite *conn_suite(void);
Suite *secret_suite(void);
Suite *icmp_suite(void);
Suite *probe_suite(void);
Suite *stats_suite(void);
Suite *baseline_suite(void);
Suite *smtp_suite(void);
Suite *pop3_suite(void);
Suite *maildate_suite(void);

/* Every test case gets this timeout (seconds, fork mode): far above what
 * the slowest test needs under valgrind on a busy machine (a few seconds),
 * so that it only ever catches a hang. */
#define UNIT_TIMEOUT 60

/* True under CK_FORK=no: make valgrind runs every suite in one process
 * under valgrind, where everything is many times slower. */
static inline bool unit_slow(void)
{
	const char *f = getenv("CK_FORK");

	return f != NULL && strcmp(f, "no") == 0;
}

/* Time in tests (STYLE.md, Tests): what a test waits for and the deadline
 * it tests are 10x or more apart, so that the test holds under valgrind on
 * a busy 2-core machine.
 *
 * UNIT_DEADLINE_MS: the deadline of a test that runs into it on purpose (a
 *   server that never answers).  What such a test gets before the silence
 *   comes at once, a trickle keeps trickling long past it, and nothing
 *   else the test needs takes more than a tenth of it.  Twice as long under
 *   valgrind, so that the slack below stays under one whole deadline.
 * UNIT_SLACK_MS: how long after its deadline such a wait may return: 10x the
 *   scheduling delays of a busy machine (tens of ms), of valgrind (a hundred
 *   or more).  The bugs these tests are there for (a wait that restarts
 *   per read or per address, one that ignores the deadline) overshoot by a
 *   whole deadline or more, which stays above the slack.
 * UNIT_BUDGET_MS: the deadline of a test that is not about time, 10x what
 *   the slowest of them needs (a TLS handshake that loads the system's CA
 *   store: 2 s under valgrind).  A test that checks that a failure is known
 *   at once ("not at the deadline") wants more than half of it left. */
#define UNIT_DEADLINE_MS (unit_slow() ? 2000 : 1000)
#define UNIT_SLACK_MS    (unit_slow() ? 1000 : 300)
#define UNIT_BUDGET_MS   (unit_slow() ? 20000 : 10000)

#endif
