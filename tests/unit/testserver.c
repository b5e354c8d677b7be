/* testserver: scripted loopback servers and test certificates. */
#include "testserver.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "deadline.h"
#include "suites.h"

#define REPORT_MAX 65536  /* bytes of received lines kept */
#define LINE_MAX_TS 8192  /* longest line the server reads */

struct testserver {
	pid_t pid;
	int report;                /* read end of the child's report pipe */
	bool report_eof;
	struct sockaddr_storage ss;
	socklen_t sslen;
	struct addr_list list;
	char got[REPORT_MAX + 1];
	size_t got_len;
};

struct ts_certs ts_certs;

/* ---- the child ---------------------------------------------------------- */

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int child_write(int fd, SSL *ssl, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n;

		if (ssl != NULL) {
			size_t put = 0;

			if (SSL_write_ex(ssl, p, len, &put) != 1)
				return -1;
			n = (ssize_t)put;
		} else {
			n = send(fd, p, len, MSG_NOSIGNAL);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* One byte per read on purpose: the server must not swallow what follows
 * the line (after STARTTLS, the client's ClientHello). */
static int child_read_byte(int fd, SSL *ssl, char *c)
{
	for (;;) {
		ssize_t n;

		if (ssl != NULL) {
			size_t got = 0;

			return SSL_read_ex(ssl, c, 1, &got) == 1 && got == 1 ? 1 : 0;
		}
		n = recv(fd, c, 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		return n == 1 ? 1 : 0;
	}
}

static SSL *child_tls(int fd, const struct ts_step *s, SSL_CTX **ctx)
{
	SSL *ssl;

	*ctx = SSL_CTX_new(TLS_server_method());
	if (*ctx == NULL)
		return NULL;
	if (s->n == 12)
		SSL_CTX_set_max_proto_version(*ctx, TLS1_2_VERSION);
	if (SSL_CTX_use_certificate_file(*ctx, s->data, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_use_PrivateKey_file(*ctx, ts_certs.key, SSL_FILETYPE_PEM) != 1)
		return NULL;
	ssl = SSL_new(*ctx);
	if (ssl == NULL)
		return NULL;
	if (SSL_set_fd(ssl, fd) != 1 || SSL_accept(ssl) != 1) {
		SSL_free(ssl);
		return NULL;
	}
	return ssl;
}

static void child_run(int lfd, int report, const struct ts_step *steps)
{
	SSL_CTX *ctx = NULL;
	SSL *ssl = NULL;
	long maxfd = sysconf(_SC_OPEN_MAX);
	int fd;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	signal(SIGALRM, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
	alarm(TS_MAX_LIFE_S);
	/* Hold no other sockets of the test (they would keep connections
	 * open after the test closes them). */
	if (maxfd < 0 || maxfd > 1024)
		maxfd = 1024;
	for (int i = 3; i < maxfd; i++)
		if (i != lfd && i != report)
			close(i);

	do
		fd = accept(lfd, NULL, NULL);
	while (fd < 0 && errno == EINTR);
	close(lfd);
	if (fd < 0)
		_exit(1);
	/* What a step sends goes out as it is sent, not held back for the
	 * ACK of what went before (Nagle): a test that waits for a later step
	 * finds the bytes of the earlier ones in its socket. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int));
	for (const struct ts_step *s = steps; s->op != TS_OP_END && fd >= 0; s++) {
		switch (s->op) {
		case TS_OP_SEND: {
			size_t len = s->len ? s->len : strlen(s->data);
			size_t piece = s->n ? s->n : len;

			for (size_t off = 0; off < len; off += piece) {
				size_t k = len - off < piece ? len - off : piece;

				if (off > 0 && s->ms > 0)
					sleep_ms(s->ms);
				if (child_write(fd, ssl, s->data + off, k) < 0)
					break;
			}
			break;
		}
		case TS_OP_SLEEP:
			sleep_ms(s->ms);
			break;
		case TS_OP_READLINE: {
			char line[LINE_MAX_TS];
			size_t n = 0;

			while (n < sizeof(line) && child_read_byte(fd, ssl, &line[n]) == 1)
				if (line[n++] == '\n')
					break;
			if (n > 0 && write(report, line, n) < 0)
				_exit(1);
			break;
		}
		case TS_OP_CLOSE:
			if (ssl != NULL && s->n != 1)
				SSL_shutdown(ssl);
			shutdown(fd, SHUT_WR);
			break;
		case TS_OP_RESET: {
			struct linger lg = { 1, 0 };

			setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
			close(fd);
			fd = -1;
			break;
		}
		case TS_OP_TLS:
			ssl = child_tls(fd, s, &ctx);
			if (ssl == NULL) {
				close(fd);
				fd = -1;
			}
			break;
		case TS_OP_SNI: {
			const char *sni = ssl ? SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name)
					      : NULL;
			char line[300];
			int n = snprintf(line, sizeof(line), "SNI %.256s\n", sni ? sni : "-");

			if (write(report, line, (size_t)n) < 0)
				_exit(1);
			break;
		}
		case TS_OP_STREAM: {
			size_t len = s->len ? s->len : strlen(s->data);
			int64_t end = mono_now_ns() + (int64_t)s->ms * 1000000;

			while (mono_now_ns() < end && child_write(fd, ssl, s->data, len) == 0)
				;
			break;
		}
		default:
			break;
		}
	}
	close(report);
	/* Read what the client still sends until it closes, so our close
	 * is a FIN and not a reset for unread data (bounded by alarm). */
	if (fd >= 0) {
		char sink[4096];

		while (recv(fd, sink, sizeof(sink), 0) > 0)
			;
		close(fd);
	}
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	_exit(0);
}

/* ---- the test's side ---------------------------------------------------- */

static void loopback(int family, struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_addr = in6addr_loopback;
		*len = sizeof(*in6);
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;

		in->sin_family = AF_INET;
		in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		*len = sizeof(*in);
	}
}

static int port_of(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

struct testserver *ts_start(int family, const struct ts_step *steps)
{
	struct testserver *ts = calloc(1, sizeof(*ts));
	int lfd, pfd[2];

	ck_assert_ptr_nonnull(ts);
	loopback(family, &ts->ss, &ts->sslen);
	lfd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&ts->ss, ts->sslen) < 0) {
		ck_assert_msg(family == AF_INET6, "cannot bind 127.0.0.1: %s", strerror(errno));
		if (lfd >= 0)
			close(lfd);
		free(ts);
		return NULL;
	}
	ck_assert_int_eq(listen(lfd, 8), 0);
	ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&ts->ss, &ts->sslen), 0);
	ck_assert_int_eq(pipe(pfd), 0);
	ts->list = (struct addr_list){ .n = 1, .cap = 1, .addr = &ts->ss, .len = &ts->sslen };
	fflush(NULL);
	ts->pid = fork();
	/* The child first: under CK_FORK=no it shares Check's message file
	 * with the test, and any ck_assert it ran (even one that holds) would
	 * write into the test's messages ("Bad message type"). */
	if (ts->pid == 0) {
		close(pfd[0]);
		child_run(lfd, pfd[1], steps);
	}
	ck_assert_int_ge(ts->pid, 0);
	close(lfd);
	close(pfd[1]);
	ts->report = pfd[0];
	return ts;
}

int ts_port(const struct testserver *ts)
{
	return port_of(&ts->ss);
}

const struct addr_list *ts_addrs(const struct testserver *ts)
{
	return &ts->list;
}

static size_t count_lines(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += s[i] == '\n';
	return n;
}

const char *ts_received(struct testserver *ts, size_t lines)
{
	int64_t end = mono_now_ns() + (int64_t)TS_RECEIVED_WAIT_MS * 1000000;

	while (!ts->report_eof && count_lines(ts->got, ts->got_len) < lines &&
	       ts->got_len < REPORT_MAX) {
		struct pollfd p = { .fd = ts->report, .events = POLLIN };
		int64_t left = end - mono_now_ns();
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)(left / 1000000) + 1) <= 0)
			break;
		n = read(ts->report, ts->got + ts->got_len, REPORT_MAX - ts->got_len);
		if (n <= 0)
			ts->report_eof = true;
		else
			ts->got_len += (size_t)n;
	}
	ts->got[ts->got_len] = '\0';
	return ts->got;
}

