/* One libcheck suite per module of common/. */
#ifndef NETCHECK_TEST_SUITES_H
#define NETCHECK_TEST_SUITES_H

#include <check.h>

Suite *range_suite(void);
Suite *result_suite(void);
Suite *output_suite(void);
Suite *opts_suite(void);
Suite *deadline_suite(void);
Suite *fail_suite(void);
Suite *resolve_suite(void);
Suite *transcript_suite(void);
Suite *tls_suite(void);
Suite *conn_suite(void);
Suite *secret_suite(void);
Suite *smtp_suite(void);
Suite *pop3_suite(void);
Suite *maildate_suite(void);

/* Every test case gets this timeout (seconds, fork mode). */
#define UNIT_TIMEOUT 10

#endif
