/* libFuzzer target: a whole command line through opts_parse, as a plugin's
 * main hands it over: the shared options (-H lists, -p, -t, -w/-c ranges,
 * -v, --output, --graphite-prefix), the groups (TLS days, password
 * sources, --dns-server lists), options of the plugin's own with a handler
 * that parses their values as the plugins do, options of the plugins this
 * one replaces (refused with advice), and letters that mean something else
 * under another name (check_ping's -p).  The first input byte picks the
 * plugin's shape and the name it is called by; the rest is argv, words
 * separated by NUL bytes.  Output goes to a memory stream.
 *
 * Invariants checked besides "no crash" and "no leak": opts_parse returns
 * -1 (run) or 3 (UNKNOWN, after help, version or a usage error); after 3
 * the host list is freed; a usage error in the classic format is one
 * status line "SERVICE UNKNOWN - ..." (whatever newlines the option held)
 * followed by the usage hint, and holds no '|' (it has no perfdata); after
 * -1 the port, timeout, state and hosts are within what the options allow
 * (hosts non-empty, without white space), and a result written with the
 * thresholds as perfdata is, in the classic format, one status line with
 * exactly one '|'.  make fuzz builds and runs it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "opts.h"

#define MAX_WORDS 64

enum { KEY_JITTER = 256, KEY_EXPECT };

static const struct opt_spec extra[] = {
	{ "packets", 'n', "N", "Echo requests.", "5" },
	{ "interval", 'i', "TIME", "Between requests.", "200ms" },
	{ "generate", 'g', "CIDR", "A network.", NULL },
	{ "file", 'f', "FILE", "Hosts from a file.", NULL },
	{ "jitter", KEY_JITTER, "WARN[,CRIT]", "Jitter.", NULL },
	{ "source", 's', "ADDR", "Source address.", NULL },
	{ "expect", KEY_EXPECT, "TEXT", "Expected text.", NULL },
	{ "command", 'C', "CMD", "A command, repeatable.", NULL },
	{ "dont-fragment", 'M', NULL, "Set DF.", NULL },
	{ NULL, 0, NULL, NULL, NULL },
};

static const struct foreign_opt foreign[] = {
	{ 'L', "link", "check_ping's link: not taken" },
	{ 'R', NULL, "check_icmp's RTA mode: use -w/-c RTA,PL%" },
	{ 0, "extra-opts", "put the options on the command line" },
	{ 0, NULL, NULL },
};

static const struct opt_alias aliases[] = {
	{ "check_ping", 'p', 'n' },
	{ "check_icmp", 'x', 'M' },
	{ NULL, 0, 0 },
};

static const char *const names[] = {
	"check_test", "/usr/lib/nagios/plugins/check_ping", "check_icmp", "", "a/b/",
};

/* What the handler collected. */
struct ctx {
	long packets;
	int64_t interval_ms;
	double a, b;
	size_t ncmd;
};

static int handle(void *ctx, int key, const char *arg, char *err, size_t errlen)
{
	struct ctx *c = ctx;
	struct addr_net net;
	struct sockaddr_storage ss;
	socklen_t len;

	switch (key) {
	case 'n': return opts_long(arg, 1, 1000, &c->packets, err, errlen);
	case 'i': return opts_duration_ms(arg, "ms", 60000, &c->interval_ms, err, errlen);
	case 'g': return addr_net_parse(arg, true, &net, err, errlen);
	case 'f': case KEY_EXPECT: case 'M': return 0;
	case 'w': case 'c':
		return opts_pair(arg, UNIT_TIME, "ms", UNIT_PERCENT, NULL, &c->a, &c->b, err, errlen);
	case KEY_JITTER:
		return opts_pair(arg, UNIT_TIME, "ms", UNIT_TIME, "ms", &c->a, &c->b, err, errlen);
	case 's':
		if (addr_parse(arg, 0, &ss, &len) < 0) {
			snprintf(err, errlen, "'%s' is not an address", arg);
			return -1;
		}
		return 0;
	case 'C':
		if (c->ncmd >= 4) {
			snprintf(err, errlen, "at most 4 commands");
			return -1;
		}
		c->ncmd++;
		return 0;
	}
	snprintf(err, errlen, "option %d is not handled", key);
	return -1;
}

