/* resolve: c-ares bound to the run's deadline, against the DNS server of
 * tests/unit/dnsserver.h (a forked child on loopback, UDP and TCP on one
 * port, answers from the zone below).  No test ever asks the machine's own
 * resolver: every resolver gets explicit servers, and the names that do
 * not need DNS (IP literals, localhost from /etc/hosts) are checked to send
 * no query at all.  Message parsing is tested in check_dnsmsg.c. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dnsserver.h"
#include "resolve.h"
#include "suites.h"

#define MS 1000000LL
#define N_OF(a) (sizeof(a) / sizeof((a)[0]))
#define N(a) ((int)N_OF(a))
#define BUDGET_MS UNIT_BUDGET_MS /* for lookups that are not about time */
/* A lookup to a silent server that only checks the message: nothing is
 * waited for, the deadline only has to pass. */
#define MESSAGE_ONLY_MS 100
/* Lookups c-ares has at once (resolve.c's MAX_INFLIGHT); the rest wait. */
#define INFLIGHT_MAX 64
/* Queries the server may see beyond INFLIGHT_MAX at once: c-ares' retries
 * of queries it still holds (none is due before the 2 s try timeout; a
 * batch is answered a tenth of a deadline after its last query). */
#define INFLIGHT_SLACK 4

/* ---- the zone ----------------------------------------------------------- */

static const struct dz_name zone[] = {
	{ "mx.test", 0,
	  { { DNS_TYPE_MX, 3600, "10 mx1@" },
	    { DNS_TYPE_MX, 300, "20 mx2@" },
	    { DNS_TYPE_MX, 600, "30 backup.example.net" } } },
	{ "nullmx.test", 0, { { DNS_TYPE_MX, 100, "0 ." } } },
	{ "hosts.test", 0,
	  { { DNS_TYPE_A, 300, "127.0.0.2" },
	    { DNS_TYPE_A, 60, "127.0.0.3" },
	    { DNS_TYPE_A, 3600, "127.0.0.4" },
	    { DNS_TYPE_AAAA, 120, "2001:db8::a" },
	    { DNS_TYPE_AAAA, 90, "2001:db8::b" } } },
	{ "alias.test", DZ_FOLLOW, { { DNS_TYPE_CNAME, 20, "hosts.test" } } },
	{ "v6only.test", 0, { { DNS_TYPE_AAAA, 50, "2001:db8::6" } } },
	{ "ns.test", 0,
	  { { DNS_TYPE_NS, 7200, "ns1@" }, { DNS_TYPE_NS, 86400, "ns2.example.net" } } },
	{ "4.3.2.1.in-addr.arpa", 0, { { DNS_TYPE_PTR, 900, "host.ptr.test" } } },
	{ "secure.test", DZ_AA | DZ_AD, { { DNS_TYPE_A, 30, "127.0.0.5" } } },
	{ "nodata.test", 0, { { 0 } } },
	{ "*.nodata.test", 0, { { 0 } } },
	{ "nx.test", DZ_NXDOMAIN, { { 0 } } },
	{ "servfail.test", DZ_SERVFAIL, { { 0 } } },
	{ "refused.test", DZ_REFUSED, { { 0 } } },
	{ "formerr.test", DZ_FORMERR, { { 0 } } },
	{ "silent.test", DZ_SILENT, { { 0 } } },
	{ "*.silent.test", DZ_SILENT, { { 0 } } },
	{ "big.test", DZ_TC | DZ_BIG, { { 0 } } },
	{ "wrongq.test", DZ_WRONGQ, { { DNS_TYPE_A, 5, "127.0.0.8" } } },
	{ "bad.test", DZ_BAD, { { DNS_TYPE_MX, 5, "10 mx@" }, { DNS_TYPE_A, 5, "127.0.0.9" } } },
};

/* ---- helpers ------------------------------------------------------------ */

static struct dnsserver *start_server(int family, const struct dz_name *z, size_t nz,
				      int batch_ms)
{
	struct dnsserver_params p = { .family = family, .zone = z, .nzone = nz,
				      .batch_ms = batch_ms };

	return dnsserver_start(&p);
}

static struct resolver *new_resolver(const char *servers, const struct deadline *d, bool tcp)
{
	struct resolver_params p = { .deadline = d, .servers = servers, .tcp = tcp };
	struct fail f = { 0 };
	struct resolver *r = resolver_new(&p, &f);

	ck_assert_msg(r != NULL, "resolver_new(%s): %s", servers, f.text);
	return r;
}

static void ck_contains(const char *text, const char *part)
{
	ck_assert_msg(strstr(text, part) != NULL, "'%s' lacks '%s'", text, part);
}

static char *fmt(const struct sockaddr_storage *ss, bool with_port)
{
	static char buf[4][ADDR_TEXT_MAX];
	static int next;
	char *b = buf[next++ % 4];

	addr_format((const struct sockaddr *)ss, with_port, b, sizeof(buf[0]));
	return b;
}

/* A list as "a, b, c" (with ports), or "-" for none. */
static void list_text(const struct addr_list *l, char *buf, size_t len)
{
	size_t used = 0;

	snprintf(buf, len, "-");
	for (size_t i = 0; l != NULL && i < l->n && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "",
					 fmt(&l->addr[i], true));
}

/* What one callback got, and how often it was called. */
struct got {
	int calls;
	enum resolve_status status;
	struct addr_list *addrs;
	struct dns_reply *reply;
	struct fail fail;
};

static void got_host(void *ctx, enum resolve_status s, struct addr_list *addrs,
		     const struct fail *f)
{
	struct got *g = ctx;

	g->calls++;
	g->status = s;
	addr_list_free(g->addrs);
	g->addrs = addrs;
	if (f != NULL)
		g->fail = *f;
}

static void got_query(void *ctx, enum resolve_status s, struct dns_reply *reply,
		      const struct fail *f)
{
	struct got *g = ctx;

	g->calls++;
	g->status = s;
	dns_reply_free(g->reply);
	g->reply = reply;
	if (f != NULL)
		g->fail = *f;
}

static void got_free(struct got *g, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		addr_list_free(g[i].addrs);
		dns_reply_free(g[i].reply);
	}
	free(g);
}

/* The one record data of an answer ("10.1.0.0"), "" when not one. */
static void only_data(const struct dns_reply *rep, char *buf, size_t len)
{
	struct dns_record *rr;
	size_t n;

	buf[0] = '\0';
	if (rep == NULL || dns_msg_records(rep->raw, rep->len, &rr, &n) < 0)
		return;
	if (n == 1)
		snprintf(buf, len, "%s", rr[0].data);
	dns_records_free(rr, n);
}

/* ---- a batch of names --------------------------------------------------- */

/* The i-th name of a batch is, by i % 5: a name with one address
 * (10.1.i/256.i%256), a name that does not exist, a name without
 * addresses, an IPv4 literal, an IPv6 literal. */
#define BATCH_MAX 300

enum batch_kind { B_FOUND, B_NX, B_NODATA, B_LIT4, B_LIT6 };

static enum batch_kind batch_kind(size_t i)
{
	return (enum batch_kind)(i % 5);
}

static void batch_name(size_t i, char *buf, size_t len)
{
	switch (batch_kind(i)) {
	case B_FOUND:
		snprintf(buf, len, "h%03zu.batch.test", i);
		break;
	case B_NX:
		snprintf(buf, len, "x%03zu.batch.test", i);
		break;
	case B_NODATA:
		snprintf(buf, len, "n%03zu.nodata.test", i);
		break;
	case B_LIT4:
		snprintf(buf, len, "192.0.2.%zu", i % 256);
		break;
	case B_LIT6:
		snprintf(buf, len, "2001:db8::%zx", i);
		break;
	}
}

static void batch_addr(size_t i, char *buf, size_t len)
{
	snprintf(buf, len, "10.1.%zu.%zu", i / 256, i % 256);
}

/* The result a batch name must get: status and address text with port
 * (or part of the message). */
static enum resolve_status batch_want(size_t i, int port, char *buf, size_t len)
{
	char a[64];

	switch (batch_kind(i)) {
	case B_FOUND:
		batch_addr(i, a, sizeof(a));
		snprintf(buf, len, "%s:%d", a, port);
		return RESOLVE_OK;
	case B_NX:
		batch_name(i, a, sizeof(a));
		snprintf(buf, len, "%s: no such domain (NXDOMAIN from ", a);
		return RESOLVE_NXDOMAIN;
	case B_NODATA:
		batch_name(i, a, sizeof(a));
		snprintf(buf, len, "%s: ", a);
		return RESOLVE_NODATA;
	case B_LIT4:
		snprintf(buf, len, "192.0.2.%zu:%d", i % 256, port);
		return RESOLVE_OK;
	case B_LIT6:
	default:
		snprintf(buf, len, "[2001:db8::%zx]:%d", i, port);
		return RESOLVE_OK;
	}
}

/* The zone and the batch's names with an address. */
static char batch_names[BATCH_MAX][32], batch_addrs[BATCH_MAX][16];

