/* check_dns_mx: a domain's MX records checked the way mail delivery uses
 * them: the MX set (RFC 5321 5.1), null MX (RFC 7505), the address of each
 * mail exchanger, and optionally whether every name server of the domain
 * gives the same answer.  The MX set and its addresses come from
 * common/mx (c-ares through common/resolve), bounded by the one deadline of
 * -t; this file judges them: parse options -> look up -> judge -> write. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "deadline.h"
#include "dnsmsg.h"
#include "fail.h"
#include "mx.h"
#include "opts.h"
#include "output.h"
#include "range.h"
#include "resolve.h"
#include "result.h"

#define MAX_LIST 64        /* --expect hosts, --expect-preference, servers asked */
#define PROBLEMS_SHOWN 1   /* the status line names the worst problem (and counts
			    * the others): it also lists the MX set */
#define NAME_MAX_TEXT 256  /* a host name as given on the command line */

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
	char host[NAME_MAX_TEXT]; /* lower case, no final dot */
	unsigned pref;
};

/* The plugin's own options. */
struct params {
	const char *domain;           /* -d (or -H) */
	bool tcp;                     /* --tcp: queries over TCP only */
	bool no_recursion;            /* --no-recursion: RD bit clear */
	bool allow_implicit;          /* --allow-implicit-mx */
	bool expect_null;             /* --expect-null-mx */
	bool no_resolve;              /* --no-resolve: MX hosts not looked up */
	char expect[MAX_LIST][NAME_MAX_TEXT]; /* --expect hosts, normalised */
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

/* One run. */
struct ctx {
	struct params p;
	struct common_opts co;
	struct deadline dl;
	struct result *res;
	struct resolver *r;
	char domain[NAME_MAX_TEXT];   /* normalised */
	struct mx_set *set;           /* the MX answer */
	char list[4096];              /* "10 mail.test (127.0.0.1), ..." */
	char took[32];                /* the MX query's time, "0.8 ms" */
	double t, mxcount, naddr, ttl; /* perfdata, NaN when not measured */
};

static const struct opt_spec extra[] = {
	{ "domain", 'd', "DOMAIN",
	  "The domain whose MX records to check (required; -H is the same).", "none" },
	{ "server", 's', "SERVER[:PORT]",
	  "The same as --dns-server: a DNS server to ask, IPv6 as [ADDR]:PORT; repeat for "
	  "more (asked in order, the next one when one fails).",
	  "the system's resolvers (/etc/resolv.conf)" },
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
	  "Do not look up the addresses of the MX hosts (no addresses perfdata then).", NULL },
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

/* check_dig's and check_dns's options that are not taken here. */
static const struct foreign_opt foreign[] = {
	{ 'l', "query_address", "check_dig's name to look up: use -d DOMAIN" },
	{ 'p', "port", "check_dig's port: use -s SERVER:PORT" },
	{ 'T', "record_type", "check_dig's record type: MX is the only one, -d DOMAIN" },
	{ 'a', "expected_address", "check_dig's expected address: use --expect HOST for the MX "
				   "hosts" },
	{ 0, "expected-address", "check_dns's expected address: use --expect HOST" },
	{ 'A', "dig-arguments", "check_dig's dig arguments (check_dns's -A is --authoritative "
				"here)" },
	{ 0, "expect-authority", "check_dns's: use --authoritative" },
	{ 'n', "expect-nxdomain", "check_dns's: a domain that does not exist is CRITICAL" },
	{ 'L', "all", "check_dns's all servers: use --all-servers" },
	{ 0, "extra-opts", "put the options on the command line" },
	{ 0, NULL, NULL },
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
	.foreign = foreign,
	.groups = OPTS_DNS,
	.notes =
		"Verdicts: NXDOMAIN, SERVFAIL, REFUSED, a malformed answer or no MX records\n"
		"are CRITICAL; no answer before -t is the -t state.  A null MX is CRITICAL\n"
		"unless --expect-null-mx.  Each MX host is looked up (A and AAAA, all at\n"
		"once): a host without an address or that does not exist is CRITICAL, a host\n"
		"that is a CNAME (RFC 2181 10.3) or an IP address is WARNING.  MX hosts are\n"
		"ordered by preference, then name.\n"
		"Perfdata: time (s, the MX query), mx (MX records), addresses (of all MX\n"
		"hosts together; not with --no-resolve), ttl (s, the lowest TTL of the MX\n"
		"records); U when not measured.  -v adds the servers asked and every\n"
		"answer's records, -vv the time of the whole run.  -4/-6 choose the family of\n"
		"the DNS servers asked (of -s, the system's, and the NS addresses of\n"
		"--all-servers); MX hosts are always looked up for both A and AAAA.\n",
};

/* ---- options ------------------------------------------------------------ */

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

/* --ns-address: appends one server to the list, checked. */
static int add_ns_address(struct params *p, const char *arg, char *err, size_t errlen)
{
	size_t used = strlen(p->ns_addrs);

	if (strchr(arg, ',') != NULL || arg[0] == '\0') {
		snprintf(err, errlen, "'%s' is not one DNS server address (ADDR, ADDR:PORT, "
			 "[IPv6]:PORT)", arg);
		return -1;
	}
	if (resolver_check_servers(arg, err, errlen) < 0)
		return -1;
	if (p->nns_addrs >= MAX_LIST || used + strlen(arg) + 2 > sizeof(p->ns_addrs)) {
		snprintf(err, errlen, "too many servers (at most %d)", MAX_LIST);
		return -1;
	}
	snprintf(p->ns_addrs + used, sizeof(p->ns_addrs) - used, "%s%s", used ? "," : "", arg);
	p->nns_addrs++;
	p->all_servers = true;
	return 0;
}

static int add_expect(struct params *p, const char *arg, char *err, size_t errlen)
{
	const char *s = arg;

	p->has_expect = true;
	while (*s != '\0' || s == arg) {
		size_t n = strcspn(s, ",");
		char one[NAME_MAX_TEXT];

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
		mx_norm_name(one, p->expect[p->nexpect++], sizeof(p->expect[0]));
		s += n;
		if (*s == ',' && *++s == '\0') {
			snprintf(err, errlen, "'%s' ends with a comma", arg);
			return -1;
		}
	}
	return 0;
}

static int add_pref(struct params *p, const char *arg, char *err, size_t errlen)
{
	const char *eq = strrchr(arg, '=');
	char host[NAME_MAX_TEXT];
	long v;

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
	mx_norm_name(host, p->prefs[p->nprefs].host, sizeof(p->prefs[0].host));
	p->prefs[p->nprefs++].pref = (unsigned)v;
	return 0;
}

static int parse_min_ttl(struct params *p, const char *arg, char *err, size_t errlen)
{
	double d;

	if (unit_parse(arg, UNIT_TIME, "s", &d, err, errlen) < 0)
		return -1;
	if (d < 0 || d > 2147483647.0) {
		snprintf(err, errlen, "'%s' is out of range (0 to 2147483647 s)", arg);
		return -1;
	}
	p->min_ttl = (long)d;
	return 0;
}

static int handle(void *vctx, int key, const char *arg, char *err, size_t errlen)
{
	struct ctx *c = vctx;
	struct params *p = &c->p;
	long v;

	switch (key) {
	case 'd':
		if (!valid_name(arg)) {
			snprintf(err, errlen, "'%s' is not a domain name", arg);
			return -1;
		}
		p->domain = arg;
		return 0;
	case 's': return opts_add_dns_servers(&c->co, arg, err, errlen);
	case KEY_NS_ADDRESS: return add_ns_address(p, arg, err, errlen);
	case KEY_TCP: p->tcp = true; return 0;
	case KEY_NO_RECURSION: p->no_recursion = true; return 0;
	case KEY_ALLOW_IMPLICIT: p->allow_implicit = true; return 0;
	case KEY_EXPECT_NULL: p->expect_null = true; return 0;
	case KEY_NO_RESOLVE: p->no_resolve = true; return 0;
	case KEY_EXPECT_SUBSET: p->expect_subset = true; return 0;
	case KEY_AUTHORITATIVE: p->authoritative = true; return 0;
	case KEY_REQUIRE_AD: p->require_ad = true; return 0;
	case KEY_ALL_SERVERS: p->all_servers = true; return 0;
	case KEY_EXPECT: return add_expect(p, arg, err, errlen);
	case KEY_EXPECT_PREF: return add_pref(p, arg, err, errlen);
	case 'm':
		if (opts_long(arg, 1, 65535, &v, err, errlen) < 0)
			return -1;
		p->min_mx = v;
		return 0;
	case KEY_MIN_TTL: return parse_min_ttl(p, arg, err, errlen);
	case KEY_NS_PORT:
		if (opts_long(arg, 1, 65535, &v, err, errlen) < 0)
			return -1;
		p->ns_port = (int)v;
		return 0;
	}
	snprintf(err, errlen, "unknown option");
	return -1;
}

/* ---- showing answers (-v) ----------------------------------------------- */

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
static void show_reply(struct ctx *c, const struct resolver *r, const char *name,
		       unsigned type, const struct dns_reply *rep, const struct fail *f)
{
	char tname[16], t[32], rc[16];
	struct dns_record *rr;
	size_t n;

	if (c->co.verbose < 1)
		return;
	dns_type_format(type, tname, sizeof(tname));
	if (rep == NULL) {
		result_detail(c->res, 1, "%s %s: %s", tname, name, f->text);
		return;
	}
	time_text(rep->seconds, t, sizeof(t));
	result_detail(c->res, 1, "%s %s: %s from %s over %s%s in %s, flags:%s%s%s%s%s%s, %u answer%s",
		      tname, name, dns_rcode_name(rep->hdr.rcode, rc, sizeof(rc)),
		      rep->server[0] ? rep->server : resolver_servers(r),
		      rep->tcp ? "TCP" : "UDP",
		      rep->tcp && !c->p.tcp ? " (the UDP answer was truncated)" : "", t,
		      rep->hdr.qr ? " qr" : "", rep->hdr.aa ? " aa" : "", rep->hdr.tc ? " tc" : "",
		      rep->hdr.rd ? " rd" : "", rep->hdr.ra ? " ra" : "", rep->hdr.ad ? " ad" : "",
		      rep->hdr.ancount, rep->hdr.ancount == 1 ? "" : "s");
	if (dns_msg_records(rep->raw, rep->len, &rr, &n) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		dns_type_format(rr[i].type, tname, sizeof(tname));
		result_detail(c->res, 1, "  %s. %u IN %s %s", rr[i].name, rr[i].ttl, tname,
			      rr[i].data);
	}
	dns_records_free(rr, n);
}

static void show_host_queries(struct ctx *c, const struct mx_host *h)
{
	for (size_t i = 0; i < h->nqueries; i++)
		show_reply(c, c->r, h->queries[i].name, h->queries[i].type, h->queries[i].reply,
			   &h->queries[i].fail);
}

/* ---- MX hosts ----------------------------------------------------------- */

static void append(char *buf, size_t len, const char *sep, const char *text)
{
	size_t used = strlen(buf);

	if (used + 1 < len)
		snprintf(buf + used, len - used, "%s%s", used ? sep : "", text);
}

/* "127.0.0.1, ::1"; returns how many. */
static size_t addrs_text(const struct mx_host *h, char *buf, size_t len)
{
	buf[0] = '\0';
	for (size_t i = 0; h->addrs != NULL && i < h->addrs->n; i++) {
		char a[ADDR_TEXT_MAX];

		addr_format((const struct sockaddr *)&h->addrs->addr[i], false, a, sizeof(a));
		append(buf, len, ", ", a);
	}
	return h->addrs ? h->addrs->n : 0;
}

/* What is wrong with a host's address, and the state it gives; "" and OK
 * when nothing is. */
static enum state host_verdict(const struct ctx *c, const struct mx_host *h, char *note,
			       size_t len)
{
	const struct fail *fa = &h->fail[0], *f6 = &h->fail[1];
	enum resolve_status sa = h->status[0], s6 = h->status[1];
	size_t naddr = h->addrs ? h->addrs->n : 0;

	note[0] = '\0';
	if (h->ip_literal) {
		snprintf(note, len, "an IP address, not a host name (RFC 5321 2.3.5); taken as its "
			 "address");
		return STATE_WARNING;
	}
	if (sa == RESOLVE_TIMEOUT || s6 == RESOLVE_TIMEOUT) {
		snprintf(note, len, "%s", sa == RESOLVE_TIMEOUT ? fa->text : f6->text);
		return c->co.timeout_state;
	}
	if (sa != RESOLVE_OK && sa != RESOLVE_NODATA && sa != RESOLVE_NXDOMAIN) {
		snprintf(note, len, "A lookup: %s", fa->text);
		return STATE_CRITICAL;
	}
	if (s6 != RESOLVE_OK && s6 != RESOLVE_NODATA && s6 != RESOLVE_NXDOMAIN) {
		snprintf(note, len, "AAAA lookup: %s", f6->text);
		return STATE_CRITICAL;
	}
	if (naddr == 0 && h->nxdomain && h->cname != NULL) {
		snprintf(note, len, "a CNAME for %s, which does not exist (NXDOMAIN from %s)",
			 h->cname, h->from);
		return STATE_CRITICAL;
	}
	if (naddr == 0 && h->nxdomain) {
		snprintf(note, len, "does not exist (NXDOMAIN from %s)", h->from);
		return STATE_CRITICAL;
	}
	if (naddr == 0) {
		snprintf(note, len, "no address%s (no A or AAAA record)",
			 h->cname ? " at its CNAME target" : "");
		return STATE_CRITICAL;
	}
	return STATE_OK;
}

/* One MX host: its sub-result and its item in the list. */
static void judge_host(struct ctx *c, const struct mx_host *h)
{
	char note[800] = "", addrs[1024], item[1400], brief[1100];
	enum state st = STATE_OK;
	size_t naddr = addrs_text(h, addrs, sizeof(addrs));

	if (h->name[0] == '\0') {
		st = STATE_WARNING;
		snprintf(note, sizeof(note), "a null MX among other MX records (RFC 7505 3 forbids "
			 "it); ignored");
	} else if (h->resolved) {
		st = host_verdict(c, h, note, sizeof(note));
		if (h->cname != NULL && !h->nxdomain) {
			char was[400];
			int n;

			snprintf(was, sizeof(was), "%s", note);
			n = snprintf(note, sizeof(note), "a CNAME for %.300s (RFC 2181 10.3)", h->cname);
			if (was[0] != '\0')
				snprintf(note + n, sizeof(note) - (size_t)n, "; %s", was);
			st = state_worst(st, STATE_WARNING);
		}
	}
	if (h->name[0] == '\0')
		snprintf(item, sizeof(item), "%u .", h->pref);
	else if (c->p.no_resolve)
		snprintf(item, sizeof(item), "%u %s", h->pref, h->name);
	else
		snprintf(item, sizeof(item), "%u %s (%s)", h->pref, h->name,
			 naddr ? addrs : h->nxdomain ? "does not exist" : "no address");
	append(c->list, sizeof(c->list), ", ", item);
	if (note[0] == '\0') {
		result_sub(c->res, STATE_OK, "%u %s%s%s", h->pref, h->name, naddr ? ": " : "",
			   addrs);
		return;
	}
	snprintf(brief, sizeof(brief), "MX host %s: %s", h->name[0] ? h->name : ".", note);
	result_sub_brief(c->res, st, brief, "%u %s: %s%s%s", h->pref, h->name[0] ? h->name : ".",
			 note, naddr ? "; " : "", naddr ? addrs : "");
}

/* MX records naming hosts: each host judged. */
static void judge_list(struct ctx *c)
{
	const struct mx_set *s = c->set;

	if (c->p.expect_null)
		result_sub(c->res, STATE_CRITICAL, "expected a null MX, found %zu MX", s->n);
	if (!c->p.no_resolve) {
		mx_resolve(c->r, c->set, AF_UNSPEC);
		c->naddr = 0;
	}
	for (size_t i = 0; i < s->n; i++) {
		show_host_queries(c, &s->hosts[i]);
		judge_host(c, &s->hosts[i]);
		if (s->hosts[i].addrs != NULL && !c->p.no_resolve)
			c->naddr += (double)s->hosts[i].addrs->n;
	}
}

/* No MX records: CRITICAL, or with --allow-implicit-mx the domain's own
 * address (RFC 5321 5.1) as a WARNING. */
static void judge_no_mx(struct ctx *c)
{
	struct mx_host *h = c->set->kind == MX_IMPLICIT ? &c->set->hosts[0] : NULL;
	char addrs[1024];

	c->mxcount = 0;
	if (c->p.expect_null) {
		result_sub(c->res, STATE_CRITICAL, "no MX records (expected a null MX)");
	} else if (!c->p.allow_implicit) {
		result_sub(c->res, STATE_CRITICAL, "no MX records");
	} else if (h == NULL) {
		result_sub(c->res, STATE_WARNING, "no MX; mail falls back to the domain's address "
			   "(RFC 5321 5.1), not looked up (--no-resolve)");
	} else {
		mx_resolve(c->r, c->set, AF_UNSPEC);
		show_host_queries(c, h);
		c->naddr = (double)addrs_text(h, addrs, sizeof(addrs));
		if (c->naddr > 0)
			result_sub(c->res, STATE_WARNING, "no MX; mail falls back to the domain's "
				   "address (RFC 5321 5.1): %s", addrs);
		else if (h->status[0] == RESOLVE_TIMEOUT || h->status[1] == RESOLVE_TIMEOUT)
			result_sub(c->res, c->co.timeout_state, "no MX records; %s",
				   h->fail[h->status[0] == RESOLVE_TIMEOUT ? 0 : 1].text);
		else
			result_sub(c->res, STATE_CRITICAL, "no MX records, and no A or AAAA record "
				   "either");
	}
}

/* ---- the answer and the expectations ------------------------------------ */

static void judge_answer_flags(struct ctx *c, const struct dns_reply *rep)
{
	const char *from = rep->server[0] ? rep->server : resolver_servers(c->r);

	if (c->p.authoritative && !rep->hdr.aa)
		result_sub(c->res, STATE_CRITICAL,
			   "the answer from %s is not authoritative (AA bit not set)", from);
	if (c->p.require_ad && !rep->hdr.ad)
		result_sub(c->res, STATE_CRITICAL,
			   "the answer from %s is not DNSSEC-validated (AD bit not set)", from);
	if (c->p.min_ttl >= 0 && rep->has_ttl && rep->min_ttl < (uint32_t)c->p.min_ttl)
		result_sub(c->res, STATE_WARNING, "the lowest TTL of the MX records is %u s, below "
			   "%ld s", rep->min_ttl, c->p.min_ttl);
}

static bool has_host(const struct mx_set *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->hosts[i].name, name) == 0)
			return true;
	return false;
}

