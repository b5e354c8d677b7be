/* libFuzzer target: thresholds as -w and -c take them (common/range):
 * Nagios ranges with time, size and percent units, single numbers with a
 * unit (unit_parse), and what is written from them: range_format (the
 * warn and crit fields of perfdata), number_format, unit_format,
 * range_judge.  The first input byte picks the unit kind and the default
 * unit; the rest, up to a NUL, is the text as it comes from argv.
 *
 * Invariants checked besides "no crash": a refusal says why; a value is
 * finite; a range written by range_format parses again (in the base unit)
 * to a range with the same flags, and from the second writing on the text
 * stays the same, so perfdata thresholds always read back; the end points of a range are inside it
 * (alert for "@", no alert otherwise); range_judge's state is
 * range_state's and it names a limit exactly when the state is not OK;
 * number_format writes only digits, '-', '.' (or "U"), never an
 * exponent, and fits the buffer the callers give it.
 * make fuzz builds and runs it. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "range.h"

static const char *const default_units[UNIT_LAST][4] = {
	[UNIT_NONE] = { NULL, NULL, NULL, NULL },
	[UNIT_TIME] = { NULL, "s", "ms", "us" },
	[UNIT_SIZE] = { NULL, "B", "KB", "MB" },
	[UNIT_PERCENT] = { NULL, "%", NULL, "%" },
};

static void check_number(double v)
{
	char buf[400];
	int n = number_format(v, buf, sizeof(buf));

	if (n < 0 || (size_t)n >= sizeof(buf) || (size_t)n != strlen(buf))
		abort();
	if (strcmp(buf, "U") == 0) {
		if (isfinite(v))
			abort();
		return;
	}
	if (buf[strspn(buf, "-.0123456789")] != '\0' || buf[0] == '\0')
		abort();
}

/* What the plugins write about a value against the range. */
static void judge(const struct range *r, double v, enum unit_kind kind)
{
	char buf[256];
	enum state s = range_judge(r, NULL, v, kind, buf, sizeof(buf));

	if (s != range_state(r, NULL, v) || (s == STATE_OK) != (buf[0] == '\0'))
		abort();
	s = range_judge(NULL, r, v, kind, buf, sizeof(buf));
	if (s != range_state(NULL, r, v) || (s == STATE_OK) != (buf[0] == '\0'))
		abort();
	unit_format(v, kind, buf, sizeof(buf));
	if (buf[0] == '\0' || strlen(buf) >= sizeof(buf))
		abort();
}

static void check_range(const struct range *r, enum unit_kind kind)
{
	char text[1024], again[1024], err[256];
	struct range r2;
	int n;

	if (!r->start_inf && !r->end_inf && r->start > r->end)
		abort();
	if ((!r->start_inf && !isfinite(r->start)) || (!r->end_inf && !isfinite(r->end)))
		abort();
	check_number(r->start);
	check_number(r->end);
	/* Written, read back, written again: the same flags, and from the
	 * second writing on the same text (the first may round, or drop a
	 * start that rounds to 0). */
	n = range_format(r, text, sizeof(text));
	if (n <= 0 || (size_t)n >= sizeof(text))
		abort();
	for (int round = 0; round < 2; round++) {
		if (range_parse(&r2, text, kind, NULL, err, sizeof(err)) != 0)
			abort();
		if (r2.inside != r->inside || r2.start_inf != r->start_inf ||
		    r2.end_inf != r->end_inf)
			abort();
		n = range_format(&r2, again, sizeof(again));
		if (n <= 0 || (size_t)n >= sizeof(again) || (round == 1 && strcmp(text, again) != 0))
			abort();
		memcpy(text, again, sizeof(text));
	}
	if (!r->start_inf && range_alert(r, r->start) != r->inside)
		abort();
	if (!r->end_inf && range_alert(r, r->end) != r->inside)
		abort();
	if (!r->start_inf)
		judge(r, r->start, kind);
	if (!r->end_inf)
		judge(r, r->end, kind);
	judge(r, 0, kind);
	judge(r, NAN, kind);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum unit_kind kind;
	const char *unit;
	char *text, err[256];
	struct range r;
	bool ranged = false;
	double v;

	if (size < 1)
		return 0;
	kind = (enum unit_kind)(data[0] % UNIT_LAST);
	unit = default_units[kind][(data[0] >> 2) % 4];
	text = strndup((const char *)data + 1, size - 1);
	if (text == NULL)
		return 0;

	err[0] = '\0';
	if (range_parse(&r, text, kind, unit, err, sizeof(err)) == 0) {
		ranged = true;
		check_range(&r, kind);
	} else if (err[0] == '\0') {
		abort();
	}
	err[0] = '\0';
	if (unit_parse(text, kind, unit, &v, err, sizeof(err)) == 0) {
		if (!isfinite(v))
			abort();
		check_number(v);
		if (ranged)
			judge(&r, v, kind);
	} else if (err[0] == '\0') {
		abort();
	}
	if (size >= 9) {
		/* Any double, as a measurement may be. */
		memcpy(&v, data + 1, sizeof(v));
		check_number(v);
		unit_format(v, kind, err, sizeof(err));
	}
	free(text);
	return 0;
}
