#!/usr/bin/env python3
"""Issue 19, follow mode: delete and re-create faster than the follower reacts.

Stopped: the follower is stopped (SIGSTOP, as a follower that falls behind)
while the followed file is deleted, a new one created, written and deleted,
and a third created. The second file was never opened and is gone: its lines
cannot be read, but they must not be lost silently: one lost file in /metrics
(gw502_follow_lost_files_total), a note on stderr, a warning in the final
report (text) or 'lost_files' (JSON). The deleted first file is read to its
end (the follower holds it open), the third from its beginning.

Running: 30 delete-and-re-create rotations of 200 lines each as fast as this
script goes, the follower running. Whatever the machine's speed: no line is
reported twice; lines are lost only as whole files; and if any is lost, the
follower counted lost files (no silent loss).

No fixed sleep stands for "the follower has caught up": every wait polls for
its condition with a generous timeout. The follower is killed at the end
whatever happens.

  test_deleted.py GW502_LOGS"""
import json
import os
import shutil
import signal
import sys

import common
from common import Follower, check, failure_line, finish, tempdir

BIN = sys.argv[1]
TIMEOUT = 60.0  # seconds; a bound for a busy machine, not an expected time
NOTE = "deleted before gw502-logs could open it"


def wait_for(pred, timeout=TIMEOUT):
    return common.wait_for(pred, timeout, 0.05)


def append(path, text):
    with open(path, "a") as f:
        f.write(text)


def lines(a, b):
    return "".join(failure_line(i) for i in range(a, b))


def once(seen, ids_wanted):
    bad = [(i, seen.get(i, 0)) for i in ids_wanted if seen.get(i, 0) != 1]
    return not bad, bad[:20]


def stopped(d, mode):
    name = "stopped (%s)" % mode
    log = os.path.join(d, "error.log")
    open(log, "w").close()
    args = {"events": ["--events"], "text": ["--interval", "3600"],
            "json": ["--interval", "3600", "--format", "json"]}[mode]
    fol = Follower(BIN, args + [log], d)
    paused = False
    try:
        check(name + ": follower ready", fol.wait_ready(), fol.stderr())
        append(log, lines(0, 10))
        check(name + ": 10 lines read", wait_for(lambda: (fol.metric("gw502_lines_read_total") or 0) >= 10))
        fol.proc.send_signal(signal.SIGSTOP)
        paused = True
        append(log, lines(10, 20))  # the open file gains lines, then is deleted
        os.unlink(log)
        append(log, lines(20, 30))  # a new file, never opened: deleted too
        os.unlink(log)
        append(log, lines(30, 40) + failure_line(1000))
        fol.proc.send_signal(signal.SIGCONT)
        paused = False
        check(name + ": the deleted open file and the new one read",
              wait_for(lambda: (fol.metric("gw502_lines_read_total") or 0) >= 31), fol.stderr())
        lost = fol.metric("gw502_follow_lost_files_total")
        check(name + ": the file never opened counted in /metrics (%s)" % lost, lost == 1, fol.metrics())
        check(name + ": nothing lost in bytes", fol.metric("gw502_follow_lost_bytes_total") == 0)
        rc = fol.stop()
        check(name + ": exit status 1", rc == 1, (rc, fol.stderr()))
        check(name + ": a note on stderr naming the path", (log + ": a file created") in fol.stderr()
              and NOTE in fol.stderr(), fol.stderr())
        if mode == "events":
            seen = fol.id_counts()
            ok, bad = once(seen, list(range(0, 20)) + list(range(30, 40)) + [1000])
            check(name + ": every line read is reported once", ok, bad)
            check(name + ": the lost file's lines are not reported", not any(i in seen for i in range(20, 30)))
        elif mode == "text":
            out = fol.stdout()
            check(name + ": the final report says so",
                  "warning: 1 file was created at a followed path and deleted" in out, out[-1500:])
        else:
            last = [l for l in fol.stdout().splitlines() if l.strip()][-1]
            check(name + ": the final JSON report has lost_files 1",
                  json.loads(last).get("summary", {}).get("lost_files") == 1,
                  last[:600])
    finally:
        if paused:
            fol.proc.send_signal(signal.SIGCONT)
        fol.close()


def running(d, rotations=30, per=200):
    name = "running"
    log = os.path.join(d, "error.log")
    open(log, "w").close()
    fol = Follower(BIN, ["--events", log], d)
    try:
        check(name + ": follower ready", fol.wait_ready(), fol.stderr())
        i = 0
        for _ in range(rotations):
            append(log, lines(i, i + per))
            i += per
            os.unlink(log)
        append(log, failure_line(10 ** 6))
        check(name + ": the last file read", wait_for(lambda: fol.id_counts().get(10 ** 6)), fol.stderr())
        # The files deleted while open are read to their end before they are closed.
        check(name + ": every deleted file closed",
              wait_for(lambda: fol.metric("gw502_follow_files_open") == 1, TIMEOUT + 10), fol.metrics())
        lost_files = fol.metric("gw502_follow_lost_files_total")
        rc = fol.stop()
        seen = fol.id_counts()
        doubled = [k for k, c in seen.items() if c > 1]
        check(name + ": no line reported twice", not doubled, doubled[:20])
        gens = [range(g * per, (g + 1) * per) for g in range(rotations)]
        partial = [g[0] for g in gens if 0 < sum(1 for k in g if k in seen) < per]
        check(name + ": lines lost only as whole files", not partial, partial[:10])
        whole = sum(1 for g in gens if not any(k in seen for k in g))
        print("     %d files, %d never opened, follower's lost_files %s" % (rotations, whole, lost_files))
        check(name + ": no silent loss (%d files lost, %s counted)" % (whole, lost_files),
              whole == 0 or (lost_files or 0) >= 1, fol.stderr()[-600:])
        check(name + ": exit status 1", rc == 1, (rc, fol.stderr()[-600:]))
    finally:
        fol.close()


def main():
    d = tempdir("gw502_follow_deleted_")
    try:
        for mode in ("events", "text", "json"):
            sub = os.path.join(d, mode)
            os.mkdir(sub)
            stopped(sub, mode)
        sub = os.path.join(d, "running")
        os.mkdir(sub)
        running(sub)
    finally:
        shutil.rmtree(d, ignore_errors=True)
    finish()


main()
