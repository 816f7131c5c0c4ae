#!/usr/bin/env python3
"""Issue 19, D5 and D6, with the real binary and real files.

D5: a rotated file that comes back under the followed path after it was
retired (closed: 5 s without growth) is not read again: renamed back, then a
symlink to it. Its lines are reported once; what it gains afterwards, once.

D6: copytruncate twice while the follower cannot read (stopped with SIGSTOP,
as a follower that falls behind): the generation in between is only in
error.log.1 and is not read; it must be counted (gw502_follow_lost_bytes_total,
a note on stderr, a warning in the final report), not skipped silently.

No fixed sleeps stand for "the follower has caught up": every wait polls for
its condition (a sentinel line seen, a metric reached) with a generous
timeout. The follower is killed at the end whatever happens.

  test_back_and_lost.py GW502_LOGS"""
import os
import shutil
import signal
import sys
import time

import common
from common import Follower, check, failure_line, finish, noise_line, tempdir

BIN = sys.argv[1]
TIMEOUT = 60.0  # seconds; a bound for a busy machine, not an expected time


def wait_for(pred, timeout=TIMEOUT):
    return common.wait_for(pred, timeout, 0.05)


def append(path, text):
    with open(path, "a") as f:
        f.write(text)


def once(seen, ids_wanted):
    bad = [(i, seen.get(i, 0)) for i in ids_wanted if seen.get(i, 0) != 1]
    return not bad, bad[:20]


def lines(a, b):
    return "".join(failure_line(i) for i in range(a, b))


def rotated_back(d):
    log = os.path.join(d, "error.log")
    open(log, "w").close()
    fol = Follower(BIN, ["--events", log], d)
    try:
        check("D5: follower ready", fol.wait_ready(), fol.stderr())
        append(log, lines(0, 100))
        check("D5: 100 lines read", wait_for(lambda: (fol.metric("gw502_lines_read_total") or 0) >= 100))
        os.rename(log, log + ".1")  # logrotate `create`
        append(log, lines(100, 110))
        check("D5: the new file read", wait_for(lambda: (fol.metric("gw502_lines_read_total") or 0) >= 110))
        # The rotated file stops growing and is closed after retire_ms (5 s).
        check("D5: the rotated file retired",
              wait_for(lambda: fol.metric("gw502_follow_files_open") == 1, TIMEOUT + 10), fol.metrics())
        os.replace(log + ".1", log)  # renamed back over the new file
        append(log, lines(110, 120) + failure_line(1000))  # 1000: the sentinel
        check("D5: renamed back: the lines it gains are read",
              wait_for(lambda: fol.id_counts().get(1000)), fol.stderr())
        ok, bad = once(fol.id_counts(), range(0, 120))
        check("D5: renamed back: every line once, none read again", ok, bad)

        # The same file once more, now through a symlink at the followed path.
        kept = os.path.join(d, "kept.log")
        os.rename(log, kept)
        append(log, lines(120, 130))
        check("D5: symlink: the new file read", wait_for(lambda: fol.id_counts().get(129)))
        check("D5: symlink: the rotated file retired",
              wait_for(lambda: fol.metric("gw502_follow_files_open") == 1, TIMEOUT + 10), fol.metrics())
        os.remove(log)
        os.symlink(kept, log)
        append(kept, lines(130, 140) + failure_line(1001))
        check("D5: symlink: the lines it gains are read", wait_for(lambda: fol.id_counts().get(1001)), fol.stderr())
        ok, bad = once(fol.id_counts(), list(range(0, 140)) + [1000, 1001])
        check("D5: symlink: every line once, none read again", ok, bad)
        check("D5: resumed twice", fol.metric("gw502_follow_resumed_total") == 2, fol.metrics())
        check("D5: nothing counted as lost", fol.metric("gw502_follow_lost_bytes_total") == 0, fol.metrics())
        rc = fol.stop()
        check("D5: exit status 1", rc == 1, (rc, fol.stderr()))
        check("D5: no error output", fol.stderr() == "", fol.stderr())
    finally:
        fol.close()


def copytruncate(path):
    """logrotate copytruncate with numbered copies."""
    for k in range(20, 0, -1):
        if os.path.exists("%s.%d" % (path, k)):
            os.replace("%s.%d" % (path, k), "%s.%d" % (path, k + 1))
    shutil.copyfile(path, path + ".1")
    os.truncate(path, 0)


def skipped_generation(d, events):
    name = "D6" + (" (events)" if events else " (report)")
    log = os.path.join(d, "error.log")
    open(log, "w").close()
    fol = Follower(BIN, (["--events"] if events else ["--interval", "3600"]) + [log], d)
    stopped = False
    try:
        check(name + ": follower ready", fol.wait_ready(), fol.stderr())
        append(log, lines(0, 10))
        check(name + ": 10 lines read", wait_for(lambda: (fol.metric("gw502_lines_read_total") or 0) >= 10))
        fol.proc.send_signal(signal.SIGSTOP)  # the follower falls behind
        stopped = True
        append(log, lines(10, 20))  # read later from error.log.2
        copytruncate(log)
        skipped = lines(20, 30) + noise_line(1)
        append(log, skipped)  # a whole generation: only ever in error.log.1
        time.sleep(0.05)  # a later mtime for the later copy, on any clock granularity
        copytruncate(log)
        append(log, lines(30, 40) + failure_line(1000))
        fol.proc.send_signal(signal.SIGCONT)
        stopped = False
        check(name + ": the live file read after the truncation",
              wait_for(lambda: (fol.metric("gw502_lines_read_total") or 0) >= 31), fol.stderr())
        lost = fol.metric("gw502_follow_lost_bytes_total")
        check(name + ": the skipped generation counted in /metrics (%s bytes of %d)" % (lost, len(skipped)),
              lost == len(skipped), fol.metrics())
        check(name + ": one truncation seen", fol.metric("gw502_follow_truncations_total") == 1)
        rc = fol.stop()
        check(name + ": exit status 1", rc == 1, (rc, fol.stderr()))
        check(name + ": a note on stderr", "%d bytes not read" % len(skipped) in fol.stderr(), fol.stderr())
        if events:
            seen = fol.id_counts()
            ok, bad = once(seen, list(range(0, 20)) + list(range(30, 40)) + [1000])
            check(name + ": the lines read are reported once", ok, bad)
            check(name + ": the skipped generation is not reported", not any(i in seen for i in range(20, 30)))
        else:
            out = fol.stdout()
            check(name + ": the final report says so",
                  "warning: {:,} bytes of followed files were truncated away".format(len(skipped)) in out, out[:800])
    finally:
        if stopped:
            fol.proc.send_signal(signal.SIGCONT)
        fol.close()


def main():
    d = tempdir("gw502_follow_back_")
    try:
        os.mkdir(os.path.join(d, "back"))
        rotated_back(os.path.join(d, "back"))
        for events in (True, False):
            sub = os.path.join(d, "lost%d" % events)
            os.mkdir(sub)
            skipped_generation(sub, events)
    finally:
        shutil.rmtree(d, ignore_errors=True)
    finish()


main()
