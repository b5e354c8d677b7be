#include "pop3.h"

#include <math.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "deadline.h"
#include "maildate.h"
#include "secret.h"

#define POP3_BATCH_MAX 6 /* commands sent together: STAT LIST UIDL TOP QUIT */

/* ---- parsers ------------------------------------------------------------ */

static bool printable(unsigned char ch)
{
	return ch >= 0x20 && ch < 0x7f;
}

/* Copies bytes as text: non-printable ones become '?'. */
static void copy_text(char *out, size_t outlen, const unsigned char *s, size_t n)
{
	size_t i;

	if (outlen == 0)
		return;
	for (i = 0; i < n && i + 1 < outlen; i++)
		out[i] = printable(s[i]) ? (char)s[i] : '?';
	out[i] = '\0';
}

static unsigned char lower(unsigned char ch)
{
	return ch >= 'A' && ch <= 'Z' ? ch | 0x20 : ch;
}

/* True when s[0..n) equals word in any case. */
static bool word_is(const unsigned char *s, size_t n, const char *word)
{
	size_t wl = strlen(word);

	if (n != wl)
		return false;
	for (size_t i = 0; i < n; i++)
		if (lower(s[i]) != lower((unsigned char)word[i]))
			return false;
	return true;
}

int pop3_parse_reply(const unsigned char *line, size_t len, struct pop3_reply *r)
{
	size_t at;

	memset(r, 0, sizeof(*r));
	if (len >= 3 && memcmp(line, "+OK", 3) == 0 && (len == 3 || line[3] == ' ')) {
		r->status = POP3_OK;
		at = 3;
	} else if (len >= 4 && memcmp(line, "-ERR", 4) == 0 && (len == 4 || line[4] == ' ')) {
		r->status = POP3_ERR;
		at = 4;
	} else if (len >= 1 && line[0] == '+' && (len == 1 || line[1] == ' ')) {
		r->status = POP3_CONT;
		at = 1;
	} else {
		return -1;
	}
	while (at < len && line[at] == ' ')
		at++;
	/* RFC 2449 section 8: "[" resp-level *("/" resp-level) "]". */
	if (r->status != POP3_CONT && at < len && line[at] == '[') {
		size_t end = at + 1;

		while (end < len && line[end] != ']' && printable(line[end]) && line[end] != ' ')
			end++;
		if (end < len && line[end] == ']' && end > at + 1 &&
		    end - at - 1 < sizeof(r->code)) {
			copy_text(r->code, sizeof(r->code), line + at + 1, end - at - 1);
			at = end + 1;
			while (at < len && line[at] == ' ')
				at++;
		}
	}
	copy_text(r->text, sizeof(r->text), line + at, len - at);
	return 0;
}

