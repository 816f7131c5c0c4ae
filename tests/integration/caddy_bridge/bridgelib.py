"""Shared pieces of the Caddy bridge integration tests.

- start/stop gw502-caddy-bridge (own session, killed with its group at the end,
  also on failure, Ctrl-C or SIGTERM);
- an HTTP client over unix sockets, /metrics parsing;
- the real-proxy lab (tests/lab) with the bridge snippet imported into the
  Caddy site, and a lab client that also sends POST bodies and keeps the
  response body and every header line.

Loopback and unix sockets only.
"""

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
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
SNIPPET = os.path.join(ROOT, "caddy-bridge", "gw502.caddy")
sys.path.insert(0, os.path.join(ROOT, "tests", "lab"))

import gwlab  # noqa: E402
from gwlab import runner as lab_runner  # noqa: E402
from gwlab.matchers import M  # noqa: E402
from gwlab.util import LOOPBACK, free_port  # noqa: E402

SKIP = 77
_children = []
_tmpdirs = []


def _cleanup():
    for p in list(_children):
        kill_group(p)
    for d in _tmpdirs:
        shutil.rmtree(d, ignore_errors=True)


def _on_signal(signum, frame):
    _cleanup()
    sys.exit(128 + signum)


atexit.register(_cleanup)
signal.signal(signal.SIGTERM, _on_signal)
signal.signal(signal.SIGINT, _on_signal)


def kill_group(p, sig=signal.SIGTERM, grace=3.0):
    if p.poll() is None:
        try:
            os.kill(p.pid, sig)
            p.wait(timeout=grace)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        p.wait(timeout=2)
    except subprocess.TimeoutExpired:
        pass
    if p in _children:
        _children.remove(p)


def tmpdir(prefix):
    d = tempfile.mkdtemp(prefix=prefix)
    os.chmod(d, 0o755)  # caddy may run as nobody in the lab
    _tmpdirs.append(d)
    return d


def need_caddy():
    if shutil.which("caddy") is None:
        print("SKIP: caddy is not installed (apt-get install caddy)")
        sys.exit(SKIP)


# ---------------------------------------------------------------------------
# The bridge process


class Bridge:
    def __init__(self, binary, listen, *args, log_dir=None):
        self.binary, self.listen, self.args = binary, listen, list(args)
        d = log_dir or tmpdir("gw502-bridge-log-")
        n = 1
        while os.path.exists(os.path.join(d, f"bridge{n}.log")):
            n += 1
        self.log_path = os.path.join(d, f"bridge{n}.log")  # one per process
        self.proc = None

    def start(self, timeout=10.0):
        out = open(self.log_path, "ab")
        try:
            self.proc = subprocess.Popen([self.binary, "--listen", self.listen] + self.args,
                                         stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        finally:
            out.close()
        _children.append(self.proc)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"bridge exited with {self.proc.returncode}: {self.log()}")
            if "listening on" in self.log():
                return self
            time.sleep(0.02)
        raise RuntimeError("bridge did not start: " + self.log())

    def log(self):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM):
        if self.proc is not None:
            kill_group(self.proc, sig)
            rc = self.proc.returncode
            self.proc = None
            return rc
        return None

    def rss_kib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return -1

    # -- talking to it
    def connection(self, timeout=5.0):
        if self.listen.startswith("unix:"):
            return UnixHTTPConnection(self.listen[5:], timeout=timeout)
        host, port = self.listen.rsplit(":", 1)
        return http.client.HTTPConnection(host, int(port), timeout=timeout)

    def raw_socket(self, timeout=5.0):
        if self.listen.startswith("unix:"):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(timeout)
            s.connect(self.listen[5:])
            return s
        host, port = self.listen.rsplit(":", 1)
        return socket.create_connection((host, int(port)), timeout=timeout)

    def get(self, path, headers=None, method="GET"):
        c = self.connection()
        try:
            c.request(method, path, headers=headers or {})
            r = c.getresponse()
            return r.status, r.getheaders(), r.read()
        finally:
            c.close()

    def metrics(self):
        st, _, body = self.get("/metrics")
        if st != 200:
            raise RuntimeError(f"/metrics answered {st}")
        return parse_metrics(body.decode())


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=5.0):
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.path)
        self.sock = s


