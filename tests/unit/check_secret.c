/* secret: passwords from files, the environment and argv; base64. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deadline.h"
#include "secret.h"
#include "suites.h"

static const struct file_case {
	const char *content;
	size_t len;
	const char *want; /* NULL: refused */
	const char *why;  /* part of the message when refused */
} file_cases[] = {
	{ "s3cret\n", 7, "s3cret", NULL },
	{ "s3cret", 6, "s3cret", NULL },
	{ "s3cret\r\n", 8, "s3cret", NULL },
	{ "with space \n2nd line\n", 21, "with space ", NULL },
	{ "\n", 1, NULL, "is empty" },
	{ "", 0, NULL, "is empty" },
	{ "a\0b\n", 4, NULL, "NUL" },
	{ "sec\rDELE 1\n", 12, NULL, "CR or LF" },   /* a CR inside the line */
	{ "sec\r\r\n", 7, NULL, "CR or LF" },        /* one CR besides the CRLF */
};

static char *write_temp(const char *content, size_t len)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/netcheck-secret.XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, content, len), (ssize_t)len);
	close(fd);
	return path;
}

START_TEST(test_from_file)
{
	const struct file_case *c = &file_cases[_i];
	char *path = write_temp(c->content, c->len), buf[SECRET_MAX];
	struct fail f = { 0 };
	int rc = secret_from_file(path, buf, sizeof(buf), &f);

	if (c->want != NULL) {
		ck_assert_msg(rc == 0, "%s", f.text);
		ck_assert_str_eq(buf, c->want);
	} else {
		ck_assert_int_eq(rc, -1);
		ck_assert_int_eq(f.cls, FAIL_INTERNAL);
		ck_assert_msg(strstr(f.text, c->why) != NULL, "%s", f.text);
		ck_assert_ptr_nonnull(strstr(f.text, path));
	}
	unlink(path);
}
END_TEST

START_TEST(test_from_file_errors_never_show_the_content)
{
	char long_secret[SECRET_MAX + 10], buf[SECRET_MAX], *path;
	struct fail f = { 0 };

	memset(long_secret, 'Q', sizeof(long_secret));
	path = write_temp(long_secret, sizeof(long_secret));
	ck_assert_int_eq(secret_from_file(path, buf, sizeof(buf), &f), -1);
	ck_assert_ptr_nonnull(strstr(f.text, "longer than"));
	ck_assert_ptr_null(strstr(f.text, "QQQ"));
	unlink(path);

	ck_assert_int_eq(secret_from_file("/nonexistent/pw", buf, sizeof(buf), &f), -1);
	ck_assert_ptr_nonnull(strstr(f.text, "/nonexistent/pw"));
	ck_assert_int_eq(secret_from_file("/tmp", buf, sizeof(buf), &f), -1);
	ck_assert_ptr_nonnull(strstr(f.text, "not a regular file"));
}
END_TEST

START_TEST(test_from_env)
{
	char buf[64];
	struct fail f = { 0 };
	const char *left;

	setenv("NETCHECK_TEST_PW", "envpw", 1);
	ck_assert_int_eq(secret_from_env("NETCHECK_TEST_PW", buf, sizeof(buf), &f), 0);
	ck_assert_str_eq(buf, "envpw");
	/* wiped in the environment once copied: set, but to NUL bytes */
	left = getenv("NETCHECK_TEST_PW");
	ck_assert_ptr_nonnull(left);
	ck_assert_int_eq((int)strlen(left), 0);
	ck_assert_mem_eq(left, "\0\0\0\0\0", 5);
	unsetenv("NETCHECK_TEST_PW");
	ck_assert_int_eq(secret_from_env("NETCHECK_TEST_PW", buf, sizeof(buf), &f), -1);
	ck_assert_ptr_nonnull(strstr(f.text, "NETCHECK_TEST_PW is not set"));
	setenv("NETCHECK_TEST_PW", "", 1);
	ck_assert_int_eq(secret_from_env("NETCHECK_TEST_PW", buf, sizeof(buf), &f), -1);
	ck_assert_ptr_nonnull(strstr(f.text, "empty"));
	setenv("NETCHECK_TEST_PW", "0123456789", 1);
	ck_assert_int_eq(secret_from_env("NETCHECK_TEST_PW", buf, 5, &f), -1);
	ck_assert_ptr_nonnull(strstr(f.text, "longer than"));
	unsetenv("NETCHECK_TEST_PW");
}
END_TEST

START_TEST(test_from_arg_blanks_argv)
{
	char arg[] = "hunter2", buf[64];
	struct fail f = { 0 };

	ck_assert_int_eq(secret_from_arg(arg, buf, sizeof(buf), &f), 0);
	ck_assert_str_eq(buf, "hunter2");
	ck_assert_str_eq(arg, "xxxxxxx");
	secret_wipe(buf, sizeof(buf));
	for (size_t i = 0; i < sizeof(buf); i++)
		ck_assert_int_eq(buf[i], 0);
}
END_TEST

