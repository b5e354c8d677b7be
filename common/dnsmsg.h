/* dnsmsg: DNS messages (RFC 1035) as pure functions over
 * (const unsigned char *, size_t): the header, names with compression,
 * the records of the answer section in presentation form (as dig prints
 * them), and the MX, NS and PTR data checks need.  No c-ares, no network:
 * unit tests and fuzz targets call these directly. */
#ifndef NETCHECK_DNSMSG_H
#define NETCHECK_DNSMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* DNS constants (RFC 1035, RFC 3596). */
enum {
	DNS_CLASS_IN = 1,
	DNS_TYPE_A = 1,
	DNS_TYPE_NS = 2,
	DNS_TYPE_CNAME = 5,
	DNS_TYPE_SOA = 6,
	DNS_TYPE_PTR = 12,
	DNS_TYPE_MX = 15,
	DNS_TYPE_TXT = 16,
	DNS_TYPE_AAAA = 28,
	DNS_PORT = 53,
	DNS_HEADER_LEN = 12,
	DNS_NAME_WIRE_MAX = 255,
};

/* Longest name in presentation form with its NUL: every byte of a 255-byte
 * wire name written as \DDD. */
#define DNS_NAME_TEXT_MAX (4 * DNS_NAME_WIRE_MAX + 1)

/* The header of a DNS message. */
struct dns_header {
	uint16_t id;
	bool qr, aa, tc, rd, ra, ad, cd;
	unsigned opcode, rcode;
	uint16_t qdcount, ancount, nscount, arcount;
};

/* Returns 0, or -1 when msg is shorter than a header. */
int dns_header_parse(const unsigned char *msg, size_t len, struct dns_header *h);

/* "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", or
 * "RCODE<n>" for others (a static string or buf). */
const char *dns_rcode_name(unsigned rcode, char *buf, size_t len);

/* "A", "MX", ..., or "TYPE65" for a type without a name here, into buf. */
void dns_type_format(unsigned type, char *buf, size_t len);

/* The (possibly compressed) name at off, in presentation form without the
 * final dot ("mail.example.test"; "" for the root); a '.' or '\' inside a
 * label is escaped with '\', other bytes outside '!'..'~' as \DDD.  *next
 * gets the offset just past the name at off.  Returns 0, or -1 when the
 * name is malformed: it runs past the end, uses label types 0x40/0x80, has
 * a pointer out of the message or in a loop, is over 255 bytes, or does
 * not fit outlen. */
int dns_name_text(const unsigned char *msg, size_t len, size_t off, char *out,
		  size_t outlen, size_t *next);

/* The lowest TTL of the answer section; *has_ttl false when it is empty.
 * Returns 0, or -1 when the message is malformed. */
int dns_answer_min_ttl(const unsigned char *msg, size_t len, bool *has_ttl,
		       uint32_t *min_ttl);

/* One record of the answer section, in presentation form. */
struct dns_record {
	char *name;    /* owner, "mail.example.test" (no final dot; "" the root) */
	unsigned type; /* DNS_TYPE_*, or any other type number */
	uint32_t ttl;
	char *data;    /* A "127.0.0.1", AAAA "::1", MX "10 mail.example.test.",
			* CNAME/NS/PTR "host.example.test."; any other type
			* "\# LEN HEX" (RFC 3597) */
};

/* The answer section, in order.  Returns 0 with an array of n records the
 * caller frees with dns_records_free, or -1 when the message is malformed
 * (also a record whose data does not fit its type) or memory ran out. */
int dns_msg_records(const unsigned char *msg, size_t len, struct dns_record **out,
		    size_t *n);
void dns_records_free(struct dns_record *rr, size_t n);

/* The MX records of the answer section. */
struct dns_mx {
	unsigned preference;
	char *host; /* no final dot; "" for the null MX's "." */
};
int dns_msg_mx(const unsigned char *msg, size_t len, struct dns_mx **out, size_t *n);
void dns_mx_free(struct dns_mx *mx, size_t n);

/* The target names of the answer's records of `type` (NS, PTR, CNAME; the
 * exchange of MX): an array of n strings.  Returns 0, or -1 as
 * dns_msg_records. */
int dns_msg_names(const unsigned char *msg, size_t len, unsigned type, char ***out,
		  size_t *n);
void dns_names_free(char **names, size_t n);

#endif
