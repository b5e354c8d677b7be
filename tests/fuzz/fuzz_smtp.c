/* libFuzzer target: what an SMTP server sends, through the pure parsers
 * of common/smtp: reply lines (smtp_parse_line), a whole reply as the
 * dialogue collects it, the extensions of an EHLO reply
 * (smtp_parse_ehlo, smtp_ext_has, smtp_ext_auth, SIZE) and the queue id
 * of the reply to DATA.  The input is the server's bytes, lines ending
 * in LF (a CR before it is taken off, as conn_readline does).
 *
 * Invariants checked besides "no crash": a reply line's code is 200-599
 * and its text starts right after the code; every keyword kept from the
 * EHLO reply is found again by smtp_ext_has, every mechanism an AUTH line
 * lists by smtp_ext_auth; a keyword no line names is not found; a kept
 * line is a NUL-terminated string of printable bytes; SIZE is known
 * exactly when a line names it; a queue id fits its buffer and holds no separator.
 * make fuzz builds and runs it. */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "smtp.h"

/* Adds one line of n bytes to r when it is a reply line. */
static void add_line(const unsigned char *line, size_t n, struct smtp_reply *r)
{
	int code;
	bool last;
	size_t text;
	char *s, qid[64];

	if (n > 0 && line[n - 1] == '\r')
		n--;
	if (smtp_parse_line(line, n, &code, &last, &text) < 0)
		return;
	if (code < 200 || code > 599 || text > n || text < 3 || (last != (n == 3 || line[3] == ' ')))
		abort();
	s = malloc(n - text + 1);
	if (s == NULL)
		return;
	memcpy(s, line + text, n - text);
	s[n - text] = '\0';
	if (strlen(s) != n - text) /* control bytes (NUL among them) are refused */
		abort();
	r->text[r->n++] = s;
	r->code = code;
	smtp_queue_id(s, qid, sizeof(qid));
	if (strlen(qid) >= sizeof(qid) || qid[strcspn(qid, " ;,)")] != '\0')
		abort();
}

/* The keyword at the start of l: [A-Za-z0-9][A-Za-z0-9-]*, into kw. */
static size_t keyword(const char *l, char *kw, size_t len)
{
	size_t n = 0;

	while (n + 1 < len && (isalnum((unsigned char)l[n]) || (n > 0 && l[n] == '-'))) {
		kw[n] = l[n];
		n++;
	}
	kw[n] = '\0';
	return n;
}

/* Every mechanism an AUTH line lists is offered. */
static void check_auth(const struct smtp_ext *ext, const char *l)
{
	char mech[128];
	const char *p = l + 5;

	while (*p != '\0') {
		size_t n = strcspn(p, " ");

		if (n > 0 && n < sizeof(mech)) {
			memcpy(mech, p, n);
			mech[n] = '\0';
			if (!smtp_ext_auth(ext, mech))
				abort();
		}
		p += n;
		p += strspn(p, " ");
	}
}

static void check_ehlo(const struct smtp_reply *r)
{
	struct smtp_ext ext;
	size_t n = smtp_parse_ehlo(r, &ext);
	char kw[128];
	size_t sizes = 0;

	if (n != ext.n || n > SMTP_MAX_EXT || (r->n > 0 && n > r->n - 1) || (r->n == 0 && n != 0))
		abort();
	for (size_t i = 0; i < ext.n; i++) {
		const char *l = ext.line[i];
		size_t k;

		if (memchr(l, '\0', sizeof(ext.line[i])) == NULL)
			abort();
		for (const char *p = l; *p; p++)
			if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f)
				abort();
		k = keyword(l, kw, sizeof(kw));
		if (k == 0)
			abort();
		sizes += k == 4 && strcasecmp(kw, "SIZE") == 0;
		if ((l[k] == '\0' || l[k] == ' ') && !smtp_ext_has(&ext, kw))
			abort();
		if (strncasecmp(l, "AUTH", 4) == 0 && (l[4] == ' ' || l[4] == '='))
			check_auth(&ext, l);
	}
	if (ext.has_size != (sizes > 0) || (!ext.has_size && (ext.size != 0 || ext.size_bad)))
		abort();
	/* A keyword can hold no '_': no reply offers it. */
	if (smtp_ext_has(&ext, "X_NEVER"))
		abort();
	smtp_ext_has(&ext, "STARTTLS");
	smtp_ext_has(&ext, "");
	smtp_ext_auth(&ext, "PLAIN");
	smtp_ext_auth(&ext, "");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtp_reply r = { 0 };
	size_t start = 0;

	/* Lines separated by LF, as conn_readline hands them over. */
	for (size_t i = 0; i <= size && r.n < SMTP_MAX_REPLY_LINES; i++) {
		if (i < size && data[i] != '\n')
			continue;
		if (i - start <= SMTP_MAX_LINE)
			add_line(data + start, i - start, &r);
		start = i + 1;
	}
	check_ehlo(&r);
	smtp_reply_clear(&r);
	if (r.n != 0 || r.code != 0)
		abort();
	return 0;
}
