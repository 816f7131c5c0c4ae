#!/usr/bin/env python3
"""CLI golden tests: each cases/NAME.args (one argument per line) is run from
tests/cli/ with optional NAME.stdin; stdout must equal NAME.stdout and the exit
status NAME.status. `run_golden.py BIN DIR --update` rewrites the expectations
after a deliberate change (review the diff before committing)."""
import os
import subprocess
import sys


def main():
    binary, root = os.path.abspath(sys.argv[1]), sys.argv[2]
    update = "--update" in sys.argv[3:]
    cases = sorted(f[:-5] for f in os.listdir(os.path.join(root, "cases")) if f.endswith(".args"))
    failed = 0
    env = dict(os.environ, TZ="UTC", NO_COLOR="1", LC_ALL="C")
    for name in cases:
        base = os.path.join(root, "cases", name)
        with open(base + ".args") as f:
            args = [a for a in f.read().splitlines() if a]
        stdin = None
        if os.path.exists(base + ".stdin"):
            stdin = open(base + ".stdin", "rb").read()
        p = subprocess.run([binary] + args, cwd=root, input=stdin, capture_output=True, timeout=120, env=env)
        if update:
            open(base + ".stdout", "wb").write(p.stdout)
            open(base + ".status", "w").write("%d\n" % p.returncode)
            print("updated", name)
            continue
        want_out = open(base + ".stdout", "rb").read()
        want_status = int(open(base + ".status").read().strip())
        if p.stdout != want_out or p.returncode != want_status:
            failed += 1
            print("FAIL %s: status %d (want %d)" % (name, p.returncode, want_status))
            if p.stdout != want_out:
                import difflib
                diff = difflib.unified_diff(want_out.decode(errors="replace").splitlines(),
                                            p.stdout.decode(errors="replace").splitlines(),
                                            "expected", "got", lineterm="")
                print("\n".join(list(diff)[:60]))
            if p.stderr:
                print("stderr:", p.stderr.decode(errors="replace")[:2000])
        else:
            print("ok   %s" % name)
    print("%d passed, %d failed" % (len(cases) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
