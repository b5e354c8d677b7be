/* tls: an OpenSSL client for one connection: SNI, verification against the
 * system store or a CA file, and the facts of the server's certificate.
 * Created only when a run uses TLS. */
#ifndef NETCHECK_TLS_H
#define NETCHECK_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "deadline.h"
#include "fail.h"
#include "result.h"

struct tls;

struct tls_params {
	const char *host;    /* name for SNI and host-name verification; an IP
			      * literal is verified as an address, without SNI */
	const char *ca_file; /* trust these CAs instead of the system store */
	bool insecure;       /* do not fail on verification (still reported) */
};

/* Facts of a finished handshake. */
struct tls_info {
	char version[16];    /* "TLSv1.3" */
	char cipher[64];     /* "TLS_AES_256_GCM_SHA384" */
	char subject[256];   /* "CN=mail.lab.test" */
	char issuer[256];
	char sans[512];      /* "DNS:mail.lab.test, IP:127.0.0.1" */
	time_t not_before, not_after;
	double days_left;    /* until not_after, negative when expired */
	bool has_cert;
	bool verified;       /* chain and name verified */
	char verify_error[160]; /* why not, when !verified */
	bool plaintext;      /* the handshake failed because the server sent
			      * something that is no TLS record (a plaintext
			      * greeting: the port does not speak implicit TLS) */
};

/* Handshakes as a client on the connected, non-blocking socket fd, within
 * the deadline.  On success returns a tls handle (caller frees with
 * tls_free) and fills info; a verification failure is a failure (FAIL_TLS)
 * unless p->insecure, and info is filled in either case when the server
 * sent a certificate. */
struct tls *tls_handshake(int fd, const struct tls_params *p, const struct deadline *d,
			  struct tls_info *info, struct fail *f);

/* Reads up to len bytes: > 0 bytes read, 0 at a clean close, -1 with f set
 * (FAIL_TIMEOUT at the deadline). */
long tls_read(struct tls *t, void *buf, size_t len, const struct deadline *d,
	      struct fail *f);

/* True when bytes are already decrypted and waiting in OpenSSL. */
bool tls_pending(struct tls *t);

/* Writes all len bytes; 0, or -1 with f set. */
int tls_write(struct tls *t, const void *buf, size_t len, const struct deadline *d,
	      struct fail *f);

/* Sends close_notify (without waiting for the peer's) and frees. */
void tls_free(struct tls *t);

/* The state of the certificate's expiry against thresholds in days (a
 * negative threshold is none; an expired certificate is CRITICAL in any
 * case), with a sentence naming the certificate and its date, in days
 * rounded down to a tenth, and the limit it broke: "certificate
 * CN=mail.test expires 2026-12-01 00:00 UTC (9.4 days, warning under 30
 * days)". */
enum state tls_expiry_state(const struct tls_info *info, double warn_days,
			    double crit_days, char *text, size_t len);

/* What every check reports of a handshake, the same way: that the
 * certificate was not verified (when the session is up, so under
 * --insecure, with why), its expiry (a sub-result when a threshold is
 * given or it has expired; also after a failed verification), and at -vv
 * the version, cipher, subject, issuer and names.  `what` names the TLS
 * ("STARTTLS", "TLS").  Returns the expiry state. */
enum state tls_report(struct result *res, const char *what, const struct tls_info *info,
		      bool up, double warn_days, double crit_days);

/* The cert_days perfdata item: days left, with the thresholds as warn and
 * crit ranges ("30:", "7:"); U when there is no certificate. */
void tls_perfdata(struct result *res, const struct tls_info *info, double warn_days,
		  double crit_days);

#endif
