/* pop3: status lines and RFC 2449 codes, APOP timestamps, CAPA, multi-line
 * unstuffing, STAT/LIST/UIDL lines, header collection for TOP; the session
 * (pop3_session) against scripted servers: logins, PIPELINING, line caps,
 * the oldest message's age, the connect and implicit TLS. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "pop3.h"
#include "suites.h"
#include "testserver.h"

#define U(s) ((const unsigned char *)(s))

static const struct reply_case {
	const char *line;
	int rc;
	enum pop3_status status;
	const char *code;
	const char *text;
} reply_cases[] = {
	{ "+OK", 0, POP3_OK, "", "" },
	{ "+OK 2 320", 0, POP3_OK, "", "2 320" },
	{ "+OK Dovecot ready. <1.2@vm>", 0, POP3_OK, "", "Dovecot ready. <1.2@vm>" },
	{ "-ERR", 0, POP3_ERR, "", "" },
	{ "-ERR [IN-USE] Mailbox locked", 0, POP3_ERR, "IN-USE", "Mailbox locked" },
	{ "-ERR [SYS/TEMP] try later", 0, POP3_ERR, "SYS/TEMP", "try later" },
	{ "-ERR [AUTH] Authentication failed.", 0, POP3_ERR, "AUTH", "Authentication failed." },
	{ "-ERR [LOGIN-DELAY]", 0, POP3_ERR, "LOGIN-DELAY", "" },
	{ "-ERR [unclosed text", 0, POP3_ERR, "", "[unclosed text" },
	{ "-ERR [] empty", 0, POP3_ERR, "", "[] empty" },
	{ "-ERR bad\x01" "byte", 0, POP3_ERR, "", "bad?byte" },
	{ "+ ", 0, POP3_CONT, "", "" },
	{ "+", 0, POP3_CONT, "", "" },
	{ "+ [AUTH] not a code here", 0, POP3_CONT, "", "[AUTH] not a code here" },
	{ "+OKAY", -1, 0, NULL, NULL },
	{ "-ERROR", -1, 0, NULL, NULL },
	{ "220 smtp.example ESMTP", -1, 0, NULL, NULL },
	{ "", -1, 0, NULL, NULL },
	{ "+ok", -1, 0, NULL, NULL },
	{ "\xff\xfe garbage", -1, 0, NULL, NULL },
};

START_TEST(test_reply)
{
	const struct reply_case *c = &reply_cases[_i];
	struct pop3_reply r;
	int rc = pop3_parse_reply(U(c->line), strlen(c->line), &r);

	ck_assert_int_eq(rc, c->rc);
	if (rc == 0) {
		ck_assert_int_eq(r.status, c->status);
		ck_assert_str_eq(r.code, c->code);
		ck_assert_str_eq(r.text, c->text);
	}
}
END_TEST

START_TEST(test_code_hierarchy)
{
	struct pop3_reply r;

	pop3_parse_reply(U("-ERR [SYS/TEMP] x"), 17, &r);
	ck_assert(pop3_code_is(&r, "SYS"));
	ck_assert(pop3_code_is(&r, "sys/temp"));
	ck_assert(!pop3_code_is(&r, "SYS/PERM"));
	ck_assert(!pop3_code_is(&r, "SY"));
	ck_assert(!pop3_code_is(&r, "AUTH"));
	pop3_parse_reply(U("-ERR no code"), 12, &r);
	ck_assert(!pop3_code_is(&r, "AUTH"));
	ck_assert(!pop3_code_is(&r, ""));
}
END_TEST

static const struct apop_case {
	const char *greeting;
	const char *want; /* NULL: none */
} apop_cases[] = {
	{ "+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>",
	  "<1896.697170952@dbc.mtview.ca.us>" },
	{ "+OK Dovecot (Debian) ready. <58a4.1.6b028aed.ybrJ9e==@vm>", "<58a4.1.6b028aed.ybrJ9e==@vm>" },
	{ "+OK ready", NULL },
	{ "+OK <no-at-sign>", NULL },
	{ "+OK <a b@c>", NULL },
	{ "+OK <unclosed@x", NULL },
	{ "+OK <x@y\x01>", NULL },
};

START_TEST(test_apop_timestamp)
{
	const struct apop_case *c = &apop_cases[_i];
	char out[128];
	int rc = pop3_apop_timestamp(U(c->greeting), strlen(c->greeting), out, sizeof(out));

	if (c->want == NULL) {
		ck_assert_int_eq(rc, -1);
	} else {
		ck_assert_int_eq(rc, 0);
		ck_assert_str_eq(out, c->want);
	}
}
END_TEST

START_TEST(test_apop_timestamp_too_long)
{
	char out[8];

	ck_assert_int_eq(pop3_apop_timestamp(U("+OK <12345@host>"), 16, out, sizeof(out)), -1);
}
END_TEST

START_TEST(test_capa)
{
	static const char *const lines[] = {
		"CAPA", "TOP", "UIDL", "RESP-CODES", "PIPELINING", "AUTH-RESP-CODE", "STLS",
		"user", "SASL PLAIN LOGIN", "X-FUTURE-THING 1 2", "TOPX", "EXPIRE NEVER",
		"IMPLEMENTATION Shlemazle-Plotz-v302", "",
	};
	struct pop3_capa c = { 0 };

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		pop3_capa_line(&c, U(lines[i]), strlen(lines[i]));
	ck_assert(c.top && c.uidl && c.resp_codes && c.pipelining && c.auth_resp_code);
	ck_assert(c.stls && c.user && c.has_sasl && c.sasl_plain);
	ck_assert_str_eq(c.sasl, "PLAIN LOGIN");
	ck_assert_uint_eq(c.lines, 14);
	ck_assert_uint_eq(c.unknown, 3); /* X-FUTURE-THING, TOPX, the empty line */
}
END_TEST

START_TEST(test_capa_sasl_without_plain)
{
	struct pop3_capa c = { 0 };

	pop3_capa_line(&c, U("SASL CRAM-MD5 PLAINX XPLAIN"), 27);
	pop3_capa_line(&c, U("STLSX"), 5);
	ck_assert(c.has_sasl && !c.sasl_plain && !c.stls);
	pop3_capa_line(&c, U("SASL"), 4);
	ck_assert(!c.sasl_plain);
}
END_TEST