static struct dnsserver *start_batch_server(int batch_ms)
{
	struct dz_name *z = calloc(N_OF(zone) + BATCH_MAX, sizeof(*z));
	struct dnsserver *s;
	size_t n = N_OF(zone);

	ck_assert_ptr_nonnull(z);
	memcpy(z, zone, sizeof(zone));
	for (size_t i = 0; i < BATCH_MAX; i++) {
		if (batch_kind(i) != B_FOUND)
			continue;
		batch_name(i, batch_names[i], sizeof(batch_names[i]));
		batch_addr(i, batch_addrs[i], sizeof(batch_addrs[i]));
		z[n].name = batch_names[i];
		z[n].rr[0] = (struct dz_rr){ DNS_TYPE_A, 60, batch_addrs[i] };
		n++;
	}
	s = start_server(AF_INET, z, n, batch_ms);
	free(z); /* the child has its copy */
	return s;
}

/* Checks result r of batch name i. */
static void check_batch_result(size_t i, int port, enum resolve_status s,
			       const struct addr_list *l, const struct fail *f)
{
	char want[128], got[256];
	enum resolve_status ws = batch_want(i, port, want, sizeof(want));

	list_text(l, got, sizeof(got));
	ck_assert_msg(s == ws, "name %zu: status %d (%s), want %d", i, s,
		      s == RESOLVE_OK ? got : f->text, ws);
	if (ws == RESOLVE_OK) {
		ck_assert_msg(strcmp(got, want) == 0, "name %zu: %s, want %s", i, got, want);
	} else {
		ck_assert_ptr_null(l);
		ck_assert_int_eq(f->cls, FAIL_DNS);
		ck_contains(f->text, want);
	}
}

/* ---- pure functions ----------------------------------------------------- */

/* addr_format as resolve's messages use it (truncation, no port). */
static const struct format_case {
	int family;
	const char *addr;
	int port;
	bool with_port;
	size_t buflen;
	const char *want;
} format_cases[] = {
	{ AF_INET, "192.0.2.7", 25, true, 64, "192.0.2.7:25" },
	{ AF_INET, "192.0.2.7", 25, false, 64, "192.0.2.7" },
	{ AF_INET, "0.0.0.0", 0, true, 64, "0.0.0.0:0" },
	{ AF_INET6, "2001:db8::1", 5353, true, 64, "[2001:db8::1]:5353" },
	{ AF_INET6, "2001:db8::1", 5353, false, 64, "2001:db8::1" },
	{ AF_INET6, "::1", 65535, true, 64, "[::1]:65535" },
	{ AF_INET6, "::ffff:192.0.2.1", 110, true, 64, "[::ffff:192.0.2.1]:110" },
	{ AF_INET6, "2001:db8::1", 5353, true, 8, "[2001:d" },
	{ AF_UNIX, NULL, 0, true, 64, "(address family 1)" },
};

START_TEST(test_addr_format)
{
	const struct format_case *c = &format_cases[_i];
	struct sockaddr_storage ss;
	char buf[64];

	memset(&ss, 0, sizeof(ss));
	ss.ss_family = (sa_family_t)c->family;
	if (c->family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;

		inet_pton(AF_INET, c->addr, &in->sin_addr);
		in->sin_port = htons((uint16_t)c->port);
	} else if (c->family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

		inet_pton(AF_INET6, c->addr, &in6->sin6_addr);
		in6->sin6_port = htons((uint16_t)c->port);
	}
	addr_format((struct sockaddr *)&ss, c->with_port, buf, c->buflen);
	ck_assert_str_eq(buf, c->want);
}
END_TEST

static const struct status_case {
	int status;
	const char *want;
} status_cases[] = {
	{ RESOLVE_OK, "ok" },
	{ RESOLVE_NXDOMAIN, "no such domain" },
	{ RESOLVE_NODATA, "no records of that type" },
	{ RESOLVE_SERVFAIL, "server failure" },
	{ RESOLVE_REFUSED, "query refused" },
	{ RESOLVE_TIMEOUT, "timed out" },
	{ RESOLVE_ERROR, "lookup failed" },
	{ RESOLVE_LAST, "lookup failed" },
	{ -1, "lookup failed" },
	{ 1000, "lookup failed" },
};

START_TEST(test_status_text)
{
	const struct status_case *c = &status_cases[_i];

	ck_assert_str_eq(resolve_status_text((enum resolve_status)c->status), c->want);
}
END_TEST

/* ---- server lists ------------------------------------------------------- */

#define SIXTEEN "127.0.0.1,127.0.0.2,127.0.0.3,127.0.0.4,127.0.0.5,127.0.0.6,127.0.0.7," \
		"127.0.0.8,127.0.0.9,127.0.0.10,127.0.0.11,127.0.0.12,127.0.0.13,127.0.0.14," \
		"127.0.0.15,127.0.0.16"

/* resolver_check_servers and resolver_new take the same lists: valid
 * ones as shown, bad ones refused with a message naming the bad entry. */
static const struct servers_case {
	const char *in;
	const char *shown; /* resolver_servers; NULL: refused */
	const char *why;   /* part of the message when refused */
} servers_cases[] = {
	{ "127.0.0.1", "127.0.0.1:53", NULL },
	{ "127.0.0.1:5353", "127.0.0.1:5353", NULL },
	{ "::1", "[::1]:53", NULL },
	{ "[::1]:5353", "[::1]:5353", NULL },
	{ "[::1]", "[::1]:53", NULL },
	{ "2001:db8::1", "[2001:db8::1]:53", NULL },
	{ "[2001:db8::1]:5353", "[2001:db8::1]:5353", NULL },
	{ "127.0.0.1:53,[::1]:5353", "127.0.0.1:53, [::1]:5353", NULL },
	{ "192.0.2.1:1,192.0.2.2:65535,", "192.0.2.1:1, 192.0.2.2:65535", NULL },
	{ "1.2.3.4:053", "1.2.3.4:53", NULL },
	{ SIXTEEN, "127.0.0.1:53, 127.0.0.2:53, 127.0.0.3:53, 127.0.0.4:53, 127.0.0.5:53, "
		   "127.0.0.6:53, 127.0.0.7:53, 127.0.0.8:53, 127.0.0.9:53, 127.0.0.10:53, "
		   "127.0.0.11:53, 127.0.0.12:53, 127.0.0.13:53, 127.0.0.14:53, 127.0.0.15:53, "
		   "127.0.0.16:53", NULL },
	/* not an address */
	{ "abc", NULL, "'abc' is not a DNS server address" },
	{ "300.1.1.1", NULL, "'300.1.1.1'" },
	{ "example.net:53", NULL, "'example.net:53'" },
	{ "127.0.0.1:53,abc", NULL, "'abc'" },
	{ "127.0.0.1 ", NULL, "'127.0.0.1 '" },
	{ " 127.0.0.1", NULL, "' 127.0.0.1'" },
	{ "[fe80::1%lo]:53", NULL, "'[fe80::1%lo]:53'" },
	/* bad ports */
	{ "1.2.3.4:0", NULL, "'1.2.3.4:0'" },
	{ "1.2.3.4:70000", NULL, "'1.2.3.4:70000'" },
	{ "1.2.3.4:", NULL, "'1.2.3.4:'" },
	{ "1.2.3.4:+53", NULL, "'1.2.3.4:+53'" },
	{ "1.2.3.4:-1", NULL, "'1.2.3.4:-1'" },
	{ "1.2.3.4:53x", NULL, "'1.2.3.4:53x'" },
	{ "1.2.3.4: 53", NULL, "'1.2.3.4: 53'" },
	{ "1.2.3.4:999999999999999999999", NULL, "'1.2.3.4:999999999999999999999'" },
	{ "[::1]:", NULL, "'[::1]:'" },
	{ "[::1]:65536", NULL, "'[::1]:65536'" },
	/* IPv6 brackets */
	{ "[::1", NULL, "'[::1'" },
	{ "::1]", NULL, "'::1]'" },
	{ "[::1]x", NULL, "'[::1]x'" },
	{ "[[::1]]:53", NULL, "'[[::1]]:53'" },
	{ "[]:53", NULL, "'[]:53'" },
	{ "[1.2.3.4:53", NULL, "'[1.2.3.4:53'" },
	{ "[::1]:53]", NULL, "'[::1]:53]'" },
	/* nothing, empty items, too many */
	{ "", NULL, "no DNS server given" },
	{ ",", NULL, "''" },
	{ "127.0.0.1,,127.0.0.2", NULL, "''" },
	{ SIXTEEN ",127.0.0.17", NULL, "too many DNS servers (at most 16)" },
};

