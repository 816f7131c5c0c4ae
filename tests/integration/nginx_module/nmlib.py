"""Shared pieces of the nginx module's integration tests (Python 3 stdlib).

Every test runs Debian's nginx (or --nginx BINARY) with the module loaded, on
loopback ports picked at run time, with its prefix, pid and logs in a temp
directory; backends listen on 127.0.0.1 only. Every process is stopped at the
end, also on failure or Ctrl-C. The real-proxy lab (tests/lab/gwlab) is used
as a library for ports, processes and failing backends.
"""

import argparse
import atexit
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "lab"))

from gwlab.util import LOOPBACK, LabError, free_port, start_process, stop_process, wait_listening  # noqa: E402

CAUSE_ID = re.compile(r"^[a-z0-9_]+$")

# combined, then the module's variables and the connection number
LOG_FORMAT = ('\'$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent '
              '"$http_referer" "$http_user_agent" cause=$gw502_cause rule=$gw502_rule '
              'conn=$connection us=$upstream_status\'')


def parse_args(doc, extra=None):
    p = argparse.ArgumentParser(description=doc)
    p.add_argument("--module", required=True, help="ngx_http_gw502_module.so")
    p.add_argument("--nginx", default="nginx", help="nginx binary (Debian's by default)")
    p.add_argument("--keep", action="store_true", help="keep the temp directory")
    if extra:
        extra(p)
    args = p.parse_args()
    if not os.path.isfile(args.module):
        die(f"{args.module} does not exist: the module was not built "
            "(is nginx-dev installed? see nginx-module/README.md)")
    if shutil.which(args.nginx) is None:
        die(f"nginx binary {args.nginx!r} not found (apt-get install nginx)")
    args.module = os.path.abspath(args.module)
    return args


def die(msg):
    print(f"FAIL: {msg}", flush=True)
    sys.exit(1)


class Checks:
    """Collects failures; a test prints them all and exits 1 if any."""

    def __init__(self):
        self.failures = []
        self.count = 0

    def ok(self, cond, what):
        self.count += 1
        if not cond:
            self.failures.append(what)
        return cond

    def eq(self, got, want, what):
        return self.ok(got == want, f"{what}: got {got!r}, expected {want!r}")

    def finish(self, name, started):
        secs = time.monotonic() - started
        if self.failures:
            for f in self.failures[:60]:
                print(f"FAIL: {f}")
            if len(self.failures) > 60:
                print(f"... and {len(self.failures) - 60} more")
            print(f"{name}: {len(self.failures)} of {self.count} checks failed ({secs:.1f}s)")
            sys.exit(1)
        print(f"{name}: all {self.count} checks passed ({secs:.1f}s)")
        sys.exit(0)


class Workdir:
    """A temp directory removed at exit (unless --keep); world-traversable."""

    def __init__(self, prefix, keep=False):
        self.path = tempfile.mkdtemp(prefix=f"gw502-nm-{prefix}-")
        os.chmod(self.path, 0o755)
        self.keep = keep
        atexit.register(self.close)

    def sub(self, name):
        d = os.path.join(self.path, name)
        os.makedirs(d, exist_ok=True)
        os.chmod(d, 0o755)
        return d

    def close(self):
        if self.keep:
            print(f"kept {self.path}")
        else:
            shutil.rmtree(self.path, ignore_errors=True)


_running = []


def _stop_all(*_):
    while _running:
        p = _running.pop()
        try:
            p.stop()
        except Exception:  # noqa: BLE001 - best effort at exit
            pass


atexit.register(_stop_all)


def _on_signal(signum, frame):
    _stop_all()
    sys.exit(130 if signum == signal.SIGINT else 143)


signal.signal(signal.SIGTERM, _on_signal)
signal.signal(signal.SIGINT, _on_signal)