static bool expected(const struct params *p, const char *name)
{
	for (size_t e = 0; e < p->nexpect; e++)
		if (strcmp(name, p->expect[e]) == 0)
			return true;
	return false;
}

static void judge_expectations(struct ctx *c)
{
	const struct params *p = &c->p;
	const struct mx_set *s = c->set;
	size_t usable = 0;

	for (size_t i = 0; i < s->n; i++)
		usable += s->hosts[i].name[0] != '\0';
	if (p->min_mx > 0 && usable < (size_t)p->min_mx)
		result_sub(c->res, STATE_CRITICAL, "%zu MX host%s, expected at least %ld", usable,
			   usable == 1 ? "" : "s", p->min_mx);
	for (size_t e = 0; e < p->nexpect; e++)
		if (!has_host(s, p->expect[e]))
			result_sub(c->res, STATE_CRITICAL, "expected MX host %s is missing",
				   p->expect[e]);
	for (size_t i = 0; p->has_expect && !p->expect_subset && i < s->n; i++)
		if (s->hosts[i].name[0] && !expected(p, s->hosts[i].name))
			result_sub(c->res, STATE_CRITICAL, "unexpected MX host %s", s->hosts[i].name);
	for (size_t e = 0; e < p->nprefs; e++) {
		bool found = false;

		for (size_t i = 0; i < s->n; i++) {
			if (strcmp(s->hosts[i].name, p->prefs[e].host) != 0)
				continue;
			found = true;
			if (s->hosts[i].pref != p->prefs[e].pref)
				result_sub(c->res, STATE_CRITICAL, "MX host %s has preference %u, "
					   "expected %u", p->prefs[e].host, s->hosts[i].pref,
					   p->prefs[e].pref);
		}
		if (!found)
			result_sub(c->res, STATE_CRITICAL, "MX host %s (expected with preference %u) "
				   "is missing", p->prefs[e].host, p->prefs[e].pref);
	}
}

