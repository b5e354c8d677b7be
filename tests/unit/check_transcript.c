/* transcript: C:/S: lines, notes, escaping, masking, into a result. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transcript.h"
#include "suites.h"

START_TEST(test_lines_and_notes_in_order)
{
	struct transcript *t = transcript_new();

	transcript_line(t, 'S', "220 mail.test ESMTP", 19);
	transcript_line(t, 'C', "EHLO client.test", 16);
	transcript_note(t, "TLS handshake: %s", "TLSv1.3");
	transcript_line(t, 'S', "250 ok", 3); /* only len bytes count */
	ck_assert_uint_eq(transcript_count(t), 4);
	ck_assert_str_eq(transcript_get(t, 0), "S: 220 mail.test ESMTP");
	ck_assert_str_eq(transcript_get(t, 1), "C: EHLO client.test");
	ck_assert_str_eq(transcript_get(t, 2), "-- TLS handshake: TLSv1.3");
	ck_assert_str_eq(transcript_get(t, 3), "S: 250");
	ck_assert_ptr_null(transcript_get(t, 4));
	transcript_free(t);
}
END_TEST

static const struct esc_case {
	const char *in;
	size_t len;
	const char *out;
} esc_cases[] = {
	{ "a\tb", 3, "S: a\\x09b" },
	{ "nul\0byte", 8, "S: nul\\x00byte" },
	{ "esc\x1b[0m", 7, "S: esc\\x1b[0m" },
	{ "cr\r", 3, "S: cr\\x0d" },
	{ "del\x7f", 4, "S: del\\x7f" },
	{ "caf\xc3\xa9", 5, "S: caf\xc3\xa9" },
	{ "", 0, "S: " },
};

START_TEST(test_unprintable_bytes_escaped)
{
	struct transcript *t = transcript_new();

	transcript_line(t, 'S', esc_cases[_i].in, esc_cases[_i].len);
	ck_assert_str_eq(transcript_get(t, 0), esc_cases[_i].out);
	transcript_free(t);
}
END_TEST

static const struct mask_case {
	const char *line;
	size_t keep;
	const char *out;
} mask_cases[] = {
	{ "PASS secret", 5, "PASS ********" },
	{ "AUTH PLAIN AGFsaWNlAHB3", 11, "AUTH PLAIN ********" },
	{ "c2VjcmV0", 0, "********" },
	{ "APOP alice 0123456789abcdef", 11, "APOP alice ********" },
	{ "short", 99, "short********" },
};

START_TEST(test_mask_hides_the_secret)
{
	const struct mask_case *c = &mask_cases[_i];
	char buf[128];
	const char *secret = c->line + (c->keep < strlen(c->line) ? c->keep : strlen(c->line));

	ck_assert_str_eq(transcript_mask(c->line, c->keep, buf, sizeof(buf)), c->out);
	if (*secret != '\0')
		ck_assert_ptr_null(strstr(buf, secret));
}
END_TEST

START_TEST(test_to_result_levels_and_times)
{
	struct transcript *t = transcript_new();
	struct result *res = result_new("T");

	transcript_line(t, 'C', "QUIT", 4);
	transcript_line(t, 'S', "221 bye", 7);
	transcript_to_result(t, res, 1, 0);
	transcript_to_result(t, res, 2, 1);
	ck_assert_uint_eq(result_nlines(res), 4);
	ck_assert_str_eq(result_line(res, 0)->text, "C: QUIT");
	ck_assert_int_eq(result_line(res, 0)->level, 1);
	ck_assert_int_eq(result_line(res, 2)->level, 2);
	ck_assert_ptr_nonnull(strstr(result_line(res, 3)->text, " ms S: 221 bye"));
	ck_assert_int_eq(result_state(res), STATE_OK);
	result_free(res);
	transcript_free(t);
}
END_TEST

START_TEST(test_null_transcript_is_a_no_op)
{
	transcript_line(NULL, 'C', "x", 1);
	transcript_note(NULL, "x");
	transcript_restart(NULL);
	ck_assert_uint_eq(transcript_count(NULL), 0);
	transcript_free(NULL);
}
END_TEST

/* One cap for the whole run: past TRANSCRIPT_MAX_LINES lines, or
 * TRANSCRIPT_MAX_BYTES of text (control bytes counted as the \xHH they
 * become), lines are counted, not kept, and the count closes the record. */
static const struct cap_case {
	size_t lines, len;   /* lines of len bytes each */
	char fill;           /* their bytes */
	size_t want_kept;
} cap_cases[] = {
	{ 10, 100, 'a', 10 },
	{ TRANSCRIPT_MAX_LINES + 500, 10, 'a', TRANSCRIPT_MAX_LINES },
	{ 300, 8192, 'a', (TRANSCRIPT_MAX_BYTES) / (8192 + 3) },
	{ 300, 8192, '\x01', (TRANSCRIPT_MAX_BYTES) / (4 * 8192 + 3) },
};

START_TEST(test_one_cap_per_run)
{
	const struct cap_case *c = &cap_cases[_i];
	struct transcript *t = transcript_new();
	struct result *res = result_new("T");
	char *line = malloc(c->len);
	size_t dropped = c->lines - c->want_kept;
	const char *last;

	ck_assert_ptr_nonnull(line);
	memset(line, c->fill, c->len);
	for (size_t i = 0; i < c->lines; i++)
		transcript_line(t, 'S', line, c->len);
	ck_assert_uint_eq(transcript_count(t), c->want_kept);
	transcript_to_result(t, res, 1, 0);
	last = result_line(res, result_nlines(res) - 1)->text;
	if (dropped == 0) {
		ck_assert_uint_eq(result_nlines(res), c->want_kept);
	} else {
		char want[64];

		snprintf(want, sizeof(want), "-- %zu more lines not kept", dropped);
		ck_assert_msg(strncmp(last, want, strlen(want)) == 0, "got '%s'", last);
	}
	free(line);
	result_free(res);
	transcript_free(t);
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

Suite *transcript_suite(void)
{
	Suite *s = suite_create("transcript");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, UNIT_TIMEOUT);
	tcase_add_test(tc, test_lines_and_notes_in_order);
	tcase_add_loop_test(tc, test_unprintable_bytes_escaped, 0, N(esc_cases));
	tcase_add_loop_test(tc, test_mask_hides_the_secret, 0, N(mask_cases));
	tcase_add_test(tc, test_to_result_levels_and_times);
	tcase_add_test(tc, test_null_transcript_is_a_no_op);
	tcase_add_loop_test(tc, test_one_cap_per_run, 0, N(cap_cases));
	suite_add_tcase(s, tc);
	return s;
}
