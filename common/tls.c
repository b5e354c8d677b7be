#include "tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr.h"
#include "range.h"

#define CA_FILE_MAX (4 * 1024 * 1024) /* largest --ca-file read */

struct tls {
	SSL_CTX *ctx;
	SSL *ssl;
	int fd;
};

/* ---- a socket BIO that never raises SIGPIPE ------------------------------ */

/* OpenSSL's socket BIO writes with write(2), which raises SIGPIPE when the
 * peer has gone; this one sends with MSG_NOSIGNAL, so no plugin needs to
 * touch the process's signal handling. */
static int bio_write(BIO *b, const char *buf, int len)
{
	int fd = (int)(intptr_t)BIO_get_data(b);
	ssize_t n = send(fd, buf, (size_t)len, MSG_NOSIGNAL);

	BIO_clear_retry_flags(b);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		BIO_set_retry_write(b);
	return (int)n;
}

static int bio_read(BIO *b, char *buf, int len)
{
	int fd = (int)(intptr_t)BIO_get_data(b);
	ssize_t n = recv(fd, buf, (size_t)len, 0);

	BIO_clear_retry_flags(b);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		BIO_set_retry_read(b);
	return (int)n;
}

static int bio_puts(BIO *b, const char *s)
{
	return bio_write(b, s, (int)strlen(s));
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void)num;
	switch (cmd) {
	case BIO_CTRL_FLUSH:
		return 1;
	case BIO_C_GET_FD:
		if (ptr != NULL)
			*(int *)ptr = (int)(intptr_t)BIO_get_data(b);
		return (long)(intptr_t)BIO_get_data(b);
	default:
		return 0;
	}
}

static int bio_create(BIO *b)
{
	BIO_set_data(b, (void *)(intptr_t)-1);
	return 1;
}

/* A BIO on fd (which it does not close); NULL when out of memory. */
static BIO *nosigpipe_bio(int fd)
{
	static BIO_METHOD *method;
	BIO *b;

	if (method == NULL) {
		method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK |
				      BIO_TYPE_DESCRIPTOR, "netcheck socket");
		if (method == NULL || !BIO_meth_set_write(method, bio_write) ||
		    !BIO_meth_set_read(method, bio_read) || !BIO_meth_set_puts(method, bio_puts) ||
		    !BIO_meth_set_ctrl(method, bio_ctrl) || !BIO_meth_set_create(method, bio_create)) {
			BIO_meth_free(method);
			method = NULL;
			return NULL;
		}
	}
	b = BIO_new(method);
	if (b != NULL) {
		BIO_set_data(b, (void *)(intptr_t)fd);
		BIO_set_init(b, 1);
	}
	return b;
}

/* The last OpenSSL error as text, or `otherwise`. */
static const char *ssl_error_text(char *buf, size_t len, const char *otherwise)
{
	unsigned long e = ERR_peek_last_error();

	if (e == 0)
		return otherwise;
	ERR_error_string_n(e, buf, len);
	ERR_clear_error();
	return buf;
}

/* Waits for what OpenSSL asked for; 0, or -1 with f set. */
static int wait_io(struct tls *t, int ssl_err, const struct deadline *d, struct fail *f,
		   const char *doing)
{
	int n = deadline_wait_fd(d, t->fd, ssl_err == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN, -1);

	if (n > 0)
		return 0;
	if (n == 0)
		fail_set(f, FAIL_TIMEOUT, "timed out %s", doing);
	else
		fail_set(f, FAIL_CONN, "poll failed %s: %s", doing, strerror(errno));
	return -1;
}

/* Reads the CA file ourselves: open(2) of a FIFO would block until a
 * writer came, past any deadline, and OpenSSL would open it so.  Only a
 * regular file of at most CA_FILE_MAX bytes is taken. */
