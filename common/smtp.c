#include "smtp.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "secret.h"

/* ---- pure parsers ------------------------------------------------------- */

int smtp_parse_line(const unsigned char *line, size_t len, int *code, bool *last,
		    size_t *text)
{
	if (len < 3 || !isdigit(line[0]) || !isdigit(line[1]) || !isdigit(line[2]))
		return -1;
	if (line[0] < '2' || line[0] > '5')
		return -1;
	if (len > 3 && line[3] != ' ' && line[3] != '-')
		return -1;
	for (size_t i = 0; i < len; i++)
		if ((line[i] < 0x20 && line[i] != '\t') || line[i] == 0x7f)
			return -1;
	*code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	*last = len == 3 || line[3] == ' ';
	*text = len > 3 ? 4 : 3;
	return 0;
}

void smtp_reply_clear(struct smtp_reply *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->text[i]);
	r->n = 0;
	r->code = 0;
}

/* Length of the keyword at s: [A-Za-z0-9][A-Za-z0-9-]*, or 0. */
static size_t keyword_len(const char *s)
{
	size_t n = 0;

	if (!isalnum((unsigned char)s[0]))
		return 0;
	while (isalnum((unsigned char)s[n]) || s[n] == '-')
		n++;
	return n;
}

size_t smtp_parse_ehlo(const struct smtp_reply *r, struct smtp_ext *ext)
{
	memset(ext, 0, sizeof(*ext));
	for (size_t i = 1; i < r->n && ext->n < SMTP_MAX_EXT; i++) {
		const char *l = r->text[i];
		size_t k = keyword_len(l);

		if (k == 0 || (l[k] != '\0' && l[k] != ' ' && l[k] != '='))
			continue;
		snprintf(ext->line[ext->n++], sizeof(ext->line[0]), "%s", l);
		if (k == 4 && strncasecmp(l, "SIZE", 4) == 0) {
			char *end;
			unsigned long long v = 0;

			ext->has_size = true;
			if (l[4] == ' ') {
				/* "SIZE" alone or "SIZE 0": no fixed limit (RFC 1870) */
				v = strtoull(l + 5, &end, 10);
				if (!isdigit((unsigned char)l[5]) || (*end != '\0' && *end != ' ')) {
					ext->size_bad = true;
					v = 0;
				}
			}
			ext->size = v;
		}
	}
	return ext->n;
}

bool smtp_ext_has(const struct smtp_ext *ext, const char *keyword)
{
	size_t k = strlen(keyword);

	for (size_t i = 0; i < ext->n; i++) {
		const char *l = ext->line[i];

		if (strncasecmp(l, keyword, k) == 0 && (l[k] == '\0' || l[k] == ' '))
			return true;
	}
	return false;
}

bool smtp_ext_auth(const struct smtp_ext *ext, const char *mech)
{
	size_t m = strlen(mech);

	for (size_t i = 0; i < ext->n; i++) {
		const char *p = ext->line[i];

		if (strncasecmp(p, "AUTH", 4) != 0 || (p[4] != ' ' && p[4] != '='))
			continue;
		p += 5;
		while (*p != '\0') {
			size_t n = strcspn(p, " ");

			if (n == m && strncasecmp(p, mech, m) == 0)
				return true;
			p += n;
			p += strspn(p, " ");
		}
	}
	return false;
}

void smtp_queue_id(const char *text, char *out, size_t len)
{
	static const char marker[] = "queued as ";
	const char *p = strcasestr(text, marker);
	size_t n;

	out[0] = '\0';
	if (p == NULL)
		return;
	p += sizeof(marker) - 1;
	n = strcspn(p, " ;,)");
	if (n > 0 && n < len)
		snprintf(out, len, "%.*s", (int)n, p);
}

/* ---- the dialogue ------------------------------------------------------- */

/* snprintf for text that may be cut short on purpose (server replies in
 * fixed-size fields of the outcome). */
__attribute__((format(printf, 3, 4)))
static void put(char *dst, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(dst, len, fmt, ap);
	va_end(ap);
}

