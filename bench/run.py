#!/usr/bin/env python3
"""Side-by-side benchmark of gw502-logs against cat, rg, grep and zstd, on
every log shape of bench/gen_logs.py, in one run, warm cache, LC_ALL=C, with
hyperfine --output=pipe, in rounds (every command once per round, so that a
burst of load hits the peers alike). Results are ratios (this machine is
shared and noisy); they go to bench/RESULTS.md with machine, date and commit,
one table per shape. Never a test.

  bench/run.py [--size 256M] [--shapes base,multisite,hostflood] [--runs 5]
               [--work /tmp/gw502-bench] [--bin build/bin/gw502-logs] [--no-write]

Shapes and inputs (each --size bytes):
  base       nginx error log, 5 hosts x 5 upstreams (and its .zst and .gz)
  multisite  40 sites x 60 upstream services whose addresses change over the
             day: nginx (and its .zst), Caddy JSON, Traefik v3 JSON, v2 text
  hostflood  nginx error log, every failure a new Host and client

Peers on every input: cat, rg -c -f K and grep -cEf K (K: the format's
literals from --export-patterns), zstd -dc | wc -l for the .zst copies. Peak
RSS of every command from getrusage (/usr/bin/time -f %M).

Before timing, it checks that gw502-logs counts the same upstream-failure
lines as rg and grep (nginx inputs) or as the generator wrote (Caddy,
Traefik), and refuses to report times otherwise."""
import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TOOLS = {"hyperfine": "hyperfine", "rg": "ripgrep", "zstd": "zstd", "gzip": "gzip"}
BIN = os.path.join(ROOT, "build", "bin", "gw502-logs")

# (shape, kind, file name, title, export-patterns proxy, compressed copies)
INPUTS = [
    ("base", "nginx", "nginx_error.log", "nginx", "nginx", ("zst", "gz")),
    ("multisite", "nginx", "multisite_nginx.log", "nginx", "nginx", ("zst",)),
    ("multisite", "caddy", "multisite_caddy.log", "Caddy JSON", "caddy", ()),
    ("multisite", "traefik3", "multisite_traefik3.log", "Traefik v3 JSON", "traefik", ()),
    ("multisite", "traefik2", "multisite_traefik2.log", "Traefik v2 text", "traefik", ()),
    ("hostflood", "nginx", "hostflood_nginx.log", "nginx", "nginx", ()),
]
# targets of issue 16: (aim, must)
RG_J2 = (4.0, 2.0)
CAT_J2 = (3.0, 5.0)
RG_J1 = 2.0
RSS_MIB = (32, 64)
ZST = 1.1


def sh(cmd, **kw):
    return subprocess.run(cmd, shell=True, check=True, capture_output=True, text=True, **kw).stdout


def ensure_tools():
    missing = [pkg for tool, pkg in TOOLS.items() if not shutil.which(tool)]
    if missing:
        sudo = "" if os.geteuid() == 0 else "sudo "
        subprocess.run(sudo + "apt-get update -qq && " + sudo + "apt-get install -y -qq " + " ".join(missing), shell=True, check=True)


def generate(work, kind, shape, name, size):
    path = os.path.join(work, name)
    # The generator stops at the first line past `size`: a file of another
    # size is made again (and its compressed copies with it).
    if (not os.path.exists(path) or abs(os.path.getsize(path) - size) > 0.01 * size
            or not os.path.exists(path + ".failures")):
        subprocess.run([sys.executable, os.path.join(HERE, "gen_logs.py"), kind, str(size), path, "--shape", shape], check=True)
        for ext in ("zst", "gz"):
            if os.path.exists(path + "." + ext):
                os.remove(path + "." + ext)
    return path


def compress(path, ext):
    if not os.path.exists(path + "." + ext):
        if ext == "zst":
            sh("zstd -q -3 -f -o %s.zst %s" % (path, path))
        else:
            sh("gzip -6 -c %s > %s.gz" % (path, path))
    return path + "." + ext


def gw502_json(path):
    p = subprocess.run([BIN, "--format", "json", path], capture_output=True, text=True)
    return p.stdout


def write_section(out, text):
    """Replace the gw502-logs section of RESULTS.md, leaving the others."""
    begin, end = "<!-- gw502-logs:begin -->", "<!-- gw502-logs:end -->"
    doc = open(out).read() if os.path.exists(out) else "# Benchmark results\n\n%s\n%s\n" % (begin, end)
    if begin not in doc or end not in doc:
        doc += "\n%s\n%s\n" % (begin, end)
    head, rest = doc.split(begin, 1)
    tail = rest.split(end, 1)[1]
    open(out, "w").write(head + begin + "\n" + text + "\n" + end + tail)


def peak_rss_kib(cmd):
    p = subprocess.run(["/usr/bin/time", "-f", "%M", "sh", "-c", cmd + " > /dev/null"], capture_output=True, text=True)
    return int(p.stderr.strip().splitlines()[-1])


