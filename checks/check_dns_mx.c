/* check_dns_mx: a domain's MX records checked the way mail delivery uses
 * them: the MX set (RFC 5321 5.1), null MX (RFC 7505), the address of each
 * mail exchanger, and optionally whether every name server of the domain
 * gives the same answer.  All lookups go through common/resolve (c-ares),
 * bounded by the one deadline of -t. */
#include <arpa/inet.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "deadline.h"
#include "fail.h"
#include "opts.h"
#include "output.h"
#include "range.h"
#include "resolve.h"
#include "result.h"

#define MAX_LIST 64      /* --expect hosts, --expect-preference, NS targets */
#define MAX_SERVERS 16   /* -s, --ns-address (common/resolve's limit) */
#define MAX_CNAME_HOPS 8 /* CNAMEs followed for an MX host's address */

enum {
	KEY_TCP = 256,
	KEY_NO_RECURSION,
	KEY_ALLOW_IMPLICIT,
	KEY_EXPECT_NULL,
	KEY_NO_RESOLVE,
	KEY_EXPECT,
	KEY_EXPECT_SUBSET,
	KEY_EXPECT_PREF,
	KEY_AUTHORITATIVE,
	KEY_MIN_TTL,
	KEY_REQUIRE_AD,
	KEY_ALL_SERVERS,
	KEY_NS_ADDRESS,
	KEY_NS_PORT,
};

struct pref_expect {
	char host[256]; /* lower case, no final dot */
	unsigned pref;
};

/* The plugin's own options. */
struct params {
	const char *domain;           /* -d (or -H) */
	char servers[1024];           /* -s, joined with commas; "" the system's */
	size_t nservers;
	bool tcp;                     /* --tcp: queries over TCP only */
	bool no_recursion;            /* --no-recursion: RD bit clear */
	bool allow_implicit;          /* --allow-implicit-mx */
	bool expect_null;             /* --expect-null-mx */
	bool no_resolve;              /* --no-resolve: MX hosts not looked up */
	char expect[MAX_LIST][256];   /* --expect hosts, normalised */
	size_t nexpect;
	bool has_expect;
	bool expect_subset;           /* --expect-subset: more MX allowed */
	struct pref_expect prefs[MAX_LIST]; /* --expect-preference */
	size_t nprefs;
	long min_mx;                  /* -m; 0: no minimum */
	bool authoritative;           /* --authoritative: AA bit required */
	long min_ttl;                 /* --min-ttl; -1: none */
	bool require_ad;              /* --require-ad: AD bit required */
	bool all_servers;             /* --all-servers */
	char ns_addrs[1024];          /* --ns-address, joined with commas */
	size_t nns_addrs;
	int ns_port;                  /* --ns-port: port of the NS addresses */
};

/* One MX host and what its lookup found. */
struct mxhost {
	unsigned pref;
	char host[256];     /* as answered, no final dot; "" the null MX */
	enum state st;
	char addrs[1024];   /* "127.0.0.1, ::1" */
	size_t naddr;
	char cname[256];    /* the first CNAME target, "" none */
	char note[640];     /* what is wrong, "" nothing */
	bool resolved;      /* its addresses were looked up */
	bool nxdomain;      /* the name (or its CNAME target) does not exist */
	char from[64];      /* the server of its last answer */
};

struct ctx {
	struct params p;
	struct common_opts co;
	struct deadline dl;
	struct result *res;
	struct resolver *r;
	/* The first problem of each state and how many there were, for the
	 * summary. */
	char first[STATE_LAST][640];
	unsigned count[STATE_LAST];
};

static const struct opt_spec extra[] = {
	{ "domain", 'd', "DOMAIN",
	  "The domain whose MX records to check (required; -H is the same).", "none" },
	{ "server", 's', "SERVER[:PORT]",
	  "DNS server to ask, IPv6 as [ADDR]:PORT; repeat for more (asked in order, the next "
	  "one when one fails).", "the system's resolvers (/etc/resolv.conf)" },
	{ "tcp", KEY_TCP, NULL,
	  "Ask over TCP only (otherwise UDP, and TCP again when an answer is truncated).", NULL },
	{ "no-recursion", KEY_NO_RECURSION, NULL,
	  "Clear the RD bit: ask for what the server itself holds.", NULL },
	{ "allow-implicit-mx", KEY_ALLOW_IMPLICIT, NULL,
	  "A domain without MX records but with an A or AAAA record is WARNING (mail falls "
	  "back to that address, RFC 5321 5.1) instead of CRITICAL.", NULL },
	{ "expect-null-mx", KEY_EXPECT_NULL, NULL,
	  "The domain must have a null MX (a single '0 .', RFC 7505: it accepts no mail); "
	  "that is then OK and anything else CRITICAL.", NULL },
	{ "no-resolve", KEY_NO_RESOLVE, NULL,
	  "Do not look up the addresses of the MX hosts.", NULL },
	{ "expect", KEY_EXPECT, "HOST[,HOST...]",
	  "The MX hosts must be exactly these (any order); CRITICAL otherwise.", "none" },
	{ "expect-subset", KEY_EXPECT_SUBSET, NULL,
	  "With --expect: the hosts named must be among the MX hosts, others are allowed.",
	  NULL },
	{ "expect-preference", KEY_EXPECT_PREF, "HOST=N",
	  "HOST must be an MX host with preference N; repeatable.", "none" },
	{ "min-mx", 'm', "N", "CRITICAL when there are fewer than N MX hosts.", "none" },
	{ "authoritative", KEY_AUTHORITATIVE, NULL,
	  "The MX answer must be authoritative (AA bit); CRITICAL otherwise.", NULL },
	{ "min-ttl", KEY_MIN_TTL, "SECONDS",
	  "WARNING when the lowest TTL of the MX records is below SECONDS (a unit may "
	  "follow: 1h).", "none" },
	{ "require-ad", KEY_REQUIRE_AD, NULL,
	  "The MX answer must be DNSSEC-validated (AD bit set by a validating resolver; the "
	  "query asks for it); CRITICAL otherwise.", NULL },
	{ "all-servers", KEY_ALL_SERVERS, NULL,
	  "Also look up the NS records of the domain (or of the zone above it), the "
	  "addresses of those name servers, and ask each address directly; CRITICAL unless "
	  "all give the same MX set and preferences.", NULL },
	{ "ns-address", KEY_NS_ADDRESS, "ADDR[:PORT]",
	  "With --all-servers: ask this server instead of the NS records' addresses; "
	  "repeat for more (implies --all-servers).", "none" },
	{ "ns-port", KEY_NS_PORT, "PORT",
	  "The port to ask the NS records' addresses on, for --all-servers.", "53" },
	{ NULL, 0, NULL, NULL, NULL },
};

