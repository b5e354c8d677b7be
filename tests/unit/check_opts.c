/* opts: shared options, strict numbers, help, version and usage errors;
 * value pairs, many hosts and raw thresholds (check_icmp_rtt). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "opts.h"
#include "suites.h"

enum { KEY_FLAG = 256 };

static const struct opt_spec extra[] = {
	{ "fqdn", 'F', "NAME", "Name to send in EHLO.", "this host's name" },
	{ "flag", KEY_FLAG, NULL, "A long-only flag.", NULL },
	{ NULL, 0, NULL, NULL, NULL },
};

static const struct foreign_opt foreign[] = {
	{ 'C', "command", "old's command: use --flag" },
	{ 0, "extra-opts", "put the options on the command line" },
	{ 'Q', NULL, "old's Q: not taken" },
	{ 0, NULL, NULL },
};

static const struct plugin_info info = {
	.name = "check_test",
	.service = "TEST",
	.purpose = "Tests the options.",
	.usage = "-H HOST [options]",
	.host_help = "Host to test.",
	.default_port = 25,
	.thr_what = "the total time",
	.thr_kind = UNIT_TIME,
	.thr_unit = "s",
	.extra = extra,
	.foreign = foreign,
};

struct seen {
	const char *fqdn;
	int flags;
};

static int handler(void *ctx, int key, const char *arg, char *err, size_t errlen)
{
	struct seen *s = ctx;

	switch (key) {
	case 'F':
		if (strcmp(arg, "bad") == 0) {
			snprintf(err, errlen, "'%s' is a bad name", arg);
			return -1;
		}
		s->fqdn = arg;
		return 0;
	case KEY_FLAG:
		s->flags++;
		return 0;
	}
	return -1;
}

/* Parses a NULL-terminated argument list; returns what opts_parse returns
 * and the text it wrote in *text (caller frees). */
static int parse(const char *const *args, struct common_opts *co, struct seen *s,
		 char **text)
{
	char *argv[32];
	int argc = 0;
	size_t len = 0;
	FILE *f = open_memstream(text, &len);
	int rc;

	argv[argc++] = (char *)"check_test";
	while (*args != NULL)
		argv[argc++] = (char *)*args++;
	argv[argc] = NULL;
	rc = opts_parse(&info, co, argc, argv, handler, s, f);
	fclose(f);
	return rc;
}

#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

START_TEST(test_defaults)
{
	struct common_opts co;
	struct seen s = { 0 };
	char *text;

	ck_assert_int_eq(parse(ARGS("-H", "mail.test"), &co, &s, &text), -1);
	ck_assert_str_eq(text, "");
	ck_assert_str_eq(co.host, "mail.test");
	ck_assert_int_eq(co.port, 25);
	ck_assert(!co.port_given);
	ck_assert_int_eq(co.family, AF_UNSPEC);
	ck_assert_int_eq(co.timeout_ms, 10000);
	ck_assert_int_eq(co.timeout_state, STATE_CRITICAL);
	ck_assert(!co.has_warn && !co.has_crit);
	ck_assert_int_eq(co.verbose, 0);
	ck_assert_int_eq(co.output, OUTPUT_CLASSIC);
	free(text);
}
END_TEST

START_TEST(test_everything_set)
{
	struct common_opts co;
	struct seen s = { 0 };
	char *text;

	ck_assert_int_eq(parse(ARGS("--hostname=::1", "-p", "2525", "-6", "-t", "2.5:unknown",
				    "-w", "250ms", "--critical", "1s", "-vvv", "--output", "json",
				    "-F", "client.test", "--flag", "--flag"),
			       &co, &s, &text), -1);
	ck_assert_str_eq(co.host, "::1");
	ck_assert_int_eq(co.port, 2525);
	ck_assert(co.port_given);
	ck_assert_int_eq(co.family, AF_INET6);
	ck_assert_int_eq(co.timeout_ms, 2500);
	ck_assert_int_eq(co.timeout_state, STATE_UNKNOWN);
	ck_assert(co.has_warn && co.has_crit);
	ck_assert_double_eq_tol(co.warn.end, 0.25, 1e-12);
	ck_assert_double_eq_tol(co.crit.end, 1, 1e-12);
	ck_assert_int_eq(co.verbose, 3);
	ck_assert_int_eq(co.output, OUTPUT_JSON);
	ck_assert_ptr_null(co.graphite_prefix);
	ck_assert_str_eq(s.fqdn, "client.test");
	ck_assert_int_eq(s.flags, 2);
	free(text);
}
END_TEST

/* -4/-6 under every name they have, monitoring-plugins' long ones too; the
 * last one given wins. */
static const struct family_case {
	const char *args[3];
	int family;
} family_cases[] = {
	{ { "-4" }, AF_INET },
	{ { "--ipv4" }, AF_INET },
	{ { "--use-ipv4" }, AF_INET },
	{ { "-6" }, AF_INET6 },
	{ { "--ipv6" }, AF_INET6 },
	{ { "--use-ipv6" }, AF_INET6 },
	{ { "--use-ipv4", "--use-ipv6" }, AF_INET6 },
	{ { "--use-ipv6", "-4" }, AF_INET },
	{ { NULL }, AF_UNSPEC },
};

/* --output=graphite with a prefix: opts_write names the plugin and host. */
START_TEST(test_opts_write_graphite)
{
	struct common_opts co;
	struct seen s = { 0 };
	char *text, *buf = NULL;
	size_t len = 0;
	FILE *f;
	struct result *res = result_new("TEST");

	ck_assert_int_eq(parse(ARGS("-H", "mail.test", "--output=graphite"), &co, &s, &text), -1);
	free(text);
	result_perf(res, &(struct perf){ "time", 0.5, "s", NULL, NULL, 0, NAN });
	f = open_memstream(&buf, &len);
	ck_assert_int_eq(opts_write(&info, &co, res, f), 0);
	fclose(f);
	ck_assert_msg(strncmp(buf, "netcheck.mail_test.check_test.state 0 ", 38) == 0, "%s", buf);
	ck_assert_msg(strstr(buf, "\nnetcheck.mail_test.check_test.time 0.5 ") != NULL, "%s", buf);
	free(buf);
	ck_assert_int_eq(parse(ARGS("-H", "mail.test", "--output", "graphite", "--graphite-prefix",
				    "a.b-c_d"), &co, &s, &text), -1);
	free(text);
	ck_assert_str_eq(co.graphite_prefix, "a.b-c_d");
	buf = NULL;
	f = open_memstream(&buf, &len);
	ck_assert_int_eq(opts_write(&info, &co, res, f), 0);
	fclose(f);
	ck_assert_msg(strncmp(buf, "a.b-c_d.state 0 ", 16) == 0, "%s", buf);
	free(buf);
	result_free(res);
}
END_TEST