START_TEST(test_read_one_source)
{
	char *path = write_temp("filepw\n", 7), buf[64], arg[] = "argpw";
	struct fail f = { 0 };
	struct secret_source none = { 0 }, two = { .file = path, .env = "X" };
	struct secret_source file = { .file = path }, env = { .env = "NETCHECK_TEST_PW2" };
	struct secret_source fromarg = { .arg = arg };

	ck_assert_int_eq(secret_sources(&none), 0);
	ck_assert_int_eq(secret_read(&none, buf, sizeof(buf), &f), -1);
	ck_assert_ptr_nonnull(strstr(f.text, "a password is required"));
	ck_assert_int_eq(secret_sources(&two), 2);
	ck_assert_int_eq(secret_read(&two, buf, sizeof(buf), &f), -1);
	ck_assert_ptr_nonnull(strstr(f.text, "give one of"));
	ck_assert_int_eq(secret_read(&file, buf, sizeof(buf), &f), 0);
	ck_assert_str_eq(buf, "filepw");
	setenv("NETCHECK_TEST_PW2", "envpw", 1);
	ck_assert_int_eq(secret_read(&env, buf, sizeof(buf), &f), 0);
	ck_assert_str_eq(buf, "envpw");
	unsetenv("NETCHECK_TEST_PW2");
	ck_assert_int_eq(secret_read(&fromarg, buf, sizeof(buf), &f), 0);
	ck_assert_str_eq(buf, "argpw");
	ck_assert_str_eq(arg, "xxxxx");
	unlink(path);
}
END_TEST

/* A CR or LF would end the command the password goes in and start another
 * (USER x / PASS sec, then DELE 1): refused from every source. */
START_TEST(test_cr_lf_refused_everywhere)
{
	static const char *const bad[] = { "sec\r\nDELE 1", "sec\nQUIT", "sec\r" };
	char buf[64], arg[32];
	struct fail f = { 0 };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setenv("NETCHECK_TEST_PW3", bad[i], 1);
		ck_assert_int_eq(secret_from_env("NETCHECK_TEST_PW3", buf, sizeof(buf), &f), -1);
		ck_assert_msg(strstr(f.text, "CR or LF") != NULL, "%s", f.text);
		ck_assert_ptr_null(strstr(f.text, "DELE"));
		snprintf(arg, sizeof(arg), "%s", bad[i]);
		ck_assert_int_eq(secret_from_arg(arg, buf, sizeof(buf), &f), -1);
		ck_assert_msg(strstr(f.text, "CR or LF") != NULL, "%s", f.text);
	}
	unsetenv("NETCHECK_TEST_PW3");
}
END_TEST

/* A FIFO where the password file should be is refused at once: opening
 * it must not wait for a writer (that would hold the run past -t). */
START_TEST(test_fifo_is_refused_without_waiting)
{
	char dir[] = "/tmp/netcheck-fifo.XXXXXX", path[64], buf[64];
	struct fail f = { 0 };
	int64_t t0;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/pw", dir);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	t0 = mono_now_ns();
	ck_assert_int_eq(secret_from_file(path, buf, sizeof(buf), &f), -1);
	/* no writer ever comes: returning at all shows it did not wait; the
	 * bound is 1000x what an open and a stat take */
	ck_assert_int_lt(mono_now_ns() - t0, 5 * NS_PER_S);
	ck_assert_msg(strstr(f.text, "not a regular file") != NULL, "%s", f.text);
	unlink(path);
	rmdir(dir);
}
END_TEST

static const struct b64_case {
	const char *in;
	size_t n;
	const char *out;
} b64_cases[] = {
	{ "", 0, "" }, { "f", 1, "Zg==" }, { "fo", 2, "Zm8=" }, { "foo", 3, "Zm9v" },
	{ "foobar", 6, "Zm9vYmFy" },
	{ "\0alice\0pw", 9, "AGFsaWNlAHB3" }, /* SASL PLAIN, RFC 4616 */
};

START_TEST(test_base64)
{
	const struct b64_case *c = &b64_cases[_i];
	char out[64];

	ck_assert_int_eq(secret_base64(c->in, c->n, out, sizeof(out)), (long)strlen(c->out));
	ck_assert_str_eq(out, c->out);
	ck_assert_int_eq(secret_base64(c->in, c->n, out, strlen(c->out)), -1);
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

Suite *secret_suite(void)
{
	Suite *s = suite_create("secret");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, UNIT_TIMEOUT);
	tcase_add_loop_test(tc, test_from_file, 0, N(file_cases));
	tcase_add_test(tc, test_from_file_errors_never_show_the_content);
	tcase_add_test(tc, test_from_env);
	tcase_add_test(tc, test_from_arg_blanks_argv);
	tcase_add_test(tc, test_read_one_source);
	tcase_add_loop_test(tc, test_base64, 0, N(b64_cases));
	tcase_add_test(tc, test_cr_lf_refused_everywhere);
	tcase_add_test(tc, test_fifo_is_refused_without_waiting);
	suite_add_tcase(s, tc);
	return s;
}
