#!/usr/bin/env python3
"""One failed request counts once (issue 15), on what real nginx writes.

Starts Debian's nginx on loopback as Nginx Proxy Manager lays out a proxy
host: NPM's own `proxy` log_format (with $upstream_status) into
proxy-host-1_access.log and the errors into proxy-host-1_error.log. Behind it:
  /dead/   a pool whose only server is a closed port: every request is a 502;
  /mixed/  a pool of a closed port and a live server (max_fails=0, so the dead
           one is tried again and again): requests that start at the dead one
           are retried and served 200 ("502, 200" in the access log);
  /slow/   a live server slower than proxy_read_timeout: 504s;
  /ok/     the live server.
Then gw502-logs --format json reads both files, and its counts must be what
the client saw: failures = 502s + 504s, retried-and-served = the access log's
2xx lines whose $upstream_status shows a failed try, and no failure twice
(error line and access line of one request are one failure).

  test_nginx_counting.py BIN      (exit 77: nginx not installed)"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "lab"))
from gwlab.backends import TCP, DeadPort, Respond  # noqa: E402
from gwlab.util import LOOPBACK, free_port, start_process, stop_process, wait_listening  # noqa: E402

NPM_PROXY_FORMAT = ("'[$time_local] $upstream_cache_status $upstream_status $status - $request_method "
                    "$scheme $host \"$request_uri\" [Client $remote_addr] [Length $body_bytes_sent] "
                    "[Gzip $gzip_ratio] [Sent-to $server] \"$http_user_agent\" \"$http_referer\"'")

CONF = """\
worker_processes 1;
error_log {d}/logs/proxy-host-1_error.log warn;
pid {d}/nginx.pid;
events {{ worker_connections 256; }}
http {{
    log_format proxy {fmt};
    access_log {d}/logs/proxy-host-1_access.log proxy;
    client_body_temp_path {d}/tmp/client_body;
    proxy_temp_path {d}/tmp/proxy;
    fastcgi_temp_path {d}/tmp/fastcgi;
    uwsgi_temp_path {d}/tmp/uwsgi;
    scgi_temp_path {d}/tmp/scgi;
    upstream dead_pool {{ server {dead}; }}
    upstream mixed_pool {{ server {dead} max_fails=0; server {live} max_fails=0; }}
    server {{
        listen 127.0.0.1:{port};
        server_name app.example.test;
        set $server "app";  # NPM sets it to the Forward Hostname
        proxy_connect_timeout 2s;
        location /dead/  {{ proxy_pass http://dead_pool; }}
        location /mixed/ {{ proxy_pass http://mixed_pool; }}
        location /slow/  {{ proxy_read_timeout 1s; proxy_pass http://{slow}; }}
        location /ok/    {{ proxy_pass http://{live}; }}
    }}
}}
"""


def get(port, path):
    req = urllib.request.Request(f"http://{LOOPBACK}:{port}{path}", headers={"Host": "app.example.test"})
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            r.read()
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def main():
    binary = os.path.abspath(sys.argv[1])
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.path.exists(nginx):
        print("nginx is not installed: skipped")
        return 77
    work = tempfile.mkdtemp(prefix="gw502-counting-")
    live, slow, dead = TCP("live", Respond()), TCP("slow", Respond(delay=3.0)), DeadPort("dead")
    ctx = {"tls_cert": "", "tls_key": ""}
    proc = None
    try:
        for b in (live, slow, dead):
            b.start(ctx)
        for sub in ("logs", "tmp"):
            os.makedirs(os.path.join(work, sub))
        port = free_port()
        conf = os.path.join(work, "nginx.conf")
        with open(conf, "w") as f:
            f.write(CONF.format(d=work, fmt=NPM_PROXY_FORMAT, port=port, dead=ctx["dead_addr"],
                                live=ctx["live_addr"], slow=ctx["slow_addr"]))
        proc = start_process([nginx, "-e", os.path.join(work, "logs", "proxy-host-1_error.log"),
                              "-p", work + "/", "-c", conf, "-g", "daemon off;"],
                             log_path=os.path.join(work, "nginx.out"), cwd=work)
        wait_listening(LOOPBACK, port, proc, what="nginx")

        seen = {}
        plan = [f"/dead/{i}" for i in range(7)] + [f"/mixed/{i}" for i in range(10)] + \
               [f"/slow/{i}" for i in range(3)] + [f"/ok/{i}" for i in range(5)]
        for path in plan:
            st = get(port, path)
            seen[st] = seen.get(st, 0) + 1
    finally:
        stop_process(proc)  # flushes and closes the logs
        for b in (live, slow):
            b.stop()

    try:
        logs = os.path.join(work, "logs")
        access = open(os.path.join(logs, "proxy-host-1_access.log")).read().splitlines()
        # What the access log itself says: served 502/504s, and 2xx after a failed try.
        served_fail = sum(1 for l in access if l.split()[4] in ("502", "504"))
        retried = sum(1 for l in access if l.split()[4] == "200" and "502" in l.split()[3])
        p = subprocess.run([binary, "--format", "json", os.path.join(logs, "proxy-host-1_error.log"),
                            os.path.join(logs, "proxy-host-1_access.log")],
                           capture_output=True, text=True, timeout=120)
        problems = []
        if p.returncode != 1:
            problems.append(f"exit status {p.returncode} (want 1: failures found); stderr: {p.stderr.strip()}")
        report = json.loads(p.stdout)
        groups = [dict(zip(report["groups"]["fields"], r)) for r in report["groups"]["rows"]]  # version 3: rows
        failures = report["summary"]["upstream_failures"]
        got_retried = sum(g["count"] for g in groups if g["cause"] == "retried_served")
        unexplained = sum(g["count"] for g in groups if g["cause"] == "unexplained")
        client_fail = seen.get(502, 0) + seen.get(504, 0)
        print(f"client saw {seen}; access log: {served_fail} served 502/504, {retried} retried and served")
        print(f"gw502-logs: {failures} failures, {got_retried} retried_served, {unexplained} unexplained, "
              f"paired {report['summary']['paired']}")
        for g in groups:
            print(f"  {g['count']:3d} {g['cause']:22s} {g['site'] or '-':14s} {g['upstream']}")
        if client_fail != 10 or seen.get(200, 0) != 15:
            problems.append(f"the setup did not give 7 x 502, 3 x 504, 15 x 200 ({seen})")
        if served_fail != client_fail:
            problems.append(f"the access log shows {served_fail} 502/504s, the client saw {client_fail}")
        if failures != client_fail:
            problems.append(f"{failures} failures counted for {client_fail} failed requests")
        if retried == 0:
            problems.append("no request was retried and served (the pool did not retry?)")
        if got_retried != retried:
            problems.append(f"{got_retried} retried_served for {retried} in the access log")
        if unexplained:
            problems.append(f"{unexplained} access lines left unexplained: their error lines were not paired")
        causes = {g["cause"] for g in groups if g["count"]}
        for want in ("connection_refused", "read_timeout"):
            if want not in causes:
                problems.append(f"no {want} group")
        for pr in problems:
            print("FAIL " + pr)
        if problems:
            print("logs kept in " + logs)
            return 1
        print("ok")
        shutil.rmtree(work, ignore_errors=True)
        return 0
    except Exception:
        print("logs kept in " + work)
        raise


if __name__ == "__main__":
    sys.exit(main())