bool pop3_code_is(const struct pop3_reply *r, const char *code)
{
	size_t n = strlen(code);

	if (n == 0 || strlen(r->code) < n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (lower((unsigned char)r->code[i]) != lower((unsigned char)code[i]))
			return false;
	return r->code[n] == '\0' || r->code[n] == '/';
}

int pop3_apop_timestamp(const unsigned char *line, size_t len, char *out, size_t outlen)
{
	const unsigned char *lt = memchr(line, '<', len), *gt;
	bool at = false;

	if (lt == NULL)
		return -1;
	gt = memchr(lt, '>', len - (size_t)(lt - line));
	if (gt == NULL || (size_t)(gt - lt) + 2 > outlen)
		return -1;
	for (const unsigned char *p = lt + 1; p < gt; p++) {
		if (!printable(*p) || *p == ' ' || *p == '<')
			return -1;
		at |= *p == '@';
	}
	if (!at)
		return -1;
	memcpy(out, lt, (size_t)(gt - lt) + 1);
	out[gt - lt + 1] = '\0';
	return 0;
}

void pop3_capa_line(struct pop3_capa *c, const unsigned char *line, size_t len)
{
	size_t n = 0, rest;

	while (n < len && line[n] != ' ')
		n++;
	c->lines++;
	if (word_is(line, n, "STLS"))
		c->stls = true;
	else if (word_is(line, n, "USER"))
		c->user = true;
	else if (word_is(line, n, "TOP"))
		c->top = true;
	else if (word_is(line, n, "UIDL"))
		c->uidl = true;
	else if (word_is(line, n, "PIPELINING"))
		c->pipelining = true;
	else if (word_is(line, n, "RESP-CODES"))
		c->resp_codes = true;
	else if (word_is(line, n, "AUTH-RESP-CODE"))
		c->auth_resp_code = true;
	else if (word_is(line, n, "SASL")) {
		c->has_sasl = true;
		rest = n;
		copy_text(c->sasl, sizeof(c->sasl), line + (n < len ? n + 1 : n),
			  n < len ? len - n - 1 : 0);
		while (rest < len) {
			size_t start, wl = 0;

			while (rest < len && line[rest] == ' ')
				rest++;
			start = rest;
			while (rest < len && line[rest] != ' ') {
				rest++;
				wl++;
			}
			if (word_is(line + start, wl, "PLAIN"))
				c->sasl_plain = true;
		}
	} else if (!word_is(line, n, "CAPA") && !word_is(line, n, "EXPIRE") &&
		   !word_is(line, n, "LOGIN-DELAY") && !word_is(line, n, "IMPLEMENTATION") &&
		   !word_is(line, n, "UTF8") && !word_is(line, n, "LANG")) {
		c->unknown++;
	}
}

int pop3_data_line(const unsigned char *line, size_t len, const unsigned char **data,
		   size_t *dlen)
{
	if (len == 1 && line[0] == '.')
		return 1;
	if (len > 0 && line[0] == '.') {
		*data = line + 1;
		*dlen = len - 1;
	} else {
		*data = line;
		*dlen = len;
	}
	return 0;
}

/* A decimal number of at most 19 digits at s[*at]; advances *at. */
static int number(const unsigned char *s, size_t len, size_t *at, unsigned long long *v)
{
	size_t start = *at;

	*v = 0;
	while (*at < len && s[*at] >= '0' && s[*at] <= '9') {
		if (*at - start >= 19)
			return -1;
		*v = *v * 10 + (unsigned long long)(s[*at] - '0');
		(*at)++;
	}
	return *at > start ? 0 : -1;
}

/* "N M" followed by the end or a space. */
static int two_numbers(const unsigned char *s, size_t len, unsigned long long *a,
		       unsigned long long *b)
{
	size_t at = 0;

	if (number(s, len, &at, a) < 0 || at >= len || s[at] != ' ')
		return -1;
	at++;
	if (number(s, len, &at, b) < 0 || (at < len && s[at] != ' '))
		return -1;
	return 0;
}

int pop3_parse_stat(const unsigned char *text, size_t len, unsigned long *count,
		    unsigned long long *size)
{
	unsigned long long n;

	if (two_numbers(text, len, &n, size) < 0 || n > ULONG_MAX)
		return -1;
	*count = (unsigned long)n;
	return 0;
}

int pop3_parse_scan(const unsigned char *line, size_t len, unsigned long *msg,
		    unsigned long long *size)
{
	unsigned long long n;

	if (two_numbers(line, len, &n, size) < 0 || n == 0 || n > ULONG_MAX)
		return -1;
	*msg = (unsigned long)n;
	return 0;
}

int pop3_parse_uidl(const unsigned char *line, size_t len, unsigned long *msg, char *uid,
		    size_t uidlen)
{
	size_t at = 0, start;
	unsigned long long n;

	if (number(line, len, &at, &n) < 0 || n == 0 || n > ULONG_MAX || at >= len ||
	    line[at] != ' ')
		return -1;
	start = ++at;
	while (at < len && line[at] > 0x20 && line[at] < 0x7f)
		at++;
	if (at != len || at == start || at - start > 70 || at - start + 1 > uidlen)
		return -1;
	memcpy(uid, line + start, at - start);
	uid[at - start] = '\0';
	*msg = (unsigned long)n;
	return 0;
}

enum { HDR_NONE, HDR_DATE, HDR_SUBJECT, HDR_RECEIVED, HDR_OTHER };

void pop3_headers_init(struct pop3_headers *h)
{
	memset(h, 0, sizeof(*h));
}

/* Appends bytes to a field value (a continuation joined by one space). */
static void append(char *buf, size_t cap, const unsigned char *s, size_t n, bool join)
{
	size_t used = strlen(buf);

	if (join && used + 1 < cap)
		buf[used++] = ' ';
	for (size_t i = 0; i < n && used + 1 < cap; i++)
		buf[used++] = (char)(s[i] == '\t' ? ' ' : s[i]);
	buf[used] = '\0';
}

void pop3_headers_line(struct pop3_headers *h, const unsigned char *line, size_t len)
{
	size_t colon = 0, v;

	if (h->in_body)
		return;
	if (len == 0) {
		h->in_body = true;
		return;
	}
	if (line[0] == ' ' || line[0] == '\t') {
		/* Folded: belongs to the field before. */
		while (len > 0 && (line[0] == ' ' || line[0] == '\t')) {
			line++;
			len--;
		}
		if (h->cur == HDR_DATE)
			append(h->date, sizeof(h->date), line, len, true);
		else if (h->cur == HDR_SUBJECT)
			append(h->subject, sizeof(h->subject), line, len, true);
		else if (h->cur == HDR_RECEIVED)
			append(h->received, sizeof(h->received), line, len, true);
		return;
	}
	while (colon < len && line[colon] != ':' && line[colon] > 0x20 && line[colon] < 0x7f)
		colon++;
	h->cur = HDR_OTHER;
	if (colon >= len || line[colon] != ':')
		return; /* not a header field */
	v = colon + 1;
	while (v < len && (line[v] == ' ' || line[v] == '\t'))
		v++;
	if (word_is(line, colon, "Date") && !h->has_date) {
		h->has_date = true;
		h->cur = HDR_DATE;
		append(h->date, sizeof(h->date), line + v, len - v, false);
	} else if (word_is(line, colon, "Subject") && !h->has_subject) {
		h->has_subject = true;
		h->cur = HDR_SUBJECT;
		append(h->subject, sizeof(h->subject), line + v, len - v, false);
	} else if (word_is(line, colon, "Received") && !h->has_received) {
		h->has_received = true;
		h->cur = HDR_RECEIVED;
		append(h->received, sizeof(h->received), line + v, len - v, false);
	}
}

bool pop3_subject_has(const struct pop3_headers *h, const char *text)
{
	size_t n = strlen(text), hl = strlen(h->subject);

	if (!h->has_subject || n == 0 || n > hl)
		return false;
	for (size_t i = 0; i + n <= hl; i++)
		if (word_is((const unsigned char *)h->subject + i, n, text))
			return true;
	return false;
}

/* ---- client ------------------------------------------------------------- */

static const char *const state_names[POP3_ST_LAST] = {
	[POP3_ST_CONNECT] = "connect",
	[POP3_ST_GREETING] = "greeting",
	[POP3_ST_CAPA] = "CAPA",
	[POP3_ST_STLS] = "STLS",
	[POP3_ST_CAPA_TLS] = "CAPA after STLS",
	[POP3_ST_USER] = "USER",
	[POP3_ST_PASS] = "PASS",
	[POP3_ST_APOP] = "APOP",
	[POP3_ST_AUTH] = "AUTH PLAIN",
	[POP3_ST_AUTH_RESP] = "AUTH PLAIN credentials",
	[POP3_ST_STAT] = "STAT",
	[POP3_ST_LIST] = "LIST",
	[POP3_ST_UIDL] = "UIDL",
	[POP3_ST_TOP_OLDEST] = "TOP of the oldest message",
	[POP3_ST_FIND] = "TOP (find)",
	[POP3_ST_DELE] = "DELE",
	[POP3_ST_QUIT] = "QUIT",
	[POP3_ST_DONE] = "done",
};

const char *pop3_state_name(enum pop3_state s)
{
	return s < POP3_ST_LAST ? state_names[s] : "?";
}

bool pop3_state_is_login(enum pop3_state s)
{
	return s >= POP3_ST_USER && s <= POP3_ST_AUTH_RESP;
}

struct pop3 {
	struct conn *c;
	const struct pop3_params *p;
	struct pop3_outcome *o;
	enum pop3_state st;
	int64_t stage_ns;       /* when the current stage began */
	unsigned long msg;      /* message of the current TOP or DELE */
	unsigned long find_end; /* the last message the find looks at */
	unsigned long dele_i;   /* next entry of o->found to delete */
	/* commands sent ahead (RFC 2449 PIPELINING): ahead[0..nahead) in
	 * order, ahead[iahead] the next one whose command is already out */
	enum pop3_state ahead[POP3_BATCH_MAX];
	size_t nahead, iahead;
	/* reading one response */
	bool multi, first;
	unsigned long lines;     /* data lines read */
	unsigned long max_lines; /* ... at most, for this response */
	struct pop3_headers hdr;
};

/* Moves to the next state; charges the time since the stage began to the
 * stage being left, when that ends one. */
static void pop3_move(struct pop3 *s, enum pop3_state to)
{
	int64_t now = mono_now_ns();
	double secs = (double)(now - s->stage_ns) / NS_PER_S;
	bool ends = true;

	switch (s->st) {
	case POP3_ST_GREETING:
		s->o->t_greeting = secs;
		break;
	case POP3_ST_CAPA_TLS:
	case POP3_ST_CAPA:
		ends = false; /* CAPA counts toward the login */
		break;
	case POP3_ST_STLS:
		break; /* the handshake is timed apart (t_tls); auth starts after */
	case POP3_ST_PASS:
	case POP3_ST_APOP:
	case POP3_ST_AUTH_RESP:
		s->o->t_auth = secs;
		/* Sent and answered: the caller wipes the password now, not
		 * when the session ends. */
		if (s->p->forget_password != NULL)
			s->p->forget_password(s->p->ctx);
		break;
	case POP3_ST_STAT:
		s->o->t_stat = secs;
		break;
	default:
		ends = false;
	}
	if (ends)
		s->stage_ns = now;
	s->st = to;
	s->o->state = to;
}

static const char *const digits_hex = "0123456789abcdef";

#define RECORD_MAX_DEFAULT 20 /* lines of a listing kept in the transcript */

/* The command for the current state into buf, and its masked form into
 * shown when it carries a secret.  Returns 0, or -1 with f set. */
static int pop3_command(struct pop3 *s, char *buf, size_t len, char *shown, size_t slen,
			struct fail *f)
{
	const struct pop3_params *p = s->p;

	shown[0] = '\0';
	switch (s->st) {
	case POP3_ST_CAPA:
	case POP3_ST_CAPA_TLS:
		snprintf(buf, len, "CAPA");
		break;
	case POP3_ST_STLS:
		snprintf(buf, len, "STLS");
		break;
	case POP3_ST_USER:
		snprintf(buf, len, "USER %s", p->user);
		break;
	case POP3_ST_PASS:
		snprintf(buf, len, "PASS %s", p->password);
		snprintf(shown, slen, "PASS ********");
		break;
	case POP3_ST_APOP: {
		unsigned char md[EVP_MAX_MD_SIZE];
		unsigned int mdlen = 0;
		char joined[SECRET_MAX + 256], hex[2 * EVP_MAX_MD_SIZE + 1];
		/* o->greeting holds the timestamp when has_apop (GREETING). */
		int n = snprintf(joined, sizeof(joined), "%s%s", s->o->greeting, p->password);

		if (n < 0 || (size_t)n >= sizeof(joined) ||
		    EVP_Digest(joined, (size_t)n, md, &mdlen, EVP_md5(), NULL) != 1) {
			secret_wipe(joined, sizeof(joined));
			fail_set(f, FAIL_INTERNAL, "cannot compute the APOP digest");
			return -1;
		}
		secret_wipe(joined, sizeof(joined));
		for (unsigned int i = 0; i < mdlen; i++) {
			hex[2 * i] = digits_hex[md[i] >> 4];
			hex[2 * i + 1] = digits_hex[md[i] & 15];
		}
		hex[2 * mdlen] = '\0';
		snprintf(buf, len, "APOP %s %s", p->user, hex);
		snprintf(shown, slen, "APOP %s ********", p->user);
		secret_wipe(hex, sizeof(hex));
		break;
	}
	case POP3_ST_AUTH:
		snprintf(buf, len, "AUTH PLAIN");
		break;
	case POP3_ST_AUTH_RESP: {
		char raw[2 * SECRET_MAX + 2];
		size_t ul = strlen(p->user), pl = strlen(p->password);

		if (ul + pl + 2 > sizeof(raw)) {
			fail_set(f, FAIL_INTERNAL, "user name and password too long");
			return -1;
		}
		raw[0] = '\0';
		memcpy(raw + 1, p->user, ul);
		raw[1 + ul] = '\0';
		memcpy(raw + 2 + ul, p->password, pl);
		if (secret_base64(raw, ul + pl + 2, buf, len) < 0) {
			secret_wipe(raw, sizeof(raw));
			fail_set(f, FAIL_INTERNAL, "user name and password too long");
			return -1;
		}
		secret_wipe(raw, sizeof(raw));
		snprintf(shown, slen, "********");
		break;
	}
	case POP3_ST_STAT:
		snprintf(buf, len, "STAT");
		break;
	case POP3_ST_LIST:
		snprintf(buf, len, "LIST");
		break;
	case POP3_ST_UIDL:
		snprintf(buf, len, "UIDL");
		break;
	case POP3_ST_TOP_OLDEST:
	case POP3_ST_FIND:
		snprintf(buf, len, "TOP %lu 0", s->msg);
		break;
	case POP3_ST_DELE:
		snprintf(buf, len, "DELE %lu", s->msg);
		break;
	case POP3_ST_QUIT:
		snprintf(buf, len, "QUIT");
		break;
	default:
		fail_set(f, FAIL_INTERNAL, "no command in state %s", pop3_state_name(s->st));
		return -1;
	}
	return 0;
}

/* Whether the reply to the current state is multi-line when +OK. */
static bool pop3_multi(enum pop3_state st)
{
	return st == POP3_ST_CAPA || st == POP3_ST_CAPA_TLS || st == POP3_ST_LIST ||
	       st == POP3_ST_UIDL || st == POP3_ST_TOP_OLDEST || st == POP3_ST_FIND;
}

/* One data line of a multi-line response, for the current state. */
static int pop3_data(struct pop3 *s, const unsigned char *d, size_t n, struct fail *f)
{
	struct pop3_outcome *o = s->o;
	unsigned long msg;
	unsigned long long size;
	char uid[72];

	switch (s->st) {
	case POP3_ST_CAPA:
	case POP3_ST_CAPA_TLS:
		pop3_capa_line(&o->capa, d, n);
		return 0;
	case POP3_ST_LIST:
		if (pop3_parse_scan(d, n, &msg, &size) < 0) {
			char shown[64];

			copy_text(shown, sizeof(shown), d, n);
			fail_set(f, FAIL_PROTO, "malformed scan listing '%s'", shown);
			return -1;
		}
		/* has_largest is set only once the listing is complete. */
		if (++o->listed == 1 || size > o->largest) {
			o->largest = size;
			o->largest_msg = msg;
		}
		return 0;
	case POP3_ST_UIDL:
		if (pop3_parse_uidl(d, n, &msg, uid, sizeof(uid)) < 0) {
			char shown[96];

			copy_text(shown, sizeof(shown), d, n);
			fail_set(f, FAIL_PROTO, "malformed UIDL line '%s'", shown);
			return -1;
		}
		o->uidls++;
		if (s->p->on_uidl != NULL)
			s->p->on_uidl(s->p->ctx, msg, uid);
		return 0;
	case POP3_ST_TOP_OLDEST:
	case POP3_ST_FIND:
		pop3_headers_line(&s->hdr, d, n);
		return 0;
	default:
		fail_set(f, FAIL_PROTO, "unexpected data in the reply to %s",
			 pop3_state_name(s->st));
		return -1;
	}
}

static int on_line(void *ctx, const char *line, size_t len, struct fail *f)
{
	struct pop3 *s = ctx;
	const unsigned char *u = (const unsigned char *)line, *d;
	size_t n;

	if (s->first) {
		s->first = false;
		if (pop3_parse_reply(u, len, &s->o->reply) < 0) {
			char shown[80];

			copy_text(shown, sizeof(shown), u, len);
			fail_set(f, FAIL_PROTO, "not a POP3 reply: '%s'", shown);
			return -1;
		}
		if (s->o->reply.status == POP3_CONT && s->st != POP3_ST_AUTH) {
			fail_set(f, FAIL_PROTO, "unexpected continuation '+ %s'", s->o->reply.text);
			return -1;
		}
		return s->multi && s->o->reply.status == POP3_OK ? 0 : 1;
	}
	if (pop3_data_line(u, len, &d, &n) == 1)
		return 1;
	if (++s->lines > s->max_lines) {
		fail_set(f, FAIL_PROTO, "the reply has more than %lu lines%s", s->max_lines,
			 s->st == POP3_ST_LIST || s->st == POP3_ST_UIDL
				 ? " (STAT counted fewer messages)" : "");
		return -1;
	}
	if (s->lines == (s->p->record_max ? s->p->record_max : RECORD_MAX_DEFAULT))
		conn_record(s->c, false);
	return pop3_data(s, d, n, f);
}

/* The most data lines the reply to the current state may have: a listing
 * has one per message STAT counted. */
static unsigned long pop3_max_lines(const struct pop3 *s)
{
	switch (s->st) {
	case POP3_ST_CAPA:
	case POP3_ST_CAPA_TLS:
		return POP3_MAX_CAPA_LINES;
	case POP3_ST_LIST:
	case POP3_ST_UIDL:
		return s->o->has_stat && s->o->count < POP3_MAX_LISTING ? s->o->count
									 : POP3_MAX_LISTING;
	default:
		return POP3_MAX_HEADER_LINES;
	}
}

/* Reads the reply to the current state, whole (multi-line when +OK). */
static int pop3_read(struct pop3 *s, struct fail *f)
{
	size_t keep = s->p->record_max ? s->p->record_max : RECORD_MAX_DEFAULT;
	int rc;

	s->multi = pop3_multi(s->st);
	s->first = true;
	s->lines = 0;
	s->max_lines = pop3_max_lines(s);
	pop3_headers_init(&s->hdr);
	rc = conn_read_response(s->c, on_line, s, f);
	if (s->lines >= keep) {
		conn_record(s->c, true);
		if (rc == 0)
			transcript_note(s->p->transcript, "%lu more lines not shown",
					s->lines - keep + 1);
	}
	return rc;
}

/* When the oldest message arrived, from the headers just read: the
 * topmost Received field is when the last server took it; the Date field
 * is the sender's clock, taken only without a usable Received. */
static void pop3_oldest(struct pop3 *s)
{
	struct pop3_outcome *o = s->o;
	char err[64], shown[200];
	const struct pop3_headers *h = &s->hdr;

	o->date_problem[0] = '\0';
	if (h->has_received &&
	    maildate_received((const unsigned char *)h->received, strlen(h->received),
			      &o->oldest, err, sizeof(err)) == 0) {
		o->has_oldest = true;
		o->oldest_from = "Received";
		return;
	}
	if (h->has_received) {
		copy_text(shown, sizeof(shown), (const unsigned char *)h->received,
			  strlen(h->received));
		snprintf(o->date_problem, sizeof(o->date_problem),
			 "message %lu: Received '%.120s' holds no date that parses (%s)", s->msg,
			 shown, err);
	} else {
		snprintf(o->date_problem, sizeof(o->date_problem), "message %lu has no Received",
			 s->msg);
	}
	if (h->has_date && maildate_parse((const unsigned char *)h->date, strlen(h->date),
					  &o->oldest, err, sizeof(err)) == 0) {
		o->has_oldest = true;
		o->oldest_from = "Date";
	}
}

/* After STAT or any later step: the next thing to look at. */
static enum pop3_state pop3_after(struct pop3 *s, enum pop3_state done)
{
	const struct pop3_params *p = s->p;
	unsigned long count = s->o->count;

	/* Pipelined: the replies come in the order the commands went. */
	if (s->iahead < s->nahead) {
		if (s->ahead[s->iahead] == POP3_ST_TOP_OLDEST)
			s->msg = 1;
		return s->ahead[s->iahead];
	}

	if (done < POP3_ST_LIST && p->want_list && count > 0)
		return POP3_ST_LIST;
	if (done < POP3_ST_UIDL && p->want_uidl && count > 0)
		return POP3_ST_UIDL;
	if (done < POP3_ST_TOP_OLDEST && p->want_age && count > 0) {
		s->msg = 1;
		return POP3_ST_TOP_OLDEST;
	}
	if (done < POP3_ST_FIND && p->find_subject != NULL && count > 0) {
		s->msg = count;
		s->find_end = p->find_limit == 0 || p->find_limit >= count
				      ? 1 : count - p->find_limit + 1;
		return POP3_ST_FIND;
	}
	if (done < POP3_ST_DELE && p->delete_found && s->o->found_n > 0) {
		s->dele_i = 0;
		s->msg = s->o->found[0];
		return POP3_ST_DELE;
	}
	return POP3_ST_QUIT;
}

/* A -ERR where one is fatal. */
static int refused(struct pop3 *s, struct fail *f)
{
	fail_set(f, FAIL_REPLY, "-ERR %s%s%s%s", s->o->reply.code[0] ? "[" : "",
		 s->o->reply.code, s->o->reply.code[0] ? "] " : "", s->o->reply.text);
	return -1;
}

/* After CAPA: STLS, or the login the parameters ask for (or QUIT). */
static int after_capa(struct pop3 *s, struct fail *f)
{
	struct pop3_outcome *o = s->o;
	const struct pop3_params *p = s->p;

	o->capa.seen = o->reply.status == POP3_OK;
	if (s->st == POP3_ST_CAPA && p->stls) {
		if (!o->capa.stls) {
			fail_set(f, FAIL_REPLY, "the server does not offer STLS%s",
				 o->capa.seen ? "" : " (it does not answer CAPA)");
			return -1;
		}
		return POP3_ST_STLS;
	}
	if (p->user == NULL)
		return POP3_ST_QUIT;
	if (!conn_is_tls(s->c) && !p->allow_plaintext_auth && p->auth != POP3_AUTH_APOP) {
		fail_set(f, FAIL_INTERNAL, "refusing to send the password over an unencrypted "
			 "connection");
		return -1;
	}
	if (p->auth == POP3_AUTH_APOP) {
		if (!o->has_apop) {
			fail_set(f, FAIL_REPLY, "APOP: the greeting holds no timestamp");
			return -1;
		}
		return POP3_ST_APOP;
	}
	if (p->auth != POP3_AUTH_PLAIN)
		return POP3_ST_USER;
	if (o->capa.seen && !o->capa.sasl_plain) {
		fail_set(f, FAIL_REPLY, "the server does not offer SASL PLAIN%s%s%s",
			 o->capa.has_sasl ? " (SASL " : "", o->capa.has_sasl ? o->capa.sasl : "",
			 o->capa.has_sasl ? ")" : "");
		return -1;
	}
	return POP3_ST_AUTH;
}

/* After the go-ahead to STLS: the handshake, then CAPA again. */
static int after_stls(struct pop3 *s, struct fail *f)
{
	struct pop3_outcome *o = s->o;
	int64_t t0 = mono_now_ns();
	int rc;

	if (o->reply.status != POP3_OK)
		return refused(s, f);
	rc = conn_starttls(s->c, s->p->tls, &o->tls, f);
	o->injected = conn_injected(s->c);
	if (rc < 0)
		return -1;
	o->tls_done = true;
	o->t_tls = mono_since_s(t0);
	memset(&o->capa, 0, sizeof(o->capa)); /* RFC 2595 4: learnt anew */
	return POP3_ST_CAPA_TLS;
}

/* After one TOP n 0 of --find-subject: note a match, go to the next older
 * message or on. */
static int after_find(struct pop3 *s, struct fail *f)
{
	struct pop3_outcome *o = s->o;

	if (o->reply.status != POP3_OK)
		return refused(s, f);
	o->examined++;
	if (pop3_subject_has(&s->hdr, s->p->find_subject)) {
		if (o->found_n < POP3_FOUND_MAX)
			o->found[o->found_n] = s->msg;
		if (o->found_n++ == 0)
			copy_text(o->found_subject, sizeof(o->found_subject),
				  (const unsigned char *)s->hdr.subject, strlen(s->hdr.subject));
	}
	if (s->msg > s->find_end && o->found_n < POP3_FOUND_MAX) {
		s->msg--;
		return POP3_ST_FIND;
	}
	return pop3_after(s, POP3_ST_FIND);
}

static int after_greeting(struct pop3 *s, struct fail *f)
{
	struct pop3_outcome *o = s->o;
	char ts[200];

	if (o->reply.status != POP3_OK)
		return refused(s, f);
	o->has_apop = pop3_apop_timestamp((const unsigned char *)o->reply.text,
					  strlen(o->reply.text), ts, sizeof(ts)) == 0;
	/* Keep the timestamp for APOP, the text for messages. */
	snprintf(o->greeting, sizeof(o->greeting), "%s", o->has_apop ? ts : o->reply.text);
	return POP3_ST_CAPA;
}

static int after_stat(struct pop3 *s, struct fail *f)
{
	struct pop3_outcome *o = s->o;

	if (o->reply.status != POP3_OK)
		return refused(s, f);
	if (pop3_parse_stat((const unsigned char *)o->reply.text, strlen(o->reply.text),
			    &o->count, &o->size) < 0) {
		fail_set(f, FAIL_PROTO, "malformed reply '+OK %s'", o->reply.text);
		return -1;
	}
	o->has_stat = true;
	return pop3_after(s, POP3_ST_STAT);
}

/* Reads the reply to the current state and picks the next state.  Returns
 * the state, or -1 with f set. */
static int pop3_step(struct pop3 *s, struct fail *f)
{
	struct pop3_outcome *o = s->o;
	const struct pop3_reply *r = &o->reply;

	if (pop3_read(s, f) < 0)
		return -1;
	switch (s->st) {
	case POP3_ST_GREETING: return after_greeting(s, f);
	case POP3_ST_CAPA:
	case POP3_ST_CAPA_TLS: return after_capa(s, f);
	case POP3_ST_STLS: return after_stls(s, f);
	case POP3_ST_USER:
		return r->status == POP3_OK ? POP3_ST_PASS : refused(s, f);
	case POP3_ST_AUTH:
		if (r->status == POP3_CONT)
			return POP3_ST_AUTH_RESP;
		if (r->status == POP3_OK) {
			fail_set(f, FAIL_PROTO, "+OK to AUTH PLAIN before the credentials");
			return -1;
		}
		return refused(s, f);
	case POP3_ST_PASS:
	case POP3_ST_APOP:
	case POP3_ST_AUTH_RESP:
		return r->status == POP3_OK ? POP3_ST_STAT : refused(s, f);
	case POP3_ST_STAT: return after_stat(s, f);
	case POP3_ST_LIST:
		if (r->status != POP3_OK)
			return refused(s, f);
		o->has_largest = o->listed > 0;
		return pop3_after(s, POP3_ST_LIST);
	case POP3_ST_UIDL:
		/* UIDL is optional (RFC 1939): a -ERR is noted, not fatal. */
		if (r->status != POP3_OK)
			transcript_note(s->p->transcript, "UIDL refused; continuing");
		return pop3_after(s, POP3_ST_UIDL);
	case POP3_ST_TOP_OLDEST:
		/* Sent ahead to an empty mailbox, TOP 1 0 gets a -ERR: fine. */
		if (r->status != POP3_OK && o->count > 0)
			snprintf(o->date_problem, sizeof(o->date_problem),
				 "TOP refused (-ERR %s): the age is unknown", r->text);
		else if (r->status == POP3_OK)
			pop3_oldest(s);
		return pop3_after(s, POP3_ST_TOP_OLDEST);
	case POP3_ST_FIND: return after_find(s, f);
	case POP3_ST_DELE:
		if (r->status != POP3_OK)
			return refused(s, f);
		if (++s->dele_i < o->found_n && s->dele_i < POP3_FOUND_MAX) {
			s->msg = o->found[s->dele_i];
			return POP3_ST_DELE;
		}
		return POP3_ST_QUIT;
	case POP3_ST_QUIT:
		return r->status == POP3_OK ? POP3_ST_DONE : refused(s, f);
	default:
		fail_set(f, FAIL_INTERNAL, "no reply expected in state %s", pop3_state_name(s->st));
		return -1;
	}
}

/* With PIPELINING offered, sends the commands of the states that surely
 * follow the current one in one write: USER with PASS, and STAT with LIST,
 * UIDL, TOP 1 0 and (when nothing is to be found) QUIT.  Never DELE.
 * Returns 1 when it sent them, 0 when the current state is not one to
 * batch, -1 with f set. */
static int pop3_batch(struct pop3 *s, struct fail *f)
{
	const struct pop3_params *p = s->p;
	enum pop3_state keep = s->st;
	char cmd[POP3_BATCH_MAX][2 * SECRET_MAX + 256], shown[POP3_BATCH_MAX][256];
	const char *lines[POP3_BATCH_MAX], *show[POP3_BATCH_MAX];
	int rc = -1;

	if (!s->o->capa.pipelining || (s->st != POP3_ST_USER && s->st != POP3_ST_STAT))
		return 0;
	s->nahead = s->iahead = 0;
	s->ahead[s->nahead++] = s->st;
	if (s->st == POP3_ST_USER) {
		s->ahead[s->nahead++] = POP3_ST_PASS;
	} else {
		if (p->want_list)
			s->ahead[s->nahead++] = POP3_ST_LIST;
		if (p->want_uidl)
			s->ahead[s->nahead++] = POP3_ST_UIDL;
		if (p->want_age)
			s->ahead[s->nahead++] = POP3_ST_TOP_OLDEST;
		if (p->find_subject == NULL && !p->delete_found)
			s->ahead[s->nahead++] = POP3_ST_QUIT;
	}
	for (size_t i = 0; i < s->nahead; i++) {
		s->st = s->ahead[i];
		s->msg = 1;
		if (pop3_command(s, cmd[i], sizeof(cmd[i]), shown[i], sizeof(shown[i]), f) < 0)
			goto done;
		lines[i] = cmd[i];
		show[i] = shown[i][0] ? shown[i] : NULL;
	}
	s->st = keep;
	/* The same checks as one command: a CR or LF is refused, not sent. */
	if (conn_send_lines(s->c, lines, show, s->nahead, f) < 0)
		goto done;
	s->iahead = 1; /* the current state's command is the first */
	rc = 1;
done:
	s->st = keep;
	secret_wipe(cmd, sizeof(cmd));
	if (rc < 0)
		s->nahead = s->iahead = 0;
	return rc;
}

/* Names the command a failure happened in: "LIST: connection closed". */
static void prefix_state(const struct pop3_outcome *o, struct fail *f)
{
	char why[sizeof(f->text)];

	snprintf(why, sizeof(why), "%s", f->text);
	snprintf(f->text, sizeof(f->text), "%.40s: %.400s", pop3_state_name(o->state), why);
}

static void outcome_init(struct pop3_outcome *o)
{
	memset(o, 0, sizeof(*o));
	o->t_connect = o->t_greeting = o->t_tls = o->t_auth = o->t_stat = NAN;
	o->state = POP3_ST_CONNECT;
}

int pop3_session(const struct conn_params *cp, const struct pop3_params *p,
		 struct pop3_outcome *o, struct fail *f)
{
	struct conn_stages st;
	struct tls_info ti = { 0 };
	struct conn *c = conn_open(cp, &st, &ti, f);
	int rc;

	if (c == NULL) {
		outcome_init(o);
		o->t_connect = st.connect_s;
		o->tls = ti; /* a certificate that failed verification, or plaintext */
		prefix_state(o, f);
		return -1;
	}
	rc = pop3_run(c, p, o, f);
	o->t_connect = st.connect_s;
	snprintf(o->peer, sizeof(o->peer), "%s", conn_peer(c));
	if (cp->tls != NULL) {
		o->tls = ti;
		o->tls_done = true;
		o->t_tls = st.tls_s;
	}
	conn_close(c);
	return rc;
}

int pop3_run(struct conn *c, const struct pop3_params *p, struct pop3_outcome *o,
	     struct fail *f)
{
	struct pop3 s = { .c = c, .p = p, .o = o, .st = POP3_ST_GREETING };
	char cmd[2 * SECRET_MAX + 256], shown[256];
	int rc = -1;

	outcome_init(o);
	o->state = POP3_ST_GREETING;
	s.stage_ns = mono_now_ns();
	for (;;) {
		int next, batched;

		if (s.iahead < s.nahead && s.ahead[s.iahead] == s.st) {
			s.iahead++; /* its command went out with a batch */
		} else if (s.st != POP3_ST_GREETING && (batched = pop3_batch(&s, f)) != 0) {
			if (batched < 0)
				goto done;
		} else if (s.st != POP3_ST_GREETING) {
			if (pop3_command(&s, cmd, sizeof(cmd), shown, sizeof(shown), f) < 0)
				goto done;
			if (s.st == POP3_ST_DELE)
				o->dele_sent = true;
			rc = conn_send_line(c, cmd, shown[0] ? shown : NULL, f);
			secret_wipe(cmd, sizeof(cmd));
			if (rc < 0)
				goto done;
			rc = -1;
		}
		next = pop3_step(&s, f);
		if (next < 0)
			goto done;
		pop3_move(&s, (enum pop3_state)next);
		if (s.st == POP3_ST_DONE)
			break;
	}
	if (p->delete_found)
		o->deleted = o->found_n < POP3_FOUND_MAX ? o->found_n : POP3_FOUND_MAX;
	rc = 0;
done:
	if (rc < 0)
		prefix_state(o, f);
	return rc;
}
