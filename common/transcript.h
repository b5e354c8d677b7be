/* transcript: the C:/S: record of a dialogue, for -v.  Lines are stored as
 * given; a caller sending a secret passes the masked form, so no secret is
 * ever stored here in clear. */
#ifndef NETCHECK_TRANSCRIPT_H
#define NETCHECK_TRANSCRIPT_H

#include <stddef.h>

#include "deadline.h"
#include "result.h"

struct transcript;

/* What one run's transcript keeps at most; later lines are counted, not
 * kept, and the count is shown at the end. */
#define TRANSCRIPT_MAX_LINES 2000
#define TRANSCRIPT_MAX_BYTES (512 * 1024)

/* A new, empty transcript; times are counted from now.  NULL when out of
 * memory.  A plugin makes one only when it will print it (-v). */
struct transcript *transcript_new(void);
void transcript_free(struct transcript *t);

/* Restarts the clock (at connect). */
void transcript_restart(struct transcript *t);

/* Records a line sent by the client ('C') or the server ('S'); len bytes,
 * without the line end.  Bytes that are not printable are kept as \xHH. */
void transcript_line(struct transcript *t, char who, const char *line, size_t len);

/* Records a note ("TLS handshake: TLSv1.3") as "-- note". */
void transcript_note(struct transcript *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Number of lines kept, and line i ("C: EHLO x"). */
size_t transcript_count(const struct transcript *t);
const char *transcript_get(const struct transcript *t, size_t i);

/* Adds every line to res as details of verbosity `level`, each prefixed by
 * the milliseconds since connect when with_times is set, and then how many
 * lines the cap left out. */
void transcript_to_result(const struct transcript *t, struct result *res, int level,
			  int with_times);

/* Replaces secret (AUTH payload, PASS argument) in a command by ********:
 * keeps the first `keep` bytes: transcript_mask("PASS secret", 5, ...) gives
 * "PASS ********".  Returns buf. */
char *transcript_mask(const char *line, size_t keep, char *buf, size_t len);

#endif
