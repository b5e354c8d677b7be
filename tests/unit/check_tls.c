/* tls: handshakes against servers inside the test (loopback, certificates
 * made by the test), verification failures, certificate facts, expiry
 * thresholds. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "testserver.h"
#include "tls.h"
#include "suites.h"

#define MS 1000000LL
#define BUDGET_MS UNIT_BUDGET_MS /* for tests that are not about time */
/* The "reset" server waits this long before its RST: 10x what the client
 * needs (under valgrind) to send its ClientHello, so the RST comes in the
 * middle of the handshake. */
#define RESET_AFTER_MS 500

/* A connected, non-blocking TCP socket to the server. */
static int tcp_to(const struct testserver *ts)
{
	const struct addr_list *a = ts_addrs(ts);
	int fd = socket(a->addr[0].ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_msg(connect(fd, (const struct sockaddr *)&a->addr[0], a->len[0]) == 0,
		      "connect: %s", strerror(errno));
	ck_assert_int_eq(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK), 0);
	return fd;
}

static void certs_setup(void)
{
	ts_certs_make();
}

static void certs_teardown(void)
{
	ts_certs_remove();
}

/* ---- good handshakes ---------------------------------------------------- */

static const struct good_case {
	int family;
	const char *host;  /* verified name or address; NULL: chain only */
	int tls12;         /* server offers at most TLS 1.2 */
	const char *version;
} good_cases[] = {
	{ AF_INET, "localhost", 0, "TLSv1.3" },
	{ AF_INET, "LocalHost", 0, "TLSv1.3" },
	{ AF_INET, "127.0.0.1", 0, "TLSv1.3" },
	{ AF_INET, NULL, 0, "TLSv1.3" },
	{ AF_INET, "localhost", 1, "TLSv1.2" },
	{ AF_INET6, "::1", 0, "TLSv1.3" },
	{ AF_INET6, "localhost", 0, "TLSv1.3" },
};

START_TEST(test_good_handshake)
{
	const struct good_case *c = &good_cases[_i];
	const struct ts_step steps[] = {
		{ TS_OP_TLS, ts_certs.good, 0, c->tls12 ? 12 : 0, 0 },
		TS_READLINE,
		TS_SEND("PONG\r\n"),
		TS_END,
	};
	struct tls_params tp = { .host = c->host, .ca_file = ts_certs.ca };
	struct testserver *ts = ts_start(c->family, steps);
	struct tls_info info;
	struct fail f = { 0 };
	struct deadline d;
	struct tls *t;
	char buf[64];
	long n;
	int fd;

	if (ts == NULL) {
		fprintf(stderr, "tls: no IPv6 loopback here, case %d skipped\n", _i);
		return;
	}
	fd = tcp_to(ts);
	deadline_start(&d, BUDGET_MS);
	t = tls_handshake(fd, &tp, &d, &info, &f);
	ck_assert_msg(t != NULL, "case %d: %s", _i, f.text);
	ck_assert_str_eq(info.version, c->version);
	ck_assert(info.cipher[0] != '\0');
	ck_assert_str_eq(info.subject, "CN=localhost");
	ck_assert_str_eq(info.issuer, "CN=netcheck test CA");
	ck_assert_str_eq(info.sans, "DNS:localhost, IP:127.0.0.1, IP:::1");
	ck_assert(info.has_cert);
	ck_assert_msg(info.verified, "case %d: %s", _i, info.verify_error);
	ck_assert_str_eq(info.verify_error, "");
	ck_assert_int_eq((long)(info.not_after - info.not_before), 91L * 86400);
	ck_assert_msg(info.days_left > 89.9 && info.days_left <= 90.0, "days_left %f",
		      info.days_left);

	ck_assert_int_eq(tls_write(t, "PING\r\n", 6, &d, &f), 0);
	n = tls_read(t, buf, sizeof(buf) - 1, &d, &f);
	ck_assert_int_eq(n, 6);
	buf[n] = '\0';
	ck_assert_str_eq(buf, "PONG\r\n");
	ck_assert(!tls_pending(t));
	ck_assert_str_eq(ts_received(ts, 1), "PING\r\n");
	tls_free(t);
	close(fd);
	ts_stop(ts);
}
END_TEST

/* ---- verification failures ---------------------------------------------- */

enum which_cert { GOOD, EXPIRED, WRONG, SOON };

