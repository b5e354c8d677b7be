#include "result.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "range.h"

/* A threshold written once: a check of many hosts gives every host the
 * same -w and -c, and formatting them is most of its perfdata's cost. */
#define THRESHOLD_MEMO 8
struct threshold_memo {
	struct range r;
	double base;
	const char *text; /* in the pool */
};

/* Perfdata strings (labels, thresholds) live in chunks that are freed
 * together: 10,000 hosts have 60,000 labels, and a malloc each would cost
 * more than the text. */
#define POOL_CHUNK 65536
struct pool_chunk {
	struct pool_chunk *next;
	size_t used, size;
	char text[];
};

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
	struct threshold_memo memo[THRESHOLD_MEMO]; /* recent threshold texts */
	size_t nmemo, memo_next;
	struct pool_chunk *pool;
};

/* A copy of n bytes of s and a NUL in res's pool; NULL when out of memory. */
static const char *pool_copy(struct result *res, const char *s, size_t n)
{
	struct pool_chunk *c = res->pool;
	char *p;

	if (c == NULL || c->size - c->used < n + 1) {
		size_t size = n + 1 > POOL_CHUNK ? n + 1 : POOL_CHUNK;

		c = malloc(sizeof(*c) + size);
		if (c == NULL)
			return NULL;
		c->next = res->pool;
		c->used = 0;
		c->size = size;
		res->pool = c;
	}
	p = c->text + c->used;
	memcpy(p, s, n);
	p[n] = '\0';
	c->used += n + 1;
	return p;
}

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
	while (res->pool) {
		struct pool_chunk *next = res->pool->next;

		free(res->pool);
		res->pool = next;
	}
	free(res->lines);
	free(res->perf);
	free(res->summary);
	free(res->service);
	free(res);
}

void result_set_state(struct result *res, enum state s)
{
	res->state = (unsigned)s < STATE_LAST ? s : STATE_UNKNOWN;
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

size_t result_count(const struct result *res, enum state s)
{
	size_t n = 0;

	for (size_t i = 0; i < res->nlines; i++)
		n += res->lines[i].level == 0 && !res->lines[i].note && res->lines[i].state == s;
	return n;
}

void result_text_put(char *buf, size_t len, size_t *used, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*used >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *used, len - *used, fmt, ap);
	va_end(ap);
	*used += n > 0 ? (size_t)n : 0;
}

const char *result_problems_by_state(const struct result *res, size_t max, char *buf,
				     size_t len)
{
	size_t used = 0;

	if (len > 0)
		buf[0] = '\0';
	for (size_t o = 0; o < RESULT_NORDER && result_display_order[o] != STATE_OK; o++) {
		enum state s = result_display_order[o];
		size_t shown = 0, n = result_count(res, s);

		if (n == 0)
			continue;
		result_text_put(buf, len, &used, "%s%s: ", used ? "; " : "", state_name(s));
		for (size_t i = 0; i < res->nlines && shown < max; i++) {
			const struct result_line *l = &res->lines[i];

			if (l->level != 0 || l->note || l->state != s)
				continue;
			result_text_put(buf, len, &used, "%s%s", shown ? ", " : "",
					l->brief ? l->brief : l->text);
			shown++;
		}
		if (n > shown)
			result_text_put(buf, len, &used, "%s(and %zu more)", shown ? " " : "",
					n - shown);
	}
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
/* The text of a threshold range in the item's unit (ranges are held in
 * seconds and bytes, a "ms" item wants milliseconds), from the pool. */
static const char *threshold_text(struct result *res, const struct range *r, double base)
{
	struct range scaled = *r;
	struct threshold_memo *m;
	char buf[128];
	const char *text;

	for (size_t i = 0; i < res->nmemo; i++) {
		m = &res->memo[i];
		if (m->base == base && m->r.start == r->start && m->r.end == r->end &&
		    m->r.start_inf == r->start_inf && m->r.end_inf == r->end_inf &&
		    m->r.inside == r->inside)
			return m->text;
	}
	scaled.start /= base;
	scaled.end /= base;
	range_format(&scaled, buf, sizeof(buf));
	text = pool_copy(res, buf, strlen(buf));
	if (text == NULL)
		return NULL;
	m = &res->memo[res->memo_next];
	res->memo_next = (res->memo_next + 1) % THRESHOLD_MEMO;
	if (res->nmemo < THRESHOLD_MEMO)
		res->nmemo++;
	m->r = *r;
	m->base = base;
	m->text = text;
	return text;
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
	it->label = pool_copy(res, p->label, strlen(p->label));
	it->value = p->value;
	strncpy(it->uom, uom, sizeof(it->uom) - 1); /* the units are short */
	it->has_warn = p->warn != NULL;
	it->has_crit = p->crit != NULL;
	it->warn = it->has_warn ? threshold_text(res, p->warn, base) : "";
	it->crit = it->has_crit ? threshold_text(res, p->crit, base) : "";
	if (it->label == NULL || it->warn == NULL || it->crit == NULL) {
		res->oom = true;
		return;
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
