#!/usr/bin/env python3
"""The hard cases, over HTTP/1.1 keepalive and over multiplexed HTTP/2 streams:
error_page (URI and named location), proxy_next_upstream (the last failure
wins), upstream keepalive, mirror and auth_request subrequests (never
misattributed, whichever fails first), a location with `error_log ... crit`,
an upstream's own 502/504 (never tagged), `gw502 off`, gw502_header; and the
error logs (the server's and the crit location's) are the same with the
module as without it."""

import os
import re
import socket
import time
from collections import Counter

import nmlib
from nmlib import Checks, Client, Nginx, Workdir

from gwlab.backends import TCP, Behaviour, Respond, ResetAfterRequest, set_linger_zero, sleep_unless  # noqa: E402

# Timing decides how many idle keepalive connections (nginx's own upstream
# keepalive to its second server, curl's) get closed, and so logged at info,
# whether curl closes an HTTP/2 connection before nginx notices (1.27), and
# which signals the master notices at shutdown: those lines are left out of
# the comparison.
KEEPALIVE_CLOSED = re.compile(r"\] P: (?:\*C client 127\.0\.0\.1 closed keepalive connection|"
                              r"\*C client prematurely closed connection while processing HTTP/2 connection, .*|"
                              r"signal \d+ \(SIG(?:CHLD|IO|ALRM)\) received(?: from N)?)$")
REFUSED, RESET, READ_TIMEOUT, UNIX = "connection_refused", "upstream_reset", "read_timeout", "unix_socket_missing"


class SlowReset(Behaviour):
    """Read the request, wait, then abort with RST."""

    def __init__(self, delay):
        self.delay = delay

    def answer(self, conn, stop, head):
        sleep_unless(stop, self.delay)
        set_linger_zero(conn)
        return False


# path -> (status, cause, header name); None: no header at all
CASES = [
    ("/ok", 200, None),
    ("/refused", 502, REFUSED),
    ("/reset", 502, RESET),
    ("/closed", 502, RESET),
    ("/slow", 504, READ_TIMEOUT),
    ("/unix", 502, UNIX),
    ("/own502", 502, None),
    ("/own504", 504, None),
    ("/keep", 200, None),
    # error_page
    ("/ep-uri", 502, REFUSED),
    ("/ep-uri-proxied", 502, REFUSED),
    ("/ep-named-reset", 502, RESET),
    ("/ep-named-ok", 200, None),
    ("/ep-named-503", 503, None),
    ("/ep-named-own502", 502, None),
    ("/ep-named-return502", 502, REFUSED),
    ("/ep-intercept", 502, None),
    ("/ep-intercept-errpage-dead", 502, None),
    ("/ep-uri-errpage-reset", 502, REFUSED),
    ("/ep-uri-errpage-own502", 502, REFUSED),
    ("/nu-intercept-ep", 502, None),
    ("/nu-intercept-ep-proxied", 502, None),
    ("/ep-timeout", 504, READ_TIMEOUT),
    # proxy_next_upstream: the last failure's cause
    ("/nu-refused-slow", 504, READ_TIMEOUT),
    ("/nu-slow-refused", 502, REFUSED),
    ("/nu-refused-own502", 502, None),
    ("/nu-refused-ok", 200, None),
    # subrequests
    ("/mirror-ok", 200, None),
    ("/mirror-main-refused", 502, REFUSED),
    ("/mirror-main-slowreset", 502, RESET),
    ("/auth-ok-main-refused", 502, REFUSED),
    ("/auth-dead", 500, None),
    ("/auth-slowreset", 500, None),
    # log levels
    ("/crit", 502, REFUSED),
    ("/crit-unix", 502, UNIX),
    # switches
    ("/off", 502, None),
    ("/hdr", 502, REFUSED),
    ("/nohdr", 502, None),
]
HEADER_OF = {"/hdr": "x-why"}
ACCESS_CAUSE = {"/nohdr": REFUSED}  # gw502_header off: the variable still works