START_TEST(test_servers)
{
	const struct servers_case *c = &servers_cases[_i];
	struct deadline d;
	struct resolver_params p = { .deadline = &d, .servers = c->in };
	struct fail f = { 0 };
	struct resolver *r;
	char err[256] = "";
	int rc;

	deadline_start(&d, BUDGET_MS);
	rc = resolver_check_servers(c->in, err, sizeof(err));
	r = resolver_new(&p, &f);
	if (c->shown != NULL) {
		ck_assert_msg(rc == 0, "'%s' refused: %s", c->in, err);
		ck_assert_msg(r != NULL, "'%s' refused: %s", c->in, f.text);
		ck_assert_str_eq(resolver_servers(r), c->shown);
		resolver_free(r);
		return;
	}
	ck_assert_msg(rc == -1, "'%s' accepted", c->in);
	ck_assert_msg(r == NULL, "'%s' accepted by resolver_new", c->in);
	ck_contains(err, c->why);
	ck_assert_int_eq(f.cls, FAIL_INTERNAL);
	ck_assert_str_eq(f.text, err);
}
END_TEST

/* resolver_params.family keeps the servers of one family. */
static const struct family_case {
	const char *servers;
	int family;
	const char *shown; /* NULL: refused */
	const char *why;
} family_cases[] = {
	{ "127.0.0.1:53,[::1]:5353,127.0.0.2", AF_INET6, "[::1]:5353", NULL },
	{ "127.0.0.1:53,[::1]:5353,127.0.0.2", AF_INET, "127.0.0.1:53, 127.0.0.2:53", NULL },
	{ "127.0.0.1:53,[::1]:5353,127.0.0.2", AF_UNSPEC,
	  "127.0.0.1:53, [::1]:5353, 127.0.0.2:53", NULL },
	{ "[::1]:5353,127.0.0.2", AF_INET, "127.0.0.2:53", NULL },
	{ "127.0.0.1:53", AF_INET6, NULL, "no IPv6 server in '127.0.0.1:53'" },
	{ "[::1],[::2]", AF_INET, NULL, "no IPv4 server in '[::1],[::2]'" },
};

START_TEST(test_servers_family)
{
	const struct family_case *c = &family_cases[_i];
	struct deadline d;
	struct resolver_params p = { .deadline = &d, .servers = c->servers, .family = c->family };
	struct fail f = { 0 };
	struct resolver *r;

	deadline_start(&d, BUDGET_MS);
	r = resolver_new(&p, &f);
	if (c->shown != NULL) {
		ck_assert_msg(r != NULL, "%s: %s", c->servers, f.text);
		ck_assert_str_eq(resolver_servers(r), c->shown);
		resolver_free(r);
		return;
	}
	ck_assert_ptr_null(r);
	ck_assert_int_eq(f.cls, FAIL_INTERNAL);
	ck_assert_str_eq(f.text, c->why);
}
END_TEST

/* ---- lookups against the test's server ---------------------------------- */

static struct dnsserver *srv;

static void srv_setup(void)
{
	srv = start_server(AF_INET, zone, N_OF(zone), 0);
}

static void srv_teardown(void)
{
	dnsserver_stop_all();
	srv = NULL;
}

static const struct host_case {
	const char *host;
	int family;
	int port;
	const char *v4, *v6; /* the addresses of each family, in order */
} host_cases[] = {
	{ "hosts.test", AF_INET, 25, "127.0.0.2:25, 127.0.0.3:25, 127.0.0.4:25", "-" },
	{ "hosts.test", AF_INET6, 25, "-", "[2001:db8::a]:25, [2001:db8::b]:25" },
	{ "hosts.test", AF_UNSPEC, 110, "127.0.0.2:110, 127.0.0.3:110, 127.0.0.4:110",
	  "[2001:db8::a]:110, [2001:db8::b]:110" },
	{ "HOSTS.Test", AF_INET, 1, "127.0.0.2:1, 127.0.0.3:1, 127.0.0.4:1", "-" },
	{ "alias.test", AF_INET, 25, "127.0.0.2:25, 127.0.0.3:25, 127.0.0.4:25", "-" },
	{ "alias.test", AF_INET6, 587, "-", "[2001:db8::a]:587, [2001:db8::b]:587" },
	{ "v6only.test", AF_UNSPEC, 1, "-", "[2001:db8::6]:1" },
	{ "secure.test", AF_INET, 0, "127.0.0.5:0", "-" },
};

START_TEST(test_host)
{
	const struct host_case *c = &host_cases[_i];
	struct deadline d;
	struct resolver *r;
	struct addr_list *l = NULL, *fam[2];
	struct fail f = { 0 };
	char got[2][256];

	deadline_start(&d, BUDGET_MS);
	r = new_resolver(dnsserver_servers(srv), &d, false);
	ck_assert_msg(resolve_host(r, c->host, c->family, c->port, &l, &f) == RESOLVE_OK, "%s: %s",
		      c->host, f.text);
	ck_assert_ptr_nonnull(l);
	fam[0] = addr_list_new(4);
	fam[1] = addr_list_new(4);
	for (size_t k = 0; k < l->n; k++) {
		bool v6 = l->addr[k].ss_family == AF_INET6;

		ck_assert_uint_eq(l->len[k], v6 ? sizeof(struct sockaddr_in6)
						: sizeof(struct sockaddr_in));
		ck_assert_int_eq(addr_list_add(fam[v6], (struct sockaddr *)&l->addr[k], l->len[k]),
				 0);
	}
	list_text(fam[0]->n ? fam[0] : NULL, got[0], sizeof(got[0]));
	list_text(fam[1]->n ? fam[1] : NULL, got[1], sizeof(got[1]));
	ck_assert_str_eq(got[0], c->v4);
	ck_assert_str_eq(got[1], c->v6);
	addr_list_free(fam[0]);
	addr_list_free(fam[1]);
	addr_list_free(l);
	resolver_free(r);
	ck_assert_int_ge(dnsserver_asked(srv, c->host, 0), 1);
	ck_assert_int_eq(dnsserver_asked(srv, c->host, DNS_TYPE_A), c->family != AF_INET6);
	ck_assert_int_eq(dnsserver_asked(srv, c->host, DNS_TYPE_AAAA), c->family != AF_INET);
}
END_TEST

static const struct host_error_case {
	const char *host;
	int family;
	enum resolve_status want;
	const char *text; /* the server follows it */
} host_error_cases[] = {
	{ "nx.test", AF_UNSPEC, RESOLVE_NXDOMAIN, "nx.test: no such domain (NXDOMAIN from " },
	{ "nx.test", AF_INET, RESOLVE_NXDOMAIN, "nx.test: no such domain (NXDOMAIN from " },
	{ "unknown.test", AF_INET6, RESOLVE_NXDOMAIN,
	  "unknown.test: no such domain (NXDOMAIN from " },
	{ "nodata.test", AF_UNSPEC, RESOLVE_NODATA, "nodata.test: " },
	{ "nodata.test", AF_INET6, RESOLVE_NODATA, "nodata.test: " },
	{ "v6only.test", AF_INET, RESOLVE_NODATA, "v6only.test: " },
	{ "mx.test", AF_UNSPEC, RESOLVE_NODATA, "mx.test: " },
	{ "servfail.test", AF_INET, RESOLVE_SERVFAIL,
	  "servfail.test: server failure (SERVFAIL from " },
	{ "refused.test", AF_INET6, RESOLVE_REFUSED, "refused.test: query refused (REFUSED from " },
	{ "bad.test", AF_INET, RESOLVE_ERROR, "bad.test: malformed reply from " },
};

START_TEST(test_host_errors)
{
	const struct host_error_case *c = &host_error_cases[_i];
	struct deadline d;
	struct resolver *r;
	struct addr_list *l = (struct addr_list *)&l;
	struct fail f = { 0 };
	enum resolve_status s;

	deadline_start(&d, BUDGET_MS);
	r = new_resolver(dnsserver_servers(srv), &d, false);
	s = resolve_host(r, c->host, c->family, 25, &l, &f);
	ck_assert_msg(s == c->want, "%s: status %d (%s), want %d", c->host, s, f.text, c->want);
	ck_assert_ptr_null(l);
	ck_assert_int_eq(f.cls, FAIL_DNS);
	ck_contains(f.text, c->text);
	ck_contains(f.text, dnsserver_servers(srv));
	ck_assert(!deadline_expired(&d));
	resolver_free(r);
}
END_TEST

/* IP literals and localhost (from /etc/hosts) send no query at all; an
 * IP literal of the other family fails at once. */
static const struct no_dns_case {
	const char *host;
	int family;
	enum resolve_status status;
	const char *want; /* the first address, or part of the message */
} no_dns_cases[] = {
	{ "127.0.0.1", AF_UNSPEC, RESOLVE_OK, "127.0.0.1:8080" },
	{ "127.0.0.1", AF_INET, RESOLVE_OK, "127.0.0.1:8080" },
	{ "192.0.2.55", AF_UNSPEC, RESOLVE_OK, "192.0.2.55:8080" },
	{ "::1", AF_UNSPEC, RESOLVE_OK, "[::1]:8080" },
	{ "::1", AF_INET6, RESOLVE_OK, "[::1]:8080" },
	{ "2001:db8::7", AF_INET6, RESOLVE_OK, "[2001:db8::7]:8080" },
	{ "::ffff:192.0.2.1", AF_UNSPEC, RESOLVE_OK, "[::ffff:192.0.2.1]:8080" },
	{ "fe80::1%lo", AF_INET6, RESOLVE_OK, "[fe80::1]:8080" },
	{ "localhost", AF_INET, RESOLVE_OK, "127.0.0.1:8080" },
	{ "localhost", AF_UNSPEC, RESOLVE_OK, "127.0.0.1:8080" },
	{ "127.0.0.1", AF_INET6, RESOLVE_NODATA, "127.0.0.1: no IPv6 address (it is an IPv4" },
	{ "::1", AF_INET, RESOLVE_NODATA, "::1: no IPv4 address (it is an IPv6" },
	{ "", AF_UNSPEC, RESOLVE_ERROR, "no host name given" },
};

