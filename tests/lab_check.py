#!/usr/bin/env python3
"""Reruns the whole real-proxy lab (tests/lab) in a temporary directory and
checks that gw502-logs gives every captured line the scenario's label: the
cause for upstream-failure lines, no event for noise. A new nginx or Caddy
whose wording changes fails here, naming the line.

  lab_check.py BIN"""
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import corpus_check  # noqa: E402


def main():
    binary = sys.argv[1]
    out = tempfile.mkdtemp(prefix="gw502-labcheck-")
    try:
        proxies = [p for p in ("nginx", "caddy") if p in corpus_check.SUPPORTED]
        rc = 0
        for proxy in proxies:
            p = subprocess.run([sys.executable, os.path.join(HERE, "lab", "lab.py"), "run", "--proxy", proxy, "--out", out],
                               timeout=900)
            if p.returncode != 0:
                print("FAIL the lab itself failed for %s (exit %d)" % (proxy, p.returncode))
                rc = 1
        failures, checked, rules_hit = [], 0, set()
        for proxy in proxies:
            for path, labels in corpus_check.labelled_logs(os.path.join(out, proxy)):
                checked += corpus_check.check_file(binary, path, labels, proxy, failures, rules_hit)
        for f in failures:
            print("FAIL " + f)
        print("lab: %d captured lines checked for %s" % (checked, ", ".join(proxies)))
        print("%d passed, %d failed" % (checked, len(failures)))
        return 1 if rc or failures or checked == 0 else 0
    finally:
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
