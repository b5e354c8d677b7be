/* output: renders a result as the plugin's stdout and gives the exit code.
 *
 * Classic format (Nagios plugin guidelines):
 *   SERVICE STATE - summary | perfdata
 *   sub-result lines, worst first
 *   detail lines up to the verbosity asked for
 * JSON format: one document with state, summary, metrics, sub-results and
 * details.  Text never carries a '|' (replaced by '/') nor control bytes
 * (written as \xHH) in the classic format. */
#ifndef NETCHECK_OUTPUT_H
#define NETCHECK_OUTPUT_H

#include <stdio.h>

#include "result.h"

enum output_format {
	OUTPUT_CLASSIC,
	OUTPUT_JSON,
	OUTPUT_LAST
};

/* Parses "classic" or "json".  Returns 0, or -1. */
int output_format_parse(const char *text, enum output_format *out);

/* Writes the perfdata of res ("label=value[uom];warn;crit;min;max ...",
 * trailing empty fields trimmed) to out.  Returns 0, or -1 on write error. */
int output_perfdata(const struct result *res, FILE *out);

/* Writes res to out in the given format, showing detail lines up to
 * `verbosity`.  Returns the plugin's exit code: the state, or UNKNOWN (3)
 * when writing failed. */
int output_write(const struct result *res, enum output_format fmt,
		 int verbosity, FILE *out);

#endif
