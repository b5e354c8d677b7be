/* mx: the MX set as mail delivery finds it, against the DNS server of
 * tests/unit/dnsserver.h with a zone of its own: the order of the set,
 * null and implicit MX, failures, and the addresses of every host (A and
 * AAAA, CNAMEs, literals) with the queries kept for -v. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnsserver.h"
#include "mx.h"
#include "suites.h"

#define MS 1000000LL
#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define BUDGET_MS UNIT_BUDGET_MS /* for lookups that are not about time */
/* A lookup to a silent server that only checks the outcome: nothing is
 * waited for, the deadline only has to pass. */
#define MESSAGE_ONLY_MS 100

/* ---- the zone ----------------------------------------------------------- */

#define MX_RR(d) { DNS_TYPE_MX, 300, d }
#define A_RR(d) { DNS_TYPE_A, 300, d }
#define AAAA_RR(d) { DNS_TYPE_AAAA, 300, d }
#define CNAME_RR(d) { DNS_TYPE_CNAME, 300, d }

static const struct dz_name zone[] = {
	/* MX sets: same preferences in any order and case */
	{ "mx.test", 0,
	  { MX_RR("20 b.mx.test"), MX_RR("10 Z.mx.test"), MX_RR("10 a.mx.test"),
	    MX_RR("10 M.MX.TEST") } },
	{ "null.test", 0, { MX_RR("0 .") } },
	{ "nullplus.test", 0, { MX_RR("10 mx.nullplus.test"), MX_RR("0 .") } },
	{ "nomx.test", 0, { A_RR("192.0.2.1") } },
	{ "servfail.test", DZ_SERVFAIL, { { 0 } } },
	{ "refused.test", DZ_REFUSED, { { 0 } } },
	{ "silent.test", DZ_SILENT, { { 0 } } },
	/* MX data of 2 bytes; a good MX, then one whose name is half a pointer */
	{ "badmx.test", 0, { MX_RR("\\#000a") } },
	{ "badmx2.test", 0, { MX_RR("10 ok.test"), MX_RR("\\#0014c0") } },
	/* the hosts of mx_resolve */
	{ "hosts.test", 0,
	  { MX_RR("10 dual.h.test"), MX_RR("20 v4.h.test"), MX_RR("30 v6.h.test"),
	    MX_RR("40 cname.h.test"), MX_RR("50 chain.h.test"), MX_RR("60 CASE.H.Test") } },
	{ "broken.test", 0,
	  { MX_RR("10 loop.h.test"), MX_RR("20 floop.h.test"), MX_RR("30 cnx.h.test"),
	    MX_RR("40 nxhost.h.test"), MX_RR("50 noaddr.h.test"), MX_RR("60 sf.h.test"),
	    MX_RR("70 badrr.h.test"), MX_RR("80 fcnx.h.test") } },
	{ "literal.test", 0,
	  { MX_RR("10 192.0.2.99"), MX_RR("20 2001:db8::99"), MX_RR("30 v4.h.test") } },
	{ "fam4.test", 0,
	  { MX_RR("10 v4.h.test"), MX_RR("20 v6.h.test"), MX_RR("30 real.h.test"),
	    MX_RR("40 cname.h.test"), MX_RR("50 192.0.2.98"), MX_RR("60 2001:db8::97") } },
	{ "fam6.test", 0,
	  { MX_RR("10 v4.h.test"), MX_RR("20 v6.h.test"), MX_RR("30 real.h.test"),
	    MX_RR("40 cname.h.test"), MX_RR("50 2001:db8::98") } },
	{ "slow.test", 0, { MX_RR("10 v4.h.test"), MX_RR("20 quiet.h.test") } },
	/* A after AAAA: mx_resolve must put the IPv4 addresses first */
	{ "dual.h.test", DZ_A_LAST,
	  { A_RR("192.0.2.1"), A_RR("192.0.2.2"), AAAA_RR("2001:db8::1"), AAAA_RR("2001:db8::2") } },
	{ "v4.h.test", 0, { A_RR("192.0.2.4") } },
	{ "v6.h.test", 0, { AAAA_RR("2001:db8::6") } },
	{ "real.h.test", 0, { A_RR("192.0.2.10"), AAAA_RR("2001:db8::10") } },
	{ "case.h.test", 0, { A_RR("192.0.2.20") } },
	/* a CNAME the server follows in its answer */
	{ "cname.h.test", DZ_FOLLOW, { CNAME_RR("real.h.test") } },
	/* CNAMEs the server leaves open: one query per name */
	{ "chain.h.test", 0, { CNAME_RR("chain1.h.test") } },
	{ "chain1.h.test", 0, { CNAME_RR("chain2.h.test") } },
	{ "chain2.h.test", 0, { CNAME_RR("real.h.test") } },
	/* loops, asked name by name and followed by the server */
	{ "loop.h.test", 0, { CNAME_RR("loop2.h.test") } },
	{ "loop2.h.test", 0, { CNAME_RR("loop.h.test") } },
	{ "floop.h.test", DZ_FOLLOW, { CNAME_RR("floop2.h.test") } },
	{ "floop2.h.test", 0, { CNAME_RR("floop.h.test") } },
	/* a CNAME to a name that does not exist */
	{ "cnx.h.test", 0, { CNAME_RR("gone.h.test") } },
	/* ... followed by the server: NXDOMAIN with the CNAME in its answer */
	{ "fcnx.h.test", DZ_FOLLOW, { CNAME_RR("gone.h.test") } },
	{ "noaddr.h.test", 0, { { 0 } } },
	{ "sf.h.test", DZ_SERVFAIL, { { 0 } } },
	/* an A record of 3 bytes */
	{ "badrr.h.test", 0, { A_RR("\\#c00002") } },
	{ "quiet.h.test", DZ_SILENT, { { 0 } } },
};

