/* check_pop3_mailbox: logs in over POP3 (USER/PASS, APOP or SASL PLAIN;
 * implicit TLS or STLS) and judges the mailbox: message count, total size,
 * largest message, age of the oldest message (when it arrived), and
 * optionally whether a message with a given subject arrived (deleting it
 * when asked).  Thin: parse options -> common/pop3 session -> judge ->
 * write.  Never deletes anything it was not asked to, never sends RETR. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "conn.h"
#include "deadline.h"
#include "opts.h"
#include "output.h"
#include "pop3.h"
#include "range.h"
#include "resolve.h"
#include "result.h"
#include "secret.h"
#include "tls.h"
#include "transcript.h"

#define PORT_POP3S 995
#define UIDL_SHOWN_MAX 1000  /* UIDL lines shown at -vv */
#define FIND_LIMIT_DEFAULT 100
#define PROBLEMS_SHOWN 3     /* problems named on the status line */

enum {
	KEY_STARTTLS = 256,
	KEY_TLS,
	KEY_APOP,
	KEY_SASL,
	KEY_PLAINAUTH,
	KEY_SIZE_W,
	KEY_SIZE_C,
	KEY_LARGEST_W,
	KEY_LARGEST_C,
	KEY_AGE_W,
	KEY_AGE_C,
	KEY_FIND,
	KEY_FIND_LIMIT,
	KEY_DELETE,
	KEY_TIME_W,
	KEY_TIME_C,
};

static const struct opt_spec extra[] = {
	{ "ssl", 'S', NULL,
	  "Implicit TLS (POP3S): TLS from the first byte, as check_pop -S; the port is then "
	  "995 unless -p is given.", NULL },
	{ "tls", KEY_TLS, NULL, "The same as -S.", NULL },
	{ "starttls", KEY_STARTTLS, NULL,
	  "Upgrade with STLS (RFC 2595) before the login; CRITICAL when the server does not "
	  "offer STLS.", NULL },
	{ "user", 'U', "USER", "User name to log in with.  Without it only the greeting is "
	  "checked (with CAPA, STLS for --starttls, and QUIT), as check_pop does; the mailbox "
	  "options need it.", "no login" },
	{ "apop", KEY_APOP, NULL,
	  "Log in with APOP (an MD5 digest of the greeting's timestamp and the password) "
	  "instead of USER/PASS.", "USER/PASS" },
	{ "sasl", KEY_SASL, "MECH",
	  "Log in with AUTH MECH (RFC 5034); MECH is PLAIN.", "USER/PASS" },
	{ "allow-plaintext-auth", KEY_PLAINAUTH, NULL,
	  "Allow sending the password (USER/PASS, SASL PLAIN) over a connection without "
	  "TLS; without it, such a run is refused.  APOP never sends the password.", NULL },
	{ "size-warning", KEY_SIZE_W, "RANGE",
	  "Warning range for the total size of the mailbox (STAT; a bare number is in "
	  "bytes; units B, KB, MB, GB, TB).", NULL },
	{ "size-critical", KEY_SIZE_C, "RANGE",
	  "Critical range for the total size of the mailbox.", NULL },
	{ "largest-warning", KEY_LARGEST_W, "RANGE",
	  "Warning range for the size of the largest message (LIST; bytes or a size "
	  "unit).", NULL },
	{ "largest-critical", KEY_LARGEST_C, "RANGE",
	  "Critical range for the size of the largest message.", NULL },
	{ "age-warning", KEY_AGE_W, "RANGE",
	  "Warning range for the age of the oldest message: since it arrived (the topmost "
	  "Received header, read with TOP 1 0; the Date header only without one; a bare "
	  "number is in seconds; units s, m, h, d: 6h, 2d).", NULL },
	{ "age-critical", KEY_AGE_C, "RANGE",
	  "Critical range for the age of the oldest message.", NULL },
	{ "find-subject", KEY_FIND, "TEXT",
	  "Look, newest first and with TOP n 0 (headers only), for a message whose "
	  "Subject contains TEXT (ASCII letters in any case); CRITICAL when there is "
	  "none.", NULL },
	{ "find-limit", KEY_FIND_LIMIT, "N",
	  "Look at the N newest messages at most (0: all).", "100" },
	{ "time-warning", KEY_TIME_W, "RANGE",
	  "Warning range for the whole run's time (the time perfdata; a bare number is in "
	  "seconds), as check_pop's -w.", NULL },
	{ "time-critical", KEY_TIME_C, "RANGE",
	  "Critical range for the whole run's time, as check_pop's -c.", NULL },
	{ "delete-found", KEY_DELETE, NULL,
	  "With --find-subject: delete the messages found (DELE), only at the end of an "
	  "otherwise successful session and only through its QUIT; any failure before "
	  "leaves the mailbox untouched.  Nothing else is ever deleted.", NULL },
	{ NULL, 0, NULL, NULL, NULL },
};

