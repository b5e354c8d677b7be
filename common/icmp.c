/* icmp: sockets, echo requests and the parsers of replies and errors (see
 * icmp.h). */
#include "icmp.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/errqueue.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "deadline.h"

#ifndef ICMP_FILTER
#define ICMP_FILTER 1 /* linux/icmp.h, which clashes with netinet/ip_icmp.h */
#endif

/* Message types and codes (RFC 792, RFC 4443). */
enum {
	V4_ECHO_REPLY = 0, V4_UNREACH = 3, V4_ECHO = 8, V4_TIME_EXCEEDED = 11,
	V4_PARAM = 12,
	V6_UNREACH = 1, V6_TOO_BIG = 2, V6_TIME_EXCEEDED = 3, V6_PARAM = 4,
	V6_ECHO = 128, V6_ECHO_REPLY = 129,
};

#define IP4_MIN_HDR 20
#define IP6_HDR 40
#define RCVBUF_WANTED (4 << 20) /* replies queue here while a burst goes out */
#define RX_SLOT 4096           /* bytes of one received message kept */
#define RX_CTRL 256            /* control bytes of one message */
#define NOBODY_ID 65534

struct icmp_rx {
	unsigned char data[ICMP_RECV_BATCH][RX_SLOT];
	unsigned char ctrl[ICMP_RECV_BATCH][RX_CTRL];
	struct sockaddr_storage from[ICMP_RECV_BATCH];
	struct iovec iov[ICMP_RECV_BATCH];
	struct mmsghdr hdr[ICMP_RECV_BATCH];
};

