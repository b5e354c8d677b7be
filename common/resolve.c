#include "resolve.h"

#include <arpa/inet.h>
#include <ares.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#define NS_PER_S 1000000000LL

struct resolver {
	ares_channel channel; /* made at the first lookup that needs DNS */
	bool have_channel;
	struct resolver_params params;
	struct ares_addr_port_node nodes[16]; /* the servers asked for */
	size_t nnodes;
	const struct deadline *deadline;
	char servers[512]; /* for messages */
	struct sockaddr_storage last_read; /* peer of the last packet read */
	bool have_last_read;
	bool last_read_tcp; /* the last packet read came over TCP */
	char answered[INET6_ADDRSTRLEN + 10]; /* who answered this lookup, or "" */
	bool answered_tcp; /* ... and it came over TCP */
};

static const char *const status_texts[RESOLVE_LAST] = {
	[RESOLVE_OK] = "ok",
	[RESOLVE_NXDOMAIN] = "no such domain",
	[RESOLVE_NODATA] = "no records of that type",
	[RESOLVE_SERVFAIL] = "server failure",
	[RESOLVE_REFUSED] = "query refused",
	[RESOLVE_TIMEOUT] = "timed out",
	[RESOLVE_ERROR] = "lookup failed",
};

const char *resolve_status_text(enum resolve_status s)
{
	return (unsigned)s < RESOLVE_LAST ? status_texts[s] : "lookup failed";
}

void addr_format(const struct sockaddr *sa, bool with_port, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		port = ntohs(in->sin_port);
		if (with_port)
			snprintf(buf, len, "%s:%u", host, port);
		else
			snprintf(buf, len, "%s", host);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		port = ntohs(in6->sin6_port);
		if (with_port)
			snprintf(buf, len, "[%s]:%u", host, port);
		else
			snprintf(buf, len, "%s", host);
	} else {
		snprintf(buf, len, "(address family %d)", sa->sa_family);
	}
}

/* Parses one "ADDR[:PORT]" / "[ADDR]:PORT" / bare IPv6 server. */
static int server_parse(const char *text, size_t n, struct ares_addr_port_node *node)
{
	char host[INET6_ADDRSTRLEN + 2], *end;
	const char *port = NULL;
	size_t hl;
	long pv;

	memset(node, 0, sizeof(*node));
	if (n > 0 && text[0] == '[') {
		const char *close = memchr(text, ']', n);

		if (close == NULL)
			return -1;
		hl = (size_t)(close - text - 1);
		if (close + 1 < text + n) {
			if (close[1] != ':')
				return -1;
			port = close + 2;
		}
		text++;
	} else {
		const char *colon = memchr(text, ':', n);

		/* One colon: v4:port or name:port; more: a bare IPv6 address. */
		if (colon != NULL && memchr(colon + 1, ':', n - (size_t)(colon - text) - 1) == NULL) {
			hl = (size_t)(colon - text);
			port = colon + 1;
		} else {
			hl = n;
		}
	}
	if (hl == 0 || hl >= sizeof(host))
		return -1;
	memcpy(host, text, hl);
	host[hl] = '\0';
	if (inet_pton(AF_INET, host, &node->addr.addr4) == 1)
		node->family = AF_INET;
	else if (inet_pton(AF_INET6, host, &node->addr.addr6) == 1)
		node->family = AF_INET6;
	else
		return -1;
	pv = 53;
	if (port != NULL) {
		char pbuf[8];
		size_t pl = strcspn(port, ",");

		if (pl == 0 || pl >= sizeof(pbuf))
			return -1;
		memcpy(pbuf, port, pl);
		pbuf[pl] = '\0';
		/* Digits only: strtol alone would take " 53" and "+53". */
		if (strspn(pbuf, "0123456789") != pl)
			return -1;
		pv = strtol(pbuf, &end, 10);
		if (*end != '\0' || pv < 1 || pv > 65535)
			return -1;
	}
	node->udp_port = node->tcp_port = (int)pv;
	return 0;
}

/* Checks and keeps the server list, for the channel made later. */
static int parse_servers(struct resolver *r, const char *list, struct fail *f)
{
	const char *p = list;

	while (*p != '\0') {
		size_t n = strcspn(p, ",");

		if (r->nnodes == sizeof(r->nodes) / sizeof(r->nodes[0])) {
			fail_set(f, FAIL_INTERNAL, "too many DNS servers (at most 16)");
			return -1;
		}
		if (server_parse(p, n, &r->nodes[r->nnodes]) < 0) {
			fail_set(f, FAIL_INTERNAL,
				 "'%.*s' is not a DNS server address (ADDR, ADDR:PORT, [IPv6]:PORT)",
				 (int)n, p);
			return -1;
		}
		if (r->nnodes > 0)
			r->nodes[r->nnodes - 1].next = &r->nodes[r->nnodes];
		r->nnodes++;
		p += n;
		if (*p == ',')
			p++;
	}
	if (r->nnodes == 0) {
		fail_set(f, FAIL_INTERNAL, "no DNS server given");
		return -1;
	}
	return 0;
}

