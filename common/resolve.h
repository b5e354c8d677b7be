/* resolve: name resolution with c-ares, bounded by the run's deadline.
 * One channel per run; /etc/hosts and /etc/resolv.conf by default, or the
 * servers the user named. */
#ifndef NETCHECK_RESOLVE_H
#define NETCHECK_RESOLVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "deadline.h"
#include "fail.h"

struct resolver;

/* DNS constants (RFC 1035, RFC 3596). */
enum {
	DNS_CLASS_IN = 1,
	DNS_TYPE_A = 1,
	DNS_TYPE_NS = 2,
	DNS_TYPE_CNAME = 5,
	DNS_TYPE_PTR = 12,
	DNS_TYPE_MX = 15,
	DNS_TYPE_AAAA = 28,
};

struct resolver_params {
	const struct deadline *deadline; /* every lookup ends by it */
	const char *servers; /* "ADDR[:PORT],..." (IPv6 as [ADDR]:PORT or bare
			      * ADDR); NULL: the system's resolvers */
	bool tcp;            /* queries over TCP only */
	bool no_recursion;   /* clear the RD bit */
	int family;          /* AF_UNSPEC (0): every server; AF_INET or
			      * AF_INET6: only the servers of that family */
	bool ad_bit;         /* resolve_query sets the AD bit in its queries, so
			      * a validating resolver says whether it validated
			      * the answer (RFC 6840 5.7) */
};

/* What a lookup ended with. */
enum resolve_status {
	RESOLVE_OK,
	RESOLVE_NXDOMAIN,   /* the name does not exist */
	RESOLVE_NODATA,     /* the name exists, without records of that type */
	RESOLVE_SERVFAIL,   /* server failure */
	RESOLVE_REFUSED,    /* the server refused to answer */
	RESOLVE_TIMEOUT,    /* no answer before the deadline */
	RESOLVE_ERROR,      /* anything else: unreachable server, bad reply */
	RESOLVE_LAST
};

/* A new resolver; NULL with the reason in f (FAIL_INTERNAL for a bad
 * server list, which names the bad text).  The c-ares channel itself is made
 * at the first lookup that needs DNS, so a run given an address literal
 * never reads /etc/resolv.conf. */
struct resolver *resolver_new(const struct resolver_params *p, struct fail *f);
void resolver_free(struct resolver *r);

/* The servers this resolver asks, "127.0.0.1:53, [::1]:5353", for messages. */
const char *resolver_servers(const struct resolver *r);

/* Addresses of a host, in order (A then AAAA per c-ares' sorting; an IP
 * literal gives itself), with `port` set in each. */
struct addr_list {
	size_t n;
	struct sockaddr_storage *addr;
	socklen_t *len;
};

/* Looks up host for family (AF_UNSPEC, AF_INET, AF_INET6).  Returns the
 * status; on RESOLVE_OK *out is a list the caller frees with
 * addr_list_free.  Otherwise f says why ("mail.test: no such domain",
 * "... timed out after 2 s"). */
enum resolve_status resolve_host(struct resolver *r, const char *host, int family,
				 int port, struct addr_list **out, struct fail *f);
void addr_list_free(struct addr_list *l);

/* "127.0.0.1:25", "[::1]:25"; port omitted when with_port is false. */
void addr_format(const struct sockaddr *sa, bool with_port, char *buf, size_t len);

/* The header of a DNS message. */
struct dns_header {
	uint16_t id;
	bool qr, aa, tc, rd, ra, ad, cd;
	unsigned opcode, rcode;
	uint16_t qdcount, ancount, nscount, arcount;
};

/* A raw answer with its header and the lowest TTL of its answer section. */
struct dns_reply {
	unsigned char *raw;
	size_t len;
	struct dns_header hdr;
	bool has_ttl;
	uint32_t min_ttl;
	double seconds; /* time from query to answer */
	bool tcp;       /* the answer came over TCP (asked so, or after a
			 * truncated UDP answer) */
	char server[64]; /* who answered, "127.0.0.1:53"; "" when unknown */
};

/* Sends one query (type: 1 A, 2 NS, 12 PTR, 15 MX, 28 AAAA, ...) for name.
 * Returns the status; *out gets the reply whenever the server answered
 * (also NXDOMAIN and SERVFAIL), else NULL.  Free with dns_reply_free. */
enum resolve_status resolve_query(struct resolver *r, const char *name, int type,
				  struct dns_reply **out, struct fail *f);
void dns_reply_free(struct dns_reply *reply);

/* MX, NS and PTR data of a reply, parsed. */
struct mx_record {
	unsigned preference;
	char *host; /* "" for the null MX's "." */
};
int dns_reply_mx(const struct dns_reply *reply, struct mx_record **out, size_t *n);
void mx_records_free(struct mx_record *mx, size_t n);
/* Names (NS hosts or PTR targets) of a reply; an array of n strings. */
int dns_reply_names(const struct dns_reply *reply, int type, char ***out, size_t *n);
void names_free(char **names, size_t n);

/* One record of a reply's answer section, in presentation form. */
struct dns_record {
	char *name;    /* owner, "mail.example.test" (no final dot; "" the root) */
	unsigned type; /* DNS_TYPE_*, or any other type number */
	uint32_t ttl;
	char *data;    /* A "127.0.0.1", AAAA "::1", MX "10 mail.example.test.",
			* CNAME/NS/PTR "host.example.test."; any other type
			* "\# LEN HEX" (RFC 3597) */
};
/* The answer section of a reply, in order.  Returns 0 with an array of n
 * records the caller frees with dns_records_free, or -1 when the message
 * is malformed or memory ran out. */
int dns_reply_records(const struct dns_reply *reply, struct dns_record **out, size_t *n);
void dns_records_free(struct dns_record *rr, size_t n);
/* "A", "MX", ..., or "TYPE65" for a type without a name here, into buf. */
void dns_type_format(unsigned type, char *buf, size_t len);

/* Pure parsers over a DNS message, for tests and fuzzing.  Both return 0,
 * or -1 when the message is malformed. */
int dns_header_parse(const unsigned char *msg, size_t len, struct dns_header *h);
int dns_answer_min_ttl(const unsigned char *msg, size_t len, bool *has_ttl,
		       uint32_t *min_ttl);

/* "no such domain", "server failure", ... */
const char *resolve_status_text(enum resolve_status s);

#endif