static const struct data_case {
	const char *line;
	int end;
	const char *data;
} data_cases[] = {
	{ ".", 1, NULL },
	{ "..", 0, "." },
	{ "...", 0, ".." },
	{ "..hidden", 0, ".hidden" },
	{ ".x", 0, "x" },
	{ "plain", 0, "plain" },
	{ "", 0, "" },
	{ " .", 0, " ." },
};

START_TEST(test_data_line)
{
	const struct data_case *c = &data_cases[_i];
	const unsigned char *d = NULL;
	size_t n = 99;
	int rc = pop3_data_line(U(c->line), strlen(c->line), &d, &n);

	ck_assert_int_eq(rc, c->end);
	if (!c->end) {
		ck_assert_uint_eq(n, strlen(c->data));
		ck_assert(memcmp(d, c->data, n) == 0);
	}
}
END_TEST

static const struct num_case {
	const char *text;
	int rc;
	unsigned long a;
	unsigned long long b;
} stat_cases[] = {
	{ "3 21677", 0, 3, 21677 },
	{ "0 0", 0, 0, 0 },
	{ "2 320 extra words", 0, 2, 320 },
	{ "100000 18446744073709", 0, 100000, 18446744073709ULL },
	{ "3", -1, 0, 0 },
	{ "3  21677", -1, 0, 0 },
	{ "-3 21677", -1, 0, 0 },
	{ "3 21677x", -1, 0, 0 },
	{ "3 99999999999999999999", -1, 0, 0 },
	{ "", -1, 0, 0 },
	{ "a b", -1, 0, 0 },
};

START_TEST(test_stat)
{
	const struct num_case *c = &stat_cases[_i];
	unsigned long a = 7;
	unsigned long long b = 7;

	ck_assert_int_eq(pop3_parse_stat(U(c->text), strlen(c->text), &a, &b), c->rc);
	if (c->rc == 0) {
		ck_assert_uint_eq(a, c->a);
		ck_assert_uint_eq(b, c->b);
	}
}
END_TEST

START_TEST(test_scan)
{
	unsigned long m;
	unsigned long long s;

	ck_assert_int_eq(pop3_parse_scan(U("1 18833"), 7, &m, &s), 0);
	ck_assert_uint_eq(m, 1);
	ck_assert_uint_eq(s, 18833);
	ck_assert_int_eq(pop3_parse_scan(U("0 18833"), 7, &m, &s), -1); /* no message 0 */
	ck_assert_int_eq(pop3_parse_scan(U("1"), 1, &m, &s), -1);
	ck_assert_int_eq(pop3_parse_scan(U("x 1"), 3, &m, &s), -1);
}
END_TEST

START_TEST(test_uidl)
{
	unsigned long m;
	char uid[71 + 1];
	char long_uid[80];

	ck_assert_int_eq(pop3_parse_uidl(U("1 000000016b0289c2"), 18, &m, uid, sizeof(uid)), 0);
	ck_assert_uint_eq(m, 1);
	ck_assert_str_eq(uid, "000000016b0289c2");
	ck_assert_int_eq(pop3_parse_uidl(U("1 "), 2, &m, uid, sizeof(uid)), -1);
	ck_assert_int_eq(pop3_parse_uidl(U("1 a b"), 5, &m, uid, sizeof(uid)), -1);
	ck_assert_int_eq(pop3_parse_uidl(U("1 a\x01"), 4, &m, uid, sizeof(uid)), -1);
	memset(long_uid, 'x', sizeof(long_uid));
	long_uid[0] = '2';
	long_uid[1] = ' ';
	ck_assert_int_eq(pop3_parse_uidl(U(long_uid), 72, &m, uid, sizeof(uid)), 0); /* 70 */
	ck_assert_int_eq(pop3_parse_uidl(U(long_uid), 73, &m, uid, sizeof(uid)), -1); /* 71 */
}
END_TEST

START_TEST(test_headers)
{
	static const char *const lines[] = {
		"Return-Path: <sender@lab.test>",
		"Received: from client.lab.test (localhost [127.0.0.1])",
		"\tby mail.lab.test (Postfix) with ESMTP id SEED0004",
		"\tfor <bob@lab.test>; Sun, 01 Nov 2026 06:20:45 +0000",
		"Received: from older.example; Sat, 31 Oct 2026 06:20:45 +0000",
		"DATE:   Sun, 01 Nov 2026",
		" 06:20:45 +0000",
		"Subject: probe",
		"  netcheck-TOKEN-42 end",
		"Subject: second subject ignored",
		"X-Not-A-Date: Mon, 02 Nov 2026 00:00:00 +0000",
		"no colon here",
		"",
		"Date: in the body, ignored",
	};
	struct pop3_headers h;

	pop3_headers_init(&h);
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		pop3_headers_line(&h, U(lines[i]), strlen(lines[i]));
	ck_assert(h.has_date && h.has_subject && h.has_received && h.in_body);
	ck_assert_str_eq(h.date, "Sun, 01 Nov 2026 06:20:45 +0000");
	ck_assert_str_eq(h.subject, "probe netcheck-TOKEN-42 end");
	ck_assert_str_eq(h.received, "from client.lab.test (localhost [127.0.0.1]) by "
				     "mail.lab.test (Postfix) with ESMTP id SEED0004 for "
				     "<bob@lab.test>; Sun, 01 Nov 2026 06:20:45 +0000");
	ck_assert(pop3_subject_has(&h, "netcheck-token-42"));
	ck_assert(pop3_subject_has(&h, "probe"));
	ck_assert(!pop3_subject_has(&h, "TOKEN-43"));
	ck_assert(!pop3_subject_has(&h, ""));
}
END_TEST