/* ---- helpers ------------------------------------------------------------ */

static struct dnsserver *srv;

static void srv_setup(void)
{
	struct dnsserver_params p = { .family = AF_INET, .zone = zone, .nzone = N(zone) };

	srv = dnsserver_start(&p);
}

static void srv_teardown(void)
{
	dnsserver_stop_all();
	srv = NULL;
}

static struct resolver *new_resolver(const struct deadline *d)
{
	struct resolver_params p = { .deadline = d, .servers = dnsserver_servers(srv) };
	struct fail f = { 0 };
	struct resolver *r = resolver_new(&p, &f);

	ck_assert_msg(r != NULL, "resolver_new: %s", f.text);
	return r;
}

static void ck_contains(const char *text, const char *part)
{
	ck_assert_msg(strstr(text, part) != NULL, "'%s' lacks '%s'", text, part);
}

/* Addresses as "a, b" (no ports), "-" for none. */
static void addrs_text(const struct addr_list *l, char *buf, size_t len)
{
	size_t used = 0;

	snprintf(buf, len, "-");
	for (size_t i = 0; l != NULL && i < l->n && used < len; i++) {
		char a[ADDR_TEXT_MAX];

		addr_format((const struct sockaddr *)&l->addr[i], false, a, sizeof(a));
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "", a);
	}
}

/* The host of s named name. */
static const struct mx_host *host_of(const struct mx_set *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->hosts[i].name, name) == 0)
			return &s->hosts[i];
	ck_abort_msg("no host %s in the set", name);
	return NULL;
}

/* mx_lookup that must succeed. */
static struct mx_set *lookup_ok(struct resolver *r, const char *domain)
{
	struct mx_set *s = NULL;
	struct fail f = { 0 };

	ck_assert_msg(mx_lookup(r, domain, false, &s, &f) == RESOLVE_OK, "%s: %s", domain, f.text);
	return s;
}

/* ---- pure functions ----------------------------------------------------- */

static const struct norm_case {
	const char *in, *out;
} norm_cases[] = {
	{ "Mail.Example.TEST.", "mail.example.test" },
	{ "mail.example.test", "mail.example.test" },
	{ ".", "" },
	{ "", "" },
	{ "a\\.", "a\\." }, /* an escaped dot is part of the label */
};

START_TEST(test_norm_name)
{
	char out[64];

	mx_norm_name(norm_cases[_i].in, out, sizeof(out));
	ck_assert_str_eq(out, norm_cases[_i].out);
}
END_TEST

/* A name cut to the buffer, NUL-terminated. */
START_TEST(test_norm_name_short)
{
	char out[6];

	memset(out, 'x', sizeof(out));
	mx_norm_name("MAIL.example.test.", out, sizeof(out));
	ck_assert_str_eq(out, "mail.");
	mx_norm_name("A", out, 1);
	ck_assert_str_eq(out, "");
}
END_TEST

