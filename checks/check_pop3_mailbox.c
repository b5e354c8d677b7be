/* check_pop3_mailbox: logs in over POP3 (USER/PASS, APOP or SASL PLAIN;
 * STLS or implicit TLS) and judges the mailbox: message count, total size,
 * largest message, age of the oldest message, and optionally whether a
 * message with a given subject arrived (deleting it when asked).  Thin:
 * options -> common/pop3 -> result.  Never deletes anything it was not
 * asked to, never sends RETR. */
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

enum {
	KEY_PWFILE = 256,
	KEY_PWENV,
	KEY_APOP,
	KEY_SASL,
	KEY_PLAINAUTH,
	KEY_CAFILE,
	KEY_INSECURE,
	KEY_SIZE_W,
	KEY_SIZE_C,
	KEY_LARGEST_W,
	KEY_LARGEST_C,
	KEY_AGE_W,
	KEY_AGE_C,
	KEY_FIND,
	KEY_FIND_LIMIT,
	KEY_DELETE,
};

#define UIDL_SHOWN_MAX 1000 /* UIDL lines shown at -vv */

static const struct opt_spec extra[] = {
	{ "tls", 's', NULL,
	  "Implicit TLS (POP3S): TLS from the start; the port is then 995 unless -p is "
	  "given.", NULL },
	{ "starttls", 'S', NULL,
	  "Upgrade with STLS before the login; CRITICAL when the server does not offer "
	  "STLS.", NULL },
	{ "certificate", 'D', "WARN[,CRIT]",
	  "With -s or -S: WARNING when the server certificate expires within WARN days, "
	  "CRITICAL within CRIT days (an expired certificate is always CRITICAL).",
	  "expired only" },
	{ "ca-file", KEY_CAFILE, "FILE",
	  "With -s or -S: trust the CA certificates in FILE instead of the system store.",
	  "the system store" },
	{ "insecure", KEY_INSECURE, NULL,
	  "With -s or -S: do not fail when the certificate chain or host name does not "
	  "verify (the failure is still reported).", NULL },
	{ "user", 'U', "USER", "User name to log in with (required).", NULL },
	{ "password-file", KEY_PWFILE, "FILE",
	  "Read the password from the first line of FILE.", NULL },
	{ "password-env", KEY_PWENV, "VAR",
	  "Read the password from environment variable VAR.", NULL },
	{ "password", 'P', "PASSWORD",
	  "The password on the command line: visible to other users of the machine "
	  "(ps, /proc) until the plugin has started; prefer --password-file or "
	  "--password-env.", NULL },
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
	  "Warning range for the age of the oldest message, from its Date header (or its "
	  "newest Received header) read with TOP 1 0 (a bare number is in seconds; units "
	  "s, m, h, d: 6h, 2d).", NULL },
	{ "age-critical", KEY_AGE_C, "RANGE",
	  "Critical range for the age of the oldest message.", NULL },
	{ "find-subject", KEY_FIND, "TEXT",
	  "Look, newest first and with TOP n 0 (headers only), for a message whose "
	  "Subject contains TEXT (ASCII letters in any case); CRITICAL when there is "
	  "none.", NULL },
	{ "find-limit", KEY_FIND_LIMIT, "N",
	  "Look at the N newest messages at most (0: all).", "100" },
	{ "delete-found", KEY_DELETE, NULL,
	  "With --find-subject: delete the messages found (DELE), only at the end of an "
	  "otherwise successful session and only through its QUIT; any failure before "
	  "leaves the mailbox untouched.  Nothing else is ever deleted.", NULL },
	{ NULL, 0, NULL, NULL, NULL },
};

