#include "resolve.h"

#include <arpa/inet.h>
#include <ares.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

/* Lookups handed to c-ares at once; the rest wait their turn.  Hundreds of
 * queries sent at once overflow the socket buffers of the server (and
 * ours), and what is dropped costs a whole retry interval. */
#define MAX_INFLIGHT 64

/* A lookup waiting for its turn, or in flight. */
struct lookup {
	struct lookup *next;              /* in the queue */
	void (*start)(struct lookup *);   /* hands it to c-ares */
	void (*expire)(struct lookup *);  /* ends it unstarted at the deadline */
};

/* A socket c-ares uses, and what it waits for on it. */
struct rsock {
	int fd;
	bool readable, writable;
};

struct resolver {
	ares_channel channel; /* made at the first lookup that needs DNS */
	bool have_channel;
	struct resolver_params params;
	struct ares_addr_port_node nodes[RESOLVE_MAX_SERVERS]; /* the servers asked for */
	size_t nnodes;
	const struct deadline *deadline;
	char servers[512]; /* for messages */
	size_t pending;    /* lookups started, not yet called back */
	size_t inflight;   /* ... of which c-ares has these */
	struct lookup *qhead, *qtail; /* ... and these wait their turn */
	bool starting;     /* start_queued is running */
	bool closing;      /* resolver_free is running: start nothing */
	struct rsock *socks; /* c-ares' sockets (ARES_OPT_SOCK_STATE_CB) */
	size_t nsocks, capsocks;
	bool socks_oom;    /* a socket could not be tracked */
	/* The peer of the last packet read within one resolver_process step:
	 * the server that answered the lookup a callback reports. */
	struct sockaddr_storage last_read;
	bool have_last_read;
	bool last_read_tcp;
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

/* ---- servers ------------------------------------------------------------ */

static void node_from(struct ares_addr_port_node *node, const struct sockaddr_storage *ss)
{
	memset(node, 0, sizeof(*node));
	node->family = ss->ss_family;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;

		node->addr.addr4 = in->sin_addr;
		node->udp_port = node->tcp_port = ntohs(in->sin_port);
	} else {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;

		memcpy(&node->addr.addr6, &in6->sin6_addr, sizeof(in6->sin6_addr));
		node->udp_port = node->tcp_port = ntohs(in6->sin6_port);
	}
}

/* Parses a server list into nodes (at most max); returns how many, or -1
 * with a message naming the bad entry in err. */
static int parse_servers(const char *list, struct ares_addr_port_node *nodes, size_t max,
			 char *err, size_t errlen)
{
	const char *p = list;
	size_t n = 0;

	while (*p != '\0') {
		size_t k = strcspn(p, ",");
		struct sockaddr_storage ss;
		socklen_t sl;

		if (n == max) {
			snprintf(err, errlen, "too many DNS servers (at most %zu)", max);
			return -1;
		}
		if (addr_parse_hostport(p, k, DNS_PORT, &ss, &sl) < 0 ||
		    (ss.ss_family == AF_INET6 && ((struct sockaddr_in6 *)&ss)->sin6_scope_id)) {
			snprintf(err, errlen,
				 "'%.*s' is not a DNS server address (ADDR, ADDR:PORT, [IPv6]:PORT)",
				 (int)k, p);
			return -1;
		}
		node_from(&nodes[n], &ss);
		if (n > 0)
			nodes[n - 1].next = &nodes[n];
		n++;
		p += k;
		if (*p == ',')
			p++;
	}
	if (n == 0) {
		snprintf(err, errlen, "no DNS server given");
		return -1;
	}
	return (int)n;
}

int resolver_check_servers(const char *list, char *err, size_t errlen)
{
	struct ares_addr_port_node nodes[RESOLVE_MAX_SERVERS];

	return parse_servers(list, nodes, RESOLVE_MAX_SERVERS, err, errlen) < 0 ? -1 : 0;
}