static void judge_time(struct ctx *c)
{
	char why[160];
	enum state s;

	if (isnan(c->t))
		return;
	s = range_judge(c->co.has_warn ? &c->co.warn : NULL, c->co.has_crit ? &c->co.crit : NULL,
			c->t, UNIT_TIME, why, sizeof(why));
	if (s != STATE_OK)
		result_sub(c->res, s, "the MX query took %s (%s)", c->took, why);
}

/* ---- --all-servers ------------------------------------------------------ */

struct target {
	char label[320];  /* "ns1.lab.test (127.0.0.1:53)" or "127.0.0.1:53" */
	char server[ADDR_TEXT_MAX]; /* "127.0.0.1:53" for resolver_params.servers */
	char set[1024];   /* its answer, mx_set_text's canonical form */
	bool ok;          /* it answered (an MX set or no MX) */
};

/* The name servers of domain, or of the closest zone above it; their names
 * in *names (caller frees). */
static enum resolve_status find_ns(struct ctx *c, char ***names, size_t *n, char *zone,
				   size_t zlen, struct fail *f)
{
	const char *name = c->domain;

	for (;;) {
		struct dns_reply *rep = NULL;
		enum resolve_status s = resolve_query(c->r, name, DNS_TYPE_NS, &rep, f);

		show_reply(c, c->r, name, DNS_TYPE_NS, rep, f);
		*names = NULL;
		*n = 0;
		if (s == RESOLVE_OK && dns_msg_names(rep->raw, rep->len, DNS_TYPE_NS, names, n) < 0) {
			fail_set(f, FAIL_DNS, "%s: malformed NS answer", name);
			s = RESOLVE_ERROR;
		}
		dns_reply_free(rep);
		if (s == RESOLVE_OK && *n > 0) {
			snprintf(zone, zlen, "%s", name);
			return s;
		}
		dns_names_free(*names, *n);
		*names = NULL;
		*n = 0;
		if (s != RESOLVE_OK && s != RESOLVE_NODATA)
			return s;
		name = strchr(name, '.');
		if (name == NULL || name[1] == '\0') {
			fail_set(f, FAIL_DNS, "%s: no NS records for it or a zone above it", c->domain);
			return RESOLVE_NODATA;
		}
		name++;
	}
}