static const struct cmp_case {
	unsigned pa;
	const char *na;
	unsigned pb;
	const char *nb;
	int sign;
} cmp_cases[] = {
	{ 10, "a.test", 20, "a.test", -1 },
	{ 20, "a.test", 10, "b.test", 1 },
	{ 10, "a.test", 10, "B.test", -1 },
	{ 10, "B.test", 10, "a.test", 1 },
	{ 10, "Mx.Test", 10, "mX.tEST", 0 },
	{ 0, "", 0, "a.test", -1 },
	{ 0, "", 10, "", -1 },
	{ 65535, "a.test", 0, "z.test", 1 },
};

START_TEST(test_host_cmp)
{
	const struct cmp_case *c = &cmp_cases[_i];
	struct mx_host a = { .pref = c->pa, .name = (char *)c->na };
	struct mx_host b = { .pref = c->pb, .name = (char *)c->nb };
	int got = mx_host_cmp(&a, &b), back = mx_host_cmp(&b, &a);

	ck_assert_msg((got > 0) - (got < 0) == c->sign, "%u %s vs %u %s: %d", c->pa, c->na, c->pb,
		      c->nb, got);
	ck_assert_int_eq((back > 0) - (back < 0), -c->sign);
}
END_TEST

/* mx_set_text of sets made by hand, each kind. */
static struct mx_host text_hosts[][3] = {
	{ { .pref = 10, .name = "a.test" }, { .pref = 20, .name = "b.test" } },
	{ { .pref = 0, .name = "" } },
	{ { .pref = 0, .name = "" }, { .pref = 10, .name = "mx.test" } },
	{ { .pref = 0, .name = "example.test" } },
};

static const struct text_case {
	enum mx_kind kind;
	int hosts; /* text_hosts[hosts], -1 none */
	size_t n;
	size_t buflen;
	const char *want;
} text_cases[] = {
	{ MX_LIST, 0, 2, 64, "10 a.test, 20 b.test" },
	{ MX_LIST, 0, 1, 64, "10 a.test" },
	{ MX_NULL, 1, 1, 64, "0 ." },
	{ MX_LIST, 2, 2, 64, "0 ., 10 mx.test" },
	{ MX_IMPLICIT, 3, 1, 64, "no MX" },
	{ MX_NONE, -1, 0, 64, "no MX" },
	{ MX_LIST, -1, 0, 64, "no MX" },
	{ MX_LIST, 0, 2, 12, "10 a.test, " },
	{ MX_LIST, 0, 2, 5, "10 a" },
};

START_TEST(test_set_text)
{
	const struct text_case *c = &text_cases[_i];
	struct mx_set s = { .kind = c->kind, .n = c->n,
			    .hosts = c->hosts >= 0 ? text_hosts[c->hosts] : NULL };
	char buf[64];

	memset(buf, 'x', sizeof(buf));
	mx_set_text(&s, buf, c->buflen);
	ck_assert_str_eq(buf, c->want);
}
END_TEST

/* ---- mx_lookup ----------------------------------------------------------- */

