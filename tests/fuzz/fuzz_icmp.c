/* libFuzzer target: ICMP and ICMPv6 messages as the sockets deliver them,
 * through the parsers of common/icmp: icmp_parse for IPv4 with and without
 * the IP header (raw and datagram sockets) and for ICMPv6, and
 * icmp_parse_queued and icmp_parse_queued_udp for errors from a datagram
 * socket's error queue (the first 8 bytes give the sock_extended_err
 * fields, the rest is the returned request or UDP data).  What a parser
 * says must hold together; a request icmp_echo_build makes from the input
 * comes back through icmp_parse as a reply; and the same request quoted
 * (whole or cut short) in an ICMP or ICMPv6 error of a type and code from
 * the input, for IPv4 also inside an outer IP header with a correct
 * checksum, comes back as an error that names where the request went,
 * its identifier, sequence and tag, and the MTU of "too big".
 * make fuzz builds and runs it. */
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/errqueue.h>

#include "icmp.h"

/* Aborts unless m is what a parser may say about n bytes. */
static void check(int family, bool ip_header, enum icmp_msg_kind kind, const struct icmp_msg *m,
		  size_t n)
{
	if (kind != m->kind || (unsigned)kind > ICMP_MSG_ERROR)
		abort();
	if (kind == ICMP_MSG_IGNORED)
		return;
	if (n < ICMP_HDR_LEN + (ip_header ? 20 : 0))
		abort();
	if (m->tagged && n < ICMP_HDR_LEN + ICMP_TAG_LEN)
		abort();
	if (kind == ICMP_MSG_REPLY && (m->error != ICMP_ERR_NONE || m->has_probe_to || m->mtu ||
				       m->data_len > n - ICMP_HDR_LEN || (m->filler_ok && !m->tagged)))
		abort();
	if (kind == ICMP_MSG_ERROR &&
	    (m->error == ICMP_ERR_NONE || (unsigned)m->error >= ICMP_ERR_LAST ||
	     (m->error != ICMP_ERR_FRAG_NEEDED && m->mtu != 0)))
		abort();
	if (m->has_probe_to && m->probe_to.ss_family != family)
		abort();
	if (icmp_error_text(m->error) == NULL || icmp_error_mark(m->error) == NULL)
		abort();
}

/* A request built from the input's first bytes, answered, parsed back. */
static void roundtrip(const uint8_t *data, size_t size)
{
	static const unsigned char cookie[ICMP_COOKIE_LEN] = { 'n', 'e', 't', 'c', 'h', 'e', 'c', 'k' };
	unsigned char pkt[ICMP_HDR_LEN + ICMP_TAG_LEN + 256];
	struct icmp_msg m;
	int family = data[0] & 1 ? AF_INET6 : AF_INET;
	uint16_t ident = (uint16_t)(data[1] << 8 | data[2]);
	uint16_t seq = (uint16_t)(data[3] << 8 | data[4]);
	uint32_t index = (uint32_t)data[5] << 24 | (uint32_t)data[6] << 16 |
			 (uint32_t)data[7] << 8 | data[8];
	size_t len = ICMP_TAG_LEN + data[9], n;

	(void)size;
	n = icmp_echo_build(family, ident, seq, cookie, index, len, pkt, sizeof(pkt));
	if (n != ICMP_HDR_LEN + len)
		abort();
	pkt[0] = family == AF_INET ? 0 : 129; /* the checksum is not checked without ip_header */
	if (icmp_parse(family, false, pkt, n, &m) != ICMP_MSG_REPLY || !m.tagged ||
	    m.ident != ident || m.seq != seq || m.index != index || m.data_len != len ||
	    !m.filler_ok || memcmp(m.cookie, cookie, ICMP_COOKIE_LEN) != 0)
		abort();
}

/* The Internet checksum (RFC 1071) of n bytes. */
static uint16_t sum16(const unsigned char *p, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)(p[n - 1] << 8);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* The error types and codes a router or host sends about a probe, and
 * what they mean. */