START_TEST(test_family_names)
{
	const struct family_case *c = &family_cases[_i];
	struct common_opts co;
	struct seen s = { 0 };
	char *text;

	ck_assert_int_eq(parse(c->args, &co, &s, &text), -1);
	ck_assert_int_eq(co.family, c->family);
	free(text);
}
END_TEST

/* Every bad argument: exit code 3, "TEST UNKNOWN - " and the reason on the
 * first line, then the usage hint. */
static const struct bad_case {
	const char *args[4];
	const char *reason;
} bad_cases[] = {
	{ { "-p", "0" }, "-p: '0' is out of range (1 to 65535)" },
	{ { "-p", "65536" }, "-p: '65536' is out of range (1 to 65535)" },
	{ { "-p", "25x" }, "-p: '25x' is not an integer" },
	{ { "--port=" }, "--port: '' is not an integer" },
	{ { "--port", "99999" }, "--port: '99999' is out of range" },
	{ { "--fqdn", "bad" }, "--fqdn: 'bad' is a bad name" },
	{ { "-p", "-1" }, "-p: '-1' is out of range" },
	{ { "-p", "99999999999999999999999" }, "is out of range" },
	{ { "-t", "0" }, "-t: '0' is out of range" },
	{ { "-t", "abc" }, "-t: 'abc' is not a number" },
	{ { "-t", "10:maybe" }, "-t: 'maybe' is not a state" },
	{ { "-t", "5y" }, "unknown unit 'y'" },
	/* options of the replaced plugin: refused with what to do instead */
	{ { "-C", "HELO x" }, "option '-C' is not taken (old's command: use --flag)" },
	{ { "--command=HELO" }, "option '--command' is not taken (old's command: use --flag)" },
	{ { "--extra-opts" }, "option '--extra-opts' is not taken (put the options on the command line)" },
	{ { "-Q" }, "option '-Q' is not taken (old's Q: not taken)" },
	{ { "--Q" }, "unknown option '--Q'" },
	{ { "-X" }, "unknown option '-X'" },
	{ { "--commands" }, "unknown option '--commands'" },
	{ { "--output", "xml" }, "--output: 'xml' is not an output format (classic, json, influx, graphite)" },
	{ { "--graphite-prefix", "a b" }, "--graphite-prefix: 'a b' is not a Graphite path" },
	{ { "--graphite-prefix=" }, "--graphite-prefix: '' is not a Graphite path" },
	{ { "-t", "100000" }, "is out of range" },
	{ { "-w", "20:10" }, "-w: invalid range '20:10': the start is greater than the end" },
	{ { "-c", "10:x" }, "-c: invalid range '10:x': 'x' is not a number" },
	{ { "-w", "@" }, "-w: invalid range '@'" },
	{ { "-H", "" }, "-H: '' is not a host name or address" },
	{ { "-H", "a b" }, "-H: 'a b' is not a host name or address" },
	{ { "--output=xml" }, "--output: 'xml' is not an output format (classic, json, influx, graphite)" },
	{ { "-x" }, "unknown option '-x'" },
	{ { "--bogus" }, "unknown option '--bogus'" },
	{ { "--bogus=1" }, "unknown option '--bogus'" },
	{ { "-H" }, "option '-H' needs an argument" },
	{ { "--warning" }, "option '--warning' needs an argument" },
	{ { "-H", "x", "stray" }, "unexpected argument 'stray'" },
	{ { "-F", "bad" }, "-F: 'bad' is a bad name" },
	{ { "--flag=1" }, "" }, /* getopt: a flag takes no argument */
};

START_TEST(test_bad_arguments)
{
	const struct bad_case *c = &bad_cases[_i];
	struct common_opts co;
	struct seen s = { 0 };
	char *text;
	const char *args[5] = { c->args[0], c->args[1], c->args[2], c->args[3], NULL };

	ck_assert_int_eq(parse(args, &co, &s, &text), 3);
	ck_assert_msg(strncmp(text, "TEST UNKNOWN - ", 15) == 0, "got: %s", text);
	ck_assert_msg(strstr(text, c->reason) != NULL && strchr(text, '\n') > strstr(text, c->reason),
		      "first line lacks '%s': %s", c->reason, text);
	ck_assert_ptr_nonnull(strstr(text, "\nUsage: check_test -H HOST [options]\n"
					   "Try 'check_test --help' for more information.\n"));
	free(text);
}
END_TEST

START_TEST(test_help_lists_every_option_with_default)
{
	static const char *const want[] = {
		" -h, --help\n", " -V, --version\n", " -H, --hostname=HOST\n",
		" -p, --port=PORT\n", "(default: 25)", " -4, --ipv4\n", " -6, --ipv6\n",
		" -t, --timeout=SECONDS[:STATE]\n", "(default: 10:critical)",
		" -w, --warning=RANGE\n", " -c, --critical=RANGE\n", "the total time",
		" -v, --verbose\n", "     --output=FORMAT\n", "(default: classic)",
		" -F, --fqdn=NAME\n", "(default: this host's name)", "     --flag\n",
		"Tests the options.", "Usage: check_test -H HOST [options]\n",
	};
	struct common_opts co;
	struct seen s = { 0 };
	char *text;
	int entries = 0, defaults = 0;

	ck_assert_int_eq(parse(ARGS("--help"), &co, &s, &text), 3);
	ck_assert_msg(strncmp(text, "check_test (netcheck) " NETCHECK_VERSION "\n",
			      strlen("check_test (netcheck) " NETCHECK_VERSION "\n")) == 0,
		      "first line is not the version: %s", text);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		ck_assert_msg(strstr(text, want[i]) != NULL, "help lacks '%s'", want[i]);
	/* Every option entry but --help and --version names its default. */
	for (const char *line = text; line != NULL; line = strchr(line + 1, '\n')) {
		const char *l = line == text ? line : line + 1;
		const char *eol = strchr(l, '\n');

		if (strncmp(l, " -", 2) == 0 || strncmp(l, "     --", 7) == 0)
			entries++;
		ck_assert_msg(eol == NULL || eol - l <= 79, "help line over 79 columns");
	}
	for (const char *p = text; (p = strstr(p, "(default: ")) != NULL; p++)
		defaults++;
	ck_assert_int_eq(entries, 14);
	ck_assert_int_eq(defaults, entries - 2);
	free(text);
}
END_TEST

