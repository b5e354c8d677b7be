/* output: classic and JSON rendering, perfdata, escaping, exit codes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "range.h"
#include "suites.h"

/* Renders res and returns the text (caller frees); *rc gets the exit code. */
static char *render(const struct result *res, enum output_format fmt, int verbosity,
		    int *rc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int code;

	ck_assert_ptr_nonnull(f);
	code = output_write(res, fmt, verbosity, f);
	fclose(f);
	if (rc != NULL)
		*rc = code;
	return buf;
}

static char *perfdata_of(const struct result *res)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_int_eq(output_perfdata(res, f), 0);
	fclose(f);
	return buf;
}

static const struct perf_case {
	const char *label;
	double value;
	const char *uom;
	const char *warn, *crit; /* ranges as a user writes them, or NULL */
	enum unit_kind kind;
	double min, max;
	const char *want;
} perf_cases[] = {
	{ "time", 0.041, "s", "1", "5", UNIT_TIME, 0, NAN, "time=0.041s;1;5;0" },
	{ "time", 0.041, "s", NULL, NULL, UNIT_TIME, NAN, NAN, "time=0.041s" },
	{ "time", 0.041, "s", NULL, "5", UNIT_TIME, NAN, NAN, "time=0.041s;;5" },
	{ "time", 0.041, "s", NULL, NULL, UNIT_TIME, NAN, 10, "time=0.041s;;;;10" },
	{ "rcpt", NAN, "s", "1", "2", UNIT_TIME, 0, NAN, "rcpt=U;1;2;0" },
	{ "rta", 1.5, "ms", "250ms", "1s", UNIT_TIME, 0, NAN, "rta=1.5ms;250;1000;0" },
	{ "pl", 20, "%", "20%", "60%", UNIT_PERCENT, 0, 100, "pl=20%;20;60;0;100" },
	{ "size", 12800, "B", "10KB", "1MB:", UNIT_SIZE, 0, NAN, "size=12800B;10240;1048576:;0" },
	{ "size", 12.5, "KB", "10KB", "1MB:", UNIT_SIZE, 0, NAN, "size=12.5KB;10;1024:;0" },
	{ "rtt", 0.3, "ms", "100us:2s", NULL, UNIT_TIME, 0, NAN, "rtt=0.3ms;0.1:2000;;0" },
	{ "messages", 3, "", "~:10", "@20:30", UNIT_NONE, 0, NAN, "messages=3;~:10;@20:30;0" },
	{ "count", 7, "c", NULL, NULL, UNIT_NONE, NAN, NAN, "count=7c" },
	{ "a b", 1, "", NULL, NULL, UNIT_NONE, NAN, NAN, "'a b'=1" },
	{ "it's", 1, "", NULL, NULL, UNIT_NONE, NAN, NAN, "'it''s'=1" },
	{ "x=y", 1, "", NULL, NULL, UNIT_NONE, NAN, NAN, "x_y=1" },
	{ "a|b", 1, "", NULL, NULL, UNIT_NONE, NAN, NAN, "a_b=1" },
	{ "tab\there", 1, "", NULL, NULL, UNIT_NONE, NAN, NAN, "'tab here'=1" },
	{ "bell\a", 1, "", NULL, NULL, UNIT_NONE, NAN, NAN, "bell_=1" },
	{ "", 1, "", NULL, NULL, UNIT_NONE, NAN, NAN, "''=1" },
	{ "mx1.example.test", 0.000012, "s", NULL, NULL, UNIT_TIME, NAN, NAN,
	  "mx1.example.test=0.000012s" },
	{ "big", 1e20, "B", NULL, NULL, UNIT_SIZE, NAN, NAN, "big=100000000000000000000B" },
	{ "neg", -2.5, "", "-5:-1", NULL, UNIT_NONE, NAN, NAN, "neg=-2.5;-5:-1" },
	{ "h\xc3\xb6p 1", 2, "", NULL, NULL, UNIT_NONE, NAN, NAN, "'h\xc3\xb6p 1'=2" },
	{ "bad\xff", 2, "", NULL, NULL, UNIT_NONE, NAN, NAN, "bad_=2" },
};

START_TEST(test_perfdata_item)
{
	const struct perf_case *c = &perf_cases[_i];
	struct result *res = result_new("T");
	struct range w, cr;
	char err[256], *got;

	if (c->warn)
		ck_assert_int_eq(range_parse(&w, c->warn, c->kind, NULL, err, sizeof(err)), 0);
	if (c->crit)
		ck_assert_int_eq(range_parse(&cr, c->crit, c->kind, NULL, err, sizeof(err)), 0);
	result_perf(res, &(struct perf){ c->label, c->value, c->uom,
					 c->warn ? &w : NULL, c->crit ? &cr : NULL,
					 c->min, c->max });
	got = perfdata_of(res);
	ck_assert_str_eq(got, c->want);
	free(got);
	result_free(res);
}
END_TEST

