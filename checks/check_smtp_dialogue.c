/* check_smtp_dialogue: what an administrator does with `telnet mail 25`,
 * as a check: banner, EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA or RSET, an
 * open-relay test and QUIT, each step checked and timed.  The dialogue is
 * common/smtp.c, the MX set common/mx.c; this file turns options into
 * their parameters and their outcome into a state, a status line and
 * perfdata: parse options -> run -> judge -> write. */
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "mx.h"
#include "opts.h"
#include "output.h"
#include "range.h"
#include "resolve.h"
#include "result.h"
#include "secret.h"
#include "smtp.h"

#define PORT_SMTPS 465
#define STATUS_MAX 2048    /* one host's status text */
#define PROBLEMS_SHOWN 3   /* problems named on the status line */

enum {
	KEY_MX = 256, KEY_ALL_MX, KEY_REQUIRE, KEY_MIN_SIZE, KEY_PLAINTEXT_AUTH, KEY_TO,
	KEY_EXPECT_RCPT, KEY_DATA, KEY_TOKEN, KEY_RELAY,
};

#define CMD_MAX_LEN 500    /* a -C line (RFC 5321 4.5.3.1.4: 512 with CRLF) */

static const struct opt_spec extra[] = {
	{ "mx", KEY_MX, "DOMAIN", "Instead of -H: look up DOMAIN's MX records (ordered by "
	  "preference, then name; without MX records the domain itself, as mail delivery "
	  "does) and talk to the first host that answers.", NULL },
	{ "all-mx", KEY_ALL_MX, NULL, "With --mx: talk to every MX host, one line each; the "
	  "worst state wins.", NULL },
	{ "expect", 'e', "REGEX", "The banner must match this extended regular expression "
	  "(else WARNING), as sent ('220 mx.example.com ESMTP') or without its code "
	  "('mx.example.com ESMTP'); ^ and $ match at each line; a plain string matches "
	  "where it occurs, as check_smtp's -e.", NULL },
	{ "command", 'C', "COMMAND", "Send COMMAND (after EHLO, STARTTLS and AUTH, before "
	  "MAIL) and keep its reply; repeatable (up to 16), as check_smtp's -C.  Any reply "
	  "goes, unless -R says otherwise.", NULL },
	{ "response", 'R', "REGEX", "The reply to the -C in the same place must match this "
	  "extended regular expression (each line with its code; else WARNING, as "
	  "check_smtp's -R); repeatable.", NULL },
	{ "lmtp", 'L', NULL, "Speak LMTP (RFC 2033): LHLO instead of EHLO, no HELO, and "
	  "after --data one reply per recipient.", NULL },
	{ "fqdn", 'F', "NAME", "Name to send in EHLO/HELO.", "this host's name" },
	{ "require", KEY_REQUIRE, "EXT[,EXT...]", "EHLO keywords the server must offer "
	  "(STARTTLS, PIPELINING, 8BITMIME, SIZE, SMTPUTF8, CHUNKING, DSN, ...); checked "
	  "after STARTTLS when -S is given.", NULL },
	{ "min-size", KEY_MIN_SIZE, "BYTES", "CRITICAL when the server's SIZE limit is below "
	  "this (units B, KB, MB, GB); WARNING when it announces no SIZE.", NULL },
	{ "starttls", 'S', NULL, "Use STARTTLS; CRITICAL when it is not offered.", NULL },
	{ "tls", 's', NULL, "Implicit TLS from the first byte (SMTPS; the port defaults to "
	  "465).", NULL },
	{ "authuser", 'U', "USER", "Authenticate as USER (AUTH PLAIN or LOGIN).", NULL },
	{ "authtype", 'A', "MECH", "PLAIN or LOGIN.", "the best the server offers" },
	{ "allow-plaintext-auth", KEY_PLAINTEXT_AUTH, NULL, "Allow sending credentials over "
	  "an unencrypted connection.", NULL },
	{ "from", 'f', "ADDRESS", "Send MAIL FROM:<ADDRESS> (an empty ADDRESS is the null "
	  "sender <>).", "no MAIL; <> when --to is given" },
	{ "to", KEY_TO, "ADDRESS", "Send RCPT TO:<ADDRESS>; repeatable (up to 16).", NULL },
	{ "expect-rcpt", KEY_EXPECT_RCPT, "CODE", "Every RCPT must get this reply code, e.g. "
	  "550 to check that an unknown user is refused.", "any 2xx" },
	{ "data", KEY_DATA, NULL, "Send a small test message whose Subject holds a unique "
	  "token (printed); without it the dialogue ends with RSET and nothing is "
	  "delivered.", NULL },
	{ "token", KEY_TOKEN, "TEXT", "The token for --data's Subject.", "made up per run" },
	{ "relay-test", KEY_RELAY, "ADDRESS", "Try to relay to ADDRESS (outside the server's "
	  "domains) without authentication, in the ways open-relay testers do; never sends "
	  "DATA.", NULL },
	{ "ignore-quit-failure", 'q', NULL, "Do not mind a missing 221 reply to QUIT.", NULL },
	{ NULL, 0, NULL, NULL, NULL },
};

/* check_smtp's options that are not taken here. */
static const struct foreign_opt foreign[] = {
	{ 0, "extra-opts", "put the options on the command line" },
	{ 0, NULL, NULL },
};

