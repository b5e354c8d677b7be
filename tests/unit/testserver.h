/* testserver: scripted servers on loopback for the conn and tls suites, and
 * the certificates they present, made by the test.
 *
 * A server listens on 127.0.0.1 or ::1 (port 0: the kernel chooses), then a
 * forked child accepts one connection and plays a short list of steps.  What
 * it reads (TS_READLINE), and the SNI it got (TS_SNI), come back to the test
 * through a pipe.  The child
 * lives at most TS_MAX_LIFE_S seconds; ts_stop kills it with SIGKILL and
 * reaps it, so a test never depends on the child's exit code (under
 * valgrind, with CK_FORK=no, the child is a valgrind process too). */
#ifndef NETCHECK_TEST_TESTSERVER_H
#define NETCHECK_TEST_TESTSERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "resolve.h"

#define TS_MAX_LIFE_S 60 /* a server child never outlives this */
#define TS_HANG_MS 30000 /* "never answers": past every test's deadline, 10x
			  * those tests run into (ts_stop ends it sooner) */
#define TS_RECEIVED_WAIT_MS 5000 /* ts_received: lines the client sends at
				  * once (under valgrind: in ms) */

enum ts_op {
	TS_OP_END,      /* end of the script */
	TS_OP_SEND,     /* send data (len bytes, or strlen), in pieces of `n`
			 * bytes (0: at once) with `ms` between them */
	TS_OP_SLEEP,    /* pause ms */
	TS_OP_READLINE, /* read one line (through LF) and report it */
	TS_OP_CLOSE,    /* orderly close of our side (FIN), after a TLS
			 * close_notify unless n is 1 */
	TS_OP_RESET,    /* abortive close (SO_LINGER 0: RST) */
	TS_OP_TLS,      /* TLS accept with certificate `data` (key: ts_certs.key) */
	TS_OP_SNI,      /* report the SNI the client sent in the TLS handshake
			 * before: "SNI name\n", or "SNI -\n" when it sent none */
	TS_OP_STREAM,   /* send data (len bytes, or strlen) again and again,
			 * without pause, for `ms` (until a send fails) */
	TS_OP_LAST
};

struct ts_step {
	enum ts_op op;
	const char *data; /* TS_OP_SEND, TS_OP_STREAM: bytes; TS_OP_TLS:
			   * certificate file */
	size_t len;       /* TS_OP_SEND, TS_OP_STREAM: bytes in data; 0: strlen */
	size_t n;         /* TS_OP_SEND: piece size; 0: all at once */
	int ms;           /* TS_OP_SEND: pause between pieces; TS_OP_SLEEP: pause;
			   * TS_OP_STREAM: how long */
};

#define TS_SEND(s)                { TS_OP_SEND, (s), 0, 0, 0 }
#define TS_SEND_LEN(s, l)         { TS_OP_SEND, (s), (l), 0, 0 }
#define TS_SEND_PIECES(s, sz, ms) { TS_OP_SEND, (s), 0, (sz), (ms) }
#define TS_SLEEP(ms)              { TS_OP_SLEEP, NULL, 0, 0, (ms) }
#define TS_HANG                   { TS_OP_SLEEP, NULL, 0, 0, TS_HANG_MS }
#define TS_READLINE               { TS_OP_READLINE, NULL, 0, 0, 0 }
#define TS_CLOSE                  { TS_OP_CLOSE, NULL, 0, 0, 0 }
#define TS_CLOSE_RAW              { TS_OP_CLOSE, NULL, 0, 1, 0 }
#define TS_RESET                  { TS_OP_RESET, NULL, 0, 0, 0 }
#define TS_TLS(cert)              { TS_OP_TLS, (cert), 0, 0, 0 }
#define TS_SNI                    { TS_OP_SNI, NULL, 0, 0, 0 }
#define TS_STREAM(s, ms)          { TS_OP_STREAM, (s), 0, 0, (ms) }
#define TS_END                    { TS_OP_END, NULL, 0, 0, 0 }

struct testserver;

/* Starts a server on the loopback address of family (AF_INET, AF_INET6)
 * playing steps (ending with TS_END; the array must outlive the call only).
 * NULL when the family has no loopback address here (the caller says so and
 * skips).  Test failures on other errors. */
struct testserver *ts_start(int family, const struct ts_step *steps);

/* Its port, and its address as a one-entry list (valid until ts_stop). */
int ts_port(const struct testserver *ts);
const struct addr_list *ts_addrs(const struct testserver *ts);

/* The lines the server has read so far, concatenated with their line ends,
 * waiting up to TS_RECEIVED_WAIT_MS until there are at least `lines` of them
 * (or the script ended).  Owned by ts. */
const char *ts_received(struct testserver *ts, size_t lines);

/* Kills and reaps the child, frees ts.  NULL is fine. */
void ts_stop(struct testserver *ts);

/* A loopback address of family on which nothing listens (a port bound and
 * released), for "connection refused". */
void ts_refused_addr(int family, struct sockaddr_storage *ss, socklen_t *len);

/* Certificates, PEM files in a temporary directory: one test CA and, signed
 * by it with one EC P-256 key, server certificates for "localhost",
 * 127.0.0.1 and ::1 (good, expired, expiring in 5 days) and one for other
 * hosts (wrong.example.test and TS_LONG_NAME). */
#define TS_LONG_NAME "a-rather-long-host-name-for-a-mail-server.department.example.test"

struct ts_certs {
	char dir[64];
	char ca[128], key[128];
	char good[128], expired[128], soon[128], wrong[128];
	bool made;
};
extern struct ts_certs ts_certs;

/* Makes them (once; again after ts_certs_remove), for an unchecked fixture. */
void ts_certs_make(void);
/* Removes the files and the directory. */
void ts_certs_remove(void);

#endif