START_TEST(test_classic_full)
{
	struct result *res = result_new("SMTP");
	struct range c;
	char err[128], *out;
	int rc;

	range_parse(&c, "5", UNIT_TIME, "s", err, sizeof(err));
	result_summary(res, "mail.test: 250 accepted, 41 ms");
	result_sub(res, STATE_OK, "banner: 220 mail.test ESMTP");
	result_sub(res, STATE_WARNING, "certificate expires in 5 days");
	result_sub(res, STATE_CRITICAL, "RCPT: 550 no such user");
	result_sub(res, STATE_OK, "QUIT: 221");
	result_detail(res, 1, "C: EHLO client.test");
	result_detail(res, 2, "TLS: TLSv1.3");
	result_perf(res, &(struct perf){ "time", 0.041, "s", NULL, &c, 0, NAN });
	result_perf(res, &(struct perf){ "data", NAN, "s", NULL, NULL, 0, NAN });

	out = render(res, OUTPUT_CLASSIC, 0, &rc);
	ck_assert_int_eq(rc, 2);
	ck_assert_str_eq(out,
		"SMTP CRITICAL - mail.test: 250 accepted, 41 ms | time=0.041s;;5;0 data=U;;;0\n"
		"[CRITICAL] RCPT: 550 no such user\n"
		"[WARNING] certificate expires in 5 days\n"
		"[OK] banner: 220 mail.test ESMTP\n"
		"[OK] QUIT: 221\n");
	free(out);

	out = render(res, OUTPUT_CLASSIC, 1, NULL);
	ck_assert_ptr_nonnull(strstr(out, "[OK] QUIT: 221\nC: EHLO client.test\n"));
	ck_assert_ptr_null(strstr(out, "TLS: TLSv1.3"));
	free(out);
	out = render(res, OUTPUT_CLASSIC, 2, NULL);
	ck_assert_ptr_nonnull(strstr(out, "C: EHLO client.test\nTLS: TLSv1.3\n"));
	free(out);
	result_free(res);
}
END_TEST

/* Text from a server must not break the output: no '|' (Nagios would take
 * the rest for perfdata), no control bytes, no line breaks on the status
 * line, no invalid UTF-8. */
static const struct text_case {
	const char *summary;
	const char *want_line;
} text_cases[] = {
	{ "a|b", "X OK - a/b" },
	{ "two\nlines", "X OK - two lines" },
	{ "cr\r\nlf", "X OK - cr  lf" },
	{ "esc\x1b[31m", "X OK - esc\\x1b[31m" },
	{ "del\x7f", "X OK - del\\x7f" },
	{ "caf\xc3\xa9", "X OK - caf\xc3\xa9" },
	{ "bad\xc3(", "X OK - bad?(" },
	{ "overlong\xc0\xaf", "X OK - overlong??" },
	{ "surrogate\xed\xa0\x80", "X OK - surrogate???" },
	{ "c1\xc2\x85\xc2\x9b[2J\xc2\xa0", "X OK - c1\\u0085\\u009b[2J\xc2\xa0" },
	{ "", "X OK" },
};

START_TEST(test_classic_text_escaping)
{
	const struct text_case *c = &text_cases[_i];
	struct result *res = result_new("X");
	char *out, *nl;

	result_summary(res, "%s", c->summary);
	result_sub(res, STATE_OK, "sub|line\nwith break");
	out = render(res, OUTPUT_CLASSIC, 0, NULL);
	nl = strchr(out, '\n');
	ck_assert_ptr_nonnull(nl);
	*nl = '\0';
	ck_assert_str_eq(out, c->want_line);
	ck_assert_str_eq(nl + 1, "[OK] sub/line with break\n");
	free(out);
	result_free(res);
}
END_TEST

