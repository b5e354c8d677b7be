/* libFuzzer target: what a POP3 server sends, through the pure parsers of
 * common/pop3: status lines with RFC 2449 response codes, the APOP
 * timestamp of a greeting, CAPA listings, multi-line bodies (the final
 * ".", dot-unstuffing), STAT, LIST and UIDL lines, and the message headers
 * TOP n 0 returns (Date, Subject, Received, folded lines, the empty line
 * before the body), with pop3_subject_has as --find-subject uses it.  The
 * input is the server's bytes, lines ending in LF (a CR before it is taken
 * off, as conn_readline does).
 *
 * Invariants checked besides "no crash": a status line's text and code
 * are printable and NUL-terminated, pop3_code_is knows the code it parsed
 * (and its first level), the code holds no ']' or space; a timestamp
 * is "<...@...>"; a data line is the line, or the line without its first
 * "."; numbers of STAT, LIST and UIDL are written back as digits that
 * match the line; a UID is 1 to 70 printable bytes; the header fields are
 * NUL-terminated within their buffers, nothing is taken after the body
 * starts, and every run of letters of the subject is found by
 * pop3_subject_has.  make fuzz builds and runs it. */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pop3.h"

static void check_text(const char *s, size_t cap)
{
	const char *nul = memchr(s, '\0', cap);

	if (nul == NULL)
		abort();
	for (; s < nul; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			abort();
}

static void status_line(const unsigned char *line, size_t len)
{
	struct pop3_reply r;
	char ts[128], level[64];

	if (pop3_parse_reply(line, len, &r) == 0) {
		if ((unsigned)r.status >= POP3_STATUS_LAST)
			abort();
		check_text(r.text, sizeof(r.text));
		check_text(r.code, sizeof(r.code));
		if (r.code[strcspn(r.code, "] ")] != '\0')
			abort();
		if (r.code[0] != '\0') {
			if (!pop3_code_is(&r, r.code))
				abort();
			snprintf(level, sizeof(level), "%.*s", (int)strcspn(r.code, "/"), r.code);
			if (level[0] != '\0' && !pop3_code_is(&r, level))
				abort();
		}
		if (pop3_code_is(&r, ""))
			abort();
		pop3_code_is(&r, "SYS");
	}
	if (pop3_apop_timestamp(line, len, ts, sizeof(ts)) == 0) {
		size_t n = strlen(ts);

		if (n < 3 || ts[0] != '<' || ts[n - 1] != '>' || strchr(ts, '@') == NULL)
			abort();
	}
}

/* A decimal number equal to v at the start of s (digits up to a space or
 * the end, leading zeros allowed). */
static void same_number(const unsigned char *s, size_t len, unsigned long long v)
{
	unsigned long long w = 0;

	for (size_t i = 0; i < len && s[i] != ' '; i++) {
		if (!isdigit(s[i]))
			abort();
		w = w * 10 + (s[i] - '0');
	}
	if (w != v)
		abort();
}

static void listing_line(const unsigned char *d, size_t dlen)
{
	unsigned long n;
	unsigned long long sz;
	char uid[80];

	if (pop3_parse_stat(d, dlen, &n, &sz) == 0)
		same_number(d, dlen, n);
	if (pop3_parse_scan(d, dlen, &n, &sz) == 0 && n == 0)
		abort();
	if (pop3_parse_uidl(d, dlen, &n, uid, sizeof(uid)) == 0) {
		size_t u = strlen(uid);

		same_number(d, dlen, n);
		if (n == 0 || u == 0 || u > 70 || memcmp(uid, d + dlen - u, u) != 0)
			abort();
		for (size_t i = 0; i < u; i++)
			if (uid[i] <= 0x20 || uid[i] >= 0x7f)
				abort();
	}
}

/* Every run of ASCII letters in the subject is found in it. */
static void check_headers(const struct pop3_headers *h)
{
	char word[64];
	const char *s = h->subject;

	if (memchr(h->date, '\0', sizeof(h->date)) == NULL ||
	    memchr(h->subject, '\0', sizeof(h->subject)) == NULL ||
	    memchr(h->received, '\0', sizeof(h->received)) == NULL)
		abort();
	if (!h->has_subject && (h->subject[0] != '\0' || pop3_subject_has(h, "a")))
		abort();
	while (h->has_subject && *s != '\0') {
		size_t n = 0;

		while (isalpha((unsigned char)s[n]) && (unsigned char)s[n] < 0x80)
			n++;
		if (n > 0 && n < sizeof(word)) {
			memcpy(word, s, n);
			word[n] = '\0';
			if (!pop3_subject_has(h, word))
				abort();
		}
		s += n > 0 ? n : 1;
	}
	pop3_subject_has(h, "token");
	pop3_subject_has(h, "");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pop3_capa capa = { 0 };
	struct pop3_headers h;
	size_t start = 0, lines = 0;
	bool ended = false;

	pop3_headers_init(&h);
	for (size_t i = 0; i <= size; i++) {
		const unsigned char *line = data + start, *d;
		size_t len = i - start, dlen;
		int rc;

		if (i < size && data[i] != '\n')
			continue;
		start = i + 1;
		if (len > 0 && line[len - 1] == '\r')
			len--;
		if (len > POP3_MAX_LINE)
			continue;
		status_line(line, len);
		pop3_capa_line(&capa, line, len);
		lines++;
		rc = pop3_data_line(line, len, &d, &dlen);
		if (rc == 1) {
			if (len != 1 || line[0] != '.')
				abort();
			ended = true;
			continue;
		}
		if (rc != 0 || d + dlen != line + len || dlen + (len > 0 && line[0] == '.') != len)
			abort();
		listing_line(d, dlen);
		if (!ended) {
			bool body = h.in_body;
			struct pop3_headers before = h;

			pop3_headers_line(&h, d, dlen);
			if (body && memcmp(&before, &h, sizeof(h)) != 0)
				abort();
		}
	}
	if (capa.lines != lines || capa.unknown > capa.lines)
		abort();
	check_text(capa.sasl, sizeof(capa.sasl));
	check_headers(&h);
	return 0;
}