void ts_stop(struct testserver *ts)
{
	if (ts == NULL)
		return;
	if (ts->pid > 0) {
		kill(ts->pid, SIGKILL);
		while (waitpid(ts->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	close(ts->report);
	free(ts);
}

void ts_refused_addr(int family, struct sockaddr_storage *ss, socklen_t *len)
{
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	loopback(family, ss, len);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)ss, *len), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)ss, len), 0);
	close(fd); /* bound, never listened: the port refuses */
}

/* ---- certificates ------------------------------------------------------- */

static void add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	ext = X509V3_EXT_nconf_nid(NULL, &ctx, nid, value);
	ck_assert_msg(ext != NULL, "extension %s", value);
	ck_assert_int_eq(X509_add_ext(cert, ext, -1), 1);
	X509_EXTENSION_free(ext);
}

/* A certificate for key, valid from now + from_s to now + to_s, signed by
 * ca_key (self-signed when ca is NULL). */
static X509 *make_cert(EVP_PKEY *key, X509 *ca, EVP_PKEY *ca_key, long serial,
		       const char *cn, const char *san, long from_s, long to_s)
{
	X509 *x = X509_new();
	X509_NAME *name;

	ck_assert_ptr_nonnull(x);
	ck_assert_int_eq(X509_set_version(x, 2), 1);
	ck_assert_int_eq(ASN1_INTEGER_set(X509_get_serialNumber(x), serial), 1);
	name = X509_get_subject_name(x);
	ck_assert_int_eq(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
						    (const unsigned char *)cn, -1, -1, 0), 1);
	ck_assert_int_eq(X509_set_issuer_name(x, ca ? X509_get_subject_name(ca) : name), 1);
	ck_assert_ptr_nonnull(X509_gmtime_adj(X509_getm_notBefore(x), from_s));
	ck_assert_ptr_nonnull(X509_gmtime_adj(X509_getm_notAfter(x), to_s));
	ck_assert_int_eq(X509_set_pubkey(x, key), 1);
	if (ca == NULL) {
		add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign");
		add_ext(x, x, NID_subject_key_identifier, "hash");
	} else {
		add_ext(x, ca, NID_basic_constraints, "CA:FALSE");
		add_ext(x, ca, NID_ext_key_usage, "serverAuth");
		add_ext(x, ca, NID_subject_key_identifier, "hash");
		add_ext(x, ca, NID_authority_key_identifier, "keyid");
		add_ext(x, ca, NID_subject_alt_name, san);
	}
	ck_assert_int_gt(X509_sign(x, ca_key, EVP_sha256()), 0);
	return x;
}

