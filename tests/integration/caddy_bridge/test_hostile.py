#!/usr/bin/env python3
"""The bridge on its own, against hostile and broken clients (loopback TCP
and a unix socket; no Caddy needed):

- missing, empty, repeated and malformed X-Gw502-* headers; CR, NUL, bare LF,
  LF-only lines, an encoded CRLF in the URL,
  obs-fold, a 1 MiB header, 10 000 headers, a 1 MiB URL, non-HTTP bytes,
  bad Content-Length/Transfer-Encoding, random bytes: every answer is a
  well-formed HTTP response whose header names are the bridge's own and that
  never contains the input's marker; the bridge stays up;
- slow clients (one byte every 0.4 s) are cut at --timeout while others are
  served at once; idle connections are closed; --max-connections holds;
- pipelined requests are answered in order;
- host labels are bounded (--max-hosts) and cannot inject into /metrics;
- memory stays flat over a few thousand such requests;
- many connections against RLIMIT_NOFILE 40: accept() backs off without
  spinning, and the bridge serves again afterwards;
- start-up refusals: a non-socket file at the socket path, a non-loopback
  address, a port in use, bad options; the socket mode; SIGTERM exits 0.

  test_hostile.py BRIDGE_BINARY"""
import os
import random
import socket
import stat
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bridgelib as bl  # noqa: E402

MARK = "QQMARKQQ"
ALLOWED = {"server", "content-type", "cache-control", "x-content-type-options", "x-gw502-cause",
           "x-gw502-rule", "content-length", "connection"}
TIMEOUT = 2.0  # the bridge's --timeout in this test


def exchange(bridge, data, half_close=True, wait=5.0):
    """Send data, optionally shut down writing, read until the bridge closes
    or wait expires. Returns the bytes received."""
    s = bridge.raw_socket(timeout=wait)
    got = b""
    try:
        try:
            s.sendall(data)
            if half_close:
                s.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                break
            if not chunk:
                break
            got += chunk
    finally:
        s.close()
    return got


def responses(raw):
    """Split raw bytes into [(status_line, [(name, value)], body)]."""
    out = []
    while raw:
        head, sep, rest = raw.partition(b"\r\n\r\n")
        if not sep:
            raise ValueError(f"truncated response: {raw[:200]!r}")
        lines = head.decode("latin-1").split("\r\n")
        hdrs = []
        for line in lines[1:]:
            k, colon, v = line.partition(":")
            if not colon:
                raise ValueError(f"bad header line {line!r}")
            hdrs.append((k.strip(), v.strip()))
        n = int(dict((k.lower(), v) for k, v in hdrs).get("content-length", "0"))
        out.append((lines[0], hdrs, rest[:n]))
        raw = rest[n:]
    return out


def check_response(ck, raw, what, want_status=None, head=False):
    try:
        rs = responses(raw)
    except ValueError as e:
        ck.check(False, f"{what}: {e}")
        return []
    ck.check(len(rs) >= 1, f"{what}: no response")
    ck.check(MARK.encode() not in raw, f"{what}: the input's marker was echoed: {raw[:300]!r}")
    for status_line, hdrs, _body in rs:
        ck.check(status_line.startswith("HTTP/1.1 ") or status_line.startswith("HTTP/1.0 "),
                 f"{what}: status line {status_line!r}")
        bad = [k for k, _ in hdrs if k.lower() not in ALLOWED]
        ck.check(not bad, f"{what}: foreign headers {bad}")
        for k, v in hdrs:
            ck.check(all(32 <= ord(c) < 127 for c in v), f"{what}: odd bytes in {k}: {v!r}")
    if want_status is not None and rs:
        ck.check(rs[0][0].split(" ")[1] == str(want_status), f"{what}: {rs[0][0]!r}, want {want_status}")
    return rs


def err_req(extra="", path="/gw502/error", version="HTTP/1.1"):
    return (f"GET {path} {version}\r\nHost: app.example\r\n{extra}\r\n").encode("latin-1")


