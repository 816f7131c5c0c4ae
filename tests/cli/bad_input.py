#!/usr/bin/env python3
"""Bad input: every case gives one clear error line naming the file (and the
line or rule), exit status 2, no crash, no hang, and what could be read is
still reported."""
import gzip
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

BIN = sys.argv[1]
FAILURES = []
PASSED = 0

REFUSED = ('2024/01/15 10:23:45 [error] 31#31: *7 connect() failed (111: Connection refused) while connecting '
           'to upstream, client: 10.0.0.1, server: a, request: "GET / HTTP/1.1", upstream: '
           '"http://172.18.0.5:3000/", host: "a.example"\n')


def run(args, stdin=None):
    p = subprocess.run([BIN] + args, input=stdin, capture_output=True, timeout=60)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def check(name, cond, detail=""):
    global PASSED
    if cond:
        PASSED += 1
        print("ok   " + name)
    else:
        FAILURES.append(name)
        print("FAIL " + name + (": " + detail if detail else ""))


def expect_error(name, args, must_name, stdin=None, still_reported=None):
    rc, out, err = run(args, stdin)
    lines = [l for l in err.splitlines() if l]
    check(name + ": exit 2", rc == 2, "rc=%d stderr=%r" % (rc, err[:300]))
    check(name + ": one error line naming " + must_name,
          len(lines) == 1 and must_name in lines[0] and lines[0].startswith("gw502-logs: "), repr(err[:300]))
    if still_reported:
        check(name + ": the readable part is still reported", still_reported in out, out[:300])


