#include "conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define DEFAULT_MAX_LINE 1000
#define READ_BLOCK 16384

struct conn {
	int fd;
	struct tls *tls;
	const struct deadline *deadline;
	struct transcript *transcript;
	bool record;
	size_t max_line;
	char peer[INET6_ADDRSTRLEN + 10];
	size_t injected;
	char *buf;      /* read buffer */
	size_t cap;     /* its size */
	size_t start;   /* first byte not yet returned */
	size_t end;     /* one past the last byte read */
};

/* ---- connect ------------------------------------------------------------ */

/* One non-blocking connect attempt bounded by max_ms; fd, or -1 with why. */
static int connect_one(const struct sockaddr *sa, socklen_t len, const struct deadline *d,
		       int64_t max_ms, char *why, size_t whylen, bool *timed_out)
{
	int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct pollfd p;
	int err = 0, n;
	socklen_t elen = sizeof(err);

	*timed_out = false;
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
	p = (struct pollfd){ .fd = fd, .events = POLLOUT };
	n = deadline_poll(d, &p, 1, max_ms);
	if (n == 0) {
		snprintf(why, whylen, "no answer");
		*timed_out = true;
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
	bool any_timeout = false;

	if (c == NULL) {
		fail_set(f, FAIL_INTERNAL, "out of memory");
		return NULL;
	}
	signal(SIGPIPE, SIG_IGN);
	c->fd = -1;
	c->deadline = p->deadline;
	c->transcript = p->transcript;
	c->record = true;
	c->max_line = p->max_line ? p->max_line : DEFAULT_MAX_LINE;
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
		int64_t share = deadline_left_ms(p->deadline) / (int64_t)(addrs->n - i);
		char who[INET6_ADDRSTRLEN + 10], why[128];
		bool timed_out;

		if (deadline_expired(p->deadline))
			break;
		addr_format(sa, true, who, sizeof(who));
		c->fd = connect_one(sa, addrs->len[i], p->deadline, share, why, sizeof(why),
				    &timed_out);
		if (c->fd >= 0) {
			snprintf(c->peer, sizeof(c->peer), "%s", who);
			break;
		}
		any_timeout |= timed_out;
		if (used < sizeof(tried))
			used += (size_t)snprintf(tried + used, sizeof(tried) - used, "%s%s: %s",
						 used ? "; " : "", who, why);
	}
	if (c->fd < 0) {
		if (deadline_expired(p->deadline) || (any_timeout && addrs->n == 1))
			fail_set(f, FAIL_TIMEOUT, "timed out connecting (%s)",
				 tried[0] ? tried : "no address tried");
		else
			fail_set(f, FAIL_CONN, "cannot connect: %s", tried);
		goto fail;
	}
	transcript_restart(c->transcript);
	transcript_note(c->transcript, "connected to %s", c->peer);
	if (p->tls != NULL && conn_starttls(c, p->tls, tinfo, f) < 0)
		goto fail;
	return c;
fail:
	conn_close(c);
	return NULL;
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
		ssize_t n = recv(c->fd, c->buf + c->end, room, 0);
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		int r;

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
		r = deadline_poll(c->deadline, &p, 1, -1);
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
		struct pollfd pf = { .fd = c->fd, .events = POLLOUT };
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
		r = deadline_poll(c->deadline, &pf, 1, -1);
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

int conn_send_line(struct conn *c, const char *line, const char *shown, struct fail *f)
{
	size_t n = strlen(line);
	char small[1024], *out;
	int rc;

	/* A line end inside would smuggle a second command (CRLF injection). */
	if (memchr(line, '\r', n) != NULL || memchr(line, '\n', n) != NULL) {
		fail_set(f, FAIL_INTERNAL, "refusing to send a line that holds CR or LF");
		return -1;
	}
	out = n + 2 <= sizeof(small) ? small : malloc(n + 2);
	if (out == NULL) {
		fail_set(f, FAIL_INTERNAL, "out of memory");
		return -1;
	}
	memcpy(out, line, n);
	memcpy(out + n, "\r\n", 2);
	transcript_line(c->transcript, 'C', shown ? shown : line, strlen(shown ? shown : line));
	rc = conn_write(c, out, n + 2, f);
	OPENSSL_cleanse(out, n + 2);
	if (out != small)
		free(out);
	return rc;
}

/* ---- TLS ---------------------------------------------------------------- */

int conn_starttls(struct conn *c, const struct tls_params *tp, struct tls_info *tinfo,
		  struct fail *f)
{
	struct tls_info scratch;
	int64_t t0;

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
	t0 = mono_now_ns();
	c->tls = tls_handshake(c->fd, tp, c->deadline, tinfo ? tinfo : &scratch, f);
	if (c->tls == NULL)
		return -1;
	transcript_note(c->transcript, "TLS handshake: %s, %s (%.1f ms)",
			(tinfo ? tinfo : &scratch)->version, (tinfo ? tinfo : &scratch)->cipher,
			(double)(mono_now_ns() - t0) / 1e6);
	return 0;
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
