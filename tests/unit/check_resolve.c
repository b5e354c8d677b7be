/* resolve: c-ares bound to the run's deadline, against a DNS server that
 * lives inside the test (a forked child on loopback, UDP and TCP on one
 * port, canned answers per name).  No test ever asks the machine's own
 * resolver: every resolver gets explicit servers, and the names that do not
 * need DNS (IP literals, localhost from /etc/hosts) are checked to send no
 * query at all. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "resolve.h"
#include "suites.h"

#define NS 1000000000LL
#define MS 1000000LL
#define N_OF(a) (sizeof(a) / sizeof((a)[0]))
#define BUDGET_MS UNIT_BUDGET_MS /* for lookups that are not about time */
/* A lookup to a silent server that only checks the message: nothing is
 * waited for, the deadline only has to pass. */
#define MESSAGE_ONLY_MS 100

/* ---- the DNS server ---------------------------------------------------- */

/* What the server saw; shared with the parent (MAP_SHARED). */
struct srv_stats {
	int udp, tcp;  /* queries received over each */
	int last_rd;   /* RD bit of the last query */
	int last_ad;   /* AD bit of the last query */
};

struct dnsserver {
	pid_t pid;
	int port;
	struct srv_stats *stats;
	char servers[64]; /* "127.0.0.1:PORT" or "[::1]:PORT" */
};

/* How a name is answered. */
enum {
	Z_NX = 1,        /* NXDOMAIN */
	Z_SERVFAIL = 2,
	Z_REFUSED = 4,
	Z_SILENT = 8,    /* never answers */
	Z_AA = 16,       /* AA bit set */
	Z_AD = 32,       /* AD bit set */
	Z_TC = 64,       /* over UDP: TC and no records; over TCP: the records */
	Z_BAD = 128,     /* ancount 1 with no record */
	Z_BIG = 256,     /* 40 MX records mxNN.<name>, preference NN */
	Z_WRONGQ = 512,  /* the answer's question is another name */
	Z_FORMERR = 1024,
};

/* Record data: A/AAAA as text; MX "PREF NAME"; NS/PTR "NAME".  A NAME
 * "x@" is the label x and a compression pointer to the question name, "."
 * the root, anything else an uncompressed absolute name. */
struct rrdef {
	int type;
	uint32_t ttl;
	const char *data;
};

struct zone {
	const char *name;
	unsigned how;
	struct rrdef rr[6];
};

static const struct zone zone[] = {
	{ "mx.test", 0,
	  { { DNS_TYPE_MX, 3600, "10 mx1@" },
	    { DNS_TYPE_MX, 300, "20 mx2@" },
	    { DNS_TYPE_MX, 600, "30 backup.example.net" } } },
	{ "nullmx.test", 0, { { DNS_TYPE_MX, 100, "0 ." } } },
	{ "hosts.test", 0,
	  { { DNS_TYPE_A, 300, "127.0.0.2" },
	    { DNS_TYPE_A, 60, "127.0.0.3" },
	    { DNS_TYPE_A, 3600, "127.0.0.4" },
	    { DNS_TYPE_AAAA, 120, "2001:db8::a" },
	    { DNS_TYPE_AAAA, 90, "2001:db8::b" } } },
	{ "v6only.test", 0, { { DNS_TYPE_AAAA, 50, "2001:db8::6" } } },
	{ "ns.test", 0,
	  { { DNS_TYPE_NS, 7200, "ns1@" }, { DNS_TYPE_NS, 86400, "ns2.example.net" } } },
	{ "4.3.2.1.in-addr.arpa", 0, { { DNS_TYPE_PTR, 900, "host.ptr.test" } } },
	{ "secure.test", Z_AA | Z_AD, { { DNS_TYPE_A, 30, "127.0.0.5" } } },
	{ "nodata.test", 0, { { 0, 0, NULL } } },
	{ "nx.test", Z_NX, { { 0, 0, NULL } } },
	{ "servfail.test", Z_SERVFAIL, { { 0, 0, NULL } } },
	{ "refused.test", Z_REFUSED, { { 0, 0, NULL } } },
	{ "formerr.test", Z_FORMERR, { { 0, 0, NULL } } },
	{ "silent.test", Z_SILENT, { { 0, 0, NULL } } },
	{ "big.test", Z_TC | Z_BIG, { { 0, 0, NULL } } },
	{ "wrongq.test", Z_WRONGQ, { { DNS_TYPE_A, 5, "127.0.0.8" } } },
	{ "bad.test", Z_BAD, { { DNS_TYPE_MX, 5, "10 mx@" }, { DNS_TYPE_A, 5, "127.0.0.9" } } },
};

struct msg {
	unsigned char b[4096];
	size_t len;
	bool full;
};

static void put(struct msg *m, const void *p, size_t n)
{
	if (m->len + n > sizeof(m->b)) {
		m->full = true;
		return;
	}
	memcpy(m->b + m->len, p, n);
	m->len += n;
}

static void put16(struct msg *m, unsigned v)
{
	unsigned char b[2] = { (unsigned char)(v >> 8), (unsigned char)v };

	put(m, b, 2);
}

static void put32(struct msg *m, uint32_t v)
{
	put16(m, v >> 16);
	put16(m, v & 0xffff);
}

static void put_name(struct msg *m, const char *name)
{
	size_t n = strlen(name);
	bool rel = n > 0 && name[n - 1] == '@';

	if (rel)
		n--;
	if (strcmp(name, ".") != 0) {
		for (size_t i = 0; i < n;) {
			size_t l = strcspn(name + i, ".@");
			unsigned char lb = (unsigned char)l;

			put(m, &lb, 1);
			put(m, name + i, l);
			i += l + 1;
		}
	}
	if (rel)
		put16(m, 0xc00c);
	else
		put(m, "", 1);
}

static void put_rr(struct msg *m, int type, uint32_t ttl, const char *data)
{
	size_t rdlen_at;

	put16(m, 0xc00c); /* owner: the question name */
	put16(m, (unsigned)type);
	put16(m, DNS_CLASS_IN);
	put32(m, ttl);
	rdlen_at = m->len;
	put16(m, 0);
	if (type == DNS_TYPE_A) {
		unsigned char a[4];

		inet_pton(AF_INET, data, a);
		put(m, a, 4);
	} else if (type == DNS_TYPE_AAAA) {
		unsigned char a[16];

		inet_pton(AF_INET6, data, a);
		put(m, a, 16);
	} else if (type == DNS_TYPE_MX) {
		char *end;

		put16(m, (unsigned)strtoul(data, &end, 10));
		put_name(m, end + 1);
	} else {
		put_name(m, data);
	}
	if (!m->full) {
		m->b[rdlen_at] = (unsigned char)((m->len - rdlen_at - 2) >> 8);
		m->b[rdlen_at + 1] = (unsigned char)(m->len - rdlen_at - 2);
	}
}

/* Builds the answer to query q into m; false: do not answer. */
static bool answer(const unsigned char *q, size_t qlen, bool tcp, struct srv_stats *st,
		   struct msg *m)
{
	char name[256];
	size_t off = 12, nl = 0, ancount_at;
	unsigned qtype, rcode = 0, an = 0;
	const struct zone *z = NULL;

	if (qlen < 12 || (q[2] & 0x80) != 0)
		return false;
	while (off < qlen && q[off] != 0) {
		size_t l = q[off];

		if (l > 63 || off + 1 + l >= qlen || nl + l + 1 >= sizeof(name))
			return false;
		if (nl > 0)
			name[nl++] = '.';
		memcpy(name + nl, q + off + 1, l);
		nl += l;
		off += 1 + l;
	}
	name[nl] = '\0';
	if (off + 5 > qlen)
		return false;
	qtype = (unsigned)(q[off + 1] << 8 | q[off + 2]);
	off += 5; /* end of the question */
	__atomic_add_fetch(tcp ? &st->tcp : &st->udp, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&st->last_rd, q[2] & 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&st->last_ad, (q[3] & 0x20) != 0, __ATOMIC_SEQ_CST);

	for (size_t i = 0; i < N_OF(zone); i++)
		if (strcasecmp(zone[i].name, name) == 0)
			z = &zone[i];
	if (z != NULL && (z->how & Z_SILENT))
		return false;
	if (z == NULL || (z->how & Z_NX))
		rcode = 3;
	else if (z->how & Z_SERVFAIL)
		rcode = 2;
	else if (z->how & Z_REFUSED)
		rcode = 5;
	else if (z->how & Z_FORMERR)
		rcode = 1;

	m->len = 0;
	m->full = false;
	put(m, q, 2); /* id */
	put16(m, 0x8000 | (q[2] & 0x79) << 8 | 0x80 | rcode |
		      (z != NULL && (z->how & Z_AA) ? 0x0400 : 0) |
		      (z != NULL && (z->how & Z_AD) ? 0x0020 : 0) |
		      (z != NULL && (z->how & Z_TC) && !tcp ? 0x0200 : 0));
	put16(m, 1);
	ancount_at = m->len;
	put16(m, 0);
	put16(m, 0);
	put16(m, 0);
	put(m, q + 12, off - 12);
	if (z != NULL && (z->how & Z_WRONGQ))
		m->b[13] ^= 1; /* "wrongq" becomes "vrongq" */
	if (rcode == 0 && !((z->how & Z_TC) && !tcp)) {
		for (size_t i = 0; i < N_OF(z->rr) && z->rr[i].data != NULL; i++) {
			if ((unsigned)z->rr[i].type != qtype)
				continue;
			if (!(z->how & Z_BAD))
				put_rr(m, z->rr[i].type, z->rr[i].ttl, z->rr[i].data);
			an++;
		}
		if (z->how & Z_BIG && qtype == DNS_TYPE_MX) {
			for (unsigned i = 0; i < 40; i++) {
				char data[32];

				snprintf(data, sizeof(data), "%u mx%02u@", i, i);
				put_rr(m, DNS_TYPE_MX, 1000 + i, data);
				an++;
			}
		}
	}
	m->b[ancount_at] = (unsigned char)(an >> 8);
	m->b[ancount_at + 1] = (unsigned char)an;
	return !m->full;
}

struct tcp_client {
	int fd;
	unsigned char buf[2048];
	size_t len;
};

