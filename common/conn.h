/* conn: a TCP connection to the first address that answers, with buffered,
 * bounded line I/O over plain TCP or TLS, and an in-place STARTTLS/STLS
 * upgrade that discards (and reports) plaintext sent ahead of the handshake.
 * Every wait ends by the run's deadline. */
#ifndef NETCHECK_CONN_H
#define NETCHECK_CONN_H

#include <stdbool.h>
#include <stddef.h>

#include "deadline.h"
#include "fail.h"
#include "addr.h"
#include "resolve.h"
#include "tls.h"
#include "transcript.h"

struct conn;

#define CONN_DEFAULT_MAX_LINE 1000

struct conn_params {
	const struct deadline *deadline; /* the run's budget */
	size_t max_line;                 /* longest line accepted, without its
					  * line end; 0 means 1000 */
	struct transcript *transcript;   /* records C:/S: lines, or NULL */
	const struct tls_params *tls;    /* implicit TLS after connect, or NULL */
	/* For conn_open only: where to connect. */
	struct resolver *resolver;       /* looks host up */
	const char *host;                /* name or address literal */
	const struct addr_list *addrs;   /* instead of host: these addresses
					  * (with `port` when it is not 0) */
	int port;
	int family;                      /* AF_UNSPEC, AF_INET, AF_INET6 */
};

/* Connects to each address in order until one answers.  Each attempt may
 * use the time left divided by the addresses left, so one silent address
 * does not eat the whole budget.  With p->tls, handshakes at once and fills
 * *tinfo (which may be NULL otherwise).  Returns the connection, or NULL
 * with f set: FAIL_CONN naming every address and what went wrong,
 * FAIL_TIMEOUT, FAIL_TLS. */
struct conn *conn_connect(const struct addr_list *addrs, const struct conn_params *p,
			  struct tls_info *tinfo, struct fail *f);

/* How long each stage of conn_open took, in seconds; NaN when not reached
 * (tls_s also when there is no implicit TLS). */
struct conn_stages {
	double resolve_s; /* the name lookup (0 for addresses given) */
	double connect_s; /* the lookup and the TCP connect together */
	double tls_s;     /* the implicit TLS handshake */
};

/* Opens a conversation: looks p->host up (or takes p->addrs), connects
 * (conn_connect) and, with p->tls, handshakes.  Fills *stages (which may be
 * NULL) as far as it got.  Returns the connection, or NULL with f set as
 * conn_connect, or FAIL_DNS when the name does not resolve. */
struct conn *conn_open(const struct conn_params *p, struct conn_stages *stages,
		       struct tls_info *tinfo, struct fail *f);

/* The address connected to: "127.0.0.1:25", "[::1]:25". */
const char *conn_peer(const struct conn *c);

/* Reads one line.  *line points into the connection's buffer, valid until
 * the next read, NUL-terminated without its CRLF or LF; *len is its length
 * (the line may hold NUL bytes).  Returns 0, or -1 with f set: FAIL_CONN
 * (closed, reset), FAIL_TIMEOUT, FAIL_PROTO (a line over max_line). */
int conn_readline(struct conn *c, char **line, size_t *len, struct fail *f);

/* Reads lines until on_line returns 1 ("that was the last line of this
 * response"); on_line returns 0 for more, -1 to stop with f set.  Returns
 * 0, or -1. */
int conn_read_response(struct conn *c,
		       int (*on_line)(void *ctx, const char *line, size_t len, struct fail *f),
		       void *ctx, struct fail *f);

/* Whether lines read are recorded in the transcript (default yes); for long
 * listings a caller may stop recording and note how many it left out. */
void conn_record(struct conn *c, bool on);

/* Sends line and CRLF.  The transcript gets `shown` instead when it is not
 * NULL (a masked secret); the copy made for sending is wiped.  0, or -1;
 * a line holding CR or LF is refused (FAIL_INTERNAL), never sent. */
int conn_send_line(struct conn *c, const char *line, const char *shown, struct fail *f);

/* Sends n lines in one write (RFC 2449 PIPELINING), each checked and
 * recorded as conn_send_line does (shown[i] may be NULL).  0, or -1 with f
 * set; when any line holds CR or LF nothing is sent. */
int conn_send_lines(struct conn *c, const char *const *lines, const char *const *shown,
		    size_t n, struct fail *f);

/* Sends len raw bytes (not recorded).  0, or -1 with f set. */
int conn_write(struct conn *c, const void *buf, size_t len, struct fail *f);

/* Upgrades to TLS in place (after the server's go-ahead to STARTTLS/STLS).
 * Bytes the server sent after its go-ahead and before the handshake are
 * discarded, counted (conn_injected) and noted in the transcript.  Fills
 * *tinfo.  Returns 0, or -1 with f set. */
int conn_starttls(struct conn *c, const struct tls_params *tp, struct tls_info *tinfo,
		  struct fail *f);

/* Plaintext bytes discarded by conn_starttls. */
size_t conn_injected(const struct conn *c);

/* True once the connection speaks TLS. */
bool conn_is_tls(const struct conn *c);

/* From now on every wait of c ends by d (kept by the caller) instead:
 * a shorter budget for a courtesy, such as a QUIT after a refusal. */
void conn_set_deadline(struct conn *c, const struct deadline *d);

/* Closes cleanly (TLS close_notify, then the socket) and frees. */
void conn_close(struct conn *c);

#endif