def main():
    binary = sys.argv[1]
    work = bl.tmpdir("gw502-bridge-hostile-")
    port = bl.free_loopback_port()
    bridge = bl.Bridge(binary, f"127.0.0.1:{port}", "--timeout", str(TIMEOUT), "--max-connections", "64",
                       "--max-hosts", "10", log_dir=work).start()
    ck = bl.Checker()
    refused = "X-Gw502-Err-Message: dial tcp 127.0.0.1:1: connect: connection refused\r\nX-Gw502-Err-Status: 502\r\n"

    # -- ordinary requests, missing and odd headers ------------------------------------------
    rs = check_response(ck, exchange(bridge, err_req(refused)), "plain", 502)
    ck.check(rs and ("X-Gw502-Cause", "connection_refused") in rs[0][1], f"plain: {rs[:1]}")
    cases = [
        ("no headers", err_req(""), 502),
        ("empty headers", err_req("X-Gw502-Err-Message:\r\nX-Gw502-Err-Status:\r\n"), 502),
        ("status only 504", err_req("X-Gw502-Err-Status: 504\r\n"), 504),
        ("status with marker", err_req(f"X-Gw502-Err-Status: 504{MARK}\r\n"), 502),
        ("status 200", err_req(f"X-Gw502-Err-Status: 200\r\nX-Gw502-Err-Message: {MARK}\r\n"), 502),
        ("message with marker", err_req(f"X-Gw502-Err-Message: {MARK} connect: connection refused\r\n"), 502),
        ("host injection", err_req(f'X-Gw502-Err-Status: 502\r\nX-Gw502-Host: a"}} 1 {MARK}{{x="\r\n'), 502),
        ("repeated headers", err_req(f"X-Gw502-Err-Status: 503\r\nX-Gw502-Err-Status: {MARK}\r\n" * 3), 503),
        ("utf-8 and high bytes", err_req(f"X-Gw502-Err-Message: \u00e9\u00e8 {MARK} \xff\xfe\r\n"), 502),
        ("tab in value", err_req(f"X-Gw502-Err-Message: a\t{MARK}\tb\r\n"), 502),
        ("obs-fold", err_req(f"X-Gw502-Err-Message: a\r\n {MARK}: folded\r\n"), 502),
        ("bare CR", err_req(f"X-Gw502-Err-Message: a\r{MARK}: 1\r\n"), 400),
        ("bare LF", err_req(f"X-Gw502-Err-Message: a\n{MARK}: 1\r\n"), 400),
        ("LF-only lines", f"GET /gw502/error HTTP/1.1\nHost: h\nX-Gw502-Err-Message: {MARK}\n\n".encode(), 400),
        ("encoded CRLF in URL", err_req(refused, path=f"/gw502/error%0d%0aSet-Cookie:%20{MARK}"), 502),
        ("NUL", err_req(f"X-Gw502-Err-Message: a\x00{MARK}\r\n"), 400),
        ("space in name", err_req(f"X-Gw502 Err: {MARK}\r\n"), 400),
        ("colon-less line", err_req(f"{MARK}\r\n"), 400),
        ("HTTP/0.9", f"GET /{MARK}\r\n\r\n".encode(), 400),
        ("HTTP/2 preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 400),
        ("TLS ClientHello", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + os.urandom(64), 400),
        ("bad Content-Length", err_req(f"Content-Length: 99999999999999999999{MARK}\r\n"), 400),
        ("two Content-Lengths", err_req("Content-Length: 1\r\nContent-Length: 2\r\n") + b"ab", 400),
        ("bad chunk", err_req("Transfer-Encoding: chunked\r\n") + f"zz{MARK}\r\n".encode(), 400),
        ("long method", f"{'A' * 5000} / HTTP/1.1\r\nHost: h\r\n\r\n".encode(), 404),
        ("1 MiB URL", f"GET /{'u' * (1 << 20)}{MARK} HTTP/1.1\r\nHost: h\r\n\r\n".encode(), 431),
        ("1 MiB header", err_req(f"X-Gw502-Err-Message: {'m' * (1 << 20)}{MARK}\r\n"), 431),
        ("10000 headers", err_req("".join(f"X-H{i}: {MARK}\r\n" for i in range(10000))), 431),
        ("64 KiB body", b"POST /gw502/error HTTP/1.1\r\nHost: h\r\nContent-Length: 65536\r\n\r\n" + b"b" * 65536,
         413),
        ("empty", b"", None),
        ("just CRLFs", b"\r\n" * 100, 400),
        ("metrics via error route", err_req(refused, path="/metrics"), 502),
        ("unknown path", b"GET /admin HTTP/1.1\r\nHost: h\r\n\r\n", 404),
        ("POST /metrics", b"POST /metrics HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n", 405),
    ]
    for what, data, want in cases:
        raw = exchange(bridge, data)
        if want is None and raw == b"":
            ck.check(True, what)  # closed without an answer: fine for these
        else:
            check_response(ck, raw, what, want)
        ck.check(bridge.alive(), f"the bridge died after: {what}")
    st, _, body = bridge.get("/metrics")
    ck.check(st == 200 and MARK.encode() not in body, "/metrics after the hostile requests")
    m = bl.parse_metrics(body.decode())
    ck.check(bl.metric(m, "gw502_errors_total", cause="unexplained", host="invalid") >= 1,
             "the injected host label was not reduced to 'invalid'")

    # -- pipelining -----------------------------------------------------------------------
    raw = exchange(bridge, err_req(refused) + b"GET /healthz HTTP/1.1\r\nHost: h\r\n\r\n" +
                   err_req("X-Gw502-Err-Status: 504\r\n"))
    rs = check_response(ck, raw, "pipelined")
    ck.check([r[0] for r in rs] == ["HTTP/1.1 502 Bad Gateway", "HTTP/1.1 200 OK", "HTTP/1.1 504 Gateway Timeout"],
             f"pipelined: {[r[0] for r in rs]}")

    # -- HEAD and HTTP/1.0 ------------------------------------------------------------------
    raw = exchange(bridge, b"HEAD /gw502/error HTTP/1.0\r\nX-Gw502-Err-Status: 504\r\n\r\n", half_close=False)
    ck.check(raw.startswith(b"HTTP/1.0 504 ") and raw.endswith(b"\r\n\r\n"), f"HEAD/1.0: {raw[:100]!r}")

    # -- random bytes -------------------------------------------------------------------------
    rnd = random.Random(502)
    for i in range(150):
        n = rnd.randint(0, 3000)
        junk = bytes(rnd.getrandbits(8) for _ in range(n))
        if i % 3 == 0:
            junk = b"GET /gw502/error HTTP/1.1\r\n" + junk
        raw = exchange(bridge, junk, wait=TIMEOUT + 2)
        if raw:
            check_response(ck, raw, f"random #{i}")
    ck.check(bridge.alive(), "the bridge died on random bytes")

    # -- slow clients ---------------------------------------------------------------------
    slow, stop = [], threading.Event()
    for _ in range(30):
        s = bridge.raw_socket(timeout=10)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: h\r\nX-Slow: ")
        slow.append(s)
    closed_at = {}

    def dribble():
        t0 = time.monotonic()
        while not stop.is_set() and len(closed_at) < len(slow):
            for i, s in enumerate(slow):
                if i in closed_at:
                    continue
                try:
                    s.sendall(b"a")
                except OSError:
                    closed_at[i] = time.monotonic() - t0
            time.sleep(0.4)

    th = threading.Thread(target=dribble, daemon=True)
    th.start()
    t0 = time.monotonic()
    worst = 0.0
    for _ in range(20):
        t = time.monotonic()
        st = bridge.get("/healthz")[0]
        worst = max(worst, time.monotonic() - t)
        ck.check(st == 200, "healthz during the slow clients")
        time.sleep(0.05)
    ck.check(worst < 0.5, f"a normal request waited {worst:.2f}s beside the slow clients")
    th.join(timeout=TIMEOUT + 8)
    stop.set()
    ck.check(len(closed_at) == len(slow), f"{len(slow) - len(closed_at)} slow clients still connected "
                                          f"after {time.monotonic() - t0:.1f}s")
    ck.check(all(t < TIMEOUT + 3 for t in closed_at.values()), f"slow clients cut late: {sorted(closed_at.values())}")
    for s in slow:
        s.close()
    m = bridge.metrics()
    ck.check(bl.metric(m, "gw502_bridge_rejected_total", reason="timeout") >= len(slow),
             f"timeout rejections {bl.metric(m, 'gw502_bridge_rejected_total', reason='timeout')}")

    # -- idle connections and the connection limit ---------------------------------------
    time.sleep(0.3)
    idle = [bridge.raw_socket(timeout=TIMEOUT + 3) for _ in range(70)]
    t = time.monotonic()
    shut = 0
    for s in idle:
        s.settimeout(max(0.05, TIMEOUT + 2 - (time.monotonic() - t)))
        try:
            if s.recv(1) == b"":
                shut += 1
        except (socket.timeout, ConnectionResetError):
            pass
    ck.check(shut == 70, f"{70 - shut} idle connections still open after {TIMEOUT + 2}s")
    for s in idle:
        s.close()
    m = bridge.metrics()
    over = bl.metric(m, "gw502_bridge_rejected_total", reason="too_many_connections")
    ck.check(over == 6, f"too_many_connections = {over}, want 6 (70 idle, limit 64)")

    # -- host labels bounded ---------------------------------------------------------------
    for i in range(60):
        exchange(bridge, err_req(f"X-Gw502-Err-Status: 502\r\nX-Gw502-Host: h{i}.example\r\n"))
    m = bridge.metrics()
    hosts = {h for (_c, h) in bl.errors_by(m)}
    named = {h for h in hosts if h.endswith(".example")}
    ck.check(len(named) <= 10 and "other" in hosts, f"host labels: {sorted(hosts)}")
    ck.check(bl.metric(m, "gw502_bridge_host_overflow_total") >= 50, "host overflow counter")

    # -- memory -----------------------------------------------------------------------------
    before = bridge.rss_kib()
    big = err_req(f"X-Gw502-Err-Message: {'m' * 200000}\r\n")
    for i in range(3000):
        if i % 100 == 0:
            exchange(bridge, big)
        else:
            c = bridge.connection()
            c.request("GET", "/gw502/error", headers={"X-Gw502-Err-Message": f"read tcp: {i} connection reset",
                                                      "X-Gw502-Err-Status": "502", "X-Gw502-Host": f"m{i % 7}.x"})
            c.getresponse().read()
            c.close()
    after = bridge.rss_kib()
    print(f"bridge RSS: {before} KiB before, {after} KiB after 3000 requests (30 with 200 KB headers)")
    ck.check(after - before < 4096, f"RSS grew from {before} to {after} KiB")

    # -- many connections against a small file-descriptor limit ---------------------------------
    # RLIMIT_NOFILE 40 and the default --max-connections 512: accept() fails
    # with EMFILE. The bridge must back off (not spin), stay up, and serve
    # again once the clients are gone.
    import resource

    def low_nofile():
        resource.setrlimit(resource.RLIMIT_NOFILE, (40, 40))

    fport = bl.free_loopback_port()
    fd_bridge = bl.Bridge(binary, f"127.0.0.1:{fport}", "--timeout", "30", log_dir=work)
    real_popen = subprocess.Popen
    subprocess.Popen = lambda *a, **k: real_popen(*a, preexec_fn=low_nofile, **k)
    try:
        fd_bridge.start()
    finally:
        subprocess.Popen = real_popen

    def cpu_ticks(pid):
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime

    crowd = []
    for _ in range(200):
        try:
            crowd.append(fd_bridge.raw_socket(timeout=5))
        except OSError:
            break
    ck.check(len(crowd) >= 100, f"only {len(crowd)} connections could be opened")
    t0, c0 = time.monotonic(), cpu_ticks(fd_bridge.proc.pid)
    time.sleep(2.0)
    used = (cpu_ticks(fd_bridge.proc.pid) - c0) / os.sysconf("SC_CLK_TCK")
    print(f"{len(crowd)} connections against RLIMIT_NOFILE 40: the bridge used {used:.2f}s CPU in "
          f"{time.monotonic() - t0:.1f}s")
    ck.check(used < 0.5, f"the bridge spun at EMFILE: {used:.2f}s CPU in 2 s")
    ck.check(fd_bridge.alive(), "the bridge died at EMFILE")
    for s_ in crowd:
        s_.close()
    ok_after = False
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not ok_after:
        try:
            ok_after = fd_bridge.get("/healthz")[0] == 200
        except OSError:
            time.sleep(0.2)
    ck.check(ok_after, "the bridge did not serve again after the crowd left")
    ck.check(fd_bridge.stop() == 0, "bridge after EMFILE: SIGTERM exit status")

    # -- start-up refusals and the unix socket --------------------------------------------------
    def run(*args):
        return subprocess.run([binary] + list(args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              timeout=10, text=True)

    notsock = os.path.join(work, "plain-file")
    open(notsock, "w").close()
    r = run("--listen", "unix:" + notsock)
    ck.check(r.returncode == 1 and "not a socket" in r.stdout and os.path.isfile(notsock),
             f"non-socket path: {r.returncode} {r.stdout!r}")
    r = run("--listen", "0.0.0.0:1")
    ck.check(r.returncode == 1 and "not loopback" in r.stdout, f"0.0.0.0: {r.returncode} {r.stdout!r}")
    busy = bl.Bridge(binary, f"127.0.0.1:{port}")  # the main bridge holds this port
    r = run("--listen", busy.listen)
    ck.check(r.returncode == 1 and "in use" in r.stdout, f"port in use: {r.returncode} {r.stdout!r}")
    r = run("--listen", "unix:relative.sock")
    ck.check(r.returncode == 1, f"relative socket path: {r.returncode}")
    for bad in (["--socket-mode", "999"], ["--timeout", "0"], ["--max-hosts", "-1"], ["--nope"]):
        r = run(*bad)
        ck.check(r.returncode == 2, f"{bad}: exit {r.returncode}")
    r = run("--patterns", "/nonexistent/x.json", "--listen", f"127.0.0.1:{bl.free_loopback_port()}")
    ck.check(r.returncode == 1 and "x.json" in r.stdout, f"bad --patterns: {r.returncode} {r.stdout!r}")
    sock = os.path.join(work, "b.sock")
    ub = bl.Bridge(binary, "unix:" + sock, "--socket-mode", "0600", log_dir=work).start()
    ck.check(stat.S_IMODE(os.stat(sock).st_mode) == 0o600, f"socket mode {oct(os.stat(sock).st_mode)}")
    rs = check_response(ck, exchange(ub, err_req(refused)), "unix socket", 502)
    ck.check(rs and ("X-Gw502-Cause", "connection_refused") in rs[0][1], f"unix socket: {rs[:1]}")
    ck.check(ub.stop() == 0 and not os.path.exists(sock), "unix bridge: SIGTERM exit and socket removal")
    # --metrics-listen: /metrics and /healthz there, nothing else.
    mport = bl.free_loopback_port()
    ub = bl.Bridge(binary, "unix:" + sock, "--metrics-listen", f"127.0.0.1:{mport}", log_dir=work).start()
    exchange(ub, err_req(refused))
    mb = bl.Bridge(binary, f"127.0.0.1:{mport}")
    mb.proc = None
    ck.check(bl.errors_by(mb.metrics()) == {("connection_refused", "app.example"): 1}, "metrics on --metrics-listen")
    check_response(ck, exchange(mb, err_req(refused)), "error route on --metrics-listen", 404)
    ck.check(bl.errors_by(mb.metrics()) == {("connection_refused", "app.example"): 1},
             "the --metrics-listen address counted an error")
    ck.check(ub.stop() == 0 and not os.path.exists(sock), "bridge with --metrics-listen: SIGTERM")

    ck.check(bridge.alive(), "the bridge died")
    t = time.monotonic()
    ck.check(bridge.stop() == 0, "the bridge's exit status on SIGTERM")
    ck.check(time.monotonic() - t < 2.5, f"SIGTERM took {time.monotonic() - t:.1f}s")
    return ck.finish()


if __name__ == "__main__":
    sys.exit(main())
