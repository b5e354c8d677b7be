#include "opts.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "resolve.h"

/* Keys of long-only shared options, out of any plugin's way. */
enum {
	KEY_OUTPUT = 0x10000,
	KEY_CA_FILE,
	KEY_INSECURE,
	KEY_PASSWORD_FILE,
	KEY_PASSWORD_ENV,
	KEY_DNS_SERVER,
	KEY_GRAPHITE_PREFIX,
};

#define MAX_OPTIONS 96

/* A valid Graphite path (letters, digits, _ - .). */
static bool graphite_path(const char *s)
{
	return s[0] != '\0' &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") ==
		       strlen(s);
}

/* The shared options, in --help order.  -H and -p are offered only when the
 * plugin says what they mean. */
static const struct opt_spec common_specs[] = {
	{ "help", 'h', NULL, "Print this help and exit with 3 (UNKNOWN), as monitoring-plugins do.", "" },
	{ "version", 'V', NULL, "Print the version and exit with 3 (UNKNOWN).", "" },
	{ "hostname", 'H', "HOST", NULL, "none" },
	{ "port", 'p', "PORT", NULL, NULL },
	{ "ipv4", '4', NULL, "Use IPv4 only (also --use-ipv4).", "every address, in order" },
	{ "ipv6", '6', NULL, "Use IPv6 only (also --use-ipv6).", "every address, in order" },
	{ "timeout", 't', "SECONDS[:STATE]",
	  "Budget for the whole run (a number of seconds, or with a unit: 500ms, "
	  "2m); STATE is the state to report when it runs out (ok, warning, "
	  "critical, unknown).", "10:critical" },
	{ "warning", 'w', "RANGE", NULL, "none" },
	{ "critical", 'c', "RANGE", NULL, "none" },
	{ "verbose", 'v', NULL,
	  "Add long output; repeat for more: -v the transcript of the dialogue, "
	  "-vv timings and TLS details, -vvv debugging.", "off" },
	{ "output", KEY_OUTPUT, "FORMAT",
	  "classic (Nagios status line, long output, perfdata), json (one "
	  "document, for scripts and cron), influx (one InfluxDB line: the "
	  "plugin as measurement, host and service tags, the state, the summary "
	  "and a field per perfdata value) or graphite (PREFIX.LABEL VALUE TIME "
	  "lines); the exit code is the state in every format.", "classic" },
	{ "graphite-prefix", KEY_GRAPHITE_PREFIX, "PREFIX",
	  "Path before --output=graphite's labels.", "netcheck.HOST.PLUGIN" },
	{ NULL, 0, NULL, NULL, NULL },
};

/* The shared groups (enum opts_group), in --help order after the
 * plugin's own options.  -P's long name is the plugin's (pw_long). */
static const struct opt_spec tls_specs[] = {
	{ "certificate", 'D', "WARN[,CRIT]",
	  "With TLS: WARNING when the server's certificate expires within WARN days, "
	  "CRITICAL within CRIT days (an expired certificate is always CRITICAL).",
	  "expired only" },
	{ "ca-file", KEY_CA_FILE, "FILE",
	  "With TLS: trust the CA certificates in FILE (PEM) instead of the system's.",
	  "the system's store" },
	{ "insecure", KEY_INSECURE, NULL,
	  "With TLS: do not fail when the certificate chain or host name does not verify "
	  "(the output still says why it would).", NULL },
	{ NULL, 0, NULL, NULL, NULL },
};

static const struct opt_spec password_specs[] = {
	{ "password-file", KEY_PASSWORD_FILE, "FILE",
	  "Read the password from the first line of FILE (a regular file).", NULL },
	{ "password-env", KEY_PASSWORD_ENV, "VAR",
	  "Read the password from environment variable VAR.", NULL },
	{ "password", 'P', "PASSWORD",
	  "The password itself: other users of the machine can see it (ps, /proc) until "
	  "the plugin has started; prefer --password-file or --password-env.", NULL },
	{ NULL, 0, NULL, NULL, NULL },
};

