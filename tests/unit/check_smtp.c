/* smtp: reply lines, EHLO extensions, queue ids, and the dialogue against
 * scripted servers (tests/unit/testserver.c). */
#include <stdlib.h>
#include <string.h>

#include "smtp.h"
#include "suites.h"
#include "testserver.h"

static const struct line_case {
	const char *line;
	int rc, code;
	bool last;
	const char *text;
} line_cases[] = {
	{ "220 mail.test ESMTP", 0, 220, true, "mail.test ESMTP" },
	{ "250-PIPELINING", 0, 250, false, "PIPELINING" },
	{ "250", 0, 250, true, "" },
	{ "221 ", 0, 221, true, "" },
	{ "554 5.7.1 no\tthanks", 0, 554, true, "5.7.1 no\tthanks" },
	{ "599 x", 0, 599, true, "x" },
	{ "199 too low", -1, 0, false, NULL },
	{ "600 too high", -1, 0, false, NULL },
	{ "25", -1, 0, false, NULL },
	{ "", -1, 0, false, NULL },
	{ "2x0 bad", -1, 0, false, NULL },
	{ "250_x", -1, 0, false, NULL },
	{ "2500 four digits", -1, 0, false, NULL },
	{ "HTTP/1.1 400 Bad", -1, 0, false, NULL },
	{ "250 bell\a", -1, 0, false, NULL },
	{ "250 del\x7f", -1, 0, false, NULL },
	{ " 250 leading space", -1, 0, false, NULL },
};

START_TEST(test_parse_line)
{
	const struct line_case *c = &line_cases[_i];
	int code = -1;
	bool last = false;
	size_t text = 99;
	int rc = smtp_parse_line((const unsigned char *)c->line, strlen(c->line), &code, &last,
				 &text);

	ck_assert_msg(rc == c->rc, "'%s': rc %d", c->line, rc);
	if (rc == 0) {
		ck_assert_int_eq(code, c->code);
		ck_assert_int_eq(last, c->last);
		ck_assert_str_eq(c->line + text, c->text);
	}
}
END_TEST

/* A reply made of lines, for the EHLO tests. */
static void reply_of(struct smtp_reply *r, const char *const *lines)
{
	memset(r, 0, sizeof(*r));
	r->code = 250;
	for (; *lines != NULL; lines++)
		r->text[r->n++] = strdup(*lines);
}

START_TEST(test_parse_ehlo)
{
	static const char *const lines[] = {
		"mail.test Hello client", "PIPELINING", "SIZE 10240000", "8BITMIME",
		"AUTH PLAIN LOGIN", "AUTH=LOGIN", "STARTTLS", "X-EXPS GSSAPI", "-bad",
		"ENHANCEDSTATUSCODES", "smtputf8", "CHUNKING", NULL,
	};
	struct smtp_reply r;
	struct smtp_ext ext;

	reply_of(&r, lines);
	ck_assert_uint_eq(smtp_parse_ehlo(&r, &ext), 10);
	ck_assert(ext.has_size);
	ck_assert_uint_eq(ext.size, 10240000);
	ck_assert(smtp_ext_has(&ext, "STARTTLS"));
	ck_assert(smtp_ext_has(&ext, "starttls"));
	ck_assert(smtp_ext_has(&ext, "SMTPUTF8"));
	ck_assert(smtp_ext_has(&ext, "SIZE"));
	ck_assert(smtp_ext_has(&ext, "AUTH"));
	ck_assert(!smtp_ext_has(&ext, "START"));     /* whole words only */
	ck_assert(!smtp_ext_has(&ext, "PIPELININGX"));
	ck_assert(!smtp_ext_has(&ext, "DSN"));
	ck_assert(!smtp_ext_has(&ext, "mail.test")); /* the greeting is no keyword */
	ck_assert(smtp_ext_auth(&ext, "PLAIN"));
	ck_assert(smtp_ext_auth(&ext, "login"));
	ck_assert(!smtp_ext_auth(&ext, "CRAM-MD5"));
	ck_assert(!smtp_ext_auth(&ext, "GSSAPI")); /* an X- keyword's parameter */
	ck_assert(!smtp_ext_auth(&ext, "PLA"));
	smtp_reply_clear(&r);
}
END_TEST