static const struct plugin_info info = {
	.name = "check_dns_mx",
	.service = "DNS MX",
	.purpose = "Looks up a domain's MX records and the address of each mail exchanger, as "
		   "mail delivery does (RFC 5321 5.1, RFC 7505 null MX), with c-ares; "
		   "optionally asks every name server of the domain and compares.",
	.usage = "-d DOMAIN [-s SERVER[:PORT]]... [options]",
	.host_help = "The same as -d: the domain whose MX records to check.",
	.default_port = 0,
	.thr_what = "the time the MX query took",
	.thr_kind = UNIT_TIME,
	.thr_unit = "s",
	.extra = extra,
	.notes =
		"Verdicts: NXDOMAIN, SERVFAIL, REFUSED, a malformed answer or no MX records\n"
		"are CRITICAL; no answer before -t is the -t state.  A null MX is CRITICAL\n"
		"unless --expect-null-mx.  Each MX host is looked up (A and AAAA): a host\n"
		"without an address or that does not exist is CRITICAL, a host that is a\n"
		"CNAME (RFC 2181 10.3) or an IP address is WARNING.\n"
		"Perfdata: time (s, the MX query), mx (MX records), addresses (of all MX\n"
		"hosts together), ttl (s, the lowest TTL of the MX records); U when not\n"
		"measured.  -v adds the servers asked and every answer's records, -vv the\n"
		"time of the whole run.  -4/-6 choose the family of the DNS servers asked\n"
		"(of -s, the system's, and the NS addresses of --all-servers); MX hosts are\n"
		"always looked up for both A and AAAA.\n",
};

/* Host name for comparisons: lower case, final dot dropped. */
static void norm_host(const char *in, char *out, size_t len)
{
	size_t n = strlen(in);

	if (n > 0 && in[n - 1] == '.')
		n--;
	if (n >= len)
		n = len - 1;
	for (size_t i = 0; i < n; i++)
		out[i] = (char)((in[i] >= 'A' && in[i] <= 'Z') ? in[i] - 'A' + 'a' : in[i]);
	out[n] = '\0';
}

static bool valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 254 || s[0] == '.' || strstr(s, "..") != NULL)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= ' ' || c >= 0x7f || c == ',' || c == '|' || c == '=')
			return false;
	}
	return true;
}

/* Appends "ADDR[:PORT]" to a comma-joined server list, checked by
 * common/resolve's own parser. */
static int add_server(char *list, size_t len, size_t *n, const char *arg, char *err,
		      size_t errlen)
{
	struct deadline d;
	struct resolver_params rp = { .deadline = &d, .servers = arg };
	struct fail f = { 0 };
	struct resolver *r;
	size_t used = strlen(list);

	if (strchr(arg, ',') != NULL || arg[0] == '\0') {
		snprintf(err, errlen, "'%s' is not one DNS server address (ADDR, ADDR:PORT, [IPv6]:PORT)",
			 arg);
		return -1;
	}
	deadline_start(&d, 1000);
	r = resolver_new(&rp, &f);
	if (r == NULL) {
		snprintf(err, errlen, "%s", f.text);
		return -1;
	}
	resolver_free(r);
	if (*n >= MAX_SERVERS || used + strlen(arg) + 2 > len) {
		snprintf(err, errlen, "too many servers (at most %d)", MAX_SERVERS);
		return -1;
	}
	snprintf(list + used, len - used, "%s%s", used ? "," : "", arg);
	(*n)++;
	return 0;
}