START_TEST(test_version)
{
	struct common_opts co;
	struct seen s = { 0 };
	char *text;

	ck_assert_int_eq(parse(ARGS("-V"), &co, &s, &text), 3);
	ck_assert_str_eq(text, "check_test (netcheck) " NETCHECK_VERSION "\n");
	free(text);
}
END_TEST

/* A second parse starts afresh (getopt state is reset). */
START_TEST(test_parse_twice)
{
	struct common_opts co;
	struct seen s = { 0 };
	char *text;

	ck_assert_int_eq(parse(ARGS("-H", "a", "-v"), &co, &s, &text), -1);
	free(text);
	ck_assert_int_eq(parse(ARGS("-H", "b"), &co, &s, &text), -1);
	ck_assert_str_eq(co.host, "b");
	ck_assert_int_eq(co.verbose, 0);
	free(text);
}
END_TEST

static const struct long_case {
	const char *text;
	long min, max, want;
	int rc;
} long_cases[] = {
	{ "0", 0, 10, 0, 0 }, { "10", 0, 10, 10, 0 }, { "-3", -5, 5, -3, 0 },
	{ "+7", 0, 10, 7, 0 }, { "11", 0, 10, 0, -1 }, { "", 0, 10, 0, -1 },
	{ " 1", 0, 10, 0, -1 }, { "1 ", 0, 10, 0, -1 }, { "0x10", 0, 100, 0, -1 },
	{ "1.0", 0, 10, 0, -1 }, { "--1", -5, 5, 0, -1 },
	{ "9223372036854775808", 0, 10, 0, -1 },
};

START_TEST(test_opts_long)
{
	const struct long_case *c = &long_cases[_i];
	long v = 12345;
	char err[128] = "";

	ck_assert_int_eq(opts_long(c->text, c->min, c->max, &v, err, sizeof(err)), c->rc);
	if (c->rc == 0)
		ck_assert_int_eq(v, c->want);
	else
		ck_assert_msg(strstr(err, c->text) != NULL, "message lacks the text: %s", err);
}
END_TEST

static const struct double_case {
	const char *text;
	double want;
	int rc;
} double_cases[] = {
	{ "0.5", 0.5, 0 }, { "10", 10, 0 }, { "-1", 0, -1 }, { "1e2", 0, -1 },
	{ "nan", 0, -1 }, { "101", 0, -1 }, { "5ms", 0, -1 },
};

START_TEST(test_opts_double)
{
	const struct double_case *c = &double_cases[_i];
	double v;
	char err[128];

	ck_assert_int_eq(opts_double(c->text, 0, 100, &v, err, sizeof(err)), c->rc);
	if (c->rc == 0)
		ck_assert_double_eq_tol(v, c->want, 1e-12);
}
END_TEST

static const struct timeout_case {
	const char *text;
	int64_t ms;
	enum state st;
	int rc;
} timeout_cases[] = {
	{ "10", 10000, STATE_CRITICAL, 0 }, { "0.5", 500, STATE_CRITICAL, 0 },
	{ "250ms", 250, STATE_CRITICAL, 0 }, { "2m", 120000, STATE_CRITICAL, 0 },
	{ "30:ok", 30000, STATE_OK, 0 }, { "30:WARNING", 30000, STATE_WARNING, 0 },
	{ "5:3", 5000, STATE_UNKNOWN, 0 }, { "5:", 0, 0, -1 }, { ":5", 0, 0, -1 },
	{ "-1", 0, 0, -1 }, { "0", 0, 0, -1 }, { "1d", 86400000, STATE_CRITICAL, 0 },
	{ "2d", 0, 0, -1 },
};

START_TEST(test_opts_timeout)
{
	const struct timeout_case *c = &timeout_cases[_i];
	int64_t ms = -1;
	enum state st = STATE_LAST;
	char err[128];

	ck_assert_msg(opts_timeout(c->text, &ms, &st, err, sizeof(err)) == c->rc,
		      "'%s'", c->text);
	if (c->rc == 0) {
		ck_assert_int_eq(ms, c->ms);
		ck_assert_int_eq(st, c->st);
	}
}
END_TEST

static const struct days_case {
	const char *text;
	double warn, crit;
	int rc;
} days_cases[] = {
	{ "30,7", 30, 7, 0 }, { "30", 30, -1, 0 }, { "14.5,3.5", 14.5, 3.5, 0 },
	{ "0,0", 0, 0, 0 }, { "7,30", 0, 0, -1 }, { "x", 0, 0, -1 }, { "30,", 0, 0, -1 },
	{ ",7", 0, 0, -1 }, { "-1", 0, 0, -1 }, { "30,7,1", 0, 0, -1 },
};

START_TEST(test_opts_days_pair)
{
	const struct days_case *c = &days_cases[_i];
	double w = -5, cr = -5;
	char err[128];

	ck_assert_msg(opts_days_pair(c->text, &w, &cr, err, sizeof(err)) == c->rc, "'%s'", c->text);
	if (c->rc == 0) {
		ck_assert_double_eq_tol(w, c->warn, 1e-9);
		ck_assert_double_eq_tol(cr, c->crit, 1e-9);
	}
}
END_TEST

/* A plugin without a port or thresholds offers neither -p nor -w/-c. */
START_TEST(test_options_not_offered)
{
	static const struct plugin_info bare = {
		.name = "check_bare", .service = "BARE", .purpose = "Bare.",
		.usage = "[options]",
	};
	char *argv[] = { (char *)"check_bare", (char *)"-p", (char *)"1", NULL };
	struct common_opts co;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	ck_assert_int_eq(opts_parse(&bare, &co, 3, argv, NULL, NULL, f), 3);
	fflush(f);
	ck_assert_ptr_nonnull(strstr(text, "unknown option '-p'"));
	rewind(f);
	opts_help(&bare, f);
	fclose(f);
	ck_assert_ptr_null(strstr(text, "--port"));
	ck_assert_ptr_null(strstr(text, "--warning"));
	ck_assert_ptr_null(strstr(text, "--hostname"));
	free(text);
}
END_TEST

/* ---- shared option groups ------------------------------------------------ */

static const struct plugin_info grouped = {
	.name = "check_grouped", .service = "GRP", .purpose = "Grouped.",
	.usage = "-H HOST [options]", .host_help = "Host.", .default_port = 110,
	.groups = OPTS_TLS | OPTS_PASSWORD | OPTS_DNS, .pw_long = "authpass",
};