static const struct plugin_info info = {
	.name = "check_pop3_mailbox",
	.service = "POP3",
	.purpose = "Logs in over POP3 and checks the mailbox: message count, total and largest "
		   "size, and the age of the oldest message, so that mail piling up or stuck "
		   "shows.  Optionally finds (and deletes) a probe message by its subject.",
	.usage = "-H HOST -U USER (--password-file FILE | --password-env VAR | -P PASSWORD) "
		 "[-s | -S] [options]",
	.host_help = "Host name or address of the POP3 server.",
	.default_port = 110,
	.thr_what = "the number of messages (STAT)",
	.thr_kind = UNIT_NONE,
	.thr_unit = NULL,
	.extra = extra,
	.notes = "The session: greeting (+OK, APOP timestamp kept), CAPA, STLS with -S, the\n"
		 "login, STAT, LIST (largest message), UIDL with -vv, TOP 1 0 (the oldest\n"
		 "message: servers number messages in arrival order), TOP n 0 for\n"
		 "--find-subject, DELE only with --delete-found, QUIT.  RETR is never sent.\n"
		 "With PIPELINING offered, USER+PASS and STAT+LIST+TOP(+QUIT) go out together.\n"
		 "The port is 110, or 995 with -s, unless -p says otherwise.\n"
		 "Login refused: CRITICAL with the server's text; RFC 2449 response codes\n"
		 "[IN-USE] and [LOGIN-DELAY] give WARNING (mailbox busy), [SYS/TEMP] CRITICAL\n"
		 "(temporary server failure), [AUTH] CRITICAL (authentication failed).\n"
		 "Perfdata: messages, size (B), largest (B), oldest (s), then seconds per\n"
		 "stage: connect (with the name lookup), greeting, tls (handshake), auth\n"
		 "(CAPA and the login), stat (the STAT command), total; U when not measured.\n",
};

struct params {
	bool tls, starttls, insecure, allow_plain, delete_found;
	const char *ca_file, *user, *find;
	struct secret_source pw; /* --password-file, --password-env, -P */
	enum pop3_auth auth;
	double cert_warn, cert_crit;
	bool has_cert_days;
	unsigned long find_limit;
	struct range size_w, size_c, largest_w, largest_c, age_w, age_c;
	bool has_size_w, has_size_c, has_largest_w, has_largest_c, has_age_w, has_age_c;
};

