/* libFuzzer target: DNS messages as a server sends them, through every
 * parser of common/dnsmsg: the header, answer TTLs, MX and NS names, and
 * the records in presentation form that check_dns_mx prints with -v.
 * make fuzz builds and runs it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dnsmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_header h;
	struct dns_mx *mx;
	struct dns_record *rr;
	char **names, text[DNS_NAME_TEXT_MAX];
	size_t n, next;
	bool has;
	uint32_t ttl;

	if (dns_header_parse(data, size, &h) < 0)
		return 0;
	dns_answer_min_ttl(data, size, &has, &ttl);
	if (dns_msg_mx(data, size, &mx, &n) == 0)
		dns_mx_free(mx, n);
	if (dns_msg_names(data, size, DNS_TYPE_NS, &names, &n) == 0)
		dns_names_free(names, n);
	if (dns_msg_records(data, size, &rr, &n) == 0) {
		/* What check_dns_mx prints: every text is a string it can show. */
		for (size_t i = 0; i < n; i++)
			if (strlen(rr[i].name) >= DNS_NAME_TEXT_MAX || rr[i].data == NULL)
				abort();
		dns_records_free(rr, n);
	}
	dns_name_text(data, size, DNS_HEADER_LEN, text, sizeof(text), &next);
	return 0;
}