static int handle(void *vctx, int key, const char *arg, char *err, size_t errlen)
{
	struct params *p = vctx;
	long v;
	double d;

	switch (key) {
	case 'd':
		if (!valid_name(arg)) {
			snprintf(err, errlen, "'%s' is not a domain name", arg);
			return -1;
		}
		p->domain = arg;
		return 0;
	case 's':
		return add_server(p->servers, sizeof(p->servers), &p->nservers, arg, err, errlen);
	case KEY_NS_ADDRESS:
		p->all_servers = true;
		return add_server(p->ns_addrs, sizeof(p->ns_addrs), &p->nns_addrs, arg, err,
				  errlen);
	case KEY_TCP: p->tcp = true; return 0;
	case KEY_NO_RECURSION: p->no_recursion = true; return 0;
	case KEY_ALLOW_IMPLICIT: p->allow_implicit = true; return 0;
	case KEY_EXPECT_NULL: p->expect_null = true; return 0;
	case KEY_NO_RESOLVE: p->no_resolve = true; return 0;
	case KEY_EXPECT_SUBSET: p->expect_subset = true; return 0;
	case KEY_AUTHORITATIVE: p->authoritative = true; return 0;
	case KEY_REQUIRE_AD: p->require_ad = true; return 0;
	case KEY_ALL_SERVERS: p->all_servers = true; return 0;
	case KEY_EXPECT: {
		const char *s = arg;

		p->has_expect = true;
		while (*s != '\0' || s == arg) {
			size_t n = strcspn(s, ",");
			char one[256];

			if (n == 0 || n >= sizeof(one)) {
				snprintf(err, errlen, "'%s' is not a list of host names", arg);
				return -1;
			}
			memcpy(one, s, n);
			one[n] = '\0';
			if (!valid_name(one)) {
				snprintf(err, errlen, "'%s' is not a host name", one);
				return -1;
			}
			if (p->nexpect >= MAX_LIST) {
				snprintf(err, errlen, "too many hosts (at most %d)", MAX_LIST);
				return -1;
			}
			norm_host(one, p->expect[p->nexpect++], sizeof(p->expect[0]));
			s += n;
			if (*s == ',' && *++s == '\0') {
				snprintf(err, errlen, "'%s' ends with a comma", arg);
				return -1;
			}
		}
		return 0;
	}
	case KEY_EXPECT_PREF: {
		const char *eq = strrchr(arg, '=');
		char host[256];

		if (eq == NULL || eq == arg || (size_t)(eq - arg) >= sizeof(host)) {
			snprintf(err, errlen, "'%s' is not HOST=PREFERENCE", arg);
			return -1;
		}
		memcpy(host, arg, (size_t)(eq - arg));
		host[eq - arg] = '\0';
		if (!valid_name(host)) {
			snprintf(err, errlen, "'%s' is not a host name", host);
			return -1;
		}
		if (opts_long(eq + 1, 0, 65535, &v, err, errlen) < 0)
			return -1;
		if (p->nprefs >= MAX_LIST) {
			snprintf(err, errlen, "too many preferences (at most %d)", MAX_LIST);
			return -1;
		}
		norm_host(host, p->prefs[p->nprefs].host, sizeof(p->prefs[0].host));
		p->prefs[p->nprefs++].pref = (unsigned)v;
		return 0;
	}
	case 'm':
		if (opts_long(arg, 1, 65535, &v, err, errlen) < 0)
			return -1;
		p->min_mx = v;
		return 0;
	case KEY_MIN_TTL:
		if (unit_parse(arg, UNIT_TIME, "s", &d, err, errlen) < 0)
			return -1;
		if (d < 0 || d > 2147483647.0) {
			snprintf(err, errlen, "'%s' is out of range (0 to 2147483647 s)", arg);
			return -1;
		}
		p->min_ttl = (long)d;
		return 0;
	case KEY_NS_PORT:
		if (opts_long(arg, 1, 65535, &v, err, errlen) < 0)
			return -1;
		p->ns_port = (int)v;
		return 0;
	}
	snprintf(err, errlen, "unknown option");
	return -1;
}

/* ---- result helpers ----------------------------------------------------- */

/* A sub-result; summary is its text for the status line when it is among
 * the worst (NULL: the same as the sub-result). */
__attribute__((format(printf, 4, 5)))
static void problem(struct ctx *c, enum state st, const char *summary, const char *fmt, ...)
{
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	result_sub(c->res, st, "%s", text);
	if (st != STATE_OK && c->count[st]++ == 0)
		if (snprintf(c->first[st], sizeof(c->first[st]), "%s", summary ? summary : text) >=
		    (int)sizeof(c->first[st]))
			c->first[st][sizeof(c->first[st]) - 1] = '\0'; /* cut; said in full below */
}

static const char *rcode_name(unsigned rcode)
{
	static const char *const names[] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
					     "NOTIMP", "REFUSED" };

	return rcode < 6 ? names[rcode] : "rcode?";
}

/* "0.8 ms", "41 ms", "1.25 s". */
static void time_text(double s, char *buf, size_t len)
{
	if (s < 0.01)
		snprintf(buf, len, "%.1f ms", s * 1000);
	else if (s < 1)
		snprintf(buf, len, "%.0f ms", s * 1000);
	else
		snprintf(buf, len, "%.2f s", s);
}

/* -v: one lookup, its answer header and records, dig-style. */
static void show_reply(struct ctx *c, const char *name, int type,
		       const struct dns_reply *rep, const struct fail *f)
{
	char tname[16], t[32];

	if (c->co.verbose < 1)
		return;
	dns_type_format((unsigned)type, tname, sizeof(tname));
	if (rep == NULL) {
		result_detail(c->res, 1, "%s %s: %s", tname, name, f->text);
		return;
	}
	time_text(rep->seconds, t, sizeof(t));
	result_detail(c->res, 1, "%s %s: %s from %s over %s%s in %s, flags:%s%s%s%s%s%s, %u answer%s",
		      tname, name, rcode_name(rep->hdr.rcode),
		      rep->server[0] ? rep->server : resolver_servers(c->r),
		      rep->tcp ? "TCP" : "UDP",
		      rep->tcp && !c->p.tcp ? " (the UDP answer was truncated)" : "", t,
		      rep->hdr.qr ? " qr" : "", rep->hdr.aa ? " aa" : "", rep->hdr.tc ? " tc" : "",
		      rep->hdr.rd ? " rd" : "", rep->hdr.ra ? " ra" : "", rep->hdr.ad ? " ad" : "",
		      rep->hdr.ancount, rep->hdr.ancount == 1 ? "" : "s");
	{
		struct dns_record *rr;
		size_t n;

		if (dns_reply_records(rep, &rr, &n) < 0)
			return;
		for (size_t i = 0; i < n; i++) {
			dns_type_format(rr[i].type, tname, sizeof(tname));
			result_detail(c->res, 1, "  %s. %u IN %s %s", rr[i].name, rr[i].ttl, tname,
				      rr[i].data);
		}
		dns_records_free(rr, n);
	}
}

/* ---- MX host addresses -------------------------------------------------- */

static void append(char *buf, size_t len, const char *sep, const char *text)
{
	size_t used = strlen(buf);

	if (used + 1 < len)
		snprintf(buf + used, len - used, "%s%s", used ? sep : "", text);
}

