"""Run a scenario against a real proxy and check its logs against expectations."""

import http.client
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field

from .matchers import NOISE, label_access, label_lines
from .proxies import PROXIES, Hooks
from .util import LOOPBACK, LabError, free_port


# ---------------------------------------------------------------------------
# Declarative pieces


@dataclass
class Req:
    """One client request. abort_after: the client hangs up after N seconds."""

    path: str = "/"
    method: str = "GET"
    abort_after: float = None
    timeout: float = 8.0
    pause_before: float = 0.0


@dataclass
class Case:
    """How one proxy is configured for a scenario, and what it must log.

    conf:  nginx: directives inside `location /`; caddy: directives in the site.
    http:  nginx: directives inside http{} (upstream{}, resolver);
           caddy: extra global options.
    matchers: error-log line -> cause id (or "-"); the proxy's common noise
           matchers are added automatically.
    expect: causes that must be seen at least once (default: every cause
           named by a matcher).
    statuses: what the client must observe, one per request (int status, or
           "client_closed", "bad_response", "timeout", "disconnected").
    user:  run nginx workers / caddy as this user (needs root).
    """

    conf: str
    matchers: list
    statuses: list = None
    http: str = ""
    expect: list = None
    user: str = None

    def expected_causes(self):
        if self.expect is not None:
            return list(self.expect)
        return sorted({m.label for m in self.matchers if m.label != NOISE})


@dataclass
class Skip:
    """This proxy cannot produce the scenario; say why."""

    reason: str


@dataclass
class Scenario:
    name: str
    doc: str
    backends: list
    requests: list
    nginx: object = None  # Case or Skip
    caddy: object = None
    settle: float = 0.3  # seconds to wait after the last request

    def case(self, proxy):
        c = getattr(self, proxy, None)
        if c is None:
            return Skip(f"no {proxy} case written")
        return c


# ---------------------------------------------------------------------------
# Session: one temp root with the TLS material for every run


class Session:
    def __init__(self, keep=False):
        self.keep = keep
        self.root = tempfile.mkdtemp(prefix="gw502-lab-")
        os.chmod(self.root, 0o755)  # nginx workers / caddy run as nobody must traverse it
        self.certs = os.path.join(self.root, "certs")
        os.makedirs(self.certs)
        os.chmod(self.certs, 0o755)
        self.tls = {
            "tls_cert": os.path.join(self.certs, "backend.crt"),
            "tls_key": os.path.join(self.certs, "backend.key"),
            "other_ca": os.path.join(self.certs, "other-ca.crt"),
        }
        self._make_cert("backend", "gw502-lab-backend", "subjectAltName=IP:127.0.0.1,DNS:localhost")
        self._make_cert("other-ca", "gw502-lab-other-ca", "basicConstraints=critical,CA:TRUE")

    def _make_cert(self, base, cn, ext):
        key = os.path.join(self.certs, base + ".key")
        crt = os.path.join(self.certs, base + ".crt")
        argv = ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-nodes", "-keyout", key, "-out", crt, "-days", "2", "-subj", f"/CN={cn}", "-addext", ext]
        r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if r.returncode != 0:
            raise LabError("openssl failed: " + r.stdout.decode(errors="replace"))
        os.chmod(key, 0o644)  # throw-away key; caddy may run as nobody

    def workdir(self, proxy, scenario):
        d = tempfile.mkdtemp(prefix=f"{proxy}-{scenario}-", dir=self.root)
        os.chmod(d, 0o755)
        return d

    def close(self):
        if not self.keep:
            shutil.rmtree(self.root, ignore_errors=True)


# ---------------------------------------------------------------------------
# Client