START_TEST(test_headers_truncate_long_values)
{
	struct pop3_headers h;
	unsigned char line[3000];

	memset(line, 'a', sizeof(line));
	memcpy(line, "Subject: ", 9);
	pop3_headers_init(&h);
	pop3_headers_line(&h, line, sizeof(line));
	pop3_headers_line(&h, U(" more"), 5);
	ck_assert_uint_eq(strlen(h.subject), sizeof(h.subject) - 1);
	ck_assert(!pop3_subject_has(&h, "more"));
}
END_TEST

START_TEST(test_state_names)
{
	for (int s = 0; s < POP3_ST_LAST; s++)
		ck_assert_ptr_nonnull(pop3_state_name((enum pop3_state)s));
	ck_assert_str_eq(pop3_state_name(POP3_ST_LIST), "LIST");
	ck_assert_str_eq(pop3_state_name(POP3_ST_LAST), "?");
	ck_assert(pop3_state_is_login(POP3_ST_PASS));
	ck_assert(!pop3_state_is_login(POP3_ST_STAT));
}
END_TEST

/* ---- the client against scripted servers (tests/unit/testserver) ------- */

static void certs_setup(void)
{
	ts_certs_make();
}

static void certs_teardown(void)
{
	ts_certs_remove();
}

struct session {
	struct testserver *ts;
	struct deadline d;
	struct pop3_outcome o;
	struct fail f;
	int rc;
};

/* Runs pop3_session against a server playing steps, to its address. */
static void session_run(struct session *s, const struct ts_step *steps,
			const struct pop3_params *p)
{
	memset(s, 0, sizeof(*s));
	s->ts = ts_start(AF_INET, steps);
	ck_assert_ptr_nonnull(s->ts);
	deadline_start(&s->d, UNIT_BUDGET_MS);
	s->rc = pop3_session(&(struct conn_params){ .deadline = &s->d, .max_line = POP3_MAX_LINE,
						     .addrs = ts_addrs(s->ts) },
			     p, &s->o, &s->f);
}

#define LOGIN_STEPS                                                         \
	TS_SEND("+OK ready <1896.697170952@dbc.mtview.ca.us>\r\n"),          \
	TS_READLINE, TS_SEND("+OK\r\nUSER\r\nTOP\r\n.\r\n"),                    \
	TS_READLINE, TS_SEND("+OK\r\n"),                                       \
	TS_READLINE, TS_SEND("+OK logged in\r\n")
#define LOGIN_SENT "CAPA\r\nUSER alice\r\nPASS s3cret\r\n"

/* Log in, one message: its headers are `top` (TOP 1 0), then QUIT. */
#define AGE_STEPS(top)                                                      \
	{ LOGIN_STEPS, TS_READLINE, TS_SEND("+OK 1 120\r\n"),                   \
	  TS_READLINE, TS_SEND("+OK\r\n" top "\r\n.\r\n"),                       \
	  TS_READLINE, TS_SEND("+OK bye\r\n"), TS_CLOSE, TS_END }
#define AGE_SENT LOGIN_SENT "STAT\r\nTOP 1 0\r\nQUIT\r\n"

/* Lines for the caps: CAPA lines, header lines. */
#define CAP1 "X-CAP\r\n"
#define CAP10 CAP1 CAP1 CAP1 CAP1 CAP1 CAP1 CAP1 CAP1 CAP1 CAP1
#define CAP100 CAP10 CAP10 CAP10 CAP10 CAP10 CAP10 CAP10 CAP10 CAP10 CAP10
#define HDR1 "X-H: v\r\n"
#define HDR8 HDR1 HDR1 HDR1 HDR1 HDR1 HDR1 HDR1 HDR1
#define HDR10 HDR8 HDR1 HDR1
#define HDR90 HDR10 HDR10 HDR10 HDR10 HDR10 HDR10 HDR10 HDR10 HDR10
#define HDR100 HDR90 HDR10
#define HDR900 HDR100 HDR100 HDR100 HDR100 HDR100 HDR100 HDR100 HDR100 HDR100
#define HDR1000 HDR900 HDR100
#define DATE_NOV1 "Date: Sun, 01 Nov 2026 06:20:45 +0000\r\n" /* 1793514045 */

#define USER_PW .user = "alice", .password = "s3cret", .allow_plaintext_auth = true

static void check_user_pass_stat_list_top(const struct session *s)
{
	ck_assert(s->o.has_apop && s->o.capa.seen && s->o.capa.top && !s->o.capa.stls);
	ck_assert(s->o.has_stat && s->o.count == 2 && s->o.size == 1508);
	ck_assert(s->o.has_largest && s->o.largest == 865 && s->o.largest_msg == 2);
	ck_assert(s->o.t_auth >= 0 && s->o.t_stat >= 0 && s->o.t_greeting >= 0);
}

static void check_pipelined(const struct session *s)
{
	ck_assert(s->o.capa.pipelining);
	ck_assert(s->o.has_stat && s->o.count == 1 && s->o.has_largest && s->o.largest == 120);
}

static void check_empty_mailbox(const struct session *s)
{
	ck_assert(s->o.has_stat && s->o.count == 0 && !s->o.has_largest);
}

static void check_apop(const struct session *s)
{
	ck_assert(!s->o.capa.seen);
	ck_assert(s->o.has_stat && s->o.count == 0 && !s->o.has_largest);
}

static void check_in_use(const struct session *s)
{
	ck_assert(pop3_code_is(&s->o.reply, "IN-USE"));
	ck_assert(!s->o.has_stat);
}

static void check_find_and_delete(const struct session *s)
{
	ck_assert_uint_eq(s->o.examined, 3);
	ck_assert_uint_eq(s->o.found_n, 2);
	ck_assert_uint_eq(s->o.found[0], 3);
	ck_assert_uint_eq(s->o.found[1], 1);
	ck_assert_str_eq(s->o.found_subject, "probe TOKEN");
	ck_assert_uint_eq(s->o.deleted, 2);
}

static void check_cut_after_dele(const struct session *s)
{
	ck_assert(s->o.dele_sent);
	ck_assert_uint_eq(s->o.deleted, 0);
}

static void check_no_dele(const struct session *s)
{
	ck_assert(!s->o.dele_sent);
}

