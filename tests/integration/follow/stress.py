#!/usr/bin/env python3
"""Follow-mode stress (not a CI test: its figures depend on the machine).

A writer appends failure lines (each with its own id in the Host header) at
a given rate for a given time, rotating the file every PERIOD seconds in
one style:
  rename        logrotate `create`: rename to error.log.1 (older copies
                shifted), the writer reopens the path (as nginx after USR1)
  copytruncate  copy to error.log.1, truncate in place; the writer's
                O_APPEND descriptor goes on
  delete        delete and re-create (the writer reopens)
gw502-logs -f --events follows error.log; every id it reports is counted.

  stress.py GW502_LOGS [--rate N] [--seconds S] [--period P] [--style S ...]

Prints, per style: lines written, read (reported), lost (never reported),
doubled (reported more than once), the follower's own count of lost bytes
(gw502_follow_lost_bytes_total) next to the bytes of the lines it lost, its
count of files lost unopened (gw502_follow_lost_files_total), and the rate
the writer reached. --rate 0: as fast as the writer can.

--check: exit 1 when a line is reported twice, or lines were lost and the
follower counted nothing lost (silent loss); a run that does not start or
settle fails too. Used under the sanitizers (tests/sanitize/sanitize_follow.sh)."""
import argparse
import os
import shutil
import sys
import time

from common import Follower, failure_line, tempdir


def shift(path, keep=50):
    for k in range(keep, 0, -1):
        if os.path.exists("%s.%d" % (path, k)):
            os.replace("%s.%d" % (path, k), "%s.%d" % (path, k + 1))


def rotate(style, log, fd):
    shift(log)
    if style == "rename":
        os.rename(log, log + ".1")
        os.close(fd)
        return os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    if style == "delete":
        os.unlink(log)
        os.close(fd)
        return os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    shutil.copyfile(log, log + ".1")
    os.ftruncate(fd, 0)
    return fd


def ranges(xs):
    out = []
    for x in xs:
        if out and x == out[-1][1] + 1:
            out[-1][1] = x
        else:
            out.append([x, x])
    return [tuple(r) for r in out]


def run(binary, style, rate, seconds, period, batch=50, verbose=False):
    d = tempdir("gw502_follow_stress_")
    log = os.path.join(d, "error.log")
    open(log, "w").close()
    fol = Follower(binary, ["--events", log], d)
    try:
        if not fol.wait_ready():
            print("%s: follower did not start: %s" % (style, fol.stderr()))
            return False
        fd = os.open(log, os.O_WRONLY | os.O_APPEND)
        sizes = {}
        rotations = []
        i = 0
        t0 = time.monotonic()
        next_rot = t0 + period
        while True:
            now = time.monotonic()
            if now - t0 >= seconds:
                break
            if rate:  # keep to the rate: sleep until this batch is due
                due = t0 + i / rate
                if due > now:
                    time.sleep(due - now)
            text = "".join(failure_line(i + k) for k in range(batch))
            for k in range(batch):
                sizes[i + k] = len(failure_line(i + k))
            os.write(fd, text.encode())
            i += batch
            if time.monotonic() >= next_rot:
                fd = rotate(style, log, fd)
                rotations.append(i)
                next_rot += period
        took = time.monotonic() - t0
        sentinel = 10 ** 9
        os.write(fd, failure_line(sentinel).encode())
        os.close(fd)
        # Settle: the sentinel reported, then lines read stable for 2 s.
        end = time.monotonic() + 120
        while time.monotonic() < end and sentinel not in fol.id_counts():
            time.sleep(0.2)
        settled = sentinel in fol.id_counts()
        last, stable = None, time.monotonic()
        while time.monotonic() < end:
            n = fol.metric("gw502_lines_read_total")
            if n != last:
                last, stable = n, time.monotonic()
            elif time.monotonic() - stable >= 2:
                break
            time.sleep(0.2)
        lost_bytes = fol.metric("gw502_follow_lost_bytes_total")
        lost_files = fol.metric("gw502_follow_lost_files_total")
        fol.stop()
        seen = fol.id_counts()
        seen.pop(sentinel, None)
        lost = [k for k in range(i) if k not in seen]
        doubled = sum(1 for c in seen.values() if c > 1)
        print("%-12s rate %-7s wrote %8d lines in %5.1fs (%6.0f/s)  read %8d  lost %8d  doubled %6d  "
              "follower's lost_bytes %10s (bytes of lines lost %d)  lost_files %s  rotations %d" % (
                  style, rate or "max", i, took, i / took, len(seen), len(lost), doubled,
                  "n/a" if lost_bytes is None else "%d" % lost_bytes, sum(sizes[k] for k in lost),
                  "n/a" if lost_files is None else "%d" % lost_files, len(rotations)), flush=True)
        err = fol.stderr().strip().splitlines()
        if err:
            print("             stderr: %d lines, first: %s" % (len(err), err[0][:200]))
        if lost and verbose:
            print("             lost ids:", ranges(lost)[:20])
            print("             rotations after lines:", rotations[:40])
        silent = bool(lost) and not (lost_bytes or lost_files)
        if not settled:
            print("             FAIL: the last line was not reported within 120 s")
        if doubled or silent:
            print("             FAIL: %s" % ("lines reported twice" if doubled else "lines lost silently"))
        return settled and not doubled and not silent
    finally:
        fol.close()
        shutil.rmtree(d, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--rate", type=float, default=[20000], nargs="+", help="lines/s; 0: unthrottled")
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--period", type=float, default=1.0, help="seconds between rotations")
    ap.add_argument("--style", nargs="+", default=["rename", "copytruncate", "delete"])
    ap.add_argument("--verbose", action="store_true", help="lost ids as ranges, rotation points")
    ap.add_argument("--check", action="store_true", help="exit 1 on a doubled line or a silent loss")
    a = ap.parse_args()
    ok = True
    for rate in a.rate:
        for style in a.style:
            ok = run(a.binary, style, rate, a.seconds, a.period, verbose=a.verbose) and ok
    return 0 if ok or not a.check else 1


sys.exit(main())
