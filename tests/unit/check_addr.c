/* addr: address literals, ADDR:PORT forms, networks, lists, formatting. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "suites.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static const struct literal_case {
	const char *text;
	int family; /* -1: not a literal */
	const char *formatted; /* with port 25 */
} literal_cases[] = {
	{ "127.0.0.1", AF_INET, "127.0.0.1:25" },
	{ "198.18.4.2", AF_INET, "198.18.4.2:25" },
	{ "::1", AF_INET6, "[::1]:25" },
	{ "2001:db8::1", AF_INET6, "[2001:db8::1]:25" },
	{ "2001:DB8:0:0::1", AF_INET6, "[2001:db8::1]:25" },
	{ "::ffff:127.0.0.1", AF_INET6, "[::ffff:127.0.0.1]:25" },
	{ "localhost", -1, NULL },
	{ "mail.example.test", -1, NULL },
	{ "127.0.0.1.", -1, NULL },
	{ "127.1", -1, NULL },
	{ "256.0.0.1", -1, NULL },
	{ "", -1, NULL },
	{ "[::1]", -1, NULL },
	{ "::1%nosuchinterface0", -1, NULL },
};

START_TEST(test_literals)
{
	const struct literal_case *c = &literal_cases[_i];
	struct sockaddr_storage ss;
	socklen_t len;
	char buf[ADDR_TEXT_MAX];

	ck_assert_int_eq(addr_parse(c->text, 25, &ss, &len), c->family);
	ck_assert(addr_is_literal(c->text) == (c->family > 0));
	if (c->family < 0)
		return;
	ck_assert_uint_eq(len, c->family == AF_INET ? sizeof(struct sockaddr_in)
						   : sizeof(struct sockaddr_in6));
	addr_format((struct sockaddr *)&ss, true, buf, sizeof(buf));
	ck_assert_str_eq(buf, c->formatted);
}
END_TEST

/* A scoped link-local literal keeps its scope (lo always exists). */
START_TEST(test_scoped_literal)
{
	struct sockaddr_storage ss;
	socklen_t len;

	ck_assert_int_eq(addr_parse("fe80::1%lo", 0, &ss, &len), AF_INET6);
	ck_assert_uint_ne(((struct sockaddr_in6 *)&ss)->sin6_scope_id, 0);
}
END_TEST

static const struct hostport_case {
	const char *text;
	int rc;
	const char *formatted;
} hostport_cases[] = {
	{ "127.0.0.1", 0, "127.0.0.1:53" },
	{ "127.0.0.1:5353", 0, "127.0.0.1:5353" },
	{ "[::1]:5353", 0, "[::1]:5353" },
	{ "[::1]", 0, "[::1]:53" },
	{ "::1", 0, "[::1]:53" },
	{ "2001:db8::53", 0, "[2001:db8::53]:53" },
	{ "127.0.0.1:65535", 0, "127.0.0.1:65535" },
	{ "127.0.0.1:0", -1, NULL },
	{ "127.0.0.1:65536", -1, NULL },
	{ "127.0.0.1:+53", -1, NULL },
	{ "127.0.0.1: 53", -1, NULL },
	{ "127.0.0.1:", -1, NULL },
	{ "[::1]:", -1, NULL },
	{ "[::1]x", -1, NULL },
	{ "[::1", -1, NULL },
	{ "ns.example.test", -1, NULL },
	{ "ns.example.test:53", -1, NULL },
	{ "", -1, NULL },
	{ ":53", -1, NULL },
};

START_TEST(test_hostport)
{
	const struct hostport_case *c = &hostport_cases[_i];
	struct sockaddr_storage ss;
	socklen_t len;
	char buf[ADDR_TEXT_MAX];

	ck_assert_int_eq(addr_parse_hostport(c->text, strlen(c->text), 53, &ss, &len), c->rc);
	if (c->rc < 0)
		return;
	addr_format((struct sockaddr *)&ss, true, buf, sizeof(buf));
	ck_assert_str_eq(buf, c->formatted);
}
END_TEST

/* Only the n bytes given count: "127.0.0.1:53,next" parsed as one entry. */
START_TEST(test_hostport_length)
{
	static const char list[] = "127.0.0.2:54,[::1]:55";
	struct sockaddr_storage ss;
	socklen_t len;
	char buf[ADDR_TEXT_MAX];

	ck_assert_int_eq(addr_parse_hostport(list, 12, 53, &ss, &len), 0);
	addr_format((struct sockaddr *)&ss, true, buf, sizeof(buf));
	ck_assert_str_eq(buf, "127.0.0.2:54");
	ck_assert_int_eq(addr_parse_hostport(list + 13, strlen(list) - 13, 53, &ss, &len), 0);
	addr_format((struct sockaddr *)&ss, false, buf, sizeof(buf));
	ck_assert_str_eq(buf, "::1");
}
END_TEST

