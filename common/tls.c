#include "tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tls {
	SSL_CTX *ctx;
	SSL *ssl;
	int fd;
};

static bool is_ip_literal(const char *host)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
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
	struct pollfd p = { .fd = t->fd, .events = ssl_err == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN };
	int n = deadline_poll(d, &p, 1, -1);

	if (n > 0)
		return 0;
	if (n == 0)
		fail_set(f, FAIL_TIMEOUT, "timed out %s", doing);
	else
		fail_set(f, FAIL_CONN, "poll failed %s: %s", doing, strerror(errno));
	return -1;
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
		if (SSL_CTX_load_verify_file(ctx, p->ca_file) != 1) {
			fail_set(f, FAIL_INTERNAL, "cannot read CA file '%s': %s", p->ca_file,
				 ssl_error_text(err, sizeof(err), "no certificates in it"));
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
	if (t->ssl == NULL || SSL_set_fd(t->ssl, fd) != 1) {
		fail_set(f, FAIL_INTERNAL, "cannot start TLS: %s",
			 ssl_error_text(err, sizeof(err), "out of memory"));
		goto fail;
	}
	SSL_set_verify(t->ssl, SSL_VERIFY_NONE, NULL); /* judged below, with facts */
	if (p->host != NULL && is_ip_literal(p->host)) {
		X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(t->ssl), p->host);
	} else if (p->host != NULL) {
		SSL_set_tlsext_host_name(t->ssl, p->host);
		SSL_set1_host(t->ssl, p->host);
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
	else
		snprintf(text, len, "certificate %s expires %s (%.1f days)", info->subject,
			 date, floor(info->days_left * 10 + 1e-9) / 10);
	return s;
}