/* Looks up the addresses of type (A or AAAA) of h->host, following CNAMEs
 * the answer leaves open.  Adds them to h; returns the status of the last
 * lookup. */
static enum resolve_status host_addrs(struct ctx *c, struct mxhost *h, int type, struct fail *f)
{
	char name[256];
	enum resolve_status s = RESOLVE_ERROR;

	norm_host(h->host, name, sizeof(name));
	for (int hop = 0; hop < MAX_CNAME_HOPS; hop++) {
		struct dns_reply *rep = NULL;
		struct dns_record *rr = NULL;
		size_t n = 0, found = 0;
		bool moved = true;

		s = resolve_query(c->r, name, type, &rep, f);
		show_reply(c, name, type, rep, f);
		snprintf(h->from, sizeof(h->from), "%s",
			 rep && rep->server[0] ? rep->server : resolver_servers(c->r));
		if (s != RESOLVE_OK || rep == NULL) {
			dns_reply_free(rep);
			return s;
		}
		if (dns_reply_records(rep, &rr, &n) < 0) {
			fail_set(f, FAIL_DNS, "%s: malformed reply from %s", name,
				 rep->server[0] ? rep->server : resolver_servers(c->r));
			dns_reply_free(rep);
			return RESOLVE_ERROR;
		}
		/* Follow the chain within this answer (n steps at most: a
		 * chain that loops ends there). */
		for (size_t step = 0; moved && step <= n; step++) {
			moved = false;
			for (size_t i = 0; i < n; i++) {
				char owner[256];

				norm_host(rr[i].name, owner, sizeof(owner));
				if (rr[i].type == DNS_TYPE_CNAME && strcmp(owner, name) == 0) {
					if (h->cname[0] == '\0')
						norm_host(rr[i].data, h->cname, sizeof(h->cname));
					norm_host(rr[i].data, name, sizeof(name));
					moved = true;
					break;
				}
			}
		}
		for (size_t i = 0; i < n; i++) {
			char owner[256];

			norm_host(rr[i].name, owner, sizeof(owner));
			if ((int)rr[i].type == type && strcmp(owner, name) == 0) {
				append(h->addrs, sizeof(h->addrs), ", ", rr[i].data);
				h->naddr++;
				found++;
			}
		}
		dns_records_free(rr, n);
		dns_reply_free(rep);
		if (found > 0)
			return RESOLVE_OK;
		if (h->cname[0] == '\0' || hop == MAX_CNAME_HOPS - 1) {
			fail_set(f, FAIL_DNS, "%s: no records of that type", name);
			return RESOLVE_NODATA;
		}
		/* A CNAME the server did not follow: ask for its target. */
	}
	return s;
}

static bool ip_literal(const char *host)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

static void resolve_mx_host(struct ctx *c, struct mxhost *h)
{
	struct fail fa = { 0 }, f6 = { 0 };
	enum resolve_status sa, s6;

	h->st = STATE_OK;
	if (ip_literal(h->host)) {
		h->st = STATE_WARNING;
		snprintf(h->note, sizeof(h->note),
			 "an IP address, not a host name (RFC 5321 2.3.5); taken as its address");
		snprintf(h->addrs, sizeof(h->addrs), "%s", h->host);
		h->naddr = 1;
		h->resolved = true;
		return;
	}
	if (deadline_expired(&c->dl)) {
		h->st = c->co.timeout_state;
		snprintf(h->note, sizeof(h->note), "not looked up: the time ran out");
		return;
	}
	h->resolved = true;
	sa = host_addrs(c, h, DNS_TYPE_A, &fa);
	s6 = host_addrs(c, h, DNS_TYPE_AAAA, &f6);
	if (sa == RESOLVE_TIMEOUT || s6 == RESOLVE_TIMEOUT) {
		h->st = c->co.timeout_state;
		snprintf(h->note, sizeof(h->note), "%s", sa == RESOLVE_TIMEOUT ? fa.text : f6.text);
	} else if (sa != RESOLVE_OK && sa != RESOLVE_NODATA && sa != RESOLVE_NXDOMAIN) {
		h->st = STATE_CRITICAL;
		snprintf(h->note, sizeof(h->note), "A lookup: %s", fa.text);
	} else if (s6 != RESOLVE_OK && s6 != RESOLVE_NODATA && s6 != RESOLVE_NXDOMAIN) {
		h->st = STATE_CRITICAL;
		snprintf(h->note, sizeof(h->note), "AAAA lookup: %s", f6.text);
	} else if (h->naddr == 0 && sa == RESOLVE_NXDOMAIN) {
		h->st = STATE_CRITICAL;
		h->nxdomain = true;
		if (h->cname[0])
			snprintf(h->note, sizeof(h->note),
				 "a CNAME for %s, which does not exist (NXDOMAIN from %s)", h->cname,
				 h->from);
		else
			snprintf(h->note, sizeof(h->note), "does not exist (NXDOMAIN from %s)",
				 h->from);
	} else if (h->naddr == 0) {
		h->st = STATE_CRITICAL;
		snprintf(h->note, sizeof(h->note), "no address%s (no A or AAAA record)",
			 h->cname[0] ? " at its CNAME target" : "");
	}
	if (h->cname[0]) {
		char more[600];

		h->st = state_worst(h->st, STATE_WARNING);
		snprintf(more, sizeof(more), "a CNAME for %s (RFC 2181 10.3)", h->cname);
		if (!h->nxdomain) { /* that note names the CNAME already */
			char old[640];

			snprintf(old, sizeof(old), "%s", h->note);
			if (snprintf(h->note, sizeof(h->note), "%s%s%s", more, old[0] ? "; " : "",
				     old) >= (int)sizeof(h->note))
				h->note[sizeof(h->note) - 1] = '\0'; /* cut */
		}
	}
}

/* ---- the MX set --------------------------------------------------------- */

