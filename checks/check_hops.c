/* check_hops: the path to a host as a check, as `tracert -d host` and
 * pathping show it to a person: hop count, reachability, per-hop loss and
 * latency, expected and forbidden routers, changes against a baseline.
 *
 * Sockets come first (common/icmp: an unprivileged ICMP datagram socket,
 * else raw; UDP needs no privilege) and every privilege is dropped before
 * an option is read.  Each TTL is a target of common/probe with -q probes;
 * -N TTLs are in flight at once (a TTL that is done starts the next), a
 * probe's wait shrinks once its own hop or a later one has answered (as
 * traceroute's HERE and NEAR), and TTLs beyond the destination are
 * cancelled as soon as it answers.  Then: reverse names (-r, all at once),
 * the verdict, the table, perfdata, the baseline. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr.h"
#include "baseline.h"
#include "deadline.h"
#include "dnsmsg.h"
#include "fail.h"
#include "icmp.h"
#include "opts.h"
#include "output.h"
#include "probe.h"
#include "range.h"
#include "resolve.h"
#include "result.h"

#define MAX_TTL          255
#define DEFAULT_MAX_HOPS 30
#define DEFAULT_QUERIES  3
#define MAX_QUERIES      10
#define DEFAULT_INFLIGHT 16
#define DEFAULT_DATA     32                /* traceroute's 60-byte IPv4 packets */
#define DEFAULT_WAIT     (3 * NS_PER_S)    /* as tracert -w 3000 */
#define DEFAULT_HERE     3.0
#define DEFAULT_NEAR     10.0
#define MIN_WAIT         (10 * NS_PER_MS)  /* an adaptive wait is never shorter */
#define UDP_PORT         33434
#define TCP_PORT         80
#define MAX_RULES        32
#define SHOWN_PROBLEMS   5
#define HOST_TEXT_MAX    254

enum {
	KEY_WAIT = 256,
	KEY_MAX_SILENT,
	KEY_RTT_W,
	KEY_RTT_C,
	KEY_LOSS_W,
	KEY_LOSS_C,
	KEY_EXPECT,
	KEY_VIA,
	KEY_AVOID,
	KEY_BASELINE,
	KEY_PER_HOP,
};

enum proto { PROTO_ICMP, PROTO_UDP, PROTO_TCP };

enum stop {
	STOP_NONE,     /* ran out of hops (the hop limit) */
	STOP_REACHED,  /* the destination answered */
	STOP_UNREACH,  /* a router said the destination is unreachable */
	STOP_LOOP,     /* the same router twice, not adjacent */
	STOP_SILENT,   /* --max-silent hops in a row without an answer */
};

enum rule_kind { RULE_EXPECT, RULE_VIA, RULE_AVOID };

struct rule {
	enum rule_kind kind;
	long hop;             /* RULE_EXPECT: the hop (TTL) */
	struct addr_net net;
	const char *text;     /* the address or network as given */
};

/* The plugin's own options. */
struct params {
	enum proto proto;     /* -P */
	long queries;         /* -q */
	long inflight;        /* -N */
	long first;           /* -f */
	long max_hops;        /* -m */
	long data_len;        /* -b */
	long max_silent;      /* --max-silent; 0: off */
	int64_t wait_ns;      /* --wait MAX */
	double here, near;    /* --wait ,HERE,NEAR */
	bool resolve;         /* -r */
	bool per_hop;         /* --perfdata-per-hop */
	bool dont_fragment;   /* -M */
	const char *source;   /* -s */
	double rtt_w, rtt_c;  /* seconds; NaN: none */
	double loss_w, loss_c; /* percent; NaN: none */
	struct rule rules[MAX_RULES];
	size_t nrules;
	const char *baseline; /* --baseline */
};

union sa_any {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
	struct sockaddr_storage ss;
};

/* One address a hop answered from. */
struct hop_addr {
	union sa_any a;
	unsigned answers;
	char *name;           /* -r: its reverse name (owned), NULL: none */
};

enum hop_phase { HOP_NEW, HOP_FLYING, HOP_DONE, HOP_CANCELLED };

/* One TTL of the run. */
struct hop {
	struct hop_addr addr[BASELINE_HOP_ADDRS];
	unsigned naddr;
	unsigned received;    /* answers (time exceeded, errors, replies) */
	double best, worst, sum; /* round trips, seconds */
	int64_t best_ns;      /* the best, for the waits; INT64_MAX: none */
	uint8_t err;          /* enum icmp_error of an error other than time
			       * exceeded (from a router or the destination) */
	uint32_t mtu;         /* ICMP_ERR_FRAG_NEEDED: the MTU named */
	bool dest;            /* the destination answered at this TTL */
	uint8_t phase;        /* enum hop_phase */
	int send_errno;       /* a probe that could not be sent: why */
};

/* Everything one run needs. */
struct run {
	struct common_opts co;
	struct params p;
	struct deadline d;
	struct result *res;
	struct icmp_sock sock4, sock6; /* ICMP, opened first */
	struct icmp_sock udp;
	struct icmp_sock *sock;       /* the one probes go out on (NULL: TCP) */
	int epfd;                     /* TCP: every probe's socket, by index */
	int *tcp_fd;                  /* TCP: the socket of each probe, -1 none */
	struct sockaddr_storage src;  /* -s as an address (TCP binds each probe) */
	socklen_t srclen;
	union sa_any target;
	char target_text[ADDR_TEXT_MAX];
	char name[HOST_TEXT_MAX + ADDR_TEXT_MAX + 4]; /* "name (address)" */
	struct probe_run *probes;
	struct hop *hops;             /* hop i is TTL first + i */
	size_t nhops;
	size_t next;                  /* the next TTL to start */
	size_t inflight;              /* TTLs started, not done */
	size_t stop_t;                /* the path ends here (SIZE_MAX: not yet) */
	enum stop stop;
	size_t loop_a, loop_b;        /* STOP_LOOP: the hops of the same router */
	unsigned char cookie[ICMP_COOKIE_LEN];
	unsigned char *packet;
	size_t packet_len;
	unsigned ignored;
	bool timed_out;
	const char *self;
	bool was_root;                /* started as root, runs as nobody */
	char drop_error[256];
};

