/* conn: connect over address lists, conn_open (lookup, connect, implicit
 * TLS, each stage timed), bounded line reads and the deadline while data
 * keeps coming, sends (one line or a batch), STARTTLS, a peer that has
 * gone, against scripted servers on loopback (tests/unit/testserver.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"
#include "testserver.h"
#include "suites.h"

#define MS 1000000LL
#define BUDGET_MS UNIT_BUDGET_MS /* for tests that are not about time */
/* A trickle that must run into the deadline: a byte every TRICKLE_MS (a
 * twentieth of the deadline or less, so that a wait restarted by every
 * read would never end), TRICKLE_BYTES of them (several deadlines long:
 * it is still trickling when the deadline comes). */
#define TRICKLE_MS 50
#define TRICKLE_BYTES 120
/* STARTTLS injection: the server's late plaintext comes INJECT_LATE_MS
 * after its go-ahead; the client waits 10x that before its handshake, so
 * the plaintext is in the socket by then. */
#define INJECT_LATE_MS 50
#define INJECT_CLIENT_WAIT_MS (10 * INJECT_LATE_MS)
/* STARTTLS answered in plaintext: the plaintext comes this long after the
 * go-ahead, 10x what the client needs to start its handshake under
 * valgrind, so it is the answer to the ClientHello, not an injection. */
#define PLAINTEXT_LATE_MS 500

static void certs_setup(void)
{
	ts_certs_make();
}