static int mx_cmp(const void *a, const void *b)
{
	const struct mx_record *x = a, *y = b;

	if (x->preference != y->preference)
		return x->preference < y->preference ? -1 : 1;
	return strcasecmp(x->host, y->host);
}

/* "10 mail.test, 20 mx2.test" (normalised, sorted), "no MX", or the
 * failure; the canonical form compared by --all-servers. */
static void mx_set_text(enum resolve_status s, const struct dns_reply *rep, char *buf,
			size_t len)
{
	struct mx_record *mx;
	size_t n;

	buf[0] = '\0';
	if (s == RESOLVE_NODATA) {
		snprintf(buf, len, "no MX");
		return;
	}
	if (s != RESOLVE_OK || rep == NULL) {
		snprintf(buf, len, "%s", resolve_status_text(s));
		return;
	}
	if (dns_reply_mx(rep, &mx, &n) < 0) {
		snprintf(buf, len, "malformed answer");
		return;
	}
	qsort(mx, n, sizeof(*mx), mx_cmp);
	for (size_t i = 0; i < n; i++) {
		char one[300], h[256];

		norm_host(mx[i].host, h, sizeof(h));
		snprintf(one, sizeof(one), "%u %s", mx[i].preference, h[0] ? h : ".");
		append(buf, len, ", ", one);
	}
	if (n == 0)
		snprintf(buf, len, "no MX");
	mx_records_free(mx, n);
}

/* ---- --all-servers ------------------------------------------------------ */

struct target {
	char label[320];  /* "ns1.lab.test (127.0.0.1:53)" or "127.0.0.1:53" */
	char server[80];  /* "127.0.0.1:53" for resolver_params.servers */
	char set[1024];   /* its answer, as mx_set_text gives it */
	bool ok;          /* it answered (MX set or no MX) */
};

/* The name servers of domain, or of the closest zone above it; their names
 * in *names (caller frees). */
static enum resolve_status find_ns(struct ctx *c, const char *domain, char ***names, size_t *n,
				   char *zone, size_t zlen, struct fail *f)
{
	const char *name = domain;

	for (;;) {
		struct dns_reply *rep = NULL;
		enum resolve_status s = resolve_query(c->r, name, DNS_TYPE_NS, &rep, f);

		show_reply(c, name, DNS_TYPE_NS, rep, f);
		*names = NULL;
		*n = 0;
		if (s == RESOLVE_OK && rep != NULL && dns_reply_names(rep, DNS_TYPE_NS, names, n) < 0) {
			fail_set(f, FAIL_DNS, "%s: malformed NS answer", name);
			s = RESOLVE_ERROR;
		}
		dns_reply_free(rep);
		if (s == RESOLVE_OK && *n > 0) {
			snprintf(zone, zlen, "%s", name);
			return s;
		}
		names_free(*names, *n);
		*names = NULL;
		*n = 0;
		if (s != RESOLVE_OK && s != RESOLVE_NODATA)
			return s;
		name = strchr(name, '.');
		if (name == NULL || name[1] == '\0') {
			fail_set(f, FAIL_DNS, "%s: no NS records for it or a zone above it", domain);
			return RESOLVE_NODATA;
		}
		name++;
	}
}

static void all_servers(struct ctx *c, const char *domain)
{
	struct target *t = calloc(MAX_LIST, sizeof(*t));
	size_t nt = 0;
	struct fail f = { 0 };
	bool agree = true;
	char zone[256] = "";

	if (t == NULL) {
		problem(c, STATE_UNKNOWN, NULL, "out of memory");
		return;
	}
	if (c->p.nns_addrs > 0) {
		const char *s = c->p.ns_addrs;

		while (*s != '\0' && nt < MAX_LIST) {
			size_t k = strcspn(s, ",");

			snprintf(t[nt].server, sizeof(t[nt].server), "%.*s", (int)k, s);
			snprintf(t[nt].label, sizeof(t[nt].label), "%.*s", (int)k, s);
			nt++;
			s += k;
			if (*s == ',')
				s++;
		}
	} else {
		char **ns = NULL;
		size_t nns = 0;
		enum resolve_status s = find_ns(c, domain, &ns, &nns, zone, sizeof(zone), &f);

		if (s != RESOLVE_OK) {
			problem(c, s == RESOLVE_TIMEOUT ? c->co.timeout_state : STATE_CRITICAL, NULL,
				"all servers: NS lookup failed: %s", f.text);
			free(t);
			return;
		}
		for (size_t i = 0; i < nns; i++) {
			struct addr_list *al = NULL;
			enum resolve_status hs = resolve_host(c->r, ns[i], c->co.family,
							      c->p.ns_port ? c->p.ns_port : 53, &al, &f);

			if (hs != RESOLVE_OK) {
				problem(c, hs == RESOLVE_TIMEOUT ? c->co.timeout_state : STATE_CRITICAL,
					NULL, "name server %s: no address: %s", ns[i], f.text);
				agree = false;
				continue;
			}
			for (size_t k = 0; k < al->n && nt < MAX_LIST; k++) {
				addr_format((const struct sockaddr *)&al->addr[k], true, t[nt].server,
					    sizeof(t[nt].server));
				snprintf(t[nt].label, sizeof(t[nt].label), "%s (%s)", ns[i],
					 t[nt].server);
				nt++;
			}
			addr_list_free(al);
		}
		names_free(ns, nns);
		result_detail(c->res, 1, "all servers: %zu address%s of the name servers of %s",
			      nt, nt == 1 ? "" : "es", zone);
	}
	for (size_t i = 0; i < nt; i++) {
		struct deadline sub;
		struct resolver_params rp = {
			.deadline = &sub, .servers = t[i].server, .tcp = c->p.tcp,
			.no_recursion = c->p.no_recursion,
		};
		struct resolver *r;
		struct dns_reply *rep = NULL;
		enum resolve_status s;
		int64_t now = mono_now_ns(), left = deadline_left_ns(&c->dl);

		/* An equal share of what is left, so one silent server cannot
		 * starve the others; time a server does not use rolls over. */
		sub.start_ns = now;
		sub.end_ns = now + left / (int64_t)(nt - i);
		r = resolver_new(&rp, &f);
		if (r == NULL) {
			snprintf(t[i].set, sizeof(t[i].set), "%s", f.text);
			continue;
		}
		s = resolve_query(r, domain, DNS_TYPE_MX, &rep, &f);
		if (c->co.verbose >= 1) {
			struct resolver *keep = c->r;

			c->r = r;
			show_reply(c, domain, DNS_TYPE_MX, rep, &f);
			c->r = keep;
		}
		t[i].ok = s == RESOLVE_OK || s == RESOLVE_NODATA;
		if (t[i].ok)
			mx_set_text(s, rep, t[i].set, sizeof(t[i].set));
		else
			snprintf(t[i].set, sizeof(t[i].set), "%s", resolve_status_text(s));
		if (s == RESOLVE_OK && rep != NULL && !strcmp(t[i].set, "malformed answer"))
			t[i].ok = false;
		dns_reply_free(rep);
		resolver_free(r);
	}
	for (size_t i = 0; i < nt; i++)
		if (!t[i].ok || strcmp(t[i].set, t[0].set) != 0)
			agree = false;
	if (nt == 0) {
		problem(c, STATE_CRITICAL, NULL, "all servers: no name server address to ask");
	} else if (agree) {
		char who[2048] = "";

		for (size_t i = 0; i < nt; i++)
			append(who, sizeof(who), ", ", t[i].label);
		problem(c, STATE_OK, NULL, "all %zu name servers give the same MX set: %s", nt, who);
	} else {
		/* Group the servers by what they said. */
		char said[4096] = "";
		bool *done = calloc(nt, sizeof(*done));

		for (size_t i = 0; done != NULL && i < nt; i++) {
			char group[2048] = "";

			if (done[i])
				continue;
			for (size_t k = i; k < nt; k++)
				if (!done[k] && strcmp(t[k].set, t[i].set) == 0) {
					append(group, sizeof(group), ", ", t[k].label);
					done[k] = true;
				}
			append(said, sizeof(said), "; ", group);
			append(said, sizeof(said), ": ", t[i].set);
		}
		free(done);
		problem(c, STATE_CRITICAL, "the name servers disagree", "name servers disagree: %s",
			said);
	}
	free(t);
}