static void send_all(int fd, const unsigned char *p, size_t n)
{
	for (int tries = 0; n > 0 && tries < 100; tries++) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno != EINTR && errno != EAGAIN)
			return;
		if (w > 0) {
			p += w;
			n -= (size_t)w;
		}
	}
}

/* The child: answers until its parent is gone or 30 s passed. */
static void __attribute__((noreturn))
serve(int udp, int lsn, struct srv_stats *st, pid_t parent)
{
	struct tcp_client cl[8];
	int64_t end = mono_now_ns() + 30 * NS;

	for (size_t i = 0; i < N_OF(cl); i++)
		cl[i].fd = -1;
	while (getppid() == parent && mono_now_ns() < end) {
		struct pollfd p[2 + N_OF(cl)];
		size_t who[N_OF(cl)];
		nfds_t n = 2;

		p[0] = (struct pollfd){ .fd = udp, .events = POLLIN };
		p[1] = (struct pollfd){ .fd = lsn, .events = POLLIN };
		for (size_t i = 0; i < N_OF(cl); i++)
			if (cl[i].fd >= 0) {
				who[n - 2] = i;
				p[n++] = (struct pollfd){ .fd = cl[i].fd, .events = POLLIN };
			}
		if (poll(p, n, 100) <= 0)
			continue;
		if (p[0].revents & POLLIN) {
			unsigned char q[1024];
			struct sockaddr_storage from;
			socklen_t fl = sizeof(from);
			ssize_t r = recvfrom(udp, q, sizeof(q), 0, (struct sockaddr *)&from, &fl);
			struct msg m;

			if (r > 0 && answer(q, (size_t)r, false, st, &m))
				sendto(udp, m.b, m.len, 0, (struct sockaddr *)&from, fl);
		}
		if (p[1].revents & POLLIN) {
			int fd = accept(lsn, NULL, NULL);
			size_t i = 0;

			while (i < N_OF(cl) && cl[i].fd >= 0)
				i++;
			if (fd >= 0 && i < N_OF(cl))
				cl[i] = (struct tcp_client){ .fd = fd, .len = 0 };
			else if (fd >= 0)
				close(fd);
		}
		for (nfds_t k = 2; k < n; k++) {
			struct tcp_client *c = &cl[who[k - 2]];
			ssize_t r;

			if (!(p[k].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			r = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
			if (r <= 0) {
				close(c->fd);
				c->fd = -1;
				continue;
			}
			c->len += (size_t)r;
			while (c->len >= 2) {
				size_t ml = (size_t)(c->buf[0] << 8 | c->buf[1]);
				struct msg m;

				if (c->len < 2 + ml)
					break;
				if (answer(c->buf + 2, ml, true, st, &m)) {
					unsigned char lb[2] = { (unsigned char)(m.len >> 8),
								(unsigned char)m.len };

					send_all(c->fd, lb, 2);
					send_all(c->fd, m.b, m.len);
				}
				memmove(c->buf, c->buf + 2 + ml, c->len - 2 - ml);
				c->len -= 2 + ml;
			}
			if (c->len == sizeof(c->buf)) {
				close(c->fd);
				c->fd = -1;
			}
		}
	}
	_exit(0);
}

/* A socket bound to loopback (port 0: the kernel picks); -1 on failure. */
static int bind_loopback(int family, int type, int port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = socket(family, type | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0)
		return -1;
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;

		in->sin_family = AF_INET;
		in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		in->sin_port = htons((uint16_t)port);
		len = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_addr = in6addr_loopback;
		in6->sin6_port = htons((uint16_t)port);
		len = sizeof(*in6);
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	}
	if (type == SOCK_STREAM)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 8) < 0)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

/* Servers started by the running test; the teardown stops them. */
static struct dnsserver started[4];
static size_t n_started;

/* Starts a server on 127.0.0.1 or ::1, UDP and TCP on one port. */
static struct dnsserver *dnsserver_start(int family)
{
	struct dnsserver *s;
	int udp = -1, lsn = -1;
	pid_t parent = getpid();

	ck_assert_uint_lt(n_started, N_OF(started));
	s = &started[n_started];
	for (int i = 0; i < 20 && lsn < 0; i++) {
		if (udp >= 0)
			close(udp);
		udp = bind_loopback(family, SOCK_DGRAM, 0);
		ck_assert_int_ge(udp, 0);
		s->port = local_port(udp);
		lsn = bind_loopback(family, SOCK_STREAM, s->port);
	}
	ck_assert_int_ge(lsn, 0);
	s->stats = mmap(NULL, sizeof(*s->stats), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert(s->stats != MAP_FAILED);
	memset(s->stats, 0, sizeof(*s->stats));
	s->pid = fork();
	ck_assert_int_ge(s->pid, 0);
	if (s->pid == 0)
		serve(udp, lsn, s->stats, parent);
	n_started++;
	close(udp);
	close(lsn);
	snprintf(s->servers, sizeof(s->servers), family == AF_INET ? "127.0.0.1:%d" : "[::1]:%d",
		 s->port);
	return s;
}

static int queries(const struct dnsserver *s)
{
	return __atomic_load_n(&s->stats->udp, __ATOMIC_SEQ_CST) +
	       __atomic_load_n(&s->stats->tcp, __ATOMIC_SEQ_CST);
}

static void stop_servers(void)
{
	for (size_t i = 0; i < n_started; i++) {
		kill(started[i].pid, SIGKILL);
		waitpid(started[i].pid, NULL, 0);
		munmap(started[i].stats, sizeof(*started[i].stats));
	}
	n_started = 0;
}

static struct resolver *new_resolver(const char *servers, const struct deadline *d, bool tcp)
{
	struct resolver_params p = { .deadline = d, .servers = servers, .tcp = tcp };
	struct fail f = { 0 };
	struct resolver *r = resolver_new(&p, &f);

