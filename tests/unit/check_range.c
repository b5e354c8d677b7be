/* range: Nagios ranges and numbers with units, from tables. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "range.h"
#include "suites.h"

#define INF_S 1 /* start_inf */
#define INF_E 2 /* end_inf */

static const struct range_ok {
	const char *text;
	enum unit_kind kind;
	const char *unit;
	double start, end;
	int inf;
	bool inside;
} range_ok[] = {
	{ "10", UNIT_NONE, NULL, 0, 10, 0, false },
	{ "10:", UNIT_NONE, NULL, 10, 0, INF_E, false },
	{ "~:10", UNIT_NONE, NULL, 0, 10, INF_S, false },
	{ "10:20", UNIT_NONE, NULL, 10, 20, 0, false },
	{ "@10:20", UNIT_NONE, NULL, 10, 20, 0, true },
	{ "@10", UNIT_NONE, NULL, 0, 10, 0, true },
	{ "-10:-5", UNIT_NONE, NULL, -10, -5, 0, false },
	{ "-5:5", UNIT_NONE, NULL, -5, 5, 0, false },
	{ "0.5", UNIT_NONE, NULL, 0, 0.5, 0, false },
	{ ".5:1.5", UNIT_NONE, NULL, 0.5, 1.5, 0, false },
	{ "+3", UNIT_NONE, NULL, 0, 3, 0, false },
	{ "0", UNIT_NONE, NULL, 0, 0, 0, false },
	{ "5:5", UNIT_NONE, NULL, 5, 5, 0, false },
	{ "~:", UNIT_NONE, NULL, 0, 0, INF_S | INF_E, false },
	{ "@~:-1", UNIT_NONE, NULL, 0, -1, INF_S, true },
	{ "250ms", UNIT_TIME, "s", 0, 0.25, 0, false },
	{ "2", UNIT_TIME, "s", 0, 2, 0, false },
	{ "2", UNIT_TIME, "ms", 0, 0.002, 0, false },
	{ "100us:1s", UNIT_TIME, "s", 0.0001, 1, 0, false },
	{ "1m", UNIT_TIME, "s", 0, 60, 0, false },
	{ "2h:", UNIT_TIME, "s", 7200, 0, INF_E, false },
	{ "1d", UNIT_TIME, "s", 0, 86400, 0, false },
	{ "1.5S", UNIT_TIME, "s", 0, 1.5, 0, false },
	{ "10KB", UNIT_SIZE, "B", 0, 10240, 0, false },
	{ "1MB:2MB", UNIT_SIZE, "B", 1048576, 2097152, 0, false },
	{ "1GB", UNIT_SIZE, NULL, 0, 1073741824.0, 0, false },
	{ "1TB", UNIT_SIZE, NULL, 0, 1099511627776.0, 0, false },
	{ "512", UNIT_SIZE, "B", 0, 512, 0, false },
	{ "2k", UNIT_SIZE, "B", 0, 2048, 0, false },
	{ "1MiB", UNIT_SIZE, "B", 0, 1048576, 0, false },
	{ "3", UNIT_SIZE, "KB", 0, 3072, 0, false },
	{ "20%", UNIT_PERCENT, NULL, 0, 20, 0, false },
	{ "20", UNIT_PERCENT, NULL, 0, 20, 0, false },
	{ "@80%:100%", UNIT_PERCENT, NULL, 80, 100, 0, true },
};