static void certs_teardown(void)
{
	ts_certs_remove();
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Connects to the server (plain) and checks it worked. */
static struct conn *open_to(const struct testserver *ts, struct deadline *d,
			    struct transcript *t, size_t max_line)
{
	struct conn_params p = { .deadline = d, .max_line = max_line, .transcript = t };
	struct fail f = { 0 };
	struct conn *c = conn_connect(ts_addrs(ts), &p, NULL, &f);

	ck_assert_msg(c != NULL, "connect: %s", f.text);
	return c;
}

/* Whether some transcript line equals s. */
static bool transcript_has(const struct transcript *t, const char *s)
{
	for (size_t i = 0; i < transcript_count(t); i++)
		if (strcmp(transcript_get(t, i), s) == 0)
			return true;
	return false;
}

static bool transcript_mentions(const struct transcript *t, const char *s)
{
	for (size_t i = 0; i < transcript_count(t); i++)
		if (strstr(transcript_get(t, i), s) != NULL)
			return true;
	return false;
}

static void expect_line(struct conn *c, const char *want, size_t want_len)
{
	struct fail f = { 0 };
	char *line;
	size_t len;

	ck_assert_msg(conn_readline(c, &line, &len, &f) == 0, "want '%s': %s", want, f.text);
	ck_assert_uint_eq(len, want_len);
	ck_assert_msg(memcmp(line, want, len) == 0 && line[len] == '\0', "got '%s', want '%s'",
		      line, want);
}

static void expect_read_fails(struct conn *c, enum fail_class cls, const char *text)
{
	struct fail f = { 0 };
	char *line;
	size_t len;

	ck_assert_int_eq(conn_readline(c, &line, &len, &f), -1);
	ck_assert_msg(f.cls == cls && strstr(f.text, text) != NULL, "got %s (%d), want %s",
		      f.text, f.cls, text);
}

/* ---- lines: splitting and line ends -------------------------------------- */

static const struct split_case {
	const char *data;
	size_t len;       /* 0: strlen */
	size_t piece;     /* server sends in pieces of this size, 0: at once */
	int ms;           /* with this pause between them */
	const char *lines[4];
	size_t lens[4];   /* 0: strlen(lines[i]) */
} split_cases[] = {
	{ "220 hello\r\n", 0, 0, 0, { "220 hello" }, { 0 } },
	{ "220 hello\r\n", 0, 1, 3, { "220 hello" }, { 0 } },
	{ "220 hello\r\n", 0, 10, 30, { "220 hello" }, { 0 } }, /* CR | LF */
	{ "220 hello\r\n", 0, 9, 30, { "220 hello" }, { 0 } },  /* text | CRLF */
	{ "220 a\r\n250 b\r\n", 0, 3, 5, { "220 a", "250 b" }, { 0 } },
	{ "220 a\r\n250 b\r\n", 0, 7, 20, { "220 a", "250 b" }, { 0 } },
	{ "220 a\n250 b\n", 0, 0, 0, { "220 a", "250 b" }, { 0 } },       /* LF only */
	{ "220 a\n250 b\n", 0, 2, 5, { "220 a", "250 b" }, { 0 } },
	{ "a\r\nb\nc\r\n", 0, 0, 0, { "a", "b", "c" }, { 0 } },            /* mixed */
	{ "\r\n\n+OK\r\n", 0, 0, 0, { "", "", "+OK" }, { 0 } },            /* empty */
	{ "a\rb\r\n", 0, 0, 0, { "a\rb" }, { 0 } },                       /* bare CR */
	{ "x\r\r\n", 0, 0, 0, { "x\r" }, { 0 } },                         /* one CR off */
	{ "a\0b\r\n+OK\r\n", 10, 0, 0, { "a\0b", "+OK" }, { 3, 0 } },      /* NUL kept */
};

START_TEST(test_lines_split)
{
	const struct split_case *sc = &split_cases[_i];
	const struct ts_step steps[] = {
		{ TS_OP_SEND, sc->data, sc->len, sc->piece, sc->ms },
		TS_CLOSE,
		TS_END,
	};
	struct testserver *ts = ts_start(AF_INET, steps);
	struct deadline d;
	struct conn *c;
	size_t i;

	deadline_start(&d, BUDGET_MS);
	c = open_to(ts, &d, NULL, 0);
	for (i = 0; i < 4 && sc->lines[i] != NULL; i++)
		expect_line(c, sc->lines[i], sc->lens[i] ? sc->lens[i] : strlen(sc->lines[i]));
	expect_read_fails(c, FAIL_CONN, "connection closed by the server");
	conn_close(c);
	ts_stop(ts);
}
END_TEST

/* ---- lines: the bound ---------------------------------------------------- */

static const struct bound_case {
	size_t max_line;  /* 0: the default, 1000 */
	size_t body;      /* bytes of 'x' */
	const char *end;  /* line end sent after them */
	size_t piece;     /* pieces (0: at once) */
	int ms;
	enum fail_class want; /* FAIL_NONE: the line is read */
} bound_cases[] = {
	{ 16, 16, "\r\n", 0, 0, FAIL_NONE },
	{ 16, 16, "\n", 0, 0, FAIL_NONE },
	{ 16, 17, "\r\n", 0, 0, FAIL_PROTO },
	{ 16, 17, "\n", 0, 0, FAIL_PROTO },
	{ 16, 16, "\r\n", 17, 50, FAIL_NONE },  /* 16 + CR, then LF later */
	{ 16, 17, "\r\n", 17, 50, FAIL_PROTO }, /* 17, then CRLF later */
	{ 16, 18, "", 0, 0, FAIL_PROTO },       /* no end: fails without waiting */
	{ 16, 17, "", 0, 0, FAIL_PROTO },       /* 17 and not a CR: the same */
	{ 16, 16, "\r", 0, 0, FAIL_TIMEOUT },   /* may still end well: waits */
	{ 16, 40, "", 5, 10, FAIL_PROTO },
	{ 0, 1000, "\r\n", 0, 0, FAIL_NONE },
	{ 0, 1001, "\r\n", 0, 0, FAIL_PROTO },
	{ 0, 5000, "", 0, 0, FAIL_PROTO },
	{ 20000, 20000, "\r\n", 7000, 20, FAIL_NONE }, /* more than one read block */
	{ 20000, 20001, "\r\n", 7000, 20, FAIL_PROTO },
};

START_TEST(test_line_bound)
{
	const struct bound_case *bc = &bound_cases[_i];
	size_t el = strlen(bc->end);
	char *data = malloc(bc->body + el + 1);
	struct ts_step steps[] = {
		{ TS_OP_SEND, data, bc->body + el, bc->piece, bc->ms },
		TS_SEND("+OK next\r\n"),
		TS_HANG,
		TS_END,
	};
	struct testserver *ts;
	struct deadline d;
	struct conn *c;
	char want[64];

	ck_assert_ptr_nonnull(data);
	memset(data, 'x', bc->body);
	memcpy(data + bc->body, bc->end, el + 1);
	if (el == 0 || bc->want == FAIL_TIMEOUT)
		steps[1] = (struct ts_step)TS_HANG; /* then silence */
	ts = ts_start(AF_INET, steps);
	deadline_start(&d, bc->want == FAIL_TIMEOUT ? UNIT_DEADLINE_MS : BUDGET_MS);
	c = open_to(ts, &d, NULL, bc->max_line);
	if (bc->want == FAIL_NONE) {
		expect_line(c, data, bc->body);
		expect_line(c, "+OK next", 8);
	} else if (bc->want == FAIL_TIMEOUT) {
		expect_read_fails(c, FAIL_TIMEOUT, "timed out waiting for the server");
	} else {
		snprintf(want, sizeof(want), "the server sent a line longer than %zu bytes",
			 bc->max_line ? bc->max_line : 1000);
		expect_read_fails(c, FAIL_PROTO, want);
		/* Known as soon as the bytes are there, not at the deadline. */
		ck_assert_int_gt(deadline_left_ms(&d), BUDGET_MS / 2);
	}
	conn_close(c);
	ts_stop(ts);
	free(data);
}
END_TEST

/* Many lines in few reads: the buffer is reused (moved) and every line
 * comes out whole and in order. */
START_TEST(test_many_lines)
{
	enum { N = 300 };
	const size_t each = 600;
	char *data = malloc(N * (each + 2) + 1), *p = data;
	struct ts_step steps[] = { { TS_OP_SEND, NULL, 0, 4096, 1 }, TS_CLOSE, TS_END };
	struct testserver *ts;
	struct deadline d;
	struct conn *c;

	ck_assert_ptr_nonnull(data);
	for (int i = 0; i < N; i++) {
		int k = sprintf(p, "250-line %04d ", i);

		memset(p + k, 'a' + i % 26, each - (size_t)k);
		memcpy(p + each, "\r\n", 2);
		p += each + 2;
	}
	*p = '\0';
	steps[0].data = data;
	ts = ts_start(AF_INET, steps);
	deadline_start(&d, BUDGET_MS);
	c = open_to(ts, &d, NULL, 0);
	for (int i = 0; i < N; i++) {
		struct fail f = { 0 };
		char *line, head[32];
		size_t len;
		int k = snprintf(head, sizeof(head), "250-line %04d ", i);

		ck_assert_msg(conn_readline(c, &line, &len, &f) == 0, "line %d: %s", i, f.text);
		ck_assert_uint_eq(len, each);
		ck_assert(memcmp(line, head, (size_t)k) == 0);
		ck_assert(line[each - 1] == 'a' + i % 26);
	}
	expect_read_fails(c, FAIL_CONN, "connection closed by the server");
	conn_close(c);
	ts_stop(ts);
	free(data);
}
END_TEST

/* ---- multi-line replies ------------------------------------------------- */

struct smtp_reply {
	int lines;
	char last[64];
};

/* SMTP: "250-..." continues, "250 ..." ends; anything else is an error. */
static int smtp_last(void *ctx, const char *line, size_t len, struct fail *f)
{
	struct smtp_reply *r = ctx;

	r->lines++;
	snprintf(r->last, sizeof(r->last), "%s", line);
	if (len < 4 || memcmp(line, "250", 3) != 0 || (line[3] != '-' && line[3] != ' ')) {
		fail_set(f, FAIL_PROTO, "bad reply line");
		return -1;
	}
	return line[3] == ' ';
}

static const struct multi_case {
	const char *data;
	size_t piece;
	int rc;
	int lines;
	const char *last;
} multi_cases[] = {
	{ "250-mail.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n220 next\r\n", 0, 0, 3,
	  "250 STARTTLS" },
	{ "250-mail.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n220 next\r\n", 5, 0, 3,
	  "250 STARTTLS" },
	{ "250-mail.test\n250 OK\n220 next\n", 1, 0, 2, "250 OK" },
	{ "250 one\r\n220 next\r\n", 0, 0, 1, "250 one" },
	{ "250-mail.test\r\n550 no\r\n", 0, -1, 2, "550 no" },
};

START_TEST(test_read_response)
{
	const struct multi_case *mc = &multi_cases[_i];
	const struct ts_step steps[] = {
		TS_SEND_PIECES(mc->data, mc->piece, 5),
		TS_HANG,
		TS_END,
	};
	struct testserver *ts = ts_start(AF_INET, steps);
	struct smtp_reply r = { 0 };
	struct fail f = { 0 };
	struct deadline d;
	struct conn *c;

	deadline_start(&d, BUDGET_MS);
	c = open_to(ts, &d, NULL, 0);
	ck_assert_int_eq(conn_read_response(c, smtp_last, &r, &f), mc->rc);
	ck_assert_int_eq(r.lines, mc->lines);
	ck_assert_str_eq(r.last, mc->last);
	if (mc->rc == 0)
		expect_line(c, "220 next", 8);
	else
		ck_assert(f.cls == FAIL_PROTO && strcmp(f.text, "bad reply line") == 0);
	conn_close(c);
	ts_stop(ts);
}
END_TEST

/* The server closes in the middle of a multi-line reply. */
START_TEST(test_read_response_closed)
{
	const struct ts_step steps[] = { TS_SEND("250-mail.test\r\n250-PIPE"), TS_CLOSE, TS_END };
	struct testserver *ts = ts_start(AF_INET, steps);
	struct smtp_reply r = { 0 };
	struct fail f = { 0 };
	struct deadline d;
	struct conn *c;

	deadline_start(&d, BUDGET_MS);
	c = open_to(ts, &d, NULL, 0);
	ck_assert_int_eq(conn_read_response(c, smtp_last, &r, &f), -1);
	ck_assert_int_eq(r.lines, 1);
	ck_assert_int_eq(f.cls, FAIL_CONN);
	ck_assert_str_eq(f.text, "connection closed by the server in the middle of a line");
	conn_close(c);
	ts_stop(ts);
}
END_TEST

/* ---- early close, reset -------------------------------------------------- */

static const struct close_case {
	struct ts_step steps[4];
	int good_lines; /* "220 hi" lines before the failure */
	const char *text;
} close_cases[] = {
	{ { TS_CLOSE, TS_END }, 0, "connection closed by the server" },
	{ { TS_SEND("220 hi\r\n"), TS_CLOSE, TS_END }, 1, "connection closed by the server" },
	{ { TS_SEND("220 hi\r\n220 half"), TS_CLOSE, TS_END }, 1,
	  "connection closed by the server in the middle of a line" },
	{ { TS_SEND("220 hi\r"), TS_CLOSE, TS_END }, 0,
	  "connection closed by the server in the middle of a line" },
	{ { TS_RESET, TS_END }, 0, "connection reset by the server" },
	{ { TS_SEND("220 hi\r\n"), TS_SLEEP(100), TS_RESET, TS_END }, 1,
	  "connection reset by the server" },
};

START_TEST(test_early_close)
{
	const struct close_case *cc = &close_cases[_i];
	struct testserver *ts = ts_start(AF_INET, cc->steps);
	struct deadline d;
	struct conn *c;

	deadline_start(&d, BUDGET_MS);
	c = open_to(ts, &d, NULL, 0);
	for (int i = 0; i < cc->good_lines; i++)
		expect_line(c, "220 hi", 6);
	expect_read_fails(c, FAIL_CONN, cc->text);
	conn_close(c);
	ts_stop(ts);
}
END_TEST

/* ---- the deadline ---------------------------------------------------------- */

/* Returned at the deadline: not before it, and not more than the slack
 * after it. */
static void assert_on_time(const struct deadline *d, int64_t now)
{
	int64_t slack = UNIT_SLACK_MS * MS;

	ck_assert_msg(now >= d->end_ns, "returned %lld ms early",
		      (long long)((d->end_ns - now) / MS));
	ck_assert_msg(now - d->end_ns <= slack, "returned %lld ms late",
		      (long long)((now - d->end_ns) / MS));
}

/* "220 trickle " and dots, no line end: TRICKLE_BYTES in all. */
static const char trickle[] =
	"220 trickle ................................................"
	"............................................................";
_Static_assert(sizeof(trickle) - 1 == TRICKLE_BYTES, "TRICKLE_BYTES");

static const struct silent_case {
	struct ts_step steps[5];
	int good_lines;
} silent_cases[] = {
	{ { TS_HANG, TS_END }, 0 },                                       /* nothing */
	{ { TS_SEND("220 hi\r\n"), TS_HANG, TS_END }, 1 },                /* then nothing */
	{ { TS_SEND("220 hi\r\n220 ha"), TS_HANG, TS_END }, 1 },          /* half a line */
	/* The good line at once, then a byte at a time past the deadline. */
	{ { TS_SEND("220 hi\r\n"), TS_SEND_PIECES(trickle, 1, TRICKLE_MS), TS_HANG, TS_END }, 1 },
};

/* A server that never (finishes its) answer: the read returns at the
 * deadline, within the slack after it. */
START_TEST(test_never_answers)
{
	const struct silent_case *sc = &silent_cases[_i];
	struct testserver *ts = ts_start(AF_INET, sc->steps);
	struct deadline d;
	struct conn *c;

	deadline_start(&d, UNIT_DEADLINE_MS);
	c = open_to(ts, &d, NULL, 0);
	for (int i = 0; i < sc->good_lines; i++)
		expect_line(c, "220 hi", 6);
	expect_read_fails(c, FAIL_TIMEOUT, "timed out waiting for the server");
	assert_on_time(&d, mono_now_ns());
	conn_close(c);
	ts_stop(ts);
}
END_TEST

/* Many lines, sent at once: what a client has waiting when its deadline
 * comes in the middle of a long listing. */
#define WAITING_LINE "250-waiting line ..........................................\r\n"
#define WAITING_10 WAITING_LINE WAITING_LINE WAITING_LINE WAITING_LINE WAITING_LINE \
	WAITING_LINE WAITING_LINE WAITING_LINE WAITING_LINE WAITING_LINE
#define WAITING_100 WAITING_10 WAITING_10 WAITING_10 WAITING_10 WAITING_10 \
	WAITING_10 WAITING_10 WAITING_10 WAITING_10 WAITING_10
static const char waiting[] = WAITING_100 WAITING_100;

/* The deadline is checked before every read, also when data is waiting
 * (a poll after the deadline still says "ready" then): with lines in the
 * socket and the deadline past, the read fails.  Deterministic: the server
 * has sent them before it reads the client's line, and the deadline is
 * made to pass only after that. */
START_TEST(test_deadline_data_waiting)
{
	bool tls = _i == 1;
	const struct ts_step plain_steps[] = { TS_SEND(waiting), TS_READLINE, TS_HANG, TS_END };
	const struct ts_step tls_steps[] = {
		TS_TLS(ts_certs.good), TS_SEND(waiting), TS_READLINE, TS_HANG, TS_END,
	};
	struct testserver *ts = ts_start(AF_INET, tls ? tls_steps : plain_steps);
	struct tls_params tp = { .host = "localhost", .ca_file = ts_certs.ca };
	struct conn_params p = { 0 };
	struct fail f = { 0 };
	struct deadline d;
	struct conn *c;

	deadline_start(&d, BUDGET_MS);
	p = (struct conn_params){ .deadline = &d, .tls = tls ? &tp : NULL };
	c = conn_connect(ts_addrs(ts), &p, NULL, &f);
	ck_assert_msg(c != NULL, "%s", f.text);
	ck_assert_int_eq(conn_send_line(c, "GO", NULL, &f), 0);
	ck_assert_str_eq(ts_received(ts, 1), "GO\r\n"); /* so the lines went out */
	deadline_start(&d, 0);                           /* and now it is over */
	expect_read_fails(c, FAIL_TIMEOUT, "timed out waiting for the server");
	conn_close(c);
	ts_stop(ts);
}
END_TEST

/* What the streaming server sends again and again: short lines, so that
 * the client, reading line by line, is slower than the server and finds
 * data waiting whenever it reads. */
static char stream_block[64 * 1024 + 1];

/* A server that streams lines without pause, past the deadline: the read
 * loop ends at the deadline, within the slack after it.  The deadline
 * starts once the connection is up (a handshake under valgrind takes a
 * good part of a second). */
START_TEST(test_deadline_stream)
{
	bool tls = _i == 1;
	const struct ts_step plain_steps[] = {
		TS_SEND("220 go\r\n"), TS_STREAM(stream_block, TS_HANG_MS), TS_END,
	};
	const struct ts_step tls_steps[] = {
		TS_TLS(ts_certs.good), TS_SEND("220 go\r\n"), TS_STREAM(stream_block, TS_HANG_MS), TS_END,
	};
	struct testserver *ts;
	struct tls_params tp = { .host = "localhost", .ca_file = ts_certs.ca };
	struct conn_params p = { 0 };
	struct fail f = { 0 };
	struct deadline d;
	struct conn *c;
	unsigned long lines = 0;
	char *line;
	size_t len;

	for (size_t i = 0; i + 7 < sizeof(stream_block); i += 7)
		memcpy(stream_block + i, "250 x\r\n", 7);
	ts = ts_start(AF_INET, tls ? tls_steps : plain_steps);
	deadline_start(&d, BUDGET_MS);
	p = (struct conn_params){ .deadline = &d, .tls = tls ? &tp : NULL };
	c = conn_connect(ts_addrs(ts), &p, NULL, &f);
	ck_assert_msg(c != NULL, "%s", f.text);
	expect_line(c, "220 go", 6);
	deadline_start(&d, UNIT_DEADLINE_MS);
	while (conn_readline(c, &line, &len, &f) == 0)
		lines++;
	assert_on_time(&d, mono_now_ns());
	ck_assert_int_eq(f.cls, FAIL_TIMEOUT);
	ck_assert_str_eq(f.text, "timed out waiting for the server");
	ck_assert_msg(lines >= 200, "only %lu lines streamed", lines);
	conn_close(c);
	ts_stop(ts);
}
END_TEST

/* ---- connect over address lists ------------------------------------------ */

/* A listener whose accept queue is full drops new SYNs: on loopback, an
 * address that never answers.  Returns the listening socket (and fills the
 * queue with *filler). */
static int silent_listener(struct sockaddr_storage *ss, socklen_t *len, int *filler)
{
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in *in = (struct sockaddr_in *)ss;

	ck_assert_int_ge(lfd, 0);
	memset(ss, 0, sizeof(*ss));
	in->sin_family = AF_INET;
	in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	*len = sizeof(*in);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)ss, *len), 0);
	ck_assert_int_eq(listen(lfd, 0), 0);
	ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)ss, len), 0);
	*filler = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(*filler, 0);
	ck_assert_int_eq(connect(*filler, (struct sockaddr *)ss, *len), 0);
	return lfd;
}

