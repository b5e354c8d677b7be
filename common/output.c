#include "output.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

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
	else if (strcmp(text, "influx") == 0)
		*out = OUTPUT_INFLUX;
	else if (strcmp(text, "graphite") == 0)
		*out = OUTPUT_GRAPHITE;
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
			if (n == 2 && c == 0xc2 && s[1] <= 0x9f) {
				/* A C1 control (U+0080..U+009F): valid UTF-8,
				 * but a terminal obeys it (CSI, NEL). */
				if (mode == TEXT_LABEL)
					fputc('_', out);
				else
					fprintf(out, "\\u%04x", s[1]);
				s += n;
			} else if (n > 0) {
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

/* ---- influx and graphite ------------------------------------------------ */

static int64_t meta_time_ns(const struct output_meta *meta)
{
	struct timespec ts;

	if (meta && meta->time_ns)
		return meta->time_ns;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Line protocol text: the bytes in `special` and the backslash escaped
 * with a backslash, control bytes (a newline would end the line) as a
 * space. */
static void influx_text(FILE *out, const char *s, const char *special)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f)
			c = ' ';
		if (c == '\\' || strchr(special, c))
			fputc('\\', out);
		fputc(c, out);
	}
}

/* A field of ours that a perfdata label must not take over. */
static bool influx_reserved(const char *label)
{
	return strcmp(label, "state") == 0 || strcmp(label, "summary") == 0;
}

static void write_influx(const struct result *res, const struct output_meta *meta, FILE *out)
{
	const char *plugin = meta && meta->plugin ? meta->plugin : result_service(res);

	influx_text(out, plugin, ", ");
	if (meta && meta->host && meta->host[0]) {
		fputs(",host=", out);
		influx_text(out, meta->host, ",= ");
	}
	if (result_service(res)[0]) {
		fputs(",service=", out);
		influx_text(out, result_service(res), ",= ");
	}
	fprintf(out, " state=%di,summary=\"", (int)result_state(res));
	influx_text(out, result_get_summary(res), "\"");
	fputc('"', out);
	for (size_t i = 0; i < result_nperf(res); i++) {
		const struct result_perf_item *it = result_perf_at(res, i);
		char num[400];

		if (!isfinite(it->value) || it->label[0] == '\0')
			continue;
		number_format(it->value, num, sizeof(num));
		fputs(influx_reserved(it->label) ? ",perf_" : ",", out);
		influx_text(out, it->label, ",= ");
		fprintf(out, "=%s", num);
	}
	fprintf(out, " %lld\n", (long long)meta_time_ns(meta));
}

/* A part of a Graphite path: letters, digits, '_' and '-' kept, anything
 * else (the dot that separates parts, too) as '_'. */
static void graphite_part(FILE *out, const char *s, bool keep_dots)
{
	if (*s == '\0')
		fputs("none", out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '_' || c == '-' || (keep_dots && c == '.');

		fputc(ok ? c : '_', out);
	}
}

static void graphite_prefix(FILE *out, const struct result *res, const struct output_meta *meta)
{
	if (meta && meta->graphite_prefix) {
		graphite_part(out, meta->graphite_prefix, true);
		return;
	}
	fputs("netcheck.", out);
	graphite_part(out, meta && meta->host ? meta->host : "", false);
	fputc('.', out);
	graphite_part(out, meta && meta->plugin ? meta->plugin : result_service(res), false);
}

static void write_graphite(const struct result *res, const struct output_meta *meta, FILE *out)
{
	long long t = (long long)(meta_time_ns(meta) / 1000000000);

	graphite_prefix(out, res, meta);
	fprintf(out, ".state %d %lld\n", (int)result_state(res), t);
	for (size_t i = 0; i < result_nperf(res); i++) {
		const struct result_perf_item *it = result_perf_at(res, i);
		char num[400];

		if (!isfinite(it->value))
			continue;
		number_format(it->value, num, sizeof(num));
		graphite_prefix(out, res, meta);
		fputc('.', out);
		graphite_part(out, it->label, false);
		fprintf(out, " %s %lld\n", num, t);
	}
}

int output_write_meta(const struct result *res, enum output_format fmt, int verbosity,
		      const struct output_meta *meta, FILE *out)
{
	switch (fmt) {
	case OUTPUT_JSON: write_json(res, verbosity, out); break;
	case OUTPUT_INFLUX: write_influx(res, meta, out); break;
	case OUTPUT_GRAPHITE: write_graphite(res, meta, out); break;
	default: write_classic(res, verbosity, out); break;
	}
	if (fflush(out) != 0 || ferror(out))
		return STATE_UNKNOWN;
	return (int)result_state(res);
}

int output_write(const struct result *res, enum output_format fmt,
		 int verbosity, FILE *out)
{
	return output_write_meta(res, fmt, verbosity, NULL, out);
}
