#!/usr/bin/env python3
"""Soak: many mixed requests through nginx with the module (HTTP/1.1
keepalive from several client threads, multiplexed HTTP/2 through curl;
healthy, refusing, closing, timing-out and unresolvable upstreams, an
upstream's own 502, error_page, mirror and auth_request subrequests, upstream
keepalive). Every response's header is checked; at the end no worker has
crashed (`exited on signal` never appears, the worker pids never changed) and
the workers' memory is stable (RSS after the warm-up vs at the end).

CTest runs --requests 100000 (the default here is 20 000);
bench/nginx_module/soak.sh runs 1 000 000 by default.
"""

import random
import threading
import time

import nmlib
from nmlib import Checks, Client, Nginx, Workdir

from gwlab.backends import DNS, Blackhole  # noqa: E402

REFUSED, RESET, CONNECT_TIMEOUT, DNS_FAILURE = "connection_refused", "upstream_reset", "connect_timeout", "dns_failure"

# path, weight, status, cause
MIX = [
    ("/ok", 40, 200, None),
    ("/keep", 15, 200, None),
    ("/refused", 8, 502, REFUSED),
    ("/closed", 6, 502, RESET),
    ("/own502", 5, 502, None),
    ("/timeout", 1, 504, CONNECT_TIMEOUT),
    ("/dns", 2, 502, DNS_FAILURE),
    ("/ep-uri", 4, 502, REFUSED),
    ("/ep-named-ok", 4, 200, None),
    ("/ep-named-closed", 3, 502, RESET),
    ("/mirror-ok", 3, 200, None),
    ("/mirror-main-refused", 3, 502, REFUSED),
    ("/auth-ok-main-refused", 3, 502, REFUSED),
    ("/off", 3, 502, None),
]
EXPECT = {p: (st, cause) for p, _, st, cause in MIX}


def config(c):
    d = c["d"]
    return f"""
load_module {c['module']};
worker_processes 2;
worker_rlimit_nofile 8192;
error_log {d}/logs/error.log error;
events {{ worker_connections 4096; }}
http {{
    log_format gw {nmlib.LOG_FORMAT};
    access_log {d}/logs/access.log gw buffer=256k flush=1s;
    client_body_temp_path {d}/tmp; proxy_temp_path {d}/tmp;
    fastcgi_temp_path {d}/tmp; uwsgi_temp_path {d}/tmp; scgi_temp_path {d}/tmp;
    resolver 127.0.0.1:{c['dns']} valid=1s;
    resolver_timeout 1s;
    gw502 on;
    upstream h_keep {{ server 127.0.0.1:{c['h']}; keepalive 16; }}
    server {{
        listen 127.0.0.1:{c['p1']};
        {c['h2listen']}
        keepalive_requests 100000;
        location /ok {{ proxy_pass http://127.0.0.1:{c['h']}/ok; }}
        location /keep {{ proxy_pass http://h_keep/ok; proxy_http_version 1.1; proxy_set_header Connection ""; }}
        location /refused {{ proxy_pass http://127.0.0.1:{c['dead']}; }}
        location /closed {{ proxy_pass http://127.0.0.1:{c['h']}/close; }}
        location /own502 {{ proxy_pass http://127.0.0.1:{c['h']}/own502; }}
        location /timeout {{ proxy_pass http://127.0.0.1:{c['hole']}; proxy_connect_timeout 200ms; }}
        location /dns {{ set $up nothere.lab.test; proxy_pass http://$up:{c['h']}; }}
        location /ep-uri {{ proxy_pass http://127.0.0.1:{c['dead']}; error_page 502 /50x.html; }}
        location = /50x.html {{ internal; return 200 "sorry\\n"; }}
        location /ep-named-ok {{ proxy_pass http://127.0.0.1:{c['dead']}; error_page 502 = @ok; }}
        location @ok {{ rewrite ^ /ok break; proxy_pass http://127.0.0.1:{c['h']}; }}
        location /ep-named-closed {{ proxy_pass http://127.0.0.1:{c['dead']}; error_page 502 = @closed; }}
        location @closed {{ rewrite ^ /close break; proxy_pass http://127.0.0.1:{c['h']}; }}
        location /mirror-ok {{ mirror /_m_refused; proxy_pass http://127.0.0.1:{c['h']}/ok; }}
        location /mirror-main-refused {{ mirror /_m_closed; proxy_pass http://127.0.0.1:{c['dead']}; }}
        location = /_m_refused {{ internal; proxy_pass http://127.0.0.1:{c['dead']}; }}
        location = /_m_closed {{ internal; proxy_pass http://127.0.0.1:{c['h']}/close; }}
        location /auth-ok-main-refused {{ auth_request /_auth; proxy_pass http://127.0.0.1:{c['dead']}; }}
        location = /_auth {{ internal; proxy_pass http://127.0.0.1:{c['h']}/ok; }}
        location /off {{ gw502 off; proxy_pass http://127.0.0.1:{c['dead']}; }}
    }}
    server {{
        listen 127.0.0.1:{c['h']};
        access_log off;
        keepalive_requests 100000;
        location /ok {{ return 200 "ok\\n"; }}
        location /own502 {{ return 502 "the upstream's own 502\\n"; }}
        location /close {{ return 444; }}
    }}
}}
"""


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.done = 0
        self.by_path = {}
        self.bad = []

    def add(self, proto, path, st, cause):
        want = EXPECT[path]
        with self.lock:
            self.done += 1
            k = (proto, path)
            self.by_path[k] = self.by_path.get(k, 0) + 1
            if (st, cause) != want and len(self.bad) < 50:
                self.bad.append(f"{proto} {path}: got {(st, cause)}, expected {want}")


