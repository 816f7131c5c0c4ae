#!/usr/bin/env python3
"""A run of nginx error logs goes without pairing records (README, "Pairing
only where an access log can be"), and reads its input again when access
entries turn up after all. Here a log of several chunks (a few MB, the
pipeline's 1 MiB slices) opens with error lines only and then holds access
lines of some of those requests (a capture of one container's stderr and
stdout). Read as a file (no pairing, then the second read) it must give the
report that standard input gives (always paired, one read), for -j 1 and 2,
with every access entry paired. The error lines alone count the same
failures, with nothing paired.

  test_late_access.py GW502_LOGS"""
import json
import os
import random
import subprocess
import sys
import tempfile

BIN = sys.argv[1]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def write_log(path, errors=30000, share=0.4):
    rng = random.Random(16)
    hosts = ["shop%d.example" % i for i in range(12)]
    ups = ["10.42.%d.%d:8080" % (i // 7, i % 7) for i in range(20)]
    texts = ["connect() failed (111: Connection refused) while connecting to upstream",
             "upstream timed out (110: Connection timed out) while reading response header from upstream",
             "no live upstreams while connecting to upstream"]
    err, acc = [], []
    for i in range(errors):
        s = i * 86400 // errors
        hh, mm, ss = s // 3600, s // 60 % 60, s % 60
        client = "192.168.%d.%d" % (i // 250 % 250, i % 250)
        host, up, text = rng.choice(hosts), rng.choice(ups), rng.choice(texts)
        req = "/r/%d" % i
        err.append('2026/11/03 %02d:%02d:%02d [error] 7#7: *%d %s, client: %s, server: %s, request: "GET %s HTTP/1.1", '
                   'upstream: "http://%s%s", host: "%s"' % (hh, mm, ss, i, text, client, host, req, up, req, host))
        if rng.random() < share:
            status = 504 if "timed out" in text else 502
            acc.append('%s - - [03/Nov/2026:%02d:%02d:%02d +0000] "GET %s HTTP/1.1" %d 157 "-" "curl/8"'
                       % (client, hh, mm, ss, req, status))
    with open(path, "w") as f:
        f.write("\n".join(err + acc) + "\n")
    return len(err), len(acc)


def report(args, stdin=None):
    p = subprocess.run([BIN, "--format", "json"] + args, stdin=stdin, capture_output=True, text=True, timeout=300)
    if p.returncode not in (0, 1):
        sys.exit("FAIL: %s: exit %d: %s" % (args, p.returncode, p.stderr))
    d = json.loads(p.stdout)
    d.pop("sources")
    return d, p.stderr


def main():
    problems = []
    with tempfile.TemporaryDirectory(prefix="gw502_pairing_") as d:
        log = os.path.join(d, "all.log")
        n_err, n_acc = write_log(log)
        if os.path.getsize(log) < 3 << 20:
            sys.exit("FAIL: the log should span several chunks")
        for j in ("1", "2"):
            from_file, err_file = report(["-j", j, log])
            with open(log, "rb") as f:
                from_stdin, _ = report(["-j", j, "-"], stdin=f)
            s = from_file["summary"]
            if s["failures"] != n_err or s["paired"] != n_acc:
                problems.append("-j%s file: failures %d paired %d, want %d and %d"
                                % (j, s["failures"], s["paired"], n_err, n_acc))
            if from_file != from_stdin:
                problems.append("-j%s: the file's report differs from standard input's" % j)
            if "counted twice" in err_file:
                problems.append("-j%s: the second read did not happen: %s" % (j, err_file.strip()))
        # The same error lines alone: nothing to pair, the same failures.
        errors_only = os.path.join(d, "error.log")
        with open(log) as src, open(errors_only, "w") as dst:
            for line in src:
                if line[0].isdigit() and line[4] == "/":
                    dst.write(line)
        alone, _ = report(["-j", "2", errors_only])
        if alone["summary"]["failures"] != n_err or alone["summary"]["paired"] != 0:
            problems.append("errors alone: %s" % alone["summary"])
    for p in problems:
        print("FAIL:", p)
    if problems:
        sys.exit(1)
    print("ok: %d error entries, %d access entries after them, one report for file and stdin, -j1 and -j2"
          % (n_err, n_acc))


main()