static const struct size_case {
	const char *line;
	bool has, bad;
	unsigned long long size;
} size_cases[] = {
	{ "SIZE 52428800", true, false, 52428800 }, { "SIZE", true, false, 0 },
	{ "SIZE 0", true, false, 0 }, { "SIZE abc", true, true, 0 },
	{ "SIZE 12x", true, true, 0 }, { "SIZE ", true, true, 0 }, { "SIZEX 5", false, false, 0 },
};

START_TEST(test_parse_ehlo_size)
{
	const char *lines[] = { "greeting", size_cases[_i].line, NULL };
	struct smtp_reply r;
	struct smtp_ext ext;

	reply_of(&r, lines);
	smtp_parse_ehlo(&r, &ext);
	ck_assert_int_eq(ext.has_size, size_cases[_i].has);
	ck_assert_int_eq(ext.size_bad, size_cases[_i].bad);
	ck_assert_uint_eq(ext.size, size_cases[_i].size);
	smtp_reply_clear(&r);
}
END_TEST

static const struct qid_case {
	const char *text, *want;
} qid_cases[] = {
	{ "2.0.0 Ok: queued as 4F114A723F2", "4F114A723F2" },
	{ "OK id=1abc-000 (queued as ABC; done)", "ABC" },
	{ "2.0.0 Ok", "" },
	{ "queued as ", "" },
};

START_TEST(test_queue_id)
{
	char out[64];

	smtp_queue_id(qid_cases[_i].text, out, sizeof(out));
	ck_assert_str_eq(out, qid_cases[_i].want);
}
END_TEST

/* ---- the dialogue against scripted servers ------------------------------ */

/* The deadline of a dialogue: UNIT_BUDGET_MS when it is not about time.
 * One whose last wait gets no answer (a refusal, then a QUIT the server
 * never answers) ends at its deadline: UNIT_DEADLINE_MS then, 10x and more
 * what the dialogue before it takes. */
#define BUDGET_MS UNIT_BUDGET_MS

#define BANNER "220 mail.test ESMTP\r\n"
#define EHLO_OK "250-mail.test\r\n250-PIPELINING\r\n250 SIZE 1000\r\n"

static struct smtp_params params(struct testserver *ts, struct deadline *d)
{
	return (struct smtp_params){
		.deadline = d, .addrs = ts_addrs(ts), .helo_name = "client.test",
		.server_name = "mail.test",
	};
}

/* Each script ends in a different place of the dialogue. */
static const struct dialogue_case {
	const char *name;
	struct ts_step steps[8];
	enum smtp_state failed_at;
	enum fail_class cls;
	const char *text; /* in the failure's text */
	const char *sent; /* what the client sent, lines joined */
	bool runs_out;    /* the server never answers the QUIT: at the deadline */
} dialogue_cases[] = {
	{ "plain dialogue",
	  { TS_SEND(BANNER), TS_READLINE, TS_SEND(EHLO_OK), TS_READLINE,
	    TS_SEND("221 bye\r\n"), TS_HANG, TS_END },
	  SMTP_DONE, FAIL_NONE, "", "EHLO client.test\r\nQUIT\r\n", false },
	{ "banner 554",
	  { TS_SEND("554 go away\r\n"), TS_READLINE, TS_HANG, TS_END },
	  SMTP_BANNER, FAIL_REPLY, "the server refuses service: 554 go away", "QUIT\r\n", true },
	{ "garbage banner",
	  { TS_SEND("SSH-2.0-OpenSSH\r\n"), TS_HANG, TS_END },
	  SMTP_BANNER, FAIL_PROTO, "not an SMTP reply", "", false },
	{ "lines disagree",
	  { TS_SEND("220-mail.test\r\n250 ESMTP\r\n"), TS_HANG, TS_END },
	  SMTP_BANNER, FAIL_PROTO, "disagree (220, then 250)", "", false },
	{ "EHLO refused, HELO used",
	  { TS_SEND(BANNER), TS_READLINE, TS_SEND("502 no\r\n"), TS_READLINE,
	    TS_SEND("250 hi\r\n"), TS_READLINE, TS_SEND("221 bye\r\n"), TS_END },
	  SMTP_DONE, FAIL_NONE, "", "EHLO client.test\r\nHELO client.test\r\nQUIT\r\n", false },
	{ "close after EHLO",
	  { TS_SEND(BANNER), TS_READLINE, TS_SEND(EHLO_OK), TS_CLOSE, TS_END },
	  SMTP_QUIT, FAIL_CONN, "closed", "EHLO client.test\r\n", false },
	{ "no 221",
	  { TS_SEND(BANNER), TS_READLINE, TS_SEND(EHLO_OK), TS_READLINE,
	    TS_SEND("250 what\r\n"), TS_HANG, TS_END },
	  SMTP_QUIT, FAIL_REPLY, "no 221 reply: 250 what", "EHLO client.test\r\nQUIT\r\n", false },
	{ "QUIT after a refusal",
	  { TS_SEND("554 go away\r\n"), TS_READLINE, TS_SEND("221 bye\r\n"), TS_HANG, TS_END },
	  SMTP_BANNER, FAIL_REPLY, "refuses service", "QUIT\r\n", false },
	{ "no QUIT after 421",
	  { TS_SEND(BANNER), TS_READLINE, TS_SEND("421 closing\r\n"), TS_HANG, TS_END },
	  SMTP_EHLO, FAIL_REPLY, "EHLO refused: 421 closing", "EHLO client.test\r\n", false },
};