static int load_ca_file(SSL_CTX *ctx, const char *path, struct fail *f)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	int added = 0;

	if (fd < 0) {
		fail_set(f, FAIL_INTERNAL, "cannot read CA file '%s': %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > CA_FILE_MAX) {
		const char *why = "larger than 4 MB";

		if (fstat(fd, &st) < 0)
			why = strerror(errno);
		else if (!S_ISREG(st.st_mode))
			why = "not a regular file";
		fail_set(f, FAIL_INTERNAL, "cannot read CA file '%s': %s", path, why);
		close(fd);
		return -1;
	}
	buf = malloc((size_t)st.st_size + 1);
	while (buf != NULL && got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (buf != NULL) {
		BIO *mem = BIO_new_mem_buf(buf, (int)got);
		STACK_OF(X509_INFO) *infos = mem ? PEM_X509_INFO_read_bio(mem, NULL, NULL, NULL) : NULL;
		X509_STORE *store = SSL_CTX_get_cert_store(ctx);

		for (int i = 0; infos != NULL && i < sk_X509_INFO_num(infos); i++) {
			X509_INFO *xi = sk_X509_INFO_value(infos, i);

			if (xi->x509 != NULL && X509_STORE_add_cert(store, xi->x509) == 1)
				added++;
		}
		sk_X509_INFO_pop_free(infos, X509_INFO_free);
		BIO_free(mem);
		free(buf);
	}
	ERR_clear_error();
	if (added == 0) {
		fail_set(f, FAIL_INTERNAL, "cannot read CA file '%s': no certificates in it", path);
		return -1;
	}
	return 0;
}

/* Whether an OpenSSL error says the peer sent no TLS record at all: what
 * a plaintext greeting ("+OK", "220 ") looks like to a TLS client. */
static bool not_tls(unsigned long e)
{
	int reason = ERR_GET_REASON(e);

	return ERR_GET_LIB(e) == ERR_LIB_SSL &&
	       (reason == SSL_R_WRONG_VERSION_NUMBER || reason == SSL_R_PACKET_LENGTH_TOO_LONG ||
		reason == SSL_R_UNKNOWN_PROTOCOL || reason == SSL_R_HTTP_REQUEST);
}

static SSL_CTX *make_ctx(const struct tls_params *p, struct fail *f)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	char err[256];

	if (ctx == NULL) {
		fail_set(f, FAIL_INTERNAL, "cannot create a TLS context: %s",
			 ssl_error_text(err, sizeof(err), "out of memory"));
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	if (p->ca_file != NULL) {
		if (load_ca_file(ctx, p->ca_file, f) < 0) {
			SSL_CTX_free(ctx);
			return NULL;
		}
	} else {
		/* The hashed directory is searched on demand, so a run does not
		 * parse the whole bundle; SSL_CERT_FILE/SSL_CERT_DIR still
		 * work as OpenSSL documents them. */
		const char *dir = getenv(X509_get_default_cert_dir_env());
		const char *file = getenv(X509_get_default_cert_file_env());

		SSL_CTX_load_verify_dir(ctx, dir ? dir : X509_get_default_cert_dir());
		if (file != NULL)
			SSL_CTX_load_verify_file(ctx, file);
		ERR_clear_error();
	}
	return ctx;
}

static void name_text(const X509_NAME *name, char *buf, size_t len)
{
	BIO *b = BIO_new(BIO_s_mem());
	int n;

	buf[0] = '\0';
	if (b == NULL)
		return;
	X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
	n = BIO_read(b, buf, (int)len - 1);
	buf[n > 0 ? n : 0] = '\0';
	BIO_free(b);
}

static void sans_text(X509 *cert, char *buf, size_t len)
{
	GENERAL_NAMES *names = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; names != NULL && i < sk_GENERAL_NAME_num(names); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
		char one[4 + 200 + 1] = ""; /* "DNS:" and up to 200 bytes of name */

		if (g->type == GEN_DNS) {
			const unsigned char *s = ASN1_STRING_get0_data(g->d.dNSName);

			snprintf(one, sizeof(one), "DNS:%.*s",
				 ASN1_STRING_length(g->d.dNSName) > 200 ? 200 :
				 ASN1_STRING_length(g->d.dNSName), (const char *)s);
		} else if (g->type == GEN_IPADD) {
			char ip[INET6_ADDRSTRLEN];
			int l = ASN1_STRING_length(g->d.iPAddress);
			const unsigned char *a = ASN1_STRING_get0_data(g->d.iPAddress);

			if ((l == 4 && inet_ntop(AF_INET, a, ip, sizeof(ip))) ||
			    (l == 16 && inet_ntop(AF_INET6, a, ip, sizeof(ip))))
				snprintf(one, sizeof(one), "IP:%s", ip);
		}
		if (one[0] != '\0' && used < len)
			used += (size_t)snprintf(buf + used, len - used, "%s%s",
						 used ? ", " : "", one);
	}
	GENERAL_NAMES_free(names);
}

static time_t asn1_time(const ASN1_TIME *t)
{
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return timegm(&tm);
}