static const struct plugin_info info = {
	.name = "check_smtp_dialogue",
	.service = "SMTP",
	.purpose = "Holds the SMTP dialogue an administrator would type by hand (banner, EHLO, "
		   "STARTTLS, AUTH, MAIL, RCPT, DATA or RSET, an open-relay test, QUIT), checks "
		   "and times every step.",
	.usage = "-H HOST | --mx DOMAIN [options]",
	.host_help = "Host name or address of the SMTP server.",
	.default_port = 25,
	.thr_what = "the total time",
	.thr_kind = UNIT_TIME,
	.thr_unit = "s",
	.extra = extra,
	.foreign = foreign,
	.groups = OPTS_TLS | OPTS_PASSWORD | OPTS_DNS,
	.pw_long = "authpass",
	.notes = "Examples:\n"
		 "  check_smtp_dialogue -H mail.example.com -S -D 30,7\n"
		 "  check_smtp_dialogue -H mail.example.com -S -U alice --password-file /etc/nagios/pw "
		 "-f alice@example.com --to bob@example.com --data\n"
		 "  check_smtp_dialogue --mx example.com --all-mx --relay-test probe@elsewhere.example\n"
		 "-v shows the dialogue (credentials masked), -vv also each step's time and the\n"
		 "certificate.\n"
		 "Perfdata: seconds per stage: connect (with the name lookup), banner, ehlo, tls\n"
		 "(with -S or -s), auth (with -U), mail (with -f or --to), rcpt (with --to),\n"
		 "data (with --data), quit; time (the whole run, -w/-c); cert_days (with -S or\n"
		 "-s).  A stage asked for but not reached is U.  With --all-mx: time per MX\n"
		 "host, labelled with its name, and time.\n",
};

struct params {
	const char *mx;
	bool all_mx;
	const char *expect;
	bool has_expect;
	regex_t expect_re;        /* -e, compiled */
	const char *cmd[SMTP_MAX_CMD];  /* -C */
	size_t ncmd;
	const char *resp[SMTP_MAX_CMD]; /* -R, as given */
	regex_t resp_re[SMTP_MAX_CMD];  /* compiled */
	size_t nresp;
	bool lmtp;
	const char *fqdn;
	char require[256];
	bool has_min_size;
	double min_size;
	bool starttls, implicit_tls;
	const char *user;
	const char *auth_mech;
	bool plaintext_auth;
	const char *from;
	const char *to[SMTP_MAX_RCPT];
	size_t nto;
	int expect_rcpt;
	bool data;
	const char *token;
	const char *relay_to;
	bool ignore_quit;
};

/* Everything one run needs. */
struct run {
	struct common_opts co;
	struct params p;
	struct deadline d;
	struct resolver *resolver;
	struct result *res;
	char password[SECRET_MAX];
	char helo[256], token[80];
	struct tls_params tp;
	struct smtp_outcome outcome; /* the dialogue being judged */
	const struct smtp_outcome *first; /* the one judged into res, -H or
					   * the first MX host that answered */
	char first_host[256];        /* its host */
	size_t tried;                /* MX hosts talked to */
};

/* Compiles an extended regular expression whose ^ and $ match at each
 * line of a reply.  0, or -1 with err set. */
static int compile_regex(regex_t *re, const char *arg, char *err, size_t errlen)
{
	int rc = regcomp(re, arg, REG_EXTENDED | REG_NOSUB | REG_NEWLINE);

	if (rc != 0) {
		char why[128];

		regerror(rc, re, why, sizeof(why));
		snprintf(err, errlen, "'%s' is not a regular expression: %s", arg, why);
		return -1;
	}
	return 0;
}

static int handle_expect(struct params *p, const char *arg, char *err, size_t errlen)
{
	if (p->has_expect)
		regfree(&p->expect_re);
	p->has_expect = compile_regex(&p->expect_re, arg, err, errlen) == 0;
	p->expect = arg;
	return p->has_expect ? 0 : -1;
}

static int handle_command(struct params *p, int key, const char *arg, char *err,
			  size_t errlen)
{
	if ((key == 'C' ? p->ncmd : p->nresp) == SMTP_MAX_CMD) {
		snprintf(err, errlen, "at most %d", SMTP_MAX_CMD);
		return -1;
	}
	if (key == 'R') {
		if (compile_regex(&p->resp_re[p->nresp], arg, err, errlen) < 0)
			return -1;
		p->resp[p->nresp++] = arg;
		return 0;
	}
	if (arg[0] == '\0' || strlen(arg) > CMD_MAX_LEN || strpbrk(arg, "\r\n") != NULL) {
		snprintf(err, errlen, "a command is one line of 1 to %d characters", CMD_MAX_LEN);
		return -1;
	}
	p->cmd[p->ncmd++] = arg;
	return 0;
}