START_TEST(test_dialogue)
{
	const struct dialogue_case *c = &dialogue_cases[_i];
	struct testserver *ts = ts_start(AF_INET, c->steps);
	struct deadline d;
	struct smtp_outcome o;
	struct smtp_params p;
	int rc;

	deadline_start(&d, c->runs_out ? UNIT_DEADLINE_MS : BUDGET_MS);
	p = params(ts, &d);
	rc = smtp_dialogue(&p, &o);
	ck_assert_msg(o.failed_at == c->failed_at, "%s: failed at %s: %s", c->name,
		      smtp_state_name(o.failed_at), o.fail.text);
	ck_assert_int_eq(rc, c->failed_at == SMTP_DONE ? 0 : -1);
	if (c->failed_at != SMTP_DONE) {
		ck_assert_int_eq(o.fail.cls, c->cls);
		ck_assert_msg(strstr(o.fail.text, c->text) != NULL, "%s: %s", c->name, o.fail.text);
	}
	{
		size_t lines = 0;

		for (const char *q = c->sent; *q; q++)
			lines += *q == '\n';
		ck_assert_str_eq(ts_received(ts, lines), c->sent);
	}
	ts_stop(ts);
}
END_TEST

/* MAIL, RCPT (one refused as expected), RSET: nothing is delivered. */
START_TEST(test_mail_rcpt_rset)
{
	const struct ts_step steps[] = {
		TS_SEND(BANNER), TS_READLINE, TS_SEND(EHLO_OK), TS_READLINE,
		TS_SEND("250 ok\r\n"), TS_READLINE, TS_SEND("550 5.1.1 no such user\r\n"),
		TS_READLINE, TS_SEND("250 reset\r\n"), TS_READLINE, TS_SEND("221 bye\r\n"),
		TS_END,
	};
	static const char *const rcpts[] = { "nobody@mail.test" };
	struct testserver *ts = ts_start(AF_INET, steps);
	struct deadline d;
	struct smtp_outcome o;
	struct smtp_params p;

	deadline_start(&d, BUDGET_MS);
	p = params(ts, &d);
	p.from = "";
	p.rcpts = rcpts;
	p.nrcpt = 1;
	p.expect_rcpt = 550;
	ck_assert_int_eq(smtp_dialogue(&p, &o), 0);
	ck_assert_int_eq(o.mail_code, 250);
	ck_assert_int_eq(o.rcpt_code[0], 550);
	ck_assert_str_eq(o.rcpt_text[0], "5.1.1 no such user");
	ck_assert_str_eq(ts_received(ts, 5), "EHLO client.test\r\nMAIL FROM:<>\r\n"
		"RCPT TO:<nobody@mail.test>\r\nRSET\r\nQUIT\r\n");
	ck_assert(o.stage_run[STAGE_MAIL] && o.stage_run[STAGE_RCPT]);
	ck_assert(!o.stage_run[STAGE_DATA] && !o.stage_run[STAGE_TLS]);
	ts_stop(ts);
}
END_TEST

