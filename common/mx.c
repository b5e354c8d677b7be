#include "mx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void mx_norm_name(const char *in, char *out, size_t len)
{
	size_t n = strlen(in);

	if (len == 0)
		return;
	if (n > 0 && in[n - 1] == '.' && (n < 2 || in[n - 2] != '\\'))
		n--;
	if (n >= len)
		n = len - 1;
	for (size_t i = 0; i < n; i++)
		out[i] = (char)((in[i] >= 'A' && in[i] <= 'Z') ? in[i] - 'A' + 'a' : in[i]);
	out[n] = '\0';
}

int mx_host_cmp(const void *a, const void *b)
{
	const struct mx_host *x = a, *y = b;

	if (x->pref != y->pref)
		return x->pref < y->pref ? -1 : 1;
	return strcasecmp(x->name, y->name);
}

static char *norm_dup(const char *name)
{
	char buf[DNS_NAME_TEXT_MAX];

	mx_norm_name(name, buf, sizeof(buf));
	return strdup(buf);
}

static void host_free(struct mx_host *h)
{
	free(h->name);
	free(h->cname);
	addr_list_free(h->addrs);
	for (size_t i = 0; i < h->nqueries; i++) {
		free(h->queries[i].name);
		dns_reply_free(h->queries[i].reply);
	}
}

void mx_set_free(struct mx_set *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++)
		host_free(&s->hosts[i]);
	free(s->hosts);
	dns_reply_free(s->reply);
	free(s);
}

/* Fills s from the MX records of its reply; -1 when they are malformed or
 * memory ran out (f set). */
