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

#include <stdint.h>
#include <stdio.h>

#include "result.h"

enum output_format {
	OUTPUT_CLASSIC,
	OUTPUT_JSON,
	OUTPUT_INFLUX,   /* InfluxDB line protocol, one line */
	OUTPUT_GRAPHITE, /* Graphite plaintext protocol, a line per value */
	OUTPUT_LAST
};

/* Parses "classic", "json", "influx" or "graphite".  Returns 0, or -1. */
int output_format_parse(const char *text, enum output_format *out);

/* Where a result comes from, for the formats that name it:
 *   influx:   PLUGIN,host=HOST,service=SERVICE state=Ni,summary="...",LABEL=V,... TIME_NS
 *   graphite: PREFIX.state N TIME_S, then PREFIX.LABEL V TIME_S per value,
 *             PREFIX defaulting to netcheck.HOST.PLUGIN (HOST's dots as '_')
 * Values are in the unit of their perfdata; a value that is U is left out. */
struct output_meta {
	const char *plugin;          /* "check_hops"; NULL: the service */
	const char *host;            /* NULL or "": no host tag, "none" in paths */
	const char *graphite_prefix; /* NULL: netcheck.HOST.PLUGIN */
	int64_t time_ns;             /* CLOCK_REALTIME; 0: now */
};

/* Writes the perfdata of res ("label=value[uom];warn;crit;min;max ...",
 * trailing empty fields trimmed) to out.  Returns 0, or -1 on write error. */
int output_perfdata(const struct result *res, FILE *out);

/* Writes res to out in the given format, showing detail lines up to
 * `verbosity`.  Returns the plugin's exit code: the state, or UNKNOWN (3)
 * when writing failed. */
int output_write(const struct result *res, enum output_format fmt,
		 int verbosity, FILE *out);

/* The same, with where the result comes from (NULL: as output_write). */
int output_write_meta(const struct result *res, enum output_format fmt, int verbosity,
		      const struct output_meta *meta, FILE *out);

#endif