static void check_capa_100(const struct session *s)
{
	ck_assert(s->o.capa.seen);
	ck_assert_uint_eq(s->o.capa.lines, 100);
	ck_assert_uint_eq(s->o.capa.unknown, 100);
}

static void check_top_1000(const struct session *s)
{
	ck_assert(s->o.has_oldest);
	ck_assert_int_eq((long long)s->o.oldest, 1793514045LL);
}

static const struct session_case {
	const char *name;
	struct ts_step steps[24];
	struct pop3_params p;
	enum pop3_state state;  /* POP3_ST_DONE: rc 0 */
	enum fail_class cls;
	const char *text;       /* the failure's text begins so */
	const char *sent;       /* exactly what the server read, NULL: not checked */
	/* the oldest message's date, when want_age */
	bool has_oldest;
	long long oldest;
	const char *oldest_from;
	const char *date_problem; /* begins so; NULL: the age is not checked */
	void (*check)(const struct session *s);
} session_cases[] = {
	{ "USER/PASS, STAT, LIST, TOP",
	  { LOGIN_STEPS,
	    TS_READLINE, TS_SEND("+OK 2 1508\r\n"),
	    TS_READLINE, TS_SEND("+OK 2 messages\r\n1 643\r\n2 865\r\n.\r\n"),
	    TS_READLINE, TS_SEND("+OK\r\n" DATE_NOV1 "Subject: x\r\n\r\n.\r\n"),
	    TS_READLINE, TS_SEND("+OK bye\r\n"), TS_CLOSE, TS_END },
	  { USER_PW, .want_list = true, .want_age = true },
	  POP3_ST_DONE, FAIL_NONE, NULL, LOGIN_SENT "STAT\r\nLIST\r\nTOP 1 0\r\nQUIT\r\n",
	  true, 1793514045LL, "Date", "message 1 has no Received", check_user_pass_stat_list_top },
	/* The server reads every command of a batch before it answers any:
	 * a client that waited for each reply would hang here. */
	{ "PIPELINING",
	  { TS_SEND("+OK hi\r\n"),
	    TS_READLINE, TS_SEND("+OK\r\nPIPELINING\r\nUSER\r\n.\r\n"),
	    TS_READLINE, TS_READLINE, TS_SEND("+OK\r\n+OK logged in\r\n"),
	    TS_READLINE, TS_READLINE, TS_READLINE, TS_READLINE,
	    TS_SEND("+OK 1 120\r\n+OK\r\n1 120\r\n.\r\n"
		    "+OK\r\nReceived: by x; Sun, 01 Nov 2026 07:20:45 +0100\r\n\r\n.\r\n"
		    "+OK bye\r\n"),
	    TS_CLOSE, TS_END },
	  { USER_PW, .want_list = true, .want_age = true },
	  POP3_ST_DONE, FAIL_NONE, NULL, LOGIN_SENT "STAT\r\nLIST\r\nTOP 1 0\r\nQUIT\r\n",
	  true, 1793514045LL, "Received", "", check_pipelined },
	/* TOP 1 0 went out before the count was known: its -ERR is no
	 * problem on an empty mailbox. */
	{ "PIPELINING, empty mailbox",
	  { TS_SEND("+OK hi\r\n"),
	    TS_READLINE, TS_SEND("+OK\r\nPIPELINING\r\n.\r\n"),
	    TS_READLINE, TS_READLINE, TS_SEND("+OK\r\n+OK\r\n"),
	    TS_READLINE, TS_READLINE, TS_READLINE, TS_READLINE,
	    TS_SEND("+OK 0 0\r\n+OK\r\n.\r\n-ERR no such message\r\n+OK bye\r\n"),
	    TS_CLOSE, TS_END },
	  { .user = "empty", .password = "pw", .allow_plaintext_auth = true, .want_list = true,
	    .want_age = true },
	  POP3_ST_DONE, FAIL_NONE, NULL,
	  "CAPA\r\nUSER empty\r\nPASS pw\r\nSTAT\r\nLIST\r\nTOP 1 0\r\nQUIT\r\n",
	  false, 0, NULL, "", check_empty_mailbox },
	/* Without TLS: APOP never sends the password.  The digest of RFC 1939
	 * section 7; no LIST or TOP of an empty box. */
	{ "APOP",
	  { TS_SEND("+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n"),
	    TS_READLINE, TS_SEND("-ERR no CAPA\r\n"),
	    TS_READLINE, TS_SEND("+OK maildrop has 0 messages\r\n"),
	    TS_READLINE, TS_SEND("+OK 0 0\r\n"),
	    TS_READLINE, TS_SEND("+OK\r\n"),
	    TS_CLOSE, TS_END },
	  { .user = "mrose", .password = "tanstaaf", .auth = POP3_AUTH_APOP, .want_list = true,
	    .want_age = true },
	  POP3_ST_DONE, FAIL_NONE, NULL,
	  "CAPA\r\nAPOP mrose c4c9334bac560ecc979e58001b3e22fb\r\nSTAT\r\nQUIT\r\n",
	  false, 0, NULL, "", check_apop },
	{ "IN-USE on PASS",
	  { TS_SEND("+OK hi\r\n"),
	    TS_READLINE, TS_SEND("+OK\r\nRESP-CODES\r\n.\r\n"),
	    TS_READLINE, TS_SEND("+OK\r\n"),
	    TS_READLINE, TS_SEND("-ERR [IN-USE] locked by another session\r\n"),
	    TS_READLINE, TS_END },
	  { .user = "bob", .password = "pw", .allow_plaintext_auth = true },
	  POP3_ST_PASS, FAIL_REPLY, "PASS: -ERR [IN-USE] locked by another session",
	  "CAPA\r\nUSER bob\r\nPASS pw\r\n", false, 0, NULL, NULL, check_in_use },
	{ "no password in plaintext",
	  { TS_SEND("+OK hi\r\n"), TS_READLINE, TS_SEND("+OK\r\nUSER\r\n.\r\n"),
	    TS_READLINE, TS_END },
	  { .user = "bob", .password = "pw" },
	  POP3_ST_CAPA, FAIL_INTERNAL,
	  "CAPA: refusing to send the password over an unencrypted connection", "CAPA\r\n",
	  false, 0, NULL, NULL, NULL },
	{ "find and delete",
	  { LOGIN_STEPS,
	    TS_READLINE, TS_SEND("+OK 3 300\r\n"),
	    TS_READLINE, TS_SEND("+OK\r\nSubject: probe TOKEN\r\n\r\n.\r\n"),
	    TS_READLINE, TS_SEND("+OK\r\nSubject: other\r\n\r\n.\r\n"),
	    TS_READLINE, TS_SEND("+OK\r\nSubject: older token\r\n\r\n.\r\n"),
	    TS_READLINE, TS_SEND("+OK\r\n"),
	    TS_READLINE, TS_SEND("+OK\r\n"),
	    TS_READLINE, TS_SEND("+OK bye\r\n"),
	    TS_CLOSE, TS_END },
	  { USER_PW, .find_subject = "token", .delete_found = true },
	  POP3_ST_DONE, FAIL_NONE, NULL,
	  LOGIN_SENT "STAT\r\nTOP 3 0\r\nTOP 2 0\r\nTOP 1 0\r\nDELE 3\r\nDELE 1\r\nQUIT\r\n",
	  false, 0, NULL, NULL, check_find_and_delete },
	/* Deleted only when QUIT gets its +OK. */
	{ "cut after DELE: nothing deleted",
	  { LOGIN_STEPS,
	    TS_READLINE, TS_SEND("+OK 1 100\r\n"),
	    TS_READLINE, TS_SEND("+OK\r\nSubject: TOKEN\r\n\r\n.\r\n"),
	    TS_READLINE, TS_SEND("+OK\r\n"),
	    TS_READLINE, TS_CLOSE_RAW, TS_END },
	  { USER_PW, .find_subject = "TOKEN", .delete_found = true },
	  POP3_ST_QUIT, FAIL_CONN, "QUIT: connection closed by the server",
	  LOGIN_SENT "STAT\r\nTOP 1 0\r\nDELE 1\r\nQUIT\r\n", false, 0, NULL, NULL,
	  check_cut_after_dele },
	{ "cut in the find: no DELE",
	  { LOGIN_STEPS,
	    TS_READLINE, TS_SEND("+OK 2 200\r\n"),
	    TS_READLINE, TS_SEND("+OK\r\nSubject: TOKEN\r\n"),
	    TS_RESET, TS_END },
	  { USER_PW, .find_subject = "TOKEN", .delete_found = true },
	  POP3_ST_FIND, FAIL_CONN, "TOP (find): ", LOGIN_SENT "STAT\r\nTOP 2 0\r\n",
	  false, 0, NULL, NULL, check_no_dele },

	/* ---- a line cap per reply: a server cannot make a session keep
	 * reading one reply for ever ---- */
	{ "CAPA of 100 lines: the cap",
	  { TS_SEND("+OK hi\r\n"), TS_READLINE, TS_SEND("+OK\r\n" CAP100 ".\r\n"),
	    TS_READLINE, TS_SEND("+OK\r\n"), TS_READLINE, TS_SEND("+OK\r\n"),
	    TS_READLINE, TS_SEND("+OK 0 0\r\n"), TS_READLINE, TS_SEND("+OK\r\n"), TS_CLOSE,
	    TS_END },
	  { USER_PW }, POP3_ST_DONE, FAIL_NONE, NULL, LOGIN_SENT "STAT\r\nQUIT\r\n",
	  false, 0, NULL, NULL, check_capa_100 },
	{ "CAPA of 101 lines",
	  { TS_SEND("+OK hi\r\n"), TS_READLINE, TS_SEND("+OK\r\n" CAP100 CAP1 ".\r\n"),
	    TS_READLINE, TS_END },
	  { USER_PW }, POP3_ST_CAPA, FAIL_PROTO, "CAPA: the reply has more than 100 lines",
	  "CAPA\r\n", false, 0, NULL, NULL, NULL },
	{ "LIST longer than STAT's count",
	  { LOGIN_STEPS, TS_READLINE, TS_SEND("+OK 2 300\r\n"),
	    TS_READLINE, TS_SEND("+OK\r\n1 100\r\n2 100\r\n3 100\r\n.\r\n"), TS_READLINE, TS_END },
	  { USER_PW, .want_list = true }, POP3_ST_LIST, FAIL_PROTO,
	  "LIST: the reply has more than 2 lines (STAT counted fewer messages)",
	  LOGIN_SENT "STAT\r\nLIST\r\n", false, 0, NULL, NULL, NULL },
	{ "UIDL longer than STAT's count",
	  { LOGIN_STEPS, TS_READLINE, TS_SEND("+OK 1 300\r\n"),
	    TS_READLINE, TS_SEND("+OK\r\n1 a\r\n2 b\r\n.\r\n"), TS_READLINE, TS_END },
	  { USER_PW, .want_uidl = true }, POP3_ST_UIDL, FAIL_PROTO,
	  "UIDL: the reply has more than 1 lines (STAT counted fewer messages)",
	  LOGIN_SENT "STAT\r\nUIDL\r\n", false, 0, NULL, NULL, NULL },
	{ "TOP of 1000 lines: the cap",
	  AGE_STEPS(DATE_NOV1 HDR900 HDR90 HDR8), /* 999 and the empty line */
	  { USER_PW, .want_age = true }, POP3_ST_DONE, FAIL_NONE, NULL, AGE_SENT,
	  true, 1793514045LL, "Date", "message 1 has no Received", check_top_1000 },
	{ "TOP of more than 1000 header lines",
	  AGE_STEPS(DATE_NOV1 HDR1000),
	  { USER_PW, .want_age = true }, POP3_ST_TOP_OLDEST, FAIL_PROTO,
	  "TOP of the oldest message: the reply has more than 1000 lines",
	  LOGIN_SENT "STAT\r\nTOP 1 0\r\n", false, 0, NULL, NULL, NULL },

	/* ---- a secret with a line end is never sent, not even in part ---- */
	{ "PIPELINING: CR LF in the password",
	  { TS_SEND("+OK hi\r\n"), TS_READLINE, TS_SEND("+OK\r\nPIPELINING\r\nUSER\r\n.\r\n"),
	    TS_READLINE, TS_READLINE, TS_SEND("+OK\r\n+OK\r\n"), TS_READLINE, TS_END },
	  { .user = "bob", .password = "pw\r\nDELE 1", .allow_plaintext_auth = true },
	  POP3_ST_USER, FAIL_INTERNAL, "USER: refusing to send a line that holds CR or LF",
	  "CAPA\r\n", false, 0, NULL, NULL, NULL },
	{ "PIPELINING: LF in the password",
	  { TS_SEND("+OK hi\r\n"), TS_READLINE, TS_SEND("+OK\r\nPIPELINING\r\nUSER\r\n.\r\n"),
	    TS_READLINE, TS_READLINE, TS_SEND("+OK\r\n+OK\r\n"), TS_READLINE, TS_END },
	  { .user = "bob", .password = "pw\n", .allow_plaintext_auth = true },
	  POP3_ST_USER, FAIL_INTERNAL, "USER: refusing to send a line that holds CR or LF",
	  "CAPA\r\n", false, 0, NULL, NULL, NULL },
	{ "PIPELINING: CR in the user name",
	  { TS_SEND("+OK hi\r\n"), TS_READLINE, TS_SEND("+OK\r\nPIPELINING\r\nUSER\r\n.\r\n"),
	    TS_READLINE, TS_READLINE, TS_SEND("+OK\r\n+OK\r\n"), TS_READLINE, TS_END },
	  { .user = "bob\rQUIT", .password = "pw", .allow_plaintext_auth = true },
	  POP3_ST_USER, FAIL_INTERNAL, "USER: refusing to send a line that holds CR or LF",
	  "CAPA\r\n", false, 0, NULL, NULL, NULL },
	/* One command at a time: USER goes, PASS does not. */
	{ "no PIPELINING: CR LF in the password",
	  { TS_SEND("+OK hi\r\n"), TS_READLINE, TS_SEND("+OK\r\nUSER\r\n.\r\n"),
	    TS_READLINE, TS_SEND("+OK\r\n"), TS_READLINE, TS_END },
	  { .user = "bob", .password = "pw\r\nDELE 1", .allow_plaintext_auth = true },
	  POP3_ST_PASS, FAIL_INTERNAL, "PASS: refusing to send a line that holds CR or LF",
	  "CAPA\r\nUSER bob\r\n", false, 0, NULL, NULL, NULL },

	/* ---- no user: the greeting, CAPA and QUIT, as check_pop; no
	 * login however the server invites it ---- */
	{ "no user: greeting, CAPA, QUIT",
	  { TS_SEND("+OK ready <1896.697170952@dbc.mtview.ca.us>\r\n"),
	    TS_READLINE, TS_SEND("+OK\r\nUSER\r\nPIPELINING\r\n.\r\n"),
	    TS_READLINE, TS_SEND("+OK bye\r\n"), TS_CLOSE, TS_END },
	  { .want_list = true, .want_age = true },
	  POP3_ST_DONE, FAIL_NONE, NULL, "CAPA\r\nQUIT\r\n", false, 0, NULL, NULL, NULL },
	{ "no user, no CAPA",
	  { TS_SEND("+OK hi\r\n"), TS_READLINE, TS_SEND("-ERR what\r\n"),
	    TS_READLINE, TS_SEND("+OK bye\r\n"), TS_CLOSE, TS_END },
	  { 0 }, POP3_ST_DONE, FAIL_NONE, NULL, "CAPA\r\nQUIT\r\n", false, 0, NULL, NULL, NULL },
	{ "no user: the greeting refused",
	  { TS_SEND("-ERR [SYS/TEMP] not now\r\n"), TS_READLINE, TS_END },
	  { 0 }, POP3_ST_GREETING, FAIL_REPLY, "greeting: -ERR [SYS/TEMP] not now", "",
	  false, 0, NULL, NULL, NULL },
	{ "no user: QUIT refused",
	  { TS_SEND("+OK hi\r\n"), TS_READLINE, TS_SEND("+OK\r\n.\r\n"),
	    TS_READLINE, TS_SEND("-ERR no\r\n"), TS_CLOSE, TS_END },
	  { 0 }, POP3_ST_QUIT, FAIL_REPLY, "QUIT: -ERR no", "CAPA\r\nQUIT\r\n",
	  false, 0, NULL, NULL, NULL },

	/* ---- the oldest message: when the last server took it (the
	 * topmost Received), the sender's Date only without a Received that
	 * parses ---- */
	{ "Received preferred over Date",
	  AGE_STEPS("Received: from mx.example by mail.test; Mon, 12 Oct 2026 07:20:45 +0000\r\n"
		    DATE_NOV1),
	  { USER_PW, .want_age = true }, POP3_ST_DONE, FAIL_NONE, NULL, AGE_SENT,
	  true, 1791789645LL, "Received", "", NULL },
	{ "the topmost Received",
	  AGE_STEPS("Received: by mail.test; Sun, 01 Nov 2026 01:20:45 +0000\r\n"
		    "Received: by relay.test; Fri, 02 Oct 2026 06:20:45 +0000\r\n" DATE_NOV1),
	  { USER_PW, .want_age = true }, POP3_ST_DONE, FAIL_NONE, NULL, AGE_SENT,
	  true, 1793496045LL, "Received", "", NULL },
	{ "Date without Received",
	  AGE_STEPS(DATE_NOV1 "Subject: x\r\n"),
	  { USER_PW, .want_age = true }, POP3_ST_DONE, FAIL_NONE, NULL, AGE_SENT,
	  true, 1793514045LL, "Date", "message 1 has no Received", NULL },
	{ "Received without a date that parses",
	  AGE_STEPS("Received: from mx.example by mail.test; yesterday\r\n" DATE_NOV1),
	  { USER_PW, .want_age = true }, POP3_ST_DONE, FAIL_NONE, NULL, AGE_SENT,
	  true, 1793514045LL, "Date",
	  "message 1: Received 'from mx.example by mail.test; yesterday' holds no date that "
	  "parses (", NULL },
	{ "Received without ';'",
	  AGE_STEPS("Received: from mx.example by mail.test\r\n" DATE_NOV1),
	  { USER_PW, .want_age = true }, POP3_ST_DONE, FAIL_NONE, NULL, AGE_SENT,
	  true, 1793514045LL, "Date",
	  "message 1: Received 'from mx.example by mail.test' holds no date that parses "
	  "(no ';' before the date)", NULL },
	{ "no date at all",
	  AGE_STEPS("Received: by mail.test; soon\r\nDate: some day\r\n"),
	  { USER_PW, .want_age = true }, POP3_ST_DONE, FAIL_NONE, NULL, AGE_SENT,
	  false, 0, NULL, "message 1: Received 'by mail.test; soon' holds no date that parses (",
	  NULL },
};

