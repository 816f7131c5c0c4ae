#!/usr/bin/env python3
"""Two proxies watched by one Prometheus, the way a fleet is (issue 18).

Starts two `gw502-logs -f LOG --metrics 127.0.0.1:PORT` exporters (two
"hosts" on loopback ports) and Debian's real prometheus, which scrapes both
every second and loads contrib/prometheus/gw502-alerts.yml. Failures are
appended to each host's log; PromQL over both must then give the sum, the
split by instance and by cause, and both targets up. Everything started is
stopped at the end, also on failure.

  test_fleet.py BIN SRC      (exit 77: prometheus not installed, outside CI)"""
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "follow"))
from common import Follower, check, failure_line, finish, free_port, tempdir  # noqa: E402


def timeout_line(i):
    return ('2026/11/01 11:00:%02d [error] 29#29: *%d upstream timed out (110: Connection timed out) while '
            'reading response header from upstream, client: 10.0.0.2, server: api.test, request: '
            '"GET /slow/%d HTTP/1.1", upstream: "http://172.18.0.9:8080/slow/%d", host: "api.test"\n'
            % (i % 60, 1000 + i, i, i))


def query(port, promql):
    url = "http://127.0.0.1:%d/api/v1/query?%s" % (port, urllib.parse.urlencode({"query": promql}))
    with urllib.request.urlopen(url, timeout=5) as r:
        doc = json.loads(r.read().decode())
    return doc["data"]["result"] if doc.get("status") == "success" else None


def wait_for(pred, timeout=90.0, step=0.5):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            v = pred()
            if v:
                return v
        except OSError:
            pass
        time.sleep(step)
    return None


def main():
    binary, src = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    prom = shutil.which("prometheus")
    if not prom:
        if os.environ.get("CI"):
            print("FAIL prometheus is not installed (scripts/deps/test.txt lists it)")
            return 1
        print("prometheus is not installed: skipped")
        return 77
    work = tempdir("gw502-fleet-")
    hosts, proc = [], None
    try:
        logs = [os.path.join(work, "proxy%d.error.log" % n) for n in (1, 2)]
        for p in logs:
            open(p, "w").close()
        hosts = [Follower(binary, [p], work) for p in logs]
        for n, h in enumerate(hosts, 1):
            check("host %d: exporter ready" % n, h.wait_ready(), h.stderr())

        rules = os.path.join(src, "contrib", "prometheus", "gw502-alerts.yml")
        conf = os.path.join(work, "prometheus.yml")
        with open(conf, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                    "rule_files:\n  - %s\n"
                    "scrape_configs:\n  - job_name: gw502-logs\n    static_configs:\n"
                    "      - targets: [%s]\n" % (rules, ", ".join('"127.0.0.1:%d"' % h.port for h in hosts)))
        web = free_port()
        with open(os.path.join(work, "prometheus.out"), "wb") as out:
            proc = subprocess.Popen([prom, "--config.file=" + conf, "--storage.tsdb.path=" + os.path.join(work, "tsdb"),
                                     "--web.listen-address=127.0.0.1:%d" % web],
                                    stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                    start_new_session=True)
        ready = wait_for(lambda: urllib.request.urlopen("http://127.0.0.1:%d/-/ready" % web, timeout=2).status == 200)
        check("prometheus ready", ready)

        # Host 1: three refused; host 2: two refused and four timeouts.
        with open(logs[0], "a") as f:
            f.write("".join(failure_line(i) for i in range(3)))
        with open(logs[1], "a") as f:
            f.write("".join(failure_line(10 + i) for i in range(2)) + "".join(timeout_line(i) for i in range(4)))

        up = wait_for(lambda: (r := query(web, 'count(up{job="gw502-logs"} == 1)')) and r[0]["value"][1] == "2")
        check("both exporters up", up, query(web, "up"))
        total = wait_for(lambda: (r := query(web, "sum(gw502_upstream_failures_total)")) and r[0]["value"][1] == "9")
        check("sum over the fleet: 9 failures", total, query(web, "sum(gw502_upstream_failures_total)"))
        by_inst = {r["metric"]["instance"]: r["value"][1]
                   for r in query(web, "sum by (instance) (gw502_upstream_failures_total)") or []}
        check("by instance: 3 and 6", by_inst == {"127.0.0.1:%d" % hosts[0].port: "3",
                                                 "127.0.0.1:%d" % hosts[1].port: "6"}, by_inst)
        by_cause = {r["metric"]["cause"]: r["value"][1]
                    for r in query(web, "sum by (cause) (gw502_upstream_failures_total)") or []}
        check("by cause across hosts", by_cause == {"connection_refused": "5", "read_timeout": "4"}, by_cause)
        with urllib.request.urlopen("http://127.0.0.1:%d/api/v1/rules" % web, timeout=5) as r:
            groups = json.loads(r.read().decode())["data"]["groups"]
        names = [rule["name"] for g in groups for rule in g["rules"]]
        check("the alert rules are loaded and evaluated", names and all(
            rule.get("health") in ("ok", "unknown") for g in groups for rule in g["rules"]), groups)
        print("alert rules: " + ", ".join(names))
    finally:
        if proc is not None:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
        for h in hosts:
            h.stop()
        shutil.rmtree(work, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