static const struct opt_spec dns_specs[] = {
	{ "dns-server", KEY_DNS_SERVER, "ADDR[:PORT]",
	  "DNS server to ask instead of the system's; IPv6 as [ADDR]:PORT; a comma "
	  "separated list or repeated, asked in order.",
	  "the system's resolvers (/etc/resolv.conf)" },
	{ NULL, 0, NULL, NULL, NULL },
};

static const struct {
	enum opts_group group;
	const struct opt_spec *specs;
} groups[] = {
	{ OPTS_TLS, tls_specs },
	{ OPTS_PASSWORD, password_specs },
	{ OPTS_DNS, dns_specs },
};
#define NGROUPS (sizeof(groups) / sizeof(groups[0]))

static const char ranges_note[] =
	"Ranges (-w, -c) follow the Nagios plugin guidelines: N alerts outside\n"
	"0..N, N: below N, ~:N above N, N:M outside N..M, @N:M inside N..M (end\n"
	"points included).  Times take a unit (us, ms, s, m, h, d) and sizes take\n"
	"B, KB, MB, GB or TB (powers of 1024); a bare number uses the unit named\n"
	"above.\n";

static bool offered(const struct plugin_info *pi, const struct opt_spec *s)
{
	if (s->key == 'H')
		return pi->host_help != NULL;
	if (s->key == 'p')
		return pi->default_port > 0;
	return true;
}

void opts_version(const struct plugin_info *pi, FILE *out)
{
	fprintf(out, "%s (netcheck) %s\n", pi->name, NETCHECK_VERSION);
}

static void usage_line(const struct plugin_info *pi, FILE *out)
{
	fprintf(out, "Usage: %s %s\n", pi->name, pi->usage);
}

/* Writes text word-wrapped to fit 79 columns, each line indented by 4. */
static void put_wrapped(const char *text, FILE *out)
{
	const size_t width = 75;
	size_t col = 0;

	while (*text != '\0') {
		size_t n = strcspn(text, " ");

		if (col > 0 && col + 1 + n > width) {
			fputc('\n', out);
			col = 0;
		}
		fprintf(out, "%s%.*s", col == 0 ? "    " : " ", (int)n, text);
		col += n + (col == 0 ? 0 : 1);
		text += n;
		text += strspn(text, " ");
	}
	fputc('\n', out);
}

/* The long name of an option: -P's is the plugin's when it names one. */
static const char *long_name(const struct plugin_info *pi, const struct opt_spec *s)
{
	if (s == &password_specs[2] && pi->pw_long != NULL)
		return pi->pw_long;
	return s->name;
}

static void help_entry(const struct plugin_info *pi, const struct opt_spec *s,
		       FILE *out)
{
	char what[512];
	const char *help = s->help, *def = s->def;

	if (s->key == 'H')
		help = pi->host_help;
	if (s->key == 'p') {
		help = "Port to connect to.";
		snprintf(what, sizeof(what), "%d", pi->default_port);
		def = what;
	}
	if ((s->key == 'w' || s->key == 'c') && pi->raw_thresholds) {
		snprintf(what, sizeof(what), "%s thresholds: %s.",
			 s->key == 'w' ? "Warning" : "Critical", pi->thr_what);
		help = what;
	} else if (s->key == 'w' || s->key == 'c') {
		snprintf(what, sizeof(what), "%s range for %s%s%s%s.",
			 s->key == 'w' ? "Warning" : "Critical", pi->thr_what,
			 pi->thr_unit ? " (a bare number is in " : "",
			 pi->thr_unit ? pi->thr_unit : "",
			 pi->thr_unit ? ")" : "");
		help = what;
	}
	if (s->key == 'w' && pi->warn_default)
		def = pi->warn_default;
	if (s->key == 'c' && pi->crit_default)
		def = pi->crit_default;
	if (s->key == 'v' && pi->verbose_help)
		help = pi->verbose_help;
	if ((s->key == '4' || s->key == '6') && pi->family_default)
		def = pi->family_default;
	if (s->key < 256)
		fprintf(out, " -%c, --%s", s->key, long_name(pi, s));
	else
		fprintf(out, "     --%s", long_name(pi, s));
	if (s->arg != NULL)
		fprintf(out, "=%s", (s->key == 'w' || s->key == 'c') && pi->thr_arg ? pi->thr_arg
										 : s->arg);
	fputc('\n', out);
	if (def == NULL)
		def = s->arg ? "none" : "off";
	if (def[0] != '\0') {
		char *full;

		if (asprintf(&full, "%s (default: %s)", help, def) >= 0) {
			put_wrapped(full, out);
			free(full);
			return;
		}
	}
	put_wrapped(help, out);
}

