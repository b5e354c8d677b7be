/* libFuzzer target: the SMTP and POP3 clients against a hostile server.
 * The input is everything the server says, sent at once over a local
 * stream socket (an abstract Unix socket, nothing on the network); the
 * client is the real thing: conn's buffered line reader with its bounds,
 * multi-line replies, then smtp_dialogue's or pop3_session's state
 * machine with AUTH, MAIL/RCPT/DATA, relay probes, STAT/LIST/UIDL/TOP,
 * the subject search and DELE.  The first two input bytes pick the
 * protocol and the options; a thread plays the server and keeps what the
 * client sent.
 *
 * Invariants checked besides "no crash" and "no leak": the run returns 0
 * exactly when it reached the end; the outcome's state and failure class
 * are valid; and what the client sent keeps its promises whatever the
 * server said: POP3 never sends RETR, sends DELE only with --delete-found,
 * only for messages it reports found and only right before QUIT, and
 * nothing after QUIT, and without TLS sends the password (plain or in
 * base64) only where plaintext login is allowed; SMTP sends no AUTH
 * without a user, no DATA without --data, and nothing after QUIT; the
 * transcript (-v) never shows a password the client sent.
 * make fuzz builds and runs it. */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "addr.h"
#include "deadline.h"
#include "pop3.h"
#include "smtp.h"

#define SENT_MAX (256 << 10) /* what the client sent, kept */

/* The password, and how AUTH PLAIN ("\0user\0secret") and AUTH LOGIN
 * send it. */
static const char *const secrets[] = { "secret", "AHVzZXIAc2VjcmV0", "c2VjcmV0" };

/* The server's side of one run. */
struct server {
	int listen_fd;
	const uint8_t *say;
	size_t say_len;
	char sent[SENT_MAX + 1];
	size_t sent_len;
};

static int listen_fd = -1;
static struct addr_list *where;

/* Once: an abstract Unix socket to listen on, named by our pid. */
static void setup(void)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	int n = snprintf(un.sun_path + 1, sizeof(un.sun_path) - 1, "netcheck-fuzz-%d", getpid());
	socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);

	listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	where = addr_list_new(1);
	if (listen_fd < 0 || where == NULL || bind(listen_fd, (struct sockaddr *)&un, len) < 0 ||
	    listen(listen_fd, 4) < 0 || addr_list_add(where, (struct sockaddr *)&un, len) < 0)
		abort();
}

/* Accepts the client, says everything, ends its half, keeps what it hears
 * until the client closes. */
