#include "result.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "range.h"

struct result {
	char *service;
	enum state state;
	char *summary;
	bool oom;
	const char *internal; /* a programming error found at run time */
	struct result_line *lines;
	size_t nlines, caplines;
	struct result_perf_item *perf;
	size_t nperf, capperf;
};

static const char *const state_names[STATE_LAST] = {
	[STATE_OK] = "OK",
	[STATE_WARNING] = "WARNING",
	[STATE_CRITICAL] = "CRITICAL",
	[STATE_UNKNOWN] = "UNKNOWN",
};

/* Rank for worst-of: CRITICAL > WARNING > UNKNOWN > OK. */
static const int state_rank[STATE_LAST] = {
	[STATE_OK] = 0,
	[STATE_UNKNOWN] = 1,
	[STATE_WARNING] = 2,
	[STATE_CRITICAL] = 3,
};

/* The units perfdata may carry, and the size of each in the base unit that
 * ranges are held in (seconds, bytes). */
static const struct {
	const char *name;
	double base;
} perf_uoms[] = {
	{ "", 1 }, { "s", 1 }, { "ms", 1e-3 }, { "us", 1e-6 }, { "%", 1 },
	{ "B", 1 }, { "KB", 1024.0 }, { "MB", 1048576.0 }, { "GB", 1073741824.0 },
	{ "TB", 1099511627776.0 }, { "c", 1 },
};

const char *state_name(enum state s)
{
	return (unsigned)s < STATE_LAST ? state_names[s] : "UNKNOWN";
}

enum state state_worst(enum state a, enum state b)
{
	if ((unsigned)a >= STATE_LAST)
		a = STATE_UNKNOWN;
	if ((unsigned)b >= STATE_LAST)
		b = STATE_UNKNOWN;
	return state_rank[a] >= state_rank[b] ? a : b;
}

int state_parse(const char *text, enum state *out)
{
	for (int s = 0; s < STATE_LAST; s++) {
		char digit[2] = { (char)('0' + s), '\0' };

		if (strcasecmp(text, state_names[s]) == 0 || strcmp(text, digit) == 0) {
			*out = (enum state)s;
			return 0;
		}
	}
	return -1;
}

struct result *result_new(const char *service)
{
	struct result *res = calloc(1, sizeof(*res));

	if (res == NULL)
		return NULL;
	res->service = strdup(service);
	if (res->service == NULL) {
		free(res);
		return NULL;
	}
	res->state = STATE_OK;
	return res;
}

void result_free(struct result *res)
{
	if (res == NULL)
		return;
	for (size_t i = 0; i < res->nlines; i++) {
		free(res->lines[i].text);
		free(res->lines[i].brief);
	}
	for (size_t i = 0; i < res->nperf; i++)
		free(res->perf[i].label);
	free(res->lines);
	free(res->perf);
	free(res->summary);
	free(res->service);
	free(res);
}

void result_raise(struct result *res, enum state s)
{
	res->state = state_worst(res->state, s);
}

/* vasprintf that records running out of memory in the result. */
__attribute__((format(printf, 2, 0)))
static char *format(struct result *res, const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) < 0) {
		res->oom = true;
		return NULL;
	}
	return s;
}

void result_summary(struct result *res, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = format(res, fmt, ap);
	va_end(ap);
	if (s == NULL)
		return;
	free(res->summary);
	res->summary = s;
}

/* Grows an array of `size`-byte elements to hold one more; false when out
 * of memory. */
static bool grow(void **arr, size_t *cap, size_t n, size_t size)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return true;
	ncap = *cap ? *cap * 2 : 8;
	p = realloc(*arr, ncap * size);
	if (p == NULL)
		return false;
	*arr = p;
	*cap = ncap;
	return true;
}

__attribute__((format(printf, 4, 0)))
static void add_line(struct result *res, enum state s, int level,
		     const char *fmt, va_list ap)
{
	char *text = format(res, fmt, ap);

	if (text == NULL)
		return;
	if (!grow((void **)&res->lines, &res->caplines, res->nlines,
		  sizeof(*res->lines))) {
		free(text);
		res->oom = true;
		return;
	}
	res->lines[res->nlines++] = (struct result_line){ s, level, text, NULL, false };
}

void result_sub(struct result *res, enum state s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_line(res, s, 0, fmt, ap);
	va_end(ap);
	result_raise(res, s);
}