static int handler(void *ctx, int key, const char *arg, char *err, size_t errlen)
{
	struct params *p = ctx;
	long n;

	switch (key) {
	case 's': p->tls = true; return 0;
	case 'S': p->starttls = true; return 0;
	case 'D':
		p->has_cert_days = true;
		return opts_days_pair(arg, &p->cert_warn, &p->cert_crit, err, errlen);
	case KEY_CAFILE: p->ca_file = arg; return 0;
	case KEY_INSECURE: p->insecure = true; return 0;
	case 'U':
		if (arg[0] == '\0' || strpbrk(arg, " \t\r\n") != NULL) {
			snprintf(err, errlen, "'%s' is not a user name", arg);
			return -1;
		}
		p->user = arg;
		return 0;
	case KEY_PWFILE: p->pw.file = arg; return 0;
	case KEY_PWENV: p->pw.env = arg; return 0;
	case 'P': p->pw.arg = (char *)arg; return 0;
	case KEY_APOP:
		if (p->auth == POP3_AUTH_PLAIN) {
			snprintf(err, errlen, "--apop and --sasl exclude each other");
			return -1;
		}
		p->auth = POP3_AUTH_APOP;
		return 0;
	case KEY_SASL:
		if (strcasecmp(arg, "PLAIN") != 0) {
			snprintf(err, errlen, "'%s' is not a supported mechanism (PLAIN)", arg);
			return -1;
		}
		if (p->auth == POP3_AUTH_APOP) {
			snprintf(err, errlen, "--apop and --sasl exclude each other");
			return -1;
		}
		p->auth = POP3_AUTH_PLAIN;
		return 0;
	case KEY_PLAINAUTH: p->allow_plain = true; return 0;
	case KEY_SIZE_W:
		p->has_size_w = true;
		return range_parse(&p->size_w, arg, UNIT_SIZE, "B", err, errlen);
	case KEY_SIZE_C:
		p->has_size_c = true;
		return range_parse(&p->size_c, arg, UNIT_SIZE, "B", err, errlen);
	case KEY_LARGEST_W:
		p->has_largest_w = true;
		return range_parse(&p->largest_w, arg, UNIT_SIZE, "B", err, errlen);
	case KEY_LARGEST_C:
		p->has_largest_c = true;
		return range_parse(&p->largest_c, arg, UNIT_SIZE, "B", err, errlen);
	case KEY_AGE_W:
		p->has_age_w = true;
		return range_parse(&p->age_w, arg, UNIT_TIME, "s", err, errlen);
	case KEY_AGE_C:
		p->has_age_c = true;
		return range_parse(&p->age_c, arg, UNIT_TIME, "s", err, errlen);
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

/* "812 B", "12.4 KB", "3.1 MB". */
static void human_size(double b, char *buf, size_t len)
{
	static const char *const units[] = { "B", "KB", "MB", "GB", "TB" };
	int u = 0;

	while (b >= 1024 && u < 4) {
		b /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%.0f B", b);
	else
		snprintf(buf, len, "%.1f %s", b, units[u]);
}

/* "45 s", "12 min", "3 h", "21 d". */
static void human_age(double s, char *buf, size_t len)
{
	if (s < 120)
		snprintf(buf, len, "%.0f s", s);
	else if (s < 7200)
		snprintf(buf, len, "%.0f min", floor(s / 60));
	else if (s < 2 * 86400)
		snprintf(buf, len, "%.0f h", floor(s / 3600));
	else
		snprintf(buf, len, "%.0f d", floor(s / 86400));
}

struct uidl_ctx {
	struct result *res;
	unsigned long shown;
};

static void on_uidl(void *ctx, unsigned long msg, const char *uid)
{
	struct uidl_ctx *u = ctx;

	if (u->shown++ < UIDL_SHOWN_MAX)
		result_detail(u->res, 2, "UIDL %lu %s", msg, uid);
}

/* The state and words for a failure. */
static enum state fail_state(const struct fail *f, const struct pop3_outcome *o,
			     const struct common_opts *co, const char **what)
{
	*what = NULL;
	switch (f->cls) {
	case FAIL_TIMEOUT:
		return co->timeout_state;
	case FAIL_INTERNAL:
		return STATE_UNKNOWN;
	case FAIL_REPLY:
		if (pop3_code_is(&o->reply, "IN-USE") || pop3_code_is(&o->reply, "LOGIN-DELAY")) {
			*what = "mailbox busy";
			return STATE_WARNING;
		}
		if (pop3_code_is(&o->reply, "SYS/TEMP")) {
			*what = "temporary server failure";
			return STATE_CRITICAL;
		}
		if (pop3_code_is(&o->reply, "AUTH")) {
			*what = "authentication failed";
			return STATE_CRITICAL;
		}
		if (pop3_state_is_login(o->state))
			*what = "login refused";
		return STATE_CRITICAL;
	default:
		return STATE_CRITICAL;
	}
}

/* Seconds between two monotonic readings. */
static double span(int64_t from_ns, int64_t to_ns)
{
	return (double)(to_ns - from_ns) / 1e9;
}

int main(int argc, char **argv)
{
	struct common_opts co;
	struct params p = { .cert_warn = -1, .cert_crit = -1, .find_limit = 100 };
	struct deadline d;
	struct fail f = { 0 };
	struct result *res = NULL;
	struct resolver *rv = NULL;
	struct addr_list *addrs = NULL;
	struct conn *c = NULL;
	struct transcript *t = NULL;
	struct tls_params tp = { 0 };
	struct tls_info ti = { 0 };
	struct pop3_outcome o;
	struct uidl_ctx uc = { 0 };
	char pw[SECRET_MAX], who[600], tlsdesc[64] = "", text[512];
	double t_connect = NAN, t_tls = NAN, age = NAN;
	bool tls_used = false, failed = true;
	int64_t t0;
	int rc, port;

	rc = opts_parse(&info, &co, argc, argv, handler, &p, stdout);
	if (rc >= 0)
		return rc;
	deadline_start(&d, co.timeout_ms);
	if (co.host == NULL)
		return opts_usage_error(&info, stdout, "-H HOST is required");
	if (p.user == NULL)
		return opts_usage_error(&info, stdout, "-U USER is required");
	/* No password source, or several: say so before any other check
	 * (secret_read refuses and says which). */
	if (secret_sources(&p.pw) != 1 && secret_read(&p.pw, pw, sizeof(pw), &f) < 0)
		return opts_usage_error(&info, stdout, "%s", f.text);
	if (p.tls && p.starttls)
		return opts_usage_error(&info, stdout, "-s (implicit TLS) and -S (STLS) exclude each other");
	if (!p.tls && !p.starttls && (p.has_cert_days || p.ca_file || p.insecure))
		return opts_usage_error(&info, stdout, "-D, --ca-file and --insecure need -s or -S");
	if (p.delete_found && p.find == NULL)
		return opts_usage_error(&info, stdout, "--delete-found needs --find-subject");
	if (!p.tls && !p.starttls && p.auth != POP3_AUTH_APOP && !p.allow_plain)
		return opts_usage_error(&info, stdout,
					"refusing to send the password without TLS: use -s or -S, "
					"--apop, or --allow-plaintext-auth");
	port = co.port;
	if (p.tls && !co.port_given)
		port = 995;

	if (secret_read(&p.pw, pw, sizeof(pw), &f) < 0)
		return opts_usage_error(&info, stdout, "%s", f.text);

	res = result_new(info.service);
	if (res == NULL) {
		secret_wipe(pw, sizeof(pw));
		printf("POP3 UNKNOWN - out of memory\n");
		return STATE_UNKNOWN;
	}
	uc.res = res;
	if (co.verbose >= 1 || co.output == OUTPUT_JSON)
		t = transcript_new();
	snprintf(who, sizeof(who), strchr(co.host, ':') ? "%s@[%s]:%d" : "%s@%s:%d", p.user,
		 co.host, port);
	tp = (struct tls_params){ .host = co.host, .ca_file = p.ca_file, .insecure = p.insecure };

	memset(&o, 0, sizeof(o));
	o.t_greeting = o.t_tls = o.t_auth = o.t_stat = NAN;
	t0 = mono_now_ns();
	rv = resolver_new(&(struct resolver_params){ .deadline = &d }, &f);
	if (rv == NULL || resolve_host(rv, co.host, co.family, port, &addrs, &f) != RESOLVE_OK)
		goto done;
	c = conn_connect(addrs, &(struct conn_params){ .deadline = &d, .max_line = 8192,
						      .transcript = t },
			 NULL, &f);
	if (c == NULL)
		goto done;
	t_connect = span(t0, mono_now_ns());
	snprintf(who, sizeof(who), "%s@%s", p.user, conn_peer(c));
	if (p.tls) {
		int64_t t1 = mono_now_ns();

		if (conn_starttls(c, &tp, &ti, &f) < 0)
			goto done;
		t_tls = span(t1, mono_now_ns());
		tls_used = true;
		snprintf(tlsdesc, sizeof(tlsdesc), "%s", ti.version);
	}
	{
		struct pop3_params pp = {
			.user = p.user,
			.password = pw,
			.auth = p.auth,
			.stls = p.starttls,
			.tls = &tp,
			.allow_plaintext_auth = p.allow_plain,
			.want_list = true,
			.want_uidl = co.verbose >= 2,
			.want_age = true,
			.find_subject = p.find,
			.find_limit = p.find_limit,
			.delete_found = p.delete_found,
			.transcript = t,
			.on_uidl = on_uidl,
			.ctx = &uc,
		};

		rc = pop3_run(c, &pp, &o, &f);
	}
	secret_wipe(pw, sizeof(pw));
	if (o.stls_done) {
		ti = o.tls;
		t_tls = o.t_tls;
		tls_used = true;
		snprintf(tlsdesc, sizeof(tlsdesc), "STLS %s", ti.version);
	}
	if (rc == 0)
		failed = false;
done:
	secret_wipe(pw, sizeof(pw));
	{
		double total = span(t0, mono_now_ns());
		char sz[32], ag[32], tail[128];
		time_t now = time(NULL);

		if (o.has_oldest)
			age = difftime(now, o.oldest) < 0 ? 0 : difftime(now, o.oldest);
		snprintf(tail, sizeof(tail), "%s%s%.0f ms", tlsdesc, tlsdesc[0] ? ", " : "",
			 total * 1000);
		if (failed) {
			const char *what = NULL;
			enum state s = f.cls == FAIL_DNS ? STATE_CRITICAL
				       : fail_state(&f, &o, &co, &what);

			if (f.cls == FAIL_TIMEOUT)
				s = co.timeout_state;
			result_sub(res, s, "%s%s%s", what ? what : "", what ? ": " : "", f.text);
			result_summary(res, "%s: %s%s%s, %s", who, what ? what : "", what ? ": " : "",
				       f.text, tail);
			if (o.dele_sent)
				result_sub(res, STATE_OK,
					   "the session did not end with a successful QUIT, so the "
					   "server deletes nothing");
		} else {
			enum state s;

			human_size((double)o.size, sz, sizeof(sz));
			if (o.has_oldest)
				human_age(age, ag, sizeof(ag));
			result_summary(res, "%s: %lu message%s, %s%s%s%s", who, o.count,
				       o.count == 1 ? "" : "s", sz,
				       o.has_oldest ? ", oldest " : "", o.has_oldest ? ag : "",
				       "");
			/* Append the TLS and the time. */
			snprintf(text, sizeof(text), "%s, %s", result_get_summary(res), tail);
			result_summary(res, "%s", text);
			s = range_state(co.has_warn ? &co.warn : NULL, co.has_crit ? &co.crit : NULL,
					(double)o.count);
			result_sub(res, s, "%lu message%s", o.count, o.count == 1 ? "" : "s");
			s = range_state(p.has_size_w ? &p.size_w : NULL,
					p.has_size_c ? &p.size_c : NULL, (double)o.size);
			if (o.size < 1024)
				result_sub(res, s, "mailbox size %s", sz);
			else
				result_sub(res, s, "mailbox size %s (%llu B)", sz, o.size);
			if (o.has_largest) {
				human_size((double)o.largest, sz, sizeof(sz));
				s = range_state(p.has_largest_w ? &p.largest_w : NULL,
						p.has_largest_c ? &p.largest_c : NULL,
						(double)o.largest);
				if (o.largest < 1024)
					result_sub(res, s, "largest message %lu: %s", o.largest_msg, sz);
				else
					result_sub(res, s, "largest message %lu: %s (%llu B)",
						   o.largest_msg, sz, o.largest);
			}
			if (o.has_oldest) {
				char date[40];
				struct tm tm;

				gmtime_r(&o.oldest, &tm);
				strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S UTC", &tm);
				s = range_state(p.has_age_w ? &p.age_w : NULL,
						p.has_age_c ? &p.age_c : NULL, age);
				result_sub(res, s, "oldest message: %s (%s ago, from its %s header)",
					   date, ag, o.oldest_from);
			}
			if (o.date_problem[0] != '\0')
				result_sub(res,
					   !o.has_oldest && (p.has_age_w || p.has_age_c)
						   ? STATE_WARNING : STATE_OK,
					   "%s%s", o.date_problem,
					   o.has_oldest ? "; the age is taken from Received"
							: "; the age is unknown");
			if (p.find != NULL) {
				if (o.found_n == 0)
					result_sub(res, STATE_CRITICAL,
						   "no message with a subject containing '%s' among "
						   "the %lu newest", p.find, o.examined);
				else
					result_sub(res, STATE_OK,
						   "found %lu message%s with '%s' in the subject "
						   "(newest: message %lu, '%s')%s", o.found_n,
						   o.found_n == 1 ? "" : "s", p.find, o.found[0],
						   o.found_subject,
						   o.deleted ? ", deleted" : "");
				if (o.found_n == 0)
					result_summary(res, "%s: no message with '%s' in the subject, %s",
						       who, p.find, tail);
			}
		}
		if (c != NULL && conn_injected(c) > 0)
			result_sub(res, STATE_WARNING,
				   "the server sent %zu bytes of plaintext after its go-ahead to "
				   "STLS, before the TLS handshake (discarded: response injection?)",
				   conn_injected(c));
		if (tls_used) {
			if (!ti.verified)
				result_sub(res, STATE_OK, "certificate not verified (--insecure): %s",
					   ti.verify_error);
			if (ti.has_cert) {
				enum state s = tls_expiry_state(&ti, p.cert_warn, p.cert_crit, text,
								sizeof(text));
				result_sub(res, s, "%s", text);
			}
			result_detail(res, 2, "TLS %s, %s; subject %s; issuer %s; %s", ti.version,
				      ti.cipher, ti.subject, ti.issuer, ti.sans);
		}
		transcript_to_result(t, res, 1, co.verbose >= 2);
		result_detail(res, 2,
			      "seconds: connect %.6f, greeting %.6f, tls %.6f, auth %.6f, stat %.6f, "
			      "total %.6f", t_connect, o.t_greeting, t_tls, o.t_auth, o.t_stat, total);
		result_detail(res, 3, "session ended in state %s%s%s", pop3_state_name(o.state),
			      failed ? ", failure class " : "", failed ? fail_class_name(f.cls) : "");
		result_detail(res, 3,
			      "greeting %s an APOP timestamp; CAPA %s: STLS %s, USER %s, TOP %s, "
			      "UIDL %s, PIPELINING %s, RESP-CODES %s, SASL %s; %zu unknown lines",
			      o.has_apop ? "holds" : "holds no", o.capa.seen ? "answered" : "not answered",
			      o.capa.stls ? "yes" : "no", o.capa.user ? "yes" : "no",
			      o.capa.top ? "yes" : "no", o.capa.uidl ? "yes" : "no",
			      o.capa.pipelining ? "yes" : "no", o.capa.resp_codes ? "yes" : "no",
			      o.capa.has_sasl ? o.capa.sasl : "none", o.capa.unknown);
		if (p.find != NULL)
			result_detail(res, 3, "find: read the headers of %lu messages, found %lu",
				      o.examined, o.found_n);
		if (uc.shown > UIDL_SHOWN_MAX)
			result_detail(res, 2, "%lu more UIDL lines not shown",
				      uc.shown - UIDL_SHOWN_MAX);

		result_perf(res, &(struct perf){ "messages", o.has_stat ? (double)o.count : NAN, "",
						 co.has_warn ? &co.warn : NULL,
						 co.has_crit ? &co.crit : NULL, 0, NAN });
		result_perf(res, &(struct perf){ "size", o.has_stat ? (double)o.size : NAN, "B",
						 p.has_size_w ? &p.size_w : NULL,
						 p.has_size_c ? &p.size_c : NULL, 0, NAN });
		result_perf(res, &(struct perf){ "largest",
						 o.has_largest ? (double)o.largest
						 : o.has_stat && o.count == 0 ? 0 : NAN, "B",
						 p.has_largest_w ? &p.largest_w : NULL,
						 p.has_largest_c ? &p.largest_c : NULL, 0, NAN });
		result_perf(res, &(struct perf){ "oldest", age, "s",
						 p.has_age_w ? &p.age_w : NULL,
						 p.has_age_c ? &p.age_c : NULL, 0, NAN });
		result_perf(res, &(struct perf){ "connect", t_connect, "s", NULL, NULL, 0, NAN });
		result_perf(res, &(struct perf){ "greeting", o.t_greeting, "s", NULL, NULL, 0, NAN });
		result_perf(res, &(struct perf){ "tls", t_tls, "s", NULL, NULL, 0, NAN });
		result_perf(res, &(struct perf){ "auth", o.t_auth, "s", NULL, NULL, 0, NAN });
		result_perf(res, &(struct perf){ "stat", o.t_stat, "s", NULL, NULL, 0, NAN });
		result_perf(res, &(struct perf){ "total", total, "s", NULL, NULL, 0, NAN });
	}
	conn_close(c);
	rc = output_write(res, co.output, co.verbose, stdout);
	transcript_free(t);
	addr_list_free(addrs);
	resolver_free(rv);
	result_free(res);
	return rc;
}
