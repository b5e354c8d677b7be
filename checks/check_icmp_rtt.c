/* check_icmp_rtt: round-trip time, loss and jitter of ICMP echo to one host
 * or many at once, as `ping -n 5 host` tells a person.  Sockets come first
 * (common/icmp: unprivileged datagram sockets, else raw) and every privilege
 * is dropped before an option is read; then: parse options -> gather hosts
 * -> resolve and probe in one loop (common/resolve, common/probe) -> judge
 * each host (common/stats) -> write. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr.h"
#include "deadline.h"
#include "fail.h"
#include "icmp.h"
#include "opts.h"
#include "output.h"
#include "probe.h"
#include "range.h"
#include "resolve.h"
#include "result.h"
#include "stats.h"

#define MAX_HOSTS        65536 /* hosts of one run, and of one -g network */
#define MAX_SOURCES      16    /* -f files and -g networks */
#define HOST_TEXT_MAX    254   /* a host name: 253 characters at most */
#define DEFAULT_PACKETS  5
#define MAX_PACKETS      10000
#define MAX_PROBES       1000000 /* requests of one run: 16 bytes of state each */
#define DEFAULT_INTERVAL (200 * NS_PER_MS) /* as an unprivileged ping's least */
#define DEFAULT_GAP      (1 * NS_PER_MS)   /* 1,000 packets a second */
#define DEFAULT_DATA     56                /* ping's: 64-byte ICMP packets */
#define MIN_WAIT         (1 * NS_PER_S)
#define MAX_DURATION_MS  (3600LL * 1000)
#define PROBLEMS_SHOWN   5                 /* hosts named per state */
#define FILE_MAX         (16 << 20)        /* bytes of one -f file */

enum {
	KEY_RATE = 256,
	KEY_TOS,
	KEY_WAIT,
	KEY_JITTER,
	KEY_MOS,
};

/* The plugin's own options. */
struct params {
	long packets;                 /* -n */
	int64_t interval_ns;          /* -i */
	int64_t gap_ns;               /* -I */
	double rate;                  /* --rate; 0: no cap */
	int64_t wait_ns;              /* --wait; 0: from the thresholds */
	long data_len;                /* -b */
	long ttl;                     /* -l; 0: the system's */
	long tos;                     /* --tos; -1: the system's */
	bool dont_fragment;           /* -M */
	const char *source;           /* -s */
	double warn_rta, warn_pl;     /* -w RTA,PL%: seconds, percent */
	double crit_rta, crit_pl;     /* -c */
	double jitter_w, jitter_c;    /* --jitter, seconds; NaN: none */
	double mos_w, mos_c;          /* --mos; NaN: none */
	long min_alive;               /* -m; 0: every host counts */
	const char *files[MAX_SOURCES]; /* -f */
	size_t nfiles;
	const char *nets[MAX_SOURCES];  /* -g */
	size_t nnets;
};

enum host_phase {
	HOST_NEW,        /* a name, not looked up yet */
	HOST_RESOLVING,  /* being looked up */
	HOST_READY,      /* has an address: probed */
	HOST_FAILED,     /* no address, or no socket for it: not probed */
};