/* Parses args for plugin pi; returns opts_parse's code, the text in *text. */
static int parse_as(const struct plugin_info *pi, const char *const *args,
		    struct common_opts *co, char **text)
{
	char *argv[32];
	int argc = 0, rc;
	size_t len = 0;
	FILE *f = open_memstream(text, &len);

	argv[argc++] = (char *)pi->name;
	while (*args != NULL)
		argv[argc++] = (char *)*args++;
	argv[argc] = NULL;
	rc = opts_parse(pi, co, argc, argv, NULL, NULL, f);
	fclose(f);
	return rc;
}

START_TEST(test_groups_parsed)
{
	struct common_opts co;
	char *text;

	ck_assert_int_eq(parse_as(&grouped, ARGS("-D", "30,7", "--ca-file", "/ca.pem", "--insecure",
						 "--password-env", "PW", "--dns-server",
						 "127.0.0.1:53", "--dns-server", "[::1]:5353,10.0.0.1"),
				  &co, &text), -1);
	ck_assert_str_eq(text, "");
	ck_assert(co.tls.has_days);
	ck_assert_double_eq(co.tls.warn_days, 30);
	ck_assert_double_eq(co.tls.crit_days, 7);
	ck_assert_str_eq(co.tls.ca_file, "/ca.pem");
	ck_assert(co.tls.insecure && opts_tls_given(&co));
	ck_assert_str_eq(co.pw.env, "PW");
	ck_assert_ptr_null(co.pw.file);
	ck_assert_str_eq(opts_dns_servers(&co), "127.0.0.1:53,[::1]:5353,10.0.0.1");
	free(text);
	/* -P takes the plugin's long name */
	ck_assert_int_eq(parse_as(&grouped, ARGS("--authpass", "x"), &co, &text), -1);
	ck_assert_str_eq(co.pw.arg, "x");
	free(text);
	/* nothing given: no TLS options, no servers, thresholds none */
	ck_assert_int_eq(parse_as(&grouped, ARGS("-H", "h"), &co, &text), -1);
	ck_assert(!opts_tls_given(&co));
	ck_assert_double_eq(co.tls.warn_days, -1);
	ck_assert_ptr_null(opts_dns_servers(&co));
	free(text);
}
END_TEST

/* A plugin without a group takes none of its options. */
START_TEST(test_groups_not_offered)
{
	struct common_opts co;
	char *text;

	ck_assert_int_eq(parse_as(&info, ARGS("--dns-server", "127.0.0.1"), &co, &text), 3);
	ck_assert_ptr_nonnull(strstr(text, "unknown option '--dns-server'"));
	free(text);
	ck_assert_int_eq(parse_as(&info, ARGS("-D", "30"), &co, &text), 3);
	ck_assert_ptr_nonnull(strstr(text, "unknown option '-D'"));
	free(text);
}
END_TEST

static const struct group_bad_case {
	const char *args[4];
	const char *want;
} group_bad_cases[] = {
	{ { "--dns-server", "nowhere" }, "--dns-server: 'nowhere' is not a DNS server address" },
	{ { "--dns-server", "127.0.0.1:0" }, "'127.0.0.1:0' is not a DNS server address" },
	{ { "--dns-server", "127.0.0.1:99999" }, "'127.0.0.1:99999' is not a DNS server" },
	{ { "--dns-server", "[::1" }, "'[::1' is not a DNS server address" },
	{ { "-D", "7,30" }, "-D: '7,30': the critical days must not be more than the warning days" },
	{ { "-D", "x" }, "-D: 'x' is not a number" },
	{ { "--password-file" }, "option '--password-file' needs an argument" },
};

START_TEST(test_groups_bad)
{
	const struct group_bad_case *c = &group_bad_cases[_i];
	struct common_opts co;
	char *text;

	ck_assert_int_eq(parse_as(&grouped, c->args, &co, &text), 3);
	ck_assert_msg(strstr(text, c->want) != NULL, "got '%s', want '%s'", text, c->want);
	free(text);
}
END_TEST

/* Seventeen servers are one too many, also over several options. */
START_TEST(test_groups_too_many_servers)
{
	struct common_opts co;
	char *text, list[400] = "";

	for (int i = 0; i < 16; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s127.0.0.%d",
			 i ? "," : "", i + 1);
	ck_assert_int_eq(parse_as(&grouped, ARGS("--dns-server", list), &co, &text), -1);
	free(text);
	ck_assert_int_eq(parse_as(&grouped, ARGS("--dns-server", list, "--dns-server", "::1"), &co,
				  &text), 3);
	ck_assert_ptr_nonnull(strstr(text, "too many DNS servers"));
	free(text);
}
END_TEST

/* The shared groups are in --help, once each, with their defaults. */
START_TEST(test_groups_help)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	opts_help(&grouped, f);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(text, " -D, --certificate=WARN[,CRIT]\n"));
	ck_assert_ptr_nonnull(strstr(text, "     --ca-file=FILE\n"));
	ck_assert_ptr_nonnull(strstr(text, "     --insecure\n"));
	ck_assert_ptr_nonnull(strstr(text, "     --password-file=FILE\n"));
	ck_assert_ptr_nonnull(strstr(text, "     --password-env=VAR\n"));
	ck_assert_ptr_nonnull(strstr(text, " -P, --authpass=PASSWORD\n"));
	ck_assert_ptr_null(strstr(text, "--password=PASSWORD"));
	ck_assert_ptr_nonnull(strstr(text, "     --dns-server=ADDR[:PORT]\n"));
	ck_assert_ptr_nonnull(strstr(text, "(default: the system's"));
	/* each once */
	ck_assert_ptr_null(strstr(strstr(text, "--ca-file") + 1, "--ca-file"));
	ck_assert_ptr_null(strstr(strstr(text, "--dns-server") + 1, "--dns-server"));
	free(text);
}
END_TEST

/* A usage error is output like any result: a newline or '|' in a value
 * does not break the status line, and --output=json (anywhere) gives JSON. */
