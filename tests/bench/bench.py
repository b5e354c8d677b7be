#!/usr/bin/env python3
"""Side-by-side benchmark of two commands: ours and theirs.

Runs both commands RUNS times each, interleaved (the order within each
round alternates, so neither always runs first on a warm cache), and
measures every run's wall time (monotonic clock), CPU time (user + system,
from wait4) and peak resident memory (ru_maxrss), through the small
launcher tests/tools/rusage so that Python's own size is not counted.  Prints the medians and
the ratio ours/theirs as one Markdown table row per metric.

  bench.py --name NAME --runs N --ours 'CMD' --theirs 'CMD' [--ok-codes 0,1]

A run whose exit code is not in --ok-codes is an error: the benchmark stops
and prints the command's output, since timing a failure measures nothing.
"""
import argparse
import os
import shlex
import statistics
import subprocess
import sys
import tempfile


RUSAGE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools", "rusage")


def measure(argv, ok_codes):
    with tempfile.NamedTemporaryFile("r") as res:
        proc = subprocess.run([RUSAGE, "-o", res.name] + argv, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, check=False)
        fields = res.read().split()
    if proc.returncode != 0 or len(fields) != 4:
        sys.exit("bench: the launcher failed for %s" % shlex.join(argv))
    wall, cpu, rss, code = float(fields[0]), float(fields[1]), int(fields[2]), int(fields[3])
    if code not in ok_codes:
        sys.exit("bench: %s exited %d:\n%s" % (shlex.join(argv), code,
                                              proc.stdout.decode(errors="replace")))
    return wall, cpu, rss


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--name", required=True)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--ours", required=True)
    ap.add_argument("--theirs", required=True)
    ap.add_argument("--ok-codes", default="0")
    ap.add_argument("--instructions", action="store_true",
                    help="also count instructions of one run each under callgrind "
                         "(repeatable, unlike times on a shared machine)")
    a = ap.parse_args()
    ok = {int(c) for c in a.ok_codes.split(",")}
    cmds = {"ours": shlex.split(a.ours), "theirs": shlex.split(a.theirs)}
    samples = {"ours": [], "theirs": []}
    for side in ("ours", "theirs"):  # one warm-up each, not counted
        measure(cmds[side], ok)
    for i in range(a.runs):
        order = ("ours", "theirs") if i % 2 == 0 else ("theirs", "ours")
        for side in order:
            samples[side].append(measure(cmds[side], ok))

    def med(side, k):
        return statistics.median(s[k] for s in samples[side])

    rows = (("wall ms", 0, 1000.0), ("CPU ms", 1, 1000.0), ("peak RSS KiB", 2, 1.0))
    for label, k, scale in rows:
        o, t = med("ours", k) * scale, med("theirs", k) * scale
        ratio = o / t if t > 0 else float("nan")
        # A tiny ratio (ours against mtr's seconds) keeps its digits.
        rfmt = "%.4f" if ratio < 0.1 else "%.2f"
        print(("| %s | %s | %.2f | %.2f | " + rfmt + " |") % (a.name, label, o, t, ratio))
    if a.instructions:
        o, t = instructions(cmds["ours"]), instructions(cmds["theirs"])
        print("| %s | instructions (callgrind) | %d | %d | %.2f |" % (a.name, o, t, o / t))
    sys.stdout.flush()


def instructions(argv):
    """Instructions one run executes, counted by callgrind."""
    with tempfile.TemporaryDirectory() as tmp:
        # A plugin that gives up root (check_icmp_rtt becomes nobody)
        # must still be able to write callgrind's file.
        os.chmod(tmp, 0o777)
        proc = subprocess.run(["valgrind", "--tool=callgrind",
                               "--callgrind-out-file=" + os.path.join(tmp, "cg")] + argv,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    for line in proc.stderr.decode(errors="replace").splitlines():
        if "Collected :" in line:
            return int(line.split(":")[-1].strip())
    sys.exit("bench: callgrind gave no count for %s" % shlex.join(argv))


if __name__ == "__main__":
    main()