static const struct net_case {
	const char *text;
	bool host_bits_ok;
	int rc;
	unsigned prefix;
	unsigned long long size;
	const char *first, *last; /* addresses 0 and size-1 */
	const char *why;          /* part of the message when refused */
} net_cases[] = {
	{ "198.18.4.0/24", false, 0, 24, 256, "198.18.4.0", "198.18.4.255", NULL },
	{ "198.18.4.2", false, 0, 32, 1, "198.18.4.2", "198.18.4.2", NULL },
	{ "127.0.0.0/8", false, 0, 8, 16777216, "127.0.0.0", "127.255.255.255", NULL },
	{ "198.18.0.0/15", false, 0, 15, 131072, "198.18.0.0", "198.19.255.255", NULL },
	{ "0.0.0.0/0", false, 0, 0, 4294967296ULL, "0.0.0.0", "255.255.255.255", NULL },
	{ "2001:db8::/120", false, 0, 120, 256, "2001:db8::", "2001:db8::ff", NULL },
	{ "2001:db8::/32", false, 0, 32, UINT64_MAX, "2001:db8::", NULL, NULL },
	{ "2001:db8::5", false, 0, 128, 1, "2001:db8::5", "2001:db8::5", NULL },
	{ "198.18.4.2/24", false, -1, 0, 0, NULL, NULL, "host bits set (the network is 198.18.4.0/24)" },
	{ "198.18.4.2/24", true, 0, 24, 256, "198.18.4.0", "198.18.4.255", NULL },
	{ "198.18.4.0/33", false, -1, 0, 0, NULL, NULL, "the prefix must be 0 to 32" },
	{ "2001:db8::/129", false, -1, 0, 0, NULL, NULL, "the prefix must be 0 to 128" },
	{ "198.18.4.0/", false, -1, 0, 0, NULL, NULL, "the prefix must be" },
	{ "198.18.4.0/+8", false, -1, 0, 0, NULL, NULL, "the prefix must be" },
	{ "198.18.4.0/x", false, -1, 0, 0, NULL, NULL, "the prefix must be" },
	{ "host.example/24", false, -1, 0, 0, NULL, NULL, "is not an address or network" },
	{ "/24", false, -1, 0, 0, NULL, NULL, "is not an address or network" },
	{ "fe80::1%lo/64", false, -1, 0, 0, NULL, NULL, "is not an address or network" },
};

START_TEST(test_networks)
{
	const struct net_case *c = &net_cases[_i];
	struct addr_net net;
	char err[160], buf[ADDR_TEXT_MAX];
	struct sockaddr_storage ss;
	socklen_t len;

	ck_assert_int_eq(addr_net_parse(c->text, c->host_bits_ok, &net, err, sizeof(err)), c->rc);
	if (c->rc < 0) {
		ck_assert_msg(strstr(err, c->why) != NULL, "'%s': %s", c->text, err);
		ck_assert_msg(strstr(err, c->text) != NULL, "'%s': %s", c->text, err);
		return;
	}
	ck_assert_uint_eq(net.prefix, c->prefix);
	ck_assert(addr_net_size(&net) == c->size);
	addr_net_nth(&net, 0, 7, &ss, &len);
	addr_format((struct sockaddr *)&ss, false, buf, sizeof(buf));
	ck_assert_str_eq(buf, c->first);
	ck_assert(addr_net_contains(&net, (struct sockaddr *)&ss));
	if (c->last != NULL) {
		addr_net_nth(&net, c->size - 1, 7, &ss, &len);
		addr_format((struct sockaddr *)&ss, false, buf, sizeof(buf));
		ck_assert_str_eq(buf, c->last);
		ck_assert(addr_net_contains(&net, (struct sockaddr *)&ss));
	}
}
END_TEST

static const struct contains_case {
	const char *net, *addr;
	bool want;
} contains_cases[] = {
	{ "198.18.4.0/24", "198.18.4.77", true },
	{ "198.18.4.0/24", "198.18.5.1", false },
	{ "198.18.0.0/15", "198.19.200.1", true },
	{ "198.18.0.0/15", "198.20.0.1", false },
	{ "198.18.4.2", "198.18.4.2", true },
	{ "198.18.4.2", "198.18.4.3", false },
	{ "0.0.0.0/0", "203.0.113.9", true },
	{ "2001:db8::/32", "2001:db8:ffff::1", true },
	{ "2001:db8::/32", "2001:db9::1", false },
	{ "2001:db8::/32", "198.18.4.2", false },      /* family differs */
	{ "198.18.4.0/24", "::ffff:198.18.4.2", false }, /* mapped is IPv6 */
};

START_TEST(test_contains)
{
	const struct contains_case *c = &contains_cases[_i];
	struct addr_net net;
	struct sockaddr_storage ss;
	socklen_t len;
	char err[160];

	ck_assert_int_eq(addr_net_parse(c->net, false, &net, err, sizeof(err)), 0);
	ck_assert_int_gt(addr_parse(c->addr, 0, &ss, &len), 0);
	ck_assert(addr_net_contains(&net, (struct sockaddr *)&ss) == c->want);
}
END_TEST

