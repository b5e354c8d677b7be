/* baseline: check_hops' stored path.  Parsing against good and damaged
 * files (each damage named with its line), format and parse agreeing,
 * the differences two paths show, and load/save on real files: missing,
 * a FIFO, a folder, too large, saved atomically (no temporary left). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "baseline.h"
#include "suites.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static struct baseline b1, b2;

/* ---- parsing --------------------------------------------------------------- */

static const struct parse_case {
	const char *name;
	const char *text;
	bool ok;
	const char *err;     /* a part of the message */
	const char *target;  /* ok: what was read */
	int first;
	size_t nhops;
	unsigned naddr_last; /* addresses of the last hop */
} parse_cases[] = {
	{ "plain", "target 198.18.4.2\nhop 1 198.18.0.2\nhop 2 *\nhop 3 198.18.2.2 198.18.7.2\n",
	  true, NULL, "198.18.4.2", 1, 3, 2 },
	{ "comments, blank lines, no final newline",
	  "# x\n\ntarget 2001:db8::2\n  # y\nhop 4 2001:db8:0:3::2", true, NULL, "2001:db8::2", 4, 1,
	  1 },
	{ "empty", "", false, "no target line", NULL, 0, 0, 0 },
	{ "no hops", "target 198.18.4.2\n", false, "no hop lines", NULL, 0, 0, 0 },
	{ "unknown line", "target 198.18.4.2\nroute 1\n", false, "line 2: unknown line", NULL, 0,
	  0, 0 },
	{ "second target", "target 198.18.4.2\ntarget 198.18.4.3\nhop 1 *\n", false,
	  "line 2: a bad or second target", NULL, 0, 0, 0 },
	{ "target not an address", "target mail.test\nhop 1 *\n", false,
	  "line 1: 'mail.test' is not an address", NULL, 0, 0, 0 },
	{ "hop out of order", "target 198.18.4.2\nhop 1 *\nhop 3 *\n", false,
	  "line 3: hop 3 out of order", NULL, 0, 0, 0 },
	{ "hop number junk", "target 198.18.4.2\nhop x1 *\n", false, "'x1' is no hop number",
	  NULL, 0, 0, 0 },
	{ "hop 0", "target 198.18.4.2\nhop 0 *\n", false, "'0' is no hop number", NULL, 0, 0, 0 },
	{ "hop 256", "target 198.18.4.2\nhop 256 *\n", false, "'256' is no hop number", NULL, 0,
	  0, 0 },
	{ "hop without address", "target 198.18.4.2\nhop 1\n", false, "no address and no '*'",
	  NULL, 0, 0, 0 },
	{ "star and address", "target 198.18.4.2\nhop 1 * 198.18.0.2\n", false,
	  "'*' is not an address", NULL, 0, 0, 0 },
	{ "bad address", "target 198.18.4.2\nhop 1 198.18.0.300\n", false,
	  "'198.18.0.300' is not an address", NULL, 0, 0, 0 },
	{ "five addresses", "target 198.18.4.2\nhop 1 198.18.0.1 198.18.0.2 198.18.0.3 "
	  "198.18.0.4 198.18.0.5\n", false, "too many", NULL, 0, 0, 0 },
	{ "CR", "target 198.18.4.2\r\nhop 1 *\n", false, "line 1: a NUL or CR byte", NULL, 0, 0,
	  0 },
};

START_TEST(test_baseline_parse)
{
	const struct parse_case *c = &parse_cases[_i];
	char err[256] = "";
	int rc = baseline_parse(c->text, strlen(c->text), &b1, err, sizeof(err));

	ck_assert_msg((rc == 0) == c->ok, "%s: rc %d (%s)", c->name, rc, err);
	if (!c->ok) {
		ck_assert_msg(strstr(err, c->err) != NULL, "%s: '%s' lacks '%s'", c->name, err, c->err);
		return;
	}
	ck_assert_str_eq(b1.target, c->target);
	ck_assert_int_eq(b1.first, c->first);
	ck_assert_uint_eq(b1.nhops, c->nhops);
	ck_assert_uint_eq(b1.hops[b1.nhops - 1].naddr, c->naddr_last);
}
END_TEST