/* Describes a server list for messages. */
static void describe_servers(struct resolver *r, const struct ares_addr_port_node *list)
{
	size_t used = 0;

	r->servers[0] = '\0';
	for (const struct ares_addr_port_node *s = list; s != NULL; s = s->next) {
		struct sockaddr_storage ss = { 0 };
		char one[INET6_ADDRSTRLEN + 10];

		if (s->family == AF_INET) {
			struct sockaddr_in *in = (struct sockaddr_in *)&ss;

			in->sin_family = AF_INET;
			in->sin_addr = s->addr.addr4;
			in->sin_port = htons((uint16_t)(s->udp_port ? s->udp_port : 53));
		} else {
			struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

			in6->sin6_family = AF_INET6;
			memcpy(&in6->sin6_addr, &s->addr.addr6, sizeof(in6->sin6_addr));
			in6->sin6_port = htons((uint16_t)(s->udp_port ? s->udp_port : 53));
		}
		addr_format((struct sockaddr *)&ss, true, one, sizeof(one));
		used += (size_t)snprintf(r->servers + used, sizeof(r->servers) - used, "%s%s",
					 used ? ", " : "", one);
		if (used >= sizeof(r->servers))
			break;
	}
}

/* c-ares' socket calls, with a read noting its peer, so a message can say
 * which server answered.  c-ares configures no socket it did not open
 * itself, so non-blocking mode (and TCP_NODELAY) are set here. */
static ares_socket_t sock_open(int af, int type, int proto, void *u)
{
	int s = socket(af, type | SOCK_NONBLOCK | SOCK_CLOEXEC, proto), one = 1;

	(void)u;
	if (s >= 0 && type == SOCK_STREAM)
		(void)setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return s;
}

static int sock_close(ares_socket_t s, void *u)
{
	(void)u;
	return close(s);
}

static int sock_connect(ares_socket_t s, const struct sockaddr *sa, ares_socklen_t len, void *u)
{
	(void)u;
	return connect(s, sa, len);
}

static ares_ssize_t sock_recvfrom(ares_socket_t s, void *buf, size_t len, int flags,
				  struct sockaddr *from, ares_socklen_t *fromlen, void *u)
{
	struct resolver *r = u;
	ares_ssize_t n = recvfrom(s, buf, len, flags, from, fromlen);

	if (n > 0) {
		socklen_t sl = sizeof(r->last_read);
		int type = 0;
		socklen_t tl = sizeof(type);

		r->have_last_read =
			getpeername(s, (struct sockaddr *)&r->last_read, &sl) == 0;
		r->last_read_tcp = getsockopt(s, SOL_SOCKET, SO_TYPE, &type, &tl) == 0 &&
				   type == SOCK_STREAM;
	}
	return n;
}

static ares_ssize_t sock_sendv(ares_socket_t s, const struct iovec *iov, int n, void *u)
{
	(void)u;
	return writev(s, iov, n);
}

static const struct ares_socket_functions sock_funcs = {
	sock_open, sock_close, sock_connect, sock_recvfrom, sock_sendv,
};

/* Called from a lookup's callback: the packet just read is its answer. */
static void note_answer(struct resolver *r)
{
	if (r->have_last_read) {
		addr_format((const struct sockaddr *)&r->last_read, true, r->answered,
			    sizeof(r->answered));
		r->answered_tcp = r->last_read_tcp;
	}
}

/* Starts a lookup: nobody has answered it yet. */
static void lookup_begin(struct resolver *r)
{
	r->have_last_read = false;
	r->answered[0] = '\0';
	r->answered_tcp = false;
}

/* The server that answered, or all of them. */
static const char *who(const struct resolver *r)
{
	return r->answered[0] ? r->answered : resolver_servers(r);
}

/* Drops the servers not of family (AF_INET, AF_INET6) from the list that
 * starts at *head; AF_UNSPEC keeps all. */
static void keep_family(struct ares_addr_port_node **head, int family)
{
	struct ares_addr_port_node **link = head;

	if (family == AF_UNSPEC)
		return;
	while (*link != NULL) {
		if ((*link)->family != family)
			*link = (*link)->next;
		else
			link = &(*link)->next;
	}
}

/* Makes the c-ares channel, at the first lookup that needs one: a run that
 * only connects to an address literal never reads /etc/resolv.conf. */
