#!/usr/bin/env python3
"""Two or more builds (or settings) of one command, run in turn, medians.

  python3 bench/ab.py ROUNDS 'LABEL=[VAR=value ...] CMD ARGS' ...

Each round runs every variant once, in the order given, so that the
machine's drift over the run (other tenants, frequency) falls on all of them
alike; it prints per variant the median and minimum wall time and the median
CPU time (user + system) of its rounds. Output and exit status of the
commands are ignored. Used for the before/after figures of bench/RESULTS.md
when a change is smaller than the spread between two bench/run.py runs.
"""
import os
import resource
import shlex
import statistics
import subprocess
import sys
import time


def run(cmd):
    env = dict(os.environ)
    words = shlex.split(cmd)
    while words and "=" in words[0] and not words[0].startswith("/"):
        key, value = words.pop(0).split("=", 1)
        env[key] = value
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(words, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main():
    if len(sys.argv) < 3 or not sys.argv[1].isdigit():
        print(__doc__.strip())
        return 2
    rounds = int(sys.argv[1])
    variants = [v.split("=", 1) for v in sys.argv[2:]]
    walls = {label: [] for label, _ in variants}
    cpus = {label: [] for label, _ in variants}
    for _ in range(rounds):
        for label, cmd in variants:
            wall, cpu = run(cmd)
            walls[label].append(wall)
            cpus[label].append(cpu)
    for label, _ in variants:
        print("%12s: wall median %.3f s, min %.3f s; cpu median %.3f s" %
              (label, statistics.median(walls[label]), min(walls[label]), statistics.median(cpus[label])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
