#include "conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define READ_BLOCK 16384

struct conn {
	int fd;
	struct tls *tls;
	const struct deadline *deadline;
	struct transcript *transcript;
	bool record;
	size_t max_line;
	char peer[ADDR_TEXT_MAX];
	size_t injected;
	char *buf;      /* read buffer */
	size_t cap;     /* its size */
	size_t start;   /* first byte not yet returned */
	size_t end;     /* one past the last byte read */
};

static int handshake(struct conn *c, const struct tls_params *tp, struct tls_info *tinfo,
		     struct fail *f);

/* ---- connect ------------------------------------------------------------ */

/* One non-blocking connect attempt bounded by max_ms; fd, or -1 with why. */
static int connect_one(const struct sockaddr *sa, socklen_t len, const struct deadline *d,
		       int64_t max_ms, char *why, size_t whylen)
{
	int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int err = 0, n;
	socklen_t elen = sizeof(err);

	if (fd < 0) {
		snprintf(why, whylen, "%s", strerror(errno));
		return -1;
	}
	if (connect(fd, sa, len) == 0)
		return fd;
	if (errno != EINPROGRESS) {
		snprintf(why, whylen, "%s", strerror(errno));
		close(fd);
		return -1;
	}
	n = deadline_wait_fd(d, fd, POLLOUT, max_ms);
	if (n == 0) {
		snprintf(why, whylen, "no answer");
		close(fd);
		return -1;
	}
	if (n < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0) {
		snprintf(why, whylen, "%s", strerror(errno));
		close(fd);
		return -1;
	}
	if (err != 0) {
		snprintf(why, whylen, "%s", err == ECONNREFUSED ? "connection refused" : strerror(err));
		close(fd);
		return -1;
	}
	return fd;
}

struct conn *conn_connect(const struct addr_list *addrs, const struct conn_params *p,
			  struct tls_info *tinfo, struct fail *f)
{
	struct conn *c = calloc(1, sizeof(*c));
	char tried[1024] = "";
	size_t used = 0;

	if (c == NULL) {
		fail_set(f, FAIL_INTERNAL, "out of memory");
		return NULL;
	}
	c->fd = -1;
	c->deadline = p->deadline;
	c->transcript = p->transcript;
	c->record = true;
	c->max_line = p->max_line ? p->max_line : CONN_DEFAULT_MAX_LINE;
	c->cap = c->max_line + 2 > READ_BLOCK ? c->max_line + 2 + READ_BLOCK : 2 * READ_BLOCK;
	c->buf = malloc(c->cap + 1);
	if (c->buf == NULL) {
		fail_set(f, FAIL_INTERNAL, "out of memory");
		free(c);
		return NULL;
	}
	if (addrs == NULL || addrs->n == 0) {
		fail_set(f, FAIL_INTERNAL, "no address to connect to");
		goto fail;
	}
	for (size_t i = 0; i < addrs->n && c->fd < 0; i++) {
		const struct sockaddr *sa = (const struct sockaddr *)&addrs->addr[i];
		/* An equal share of what is left; the last address gets the
		 * rest to the deadline itself (a share in whole milliseconds
		 * would end up to 1 ms before it). */
		int64_t share = i + 1 == addrs->n
					? -1
					: deadline_left_ms(p->deadline) / (int64_t)(addrs->n - i);
		char who[ADDR_TEXT_MAX], why[128];

		if (deadline_expired(p->deadline))
			break;
		addr_format(sa, true, who, sizeof(who));
		c->fd = connect_one(sa, addrs->len[i], p->deadline, share, why, sizeof(why));
		if (c->fd >= 0) {
			snprintf(c->peer, sizeof(c->peer), "%s", who);
			break;
		}
		if (used < sizeof(tried))
			used += (size_t)snprintf(tried + used, sizeof(tried) - used, "%s%s: %s",
						 used ? "; " : "", who, why);
	}
	if (c->fd < 0) {
		if (deadline_expired(p->deadline))
			fail_set(f, FAIL_TIMEOUT, "timed out connecting (%s)",
				 tried[0] ? tried : "no address tried");
		else
			fail_set(f, FAIL_CONN, "cannot connect: %s", tried);
		goto fail;
	}
	transcript_restart(c->transcript);
	transcript_note(c->transcript, "connected to %s", c->peer);
	/* Implicit TLS: nothing is dropped first.  A server that greets in
	 * plaintext (a wrong port or option) must be seen doing it, however
	 * fast its greeting came: the handshake reads it and says so. */
	if (p->tls != NULL && handshake(c, p->tls, tinfo, f) < 0)
		goto fail;
	return c;
fail:
	conn_close(c);
	return NULL;
}

