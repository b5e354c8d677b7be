/* icmp: the pure functions only (no socket, no network): echo requests as
 * icmp_echo_build writes them, and replies and errors as the sockets
 * deliver them, built here from small descriptions (one table row each):
 * IPv4 with and without its IP header (raw and datagram sockets), ICMPv6,
 * errors quoting our request with or without its data, errors queued on a
 * datagram socket, damaged and foreign messages. */
#include <errno.h>
#include <time.h> /* linux/errqueue.h needs struct timespec */
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "icmp.h"
#include "suites.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define V4 AF_INET
#define V6 AF_INET6

/* What our requests carry, and where they went. */
#define IDENT 0xbeef
#define SEQ 0x0102
#define INDEX 0x89abcdefu /* big-endian in the data: 89 ab cd ef */
#define TTL_IN 57         /* TTL of the IPv4 packets delivered with their header */
static const unsigned char cookie[ICMP_COOKIE_LEN] = {
	0xc0, 0x0c, 0x1e, 0x5a, 0x11, 0x22, 0x33, 0x44,
};
static const unsigned char us4[4] = { 198, 51, 100, 1 }, dst4[4] = { 192, 0, 2, 7 };
static const unsigned char router4[4] = { 203, 0, 113, 9 };
static const unsigned char us6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const unsigned char dst6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 7 };

/* ---- packet builders ------------------------------------------------------ */

static void put16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