/* check_pop's options that are not taken here (docs/check_pop3_mailbox.8,
 * COMING FROM CHECK_POP). */
static const struct foreign_opt foreign[] = {
	{ 's', "send", "check_pop's string to send: the session is POP3 itself" },
	{ 'e', "expect", "check_pop's expected greeting: the greeting must be +OK" },
	{ 'q', "quit", "check_pop's string to end with: QUIT is always sent" },
	{ 'A', "all", "check_pop's all-expect-strings: not needed" },
	{ 'E', "escape", "check_pop's escapes in -s and -e: not needed" },
	{ 'r', "refuse", "check_pop's state on refusal: a refusal is CRITICAL" },
	{ 'M', "mismatch", "check_pop's state on mismatch: use -t SECONDS:STATE for the timeout" },
	{ 'm', "maxbytes", "check_pop's read limit: every reply is bounded" },
	{ 'd', "delay", "check_pop's delay before sending: not needed" },
	{ 'j', "jail", "check_pop's hidden output: the output is never hidden" },
	{ 0, "sni", "check_pop's SNI name: SNI is the name given to -H" },
	{ 0, "extra-opts", "put the options on the command line" },
	{ 0, NULL, NULL },
};

/* Under check_pop's name (ITL pop): -w/-c are the response time. */
static const struct opt_alias aliases[] = {
	{ "check_pop", 'w', KEY_TIME_W },
	{ "check_pop", 'c', KEY_TIME_C },
	{ NULL, 0, 0 },
};

static const struct plugin_info info = {
	.name = "check_pop3_mailbox",
	.service = "POP3",
	.purpose = "Logs in over POP3 and checks the mailbox: message count, total and largest "
		   "size, and the age of the oldest message, so that mail piling up or stuck "
		   "shows.  Optionally finds (and deletes) a probe message by its subject.",
	.usage = "-H HOST [-U USER (--password-file FILE | --password-env VAR | -P PASSWORD)] "
		 "[-S | --starttls] [options]",
	.host_help = "Host name or address of the POP3 server.",
	.default_port = 110,
	.thr_what = "the number of messages (STAT)",
	.thr_kind = UNIT_NONE,
	.thr_unit = NULL,
	.extra = extra,
	.foreign = foreign,
	.aliases = aliases,
	.groups = OPTS_TLS | OPTS_PASSWORD | OPTS_DNS,
	.notes = "The session: greeting (+OK, APOP timestamp kept), CAPA, STLS with --starttls,\n"
		 "the login, STAT, LIST (largest message), UIDL with -vv, TOP 1 0 (the oldest\n"
		 "message: servers number messages in arrival order), TOP n 0 for\n"
		 "--find-subject, DELE only with --delete-found, QUIT.  RETR is never sent.\n"
		 "Without -U: the greeting, CAPA, STLS with --starttls, QUIT (check_pop's check).\n"
		 "With PIPELINING offered, USER+PASS and STAT+LIST+TOP(+QUIT) go out together.\n"
		 "The port is 110, or 995 with -S, unless -p says otherwise.\n"
		 "Login refused: CRITICAL with the server's text; RFC 2449 response codes\n"
		 "[IN-USE] and [LOGIN-DELAY] give WARNING (mailbox busy), [SYS/TEMP] CRITICAL\n"
		 "(temporary server failure), [AUTH] CRITICAL (authentication failed).\n"
		 "Plaintext the server sends after its go-ahead to STLS is CRITICAL.\n"
		 "Perfdata: messages, size (B), largest (B), oldest (s; 0 for an empty\n"
		 "mailbox), then seconds per stage: connect (with the name lookup), greeting,\n"
		 "tls (with -S or --starttls), auth (CAPA and the login), stat, time (the whole\n"
		 "run, --time-warning/--time-critical); cert_days with TLS.  A stage not reached\n"
		 "is U.  Without -U: connect, greeting, tls, time, cert_days.\n",
};