def locations(c, on):
    g = (lambda s: s) if on else (lambda s: "")
    return f"""
        location /ok {{ proxy_pass http://127.0.0.1:{c['h']}/ok; }}
        location /refused {{ proxy_pass http://127.0.0.1:{c['dead']}; }}
        location /reset {{ proxy_pass http://127.0.0.1:{c['reset']}; }}
        location /closed {{ proxy_pass http://127.0.0.1:{c['h']}/close; }}
        location /slow {{ proxy_pass http://127.0.0.1:{c['slow']}; proxy_read_timeout 300ms; }}
        location /unix {{ proxy_pass http://unix:{c['missing']}:; }}
        location /own502 {{ proxy_pass http://127.0.0.1:{c['h']}/own502; }}
        location /own504 {{ proxy_pass http://127.0.0.1:{c['h']}/own504; }}
        location /keep {{ proxy_pass http://h_keep/ok; proxy_http_version 1.1; proxy_set_header Connection ""; }}

        location /ep-uri {{ proxy_pass http://127.0.0.1:{c['dead']}; error_page 502 504 /50x.html; }}
        location = /50x.html {{ internal; return 200 "sorry\\n"; }}
        location /ep-uri-proxied {{ proxy_pass http://127.0.0.1:{c['dead']}; error_page 502 /_errpage; }}
        location = /_errpage {{ internal; proxy_pass http://127.0.0.1:{c['h']}/ok; }}
        location /ep-named-reset {{ proxy_pass http://127.0.0.1:{c['dead']}; error_page 502 = @reset; }}
        location @reset {{ proxy_pass http://127.0.0.1:{c['reset']}; }}
        location /ep-named-ok {{ proxy_pass http://127.0.0.1:{c['dead']}; error_page 502 = @ok; }}
        location @ok {{ rewrite ^ /ok break; proxy_pass http://127.0.0.1:{c['h']}; }}
        location /ep-named-503 {{ proxy_pass http://127.0.0.1:{c['dead']}; error_page 502 = @r503; }}
        location @r503 {{ return 503; }}
        location /ep-named-own502 {{ proxy_pass http://127.0.0.1:{c['dead']}; error_page 502 = @own502; }}
        location @own502 {{ rewrite ^ /own502 break; proxy_pass http://127.0.0.1:{c['h']}; }}
        location /ep-named-return502 {{ proxy_pass http://127.0.0.1:{c['dead']}; error_page 502 = @r502; }}
        location @r502 {{ return 502; }}
        location /ep-intercept {{ proxy_pass http://127.0.0.1:{c['h']}/own502; proxy_intercept_errors on;
                                  error_page 502 /50x.html; }}
        location /ep-intercept-errpage-dead {{ proxy_pass http://127.0.0.1:{c['h']}/own502;
                                               proxy_intercept_errors on; error_page 502 /_errpage_dead; }}
        location = /_errpage_dead {{ internal; proxy_pass http://127.0.0.1:{c['dead']}; }}
        location /ep-uri-errpage-reset {{ proxy_pass http://127.0.0.1:{c['dead']}; error_page 502 /_errpage_reset; }}
        location = /_errpage_reset {{ internal; proxy_pass http://127.0.0.1:{c['reset']}; }}
        location /ep-uri-errpage-own502 {{ proxy_pass http://127.0.0.1:{c['dead']}; error_page 502 /_errpage_own502; }}
        location = /_errpage_own502 {{ internal; proxy_pass http://127.0.0.1:{c['h']}/own502; }}
        location /nu-intercept-ep {{ proxy_pass http://refused_h/own502; proxy_intercept_errors on;
                                    error_page 502 /50x.html; }}
        location /nu-intercept-ep-proxied {{ proxy_pass http://refused_h/own502; proxy_intercept_errors on;
                                            error_page 502 /_errpage; }}
        location /ep-timeout {{ proxy_pass http://127.0.0.1:{c['slow']}; proxy_read_timeout 300ms;
                                error_page 504 /50x.html; }}

        location /nu-refused-slow {{ proxy_pass http://refused_slow; proxy_read_timeout 300ms; }}
        location /nu-slow-refused {{ proxy_pass http://slow_refused; proxy_read_timeout 300ms; }}
        location /nu-refused-own502 {{ proxy_pass http://refused_h/own502; }}
        location /nu-refused-ok {{ proxy_pass http://refused_h/ok; }}

        location /mirror-ok {{ mirror /_m_refused; proxy_pass http://127.0.0.1:{c['h']}/ok; }}
        location /mirror-main-refused {{ mirror /_m_slowreset; proxy_pass http://127.0.0.1:{c['dead']}; }}
        location /mirror-main-slowreset {{ mirror /_m_refused; proxy_pass http://127.0.0.1:{c['slowreset']}; }}
        location = /_m_refused {{ internal; proxy_pass http://127.0.0.1:{c['dead']}; }}
        location = /_m_slowreset {{ internal; proxy_pass http://127.0.0.1:{c['slowreset']}; }}
        location /auth-ok-main-refused {{ auth_request /_auth_ok; proxy_pass http://127.0.0.1:{c['dead']}; }}
        location /auth-dead {{ auth_request /_auth_dead; proxy_pass http://127.0.0.1:{c['h']}/ok; }}
        location /auth-slowreset {{ auth_request /_auth_slowreset; proxy_pass http://127.0.0.1:{c['h']}/ok; }}
        location = /_auth_ok {{ internal; proxy_pass http://127.0.0.1:{c['h']}/ok; }}
        location = /_auth_dead {{ internal; proxy_pass http://127.0.0.1:{c['dead']}; }}
        location = /_auth_slowreset {{ internal; proxy_pass http://127.0.0.1:{c['slowreset']}; }}

        location /crit {{ error_log {c['d']}/logs/crit.log crit; proxy_pass http://127.0.0.1:{c['dead']}; }}
        location /crit-unix {{ error_log {c['d']}/logs/crit.log crit; proxy_pass http://unix:{c['missing']}:; }}

        location /off {{ {g('gw502 off;')} proxy_pass http://127.0.0.1:{c['dead']}; }}
        location /hdr {{ {g('gw502_header X-Why;')} proxy_pass http://127.0.0.1:{c['dead']}; }}
        location /nohdr {{ {g('gw502_header off;')} proxy_pass http://127.0.0.1:{c['dead']}; }}
"""