static int handle(void *ctx, int key, const char *arg, char *err, size_t errlen)
{
	struct params *p = ctx;
	long v;

	switch (key) {
	case KEY_MX: p->mx = arg; return 0;
	case KEY_ALL_MX: p->all_mx = true; return 0;
	case 'e': return handle_expect(p, arg, err, errlen);
	case 'C':
	case 'R': return handle_command(p, key, arg, err, errlen);
	case 'L': p->lmtp = true; return 0;
	case 'F': p->fqdn = arg; return 0;
	case KEY_REQUIRE:
		if (strlen(arg) >= sizeof(p->require)) {
			snprintf(err, errlen, "the list is too long");
			return -1;
		}
		snprintf(p->require, sizeof(p->require), "%s", arg);
		return 0;
	case KEY_MIN_SIZE:
		p->has_min_size = true;
		return unit_parse(arg, UNIT_SIZE, "B", &p->min_size, err, errlen);
	case 'S': p->starttls = true; return 0;
	case 's': p->implicit_tls = true; return 0;
	case 'U': p->user = arg; return 0;
	case 'A':
		if (strcasecmp(arg, "PLAIN") != 0 && strcasecmp(arg, "LOGIN") != 0) {
			snprintf(err, errlen, "'%s' is not PLAIN or LOGIN", arg);
			return -1;
		}
		p->auth_mech = strcasecmp(arg, "PLAIN") == 0 ? "PLAIN" : "LOGIN";
		return 0;
	case KEY_PLAINTEXT_AUTH: p->plaintext_auth = true; return 0;
	case 'f': p->from = arg; return 0;
	case KEY_TO:
		if (p->nto == SMTP_MAX_RCPT) {
			snprintf(err, errlen, "at most %d recipients", SMTP_MAX_RCPT);
			return -1;
		}
		p->to[p->nto++] = arg;
		return 0;
	case KEY_EXPECT_RCPT:
		if (opts_long(arg, 200, 599, &v, err, errlen) < 0)
			return -1;
		p->expect_rcpt = (int)v;
		return 0;
	case KEY_DATA: p->data = true; return 0;
	case KEY_TOKEN: p->token = arg; return 0;
	case KEY_RELAY: p->relay_to = arg; return 0;
	case 'q': p->ignore_quit = true; return 0;
	}
	snprintf(err, errlen, "unhandled option");
	return -1;
}

/* ---- options that depend on each other ---------------------------------- */

/* An address for MAIL/RCPT: no angle brackets, spaces or control bytes. */
static bool address_ok(const char *a)
{
	for (const unsigned char *c = (const unsigned char *)a; *c; c++)
		if (*c <= ' ' || *c == '<' || *c == '>' || *c == 0x7f)
			return false;
	return strlen(a) < 256;
}

static bool relay_address_ok(const char *a)
{
	const char *at = strrchr(a, '@');

	return at != NULL && at != a && at[1] != '\0' && address_ok(a);
}

/* The target, TLS and credentials; NULL when fine, else the complaint. */
static const char *check_connection(const struct run *r)
{
	const struct params *p = &r->p;
	int sources = secret_sources(&r->co.pw);

	if ((r->co.host == NULL) == (p->mx == NULL))
		return r->co.host ? "give -H or --mx, not both" : "-H HOST or --mx DOMAIN is required";
	if (p->all_mx && p->mx == NULL)
		return "--all-mx needs --mx";
	if (p->starttls && p->implicit_tls)
		return "-S (STARTTLS) and -s (implicit TLS) exclude each other";
	if (opts_tls_given(&r->co) && !p->starttls && !p->implicit_tls)
		return "-D, --ca-file and --insecure need -S or -s";
	if (p->user == NULL && sources > 0)
		return "a password was given without -U";
	if (p->user != NULL && !p->starttls && !p->implicit_tls && !p->plaintext_auth)
		return "refusing to send credentials over an unencrypted connection: use -S or -s "
		       "(or --allow-plaintext-auth)";
	if (p->relay_to != NULL && p->user != NULL)
		return "--relay-test tries relaying without authentication: do not combine it "
		       "with -U";
	return NULL;
}

/* Checks what opts cannot: combinations and addresses; reads the password
 * (once).  Returns -1 when the plugin should go on, else the exit code
 * (after a message). */
static int validate(struct run *r)
{
	struct params *p = &r->p;
	const char *why = check_connection(r);
	struct fail f = { 0 };

	if (why != NULL)
		return opts_usage_error(&info, &r->co, "%s", why);
	if (p->relay_to != NULL && !relay_address_ok(p->relay_to))
		return opts_usage_error(&info, &r->co, "--relay-test: '%s' is not an address "
					"(user@domain)", p->relay_to);
	if (p->from != NULL && !address_ok(p->from))
		return opts_usage_error(&info, &r->co, "-f: '%s' is not an address", p->from);
	for (size_t i = 0; i < p->nto; i++)
		if (!address_ok(p->to[i]) || p->to[i][0] == '\0')
			return opts_usage_error(&info, &r->co, "--to: '%s' is not an address",
						p->to[i]);
	if (p->data && p->nto == 0)
		return opts_usage_error(&info, &r->co, "--data needs --to");
	if (p->data && p->expect_rcpt && p->expect_rcpt / 100 != 2)
		return opts_usage_error(&info, &r->co, "--data cannot follow a rejected RCPT "
					"(--expect-rcpt %d)", p->expect_rcpt);
	if (p->nresp > p->ncmd)
		return opts_usage_error(&info, &r->co, "-R '%s' has no -C: each -R is the reply "
					"expected to the -C in the same place", p->resp[p->ncmd]);
	if (p->expect_rcpt && p->nto == 0)
		return opts_usage_error(&info, &r->co, "--expect-rcpt needs --to");
	if (p->token != NULL && (!address_ok(p->token) || strlen(p->token) > 64))
		return opts_usage_error(&info, &r->co, "--token: use up to 64 printable "
					"characters without spaces");
	if (p->fqdn != NULL && (!address_ok(p->fqdn) || p->fqdn[0] == '\0'))
		return opts_usage_error(&info, &r->co, "-F: '%s' is not a host name", p->fqdn);
	if (p->nto > 0 && p->from == NULL)
		p->from = "";
	if (p->user != NULL && secret_read(&r->co.pw, r->password, sizeof(r->password), &f) < 0)
		return opts_usage_error(&info, &r->co, "%s", f.text);
	return -1;
}