/* Whether this host has an IPv6 loopback address (says so when not). */
static bool have_ipv6(const char *what)
{
	struct testserver *v6 = ts_start(AF_INET6, (const struct ts_step[]){ TS_END });

	if (v6 == NULL) {
		fprintf(stderr, "conn: no IPv6 loopback here, %s skipped\n", what);
		return false;
	}
	ts_stop(v6);
	return true;
}

enum peer_kind {
	P_END,      /* the end of the list */
	P_REFUSED4, /* 127.0.0.1, a port where nothing listens */
	P_REFUSED6, /* [::1], the same */
	P_SILENT,   /* 127.0.0.1, a listener whose queue is full: no answer */
	P_SERVER,   /* a test server greeting "220 server N", N its place */
};

#define MAX_PEERS 3

enum budget { B_BUDGET, B_DEADLINE, B_TWO_DEADLINES };

static const struct connect_case {
	const char *name;
	enum peer_kind peers[MAX_PEERS];
	enum budget budget;
	int used;             /* the place of the peer connected to; -1: none */
	enum fail_class cls;  /* when none: FAIL_CONN ("cannot connect: A: why;
			       * B: why") or FAIL_TIMEOUT ("timed out
			       * connecting (A: why; B: why)") */
} connect_cases[] = {
	{ "refused", { P_REFUSED4 }, B_BUDGET, -1, FAIL_CONN },
	{ "refused [::1]", { P_REFUSED6 }, B_BUDGET, -1, FAIL_CONN },
	{ "all refused", { P_REFUSED4, P_REFUSED4 }, B_BUDGET, -1, FAIL_CONN },
	{ "refused, then a server", { P_REFUSED4, P_SERVER }, B_BUDGET, 1, FAIL_NONE },
	{ "refused [::1], then a server", { P_REFUSED6, P_SERVER }, B_BUDGET, 1, FAIL_NONE },
	{ "two servers: the first", { P_SERVER, P_SERVER }, B_BUDGET,
	  0, FAIL_NONE },
	/* At the deadline, within the slack after it. */
	{ "silent", { P_SILENT }, B_DEADLINE, -1, FAIL_TIMEOUT },
	{ "all silent", { P_SILENT, P_SILENT }, B_DEADLINE, -1, FAIL_TIMEOUT },
	{ "refused, then silent", { P_REFUSED4, P_SILENT }, B_DEADLINE, -1, FAIL_TIMEOUT },
	/* The silent one gets half the budget, then the server answers.  Half
	 * the budget is a whole test deadline, so that a first address given
	 * the whole budget shows. */
	{ "silent, then a server", { P_SILENT, P_SERVER }, B_TWO_DEADLINES, 1, FAIL_NONE },
};

/* The peers of a case, made. */
struct peers {
	struct sockaddr_storage ss[MAX_PEERS];
	socklen_t sl[MAX_PEERS];
	struct addr_list list;
	struct testserver *ts[MAX_PEERS];
	int lfd[MAX_PEERS], filler[MAX_PEERS];
	char who[MAX_PEERS][ADDR_TEXT_MAX];
	const char *why[MAX_PEERS];
};

