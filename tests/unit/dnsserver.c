/* dnsserver: a DNS server for the resolve and mx suites (see dnsserver.h). */
#include "dnsserver.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "deadline.h"
#include "suites.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))
#define QUERY_MAX 512      /* longest query kept for a held answer */
#define NAME_MAX_DS 256    /* a name as text, as the server reads it */
#define FOLLOW_MAX 10      /* CNAMEs followed in one answer (DZ_FOLLOW) */
#define BIG_COUNT 40       /* MX records of DZ_BIG */
#define TCP_CLIENTS 8

/* What the child tells the test: counters and the log of queries. */
struct shared {
	struct dnsserver_stats st;
	struct {
		char name[NAME_MAX_DS];
		unsigned type;
	} log[DNSSERVER_LOG_MAX];
};

struct dnsserver {
	struct dnsserver *next; /* in the list of running servers */
	pid_t pid;
	int port;
	struct shared *sh;
	char servers[64];
};

static struct dnsserver *running;

/* ---- building answers (in the child) ------------------------------------ */

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

/* A NAME of the zone's data (see struct dz_rr). */
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

/* "\\#HEX": the bytes; false when data is not of that form. */
static bool put_raw(struct msg *m, const char *data)
{
	if (strncmp(data, "\\#", 2) != 0)
		return false;
	for (const char *p = data + 2; p[0] != '\0' && p[1] != '\0'; p += 2) {
		unsigned v;
		unsigned char b;

		while (*p == ' ')
			p++;
		if (sscanf(p, "%2x", &v) != 1)
			break;
		b = (unsigned char)v;
		put(m, &b, 1);
	}
	return true;
}

/* One record; owner NULL is a pointer to the question name. */
static void put_rr(struct msg *m, const char *owner, unsigned type, uint32_t ttl,
		   const char *data)
{
	size_t rdlen_at;

	if (owner == NULL)
		put16(m, 0xc00c);
	else
		put_name(m, owner[0] ? owner : ".");
	put16(m, type);
	put16(m, DNS_CLASS_IN);
	put32(m, ttl);
	rdlen_at = m->len;
	put16(m, 0);
	if (put_raw(m, data)) {
		/* as given */
	} else if (type == DNS_TYPE_A) {
		unsigned char a[4] = { 0 };

		inet_pton(AF_INET, data, a);
		put(m, a, 4);
	} else if (type == DNS_TYPE_AAAA) {
		unsigned char a[16] = { 0 };

		inet_pton(AF_INET6, data, a);
		put(m, a, 16);
	} else if (type == DNS_TYPE_MX) {
		char *end;

		put16(m, (unsigned)strtoul(data, &end, 10));
		put_name(m, *end == ' ' ? end + 1 : end);
	} else {
		put_name(m, data);
	}
	if (!m->full) {
		m->b[rdlen_at] = (unsigned char)((m->len - rdlen_at - 2) >> 8);
		m->b[rdlen_at + 1] = (unsigned char)(m->len - rdlen_at - 2);
	}
}

/* The zone's entry for name: its own, else the first wildcard above it. */
static const struct dz_name *find(const struct dnsserver_params *p, const char *name)
{
	size_t nl = strlen(name);

	for (size_t i = 0; i < p->nzone; i++)
		if (strcasecmp(p->zone[i].name, name) == 0)
			return &p->zone[i];
	for (size_t i = 0; i < p->nzone; i++) {
		const char *w = p->zone[i].name;
		size_t wl = strlen(w);

		if (wl > 2 && w[0] == '*' && w[1] == '.' && nl > wl - 1 &&
		    strcasecmp(name + nl - (wl - 1), w + 1) == 0)
			return &p->zone[i];
	}
	return NULL;
}

/* A NAME of the zone's data as an absolute name ("x@" below qname). */
static void name_of(const char *data, const char *qname, char *out, size_t len)
{
	size_t n = strlen(data);

	if (strcmp(data, ".") == 0)
		snprintf(out, len, "%s", "");
	else if (n > 0 && data[n - 1] == '@')
		snprintf(out, len, "%.*s%s%s", (int)(n - 1), data, n > 1 ? "." : "", qname);
	else
		snprintf(out, len, "%s", data);
}

/* A query as the server reads it. */
struct query {
	char name[NAME_MAX_DS];
	unsigned qtype;
	size_t qend; /* offset just past the question */
};