/* The servers --ns-address named. */
static size_t targets_given(const struct ctx *c, struct target *t)
{
	const char *s = c->p.ns_addrs;
	size_t nt = 0;

	while (*s != '\0' && nt < MAX_LIST) {
		size_t k = strcspn(s, ",");

		snprintf(t[nt].server, sizeof(t[nt].server), "%.*s", (int)k, s);
		snprintf(t[nt].label, sizeof(t[nt].label), "%.*s", (int)k, s);
		nt++;
		s += k;
		if (*s == ',')
			s++;
	}
	return nt;
}

/* The addresses of the domain's name servers; (size_t)-1 when the NS
 * lookup failed (said in a sub-result). */
static size_t targets_from_ns(struct ctx *c, struct target *t)
{
	char **ns = NULL, zone[NAME_MAX_TEXT] = "";
	size_t nns = 0, nt = 0;
	struct fail f = { 0 };
	enum resolve_status s = find_ns(c, &ns, &nns, zone, sizeof(zone), &f);
	struct resolve_result *res = s == RESOLVE_OK ? calloc(nns, sizeof(*res)) : NULL;

	if (res == NULL) {
		result_sub(c->res, s == RESOLVE_TIMEOUT ? c->co.timeout_state : s == RESOLVE_OK
			   ? STATE_UNKNOWN : STATE_CRITICAL, "all servers: NS lookup failed: %s",
			   s == RESOLVE_OK ? "out of memory" : f.text);
		dns_names_free(ns, nns);
		return (size_t)-1;
	}
	resolve_hosts(c->r, (const char *const *)ns, nns, c->co.family,
		      c->p.ns_port ? c->p.ns_port : DNS_PORT, res);
	for (size_t i = 0; i < nns; i++) {
		if (res[i].status != RESOLVE_OK)
			result_sub(c->res, res[i].status == RESOLVE_TIMEOUT ? c->co.timeout_state
				   : STATE_CRITICAL, "name server %s: no address: %s", ns[i],
				   res[i].fail.text);
		for (size_t k = 0; res[i].addrs && k < res[i].addrs->n && nt < MAX_LIST; k++, nt++) {
			addr_format((const struct sockaddr *)&res[i].addrs->addr[k], true,
				    t[nt].server, sizeof(t[nt].server));
			snprintf(t[nt].label, sizeof(t[nt].label), "%s (%s)", ns[i], t[nt].server);
		}
		addr_list_free(res[i].addrs);
	}
	free(res);
	dns_names_free(ns, nns);
	result_detail(c->res, 1, "all servers: %zu address%s of the name servers of %s", nt,
		      nt == 1 ? "" : "es", zone);
	return nt;
}

