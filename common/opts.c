#include "opts.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Keys of long-only shared options, out of any plugin's way. */
enum {
	KEY_OUTPUT = 0x10000,
};

#define MAX_OPTIONS 96

/* The shared options, in --help order.  -H and -p are offered only when the
 * plugin says what they mean. */
static const struct opt_spec common_specs[] = {
	{ "help", 'h', NULL, "Print this help and exit.", "" },
	{ "version", 'V', NULL, "Print the version and exit.", "" },
	{ "hostname", 'H', "HOST", NULL, "none" },
	{ "port", 'p', "PORT", NULL, NULL },
	{ "ipv4", '4', NULL, "Use IPv4 only.", "every address, in order" },
	{ "ipv6", '6', NULL, "Use IPv6 only.", "every address, in order" },
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
	  "classic (Nagios status line, long output, perfdata) or json (one "
	  "document, for scripts and cron).", "classic" },
	{ NULL, 0, NULL, NULL, NULL },
};

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

static void help_entry(const struct plugin_info *pi, const struct opt_spec *s,
		       FILE *out)
{
	char what[256];
	const char *help = s->help, *def = s->def;

	if (s->key == 'H')
		help = pi->host_help;
	if (s->key == 'p') {
		help = "Port to connect to.";
		snprintf(what, sizeof(what), "%d", pi->default_port);
		def = what;
	}
	if (s->key == 'w' || s->key == 'c') {
		snprintf(what, sizeof(what), "%s range for %s%s%s%s.",
			 s->key == 'w' ? "Warning" : "Critical", pi->thr_what,
			 pi->thr_unit ? " (a bare number is in " : "",
			 pi->thr_unit ? pi->thr_unit : "",
			 pi->thr_unit ? ")" : "");
		help = what;
	}
	if (s->key < 256)
		fprintf(out, " -%c, --%s", s->key, s->name);
	else
		fprintf(out, "     --%s", s->name);
	if (s->arg != NULL)
		fprintf(out, "=%s", s->arg);
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
	fputc('\n', out);
	if (pi->notes != NULL)
		fprintf(out, "%s\n", pi->notes);
	if (pi->thr_what != NULL)
		fputs(ranges_note, out);
	fputs("Exit codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.\n", out);
}

__attribute__((format(printf, 3, 0)))
static void vusage_error(const struct plugin_info *pi, FILE *out,
			 const char *fmt, va_list ap)
{
	fprintf(out, "%s UNKNOWN - ", pi->service);
	vfprintf(out, fmt, ap);
	fputc('\n', out);
	usage_line(pi, out);
	fprintf(out, "Try '%s --help' for more information.\n", pi->name);
}

int opts_usage_error(const struct plugin_info *pi, FILE *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vusage_error(pi, out, fmt, ap);
	va_end(ap);
	return STATE_UNKNOWN;
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

/* Builds getopt_long's tables from the shared and the plugin's options. */
static int build_tables(const struct plugin_info *pi, struct option *longopts,
			char *shortopts, size_t shortlen)
{
	size_t n = 0, s = 0;
	const struct opt_spec *lists[2] = { common_specs, pi->extra };

	shortopts[s++] = ':'; /* report a missing argument as ':' */
	for (int l = 0; l < 2; l++)
		for (const struct opt_spec *o = lists[l]; o != NULL && o->name != NULL; o++) {
			if (l == 0 && !offered(pi, o))
				continue;
			if (n + 1 >= MAX_OPTIONS || s + 3 >= shortlen)
				return -1;
			longopts[n++] = (struct option){
				o->name, o->arg ? required_argument : no_argument, NULL, o->key
			};
			if (o->key < 256) {
				shortopts[s++] = (char)o->key;
				if (o->arg != NULL)
					shortopts[s++] = ':';
			}
		}
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

static int common_option(const struct plugin_info *pi, struct common_opts *co,
			 int key, const char *arg, opt_handler handler,
			 void *ctx, char *err, size_t errlen)
{
	long port;

	switch (key) {
	case 'H':
		if (arg[0] == '\0' || strpbrk(arg, " \t\r\n") != NULL) {
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
			snprintf(err, errlen, "'%s' is not an output format (classic, json)", arg);
			return -1;
		}
		return 0;
	}
	return handler != NULL ? handler(ctx, key, arg, err, errlen) : -1;
}

int opts_parse(const struct plugin_info *pi, struct common_opts *co, int argc,
	       char **argv, opt_handler handler, void *ctx, FILE *out)
{
	struct option longopts[MAX_OPTIONS];
	char shortopts[3 * MAX_OPTIONS];
	char err[512], opt[128];
	int key;

	*co = (struct common_opts){
		.port = pi->default_port,
		.family = AF_UNSPEC,
		.timeout_ms = OPTS_DEFAULT_TIMEOUT_MS,
		.timeout_state = STATE_CRITICAL,
		.output = OUTPUT_CLASSIC,
	};
	if (build_tables(pi, longopts, shortopts, sizeof(shortopts)) < 0)
		return opts_usage_error(pi, out, "internal error: too many options");

	optind = 0; /* glibc: start afresh, also on a second call */
	opterr = 0;
	while ((key = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		switch (key) {
		case 'h':
			opts_help(pi, out);
			return 0;
		case 'V':
			opts_version(pi, out);
			return 0;
		case '?':
			option_text(argv, optind, optopt, opt, sizeof(opt));
			return opts_usage_error(pi, out, "unknown option '%s'", opt);
		case ':':
			option_text(argv, optind, optopt, opt, sizeof(opt));
			return opts_usage_error(pi, out, "option '%s' needs an argument", opt);
		default:
			if (common_option(pi, co, key, optarg, handler, ctx, err,
					  sizeof(err)) < 0) {
				option_text(argv, optind, key, opt, sizeof(opt));
				return opts_usage_error(pi, out, "%s: %s", opt, err);
			}
		}
	}
	if (optind < argc)
		return opts_usage_error(pi, out, "unexpected argument '%s'", argv[optind]);
	return -1;
}
