#!/usr/bin/env python3
"""gw502-logs -f from the outside: a glob picks up a new file, a deleted and
re-created file is followed again, events arrive within a bound, metrics are
served on loopback, stdin is followed until it ends, SIGINT/SIGTERM print
the final report, the live view draws on a terminal, usage errors.

  test_cli.py GW502_LOGS"""
import fcntl
import json
import os
import pty
import select
import shutil
import signal
import struct
import subprocess
import sys
import termios
import time

from common import Follower, check, event_id, failure_line, finish, free_port, noise_line, tempdir, wait_for

BIN = sys.argv[1]
LATENCY_BOUND = 3.0  # seconds; generous for a busy machine (bench/follow measures the real figure)


def append(path, text):
    with open(path, "a") as f:
        f.write(text)


def event_by_id(fol, i):
    for e in fol.events():
        if event_id(e) == i:
            return e
    return None


def glob_and_recreate(d):
    logs = os.path.join(d, "logs")
    os.mkdir(logs)
    h1 = os.path.join(logs, "proxy-host-1_error.log")
    append(h1, failure_line(1) + noise_line(2))
    fol = Follower(BIN, ["--events", os.path.join(logs, "proxy-host-*_error.log")], d)
    try:
        check("glob: ready", fol.wait_ready(), fol.stderr())
        t = time.monotonic()
        append(h1, failure_line(10))
        e = wait_for(lambda: event_by_id(fol, 10), LATENCY_BOUND)
        lat = time.monotonic() - t
        check("event within %.0f s (%.3f s)" % (LATENCY_BOUND, lat), e is not None)
        check("NPM site and line number", e and e["site"] == "proxy-host-1" and e["line"] == 3
              and e["proxy"] == "npm", e)
        check("nothing from before the start", event_by_id(fol, 1) is None)

        h7 = os.path.join(logs, "proxy-host-7_error.log")
        append(h7, noise_line(0) + failure_line(11))
        e = wait_for(lambda: event_by_id(fol, 11), LATENCY_BOUND)
        check("a new file matching the glob is read from its start", e and e["site"] == "proxy-host-7"
              and e["line"] == 2, e)

        os.unlink(h1)
        time.sleep(0.1)
        append(h1, failure_line(12))
        e = wait_for(lambda: event_by_id(fol, 12), LATENCY_BOUND)
        check("deleted and re-created: followed again from line 1", e and e["line"] == 1, e)

        append(os.path.join(logs, "proxy-host-7_error.log.1"), failure_line(13))  # a rotated name
        append(os.path.join(logs, "proxy-host-7_access.log"), failure_line(14))   # not matching
        append(h7, failure_line(15))
        wait_for(lambda: event_by_id(fol, 15), LATENCY_BOUND)
        time.sleep(0.3)
        check("rotated names and non-matching files are not followed",
              event_by_id(fol, 13) is None and event_by_id(fol, 14) is None)

        m = fol.metrics()
        check("metrics: failures by site, host, upstream, cause",
              'gw502_upstream_failures_total{proxy="npm",site="proxy-host-7",host="h11.test",'
              'upstream="172.18.0.5:3000",cause="connection_refused"} 1' in m, m[:800])
        check("metrics: lines per source",
              'gw502_lines_read_total{source="%s"} 3' % h7.replace("\\", "\\\\") in m, m[:2000])
        check("metrics: files open", fol.value("gw502_follow_files_open", m) >= 2, m)
        import urllib.request, urllib.error
        try:
            urllib.request.urlopen("http://127.0.0.1:%d/nope" % fol.port, timeout=2)
            code = 200
        except urllib.error.HTTPError as ex:
            code = ex.code
        check("metrics: unknown path is 404", code == 404, code)
        rc = fol.stop(signal.SIGINT)
        check("SIGINT: exit 1, events only on stdout", rc == 1 and all(
            l.startswith("{") for l in fol.stdout().splitlines()), (rc, fol.stdout()[-300:]))
        check("no error output", fol.stderr() == "", fol.stderr())
    finally:
        fol.close()


def text_summary(d):
    log = os.path.join(d, "plain.log")
    missing = os.path.join(d, "not-yet.log")
    append(log, noise_line(0))
    fol = Follower(BIN, ["--interval", "1", log, missing], d)
    try:
        check("text: ready", fol.wait_ready(), fol.stderr())
        append(log, failure_line(20))
        append(missing, failure_line(21))
        check("a summary every --interval",
              wait_for(lambda: "h21.test" in fol.stdout() and "h20.test" in fol.stdout(), 5),
              fol.stdout())
        check("missing file: a notice, then followed", "not-yet.log" in fol.stderr(), fol.stderr())
        rc = fol.stop(signal.SIGTERM)
        out = fol.stdout()
        check("SIGTERM: final report with the fix", rc == 1 and "gw502-logs: 2 failed requests" in out
              and "Fix (Nginx)" in out, (rc, out[-600:]))
    finally:
        fol.close()


