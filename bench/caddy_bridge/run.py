#!/usr/bin/env python3
"""Load run for the Caddy bridge (loopback only, bounded in time).

Real Debian caddy in front of a closed port (every request fails with
"connection refused"), measured with wrk three ways:

  caddy      Caddy alone: its empty 502 (no handle_errors)
  bridge     Caddy + gw502.caddy + gw502-caddy-bridge on a unix socket:
             every answer must be 502 with X-Gw502-Cause: connection_refused
  direct     wrk straight at the bridge (TCP), Caddy's headers replayed

wrk's Lua hook (check.lua) checks the status and header of every answer.
The bridge's RSS is sampled during the runs. Exits 1 if any answer was
wrong, if fewer than --min-requests went through the bridge, if /metrics
disagrees with what wrk counted, or if the RSS grew between the two bridge
runs by more than 2 MiB.

When the run passes, its figures (date, commit, machine, command, table,
ratios) replace the text between `<!-- caddy-bridge:begin -->` and
`<!-- caddy-bridge:end -->` in bench/RESULTS.md; nothing else in that file
is touched. A failed run writes nothing there.

  flock /tmp/gw502-cpu.lock python3 bench/caddy_bridge/run.py
        [--bridge build/bin/gw502-caddy-bridge] [--duration 15]
        [--connections 16] [--threads 2] [--results bench/RESULTS.md | --no-results]

Needs wrk and caddy (apt-get install wrk caddy)."""
import argparse
import datetime
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
LUA = os.path.join(HERE, "check.lua")
SNIPPET = os.path.join(ROOT, "caddy-bridge", "gw502.caddy")