static void put32(unsigned char *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* RFC 1071 over n bytes, complemented: 0 for a packet whose checksum is
 * right (written here apart from icmp.c's). */
static uint16_t inet_check(const unsigned char *p, size_t n)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += i % 2 ? p[i] : (uint64_t)p[i] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void fix_sum(unsigned char *icmp, size_t n)
{
	put16(icmp + 2, 0);
	put16(icmp + 2, inet_check(icmp, n));
}

static bool is_echo_type(int family, uint8_t type)
{
	return family == V4 ? type == 0 || type == 8 : type == 128 || type == 129;
}

/* An echo header (IDENT, SEQ) and data bytes: as much of the tag (cookie,
 * INDEX) as fits, then icmp_echo_build's filler (byte i is i). */
static size_t put_echo(unsigned char *b, uint8_t type, uint8_t code, size_t data)
{
	unsigned char tag[ICMP_TAG_LEN];

	memcpy(tag, cookie, ICMP_COOKIE_LEN);
	put32(tag + ICMP_COOKIE_LEN, INDEX);
	b[0] = type;
	b[1] = code;
	put16(b + 2, 0);
	put16(b + 4, IDENT);
	put16(b + 6, SEQ);
	for (size_t i = 0; i < data; i++)
		b[ICMP_HDR_LEN + i] = i < ICMP_TAG_LEN ? tag[i] : (unsigned char)i;
	return ICMP_HDR_LEN + data;
}

/* An IPv4 header of ihl 32-bit words. */
static size_t put_ip4(unsigned char *b, unsigned ihl, uint8_t proto, const unsigned char *src,
		      const unsigned char *dst, size_t total, uint8_t ttl)
{
	memset(b, 0, ihl * 4);
	b[0] = (unsigned char)(0x40 | (ihl & 0x0f));
	put16(b + 2, (uint16_t)total);
	put16(b + 4, 0x4242); /* id */
	b[8] = ttl;
	b[9] = proto;
	memcpy(b + 12, src, 4);
	memcpy(b + 16, dst, 4);
	for (unsigned i = 20; i < ihl * 4; i++)
		b[i] = 1; /* options: NOP */
	put16(b + 10, inet_check(b, ihl * 4));
	return ihl * 4;
}

static size_t put_ip6(unsigned char *b, uint8_t next, const unsigned char *src,
		      const unsigned char *dst, size_t payload)
{
	memset(b, 0, 40);
	b[0] = 0x60;
	put16(b + 4, (uint16_t)payload);
	b[6] = next;
	b[7] = 64;
	memcpy(b + 8, src, 16);
	memcpy(b + 24, dst, 16);
	return 40;
}

/* What an error quotes. */
enum quote {
	Q_OURS,        /* our echo request: IP header, echo header, `data` bytes */
	Q_OPTIONS,     /* the same, its IPv4 header with options (24 bytes) */
	Q_NOT_ICMP,    /* a UDP packet */
	Q_NOT_ECHO,    /* ICMP, but an echo reply */
	Q_OTHER_IP,    /* the other IP version's header */
	Q_SHORT_IP,    /* an IP header cut short */
	Q_SHORT_ICMP,  /* the IP header and 4 bytes of the ICMP header */
	Q_BAD_IHL,     /* IPv4 header length field 4 (16 bytes) */
};

/* What is done to the message after it is built. */
enum mangle {
	M_NONE,
	M_BAD_SUM,     /* ICMP checksum wrong */
	M_PAD,         /* 6 bytes past the IP total length (raw only) */
	M_OPTIONS,     /* the outer IPv4 header carries options (IHL 6) */
	M_OUTER_V6,    /* outer header version 6 */
	M_OUTER_UDP,   /* outer protocol UDP */
	M_OUTER_IHL4,  /* outer IHL 4 */
	M_OUTER_IHL15, /* outer IHL 15: 60 bytes, more than there are */
	M_TOTAL_SHORT, /* IP total length 19, below the header's */
	M_FILLER,      /* the last data byte is not the filler (checksum right) */
};

struct pkt_spec {
	int family;
	bool ip;         /* delivered with its IPv4 header (raw IPv4 socket) */
	uint8_t type, code;
	uint32_t word;   /* errors: bytes 4-7 (MTU, pointer, gateway) */
	size_t data;     /* echo: data bytes; error: data bytes of the quoted
			  * request after its echo header */
	enum quote quote;
	enum mangle mangle;
	size_t keep;     /* > 0: only this many bytes are delivered */
};

/* The quoted IP packet of an error, into b. */
static size_t put_quote(unsigned char *b, int family, enum quote q, size_t data)
{
	int qfam = q == Q_OTHER_IP ? (family == V4 ? V6 : V4) : family;
	uint8_t proto = q == Q_NOT_ICMP ? IPPROTO_UDP : qfam == V4 ? IPPROTO_ICMP : IPPROTO_ICMPV6;
	uint8_t type = qfam == V4 ? (q == Q_NOT_ECHO ? 0 : 8) : (q == Q_NOT_ECHO ? 129 : 128);
	size_t sent = ICMP_HDR_LEN + 56; /* what the request was */
	size_t hl;

	if (qfam == V4)
		hl = put_ip4(b, q == Q_OPTIONS ? 6 : 5, proto, us4, dst4, 20 + sent, 1);
	else
		hl = put_ip6(b, proto, us6, dst6, sent);
	if (q == Q_BAD_IHL)
		b[0] = 0x44;
	if (q == Q_SHORT_IP)
		return hl - 1;
	put_echo(b + hl, type, 0, sent - ICMP_HDR_LEN);
	fix_sum(b + hl, sent); /* as it was sent: over all of it; then cut */
	if (q == Q_SHORT_ICMP)
		return hl + 4;
	return hl + ICMP_HDR_LEN + data;
}

/* Builds the message of spec into b as the socket delivers it; returns
 * its length. */
static size_t build(const struct pkt_spec *s, unsigned char *b)
{
	unsigned char *icmp;
	size_t hl = 0, n;

	if (s->ip)
		hl = s->mangle == M_OPTIONS ? 24 : 20;
	icmp = b + hl;
	if (is_echo_type(s->family, s->type)) {
		n = put_echo(icmp, s->type, s->code, s->data);
		if (s->mangle == M_FILLER)
			icmp[n - 1] ^= 0xff;
	} else {
		icmp[0] = s->type;
		icmp[1] = s->code;
		put16(icmp + 2, 0);
		put32(icmp + 4, s->word);
		n = ICMP_HDR_LEN + put_quote(icmp + ICMP_HDR_LEN, s->family, s->quote, s->data);
	}
	if (s->family == V4)
		fix_sum(icmp, n);
	else
		put16(icmp + 2, 0x1234); /* the kernel checked it; never read */
	if (s->mangle == M_BAD_SUM)
		icmp[2] ^= 0x5a;
	if (s->ip) {
		put_ip4(b, (unsigned)hl / 4, IPPROTO_ICMP, s->type == 0 ? dst4 : router4, us4, hl + n,
			TTL_IN);
		switch (s->mangle) {
		case M_OUTER_V6: b[0] = (unsigned char)(0x60 | (b[0] & 0x0f)); break;
		case M_OUTER_UDP: b[9] = IPPROTO_UDP; break;
		case M_OUTER_IHL4: b[0] = 0x44; break;
		case M_OUTER_IHL15: b[0] = 0x4f; break;
		case M_TOTAL_SHORT: put16(b + 2, 19); break;
		case M_PAD: memset(b + hl + n, 0xff, 6); n += 6; break;
		default: break;
		}
	}
	n += hl;
	return s->keep && s->keep < n ? s->keep : n;
}

/* ---- what a parse must give --------------------------------------------- */

struct want {
	enum icmp_msg_kind kind;
	enum icmp_error error; /* ICMP_MSG_ERROR */
	bool tagged;
	uint32_t mtu;
};

static void check_msg(const char *name, const struct pkt_spec *s, const struct icmp_msg *m,
		      const struct want *w)
{
	ck_assert_msg(m->kind == w->kind, "%s: kind %d, want %d", name, m->kind, w->kind);
	if (w->kind == ICMP_MSG_IGNORED)
		return;
	ck_assert_msg(m->type == s->type && m->code == s->code, "%s: type %u code %u", name,
		      m->type, m->code);
	ck_assert_msg(m->ident == IDENT && m->seq == SEQ, "%s: ident %#x seq %#x", name, m->ident,
		      m->seq);
	ck_assert_msg(m->tagged == w->tagged, "%s: tagged %d", name, m->tagged);
	if (w->tagged) {
		ck_assert_msg(memcmp(m->cookie, cookie, ICMP_COOKIE_LEN) == 0, "%s: cookie", name);
		ck_assert_msg(m->index == INDEX, "%s: index %#x", name, m->index);
	}
	ck_assert_msg(m->ttl == (s->ip ? TTL_IN : -1), "%s: ttl %d", name, m->ttl);
	if (w->kind == ICMP_MSG_REPLY) {
		size_t hl = s->ip ? (s->mangle == M_OPTIONS ? 24 : 20) : 0;
		size_t data = s->keep && s->keep < hl + ICMP_HDR_LEN + s->data
			      ? s->keep - hl - ICMP_HDR_LEN : s->data;

		ck_assert_msg(!m->has_probe_to, "%s: a reply has no probe_to", name);
		ck_assert_msg(m->data_len == data, "%s: data_len %zu, want %zu", name, m->data_len,
			      data);
		ck_assert_msg(m->filler_ok == (w->tagged && s->mangle != M_FILLER),
			      "%s: filler_ok %d", name, m->filler_ok);
		return;
	}
	ck_assert_msg(m->error == w->error, "%s: error %d (%s), want %d (%s)", name, m->error,
		      icmp_error_text(m->error), w->error, icmp_error_text(w->error));
	ck_assert_msg(m->mtu == w->mtu, "%s: mtu %u, want %u", name, m->mtu, w->mtu);
	ck_assert_msg(m->has_probe_to, "%s: no probe_to", name);
	ck_assert_int_eq(m->probe_to.ss_family, s->family);
	if (s->family == V4)
		ck_assert(memcmp(&((const struct sockaddr_in *)&m->probe_to)->sin_addr, dst4, 4) == 0);
	else
		ck_assert(memcmp(&((const struct sockaddr_in6 *)&m->probe_to)->sin6_addr, dst6, 16) ==
			  0);
}

/* ---- icmp_parse: one table row per message -------------------------------- */

/* A message (family, ip, type, code, word, data), and one quoting q. */
#define P(f, ip, t, c, w, d) { f, ip, t, c, w, d, Q_OURS, M_NONE, 0 }
#define PQ(f, ip, t, c, w, d, q) { f, ip, t, c, w, d, q, M_NONE, 0 }
#define REPLY(tagged) { ICMP_MSG_REPLY, ICMP_ERR_NONE, tagged, 0 }
#define ERROR(e, tagged, mtu) { ICMP_MSG_ERROR, e, tagged, mtu }
#define IGNORED { ICMP_MSG_IGNORED, ICMP_ERR_NONE, false, 0 }

static const struct parse_case {
	const char *name;
	struct pkt_spec s;
	struct want w;
} parse_cases[] = {
	/* IPv4 echo replies */
	{ "v4 reply", P(V4, false, 0, 0, 0, 56), REPLY(true) },
	{ "v4 reply with IP header", P(V4, true, 0, 0, 0, 56), REPLY(true) },
	{ "v4 reply, tag only", P(V4, false, 0, 0, 0, 12), REPLY(true) },
	{ "v4 reply, tag only, with IP header", P(V4, true, 0, 0, 0, 12), REPLY(true) },
	{ "v4 reply, 11 data bytes", P(V4, false, 0, 0, 0, 11), REPLY(false) },
	{ "v4 reply, 11 data bytes, with IP header", P(V4, true, 0, 0, 0, 11), REPLY(false) },
	{ "v4 reply, header only", P(V4, false, 0, 0, 0, 0), REPLY(false) },
	{ "v4 reply, odd length", P(V4, true, 0, 0, 0, 13), REPLY(true) },
	{ "v4 reply, bad checksum, raw: checked", { V4, true, 0, 0, 0, 56, .mangle = M_BAD_SUM },
	  IGNORED },
	{ "v4 reply, bad checksum, dgram: kernel checked",
	  { V4, false, 0, 0, 0, 56, .mangle = M_BAD_SUM }, REPLY(true) },
	/* cut short by the receive buffer: the checksum cannot be checked */
	{ "v4 reply cut short, bad checksum, raw",
	  { V4, true, 0, 0, 0, 56, .mangle = M_BAD_SUM, .keep = 20 + 8 + 20 }, REPLY(true) },
	{ "v4 reply cut short, raw", { V4, true, 0, 0, 0, 56, .keep = 20 + 8 + 12 }, REPLY(true) },
	{ "v4 reply cut to its tag's end - 1, raw", { V4, true, 0, 0, 0, 56, .keep = 20 + 8 + 11 },
	  REPLY(false) },
	/* bytes past the IP total length are not the message's */
	{ "v4 reply with trailing bytes, raw", { V4, true, 0, 0, 0, 56, .mangle = M_PAD },
	  REPLY(true) },
	{ "v4 reply, IP options", { V4, true, 0, 0, 0, 56, .mangle = M_OPTIONS }, REPLY(true) },
	/* the data came back changed: still a reply, filler_ok false */
	{ "v4 reply, filler changed", { V4, false, 0, 0, 0, 56, .mangle = M_FILLER }, REPLY(true) },
	{ "v4 reply, filler changed, raw", { V4, true, 0, 0, 0, 13, .mangle = M_FILLER },
	  REPLY(true) },
	{ "v4 reply, large", P(V4, false, 0, 0, 0, 1400), REPLY(true) },
	{ "v4 reply, code 1", P(V4, false, 0, 1, 0, 56), IGNORED },
	{ "v4 reply, code 1, raw", P(V4, true, 0, 1, 0, 56), IGNORED },
	/* truncated headers */
	{ "v4 ICMP header cut (7 bytes)", { V4, false, 0, 0, 0, 56, .keep = 7 }, IGNORED },
	{ "v4 ICMP header only (8 bytes)", { V4, false, 0, 0, 0, 56, .keep = 8 }, REPLY(false) },
	{ "v4 IP header cut (19 bytes)", { V4, true, 0, 0, 0, 56, .keep = 19 }, IGNORED },
	{ "v4 IP header and 7 bytes", { V4, true, 0, 0, 0, 56, .keep = 27 }, IGNORED },
	{ "v4 nothing", { V4, false, 0, 0, 0, 56, .keep = 0 + 1 }, IGNORED },
	/* outer IPv4 header damaged */
	{ "outer version 6", { V4, true, 0, 0, 0, 56, .mangle = M_OUTER_V6 }, IGNORED },
	{ "outer protocol UDP", { V4, true, 0, 0, 0, 56, .mangle = M_OUTER_UDP }, IGNORED },
	{ "outer IHL 4", { V4, true, 0, 0, 0, 56, .mangle = M_OUTER_IHL4 }, IGNORED },
	{ "outer IHL past the end", { V4, true, 0, 0, 0, 0, .mangle = M_OUTER_IHL15 }, IGNORED },
	{ "outer total below header", { V4, true, 0, 0, 0, 56, .mangle = M_TOTAL_SHORT }, IGNORED },
	/* not replies */
	{ "v4 echo request", P(V4, false, 8, 0, 0, 56), IGNORED },
	{ "v4 echo request, raw", P(V4, true, 8, 0, 0, 56), IGNORED },
	{ "v4 redirect quoting our request", P(V4, false, 5, 1, 0x0a000001, 56), IGNORED },
	{ "v4 source quench quoting our request", P(V4, false, 4, 0, 0, 56), IGNORED },
	{ "v4 timestamp reply", P(V4, false, 14, 0, 0, 12), IGNORED },
	{ "v4 type 129 is no reply", P(V4, false, 129, 0, 0, 56), IGNORED },

	/* IPv4 errors quoting our request */
	{ "v4 unreachable, 8 bytes quoted", P(V4, false, 3, 1, 0, 0),
	  ERROR(ICMP_ERR_HOST_UNREACH, false, 0) },
	{ "v4 unreachable, data quoted", P(V4, false, 3, 1, 0, 56),
	  ERROR(ICMP_ERR_HOST_UNREACH, true, 0) },
	{ "v4 unreachable, 11 data bytes quoted", P(V4, false, 3, 1, 0, 11),
	  ERROR(ICMP_ERR_HOST_UNREACH, false, 0) },
	{ "v4 unreachable, raw", P(V4, true, 3, 0, 0, 0), ERROR(ICMP_ERR_NET_UNREACH, false, 0) },
	{ "v4 unreachable, raw, bad checksum", { V4, true, 3, 0, 0, 0, .mangle = M_BAD_SUM },
	  IGNORED },
	{ "v4 unreachable, dgram, bad checksum", { V4, false, 3, 0, 0, 0, .mangle = M_BAD_SUM },
	  ERROR(ICMP_ERR_NET_UNREACH, false, 0) },
	{ "v4 unreachable, quoted IP options", PQ(V4, false, 3, 3, 0, 56, Q_OPTIONS),
	  ERROR(ICMP_ERR_PORT_UNREACH, true, 0) },
	{ "v4 frag needed, MTU 1400", P(V4, false, 3, 4, 0x00000578, 0),
	  ERROR(ICMP_ERR_FRAG_NEEDED, false, 1400) },
	/* the MTU is bytes 6-7 only: 4-5 are unused (or RFC 4884's length) */
	{ "v4 frag needed, bytes 4-5 set", P(V4, true, 3, 4, 0xab0105dc, 56),
	  ERROR(ICMP_ERR_FRAG_NEEDED, true, 1500) },
	{ "v4 frag needed, no MTU", P(V4, false, 3, 4, 0, 0), ERROR(ICMP_ERR_FRAG_NEEDED, false, 0) },
	{ "v4 not frag needed: no MTU", P(V4, false, 3, 1, 0x00000578, 0),
	  ERROR(ICMP_ERR_HOST_UNREACH, false, 0) },
	{ "v4 time exceeded in transit", P(V4, false, 11, 0, 0, 0),
	  ERROR(ICMP_ERR_TTL_EXCEEDED, false, 0) },
	{ "v4 time exceeded in transit, raw, data", P(V4, true, 11, 0, 0, 56),
	  ERROR(ICMP_ERR_TTL_EXCEEDED, true, 0) },
	{ "v4 reassembly time exceeded", P(V4, false, 11, 1, 0, 0),
	  ERROR(ICMP_ERR_REASSEMBLY, false, 0) },
	{ "v4 parameter problem", P(V4, false, 12, 0, 0x14000000, 0),
	  ERROR(ICMP_ERR_PARAM, false, 0) },
	{ "v4 parameter problem, raw", P(V4, true, 12, 1, 0, 12), ERROR(ICMP_ERR_PARAM, true, 0) },
	/* quoting something that is not our request */
	{ "v4 error quoting UDP", PQ(V4, false, 3, 3, 0, 56, Q_NOT_ICMP), IGNORED },
	{ "v4 error quoting an echo reply", PQ(V4, false, 11, 0, 0, 56, Q_NOT_ECHO), IGNORED },
	{ "v4 error quoting IPv6", PQ(V4, false, 3, 1, 0, 56, Q_OTHER_IP), IGNORED },
	{ "v4 error quoting a cut IP header", PQ(V4, false, 3, 1, 0, 0, Q_SHORT_IP), IGNORED },
	{ "v4 error quoting 4 ICMP bytes", PQ(V4, false, 3, 1, 0, 0, Q_SHORT_ICMP), IGNORED },
	{ "v4 error quoting IHL 4", PQ(V4, false, 3, 1, 0, 56, Q_BAD_IHL), IGNORED },
	{ "v4 error, ICMP header only", { V4, false, 3, 1, 0, 56, .keep = 8 }, IGNORED },
	{ "v4 error, raw, cut in the quote", { V4, true, 11, 0, 0, 56, .keep = 20 + 8 + 20 + 8 + 5 },
	  ERROR(ICMP_ERR_TTL_EXCEEDED, false, 0) },
	{ "v4 error with IP header, as IPv6", P(V6, true, 3, 1, 0, 0), IGNORED },

	/* IPv6 echo replies (the kernel checked every ICMPv6 checksum) */
	{ "v6 reply", P(V6, false, 129, 0, 0, 56), REPLY(true) },
	{ "v6 reply, tag only", P(V6, false, 129, 0, 0, 12), REPLY(true) },
	{ "v6 reply, 11 data bytes", P(V6, false, 129, 0, 0, 11), REPLY(false) },
	{ "v6 reply, header only", P(V6, false, 129, 0, 0, 0), REPLY(false) },
	{ "v6 reply, checksum not ours to check", { V6, false, 129, 0, 0, 56, .mangle = M_BAD_SUM },
	  REPLY(true) },
	{ "v6 reply, filler changed", { V6, false, 129, 0, 0, 57, .mangle = M_FILLER },
	  REPLY(true) },
	{ "v6 reply, code 1", P(V6, false, 129, 1, 0, 56), IGNORED },
	{ "v6 reply, 7 bytes", { V6, false, 129, 0, 0, 56, .keep = 7 }, IGNORED },
	{ "v6 reply, with IP header asked", P(V6, true, 129, 0, 0, 56), IGNORED },
	{ "v6 echo request", P(V6, false, 128, 0, 0, 56), IGNORED },
	{ "v6 type 0 is no reply", P(V6, false, 0, 0, 0, 56), IGNORED },
	{ "v6 redirect", P(V6, false, 137, 0, 0, 56), IGNORED },
	{ "v6 neighbour advertisement", P(V6, false, 136, 0, 0, 56), IGNORED },
	/* IPv6 errors */
	{ "v6 unreachable, 8 bytes quoted", P(V6, false, 1, 3, 0, 0),
	  ERROR(ICMP_ERR_HOST_UNREACH, false, 0) },
	{ "v6 unreachable, data quoted", P(V6, false, 1, 0, 0, 56),
	  ERROR(ICMP_ERR_NET_UNREACH, true, 0) },
	{ "v6 packet too big, MTU 1280", P(V6, false, 2, 0, 1280, 0),
	  ERROR(ICMP_ERR_FRAG_NEEDED, false, 1280) },
	/* 32 bits: a jumbogram link, more than 16 bits hold */
	{ "v6 packet too big, MTU 65536+", P(V6, false, 2, 0, 0x00012345, 56),
	  ERROR(ICMP_ERR_FRAG_NEEDED, true, 0x12345) },
	{ "v6 time exceeded", P(V6, false, 3, 0, 0, 0), ERROR(ICMP_ERR_TTL_EXCEEDED, false, 0) },
	{ "v6 reassembly time exceeded", P(V6, false, 3, 1, 0, 56),
	  ERROR(ICMP_ERR_REASSEMBLY, true, 0) },
	{ "v6 parameter problem", P(V6, false, 4, 1, 40, 0), ERROR(ICMP_ERR_PARAM, false, 0) },
	{ "v6 not too big: no MTU", P(V6, false, 1, 4, 1280, 0),
	  ERROR(ICMP_ERR_PORT_UNREACH, false, 0) },
	{ "v6 error quoting UDP", PQ(V6, false, 1, 4, 0, 56, Q_NOT_ICMP), IGNORED },
	{ "v6 error quoting an echo reply", PQ(V6, false, 3, 0, 0, 56, Q_NOT_ECHO), IGNORED },
	{ "v6 error quoting IPv4", PQ(V6, false, 1, 3, 0, 56, Q_OTHER_IP), IGNORED },
	{ "v6 error quoting 39 header bytes", PQ(V6, false, 1, 3, 0, 0, Q_SHORT_IP), IGNORED },
	{ "v6 error quoting 4 ICMP bytes", PQ(V6, false, 1, 3, 0, 0, Q_SHORT_ICMP), IGNORED },
	{ "v6 error, 7 bytes", { V6, false, 1, 3, 0, 0, .keep = 7 }, IGNORED },
};

START_TEST(test_icmp_parse)
{
	const struct parse_case *c = &parse_cases[_i];
	unsigned char b[2048];
	struct icmp_msg m;
	size_t n = build(&c->s, b);

	memset(&m, 0xa5, sizeof(m));
	ck_assert_int_eq(icmp_parse(c->s.family, c->s.ip, b, n, &m), c->w.kind);
	check_msg(c->name, &c->s, &m, &c->w);
}
END_TEST

/* Every code of IPv4 destination unreachable (RFC 792, RFC 1812), with
 * and without the IP header; a code past 15 is "other". */
static const enum icmp_error v4_unreach[] = {
	ICMP_ERR_NET_UNREACH,   /* 0 net */
	ICMP_ERR_HOST_UNREACH,  /* 1 host */
	ICMP_ERR_PROTO_UNREACH, /* 2 protocol */
	ICMP_ERR_PORT_UNREACH,  /* 3 port */
	ICMP_ERR_FRAG_NEEDED,   /* 4 fragmentation needed and DF set */
	ICMP_ERR_OTHER,         /* 5 source route failed */
	ICMP_ERR_NET_UNREACH,   /* 6 destination network unknown */
	ICMP_ERR_HOST_UNREACH,  /* 7 destination host unknown */
	ICMP_ERR_HOST_UNREACH,  /* 8 source host isolated */
	ICMP_ERR_PROHIBITED,    /* 9 network administratively prohibited */
	ICMP_ERR_PROHIBITED,    /* 10 host administratively prohibited */
	ICMP_ERR_NET_UNREACH,   /* 11 network unreachable for TOS */
	ICMP_ERR_HOST_UNREACH,  /* 12 host unreachable for TOS */
	ICMP_ERR_PROHIBITED,    /* 13 communication administratively prohibited */
	ICMP_ERR_PROHIBITED,    /* 14 host precedence violation */
	ICMP_ERR_PROHIBITED,    /* 15 precedence cutoff in effect */
	ICMP_ERR_OTHER,         /* 16: none such */
	ICMP_ERR_OTHER,         /* 17 */
};

START_TEST(test_icmp_v4_unreach_codes)
{
	for (int raw = 0; raw < 2; raw++) {
		struct pkt_spec s = P(V4, raw, 3, (uint8_t)_i, 0x5dc, _i % 2 ? 56 : 0);
		struct want w = ERROR(v4_unreach[_i], _i % 2, _i == 4 ? 1500 : 0);
		unsigned char b[512];
		struct icmp_msg m;
		size_t n = build(&s, b);
		char name[64];

		snprintf(name, sizeof(name), "v4 unreachable code %d%s", _i, raw ? ", raw" : "");
		ck_assert_int_eq(icmp_parse(V4, raw, b, n, &m), ICMP_MSG_ERROR);
		check_msg(name, &s, &m, &w);
	}
}
END_TEST

/* Every code of ICMPv6 destination unreachable (RFC 4443, 8554, 8883). */
static const enum icmp_error v6_unreach[] = {
	ICMP_ERR_NET_UNREACH,   /* 0 no route to destination */
	ICMP_ERR_PROHIBITED,    /* 1 administratively prohibited */
	ICMP_ERR_OTHER,         /* 2 beyond scope of source address */
	ICMP_ERR_HOST_UNREACH,  /* 3 address unreachable */
	ICMP_ERR_PORT_UNREACH,  /* 4 port unreachable */
	ICMP_ERR_PROHIBITED,    /* 5 source address failed policy */
	ICMP_ERR_PROHIBITED,    /* 6 reject route to destination */
	ICMP_ERR_OTHER,         /* 7 error in source routing header */
	ICMP_ERR_OTHER,         /* 8 headers too long */
	ICMP_ERR_OTHER,         /* 9: none such */
};

START_TEST(test_icmp_v6_unreach_codes)
{
	struct pkt_spec s = P(V6, false, 1, (uint8_t)_i, 1280, _i % 2 ? 56 : 0);
	struct want w = ERROR(v6_unreach[_i], _i % 2, 0);
	unsigned char b[512];
	struct icmp_msg m;
	size_t n = build(&s, b);
	char name[64];

	snprintf(name, sizeof(name), "v6 unreachable code %d", _i);
	ck_assert_int_eq(icmp_parse(V6, false, b, n, &m), ICMP_MSG_ERROR);
	check_msg(name, &s, &m, &w);
}
END_TEST

/* A message cut anywhere is ignored or parsed, never read past: every
 * prefix of every table message (valgrind and the fuzz target see the
 * reads; here the result must be one of the three kinds). */
START_TEST(test_icmp_parse_every_prefix)
{
	for (int i = 0; i < N(parse_cases); i++) {
		const struct pkt_spec *s = &parse_cases[i].s;
		unsigned char b[2048];
		size_t n = build(s, b);

		for (size_t k = 0; k <= n; k++) {
			unsigned char *copy = malloc(k ? k : 1);
			struct icmp_msg m;
			enum icmp_msg_kind kind;

			memcpy(copy, b, k);
			kind = icmp_parse(s->family, s->ip, copy, k, &m);
			if ((kind != ICMP_MSG_IGNORED && kind != ICMP_MSG_REPLY &&
			     kind != ICMP_MSG_ERROR) || m.kind != kind)
				ck_abort_msg("%s cut to %zu bytes: kind %d, m.kind %d",
					     parse_cases[i].name, k, kind, m.kind);
			free(copy);
		}
	}
}
END_TEST

/* ---- icmp_parse_queued ---------------------------------------------------- */

static const struct queued_case {
	const char *name;
	int family;
	struct icmp_queued q; /* dest filled in from dest_family */
	int dest_family;      /* 0: no destination */
	uint8_t pkt_type;     /* type of the returned request */
	size_t data;          /* its data bytes */
	struct want w;
} queued_cases[] = {
	{ "v4 host unreachable", V4, { EHOSTUNREACH, SO_EE_ORIGIN_ICMP, 3, 1, 0, NULL }, V4, 8, 56,
	  ERROR(ICMP_ERR_HOST_UNREACH, true, 0) },
	{ "v4 net unreachable, header only", V4, { ENETUNREACH, SO_EE_ORIGIN_ICMP, 3, 0, 0, NULL },
	  V4, 8, 0, ERROR(ICMP_ERR_NET_UNREACH, false, 0) },
	{ "v4 frag needed", V4, { EMSGSIZE, SO_EE_ORIGIN_ICMP, 3, 4, 1400, NULL }, V4, 8, 56,
	  ERROR(ICMP_ERR_FRAG_NEEDED, true, 1400) },
	{ "v4 time exceeded", V4, { EHOSTUNREACH, SO_EE_ORIGIN_ICMP, 11, 0, 0, NULL }, V4, 8, 56,
	  ERROR(ICMP_ERR_TTL_EXCEEDED, true, 0) },
	{ "v4 parameter problem", V4, { EPROTO, SO_EE_ORIGIN_ICMP, 12, 0, 0, NULL }, V4, 8, 12,
	  ERROR(ICMP_ERR_PARAM, true, 0) },
	{ "v4 port unreachable: no MTU", V4, { ECONNREFUSED, SO_EE_ORIGIN_ICMP, 3, 3, 1400, NULL },
	  V4, 8, 56, ERROR(ICMP_ERR_PORT_UNREACH, true, 0) },
	{ "v4 redirect", V4, { 0, SO_EE_ORIGIN_ICMP, 5, 1, 0, NULL }, V4, 8, 56, IGNORED },
	{ "v6 address unreachable", V6, { EHOSTUNREACH, SO_EE_ORIGIN_ICMP6, 1, 3, 0, NULL }, V6, 128,
	  56, ERROR(ICMP_ERR_HOST_UNREACH, true, 0) },
	{ "v6 too big", V6, { EMSGSIZE, SO_EE_ORIGIN_ICMP6, 2, 0, 1280, NULL }, V6, 128, 56,
	  ERROR(ICMP_ERR_FRAG_NEEDED, true, 1280) },
	{ "v6 time exceeded, 11 bytes", V6, { EHOSTUNREACH, SO_EE_ORIGIN_ICMP6, 3, 0, 0, NULL }, V6,
	  128, 11, ERROR(ICMP_ERR_TTL_EXCEEDED, false, 0) },
	{ "v6 parameter problem", V6, { EPROTO, SO_EE_ORIGIN_ICMP6, 4, 0, 0, NULL }, V6, 128, 56,
	  ERROR(ICMP_ERR_PARAM, true, 0) },
	/* a local EMSGSIZE (larger than the known path MTU, with -M) */
	{ "v4 local EMSGSIZE", V4, { EMSGSIZE, SO_EE_ORIGIN_LOCAL, 0, 0, 1492, NULL }, V4, 8, 56,
	  ERROR(ICMP_ERR_FRAG_NEEDED, true, 1492) },
	{ "v6 local EMSGSIZE", V6, { EMSGSIZE, SO_EE_ORIGIN_LOCAL, 0, 0, 1280, NULL }, V6, 128, 56,
	  ERROR(ICMP_ERR_FRAG_NEEDED, true, 1280) },
	{ "local, not EMSGSIZE", V4, { ENOBUFS, SO_EE_ORIGIN_LOCAL, 0, 0, 0, NULL }, V4, 8, 56,
	  IGNORED },
	/* origin and family must agree */
	{ "ICMP origin on IPv6", V6, { EHOSTUNREACH, SO_EE_ORIGIN_ICMP, 3, 1, 0, NULL }, V6, 128, 56,
	  IGNORED },
	{ "ICMP6 origin on IPv4", V4, { EHOSTUNREACH, SO_EE_ORIGIN_ICMP6, 1, 3, 0, NULL }, V4, 8, 56,
	  IGNORED },
	{ "no origin", V4, { EHOSTUNREACH, SO_EE_ORIGIN_NONE, 3, 1, 0, NULL }, V4, 8, 56, IGNORED },
	/* the returned packet must be our echo request */
	{ "v4 returned echo reply", V4, { EHOSTUNREACH, SO_EE_ORIGIN_ICMP, 3, 1, 0, NULL }, V4, 0, 56,
	  IGNORED },
	{ "v6 returned IPv4 echo request", V6, { EHOSTUNREACH, SO_EE_ORIGIN_ICMP6, 1, 3, 0, NULL },
	  V6, 8, 56, IGNORED },
	{ "v6 returned echo reply", V6, { EHOSTUNREACH, SO_EE_ORIGIN_ICMP6, 1, 3, 0, NULL }, V6, 129,
	  56, IGNORED },
	/* where it went: only from an address of the family */
	{ "v4, no destination", V4, { EHOSTUNREACH, SO_EE_ORIGIN_ICMP, 3, 1, 0, NULL }, 0, 8, 56,
	  ERROR(ICMP_ERR_HOST_UNREACH, true, 0) },
	{ "v4, IPv6 destination", V4, { EHOSTUNREACH, SO_EE_ORIGIN_ICMP, 3, 1, 0, NULL }, V6, 8, 56,
	  ERROR(ICMP_ERR_HOST_UNREACH, true, 0) },
};

START_TEST(test_icmp_parse_queued)
{
	const struct queued_case *c = &queued_cases[_i];
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = 0 };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
	struct icmp_queued q = c->q;
	unsigned char b[512];
	struct icmp_msg m;
	size_t n = put_echo(b, c->pkt_type, 0, c->data);

	memcpy(&sin.sin_addr, dst4, 4);
	memcpy(&sin6.sin6_addr, dst6, 16);
	q.dest = c->dest_family == V4 ? (const struct sockaddr *)&sin
	       : c->dest_family == V6 ? (const struct sockaddr *)&sin6 : NULL;
	memset(&m, 0xa5, sizeof(m));
	ck_assert_msg(icmp_parse_queued(c->family, &q, b, n, &m) == c->w.kind, "%s: kind %d", c->name,
		      m.kind);
	ck_assert_int_eq(m.kind, c->w.kind);
	if (c->w.kind == ICMP_MSG_IGNORED)
		return;
	ck_assert_msg(m.error == c->w.error, "%s: error %s", c->name, icmp_error_text(m.error));
	ck_assert_msg(m.mtu == c->w.mtu, "%s: mtu %u", c->name, m.mtu);
	ck_assert_msg(m.type == q.type && m.code == q.code, "%s: type/code", c->name);
	ck_assert_msg(m.ident == IDENT && m.seq == SEQ, "%s: ident/seq", c->name);
	ck_assert_msg(m.tagged == c->w.tagged, "%s: tagged %d", c->name, m.tagged);
	if (c->w.tagged)
		ck_assert(m.index == INDEX && memcmp(m.cookie, cookie, ICMP_COOKIE_LEN) == 0);
	ck_assert_int_eq(m.ttl, -1);
	ck_assert_msg(m.has_probe_to == (c->dest_family == c->family), "%s: has_probe_to %d",
		      c->name, m.has_probe_to);
	if (m.has_probe_to && c->family == V4)
		ck_assert(memcmp(&((struct sockaddr_in *)&m.probe_to)->sin_addr, dst4, 4) == 0);
	if (m.has_probe_to && c->family == V6)
		ck_assert(memcmp(&((struct sockaddr_in6 *)&m.probe_to)->sin6_addr, dst6, 16) == 0);
}
END_TEST

/* A returned packet shorter than an ICMP header is nobody's. */
START_TEST(test_icmp_parse_queued_short)
{
	struct icmp_queued q = { EHOSTUNREACH, SO_EE_ORIGIN_ICMP, 3, 1, 0, NULL };
	unsigned char b[64];
	struct icmp_msg m;

	put_echo(b, 8, 0, 56);
	for (size_t n = 0; n < ICMP_HDR_LEN; n++)
		ck_assert_int_eq(icmp_parse_queued(V4, &q, b, n, &m), ICMP_MSG_IGNORED);
	ck_assert_int_eq(icmp_parse_queued(V4, &q, b, ICMP_HDR_LEN, &m), ICMP_MSG_ERROR);
	ck_assert(!m.tagged);
	ck_assert_int_eq(icmp_parse_queued(V4, &q, b, ICMP_HDR_LEN + ICMP_TAG_LEN, &m),
			 ICMP_MSG_ERROR);
	ck_assert(m.tagged);
}
END_TEST

/* ---- icmp_echo_build ------------------------------------------------------ */

static const struct build_case {
	int family;
	uint16_t ident, seq;
	uint32_t index;
	size_t data;
} build_cases[] = {
	{ V4, 0x1234, 0, 0, ICMP_TAG_LEN },
	{ V4, 0xffff, 0xffff, 0xffffffffu, 13 },    /* odd: the checksum's last byte */
	{ V4, 0, 1, 0x01020304, 56 },
	{ V4, 0x8001, 0x7ffe, 77, 1472 },
	{ V4, 0xabcd, 0xef01, 0x00ff00ff, ICMP_MAX_DATA },
	{ V6, 0x1234, 0, 0, ICMP_TAG_LEN },
	{ V6, 0xffff, 0xffff, 0xffffffffu, 13 },
	{ V6, 0, 1, 0x01020304, 56 },
	{ V6, 0x8001, 0x7ffe, 77, 1452 },
};

/* The bytes: type, code, identifier and sequence big-endian, the tag,
 * ping's filler; the IPv4 checksum right, ICMPv6's left to the kernel. */
START_TEST(test_icmp_echo_build)
{
	const struct build_case *c = &build_cases[_i];
	size_t want = ICMP_HDR_LEN + c->data;
	unsigned char *b = malloc(want + 16);
	unsigned char *d = b + ICMP_HDR_LEN;

	memset(b, 0xaa, want + 16);
	ck_assert_uint_eq(icmp_echo_build(c->family, c->ident, c->seq, cookie, c->index, c->data, b,
					  want), want);
	ck_assert_uint_eq(b[want], 0xaa); /* nothing past buflen */
	ck_assert_uint_eq(b[0], c->family == V4 ? 8 : 128);
	ck_assert_uint_eq(b[1], 0);
	ck_assert_uint_eq((unsigned)(b[4] << 8 | b[5]), c->ident);
	ck_assert_uint_eq((unsigned)(b[6] << 8 | b[7]), c->seq);
	ck_assert(memcmp(d, cookie, ICMP_COOKIE_LEN) == 0);
	ck_assert_uint_eq((uint32_t)d[8] << 24 | (uint32_t)d[9] << 16 | (uint32_t)d[10] << 8 | d[11],
			  c->index);
	for (size_t i = ICMP_TAG_LEN; i < c->data; i++)
		if (d[i] != (unsigned char)i)
			ck_abort_msg("filler byte %zu is %#x", i, d[i]);
	if (c->family == V4)
		ck_assert_msg(inet_check(b, want) == 0, "IPv4 checksum %#x wrong",
			      (unsigned)(b[2] << 8 | b[3]));
	else
		ck_assert(b[2] == 0 && b[3] == 0);
	free(b);
}
END_TEST

/* Sizes out of range and buffers too small give 0 and write nothing. */
static const struct build_bad_case {
	int family;
	size_t data, buflen;
} build_bad_cases[] = {
	{ V4, 0, 1024 }, { V4, ICMP_TAG_LEN - 1, 1024 }, { V6, ICMP_TAG_LEN - 1, 1024 },
	{ V4, ICMP_MAX_DATA + 1, ICMP_MAX_DATA + 64 }, { V4, SIZE_MAX, ICMP_MAX_DATA + 64 },
	{ V4, SIZE_MAX - 4, ICMP_MAX_DATA + 64 },
	{ V4, 56, 63 }, { V6, 56, 63 }, { V4, ICMP_TAG_LEN, ICMP_HDR_LEN + ICMP_TAG_LEN - 1 },
	{ V4, 56, 0 },
};

START_TEST(test_icmp_echo_build_refused)
{
	const struct build_bad_case *c = &build_bad_cases[_i];
	unsigned char *b = malloc(c->buflen + 1);

	memset(b, 0xaa, c->buflen + 1);
	ck_assert_uint_eq(icmp_echo_build(c->family, 1, 2, cookie, 3, c->data, b, c->buflen), 0);
	for (size_t i = 0; i <= c->buflen; i++)
		if (b[i] != 0xaa)
			ck_abort_msg("byte %zu written", i);
	free(b);
}
END_TEST

/* What icmp_echo_build sends comes back through icmp_parse: as the echo
 * reply made of it (type 8 -> 0 with the checksum fixed, 128 -> 129; IPv4
 * with and without the IP header), and quoted in a time exceeded. */
static const struct roundtrip_case {
	int family;
	bool ip;
	uint32_t index;
	size_t data;
} roundtrip_cases[] = {
	{ V4, false, 0, ICMP_TAG_LEN }, { V4, true, 0, ICMP_TAG_LEN },
	{ V4, false, 1, 56 }, { V4, true, 0x01020304, 56 }, { V4, true, 0xffffffffu, 57 },
	{ V4, false, 0x80000000u, 1000 }, { V4, true, 123456, 1000 },
	{ V6, false, 0, ICMP_TAG_LEN }, { V6, false, 0xffffffffu, 56 }, { V6, false, 7, 1000 },
};

START_TEST(test_icmp_roundtrip)
{
	const struct roundtrip_case *c = &roundtrip_cases[_i];
	static const unsigned char other[ICMP_COOKIE_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	unsigned char pkt[1100], b[1200];
	size_t n = icmp_echo_build(c->family, 0x4321, (uint16_t)(_i + 1), other, c->index, c->data,
				   pkt, sizeof(pkt));
	size_t hl = c->ip ? 20 : 0, qhl = c->family == V4 ? 20 : 40;
	struct icmp_msg m;

	ck_assert_uint_eq(n, ICMP_HDR_LEN + c->data);
	/* the reply */
	memcpy(b + hl, pkt, n);
	b[hl] = c->family == V4 ? 0 : 129;
	if (c->family == V4)
		fix_sum(b + hl, n);
	if (c->ip)
		put_ip4(b, 5, IPPROTO_ICMP, dst4, us4, hl + n, TTL_IN);
	ck_assert_int_eq(icmp_parse(c->family, c->ip, b, hl + n, &m), ICMP_MSG_REPLY);
	ck_assert_uint_eq(m.ident, 0x4321);
	ck_assert_uint_eq(m.seq, (unsigned)_i + 1);
	ck_assert(m.tagged);
	ck_assert_uint_eq(m.index, c->index);
	ck_assert(memcmp(m.cookie, other, ICMP_COOKIE_LEN) == 0);
	ck_assert_uint_eq(m.data_len, c->data);
	ck_assert(m.filler_ok);
	/* the request quoted whole in a time exceeded */
	b[hl] = c->family == V4 ? 11 : 3;
	b[hl + 1] = 0;
	memset(b + hl + 2, 0, 6);
	if (c->family == V4)
		put_ip4(b + hl + ICMP_HDR_LEN, 5, IPPROTO_ICMP, us4, dst4, qhl + n, 1);
	else
		put_ip6(b + hl + ICMP_HDR_LEN, IPPROTO_ICMPV6, us6, dst6, n);
	memcpy(b + hl + ICMP_HDR_LEN + qhl, pkt, n);
	if (c->family == V4)
		fix_sum(b + hl, ICMP_HDR_LEN + qhl + n);
	if (c->ip)
		put_ip4(b, 5, IPPROTO_ICMP, router4, us4, hl + ICMP_HDR_LEN + qhl + n, TTL_IN);
	ck_assert_int_eq(icmp_parse(c->family, c->ip, b, hl + ICMP_HDR_LEN + qhl + n, &m),
			 ICMP_MSG_ERROR);
	ck_assert_int_eq(m.error, ICMP_ERR_TTL_EXCEEDED);
	ck_assert(m.tagged && m.has_probe_to);
	ck_assert_uint_eq(m.index, c->index);
	ck_assert_uint_eq(m.seq, (unsigned)_i + 1);
	ck_assert(memcmp(m.cookie, other, ICMP_COOKIE_LEN) == 0);
	/* and returned by the kernel's error queue as it was sent */
	{
		struct icmp_queued q = { EHOSTUNREACH, c->family == V4 ? SO_EE_ORIGIN_ICMP
								      : SO_EE_ORIGIN_ICMP6,
					 c->family == V4 ? 3 : 1, c->family == V4 ? 1 : 3, 0, NULL };

		ck_assert_int_eq(icmp_parse_queued(c->family, &q, pkt, n, &m), ICMP_MSG_ERROR);
		ck_assert_int_eq(m.error, ICMP_ERR_HOST_UNREACH);
		ck_assert(m.tagged);
		ck_assert_uint_eq(m.index, c->index);
	}
}
END_TEST

/* ---- error texts and marks ------------------------------------------------ */

static const struct text_case {
	enum icmp_error e;
	const char *mark;
	const char *text; /* NULL: any, but its own */
} text_cases[] = {
	{ ICMP_ERR_NONE, "", NULL },
	{ ICMP_ERR_NET_UNREACH, "!N", "network unreachable" },
	{ ICMP_ERR_HOST_UNREACH, "!H", "host unreachable" },
	{ ICMP_ERR_PROTO_UNREACH, "!P", "protocol unreachable" },
	{ ICMP_ERR_PORT_UNREACH, "", "port unreachable" },
	{ ICMP_ERR_FRAG_NEEDED, "!F", "fragmentation needed" },
	{ ICMP_ERR_PROHIBITED, "!X", "administratively prohibited" },
	{ ICMP_ERR_TTL_EXCEEDED, "", NULL },
	{ ICMP_ERR_REASSEMBLY, "", NULL },
	{ ICMP_ERR_PARAM, "", "parameter problem" },
	{ ICMP_ERR_OTHER, "", NULL },
};

START_TEST(test_icmp_error_text)
{
	const struct text_case *c = &text_cases[_i];
	const char *t = icmp_error_text(c->e);

	ck_assert_str_eq(icmp_error_mark(c->e), c->mark);
	ck_assert_ptr_nonnull(t);
	ck_assert_msg(t[0] != '\0', "error %d has no text", c->e);
	if (c->text)
		ck_assert_str_eq(t, c->text);
	/* each its own text */
	for (int e = 0; e < ICMP_ERR_LAST; e++)
		ck_assert_msg(e == (int)c->e || strcmp(icmp_error_text((enum icmp_error)e), t) != 0,
			      "errors %d and %d share '%s'", e, c->e, t);
}
END_TEST

START_TEST(test_icmp_error_text_out_of_range)
{
	ck_assert_int_eq(N(text_cases), ICMP_ERR_LAST);
	ck_assert_ptr_nonnull(icmp_error_text(ICMP_ERR_LAST));
	ck_assert_ptr_nonnull(icmp_error_text((enum icmp_error)1000));
	ck_assert_str_eq(icmp_error_mark(ICMP_ERR_LAST), "");
	ck_assert_str_eq(icmp_error_mark((enum icmp_error)1000), "");
}
END_TEST

/* ---- UDP and TCP probes (check_hops) ------------------------------------- */

/* The data of a UDP probe: the tag, then the filler; refused when it
 * cannot hold the tag or the buffer is too small. */
START_TEST(test_icmp_udp_build)
{
	unsigned char b[64];
	struct icmp_queued q = { EHOSTUNREACH, SO_EE_ORIGIN_ICMP, 11, 0, 0, NULL };
	struct icmp_msg m;

	ck_assert_uint_eq(icmp_udp_build(cookie, INDEX, 32, b, sizeof(b)), 32);
	ck_assert(memcmp(b, cookie, ICMP_COOKIE_LEN) == 0);
	ck_assert(b[8] == 0x89 && b[9] == 0xab && b[10] == 0xcd && b[11] == 0xef);
	for (size_t i = ICMP_TAG_LEN; i < 32; i++)
		ck_assert_uint_eq(b[i], i);
	ck_assert_int_eq(icmp_parse_queued_udp(V4, &q, b, 32, &m), ICMP_MSG_ERROR);
	ck_assert(m.tagged && m.index == INDEX && m.seq == (uint16_t)INDEX);
	ck_assert_uint_eq(icmp_udp_build(cookie, 1, ICMP_TAG_LEN - 1, b, sizeof(b)), 0);
	ck_assert_uint_eq(icmp_udp_build(cookie, 1, 65, b, sizeof(b)), 0);
	ck_assert_uint_eq(icmp_udp_build(cookie, 1, ICMP_MAX_DATA + 1, b, sizeof(b)), 0);
}
END_TEST

static const struct udp_queued_case {
	const char *name;
	int family;
	struct icmp_queued q;
	size_t data;       /* bytes of the datagram returned (the tag needs 12) */
	struct want w;
} udp_queued_cases[] = {
	{ "v4 time exceeded", V4, { EHOSTUNREACH, SO_EE_ORIGIN_ICMP, 11, 0, 0, NULL }, 32,
	  ERROR(ICMP_ERR_TTL_EXCEEDED, true, 0) },
	{ "v4 time exceeded, 8 bytes quoted", V4, { EHOSTUNREACH, SO_EE_ORIGIN_ICMP, 11, 0, 0, NULL },
	  0, ERROR(ICMP_ERR_TTL_EXCEEDED, false, 0) },
	{ "v4 time exceeded, 11 data bytes", V4,
	  { EHOSTUNREACH, SO_EE_ORIGIN_ICMP, 11, 0, 0, NULL }, 11,
	  ERROR(ICMP_ERR_TTL_EXCEEDED, false, 0) },
	{ "v4 port unreachable: the destination", V4,
	  { ECONNREFUSED, SO_EE_ORIGIN_ICMP, 3, 3, 0, NULL }, 32,
	  ERROR(ICMP_ERR_PORT_UNREACH, true, 0) },
	{ "v4 net unreachable", V4, { ENETUNREACH, SO_EE_ORIGIN_ICMP, 3, 0, 0, NULL }, 32,
	  ERROR(ICMP_ERR_NET_UNREACH, true, 0) },
	{ "v4 frag needed", V4, { EMSGSIZE, SO_EE_ORIGIN_ICMP, 3, 4, 1400, NULL }, 32,
	  ERROR(ICMP_ERR_FRAG_NEEDED, true, 1400) },
	{ "v6 time exceeded", V6, { EHOSTUNREACH, SO_EE_ORIGIN_ICMP6, 3, 0, 0, NULL }, 32,
	  ERROR(ICMP_ERR_TTL_EXCEEDED, true, 0) },
	{ "v6 port unreachable", V6, { ECONNREFUSED, SO_EE_ORIGIN_ICMP6, 1, 4, 0, NULL }, 32,
	  ERROR(ICMP_ERR_PORT_UNREACH, true, 0) },
	{ "v6 local EMSGSIZE", V6, { EMSGSIZE, SO_EE_ORIGIN_LOCAL, 0, 0, 1280, NULL }, 32,
	  ERROR(ICMP_ERR_FRAG_NEEDED, true, 1280) },
	{ "no origin", V4, { EHOSTUNREACH, SO_EE_ORIGIN_NONE, 11, 0, 0, NULL }, 32, IGNORED },
	{ "ICMP6 origin on IPv4", V4, { EHOSTUNREACH, SO_EE_ORIGIN_ICMP6, 3, 0, 0, NULL }, 32,
	  IGNORED },
};

START_TEST(test_icmp_parse_queued_udp)
{
	const struct udp_queued_case *c = &udp_queued_cases[_i];
	unsigned char b[64];
	struct icmp_msg m;

	icmp_udp_build(cookie, INDEX, 32, b, sizeof(b));
	memset(&m, 0xa5, sizeof(m));
	ck_assert_msg(icmp_parse_queued_udp(c->family, &c->q, b, c->data, &m) == c->w.kind,
		      "%s: kind %d", c->name, m.kind);
	if (c->w.kind == ICMP_MSG_IGNORED)
		return;
	ck_assert_msg(m.error == c->w.error, "%s: error %s", c->name, icmp_error_text(m.error));
	ck_assert_msg(m.mtu == c->w.mtu, "%s: mtu %u", c->name, m.mtu);
	ck_assert_msg(m.tagged == c->w.tagged, "%s: tagged %d", c->name, m.tagged);
	if (m.tagged)
		ck_assert(m.index == INDEX && memcmp(m.cookie, cookie, ICMP_COOKIE_LEN) == 0);
	ck_assert_uint_eq(m.data_len, c->data);
	ck_assert(!m.has_probe_to);
}
END_TEST

/* Waits (bounded) until fd has news. */
static void wait_fd(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };

	ck_assert_int_eq(poll(&p, 1, UNIT_BUDGET_MS), 1);
}

/* A UDP probe to a closed port on loopback: the kernel's port unreachable
 * comes back through the error queue, tagged; a second send right after
 * goes out although the first error is still pending on the socket (it is
 * not reported in place of the send). */
START_TEST(test_icmp_udp_loopback)
{
	struct icmp_sock s;
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(9) };
	struct sockaddr_in self = { .sin_family = AF_INET };
	socklen_t len = sizeof(self);
	unsigned char b[32];
	struct icmp_msg m[4];
	unsigned ignored = 0;
	int n, got = 0, fd;

	/* A free port: bound by another socket, then closed. */
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&to, sizeof(to)) == 0 ||
			 (to.sin_port = 0, bind(fd, (struct sockaddr *)&to, sizeof(to))) == 0, 1);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&self, &len), 0);
	to.sin_port = self.sin_port;
	close(fd);

	ck_assert_int_eq(icmp_udp_open(AF_INET, &s), 0);
	ck_assert_int_eq(s.kind, ICMP_SOCK_UDP);
	for (uint32_t i = 0; i < 2; i++) {
		icmp_udp_build(cookie, 40 + i, sizeof(b), b, sizeof(b));
		ck_assert_int_eq(icmp_send(&s, (struct sockaddr *)&to, sizeof(to), b, sizeof(b)), 0);
	}
	while (got < 2) {
		wait_fd(s.fd, POLLIN);
		n = icmp_recv(&s, true, m + got, 4 - got, &ignored);
		ck_assert_int_ge(n, 0);
		got += n;
	}
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(m[i].kind, ICMP_MSG_ERROR);
		ck_assert_int_eq(m[i].error, ICMP_ERR_PORT_UNREACH);
		ck_assert(m[i].tagged && m[i].index == 40u + (uint32_t)i);
		ck_assert(m[i].has_probe_to);
		ck_assert_int_eq(m[i].from.ss_family, AF_INET);
		ck_assert_int_gt(m[i].rx_ns, 0);
	}
	icmp_close(&s);
}
END_TEST