static const struct lookup_case {
	const char *domain;
	bool implicit;
	int budget_ms;               /* 0: BUDGET_MS */
	enum resolve_status status;
	enum mx_kind kind;
	const char *text;            /* mx_set_text */
	const char *hosts;           /* "PREF NAME, ..." as the hosts are */
	bool null_among_others;
	int reply_rcode;             /* -1: no reply kept */
	enum fail_class cls;         /* when not OK */
	const char *why;             /* part of f.text (the server follows) */
} lookup_cases[] = {
	{ "mx.test", false, 0, RESOLVE_OK, MX_LIST,
	  "10 a.mx.test, 10 m.mx.test, 10 z.mx.test, 20 b.mx.test",
	  "10 a.mx.test, 10 m.mx.test, 10 z.mx.test, 20 b.mx.test", false, 0, FAIL_NONE, NULL },
	{ "MX.Test.", true, 0, RESOLVE_OK, MX_LIST,
	  "10 a.mx.test, 10 m.mx.test, 10 z.mx.test, 20 b.mx.test",
	  "10 a.mx.test, 10 m.mx.test, 10 z.mx.test, 20 b.mx.test", false, 0, FAIL_NONE, NULL },
	{ "null.test", false, 0, RESOLVE_OK, MX_NULL, "0 .", "0 ", false, 0, FAIL_NONE, NULL },
	{ "null.test", true, 0, RESOLVE_OK, MX_NULL, "0 .", "0 ", false, 0, FAIL_NONE, NULL },
	{ "nullplus.test", false, 0, RESOLVE_OK, MX_LIST, "0 ., 10 mx.nullplus.test",
	  "0 , 10 mx.nullplus.test", true, 0, FAIL_NONE, NULL },
	{ "nomx.test", false, 0, RESOLVE_OK, MX_NONE, "no MX", "", false, 0, FAIL_NONE, NULL },
	{ "nomx.test", true, 0, RESOLVE_OK, MX_IMPLICIT, "no MX", "0 nomx.test", false, 0,
	  FAIL_NONE, NULL },
	{ "NoMX.Test.", true, 0, RESOLVE_OK, MX_IMPLICIT, "no MX", "0 nomx.test", false, 0,
	  FAIL_NONE, NULL },
	{ "nx.test", false, 0, RESOLVE_NXDOMAIN, MX_NONE, "no MX", "", false, 3, FAIL_DNS,
	  "nx.test: no such domain (NXDOMAIN from " },
	{ "nx.test", true, 0, RESOLVE_NXDOMAIN, MX_NONE, "no MX", "", false, 3, FAIL_DNS,
	  "nx.test: no such domain (NXDOMAIN from " },
	{ "servfail.test", true, 0, RESOLVE_SERVFAIL, MX_NONE, "no MX", "", false, 2, FAIL_DNS,
	  "servfail.test: server failure (SERVFAIL from " },
	{ "refused.test", false, 0, RESOLVE_REFUSED, MX_NONE, "no MX", "", false, 5, FAIL_DNS,
	  "refused.test: query refused (REFUSED from " },
	{ "badmx.test", true, 0, RESOLVE_ERROR, MX_NONE, "no MX", "", false, 0, FAIL_DNS,
	  "badmx.test: malformed MX answer from " },
	{ "badmx2.test", false, 0, RESOLVE_ERROR, MX_NONE, "no MX", "", false, 0, FAIL_DNS,
	  "badmx2.test: malformed MX answer from " },
	{ "silent.test", true, MESSAGE_ONLY_MS, RESOLVE_TIMEOUT, MX_NONE, "no MX", "", false, -1,
	  FAIL_TIMEOUT, "silent.test: no answer from " },
};

START_TEST(test_lookup)
{
	const struct lookup_case *c = &lookup_cases[_i];
	struct deadline d;
	struct resolver *r;
	struct mx_set *s = NULL;
	struct fail f = { 0 };
	enum resolve_status st;
	char text[256], hosts[256];
	size_t used = 0;

	deadline_start(&d, c->budget_ms ? c->budget_ms : BUDGET_MS);
	r = new_resolver(&d);
	st = mx_lookup(r, c->domain, c->implicit, &s, &f);
	ck_assert_msg(st == c->status, "%s: status %d (%s)", c->domain, st, f.text);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(s->kind, c->kind);
	mx_set_text(s, text, sizeof(text));
	ck_assert_str_eq(text, c->text);
	hosts[0] = '\0';
	for (size_t i = 0; i < s->n; i++) {
		ck_assert(!s->hosts[i].resolved && s->hosts[i].addrs == NULL);
		used += (size_t)snprintf(hosts + used, sizeof(hosts) - used, "%s%u %s",
					 i ? ", " : "", s->hosts[i].pref, s->hosts[i].name);
	}
	ck_assert_str_eq(hosts, c->hosts);
	ck_assert(s->null_among_others == c->null_among_others);
	if (c->reply_rcode < 0) {
		ck_assert_ptr_null(s->reply);
	} else {
		ck_assert_ptr_nonnull(s->reply);
		ck_assert_int_eq(s->reply->hdr.rcode, c->reply_rcode);
		ck_assert_str_eq(s->reply->server, dnsserver_servers(srv));
	}
	if (st != RESOLVE_OK) {
		ck_assert_int_eq(f.cls, c->cls);
		ck_contains(f.text, c->why);
		ck_contains(f.text, dnsserver_servers(srv));
	}
	if (c->reply_rcode >= 0) { /* answered: the server had read the query */
		char asked[64];

		mx_norm_name(c->domain, asked, sizeof(asked));
		ck_assert_int_eq(dnsserver_asked(srv, asked, DNS_TYPE_MX), 1);
	}
	mx_set_free(s);
	mx_set_free(NULL);
	resolver_free(r);
}
END_TEST

/* ---- mx_resolve ---------------------------------------------------------- */