static const struct opt_spec extra[] = {
	{ "protocol", 'P', "icmp|udp|tcp",
	  "Probe with ICMP echo (as tracert), UDP datagrams to -p (as Linux traceroute, "
	  "no privilege needed) or TCP SYN to -p (the path a mail connection takes through "
	  "firewalls that drop ICMP).", "icmp" },
	{ "queries", 'q', "N", "Probes per hop, 1 to 10.", "3" },
	{ "sim-queries", 'N', "N", "Hops (TTLs) probed at once, 1 to 255.", "16" },
	{ "first", 'f', "TTL", "The first hop to probe, 1 to 255.", "1" },
	{ "max-hops", 'm', "N",
	  "The last hop to probe, 1 to 255: a destination further away is not reached.",
	  "30" },
	{ "wait", KEY_WAIT, "MAX[,HERE[,NEAR]]",
	  "How long a probe waits for its answer: at most MAX (a bare number is in ms), "
	  "HERE times the round trip of an answer from the same hop, NEAR times that of an "
	  "answer from a later router (as traceroute -w), but never under 10 ms; the "
	  "destination's own probes always wait MAX (a loss there counts).",
	  "3s,3,10" },
	{ "resolve", 'r', NULL,
	  "Show the reverse name of each router (looked up all at once); numeric "
	  "otherwise, as tracert -d.", NULL },
	{ "size", 'b', "BYTES", "Data bytes of each probe, 12 to 65000.", "32" },
	{ "dont-fragment", 'M', NULL,
	  "Set Don't Fragment: a router beyond whose link the probe does not fit answers "
	  "!F with the MTU (find the path MTU with -b).", NULL },
	{ "source", 's', "ADDR|DEVICE", "Send from this address or through this interface.",
	  NULL },
	{ "max-silent", KEY_MAX_SILENT, "N",
	  "Stop after N hops in a row without an answer (when no later hop answered).",
	  "probe up to -m" },
	{ "rtt-warning", KEY_RTT_W, "TIME",
	  "WARNING when the average round trip to the destination is TIME or more (a bare "
	  "number is in ms).", NULL },
	{ "rtt-critical", KEY_RTT_C, "TIME", "CRITICAL at that round trip or more.", NULL },
	{ "loss-warning", KEY_LOSS_W, "PCT",
	  "WARNING when PCT % or more of the probes that reached the destination's hop got "
	  "no answer (loss at routers alone is never alarmed: they limit their answers).",
	  NULL },
	{ "loss-critical", KEY_LOSS_C, "PCT", "CRITICAL at that loss or more.", NULL },
	{ "expect-hop", KEY_EXPECT, "N=ADDR|CIDR",
	  "Hop N must answer from ADDR or from within CIDR (CRITICAL otherwise; WARNING when "
	  "hop N did not answer); repeatable.", NULL },
	{ "via", KEY_VIA, "ADDR|CIDR", "Some hop must be ADDR or within CIDR; repeatable.",
	  NULL },
	{ "avoid", KEY_AVOID, "ADDR|CIDR", "No hop may be ADDR or within CIDR; repeatable.",
	  NULL },
	{ "baseline", KEY_BASELINE, "FILE",
	  "The first run that reaches the destination stores the path in FILE; later runs "
	  "are WARNING when it differs, with the difference in the long output.  Delete "
	  "FILE to take the current path as the new baseline.", NULL },
	{ "perfdata-per-hop", KEY_PER_HOP, NULL,
	  "Add hopN_rtt and hopN_pl for every hop that answered (keyed by hop number, so "
	  "that graphs survive a route change).", NULL },
	{ NULL, 0, NULL, NULL, NULL },
};

static const struct plugin_info info = {
	.name = "check_hops",
	.service = "HOPS",
	.purpose = "Traces the path to a host, as `tracert -d host` and pathping show it to a "
		   "person, and checks it: reached or not (and where it ends), the number of "
		   "hops, round trip and loss at the destination, routers that must or must "
		   "not be on it, routing loops, changes against a baseline.",
	.usage = "-H HOST [-P icmp|udp|tcp] [-w RANGE] [-c RANGE] [options]",
	.host_help = "Host name or address to trace.",
	.default_port = UDP_PORT,
	.thr_what = "the number of hops to the destination",
	.thr_kind = UNIT_NONE,
	.thr_unit = NULL,
	.verbose_help = "Add long output: -v how many reverse names were asked of whom, -vv "
			"how each probe ended (its round trip, lost, not sent) and the kind of "
			"socket, -vvv the privileges the run kept (none) and the messages it "
			"ignored.",
	.family_default = "a name's first address, of either family",
	.extra = extra,
	.groups = OPTS_DNS,
	.notes = "-p is the destination port of UDP probes (33434, the same for every "
		 "probe) and of TCP probes (80 unless given).  ICMP and UDP probes of a run "
		 "all have the same addresses, ports and ICMP identifier, so that a "
		 "load-balanced path does not mix; TCP probes are a connect each, from a "
		 "port of their own, and each one that reaches the destination is a "
		 "connection there, reset at once.  The long output is a table as mtr's report: hop, address, "
		 "name, loss, sent, best, average and worst round trip, and a mark for an "
		 "error (!N !H !P !X, !F with the MTU).\n",
};

/* ---- options ------------------------------------------------------------ */

static int add_rule(struct params *p, enum rule_kind kind, const char *arg, char *err,
		    size_t errlen)
{
	struct rule *ru;
	const char *net = arg;

	if (p->nrules >= MAX_RULES) {
		snprintf(err, errlen, "at most %d --expect-hop, --via and --avoid", MAX_RULES);
		return -1;
	}
	ru = &p->rules[p->nrules];
	*ru = (struct rule){ .kind = kind, .text = arg };
	if (kind == RULE_EXPECT) {
		const char *eq = strchr(arg, '=');
		char n[8];

		if (eq == NULL || eq == arg || (size_t)(eq - arg) >= sizeof(n)) {
			snprintf(err, errlen, "'%s' is not N=ADDR or N=CIDR", arg);
			return -1;
		}
		memcpy(n, arg, (size_t)(eq - arg));
		n[eq - arg] = '\0';
		if (opts_long(n, 1, MAX_TTL, &ru->hop, err, errlen) < 0)
			return -1;
		net = eq + 1;
		ru->text = net;
	}
	if (addr_net_parse(net, false, &ru->net, err, errlen) < 0)
		return -1;
	p->nrules++;
	return 0;
}

/* --wait MAX[,HERE[,NEAR]] */
static int parse_wait(struct params *p, const char *arg, char *err, size_t errlen)
{
	char buf[64], *here, *near;
	double v;

	if (strlen(arg) >= sizeof(buf)) {
		snprintf(err, errlen, "'%s' is too long", arg);
		return -1;
	}
	strcpy(buf, arg);
	here = strchr(buf, ',');
	if (here)
		*here++ = '\0';
	near = here ? strchr(here, ',') : NULL;
	if (near)
		*near++ = '\0';
	if (unit_parse(buf, UNIT_TIME, "ms", &v, err, errlen) < 0)
		return -1;
	if (!(v > 0) || v > 3600) {
		snprintf(err, errlen, "'%s' is not a time from 1 ms to 1 h", buf);
		return -1;
	}
	p->wait_ns = (int64_t)(v * NS_PER_S);
	if (here && *here && opts_double(here, 0, 1000, &p->here, err, errlen) < 0)
		return -1;
	if (near && *near && opts_double(near, 0, 1000, &p->near, err, errlen) < 0)
		return -1;
	return 0;
}

static int nonneg(const char *arg, double *out, enum unit_kind kind, const char *unit,
		char *err, size_t errlen)
{
	if (unit_parse(arg, kind, unit, out, err, errlen) < 0)
		return -1;
	if (*out < 0 || (kind == UNIT_PERCENT && *out > 100)) {
		snprintf(err, errlen, "'%s' is out of range", arg);
		return -1;
	}
	return 0;
}

