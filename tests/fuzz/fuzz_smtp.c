/* libFuzzer target: SMTP reply lines and EHLO extensions, as read from the
 * network.  make fuzz builds and runs it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtp_reply r = { 0 };
	struct smtp_ext ext;
	size_t start = 0;
	char qid[64];

	/* Lines separated by LF, as conn_readline hands them over. */
	for (size_t i = 0; i <= size && r.n < SMTP_MAX_REPLY_LINES; i++) {
		if (i < size && data[i] != '\n')
			continue;
		{
			int code;
			bool last;
			size_t text;
			size_t len = i - start;

			if (smtp_parse_line(data + start, len, &code, &last, &text) == 0) {
				char *s = malloc(len - text + 1);

				if (s == NULL)
					break;
				memcpy(s, data + start + text, len - text);
				s[len - text] = '\0';
				r.text[r.n++] = s;
				r.code = code;
				smtp_queue_id(s, qid, sizeof(qid));
			}
		}
		start = i + 1;
	}
	smtp_parse_ehlo(&r, &ext);
	smtp_ext_has(&ext, "STARTTLS");
	smtp_ext_auth(&ext, "PLAIN");
	smtp_reply_clear(&r);
	return 0;
}