static const char *const state_names[SMTP_LAST] = {
	[SMTP_CONNECT] = "connect",
	[SMTP_TLS] = "TLS handshake",
	[SMTP_BANNER] = "banner",
	[SMTP_EHLO] = "EHLO",
	[SMTP_HELO] = "HELO",
	[SMTP_STARTTLS] = "STARTTLS",
	[SMTP_EHLO_TLS] = "EHLO after STARTTLS",
	[SMTP_AUTH] = "AUTH",
	[SMTP_COMMAND] = "command",
	[SMTP_MAIL] = "MAIL",
	[SMTP_RCPT] = "RCPT",
	[SMTP_DATA] = "DATA",
	[SMTP_RSET] = "RSET",
	[SMTP_RELAY] = "relay test",
	[SMTP_QUIT] = "QUIT",
	[SMTP_DONE] = "done",
};

/* The perfdata stage each state's time counts in (STAGE_LAST: none; the
 * connect times its stages itself). */
static const enum smtp_stage state_stage[SMTP_LAST] = {
	[SMTP_CONNECT] = STAGE_LAST,
	[SMTP_TLS] = STAGE_TLS,
	[SMTP_BANNER] = STAGE_BANNER,
	[SMTP_EHLO] = STAGE_EHLO,
	[SMTP_HELO] = STAGE_EHLO,
	[SMTP_STARTTLS] = STAGE_TLS,
	[SMTP_EHLO_TLS] = STAGE_EHLO,
	[SMTP_AUTH] = STAGE_AUTH,
	[SMTP_COMMAND] = STAGE_LAST,
	[SMTP_MAIL] = STAGE_MAIL,
	[SMTP_RCPT] = STAGE_RCPT,
	[SMTP_DATA] = STAGE_DATA,
	[SMTP_RSET] = STAGE_LAST,
	[SMTP_RELAY] = STAGE_LAST,
	[SMTP_QUIT] = STAGE_QUIT,
	[SMTP_DONE] = STAGE_LAST,
};

const char *const smtp_stage_labels[STAGE_LAST] = {
	"connect", "banner", "ehlo", "tls", "auth", "mail", "rcpt", "data", "quit",
};

const char *smtp_state_name(enum smtp_state s)
{
	return (unsigned)s < SMTP_LAST ? state_names[s] : "?";
}

bool smtp_stage_wanted(const struct smtp_params *p, enum smtp_stage stage)
{
	switch (stage) {
	case STAGE_TLS: return p->implicit_tls || p->starttls;
	case STAGE_AUTH: return p->user != NULL;
	case STAGE_MAIL: return p->from != NULL;
	case STAGE_RCPT: return p->nrcpt > 0;
	case STAGE_DATA: return p->data;
	default: return stage < STAGE_LAST;
	}
}

struct session {
	const struct smtp_params *p;
	struct smtp_outcome *o;
	struct conn *c;
	struct smtp_reply r; /* the last reply */
};

static int on_reply_line(void *ctx, const char *line, size_t len, struct fail *f)
{
	struct smtp_reply *r = ctx;
	int code;
	bool last;
	size_t text;

	if (smtp_parse_line((const unsigned char *)line, len, &code, &last, &text) < 0) {
		char shown[81];
		size_t i;

		/* A NUL must not end what is shown (output escapes the rest). */
		for (i = 0; i < len && i < sizeof(shown) - 1; i++)
			shown[i] = line[i] == '\0' ? '?' : line[i];
		shown[i] = '\0';
		fail_set(f, FAIL_PROTO, "not an SMTP reply: \"%s\"", shown);
		return -1;
	}
	if (r->n > 0 && code != r->code) {
		fail_set(f, FAIL_PROTO, "the lines of a multi-line reply disagree (%d, then %d)",
			 r->code, code);
		return -1;
	}
	if (r->n == SMTP_MAX_REPLY_LINES) {
		fail_set(f, FAIL_PROTO, "a reply of more than %d lines", SMTP_MAX_REPLY_LINES);
		return -1;
	}
	r->text[r->n] = strdup(line + text);
	if (r->text[r->n] == NULL) {
		fail_set(f, FAIL_INTERNAL, "out of memory");
		return -1;
	}
	r->n++;
	r->code = code;
	return last ? 1 : 0;
}

/* A reply as the server sent it: "250-first\n250 last", cut to len. */
static void reply_text(const struct smtp_reply *r, char *buf, size_t len)
{
	buf[0] = '\0';
	for (size_t i = 0, used = 0; i < r->n && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%d%s%s", i ? "\n" : "", r->code,
					 i + 1 < r->n ? "-" : " ", r->text[i]);
}

