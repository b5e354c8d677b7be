/* tls: handshakes against servers inside the test (loopback, certificates
 * made by the test), SNI, verification failures, CA files, certificate
 * facts, expiry thresholds, tls_report and tls_perfdata, writes to a peer
 * that has gone. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "range.h"
#include "result.h"
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
	const char *sni;   /* what the server got: "SNI name\n", "SNI -\n" */
} good_cases[] = {
	{ AF_INET, "localhost", 0, "TLSv1.3", "SNI localhost\n" },
	{ AF_INET, "LocalHost", 0, "TLSv1.3", "SNI LocalHost\n" },
	{ AF_INET, "127.0.0.1", 0, "TLSv1.3", "SNI -\n" },  /* an address: no SNI */
	{ AF_INET, NULL, 0, "TLSv1.3", "SNI -\n" },
	{ AF_INET, "localhost", 1, "TLSv1.2", "SNI localhost\n" },
	{ AF_INET6, "::1", 0, "TLSv1.3", "SNI -\n" },
	{ AF_INET6, "localhost", 0, "TLSv1.3", "SNI localhost\n" },
	/* Fully qualified: verified and sent without the final dot. */
	{ AF_INET, "localhost.", 0, "TLSv1.3", "SNI localhost\n" },
	{ AF_INET, "LocalHost.", 1, "TLSv1.2", "SNI LocalHost\n" },
	{ AF_INET6, "localhost.", 0, "TLSv1.3", "SNI localhost\n" },
};