/* Looks the host up for conn_open; the list the caller frees, or NULL
 * with f set. */
static struct addr_list *open_addrs(const struct conn_params *p, struct fail *f)
{
	struct addr_list *l = NULL;

	if (p->addrs == NULL) {
		if (p->resolver == NULL || p->host == NULL) {
			fail_set(f, FAIL_INTERNAL, "no host to connect to");
			return NULL;
		}
		if (resolve_host(p->resolver, p->host, p->family, p->port, &l, f) != RESOLVE_OK) {
			if (f->cls != FAIL_TIMEOUT && f->cls != FAIL_INTERNAL)
				f->cls = FAIL_DNS;
			return NULL;
		}
		return l;
	}
	l = addr_list_new(p->addrs->n);
	for (size_t i = 0; l != NULL && i < p->addrs->n; i++) {
		int fam = p->addrs->addr[i].ss_family;

		if (p->family != AF_UNSPEC && fam != p->family)
			continue;
		if (addr_list_add(l, (const struct sockaddr *)&p->addrs->addr[i], p->addrs->len[i]) < 0)
			break;
		if (p->port > 0)
			addr_set_port(&l->addr[l->n - 1], p->port);
	}
	if (l == NULL)
		fail_set(f, FAIL_INTERNAL, "out of memory");
	else if (l->n == 0)
		fail_set(f, FAIL_DNS, "%s: no %s address", p->host ? p->host : "the host",
			 p->family == AF_INET ? "IPv4" : "IPv6");
	if (l != NULL && l->n == 0) {
		addr_list_free(l);
		l = NULL;
	}
	return l;
}

struct conn *conn_open(const struct conn_params *p, struct conn_stages *stages,
		       struct tls_info *tinfo, struct fail *f)
{
	struct conn_stages scratch;
	struct conn_params plain = *p;
	struct addr_list *addrs;
	struct conn *c;
	int64_t t0 = mono_now_ns(), t1;

	if (stages == NULL)
		stages = &scratch;
	*stages = (struct conn_stages){ NAN, NAN, NAN };
	addrs = open_addrs(p, f);
	if (addrs == NULL)
		return NULL;
	stages->resolve_s = p->addrs != NULL ? 0 : mono_since_s(t0);
	plain.tls = NULL;
	c = conn_connect(addrs, &plain, NULL, f);
	addr_list_free(addrs);
	if (c == NULL)
		return NULL;
	stages->connect_s = mono_since_s(t0);
	if (p->tls == NULL)
		return c;
	t1 = mono_now_ns();
	if (handshake(c, p->tls, tinfo, f) < 0) { /* implicit TLS: nothing dropped */
		conn_close(c);
		return NULL;
	}
	stages->tls_s = mono_since_s(t1);
	return c;
}

const char *conn_peer(const struct conn *c)
{
	return c->peer;
}

bool conn_is_tls(const struct conn *c)
{
	return c->tls != NULL;
}

size_t conn_injected(const struct conn *c)
{
	return c->injected;
}

void conn_record(struct conn *c, bool on)
{
	c->record = on;
}

/* ---- reading ------------------------------------------------------------ */