static void *serve(void *arg)
{
	struct server *s = arg;
	int fd = accept(s->listen_fd, NULL, NULL);
	size_t at = 0;
	char scratch[4096];

	if (fd < 0)
		return NULL;
	while (at < s->say_len) {
		ssize_t n = send(fd, s->say + at, s->say_len - at, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		at += (size_t)n;
	}
	shutdown(fd, SHUT_WR);
	for (;;) {
		char *into = s->sent_len < SENT_MAX ? s->sent + s->sent_len : scratch;
		size_t room = s->sent_len < SENT_MAX ? SENT_MAX - s->sent_len : sizeof(scratch);
		ssize_t n = recv(fd, into, room, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (into != scratch)
			s->sent_len += (size_t)n;
	}
	s->sent[s->sent_len] = '\0';
	close(fd);
	return NULL;
}

/* The lines the client sent, each checked by fn; fn's state in ctx. */
static void each_sent(const struct server *s, void (*fn)(const char *line, size_t n, void *ctx),
		      void *ctx)
{
	const char *p = s->sent, *end = s->sent + s->sent_len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		fn(p, n > 0 && p[n - 1] == '\r' ? n - 1 : n, ctx);
		p += n + 1;
	}
}

/* True when any form of the password is in s. */
static bool has_secret(const char *s)
{
	for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
		if (strstr(s, secrets[i]) != NULL)
			return true;
	return false;
}

/* The client's lines of a transcript never show the password. */
static void check_transcript(struct transcript *t)
{
	for (size_t i = 0; i < transcript_count(t); i++) {
		const char *line = transcript_get(t, i);

		if (strncmp(line, "C:", 2) == 0 && has_secret(line))
			abort();
	}
	transcript_free(t);
}

static bool verb_is(const char *line, size_t n, const char *verb)
{
	size_t k = strlen(verb);

	return n >= k && strncasecmp(line, verb, k) == 0 && (n == k || line[k] == ' ');
}

struct pop3_check {
	const struct pop3_params *p;
	const struct pop3_outcome *o;
	bool quit, dele;
};

static void pop3_line(const char *line, size_t n, void *ctx)
{
	struct pop3_check *c = ctx;
	bool found = false;
	unsigned long msg;

	if (c->quit || verb_is(line, n, "RETR"))
		abort();
	c->quit = verb_is(line, n, "QUIT");
	if (!verb_is(line, n, "DELE")) {
		if (c->dele && !c->quit) /* after a DELE only DELE and QUIT */
			abort();
		return;
	}
	c->dele = true;
	if (!c->p->delete_found || sscanf(line + 5, "%lu", &msg) != 1)
		abort();
	for (size_t i = 0; i < c->o->found_n && i < POP3_FOUND_MAX; i++)
		found |= c->o->found[i] == msg;
	if (!found)
		abort();
}

static void run_pop3(struct server *s, pthread_t t, uint8_t opt, uint8_t opt2,
		     const struct deadline *d)
{
	static const enum pop3_auth auths[] = { POP3_AUTH_USER, POP3_AUTH_APOP, POP3_AUTH_PLAIN,
						POP3_AUTH_USER };
	struct pop3_params p = {
		.user = opt & 0x80 ? NULL : "user", .password = "secret",
		.auth = auths[(opt >> 1) & 3], .allow_plaintext_auth = opt2 & 1,
		.want_list = opt & 0x08, .want_uidl = opt & 0x10, .want_age = opt & 0x20,
		.find_subject = opt & 0x40 ? "token" : NULL, .find_limit = opt & 0x08 ? 3 : 0,
		.delete_found = opt & 0x10, .record_max = 5,
	};
	struct conn_params cp = { .deadline = d, .max_line = POP3_MAX_LINE, .addrs = where,
				  .transcript = transcript_new() };
	struct pop3_outcome o;
	struct pop3_check c = { &p, &o, false, false };
	struct fail f;
	int rc;

	p.transcript = cp.transcript;
	rc = pop3_session(&cp, &p, &o, &f);
	if ((rc == 0) != (o.state == POP3_ST_DONE) || (unsigned)o.state >= POP3_ST_LAST ||
	    (rc != 0 && (unsigned)f.cls >= FAIL_LAST) || o.found_n > POP3_FOUND_MAX ||
	    o.deleted > o.found_n)
		abort();
	check_transcript(cp.transcript);
	pthread_join(t, NULL); /* the connection is closed: the server ends */
	each_sent(s, pop3_line, &c);
	/* No TLS here: the password goes out only where that is allowed. */
	if (!p.allow_plaintext_auth && has_secret(s->sent))
		abort();
}

struct smtp_check {
	const struct smtp_params *p;
	bool quit;
};

static void smtp_line(const char *line, size_t n, void *ctx)
{
	struct smtp_check *c = ctx;

	if (c->quit || (c->p->user == NULL && verb_is(line, n, "AUTH")) ||
	    (!c->p->data && verb_is(line, n, "DATA")))
		abort();
	c->quit = verb_is(line, n, "QUIT");
}

static void run_smtp(struct server *s, pthread_t t, uint8_t opt, const struct deadline *d)
{
	static const char *const rcpts[] = { "user@example.test", "other@example.test" };
	static const char *const cmds[] = { "NOOP", "VRFY postmaster" };
	static const char *const mechs[] = { NULL, "PLAIN", "LOGIN", NULL };
	struct smtp_params p = {
		.deadline = d, .host = "mx.example.test", .addrs = where, .port = 25,
		.family = AF_UNSPEC, .transcript = transcript_new(), .lmtp = opt & 0x02,
		.helo_name = "netcheck.test", .user = opt & 0x04 ? "user" : NULL,
		.password = "secret", .auth_mech = mechs[(opt >> 3) & 3],
		.commands = cmds, .ncmd = opt & 0x20 ? 2 : 0,
		.from = opt & 0x40 ? "" : "sender@example.test", .rcpts = rcpts,
		.nrcpt = opt & 0x40 ? 1 : 2, .data = opt & 0x80, .token = "token-1",
		.relay_to = opt & 0x10 ? "x@elsewhere.example" : NULL,
		.server_name = "mx.example.test",
	};
	static struct smtp_outcome o;
	struct smtp_check c = { &p, false };
	int rc = smtp_dialogue(&p, &o);

	if ((rc == 0) != (o.failed_at == SMTP_DONE) || (unsigned)o.failed_at >= SMTP_LAST ||
	    (rc != 0 && (unsigned)o.fail.cls >= FAIL_LAST) || o.ncmd > SMTP_MAX_CMD ||
	    o.nrcpt > SMTP_MAX_RCPT || o.relay_total > SMTP_MAX_RELAY ||
	    memchr(o.banner, '\0', sizeof(o.banner)) == NULL)
		abort();
	check_transcript(p.transcript);
	pthread_join(t, NULL); /* the connection is closed: the server ends */
	each_sent(s, smtp_line, &c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct server s;
	struct deadline d;
	pthread_t t;

	if (size < 2)
		return 0;
	if (listen_fd < 0)
		setup();
	s = (struct server){ .listen_fd = listen_fd, .say = data + 2, .say_len = size - 2 };
	if (pthread_create(&t, NULL, serve, &s) != 0)
		abort();
	/* Everything the server says is there at once: a run waits only for
	 * the thread to be scheduled, never for this budget. */
	deadline_start(&d, 20000);
	if (data[0] & 1)
		run_pop3(&s, t, data[0], data[1], &d);
	else
		run_smtp(&s, t, data[0], &d);
	return 0;
}
