/* icmp: ICMP and ICMPv6 echo for ping-like checks.
 *
 * Sockets: an unprivileged datagram "ping" socket where the kernel allows
 * it (net.ipv4.ping_group_range, for IPv4 and IPv6 alike), else a raw
 * socket (root, or CAP_NET_RAW from `setcap cap_net_raw+ep`).  A plugin
 * opens its sockets first thing in main and then calls
 * icmp_drop_privileges before it reads an option or a packet.
 *
 * Packets: echo requests carry a tag in their data (a random cookie of the
 * run and the probe's index), so a reply is matched by its source, its
 * sequence number and the tag: on a datagram socket the kernel rewrites the
 * identifier, and on a raw socket every ICMP message of the host arrives.
 * Errors (unreachable, fragmentation needed, time exceeded, ...) are
 * matched through the packet they quote.  The parsers are pure functions
 * over bytes, for unit tests and fuzzing. */
#ifndef NETCHECK_ICMP_H
#define NETCHECK_ICMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "fail.h"

#define ICMP_HDR_LEN    8  /* type, code, checksum, identifier, sequence */
#define ICMP_COOKIE_LEN 8  /* random per run */
#define ICMP_TAG_LEN    12 /* cookie and a 32-bit probe index */
#define ICMP_MAX_DATA   65507 /* data bytes of the largest IPv4 echo */
#define ICMP_RECV_BATCH 64 /* messages one icmp_recv reads at most */

enum icmp_kind {
	ICMP_SOCK_NONE,  /* no socket */
	ICMP_SOCK_DGRAM, /* SOCK_DGRAM, IPPROTO_ICMP(V6): unprivileged */
	ICMP_SOCK_RAW,   /* SOCK_RAW: root or CAP_NET_RAW */
	ICMP_SOCK_UDP,   /* SOCK_DGRAM, IPPROTO_UDP: traceroute's UDP probes;
			  * the ICMP errors they draw come back through the
			  * error queue (IP_RECVERR), no privilege needed */
};

/* One socket of a run. */
struct icmp_rx;

struct icmp_sock {
	int fd;              /* -1 when none */
	int family;          /* AF_INET or AF_INET6 */
	enum icmp_kind kind;
	int dgram_errno;     /* why no datagram socket (0: there is one) */
	int raw_errno;       /* why no raw socket (0: there is one, or it was
			      * not tried) */
	bool kernel_stamps;  /* SO_TIMESTAMPNS is on */
	uint16_t ident;      /* identifier sent (raw); the kernel's on dgram */
	struct icmp_rx *rx;  /* receive buffers (owned), from the first read */
};

/* Opens an ICMP socket of family: datagram if allowed, else raw; with
 * receive timestamps, a large receive buffer, and (raw) a filter that lets
 * only echo replies and errors in.  Returns 0, or -1 with s->fd == -1 and
 * the reasons in s->dgram_errno and s->raw_errno. */
int icmp_open(int family, struct icmp_sock *s);

/* Opens a UDP socket of family for probes whose ICMP errors matter (time
 * exceeded, port unreachable): IP_RECVERR on, receive timestamps.  The
 * source port is the kernel's, bound at the first send (or by
 * icmp_configure's source) and kept, so every datagram of the run has the
 * same ports.  Returns 0, or -1 with errno. */
int icmp_udp_open(int family, struct icmp_sock *s);

/* The data of a UDP probe: the tag (cookie and index), then the echo
 * filler, data_len bytes (at least ICMP_TAG_LEN).  Returns data_len, or 0
 * when it is out of range or buf too small. */
size_t icmp_udp_build(const unsigned char cookie[ICMP_COOKIE_LEN], uint32_t index,
		      size_t data_len, unsigned char *buf, size_t buflen);

void icmp_close(struct icmp_sock *s);

/* What a user can do when no socket opened: the sysctl that allows
 * datagram sockets, or the setcap line for the binary at `self`. */
void icmp_open_advice(const struct icmp_sock *s, const char *self, char *buf, size_t len);

/* Gives up every privilege for good: a real root becomes uid and gid 65534
 * (nobody), a set-user-ID program its real user; capabilities are cleared
 * and no exec can gain new ones (PR_SET_NO_NEW_PRIVS).  Returns 0, or -1
 * with the reason in err. */
int icmp_drop_privileges(char *err, size_t errlen);

/* What an ICMP plugin does first thing in main: opens a socket of each
 * family (icmp_open; one that fails keeps its reasons for
 * icmp_open_advice), then gives up every privilege.  Returns 0, or -1 with
 * the reason in err when privileges could not be dropped. */