static const char *cert_file(enum which_cert w)
{
	switch (w) {
	case EXPIRED: return ts_certs.expired;
	case WRONG: return ts_certs.wrong;
	case SOON: return ts_certs.soon;
	default: return ts_certs.good;
	}
}

static const struct bad_case {
	enum which_cert cert;
	const char *host;
	bool system_store; /* no ca_file: our CA is not in the system store */
	const char *reason;
	const char *subject;
} bad_cases[] = {
	{ EXPIRED, "localhost", false, "certificate has expired", "CN=localhost" },
	{ WRONG, "localhost", false, "hostname mismatch", "CN=wrong.example.test" },
	{ GOOD, "mail.example.test", false, "hostname mismatch", "CN=localhost" },
	{ GOOD, "127.0.0.2", false, "IP address mismatch", "CN=localhost" },
	{ GOOD, "localhost", true, "unable to get local issuer certificate", "CN=localhost" },
};

/* Every bad case twice: _i even strict (a failure), odd insecure (passes,
 * and says why it would not have). */
START_TEST(test_verify_failure)
{
	const struct bad_case *c = &bad_cases[_i / 2];
	bool insecure = _i % 2 == 1;
	const struct ts_step steps[] = { TS_TLS(cert_file(c->cert)), TS_HANG, TS_END };
	struct tls_params tp = { .host = c->host,
				 .ca_file = c->system_store ? NULL : ts_certs.ca,
				 .insecure = insecure };
	struct testserver *ts = ts_start(AF_INET, steps);
	struct tls_info info;
	struct fail f = { 0 };
	struct deadline d;
	struct tls *t;
	int fd = tcp_to(ts);

	deadline_start(&d, BUDGET_MS);
	t = tls_handshake(fd, &tp, &d, &info, &f);
	/* The facts are there either way. */
	ck_assert(info.has_cert);
	ck_assert(!info.verified);
	ck_assert_str_eq(info.verify_error, c->reason);
	ck_assert_str_eq(info.subject, c->subject);
	if (c->cert == WRONG) /* a long name comes out whole */
		ck_assert_str_eq(info.sans, "DNS:wrong.example.test, DNS:" TS_LONG_NAME);
	if (insecure) {
		ck_assert_msg(t != NULL, "case %d: %s", _i, f.text);
		ck_assert_int_eq(f.cls, FAIL_NONE);
	} else {
		ck_assert_ptr_null(t);
		ck_assert_int_eq(f.cls, FAIL_TLS);
		ck_assert_msg(strstr(f.text, "certificate verification failed") != NULL &&
			      strstr(f.text, c->reason) != NULL &&
			      strstr(f.text, c->subject) != NULL, "got: %s", f.text);
	}
	tls_free(t);
	close(fd);
	ts_stop(ts);
}
END_TEST

START_TEST(test_expired_facts)
{
	const struct ts_step steps[] = { TS_TLS(ts_certs.expired), TS_HANG, TS_END };
	struct tls_params tp = { .host = "localhost", .ca_file = ts_certs.ca, .insecure = true };
	struct testserver *ts = ts_start(AF_INET, steps);
	struct tls_info info;
	struct fail f = { 0 };
	struct deadline d;
	struct tls *t;
	char text[256];
	int fd = tcp_to(ts);

	deadline_start(&d, BUDGET_MS);
	t = tls_handshake(fd, &tp, &d, &info, &f);
	ck_assert_ptr_nonnull(t);
	ck_assert_msg(info.days_left < -0.9 && info.days_left > -1.1, "%f", info.days_left);
	ck_assert_int_eq(tls_expiry_state(&info, 30, 7, text, sizeof(text)), STATE_CRITICAL);
	ck_assert_msg(strstr(text, "certificate CN=localhost expired ") == text, "%s", text);
	ck_assert_msg(strstr(text, "(1.0 days ago)") != NULL, "%s", text);
	tls_free(t);
	close(fd);
	ts_stop(ts);
}
END_TEST