def send_request(port, req):
    if req.pause_before:
        time.sleep(req.pause_before)
    t0 = time.monotonic()
    if req.abort_after is not None:
        s = socket.create_connection((LOOPBACK, port), timeout=req.timeout)
        try:
            s.sendall(f"{req.method} {req.path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                      f"User-Agent: gw502-lab/1\r\n\r\n".encode())
            s.settimeout(req.abort_after)
            try:
                data = s.recv(65536)
                if data:
                    return _status_of(data), time.monotonic() - t0, {}
            except socket.timeout:
                pass
            return "client_closed", time.monotonic() - t0, {}
        finally:
            s.close()
    conn = http.client.HTTPConnection(LOOPBACK, port, timeout=req.timeout)
    try:
        conn.request(req.method, req.path, headers={"User-Agent": "gw502-lab/1"})
        resp = conn.getresponse()
        resp.read()
        return resp.status, time.monotonic() - t0, dict(resp.getheaders())
    except socket.timeout:
        return "timeout", time.monotonic() - t0, {}
    except http.client.BadStatusLine:  # e.g. nginx passing an HTTP/0.9 answer through
        return "bad_response", time.monotonic() - t0, {}
    except (http.client.RemoteDisconnected, ConnectionResetError):
        return "disconnected", time.monotonic() - t0, {}
    finally:
        conn.close()


def _status_of(data):
    parts = data.split(b" ", 2)
    try:
        return int(parts[1])
    except (IndexError, ValueError):
        return "bad_response"


# ---------------------------------------------------------------------------
# Running one scenario on one proxy


@dataclass
class Result:
    proxy: str
    scenario: str
    status: str  # "pass", "fail", "skip"
    reason: str = ""
    problems: list = field(default_factory=list)
    error_lines: list = field(default_factory=list)
    error_labels: list = field(default_factory=list)
    access_lines: list = field(default_factory=list)
    access_labels: list = field(default_factory=list)
    client: list = field(default_factory=list)  # (req, status, seconds, headers)
    seconds: float = 0.0
    out_dir: str = ""


def _read_lines(path):
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8", errors="replace") as f:
        return [l.rstrip("\n") for l in f if l.strip()]


def run_one(session, proxy_name, scenario, out_root, hooks=None):
    hooks = hooks or Hooks()
    case = scenario.case(proxy_name)
    res = Result(proxy_name, scenario.name, "skip")
    if isinstance(case, Skip):
        res.reason = case.reason
        return res
    proxy = PROXIES[proxy_name](hooks)
    if case.user and not proxy.can_run_as(case.user):
        res.reason = f"needs root to run {proxy_name} as {case.user}"
        return res

    t0 = time.monotonic()
    wd = session.workdir(proxy_name, scenario.name)
    ctx = {"dir": wd, "proxy": proxy_name, "scenario": scenario.name}
    ctx.update(session.tls)
    started = []
    try:
        for b in scenario.backends:
            b.start(ctx)
            started.append(b)
        ctx["proxy_port"] = free_port()
        if hooks.before_proxy:
            hooks.before_proxy(ctx)
        try:
            proxy.start(ctx, case)
            for req in scenario.requests:
                st, secs, headers = send_request(ctx["proxy_port"], req)
                res.client.append((req, st, secs, headers))
            time.sleep(scenario.settle)
        finally:
            proxy.stop()
    except LabError as e:
        res.problems.append(f"lab error: {e}")
    finally:
        for b in reversed(started):
            b.stop()
    res.seconds = time.monotonic() - t0

    # ---- check
    res.error_lines = _read_lines(os.path.join(wd, "error.log"))
    res.access_lines = _read_lines(os.path.join(wd, "access.log"))
    matchers = list(case.matchers) + list(hooks.extra_matchers.get(proxy_name, [])) + list(proxy.noise)
    res.error_labels, probs = label_lines(res.error_lines, matchers, proxy.json_lines)
    res.problems += probs
    res.access_labels, acc_statuses, probs = label_access(res.access_lines, proxy.json_lines)
    res.problems += probs
    seen = set(res.error_labels)
    for cause in case.expected_causes():
        if cause not in seen:
            res.problems.append(f"expected cause {cause} never logged")
    got = [c[1] for c in res.client]
    if case.statuses is not None and got != list(case.statuses):
        res.problems.append(f"client statuses {got}, expected {list(case.statuses)}")
    if len(res.access_lines) != len(scenario.requests):
        res.problems.append(f"{len(res.access_lines)} access-log lines for {len(scenario.requests)} requests")
    res.status = "fail" if res.problems else "pass"

    # ---- keep the evidence
    out = os.path.join(out_root, proxy_name, scenario.name)
    res.out_dir = out
    if os.path.isdir(out):
        shutil.rmtree(out)
    os.makedirs(out)
    for name in ("error.log", "access.log", "proxy.out", proxy.config_name):
        src = os.path.join(wd, name)
        if os.path.exists(src):
            shutil.copyfile(src, os.path.join(out, name))
    with open(os.path.join(out, "status.txt"), "w") as f:
        for i, (req, st, secs, headers) in enumerate(res.client, 1):
            extra = " ".join(f"{k}={v}" for k, v in headers.items() if k.lower().startswith("x-gw502"))
            f.write(f"{i} {req.method} {req.path} {st} {secs * 1000:.0f}ms{(' ' + extra) if extra else ''}\n")
    _write_pairs(os.path.join(out, "error.labels"), res.error_labels)
    _write_pairs(os.path.join(out, "access.labels"), res.access_labels)
    with open(os.path.join(out, "result.txt"), "w") as f:
        f.write(f"{res.status} {res.seconds:.2f}s\n")
        for p in res.problems:
            f.write(p + "\n")
    if not session.keep:
        shutil.rmtree(wd, ignore_errors=True)
    return res


def _write_pairs(path, labels):
    with open(path, "w") as f:
        for l in labels:
            f.write(l + "\n")
