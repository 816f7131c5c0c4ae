"""Shared helpers for the follow-mode integration tests: a follower process
that is always killed, a free loopback port, metrics scraping, log lines
with an id in the Host header, pass/fail bookkeeping."""
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

FAILURES = []
PASSED = [0]


def check(name, cond, detail=""):
    if cond:
        PASSED[0] += 1
        print("ok   " + name, flush=True)
    else:
        FAILURES.append(name)
        print("FAIL " + name + (": " + str(detail)[:600] if detail else ""), flush=True)


def finish():
    print("%d passed, %d failed" % (PASSED[0], len(FAILURES)))
    if FAILURES:
        print("failed: " + ", ".join(FAILURES))
    sys.exit(1 if FAILURES else 0)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def failure_line(i, upstream="172.18.0.5:3000"):
    return ('2026/11/01 10:%02d:%02d [error] 29#29: *%d connect() failed (111: Connection refused) while connecting '
            'to upstream, client: 10.0.0.1, server: app.test, request: "GET /item/%d HTTP/1.1", upstream: '
            '"http://%s/", host: "h%d.test"\n' % (i // 60 % 60, i % 60, i, i, upstream, i))


def noise_line(i):
    return '2026/11/01 10:%02d:%02d [notice] 29#29: *%d signal process started %d\n' % (i // 60 % 60, i % 60, i, i)


def event_id(ev):
    h = ev.get("host", "")
    return int(h[1:h.index(".")]) if h.startswith("h") and "." in h else None


class Follower:
    """gw502-logs -f with stdout to a file; killed on exit whatever happens."""

    def __init__(self, binary, args, workdir, metrics=True, stdin=None, stdout=None):
        self.port = free_port() if metrics else None
        self.out_path = os.path.join(workdir, "follower.%d.out" % time.monotonic_ns())
        self.err_path = self.out_path + ".err"
        cmd = [binary, "-f"] + args
        if metrics:
            cmd += ["--metrics", "127.0.0.1:%d" % self.port]
        self.out = open(self.out_path, "wb") if stdout is None else None
        self.err = open(self.err_path, "wb")
        self.proc = subprocess.Popen(cmd, stdin=stdin if stdin is not None else subprocess.DEVNULL,
                                     stdout=self.out if stdout is None else stdout, stderr=self.err)
        self.rc = None

    def metrics(self, timeout=2):
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % self.port, timeout=timeout) as r:
            return r.read().decode()

    def wait_ready(self, timeout=20):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                return False
            try:
                self.metrics(0.5)
                return True
            except OSError:
                time.sleep(0.05)
        return False

    def value(self, name, text=None):
        """Sum of every sample of a metric."""
        text = text if text is not None else self.metrics()
        total = 0
        for line in text.splitlines():
            if line.startswith(name + "{") or line.startswith(name + " "):
                total += float(line.rsplit(" ", 1)[1])
        return total

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.rc = self.proc.returncode
        self.close()
        return self.rc

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for f in (self.out, self.err):
            if f and not f.closed:
                f.close()

    def metric(self, name):
        """value(name), or None while the listener does not answer."""
        try:
            return self.value(name)
        except OSError:
            return None

    def id_counts(self):
        """Event id -> times reported; a line still being written is left out."""
        seen = {}
        with open(self.out_path, "rb") as f:
            for line in f:
                try:
                    i = event_id(json.loads(line))
                except ValueError:
                    continue
                if i is not None:
                    seen[i] = seen.get(i, 0) + 1
        return seen

    def stdout(self):
        with open(self.out_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stderr(self):
        with open(self.err_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def events(self):
        evs = []
        for line in self.stdout().splitlines():
            if line.strip():
                evs.append(json.loads(line))
        return evs


def wait_for(pred, timeout=10.0, step=0.02):
    """Polls pred until it is true or timeout seconds pass; its last value."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


def tempdir(prefix):
    return tempfile.mkdtemp(prefix=prefix)
