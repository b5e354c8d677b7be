/* libFuzzer target: ICMP and ICMPv6 messages as the sockets deliver them,
 * through the parsers of common/icmp: icmp_parse for IPv4 with and without
 * the IP header (raw and datagram sockets) and for ICMPv6, and
 * icmp_parse_queued and icmp_parse_queued_udp for errors from a datagram
 * socket's error queue (the first 8 bytes give the sock_extended_err
 * fields, the rest is the returned request or UDP data).  What a parser says must hold together; and a request
 * icmp_echo_build makes from the input comes back through icmp_parse.
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
	return 0;
}