static void fill_info(SSL *ssl, struct tls_info *info)
{
	X509 *cert = SSL_get1_peer_certificate(ssl);
	long v = SSL_get_verify_result(ssl);

	memset(info, 0, sizeof(*info));
	snprintf(info->version, sizeof(info->version), "%s", SSL_get_version(ssl));
	snprintf(info->cipher, sizeof(info->cipher), "%s", SSL_get_cipher_name(ssl));
	if (cert == NULL) {
		snprintf(info->verify_error, sizeof(info->verify_error),
			 "the server sent no certificate");
		return;
	}
	info->has_cert = true;
	name_text(X509_get_subject_name(cert), info->subject, sizeof(info->subject));
	name_text(X509_get_issuer_name(cert), info->issuer, sizeof(info->issuer));
	sans_text(cert, info->sans, sizeof(info->sans));
	info->not_before = asn1_time(X509_get0_notBefore(cert));
	info->not_after = asn1_time(X509_get0_notAfter(cert));
	/* Calendar dates: wall time is the right clock here. */
	info->days_left = difftime(info->not_after, time(NULL)) / 86400.0;
	info->verified = v == X509_V_OK;
	if (!info->verified)
		snprintf(info->verify_error, sizeof(info->verify_error), "%s",
			 X509_verify_cert_error_string(v));
	X509_free(cert);
}

struct tls *tls_handshake(int fd, const struct tls_params *p, const struct deadline *d,
			  struct tls_info *info, struct fail *f)
{
	struct tls *t = calloc(1, sizeof(*t));
	char err[256];
	BIO *bio;

	memset(info, 0, sizeof(*info));
	if (t == NULL) {
		fail_set(f, FAIL_INTERNAL, "out of memory");
		return NULL;
	}
	t->fd = fd;
	t->ctx = make_ctx(p, f);
	if (t->ctx == NULL)
		goto fail;
	t->ssl = SSL_new(t->ctx);
	bio = t->ssl != NULL ? nosigpipe_bio(fd) : NULL;
	if (bio == NULL) {
		fail_set(f, FAIL_INTERNAL, "cannot start TLS: %s",
			 ssl_error_text(err, sizeof(err), "out of memory"));
		goto fail;
	}
	SSL_set_bio(t->ssl, bio, bio);
	SSL_set_verify(t->ssl, SSL_VERIFY_NONE, NULL); /* judged below, with facts */
	if (p->host != NULL && addr_is_literal(p->host)) {
		X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(t->ssl), p->host);
	} else if (p->host != NULL) {
		/* "mail.example.com." is fully qualified; SNI and the name in
		 * the certificate never carry the final dot. */
		char name[256];
		size_t n = strlen(p->host);

		snprintf(name, sizeof(name), "%.*s", (int)(n > 1 && p->host[n - 1] == '.' ? n - 1 : n),
			 p->host);
		SSL_set_tlsext_host_name(t->ssl, name);
		SSL_set1_host(t->ssl, name);
	}
	for (;;) {
		int rc = SSL_connect(t->ssl), e;

		if (rc == 1)
			break;
		e = SSL_get_error(t->ssl, rc);
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
			if (wait_io(t, e, d, f, "in the TLS handshake") < 0)
				goto fail;
			continue;
		}
		if (e == SSL_ERROR_SYSCALL && errno == ECONNRESET)
			fail_set(f, FAIL_TLS, "TLS handshake failed: connection reset by the server");
		else if (e == SSL_ERROR_SYSCALL || e == SSL_ERROR_ZERO_RETURN)
			fail_set(f, FAIL_TLS,
				 "TLS handshake failed: the server closed the connection");
		else if ((info->plaintext = not_tls(ERR_peek_last_error())))
			fail_set(f, FAIL_TLS, "TLS handshake failed: the server answered with "
				 "plaintext, not TLS (%s)", ssl_error_text(err, sizeof(err), "?"));
		else
			fail_set(f, FAIL_TLS, "TLS handshake failed: %s",
				 ssl_error_text(err, sizeof(err), "unknown error"));
		goto fail;
	}
	fill_info(t->ssl, info);
	if (!info->verified && !p->insecure) {
		fail_set(f, FAIL_TLS, "certificate verification failed: %s (%s%s%s)",
			 info->verify_error, info->subject[0] ? info->subject : "no subject",
			 info->sans[0] ? "; " : "", info->sans);
		goto fail;
	}
	return t;
fail:
	if (t->ssl != NULL)
		SSL_free(t->ssl);
	SSL_CTX_free(t->ctx);
	free(t);
	return NULL;
}

long tls_read(struct tls *t, void *buf, size_t len, const struct deadline *d,
	      struct fail *f)
{
	char err[256];

	for (;;) {
		size_t got = 0;
		int e;

		/* Also while data keeps coming: a server that streams without
		 * pause must not hold the run past its deadline. */
		if (deadline_expired(d)) {
			fail_set(f, FAIL_TIMEOUT, "timed out waiting for the server");
			return -1;
		}
		if (SSL_read_ex(t->ssl, buf, len, &got) == 1)
			return (long)got;
		e = SSL_get_error(t->ssl, 0);
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
			if (wait_io(t, e, d, f, "waiting for the server") < 0)
				return -1;
			continue;
		}
		if (e == SSL_ERROR_ZERO_RETURN)
			return 0;
		if (e == SSL_ERROR_SYSCALL && errno == ECONNRESET)
			fail_set(f, FAIL_CONN, "connection reset by the server");
		else if (e == SSL_ERROR_SYSCALL)
			return 0;
		else
			fail_set(f, FAIL_TLS, "TLS read failed: %s",
				 ssl_error_text(err, sizeof(err), "unknown error"));
		return -1;
	}
}