/* Describes a server list for messages. */
static void describe_servers(struct resolver *r, const struct ares_addr_port_node *list)
{
	size_t used = 0;

	r->servers[0] = '\0';
	for (const struct ares_addr_port_node *s = list; s != NULL; s = s->next) {
		struct sockaddr_storage ss = { .ss_family = (sa_family_t)s->family };
		socklen_t sl;
		char one[ADDR_TEXT_MAX], text[INET6_ADDRSTRLEN];

		inet_ntop(s->family, &s->addr, text, sizeof(text));
		addr_parse(text, s->udp_port ? s->udp_port : DNS_PORT, &ss, &sl);
		addr_format((struct sockaddr *)&ss, true, one, sizeof(one));
		used += (size_t)snprintf(r->servers + used, sizeof(r->servers) - used, "%s%s",
					 used ? ", " : "", one);
		if (used >= sizeof(r->servers))
			break;
	}
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

/* ---- c-ares' sockets ---------------------------------------------------- */

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

		r->have_last_read = getpeername(s, (struct sockaddr *)&r->last_read, &sl) == 0;
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

/* ARES_OPT_SOCK_STATE_CB: keeps the list of sockets and their interest. */
static void sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	struct resolver *r = data;
	size_t i = 0;

	while (i < r->nsocks && r->socks[i].fd != fd)
		i++;
	if (!readable && !writable) {
		if (i < r->nsocks)
			r->socks[i] = r->socks[--r->nsocks];
		return;
	}
	if (i == r->nsocks) {
		if (r->nsocks == r->capsocks) {
			size_t ncap = r->capsocks ? 2 * r->capsocks : 8;
			struct rsock *ns = realloc(r->socks, ncap * sizeof(*ns));

			if (ns == NULL) {
				r->socks_oom = true;
				return;
			}
			r->socks = ns;
			r->capsocks = ncap;
		}
		r->nsocks++;
	}
	r->socks[i] = (struct rsock){ fd, readable != 0, writable != 0 };
}

/* The server that answered the lookup being called back, or all of them. */
static void who_answered(struct resolver *r, int status, char *buf, size_t len, bool *tcp)
{
	bool answered = status != ARES_ETIMEOUT && status != ARES_ECANCELLED &&
			status != ARES_EDESTRUCTION && status != ARES_ECONNREFUSED;

	*tcp = false;
	if (answered && r->have_last_read) {
		addr_format((const struct sockaddr *)&r->last_read, true, buf, len);
		*tcp = r->last_read_tcp;
	} else {
		buf[0] = '\0';
	}
}

/* Makes the c-ares channel, at the first lookup that needs one: a run that
 * only connects to an address literal never reads /etc/resolv.conf. */
static int channel_ready(struct resolver *r, struct fail *f)
{
	static bool library_ready;
	struct ares_options opt = { 0 };
	int mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_SOCK_STATE_CB;
	int64_t budget_ms = (r->deadline->end_ns - r->deadline->start_ns) / NS_PER_MS;

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
	opt.sock_state_cb = sock_state;
	opt.sock_state_cb_data = r;
	if (ares_init_options(&r->channel, &opt, mask) != ARES_SUCCESS) {
		fail_set(f, FAIL_INTERNAL, "c-ares failed to start (is /etc/resolv.conf readable?)");
		return -1;
	}
	r->have_channel = true;
	ares_set_socket_functions(r->channel, &sock_funcs, r);
	if (r->nnodes > 0) {
		if (ares_set_servers_ports(r->channel, r->nodes) != ARES_SUCCESS) {
			fail_set(f, FAIL_INTERNAL, "c-ares refused the server list");
			goto fail;
		}
	} else {
		struct ares_addr_port_node *list = NULL, *kept;

		if (ares_get_servers_ports(r->channel, &list) != ARES_SUCCESS)
			return 0;
		kept = list;
		keep_family(&kept, r->params.family);
		if (kept == NULL)
			fail_set(f, FAIL_INTERNAL, "the system has no %s DNS server",
				 r->params.family == AF_INET ? "IPv4" : "IPv6");
		else if (kept != list && ares_set_servers_ports(r->channel, kept) != ARES_SUCCESS)
			fail_set(f, FAIL_INTERNAL, "c-ares refused the server list");
		else
			describe_servers(r, kept);
		ares_free_data(list);
		if (kept == NULL || f->cls == FAIL_INTERNAL)
			goto fail;
	}
	return 0;
fail:
	/* No channel with the wrong servers for a later lookup. */
	ares_destroy(r->channel);
	r->have_channel = false;
	return -1;
}

struct resolver *resolver_new(const struct resolver_params *p, struct fail *f)
{
	struct resolver *r = calloc(1, sizeof(*r));
	char err[256];
	int n;

