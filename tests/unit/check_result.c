/* result: states, worst-of, sub-results, details, perfdata items. */
#include <math.h>
#include <string.h>

#include "range.h"
#include "result.h"
#include "suites.h"

static const struct worst_case {
	enum state a, b, want;
} worst_cases[] = {
	{ STATE_OK, STATE_OK, STATE_OK },
	{ STATE_OK, STATE_WARNING, STATE_WARNING },
	{ STATE_WARNING, STATE_OK, STATE_WARNING },
	{ STATE_OK, STATE_UNKNOWN, STATE_UNKNOWN },
	{ STATE_UNKNOWN, STATE_WARNING, STATE_WARNING },
	{ STATE_WARNING, STATE_UNKNOWN, STATE_WARNING },
	{ STATE_UNKNOWN, STATE_CRITICAL, STATE_CRITICAL },
	{ STATE_CRITICAL, STATE_UNKNOWN, STATE_CRITICAL },
	{ STATE_WARNING, STATE_CRITICAL, STATE_CRITICAL },
	{ STATE_CRITICAL, STATE_OK, STATE_CRITICAL },
	{ (enum state)7, STATE_OK, STATE_UNKNOWN },
};

START_TEST(test_state_worst)
{
	const struct worst_case *c = &worst_cases[_i];

	ck_assert_int_eq(state_worst(c->a, c->b), c->want);
}
END_TEST

static const struct parse_case {
	const char *text;
	int want; /* -1: rejected */
} parse_cases[] = {
	{ "ok", STATE_OK }, { "OK", STATE_OK }, { "Warning", STATE_WARNING },
	{ "critical", STATE_CRITICAL }, { "UNKNOWN", STATE_UNKNOWN },
	{ "0", STATE_OK }, { "1", STATE_WARNING }, { "2", STATE_CRITICAL },
	{ "3", STATE_UNKNOWN }, { "4", -1 }, { "crit", -1 }, { "", -1 }, { "ok ", -1 },
};

START_TEST(test_state_parse)
{
	const struct parse_case *c = &parse_cases[_i];
	enum state s = STATE_LAST;
	int rc = state_parse(c->text, &s);

	if (c->want < 0) {
		ck_assert_int_eq(rc, -1);
	} else {
		ck_assert_int_eq(rc, 0);
		ck_assert_int_eq(s, c->want);
	}
}
END_TEST

START_TEST(test_state_names)
{
	ck_assert_str_eq(state_name(STATE_OK), "OK");
	ck_assert_str_eq(state_name(STATE_WARNING), "WARNING");
	ck_assert_str_eq(state_name(STATE_CRITICAL), "CRITICAL");
	ck_assert_str_eq(state_name(STATE_UNKNOWN), "UNKNOWN");
	ck_assert_str_eq(state_name((enum state)42), "UNKNOWN");
}
END_TEST

/* The overall state is the worst of everything raised and every sub-result,
 * whatever the order. */
START_TEST(test_result_worst_of_subs)
{
	static const enum state seq[][4] = {
		{ STATE_OK, STATE_OK, STATE_OK, STATE_OK },
		{ STATE_CRITICAL, STATE_OK, STATE_WARNING, STATE_UNKNOWN },
		{ STATE_UNKNOWN, STATE_WARNING, STATE_OK, STATE_OK },
		{ STATE_OK, STATE_UNKNOWN, STATE_OK, STATE_OK },
	};
	static const enum state want[] = {
		STATE_OK, STATE_CRITICAL, STATE_WARNING, STATE_UNKNOWN,
	};

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct result *res = result_new("TEST");

		ck_assert_ptr_nonnull(res);
		for (int j = 0; j < 4; j++)
			result_sub(res, seq[i][j], "step %d", j);
		ck_assert_int_eq(result_state(res), want[i]);
		ck_assert_uint_eq(result_nlines(res), 4);
		ck_assert_str_eq(result_line(res, 2)->text, "step 2");
		ck_assert_int_eq(result_line(res, 2)->state, seq[i][2]);
		result_free(res);
	}
}
END_TEST

START_TEST(test_result_summary_and_details)
{
	struct result *res = result_new("SMTP");

	ck_assert_str_eq(result_service(res), "SMTP");
	ck_assert_str_eq(result_get_summary(res), "");
	result_summary(res, "first %d", 1);
	result_summary(res, "second %s", "try");
	ck_assert_str_eq(result_get_summary(res), "second try");
	result_detail(res, 1, "C: EHLO %s", "client.test");
	result_detail(res, 2, "tls: %s", "TLSv1.3");
	result_detail(res, 0, "level 0 becomes 1");
	ck_assert_uint_eq(result_nlines(res), 3);
	ck_assert_int_eq(result_line(res, 0)->level, 1);
	ck_assert_int_eq(result_line(res, 1)->level, 2);
	ck_assert_int_eq(result_line(res, 2)->level, 1);
	ck_assert_ptr_null(result_line(res, 3));
	/* details never change the state */
	ck_assert_int_eq(result_state(res), STATE_OK);
	result_raise(res, STATE_WARNING);
	result_raise(res, STATE_OK);
	ck_assert_int_eq(result_state(res), STATE_WARNING);
	result_free(res);
}
END_TEST