/* TCP probes on loopback: to a listening port the connect is accepted, to
 * a closed one refused; both are the destination answering.  Before the
 * answer the outcome is nothing yet. */
START_TEST(test_icmp_tcp_loopback)
{
	struct sockaddr_in to = { .sin_family = AF_INET };
	socklen_t len = sizeof(to);
	struct icmp_msg m;
	int l = socket(AF_INET, SOCK_STREAM, 0), fd;

	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(l, (struct sockaddr *)&to, sizeof(to)), 0);
	ck_assert_int_eq(listen(l, 4), 0);
	ck_assert_int_eq(getsockname(l, (struct sockaddr *)&to, &len), 0);
	fd = icmp_tcp_connect(AF_INET, 64, (struct sockaddr *)&to, sizeof(to), NULL, 0);
	ck_assert_int_ge(fd, 0);
	wait_fd(fd, POLLOUT);
	ck_assert_int_eq(icmp_tcp_outcome(fd, AF_INET, &m), ICMP_MSG_REPLY);
	ck_assert_int_gt(m.rx_ns, 0);
	icmp_tcp_close(fd);
	close(l); /* now the port is closed: refused */
	fd = icmp_tcp_connect(AF_INET, 64, (struct sockaddr *)&to, sizeof(to), NULL, 0);
	ck_assert_int_ge(fd, 0);
	wait_fd(fd, POLLOUT);
	ck_assert_int_eq(icmp_tcp_outcome(fd, AF_INET, &m), ICMP_MSG_REPLY);
	icmp_tcp_close(fd);
	icmp_tcp_close(-1); /* nothing */
	ck_assert_int_eq(icmp_tcp_connect(AF_INET, 0, (struct sockaddr *)&to, sizeof(to), NULL, 0),
			 -1); /* TTL 0 is refused by the kernel */
}
END_TEST