static uint16_t get16(const unsigned char *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

/* The Internet checksum (RFC 1071) of n bytes. */
static uint16_t inet_sum(const unsigned char *p, size_t n)
{
	uint32_t sum = 0;

	for (; n > 1; p += 2, n -= 2)
		sum += get16(p);
	if (n)
		sum += (uint32_t)p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* ---- sockets ------------------------------------------------------------ */

static int set_int(int fd, int level, int name, int value)
{
	return setsockopt(fd, level, name, &value, sizeof(value));
}

/* Lets only echo replies and the errors that quote a request through. */
static void raw_filter(int fd, int family)
{
	if (family == AF_INET) {
		uint32_t block = ~(1u << V4_ECHO_REPLY | 1u << V4_UNREACH |
				   1u << V4_TIME_EXCEEDED | 1u << V4_PARAM);

		setsockopt(fd, SOL_RAW, ICMP_FILTER, &block, sizeof(block));
	} else {
		struct icmp6_filter flt;

		ICMP6_FILTER_SETBLOCKALL(&flt);
		ICMP6_FILTER_SETPASS(V6_ECHO_REPLY, &flt);
		ICMP6_FILTER_SETPASS(V6_UNREACH, &flt);
		ICMP6_FILTER_SETPASS(V6_TOO_BIG, &flt);
		ICMP6_FILTER_SETPASS(V6_TIME_EXCEEDED, &flt);
		ICMP6_FILTER_SETPASS(V6_PARAM, &flt);
		setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &flt, sizeof(flt));
	}
}

static void prepare(struct icmp_rx *rx, int i)
{
	struct msghdr *h = &rx->hdr[i].msg_hdr;

	memset(h, 0, sizeof(*h));
	h->msg_name = &rx->from[i];
	h->msg_namelen = sizeof(rx->from[i]);
	h->msg_iov = &rx->iov[i];
	h->msg_iovlen = 1;
	h->msg_control = rx->ctrl[i];
	h->msg_controllen = RX_CTRL;
}

/* Every header ready once; after that only those a read used are made
 * ready again (the kernel writes the lengths of the ones it fills). */
static void rx_init(struct icmp_rx *rx)
{
	for (int i = 0; i < ICMP_RECV_BATCH; i++) {
		rx->iov[i].iov_base = rx->data[i];
		rx->iov[i].iov_len = RX_SLOT;
		prepare(rx, i);
	}
}

int icmp_open(int family, struct icmp_sock *s)
{
	int proto = family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
	uint16_t ident;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->family = family;
	s->fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
	if (s->fd >= 0) {
		s->kind = ICMP_SOCK_DGRAM;
		if (family == AF_INET)
			set_int(s->fd, IPPROTO_IP, IP_RECVERR, 1);
		else
			set_int(s->fd, IPPROTO_IPV6, IPV6_RECVERR, 1);
	} else {
		s->dgram_errno = errno;
		s->fd = socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
		if (s->fd < 0) {
			s->raw_errno = errno;
			return -1;
		}
		s->kind = ICMP_SOCK_RAW;
		raw_filter(s->fd, family);
	}
	/* Forcing the size needs CAP_NET_ADMIN, which only a root run has
	 * (and gives up right after); otherwise rmem_max caps it. */
	if (set_int(s->fd, SOL_SOCKET, SO_RCVBUFFORCE, RCVBUF_WANTED) != 0)
		set_int(s->fd, SOL_SOCKET, SO_RCVBUF, RCVBUF_WANTED);
	s->kernel_stamps = set_int(s->fd, SOL_SOCKET, SO_TIMESTAMPNS, 1) == 0;
	if (getrandom(&ident, sizeof(ident), 0) != sizeof(ident))
		ident = (uint16_t)getpid();
	s->ident = ident;
	return 0;
}

int icmp_udp_open(int family, struct icmp_sock *s)
{
	memset(s, 0, sizeof(*s));
	s->family = family;
	s->kind = ICMP_SOCK_UDP;
	s->fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
	if (s->fd < 0)
		return -1;
	if (family == AF_INET)
		set_int(s->fd, IPPROTO_IP, IP_RECVERR, 1);
	else
		set_int(s->fd, IPPROTO_IPV6, IPV6_RECVERR, 1);
	s->kernel_stamps = set_int(s->fd, SOL_SOCKET, SO_TIMESTAMPNS, 1) == 0;
	return 0;
}

/* The tag and filler of an echo request's data, or of a UDP probe. */
static void put_tag(unsigned char *d, const unsigned char cookie[ICMP_COOKIE_LEN],
		    uint32_t index, size_t data_len)
{
	memcpy(d, cookie, ICMP_COOKIE_LEN);
	put16(d + 8, (uint16_t)(index >> 16));
	put16(d + 10, (uint16_t)index);
	/* A recognisable filler, as ping's, so a capture reads well. */
	for (size_t i = ICMP_TAG_LEN; i < data_len; i++)
		d[i] = (unsigned char)i;
}

size_t icmp_udp_build(const unsigned char cookie[ICMP_COOKIE_LEN], uint32_t index,
		      size_t data_len, unsigned char *buf, size_t buflen)
{
	if (data_len < ICMP_TAG_LEN || data_len > ICMP_MAX_DATA || buflen < data_len)
		return 0;
	put_tag(buf, cookie, index, data_len);
	return data_len;
}

void icmp_close(struct icmp_sock *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->kind = ICMP_SOCK_NONE;
	free(s->rx);
	s->rx = NULL;
}

void icmp_open_advice(const struct icmp_sock *s, const char *self, char *buf, size_t len)
{
	snprintf(buf, len,
		 "no ICMP%s socket: datagram: %s, raw: %s; allow unprivileged ICMP with "
		 "'sysctl -w net.ipv4.ping_group_range=\"0 2147483647\"' or give the "
		 "plugin raw sockets with 'setcap cap_net_raw+ep %s'",
		 s->family == AF_INET6 ? "v6" : "", strerror(s->dgram_errno),
		 strerror(s->raw_errno), self);
}

/* ---- privileges --------------------------------------------------------- */

static int clear_capabilities(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	return (int)syscall(SYS_capset, &hdr, data);
}

/* Who a privileged run becomes: its real user, or for a real root uid and
 * gid 65534 (nobody and nogroup on Debian, Ubuntu, Fedora and RHEL; not
 * looked up, so no file is read before the privileges are gone). */
static void target_ids(uid_t *uid, gid_t *gid)
{
	*uid = getuid();
	*gid = getgid();
	if (*uid == 0) {
		*uid = NOBODY_ID;
		*gid = NOBODY_ID;
	}
}

int icmp_drop_privileges(char *err, size_t errlen)
{
	uid_t uid;
	gid_t gid;

	target_ids(&uid, &gid);
	if (geteuid() == 0 && setgroups(0, NULL) != 0) {
		snprintf(err, errlen, "cannot drop supplementary groups: %s", strerror(errno));
		return -1;
	}
	if (setresgid(gid, gid, gid) != 0 || setresuid(uid, uid, uid) != 0) {
		snprintf(err, errlen, "cannot become uid %u gid %u: %s", (unsigned)uid,
			 (unsigned)gid, strerror(errno));
		return -1;
	}
	if (clear_capabilities() != 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		snprintf(err, errlen, "cannot clear capabilities: %s", strerror(errno));
		return -1;
	}
	if (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
		snprintf(err, errlen, "root privileges could be regained");
		return -1;
	}
	return 0;
}

/* The value of a "Name:\tv1\tv2..." line of /proc/self/status, tabs made
 * spaces, into out. */
int icmp_open_all(struct icmp_sock *v4, struct icmp_sock *v6, char *err, size_t errlen)
{
	icmp_open(AF_INET, v4);
	icmp_open(AF_INET6, v6);
	return icmp_drop_privileges(err, errlen);
}

static void status_field(const char *line, const char *name, char *out, size_t len)
{
	size_t n = strlen(name), i = 0;

	if (strncmp(line, name, n) != 0 || line[n] != ':')
		return;
	line += n + 1;
	line += strspn(line, " \t");
	for (; *line && *line != '\n' && i + 1 < len; line++)
		out[i++] = *line == '\t' ? ' ' : *line;
	out[i] = '\0';
}

void icmp_privileges_text(char *buf, size_t len)
{
	char line[256], uid[64] = "?", gid[64] = "?", cap[32] = "?";
	FILE *f = fopen("/proc/self/status", "re");

	while (f && fgets(line, sizeof(line), f)) {
		status_field(line, "Uid", uid, sizeof(uid));
		status_field(line, "Gid", gid, sizeof(gid));
		status_field(line, "CapEff", cap, sizeof(cap));
	}
	if (f)
		fclose(f);
	snprintf(buf, len, "uid %s, gid %s, CapEff %s", uid, gid, cap);
}

/* ---- sending ------------------------------------------------------------ */

int icmp_configure(struct icmp_sock *s, const struct icmp_setup *setup, struct fail *f)
{
	bool v4 = s->family == AF_INET;
	int level = v4 ? IPPROTO_IP : IPPROTO_IPV6;

	if (setup->ttl > 0 && icmp_set_ttl(s, setup->ttl) != 0) {
		fail_set(f, FAIL_INTERNAL, "cannot set the TTL to %d: %s", setup->ttl, strerror(errno));
		return -1;
	}
	if (setup->tos >= 0 && set_int(s->fd, level, v4 ? IP_TOS : IPV6_TCLASS, setup->tos) != 0) {
		fail_set(f, FAIL_INTERNAL, "cannot set the %s to %d: %s",
			 v4 ? "TOS" : "traffic class", setup->tos, strerror(errno));
		return -1;
	}
	/* Without -M an IPv4 probe may be fragmented on its way, as a
	 * plain ping is; with it, DF is set and the kernel never fragments. */
	if (v4)
		set_int(s->fd, level, IP_MTU_DISCOVER,
			!setup->dont_fragment	 ? IP_PMTUDISC_DONT
			: setup->ignore_path_mtu ? IP_PMTUDISC_PROBE
						 : IP_PMTUDISC_DO);
	else if (setup->dont_fragment)
		set_int(s->fd, level, IPV6_MTU_DISCOVER,
			setup->ignore_path_mtu ? IPV6_PMTUDISC_PROBE : IPV6_PMTUDISC_DO);
	if (setup->device &&
	    setsockopt(s->fd, SOL_SOCKET, SO_BINDTODEVICE, setup->device,
		       (socklen_t)strlen(setup->device)) != 0) {
		fail_set(f, FAIL_INTERNAL, "cannot send through %s: %s", setup->device,
			 strerror(errno));
		return -1;
	}
	if (setup->source && bind(s->fd, setup->source, setup->source_len) != 0) {
		fail_set(f, FAIL_INTERNAL, "cannot send from the source address: %s",
			 strerror(errno));
		return -1;
	}
	return 0;
}

int icmp_set_ttl(struct icmp_sock *s, int ttl)
{
	if (s->family == AF_INET)
		return set_int(s->fd, IPPROTO_IP, IP_TTL, ttl);
	return set_int(s->fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, ttl);
}

size_t icmp_echo_build(int family, uint16_t ident, uint16_t seq,
		       const unsigned char cookie[ICMP_COOKIE_LEN], uint32_t index,
		       size_t data_len, unsigned char *buf, size_t buflen)
{
	size_t len = ICMP_HDR_LEN + data_len;
	unsigned char *d = buf + ICMP_HDR_LEN;

	if (data_len < ICMP_TAG_LEN || data_len > ICMP_MAX_DATA || buflen < len)
		return 0;
	buf[0] = family == AF_INET ? V4_ECHO : V6_ECHO;
	buf[1] = 0;
	put16(buf + 2, 0);
	put16(buf + 4, ident);
	put16(buf + 6, seq);
	put_tag(d, cookie, index, data_len);
	if (family == AF_INET)
		put16(buf + 2, inet_sum(buf, len));
	return len;
}

int icmp_send(const struct icmp_sock *s, const struct sockaddr *to, socklen_t tolen,
	      const unsigned char *pkt, size_t len)
{
	ssize_t n = sendto(s->fd, pkt, len, MSG_DONTWAIT | MSG_NOSIGNAL, to, tolen);

	/* A datagram socket with IP_RECVERR also keeps the last ICMP error
	 * as a pending socket error, which the next send reports instead of
	 * sending (and clears): that error is already in the error queue,
	 * so the send is made again.  A real local error comes back twice. */
	if (n < 0 && s->kind != ICMP_SOCK_RAW &&
	    (errno == EHOSTUNREACH || errno == ENETUNREACH || errno == ECONNREFUSED ||
	     errno == EPROTO || errno == EHOSTDOWN || errno == EACCES))
		n = sendto(s->fd, pkt, len, MSG_DONTWAIT | MSG_NOSIGNAL, to, tolen);
	if (n == (ssize_t)len)
		return 0;
	return n < 0 ? errno : EIO;
}

int icmp_path_mtu(const struct icmp_sock *s, const struct sockaddr *to, socklen_t tolen)
{
	/* The kernel tells the path MTU (kept per destination, whatever the
	 * protocol) only to a connected socket: a UDP one, which needs no
	 * privilege and sends nothing. */
	int fd = socket(s->family, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP);
	int mtu = 0;
	socklen_t ml = sizeof(mtu);

	if (fd < 0)
		return 0;
	if (connect(fd, to, tolen) != 0 ||
	    getsockopt(fd, s->family == AF_INET ? IPPROTO_IP : IPPROTO_IPV6,
		       s->family == AF_INET ? IP_MTU : IPV6_MTU, &mtu, &ml) != 0)
		mtu = 0;
	close(fd);
	return mtu;
}

/* ---- parsing ------------------------------------------------------------ */

static const char *const error_text[ICMP_ERR_LAST] = {
	[ICMP_ERR_NONE] = "no error",
	[ICMP_ERR_NET_UNREACH] = "network unreachable",
	[ICMP_ERR_HOST_UNREACH] = "host unreachable",
	[ICMP_ERR_PROTO_UNREACH] = "protocol unreachable",
	[ICMP_ERR_PORT_UNREACH] = "port unreachable",
	[ICMP_ERR_FRAG_NEEDED] = "fragmentation needed",
	[ICMP_ERR_PROHIBITED] = "administratively prohibited",
	[ICMP_ERR_TTL_EXCEEDED] = "time to live exceeded",
	[ICMP_ERR_REASSEMBLY] = "fragment reassembly time exceeded",
	[ICMP_ERR_PARAM] = "parameter problem",
	[ICMP_ERR_OTHER] = "ICMP error",
};

const char *icmp_error_text(enum icmp_error e)
{
	return e < ICMP_ERR_LAST ? error_text[e] : "ICMP error";
}

const char *icmp_error_mark(enum icmp_error e)
{
	switch (e) {
	case ICMP_ERR_NET_UNREACH: return "!N";
	case ICMP_ERR_HOST_UNREACH: return "!H";
	case ICMP_ERR_PROTO_UNREACH: return "!P";
	case ICMP_ERR_PROHIBITED: return "!X";
	case ICMP_ERR_FRAG_NEEDED: return "!F";
	default: return "";
	}
}

static enum icmp_error classify_v4(uint8_t type, uint8_t code)
{
	static const enum icmp_error unreach[16] = {
		ICMP_ERR_NET_UNREACH, ICMP_ERR_HOST_UNREACH, ICMP_ERR_PROTO_UNREACH,
		ICMP_ERR_PORT_UNREACH, ICMP_ERR_FRAG_NEEDED, ICMP_ERR_OTHER,
		ICMP_ERR_NET_UNREACH, ICMP_ERR_HOST_UNREACH, ICMP_ERR_HOST_UNREACH,
		ICMP_ERR_PROHIBITED, ICMP_ERR_PROHIBITED, ICMP_ERR_NET_UNREACH,
		ICMP_ERR_HOST_UNREACH, ICMP_ERR_PROHIBITED, ICMP_ERR_PROHIBITED,
		ICMP_ERR_PROHIBITED,
	};

	switch (type) {
	case V4_UNREACH: return code < 16 ? unreach[code] : ICMP_ERR_OTHER;
	case V4_TIME_EXCEEDED: return code == 0 ? ICMP_ERR_TTL_EXCEEDED : ICMP_ERR_REASSEMBLY;
	case V4_PARAM: return ICMP_ERR_PARAM;
	default: return ICMP_ERR_NONE;
	}
}

static enum icmp_error classify_v6(uint8_t type, uint8_t code)
{
	static const enum icmp_error unreach[7] = {
		ICMP_ERR_NET_UNREACH, ICMP_ERR_PROHIBITED, ICMP_ERR_OTHER,
		ICMP_ERR_HOST_UNREACH, ICMP_ERR_PORT_UNREACH, ICMP_ERR_PROHIBITED,
		ICMP_ERR_PROHIBITED,
	};

	switch (type) {
	case V6_UNREACH: return code < 7 ? unreach[code] : ICMP_ERR_OTHER;
	case V6_TOO_BIG: return ICMP_ERR_FRAG_NEEDED;
	case V6_TIME_EXCEEDED: return code == 0 ? ICMP_ERR_TTL_EXCEEDED : ICMP_ERR_REASSEMBLY;
	case V6_PARAM: return ICMP_ERR_PARAM;
	default: return ICMP_ERR_NONE;
	}
}

/* The identifier, sequence and tag of an echo header and its data, and
 * whether the filler after the tag is intact. */
static void read_echo(const unsigned char *p, size_t n, struct icmp_msg *m)
{
	const unsigned char *d = p + ICMP_HDR_LEN;

	m->ident = get16(p + 4);
	m->seq = get16(p + 6);
	m->data_len = n - ICMP_HDR_LEN;
	if (m->data_len < ICMP_TAG_LEN)
		return;
	m->tagged = true;
	memcpy(m->cookie, d, ICMP_COOKIE_LEN);
	m->index = get32(d + ICMP_COOKIE_LEN);
	m->filler_ok = true;
	for (size_t i = ICMP_TAG_LEN; i < m->data_len && m->filler_ok; i++)
		m->filler_ok = d[i] == (unsigned char)i;
}

static void set_addr(struct sockaddr_storage *ss, int family, const unsigned char *a)
{
	memset(ss, 0, sizeof(*ss));
	ss->ss_family = (sa_family_t)family;
	if (family == AF_INET)
		memcpy(&((struct sockaddr_in *)ss)->sin_addr, a, 4);
	else
		memcpy(&((struct sockaddr_in6 *)ss)->sin6_addr, a, 16);
}

/* The IP packet an error quotes: ours if it is an echo request over ICMP
 * of this family.  Fills probe_to, identifier, sequence and tag. */
static bool read_quoted(int family, const unsigned char *q, size_t n, struct icmp_msg *m)
{
	size_t hl;

	if (family == AF_INET) {
		if (n < IP4_MIN_HDR || q[0] >> 4 != 4)
			return false;
		hl = (size_t)(q[0] & 0x0f) * 4;
		if (hl < IP4_MIN_HDR || q[9] != IPPROTO_ICMP)
			return false;
		set_addr(&m->probe_to, AF_INET, q + 16);
	} else {
		hl = IP6_HDR;
		if (n < hl || q[0] >> 4 != 6 || q[6] != IPPROTO_ICMPV6)
			return false;
		set_addr(&m->probe_to, AF_INET6, q + 24);
	}
	if (n < hl + ICMP_HDR_LEN || q[hl] != (family == AF_INET ? V4_ECHO : V6_ECHO))
		return false;
	m->has_probe_to = true;
	read_echo(q + hl, n - hl, m);
	return true;
}

static enum icmp_msg_kind parse_icmp(int family, const unsigned char *p, size_t n,
				     bool verify, struct icmp_msg *m)
{
	if (n < ICMP_HDR_LEN || (verify && inet_sum(p, n) != 0))
		return ICMP_MSG_IGNORED;
	m->type = p[0];
	m->code = p[1];
	if (m->type == (family == AF_INET ? V4_ECHO_REPLY : V6_ECHO_REPLY)) {
		if (m->code != 0)
			return ICMP_MSG_IGNORED;
		read_echo(p, n, m);
		return m->kind = ICMP_MSG_REPLY;
	}
	m->error = family == AF_INET ? classify_v4(m->type, m->code)
				     : classify_v6(m->type, m->code);
	if (m->error == ICMP_ERR_NONE || !read_quoted(family, p + ICMP_HDR_LEN, n - ICMP_HDR_LEN, m))
		return ICMP_MSG_IGNORED;
	if (m->error == ICMP_ERR_FRAG_NEEDED)
		m->mtu = family == AF_INET ? get16(p + 6) : get32(p + 4);
	return m->kind = ICMP_MSG_ERROR;
}

static void msg_clear(struct icmp_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->ttl = -1;
}

enum icmp_msg_kind icmp_parse(int family, bool ip_header, const unsigned char *p, size_t n,
			      struct icmp_msg *m)
{
	size_t hl, total;

	msg_clear(m);
	if (!ip_header)
		return parse_icmp(family, p, n, false, m);
	if (family != AF_INET || n < IP4_MIN_HDR || p[0] >> 4 != 4)
		return ICMP_MSG_IGNORED;
	hl = (size_t)(p[0] & 0x0f) * 4;
	total = get16(p + 2);
	if (hl < IP4_MIN_HDR || hl > n || total < hl || p[9] != IPPROTO_ICMP)
		return ICMP_MSG_IGNORED;
	m->ttl = p[8];
	/* The kernel checks the checksum before a datagram socket sees a
	 * message, but not before a raw one does.  A message cut short by
	 * the receive buffer cannot be checked: its tag still decides. */
	if (n > total)
		n = total;
	return parse_icmp(family, p + hl, n - hl, n == total, m);
}

/* What a queued error says, and where its request went: false when it is
 * no error a probe can draw. */
static bool queued_common(int family, const struct icmp_queued *q, struct icmp_msg *m)
{
	if (q->origin == SO_EE_ORIGIN_ICMP && family == AF_INET)
		m->error = classify_v4(q->type, q->code);
	else if (q->origin == SO_EE_ORIGIN_ICMP6 && family == AF_INET6)
		m->error = classify_v6(q->type, q->code);
	else if (q->origin == SO_EE_ORIGIN_LOCAL && q->err == EMSGSIZE)
		m->error = ICMP_ERR_FRAG_NEEDED;
	if (m->error == ICMP_ERR_NONE)
		return false;
	m->type = q->type;
	m->code = q->code;
	if (m->error == ICMP_ERR_FRAG_NEEDED)
		m->mtu = q->info;
	if (q->dest && q->dest->sa_family == family) {
		memcpy(&m->probe_to, q->dest,
		       family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
		m->has_probe_to = true;
	}
	return true;
}

enum icmp_msg_kind icmp_parse_queued(int family, const struct icmp_queued *q,
				     const unsigned char *p, size_t n, struct icmp_msg *m)
{
	msg_clear(m);
	if (n < ICMP_HDR_LEN || p[0] != (family == AF_INET ? V4_ECHO : V6_ECHO) ||
	    !queued_common(family, q, m))
		return ICMP_MSG_IGNORED;
	read_echo(p, n, m);
	return m->kind = ICMP_MSG_ERROR;
}

enum icmp_msg_kind icmp_parse_queued_udp(int family, const struct icmp_queued *q,
					 const unsigned char *p, size_t n, struct icmp_msg *m)
{
	msg_clear(m);
	if (!queued_common(family, q, m))
		return ICMP_MSG_IGNORED;
	m->data_len = n;
	if (n >= ICMP_TAG_LEN) {
		m->tagged = true;
		memcpy(m->cookie, p, ICMP_COOKIE_LEN);
		m->index = get32(p + ICMP_COOKIE_LEN);
		m->seq = (uint16_t)m->index;
	}
	return m->kind = ICMP_MSG_ERROR;
}

/* ---- receiving ---------------------------------------------------------- */

/* The monotonic time the kernel stamped a message with: its realtime stamp
 * moved by how long ago that was on the realtime clock.  A stamp from the
 * future or from long ago (the clock was set) is not used. */
static int64_t rx_time(const struct msghdr *h, int64_t now_mono, int64_t now_real)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR((struct msghdr *)h, c)) {
		struct timespec ts;
		int64_t ago;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPNS)
			continue;
		memcpy(&ts, CMSG_DATA(c), sizeof(ts));
		ago = now_real - ((int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec);
		if (ago >= 0 && ago < 10 * NS_PER_S)
			return now_mono - ago;
	}
	return now_mono;
}

