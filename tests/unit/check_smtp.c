/* smtp: reply lines, EHLO extensions, queue ids, the stages the options
 * ask for, and the dialogue against scripted servers
 * (tests/unit/testserver.c). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

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

/* ---- the stages the options ask for -------------------------------------- */

#define W(st) (1u << (st))
#define BASE (W(STAGE_CONNECT) | W(STAGE_BANNER) | W(STAGE_EHLO) | W(STAGE_QUIT))

static const char *const one_rcpt[] = { "bob@mail.test" };

static const struct wanted_case {
	const char *name;
	struct smtp_params p;
	unsigned want; /* a bit per stage */
} wanted_cases[] = {
	{ "nothing asked", { 0 }, BASE },
	{ "-S", { .starttls = true }, BASE | W(STAGE_TLS) },
	{ "-s", { .implicit_tls = true }, BASE | W(STAGE_TLS) },
	{ "TLS parameters alone ask for no TLS", { .tls = &(struct tls_params){ 0 } }, BASE },
	{ "a user", { .user = "alice", .password = "pw" }, BASE | W(STAGE_AUTH) },
	{ "MAIL FROM", { .from = "alice@mail.test" }, BASE | W(STAGE_MAIL) },
	{ "MAIL FROM:<>", { .from = "" }, BASE | W(STAGE_MAIL) },
	{ "MAIL, RCPT", { .from = "", .rcpts = one_rcpt, .nrcpt = 1 },
	  BASE | W(STAGE_MAIL) | W(STAGE_RCPT) },
	{ "RCPT list given, none in it", { .from = "", .rcpts = one_rcpt, .nrcpt = 0 },
	  BASE | W(STAGE_MAIL) },
	{ "MAIL, RCPT, DATA", { .from = "", .rcpts = one_rcpt, .nrcpt = 1, .data = true },
	  BASE | W(STAGE_MAIL) | W(STAGE_RCPT) | W(STAGE_DATA) },
	{ "relay probes: no stage of their own", { .relay_to = "x@elsewhere.example" }, BASE },
	{ "everything", { .implicit_tls = true, .user = "alice", .password = "pw", .from = "a@b",
			  .rcpts = one_rcpt, .nrcpt = 1, .data = true },
	  (1u << STAGE_LAST) - 1 },
};

START_TEST(test_stage_wanted)
{
	static const char *const labels[STAGE_LAST] = {
		"connect", "banner", "ehlo", "tls", "auth", "mail", "rcpt", "data", "quit",
	};
	const struct wanted_case *c = &wanted_cases[_i];

	for (int st = 0; st < STAGE_LAST; st++) {
		ck_assert_msg(smtp_stage_wanted(&c->p, (enum smtp_stage)st) == !!(c->want & W(st)),
			      "%s: stage %s", c->name, smtp_stage_labels[st]);
		ck_assert_str_eq(smtp_stage_labels[st], labels[st]);
	}
	ck_assert(!smtp_stage_wanted(&c->p, STAGE_LAST));
}
END_TEST

/* ---- the dialogue against scripted servers ------------------------------ */

/* The deadline of a dialogue: UNIT_BUDGET_MS when it is not about time.
 * One whose server never answers ends at its deadline: UNIT_DEADLINE_MS
 * then, 10x and more what the dialogue before it takes.  A refusal
 * followed by a QUIT the server never answers ends after the courtesy
 * wait for the 221 (SMTP_QUIT_COURTESY_MS), long before the budget. */
#define BUDGET_MS UNIT_BUDGET_MS

enum dialogue_end {
	ENDS_AT_ONCE,
	ENDS_AT_DEADLINE,   /* the last wait gets no answer */
	ENDS_AFTER_QUIT_WAIT, /* a refusal, then an unanswered QUIT */
};

#define BANNER "220 mail.test ESMTP\r\n"
#define EHLO_OK "250-mail.test\r\n250-PIPELINING\r\n250 SIZE 1000\r\n"
#define EHLO_LOGIN "250-mail.test\r\n250 AUTH LOGIN\r\n"