START_TEST(test_session)
{
	const struct session_case *c = &session_cases[_i];
	struct session s;
	char peer[64];

	session_run(&s, c->steps, &c->p);
	ck_assert_msg(s.o.state == c->state, "%s: state %s: %s", c->name,
		      pop3_state_name(s.o.state), s.f.text);
	if (c->state == POP3_ST_DONE) {
		ck_assert_msg(s.rc == 0, "%s: %s", c->name, s.f.text);
	} else {
		ck_assert_int_eq(s.rc, -1);
		ck_assert_msg(s.f.cls == c->cls && strstr(s.f.text, c->text) == s.f.text,
			      "%s: %s (%d)", c->name, s.f.text, s.f.cls);
	}
	/* Connected, plain: the connect timed, no TLS. */
	snprintf(peer, sizeof(peer), "127.0.0.1:%d", ts_port(s.ts));
	ck_assert_str_eq(s.o.peer, peer);
	ck_assert(!isnan(s.o.t_connect) && s.o.t_connect >= 0);
	ck_assert(!s.o.tls_done && isnan(s.o.t_tls));
	if (c->sent != NULL) {
		size_t lines = 0;

		for (const char *q = c->sent; *q; q++)
			lines += *q == '\n';
		/* One line more than expected: returns when the script ends,
		 * so a line sent after those would show. */
		ck_assert_str_eq(ts_received(s.ts, lines + 1), c->sent);
	}
	if (c->p.want_age && c->date_problem != NULL) {
		ck_assert_msg(s.o.has_oldest == c->has_oldest, "%s: has_oldest %d (%s)", c->name,
			      s.o.has_oldest, s.o.date_problem);
		if (c->has_oldest) {
			ck_assert_int_eq((long long)s.o.oldest, c->oldest);
			ck_assert_str_eq(s.o.oldest_from, c->oldest_from);
		}
		ck_assert_msg(strstr(s.o.date_problem, c->date_problem) == s.o.date_problem &&
			      (c->date_problem[0] != '\0' || s.o.date_problem[0] == '\0'),
			      "%s: date_problem '%s'", c->name, s.o.date_problem);
	}
	if (c->check != NULL)
		c->check(&s);
	ts_stop(s.ts);
}
END_TEST