int icmp_open_all(struct icmp_sock *v4, struct icmp_sock *v6, char *err, size_t errlen);

/* The Uid, Gid (real, effective, saved, filesystem) and CapEff lines of
 * /proc/self/status ("uid 65534 65534 65534 65534, gid ..., CapEff
 * 0000000000000000"), for -vvv and tests. */
void icmp_privileges_text(char *buf, size_t len);

/* What the socket sends with, set after the options are read. */
struct icmp_setup {
	int ttl;                 /* 0: the system's */
	int tos;                 /* -1: the system's; IPv4 TOS, IPv6 traffic class */
	bool dont_fragment;      /* DF (IPv4); IPv6 is never fragmented on the
				  * path, and with this not locally either */
	bool ignore_path_mtu;    /* with dont_fragment: send up to the
				  * interface's MTU whatever the kernel learnt
				  * of the path (IP_PMTUDISC_PROBE), so that
				  * every probe draws its own answer */
	const struct sockaddr *source; /* bind to this address; NULL: any */
	socklen_t source_len;
	const char *device;      /* send through this interface; NULL: any */
};

/* Applies setup to s.  Returns 0, or -1 with f set (FAIL_INTERNAL: bad
 * source address for this host, ...). */
int icmp_configure(struct icmp_sock *s, const struct icmp_setup *setup, struct fail *f);

/* Sets the TTL (hop limit) of the packets sent from now on. */
int icmp_set_ttl(struct icmp_sock *s, int ttl);

/* Builds an echo request of family into buf: header, then data_len data
 * bytes (at least ICMP_TAG_LEN) starting with the tag.  The IPv4 checksum is
 * filled in; the kernel computes ICMPv6's.  Returns the packet's length, or
 * 0 when buf is too small or data_len out of range. */
size_t icmp_echo_build(int family, uint16_t ident, uint16_t seq,
		       const unsigned char cookie[ICMP_COOKIE_LEN], uint32_t index,
		       size_t data_len, unsigned char *buf, size_t buflen);

/* Sends len bytes to `to` without blocking.  Returns 0, or an errno value
 * (EAGAIN and ENOBUFS: try again later; EMSGSIZE: larger than the path
 * MTU with -M; EHOSTUNREACH, ENETUNREACH: no route). */
int icmp_send(const struct icmp_sock *s, const struct sockaddr *to, socklen_t tolen,
	      const unsigned char *pkt, size_t len);

/* The path MTU the kernel knows toward `to` (after an EMSGSIZE), or 0.
 * Needs no privilege (it asks through a connected UDP socket). */
int icmp_path_mtu(const struct icmp_sock *s, const struct sockaddr *to, socklen_t tolen);

/* What an ICMP error says, decoded from its type and code. */
enum icmp_error {
	ICMP_ERR_NONE,
	ICMP_ERR_NET_UNREACH,   /* !N */
	ICMP_ERR_HOST_UNREACH,  /* !H */
	ICMP_ERR_PROTO_UNREACH, /* !P */
	ICMP_ERR_PORT_UNREACH,  /* the destination itself answered */
	ICMP_ERR_FRAG_NEEDED,   /* !F: fragmentation needed / packet too big;
				 * mtu says the size */
	ICMP_ERR_PROHIBITED,    /* !X: administratively prohibited */
	ICMP_ERR_TTL_EXCEEDED,  /* time exceeded in transit */
	ICMP_ERR_REASSEMBLY,    /* time exceeded in fragment reassembly */
	ICMP_ERR_PARAM,         /* parameter problem */
	ICMP_ERR_OTHER,
	ICMP_ERR_LAST
};

/* "host unreachable", "fragmentation needed", ... */
const char *icmp_error_text(enum icmp_error e);

/* traceroute's mark: "!H", "!N", "!P", "!X", "!F"; "" for the others. */
const char *icmp_error_mark(enum icmp_error e);

enum icmp_msg_kind {
	ICMP_MSG_IGNORED, /* not an echo reply or an error quoting an echo
			   * request; truncated; bad checksum */
	ICMP_MSG_REPLY,   /* an echo reply */
	ICMP_MSG_ERROR,   /* an error quoting one of our echo requests */
};

