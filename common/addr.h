/* addr: IP addresses as text and as socket addresses: literals, "ADDR:PORT"
 * forms, CIDR networks, formatting, and lists of addresses to try in order.
 * Pure functions: nothing here looks a name up. */
#ifndef NETCHECK_ADDR_H
#define NETCHECK_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Longest text addr_format writes: "[IPv6%scope]:65535". */
#define ADDR_TEXT_MAX 80

/* Addresses of a host, in the order to try them, each with its port. */
struct addr_list {
	size_t n, cap;
	struct sockaddr_storage *addr;
	socklen_t *len;
};

/* An empty list with room for cap addresses (it grows as needed); NULL
 * when out of memory.  Free with addr_list_free (NULL is fine). */
struct addr_list *addr_list_new(size_t cap);
void addr_list_free(struct addr_list *l);

/* Appends sa (len bytes) to l.  Returns 0, or -1 when out of memory. */
int addr_list_add(struct addr_list *l, const struct sockaddr *sa, socklen_t len);

/* True when host is an IPv4 or IPv6 address literal ("127.0.0.1", "::1",
 * "fe80::1%eth0"), not a name. */
bool addr_is_literal(const char *host);

/* Parses an address literal (IPv6 with an optional %scope) into *ss with
 * `port`.  Returns its family (AF_INET or AF_INET6), or -1 when text is no
 * literal. */
int addr_parse(const char *text, int port, struct sockaddr_storage *ss, socklen_t *len);

/* Parses n bytes of "ADDR", "ADDR:PORT", "[IPv6]:PORT", "[IPv6]" or a bare
 * IPv6 address; a missing port is default_port.  Returns 0, or -1. */
int addr_parse_hostport(const char *text, size_t n, int default_port,
			struct sockaddr_storage *ss, socklen_t *len);

/* Sets the port of an AF_INET or AF_INET6 address. */
void addr_set_port(struct sockaddr_storage *ss, int port);

/* "127.0.0.1:25", "[::1]:25"; the port omitted when with_port is false
 * ("127.0.0.1", "::1"). */
void addr_format(const struct sockaddr *sa, bool with_port, char *buf, size_t len);

/* A network: family, address bytes (network byte order) and prefix. */
struct addr_net {
	int family;               /* AF_INET or AF_INET6 */
	unsigned char bytes[16];  /* 4 used for IPv4 */
	unsigned prefix;          /* 0-32 or 0-128 */
};

/* Parses "ADDR/PREFIX" or a single "ADDR" (a /32 or /128).  Host bits
 * below the prefix must be zero unless allow_host_bits.  Returns 0, or -1
 * with a message naming the bad text in err. */
int addr_net_parse(const char *text, bool allow_host_bits, struct addr_net *net,
		   char *err, size_t errlen);

/* True when sa lies in net (same family, same leading prefix bits). */
bool addr_net_contains(const struct addr_net *net, const struct sockaddr *sa);

/* The number of addresses in net (2^(bits - prefix)), saturated at
 * UINT64_MAX. */
uint64_t addr_net_size(const struct addr_net *net);

/* The i-th address of net (i < addr_net_size) with `port`, into *ss. */
void addr_net_nth(const struct addr_net *net, uint64_t i, int port,
		  struct sockaddr_storage *ss, socklen_t *len);

/* True when two socket addresses hold the same IP address (ports and
 * scopes are not compared). */
bool addr_same_ip(const struct sockaddr *a, const struct sockaddr *b);

/* The hosts of a host file's text (check_icmp_rtt -f, as fping -f reads
 * one): one a line; '#' starts a comment; blanks (space, tab, CR) around a
 * host are dropped; empty lines are skipped.  Calls each(ctx, host, n,
 * lineno) for every host, host pointing into text (n bytes, no NUL); stops
 * at the first nonzero return and returns it; 0 when every host went. */
typedef int (*addr_host_fn)(void *ctx, const char *host, size_t n, size_t lineno);
int addr_host_lines(const char *text, size_t len, addr_host_fn each, void *ctx);

#endif
