#!/usr/bin/env python3
"""A Graphite plaintext (carbon) listener for t_icinga_perfdata.sh.

Usage: graphite_listener.py OUTFILE [MAX_SECONDS]

Binds 127.0.0.1 on a port the kernel chooses, prints that port on stdout
(one line, flushed), then accepts any number of connections and appends
every line received ("metric value timestamp") to OUTFILE, flushed line by
line.  Ends on SIGTERM/SIGINT, or by itself after MAX_SECONDS (default 120)
so that it can never outlive a test run.
"""
import selectors
import signal
import socket
import sys
import time


def main():
    if len(sys.argv) not in (2, 3):
        sys.stderr.write(__doc__)
        return 2
    out_path = sys.argv[1]
    deadline = time.monotonic() + (float(sys.argv[2]) if len(sys.argv) == 3 else 120.0)

    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))

    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.setblocking(False)

    sel = selectors.DefaultSelector()
    sel.register(server, selectors.EVENT_READ, None)
    partial = {}

    with open(out_path, "ab", buffering=0) as out:
        sys.stdout.write("%d\n" % server.getsockname()[1])
        sys.stdout.flush()
        while not stop:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            for key, _ in sel.select(timeout=min(left, 0.5)):
                if key.fileobj is server:
                    try:
                        conn, _ = server.accept()
                    except (BlockingIOError, InterruptedError):
                        continue
                    conn.setblocking(False)
                    sel.register(conn, selectors.EVENT_READ, None)
                    partial[conn] = b""
                    continue
                conn = key.fileobj
                try:
                    data = conn.recv(65536)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    data = b""
                if not data:
                    if partial.get(conn):
                        out.write(partial[conn] + b"\n")
                    sel.unregister(conn)
                    conn.close()
                    partial.pop(conn, None)
                    continue
                buf = partial[conn] + data
                lines = buf.split(b"\n")
                partial[conn] = lines.pop()
                if lines:
                    out.write(b"".join(line.rstrip(b"\r") + b"\n" for line in lines))
    for conn in list(partial):
        conn.close()
    server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
