/* dnsserver: a DNS server for the resolve and mx suites, in a forked child
 * on loopback (127.0.0.1 or ::1): UDP and TCP on one port, answers from a
 * zone the test gives as a table of names.
 *
 * What the server was asked comes back to the test through shared memory:
 * counts (dnsserver_stats) and a log of the names and types asked
 * (dnsserver_asked).  The child lives at most DNSSERVER_MAX_LIFE_S seconds
 * and dies with the test process; dnsserver_stop kills it with SIGKILL and
 * reaps it, so a test never depends on how the child ends (under valgrind,
 * with CK_FORK=no, the child is a valgrind process too). */
#ifndef NETCHECK_TEST_DNSSERVER_H
#define NETCHECK_TEST_DNSSERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dnsmsg.h"

#define DNSSERVER_MAX_LIFE_S 60  /* a server child never outlives this */
#define DNSSERVER_LOG_MAX 1024   /* queries logged by name and type */
#define DNSSERVER_HOLD_MAX 1024  /* answers held back at once (batch_ms,
				  * DZ_A_LAST); more are sent at once */
#define DNSSERVER_A_LAST_MS 5000 /* DZ_A_LAST: the A answer goes out by then
				  * even when no AAAA query comes */
#define DZ_MAX_RR 8              /* records of one name */

/* How a name is answered: flags of dz_name.how. */
enum {
	DZ_NXDOMAIN = 1 << 0,  /* rcode NXDOMAIN (so is every name not in the zone) */
	DZ_SERVFAIL = 1 << 1,  /* rcode SERVFAIL, no records */
	DZ_REFUSED = 1 << 2,   /* rcode REFUSED, no records */
	DZ_FORMERR = 1 << 3,   /* rcode FORMERR, no records */
	DZ_SILENT = 1 << 4,    /* never answers */
	DZ_AA = 1 << 5,        /* the AA bit set */
	DZ_AD = 1 << 6,        /* the AD bit set */
	DZ_TC = 1 << 7,        /* over UDP: TC and no records; over TCP: all */
	DZ_BAD = 1 << 8,       /* ancount counts the records, none follows */
	DZ_BIG = 1 << 9,       /* MX queries: 40 records "N mxNN.<name>",
				* N = 0..39, TTL 1000 + N, after the zone's */
	DZ_WRONGQ = 1 << 10,   /* the answer's question is another name */
	DZ_FOLLOW = 1 << 11,   /* a CNAME is followed in the answer, as a
				* recursive server does: the target's records
				* come too (through up to 10 CNAMEs); a target
				* outside the zone makes it NXDOMAIN */
	DZ_A_LAST = 1 << 12,   /* over UDP, the answer to an A query waits
				* for an AAAA query of the same name and goes
				* out after that answer */
};

/* One record.  data by type: A, AAAA an address ("192.0.2.1"); MX
 * "PREF NAME"; CNAME, NS, PTR "NAME".  A NAME "x@" is the label x and a
 * compression pointer to the question name, "." the root, anything else
 * an uncompressed absolute name (no final dot).  For any type, "\\#HEX"
 * ("\\#000a") is the record data as these bytes, so tests can send data
 * that does not fit its type. */
struct dz_rr {
	unsigned type;    /* DNS_TYPE_*; 0 ends the list */
	uint32_t ttl;
	const char *data;
};

/* One name of the zone.  "*.x.test" stands for every name below x.test
 * that has no entry of its own.  A query of a type the name has no
 * records of gets NOERROR and an empty answer (NODATA); a name with a
 * CNAME answers every other type with its CNAME records. */
struct dz_name {
	const char *name;
	unsigned how;               /* DZ_* flags */
	struct dz_rr rr[DZ_MAX_RR]; /* its records, in answer order */
};

struct dnsserver_params {
	int family;                 /* AF_INET (127.0.0.1) or AF_INET6 (::1) */
	const struct dz_name *zone; /* the names it knows (copied by the
				     * child: the table must outlive the call
				     * only) */
	size_t nzone;
	int batch_ms;               /* 0: answer at once; else UDP answers
				     * are held until no query has come for
				     * batch_ms, then all sent (stats.held_max
				     * is the most held at once) */
};

/* What the server saw. */
struct dnsserver_stats {
	int udp, tcp;   /* queries received over each */
	int last_rd;    /* the RD bit of the last query */
	int last_ad;    /* the AD bit of the last query */
	int held_max;   /* the most answers held back at once */
	int logged;     /* queries in the log (at most DNSSERVER_LOG_MAX) */
};

struct dnsserver;

/* Starts a server; NULL when the family has no loopback address here (the
 * caller says SKIP).  Test failures on other errors. */
struct dnsserver *dnsserver_start(const struct dnsserver_params *p);

/* Its address for resolver_params.servers: "127.0.0.1:PORT", "[::1]:PORT"
 * (valid until dnsserver_stop). */
const char *dnsserver_servers(const struct dnsserver *s);

/* Its port. */
int dnsserver_port(const struct dnsserver *s);

/* A snapshot of what it saw so far. */
struct dnsserver_stats dnsserver_stats(const struct dnsserver *s);

/* Queries received so far, UDP and TCP. */
int dnsserver_queries(const struct dnsserver *s);

/* How many logged queries asked for name (any case) and type (0: any). */
int dnsserver_asked(const struct dnsserver *s, const char *name, unsigned type);

/* Kills and reaps the child, frees s.  NULL is fine. */
void dnsserver_stop(struct dnsserver *s);

/* Stops every server still running (for a test case's teardown). */
void dnsserver_stop_all(void);

/* A UDP socket on the loopback address of family that never answers (the
 * caller closes it), its port in *port; -1 when the family has none. */
int dnsserver_mute(int family, int *port);

/* A loopback port of family where nothing listens (a UDP port bound and
 * released): queries to it are refused. */
int dnsserver_unused_port(int family);

#endif