static const struct range_bad {
	const char *text;
	enum unit_kind kind;
	const char *must_name; /* the message must name this text */
} range_bad[] = {
	{ "", UNIT_NONE, "empty" },
	{ "20:10", UNIT_NONE, "'20:10'" },
	{ "abc", UNIT_NONE, "'abc'" },
	{ "10:x", UNIT_NONE, "'x'" },
	{ "@", UNIT_NONE, "'@'" },
	{ "10x", UNIT_NONE, "'10x'" },
	{ "10 ", UNIT_NONE, "'10 '" },
	{ " 10", UNIT_NONE, "' 10'" },
	{ "1e3", UNIT_NONE, "'1e3'" },
	{ "0x10", UNIT_NONE, "'0x10'" },
	{ "inf", UNIT_NONE, "'inf'" },
	{ "nan", UNIT_NONE, "'nan'" },
	{ "-", UNIT_NONE, "'-'" },
	{ ".", UNIT_NONE, "'.'" },
	{ "1..2", UNIT_NONE, "'1..2'" },
	{ ":10", UNIT_NONE, "':10'" },
	{ "1:2:3", UNIT_NONE, "'2:3'" },
	{ "~", UNIT_NONE, "'~'" },
	{ "10:~", UNIT_NONE, "'~'" },
	{ "@@1", UNIT_NONE, "'@1'" },
	{ "10ms", UNIT_NONE, "'ms'" },
	{ "10xs", UNIT_TIME, "'xs'" },
	{ "5sec", UNIT_TIME, "'sec'" },
	{ "3mss", UNIT_TIME, "'mss'" },
	{ "10PB", UNIT_SIZE, "'PB'" },
	{ "10%", UNIT_TIME, "'%'" },
	{ "2s:1s", UNIT_TIME, "'2s:1s'" },
	{ "1KB:1000", UNIT_SIZE, "'1KB:1000'" },
};

START_TEST(test_range_ok)
{
	const struct range_ok *c = &range_ok[_i];
	struct range r;
	char err[256] = "";

	ck_assert_msg(range_parse(&r, c->text, c->kind, c->unit, err, sizeof(err)) == 0,
		      "'%s' rejected: %s", c->text, err);
	ck_assert_int_eq(r.start_inf, (c->inf & INF_S) != 0);
	ck_assert_int_eq(r.end_inf, (c->inf & INF_E) != 0);
	ck_assert_int_eq(r.inside, c->inside);
	if (!r.start_inf)
		ck_assert_double_eq_tol(r.start, c->start, 1e-9);
	if (!r.end_inf)
		ck_assert_double_eq_tol(r.end, c->end, 1e-9);
}
END_TEST

START_TEST(test_range_bad)
{
	const struct range_bad *c = &range_bad[_i];
	struct range r;
	char err[256] = "";

	ck_assert_msg(range_parse(&r, c->text, c->kind, NULL, err, sizeof(err)) == -1,
		      "'%s' accepted", c->text);
	ck_assert_msg(strstr(err, c->must_name) != NULL,
		      "message for '%s' does not name %s: %s", c->text, c->must_name, err);
}
END_TEST

/* Numbers too large for a double, with and without a unit, and text too
 * long to be a number at all. */
START_TEST(test_range_overflow)
{
	static const struct {
		int digits;
		const char *suffix;
		enum unit_kind kind;
		const char *must_say;
	} cases[] = {
		{ 330, "", UNIT_NONE, "out of range" },
		{ 306, "TB", UNIT_SIZE, "out of range" },
		{ 306, "d", UNIT_TIME, "out of range" },
		{ 600, "", UNIT_NONE, "too long" },
	};
	char text[700], err[1024];
	struct range r;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(text, '9', (size_t)cases[i].digits);
		strcpy(text + cases[i].digits, cases[i].suffix);
		ck_assert_int_eq(range_parse(&r, text, cases[i].kind, NULL, err, sizeof(err)), -1);
		ck_assert_msg(strstr(err, cases[i].must_say) != NULL, "case %zu: %s", i, err);
	}
}
END_TEST

/* Alerting, end points included, from the plugin guidelines' table. */
static const struct alert_case {
	const char *range;
	double value;
	bool alert;
} alert_cases[] = {
	{ "10", -1, true }, { "10", 0, false }, { "10", 10, false }, { "10", 10.001, true },
	{ "10:", 9.99, true }, { "10:", 10, false }, { "10:", 1e9, false },
	{ "~:10", -1e9, false }, { "~:10", 10, false }, { "~:10", 11, true },
	{ "10:20", 9, true }, { "10:20", 10, false }, { "10:20", 20, false }, { "10:20", 21, true },
	{ "@10:20", 9, false }, { "@10:20", 10, true }, { "@10:20", 15, true },
	{ "@10:20", 20, true }, { "@10:20", 20.5, false },
	{ "-5:-1", -3, false }, { "-5:-1", 0, true },
	{ "~:", 42, false },
};