static const struct opt_spec *spec_of(const struct plugin_info *pi, int key);

/* For each name of pi->aliases: "Called as check_ping (a link of that
 * name):" and, indented, "-p is -n (--packets)." */
static void alias_help(const struct plugin_info *pi, FILE *out)
{
	for (const struct opt_alias *a = pi->aliases; a != NULL && a->called != NULL;) {
		const char *called = a->called;
		char text[512];
		size_t u = 0;

		for (; a->called != NULL && strcmp(a->called, called) == 0 && u < sizeof(text); a++) {
			const struct opt_spec *o = spec_of(pi, a->key);

			if (o == NULL)
				continue;
			if (o->key < 256)
				u += (size_t)snprintf(text + u, sizeof(text) - u, "%s-%c is -%c (--%s)",
						      u ? ", " : "", a->letter, o->key, long_name(pi, o));
			else
				u += (size_t)snprintf(text + u, sizeof(text) - u, "%s-%c is --%s",
						      u ? ", " : "", a->letter, long_name(pi, o));
		}
		fprintf(out, "Called as %s (a link of that name, as monitoring-plugins' service\n"
			"definitions call it):\n", called);
		if (u < sizeof(text) - 1)
			snprintf(text + u, sizeof(text) - u, ".");
		put_wrapped(text, out);
	}
}

void opts_help(const struct plugin_info *pi, FILE *out)
{
	opts_version(pi, out);
	fprintf(out, "%s\n\n", pi->purpose);
	usage_line(pi, out);
	fputs("\nOptions:\n", out);
	for (const struct opt_spec *s = common_specs; s->name != NULL; s++)
		if (offered(pi, s) && (pi->thr_what != NULL || (s->key != 'w' && s->key != 'c')))
			help_entry(pi, s, out);
	for (const struct opt_spec *s = pi->extra; s != NULL && s->name != NULL; s++)
		help_entry(pi, s, out);
	for (size_t g = 0; g < NGROUPS; g++)
		for (const struct opt_spec *s = groups[g].specs; (pi->groups & groups[g].group) &&
							  s->name != NULL; s++)
			help_entry(pi, s, out);
	fputc('\n', out);
	alias_help(pi, out);
	if (pi->notes != NULL)
		fprintf(out, "%s\n", pi->notes);
	if (pi->thr_what != NULL && !pi->raw_thresholds)
		fputs(ranges_note, out);
	fputs("Exit codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.\n", out);
}

/* A usage error goes out as every result does: escaped (a newline or '|'
 * in an option's value cannot break the status line or start perfdata)
 * and in the format asked for (co NULL: classic). */
__attribute__((format(printf, 4, 0)))
static int vusage_error(const struct plugin_info *pi, const struct common_opts *co, FILE *out,
			const char *fmt, va_list ap)
{
	struct result *res = result_new(pi->service);
	struct output_meta meta = { .plugin = pi->name };
	char *msg = NULL;

	if (res == NULL || vasprintf(&msg, fmt, ap) < 0) {
		result_free(res);
		fprintf(out, "%s UNKNOWN - out of memory\n", pi->service);
		return STATE_UNKNOWN;
	}
	result_raise(res, STATE_UNKNOWN);
	result_summary(res, "%s", msg);
	result_note(res, "Usage: %s %s", pi->name, pi->usage);
	result_note(res, "Try '%s --help' for more information.", pi->name);
	if (co) {
		meta.host = co->nhosts > 1 ? NULL : co->host;
		meta.graphite_prefix = co->graphite_prefix;
	}
	output_write_meta(res, co ? co->output : OUTPUT_CLASSIC, 0, &meta, out);
	result_free(res);
	free(msg);
	return STATE_UNKNOWN;
}

