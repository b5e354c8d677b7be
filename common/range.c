#include "range.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct unit {
	const char *name;
	double scale; /* to the base unit */
};

static const struct unit time_units[] = {
	{ "us", 1e-6 }, { "ms", 1e-3 }, { "s", 1 },
	{ "m", 60 }, { "h", 3600 }, { "d", 86400 },
	{ NULL, 0 },
};

static const struct unit size_units[] = {
	{ "B", 1 },
	{ "K", 1024.0 }, { "KB", 1024.0 }, { "KiB", 1024.0 },
	{ "M", 1048576.0 }, { "MB", 1048576.0 }, { "MiB", 1048576.0 },
	{ "G", 1073741824.0 }, { "GB", 1073741824.0 }, { "GiB", 1073741824.0 },
	{ "T", 1099511627776.0 }, { "TB", 1099511627776.0 }, { "TiB", 1099511627776.0 },
	{ NULL, 0 },
};

static const struct unit percent_units[] = {
	{ "%", 1 },
	{ NULL, 0 },
};

static const struct unit *const unit_tables[UNIT_LAST] = {
	[UNIT_NONE] = NULL,
	[UNIT_TIME] = time_units,
	[UNIT_SIZE] = size_units,
	[UNIT_PERCENT] = percent_units,
};

static const char *const unit_lists[UNIT_LAST] = {
	[UNIT_NONE] = "no unit is allowed here",
	[UNIT_TIME] = "time units: us, ms, s, m, h, d",
	[UNIT_SIZE] = "size units: B, KB, MB, GB, TB",
	[UNIT_PERCENT] = "only % is allowed",
};

static const struct unit *unit_find(enum unit_kind kind, const char *name, size_t n)
{
	const struct unit *u = unit_tables[kind];

	for (; u != NULL && u->name != NULL; u++)
		if (strlen(u->name) == n && strncasecmp(u->name, name, n) == 0)
			return u;
	return NULL;
}

/* Length of a plain decimal number at s: [+-]digits[.digits] or [+-].digits;
 * 0 when there is none.  No exponents, no hex, no inf or nan. */
static size_t number_span(const char *s)
{
	size_t i = 0, digits = 0;

	if (s[i] == '+' || s[i] == '-')
		i++;
	while (isdigit((unsigned char)s[i])) {
		i++;
		digits++;
	}
	if (s[i] == '.') {
		i++;
		while (isdigit((unsigned char)s[i])) {
			i++;
			digits++;
		}
	}
	return digits > 0 ? i : 0;
}

/* Parses text[0..n) as a number with an optional unit. */
static int unit_parse_n(const char *text, size_t n, enum unit_kind kind,
			const char *default_unit, double *value, char *err,
			size_t errlen)
{
	char num[512];
	size_t span;
	double scale = 1, v;
	char *end;
	/* Echo at most 40 bytes of the text, so the reason fits the message. */
	int shown = n > 40 ? 40 : (int)n;
	const char *more = n > 40 ? "..." : "";

	if (n == 0) {
		snprintf(err, errlen, "a number is missing");
		return -1;
	}
	span = number_span(text);
	if (span == 0 || span > n) {
		snprintf(err, errlen, "'%.*s%s' is not a number", shown, text, more);
		return -1;
	}
	if (span >= sizeof(num)) {
		snprintf(err, errlen, "'%.*s%s' is too long", shown, text, more);
		return -1;
	}
	if (span < n) {
		const struct unit *u = kind == UNIT_NONE ? NULL
				       : unit_find(kind, text + span, n - span);

		if (u == NULL) {
			snprintf(err, errlen, "'%.*s%s' has an unknown unit '%.*s' (%s)",
				 shown, text, more, (int)(n - span), text + span,
				 unit_lists[kind]);
			return -1;
		}
		scale = u->scale;
	} else if (default_unit != NULL && kind != UNIT_NONE) {
		const struct unit *u = unit_find(kind, default_unit, strlen(default_unit));

		if (u != NULL)
			scale = u->scale;
	}
	memcpy(num, text, span);
	num[span] = '\0';
	errno = 0;
	v = strtod(num, &end);
	if (*end != '\0' || errno == ERANGE || !isfinite(v * scale)) {
		snprintf(err, errlen, "'%.*s%s' is out of range", shown, text, more);
		return -1;
	}
	*value = v * scale;
	return 0;
}

int unit_parse(const char *text, enum unit_kind kind, const char *default_unit,
	       double *value, char *err, size_t errlen)
{
	return unit_parse_n(text, strlen(text), kind, default_unit, value, err,
			    errlen);
}