union sa_any {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

/* One host of the run: kept small, a run may have 65,536. */
struct host {
	char *name;             /* as given: the perfdata prefix */
	union sa_any addr;      /* HOST_READY: the address probed */
	uint8_t phase;          /* enum host_phase */
	bool literal;           /* name is the address itself */
	uint8_t fail_state;     /* HOST_FAILED: its state */
	uint8_t err;            /* enum icmp_error: the last error for its probes */
	uint16_t send_errno;    /* a probe that could not be sent: why */
	uint32_t mtu;           /* ICMP_ERR_FRAG_NEEDED: the MTU named */
	uint32_t nerr;          /* errors received */
	union sa_any err_from;  /* who sent the last error */
	char *why;              /* HOST_FAILED: why (owned) */
};

/* Everything one run needs. */
struct run {
	struct common_opts co;
	struct params p;
	struct deadline d;
	struct result *res;
	struct resolver *resolver;
	struct icmp_sock sock4, sock6;
	struct probe_run *probes;
	struct host *hosts;
	size_t nhosts, caphosts;
	unsigned char cookie[ICMP_COOKIE_LEN];
	unsigned char *packet;        /* one echo request, built per probe */
	size_t packet_len;
	unsigned ignored;             /* messages not ours, or damaged */
	const char *self;             /* argv[0], for the setcap advice */
	bool was_root;                /* started as root, runs as 65534 */
	char drop_error[256];         /* why privileges could not be dropped */
};

static const struct opt_spec extra[] = {
	{ "file", 'f', "FILE",
	  "Read hosts from FILE, one a line ('-' is standard input; '#' starts a comment); "
	  "repeatable.", NULL },
	{ "generate", 'g', "CIDR",
	  "Every address of a network, as fping -g takes it: 198.18.0.0/24 (at most 65,536 "
	  "addresses; an IPv4 network of four or more without its network and broadcast "
	  "address); repeatable.", NULL },
	{ "packets", 'n', "N", "Echo requests sent to each host.", "5" },
	{ "interval", 'i', "TIME",
	  "Between two echo requests to the same host (a bare number is in ms).", "200ms" },
	{ "target-interval", 'I', "TIME",
	  "Between two echo requests of the run (to different hosts); 0 sends as fast as "
	  "the machine can (a bare number is in ms).", "1ms: 1,000 packets a second" },
	{ "rate", KEY_RATE, "N",
	  "At most N echo requests a second for the whole run (a cap on -I).", "-I alone" },
	{ "size", 'b', "BYTES",
	  "Data bytes of each echo request, 12 to 65507 (the ICMP packet is 8 bytes more).",
	  "56" },
	{ "ttl", 'l', "N", "Time to live (IPv6: hop limit) of the echo requests, 1 to 255.",
	  "the system's" },
	{ "dont-fragment", 'M', NULL,
	  "Set Don't Fragment: a request larger than the path MTU is reported with the MTU "
	  "that the router or this host names (as ping -M do, or ping -f -l on Windows).",
	  NULL },
	{ "tos", KEY_TOS, "N", "Type of service (IPv6: traffic class) byte, 0 to 255.",
	  "the system's" },
	{ "source", 's', "ADDR|DEVICE",
	  "Send from this address (for hosts of its family) or through this network "
	  "interface.", NULL },
	{ "wait", KEY_WAIT, "TIME",
	  "How long an echo request waits for its reply before it counts as lost (a bare "
	  "number is in ms).", "twice the critical RTA, at least 1 s" },
	{ "jitter", KEY_JITTER, "WARN[,CRIT]",
	  "WARNING / CRITICAL when a host's jitter (the mean change of the round trip "
	  "between consecutive replies) is WARN / CRIT or more (a bare number is in ms).",
	  NULL },
	{ "mos", KEY_MOS, "WARN[,CRIT]",
	  "WARNING / CRITICAL when a host's mean opinion score (1 to 4.5, from round trip, "
	  "jitter and loss) is WARN / CRIT or less.", NULL },
	{ "min-alive", 'm', "N",
	  "With several hosts: OK while at least N hosts are OK, WARNING while at least N "
	  "are OK or WARNING, else CRITICAL (check_icmp -m).", "every host counts" },
	{ NULL, 0, NULL, NULL, NULL },
};

/* check_icmp's and check_ping's options that are not taken here
 * (docs/check_icmp_rtt.8, COMING FROM CHECK_ICMP). */
static const struct foreign_opt foreign[] = {
	{ 'p', NULL, "check_ping's packets: use -n, or call this program by the name check_ping" },
	{ 'L', "link", "check_ping's link: not taken" },
	{ 'R', NULL, "check_icmp 2.4's RTA mode: use -w/-c RTA,PL%" },
	{ 'P', NULL, "check_icmp 2.4's loss mode: use -w/-c RTA,PL%" },
	{ 'J', NULL, "check_icmp 2.4's jitter mode: use --jitter WARN,CRIT" },
	{ 'S', NULL, "check_icmp 2.4's score mode: use --mos WARN,CRIT" },
	{ 'O', NULL, "check_icmp 2.4's order mode: not taken" },
	{ 0, "extra-opts", "put the options on the command line" },
	{ 0, NULL, NULL },
};

/* Under check_ping's name (ITL ping4/ping6 pass -p). */
static const struct opt_alias aliases[] = {
	{ "check_ping", 'p', 'n' },
	{ NULL, 0, 0 },
};

static const struct plugin_info info = {
	.name = "check_icmp_rtt",
	.service = "ICMP",
	.purpose = "Sends ICMP echo requests to one host or many at once and checks round-trip "
		   "time, loss, jitter and MOS, as `ping -n 5 host` tells a person.  Uses "
		   "unprivileged ICMP sockets where the kernel allows them, else raw sockets "
		   "(root or cap_net_raw); drops every privilege before it reads an option.",
	.usage = "[-H] HOST [HOST...] [-f FILE] [-g CIDR] [-w RTA,PL%] [-c RTA,PL%] [options]",
	.host_help = "Host name or address to ping; repeatable, or a comma separated list "
		     "(hosts may also follow the options, as check_icmp takes them).",
	.thr_what = "the average round trip and the loss of each host, as RTA,PL% (check_icmp's "
		    "format: 200,40% is 200 ms and 40 %; the RTA takes a unit, 0.2s; a state "
		    "is reached when either is at or above its value)",
	.thr_kind = UNIT_TIME,
	.thr_unit = "ms",
	.raw_thresholds = true,
	.warn_default = "200ms,40%",
	.crit_default = "500ms,80%",
	.thr_arg = "RTA,PL%",
	.verbose_help = "Add long output; repeat for more: -v per host the rest of what was "
			"measured (rtmin, rtmax, stddev, jitter, MOS, duplicates, reordered), -vv "
			"each echo request and the kind of socket, -vvv the privileges the run "
			"kept (none) and when its requests went out.",
	.family_default = "a name's first address, of either family",
	.extra = extra,
	.foreign = foreign,
	.aliases = aliases,
	.groups = OPTS_DNS,
	.many_hosts = true,
	.notes = "Hosts come from -H and bare arguments first, then -f, then -g, in order; "
		 "IPv4 and IPv6 may be mixed (-4 or -6 picks one family for names).  A name "
		 "that does not resolve is CRITICAL for that host.  Options that cannot fit "
		 "in -t are refused with the time they need.  With several hosts, perfdata "
		 "labels start with the host as given (127.0.0.1rta), as check_icmp's do.\n",
};

/* ---- options ------------------------------------------------------------ */

static int duration_or_zero(const char *arg, int64_t *ns, char *err, size_t errlen)
{
	double v;

	if (unit_parse(arg, UNIT_TIME, "ms", &v, err, errlen) < 0)
		return -1;
	if (v < 0 || v > (double)MAX_DURATION_MS / 1000) {
		snprintf(err, errlen, "'%s' is out of range (0 to 1 h)", arg);
		return -1;
	}
	*ns = (int64_t)llround(v * NS_PER_S);
	return 0;
}

/* -w/-c RTA,PL%: either part may be left out, keeping its default. */
static int rta_pl(const char *arg, double *rta, double *pl, char *err, size_t errlen)
{
	double r, l;

	if (opts_pair(arg, UNIT_TIME, "ms", UNIT_PERCENT, NULL, &r, &l, err, errlen) < 0)
		return -1;
	if (!isnan(l) && l > 100) {
		snprintf(err, errlen, "'%s': a loss above 100%%", arg);
		return -1;
	}
	if (!isnan(r))
		*rta = r;
	if (!isnan(l))
		*pl = l;
	return 0;
}

static int add_source(const char **list, size_t *n, const char *arg, char *err, size_t errlen)
{
	if (*n >= MAX_SOURCES) {
		snprintf(err, errlen, "at most %d of them", MAX_SOURCES);
		return -1;
	}
	list[(*n)++] = arg;
	return 0;
}

static int handle_numbers(struct params *p, int key, const char *arg, char *err, size_t errlen)
{
	switch (key) {
	case 'n': return opts_long(arg, 1, MAX_PACKETS, &p->packets, err, errlen);
	case 'b': return opts_long(arg, ICMP_TAG_LEN, ICMP_MAX_DATA, &p->data_len, err, errlen);
	case 'l': return opts_long(arg, 1, 255, &p->ttl, err, errlen);
	case KEY_TOS: return opts_long(arg, 0, 255, &p->tos, err, errlen);
	case 'm': return opts_long(arg, 1, MAX_HOSTS, &p->min_alive, err, errlen);
	case KEY_RATE: return opts_double(arg, 0.001, 1e9, &p->rate, err, errlen);
	}
	return 1;
}

static int handle(void *ctx, int key, const char *arg, char *err, size_t errlen)
{
	struct params *p = &((struct run *)ctx)->p;
	int rc = handle_numbers(p, key, arg, err, errlen);

	if (rc <= 0)
		return rc;
	switch (key) {
	case 'w': return rta_pl(arg, &p->warn_rta, &p->warn_pl, err, errlen);
	case 'c': return rta_pl(arg, &p->crit_rta, &p->crit_pl, err, errlen);
	case 'i':
		if (duration_or_zero(arg, &p->interval_ns, err, errlen) < 0)
			return -1;
		if (p->interval_ns == 0) {
			snprintf(err, errlen, "'%s': the interval must be more than 0", arg);
			return -1;
		}
		return 0;
	case 'I': return duration_or_zero(arg, &p->gap_ns, err, errlen);
	case KEY_WAIT:
		if (duration_or_zero(arg, &p->wait_ns, err, errlen) < 0)
			return -1;
		if (p->wait_ns == 0) {
			snprintf(err, errlen, "'%s': the wait must be more than 0", arg);
			return -1;
		}
		return 0;
	case 'M': p->dont_fragment = true; return 0;
	case 's': p->source = arg; return 0;
	case 'f': return add_source(p->files, &p->nfiles, arg, err, errlen);
	case 'g': return add_source(p->nets, &p->nnets, arg, err, errlen);
	case KEY_JITTER:
		return opts_pair(arg, UNIT_TIME, "ms", UNIT_TIME, "ms", &p->jitter_w, &p->jitter_c,
				 err, errlen);
	case KEY_MOS:
		if (opts_pair(arg, UNIT_NONE, NULL, UNIT_NONE, NULL, &p->mos_w, &p->mos_c, err,
			      errlen) < 0)
			return -1;
		if (p->mos_w > 5 || p->mos_c > 5) {
			snprintf(err, errlen, "'%s': a MOS is 1 to 4.5", arg);
			return -1;
		}
		return 0;
	}
	snprintf(err, errlen, "unknown option");
	return -1;
}

/* ---- hosts -------------------------------------------------------------- */

/* Whether n bytes of text are a host a run may take, else why not: an
 * address literal, or a name of labels of 1 to 63 letters, digits, '-' and
 * '_' (not starting or ending with '-') joined by dots.  What looks like an
 * address (a ':' in it, or only digits and dots) must be one: it is never
 * sent to a DNS server as a name.  So a host is also a clean perfdata
 * prefix. */
static const char *host_problem(const char *s, size_t n)
{
	char text[HOST_TEXT_MAX];
	struct sockaddr_storage ss;
	socklen_t len;
	size_t label = 0;

	if (n == 0 || n >= HOST_TEXT_MAX || memchr(s, '\0', n))
		return n == 0 ? "empty" : "too long for a host name";
	memcpy(text, s, n);
	text[n] = '\0';
	if (strchr(text, ':') || strspn(text, "0123456789.") == n)
		return addr_parse(text, 0, &ss, &len) >= 0 ? NULL
		       : strchr(text, ':')		 ? "not an IPv6 address"
							 : "not an IPv4 address";
	for (size_t i = 0; i <= n; i++) {
		char c = i < n ? text[i] : '.';

		if (c == '.') {
			if (label == 0 && !(i == n && i > 0))
				return "an empty label";
			if (label > 63)
				return "a label longer than 63 characters";
			if (label > 0 && text[i - 1] == '-')
				return "a label ending in '-'";
			label = 0;
		} else if (c == '-' && label == 0) {
			return "a label starting with '-'";
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			   c == '-' || c == '_') {
			label++;
		} else {
			return "a character not allowed in a host name";
		}
	}
	return NULL;
}

static socklen_t sa_len(const union sa_any *a)
{
	return a->sa.sa_family == AF_INET6 ? sizeof(a->in6) : sizeof(a->in);
}

static const char *family_name(int family)
{
	return family == AF_INET6 ? "IPv6" : "IPv4";
}

static void host_fail(struct host *h, enum state st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void host_fail(struct host *h, enum state st, const char *fmt, ...)
{
	va_list ap;

	h->phase = HOST_FAILED;
	h->fail_state = (uint8_t)st;
	free(h->why);
	h->why = NULL;
	va_start(ap, fmt);
	if (vasprintf(&h->why, fmt, ap) < 0)
		h->why = NULL;
	va_end(ap);
}

/* Gives h the address sa (of a literal, a network or a lookup). */
static void host_set_addr(struct run *r, struct host *h, const struct sockaddr *sa)
{
	int family = sa->sa_family;
	const struct icmp_sock *s = family == AF_INET ? &r->sock4 : &r->sock6;

	if (r->co.family != AF_UNSPEC && family != r->co.family) {
		host_fail(h, STATE_UNKNOWN, "an %s address, but -%c was given", family_name(family),
			  r->co.family == AF_INET ? '4' : '6');
		return;
	}
	memcpy(&h->addr, sa, family == AF_INET ? sizeof(h->addr.in) : sizeof(h->addr.in6));
	if (s->fd < 0) {
		char advice[512];

		icmp_open_advice(s, r->self, advice, sizeof(advice));
		host_fail(h, STATE_UNKNOWN, "%s", advice);
		return;
	}
	h->phase = HOST_READY;
}

/* Appends a host of n bytes of text; a literal gets its address now. */
static int add_host(struct run *r, const char *text, size_t n, char *err, size_t errlen)
{
	const char *why = host_problem(text, n);
	struct sockaddr_storage ss;
	socklen_t len;
	struct host *h;

	if (why != NULL) {
		snprintf(err, errlen, "'%.*s' is not a host name or address: %s",
			 (int)(n > 80 ? 80 : n), text, why);
		return -1;
	}
	if (r->nhosts >= MAX_HOSTS) {
		snprintf(err, errlen, "more than %d hosts", MAX_HOSTS);
		return -1;
	}
	if (r->nhosts == r->caphosts) {
		size_t cap = r->caphosts ? r->caphosts * 2 : 16;
		struct host *grown = realloc(r->hosts, cap * sizeof(*grown));

		if (grown == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		r->hosts = grown;
		r->caphosts = cap;
	}
	h = &r->hosts[r->nhosts];
	memset(h, 0, sizeof(*h));
	h->name = strndup(text, n);
	if (h->name == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	r->nhosts++;
	if (addr_parse(h->name, 0, &ss, &len) >= 0) {
		h->literal = true;
		host_set_addr(r, h, (struct sockaddr *)&ss);
	}
	return 0;
}

/* Every address of a -g network. */
static int add_network(struct run *r, const char *cidr, char *err, size_t errlen)
{
	struct addr_net net;
	uint64_t size, first = 0;
	char text[ADDR_TEXT_MAX];

	if (addr_net_parse(cidr, true, &net, err, errlen) < 0)
		return -1;
	size = addr_net_size(&net);
	if (size > MAX_HOSTS) {
		snprintf(err, errlen, "'%s' has more than %d addresses", cidr, MAX_HOSTS);
		return -1;
	}
	if (net.family == AF_INET && size >= 4) {
		first = 1; /* neither the network nor the broadcast address */
		size -= 1;
	}
	for (uint64_t i = first; i < size; i++) {
		struct sockaddr_storage ss;
		socklen_t len;

		addr_net_nth(&net, i, 0, &ss, &len);
		addr_format((struct sockaddr *)&ss, false, text, sizeof(text));
		if (add_host(r, text, strlen(text), err, errlen) < 0)
			return -1;
	}
	return 0;
}

/* Reads a -f file (or standard input) whole, never waiting past the
 * deadline: a FIFO without a writer must not hold the run. */
static char *slurp(struct run *r, const char *path, size_t *len, char *err, size_t errlen)
{
	bool in = strcmp(path, "-") == 0;
	int fd = in ? STDIN_FILENO : open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	size_t cap = 4096, n = 0;
	char *buf = NULL;
	struct stat st;
	bool fifo;

	if (fd < 0 || fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "cannot read %s: %s%s", path,
			 fd < 0 ? strerror(errno) : "a directory",
			 fd < 0 && errno == EACCES && r->was_root
				 ? " (root's runs read it as uid 65534: make it readable by others, "
				   "or give it on standard input)"
				 : "");
		goto fail;
	}
	if (in)
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	/* A named FIFO opened without blocking reads as empty until a writer
	 * comes: wait for one (until the deadline) before every read. */
	fifo = !in && S_ISFIFO(st.st_mode);
	for (;;) {
		ssize_t got;

		if (fifo && deadline_wait_fd(&r->d, fd, POLLIN, -1) <= 0) {
			snprintf(err, errlen, "%s: nothing to read before -t ran out", path);
			goto fail;
		}

		if (n + 1 >= cap || buf == NULL) {
			char *grown = n + 1 >= FILE_MAX ? NULL : realloc(buf, cap *= 2);

			if (grown == NULL) {
				snprintf(err, errlen, "%s: larger than %d MB", path, FILE_MAX >> 20);
				goto fail;
			}
			buf = grown;
		}
		got = read(fd, buf + n, cap - n - 1);
		if (got > 0) {
			n += (size_t)got;
			continue;
		}
		if (got == 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN || deadline_wait_fd(&r->d, fd, POLLIN, -1) <= 0) {
			snprintf(err, errlen, "%s: %s", path,
				 errno == EAGAIN ? "nothing to read before -t ran out" : strerror(errno));
			goto fail;
		}
	}
	if (!in)
		close(fd);
	buf[n] = '\0';
	*len = n;
	return buf;
fail:
	if (fd >= 0 && !in)
		close(fd);
	free(buf);
	return NULL;
}

/* One host of a -f file, for addr_host_lines. */
struct file_ctx {
	struct run *r;
	const char *path;
	char *err;
	size_t errlen;
};

static int file_host(void *ctx, const char *host, size_t n, size_t lineno)
{
	struct file_ctx *fc = ctx;
	size_t used;

	if (add_host(fc->r, host, n, fc->err, fc->errlen) == 0)
		return 0;
	used = strlen(fc->err);
	snprintf(fc->err + used, fc->errlen - used, " (%s, line %zu)", fc->path, lineno);
	return -1;
}

static int add_file(struct run *r, const char *path, char *err, size_t errlen)
{
	size_t len;
	char *buf = slurp(r, path, &len, err, errlen);
	struct file_ctx fc = { r, path, err, errlen };
	int rc;

	if (buf == NULL)
		return -1;
	rc = addr_host_lines(buf, len, file_host, &fc);
	free(buf);
	return rc;
}

/* Every host of the run, from -H and bare arguments, -f and -g. */
static int gather_hosts(struct run *r, char *err, size_t errlen)
{
	for (size_t i = 0; i < r->co.nhosts; i++)
		if (add_host(r, r->co.hosts[i], strlen(r->co.hosts[i]), err, errlen) < 0)
			return -1;
	for (size_t i = 0; i < r->p.nfiles; i++)
		if (add_file(r, r->p.files[i], err, errlen) < 0)
			return -1;
	for (size_t i = 0; i < r->p.nnets; i++)
		if (add_network(r, r->p.nets[i], err, errlen) < 0)
			return -1;
	if (r->nhosts == 0) {
		snprintf(err, errlen, "no host to ping (-H, -f or -g)");
		return -1;
	}
	return 0;
}

/* ---- sockets ------------------------------------------------------------ */

/* Applies TTL, TOS, DF and the source to the sockets there are. */
static int setup_sockets(struct run *r, char *err, size_t errlen)
{
	struct icmp_setup setup = { .ttl = (int)r->p.ttl, .tos = (int)r->p.tos,
				    .dont_fragment = r->p.dont_fragment };
	struct sockaddr_storage src;
	socklen_t srclen;
	int src_family = AF_UNSPEC;
	struct icmp_sock *socks[2] = { &r->sock4, &r->sock6 };
	struct fail f;

	if (r->p.source != NULL) {
		src_family = addr_parse(r->p.source, 0, &src, &srclen);
		if (src_family < 0 && if_nametoindex(r->p.source) == 0) {
			snprintf(err, errlen, "-s: '%s' is neither an address nor a network interface",
				 r->p.source);
			return -1;
		}
		if (src_family < 0)
			setup.device = r->p.source;
	}
	for (size_t i = 0; i < 2; i++) {
		struct icmp_sock *s = socks[i];

		if (s->fd < 0)
			continue;
		setup.source = src_family == s->family ? (struct sockaddr *)&src : NULL;
		setup.source_len = setup.source ? srclen : 0;
		if (icmp_configure(s, &setup, &f) < 0) {
			snprintf(err, errlen, "%s: %s", family_name(s->family), f.text);
			return -1;
		}
	}
	return 0;
}

/* ---- probing ------------------------------------------------------------ */

static enum probe_send send_probe(void *ctx, size_t t, unsigned k, uint32_t index)
{
	struct run *r = ctx;
	struct host *h = &r->hosts[t];
	int family = h->addr.sa.sa_family;
	struct icmp_sock *s = family == AF_INET ? &r->sock4 : &r->sock6;
	size_t len = icmp_echo_build(family, s->ident, (uint16_t)index, r->cookie, index,
				     (size_t)r->p.data_len, r->packet, r->packet_len);
	int e = icmp_send(s, &h->addr.sa, sa_len(&h->addr), r->packet, len);

	(void)k;
	switch (e) {
	case 0:
		return PROBE_SENT;
	case EAGAIN:
	case ENOBUFS:
		return PROBE_AGAIN;
	case EMSGSIZE:
		/* Larger than the path MTU the kernel knows, with DF: it knows
		 * it from a router's error, which says more (who, and the
		 * MTU), so that one stays when it came first. */
		if (h->nerr == 0 || h->err != ICMP_ERR_FRAG_NEEDED ||
		    h->err_from.sa.sa_family == AF_UNSPEC) {
			h->err = ICMP_ERR_FRAG_NEEDED;
			h->mtu = (uint32_t)icmp_path_mtu(s, &h->addr.sa, sa_len(&h->addr));
			h->err_from.sa.sa_family = AF_UNSPEC;
		}
		h->nerr++;
		return PROBE_ERROR;
	default:
		h->send_errno = (uint16_t)e;
		return PROBE_ERROR;
	}
}

/* The probe a message answers: by its tag, or for an error that quotes
 * only the request's header, by sequence number and destination. */
static bool find_probe(const struct run *r, const struct icmp_msg *m, uint32_t *index)
{
	uint32_t total = (uint32_t)(r->nhosts * (size_t)r->p.packets);

	if (m->tagged) {
		const struct host *h;

		if (memcmp(m->cookie, r->cookie, ICMP_COOKIE_LEN) != 0 || m->index >= total ||
		    (uint16_t)m->index != m->seq)
			return false;
		h = &r->hosts[m->index / r->p.packets];
		if (!addr_same_ip(m->kind == ICMP_MSG_REPLY ? (const struct sockaddr *)&m->from
							    : (const struct sockaddr *)&m->probe_to,
				  &h->addr.sa))
			return false;
		*index = m->index;
		return true;
	}
	if (m->kind != ICMP_MSG_ERROR || !m->has_probe_to)
		return false;
	for (uint32_t i = m->seq; i < total; i += 65536) {
		const struct probe_slot *s = probe_slot_at(r->probes, i);

		if (s->state == PROBE_WAITING &&
		    addr_same_ip((const struct sockaddr *)&m->probe_to,
				 &r->hosts[i / r->p.packets].addr.sa)) {
			*index = i;
			return true;
		}
	}
	return false;
}

static void take(struct run *r, const struct icmp_sock *s, const struct icmp_msg *m)
{
	uint32_t index;
	struct host *h;

	if ((s->kind == ICMP_SOCK_RAW && m->ident != s->ident) || !find_probe(r, m, &index)) {
		r->ignored++;
		return;
	}
	if (m->kind == ICMP_MSG_REPLY) {
		/* A reply must carry back what was sent: a cut or damaged one
		 * measured nothing. */
		if (m->data_len != (size_t)r->p.data_len || !m->filler_ok) {
			r->ignored++;
			return;
		}
		probe_answer(r->probes, index, m->rx_ns);
		return;
	}
	h = &r->hosts[index / r->p.packets];
	h->err = (uint8_t)m->error;
	h->mtu = m->mtu;
	memcpy(&h->err_from, &m->from,
	       m->from.ss_family == AF_INET6 ? sizeof(h->err_from.in6)
					     : m->from.ss_family == AF_INET ? sizeof(h->err_from.in)
									    : sizeof(sa_family_t));
	h->nerr++;
	probe_error(r->probes, index);
}

static void on_readable(void *ctx, int fd, short revents)
{
	struct run *r = ctx;
	struct icmp_sock *s = fd == r->sock4.fd ? &r->sock4 : &r->sock6;
	struct icmp_msg msgs[ICMP_RECV_BATCH];

	/* A few batches at most: a flood must not keep probes from going out. */
	for (int round = 0; round < 8; round++) {
		int n = icmp_recv(s, round == 0 && (revents & POLLERR), msgs, ICMP_RECV_BATCH,
				  &r->ignored);

		for (int i = 0; i < n; i++)
			take(r, s, &msgs[i]);
		if (n < ICMP_RECV_BATCH)
			break;
	}
}

struct lookup {
	struct run *r;
	size_t i;
};

static void resolved(void *ctx, enum resolve_status st, struct addr_list *addrs,
		     const struct fail *f)
{
	struct lookup *l = ctx;
	struct run *r = l->r;
	struct host *h = &r->hosts[l->i];
	size_t skip = strlen(h->name);

	if (st != RESOLVE_OK || addrs->n == 0) {
		/* "name: no such domain (...)": the name is said already. */
		const char *why = f && strncmp(f->text, h->name, skip) == 0 &&
						  strncmp(f->text + skip, ": ", 2) == 0
					  ? f->text + skip + 2
					  : f ? f->text : resolve_status_text(st);

		host_fail(h, st == RESOLVE_TIMEOUT ? r->co.timeout_state : STATE_CRITICAL, "%s", why);
	} else {
		host_set_addr(r, h, (struct sockaddr *)&addrs->addr[0]);
	}
	addr_list_free(addrs);
	if (h->phase == HOST_READY)
		probe_start(r->probes, l->i);
	else
		probe_skip(r->probes, l->i);
}

/* Starts every host: probes for those with an address, lookups for names. */
static int start_hosts(struct run *r, struct lookup **lookups)
{
	size_t nnames = 0;

	for (size_t i = 0; i < r->nhosts; i++)
		nnames += r->hosts[i].phase == HOST_NEW;
	*lookups = nnames ? calloc(r->nhosts, sizeof(**lookups)) : NULL;
	if (nnames && *lookups == NULL)
		return -1;
	for (size_t i = 0; i < r->nhosts; i++) {
		struct host *h = &r->hosts[i];

		if (h->phase == HOST_READY) {
			probe_start(r->probes, i);
		} else if (h->phase == HOST_FAILED) {
			probe_skip(r->probes, i);
		} else {
			(*lookups)[i] = (struct lookup){ r, i };
			h->phase = HOST_RESOLVING;
			resolve_host_start(r->resolver, h->name, r->co.family, 0, resolved,
					   &(*lookups)[i]);
		}
	}
	return 0;
}

static int make_resolver(struct run *r, char *err, size_t errlen)
{
	struct resolver_params rp = { .deadline = &r->d, .servers = opts_dns_servers(&r->co),
				      .family = AF_UNSPEC };
	struct fail f = { 0 };

	r->resolver = resolver_new(&rp, &f);
	if (r->resolver == NULL) {
		snprintf(err, errlen, "%s", f.text);
		return -1;
	}
	return 0;
}

/* The probe schedule of the run, with the wait it has so far. */
static struct probe_params schedule(const struct run *r)
{
	const struct params *p = &r->p;

	return (struct probe_params){
		.deadline = &r->d, .ntargets = r->nhosts, .count = (unsigned)p->packets,
		.interval_ns = p->interval_ns, .gap_ns = p->gap_ns, .wait_ns = p->wait_ns,
		.spacing_ns = p->rate > 0 ? (int64_t)((double)NS_PER_S / p->rate) : 0,
	};
}

/* Sends every probe and waits for the answers: one loop for probes and
 * lookups.  Returns 0, or -1 with err set. */
static int ping_all(struct run *r, char *err, size_t errlen)
{
	struct probe_params pp = schedule(r);
	struct lookup *lookups = NULL;
	int rc = -1;

	if (make_resolver(r, err, errlen) < 0)
		return -1;
	pp.resolver = r->resolver;
	pp.ctx = r;
	pp.send = send_probe;
	pp.readable = on_readable;
	r->packet_len = ICMP_HDR_LEN + (size_t)r->p.data_len;
	r->packet = malloc(r->packet_len);
	r->probes = probe_new(&pp);
	if (r->packet == NULL || r->probes == NULL || start_hosts(r, &lookups) < 0) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	if (r->sock4.fd >= 0)
		probe_watch(r->probes, r->sock4.fd);
	if (r->sock6.fd >= 0)
		probe_watch(r->probes, r->sock6.fd);
	probe_run(r->probes);
	rc = 0;
done:
	resolver_free(r->resolver); /* what still resolves ends as a timeout */
	r->resolver = NULL;
	free(lookups);
	return rc;
}

/* ---- judging ------------------------------------------------------------ */

/* A round trip for people: "0.052 ms", "20.3 ms", "1.25 s". */
static void ms_text(double s, char *buf, size_t len)
{
	if (isnan(s))
		snprintf(buf, len, "unknown");
	else if (s < 1.0)
		snprintf(buf, len, "%.3g ms", s * 1e3);
	else
		snprintf(buf, len, "%.2f s", s);
}

/* What one host came to. */
struct verdict {
	enum state st;
	char text[512];   /* the long-output line (the summary for one host) */
	char brief[256];  /* what is wrong, for the status line */
	size_t tlen, blen;
	size_t start;     /* where the measures begin in text */
};

/* Judges value against warn and crit (NaN: none); `high` when a larger
 * value is worse.  Adds shown ("rta 612 ms") to the text, with the limit
 * it broke ("(critical at 500 ms)"), and to the brief when it broke one. */
static void judge_one(struct verdict *v, const char *shown, double value, double warn,
		      double crit, bool high, const char *unit, double scale)
{
	enum state st = STATE_OK;
	double limit = NAN;

	if (!isnan(value)) {
		if (!isnan(crit) && (high ? value >= crit : value <= crit)) {
			st = STATE_CRITICAL;
			limit = crit;
		} else if (!isnan(warn) && (high ? value >= warn : value <= warn)) {
			st = STATE_WARNING;
			limit = warn;
		}
	}
	v->st = state_worst(v->st, st);
	result_text_put(v->text, sizeof(v->text), &v->tlen, "%s%s",
			v->tlen > v->start ? ", " : " ", shown);
	if (st == STATE_OK)
		return;
	result_text_put(v->text, sizeof(v->text), &v->tlen, " (%s at %.4g%s)",
	    st == STATE_CRITICAL ? "critical" : "warning", limit * scale, unit);
	result_text_put(v->brief, sizeof(v->brief), &v->blen, "%s%s", v->blen ? ", " : "", shown);
}

static void error_text(const struct host *h, char *buf, size_t len)
{
	char from[ADDR_TEXT_MAX] = "this host";
	size_t used = 0;

	if (h->err_from.sa.sa_family == AF_INET || h->err_from.sa.sa_family == AF_INET6)
		addr_format(&h->err_from.sa, false, from, sizeof(from));
	buf[0] = '\0';
	if (h->nerr > 0) {
		result_text_put(buf, len, &used, "%s", icmp_error_text(h->err));
		if (h->err == ICMP_ERR_FRAG_NEEDED && h->mtu)
			result_text_put(buf, len, &used, " (MTU %u)", h->mtu);
		result_text_put(buf, len, &used, " from %s", from);
	} else if (h->send_errno) {
		result_text_put(buf, len, &used, "not sent: %s", strerror(h->send_errno));
	}
}

/* The stats of host t from its probes (st->sent: how many were measured);
 * false when none was. */
static bool host_stats(const struct run *r, size_t t, double *rtt, struct stats *st)
{
	const struct probe_slot *s = probe_slots(r->probes, t);
	size_t n = 0;

	for (long k = 0; k < r->p.packets; k++) {
		if (s[k].state == PROBE_ANSWERED)
			rtt[n++] = s[k].rtt_us / 1e6;
		else if (s[k].state == PROBE_LOST || s[k].state == PROBE_FAILED)
			rtt[n++] = NAN;
	}
	stats_compute(rtt, n, st);
	return n > 0;
}

static void label(const struct host *h, char *buf, size_t len)
{
	char a[ADDR_TEXT_MAX];

	if (h->phase != HOST_READY || h->literal) {
		snprintf(buf, len, "%s", h->name);
		return;
	}
	addr_format(&h->addr.sa, false, a, sizeof(a));
	snprintf(buf, len, "%s (%s)", h->name, a);
}

static void judge_measured(const struct run *r, const struct host *h, const struct stats *st,
			   struct verdict *v)
{
	const struct params *p = &r->p;
	char shown[80], ms[32], err[160];

	if (st->received == 0) {
		judge_one(v, "100% lost", st->loss, p->warn_pl, p->crit_pl, true, "%", 1);
	} else {
		ms_text(st->avg, ms, sizeof(ms));
		snprintf(shown, sizeof(shown), "rta %s", ms);
		judge_one(v, shown, st->avg, p->warn_rta, p->crit_rta, true, " ms", 1e3);
		snprintf(shown, sizeof(shown), "lost %.3g%%", st->loss);
		judge_one(v, shown, st->loss, p->warn_pl, p->crit_pl, true, "%", 1);
	}
	if (!isnan(p->jitter_w) || !isnan(p->jitter_c)) {
		ms_text(st->jitter, ms, sizeof(ms));
		snprintf(shown, sizeof(shown), "jitter %s", ms);
		judge_one(v, shown, st->jitter, p->jitter_w, p->jitter_c, true, " ms", 1e3);
	}
	if (!isnan(p->mos_w) || !isnan(p->mos_c)) {
		/* Without a reply there is no MOS to speak of: judged as the
		 * worst, 1. */
		snprintf(shown, sizeof(shown), isnan(st->mos) ? "mos unknown" : "mos %.2f", st->mos);
		judge_one(v, shown, isnan(st->mos) ? 1.0 : st->mos, p->mos_w, p->mos_c, false, "", 1);
	}
	error_text(h, err, sizeof(err));
	if (err[0]) {
		result_text_put(v->text, sizeof(v->text), &v->tlen, ", %s", err);
		if (v->st != STATE_OK)
			result_text_put(v->brief, sizeof(v->brief), &v->blen, ", %s", err);
	}
	if (st->sent < (size_t)p->packets)
		result_text_put(v->text, sizeof(v->text), &v->tlen,
				", %zu of %ld requests measured before -t ran out", st->sent,
				p->packets);
}

static void judge_host(const struct run *r, size_t t, double *rtt, struct stats *st,
		       struct verdict *v)
{
	const struct host *h = &r->hosts[t];
	char name[HOST_TEXT_MAX + ADDR_TEXT_MAX + 4];

	memset(v, 0, sizeof(*v));
	label(h, name, sizeof(name));
	memset(st, 0, sizeof(*st));
	st->loss = st->avg = st->min = st->max = st->jitter = st->mos = st->stddev = NAN;
	if (h->phase != HOST_READY) {
		v->st = h->phase == HOST_FAILED ? (enum state)h->fail_state : r->co.timeout_state;
		snprintf(v->text, sizeof(v->text), "%s: %s", name,
			 h->why ? h->why : "not looked up before -t ran out");
		snprintf(v->brief, sizeof(v->brief), "%s", h->why ? h->why : "not looked up");
		return;
	}
	if (!host_stats(r, t, rtt, st)) {
		v->st = r->co.timeout_state;
		snprintf(v->text, sizeof(v->text), "%s: not measured: -t ran out first", name);
		snprintf(v->brief, sizeof(v->brief), "not measured");
		return;
	}
	result_text_put(v->text, sizeof(v->text), &v->tlen, "%s:", name);
	v->start = v->tlen;
	judge_measured(r, h, st, v);
}

/* ---- writing ------------------------------------------------------------ */

/* A range "alert at or above v" as perfdata shows it (0..v); NULL for NaN. */
static const struct range *upto(struct range *rg, double v)
{
	if (isnan(v))
		return NULL;
	*rg = (struct range){ .start = 0, .end = v };
	return rg;
}

/* "alert at or below v" (v:). */
static const struct range *from(struct range *rg, double v)
{
	if (isnan(v))
		return NULL;
	*rg = (struct range){ .start = v, .end_inf = true };
	return rg;
}

static void perf_item(struct result *res, const char *prefix, const char *name, double value,
		      const char *uom, const struct range *w, const struct range *c, double min,
		      double max)
{
	char lbl[HOST_TEXT_MAX + 16];
	struct perf pf = { .label = lbl, .value = value, .uom = uom, .warn = w, .crit = c,
			   .min = min, .max = max };
	size_t np = strlen(prefix), nn = strlen(name);

	/* memcpy, not snprintf: 10,000 hosts have 60,000 labels. */
	memcpy(lbl, prefix, np);
	memcpy(lbl + np, name, nn + 1);
	result_perf(res, &pf);
}

/* rta, pl, rtmin, rtmax, jitter (with -n 2 or more), mos of one host:
 * labels every run of the service has, U for what was not measured. */
static void host_perfdata(const struct run *r, const char *prefix, const struct stats *st)
{
	const struct params *p = &r->p;
	struct range w, c, pw, pc, jw, jc, mw, mc;
	double pl = st->sent ? st->loss : NAN;

	perf_item(r->res, prefix, "rta", st->avg * 1e3, "ms", upto(&w, p->warn_rta),
		  upto(&c, p->crit_rta), 0, NAN);
	perf_item(r->res, prefix, "pl", pl, "%", upto(&pw, p->warn_pl), upto(&pc, p->crit_pl), 0,
		  100);
	perf_item(r->res, prefix, "rtmin", st->min * 1e3, "ms", NULL, NULL, 0, NAN);
	perf_item(r->res, prefix, "rtmax", st->max * 1e3, "ms", NULL, NULL, 0, NAN);
	/* One request a host has no jitter to measure: no label, rather
	 * than a U on every run. */
	if (p->packets > 1)
		perf_item(r->res, prefix, "jitter", st->jitter * 1e3, "ms", upto(&jw, p->jitter_w),
			  upto(&jc, p->jitter_c), 0, NAN);
	perf_item(r->res, prefix, "mos", st->mos, "", from(&mw, p->mos_w), from(&mc, p->mos_c), 0,
		  5);
}

/* -v: the rest of what was measured; -vv: each probe. */
static void host_details(const struct run *r, size_t t, const char *name, const struct stats *st)
{
	const struct probe_target *ti = probe_target_info(r->probes, t);
	const struct probe_slot *s = probe_slots(r->probes, t);
	char mn[32], mx[32], sd[32], jt[32], line[1024];
	size_t used = 0;

	if (r->hosts[t].phase != HOST_READY)
		return;
	ms_text(st->min, mn, sizeof(mn));
	ms_text(st->max, mx, sizeof(mx));
	ms_text(st->stddev, sd, sizeof(sd));
	ms_text(st->jitter, jt, sizeof(jt));
	result_detail(r->res, 1,
		      "%s: %u sent, %zu received, rtmin %s, rtmax %s, stddev %s, jitter %s, mos %.2f, "
		      "%u duplicates, %u reordered",
		      name, ti->sent, st->received, mn, mx, sd, jt, st->mos, ti->dups, ti->reordered);
	for (long k = 0; k < r->p.packets && used < sizeof(line); k++) {
		static const char *const what[] = { "not sent", "waiting", "", "lost", "error",
						    "cut by -t" };

		result_text_put(line, sizeof(line), &used, "%s#%ld ", k ? ", " : "", k + 1);
		if (s[k].state == PROBE_ANSWERED)
			result_text_put(line, sizeof(line), &used, "%.3f ms", s[k].rtt_us / 1e3);
		else
			result_text_put(line, sizeof(line), &used, "%s", what[s[k].state]);
	}
	result_detail(r->res, 2, "%s: %s", name, line);
}

static void summarise_many(struct run *r)
{
	size_t ok = result_count(r->res, STATE_OK), warn = result_count(r->res, STATE_WARNING);
	char problems[2048], need[64] = "";

	if (r->p.min_alive > 0) {
		enum state st = ok >= (size_t)r->p.min_alive ? STATE_OK
			      : ok + warn >= (size_t)r->p.min_alive ? STATE_WARNING
								    : STATE_CRITICAL;

		result_set_state(r->res, st);
		snprintf(need, sizeof(need), " (at least %ld needed)", r->p.min_alive);
	}
	result_problems_by_state(r->res, PROBLEMS_SHOWN, problems, sizeof(problems));
	result_summary(r->res, "%zu of %zu hosts OK%s%s%s", ok, r->nhosts, need,
		       problems[0] ? "; " : "", problems);
}

/* Judges every host and writes the summary and perfdata. */
static void judge_all(struct run *r)
{
	bool many = r->nhosts > 1;
	double *rtt = malloc((size_t)r->p.packets * sizeof(*rtt));
	struct verdict v;
	struct stats st;

	if (rtt == NULL) {
		result_raise(r->res, STATE_UNKNOWN);
		result_summary(r->res, "out of memory");
		return;
	}
	for (size_t t = 0; t < r->nhosts; t++) {
		const struct host *h = &r->hosts[t];
		char brief[HOST_TEXT_MAX + sizeof(v.brief) + 4];

		judge_host(r, t, rtt, &st, &v);
		if (many && v.st == STATE_OK) {
			result_sub(r->res, v.st, "%s", v.text);
		} else if (many) {
			snprintf(brief, sizeof(brief), "%s (%s)", h->name, v.brief);
			result_sub_brief(r->res, v.st, brief, "%s", v.text);
		} else {
			result_raise(r->res, v.st);
			result_summary(r->res, "%s", v.text);
		}
		host_perfdata(r, many ? h->name : "", &st);
		if (r->co.verbose > 0)
			host_details(r, t, h->name, &st);
	}
	free(rtt);
	if (many)
		summarise_many(r);
}

/* ---- the run ------------------------------------------------------------ */

static void duration_text(int64_t ns, char *buf, size_t len)
{
	unit_format((double)ns / NS_PER_S, UNIT_TIME, buf, len);
}

/* The wait, from --wait or the critical RTA, and whether the schedule fits
 * in -t.  Returns 0, or -1 with err naming the time the options need. */
static int fit_schedule(struct run *r, char *err, size_t errlen)
{
	struct params *p = &r->p;
	int64_t have = r->co.timeout_ms * NS_PER_MS;
	int64_t crit = isnan(p->crit_rta) ? 0 : (int64_t)(p->crit_rta * NS_PER_S);
	struct probe_params pp = schedule(r);
	int64_t sched;
	char a[32], b[32], c[32], d[32];

	if ((double)r->nhosts * (double)p->packets > MAX_PROBES) {
		snprintf(err, errlen, "%zu hosts x %ld packets is more than %d requests a run",
			 r->nhosts, p->packets, MAX_PROBES);
		return -1;
	}
	pp.wait_ns = 0;
	sched = probe_schedule_ns(&pp);
	if (p->wait_ns == 0) {
		/* Twice the critical RTA, at least 1 s; shorter when -t has no
		 * room for it, but never below the critical RTA itself. */
		p->wait_ns = 2 * crit > MIN_WAIT ? 2 * crit : MIN_WAIT;
		if (sched + p->wait_ns > have && have - sched >= crit && have - sched > 0)
			p->wait_ns = have - sched;
	}
	if (sched + p->wait_ns <= have)
		return 0;
	duration_text(p->interval_ns, a, sizeof(a));
	duration_text(p->wait_ns, b, sizeof(b));
	duration_text(sched + p->wait_ns, c, sizeof(c));
	duration_text(have, d, sizeof(d));
	snprintf(err, errlen,
		 "%ld packets %s apart to %zu host%s%s and %s to wait for the last reply need %s; "
		 "-t allows %s (raise -t, or lower -n, -i%s or --wait)",
		 p->packets, a, r->nhosts, r->nhosts == 1 ? "" : "s",
		 (p->gap_ns > 0 && r->nhosts > 1) || p->rate > 0 ? " one after the other" : "", b, c,
		 d, r->nhosts > 1 ? ", -I" : "");
	return -1;
}

/* -vv and -vvv: how the run sent and timed its probes. */
static void run_details(struct run *r)
{
	const struct icmp_sock *socks[2] = { &r->sock4, &r->sock6 };
	char priv[160];

	for (size_t i = 0; i < 2; i++) {
		const struct icmp_sock *s = socks[i];

		if (s->fd >= 0)
			result_detail(r->res, 2, "%s: %s socket, %s timestamps", family_name(s->family),
				      s->kind == ICMP_SOCK_DGRAM ? "datagram (unprivileged)" : "raw",
				      s->kernel_stamps ? "kernel" : "user-space");
	}
	if (r->probes) {
		const struct probe_times *pt = probe_times(r->probes);
		double ms = 1e3 / NS_PER_S;

		result_detail(r->res, 3,
			      "first probe %.1f ms after the start, last %.1f ms, all done at %.1f ms",
			      (double)(pt->first_send_ns - r->d.start_ns) * ms,
			      (double)(pt->last_send_ns - r->d.start_ns) * ms,
			      (double)(pt->end_ns - r->d.start_ns) * ms);
	}
	if (r->co.verbose < 3)
		return;
	icmp_privileges_text(priv, sizeof(priv));
	result_detail(r->res, 3, "running as %s", priv);
	result_detail(r->res, 3, "%u messages ignored (not ours, or damaged)", r->ignored);
}

static void check(struct run *r)
{
	char err[1024];

	if (gather_hosts(r, err, sizeof(err)) < 0 || fit_schedule(r, err, sizeof(err)) < 0) {
		result_raise(r->res, STATE_UNKNOWN);
		result_summary(r->res, "%s", err);
		return;
	}
	if (r->sock4.fd < 0 && r->sock6.fd < 0) {
		icmp_open_advice(&r->sock4, r->self, err, sizeof(err));
		result_raise(r->res, STATE_UNKNOWN);
		result_summary(r->res, "%s", err);
		return;
	}
	if (setup_sockets(r, err, sizeof(err)) < 0 || ping_all(r, err, sizeof(err)) < 0) {
		result_raise(r->res, STATE_UNKNOWN);
		result_summary(r->res, "%s", err);
		return;
	}
	judge_all(r);
	run_details(r);
}

static void run_free(struct run *r)
{
	for (size_t i = 0; i < r->nhosts; i++) {
		free(r->hosts[i].name);
		free(r->hosts[i].why);
	}
	free(r->hosts);
	probe_free(r->probes);
	free(r->packet);
	icmp_close(&r->sock4);
	icmp_close(&r->sock6);
	opts_free(&r->co);
	result_free(r->res);
}

int main(int argc, char **argv)
{
	static struct run r = {
		.p = { .packets = DEFAULT_PACKETS, .interval_ns = DEFAULT_INTERVAL,
		       .gap_ns = DEFAULT_GAP, .data_len = DEFAULT_DATA, .tos = -1,
		       .warn_rta = 0.2, .warn_pl = 40, .crit_rta = 0.5, .crit_pl = 80,
		       .jitter_w = NAN, .jitter_c = NAN, .mos_w = NAN, .mos_c = NAN },
	};
	int rc;

	/* Sockets first, then no privilege is left for what follows. */
	r.self = argv[0];
	r.was_root = getuid() == 0;
	if (icmp_open_all(&r.sock4, &r.sock6, r.drop_error, sizeof(r.drop_error)) < 0) {
		printf("%s UNKNOWN - %s\n", info.service, r.drop_error);
		return STATE_UNKNOWN;
	}
	rc = opts_parse(&info, &r.co, argc, argv, handle, &r, stdout);
	if (rc >= 0) {
		run_free(&r);
		return rc;
	}
	deadline_start(&r.d, r.co.timeout_ms);
	/* Thousands of hosts write hundreds of KB: in few large writes. */
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	if (getrandom(r.cookie, sizeof(r.cookie), 0) != sizeof(r.cookie) ||
	    (r.res = result_new(info.service)) == NULL) {
		printf("%s UNKNOWN - no random bytes or out of memory\n", info.service);
		return STATE_UNKNOWN;
	}
	check(&r);
	result_perf(r.res, &(struct perf){ .label = "time", .value = deadline_elapsed_s(&r.d),
					   .uom = "s", .min = 0, .max = NAN });
	rc = opts_write(&info, &r.co, r.res, stdout);
	run_free(&r);
	return rc;
}