static int hosts_from_reply(struct mx_set *s, const char *domain, struct fail *f)
{
	struct dns_mx *mx = NULL;
	size_t n = 0;

	if (dns_msg_mx(s->reply->raw, s->reply->len, &mx, &n) < 0) {
		fail_set(f, FAIL_DNS, "%s: malformed MX answer from %s", domain,
			 s->reply->server[0] ? s->reply->server : "the server");
		return -1;
	}
	s->hosts = calloc(n ? n : 1, sizeof(*s->hosts));
	if (s->hosts == NULL) {
		dns_mx_free(mx, n);
		fail_set(f, FAIL_INTERNAL, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		s->hosts[i].pref = mx[i].preference;
		s->hosts[i].name = norm_dup(mx[i].host);
		if (s->hosts[i].name == NULL) {
			s->n = i;
			dns_mx_free(mx, n);
			fail_set(f, FAIL_INTERNAL, "out of memory");
			return -1;
		}
		s->null_among_others |= n > 1 && s->hosts[i].name[0] == '\0';
	}
	s->n = n;
	dns_mx_free(mx, n);
	qsort(s->hosts, s->n, sizeof(*s->hosts), mx_host_cmp);
	return 0;
}

/* Makes s an implicit MX: the domain itself, preference 0. */
static int implicit_host(struct mx_set *s, const char *domain, struct fail *f)
{
	s->kind = MX_IMPLICIT;
	s->hosts = calloc(1, sizeof(*s->hosts));
	if (s->hosts != NULL)
		s->hosts[0].name = norm_dup(domain);
	if (s->hosts == NULL || s->hosts[0].name == NULL) {
		fail_set(f, FAIL_INTERNAL, "out of memory");
		return -1;
	}
	s->n = 1;
	return 0;
}

enum resolve_status mx_lookup(struct resolver *r, const char *domain, bool implicit_fallback,
			      struct mx_set **out, struct fail *f)
{
	struct mx_set *s = calloc(1, sizeof(*s));
	enum resolve_status st;

	*out = s;
	if (s == NULL) {
		fail_set(f, FAIL_INTERNAL, "out of memory");
		return RESOLVE_ERROR;
	}
	s->kind = MX_NONE;
	st = resolve_query(r, domain, DNS_TYPE_MX, &s->reply, f);
	if (st == RESOLVE_OK && s->reply == NULL) {
		fail_set(f, FAIL_INTERNAL, "out of memory");
		return RESOLVE_ERROR;
	}
	if (st == RESOLVE_OK && hosts_from_reply(s, domain, f) < 0)
		return RESOLVE_ERROR;
	if (st != RESOLVE_OK && st != RESOLVE_NODATA)
		return st;
	if (s->n == 1 && s->hosts[0].name[0] == '\0')
		s->kind = MX_NULL;
	else if (s->n > 0)
		s->kind = MX_LIST;
	else if (implicit_fallback && implicit_host(s, domain, f) < 0)
		return RESOLVE_ERROR;
	return RESOLVE_OK;
}

/* ---- addresses of the hosts --------------------------------------------- */

/* One chain of lookups: the A (or AAAA) address of a host, through CNAMEs. */
struct chain {
	struct mx_host *h;
	int slot;        /* 0: A, 1: AAAA */
	unsigned type;
	int hops;
	char name[DNS_NAME_TEXT_MAX];
	struct resolver *r;
};

static void chain_step(struct chain *c);

/* Keeps a query's outcome with its host, for -v; takes the reply. */
static void keep_query(struct mx_host *h, const char *name, unsigned type,
		       enum resolve_status s, struct dns_reply *reply, const struct fail *f)
{
	struct mx_query *q;

	if (h->nqueries == MX_MAX_LOOKUPS) {
		dns_reply_free(reply);
		return;
	}
	q = &h->queries[h->nqueries++];
	q->name = strdup(name);
	q->type = type;
	q->status = s;
	q->reply = reply;
	q->fail = *f;
}

/* Follows the CNAMEs of rr from c->name as far as the answer goes; notes
 * the first target in the host.  True when the name moved. */
static bool follow_cnames(struct chain *c, const struct dns_record *rr, size_t n)
{
	bool moved_any = false, moved = true;

	for (size_t step = 0; moved && step <= n; step++) {
		moved = false;
		for (size_t i = 0; i < n; i++) {
			char owner[DNS_NAME_TEXT_MAX];

			mx_norm_name(rr[i].name, owner, sizeof(owner));
			if (rr[i].type != DNS_TYPE_CNAME || strcmp(owner, c->name) != 0)
				continue;
			if (c->h->cname == NULL)
				c->h->cname = norm_dup(rr[i].data);
			mx_norm_name(rr[i].data, c->name, sizeof(c->name));
			moved = moved_any = true;
			break;
		}
	}
	return moved_any;
}

/* Adds the addresses of rr owned by c->name; returns how many. */
static size_t take_addresses(struct chain *c, const struct dns_record *rr, size_t n)
{
	size_t found = 0;

	for (size_t i = 0; i < n; i++) {
		char owner[DNS_NAME_TEXT_MAX];
		struct sockaddr_storage ss;
		socklen_t sl;

		mx_norm_name(rr[i].name, owner, sizeof(owner));
		if (rr[i].type != c->type || strcmp(owner, c->name) != 0 ||
		    addr_parse(rr[i].data, 0, &ss, &sl) < 0)
			continue;
		if (c->h->addrs == NULL)
			c->h->addrs = addr_list_new(4);
		if (c->h->addrs != NULL && addr_list_add(c->h->addrs, (struct sockaddr *)&ss, sl) == 0)
			found++;
	}
	return found;
}

static void chain_answer(void *ctx, enum resolve_status s, struct dns_reply *reply,
			 const struct fail *f)
{
	struct chain *c = ctx;
	struct dns_record *rr = NULL;
	size_t n = 0, found;
	bool moved;

	snprintf(c->h->from, sizeof(c->h->from), "%s",
		 reply && reply->server[0] ? reply->server : resolver_servers(c->r));
	if (s != RESOLVE_OK || reply == NULL) {
		/* A resolver that followed a CNAME to a name that does not
		 * exist answers NXDOMAIN with the CNAME: note where it went. */
		keep_query(c->h, c->name, c->type, s, reply, f);
		if (reply != NULL && dns_msg_records(reply->raw, reply->len, &rr, &n) == 0) {
			follow_cnames(c, rr, n);
			dns_records_free(rr, n);
		}
		c->h->status[c->slot] = s;
		c->h->fail[c->slot] = *f;
		free(c);
		return;
	}
	if (dns_msg_records(reply->raw, reply->len, &rr, &n) < 0) {
		c->h->status[c->slot] = RESOLVE_ERROR;
		fail_set(&c->h->fail[c->slot], FAIL_DNS, "%s: malformed reply from %s", c->name,
			 c->h->from);
		keep_query(c->h, c->name, c->type, RESOLVE_ERROR, reply, &c->h->fail[c->slot]);
		free(c);
		return;
	}
	keep_query(c->h, c->name, c->type, s, reply, f);
	moved = follow_cnames(c, rr, n);
	found = take_addresses(c, rr, n);
	dns_records_free(rr, n);
	if (found > 0) {
		c->h->status[c->slot] = RESOLVE_OK;
	} else if (moved && ++c->hops < MX_MAX_CNAME_HOPS) {
		/* A CNAME the server did not follow: ask for its target. */
		chain_step(c);
		return;
	} else {
		c->h->status[c->slot] = RESOLVE_NODATA;
		fail_set(&c->h->fail[c->slot], FAIL_DNS, "%s: no records of that type", c->name);
	}
	free(c);
}

static void chain_step(struct chain *c)
{
	resolve_query_start(c->r, c->name, c->type, chain_answer, c);
}

static void chain_start(struct resolver *r, struct mx_host *h, int slot)
{
	struct chain *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		h->status[slot] = RESOLVE_ERROR;
		fail_set(&h->fail[slot], FAIL_INTERNAL, "out of memory");
		return;
	}
	*c = (struct chain){ .h = h, .slot = slot, .r = r,
			     .type = slot == 0 ? DNS_TYPE_A : DNS_TYPE_AAAA };
	snprintf(c->name, sizeof(c->name), "%s", h->name);
	chain_step(c);
}

