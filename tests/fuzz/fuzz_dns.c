/* libFuzzer target: DNS messages as a server sends them, through every
 * parser of common/dnsmsg: the header, the question name, answer TTLs, MX
 * and NS names, and the records in presentation form that check_dns_mx
 * prints with -v.
 *
 * Invariants checked besides "no crash": every text is printable ASCII,
 * a name has no space and reads back (its escapes undone) as labels of at
 * most 63 bytes and at most 255 bytes in all; an A or AAAA record's text
 * is an address that inet_pton takes; when the answer section parses as
 * records, there are ancount of them, the minimum TTL is theirs, the MX
 * list and the NS and MX name lists parse too and agree with the records'
 * texts ("10 mx.example.test." is preference 10, host mx.example.test).
 * make fuzz builds and runs it. */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnsmsg.h"

static void printable(const char *s, bool space_ok)
{
	for (; *s != '\0'; s++)
		if (*s < (space_ok ? 0x20 : 0x21) || *s > 0x7e)
			abort();
}

/* The wire length of a name in presentation form (without the final
 * dot); aborts on a label over 63 bytes or a bad escape. */
static size_t wire_len(const char *s)
{
	size_t total = 1, label = 0;

	if (*s == '\0')
		return 1;
	for (;; s++) {
		if (*s == '\0' || *s == '.') {
			if (label == 0 || label > 63)
				abort();
			total += 1 + label;
			label = 0;
			if (*s == '\0')
				return total;
			continue;
		}
		if (*s == '\\') {
			if (s[1] >= '0' && s[1] <= '9') {
				if (s[2] < '0' || s[2] > '9' || s[3] < '0' || s[3] > '9' ||
				    (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0') > 255)
					abort();
				s += 3;
			} else if (s[1] == '\0') {
				abort();
			} else {
				s++;
			}
		}
		label++;
	}
}

static void check_name(const char *name)
{
	printable(name, false);
	if (wire_len(name) > DNS_NAME_WIRE_MAX)
		abort();
}

/* A name's text with the final dot the records' data has. */
static void same_with_dot(const char *name, const char *data)
{
	size_t n = strlen(name);

	if (strncmp(name, data, n) != 0 || strcmp(data + n, ".") != 0)
		abort();
}

static void check_record(const struct dns_record *rr)
{
	unsigned char a[16];

	check_name(rr->name);
	printable(rr->data, true);
	if (rr->type == DNS_TYPE_A && inet_pton(AF_INET, rr->data, a) != 1)
		abort();
	if (rr->type == DNS_TYPE_AAAA && inet_pton(AF_INET6, rr->data, a) != 1)
		abort();
}

/* The answer parsed as records: the other views of it must agree. */
static void agree(const uint8_t *data, size_t size, const struct dns_header *h,
		  const struct dns_record *rr, size_t n)
{
	struct dns_mx *mx;
	char **names, text[DNS_NAME_TEXT_MAX + 16];
	size_t nmx, nnames, k = 0;
	bool has;
	uint32_t ttl, min = UINT32_MAX;

	if (n != h->ancount)
		abort();
	for (size_t i = 0; i < n; i++) {
		check_record(&rr[i]);
		if (rr[i].ttl < min)
			min = rr[i].ttl;
	}
	if (dns_answer_min_ttl(data, size, &has, &ttl) != 0 || has != (n > 0) || (has && ttl != min))
		abort();
	if (dns_msg_mx(data, size, &mx, &nmx) != 0)
		abort();
	for (size_t i = 0; i < n; i++) {
		if (rr[i].type != DNS_TYPE_MX)
			continue;
		if (k >= nmx)
			abort();
		snprintf(text, sizeof(text), "%u %s.", mx[k].preference, mx[k].host);
		if (strcmp(text, rr[i].data) != 0)
			abort();
		k++;
	}
	if (k != nmx)
		abort();
	if (dns_msg_names(data, size, DNS_TYPE_MX, &names, &nnames) != 0 || nnames != nmx)
		abort();
	for (size_t i = 0; i < nnames; i++)
		if (strcmp(names[i], mx[i].host) != 0)
			abort();
	dns_names_free(names, nnames);
	dns_mx_free(mx, nmx);
	if (dns_msg_names(data, size, DNS_TYPE_NS, &names, &nnames) != 0)
		abort();
	k = 0;
	for (size_t i = 0; i < n; i++)
		if (rr[i].type == DNS_TYPE_NS) {
			if (k >= nnames)
				abort();
			same_with_dot(names[k++], rr[i].data);
		}
	if (k != nnames)
		abort();
	dns_names_free(names, nnames);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_header h;
	struct dns_mx *mx;
	struct dns_record *rr;
	char **names, text[DNS_NAME_TEXT_MAX], buf[32];
	size_t n, next;
	bool has;
	uint32_t ttl;

	if (dns_header_parse(data, size, &h) < 0) {
		if (size >= DNS_HEADER_LEN)
			abort();
		return 0;
	}
	printable(dns_rcode_name(h.rcode, buf, sizeof(buf)), false);
	dns_type_format(size > 13 ? (unsigned)(data[12] << 8 | data[13]) : 0, buf, sizeof(buf));
	printable(buf, false);
	if (dns_name_text(data, size, DNS_HEADER_LEN, text, sizeof(text), &next) == 0) {
		check_name(text);
		if (next <= DNS_HEADER_LEN || next > size)
			abort();
	}
	if (dns_msg_records(data, size, &rr, &n) == 0) {
		agree(data, size, &h, rr, n);
		dns_records_free(rr, n);
		return 0;
	}
	/* A malformed answer: the other parsers must fail cleanly or agree
	 * on what they read. */
	dns_answer_min_ttl(data, size, &has, &ttl);
	if (dns_msg_mx(data, size, &mx, &n) == 0) {
		for (size_t i = 0; i < n; i++)
			check_name(mx[i].host);
		dns_mx_free(mx, n);
	}
	if (dns_msg_names(data, size, DNS_TYPE_PTR, &names, &n) == 0) {
		for (size_t i = 0; i < n; i++)
			check_name(names[i]);
		dns_names_free(names, n);
	}
	return 0;
}