static const struct usage_fmt_case {
	const char *args[4];
	const char *want;    /* the whole first line */
} usage_fmt_cases[] = {
	{ { "-w", "1\n2|x=1" }, "TEST UNKNOWN - -w: invalid range '1 2/x=1': " },
	{ { "--bogus|x" }, "TEST UNKNOWN - unknown option '--bogus/x'" },
	{ { "--output=json", "--bogus" },
	  "{\"service\":\"TEST\",\"state\":\"UNKNOWN\",\"exit_code\":3,\"summary\":\"unknown option '--bogus'\","
	  "\"metrics\":[],\"results\":[],\"details\":[{\"level\":0,\"text\":\"Usage: check_test -H HOST [options]\"},"
	  "{\"level\":0,\"text\":\"Try 'check_test --help' for more information.\"}]}" },
	{ { "--bogus", "--output", "json" }, "{\"service\":\"TEST\",\"state\":\"UNKNOWN\"," },
	{ { "-p", "0", "--output=json" }, "{\"service\":\"TEST\",\"state\":\"UNKNOWN\",\"exit_code\":3,\"summary\":\"-p: '0' is out of range (1 to 65535)\"," },
};

START_TEST(test_usage_error_format)
{
	const struct usage_fmt_case *c = &usage_fmt_cases[_i];
	struct common_opts co;
	struct seen s = { 0 };
	char *text, *nl;

	ck_assert_int_eq(parse(c->args, &co, &s, &text), 3);
	nl = strchr(text, '\n');
	ck_assert_ptr_nonnull(nl);
	*nl = '\0';
	ck_assert_msg(strncmp(text, c->want, strlen(c->want)) == 0, "got '%s', want '%s'", text,
		      c->want);
	free(text);
}
END_TEST

/* ---- value pairs (check_icmp's -w RTA,PL%) -------------------------------- */

static const struct pair_case {
	const char *text;
	enum unit_kind ka, kb;
	const char *ua, *ub;
	int rc;
	double a, b;       /* NaN: left out */
	const char *err;   /* rc -1: the message names this */
} pair_cases[] = {
	{ "200,40%", UNIT_TIME, UNIT_PERCENT, "ms", NULL, 0, 0.2, 40, NULL },
	{ "200ms,40%", UNIT_TIME, UNIT_PERCENT, "ms", NULL, 0, 0.2, 40, NULL },
	{ "0.2s,40%", UNIT_TIME, UNIT_PERCENT, "ms", NULL, 0, 0.2, 40, NULL },
	{ "200,40", UNIT_TIME, UNIT_PERCENT, "ms", NULL, 0, 0.2, 40, NULL },
	{ "1.5s,0%", UNIT_TIME, UNIT_PERCENT, "ms", NULL, 0, 1.5, 0, NULL },
	{ "0,0", UNIT_TIME, UNIT_PERCENT, "ms", NULL, 0, 0, 0, NULL },
	{ "200", UNIT_TIME, UNIT_PERCENT, "ms", NULL, 0, 0.2, NAN, NULL },
	{ "200,", UNIT_TIME, UNIT_PERCENT, "ms", NULL, 0, 0.2, NAN, NULL },
	{ ",40%", UNIT_TIME, UNIT_PERCENT, "ms", NULL, 0, NAN, 40, NULL },
	{ "20,40", UNIT_TIME, UNIT_TIME, "ms", "ms", 0, 0.02, 0.04, NULL }, /* --jitter */
	{ "3.5,3", UNIT_NONE, UNIT_NONE, NULL, NULL, 0, 3.5, 3, NULL },     /* --mos */
	{ ",", UNIT_TIME, UNIT_PERCENT, "ms", NULL, -1, 0, 0, "',' is not a pair" },
	{ "", UNIT_TIME, UNIT_PERCENT, "ms", NULL, -1, 0, 0, "'' is not a pair" },
	{ "a,b", UNIT_TIME, UNIT_PERCENT, "ms", NULL, -1, 0, 0, "'a' is not a number" },
	{ "200,b", UNIT_TIME, UNIT_PERCENT, "ms", NULL, -1, 0, 0, "'b' is not a number" },
	{ "1,2,3", UNIT_TIME, UNIT_PERCENT, "ms", NULL, -1, 0, 0, "'1,2,3' is not a pair" },
	{ "200,,40", UNIT_TIME, UNIT_PERCENT, "ms", NULL, -1, 0, 0, "'200,,40' is not a pair" },
	{ ",,", UNIT_TIME, UNIT_PERCENT, "ms", NULL, -1, 0, 0, "is not a pair" },
	{ "-200,40%", UNIT_TIME, UNIT_PERCENT, "ms", NULL, -1, 0, 0, "'-200' is negative" },
	{ "200,-5%", UNIT_TIME, UNIT_PERCENT, "ms", NULL, -1, 0, 0, "'-5%' is negative" },
	{ "200,40s", UNIT_TIME, UNIT_PERCENT, "ms", NULL, -1, 0, 0, "unknown unit 's'" },
	{ "200x,40%", UNIT_TIME, UNIT_PERCENT, "ms", NULL, -1, 0, 0, "unknown unit 'x'" },
	{ " 200,40%", UNIT_TIME, UNIT_PERCENT, "ms", NULL, -1, 0, 0, "is not a number" },
	{ "200 ,40%", UNIT_TIME, UNIT_PERCENT, "ms", NULL, -1, 0, 0, "200 " },
	{ "3.5ms,3", UNIT_NONE, UNIT_NONE, NULL, NULL, -1, 0, 0, "unknown unit 'ms'" },
	{ "1e3,40", UNIT_TIME, UNIT_PERCENT, "ms", NULL, -1, 0, 0, "1e3" },
};

START_TEST(test_opts_pair)
{
	const struct pair_case *c = &pair_cases[_i];
	double a = -7, b = -7;
	char err[256] = "";
	int rc = opts_pair(c->text, c->ka, c->ua, c->kb, c->ub, &a, &b, err, sizeof(err));

	ck_assert_msg(rc == c->rc, "opts_pair('%s') = %d (%s)", c->text, rc, err);
	if (rc == 0) {
		ck_assert_msg(isnan(c->a) ? isnan(a) : fabs(a - c->a) < 1e-12, "'%s': a = %g", c->text, a);
		ck_assert_msg(isnan(c->b) ? isnan(b) : fabs(b - c->b) < 1e-12, "'%s': b = %g", c->text, b);
	} else {
		ck_assert_msg(strstr(err, c->err) != NULL, "'%s': message '%s' lacks '%s'", c->text,
			      err, c->err);
	}
}
END_TEST

/* ---- many hosts (check_icmp's -H a,b -H c d e) ------------------------------ */

struct raw_seen {
	const char *w, *c;
};

static int raw_handler(void *ctx, int key, const char *arg, char *err, size_t errlen)
{
	struct raw_seen *s = ctx;

	(void)err;
	(void)errlen;
	if (key == 'w')
		s->w = arg;
	else if (key == 'c')
		s->c = arg;
	else
		return -1;
	return 0;
}