START_TEST(test_json)
{
	struct result *res = result_new("DNS MX");
	struct range w;
	char err[128], *out;
	int rc;

	range_parse(&w, "1:", UNIT_NONE, NULL, err, sizeof(err));
	result_summary(res, "say \"hi\"\\ |\x01");
	result_sub(res, STATE_OK, "ok line");
	result_sub(res, STATE_WARNING, "warn line");
	result_detail(res, 1, "detail \xff");
	result_detail(res, 3, "debug");
	result_perf(res, &(struct perf){ "mx", 2, "", &w, NULL, 0, NAN });
	result_perf(res, &(struct perf){ "ttl", NAN, "s", NULL, NULL, NAN, NAN });
	out = render(res, OUTPUT_JSON, 1, &rc);
	ck_assert_int_eq(rc, 1);
	ck_assert_str_eq(out,
		"{\"service\":\"DNS MX\",\"state\":\"WARNING\",\"exit_code\":1,"
		"\"summary\":\"say \\\"hi\\\"\\\\ |\\u0001\","
		"\"metrics\":[{\"label\":\"mx\",\"value\":2,\"uom\":\"\",\"warn\":\"1:\","
		"\"crit\":null,\"min\":0,\"max\":null},"
		"{\"label\":\"ttl\",\"value\":null,\"uom\":\"s\",\"warn\":null,"
		"\"crit\":null,\"min\":null,\"max\":null}],"
		"\"results\":[{\"state\":\"WARNING\",\"text\":\"warn line\"},"
		"{\"state\":\"OK\",\"text\":\"ok line\"}],"
		"\"details\":[{\"level\":1,\"text\":\"detail \\ufffd\"}]}\n");
	free(out);
	result_free(res);
}
END_TEST

/* Labels and their order come from the plugin, not from which values
 * were measured: a run with nothing measured has the same labels. */
START_TEST(test_same_labels_when_unmeasured)
{
	static const char *const labels[] = { "connect", "banner", "ehlo", "time" };
	char *a, *b;
	struct result *up = result_new("X"), *down = result_new("X");

	for (int i = 0; i < 4; i++) {
		result_perf(up, &(struct perf){ labels[i], 0.01 * (i + 1), "s", NULL, NULL, 0, NAN });
		result_perf(down, &(struct perf){ labels[i], NAN, "s", NULL, NULL, 0, NAN });
	}
	a = perfdata_of(up);
	b = perfdata_of(down);
	ck_assert_str_eq(a, "connect=0.01s;;;0 banner=0.02s;;;0 ehlo=0.03s;;;0 time=0.04s;;;0");
	ck_assert_str_eq(b, "connect=U;;;0 banner=U;;;0 ehlo=U;;;0 time=U;;;0");
	free(a);
	free(b);
	result_free(up);
	result_free(down);
}
END_TEST

START_TEST(test_write_error_is_unknown)
{
	struct result *res = result_new("X");
	FILE *f = fopen("/dev/full", "w");

	ck_assert_ptr_nonnull(f);
	result_summary(res, "fine");
	ck_assert_int_eq(output_write(res, OUTPUT_CLASSIC, 0, f), STATE_UNKNOWN);
	fclose(f);
	result_free(res);
}
END_TEST

START_TEST(test_output_format_parse)
{
	enum output_format f;

	ck_assert_int_eq(output_format_parse("classic", &f), 0);
	ck_assert_int_eq(f, OUTPUT_CLASSIC);
	ck_assert_int_eq(output_format_parse("json", &f), 0);
	ck_assert_int_eq(f, OUTPUT_JSON);
	ck_assert_int_eq(output_format_parse("influx", &f), 0);
	ck_assert_int_eq(f, OUTPUT_INFLUX);
	ck_assert_int_eq(output_format_parse("graphite", &f), 0);
	ck_assert_int_eq(f, OUTPUT_GRAPHITE);
	ck_assert_int_eq(output_format_parse("JSON ", &f), -1);
	ck_assert_int_eq(output_format_parse("", &f), -1);
}
END_TEST

/* ---- influx and graphite -------------------------------------------------- */

static char *render_meta(const struct result *res, enum output_format fmt,
			 const struct output_meta *meta, int *rc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	*rc = output_write_meta(res, fmt, 0, meta, f);
	fclose(f);
	return buf;
}

/* A result as plugins make them: a summary, values in their units, one U,
 * labels that need escaping in one format or the other. */
static struct result *sample(const char *summary, const char *label3)
{
	struct result *res = result_new("DNS MX");

	result_summary(res, "%s", summary);
	result_raise(res, STATE_WARNING);
	result_perf(res, &(struct perf){ "rtt", 0.25, "ms", NULL, NULL, 0, NAN });
	result_perf(res, &(struct perf){ "ttl", NAN, "s", NULL, NULL, 0, NAN });
	result_perf(res, &(struct perf){ label3, 3, "", NULL, NULL, 0, NAN });
	return res;
}