/* A fresh token for --data: time, pid and random bits, in hex. */
static void make_token(char *buf, size_t len)
{
	unsigned int x = 0;

	if (getrandom(&x, sizeof(x), GRND_NONBLOCK) != sizeof(x))
		x = (unsigned int)mono_now_ns();
	snprintf(buf, len, "nc%lx%x%08x", (unsigned long)time(NULL), (unsigned)getpid(), x);
}

/* Defaults that depend on other options. */
static void settle(struct run *r)
{
	if (r->p.implicit_tls && !r->co.port_given)
		r->co.port = PORT_SMTPS;
	if (r->p.fqdn == NULL) {
		if (gethostname(r->helo, sizeof(r->helo)) < 0 || r->helo[0] == '\0')
			snprintf(r->helo, sizeof(r->helo), "localhost");
		r->helo[sizeof(r->helo) - 1] = '\0';
		r->p.fqdn = r->helo;
	}
	if (r->p.token == NULL) {
		make_token(r->token, sizeof(r->token));
		r->p.token = r->token;
	}
}

/* ---- judging one dialogue ----------------------------------------------- */

/* "mail.test [127.0.0.1]:25", or "[127.0.0.1]:25" for -H 127.0.0.1, or the
 * name alone when no address answered. */
static void where_text(const struct smtp_outcome *o, const char *host, char *buf, size_t len)
{
	const char *colon = strrchr(o->peer, ':');
	char peer[ADDR_TEXT_MAX + 2];

	if (o->peer[0] == '\0') {
		snprintf(buf, len, "%s", host);
		return;
	}
	if (o->peer[0] == '[' || colon == NULL)
		snprintf(peer, sizeof(peer), "%s", o->peer);
	else
		snprintf(peer, sizeof(peer), "[%.*s]%s", (int)(colon - o->peer), o->peer, colon);
	if (strncmp(peer + 1, host, strlen(host)) == 0 && peer[1 + strlen(host)] == ']')
		snprintf(buf, len, "%s", peer);
	else
		snprintf(buf, len, "%s %s", host, peer);
}

/* The replies to -C, each against its -R if there is one. */
static void judge_commands(const struct params *p, const struct smtp_outcome *o,
			   struct result *res)
{
	for (size_t i = 0; i < o->ncmd; i++) {
		const char *nl = strchr(o->cmd_reply[i], '\n');
		int shown = nl ? (int)(nl - o->cmd_reply[i]) : (int)strlen(o->cmd_reply[i]);
		const char *more = nl ? " ..." : "";

		if (i < p->nresp && regexec(&p->resp_re[i], o->cmd_reply[i], 0, NULL, 0) != 0)
			result_sub(res, STATE_WARNING, "the reply to %s does not match /%s/: %.*s%s",
				   p->cmd[i], p->resp[i], shown, o->cmd_reply[i], more);
		else
			result_sub(res, STATE_OK, "%s: %.*s%s%s", p->cmd[i], shown, o->cmd_reply[i],
				   more, i < p->nresp ? " (matches -R)" : "");
	}
}

/* The steps that went through, in order, as OK sub-results. */
static void judge_steps(const struct run *r, const struct smtp_outcome *o, struct result *res)
{
	const struct params *p = &r->p;
	enum smtp_state at = o->failed_at;

	if (o->peer[0])
		result_sub(res, STATE_OK, "connect: %s", o->peer);
	if (o->banner_code && at != SMTP_BANNER)
		result_sub(res, STATE_OK, "banner: %d %s", o->banner_code, o->banner);
	if (o->ehlo_code)
		result_sub(res, STATE_OK, "EHLO refused (%d), HELO used", o->ehlo_code);
	if (o->esmtp) {
		const char *hello = p->lmtp ? "LHLO" : "EHLO";

		char exts[400] = "";
		size_t u = 0;

		for (size_t i = 0; i < o->ext.n && u < sizeof(exts); i++)
			u += (size_t)snprintf(exts + u, sizeof(exts) - u, "%s%s", i ? ", " : "",
					      o->ext.line[i]);
		if (o->ext.n > 0)
			result_sub(res, STATE_OK, "%s: 250, %zu extensions: %s", hello, o->ext.n, exts);
		else
			result_sub(res, STATE_OK, "%s: 250, no extensions", hello);
	}
	if (o->tls)
		result_sub(res, STATE_OK, "%s: %s, %s", p->implicit_tls ? "TLS" : "STARTTLS",
			   o->tls_info.version, o->tls_info.cipher);
	/* The states are in dialogue order: failing later means AUTH passed. */
	if (o->auth_mech[0] && at > SMTP_AUTH)
		result_sub(res, STATE_OK, "AUTH %s: 235", o->auth_mech);
	judge_commands(p, o, res);
	if (o->mail_code && at != SMTP_MAIL)
		result_sub(res, STATE_OK, "MAIL FROM:<%s>: %d", p->from ? p->from : "", o->mail_code);
	for (size_t i = 0; i < o->nrcpt; i++)
		if (at != SMTP_RCPT || i + 1 < o->nrcpt)
			result_sub(res, STATE_OK, "RCPT TO:<%s>: %d %s", p->to[i], o->rcpt_code[i],
				   o->rcpt_text[i]);
	if (o->data_code && at != SMTP_DATA)
		result_sub(res, STATE_OK, "DATA: %d%s%s, Subject token %s", o->data_code,
			   o->queue_id[0] ? " queued as " : "", o->queue_id, p->token);
	if (o->quit_code && at != SMTP_QUIT)
		result_sub(res, STATE_OK, "QUIT: %d", o->quit_code);
}