/* Lists grow as needed and keep what they were given. */
START_TEST(test_list_grows)
{
	struct addr_list *l = addr_list_new(1);
	struct sockaddr_storage ss, other;
	socklen_t len;
	char want[ADDR_TEXT_MAX], got[ADDR_TEXT_MAX];

	ck_assert_ptr_nonnull(l);
	for (int i = 0; i < 300; i++) {
		snprintf(want, sizeof(want), "198.18.%d.%d", i / 256, i % 256);
		ck_assert_int_eq(addr_parse(want, 25, &ss, &len), AF_INET);
		ck_assert_int_eq(addr_list_add(l, (struct sockaddr *)&ss, len), 0);
	}
	ck_assert_uint_eq(l->n, 300);
	ck_assert_uint_ge(l->cap, 300);
	addr_format((struct sockaddr *)&l->addr[299], true, got, sizeof(got));
	ck_assert_str_eq(got, "198.18.1.43:25");
	addr_set_port(&l->addr[299], 587);
	addr_format((struct sockaddr *)&l->addr[299], true, got, sizeof(got));
	ck_assert_str_eq(got, "198.18.1.43:587");
	ck_assert_int_eq(addr_parse("198.18.1.43", 9, &other, &len), AF_INET);
	ck_assert(addr_same_ip((struct sockaddr *)&l->addr[299], (struct sockaddr *)&other));
	ck_assert(!addr_same_ip((struct sockaddr *)&l->addr[0], (struct sockaddr *)&other));
	ck_assert_int_eq(addr_parse("::1", 9, &other, &len), AF_INET6);
	ck_assert(!addr_same_ip((struct sockaddr *)&l->addr[0], (struct sockaddr *)&other));
	addr_list_free(l);
	addr_list_free(NULL);
}
END_TEST

START_TEST(test_format_other_family)
{
	struct sockaddr_storage ss = { .ss_family = AF_UNIX };
	char buf[ADDR_TEXT_MAX];

	addr_format((struct sockaddr *)&ss, true, buf, sizeof(buf));
	ck_assert_str_eq(buf, "(address family 1)");
}
END_TEST

/* ---- host files: one host a line, '#' comments, blanks dropped --------- */

static int collect_host(void *ctx, const char *host, size_t n, size_t lineno)
{
	char *seen = ctx;
	size_t u = strlen(seen);

	if (n == 4 && memcmp(host, "STOP", 4) == 0)
		return 7;
	for (size_t i = 0; i < n && u < 200; i++)  /* a NUL shows as '?' */
		seen[u++] = host[i] ? host[i] : '?';
	snprintf(seen + u, 256 - u, "@%zu;", lineno);
	return 0;
}

static const struct hostlines_case {
	const char *text;
	size_t len;        /* 0: strlen(text) */
	const char *seen;  /* "host@line;" for each host */
	int rc;
} hostlines_cases[] = {
	{ "", 0, "", 0 },
	{ "a.test\nb.test\n", 0, "a.test@1;b.test@2;", 0 },
	{ "a.test\nb.test", 0, "a.test@1;b.test@2;", 0 },
	{ "\n\n  \t\r\n", 0, "", 0 },
	{ "  a.test  \t\r\n", 0, "a.test@1;", 0 },
	{ "# only a comment\n127.0.0.1 # the lab\n::1#no blank\n", 0, "127.0.0.1@2;::1@3;", 0 },
	{ "a b\n", 0, "a b@1;", 0 },     /* the caller refuses it */
	{ "x\r\ny\r\n", 0, "x@1;y@2;", 0 },
	{ "a\nSTOP\nb\n", 0, "a@1;", 7 },
	{ "a\0b\nc", 5, "a?b@1;c@2;", 0 },   /* a NUL is the caller's to refuse */
	{ "a\nb\nc", 3, "a@1;b@2;", 0 },     /* only len bytes */
};

START_TEST(test_host_lines)
{
	const struct hostlines_case *c = &hostlines_cases[_i];
	char seen[256] = "";
	size_t len = c->len ? c->len : strlen(c->text);
	int rc = addr_host_lines(c->text, len, collect_host, seen);

	ck_assert_int_eq(rc, c->rc);
	ck_assert_msg(strcmp(seen, c->seen) == 0, "case %d: '%s', want '%s'", _i, seen, c->seen);
}
END_TEST

Suite *addr_suite(void)
{
	Suite *s = suite_create("addr");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, UNIT_TIMEOUT);
	tcase_add_loop_test(tc, test_literals, 0, N(literal_cases));
	tcase_add_test(tc, test_scoped_literal);
	tcase_add_loop_test(tc, test_hostport, 0, N(hostport_cases));
	tcase_add_test(tc, test_hostport_length);
	tcase_add_loop_test(tc, test_networks, 0, N(net_cases));
	tcase_add_loop_test(tc, test_contains, 0, N(contains_cases));
	tcase_add_test(tc, test_list_grows);
	tcase_add_test(tc, test_format_other_family);
	tcase_add_loop_test(tc, test_host_lines, 0, N(hostlines_cases));
	suite_add_tcase(s, tc);
	return s;
}