/* ---- pop3_session: the connect, implicit TLS ------------------------------ */

enum connect_server { CS_REFUSED, CS_PLAINTEXT, CS_TLS, CS_TLS_EXPIRED };

static const struct connect_case {
	const char *name;
	enum connect_server server;
	enum pop3_state state;
	enum fail_class cls;
	const char *text;     /* the failure's text begins so */
	bool t_connect;       /* a time for the connect (else NaN) */
	bool tls_done;        /* and for TLS (t_tls) */
} connect_cases[] = {
	{ "nothing listens", CS_REFUSED, POP3_ST_CONNECT, FAIL_CONN,
	  "connect: cannot connect: 127.0.0.1:", false, false },
	{ "implicit TLS to a plaintext server", CS_PLAINTEXT, POP3_ST_CONNECT, FAIL_TLS,
	  "connect: TLS handshake failed: the server answered with plaintext, not TLS", true,
	  false },
	{ "implicit TLS, the certificate expired", CS_TLS_EXPIRED, POP3_ST_CONNECT, FAIL_TLS,
	  "connect: certificate verification failed: certificate has expired", true, false },
	/* Over TLS the password may go without allow_plaintext_auth. */
	{ "implicit TLS", CS_TLS, POP3_ST_DONE, FAIL_NONE, NULL, true, true },
};