/* "EHLO", or "LHLO" for LMTP: a state's name in messages. */
static const char *step_name(const struct run *r, enum smtp_state st)
{
	if (r->p.lmtp && st == SMTP_EHLO)
		return "LHLO";
	if (r->p.lmtp && st == SMTP_EHLO_TLS)
		return "LHLO after STARTTLS";
	return smtp_state_name(st);
}

/* The failure that ended the dialogue, if any, as a sub-result. */
static void judge_failure(const struct run *r, const struct smtp_outcome *o, struct result *res)
{
	enum state s = STATE_CRITICAL;

	if (o->failed_at == SMTP_DONE)
		return;
	if (o->failed_at == SMTP_QUIT && r->p.ignore_quit) {
		result_sub(res, STATE_OK, "QUIT: %s (ignored, -q)", o->fail.text);
		return;
	}
	if (o->fail.cls == FAIL_TIMEOUT)
		s = r->co.timeout_state;
	else if (o->fail.cls == FAIL_INTERNAL)
		s = STATE_UNKNOWN;
	result_sub(res, s, "%s: %s", step_name(r, o->failed_at), o->fail.text);
	/* The TLS asked for does not match what the server speaks. */
	if (o->failed_at == SMTP_TLS && o->tls_info.plaintext)
		result_sub(res, STATE_OK, "the server speaks plaintext SMTP on this port: use -S "
			   "(STARTTLS) instead of -s");
	else if (o->failed_at == SMTP_BANNER && o->fail.cls == FAIL_TIMEOUT && !r->p.implicit_tls)
		result_sub(res, STATE_OK, "no banner: an SMTPS server says nothing until TLS "
			   "(use -s if this port speaks implicit TLS)");
}

/* The server's TLS: certificate and response injection. */
static void judge_tls(const struct run *r, const struct smtp_outcome *o, struct result *res)
{
	tls_report(res, r->p.implicit_tls ? "TLS" : "STARTTLS", &o->tls_info, o->tls,
		   r->co.tls.warn_days, r->co.tls.crit_days);
	if (o->injected > 0)
		result_sub(res, STATE_CRITICAL, "response injection: the server sent %zu bytes of "
			   "plaintext after its STARTTLS go-ahead (discarded)", o->injected);
}

static void judge_require(const struct params *p, const struct smtp_outcome *o,
			  struct result *res)
{
	char missing[256] = "", copy[256];
	size_t m = 0;

	snprintf(copy, sizeof(copy), "%s", p->require);
	for (char *save, *e = strtok_r(copy, ",", &save); e; e = strtok_r(NULL, ",", &save))
		if (!smtp_ext_has(&o->ext, e))
			m += (size_t)snprintf(missing + m, sizeof(missing) - m, "%s%s",
					      m ? ", " : "", e);
	if (m > 0)
		result_sub(res, STATE_CRITICAL, "missing extensions: %s", missing);
}

/* -e: the banner as sent ("220-mx.example ESMTP\n220 ready") or its text
 * alone ("mx.example ESMTP\nready") matches. */
static bool banner_matches(const struct params *p, const char *banner)
{
	char text[sizeof(((struct smtp_outcome *)0)->banner_all)];
	size_t u = 0;

	if (regexec(&p->expect_re, banner, 0, NULL, 0) == 0)
		return true;
	for (const char *l = banner; *l != '\0' && u < sizeof(text) - 1;) {
		size_t n = strcspn(l, "\n");
		size_t skip = n >= 4 ? 4 : n;

		u += (size_t)snprintf(text + u, sizeof(text) - u, "%s%.*s", u ? "\n" : "",
				      (int)(n - skip), l + skip);
		l += n + (l[n] == '\n');
	}
	text[u < sizeof(text) ? u : sizeof(text) - 1] = '\0';
	return regexec(&p->expect_re, text, 0, NULL, 0) == 0;
}

