#!/usr/bin/env python3
"""Labelled corpus: for every corpus/<proxy>/NAME.log with NAME.labels (one
label per log line: a cause id, or '-' for a line that must produce no
event), gw502-logs --events must give each line exactly its label. Every
cause rule of a checked proxy must be hit by at least one corpus line.

  corpus_check.py BIN CORPUS_DIR
  corpus_check.py --measure BIN DIR [--misses]

corpus/wild/<proxy>/ and corpus/wild2/<proxy>/ (a second round) hold real lines from
public issues and committed logs;
they are asserted like the rest. corpus/wild/heldaside/ is a random third of
them put aside before any tuning (corpus/wild/split.py): it is never asserted,
only measured with --measure, which prints the share of lines labelled right
per proxy (and, with --misses, which lines; do not tune on those)."""
import json
import os
import subprocess
import sys

# Proxies whose logs gw502-logs reads today, with the --proxy value to pass
# ("auto": format detection); other corpora are listed as not checked.
SUPPORTED = {"nginx": "auto", "caddy": "auto", "traefik": "auto"}


def check_file(binary, path, labels_path, proxy, failures, rules_hit):
    """Compares gw502-logs' events for one log with its labels; returns the
    number of lines checked. Mismatches are appended to failures."""
    labels = open(labels_path).read().splitlines()
    nlines = len(open(path, "rb").read().splitlines())
    if len(labels) != nlines:
        failures.append("%s: %d lines but %d labels" % (path, nlines, len(labels)))
        return 0
    args = [binary, "--events", path]
    if SUPPORTED.get(proxy, "auto") != "auto":
        args[1:1] = ["--proxy", SUPPORTED[proxy]]
    p = subprocess.run(args, capture_output=True, timeout=120)
    # A file none of whose first lines is a proxy log line (a hard negative
    # of its own) gives exit 2 with that warning: its labels are still checked.
    unrecognised = p.returncode == 2 and all(
        "none of its first lines" in l for l in p.stderr.decode(errors="replace").splitlines())
    if p.returncode not in (0, 1) and not unrecognised:
        failures.append("%s: exit %d: %s" % (path, p.returncode, p.stderr.decode(errors="replace")))
        return 0
    got = {}
    for line in p.stdout.decode().splitlines():
        ev = json.loads(line)
        got[ev["line"]] = ev["cause"]
        rules_hit.add(ev["rule"])
    raw = open(path, "rb").read().splitlines()
    for i, want in enumerate(labels, 1):
        have = got.get(i, "-")
        if have != want:
            failures.append("%s:%d: expected %s, got %s: %s" % (path, i, want, have, raw[i - 1][:200].decode(errors="replace")))
    return len(labels)


def labelled_logs(directory):
    for root, dirs, files in sorted(os.walk(directory)):
        dirs[:] = sorted(d for d in dirs if d != "heldaside")
        for f in sorted(files):
            if f.endswith(".log") and os.path.exists(os.path.join(root, f[:-4] + ".labels")):
                yield os.path.join(root, f), os.path.join(root, f[:-4] + ".labels")


def measure(binary, directory, show_misses):
    """Accuracy per proxy folder of directory; asserts nothing."""
    total_ok = total = 0
    for proxy in sorted(os.listdir(directory)):
        pdir = os.path.join(directory, proxy)
        if not os.path.isdir(pdir):
            continue
        failures, n = [], 0
        for path, labels in labelled_logs(pdir):
            n += check_file(binary, path, labels, "auto", failures, set())
        wrong = len([f for f in failures if ": expected " in f])
        print("%-8s %3d of %3d right (%5.1f %%)" % (proxy, n - wrong, n, 100.0 * (n - wrong) / max(n, 1)))
        if show_misses:
            for f in failures:
                print("  " + f)
        total_ok += n - wrong
        total += n
    print("%-8s %3d of %3d right (%5.1f %%)" % ("all", total_ok, total, 100.0 * total_ok / max(total, 1)))
    return 0


def main():
    if sys.argv[1] == "--measure":
        return measure(sys.argv[2], sys.argv[3], "--misses" in sys.argv[4:])
    binary, corpus = sys.argv[1], sys.argv[2]
    failures, checked, rules_hit = [], 0, set()
    for proxy in sorted(os.listdir(corpus)):
        pdir = os.path.join(corpus, proxy)
        if not os.path.isdir(pdir):
            continue
        if proxy.startswith("wild"):
            for wproxy in sorted(os.listdir(pdir)):
                wdir = os.path.join(pdir, wproxy)
                if wproxy == "heldaside" or not os.path.isdir(wdir):
                    continue
                logs = list(labelled_logs(wdir))
                n = sum(check_file(binary, path, labels, "auto", failures, rules_hit) for path, labels in logs)
                print("%s/%s: %d labelled lines in %d files" % (proxy, wproxy, n, len(logs)))
                checked += n
            continue
        logs = list(labelled_logs(pdir))
        if proxy not in SUPPORTED:
            print("not checked (format not supported yet): %s (%d files)" % (proxy, len(logs)))
            continue
        n = 0
        for path, labels in logs:
            n += check_file(binary, path, labels, proxy, failures, rules_hit)
        print("%s: %d labelled lines in %d files" % (proxy, n, len(logs)))
        checked += n
    # Every cause rule of a checked proxy must be proven by a corpus line.
    p = subprocess.run([binary, "--list-rules"], capture_output=True, timeout=60)
    for row in p.stdout.decode().splitlines():
        if row.startswith("#"):
            continue
        rid, cause, proxies = row.split("\t")
        # Rules made from the errno table are proven by unit tests (one line
        # per errno number and phase), not each by a corpus line.
        if rid.startswith("errno."):
            continue
        # A pair-only rule matches no line on its own (the access line of a
        # request nginx retried and served): the golden retried_combined and
        # corpus/deployments prove it.
        if rid == "access.served_after_error":
            continue
        if cause != "-" and any(x in SUPPORTED for x in proxies.split(",")) and rid not in rules_hit:
            failures.append("rule %s (%s) is hit by no corpus line" % (rid, cause))
    for f in failures:
        print("FAIL " + f)
    print("corpus: %d labelled lines checked" % checked)
    print("%d passed, %d failed" % (checked, len(failures)))
    return 1 if failures or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
