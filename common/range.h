/* range: Nagios threshold ranges, and numbers with time or size units.
 *
 * Range syntax (Nagios plugin guidelines):  [@][START:][END]
 *   10       alert if < 0 or > 10        10:     alert if < 10
 *   ~:10     alert if > 10               10:20   alert if < 10 or > 20
 *   @10:20   alert if >= 10 and <= 20 (inside, end points included)
 * START and END may be negative or decimal.  Where the quantity is a time or
 * a size, each number may carry a unit, and values are held in a base unit:
 *   time (base: seconds): us, ms, s, m (minutes), h, d
 *   size (base: bytes):   B, KB, MB, GB, TB (powers of 1024; K, M, G, T and
 *                         KiB, MiB, GiB, TiB are accepted too; any case)
 *   percent:              an optional trailing %
 * A number without a unit is in the default unit the caller names. */
#ifndef NETCHECK_RANGE_H
#define NETCHECK_RANGE_H

#include <stdbool.h>
#include <stddef.h>

#include "result.h"

enum unit_kind {
	UNIT_NONE,    /* plain numbers, no unit allowed */
	UNIT_TIME,    /* base unit seconds */
	UNIT_SIZE,    /* base unit bytes */
	UNIT_PERCENT, /* base unit percent, '%' optional */
	UNIT_LAST
};

struct range {
	double start;    /* lower end point (ignored when start_inf) */
	double end;      /* upper end point (ignored when end_inf) */
	bool start_inf;  /* "~": no lower bound */
	bool end_inf;    /* "START:": no upper bound */
	bool inside;     /* "@": alert when inside rather than outside */
};

/* Parses one number with an optional unit of kind `kind`; a number without
 * a unit is in `default_unit` (e.g. "s", "ms", "B"; NULL for the base unit).
 * Stores the value in the base unit.  Returns 0, or -1 with a message that
 * names the bad text in err. */
int unit_parse(const char *text, enum unit_kind kind, const char *default_unit,
	       double *value, char *err, size_t errlen);

/* Parses a range; see the syntax above.  Returns 0, or -1 with a message
 * naming the bad text in err. */
int range_parse(struct range *r, const char *text, enum unit_kind kind,
		const char *default_unit, char *err, size_t errlen);

/* True when `value` should raise an alert under `r`. */
bool range_alert(const struct range *r, double value);

/* Writes r in range syntax with numbers in the base unit, as the perfdata
 * warn/crit fields want it (e.g. "0.25", "10:", "~:3", "@1:2").  Returns
 * the length it needed, like snprintf. */
int range_format(const struct range *r, char *buf, size_t len);

/* Writes v in plain decimal notation, never with an exponent, with up to
 * six significant digits after leading zeros and no trailing zeros
 * ("0.000123", "1500", "0.5"); NaN and infinities are written "U".
 * Returns the length it needed, like snprintf. */
int number_format(double v, char *buf, size_t len);

/* CRITICAL if crit alerts, else WARNING if warn alerts, else OK; either
 * range may be NULL. */
enum state range_state(const struct range *warn, const struct range *crit,
		       double value);

/* A value of kind for people: times in ms, s, min, h or d ("41.2 ms",
 * "1.25 s", "21 d"), sizes in B to TB ("3.1 MB"), percent ("5%"), plain
 * numbers as number_format; "unknown" for NaN. */
void unit_format(double v, enum unit_kind kind, char *buf, size_t len);

/* range_state, and when the state is not OK which limit was broken, into
 * buf: "critical over 2 d", "warning under 10 MB", "critical inside 10 to
 * 20"; "" when OK. */
enum state range_judge(const struct range *warn, const struct range *crit, double value,
		       enum unit_kind kind, char *buf, size_t len);

#endif
