#include "output.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "range.h"

enum text_mode {
	TEXT_LINE,  /* classic output: one line, no '|', no control bytes */
	TEXT_LABEL, /* perfdata label inside quotes: also no '=', quote doubled */
	TEXT_JSON,  /* JSON string contents */
};

int output_format_parse(const char *text, enum output_format *out)
{
	if (strcmp(text, "classic") == 0)
		*out = OUTPUT_CLASSIC;
	else if (strcmp(text, "json") == 0)
		*out = OUTPUT_JSON;
	else
		return -1;
	return 0;
}

/* Length of the valid UTF-8 sequence of two to four bytes at s, or 0. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n;
	unsigned int cp;

	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* True for a byte put_text writes as it is in every mode. */
static bool plain_byte(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '|' && c != '=' && c != '\'' && c != '"' &&
	       c != '\\';
}

/* Writes text so that it is safe in the given place. */
static void put_text(FILE *out, const char *text, enum text_mode mode)
{
	const unsigned char *s = (const unsigned char *)text;

	while (*s != '\0') {
		unsigned char c = *s;
		size_t n = 0;

		/* Runs of ordinary characters go out in one piece. */
		while (plain_byte(s[n]))
			n++;
		if (n > 0) {
			fwrite(s, 1, n, out);
			s += n;
			continue;
		}

		if (c >= 0x80) {
			n = utf8_len(s);
			if (n > 0) {
				fwrite(s, 1, n, out);
				s += n;
			} else {
				fputs(mode == TEXT_JSON ? "\\ufffd" :
				      mode == TEXT_LABEL ? "_" : "?", out);
				s++;
			}
			continue;
		}
		s++;
		if (mode == TEXT_JSON) {
			if (c == '"' || c == '\\')
				fprintf(out, "\\%c", c);
			else if (c < 0x20 || c == 0x7f)
				fprintf(out, "\\u%04x", c);
			else
				fputc(c, out);
		} else if (c == '|') {
			fputc(mode == TEXT_LABEL ? '_' : '/', out);
		} else if (mode == TEXT_LABEL && c == '=') {
			fputc('_', out);
		} else if (mode == TEXT_LABEL && c == '\'') {
			fputs("''", out);
		} else if (c == '\t' || c == '\n' || c == '\r') {
			fputc(' ', out);
		} else if (c < 0x20 || c == 0x7f) {
			if (mode == TEXT_LABEL)
				fputc('_', out);
			else
				fprintf(out, "\\x%02x", c);
		} else {
			fputc(c, out);
		}
	}
}

/* A label must be quoted when it holds a space or a quote; characters that
 * put_text replaces are turned into '_' and need no quotes. */
static bool label_needs_quotes(const char *label)
{
	return label[0] == '\0' || strpbrk(label, " \t\r\n'") != NULL;
}

static void put_perf_item(FILE *out, const struct result_perf_item *it)
{
	char num[400];
	const char *fields[4];
	char minb[400], maxb[400];
	int last = -1;

	if (label_needs_quotes(it->label)) {
		fputc('\'', out);
		put_text(out, it->label, TEXT_LABEL);
		fputc('\'', out);
	} else {
		put_text(out, it->label, TEXT_LABEL);
	}
	number_format(it->value, num, sizeof(num));
	fputc('=', out);
	fputs(num, out);
	if (isfinite(it->value))
		fputs(it->uom, out);

	fields[0] = it->has_warn ? it->warn : "";
	fields[1] = it->has_crit ? it->crit : "";
	number_format(it->min, minb, sizeof(minb));
	number_format(it->max, maxb, sizeof(maxb));
	fields[2] = isfinite(it->min) ? minb : "";
	fields[3] = isfinite(it->max) ? maxb : "";
	for (int i = 0; i < 4; i++)
		if (fields[i][0] != '\0')
			last = i;
	for (int i = 0; i <= last; i++) {
		fputc(';', out);
		fputs(fields[i], out);
	}
}

int output_perfdata(const struct result *res, FILE *out)
{
	for (size_t i = 0; i < result_nperf(res); i++) {
		if (i > 0)
			fputc(' ', out);
		put_perf_item(out, result_perf_at(res, i));
	}
	return ferror(out) ? -1 : 0;
}

/* Sub-results are shown worst first (result_display_order), in the order
 * they were added within one state. */