struct err_kind {
	uint8_t type, code;
	enum icmp_error error;
};
static const struct err_kind v4_errors[] = {
	{ 3, 0, ICMP_ERR_NET_UNREACH }, { 3, 1, ICMP_ERR_HOST_UNREACH },
	{ 3, 2, ICMP_ERR_PROTO_UNREACH }, { 3, 3, ICMP_ERR_PORT_UNREACH },
	{ 3, 4, ICMP_ERR_FRAG_NEEDED }, { 3, 13, ICMP_ERR_PROHIBITED },
	{ 11, 0, ICMP_ERR_TTL_EXCEEDED }, { 11, 1, ICMP_ERR_REASSEMBLY },
	{ 12, 0, ICMP_ERR_PARAM },
};
static const struct err_kind v6_errors[] = {
	{ 1, 0, ICMP_ERR_NET_UNREACH }, { 1, 1, ICMP_ERR_PROHIBITED },
	{ 1, 3, ICMP_ERR_HOST_UNREACH }, { 1, 4, ICMP_ERR_PORT_UNREACH },
	{ 2, 0, ICMP_ERR_FRAG_NEEDED }, { 3, 0, ICMP_ERR_TTL_EXCEEDED },
	{ 3, 1, ICMP_ERR_REASSEMBLY }, { 4, 0, ICMP_ERR_PARAM },
};

/* Writes an IP header of family (20 or 40 bytes) from src to dst. */
static size_t ip_header(int family, const uint8_t *src, const uint8_t *dst, size_t payload,
			unsigned char *p)
{
	if (family == AF_INET) {
		memset(p, 0, 20);
		p[0] = 0x45;
		p[2] = (unsigned char)((20 + payload) >> 8);
		p[3] = (unsigned char)(20 + payload);
		p[8] = 1;
		p[9] = IPPROTO_ICMP;
		memcpy(p + 12, src, 4);
		memcpy(p + 16, dst, 4);
		return 20;
	}
	memset(p, 0, 40);
	p[0] = 0x60;
	p[4] = (unsigned char)(payload >> 8);
	p[5] = (unsigned char)payload;
	p[6] = IPPROTO_ICMPV6;
	p[7] = 1;
	memcpy(p + 8, src, 16);
	memcpy(p + 24, dst, 16);
	return 40;
}