static int64_t real_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}


static int recv_normal(struct icmp_sock *s, struct icmp_msg *out, int max, unsigned *ignored)
{
	struct icmp_rx *rx = s->rx;
	int got, kept = 0;
	int64_t mono, real;

	if (max > ICMP_RECV_BATCH)
		max = ICMP_RECV_BATCH;
	/* MSG_TRUNC: msg_len is a message's whole length, also when only
	 * RX_SLOT bytes of it were kept. */
	got = recvmmsg(s->fd, rx->hdr, (unsigned)max, MSG_DONTWAIT | MSG_TRUNC, NULL);
	if (got < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
	mono = mono_now_ns();
	real = real_now_ns();
	for (int i = 0; i < got; i++) {
		struct msghdr *h = &rx->hdr[i].msg_hdr;
		size_t whole = rx->hdr[i].msg_len, n = whole > RX_SLOT ? RX_SLOT : whole;
		struct icmp_msg *m = &out[kept];

		if (icmp_parse(s->family, s->kind == ICMP_SOCK_RAW && s->family == AF_INET,
			       rx->data[i], n, m) == ICMP_MSG_IGNORED) {
			(*ignored)++;
			continue;
		}
		m->data_len += whole - n; /* what was not kept still counts */
		memcpy(&m->from, &rx->from[i], sizeof(m->from));
		m->rx_ns = rx_time(h, mono, real);
		kept++;
	}
	for (int i = 0; i < got; i++)
		prepare(rx, i);
	return kept;
}

/* The extended error and offender of a queued error, or NULL. */
static struct sock_extended_err *queued_error(struct msghdr *h)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c)) {
		if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) ||
		    (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR))
			return (struct sock_extended_err *)CMSG_DATA(c);
	}
	return NULL;
}