/* Reads one reply into s->r; 0, or -1 with the outcome's fail set. */
static int read_reply(struct session *s)
{
	smtp_reply_clear(&s->r);
	return conn_read_response(s->c, on_reply_line, &s->r, &s->o->fail);
}

/* Sends a command (shown masked in the transcript when `shown` is not
 * NULL) and reads its reply. */
static int command(struct session *s, const char *line, const char *shown)
{
	if (conn_send_line(s->c, line, shown, &s->o->fail) < 0)
		return -1;
	return read_reply(s);
}

/* Ends the dialogue at state st because of the last reply. */
static enum smtp_state refused(struct session *s, enum smtp_state st, const char *what)
{
	s->o->fail_code = s->r.code;
	fail_set(&s->o->fail, FAIL_REPLY, "%s: %d %s", what, s->r.code,
		 s->r.n > 0 ? s->r.text[s->r.n - 1] : "");
	s->o->failed_at = st;
	return SMTP_LAST;
}

/* Ends the dialogue at state st; the outcome's fail says why. */
static enum smtp_state failed(struct session *s, enum smtp_state st)
{
	s->o->failed_at = st;
	return SMTP_LAST;
}

/* Where to go after the caller's commands (or in their place). */
static enum smtp_state after_commands(const struct session *s)
{
	const struct smtp_params *p = s->p;

	if (p->from != NULL)
		return SMTP_MAIL;
	if (p->relay_to != NULL)
		return SMTP_RELAY;
	return SMTP_QUIT;
}

/* Where to go once the server knows who we are (and AUTH is done). */
static enum smtp_state after_auth(const struct session *s)
{
	return s->p->ncmd > 0 ? SMTP_COMMAND : after_commands(s);
}

/* Where to go once the server knows who we are. */
static enum smtp_state after_hello(const struct session *s)
{
	const struct smtp_params *p = s->p;

	if (p->starttls && !s->o->tls)
		return SMTP_STARTTLS;
	if (p->user != NULL)
		return SMTP_AUTH;
	return after_auth(s);
}

/* Connects (and with -s handshakes); times both stages itself. */
static enum smtp_state do_connect(struct session *s)
{
	const struct smtp_params *p = s->p;
	struct smtp_outcome *o = s->o;
	struct conn_stages st;

	s->c = conn_open(&(struct conn_params){
				 .deadline = p->deadline,
				 .max_line = SMTP_MAX_LINE,
				 .transcript = p->transcript,
				 .tls = p->implicit_tls ? p->tls : NULL,
				 .resolver = p->resolver,
				 .host = p->host,
				 .addrs = p->addrs,
				 .port = p->port,
				 .family = p->family,
			 }, &st, &o->tls_info, &o->fail);
	o->stage_run[STAGE_CONNECT] = !isnan(st.connect_s);
	o->stage_s[STAGE_CONNECT] = o->stage_run[STAGE_CONNECT] ? st.connect_s : 0;
	o->stage_run[STAGE_TLS] = !isnan(st.tls_s);
	o->stage_s[STAGE_TLS] = o->stage_run[STAGE_TLS] ? st.tls_s : 0;
	if (s->c == NULL)
		return failed(s, isnan(st.connect_s) ? SMTP_CONNECT : SMTP_TLS);
	snprintf(o->peer, sizeof(o->peer), "%s", conn_peer(s->c));
	o->tls = conn_is_tls(s->c);
	return SMTP_BANNER;
}

static enum smtp_state do_banner(struct session *s)
{
	if (read_reply(s) < 0)
		return failed(s, SMTP_BANNER);
	s->o->banner_code = s->r.code;
	snprintf(s->o->banner, sizeof(s->o->banner), "%s", s->r.text[0]);
	reply_text(&s->r, s->o->banner_all, sizeof(s->o->banner_all));
	if (s->r.code != 220)
		return refused(s, SMTP_BANNER, s->r.code == 421 || s->r.code == 554
				   ? "the server refuses service" : "unexpected banner");
	return SMTP_EHLO;
}

static enum smtp_state do_hello(struct session *s, enum smtp_state st)
{
	const char *verb = st == SMTP_HELO ? "HELO" : s->p->lmtp ? "LHLO" : "EHLO";
	char line[300], what[40];