	if (r == NULL) {
		fail_set(f, FAIL_INTERNAL, "out of memory");
		return NULL;
	}
	r->params = *p;
	r->params.servers = NULL; /* kept parsed in nodes */
	r->deadline = p->deadline;
	if (p->servers == NULL) {
		snprintf(r->servers, sizeof(r->servers), "the system's resolvers");
		return r;
	}
	n = parse_servers(p->servers, r->nodes, RESOLVE_MAX_SERVERS, err, sizeof(err));
	if (n < 0) {
		fail_set(f, FAIL_INTERNAL, "%s", err);
		free(r);
		return NULL;
	}
	r->nnodes = (size_t)n;
	{
		struct ares_addr_port_node *head = r->nodes;

		keep_family(&head, p->family);
		if (head == NULL) {
			fail_set(f, FAIL_INTERNAL, "no %s server in '%s'",
				 p->family == AF_INET ? "IPv4" : "IPv6", p->servers);
			free(r);
			return NULL;
		}
		if (head != r->nodes) /* nodes[0] heads the list given to c-ares */
			r->nodes[0] = *head;
	}
	describe_servers(r, r->nodes);
	return r;
}

/* ---- the queue of lookups ----------------------------------------------- */

/* Hands queued lookups to c-ares while there is room (not re-entered when
 * a start calls back at once). */
static void start_queued(struct resolver *r)
{
	if (r->starting || r->closing)
		return;
	r->starting = true;
	while (r->inflight < MAX_INFLIGHT && r->qhead != NULL && !deadline_expired(r->deadline)) {
		struct lookup *l = r->qhead;

		r->qhead = l->next;
		if (r->qhead == NULL)
			r->qtail = NULL;
		r->inflight++;
		l->start(l);
	}
	r->starting = false;
}

/* Ends every queued lookup unstarted: the deadline has passed. */
static void expire_queued(struct resolver *r)
{
	while (r->qhead != NULL) {
		struct lookup *l = r->qhead;

		r->qhead = l->next;
		if (r->qhead == NULL)
			r->qtail = NULL;
		l->expire(l);
	}
}

static void submit(struct resolver *r, struct lookup *l)
{
	r->pending++;
	l->next = NULL;
	if (r->qtail != NULL)
		r->qtail->next = l;
	else
		r->qhead = l;
	r->qtail = l;
	start_queued(r);
}

/* A lookup c-ares had has ended: room for the next. */
static void finished(struct resolver *r)
{
	r->pending--;
	r->inflight--;
	start_queued(r);
}

/* Ends everything at the deadline: in flight (their callbacks run with
 * ARES_ECANCELLED) and queued. */
static void cancel_all(struct resolver *r)
{
	if (r->have_channel)
		ares_cancel(r->channel);
	expire_queued(r);
}

void resolver_free(struct resolver *r)
{
	if (r == NULL)
		return;
	/* The cancelled lookups' callbacks free room in flight: nothing
	 * queued may take it now. */
	r->closing = true;
	cancel_all(r);
	if (r->have_channel)
		ares_destroy(r->channel);
	free(r->socks);
	free(r);
}

const char *resolver_servers(const struct resolver *r)
{
	return r->servers[0] ? r->servers : "no servers";
}

/* ---- status ------------------------------------------------------------- */

/* Maps a c-ares status to ours, and says why in f; `who` is the server
 * that answered, "" when none did. */