/* What one host must get.  queries: "TYPE NAME" of every query kept, in
 * any order; statuses -1: not checked. */
struct want_host {
	const char *name;
	bool ip_literal;
	const char *cname;     /* NULL: none */
	const char *addrs;     /* "a, b" (IPv4 first), "-" none */
	int status[2];         /* of A and AAAA */
	bool nxdomain;
	const char *why[2];    /* part of fail[] when not OK */
	size_t nqueries;
	const char *queries[16];
};

static const struct resolve_case {
	const char *domain;
	int family;
	size_t n;
	struct want_host hosts[8];
} resolve_cases[] = {
	{ "hosts.test", AF_UNSPEC, 6, {
	  { "dual.h.test", false, NULL, "192.0.2.1, 192.0.2.2, 2001:db8::1, 2001:db8::2",
	    { RESOLVE_OK, RESOLVE_OK }, false, { NULL }, 2,
	    { "A dual.h.test", "AAAA dual.h.test" } },
	  { "v4.h.test", false, NULL, "192.0.2.4", { RESOLVE_OK, RESOLVE_NODATA }, false,
	    { NULL, "v4.h.test: the name has no records of that type" }, 2,
	    { "A v4.h.test", "AAAA v4.h.test" } },
	  { "v6.h.test", false, NULL, "2001:db8::6", { RESOLVE_NODATA, RESOLVE_OK }, false,
	    { "v6.h.test: the name has no records of that type", NULL }, 2,
	    { "A v6.h.test", "AAAA v6.h.test" } },
	  { "cname.h.test", false, "real.h.test", "192.0.2.10, 2001:db8::10",
	    { RESOLVE_OK, RESOLVE_OK }, false, { NULL }, 2,
	    { "A cname.h.test", "AAAA cname.h.test" } },
	  { "chain.h.test", false, "chain1.h.test", "192.0.2.10, 2001:db8::10",
	    { RESOLVE_OK, RESOLVE_OK }, false, { NULL }, 8,
	    { "A chain.h.test", "A chain1.h.test", "A chain2.h.test", "A real.h.test",
	      "AAAA chain.h.test", "AAAA chain1.h.test", "AAAA chain2.h.test",
	      "AAAA real.h.test" } },
	  { "case.h.test", false, NULL, "192.0.2.20", { RESOLVE_OK, RESOLVE_NODATA }, false,
	    { NULL, "case.h.test: the name has no records of that type" }, 2,
	    { "A case.h.test", "AAAA case.h.test" } },
	} },
	{ "broken.test", AF_UNSPEC, 8, {
	  { "loop.h.test", false, "loop2.h.test", "-", { RESOLVE_NODATA, RESOLVE_NODATA }, false,
	    { "no records of that type", "no records of that type" }, 2 * MX_MAX_CNAME_HOPS,
	    { "A loop.h.test", "A loop2.h.test", "A loop.h.test", "A loop2.h.test",
	      "A loop.h.test", "A loop2.h.test", "A loop.h.test", "A loop2.h.test",
	      "AAAA loop.h.test", "AAAA loop2.h.test", "AAAA loop.h.test", "AAAA loop2.h.test",
	      "AAAA loop.h.test", "AAAA loop2.h.test", "AAAA loop.h.test",
	      "AAAA loop2.h.test" } },
	  { "floop.h.test", false, "floop2.h.test", "-", { RESOLVE_NODATA, RESOLVE_NODATA },
	    false, { "no records of that type", "no records of that type" },
	    2 * MX_MAX_CNAME_HOPS, { NULL } },
	  { "cnx.h.test", false, "gone.h.test", "-", { RESOLVE_NXDOMAIN, RESOLVE_NXDOMAIN }, true,
	    { "gone.h.test: no such domain (NXDOMAIN from ",
	      "gone.h.test: no such domain (NXDOMAIN from " }, 4,
	    { "A cnx.h.test", "A gone.h.test", "AAAA cnx.h.test", "AAAA gone.h.test" } },
	  { "nxhost.h.test", false, NULL, "-", { RESOLVE_NXDOMAIN, RESOLVE_NXDOMAIN }, true,
	    { "nxhost.h.test: no such domain (NXDOMAIN from ",
	      "nxhost.h.test: no such domain (NXDOMAIN from " }, 2,
	    { "A nxhost.h.test", "AAAA nxhost.h.test" } },
	  { "noaddr.h.test", false, NULL, "-", { RESOLVE_NODATA, RESOLVE_NODATA }, false,
	    { "noaddr.h.test: the name has no records of that type",
	      "noaddr.h.test: the name has no records of that type" }, 2,
	    { "A noaddr.h.test", "AAAA noaddr.h.test" } },
	  { "sf.h.test", false, NULL, "-", { RESOLVE_SERVFAIL, RESOLVE_SERVFAIL }, false,
	    { "sf.h.test: server failure (SERVFAIL from ",
	      "sf.h.test: server failure (SERVFAIL from " }, 2,
	    { "A sf.h.test", "AAAA sf.h.test" } },
	  { "badrr.h.test", false, NULL, "-", { RESOLVE_ERROR, RESOLVE_NODATA }, false,
	    { "badrr.h.test: malformed reply from ", "badrr.h.test: the name has no records" },
	    2, { "A badrr.h.test", "AAAA badrr.h.test" } },
	  { "fcnx.h.test", false, "gone.h.test", "-", { RESOLVE_NXDOMAIN, RESOLVE_NXDOMAIN },
	    true, { "fcnx.h.test: no such domain (NXDOMAIN from ",
		    "fcnx.h.test: no such domain (NXDOMAIN from " }, 2,
	    { "A fcnx.h.test", "AAAA fcnx.h.test" } },
	} },
	{ "literal.test", AF_UNSPEC, 3, {
	  { "192.0.2.99", true, NULL, "192.0.2.99", { -1, -1 }, false, { NULL }, 0, { NULL } },
	  { "2001:db8::99", true, NULL, "2001:db8::99", { -1, -1 }, false, { NULL }, 0,
	    { NULL } },
	  { "v4.h.test", false, NULL, "192.0.2.4", { RESOLVE_OK, RESOLVE_NODATA }, false,
	    { NULL, "v4.h.test: the name has no records of that type" }, 2,
	    { "A v4.h.test", "AAAA v4.h.test" } },
	} },
	/* IPv4 only: no AAAA query at all */
	{ "fam4.test", AF_INET, 6, {
	  { "v4.h.test", false, NULL, "192.0.2.4", { RESOLVE_OK, -1 }, false, { NULL }, 1,
	    { "A v4.h.test" } },
	  { "v6.h.test", false, NULL, "-", { RESOLVE_NODATA, -1 }, false,
	    { "v6.h.test: the name has no records of that type" }, 1, { "A v6.h.test" } },
	  { "real.h.test", false, NULL, "192.0.2.10", { RESOLVE_OK, -1 }, false, { NULL }, 1,
	    { "A real.h.test" } },
	  { "cname.h.test", false, "real.h.test", "192.0.2.10", { RESOLVE_OK, -1 }, false,
	    { NULL }, 1, { "A cname.h.test" } },
	  { "192.0.2.98", true, NULL, "192.0.2.98", { RESOLVE_OK, -1 }, false, { NULL }, 0,
	    { NULL } },
	  /* an IPv6 literal is no host of an IPv4-only run */
	  { "2001:db8::97", true, NULL, "-", { -1, RESOLVE_NODATA }, false,
	    { NULL, "2001:db8::97: not an IPv4 address" }, 0, { NULL } },
	} },
	/* IPv6 only */
	{ "fam6.test", AF_INET6, 5, {
	  { "v4.h.test", false, NULL, "-", { -1, RESOLVE_NODATA }, false,
	    { NULL, "v4.h.test: the name has no records of that type" }, 1, { "AAAA v4.h.test" } },
	  { "v6.h.test", false, NULL, "2001:db8::6", { -1, RESOLVE_OK }, false, { NULL }, 1,
	    { "AAAA v6.h.test" } },
	  { "real.h.test", false, NULL, "2001:db8::10", { -1, RESOLVE_OK }, false, { NULL }, 1,
	    { "AAAA real.h.test" } },
	  { "cname.h.test", false, "real.h.test", "2001:db8::10", { -1, RESOLVE_OK }, false,
	    { NULL }, 1, { "AAAA cname.h.test" } },
	  { "2001:db8::98", true, NULL, "2001:db8::98", { -1, -1 }, false, { NULL }, 0,
	    { NULL } },
	} },
};

