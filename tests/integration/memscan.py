#!/usr/bin/env python3
"""memscan.py PID NAME=HEX...: searches the writable memory of process PID
(every mapping of /proc/PID/maps with 'w' in its permissions, read through
/proc/PID/mem; needs root or ptrace rights) for each byte string HEX.

Prints one line per string found ("found NAME in MAPPING at 0xADDR") and a
last line "scanned N bytes in M mappings, skipped K" and exits 1 when any
was found, 0 when none was, 2 when the process could not be read at all.
Mappings larger than --max-mapping (default 1 GiB) are skipped and counted:
they are the shadow memory and allocator reserves of AddressSanitizer,
terabytes of untouched zero pages, not data of the program.
--except-after TEXT: a match right after TEXT outside the stack is listed
as "ignored" and not counted (AddressSanitizer's runtime keeps its own copy
of the environment, read from /proc/self/environ at start: VAR=value)."""

import argparse
import re
import sys


def mappings(pid):
    with open(f"/proc/{pid}/maps") as f:
        for line in f:
            parts = line.split(None, 5)
            lo, hi = (int(x, 16) for x in parts[0].split("-"))
            name = parts[5].strip() if len(parts) > 5 else "[anon]"
            yield lo, hi, parts[1], name or "[anon]"


def excepted(after, name, data, at):
    if after is None or name == "[stack]":
        return False
    pre = after.encode()
    return at >= len(pre) and data[at - len(pre):at] == pre


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--max-mapping", type=int, default=1 << 30)
    ap.add_argument("--except-after", default=None)
    ap.add_argument("pid", type=int)
    ap.add_argument("needles", nargs="+", help="NAME=HEX")
    a = ap.parse_args()
    needles = []
    for n in a.needles:
        name, _, hx = n.partition("=")
        b = bytes.fromhex(hx)
        if len(b) < 4:
            sys.exit(f"memscan: {name}: too short to search for")
        needles.append((name, b))
    found = scanned = regions = skipped = 0
    try:
        mem = open(f"/proc/{a.pid}/mem", "rb", buffering=0)
        maps = list(mappings(a.pid))
    except OSError as e:
        print(f"memscan: cannot read process {a.pid}: {e}")
        return 2
    with mem:
        for lo, hi, perms, name in maps:
            if "w" not in perms:
                continue
            if hi - lo > a.max_mapping:
                skipped += 1
                continue
            try:
                mem.seek(lo)
                data = mem.read(hi - lo)
            except OSError:
                skipped += 1
                continue
            regions += 1
            scanned += len(data)
            for nm, b in needles:
                for m in re.finditer(re.escape(b), data):
                    where = f"{nm} in {name} ({perms}) at {lo + m.start():#x}"
                    if excepted(a.except_after, name, data, m.start()):
                        print(f"ignored {where}, after {a.except_after}")
                        continue
                    found += 1
                    print(f"found {where}")
    print(f"scanned {scanned} bytes in {regions} mappings, skipped {skipped}")
    if regions == 0:
        return 2
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