START_TEST(test_good_handshake)
{
	const struct good_case *c = &good_cases[_i];
	const struct ts_step steps[] = {
		{ TS_OP_TLS, ts_certs.good, 0, c->tls12 ? 12 : 0, 0 },
		TS_SNI,
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
	char buf[64], want[64];
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
	ck_assert(!info.plaintext);
	ck_assert_int_eq((long)(info.not_after - info.not_before), 91L * 86400);
	ck_assert_msg(info.days_left > 89.9 && info.days_left <= 90.0, "days_left %f",
		      info.days_left);

	ck_assert_int_eq(tls_write(t, "PING\r\n", 6, &d, &f), 0);
	n = tls_read(t, buf, sizeof(buf) - 1, &d, &f);
	ck_assert_int_eq(n, 6);
	buf[n] = '\0';
	ck_assert_str_eq(buf, "PONG\r\n");
	ck_assert(!tls_pending(t));
	snprintf(want, sizeof(want), "%sPING\r\n", c->sni);
	ck_assert_str_eq(ts_received(ts, 2), want);
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
		      (strstr(text, "(5.0 days, critical under 7 days)") != NULL ||
		       strstr(text, "(4.9 days, critical under 7 days)") != NULL),
		      "%s", text);
	ck_assert_int_eq(tls_expiry_state(&info, 30, 3, text, sizeof(text)), STATE_WARNING);
	ck_assert_msg(strstr(text, " days, warning under 30 days)") != NULL, "%s", text);
	ck_assert_int_eq(tls_expiry_state(&info, 4, 3, text, sizeof(text)), STATE_OK);
	ck_assert_msg(strstr(text, "(5.0 days)") != NULL || strstr(text, "(4.9 days)") != NULL,
		      "%s", text);
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
	bool plaintext; /* info.plaintext: the server spoke plaintext */
} broken_cases[] = {
	{ "SMTP banner", { TS_SEND("220 mail.example.test ESMTP\r\n"), TS_HANG, TS_END },
	  FAIL_TLS, "TLS handshake failed: the server answered with plaintext, not TLS", true },
	{ "POP3 greeting", { TS_SEND("+OK hello\r\n"), TS_HANG, TS_END },
	  FAIL_TLS, "TLS handshake failed: the server answered with plaintext, not TLS", true },
	{ "close", { TS_CLOSE, TS_HANG, TS_END }, FAIL_TLS,
	  "TLS handshake failed: the server closed the connection", false },
	{ "reset", { TS_SLEEP(RESET_AFTER_MS), TS_RESET, TS_END }, FAIL_TLS,
	  "TLS handshake failed: ", false },
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
	ck_assert_msg(info.plaintext == c->plaintext, "%s: plaintext %d", c->what,
		      info.plaintext);
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

/* ---- CA files ------------------------------------------------------------ */

enum ca_kind { CA_MISSING, CA_FIFO, CA_DIR, CA_EMPTY, CA_NOT_PEM, CA_KEY_ONLY, CA_TOO_BIG };

static const struct ca_case {
	enum ca_kind kind;
	const char *why; /* "cannot read CA file 'PATH': " and this */
} ca_cases[] = {
	{ CA_MISSING, "No such file or directory" },
	{ CA_FIFO, "not a regular file" },     /* never waited on: no writer */
	{ CA_DIR, "not a regular file" },
	{ CA_EMPTY, "no certificates in it" },
	{ CA_NOT_PEM, "no certificates in it" },
	{ CA_KEY_ONLY, "no certificates in it" }, /* PEM, but a key */
	{ CA_TOO_BIG, "larger than 4 MB" },
};

/* A CA file that is no CA file: refused before any byte goes to the
 * server, at once, with the path and why. */
START_TEST(test_bad_ca_file)
{
	const struct ca_case *c = &ca_cases[_i];
	struct tls_params tp = { .host = "localhost" };
	struct tls_info info;
	struct fail f = { 0 };
	struct deadline d;
	char path[192], want[320];
	bool made = false;
	int sv[2], fd;

	snprintf(path, sizeof(path), "%s/bad-ca-%d", ts_certs.dir, (int)c->kind);
	switch (c->kind) {
	case CA_MISSING:
		break;
	case CA_FIFO:
		ck_assert_int_eq(mkfifo(path, 0600), 0);
		made = true;
		break;
	case CA_DIR:
		snprintf(path, sizeof(path), "%s", ts_certs.dir);
		break;
	case CA_KEY_ONLY:
		snprintf(path, sizeof(path), "%s", ts_certs.key);
		break;
	default:
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		ck_assert_int_ge(fd, 0);
		made = true;
		if (c->kind == CA_NOT_PEM)
			ck_assert_int_eq(write(fd, "not a certificate\n", 18), 18);
		else if (c->kind == CA_TOO_BIG) /* sparse: 4 MB and one byte */
			ck_assert_int_eq(ftruncate(fd, 4 * 1024 * 1024 + 1), 0);
		close(fd);
	}
	tp.ca_file = path;
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	deadline_start(&d, BUDGET_MS);
	ck_assert_ptr_null(tls_handshake(sv[0], &tp, &d, &info, &f));
	ck_assert_int_eq(f.cls, FAIL_INTERNAL);
	snprintf(want, sizeof(want), "cannot read CA file '%s': %s", path, c->why);
	ck_assert_str_eq(f.text, want);
	ck_assert_int_gt(deadline_left_ms(&d), BUDGET_MS / 2);
	{
		/* Nothing was sent: the file was judged before the handshake. */
		char b;

		ck_assert_int_eq(recv(sv[1], &b, 1, MSG_DONTWAIT), -1);
		ck_assert_int_eq(errno, EAGAIN);
	}
	close(sv[0]);
	close(sv[1]);
	if (made)
		ck_assert_int_eq(unlink(path), 0);
}
END_TEST

/* ---- a peer that has gone ------------------------------------------------ */

/* Writing to a peer that reset the connection fails with a message; it
 * does not raise SIGPIPE, which at its default disposition would kill the
 * test process (a plugin never touches signal handling). */
START_TEST(test_write_after_peer_gone)
{
	const struct ts_step steps[] = { TS_TLS(ts_certs.good), TS_RESET, TS_END };
	struct tls_params tp = { .host = "localhost", .ca_file = ts_certs.ca };
	struct sigaction dfl = { .sa_handler = SIG_DFL }, old;
	sigset_t pipe_set, old_mask;
	struct testserver *ts = ts_start(AF_INET, steps);
	struct tls_info info;
	struct fail f = { 0 };
	struct deadline d;
	struct tls *t;
	char sink[4096];
	ssize_t n;
	int fd = tcp_to(ts);

	sigemptyset(&dfl.sa_mask);
	ck_assert_int_eq(sigaction(SIGPIPE, &dfl, &old), 0);
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	ck_assert_int_eq(sigprocmask(SIG_UNBLOCK, &pipe_set, &old_mask), 0);
	deadline_start(&d, BUDGET_MS);
	t = tls_handshake(fd, &tp, &d, &info, &f);
	ck_assert_msg(t != NULL, "%s", f.text);
	/* Take in what the server sent and its reset, behind OpenSSL's back:
	 * the socket is then closed for sending, and the next send fails
	 * with EPIPE, the error that comes with SIGPIPE. */
	for (;;) {
		n = recv(fd, sink, sizeof(sink), 0);
		if (n > 0)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			ck_assert_int_eq(deadline_wait_fd(&d, fd, POLLIN, -1), 1);
			continue;
		}
		break;
	}
	ck_assert_int_eq(tls_write(t, "QUIT\r\n", 6, &d, &f), -1);
	ck_assert_int_eq(f.cls, FAIL_CONN);
	ck_assert_str_eq(f.text, "connection closed by the server while sending");
	/* Again: still no signal. */
	ck_assert_int_eq(tls_write(t, "QUIT\r\n", 6, &d, &f), -1);
	tls_free(t);
	close(fd);
	ts_stop(ts);
	ck_assert_int_eq(sigprocmask(SIG_SETMASK, &old_mask, NULL), 0);
	ck_assert_int_eq(sigaction(SIGPIPE, &old, NULL), 0);
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
	/* Not OK: the limit broken is named. */
	{ 29.9, 30, 7, STATE_WARNING,
	  "expires 2026-12-01 00:00 UTC (29.9 days, warning under 30 days)" },
	{ 29.96, 30, 7, STATE_WARNING, "(29.9 days, warning under 30 days)" }, /* not 30.0 */
	{ 7, 30, 7, STATE_WARNING, "expires 2026-12-01 00:00 UTC (7.0 days, warning under 30 days)" },
	{ 6.9, 30, 7, STATE_CRITICAL,
	  "expires 2026-12-01 00:00 UTC (6.9 days, critical under 7 days)" },
	{ 0.2, 30, 7, STATE_CRITICAL,
	  "expires 2026-12-01 00:00 UTC (0.2 days, critical under 7 days)" },
	{ -3, 30, 7, STATE_CRITICAL, "expired 2026-12-01 00:00 UTC (3.0 days ago)" },
	{ -3, 30, 0, STATE_CRITICAL, "expired 2026-12-01 00:00 UTC (3.0 days ago)" },
	{ 5, -1, -1, STATE_OK, "(5.0 days)" },
	{ -0.5, -1, -1, STATE_CRITICAL, "expired 2026-12-01 00:00 UTC (0.5 days ago)" },
	{ 5, -1, 7, STATE_CRITICAL, "(5.0 days, critical under 7 days)" },
	{ 5, 10, -1, STATE_WARNING, "(5.0 days, warning under 10 days)" },
	{ 5, 10.5, -1, STATE_WARNING, "(5.0 days, warning under 10.5 days)" },
	{ 5, 10, 6, STATE_CRITICAL, "(5.0 days, critical under 6 days)" },
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

/* ---- tls_report, tls_perfdata --------------------------------------------- */

/* A certificate as the handshake would describe it: expiring 2026-12-01
 * 00:00 UTC, days_left later set by the case. */
static struct tls_info report_info(bool has_cert, bool verified, double days_left)
{
	struct tm tm = { .tm_year = 126, .tm_mon = 11, .tm_mday = 1 };
	struct tls_info info = { .version = "TLSv1.3", .cipher = "TLS_AES_256_GCM_SHA384" };

	if (!has_cert) {
		snprintf(info.verify_error, sizeof(info.verify_error),
			 "the server sent no certificate");
		return info;
	}
	info.has_cert = true;
	snprintf(info.subject, sizeof(info.subject), "CN=mail.example.test");
	snprintf(info.issuer, sizeof(info.issuer), "CN=Test CA");
	snprintf(info.sans, sizeof(info.sans), "DNS:mail.example.test");
	info.not_after = timegm(&tm);
	info.days_left = days_left;
	info.verified = verified;
	if (!verified)
		snprintf(info.verify_error, sizeof(info.verify_error), "self-signed certificate");
	return info;
}

#define R_VERSION "TLS TLSv1.3, TLS_AES_256_GCM_SHA384"
#define R_CERT "certificate: subject CN=mail.example.test; issuer CN=Test CA; " \
	"DNS:mail.example.test"
#define R_EXPIRES "certificate CN=mail.example.test expires 2026-12-01 00:00 UTC "

static const struct report_case {
	const char *name;
	const char *what;
	bool has_cert, verified, up;
	double days_left, warn, crit;
	enum state want;
	struct {
		int level;       /* 0: a sub-result; 2: a detail of -vv */
		enum state state; /* of a sub-result */
		const char *text;
	} lines[5];              /* in order; text NULL ends */
} report_cases[] = {
	{ "verified, thresholds", "TLS", true, true, true, 90, 30, 7, STATE_OK,
	  { { 2, STATE_OK, R_VERSION },
	    { 0, STATE_OK, R_EXPIRES "(90.0 days)" },
	    { 2, STATE_OK, R_CERT } } },
	{ "verified, no thresholds: no sub-result", "TLS", true, true, true, 90, -1, -1, STATE_OK,
	  { { 2, STATE_OK, R_VERSION }, { 2, STATE_OK, R_CERT } } },
	{ "not verified, session up (--insecure)", "TLS", true, false, true, 90, 30, 7, STATE_OK,
	  { { 2, STATE_OK, R_VERSION },
	    { 0, STATE_OK, "certificate not verified (--insecure): self-signed certificate" },
	    { 0, STATE_OK, R_EXPIRES "(90.0 days)" },
	    { 2, STATE_OK, R_CERT } } },
	{ "not verified, handshake failed: expiry still said", "TLS", true, false, false, 90, 30,
	  7, STATE_OK,
	  { { 0, STATE_OK, R_EXPIRES "(90.0 days)" }, { 2, STATE_OK, R_CERT } } },
	{ "expired, no thresholds", "TLS", true, false, false, -3, -1, -1, STATE_CRITICAL,
	  { { 0, STATE_CRITICAL,
	      "certificate CN=mail.example.test expired 2026-12-01 00:00 UTC (3.0 days ago)" },
	    { 2, STATE_OK, R_CERT } } },
	{ "within the warning days", "STARTTLS", true, true, true, 20, 30, 7, STATE_WARNING,
	  { { 2, STATE_OK, "STARTTLS TLSv1.3, TLS_AES_256_GCM_SHA384" },
	    { 0, STATE_WARNING, R_EXPIRES "(20.0 days, warning under 30 days)" },
	    { 2, STATE_OK, R_CERT } } },
	{ "within the critical days", "TLS", true, true, true, 5, 30, 7, STATE_CRITICAL,
	  { { 2, STATE_OK, R_VERSION },
	    { 0, STATE_CRITICAL, R_EXPIRES "(5.0 days, critical under 7 days)" },
	    { 2, STATE_OK, R_CERT } } },
	{ "no certificate", "TLS", false, false, true, 0, 30, 7, STATE_OK,
	  { { 2, STATE_OK, R_VERSION } } },
	{ "no certificate, no session", "TLS", false, false, false, 0, 30, 7, STATE_OK, { { 0 } } },
};

START_TEST(test_tls_report)
{
	const struct report_case *c = &report_cases[_i];
	struct tls_info info = report_info(c->has_cert, c->verified, c->days_left);
	struct result *res = result_new("TEST");
	size_t n = 0;

	ck_assert_ptr_nonnull(res);
	ck_assert_int_eq(tls_report(res, c->what, &info, c->up, c->warn, c->crit), c->want);
	ck_assert_int_eq(result_state(res), c->want);
	for (; n < 5 && c->lines[n].text != NULL; n++) {
		const struct result_line *l;

		ck_assert_msg(n < result_nlines(res), "%s: line %zu missing", c->name, n);
		l = result_line(res, n);
		ck_assert_msg(l->level == c->lines[n].level && strcmp(l->text, c->lines[n].text) == 0,
			      "%s: line %zu: level %d '%s'", c->name, n, l->level, l->text);
		if (l->level == 0)
			ck_assert_msg(l->state == c->lines[n].state, "%s: line %zu: %s", c->name, n,
				      state_name(l->state));
		ck_assert(!l->note);
	}
	ck_assert_msg(result_nlines(res) == n, "%s: %zu lines, want %zu", c->name,
		      result_nlines(res), n);
	result_free(res);
}
END_TEST

static const struct perf_case {
	bool info, has_cert;
	double days_left, warn, crit;
	double value;            /* NaN: U */
	const char *warn_text;   /* NULL: no warn range */
	const char *crit_text;
} perf_cases[] = {
	{ true, true, 20.5, 30, 7, 20.5, "30:", "7:" },
	{ true, true, 90, -1, -1, 90, NULL, NULL },
	{ true, true, 90, 30, -1, 90, "30:", NULL },
	{ true, true, 90, -1, 7, 90, NULL, "7:" },
	{ true, true, 90, 14.5, 3.5, 90, "14.5:", "3.5:" },
	{ true, true, -3, 30, 7, -3, "30:", "7:" },   /* expired: negative */
	{ true, false, 0, 30, 7, NAN, "30:", "7:" },  /* no certificate: U, same label */
	{ false, false, 0, 30, 7, NAN, "30:", "7:" }, /* no handshake at all */
};

START_TEST(test_tls_perfdata)
{
	const struct perf_case *c = &perf_cases[_i];
	struct tls_info info = report_info(c->has_cert, true, c->days_left);
	struct result *res = result_new("TEST");
	const struct result_perf_item *p;

	ck_assert_ptr_nonnull(res);
	tls_perfdata(res, c->info ? &info : NULL, c->warn, c->crit);
	ck_assert_uint_eq(result_nperf(res), 1);
	p = result_perf_at(res, 0);
	ck_assert_str_eq(p->label, "cert_days");
	ck_assert_str_eq(p->uom, "");
	if (isnan(c->value))
		ck_assert_msg(isnan(p->value), "case %d: %f", _i, p->value);
	else
		ck_assert_msg(p->value == c->value, "case %d: %f", _i, p->value);
	ck_assert_int_eq(p->has_warn, c->warn_text != NULL);
	ck_assert_int_eq(p->has_crit, c->crit_text != NULL);
	if (c->warn_text != NULL)
		ck_assert_str_eq(p->warn, c->warn_text);
	if (c->crit_text != NULL)
		ck_assert_str_eq(p->crit, c->crit_text);
	ck_assert(isnan(p->min) && isnan(p->max));
	ck_assert_int_eq(result_state(res), STATE_OK); /* perfdata judges nothing */
	result_free(res);
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

Suite *tls_suite(void)
{
	Suite *s = suite_create("tls");
	TCase *tc = tcase_create("core");
	TCase *hs = tcase_create("handshake");

	tcase_set_timeout(tc, UNIT_TIMEOUT);
	tcase_add_loop_test(tc, test_expiry_state, 0, N(expiry_cases));
	tcase_add_test(tc, test_expiry_no_cert);
	tcase_add_loop_test(tc, test_tls_report, 0, N(report_cases));
	tcase_add_loop_test(tc, test_tls_perfdata, 0, N(perf_cases));
	suite_add_tcase(s, tc);

	tcase_set_timeout(hs, UNIT_TIMEOUT);
	tcase_add_unchecked_fixture(hs, certs_setup, certs_teardown);
	tcase_add_loop_test(hs, test_good_handshake, 0, N(good_cases));
	tcase_add_loop_test(hs, test_verify_failure, 0, 2 * N(bad_cases));
	tcase_add_test(hs, test_expired_facts);
	tcase_add_test(hs, test_expiring_soon);
	tcase_add_loop_test(hs, test_handshake_broken, 0, N(broken_cases));
	tcase_add_test(hs, test_handshake_deadline);
	tcase_add_loop_test(hs, test_bad_ca_file, 0, N(ca_cases));
	tcase_add_test(hs, test_write_after_peer_gone);
	suite_add_tcase(s, hs);
	return s;
}