def run_bytes(args, stdin=None):
    p = subprocess.run([BIN] + args, input=stdin, capture_output=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


# C0 controls and DEL, C1 controls (U+0080-U+009F) and bidi overrides and
# isolates (U+202A-U+202E, U+2066-U+2069) in UTF-8.
UNSAFE = [b"\x1b", b"\x07", b"\x7f"] + [b"\xc2" + bytes([c]) for c in range(0x80, 0xa0)] + \
         [b"\xe2\x80" + bytes([c]) for c in range(0xaa, 0xaf)] + [b"\xe2\x81" + bytes([c]) for c in range(0xa6, 0xaa)]
EVIL = b"\x1b[31mRED\xc2\x9b" b"31m\xc2\x85\xe2\x80\xae\xe2\x81\xa6"


def raw_controls(data):
    return [u for u in UNSAFE if u in data]


def terminal_controls(d, good):
    """Nothing from the input acts on the terminal: file names on stderr in
    batch and follow mode, log text in the text report."""
    missing = os.path.join(d.encode(), b"nope" + EVIL + b".log")
    rc, out, err = run_bytes([missing, good])
    check("batch: a file name's C0, C1 and bidi controls are masked on stderr",
          rc == 2 and b"nope?[31mRED?31m???.log" in err and not raw_controls(err), repr(err[:300]))

    p = subprocess.Popen([BIN, "-f", missing], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    try:
        time.sleep(0.5)
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=20)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    check("follow: a file name's C0, C1 and bidi controls are masked on stderr",
          b"nope?[31mRED?31m???.log" in err and not raw_controls(err), repr(err[:300]))

    line = REFUSED.encode().replace(b"a.example", b"evil" + EVIL + b".example")
    rc, out, err = run_bytes(["--color", "never", "-"], stdin=line)
    check("text report: controls in log text are masked",
          rc == 1 and b"evil?[31mRED?31m???.example" in out and not raw_controls(out), repr(out[:600]))
    rc, out, err = run_bytes(["--format", "json", "-"], stdin=line)
    host = json.loads(out)["groups"]["rows"][0][2] if rc == 1 else ""  # column 2: host
    check("JSON report: log text is data, kept as it is", "\u009b" in host and "\u202e" in host, repr(out[:300]))


def bad_times(good):
    """--since/--until: one clear line and exit 2 for an empty value, an
    impossible date or time, an offset past 14:00."""
    for opt, value, says in (("--since", "", "--since: empty"),
                             ("--since", "2024-02-30", "no such day"),
                             ("--until", "2023-02-29T10:00:00Z", "no such day"),
                             ("--since", "2024-01-15T25:00", "out of range"),
                             ("--until", "2024-01-15T10:00+99:99", "zone offset out of range"),
                             ("--since", "2h ", "cannot read '2h ' as a time"),
                             ("--since", "x\x1b[31m", "cannot read 'x?[31m' as a time")):
        rc, out, err = run([opt, value, good])
        lines = err.splitlines()
        check("%s %r: exit 2, one line" % (opt, value),
              rc == 2 and len(lines) == 1 and lines[0].startswith("gw502-logs: " + opt) and says in lines[0]
              and out == "", "rc=%d %r" % (rc, err[:300]))
    rc, out, err = run(["--since", "2024-02-29", "--until", "2024-01-15T10:00:00-14:00", good])
    check("--since/--until: a leap day and a -14:00 offset are read", rc == 0 and err == "", (rc, err))


def main():
    d = tempfile.mkdtemp(prefix="gw502_bad_")
    p = lambda n: os.path.join(d, n)

    good = p("good.log")
    open(good, "w").write(REFUSED)

    expect_error("missing file", [p("missing.log"), good], "missing.log", still_reported="connection_refused")
    expect_error("directory", [d + "/"], d)
    os.mkdir(p("noread"))
    expect_error("directory without trailing slash", [p("noread")], "noread")

    # --access-format: a format that cannot be read is refused before any input.
    for name, fmt in [("no $status", '$remote_addr [$time_local] "$request"'),
                      ("unterminated ${", '$remote_addr ${status'),
                      ("bare $", '$remote_addr $ $status'),
                      ("GoAccess %t alone", '%h %^[%d %t] "%r" %s %b'),
                      ("empty", ''),
                      ("directive without a string", 'log_format main;')]:
        expect_error("--access-format " + name, ["--access-format", fmt, good], "--access-format")
        rc, out, _ = run(["--access-format", fmt, good])
        check("--access-format " + name + ": no report", out == "", out[:200])

    open(p("garbage.bin"), "wb").write(bytes((i * 131 + 7) % 256 for i in range(65536)))
    expect_error("binary garbage", [p("garbage.bin")], "garbage.bin")

    with open(p("longline.log"), "w") as f:
        f.write(REFUSED)
        f.write("x" * (10 << 20) + "\n")
        f.write(REFUSED)
    rc, out, err = run(["--events", p("longline.log")])
    check("10 MiB line: exit 2", rc == 2, "rc=%d" % rc)
    check("10 MiB line: error names file and line", "longline.log:2:" in err, err[:300])
    check("10 MiB line: lines around it still classified", out.count('"cause":"connection_refused"') == 2, out[:500])

    with open(p("utf8.log"), "wb") as f:
        f.write(REFUSED.replace("a.example", "bad\xff\xfe.example").encode("latin-1"))
    rc, out, err = run(["--format", "json", p("utf8.log")])
    check("invalid UTF-8: processed (exit 1)", rc == 1, "rc=%d err=%s" % (rc, err[:200]))
    try:
        doc = json.loads(out)
        check("invalid UTF-8: JSON stays valid", doc["groups"]["rows"][0][2] == "bad\ufffd\ufffd.example")
    except Exception as e:  # noqa: BLE001
        check("invalid UTF-8: JSON stays valid", False, str(e))

    open(p("empty.log"), "w").close()
    rc, out, err = run([p("empty.log")])
    check("empty file: exit 0, no error", rc == 0 and err == "", "rc=%d err=%r" % (rc, err))
    check("empty file: says no failures", "no upstream failures" in out, out)

    import random
    rng = random.Random(7)
    big = "".join(REFUSED.replace("*7 ", "*%d %08x " % (i, rng.getrandbits(32))) for i in range(20000))
    gz = gzip.compress(big.encode())
    open(p("cut.log.gz"), "wb").write(gz[: len(gz) // 2])
    expect_error("truncated .gz", [p("cut.log.gz")], "cut.log.gz: truncated gzip", still_reported="connection_refused")
    zpath = p("cut.log.zst")
    subprocess.run(["zstd", "-q", "-f", "-o", zpath + ".full"], input=big.encode(), check=True)
    full = open(zpath + ".full", "rb").read()
    open(zpath, "wb").write(full[: len(full) // 2])
    expect_error("truncated .zst", [zpath], "cut.log.zst: truncated zstd", still_reported="connection_refused")

    def catalogue(name, text):
        path = p(name)
        open(path, "w").write(text)
        return path

    expect_error("catalogue: bad JSON", ["--patterns", catalogue("c1.json", "{oops"), good], "c1.json: invalid JSON")
    expect_error("catalogue: bad regex",
                 ["--patterns", catalogue("c2.json", '{"rules":[{"id":"my.rule","cause":"connection_refused","regex":"a(b","literal":"a"}]}'), good],
                 "c2.json: rule my.rule: bad regex")
    expect_error("catalogue: unknown cause",
                 ["--patterns", catalogue("c3.json", '{"rules":[{"id":"my.rule","cause":"gremlins","regex":"x","literal":"x"}]}'), good],
                 "c3.json: rule my.rule: unknown cause")
    expect_error("catalogue: duplicate rule id",
                 ["--patterns", catalogue("c4.json", '{"rules":[{"id":"d","cause":"dns_failure","regex":"x","literal":"x"},{"id":"d","cause":"dns_failure","regex":"y","literal":"y"}]}'), good],
                 "c4.json: rule d: duplicate rule id")
    expect_error("catalogue: missing file", ["--patterns", p("nope.json"), good], "nope.json")
    expect_error("catalogue: a directory", ["--patterns", d, good], d + ": is a directory")

    rc, out, err = run(["--format", "xml", good])
    check("usage error: exit 2", rc == 2 and "--format" in err, err)
    rc, out, err = run(["--explain", "no_such_cause"])
    check("unknown cause for --explain: exit 2", rc == 2 and "no_such_cause" in err, err)

    for bad in ("-1", "0", "100000", "two"):
        rc, out, err = run(["-j", bad, good])
        check("-j %s: exit 2 naming -j, no crash" % bad,
              rc == 2 and err.startswith("gw502-logs: -j/--threads") and "terminate" not in err, "rc=%d %r" % (rc, err[:200]))
    rc, out, err = run(["--patterns", "bad\nname\x1b[31m.json", good])
    check("control characters in a message are not printed raw",
          rc == 2 and len(err.splitlines()) == 1 and "\x1b" not in err, repr(err[:200]))

    terminal_controls(d, good)
    bad_times(good)

    rc, out, err = run(["-"], stdin=REFUSED.encode())
    check("stdin works", rc == 1 and "connection_refused" in out, out[:300])
    rc, out, err = run(["-"], stdin=gzip.compress(REFUSED.encode()))
    check("gzip on stdin works", rc == 1 and "connection_refused" in out, out[:300])

    shutil.rmtree(d, ignore_errors=True)
    print("%d passed, %d failed" % (PASSED, len(FAILURES)))
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