	snprintf(line, sizeof(line), "%s %s", verb, s->p->helo_name);
	if (command(s, line, NULL) < 0)
		return failed(s, st);
	if (s->r.code == 250) {
		if (st == SMTP_HELO) {
			memset(&s->o->ext, 0, sizeof(s->o->ext));
		} else {
			s->o->esmtp = true;
			smtp_parse_ehlo(&s->r, &s->o->ext);
		}
		return after_hello(s);
	}
	/* LMTP has no HELO (RFC 2033 4.1). */
	if (st == SMTP_EHLO && !s->p->lmtp && s->r.code >= 500 && s->r.code < 600) {
		s->o->ehlo_code = s->r.code;
		return SMTP_HELO;
	}
	snprintf(what, sizeof(what), "%s refused", verb);
	return refused(s, st, what);
}

static enum smtp_state do_starttls(struct session *s)
{
	if (!smtp_ext_has(&s->o->ext, "STARTTLS")) {
		fail_set(&s->o->fail, FAIL_REPLY, "STARTTLS is not offered%s",
			 s->o->esmtp ? "" : " (the server refused EHLO)");
		return failed(s, SMTP_STARTTLS);
	}
	if (command(s, "STARTTLS", NULL) < 0)
		return failed(s, SMTP_STARTTLS);
	if (s->r.code != 220)
		return refused(s, SMTP_STARTTLS, "STARTTLS refused");
	if (conn_starttls(s->c, s->p->tls, &s->o->tls_info, &s->o->fail) < 0) {
		s->o->injected = conn_injected(s->c);
		return failed(s, SMTP_STARTTLS);
	}
	s->o->tls = true;
	s->o->injected = conn_injected(s->c);
	/* RFC 3207 4.2: everything learnt before TLS is forgotten. */
	memset(&s->o->ext, 0, sizeof(s->o->ext));
	return SMTP_EHLO_TLS;
}

static enum smtp_state do_auth(struct session *s)
{
	const struct smtp_params *p = s->p;
	const char *mech = p->auth_mech;
	char raw[2 * SECRET_MAX + 4], b64[4 * SECRET_MAX], line[4 * SECRET_MAX + 16];
	enum smtp_state next;
	size_t ul = strlen(p->user), pl = strlen(p->password);

	if (mech == NULL)
		mech = smtp_ext_auth(&s->o->ext, "PLAIN") ? "PLAIN"
		       : smtp_ext_auth(&s->o->ext, "LOGIN") ? "LOGIN" : NULL;
	if (mech == NULL || !smtp_ext_auth(&s->o->ext, mech)) {
		fail_set(&s->o->fail, FAIL_REPLY, "AUTH %s is not offered%s", mech ? mech : "PLAIN or LOGIN",
			 smtp_ext_has(&s->o->ext, "AUTH") ? "" : " (no AUTH in the EHLO reply)");
		return failed(s, SMTP_AUTH);
	}
	snprintf(s->o->auth_mech, sizeof(s->o->auth_mech), "%s", mech);
	if (ul + pl + 2 >= sizeof(raw)) {
		fail_set(&s->o->fail, FAIL_INTERNAL, "user name and password are too long");
		return failed(s, SMTP_AUTH);
	}
	if (strcasecmp(mech, "PLAIN") == 0) {
		/* RFC 4616: authzid NUL authcid NUL passwd */
		raw[0] = '\0';
		memcpy(raw + 1, p->user, ul);
		raw[1 + ul] = '\0';
		memcpy(raw + 2 + ul, p->password, pl);
		secret_base64(raw, ul + pl + 2, b64, sizeof(b64));
		snprintf(line, sizeof(line), "AUTH PLAIN %s", b64);
		if (command(s, line, "AUTH PLAIN ********") < 0)
			goto io_failed;
	} else {
		if (command(s, "AUTH LOGIN", NULL) < 0)
			goto io_failed;
		if (s->r.code == 334) {
			secret_base64(p->user, ul, b64, sizeof(b64));
			if (command(s, b64, NULL) < 0)
				goto io_failed;
		}
		if (s->r.code == 334) {
			secret_base64(p->password, pl, b64, sizeof(b64));
			if (command(s, b64, "********") < 0)
				goto io_failed;
		}
	}
	if (s->r.code == 235)
		next = after_auth(s);
	else
		next = refused(s, SMTP_AUTH, s->r.code == 535 ? "authentication failed"
						       : "AUTH refused");
	goto done;
io_failed:
	next = failed(s, SMTP_AUTH);
done:
	secret_wipe(raw, sizeof(raw));
	secret_wipe(b64, sizeof(b64));
	secret_wipe(line, sizeof(line));
	if (p->forget_password != NULL)
		p->forget_password(p->ctx);
	return next;
}

