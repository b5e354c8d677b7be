/* Runs every unit suite; prints Check's summary and exits non-zero on any
 * failure.  CK_FORK=no runs in one process (for valgrind). */
#include <stdlib.h>

#include "suites.h"

int main(void)
{
	SRunner *sr = srunner_create(range_suite());
	int failed;

	srunner_add_suite(sr, result_suite());
	srunner_add_suite(sr, output_suite());
	srunner_add_suite(sr, opts_suite());
	srunner_add_suite(sr, deadline_suite());
	srunner_add_suite(sr, fail_suite());
	srunner_add_suite(sr, addr_suite());
	srunner_add_suite(sr, dnsmsg_suite());
	srunner_add_suite(sr, resolve_suite());
	srunner_add_suite(sr, mx_suite());
	srunner_add_suite(sr, transcript_suite());
	srunner_add_suite(sr, tls_suite());
	srunner_add_suite(sr, conn_suite());
	srunner_add_suite(sr, secret_suite());
	srunner_add_suite(sr, icmp_suite());
	srunner_add_suite(sr, probe_suite());
	srunner_add_suite(sr, stats_suite());
	srunner_add_suite(sr, baseline_suite());
	srunner_add_suite(sr, smtp_suite());
	srunner_add_suite(sr, pop3_suite());
	srunner_add_suite(sr, maildate_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