START_TEST(test_host_no_dns)
{
	const struct no_dns_case *c = &no_dns_cases[_i];
	struct deadline d;
	struct resolver *r;
	struct addr_list *l = (struct addr_list *)&l;
	struct fail f = { 0 };
	enum resolve_status s;

	deadline_start(&d, BUDGET_MS);
	r = new_resolver(dnsserver_servers(srv), &d, false);
	s = resolve_host(r, c->host, c->family, 8080, &l, &f);
	ck_assert_msg(s == c->status, "'%s': status %d (%s)", c->host, s, f.text);
	if (s == RESOLVE_OK) {
		ck_assert_uint_ge(l->n, 1);
		ck_assert_str_eq(fmt(&l->addr[0], true), c->want);
		if (strchr(c->host, '%') != NULL)
			ck_assert_uint_eq(((struct sockaddr_in6 *)&l->addr[0])->sin6_scope_id,
					  if_nametoindex("lo"));
		addr_list_free(l);
	} else {
		ck_assert_ptr_null(l);
		ck_assert_int_eq(f.cls, FAIL_DNS);
		ck_contains(f.text, c->want);
	}
	ck_assert_msg(dnsserver_queries(srv) == 0, "'%s' went to DNS", c->host);
	ck_assert(!deadline_expired(&d));
	resolver_free(r);
}
END_TEST

/* Queries answered: the header, the lowest TTL and the records as the
 * server sent them. */
static const struct query_case {
	const char *name;
	unsigned type;
	bool aa, ad;
	uint32_t min_ttl;
	size_t n;
	const char *records[6]; /* "OWNER TYPE DATA" */
} query_cases[] = {
	{ "mx.test", DNS_TYPE_MX, false, false, 300, 3,
	  { "mx.test 15 10 mx1.mx.test.", "mx.test 15 20 mx2.mx.test.",
	    "mx.test 15 30 backup.example.net." } },
	{ "MX.Test", DNS_TYPE_MX, false, false, 300, 3,
	  { "MX.Test 15 10 mx1.MX.Test.", "MX.Test 15 20 mx2.MX.Test.",
	    "MX.Test 15 30 backup.example.net." } },
	{ "nullmx.test", DNS_TYPE_MX, false, false, 100, 1, { "nullmx.test 15 0 ." } },
	{ "ns.test", DNS_TYPE_NS, false, false, 7200, 2,
	  { "ns.test 2 ns1.ns.test.", "ns.test 2 ns2.example.net." } },
	{ "4.3.2.1.in-addr.arpa", DNS_TYPE_PTR, false, false, 900, 1,
	  { "4.3.2.1.in-addr.arpa 12 host.ptr.test." } },
	{ "hosts.test", DNS_TYPE_A, false, false, 60, 3,
	  { "hosts.test 1 127.0.0.2", "hosts.test 1 127.0.0.3", "hosts.test 1 127.0.0.4" } },
	{ "hosts.test", DNS_TYPE_AAAA, false, false, 90, 2,
	  { "hosts.test 28 2001:db8::a", "hosts.test 28 2001:db8::b" } },
	{ "secure.test", DNS_TYPE_A, true, true, 30, 1, { "secure.test 1 127.0.0.5" } },
	{ "alias.test", DNS_TYPE_A, false, false, 20, 4,
	  { "alias.test 5 hosts.test.", "hosts.test 1 127.0.0.2", "hosts.test 1 127.0.0.3",
	    "hosts.test 1 127.0.0.4" } },
	{ "alias.test", DNS_TYPE_CNAME, false, false, 20, 1, { "alias.test 5 hosts.test." } },
};

START_TEST(test_query)
{
	const struct query_case *c = &query_cases[_i];
	struct deadline d;
	struct resolver *r;
	struct dns_reply *rep = NULL;
	struct fail f = { 0 };
	struct dns_record *rr;
	size_t n;

	deadline_start(&d, BUDGET_MS);
	r = new_resolver(dnsserver_servers(srv), &d, false);
	ck_assert_msg(resolve_query(r, c->name, c->type, &rep, &f) == RESOLVE_OK, "%s: %s",
		      c->name, f.text);
	ck_assert_ptr_nonnull(rep);
	ck_assert(rep->hdr.qr && rep->hdr.rd && rep->hdr.ra && !rep->hdr.tc);
	ck_assert(rep->hdr.aa == c->aa && rep->hdr.ad == c->ad);
	ck_assert_uint_eq(rep->hdr.rcode, 0);
	ck_assert_uint_eq(rep->hdr.ancount, c->n);
	ck_assert(rep->has_ttl);
	ck_assert_uint_eq(rep->min_ttl, c->min_ttl);
	ck_assert(rep->seconds >= 0 && rep->seconds < (double)BUDGET_MS / 1000);
	ck_assert(!rep->tcp);
	ck_assert_str_eq(rep->server, dnsserver_servers(srv));
	ck_assert_int_eq(dns_msg_records(rep->raw, rep->len, &rr, &n), 0);
	ck_assert_uint_eq(n, c->n);
	for (size_t i = 0; i < n; i++) {
		char got[256];

		snprintf(got, sizeof(got), "%s %u %s", rr[i].name, rr[i].type, rr[i].data);
		ck_assert_str_eq(got, c->records[i]);
	}
	dns_records_free(rr, n);
	dns_reply_free(rep);
	ck_assert_int_eq(dnsserver_asked(srv, c->name, c->type), 1);
	ck_assert_int_eq(dnsserver_queries(srv), 1);
	resolver_free(r);
}
END_TEST

static const struct query_error_case {
	const char *name;
	unsigned type;
	enum resolve_status want;
	bool reply; /* a reply comes with the status */
	unsigned rcode;
	const char *text;
} query_error_cases[] = {
	{ "nx.test", DNS_TYPE_MX, RESOLVE_NXDOMAIN, true, 3,
	  "nx.test: no such domain (NXDOMAIN from " },
	{ "unknown.test", DNS_TYPE_A, RESOLVE_NXDOMAIN, true, 3,
	  "unknown.test: no such domain (NXDOMAIN from " },
	{ "nodata.test", DNS_TYPE_MX, RESOLVE_NODATA, true, 0,
	  "nodata.test: the name has no records of that type (asked " },
	{ "mx.test", DNS_TYPE_A, RESOLVE_NODATA, true, 0, "mx.test: " },
	{ "servfail.test", DNS_TYPE_MX, RESOLVE_SERVFAIL, true, 2,
	  "servfail.test: server failure (SERVFAIL from " },
	{ "refused.test", DNS_TYPE_NS, RESOLVE_REFUSED, true, 5,
	  "refused.test: query refused (REFUSED from " },
	{ "formerr.test", DNS_TYPE_MX, RESOLVE_ERROR, true, 1,
	  "formerr.test: the server rejected the query as malformed (FORMERR from " },
	{ "bad.test", DNS_TYPE_MX, RESOLVE_ERROR, false, 0, "bad.test: malformed reply from " },
};

START_TEST(test_query_errors)
{
	const struct query_error_case *c = &query_error_cases[_i];
	struct deadline d;
	struct resolver *r;
	struct dns_reply *rep = (struct dns_reply *)&rep;
	struct fail f = { 0 };
	enum resolve_status s;

	deadline_start(&d, BUDGET_MS);
	r = new_resolver(dnsserver_servers(srv), &d, false);
	s = resolve_query(r, c->name, c->type, &rep, &f);
	ck_assert_msg(s == c->want, "%s: status %d (%s), want %d", c->name, s, f.text, c->want);
	ck_assert_int_eq(f.cls, FAIL_DNS);
	ck_contains(f.text, c->text);
	ck_contains(f.text, dnsserver_servers(srv));
	if (c->reply) {
		ck_assert_msg(rep != NULL, "%s: no reply", c->name);
		ck_assert_uint_eq(rep->hdr.rcode, c->rcode);
		ck_assert_uint_eq(rep->hdr.ancount, 0);
		ck_assert(rep->hdr.qr);
		ck_assert(!rep->has_ttl);
		dns_reply_free(rep);
	} else {
		ck_assert_ptr_null(rep);
	}
	ck_assert(!deadline_expired(&d));
	resolver_free(r);
}
END_TEST

