#!/usr/bin/env python3
"""ICMP/ICMPv6 echo responder for the netcheck network lab (tests/lab/netlab).

Runs inside the lab's destination network namespace, where the kernel's own
echo replies are switched off (net.ipv4.icmp_echo_ignore_all=1,
net.ipv6.icmp.echo_ignore_all=1).  It reads echo requests from raw sockets and
answers them on purpose badly:

  delay=MS      hold every reply MS milliseconds
  jitter=MS     plus a uniform random -MS..+MS (the total never goes below 0)
  loss=PCT      drop PCT % of the requests (no reply at all)
  dup=N         send N extra copies of every reply
  corrupt=PCT   PCT % of the replies sent are damaged
  cmode=checksum|payload
                how a damaged reply is damaged: a wrong ICMP checksum
                (default) or the last payload byte flipped (checksum right)
  trunc=PCT     PCT % of the replies sent are cut short (checksum right for
                what is sent: a well-formed echo reply, shorter than the
                request)
  tlen=N        bytes of ICMP message a cut reply keeps, header included
                (8..65535; default: the header and the first half of the
                request's data); a reply not longer than N is sent whole
  seed=N        seed of the random choices (default: from the clock)

Besides every reply (after it, undamaged by the items above), messages that
are not for the requester's run, N of each per request (0..1000):

  foreign=N     echo replies with another identifier (the request's data,
                so its tag, left as it is)
  qerr=N        errors (IPv4 host unreachable, ICMPv6 address unreachable)
                quoting someone else's echo request: from the requester to
                this address, with another identifier and another tag
  flood=N       unrelated ICMP: echo replies with a random identifier and
                data, timestamp replies (IPv4), port unreachables quoting a
                UDP datagram, messages of an unassigned type

Damage (corrupt, trunc) and duplicates are chosen for each message sent, so a
duplicate may be damaged while its original is not.

--events FILE appends one line per decision, flushed at once, so that a test
can compare what a client measured with what was done to it.  Fields are
space separated key=value pairs; times are milliseconds:

  ev=drop why=loss|overflow fam=4|6 from=REQUESTER to=ADDR id=N seq=N bytes=N
  ev=send fam=4|6 from=REQUESTER to=ADDR id=N seq=N bytes=N copy=K
          planned_ms=X delay_ms=Y damage=none|checksum|payload|trunc[+...]
          [error=TEXT]
  ev=extra fam=4|6 from=REQUESTER to=ADDR id=N seq=N foreign=N qerr=N flood=N
          sent=N

bytes is the ICMP message length (of the request for drop, of the reply as
sent for send); copy is 0 for the reply and 1..dup for its duplicates;
planned_ms is the delay drawn (delay plus jitter); delay_ms is the delay
applied: from the kernel's receive timestamp of the request to the moment the
reply was handed to the kernel (what a client sees on top of the path's own
round trip).  The
requests that reached the responder are the drop lines plus the send lines
with copy=0; the applied loss is drop why=loss over those.  An error= field
means the reply could not be sent (the client saw no reply).

Safety: it refuses to run in the root network namespace (the one of pid 1),
exits when the namespace named by --netns is deleted or after --max-life
seconds, and only ever answers requesters inside 198.18.0.0/15 or
2001:db8::/32, back to the requester, from the address the request was sent
to.  Python 3 standard library only.
"""

import argparse
import errno
import heapq
import ipaddress
import os
import random
import select
import signal
import socket
import struct
import sys
import time

LAB_NETS = (ipaddress.ip_network("198.18.0.0/15"), ipaddress.ip_network("2001:db8::/32"))

# Linux constants that the socket module does not name everywhere.
SOL_RAW = 255
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
ICMP_FILTER = 1           # level SOL_RAW, IPv4 raw ICMP sockets
ICMP6_FILTER = 1          # level IPPROTO_ICMPV6
IP_PKTINFO = getattr(socket, "IP_PKTINFO", 8)
IP_MTU_DISCOVER = getattr(socket, "IP_MTU_DISCOVER", 10)
IP_PMTUDISC_DONT = getattr(socket, "IP_PMTUDISC_DONT", 0)
IPV6_CHECKSUM = getattr(socket, "IPV6_CHECKSUM", 7)
IPV6_RECVPKTINFO = getattr(socket, "IPV6_RECVPKTINFO", 49)
IPV6_PKTINFO = getattr(socket, "IPV6_PKTINFO", 50)

