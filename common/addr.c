#include "addr.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* n bytes of decimal digits (and nothing else) as a number of at most max;
 * -1 when they are not. */
static long decimal(const char *s, size_t n, long max)
{
	long v = 0;

	if (n == 0 || n > 9)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v <= max ? v : -1;
}

struct addr_list *addr_list_new(size_t cap)
{
	struct addr_list *l = calloc(1, sizeof(*l));

	if (l == NULL)
		return NULL;
	l->cap = cap ? cap : 1;
	l->addr = calloc(l->cap, sizeof(*l->addr));
	l->len = calloc(l->cap, sizeof(*l->len));
	if (l->addr == NULL || l->len == NULL) {
		addr_list_free(l);
		return NULL;
	}
	return l;
}

void addr_list_free(struct addr_list *l)
{
	if (l == NULL)
		return;
	free(l->addr);
	free(l->len);
	free(l);
}

int addr_list_add(struct addr_list *l, const struct sockaddr *sa, socklen_t len)
{
	if (len > sizeof(l->addr[0]))
		return -1;
	if (l->n == l->cap) {
		size_t ncap = 2 * l->cap;
		struct sockaddr_storage *na = realloc(l->addr, ncap * sizeof(*na));
		socklen_t *nl;

		if (na == NULL)
			return -1;
		l->addr = na;
		nl = realloc(l->len, ncap * sizeof(*nl));
		if (nl == NULL)
			return -1;
		l->len = nl;
		l->cap = ncap;
	}
	memset(&l->addr[l->n], 0, sizeof(l->addr[0]));
	memcpy(&l->addr[l->n], sa, len);
	l->len[l->n++] = len;
	return 0;
}

void addr_set_port(struct sockaddr_storage *ss, int port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
	else if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
}

int addr_parse(const char *text, int port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, text, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		*len = sizeof(*in);
	} else if (inet_pton(AF_INET6, text, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		*len = sizeof(*in6);
	} else if (strchr(text, '%') != NULL) {
		/* fe80::1%eth0: getaddrinfo knows scopes, and with
		 * AI_NUMERICHOST it never looks anything up. */
		struct addrinfo hints = { .ai_family = AF_INET6, .ai_flags = AI_NUMERICHOST };
		struct addrinfo *ai = NULL;

		if (getaddrinfo(text, NULL, &hints, &ai) != 0 || ai == NULL)
			return -1;
		memcpy(in6, ai->ai_addr, sizeof(*in6));
		freeaddrinfo(ai);
		*len = sizeof(*in6);
	} else {
		return -1;
	}
	addr_set_port(ss, port);
	return ss->ss_family;
}

bool addr_is_literal(const char *host)
{
	struct sockaddr_storage ss;
	socklen_t len;

	return addr_parse(host, 0, &ss, &len) >= 0;
}

int addr_parse_hostport(const char *text, size_t n, int default_port,
			struct sockaddr_storage *ss, socklen_t *len)
{
	char host[ADDR_TEXT_MAX];
	const char *port = NULL;
	size_t hl, pl = 0;
	long pv = default_port;

	if (n > 0 && text[0] == '[') {
		const char *close = memchr(text, ']', n);

		if (close == NULL)
			return -1;
		hl = (size_t)(close - text - 1);
		if (close + 1 < text + n) {
			if (close[1] != ':')
				return -1;
			port = close + 2;
			pl = n - (size_t)(port - text);
		}
		text++;
	} else {
		const char *colon = memchr(text, ':', n);

		/* One colon: v4:port; more: a bare IPv6 address. */
		if (colon != NULL && memchr(colon + 1, ':', n - (size_t)(colon - text) - 1) == NULL) {
			hl = (size_t)(colon - text);
			port = colon + 1;
			pl = n - hl - 1;
		} else {
			hl = n;
		}
	}
	if (hl == 0 || hl >= sizeof(host))
		return -1;
	memcpy(host, text, hl);
	host[hl] = '\0';
	if (port != NULL && ((pv = decimal(port, pl, 65535)) < 1))
		return -1;
	return addr_parse(host, (int)pv, ss, len) < 0 ? -1 : 0;
}

void addr_format(const struct sockaddr *sa, bool with_port, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?";

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		if (with_port)
			snprintf(buf, len, "%s:%u", host, ntohs(in->sin_port));
		else
			snprintf(buf, len, "%s", host);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		if (with_port)
			snprintf(buf, len, "[%s]:%u", host, ntohs(in6->sin6_port));
		else
			snprintf(buf, len, "%s", host);
	} else {
		snprintf(buf, len, "(address family %d)", sa->sa_family);
	}
}

/* The address bytes of sa and their count (4 or 16); 0 for other families. */
static size_t ip_bytes(const struct sockaddr *sa, const unsigned char **bytes)
{
	if (sa->sa_family == AF_INET) {
		*bytes = (const unsigned char *)&((const struct sockaddr_in *)sa)->sin_addr;
		return 4;
	}
	if (sa->sa_family == AF_INET6) {
		*bytes = (const unsigned char *)&((const struct sockaddr_in6 *)sa)->sin6_addr;
		return 16;
	}
	return 0;
}