/* A name that is not a name never reaches the server. */
START_TEST(test_query_bad_name)
{
	char longlabel[80];
	struct deadline d;
	struct resolver *r;
	struct dns_reply *rep;
	struct fail f = { 0 };

	memset(longlabel, 'a', 64);
	strcpy(longlabel + 64, ".test");
	deadline_start(&d, BUDGET_MS);
	r = new_resolver(dnsserver_servers(srv), &d, false);
	ck_assert_int_eq(resolve_query(r, longlabel, DNS_TYPE_MX, &rep, &f), RESOLVE_ERROR);
	ck_assert_ptr_null(rep);
	ck_assert_int_eq(f.cls, FAIL_DNS);
	ck_contains(f.text, longlabel);
	ck_contains(f.text, "not a valid domain name");
	ck_assert_int_eq(dnsserver_queries(srv), 0);
	ck_assert(!deadline_expired(&d));
	resolver_free(r);
}
END_TEST

/* How queries travel: UDP, TCP after a truncated answer, TCP only, the RD
 * and AD bits; what the server saw, and what the reply says. */
static const struct transport_case {
	const char *what;
	bool tcp, no_recursion, ad_bit; /* resolver_params */
	const char *name;
	unsigned type;                  /* 0: resolve_host AF_UNSPEC */
	enum resolve_status status;
	bool reply_tcp, reply_rd, reply_ad;
	size_t ancount;                 /* resolve_host: addresses */
	int seen_udp, seen_tcp, last_rd, last_ad; /* what the server saw */
} transport_cases[] = {
	{ "UDP", false, false, false, "mx.test", DNS_TYPE_MX, RESOLVE_OK,
	  false, true, false, 3, 1, 0, 1, 0 },
	{ "truncated, again over TCP", false, false, false, "big.test", DNS_TYPE_MX, RESOLVE_OK,
	  true, true, false, 40, 1, 1, 1, 0 },
	{ "TCP only", true, false, false, "mx.test", DNS_TYPE_MX, RESOLVE_OK,
	  true, true, false, 3, 0, 1, 1, 0 },
	{ "TCP only, NXDOMAIN", true, false, false, "nx.test", DNS_TYPE_MX, RESOLVE_NXDOMAIN,
	  true, true, false, 0, 0, 1, 1, 0 },
	{ "TCP only, host", true, false, false, "hosts.test", 0, RESOLVE_OK,
	  false, false, false, 5, 0, 2, 1, 0 },
	{ "no recursion", false, true, false, "mx.test", DNS_TYPE_MX, RESOLVE_OK,
	  false, false, false, 3, 1, 0, 0, 0 },
	{ "AD bit", false, false, true, "secure.test", DNS_TYPE_A, RESOLVE_OK,
	  false, true, true, 1, 1, 0, 1, 1 },
	{ "AD bit, NXDOMAIN", false, false, true, "nx.test", DNS_TYPE_MX, RESOLVE_NXDOMAIN,
	  false, true, false, 0, 1, 0, 1, 1 },
	{ "AD bit, NODATA", false, false, true, "mx.test", DNS_TYPE_PTR, RESOLVE_NODATA,
	  false, true, false, 0, 1, 0, 1, 1 },
	{ "AD bit, SERVFAIL", false, false, true, "servfail.test", DNS_TYPE_A, RESOLVE_SERVFAIL,
	  false, true, false, 0, 1, 0, 1, 1 },
	{ "AD bit, no recursion", false, true, true, "secure.test", DNS_TYPE_A, RESOLVE_OK,
	  false, false, true, 1, 1, 0, 0, 1 },
	{ "AD bit over TCP", true, false, true, "secure.test", DNS_TYPE_A, RESOLVE_OK,
	  true, true, true, 1, 0, 1, 1, 1 },
	{ "no AD bit", false, false, false, "secure.test", DNS_TYPE_A, RESOLVE_OK,
	  false, true, true, 1, 1, 0, 1, 0 },
};

START_TEST(test_transport)
{
	const struct transport_case *c = &transport_cases[_i];
	struct deadline d;
	struct resolver_params p = { .deadline = &d, .servers = dnsserver_servers(srv),
				     .tcp = c->tcp, .no_recursion = c->no_recursion,
				     .ad_bit = c->ad_bit };
	struct fail f = { 0 };
	struct resolver *r;
	struct dnsserver_stats st;
	enum resolve_status s;

	deadline_start(&d, BUDGET_MS);
	r = resolver_new(&p, &f);
	ck_assert_ptr_nonnull(r);
	if (c->type == 0) {
		struct addr_list *l = NULL;

		s = resolve_host(r, c->name, AF_UNSPEC, 25, &l, &f);
		ck_assert_msg(s == c->status, "%s: status %d (%s)", c->what, s, f.text);
		ck_assert_uint_eq(l->n, c->ancount);
		addr_list_free(l);
	} else {
		struct dns_reply *rep = NULL;

		s = resolve_query(r, c->name, c->type, &rep, &f);
		ck_assert_msg(s == c->status, "%s: status %d (%s)", c->what, s, f.text);
		ck_assert_ptr_nonnull(rep);
		ck_assert_msg(rep->tcp == c->reply_tcp, "%s: tcp %d", c->what, rep->tcp);
		ck_assert_msg(rep->hdr.rd == c->reply_rd, "%s: rd %d", c->what, rep->hdr.rd);
		ck_assert_msg(rep->hdr.ad == c->reply_ad, "%s: ad %d", c->what, rep->hdr.ad);
		ck_assert(!rep->hdr.tc);
		ck_assert_uint_eq(rep->hdr.ancount, c->ancount);
		ck_assert_str_eq(rep->server, dnsserver_servers(srv));
		dns_reply_free(rep);
	}
	st = dnsserver_stats(srv);
	ck_assert_msg(st.udp == c->seen_udp && st.tcp == c->seen_tcp,
		      "%s: udp %d tcp %d, want %d %d", c->what, st.udp, st.tcp, c->seen_udp,
		      c->seen_tcp);
	ck_assert_msg(st.last_rd == c->last_rd, "%s: RD %d", c->what, st.last_rd);
	ck_assert_msg(st.last_ad == c->last_ad, "%s: AD %d", c->what, st.last_ad);
	resolver_free(r);
}
END_TEST

/* A truncated UDP answer: c-ares asks again over TCP and gets all of it. */
START_TEST(test_truncated_then_tcp)
{
	struct deadline d;
	struct resolver *r;
	struct dns_reply *rep;
	struct fail f = { 0 };
	struct dns_mx *mx;
	size_t n;

	deadline_start(&d, BUDGET_MS);
	r = new_resolver(dnsserver_servers(srv), &d, false);
	ck_assert_int_eq(resolve_query(r, "big.test", DNS_TYPE_MX, &rep, &f), RESOLVE_OK);
	ck_assert(!rep->hdr.tc);
	ck_assert_uint_eq(rep->hdr.ancount, 40);
	ck_assert_uint_gt(rep->len, 512);
	ck_assert_uint_eq(rep->min_ttl, 1000);
	ck_assert_int_eq(dns_msg_mx(rep->raw, rep->len, &mx, &n), 0);
	ck_assert_uint_eq(n, 40);
	for (size_t i = 0; i < n; i++) {
		char want[32];

		snprintf(want, sizeof(want), "mx%02zu.big.test", i);
		ck_assert_uint_eq(mx[i].preference, i);
		ck_assert_str_eq(mx[i].host, want);
	}
	dns_mx_free(mx, n);
	dns_reply_free(rep);
	resolver_free(r);
}
END_TEST

/* A server that never answers: the lookup ends at the deadline, not later;
 * a second lookup on the spent deadline ends at once. */
static const int64_t timeout_budgets_ms[] = { -1 /* UNIT_DEADLINE_MS */, 50, 0 };

START_TEST(test_timeout)
{
	int64_t budget = timeout_budgets_ms[_i] < 0 ? UNIT_DEADLINE_MS : timeout_budgets_ms[_i];
	int64_t slack = UNIT_SLACK_MS * MS, done;
	struct deadline d;
	struct resolver *r;
	struct dns_reply *rep = (struct dns_reply *)&rep;
	struct addr_list *l = (struct addr_list *)&l;
	struct fail f = { 0 };
	char want[64];

	deadline_start(&d, budget);
	r = new_resolver(dnsserver_servers(srv), &d, false);
	ck_assert_int_eq(resolve_query(r, "silent.test", DNS_TYPE_MX, &rep, &f), RESOLVE_TIMEOUT);
	done = mono_now_ns();
	ck_assert_ptr_null(rep);
	ck_assert_int_ge(done, d.end_ns);
	ck_assert_msg(done - d.end_ns <= slack, "%lld ms late",
		      (long long)((done - d.end_ns) / MS));
	ck_assert_int_eq(f.cls, FAIL_TIMEOUT);
	snprintf(want, sizeof(want), "timed out after %g s", (double)budget / 1000);
	ck_contains(f.text, "silent.test: no answer from ");
	ck_contains(f.text, dnsserver_servers(srv));
	ck_contains(f.text, want);

	/* The same channel, the same spent deadline: at once. */
	memset(&f, 0, sizeof(f));
	ck_assert_int_eq(resolve_host(r, "a.silent.test", AF_UNSPEC, 25, &l, &f), RESOLVE_TIMEOUT);
	ck_assert_ptr_null(l);
	ck_assert_int_le(mono_now_ns() - done, slack);
	ck_assert_int_eq(f.cls, FAIL_TIMEOUT);
	ck_contains(f.text, "a.silent.test: no answer from ");
	ck_contains(f.text, want);
	resolver_free(r);
}
END_TEST