START_TEST(test_expiring_soon)
{
	const struct ts_step steps[] = { TS_TLS(ts_certs.soon), TS_HANG, TS_END };
	struct tls_params tp = { .host = "localhost", .ca_file = ts_certs.ca };
	struct testserver *ts = ts_start(AF_INET, steps);
	struct tls_info info;
	struct fail f = { 0 };
	struct deadline d;
	struct tls *t;
	char text[256], date[16];
	struct tm tm;
	int fd = tcp_to(ts);

	deadline_start(&d, BUDGET_MS);
	t = tls_handshake(fd, &tp, &d, &info, &f);
	ck_assert_msg(t != NULL, "%s", f.text);
	ck_assert(info.verified);
	ck_assert_msg(info.days_left > 4.9 && info.days_left <= 5.0, "%f", info.days_left);
	gmtime_r(&info.not_after, &tm);
	strftime(date, sizeof(date), "%Y-%m-%d", &tm);
	ck_assert_int_eq(tls_expiry_state(&info, 30, 7, text, sizeof(text)), STATE_CRITICAL);
	ck_assert_msg(strstr(text, "CN=localhost") != NULL && strstr(text, date) != NULL &&
		      (strstr(text, "(5.0 days)") != NULL || strstr(text, "(4.9 days)") != NULL),
		      "%s", text);
	ck_assert_int_eq(tls_expiry_state(&info, 30, 3, text, sizeof(text)), STATE_WARNING);
	ck_assert_int_eq(tls_expiry_state(&info, 4, 3, text, sizeof(text)), STATE_OK);
	tls_free(t);
	close(fd);
	ts_stop(ts);
}
END_TEST

/* ---- failed and stalled handshakes --------------------------------------- */

static const struct broken_case {
	const char *what;
	struct ts_step steps[3];
	enum fail_class cls;
	const char *text;
} broken_cases[] = {
	{ "plaintext", { TS_SEND("220 mail.example.test ESMTP\r\n"), TS_HANG, TS_END },
	  FAIL_TLS, "TLS handshake failed: " },
	{ "close", { TS_CLOSE, TS_HANG, TS_END }, FAIL_TLS,
	  "TLS handshake failed: the server closed the connection" },
	{ "reset", { TS_SLEEP(RESET_AFTER_MS), TS_RESET, TS_END }, FAIL_TLS,
	  "TLS handshake failed: " },
};

START_TEST(test_handshake_broken)
{
	const struct broken_case *c = &broken_cases[_i];
	struct tls_params tp = { .host = "localhost", .ca_file = ts_certs.ca };
	struct testserver *ts = ts_start(AF_INET, c->steps);
	struct tls_info info;
	struct fail f = { 0 };
	struct deadline d;
	struct tls *t;
	int fd = tcp_to(ts);

	deadline_start(&d, BUDGET_MS);
	t = tls_handshake(fd, &tp, &d, &info, &f);
	ck_assert_ptr_null(t);
	ck_assert_msg(f.cls == c->cls && strstr(f.text, c->text) == f.text, "%s: %s (%d)",
		      c->what, f.text, f.cls);
	ck_assert(!info.has_cert);
	/* Failed at once, not at the deadline. */
	ck_assert_int_gt(deadline_left_ms(&d), BUDGET_MS / 2);
	close(fd);
	ts_stop(ts);
}
END_TEST

/* A server that accepts and never answers the ClientHello: the handshake
 * gives up at the deadline, not before, and not much after. */
START_TEST(test_handshake_deadline)
{
	const struct ts_step steps[] = { TS_HANG, TS_END };
	struct tls_params tp = { .host = "localhost", .ca_file = ts_certs.ca };
	struct testserver *ts = ts_start(AF_INET, steps);
	int64_t slack = UNIT_SLACK_MS * MS, now;
	struct tls_info info;
	struct fail f = { 0 };
	struct deadline d;
	struct tls *t;
	int fd = tcp_to(ts);

	deadline_start(&d, UNIT_DEADLINE_MS);
	t = tls_handshake(fd, &tp, &d, &info, &f);
	now = mono_now_ns();
	ck_assert_ptr_null(t);
	ck_assert_int_eq(f.cls, FAIL_TIMEOUT);
	ck_assert_str_eq(f.text, "timed out in the TLS handshake");
	ck_assert_int_ge(now, d.end_ns);
	ck_assert_msg(now - d.end_ns <= slack, "%lld ms late",
		      (long long)((now - d.end_ns) / MS));
	close(fd);
	ts_stop(ts);
}
END_TEST

