#!/usr/bin/env python3
"""Side-by-side benchmark of gw502-logs against cat, wc, rg, grep, zstd and
gzip, in one run, warm cache, LC_ALL=C, with hyperfine --output=pipe.
Results are ratios (this machine is shared and noisy); they go to
bench/RESULTS.md with machine, date and commit. Never a test.

  bench/run.py [--size 1G] [--json-size 1G] [--work /tmp/gw502-bench] [--runs 5]

It first checks that gw502-logs counts the same upstream-failure lines as
rg and grep on the same file, and refuses to report times otherwise."""
import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BIN = os.path.join(ROOT, "build", "bin", "gw502-logs")
TOOLS = {"hyperfine": "hyperfine", "rg": "ripgrep", "zstd": "zstd", "gzip": "gzip"}


def sh(cmd, **kw):
    return subprocess.run(cmd, shell=True, check=True, capture_output=True, text=True, **kw).stdout


def ensure_tools():
    missing = [pkg for tool, pkg in TOOLS.items() if not shutil.which(tool)]
    if missing:
        sudo = "" if os.geteuid() == 0 else "sudo "
        subprocess.run(sudo + "apt-get update -qq && " + sudo + "apt-get install -y -qq " + " ".join(missing), shell=True, check=True)


def generate(work, kind, name, size):
    path = os.path.join(work, name)
    # The generator stops at the first line past `size`: a file of another
    # size (a run with other --size/--json-size) is made again.
    if (not os.path.exists(path) or abs(os.path.getsize(path) - size) > 0.01 * size
            or not os.path.exists(path + ".failures")):
        subprocess.run([sys.executable, os.path.join(HERE, "gen_logs.py"), kind, str(size), path], check=True)
    return path


def make_inputs(work, size):
    os.makedirs(work, exist_ok=True)
    log = generate(work, "nginx", "nginx_error.log", size)
    if not os.path.exists(log + ".zst"):
        sh("zstd -q -3 -f -o %s.zst %s" % (log, log))
    if not os.path.exists(log + ".gz"):
        sh("gzip -6 -c %s > %s.gz" % (log, log))
    k = os.path.join(work, "K")
    with open(k, "w") as f:
        f.write(sh("%s --export-patterns nginx" % BIN))
    return log, k


def gw502_failures(path):
    p = subprocess.run([BIN, "--format", "json", path], capture_output=True, text=True)
    return json.loads(p.stdout)["summary"]["failures"]


def write_section(out, text):
    """Replace the gw502-logs section of RESULTS.md, leaving the others."""
    begin, end = "<!-- gw502-logs:begin -->", "<!-- gw502-logs:end -->"
    doc = open(out).read() if os.path.exists(out) else "# Benchmark results\n\n%s\n%s\n" % (begin, end)
    if begin not in doc or end not in doc:
        doc += "\n%s\n%s\n" % (begin, end)
    head, rest = doc.split(begin, 1)
    tail = rest.split(end, 1)[1]
    open(out, "w").write(head + begin + "\n" + text + "\n" + end + tail)


def counts(log, k):
    rg = int(sh("rg -c -f %s %s" % (k, log)).strip() or 0)
    grep = int(sh("LC_ALL=C grep -cEf %s %s" % (k, log)).strip() or 0)
    return rg, grep, gw502_failures(log)


def peak_rss_kib(cmd):
    p = subprocess.run(["/usr/bin/time", "-f", "%M", "sh", "-c", cmd + " > /dev/null"], capture_output=True, text=True)
    return int(p.stderr.strip().splitlines()[-1])