START_TEST(test_result_perf_items)
{
	struct result *res = result_new("X");
	struct range w, c;
	char err[128];
	const struct result_perf_item *it;

	ck_assert_int_eq(range_parse(&w, "250ms", UNIT_TIME, "s", err, sizeof(err)), 0);
	ck_assert_int_eq(range_parse(&c, "1s:", UNIT_TIME, "s", err, sizeof(err)), 0);
	result_perf(res, &(struct perf){ "time", 0.041, "s", &w, &c, 0, NAN });
	result_perf(res, &(struct perf){ "rcpt", NAN, "s", NULL, NULL, NAN, NAN });
	ck_assert_uint_eq(result_nperf(res), 2);
	it = result_perf_at(res, 0);
	ck_assert_str_eq(it->label, "time");
	ck_assert_str_eq(it->uom, "s");
	ck_assert(it->has_warn && it->has_crit);
	ck_assert_str_eq(it->warn, "0.25");
	ck_assert_str_eq(it->crit, "1:");
	ck_assert(isnan(result_perf_at(res, 1)->value));
	ck_assert_int_eq(result_state(res), STATE_OK);
	result_free(res);
}
END_TEST

START_TEST(test_result_bad_uom_is_unknown)
{
	struct result *res = result_new("X");

	result_perf(res, &(struct perf){ "t", 1, "sec", NULL, NULL, NAN, NAN });
	ck_assert_uint_eq(result_nperf(res), 0);
	ck_assert_int_eq(result_state(res), STATE_UNKNOWN);
	ck_assert_ptr_nonnull(strstr(result_get_summary(res), "internal error"));
	result_free(res);
}
END_TEST

/* What is wrong, for the status line: non-OK sub-results worst first, in
 * the order added within a state, brief texts where given, at most max,
 * then "(and N more)"; "" when all are OK.  Notes and details never count. */
static const struct problems_case {
	struct { enum state s; const char *text, *brief; } subs[5];
	size_t max;
	const char *want;
} problems_cases[] = {
	{ { { STATE_OK, "a", NULL }, { STATE_OK, "b", NULL } }, 3, "" },
	{ { { STATE_OK, "fine", NULL }, { STATE_WARNING, "w1", NULL } }, 3, "w1" },
	{ { { STATE_WARNING, "w1", NULL }, { STATE_CRITICAL, "c1", NULL },
	    { STATE_WARNING, "w2", NULL }, { STATE_CRITICAL, "c2", NULL } }, 3, "c1; c2; w1 (and 1 more)" },
	{ { { STATE_UNKNOWN, "u", NULL }, { STATE_WARNING, "w", NULL } }, 3, "w; u" },
	{ { { STATE_CRITICAL, "long text: host x", "brief x" }, { STATE_OK, "ok", "never" } }, 3,
	  "brief x" },
	{ { { STATE_WARNING, "w", NULL }, { STATE_CRITICAL, "c", NULL } }, 1, "c (and 1 more)" },
};

START_TEST(test_result_problems)
{
	const struct problems_case *c = &problems_cases[_i];
	struct result *res = result_new("X");
	char buf[256];

	ck_assert_ptr_nonnull(res);
	result_note(res, "a note is no problem");
	result_detail(res, 1, "nor is a detail");
	for (size_t i = 0; i < 5 && c->subs[i].text != NULL; i++)
		result_sub_brief(res, c->subs[i].s, c->subs[i].brief, "%s", c->subs[i].text);
	ck_assert_str_eq(result_problems(res, c->max, buf, sizeof(buf)), c->want);
	result_free(res);
}
END_TEST

/* A problems text that does not fit is cut, never overrun. */
START_TEST(test_result_problems_cut)
{
	struct result *res = result_new("X");
	char buf[8];

	result_sub(res, STATE_CRITICAL, "a rather long problem");
	result_sub(res, STATE_CRITICAL, "another one");
	ck_assert_str_eq(result_problems(res, 3, buf, sizeof(buf)), "a rathe");
	result_free(res);
}
END_TEST

/* A note is a line without a state: it keeps the state OK, shows as no
 * sub-result and carries no brief. */
START_TEST(test_result_note)
{
	struct result *res = result_new("X");
	const struct result_line *l;

	result_note(res, "Usage: %s", "x -H HOST");
	ck_assert_uint_eq(result_nlines(res), 1);
	l = result_line(res, 0);
	ck_assert(l->note);
	ck_assert_int_eq(l->level, 0);
	ck_assert_str_eq(l->text, "Usage: x -H HOST");
	ck_assert_int_eq(result_state(res), STATE_OK);
	result_sub_brief(res, STATE_WARNING, "b", "long");
	l = result_line(res, 1);
	ck_assert(!l->note);
	ck_assert_str_eq(l->brief, "b");
	ck_assert_int_eq(result_state(res), STATE_WARNING);
	result_free(res);
	result_free(NULL); /* allowed, as free(NULL) */
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

Suite *result_suite(void)
{
	Suite *s = suite_create("result");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, UNIT_TIMEOUT);
	tcase_add_loop_test(tc, test_state_worst, 0, N(worst_cases));
	tcase_add_loop_test(tc, test_state_parse, 0, N(parse_cases));
	tcase_add_test(tc, test_state_names);
	tcase_add_test(tc, test_result_worst_of_subs);
	tcase_add_test(tc, test_result_summary_and_details);
	tcase_add_test(tc, test_result_perf_items);
	tcase_add_test(tc, test_result_bad_uom_is_unknown);
	tcase_add_loop_test(tc, test_result_problems, 0, N(problems_cases));
	tcase_add_test(tc, test_result_problems_cut);
	tcase_add_test(tc, test_result_note);
	suite_add_tcase(s, tc);
	return s;
}