class Nginx:
    """nginx in the foreground with its prefix in `d`; `conf` is the whole nginx.conf."""

    def __init__(self, binary, d, conf, ports, wrapper=(), master=True):
        self.binary, self.dir, self.ports = binary, d, list(ports)
        self.wrapper = list(wrapper)
        os.makedirs(os.path.join(d, "logs"), exist_ok=True)
        os.makedirs(os.path.join(d, "tmp"), exist_ok=True)
        self.conf_path = os.path.join(d, "nginx.conf")
        with open(self.conf_path, "w") as f:
            f.write(conf)
        self.proc = None
        self.master = master

    def argv(self, *extra):
        g = f"pid {self.dir}/nginx.pid;"
        return [self.binary, "-p", self.dir + "/", "-c", self.conf_path, "-e", f"{self.dir}/logs/stderr.log",
                "-g", g] + list(extra)

    def test_config(self):
        """nginx -t: (ok, output)."""
        r = subprocess.run(self.argv("-t"), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        return r.returncode == 0, r.stdout.decode("utf-8", "replace")

    def start(self, timeout=10.0):
        g = f"daemon off; pid {self.dir}/nginx.pid;" + ("" if self.master else " master_process off;")
        argv = self.wrapper + [self.binary, "-p", self.dir + "/", "-c", self.conf_path,
                               "-e", f"{self.dir}/logs/stderr.log", "-g", g]
        self.proc = start_process(argv, log_path=os.path.join(self.dir, "nginx.out"), cwd=self.dir)
        _running.append(self)
        try:
            for port in self.ports:
                wait_listening(LOOPBACK, port, self.proc, timeout=timeout, what="nginx")
        except LabError as e:
            out = read_text(os.path.join(self.dir, "nginx.out")) + read_text(os.path.join(self.dir, "logs", "stderr.log"))
            raise LabError(f"{e}: {out.strip()[-1500:]}") from None
        return self

    def workers(self):
        """pids of the master's worker processes."""
        if self.proc is None:
            return []
        out = []
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                if int(fields[1]) == self.proc.pid:
                    out.append(int(pid))
            except (OSError, IndexError, ValueError):
                continue
        return sorted(out)

    def stop(self, sig=signal.SIGTERM, grace=20.0):
        if self.proc is not None:
            stop_process(self.proc, sig=sig, grace=grace)
            self.proc = None
        if self in _running:
            _running.remove(self)

    def log(self, name="error.log"):
        return read_text(os.path.join(self.dir, "logs", name))


def read_text(path):
    if not os.path.exists(path):
        return ""
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


class Client:
    """An HTTP/1.1 keepalive client: (status, headers with lower-case names, body)."""

    def __init__(self, port, timeout=10.0):
        self.port, self.timeout = port, timeout
        self.conn = None

    def get(self, path, headers=None, method="GET"):
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(LOOPBACK, self.port, timeout=self.timeout)
            try:
                self.conn.request(method, path, headers=headers or {})
                resp = self.conn.getresponse()
                body = resp.read()
                hdrs = {k.lower(): v for k, v in resp.getheaders()}
                if resp.will_close:
                    self.close()
                return resp.status, hdrs, body
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # the server closed an idle keepalive connection: one retry on a new one
                self.close()
                if attempt:
                    raise

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def curl_h2(port, paths, parallel=50, timeout=60, header="x-gw502-cause"):
    """HTTP/2 (cleartext, prior knowledge) through curl, `parallel` streams
    multiplexed on each connection: [(path, status, HTTP version, `header` or
    None)] in the order of `paths`.

    curl 7.88 (Debian 12) fails every transfer after the first --parallel-max
    ones on an h2c prior-knowledge connection ("Error in the HTTP2 framing
    layer", with or without the module), so each curl gets at most
    `parallel` URLs, all in flight at once."""
    if shutil.which("curl") is None:
        raise LabError("curl is needed for the HTTP/2 checks (apt-get install curl)")
    fmt = "%{url_effective}\\t%{http_code}\\t%{http_version}\\t%header{" + header + "}\\n"
    out = []
    for i in range(0, len(paths), parallel):
        chunk = paths[i:i + parallel]
        urls = [f"http://{LOOPBACK}:{port}{p}" for p in chunk]
        argv = ["curl", "-s", "--http2-prior-knowledge", "--parallel", "--parallel-immediate",
                "--parallel-max", str(parallel), "-w", fmt]
        for u in urls:
            argv += ["-o", "/dev/null", u]
        r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
        got = {}
        for line in r.stdout.decode("utf-8", "replace").splitlines():
            parts = line.split("\t")
            if len(parts) != 4:
                continue
            url, code, version, value = parts
            got.setdefault(url, []).append((int(code), version, value or None))
        for u, p in zip(urls, chunk):
            lst = got.get(u) or [(0, "", None)]
            code, version, value = lst.pop(0)
            out.append((p, code, version, value))
    return out


_TS = re.compile(r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d ")
_PID = re.compile(r"\[(\w+)\] \d+#\d+: ")
_CONN = re.compile(r"\*\d+ ")
_PORT = re.compile(r"(127\.0\.0\.\d+):\d+")
_TMP = re.compile(r"/tmp/gw502-[^\s\":]*/")


def normalise_error_log(text):
    """Mask what differs between two runs of the same requests: time, pid,
    connection numbers, ports, temp paths."""
    out = []
    for line in text.splitlines():
        line = _TS.sub("T ", line)
        line = _PID.sub(r"[\1] P: ", line)
        line = _CONN.sub("*C ", line)
        line = _PORT.sub(r"\1:PORT", line)
        line = _TMP.sub("/TMP/", line)
        line = re.sub(r"(worker process|start worker process|received from) \d+", r"\1 N", line)
        out.append(line)
    return out


def access_fields(line):
    """cause, rule, conn, status from a line in LOG_FORMAT."""
    m = re.search(r'" (\d{3}) \d+ "(?:[^"\\]|\\.)*" "(?:[^"\\]|\\.)*" cause=(\S+) rule=(\S+) conn=(\d+)', line)
    if not m:
        return None
    return {"status": int(m.group(1)), "cause": m.group(2), "rule": m.group(3), "conn": int(m.group(4))}


def nginx_version(binary):
    """(major, minor, patch) of `binary -v` (openresty/1.27.1.2 -> (1, 27, 1))."""
    r = subprocess.run([binary, "-v"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    m = re.search(r"/(\d+)\.(\d+)\.(\d+)", r.stdout.decode("utf-8", "replace"))
    return tuple(int(x) for x in m.groups()) if m else (0, 0, 0)


def h2_listen(binary, port):
    """An HTTP/2 cleartext listener: `listen ... http2` before nginx 1.25.1,
    `listen` plus `http2 on;` (server-wide) from then on."""
    if nginx_version(binary) >= (1, 25, 1):
        return f"listen 127.0.0.1:{port}; http2 on;"
    return f"listen 127.0.0.1:{port} http2;"


def ports(n):
    return [free_port() for _ in range(n)]


def wait_port(port, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        s = socket.socket()
        try:
            s.connect((LOOPBACK, port))
            return True
        except OSError:
            time.sleep(0.05)
        finally:
            s.close()
    return False