/* What the options ask of a dialogue that went through. */
static void judge_asks(const struct params *p, const struct smtp_outcome *o, struct result *res)
{
	if (p->has_expect && !banner_matches(p, o->banner_all))
		result_sub(res, STATE_WARNING, "the banner does not match /%s/", p->expect);
	if (p->require[0])
		judge_require(p, o, res);
	if (p->has_min_size) {
		char limit[64];

		unit_format(p->min_size, UNIT_SIZE, limit, sizeof(limit));
		if (!o->ext.has_size)
			result_sub(res, STATE_WARNING, "the server announces no SIZE limit");
		else if (o->ext.size_bad)
			result_sub(res, STATE_WARNING, "the server's SIZE value is not a number");
		else if (o->ext.size != 0 && (double)o->ext.size < p->min_size)
			result_sub(res, STATE_CRITICAL, "SIZE %llu (critical under %s)", o->ext.size,
				   limit);
	}
}

/* The open-relay probes: the verdict when they all ran, then each probe
 * (an accepted one CRITICAL in any case). */
static void judge_relay(const struct run *r, const struct smtp_outcome *o, struct result *res)
{
	bool complete = o->relay_total == SMTP_MAX_RELAY;

	if (r->p.relay_to == NULL)
		return;
	if (o->relay_accepted > 0)
		result_sub(res, STATE_CRITICAL, "OPEN RELAY (%zu of %zu variants accepted)",
			   o->relay_accepted, o->relay_total);
	else if (complete && o->relay_temp > 0)
		result_sub(res, STATE_WARNING, "relay test inconclusive: %zu of %zu variants got "
			   "a temporary failure", o->relay_temp, o->relay_total);
	else if (complete)
		result_sub(res, STATE_OK, "relay denied (%zu of %zu variants refused)",
			   o->relay_denied, o->relay_total);
	for (size_t i = 0; i < o->relay_total; i++)
		result_sub(res, o->relay_code[i] / 100 == 2 ? STATE_CRITICAL : STATE_OK,
			   "relay test %s", o->relay_line[i]);
}

/* What went well, for the status line: "ESMTP, STARTTLS TLSv1.3, ...". */
static void good_text(const struct run *r, const struct smtp_outcome *o, char *buf, size_t len)
{
	const struct params *p = &r->p;
	size_t used = 0;

	buf[0] = '\0';
	if (o->banner_code == 0)
		return;
	used = (size_t)snprintf(buf, len, "%s", p->lmtp ? "LMTP" : o->esmtp ? "ESMTP" : "SMTP");
	if (o->tls && used < len)
		used += (size_t)snprintf(buf + used, len - used, ", %s %s",
					 p->implicit_tls ? "TLS" : "STARTTLS", o->tls_info.version);
	if (o->auth_mech[0] && o->failed_at > SMTP_AUTH && used < len)
		used += (size_t)snprintf(buf + used, len - used, ", AUTH %s", o->auth_mech);
	if (o->nrcpt > 0 && used < len)
		used += (size_t)snprintf(buf + used, len - used, ", RCPT %d",
					 o->rcpt_code[o->nrcpt - 1]);
	if (o->data_code && used < len)
		used += (size_t)snprintf(buf + used, len - used, ", queued%s%s, token %s",
					 o->queue_id[0] ? " as " : "", o->queue_id, p->token);
	if (p->relay_to != NULL && o->relay_total > 0 && o->relay_accepted == 0 &&
	    o->relay_temp == 0 && used < len)
		snprintf(buf + used, len - used, ", relay denied");
}

/* Judges one dialogue into res: its sub-results.  Returns its state. */
static enum state judge(const struct run *r, const struct smtp_outcome *o, struct result *res)
{
	judge_steps(r, o, res);
	judge_tls(r, o, res);
	judge_failure(r, o, res);
	if (o->failed_at == SMTP_DONE || (o->failed_at == SMTP_QUIT && r->p.ignore_quit))
		judge_asks(&r->p, o, res);
	judge_relay(r, o, res);
	return result_state(res);
}

/* One dialogue's status text, from what res holds: "where good, N ms", or
 * "where: problems; good, N ms" when something is wrong. */
static void status_text(const struct run *r, const struct smtp_outcome *o, const char *host,
			const struct result *res, char *line, size_t len)
{
	char where[256], good[400], problems[1000];

	where_text(o, host, where, sizeof(where));
	good_text(r, o, good, sizeof(good));
	result_problems(res, PROBLEMS_SHOWN, problems, sizeof(problems));
	if (problems[0] == '\0')
		snprintf(line, len, "%s %s, %.0f ms", where, good, o->total_s * 1000);
	else if (good[0] == '\0')
		snprintf(line, len, "%s: %s", where, problems);
	else
		snprintf(line, len, "%s: %s; %s, %.0f ms", where, problems, good, o->total_s * 1000);
}

/* ---- running ------------------------------------------------------------ */

/* AUTH is over: with -H (one dialogue) the password is wiped at once;
 * --mx may hold more dialogues, and wipes it when the run ends. */
static void forget_password(void *ctx)
{
	struct run *r = ctx;

	secret_wipe(r->password, sizeof(r->password));
}

/* Holds the dialogue with host (or with addrs, its addresses) into
 * r->outcome. */
