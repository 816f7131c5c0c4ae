#!/usr/bin/env python3
"""Benchmark: requests/s through nginx with ngx_http_gw502_module against the
same nginx without it, measured with wrk. Not a test; the target is >= 0.99x
on healthy traffic.

  flock /tmp/gw502-cpu.lock python3 bench/nginx_module/bench.py \\
      --module build/nginx-module/ngx_http_gw502_module.so [--rounds 7] [--seconds 10]

Three variants of the proxy, started afresh for every run:
- off:    the module not loaded;
- loaded: load_module, but no `gw502 on` anywhere (the module installs
          nothing: this isolates the cost of merely loading the .so);
- on:     `gw502 on` in http{}.
Two workloads:
- healthy: wrk -> nginx (1 worker) -> a second nginx answering 200 "ok"
  over upstream keepalive: the module's cost on a request with nothing to
  classify (a PRECONTENT handler, a pool cleanup, a header-filter check);
- refused: wrk -> nginx -> a port where nothing listens: every request logs
  an error line, which the module classifies, and gets a 502 with the header.
Every round runs every variant once, in an order rotated from round to round,
so drift on this shared machine hits all variants alike. The proxy nginx is
pinned to CPU 0, wrk and the backend nginx to CPU 1 (taskset) when there are
two CPUs or more. Loopback only.

Requests/s on a shared machine are noisy, so the script also reports the
worker's CPU time per request (/proc/PID/schedstat), counts that do not
depend on the machine's load (per healthy request: user-space instructions
under callgrind and system calls under strace, for each variant; --no-exact
skips them), and perf's share of the worker's samples in the module
(--no-perf skips it).

The figures go into bench/RESULTS.md between the lines
`<!-- nginx-module:begin -->` and `<!-- nginx-module:end -->` (nothing else in
that file is touched); --no-write only prints them.
"""

import argparse
import datetime
import os
import platform
import re
import shlex
import shutil
import signal
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

BEGIN, END = "<!-- nginx-module:begin -->", "<!-- nginx-module:end -->"
VARIANTS = ("off", "loaded", "on")
LOADS = ("healthy", "refused")