static const struct metric_case {
	const char *name;
	enum output_format fmt;
	const char *summary, *label3;
	struct output_meta meta;
	const char *want;
} metric_cases[] = {
	{ "influx", OUTPUT_INFLUX, "3 MX hosts", "mx", { "check_dns_mx", "lab.test", NULL, 1 },
	  "check_dns_mx,host=lab.test,service=DNS\\ MX state=1i,summary=\"3 MX hosts\",rtt=0.25,"
	  "mx=3 1\n" },
	{ "influx escaping", OUTPUT_INFLUX, "say \"hi\"\\\nnext", "a b,c=d",
	  { "check x", "h o,s=t", NULL, 1796000000123456789 },
	  "check\\ x,host=h\\ o\\,s\\=t,service=DNS\\ MX state=1i,"
	  "summary=\"say \\\"hi\\\"\\\\ next\",rtt=0.25,a\\ b\\,c\\=d=3 1796000000123456789\n" },
	{ "influx: our fields keep their names", OUTPUT_INFLUX, "s", "state",
	  { "p", NULL, NULL, 5 },
	  "p,service=DNS\\ MX state=1i,summary=\"s\",rtt=0.25,perf_state=3 5\n" },
	{ "influx without meta", OUTPUT_INFLUX, "s", "mx", { NULL, NULL, NULL, 7 },
	  "DNS\\ MX,service=DNS\\ MX state=1i,summary=\"s\",rtt=0.25,mx=3 7\n" },
	{ "graphite", OUTPUT_GRAPHITE, "s", "mx", { "check_dns_mx", "lab.test", NULL, 1796000000999999999 },
	  "netcheck.lab_test.check_dns_mx.state 1 1796000000\n"
	  "netcheck.lab_test.check_dns_mx.rtt 0.25 1796000000\n"
	  "netcheck.lab_test.check_dns_mx.mx 3 1796000000\n" },
	{ "graphite prefix and labels", OUTPUT_GRAPHITE, "s", "127.0.0.1rta",
	  { "check_icmp_rtt", "::1", "site1.ping", 2000000000 },
	  "site1.ping.state 1 2\nsite1.ping.rtt 0.25 2\nsite1.ping.127_0_0_1rta 3 2\n" },
	{ "graphite without host", OUTPUT_GRAPHITE, "s", "a/b c",
	  { "check_icmp_rtt", NULL, NULL, 3000000000 },
	  "netcheck.none.check_icmp_rtt.state 1 3\nnetcheck.none.check_icmp_rtt.rtt 0.25 3\n"
	  "netcheck.none.check_icmp_rtt.a_b_c 3 3\n" },
};

/* The exact lines, escaped as each protocol wants; a U value is left out;
 * the exit code is the state. */
START_TEST(test_metric_formats)
{
	const struct metric_case *c = &metric_cases[_i];
	struct result *res = sample(c->summary, c->label3);
	int rc;
	char *out = render_meta(res, c->fmt, &c->meta, &rc);

	ck_assert_int_eq(rc, STATE_WARNING);
	ck_assert_msg(strcmp(out, c->want) == 0, "%s:\n got %s\nwant %s", c->name, out, c->want);
	free(out);
	result_free(res);
}
END_TEST

/* Without a time the clock's is taken (this century), in ns or s. */
START_TEST(test_metric_formats_now)
{
	struct result *res = sample("s", "mx");
	int rc;
	char *out = render_meta(res, OUTPUT_INFLUX, NULL, &rc);
	long long ns = atoll(strrchr(out, ' ') + 1);

	ck_assert_int_gt(ns, 1700000000LL * 1000000000LL);
	free(out);
	out = render_meta(res, OUTPUT_GRAPHITE, NULL, &rc);
	ck_assert_int_gt(atoll(strrchr(strtok(out, "\n"), ' ') + 1), 1700000000LL);
	ck_assert_msg(strncmp(out, "netcheck.none.DNS_MX.state 1 ", 29) == 0, "%s", out);
	free(out);
	result_free(res);
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

Suite *output_suite(void)
{
	Suite *s = suite_create("output");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, UNIT_TIMEOUT);
	tcase_add_loop_test(tc, test_perfdata_item, 0, N(perf_cases));
	tcase_add_test(tc, test_classic_full);
	tcase_add_loop_test(tc, test_classic_text_escaping, 0, N(text_cases));
	tcase_add_test(tc, test_json);
	tcase_add_test(tc, test_same_labels_when_unmeasured);
	tcase_add_test(tc, test_write_error_is_unknown);
	tcase_add_test(tc, test_output_format_parse);
	tcase_add_loop_test(tc, test_metric_formats, 0, N(metric_cases));
	tcase_add_test(tc, test_metric_formats_now);
	suite_add_tcase(s, tc);
	return s;
}