static int handle_numbers(struct params *p, int key, const char *arg, char *err, size_t errlen)
{
	switch (key) {
	case 'q': return opts_long(arg, 1, MAX_QUERIES, &p->queries, err, errlen);
	case 'N': return opts_long(arg, 1, MAX_TTL, &p->inflight, err, errlen);
	case 'f': return opts_long(arg, 1, MAX_TTL, &p->first, err, errlen);
	case 'm': return opts_long(arg, 1, MAX_TTL, &p->max_hops, err, errlen);
	case 'b': return opts_long(arg, ICMP_TAG_LEN, 65000, &p->data_len, err, errlen);
	case KEY_MAX_SILENT: return opts_long(arg, 1, MAX_TTL, &p->max_silent, err, errlen);
	case KEY_RTT_W: return nonneg(arg, &p->rtt_w, UNIT_TIME, "ms", err, errlen);
	case KEY_RTT_C: return nonneg(arg, &p->rtt_c, UNIT_TIME, "ms", err, errlen);
	case KEY_LOSS_W: return nonneg(arg, &p->loss_w, UNIT_PERCENT, NULL, err, errlen);
	case KEY_LOSS_C: return nonneg(arg, &p->loss_c, UNIT_PERCENT, NULL, err, errlen);
	default: return 1;
	}
}

static int handle(void *ctx, int key, const char *arg, char *err, size_t errlen)
{
	struct params *p = &((struct run *)ctx)->p;
	int rc = handle_numbers(p, key, arg, err, errlen);

	if (rc <= 0)
		return rc;
	switch (key) {
	case 'P':
		if (strcmp(arg, "icmp") == 0)
			p->proto = PROTO_ICMP;
		else if (strcmp(arg, "udp") == 0)
			p->proto = PROTO_UDP;
		else if (strcmp(arg, "tcp") == 0)
			p->proto = PROTO_TCP;
		else {
			snprintf(err, errlen, "'%s' is not icmp, udp or tcp", arg);
			return -1;
		}
		return 0;
	case KEY_WAIT: return parse_wait(p, arg, err, errlen);
	case 'r': p->resolve = true; return 0;
	case 'M': p->dont_fragment = true; return 0;
	case 's': p->source = arg; return 0;
	case KEY_PER_HOP: p->per_hop = true; return 0;
	case KEY_BASELINE: p->baseline = arg; return 0;
	case KEY_EXPECT: return add_rule(p, RULE_EXPECT, arg, err, errlen);
	case KEY_VIA: return add_rule(p, RULE_VIA, arg, err, errlen);
	case KEY_AVOID: return add_rule(p, RULE_AVOID, arg, err, errlen);
	default:
		snprintf(err, errlen, "unhandled option");
		return -1;
	}
}

/* ---- helpers ------------------------------------------------------------ */

static socklen_t sa_len(const struct sockaddr *a)
{
	return a->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

static void sa_copy(union sa_any *to, const struct sockaddr *from)
{
	memset(to, 0, sizeof(*to));
	if (from->sa_family == AF_INET || from->sa_family == AF_INET6)
		memcpy(to, from, sa_len(from));
}

static int hop_ttl(const struct run *r, size_t t)
{
	return (int)(r->p.first + (long)t);
}

static void ms_text(double s, char *buf, size_t len)
{
	unit_format(s, UNIT_TIME, buf, len);
}

/* ---- the path as it comes in -------------------------------------------- */

/* TCP: closes the sockets of hop t's probes (done, or no longer needed). */
static void close_hop(struct run *r, size_t t)
{
	size_t q = (size_t)r->p.queries;

	for (size_t i = t * q; r->tcp_fd && i < (t + 1) * q; i++) {
		icmp_tcp_close(r->tcp_fd[i]);
		r->tcp_fd[i] = -1;
	}
}

/* The path ends at hop t (the destination, or a router that said so): TTLs
 * beyond it are not probed, or no longer waited for. */
static void stop_at(struct run *r, size_t t, enum stop why)
{
	if (r->stop_t != SIZE_MAX && r->stop_t <= t)
		return;
	r->stop_t = t;
	r->stop = why;
	for (size_t i = t + 1; i < r->nhops; i++) {
		struct hop *h = &r->hops[i];

		if (h->phase == HOP_FLYING)
			r->inflight--;
		if (h->phase == HOP_NEW || h->phase == HOP_FLYING) {
			h->phase = HOP_CANCELLED;
			probe_cancel(r->probes, i);
			close_hop(r, i);
		}
	}
}

/* Starts TTLs while fewer than -N are in flight. */
static void start_more(struct run *r)
{
	while (r->inflight < (size_t)r->p.inflight && r->next < r->nhops &&
	       (r->stop_t == SIZE_MAX || r->next <= r->stop_t)) {
		struct hop *h = &r->hops[r->next];

		if (h->phase == HOP_NEW) {
			h->phase = HOP_FLYING;
			r->inflight++;
			probe_start(r->probes, r->next);
		}
		r->next++;
	}
}

/* --max-silent: N done hops in a row without an answer, and none beyond
 * them has answered: the path ends there. */
static void check_silent(struct run *r)
{
	size_t run = 0;

	if (r->p.max_silent == 0)
		return;
	for (size_t i = 0; i < r->nhops; i++) {
		const struct hop *h = &r->hops[i];

		if (h->received > 0)
			run = 0;
		else if (h->phase == HOP_DONE && ++run >= (size_t)r->p.max_silent) {
			for (size_t j = i + 1; j < r->nhops; j++)
				if (r->hops[j].received > 0)
					return;
			stop_at(r, i, STOP_SILENT);
			return;
		} else if (h->phase != HOP_DONE) {
			run = 0;
		}
	}
}

static void hop_done(void *ctx, size_t t)
{
	struct run *r = ctx;
	struct hop *h = &r->hops[t];

	if (h->phase == HOP_FLYING) {
		h->phase = HOP_DONE;
		r->inflight--;
	}
	close_hop(r, t);
	check_silent(r);
	start_more(r);
}

/* How long probe index waits: at most --wait, HERE times its own hop's best
 * answer, NEAR times that of the nearest later router that answered.  Not
 * shorter for the destination's own probes: a loss there is what the check
 * alarms on, so a late answer must not become one; and the destination's
 * answers do not shorten anyone's wait (an answer to a TTL beyond it may
 * come before the one to its own TTL). */
static int64_t probe_wait(void *ctx, uint32_t index)
{
	const struct run *r = ctx;
	size_t t = index / (size_t)r->p.queries;
	double w = (double)r->p.wait_ns;

	if (r->hops[t].dest)
		return r->p.wait_ns;
	if (r->hops[t].best_ns != INT64_MAX && r->p.here > 0)
		w = fmin(w, r->p.here * (double)r->hops[t].best_ns);
	for (size_t j = t + 1; j < r->nhops && r->p.near > 0; j++) {
		if (r->hops[j].best_ns != INT64_MAX && !r->hops[j].dest) {
			w = fmin(w, r->p.near * (double)r->hops[j].best_ns);
			break;
		}
	}
	if (w < MIN_WAIT)
		w = fmin(MIN_WAIT, (double)r->p.wait_ns);
	return (int64_t)w;
}

/* The same router at hops that are not adjacent, before the destination. */
static bool find_loop(struct run *r, size_t t, const struct sockaddr *a)
{
	if (addr_same_ip(a, &r->target.sa))
		return false;
	for (size_t i = 0; i < r->nhops; i++) {
		const struct hop *h = &r->hops[i];

		if (i + 1 >= t && i <= t + 1)
			continue;
		for (unsigned k = 0; k < h->naddr; k++) {
			if (addr_same_ip(&h->addr[k].a.sa, a)) {
				r->loop_a = i < t ? i : t;
				r->loop_b = i < t ? t : i;
				return true;
			}
		}
	}
	return false;
}

/* An answer to a probe of hop t from `from`, rtt after it went out. */
static void hop_answer(struct run *r, size_t t, const struct sockaddr *from, uint32_t rtt_us)
{
	struct hop *h = &r->hops[t];
	double rtt = rtt_us / 1e6;
	unsigned k;

	if (h->received == 0 || rtt < h->best)
		h->best = rtt;
	if (h->received == 0 || rtt > h->worst)
		h->worst = rtt;
	h->sum += rtt;
	h->received++;
	if ((int64_t)rtt_us * NS_PER_US < h->best_ns)
		h->best_ns = (int64_t)rtt_us * NS_PER_US;
	if (from->sa_family != AF_INET && from->sa_family != AF_INET6)
		return;
	for (k = 0; k < h->naddr; k++)
		if (addr_same_ip(&h->addr[k].a.sa, from))
			break;
	if (k == h->naddr) {
		if (h->naddr == BASELINE_HOP_ADDRS)
			return; /* more than we keep: counted, not named */
		if (find_loop(r, t, from))
			stop_at(r, r->loop_b, STOP_LOOP);
		sa_copy(&h->addr[h->naddr++].a, from);
	}
	h->addr[k].answers++;
}

/* ---- sending and reading ------------------------------------------------- */

static enum probe_send send_tcp(struct run *r, size_t t, uint32_t index)
{
	int fd = icmp_tcp_connect(r->target.sa.sa_family, hop_ttl(r, t), &r->target.sa,
				  sa_len(&r->target.sa),
				  r->srclen ? (struct sockaddr *)&r->src : NULL, r->srclen);
	struct epoll_event ev = { .events = EPOLLOUT, .data.u32 = index };

	if (fd < 0) {
		if (errno == EAGAIN || errno == ENOBUFS)
			return PROBE_AGAIN;
		r->hops[t].send_errno = errno;
		return PROBE_ERROR;
	}
	if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
		r->hops[t].send_errno = errno;
		icmp_tcp_close(fd);
		return PROBE_ERROR;
	}
	r->tcp_fd[index] = fd;
	return PROBE_SENT;
}