def config(c, on):
    d = c["d"]
    fmt = nmlib.LOG_FORMAT if on else nmlib.LOG_FORMAT.replace("cause=$gw502_cause rule=$gw502_rule", "cause=- rule=-")
    return f"""
{f"load_module {c['module']};" if on else ""}
worker_processes 2;
error_log {d}/logs/error.log info;
events {{ worker_connections 1024; }}
http {{
    log_format gw {fmt};
    access_log {d}/logs/access.log gw;
    client_body_temp_path {d}/tmp; proxy_temp_path {d}/tmp;
    fastcgi_temp_path {d}/tmp; uwsgi_temp_path {d}/tmp; scgi_temp_path {d}/tmp;
    {"gw502 on;" if on else ""}
    upstream h_keep {{ server 127.0.0.1:{c['h']}; keepalive 4; }}
    upstream refused_slow {{ server 127.0.0.1:{c['dead']} max_fails=0;
                             server 127.0.0.1:{c['slow']} max_fails=0 backup; }}
    upstream slow_refused {{ server 127.0.0.1:{c['slow']} max_fails=0;
                             server 127.0.0.1:{c['dead']} max_fails=0 backup; }}
    upstream refused_h {{ server 127.0.0.1:{c['dead']} max_fails=0;
                          server 127.0.0.1:{c['h']} max_fails=0 backup; }}
    server {{
        listen 127.0.0.1:{c['p1']};
        {c['h2listen']}
        {locations(c, on)}
    }}
    server {{
        listen 127.0.0.1:{c['h']};
        access_log off;
        location /ok {{ return 200 "ok\\n"; }}
        location /own502 {{ return 502 "the upstream's own 502\\n"; }}
        location /own504 {{ return 504; }}
        location /close {{ return 444; }}
    }}
}}
"""


def request_path(line):
    m = re.search(r'"[A-Z]+ (\S+) HTTP/[\d.]+"', line)
    return m.group(1).split("?")[0] if m else None