/* ---- the check ---------------------------------------------------------- */

static void implicit_mx(struct ctx *c, const char *domain, double *naddr)
{
	struct mxhost h = { 0 };
	struct fail f = { 0 };
	enum resolve_status sa, s6;

	snprintf(h.host, sizeof(h.host), "%s", domain);
	sa = host_addrs(c, &h, DNS_TYPE_A, &f);
	s6 = host_addrs(c, &h, DNS_TYPE_AAAA, &f);
	*naddr = (double)h.naddr;
	if (h.naddr > 0)
		problem(c, STATE_WARNING, NULL,
			"%s: no MX; mail falls back to the domain's address (RFC 5321 5.1): %s",
			domain, h.addrs);
	else if (sa == RESOLVE_TIMEOUT || s6 == RESOLVE_TIMEOUT)
		problem(c, c->co.timeout_state, NULL, "%s: no MX records; %s", domain, f.text);
	else
		problem(c, STATE_CRITICAL, NULL, "%s: no MX records, and no A or AAAA record either",
			domain);
}

static void check_expectations(struct ctx *c, const struct mxhost *h, size_t n)
{
	size_t usable = 0;

	for (size_t i = 0; i < n; i++)
		if (h[i].host[0])
			usable++;
	if (c->p.min_mx > 0 && usable < (size_t)c->p.min_mx)
		problem(c, STATE_CRITICAL, NULL, "%zu MX host%s, expected at least %ld", usable,
			usable == 1 ? "" : "s", c->p.min_mx);
	for (size_t e = 0; e < c->p.nexpect; e++) {
		bool found = false;

		for (size_t i = 0; i < n && !found; i++) {
			char h1[256];

			norm_host(h[i].host, h1, sizeof(h1));
			found = strcmp(h1, c->p.expect[e]) == 0;
		}
		if (!found)
			problem(c, STATE_CRITICAL, NULL, "expected MX host %s is missing",
				c->p.expect[e]);
	}
	if (c->p.has_expect && !c->p.expect_subset)
		for (size_t i = 0; i < n; i++) {
			char h1[256];
			bool found = false;

			norm_host(h[i].host, h1, sizeof(h1));
			for (size_t e = 0; e < c->p.nexpect && !found; e++)
				found = strcmp(h1, c->p.expect[e]) == 0;
			if (!found && h1[0])
				problem(c, STATE_CRITICAL, NULL, "unexpected MX host %s", h1);
		}
	for (size_t e = 0; e < c->p.nprefs; e++) {
		bool found = false;

		for (size_t i = 0; i < n; i++) {
			char h1[256];

			norm_host(h[i].host, h1, sizeof(h1));
			if (strcmp(h1, c->p.prefs[e].host) != 0)
				continue;
			found = true;
			if (h[i].pref != c->p.prefs[e].pref)
				problem(c, STATE_CRITICAL, NULL,
					"MX host %s has preference %u, expected %u", h1, h[i].pref,
					c->p.prefs[e].pref);
		}
		if (!found)
			problem(c, STATE_CRITICAL, NULL,
				"MX host %s (expected with preference %u) is missing",
				c->p.prefs[e].host, c->p.prefs[e].pref);
	}
}

