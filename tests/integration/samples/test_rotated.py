#!/usr/bin/env python3
"""Samples kept by reference survive a rotation during the run.

A batch run maps a plain file and keeps its samples as offsets; the report
reads the lines back at the end. Here the first input is rotated (renamed,
a new file under its name) and then deleted while gw502-logs waits on its
second input, a FIFO: the report must still print the first file's lines,
not a note that they could not be read back, and never the new file's text.

The FIFO's open for writing returns only once gw502-logs opened it for
reading, that is once the first file was scanned: no sleep stands for it.
The process is killed at the end whatever happens.

  test_rotated.py GW502_LOGS"""
import json
import os
import subprocess
import sys
import tempfile

BIN = sys.argv[1]
LINE = ('2024/01/15 10:23:%02d [error] 31#31: *%d connect() failed (111: Connection refused) while '
        'connecting to upstream, client: 10.0.0.1, server: app.example.com, request: "GET /p%d HTTP/1.1", '
        'upstream: "http://172.18.0.5:3000/p%d", host: "app.example.com"\n')


def main():
    with tempfile.TemporaryDirectory(prefix="gw502_rot_") as d:
        first = os.path.join(d, "error.log")
        fifo = os.path.join(d, "more.log")
        lines = [LINE % (i, i, i, i) for i in range(3)]
        with open(first, "w") as f:
            f.writelines(lines)
        os.mkfifo(fifo)
        proc = subprocess.Popen([BIN, "--format", "json", first, fifo],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            with open(fifo, "w") as w:  # returns once the first file was scanned
                os.rename(first, first + ".1")
                with open(first, "w") as f:  # a new file, other text at the same offsets
                    f.write("X" * 2000 + "\n")
                os.remove(first + ".1")
                w.write(LINE % (30, 30, 30, 30))
            out, err = proc.communicate(timeout=120)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        if proc.returncode not in (0, 1):
            sys.exit("FAIL: exit %d: %s" % (proc.returncode, err))
        report = json.loads(out)
        rows = report["groups"]["rows"]
        texts = [s[2] for row in rows for s in row[-1]]
        problems = []
        for line in lines:
            if line.rstrip("\n") not in texts:
                problems.append("sample missing: %s" % line[:60])
        if any("XXXX" in t or "read back" in t or "changed in its file" in t for t in texts):
            problems.append("a sample is not the scanned line: %r" % texts)
        if sum(row[5] for row in rows) != 4:
            problems.append("counts: %r" % [row[5] for row in rows])
        if problems:
            sys.exit("FAIL: " + "; ".join(problems))
        print("ok: %d samples read from the rotated and deleted file" % len(texts))


main()