static enum resolve_status map_status(const struct resolver *r, int status, const char *name,
				      const char *who, struct fail *f)
{
	double budget = (double)(r->deadline->end_ns - r->deadline->start_ns) / NS_PER_S;
	const char *by = who[0] ? who : resolver_servers(r);

	switch (status) {
	case ARES_SUCCESS:
		return RESOLVE_OK;
	case ARES_ECANCELLED:
	case ARES_EDESTRUCTION:
		fail_set(f, FAIL_TIMEOUT, "%s: no answer from %s, timed out after %g s", name,
			 resolver_servers(r), budget);
		return RESOLVE_TIMEOUT;
	case ARES_ENOTFOUND:
		fail_set(f, FAIL_DNS, "%s: no such domain (NXDOMAIN from %s)", name, by);
		return RESOLVE_NXDOMAIN;
	case ARES_ENODATA:
		fail_set(f, FAIL_DNS, "%s: the name has no records of that type (asked %s)", name, by);
		return RESOLVE_NODATA;
	case ARES_ESERVFAIL:
		fail_set(f, FAIL_DNS, "%s: server failure (SERVFAIL from %s)", name, by);
		return RESOLVE_SERVFAIL;
	case ARES_EREFUSED:
		fail_set(f, FAIL_DNS, "%s: query refused (REFUSED from %s)", name, by);
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
			 name, by);
		return RESOLVE_ERROR;
	case ARES_EBADRESP:
		fail_set(f, FAIL_DNS, "%s: malformed reply from %s", name, by);
		return RESOLVE_ERROR;
	case ARES_EBADNAME:
		fail_set(f, FAIL_DNS, "'%s' is not a valid domain name", name);
		return RESOLVE_ERROR;
	case ARES_ENOMEM:
		fail_set(f, FAIL_INTERNAL, "out of memory");
		return RESOLVE_ERROR;
	default:
		fail_set(f, FAIL_DNS, "%s: %s (asked %s)", name, ares_strerror(status), by);
		return RESOLVE_ERROR;
	}
}

/* ---- host lookups ------------------------------------------------------- */

struct host_lookup {
	struct lookup base;
	struct resolver *r;
	resolve_host_cb cb;
	void *ctx;
	int family, port;
	char host[];
};

static struct addr_list *addr_list_from(const struct ares_addrinfo *ai, int port)
{
	struct addr_list *l;
	size_t n = 0;

	for (const struct ares_addrinfo_node *a = ai->nodes; a != NULL; a = a->ai_next)
		n++;
	l = addr_list_new(n);
	for (const struct ares_addrinfo_node *a = ai->nodes; l != NULL && a != NULL; a = a->ai_next) {
		if (a->ai_family != AF_INET && a->ai_family != AF_INET6)
			continue;
		if (addr_list_add(l, a->ai_addr, (socklen_t)a->ai_addrlen) < 0) {
			addr_list_free(l);
			return NULL;
		}
		addr_set_port(&l->addr[l->n - 1], port);
	}
	return l;
}

static void gai_callback(void *arg, int status, int timeouts, struct ares_addrinfo *ai)
{
	struct host_lookup *h = arg;
	struct resolver *r = h->r;
	struct fail f = { 0 };
	struct addr_list *l = NULL;
	char who[ADDR_TEXT_MAX];
	bool tcp;
	enum resolve_status s;

	(void)timeouts;
	who_answered(r, status, who, sizeof(who), &tcp);
	s = map_status(r, status, h->host, who, &f);
	if (s == RESOLVE_OK) {
		l = addr_list_from(ai, h->port);
		if (l == NULL) {
			fail_set(&f, FAIL_INTERNAL, "out of memory");
			s = RESOLVE_ERROR;
		} else if (l->n == 0) {
			fail_set(&f, FAIL_DNS, "%s: no %saddress", h->host,
				 h->family == AF_INET ? "IPv4 " : h->family == AF_INET6 ? "IPv6 " : "");
			addr_list_free(l);
			l = NULL;
			s = RESOLVE_NODATA;
		}
	}
	if (ai != NULL)
		ares_freeaddrinfo(ai);
	finished(r);
	h->cb(h->ctx, s, l, &f);
	free(h);
}

static void host_start(struct lookup *l)
{
	struct host_lookup *h = (struct host_lookup *)l;
	struct ares_addrinfo_hints hints = { .ai_family = h->family };

	ares_getaddrinfo(h->r->channel, h->host, NULL, &hints, gai_callback, h);
}

static void host_expire(struct lookup *l)
{
	struct host_lookup *h = (struct host_lookup *)l;
	struct fail f = { 0 };
	enum resolve_status s = map_status(h->r, ARES_ECANCELLED, h->host, "", &f);

	h->r->pending--;
	h->cb(h->ctx, s, NULL, &f);
	free(h);
}

/* An IP literal is its own address: c-ares 1.18 sends "127.0.0.1" to DNS as
 * a name unless the family is AF_INET, and gives an IPv4 address for
 * AF_INET6.  Returns false when host is not a literal. */