static const struct plugin_info many = {
	.name = "check_many", .service = "MANY", .purpose = "Many hosts.",
	.usage = "-H HOST[,HOST...] [HOST...] [options]", .host_help = "Hosts to ping.",
	.thr_what = "RTA,PL% (round trip average, packet loss; either may be left out)",
	.thr_kind = UNIT_TIME, .thr_unit = "ms", .raw_thresholds = true,
	.warn_default = "200ms,40%", .crit_default = "500ms,80%", .many_hosts = true,
};

static int parse_many(const struct plugin_info *pi, const char *const *args,
		      struct common_opts *co, struct raw_seen *seen, char **text)
{
	char *argv[32];
	int argc = 0, rc;
	size_t len = 0;
	FILE *f = open_memstream(text, &len);

	argv[argc++] = (char *)pi->name;
	while (*args != NULL)
		argv[argc++] = (char *)*args++;
	argv[argc] = NULL;
	rc = opts_parse(pi, co, argc, argv, raw_handler, seen, f);
	fclose(f);
	return rc;
}

static const struct hosts_case {
	const char *args[8];
	const char *hosts[6]; /* in order; hosts[0] NULL: refused */
	const char *err;      /* refused: the first line names this */
} hosts_cases[] = {
	{ { "-H", "a.test" }, { "a.test" }, NULL },
	{ { "-H", "a.test", "-H", "b.test" }, { "a.test", "b.test" }, NULL },
	{ { "-H", "a,b,c" }, { "a", "b", "c" }, NULL },
	{ { "-H", "a,b", "--hostname", "c", "-Hd" }, { "a", "b", "c", "d" }, NULL },
	{ { "a.test", "b.test" }, { "a.test", "b.test" }, NULL },
	{ { "a,b", "c" }, { "a", "b", "c" }, NULL },
	{ { "-H", "a", "-H", "b", "c", "d" }, { "a", "b", "c", "d" }, NULL },
	{ { "-H", "::1,192.0.2.1", "2001:db8::1" }, { "::1", "192.0.2.1", "2001:db8::1" }, NULL },
	{ { "-H", "a", "-v", "--", "-b" }, { "a", "-b" }, NULL },
	{ { "-H", "a", "-H", "a" }, { "a", "a" }, NULL }, /* kept as given */
	{ { "-H", "" }, { NULL }, "-H: '' is not a host name or address" },
	{ { "-H", "a,,b" }, { NULL }, "-H: '' is not a host name or address" },
	{ { "-H", "a," }, { NULL }, "-H: '' is not a host name or address" },
	{ { "-H", ",a" }, { NULL }, "-H: '' is not a host name or address" },
	{ { "-H", "a,b c" }, { NULL }, "-H: 'b c' is not a host name or address" },
	{ { "-H", "a\tb" }, { NULL }, "is not a host name or address" },
	{ { "-H", "a", "b c" }, { NULL }, "'b c' is not a host name or address" },
	{ { "-H", "a", "" }, { NULL }, "'' is not a host name or address" },
	{ { "-H", "a", "x,,y" }, { NULL }, "'' is not a host name or address" },
};

START_TEST(test_many_hosts)
{
	const struct hosts_case *c = &hosts_cases[_i];
	struct common_opts co;
	struct raw_seen seen = { 0 };
	char *text;
	size_t n = 0;
	int rc = parse_many(&many, c->args, &co, &seen, &text);

	if (c->hosts[0] == NULL) {
		ck_assert_msg(rc == 3, "rc %d", rc);
		ck_assert_msg(strstr(text, c->err) != NULL && strchr(text, '\n') > strstr(text, c->err),
			      "first line lacks '%s': %s", c->err, text);
		ck_assert_ptr_null(co.hosts); /* freed on the way out */
		ck_assert_uint_eq(co.nhosts, 0);
		free(text);
		return;
	}
	ck_assert_msg(rc == -1, "rc %d: %s", rc, text);
	ck_assert_str_eq(text, "");
	while (n < 6 && c->hosts[n] != NULL)
		n++;
	ck_assert_uint_eq(co.nhosts, n);
	for (size_t i = 0; i < n; i++)
		ck_assert_str_eq(co.hosts[i], c->hosts[i]);
	ck_assert_ptr_eq(co.host, co.hosts[0]);
	opts_free(&co);
	ck_assert_ptr_null(co.hosts);
	ck_assert_uint_eq(co.nhosts, 0);
	opts_free(&co); /* twice is harmless */
	free(text);
}
END_TEST

/* -H and bare hosts mixed: every one is kept, each once (getopt takes the
 * options first, as check_icmp does, so -H's come before the bare ones). */
START_TEST(test_many_hosts_mixed)
{
	static const char *const want[] = { "a", "b", "c", "d", "e" };
	struct common_opts co;
	struct raw_seen seen = { 0 };
	char *text;
	bool found[5] = { false };

	ck_assert_int_eq(parse_many(&many, ARGS("c", "-H", "a,b", "d", "-v", "-H", "e"), &co, &seen,
				    &text), -1);
	ck_assert_uint_eq(co.nhosts, 5);
	for (size_t i = 0; i < co.nhosts; i++)
		for (int j = 0; j < 5; j++)
			if (strcmp(co.hosts[i], want[j]) == 0) {
				ck_assert_msg(!found[j], "'%s' twice", want[j]);
				found[j] = true;
			}
	for (int j = 0; j < 5; j++)
		ck_assert_msg(found[j], "'%s' missing", want[j]);
	ck_assert_int_eq(co.verbose, 1);
	ck_assert_ptr_eq(co.host, co.hosts[0]);
	opts_free(&co);
	free(text);
}
END_TEST

/* Nothing given: no hosts, no host; a second parse starts afresh (the
 * caller frees the first's hosts). */
START_TEST(test_many_hosts_none)
{
	struct common_opts co;
	struct raw_seen seen = { 0 };
	char *text;

	ck_assert_int_eq(parse_many(&many, ARGS("-v"), &co, &seen, &text), -1);
	ck_assert_ptr_null(co.host);
	ck_assert_ptr_null(co.hosts);
	ck_assert_uint_eq(co.nhosts, 0);
	opts_free(&co);
	free(text);
	ck_assert_int_eq(parse_many(&many, ARGS("-H", "x,y"), &co, &seen, &text), -1);
	ck_assert_uint_eq(co.nhosts, 2);
	opts_free(&co);
	free(text);
	ck_assert_int_eq(parse_many(&many, ARGS("z"), &co, &seen, &text), -1);
	ck_assert_uint_eq(co.nhosts, 1);
	ck_assert_str_eq(co.host, "z");
	opts_free(&co);
	free(text);
}
END_TEST