static struct smtp_params params(struct testserver *ts, struct deadline *d)
{
	return (struct smtp_params){
		.deadline = d, .addrs = ts_addrs(ts), .helo_name = "client.test",
		.server_name = "mail.test",
	};
}

/* A run that ended without a failure went through exactly the stages its
 * options ask for: perfdata has a value for every label it prints. */
static void assert_stages_wanted(const char *name, const struct smtp_params *p,
				 const struct smtp_outcome *o)
{
	for (int st = 0; st < STAGE_LAST; st++)
		ck_assert_msg(o->stage_run[st] == smtp_stage_wanted(p, (enum smtp_stage)st),
			      "%s: stage %s run %d", name, smtp_stage_labels[st], o->stage_run[st]);
}

/* What a case asks of the dialogue besides the defaults of params(). */
struct dialogue_opts {
	const char *user, *password, *auth_mech;
	const char *from;  /* MAIL FROM, NULL: no MAIL */
	const char *rcpt;  /* one RCPT TO, or NULL */
	int expect_rcpt;
	bool starttls;
	const char *cmds[3]; /* the caller's commands (-C), NULL-ended */
	bool lmtp;
};

/* Two -C replies kept as sent, with codes, lines joined by '\n'. */
static void check_commands(const struct smtp_outcome *o, const struct transcript *t)
{
	(void)t;
	ck_assert_uint_eq(o->ncmd, 2);
	ck_assert_int_eq(o->cmd_code[0], 252);
	ck_assert_str_eq(o->cmd_reply[0], "252 2.0.0 maybe");
	ck_assert_int_eq(o->cmd_code[1], 250);
	ck_assert_str_eq(o->cmd_reply[1], "250-one\n250 two");
}

static void check_command_refused(const struct smtp_outcome *o, const struct transcript *t)
{
	(void)t;
	ck_assert_uint_eq(o->ncmd, 1);
	ck_assert_int_eq(o->cmd_code[0], 502);
	ck_assert_str_eq(o->cmd_reply[0], "502 5.5.1 not here");
}

static void check_mail_rcpt_rset(const struct smtp_outcome *o, const struct transcript *t)
{
	(void)t;
	ck_assert_int_eq(o->mail_code, 250);
	ck_assert_uint_eq(o->nrcpt, 1);
	ck_assert_int_eq(o->rcpt_code[0], 550);
	ck_assert_str_eq(o->rcpt_text[0], "5.1.1 no such user");
	ck_assert(o->stage_run[STAGE_MAIL] && o->stage_run[STAGE_RCPT]);
	ck_assert(!o->stage_run[STAGE_DATA] && !o->stage_run[STAGE_TLS]);
}

/* AUTH PLAIN sends the RFC 4616 triple; the transcript shows it masked. */
static void check_auth_plain(const struct smtp_outcome *o, const struct transcript *t)
{
	ck_assert_str_eq(o->auth_mech, "PLAIN");
	for (size_t i = 0; i < transcript_count(t); i++)
		ck_assert_ptr_null(strstr(transcript_get(t, i), "AGFsaWNlAHB3"));
}

static void check_auth_login_refused(const struct smtp_outcome *o, const struct transcript *t)
{
	ck_assert_str_eq(o->auth_mech, "LOGIN");
	for (size_t i = 0; i < transcript_count(t); i++) /* base64 of "pw" */
		ck_assert_ptr_null(strstr(transcript_get(t, i), "cHc="));
}