static bool literal_host(const char *host, int family, int port, resolve_host_cb cb,
			 void *ctx)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	struct fail f = { 0 };
	struct addr_list *l;
	int lit = addr_parse(host, port, &ss, &sl);

	if (lit < 0)
		return false;
	if (family != AF_UNSPEC && family != lit) {
		fail_set(&f, FAIL_DNS, "%s: no %s address (it is an %s address)", host,
			 family == AF_INET ? "IPv4" : "IPv6", lit == AF_INET ? "IPv4" : "IPv6");
		cb(ctx, RESOLVE_NODATA, NULL, &f);
		return true;
	}
	l = addr_list_new(1);
	if (l == NULL || addr_list_add(l, (struct sockaddr *)&ss, sl) < 0) {
		addr_list_free(l);
		fail_set(&f, FAIL_INTERNAL, "out of memory");
		cb(ctx, RESOLVE_ERROR, NULL, &f);
		return true;
	}
	cb(ctx, RESOLVE_OK, l, &f);
	return true;
}

void resolve_host_start(struct resolver *r, const char *host, int family, int port,
			resolve_host_cb cb, void *ctx)
{
	struct fail f = { 0 };
	struct host_lookup *h;
	size_t hl = strlen(host);

	if (host[0] == '\0') {
		/* c-ares would ask for the root's A and AAAA records. */
		fail_set(&f, FAIL_DNS, "no host name given");
		cb(ctx, RESOLVE_ERROR, NULL, &f);
		return;
	}
	if (literal_host(host, family, port, cb, ctx))
		return;
	if (channel_ready(r, &f) < 0) {
		cb(ctx, RESOLVE_ERROR, NULL, &f);
		return;
	}
	h = malloc(sizeof(*h) + hl + 1);
	if (h == NULL) {
		fail_set(&f, FAIL_INTERNAL, "out of memory");
		cb(ctx, RESOLVE_ERROR, NULL, &f);
		return;
	}
	*h = (struct host_lookup){ .base = { .start = host_start, .expire = host_expire },
				   .r = r, .cb = cb, .ctx = ctx, .family = family, .port = port };
	memcpy(h->host, host, hl + 1);
	submit(r, &h->base);
}

/* A lookup waited for by resolve_host or resolve_query. */
struct wait {
	bool done;
	enum resolve_status status;
	void *result;      /* its addr_list or dns_reply */
	struct fail *fail; /* the caller's */
};

static void wait_done(struct wait *w, enum resolve_status s, void *result,
		      const struct fail *f)
{
	w->done = true;
	w->status = s;
	w->result = result;
	if (s != RESOLVE_OK)
		*w->fail = *f;
}

static void host_done(void *ctx, enum resolve_status s, struct addr_list *addrs,
		      const struct fail *f)
{
	wait_done(ctx, s, addrs, f);
}

/* Runs the resolver until *done (or the deadline, which ends every lookup
 * and so sets it). */
static void run_until(struct resolver *r, const bool *done);

enum resolve_status resolve_host(struct resolver *r, const char *host, int family,
				 int port, struct addr_list **out, struct fail *f)
{
	struct wait w = { .fail = f };

	resolve_host_start(r, host, family, port, host_done, &w);
	run_until(r, &w.done);
	*out = w.result;
	return w.status;
}

static void batch_done(void *ctx, enum resolve_status s, struct addr_list *addrs,
		       const struct fail *f)
{
	struct resolve_result *res = ctx;

	res->status = s;
	res->addrs = addrs;
	res->fail = *f;
}

void resolve_hosts(struct resolver *r, const char *const *hosts, size_t n, int family,
		   int port, struct resolve_result *results)
{
	for (size_t i = 0; i < n; i++) {
		results[i] = (struct resolve_result){ .status = RESOLVE_ERROR };
		resolve_host_start(r, hosts[i], family, port, batch_done, &results[i]);
	}
	resolver_run(r);
}

/* ---- queries ------------------------------------------------------------ */

struct query_lookup {
	struct lookup base;
	struct resolver *r;
	resolve_query_cb cb;
	void *ctx;
	int64_t t0;
	unsigned type;
	bool ad;
	char name[];
};

void dns_reply_free(struct dns_reply *reply)
{
	if (reply == NULL)
		return;
	free(reply->raw);
	free(reply);
}

