/* result: states, worst-of, sub-results, details, perfdata items; counts
 * and problems per state, and a verdict set apart from the worst-of. */
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

/* ---- hosts counted per state (check_icmp_rtt: "498 of 500 hosts OK") ---- */

/* Sub-results of a table row: state, text, brief. */
struct sub {
	enum state s;
	const char *text, *brief;
};

static struct result *with_subs(const struct sub *subs, size_t n)
{
	struct result *res = result_new("X");

	ck_assert_ptr_nonnull(res);
	result_note(res, "a note is no sub-result");
	result_detail(res, 1, "nor is a detail");
	result_detail(res, 2, "at any level");
	for (size_t i = 0; i < n && subs[i].text != NULL; i++)
		result_sub_brief(res, subs[i].s, subs[i].brief, "%s", subs[i].text);
	result_note(res, "a note after them");
	return res;
}

static const struct count_case {
	struct sub subs[8];
	size_t want[STATE_LAST]; /* OK, WARNING, CRITICAL, UNKNOWN */
} count_cases[] = {
	{ { { 0 } }, { 0, 0, 0, 0 } },
	{ { { STATE_OK, "a", NULL } }, { 1, 0, 0, 0 } },
	{ { { STATE_OK, "a", NULL }, { STATE_CRITICAL, "b", "B" }, { STATE_OK, "c", NULL },
	    { STATE_WARNING, "d", NULL }, { STATE_CRITICAL, "e", NULL },
	    { STATE_UNKNOWN, "f", NULL }, { STATE_OK, "g", NULL } }, { 3, 1, 2, 1 } },
	{ { { STATE_UNKNOWN, "a", NULL }, { STATE_UNKNOWN, "b", NULL } }, { 0, 0, 0, 2 } },
};

START_TEST(test_result_count)
{
	const struct count_case *c = &count_cases[_i];
	struct result *res = with_subs(c->subs, 8);

	for (int st = 0; st < STATE_LAST; st++)
		ck_assert_msg(result_count(res, (enum state)st) == c->want[st], "%s: %zu, want %zu",
			      state_name((enum state)st), result_count(res, (enum state)st),
			      c->want[st]);
	ck_assert_uint_eq(result_count(res, STATE_LAST), 0);
	result_free(res);
}
END_TEST

/* Grouped by state, worst first (CRITICAL, WARNING, UNKNOWN), in the order
 * added within a state, brief texts where given, at most max of each state
 * and then "(and N more)"; OK sub-results, notes and details never. */
static const struct by_state_case {
	struct sub subs[8];
	size_t max;
	const char *want;
} by_state_cases[] = {
	{ { { STATE_OK, "a", NULL }, { STATE_OK, "b", NULL } }, 3, "" },
	{ { { 0 } }, 3, "" },
	{ { { STATE_WARNING, "c (rta 250 ms)", NULL } }, 3, "WARNING: c (rta 250 ms)" },
	/* the header's example */
	{ { { STATE_CRITICAL, "a (100% lost)", NULL }, { STATE_WARNING, "c (rta 250 ms)", NULL },
	    { STATE_CRITICAL, "b (100% lost)", NULL }, { STATE_CRITICAL, "x", NULL },
	    { STATE_CRITICAL, "y", NULL }, { STATE_OK, "fine", NULL },
	    { STATE_CRITICAL, "z", NULL } }, 2,
	  "CRITICAL: a (100% lost), b (100% lost) (and 3 more); WARNING: c (rta 250 ms)" },
	{ { { STATE_UNKNOWN, "u", NULL }, { STATE_WARNING, "w", NULL },
	    { STATE_CRITICAL, "c", NULL } }, 3, "CRITICAL: c; WARNING: w; UNKNOWN: u" },
	{ { { STATE_WARNING, "long text of w1", "w1" }, { STATE_WARNING, "w2", NULL },
	    { STATE_OK, "ok", "never" } }, 5, "WARNING: w1, w2" },
	/* the limit is per state */
	{ { { STATE_WARNING, "w1", NULL }, { STATE_CRITICAL, "c1", NULL },
	    { STATE_WARNING, "w2", NULL }, { STATE_CRITICAL, "c2", NULL },
	    { STATE_UNKNOWN, "u1", NULL }, { STATE_UNKNOWN, "u2", NULL } }, 1,
	  "CRITICAL: c1 (and 1 more); WARNING: w1 (and 1 more); UNKNOWN: u1 (and 1 more)" },
	{ { { STATE_CRITICAL, "c1", NULL }, { STATE_CRITICAL, "c2", NULL } }, 2,
	  "CRITICAL: c1, c2" },
	{ { { STATE_CRITICAL, "c1", NULL }, { STATE_CRITICAL, "c2", NULL },
	    { STATE_CRITICAL, "c3", NULL } }, 2, "CRITICAL: c1, c2 (and 1 more)" },
};