/* Reads one block into the buffer: > 0 bytes, 0 at EOF, -1 with f set. */
static long fill(struct conn *c, struct fail *f)
{
	size_t room = c->cap - c->end;

	if (c->tls != NULL)
		return tls_read(c->tls, c->buf + c->end, room, c->deadline, f);
	for (;;) {
		ssize_t n;
		int r;

		/* Also while data keeps coming: a server that streams without
		 * pause must not hold the run past its deadline (a poll after
		 * the deadline still says "ready" when data waits). */
		if (deadline_expired(c->deadline)) {
			fail_set(f, FAIL_TIMEOUT, "timed out waiting for the server");
			return -1;
		}
		n = recv(c->fd, c->buf + c->end, room, 0);
		if (n >= 0)
			return (long)n;
		if (errno == EINTR)
			continue;
		if (errno == ECONNRESET) {
			fail_set(f, FAIL_CONN, "connection reset by the server");
			return -1;
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			fail_set(f, FAIL_CONN, "read failed: %s", strerror(errno));
			return -1;
		}
		r = deadline_wait_fd(c->deadline, c->fd, POLLIN, -1);
		if (r == 0) {
			fail_set(f, FAIL_TIMEOUT, "timed out waiting for the server");
			return -1;
		}
		if (r < 0) {
			fail_set(f, FAIL_CONN, "poll failed: %s", strerror(errno));
			return -1;
		}
	}
}

int conn_readline(struct conn *c, char **line, size_t *len, struct fail *f)
{
	for (;;) {
		char *nl = memchr(c->buf + c->start, '\n', c->end - c->start);
		long n;

		if (nl != NULL) {
			size_t l = (size_t)(nl - (c->buf + c->start));

			if (l > 0 && nl[-1] == '\r')
				l--;
			if (l > c->max_line)
				goto too_long;
			*line = c->buf + c->start;
			(*line)[l] = '\0';
			*len = l;
			c->start = (size_t)(nl - c->buf) + 1;
			if (c->record)
				transcript_line(c->transcript, 'S', *line, l);
			return 0;
		}
		/* No line end yet: a line already longer than allowed (plus a
		 * possible '\r') will never be acceptable; nor will one byte
		 * over the bound that is not that '\r'. */
		if (c->end - c->start > c->max_line + 1 ||
		    (c->end - c->start == c->max_line + 1 && c->buf[c->end - 1] != '\r'))
			goto too_long;
		if (c->start > 0 && c->cap - c->end < READ_BLOCK / 2) {
			memmove(c->buf, c->buf + c->start, c->end - c->start);
			c->end -= c->start;
			c->start = 0;
		}
		n = fill(c, f);
		if (n < 0)
			return -1;
		if (n == 0) {
			if (c->end > c->start)
				fail_set(f, FAIL_CONN,
					 "connection closed by the server in the middle of a line");
			else
				fail_set(f, FAIL_CONN, "connection closed by the server");
			return -1;
		}
		c->end += (size_t)n;
	}
too_long:
	fail_set(f, FAIL_PROTO, "the server sent a line longer than %zu bytes", c->max_line);
	return -1;
}

int conn_read_response(struct conn *c,
		       int (*on_line)(void *ctx, const char *line, size_t len, struct fail *f),
		       void *ctx, struct fail *f)
{
	for (;;) {
		char *line;
		size_t len;
		int r;

		if (conn_readline(c, &line, &len, f) < 0)
			return -1;
		r = on_line(ctx, line, len, f);
		if (r != 0)
			return r > 0 ? 0 : -1;
	}
}

/* ---- writing ------------------------------------------------------------ */

