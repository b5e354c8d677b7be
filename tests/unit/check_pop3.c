/* pop3: status lines and RFC 2449 codes, APOP timestamps, CAPA, multi-line
 * unstuffing, STAT/LIST/UIDL lines, header collection for TOP. */
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

struct session {
	struct testserver *ts;
	struct deadline d;
	struct pop3_outcome o;
	struct fail f;
	int rc;
};

static void session_run(struct session *s, const struct ts_step *steps,
			const struct pop3_params *p)
{
	struct conn *c;

	memset(s, 0, sizeof(*s));
	s->ts = ts_start(AF_INET, steps);
	ck_assert_ptr_nonnull(s->ts);
	deadline_start(&s->d, UNIT_BUDGET_MS);
	c = conn_connect(ts_addrs(s->ts),
			 &(struct conn_params){ .deadline = &s->d, .max_line = 8192 }, NULL,
			 &s->f);
	ck_assert_msg(c != NULL, "%s", s->f.text);
	s->rc = pop3_run(c, p, &s->o, &s->f);
	conn_close(c);
}

#define LOGIN_STEPS                                                         \
	TS_SEND("+OK ready <1896.697170952@dbc.mtview.ca.us>\r\n"),          \
	TS_READLINE, TS_SEND("+OK\r\nUSER\r\nTOP\r\n.\r\n"),                    \
	TS_READLINE, TS_SEND("+OK\r\n"),                                       \
	TS_READLINE, TS_SEND("+OK logged in\r\n")

START_TEST(test_session_user_pass_stat_list_top)
{
	const struct ts_step steps[] = {
		LOGIN_STEPS,
		TS_READLINE, TS_SEND("+OK 2 1508\r\n"),
		TS_READLINE, TS_SEND("+OK 2 messages\r\n1 643\r\n2 865\r\n.\r\n"),
		TS_READLINE, TS_SEND("+OK\r\nDate: Sun, 01 Nov 2026 06:20:45 +0000\r\n"
				     "Subject: x\r\n\r\n.\r\n"),
		TS_READLINE, TS_SEND("+OK bye\r\n"),
		TS_CLOSE, TS_END,
	};
	const struct pop3_params p = { .user = "alice", .password = "s3cret",
				       .allow_plaintext_auth = true, .want_list = true,
				       .want_age = true };
	struct session s;

	session_run(&s, steps, &p);
	ck_assert_msg(s.rc == 0, "%s", s.f.text);
	ck_assert_int_eq(s.o.state, POP3_ST_DONE);
	ck_assert(s.o.has_apop && s.o.capa.seen && s.o.capa.top && !s.o.capa.stls);
	ck_assert(s.o.has_stat && s.o.count == 2 && s.o.size == 1508);
	ck_assert(s.o.has_largest && s.o.largest == 865 && s.o.largest_msg == 2);
	ck_assert(s.o.has_oldest);
	ck_assert_int_eq((long long)s.o.oldest, 1793514045LL);
	ck_assert_str_eq(s.o.oldest_from, "Date");
	ck_assert(s.o.t_auth >= 0 && s.o.t_stat >= 0 && s.o.t_greeting >= 0);
	ck_assert_str_eq(ts_received(s.ts, 7),
			 "CAPA\r\nUSER alice\r\nPASS s3cret\r\nSTAT\r\nLIST\r\nTOP 1 0\r\nQUIT\r\n");
	ts_stop(s.ts);
}
END_TEST

START_TEST(test_session_pipelined)
{
	/* The server reads every command of a batch before it answers any:
	 * a client that waited for each reply would hang here. */
	const struct ts_step steps[] = {
		TS_SEND("+OK hi\r\n"),
		TS_READLINE, TS_SEND("+OK\r\nPIPELINING\r\nUSER\r\n.\r\n"),
		TS_READLINE, TS_READLINE, TS_SEND("+OK\r\n+OK logged in\r\n"),
		TS_READLINE, TS_READLINE, TS_READLINE, TS_READLINE,
		TS_SEND("+OK 1 120\r\n+OK\r\n1 120\r\n.\r\n"
			"+OK\r\nReceived: by x; Sun, 01 Nov 2026 07:20:45 +0100\r\n\r\n.\r\n"
			"+OK bye\r\n"),
		TS_CLOSE, TS_END,
	};
	const struct pop3_params p = { .user = "alice", .password = "s3cret",
				       .allow_plaintext_auth = true, .want_list = true,
				       .want_age = true };
	struct session s;

	session_run(&s, steps, &p);
	ck_assert_msg(s.rc == 0, "%s", s.f.text);
	ck_assert(s.o.capa.pipelining);
	ck_assert(s.o.has_stat && s.o.count == 1 && s.o.has_largest && s.o.largest == 120);
	ck_assert(s.o.has_oldest);
	ck_assert_str_eq(s.o.oldest_from, "Received");
	ck_assert_int_eq((long long)s.o.oldest, 1793514045LL);
	ck_assert_str_eq(ts_received(s.ts, 7),
			 "CAPA\r\nUSER alice\r\nPASS s3cret\r\nSTAT\r\nLIST\r\nTOP 1 0\r\nQUIT\r\n");
	ts_stop(s.ts);
}
END_TEST

