/* opts: command-line options shared by every plugin, strict number parsing,
 * and --help / --version / usage errors in the monitoring-plugins manner. */
#ifndef NETCHECK_OPTS_H
#define NETCHECK_OPTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "output.h"
#include "range.h"
#include "result.h"
#include "secret.h"

#define OPTS_DEFAULT_TIMEOUT_MS 10000
#define OPTS_MAX_TIMEOUT_MS (86400LL * 1000)

/* One plugin-specific option.  Arrays of these end with a zeroed entry. */
struct opt_spec {
	const char *name; /* long name without "--" */
	int key;          /* short letter, or a number >= 256 for long-only */
	const char *arg;  /* argument name shown in --help; NULL for a flag */
	const char *help; /* what it does, one sentence */
	const char *def;  /* default shown in --help; NULL: "off" for a flag,
			   * "none" for an option with an argument */
};

/* An option of the monitoring-plugins plugin this one replaces that it does
 * not take: refused with what to use instead, never silently ignored.
 * Arrays of these end with a zeroed entry. */
struct foreign_opt {
	char letter;        /* its short letter, or 0 */
	const char *name;   /* its long name without "--", or NULL */
	const char *advice; /* whose it is and what to do instead:
			     * "check_ping's packets: use -n" */
};

/* A letter that means what another plugin means by it when this one runs
 * under that plugin's name (a link named check_ping to check_icmp_rtt, as
 * service definitions written for monitoring-plugins call it): there,
 * -LETTER (and its long form, if the plugin has that letter) is taken as
 * the option KEY.  Arrays of these end with a zeroed entry. */
struct opt_alias {
	const char *called; /* the last part of argv[0]: "check_ping" */
	char letter;        /* 'p' */
	int key;            /* the option it stands for there: 'n' */
};

/* Options several plugins share, defined here once with their help. */
enum opts_group {
	OPTS_TLS = 1 << 0,      /* -D/--certificate, --ca-file, --insecure */
	OPTS_PASSWORD = 1 << 1, /* --password-file, --password-env, -P */
	OPTS_DNS = 1 << 2,      /* --dns-server */
};

/* The TLS options after parsing. */
struct tls_opts {
	bool has_days;               /* -D was given */
	double warn_days, crit_days; /* -D WARN[,CRIT]; -1: none */
	const char *ca_file;         /* --ca-file */
	bool insecure;               /* --insecure */
};

#define OPTS_DNS_SERVERS_MAX 1024 /* --dns-server values, joined */

/* What a plugin tells opts about itself. */
struct plugin_info {
	const char *name;        /* executable name, "check_smtp_dialogue" */
	const char *service;     /* status line service, "SMTP" */
	const char *purpose;     /* one or two sentences for --help */
	const char *usage;       /* synopsis after the name: "-H HOST [options]" */
	const char *host_help;   /* meaning of -H; NULL: not offered */
	int default_port;        /* default of -p; 0: -p not offered */
	const char *thr_what;    /* what -w/-c apply to, e.g. "total time" */
	enum unit_kind thr_kind; /* unit kind of -w/-c */
	const char *thr_unit;    /* default unit of -w/-c numbers, e.g. "s" */
	bool raw_thresholds;     /* pass -w/-c to the handler unparsed (thr_what
				  * then says their whole format) */
	const char *warn_default, *crit_default; /* -w, -c defaults for --help;
				  * NULL: none */
	const char *thr_arg;     /* -w, -c argument name in --help; NULL: RANGE */
	const char *verbose_help; /* what -v, -vv, -vvv add; NULL: the
				  * conversation checks' text */
	const char *family_default; /* what happens without -4/-6; NULL:
				  * "every address, in order" */
	const struct opt_spec *extra; /* plugin-specific options, or NULL */
	const struct foreign_opt *foreign; /* options of the monitoring-plugins
				  * plugins it replaces that it does not take,
				  * or NULL */
	const struct opt_alias *aliases; /* letters that mean something else
				  * under another plugin's name, or NULL */
	unsigned groups;         /* shared option groups (enum opts_group) */
	const char *pw_long;     /* long name of -P; NULL: "password" */
	const char *notes;       /* text after the option list, or NULL */
	bool many_hosts;         /* -H may repeat and take comma lists, and
				  * bare arguments are hosts too (as
				  * check_icmp takes them): co->hosts */
};