static int recv_queued(struct icmp_sock *s, struct icmp_msg *out, int max, unsigned *ignored)
{
	struct icmp_rx *rx = s->rx;
	int kept = 0, rc = 0;

	while (kept < max) {
		struct msghdr *h = &rx->hdr[0].msg_hdr;
		struct sock_extended_err *ee;
		struct icmp_queued q;
		ssize_t n;

		prepare(rx, 0);
		n = recvmsg(s->fd, h, MSG_ERRQUEUE | MSG_DONTWAIT);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				rc = -1;
			break;
		}
		ee = queued_error(h);
		if (ee == NULL) {
			(*ignored)++;
			continue;
		}
		q = (struct icmp_queued){ .err = ee->ee_errno, .origin = ee->ee_origin,
					  .type = ee->ee_type, .code = ee->ee_code,
					  .info = ee->ee_info,
					  .dest = (struct sockaddr *)&rx->from[0] };
		if ((s->kind == ICMP_SOCK_UDP
			     ? icmp_parse_queued_udp(s->family, &q, rx->data[0], (size_t)n, &out[kept])
			     : icmp_parse_queued(s->family, &q, rx->data[0], (size_t)n, &out[kept])) ==
		    ICMP_MSG_IGNORED) {
			(*ignored)++;
			continue;
		}
		memset(&out[kept].from, 0, sizeof(out[kept].from));
		if (SO_EE_OFFENDER(ee)->sa_family == s->family)
			memcpy(&out[kept].from, SO_EE_OFFENDER(ee),
			       s->family == AF_INET ? sizeof(struct sockaddr_in)
						    : sizeof(struct sockaddr_in6));
		out[kept].rx_ns = rx_time(h, mono_now_ns(), real_now_ns());
		kept++;
	}
	prepare(rx, 0); /* slot 0 is recv_normal's too */
	return rc < 0 && kept == 0 ? -1 : kept;
}