static void peers_make(struct peers *pp, const enum peer_kind *kinds)
{
	static char greeting[MAX_PEERS][32];
	static struct ts_step steps[MAX_PEERS][3];

	memset(pp, 0, sizeof(*pp));
	pp->list = (struct addr_list){ .cap = MAX_PEERS, .addr = pp->ss, .len = pp->sl };
	for (size_t i = 0; i < MAX_PEERS && kinds[i] != P_END; i++, pp->list.n++) {
		pp->lfd[i] = pp->filler[i] = -1;
		switch (kinds[i]) {
		case P_REFUSED4:
		case P_REFUSED6:
			ts_refused_addr(kinds[i] == P_REFUSED6 ? AF_INET6 : AF_INET, &pp->ss[i],
					&pp->sl[i]);
			pp->why[i] = "connection refused";
			break;
		case P_SILENT:
			pp->lfd[i] = silent_listener(&pp->ss[i], &pp->sl[i], &pp->filler[i]);
			pp->why[i] = "no answer";
			break;
		default:
			snprintf(greeting[i], sizeof(greeting[i]), "220 server %zu\r\n", i);
			steps[i][0] = (struct ts_step)TS_SEND(greeting[i]);
			steps[i][1] = (struct ts_step)TS_HANG;
			steps[i][2] = (struct ts_step)TS_END;
			pp->ts[i] = ts_start(AF_INET, steps[i]);
			pp->ss[i] = ts_addrs(pp->ts[i])->addr[0];
			pp->sl[i] = ts_addrs(pp->ts[i])->len[0];
			pp->why[i] = "?";
		}
		addr_format((struct sockaddr *)&pp->ss[i], true, pp->who[i], sizeof(pp->who[i]));
	}
}

static void peers_free(struct peers *pp)
{
	for (size_t i = 0; i < pp->list.n; i++) {
		ts_stop(pp->ts[i]);
		if (pp->lfd[i] >= 0) {
			close(pp->filler[i]);
			close(pp->lfd[i]);
		}
	}
}

START_TEST(test_connect)
{
	const struct connect_case *cc = &connect_cases[_i];
	struct transcript *t = transcript_new();
	struct conn_params p = { 0 };
	struct fail f = { 0 };
	struct deadline d;
	struct peers pp;
	struct conn *c;
	char want[512], line[32];
	int64_t took;
	size_t used = 0;

	for (size_t i = 0; i < MAX_PEERS; i++)
		if (cc->peers[i] == P_REFUSED6 && !have_ipv6(cc->name)) {
			transcript_free(t);
			return;
		}
	peers_make(&pp, cc->peers);
	deadline_start(&d, cc->budget == B_BUDGET ? BUDGET_MS
			   : cc->budget == B_DEADLINE ? UNIT_DEADLINE_MS : 2 * UNIT_DEADLINE_MS);
	p.deadline = &d;
	p.transcript = t;
	c = conn_connect(&pp.list, &p, NULL, &f);
	took = mono_now_ns() - d.start_ns;
	if (cc->used >= 0) {
		ck_assert_msg(c != NULL, "%s: %s", cc->name, f.text);
		ck_assert_str_eq(conn_peer(c), pp.who[cc->used]);
		ck_assert(!conn_is_tls(c));
		snprintf(want, sizeof(want), "-- connected to %s", pp.who[cc->used]);
		ck_assert_str_eq(transcript_get(t, 0), want);
		snprintf(line, sizeof(line), "220 server %d", cc->used);
		expect_line(c, line, strlen(line));
		if (cc->budget == B_TWO_DEADLINES)
			ck_assert_msg(took >= (UNIT_DEADLINE_MS - 10) * MS &&
					      took < (UNIT_DEADLINE_MS + UNIT_SLACK_MS) * MS,
				      "%s: took %lld ms", cc->name, (long long)(took / MS));
		else
			ck_assert_int_gt(deadline_left_ms(&d), BUDGET_MS / 2);
		conn_close(c);
	} else {
		ck_assert_ptr_null(c);
		ck_assert_msg(f.cls == cc->cls, "%s: %s (%d)", cc->name, f.text, f.cls);
		used = (size_t)snprintf(want, sizeof(want), "%s",
					cc->cls == FAIL_CONN ? "cannot connect: " : "timed out connecting (");
		for (size_t i = 0; i < pp.list.n; i++)
			used += (size_t)snprintf(want + used, sizeof(want) - used, "%s%s: %s",
						 i ? "; " : "", pp.who[i], pp.why[i]);
		if (cc->cls == FAIL_TIMEOUT)
			snprintf(want + used, sizeof(want) - used, ")");
		ck_assert_str_eq(f.text, want);
		if (cc->budget == B_DEADLINE)
			assert_on_time(&d, mono_now_ns());
		else
			ck_assert_int_gt(deadline_left_ms(&d), BUDGET_MS / 2); /* at once */
		ck_assert_uint_eq(transcript_count(t), 0);
	}
	for (size_t i = 0; i < pp.list.n; i++) /* [::1] is written in brackets */
		ck_assert(pp.who[i][0] == (cc->peers[i] == P_REFUSED6 ? '[' : '1'));
	peers_free(&pp);
	transcript_free(t);
}
END_TEST

START_TEST(test_connect_empty_list)
{
	struct addr_list list = { .n = 0, .cap = 0, .addr = NULL, .len = NULL };
	struct conn_params p = { 0 };
	struct fail f = { 0 };
	struct deadline d;

	deadline_start(&d, BUDGET_MS);
	p.deadline = &d;
	ck_assert_ptr_null(conn_connect(&list, &p, NULL, &f));
	ck_assert_int_eq(f.cls, FAIL_INTERNAL);
	ck_assert_ptr_null(conn_connect(NULL, &p, NULL, &f));
	ck_assert_int_eq(f.cls, FAIL_INTERNAL);
}
END_TEST

/* ---- conn_open: where to connect, and the stages timed -------------------- */

/* A loopback UDP port where nothing listens, as a DNS server list: a
 * resolver that never asks the system's servers, and says "connection
 * refused" at once to a name that needs DNS. */
static void refused_dns(char *buf, size_t len)
{
	struct sockaddr_in in = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(in);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&in, sl), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&in, &sl), 0);
	close(fd);
	snprintf(buf, len, "127.0.0.1:%d", ntohs(in.sin_port));
}