def main():
    args = nmlib.parse_args(__doc__, lambda p: (
        p.add_argument("--requests", type=int, default=20000),
        p.add_argument("--threads", type=int, default=6),
        p.add_argument("--h2-share", type=float, default=0.25)))
    started = time.monotonic()
    ck = Checks()
    wd = Workdir("soak", args.keep)
    d = wd.sub("run")
    rnd = random.Random(502)
    paths = [p for p, w, _, _ in MIX for _ in range(w)]

    dns, hole = DNS("dns", "nxdomain"), Blackhole("hole")
    ctx = {"dir": d}
    dns.start(ctx)
    hole.start(ctx)
    p1, p2, h = nmlib.ports(3)
    c = {"d": d, "module": args.module, "h2listen": nmlib.h2_listen(args.nginx, p2), "p1": p1, "p2": p2, "h": h, "dead": nmlib.ports(1)[0],
         "dns": ctx["dns_port"], "hole": ctx["hole_port"]}
    ng = Nginx(args.nginx, d, config(c), [p1, p2, h]).start()
    tally = Tally()
    n_h2 = int(args.requests * args.h2_share)
    n_h1 = args.requests - n_h2
    per_thread = n_h1 // args.threads
    errors = []
    try:
        workers0 = ng.workers()
        samples = []

        def h1(seed, count):
            r = random.Random(seed)
            cl = Client(p1, timeout=20)
            try:
                for _ in range(count):
                    path = r.choice(paths)
                    st, hd, _ = cl.get(path)
                    tally.add("h1", path, st, hd.get("x-gw502-cause"))
                    if r.random() < 0.01:  # now and then a new connection
                        cl.close()
            except Exception as e:  # noqa: BLE001
                errors.append(f"h1 client: {e!r}")
            finally:
                cl.close()

        def h2(seed, count):
            r = random.Random(seed)
            left = count
            try:
                while left > 0:
                    batch = [r.choice(paths) for _ in range(min(500, left))]
                    for i, (p, st, version, cause) in enumerate(
                            nmlib.curl_h2(p2, [f"{b}?b={i}" for i, b in enumerate(batch)], parallel=64, timeout=120)):
                        tally.add("h2", p.split("?")[0], st if version == "2" else f"HTTP/{version}", cause)
                    left -= len(batch)
            except Exception as e:  # noqa: BLE001
                errors.append(f"h2 client: {e!r}")

        threads = [threading.Thread(target=h1, args=(i, per_thread + (n_h1 % args.threads if i == 0 else 0)))
                   for i in range(args.threads)]
        threads.append(threading.Thread(target=h2, args=(99, n_h2)))
        for t in threads:
            t.daemon = True
            t.start()
        warm = None
        while any(t.is_alive() for t in threads):
            time.sleep(0.5)
            rss = {pid: nmlib.rss_kib(pid) for pid in ng.workers()}
            samples.append((tally.done, rss))
            if warm is None and tally.done >= args.requests * 0.2:
                warm = (tally.done, rss)
        for t in threads:
            t.join()
        end = (tally.done, {pid: nmlib.rss_kib(pid) for pid in ng.workers()})
        elapsed = time.monotonic() - started
        workers1 = ng.workers()
    finally:
        ng.stop()
        dns.stop()
        hole.stop()

    ck.ok(not errors, f"client errors: {errors[:5]}")
    ck.eq(tally.done, args.requests, "requests answered")
    for b in tally.bad:
        ck.ok(False, b)
    ck.eq(workers1, workers0, "worker pids (a crashed worker is replaced by a new pid)")
    log = ng.log()
    ck.ok("exited on signal" not in log, "a worker crashed: " + "\n".join(
        l for l in log.splitlines() if "exited on signal" in l)[:1000])
    ck.ok("[alert]" not in log and "[emerg]" not in log, "alert/emerg in the error log")
    # the access log: one line per request, each with the cause its path must give
    lines, wrong = 0, []
    for line in ng.log("access.log").splitlines():
        f = nmlib.access_fields(line)
        m = nmlib.re.search(r'"[A-Z]+ (/[^ ?]*)', line)
        if f is None or m is None:
            wrong.append(line)
            continue
        lines += 1
        st, cause = EXPECT.get(m.group(1), (None, None))
        if (f["status"], f["cause"]) != (st, cause or "-"):
            wrong.append(line)
    ck.eq(lines, args.requests, "access-log lines")
    ck.ok(not wrong, f"{len(wrong)} access-log lines with the wrong $gw502_cause, e.g. {wrong[:3]}")
    # memory: per worker, RSS after the warm-up (20 %) vs at the end
    if ck.ok(warm is not None, "no warm-up sample"):
        for pid, kib in end[1].items():
            w = warm[1].get(pid)
            if w is None or kib is None:
                continue
            growth = kib - w
            print(f"worker {pid}: RSS {w} KiB after {warm[0]} requests, {kib} KiB after {end[0]} "
                  f"({growth:+d} KiB)")
            ck.ok(growth < 2048, f"worker {pid} grew {growth} KiB between {warm[0]} and {end[0]} requests")
    marks, shown = [0.2, 0.4, 0.6, 0.8], []
    for done, rss in samples:
        if marks and done >= args.requests * marks[0]:
            shown.append(f"{done}: " + "/".join(str(v) for _, v in sorted(rss.items())))
            marks.pop(0)
    shown.append(f"{end[0]}: " + "/".join(str(v) for _, v in sorted(end[1].items())))
    print("worker RSS KiB by requests done: " + ", ".join(shown))
    peak = max((max(v for v in rss.values() if v) for _, rss in samples if rss and any(rss.values())), default=0)
    counts = {}
    for (proto, path), n in sorted(tally.by_path.items()):
        counts[proto] = counts.get(proto, 0) + n
    print(f"{tally.done} requests in {elapsed:.1f}s ({tally.done / elapsed:.0f}/s): {counts}; "
          f"peak worker RSS {peak} KiB")
    ck.finish("nginx_module_soak", started)


if __name__ == "__main__":
    main()