struct params {
	bool tls, starttls, allow_plain, delete_found;
	const char *user, *find;
	enum pop3_auth auth;
	unsigned long find_limit;
	struct range size_w, size_c, largest_w, largest_c, age_w, age_c, time_w, time_c;
	bool has_size_w, has_size_c, has_largest_w, has_largest_c, has_age_w, has_age_c;
	bool has_time_w, has_time_c;
};

/* Everything one run needs. */
struct run {
	struct common_opts co;
	struct params p;
	struct deadline d;
	struct resolver *resolver;
	struct result *res;
	struct transcript *t;
	char password[SECRET_MAX];
	struct tls_params tp;
	struct pop3_outcome o;
	struct fail f;
	bool failed;
	unsigned long uidl_shown;
	double age;            /* seconds since the oldest message arrived */
};

static int parse_range(struct range *r, bool *has, const char *arg, enum unit_kind kind,
		       const char *unit, char *err, size_t errlen)
{
	*has = true;
	return range_parse(r, arg, kind, unit, err, errlen);
}

static int handle_auth(struct params *p, int key, const char *arg, char *err, size_t errlen)
{
	enum pop3_auth want = key == KEY_APOP ? POP3_AUTH_APOP : POP3_AUTH_PLAIN;

	if (key == KEY_SASL && strcasecmp(arg, "PLAIN") != 0) {
		snprintf(err, errlen, "'%s' is not a supported mechanism (PLAIN)", arg);
		return -1;
	}
	if (p->auth != POP3_AUTH_USER && p->auth != want) {
		snprintf(err, errlen, "--apop and --sasl exclude each other");
		return -1;
	}
	p->auth = want;
	return 0;
}

static int handler(void *ctx, int key, const char *arg, char *err, size_t errlen)
{
	struct params *p = ctx;
	long n;

	switch (key) {
	case 'S':
	case KEY_TLS: p->tls = true; return 0;
	case KEY_STARTTLS: p->starttls = true; return 0;
	case 'U':
		if (arg[0] == '\0' || strpbrk(arg, " \t\r\n") != NULL) {
			snprintf(err, errlen, "'%s' is not a user name", arg);
			return -1;
		}
		p->user = arg;
		return 0;
	case KEY_APOP:
	case KEY_SASL: return handle_auth(p, key, arg, err, errlen);
	case KEY_PLAINAUTH: p->allow_plain = true; return 0;
	case KEY_SIZE_W: return parse_range(&p->size_w, &p->has_size_w, arg, UNIT_SIZE, "B", err, errlen);
	case KEY_SIZE_C: return parse_range(&p->size_c, &p->has_size_c, arg, UNIT_SIZE, "B", err, errlen);
	case KEY_LARGEST_W:
		return parse_range(&p->largest_w, &p->has_largest_w, arg, UNIT_SIZE, "B", err, errlen);
	case KEY_LARGEST_C:
		return parse_range(&p->largest_c, &p->has_largest_c, arg, UNIT_SIZE, "B", err, errlen);
	case KEY_AGE_W: return parse_range(&p->age_w, &p->has_age_w, arg, UNIT_TIME, "s", err, errlen);
	case KEY_AGE_C: return parse_range(&p->age_c, &p->has_age_c, arg, UNIT_TIME, "s", err, errlen);
	case KEY_TIME_W: return parse_range(&p->time_w, &p->has_time_w, arg, UNIT_TIME, "s", err, errlen);
	case KEY_TIME_C: return parse_range(&p->time_c, &p->has_time_c, arg, UNIT_TIME, "s", err, errlen);
	case KEY_FIND:
		if (arg[0] == '\0') {
			snprintf(err, errlen, "the text to find is empty");
			return -1;
		}
		p->find = arg;
		return 0;
	case KEY_FIND_LIMIT:
		if (opts_long(arg, 0, 1000000000L, &n, err, errlen) < 0)
			return -1;
		p->find_limit = (unsigned long)n;
		return 0;
	case KEY_DELETE: p->delete_found = true; return 0;
	}
	snprintf(err, errlen, "unhandled option");
	return -1;
}