/* Checks the queries h kept against w's list (any order). */
static void check_queries(const struct mx_host *h, const struct want_host *w)
{
	bool used[16] = { false };

	ck_assert_msg(h->nqueries == w->nqueries, "%s: %zu queries, want %zu", w->name,
		      h->nqueries, w->nqueries);
	for (size_t i = 0; i < h->nqueries; i++) {
		const struct mx_query *q = &h->queries[i];
		char got[300];
		bool found = false;

		ck_assert(q->type == DNS_TYPE_A || q->type == DNS_TYPE_AAAA);
		ck_assert_ptr_nonnull(q->name);
		snprintf(got, sizeof(got), "%s %s", q->type == DNS_TYPE_A ? "A" : "AAAA", q->name);
		/* Every query got an answer, kept with it. */
		ck_assert_msg(q->reply != NULL, "%s: no reply kept", got);
		ck_assert_str_eq(q->reply->server, dnsserver_servers(srv));
		if (q->status != RESOLVE_OK)
			ck_contains(q->fail.text, q->name);
		/* A host asked once per type (no CNAME chain): what -v shows of
		 * each query is what the host got from it. */
		if (h->cname == NULL && h->nqueries <= 2)
			ck_assert_msg(q->status == h->status[q->type == DNS_TYPE_A ? 0 : 1],
				      "%s: kept query status %d, host status %d", got, q->status,
				      h->status[q->type == DNS_TYPE_A ? 0 : 1]);
		if (w->queries[0] == NULL) /* not listed: only the names */
			continue;
		for (size_t k = 0; k < w->nqueries && !found; k++)
			if (!used[k] && strcmp(w->queries[k], got) == 0)
				used[k] = found = true;
		ck_assert_msg(found, "%s: query %s not expected", w->name, got);
	}
}