START_TEST(test_session_connect)
{
	const struct connect_case *c = &connect_cases[_i];
	const struct ts_step tls_steps[] = {
		TS_TLS(ts_certs.good), TS_SEND("+OK hi\r\n"), TS_READLINE,
		TS_SEND("+OK\r\nUSER\r\n.\r\n"), TS_READLINE, TS_SEND("+OK\r\n"),
		TS_READLINE, TS_SEND("+OK\r\n"), TS_READLINE, TS_SEND("+OK 0 0\r\n"),
		TS_READLINE, TS_SEND("+OK bye\r\n"), TS_CLOSE, TS_END,
	};
	const struct ts_step plain_steps[] = { TS_SEND("+OK hi\r\n"), TS_HANG, TS_END };
	const struct ts_step expired_steps[] = { TS_TLS(ts_certs.expired), TS_HANG, TS_END };
	const struct pop3_params p = { .user = "bob", .password = "pw" };
	struct tls_params tp = { .host = "localhost", .ca_file = ts_certs.ca };
	struct testserver *ts = NULL;
	struct sockaddr_storage ss;
	socklen_t sl;
	struct addr_list refused = { .n = 1, .cap = 1, .addr = &ss, .len = &sl };
	struct pop3_outcome o;
	struct fail f = { 0 };
	struct deadline d;
	char peer[64];
	int rc;

	if (c->server == CS_REFUSED)
		ts_refused_addr(AF_INET, &ss, &sl);
	else
		ts = ts_start(AF_INET, c->server == CS_TLS ? tls_steps
				  : c->server == CS_TLS_EXPIRED ? expired_steps : plain_steps);
	deadline_start(&d, UNIT_BUDGET_MS);
	rc = pop3_session(&(struct conn_params){
				  .deadline = &d, .max_line = POP3_MAX_LINE,
				  .addrs = ts != NULL ? ts_addrs(ts) : &refused,
				  .tls = c->server == CS_REFUSED ? NULL : &tp },
			  &p, &o, &f);
	ck_assert_msg(o.state == c->state, "%s: state %s: %s", c->name, pop3_state_name(o.state),
		      f.text);
	ck_assert_int_eq(rc, c->state == POP3_ST_DONE ? 0 : -1);
	if (c->state != POP3_ST_DONE)
		ck_assert_msg(f.cls == c->cls && strstr(f.text, c->text) == f.text, "%s: %s (%d)",
			      c->name, f.text, f.cls);
	ck_assert_msg(isnan(o.t_connect) != c->t_connect, "%s: t_connect %f", c->name,
		      o.t_connect);
	ck_assert_int_eq(o.tls_done, c->tls_done);
	ck_assert_msg(isnan(o.t_tls) != c->tls_done, "%s: t_tls %f", c->name, o.t_tls);
	ck_assert_int_eq(o.tls.plaintext, c->server == CS_PLAINTEXT);
	if (c->server == CS_TLS_EXPIRED) /* the facts of the certificate refused */
		ck_assert(o.tls.has_cert && !o.tls.verified);
	if (c->state == POP3_ST_DONE) {
		snprintf(peer, sizeof(peer), "127.0.0.1:%d", ts_port(ts));
		ck_assert_str_eq(o.peer, peer);
		ck_assert(o.tls.verified && o.t_tls > 0 && o.t_connect >= 0);
		ck_assert(o.has_stat && o.count == 0);
		ck_assert_str_eq(ts_received(ts, 5), "CAPA\r\nUSER bob\r\nPASS pw\r\nSTAT\r\nQUIT\r\n");
	} else {
		ck_assert_str_eq(o.peer, "");
		ck_assert(isnan(o.t_greeting) && isnan(o.t_auth) && isnan(o.t_stat));
		ck_assert_int_gt(deadline_left_ms(&d), UNIT_BUDGET_MS / 2); /* at once */
	}
	ts_stop(ts);
}
END_TEST