int range_parse(struct range *r, const char *text, enum unit_kind kind,
		const char *default_unit, char *err, size_t errlen)
{
	struct range out = { 0 };
	const char *p = text, *colon;
	char why[256];

	if (*p == '\0') {
		snprintf(err, errlen, "empty range");
		return -1;
	}
	if (*p == '@') {
		out.inside = true;
		p++;
		if (*p == '\0') {
			snprintf(err, errlen, "invalid range '%s': '@' needs a range after it", text);
			return -1;
		}
	}
	colon = strchr(p, ':');
	if (colon == NULL) {
		if (unit_parse_n(p, strlen(p), kind, default_unit, &out.end, why,
				 sizeof(why)) < 0)
			goto bad;
	} else {
		size_t n = (size_t)(colon - p);

		if (n == 1 && *p == '~')
			out.start_inf = true;
		else if (n == 0) {
			snprintf(why, sizeof(why), "the start before ':' is missing (use ~ for minus infinity)");
			goto bad;
		} else if (unit_parse_n(p, n, kind, default_unit, &out.start, why,
					sizeof(why)) < 0)
			goto bad;
		if (colon[1] == '\0')
			out.end_inf = true;
		else if (unit_parse_n(colon + 1, strlen(colon + 1), kind,
				      default_unit, &out.end, why, sizeof(why)) < 0)
			goto bad;
	}
	if (!out.start_inf && !out.end_inf && out.start > out.end) {
		snprintf(why, sizeof(why), "the start is greater than the end");
		goto bad;
	}
	*r = out;
	return 0;
bad:
	snprintf(err, errlen, "invalid range '%.60s%s': %s", text,
		 strlen(text) > 60 ? "..." : "", why);
	return -1;
}

bool range_alert(const struct range *r, double value)
{
	bool in = (r->start_inf || value >= r->start) && (r->end_inf || value <= r->end);

	return r->inside ? in : !in;
}

/* A whole number in decimal, as snprintf would write it. */
static int format_integer(long long v, char *buf, size_t len)
{
	char digits[24];
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	size_t n = 0, k;

	do {
		digits[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u > 0);
	if (v < 0)
		digits[n++] = '-';
	if (len == 0)
		return (int)n;
	k = n < len ? n : len - 1;
	for (size_t i = 0; i < k; i++)
		buf[i] = digits[n - 1 - i];
	buf[k] = '\0';
	return (int)n;
}

/* v with prec decimals, trailing zeros dropped, without printf: the
 * scaled value rounded to an integer whose digits are written out.  Only
 * where that is exact: -1 when the scaled value is too large for a double
 * to hold every integer, or so close to a tie (x.5) that the scaling's own
 * rounding could tip it; %f decides those. */
static int format_fixed(double v, int prec, char *buf, size_t len)
{
	static const double p10[] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9,
				      1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17 };
	double a = fabs(v), scaled, part;
	uint64_t u, whole, frac, unit;
	char text[48], *p = text + sizeof(text);
	int digits = prec;

	if (prec < 0 || prec >= (int)(sizeof(p10) / sizeof(p10[0])))
		return -1;
	scaled = a * p10[prec];
	part = scaled - floor(scaled);
	if (scaled >= 9007199254740992.0 || fabs(part - 0.5) < 1e-6)
		return -1;
	u = (uint64_t)llround(scaled);
	unit = (uint64_t)p10[prec];
	whole = u / unit;
	frac = u % unit;
	while (digits > 0 && frac % 10 == 0) { /* trailing zeros go */
		frac /= 10;
		digits--;
	}
	*--p = '\0';
	for (int i = 0; i < digits; i++, frac /= 10)
		*--p = (char)('0' + frac % 10);
	if (digits > 0)
		*--p = '.';
	do {
		*--p = (char)('0' + whole % 10);
		whole /= 10;
	} while (whole > 0);
	if (v < 0 && u > 0)
		*--p = '-';
	return snprintf(buf, len, "%s", p);
}

int number_format(double v, char *buf, size_t len)
{
	double a = fabs(v);
	int prec = 6, n;

	if (!isfinite(v))
		return snprintf(buf, len, "U");
	/* Whole numbers (0, 100, thresholds) skip the costly %f: perfdata of
	 * 10,000 hosts has tens of thousands of them. */
	if (a < 1e15 && v == trunc(v))
		return format_integer((long long)v, buf, len);
	if (a < 1 && a > 0) {
		prec = 5 - (int)floor(log10(a));
		if (prec > 30)
			prec = 30;
	}
	n = format_fixed(v, prec, buf, len);
	if (n >= 0)
		return n;
	n = snprintf(buf, len, "%.*f", prec, v);
	if (n < 0 || (size_t)n >= len)
		return n;
	if (strchr(buf, '.') != NULL) {
		while (n > 0 && buf[n - 1] == '0')
			buf[--n] = '\0';
		if (n > 0 && buf[n - 1] == '.')
			buf[--n] = '\0';
	}
	if (strcmp(buf, "-0") == 0)
		n = snprintf(buf, len, "0");
	return n;
}