/* Asks target t for the MX set, within an equal share of the time left
 * (time a server does not use rolls over to the next). */
static void ask_target(struct ctx *c, struct target *t, size_t left_targets)
{
	struct deadline sub;
	struct resolver_params rp = { .deadline = &sub, .servers = t->server, .tcp = c->p.tcp,
				      .no_recursion = c->p.no_recursion };
	struct fail f = { 0 };
	struct mx_set *set = NULL;
	struct resolver *r;
	enum resolve_status s;
	int64_t now = mono_now_ns();

	sub.start_ns = now;
	sub.end_ns = now + deadline_left_ns(&c->dl) / (int64_t)left_targets;
	r = resolver_new(&rp, &f);
	if (r == NULL) {
		snprintf(t->set, sizeof(t->set), "%s", f.text);
		return;
	}
	s = mx_lookup(r, c->domain, false, &set, &f);
	show_reply(c, r, c->domain, DNS_TYPE_MX, set ? set->reply : NULL, &f);
	t->ok = s == RESOLVE_OK;
	if (t->ok)
		mx_set_text(set, t->set, sizeof(t->set));
	else
		snprintf(t->set, sizeof(t->set), "%s", resolve_status_text(s));
	mx_set_free(set);
	resolver_free(r);
}

/* The targets grouped by what they said: "a, b: 10 x; c: timed out". */
static void disagreement(const struct target *t, size_t nt, char *said, size_t len)
{
	bool done[MAX_LIST] = { false };

	said[0] = '\0';
	for (size_t i = 0; i < nt; i++) {
		char group[2048] = "";

		if (done[i])
			continue;
		for (size_t k = i; k < nt; k++)
			if (!done[k] && strcmp(t[k].set, t[i].set) == 0) {
				append(group, sizeof(group), ", ", t[k].label);
				done[k] = true;
			}
		append(said, len, "; ", group);
		append(said, len, ": ", t[i].set);
	}
}

