/* mx: a domain's mail exchangers as mail delivery finds them (RFC 5321
 * 5.1): the MX set ordered by preference, then name; the null MX (RFC
 * 7505); the implicit MX (no MX records: the domain's own address); and
 * the addresses of each host, following CNAMEs, looked up concurrently.
 * check_dns_mx and check_smtp_dialogue --mx both use it, so they order and
 * classify alike.  Judging what is found is the check's job. */
#ifndef NETCHECK_MX_H
#define NETCHECK_MX_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"
#include "fail.h"
#include "resolve.h"

#define MX_MAX_CNAME_HOPS 8 /* CNAMEs followed for one host's address */
#define MX_MAX_LOOKUPS 32   /* queries kept per host for showing (-v) */

enum mx_kind {
	MX_LIST,     /* MX records naming hosts */
	MX_NULL,     /* the single record "0 ." (RFC 7505): no mail accepted */
	MX_IMPLICIT, /* no MX records: mail goes to the domain itself (its
		      * only host), when the lookup asked for that fallback */
	MX_NONE,     /* no MX records (and no fallback asked for) */
	MX_KIND_LAST
};

/* One query made for a host's address, kept for -v. */
struct mx_query {
	char *name;                /* the name asked for */
	unsigned type;             /* DNS_TYPE_A or DNS_TYPE_AAAA */
	enum resolve_status status;
	struct dns_reply *reply;   /* NULL when none came */
	struct fail fail;          /* why, when status is not OK */
};

/* One mail exchanger. */
struct mx_host {
	unsigned pref;
	char *name;            /* lower case, no final dot; "" for "." */
	/* Filled by mx_resolve: */
	bool resolved;         /* its addresses were looked up */
	bool ip_literal;       /* the name is an IP address (RFC 5321 2.3.5
				* forbids it); it is taken as its address,
				* when of the family asked for */
	char *cname;           /* the first CNAME target, NULL none */
	enum resolve_status status[2]; /* of the A and AAAA lookups */
	struct fail fail[2];   /* ... and why they failed */
	bool nxdomain;         /* the name (or its CNAME target) does not exist */
	struct addr_list *addrs; /* A then AAAA, port 0; NULL when none */
	char from[ADDR_TEXT_MAX];  /* the server of its last answer */
	struct mx_query queries[MX_MAX_LOOKUPS];
	size_t nqueries;
};

struct mx_set {
	enum mx_kind kind;
	size_t n;
	struct mx_host *hosts;   /* ordered by preference, then name */
	bool null_among_others;  /* a "0 ." beside other records (RFC 7505 3
				  * forbids it); kept as a host named "" */
	struct dns_reply *reply; /* the MX answer, NULL when none came */
};

/* Looks up domain's MX records.  On RESOLVE_OK, *out is the set (kind
 * MX_LIST or MX_NULL; with implicit_fallback, no MX records give kind
 * MX_IMPLICIT with the domain as its one host, preference 0, else
 * MX_NONE).  RESOLVE_NODATA is turned into such a set and RESOLVE_OK.
 * Otherwise (NXDOMAIN, SERVFAIL, REFUSED, timeout, a malformed answer:
 * RESOLVE_ERROR) *out is a set of kind MX_NONE that may hold the reply,
 * and f says why.  Free with mx_set_free. */
enum resolve_status mx_lookup(struct resolver *r, const char *domain, bool implicit_fallback,
			      struct mx_set **out, struct fail *f);
void mx_set_free(struct mx_set *s);

/* Looks up the addresses of every host of s at once, A and AAAA (or one of
 * them for family AF_INET/AF_INET6), following CNAMEs that an answer leaves
 * open; IP literals are taken as their address.  Bounded by the resolver's
 * deadline. */
void mx_resolve(struct resolver *r, struct mx_set *s, int family);

/* Orders two hosts: by preference, then name (any case). */
int mx_host_cmp(const void *a, const void *b);

/* The set in a canonical form: "10 mail.test, 20 mx2.test", "0 ." for a
 * null MX, "no MX" for none. */
void mx_set_text(const struct mx_set *s, char *buf, size_t len);

/* A host name for comparisons: lower case, final dot dropped. */
void mx_norm_name(const char *in, char *out, size_t len);

#endif