static size_t count(const char *s, size_t n, char ch)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += s[i] == ch;
	return k;
}

/* After a usage error or help: only what the classic format promises. */
static void check_refusal(const struct plugin_info *pi, const struct common_opts *co,
			  const char *out, size_t n)
{
	char head[64];
	const char *nl;

	if (n == 0 || co->hosts != NULL || co->nhosts != 0)
		abort();
	snprintf(head, sizeof(head), "%s UNKNOWN - ", pi->service);
	if (co->output != OUTPUT_CLASSIC || strncmp(out, head, strlen(head)) != 0)
		return; /* help, version, or another format */
	nl = memchr(out, '\n', n);
	if (nl == NULL || strncmp(nl + 1, "Usage: ", 7) != 0 || count(out, n, '|') != 0)
		abort();
}

/* After a run was allowed: the options' values, and a result written. */
static void check_run(const struct plugin_info *pi, const struct common_opts *co, int argc)
{
	struct result *res;
	char *out = NULL;
	size_t n = 0;
	FILE *f;
	int rc;

	if (co->port < 1 || co->port > 65535 || co->timeout_ms < 1 ||
	    co->timeout_ms > OPTS_MAX_TIMEOUT_MS || (unsigned)co->timeout_state >= STATE_LAST ||
	    co->verbose < 0 || co->verbose > argc * 4096 || (unsigned)co->output >= OUTPUT_LAST)
		abort();
	if (pi->many_hosts && co->nhosts > 0 && co->host != co->hosts[0])
		abort();
	for (size_t i = 0; i < co->nhosts; i++)
		if (co->hosts[i][0] == '\0' || co->hosts[i][strcspn(co->hosts[i], " \t\r\n")] != '\0')
			abort();
	if (co->host != NULL && (co->host[0] == '\0' || strpbrk(co->host, " \t\r\n") != NULL))
		abort();
	res = result_new(pi->service);
	f = open_memstream(&out, &n);
	if (res == NULL || f == NULL)
		abort();
	result_summary(res, "%s", co->host ? co->host : "no host");
	result_perf(res, &(struct perf){ .label = "time", .value = 0.25, .uom = "s",
					 .warn = co->has_warn ? &co->warn : NULL,
					 .crit = co->has_crit ? &co->crit : NULL, .min = 0,
					 .max = (double)co->timeout_ms / 1000 });
	rc = opts_write(pi, co, res, f);
	fclose(f);
	if (rc < 0 || rc > 3)
		abort();
	if (co->output == OUTPUT_CLASSIC) {
		size_t first = strcspn(out, "\n");

		if (count(out, first, '|') != 1)
			abort();
	}
	free(out);
	result_free(res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct plugin_info pi = {
		.name = "check_test", .service = "TEST", .purpose = "Fuzzing.",
		.usage = "-H HOST [options]", .host_help = "The host.", .default_port = 25,
		.thr_what = "the time", .thr_kind = UNIT_TIME, .thr_unit = "s",
		.extra = extra, .foreign = foreign, .aliases = aliases,
	};
	char *words, *argv[MAX_WORDS + 1], *out = NULL;
	int argc = 1, rc;
	size_t n = 0;
	struct common_opts co;
	struct ctx c = { 0 };
	FILE *f;

	if (size < 1)
		return 0;
	pi.many_hosts = data[0] & 1;
	pi.raw_thresholds = data[0] & 2;
	pi.groups = (data[0] >> 2) & 7;
	pi.thr_kind = (enum unit_kind)((data[0] >> 5) & 3);
	words = malloc(size);
	if (words == NULL)
		return 0;
	memcpy(words, data + 1, size - 1);
	words[size - 1] = '\0';
	argv[0] = (char *)names[(data[0] >> 5) % 5];
	for (char *p = words; p < words + size - 1 && argc < MAX_WORDS; p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;

	f = open_memstream(&out, &n);
	if (f == NULL)
		abort();
	rc = opts_parse(&pi, &co, argc, argv, handle, &c, f);
	fclose(f);
	if (rc == -1) {
		check_run(&pi, &co, argc);
		opts_free(&co);
	} else if (rc == 3) {
		check_refusal(&pi, &co, out, n);
	} else {
		abort();
	}
	free(out);
	free(words);
	return 0;
}
