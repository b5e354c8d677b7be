#include "maildate.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct cursor {
	const unsigned char *p, *end;
};

static int bad(char *err, size_t errlen, const char *why)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", why);
	return -1;
}

/* Skips white space, line ends (folding) and comments, which nest and may
 * hold quoted pairs.  Returns -1 on an unclosed comment. */
static int skip_cfws(struct cursor *c)
{
	while (c->p < c->end) {
		unsigned char ch = *c->p;

		if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n') {
			c->p++;
			continue;
		}
		if (ch != '(')
			return 0;
		int depth = 0;

		do {
			if (*c->p == '\\' && c->p + 1 < c->end)
				c->p++;
			else if (*c->p == '(')
				depth++;
			else if (*c->p == ')')
				depth--;
			c->p++;
		} while (depth > 0 && c->p < c->end);
		if (depth > 0)
			return -1;
	}
	return 0;
}

static bool is_alpha(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static bool is_digit(unsigned char ch)
{
	return ch >= '0' && ch <= '9';
}

/* A run of letters into word (lower case); its length, 0 when none. */
static size_t word(struct cursor *c, char *w, size_t wlen)
{
	size_t n = 0;

	while (c->p < c->end && is_alpha(*c->p)) {
		if (n + 1 < wlen)
			w[n] = (char)(*c->p | 0x20);
		n++;
		c->p++;
	}
	w[n + 1 < wlen ? n : wlen - 1] = '\0';
	return n;
}

/* A run of 1..max digits; the number of digits, 0 when none or too many. */
static int digits(struct cursor *c, int max, long *v)
{
	int n = 0;

	*v = 0;
	while (c->p < c->end && is_digit(*c->p)) {
		if (++n > max)
			return 0;
		*v = *v * 10 + (*c->p - '0');
		c->p++;
	}
	return n;
}

static const char *const months[12] = {
	"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"
};

static const char *const days[7][2] = {
	{ "mon", "monday" }, { "tue", "tuesday" }, { "wed", "wednesday" },
	{ "thu", "thursday" }, { "fri", "friday" }, { "sat", "saturday" }, { "sun", "sunday" },
};

static const struct zone_name {
	const char *name;
	int minutes;
} zone_names[] = {
	{ "ut", 0 }, { "gmt", 0 }, { "utc", 0 }, { "z", 0 },
	{ "est", -300 }, { "edt", -240 }, { "cst", -360 }, { "cdt", -300 },
	{ "mst", -420 }, { "mdt", -360 }, { "pst", -480 }, { "pdt", -420 },
};

static bool leap(long y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; H. Hinnant's
 * days_from_civil). */
static int64_t days_from_civil(long y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

/* The zone at c, if any ("+0100", "GMT", "EST", a military letter), in
 * minutes east into *zone.  Returns NULL, or why it is no zone. */
static const char *zone_offset(struct cursor *c, int *zone)
{
	char w[16];

	*zone = 0;
	if (c->p < c->end && (*c->p == '+' || *c->p == '-')) {
		int sign = *c->p == '-' ? -1 : 1;
		long zh;

		c->p++;
		if (digits(c, 4, &zh) != 4 || zh % 100 > 59)
			return "bad zone offset";
		*zone = sign * (int)(zh / 100 * 60 + zh % 100);
	} else if (c->p < c->end && is_alpha(*c->p)) {
		size_t n = word(c, w, sizeof(w));

		for (size_t i = 0; i < sizeof(zone_names) / sizeof(zone_names[0]); i++)
			if (strcmp(w, zone_names[i].name) == 0) {
				*zone = zone_names[i].minutes;
				return NULL;
			}
		/* Military zones: their signs were defined backwards, so RFC
		 * 5322 4.3 says to take them as -0000 (unknown). */
		if (n != 1 || w[0] == 'j')
			return "unknown zone";
	}
	return NULL;
}

int maildate_parse(const unsigned char *s, size_t len, time_t *out, char *err,
		   size_t errlen)
{
	struct cursor c = { s, s + len };
	char w[16];
	long day, year, hour, minute, second = 0;
	int month = -1, zone = 0, nd;
	const char *why;
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (skip_cfws(&c) < 0)
		return bad(err, errlen, "unclosed comment");
	/* Optional day of week, with its comma. */
	if (c.p < c.end && is_alpha(*c.p)) {
		bool known = false;

		word(&c, w, sizeof(w));
		for (int i = 0; i < 7; i++)
			known |= strcmp(w, days[i][0]) == 0 || strcmp(w, days[i][1]) == 0;
		if (!known)
			return bad(err, errlen, "no day of the month");
		if (skip_cfws(&c) < 0)
			return bad(err, errlen, "unclosed comment");
		if (c.p < c.end && *c.p == ',')
			c.p++;
		if (skip_cfws(&c) < 0)
			return bad(err, errlen, "unclosed comment");
	}
	if (digits(&c, 2, &day) == 0 || day < 1)
		return bad(err, errlen, "no day of the month");
	if (skip_cfws(&c) < 0)
		return bad(err, errlen, "unclosed comment");
	if (word(&c, w, sizeof(w)) != 3)
		return bad(err, errlen, "no month name");
	for (int i = 0; i < 12; i++)
		if (strcmp(w, months[i]) == 0)
			month = i;
	if (month < 0)
		return bad(err, errlen, "unknown month name");
	if (skip_cfws(&c) < 0)
		return bad(err, errlen, "unclosed comment");
	nd = digits(&c, 4, &year);
	if (nd < 2)
		return bad(err, errlen, "no year");
	if (nd == 2)
		year += year < 50 ? 2000 : 1900;
	else if (nd == 3)
		year += 1900;
	if (year < 1900)
		return bad(err, errlen, "year before 1900");
	if (day > mdays[month] + (month == 1 && leap(year)))
		return bad(err, errlen, "no such day in that month");
	if (skip_cfws(&c) < 0)
		return bad(err, errlen, "unclosed comment");
	if (digits(&c, 2, &hour) == 0 || hour > 23)
		return bad(err, errlen, "no valid hour");
	if (skip_cfws(&c) < 0 || c.p >= c.end || *c.p != ':')
		return bad(err, errlen, "no ':' after the hour");
	c.p++;
	if (skip_cfws(&c) < 0 || digits(&c, 2, &minute) != 2 || minute > 59)
		return bad(err, errlen, "no valid minute");
	if (skip_cfws(&c) < 0)
		return bad(err, errlen, "unclosed comment");
	if (c.p < c.end && *c.p == ':') {
		c.p++;
		if (skip_cfws(&c) < 0 || digits(&c, 2, &second) != 2 || second > 60)
			return bad(err, errlen, "no valid second");
		if (skip_cfws(&c) < 0)
			return bad(err, errlen, "unclosed comment");
	}
	why = zone_offset(&c, &zone);
	if (why != NULL)
		return bad(err, errlen, why);
	if (skip_cfws(&c) < 0)
		return bad(err, errlen, "unclosed comment");
	if (c.p != c.end)
		return bad(err, errlen, "trailing text after the date");
	if (second == 60)
		second = 59; /* a leap second: time_t has none */
	*out = (time_t)(days_from_civil(year, month + 1, (int)day) * 86400 + hour * 3600 +
			minute * 60 + second - (int64_t)zone * 60);
	return 0;
}

int maildate_received(const unsigned char *s, size_t len, time_t *out, char *err,
		      size_t errlen)
{
	const unsigned char *semi = NULL;

	for (size_t i = 0; i < len; i++)
		if (s[i] == ';')
			semi = s + i;
	if (semi == NULL)
		return bad(err, errlen, "no ';' before the date");
	return maildate_parse(semi + 1, len - (size_t)(semi + 1 - s), out, err, errlen);
}