/* Each script ends in a different place of the dialogue. */
static const struct dialogue_case {
	const char *name;
	struct ts_step steps[16];
	struct dialogue_opts opt;
	enum smtp_state failed_at;
	enum fail_class cls;
	const char *text;  /* in the failure's text */
	int fail_code;     /* the reply code that failed, or 0 */
	const char *sent;  /* what the client sent, lines joined */
	enum dialogue_end ends;
	void (*check)(const struct smtp_outcome *o, const struct transcript *t);
} dialogue_cases[] = {
	{ "plain dialogue",
	  { TS_SEND(BANNER), TS_READLINE, TS_SEND(EHLO_OK), TS_READLINE,
	    TS_SEND("221 bye\r\n"), TS_HANG, TS_END },
	  { 0 }, SMTP_DONE, FAIL_NONE, "", 0, "EHLO client.test\r\nQUIT\r\n", ENDS_AT_ONCE, NULL },
	{ "banner 554",
	  { TS_SEND("554 go away\r\n"), TS_READLINE, TS_HANG, TS_END },
	  { 0 }, SMTP_BANNER, FAIL_REPLY, "the server refuses service: 554 go away", 554,
	  "QUIT\r\n", ENDS_AFTER_QUIT_WAIT, NULL },
	{ "garbage banner",
	  { TS_SEND("SSH-2.0-OpenSSH\r\n"), TS_HANG, TS_END },
	  { 0 }, SMTP_BANNER, FAIL_PROTO, "not an SMTP reply", 0, "", ENDS_AT_ONCE, NULL },
	{ "lines disagree",
	  { TS_SEND("220-mail.test\r\n250 ESMTP\r\n"), TS_HANG, TS_END },
	  { 0 }, SMTP_BANNER, FAIL_PROTO, "disagree (220, then 250)", 0, "", ENDS_AT_ONCE, NULL },
	{ "the banner never comes", { TS_HANG, TS_END },
	  { 0 }, SMTP_BANNER, FAIL_TIMEOUT, "timed out", 0, "", ENDS_AT_DEADLINE, NULL },
	{ "EHLO refused, HELO used",
	  { TS_SEND(BANNER), TS_READLINE, TS_SEND("502 no\r\n"), TS_READLINE,
	    TS_SEND("250 hi\r\n"), TS_READLINE, TS_SEND("221 bye\r\n"), TS_END },
	  { 0 }, SMTP_DONE, FAIL_NONE, "", 0,
	  "EHLO client.test\r\nHELO client.test\r\nQUIT\r\n", ENDS_AT_ONCE, NULL },
	{ "close after EHLO",
	  { TS_SEND(BANNER), TS_READLINE, TS_SEND(EHLO_OK), TS_CLOSE, TS_END },
	  { 0 }, SMTP_QUIT, FAIL_CONN, "closed", 0, "EHLO client.test\r\n", ENDS_AT_ONCE, NULL },
	{ "no 221",
	  { TS_SEND(BANNER), TS_READLINE, TS_SEND(EHLO_OK), TS_READLINE,
	    TS_SEND("250 what\r\n"), TS_HANG, TS_END },
	  { 0 }, SMTP_QUIT, FAIL_REPLY, "no 221 reply: 250 what", 250,
	  "EHLO client.test\r\nQUIT\r\n", ENDS_AT_ONCE, NULL },
	{ "QUIT after a refusal",
	  { TS_SEND("554 go away\r\n"), TS_READLINE, TS_SEND("221 bye\r\n"), TS_HANG, TS_END },
	  { 0 }, SMTP_BANNER, FAIL_REPLY, "refuses service", 554, "QUIT\r\n", ENDS_AT_ONCE, NULL },
	{ "no QUIT after 421",
	  { TS_SEND(BANNER), TS_READLINE, TS_SEND("421 closing\r\n"), TS_HANG, TS_END },
	  { 0 }, SMTP_EHLO, FAIL_REPLY, "EHLO refused: 421 closing", 421,
	  "EHLO client.test\r\n", ENDS_AT_ONCE, NULL },
	/* MAIL, RCPT (refused as expected), RSET: nothing is delivered. */
	{ "MAIL, RCPT, RSET",
	  { TS_SEND(BANNER), TS_READLINE, TS_SEND(EHLO_OK), TS_READLINE,
	    TS_SEND("250 ok\r\n"), TS_READLINE, TS_SEND("550 5.1.1 no such user\r\n"),
	    TS_READLINE, TS_SEND("250 reset\r\n"), TS_READLINE, TS_SEND("221 bye\r\n"), TS_END },
	  { .from = "", .rcpt = "nobody@mail.test", .expect_rcpt = 550 },
	  SMTP_DONE, FAIL_NONE, "", 0,
	  "EHLO client.test\r\nMAIL FROM:<>\r\nRCPT TO:<nobody@mail.test>\r\nRSET\r\nQUIT\r\n",
	  ENDS_AT_ONCE, check_mail_rcpt_rset },
	{ "AUTH PLAIN",
	  { TS_SEND(BANNER), TS_READLINE,
	    TS_SEND("250-mail.test\r\n250 AUTH LOGIN PLAIN\r\n"), TS_READLINE,
	    TS_SEND("235 ok\r\n"), TS_READLINE, TS_SEND("221 bye\r\n"), TS_END },
	  { .user = "alice", .password = "pw" }, SMTP_DONE, FAIL_NONE, "", 0,
	  /* base64("\0alice\0pw") */
	  "EHLO client.test\r\nAUTH PLAIN AGFsaWNlAHB3\r\nQUIT\r\n", ENDS_AT_ONCE, check_auth_plain },
	{ "AUTH LOGIN refused", /* the QUIT after 535 gets no answer */
	  { TS_SEND(BANNER), TS_READLINE, TS_SEND(EHLO_LOGIN), TS_READLINE,
	    TS_SEND("334 VXNlcm5hbWU6\r\n"), TS_READLINE, TS_SEND("334 UGFzc3dvcmQ6\r\n"),
	    TS_READLINE, TS_SEND("535 5.7.8 bad\r\n"), TS_END },
	  { .user = "alice", .password = "pw" }, SMTP_AUTH, FAIL_REPLY,
	  "authentication failed: 535 5.7.8 bad", 535,
	  "EHLO client.test\r\nAUTH LOGIN\r\nYWxpY2U=\r\ncHc=\r\n", ENDS_AFTER_QUIT_WAIT,
	  check_auth_login_refused },
	/* PLAIN asked for, only LOGIN offered: nothing is sent. */
	{ "AUTH PLAIN not offered",
	  { TS_SEND(BANNER), TS_READLINE, TS_SEND(EHLO_LOGIN), TS_READLINE,
	    TS_SEND("221 bye\r\n"), TS_HANG, TS_END },
	  { .user = "alice", .password = "pw", .auth_mech = "PLAIN" }, SMTP_AUTH, FAIL_REPLY,
	  "AUTH PLAIN is not offered", 0, "EHLO client.test\r\nQUIT\r\n", ENDS_AT_ONCE, NULL },
	/* check_smtp's -C: after EHLO (and AUTH), before MAIL; any reply
	 * goes (judging it is the check's), a 421 ends the dialogue. */
	{ "commands, each reply kept",
	  { TS_SEND(BANNER), TS_READLINE, TS_SEND(EHLO_OK), TS_READLINE,
	    TS_SEND("252 2.0.0 maybe\r\n"), TS_READLINE, TS_SEND("250-one\r\n250 two\r\n"),
	    TS_READLINE, TS_SEND("221 bye\r\n"), TS_END },
	  { .cmds = { "VRFY postmaster", "NOOP" } }, SMTP_DONE, FAIL_NONE, "", 0,
	  "EHLO client.test\r\nVRFY postmaster\r\nNOOP\r\nQUIT\r\n", ENDS_AT_ONCE,
	  check_commands },
	{ "a command refused: the dialogue goes on",
	  { TS_SEND(BANNER), TS_READLINE, TS_SEND(EHLO_OK), TS_READLINE,
	    TS_SEND("502 5.5.1 not here\r\n"), TS_READLINE, TS_SEND("221 bye\r\n"), TS_END },
	  { .cmds = { "EXPN staff" } }, SMTP_DONE, FAIL_NONE, "", 0,
	  "EHLO client.test\r\nEXPN staff\r\nQUIT\r\n", ENDS_AT_ONCE, check_command_refused },
	{ "421 to a command ends the dialogue",
	  { TS_SEND(BANNER), TS_READLINE, TS_SEND(EHLO_OK), TS_READLINE,
	    TS_SEND("421 4.3.2 going down\r\n"), TS_HANG, TS_END },
	  { .cmds = { "VRFY a", "VRFY b" } }, SMTP_COMMAND, FAIL_REPLY,
	  "the server closed the session: 421 4.3.2 going down", 421,
	  "EHLO client.test\r\nVRFY a\r\n", ENDS_AT_ONCE, NULL },
	{ "commands after AUTH, before MAIL",
	  { TS_SEND(BANNER), TS_READLINE,
	    TS_SEND("250-mail.test\r\n250 AUTH PLAIN\r\n"), TS_READLINE,
	    TS_SEND("235 ok\r\n"), TS_READLINE, TS_SEND("250 ok\r\n"), TS_READLINE,
	    TS_SEND("250 ok\r\n"), TS_READLINE, TS_SEND("250 reset\r\n"), TS_READLINE,
	    TS_SEND("221 bye\r\n"), TS_END },
	  { .user = "alice", .password = "pw", .from = "", .cmds = { "NOOP" } }, SMTP_DONE,
	  FAIL_NONE, "", 0,
	  "EHLO client.test\r\nAUTH PLAIN AGFsaWNlAHB3\r\nNOOP\r\nMAIL FROM:<>\r\nRSET\r\n"
	  "QUIT\r\n", ENDS_AT_ONCE, NULL },
	/* LMTP (RFC 2033): LHLO, and no HELO to fall back to. */
	{ "LHLO",
	  { TS_SEND("220 lmtp.test LMTP\r\n"), TS_READLINE, TS_SEND(EHLO_OK), TS_READLINE,
	    TS_SEND("221 bye\r\n"), TS_END },
	  { .lmtp = true }, SMTP_DONE, FAIL_NONE, "", 0, "LHLO client.test\r\nQUIT\r\n",
	  ENDS_AT_ONCE, NULL },
	{ "LHLO refused: no HELO",
	  { TS_SEND("220 lmtp.test LMTP\r\n"), TS_READLINE, TS_SEND("500 5.5.1 what\r\n"),
	    TS_READLINE, TS_SEND("221 bye\r\n"), TS_END },
	  { .lmtp = true }, SMTP_EHLO, FAIL_REPLY, "LHLO refused: 500 5.5.1 what", 500,
	  "LHLO client.test\r\nQUIT\r\n", ENDS_AT_ONCE, NULL },
	/* STARTTLS required but not offered: no STARTTLS is sent. */
	{ "STARTTLS not offered", /* the QUIT after it gets no answer */
	  { TS_SEND(BANNER), TS_READLINE, TS_SEND(EHLO_OK), TS_HANG, TS_END },
	  { .starttls = true }, SMTP_STARTTLS, FAIL_REPLY, "STARTTLS is not offered", 0,
	  "EHLO client.test\r\n", ENDS_AFTER_QUIT_WAIT, NULL },
};

