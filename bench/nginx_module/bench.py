#!/usr/bin/env python3
"""Benchmark: requests/s through Debian's nginx with ngx_http_gw502_module
(`gw502 on`) against the same nginx without the module, measured with wrk.

  python3 bench/nginx_module/bench.py --module build/nginx-module/ngx_http_gw502_module.so
        [--rounds 5] [--seconds 10] [--connections 32] [--write bench/nginx_module/RESULTS.md]

Two workloads, each as alternating paired runs (off, on, off, on, ...; the
order flips every round) so drift hits both sides alike:
- healthy: wrk -> nginx (1 worker) -> a second nginx answering 200 "ok"
  over upstream keepalive; the module's cost on every request (a PRECONTENT
  handler, a pool cleanup, a header-filter check) with nothing to classify;
- refused: wrk -> nginx -> a port where nothing listens; every request logs
  an error line, which the module classifies, and gets a 502 with the header.
The proxy's nginx is pinned to CPU 0, wrk and the backend to CPU 1 (taskset)
when there are two CPUs or more. Loopback only. Not a test: the figures go to
RESULTS.md; the target is >= 0.99x on healthy traffic.
"""

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration", "nginx_module"))

import nmlib  # noqa: E402
from nmlib import Nginx  # noqa: E402


def proxy_conf(d, port, backend, dead, on, module):
    return f"""
{f"load_module {module};" if on else ""}
worker_processes 1;
error_log {d}/logs/error.log error;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {d}/tmp; proxy_temp_path {d}/tmp;
    fastcgi_temp_path {d}/tmp; uwsgi_temp_path {d}/tmp; scgi_temp_path {d}/tmp;
    {"gw502 on;" if on else ""}
    upstream backend {{ server 127.0.0.1:{backend}; keepalive 64; }}
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        keepalive_requests 1000000;
        location /healthy {{ proxy_pass http://backend/; proxy_http_version 1.1;
                             proxy_set_header Connection ""; }}
        location /refused {{ proxy_pass http://127.0.0.1:{dead}; }}
    }}
}}
"""


def backend_conf(d, port):
    return f"""
worker_processes 1;
error_log {d}/logs/error.log error;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {d}/tmp; proxy_temp_path {d}/tmp;
    fastcgi_temp_path {d}/tmp; uwsgi_temp_path {d}/tmp; scgi_temp_path {d}/tmp;
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        keepalive_requests 1000000;
        location / {{ return 200 "ok\\n"; }}
    }}
}}
"""


def wrk(url, seconds, connections, pin):
    argv = pin + ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", url]
    out = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=seconds + 60).stdout.decode()
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not m:
        raise RuntimeError("wrk output without Requests/sec:\n" + out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return float(m.group(1)), int(non2xx.group(1)) if non2xx else 0, errors.group(1) if errors else ""


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--module", required=True)
    p.add_argument("--nginx", default="nginx")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--seconds", type=int, default=10)
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--write", help="write the Markdown results to this file")
    args = p.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (apt-get install wrk)")
    module = os.path.abspath(args.module)
    if not os.path.isfile(module):
        sys.exit(f"{module} does not exist: build the module first")
    cpus = os.cpu_count() or 1
    pin_proxy = ["taskset", "-c", "0"] if cpus >= 2 and shutil.which("taskset") else []
    pin_other = ["taskset", "-c", "1"] if pin_proxy else []

    root = tempfile.mkdtemp(prefix="gw502-bench-")
    os.chmod(root, 0o755)
    results = {("healthy", False): [], ("healthy", True): [], ("refused", False): [], ("refused", True): []}
    notes = []
    backend_port, dead = nmlib.ports(2)
    bd = os.path.join(root, "backend")
    backend = Nginx(args.nginx, bd, backend_conf(bd, backend_port), [backend_port], wrapper=pin_other).start()
    try:
        for rnd in range(args.rounds):
            order = [False, True] if rnd % 2 == 0 else [True, False]
            for on in order:
                port = nmlib.ports(1)[0]
                d = os.path.join(root, f"proxy-{rnd}-{int(on)}")
                ng = Nginx(args.nginx, d, proxy_conf(d, port, backend_port, dead, on, module), [port],
                           wrapper=pin_proxy).start()
                try:
                    for load in ("healthy", "refused"):
                        url = f"http://127.0.0.1:{port}/{load}"
                        wrk(url, 1, args.connections, pin_other)  # warm-up
                        rps, non2xx, errs = wrk(url, args.seconds, args.connections, pin_other)
                        results[(load, on)].append(rps)
                        if load == "healthy" and non2xx:
                            notes.append(f"round {rnd} {'on' if on else 'off'}: {non2xx} non-2xx on healthy")
                        if errs:
                            notes.append(f"round {rnd} {load} {'on' if on else 'off'}: socket errors {errs}")
                        print(f"round {rnd + 1}/{args.rounds} {load:8} module {'on ' if on else 'off'} "
                              f"{rps:10.0f} req/s", flush=True)
                    # the refused runs wrote an error line per request: start each run afresh
                finally:
                    ng.stop()
                    shutil.rmtree(d, ignore_errors=True)
    finally:
        backend.stop()
        shutil.rmtree(root, ignore_errors=True)

    lines = []
    lines.append(f"wrk -t1 -c{args.connections} -d{args.seconds}s, {args.rounds} paired rounds "
                 f"(order alternating), median req/s; nginx {nginx_version(args.nginx)}, "
                 f"{cpus} CPUs ({cpu_model()}), proxy pinned to CPU 0 and wrk + backend to CPU 1: "
                 f"{'yes' if pin_proxy else 'no'}.")
    lines.append("")
    lines.append("| workload | module off (req/s) | gw502 on (req/s) | ratio on/off | per-round ratios |")
    lines.append("|---|---|---|---|---|")
    for load in ("healthy", "refused"):
        off, on = results[(load, False)], results[(load, True)]
        ratios = [b / a for a, b in zip(off, on)]
        lines.append(f"| {load} | {statistics.median(off):.0f} | {statistics.median(on):.0f} | "
                     f"**{statistics.median(on) / statistics.median(off):.3f}x** | "
                     + " ".join(f"{r:.3f}" for r in ratios) + " |")
    if notes:
        lines.append("")
        lines += [f"- {n}" for n in notes]
    text = "\n".join(lines) + "\n"
    print()
    print(text)
    if args.write:
        with open(args.write, "w") as f:
            f.write(text)


def nginx_version(binary):
    r = subprocess.run([binary, "-v"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return r.stdout.decode().strip().split("/")[-1]


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


if __name__ == "__main__":
    main()