bool tls_pending(struct tls *t)
{
	return SSL_pending(t->ssl) > 0;
}

int tls_write(struct tls *t, const void *buf, size_t len, const struct deadline *d,
	      struct fail *f)
{
	char err[256];

	while (len > 0) {
		size_t put = 0;
		int e;

		if (SSL_write_ex(t->ssl, buf, len, &put) == 1) {
			buf = (const char *)buf + put;
			len -= put;
			continue;
		}
		e = SSL_get_error(t->ssl, 0);
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
			if (wait_io(t, e, d, f, "sending to the server") < 0)
				return -1;
			continue;
		}
		if (e == SSL_ERROR_SYSCALL && (errno == ECONNRESET || errno == EPIPE))
			fail_set(f, FAIL_CONN, "connection closed by the server while sending");
		else
			fail_set(f, FAIL_TLS, "TLS write failed: %s",
				 ssl_error_text(err, sizeof(err), "unknown error"));
		return -1;
	}
	return 0;
}

void tls_free(struct tls *t)
{
	if (t == NULL)
		return;
	SSL_shutdown(t->ssl); /* one close_notify; we do not wait for the reply */
	SSL_free(t->ssl);
	SSL_CTX_free(t->ctx);
	ERR_clear_error();
	free(t);
}

enum state tls_expiry_state(const struct tls_info *info, double warn_days,
			    double crit_days, char *text, size_t len)
{
	char date[32];
	struct tm tm;
	enum state s = STATE_OK;

	if (!info->has_cert) {
		snprintf(text, len, "no server certificate");
		return STATE_UNKNOWN;
	}
	gmtime_r(&info->not_after, &tm);
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M UTC", &tm);
	/* An expired certificate is CRITICAL whatever the thresholds. */
	if (info->days_left < 0 || (crit_days >= 0 && info->days_left < crit_days))
		s = STATE_CRITICAL;
	else if (warn_days >= 0 && info->days_left < warn_days)
		s = STATE_WARNING;
	/* Tenths of a day, rounded toward zero: 29.96 days left is "29.9
	 * days", so the text never contradicts a 30-day threshold. */
	if (info->days_left < 0)
		snprintf(text, len, "certificate %s expired %s (%.1f days ago)", info->subject,
			 date, floor(-info->days_left * 10 + 1e-9) / 10);
	else if (s == STATE_OK)
		snprintf(text, len, "certificate %s expires %s (%.1f days)", info->subject,
			 date, floor(info->days_left * 10 + 1e-9) / 10);
	else
		snprintf(text, len, "certificate %s expires %s (%.1f days, %s under %g days)",
			 info->subject, date, floor(info->days_left * 10 + 1e-9) / 10,
			 s == STATE_CRITICAL ? "critical" : "warning",
			 s == STATE_CRITICAL ? crit_days : warn_days);
	return s;
}

enum state tls_report(struct result *res, const char *what, const struct tls_info *info,
		      bool up, double warn_days, double crit_days)
{
	enum state s = STATE_OK;
	char text[700];

	if (up)
		result_detail(res, 2, "%s %s, %s", what, info->version, info->cipher);
	if (!info->has_cert)
		return s;
	if (up && !info->verified)
		result_sub(res, STATE_OK, "certificate not verified (--insecure): %s",
			   info->verify_error);
	if (warn_days >= 0 || crit_days >= 0 || info->days_left < 0) {
		s = tls_expiry_state(info, warn_days, crit_days, text, sizeof(text));
		result_sub(res, s, "%s", text);
	}
	result_detail(res, 2, "certificate: subject %s; issuer %s; %s", info->subject,
		      info->issuer, info->sans);
	return s;
}

void tls_perfdata(struct result *res, const struct tls_info *info, double warn_days,
		  double crit_days)
{
	/* "30:": an alert below 30 days ("d" is no perfdata unit: the value is
	 * a plain number of days). */
	struct range w = { .start = warn_days, .end_inf = true };
	struct range c = { .start = crit_days, .end_inf = true };

	result_perf(res, &(struct perf){ "cert_days", info && info->has_cert ? info->days_left : NAN,
					 "", warn_days >= 0 ? &w : NULL,
					 crit_days >= 0 ? &c : NULL, NAN, NAN });
}
