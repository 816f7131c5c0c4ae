#!/usr/bin/env python3
"""Benchmarks of gw502-logs -f (figures for bench/follow/RESULTS.md; never a test).

  bench_follow.py GW502_LOGS [--lines N] [--rate LINES_PER_S] [--seconds S]

- idle: CPU time and wakeups of a follower on quiet files over 10 s
  (one file; a glob of 50 NPM files; the live view on a pseudo-terminal);
- throughput: a file grows by N lines of bench/gen_logs.py's nginx mix
  (~15 % failures) as fast as `cat` can append; wall time until the
  follower has read every line (its /metrics), and its CPU time, with and
  without --events (to /dev/null);
- paced: the file grows at --rate lines/s for --seconds; the follower's CPU
  share (can it keep up on one core, and with how much to spare);
- latency: one failure line appended every 20 ms, time until its NDJSON
  event is read from the follower's stdout (idle, and under 200k lines/s
  of other lines).
CPU time is read from /proc/PID/schedstat (nanoseconds)."""
import argparse
import json
import os
import pty
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
GEN = os.path.join(HERE, "..", "gen_logs.py")


def cpu_ns(pid):
    with open("/proc/%d/schedstat" % pid) as f:
        return int(f.read().split()[0])


def wakeups(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("voluntary_ctxt_switches"):
                return int(line.split()[1])
    return 0


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Proc:
    def __init__(self, binary, args, stdout=subprocess.DEVNULL, metrics=True, tty=False):
        self.port = free_port() if metrics else None
        cmd = [binary, "-f"] + args + (["--metrics", "127.0.0.1:%d" % self.port] if metrics else [])
        self.master = None
        if tty:
            self.master, slave = pty.openpty()
            self.p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=slave, stderr=slave)
            os.close(slave)
        else:
            self.p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=stdout, stderr=subprocess.DEVNULL)

    def drain_tty(self):
        while self.master is not None and select.select([self.master], [], [], 0)[0]:
            try:
                os.read(self.master, 1 << 16)
            except OSError:
                break

    def lines(self):
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % self.port, timeout=5) as r:
            text = r.read().decode()
        return sum(int(float(l.rsplit(" ", 1)[1])) for l in text.splitlines()
                   if l.startswith("gw502_lines_read_total{"))

    def ready(self):
        for _ in range(400):
            try:
                self.lines()
                return
            except OSError:
                time.sleep(0.025)
        raise RuntimeError("follower did not start")

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(30)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        if self.master is not None:
            self.drain_tty()
            os.close(self.master)


def idle(binary, d):
    out = {}
    one = os.path.join(d, "idle.log")
    open(one, "w").close()
    logs = os.path.join(d, "npm")
    os.mkdir(logs)
    for i in range(1, 51):
        open(os.path.join(logs, "proxy-host-%d_error.log" % i), "w").close()
    for name, args, tty in (("one file, --events", ["--events", one], False),
                            ("glob of 50 NPM files, --events", ["--events", os.path.join(logs, "proxy-host-*_error.log")], False),
                            ("one file, live view on a terminal", [one], True)):
        p = Proc(binary, args, tty=tty)
        p.ready()
        time.sleep(1)
        c0, w0, t0 = cpu_ns(p.p.pid), wakeups(p.p.pid), time.monotonic()
        end = t0 + 10
        while time.monotonic() < end:
            p.drain_tty()
            time.sleep(0.2)
        c1, w1, t1 = cpu_ns(p.p.pid), wakeups(p.p.pid), time.monotonic()
        p.stop()
        out[name] = ((c1 - c0) / 1e6, w1 - w0, t1 - t0)
        print("idle %-36s CPU %.2f ms in %.1f s (%.4f %%), %d wakeups" % (
            name, (c1 - c0) / 1e6, t1 - t0, (c1 - c0) / 1e7 / (t1 - t0), w1 - w0), flush=True)
    return out


def throughput(binary, d, big, nlines):
    res = {}
    for name, args in (("report only", ["--interval", "0"]), ("--events to /dev/null", ["--events"])):
        log = os.path.join(d, "tp.log")
        open(log, "w").close()
        p = Proc(binary, args + [log])
        p.ready()
        c0, t0 = cpu_ns(p.p.pid), time.monotonic()
        with open(log, "ab") as out, open(big, "rb") as src:
            shutil.copyfileobj(src, out, 1 << 20)
        t_written = time.monotonic() - t0
        n = 0
        while n < nlines:
            time.sleep(0.01)
            n = p.lines()
        wall = time.monotonic() - t0
        cpu = (cpu_ns(p.p.pid) - c0) / 1e9
        p.stop()
        os.unlink(log)
        res[name] = (wall, cpu)
        print("throughput %-22s %d lines: appended in %.2f s, all read after %.2f s wall -> %.2f M lines/s; "
              "follower CPU %.2f s -> %.2f M lines per CPU-second" % (
                  name, nlines, t_written, wall, nlines / wall / 1e6, cpu, nlines / cpu / 1e6), flush=True)
    return res


