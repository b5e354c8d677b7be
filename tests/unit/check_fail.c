/* fail: classes and messages. */
#include <string.h>

#include "fail.h"
#include "suites.h"

START_TEST(test_fail_set_and_clear)
{
	struct fail f;
	char longer[700];

	fail_set(&f, FAIL_CONN, "cannot connect: %s", "127.0.0.1:25: connection refused");
	ck_assert_int_eq(f.cls, FAIL_CONN);
	ck_assert_str_eq(f.text, "cannot connect: 127.0.0.1:25: connection refused");
	memset(longer, 'x', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	fail_set(&f, FAIL_PROTO, "%s", longer);
	ck_assert_uint_eq(strlen(f.text), sizeof(f.text) - 1);
	fail_clear(&f);
	ck_assert_int_eq(f.cls, FAIL_NONE);
	ck_assert_str_eq(f.text, "");
	fail_set(NULL, FAIL_CONN, "ignored");
}
END_TEST

static const struct {
	enum fail_class cls;
	const char *name;
} names[] = {
	{ FAIL_NONE, "none" }, { FAIL_CONN, "connection" }, { FAIL_TIMEOUT, "timeout" },
	{ FAIL_PROTO, "protocol" }, { FAIL_REPLY, "reply" }, { FAIL_TLS, "tls" },
	{ FAIL_DNS, "dns" }, { FAIL_INTERNAL, "internal" }, { (enum fail_class)99, "internal" },
};

START_TEST(test_fail_class_names)
{
	ck_assert_str_eq(fail_class_name(names[_i].cls), names[_i].name);
}
END_TEST

Suite *fail_suite(void)
{
	Suite *s = suite_create("fail");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, UNIT_TIMEOUT);
	tcase_add_test(tc, test_fail_set_and_clear);
	tcase_add_loop_test(tc, test_fail_class_names, 0, (int)(sizeof(names) / sizeof(names[0])));
	suite_add_tcase(s, tc);
	return s;
}
