/* maildate: RFC 5322 dates, modern and obsolete, and Received dates. */
#include <string.h>

#include "maildate.h"
#include "suites.h"

static const struct date_case {
	const char *text;
	long long want; /* seconds since the epoch; -1: refused */
} date_cases[] = {
	{ "Sun, 01 Nov 2026 06:20:45 +0000", 1793514045LL },
	{ "1 Nov 2026 06:20:45 +0000", 1793514045LL },
	{ "Sun, 1 Nov 2026 07:20:45 +0100", 1793514045LL },
	{ "Sat, 31 Oct 2026 22:20:45 -0800", 1793514045LL },
	{ "Sunday, 01 Nov 2026 06:20:45 GMT", 1793514045LL },
	{ "sun, 01 NOV 2026 06:20:45 UT", 1793514045LL },
	{ "Sun, 01 Nov 2026 06:20:45 +0000 (UTC)", 1793514045LL },
	{ "  Sun,\r\n 01 Nov 2026 06:20:45 +0000  ", 1793514045LL },
	{ "(comment (nested)) Sun , 01 Nov 2026 06 : 20 : 45 +0000", 1793514045LL },
	{ "Sat, 31 Oct 2026 22:20:45 PST", 1793514045LL },
	{ "Sun, 01 Nov 2026 01:20:45 EST", 1793514045LL },
	{ "Sun, 01 Nov 2026 02:20:45 EDT", 1793514045LL },
	{ "Sun, 01 Nov 2026 06:20:45 Z", 1793514045LL },
	{ "Sun, 01 Nov 2026 06:20:45 A", 1793514045LL },   /* military: -0000 */
	{ "Sun, 01 Nov 2026 06:20:45", 1793514045LL },     /* no zone: UTC */
	{ "Sun, 01 Nov 2026 06:20 +0000", 1793514000LL },  /* no seconds */
	{ "01 Jan 1970 00:00:00 +0000", 0 },
	{ "1 Jan 70 00:00:00 +0000", 0 },                  /* 2-digit year >= 50: 19xx */
	{ "1 Jan 26 00:00:00 +0000", 1767225600LL },       /* < 50: 20xx */
	{ "1 Jan 126 00:00:00 +0000", 1767225600LL },      /* 3 digits: + 1900 */
	{ "29 Feb 2024 12:00:00 +0000", 1709208000LL },
	{ "31 Dec 2026 23:59:60 +0000", 1798761599LL },    /* leap second */
	{ "Thu, 13 Feb 2009 23:31:30 +0000", 1234567890LL },
	{ "", -1 },
	{ "garbage", -1 },
	{ "Sun, 01 Foo 2026 06:20:45 +0000", -1 },
	{ "Sun, 32 Nov 2026 06:20:45 +0000", -1 },
	{ "29 Feb 2026 06:20:45 +0000", -1 },
	{ "31 Apr 2026 06:20:45 +0000", -1 },
	{ "Sun, 01 Nov 2026 24:20:45 +0000", -1 },
	{ "Sun, 01 Nov 2026 06:60:45 +0000", -1 },
	{ "Sun, 01 Nov 2026 06:20:61 +0000", -1 },
	{ "Sun, 01 Nov 2026 06:20:45 +0060", -1 },
	{ "Sun, 01 Nov 2026 06:20:45 +00", -1 },
	{ "Sun, 01 Nov 2026 06:20:45 +0000 extra", -1 },
	{ "Sun, 01 Nov 2026 06:20:45 XYZ", -1 },
	{ "Sun, 01 Nov 2026 06:20:45 J", -1 },
	{ "Sun, 01 Nov 2026 06:20:45 +0000 (unclosed", -1 },
	{ "Funday, 01 Nov 2026 06:20:45 +0000", -1 },
	{ "Sun, 01 Nov 12026 06:20:45 +0000", -1 },
	{ "Sun, 001 Nov 2026 06:20:45 +0000", -1 },
	{ "Sun, 00 Nov 2026 06:20:45 +0000", -1 },
	{ "2026-11-01T06:20:45Z", -1 },
};

START_TEST(test_date)
{
	const struct date_case *c = &date_cases[_i];
	time_t t = 12345;
	char err[64] = "";
	int rc = maildate_parse((const unsigned char *)c->text, strlen(c->text), &t, err,
				sizeof(err));

	if (c->want < 0) {
		ck_assert_msg(rc == -1, "'%s' parsed as %lld", c->text, (long long)t);
		ck_assert_msg(err[0] != '\0', "'%s': no reason", c->text);
		ck_assert_int_eq(t, 12345); /* untouched */
	} else {
		ck_assert_msg(rc == 0, "'%s': %s", c->text, err);
		ck_assert_msg((long long)t == c->want, "'%s': %lld, want %lld", c->text,
			      (long long)t, c->want);
	}
}
END_TEST

START_TEST(test_date_is_bounded_by_len)
{
	/* The bytes after len are not read: "+0000" is cut off, the zone
	 * is then missing (UTC) and the text ends at the seconds. */
	const char text[] = "1 Nov 2026 06:20:45 +0100";
	time_t t;

	ck_assert_int_eq(maildate_parse((const unsigned char *)text, 19, &t, NULL, 0), 0);
	ck_assert_int_eq((long long)t, 1793514045LL);
	ck_assert_int_eq(maildate_parse((const unsigned char *)text, 0, &t, NULL, 0), -1);
}
END_TEST

static const struct recv_case {
	const char *text;
	long long want;
} recv_cases[] = {
	{ "from client.lab.test (localhost [127.0.0.1]) by mail.lab.test (Postfix) with ESMTP "
	  "id SEED0004 for <bob@lab.test>; Sun, 01 Nov 2026 06:20:45 +0000", 1793514045LL },
	{ "from a (b; c) by d; Sun, 01 Nov 2026 06:20:45 +0000 (UTC)", 1793514045LL },
	{ "by mx.example with LMTP id x;\tSun, 1 Nov 2026 07:20:45 +0100", 1793514045LL },
	{ "from a by b with SMTP", -1 },
	{ "from a by b; not a date", -1 },
	{ "from a by b;", -1 },
};

START_TEST(test_received)
{
	const struct recv_case *c = &recv_cases[_i];
	time_t t = 0;
	char err[64] = "";
	int rc = maildate_received((const unsigned char *)c->text, strlen(c->text), &t, err,
				   sizeof(err));

	if (c->want < 0) {
		ck_assert_int_eq(rc, -1);
		ck_assert(err[0] != '\0');
	} else {
		ck_assert_msg(rc == 0, "'%s': %s", c->text, err);
		ck_assert_int_eq((long long)t, c->want);
	}
}
END_TEST

Suite *maildate_suite(void)
{
	Suite *s = suite_create("maildate");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, UNIT_TIMEOUT);
	tcase_add_loop_test(tc, test_date, 0, sizeof(date_cases) / sizeof(date_cases[0]));
	tcase_add_test(tc, test_date_is_bounded_by_len);
	tcase_add_loop_test(tc, test_received, 0, sizeof(recv_cases) / sizeof(recv_cases[0]));
	suite_add_tcase(s, tc);
	return s;
}