int opts_usage_error(const struct plugin_info *pi, const struct common_opts *co,
		     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vusage_error(pi, co, stdout, fmt, ap);
	va_end(ap);
	return STATE_UNKNOWN;
}

bool opts_tls_given(const struct common_opts *co)
{
	return co->tls.has_days || co->tls.ca_file != NULL || co->tls.insecure;
}

int opts_add_dns_servers(struct common_opts *co, const char *arg, char *err, size_t errlen)
{
	size_t used = strlen(co->dns_servers);

	if (resolver_check_servers(arg, err, errlen) < 0)
		return -1;
	if (used + 1 + strlen(arg) >= sizeof(co->dns_servers)) {
		snprintf(err, errlen, "too many DNS servers");
		return -1;
	}
	snprintf(co->dns_servers + used, sizeof(co->dns_servers) - used, "%s%s",
		 used ? "," : "", arg);
	if (resolver_check_servers(co->dns_servers, err, errlen) < 0)
		return -1; /* over RESOLVE_MAX_SERVERS together */
	return 0;
}

const char *opts_dns_servers(const struct common_opts *co)
{
	return co->dns_servers[0] ? co->dns_servers : NULL;
}

int opts_long(const char *text, long min, long max, long *out, char *err,
	      size_t errlen)
{
	const char *p = text;
	char *end;
	long v;

	if (*p == '+' || *p == '-')
		p++;
	if (!isdigit((unsigned char)*p)) {
		snprintf(err, errlen, "'%s' is not an integer", text);
		return -1;
	}
	errno = 0;
	v = strtol(text, &end, 10);
	if (*end != '\0') {
		snprintf(err, errlen, "'%s' is not an integer", text);
		return -1;
	}
	if (errno == ERANGE || v < min || v > max) {
		snprintf(err, errlen, "'%s' is out of range (%ld to %ld)", text, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

int opts_double(const char *text, double min, double max, double *out,
		char *err, size_t errlen)
{
	double v;

	if (unit_parse(text, UNIT_NONE, NULL, &v, err, errlen) < 0)
		return -1;
	if (v < min || v > max) {
		char a[64], b[64];

		number_format(min, a, sizeof(a));
		number_format(max, b, sizeof(b));
		snprintf(err, errlen, "'%s' is out of range (%s to %s)", text, a, b);
		return -1;
	}
	*out = v;
	return 0;
}

int opts_duration_ms(const char *text, const char *default_unit, int64_t max_ms,
		     int64_t *out, char *err, size_t errlen)
{
	double s;

	if (unit_parse(text, UNIT_TIME, default_unit, &s, err, errlen) < 0)
		return -1;
	if (s * 1000 < 1 || s * 1000 > (double)max_ms) {
		snprintf(err, errlen, "'%s' is out of range (1ms to %llds)", text,
			 (long long)(max_ms / 1000));
		return -1;
	}
	*out = (int64_t)(s * 1000 + 0.5);
	return 0;
}

int opts_days_pair(const char *text, double *warn, double *crit, char *err,
		   size_t errlen)
{
	const char *comma = strchr(text, ',');
	char first[64];
	size_t n = comma ? (size_t)(comma - text) : strlen(text);

	if (n >= sizeof(first)) {
		snprintf(err, errlen, "'%s' is too long", text);
		return -1;
	}
	memcpy(first, text, n);
	first[n] = '\0';
	if (opts_double(first, 0, 36500, warn, err, errlen) < 0)
		return -1;
	*crit = -1;
	if (comma != NULL && opts_double(comma + 1, 0, 36500, crit, err, errlen) < 0)
		return -1;
	if (*crit > *warn) {
		snprintf(err, errlen, "'%s': the critical days must not be more than the warning days",
			 text);
		return -1;
	}
	return 0;
}

/* One side of opts_pair: n bytes of text, NaN when empty. */
static int pair_side(const char *text, size_t n, enum unit_kind kind, const char *unit,
		     double *out, char *err, size_t errlen)
{
	char one[64];

	*out = NAN;
	if (n == 0)
		return 0;
	if (n >= sizeof(one)) {
		snprintf(err, errlen, "'%.*s' is too long", (int)n, text);
		return -1;
	}
	memcpy(one, text, n);
	one[n] = '\0';
	if (unit_parse(one, kind, unit, out, err, errlen) < 0)
		return -1;
	if (*out < 0) {
		snprintf(err, errlen, "'%s' is negative", one);
		return -1;
	}
	return 0;
}

int opts_pair(const char *text, enum unit_kind ka, const char *ua, enum unit_kind kb,
	      const char *ub, double *a, double *b, char *err, size_t errlen)
{
	const char *comma = strchr(text, ',');
	size_t n = comma ? (size_t)(comma - text) : strlen(text);

	if ((n == 0 && (comma == NULL || comma[1] == '\0')) ||
	    (comma != NULL && strchr(comma + 1, ',') != NULL)) {
		snprintf(err, errlen, "'%s' is not a pair A,B", text);
		return -1;
	}
	if (pair_side(text, n, ka, ua, a, err, errlen) < 0)
		return -1;
	return pair_side(comma ? comma + 1 : "", comma ? strlen(comma + 1) : 0, kb, ub, b, err,
			 errlen);
}

int opts_timeout(const char *text, int64_t *ms, enum state *st, char *err,
		 size_t errlen)
{
	const char *colon = strchr(text, ':');
	char secs[64];
	size_t n = colon ? (size_t)(colon - text) : strlen(text);

	if (n >= sizeof(secs)) {
		snprintf(err, errlen, "'%s' is too long", text);
		return -1;
	}
	memcpy(secs, text, n);
	secs[n] = '\0';
	if (opts_duration_ms(secs, "s", OPTS_MAX_TIMEOUT_MS, ms, err, errlen) < 0)
		return -1;
	*st = STATE_CRITICAL;
	if (colon != NULL && state_parse(colon + 1, st) < 0) {
		snprintf(err, errlen, "'%s' is not a state (ok, warning, critical, unknown)",
			 colon + 1);
		return -1;
	}
	return 0;
}

/* The option lists pi takes into lists[2 + NGROUPS]: the shared ones, its
 * own, its groups' (NULL for a group it does not take). */
static void spec_lists(const struct plugin_info *pi, const struct opt_spec **lists)
{
	lists[0] = common_specs;
	lists[1] = pi->extra;
	for (size_t g = 0; g < NGROUPS; g++)
		lists[2 + g] = pi->groups & groups[g].group ? groups[g].specs : NULL;
}

/* The option pi takes whose key is key, or NULL. */
static const struct opt_spec *spec_of(const struct plugin_info *pi, int key)
{
	const struct opt_spec *lists[2 + NGROUPS];

	spec_lists(pi, lists);
	for (size_t l = 0; l < 2 + NGROUPS; l++)
		for (const struct opt_spec *o = lists[l]; o != NULL && o->name != NULL; o++)
			if (o->key == key && (l != 0 || offered(pi, o)))
				return o;
	return NULL;
}

/* The alias of letter under the name called, or NULL. */
static const struct opt_alias *alias_of(const struct plugin_info *pi, const char *called,
					int letter)
{
	for (const struct opt_alias *a = pi->aliases; a != NULL && a->called != NULL; a++)
		if (a->letter == letter && strcmp(a->called, called) == 0)
			return a;
	return NULL;
}

/* Builds getopt_long's tables from the shared and the plugin's options,
 * and the letters of the aliases for the name it was called by. */
static int build_tables(const struct plugin_info *pi, const char *called,
			struct option *longopts, char *shortopts, size_t shortlen)
{
	size_t n = 0, s = 0;
	const struct opt_spec *lists[2 + NGROUPS];

	spec_lists(pi, lists);
	shortopts[s++] = ':'; /* report a missing argument as ':' */
	for (size_t l = 0; l < 2 + NGROUPS; l++)
		for (const struct opt_spec *o = lists[l]; o != NULL && o->name != NULL; o++) {
			if (l == 0 && !offered(pi, o))
				continue;
			if (n + 1 >= MAX_OPTIONS || s + 3 >= shortlen)
				return -1;
			longopts[n++] = (struct option){
				long_name(pi, o), o->arg ? required_argument : no_argument, NULL,
				o->key
			};
			if (o->key < 256) {
				shortopts[s++] = (char)o->key;
				if (o->arg != NULL)
					shortopts[s++] = ':';
			}
		}
	for (const struct opt_alias *a = pi->aliases; a != NULL && a->called != NULL; a++) {
		const struct opt_spec *o;

		if (strcmp(a->called, called) != 0 || memchr(shortopts, a->letter, s) != NULL)
			continue; /* another name's, or a letter the plugin has */
		if ((o = spec_of(pi, a->key)) == NULL || s + 3 >= shortlen)
			return -1;
		shortopts[s++] = a->letter;
		if (o->arg != NULL)
			shortopts[s++] = ':';
	}
	/* monitoring-plugins' long names of -4 and -6, so that their service
	 * definitions carry over. */
	if (n + 3 >= MAX_OPTIONS)
		return -1;
	longopts[n++] = (struct option){ "use-ipv4", no_argument, NULL, '4' };
	longopts[n++] = (struct option){ "use-ipv6", no_argument, NULL, '6' };
	longopts[n] = (struct option){ NULL, 0, NULL, 0 };
	shortopts[s] = '\0';
	return 0;
}

/* The option as the user wrote it, for messages: the word before optind,
 * or the one before that when the argument was a word of its own
 * ("--port 99999"). */
static void option_text(char **argv, int optind_now, int key, char *buf, size_t len)
{
	const char *word = optind_now > 0 ? argv[optind_now - 1] : "";

	if (word[0] != '-' && optind_now > 1)
		word = argv[optind_now - 2];
	if (strncmp(word, "--", 2) == 0)
		snprintf(buf, len, "%.*s", (int)strcspn(word, "="), word);
	else if (key > 0 && key < 256)
		snprintf(buf, len, "-%c", key);
	else
		snprintf(buf, len, "%s", word);
}

/* The options of the shared groups the plugin takes: 0 when key is one
 * and was taken; -1 with err set when its value is bad, or with err empty
 * when key is not one of them. */
static int group_option(const struct plugin_info *pi, struct common_opts *co, int key,
			const char *arg, char *err, size_t errlen)
{
	err[0] = '\0';
	if (pi->groups & OPTS_TLS) {
		switch (key) {
		case 'D':
			co->tls.has_days = true;
			return opts_days_pair(arg, &co->tls.warn_days, &co->tls.crit_days, err,
					      errlen);
		case KEY_CA_FILE: co->tls.ca_file = arg; return 0;
		case KEY_INSECURE: co->tls.insecure = true; return 0;
		}
	}
	if (pi->groups & OPTS_PASSWORD) {
		switch (key) {
		case KEY_PASSWORD_FILE: co->pw.file = arg; return 0;
		case KEY_PASSWORD_ENV: co->pw.env = arg; return 0;
		case 'P': co->pw.arg = (char *)arg; return 0;
		}
	}
	if ((pi->groups & OPTS_DNS) && key == KEY_DNS_SERVER)
		return opts_add_dns_servers(co, arg, err, errlen);
	return -1;
}

static bool host_text_ok(const char *host, size_t n)
{
	return n > 0 && strcspn(host, " \t\r\n") >= n;
}

void opts_free(struct common_opts *co)
{
	for (size_t i = 0; i < co->nhosts; i++)
		free(co->hosts[i]);
	free(co->hosts);
	co->hosts = NULL;
	co->nhosts = 0;
}

/* Appends the hosts of a comma list to co->hosts. */
static int add_hosts(struct common_opts *co, const char *arg, char *err, size_t errlen)
{
	const char *p = arg;

	do {
		size_t n = strcspn(p, ",");
		char **grown;

		if (!host_text_ok(p, n)) {
			snprintf(err, errlen, "'%.*s' is not a host name or address", (int)n, p);
			return -1;
		}
		grown = realloc(co->hosts, (co->nhosts + 1) * sizeof(*co->hosts));
		if (grown == NULL || (grown[co->nhosts] = strndup(p, n)) == NULL) {
			if (grown)
				co->hosts = grown;
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		co->hosts = grown;
		co->nhosts++;
		p += n;
	} while (*p++ == ',');
	co->host = co->hosts[0];
	return 0;
}

static int common_option(const struct plugin_info *pi, struct common_opts *co,
			 int key, const char *arg, opt_handler handler,
			 void *ctx, char *err, size_t errlen)
{
	long port;

	switch (key) {
	case 'H':
		if (pi->many_hosts)
			return add_hosts(co, arg, err, errlen);
		if (!host_text_ok(arg, strlen(arg))) {
			snprintf(err, errlen, "'%s' is not a host name or address", arg);
			return -1;
		}
		co->host = arg;
		return 0;
	case 'p':
		if (opts_long(arg, 1, 65535, &port, err, errlen) < 0)
			return -1;
		co->port = (int)port;
		co->port_given = true;
		return 0;
	case '4':
		co->family = AF_INET;
		return 0;
	case '6':
		co->family = AF_INET6;
		return 0;
	case 't':
		return opts_timeout(arg, &co->timeout_ms, &co->timeout_state, err, errlen);
	case 'w':
	case 'c':
		if (pi->raw_thresholds)
			return handler(ctx, key, arg, err, errlen);
		if (range_parse(key == 'w' ? &co->warn : &co->crit, arg, pi->thr_kind,
				pi->thr_unit, err, errlen) < 0)
			return -1;
		*(key == 'w' ? &co->has_warn : &co->has_crit) = true;
		return 0;
	case 'v':
		co->verbose++;
		return 0;
	case KEY_OUTPUT:
		if (output_format_parse(arg, &co->output) < 0) {
			snprintf(err, errlen,
				 "'%s' is not an output format (classic, json, influx, graphite)", arg);
			return -1;
		}
		return 0;
	case KEY_GRAPHITE_PREFIX:
		if (!graphite_path(arg)) {
			snprintf(err, errlen, "'%s' is not a Graphite path (letters, digits, _ - .)",
				 arg);
			return -1;
		}
		co->graphite_prefix = arg;
		return 0;
	}
	if (group_option(pi, co, key, arg, err, errlen) == 0)
		return 0;
	if (err[0] != '\0')
		return -1;
	return handler != NULL ? handler(ctx, key, arg, err, errlen) : -1;
}

/* The --graphite-prefix given (when valid), looked up before parsing as
 * --output is. */
static const char *scan_graphite_prefix(int argc, char **argv)
{
	const char *p = NULL;

	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strncmp(argv[i], "--graphite-prefix=", 18) == 0 && graphite_path(argv[i] + 18))
			p = argv[i] + 18;
		else if (strcmp(argv[i], "--graphite-prefix") == 0 && i + 1 < argc &&
			 graphite_path(argv[++i]))
			p = argv[i];
	}
	return p;
}

/* The --output asked for, looked up before parsing so that an error in an
 * earlier option is already written in that format. */
static enum output_format scan_output(int argc, char **argv)
{
	enum output_format f = OUTPUT_CLASSIC;

	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strncmp(argv[i], "--output=", 9) == 0)
			output_format_parse(argv[i] + 9, &f);
		else if (strcmp(argv[i], "--output") == 0 && i + 1 < argc)
			output_format_parse(argv[++i], &f);
	}
	return f;
}