/* An answer to another question is not an answer: c-ares drops it, and
 * the lookup runs into the deadline. */
START_TEST(test_wrong_question)
{
	struct deadline d;
	struct resolver *r;
	struct dns_reply *rep;
	struct fail f = { 0 };

	deadline_start(&d, UNIT_DEADLINE_MS);
	r = new_resolver(dnsserver_servers(srv), &d, false);
	ck_assert_int_eq(resolve_query(r, "wrongq.test", DNS_TYPE_A, &rep, &f), RESOLVE_TIMEOUT);
	ck_assert_ptr_null(rep);
	ck_assert_int_eq(f.cls, FAIL_TIMEOUT);
	ck_assert_int_ge(dnsserver_asked(srv, "wrongq.test", DNS_TYPE_A), 1);
	resolver_free(r);
}
END_TEST

/* Two servers: the first never answers, the second does; the answer
 * arrives before the deadline.  Each lookup first waits out c-ares' try
 * timeout on the silent server, a quarter of the budget by resolve.c's
 * design; so that these waits do not add up, each lookup gets a budget of
 * its own, and three quarters of it (1.5 s) to spare. */
#define SECOND_SERVER_BUDGET_MS 2000

START_TEST(test_second_server)
{
	struct deadline d;
	struct resolver *r;
	struct dns_reply *rep;
	struct fail f = { 0 };
	struct addr_list *l;
	char list[128], want[200];
	int port, mute = dnsserver_mute(AF_INET, &port);

	ck_assert_int_ge(mute, 0);
	snprintf(list, sizeof(list), "127.0.0.1:%d,%s", port, dnsserver_servers(srv));
	deadline_start(&d, SECOND_SERVER_BUDGET_MS);
	r = new_resolver(list, &d, false);
	ck_assert_int_eq(resolve_query(r, "mx.test", DNS_TYPE_MX, &rep, &f), RESOLVE_OK);
	ck_assert_uint_eq(rep->hdr.ancount, 3);
	ck_assert_str_eq(rep->server, dnsserver_servers(srv));
	ck_assert(!deadline_expired(&d));
	dns_reply_free(rep);
	/* The message names the server that answered, not the list. */
	deadline_start(&d, SECOND_SERVER_BUDGET_MS);
	ck_assert_int_eq(resolve_query(r, "nx.test", DNS_TYPE_MX, &rep, &f), RESOLVE_NXDOMAIN);
	snprintf(want, sizeof(want), "nx.test: no such domain (NXDOMAIN from %s)",
		 dnsserver_servers(srv));
	ck_assert_str_eq(f.text, want);
	ck_assert(!deadline_expired(&d));
	dns_reply_free(rep);
	deadline_start(&d, SECOND_SERVER_BUDGET_MS);
	ck_assert_int_eq(resolve_host(r, "refused.test", AF_INET, 25, &l, &f), RESOLVE_REFUSED);
	snprintf(want, sizeof(want), "refused.test: query refused (REFUSED from %s)",
		 dnsserver_servers(srv));
	ck_assert_str_eq(f.text, want);
	ck_assert(!deadline_expired(&d));
	resolver_free(r);

	/* Nobody answers: the message lists every server asked. */
	deadline_start(&d, MESSAGE_ONLY_MS);
	r = new_resolver(list, &d, false);
	ck_assert_int_eq(resolve_query(r, "silent.test", DNS_TYPE_MX, &rep, &f), RESOLVE_TIMEOUT);
	snprintf(want, sizeof(want), "silent.test: no answer from 127.0.0.1:%d, %s, timed out after %g s",
		 port, dnsserver_servers(srv), (double)MESSAGE_ONLY_MS / 1000);
	ck_assert_str_eq(f.text, want);
	resolver_free(r);
	close(mute);
}
END_TEST

/* A port where nobody listens: refused at once, over UDP ([0]) and TCP
 * ([1]), long before the deadline. */
START_TEST(test_connection_refused)
{
	char list[32], want[96];
	struct deadline d;
	struct resolver *r;
	struct dns_reply *rep;
	struct fail f = { 0 };

	snprintf(list, sizeof(list), "127.0.0.1:%d", dnsserver_unused_port(AF_INET));
	deadline_start(&d, BUDGET_MS);
	r = new_resolver(list, &d, _i == 1);
	ck_assert_int_eq(resolve_query(r, "mx.test", DNS_TYPE_MX, &rep, &f), RESOLVE_ERROR);
	ck_assert_ptr_null(rep);
	snprintf(want, sizeof(want), "mx.test: connection refused by %s", list);
	ck_assert_str_eq(f.text, want);
	ck_assert_int_eq(f.cls, FAIL_DNS);
	ck_assert_int_gt(deadline_left_ms(&d), BUDGET_MS / 2);
	resolver_free(r);
}
END_TEST

/* ---- many lookups at once ----------------------------------------------- */

/* resolve_hosts: 300 names, found, NXDOMAIN, NODATA and literals mixed,
 * each with its own result. */
START_TEST(test_batch)
{
	struct dnsserver *s = start_batch_server(0);
	const char *hosts[BATCH_MAX];
	char names[BATCH_MAX][40];
	struct resolve_result *res = calloc(BATCH_MAX, sizeof(*res));
	struct deadline d;
	struct resolver *r;

	ck_assert_ptr_nonnull(res);
	for (size_t i = 0; i < BATCH_MAX; i++) {
		batch_name(i, names[i], sizeof(names[i]));
		hosts[i] = names[i];
	}
	deadline_start(&d, BUDGET_MS);
	r = new_resolver(dnsserver_servers(s), &d, false);
	resolve_hosts(r, hosts, BATCH_MAX, AF_UNSPEC, 25, res);
	ck_assert(!deadline_expired(&d));
	ck_assert_uint_eq(resolver_pending(r), 0);
	for (size_t i = 0; i < BATCH_MAX; i++) {
		check_batch_result(i, 25, res[i].status, res[i].addrs, &res[i].fail);
		/* Names asked for both families, literals not at all. */
		if (batch_kind(i) == B_LIT4 || batch_kind(i) == B_LIT6) {
			ck_assert_int_eq(dnsserver_asked(s, names[i], 0), 0);
		} else {
			ck_assert_int_ge(dnsserver_asked(s, names[i], DNS_TYPE_A), 1);
			ck_assert_int_ge(dnsserver_asked(s, names[i], DNS_TYPE_AAAA), 1);
		}
		addr_list_free(res[i].addrs);
	}
	free(res);
	resolver_free(r);
}
END_TEST

/* More lookups than c-ares gets at once: all of them complete, and the
 * server never holds more than INFLIGHT_MAX unanswered.  It answers in
 * batches (when no query came for a tenth of the deadline), so a resolver
 * that sent everything at once would show it with all 180 held. */
START_TEST(test_queue)
{
	int batch_ms = UNIT_DEADLINE_MS / 10;
	struct dnsserver *s = start_batch_server(batch_ms);
	struct got *g = calloc(BATCH_MAX, sizeof(*g));
	char names[BATCH_MAX][40];
	struct deadline d;
	struct resolver *r;
	struct dnsserver_stats st;
	size_t n = 0;

	ck_assert_ptr_nonnull(g);
	deadline_start(&d, BUDGET_MS);
	r = new_resolver(dnsserver_servers(s), &d, false);
	ck_assert_int_eq(resolver_next_ms(r), -1);
	/* Queries for even i, IPv4 host lookups for odd i: one query each. */
	for (size_t i = 0; i < BATCH_MAX; i++) {
		if (batch_kind(i) == B_LIT4 || batch_kind(i) == B_LIT6)
			continue;
		batch_name(i, names[i], sizeof(names[i]));
		if (i % 2 == 0)
			resolve_query_start(r, names[i], DNS_TYPE_A, got_query, &g[i]);
		else
			resolve_host_start(r, names[i], AF_INET, 25, got_host, &g[i]);
		n++;
	}
	ck_assert_uint_eq(n, 3 * BATCH_MAX / 5);
	ck_assert_uint_eq(resolver_pending(r), n);
	ck_assert(resolver_run(r));
	ck_assert_uint_eq(resolver_pending(r), 0);
	ck_assert_int_eq(resolver_next_ms(r), -1);
	for (size_t i = 0; i < BATCH_MAX; i++) {
		char data[64], want[128];
		enum resolve_status ws;

		if (batch_kind(i) == B_LIT4 || batch_kind(i) == B_LIT6)
			continue;
		ck_assert_int_eq(g[i].calls, 1);
		if (i % 2 == 1) {
			check_batch_result(i, 25, g[i].status, g[i].addrs, &g[i].fail);
			continue;
		}
		ws = batch_want(i, 25, want, sizeof(want));
		ck_assert_msg(g[i].status == ws, "%s: %s", names[i], g[i].fail.text);
		only_data(g[i].reply, data, sizeof(data));
		if (ws == RESOLVE_OK) {
			batch_addr(i, want, sizeof(want));
			ck_assert_str_eq(data, want);
		} else {
			ck_contains(g[i].fail.text, want);
		}
	}
	st = dnsserver_stats(s);
	ck_assert_int_ge(st.udp, (int)n);
	ck_assert_msg(st.held_max <= INFLIGHT_MAX + INFLIGHT_SLACK, "%d queries in flight",
		      st.held_max);
	/* ... and it did see many at once: the limit was what held them. */
	ck_assert_msg(st.held_max >= INFLIGHT_MAX / 2, "only %d queries in flight", st.held_max);
	got_free(g, BATCH_MAX);
	resolver_free(r);
}
END_TEST