START_TEST(test_session_pipelined_empty_mailbox)
{
	/* TOP 1 0 went out before the count was known: its -ERR is no
	 * problem on an empty mailbox. */
	const struct ts_step steps[] = {
		TS_SEND("+OK hi\r\n"),
		TS_READLINE, TS_SEND("+OK\r\nPIPELINING\r\n.\r\n"),
		TS_READLINE, TS_READLINE, TS_SEND("+OK\r\n+OK\r\n"),
		TS_READLINE, TS_READLINE, TS_READLINE, TS_READLINE,
		TS_SEND("+OK 0 0\r\n+OK\r\n.\r\n-ERR no such message\r\n+OK bye\r\n"),
		TS_CLOSE, TS_END,
	};
	const struct pop3_params p = { .user = "empty", .password = "pw",
				       .allow_plaintext_auth = true, .want_list = true,
				       .want_age = true };
	struct session s;

	session_run(&s, steps, &p);
	ck_assert_msg(s.rc == 0, "%s", s.f.text);
	ck_assert(s.o.has_stat && s.o.count == 0 && !s.o.has_largest && !s.o.has_oldest);
	ck_assert_str_eq(s.o.date_problem, "");
	ts_stop(s.ts);
}
END_TEST

START_TEST(test_session_apop_digest_rfc1939)
{
	const struct ts_step steps[] = {
		TS_SEND("+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n"),
		TS_READLINE, TS_SEND("-ERR no CAPA\r\n"),
		TS_READLINE, TS_SEND("+OK maildrop has 0 messages\r\n"),
		TS_READLINE, TS_SEND("+OK 0 0\r\n"),
		TS_READLINE, TS_SEND("+OK\r\n"),
		TS_CLOSE, TS_END,
	};
	/* Without TLS: APOP never sends the password. */
	const struct pop3_params p = { .user = "mrose", .password = "tanstaaf",
				       .auth = POP3_AUTH_APOP, .want_list = true, .want_age = true };
	struct session s;

	session_run(&s, steps, &p);
	ck_assert_msg(s.rc == 0, "%s", s.f.text);
	ck_assert(!s.o.capa.seen);
	ck_assert(s.o.has_stat && s.o.count == 0 && !s.o.has_largest && !s.o.has_oldest);
	/* The digest of RFC 1939 section 7; no LIST or TOP of an empty box. */
	ck_assert_str_eq(ts_received(s.ts, 4),
			 "CAPA\r\nAPOP mrose c4c9334bac560ecc979e58001b3e22fb\r\nSTAT\r\nQUIT\r\n");
	ts_stop(s.ts);
}
END_TEST

START_TEST(test_session_in_use_on_pass)
{
	const struct ts_step steps[] = {
		TS_SEND("+OK hi\r\n"),
		TS_READLINE, TS_SEND("+OK\r\nRESP-CODES\r\n.\r\n"),
		TS_READLINE, TS_SEND("+OK\r\n"),
		TS_READLINE, TS_SEND("-ERR [IN-USE] locked by another session\r\n"),
		TS_SLEEP(500), TS_END,
	};
	const struct pop3_params p = { .user = "bob", .password = "pw",
				       .allow_plaintext_auth = true };
	struct session s;

	session_run(&s, steps, &p);
	ck_assert_int_eq(s.rc, -1);
	ck_assert_int_eq(s.f.cls, FAIL_REPLY);
	ck_assert_int_eq(s.o.state, POP3_ST_PASS);
	ck_assert(pop3_code_is(&s.o.reply, "IN-USE"));
	ck_assert_str_eq(s.f.text, "PASS: -ERR [IN-USE] locked by another session");
	ck_assert(!s.o.has_stat);
	ts_stop(s.ts);
}
END_TEST

START_TEST(test_session_plaintext_password_refused)
{
	const struct ts_step steps[] = {
		TS_SEND("+OK hi\r\n"),
		TS_READLINE, TS_SEND("+OK\r\nUSER\r\n.\r\n"),
		TS_SLEEP(500), TS_END,
	};
	const struct pop3_params p = { .user = "bob", .password = "pw" };
	struct session s;

	session_run(&s, steps, &p);
	ck_assert_int_eq(s.rc, -1);
	ck_assert_int_eq(s.f.cls, FAIL_INTERNAL);
	ck_assert_str_eq(ts_received(s.ts, 2), "CAPA\r\n");
	ts_stop(s.ts);
}
END_TEST