/* forget_password: called once, when the login's reply is in (before
 * STAT is answered), for USER/PASS and for APOP; never without a login. */
struct forget {
	const struct session *s;
	int calls;
	bool stat_done;       /* STAT was answered when it was called */
};

static void count_forget(void *ctx)
{
	struct forget *fg = ctx;

	fg->calls++;
	fg->stat_done = fg->s->o.t_stat >= 0;
}

START_TEST(test_forget_password_after_login)
{
	const struct ts_step steps[] = AGE_STEPS(DATE_NOV1);
	const struct ts_step apop_steps[] = {
		TS_SEND("+OK ready <1896.697170952@dbc.mtview.ca.us>\r\n"),
		TS_READLINE, TS_SEND("-ERR no CAPA\r\n"),
		TS_READLINE, TS_SEND("+OK\r\n"),
		TS_READLINE, TS_SEND("+OK 0 0\r\n"),
		TS_READLINE, TS_SEND("+OK\r\n"), TS_CLOSE, TS_END,
	};
	const struct ts_step greeting_steps[] = {
		TS_SEND("+OK hi\r\n"), TS_READLINE, TS_SEND("+OK\r\n.\r\n"),
		TS_READLINE, TS_SEND("+OK bye\r\n"), TS_CLOSE, TS_END,
	};
	struct session s;
	struct forget fg = { .s = &s };
	struct pop3_params p = { USER_PW, .want_age = true, .forget_password = count_forget,
				 .ctx = &fg };

	session_run(&s, steps, &p);
	ck_assert_msg(s.rc == 0, "%s", s.f.text);
	ck_assert_int_eq(fg.calls, 1);
	ck_assert(!fg.stat_done);
	ts_stop(s.ts);

	fg.calls = 0;
	p = (struct pop3_params){ .user = "mrose", .password = "tanstaaf", .auth = POP3_AUTH_APOP,
				  .forget_password = count_forget, .ctx = &fg };
	session_run(&s, apop_steps, &p);
	ck_assert_msg(s.rc == 0, "%s", s.f.text);
	ck_assert_int_eq(fg.calls, 1);
	ts_stop(s.ts);

	fg.calls = 0;
	p = (struct pop3_params){ .forget_password = count_forget, .ctx = &fg };
	session_run(&s, greeting_steps, &p);
	ck_assert_msg(s.rc == 0, "%s", s.f.text);
	ck_assert_int_eq(fg.calls, 0);
	ts_stop(s.ts);
}
END_TEST

#define N(a) (sizeof(a) / sizeof((a)[0]))

Suite *pop3_suite(void)
{
	Suite *s = suite_create("pop3");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, UNIT_TIMEOUT);
	tcase_add_loop_test(tc, test_reply, 0, N(reply_cases));
	tcase_add_test(tc, test_code_hierarchy);
	tcase_add_loop_test(tc, test_apop_timestamp, 0, N(apop_cases));
	tcase_add_test(tc, test_apop_timestamp_too_long);
	tcase_add_test(tc, test_capa);
	tcase_add_test(tc, test_capa_sasl_without_plain);
	tcase_add_loop_test(tc, test_data_line, 0, N(data_cases));
	tcase_add_loop_test(tc, test_stat, 0, N(stat_cases));
	tcase_add_test(tc, test_scan);
	tcase_add_test(tc, test_uidl);
	tcase_add_test(tc, test_headers);
	tcase_add_test(tc, test_headers_truncate_long_values);
	tcase_add_test(tc, test_state_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("client");
	tcase_set_timeout(tc, UNIT_TIMEOUT);
	tcase_add_unchecked_fixture(tc, certs_setup, certs_teardown);
	tcase_add_loop_test(tc, test_session, 0, N(session_cases));
	tcase_add_loop_test(tc, test_session_connect, 0, N(connect_cases));
	tcase_add_test(tc, test_forget_password_after_login);
	suite_add_tcase(s, tc);
	return s;
}