/* One message, parsed. */
struct icmp_msg {
	enum icmp_msg_kind kind;
	uint8_t type, code;       /* of the message itself */
	enum icmp_error error;    /* ICMP_MSG_ERROR: what it says */
	uint32_t mtu;             /* ICMP_ERR_FRAG_NEEDED: the next-hop MTU
				   * (0: the router did not say) */
	uint16_t ident, seq;      /* of the echo (reply or quoted request) */
	bool tagged;              /* the data held a whole tag */
	unsigned char cookie[ICMP_COOKIE_LEN];
	uint32_t index;           /* the probe index of the tag */
	size_t data_len;          /* ICMP_MSG_REPLY: data bytes after the header
				   * (as received, also beyond what was kept) */
	bool filler_ok;           /* ICMP_MSG_REPLY: every data byte after the
				   * tag is what icmp_echo_build put there */
	bool has_probe_to;        /* probe_to is known */
	struct sockaddr_storage probe_to; /* ICMP_MSG_ERROR: where the quoted
					   * request went */
	int ttl;                  /* TTL of the received packet; -1 unknown */
	/* Filled in by icmp_recv, not by the parsers: */
	struct sockaddr_storage from; /* who sent the message: the target for
				       * a reply, a router or the target for
				       * an error */
	int64_t rx_ns;            /* CLOCK_MONOTONIC receive time (from the
				   * kernel's timestamp where there is one) */
};

/* Parses a message of family as a socket delivers it: with ip_header (IPv4
 * raw sockets) the packet starts with its IPv4 header, and the ICMP
 * checksum is verified (unless the packet was cut short); otherwise it
 * starts with the ICMP header, whose checksum the kernel has verified.
 * Returns m->kind. */
enum icmp_msg_kind icmp_parse(int family, bool ip_header, const unsigned char *p, size_t n,
			      struct icmp_msg *m);

/* An error the kernel queued on a datagram socket (IP_RECVERR): the
 * fields of its sock_extended_err, and where the request went. */
struct icmp_queued {
	uint32_t err;    /* ee_errno */
	uint8_t origin;  /* ee_origin: SO_EE_ORIGIN_LOCAL, _ICMP, _ICMP6 */
	uint8_t type, code;
	uint32_t info;   /* ee_info: the MTU for EMSGSIZE and "too big" */
	const struct sockaddr *dest;
};

/* Parses a queued error and the request it returns (our ICMP header and
 * data, as sent).  Returns m->kind. */
enum icmp_msg_kind icmp_parse_queued(int family, const struct icmp_queued *q,
				     const unsigned char *p, size_t n, struct icmp_msg *m);

/* Parses a queued error of a UDP socket and the datagram data it returns
 * (what the router quoted after the UDP header: the tag when the router
 * quoted enough).  Returns m->kind: ICMP_MSG_ERROR with error
 * ICMP_ERR_PORT_UNREACH when the destination itself answered. */
enum icmp_msg_kind icmp_parse_queued_udp(int family, const struct icmp_queued *q,
					 const unsigned char *p, size_t n, struct icmp_msg *m);

/* ---- TCP probes (traceroute -T without privilege) ------------------------ */

/* Starts a TCP connect to `to` whose SYN leaves with this TTL (hop
 * limit), IP_RECVERR on, from source when given: the ICMP error it draws
 * comes back through the socket's error queue, the destination answers by
 * accepting or refusing.  Each probe is its own socket (and source port).
 * Returns the non-blocking socket, or -1 with errno. */
int icmp_tcp_connect(int family, int ttl, const struct sockaddr *to, socklen_t tolen,
		     const struct sockaddr *source, socklen_t source_len);

/* What became of a TCP probe whose socket poll reported: ICMP_MSG_ERROR
 * with the error, the router that sent it (from) and its receive time;
 * ICMP_MSG_REPLY when the destination accepted or refused the connection
 * (from is left empty: the caller knows where it went; rx_ns is now);
 * ICMP_MSG_IGNORED when nothing has come yet. */
enum icmp_msg_kind icmp_tcp_outcome(int fd, int family, struct icmp_msg *m);

/* Closes a TCP probe's socket at once, with a reset rather than a
 * goodbye, so that nothing lingers. */
void icmp_tcp_close(int fd);

/* Reads up to max waiting messages without blocking (the error queue too,
 * when errqueue is set: poll said POLLERR).  Each message is parsed, its
 * sender and receive time filled in; ignored ones are counted in *ignored
 * and not returned.  Returns the number of messages in out, -1 on a socket
 * error (errno). */
int icmp_recv(struct icmp_sock *s, bool errqueue, struct icmp_msg *out, int max,
	      unsigned *ignored);

#endif
