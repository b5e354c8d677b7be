/* check_smtp_dialogue: what an administrator does with `telnet mail 25`,
 * as a check: banner, EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA or RSET, an
 * open-relay test and QUIT, each step checked and timed.  The dialogue is
 * common/smtp.c; this file turns options into its parameters and its
 * outcome into a state, a status line and perfdata. */
#include <math.h>
#include <stdarg.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "opts.h"
#include "output.h"
#include "range.h"
#include "resolve.h"
#include "result.h"
#include "secret.h"
#include "smtp.h"

enum {
	KEY_MX = 256, KEY_ALL_MX, KEY_DNS_SERVER, KEY_REQUIRE, KEY_MIN_SIZE,
	KEY_PASSWORD_FILE, KEY_PASSWORD_ENV, KEY_CA_FILE, KEY_INSECURE,
	KEY_PLAINTEXT_AUTH, KEY_TO, KEY_EXPECT_RCPT, KEY_DATA, KEY_TOKEN, KEY_RELAY,
};

static const struct opt_spec extra[] = {
	{ "mx", KEY_MX, "DOMAIN", "Instead of -H: look up DOMAIN's MX records and talk to "
	  "the most preferred host that answers.", NULL },
	{ "all-mx", KEY_ALL_MX, NULL, "With --mx: talk to every MX host, one line each; the "
	  "worst state wins.", NULL },
	{ "dns-server", KEY_DNS_SERVER, "ADDR[:PORT]", "DNS server(s) for -H and --mx, comma "
	  "separated, IPv6 as [ADDR]:PORT.", "the system's resolvers" },
	{ "expect", 'e', "REGEX", "The banner (its lines joined by spaces) must match this "
	  "extended regular expression (else WARNING).", NULL },
	{ "fqdn", 'F', "NAME", "Name to send in EHLO/HELO.", "this host's name" },
	{ "require", KEY_REQUIRE, "EXT[,EXT...]", "EHLO keywords the server must offer "
	  "(STARTTLS, PIPELINING, 8BITMIME, SIZE, SMTPUTF8, CHUNKING, DSN, ...); checked "
	  "after STARTTLS when -S is given.", NULL },
	{ "min-size", KEY_MIN_SIZE, "BYTES", "CRITICAL when the server's SIZE limit is below "
	  "this (units B, KB, MB, GB); WARNING when it announces no SIZE.", NULL },
	{ "starttls", 'S', NULL, "Use STARTTLS; CRITICAL when it is not offered.", NULL },
	{ "tls", 's', NULL, "Implicit TLS from the first byte (SMTPS; the port defaults to "
	  "465).", NULL },
	{ "certificate", 'D', "WARN[,CRIT]", "Days of validity left below which the server's "
	  "certificate is WARNING or CRITICAL (an expired one is always CRITICAL).", NULL },
	{ "ca-file", KEY_CA_FILE, "FILE", "Trust the CAs in FILE instead of the system's.",
	  "the system's store" },
	{ "insecure", KEY_INSECURE, NULL, "Do not fail on certificate verification (the "
	  "output still says why it would).", NULL },
	{ "authuser", 'U', "USER", "Authenticate as USER (AUTH PLAIN or LOGIN).", NULL },
	{ "password-file", KEY_PASSWORD_FILE, "FILE", "Read the password from the first line "
	  "of FILE.", NULL },
	{ "password-env", KEY_PASSWORD_ENV, "VAR", "Read the password from environment "
	  "variable VAR.", NULL },
	{ "authpass", 'P', "PASSWORD", "The password itself, for compatibility: other users "
	  "can see it in the process list; prefer --password-file.", NULL },
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
	.notes = "Examples:\n"
		 "  check_smtp_dialogue -H mail.example.com -S -D 30,7\n"
		 "  check_smtp_dialogue -H mail.example.com -S -U alice --password-file /etc/nagios/pw "
		 "-f alice@example.com --to bob@example.com --data\n"
		 "  check_smtp_dialogue --mx example.com --all-mx --relay-test probe@elsewhere.example\n"
		 "-v shows the dialogue (credentials masked), -vv also each step's time and the "
		 "certificate.\n",
};

