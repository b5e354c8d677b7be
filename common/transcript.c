#include "transcript.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct entry {
	int64_t ns; /* since connect */
	char *text; /* "C: ...", "S: ...", "-- ..." */
};

struct transcript {
	int64_t start_ns;
	struct entry *e;
	size_t n, cap;
	size_t bytes;   /* text kept */
	size_t dropped; /* lines not kept: over the caps, or out of memory */
};

struct transcript *transcript_new(void)
{
	struct transcript *t = calloc(1, sizeof(*t));

	if (t != NULL)
		t->start_ns = mono_now_ns();
	return t;
}

void transcript_free(struct transcript *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->n; i++)
		free(t->e[i].text);
	free(t->e);
	free(t);
}

void transcript_restart(struct transcript *t)
{
	if (t != NULL)
		t->start_ns = mono_now_ns();
}

/* Whether one more line of len bytes may be kept; counts it when not. */
static bool room_for(struct transcript *t, size_t len)
{
	if (t->n < TRANSCRIPT_MAX_LINES && t->bytes + len <= TRANSCRIPT_MAX_BYTES)
		return true;
	t->dropped++;
	return false;
}

static void add(struct transcript *t, char *text)
{
	if (text == NULL) {
		t->dropped++;
		return;
	}
	if (!room_for(t, strlen(text))) {
		free(text);
		return;
	}
	if (t->n == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 32;
		struct entry *ne = realloc(t->e, ncap * sizeof(*ne));

		if (ne == NULL) {
			free(text);
			t->dropped++;
			return;
		}
		t->e = ne;
		t->cap = ncap;
	}
	t->bytes += strlen(text);
	t->e[t->n++] = (struct entry){ mono_now_ns() - t->start_ns, text };
}

void transcript_line(struct transcript *t, char who, const char *line, size_t len)
{
	char *text, *p;

	if (t == NULL || !room_for(t, 3 + len))
		return;
	/* Worst case every byte becomes \xHH. */
	text = malloc(4 + 4 * len + 1);
	if (text == NULL)
		return;
	p = text + sprintf(text, "%c: ", who);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if (c < 0x20 || c == 0x7f)
			p += sprintf(p, "\\x%02x", c);
		else
			*p++ = (char)c;
	}
	*p = '\0';
	add(t, text);
}

void transcript_note(struct transcript *t, const char *fmt, ...)
{
	va_list ap;
	char *body, *text;

	if (t == NULL)
		return;
	va_start(ap, fmt);
	if (vasprintf(&body, fmt, ap) < 0)
		body = NULL;
	va_end(ap);
	if (body == NULL)
		return;
	if (asprintf(&text, "-- %s", body) < 0)
		text = NULL;
	free(body);
	add(t, text);
}

size_t transcript_count(const struct transcript *t)
{
	return t ? t->n : 0;
}

const char *transcript_get(const struct transcript *t, size_t i)
{
	return t && i < t->n ? t->e[i].text : NULL;
}

void transcript_to_result(const struct transcript *t, struct result *res, int level,
			  int with_times)
{
	for (size_t i = 0; t != NULL && i < t->n; i++) {
		if (with_times)
			result_detail(res, level, "%8.1f ms %s", (double)t->e[i].ns / NS_PER_MS,
				      t->e[i].text);
		else
			result_detail(res, level, "%s", t->e[i].text);
	}
	if (t != NULL && t->dropped > 0)
		result_detail(res, level, "-- %zu more lines not kept (a run keeps %d lines, %d KB)",
			      t->dropped, TRANSCRIPT_MAX_LINES, TRANSCRIPT_MAX_BYTES / 1024);
}

char *transcript_mask(const char *line, size_t keep, char *buf, size_t len)
{
	size_t n = strlen(line);

	if (keep > n)
		keep = n;
	snprintf(buf, len, "%.*s********", (int)keep, line);
	return buf;
}