static void check(struct ctx *c, const char *domain)
{
	struct resolver_params rp = {
		.deadline = &c->dl,
		.servers = c->p.nservers ? c->p.servers : NULL,
		.tcp = c->p.tcp,
		.no_recursion = c->p.no_recursion,
		.family = c->co.family,
		.ad_bit = c->p.require_ad,
	};
	struct fail f = { 0 };
	struct dns_reply *rep = NULL;
	struct mx_record *mx = NULL;
	struct mxhost *hosts = NULL;
	size_t nmx = 0;
	enum resolve_status s;
	double t = NAN, mxcount = NAN, naddr = NAN, ttl = NAN;
	char list[4096] = "", tt[32] = "";
	enum state worst;

	c->r = resolver_new(&rp, &f);
	if (c->r == NULL) {
		/* A bad -s list is caught while parsing; this is -4/-6 without
		 * a server of that family, or c-ares failing. */
		problem(c, STATE_UNKNOWN, NULL, "%s", f.text);
		goto done;
	}
	s = resolve_query(c->r, domain, DNS_TYPE_MX, &rep, &f);
	/* After the query: the system's servers are known once it is sent. */
	result_detail(c->res, 1, "asking %s for %s MX (%s%s%s)", resolver_servers(c->r), domain,
		      c->p.tcp ? "TCP" : "UDP, TCP when truncated",
		      c->p.no_recursion ? ", no recursion" : ", recursion desired",
		      c->p.require_ad ? ", AD bit set" : "");
	if (s == RESOLVE_OK && rep == NULL) {
		fail_set(&f, FAIL_INTERNAL, "out of memory");
		s = RESOLVE_ERROR;
	}
	show_reply(c, domain, DNS_TYPE_MX, rep, &f);
	if (rep != NULL) {
		t = rep->seconds;
		time_text(t, tt, sizeof(tt));
	}
	if (rep != NULL && (s == RESOLVE_OK || s == RESOLVE_NODATA)) {
		const char *from = rep->server[0] ? rep->server : resolver_servers(c->r);

		if (c->p.authoritative && !rep->hdr.aa)
			problem(c, STATE_CRITICAL, NULL,
				"the answer from %s is not authoritative (AA bit not set)", from);
		if (c->p.require_ad && !rep->hdr.ad)
			problem(c, STATE_CRITICAL, NULL,
				"the answer from %s is not DNSSEC-validated (AD bit not set)", from);
	}
	switch (s) {
	case RESOLVE_OK:
		break;
	case RESOLVE_NODATA:
		mxcount = 0;
		if (c->p.expect_null)
			problem(c, STATE_CRITICAL, NULL, "%s: no MX records (expected a null MX)", domain);
		else if (c->p.allow_implicit && !c->p.no_resolve)
			implicit_mx(c, domain, &naddr);
		else if (c->p.allow_implicit)
			problem(c, STATE_WARNING, NULL,
				"%s: no MX; mail falls back to the domain's address (RFC 5321 5.1), not looked up (--no-resolve)",
				domain);
		else
			problem(c, STATE_CRITICAL, NULL, "%s: no MX records", domain);
		goto thresholds;
	case RESOLVE_NXDOMAIN:
		mxcount = 0;
		problem(c, STATE_CRITICAL, NULL, "%s: domain does not exist (NXDOMAIN from %s)",
			domain, rep && rep->server[0] ? rep->server : resolver_servers(c->r));
		goto done;
	case RESOLVE_TIMEOUT:
		problem(c, c->co.timeout_state, NULL, "%s", f.text);
		goto done;
	default:
		problem(c, f.cls == FAIL_INTERNAL ? STATE_UNKNOWN : STATE_CRITICAL, NULL, "%s",
			f.text);
		goto done;
	}

	if (dns_reply_mx(rep, &mx, &nmx) < 0) {
		problem(c, STATE_CRITICAL, NULL, "%s: malformed MX answer from %s", domain,
			rep->server[0] ? rep->server : resolver_servers(c->r));
		goto done;
	}
	if (rep->has_ttl)
		ttl = rep->min_ttl;
	mxcount = (double)nmx;
	if (nmx == 0) {
		/* NOERROR with answers, none of them MX (a CNAME, say). */
		if (c->p.expect_null)
			problem(c, STATE_CRITICAL, NULL, "%s: no MX records (expected a null MX)", domain);
		else
			problem(c, STATE_CRITICAL, NULL, "%s: no MX records in the answer", domain);
		goto thresholds;
	}
	qsort(mx, nmx, sizeof(*mx), mx_cmp);
	hosts = calloc(nmx, sizeof(*hosts));
	if (hosts == NULL) {
		problem(c, STATE_UNKNOWN, NULL, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < nmx; i++) {
		hosts[i].pref = mx[i].preference;
		norm_host(mx[i].host, hosts[i].host, sizeof(hosts[i].host));
	}
	if (c->p.min_ttl >= 0 && rep->has_ttl && rep->min_ttl < (uint32_t)c->p.min_ttl)
		problem(c, STATE_WARNING, NULL, "the lowest TTL of the MX records is %u s, below %ld s",
			rep->min_ttl, c->p.min_ttl);

	/* Null MX (RFC 7505): the single record "0 .". */
	if (nmx == 1 && hosts[0].host[0] == '\0') {
		naddr = 0;
		if (c->p.expect_null)
			problem(c, STATE_OK, NULL, "%s: null MX (RFC 7505): the domain accepts no mail, as expected",
				domain);
		else
			problem(c, STATE_CRITICAL, NULL,
				"%s: domain accepts no mail (null MX '0 .', RFC 7505)", domain);
		snprintf(list, sizeof(list), "null MX");
		goto expectations;
	}
	if (c->p.expect_null)
		problem(c, STATE_CRITICAL, NULL, "%s: expected a null MX, found %zu MX", domain, nmx);

	naddr = c->p.no_resolve ? NAN : 0;
	for (size_t i = 0; i < nmx; i++) {
		struct mxhost *h = &hosts[i];
		char item[1400];

		if (h->host[0] == '\0') {
			h->st = STATE_WARNING;
			snprintf(h->note, sizeof(h->note),
				 "a null MX among other MX records (RFC 7505 3 forbids it); ignored");
		} else if (!c->p.no_resolve) {
			resolve_mx_host(c, h);
			naddr += (double)h->naddr;
		}
		if (h->host[0] == '\0')
			snprintf(item, sizeof(item), "%u .", h->pref);
		else if (c->p.no_resolve)
			snprintf(item, sizeof(item), "%u %s", h->pref, h->host);
		else
			snprintf(item, sizeof(item), "%u %s (%s)", h->pref, h->host,
				 h->naddr ? h->addrs : h->nxdomain ? "does not exist"
				 : h->resolved ? "no address" : "not looked up");
		append(list, sizeof(list), ", ", item);
		if (h->note[0]) {
			char sum[1000];

			snprintf(sum, sizeof(sum), "MX host %s: %s", h->host[0] ? h->host : ".", h->note);
			problem(c, h->st, sum, "%u %s: %s%s%s", h->pref, h->host[0] ? h->host : ".",
				h->note, h->naddr ? "; " : "", h->naddr ? h->addrs : "");
		} else {
			problem(c, STATE_OK, NULL, "%u %s%s%s", h->pref, h->host,
				h->naddr ? ": " : "", h->naddr ? h->addrs : "");
		}
	}

expectations:
	check_expectations(c, hosts, nmx);

thresholds:
	if (!isnan(t)) {
		enum state ts = range_state(c->co.has_warn ? &c->co.warn : NULL,
					    c->co.has_crit ? &c->co.crit : NULL, t);

		if (ts != STATE_OK) {
			char rt[64];

			range_format(ts == STATE_CRITICAL ? &c->co.crit : &c->co.warn, rt, sizeof(rt));
			problem(c, ts, NULL, "the MX query took %s (%s %s s)", tt,
				ts == STATE_CRITICAL ? "-c" : "-w", rt);
		}
	}
	if (c->p.all_servers)
		all_servers(c, domain);

done:
	worst = result_state(c->res);
	if (worst != STATE_OK && c->count[worst] > 0) {
		char more[48] = "";
		const char *why = c->first[worst];
		size_t dl = strlen(domain);

		/* "DOMAIN: what is wrong", the domain said once. */
		if (strncmp(why, domain, dl) == 0 && strncmp(why + dl, ": ", 2) == 0)
			why += dl + 2;
		if (c->count[worst] > 1)
			snprintf(more, sizeof(more), " (and %u more)", c->count[worst] - 1);
		if (list[0] && strcmp(list, "null MX") != 0)
			result_summary(c->res, "%s: %s%s; %zu MX: %s, %s", domain, why, more, nmx,
				       list, tt);
		else if (tt[0])
			result_summary(c->res, "%s: %s%s, %s", domain, why, more, tt);
		else
			result_summary(c->res, "%s: %s%s", domain, why, more);
	} else if (list[0] && strcmp(list, "null MX") != 0) {
		result_summary(c->res, "%s: %zu MX: %s, %s", domain, nmx, list, tt);
	} else if (list[0]) {
		result_summary(c->res, "%s: null MX (accepts no mail, as expected), %s", domain, tt);
	} else {
		result_summary(c->res, "%s: %s", domain, c->first[worst][0] ? c->first[worst] : "checked");
	}
	{
		struct perf pt = { "time", t, "s", c->co.has_warn ? &c->co.warn : NULL,
				   c->co.has_crit ? &c->co.crit : NULL, 0, NAN };
		struct perf pm = { "mx", mxcount, "", NULL, NULL, 0, NAN };
		struct perf pa = { "addresses", naddr, "", NULL, NULL, 0, NAN };
		struct perf pl = { "ttl", ttl, "s", NULL, NULL, 0, NAN };

		result_perf(c->res, &pt);
		result_perf(c->res, &pm);
		result_perf(c->res, &pa);
		result_perf(c->res, &pl);
	}
	result_detail(c->res, 2, "whole run: %.3f ms", deadline_elapsed_s(&c->dl) * 1000);
	free(hosts);
	mx_records_free(mx, nmx);
	dns_reply_free(rep);
	resolver_free(c->r);
	c->r = NULL;
}

int main(int argc, char **argv)
{
	static struct ctx c;
	char domain[256];
	int rc;

	c.p.min_ttl = -1;
	rc = opts_parse(&info, &c.co, argc, argv, handle, &c.p, stdout);
	if (rc >= 0)
		return rc;
	deadline_start(&c.dl, c.co.timeout_ms);
	if (c.p.domain != NULL && c.co.host != NULL && strcasecmp(c.p.domain, c.co.host) != 0)
		return opts_usage_error(&info, stdout, "-d and -H name different domains ('%s', '%s')",
					c.p.domain, c.co.host);
	if (c.p.domain == NULL && c.co.host != NULL) {
		if (!valid_name(c.co.host))
			return opts_usage_error(&info, stdout, "-H: '%s' is not a domain name",
						c.co.host);
		c.p.domain = c.co.host;
	}
	if (c.p.domain == NULL)
		return opts_usage_error(&info, stdout, "no domain given (-d DOMAIN)");
	if (c.p.expect_subset && !c.p.has_expect)
		return opts_usage_error(&info, stdout, "--expect-subset needs --expect");
	if (c.p.ns_port && !c.p.all_servers)
		return opts_usage_error(&info, stdout, "--ns-port needs --all-servers");
	norm_host(c.p.domain, domain, sizeof(domain));
	if (domain[0] == '\0')
		return opts_usage_error(&info, stdout, "'%s' is not a domain name", c.p.domain);
	c.res = result_new(info.service);
	if (c.res == NULL) {
		printf("%s UNKNOWN - out of memory\n", info.service);
		return STATE_UNKNOWN;
	}
	check(&c, domain);
	rc = output_write(c.res, c.co.output, c.co.verbose, stdout);
	result_free(c.res);
	return rc;
}