ICMP_ECHO, ICMP_ECHOREPLY = 8, 0
MAX_QUEUED = 10000        # replies held at once; requests beyond are dropped
ICMP6_ECHO_REQUEST, ICMP6_ECHO_REPLY = 128, 129


def log(msg):
    sys.stderr.write("echo_responder[%d]: %s\n" % (os.getpid(), msg))
    sys.stderr.flush()


def inet_checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def icmp6_checksum(src, dst, msg):
    pseudo = src + dst + struct.pack("!I3xB", len(msg), socket.IPPROTO_ICMPV6)
    return inet_checksum(pseudo + msg)


def in_lab(addr_text):
    try:
        addr = ipaddress.ip_address(addr_text)
    except ValueError:
        return False
    return any(addr in net for net in LAB_NETS)


def parse_spec(text):
    spec = {"delay": 0.0, "jitter": 0.0, "loss": 0.0, "dup": 0, "corrupt": 0.0,
            "cmode": "checksum", "trunc": 0.0, "tlen": None, "seed": None,
            "foreign": 0, "qerr": 0, "flood": 0}
    for item in filter(None, (t.strip() for t in (text or "").split(","))):
        key, sep, value = item.partition("=")
        if not sep or key not in spec:
            raise ValueError("bad item %r (want delay=MS,jitter=MS,loss=PCT,dup=N,"
                             "corrupt=PCT,cmode=checksum|payload,trunc=PCT,tlen=N,"
                             "seed=N,foreign=N,qerr=N,flood=N)" % item)
        if key == "cmode":
            if value not in ("checksum", "payload"):
                raise ValueError("cmode must be checksum or payload")
            spec[key] = value
        elif key in ("dup", "seed", "tlen", "foreign", "qerr", "flood"):
            spec[key] = int(value)
            if spec[key] < 0 or (key == "dup" and spec[key] > 100):
                raise ValueError("%s out of range" % key)
            if key in ("foreign", "qerr", "flood") and spec[key] > 1000:
                raise ValueError("%s above 1000" % key)
            if key == "tlen" and not 8 <= spec[key] <= 65535:
                raise ValueError("tlen must be 8..65535")
        else:
            spec[key] = float(value)
            if not spec[key] >= 0 or (key in ("loss", "corrupt", "trunc") and spec[key] > 100):
                raise ValueError("%s out of range" % key)
            if key in ("delay", "jitter") and spec[key] > 60000:
                raise ValueError("%s above 60000 ms" % key)
    return spec


def netns_inode(path):
    try:
        return os.stat(path).st_ino
    except OSError:
        return None


def rx_realtime(anc):
    """The kernel's receive timestamp (CLOCK_REALTIME, seconds) of a message
    from its ancillary data, or now when there is none."""
    for level, ctype, cdata in anc:
        if level == socket.SOL_SOCKET and ctype == SO_TIMESTAMPNS and len(cdata) >= 16:
            sec, nsec = struct.unpack("qq", cdata[:16])
            return sec + nsec / 1e9
    return time.time()