/* Reads the question of q; false when it is no query we answer. */
static bool parse_query(const unsigned char *q, size_t qlen, struct query *pq)
{
	size_t off = DNS_HEADER_LEN, nl = 0;

	if (qlen < DNS_HEADER_LEN || (q[2] & 0x80) != 0)
		return false;
	while (off < qlen && q[off] != 0) {
		size_t l = q[off];

		if (l > 63 || off + 1 + l >= qlen || nl + l + 1 >= sizeof(pq->name))
			return false;
		if (nl > 0)
			pq->name[nl++] = '.';
		memcpy(pq->name + nl, q + off + 1, l);
		nl += l;
		off += 1 + l;
	}
	pq->name[nl] = '\0';
	if (off + 5 > qlen)
		return false;
	pq->qtype = (unsigned)(q[off + 1] << 8 | q[off + 2]);
	pq->qend = off + 5;
	return true;
}

/* Adds the records of z for qtype (its CNAMEs for any other type) owned by
 * owner (NULL: the question name); returns how many; *cname gets the last
 * CNAME's data, NULL none. */
static unsigned add_records(struct msg *m, const struct dz_name *z, const char *owner,
			    unsigned qtype, bool write, const char **cname)
{
	unsigned an = 0;

	*cname = NULL;
	for (size_t i = 0; i < N_OF(z->rr) && z->rr[i].type != 0; i++) {
		const struct dz_rr *rr = &z->rr[i];

		if (rr->type != qtype && (rr->type != DNS_TYPE_CNAME || qtype == DNS_TYPE_CNAME))
			continue;
		if (rr->type == DNS_TYPE_CNAME && qtype != DNS_TYPE_CNAME)
			*cname = rr->data;
		if (write)
			put_rr(m, owner, rr->type, rr->ttl, rr->data);
		an++;
	}
	return an;
}

/* Builds the answer to q into m; false: do not answer. */
static bool build(const struct dnsserver_params *p, const unsigned char *q,
		  const struct query *pq, bool tcp, struct msg *m)
{
	const struct dz_name *z = find(p, pq->name);
	unsigned rcode = 0, an = 0;
	bool records;

	if (z != NULL && (z->how & DZ_SILENT))
		return false;
	if (z == NULL || (z->how & DZ_NXDOMAIN))
		rcode = 3;
	else if (z->how & DZ_SERVFAIL)
		rcode = 2;
	else if (z->how & DZ_REFUSED)
		rcode = 5;
	else if (z->how & DZ_FORMERR)
		rcode = 1;

	m->len = 0;
	m->full = false;
	put(m, q, 2); /* id */
	put16(m, 0x8000 | (unsigned)(q[2] & 0x79) << 8 | 0x80 |
		      (z != NULL && (z->how & DZ_AA) ? 0x0400 : 0) |
		      (z != NULL && (z->how & DZ_AD) ? 0x0020 : 0) |
		      (z != NULL && (z->how & DZ_TC) && !tcp ? 0x0200 : 0));
	put16(m, 1);
	put16(m, 0); /* ancount, set below */
	put16(m, 0);
	put16(m, 0);
	put(m, q + DNS_HEADER_LEN, pq->qend - DNS_HEADER_LEN);
	if (z != NULL && (z->how & DZ_WRONGQ))
		m->b[DNS_HEADER_LEN + 1] ^= 1; /* "wrongq" becomes "vrongq" */
	records = rcode == 0 && !((z->how & DZ_TC) && !tcp);
	if (records) {
		const char *cname;
		bool write = !(z->how & DZ_BAD);

		an += add_records(m, z, NULL, pq->qtype, write, &cname);
		if (cname != NULL && (z->how & DZ_FOLLOW)) {
			char target[NAME_MAX_DS], next[NAME_MAX_DS];

			name_of(cname, pq->name, target, sizeof(target));
			for (int hop = 0; hop < FOLLOW_MAX; hop++) {
				const struct dz_name *t = find(p, target);

				if (t == NULL || (t->how & DZ_NXDOMAIN)) {
					rcode = 3;
					break;
				}
				an += add_records(m, t, target, pq->qtype, write, &cname);
				if (cname == NULL)
					break;
				name_of(cname, target, next, sizeof(next));
				memcpy(target, next, sizeof(target));
			}
		}
		if ((z->how & DZ_BIG) && pq->qtype == DNS_TYPE_MX) {
			for (unsigned i = 0; i < BIG_COUNT; i++) {
				char data[32];

				snprintf(data, sizeof(data), "%u mx%02u@", i, i);
				if (write)
					put_rr(m, NULL, DNS_TYPE_MX, 1000 + i, data);
				an++;
			}
		}
	}
	m->b[3] = (unsigned char)((m->b[3] & 0xf0) | rcode);
	m->b[6] = (unsigned char)(an >> 8);
	m->b[7] = (unsigned char)an;
	return !m->full;
}