/* The caller's commands, one after the other, each reply kept whatever
 * its code (judging it is the caller's); only a 421 ends the dialogue. */
static enum smtp_state do_commands(struct session *s)
{
	const struct smtp_params *p = s->p;
	struct smtp_outcome *o = s->o;

	for (size_t i = 0; i < p->ncmd && i < SMTP_MAX_CMD; i++) {
		if (command(s, p->commands[i], NULL) < 0)
			return failed(s, SMTP_COMMAND);
		o->cmd_code[i] = s->r.code;
		reply_text(&s->r, o->cmd_reply[i], sizeof(o->cmd_reply[i]));
		o->ncmd = i + 1;
		if (s->r.code == 421)
			return refused(s, SMTP_COMMAND, "the server closed the session");
	}
	return after_commands(s);
}

static enum smtp_state do_mail(struct session *s)
{
	char line[600];

	snprintf(line, sizeof(line), "MAIL FROM:<%s>", s->p->from);
	if (command(s, line, NULL) < 0)
		return failed(s, SMTP_MAIL);
	s->o->mail_code = s->r.code;
	if (s->r.code / 100 != 2)
		return refused(s, SMTP_MAIL, "MAIL FROM refused");
	return s->p->nrcpt > 0 ? SMTP_RCPT : SMTP_RSET;
}

static enum smtp_state do_rcpt(struct session *s)
{
	const struct smtp_params *p = s->p;

	for (size_t i = 0; i < p->nrcpt && i < SMTP_MAX_RCPT; i++) {
		char line[600], what[700];
		bool ok;

		snprintf(line, sizeof(line), "RCPT TO:<%s>", p->rcpts[i]);
		if (command(s, line, NULL) < 0)
			return failed(s, SMTP_RCPT);
		s->o->rcpt_code[i] = s->r.code;
		snprintf(s->o->rcpt_text[i], sizeof(s->o->rcpt_text[0]), "%s",
			 s->r.text[s->r.n - 1]);
		s->o->nrcpt = i + 1;
		ok = p->expect_rcpt ? s->r.code == p->expect_rcpt : s->r.code / 100 == 2;
		if (!ok) {
			if (p->expect_rcpt)
				snprintf(what, sizeof(what), "RCPT TO:<%s>: expected %d, got",
					 p->rcpts[i], p->expect_rcpt);
			else
				snprintf(what, sizeof(what), "RCPT TO:<%s> refused", p->rcpts[i]);
			return refused(s, SMTP_RCPT, what);
		}
	}
	return p->data ? SMTP_DATA : SMTP_RSET;
}

/* Sends one line of the message, dot-stuffed (RFC 5321 4.5.2). */
static int body_line(struct session *s, const char *text)
{
	char line[1100];

	snprintf(line, sizeof(line), "%s%s", text[0] == '.' ? "." : "", text);
	return conn_send_line(s->c, line, NULL, &s->o->fail);
}

static enum smtp_state do_data(struct session *s)
{
	const struct smtp_params *p = s->p;
	char date[64], hdr[700];
	time_t now = time(NULL);
	struct tm tm;