/* A request (its fields from d[0..40)) quoted by an error, parsed back. */
static void error_roundtrip(const uint8_t *d)
{
	static const unsigned char cookie[ICMP_COOKIE_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	unsigned char req[ICMP_HDR_LEN + ICMP_TAG_LEN + 64], pkt[20 + 8 + 40 + sizeof(req)];
	int family = d[0] & 1 ? AF_INET6 : AF_INET;
	const struct err_kind *k = family == AF_INET ? &v4_errors[d[1] % 9] : &v6_errors[d[1] % 8];
	uint16_t ident = (uint16_t)(d[2] << 8 | d[3]), seq = (uint16_t)(d[4] << 8 | d[5]);
	uint32_t index = (uint32_t)d[6] << 24 | (uint32_t)d[7] << 16 | (uint32_t)d[8] << 8 | d[9];
	uint32_t mtu = (uint32_t)d[10] << 8 | d[11];
	size_t n = icmp_echo_build(family, ident, seq, cookie, index, ICMP_TAG_LEN + d[12] % 64,
				   req, sizeof(req));
	size_t cut = ICMP_HDR_LEN + d[13] % (n - ICMP_HDR_LEN + 1), at = 0, quoted;
	bool outer = family == AF_INET && (d[0] & 2);
	struct icmp_msg m;
	unsigned char *icmp;

	if (n == 0)
		abort();
	quoted = (family == AF_INET ? 20 : 40) + cut;
	if (outer)
		at = ip_header(family, d + 14, d + 18, ICMP_HDR_LEN + quoted, pkt);
	icmp = pkt + at;
	memset(icmp, 0, ICMP_HDR_LEN);
	icmp[0] = k->type;
	icmp[1] = k->code;
	if (k->error == ICMP_ERR_FRAG_NEEDED) {
		/* The next-hop MTU: bytes 6-7 (IPv4), 4-7 (ICMPv6). */
		icmp[6] = (unsigned char)(mtu >> 8);
		icmp[7] = (unsigned char)mtu;
	}
	ip_header(family, d + 14, d + 22, n, icmp + ICMP_HDR_LEN);
	memcpy(icmp + ICMP_HDR_LEN + quoted - cut, req, cut);
	if (family == AF_INET) {
		uint16_t c = sum16(icmp, ICMP_HDR_LEN + quoted);

		icmp[2] = (unsigned char)(c >> 8);
		icmp[3] = (unsigned char)c;
	}
	if (icmp_parse(family, outer, pkt, at + ICMP_HDR_LEN + quoted, &m) != ICMP_MSG_ERROR ||
	    m.error != k->error || m.type != k->type || m.code != k->code || m.ident != ident ||
	    m.seq != seq || !m.has_probe_to || m.probe_to.ss_family != family ||
	    m.mtu != (k->error == ICMP_ERR_FRAG_NEEDED ? mtu : 0) ||
	    m.tagged != (cut >= ICMP_HDR_LEN + ICMP_TAG_LEN) || (outer && m.ttl != 1))
		abort();
	if (m.tagged && (m.index != index || memcmp(m.cookie, cookie, ICMP_COOKIE_LEN) != 0))
		abort();
	if (family == AF_INET &&
	    memcmp(&((struct sockaddr_in *)&m.probe_to)->sin_addr, d + 22, 4) != 0)
		abort();
	if (family == AF_INET6 &&
	    memcmp(&((struct sockaddr_in6 *)&m.probe_to)->sin6_addr, d + 22, 16) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int families[] = { AF_INET, AF_INET6 };
	struct icmp_msg m;

	for (int f = 0; f < 2; f++)
		for (int ip = 0; ip < 2; ip++)
			check(families[f], ip, icmp_parse(families[f], ip, data, size, &m), &m, size);

	if (size >= 8) {
		struct sockaddr_in sin = { .sin_family = AF_INET };
		struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
		static const uint8_t origins[4] = { SO_EE_ORIGIN_NONE, SO_EE_ORIGIN_LOCAL,
						    SO_EE_ORIGIN_ICMP, SO_EE_ORIGIN_ICMP6 };
		struct icmp_queued q = {
			.err = data[0] & 0x80 ? EMSGSIZE : data[0] & 0x7f,
			.origin = origins[data[1] & 3],
			.type = data[2],
			.code = data[3],
			.info = (uint32_t)data[4] << 24 | (uint32_t)data[5] << 16 |
				(uint32_t)data[6] << 8 | data[7],
		};

		memcpy(&sin.sin_addr, data + 4, 4);
		q.dest = data[1] & 4 ? NULL : data[1] & 8 ? (const struct sockaddr *)&sin6
							  : (const struct sockaddr *)&sin;
		for (int f = 0; f < 2; f++) {
			check(families[f], false,
			      icmp_parse_queued(families[f], &q, data + 8, size - 8, &m), &m, size - 8);
			/* A UDP probe's error: the data is the datagram's, no
			 * ICMP header (check's size bound needs 8 more). */
			check(families[f], false,
			      icmp_parse_queued_udp(families[f], &q, data + 8, size - 8, &m), &m,
			      size);
			if (m.kind == ICMP_MSG_ERROR && m.tagged != (size - 8 >= ICMP_TAG_LEN))
				abort();
		}
	}
	if (size >= 10)
		roundtrip(data, size);
	if (size >= 38)
		error_roundtrip(data + size - 38);
	return 0;
}