START_TEST(test_resolve)
{
	const struct resolve_case *c = &resolve_cases[_i];
	struct deadline d;
	struct resolver *r;
	struct mx_set *s;
	size_t kept = 0;

	deadline_start(&d, BUDGET_MS);
	r = new_resolver(&d);
	s = lookup_ok(r, c->domain);
	ck_assert_uint_eq(s->n, c->n);
	mx_resolve(r, s, c->family);
	ck_assert(!deadline_expired(&d));
	ck_assert_uint_eq(resolver_pending(r), 0);
	for (size_t i = 0; i < c->n; i++) {
		const struct want_host *w = &c->hosts[i];
		const struct mx_host *h = host_of(s, w->name);
		char addrs[256];

		ck_assert(h == &s->hosts[i]); /* in the set's order */
		ck_assert(h->resolved);
		ck_assert_msg(h->ip_literal == w->ip_literal, "%s: ip_literal", w->name);
		if (w->cname == NULL)
			ck_assert_msg(h->cname == NULL, "%s: cname %s", w->name, h->cname);
		else
			ck_assert_str_eq(h->cname ? h->cname : "(none)", w->cname);
		addrs_text(h->addrs, addrs, sizeof(addrs));
		ck_assert_msg(strcmp(addrs, w->addrs) == 0, "%s: %s, want %s", w->name, addrs,
			      w->addrs);
		for (int k = 0; k < 2; k++) {
			if (w->status[k] < 0)
				continue;
			ck_assert_msg((int)h->status[k] == w->status[k], "%s %s: status %d (%s)",
				      w->name, k ? "AAAA" : "A", h->status[k], h->fail[k].text);
			if (w->status[k] != RESOLVE_OK) {
				ck_assert_msg(w->why[k] != NULL, "%s: the table lacks why", w->name);
				ck_contains(h->fail[k].text, w->why[k]);
			}
		}
		ck_assert_msg(h->nxdomain == w->nxdomain, "%s: nxdomain %d", w->name, h->nxdomain);
		check_queries(h, w);
		kept += h->nqueries;
		if (w->ip_literal) {
			ck_assert_int_eq(dnsserver_asked(srv, w->name, 0), 0);
			ck_assert_str_eq(h->from, "");
		} else {
			ck_assert_str_eq(h->from, dnsserver_servers(srv));
		}
		if (c->family == AF_INET)
			ck_assert_int_eq(dnsserver_asked(srv, w->name, DNS_TYPE_AAAA), 0);
		if (c->family == AF_INET6)
			ck_assert_int_eq(dnsserver_asked(srv, w->name, DNS_TYPE_A), 0);
	}
	/* Every query the server saw after the MX one is kept with a host. */
	ck_assert_int_eq(dnsserver_queries(srv), 1 + (int)kept);
	mx_set_free(s);
	resolver_free(r);
}
END_TEST