def proxy_conf(d, port, backend, dead, variant, module):
    return f"""
{f"load_module {module};" if variant != "off" else ""}
worker_processes 1;
error_log {d}/logs/error.log error;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {d}/tmp; proxy_temp_path {d}/tmp;
    fastcgi_temp_path {d}/tmp; uwsgi_temp_path {d}/tmp; scgi_temp_path {d}/tmp;
    {"gw502 on;" if variant == "on" else ""}
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
    out = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         timeout=seconds + 60).stdout.decode()
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not m:
        raise RuntimeError("wrk output without Requests/sec:\n" + out)
    n = re.search(r"(\d+) requests in", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return (float(m.group(1)), int(n.group(1)) if n else 0, int(non2xx.group(1)) if non2xx else 0,
            errors.group(1) if errors else "")


def cpu_ns(pids):
    """CPU time the processes have run, in ns (/proc/PID/schedstat, first field)."""
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/schedstat") as f:
            total += int(f.read().split()[0])
    return total


def check_header(port, load):
    """One request, so that a run is known to measure what it claims."""
    cl = nmlib.Client(port)
    try:
        st, hd, _ = cl.get(f"/{load}")
    finally:
        cl.close()
    return st, hd.get("x-gw502-cause")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--module", required=True)
    p.add_argument("--nginx", default="nginx")
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--seconds", type=int, default=10)
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--results", default=os.path.join(ROOT, "bench", "RESULTS.md"),
                   help="the Markdown file whose nginx-module section is replaced")
    p.add_argument("--no-write", action="store_true", help="only print the results")
    p.add_argument("--no-exact", action="store_true",
                   help="skip the instruction and syscall counts (callgrind, strace) per healthy request")
    p.add_argument("--no-perf", action="store_true",
                   help="skip the perf profile of the proxy's worker with `gw502 on` (run when perf exists)")
    args = p.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (apt-get install wrk)")
    module = os.path.abspath(args.module)
    if not os.path.isfile(module):
        sys.exit(f"{module} does not exist: build the module first")
    if not args.no_write:
        read_section(args.results)  # fail now, not after the runs, if the markers are missing
    cpus = os.cpu_count() or 1
    pin_proxy = ["taskset", "-c", "0"] if cpus >= 2 and shutil.which("taskset") else []
    pin_other = ["taskset", "-c", "1"] if pin_proxy else []
    started = datetime.datetime.now(datetime.timezone.utc)
    load_before = os.getloadavg()

    root = tempfile.mkdtemp(prefix="gw502-bench-")
    os.chmod(root, 0o755)
    results = {(load, v): [] for load in LOADS for v in VARIANTS}
    cpu = {(load, v): [] for load in LOADS for v in VARIANTS}
    notes = []
    backend_port, dead = nmlib.ports(2)
    bd = os.path.join(root, "backend")
    backend = Nginx(args.nginx, bd, backend_conf(bd, backend_port), [backend_port], wrapper=pin_other).start()
    try:
        for rnd in range(args.rounds):
            order = VARIANTS[rnd % 3:] + VARIANTS[:rnd % 3]
            if (rnd // 3) % 2:
                order = order[::-1]
            for variant in order:
                port = nmlib.ports(1)[0]
                d = os.path.join(root, f"proxy-{rnd}-{variant}")
                ng = Nginx(args.nginx, d, proxy_conf(d, port, backend_port, dead, variant, module), [port],
                           wrapper=pin_proxy).start()
                try:
                    for load in LOADS:
                        st, cause = check_header(port, load)
                        want = (200, None) if load == "healthy" else \
                            (502, "connection_refused" if variant == "on" else None)
                        if (st, cause) != want:
                            raise RuntimeError(f"{variant} {load}: got {(st, cause)}, expected {want}")
                        url = f"http://127.0.0.1:{port}/{load}"
                        wrk(url, 1, args.connections, pin_other)  # warm-up
                        workers = ng.workers()
                        before = cpu_ns(workers)
                        rps, n, non2xx, errs = wrk(url, args.seconds, args.connections, pin_other)
                        used = cpu_ns(workers) - before
                        results[(load, variant)].append(rps)
                        cpu[(load, variant)].append(used / 1000.0 / max(n, 1))
                        if load == "healthy" and non2xx:
                            notes.append(f"round {rnd + 1} {variant}: {non2xx} non-2xx on healthy")
                        if errs:
                            notes.append(f"round {rnd + 1} {load} {variant}: socket errors {errs}")
                        print(f"round {rnd + 1}/{args.rounds} {load:8} {variant:6} {rps:10.0f} req/s "
                              f"{cpu[(load, variant)][-1]:7.2f} us CPU/request", flush=True)
                finally:
                    ng.stop()
                    shutil.rmtree(d, ignore_errors=True)
        exact = None
        if not args.no_exact and shutil.which("valgrind") and shutil.which("strace") \
                and shutil.which("callgrind_annotate"):
            exact = exact_costs(args, module, root, backend_port, dead)
        profile = {}
        if not args.no_perf and shutil.which("perf"):
            for load in LOADS:
                profile[load] = perf_share(args, module, root, backend_port, dead, load, pin_proxy, pin_other)
    finally:
        backend.stop()
        shutil.rmtree(root, ignore_errors=True)

    text = report(args, results, cpu, notes, started, load_before, cpus, bool(pin_proxy), profile, exact)
    print()
    print(text)
    if not args.no_write:
        write_section(args.results, text)
        print(f"written to {args.results} (nginx-module section)")


def exact_costs(args, module, root, backend_port, dead, small=500, large=3500):
    """Counts that do not depend on what else runs on the machine, per healthy
    request, for each variant: user-space instructions of the proxy (valgrind
    --tool=callgrind, Ir) and its system calls (strace -c), each as the
    difference between a run of `large` and one of `small` sequential
    keepalive requests (so start-up, the catalogue's compilation included,
    cancels out). Plus, with `gw502 on`, the instructions in the module's
    per-request code (its handler and pool cleanup with what they call, the
    header filter's own)."""
    out = {}

    def one(variant, n, tool):
        port = nmlib.ports(1)[0]
        d = os.path.join(root, f"exact-{variant}-{n}-{tool}")
        wrap = (["valgrind", "--tool=callgrind", f"--callgrind-out-file={d}/cg.out", f"--log-file={d}/vg.log"]
                if tool == "callgrind" else [])
        ng = Nginx(args.nginx, d, proxy_conf(d, port, backend_port, dead, variant, module), [port],
                   wrapper=wrap, master=False).start(timeout=180)
        tr = None
        try:
            if tool == "strace":
                tr = subprocess.Popen(["strace", "-c", "-o", f"{d}/strace.txt", "-p", str(ng.proc.pid)],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                time.sleep(1.0)  # attached
            cl = nmlib.Client(port, timeout=60)
            try:
                for _ in range(n):
                    st, _h, _b = cl.get("/healthy")
                    if st != 200:
                        raise RuntimeError(f"exact {variant}: status {st}")
            finally:
                cl.close()
            if tr is not None:
                time.sleep(0.3)
                tr.send_signal(signal.SIGINT)
                tr.wait(timeout=30)
        finally:
            ng.stop(sig=signal.SIGQUIT, grace=120)
        if tool == "strace":
            m = re.search(r"^\s*100\.00\s+\S+\s+\S+\s+(\d+)", read(f"{d}/strace.txt"), re.M)
            return int(m.group(1)), d
        return int(re.search(r"Collected : (\d+)", read(f"{d}/vg.log")).group(1)), d

    for tool in ("callgrind", "strace"):
        for variant in VARIANTS:
            a, _ = one(variant, small, tool)
            b, d = one(variant, large, tool)
            out[(tool, variant)] = (b - a) / (large - small)
            print(f"{tool:9} {variant:6} {out[(tool, variant)]:10.1f} per request", flush=True)
            if tool == "callgrind" and variant == "on":
                out["module"] = module_ir(f"{d}/cg.out") / large
    return out


def module_ir(cg_out):
    """Instructions in the module's per-request code over a callgrind run."""
    def costs(inclusive):
        r = subprocess.run(["callgrind_annotate", f"--inclusive={'yes' if inclusive else 'no'}",
                            "--threshold=100", cg_out], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        found = {}
        for line in r.stdout.decode("utf-8", "replace").splitlines():
            m = re.match(r"^\s*([\d,]+) .*?:(ngx_http_gw502_\w+)\s", line)
            if m:
                found[m.group(2)] = max(found.get(m.group(2), 0), int(m.group(1).replace(",", "")))
        return found
    inc, own = costs(True), costs(False)
    return (inc.get("ngx_http_gw502_handler", 0) + inc.get("ngx_http_gw502_cleanup", 0)
            + own.get("ngx_http_gw502_header_filter", 0))


def read(path):
    with open(path) as f:
        return f.read()


def perf_share(args, module, root, backend_port, dead, load, pin_proxy, pin_other):
    """Share of the `gw502 on` worker's CPU samples spent in the module's .so
    (its glue and libgw502 inside it), over one more wrk run recorded with
    perf: (percent, samples) or None."""
    port = nmlib.ports(1)[0]
    d = os.path.join(root, f"perf-{load}")
    data = os.path.join(root, f"perf-{load}.data")
    ng = Nginx(args.nginx, d, proxy_conf(d, port, backend_port, dead, "on", module), [port],
               wrapper=pin_proxy).start()
    try:
        url = f"http://127.0.0.1:{port}/{load}"
        wrk(url, 1, args.connections, pin_other)
        rec = subprocess.Popen(["perf", "record", "-F", "2000", "-o", data, "-p", str(ng.workers()[0])],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wrk(url, args.seconds, args.connections, pin_other)
        rec.send_signal(signal.SIGINT)
        rec.wait(timeout=60)
    finally:
        ng.stop()
    r = subprocess.run(["perf", "report", "-i", data, "--no-children", "--sort", "dso", "--stdio"],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=300)
    out = r.stdout.decode("utf-8", "replace")
    m = re.search(r"^# Samples: (\S+)", out, re.M)
    share = re.search(r"^\s*([\d.]+)%\s+ngx_http_gw502_module\.so\s*$", out, re.M)
    total = float(share.group(1)) if share else 0.0
    print(f"perf, {load}: {total:.2f}% of the worker's samples in the module", flush=True)
    return (total, m.group(1) if m else "?") if r.returncode == 0 and m else None


def report(args, results, cpu, notes, started, load_before, cpus, pinned, profile, exact):
    load_after = os.getloadavg()
    cmd = " ".join(shlex.quote(a) for a in [os.path.relpath(sys.argv[0], ROOT)] + sys.argv[1:])
    lines = [
        f"- date: {started.strftime('%Y-%m-%d %H:%M UTC')}; commit {git_commit()}",
        f"- machine: {cpu_model()}, {cpus} CPUs, Linux {platform.release()}; shared with other "
        f"jobs (load average {load_before[0]:.2f} before, {load_after[0]:.2f} after)",
        f"- {nginx_version(args.nginx)} ({args.nginx}), 1 worker"
        + (", pinned to CPU 0; wrk and the backend nginx on CPU 1" if pinned else ""),
        f"- command: `flock /tmp/gw502-cpu.lock python3 {cmd}`",
        f"- wrk -t1 -c{args.connections} -d{args.seconds}s after a 1 s warm-up; {args.rounds} rounds, "
        "each running every variant once in a rotated order; a fresh proxy nginx for every run",
        "",
        "Throughput: median requests/s. Each ratio is against `off` (module not loaded) in the same "
        "round; shown is the median of the per-round ratios and, in brackets, the lowest and highest.",
    ]
    lines += variant_table(results, "{:.0f}")
    lines += [
        "",
        "CPU time of the proxy's worker per request (/proc/PID/schedstat over the wrk run, in "
        "microseconds; lower is better, so a ratio above 1 is a cost). It is less disturbed by other "
        "jobs on the machine than requests/s, which also depend on whether CPU 0 was free.",
    ]
    lines += variant_table(cpu, "{:.2f}")
    if exact:
        lines += [
            "",
            "Exact counts per healthy request (one request at a time on one keepalive connection; "
            "the difference between a run of 3500 and one of 500 requests): the proxy's user-space "
            "instructions (callgrind) and its system calls (strace -c). They do not depend on the "
            "machine's other load.",
            "",
            "| per healthy request | off (not loaded) | loaded, no `gw502 on` | `gw502 on` | on / off |",
            "|---|---|---|---|---|",
        ]
        for tool, what in (("callgrind", "instructions (user space)"), ("strace", "system calls")):
            v = [exact[(tool, x)] for x in VARIANTS]
            lines.append(f"| {what} | " + " | ".join(f"{x:.1f}" if tool == "strace" else f"{x:.0f}" for x in v)
                         + f" | {v[2] / v[0]:.3f} |")
        m = exact.get("module", 0)
        lines += ["", f"Of those instructions with `gw502 on`, {m:.0f} per request are the module's "
                  f"own per-request code (its PRECONTENT handler and pool cleanup with what they call, "
                  f"the header filter's own): {100 * m / exact[('callgrind', 'on')]:.2f}% of the "
                  "user-space instructions; the kernel's share of the worker's time is larger still "
                  "(see perf below), so the module's share of the total is smaller."]
    if profile:
        lines.append("")
        lines.append("perf (`perf record -p WORKER` over one more wrk run with `gw502 on`): share of the "
                     "worker's CPU samples in ngx_http_gw502_module.so, libgw502 included (the few "
                     "allocations it asks nginx's pool for are not counted):")
        lines.append("")
        for load, share in profile.items():
            lines.append(f"- {load}: " + (f"{share[0]:.2f}% of {share[1]} samples" if share else "perf failed"))
    lines.append("")
    lines.append("Every run, in the order measured (req/s):")
    lines.append("")
    for load in LOADS:
        for v in VARIANTS:
            lines.append(f"- {load} {v}: " + " ".join(f"{x:.0f}" for x in results[(load, v)])
                         + " (us CPU/request: " + " ".join(f"{x:.2f}" for x in cpu[(load, v)]) + ")")
    if notes:
        lines.append("")
        lines += [f"- {n}" for n in notes]
    return "\n".join(lines) + "\n"


def variant_table(figures, fmt):
    """A blank line, then one row per workload of `figures[(load, variant)]` per variant."""
    lines = ["",
             "| workload | off (not loaded) | loaded, no `gw502 on` | `gw502 on` | loaded / off | on / off |",
             "|---|---|---|---|---|---|"]
    for load in LOADS:
        lines.append(row(load, [figures[(load, v)] for v in VARIANTS], fmt))
    return lines


def row(load, series, fmt):
    off, ld, on = series
    cells = [fmt.format(statistics.median(x)) for x in series]
    for x in (ld, on):
        per = [b / a for a, b in zip(off, x)]
        cells.append(f"**{statistics.median(per):.3f}** [{min(per):.3f}-{max(per):.3f}]")
    return f"| {load} | " + " | ".join(cells) + " |"


def read_section(path):
    with open(path) as f:
        text = f.read()
    b, e = text.find(BEGIN), text.find(END)
    if b < 0 or e < b:
        sys.exit(f"{path} has no {BEGIN} ... {END} section")
    return text, b, e


def write_section(path, body):
    text, b, e = read_section(path)
    new = text[:b + len(BEGIN)] + "\n" + body + text[e:]
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(new)
    os.replace(tmp, path)


def git_commit():
    try:
        rev = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, check=True).stdout.decode().strip()
        dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--", "nginx-module", "analyzer"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout.decode().strip()
        return rev + (" (with uncommitted changes in nginx-module/ or analyzer/)" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def nginx_version(binary):
    r = subprocess.run([binary, "-v"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return r.stdout.decode("utf-8", "replace").strip().replace("nginx version: ", "")


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
