#!/usr/bin/env python3
"""nginx with the module under valgrind's memcheck (the master and its forked
worker, one log each): a few hundred mixed requests (HTTP/1.1 keepalive, HTTP/2 streams,
refused, closing and timing-out upstreams, an upstream's own 502,
error_page, mirror and auth_request, a location with error_log crit, a
reload of the catalogue); memcheck must report no error and no definite leak.
"""

import os
import re
import shutil
import signal
import time

import nmlib
from nmlib import Checks, Client, Nginx, Workdir

from gwlab.backends import TCP, Respond  # noqa: E402

REFUSED, RESET, READ_TIMEOUT = "connection_refused", "upstream_reset", "read_timeout"
CASES = [
    ("/ok", 200, None),
    ("/refused", 502, REFUSED),
    ("/closed", 502, RESET),
    ("/slow", 504, READ_TIMEOUT),
    ("/own502", 502, None),
    ("/ep-uri", 502, REFUSED),
    ("/ep-named-ok", 200, None),
    ("/mirror-main-refused", 502, REFUSED),
    ("/auth-ok-main-refused", 502, REFUSED),
    ("/crit", 502, REFUSED),
    ("/off", 502, None),
]


def config(c):
    d = c["d"]
    return f"""
load_module {c['module']};
worker_processes 1;
error_log {d}/logs/error.log info;
events {{ worker_connections 256; }}
http {{
    log_format gw {nmlib.LOG_FORMAT};
    access_log {d}/logs/access.log gw;
    client_body_temp_path {d}/tmp; proxy_temp_path {d}/tmp;
    fastcgi_temp_path {d}/tmp; uwsgi_temp_path {d}/tmp; scgi_temp_path {d}/tmp;
    gw502 on;
    server {{
        listen 127.0.0.1:{c['p1']};
        {c['h2listen']}
        location /ok {{ proxy_pass http://127.0.0.1:{c['h']}/ok; }}
        location /refused {{ proxy_pass http://127.0.0.1:{c['dead']}; }}
        location /closed {{ proxy_pass http://127.0.0.1:{c['h']}/close; }}
        location /slow {{ proxy_pass http://127.0.0.1:{c['slow']}; proxy_read_timeout 1s; }}
        location /own502 {{ proxy_pass http://127.0.0.1:{c['h']}/own502; }}
        location /ep-uri {{ proxy_pass http://127.0.0.1:{c['dead']}; error_page 502 /50x.html; }}
        location = /50x.html {{ internal; return 200 "sorry\\n"; }}
        location /ep-named-ok {{ proxy_pass http://127.0.0.1:{c['dead']}; error_page 502 = @ok; }}
        location @ok {{ rewrite ^ /ok break; proxy_pass http://127.0.0.1:{c['h']}; }}
        location /mirror-main-refused {{ mirror /_m; proxy_pass http://127.0.0.1:{c['dead']}; }}
        location = /_m {{ internal; proxy_pass http://127.0.0.1:{c['h']}/close; }}
        location /auth-ok-main-refused {{ auth_request /_auth; proxy_pass http://127.0.0.1:{c['dead']}; }}
        location = /_auth {{ internal; proxy_pass http://127.0.0.1:{c['h']}/ok; }}
        location /crit {{ error_log {d}/logs/crit.log crit; proxy_pass http://127.0.0.1:{c['dead']}; }}
        location /off {{ gw502 off; proxy_pass http://127.0.0.1:{c['dead']}; }}
    }}
}}
"""

BACKEND = """
error_log {d}/logs/error.log info;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {d}/tmp; proxy_temp_path {d}/tmp;
    fastcgi_temp_path {d}/tmp; uwsgi_temp_path {d}/tmp; scgi_temp_path {d}/tmp;
    server {{
        listen 127.0.0.1:{h};
        location /ok {{ return 200 "ok\\n"; }}
        location /own502 {{ return 502; }}
        location /close {{ return 444; }}
    }}
}}
"""