static int channel_ready(struct resolver *r, struct fail *f)
{
	static bool library_ready;
	struct ares_options opt = { 0 };
	int mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;
	int64_t budget_ms = (r->deadline->end_ns - r->deadline->start_ns) / 1000000;

	if (r->have_channel)
		return 0;
	if (!library_ready) {
		if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS) {
			fail_set(f, FAIL_INTERNAL, "c-ares failed to initialise");
			return -1;
		}
		library_ready = true;
	}
	/* Retries must fit in the run's budget: a quarter of it per try,
	 * between 200 ms and 2 s, and the deadline ends whatever is left. */
	opt.timeout = (int)(budget_ms / 4 < 200 ? 200 : budget_ms / 4 > 2000 ? 2000 : budget_ms / 4);
	opt.tries = 4;
	/* NOCHECKRESP: c-ares 1.18 otherwise swallows SERVFAIL and REFUSED
	 * answers and ends the query with ECONNREFUSED and no reply; we want
	 * the server's own word (and its header) for the message. */
	opt.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOCHECKRESP |
		    (r->params.tcp ? ARES_FLAG_USEVC : 0) |
		    (r->params.no_recursion ? ARES_FLAG_NORECURSE : 0);
	if (ares_init_options(&r->channel, &opt, mask) != ARES_SUCCESS) {
		fail_set(f, FAIL_INTERNAL, "c-ares failed to start (is /etc/resolv.conf readable?)");
		return -1;
	}
	r->have_channel = true;
	ares_set_socket_functions(r->channel, &sock_funcs, r);
	if (r->nnodes > 0) {
		if (ares_set_servers_ports(r->channel, r->nodes) != ARES_SUCCESS) {
			fail_set(f, FAIL_INTERNAL, "c-ares refused the server list");
			return -1;
		}
	} else {
		struct ares_addr_port_node *list = NULL;

		if (ares_get_servers_ports(r->channel, &list) == ARES_SUCCESS) {
			struct ares_addr_port_node *kept = list;

			if (r->params.family != AF_UNSPEC) {
				keep_family(&kept, r->params.family);
				if (kept == NULL ||
				    ares_set_servers_ports(r->channel, kept) != ARES_SUCCESS) {
					if (kept == NULL)
						fail_set(f, FAIL_INTERNAL, "the system has no %s DNS server",
							 r->params.family == AF_INET ? "IPv4" : "IPv6");
					else
						fail_set(f, FAIL_INTERNAL, "c-ares refused the server list");
					ares_free_data(list);
					/* No channel with the wrong servers for a later lookup. */
					ares_destroy(r->channel);
					r->have_channel = false;
					return -1;
				}
			}
			describe_servers(r, kept);
			ares_free_data(list);
		}
	}
	return 0;
}

struct resolver *resolver_new(const struct resolver_params *p, struct fail *f)
{
	struct resolver *r = calloc(1, sizeof(*r));

	if (r == NULL) {
		fail_set(f, FAIL_INTERNAL, "out of memory");
		return NULL;
	}
	r->params = *p;
	r->params.servers = NULL; /* kept parsed in nodes */
	r->deadline = p->deadline;
	if (p->servers != NULL) {
		struct ares_addr_port_node *head;

		if (parse_servers(r, p->servers, f) < 0) {
			free(r);
			return NULL;
		}
		head = r->nodes;
		keep_family(&head, p->family);
		if (head == NULL) {
			fail_set(f, FAIL_INTERNAL, "no %s server in '%s'",
				 p->family == AF_INET ? "IPv4" : "IPv6", p->servers);
			free(r);
			return NULL;
		}
		if (head != r->nodes) /* nodes[0] heads the list given to c-ares */
			r->nodes[0] = *head;
		describe_servers(r, r->nodes);
	} else {
		snprintf(r->servers, sizeof(r->servers), "the system's resolvers");
	}
	return r;
}

void resolver_free(struct resolver *r)
{
	if (r == NULL)
		return;
	if (r->have_channel)
		ares_destroy(r->channel);
	free(r);
}

const char *resolver_servers(const struct resolver *r)
{
	return r->servers[0] ? r->servers : "no servers";
}

/* Drives the channel until *done or the deadline.  Returns false when the
 * deadline passed first (pending queries are then cancelled, which runs
 * their callbacks with ARES_ECANCELLED). */