/* A usage error during parsing: what was allocated goes first. */
__attribute__((format(printf, 4, 5)))
static int parse_failed(const struct plugin_info *pi, struct common_opts *co, FILE *out,
			const char *fmt, ...)
{
	va_list ap;

	/* Written before the host list goes: the influx and graphite formats
	 * name the host. */
	va_start(ap, fmt);
	vusage_error(pi, co, out, fmt, ap);
	va_end(ap);
	opts_free(co);
	return STATE_UNKNOWN;
}

/* An option not taken: with advice when it is one of the replaced
 * plugin's ("-C" or "--command", as typed). */
static int unknown_option(const struct plugin_info *pi, struct common_opts *co, FILE *out,
			  const char *opt)
{
	for (const struct foreign_opt *f = pi->foreign; f && (f->letter || f->name); f++) {
		bool is = (opt[1] != '-' && f->letter && opt[1] == f->letter && opt[2] == '\0') ||
			  (opt[1] == '-' && f->name && strcmp(opt + 2, f->name) == 0);

		if (is)
			return parse_failed(pi, co, out, "option '%s' is not taken (%s)", opt,
					    f->advice);
	}
	return parse_failed(pi, co, out, "unknown option '%s'", opt);
}

int opts_parse(const struct plugin_info *pi, struct common_opts *co, int argc,
	       char **argv, opt_handler handler, void *ctx, FILE *out)
{
	struct option longopts[MAX_OPTIONS];
	char shortopts[3 * MAX_OPTIONS];
	char err[512], opt[128];
	const char *called = argc > 0 && argv[0] != NULL ? argv[0] : "";
	const struct opt_alias *alias;
	int key;

	if (strrchr(called, '/') != NULL)
		called = strrchr(called, '/') + 1;
	*co = (struct common_opts){
		.port = pi->default_port,
		.family = AF_UNSPEC,
		.timeout_ms = OPTS_DEFAULT_TIMEOUT_MS,
		.timeout_state = STATE_CRITICAL,
		.output = scan_output(argc, argv),
		.graphite_prefix = scan_graphite_prefix(argc, argv),
		.tls = { .warn_days = -1, .crit_days = -1 },
	};
	if (build_tables(pi, called, longopts, shortopts, sizeof(shortopts)) < 0)
		return parse_failed(pi, co, out, "internal error: too many options");

	optind = 0; /* glibc: start afresh, also on a second call */
	opterr = 0;
	while ((key = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		switch (key) {
		/* Exit code 3 (UNKNOWN), as monitoring-plugins' plugins: a
		 * service defined with a mistyped "-h HOST" must never be a
		 * green service that checks nothing. */
		case 'h':
			opts_free(co);
			opts_help(pi, out);
			return STATE_UNKNOWN;
		case 'V':
			opts_free(co);
			opts_version(pi, out);
			return STATE_UNKNOWN;
		case '?':
			option_text(argv, optind, optopt, opt, sizeof(opt));
			return unknown_option(pi, co, out, opt);
		case ':':
			option_text(argv, optind, optopt, opt, sizeof(opt));
			return parse_failed(pi, co, out, "option '%s' needs an argument", opt);
		default:
			/* As check_ping, -p is check_ping's -p. */
			alias = alias_of(pi, called, key);
			if (common_option(pi, co, alias ? alias->key : key, optarg, handler, ctx, err,
					  sizeof(err)) < 0) {
				option_text(argv, optind, key, opt, sizeof(opt));
				return parse_failed(pi, co, out, "%s: %s", opt, err);
			}
		}
	}
	for (; pi->many_hosts && optind < argc; optind++)
		if (add_hosts(co, argv[optind], err, sizeof(err)) < 0)
			return parse_failed(pi, co, out, "%s", err);
	if (optind < argc)
		return parse_failed(pi, co, out, "unexpected argument '%s'", argv[optind]);
	return -1;
}

int opts_write(const struct plugin_info *pi, const struct common_opts *co,
	       const struct result *res, FILE *out)
{
	struct output_meta meta = { .plugin = pi->name, .host = co->nhosts > 1 ? NULL : co->host,
				    .graphite_prefix = co->graphite_prefix };

	return output_write_meta(res, co->output, co->verbose, &meta, out);
}