static enum probe_send send_probe(void *ctx, size_t t, unsigned k, uint32_t index)
{
	struct run *r = ctx;
	struct icmp_sock *s = r->sock;
	struct hop *h = &r->hops[t];
	size_t len;
	int e;

	(void)k;
	if (s == NULL)
		return send_tcp(r, t, index);
	if (icmp_set_ttl(s, hop_ttl(r, t)) != 0) {
		h->send_errno = errno;
		return PROBE_ERROR;
	}
	if (s->kind == ICMP_SOCK_UDP)
		len = icmp_udp_build(r->cookie, index, (size_t)r->p.data_len, r->packet,
				     r->packet_len);
	else
		len = icmp_echo_build(r->target.sa.sa_family, s->ident, (uint16_t)index, r->cookie,
				      index, (size_t)r->p.data_len, r->packet, r->packet_len);
	e = icmp_send(s, &r->target.sa, sa_len(&r->target.sa), r->packet, len);
	switch (e) {
	case 0:
		return PROBE_SENT;
	case EAGAIN:
	case ENOBUFS:
		return PROBE_AGAIN;
	case EMSGSIZE:
		/* The kernel knows the path MTU already (a router said it):
		 * this size goes nowhere, at any TTL. */
		if (h->err == ICMP_ERR_NONE) {
			h->err = ICMP_ERR_FRAG_NEEDED;
			h->mtu = (uint32_t)icmp_path_mtu(s, &r->target.sa, sa_len(&r->target.sa));
		}
		return PROBE_ERROR;
	default:
		h->send_errno = e;
		return PROBE_ERROR;
	}
}

/* The probe a message answers: by its tag, or for an ICMP error that
 * quotes only the request's header, by its sequence number. */
static bool find_probe(const struct run *r, const struct icmp_msg *m, uint32_t *index)
{
	uint32_t total = (uint32_t)(r->nhops * (size_t)r->p.queries);
	const struct sockaddr *to = m->kind == ICMP_MSG_REPLY ? (const struct sockaddr *)&m->from
							      : (const struct sockaddr *)&m->probe_to;
	const struct probe_slot *s;

	if (m->kind == ICMP_MSG_ERROR && !m->has_probe_to)
		return false;
	if (!addr_same_ip(to, &r->target.sa))
		return false;
	if (m->tagged) {
		if (memcmp(m->cookie, r->cookie, ICMP_COOKIE_LEN) != 0 || m->index >= total ||
		    (uint16_t)m->index != m->seq)
			return false;
		*index = m->index;
		return true;
	}
	if (m->kind != ICMP_MSG_ERROR || r->sock->kind == ICMP_SOCK_UDP || m->seq >= total)
		return false;
	s = probe_slot_at(r->probes, m->seq);
	if (s == NULL || s->state != PROBE_WAITING)
		return false;
	*index = m->seq;
	return true;
}

/* Message m answers probe index: the hop's figures, and where the path
 * ends when it says so. */
static void answer(struct run *r, uint32_t index, const struct icmp_msg *m)
{
	size_t t = index / (size_t)r->p.queries;
	struct hop *h = &r->hops[t];
	const struct probe_slot *slot;
	bool from_target;

	if (m->kind == ICMP_MSG_ERROR && m->from.ss_family == AF_UNSPEC) {
		/* This host's own error (EMSGSIZE after an earlier !F). */
		if (h->err == ICMP_ERR_NONE) {
			h->err = (uint8_t)m->error;
			h->mtu = m->mtu;
		}
		probe_error(r->probes, index);
		return;
	}
	if (probe_answer(r->probes, index, m->rx_ns) != 1)
		return; /* a duplicate, or too late */
	slot = probe_slot_at(r->probes, index);
	hop_answer(r, t, (const struct sockaddr *)&m->from, slot->rtt_us);
	from_target = addr_same_ip((const struct sockaddr *)&m->from, &r->target.sa);
	if (m->kind == ICMP_MSG_ERROR && m->error != ICMP_ERR_TTL_EXCEEDED &&
	    m->error != ICMP_ERR_PORT_UNREACH) {
		h->err = (uint8_t)m->error;
		h->mtu = m->mtu;
	}
	if (m->kind == ICMP_MSG_REPLY || from_target) {
		h->dest = true;
		stop_at(r, t, STOP_REACHED);
	} else if (m->kind == ICMP_MSG_ERROR && m->error != ICMP_ERR_TTL_EXCEEDED) {
		stop_at(r, t, STOP_UNREACH);
	}
}

static void take(struct run *r, const struct icmp_msg *m)
{
	uint32_t index;

	if ((r->sock->kind == ICMP_SOCK_RAW && m->ident != r->sock->ident) ||
	    !find_probe(r, m, &index)) {
		r->ignored++;
		return;
	}
	answer(r, index, m);
}