	ck_assert_msg(r != NULL, "resolver_new(%s): %s", servers, f.text);
	return r;
}

static void ck_contains(const char *text, const char *part)
{
	ck_assert_msg(strstr(text, part) != NULL, "'%s' lacks '%s'", text, part);
}

static char *fmt(const struct sockaddr_storage *ss, bool with_port)
{
	static char buf[4][80];
	static int next;
	char *b = buf[next++ % 4];

	addr_format((const struct sockaddr *)ss, with_port, b, sizeof(buf[0]));
	return b;
}

/* ---- pure functions ------------------------------------------------------ */

START_TEST(test_addr_format)
{
	static const struct {
		int family;
		const char *addr;
		int port;
		bool with_port;
		const char *want;
	} cases[] = {
		{ AF_INET, "192.0.2.7", 25, true, "192.0.2.7:25" },
		{ AF_INET, "192.0.2.7", 25, false, "192.0.2.7" },
		{ AF_INET, "0.0.0.0", 0, true, "0.0.0.0:0" },
		{ AF_INET6, "2001:db8::1", 5353, true, "[2001:db8::1]:5353" },
		{ AF_INET6, "2001:db8::1", 5353, false, "2001:db8::1" },
		{ AF_INET6, "::1", 65535, true, "[::1]:65535" },
		{ AF_INET6, "::ffff:192.0.2.1", 110, true, "[::ffff:192.0.2.1]:110" },
	};

	for (size_t i = 0; i < N_OF(cases); i++) {
		struct sockaddr_storage ss;
		char buf[64];

		memset(&ss, 0, sizeof(ss));
		ss.ss_family = (sa_family_t)cases[i].family;
		if (cases[i].family == AF_INET) {
			struct sockaddr_in *in = (struct sockaddr_in *)&ss;

			inet_pton(AF_INET, cases[i].addr, &in->sin_addr);
			in->sin_port = htons((uint16_t)cases[i].port);
		} else {
			struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

			inet_pton(AF_INET6, cases[i].addr, &in6->sin6_addr);
			in6->sin6_port = htons((uint16_t)cases[i].port);
		}
		addr_format((struct sockaddr *)&ss, cases[i].with_port, buf, sizeof(buf));
		ck_assert_str_eq(buf, cases[i].want);
	}

	{
		struct sockaddr_storage ss;
		char buf[64], small[8];

		memset(&ss, 0, sizeof(ss));
		ss.ss_family = AF_UNIX;
		addr_format((struct sockaddr *)&ss, true, buf, sizeof(buf));
		ck_assert_str_eq(buf, "(address family 1)");

		/* A short buffer truncates, NUL-terminated. */
		ss.ss_family = AF_INET6;
		inet_pton(AF_INET6, "2001:db8::1", &((struct sockaddr_in6 *)&ss)->sin6_addr);
		addr_format((struct sockaddr *)&ss, true, small, sizeof(small));
		ck_assert_str_eq(small, "[2001:d");
	}
}
END_TEST

START_TEST(test_status_text)
{
	static const char *const want[RESOLVE_LAST] = {
		"ok", "no such domain", "no records of that type", "server failure",
		"query refused", "timed out", "lookup failed",
	};

	for (int s = 0; s < RESOLVE_LAST; s++)
		ck_assert_str_eq(resolve_status_text((enum resolve_status)s), want[s]);
	ck_assert_str_eq(resolve_status_text(RESOLVE_LAST), "lookup failed");
	ck_assert_str_eq(resolve_status_text((enum resolve_status)-1), "lookup failed");
}
END_TEST

/* Canned messages.  Q_MX is the question "mx.test IN MX" (offset 12..24). */
#define HDR(flags2, flags3, qd, an) 0x12, 0x34, flags2, flags3, 0, qd, 0, an, 0, 0, 0, 0
#define Q_MX 2, 'm', 'x', 4, 't', 'e', 's', 't', 0, 0, 15, 0, 1
#define TTL(t) (unsigned char)((t) >> 24), (unsigned char)((t) >> 16), \
	       (unsigned char)((t) >> 8), (unsigned char)(t)
/* MX pref 10 -> "mx1.<question>" (compressed), and pref 20 -> <question>. */
#define RR_MX1(ttl) 0xc0, 12, 0, 15, 0, 1, TTL(ttl), 0, 8, 0, 10, 3, 'm', 'x', '1', 0xc0, 12
#define RR_MX2(ttl) 0xc0, 12, 0, 15, 0, 1, TTL(ttl), 0, 4, 0, 20, 0xc0, 12

static const unsigned char msg_mx[] = { HDR(0x81, 0x80, 1, 2), Q_MX, RR_MX1(3600), RR_MX2(300) };

START_TEST(test_header_parse)
{
	static const unsigned char all_bits[12] = { 0xff, 0xfe, 0xff, 0xff, 1, 2, 3, 4, 5, 6, 7, 8 };
	static const unsigned char no_bits[12] = { 0 };
	static const unsigned char opcode_rcode[12] = { 0, 1, 0x28, 0x05, 0, 0, 0, 0, 0, 0, 0, 0 };
	static const struct {
		const unsigned char *msg;
		size_t len;
		int rc;
		struct dns_header want;
	} cases[] = {
		{ all_bits, 12, 0,
		  { 0xfffe, true, true, true, true, true, true, true, 15, 15, 0x102, 0x304, 0x506,
		    0x708 } },
		{ no_bits, 12, 0, { 0 } },
		{ opcode_rcode, 12, 0, { .id = 1, .opcode = 5, .rcode = 5 } },
		{ msg_mx, sizeof(msg_mx), 0,
		  { .id = 0x1234, .qr = true, .rd = true, .ra = true, .qdcount = 1, .ancount = 2 } },
		{ msg_mx, 11, -1, { 0 } },
		{ msg_mx, 1, -1, { 0 } },
		{ msg_mx, 0, -1, { 0 } },
	};

	for (size_t i = 0; i < N_OF(cases); i++) {
		struct dns_header h;
		const struct dns_header *w = &cases[i].want;

		ck_assert_int_eq(dns_header_parse(cases[i].msg, cases[i].len, &h), cases[i].rc);
		if (cases[i].rc < 0)
			continue;
		ck_assert_uint_eq(h.id, w->id);
		ck_assert_msg(h.qr == w->qr && h.aa == w->aa && h.tc == w->tc && h.rd == w->rd &&
				      h.ra == w->ra && h.ad == w->ad && h.cd == w->cd,
			      "case %zu: flags", i);
		ck_assert_uint_eq(h.opcode, w->opcode);
		ck_assert_uint_eq(h.rcode, w->rcode);
		ck_assert_uint_eq(h.qdcount, w->qdcount);
		ck_assert_uint_eq(h.ancount, w->ancount);
		ck_assert_uint_eq(h.nscount, w->nscount);
		ck_assert_uint_eq(h.arcount, w->arcount);
	}
	/* Each flag on its own lands in its own field. */
	{
		struct dns_header h;
		unsigned char m[12] = { 0 };

		m[2] = 0x04;
		ck_assert_int_eq(dns_header_parse(m, 12, &h), 0);
		ck_assert(h.aa && !h.tc && !h.rd && !h.qr);
		m[2] = 0x02;
		ck_assert_int_eq(dns_header_parse(m, 12, &h), 0);
		ck_assert(h.tc && !h.aa);
		m[2] = 0;
		m[3] = 0x20;
		ck_assert_int_eq(dns_header_parse(m, 12, &h), 0);
		ck_assert(h.ad && !h.cd && !h.ra);
		m[3] = 0x10;
		ck_assert_int_eq(dns_header_parse(m, 12, &h), 0);
		ck_assert(h.cd && !h.ad);
	}
}
END_TEST

/* Answers for dns_answer_min_ttl, good and broken. */
static const unsigned char m_ok[] = { HDR(0x81, 0x80, 1, 2), Q_MX, RR_MX1(3600), RR_MX2(300) };
static const unsigned char m_ok_rev[] = { HDR(0x81, 0x80, 1, 2), Q_MX, RR_MX1(7),
					  RR_MX2(4000000000u) };
static const unsigned char m_empty[] = { HDR(0x81, 0x80, 1, 0), Q_MX };
static const unsigned char m_nx[] = { HDR(0x81, 0x83, 1, 0), Q_MX };
static const unsigned char m_zero_ttl[] = { HDR(0x81, 0x80, 1, 1), Q_MX, RR_MX1(0) };
/* An answer whose owner is spelled out instead of compressed. */
static const unsigned char m_plain_owner[] = {
	HDR(0x81, 0x80, 1, 1), Q_MX,
	2, 'm', 'x', 4, 't', 'e', 's', 't', 0, 0, 15, 0, 1, TTL(42), 0, 4, 0, 1, 0xc0, 12
};
/* Owner label, then a pointer to the question's "test". */
static const unsigned char m_label_then_ptr[] = {
	HDR(0x81, 0x80, 1, 1), Q_MX,
	1, 'a', 0xc0, 15, 0, 15, 0, 1, TTL(9), 0, 4, 0, 1, 0xc0, 12
};
/* No question, one answer with the root as owner. */
static const unsigned char m_no_question[] = { HDR(0x81, 0x80, 0, 1), 0, 0, 1, 0, 1, TTL(77), 0, 4,
					       127, 0, 0, 1 };
static const unsigned char m_an_missing[] = { HDR(0x81, 0x80, 1, 3), Q_MX, RR_MX1(3600),
					      RR_MX2(300) };
static const unsigned char m_rdata_past[] = { HDR(0x81, 0x80, 1, 1), Q_MX,
					      0xc0, 12, 0, 15, 0, 1, TTL(5), 0, 9, 0, 10, 0xc0, 12 };
static const unsigned char m_rr_hdr_short[] = { HDR(0x81, 0x80, 1, 1), Q_MX, 0xc0, 12, 0, 15, 0, 1,
						TTL(5), 0 };
static const unsigned char m_q_short[] = { HDR(0x81, 0x80, 1, 0),
					   2, 'm', 'x', 4, 't', 'e', 's', 't', 0, 0, 15, 0 };
static const unsigned char m_q_label_past[] = { HDR(0x81, 0x80, 1, 0), 9, 'm', 'x' };
static const unsigned char m_q_no_end[] = { HDR(0x81, 0x80, 1, 0), 2, 'm', 'x' };
static const unsigned char m_label_40[] = { HDR(0x81, 0x80, 1, 0), 0x41, 'm', 'x', 0, 0, 15, 0, 1 };
static const unsigned char m_label_80[] = { HDR(0x81, 0x80, 1, 0), 0x81, 'm', 'x', 0, 0, 15, 0, 1 };
static const unsigned char m_ptr_self[] = { HDR(0x81, 0x80, 1, 1), Q_MX,
					    0xc0, 25, 0, 15, 0, 1, TTL(5), 0, 4, 0, 10, 0xc0, 12 };
static const unsigned char m_ptr_loop2[] = { HDR(0x81, 0x80, 1, 0),
					     0xc0, 14, 0xc0, 12, 0, 15, 0, 1 };
static const unsigned char m_ptr_past[] = { HDR(0x81, 0x80, 1, 1), Q_MX,
					    0xc0, 200, 0, 15, 0, 1, TTL(5), 0, 4, 0, 10, 0xc0, 12 };
static const unsigned char m_ptr_half[] = { HDR(0x81, 0x80, 1, 0), 2, 'm', 'x', 0xc0 };
static const unsigned char m_ptr_forward[] = { HDR(0x81, 0x80, 1, 0),
					       0xc0, 14, 1, 'a', 0, 0, 15, 0, 1 };
static const unsigned char m_ptr_0x40[] = { HDR(0x81, 0x80, 1, 1), Q_MX,
					    0x40, 12, 0, 15, 0, 1, TTL(5), 0, 4, 0, 10, 0xc0, 12 };

START_TEST(test_min_ttl)
{
	static const struct {
		const char *what;
		const unsigned char *msg;
		size_t len;
		int rc;
		bool has_ttl;
		uint32_t ttl;
	} cases[] = {
#define C(m, rc, has, ttl) { #m, m, sizeof(m), rc, has, ttl }
		C(m_ok, 0, true, 300),
		C(m_ok_rev, 0, true, 7),
		C(m_empty, 0, false, 0),
		C(m_nx, 0, false, 0),
		C(m_zero_ttl, 0, true, 0),
		C(m_plain_owner, 0, true, 42),
		C(m_label_then_ptr, 0, true, 9),
		C(m_no_question, 0, true, 77),
		C(m_an_missing, -1, false, 0),
		C(m_rdata_past, -1, false, 0),
		C(m_rr_hdr_short, -1, false, 0),
		C(m_q_short, -1, false, 0),
		C(m_q_label_past, -1, false, 0),
		C(m_q_no_end, -1, false, 0),
		C(m_label_40, -1, false, 0),
		C(m_label_80, -1, false, 0),
		C(m_ptr_self, -1, false, 0),
		C(m_ptr_loop2, -1, false, 0),
		C(m_ptr_past, -1, false, 0),
		C(m_ptr_half, -1, false, 0),
		C(m_ptr_forward, 0, false, 0),
		C(m_ptr_0x40, -1, false, 0),
#undef C
		{ "short header", m_ok, 11, -1, false, 0 },
		{ "empty", m_ok, 0, -1, false, 0 },
		{ "header only", m_ok, 12, -1, false, 0 },
	};

	for (size_t i = 0; i < N_OF(cases); i++) {
		bool has = !cases[i].has_ttl;
		uint32_t ttl = 12345;
		int rc = dns_answer_min_ttl(cases[i].msg, cases[i].len, &has, &ttl);

		ck_assert_msg(rc == cases[i].rc, "%s: rc %d, want %d", cases[i].what, rc,
			      cases[i].rc);
		if (rc == 0) {
			ck_assert_msg(has == cases[i].has_ttl, "%s: has_ttl", cases[i].what);
			if (has)
				ck_assert_msg(ttl == cases[i].ttl, "%s: ttl %u, want %u",
					      cases[i].what, ttl, cases[i].ttl);
		}
	}

	/* Names up to 255 bytes, pointer chains; longer names are malformed. */
	{
		static const struct {
			unsigned labels[5]; /* label lengths, 0-terminated */
			bool chain;         /* add an answer whose owner is a pointer
					     * to a pointer to the question */
			int rc;
		} names[] = {
			{ { 63, 63, 63, 61, 0 }, false, 0 }, /* 255 bytes */
			{ { 63, 63, 63, 62, 0 }, false, -1 }, /* 256 */
			{ { 63, 63, 63, 63, 63 }, false, -1 },
			{ { 1, 0 }, true, 0 },
		};

		for (size_t i = 0; i < N_OF(names); i++) {
			unsigned char m[400] = { HDR(0x81, 0x80, 1, 0) };
			size_t len = 12;
			bool has;
			uint32_t ttl;

			for (size_t k = 0; k < 5 && names[i].labels[k] != 0; k++) {
				m[len++] = (unsigned char)names[i].labels[k];
				memset(m + len, 'a', names[i].labels[k]);
				len += names[i].labels[k];
			}
			m[len++] = 0;
			m[len++] = 0; /* qtype, qclass */
			m[len++] = 1;
			m[len++] = 0;
			m[len++] = 1;
			if (names[i].chain) {
				/* answer 1: owner "x" + pointer to the question;
				 * answer 2: owner a pointer to answer 1's owner. */
				size_t owner1 = len;
				const unsigned char rr1[] = { 1, 'x', 0xc0, 12, 0, 1, 0, 1, TTL(20),
							      0, 4, 127, 0, 0, 1 };
				const unsigned char rr2[] = { 0xc0, (unsigned char)owner1, 0, 1, 0, 1,
							      TTL(10), 0, 4, 127, 0, 0, 2 };

				memcpy(m + len, rr1, sizeof(rr1));
				len += sizeof(rr1);
				memcpy(m + len, rr2, sizeof(rr2));
				len += sizeof(rr2);
				m[7] = 2;
			}
			ck_assert_msg(dns_answer_min_ttl(m, len, &has, &ttl) == names[i].rc,
				      "name case %zu", i);
			if (names[i].chain)
				ck_assert(has && ttl == 10);
		}
	}

	/* Every prefix of a good message is malformed, never a crash. */
	for (size_t len = 0; len < sizeof(m_ok); len++) {
		bool has;
		uint32_t ttl;
		unsigned char *copy = malloc(len ? len : 1);

		memcpy(copy, m_ok, len);
		ck_assert_msg(dns_answer_min_ttl(copy, len, &has, &ttl) == -1, "prefix %zu", len);
		free(copy);
	}
}
END_TEST

/* A reply built by hand around canned bytes. */
static struct dns_reply reply_of(const unsigned char *msg, size_t len)
{
	struct dns_reply r = { .raw = (unsigned char *)msg, .len = len };

