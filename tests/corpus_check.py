#!/usr/bin/env python3
"""Labelled corpus: for every corpus/<proxy>/NAME.log with NAME.labels (one
label per log line: a cause id, or '-' for a line that must produce no
event), gw502-logs --events must give each line exactly its label. Every
cause rule of a checked proxy must be hit by at least one corpus line."""
import json
import os
import subprocess
import sys

# Proxies whose logs gw502-logs reads today; the others' corpora are listed
# as not checked (Traefik and Caddy formats are issue #4).
SUPPORTED = {"nginx": "auto"}


def main():
    binary, corpus = sys.argv[1], sys.argv[2]
    failures, checked = [], 0
    rules_hit = set()
    for proxy in sorted(os.listdir(corpus)):
        pdir = os.path.join(corpus, proxy)
        if not os.path.isdir(pdir):
            continue
        logs = sorted(f for f in os.listdir(pdir) if f.endswith(".log") and os.path.exists(os.path.join(pdir, f[:-4] + ".labels")))
        if proxy not in SUPPORTED:
            print("not checked (format not supported yet): %s (%d files)" % (proxy, len(logs)))
            continue
        for name in logs:
            path = os.path.join(pdir, name)
            labels = open(os.path.join(pdir, name[:-4] + ".labels")).read().splitlines()
            nlines = len(open(path, "rb").read().splitlines())
            if len(labels) != nlines:
                failures.append("%s: %d lines but %d labels" % (path, nlines, len(labels)))
                continue
            args = [binary, "--events", path]
            if SUPPORTED[proxy] != "auto":
                args[1:1] = ["--proxy", SUPPORTED[proxy]]
            p = subprocess.run(args, capture_output=True, timeout=120)
            if p.returncode not in (0, 1):
                failures.append("%s: exit %d: %s" % (path, p.returncode, p.stderr.decode(errors="replace")))
                continue
            got = {}
            for line in p.stdout.decode().splitlines():
                ev = json.loads(line)
                got[ev["line"]] = ev["cause"]
                rules_hit.add(ev["rule"])
            for i, want in enumerate(labels, 1):
                have = got.get(i, "-")
                checked += 1
                if have != want:
                    failures.append("%s:%d: expected %s, got %s" % (path, i, want, have))
    # Every cause rule of the nginx catalogue must be proven by a corpus line.
    p = subprocess.run([binary, "--list-rules"], capture_output=True, timeout=60)
    for row in p.stdout.decode().splitlines():
        rid, cause, proxies = row.split("\t")
        if cause != "-" and "nginx" in proxies.split(",") and rid not in rules_hit:
            failures.append("rule %s (%s) is hit by no corpus line" % (rid, cause))
    for f in failures:
        print("FAIL " + f)
    print("corpus: %d labelled lines checked" % checked)
    print("%d passed, %d failed" % (checked, len(failures)))
    return 1 if failures or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
