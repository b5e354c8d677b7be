/* result: the outcome of one check: a state, a summary, sub-results, long
 * output lines and perfdata items.  Worst state wins. */
#ifndef NETCHECK_RESULT_H
#define NETCHECK_RESULT_H

#include <stdbool.h>
#include <stddef.h>

enum state {
	STATE_OK = 0,
	STATE_WARNING = 1,
	STATE_CRITICAL = 2,
	STATE_UNKNOWN = 3,
	STATE_LAST
};

struct range;
struct result;

/* "OK", "WARNING", "CRITICAL", "UNKNOWN". */
const char *state_name(enum state s);

/* The worse of two states: CRITICAL > WARNING > UNKNOWN > OK. */
enum state state_worst(enum state a, enum state b);

/* Parses a state name (any case: ok, warning, critical, unknown) or its
 * number 0-3.  Returns 0, or -1 when text names no state. */
int state_parse(const char *text, enum state *out);

/* A new, empty result for `service` ("SMTP", "DNS MX", ...), state OK.
 * NULL when out of memory.  The caller frees it with result_free. */
struct result *result_new(const char *service);
void result_free(struct result *res);

/* Raises the overall state to `s` if `s` is worse. */
void result_raise(struct result *res, enum state s);

/* Sets the overall state, also to a better one: for a check whose verdict
 * is not the worst of its parts (check_icmp -m: enough hosts are up). */
void result_set_state(struct result *res, enum state s);

/* Sets the summary of the status line (replaces any earlier one). */
void result_summary(struct result *res, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Adds a sub-result (one long-output line) and raises the state to it. */
void result_sub(struct result *res, enum state s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The same, with a shorter text for the status line (result_problems):
 * "MX host x.test: no address" where the long output says more. */
void result_sub_brief(struct result *res, enum state s, const char *brief, const char *fmt,
		      ...) __attribute__((format(printf, 4, 5)));

/* Adds a long-output line shown only at verbosity >= `level` (1 for -v:
 * transcripts; 2 for -vv: timings and TLS details; 3 for -vvv). */
void result_detail(struct result *res, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Adds a long-output line without a state, always shown after the
 * sub-results (a usage hint). */
void result_note(struct result *res, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* What is wrong, for the status line: the (brief) texts of the sub-results
 * that are not OK, worst first (in the order added within one state), joined by
 * "; "; at most `max` of them, then "(and N more)".  "" when every
 * sub-result is OK.  Returns buf. */
const char *result_problems(const struct result *res, size_t max, char *buf, size_t len);

/* Appends printf-style text to buf at *used, never past len (buf stays
 * terminated), and advances *used: for building a line in pieces. */
void result_text_put(char *buf, size_t len, size_t *used, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* How many sub-results are in state s ("498 of 500 hosts OK"). */
size_t result_count(const struct result *res, enum state s);

/* The problems grouped by state, worst first, at most max of each state:
 * "CRITICAL: a (100% lost), b (100% lost) (and 3 more); WARNING: c (rta
 * 250 ms)"; "" when every sub-result is OK.  Returns buf. */
const char *result_problems_by_state(const struct result *res, size_t max, char *buf,
				     size_t len);

/* One perfdata item.  Values are in the unit `uom` names (perfdata
 * guidelines: "", s, ms, us, %, B, KB, MB, GB, TB, c); NaN for a value that
 * could not be measured (written "U"), or for min/max when there is none.
 * The ranges are in the base unit (seconds, bytes) as range_parse gives
 * them; they are written converted to `uom`. */
struct perf {
	const char *label;
	double value;
	const char *uom;
	const struct range *warn; /* NULL: none */
	const struct range *crit; /* NULL: none */
	double min;
	double max;
};

/* Appends a perfdata item (copied).  Items keep the order they were added. */
void result_perf(struct result *res, const struct perf *p);

/* Read access, for output and tests. */
enum state result_state(const struct result *res);
const char *result_service(const struct result *res);
const char *result_get_summary(const struct result *res);

struct result_line {
	enum state state; /* for sub-results */
	int level;        /* 0: a sub-result or a note; >= 1: a detail of that
			   * verbosity */
	char *text;
	char *brief;      /* its text on the status line, NULL: text */
	bool note;        /* a line without a state (result_note) */
};
/* The order sub-results are shown in: CRITICAL, WARNING, UNKNOWN, OK. */
#define RESULT_NORDER 4
extern const enum state result_display_order[RESULT_NORDER];

size_t result_nlines(const struct result *res);
const struct result_line *result_line(const struct result *res, size_t i);

struct result_perf_item {
	const char *label;
	double value;
	char uom[4];
	bool has_warn, has_crit;
	const char *warn, *crit; /* in range syntax, in uom; "" when none */
	double min, max;
};
size_t result_nperf(const struct result *res);
const struct result_perf_item *result_perf_at(const struct result *res, size_t i);

#endif