static void talk(struct run *r, const char *host, const struct addr_list *addrs,
		 struct transcript *t)
{
	const struct params *p = &r->p;
	struct smtp_params sp = {
		.deadline = &r->d, .resolver = r->resolver, .host = host, .addrs = addrs,
		.port = r->co.port, .family = r->co.family, .transcript = t, .tls = &r->tp,
		.implicit_tls = p->implicit_tls, .starttls = p->starttls,
		.helo_name = p->fqdn, .user = p->user, .password = r->password,
		.auth_mech = p->auth_mech, .commands = p->cmd, .ncmd = p->ncmd, .lmtp = p->lmtp,
		.from = p->from, .rcpts = p->to, .nrcpt = p->nto,
		.expect_rcpt = p->expect_rcpt, .data = p->data, .token = p->token,
		.relay_to = p->relay_to, .server_name = host,
		.forget_password = p->mx == NULL ? forget_password : NULL, .ctx = r,
	};

	r->tp = (struct tls_params){ .host = host, .ca_file = r->co.tls.ca_file,
				     .insecure = r->co.tls.insecure };
	smtp_dialogue(&sp, &r->outcome);
}

/* The perfdata of a single dialogue: a label for every stage the options
 * ask for, U where it was not reached. */
static void add_perfdata(const struct run *r, const struct smtp_outcome *o)
{
	const struct params *p = &r->p;
	struct smtp_params asked = { .implicit_tls = p->implicit_tls, .starttls = p->starttls,
				     .user = p->user, .from = p->from, .nrcpt = p->nto,
				     .data = p->data };

	for (int i = 0; i < STAGE_LAST; i++)
		if (smtp_stage_wanted(&asked, (enum smtp_stage)i))
			result_perf(r->res, &(struct perf){ smtp_stage_labels[i],
							    o && o->stage_run[i] ? o->stage_s[i] : NAN,
							    "s", NULL, NULL, 0, NAN });
}

/* -H: one dialogue, judged into the result itself. */
static void run_host(struct run *r)
{
	struct transcript *t = r->co.verbose ? transcript_new() : NULL;

	talk(r, r->co.host, NULL, t);
	judge(r, &r->outcome, r->res);
	transcript_to_result(t, r->res, 1, r->co.verbose >= 2);
	transcript_free(t);
	r->first = &r->outcome;
	snprintf(r->first_host, sizeof(r->first_host), "%s", r->co.host);
}

/* One MX host: its dialogue, or why there was none.  Returns false when
 * it could not be reached (no address, or no connection). */
static bool talk_to_mx(struct run *r, const struct mx_host *h, struct transcript *t)
{
	if (h->addrs == NULL || h->addrs->n == 0) {
		memset(&r->outcome, 0, sizeof(r->outcome));
		r->outcome.failed_at = SMTP_CONNECT;
		r->outcome.fail = h->fail[h->status[0] == RESOLVE_NODATA ? 1 : 0];
		if (r->outcome.fail.text[0] == '\0')
			fail_set(&r->outcome.fail, FAIL_DNS, "%s: no address", h->name);
		return false;
	}
	talk(r, h->name, h->addrs, t);
	return r->outcome.failed_at != SMTP_CONNECT && r->outcome.failed_at != SMTP_TLS;
}

/* --all-mx: one line per host, its steps judged into a scratch result. */
static void judge_all(struct run *r, const struct mx_host *h, struct transcript *t)
{
	struct result *steps = result_new(info.service);
	char one[STATUS_MAX];
	enum state hs = STATE_UNKNOWN;

	snprintf(one, sizeof(one), "%s: out of memory", h->name);
	if (steps != NULL) {
		hs = judge(r, &r->outcome, steps);
		status_text(r, &r->outcome, h->name, steps, one, sizeof(one));
	}
	result_free(steps);
	result_sub(r->res, hs, "MX %u %s", h->pref, one);
	result_perf(r->res, &(struct perf){ h->name, r->outcome.stage_run[STAGE_CONNECT]
					    ? r->outcome.total_s : NAN, "s", NULL, NULL, 0, NAN });
	transcript_to_result(t, r->res, 1, r->co.verbose >= 2);
}

/* The MX hosts in order: with --all-mx each, else until one answers. */
static void run_mx_hosts(struct run *r, const struct mx_set *set)
{
	for (size_t i = 0; i < set->n; i++) {
		const struct mx_host *h = &set->hosts[i];
		struct transcript *t = r->co.verbose ? transcript_new() : NULL;
		bool reached;

		if (h->name[0] == '\0') { /* "0 ." among others: no host */
			transcript_free(t);
			continue;
		}
		reached = talk_to_mx(r, h, t);
		r->tried++;
		if (r->p.all_mx) {
			judge_all(r, h, t);
		} else if (!reached && i + 1 < set->n && !deadline_expired(&r->d)) {
			result_sub(r->res, STATE_OK, "MX %u %s: %s, trying the next", h->pref,
				   h->name, r->outcome.fail.text);
		} else {
			judge(r, &r->outcome, r->res);
			transcript_to_result(t, r->res, 1, r->co.verbose >= 2);
			r->first = &r->outcome;
			snprintf(r->first_host, sizeof(r->first_host), "%s", h->name);
			transcript_free(t);
			return;
		}
		transcript_free(t);
	}
}