/* Without -U only the greeting is checked: what needs a login is refused.
 * NULL when fine, else the complaint. */
static const char *check_no_user(const struct run *r)
{
	const struct params *p = &r->p;

	if (secret_sources(&r->co.pw) > 0)
		return "a password was given without -U";
	if (r->co.has_warn || r->co.has_crit)
		return "-w and -c are ranges on the number of messages: they need -U (the "
		       "response time is --time-warning and --time-critical)";
	if (p->has_size_w || p->has_size_c || p->has_largest_w || p->has_largest_c ||
	    p->has_age_w || p->has_age_c || p->find != NULL)
		return "--size-*, --largest-*, --age-* and --find-subject look into the mailbox: "
		       "they need -U";
	if (p->auth != POP3_AUTH_USER)
		return "--apop and --sasl are ways to log in: they need -U";
	return NULL;
}

/* Checks what opts cannot and reads the password (once).  Returns -1 when
 * the plugin should go on, else the exit code (after a message). */
static int validate(struct run *r)
{
	const struct params *p = &r->p;
	const struct common_opts *co = &r->co;
	const char *why;

	if (co->host == NULL)
		return opts_usage_error(&info, co, "-H HOST is required");
	if (p->user == NULL && (why = check_no_user(r)) != NULL)
		return opts_usage_error(&info, co, "%s", why);
	if (p->user != NULL && secret_sources(&co->pw) != 1)
		return opts_usage_error(&info, co, "%s", secret_sources(&co->pw) == 0
					? "a password is required: --password-file FILE, "
					  "--password-env VAR or -P"
					: "give one of --password-file, --password-env, -P");
	if (p->tls && p->starttls)
		return opts_usage_error(&info, co, "-S (implicit TLS) and --starttls (STLS) "
					"exclude each other");
	if (!p->tls && !p->starttls && opts_tls_given(co))
		return opts_usage_error(&info, co, "-D, --ca-file and --insecure need -S or "
					"--starttls");
	if (p->delete_found && p->find == NULL)
		return opts_usage_error(&info, co, "--delete-found needs --find-subject");
	if (p->user == NULL)
		return -1;
	if (!p->tls && !p->starttls && p->auth != POP3_AUTH_APOP && !p->allow_plain)
		return opts_usage_error(&info, co, "refusing to send the password without TLS: "
					"use -S or --starttls, --apop, or --allow-plaintext-auth");
	if (secret_read(&r->co.pw, r->password, sizeof(r->password), &r->f) < 0)
		return opts_usage_error(&info, co, "%s", r->f.text);
	return -1;
}

/* ---- running ------------------------------------------------------------ */

static void on_uidl(void *ctx, unsigned long msg, const char *uid)
{
	struct run *r = ctx;

	if (r->uidl_shown++ < UIDL_SHOWN_MAX)
		result_detail(r->res, 2, "UIDL %lu %s", msg, uid);
}

/* The login is over: the password is wiped at once, not at the end. */
static void forget_password(void *ctx)
{
	struct run *r = ctx;

	secret_wipe(r->password, sizeof(r->password));
}

