/* libFuzzer target: what a POP3 server sends: status lines with response
 * codes, APOP timestamps, CAPA, multi-line data, STAT/LIST/UIDL, and the
 * message headers (Date, Received) TOP returns.  make fuzz runs it. */
#include <stdint.h>
#include <string.h>

#include "maildate.h"
#include "pop3.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pop3_reply r;
	struct pop3_capa capa = { 0 };
	struct pop3_headers h;
	char ts[128], uid[80], err[64];
	size_t start = 0;
	time_t t;

	pop3_headers_init(&h);
	for (size_t i = 0; i <= size; i++) {
		const unsigned char *line = data + start, *d;
		size_t len = i - start, dlen;
		unsigned long n;
		unsigned long long sz;

		if (i < size && data[i] != '\n')
			continue;
		if (pop3_parse_reply(line, len, &r) == 0)
			pop3_code_is(&r, "SYS");
		pop3_apop_timestamp(line, len, ts, sizeof(ts));
		pop3_capa_line(&capa, line, len);
		if (pop3_data_line(line, len, &d, &dlen) == 0) {
			pop3_headers_line(&h, d, dlen);
			pop3_parse_stat(d, dlen, &n, &sz);
			pop3_parse_scan(d, dlen, &n, &sz);
			pop3_parse_uidl(d, dlen, &n, uid, sizeof(uid));
		}
		start = i + 1;
	}
	pop3_subject_has(&h, "token");
	maildate_parse((const unsigned char *)h.date, strlen(h.date), &t, err, sizeof(err));
	maildate_received((const unsigned char *)h.received, strlen(h.received), &t, err,
			  sizeof(err));
	maildate_parse(data, size, &t, err, sizeof(err));
	return 0;
}