/* TCP: the probes whose sockets have news. */
static void on_tcp(struct run *r)
{
	struct epoll_event ev[64];
	int n = epoll_wait(r->epfd, ev, 64, 0);

	for (int i = 0; i < n; i++) {
		uint32_t index = ev[i].data.u32;
		int fd = r->tcp_fd[index];
		struct icmp_msg m;

		if (fd < 0 || icmp_tcp_outcome(fd, r->target.sa.sa_family, &m) == ICMP_MSG_IGNORED)
			continue;
		if (m.kind == ICMP_MSG_REPLY)
			sa_copy((union sa_any *)&m.from, &r->target.sa);
		if (m.kind == ICMP_MSG_ERROR && !addr_same_ip((struct sockaddr *)&m.probe_to,
							       &r->target.sa)) {
			r->ignored++;
			continue;
		}
		/* One answer a probe: its socket is done. */
		epoll_ctl(r->epfd, EPOLL_CTL_DEL, fd, NULL);
		answer(r, index, &m);
	}
}

static void on_readable(void *ctx, int fd, short revents)
{
	struct run *r = ctx;
	struct icmp_msg msgs[ICMP_RECV_BATCH];

	(void)fd;
	if (r->sock == NULL) {
		on_tcp(r);
		return;
	}
	for (int round = 0; round < 8; round++) {
		int n = icmp_recv(r->sock, round == 0 && (revents & POLLERR), msgs, ICMP_RECV_BATCH,
				  &r->ignored);

		for (int i = 0; i < n; i++)
			take(r, &msgs[i]);
		if (n < ICMP_RECV_BATCH)
			break;
	}
}

/* ---- setting up --------------------------------------------------------- */

static int find_target(struct run *r, char *err, size_t errlen)
{
	struct resolver_params rp = { .deadline = &r->d, .servers = opts_dns_servers(&r->co),
				      .family = AF_UNSPEC };
	struct fail f = { 0 };
	struct resolver *res;
	struct addr_list *addrs = NULL;
	enum resolve_status st;

	res = resolver_new(&rp, &f);
	if (res == NULL) {
		snprintf(err, errlen, "%s", f.text);
		return -1;
	}
	st = resolve_host(res, r->co.host, r->co.family, 0, &addrs, &f);
	resolver_free(res);
	if (st != RESOLVE_OK || addrs->n == 0) {
		snprintf(err, errlen, "%s", f.text[0] ? f.text : resolve_status_text(st));
		addr_list_free(addrs);
		return st == RESOLVE_TIMEOUT ? -2 : -1;
	}
	sa_copy(&r->target, (struct sockaddr *)&addrs->addr[0]);
	addr_list_free(addrs);
	addr_format(&r->target.sa, false, r->target_text, sizeof(r->target_text));
	if (strcmp(r->co.host, r->target_text) == 0)
		snprintf(r->name, sizeof(r->name), "%s", r->target_text);
	else
		snprintf(r->name, sizeof(r->name), "%.254s (%s)", r->co.host, r->target_text);
	return 0;
}

/* -s: an address of the target's family (into r->src), or an interface. */
static int parse_source(struct run *r, struct icmp_setup *setup, char *err, size_t errlen)
{
	int family = r->target.sa.sa_family;
	int sf;

	if (r->p.source == NULL)
		return 0;
	sf = addr_parse(r->p.source, 0, &r->src, &r->srclen);
	if (sf < 0 && (if_nametoindex(r->p.source) == 0 || r->p.proto == PROTO_TCP)) {
		snprintf(err, errlen, "-s: '%s' is not an address%s", r->p.source,
			 r->p.proto == PROTO_TCP ? " (-P tcp takes no interface)"
						 : " nor a network interface");
		return -1;
	}
	if (sf >= 0 && sf != family) {
		snprintf(err, errlen, "-s: %s is not of the target's family", r->p.source);
		return -1;
	}
	if (sf < 0) {
		setup->device = r->p.source;
		r->srclen = 0;
	} else {
		setup->source = (struct sockaddr *)&r->src;
		setup->source_len = r->srclen;
	}
	return 0;
}

/* The socket of the target's family and protocol, configured. */
static int setup_socket(struct run *r, char *err, size_t errlen)
{
	int family = r->target.sa.sa_family;
	struct icmp_setup setup = { .tos = -1, .dont_fragment = r->p.dont_fragment,
				    .ignore_path_mtu = true };
	struct fail f;

	if (parse_source(r, &setup, err, errlen) < 0)
		return -1;
	if (r->p.proto == PROTO_TCP) {
		r->epfd = epoll_create1(EPOLL_CLOEXEC);
		if (r->epfd < 0) {
			snprintf(err, errlen, "epoll: %s", strerror(errno));
			return -1;
		}
		addr_set_port(&r->target.ss, (int)r->co.port);
		return 0;
	}
	if (r->p.proto == PROTO_UDP) {
		if (icmp_udp_open(family, &r->udp) < 0) {
			snprintf(err, errlen, "cannot open a UDP socket: %s", strerror(errno));
			return -1;
		}
		r->sock = &r->udp;
		addr_set_port(&r->target.ss, (int)r->co.port);
	} else {
		r->sock = family == AF_INET ? &r->sock4 : &r->sock6;
		if (r->sock->fd < 0) {
			icmp_open_advice(r->sock, r->self, err, errlen);
			snprintf(err + strlen(err), errlen - strlen(err),
				 "; or trace with -P udp, which needs neither");
			return -1;
		}
	}
	if (icmp_configure(r->sock, &setup, &f) < 0) {
		snprintf(err, errlen, "%s", f.text);
		return -1;
	}
	return 0;
}

static int trace(struct run *r, char *err, size_t errlen)
{
	struct probe_params pp = {
		.deadline = &r->d, .ntargets = r->nhops, .count = (unsigned)r->p.queries,
		.wait_ns = r->p.wait_ns, .ctx = r, .send = send_probe, .readable = on_readable,
		.done = hop_done, .wait_of = probe_wait,
	};

	r->hops = calloc(r->nhops, sizeof(*r->hops));
	r->packet_len = ICMP_HDR_LEN + (size_t)r->p.data_len;
	r->packet = malloc(r->packet_len);
	r->probes = probe_new(&pp);
	r->tcp_fd = r->sock ? NULL : malloc(r->nhops * (size_t)r->p.queries * sizeof(int));
	if (r->hops == NULL || r->packet == NULL || r->probes == NULL ||
	    (r->sock == NULL && r->tcp_fd == NULL) ||
	    probe_watch(r->probes, r->sock ? r->sock->fd : r->epfd) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < r->nhops; i++)
		r->hops[i].best_ns = INT64_MAX;
	for (size_t i = 0; r->tcp_fd && i < r->nhops * (size_t)r->p.queries; i++)
		r->tcp_fd[i] = -1;
	start_more(r);
	r->timed_out = !probe_run(r->probes);
	return 0;
}

/* ---- reverse names (-r) -------------------------------------------------- */

static void ptr_done(void *ctx, enum resolve_status st, struct dns_reply *reply,
		     const struct fail *f)
{
	struct hop_addr *ha = ctx;
	char **names = NULL;
	size_t n = 0;

	(void)f;
	if (st == RESOLVE_OK && reply != NULL &&
	    dns_msg_names(reply->raw, reply->len, DNS_TYPE_PTR, &names, &n) == 0 && n > 0) {
		size_t len = strlen(names[0]);

		if (len > 1 && names[0][len - 1] == '.')
			names[0][len - 1] = '\0';
		ha->name = strdup(names[0]);
	}
	if (names)
		dns_names_free(names, n);
	dns_reply_free(reply);
}

