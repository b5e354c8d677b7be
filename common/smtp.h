/* smtp: SMTP replies and EHLO extensions (pure parsers), and the client
 * dialogue of check_smtp_dialogue as an explicit state machine: banner,
 * EHLO (HELO fallback; LHLO for LMTP), STARTTLS, EHLO again, AUTH, the
 * caller's own commands, MAIL, RCPT, DATA or RSET, the open-relay probes,
 * QUIT.  Every step is timed and recorded;
 * the first failure ends the dialogue and says where and why.  Mapping the
 * outcome to a state is the check's job. */
#ifndef NETCHECK_SMTP_H
#define NETCHECK_SMTP_H

#include <stdbool.h>
#include <netinet/in.h>
#include <stddef.h>

#include "conn.h"
#include "deadline.h"
#include "fail.h"
#include "resolve.h"
#include "tls.h"
#include "transcript.h"

#define SMTP_MAX_LINE 1000      /* longest reply line accepted (RFC 5321: 512) */
#define SMTP_MAX_REPLY_LINES 100 /* longest multi-line reply accepted */
#define SMTP_MAX_EXT 64          /* EHLO keywords kept */
#define SMTP_QUIT_COURTESY_MS 1000 /* the wait for 221 after a refusal */
#define SMTP_MAX_RCPT 16         /* --to given at most */
#define SMTP_MAX_CMD 16          /* -C given at most */
#define SMTP_CMD_REPLY_MAX 512   /* a -C reply kept, lines joined by '\n' */

/* ---- pure parsers ------------------------------------------------------- */

/* One reply line: "250-text", "250 text" or "250".  Returns 0 and sets
 * *code (200..599), *last (no '-' after the code) and *text (offset of the
 * text); -1 when the line is not a reply line: not three digits, a first
 * digit outside 2-5, a fourth byte other than ' ' or '-', or control bytes
 * (other than tab) anywhere. */
int smtp_parse_line(const unsigned char *line, size_t len, int *code, bool *last,
		    size_t *text);

/* A whole reply, as read. */
struct smtp_reply {
	int code;                          /* 0 when nothing was read */
	size_t n;                          /* lines */
	char *text[SMTP_MAX_REPLY_LINES];  /* each line's text, without the code */
};
void smtp_reply_clear(struct smtp_reply *r);

/* EHLO extensions (RFC 5321 4.1.1.1): keyword and parameters of each line
 * after the first. */
struct smtp_ext {
	size_t n;
	char line[SMTP_MAX_EXT][128]; /* "SIZE 10240000", "AUTH PLAIN LOGIN" */
	bool has_size;
	bool size_bad;                /* SIZE's parameter is not a number */
	unsigned long long size;      /* SIZE's value; 0: no fixed limit */
};

/* Parses the extension lines of an EHLO reply (lines 1..n-1 of r).
 * Keywords must be [A-Za-z0-9][A-Za-z0-9-]*; other lines are ignored.
 * Returns the number of keywords kept. */
size_t smtp_parse_ehlo(const struct smtp_reply *r, struct smtp_ext *ext);

/* True when the EHLO reply offered keyword (whole word, any case). */
bool smtp_ext_has(const struct smtp_ext *ext, const char *keyword);

/* True when AUTH (or the old AUTH=) offered mechanism mech. */
bool smtp_ext_auth(const struct smtp_ext *ext, const char *mech);

/* "queued as ABC123" in a 250 reply to the end of DATA; "" when absent. */
void smtp_queue_id(const char *text, char *out, size_t len);

/* ---- the dialogue ------------------------------------------------------- */

enum smtp_state {
	SMTP_CONNECT,   /* the name lookup and the TCP connect */
	SMTP_TLS,       /* the handshake of implicit TLS (-s) */
	SMTP_BANNER,
	SMTP_EHLO,
	SMTP_HELO,
	SMTP_STARTTLS,
	SMTP_EHLO_TLS,
	SMTP_AUTH,
	SMTP_COMMAND,   /* the caller's commands (check_smtp's -C) */
	SMTP_MAIL,
	SMTP_RCPT,
	SMTP_DATA,
	SMTP_RSET,
	SMTP_RELAY,
	SMTP_QUIT,
	SMTP_DONE,
	SMTP_LAST
};

/* "connect", "banner", "EHLO", ... for messages. */
const char *smtp_state_name(enum smtp_state s);

/* The timed stages of perfdata, in their fixed order. */
enum smtp_stage {
	STAGE_CONNECT, STAGE_BANNER, STAGE_EHLO, STAGE_TLS, STAGE_AUTH,
	STAGE_MAIL, STAGE_RCPT, STAGE_DATA, STAGE_QUIT, STAGE_LAST
};
extern const char *const smtp_stage_labels[STAGE_LAST];