/* Connects, logs in and looks: the session, into r->o. */
static void session(struct run *r)
{
	const struct params *p = &r->p;
	int port = p->tls && !r->co.port_given ? PORT_POP3S : r->co.port;
	struct pop3_params pp = {
		.user = p->user, .password = r->password, .auth = p->auth, .stls = p->starttls,
		.tls = &r->tp, .allow_plaintext_auth = p->allow_plain, .want_list = true,
		.want_uidl = r->co.verbose >= 2, .want_age = true, .find_subject = p->find,
		.find_limit = p->find_limit, .delete_found = p->delete_found,
		.transcript = r->t, .on_uidl = on_uidl, .forget_password = forget_password, .ctx = r,
	};
	struct conn_params cp = {
		.deadline = &r->d, .max_line = POP3_MAX_LINE, .transcript = r->t,
		.tls = p->tls ? &r->tp : NULL, .resolver = r->resolver, .host = r->co.host,
		.port = port, .family = r->co.family,
	};

	r->tp = (struct tls_params){ .host = r->co.host, .ca_file = r->co.tls.ca_file,
				     .insecure = r->co.tls.insecure };
	r->failed = pop3_session(&cp, &pp, &r->o, &r->f) < 0;
	secret_wipe(r->password, sizeof(r->password));
}

/* ---- judging ------------------------------------------------------------ */

/* The state and the words for a failure. */
static enum state fail_state(const struct run *r, const char **what)
{
	const struct pop3_outcome *o = &r->o;

	*what = NULL;
	switch (r->f.cls) {
	case FAIL_TIMEOUT:
		return r->co.timeout_state;
	case FAIL_INTERNAL:
		return STATE_UNKNOWN;
	case FAIL_REPLY:
		if (pop3_code_is(&o->reply, "IN-USE") || pop3_code_is(&o->reply, "LOGIN-DELAY")) {
			*what = "mailbox busy";
			return STATE_WARNING;
		}
		if (pop3_code_is(&o->reply, "SYS/TEMP"))
			*what = "temporary server failure";
		else if (pop3_code_is(&o->reply, "AUTH"))
			*what = "authentication failed";
		else if (pop3_state_is_login(o->state))
			*what = "login refused";
		return STATE_CRITICAL;
	default:
		return STATE_CRITICAL;
	}
}

/* When the TLS the run asked for does not match what the server speaks,
 * says which option fits. */
static void tls_hint(const struct run *r)
{
	if (r->p.tls && r->o.state == POP3_ST_CONNECT && r->f.cls == FAIL_TLS && r->o.tls.plaintext)
		result_sub(r->res, STATE_OK, "the server speaks plaintext POP3 on this port: use "
			   "--starttls (or no TLS option) instead of -S");
	else if (!r->p.tls && r->o.state == POP3_ST_GREETING && r->f.cls == FAIL_TIMEOUT)
		result_sub(r->res, STATE_OK, "no greeting: a POP3S server says nothing until TLS "
			   "(use -S if this port speaks implicit TLS)");
}

static void judge_failure(struct run *r)
{
	const char *what = NULL;
	enum state s = fail_state(r, &what);

	result_sub(r->res, s, "%s%s%s", what ? what : "", what ? ": " : "", r->f.text);
	tls_hint(r);
	if (r->o.dele_sent)
		result_sub(r->res, STATE_OK, "the session did not end with a successful QUIT, so "
			   "the server deletes nothing");
}

/* A measured value against its thresholds, as a sub-result: "what VALUE
 * (exact; critical over LIMIT)tail"; the status line says "what VALUE
 * (critical over LIMIT)".  A size of 1 KB or more shows its exact bytes. */
static void judge_value(struct run *r, const char *what, double v, enum unit_kind kind,
			const struct range *w, const struct range *c, const char *tail)
{
	char value[64], why[160], brief[300], exact[40] = "";
	enum state s = range_judge(w, c, v, kind, why, sizeof(why));

	unit_format(v, kind, value, sizeof(value));
	if (kind == UNIT_SIZE && v >= 1024)
		snprintf(exact, sizeof(exact), "%.0f B", v);
	snprintf(brief, sizeof(brief), "%s %s%s%s%s", what, value, why[0] ? " (" : "", why,
		 why[0] ? ")" : "");
	result_sub_brief(r->res, s, brief, "%s %s%s%s%s%s%s%s", what, value,
			 exact[0] || why[0] ? " (" : "", exact, exact[0] && why[0] ? "; " : "", why,
			 exact[0] || why[0] ? ")" : "", tail);
}

