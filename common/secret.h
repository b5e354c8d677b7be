/* secret: passwords from a file, the environment or (visibly) argv; base64
 * for SASL; wiping.  A secret never goes to stdout, a transcript or a
 * message: callers mask it (transcript_mask) and wipe it when done. */
#ifndef NETCHECK_SECRET_H
#define NETCHECK_SECRET_H

#include <stddef.h>

#include "fail.h"

#define SECRET_MAX 1024 /* longest secret accepted, with its NUL */

/* The first line of FILE, without its line end, into buf (len bytes, at
 * most SECRET_MAX).  Returns 0, or -1 with f set (FAIL_INTERNAL: missing,
 * unreadable, not a regular file (a FIFO is never waited on), empty, too
 * long, holds a NUL, CR or LF byte).  The file's name is in
 * the message; its content never is. */
int secret_from_file(const char *path, char *buf, size_t len, struct fail *f);

/* The value of environment variable VAR into buf, then wiped in the
 * environment (VAR stays set, to NUL bytes).  Returns 0, or -1 with f set
 * (unset, empty or too long). */
int secret_from_env(const char *var, char *buf, size_t len, struct fail *f);

/* Copies a secret given on the command line into buf and blanks it in
 * argv, so that ps shows less of it (it was visible until then).  Returns
 * 0, or -1 with f set when too long or empty. */
int secret_from_arg(char *arg, char *buf, size_t len, struct fail *f);

/* Where a plugin's password comes from: its --password-file,
 * --password-env and -P options. */
struct secret_source {
	const char *file;
	const char *env;
	char *arg;        /* blanked in argv once read */
};

/* How many of the sources were given. */
int secret_sources(const struct secret_source *s);

/* Reads the password from the one source given into buf.  Returns 0, or -1
 * with f set (FAIL_INTERNAL) when none or more than one was given, or when
 * reading it failed. */
int secret_read(struct secret_source *s, char *buf, size_t len, struct fail *f);

/* Base64 (RFC 4648, with padding) of in[0..n) into out (NUL-terminated).
 * Returns the length written, or -1 when out is too small. */
long secret_base64(const void *in, size_t n, char *out, size_t outlen);

/* Overwrites len bytes in a way the compiler may not drop. */
void secret_wipe(void *buf, size_t len);

#endif