START_TEST(test_range_alert)
{
	const struct alert_case *c = &alert_cases[_i];
	struct range r;
	char err[256];

	ck_assert_int_eq(range_parse(&r, c->range, UNIT_NONE, NULL, err, sizeof(err)), 0);
	ck_assert_msg(range_alert(&r, c->value) == c->alert, "%s with %g: expected %s",
		      c->range, c->value, c->alert ? "alert" : "no alert");
}
END_TEST

static const struct fmt_case {
	const char *in;
	enum unit_kind kind;
	const char *unit;
	const char *out;
} fmt_cases[] = {
	{ "10", UNIT_NONE, NULL, "10" },
	{ "10:", UNIT_NONE, NULL, "10:" },
	{ "~:10", UNIT_NONE, NULL, "~:10" },
	{ "10:20", UNIT_NONE, NULL, "10:20" },
	{ "@10:20", UNIT_NONE, NULL, "@10:20" },
	{ "@5", UNIT_NONE, NULL, "@0:5" },
	{ "250ms", UNIT_TIME, "s", "0.25" },
	{ "1m:2m", UNIT_TIME, "s", "60:120" },
	{ "100us", UNIT_TIME, "s", "0.0001" },
	{ "1KB:", UNIT_SIZE, "B", "1024:" },
	{ "-1.50:2.25", UNIT_NONE, NULL, "-1.5:2.25" },
};

START_TEST(test_range_format)
{
	const struct fmt_case *c = &fmt_cases[_i];
	struct range r;
	char err[256], buf[128];

	ck_assert_int_eq(range_parse(&r, c->in, c->kind, c->unit, err, sizeof(err)), 0);
	range_format(&r, buf, sizeof(buf));
	ck_assert_str_eq(buf, c->out);
}
END_TEST

static const struct num_case {
	double v;
	const char *out;
} num_cases[] = {
	{ 0, "0" }, { -0.0, "0" }, { 1, "1" }, { 0.5, "0.5" }, { 0.041, "0.041" },
	{ 0.000012, "0.000012" }, { 1e-9, "0.000000001" }, { 123456789, "123456789" },
	{ 1e20, "100000000000000000000" }, { -2.5, "-2.5" }, { 12.3456789, "12.345679" },
	{ 0.1234567, "0.123457" }, { 1099511627776.0, "1099511627776" },
};

START_TEST(test_number_format)
{
	char buf[400];

	number_format(num_cases[_i].v, buf, sizeof(buf));
	ck_assert_str_eq(buf, num_cases[_i].out);
	ck_assert_ptr_null(strpbrk(buf, "eE"));
}
END_TEST

/* number_format writes most values without printf; it must write exactly
 * what "%.*f" with trailing zeros dropped writes (the reference below), for
 * values over 16 orders of magnitude, ties (x.5 in the last digit) among
 * them. */
static void reference_format(double v, char *buf, size_t len)
{
	double a = fabs(v);
	int prec = a < 1 && a > 0 ? 5 - (int)floor(log10(a)) : 6;
	int n = snprintf(buf, len, "%.*f", prec > 30 ? 30 : prec, v);

	if (strchr(buf, '.') != NULL) {
		while (n > 0 && buf[n - 1] == '0')
			buf[--n] = '\0';
		if (n > 0 && buf[n - 1] == '.')
			buf[--n] = '\0';
	}
	if (strcmp(buf, "-0") == 0)
		snprintf(buf, len, "0");
}

START_TEST(test_number_format_agrees_with_printf)
{
	uint64_t x = 88172645463325252ULL; /* xorshift64: the same values every run */
	char got[400], want[400];

	for (int i = 0; i < 200000; i++) {
		double mag, v;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		mag = pow(10, (double)(x % 1600) / 100 - 8); /* 1e-8 .. 1e8 */
		v = mag * (double)(x >> 11) / 9007199254740992.0;
		if (i % 3 == 0) /* on a 6-decimal grid, where the ties are */
			v = round(v * 1e6) / 1e6 + 5e-7;
		if (i % 2)
			v = -v;
		number_format(v, got, sizeof(got));
		reference_format(v, want, sizeof(want));
		ck_assert_msg(strcmp(got, want) == 0, "%.17g: %s, printf says %s", v, got, want);
	}
}
END_TEST