static void judge_mailbox(struct run *r)
{
	const struct params *p = &r->p;
	const struct pop3_outcome *o = &r->o;
	char why[160], tail[64];
	enum state s = range_judge(r->co.has_warn ? &r->co.warn : NULL,
				   r->co.has_crit ? &r->co.crit : NULL, (double)o->count, UNIT_NONE,
				   why, sizeof(why));

	result_sub(r->res, s, "%lu message%s%s%s%s", o->count, o->count == 1 ? "" : "s",
		   why[0] ? " (" : "", why, why[0] ? ")" : "");
	judge_value(r, "mailbox size", (double)o->size, UNIT_SIZE,
		    p->has_size_w ? &p->size_w : NULL, p->has_size_c ? &p->size_c : NULL, "");
	if (o->has_largest) {
		snprintf(tail, sizeof(tail), ", message %lu", o->largest_msg);
		judge_value(r, "largest message", (double)o->largest, UNIT_SIZE,
			    p->has_largest_w ? &p->largest_w : NULL,
			    p->has_largest_c ? &p->largest_c : NULL, tail);
	}
}

static void judge_age(struct run *r)
{
	const struct params *p = &r->p;
	const struct pop3_outcome *o = &r->o;
	char more[200], date[40];
	struct tm tm;

	if (o->has_oldest) {
		gmtime_r(&o->oldest, &tm);
		strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S UTC", &tm);
		snprintf(more, sizeof(more), ": %s, from its %s header", date, o->oldest_from);
		judge_value(r, "oldest message", r->age, UNIT_TIME, p->has_age_w ? &p->age_w : NULL,
			    p->has_age_c ? &p->age_c : NULL, more);
	}
	if (o->date_problem[0] != '\0')
		result_sub(r->res, !o->has_oldest && (p->has_age_w || p->has_age_c)
			   ? STATE_WARNING : STATE_OK, "%s%s", o->date_problem,
			   o->has_oldest ? "; the age is taken from Date"
			   : "; the age is unknown");
}

static void judge_find(struct run *r)
{
	const struct pop3_outcome *o = &r->o;
	const char *find = r->p.find;

	if (find == NULL)
		return;
	if (o->found_n == 0)
		result_sub(r->res, STATE_CRITICAL, "no message with '%s' in the subject among the "
			   "%lu newest", find, o->examined);
	else
		result_sub(r->res, STATE_OK, "found %lu message%s with '%s' in the subject (newest: "
			   "message %lu, '%s')%s", o->found_n, o->found_n == 1 ? "" : "s", find,
			   o->found[0], o->found_subject, o->deleted ? ", deleted" : "");
}

/* The whole run's time against --time-warning/--time-critical. */
static void judge_time(struct run *r, double total)
{
	const struct params *p = &r->p;
	char why[160], value[64];
	enum state s = range_judge(p->has_time_w ? &p->time_w : NULL,
				   p->has_time_c ? &p->time_c : NULL, total, UNIT_TIME, why,
				   sizeof(why));

	if (s != STATE_OK) {
		unit_format(total, UNIT_TIME, value, sizeof(value));
		result_sub(r->res, s, "response time %s (%s)", value, why);
	}
}

static void judge_tls(struct run *r)
{
	const struct pop3_outcome *o = &r->o;

	if (o->injected > 0)
		result_sub(r->res, STATE_CRITICAL, "response injection: the server sent %zu bytes "
			   "of plaintext after its go-ahead to STLS, before the TLS handshake "
			   "(discarded)", o->injected);
	if (r->p.tls || r->p.starttls)
		tls_report(r->res, r->p.tls ? "TLS" : "STLS", &o->tls, o->tls_done,
			   r->co.tls.warn_days, r->co.tls.crit_days);
}