	if (command(s, "DATA", NULL) < 0)
		return failed(s, SMTP_DATA);
	if (s->r.code != 354)
		return refused(s, SMTP_DATA, "DATA refused");
	localtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm);
	snprintf(hdr, sizeof(hdr), "Date: %s", date);
	if (body_line(s, hdr) < 0)
		return failed(s, SMTP_DATA);
	if (p->from[0] != '\0')
		snprintf(hdr, sizeof(hdr), "From: <%s>", p->from);
	else
		snprintf(hdr, sizeof(hdr), "From: netcheck <netcheck@%s>", p->helo_name);
	if (body_line(s, hdr) < 0)
		return failed(s, SMTP_DATA);
	snprintf(hdr, sizeof(hdr), "To: <%s>", p->rcpts[0]);
	if (body_line(s, hdr) < 0)
		return failed(s, SMTP_DATA);
	snprintf(hdr, sizeof(hdr), "Message-ID: <%s@%s>", p->token, p->helo_name);
	if (body_line(s, hdr) < 0)
		return failed(s, SMTP_DATA);
	snprintf(hdr, sizeof(hdr), "Subject: netcheck test %s", p->token);
	if (body_line(s, hdr) < 0 || body_line(s, "") < 0 ||
	    body_line(s, "A test message from check_smtp_dialogue (netcheck).") < 0 ||
	    body_line(s, ". This line starts with a dot, sent doubled (dot-stuffing).") < 0)
		return failed(s, SMTP_DATA);
	snprintf(hdr, sizeof(hdr), "Token: %s", p->token);
	if (body_line(s, hdr) < 0 || command(s, ".", NULL) < 0)
		return failed(s, SMTP_DATA);
	smtp_queue_id(s->r.text[s->r.n - 1], s->o->queue_id, sizeof(s->o->queue_id));
	/* LMTP: one reply per recipient, in the order of the RCPTs (RFC 2033
	 * 4.2); every one was accepted, or the dialogue would have ended. */
	for (size_t i = 0; ; i++) {
		char what[700];

		s->o->data_code = s->r.code;
		if (s->r.code / 100 != 2) {
			snprintf(what, sizeof(what), "message refused%s%s%s", p->lmtp ? " for <" : "",
				 p->lmtp ? p->rcpts[i] : "", p->lmtp ? ">" : "");
			return refused(s, SMTP_DATA, what);
		}
		if (!p->lmtp || i + 1 >= p->nrcpt)
			break;
		if (read_reply(s) < 0)
			return failed(s, SMTP_DATA);
	}
	return p->relay_to != NULL ? SMTP_RELAY : SMTP_QUIT;
}

static enum smtp_state do_rset(struct session *s)
{
	if (command(s, "RSET", NULL) < 0)
		return failed(s, SMTP_RSET);
	if (s->r.code / 100 != 2)
		return refused(s, SMTP_RSET, "RSET refused");
	return s->p->relay_to != NULL ? SMTP_RELAY : SMTP_QUIT;
}

/* The open-relay probes: each a MAIL, a RCPT and a RSET, never DATA. */
static enum smtp_state do_relay(struct session *s)
{
	const struct smtp_params *p = s->p;
	const char *at = strrchr(p->relay_to, '@');
	char user[256], domain[256], from[300], rcpt[SMTP_MAX_RELAY][600];
	const char *senders[SMTP_MAX_RELAY];
	const char *server = p->server_name;
	struct smtp_outcome *o = s->o;
	char named[256];

	/* An address is no domain for user%domain@server: use the name the
	 * server gave in its banner, else an address literal. */
	if (addr_is_literal(server)) {
		size_t n = strcspn(o->banner, " ");

		if (n > 0 && n < sizeof(named) && strchr(o->banner, '.') != NULL)
			snprintf(named, sizeof(named), "%.*s", (int)n, o->banner);
		else
			snprintf(named, sizeof(named), "[%s%s]", strchr(server, ':') ? "IPv6:" : "",
				 server);
		server = named;
	}

	snprintf(user, sizeof(user), "%.*s", (int)(at - p->relay_to), p->relay_to);
	snprintf(domain, sizeof(domain), "%s", at + 1);
	snprintf(from, sizeof(from), "%s", p->from && p->from[0] ? p->from : "");
	if (from[0] == '\0')
		snprintf(from, sizeof(from), "relaytest@%s", p->helo_name);
	put(rcpt[0], sizeof(rcpt[0]), "<%s@%s>", user, domain);
	put(rcpt[1], sizeof(rcpt[1]), "<%s%%%s@%s>", user, domain, server);
	put(rcpt[2], sizeof(rcpt[2]), "<\"%s@%s\">", user, domain);
	put(rcpt[3], sizeof(rcpt[3]), "<@%s:%s@%s>", server, user, domain);
	put(rcpt[4], sizeof(rcpt[4]), "<%s!%s@%s>", domain, user, server);
	put(rcpt[5], sizeof(rcpt[5]), "<%s@%s>", user, domain);
	for (int i = 0; i < 5; i++)
		senders[i] = from;
	senders[5] = ""; /* the null sender */