/* The names the poll loop tests use: 60 of the batch, and queries. */
#define LOOP_NAMES 60

static const struct loop_query {
	const char *name;
	unsigned type;
	enum resolve_status status;
} loop_queries[] = {
	{ "mx.test", DNS_TYPE_MX, RESOLVE_OK },
	{ "ns.test", DNS_TYPE_NS, RESOLVE_OK },
	{ "nx.test", DNS_TYPE_MX, RESOLVE_NXDOMAIN },
	{ "nodata.test", DNS_TYPE_A, RESOLVE_NODATA },
	{ "servfail.test", DNS_TYPE_MX, RESOLVE_SERVFAIL },
	{ "big.test", DNS_TYPE_MX, RESOLVE_OK },
};

/* Starts the loop test's lookups into g (LOOP_NAMES hosts, then the
 * queries). */
static void start_loop_lookups(struct resolver *r, char (*names)[40], struct got *g)
{
	for (size_t i = 0; i < LOOP_NAMES; i++) {
		batch_name(i, names[i], 40);
		resolve_host_start(r, names[i], AF_UNSPEC, 443, got_host, &g[i]);
	}
	for (size_t i = 0; i < N_OF(loop_queries); i++)
		resolve_query_start(r, loop_queries[i].name, loop_queries[i].type, got_query,
				    &g[LOOP_NAMES + i]);
}

/* resolver_pollfds, resolver_next_ms and resolver_process driven from the
 * test's own poll loop, beside a socket of its own (as a many-host ICMP
 * check does), give what resolver_run gives; the resolver leaves the other
 * socket alone. */
START_TEST(test_own_poll_loop)
{
	size_t nlook = LOOP_NAMES + N_OF(loop_queries);
	struct dnsserver *s = start_batch_server(0);
	struct got *ran = calloc(nlook, sizeof(*ran)), *looped = calloc(nlook, sizeof(*looped));
	char names[LOOP_NAMES][40];
	struct deadline d;
	struct resolver *r;
	int sp[2], rounds = 0, other = 0;

	ck_assert(ran != NULL && looped != NULL);
	deadline_start(&d, BUDGET_MS);

	/* Once with resolver_run. */
	r = new_resolver(dnsserver_servers(s), &d, false);
	start_loop_lookups(r, names, ran);
	ck_assert(resolver_run(r));
	resolver_free(r);

	/* Once from our own loop. */
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sp), 0);
	ck_assert_int_eq(write(sp[1], "echo reply", 10), 10);
	r = new_resolver(dnsserver_servers(s), &d, false);
	ck_assert_int_eq(resolver_next_ms(r), -1);
	ck_assert_uint_eq(resolver_pollfds(r, NULL, 0), 0);
	start_loop_lookups(r, names, looped);
	while (resolver_pending(r) > 0) {
		struct pollfd pfd[1 + 32];
		int64_t next = resolver_next_ms(r);
		size_t n;
		int rc;

		ck_assert_int_ge(next, 0);
		pfd[0] = (struct pollfd){ .fd = sp[0], .events = POLLIN };
		n = resolver_pollfds(r, pfd + 1, N_OF(pfd) - 1);
		ck_assert_uint_ge(n, 1);
		for (size_t i = 1; i <= n; i++)
			ck_assert(pfd[i].fd >= 0 && (pfd[i].events & (POLLIN | POLLOUT)) != 0);
		rc = deadline_poll(&d, pfd, 1 + n, next);
		ck_assert_int_ge(rc, 0);
		if (rc == 0)
			for (size_t i = 0; i <= n; i++)
				pfd[i].revents = 0;
		/* The whole array: the resolver skips what is not its own. */
		resolver_process(r, pfd, 1 + n);
		if (pfd[0].revents & POLLIN) {
			char buf[16];

			ck_assert_int_eq(recv(sp[0], buf, sizeof(buf), MSG_DONTWAIT), 10);
			other++;
		}
		ck_assert(!deadline_expired(&d));
		rounds++;
	}
	ck_assert_int_eq(other, 1);
	ck_assert_int_gt(rounds, 1);
	ck_assert_int_eq(resolver_next_ms(r), -1);
	resolver_free(r);
	close(sp[0]);
	close(sp[1]);

	/* The same results, and the right ones. */
	for (size_t i = 0; i < nlook; i++) {
		char a[256], b[256];

		ck_assert_int_eq(ran[i].calls, 1);
		ck_assert_int_eq(looped[i].calls, 1);
		ck_assert_int_eq(looped[i].status, ran[i].status);
		ck_assert_str_eq(looped[i].fail.text, ran[i].fail.text);
		if (i < LOOP_NAMES) {
			check_batch_result(i, 443, looped[i].status, looped[i].addrs,
					   &looped[i].fail);
			list_text(ran[i].addrs, a, sizeof(a));
			list_text(looped[i].addrs, b, sizeof(b));
			ck_assert_str_eq(a, b);
		} else {
			const struct loop_query *q = &loop_queries[i - LOOP_NAMES];

			ck_assert_msg(looped[i].status == q->status, "%s: %s", q->name,
				      looped[i].fail.text);
			ck_assert(looped[i].reply != NULL && ran[i].reply != NULL);
			ck_assert_uint_eq(looped[i].reply->len, ran[i].reply->len);
			ck_assert_uint_eq(looped[i].reply->hdr.ancount, ran[i].reply->hdr.ancount);
			ck_assert(looped[i].reply->tcp == ran[i].reply->tcp);
		}
	}
	got_free(ran, nlook);
	got_free(looped, nlook);
}
END_TEST

/* The deadline ends every lookup, those c-ares has and those still
 * queued: 200 names a server never answers, driven by resolver_run ([0])
 * or by the caller's poll loop ([1]).  The run returns within the slack
 * of the deadline, every result is a timeout, and no queued lookup was
 * sent. */
#define SILENT_NAMES 200

START_TEST(test_deadline_ends_all)
{
	struct got *g = calloc(SILENT_NAMES, sizeof(*g));
	char names[SILENT_NAMES][40], want[64];
	struct deadline d;
	struct resolver *r;
	int64_t done;

	ck_assert_ptr_nonnull(g);
	deadline_start(&d, UNIT_DEADLINE_MS);
	r = new_resolver(dnsserver_servers(srv), &d, false);
	for (size_t i = 0; i < SILENT_NAMES; i++) {
		snprintf(names[i], sizeof(names[i]), "s%03zu.silent.test", i);
		if (i % 2 == 0)
			resolve_host_start(r, names[i], AF_UNSPEC, 25, got_host, &g[i]);
		else
			resolve_query_start(r, names[i], DNS_TYPE_MX, got_query, &g[i]);
	}
	ck_assert_uint_eq(resolver_pending(r), SILENT_NAMES);
	if (_i == 0) {
		ck_assert(!resolver_run(r));
	} else {
		while (resolver_pending(r) > 0) {
			struct pollfd pfd[64];
			size_t n = resolver_pollfds(r, pfd, N_OF(pfd));

			if (deadline_poll(&d, pfd, n, resolver_next_ms(r)) <= 0)
				for (size_t i = 0; i < n; i++)
					pfd[i].revents = 0;
			resolver_process(r, pfd, n);
			ck_assert_msg(mono_now_ns() - d.end_ns <= UNIT_SLACK_MS * MS,
				      "still pending after the deadline");
		}
	}
	done = mono_now_ns();
	ck_assert_int_ge(done, d.end_ns);
	ck_assert_msg(done - d.end_ns <= UNIT_SLACK_MS * MS, "%lld ms late",
		      (long long)((done - d.end_ns) / MS));
	ck_assert_uint_eq(resolver_pending(r), 0);
	snprintf(want, sizeof(want), "timed out after %g s", (double)UNIT_DEADLINE_MS / 1000);
	for (size_t i = 0; i < SILENT_NAMES; i++) {
		ck_assert_msg(g[i].calls == 1, "%s: %d calls", names[i], g[i].calls);
		ck_assert_msg(g[i].status == RESOLVE_TIMEOUT, "%s: status %d", names[i],
			      g[i].status);
		ck_assert_ptr_null(g[i].addrs);
		ck_assert_ptr_null(g[i].reply);
		ck_assert_int_eq(g[i].fail.cls, FAIL_TIMEOUT);
		ck_contains(g[i].fail.text, names[i]);
		ck_contains(g[i].fail.text, want);
	}
	/* The first ones went out long before the deadline; the queued ones
	 * never did. */
	ck_assert_int_ge(dnsserver_asked(srv, names[0], 0), 1);
	ck_assert_int_ge(dnsserver_asked(srv, names[INFLIGHT_MAX - 1], 0), 1);
	for (size_t i = INFLIGHT_MAX; i < SILENT_NAMES; i++)
		ck_assert_msg(dnsserver_asked(srv, names[i], 0) == 0, "%s was sent", names[i]);
	got_free(g, SILENT_NAMES);
	resolver_free(r);
}
END_TEST