/* Without many_hosts a bare argument is refused, -H takes one host (a
 * comma is part of it) and co->hosts stays empty. */
START_TEST(test_one_host_only)
{
	struct common_opts co;
	struct seen s = { 0 };
	char *text;

	ck_assert_int_eq(parse(ARGS("-H", "a", "b"), &co, &s, &text), 3);
	ck_assert_ptr_nonnull(strstr(text, "unexpected argument 'b'"));
	free(text);
	ck_assert_int_eq(parse(ARGS("b"), &co, &s, &text), 3);
	ck_assert_ptr_nonnull(strstr(text, "unexpected argument 'b'"));
	free(text);
	ck_assert_int_eq(parse(ARGS("-H", "a", "-H", "b"), &co, &s, &text), -1);
	ck_assert_str_eq(co.host, "b"); /* the last -H */
	ck_assert_ptr_null(co.hosts);
	ck_assert_uint_eq(co.nhosts, 0);
	free(text);
}
END_TEST

/* Copies text with each "\n    " (a wrapped help line) made one space. */
static char *unwrapped(const char *text)
{
	char *out = malloc(strlen(text) + 1), *o = out;
	char prev = '\0';

	while (*text) {
		if (strncmp(text, "\n    ", 5) == 0 && text[5] != ' ' && text[5] != '\0' &&
		    prev != '\n' && prev != '\0') {
			*o++ = prev = ' ';
			text += 5;
			continue;
		}
		*o++ = prev = *text++;
	}
	*o = '\0';
	return out;
}

/* Raw thresholds: -w/-c go to the handler as written, --help says what
 * they are and their defaults, and not the range syntax. */
START_TEST(test_raw_thresholds)
{
	struct common_opts co;
	struct raw_seen seen = { 0 };
	char *text, *flat;

	ck_assert_int_eq(parse_many(&many, ARGS("-H", "h", "-w", "100,20%", "--critical=,90%"), &co,
				    &seen, &text), -1);
	ck_assert_str_eq(seen.w, "100,20%");
	ck_assert_str_eq(seen.c, ",90%");
	ck_assert(!co.has_warn && !co.has_crit);
	opts_free(&co);
	free(text);

	/* A usage error after the hosts, in a format that names the host:
	 * written while the host list is still there. */
	ck_assert_int_eq(parse_many(&many, ARGS("-H", "a.test", "--output=influx", "--bad"), &co,
				    &seen, &text), 3);
	ck_assert_msg(strstr(text, "check_many,host=a.test,service=MANY state=3i,") == text,
		      "%s", text);
	free(text);

	ck_assert_int_eq(parse_many(&many, ARGS("--help"), &co, &seen, &text), 3);
	flat = unwrapped(text);
	ck_assert_ptr_nonnull(strstr(text, "\n -w, --warning=RANGE\n"));
	ck_assert_ptr_nonnull(strstr(text, "\n -c, --critical=RANGE\n"));
	ck_assert_msg(strstr(flat, "Warning thresholds: RTA,PL% (round trip average, packet loss; "
				   "either may be left out). (default: 200ms,40%)\n") != NULL,
		      "help: %s", text);
	ck_assert_msg(strstr(flat, "Critical thresholds: RTA,PL% (round trip average, packet loss; "
				   "either may be left out). (default: 500ms,80%)\n") != NULL,
		      "help: %s", text);
	ck_assert_ptr_null(strstr(text, "Ranges (-w, -c)"));
	ck_assert_ptr_null(strstr(text, "a bare number is in"));
	for (const char *l = text; l != NULL; l = strchr(l, '\n')) {
		const char *eol;

		l += *l == '\n';
		eol = strchr(l, '\n');
		ck_assert_msg(eol == NULL || eol - l <= 79, "help line over 79 columns: %.*s",
			      (int)(eol - l), l);
	}
	free(flat);
	free(text);
}
END_TEST

/* thr_arg names the argument of -w/-c in --help (a pair is no RANGE). */
START_TEST(test_thr_arg_in_help)
{
	struct plugin_info named = many;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	named.thr_arg = "RTA,PL%";
	opts_help(&named, f);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(text, "\n -w, --warning=RTA,PL%\n"));
	ck_assert_ptr_nonnull(strstr(text, "\n -c, --critical=RTA,PL%\n"));
	ck_assert_ptr_null(strstr(text, "RANGE"));
	free(text);
}
END_TEST

