/* pop3: a POP3 client (RFC 1939) with CAPA and response codes (RFC 2449),
 * STLS (RFC 2595), APOP and SASL PLAIN (RFC 5034), as an explicit state
 * machine over common/conn; and the pure parsers it uses, over
 * (const unsigned char *, size_t), for unit tests and fuzzing.
 *
 * The client never sends RETR, and sends DELE only for messages it found
 * (find_subject with delete_found), only after everything else succeeded
 * and right before QUIT: a session that ends any other way leaves the
 * mailbox untouched, since POP3 applies DELE only in the UPDATE state.
 * When the server lists PIPELINING (RFC 2449), USER and PASS go out in one
 * write, and STAT with LIST, UIDL, TOP 1 0 (and QUIT when nothing is to be
 * found); DELE never goes out ahead. */
#ifndef NETCHECK_POP3_H
#define NETCHECK_POP3_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "conn.h"
#include "fail.h"
#include "tls.h"
#include "transcript.h"

/* ---- parsers ------------------------------------------------------------ */

enum pop3_status {
	POP3_OK,   /* "+OK" */
	POP3_ERR,  /* "-ERR" */
	POP3_CONT, /* "+ ..." or "+": a SASL continuation */
	POP3_STATUS_LAST
};

/* One status line. */
struct pop3_reply {
	enum pop3_status status;
	char code[64];  /* RFC 2449 response code without its brackets
			 * ("IN-USE", "SYS/TEMP"), "" when none */
	char text[256]; /* what follows the status (and code), truncated;
			 * bytes outside printable ASCII become '?' */
};

/* Parses a status line: "+OK", "-ERR" (alone or followed by a space and
 * text, which may begin with "[CODE]"), or "+" / "+ text".  Returns 0, or
 * -1 when the line is no POP3 status ("+OKAY", "220 hi", binary). */
int pop3_parse_reply(const unsigned char *line, size_t len, struct pop3_reply *r);

/* True when r's response code is `code` or below it in the hierarchy:
 * pop3_code_is(r, "SYS") is true for "SYS/TEMP".  Any case. */
bool pop3_code_is(const struct pop3_reply *r, const char *code);

/* The APOP timestamp of a greeting ("<1896.697170952@dbc.mtview.ca.us>",
 * brackets included) into out.  Returns 0, or -1 when there is none (or it
 * does not fit, or holds a space or a control byte). */
int pop3_apop_timestamp(const unsigned char *line, size_t len, char *out, size_t outlen);

/* What a CAPA listing said. */
struct pop3_capa {
	bool seen;        /* the server answered CAPA with +OK */
	bool stls, user, top, uidl, pipelining, resp_codes, auth_resp_code;
	bool has_sasl;    /* a SASL line was present */
	bool sasl_plain;  /* ... naming PLAIN */
	char sasl[128];   /* its mechanisms, as listed (truncated) */
	size_t lines;     /* capability lines seen */
	size_t unknown;   /* lines naming a capability not listed here */
};

/* Adds one line of a CAPA listing (not the status, not the final ".") to c.
 * Capability names match whole words in any case; unknown ones are
 * counted and otherwise ignored. */
void pop3_capa_line(struct pop3_capa *c, const unsigned char *line, size_t len);

/* A line of a multi-line response: returns 1 for the terminating ".", 0 for
 * a data line, with *data / *dlen the line after dot-unstuffing (a leading
 * "." of "..x" is removed). */
int pop3_data_line(const unsigned char *line, size_t len, const unsigned char **data,
		   size_t *dlen);

/* The text of STAT's +OK: "COUNT SIZE" (more text may follow a space).
 * Returns 0, or -1 when malformed. */
int pop3_parse_stat(const unsigned char *text, size_t len, unsigned long *count,
		    unsigned long long *size);

/* A scan listing line of LIST: "MSG SIZE" (more text may follow a
 * space).  Returns 0, or -1. */
int pop3_parse_scan(const unsigned char *line, size_t len, unsigned long *msg,
		    unsigned long long *size);

/* A line of UIDL: "MSG UID", UID 1 to 70 bytes 0x21-0x7e, into uid
 * (uidlen >= 71).  Returns 0, or -1. */
int pop3_parse_uidl(const unsigned char *line, size_t len, unsigned long *msg, char *uid,
		    size_t uidlen);

/* The header fields a check needs, collected from the lines of a TOP
 * response: the first Date and Subject and the first (newest) Received,
 * with folded lines joined.  Values are truncated to fit. */
struct pop3_headers {
	char date[256];
	char subject[512];
	char received[1024];
	bool has_date, has_subject, has_received;
	bool in_body;  /* the empty line was seen */
	int cur;       /* the field a continuation line belongs to */
};
void pop3_headers_init(struct pop3_headers *h);
void pop3_headers_line(struct pop3_headers *h, const unsigned char *line, size_t len);

/* True when the subject holds text (ASCII letters in any case). */
bool pop3_subject_has(const struct pop3_headers *h, const char *text);

/* ---- client ------------------------------------------------------------- */

enum pop3_auth {
	POP3_AUTH_USER,  /* USER / PASS */
	POP3_AUTH_APOP,  /* APOP with the greeting's timestamp */
	POP3_AUTH_PLAIN, /* AUTH PLAIN (RFC 5034) */
	POP3_AUTH_LAST
};