/* The null MX and the implicit MX: mx_resolve looks up what is a host. */
START_TEST(test_resolve_null_implicit)
{
	struct deadline d;
	struct resolver *r;
	struct mx_set *s = NULL;
	struct fail f = { 0 };
	char addrs[128];

	deadline_start(&d, BUDGET_MS);
	r = new_resolver(&d);
	s = lookup_ok(r, "nullplus.test");
	mx_resolve(r, s, AF_UNSPEC);
	ck_assert_str_eq(s->hosts[0].name, "");
	ck_assert(!s->hosts[0].resolved && s->hosts[0].addrs == NULL);
	ck_assert_uint_eq(s->hosts[0].nqueries, 0);
	ck_assert(s->hosts[1].resolved);
	ck_assert_int_eq(s->hosts[1].status[0], RESOLVE_NXDOMAIN);
	ck_assert(s->hosts[1].nxdomain);
	mx_set_free(s);

	ck_assert_int_eq(mx_lookup(r, "nomx.test", true, &s, &f), RESOLVE_OK);
	ck_assert_int_eq(s->kind, MX_IMPLICIT);
	mx_resolve(r, s, AF_UNSPEC);
	ck_assert(s->hosts[0].resolved);
	addrs_text(s->hosts[0].addrs, addrs, sizeof(addrs));
	ck_assert_str_eq(addrs, "192.0.2.1");
	ck_assert_int_eq(s->hosts[0].status[0], RESOLVE_OK);
	ck_assert_int_eq(s->hosts[0].status[1], RESOLVE_NODATA);
	mx_set_free(s);
	resolver_free(r);
}
END_TEST

/* A host whose server never answers: mx_resolve ends at the deadline,
 * with the other hosts resolved and that one timed out. */
START_TEST(test_resolve_deadline)
{
	struct deadline d;
	struct resolver *r;
	struct mx_set *s;
	const struct mx_host *quiet;
	char addrs[128];
	int64_t done;

	deadline_start(&d, UNIT_DEADLINE_MS);
	r = new_resolver(&d);
	s = lookup_ok(r, "slow.test");
	mx_resolve(r, s, AF_UNSPEC);
	done = mono_now_ns();
	ck_assert_int_ge(done, d.end_ns);
	ck_assert_msg(done - d.end_ns <= UNIT_SLACK_MS * MS, "%lld ms late",
		      (long long)((done - d.end_ns) / MS));
	addrs_text(host_of(s, "v4.h.test")->addrs, addrs, sizeof(addrs));
	ck_assert_str_eq(addrs, "192.0.2.4");
	quiet = host_of(s, "quiet.h.test");
	ck_assert_ptr_null(quiet->addrs);
	ck_assert(!quiet->nxdomain);
	for (int k = 0; k < 2; k++) {
		ck_assert_int_eq(quiet->status[k], RESOLVE_TIMEOUT);
		ck_assert_int_eq(quiet->fail[k].cls, FAIL_TIMEOUT);
		ck_contains(quiet->fail[k].text, "quiet.h.test: no answer from ");
	}
	ck_assert_uint_eq(quiet->nqueries, 2);
	ck_assert_ptr_null(quiet->queries[0].reply);
	ck_assert_int_eq(quiet->queries[0].status, RESOLVE_TIMEOUT);
	mx_set_free(s);
	resolver_free(r);
}
END_TEST

Suite *mx_suite(void)
{
	Suite *s = suite_create("mx");
	TCase *tc = tcase_create("core");
	TCase *net = tcase_create("lookups");

	tcase_set_timeout(tc, UNIT_TIMEOUT);
	tcase_add_loop_test(tc, test_norm_name, 0, N(norm_cases));
	tcase_add_test(tc, test_norm_name_short);
	tcase_add_loop_test(tc, test_host_cmp, 0, N(cmp_cases));
	tcase_add_loop_test(tc, test_set_text, 0, N(text_cases));
	suite_add_tcase(s, tc);

	tcase_set_timeout(net, UNIT_TIMEOUT);
	tcase_add_checked_fixture(net, srv_setup, srv_teardown);
	tcase_add_loop_test(net, test_lookup, 0, N(lookup_cases));
	tcase_add_loop_test(net, test_resolve, 0, N(resolve_cases));
	tcase_add_test(net, test_resolve_null_implicit);
	tcase_add_test(net, test_resolve_deadline);
	suite_add_tcase(s, net);
	return s;
}