START_TEST(test_bad_ca_file)
{
	struct tls_params tp = { .host = "localhost", .ca_file = "/nonexistent/ca.pem" };
	struct tls_info info;
	struct fail f = { 0 };
	struct deadline d;
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	deadline_start(&d, BUDGET_MS);
	ck_assert_ptr_null(tls_handshake(sv[0], &tp, &d, &info, &f));
	ck_assert_int_eq(f.cls, FAIL_INTERNAL);
	ck_assert_msg(strstr(f.text, "cannot read CA file '/nonexistent/ca.pem'") == f.text,
		      "%s", f.text);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/* ---- expiry thresholds -------------------------------------------------- */

static const struct expiry_case {
	double days_left, warn, crit;
	enum state want;
	const char *tail; /* what the sentence ends with */
} expiry_cases[] = {
	{ 40, 30, 7, STATE_OK, "expires 2026-12-01 00:00 UTC (40.0 days)" },
	{ 30, 30, 7, STATE_OK, "expires 2026-12-01 00:00 UTC (30.0 days)" },
	{ 29.9, 30, 7, STATE_WARNING, "expires 2026-12-01 00:00 UTC (29.9 days)" },
	{ 7, 30, 7, STATE_WARNING, "expires 2026-12-01 00:00 UTC (7.0 days)" },
	{ 6.9, 30, 7, STATE_CRITICAL, "expires 2026-12-01 00:00 UTC (6.9 days)" },
	{ 0.2, 30, 7, STATE_CRITICAL, "expires 2026-12-01 00:00 UTC (0.2 days)" },
	{ -3, 30, 7, STATE_CRITICAL, "expired 2026-12-01 00:00 UTC (3.0 days ago)" },
	{ -3, 30, 0, STATE_CRITICAL, "expired 2026-12-01 00:00 UTC (3.0 days ago)" },
	{ 5, -1, -1, STATE_OK, "(5.0 days)" },
	{ -0.5, -1, -1, STATE_CRITICAL, "expired 2026-12-01 00:00 UTC (0.5 days ago)" },
	{ 5, -1, 7, STATE_CRITICAL, "(5.0 days)" },
	{ 5, 10, -1, STATE_WARNING, "(5.0 days)" },
	{ 5, 0, 0, STATE_OK, "(5.0 days)" },
	{ 400, 30, 7, STATE_OK, "(400.0 days)" },
};

START_TEST(test_expiry_state)
{
	const struct expiry_case *c = &expiry_cases[_i];
	struct tm tm = { .tm_year = 126, .tm_mon = 11, .tm_mday = 1 };
	struct tls_info info = { .has_cert = true, .subject = "CN=mail.example.test" };
	char text[256];
	size_t tl = strlen(c->tail), l;

	info.not_after = timegm(&tm);
	info.days_left = c->days_left;
	ck_assert_int_eq(tls_expiry_state(&info, c->warn, c->crit, text, sizeof(text)), c->want);
	l = strlen(text);
	ck_assert_msg(strstr(text, "certificate CN=mail.example.test ") == text, "%s", text);
	ck_assert_msg(l >= tl && strcmp(text + l - tl, c->tail) == 0, "case %d: %s", _i, text);
}
END_TEST

START_TEST(test_expiry_no_cert)
{
	struct tls_info info = { .has_cert = false };
	char text[64];

	ck_assert_int_eq(tls_expiry_state(&info, 30, 7, text, sizeof(text)), STATE_UNKNOWN);
	ck_assert_str_eq(text, "no server certificate");
}
END_TEST

Suite *tls_suite(void)
{
	Suite *s = suite_create("tls");
	TCase *tc = tcase_create("core");
	TCase *hs = tcase_create("handshake");

	tcase_set_timeout(tc, UNIT_TIMEOUT);
	tcase_add_loop_test(tc, test_expiry_state, 0,
			    (int)(sizeof(expiry_cases) / sizeof(expiry_cases[0])));
	tcase_add_test(tc, test_expiry_no_cert);
	tcase_add_test(tc, test_bad_ca_file);
	suite_add_tcase(s, tc);

	tcase_set_timeout(hs, UNIT_TIMEOUT);
	tcase_add_unchecked_fixture(hs, certs_setup, certs_teardown);
	tcase_add_loop_test(hs, test_good_handshake, 0,
			    (int)(sizeof(good_cases) / sizeof(good_cases[0])));
	tcase_add_loop_test(hs, test_verify_failure, 0,
			    2 * (int)(sizeof(bad_cases) / sizeof(bad_cases[0])));
	tcase_add_test(hs, test_expired_facts);
	tcase_add_test(hs, test_expiring_soon);
	tcase_add_loop_test(hs, test_handshake_broken, 0,
			    (int)(sizeof(broken_cases) / sizeof(broken_cases[0])));
	tcase_add_test(hs, test_handshake_deadline);
	suite_add_tcase(s, hs);
	return s;
}