procs = []


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def start(argv, log, env=None):
    p = subprocess.Popen(argv, stdout=open(log, "ab"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                         env=env, start_new_session=True)
    procs.append(p)
    return p


def stop_all():
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def wait_port(port, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


def wait_file(path, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not os.path.exists(path):
        time.sleep(0.02)
    if not os.path.exists(path):
        raise RuntimeError(f"{path} did not appear")


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def unix_get(path, target):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(path)
    s.sendall(f"GET {target} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n".encode())
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    return data.decode()


def wrk(args, url, status, cause, headers=()):
    argv = ["wrk", "-t", str(args.threads), "-c", str(args.connections), "-d", f"{args.duration}s",
            "--latency", "-s", LUA]
    for h in headers:
        argv += ["-H", h]
    argv += [url, "--", str(status), cause]
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=args.duration + 60)
    out = r.stdout
    res = {"raw": out}
    m = re.search(r"(\d+) requests in ([\d.]+)(\w+)", out)
    res["requests"] = int(m.group(1)) if m else 0
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    res["rps"] = float(m.group(1)) if m else 0.0
    m = re.search(r"GW502 good=(\d+) bad=(\d+) first_bad=(\S*)", out)
    res["good"], res["bad"], res["first_bad"] = (int(m.group(1)), int(m.group(2)), m.group(3)) if m else (0, -1, "?")
    for pct in ("50", "99"):
        m = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if m:
            v = float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
            res[f"p{pct}_ms"] = v
    m = re.search(r"Socket errors: (.*)", out)
    res["socket_errors"] = m.group(1).strip() if m else ""
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    res["non2xx"] = int(m.group(1)) if m else 0
    return res


class Sampler(threading.Thread):
    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.samples, self.stop = pid, [], threading.Event()

    def run(self):
        while not self.stop.is_set():
            self.samples.append(rss_kib(self.pid))
            self.stop.wait(0.5)


BEGIN, END = "<!-- caddy-bridge:begin -->", "<!-- caddy-bridge:end -->"


def replace_section(path, text):
    """Put text between BEGIN and END in path; everything else stays byte for byte."""
    with open(path, encoding="utf-8") as f:
        doc = f.read()
    if doc.count(BEGIN) != 1 or doc.count(END) != 1 or doc.index(BEGIN) > doc.index(END):
        raise RuntimeError(f"{path}: expected one {BEGIN} ... {END} pair")
    head, rest = doc.split(BEGIN, 1)
    _old, tail = rest.split(END, 1)
    new = head + BEGIN + "\n" + text.strip("\n") + "\n" + END + tail
    tmp = path + ".tmp-caddy-bridge"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(new)
    os.replace(tmp, path)


def machine():
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    distro = ""
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    distro = line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    mem = ""
    try:
        with open("/proc/meminfo") as f:
            kib = int(f.readline().split()[1])
            mem = f", {kib / 1048576:.1f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{model}, {os.cpu_count()} cores{mem}, {distro}, Linux {platform.release()}"


def commit():
    def git(*a):
        r = subprocess.run(["git", "-C", ROOT] + list(a), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                           text=True)
        return r.stdout.strip() if r.returncode == 0 else ""
    c = git("rev-parse", "--short=12", "HEAD") or "unknown"
    r = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--", "caddy-bridge", "bench/caddy_bridge",
                        "analyzer", "patterns", "CMakeLists.txt"], stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL, text=True)
    dirty = sorted({os.path.dirname(line[3:].strip('"')) or line[3:] for line in r.stdout.splitlines()
                    if len(line) > 3})
    return f"`{c}`" + (f" (uncommitted changes in the work tree: {', '.join(d + '/' for d in dirty)})"
                       if dirty else "")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bridge", default=os.path.join(ROOT, "build", "bin", "gw502-caddy-bridge"))
    ap.add_argument("--duration", type=int, default=15)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--min-requests", type=int, default=20000)
    ap.add_argument("--results", default=os.path.join(ROOT, "bench", "RESULTS.md"),
                    help="the file whose caddy-bridge section gets the figures")
    ap.add_argument("--no-results", action="store_true", help="print only; write nothing")
    args = ap.parse_args()
    if args.duration < 1 or args.duration > 120:
        sys.exit("run.py: --duration must be 1..120 seconds (the run is bounded)")
    command = " ".join(["python3", os.path.relpath(os.path.abspath(sys.argv[0]), ROOT)] + sys.argv[1:])
    started = datetime.datetime.now(datetime.timezone.utc)
    load_before = os.getloadavg()
    for tool in ("wrk", "caddy"):
        if shutil.which(tool) is None:
            sys.exit(f"run.py: {tool} is not installed (apt-get install {tool})")
    work = tempfile.mkdtemp(prefix="gw502-bench-bridge-")
    problems = []
    try:
        sock = os.path.join(work, "bridge.sock")
        bridge = start([args.bridge, "--listen", "unix:" + sock], os.path.join(work, "bridge.log"))
        wait_file(sock)
        direct_port = free_port()
        direct = start([args.bridge, "--listen", f"127.0.0.1:{direct_port}"], os.path.join(work, "direct.log"))
        dead, p_bridge, p_plain = free_port(), free_port(), free_port()
        shutil.copyfile(SNIPPET, os.path.join(work, "gw502.caddy"))
        caddyfile = os.path.join(work, "Caddyfile")
        with open(caddyfile, "w") as f:
            f.write(f"""{{
\tadmin off
\tauto_https off
\tstorage file_system {work}/data
\tlog {{
\t\toutput discard
\t}}
}}
http://127.0.0.1:{p_bridge} {{
\tbind 127.0.0.1
\timport {work}/gw502.caddy
\treverse_proxy 127.0.0.1:{dead}
}}
http://127.0.0.1:{p_plain} {{
\tbind 127.0.0.1
\treverse_proxy 127.0.0.1:{dead}
}}
""")
        home = os.path.join(work, "home")
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home,
               "XDG_CONFIG_HOME": home + "/config", "XDG_DATA_HOME": home + "/data",
               "GW502_BRIDGE": "unix/" + sock}
        start(["caddy", "run", "--config", caddyfile, "--adapter", "caddyfile"], os.path.join(work, "caddy.log"), env)
        wait_port(p_bridge)
        wait_port(p_plain)
        wait_port(direct_port)
        caddy_ver = subprocess.run(["caddy", "version"], stdout=subprocess.PIPE, text=True).stdout.strip()
        wrk_ver = subprocess.run(["wrk", "-v"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                 text=True).stdout.splitlines()[0]
        print(f"caddy {caddy_ver}; {wrk_ver}; {os.cpu_count()} cores; wrk -t{args.threads} -c{args.connections} "
              f"-d{args.duration}s", flush=True)

        rss_start = rss_kib(bridge.pid)
        # Warm-up (not counted in the figures, counted in /metrics).
        warm = wrk(argparse.Namespace(**{**vars(args), "duration": 2}), f"http://127.0.0.1:{p_bridge}/w", 502,
                   "connection_refused")
        rss_warm = rss_kib(bridge.pid)
        runs = {}
        runs["caddy"] = wrk(args, f"http://127.0.0.1:{p_plain}/api/items", 502, "-")
        samplers = []
        for name in ("bridge", "bridge (again)"):
            s = Sampler(bridge.pid)
            s.start()
            runs[name] = wrk(args, f"http://127.0.0.1:{p_bridge}/api/items", 502, "connection_refused")
            s.stop.set()
            s.join()
            samplers.append(s)
            runs[name]["rss_after"] = rss_kib(bridge.pid)
            runs[name]["rss_max"] = max(s.samples)
        runs["direct"] = wrk(args, f"http://127.0.0.1:{direct_port}/gw502/error", 502, "connection_refused",
                             headers=["X-Gw502-Err-Message: dial tcp 127.0.0.1:9: connect: connection refused",
                                      "X-Gw502-Err-Status: 502", "X-Gw502-Host: bench.example"])
        runs["direct"]["rss_after"] = rss_kib(direct.pid)

        metrics = unix_get(sock, "/metrics")
        m = re.search(r'gw502_errors_total\{cause="connection_refused",host="127\.0\.0\.1"\} (\d+)', metrics)
        counted = int(m.group(1)) if m else 0
        through = warm["requests"] + runs["bridge"]["requests"] + runs["bridge (again)"]["requests"]

        labels = {"caddy": "Caddy alone: its empty 502 (no snippet)",
                  "bridge": "Caddy + gw502.caddy + bridge (unix socket), run 1",
                  "bridge (again)": "Caddy + gw502.caddy + bridge, run 2",
                  "direct": "wrk straight at the bridge (TCP), Caddy's headers replayed"}
        table = ["| run | requests | wrong answers | socket errors | requests/s | vs Caddy alone | p50 ms | p99 ms "
                 "| bridge RSS KiB (max / after) |",
                 "|---|---:|---:|---|---:|---:|---:|---:|---|"]
        base = runs["caddy"]["rps"] or float("nan")
        for name, r in runs.items():
            if "rss_max" in r:
                rss = f"{r['rss_max']} / {r['rss_after']}"
            elif "rss_after" in r:
                rss = f"- / {r['rss_after']} (a second bridge, on TCP)"
            else:
                rss = "-"
            table.append(f"| {labels[name]} | {r['requests']} | {r['bad']} | {r['socket_errors'] or '0'} | "
                         f"{r['rps']:.0f} | {r['rps'] / base:.2f} | {r.get('p50_ms', 0):.2f} | "
                         f"{r.get('p99_ms', 0):.2f} | {rss} |")
        through_runs = runs["bridge"]["requests"] + runs["bridge (again)"]["requests"]
        bridge_rps = (runs["bridge"]["rps"] + runs["bridge (again)"]["rps"]) / 2
        notes = [
            f"- Requests through Caddy and the bridge: {through_runs} in the two measured runs "
            f"(+{warm['requests']} in a 2 s warm-up), every answer checked by check.lua: status 502 and "
            f"`X-Gw502-Cause: connection_refused`; {sum(r['bad'] for r in runs.values())} wrong.",
            f"- Requests/s with the bridge relative to Caddy's plain error: "
            f"{bridge_rps / base:.2f} (mean of the two runs: {bridge_rps:.0f} against {runs['caddy']['rps']:.0f}). "
            f"The bridge alone, without Caddy: {runs['direct']['rps'] / base:.2f} x Caddy's plain error rate.",
            f"- Bridge RSS: {rss_start} KiB at start, {rss_warm} KiB after the warm-up, "
            f"{runs['bridge']['rss_after']} KiB after run 1, {runs['bridge (again)']['rss_after']} KiB after run 2 "
            f"(max sampled every 0.5 s: {max(runs['bridge']['rss_max'], runs['bridge (again)']['rss_max'])} KiB).",
            f"- /metrics: `gw502_errors_total{{cause=\"connection_refused\",host=\"127.0.0.1\"}}` = {counted}; "
            f"wrk completed {through} (warm-up and both runs; requests still in flight when wrk stops reach "
            f"the bridge but are not counted by wrk).",
        ]
        print()
        print("\n".join(table))
        print()
        print("\n".join(notes))
        for name, r in runs.items():
            if r["socket_errors"]:
                problems.append(f"{name}: wrk socket errors: {r['socket_errors']}")
            if r["bad"] != 0:
                problems.append(f"{name}: {r['bad']} wrong answers (first: {r['first_bad']})")
            if r["good"] != r["requests"] or r["requests"] == 0:
                problems.append(f"{name}: wrk checked {r['good'] + r['bad']} answers of {r['requests']}")
        if runs["bridge"]["requests"] < args.min_requests:
            problems.append(f"only {runs['bridge']['requests']} requests through the bridge (< {args.min_requests})")
        if not (through <= counted <= through + 3 * args.connections):
            problems.append(f"/metrics counted {counted}, wrk {through}")
        growth = runs["bridge (again)"]["rss_after"] - runs["bridge"]["rss_after"]
        if growth > 2048:
            problems.append(f"bridge RSS grew {growth} KiB between the two bridge runs")
        if bridge.poll() is not None or direct.poll() is not None:
            problems.append("a bridge died")
        if not problems and not args.no_results:
            load_after = os.getloadavg()
            text = "\n".join([
                f"Run {started.strftime('%Y-%m-%d %H:%M UTC')} at commit {commit()}.",
                "",
                f"- Machine: {machine()}; shared with other jobs (load average "
                f"{load_before[0]:.2f} before, {load_after[0]:.2f} after).",
                f"- Software: caddy {caddy_ver} (Debian), {wrk_ver.split(' [')[0]}, gw502-caddy-bridge with its "
                f"default options; Caddy's log discarded; backend: a closed loopback port "
                f"(every request fails with \"connection refused\").",
                f"- Command: `flock /tmp/gw502-cpu.lock {command}` "
                f"(each run: `wrk -t{args.threads} -c{args.connections} -d{args.duration}s -s check.lua`, "
                f"all on loopback, Caddy, bridge and wrk on the same {os.cpu_count()} cores).",
                "",
                *table,
                "",
                *notes,
                "- One run on a shared, noisy machine: the ratios matter, not the absolute rates.",
            ])
            replace_section(args.results, text)
            print(f"wrote the caddy-bridge section of {os.path.relpath(args.results, ROOT)}")
    finally:
        stop_all()
        shutil.rmtree(work, ignore_errors=True)
    for p in problems:
        print("PROBLEM: " + p)
    print("ok" if not problems else "FAILED")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