/* ---- serving (the child) ------------------------------------------------ */

/* A UDP answer held back (batch_ms, DZ_A_LAST). */
struct held {
	unsigned char q[QUERY_MAX];
	size_t len;
	struct query pq;
	struct sockaddr_storage from;
	socklen_t fromlen;
	int64_t due_ns; /* DZ_A_LAST: sent by then; 0: at the batch's end */
};

static struct held held[DNSSERVER_HOLD_MAX];
static size_t nheld;

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

static void log_query(struct shared *sh, const struct query *pq, const unsigned char *q,
		      bool tcp)
{
	int i = __atomic_load_n(&sh->st.logged, __ATOMIC_SEQ_CST);

	__atomic_add_fetch(tcp ? &sh->st.tcp : &sh->st.udp, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&sh->st.last_rd, q[2] & 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&sh->st.last_ad, (q[3] & 0x20) != 0, __ATOMIC_SEQ_CST);
	if (i < DNSSERVER_LOG_MAX) {
		memcpy(sh->log[i].name, pq->name, sizeof(sh->log[i].name));
		sh->log[i].type = pq->qtype;
		__atomic_store_n(&sh->st.logged, i + 1, __ATOMIC_SEQ_CST);
	}
}

static void udp_answer(const struct dnsserver_params *p, int udp, const unsigned char *q,
		       const struct query *pq, const struct sockaddr_storage *from,
		       socklen_t fromlen)
{
	struct msg m;

	if (build(p, q, pq, false, &m))
		sendto(udp, m.b, m.len, 0, (const struct sockaddr *)from, fromlen);
}

/* Sends the held answers that are due (all: every one) and drops them. */
static void release(const struct dnsserver_params *p, int udp, bool all, const char *aaaa_name)
{
	size_t k = 0;
	int64_t now = mono_now_ns();

	for (size_t i = 0; i < nheld; i++) {
		struct held *h = &held[i];
		bool go = all || (h->due_ns != 0 && now >= h->due_ns) ||
			  (h->due_ns != 0 && aaaa_name != NULL &&
			   strcasecmp(h->pq.name, aaaa_name) == 0);

		if (go)
			udp_answer(p, udp, h->q, &h->pq, &h->from, h->fromlen);
		else
			held[k++] = *h;
	}
	nheld = k;
}

/* Milliseconds until the next held answer is due, at most max_ms. */
static int hold_wait_ms(const struct dnsserver_params *p, int64_t last_query_ns, int max_ms)
{
	int64_t now = mono_now_ns(), wait = (int64_t)max_ms * NS_PER_MS;

	for (size_t i = 0; i < nheld; i++) {
		int64_t due = held[i].due_ns != 0 ? held[i].due_ns
						  : last_query_ns + (int64_t)p->batch_ms * NS_PER_MS;

		if (due - now < wait)
			wait = due - now;
	}
	return wait <= 0 ? 0 : (int)((wait + NS_PER_MS - 1) / NS_PER_MS);
}

static void on_udp(const struct dnsserver_params *p, int udp, struct shared *sh,
		   int64_t *last_query_ns)
{
	unsigned char q[QUERY_MAX];
	struct sockaddr_storage from;
	socklen_t fl = sizeof(from);
	ssize_t r = recvfrom(udp, q, sizeof(q), 0, (struct sockaddr *)&from, &fl);
	struct query pq;
	const struct dz_name *z;
	bool hold_batch, hold_a;

	if (r <= 0 || !parse_query(q, (size_t)r, &pq))
		return;
	log_query(sh, &pq, q, false);
	*last_query_ns = mono_now_ns();
	z = find(p, pq.name);
	if (z != NULL && (z->how & DZ_SILENT))
		return;
	hold_batch = p->batch_ms > 0;
	hold_a = !hold_batch && z != NULL && (z->how & DZ_A_LAST) && pq.qtype == DNS_TYPE_A;
	if ((hold_batch || hold_a) && nheld < N_OF(held)) {
		struct held *h = &held[nheld++];

		memcpy(h->q, q, (size_t)r);
		h->len = (size_t)r;
		h->pq = pq;
		h->from = from;
		h->fromlen = fl;
		h->due_ns = hold_a ? *last_query_ns + (int64_t)DNSSERVER_A_LAST_MS * NS_PER_MS : 0;
		if ((int)nheld > __atomic_load_n(&sh->st.held_max, __ATOMIC_SEQ_CST))
			__atomic_store_n(&sh->st.held_max, (int)nheld, __ATOMIC_SEQ_CST);
		return;
	}
	udp_answer(p, udp, q, &pq, &from, fl);
	if (pq.qtype == DNS_TYPE_AAAA)
		release(p, udp, false, pq.name);
}