int range_format(const struct range *r, char *buf, size_t len)
{
	char s[400], e[400];

	number_format(r->start, s, sizeof(s));
	number_format(r->end, e, sizeof(e));
	if (r->start_inf)
		snprintf(s, sizeof(s), "~");
	if (r->end_inf)
		e[0] = '\0';
	if (!r->inside && !r->start_inf && !r->end_inf && r->start == 0)
		return snprintf(buf, len, "%s", e);
	return snprintf(buf, len, "%s%s:%s", r->inside ? "@" : "", s, e);
}

enum state range_state(const struct range *warn, const struct range *crit,
		       double value)
{
	if (crit != NULL && range_alert(crit, value))
		return STATE_CRITICAL;
	if (warn != NULL && range_alert(warn, value))
		return STATE_WARNING;
	return STATE_OK;
}

/* A short decimal: "250", "41", "2.5", "0.25"; trailing zeros dropped. */
static void short_number(double v, char *buf, size_t len)
{
	double a = fabs(v);
	char *dot;

	if (a < 1) {
		snprintf(buf, len, "%.2g", v); /* "0.25", "0.001" */
		return;
	}
	snprintf(buf, len, a >= 10 ? "%.0f" : "%.1f", v);
	dot = strchr(buf, '.');
	if (dot != NULL) {
		char *end = buf + strlen(buf) - 1;

		while (end > dot && *end == '0')
			*end-- = '\0';
		if (end == dot)
			*end = '\0';
	}
}

void unit_format(double v, enum unit_kind kind, char *buf, size_t len)
{
	static const struct { double from, scale; const char *name; } times[] = {
		{ 2 * 86400, 86400, "d" }, { 7200, 3600, "h" }, { 120, 60, "min" },
		{ 1, 1, "s" }, { 0, 1e-3, "ms" },
	};
	static const char *const sizes[] = { "B", "KB", "MB", "GB", "TB" };
	char num[64];

	if (!isfinite(v)) {
		snprintf(buf, len, "unknown");
		return;
	}
	switch (kind) {
	case UNIT_TIME:
		for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++)
			if (fabs(v) >= times[i].from || i + 1 == sizeof(times) / sizeof(times[0])) {
				short_number(v / times[i].scale, num, sizeof(num));
				snprintf(buf, len, "%s %s", num, times[i].name);
				return;
			}
		break;
	case UNIT_SIZE: {
		int u = 0;

		while (fabs(v) >= 1024 && u < 4) {
			v /= 1024;
			u++;
		}
		short_number(v, num, sizeof(num));
		snprintf(buf, len, "%s %s", num, sizes[u]);
		return;
	}
	case UNIT_PERCENT:
		short_number(v, num, sizeof(num));
		snprintf(buf, len, "%s%%", num);
		return;
	default:
		number_format(v, buf, len);
		return;
	}
}

/* Why value alerts under r, "over 2 d", into buf. */
static void breach_text(const struct range *r, double value, enum unit_kind kind, char *buf,
			size_t len)
{
	char a[64], b[64];

	unit_format(r->start, kind, a, sizeof(a));
	unit_format(r->end, kind, b, sizeof(b));
	if (r->inside) {
		if (r->start_inf)
			snprintf(buf, len, "at or under %s", b);
		else if (r->end_inf)
			snprintf(buf, len, "at or over %s", a);
		else
			snprintf(buf, len, "inside %s to %s", a, b);
	} else if (!r->end_inf && value > r->end) {
		snprintf(buf, len, "over %s", b);
	} else {
		snprintf(buf, len, "under %s", a);
	}
}

enum state range_judge(const struct range *warn, const struct range *crit, double value,
		       enum unit_kind kind, char *buf, size_t len)
{
	enum state s = range_state(warn, crit, value);
	char why[160];

	if (len > 0)
		buf[0] = '\0';
	if (s == STATE_OK)
		return s;
	breach_text(s == STATE_CRITICAL ? crit : warn, value, kind, why, sizeof(why));
	snprintf(buf, len, "%s %s", s == STATE_CRITICAL ? "critical" : "warning", why);
	return s;
}
