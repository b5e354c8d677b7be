/* libFuzzer target: the number parsers of common/opts as option values
 * reach them from argv: integers (-p, counts), decimals, durations
 * ("250ms", "2m"), -t SECONDS[:STATE], -D WARN[,CRIT] days, and pairs
 * "A,B" (check_icmp's RTA,PL% and --jitter WARN,CRIT), with time, size
 * and percent units.  The first input byte picks bounds and default
 * units; the rest, up to a NUL, is the option's value.
 *
 * Invariants checked besides "no crash": a refusal says why; an accepted
 * value is within the bounds asked for and finite; an integer is what
 * strtol reads; a duration written back in milliseconds reads back the
 * same; a timeout's state is one of the four; days keep crit <= warn; a
 * pair has at least one side, each side NaN or a finite value >= 0.
 * make fuzz builds and runs it. */
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opts.h"

static void refused(int rc, const char *err)
{
	if (rc != -1 || err[0] == '\0')
		abort();
}

static void integers(const char *text, uint8_t sel)
{
	static const long bounds[][2] = {
		{ 1, 65535 }, { 0, 255 }, { -1000, 1000 }, { 1, 10000000 }, { 0, 0 },
		{ -2147483648L, 2147483647L }, { 1, 1 }, { -5, -1 },
	};
	const long *b = bounds[sel % 8];
	char err[256] = "";
	long v = 0;
	int rc = opts_long(text, b[0], b[1], &v, err, sizeof(err));

	if (rc != 0) {
		refused(rc, err);
		return;
	}
	if (v < b[0] || v > b[1] || strtol(text, NULL, 10) != v)
		abort();
}

static void decimals(const char *text, uint8_t sel)
{
	double min = sel & 1 ? -100 : 0, max = sel & 2 ? 36500 : 1e300, v = NAN, w, c;
	char err[256] = "";
	int rc = opts_double(text, min, max, &v, err, sizeof(err));

	if (rc != 0)
		refused(rc, err);
	else if (!isfinite(v) || v < min || v > max)
		abort();
	err[0] = '\0';
	rc = opts_days_pair(text, &w, &c, err, sizeof(err));
	if (rc != 0)
		refused(rc, err);
	else if (w < 0 || w > 36500 || (c != -1 && (c < 0 || c > w)))
		abort();
}

static void durations(const char *text, uint8_t sel)
{
	static const char *const units[] = { "s", "ms", "us", "m", NULL };
	const char *unit = units[sel % 5];
	int64_t max = sel & 8 ? OPTS_MAX_TIMEOUT_MS : 1000, ms = 0, again = 0;
	enum state st = STATE_LAST;
	char err[256] = "", back[64];
	int rc = opts_duration_ms(text, unit, max, &ms, err, sizeof(err));

	if (rc != 0) {
		refused(rc, err);
	} else {
		if (ms < 1 || ms > max)
			abort();
		snprintf(back, sizeof(back), "%" PRId64 "ms", ms);
		if (opts_duration_ms(back, unit, max, &again, err, sizeof(err)) != 0 || again != ms)
			abort();
	}
	err[0] = '\0';
	rc = opts_timeout(text, &ms, &st, err, sizeof(err));
	if (rc != 0)
		refused(rc, err);
	else if (ms < 1 || ms > OPTS_MAX_TIMEOUT_MS || (unsigned)st >= STATE_LAST)
		abort();
}

static void pairs(const char *text, uint8_t sel)
{
	static const enum unit_kind kinds[] = { UNIT_TIME, UNIT_PERCENT, UNIT_NONE, UNIT_SIZE };
	static const char *const units[] = { "ms", NULL, NULL, "B" };
	int i = sel % 4, j = (sel >> 2) % 4;
	double a = 0, b = 0;
	char err[256] = "";
	int rc = opts_pair(text, kinds[i], units[i], kinds[j], units[j], &a, &b, err, sizeof(err));

	if (rc != 0) {
		refused(rc, err);
		return;
	}
	if (isnan(a) && isnan(b))
		abort();
	if ((!isnan(a) && (!isfinite(a) || a < 0)) || (!isnan(b) && (!isfinite(b) || b < 0)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;

	if (size < 1)
		return 0;
	text = strndup((const char *)data + 1, size - 1);
	if (text == NULL)
		return 0;
	integers(text, data[0]);
	decimals(text, data[0]);
	durations(text, data[0]);
	pairs(text, data[0]);
	free(text);
	return 0;
}
