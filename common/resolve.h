/* resolve: name resolution with c-ares, bounded by the run's deadline.
 * One resolver per run; /etc/hosts and /etc/resolv.conf by default, or the
 * servers the user named.  Lookups run concurrently: start any number,
 * then either wait for them (resolver_run) or drive them from a poll loop
 * that also serves other sockets (resolver_pollfds, resolver_process).
 * Message parsing is common/dnsmsg; address text is common/addr. */
#ifndef NETCHECK_RESOLVE_H
#define NETCHECK_RESOLVE_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "deadline.h"
#include "dnsmsg.h"
#include "fail.h"

#define RESOLVE_MAX_SERVERS 16 /* DNS servers one resolver asks */

struct resolver;

struct resolver_params {
	const struct deadline *deadline; /* every lookup ends by it */
	const char *servers; /* "ADDR[:PORT],..." (IPv6 as [ADDR]:PORT or bare
			      * ADDR); NULL: the system's resolvers */
	bool tcp;            /* queries over TCP only */
	bool no_recursion;   /* clear the RD bit */
	int family;          /* AF_UNSPEC (0): every server; AF_INET or
			      * AF_INET6: only the servers of that family */
	bool ad_bit;         /* queries set the AD bit, so a validating
			      * resolver says whether it validated the answer
			      * (RFC 6840 5.7) */
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

/* "no such domain", "server failure", ... */
const char *resolve_status_text(enum resolve_status s);

/* A new resolver; NULL with the reason in f (FAIL_INTERNAL for a bad
 * server list, which names the bad text).  The c-ares channel itself is made
 * at the first lookup that needs DNS, so a run given an address literal
 * never reads /etc/resolv.conf. */
struct resolver *resolver_new(const struct resolver_params *p, struct fail *f);

/* Cancels what is pending (their callbacks run with RESOLVE_TIMEOUT) and
 * frees.  NULL is fine. */
void resolver_free(struct resolver *r);

/* Checks a server list as resolver_params.servers takes it.  Returns 0, or
 * -1 with a message naming the bad entry in err. */
int resolver_check_servers(const char *list, char *err, size_t errlen);

/* The servers this resolver asks, "127.0.0.1:53, [::1]:5353", for messages. */
const char *resolver_servers(const struct resolver *r);

/* ---- host addresses ----------------------------------------------------- */

/* Called once per lookup with its status; on RESOLVE_OK `addrs` is a list
 * the callee owns (frees with addr_list_free), else NULL and f says why
 * ("mail.test: no such domain (NXDOMAIN from 127.0.0.1:53)"). */
typedef void (*resolve_host_cb)(void *ctx, enum resolve_status s, struct addr_list *addrs,
				const struct fail *f);

/* Starts looking up host's addresses for family (AF_UNSPEC: A then AAAA as
 * c-ares sorts them), each with `port`.  An IP literal, or a failure to
 * start, calls cb before this returns. */
void resolve_host_start(struct resolver *r, const char *host, int family, int port,
			resolve_host_cb cb, void *ctx);

/* The same, waiting: returns the status; on RESOLVE_OK *out is a list the
 * caller frees with addr_list_free, otherwise f says why. */
enum resolve_status resolve_host(struct resolver *r, const char *host, int family,
				 int port, struct addr_list **out, struct fail *f);

/* The outcome of one lookup of a batch. */
struct resolve_result {
	enum resolve_status status;
	struct addr_list *addrs; /* on RESOLVE_OK; the caller frees it */
	struct fail fail;        /* why not */
};

/* Looks up n hosts at once (concurrently, all bounded by the deadline);
 * results[i] for hosts[i]. */
void resolve_hosts(struct resolver *r, const char *const *hosts, size_t n, int family,
		   int port, struct resolve_result *results);

/* ---- DNS queries -------------------------------------------------------- */

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
	char server[ADDR_TEXT_MAX]; /* who answered, "127.0.0.1:53"; "" unknown */
};
void dns_reply_free(struct dns_reply *reply);

/* Called once per query: *reply whenever the server answered (also
 * NXDOMAIN and SERVFAIL; the callee owns it), else NULL. */
typedef void (*resolve_query_cb)(void *ctx, enum resolve_status s, struct dns_reply *reply,
				 const struct fail *f);

/* Starts one query of `type` (DNS_TYPE_*) for name. */
void resolve_query_start(struct resolver *r, const char *name, unsigned type,
			 resolve_query_cb cb, void *ctx);

/* The same, waiting.  *out gets the reply whenever there is one (free with
 * dns_reply_free), else NULL. */
enum resolve_status resolve_query(struct resolver *r, const char *name, unsigned type,
				  struct dns_reply **out, struct fail *f);

/* ---- driving lookups ---------------------------------------------------- */

/* Lookups started and not yet called back. */
size_t resolver_pending(const struct resolver *r);

/* Runs the lookups until none is pending or the deadline passes (what is
 * then pending ends with RESOLVE_TIMEOUT).  Returns false when the deadline
 * passed first. */
bool resolver_run(struct resolver *r);

/* For a caller's own poll loop: the resolver's descriptors and events, at
 * most max of them, into pfd; returns how many. */
size_t resolver_pollfds(const struct resolver *r, struct pollfd *pfd, size_t max);

/* Milliseconds until the resolver needs resolver_process for a timer (0:
 * now); -1 when nothing is pending. */
int64_t resolver_next_ms(struct resolver *r);

/* Handles the revents of the n entries of pfd (those resolver_pollfds
 * gave; others are ignored) and any timer that is due; callbacks run from
 * here.  At the deadline, cancels what is pending. */
void resolver_process(struct resolver *r, const struct pollfd *pfd, size_t n);

#endif