START_TEST(test_number_format_not_finite)
{
	char buf[16];

	number_format(NAN, buf, sizeof(buf));
	ck_assert_str_eq(buf, "U");
	number_format(INFINITY, buf, sizeof(buf));
	ck_assert_str_eq(buf, "U");
}
END_TEST

static const struct state_case {
	const char *warn, *crit;
	double v;
	enum state want;
} state_cases[] = {
	{ "1", "2", 0.5, STATE_OK }, { "1", "2", 1.5, STATE_WARNING },
	{ "1", "2", 2.5, STATE_CRITICAL }, { NULL, "2", 1.5, STATE_OK },
	{ "1", NULL, 9, STATE_WARNING }, { NULL, NULL, 9, STATE_OK },
	{ "5:", "2:", 3, STATE_WARNING }, { "5:", "2:", 1, STATE_CRITICAL },
};

START_TEST(test_range_state)
{
	const struct state_case *c = &state_cases[_i];
	struct range w, cr;
	char err[256];

	if (c->warn)
		ck_assert_int_eq(range_parse(&w, c->warn, UNIT_NONE, NULL, err, sizeof(err)), 0);
	if (c->crit)
		ck_assert_int_eq(range_parse(&cr, c->crit, UNIT_NONE, NULL, err, sizeof(err)), 0);
	ck_assert_int_eq(range_state(c->warn ? &w : NULL, c->crit ? &cr : NULL, c->v), c->want);
}
END_TEST

static const struct unit_case {
	const char *text;
	enum unit_kind kind;
	const char *unit;
	double want; /* NAN: must be rejected */
} unit_cases[] = {
	{ "6h", UNIT_TIME, "s", 21600 }, { "2d", UNIT_TIME, "s", 172800 },
	{ "90", UNIT_TIME, "m", 5400 }, { "12.5KB", UNIT_SIZE, "B", 12800 },
	{ "1.5", UNIT_NONE, NULL, 1.5 }, { "h", UNIT_TIME, "s", NAN },
	{ "", UNIT_TIME, "s", NAN }, { "5 s", UNIT_TIME, "s", NAN },
};

