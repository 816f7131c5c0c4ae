#!/usr/bin/env python3
"""A writer appends 200 000 lines (every tenth a failure with its own id)
while the file is rotated 5 times by rename (logrotate `create`, the writer
going on in the old file for a while, as nginx does until USR1) and 5 times
by copytruncate; the writer never waits for the follower. Every failure is
reported exactly once, nothing written before the start is reported, and
exactly 200 000 lines are read.

  test_rotation.py GW502_LOGS [LINES]"""
import os
import random
import shutil
import sys
import time

from common import Follower, check, event_id, failure_line, finish, noise_line, tempdir

BIN = sys.argv[1]
N = int(sys.argv[2]) if len(sys.argv) > 2 else 200000


def shift(path, keep=20):
    for k in range(keep, 0, -1):
        if os.path.exists("%s.%d" % (path, k)):
            os.replace("%s.%d" % (path, k), "%s.%d" % (path, k + 1))


def main():
    d = tempdir("gw502_follow_rot_")
    log = os.path.join(d, "error.log")
    with open(log, "w") as f:  # written before the start: never reported
        for i in range(1000):
            f.write(failure_line(900000 + i) if i % 10 == 3 else noise_line(i))
    fol = Follower(BIN, ["--events", log], d)
    try:
        check("follower ready", fol.wait_ready(), fol.stderr())
        rng = random.Random(502)
        points = {N * (k + 1) // 11: ("rename" if k % 2 == 0 else "copytruncate") for k in range(10)}
        want = set()
        fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        pending = b""
        t0 = time.monotonic()
        i = 0
        late_old = None  # after a rename: the old descriptor nginx still writes to
        late_left = 0
        while i < N:
            batch = []
            n = rng.randint(1, 300)
            while n and i < N:
                if i % 10 == 3:
                    batch.append(failure_line(i))
                    want.add(i)
                else:
                    batch.append(noise_line(i))
                i += 1
                n -= 1
                if i in points:
                    break
            data = pending + "".join(batch).encode()
            pending = b""
            if i not in points and rng.random() < 0.2:  # a line cut in two writes
                cut = rng.randint(1, len(data) - 1)
                data, pending = data[:cut], data[cut:]
            target = late_old if late_left > 0 else fd
            os.write(target, data)
            if late_left > 0:
                late_left -= 1
                if late_left == 0:
                    os.close(late_old)
                    late_old = None
            kind = points.get(i)
            if kind == "rename":
                shift(log)
                os.rename(log, log + ".1")
                late_old, late_left = fd, 3  # three more batches go to the old file
                fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
                time.sleep(0.2)
            elif kind == "copytruncate":
                shift(log)
                shutil.copyfile(log, log + ".1")
                os.ftruncate(fd, 0)
                time.sleep(0.2)
        assert not pending
        if late_old is not None:
            os.close(late_old)
        os.close(fd)
        wrote = time.monotonic() - t0
        print("wrote %d lines (%d failures) in %.2fs" % (N, len(want), wrote))

        end = time.monotonic() + 60
        lines = 0
        while time.monotonic() < end:
            lines = fol.value("gw502_lines_read_total")
            if lines >= N:
                break
            time.sleep(0.1)
        time.sleep(0.3)  # anything beyond N would show up now
        m = fol.metrics()
        lines = fol.value("gw502_lines_read_total", m)
        print("follower: %d lines; rotations %d, truncations %d, recovered bytes %d" % (
            lines, fol.value("gw502_follow_rotations_total", m), fol.value("gw502_follow_truncations_total", m),
            fol.value("gw502_follow_recovered_bytes_total", m)))
        check("exactly %d lines read" % N, lines == N, lines)
        check("5 truncations seen", fol.value("gw502_follow_truncations_total", m) == 5, m)
        rc = fol.stop()
        check("SIGTERM: exit status 1 (failures found)", rc == 1, (rc, fol.stderr()))
        evs = fol.events()
        ids = [event_id(e) for e in evs]
        seen = {}
        for x in ids:
            seen[x] = seen.get(x, 0) + 1
        missing = sorted(want - set(seen))
        doubled = sorted(x for x, c in seen.items() if c > 1)
        extra = sorted(x for x in seen if x not in want)
        check("every failure reported (%d)" % len(want), not missing, missing[:20])
        check("no failure reported twice", not doubled, doubled[:20])
        check("nothing from before the start, nothing unknown", not extra, extra[:20])
        check("no error output", fol.stderr() == "", fol.stderr())
    finally:
        fol.close()
        shutil.rmtree(d, ignore_errors=True)
    finish()


main()