static void write_classic(const struct result *res, int verbosity, FILE *out)
{
	size_t nlines = result_nlines(res);
	const char *summary = result_get_summary(res);

	fprintf(out, "%s %s", result_service(res), state_name(result_state(res)));
	if (summary[0] != '\0') {
		fputs(" - ", out);
		put_text(out, summary, TEXT_LINE);
	}
	if (result_nperf(res) > 0) {
		fputs(" | ", out);
		output_perfdata(res, out);
	}
	fputc('\n', out);

	for (size_t o = 0; o < RESULT_NORDER; o++)
		for (size_t i = 0; i < nlines; i++) {
			const struct result_line *l = result_line(res, i);

			if (l->level != 0 || l->note || l->state != result_display_order[o])
				continue;
			fprintf(out, "[%s] ", state_name(l->state));
			put_text(out, l->text, TEXT_LINE);
			fputc('\n', out);
		}
	for (size_t i = 0; i < nlines; i++) {
		const struct result_line *l = result_line(res, i);

		if (!l->note)
			continue;
		put_text(out, l->text, TEXT_LINE);
		fputc('\n', out);
	}
	for (size_t i = 0; i < nlines; i++) {
		const struct result_line *l = result_line(res, i);

		if (l->level == 0 || l->level > verbosity)
			continue;
		put_text(out, l->text, TEXT_LINE);
		fputc('\n', out);
	}
}

static void json_string(FILE *out, const char *s)
{
	fputc('"', out);
	put_text(out, s, TEXT_JSON);
	fputc('"', out);
}

static void json_number(FILE *out, double v)
{
	char num[400];

	if (!isfinite(v)) {
		fputs("null", out);
		return;
	}
	number_format(v, num, sizeof(num));
	fputs(num, out);
}

static void write_json(const struct result *res, int verbosity, FILE *out)
{
	size_t nlines = result_nlines(res);
	enum state st = result_state(res);
	bool first = true;

	fputs("{\"service\":", out);
	json_string(out, result_service(res));
	fputs(",\"state\":", out);
	json_string(out, state_name(st));
	fprintf(out, ",\"exit_code\":%d,\"summary\":", (int)st);
	json_string(out, result_get_summary(res));

	fputs(",\"metrics\":[", out);
	for (size_t i = 0; i < result_nperf(res); i++) {
		const struct result_perf_item *it = result_perf_at(res, i);

		fputs(i > 0 ? ",{\"label\":" : "{\"label\":", out);
		json_string(out, it->label);
		fputs(",\"value\":", out);
		json_number(out, it->value);
		fputs(",\"uom\":", out);
		json_string(out, it->uom);
		fputs(",\"warn\":", out);
		if (it->has_warn)
			json_string(out, it->warn);
		else
			fputs("null", out);
		fputs(",\"crit\":", out);
		if (it->has_crit)
			json_string(out, it->crit);
		else
			fputs("null", out);
		fputs(",\"min\":", out);
		json_number(out, it->min);
		fputs(",\"max\":", out);
		json_number(out, it->max);
		fputc('}', out);
	}

	fputs("],\"results\":[", out);
	for (size_t o = 0; o < RESULT_NORDER; o++)
		for (size_t i = 0; i < nlines; i++) {
			const struct result_line *l = result_line(res, i);

			if (l->level != 0 || l->note || l->state != result_display_order[o])
				continue;
			fprintf(out, "%s{\"state\":", first ? "" : ",");
			json_string(out, state_name(l->state));
			fputs(",\"text\":", out);
			json_string(out, l->text);
			fputc('}', out);
			first = false;
		}
	first = true;

	fputs("],\"details\":[", out);
	for (size_t i = 0; i < nlines; i++) {
		const struct result_line *l = result_line(res, i);

		if ((l->level == 0 && !l->note) || l->level > verbosity)
			continue;
		fprintf(out, "%s{\"level\":%d,\"text\":", first ? "" : ",", l->level);
		json_string(out, l->text);
		fputc('}', out);
		first = false;
	}
	fputs("]}\n", out);
}

int output_write(const struct result *res, enum output_format fmt,
		 int verbosity, FILE *out)
{
	if (fmt == OUTPUT_JSON)
		write_json(res, verbosity, out);
	else
		write_classic(res, verbosity, out);
	if (fflush(out) != 0 || ferror(out))
		return STATE_UNKNOWN;
	return (int)result_state(res);
}