struct smtp_params;

/* Whether a dialogue run with p goes through stage at all when nothing
 * fails: the stages its options ask for (perfdata has a label for each
 * such stage, and no other). */
bool smtp_stage_wanted(const struct smtp_params *p, enum smtp_stage stage);

struct smtp_params {
	const struct deadline *deadline; /* the run's budget */
	struct resolver *resolver;       /* looks host up */
	const char *host;                /* the server: a name or an address */
	const struct addr_list *addrs;   /* instead of host: its addresses */
	int port;
	int family;                      /* AF_UNSPEC, AF_INET, AF_INET6 */
	struct transcript *transcript;   /* C:/S: record, or NULL */
	const struct tls_params *tls;    /* for STARTTLS or implicit TLS */
	bool implicit_tls;               /* -s: TLS from the first byte */
	bool starttls;                   /* -S: STARTTLS required */
	bool lmtp;                       /* LMTP (RFC 2033): LHLO, no HELO, a
					  * reply per recipient after DATA */
	const char *helo_name;           /* name sent in EHLO/HELO */
	const char *user;                /* AUTH when not NULL */
	const char *password;            /* the caller wipes it; see forget_password */
	void (*forget_password)(void *ctx); /* or NULL: called once AUTH is
					  * over, so that a caller with no
					  * other dialogue to hold wipes the
					  * password at once */
	void *ctx;                       /* for forget_password */
	const char *auth_mech;           /* "PLAIN", "LOGIN", or NULL: the best */
	const char *const *commands;     /* sent after AUTH, each reply kept */
	size_t ncmd;
	const char *from;                /* MAIL FROM, "" for <>; NULL: no MAIL */
	const char *const *rcpts;        /* RCPT TO addresses */
	size_t nrcpt;
	int expect_rcpt;                 /* the code every RCPT must get; 0: 2xx */
	bool data;                       /* send a test message */
	const char *token;               /* its Subject token (with data) */
	const char *relay_to;            /* open-relay probes to this address */
	const char *server_name;         /* the server's name, for relay probes */
};

#define SMTP_MAX_RELAY 6

/* What happened.  Fields of stages that did not run stay zero; the stage
 * that failed counts as not run (stage_run false). */
struct smtp_outcome {
	enum smtp_state failed_at;   /* SMTP_DONE when nothing failed */
	struct fail fail;            /* why, when failed_at != SMTP_DONE */
	int fail_code;               /* the reply code that failed, or 0 */
	double stage_s[STAGE_LAST];
	bool stage_run[STAGE_LAST];
	double total_s;
	char peer[ADDR_TEXT_MAX];
	int banner_code;
	char banner[SMTP_MAX_LINE + 1];       /* its first line */
	char banner_all[2 * SMTP_MAX_LINE];   /* all its lines with their code
					       * ("220 mx ESMTP"), joined by '\n' */
	bool esmtp;                  /* EHLO accepted */
	int ehlo_code;               /* the EHLO reply when it was refused */
	struct smtp_ext ext;         /* the last EHLO's extensions */
	bool tls;                    /* the session was encrypted */
	struct tls_info tls_info;
	size_t injected;             /* plaintext discarded after STARTTLS */
	char auth_mech[16];
	size_t ncmd;                 /* commands answered */
	int cmd_code[SMTP_MAX_CMD];
	char cmd_reply[SMTP_MAX_CMD][SMTP_CMD_REPLY_MAX]; /* with codes, '\n' between lines */
	int mail_code;
	size_t nrcpt;
	int rcpt_code[SMTP_MAX_RCPT];
	char rcpt_text[SMTP_MAX_RCPT][160];
	int data_code;               /* the end of DATA's reply (LMTP: the first
				      * refusal, else the last recipient's) */
	char queue_id[64];
	size_t relay_total, relay_accepted, relay_temp, relay_denied;
	char relay_line[SMTP_MAX_RELAY][200]; /* "RCPT TO:<...>: 554 5.7.1 ..." */
	int relay_code[SMTP_MAX_RELAY];       /* the code that decided each probe */
	int quit_code;
};

/* Runs the dialogue.  Returns 0 when it ran to the end, -1 when a step
 * failed (see o->failed_at, o->fail, o->fail_code).  After a refusal the
 * session is still ended politely with QUIT (RFC 5321 4.1.1.10), except
 * after a 421 (the server is closing) or a broken connection. */
int smtp_dialogue(const struct smtp_params *p, struct smtp_outcome *o);

#endif