static void all_servers(struct ctx *c)
{
	struct target *t = calloc(MAX_LIST, sizeof(*t));
	size_t nt;
	bool agree = true;
	char said[4096] = "";

	if (t == NULL) {
		result_sub(c->res, STATE_UNKNOWN, "out of memory");
		return;
	}
	nt = c->p.nns_addrs > 0 ? targets_given(c, t) : targets_from_ns(c, t);
	if (nt == (size_t)-1) {
		free(t);
		return;
	}
	for (size_t i = 0; i < nt; i++)
		ask_target(c, &t[i], nt - i);
	for (size_t i = 0; i < nt; i++)
		agree &= t[i].ok && strcmp(t[i].set, t[0].set) == 0;
	if (nt == 0) {
		result_sub(c->res, STATE_CRITICAL, "all servers: no name server address to ask");
	} else if (agree) {
		for (size_t i = 0; i < nt; i++)
			append(said, sizeof(said), ", ", t[i].label);
		result_sub(c->res, STATE_OK, "all %zu name servers give the same MX set: %s", nt, said);
	} else {
		disagreement(t, nt, said, sizeof(said));
		result_sub_brief(c->res, STATE_CRITICAL, "the name servers disagree",
				 "name servers disagree: %s", said);
	}
	free(t);
}