	ck_assert_int_eq(dns_header_parse(msg, len, &r.hdr), 0);
	return r;
}

static const unsigned char m_mx3[] = {
	HDR(0x81, 0x80, 1, 4), Q_MX,
	RR_MX1(3600),
	RR_MX2(300),
	/* a CNAME in the answer is skipped */
	0xc0, 12, 0, 5, 0, 1, TTL(5), 0, 2, 0xc0, 12,
	/* null MX: preference 0, the root */
	0xc0, 12, 0, 15, 0, 1, TTL(5), 0, 3, 0, 0, 0,
};
/* The MX target points into itself. */
static const unsigned char m_mx_loop[] = { HDR(0x81, 0x80, 1, 1), Q_MX,
					   0xc0, 12, 0, 15, 0, 1, TTL(5), 0, 4, 0, 10, 0xc0, 39 };
/* The MX data is shorter than preference + name. */
static const unsigned char m_mx_short[] = { HDR(0x81, 0x80, 1, 1), Q_MX,
					    0xc0, 12, 0, 15, 0, 1, TTL(5), 0, 2, 0, 10, 0xc0, 12 };
/* The MX target runs past its rdlen into the next bytes. */
static const unsigned char m_mx_overrun[] = { HDR(0x81, 0x80, 1, 1), Q_MX,
					      0xc0, 12, 0, 15, 0, 1, TTL(5), 0, 4, 0, 10, 1, 'a',
					      0 };
#define Q_PTR 1, '4', 1, '3', 1, '2', 1, '1', 7, 'i', 'n', '-', 'a', 'd', 'd', 'r', \
	      4, 'a', 'r', 'p', 'a', 0, 0, 12, 0, 1
static const unsigned char m_ptr[] = {
	HDR(0x85, 0x80, 1, 2), Q_PTR,
	0xc0, 12, 0, 12, 0, 1, TTL(60), 0, 15, 4, 'h', 'o', 's', 't', 3, 'p', 't', 'r', 4, 't', 'e',
	's', 't', 0,
	0xc0, 12, 0, 12, 0, 1, TTL(60), 0, 8, 5, 'a', 'l', 'i', 'a', 's', 0xc0, 55,
};

START_TEST(test_reply_names)
{
	struct dns_reply r;
	struct mx_record *mx;
	char **names;
	size_t n;

	r = reply_of(m_mx3, sizeof(m_mx3));
	ck_assert_int_eq(dns_reply_mx(&r, &mx, &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(mx[0].preference, 10);
	ck_assert_str_eq(mx[0].host, "mx1.mx.test");
	ck_assert_uint_eq(mx[1].preference, 20);
	ck_assert_str_eq(mx[1].host, "mx.test");
	ck_assert_uint_eq(mx[2].preference, 0);
	ck_assert_str_eq(mx[2].host, "");
	mx_records_free(mx, n);

	/* Names of one type only: the CNAME's target, nothing of type NS. */
	ck_assert_int_eq(dns_reply_names(&r, DNS_TYPE_CNAME, &names, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(names[0], "mx.test");
	names_free(names, n);
	ck_assert_int_eq(dns_reply_names(&r, DNS_TYPE_NS, &names, &n), 0);
	ck_assert_uint_eq(n, 0);
	names_free(names, n);

	r = reply_of(m_ptr, sizeof(m_ptr));
	ck_assert_int_eq(dns_reply_names(&r, DNS_TYPE_PTR, &names, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(names[0], "host.ptr.test");
	ck_assert_str_eq(names[1], "alias.ptr.test");
	names_free(names, n);

	r = reply_of(m_empty, sizeof(m_empty));
	ck_assert_int_eq(dns_reply_mx(&r, &mx, &n), 0);
	ck_assert_uint_eq(n, 0);
	mx_records_free(mx, n);

	/* Broken ones fail cleanly. */
	{
		static const struct {
			const char *what;
			const unsigned char *msg;
			size_t len;
		} bad[] = {
			{ "loop", m_mx_loop, sizeof(m_mx_loop) },
			{ "short", m_mx_short, sizeof(m_mx_short) },
			{ "overrun", m_mx_overrun, sizeof(m_mx_overrun) },
			{ "missing", m_an_missing, sizeof(m_an_missing) },
			{ "ptr past", m_ptr_past, sizeof(m_ptr_past) },
		};

		for (size_t i = 0; i < N_OF(bad); i++) {
			r = reply_of(bad[i].msg, bad[i].len);
			mx = NULL;
			ck_assert_msg(dns_reply_mx(&r, &mx, &n) == -1, "%s", bad[i].what);
			ck_assert_msg(dns_reply_names(&r, DNS_TYPE_MX, &names, &n) == -1, "%s",
				      bad[i].what);
		}
	}
}
END_TEST

START_TEST(test_reply_records)
{
	struct dns_reply r;
	struct dns_record *rr;
	size_t n;
	char t[16];

	r = reply_of(m_mx3, sizeof(m_mx3));
	ck_assert_int_eq(dns_reply_records(&r, &rr, &n), 0);
	ck_assert_uint_eq(n, 4);
	ck_assert_str_eq(rr[0].name, "mx.test");
	ck_assert_uint_eq(rr[0].type, DNS_TYPE_MX);
	ck_assert_uint_eq(rr[0].ttl, 3600);
	ck_assert_str_eq(rr[0].data, "10 mx1.mx.test.");
	ck_assert_str_eq(rr[1].data, "20 mx.test.");
	ck_assert_uint_eq(rr[1].ttl, 300);
	ck_assert_uint_eq(rr[2].type, DNS_TYPE_CNAME);
	ck_assert_str_eq(rr[2].data, "mx.test.");
	ck_assert_str_eq(rr[3].data, "0 .");
	dns_records_free(rr, n);

	r = reply_of(m_ptr, sizeof(m_ptr));
	ck_assert_int_eq(dns_reply_records(&r, &rr, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(rr[0].name, "4.3.2.1.in-addr.arpa");
	ck_assert_str_eq(rr[1].data, "alias.ptr.test.");
	dns_records_free(rr, n);

	r = reply_of(m_empty, sizeof(m_empty));
	ck_assert_int_eq(dns_reply_records(&r, &rr, &n), 0);
	ck_assert_uint_eq(n, 0);
	dns_records_free(rr, n);

	/* A, AAAA, an unknown type (RFC 3597 form), and an A of the wrong size. */
	{
		static const unsigned char m[] = {
			HDR(0x81, 0x80, 1, 3), Q_MX,
			0xc0, 12, 0, 1, 0, 1, TTL(7), 0, 4, 192, 0, 2, 1,
			0xc0, 12, 0, 28, 0, 1, TTL(8), 0, 16, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
			0, 0, 0, 0, 0, 0, 0, 1,
			0xc0, 12, 0, 99, 0, 1, TTL(9), 0, 2, 0xab, 0x01,
		};
		static const unsigned char bad_a[] = {
			HDR(0x81, 0x80, 1, 1), Q_MX, 0xc0, 12, 0, 1, 0, 1, TTL(7), 0, 3, 1, 2, 3,
		};

		r = reply_of(m, sizeof(m));
		ck_assert_int_eq(dns_reply_records(&r, &rr, &n), 0);
		ck_assert_uint_eq(n, 3);
		ck_assert_str_eq(rr[0].data, "192.0.2.1");
		ck_assert_uint_eq(rr[0].ttl, 7);
		ck_assert_str_eq(rr[1].data, "2001:db8::1");
		ck_assert_uint_eq(rr[2].type, 99);
		ck_assert_str_eq(rr[2].data, "\\# 2 ab01");
		dns_records_free(rr, n);
		r = reply_of(bad_a, sizeof(bad_a));
		ck_assert_int_eq(dns_reply_records(&r, &rr, &n), -1);
	}
	/* Broken messages fail cleanly. */
	r = reply_of(m_mx_loop, sizeof(m_mx_loop));
	ck_assert_int_eq(dns_reply_records(&r, &rr, &n), -1);
	r = reply_of(m_mx_short, sizeof(m_mx_short));
	ck_assert_int_eq(dns_reply_records(&r, &rr, &n), -1);
	r = reply_of(m_mx_overrun, sizeof(m_mx_overrun));
	ck_assert_int_eq(dns_reply_records(&r, &rr, &n), -1);
	r = reply_of(m_an_missing, sizeof(m_an_missing));
	ck_assert_int_eq(dns_reply_records(&r, &rr, &n), -1);

	dns_type_format(DNS_TYPE_MX, t, sizeof(t));
	ck_assert_str_eq(t, "MX");
	dns_type_format(DNS_TYPE_AAAA, t, sizeof(t));
	ck_assert_str_eq(t, "AAAA");
	dns_type_format(65, t, sizeof(t));
	ck_assert_str_eq(t, "TYPE65");
}
END_TEST

/* ---- server lists -------------------------------------------------------- */

/* resolver_params.family keeps the servers of one family. */
START_TEST(test_servers_family)
{
	struct deadline d;
	struct resolver_params p = { .deadline = &d };
	struct fail f = { 0 };
	struct resolver *r;

	deadline_start(&d, BUDGET_MS);
	p.servers = "127.0.0.1:53,[::1]:5353,127.0.0.2";
	p.family = AF_INET6;
	r = resolver_new(&p, &f);
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(resolver_servers(r), "[::1]:5353");
	resolver_free(r);
	p.family = AF_INET;
	r = resolver_new(&p, &f);
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(resolver_servers(r), "127.0.0.1:53, 127.0.0.2:53");
	resolver_free(r);
	p.family = AF_UNSPEC;
	r = resolver_new(&p, &f);
	ck_assert_str_eq(resolver_servers(r), "127.0.0.1:53, [::1]:5353, 127.0.0.2:53");
	resolver_free(r);
	p.servers = "127.0.0.1:53";
	p.family = AF_INET6;
	ck_assert_ptr_null(resolver_new(&p, &f));
	ck_assert_int_eq(f.cls, FAIL_INTERNAL);
	ck_assert_str_eq(f.text, "no IPv6 server in '127.0.0.1:53'");
}
END_TEST

START_TEST(test_servers_bad)
{
	static const char *const cases[] = {
		"abc", "1.2.3.4:0", "1.2.3.4:70000", "[::1", "[::1]x", "[::1]:", "1.2.3.4:",
		"1.2.3.4:+53", "1.2.3.4:-1", "1.2.3.4:53x", "1.2.3.4: 53", "[]:53", "[1.2.3.4:53",
		"300.1.1.1", "example.net:53", "127.0.0.1:53,abc", "[fe80::1%lo]:53",
		"1.2.3.4:999999999999999999999", "127.0.0.1 ", " 127.0.0.1",
	};
	struct deadline d;

	deadline_start(&d, BUDGET_MS);
	for (size_t i = 0; i < N_OF(cases); i++) {
		struct resolver_params p = { .deadline = &d, .servers = cases[i] };
		struct fail f = { 0 };
		struct resolver *r = resolver_new(&p, &f);
		const char *bad = strrchr(cases[i], ',') ? strrchr(cases[i], ',') + 1 : cases[i];

		ck_assert_msg(r == NULL, "'%s' accepted", cases[i]);
		ck_assert_int_eq(f.cls, FAIL_INTERNAL);
		ck_contains(f.text, bad);
	}

	/* Nothing at all, an empty item, too many. */
	{
		static const char *const odd[] = {
			"", ",", "127.0.0.1,,127.0.0.2",
			"127.0.0.1,127.0.0.1,127.0.0.1,127.0.0.1,127.0.0.1,127.0.0.1,127.0.0.1,"
			"127.0.0.1,127.0.0.1,127.0.0.1,127.0.0.1,127.0.0.1,127.0.0.1,127.0.0.1,"
			"127.0.0.1,127.0.0.1,127.0.0.1",
		};

		for (size_t i = 0; i < N_OF(odd); i++) {
			struct resolver_params p = { .deadline = &d, .servers = odd[i] };
			struct fail f = { 0 };

			ck_assert_msg(resolver_new(&p, &f) == NULL, "'%s' accepted", odd[i]);
			ck_assert_int_eq(f.cls, FAIL_INTERNAL);
			ck_assert_msg(f.text[0] != '\0', "'%s': no reason", odd[i]);
		}
	}
}
END_TEST

START_TEST(test_servers_good)
{
	static const struct {
		const char *in, *shown;
	} cases[] = {
		{ "127.0.0.1", "127.0.0.1:53" },
		{ "127.0.0.1:5353", "127.0.0.1:5353" },
		{ "::1", "[::1]:53" },
		{ "[::1]:5353", "[::1]:5353" },
		{ "[::1]", "[::1]:53" },
		{ "2001:db8::1", "[2001:db8::1]:53" },
		{ "[2001:db8::1]:5353", "[2001:db8::1]:5353" },
		{ "127.0.0.1:53,[::1]:5353", "127.0.0.1:53, [::1]:5353" },
		{ "192.0.2.1:1,192.0.2.2:65535,", "192.0.2.1:1, 192.0.2.2:65535" },
		{ "1.2.3.4:053", "1.2.3.4:53" },
	};
	struct deadline d;

	deadline_start(&d, BUDGET_MS);
	for (size_t i = 0; i < N_OF(cases); i++) {
		struct resolver *r = new_resolver(cases[i].in, &d, false);

		ck_assert_str_eq(resolver_servers(r), cases[i].shown);
		resolver_free(r);
	}
	resolver_free(NULL);
}
END_TEST

/* ---- lookups against the test's server ------------------------------------ */

static struct dnsserver *srv;

static void srv_setup(void)
{
	n_started = 0;
	srv = dnsserver_start(AF_INET);
}

static void srv_teardown(void)
{
	stop_servers();
	srv = NULL;
}

START_TEST(test_host_families)
{
	static const struct {
		int family;
		size_t n;
		const char *want[5]; /* in order */
	} cases[] = {
		{ AF_INET, 3, { "127.0.0.2:25", "127.0.0.3:25", "127.0.0.4:25" } },
		{ AF_INET6, 2, { "[2001:db8::a]:25", "[2001:db8::b]:25" } },
	};
	struct deadline d;
	struct resolver *r;

	deadline_start(&d, BUDGET_MS);
	r = new_resolver(srv->servers, &d, false);
	for (size_t i = 0; i < N_OF(cases); i++) {
		struct addr_list *l = NULL;
		struct fail f = { 0 };

		ck_assert_int_eq(resolve_host(r, "hosts.test", cases[i].family, 25, &l, &f),
				 RESOLVE_OK);
		ck_assert_ptr_nonnull(l);
		ck_assert_uint_eq(l->n, cases[i].n);
		for (size_t k = 0; k < l->n; k++) {
			ck_assert_int_eq(l->addr[k].ss_family, cases[i].family);
			ck_assert_uint_eq(l->len[k], cases[i].family == AF_INET
							     ? sizeof(struct sockaddr_in)
							     : sizeof(struct sockaddr_in6));
			ck_assert_str_eq(fmt(&l->addr[k], true), cases[i].want[k]);
		}
		addr_list_free(l);
	}

	/* Both families: all five, each family in the server's order. */
	{
		struct addr_list *l = NULL;
		struct fail f = { 0 };
		const char *v4[] = { "127.0.0.2", "127.0.0.3", "127.0.0.4" };
		const char *v6[] = { "2001:db8::a", "2001:db8::b" };
		size_t n4 = 0, n6 = 0;

		ck_assert_int_eq(resolve_host(r, "hosts.test", AF_UNSPEC, 110, &l, &f), RESOLVE_OK);
		ck_assert_uint_eq(l->n, 5);
		for (size_t k = 0; k < l->n; k++) {
			const char *a = fmt(&l->addr[k], false);

			if (l->addr[k].ss_family == AF_INET)
				ck_assert_str_eq(a, v4[n4++]);
			else
				ck_assert_str_eq(a, v6[n6++]);
			ck_assert_uint_eq(ntohs(((struct sockaddr_in *)&l->addr[k])->sin_port), 110);
		}
		ck_assert_uint_eq(n4, 3);
		ck_assert_uint_eq(n6, 2);
		addr_list_free(l);
	}
	resolver_free(r);
	ck_assert_int_ge(queries(srv), 4);
}
END_TEST

START_TEST(test_host_errors)
{
	static const struct {
		const char *host;
		int family;
		enum resolve_status want;
		enum fail_class cls;
		const char *text; /* the server follows it */
	} cases[] = {
		{ "nx.test", AF_UNSPEC, RESOLVE_NXDOMAIN, FAIL_DNS, "nx.test: no such domain (NXDOMAIN from " },
		{ "nx.test", AF_INET, RESOLVE_NXDOMAIN, FAIL_DNS, "nx.test: no such domain (NXDOMAIN from " },
		{ "nodata.test", AF_UNSPEC, RESOLVE_NODATA, FAIL_DNS, "nodata.test: " },
		{ "nodata.test", AF_INET6, RESOLVE_NODATA, FAIL_DNS, "nodata.test: " },
		{ "v6only.test", AF_INET, RESOLVE_NODATA, FAIL_DNS, "v6only.test: " },
		{ "mx.test", AF_UNSPEC, RESOLVE_NODATA, FAIL_DNS, "mx.test: " },
		{ "servfail.test", AF_INET, RESOLVE_SERVFAIL, FAIL_DNS,
		  "servfail.test: server failure (SERVFAIL from " },
		{ "refused.test", AF_INET6, RESOLVE_REFUSED, FAIL_DNS,
		  "refused.test: query refused (REFUSED from " },
		{ "bad.test", AF_INET, RESOLVE_ERROR, FAIL_DNS, "bad.test: malformed reply from " },
	};
	struct deadline d;
	struct resolver *r;

	deadline_start(&d, BUDGET_MS);
	r = new_resolver(srv->servers, &d, false);
	for (size_t i = 0; i < N_OF(cases); i++) {
		struct addr_list *l = (struct addr_list *)&l;
		struct fail f = { 0 };
		enum resolve_status s = resolve_host(r, cases[i].host, cases[i].family, 25, &l, &f);

		ck_assert_msg(s == cases[i].want, "%s: status %d (%s), want %d", cases[i].host, s,
			      f.text, cases[i].want);
		ck_assert_ptr_null(l);
		ck_assert_int_eq(f.cls, cases[i].cls);
		ck_contains(f.text, cases[i].text);
		ck_contains(f.text, srv->servers);
	}
	/* The v6only name does have an IPv6 address. */
	{
		struct addr_list *l = NULL;
		struct fail f = { 0 };

		ck_assert_int_eq(resolve_host(r, "v6only.test", AF_UNSPEC, 1, &l, &f), RESOLVE_OK);
		ck_assert_uint_eq(l->n, 1);
		ck_assert_str_eq(fmt(&l->addr[0], true), "[2001:db8::6]:1");
		addr_list_free(l);
	}
	resolver_free(r);
}
END_TEST

/* IP literals and localhost (from /etc/hosts) send no query at all. */
START_TEST(test_host_no_dns)
{
	static const struct {
		const char *host;
		int family;
		const char *want;
	} cases[] = {
		{ "127.0.0.1", AF_UNSPEC, "127.0.0.1:8080" },
		{ "127.0.0.1", AF_INET, "127.0.0.1:8080" },
		{ "192.0.2.55", AF_UNSPEC, "192.0.2.55:8080" },
		{ "::1", AF_UNSPEC, "[::1]:8080" },
		{ "::1", AF_INET6, "[::1]:8080" },
		{ "2001:db8::7", AF_INET6, "[2001:db8::7]:8080" },
		{ "::ffff:192.0.2.1", AF_UNSPEC, "[::ffff:192.0.2.1]:8080" },
		{ "fe80::1%lo", AF_INET6, "[fe80::1]:8080" },
		{ "localhost", AF_INET, "127.0.0.1:8080" },
		{ "localhost", AF_UNSPEC, "127.0.0.1:8080" },
	};
	struct deadline d;
	struct resolver *r;

	deadline_start(&d, BUDGET_MS);
	r = new_resolver(srv->servers, &d, false);
	for (size_t i = 0; i < N_OF(cases); i++) {
		struct addr_list *l = NULL;
		struct fail f = { 0 };

		ck_assert_msg(resolve_host(r, cases[i].host, cases[i].family, 8080, &l, &f) ==
				      RESOLVE_OK,
			      "%s: %s", cases[i].host, f.text);
		ck_assert_uint_ge(l->n, 1);
		ck_assert_str_eq(fmt(&l->addr[0], true), cases[i].want);
		if (strchr(cases[i].host, '%') != NULL)
			ck_assert_uint_eq(((struct sockaddr_in6 *)&l->addr[0])->sin6_scope_id,
					  if_nametoindex("lo"));
		addr_list_free(l);
		ck_assert_msg(queries(srv) == 0, "%s went to DNS", cases[i].host);
	}
	/* No name at all is an error, not a question about the root. */
	{
		struct addr_list *l = NULL;
		struct fail f = { 0 };

		ck_assert_int_eq(resolve_host(r, "", AF_UNSPEC, 1, &l, &f), RESOLVE_ERROR);
		ck_assert_ptr_null(l);
		ck_assert_str_eq(f.text, "no host name given");
		ck_assert_int_eq(queries(srv), 0);
	}
	ck_assert(!deadline_expired(&d));
	resolver_free(r);
}
END_TEST

/* An IP literal of the other family is not an address of that family: it
 * fails at once instead of being sent to DNS as a name. */
START_TEST(test_host_literal_wrong_family)
{
	static const struct {
		const char *host;
		int family;
	} cases[] = {
		{ "127.0.0.1", AF_INET6 },
		{ "::1", AF_INET },
	};
	struct deadline d;
	struct resolver *r;

	deadline_start(&d, BUDGET_MS);
	r = new_resolver(srv->servers, &d, false);
	for (size_t i = 0; i < N_OF(cases); i++) {
		struct addr_list *l = NULL;
		struct fail f = { 0 };

		ck_assert_int_eq(resolve_host(r, cases[i].host, cases[i].family, 1, &l, &f),
				 RESOLVE_NODATA);
		ck_assert_ptr_null(l);
		ck_assert_int_eq(f.cls, FAIL_DNS);
		ck_contains(f.text, cases[i].host);
		ck_contains(f.text, cases[i].family == AF_INET ? "IPv4" : "IPv6");
	}
	ck_assert_int_eq(queries(srv), 0);
	resolver_free(r);
}
END_TEST

START_TEST(test_query_records)
{
	struct deadline d;
	struct resolver *r;
	struct dns_reply *rep = NULL;
	struct fail f = { 0 };
	struct mx_record *mx;
	char **names;
	size_t n;

	deadline_start(&d, BUDGET_MS);
	r = new_resolver(srv->servers, &d, false);

	ck_assert_int_eq(resolve_query(r, "mx.test", DNS_TYPE_MX, &rep, &f), RESOLVE_OK);
	ck_assert_ptr_nonnull(rep);
	ck_assert(rep->hdr.qr && rep->hdr.rd && rep->hdr.ra);
	ck_assert(!rep->hdr.aa && !rep->hdr.ad && !rep->hdr.tc);
	ck_assert_uint_eq(rep->hdr.rcode, 0);
	ck_assert_uint_eq(rep->hdr.ancount, 3);
	ck_assert(rep->has_ttl);
	ck_assert_uint_eq(rep->min_ttl, 300);
	ck_assert(rep->seconds >= 0 && rep->seconds < 3);
	ck_assert_int_eq(dns_reply_mx(rep, &mx, &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(mx[0].preference, 10);
	ck_assert_str_eq(mx[0].host, "mx1.mx.test");
	ck_assert_uint_eq(mx[1].preference, 20);
	ck_assert_str_eq(mx[1].host, "mx2.mx.test");
	ck_assert_uint_eq(mx[2].preference, 30);
	ck_assert_str_eq(mx[2].host, "backup.example.net");
	mx_records_free(mx, n);
	dns_reply_free(rep);

	ck_assert_int_eq(resolve_query(r, "nullmx.test", DNS_TYPE_MX, &rep, &f), RESOLVE_OK);
	ck_assert_int_eq(dns_reply_mx(rep, &mx, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(mx[0].preference, 0);
	ck_assert_str_eq(mx[0].host, "");
	ck_assert_uint_eq(rep->min_ttl, 100);
	mx_records_free(mx, n);
	dns_reply_free(rep);

	ck_assert_int_eq(resolve_query(r, "ns.test", DNS_TYPE_NS, &rep, &f), RESOLVE_OK);
	ck_assert_int_eq(dns_reply_names(rep, DNS_TYPE_NS, &names, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(names[0], "ns1.ns.test");
	ck_assert_str_eq(names[1], "ns2.example.net");
	ck_assert_uint_eq(rep->min_ttl, 7200);
	names_free(names, n);
	dns_reply_free(rep);

	ck_assert_int_eq(resolve_query(r, "4.3.2.1.in-addr.arpa", DNS_TYPE_PTR, &rep, &f),
			 RESOLVE_OK);
	ck_assert_int_eq(dns_reply_names(rep, DNS_TYPE_PTR, &names, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(names[0], "host.ptr.test");
	ck_assert_uint_eq(rep->min_ttl, 900);
	names_free(names, n);
	dns_reply_free(rep);

	ck_assert_int_eq(resolve_query(r, "hosts.test", DNS_TYPE_A, &rep, &f), RESOLVE_OK);
	ck_assert_uint_eq(rep->hdr.ancount, 3);
	ck_assert_uint_eq(rep->min_ttl, 60);
	dns_reply_free(rep);
	ck_assert_int_eq(resolve_query(r, "hosts.test", DNS_TYPE_AAAA, &rep, &f), RESOLVE_OK);
	ck_assert_uint_eq(rep->hdr.ancount, 2);
	ck_assert_uint_eq(rep->min_ttl, 90);
	dns_reply_free(rep);

	/* AA and AD as the server set them. */
	ck_assert_int_eq(resolve_query(r, "secure.test", DNS_TYPE_A, &rep, &f), RESOLVE_OK);
	ck_assert(rep->hdr.aa && rep->hdr.ad && !rep->hdr.tc);
	ck_assert_uint_eq(rep->min_ttl, 30);
	dns_reply_free(rep);

	ck_assert_int_eq(queries(srv), 7);
	ck_assert_int_eq(srv->stats->last_rd, 1);
	resolver_free(r);
}
END_TEST

START_TEST(test_query_errors)
{
	static const struct {
		const char *name;
		int type;
		enum resolve_status want;
		bool reply;    /* a reply comes with the status */
		unsigned rcode;
		const char *text;
	} cases[] = {
		{ "nx.test", DNS_TYPE_MX, RESOLVE_NXDOMAIN, true, 3,
		  "nx.test: no such domain (NXDOMAIN from " },
		{ "unknown.test", DNS_TYPE_A, RESOLVE_NXDOMAIN, true, 3,
		  "unknown.test: no such domain (NXDOMAIN from " },
		{ "nodata.test", DNS_TYPE_MX, RESOLVE_NODATA, true, 0,
		  "nodata.test: the name has no records of that type (asked " },
		{ "mx.test", DNS_TYPE_A, RESOLVE_NODATA, true, 0, "mx.test: " },
		{ "servfail.test", DNS_TYPE_MX, RESOLVE_SERVFAIL, true, 2,
		  "servfail.test: server failure (SERVFAIL from " },
		{ "refused.test", DNS_TYPE_NS, RESOLVE_REFUSED, true, 5,
		  "refused.test: query refused (REFUSED from " },
		{ "formerr.test", DNS_TYPE_MX, RESOLVE_ERROR, true, 1,
		  "formerr.test: the server rejected the query as malformed (FORMERR from " },
		{ "bad.test", DNS_TYPE_MX, RESOLVE_ERROR, false, 0,
		  "bad.test: malformed reply from " },
	};
	struct deadline d;
	struct resolver *r;

	deadline_start(&d, BUDGET_MS);
	r = new_resolver(srv->servers, &d, false);
	for (size_t i = 0; i < N_OF(cases); i++) {
		struct dns_reply *rep = (struct dns_reply *)&rep;
		struct fail f = { 0 };
		enum resolve_status s = resolve_query(r, cases[i].name, cases[i].type, &rep, &f);

		ck_assert_msg(s == cases[i].want, "%s: status %d (%s), want %d", cases[i].name, s,
			      f.text, cases[i].want);
		ck_assert_int_eq(f.cls, FAIL_DNS);
		ck_contains(f.text, cases[i].text);
		ck_contains(f.text, srv->servers);
		if (cases[i].reply) {
			ck_assert_msg(rep != NULL, "%s: no reply", cases[i].name);
			ck_assert_uint_eq(rep->hdr.rcode, cases[i].rcode);
			ck_assert_uint_eq(rep->hdr.ancount, 0);
			ck_assert(rep->hdr.qr);
			ck_assert(!rep->has_ttl);
			dns_reply_free(rep);
		} else {
			ck_assert_ptr_null(rep);
		}
	}
	resolver_free(r);
}
END_TEST

/* A name that is not a name never reaches the server. */
START_TEST(test_query_bad_name)
{
	char longlabel[80];
	struct deadline d;
	struct resolver *r;
	struct dns_reply *rep;
	struct fail f = { 0 };

	memset(longlabel, 'a', 64);
	strcpy(longlabel + 64, ".test");
	deadline_start(&d, BUDGET_MS);
	r = new_resolver(srv->servers, &d, false);
	ck_assert_int_eq(resolve_query(r, longlabel, DNS_TYPE_MX, &rep, &f), RESOLVE_ERROR);
	ck_assert_ptr_null(rep);
	ck_assert_int_eq(f.cls, FAIL_DNS);
	ck_contains(f.text, longlabel);
	ck_contains(f.text, "not a valid domain name");
	ck_assert_int_eq(queries(srv), 0);
	ck_assert(!deadline_expired(&d));
	resolver_free(r);
}
END_TEST

/* A server that never answers: the lookup ends at the deadline, not later. */
START_TEST(test_timeout)
{
	const int64_t budgets_ms[] = { UNIT_DEADLINE_MS, 50, 0 };
	int64_t slack = UNIT_SLACK_MS * MS;

	for (size_t i = 0; i < N_OF(budgets_ms); i++) {
		struct deadline d;
		struct resolver *r;
		struct dns_reply *rep = (struct dns_reply *)&rep;
		struct addr_list *l = (struct addr_list *)&l;
		struct fail f = { 0 };
		char want[64];
		int64_t done;

		deadline_start(&d, budgets_ms[i]);
		r = new_resolver(srv->servers, &d, false);
		ck_assert_int_eq(resolve_query(r, "silent.test", DNS_TYPE_MX, &rep, &f),
				 RESOLVE_TIMEOUT);
		done = mono_now_ns();
		ck_assert_ptr_null(rep);
		ck_assert_int_ge(done, d.end_ns);
		ck_assert_msg(done - d.end_ns <= slack, "%lld ms late",
			      (long long)((done - d.end_ns) / MS));
		ck_assert_int_eq(f.cls, FAIL_TIMEOUT);
		snprintf(want, sizeof(want), "timed out after %g s", (double)budgets_ms[i] / 1000);
		ck_contains(f.text, "silent.test");
		ck_contains(f.text, srv->servers);
		ck_contains(f.text, want);

		/* The same channel, the same spent deadline: at once. */
		memset(&f, 0, sizeof(f));
		ck_assert_int_eq(resolve_host(r, "silent.test", AF_UNSPEC, 25, &l, &f),
				 RESOLVE_TIMEOUT);
		ck_assert_ptr_null(l);
		ck_assert_int_le(mono_now_ns() - done, slack);
		ck_assert_int_eq(f.cls, FAIL_TIMEOUT);
		ck_contains(f.text, "silent.test");
		ck_contains(f.text, want);
		resolver_free(r);
	}

	/* resolve_host alone, on a fresh deadline. */
	{
		struct deadline d;
		struct resolver *r;
		struct addr_list *l;
		struct fail f = { 0 };
		int64_t done;

		char want[64];

		deadline_start(&d, UNIT_DEADLINE_MS);
		r = new_resolver(srv->servers, &d, false);
		ck_assert_int_eq(resolve_host(r, "silent.test", AF_INET, 25, &l, &f),
				 RESOLVE_TIMEOUT);
		done = mono_now_ns();
		ck_assert_int_ge(done, d.end_ns);
		ck_assert_int_le(done - d.end_ns, slack);
		ck_contains(f.text, "silent.test: no answer from ");
		snprintf(want, sizeof(want), "timed out after %g s", (double)UNIT_DEADLINE_MS / 1000);
		ck_contains(f.text, want);
		resolver_free(r);
	}
}
END_TEST

/* An answer to another question is not an answer: c-ares drops it, and
 * the lookup runs into the deadline. */
START_TEST(test_wrong_question)
{
	struct deadline d;
	struct resolver *r;
	struct dns_reply *rep;
	struct fail f = { 0 };

	deadline_start(&d, UNIT_DEADLINE_MS);
	r = new_resolver(srv->servers, &d, false);
	ck_assert_int_eq(resolve_query(r, "wrongq.test", DNS_TYPE_A, &rep, &f), RESOLVE_TIMEOUT);
	ck_assert_ptr_null(rep);
	ck_assert_int_ge(queries(srv), 1);
	resolver_free(r);
}
END_TEST

/* A truncated UDP answer: c-ares asks again over TCP and gets all of it. */
START_TEST(test_truncated_then_tcp)
{
	struct deadline d;
	struct resolver *r;
	struct dns_reply *rep;
	struct fail f = { 0 };
	struct mx_record *mx;
	size_t n;

	deadline_start(&d, BUDGET_MS);
	r = new_resolver(srv->servers, &d, false);
	ck_assert_int_eq(resolve_query(r, "big.test", DNS_TYPE_MX, &rep, &f), RESOLVE_OK);
	ck_assert(!rep->hdr.tc);
	ck_assert_uint_eq(rep->hdr.ancount, 40);
	ck_assert_uint_gt(rep->len, 512);
	ck_assert_uint_eq(rep->min_ttl, 1000);
	ck_assert_int_eq(dns_reply_mx(rep, &mx, &n), 0);
	ck_assert_uint_eq(n, 40);
	for (size_t i = 0; i < n; i++) {
		char want[32];

		snprintf(want, sizeof(want), "mx%02zu.big.test", i);
		ck_assert_uint_eq(mx[i].preference, i);
		ck_assert_str_eq(mx[i].host, want);
	}
	mx_records_free(mx, n);
	dns_reply_free(rep);
	ck_assert_int_eq(srv->stats->udp, 1);
	ck_assert_int_eq(srv->stats->tcp, 1);
	resolver_free(r);
}
END_TEST

/* dns_reply.tcp and .server: who answered, and how. */
START_TEST(test_reply_transport)
{
	struct deadline d;
	struct resolver *r;
	struct dns_reply *rep;
	struct fail f = { 0 };

	deadline_start(&d, BUDGET_MS);
	r = new_resolver(srv->servers, &d, false);
	ck_assert_int_eq(resolve_query(r, "mx.test", DNS_TYPE_MX, &rep, &f), RESOLVE_OK);
	ck_assert(!rep->tcp);
	ck_assert_str_eq(rep->server, srv->servers);
	dns_reply_free(rep);
	ck_assert_int_eq(resolve_query(r, "big.test", DNS_TYPE_MX, &rep, &f), RESOLVE_OK);
	ck_assert(rep->tcp); /* after the truncated UDP answer */
	ck_assert_str_eq(rep->server, srv->servers);
	dns_reply_free(rep);
	resolver_free(r);
	r = new_resolver(srv->servers, &d, true);
	ck_assert_int_eq(resolve_query(r, "mx.test", DNS_TYPE_MX, &rep, &f), RESOLVE_OK);
	ck_assert(rep->tcp);
	dns_reply_free(rep);
	resolver_free(r);
}
END_TEST

/* resolver_params.ad_bit: the query carries AD; statuses as without it. */
START_TEST(test_ad_bit)
{
	struct deadline d;
	struct resolver_params p = { .deadline = &d, .servers = srv->servers, .ad_bit = true };
	struct resolver *r;
	struct dns_reply *rep;
	struct fail f = { 0 };

	deadline_start(&d, BUDGET_MS);
	r = resolver_new(&p, &f);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(resolve_query(r, "secure.test", DNS_TYPE_A, &rep, &f), RESOLVE_OK);
	ck_assert(rep->hdr.ad && rep->hdr.rd);
	ck_assert_int_eq(srv->stats->last_ad, 1);
	ck_assert_int_eq(srv->stats->last_rd, 1);
	dns_reply_free(rep);
	ck_assert_int_eq(resolve_query(r, "nx.test", DNS_TYPE_MX, &rep, &f), RESOLVE_NXDOMAIN);
	ck_assert_ptr_nonnull(rep);
	ck_assert_uint_eq(rep->hdr.rcode, 3);
	dns_reply_free(rep);
	ck_assert_int_eq(resolve_query(r, "mx.test", DNS_TYPE_PTR, &rep, &f), RESOLVE_NODATA);
	dns_reply_free(rep);
	resolver_free(r);
	/* Without it, no AD bit in the query. */
	r = new_resolver(srv->servers, &d, false);
	ck_assert_int_eq(resolve_query(r, "secure.test", DNS_TYPE_A, &rep, &f), RESOLVE_OK);
	ck_assert_int_eq(srv->stats->last_ad, 0);
	dns_reply_free(rep);
	resolver_free(r);
}
END_TEST

/* resolver_params.tcp: nothing goes over UDP; several queries share the
 * connection. */
START_TEST(test_tcp_only)
{
	struct deadline d;
	struct resolver *r;
	struct dns_reply *rep;
	struct addr_list *l;
	struct fail f = { 0 };

	deadline_start(&d, BUDGET_MS);
	r = new_resolver(srv->servers, &d, true);
	ck_assert_int_eq(resolve_query(r, "mx.test", DNS_TYPE_MX, &rep, &f), RESOLVE_OK);
	ck_assert_uint_eq(rep->hdr.ancount, 3);
	dns_reply_free(rep);
	ck_assert_int_eq(resolve_host(r, "hosts.test", AF_UNSPEC, 25, &l, &f), RESOLVE_OK);
	ck_assert_uint_eq(l->n, 5);
	addr_list_free(l);
	ck_assert_int_eq(resolve_query(r, "nx.test", DNS_TYPE_MX, &rep, &f), RESOLVE_NXDOMAIN);
	ck_assert_uint_eq(rep->hdr.rcode, 3);
	dns_reply_free(rep);
	ck_assert_int_eq(srv->stats->udp, 0);
	ck_assert_int_eq(srv->stats->tcp, 4);
	resolver_free(r);
}
END_TEST

START_TEST(test_no_recursion)
{
	struct deadline d;
	struct resolver_params p = { .deadline = &d, .servers = srv->servers };
	struct resolver *r;
	struct dns_reply *rep;
	struct fail f = { 0 };

	deadline_start(&d, BUDGET_MS);
	p.no_recursion = true;
	r = resolver_new(&p, &f);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(resolve_query(r, "mx.test", DNS_TYPE_MX, &rep, &f), RESOLVE_OK);
	ck_assert(!rep->hdr.rd);
	ck_assert_int_eq(srv->stats->last_rd, 0);
	dns_reply_free(rep);
	resolver_free(r);
}
END_TEST

/* Two servers: the first never answers, the second does; the answer
 * arrives before the deadline.  Each lookup first waits out c-ares' try
 * timeout on the silent server, a quarter of the budget by resolve.c's
 * design; so that these waits do not add up, each lookup gets a budget of
 * its own, and three quarters of it (1.5 s) to spare. */
#define SECOND_SERVER_BUDGET_MS 2000

START_TEST(test_second_server)
{
	struct deadline d;
	struct resolver *r;
	struct dns_reply *rep;
	struct fail f = { 0 };
	struct addr_list *l;
	char list[128], want[200];
	int mute = bind_loopback(AF_INET, SOCK_DGRAM, 0);

	ck_assert_int_ge(mute, 0);
	snprintf(list, sizeof(list), "127.0.0.1:%d,%s", local_port(mute), srv->servers);
	deadline_start(&d, SECOND_SERVER_BUDGET_MS);
	r = new_resolver(list, &d, false);
	ck_assert_int_eq(resolve_query(r, "mx.test", DNS_TYPE_MX, &rep, &f), RESOLVE_OK);
	ck_assert_uint_eq(rep->hdr.ancount, 3);
	ck_assert(!deadline_expired(&d));
	dns_reply_free(rep);
	/* The message names the server that answered, not the list. */
	deadline_start(&d, SECOND_SERVER_BUDGET_MS);
	ck_assert_int_eq(resolve_query(r, "nx.test", DNS_TYPE_MX, &rep, &f), RESOLVE_NXDOMAIN);
	snprintf(want, sizeof(want), "nx.test: no such domain (NXDOMAIN from %s)", srv->servers);
	ck_assert_str_eq(f.text, want);
	ck_assert(!deadline_expired(&d));
	dns_reply_free(rep);
	deadline_start(&d, SECOND_SERVER_BUDGET_MS);
	ck_assert_int_eq(resolve_host(r, "refused.test", AF_INET, 25, &l, &f), RESOLVE_REFUSED);
	snprintf(want, sizeof(want), "refused.test: query refused (REFUSED from %s)", srv->servers);
	ck_assert_str_eq(f.text, want);
	ck_assert(!deadline_expired(&d));
	resolver_free(r);

	/* Nobody answers: the message lists every server asked. */
	deadline_start(&d, MESSAGE_ONLY_MS);
	r = new_resolver(list, &d, false);
	ck_assert_int_eq(resolve_query(r, "silent.test", DNS_TYPE_MX, &rep, &f), RESOLVE_TIMEOUT);
	snprintf(want, sizeof(want), "silent.test: no answer from 127.0.0.1:%d, %s, timed out after %g s",
		 local_port(mute), srv->servers, (double)MESSAGE_ONLY_MS / 1000);
	ck_assert_str_eq(f.text, want);
	resolver_free(r);
	close(mute);
}
END_TEST

/* A port where nobody listens: refused at once, over UDP and TCP, long
 * before the deadline. */
START_TEST(test_connection_refused)
{
	int fd = bind_loopback(AF_INET, SOCK_DGRAM, 0);
	char list[32], want[96];
	int port;

	ck_assert_int_ge(fd, 0);
	port = local_port(fd);
	close(fd);
	snprintf(list, sizeof(list), "127.0.0.1:%d", port);
	for (int pass = 0; pass < 2; pass++) {
		struct deadline d;
		struct resolver *r;
		struct dns_reply *rep;
		struct fail f = { 0 };

		deadline_start(&d, BUDGET_MS);
		r = new_resolver(list, &d, pass == 1);
		ck_assert_int_eq(resolve_query(r, "mx.test", DNS_TYPE_MX, &rep, &f), RESOLVE_ERROR);
		ck_assert_ptr_null(rep);
		snprintf(want, sizeof(want), "mx.test: connection refused by %s", list);
		ck_assert_str_eq(f.text, want);
		ck_assert_int_eq(f.cls, FAIL_DNS);
		ck_assert_int_gt(deadline_left_ms(&d), BUDGET_MS / 2);
		resolver_free(r);
	}
}
END_TEST

/* ---- an IPv6 server on ::1 --------------------------------------------- */

START_TEST(test_ipv6_server)
{
	struct dnsserver *s6;
	struct deadline d;
	struct resolver *r;
	struct dns_reply *rep;
	struct addr_list *l;
	struct fail f = { 0 };
	char want[160];
	bool tcp;

	n_started = 0;
	{
		int probe = bind_loopback(AF_INET6, SOCK_DGRAM, 0);

		if (probe < 0) {
			fprintf(stderr, "resolve: SKIP test_ipv6_server: cannot bind [::1]: %s\n",
				strerror(errno));
			return;
		}
		close(probe);
	}
	s6 = dnsserver_start(AF_INET6);
	ck_assert(strncmp(s6->servers, "[::1]:", 6) == 0);
	for (int pass = 0; pass < 2; pass++) {
		tcp = pass == 1;
		deadline_start(&d, BUDGET_MS);
		r = new_resolver(s6->servers, &d, tcp);
		ck_assert_str_eq(resolver_servers(r), s6->servers);

		ck_assert_int_eq(resolve_query(r, "mx.test", DNS_TYPE_MX, &rep, &f), RESOLVE_OK);
		ck_assert_uint_eq(rep->hdr.ancount, 3);
		dns_reply_free(rep);

		ck_assert_int_eq(resolve_query(r, "nx.test", DNS_TYPE_MX, &rep, &f),
				 RESOLVE_NXDOMAIN);
		snprintf(want, sizeof(want), "nx.test: no such domain (NXDOMAIN from %s)",
			 s6->servers);
		ck_assert_str_eq(f.text, want);
		dns_reply_free(rep);

		ck_assert_int_eq(resolve_host(r, "hosts.test", AF_INET6, 443, &l, &f), RESOLVE_OK);
		ck_assert_uint_eq(l->n, 2);
		ck_assert_str_eq(fmt(&l->addr[0], true), "[2001:db8::a]:443");
		addr_list_free(l);
		resolver_free(r);
	}
	ck_assert_int_eq(s6->stats->udp, 3);
	ck_assert_int_eq(s6->stats->tcp, 3);

	/* Silent over IPv6 too: the message names the server and the budget. */
	deadline_start(&d, MESSAGE_ONLY_MS);
	r = new_resolver(s6->servers, &d, false);
	ck_assert_int_eq(resolve_query(r, "silent.test", DNS_TYPE_A, &rep, &f), RESOLVE_TIMEOUT);
	snprintf(want, sizeof(want), "silent.test: no answer from %s, timed out after %g s",
		 s6->servers, (double)MESSAGE_ONLY_MS / 1000);
	ck_assert_str_eq(f.text, want);
	resolver_free(r);
}
END_TEST

Suite *resolve_suite(void)
{
	Suite *s = suite_create("resolve");
	TCase *tc = tcase_create("parsers");
	TCase *net = tcase_create("lookups");
	TCase *v6 = tcase_create("ipv6");

	tcase_set_timeout(tc, UNIT_TIMEOUT);
	tcase_add_test(tc, test_addr_format);
	tcase_add_test(tc, test_status_text);
	tcase_add_test(tc, test_header_parse);
	tcase_add_test(tc, test_min_ttl);
	tcase_add_test(tc, test_reply_names);
	tcase_add_test(tc, test_reply_records);
	tcase_add_test(tc, test_servers_family);
	tcase_add_test(tc, test_servers_bad);
	tcase_add_test(tc, test_servers_good);
	suite_add_tcase(s, tc);

	tcase_set_timeout(net, UNIT_TIMEOUT);
	tcase_add_checked_fixture(net, srv_setup, srv_teardown);
	tcase_add_test(net, test_host_families);
	tcase_add_test(net, test_host_errors);
	tcase_add_test(net, test_host_no_dns);
	tcase_add_test(net, test_host_literal_wrong_family);
	tcase_add_test(net, test_query_records);
	tcase_add_test(net, test_query_errors);
	tcase_add_test(net, test_query_bad_name);
	tcase_add_test(net, test_timeout);
	tcase_add_test(net, test_wrong_question);
	tcase_add_test(net, test_truncated_then_tcp);
	tcase_add_test(net, test_tcp_only);
	tcase_add_test(net, test_reply_transport);
	tcase_add_test(net, test_ad_bit);
	tcase_add_test(net, test_no_recursion);
	tcase_add_test(net, test_second_server);
	tcase_add_test(net, test_connection_refused);
	suite_add_tcase(s, net);

	tcase_set_timeout(v6, UNIT_TIMEOUT);
	tcase_add_checked_fixture(v6, NULL, srv_teardown);
	tcase_add_test(v6, test_ipv6_server);
	suite_add_tcase(s, v6);
	return s;
}