/* "2.0.18.198.in-addr.arpa", or the ip6.arpa nibbles. */
static void ptr_name(const struct sockaddr *a, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	if (a->sa_family == AF_INET) {
		const unsigned char *b = (const unsigned char *)&((const struct sockaddr_in *)a)->sin_addr;

		snprintf(buf, len, "%u.%u.%u.%u.in-addr.arpa", b[3], b[2], b[1], b[0]);
		return;
	}
	for (int i = 15; i >= 0; i--) {
		unsigned char b = ((const struct sockaddr_in6 *)a)->sin6_addr.s6_addr[i];

		result_text_put(buf, len, &used, "%x.%x.", b & 15, b >> 4);
	}
	result_text_put(buf, len, &used, "ip6.arpa");
}

static void resolve_names(struct run *r)
{
	struct resolver_params rp = { .deadline = &r->d, .servers = opts_dns_servers(&r->co),
				      .family = AF_UNSPEC };
	struct fail f = { 0 };
	struct resolver *res = resolver_new(&rp, &f);
	size_t asked = 0;
	char name[128];

	if (res == NULL) {
		result_detail(r->res, 1, "no reverse names: %s", f.text);
		return;
	}
	for (size_t i = 0; i < r->nhops; i++) {
		for (unsigned k = 0; k < r->hops[i].naddr; k++) {
			ptr_name(&r->hops[i].addr[k].a.sa, name, sizeof(name));
			resolve_query_start(res, name, DNS_TYPE_PTR, ptr_done, &r->hops[i].addr[k]);
			asked++;
		}
	}
	resolver_run(res);
	resolver_free(res);
	result_detail(r->res, 1, "%zu reverse names asked of %s", asked,
		      opts_dns_servers(&r->co) ? opts_dns_servers(&r->co) : "the system's resolver");
}

/* ---- the verdict -------------------------------------------------------- */

/* The last hop that answered (SIZE_MAX: none). */
static size_t last_answer(const struct run *r)
{
	size_t last = SIZE_MAX;
	size_t end = r->stop_t == SIZE_MAX ? r->nhops : r->stop_t + 1;

	for (size_t i = 0; i < end; i++)
		if (r->hops[i].received > 0)
			last = i;
	return last;
}

/* "hop 3 (198.18.2.1)" */
static void hop_text(const struct run *r, size_t t, char *buf, size_t len)
{
	char a[ADDR_TEXT_MAX];

	if (r->hops[t].naddr == 0) {
		snprintf(buf, len, "hop %d", hop_ttl(r, t));
		return;
	}
	addr_format(&r->hops[t].addr[0].a.sa, false, a, sizeof(a));
	snprintf(buf, len, "hop %d (%s)", hop_ttl(r, t), a);
}

static void judge_unreached(struct run *r)
{
	size_t last = last_answer(r);
	char where[ADDR_TEXT_MAX + 32], last_text[ADDR_TEXT_MAX + 32] = "";
	const struct hop *h;

	if (last != SIZE_MAX)
		hop_text(r, last, last_text, sizeof(last_text));
	switch (r->stop) {
	case STOP_UNREACH:
		h = &r->hops[r->stop_t];
		hop_text(r, r->stop_t, where, sizeof(where));
		if (h->err == ICMP_ERR_FRAG_NEEDED)
			result_sub(r->res, STATE_CRITICAL, "not reached: %s says %s %s, MTU %u", where,
				   icmp_error_text(h->err), icmp_error_mark(h->err), h->mtu);
		else
			result_sub(r->res, STATE_CRITICAL, "not reached: %s says %s %s", where,
				   icmp_error_text(h->err), icmp_error_mark(h->err));
		return;
	case STOP_LOOP:
		hop_text(r, r->loop_b, where, sizeof(where));
		result_sub(r->res, STATE_CRITICAL, "not reached: routing loop, %s was hop %d too",
			   where, hop_ttl(r, r->loop_a));
		return;
	default:
		break;
	}
	if (last == SIZE_MAX && r->hops[0].send_errno) {
		result_sub(r->res, STATE_CRITICAL, "not reached: cannot send: %s",
			   strerror(r->hops[0].send_errno));
		return;
	}
	if (r->timed_out)
		result_sub(r->res, r->co.timeout_state, "not reached before -t ran out%s%s",
			   last_text[0] ? ", last answer from " : ", no hop answered", last_text);
	else if (r->stop == STOP_SILENT)
		result_sub(r->res, STATE_CRITICAL, "not reached: %ld hop%s without an answer after %s",
			   r->p.max_silent, r->p.max_silent == 1 ? "" : "s",
			   last_text[0] ? last_text : "the start");
	else
		result_sub(r->res, STATE_CRITICAL, "not reached within %ld hops%s%s", r->p.max_hops,
			   last_text[0] ? ", last answer from " : ", no hop answered", last_text);
}

/* rtt and loss at the destination against their thresholds. */
static void judge_destination(struct run *r, const struct hop *h, double loss)
{
	double rtt = h->sum / h->received;
	char shown[64], limit[64];
	enum state st = !isnan(r->p.rtt_c) && rtt >= r->p.rtt_c   ? STATE_CRITICAL
			: !isnan(r->p.rtt_w) && rtt >= r->p.rtt_w ? STATE_WARNING
								  : STATE_OK;

	if (st != STATE_OK) {
		ms_text(rtt, shown, sizeof(shown));
		ms_text(st == STATE_CRITICAL ? r->p.rtt_c : r->p.rtt_w, limit, sizeof(limit));
		result_sub(r->res, st, "rtt %s at the destination (%s at %s)", shown,
			   st == STATE_CRITICAL ? "critical" : "warning", limit);
	}
	st = !isnan(r->p.loss_c) && loss >= r->p.loss_c   ? STATE_CRITICAL
	     : !isnan(r->p.loss_w) && loss >= r->p.loss_w ? STATE_WARNING
							  : STATE_OK;
	if (st != STATE_OK)
		result_sub(r->res, st, "%.3g%% lost at the destination (%s at %.3g%%)", loss,
			   st == STATE_CRITICAL ? "critical" : "warning",
			   st == STATE_CRITICAL ? r->p.loss_c : r->p.loss_w);
}

static bool hop_in(const struct hop *h, const struct addr_net *net, unsigned *k)
{
	for (*k = 0; *k < h->naddr; (*k)++)
		if (addr_net_contains(net, &h->addr[*k].a.sa))
			return true;
	return false;
}