/* ---- the check ---------------------------------------------------------- */

/* The MX query and what its status says on its own.  Returns true when
 * there are MX records (or none) to judge further. */
static bool query(struct ctx *c)
{
	struct fail f = { 0 };
	enum resolve_status s = mx_lookup(c->r, c->domain, c->p.allow_implicit && !c->p.no_resolve,
					  &c->set, &f);
	const struct dns_reply *rep = c->set ? c->set->reply : NULL;

	/* After the query: the system's servers are known once it is sent. */
	result_detail(c->res, 1, "asking %s for %s MX (%s%s%s)", resolver_servers(c->r), c->domain,
		      c->p.tcp ? "TCP" : "UDP, TCP when truncated",
		      c->p.no_recursion ? ", no recursion" : ", recursion desired",
		      c->p.require_ad ? ", AD bit set" : "");
	show_reply(c, c->r, c->domain, DNS_TYPE_MX, rep, &f);
	if (rep != NULL) {
		c->t = rep->seconds;
		time_text(c->t, c->took, sizeof(c->took));
		if (rep->has_ttl)
			c->ttl = rep->min_ttl;
	}
	if (s == RESOLVE_OK) {
		judge_answer_flags(c, rep);
		return true;
	}
	if (s == RESOLVE_NXDOMAIN) {
		c->mxcount = 0;
		result_sub(c->res, STATE_CRITICAL, "domain does not exist (NXDOMAIN from %s)",
			   rep && rep->server[0] ? rep->server : resolver_servers(c->r));
	} else {
		/* The summary names the domain: "DOMAIN: why", said once. */
		size_t dl = strlen(c->domain);
		const char *why = strncmp(f.text, c->domain, dl) == 0 && f.text[dl] == ':' &&
				  f.text[dl + 1] == ' ' ? f.text + dl + 2 : f.text;

		result_sub(c->res, s == RESOLVE_TIMEOUT ? c->co.timeout_state
			   : f.cls == FAIL_INTERNAL ? STATE_UNKNOWN : STATE_CRITICAL, "%s", why);
	}
	return false;
}

static void judge_set(struct ctx *c)
{
	struct mx_set *s = c->set;

	c->mxcount = (double)s->n;
	switch (s->kind) {
	case MX_NULL:
		c->naddr = 0;
		if (c->p.expect_null)
			result_sub(c->res, STATE_OK, "null MX (RFC 7505): the domain accepts no mail, "
				   "as expected");
		else
			result_sub(c->res, STATE_CRITICAL, "domain accepts no mail (null MX '0 .', "
				   "RFC 7505)");
		judge_expectations(c);
		return;
	case MX_LIST:
		judge_list(c);
		judge_expectations(c);
		return;
	default:
		judge_no_mx(c);
		return;
	}
}

