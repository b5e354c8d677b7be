/* libFuzzer target: DNS messages as a server sends them: header, answer
 * TTLs, MX and NS names.  make fuzz builds and runs it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "resolve.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_header h;
	struct dns_reply reply = { .raw = (unsigned char *)data, .len = size };
	struct mx_record *mx;
	char **names;
	size_t n;
	bool has;
	uint32_t ttl;

	if (dns_header_parse(data, size, &h) < 0)
		return 0;
	dns_answer_min_ttl(data, size, &has, &ttl);
	if (dns_reply_mx(&reply, &mx, &n) == 0)
		mx_records_free(mx, n);
	if (dns_reply_names(&reply, DNS_TYPE_NS, &names, &n) == 0)
		names_free(names, n);
	return 0;
}