/* AUTH PLAIN sends the RFC 4616 triple; the transcript shows it masked. */
START_TEST(test_auth_plain_masked)
{
	const struct ts_step steps[] = {
		TS_SEND(BANNER), TS_READLINE,
		TS_SEND("250-mail.test\r\n250 AUTH LOGIN PLAIN\r\n"), TS_READLINE,
		TS_SEND("235 ok\r\n"), TS_READLINE, TS_SEND("221 bye\r\n"), TS_END,
	};
	struct testserver *ts = ts_start(AF_INET, steps);
	struct transcript *t = transcript_new();
	struct deadline d;
	struct smtp_outcome o;
	struct smtp_params p;

	deadline_start(&d, BUDGET_MS);
	p = params(ts, &d);
	p.transcript = t;
	p.user = "alice";
	p.password = "pw";
	ck_assert_int_eq(smtp_dialogue(&p, &o), 0);
	ck_assert_str_eq(o.auth_mech, "PLAIN");
	/* base64("\0alice\0pw") */
	ck_assert_str_eq(ts_received(ts, 3), "EHLO client.test\r\nAUTH PLAIN AGFsaWNlAHB3\r\nQUIT\r\n");
	for (size_t i = 0; i < transcript_count(t); i++)
		ck_assert_ptr_null(strstr(transcript_get(t, i), "AGFsaWNlAHB3"));
	transcript_free(t);
	ts_stop(ts);
}
END_TEST

START_TEST(test_auth_failed_and_not_offered)
{
	const struct ts_step steps[] = {
		TS_SEND(BANNER), TS_READLINE, TS_SEND("250-mail.test\r\n250 AUTH LOGIN\r\n"),
		TS_READLINE, TS_SEND("334 VXNlcm5hbWU6\r\n"), TS_READLINE,
		TS_SEND("334 UGFzc3dvcmQ6\r\n"), TS_READLINE,
	};
	struct ts_step full[10];
	struct testserver *ts;
	struct deadline d;
	struct smtp_outcome o;
	struct smtp_params p;

	memcpy(full, steps, sizeof(steps));
	full[8] = (struct ts_step)TS_SEND("535 5.7.8 bad\r\n");
	full[9] = (struct ts_step)TS_END;
	ts = ts_start(AF_INET, full);
	deadline_start(&d, UNIT_DEADLINE_MS); /* the QUIT after 535 gets no answer */
	p = params(ts, &d);
	p.user = "alice";
	p.password = "pw";
	ck_assert_int_eq(smtp_dialogue(&p, &o), -1);
	ck_assert_int_eq(o.failed_at, SMTP_AUTH);
	ck_assert_int_eq(o.fail_code, 535);
	ck_assert_str_eq(o.fail.text, "authentication failed: 535 5.7.8 bad");
	ck_assert_str_eq(ts_received(ts, 4), "EHLO client.test\r\nAUTH LOGIN\r\nYWxpY2U=\r\ncHc=\r\n");
	ts_stop(ts);

	/* PLAIN asked for, only LOGIN offered: nothing is sent. */
	ts = ts_start(AF_INET, full);
	deadline_start(&d, BUDGET_MS);
	p = params(ts, &d);
	p.user = "alice";
	p.password = "pw";
	p.auth_mech = "PLAIN";
	ck_assert_int_eq(smtp_dialogue(&p, &o), -1);
	ck_assert_int_eq(o.failed_at, SMTP_AUTH);
	ck_assert_str_eq(o.fail.text, "AUTH PLAIN is not offered");
	ts_stop(ts);
}
END_TEST

/* STARTTLS required but not offered: no STARTTLS is sent. */
START_TEST(test_starttls_not_offered)
{
	const struct ts_step steps[] = {
		TS_SEND(BANNER), TS_READLINE, TS_SEND(EHLO_OK), TS_HANG, TS_END,
	};
	struct testserver *ts = ts_start(AF_INET, steps);
	struct deadline d;
	struct smtp_outcome o;
	struct smtp_params p;

	deadline_start(&d, UNIT_DEADLINE_MS); /* the QUIT after it gets no answer */
	p = params(ts, &d);
	p.starttls = true;
	ck_assert_int_eq(smtp_dialogue(&p, &o), -1);
	ck_assert_int_eq(o.failed_at, SMTP_STARTTLS);
	ck_assert_str_eq(o.fail.text, "STARTTLS is not offered");
	ck_assert_str_eq(ts_received(ts, 1), "EHLO client.test\r\n");
	ts_stop(ts);
}
END_TEST

/* Plaintext after the STARTTLS go-ahead is discarded and counted; the
 * extensions learnt before TLS are forgotten (RFC 3207 4.2). */
