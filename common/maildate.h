/* maildate: the date of an Internet message (RFC 5322 section 3.3 with the
 * obsolete forms of section 4.3), from a Date header or the date that ends
 * a Received header.  Pure functions over bytes: no locale, no time zone
 * database, no global state. */
#ifndef NETCHECK_MAILDATE_H
#define NETCHECK_MAILDATE_H

#include <stddef.h>
#include <time.h>

/* Parses a date-time, the value of a Date header:
 *   [day-of-week ","] day month year hour ":" minute [":" second] zone
 * Accepted besides the modern form: comments "(...)" and folding white
 * space anywhere between tokens, full day names, two- and three-digit years
 * (RFC 5322 4.3: < 50 is 20xx, else 19xx; three digits + 1900), the zone
 * names UT, GMT, Z, EST/EDT, CST/CDT, MST/MDT, PST/PDT, military letters
 * (taken as -0000, as 4.3 advises), and a missing zone (taken as UTC).
 * Stores seconds since the epoch in *out and returns 0; returns -1 with a
 * short reason in err (which may be NULL) when the text is not a date. */
int maildate_parse(const unsigned char *s, size_t len, time_t *out, char *err,
		   size_t errlen);

/* Parses the date of a Received header's value: the date-time after its
 * last ';'.  Same result as maildate_parse. */
int maildate_received(const unsigned char *s, size_t len, time_t *out, char *err,
		      size_t errlen);

#endif