def paced(binary, d, big, rate, seconds):
    log = os.path.join(d, "paced.log")
    open(log, "w").close()
    p = Proc(binary, ["--events", log])
    p.ready()
    with open(big, "rb") as f:
        data = f.read()
    # Whole lines, 100 writes a second, wrapping around the input.
    per_tick = rate // 100
    starts = [0]
    pos = data.find(b"\n")
    while pos >= 0:
        starts.append(pos + 1)
        pos = data.find(b"\n", pos + 1)
    total = len(starts) - 1

    def take(k, n):
        k %= total
        if k + n <= total:
            return data[starts[k]:starts[k + n]]
        return data[starts[k]:] + take(0, n - (total - k))

    fd = os.open(log, os.O_WRONLY | os.O_APPEND)
    c0, t0 = cpu_ns(p.p.pid), time.monotonic()
    written = 0
    behind = 0.0
    for tick in range(100 * seconds):
        os.write(fd, take(written, per_tick))
        written += per_tick
        target = t0 + (tick + 1) / 100
        now = time.monotonic()
        if now < target:
            time.sleep(target - now)
        else:
            behind = max(behind, now - target)
    os.close(fd)
    t_write = time.monotonic() - t0
    n = 0
    while n < written:
        time.sleep(0.01)
        n = p.lines()
    lag = time.monotonic() - t0 - t_write
    cpu = (cpu_ns(p.p.pid) - c0) / 1e9
    p.stop()
    print("paced %d lines/s for %.1f s (%d lines, writer late by up to %.3f s): follower CPU %.2f s = %.0f %% of "
          "one core; caught up %.3f s after the last write" % (
              rate, t_write, written, behind, cpu, 100 * cpu / t_write, lag), flush=True)
    return (rate, t_write, cpu, lag)


def latency(binary, d, big, load_rate):
    log = os.path.join(d, "lat.log")
    open(log, "w").close()
    p = Proc(binary, ["--events", log], stdout=subprocess.PIPE)
    p.ready()
    noise = None
    if load_rate:
        noise = subprocess.Popen([sys.executable, "-c", r"""
import os, sys, time
log, rate = sys.argv[1], int(sys.argv[2])
line = b'2026/11/01 10:00:00 [notice] 29#29: *1 signal process started, client: 10.0.0.1, server: x\n'
chunk = line * (rate // 100)
fd = os.open(log, os.O_WRONLY | os.O_APPEND)
t0 = time.monotonic()
for i in range(100 * 60):
    os.write(fd, chunk)
    d = t0 + (i + 1) / 100 - time.monotonic()
    if d > 0:
        time.sleep(d)
""", log, str(load_rate)])
        time.sleep(0.5)
    fd = os.open(log, os.O_WRONLY | os.O_APPEND)
    lat = []
    rd = p.p.stdout
    for i in range(200):
        line = ('2026/11/01 10:00:00 [error] 29#29: *%d connect() failed (111: Connection refused) while '
                'connecting to upstream, client: 10.0.0.1, server: a, request: "GET / HTTP/1.1", upstream: '
                '"http://172.18.0.5:3000/", host: "lat%d.test"\n' % (i, i)).encode()
        t = time.monotonic()
        os.write(fd, line)
        while True:
            r, _, _ = select.select([rd], [], [], 5)
            if not r:
                raise RuntimeError("no event within 5 s")
            ev = json.loads(rd.readline())
            if ev["host"] == "lat%d.test" % i:
                break
        lat.append(time.monotonic() - t)
        time.sleep(0.02)
    os.close(fd)
    if noise:
        noise.kill()
        noise.wait()
    p.stop()
    lat.sort()
    q = lambda x: lat[min(len(lat) - 1, int(x * len(lat)))] * 1000
    print("latency%s: 200 events, p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms" % (
        " under %d lines/s" % load_rate if load_rate else " (idle)", q(0.5), q(0.9), q(0.99), lat[-1] * 1000),
        flush=True)
    return lat


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--size", default="512M", help="bytes of generated log for the throughput runs")
    ap.add_argument("--rate", type=int, default=1000000)
    ap.add_argument("--seconds", type=int, default=5)
    a = ap.parse_args()
    d = tempfile.mkdtemp(prefix="gw502_bench_follow_")
    try:
        big = os.path.join(d, "big.log")
        subprocess.run([sys.executable, GEN, "nginx", a.size, big], check=True, stdout=subprocess.DEVNULL)
        with open(big, "rb") as f:
            nlines = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
        print("input: %s, %d lines, %.0f bytes/line" % (a.size, nlines, os.path.getsize(big) / nlines), flush=True)
        idle(a.binary, d)
        throughput(a.binary, d, big, nlines)
        paced(a.binary, d, big, a.rate, a.seconds)
        latency(a.binary, d, big, 0)
        latency(a.binary, d, big, 200000)
    finally:
        shutil.rmtree(d, ignore_errors=True)


main()