def run(args, wd, name, on, ck):
    d = wd.sub(name)
    p1, p2, h = nmlib.ports(3)
    backends = {"reset": TCP("reset", ResetAfterRequest()), "slow": TCP("slow", Respond(delay=2.0)),
                "slowreset": TCP("slowreset", SlowReset(0.3))}
    ctx = {"dir": d}
    for b in backends.values():
        b.start(ctx)
    c = {"d": d, "module": args.module, "h2listen": nmlib.h2_listen(args.nginx, p2), "p1": p1, "p2": p2, "h": h, "dead": nmlib.ports(1)[0],
         "missing": os.path.join(d, "missing.sock")}
    for k in backends:
        c[k] = ctx[f"{k}_port"]
    ng = Nginx(args.nginx, d, config(c, on), [p1, p2, h]).start()
    seen = []  # (path, status, cause header, other header)
    try:
        # HTTP/1.1: every case, twice, on one keepalive connection (a cause must not leak
        # into the next request), then each on a fresh connection
        cl = Client(p1)
        for rnd in range(2):
            for path, _st, _cause in CASES:
                st, hd, _ = cl.get(f"{path}?k={rnd}")
                seen.append(("h1-keepalive", path, st, hd.get("x-gw502-cause"), hd.get("x-why")))
        cl.close()
        for path, _st, _cause in CASES:
            cl = Client(p1)
            st, hd, _ = cl.get(path)
            seen.append(("h1", path, st, hd.get("x-gw502-cause"), hd.get("x-why")))
            cl.close()
        # HTTP/2: all cases 3 times, multiplexed on one connection
        paths = [f"{p}?s={i}" for i in range(3) for p, _, _ in CASES]
        for p, st, version, cause in nmlib.curl_h2(p2, paths, parallel=100):
            ck.eq(version, "2", f"HTTP/2 for {p}")
            seen.append(("h2", p.split("?")[0], st, cause, None))
        for p, st, version, why in nmlib.curl_h2(p2, ["/hdr?x=1", "/hdr?x=2"], header="x-why"):
            seen.append(("h2", "/hdr-x-why", st, None, why))
        time.sleep(0.8)  # let the slow mirror/auth subrequests finish and log
    finally:
        ng.stop()
        for b in backends.values():
            b.stop()
    return ng, seen


def main():
    args = nmlib.parse_args(__doc__)
    started = time.monotonic()
    ck = Checks()
    wd = Workdir("features", args.keep)
    expect = {p: (st, cause) for p, st, cause in CASES}

    ng_on, seen = run(args, wd, "on", True, ck)
    for proto, path, st, cause, why in seen:
        if path == "/hdr-x-why":  # the same over HTTP/2, asking curl for X-Why
            ck.eq((st, why), expect["/hdr"], f"{proto} /hdr: status, X-Why")
            continue
        want_st, want_cause = expect[path]
        if path == "/hdr":
            ck.eq(cause, None, f"{proto} {path}: X-Gw502-Cause with gw502_header X-Why")
            if proto != "h2":
                ck.eq((st, why), (want_st, want_cause), f"{proto} {path}: status, X-Why")
            continue
        ck.eq((st, cause), (want_st, want_cause), f"{proto} {path}: status, X-Gw502-Cause")
    acc = ng_on.log("access.log").splitlines()
    n = 0
    for line in acc:
        path, f = request_path(line), nmlib.access_fields(line)
        if path == "/hdr" and "?x=" in line:
            path = "/hdr"
        if path not in expect or f is None:
            ck.ok(path is not None and path.startswith("/_"), f"unexpected access line: {line}")
            continue
        n += 1
        want_st, want_cause = expect[path]
        want_cause = ACCESS_CAUSE.get(path, want_cause)
        ck.eq((f["status"], f["cause"]), (want_st, want_cause or "-"), f"access log for {path}")
    ck.eq(n, len(seen), "access-log lines for the client requests")
    ck.ok(ng_on.log("stderr.log").strip() == "", "stderr: " + ng_on.log("stderr.log")[:500])
    for log in (ng_on.log(), ng_on.log("crit.log")):
        ck.ok("exited on signal" not in log and "[alert]" not in log, "crash or alert:\n" + log[-1500:])

    # the same requests without the module: the same error-log lines (order aside:
    # subrequests and HTTP/2 streams interleave)
    ng_off, seen_off = run(args, wd, "off", False, ck)
    ck.eq([(s[0], s[1], s[2]) for s in seen_off], [(s[0], s[1], s[2]) for s in seen],
          "statuses with the module vs without")
    for name in ("error.log", "crit.log"):
        a = Counter(l for l in nmlib.normalise_error_log(ng_off.log(name)) if not KEEPALIVE_CLOSED.search(l))
        b = Counter(l for l in nmlib.normalise_error_log(ng_on.log(name)) if not KEEPALIVE_CLOSED.search(l))
        for line in (a - b):
            ck.ok(False, f"{name}: line missing with the module ({a[line]} vs {b[line]}): {line}")
        for line in (b - a):
            ck.ok(False, f"{name}: extra line with the module ({b[line]} vs {a[line]}): {line}")
    crit = ng_on.log("crit.log")
    ck.ok(crit.count("[crit]") >= 1 and "[error]" not in crit,
          f"crit.log should hold only the unix socket's crit lines:\n{crit[:1000]}")
    print(f"{len(seen)} responses checked ({sum(1 for s in seen if s[0] == 'h2')} over HTTP/2)")
    ck.finish("nginx_module_features", started)


if __name__ == "__main__":
    main()