int icmp_recv(struct icmp_sock *s, bool errqueue, struct icmp_msg *out, int max,
	      unsigned *ignored)
{
	int got = 0, more;

	/* The buffers come with the first read: a socket of a family the run
	 * never uses costs nothing. */
	if (s->rx == NULL) {
		s->rx = malloc(sizeof(*s->rx));
		if (s->rx == NULL) {
			errno = ENOMEM;
			return -1;
		}
		rx_init(s->rx);
	}

	if (errqueue && s->kind != ICMP_SOCK_RAW) {
		got = recv_queued(s, out, max, ignored);
		if (got < 0)
			return -1;
	}
	if (got >= max)
		return got;
	more = recv_normal(s, out + got, max - got, ignored);
	return more < 0 ? (got ? got : -1) : got + more;
}

/* ---- TCP probes --------------------------------------------------------- */

int icmp_tcp_connect(int family, int ttl, const struct sockaddr *to, socklen_t tolen,
		     const struct sockaddr *source, socklen_t source_len)
{
	int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
	int e;

	if (fd < 0)
		return -1;
	if ((family == AF_INET ? set_int(fd, IPPROTO_IP, IP_RECVERR, 1) ||
				     set_int(fd, IPPROTO_IP, IP_TTL, ttl)
			       : set_int(fd, IPPROTO_IPV6, IPV6_RECVERR, 1) ||
				     set_int(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, ttl)) != 0)
		goto fail;
	set_int(fd, SOL_SOCKET, SO_TIMESTAMPNS, 1);
	set_int(fd, IPPROTO_TCP, TCP_SYNCNT, 1); /* the least: one SYN sent again at most */
	if (source && bind(fd, source, source_len) != 0)
		goto fail;
	if (connect(fd, to, tolen) == 0 || errno == EINPROGRESS)
		return fd;
fail:
	e = errno;
	close(fd);
	errno = e;
	return -1;
}