START_TEST(test_unit_parse)
{
	const struct unit_case *c = &unit_cases[_i];
	double v = -1;
	char err[256] = "";
	int rc = unit_parse(c->text, c->kind, c->unit, &v, err, sizeof(err));

	if (isnan(c->want)) {
		ck_assert_int_eq(rc, -1);
		ck_assert_msg(err[0] != '\0', "no message for '%s'", c->text);
	} else {
		ck_assert_msg(rc == 0, "'%s' rejected: %s", c->text, err);
		ck_assert_double_eq_tol(v, c->want, 1e-9);
	}
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* Values for people: the unit chosen by size, short numbers. */
static const struct ufmt_case {
	double v;
	enum unit_kind kind;
	const char *want;
} ufmt_cases[] = {
	{ 0.0412, UNIT_TIME, "41 ms" }, { 0.00819, UNIT_TIME, "8.2 ms" },
	{ 0.00000082, UNIT_TIME, "0.00082 ms" }, { 0.25, UNIT_TIME, "250 ms" },
	{ 1.25, UNIT_TIME, "1.2 s" }, { 59, UNIT_TIME, "59 s" }, { 119, UNIT_TIME, "119 s" },
	{ 120, UNIT_TIME, "2 min" }, { 7200, UNIT_TIME, "2 h" }, { 10826, UNIT_TIME, "3 h" },
	{ 172800, UNIT_TIME, "2 d" }, { 216000, UNIT_TIME, "2.5 d" },
	{ 1814426, UNIT_TIME, "21 d" }, { 0, UNIT_TIME, "0 ms" },
	{ 0, UNIT_SIZE, "0 B" }, { 865, UNIT_SIZE, "865 B" }, { 1508, UNIT_SIZE, "1.5 KB" },
	{ 1024, UNIT_SIZE, "1 KB" }, { 21677, UNIT_SIZE, "21 KB" },
	{ 10485760, UNIT_SIZE, "10 MB" }, { 1099511627776.0 * 2048, UNIT_SIZE, "2048 TB" },
	{ 5, UNIT_PERCENT, "5%" }, { 12.5, UNIT_PERCENT, "12%" }, { 0.5, UNIT_PERCENT, "0.5%" },
	{ 3, UNIT_NONE, "3" }, { 1500, UNIT_NONE, "1500" }, { NAN, UNIT_TIME, "unknown" },
};

START_TEST(test_unit_format)
{
	const struct ufmt_case *c = &ufmt_cases[_i];
	char buf[64];

	unit_format(c->v, c->kind, buf, sizeof(buf));
	ck_assert_str_eq(buf, c->want);
}
END_TEST

/* The state and which limit was broken, in the units of people. */
static const struct judge_case {
	const char *warn, *crit; /* NULL: none */
	enum unit_kind kind;
	double v;
	enum state want;
	const char *why;
} judge_cases[] = {
	{ "1", "2", UNIT_TIME, 0.5, STATE_OK, "" },
	{ "1", "2", UNIT_TIME, 1.2, STATE_WARNING, "warning over 1 s" },
	{ "1", "2", UNIT_TIME, 2.5, STATE_CRITICAL, "critical over 2 s" },
	{ NULL, "2d", UNIT_TIME, 1814426, STATE_CRITICAL, "critical over 2 d" },
	{ "10:", NULL, UNIT_NONE, 3, STATE_WARNING, "warning under 10" },
	{ "10:20", NULL, UNIT_NONE, 30, STATE_WARNING, "warning over 20" },
	{ "10:20", NULL, UNIT_NONE, 5, STATE_WARNING, "warning under 10" },
	{ "@10:20", NULL, UNIT_NONE, 15, STATE_WARNING, "warning inside 10 to 20" },
	{ "@~:5", NULL, UNIT_NONE, 3, STATE_WARNING, "warning at or under 5" },
	{ "@5:", NULL, UNIT_NONE, 9, STATE_WARNING, "warning at or over 5" },
	{ "~:1KB", "~:1MB", UNIT_SIZE, 1508, STATE_WARNING, "warning over 1 KB" },
	{ "0.000001", NULL, UNIT_TIME, 0.0082, STATE_WARNING, "warning over 0.001 ms" },
	{ NULL, NULL, UNIT_TIME, 99, STATE_OK, "" },
};

START_TEST(test_range_judge)
{
	const struct judge_case *c = &judge_cases[_i];
	struct range w, cr;
	char err[128], why[160];

	if (c->warn)
		ck_assert_int_eq(range_parse(&w, c->warn, c->kind, NULL, err, sizeof(err)), 0);
	if (c->crit)
		ck_assert_int_eq(range_parse(&cr, c->crit, c->kind, NULL, err, sizeof(err)), 0);
	ck_assert_int_eq(range_judge(c->warn ? &w : NULL, c->crit ? &cr : NULL, c->v, c->kind,
				     why, sizeof(why)), c->want);
	ck_assert_str_eq(why, c->why);
}
END_TEST

Suite *range_suite(void)
{
	Suite *s = suite_create("range");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, UNIT_TIMEOUT);
	tcase_add_loop_test(tc, test_range_ok, 0, N(range_ok));
	tcase_add_loop_test(tc, test_range_bad, 0, N(range_bad));
	tcase_add_test(tc, test_range_overflow);
	tcase_add_loop_test(tc, test_range_alert, 0, N(alert_cases));
	tcase_add_loop_test(tc, test_range_format, 0, N(fmt_cases));
	tcase_add_loop_test(tc, test_number_format, 0, N(num_cases));
	tcase_add_test(tc, test_number_format_agrees_with_printf);
	tcase_add_test(tc, test_number_format_not_finite);
	tcase_add_loop_test(tc, test_range_state, 0, N(state_cases));
	tcase_add_loop_test(tc, test_unit_parse, 0, N(unit_cases));
	tcase_add_loop_test(tc, test_unit_format, 0, N(ufmt_cases));
	tcase_add_loop_test(tc, test_range_judge, 0, N(judge_cases));
	suite_add_tcase(s, tc);
	return s;
}