/* ares_send leaves the rcode to us; map it as ares_query does. */
static int status_of_rcode(const unsigned char *msg, size_t len)
{
	static const int by_rcode[6] = { ARES_SUCCESS, ARES_EFORMERR, ARES_ESERVFAIL,
					 ARES_ENOTFOUND, ARES_ENOTIMP, ARES_EREFUSED };
	struct dns_header h;

	if (dns_header_parse(msg, len, &h) < 0)
		return ARES_EBADRESP;
	if (h.rcode == 0 && h.ancount == 0)
		return ARES_ENODATA;
	return h.rcode < 6 ? by_rcode[h.rcode] : ARES_EBADRESP;
}

/* The reply to keep: header and TTL parsed; NULL when malformed (f set
 * and *s changed when it was RESOLVE_OK) or out of memory. */
static struct dns_reply *make_reply(const struct query_lookup *q, const unsigned char *abuf,
				    size_t alen, const char *who, bool tcp,
				    enum resolve_status *s, struct fail *f)
{
	struct dns_reply *reply = calloc(1, sizeof(*reply));

	if (reply != NULL)
		reply->raw = malloc(alen);
	if (reply == NULL || reply->raw == NULL) {
		dns_reply_free(reply);
		fail_set(f, FAIL_INTERNAL, "out of memory");
		*s = RESOLVE_ERROR;
		return NULL;
	}
	memcpy(reply->raw, abuf, alen);
	reply->len = alen;
	if (dns_header_parse(abuf, alen, &reply->hdr) < 0 ||
	    dns_answer_min_ttl(abuf, alen, &reply->has_ttl, &reply->min_ttl) < 0) {
		dns_reply_free(reply);
		if (*s == RESOLVE_OK) {
			fail_set(f, FAIL_DNS, "%s: malformed reply from %s", q->name,
				 who[0] ? who : resolver_servers(q->r));
			*s = RESOLVE_ERROR;
		}
		return NULL;
	}
	reply->seconds = (double)(mono_now_ns() - q->t0) / NS_PER_S;
	reply->tcp = tcp;
	snprintf(reply->server, sizeof(reply->server), "%s", who);
	return reply;
}

static void query_callback(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct query_lookup *q = arg;
	struct resolver *r = q->r;
	struct dns_reply *reply = NULL;
	struct fail f = { 0 };
	char who[ADDR_TEXT_MAX];
	bool tcp;
	enum resolve_status s;

	(void)timeouts;
	who_answered(r, status, who, sizeof(who), &tcp);
	if (q->ad && status == ARES_SUCCESS && abuf != NULL)
		status = status_of_rcode(abuf, (size_t)alen);
	s = map_status(r, status, q->name, who, &f);
	if (abuf != NULL && alen > 0)
		reply = make_reply(q, abuf, (size_t)alen, who, tcp, &s, &f);
	finished(r);
	q->cb(q->ctx, s, reply, &f);
	free(q);
}

static void query_start(struct lookup *l)
{
	struct query_lookup *q = (struct query_lookup *)l;
	struct resolver *r = q->r;
	unsigned char *msg = NULL;
	int mlen = 0, rc;

	q->t0 = mono_now_ns();
	if (!q->ad) {
		ares_query(r->channel, q->name, DNS_CLASS_IN, (int)q->type, query_callback, q);
		return;
	}
	rc = ares_create_query(q->name, DNS_CLASS_IN, (int)q->type, 0, !r->params.no_recursion,
			       &msg, &mlen, 0);
	if (rc != ARES_SUCCESS) {
		query_callback(q, rc == ARES_SUCCESS ? ARES_EBADNAME : rc, 0, NULL, 0);
		return;
	}
	msg[3] |= 0x20; /* AD; c-ares gives the query its own id */
	ares_send(r->channel, msg, mlen, query_callback, q);
	ares_free_string(msg);
}

static void query_expire(struct lookup *l)
{
	struct query_lookup *q = (struct query_lookup *)l;
	struct fail f = { 0 };
	enum resolve_status s = map_status(q->r, ARES_ECANCELLED, q->name, "", &f);

	q->r->pending--;
	q->cb(q->ctx, s, NULL, &f);
	free(q);
}