START_TEST(test_starttls_injection_and_ehlo_again)
{
	struct ts_step steps[] = {
		TS_SEND(BANNER), TS_READLINE,
		TS_SEND("250-mail.test\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n"), TS_READLINE,
		TS_SEND("220 go ahead\r\n250 injected\r\n"), TS_TLS(NULL), TS_READLINE,
		TS_SEND("250-mail.test\r\n250 SIZE 5\r\n"), TS_READLINE, TS_SEND("221 bye\r\n"),
		TS_END,
	};
	struct tls_params tp = { .host = "localhost" };
	struct testserver *ts;
	struct deadline d;
	struct smtp_outcome o;
	struct smtp_params p;

	ts_certs_make();
	steps[5].data = ts_certs.good;
	tp.ca_file = ts_certs.ca;
	ts = ts_start(AF_INET, steps);
	deadline_start(&d, BUDGET_MS);
	p = params(ts, &d);
	p.starttls = true;
	p.tls = &tp;
	ck_assert_msg(smtp_dialogue(&p, &o) == 0, "%s: %s", smtp_state_name(o.failed_at),
		      o.fail.text);
	ck_assert(o.tls);
	ck_assert_uint_eq(o.injected, strlen("250 injected\r\n"));
	ck_assert(!smtp_ext_has(&o.ext, "STARTTLS"));
	ck_assert(!smtp_ext_has(&o.ext, "AUTH"));
	ck_assert(o.ext.has_size);
	ck_assert_str_eq(ts_received(ts, 4), "EHLO client.test\r\nSTARTTLS\r\nEHLO client.test\r\nQUIT\r\n");
	ts_stop(ts);
	ts_certs_remove();
}
END_TEST

/* The open-relay probes: six MAIL/RCPT/RSET rounds, never DATA. */
START_TEST(test_relay_probes)
{
	struct ts_step steps[48];
	size_t n = 0;
	struct testserver *ts;
	struct deadline d;
	struct smtp_outcome o;
	struct smtp_params p;
	const char *got;

	steps[n++] = (struct ts_step)TS_SEND(BANNER);
	steps[n++] = (struct ts_step)TS_READLINE;
	steps[n++] = (struct ts_step)TS_SEND(EHLO_OK);
	for (int i = 0; i < 6; i++) {
		steps[n++] = (struct ts_step)TS_READLINE;
		steps[n++] = (struct ts_step)TS_SEND("250 sender ok\r\n");
		steps[n++] = (struct ts_step)TS_READLINE;
		steps[n++] = (struct ts_step)TS_SEND(i == 2 ? "250 accepted\r\n" : i == 4
						     ? "451 later\r\n" : "554 denied\r\n");
		steps[n++] = (struct ts_step)TS_READLINE;
		steps[n++] = (struct ts_step)TS_SEND("250 reset\r\n");
	}
	steps[n++] = (struct ts_step)TS_READLINE;
	steps[n++] = (struct ts_step)TS_SEND("221 bye\r\n");
	steps[n++] = (struct ts_step)TS_END;
	ts = ts_start(AF_INET, steps);
	deadline_start(&d, BUDGET_MS);
	p = params(ts, &d);
	p.relay_to = "probe@elsewhere.example";
	ck_assert_int_eq(smtp_dialogue(&p, &o), 0);
	ck_assert_uint_eq(o.relay_total, 6);
	ck_assert_uint_eq(o.relay_accepted, 1);
	ck_assert_uint_eq(o.relay_temp, 1);
	ck_assert_uint_eq(o.relay_denied, 4);
	got = ts_received(ts, 20);
	ck_assert_ptr_nonnull(strstr(got, "RCPT TO:<probe@elsewhere.example>\r\n"));
	ck_assert_ptr_nonnull(strstr(got, "RCPT TO:<probe%elsewhere.example@mail.test>\r\n"));
	ck_assert_ptr_nonnull(strstr(got, "RCPT TO:<\"probe@elsewhere.example\">\r\n"));
	ck_assert_ptr_nonnull(strstr(got, "RCPT TO:<@mail.test:probe@elsewhere.example>\r\n"));
	ck_assert_ptr_nonnull(strstr(got, "RCPT TO:<elsewhere.example!probe@mail.test>\r\n"));
	ck_assert_ptr_nonnull(strstr(got, "MAIL FROM:<>\r\n"));
	ck_assert_ptr_null(strstr(got, "DATA"));
	ts_stop(ts);
}
END_TEST