def parse_size(s):
    mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    return int(float(s[:-1]) * mult[s[-1]]) if s[-1] in mult else int(s)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="1G")
    ap.add_argument("--work", default="/tmp/gw502-bench")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--out", default=os.path.join(HERE, "RESULTS.md"))
    ap.add_argument("--json-size", default=None, help="size of the Caddy/Traefik inputs (default: --size)")
    args = ap.parse_args()
    size = parse_size(args.size)
    ensure_tools()
    os.environ["LC_ALL"] = "C"
    log, k = make_inputs(args.work, size)
    rg, grep, ours = counts(log, k)
    print("upstream-failure lines: rg %d, grep %d, gw502-logs %d" % (rg, grep, ours))
    if not rg == grep == ours:
        print("counts differ: refusing to report times", file=sys.stderr)
        return 1
    # the Go proxies' formats: one thread, against cat; the generator's count
    go = [("Caddy JSON", "caddy", "caddy.log"), ("Traefik v3 JSON", "traefik3", "traefik3.log"),
          ("Traefik v2 text", "traefik2", "traefik2.log")]
    go_logs = {}
    for title, kind, name in go:
        path = generate(args.work, kind, name, args.json_size and parse_size(args.json_size) or size)
        want = int(open(path + ".failures").read())
        got = gw502_failures(path)
        print("%s: %d upstream-failure lines written, gw502-logs counts %d" % (title, want, got))
        if want != got:
            print("counts differ: refusing to report times", file=sys.stderr)
            return 1
        go_logs[title] = path

    cmds = [
        ("cat", "cat %s" % log),
        ("wc -l", "wc -l %s" % log),
        ("rg -c -f K", "rg -c -f %s %s" % (k, log)),
        ("grep -cEf K", "grep -cEf %s %s" % (k, log)),
        ("gw502-logs -j1", "%s -j1 %s" % (BIN, log)),
        ("gw502-logs -j2", "%s -j2 %s" % (BIN, log)),
        ("gw502-logs -j2 --events", "%s -j2 --events %s" % (BIN, log)),
        ("zstd -dc | wc -l", "zstd -dc %s.zst | wc -l" % log),
        ("gw502-logs -j2 .zst", "%s -j2 %s.zst" % (BIN, log)),
        ("gzip -dc | wc -l", "gzip -dc %s.gz | wc -l" % log),
        ("gw502-logs -j2 .gz", "%s -j2 %s.gz" % (BIN, log)),
        ("gw502-logs start-up (empty input)", "%s /dev/null" % BIN),
    ]
    for title, path in go_logs.items():
        cmds += [("cat " + title, "cat %s" % path), ("gw502-logs -j1 " + title, "%s -j1 %s" % (BIN, path))]
    jf = os.path.join(args.work, "hyperfine.json")
    hf = ["hyperfine", "--output=pipe", "--warmup", "1", "--runs", str(args.runs), "-i", "--export-json", jf]
    for name, cmd in cmds:
        hf += ["-n", name, cmd]
    subprocess.run(hf, check=True)
    res = {r["command"]: r for r in json.load(open(jf))["results"]}
    med = {n: res[n]["median"] for n, _ in cmds}
    spread = {n: (res[n]["min"], res[n]["max"]) for n, _ in cmds}
    rss = {n: peak_rss_kib(c) for n, c in cmds}

    commit = sh("git -C %s rev-parse --short HEAD" % ROOT).strip()
    cpu = sh("grep -m1 'model name' /proc/cpuinfo").split(":")[-1].strip()
    mb = os.path.getsize(log) / 1e6
    rows = []
    for n, _ in cmds[:12]:
        rows.append("| %s | %.3f | %.3f–%.3f | %.2f× | %s | %d |" % (
            n.replace("|", "\\|"), med[n], spread[n][0], spread[n][1], med[n] / med["cat"],
            ("%.0f" % (mb / med[n])) if "start-up" not in n else "-", rss[n] // 1024))
    go_rows = []
    for title, path in go_logs.items():
        gmb = os.path.getsize(path) / 1e6
        n = "gw502-logs -j1 " + title
        go_rows.append("| %s | %.0f | %.3f | %.3f | %.2f× | %.2f | %d |" % (
            title, gmb, med["cat " + title], med[n], med[n] / med["cat " + title], gmb / med[n] / 1000, rss[n] // 1024))
    ratios = [
        ("rg -c -f K / gw502-logs -j2", med["rg -c -f K"] / med["gw502-logs -j2"], "≥ 2 (aim 4)"),
        ("rg -c -f K / gw502-logs -j1", med["rg -c -f K"] / med["gw502-logs -j1"], ""),
        ("grep -cEf K / gw502-logs -j2", med["grep -cEf K"] / med["gw502-logs -j2"], ""),
        ("gw502-logs -j2 / cat", med["gw502-logs -j2"] / med["cat"], "≤ 5 (aim 3)"),
        ("gw502-logs .zst / zstd -dc | wc -l", med["gw502-logs -j2 .zst"] / med["zstd -dc | wc -l"], "≤ 1.2"),
        ("gw502-logs .gz / gzip -dc | wc -l", med["gw502-logs -j2 .gz"] / med["gzip -dc | wc -l"], "≤ 1.15"),
    ]
    flags = "--size %s%s --runs %d" % (args.size, " --json-size %s" % args.json_size if args.json_size else "", args.runs)
    text = ["Made by `bench/run.py %s` on %s, commit %s." % (flags, datetime.date.today().isoformat(), commit),
            "Machine: %s, %d cores, %s. Page cache warm, LC_ALL=C, hyperfine --output=pipe; medians (min–max of %d runs)." % (
                cpu, os.cpu_count(), platform.platform(), args.runs),
            "Input: %s (%.0f MB, %d upstream-failure lines; rg, grep and gw502-logs agree), .zst (-3) and .gz (-6) copies." % (os.path.basename(log), mb, ours),
            "gw502-logs prefilter: %s." % ("hyperscan" if "libhs.so" in sh("ldd %s" % BIN) else "re2"),
            "", "| command | median s | min–max s | × cat | MB/s | peak RSS MiB |", "|---|---|---|---|---|---|"] + rows + [
            "", "| ratio | value | target |", "|---|---|---|"] + ["| %s | %.2f | %s |" % (r[0].replace("|", "\\|"), r[1], r[2]) for r in ratios] + [
            "", "The Go proxies' logs, one thread, full classification and report (same generator, counts checked):", "",
            "| format | MB | cat s | gw502-logs -j1 s | × cat | GB/s | peak RSS MiB |", "|---|---|---|---|---|---|---|"] + go_rows
    write_section(args.out, "\n".join(text))
    print("\n".join(text))
    return 0


if __name__ == "__main__":
    sys.exit(main())