def parse_size(s):
    mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    return int(float(s[:-1]) * mult[s[-1]]) if s[-1] in mult else int(s)


def mark(ok_aim, ok_must):
    return "met" if ok_aim else ("must met, aim missed" if ok_must else "**MISSED**")


def main():
    global BIN
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="256M", help="bytes per input (K/M/G suffix)")
    ap.add_argument("--shapes", default="base,multisite,hostflood")
    ap.add_argument("--work", default="/tmp/gw502-bench")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--bin", default=BIN)
    ap.add_argument("--out", default=os.path.join(HERE, "RESULTS.md"))
    ap.add_argument("--no-write", action="store_true", help="print the tables, leave RESULTS.md alone")
    args = ap.parse_args()
    BIN = os.path.abspath(args.bin)
    size = parse_size(args.size)
    shapes = args.shapes.split(",")
    ensure_tools()
    os.environ["LC_ALL"] = "C"
    os.makedirs(args.work, exist_ok=True)

    ks = {}
    for proxy in sorted({i[4] for i in INPUTS}):
        ks[proxy] = os.path.join(args.work, "K." + proxy)
        with open(ks[proxy], "w") as f:
            f.write(sh("%s --export-patterns %s" % (BIN, proxy)))

    inputs = []  # dicts
    for shape, kind, name, title, proxy, comp in INPUTS:
        if shape not in shapes:
            continue
        path = generate(args.work, kind, shape, name, size)
        report = gw502_json(path)
        ours = json.loads(report)["summary"]["failures"]
        want = int(open(path + ".failures").read())
        k = ks[proxy]
        rg = int(sh("rg -c -f %s %s || true" % (k, path)).strip() or 0)
        line = "%s %s: generator %d, gw502-logs %d, rg %d" % (shape, title, want, ours, rg)
        if kind == "nginx":
            grep = int(sh("grep -cEf %s %s || true" % (k, path)).strip() or 0)
            line += ", grep %d" % grep
            if not rg == grep == ours == want:
                print(line + ": counts differ, refusing to report times", file=sys.stderr)
                return 1
        elif not rg == ours == want:
            # rg must find the lines gw502-logs counts, or its time is not a like-for-like
            # baseline (an empty pattern in K once made it count every line).
            print(line + ": counts differ, refusing to report times", file=sys.stderr)
            return 1
        print(line)
        inputs.append(dict(shape=shape, kind=kind, path=path, title=title, k=k, failures=ours,
                           report_bytes=len(report.encode()), comp=[compress(path, e) for e in comp]))

    cmds = []  # (name, command)
    for inp in inputs:
        p, pre = inp["path"], "%s %s: " % (inp["shape"], inp["title"])
        inp["pre"] = pre
        cmds += [
            (pre + "cat", "cat %s" % p),
            (pre + "rg -c -f K", "rg -c -f %s %s" % (inp["k"], p)),
            (pre + "grep -cEf K", "grep -cEf %s %s" % (inp["k"], p)),
            (pre + "gw502-logs -j1", "%s -j1 %s" % (BIN, p)),
            (pre + "gw502-logs -j2", "%s -j2 %s" % (BIN, p)),
            (pre + "gw502-logs -j2 --format json", "%s -j2 --format json %s" % (BIN, p)),
            (pre + "gw502-logs -j2 --events", "%s -j2 --events %s" % (BIN, p)),
        ]
        for c in inp["comp"]:
            tool = "zstd" if c.endswith(".zst") else "gzip"
            cmds += [(pre + "%s -dc | wc -l" % tool, "%s -dc %s | wc -l" % (tool, c)),
                     (pre + "gw502-logs -j2 .%s" % c.rsplit(".", 1)[1], "%s -j2 %s" % (BIN, c))]
    cmds.append(("gw502-logs start-up (empty input)", "%s /dev/null" % BIN))
    # Rounds: every command once per round, the rounds one after another, so
    # that a burst of load on this shared machine falls on all commands of a
    # round alike instead of on all runs of one command (hyperfine runs a
    # command's runs back to back). Medians and ranges over the rounds.
    jf = os.path.join(args.work, "hyperfine.json")
    times = {n: [] for n, _ in cmds}
    for r in range(args.runs):
        hf = ["hyperfine", "--output=pipe", "--warmup", "1" if r == 0 else "0", "--runs", "1", "-i",
              "--export-json", jf]
        for name, cmd in cmds:
            hf += ["-n", name, cmd]
        subprocess.run(hf, check=True, stdout=subprocess.DEVNULL)
        for res in json.load(open(jf))["results"]:
            times[res["command"]].append(res["times"][0] if res.get("times") else res["median"])
    med = {n: statistics.median(times[n]) for n, _ in cmds}
    spread = {n: (min(times[n]), max(times[n])) for n, _ in cmds}
    rss = {n: peak_rss_kib(c) for n, c in cmds}

    commit = sh("git -C %s rev-parse --short HEAD" % ROOT).strip()
    dirty = sh("git -C %s status --porcelain -- analyzer bench" % ROOT).strip()
    cpu = sh("grep -m1 'model name' /proc/cpuinfo").split(":")[-1].strip()
    flags = "--size %s --shapes %s --runs %d" % (args.size, args.shapes, args.runs)
    text = ["Made by `bench/run.py %s` on %s, commit %s%s." % (
                flags, datetime.date.today().isoformat(), commit, " (with uncommitted changes)" if dirty else ""),
            "Machine: %s, %d cores, %s. Page cache warm, LC_ALL=C, hyperfine --output=pipe, every command once per round; medians (min–max of %d rounds)." % (
                cpu, os.cpu_count(), platform.platform(), args.runs),
            "gw502-logs prefilter: %s. K: the format's literals (`gw502-logs --export-patterns PROXY`). "
            "Peak RSS: getrusage of one more run (/usr/bin/time -f %%M)." % (
                "hyperscan" if "libhs.so" in sh("ldd %s" % BIN) else "re2"),
            "Targets (issue 16): rg / -j2 ≥ %g (must %g), -j2 / cat ≤ %g (must %g), rg / -j1 ≥ %g, peak RSS ≤ %d MiB (must %d), "
            ".zst / zstd -dc ≤ %g on multisite." % (RG_J2[0], RG_J2[1], CAT_J2[0], CAT_J2[1], RG_J1, RSS_MIB[0], RSS_MIB[1], ZST)]
    missed = []
    for shape in shapes:
        group = [i for i in inputs if i["shape"] == shape]
        if not group:
            continue
        text += ["", "### %s" % shape, ""]
        for inp in group:
            pre = inp["pre"]
            mb = os.path.getsize(inp["path"]) / 1e6
            text += ["%s, %s: %s (%.0f MB, %d upstream-failure lines, JSON report %.0f KB)" % (
                         shape, inp["title"], os.path.basename(inp["path"]), mb, inp["failures"], inp["report_bytes"] / 1e3), "",
                     "| command | median s | min–max s | × cat | rg ÷ this | MB/s | peak RSS MiB |", "|---|---|---|---|---|---|---|"]
            cat, rg = med[pre + "cat"], med[pre + "rg -c -f K"]
            for n, _ in cmds:
                if not n.startswith(pre):
                    continue
                text.append("| %s | %.3f | %.3f–%.3f | %.2f× | %.2f | %.0f | %d |" % (
                    n[len(pre):].replace("|", "\\|"), med[n], spread[n][0], spread[n][1], med[n] / cat, rg / med[n],
                    mb / med[n], rss[n] // 1024))
            j1, j2 = med[pre + "gw502-logs -j1"], med[pre + "gw502-logs -j2"]
            worst_rss = max(rss[n] for n, _ in cmds if n.startswith(pre + "gw502-logs")) / 1024
            checks = [
                ("rg ÷ gw502-logs -j2", rg / j2, "≥ %g (must %g)" % RG_J2, mark(rg / j2 >= RG_J2[0], rg / j2 >= RG_J2[1])),
                ("gw502-logs -j2 ÷ cat", j2 / cat, "≤ %g (must %g)" % CAT_J2, mark(j2 / cat <= CAT_J2[0], j2 / cat <= CAT_J2[1])),
                ("rg ÷ gw502-logs -j1", rg / j1, "≥ %g" % RG_J1, mark(rg / j1 >= RG_J1, rg / j1 >= RG_J1)),
                ("peak RSS of gw502-logs, MiB", worst_rss, "≤ %d (must %d)" % RSS_MIB,
                 mark(worst_rss <= RSS_MIB[0], worst_rss <= RSS_MIB[1])),
            ]
            if shape == "multisite" and pre + "gw502-logs -j2 .zst" in med:
                z = med[pre + "gw502-logs -j2 .zst"] / med[pre + "zstd -dc | wc -l"]
                checks.append(("gw502-logs .zst ÷ zstd -dc \\| wc -l", z, "≤ %g" % ZST, mark(z <= ZST, z <= ZST)))
            text += ["", "| ratio | value | target | |", "|---|---|---|---|"]
            for name, v, target, verdict in checks:
                text.append("| %s | %.2f | %s | %s |" % (name, v, target, verdict))
                if verdict != "met":
                    missed.append("%s %s: %s = %.2f (%s)" % (shape, inp["title"], name, v, target))
            text.append("")
    n = "gw502-logs start-up (empty input)"
    text += ["Start-up (empty input): %.3f s, %d MiB." % (med[n], rss[n] // 1024), ""]
    text += ["Targets missed in this run: " + ("none." if not missed else "; ".join(missed) + ".")]
    out = "\n".join(text)
    print(out)
    if not args.no_write:
        write_section(args.out, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