enum pop3_state {
	POP3_ST_CONNECT,   /* the name lookup, TCP connect, implicit TLS */
	POP3_ST_GREETING,
	POP3_ST_CAPA,
	POP3_ST_STLS,
	POP3_ST_CAPA_TLS,  /* CAPA again after STLS */
	POP3_ST_USER,
	POP3_ST_PASS,
	POP3_ST_APOP,
	POP3_ST_AUTH,      /* AUTH PLAIN, waiting for "+" */
	POP3_ST_AUTH_RESP, /* the credentials sent, waiting for +OK */
	POP3_ST_STAT,
	POP3_ST_LIST,
	POP3_ST_UIDL,
	POP3_ST_TOP_OLDEST,
	POP3_ST_FIND,      /* TOP n 0, newest first */
	POP3_ST_DELE,
	POP3_ST_QUIT,
	POP3_ST_DONE,
	POP3_ST_LAST
};

/* "greeting", "CAPA", "STLS", ..., "done". */
const char *pop3_state_name(enum pop3_state s);

/* True for the states of the login (USER to AUTH_RESP). */
bool pop3_state_is_login(enum pop3_state s);

#define POP3_FOUND_MAX 64 /* messages a find remembers */
#define POP3_MAX_LINE 8192  /* longest line accepted */
#define POP3_MAX_CAPA_LINES 100    /* lines of a CAPA listing */
#define POP3_MAX_HEADER_LINES 1000 /* header lines of a TOP n 0 */
#define POP3_MAX_LISTING 10000000  /* lines of LIST or UIDL, besides the
				    * count STAT gave */

struct pop3_params {
	const char *user;           /* login name; NULL: no login, the session
				     * is the greeting, CAPA, STLS (with stls)
				     * and QUIT, as check_pop's */
	const char *password;       /* the caller wipes it: forget_password
				     * says when it is no longer needed */
	enum pop3_auth auth;        /* login method */
	bool stls;                  /* upgrade with STLS before the login */
	const struct tls_params *tls; /* for STLS */
	bool allow_plaintext_auth;  /* may send USER/PASS or PLAIN without TLS */
	bool want_list;             /* LIST: the largest message */
	bool want_uidl;             /* UIDL, each line given to on_uidl */
	bool want_age;              /* TOP 1 0: the date of the oldest message */
	const char *find_subject;   /* TOP n 0 newest first for this text, or NULL */
	unsigned long find_limit;   /* look at this many newest messages (0: all) */
	bool delete_found;          /* DELE what was found, then QUIT */
	size_t record_max;          /* lines of a listing kept in the transcript
				     * (0: 20); the rest are counted in a note */
	struct transcript *transcript; /* the conn's, for notes, or NULL */
	void (*on_uidl)(void *ctx, unsigned long msg, const char *uid);
	void (*forget_password)(void *ctx); /* or NULL: called once the login
				     * is over (its reply read), so that the
				     * caller wipes the password at once */
	void *ctx;                  /* for on_uidl and forget_password */
};

/* What a session found, filled as far as it went. */
struct pop3_outcome {
	enum pop3_state state;      /* POP3_ST_DONE, or where it failed */
	struct pop3_reply reply;    /* the last reply read */
	char peer[ADDR_TEXT_MAX];   /* the address connected to, "" none */
	char greeting[256];         /* the greeting's text */
	bool has_apop;              /* the greeting holds a timestamp */
	struct pop3_capa capa;      /* the last CAPA listing */
	bool tls_done;              /* TLS (implicit or STLS) is up */
	struct tls_info tls;        /* the handshake's facts, when the server
				     * sent a certificate (also when it failed
				     * verification) */
	size_t injected;            /* plaintext discarded after STLS */
	double t_connect, t_greeting, t_tls, t_auth, t_stat; /* seconds per
				     * stage, NaN when not reached; connect
				     * with the name lookup */
	bool has_stat;
	unsigned long count;        /* STAT */
	unsigned long long size;
	bool has_largest;           /* LIST */
	unsigned long largest_msg, listed;
	unsigned long long largest;
	unsigned long uidls;        /* UIDL lines */
	bool has_oldest;            /* the oldest message's date was read */
	time_t oldest;
	const char *oldest_from;    /* "Received" (when the last server took
				     * it) or "Date" (the sender's clock) */
	char date_problem[320];     /* why the Received did not serve, "" if
				     * it did */
	unsigned long examined;     /* messages whose headers the find read */
	unsigned long found_n;      /* messages found */
	unsigned long found[POP3_FOUND_MAX];
	char found_subject[256];
	unsigned long deleted;      /* DELE accepted and QUIT +OK: removed */
	bool dele_sent;             /* any DELE was sent */
};

/* Runs the session on c (connected; TLS already when implicit), from the
 * greeting to QUIT.  Returns 0 with o->state == POP3_ST_DONE, or -1 with f
 * set (FAIL_REPLY: a -ERR, o->reply holds it; FAIL_PROTO, FAIL_CONN,
 * FAIL_TIMEOUT, FAIL_TLS, FAIL_INTERNAL) and o->state where it stopped; the
 * text names the command ("LIST: connection closed by the server"). */
int pop3_run(struct conn *c, const struct pop3_params *p, struct pop3_outcome *o,
	     struct fail *f);

/* Opens the connection cp describes (common/conn conn_open: the lookup,
 * the connect and, with cp->tls, implicit TLS, each timed) and runs the
 * session on it, then closes it.  Returns as pop3_run; a failure to
 * connect leaves o->state at POP3_ST_CONNECT. */
int pop3_session(const struct conn_params *cp, const struct pop3_params *p,
		 struct pop3_outcome *o, struct fail *f);

#endif