/* forget_password counts its calls here. */
static void count_forget(void *ctx)
{
	(*(int *)ctx)++;
}

START_TEST(test_dialogue)
{
	const struct dialogue_case *c = &dialogue_cases[_i];
	struct testserver *ts = ts_start(AF_INET, c->steps);
	struct transcript *t = transcript_new();
	const char *rcpts[1] = { c->opt.rcpt };
	struct deadline d;
	struct smtp_outcome o;
	struct smtp_params p;
	size_t lines = 0;
	int rc, forgot = 0;

	deadline_start(&d, c->ends == ENDS_AT_DEADLINE ? UNIT_DEADLINE_MS : BUDGET_MS);
	p = params(ts, &d);
	p.transcript = t;
	p.user = c->opt.user;
	p.password = c->opt.password;
	p.auth_mech = c->opt.auth_mech;
	p.from = c->opt.from;
	p.rcpts = rcpts;
	p.nrcpt = c->opt.rcpt != NULL;
	p.expect_rcpt = c->opt.expect_rcpt;
	p.starttls = c->opt.starttls;
	p.commands = c->opt.cmds;
	while (p.ncmd < 3 && c->opt.cmds[p.ncmd] != NULL)
		p.ncmd++;
	p.lmtp = c->opt.lmtp;
	p.forget_password = count_forget;
	p.ctx = &forgot;
	rc = smtp_dialogue(&p, &o);
	/* the password is let go once AUTH is over, and only where it was sent */
	ck_assert_int_eq(forgot, strstr(c->sent, "AUTH ") != NULL);
	ck_assert_msg(o.failed_at == c->failed_at, "%s: failed at %s: %s", c->name,
		      smtp_state_name(o.failed_at), o.fail.text);
	ck_assert_int_eq(rc, c->failed_at == SMTP_DONE ? 0 : -1);
	if (c->failed_at != SMTP_DONE) {
		ck_assert_msg(o.fail.cls == c->cls && strstr(o.fail.text, c->text) != NULL,
			      "%s: %s (%d)", c->name, o.fail.text, o.fail.cls);
		ck_assert_int_eq(o.fail_code, c->fail_code);
	} else {
		assert_stages_wanted(c->name, &p, &o);
	}
	/* Ends at the deadline when the last wait gets no answer, after the
	 * courtesy wait when a QUIT after a refusal does, else at once. */
	if (c->ends == ENDS_AT_DEADLINE) {
		int64_t now = mono_now_ns();

		ck_assert_int_ge(now, d.end_ns);
		ck_assert_int_lt(now - d.end_ns, UNIT_SLACK_MS * 1000000LL);
	} else if (c->ends == ENDS_AFTER_QUIT_WAIT) {
		int64_t took = mono_now_ns() - d.start_ns;

		ck_assert_int_ge(took, SMTP_QUIT_COURTESY_MS * 1000000LL);
		ck_assert_int_lt(took, (SMTP_QUIT_COURTESY_MS + UNIT_SLACK_MS) * 1000000LL);
	} else {
		ck_assert_int_gt(deadline_left_ms(&d), BUDGET_MS / 2);
	}
	for (const char *q = c->sent; *q; q++)
		lines += *q == '\n';
	ck_assert_str_eq(ts_received(ts, lines), c->sent);
	if (c->check != NULL)
		c->check(&o, t);
	transcript_free(t);
	ts_stop(ts);
}
END_TEST