enum icmp_msg_kind icmp_tcp_outcome(int fd, int family, struct icmp_msg *m)
{
	unsigned char data[64], ctrl[RX_CTRL];
	struct sockaddr_storage dest;
	struct iovec iov = { data, sizeof(data) };
	struct msghdr h = { .msg_name = &dest, .msg_namelen = sizeof(dest), .msg_iov = &iov,
			    .msg_iovlen = 1, .msg_control = ctrl, .msg_controllen = sizeof(ctrl) };
	struct sock_extended_err *ee;
	int err = 0;
	socklen_t len = sizeof(err);

	msg_clear(m);
	if (recvmsg(fd, &h, MSG_ERRQUEUE | MSG_DONTWAIT) >= 0 && (ee = queued_error(&h)) != NULL) {
		struct icmp_queued q = { .err = ee->ee_errno, .origin = ee->ee_origin,
					 .type = ee->ee_type, .code = ee->ee_code,
					 .info = ee->ee_info, .dest = (struct sockaddr *)&dest };

		if (!queued_common(family, &q, m))
			return ICMP_MSG_IGNORED;
		if (SO_EE_OFFENDER(ee)->sa_family == family)
			memcpy(&m->from, SO_EE_OFFENDER(ee),
			       family == AF_INET ? sizeof(struct sockaddr_in)
						 : sizeof(struct sockaddr_in6));
		m->rx_ns = rx_time(&h, mono_now_ns(), real_now_ns());
		return m->kind = ICMP_MSG_ERROR;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
		return ICMP_MSG_IGNORED;
	if (err == 0) {
		struct sockaddr_storage peer;
		socklen_t plen = sizeof(peer);

		if (getpeername(fd, (struct sockaddr *)&peer, &plen) != 0)
			return ICMP_MSG_IGNORED; /* still connecting */
	} else if (err != ECONNREFUSED) {
		return ICMP_MSG_IGNORED;
	}
	m->rx_ns = mono_now_ns();
	return m->kind = ICMP_MSG_REPLY;
}

void icmp_tcp_close(int fd)
{
	struct linger l = { 1, 0 };

	if (fd < 0)
		return;
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(fd);
}