def main():
    args = nmlib.parse_args(__doc__, lambda p: p.add_argument("--rounds", type=int, default=12))
    started = time.monotonic()
    ck = Checks()
    if shutil.which("valgrind") is None:
        nmlib.die("valgrind is not installed (apt-get install valgrind)")
    wd = Workdir("valgrind", args.keep)
    d = wd.sub("run")
    p1, p2, h = nmlib.ports(3)
    slow = TCP("slow", Respond(delay=3.0))
    ctx = {"dir": d}
    slow.start(ctx)
    c = {"d": d, "module": args.module, "h2listen": nmlib.h2_listen(args.nginx, p2), "p1": p1, "p2": p2, "h": h, "dead": nmlib.ports(1)[0],
         "slow": ctx["slow_port"]}
    # the backends: a plain nginx of their own, not under valgrind
    bd = wd.sub("backend")
    backend = Nginx(args.nginx, bd, BACKEND.format(d=bd, h=h), [h]).start()
    vlog = os.path.join(d, "valgrind.%p.log")
    wrapper = ["valgrind", "--tool=memcheck", "--error-exitcode=99", "--leak-check=full",
               "--errors-for-leak-kinds=definite", "--show-leak-kinds=definite", "--num-callers=40", "--keep-debuginfo=yes",
               "--suppressions=" + os.path.join(nmlib.ROOT, "nginx-module", "valgrind.supp"),
               f"--log-file={vlog}"] + os.environ.get("GW502_VALGRIND_OPTS", "").split()
    ng = Nginx(args.nginx, d, config(c), [p1, p2], wrapper=wrapper)
    n = 0
    try:
        ng.start(timeout=120)
        cl = Client(p1, timeout=60)
        for rnd in range(args.rounds):
            for path, st, cause in CASES:
                got_st, hd, _ = cl.get(f"{path}?r={rnd}")
                ck.eq((got_st, hd.get("x-gw502-cause")), (st, cause), f"h1 {path}")
                n += 1
            if rnd % 4 == 3:
                cl.close()
            if rnd == args.rounds // 2:
                # a reload: the master frees the old cycle's classifier and makes a
                # new one; the old worker finishes and exits, a new one starts
                cl.close()
                old = ng.workers()
                os.kill(ng.proc.pid, signal.SIGHUP)
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline and (not ng.workers() or set(ng.workers()) & set(old)):
                    time.sleep(0.2)
                reloaded = bool(ng.workers()) and not set(ng.workers()) & set(old)
                ck.ok(reloaded, "the reload did not replace the worker within 60s")
        cl.close()
        for i in range(2):
            res = nmlib.curl_h2(p2, [f"{p}?h2={i}" for p, _, _ in CASES], parallel=20, timeout=120)
            for (p, st, version, cause), (_, want_st, want_cause) in zip(res, CASES):
                ck.eq((st, version, cause), (want_st, "2", want_cause), f"h2 {p}")
                n += 1
        time.sleep(2)
    finally:
        ng.stop(grace=60)
        backend.stop()
        slow.stop()
    summaries = []
    logs = sorted(f for f in os.listdir(d) if f.startswith("valgrind."))
    ck.ok(len(logs) >= 3, f"expected valgrind logs of the master and two workers, got {logs}")
    for name in logs:
        text = nmlib.read_text(os.path.join(d, name))
        m = re.search(r"ERROR SUMMARY: (\d+) errors from (\d+) contexts", text)
        if not ck.ok(m is not None, f"no valgrind summary in {name}:\n{text[-3000:]}"):
            continue
        ck.ok(m.group(1) == "0", f"valgrind found {m.group(1)} errors ({name}):\n{text[-8000:]}")
        leak = re.search(r"definitely lost: ([\d,]+) bytes in ([\d,]+) blocks", text)
        ck.ok(leak is None or leak.group(1) == "0", f"{name}: {leak.group(0) if leak else ''}")
        supp = re.search(r"ERROR SUMMARY: .*\(suppressed: ([\d,]+) from ([\d,]+)\)", text)
        summaries.append(f"{name}: {m.group(1)} errors, " + (leak.group(0) if leak else "no definite leak")
                         + (f", {supp.group(1)} suppressed" if supp else ""))
    log = ng.log()
    ck.ok("exited on signal" not in log and "[alert]" not in log, "crash or alert:\n" + log[-1500:])
    print(f"{n} requests under valgrind; " + "; ".join(summaries))
    ck.finish("nginx_module_valgrind", started)


if __name__ == "__main__":
    main()