/* A loopback UDP port where nothing listens, as a DNS server list: a
 * resolver that never asks the system's servers (the tests give it
 * address literals only). */
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

/* -s to a host given as an address literal and a port: conn_open looks
 * it up (no DNS for a literal), connects and handshakes, and times both;
 * stages the options do not ask for do not run.  A server that speaks
 * plaintext there fails the TLS stage, with the connect timed. */
static const struct implicit_case {
	const char *name;
	bool tls_server;
	enum smtp_state failed_at;
	const char *text;
} implicit_cases[] = {
	{ "implicit TLS", true, SMTP_DONE, "" },
	{ "plaintext on the TLS port", false, SMTP_TLS,
	  "TLS handshake failed: the server answered with plaintext, not TLS" },
};

START_TEST(test_implicit_tls)
{
	const struct implicit_case *c = &implicit_cases[_i];
	struct ts_step steps[] = {
		TS_TLS(NULL), TS_SEND(BANNER), TS_READLINE, TS_SEND(EHLO_OK), TS_READLINE,
		TS_SEND("221 bye\r\n"), TS_HANG, TS_END,
	};
	const struct ts_step plain[] = { TS_SEND(BANNER), TS_HANG, TS_END };
	struct tls_params tp = { .host = "localhost" };
	struct resolver_params rp = { 0 };
	struct resolver *r;
	struct testserver *ts;
	struct deadline d;
	struct smtp_outcome o;
	struct smtp_params p;
	struct fail f = { 0 };
	char dns[64], peer[64];

	ts_certs_make();
	steps[0].data = ts_certs.good;
	tp.ca_file = ts_certs.ca;
	ts = ts_start(AF_INET, c->tls_server ? steps : plain);
	deadline_start(&d, BUDGET_MS);
	refused_dns(dns, sizeof(dns));
	rp = (struct resolver_params){ .deadline = &d, .servers = dns };
	r = resolver_new(&rp, &f);
	ck_assert_msg(r != NULL, "%s", f.text);
	p = (struct smtp_params){
		.deadline = &d, .resolver = r, .host = "127.0.0.1", .port = ts_port(ts),
		.helo_name = "client.test", .server_name = "mail.test",
		.implicit_tls = true, .tls = &tp,
	};
	ck_assert_int_eq(smtp_dialogue(&p, &o), c->failed_at == SMTP_DONE ? 0 : -1);
	ck_assert_msg(o.failed_at == c->failed_at, "%s: failed at %s: %s", c->name,
		      smtp_state_name(o.failed_at), o.fail.text);
	ck_assert(o.stage_run[STAGE_CONNECT] && o.stage_s[STAGE_CONNECT] > 0);
	if (c->failed_at == SMTP_DONE) {
		snprintf(peer, sizeof(peer), "127.0.0.1:%d", ts_port(ts));
		ck_assert_str_eq(o.peer, peer);
		ck_assert(o.tls && o.tls_info.verified);
		ck_assert(o.stage_run[STAGE_TLS] && o.stage_s[STAGE_TLS] > 0);
		assert_stages_wanted(c->name, &p, &o);
		ck_assert_str_eq(ts_received(ts, 2), "EHLO client.test\r\nQUIT\r\n");
	} else {
		ck_assert_msg(o.fail.cls == FAIL_TLS, "%s: class %d: %s", c->name, o.fail.cls,
			      o.fail.text);
		ck_assert_msg(strstr(o.fail.text, c->text) == o.fail.text, "%s", o.fail.text);
		ck_assert(o.tls_info.plaintext && !o.tls);
		ck_assert(!o.stage_run[STAGE_TLS] && o.stage_s[STAGE_TLS] == 0);
		ck_assert(!o.stage_run[STAGE_BANNER] && !o.stage_run[STAGE_EHLO] &&
			  !o.stage_run[STAGE_QUIT]);
		ck_assert_int_gt(deadline_left_ms(&d), BUDGET_MS / 2);
	}
	/* Not asked for: not run, no time. */
	for (int st = STAGE_AUTH; st <= STAGE_DATA; st++)
		ck_assert(!o.stage_run[st] && o.stage_s[st] == 0);
	resolver_free(r);
	ts_stop(ts);
	ts_certs_remove();
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
	assert_stages_wanted("STARTTLS", &p, &o);
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
	assert_stages_wanted("relay probes", &p, &o);
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
/* The end of DATA: one reply for SMTP; for LMTP one per recipient, in
 * the order of the RCPTs, any refusal naming its recipient. */
static const struct data_case {
	const char *name;
	bool lmtp;
	size_t nrcpt;
	const char *after_dot;      /* the replies to the final dot */
	enum smtp_state failed_at;
	const char *text;           /* in the failure's text */
	int data_code;
} data_cases[] = {
	{ "SMTP", false, 1, "250 2.0.0 Ok: queued as Q1\r\n", SMTP_DONE, "", 250 },
	{ "SMTP, two recipients: one reply", false, 2, "250 2.0.0 Ok: queued as Q1\r\n",
	  SMTP_DONE, "", 250 },
	{ "LMTP, two recipients", true, 2,
	  "250 2.0.0 <bob@mail.test> Ok: queued as Q1\r\n250 2.0.0 <carol@mail.test> Saved\r\n",
	  SMTP_DONE, "", 250 },
	{ "LMTP, the second recipient refused", true, 2,
	  "250 2.0.0 <bob@mail.test> Ok: queued as Q1\r\n452 4.2.2 <carol@mail.test> full\r\n",
	  SMTP_DATA, "message refused for <carol@mail.test>: 452 4.2.2 <carol@mail.test> full",
	  452 },
};

START_TEST(test_data_message)
{
	const struct data_case *c = &data_cases[_i];
	struct ts_step steps[28];
	size_t n = 0;
	static const char *const rcpts[] = { "bob@mail.test", "carol@mail.test" };
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
	for (size_t i = 0; i < c->nrcpt; i++) {
		steps[n++] = (struct ts_step)TS_READLINE;
		steps[n++] = (struct ts_step)TS_SEND("250 ok\r\n");
	}
	steps[n++] = (struct ts_step)TS_READLINE;
	steps[n++] = (struct ts_step)TS_SEND("354 go\r\n");
	for (int i = 0; i < 10; i++)
		steps[n++] = (struct ts_step)TS_READLINE;
	steps[n++] = (struct ts_step)TS_SEND(c->after_dot);
	steps[n++] = (struct ts_step)TS_READLINE;
	steps[n++] = (struct ts_step)TS_SEND("221 bye\r\n");
	steps[n++] = (struct ts_step)TS_END;
	ts = ts_start(AF_INET, steps);
	deadline_start(&d, BUDGET_MS);
	p = params(ts, &d);
	p.from = "alice@mail.test";
	p.rcpts = rcpts;
	p.nrcpt = c->nrcpt;
	p.data = true;
	p.token = "TOKEN123";
	p.lmtp = c->lmtp;
	smtp_dialogue(&p, &o);
	ck_assert_msg(o.failed_at == c->failed_at && strstr(o.fail.text, c->text) != NULL,
		      "%s: failed at %s: %s", c->name, smtp_state_name(o.failed_at), o.fail.text);
	ck_assert_int_eq(o.data_code, c->data_code);
	ck_assert_str_eq(o.queue_id, "Q1");
	if (c->failed_at == SMTP_DONE)
		assert_stages_wanted(c->name, &p, &o);
	got = ts_received(ts, 14 + c->nrcpt);
	ck_assert_ptr_nonnull(strstr(got, c->lmtp ? "LHLO client.test\r\n" : "EHLO client.test\r\n"));
	ck_assert_ptr_nonnull(strstr(got, "DATA\r\nDate: "));
	ck_assert_ptr_nonnull(strstr(got, "\r\nSubject: netcheck test TOKEN123\r\n"));
	ck_assert_ptr_nonnull(strstr(got, "\r\nMessage-ID: <TOKEN123@client.test>\r\n"));
	ck_assert_ptr_nonnull(strstr(got, "\r\n.. This line starts with a dot"));
	/* All the replies were read before the QUIT: it got the 221. */
	ck_assert_msg(strstr(got, "\r\n.\r\nQUIT\r\n") != NULL && o.quit_code == 221,
		      "%s: %s, QUIT %d", c->name, got, o.quit_code);
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
	tcase_add_loop_test(tc, test_stage_wanted, 0, N(wanted_cases));
	suite_add_tcase(s, tc);
	tcase_set_timeout(dl, UNIT_TIMEOUT);
	tcase_add_loop_test(dl, test_dialogue, 0, N(dialogue_cases));
	tcase_add_loop_test(dl, test_implicit_tls, 0, N(implicit_cases));
	tcase_add_test(dl, test_starttls_injection_and_ehlo_again);
	tcase_add_test(dl, test_relay_probes);
	tcase_add_loop_test(dl, test_data_message, 0, N(data_cases));
	suite_add_tcase(s, dl);
	return s;
}