/* DATA: headers with the token, dot-stuffing, the queue id. */
START_TEST(test_data_message)
{
	struct ts_step steps[24];
	size_t n = 0;
	static const char *const rcpts[] = { "bob@mail.test" };
	struct testserver *ts;
	struct deadline d;
	struct smtp_outcome o;
	struct smtp_params p;
	const char *got;

	steps[n++] = (struct ts_step)TS_SEND(BANNER);
	steps[n++] = (struct ts_step)TS_READLINE;
	steps[n++] = (struct ts_step)TS_SEND(EHLO_OK);
	steps[n++] = (struct ts_step)TS_READLINE;
	steps[n++] = (struct ts_step)TS_SEND("250 ok\r\n");
	steps[n++] = (struct ts_step)TS_READLINE;
	steps[n++] = (struct ts_step)TS_SEND("250 ok\r\n");
	steps[n++] = (struct ts_step)TS_READLINE;
	steps[n++] = (struct ts_step)TS_SEND("354 go\r\n");
	for (int i = 0; i < 10; i++)
		steps[n++] = (struct ts_step)TS_READLINE;
	steps[n++] = (struct ts_step)TS_SEND("250 2.0.0 Ok: queued as Q1\r\n");
	steps[n++] = (struct ts_step)TS_READLINE;
	steps[n++] = (struct ts_step)TS_SEND("221 bye\r\n");
	steps[n++] = (struct ts_step)TS_END;
	ts = ts_start(AF_INET, steps);
	deadline_start(&d, BUDGET_MS);
	p = params(ts, &d);
	p.from = "alice@mail.test";
	p.rcpts = rcpts;
	p.nrcpt = 1;
	p.data = true;
	p.token = "TOKEN123";
	ck_assert_msg(smtp_dialogue(&p, &o) == 0, "%s", o.fail.text);
	ck_assert_str_eq(o.queue_id, "Q1");
	got = ts_received(ts, 15);
	ck_assert_ptr_nonnull(strstr(got, "DATA\r\nDate: "));
	ck_assert_ptr_nonnull(strstr(got, "\r\nSubject: netcheck test TOKEN123\r\n"));
	ck_assert_ptr_nonnull(strstr(got, "\r\nMessage-ID: <TOKEN123@client.test>\r\n"));
	ck_assert_ptr_nonnull(strstr(got, "\r\n.. This line starts with a dot"));
	ck_assert_ptr_nonnull(strstr(got, "\r\n.\r\nQUIT\r\n"));
	ts_stop(ts);
}
END_TEST

/* The banner never comes: the dialogue ends at the deadline. */
START_TEST(test_banner_never_comes)
{
	const struct ts_step steps[] = { TS_HANG, TS_END };
	struct testserver *ts = ts_start(AF_INET, steps);
	struct deadline d;
	struct smtp_outcome o;
	struct smtp_params p;
	int64_t t0 = mono_now_ns();

	deadline_start(&d, UNIT_DEADLINE_MS);
	p = params(ts, &d);
	ck_assert_int_eq(smtp_dialogue(&p, &o), -1);
	ck_assert_int_eq(o.failed_at, SMTP_BANNER);
	ck_assert_int_eq(o.fail.cls, FAIL_TIMEOUT);
	ck_assert_int_lt(mono_now_ns() - t0, (UNIT_DEADLINE_MS + UNIT_SLACK_MS) * 1000000LL);
	ts_stop(ts);
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

Suite *smtp_suite(void)
{
	Suite *s = suite_create("smtp");
	TCase *tc = tcase_create("parsers"), *dl = tcase_create("dialogue");

	tcase_set_timeout(tc, UNIT_TIMEOUT);
	tcase_add_loop_test(tc, test_parse_line, 0, N(line_cases));
	tcase_add_test(tc, test_parse_ehlo);
	tcase_add_loop_test(tc, test_parse_ehlo_size, 0, N(size_cases));
	tcase_add_loop_test(tc, test_queue_id, 0, N(qid_cases));
	suite_add_tcase(s, tc);
	tcase_set_timeout(dl, UNIT_TIMEOUT);
	tcase_add_loop_test(dl, test_dialogue, 0, N(dialogue_cases));
	tcase_add_test(dl, test_mail_rcpt_rset);
	tcase_add_test(dl, test_auth_plain_masked);
	tcase_add_test(dl, test_auth_failed_and_not_offered);
	tcase_add_test(dl, test_starttls_not_offered);
	tcase_add_test(dl, test_starttls_injection_and_ehlo_again);
	tcase_add_test(dl, test_relay_probes);
	tcase_add_test(dl, test_data_message);
	tcase_add_test(dl, test_banner_never_comes);
	suite_add_tcase(s, dl);
	return s;
}