static bool run_channel(struct resolver *r, const bool *done)
{
	while (!*done) {
		ares_socket_t socks[ARES_GETSOCK_MAXNUM];
		struct pollfd pfd[ARES_GETSOCK_MAXNUM];
		struct timeval maxtv, tv, *tvp;
		int64_t left = deadline_left_ns(r->deadline), wait_ms;
		/* The bits by hand: ARES_GETSOCK_WRITABLE(bits, 15) shifts a
		 * signed 1 into the sign bit, which is undefined. */
		unsigned bits = (unsigned)ares_getsock(r->channel, socks, ARES_GETSOCK_MAXNUM);
		nfds_t n = 0;

		for (unsigned i = 0; i < ARES_GETSOCK_MAXNUM; i++) {
			short ev = (short)((bits & (1u << i) ? POLLIN : 0) |
					   (bits & (1u << (i + ARES_GETSOCK_MAXNUM)) ? POLLOUT : 0));

			if (ev != 0)
				pfd[n++] = (struct pollfd){ .fd = socks[i], .events = ev };
		}
		maxtv.tv_sec = (time_t)(left / NS_PER_S);
		maxtv.tv_usec = (suseconds_t)((left % NS_PER_S) / 1000);
		tvp = ares_timeout(r->channel, &maxtv, &tv);
		/* Round up, so a timer due in 0.4 ms is not polled for 0 ms
		 * over and over; deadline_poll still stops at the deadline. */
		wait_ms = (int64_t)tvp->tv_sec * 1000 + (tvp->tv_usec + 999) / 1000;
		if (deadline_poll(r->deadline, pfd, n, wait_ms) < 0)
			n = 0;
		if (deadline_expired(r->deadline)) {
			ares_cancel(r->channel);
			return false;
		}
		if (n == 0) {
			ares_process_fd(r->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
			continue;
		}
		for (nfds_t i = 0; i < n; i++) {
			ares_socket_t rfd = ARES_SOCKET_BAD, wfd = ARES_SOCKET_BAD;

			if (pfd[i].revents & (POLLIN | POLLERR | POLLHUP))
				rfd = pfd[i].fd;
			if (pfd[i].revents & POLLOUT)
				wfd = pfd[i].fd;
			if (rfd != ARES_SOCKET_BAD || wfd != ARES_SOCKET_BAD)
				ares_process_fd(r->channel, rfd, wfd);
			else
				ares_process_fd(r->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
		}
	}
	return true;
}

/* Maps a c-ares status to ours, and says why in f. */
static enum resolve_status map_status(struct resolver *r, int status, const char *name,
				      bool timed_out, struct fail *f)
{
	double budget = (double)(r->deadline->end_ns - r->deadline->start_ns) / NS_PER_S;

	if (timed_out || status == ARES_ECANCELLED) {
		fail_set(f, FAIL_TIMEOUT, "%s: no answer from %s, timed out after %g s", name,
			 resolver_servers(r), budget);
		return RESOLVE_TIMEOUT;
	}
	switch (status) {
	case ARES_SUCCESS:
		return RESOLVE_OK;
	case ARES_ENOTFOUND:
		fail_set(f, FAIL_DNS, "%s: no such domain (NXDOMAIN from %s)", name,
			 who(r));
		return RESOLVE_NXDOMAIN;
	case ARES_ENODATA:
		fail_set(f, FAIL_DNS, "%s: the name has no records of that type (asked %s)",
			 name, who(r));
		return RESOLVE_NODATA;
	case ARES_ESERVFAIL:
		fail_set(f, FAIL_DNS, "%s: server failure (SERVFAIL from %s)", name,
			 who(r));
		return RESOLVE_SERVFAIL;
	case ARES_EREFUSED:
		fail_set(f, FAIL_DNS, "%s: query refused (REFUSED from %s)", name,
			 who(r));
		return RESOLVE_REFUSED;
	case ARES_ETIMEOUT:
		fail_set(f, FAIL_TIMEOUT, "%s: no answer from %s after every retry", name,
			 resolver_servers(r));
		return RESOLVE_TIMEOUT;
	case ARES_ECONNREFUSED:
		fail_set(f, FAIL_DNS, "%s: connection refused by %s", name, resolver_servers(r));
		return RESOLVE_ERROR;
	case ARES_EFORMERR:
		/* The server's rcode: it could not parse our query. */
		fail_set(f, FAIL_DNS, "%s: the server rejected the query as malformed (FORMERR from %s)",
			 name, who(r));
		return RESOLVE_ERROR;
	case ARES_EBADRESP:
		fail_set(f, FAIL_DNS, "%s: malformed reply from %s", name, who(r));
		return RESOLVE_ERROR;
	case ARES_EBADNAME:
		fail_set(f, FAIL_DNS, "'%s' is not a valid domain name", name);
		return RESOLVE_ERROR;
	case ARES_ENOMEM:
		fail_set(f, FAIL_INTERNAL, "out of memory");
		return RESOLVE_ERROR;
	default:
		fail_set(f, FAIL_DNS, "%s: %s (asked %s)", name, ares_strerror(status), who(r));
		return RESOLVE_ERROR;
	}
}

struct gai_state {
	struct resolver *r;
	bool done;
	int status;
	struct ares_addrinfo *ai;
};

static void gai_callback(void *arg, int status, int timeouts, struct ares_addrinfo *ai)
{
	struct gai_state *st = arg;

	(void)timeouts;
	st->done = true;
	st->status = status;
	st->ai = ai;
	note_answer(st->r);
}

void addr_list_free(struct addr_list *l)
{
	if (l == NULL)
		return;
	free(l->addr);
	free(l->len);
	free(l);
}

static struct addr_list *addr_list_from(const struct ares_addrinfo *ai, int port)
{
	struct addr_list *l = calloc(1, sizeof(*l));
	size_t n = 0;

	if (l == NULL)
		return NULL;
	for (const struct ares_addrinfo_node *a = ai->nodes; a != NULL; a = a->ai_next)
		n++;
	l->addr = calloc(n ? n : 1, sizeof(*l->addr));
	l->len = calloc(n ? n : 1, sizeof(*l->len));
	if (l->addr == NULL || l->len == NULL) {
		addr_list_free(l);
		return NULL;
	}
	for (const struct ares_addrinfo_node *a = ai->nodes; a != NULL; a = a->ai_next) {
		if ((size_t)a->ai_addrlen > sizeof(l->addr[0]))
			continue;
		memcpy(&l->addr[l->n], a->ai_addr, (size_t)a->ai_addrlen);
		l->len[l->n] = (socklen_t)a->ai_addrlen;
		if (a->ai_family == AF_INET)
			((struct sockaddr_in *)&l->addr[l->n])->sin_port = htons((uint16_t)port);
		else if (a->ai_family == AF_INET6)
			((struct sockaddr_in6 *)&l->addr[l->n])->sin6_port = htons((uint16_t)port);
		else
			continue;
		l->n++;
	}
	return l;
}

/* An IP literal is its own address: c-ares 1.18 sends "127.0.0.1" to DNS as
 * a name unless the family is AF_INET, and gives an IPv4 address for
 * AF_INET6.  Returns -1 when host is not a literal. */
static int literal_host(const char *host, int family, int port, struct addr_list **out,
			struct fail *f, enum resolve_status *s)
{
	struct in_addr a4;
	struct in6_addr a6;
	uint32_t scope = 0;
	int lit;
	struct addr_list *l;

	if (inet_pton(AF_INET, host, &a4) == 1) {
		lit = AF_INET;
	} else if (inet_pton(AF_INET6, host, &a6) == 1) {
		lit = AF_INET6;
	} else if (strchr(host, '%') != NULL) {
		/* fe80::1%eth0: getaddrinfo knows scopes, and with
		 * AI_NUMERICHOST it never looks anything up. */
		struct addrinfo hints = { .ai_family = AF_INET6, .ai_flags = AI_NUMERICHOST };
		struct addrinfo *ai = NULL;

		if (getaddrinfo(host, NULL, &hints, &ai) != 0 || ai == NULL)
			return -1;
		a6 = ((const struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;
		scope = ((const struct sockaddr_in6 *)ai->ai_addr)->sin6_scope_id;
		freeaddrinfo(ai);
		lit = AF_INET6;
	} else {
		return -1;
	}
	if (family != AF_UNSPEC && family != lit) {
		fail_set(f, FAIL_DNS, "%s: no %s address (it is an %s address)", host,
			 family == AF_INET ? "IPv4" : "IPv6", lit == AF_INET ? "IPv4" : "IPv6");
		*s = RESOLVE_NODATA;
		return 0;
	}
	l = calloc(1, sizeof(*l));
	if (l != NULL) {
		l->addr = calloc(1, sizeof(*l->addr));
		l->len = calloc(1, sizeof(*l->len));
	}
	if (l == NULL || l->addr == NULL || l->len == NULL) {
		addr_list_free(l);
		fail_set(f, FAIL_INTERNAL, "out of memory");
		*s = RESOLVE_ERROR;
		return 0;
	}
	if (lit == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&l->addr[0];

		in->sin_family = AF_INET;
		in->sin_addr = a4;
		in->sin_port = htons((uint16_t)port);
		l->len[0] = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&l->addr[0];

		in6->sin6_family = AF_INET6;
		in6->sin6_addr = a6;
		in6->sin6_scope_id = scope;
		in6->sin6_port = htons((uint16_t)port);
		l->len[0] = sizeof(*in6);
	}
	l->n = 1;
	*out = l;
	*s = RESOLVE_OK;
	return 0;
}

enum resolve_status resolve_host(struct resolver *r, const char *host, int family,
				 int port, struct addr_list **out, struct fail *f)
{
	struct ares_addrinfo_hints hints = { .ai_family = family };
	struct gai_state st = { .r = r };
	enum resolve_status s;
	bool in_time;

	*out = NULL;
	if (host[0] == '\0') {
		/* c-ares would ask for the root's A and AAAA records. */
		fail_set(f, FAIL_DNS, "no host name given");
		return RESOLVE_ERROR;
	}
	if (literal_host(host, family, port, out, f, &s) == 0)
		return s;
	if (channel_ready(r, f) < 0)
		return RESOLVE_ERROR;
	lookup_begin(r);
	ares_getaddrinfo(r->channel, host, NULL, &hints, gai_callback, &st);
	in_time = run_channel(r, &st.done);
	s = map_status(r, st.status, host, !in_time, f);
	if (s == RESOLVE_OK) {
		*out = addr_list_from(st.ai, port);
		if (*out == NULL) {
			fail_set(f, FAIL_INTERNAL, "out of memory");
			s = RESOLVE_ERROR;
		} else if ((*out)->n == 0) {
			fail_set(f, FAIL_DNS, "%s: no %saddress", host,
				 family == AF_INET ? "IPv4 " : family == AF_INET6 ? "IPv6 " : "");
			addr_list_free(*out);
			*out = NULL;
			s = RESOLVE_NODATA;
		}
	}
	if (st.ai != NULL)
		ares_freeaddrinfo(st.ai);
	return s;
}

/* ---- DNS messages ---------------------------------------------------- */

static uint16_t get16(const unsigned char *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

int dns_header_parse(const unsigned char *msg, size_t len, struct dns_header *h)
{
	if (len < 12)
		return -1;
	h->id = get16(msg);
	h->qr = msg[2] & 0x80;
	h->opcode = (msg[2] >> 3) & 0x0f;
	h->aa = msg[2] & 0x04;
	h->tc = msg[2] & 0x02;
	h->rd = msg[2] & 0x01;
	h->ra = msg[3] & 0x80;
	h->ad = msg[3] & 0x20;
	h->cd = msg[3] & 0x10;
	h->rcode = msg[3] & 0x0f;
	h->qdcount = get16(msg + 4);
	h->ancount = get16(msg + 6);
	h->nscount = get16(msg + 8);
	h->arcount = get16(msg + 10);
	return 0;
}

/* Offset just past the (possibly compressed) name at off, or 0 when the
 * name is malformed: it runs past the end, uses the 0x40/0x80 label types,
 * has a pointer out of the message or in a loop, or is over 255 bytes.
 * Pointers are followed to check what they point at. */
static size_t skip_name(const unsigned char *msg, size_t len, size_t off)
{
	size_t end = 0, total = 1;
	int hops = 0;

	/* Each turn adds a label (at most 127 fit in 255 bytes) or follows
	 * a pointer (at most 64), so 256 turns always suffice. */
	for (int turn = 0; turn < 256; turn++) {
		if (off >= len)
			return 0;
		if (msg[off] == 0)
			return end != 0 ? end : off + 1;
		if ((msg[off] & 0xc0) == 0xc0) {
			if (off + 2 > len || ++hops > 64)
				return 0;
			if (end == 0)
				end = off + 2;
			off = ((size_t)(msg[off] & 0x3f) << 8) | msg[off + 1];
			continue;
		}
		if ((msg[off] & 0xc0) != 0)
			return 0;
		total += 1 + (size_t)msg[off];
		if (total > 255)
			return 0;
		off += 1 + (size_t)msg[off];
	}
	return 0;
}

/* One resource record of the answer section. */
struct rr {
	size_t owner; /* offset of its owner name */
	uint16_t type;
	uint32_t ttl;
	size_t rdata; /* offset of its data */
	uint16_t rdlen;
};

/* Calls fn for each record of the answer section; -1 when malformed. */
static int each_answer(const unsigned char *msg, size_t len,
		       int (*fn)(const unsigned char *msg, size_t len, const struct rr *rr,
				 void *ctx),
		       void *ctx)
{
	struct dns_header h;
	size_t off = 12;

	if (dns_header_parse(msg, len, &h) < 0)
		return -1;
	for (unsigned i = 0; i < h.qdcount; i++) {
		off = skip_name(msg, len, off);
		if (off == 0 || off + 4 > len)
			return -1;
		off += 4;
	}
	for (unsigned i = 0; i < h.ancount; i++) {
		struct rr rr;

		rr.owner = off;
		off = skip_name(msg, len, off);
		if (off == 0 || off + 10 > len)
			return -1;
		rr.type = get16(msg + off);
		rr.ttl = ((uint32_t)msg[off + 4] << 24) | ((uint32_t)msg[off + 5] << 16) |
			 ((uint32_t)msg[off + 6] << 8) | msg[off + 7];
		rr.rdlen = get16(msg + off + 8);
		rr.rdata = off + 10;
		if (rr.rdata + rr.rdlen > len)
			return -1;
		if (fn != NULL && fn(msg, len, &rr, ctx) < 0)
			return -1;
		off = rr.rdata + rr.rdlen;
	}
	return 0;
}

struct ttl_ctx {
	bool has;
	uint32_t min;
};

static int ttl_fn(const unsigned char *msg, size_t len, const struct rr *rr, void *ctx)
{
	struct ttl_ctx *t = ctx;

	(void)msg;
	(void)len;
	if (!t->has || rr->ttl < t->min)
		t->min = rr->ttl;
	t->has = true;
	return 0;
}

int dns_answer_min_ttl(const unsigned char *msg, size_t len, bool *has_ttl,
		       uint32_t *min_ttl)
{
	struct ttl_ctx t = { false, 0 };

	if (each_answer(msg, len, ttl_fn, &t) < 0)
		return -1;
	*has_ttl = t.has;
	*min_ttl = t.min;
	return 0;
}

struct query_state {
	struct resolver *r;
	bool done;
	int status;
	unsigned char *raw;
	size_t len;
	int64_t answered_ns;
};

static void query_callback(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct query_state *st = arg;

	(void)timeouts;
	st->done = true;
	st->status = status;
	st->answered_ns = mono_now_ns();
	note_answer(st->r);
	if (abuf != NULL && alen > 0) {
		st->raw = malloc((size_t)alen);
		if (st->raw != NULL) {
			memcpy(st->raw, abuf, (size_t)alen);
			st->len = (size_t)alen;
		}
	}
}

void dns_reply_free(struct dns_reply *reply)
{
	if (reply == NULL)
		return;
	free(reply->raw);
	free(reply);
}

enum resolve_status resolve_query(struct resolver *r, const char *name, int type,
				  struct dns_reply **out, struct fail *f)
{
	struct query_state st = { .r = r };
	int64_t t0 = mono_now_ns();
	enum resolve_status s;
	bool in_time;

	*out = NULL;
	if (channel_ready(r, f) < 0)
		return RESOLVE_ERROR;
	lookup_begin(r);
	if (r->params.ad_bit) {
		unsigned char *q = NULL;
		int qlen = 0, rc = ares_create_query(name, DNS_CLASS_IN, type, 0,
						     !r->params.no_recursion, &q, &qlen, 0);

		if (rc != ARES_SUCCESS) {
			s = map_status(r, rc, name, false, f);
			return s == RESOLVE_OK ? RESOLVE_ERROR : s;
		}
		q[3] |= 0x20; /* AD; c-ares gives the query its own id */
		ares_send(r->channel, q, qlen, query_callback, &st);
		ares_free_string(q);
	} else {
		ares_query(r->channel, name, DNS_CLASS_IN, type, query_callback, &st);
	}
	in_time = run_channel(r, &st.done);
	if (r->params.ad_bit && st.status == ARES_SUCCESS && st.raw != NULL && st.len >= 12) {
		/* ares_send leaves the rcode to us; map it as ares_query does. */
		static const int by_rcode[6] = { ARES_SUCCESS, ARES_EFORMERR, ARES_ESERVFAIL,
						 ARES_ENOTFOUND, ARES_ENOTIMP, ARES_EREFUSED };
		unsigned rcode = st.raw[3] & 0x0f;

		st.status = rcode < 6 ? by_rcode[rcode] : ARES_EBADRESP;
		if (rcode == 0 && get16(st.raw + 6) == 0)
			st.status = ARES_ENODATA;
	}
	s = map_status(r, st.status, name, !in_time, f);
	if (st.raw != NULL) {
		struct dns_reply *reply = calloc(1, sizeof(*reply));

		if (reply == NULL || dns_header_parse(st.raw, st.len, &reply->hdr) < 0 ||
		    dns_answer_min_ttl(st.raw, st.len, &reply->has_ttl, &reply->min_ttl) < 0) {
			free(reply);
			free(st.raw);
			if (s == RESOLVE_OK) {
				fail_set(f, FAIL_DNS, "%s: malformed reply from %s", name, who(r));
				s = RESOLVE_ERROR;
			}
			return s;
		}
		reply->raw = st.raw;
		reply->len = st.len;
		reply->seconds = (double)(st.answered_ns - t0) / NS_PER_S;
		reply->tcp = r->answered_tcp;
		snprintf(reply->server, sizeof(reply->server), "%s", r->answered);
		*out = reply;
	}
	return s;
}

struct names_ctx {
	int type;
	char **names;
	unsigned *prefs;
	size_t n, cap;
	bool oom;
};

static int names_fn(const unsigned char *msg, size_t len, const struct rr *rr, void *ctx)
{
	struct names_ctx *c = ctx;
	size_t at = rr->rdata;
	unsigned pref = 0;
	char *name = NULL;
	long enclen;

	if (rr->type != c->type)
		return 0;
	if (c->type == DNS_TYPE_MX) {
		if (rr->rdlen < 3)
			return -1;
		pref = get16(msg + at);
		at += 2;
	}
	if (ares_expand_name(msg + at, msg, (int)len, &name, &enclen) != ARES_SUCCESS)
		return -1;
	if (at + (size_t)enclen > rr->rdata + rr->rdlen) {
		ares_free_string(name);
		return -1;
	}
	if (c->n == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 8;
		char **nn = realloc(c->names, ncap * sizeof(*nn));
		unsigned *np = nn ? realloc(c->prefs, ncap * sizeof(*np)) : NULL;

		if (nn != NULL)
			c->names = nn;
		if (np == NULL) {
			ares_free_string(name);
			c->oom = true;
			return -1;
		}
		c->prefs = np;
		c->cap = ncap;
	}
	c->names[c->n] = strdup(name);
	ares_free_string(name);
	if (c->names[c->n] == NULL) {
		c->oom = true;
		return -1;
	}
	c->prefs[c->n++] = pref;
	return 0;
}

static int collect(const struct dns_reply *reply, int type, struct names_ctx *c)
{
	memset(c, 0, sizeof(*c));
	c->type = type;
	if (each_answer(reply->raw, reply->len, names_fn, c) < 0) {
		names_free(c->names, c->n);
		free(c->prefs);
		return -1;
	}
	return 0;
}

int dns_reply_names(const struct dns_reply *reply, int type, char ***out, size_t *n)
{
	struct names_ctx c;

	if (collect(reply, type, &c) < 0)
		return -1;
	free(c.prefs);
	*out = c.names;
	*n = c.n;
	return 0;
}

int dns_reply_mx(const struct dns_reply *reply, struct mx_record **out, size_t *n)
{
	struct names_ctx c;
	struct mx_record *mx;

	if (collect(reply, DNS_TYPE_MX, &c) < 0)
		return -1;
	mx = calloc(c.n ? c.n : 1, sizeof(*mx));
	if (mx == NULL) {
		names_free(c.names, c.n);
		free(c.prefs);
		return -1;
	}
	for (size_t i = 0; i < c.n; i++)
		mx[i] = (struct mx_record){ c.prefs[i], c.names[i] };
	free(c.names);
	free(c.prefs);
	*out = mx;
	*n = c.n;
	return 0;
}

void mx_records_free(struct mx_record *mx, size_t n)
{
	for (size_t i = 0; mx != NULL && i < n; i++)
		free(mx[i].host);
	free(mx);
}

void names_free(char **names, size_t n)
{
	for (size_t i = 0; names != NULL && i < n; i++)
		free(names[i]);
	free(names);
}

void dns_type_format(unsigned type, char *buf, size_t len)
{
	static const struct {
		unsigned type;
		const char *name;
	} names[] = {
		{ DNS_TYPE_A, "A" }, { DNS_TYPE_NS, "NS" }, { DNS_TYPE_CNAME, "CNAME" },
		{ 6, "SOA" }, { DNS_TYPE_PTR, "PTR" }, { DNS_TYPE_MX, "MX" }, { 16, "TXT" },
		{ DNS_TYPE_AAAA, "AAAA" }, { 33, "SRV" }, { 41, "OPT" }, { 43, "DS" },
		{ 46, "RRSIG" }, { 47, "NSEC" }, { 48, "DNSKEY" }, { 50, "NSEC3" },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].type == type) {
			snprintf(buf, len, "%s", names[i].name);
			return;
		}
	snprintf(buf, len, "TYPE%u", type);
}

struct records_ctx {
	struct dns_record *rr;
	size_t n, cap;
};

/* A name at off of msg as text with a final dot ("mail.test.", "." for the
 * root), or without it; NULL when malformed or out of memory.  *used gets
 * the bytes the name takes at off. */
static char *name_text(const unsigned char *msg, size_t len, size_t off, bool dot,
		       long *used)
{
	char *name = NULL, *out;

	if (ares_expand_name(msg + off, msg, (int)len, &name, used) != ARES_SUCCESS)
		return NULL;
	if (!dot)
		out = strdup(name);
	else if (asprintf(&out, "%s.", name[0] ? name : "") < 0)
		out = NULL;
	ares_free_string(name);
	return out;
}

static char *rdata_text(const unsigned char *msg, size_t len, const struct rr *rr)
{
	const unsigned char *d = msg + rr->rdata;
	char *out = NULL, buf[INET6_ADDRSTRLEN];
	long used = 0;

	if (rr->type == DNS_TYPE_A && rr->rdlen == 4) {
		inet_ntop(AF_INET, d, buf, sizeof(buf));
		return strdup(buf);
	}
	if (rr->type == DNS_TYPE_AAAA && rr->rdlen == 16) {
		inet_ntop(AF_INET6, d, buf, sizeof(buf));
		return strdup(buf);
	}
	if (rr->type == DNS_TYPE_CNAME || rr->type == DNS_TYPE_NS || rr->type == DNS_TYPE_PTR) {
		out = name_text(msg, len, rr->rdata, true, &used);
		if (out != NULL && (size_t)used > rr->rdlen) {
			free(out);
			return NULL;
		}
		return out;
	}
	if (rr->type == DNS_TYPE_MX && rr->rdlen >= 3) {
		char *host = name_text(msg, len, rr->rdata + 2, true, &used);

		if (host == NULL || (size_t)used + 2 > rr->rdlen) {
			free(host);
			return NULL;
		}
		if (asprintf(&out, "%u %s", (unsigned)get16(d), host) < 0)
			out = NULL;
		free(host);
		return out;
	}
	if (rr->type == DNS_TYPE_A || rr->type == DNS_TYPE_AAAA || rr->type == DNS_TYPE_MX ||
	    rr->type == DNS_TYPE_CNAME)
		return NULL; /* the wrong size for its type */
	/* RFC 3597 generic form. */
	out = malloc(16 + 2 * (size_t)rr->rdlen);
	if (out != NULL) {
		int k = sprintf(out, "\\# %u%s", (unsigned)rr->rdlen, rr->rdlen ? " " : "");

		for (size_t i = 0; i < rr->rdlen; i++)
			k += sprintf(out + k, "%02x", d[i]);
	}
	return out;
}

static int records_fn(const unsigned char *msg, size_t len, const struct rr *rr, void *ctx)
{
	struct records_ctx *c = ctx;
	long used;
	struct dns_record rec = { .type = rr->type, .ttl = rr->ttl };

	if (c->n == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 8;
		struct dns_record *nr = realloc(c->rr, ncap * sizeof(*nr));

		if (nr == NULL)
			return -1;
		c->rr = nr;
		c->cap = ncap;
	}
	rec.name = name_text(msg, len, rr->owner, false, &used);
	rec.data = rec.name ? rdata_text(msg, len, rr) : NULL;
	if (rec.data == NULL) {
		free(rec.name);
		return -1;
	}
	c->rr[c->n++] = rec;
	return 0;
}

int dns_reply_records(const struct dns_reply *reply, struct dns_record **out, size_t *n)
{
	struct records_ctx c = { 0 };

	if (each_answer(reply->raw, reply->len, records_fn, &c) < 0) {
		dns_records_free(c.rr, c.n);
		return -1;
	}
	*out = c.rr;
	*n = c.n;
	return 0;
}

void dns_records_free(struct dns_record *rr, size_t n)
{
	for (size_t i = 0; rr != NULL && i < n; i++) {
		free(rr[i].name);
		free(rr[i].data);
	}
	free(rr);
}