static int port_of(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

enum open_addrs {
	OA_NONE,             /* p.addrs NULL: p.host is looked up */
	OA_SERVER,           /* the server's address */
	OA_REFUSED,          /* the server's address with a port nothing listens on */
	OA_REFUSED_SERVER,   /* that, then the server's address */
};
enum open_port { OP_SERVER, OP_ZERO, OP_REFUSED };
enum open_tls { OT_NONE, OT_GOOD, OT_EXPIRED };

/* Which stages have a time (the others are NaN). */
#define ST_R 1
#define ST_C 2
#define ST_T 4

static const struct open_case {
	const char *name;
	const char *host;
	bool resolver;
	enum open_addrs addrs;
	enum open_port port;
	int family;           /* p.family */
	int server_family;
	enum open_tls tls;
	enum fail_class cls;  /* FAIL_NONE: connected */
	const char *text;     /* the failure's text begins so */
	const char *tail;     /* ... and ends so ("" for anything) */
	int stages;
} open_cases[] = {
	{ "literal", "127.0.0.1", true, OA_NONE, OP_SERVER, AF_UNSPEC, AF_INET, OT_NONE,
	  FAIL_NONE, NULL, NULL, ST_R | ST_C },
	{ "literal of the family asked", "127.0.0.1", true, OA_NONE, OP_SERVER, AF_INET, AF_INET,
	  OT_NONE, FAIL_NONE, NULL, NULL, ST_R | ST_C },
	{ "IPv6 literal", "::1", true, OA_NONE, OP_SERVER, AF_UNSPEC, AF_INET6, OT_NONE,
	  FAIL_NONE, NULL, NULL, ST_R | ST_C },
	{ "literal, implicit TLS", "127.0.0.1", true, OA_NONE, OP_SERVER, AF_UNSPEC, AF_INET,
	  OT_GOOD, FAIL_NONE, NULL, NULL, ST_R | ST_C | ST_T },
	{ "literal, implicit TLS fails", "127.0.0.1", true, OA_NONE, OP_SERVER, AF_UNSPEC,
	  AF_INET, OT_EXPIRED, FAIL_TLS, "certificate verification failed: certificate has expired",
	  "", ST_R | ST_C },
	{ "literal, nothing listens", "127.0.0.1", true, OA_NONE, OP_REFUSED, AF_UNSPEC, AF_INET,
	  OT_NONE, FAIL_CONN, "cannot connect: 127.0.0.1:", ": connection refused", ST_R },
	{ "addresses, their port replaced", NULL, false, OA_REFUSED, OP_SERVER, AF_UNSPEC,
	  AF_INET, OT_NONE, FAIL_NONE, NULL, NULL, ST_R | ST_C },
	{ "addresses with port 0: their own ports", NULL, false, OA_REFUSED_SERVER, OP_ZERO,
	  AF_UNSPEC, AF_INET, OT_NONE, FAIL_NONE, NULL, NULL, ST_R | ST_C },
	{ "addresses with port 0: their own port refuses", NULL, false, OA_REFUSED, OP_ZERO,
	  AF_UNSPEC, AF_INET, OT_NONE, FAIL_CONN, "cannot connect: 127.0.0.1:",
	  ": connection refused", ST_R },
	{ "addresses with implicit TLS", "localhost", false, OA_SERVER, OP_ZERO, AF_UNSPEC,
	  AF_INET, OT_GOOD, FAIL_NONE, NULL, NULL, ST_R | ST_C | ST_T },
	/* FAIL_DNS: nothing to connect to, before any connect. */
	{ "addresses, none of the family", "mail.test", false, OA_SERVER, OP_SERVER, AF_INET6,
	  AF_INET, OT_NONE, FAIL_DNS, "mail.test: no IPv6 address", "", 0 },
	{ "literal of the other family", "127.0.0.1", true, OA_NONE, OP_SERVER, AF_INET6, AF_INET,
	  OT_NONE, FAIL_DNS, "127.0.0.1: no IPv6 address (it is an IPv4 address)", "", 0 },
	{ "name, the DNS server refuses", "nothing.invalid", true, OA_NONE, OP_SERVER, AF_UNSPEC,
	  AF_INET, OT_NONE, FAIL_DNS, "nothing.invalid: connection refused by 127.0.0.1:", "", 0 },
	{ "empty name", "", true, OA_NONE, OP_SERVER, AF_UNSPEC, AF_INET, OT_NONE, FAIL_DNS,
	  "no host name given", "", 0 },
	/* The caller's mistakes. */
	{ "no host, no addresses", NULL, true, OA_NONE, OP_SERVER, AF_UNSPEC, AF_INET, OT_NONE,
	  FAIL_INTERNAL, "no host to connect to", "", 0 },
	{ "a name, no resolver", "mail.test", false, OA_NONE, OP_SERVER, AF_UNSPEC, AF_INET,
	  OT_NONE, FAIL_INTERNAL, "no host to connect to", "", 0 },
};

static void assert_stage(const char *name, const char *stage, double v, bool set)
{
	if (set)
		ck_assert_msg(!isnan(v) && v >= 0 && v < BUDGET_MS / 1000.0, "%s: %s %f", name,
			      stage, v);
	else
		ck_assert_msg(isnan(v), "%s: %s %f, want NaN", name, stage, v);
}

START_TEST(test_conn_open)
{
	const struct open_case *oc = &open_cases[_i];
	const struct ts_step plain[] = { TS_SEND("220 open\r\n"), TS_HANG, TS_END };
	const struct ts_step good[] = {
		TS_TLS(ts_certs.good), TS_SEND("220 open\r\n"), TS_HANG, TS_END,
	};
	const struct ts_step expired[] = { TS_TLS(ts_certs.expired), TS_HANG, TS_END };
	struct tls_params tp = { .host = "localhost", .ca_file = ts_certs.ca };
	struct testserver *ts = ts_start(oc->server_family, oc->tls == OT_GOOD ? good
					 : oc->tls == OT_EXPIRED ? expired : plain);
	struct sockaddr_storage ss[2];
	socklen_t sl[2];
	struct addr_list list = { .n = 0, .cap = 2, .addr = ss, .len = sl };
	struct conn_stages st = { -1, -1, -1 };
	struct resolver *r = NULL;
	struct conn_params p = { 0 };
	struct tls_info info = { 0 };
	struct fail f = { 0 };
	struct deadline d;
	struct conn *c;
	char dns[64], want[ADDR_TEXT_MAX];
	int refused_port;

	if (ts == NULL) {
		fprintf(stderr, "conn: no IPv6 loopback here, %s skipped\n", oc->name);
		return;
	}
	ts_refused_addr(oc->server_family, &ss[0], &sl[0]);
	refused_port = port_of(&ss[0]);
	ss[0] = ts_addrs(ts)->addr[0];
	sl[0] = ts_addrs(ts)->len[0];
	if (oc->addrs == OA_REFUSED || oc->addrs == OA_REFUSED_SERVER)
		addr_set_port(&ss[0], refused_port);
	list.n = oc->addrs == OA_REFUSED_SERVER ? 2 : 1;
	ss[1] = ts_addrs(ts)->addr[0];
	sl[1] = ts_addrs(ts)->len[0];

	deadline_start(&d, BUDGET_MS);
	if (oc->resolver) {
		struct resolver_params rp = { .deadline = &d, .servers = dns };

		refused_dns(dns, sizeof(dns));
		r = resolver_new(&rp, &f);
		ck_assert_msg(r != NULL, "%s", f.text);
	}
	p = (struct conn_params){
		.deadline = &d, .resolver = r, .host = oc->host,
		.addrs = oc->addrs == OA_NONE ? NULL : &list,
		.port = oc->port == OP_SERVER ? ts_port(ts) : oc->port == OP_REFUSED ? refused_port : 0,
		.family = oc->family, .tls = oc->tls != OT_NONE ? &tp : NULL,
	};
	c = conn_open(&p, &st, &info, &f);
	if (oc->cls == FAIL_NONE) {
		ck_assert_msg(c != NULL, "%s: %s", oc->name, f.text);
		addr_format((const struct sockaddr *)&ts_addrs(ts)->addr[0], true, want, sizeof(want));
		ck_assert_str_eq(conn_peer(c), want);
		ck_assert_int_eq(conn_is_tls(c), oc->tls != OT_NONE);
		if (oc->tls != OT_NONE)
			ck_assert(info.verified && info.has_cert);
		expect_line(c, "220 open", 8);
		conn_close(c);
	} else {
		ck_assert_ptr_null(c);
		ck_assert_msg(f.cls == oc->cls && strstr(f.text, oc->text) == f.text &&
			      strlen(f.text) >= strlen(oc->tail) &&
			      strcmp(f.text + strlen(f.text) - strlen(oc->tail), oc->tail) == 0,
			      "%s: %s (%d)", oc->name, f.text, f.cls);
		if (oc->tls == OT_EXPIRED)
			ck_assert(info.has_cert && !info.verified);
	}
	/* A failure is known at once, not at the deadline. */
	ck_assert_int_gt(deadline_left_ms(&d), BUDGET_MS / 2);
	assert_stage(oc->name, "resolve_s", st.resolve_s, oc->stages & ST_R);
	/* nothing to look up: addresses given take no time to resolve */
	if (oc->addrs != OA_NONE && (oc->stages & ST_R))
		ck_assert_msg(st.resolve_s == 0, "%s: resolve_s %g for addresses given", oc->name,
			      st.resolve_s);
	assert_stage(oc->name, "connect_s", st.connect_s, oc->stages & ST_C);
	assert_stage(oc->name, "tls_s", st.tls_s, oc->stages & ST_T);
	if (oc->stages & ST_C) /* the lookup and the connect together */
		ck_assert(st.connect_s >= st.resolve_s);
	resolver_free(r);
	ts_stop(ts);
}
END_TEST

/* Stages may be NULL. */
START_TEST(test_conn_open_no_stages)
{
	const struct ts_step steps[] = { TS_SEND("220 open\r\n"), TS_HANG, TS_END };
	struct testserver *ts = ts_start(AF_INET, steps);
	struct conn_params p = { 0 };
	struct fail f = { 0 };
	struct deadline d;
	struct conn *c;

	deadline_start(&d, BUDGET_MS);
	p = (struct conn_params){ .deadline = &d, .addrs = ts_addrs(ts) };
	c = conn_open(&p, NULL, NULL, &f);
	ck_assert_msg(c != NULL, "%s", f.text);
	expect_line(c, "220 open", 8);
	conn_close(c);
	ts_stop(ts);
}
END_TEST

START_TEST(test_ipv6)
{
	const struct ts_step steps[] = {
		TS_SEND("+OK POP3 ready\r\n"), TS_READLINE, TS_SEND("+OK bye\r\n"), TS_CLOSE, TS_END,
	};
	struct testserver *ts = ts_start(AF_INET6, steps);
	struct fail f = { 0 };
	struct deadline d;
	struct conn *c;
	char want[64];

	if (ts == NULL) {
		fprintf(stderr, "conn: no IPv6 loopback here, test_ipv6 skipped\n");
		return;
	}
	deadline_start(&d, BUDGET_MS);
	c = open_to(ts, &d, NULL, 0);
	snprintf(want, sizeof(want), "[::1]:%d", ts_port(ts));
	ck_assert_str_eq(conn_peer(c), want);
	expect_line(c, "+OK POP3 ready", 14);
	ck_assert_int_eq(conn_send_line(c, "QUIT", NULL, &f), 0);
	expect_line(c, "+OK bye", 7);
	ck_assert_str_eq(ts_received(ts, 1), "QUIT\r\n");
	expect_read_fails(c, FAIL_CONN, "connection closed by the server");
	conn_close(c);
	ts_stop(ts);
}
END_TEST

/* ---- sending, the transcript --------------------------------------------- */

START_TEST(test_send_line_masked)
{
	const struct ts_step steps[] = {
		TS_SEND("+OK ready\r\n"), TS_READLINE, TS_READLINE, TS_READLINE,
		TS_SEND("+OK logged in\r\n"), TS_HANG, TS_END,
	};
	struct testserver *ts = ts_start(AF_INET, steps);
	struct transcript *t = transcript_new();
	struct fail f = { 0 };
	struct deadline d;
	struct conn *c;
	char masked[64], big[3000];

	memset(big, 'B', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	deadline_start(&d, BUDGET_MS);
	c = open_to(ts, &d, t, 0);
	expect_line(c, "+OK ready", 9);
	ck_assert_int_eq(conn_send_line(c, "USER bob", NULL, &f), 0);
	transcript_mask("PASS s3cr3t", 5, masked, sizeof(masked));
	ck_assert_int_eq(conn_send_line(c, "PASS s3cr3t", masked, &f), 0);
	ck_assert_int_eq(conn_send_line(c, big, "BIG", &f), 0); /* over the stack copy */
	expect_line(c, "+OK logged in", 13);
	{
		const char *got = ts_received(ts, 3);

		ck_assert_int_eq(strncmp(got, "USER bob\r\nPASS s3cr3t\r\n", 23), 0);
		ck_assert_uint_eq(strlen(got), 23 + sizeof(big) - 1 + 2);
		ck_assert_int_eq(strcmp(got + strlen(got) - 2, "\r\n"), 0);
	}
	ck_assert(transcript_has(t, "S: +OK ready"));
	ck_assert(transcript_has(t, "C: USER bob"));
	ck_assert(transcript_has(t, "C: PASS ********"));
	ck_assert(transcript_has(t, "C: BIG"));
	ck_assert(transcript_has(t, "S: +OK logged in"));
	ck_assert(!transcript_mentions(t, "s3cr3t"));
	conn_close(c);
	transcript_free(t);
	ts_stop(ts);
}
END_TEST

/* A line holding CR or LF is refused before anything is sent or recorded:
 * a --from address with a CRLF in it must not smuggle a second command. */
START_TEST(test_send_line_refuses_line_ends)
{
	static const char *const bad[] = {
		"MAIL FROM:<a@b>\r\nRCPT TO:<x@y>", "QUIT\n", "\rRSET", "A\rB",
	};
	const struct ts_step steps[] = { TS_READLINE, TS_HANG, TS_END };
	struct testserver *ts = ts_start(AF_INET, steps);
	struct transcript *t = transcript_new();
	struct fail f = { 0 };
	struct deadline d;
	struct conn *c;
	size_t before;

	deadline_start(&d, BUDGET_MS);
	c = open_to(ts, &d, t, 0);
	before = transcript_count(t);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(conn_send_line(c, bad[i], NULL, &f), -1);
		ck_assert_int_eq(f.cls, FAIL_INTERNAL);
		ck_assert_ptr_nonnull(strstr(f.text, "CR or LF"));
	}
	ck_assert_uint_eq(transcript_count(t), before);
	ck_assert_int_eq(conn_send_line(c, "NOOP", NULL, &f), 0);
	ck_assert_str_eq(ts_received(ts, 1), "NOOP\r\n");
	conn_close(c);
	transcript_free(t);
	ts_stop(ts);
}
END_TEST

/* Several lines in one write (PIPELINING): the server reads them all
 * before it answers any, so a client that waited for a reply between them
 * would hang here.  Each is recorded, a secret masked. */
START_TEST(test_send_lines)
{
	const struct ts_step steps[] = {
		TS_SEND("+OK ready\r\n"), TS_READLINE, TS_READLINE, TS_READLINE, TS_READLINE,
		TS_SEND("+OK 1\r\n+OK 2\r\n+OK 3\r\n+OK 4\r\n"),
		TS_READLINE, TS_READLINE, TS_SEND("+OK big\r\n"), TS_HANG, TS_END,
	};
	static const char *const lines[] = { "USER bob", "PASS s3cr3t", "STAT", "LIST" };
	static const char *const shown[] = { NULL, "PASS ********", NULL, NULL };
	struct testserver *ts = ts_start(AF_INET, steps);
	struct transcript *t = transcript_new();
	struct fail f = { 0 };
	struct deadline d;
	struct conn *c;
	size_t before;
	char big[3000], want[3100];
	const char *batch2[2] = { big, "NOOP" };

	memset(big, 'B', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	deadline_start(&d, BUDGET_MS);
	c = open_to(ts, &d, t, 0);
	expect_line(c, "+OK ready", 9);
	before = transcript_count(t);
	ck_assert_int_eq(conn_send_lines(c, NULL, NULL, 0, &f), 0); /* nothing */
	ck_assert_uint_eq(transcript_count(t), before);
	ck_assert_int_eq(conn_send_lines(c, lines, shown, 4, &f), 0);
	expect_line(c, "+OK 1", 5);
	expect_line(c, "+OK 2", 5);
	expect_line(c, "+OK 3", 5);
	expect_line(c, "+OK 4", 5);
	/* Over the stack copy; shown NULL: every line as it is. */
	ck_assert_int_eq(conn_send_lines(c, batch2, NULL, 2, &f), 0);
	expect_line(c, "+OK big", 7);
	snprintf(want, sizeof(want), "USER bob\r\nPASS s3cr3t\r\nSTAT\r\nLIST\r\n%s\r\nNOOP\r\n", big);
	ck_assert_str_eq(ts_received(ts, 6), want);
	ck_assert_str_eq(transcript_get(t, before), "C: USER bob");
	ck_assert_str_eq(transcript_get(t, before + 1), "C: PASS ********");
	ck_assert_str_eq(transcript_get(t, before + 2), "C: STAT");
	ck_assert_str_eq(transcript_get(t, before + 3), "C: LIST");
	ck_assert(transcript_has(t, "C: NOOP"));
	ck_assert(!transcript_mentions(t, "s3cr3t"));
	conn_close(c);
	transcript_free(t);
	ts_stop(ts);
}
END_TEST

/* A CR or LF in any line of a batch: the whole batch is refused, nothing
 * is sent (not even the good lines before it) and nothing recorded. */
static const struct bad_batch {
	size_t n;
	const char *lines[5];
} bad_batches[] = {
	{ 2, { "USER bob", "PASS pw\r\nDELE 1" } },   /* the last line */
	{ 2, { "USER bob\n", "PASS pw" } },           /* the first */
	{ 3, { "STAT", "LIST\r", "QUIT" } },         /* a bare CR in the middle */
	{ 5, { "STAT", "LIST", "UIDL", "TOP 1 0", "\nQUIT" } },
	{ 1, { "MAIL FROM:<a@b>\r\nRCPT TO:<x@y>" } },
};

START_TEST(test_send_lines_refused)
{
	const struct bad_batch *bb = &bad_batches[_i];
	const struct ts_step steps[] = { TS_READLINE, TS_HANG, TS_END };
	struct testserver *ts = ts_start(AF_INET, steps);
	struct transcript *t = transcript_new();
	struct fail f = { 0 };
	struct deadline d;
	struct conn *c;
	size_t before;

	deadline_start(&d, BUDGET_MS);
	c = open_to(ts, &d, t, 0);
	before = transcript_count(t);
	ck_assert_int_eq(conn_send_lines(c, bb->lines, NULL, bb->n, &f), -1);
	ck_assert_int_eq(f.cls, FAIL_INTERNAL);
	ck_assert_str_eq(f.text, "refusing to send a line that holds CR or LF");
	ck_assert_uint_eq(transcript_count(t), before);
	/* The first line the server reads is the next one sent. */
	ck_assert_int_eq(conn_send_line(c, "NOOP", NULL, &f), 0);
	ck_assert_str_eq(ts_received(ts, 1), "NOOP\r\n");
	conn_close(c);
	transcript_free(t);
	ts_stop(ts);
}
END_TEST

START_TEST(test_conn_write_raw)
{
	const struct ts_step steps[] = { TS_READLINE, TS_HANG, TS_END };
	struct testserver *ts = ts_start(AF_INET, steps);
	struct transcript *t = transcript_new();
	struct fail f = { 0 };
	struct deadline d;
	struct conn *c;
	size_t before;

	deadline_start(&d, BUDGET_MS);
	c = open_to(ts, &d, t, 0);
	before = transcript_count(t);
	ck_assert_int_eq(conn_write(c, "DATA", 4, &f), 0);
	ck_assert_int_eq(conn_write(c, "\0raw\n", 5, &f), 0);
	ck_assert_int_eq(memcmp(ts_received(ts, 1), "DATA\0raw\n", 9), 0);
	ck_assert_uint_eq(transcript_count(t), before); /* raw writes are not recorded */
	conn_close(c);
	transcript_free(t);
	ts_stop(ts);
}
END_TEST

START_TEST(test_record_off)
{
	const struct ts_step steps[] = {
		TS_SEND("+OK 3 messages\r\n1 100\r\n2 200\r\n3 300\r\n.\r\n+OK more\r\n"), TS_HANG,
		TS_END,
	};
	struct testserver *ts = ts_start(AF_INET, steps);
	struct transcript *t = transcript_new();
	struct deadline d;
	struct conn *c;

	deadline_start(&d, BUDGET_MS);
	c = open_to(ts, &d, t, 0);
	expect_line(c, "+OK 3 messages", 14);
	conn_record(c, false);
	expect_line(c, "1 100", 5);
	expect_line(c, "2 200", 5);
	expect_line(c, "3 300", 5);
	conn_record(c, true);
	expect_line(c, ".", 1);
	expect_line(c, "+OK more", 8);
	ck_assert(transcript_has(t, "S: +OK 3 messages"));
	ck_assert(!transcript_mentions(t, "S: 1 100"));
	ck_assert(!transcript_mentions(t, "S: 2 200"));
	ck_assert(!transcript_mentions(t, "S: 3 300"));
	ck_assert(transcript_has(t, "S: ."));
	ck_assert(transcript_has(t, "S: +OK more"));
	ck_assert_uint_eq(transcript_count(t), 4); /* connected, 3 lines */
	conn_close(c);
	transcript_free(t);
	ts_stop(ts);
}
END_TEST

/* ---- TLS: implicit, STARTTLS -------------------------------------------- */

START_TEST(test_implicit_tls)
{
	const struct ts_step steps[] = {
		TS_TLS(ts_certs.good), TS_SEND("+OK ready\r\n"), TS_READLINE,
		TS_SEND_PIECES("+OK\r\nbye\r\n", 3, 10), TS_CLOSE, TS_END,
	};
	struct testserver *ts = ts_start(AF_INET, steps);
	struct tls_params tp = { .host = "localhost", .ca_file = ts_certs.ca };
	struct transcript *t = transcript_new();
	struct conn_params p = { 0 };
	struct tls_info info;
	struct fail f = { 0 };
	struct deadline d;
	struct conn *c;

	deadline_start(&d, BUDGET_MS);
	p = (struct conn_params){ .deadline = &d, .transcript = t, .tls = &tp };
	c = conn_connect(ts_addrs(ts), &p, &info, &f);
	ck_assert_msg(c != NULL, "%s", f.text);
	ck_assert(conn_is_tls(c));
	ck_assert(info.verified);
	ck_assert_str_eq(info.version, "TLSv1.3");
	ck_assert_str_eq(info.subject, "CN=localhost");
	ck_assert(transcript_mentions(t, "-- TLS handshake: TLSv1.3, "));
	expect_line(c, "+OK ready", 9);
	ck_assert_int_eq(conn_send_line(c, "QUIT", NULL, &f), 0);
	expect_line(c, "+OK", 3);
	expect_line(c, "bye", 3);
	ck_assert_str_eq(ts_received(ts, 1), "QUIT\r\n");
	expect_read_fails(c, FAIL_CONN, "connection closed by the server");
	ck_assert_uint_eq(conn_injected(c), 0);
	conn_close(c);
	transcript_free(t);
	ts_stop(ts);
}
END_TEST

START_TEST(test_implicit_tls_expired)
{
	const struct ts_step steps[] = { TS_TLS(ts_certs.expired), TS_HANG, TS_END };
	struct testserver *ts = ts_start(AF_INET, steps);
	struct tls_params tp = { .host = "localhost", .ca_file = ts_certs.ca };
	struct conn_params p = { 0 };
	struct tls_info info;
	struct fail f = { 0 };
	struct deadline d;

	deadline_start(&d, BUDGET_MS);
	p = (struct conn_params){ .deadline = &d, .tls = &tp };
	ck_assert_ptr_null(conn_connect(ts_addrs(ts), &p, &info, &f));
	ck_assert_int_eq(f.cls, FAIL_TLS);
	ck_assert_msg(strstr(f.text, "certificate has expired") != NULL, "%s", f.text);
	ck_assert(info.has_cert && !info.verified);
	ts_stop(ts);
}
END_TEST

/* Implicit TLS to a server that greets in plaintext at once (a wrong port):
 * the greeting is what the handshake reads, and it says so, however soon
 * the greeting came.  It used to be dropped, as plaintext injected after
 * STARTTLS is, when it came before the handshake began (about one run in
 * a hundred here), and then the handshake waited for the deadline.  A race,
 * so tried many times: each try ends at once unless the greeting was lost. */
START_TEST(test_implicit_tls_plaintext_greeting)
{
	const struct ts_step steps[] = { TS_SEND("220 mail.test ESMTP\r\n"), TS_HANG, TS_END };
	struct tls_params tp = { .host = "localhost", .ca_file = ts_certs.ca };
	struct deadline d;

	for (int i = 0; i < 100; i++) {
		struct testserver *ts = ts_start(AF_INET, steps);
		struct conn_params p = { .deadline = &d, .tls = &tp, .addrs = ts_addrs(ts) };
		struct tls_info info;
		struct fail f = { 0 };

		deadline_start(&d, UNIT_DEADLINE_MS);
		ck_assert_ptr_null(conn_open(&p, NULL, &info, &f));
		ck_assert_msg(f.cls == FAIL_TLS && info.plaintext, "try %d: %s (%d)", i, f.text,
			      f.cls);
		ts_stop(ts);
	}
}
END_TEST

/* Implicit TLS to a server that accepts and never answers the ClientHello:
 * conn_connect gives up at the deadline. */
START_TEST(test_implicit_tls_silent)
{
	const struct ts_step steps[] = { TS_HANG, TS_END };
	struct testserver *ts = ts_start(AF_INET, steps);
	struct tls_params tp = { .host = "localhost", .ca_file = ts_certs.ca };
	struct conn_params p = { 0 };
	struct tls_info info;
	struct fail f = { 0 };
	struct deadline d;

	deadline_start(&d, UNIT_DEADLINE_MS);
	p = (struct conn_params){ .deadline = &d, .tls = &tp };
	ck_assert_ptr_null(conn_connect(ts_addrs(ts), &p, &info, &f));
	assert_on_time(&d, mono_now_ns());
	ck_assert_int_eq(f.cls, FAIL_TIMEOUT);
	ck_assert_str_eq(f.text, "timed out in the TLS handshake");
	ts_stop(ts);
}
END_TEST

static const struct tls_end_case {
	struct ts_step steps[5];
	enum fail_class cls;
	const char *text;
} tls_end_cases[] = {
	{ { TS_TLS(ts_certs.good), TS_SEND("+OK\r\n"), TS_CLOSE, TS_END }, FAIL_CONN,
	  "connection closed by the server" },
	{ { TS_TLS(ts_certs.good), TS_SEND("+OK\r\n"), TS_CLOSE_RAW, TS_END }, FAIL_CONN,
	  "connection closed by the server" },
	{ { TS_TLS(ts_certs.good), TS_SEND("+OK\r\n+O"), TS_CLOSE, TS_END }, FAIL_CONN,
	  "connection closed by the server in the middle of a line" },
	{ { TS_TLS(ts_certs.good), TS_SEND("+OK\r\n"), TS_SLEEP(100), TS_RESET, TS_END },
	  FAIL_CONN, "connection reset by the server" },
	{ { TS_TLS(ts_certs.good), TS_SEND("+OK\r\n"), TS_HANG, TS_END }, FAIL_TIMEOUT,
	  "timed out" },
};

/* Over TLS: close (with close_notify), close in a line, reset, silence.
 * The handshake is not what is timed (under valgrind it takes a good part
 * of a second): silence gets a fresh deadline once "+OK" is read. */
START_TEST(test_tls_end)
{
	const struct tls_end_case *tc = &tls_end_cases[_i];
	struct testserver *ts = ts_start(AF_INET, tc->steps);
	struct tls_params tp = { .host = "localhost", .ca_file = ts_certs.ca };
	struct conn_params p = { 0 };
	struct fail f = { 0 };
	struct deadline d;
	struct conn *c;
	int64_t now;

	deadline_start(&d, BUDGET_MS);
	p = (struct conn_params){ .deadline = &d, .tls = &tp };
	c = conn_connect(ts_addrs(ts), &p, NULL, &f);
	ck_assert_msg(c != NULL, "%s", f.text);
	expect_line(c, "+OK", 3);
	if (tc->cls == FAIL_TIMEOUT)
		deadline_start(&d, UNIT_DEADLINE_MS); /* the connection's deadline */
	expect_read_fails(c, tc->cls, tc->text);
	now = mono_now_ns();
	if (tc->cls == FAIL_TIMEOUT)
		assert_on_time(&d, now);
	conn_close(c);
	ts_stop(ts);
}
END_TEST

static const struct starttls_case {
	const char *go_ahead;  /* the server's answer to STARTTLS, and what follows */
	int pause_ms;          /* before it sends `late` */
	const char *late;      /* more plaintext, sent later (or NULL) */
	int client_wait_ms;    /* the client waits this long before the handshake */
	size_t injected;
} starttls_cases[] = {
	{ "220 go ahead\r\n", 0, NULL, 0, 0 },
	{ "220 go ahead\r\n250 injected\r\n", 0, NULL, 0, 14 },        /* same segment */
	/* still in the socket */
	{ "220 go ahead\r\n", INJECT_LATE_MS, "250 injected\r\n", INJECT_CLIENT_WAIT_MS, 14 },
	/* both */
	{ "220 go ahead\r\n250 a\r\n", INJECT_LATE_MS, "250 bb\r\n", INJECT_CLIENT_WAIT_MS, 15 },
};

START_TEST(test_starttls)
{
	const struct starttls_case *sc = &starttls_cases[_i];
	const struct ts_step steps[] = {
		TS_SEND("220 mail.example.test ESMTP\r\n"),
		TS_READLINE,
		TS_SEND(sc->go_ahead),
		TS_SLEEP(sc->pause_ms),
		sc->late ? (struct ts_step)TS_SEND(sc->late) : (struct ts_step)TS_SLEEP(0),
		TS_TLS(ts_certs.good),
		TS_READLINE,
		TS_SEND("250 after TLS\r\n"),
		TS_HANG,
		TS_END,
	};
	struct testserver *ts = ts_start(AF_INET, steps);
	struct tls_params tp = { .host = "localhost", .ca_file = ts_certs.ca };
	struct transcript *t = transcript_new();
	struct tls_info info;
	struct fail f = { 0 };
	struct deadline d;
	struct conn *c;
	char note[128];

	deadline_start(&d, BUDGET_MS);
	c = open_to(ts, &d, t, 0);
	expect_line(c, "220 mail.example.test ESMTP", 27);
	ck_assert_int_eq(conn_send_line(c, "STARTTLS", NULL, &f), 0);
	expect_line(c, "220 go ahead", 12);
	if (sc->client_wait_ms > 0)
		sleep_ms(sc->client_wait_ms);
	ck_assert(!conn_is_tls(c));
	ck_assert_msg(conn_starttls(c, &tp, &info, &f) == 0, "%s", f.text);
	ck_assert(conn_is_tls(c));
	ck_assert(info.verified);
	ck_assert_uint_eq(conn_injected(c), sc->injected);
	snprintf(note, sizeof(note),
		 "-- discarded %zu bytes of plaintext sent before the TLS handshake", sc->injected);
	ck_assert(transcript_has(t, note) == (sc->injected > 0));
	ck_assert_int_eq(conn_send_line(c, "EHLO client.test", NULL, &f), 0);
	/* The injected "250" lines are gone: the next line came over TLS. */
	expect_line(c, "250 after TLS", 13);
	ck_assert_str_eq(ts_received(ts, 2), "STARTTLS\r\nEHLO client.test\r\n");
	/* No second upgrade. */
	ck_assert_int_eq(conn_starttls(c, &tp, &info, &f), -1);
	ck_assert_int_eq(f.cls, FAIL_INTERNAL);
	conn_close(c);
	transcript_free(t);
	ts_stop(ts);
}
END_TEST

/* STARTTLS where the server goes on in plaintext: the handshake fails at
 * once; where it never starts the handshake: at the deadline. */
START_TEST(test_starttls_fails)
{
	const struct ts_step plain[] = {
		TS_SEND("220 go ahead\r\n"), TS_SLEEP(PLAINTEXT_LATE_MS),
		TS_SEND("250 plaintext, not TLS\r\n"),
		TS_HANG, TS_END,
	};
	const struct ts_step silent[] = { TS_SEND("220 go ahead\r\n"), TS_HANG, TS_END };
	struct testserver *ts = ts_start(AF_INET, _i == 0 ? plain : silent);
	struct tls_params tp = { .host = "localhost", .ca_file = ts_certs.ca };
	struct fail f = { 0 };
	struct deadline d;
	struct conn *c;

	deadline_start(&d, _i == 0 ? BUDGET_MS : UNIT_DEADLINE_MS);
	c = open_to(ts, &d, NULL, 0);
	expect_line(c, "220 go ahead", 12);
	ck_assert_int_eq(conn_starttls(c, &tp, NULL, &f), -1);
	if (_i == 0) {
		ck_assert_int_eq(f.cls, FAIL_TLS);
		ck_assert_msg(strstr(f.text, "TLS handshake failed") == f.text, "%s", f.text);
		ck_assert_int_gt(deadline_left_ms(&d), BUDGET_MS / 2);
	} else {
		ck_assert_int_eq(f.cls, FAIL_TIMEOUT);
		assert_on_time(&d, mono_now_ns());
	}
	ck_assert(!conn_is_tls(c));
	conn_close(c);
	ts_stop(ts);
}
END_TEST

/* ---- a peer that has gone ------------------------------------------------- */

/* Sending to a server that reset the connection (plain, and over TLS)
 * fails as a connection failure.  SIGPIPE is at its default disposition
 * here, so a send that raised it would kill the test: nothing in the
 * library may rely on it being ignored. */
START_TEST(test_send_after_reset)
{
	bool tls = _i == 1;
	/* The reset comes a second after the accept: a reset at once can beat
	 * the client's own check that its connect went through (then it is a
	 * connect failure, not this test's case). */
	const struct ts_step plain_steps[] = { TS_SLEEP(1000), TS_RESET, TS_END };
	const struct ts_step tls_steps[] = { TS_TLS(ts_certs.good), TS_RESET, TS_END };
	struct testserver *ts = ts_start(AF_INET, tls ? tls_steps : plain_steps);
	struct tls_params tp = { .host = "localhost", .ca_file = ts_certs.ca };
	struct sigaction dfl = { .sa_handler = SIG_DFL }, old;
	sigset_t pipe_set, old_mask;
	struct conn_params p = { 0 };
	struct fail f = { 0 };
	struct deadline d;
	struct conn *c;
	int rc = 0;

	sigemptyset(&dfl.sa_mask);
	ck_assert_int_eq(sigaction(SIGPIPE, &dfl, &old), 0);
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	ck_assert_int_eq(sigprocmask(SIG_UNBLOCK, &pipe_set, &old_mask), 0);
	deadline_start(&d, BUDGET_MS);
	p = (struct conn_params){ .deadline = &d, .tls = tls ? &tp : NULL };
	c = conn_connect(ts_addrs(ts), &p, NULL, &f);
	ck_assert_msg(c != NULL, "%s", f.text);
	expect_read_fails(c, FAIL_CONN, "connection reset by the server");
	/* The first send may still be buffered by the kernel; a later one
	 * cannot be. */
	for (int i = 0; i < 3 && rc == 0; i++)
		rc = conn_send_line(c, "QUIT", NULL, &f);
	ck_assert_int_eq(rc, -1);
	ck_assert_int_eq(f.cls, FAIL_CONN);
	ck_assert_str_eq(f.text, "connection closed by the server while sending");
	/* Once more: still no signal. */
	ck_assert_int_eq(conn_send_line(c, "QUIT", NULL, &f), -1);
	conn_close(c);
	ts_stop(ts);
	ck_assert_int_eq(sigprocmask(SIG_SETMASK, &old_mask, NULL), 0);
	ck_assert_int_eq(sigaction(SIGPIPE, &old, NULL), 0);
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

Suite *conn_suite(void)
{
	Suite *s = suite_create("conn");
	TCase *lines = tcase_create("lines");
	TCase *connect = tcase_create("connect");
	TCase *tls = tcase_create("tls");

	tcase_set_timeout(lines, UNIT_TIMEOUT);
	tcase_add_unchecked_fixture(lines, certs_setup, certs_teardown);
	tcase_add_loop_test(lines, test_lines_split, 0, N(split_cases));
	tcase_add_loop_test(lines, test_line_bound, 0, N(bound_cases));
	tcase_add_test(lines, test_many_lines);
	tcase_add_loop_test(lines, test_read_response, 0, N(multi_cases));
	tcase_add_test(lines, test_read_response_closed);
	tcase_add_loop_test(lines, test_early_close, 0, N(close_cases));
	tcase_add_loop_test(lines, test_never_answers, 0, N(silent_cases));
	tcase_add_loop_test(lines, test_deadline_data_waiting, 0, 2);
	tcase_add_loop_test(lines, test_deadline_stream, 0, 2);
	tcase_add_test(lines, test_send_line_masked);
	tcase_add_test(lines, test_send_line_refuses_line_ends);
	tcase_add_test(lines, test_send_lines);
	tcase_add_loop_test(lines, test_send_lines_refused, 0, N(bad_batches));
	tcase_add_test(lines, test_conn_write_raw);
	tcase_add_test(lines, test_record_off);
	suite_add_tcase(s, lines);

	tcase_set_timeout(connect, UNIT_TIMEOUT);
	tcase_add_unchecked_fixture(connect, certs_setup, certs_teardown);
	tcase_add_loop_test(connect, test_connect, 0, N(connect_cases));
	tcase_add_test(connect, test_connect_empty_list);
	tcase_add_test(connect, test_ipv6);
	tcase_add_loop_test(connect, test_conn_open, 0, N(open_cases));
	tcase_add_test(connect, test_conn_open_no_stages);
	suite_add_tcase(s, connect);

	tcase_set_timeout(tls, UNIT_TIMEOUT);
	tcase_add_unchecked_fixture(tls, certs_setup, certs_teardown);
	tcase_add_test(tls, test_implicit_tls);
	tcase_add_test(tls, test_implicit_tls_expired);
	tcase_add_test(tls, test_implicit_tls_silent);
	tcase_add_test(tls, test_implicit_tls_plaintext_greeting);
	tcase_add_loop_test(tls, test_tls_end, 0, N(tls_end_cases));
	tcase_add_loop_test(tls, test_starttls, 0, N(starttls_cases));
	tcase_add_loop_test(tls, test_starttls_fails, 0, 2);
	tcase_add_loop_test(tls, test_send_after_reset, 0, 2);
	suite_add_tcase(s, tls);
	return s;
}