def json_stdin(d):
    # Standard input: read until it ends, then the report, without a signal.
    p = subprocess.Popen([BIN, "-f", "--format", "json", "-"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    try:
        p.stdin.write(("proxy-1  | " + failure_line(30)).encode())
        p.stdin.write(noise_line(31).encode())
        p.stdin.flush()
        time.sleep(0.2)
        out, err = p.communicate(("proxy-1  | " + failure_line(32)).encode(), timeout=20)
        doc = json.loads(out.decode())
        check("stdin: report when input ends", p.returncode == 1 and doc["summary"]["failures"] == 2
              and doc["summary"]["lines"] == 3, (p.returncode, out[:300], err))
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def events_stdin_latency(d):
    p = subprocess.Popen([BIN, "-f", "--events", "-"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    try:
        worst = 0.0
        ok = True
        for i in range(20):
            t = time.monotonic()
            p.stdin.write(failure_line(40 + i).encode())
            p.stdin.flush()
            r, _, _ = select.select([p.stdout], [], [], LATENCY_BOUND)
            if not r:
                ok = False
                break
            line = p.stdout.readline()
            worst = max(worst, time.monotonic() - t)
            ok = ok and event_id(json.loads(line)) == 40 + i
            time.sleep(0.01)
        check("stdin events flushed one by one (worst %.3f s)" % worst, ok)
        p.stdin.close()
        p.wait(10)
        check("stdin end: exit 1", p.returncode == 1, p.returncode)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def live_view(d):
    log = os.path.join(d, "live.log")
    append(log, "")
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 120, 0, 0))
    p = subprocess.Popen([BIN, "-f", log], stdin=subprocess.DEVNULL, stdout=slave, stderr=slave)
    os.close(slave)
    buf = b""
    try:
        def read_some(t):
            nonlocal buf
            end = time.monotonic() + t
            while time.monotonic() < end:
                r, _, _ = select.select([master], [], [], 0.1)
                if r:
                    try:
                        buf += os.read(master, 65536)
                    except OSError:
                        return
        read_some(0.5)
        append(log, failure_line(50))
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and b"h50.test" not in buf:
            read_some(0.2)
        check("live view: alternate screen and the failure in the table",
              b"\x1b[?1049h" in buf and b"h50.test" in buf and b"CAUSE" in buf, buf[-500:])
        p.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and p.poll() is None:
            read_some(0.2)
        read_some(0.3)
        p.wait(5)
        tail = buf[buf.rfind(b"\x1b[?1049l"):]
        check("live view: screen restored, then the final report",
              p.returncode == 1 and b"1 failed request" in tail, (p.returncode, tail[-400:]))
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        os.close(master)


def usage_errors(d):
    for args, what in ((["--metrics", "9502", "x.log"], "--metrics without -f"),
                       (["-f", "--metrics", "notaport", "x.log"], "bad --metrics"),
                       (["-f", "--interval", "soon", "x.log"], "bad --interval"),
                       (["-f", "--list-causes"], "-f with --list-causes")):
        p = subprocess.run([BIN] + args, capture_output=True, timeout=20, cwd=d)
        check("usage error: " + what, p.returncode == 2 and p.stderr.startswith(b"gw502-logs: "),
              (p.returncode, p.stderr))
    port_holder = Follower(BIN, [os.path.join(d, "x.log")], d)
    try:
        port_holder.wait_ready()
        p = subprocess.run([BIN, "-f", "--metrics", "127.0.0.1:%d" % port_holder.port, "x.log"],
                           capture_output=True, timeout=20, cwd=d)
        check("port in use: exit 2 naming it", p.returncode == 2 and b"cannot listen" in p.stderr, p.stderr)
    finally:
        port_holder.stop()


def metrics_port_errors(d):
    """Bad --metrics ports: one line, exit 2, before anything is followed."""
    log = os.path.join(d, "x.log")
    append(log, "")
    for spec in ("99999", "165535", "0", "127.0.0.1:0", "127.0.0.1:65536", "+9502", "::1:9502"):
        p = subprocess.Popen([BIN, "-f", "--metrics", spec, log], stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            _, err = p.communicate(timeout=5)
        except subprocess.TimeoutExpired:  # it listens somewhere
            p.kill()
            _, err = p.communicate()
        lines = err.decode(errors="replace").splitlines()
        check("--metrics %s: exit 2, one line" % spec, p.returncode == 2 and len(lines) == 1
              and lines[0].startswith("gw502-logs: --metrics: "), (p.returncode, err))
    port = free_port()
    fol = subprocess.Popen([BIN, "-f", "--metrics", str(port), log], stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        ok = wait_for(lambda: scrape(port, 0.5) is not None, 10)
        check("--metrics PORT: served on 127.0.0.1", ok)
        fol.send_signal(signal.SIGTERM)
        _, err = fol.communicate(timeout=20)
        check("--metrics PORT: no notice on stderr", err == b"", err)
    finally:
        if fol.poll() is None:
            fol.kill()
            fol.wait()


def scrape(port, timeout):
    import urllib.request
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=timeout) as r:
            return r.read().decode()
    except OSError:
        return None


def idle_connections(d):
    """1 000 idle or slow connections to the loopback listener do not stop
    scrapes (D7); past the cap, the oldest idle ones are closed."""
    import resource
    import socket
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 1400
    if soft < want:
        if hard != resource.RLIM_INFINITY and hard < want:
            check("1 000 idle connections: skipped, RLIMIT_NOFILE hard limit %d" % hard, True)
            return
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    log = os.path.join(d, "idle.log")
    append(log, "")
    fol = Follower(BIN, [log], d)
    socks = []
    try:
        check("idle: ready", fol.wait_ready(), fol.stderr())

        def open_idle(n):
            for i in range(n):
                s = socket.create_connection(("127.0.0.1", fol.port), timeout=5)
                socks.append(s)
                if i % 2:
                    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")  # never finished (slowloris)

        open_idle(1000)
        time.sleep(0.3)
        times = []
        for _ in range(5):
            t = time.monotonic()
            m = scrape(fol.port, 5)
            times.append(time.monotonic() - t)
            if m is None or "gw502_" not in m:
                times.append(None)
                break
        check("1 000 idle connections open: 5 scrapes served (worst %.3f s)" % max(t for t in times if t is not None),
              None not in times and max(times) < 3, times)
        open_idle(300)
        time.sleep(0.3)
        t = time.monotonic()
        m = scrape(fol.port, 5)
        check("1 300 idle connections (past the cap): a scrape is served (%.3f s)" % (time.monotonic() - t),
              m is not None and "gw502_" in m)
        check("idle: the follower is still running", fol.proc.poll() is None)
    finally:
        for s in socks:
            s.close()
        fol.stop()
    check("idle: no error output", fol.stderr() == "", fol.stderr())


def open_file_limit(d):
    """D12: the soft limit is raised to the hard one; the metrics socket is
    opened before the files, and a file that cannot be opened is named."""
    import resource
    logs = os.path.join(d, "many")
    os.mkdir(logs)
    for i in range(300):
        append(os.path.join(logs, "proxy-host-%d_error.log" % i), noise_line(i))
    glob = os.path.join(logs, "proxy-host-*_error.log")

    def limit(soft, hard):
        return lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))

    port = free_port()
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard == resource.RLIM_INFINITY or hard >= 1024:
        p = subprocess.Popen([BIN, "-f", "--metrics", "127.0.0.1:%d" % port, glob], stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=limit(256, 1024))
        try:
            m = wait_for(lambda: scrape(port, 0.5), 10)
            files = [l for l in (m or "").splitlines() if l.startswith("gw502_follow_files_open")]
            check("soft limit 256, 300 files: all followed", files and float(files[0].split()[-1]) == 300, files)
            p.send_signal(signal.SIGTERM)
            _, err = p.communicate(timeout=20)
            check("soft limit 256: no error", p.returncode == 0 and err == b"", (p.returncode, err[:300]))
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
    p = subprocess.Popen([BIN, "-f", "--metrics", "127.0.0.1:%d" % port, glob], stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=limit(64, 64))
    try:
        time.sleep(1.0)
        running = p.poll() is None
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=20)
        lines = err.decode(errors="replace").splitlines()
        check("hard limit 64, 300 files: starts (the metrics socket first)", running, err[:300])
        check("hard limit 64: one line per file that cannot be opened, naming it",
              len(lines) > 200 and all(l.startswith("gw502-logs: " + logs + "/proxy-host-")
                                       and l.endswith("_error.log: Too many open files") for l in lines),
              lines[:3])
        check("hard limit 64: exit 2", p.returncode == 2, p.returncode)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def main():
    d = tempdir("gw502_follow_cli_")
    try:
        for case in (glob_and_recreate, text_summary, json_stdin, events_stdin_latency, live_view, usage_errors,
                     metrics_port_errors, idle_connections, open_file_limit):
            t = time.monotonic()
            case(d)
            print("  (%s: %.1f s)" % (case.__name__, time.monotonic() - t), flush=True)
    finally:
        shutil.rmtree(d, ignore_errors=True)
    finish()


main()