/* Defaults of -w/-c are shown for range thresholds too. */
START_TEST(test_threshold_defaults_in_help)
{
	static const struct plugin_info with_defaults = {
		.name = "check_def", .service = "DEF", .purpose = "Defaults.", .usage = "[options]",
		.thr_what = "the total time", .thr_kind = UNIT_TIME, .thr_unit = "s",
		.warn_default = "2", .crit_default = "5",
	};
	char *text = NULL, *flat;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	opts_help(&with_defaults, f);
	fclose(f);
	flat = unwrapped(text);
	ck_assert_msg(strstr(flat, "Warning range for the total time (a bare number is in s). "
				   "(default: 2)") != NULL, "help: %s", text);
	ck_assert_msg(strstr(flat, "Critical range for the total time (a bare number is in s). "
				   "(default: 5)") != NULL, "help: %s", text);
	ck_assert_ptr_nonnull(strstr(text, "Ranges (-w, -c)"));
	free(flat);
	free(text);
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* ---- aliases: letters that mean another plugin's option under its name -- */

enum { KEY_TIME_W = 300 };

static const struct opt_spec alias_extra[] = {
	{ "packets", 'n', "N", "Packets.", "5" },
	{ "time-warning", KEY_TIME_W, "RANGE", "Time warning.", NULL },
	{ "quiet", 'q', NULL, "Quiet.", NULL },
	{ NULL, 0, NULL, NULL, NULL },
};

static const struct opt_alias alias_list[] = {
	{ "check_old", 'p', 'n' },        /* a letter the plugin lacks */
	{ "check_old", 'w', KEY_TIME_W }, /* a letter it has, meaning else there */
	{ "check_other", 'Q', 'q' },      /* a flag */
	{ NULL, 0, 0 },
};

static const struct plugin_info aliased = {
	.name = "check_new", .service = "NEW", .purpose = "Aliases.", .usage = "-H HOST",
	.host_help = "Host.", .thr_what = "the count", .thr_kind = UNIT_NONE,
	.extra = alias_extra, .aliases = alias_list,
};

/* What the handler saw: "key=arg;" for each call. */
static int alias_handler(void *ctx, int key, const char *arg, char *err, size_t errlen)
{
	char *calls = ctx;
	size_t u = strlen(calls);

	(void)err;
	(void)errlen;
	snprintf(calls + u, 128 - u, "%d=%s;", key, arg ? arg : "");
	return 0;
}

static const struct alias_case {
	const char *argv0;
	const char *args[6];
	const char *calls;  /* what the handler saw; NULL: refused */
	bool has_warn;      /* -w went to the plugin's own -w */
	const char *err;    /* refused: the first line holds this */
} alias_cases[] = {
	{ "check_new", { "-n", "3" }, "110=3;", false, NULL },
	{ "check_new", { "-p", "3" }, NULL, false, "unknown option '-p'" },
	{ "check_old", { "-p", "3" }, "110=3;", false, NULL },
	{ "check_old", { "-p3" }, "110=3;", false, NULL },
	{ "/usr/lib/nagios/plugins/check_old", { "-p", "4" }, "110=4;", false, NULL },
	{ "./check_old", { "-w", "2" }, "300=2;", false, NULL },
	{ "check_old", { "--warning=2" }, "300=2;", false, NULL },
	{ "check_old", { "--time-warning", "2" }, "300=2;", false, NULL },
	{ "check_new", { "-w", "2" }, "", true, NULL },
	{ "check_old", { "-p" }, NULL, false, "option '-p' needs an argument" },
	{ "check_old", { "-Q" }, NULL, false, "unknown option '-Q'" },
	{ "check_other", { "-Q", "-p", "1" }, NULL, false, "unknown option '-p'" },
	{ "check_other", { "-Q" }, "113=;", false, NULL },
	{ "check_old_not", { "-p", "1" }, NULL, false, "unknown option '-p'" },
	{ "", { "-p", "1" }, NULL, false, "unknown option '-p'" },
};

/* Parses args under the name argv0; returns what opts_parse returns, the
 * text it wrote in *text (caller frees). */
static int parse_called(const char *argv0, const char *const *args, struct common_opts *co,
		    char *calls, char **text)
{
	char *argv[8];
	size_t len = 0;
	int argc = 0, rc;
	FILE *f = open_memstream(text, &len);

	argv[argc++] = (char *)argv0;
	while (*args != NULL && argc < 7)
		argv[argc++] = (char *)*args++;
	argv[argc] = NULL;
	rc = opts_parse(&aliased, co, argc, argv, alias_handler, calls, f);
	fclose(f);
	return rc;
}

START_TEST(test_aliases)
{
	const struct alias_case *c = &alias_cases[_i];
	char calls[128] = "", *text = NULL;
	struct common_opts co;
	const char *args[7] = { 0 };
	int rc;

	for (size_t i = 0; i < 6; i++)
		args[i] = c->args[i];
	rc = parse_called(c->argv0, args, &co, calls, &text);
	if (c->calls != NULL) {
		ck_assert_msg(rc == -1, "%s: refused: %s", c->argv0, text);
		ck_assert_str_eq(calls, c->calls);
		ck_assert_int_eq(co.has_warn, c->has_warn);
	} else {
		ck_assert_int_eq(rc, 3);
		ck_assert_msg(strstr(text, c->err) != NULL && strchr(text, '\n') > strstr(text, c->err),
			      "%s: wanted '%s' in the first line of: %s", c->argv0, c->err, text);
	}
	opts_free(&co);
	free(text);
}
END_TEST

/* --help names each alias once per name, under any name. */
START_TEST(test_aliases_in_help)
{
	char calls[128] = "", *text = NULL;
	struct common_opts co;

	ck_assert_int_eq(parse_called("check_old", ARGS("--help"), &co, calls, &text), 3);
	ck_assert_msg(strstr(text, "\nCalled as check_old (a link of that name, as monitoring-plugins' "
				   "service\ndefinitions call it):\n    -p is -n (--packets), -w is "
				   "--time-warning.\nCalled as check_other (") != NULL, "%s", text);
	ck_assert_msg(strstr(text, "):\n    -Q is -q (--quiet).\n") != NULL, "%s", text);
	free(text);
}
END_TEST

Suite *opts_suite(void)
{
	Suite *s = suite_create("opts");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, UNIT_TIMEOUT);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_everything_set);
	tcase_add_test(tc, test_opts_write_graphite);
	tcase_add_loop_test(tc, test_family_names, 0, (int)(sizeof(family_cases) / sizeof(family_cases[0])));
	tcase_add_loop_test(tc, test_bad_arguments, 0, N(bad_cases));
	tcase_add_test(tc, test_help_lists_every_option_with_default);
	tcase_add_test(tc, test_version);
	tcase_add_test(tc, test_parse_twice);
	tcase_add_loop_test(tc, test_opts_long, 0, N(long_cases));
	tcase_add_loop_test(tc, test_opts_double, 0, N(double_cases));
	tcase_add_loop_test(tc, test_opts_timeout, 0, N(timeout_cases));
	tcase_add_test(tc, test_options_not_offered);
	tcase_add_loop_test(tc, test_opts_days_pair, 0, N(days_cases));
	tcase_add_test(tc, test_groups_parsed);
	tcase_add_test(tc, test_groups_not_offered);
	tcase_add_loop_test(tc, test_groups_bad, 0, N(group_bad_cases));
	tcase_add_test(tc, test_groups_too_many_servers);
	tcase_add_test(tc, test_groups_help);
	tcase_add_loop_test(tc, test_usage_error_format, 0, N(usage_fmt_cases));
	tcase_add_loop_test(tc, test_opts_pair, 0, N(pair_cases));
	tcase_add_loop_test(tc, test_many_hosts, 0, N(hosts_cases));
	tcase_add_test(tc, test_many_hosts_mixed);
	tcase_add_test(tc, test_many_hosts_none);
	tcase_add_test(tc, test_one_host_only);
	tcase_add_test(tc, test_raw_thresholds);
	tcase_add_test(tc, test_thr_arg_in_help);
	tcase_add_loop_test(tc, test_aliases, 0, N(alias_cases));
	tcase_add_test(tc, test_aliases_in_help);
	tcase_add_test(tc, test_threshold_defaults_in_help);
	suite_add_tcase(s, tc);
	return s;
}
