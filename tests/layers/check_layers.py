#!/usr/bin/env python3
"""Keeps analyzer/src's layers in order: reads the "Who may include whom"
table of analyzer/src/README.md and fails on any include that breaks it, on a
source file directly in analyzer/src/, and on a folder the table does not list.

  check_layers.py ANALYZER_DIR [UNIT_TEST_DIR]

With UNIT_TEST_DIR, also checks that tests/unit/ mirrors analyzer/src/: one
folder per library folder, each with at least one test_*.cpp, and no other.
`check_layers.py --self-test` proves the checker fails on a broken tree."""
import os
import re
import sys

# Headers made at build time that the CLI may include (docs/gen_docs.py).
GENERATED = {"gw502_help.hpp"}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def read_table(readme):
    allowed, in_table = {}, False
    for line in open(readme, encoding="utf-8"):
        if line.startswith("## Who may include whom"):
            in_table = True
            continue
        if in_table and line.startswith("## "):
            break
        m = re.match(r"^\|\s*([a-z_]+)\s*\|\s*([a-z_, ]*)\|\s*$", line)
        if in_table and m and m.group(1) != "folder":
            allowed[m.group(1)] = {x.strip() for x in m.group(2).split(",") if x.strip()}
    return allowed


def check(analyzer, unit=None):
    src = os.path.join(analyzer, "src")
    allowed = read_table(os.path.join(src, "README.md"))
    if not allowed:
        return ["analyzer/src/README.md: no \"Who may include whom\" table"]
    errors = []
    for entry in sorted(os.listdir(src)):
        path = os.path.join(src, entry)
        if os.path.isfile(path) and entry.endswith((".cpp", ".hpp", ".h")):
            errors.append("analyzer/src/%s: source file outside a stage folder" % entry)
        elif os.path.isdir(path) and entry not in allowed:
            errors.append("analyzer/src/%s/: folder not in the layer table" % entry)
    for top in ("src", "cli"):
        for root, _, files in os.walk(os.path.join(analyzer, top)):
            for f in sorted(files):
                if not f.endswith((".cpp", ".hpp", ".h")):
                    continue
                path = os.path.join(root, f)
                rel = os.path.relpath(path, analyzer)
                parts = rel.split(os.sep)
                me = parts[1] if top == "src" else "cli"
                text = open(path, encoding="utf-8").read()
                for n, inc in ((text.count("\n", 0, m.start()) + 1, m.group(1))
                               for m in INCLUDE.finditer(text)):
                    if inc.startswith("gw502/"):
                        continue  # the public C API header
                    folder = inc.split("/")[0] if "/" in inc else None
                    if top == "cli":
                        if folder is None and (os.path.exists(os.path.join(root, inc)) or inc in GENERATED):
                            continue
                        if folder in allowed:
                            continue
                        errors.append("%s:%d: includes \"%s\", not a library folder" % (rel, n, inc))
                        continue
                    if folder is None:
                        errors.append("%s:%d: \"%s\" is not written from the src/ root" % (rel, n, inc))
                    elif folder == "cli":
                        errors.append("%s:%d: the library includes the CLI" % (rel, n))
                    elif folder != me and folder not in allowed.get(me, set()):
                        errors.append("%s:%d: %s/ may not include %s/ (\"%s\")" % (rel, n, me, folder, inc))
    if unit:
        for folder in sorted(allowed):
            tests = os.path.join(unit, folder)
            if not os.path.isdir(tests) or not any(
                    f.startswith("test_") and f.endswith(".cpp") for f in os.listdir(tests)):
                errors.append("tests/unit/%s/: no unit test for analyzer/src/%s/" % (folder, folder))
        for entry in sorted(os.listdir(unit)):
            if os.path.isdir(os.path.join(unit, entry)) and entry not in allowed:
                errors.append("tests/unit/%s/: no such library folder" % entry)
    return errors


def self_test():
    """Builds a small tree with one back-edge, one stray file and one
    unqualified include; the checker must name all three."""
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        src = os.path.join(d, "src")
        for folder in ("base", "report", "scan"):
            os.makedirs(os.path.join(src, folder))
        open(os.path.join(src, "README.md"), "w").write(
            "## Who may include whom\n\n| folder | may include |\n|---|---|\n"
            "| base | |\n| report | base |\n| scan | report, base |\n")
        open(os.path.join(src, "report", "r.hpp"), "w").write('#include "scan/s.hpp"\n')
        open(os.path.join(src, "scan", "s.hpp"), "w").write('#include "report/r.hpp"\n#include "b.hpp"\n')
        open(os.path.join(src, "stray.cpp"), "w").write("")
        errors = check(d)
    want = ["report/ may not include scan/", "not written from the src/ root", "outside a stage folder"]
    missing = [w for w in want if not any(w in e for e in errors)]
    if missing or len(errors) != 3:
        print("check_layers self-test: expected %s, got %s" % (want, errors))
        return 1
    return 0


def main():
    if sys.argv[1:] == ["--self-test"]:
        return self_test()
    if self_test():
        return 1
    errors = check(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None)
    for e in errors:
        print(e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