static void on_tcp(const struct dnsserver_params *p, struct tcp_client *c, struct shared *sh)
{
	ssize_t r = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);

	if (r <= 0) {
		close(c->fd);
		c->fd = -1;
		return;
	}
	c->len += (size_t)r;
	while (c->len >= 2) {
		size_t ml = (size_t)(c->buf[0] << 8 | c->buf[1]);
		struct query pq;
		struct msg m;

		if (c->len < 2 + ml)
			break;
		if (parse_query(c->buf + 2, ml, &pq)) {
			log_query(sh, &pq, c->buf + 2, true);
			if (build(p, c->buf + 2, &pq, true, &m)) {
				unsigned char lb[2] = { (unsigned char)(m.len >> 8),
							(unsigned char)m.len };

				send_all(c->fd, lb, 2);
				send_all(c->fd, m.b, m.len);
			}
		}
		memmove(c->buf, c->buf + 2 + ml, c->len - 2 - ml);
		c->len -= 2 + ml;
	}
	if (c->len == sizeof(c->buf)) {
		close(c->fd);
		c->fd = -1;
	}
}

/* The child: answers until it is killed, its parent is gone, or
 * DNSSERVER_MAX_LIFE_S passed. */
static void __attribute__((noreturn))
serve(const struct dnsserver_params *p, int udp, int lsn, struct shared *sh, pid_t parent)
{
	struct tcp_client cl[TCP_CLIENTS];
	long maxfd = sysconf(_SC_OPEN_MAX);
	int64_t last_query_ns = 0;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	signal(SIGALRM, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
	alarm(DNSSERVER_MAX_LIFE_S);
	/* Hold no other descriptors of the test (its resolvers' sockets). */
	if (maxfd < 0 || maxfd > 1024)
		maxfd = 1024;
	for (int i = 3; i < maxfd; i++)
		if (i != udp && i != lsn)
			close(i);
	for (size_t i = 0; i < N_OF(cl); i++)
		cl[i].fd = -1;
	while (getppid() == parent) {
		struct pollfd pfd[2 + N_OF(cl)];
		size_t who[N_OF(cl)];
		nfds_t n = 2;
		int rc;

		pfd[0] = (struct pollfd){ .fd = udp, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = lsn, .events = POLLIN };
		for (size_t i = 0; i < N_OF(cl); i++)
			if (cl[i].fd >= 0) {
				who[n - 2] = i;
				pfd[n++] = (struct pollfd){ .fd = cl[i].fd, .events = POLLIN };
			}
		rc = poll(pfd, n, hold_wait_ms(p, last_query_ns, 1000));
		if (rc > 0 && (pfd[0].revents & POLLIN))
			on_udp(p, udp, sh, &last_query_ns);
		if (rc > 0 && (pfd[1].revents & POLLIN)) {
			int fd = accept(lsn, NULL, NULL);
			size_t i = 0;

			while (i < N_OF(cl) && cl[i].fd >= 0)
				i++;
			if (fd >= 0 && i < N_OF(cl))
				cl[i] = (struct tcp_client){ .fd = fd, .len = 0 };
			else if (fd >= 0)
				close(fd);
		}
		for (nfds_t k = 2; rc > 0 && k < n; k++)
			if (pfd[k].revents & (POLLIN | POLLHUP | POLLERR))
				on_tcp(p, &cl[who[k - 2]], sh);
		/* A batch ends when no query came for batch_ms. */
		if (nheld > 0)
			release(p, udp,
				p->batch_ms > 0 &&
					mono_now_ns() - last_query_ns >=
						(int64_t)p->batch_ms * NS_PER_MS,
				NULL);
	}
	_exit(0);
}

/* ---- the test's side ---------------------------------------------------- */

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

struct dnsserver *dnsserver_start(const struct dnsserver_params *p)
{
	struct dnsserver *s;
	int udp = -1, lsn = -1, port = 0;
	pid_t parent = getpid();

	ck_assert(p->family == AF_INET || p->family == AF_INET6);
	for (int i = 0; i < 20 && lsn < 0; i++) {
		if (udp >= 0)
			close(udp);
		udp = bind_loopback(p->family, SOCK_DGRAM, 0);
		if (udp < 0) {
			ck_assert_msg(p->family == AF_INET6, "cannot bind 127.0.0.1: %s",
				      strerror(errno));
			return NULL;
		}
		port = local_port(udp);
		lsn = bind_loopback(p->family, SOCK_STREAM, port);
	}
	ck_assert_int_ge(lsn, 0);
	s = calloc(1, sizeof(*s));
	ck_assert_ptr_nonnull(s);
	s->port = port;
	s->sh = mmap(NULL, sizeof(*s->sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		     -1, 0);
	ck_assert(s->sh != MAP_FAILED);
	memset(s->sh, 0, sizeof(*s->sh));
	snprintf(s->servers, sizeof(s->servers),
		 p->family == AF_INET ? "127.0.0.1:%d" : "[::1]:%d", port);
	fflush(NULL);
	s->pid = fork();
	/* The child first: under CK_FORK=no it shares Check's message file
	 * with the test, and any ck_assert it ran (even one that holds) would
	 * write into the test's messages ("Bad message type"). */
	if (s->pid == 0)
		serve(p, udp, lsn, s->sh, parent);
	ck_assert_int_ge(s->pid, 0);
	close(udp);
	close(lsn);
	s->next = running;
	running = s;
	return s;
}

const char *dnsserver_servers(const struct dnsserver *s)
{
	return s->servers;
}

int dnsserver_port(const struct dnsserver *s)
{
	return s->port;
}

struct dnsserver_stats dnsserver_stats(const struct dnsserver *s)
{
	const struct dnsserver_stats *st = &s->sh->st;

	return (struct dnsserver_stats){
		.udp = __atomic_load_n(&st->udp, __ATOMIC_SEQ_CST),
		.tcp = __atomic_load_n(&st->tcp, __ATOMIC_SEQ_CST),
		.last_rd = __atomic_load_n(&st->last_rd, __ATOMIC_SEQ_CST),
		.last_ad = __atomic_load_n(&st->last_ad, __ATOMIC_SEQ_CST),
		.held_max = __atomic_load_n(&st->held_max, __ATOMIC_SEQ_CST),
		.logged = __atomic_load_n(&st->logged, __ATOMIC_SEQ_CST),
	};
}

int dnsserver_queries(const struct dnsserver *s)
{
	struct dnsserver_stats st = dnsserver_stats(s);

	return st.udp + st.tcp;
}

int dnsserver_asked(const struct dnsserver *s, const char *name, unsigned type)
{
	int n = __atomic_load_n(&s->sh->st.logged, __ATOMIC_SEQ_CST), count = 0;

	for (int i = 0; i < n; i++)
		if (strcasecmp(s->sh->log[i].name, name) == 0 &&
		    (type == 0 || s->sh->log[i].type == type))
			count++;
	return count;
}

void dnsserver_stop(struct dnsserver *s)
{
	struct dnsserver **link = &running;

	if (s == NULL)
		return;
	while (*link != NULL && *link != s)
		link = &(*link)->next;
	if (*link == s)
		*link = s->next;
	kill(s->pid, SIGKILL);
	while (waitpid(s->pid, NULL, 0) < 0 && errno == EINTR)
		;
	munmap(s->sh, sizeof(*s->sh));
	free(s);
}

void dnsserver_stop_all(void)
{
	while (running != NULL)
		dnsserver_stop(running);
}

int dnsserver_mute(int family, int *port)
{
	int fd = bind_loopback(family, SOCK_DGRAM, 0);

	if (fd >= 0)
		*port = local_port(fd);
	return fd;
}

int dnsserver_unused_port(int family)
{
	int fd = bind_loopback(family, SOCK_DGRAM, 0), port;

	ck_assert_int_ge(fd, 0);
	port = local_port(fd);
	close(fd);
	return port;
}