class Responder:
    def __init__(self, spec, netns, events=None):
        self.spec = spec
        self.netns = netns
        self.events = events     # a text file, or None
        self.rng = random.Random(spec["seed"])
        # (due, n, family, packet, dest, src_bytes, info); info: the
        # request's id, seq, copy number, planned delay, receive time
        self.queue = []
        self.n = 0
        self.stats = {"requests": 0, "lost": 0, "sent": 0, "corrupted": 0, "truncated": 0,
                      "ignored": 0, "overflow": 0}
        self.s4 = self.s6 = None
        self.v6_own_checksum = False
        self.open_sockets()

    def open_sockets(self):
        s4 = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        # Pass only echo requests up (a set bit filters that type out).
        s4.setsockopt(SOL_RAW, ICMP_FILTER, struct.pack("I", 0xFFFFFFFF & ~(1 << ICMP_ECHO)))
        s4.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        # Replies leave without Don't Fragment, as the kernel's own echo
        # replies do: a reply larger than a link on the way back (netlab
        # --mtu) is fragmented by the router, not dropped.
        s4.setsockopt(socket.IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DONT)
        s4.setblocking(False)
        self.s4 = s4
        try:
            s6 = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
        except OSError as e:
            log("no IPv6 raw socket (%s); answering IPv4 only" % e)
            return
        filt = [0xFFFFFFFF] * 8
        filt[ICMP6_ECHO_REQUEST >> 5] &= ~(1 << (ICMP6_ECHO_REQUEST & 31))
        s6.setsockopt(socket.IPPROTO_ICMPV6, ICMP6_FILTER, struct.pack("8I", *filt))
        s6.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVPKTINFO, 1)
        s6.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        # The kernel fills in ICMPv6 checksums itself; at level SOL_RAW it can
        # be told not to, so that a wrong checksum can be sent on purpose.
        try:
            s6.setsockopt(SOL_RAW, IPV6_CHECKSUM, -1)
            self.v6_own_checksum = True
        except OSError as e:
            log("kernel computes ICMPv6 checksums (%s): cmode=checksum damages the payload instead" % e)
        s6.setblocking(False)
        self.s6 = s6

    # --- receiving -------------------------------------------------------

    def event(self, text):
        if self.events is not None:
            self.events.write(text + "\n")
            self.events.flush()

    @staticmethod
    def describe(family, dest, src, packet):
        """The fields that name a request in an event line."""
        ident, seq = struct.unpack("!HH", packet[4:8])
        return "fam=%d from=%s to=%s id=%d seq=%d" % (
            4 if family == socket.AF_INET else 6, dest,
            socket.inet_ntop(family, src), ident, seq)

    def schedule(self, family, packet, dest, src, rx_real):
        spec = self.spec
        self.stats["requests"] += 1
        if spec["loss"] and self.rng.uniform(0, 100) < spec["loss"]:
            self.stats["lost"] += 1
            self.event("ev=drop why=loss %s bytes=%d" % (self.describe(family, dest, src, packet),
                                                         len(packet)))
            return
        delay = spec["delay"]
        if spec["jitter"]:
            delay += self.rng.uniform(-spec["jitter"], spec["jitter"])
        delay = max(0.0, delay)
        # due on the monotonic clock, from the moment the kernel took the
        # request in (the time it spent queued for us counts)
        due = time.monotonic() - max(0.0, time.time() - rx_real) + delay / 1000.0
        if len(self.queue) + 1 + spec["dup"] > MAX_QUEUED:
            self.stats["overflow"] += 1
            self.event("ev=drop why=overflow %s bytes=%d" % (
                self.describe(family, dest, src, packet), len(packet)))
            return
        for copy in range(1 + spec["dup"]):
            self.n += 1
            heapq.heappush(self.queue, (due, self.n, family, packet, dest, src,
                                        (copy, delay, rx_real)))

    def read4(self):
        while True:
            try:
                data, anc, _flags, addr = self.s4.recvmsg(65535, socket.CMSG_SPACE(16))
            except BlockingIOError:
                return
            if len(data) < 20:
                continue
            ihl = (data[0] & 0x0F) * 4
            icmp = data[ihl:]
            if len(icmp) < 8 or icmp[0] != ICMP_ECHO or icmp[1] != 0:
                continue
            src, dst = data[12:16], data[16:20]
            src_t, dst_t = socket.inet_ntop(socket.AF_INET, src), socket.inet_ntop(socket.AF_INET, dst)
            if not (in_lab(src_t) and in_lab(dst_t)) or inet_checksum(icmp) != 0:
                self.stats["ignored"] += 1
                continue
            reply = bytes([ICMP_ECHOREPLY, 0, 0, 0]) + icmp[4:]
            self.schedule(socket.AF_INET, reply, src_t, dst, rx_realtime(anc))

    def read6(self):
        while True:
            try:
                data, anc, _flags, addr = self.s6.recvmsg(
                    65535, socket.CMSG_SPACE(20) + socket.CMSG_SPACE(16))
            except BlockingIOError:
                return
            if len(data) < 8 or data[0] != ICMP6_ECHO_REQUEST or data[1] != 0:
                continue
            dst = None
            for level, ctype, cdata in anc:
                if level == socket.IPPROTO_IPV6 and ctype == IPV6_PKTINFO and len(cdata) >= 16:
                    dst = cdata[:16]
            src_t = addr[0].split("%")[0]
            if dst is None or not in_lab(src_t) or not in_lab(socket.inet_ntop(socket.AF_INET6, dst)):
                self.stats["ignored"] += 1
                continue
            reply = bytes([ICMP6_ECHO_REPLY, 0, 0, 0]) + data[4:]
            self.schedule(socket.AF_INET6, reply, src_t, dst, rx_realtime(anc))

    # --- sending ---------------------------------------------------------

    def damage(self, family, msg):
        """Returns (message, checksum_is_wrong)."""
        mode = self.spec["cmode"]
        if mode == "checksum" and (family == socket.AF_INET or self.v6_own_checksum):
            return msg, True
        if len(msg) > 8:
            return msg[:-1] + bytes([msg[-1] ^ 0xFF]), False
        return msg, family == socket.AF_INET or self.v6_own_checksum

    def truncate(self, msg):
        keep = self.spec["tlen"]
        if keep is None:
            keep = 8 + (len(msg) - 8) // 2
        return msg[:keep]

    def send(self, family, msg, dest, src, info):
        copy, planned, rx_real = info
        fields = self.describe(family, dest, src, msg)
        orig = msg
        bad = False
        damage = []
        if self.spec["trunc"] and self.rng.uniform(0, 100) < self.spec["trunc"]:
            cut = self.truncate(msg)
            if len(cut) < len(msg):
                msg = cut
                damage.append("trunc")
                self.stats["truncated"] += 1
        if self.spec["corrupt"] and self.rng.uniform(0, 100) < self.spec["corrupt"]:
            msg, bad = self.damage(family, msg)
            damage.append("checksum" if bad else "payload")
            self.stats["corrupted"] += 1
        msg = bytearray(msg)
        msg[2:4] = b"\0\0"
        if family == socket.AF_INET:
            ck = inet_checksum(bytes(msg))
        elif self.v6_own_checksum:
            ck = icmp6_checksum(src, socket.inet_pton(socket.AF_INET6, dest), bytes(msg))
        else:
            ck = None     # the kernel fills it in
        if ck is not None:
            if bad:
                ck ^= 0x5A5A
            msg[2:4] = struct.pack("!H", ck)
        if family == socket.AF_INET:
            # struct in_pktinfo { int ifindex; in_addr spec_dst; in_addr addr; }
            sock, anc = self.s4, [(socket.IPPROTO_IP, IP_PKTINFO,
                                   struct.pack("i4s4s", 0, src, b"\0" * 4))]
        else:
            # struct in6_pktinfo { in6_addr addr; int ifindex; }
            sock, anc = self.s6, [(socket.IPPROTO_IPV6, IPV6_PKTINFO, struct.pack("16si", src, 0))]
        data = bytes(msg)
        try:
            # The time the reply is handed to the kernel: sendmsg itself may
            # carry it all the way to the client before it returns (veth
            # and the routers' forwarding run in the sender's softirq).
            sent_real = time.time()
            sock.sendmsg([data], anc, 0, (dest, 0))
            self.stats["sent"] += 1
            error = ""
        except OSError as e:
            if e.errno not in (errno.EAGAIN, errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENOBUFS):
                raise
            log("send to %s: %s" % (dest, e))
            error = " error=" + (errno.errorcode.get(e.errno) or str(e.errno))
        self.event("ev=send %s bytes=%d copy=%d planned_ms=%.3f delay_ms=%.3f damage=%s%s" % (
            fields, len(msg), copy, planned, (sent_real - rx_real) * 1000.0,
            "+".join(damage) or "none", error))
        if copy == 0:
            self.send_extra(family, orig, dest, src, fields)

    # --- messages for nobody's run -------------------------------------------

    def finish(self, family, msg, dest, src):
        """msg with its checksum (the kernel's for ICMPv6 without our own)."""
        msg = bytearray(msg)
        msg[2:4] = b"\0\0"
        if family == socket.AF_INET:
            msg[2:4] = struct.pack("!H", inet_checksum(bytes(msg)))
        elif self.v6_own_checksum:
            ck = icmp6_checksum(src, socket.inet_pton(socket.AF_INET6, dest), bytes(msg))
            msg[2:4] = struct.pack("!H", ck)
        return bytes(msg)

    def quoted(self, family, dest, src, inner, proto):
        """An IP header from the requester (dest) to src carrying inner."""
        if family == socket.AF_INET:
            hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(inner), 0x1234, 0, 63,
                              proto, 0, socket.inet_pton(socket.AF_INET, dest), src)
            hdr = hdr[:10] + struct.pack("!H", inet_checksum(hdr)) + hdr[12:]
            return hdr + inner
        return struct.pack("!IHBB16s16s", 6 << 28, len(inner), proto, 63,
                           socket.inet_pton(socket.AF_INET6, dest), src) + inner

    def extra_messages(self, family, reply, dest, src):
        """The messages foreign=, qerr= and flood= ask for after reply."""
        v4 = family == socket.AF_INET
        out = []
        ident = struct.unpack("!H", reply[4:6])[0] ^ 0x8000
        for _ in range(self.spec["foreign"]):
            out.append(reply[:4] + struct.pack("!H", ident) + reply[6:])
        # someone else's request: another identifier, another tag
        data = bytes(b ^ 0xA5 for b in reply[8:8 + 12]) + reply[20:]
        req = bytearray([8 if v4 else 128, 0, 0, 0]) + struct.pack("!H", ident) + reply[6:8] + data
        if v4:
            req[2:4] = struct.pack("!H", inet_checksum(bytes(req)))
        req = bytes(req)
        proto_icmp = socket.IPPROTO_ICMP if v4 else socket.IPPROTO_ICMPV6
        err = bytes([3, 1] if v4 else [1, 3]) + b"\0\0\0\0\0\0"
        for _ in range(self.spec["qerr"]):
            out.append(err + self.quoted(family, dest, src, req[:8 + 12 + 8], proto_icmp))
        udp = struct.pack("!HHHH", 40000, 9, 16, 0) + b"netcheck"
        for k in range(self.spec["flood"]):
            kind = k % 4
            if kind == 0:
                m = bytes([0 if v4 else 129, 0, 0, 0]) + self.rng.randbytes(4 + 16)
            elif kind == 1 and v4:
                m = bytes([14, 0, 0, 0]) + self.rng.randbytes(4) + struct.pack("!III", 1, 2, 3)
            elif kind == 1:
                m = bytes([201, 0, 0, 0]) + self.rng.randbytes(12)
            elif kind == 2:
                m = bytes([3, 3] if v4 else [1, 4]) + b"\0" * 6 + \
                    self.quoted(family, dest, src, udp, socket.IPPROTO_UDP)
            else:
                m = bytes([42 if v4 else 200, 0, 0, 0]) + self.rng.randbytes(12)
            out.append(m)
        return out

    def send_extra(self, family, reply, dest, src, fields):
        if not (self.spec["foreign"] or self.spec["qerr"] or self.spec["flood"]):
            return
        sent = 0
        for m in self.extra_messages(family, reply, dest, src):
            m = self.finish(family, m, dest, src)
            if family == socket.AF_INET:
                sock, anc = self.s4, [(socket.IPPROTO_IP, IP_PKTINFO,
                                       struct.pack("i4s4s", 0, src, b"\0" * 4))]
            else:
                sock, anc = self.s6, [(socket.IPPROTO_IPV6, IPV6_PKTINFO,
                                       struct.pack("16si", src, 0))]
            try:
                sock.sendmsg([m], anc, 0, (dest, 0))
                sent += 1
            except OSError as e:
                if e.errno not in (errno.EAGAIN, errno.ENETUNREACH, errno.EHOSTUNREACH,
                                   errno.ENOBUFS):
                    raise
        self.event("ev=extra %s foreign=%d qerr=%d flood=%d sent=%d" % (
            fields, self.spec["foreign"], self.spec["qerr"], self.spec["flood"], sent))

    def flush_due(self):
        now = time.monotonic()
        while self.queue and self.queue[0][0] <= now:
            _due, _n, family, msg, dest, src, info = heapq.heappop(self.queue)
            self.send(family, msg, dest, src, info)
            now = time.monotonic()

    # --- main loop -------------------------------------------------------

    def run(self, max_life):
        start = time.monotonic()
        end = start + max_life
        ns_path = "/run/netns/" + self.netns
        own_ns = netns_inode("/proc/self/ns/net")
        next_ns_check = start
        socks = [s for s in (self.s4, self.s6) if s is not None]
        while True:
            now = time.monotonic()
            if now >= end:
                log("maximum lifetime (%ds) reached" % max_life)
                return
            if now >= next_ns_check:
                if netns_inode(ns_path) != own_ns:
                    log("namespace %s is gone" % self.netns)
                    return
                next_ns_check = now + 1.0
            timeout = min(end, next_ns_check) - now
            if self.queue:
                timeout = min(timeout, self.queue[0][0] - now)
            readable, _, _ = select.select(socks, [], [], max(0.0, timeout))
            if self.s4 in readable:
                self.read4()
            if self.s6 is not None and self.s6 in readable:
                self.read6()
            self.flush_due()


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--netns", required=True,
                    help="name of the network namespace this runs in (exits when it is deleted)")
    ap.add_argument("--spec", default="",
                    help="delay=MS,jitter=MS,loss=PCT,dup=N,corrupt=PCT,"
                         "cmode=checksum|payload,trunc=PCT,tlen=N,seed=N (see above)")
    ap.add_argument("--max-life", type=float, default=1800, help="seconds before exiting (default 1800)")
    ap.add_argument("--pidfile", help="written once the sockets are open")
    ap.add_argument("--events", metavar="FILE",
                    help="append one line per request dropped and per reply sent (see above)")
    ap.add_argument("--check", action="store_true", help="only check --spec and exit")
    args = ap.parse_args()

    try:
        spec = parse_spec(args.spec)
    except ValueError as e:
        log("bad --spec: %s" % e)
        return 2
    if args.check:
        return 0
    if not 0 < args.max_life <= 86400:
        log("--max-life must be in (0, 86400]")
        return 2
    own = netns_inode("/proc/self/ns/net")
    if own is None or own == netns_inode("/proc/1/ns/net"):
        log("refusing to run in the root network namespace")
        return 2
    if netns_inode("/run/netns/" + args.netns) != own:
        log("not running inside network namespace %s" % args.netns)
        return 2

    def on_term(signum, _frame):
        raise SystemExit(0)
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)

    events = open(args.events, "a", encoding="ascii") if args.events else None
    resp = Responder(spec, args.netns, events)
    if args.pidfile:
        tmp = args.pidfile + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % os.getpid())
        os.rename(tmp, args.pidfile)
    log("answering echo requests in %s with %s" % (args.netns, spec))
    try:
        resp.run(args.max_life)
    finally:
        log("exiting: %s" % resp.stats)
        if args.pidfile:
            try:
                with open(args.pidfile) as f:
                    if f.read().strip() == str(os.getpid()):
                        os.unlink(args.pidfile)
            except OSError:
                pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