/* -vv and -vvv: stage times, the session's end, CAPA, the find. */
static void details(struct run *r, double total)
{
	const struct pop3_outcome *o = &r->o;

	transcript_to_result(r->t, r->res, 1, r->co.verbose >= 2);
	result_detail(r->res, 2, "seconds: connect %.6f, greeting %.6f, tls %.6f, auth %.6f, "
		      "stat %.6f, time %.6f", o->t_connect, o->t_greeting, o->t_tls, o->t_auth,
		      o->t_stat, total);
	if (r->uidl_shown > UIDL_SHOWN_MAX)
		result_detail(r->res, 2, "%lu more UIDL lines not shown",
			      r->uidl_shown - UIDL_SHOWN_MAX);
	result_detail(r->res, 3, "session ended in state %s%s%s", pop3_state_name(o->state),
		      r->failed ? ", failure class " : "", r->failed ? fail_class_name(r->f.cls) : "");
	result_detail(r->res, 3, "greeting %s an APOP timestamp; CAPA %s: STLS %s, USER %s, "
		      "TOP %s, UIDL %s, PIPELINING %s, RESP-CODES %s, SASL %s; %zu unknown lines",
		      o->has_apop ? "holds" : "holds no", o->capa.seen ? "answered" : "not answered",
		      o->capa.stls ? "yes" : "no", o->capa.user ? "yes" : "no",
		      o->capa.top ? "yes" : "no", o->capa.uidl ? "yes" : "no",
		      o->capa.pipelining ? "yes" : "no", o->capa.resp_codes ? "yes" : "no",
		      o->capa.has_sasl ? o->capa.sasl : "none", o->capa.unknown);
	if (r->p.find != NULL)
		result_detail(r->res, 3, "find: read the headers of %lu messages, found %lu",
			      o->examined, o->found_n);
}

/* The perfdata: the same labels on every run of a service. */
static void perfdata(struct run *r, double total)
{
	const struct params *p = &r->p;
	const struct pop3_outcome *o = &r->o;
	bool stat = o->has_stat;
	struct perf items[] = {
		{ "messages", stat ? (double)o->count : NAN, "", r->co.has_warn ? &r->co.warn : NULL,
		  r->co.has_crit ? &r->co.crit : NULL, 0, NAN },
		{ "size", stat ? (double)o->size : NAN, "B", p->has_size_w ? &p->size_w : NULL,
		  p->has_size_c ? &p->size_c : NULL, 0, NAN },
		{ "largest", o->has_largest ? (double)o->largest : stat && o->count == 0 ? 0 : NAN,
		  "B", p->has_largest_w ? &p->largest_w : NULL,
		  p->has_largest_c ? &p->largest_c : NULL, 0, NAN },
		{ "oldest", r->age, "s", p->has_age_w ? &p->age_w : NULL,
		  p->has_age_c ? &p->age_c : NULL, 0, NAN },
		{ "connect", o->t_connect, "s", NULL, NULL, 0, NAN },
		{ "greeting", o->t_greeting, "s", NULL, NULL, 0, NAN },
		{ "tls", o->t_tls, "s", NULL, NULL, 0, NAN },
		{ "auth", o->t_auth, "s", NULL, NULL, 0, NAN },
		{ "stat", o->t_stat, "s", NULL, NULL, 0, NAN },
		{ "time", total, "s", p->has_time_w ? &p->time_w : NULL,
		  p->has_time_c ? &p->time_c : NULL, 0, NAN },
	};
	/* Without a login: the greeting's labels only. */
	static const char *const login_only[] = { "messages", "size", "largest", "oldest",
						  "auth", "stat" };

	for (size_t i = 0; i < sizeof(items) / sizeof(items[0]); i++) {
		bool skip = strcmp(items[i].label, "tls") == 0 && !p->tls && !p->starttls;

		for (size_t j = 0; p->user == NULL && j < sizeof(login_only) / sizeof(login_only[0]);
		     j++)
			skip = skip || strcmp(items[i].label, login_only[j]) == 0;
		if (!skip)
			result_perf(r->res, &items[i]);
	}
	if (p->tls || p->starttls)
		tls_perfdata(r->res, &o->tls, r->co.tls.warn_days, r->co.tls.crit_days);
}

/* The status line: "user@host:port: [problems; ]N messages, SIZE[, oldest
 * AGE][, TLS], N ms"; without -U "host:port: [problems; ]greeting +OK[,
 * TLS], N ms". */