	for (size_t i = 0; i < SMTP_MAX_RELAY; i++) {
		char line[700];
		int code;

		snprintf(line, sizeof(line), "MAIL FROM:<%s>", senders[i]);
		if (command(s, line, NULL) < 0)
			return failed(s, SMTP_RELAY);
		code = s->r.code;
		if (code / 100 == 2) {
			put(line, sizeof(line), "RCPT TO:%s", rcpt[i]);
			if (command(s, line, NULL) < 0)
				return failed(s, SMTP_RELAY);
			code = s->r.code;
		}
		if (s->r.code == 421)
			return refused(s, SMTP_RELAY, "the server closed the session");
		put(o->relay_line[i], sizeof(o->relay_line[0]), "%s%s: %d %s",
			 senders[i][0] || strncmp(line, "MAIL", 4) == 0 ? "" : "MAIL FROM:<> ",
			 line, code, s->r.n ? s->r.text[s->r.n - 1] : "");
		o->relay_code[i] = code;
		o->relay_total++;
		if (code / 100 == 2)
			o->relay_accepted++;
		else if (code / 100 == 4)
			o->relay_temp++;
		else
			o->relay_denied++;
		if (command(s, "RSET", NULL) < 0)
			return failed(s, SMTP_RELAY);
	}
	return SMTP_QUIT;
}

static enum smtp_state do_quit(struct session *s)
{
	if (command(s, "QUIT", NULL) < 0)
		return failed(s, SMTP_QUIT);
	s->o->quit_code = s->r.code;
	if (s->r.code != 221)
		return refused(s, SMTP_QUIT, "no 221 reply");
	return SMTP_DONE;
}

/* Runs one state; returns the next, or SMTP_LAST when the dialogue failed. */
static enum smtp_state step(struct session *s, enum smtp_state st)
{
	switch (st) {
	case SMTP_CONNECT: return do_connect(s);
	case SMTP_BANNER: return do_banner(s);
	case SMTP_EHLO:
	case SMTP_HELO:
	case SMTP_EHLO_TLS: return do_hello(s, st);
	case SMTP_STARTTLS: return do_starttls(s);
	case SMTP_AUTH: return do_auth(s);
	case SMTP_COMMAND: return do_commands(s);
	case SMTP_MAIL: return do_mail(s);
	case SMTP_RCPT: return do_rcpt(s);
	case SMTP_DATA: return do_data(s);
	case SMTP_RSET: return do_rset(s);
	case SMTP_RELAY: return do_relay(s);
	case SMTP_QUIT: return do_quit(s);
	default: return SMTP_DONE;
	}
}

int smtp_dialogue(const struct smtp_params *p, struct smtp_outcome *o)
{
	struct session s = { .p = p, .o = o };
	enum smtp_state st = SMTP_CONNECT;
	int64_t start = mono_now_ns();
	struct deadline courtesy; /* outlives the QUIT: conn_close uses it */

	memset(o, 0, sizeof(*o));
	o->failed_at = SMTP_DONE;
	while (st != SMTP_DONE && st != SMTP_LAST) {
		int64_t t0 = mono_now_ns();
		enum smtp_state next = step(&s, st);
		enum smtp_stage stage = state_stage[st];

		if (stage != STAGE_LAST) {
			o->stage_s[stage] += mono_since_s(t0);
			o->stage_run[stage] = true;
		}
		st = next;
	}
	/* A refusal leaves a working session: end it as RFC 5321 asks, but a
	 * server that does not answer the QUIT gets a second, not the rest of
	 * the run: the verdict is made already. */
	if (o->failed_at != SMTP_DONE && o->failed_at != SMTP_QUIT && s.c != NULL &&
	    o->fail.cls == FAIL_REPLY && o->fail_code != 421) {
		struct fail ignored;
		int64_t until = mono_now_ns() + SMTP_QUIT_COURTESY_MS * NS_PER_MS;

		courtesy = *p->deadline;
		if (until < courtesy.end_ns)
			courtesy.end_ns = until;
		conn_set_deadline(s.c, &courtesy);
		if (conn_send_line(s.c, "QUIT", NULL, &ignored) == 0) {
			smtp_reply_clear(&s.r);
			if (conn_read_response(s.c, on_reply_line, &s.r, &ignored) == 0)
				o->quit_code = s.r.code;
		}
	}
	o->total_s = mono_since_s(start);
	/* A stage that failed measured nothing worth graphing: perfdata says U. */
	if (o->failed_at != SMTP_DONE && state_stage[o->failed_at] != STAGE_LAST)
		o->stage_run[state_stage[o->failed_at]] = false;
	smtp_reply_clear(&s.r);
	conn_close(s.c);
	return o->failed_at == SMTP_DONE ? 0 : -1;
}