struct params {
	const char *mx;
	bool all_mx;
	const char *dns_server;
	const char *expect;
	bool has_expect;
	regex_t expect_re;        /* -e, compiled */
	const char *fqdn;
	char require[256];
	bool has_min_size;
	double min_size;
	bool starttls, implicit_tls;
	bool has_days;
	double warn_days, crit_days;
	const char *ca_file;
	bool insecure;
	const char *user;
	struct secret_source pw;  /* --password-file, --password-env, -P */
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

static int handle(void *ctx, int key, const char *arg, char *err, size_t errlen)
{
	struct params *p = ctx;
	long v;

	switch (key) {
	case KEY_MX: p->mx = arg; return 0;
	case KEY_ALL_MX: p->all_mx = true; return 0;
	case KEY_DNS_SERVER: p->dns_server = arg; return 0;
	case 'e': {
		int rc;

		if (p->has_expect)
			regfree(&p->expect_re);
		p->has_expect = false;
		rc = regcomp(&p->expect_re, arg, REG_EXTENDED | REG_NOSUB);
		if (rc != 0) {
			char why[128];

			regerror(rc, &p->expect_re, why, sizeof(why));
			snprintf(err, errlen, "'%s' is not a regular expression: %s", arg, why);
			return -1;
		}
		p->expect = arg;
		p->has_expect = true;
		return 0;
	}
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
	case 'D':
		p->has_days = true;
		return opts_days_pair(arg, &p->warn_days, &p->crit_days, err, errlen);
	case KEY_CA_FILE: p->ca_file = arg; return 0;
	case KEY_INSECURE: p->insecure = true; return 0;
	case 'U': p->user = arg; return 0;
	case KEY_PASSWORD_FILE: p->pw.file = arg; return 0;
	case KEY_PASSWORD_ENV: p->pw.env = arg; return 0;
	case 'P': p->pw.arg = (char *)arg; return 0;
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

/* An address for MAIL/RCPT: no angle brackets, spaces or control bytes. */
static bool address_ok(const char *a)
{
	for (const unsigned char *c = (const unsigned char *)a; *c; c++)
		if (*c <= ' ' || *c == '<' || *c == '>' || *c == 0x7f)
			return false;
	return strlen(a) < 256;
}

/* Checks what opts cannot: combinations, and reads the password.  Returns
 * -1 when the plugin should go on, else the exit code (after a message). */
static int validate(const struct common_opts *co, struct params *p, char *password,
		    size_t pwlen)
{
	struct fail f = { 0 };
	int sources = secret_sources(&p->pw);

	if ((co->host == NULL) == (p->mx == NULL))
		return opts_usage_error(&info, stdout, co->host ? "give -H or --mx, not both"
							       : "-H HOST or --mx DOMAIN is required");
	if (p->all_mx && p->mx == NULL)
		return opts_usage_error(&info, stdout, "--all-mx needs --mx");
	if (p->starttls && p->implicit_tls)
		return opts_usage_error(&info, stdout, "-S (STARTTLS) and -s (implicit TLS) exclude each other");
	if ((p->has_days || p->ca_file || p->insecure) && !p->starttls && !p->implicit_tls)
		return opts_usage_error(&info, stdout, "-D, --ca-file and --insecure need -S or -s");
	if (p->user == NULL && sources > 0)
		return opts_usage_error(&info, stdout, "a password was given without -U");
	if (p->user != NULL && sources != 1 && secret_read(&p->pw, password, pwlen, &f) < 0)
		return opts_usage_error(&info, stdout, "%s", f.text);
	if (p->user != NULL && !p->starttls && !p->implicit_tls && !p->plaintext_auth)
		return opts_usage_error(&info, stdout, "refusing to send credentials over an unencrypted "
					"connection: use -S or -s (or --allow-plaintext-auth)");
	if (p->relay_to != NULL && p->user != NULL)
		return opts_usage_error(&info, stdout, "--relay-test tries relaying without "
					"authentication: do not combine it with -U");
	if (p->relay_to != NULL && (strchr(p->relay_to, '@') == NULL ||
				    p->relay_to[0] == '@' || !address_ok(p->relay_to) ||
				    strrchr(p->relay_to, '@')[1] == '\0'))
		return opts_usage_error(&info, stdout, "--relay-test: '%s' is not an address "
					"(user@domain)", p->relay_to);
	if (p->from != NULL && !address_ok(p->from))
		return opts_usage_error(&info, stdout, "-f: '%s' is not an address", p->from);
	for (size_t i = 0; i < p->nto; i++)
		if (!address_ok(p->to[i]) || p->to[i][0] == '\0')
			return opts_usage_error(&info, stdout, "--to: '%s' is not an address", p->to[i]);
	if (p->data && p->nto == 0)
		return opts_usage_error(&info, stdout, "--data needs --to");
	if (p->data && p->expect_rcpt && p->expect_rcpt / 100 != 2)
		return opts_usage_error(&info, stdout, "--data cannot follow a rejected RCPT (--expect-rcpt %d)",
					p->expect_rcpt);
	if (p->expect_rcpt && p->nto == 0)
		return opts_usage_error(&info, stdout, "--expect-rcpt needs --to");
	if (p->token != NULL && (!address_ok(p->token) || strlen(p->token) > 64))
		return opts_usage_error(&info, stdout, "--token: use up to 64 printable characters without spaces");
	if (p->fqdn != NULL && (!address_ok(p->fqdn) || p->fqdn[0] == '\0'))
		return opts_usage_error(&info, stdout, "-F: '%s' is not a host name", p->fqdn);
	if (p->nto > 0 && p->from == NULL)
		p->from = "";
	if (p->user == NULL)
		return -1;
	if (secret_read(&p->pw, password, pwlen, &f) < 0)
		return opts_usage_error(&info, stdout, "%s", f.text);
	return -1;
}

/* "[127.0.0.1]:25" from "127.0.0.1:25"; IPv6 peers are bracketed already. */
static void peer_text(const char *peer, char *buf, size_t len)
{
	const char *colon = strrchr(peer, ':');

	if (peer[0] == '[' || colon == NULL)
		snprintf(buf, len, "%s", peer);
	else
		snprintf(buf, len, "[%.*s]%s", (int)(colon - peer), peer, colon);
}

/* The state a failed dialogue ends in. */
static enum state failure_state(const struct smtp_outcome *o, const struct common_opts *co,
				const struct params *p)
{
	if (o->failed_at == SMTP_QUIT && p->ignore_quit)
		return STATE_OK;
	switch (o->fail.cls) {
	case FAIL_TIMEOUT: return co->timeout_state;
	case FAIL_INTERNAL: return STATE_UNKNOWN;
	default: return STATE_CRITICAL;
	}
}

/* The problems a dialogue shows, for the status line: "; "-separated. */
struct why {
	char text[600];
	size_t used;
};

/* Adds a sub-result in state s; a problem also goes to the status line. */
__attribute__((format(printf, 5, 6)))
static void flag(struct result *res, enum state *st, struct why *why, enum state s,
		 const char *fmt, ...)
{
	char text[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	result_sub(res, s, "%s", text);
	*st = state_worst(*st, s);
	if (s != STATE_OK && why->used < sizeof(why->text))
		why->used += (size_t)snprintf(why->text + why->used, sizeof(why->text) - why->used,
					      "%s%s", why->used ? "; " : "", text);
}

/* Judges one dialogue; adds its sub-results to res and returns its state;
 * `line` gets its one-line summary: where, the problems, what went well. */
static enum state judge(const struct smtp_outcome *o, const struct common_opts *co,
			const struct params *p, const char *host, struct result *res,
			char *line, size_t len)
{
	enum state st = STATE_OK;
	struct why why = { "", 0 };
	char peer[80], tls[160] = "", days[300], where[400], good[400];
	size_t used = 0;
	enum smtp_state at = o->failed_at;

	peer_text(o->peer, peer, sizeof(peer));
	/* "mail.test [127.0.0.1]:25", or just "[127.0.0.1]:25" for -H 127.0.0.1,
	 * or the name alone when no address answered */
	if (o->peer[0] == '\0')
		snprintf(where, sizeof(where), "%s", host);
	else if (strncmp(peer + 1, host, strlen(host)) == 0 && peer[1 + strlen(host)] == ']')
		snprintf(where, sizeof(where), "%s", peer);
	else
		snprintf(where, sizeof(where), "%s %s", host, peer);

	/* The steps, in order; the failed one is reported once, below. */
	if (o->peer[0])
		result_sub(res, STATE_OK, "connect: %s", o->peer);
	if (o->banner_code && at != SMTP_BANNER)
		result_sub(res, STATE_OK, "banner: %d %s", o->banner_code, o->banner);
	if (o->ehlo_code)
		result_sub(res, STATE_OK, "EHLO refused (%d), HELO used", o->ehlo_code);
	if (o->esmtp) {
		char exts[400] = "";
		size_t u = 0;

		for (size_t i = 0; i < o->ext.n && u < sizeof(exts); i++)
			u += (size_t)snprintf(exts + u, sizeof(exts) - u, "%s%s", i ? ", " : "",
					      o->ext.line[i]);
		if (o->ext.n > 0)
			result_sub(res, STATE_OK, "EHLO: 250, %zu extensions: %s", o->ext.n, exts);
		else
			result_sub(res, STATE_OK, "EHLO: 250, no extensions");
	}
	if (o->tls) {
		snprintf(tls, sizeof(tls), "%s %s", p->implicit_tls ? "TLS" : "STARTTLS",
			 o->tls_info.version);
		result_sub(res, STATE_OK, "%s: %s, %s", p->implicit_tls ? "TLS" : "STARTTLS",
			   o->tls_info.version, o->tls_info.cipher);
		if (!o->tls_info.verified)
			result_sub(res, STATE_OK, "certificate not verified (--insecure): %s",
				   o->tls_info.verify_error);
	}
	/* The certificate's dates, also when verifying it failed. */
	if (o->tls_info.has_cert) {
		if (p->has_days || o->tls_info.days_left < 0) {
			enum state ds = tls_expiry_state(&o->tls_info, p->has_days ? p->warn_days : -1,
							 p->has_days ? p->crit_days : -1, days,
							 sizeof(days));
			flag(res, &st, &why, ds, "%s", days);
		}
		result_detail(res, 2, "certificate: subject %s; issuer %s; %s",
			      o->tls_info.subject, o->tls_info.issuer, o->tls_info.sans);
	}
	if (o->injected > 0)
		flag(res, &st, &why, STATE_CRITICAL, "response injection: the server sent %zu "
		     "bytes of plaintext after its STARTTLS go-ahead (discarded)", o->injected);
	/* The states are in dialogue order: failing later means AUTH passed. */
	if (o->auth_mech[0] && at > SMTP_AUTH)
		result_sub(res, STATE_OK, "AUTH %s: 235", o->auth_mech);
	if (o->mail_code && at != SMTP_MAIL)
		result_sub(res, STATE_OK, "MAIL FROM:<%s>: %d", p->from ? p->from : "", o->mail_code);
	for (size_t i = 0; i < o->nrcpt; i++)
		if (at != SMTP_RCPT || i + 1 < o->nrcpt)
			result_sub(res, STATE_OK, "RCPT TO:<%s>: %d %s", p->to[i], o->rcpt_code[i],
				   o->rcpt_text[i]);
	if (o->data_code && at != SMTP_DATA)
		result_sub(res, STATE_OK, "DATA: %d%s%s, Subject token %s", o->data_code,
			   o->queue_id[0] ? " queued as " : "", o->queue_id, p->token);
	for (size_t i = 0; i < o->relay_total; i++)
		result_sub(res, o->relay_code[i] / 100 == 2 ? STATE_CRITICAL : STATE_OK,
			   "relay test %s", o->relay_line[i]);

	if (at != SMTP_DONE) {
		enum state fs = failure_state(o, co, p);

		if (o->quit_code && at != SMTP_QUIT)
			result_sub(res, STATE_OK, "QUIT: %d", o->quit_code);
		if (fs != STATE_OK) {
			result_sub(res, fs, "%s: %s", smtp_state_name(at), o->fail.text);
			snprintf(line, len, "%s: %s%s%s", where, o->fail.text, why.used ? "; " : "",
				 why.text);
			return state_worst(st, fs);
		}
		/* -q: a missing 221 is no failure */
		result_sub(res, STATE_OK, "QUIT: %s (ignored, -q)", o->fail.text);
	} else if (o->quit_code) {
		result_sub(res, STATE_OK, "QUIT: %d", o->quit_code);
	}

	/* The dialogue went through: what the options ask of it. */
	if (p->has_expect && regexec(&p->expect_re, o->banner_all, 0, NULL, 0) != 0)
		flag(res, &st, &why, STATE_WARNING, "the banner does not match /%s/", p->expect);
	if (p->require[0]) {
		char missing[256] = "", copy[256];
		size_t m = 0;

		snprintf(copy, sizeof(copy), "%s", p->require);
		for (char *save, *e = strtok_r(copy, ",", &save); e; e = strtok_r(NULL, ",", &save))
			if (!smtp_ext_has(&o->ext, e))
				m += (size_t)snprintf(missing + m, sizeof(missing) - m, "%s%s",
						      m ? ", " : "", e);
		if (m > 0)
			flag(res, &st, &why, STATE_CRITICAL, "missing extensions: %s", missing);
	}
	if (p->has_min_size) {
		if (!o->ext.has_size)
			flag(res, &st, &why, STATE_WARNING, "the server announces no SIZE limit");
		else if (o->ext.size_bad)
			flag(res, &st, &why, STATE_WARNING, "the server's SIZE value is not a number");
		else if (o->ext.size != 0 && (double)o->ext.size < p->min_size)
			flag(res, &st, &why, STATE_CRITICAL, "SIZE %llu is below %.0f bytes",
			     o->ext.size, p->min_size);
	}
	if (p->relay_to != NULL) {
		if (o->relay_accepted > 0)
			flag(res, &st, &why, STATE_CRITICAL, "OPEN RELAY (%zu of %zu variants accepted)",
			     o->relay_accepted, o->relay_total);
		else if (o->relay_temp > 0)
			flag(res, &st, &why, STATE_WARNING, "relay test inconclusive: %zu of %zu "
			     "variants got a temporary failure", o->relay_temp, o->relay_total);
		else
			flag(res, &st, &why, STATE_OK, "relay denied (%zu of %zu variants refused)",
			     o->relay_denied, o->relay_total);
	}

	used = (size_t)snprintf(good, sizeof(good), "%s", o->esmtp ? "ESMTP" : "SMTP");
	if (tls[0] && used < sizeof(good))
		used += (size_t)snprintf(good + used, sizeof(good) - used, ", %s", tls);
	if (o->auth_mech[0] && used < sizeof(good))
		used += (size_t)snprintf(good + used, sizeof(good) - used, ", AUTH %s", o->auth_mech);
	if (o->nrcpt > 0 && used < sizeof(good))
		used += (size_t)snprintf(good + used, sizeof(good) - used, ", RCPT %d",
					 o->rcpt_code[o->nrcpt - 1]);
	if (o->data_code && used < sizeof(good))
		used += (size_t)snprintf(good + used, sizeof(good) - used, ", queued%s%s, token %s",
					 o->queue_id[0] ? " as " : "", o->queue_id, p->token);
	if (p->relay_to != NULL && o->relay_accepted == 0 && o->relay_temp == 0 &&
	    used < sizeof(good))
		used += (size_t)snprintf(good + used, sizeof(good) - used, ", relay denied");
	if (why.used)
		snprintf(line, len, "%s: %s; %s, %.0f ms", where, why.text, good, o->total_s * 1000);
	else
		snprintf(line, len, "%s %s, %.0f ms", where, good, o->total_s * 1000);
	return st;
}

static void add_perfdata(struct result *res, const struct smtp_outcome *o,
			 const struct common_opts *co, const struct params *p, double total)
{
	for (int i = 0; i < STAGE_LAST; i++)
		result_perf(res, &(struct perf){ smtp_stage_labels[i],
						 o && o->stage_run[i] ? o->stage_s[i] : NAN, "s",
						 NULL, NULL, 0, NAN });
	result_perf(res, &(struct perf){ "time", total, "s", co->has_warn ? &co->warn : NULL,
					 co->has_crit ? &co->crit : NULL, 0, NAN });
	if (p->starttls || p->implicit_tls)
		result_perf(res, &(struct perf){ "cert_days",
						 o && o->tls_info.has_cert
						 ? o->tls_info.days_left : NAN, "",
						 NULL, NULL, NAN, NAN });
}

/* Sorts MX records by preference, stable. */
static void sort_mx(struct mx_record *mx, size_t n)
{
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && mx[j - 1].preference > mx[j].preference; j--) {
			struct mx_record t = mx[j];

			mx[j] = mx[j - 1];
			mx[j - 1] = t;
		}
}

/* A fresh token for --data: time, pid and random bits, in hex. */
static void make_token(char *buf, size_t len)
{
	unsigned int r = 0;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r))
		r = (unsigned int)mono_now_ns();
	snprintf(buf, len, "nc%lx%x%08x", (unsigned long)time(NULL), (unsigned)getpid(), r);
}

int main(int argc, char **argv)
{
	struct common_opts co;
	struct params p = { 0 };
	struct deadline d;
	struct fail f = { 0 };
	struct resolver *resolver = NULL;
	struct result *res;
	struct mx_record *mx = NULL;
	size_t nmx = 0, tried = 0;
	char password[SECRET_MAX] = "", helo[256], token[80], line[1200] = "";
	struct tls_params tp = { 0 };
	struct smtp_outcome *outcome = calloc(1, sizeof(*outcome)), *first = NULL;
	enum state st = STATE_OK;
	int rc = opts_parse(&info, &co, argc, argv, handle, &p, stdout);

	if (rc >= 0 || (rc = validate(&co, &p, password, sizeof(password))) >= 0) {
		if (p.has_expect)
			regfree(&p.expect_re);
		free(outcome);
		secret_wipe(password, sizeof(password));
		return rc;
	}
	if (p.implicit_tls && !co.port_given)
		co.port = 465;
	if (p.fqdn == NULL) {
		if (gethostname(helo, sizeof(helo)) < 0 || helo[0] == '\0')
			snprintf(helo, sizeof(helo), "localhost");
		helo[sizeof(helo) - 1] = '\0';
		p.fqdn = helo;
	}
	if (p.token == NULL) {
		make_token(token, sizeof(token));
		p.token = token;
	}
	res = result_new(info.service);
	if (res == NULL || outcome == NULL) {
		printf("SMTP UNKNOWN - out of memory\n");
		return STATE_UNKNOWN;
	}
	deadline_start(&d, co.timeout_ms);
	resolver = resolver_new(&(struct resolver_params){ .deadline = &d,
							   .servers = p.dns_server }, &f);
	if (resolver == NULL) {
		rc = opts_usage_error(&info, stdout, "--dns-server: %s", f.text);
		goto out;
	}

	/* The hosts to talk to: -H, or the MX hosts by preference. */
	if (p.mx != NULL) {
		struct dns_reply *reply = NULL;
		enum resolve_status s = resolve_query(resolver, p.mx, DNS_TYPE_MX, &reply, &f);

		if (s == RESOLVE_OK && dns_reply_mx(reply, &mx, &nmx) < 0)
			nmx = 0;
		dns_reply_free(reply);
		if (s != RESOLVE_OK || nmx == 0) {
			result_raise(res, s == RESOLVE_TIMEOUT ? co.timeout_state : STATE_CRITICAL);
			if (s == RESOLVE_OK || s == RESOLVE_NODATA)
				result_summary(res, "%s: no MX records", p.mx);
			else
				result_summary(res, "%s", f.text);
			goto report;
		}
		sort_mx(mx, nmx);
		if (nmx == 1 && mx[0].host[0] == '\0') {
			result_raise(res, STATE_CRITICAL);
			result_summary(res, "%s: null MX: the domain accepts no mail (RFC 7505)", p.mx);
			goto report;
		}
	}

	for (size_t i = 0; i < (p.mx ? nmx : 1); i++) {
		const char *host = p.mx ? mx[i].host : co.host;
		struct addr_list *addrs = NULL;
		struct transcript *t = co.verbose ? transcript_new() : NULL;
		struct smtp_params sp = {
			.deadline = &d, .transcript = t, .tls = &tp,
			.implicit_tls = p.implicit_tls, .starttls = p.starttls,
			.helo_name = p.fqdn, .user = p.user, .password = password,
			.auth_mech = p.auth_mech, .from = p.from, .rcpts = p.to, .nrcpt = p.nto,
			.expect_rcpt = p.expect_rcpt, .data = p.data, .token = p.token,
			.relay_to = p.relay_to, .server_name = host,
		};
		char one[1200];
		enum state hs;

		tp = (struct tls_params){ .host = host, .ca_file = p.ca_file, .insecure = p.insecure };
		memset(outcome, 0, sizeof(*outcome));
		if (resolve_host(resolver, host, co.family, co.port, &addrs, &f) != RESOLVE_OK) {
			outcome->failed_at = SMTP_CONNECT;
			outcome->fail = f;
		} else {
			sp.addrs = addrs;
			smtp_dialogue(&sp, outcome);
		}
		addr_list_free(addrs);
		tried++;
		/* With --mx, a host that cannot be reached gives way to the next. */
		if (p.mx && !p.all_mx && outcome->failed_at == SMTP_CONNECT && i + 1 < nmx &&
		    !deadline_expired(&d)) {
			result_sub(res, STATE_OK, "MX %u %s: %s, trying the next", mx[i].preference,
				   host, outcome->fail.text);
			transcript_free(t);
			continue;
		}
		if (p.all_mx) {
			/* One line per host; its steps are judged into a scratch result. */
			struct result *steps = result_new(info.service);

			hs = steps ? judge(outcome, &co, &p, host, steps, one, sizeof(one))
				   : STATE_UNKNOWN;
			result_free(steps);
			result_sub(res, hs, "MX %u %s", mx[i].preference, one);
			st = state_worst(st, hs);
			result_perf(res, &(struct perf){ host, outcome->failed_at == SMTP_CONNECT
							 ? NAN : outcome->total_s, "s", NULL, NULL,
							 0, NAN });
			transcript_to_result(t, res, 1, co.verbose >= 2);
			transcript_free(t);
			continue;
		}
		st = judge(outcome, &co, &p, host, res, line, sizeof(line));
		transcript_to_result(t, res, 1, co.verbose >= 2);
		transcript_free(t);
		first = outcome;
		break;
	}
	result_raise(res, st);
	if (p.all_mx)
		result_summary(res, "%s: %zu MX hosts, %s, %.0f ms", p.mx, tried,
			       st == STATE_OK ? "all OK" : "see below", deadline_elapsed_s(&d) * 1000);
	else
		result_summary(res, "%s", line);
	if (co.verbose >= 2 && first != NULL)
		for (int i = 0; i < STAGE_LAST; i++)
			if (first->stage_run[i])
				result_detail(res, 2, "%-8s %8.1f ms", smtp_stage_labels[i],
					      first->stage_s[i] * 1000);
report:
	if (!p.all_mx)
		add_perfdata(res, first, &co, &p, deadline_elapsed_s(&d));
	else
		result_perf(res, &(struct perf){ "time", deadline_elapsed_s(&d), "s",
						 co.has_warn ? &co.warn : NULL,
						 co.has_crit ? &co.crit : NULL, 0, NAN });
	{
		double total = deadline_elapsed_s(&d);
		enum state ts = range_state(co.has_warn ? &co.warn : NULL,
					    co.has_crit ? &co.crit : NULL, total);

		if (ts != STATE_OK)
			result_sub(res, ts, "total time %.3f s is outside the %s range", total,
				   ts == STATE_CRITICAL ? "critical" : "warning");
	}
	rc = output_write(res, co.output, co.verbose, stdout);
out:
	if (p.has_expect)
		regfree(&p.expect_re);
	secret_wipe(password, sizeof(password));
	mx_records_free(mx, nmx);
	resolver_free(resolver);
	result_free(res);
	free(outcome);
	return rc;
}