static void summarize(struct run *r, double total)
{
	const struct pop3_outcome *o = &r->o;
	char who[600], problems[1000], good[300] = "", sz[32], ag[32];
	const char *user = r->p.user ? r->p.user : "";
	size_t used = 0;

	snprintf(who, sizeof(who), "%s%s%s", user, user[0] ? "@" : "", o->peer);
	if (o->peer[0] == '\0')
		snprintf(who, sizeof(who), strchr(r->co.host, ':') ? "%s%s[%s]:%d" : "%s%s%s:%d",
			 user, user[0] ? "@" : "", r->co.host,
			 r->p.tls && !r->co.port_given ? PORT_POP3S : r->co.port);
	if (r->p.user == NULL && !r->failed)
		used = (size_t)snprintf(good, sizeof(good), "greeting +OK");
	if (o->has_stat) {
		unit_format((double)o->size, UNIT_SIZE, sz, sizeof(sz));
		used = (size_t)snprintf(good, sizeof(good), "%lu message%s, %s", o->count,
					o->count == 1 ? "" : "s", sz);
		if (o->has_oldest) {
			unit_format(r->age, UNIT_TIME, ag, sizeof(ag));
			used += (size_t)snprintf(good + used, sizeof(good) - used, ", oldest %s", ag);
		}
	}
	if (o->tls_done && used < sizeof(good))
		used += (size_t)snprintf(good + used, sizeof(good) - used, "%s%s%s", used ? ", " : "",
					 r->p.starttls ? "STLS " : "", o->tls.version);
	if (used < sizeof(good))
		snprintf(good + used, sizeof(good) - used, "%s%.0f ms", used ? ", " : "",
			 total * 1000);
	result_problems(r->res, PROBLEMS_SHOWN, problems, sizeof(problems));
	result_summary(r->res, "%s: %s%s%s", who, problems, problems[0] ? "; " : "", good);
}

static void judge(struct run *r)
{
	double total = deadline_elapsed_s(&r->d);
	time_t now = time(NULL);

	/* Wall time against a date in a header: the calendar is the clock. */
	r->age = NAN;
	if (r->o.has_oldest)
		r->age = difftime(now, r->o.oldest) < 0 ? 0 : difftime(now, r->o.oldest);
	else if (r->o.has_stat && r->o.count == 0)
		r->age = 0; /* nothing is waiting */
	if (r->failed) {
		judge_failure(r);
	} else if (r->p.user == NULL) {
		result_sub(r->res, STATE_OK, "greeting +OK%s, CAPA %s, QUIT +OK",
			   r->o.has_apop ? " (with an APOP timestamp)" : "",
			   r->o.capa.seen ? "answered" : "not answered");
	} else {
		judge_mailbox(r);
		judge_age(r);
		judge_find(r);
	}
	judge_time(r, total);
	judge_tls(r);
	details(r, total);
	perfdata(r, total);
	summarize(r, total);
}

int main(int argc, char **argv)
{
	static struct run r = { .p = { .find_limit = FIND_LIMIT_DEFAULT } };
	struct fail f = { 0 };
	int rc = opts_parse(&info, &r.co, argc, argv, handler, &r.p, stdout);

	if (rc < 0)
		rc = validate(&r);
	if (rc >= 0) {
		secret_wipe(r.password, sizeof(r.password));
		return rc;
	}
	deadline_start(&r.d, r.co.timeout_ms);
	r.res = result_new(info.service);
	r.resolver = resolver_new(&(struct resolver_params){
					  .deadline = &r.d,
					  .servers = opts_dns_servers(&r.co) }, &f);
	if (r.res == NULL || r.resolver == NULL) {
		printf("%s UNKNOWN - %s\n", info.service, r.res ? f.text : "out of memory");
		secret_wipe(r.password, sizeof(r.password));
		result_free(r.res);
		return STATE_UNKNOWN;
	}
	if (r.co.verbose >= 1)
		r.t = transcript_new();
	session(&r);
	judge(&r);
	rc = opts_write(&info, &r.co, r.res, stdout);
	transcript_free(r.t);
	resolver_free(r.resolver);
	result_free(r.res);
	return rc;
}
