/* fail: why an operation failed, as a class and a sentence.  Library code
 * fills one in; only a check maps the class to a state. */
#ifndef NETCHECK_FAIL_H
#define NETCHECK_FAIL_H

#include <stddef.h>

enum fail_class {
	FAIL_NONE,     /* no failure */
	FAIL_CONN,     /* refused, reset, closed, unreachable */
	FAIL_TIMEOUT,  /* the run's deadline passed */
	FAIL_PROTO,    /* the peer broke the protocol: garbage, overlong line */
	FAIL_REPLY,    /* a well-formed reply that says no */
	FAIL_TLS,      /* handshake or certificate failure */
	FAIL_DNS,      /* a name could not be resolved */
	FAIL_INTERNAL, /* out of memory, bad arguments from the caller */
	FAIL_LAST
};

struct fail {
	enum fail_class cls;
	char text[512];
};

/* Records a failure (replacing any earlier one). */
void fail_set(struct fail *f, enum fail_class cls, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Clears f. */
void fail_clear(struct fail *f);

/* "connection", "timeout", "protocol", ... for messages and JSON. */
const char *fail_class_name(enum fail_class cls);

#endif
