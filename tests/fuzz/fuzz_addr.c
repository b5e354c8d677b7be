/* libFuzzer target: addresses as options and lists give them (common/addr
 * and the server lists of common/resolve): IP literals with an IPv6
 * scope, "ADDR:PORT" and "[IPv6]:PORT", CIDR networks as -g takes them,
 * --dns-server lists "ADDR[:PORT],...", and host files (-f) as
 * addr_host_lines splits them.  The first input byte picks
 * a port and flags; the rest, up to a NUL, is the text.
 *
 * Invariants checked besides "no crash": an address written by
 * addr_format reads back to the same address (and port); a network's
 * size, first and last addresses lie in it and the address just outside
 * its prefix does not; the network written as ADDR/PREFIX reads back
 * (without host bits) to the same network; a DNS server list is taken
 * exactly when each of its entries is an address and port.
 * make fuzz builds and runs it. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "resolve.h"

static int port_of(const struct sockaddr_storage *ss)
{
	return ntohs(ss->ss_family == AF_INET ? ((const struct sockaddr_in *)ss)->sin_port
					      : ((const struct sockaddr_in6 *)ss)->sin6_port);
}

/* ss written and read back, with and without its port. */
static void reread(const struct sockaddr_storage *ss)
{
	char text[ADDR_TEXT_MAX];
	struct sockaddr_storage again;
	socklen_t len;

	addr_format((const struct sockaddr *)ss, false, text, sizeof(text));
	if (addr_parse(text, 7, &again, &len) != ss->ss_family || port_of(&again) != 7 ||
	    !addr_same_ip((const struct sockaddr *)ss, (const struct sockaddr *)&again) ||
	    !addr_is_literal(text))
		abort();
	if (port_of(ss) == 0)
		return;
	addr_format((const struct sockaddr *)ss, true, text, sizeof(text));
	if (addr_parse_hostport(text, strlen(text), 9, &again, &len) != 0 ||
	    port_of(&again) != port_of(ss) ||
	    !addr_same_ip((const struct sockaddr *)ss, (const struct sockaddr *)&again))
		abort();
}

static void literal(const char *text, int port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int f = addr_parse(text, port, &ss, &len);

	if (f < 0) {
		if (f != -1 || addr_is_literal(text))
			abort();
		return;
	}
	if (f != ss.ss_family || (f != AF_INET && f != AF_INET6) || port_of(&ss) != port ||
	    len != (f == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6)))
		abort();
	reread(&ss);
}

static void hostport(const char *text, size_t n, int port)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (addr_parse_hostport(text, n, port, &ss, &len) != 0)
		return;
	if (ss.ss_family != AF_INET && ss.ss_family != AF_INET6)
		abort();
	if (port_of(&ss) < 1 && port != 0)
		abort();
	reread(&ss);
}

static void network(const char *text, bool allow)
{
	struct addr_net net, again;
	struct sockaddr_storage ss;
	socklen_t len;
	char err[256] = "", a[ADDR_TEXT_MAX], back[ADDR_TEXT_MAX + 8];
	unsigned bits;
	uint64_t size;

	if (addr_net_parse(text, allow, &net, err, sizeof(err)) != 0) {
		if (err[0] == '\0')
			abort();
		return;
	}
	bits = net.family == AF_INET ? 32 : 128;
	if ((net.family != AF_INET && net.family != AF_INET6) || net.prefix > bits)
		abort();
	size = addr_net_size(&net);
	if (size == 0 || (bits - net.prefix < 64 && size != (uint64_t)1 << (bits - net.prefix)))
		abort();
	addr_net_nth(&net, 0, 0, &ss, &len);
	if (!addr_net_contains(&net, (struct sockaddr *)&ss))
		abort();
	addr_format((struct sockaddr *)&ss, false, a, sizeof(a));
	snprintf(back, sizeof(back), "%s/%u", a, net.prefix);
	if (addr_net_parse(back, false, &again, err, sizeof(err)) != 0 ||
	    again.family != net.family || again.prefix != net.prefix ||
	    memcmp(again.bytes, net.bytes, bits / 8) != 0)
		abort();
	if (net.prefix > 0) {
		/* The last bit of the prefix flipped: outside. */
		unsigned char *b = net.family == AF_INET
					   ? (unsigned char *)&((struct sockaddr_in *)&ss)->sin_addr
					   : (unsigned char *)&((struct sockaddr_in6 *)&ss)->sin6_addr;

		b[(net.prefix - 1) / 8] ^= (unsigned char)(0x80 >> ((net.prefix - 1) % 8));
		if (addr_net_contains(&net, (struct sockaddr *)&ss))
			abort();
	}
	addr_net_nth(&net, size - 1, 53, &ss, &len);
	if (!addr_net_contains(&net, (struct sockaddr *)&ss) || port_of(&ss) != 53)
		abort();
}

/* A list is taken when every entry is ADDR[:PORT] without a scope. */
static void servers(const char *text)
{
	char err[256] = "";
	const char *p = text;
	bool ok = *p != '\0';
	size_t count = 0;

	while (ok && *p != '\0') {
		size_t k = strcspn(p, ",");
		struct sockaddr_storage ss;
		socklen_t len;

		ok = addr_parse_hostport(p, k, 53, &ss, &len) == 0 &&
		     !(ss.ss_family == AF_INET6 && ((struct sockaddr_in6 *)&ss)->sin6_scope_id);
		count++;
		p += k;
		if (*p == ',')
			p++;
	}
	if (count > RESOLVE_MAX_SERVERS)
		ok = false;
	if ((resolver_check_servers(text, err, sizeof(err)) == 0) != ok || (!ok && err[0] == '\0'))
		abort();
}

/* addr_host_lines over the raw bytes (NULs and all): every host lies in
 * the text, is not empty, holds no newline or '#', has no blank at either
 * end, and its line number only grows and stays within the lines. */
struct lines_seen {
	const char *text;
	size_t len, last_line, max_line;
};

static int host_line(void *ctx, const char *host, size_t n, size_t lineno)
{
	struct lines_seen *ls = ctx;

	if (n == 0 || host < ls->text || host + n > ls->text + ls->len ||
	    memchr(host, '\n', n) != NULL || memchr(host, '#', n) != NULL ||
	    (host[0] != '\0' && strchr(" \t\r", host[0]) != NULL) ||
	    (host[n - 1] != '\0' && strchr(" \t\r", host[n - 1]) != NULL) ||
	    lineno <= ls->last_line || lineno > ls->max_line)
		abort();
	ls->last_line = lineno;
	return 0;
}

static void host_lines(const uint8_t *data, size_t size)
{
	struct lines_seen ls = { (const char *)data, size, 0, 1 };

	for (size_t i = 0; i < size; i++)
		ls.max_line += data[i] == '\n';
	if (addr_host_lines(ls.text, size, host_line, &ls) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;
	int port;

	if (size < 1)
		return 0;
	port = data[0] & 0x80 ? 0 : 1 + (data[0] & 0x7f) * 500;
	text = strndup((const char *)data + 1, size - 1);
	if (text == NULL)
		return 0;
	literal(text, port);
	hostport(text, strlen(text), port);
	network(text, data[0] & 1);
	servers(text);
	free(text);
	host_lines(data + 1, size - 1);
	return 0;
}