/* --expect-hop, --via, --avoid over the hops up to where the path ends. */
static void judge_rules(struct run *r, size_t end)
{
	for (size_t i = 0; i < r->p.nrules; i++) {
		const struct rule *ru = &r->p.rules[i];
		bool found = false;
		char a[ADDR_TEXT_MAX];
		unsigned k;
		size_t t;

		if (ru->kind == RULE_EXPECT) {
			t = (size_t)(ru->hop - r->p.first);
			if (ru->hop < r->p.first || t >= end) {
				result_sub(r->res, STATE_CRITICAL, "hop %ld: expected %s, but the path %s",
					   ru->hop, ru->text, end == 0 ? "had no hop that answered"
							      : r->stop == STOP_REACHED ? "is shorter"
											: "was not traced that far");
			} else if (r->hops[t].naddr == 0) {
				result_sub(r->res, STATE_WARNING, "hop %ld did not answer (expected %s)",
					   ru->hop, ru->text);
			} else if (!hop_in(&r->hops[t], &ru->net, &k)) {
				addr_format(&r->hops[t].addr[0].a.sa, false, a, sizeof(a));
				result_sub(r->res, STATE_CRITICAL, "hop %ld is %s, expected %s", ru->hop, a,
					   ru->text);
			}
			continue;
		}
		for (t = 0; t < end && !found; t++)
			found = hop_in(&r->hops[t], &ru->net, &k);
		if (ru->kind == RULE_VIA && !found)
			result_sub(r->res, STATE_CRITICAL, "the path does not pass %s (--via)", ru->text);
		if (ru->kind == RULE_AVOID && found) {
			addr_format(&r->hops[t - 1].addr[k].a.sa, false, a, sizeof(a));
			result_sub(r->res, STATE_CRITICAL, "the path passes %s at hop %d (--avoid %s)", a,
				   hop_ttl(r, t - 1), ru->text);
		}
	}
}

/* The path as the baseline keeps it: each hop's addresses up to its end. */
static void path_of(const struct run *r, size_t end, struct baseline *b)
{
	memset(b, 0, sizeof(*b));
	b->first = (int)r->p.first;
	b->nhops = end;
	snprintf(b->target, sizeof(b->target), "%s", r->target_text);
	for (size_t i = 0; i < end && i < BASELINE_MAX_HOPS; i++) {
		b->hops[i].naddr = r->hops[i].naddr;
		for (unsigned k = 0; k < r->hops[i].naddr; k++)
			memcpy(&b->hops[i].addr[k], &r->hops[i].addr[k].a.ss, sizeof(b->hops[i].addr[k]));
	}
}

static void judge_baseline(struct run *r, size_t end)
{
	static struct baseline now, then;
	char err[512], diff[2048];
	int rc = baseline_load(r->p.baseline, &then, err, sizeof(err));

	if (rc < 0) {
		result_sub(r->res, STATE_UNKNOWN, "%s", err);
		return;
	}
	if (r->stop != STOP_REACHED) {
		/* A broken path is CRITICAL already, and how far it was
		 * traced says nothing of a change. */
		result_note(r->res, "the path was %s: the destination was not reached",
			    rc == 0 ? "not stored" : "not compared with the baseline");
		return;
	}
	path_of(r, end, &now);
	if (rc == 0) { /* none yet */
		if (baseline_save(r->p.baseline, &now, err, sizeof(err)) < 0)
			result_sub(r->res, STATE_UNKNOWN, "%s%s", err,
				   r->was_root ? " (started as root, the run writes as nobody)" : "");
		else
			result_note(r->res, "the path is now the baseline in %s", r->p.baseline);
		return;
	}
	if (baseline_diff(&then, &now, diff, sizeof(diff)) > 0) {
		result_sub_brief(r->res, STATE_WARNING, "the path changed (--baseline)",
				 "the path changed against %s", r->p.baseline);
		result_note(r->res, "%s", diff);
	}
}

/* ---- writing ------------------------------------------------------------ */

static void table(struct run *r, size_t end)
{
	result_note(r->res, "%4s  %-39s %6s %5s %9s %9s %9s", "hop", "address", "loss", "sent",
		    "best", "avg", "worst");
	for (size_t i = 0; i < end; i++) {
		const struct hop *h = &r->hops[i];
		unsigned sent = probe_target_info(r->probes, i)->sent;
		char a[ADDR_TEXT_MAX + 256] = "*", b[32] = "", v[32] = "", w[32] = "", mark[32] = "";
		size_t used = 0;

		for (unsigned k = 0; k < h->naddr; k++) {
			char one[ADDR_TEXT_MAX];

			addr_format(&h->addr[k].a.sa, false, one, sizeof(one));
			result_text_put(a, sizeof(a), &used, "%s%s%s%s%s", k ? " " : "", one,
					h->addr[k].name ? " (" : "", h->addr[k].name ? h->addr[k].name : "",
					h->addr[k].name ? ")" : "");
		}
		if (h->err == ICMP_ERR_FRAG_NEEDED)
			snprintf(mark, sizeof(mark), " !F %u", h->mtu);
		else if (h->err != ICMP_ERR_NONE)
			snprintf(mark, sizeof(mark), " %s", icmp_error_mark(h->err));
		if (h->received) {
			snprintf(b, sizeof(b), "%.3f", h->best * 1e3);
			snprintf(v, sizeof(v), "%.3f", h->sum / h->received * 1e3);
			snprintf(w, sizeof(w), "%.3f", h->worst * 1e3);
		}
		result_note(r->res, "%4d  %-39s %5.1f%% %5u %9s %9s %9s%s", hop_ttl(r, i), a,
			    sent ? 100.0 * (sent - h->received) / sent : 0.0, sent, b, v, w, mark);
	}
}

static void perf_hops(struct run *r, double hops, const struct hop *dest, double loss)
{
	char label[32];

	result_perf(r->res, &(struct perf){ .label = "hops", .value = hops, .uom = "",
					    .warn = r->co.has_warn ? &r->co.warn : NULL,
					    .crit = r->co.has_crit ? &r->co.crit : NULL, .min = 1,
					    .max = (double)r->p.max_hops });
	result_perf(r->res, &(struct perf){
		.label = "rtt", .value = dest ? dest->sum / dest->received * 1e3 : NAN, .uom = "ms",
		.warn = isnan(r->p.rtt_w) ? NULL : &(struct range){ .end = r->p.rtt_w },
		.crit = isnan(r->p.rtt_c) ? NULL : &(struct range){ .end = r->p.rtt_c },
		.min = 0, .max = NAN });
	result_perf(r->res, &(struct perf){
		.label = "pl", .value = loss, .uom = "%",
		.warn = isnan(r->p.loss_w) ? NULL : &(struct range){ .end = r->p.loss_w },
		.crit = isnan(r->p.loss_c) ? NULL : &(struct range){ .end = r->p.loss_c },
		.min = 0, .max = 100 });
	if (!r->p.per_hop)
		return;
	for (size_t i = 0; i < r->nhops; i++) {
		const struct hop *h = &r->hops[i];
		unsigned sent = probe_target_info(r->probes, i)->sent;

		if (h->received == 0)
			continue; /* a silent router is normal: no values, not U */
		snprintf(label, sizeof(label), "hop%d_rtt", hop_ttl(r, i));
		result_perf(r->res, &(struct perf){ .label = label, .value = h->sum / h->received * 1e3,
						    .uom = "ms", .min = 0, .max = NAN });
		snprintf(label, sizeof(label), "hop%d_pl", hop_ttl(r, i));
		result_perf(r->res, &(struct perf){ .label = label,
						    .value = 100.0 * (sent - h->received) / sent,
						    .uom = "%", .min = 0, .max = 100 });
	}
}