void result_sub_brief(struct result *res, enum state s, const char *brief, const char *fmt,
		      ...)
{
	va_list ap;
	size_t n = res->nlines;

	va_start(ap, fmt);
	add_line(res, s, 0, fmt, ap);
	va_end(ap);
	result_raise(res, s);
	if (res->nlines > n && brief != NULL) {
		res->lines[n].brief = strdup(brief);
		res->oom |= res->lines[n].brief == NULL;
	}
}

void result_detail(struct result *res, int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_line(res, STATE_OK, level < 1 ? 1 : level, fmt, ap);
	va_end(ap);
}

void result_note(struct result *res, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_line(res, STATE_OK, 0, fmt, ap);
	va_end(ap);
	if (res->nlines > 0 && res->lines[res->nlines - 1].level == 0)
		res->lines[res->nlines - 1].note = true;
}

/* Sub-results in the order they are shown: worst state first. */
const enum state result_display_order[RESULT_NORDER] = {
	STATE_CRITICAL, STATE_WARNING, STATE_UNKNOWN, STATE_OK,
};

const char *result_problems(const struct result *res, size_t max, char *buf, size_t len)
{
	size_t used = 0, shown = 0, more = 0;

	if (len > 0)
		buf[0] = '\0';
	for (size_t o = 0; o < RESULT_NORDER && result_display_order[o] != STATE_OK; o++)
		for (size_t i = 0; i < res->nlines; i++) {
			const struct result_line *l = &res->lines[i];

			if (l->level != 0 || l->note || l->state != result_display_order[o])
				continue;
			if (shown == max || used >= len) {
				more++;
				continue;
			}
			used += (size_t)snprintf(buf + used, len - used, "%s%s", shown ? "; " : "",
						 l->brief ? l->brief : l->text);
			shown++;
		}
	if (more > 0 && used < len)
		snprintf(buf + used, len - used, " (and %zu more)", more);
	return buf;
}

/* The size of one `uom` in the base unit; 0 for a unit perfdata may not
 * carry. */
static double uom_base(const char *uom)
{
	for (size_t i = 0; i < sizeof(perf_uoms) / sizeof(perf_uoms[0]); i++)
		if (strcmp(uom, perf_uoms[i].name) == 0)
			return perf_uoms[i].base;
	return 0;
}

/* Writes a threshold range in the item's unit: ranges are held in seconds
 * and bytes, a "ms" item wants its thresholds in milliseconds. */
static void threshold_text(const struct range *r, double base, char *buf, size_t len)
{
	struct range scaled = *r;

	scaled.start /= base;
	scaled.end /= base;
	range_format(&scaled, buf, len);
}

void result_perf(struct result *res, const struct perf *p)
{
	struct result_perf_item *it;
	const char *uom = p->uom ? p->uom : "";
	double base = uom_base(uom);

	if (base == 0) {
		res->internal = "internal error: a perfdata unit outside the plugin guidelines";
		return;
	}
	if (!grow((void **)&res->perf, &res->capperf, res->nperf, sizeof(*res->perf))) {
		res->oom = true;
		return;
	}
	it = &res->perf[res->nperf];
	memset(it, 0, sizeof(*it));
	it->label = strdup(p->label);
	if (it->label == NULL) {
		res->oom = true;
		return;
	}
	it->value = p->value;
	snprintf(it->uom, sizeof(it->uom), "%s", uom);
	if (p->warn != NULL) {
		it->has_warn = true;
		threshold_text(p->warn, base, it->warn, sizeof(it->warn));
	}
	if (p->crit != NULL) {
		it->has_crit = true;
		threshold_text(p->crit, base, it->crit, sizeof(it->crit));
	}
	it->min = p->min;
	it->max = p->max;
	res->nperf++;
}

enum state result_state(const struct result *res)
{
	return res->oom || res->internal ? STATE_UNKNOWN : res->state;
}

const char *result_service(const struct result *res)
{
	return res->service;
}

const char *result_get_summary(const struct result *res)
{
	if (res->oom)
		return "out of memory";
	if (res->internal)
		return res->internal;
	return res->summary ? res->summary : "";
}

size_t result_nlines(const struct result *res)
{
	return res->nlines;
}

const struct result_line *result_line(const struct result *res, size_t i)
{
	return i < res->nlines ? &res->lines[i] : NULL;
}

size_t result_nperf(const struct result *res)
{
	return res->nperf;
}

const struct result_perf_item *result_perf_at(const struct result *res, size_t i)
{
	return i < res->nperf ? &res->perf[i] : NULL;
}