/* --mx: the domain's MX set as mail delivery finds it, then its hosts. */
static void run_mx(struct run *r)
{
	struct mx_set *set = NULL;
	struct fail f = { 0 };
	enum resolve_status s = mx_lookup(r->resolver, r->p.mx, true, &set, &f);

	if (s != RESOLVE_OK) {
		result_sub(r->res, s == RESOLVE_TIMEOUT ? r->co.timeout_state
			   : f.cls == FAIL_INTERNAL ? STATE_UNKNOWN : STATE_CRITICAL, "%s", f.text);
	} else if (set->kind == MX_NULL) {
		result_sub(r->res, STATE_CRITICAL, "%s: null MX: the domain accepts no mail "
			   "(RFC 7505)", r->p.mx);
	} else {
		if (set->kind == MX_IMPLICIT)
			result_sub(r->res, STATE_WARNING, "no MX records: mail goes to the domain's "
				   "own address (RFC 5321 5.1)");
		if (set->null_among_others)
			result_sub(r->res, STATE_WARNING, "a null MX among other MX records (RFC "
				   "7505 3 forbids it); ignored");
		mx_resolve(r->resolver, set, r->co.family);
		run_mx_hosts(r, set);
	}
	mx_set_free(set);
}

/* The whole run's time against -w/-c, and its perfdata. */
static void judge_time(struct run *r)
{
	double total = deadline_elapsed_s(&r->d);
	const struct range *w = r->co.has_warn ? &r->co.warn : NULL;
	const struct range *c = r->co.has_crit ? &r->co.crit : NULL;
	char why[160], value[64];
	enum state s = range_judge(w, c, total, UNIT_TIME, why, sizeof(why));

	if (s != STATE_OK) {
		unit_format(total, UNIT_TIME, value, sizeof(value));
		result_sub(r->res, s, "total time %s (%s)", value, why);
	}
	if (!r->p.all_mx)
		add_perfdata(r, r->first);
	result_perf(r->res, &(struct perf){ "time", total, "s", w, c, 0, NAN });
	if ((r->p.starttls || r->p.implicit_tls) && !r->p.all_mx)
		tls_perfdata(r->res, r->first ? &r->first->tls_info : NULL, r->co.tls.warn_days,
			     r->co.tls.crit_days);
}

/* -vv: each stage's time. */
static void show_stages(struct run *r)
{
	if (r->co.verbose < 2 || r->first == NULL)
		return;
	for (int i = 0; i < STAGE_LAST; i++)
		if (r->first->stage_run[i])
			result_detail(r->res, 2, "%-8s %8.1f ms", smtp_stage_labels[i],
				      r->first->stage_s[i] * 1000);
}

/* The status line, once every sub-result is in. */
static void summarize(struct run *r)
{
	char problems[1000], line[STATUS_MAX];

	result_problems(r->res, PROBLEMS_SHOWN, problems, sizeof(problems));
	if (r->p.all_mx && r->tried > 0) {
		result_summary(r->res, "%s: %zu MX host%s%s%s, %.0f ms", r->p.mx, r->tried,
			       r->tried == 1 ? "" : "s", problems[0] ? ": " : ", all OK", problems,
			       deadline_elapsed_s(&r->d) * 1000);
	} else if (r->first != NULL) {
		/* "DOMAIN: host [addr]:port ...", the domain said once when it
		 * is its own host (implicit MX). */
		bool prefix = r->p.mx != NULL && strcmp(r->p.mx, r->first_host) != 0;

		status_text(r, r->first, r->first_host, r->res, line, sizeof(line));
		result_summary(r->res, "%s%s%s", prefix ? r->p.mx : "", prefix ? ": " : "", line);
	} else {
		result_summary(r->res, "%s", problems);
	}
}

static void run_check(struct run *r)
{
	struct fail f = { 0 };

	deadline_start(&r->d, r->co.timeout_ms);
	r->resolver = resolver_new(&(struct resolver_params){
					   .deadline = &r->d,
					   .servers = opts_dns_servers(&r->co) }, &f);
	if (r->resolver == NULL) {
		result_sub(r->res, STATE_UNKNOWN, "%s", f.text);
		result_summary(r->res, "%s", f.text);
		return;
	}
	if (r->p.mx != NULL)
		run_mx(r);
	else
		run_host(r);
	show_stages(r);
	judge_time(r);
	summarize(r);
}

int main(int argc, char **argv)
{
	static struct run r;
	int rc = opts_parse(&info, &r.co, argc, argv, handle, &r.p, stdout);

	if (rc < 0)
		rc = validate(&r);
	if (rc < 0) {
		settle(&r);
		r.res = result_new(info.service);
		if (r.res == NULL) {
			printf("%s UNKNOWN - out of memory\n", info.service);
			rc = STATE_UNKNOWN;
		} else {
			run_check(&r);
			rc = opts_write(&info, &r.co, r.res, stdout);
		}
	}
	if (r.p.has_expect)
		regfree(&r.p.expect_re);
	for (size_t i = 0; i < r.p.nresp; i++)
		regfree(&r.p.resp_re[i]);
	secret_wipe(r.password, sizeof(r.password));
	resolver_free(r.resolver);
	result_free(r.res);
	return rc;
}