/* A NUL inside the text is damage, not the end of it. */
START_TEST(test_baseline_parse_nul)
{
	static const char text[] = "target 198.18.4.2\nhop 1 \0*\n";
	char err[256] = "";

	ck_assert_int_eq(baseline_parse(text, sizeof(text) - 1, &b1, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "line 2: a NUL or CR byte");
}
END_TEST

/* format, then parse: the same path; 255 hops of 4 addresses fit. */
START_TEST(test_baseline_roundtrip)
{
	static char text[BASELINE_FILE_MAX];
	char err[256] = "";
	size_t len;

	memset(&b1, 0, sizeof(b1));
	strcpy(b1.target, "2001:db8:0:1::2");
	b1.first = 1;
	b1.nhops = BASELINE_MAX_HOPS;
	for (size_t i = 0; i < b1.nhops; i++) {
		char a[64];
		socklen_t l;

		b1.hops[i].naddr = i % 5 == 1 ? 0 : BASELINE_HOP_ADDRS;
		for (unsigned k = 0; k < b1.hops[i].naddr; k++) {
			snprintf(a, sizeof(a), "2001:db8:%zx:%x::ffff:%x", i, k, 65535 - k);
			ck_assert_int_eq(addr_parse(a, 0, &b1.hops[i].addr[k], &l), AF_INET6);
		}
	}
	len = baseline_format(&b1, text, sizeof(text));
	ck_assert_uint_lt(len, sizeof(text));
	ck_assert_msg(baseline_parse(text, len, &b2, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(b2.target, b1.target);
	ck_assert_uint_eq(b2.nhops, b1.nhops);
	ck_assert_int_eq(baseline_diff(&b1, &b2, err, sizeof(err)), 0);
	ck_assert_str_eq(err, "");
	for (size_t i = 0; i < b1.nhops; i++)
		ck_assert_uint_eq(b2.hops[i].naddr, b1.hops[i].naddr);
}
END_TEST

/* ---- differences ----------------------------------------------------------- */

static const struct diff_case {
	const char *name;
	const char *then, *now; /* hop lines after "target 198.18.4.2\n" */
	int n;
	const char *text;
} diff_cases[] = {
	{ "same", "hop 1 198.18.0.2\nhop 2 198.18.1.2\n", "hop 1 198.18.0.2\nhop 2 198.18.1.2\n", 0,
	  "" },
	{ "addresses in another order", "hop 1 198.18.0.2 198.18.9.2\n",
	  "hop 1 198.18.9.2 198.18.0.2\n", 0, "" },
	{ "a silent hop is no change", "hop 1 *\nhop 2 198.18.1.2\n",
	  "hop 1 198.18.0.2\nhop 2 198.18.1.2\n", 0, "" },
	{ "silent now", "hop 1 198.18.0.2\nhop 2 198.18.1.2\n", "hop 1 *\nhop 2 198.18.1.2\n", 0,
	  "" },
	{ "router changed", "hop 1 198.18.0.2\nhop 2 198.18.1.2\n",
	  "hop 1 198.18.0.2\nhop 2 198.18.9.2\n", 1, "hop 2: 198.18.1.2 before, now 198.18.9.2" },
	{ "one more address", "hop 1 198.18.0.2\n", "hop 1 198.18.0.2 198.18.9.2\n", 1,
	  "hop 1: 198.18.0.2 before, now 198.18.0.2 198.18.9.2" },
	{ "longer", "hop 1 198.18.0.2\n", "hop 1 198.18.0.2\nhop 2 198.18.1.2\n", 1,
	  "1 hops before, now 2" },
	{ "shorter and changed", "hop 1 198.18.0.2\nhop 2 198.18.1.2\nhop 3 198.18.2.2\n",
	  "hop 1 198.18.5.2\nhop 2 198.18.1.2\n", 2,
	  "3 hops before, now 2\nhop 1: 198.18.0.2 before, now 198.18.5.2" },
};

static void load_text(struct baseline *b, const char *hops)
{
	char text[1024], err[256] = "";

	snprintf(text, sizeof(text), "target 198.18.4.2\n%s", hops);
	ck_assert_msg(baseline_parse(text, strlen(text), b, err, sizeof(err)) == 0, "%s", err);
}

START_TEST(test_baseline_diff)
{
	const struct diff_case *c = &diff_cases[_i];
	char text[1024];

	load_text(&b1, c->then);
	load_text(&b2, c->now);
	ck_assert_msg(baseline_diff(&b1, &b2, text, sizeof(text)) == c->n, "%s: %s", c->name, text);
	ck_assert_str_eq(text, c->text);
}
END_TEST

START_TEST(test_baseline_diff_target)
{
	char text[256];

	load_text(&b1, "hop 1 *\n");
	load_text(&b2, "hop 1 *\n");
	strcpy(b2.target, "198.18.4.3");
	ck_assert_int_eq(baseline_diff(&b1, &b2, text, sizeof(text)), 1);
	ck_assert_str_eq(text, "the baseline traced 198.18.4.2, this run 198.18.4.3");
}
END_TEST

/* ---- files ----------------------------------------------------------------- */

static char dir[64];

static void make_dir(void)
{
	strcpy(dir, "/tmp/check_baseline.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void remove_dir(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* Missing: 0.  Saved, then loaded: the same path, and nothing but the
 * file in the folder (the temporary was renamed).  Saved again over it:
 * the new path. */
START_TEST(test_baseline_save_load)
{
	char path[128], err[256] = "", cmd[256], text[64];
	FILE *ls;

	make_dir();
	snprintf(path, sizeof(path), "%s/path", dir);
	ck_assert_int_eq(baseline_load(path, &b2, err, sizeof(err)), 0);
	load_text(&b1, "hop 1 198.18.0.2\nhop 2 *\n");
	ck_assert_msg(baseline_save(path, &b1, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(baseline_load(path, &b2, err, sizeof(err)) == 1, "%s", err);
	ck_assert_int_eq(baseline_diff(&b1, &b2, text, sizeof(text)), 0);
	ck_assert_uint_eq(b2.nhops, 2);
	load_text(&b1, "hop 1 198.18.9.2\n");
	ck_assert_int_eq(baseline_save(path, &b1, err, sizeof(err)), 0);
	ck_assert_int_eq(baseline_load(path, &b2, err, sizeof(err)), 1);
	ck_assert_uint_eq(b2.nhops, 1);
	snprintf(cmd, sizeof(cmd), "ls -A '%s'", dir);
	ls = popen(cmd, "r");
	ck_assert_ptr_nonnull(ls);
	ck_assert_ptr_nonnull(fgets(text, sizeof(text), ls));
	ck_assert_str_eq(text, "path\n");
	ck_assert_ptr_null(fgets(text, sizeof(text), ls));
	pclose(ls);
	remove_dir();
}
END_TEST

static const struct bad_file {
	const char *name;
	int kind;  /* 0 FIFO, 1 folder, 2 too large, 3 damaged, 4 folder not writable */
	const char *err;
} bad_files[] = {
	{ "a FIFO", 0, "not a regular file" },
	{ "a folder", 1, "not a regular file" },
	{ "too large", 2, "larger than 64 KB" },
	{ "damaged", 3, "is damaged (line 2: unknown line): delete it" },
};

/* Each is -1 with a message naming the file, at once (a FIFO without a
 * writer does not block the open or the read). */
START_TEST(test_baseline_load_bad)
{
	const struct bad_file *c = &bad_files[_i];
	char path[128], err[512] = "";
	FILE *f;

	make_dir();
	snprintf(path, sizeof(path), "%s/path", dir);
	if (c->kind == 0)
		ck_assert_int_eq(mkfifo(path, 0600), 0);
	else if (c->kind == 1)
		ck_assert_int_eq(mkdir(path, 0700), 0);
	else {
		f = fopen(path, "w");
		ck_assert_ptr_nonnull(f);
		if (c->kind == 2)
			for (int i = 0; i < BASELINE_FILE_MAX / 8 + 1; i++)
				fputs("# xxxxx\n", f);
		else
			fputs("target 198.18.4.2\nsomething\n", f);
		fclose(f);
	}
	ck_assert_int_eq(baseline_load(path, &b1, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, path) && strstr(err, c->err), "%s: '%s'", c->name, err);
	remove_dir();
}
END_TEST

/* A folder that does not exist: -1, and the message says why. */
START_TEST(test_baseline_save_nowhere)
{
	char err[512] = "";

	load_text(&b1, "hop 1 *\n");
	ck_assert_int_eq(baseline_save("/nonexistent/netcheck/path", &b1, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "/nonexistent/netcheck/path") && strstr(err, "No such file"), "%s",
		      err);
}
END_TEST

Suite *baseline_suite(void)
{
	Suite *s = suite_create("baseline");
	TCase *parse = tcase_create("parse");
	TCase *diff = tcase_create("diff");
	TCase *files = tcase_create("files");

	tcase_add_loop_test(parse, test_baseline_parse, 0, N(parse_cases));
	tcase_add_test(parse, test_baseline_parse_nul);
	tcase_add_test(parse, test_baseline_roundtrip);
	tcase_add_loop_test(diff, test_baseline_diff, 0, N(diff_cases));
	tcase_add_test(diff, test_baseline_diff_target);
	tcase_add_test(files, test_baseline_save_load);
	tcase_add_loop_test(files, test_baseline_load_bad, 0, N(bad_files));
	tcase_add_test(files, test_baseline_save_nowhere);
	tcase_set_timeout(files, UNIT_TIMEOUT);
	suite_add_tcase(s, parse);
	suite_add_tcase(s, diff);
	suite_add_tcase(s, files);
	return s;
}