START_TEST(test_result_problems_by_state)
{
	const struct by_state_case *c = &by_state_cases[_i];
	struct result *res = with_subs(c->subs, 8);
	char buf[256];

	memset(buf, 'x', sizeof(buf));
	ck_assert_str_eq(result_problems_by_state(res, c->max, buf, sizeof(buf)), c->want);
	result_free(res);
}
END_TEST

/* A text that does not fit is cut where the buffer ends, terminated, and
 * nothing is written past it; a zero-length buffer is not touched. */
START_TEST(test_result_problems_by_state_cut)
{
	static const struct sub subs[] = {
		{ STATE_CRITICAL, "a rather long problem", NULL }, { STATE_CRITICAL, "another", NULL },
		{ STATE_WARNING, "w", NULL }, { 0, NULL, NULL },
	};
	static const char full[] = "CRITICAL: a rather long problem, another; WARNING: w";
	struct result *res = with_subs(subs, 4);
	char buf[64];

	for (size_t len = 1; len <= sizeof(full) + 1; len++) {
		memset(buf, '#', sizeof(buf));
		result_problems_by_state(res, 5, buf, len);
		ck_assert_msg(strlen(buf) < len, "len %zu: '%s'", len, buf);
		ck_assert_msg(strncmp(buf, full, strlen(buf)) == 0, "len %zu: '%s'", len, buf);
		ck_assert_uint_eq(strlen(buf), len - 1 < strlen(full) ? len - 1 : strlen(full));
		for (size_t i = len; i < sizeof(buf); i++)
			ck_assert_msg(buf[i] == '#', "len %zu: byte %zu written", len, i);
	}
	buf[0] = '#';
	result_problems_by_state(res, 5, buf, 0);
	ck_assert_int_eq(buf[0], '#');
	result_free(res);
}
END_TEST

/* result_set_state sets the verdict, also a better one (check_icmp -m:
 * enough hosts are up); what is raised afterwards still counts, and an
 * internal error still wins. */
START_TEST(test_result_set_state)
{
	struct result *res = result_new("X");

	result_sub(res, STATE_CRITICAL, "host a down");
	result_sub(res, STATE_OK, "host b up");
	ck_assert_int_eq(result_state(res), STATE_CRITICAL);
	result_set_state(res, STATE_OK);
	ck_assert_int_eq(result_state(res), STATE_OK);
	ck_assert_uint_eq(result_count(res, STATE_CRITICAL), 1); /* the lines stay */
	result_raise(res, STATE_WARNING);
	ck_assert_int_eq(result_state(res), STATE_WARNING);
	result_set_state(res, STATE_UNKNOWN);
	ck_assert_int_eq(result_state(res), STATE_UNKNOWN);
	result_raise(res, STATE_OK);
	ck_assert_int_eq(result_state(res), STATE_UNKNOWN);
	result_set_state(res, STATE_WARNING);
	result_set_state(res, STATE_CRITICAL);
	ck_assert_int_eq(result_state(res), STATE_CRITICAL);
	result_sub(res, STATE_WARNING, "host c slow");
	ck_assert_int_eq(result_state(res), STATE_CRITICAL);
	result_set_state(res, STATE_OK);
	result_perf(res, &(struct perf){ "t", 1, "sec", NULL, NULL, NAN, NAN }); /* internal error */
	ck_assert_int_eq(result_state(res), STATE_UNKNOWN);
	result_set_state(res, STATE_OK);
	ck_assert_int_eq(result_state(res), STATE_UNKNOWN);
	result_free(res);
}
END_TEST

/* A state out of range becomes UNKNOWN, as state_worst and result_raise
 * make it: stored as given, the plugin would exit with 7 under a status
 * line saying UNKNOWN. */
START_TEST(test_result_set_state_out_of_range)
{
	struct result *res = result_new("X");
	enum state seven, last;

	result_set_state(res, (enum state)7);
	seven = result_state(res);
	result_set_state(res, STATE_LAST);
	last = result_state(res);
	result_free(res);
	ck_assert_msg(seven == STATE_UNKNOWN, "state %d after result_set_state(7)", (int)seven);
	ck_assert_msg(last == STATE_UNKNOWN, "state %d after result_set_state(%d)", (int)last,
		      STATE_LAST);
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
	tcase_add_loop_test(tc, test_result_count, 0, N(count_cases));
	tcase_add_loop_test(tc, test_result_problems_by_state, 0, N(by_state_cases));
	tcase_add_test(tc, test_result_problems_by_state_cut);
	tcase_add_test(tc, test_result_set_state);
	tcase_add_test(tc, test_result_set_state_out_of_range);
	suite_add_tcase(s, tc);
	return s;
}
