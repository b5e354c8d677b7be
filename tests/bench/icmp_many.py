#!/usr/bin/env python3
"""Many hosts at once: check_icmp_rtt beside fping (and check_icmp).

Runs each command RUNS times, interleaved (the order rotates every round),
through tests/tools/rusage, and keeps for every run the wall time, CPU time,
peak resident memory, and the number of echo requests the tool reported as
lost: ours and check_icmp from their perfdata (HOSTpl=N%), fping from its
-C output ('-' for a lost one).  Every host is a loopback address, so every
reported loss is a false one.  Prints one Markdown table row per tool and
metric, medians, with the ratio ours/tool.

  icmp_many.py --name NAME --runs N --packets 5 --ours CMD --tool NAME=CMD ...
"""
import argparse
import os
import re
import shlex
import statistics
import subprocess
import sys
import tempfile

RUSAGE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools", "rusage")
PL = re.compile(r"pl=([0-9.]+)%")


def lost_perfdata(out, packets):
    """Echo requests lost, from every 'pl=N%' of a check's perfdata."""
    perf = out.split("|", 1)[1] if "|" in out else ""
    return sum(round(float(v) * packets / 100.0) for v in PL.findall(perf))


def lost_fping(out, _packets):
    """fping -C prints 'host : t1 t2 - t4 t5' per host; '-' is a loss."""
    n = 0
    for line in out.splitlines():
        if " : " in line:
            n += line.split(" : ", 1)[1].split().count("-")
    return n


def measure(argv, count_lost, packets, must_pass=False):
    with tempfile.NamedTemporaryFile("r") as res:
        proc = subprocess.run([RUSAGE, "-o", res.name] + argv, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, check=False)
        fields = res.read().split()
    if proc.returncode != 0 or len(fields) != 4:
        sys.exit("icmp_many: the launcher failed for %s" % shlex.join(argv[:4]))
    out = proc.stdout.decode(errors="replace")
    # Every host answers on loopback: ours must say OK, or the run timed
    # a failure (an unreadable host file, say), which measures nothing.
    if must_pass and int(fields[3]) != 0:
        sys.exit("icmp_many: %s exited %s:\n%s" % (shlex.join(argv[:4]), fields[3], out[:2000]))
    return (float(fields[0]), float(fields[1]), int(fields[2]), count_lost(out, packets))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--name", required=True)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--packets", type=int, default=5)
    ap.add_argument("--ours", required=True)
    ap.add_argument("--tool", action="append", default=[], help="NAME=CMD")
    a = ap.parse_args()
    tools = [("check_icmp_rtt", shlex.split(a.ours), lost_perfdata)]
    for t in a.tool:
        name, cmd = t.split("=", 1)
        tools.append((name, shlex.split(cmd), lost_fping if name.startswith("fping")
                      else lost_perfdata))
    samples = {name: [] for name, _, _ in tools}
    for name, cmd, lost in tools:  # one warm-up each, not counted
        measure(cmd, lost, a.packets, name == "check_icmp_rtt")
    for i in range(a.runs):
        k = i % len(tools)
        for name, cmd, lost in tools[k:] + tools[:k]:
            samples[name].append(measure(cmd, lost, a.packets, name == "check_icmp_rtt"))

    def med(name, k):
        return statistics.median(s[k] for s in samples[name])

    ours = "check_icmp_rtt"
    rows = (("wall ms", 0, 1000.0), ("CPU ms", 1, 1000.0), ("peak RSS KiB", 2, 1.0),
            ("echo requests reported lost (all false)", 3, 1.0))
    for name, _, _ in tools[1:]:
        for label, k, scale in rows:
            o, t = med(ours, k) * scale, med(name, k) * scale
            ratio = "%.2f" % (o / t) if t > 0 else "-"
            print("| %s, vs %s | %s | %.2f | %.2f | %s |" % (a.name, name, label, o, t, ratio))
        worst = max(s[3] for s in samples[ours])
        print("| %s, vs %s | most lost by ours in one run | %d | %d | - |"
              % (a.name, name, worst, max(s[3] for s in samples[name])))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