static void write_cert(const char *path, X509 *x)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(PEM_write_X509(f, x), 1);
	ck_assert_int_eq(fclose(f), 0);
}

void ts_certs_make(void)
{
	static const char server_san[] = "DNS:localhost,IP:127.0.0.1,IP:::1";
	const long day = 86400;
	struct ts_certs *c = &ts_certs;
	EVP_PKEY *ca_key, *key;
	X509 *ca, *x;
	FILE *f;

	if (c->made)
		return;
	snprintf(c->dir, sizeof(c->dir), "/tmp/netcheck-unit-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(c->dir));
	snprintf(c->ca, sizeof(c->ca), "%.63s/ca.pem", c->dir);
	snprintf(c->key, sizeof(c->key), "%.63s/key.pem", c->dir);
	snprintf(c->good, sizeof(c->good), "%.63s/good.pem", c->dir);
	snprintf(c->expired, sizeof(c->expired), "%.63s/expired.pem", c->dir);
	snprintf(c->soon, sizeof(c->soon), "%.63s/soon.pem", c->dir);
	snprintf(c->wrong, sizeof(c->wrong), "%.63s/wrong.pem", c->dir);

	ca_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	ck_assert(ca_key != NULL && key != NULL);
	ca = make_cert(ca_key, NULL, ca_key, 1, "netcheck test CA", NULL, -day, 365 * day);
	write_cert(c->ca, ca);

	f = fopen(c->key, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL), 1);
	ck_assert_int_eq(fclose(f), 0);

	x = make_cert(key, ca, ca_key, 2, "localhost", server_san, -day, 90 * day);
	write_cert(c->good, x);
	X509_free(x);
	x = make_cert(key, ca, ca_key, 3, "localhost", server_san, -30 * day, -day);
	write_cert(c->expired, x);
	X509_free(x);
	x = make_cert(key, ca, ca_key, 4, "localhost", server_san, -day, 5 * day);
	write_cert(c->soon, x);
	X509_free(x);
	x = make_cert(key, ca, ca_key, 5, "wrong.example.test",
		      "DNS:wrong.example.test,DNS:" TS_LONG_NAME, -day, 90 * day);
	write_cert(c->wrong, x);
	X509_free(x);

	X509_free(ca);
	EVP_PKEY_free(key);
	EVP_PKEY_free(ca_key);
	c->made = true;
}

void ts_certs_remove(void)
{
	struct ts_certs *c = &ts_certs;
	const char *files[] = { c->ca, c->key, c->good, c->expired, c->soon, c->wrong };

	if (!c->made)
		return;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		unlink(files[i]);
	rmdir(c->dir);
	memset(c, 0, sizeof(*c));
}