_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_metrics(text):
    """{(name, frozenset(labels.items())): value}; raises on a malformed line."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = _SAMPLE.match(line)
        if not m:
            raise ValueError(f"malformed metrics line: {line!r}")
        labels = dict(_LABEL.findall(m.group(2) or ""))
        out[(m.group(1), frozenset(labels.items()))] = float(m.group(3))
    return out


def errors_by(metrics):
    """{(cause, host): count} from gw502_errors_total."""
    res = {}
    for (name, labels), v in metrics.items():
        if name == "gw502_errors_total":
            d = dict(labels)
            res[(d["cause"], d["host"])] = int(v)
    return res


def metric(metrics, name, **labels):
    return int(metrics.get((name, frozenset(labels.items())), 0))


# ---------------------------------------------------------------------------
# The lab with the bridge


def snippet_copy(d):
    """The snippet, readable by caddy running as nobody."""
    path = os.path.join(d, "gw502.caddy")
    shutil.copyfile(SNIPPET, path)
    os.chmod(path, 0o644)
    return path


def bridge_hooks(snippet, bridge_addr, extra_matchers=None):
    """Lab hooks: import the snippet in the proxy site; GW502_BRIDGE=<caddy address>."""
    return gwlab.Hooks(caddy_site=f"import {snippet}", caddy_env={"GW502_BRIDGE": bridge_addr},
                       extra_matchers={"caddy": list(extra_matchers or [])})


def caddy_address(listen):
    """--listen unix:/p -> unix//p; 127.0.0.1:P stays."""
    return "unix/" + listen[5:] if listen.startswith("unix:") else listen


# Lines Caddy logs because of the bridge route itself.
BRIDGE_DOWN = M(logger=r"^http\.log\.error(?:\.\w+)?$", msg=r"^error handling handler error$")

POST_BODY = b"name=gw502&note=" + b"x" * 2048


# Extra request headers by request path (e.g. a visitor spoofing X-Gw502-*).
EXTRA_HEADERS = {}


def send_request(port, req):
    """Like the lab's client, but POST/PUT send a 2 KiB body, and the result's
    headers dict also holds '__body__' and '__header_list__' (every header
    line, repeats kept)."""
    if req.abort_after is not None:
        return _orig_send_request(port, req)
    if req.pause_before:
        time.sleep(req.pause_before)
    t0 = time.monotonic()
    conn = http.client.HTTPConnection(LOOPBACK, port, timeout=req.timeout)
    try:
        body = POST_BODY if req.method in ("POST", "PUT") else None
        hdrs = {"User-Agent": "gw502-lab/1"}
        hdrs.update(EXTRA_HEADERS.get(req.path, {}))
        if body is not None:
            hdrs["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(req.method, req.path, body=body, headers=hdrs)
        resp = conn.getresponse()
        data = resp.read()
        headers = dict(resp.getheaders())
        headers["__body__"] = data
        headers["__header_list__"] = resp.getheaders()
        return resp.status, time.monotonic() - t0, headers
    except socket.timeout:
        return "timeout", time.monotonic() - t0, {}
    except http.client.BadStatusLine:
        return "bad_response", time.monotonic() - t0, {}
    except (http.client.RemoteDisconnected, ConnectionResetError):
        return "disconnected", time.monotonic() - t0, {}
    finally:
        conn.close()


_orig_send_request = lab_runner.send_request
lab_runner.send_request = send_request  # run_one looks it up at call time


def as_method(scenario, method):
    """A copy of a lab scenario whose requests use `method`."""
    import dataclasses
    reqs = [dataclasses.replace(r, method=method) for r in scenario.requests]
    return dataclasses.replace(scenario, requests=reqs, name=scenario.name)


def expected_causes(result):
    """The causes the lab's matchers gave Caddy's http.log.error entries, in
    order: one per failed request."""
    out = []
    for line, label in zip(result.error_lines, result.error_labels):
        obj = gwlab.matchers.parse_json_line(line)
        if obj and str(obj.get("logger", "")).startswith("http.log.error") and label not in ("-", "?"):
            out.append(label)
    return out


class Checker:
    """Collects failures; prints 'N passed, N failed' at the end."""

    def __init__(self):
        self.passed = 0
        self.failed = []

    def check(self, ok, what):
        if ok:
            self.passed += 1
        else:
            self.failed.append(what)
            print("FAIL " + what, flush=True)
        return ok

    def finish(self):
        print(f"{self.passed} passed, {len(self.failed)} failed", flush=True)
        return 1 if self.failed else 0


def run_scenarios(scenarios, out, hooks):
    return gwlab.run_scenarios(["caddy"], None, out, hooks, scenarios=scenarios, progress=sys.stdout)


def free_loopback_port():
    return free_port(LOOPBACK)