/* The shared options after parsing. */
struct common_opts {
	const char *host;          /* -H; NULL when not given */
	int port;                  /* -p; default_port when not given */
	bool port_given;           /* -p was given */
	int family;                /* AF_UNSPEC; AF_INET for -4, AF_INET6 for -6 */
	int64_t timeout_ms;        /* -t: budget of the whole run */
	enum state timeout_state;  /* -t N:STATE: state on timeout (CRITICAL) */
	struct range warn, crit;   /* -w, -c when has_warn, has_crit */
	bool has_warn, has_crit;
	int verbose;               /* number of -v */
	enum output_format output; /* --output */
	struct tls_opts tls;       /* OPTS_TLS */
	struct secret_source pw;   /* OPTS_PASSWORD */
	char dns_servers[OPTS_DNS_SERVERS_MAX]; /* OPTS_DNS: "A,B", "" none */
	const char *graphite_prefix; /* --graphite-prefix; NULL: the default */
	char **hosts;              /* many_hosts: every host given, in order
				    * (host is the first); free with opts_free */
	size_t nhosts;
};

/* Writes res in the format of co (--output), naming the plugin and host
 * for influx and graphite.  Returns the exit code (output_write_meta). */
int opts_write(const struct plugin_info *pi, const struct common_opts *co,
	       const struct result *res, FILE *out);

/* Frees what opts_parse allocated in co (the host list). */
void opts_free(struct common_opts *co);

/* Called for each plugin-specific option (and -w/-c if raw_thresholds).
 * Returns 0, or -1 with a message in err. */
typedef int (*opt_handler)(void *ctx, int key, const char *arg, char *err,
			   size_t errlen);

/* Parses argv.  Returns -1 when the plugin should run; otherwise the exit
 * code to return right away after what was written to out: 3 (UNKNOWN)
 * after --help or --version, as monitoring-plugins' plugins, and after a
 * usage error ("SERVICE UNKNOWN - what is wrong" and a usage hint). */
int opts_parse(const struct plugin_info *pi, struct common_opts *co, int argc,
	       char **argv, opt_handler handler, void *ctx, FILE *out);

/* Writes "SERVICE UNKNOWN - <message>" and the usage hint to stdout, in
 * the output format of co (classic when co is NULL), escaped as every
 * output is; returns 3.  For checks a plugin makes after opts_parse (a
 * missing required option). */
int opts_usage_error(const struct plugin_info *pi, const struct common_opts *co,
		     const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* True when any TLS option (-D, --ca-file, --insecure) was given. */
bool opts_tls_given(const struct common_opts *co);

/* Appends a DNS server list ("ADDR[:PORT][,...]") to co's, checked.
 * Returns 0, or -1 with err set.  For a plugin's own alias of
 * --dns-server. */
int opts_add_dns_servers(struct common_opts *co, const char *arg, char *err, size_t errlen);

/* co's DNS servers for resolver_params.servers: NULL when none was given. */
const char *opts_dns_servers(const struct common_opts *co);

void opts_help(const struct plugin_info *pi, FILE *out);
void opts_version(const struct plugin_info *pi, FILE *out);

/* Strict integer in [min, max]: optional sign and decimal digits only.
 * Returns 0, or -1 with a message naming the text. */
int opts_long(const char *text, long min, long max, long *out, char *err,
	      size_t errlen);

/* Strict decimal number in [min, max] (no exponent, hex, inf or nan). */
int opts_double(const char *text, double min, double max, double *out,
		char *err, size_t errlen);

/* A duration ("10", "250ms", "2m"; a bare number is in default_unit) in
 * milliseconds, greater than zero and at most max_ms. */
int opts_duration_ms(const char *text, const char *default_unit, int64_t max_ms,
		     int64_t *out, char *err, size_t errlen);

/* WARN[,CRIT] in days (decimals allowed), as -D/--certificate takes it:
 * "30,7" or "30" (then crit is -1: none).  Returns 0, or -1 with err. */
int opts_days_pair(const char *text, double *warn, double *crit, char *err,
		   size_t errlen);

/* "A,B": two values of a pair, as check_icmp's -w 200ms,40% (a round trip
 * and a loss) or --jitter 20,40 (a warning and a critical value): A of kind
 * ka (a bare number in unit ua), B of kind kb in unit ub, each in its base
 * unit.  Either may be left out ("200", "200,", ",40%"): it is then NaN.
 * Returns 0, or -1 with a message naming the bad text in err. */
int opts_pair(const char *text, enum unit_kind ka, const char *ua, enum unit_kind kb,
	      const char *ub, double *a, double *b, char *err, size_t errlen);

/* -t SECONDS[:STATE]: SECONDS as opts_duration_ms with unit s, STATE a
 * state name or number. */
int opts_timeout(const char *text, int64_t *ms, enum state *st, char *err,
		 size_t errlen);

#endif