Suite *icmp_suite(void)
{
	Suite *s = suite_create("icmp");
	TCase *parse = tcase_create("parse");
	TCase *build_tc = tcase_create("build");

	tcase_set_timeout(parse, UNIT_TIMEOUT);
	tcase_add_loop_test(parse, test_icmp_parse, 0, N(parse_cases));
	tcase_add_loop_test(parse, test_icmp_v4_unreach_codes, 0, N(v4_unreach));
	tcase_add_loop_test(parse, test_icmp_v6_unreach_codes, 0, N(v6_unreach));
	tcase_add_test(parse, test_icmp_parse_every_prefix);
	tcase_add_loop_test(parse, test_icmp_parse_queued, 0, N(queued_cases));
	tcase_add_test(parse, test_icmp_parse_queued_short);
	tcase_add_loop_test(parse, test_icmp_error_text, 0, N(text_cases));
	tcase_add_test(parse, test_icmp_error_text_out_of_range);
	suite_add_tcase(s, parse);

	tcase_set_timeout(build_tc, UNIT_TIMEOUT);
	tcase_add_loop_test(build_tc, test_icmp_echo_build, 0, N(build_cases));
	tcase_add_loop_test(build_tc, test_icmp_echo_build_refused, 0, N(build_bad_cases));
	tcase_add_loop_test(build_tc, test_icmp_roundtrip, 0, N(roundtrip_cases));
	tcase_add_test(build_tc, test_icmp_udp_build);
	tcase_add_loop_test(build_tc, test_icmp_parse_queued_udp, 0, N(udp_queued_cases));
	tcase_add_test(build_tc, test_icmp_udp_loopback);
	tcase_add_test(build_tc, test_icmp_tcp_loopback);
	suite_add_tcase(s, build_tc);
	return s;
}