/* "DOMAIN: [problem; ]N MX: list, TIME" and its variants. */
static void summarize(struct ctx *c)
{
	char problems[1200], rest[5000];
	bool null_mx = c->set && c->set->kind == MX_NULL;

	result_problems(c->res, PROBLEMS_SHOWN, problems, sizeof(problems));
	if (c->list[0] && !null_mx)
		snprintf(rest, sizeof(rest), "%zu MX: %s, %s", c->set->n, c->list, c->took);
	else if (null_mx && problems[0] == '\0')
		snprintf(rest, sizeof(rest), "null MX (accepts no mail, as expected), %s", c->took);
	else
		snprintf(rest, sizeof(rest), "%s", c->took);
	if (problems[0] == '\0')
		result_summary(c->res, "%s: %s", c->domain, rest);
	else if (c->list[0] && !null_mx)
		result_summary(c->res, "%s: %s; %s", c->domain, problems, rest);
	else
		result_summary(c->res, "%s: %s%s%s", c->domain, problems, rest[0] ? ", " : "", rest);
}

static void perfdata(struct ctx *c)
{
	result_perf(c->res, &(struct perf){ "time", c->t, "s", c->co.has_warn ? &c->co.warn : NULL,
					    c->co.has_crit ? &c->co.crit : NULL, 0, NAN });
	result_perf(c->res, &(struct perf){ "mx", c->mxcount, "", NULL, NULL, 0, NAN });
	if (!c->p.no_resolve)
		result_perf(c->res, &(struct perf){ "addresses", c->naddr, "", NULL, NULL, 0, NAN });
	result_perf(c->res, &(struct perf){ "ttl", c->ttl, "s", NULL, NULL, 0, NAN });
}

static void check(struct ctx *c)
{
	struct resolver_params rp = {
		.deadline = &c->dl,
		.servers = opts_dns_servers(&c->co),
		.tcp = c->p.tcp,
		.no_recursion = c->p.no_recursion,
		.family = c->co.family,
		.ad_bit = c->p.require_ad,
	};
	struct fail f = { 0 };

	c->t = c->mxcount = c->naddr = c->ttl = NAN;
	c->r = resolver_new(&rp, &f);
	if (c->r == NULL) {
		/* A bad -s list is caught while parsing; this is -4/-6 without
		 * a server of that family. */
		result_sub(c->res, STATE_UNKNOWN, "%s", f.text);
	} else if (query(c)) {
		judge_set(c);
		judge_time(c);
		if (c->p.all_servers)
			all_servers(c);
	}
	summarize(c);
	perfdata(c);
	result_detail(c->res, 2, "whole run: %.3f ms", deadline_elapsed_s(&c->dl) * 1000);
	mx_set_free(c->set);
	resolver_free(c->r);
}

/* -d and -H: the domain.  Returns -1 to go on, else the exit code. */
static int pick_domain(struct ctx *c)
{
	if (c->p.domain != NULL && c->co.host != NULL && strcasecmp(c->p.domain, c->co.host) != 0)
		return opts_usage_error(&info, &c->co, "-d and -H name different domains ('%s', "
					"'%s')", c->p.domain, c->co.host);
	if (c->p.domain == NULL && c->co.host != NULL) {
		if (!valid_name(c->co.host))
			return opts_usage_error(&info, &c->co, "-H: '%s' is not a domain name",
						c->co.host);
		c->p.domain = c->co.host;
	}
	if (c->p.domain == NULL)
		return opts_usage_error(&info, &c->co, "no domain given (-d DOMAIN)");
	if (c->p.expect_subset && !c->p.has_expect)
		return opts_usage_error(&info, &c->co, "--expect-subset needs --expect");
	if (c->p.ns_port && !c->p.all_servers)
		return opts_usage_error(&info, &c->co, "--ns-port needs --all-servers");
	mx_norm_name(c->p.domain, c->domain, sizeof(c->domain));
	if (c->domain[0] == '\0')
		return opts_usage_error(&info, &c->co, "'%s' is not a domain name", c->p.domain);
	return -1;
}

int main(int argc, char **argv)
{
	static struct ctx c = { .p = { .min_ttl = -1 } };
	int rc = opts_parse(&info, &c.co, argc, argv, handle, &c, stdout);

	if (rc >= 0 || (rc = pick_domain(&c)) >= 0)
		return rc;
	deadline_start(&c.dl, c.co.timeout_ms);
	c.res = result_new(info.service);
	if (c.res == NULL) {
		printf("%s UNKNOWN - out of memory\n", info.service);
		return STATE_UNKNOWN;
	}
	check(&c);
	/* The domain is what the tags and paths of influx and graphite name. */
	c.co.host = c.p.domain;
	rc = opts_write(&info, &c.co, c.res, stdout);
	result_free(c.res);
	return rc;
}