int conn_write(struct conn *c, const void *buf, size_t len, struct fail *f)
{
	const char *p = buf;

	if (c->tls != NULL)
		return tls_write(c->tls, buf, len, c->deadline, f);
	while (len > 0) {
		ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);
		int r;

		if (n >= 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			fail_set(f, FAIL_CONN, "%s",
				 errno == EPIPE || errno == ECONNRESET
					 ? "connection closed by the server while sending"
					 : strerror(errno));
			return -1;
		}
		if (deadline_expired(c->deadline))
			r = 0;
		else
			r = deadline_wait_fd(c->deadline, c->fd, POLLOUT, -1);
		if (r == 0) {
			fail_set(f, FAIL_TIMEOUT, "timed out sending to the server");
			return -1;
		}
		if (r < 0) {
			fail_set(f, FAIL_CONN, "poll failed: %s", strerror(errno));
			return -1;
		}
	}
	return 0;
}

int conn_send_lines(struct conn *c, const char *const *lines, const char *const *shown,
		    size_t n, struct fail *f)
{
	char small[1024] = "", *out; /* "": gcc cannot see that every byte sent is set */
	size_t total = 0, at = 0;
	int rc;

	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(lines[i]);

		/* A line end inside would smuggle a second command (CRLF
		 * injection). */
		if (memchr(lines[i], '\r', l) != NULL || memchr(lines[i], '\n', l) != NULL) {
			fail_set(f, FAIL_INTERNAL, "refusing to send a line that holds CR or LF");
			return -1;
		}
		total += l + 2;
	}
	out = total <= sizeof(small) ? small : malloc(total);
	if (out == NULL) {
		fail_set(f, FAIL_INTERNAL, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(lines[i]);
		const char *show = shown != NULL && shown[i] != NULL ? shown[i] : lines[i];

		memcpy(out + at, lines[i], l);
		memcpy(out + at + l, "\r\n", 2);
		at += l + 2;
		transcript_line(c->transcript, 'C', show, strlen(show));
	}
	rc = conn_write(c, out, total, f);
	OPENSSL_cleanse(out, total);
	if (out != small)
		free(out);
	return rc;
}

int conn_send_line(struct conn *c, const char *line, const char *shown, struct fail *f)
{
	return conn_send_lines(c, &line, &shown, 1, f);
}

/* ---- TLS ---------------------------------------------------------------- */

/* The TLS handshake on c's socket, noted in the transcript. */
static int handshake(struct conn *c, const struct tls_params *tp, struct tls_info *tinfo,
		     struct fail *f)
{
	struct tls_info scratch;
	int64_t t0 = mono_now_ns();

	c->tls = tls_handshake(c->fd, tp, c->deadline, tinfo ? tinfo : &scratch, f);
	if (c->tls == NULL)
		return -1;
	transcript_note(c->transcript, "TLS handshake: %s, %s (%.1f ms)",
			(tinfo ? tinfo : &scratch)->version, (tinfo ? tinfo : &scratch)->cipher,
			mono_since_s(t0) * 1000);
	return 0;
}

int conn_starttls(struct conn *c, const struct tls_params *tp, struct tls_info *tinfo,
		  struct fail *f)
{
	if (c->tls != NULL) {
		fail_set(f, FAIL_INTERNAL, "the connection already uses TLS");
		return -1;
	}
	/* Whatever the server sent after its go-ahead is plaintext it should
	 * not have sent (RFC 3207 section 5): drop what was read already and
	 * what is waiting in the socket. */
	c->injected = c->end - c->start;
	c->start = c->end = 0;
	/* Bounded: a server streaming plaintext cannot keep us here. */
	for (int i = 0; i < 64 && !deadline_expired(c->deadline); i++) {
		ssize_t n = recv(c->fd, c->buf, c->cap, MSG_DONTWAIT);

		if (n <= 0)
			break;
		c->injected += (size_t)n;
	}
	if (c->injected > 0)
		transcript_note(c->transcript,
				"discarded %zu bytes of plaintext sent before the TLS handshake",
				c->injected);
	return handshake(c, tp, tinfo, f);
}

void conn_set_deadline(struct conn *c, const struct deadline *d)
{
	c->deadline = d;
}

void conn_close(struct conn *c)
{
	if (c == NULL)
		return;
	tls_free(c->tls);
	if (c->fd >= 0)
		close(c->fd);
	free(c->buf);
	free(c);
}