int addr_net_parse(const char *text, bool allow_host_bits, struct addr_net *net,
		   char *err, size_t errlen)
{
	const char *slash = strchr(text, '/');
	char host[ADDR_TEXT_MAX];
	size_t hl = slash ? (size_t)(slash - text) : strlen(text), nbytes;
	struct sockaddr_storage ss;
	socklen_t sl;
	const unsigned char *b = NULL;
	long prefix;
	bool host_bits = false;

	memset(net, 0, sizeof(*net));
	if (hl == 0 || hl >= sizeof(host)) {
		snprintf(err, errlen, "'%s' is not an address or network (ADDR/PREFIX)", text);
		return -1;
	}
	memcpy(host, text, hl);
	host[hl] = '\0';
	if (strchr(host, '%') != NULL || addr_parse(host, 0, &ss, &sl) < 0) {
		snprintf(err, errlen, "'%s' is not an address or network (ADDR/PREFIX)", text);
		return -1;
	}
	nbytes = ip_bytes((const struct sockaddr *)&ss, &b);
	net->family = ss.ss_family;
	memcpy(net->bytes, b, nbytes);
	prefix = (long)nbytes * 8;
	if (slash != NULL &&
	    (prefix = decimal(slash + 1, strlen(slash + 1), (long)nbytes * 8)) < 0) {
		snprintf(err, errlen, "'%s': the prefix must be 0 to %zu", text, nbytes * 8);
		return -1;
	}
	net->prefix = (unsigned)prefix;
	for (size_t bit = net->prefix; bit < nbytes * 8; bit++)
		if (net->bytes[bit / 8] & (0x80 >> (bit % 8))) {
			host_bits = true;
			net->bytes[bit / 8] &= (unsigned char)~(0x80 >> (bit % 8));
		}
	if (host_bits && !allow_host_bits) {
		addr_net_nth(net, 0, 0, &ss, &sl);
		addr_format((const struct sockaddr *)&ss, false, host, sizeof(host));
		snprintf(err, errlen, "'%s' has host bits set (the network is %s/%u)", text, host,
			 net->prefix);
		return -1;
	}
	return 0;
}

bool addr_net_contains(const struct addr_net *net, const struct sockaddr *sa)
{
	const unsigned char *b;
	size_t n = ip_bytes(sa, &b);

	if (n == 0 || sa->sa_family != net->family)
		return false;
	for (unsigned bit = 0; bit < net->prefix; bit++) {
		unsigned char m = (unsigned char)(0x80 >> (bit % 8));

		if ((b[bit / 8] & m) != (net->bytes[bit / 8] & m))
			return false;
	}
	return true;
}

uint64_t addr_net_size(const struct addr_net *net)
{
	unsigned bits = (net->family == AF_INET ? 32 : 128) - net->prefix;

	return bits >= 64 ? UINT64_MAX : (uint64_t)1 << bits;
}

void addr_net_nth(const struct addr_net *net, uint64_t i, int port,
		  struct sockaddr_storage *ss, socklen_t *len)
{
	size_t n = net->family == AF_INET ? 4 : 16;
	unsigned char b[16];
	unsigned carry = 0;

	memcpy(b, net->bytes, n);
	/* Add i to the address, from the last byte up. */
	for (size_t k = n; k-- > 0;) {
		unsigned sum = b[k] + (unsigned)(i & 0xff) + carry;

		b[k] = (unsigned char)sum;
		carry = sum >> 8;
		i >>= 8;
	}
	memset(ss, 0, sizeof(*ss));
	if (net->family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;

		in->sin_family = AF_INET;
		memcpy(&in->sin_addr, b, 4);
		*len = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

		in6->sin6_family = AF_INET6;
		memcpy(&in6->sin6_addr, b, 16);
		*len = sizeof(*in6);
	}
	addr_set_port(ss, port);
}

bool addr_same_ip(const struct sockaddr *a, const struct sockaddr *b)
{
	const unsigned char *x, *y;
	size_t n = ip_bytes(a, &x);

	return n > 0 && a->sa_family == b->sa_family && ip_bytes(b, &y) == n &&
	       memcmp(x, y, n) == 0;
}

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

int addr_host_lines(const char *text, size_t len, addr_host_fn each, void *ctx)
{
	const char *end = text + len;
	size_t lineno = 0;

	for (const char *line = text; line < end;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *stop = nl ? nl : end, *hash = memchr(line, '#', (size_t)(stop - line));
		const char *a = line, *b = hash ? hash : stop;
		int rc;

		lineno++;
		line = nl ? nl + 1 : end;
		while (a < b && blank(*a))
			a++;
		while (b > a && blank(b[-1]))
			b--;
		if (b > a && (rc = each(ctx, a, (size_t)(b - a), lineno)) != 0)
			return rc;
	}
	return 0;
}