/* resolver_free with lookups pending, in flight and queued: every
 * callback runs once, with RESOLVE_TIMEOUT (a literal's ran at once). */
START_TEST(test_free_pending)
{
	size_t n = SILENT_NAMES + 2;
	struct got *g = calloc(n, sizeof(*g));
	char names[SILENT_NAMES][40];
	struct deadline d;
	struct resolver *r;
	struct dns_reply *rep;
	struct fail f = { 0 };

	ck_assert_ptr_nonnull(g);
	deadline_start(&d, BUDGET_MS);
	r = new_resolver(dnsserver_servers(srv), &d, false);
	resolve_host_start(r, "192.0.2.1", AF_UNSPEC, 25, got_host, &g[SILENT_NAMES]);
	ck_assert_int_eq(g[SILENT_NAMES].calls, 1);
	ck_assert_int_eq(g[SILENT_NAMES].status, RESOLVE_OK);
	for (size_t i = 0; i < SILENT_NAMES; i++) {
		snprintf(names[i], sizeof(names[i]), "f%03zu.silent.test", i);
		if (i % 2 == 0)
			resolve_query_start(r, names[i], DNS_TYPE_A, got_query, &g[i]);
		else
			resolve_host_start(r, names[i], AF_INET, 25, got_host, &g[i]);
	}
	resolve_host_start(r, "::1", AF_UNSPEC, 25, got_host, &g[SILENT_NAMES + 1]);
	ck_assert_uint_eq(resolver_pending(r), SILENT_NAMES);
	resolver_free(r);
	for (size_t i = 0; i < SILENT_NAMES; i++) {
		ck_assert_msg(g[i].calls == 1, "%s: %d calls", names[i], g[i].calls);
		ck_assert_int_eq(g[i].status, RESOLVE_TIMEOUT);
		ck_assert_ptr_null(g[i].addrs);
		ck_assert_ptr_null(g[i].reply);
		ck_assert_int_eq(g[i].fail.cls, FAIL_TIMEOUT);
		ck_contains(g[i].fail.text, names[i]);
	}
	ck_assert_int_eq(g[SILENT_NAMES].calls, 1);
	ck_assert_int_eq(g[SILENT_NAMES + 1].calls, 1);
	ck_assert_int_eq(g[SILENT_NAMES + 1].status, RESOLVE_OK);
	ck_assert(!deadline_expired(&d));

	/* They were in flight: a query sent after them is answered, so the
	 * server has read what came before it. */
	r = new_resolver(dnsserver_servers(srv), &d, false);
	ck_assert_int_eq(resolve_query(r, "mx.test", DNS_TYPE_MX, &rep, &f), RESOLVE_OK);
	dns_reply_free(rep);
	resolver_free(r);
	ck_assert_int_eq(dnsserver_asked(srv, names[0], DNS_TYPE_A), 1);
	ck_assert_int_eq(dnsserver_asked(srv, names[INFLIGHT_MAX - 1], DNS_TYPE_A), 1);
	/* ... and what still waited its turn was never sent. */
	for (size_t i = INFLIGHT_MAX; i < SILENT_NAMES; i++)
		ck_assert_msg(dnsserver_asked(srv, names[i], 0) == 0, "%s was sent", names[i]);
	got_free(g, n);
}
END_TEST

/* ---- an IPv6 server on ::1 ---------------------------------------------- */

START_TEST(test_ipv6_server)
{
	struct dnsserver *s6 = start_server(AF_INET6, zone, N_OF(zone), 0);
	struct deadline d;
	struct resolver *r;
	struct dns_reply *rep;
	struct addr_list *l;
	struct fail f = { 0 };
	struct dnsserver_stats st;
	char want[160];

	if (s6 == NULL) {
		fprintf(stderr, "resolve: SKIP test_ipv6_server: cannot bind [::1]: %s\n",
			strerror(errno));
		return;
	}
	ck_assert(strncmp(dnsserver_servers(s6), "[::1]:", 6) == 0);
	for (int pass = 0; pass < 2; pass++) {
		deadline_start(&d, BUDGET_MS);
		r = new_resolver(dnsserver_servers(s6), &d, pass == 1);
		ck_assert_str_eq(resolver_servers(r), dnsserver_servers(s6));

		ck_assert_int_eq(resolve_query(r, "mx.test", DNS_TYPE_MX, &rep, &f), RESOLVE_OK);
		ck_assert_uint_eq(rep->hdr.ancount, 3);
		ck_assert_str_eq(rep->server, dnsserver_servers(s6));
		dns_reply_free(rep);

		ck_assert_int_eq(resolve_query(r, "nx.test", DNS_TYPE_MX, &rep, &f),
				 RESOLVE_NXDOMAIN);
		snprintf(want, sizeof(want), "nx.test: no such domain (NXDOMAIN from %s)",
			 dnsserver_servers(s6));
		ck_assert_str_eq(f.text, want);
		dns_reply_free(rep);

		ck_assert_int_eq(resolve_host(r, "hosts.test", AF_INET6, 443, &l, &f), RESOLVE_OK);
		ck_assert_uint_eq(l->n, 2);
		ck_assert_str_eq(fmt(&l->addr[0], true), "[2001:db8::a]:443");
		addr_list_free(l);
		resolver_free(r);
	}
	st = dnsserver_stats(s6);
	ck_assert_int_eq(st.udp, 3);
	ck_assert_int_eq(st.tcp, 3);

	/* Silent over IPv6 too: the message names the server and the budget. */
	deadline_start(&d, MESSAGE_ONLY_MS);
	r = new_resolver(dnsserver_servers(s6), &d, false);
	ck_assert_int_eq(resolve_query(r, "silent.test", DNS_TYPE_A, &rep, &f), RESOLVE_TIMEOUT);
	snprintf(want, sizeof(want), "silent.test: no answer from %s, timed out after %g s",
		 dnsserver_servers(s6), (double)MESSAGE_ONLY_MS / 1000);
	ck_assert_str_eq(f.text, want);
	resolver_free(r);
}
END_TEST

Suite *resolve_suite(void)
{
	Suite *s = suite_create("resolve");
	TCase *tc = tcase_create("pure");
	TCase *net = tcase_create("lookups");
	TCase *many = tcase_create("many");

	tcase_set_timeout(tc, UNIT_TIMEOUT);
	tcase_add_loop_test(tc, test_addr_format, 0, N(format_cases));
	tcase_add_loop_test(tc, test_status_text, 0, N(status_cases));
	tcase_add_loop_test(tc, test_servers, 0, N(servers_cases));
	tcase_add_loop_test(tc, test_servers_family, 0, N(family_cases));
	suite_add_tcase(s, tc);

	tcase_set_timeout(net, UNIT_TIMEOUT);
	tcase_add_checked_fixture(net, srv_setup, srv_teardown);
	tcase_add_loop_test(net, test_host, 0, N(host_cases));
	tcase_add_loop_test(net, test_host_errors, 0, N(host_error_cases));
	tcase_add_loop_test(net, test_host_no_dns, 0, N(no_dns_cases));
	tcase_add_loop_test(net, test_query, 0, N(query_cases));
	tcase_add_loop_test(net, test_query_errors, 0, N(query_error_cases));
	tcase_add_test(net, test_query_bad_name);
	tcase_add_loop_test(net, test_transport, 0, N(transport_cases));
	tcase_add_test(net, test_truncated_then_tcp);
	tcase_add_loop_test(net, test_timeout, 0, N(timeout_budgets_ms));
	tcase_add_test(net, test_wrong_question);
	tcase_add_test(net, test_second_server);
	tcase_add_loop_test(net, test_connection_refused, 0, 2);
	tcase_add_test(net, test_ipv6_server);
	suite_add_tcase(s, net);

	tcase_set_timeout(many, UNIT_TIMEOUT);
	tcase_add_checked_fixture(many, srv_setup, srv_teardown);
	tcase_add_test(many, test_batch);
	tcase_add_test(many, test_queue);
	tcase_add_test(many, test_own_poll_loop);
	tcase_add_loop_test(many, test_deadline_ends_all, 0, 2);
	tcase_add_test(many, test_free_pending);
	suite_add_tcase(s, many);
	return s;
}