void resolve_query_start(struct resolver *r, const char *name, unsigned type,
			 resolve_query_cb cb, void *ctx)
{
	struct fail f = { 0 };
	struct query_lookup *q;
	size_t nl = strlen(name);

	if (channel_ready(r, &f) < 0) {
		cb(ctx, RESOLVE_ERROR, NULL, &f);
		return;
	}
	q = malloc(sizeof(*q) + nl + 1);
	if (q == NULL) {
		fail_set(&f, FAIL_INTERNAL, "out of memory");
		cb(ctx, RESOLVE_ERROR, NULL, &f);
		return;
	}
	*q = (struct query_lookup){ .base = { .start = query_start, .expire = query_expire },
				    .r = r, .cb = cb, .ctx = ctx, .type = type,
				    .ad = r->params.ad_bit };
	memcpy(q->name, name, nl + 1);
	submit(r, &q->base);
}

static void query_done(void *ctx, enum resolve_status s, struct dns_reply *reply,
		       const struct fail *f)
{
	wait_done(ctx, s, reply, f);
}

enum resolve_status resolve_query(struct resolver *r, const char *name, unsigned type,
				  struct dns_reply **out, struct fail *f)
{
	struct wait w = { .fail = f };

	resolve_query_start(r, name, type, query_done, &w);
	run_until(r, &w.done);
	*out = w.result;
	return w.status;
}

/* ---- driving ------------------------------------------------------------ */

size_t resolver_pending(const struct resolver *r)
{
	return r->pending;
}

size_t resolver_pollfds(const struct resolver *r, struct pollfd *pfd, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < r->nsocks && n < max; i++)
		pfd[n++] = (struct pollfd){
			.fd = r->socks[i].fd,
			.events = (short)((r->socks[i].readable ? POLLIN : 0) |
					  (r->socks[i].writable ? POLLOUT : 0)),
		};
	return n;
}

int64_t resolver_next_ms(struct resolver *r)
{
	struct timeval maxtv = { 3600, 0 }, tv, *tvp;

	if (r->pending == 0 || !r->have_channel)
		return -1;
	tvp = ares_timeout(r->channel, &maxtv, &tv);
	/* Round up, so a timer due in 0.4 ms is not polled for 0 ms over and
	 * over. */
	return (int64_t)tvp->tv_sec * 1000 + (tvp->tv_usec + 999) / 1000;
}

/* Whether fd is one of the resolver's sockets. */
static bool ours(const struct resolver *r, int fd)
{
	for (size_t i = 0; i < r->nsocks; i++)
		if (r->socks[i].fd == fd)
			return true;
	return false;
}

void resolver_process(struct resolver *r, const struct pollfd *pfd, size_t n)
{
	bool any = false;

	if (!r->have_channel)
		return;
	if (deadline_expired(r->deadline)) {
		cancel_all(r);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		ares_socket_t rfd = ARES_SOCKET_BAD, wfd = ARES_SOCKET_BAD;

		if (pfd[i].revents == 0 || !ours(r, pfd[i].fd))
			continue;
		if (pfd[i].revents & (POLLIN | POLLERR | POLLHUP))
			rfd = pfd[i].fd;
		if (pfd[i].revents & POLLOUT)
			wfd = pfd[i].fd;
		r->have_last_read = false;
		ares_process_fd(r->channel, rfd, wfd);
		any = true;
	}
	if (!any) {
		r->have_last_read = false;
		ares_process_fd(r->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD); /* timers */
	}
}

bool resolver_run(struct resolver *r)
{
	bool none = false;

	run_until(r, &none);
	return !deadline_expired(r->deadline);
}

static void run_until(struct resolver *r, const bool *done)
{
	struct pollfd stack[16], *pfd = stack;
	size_t cap = sizeof(stack) / sizeof(stack[0]);

	while (!*done && r->pending > 0) {
		size_t n;
		int rc;

		if (r->nsocks > cap) {
			struct pollfd *more = realloc(pfd == stack ? NULL : pfd,
						      r->nsocks * sizeof(*more));

			if (more == NULL)
				r->socks_oom = true;
			else {
				pfd = more;
				cap = r->nsocks;
			}
		}
		if (r->socks_oom) {
			/* A socket we cannot watch: end what is pending. */
			cancel_all(r);
			break;
		}
		n = resolver_pollfds(r, pfd, cap);
		rc = deadline_poll(r->deadline, pfd, (nfds_t)n, resolver_next_ms(r));
		for (size_t i = 0; i < n && rc <= 0; i++)
			pfd[i].revents = 0;
		resolver_process(r, pfd, n);
	}
	if (pfd != stack)
		free(pfd);
}