static void judge(struct run *r)
{
	/* Where the path ends: its stop, or the last hop that answered (none:
	 * SIZE_MAX + 1 is 0). */
	size_t end = r->stop_t != SIZE_MAX ? r->stop_t + 1 : last_answer(r) + 1;
	const struct hop *dest = r->stop == STOP_REACHED ? &r->hops[r->stop_t] : NULL;
	unsigned dsent = dest ? probe_target_info(r->probes, r->stop_t)->sent : 0;
	double loss = dest && dsent ? 100.0 * (dsent - dest->received) / dsent : 100;
	char shown[32], lim[96];
	const char *name = r->name;
	enum state st;

	if (dest) {
		int n = hop_ttl(r, r->stop_t);

		ms_text(dest->sum / dest->received, shown, sizeof(shown));
		result_summary(r->res, "%s reached in %d hop%s, rtt %s, %.3g%% lost", name, n,
			       n == 1 ? "" : "s", shown, loss);
		st = range_judge(r->co.has_warn ? &r->co.warn : NULL,
				 r->co.has_crit ? &r->co.crit : NULL, n, UNIT_NONE, lim, sizeof(lim));
		if (st != STATE_OK)
			result_sub(r->res, st, "%d hops (%s)", n, lim);
		judge_destination(r, dest, loss);
	} else {
		result_summary(r->res, "%s not reached", name);
		judge_unreached(r);
	}
	judge_rules(r, end);
	if (r->p.baseline)
		judge_baseline(r, end);
	table(r, end);
	perf_hops(r, dest ? hop_ttl(r, r->stop_t) : NAN, dest, loss);
}

/* A problem's text on the status line, after the summary. */
static void status_line(struct run *r)
{
	char problems[1024], summary[2048];

	if (result_state(r->res) == STATE_OK)
		return;
	result_problems(r->res, SHOWN_PROBLEMS, problems, sizeof(problems));
	if (problems[0] == '\0')
		return;
	/* Reached: "x reached in 5 hops, ...: what is wrong"; not reached:
	 * "x not reached: why; what else is wrong". */
	if (r->stop == STOP_REACHED)
		snprintf(summary, sizeof(summary), "%s: %s", result_get_summary(r->res), problems);
	else
		snprintf(summary, sizeof(summary), "%s %s", r->name, problems);
	result_summary(r->res, "%s", summary);
}

/* -vv: how each probe ended. */
static void probe_details(struct run *r, size_t end)
{
	static const char *const how[] = {
		[PROBE_UNSENT] = "not sent", [PROBE_LOST] = "lost",
		[PROBE_FAILED] = "failed", [PROBE_CUT] = "cut off by -t",
		[PROBE_CANCELLED] = "not waited for",
	};

	for (size_t i = 0; i < end; i++) {
		const struct probe_slot *s = probe_slots(r->probes, i);
		char line[512];
		size_t used = 0;

		result_text_put(line, sizeof(line), &used, "hop %d:", hop_ttl(r, i));
		for (long k = 0; k < r->p.queries; k++) {
			if (s[k].state == PROBE_ANSWERED)
				result_text_put(line, sizeof(line), &used, " %.3f ms", s[k].rtt_us / 1e3);
			else if (s[k].state < sizeof(how) / sizeof(how[0]) && how[s[k].state])
				result_text_put(line, sizeof(line), &used, " %s", how[s[k].state]);
			result_text_put(line, sizeof(line), &used, "%s", k + 1 < r->p.queries ? "," : "");
		}
		if (r->hops[i].send_errno)
			result_text_put(line, sizeof(line), &used, " (%s)", strerror(r->hops[i].send_errno));
		result_detail(r->res, 2, "%s", line);
	}
}

static void run_details(struct run *r)
{
	char priv[160];

	if (r->sock == NULL)
		result_detail(r->res, 2, "TCP: a connect per probe to port %d", r->co.port);
	else
		result_detail(r->res, 2, "%s socket%s", r->sock->kind == ICMP_SOCK_UDP ? "UDP"
					  : r->sock->kind == ICMP_SOCK_DGRAM
						  ? "ICMP datagram (unprivileged)"
						  : "ICMP raw",
			      r->sock->kernel_stamps ? ", kernel timestamps" : "");
	if (r->co.verbose < 3)
		return;
	icmp_privileges_text(priv, sizeof(priv));
	result_detail(r->res, 3, "running as %s", priv);
	result_detail(r->res, 3, "%u messages ignored (not ours, or damaged)", r->ignored);
}

static void check(struct run *r)
{
	char err[1024];
	int rc;

	if (r->p.first > r->p.max_hops) {
		result_raise(r->res, STATE_UNKNOWN);
		result_summary(r->res, "-f %ld is beyond -m %ld", r->p.first, r->p.max_hops);
		return;
	}
	r->nhops = (size_t)(r->p.max_hops - r->p.first + 1);
	rc = find_target(r, err, sizeof(err));
	if (rc < 0) {
		result_raise(r->res, rc == -2 ? r->co.timeout_state : STATE_UNKNOWN);
		result_summary(r->res, "%s", err);
		return;
	}
	if (setup_socket(r, err, sizeof(err)) < 0 || trace(r, err, sizeof(err)) < 0) {
		result_raise(r->res, STATE_UNKNOWN);
		result_summary(r->res, "%s", err);
		return;
	}
	if (r->p.resolve)
		resolve_names(r);
	judge(r);
	status_line(r);
	probe_details(r, r->stop_t != SIZE_MAX ? r->stop_t + 1 : r->nhops);
	run_details(r);
}

static void run_free(struct run *r)
{
	for (size_t i = 0; r->hops && i < r->nhops; i++)
		for (unsigned k = 0; k < r->hops[i].naddr; k++)
			free(r->hops[i].addr[k].name);
	for (size_t i = 0; r->tcp_fd && i < r->nhops; i++)
		close_hop(r, i);
	free(r->tcp_fd);
	if (r->epfd >= 0)
		close(r->epfd);
	free(r->hops);
	probe_free(r->probes);
	free(r->packet);
	icmp_close(&r->sock4);
	icmp_close(&r->sock6);
	icmp_close(&r->udp);
	opts_free(&r->co);
	result_free(r->res);
}

int main(int argc, char **argv)
{
	static struct run r = {
		.p = { .proto = PROTO_ICMP, .queries = DEFAULT_QUERIES, .inflight = DEFAULT_INFLIGHT,
		       .first = 1, .max_hops = DEFAULT_MAX_HOPS, .data_len = DEFAULT_DATA,
		       .wait_ns = DEFAULT_WAIT, .here = DEFAULT_HERE, .near = DEFAULT_NEAR,
		       .rtt_w = NAN, .rtt_c = NAN, .loss_w = NAN, .loss_c = NAN },
		.stop_t = SIZE_MAX,
		.udp = { .fd = -1 },
		.epfd = -1,
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
	if (r.co.host == NULL) {
		rc = opts_usage_error(&info, &r.co, "-H HOST is required");
		run_free(&r);
		return rc;
	}
	if (r.p.proto == PROTO_TCP && !r.co.port_given)
		r.co.port = TCP_PORT;
	deadline_start(&r.d, r.co.timeout_ms);
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