/* An IP address as an MX host: its own address, no lookup; none when it
 * is not of family (AF_UNSPEC: any). */
static bool literal_host(struct mx_host *h, int family)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fam = addr_parse(h->name, 0, &ss, &sl);
	int slot = fam == AF_INET ? 0 : 1;

	if (fam < 0)
		return false;
	h->ip_literal = true;
	h->resolved = true;
	if (family != AF_UNSPEC && family != fam) {
		h->status[slot] = RESOLVE_NODATA;
		fail_set(&h->fail[slot], FAIL_DNS, "%s: not an %s address", h->name,
			 family == AF_INET ? "IPv4" : "IPv6");
		return true;
	}
	h->status[slot] = RESOLVE_OK;
	h->addrs = addr_list_new(1);
	if (h->addrs != NULL)
		addr_list_add(h->addrs, (struct sockaddr *)&ss, sl);
	return true;
}

/* The A and AAAA answers come in either order: put the IPv4 addresses
 * first, each family in the order its answer gave. */
static void ipv4_first(struct addr_list *l)
{
	for (size_t i = 1; l != NULL && i < l->n; i++)
		for (size_t j = i; j > 0 && l->addr[j].ss_family == AF_INET &&
				   l->addr[j - 1].ss_family == AF_INET6; j--) {
			struct sockaddr_storage a = l->addr[j];
			socklen_t len = l->len[j];

			l->addr[j] = l->addr[j - 1];
			l->len[j] = l->len[j - 1];
			l->addr[j - 1] = a;
			l->len[j - 1] = len;
		}
}

void mx_resolve(struct resolver *r, struct mx_set *s, int family)
{
	for (size_t i = 0; i < s->n; i++) {
		struct mx_host *h = &s->hosts[i];

		h->status[0] = h->status[1] = RESOLVE_NODATA;
		if (h->name[0] == '\0' || literal_host(h, family))
			continue;
		h->resolved = true;
		if (family != AF_INET6)
			chain_start(r, h, 0);
		if (family != AF_INET)
			chain_start(r, h, 1);
	}
	resolver_run(r);
	for (size_t i = 0; i < s->n; i++) {
		struct mx_host *h = &s->hosts[i];

		h->nxdomain = (h->addrs == NULL || h->addrs->n == 0) &&
			      (h->status[0] == RESOLVE_NXDOMAIN || h->status[1] == RESOLVE_NXDOMAIN);
		ipv4_first(h->addrs);
	}
}

void mx_set_text(const struct mx_set *s, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	if (s->kind == MX_NONE || s->kind == MX_IMPLICIT || s->n == 0) {
		snprintf(buf, len, "no MX");
		return;
	}
	for (size_t i = 0; i < s->n && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%u %s", i ? ", " : "",
					 s->hosts[i].pref,
					 s->hosts[i].name[0] ? s->hosts[i].name : ".");
}