START_TEST(test_session_find_and_delete)
{
	const struct ts_step steps[] = {
		LOGIN_STEPS,
		TS_READLINE, TS_SEND("+OK 3 300\r\n"),
		TS_READLINE, TS_SEND("+OK\r\nSubject: probe TOKEN\r\n\r\n.\r\n"),
		TS_READLINE, TS_SEND("+OK\r\nSubject: other\r\n\r\n.\r\n"),
		TS_READLINE, TS_SEND("+OK\r\nSubject: older token\r\n\r\n.\r\n"),
		TS_READLINE, TS_SEND("+OK\r\n"),
		TS_READLINE, TS_SEND("+OK\r\n"),
		TS_READLINE, TS_SEND("+OK bye\r\n"),
		TS_CLOSE, TS_END,
	};
	const struct pop3_params p = { .user = "alice", .password = "s3cret",
				       .allow_plaintext_auth = true, .find_subject = "token",
				       .delete_found = true };
	struct session s;

	session_run(&s, steps, &p);
	ck_assert_msg(s.rc == 0, "%s", s.f.text);
	ck_assert_uint_eq(s.o.examined, 3);
	ck_assert_uint_eq(s.o.found_n, 2);
	ck_assert_uint_eq(s.o.found[0], 3);
	ck_assert_uint_eq(s.o.found[1], 1);
	ck_assert_str_eq(s.o.found_subject, "probe TOKEN");
	ck_assert_uint_eq(s.o.deleted, 2);
	ck_assert_str_eq(ts_received(s.ts, 11),
			 "CAPA\r\nUSER alice\r\nPASS s3cret\r\nSTAT\r\nTOP 3 0\r\nTOP 2 0\r\n"
			 "TOP 1 0\r\nDELE 3\r\nDELE 1\r\nQUIT\r\n");
	ts_stop(s.ts);
}
END_TEST

START_TEST(test_session_delete_then_cut_deletes_nothing)
{
	const struct ts_step steps[] = {
		LOGIN_STEPS,
		TS_READLINE, TS_SEND("+OK 1 100\r\n"),
		TS_READLINE, TS_SEND("+OK\r\nSubject: TOKEN\r\n\r\n.\r\n"),
		TS_READLINE, TS_SEND("+OK\r\n"),
		TS_READLINE, TS_CLOSE_RAW, TS_END,
	};
	const struct pop3_params p = { .user = "alice", .password = "s3cret",
				       .allow_plaintext_auth = true, .find_subject = "TOKEN",
				       .delete_found = true };
	struct session s;

	session_run(&s, steps, &p);
	ck_assert_int_eq(s.rc, -1);
	ck_assert_int_eq(s.f.cls, FAIL_CONN);
	ck_assert_int_eq(s.o.state, POP3_ST_QUIT);
	ck_assert(s.o.dele_sent);
	ck_assert_uint_eq(s.o.deleted, 0);
	ts_stop(s.ts);
}
END_TEST

START_TEST(test_session_find_cut_sends_no_dele)
{
	const struct ts_step steps[] = {
		LOGIN_STEPS,
		TS_READLINE, TS_SEND("+OK 2 200\r\n"),
		TS_READLINE, TS_SEND("+OK\r\nSubject: TOKEN\r\n"),
		TS_RESET, TS_END,
	};
	const struct pop3_params p = { .user = "alice", .password = "s3cret",
				       .allow_plaintext_auth = true, .find_subject = "TOKEN",
				       .delete_found = true };
	struct session s;

	session_run(&s, steps, &p);
	ck_assert_int_eq(s.rc, -1);
	ck_assert_int_eq(s.o.state, POP3_ST_FIND);
	ck_assert(!s.o.dele_sent);
	ck_assert_ptr_nonnull(strstr(s.f.text, "TOP (find): "));
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
	tcase_add_test(tc, test_session_user_pass_stat_list_top);
	tcase_add_test(tc, test_session_pipelined);
	tcase_add_test(tc, test_session_pipelined_empty_mailbox);
	tcase_add_test(tc, test_session_apop_digest_rfc1939);
	tcase_add_test(tc, test_session_in_use_on_pass);
	tcase_add_test(tc, test_session_plaintext_password_refused);
	tcase_add_test(tc, test_session_find_and_delete);
	tcase_add_test(tc, test_session_delete_then_cut_deletes_nothing);
	tcase_add_test(tc, test_session_find_cut_sends_no_dele);
	suite_add_tcase(s, tc);
	return s;
}
