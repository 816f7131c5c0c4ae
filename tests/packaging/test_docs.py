#!/usr/bin/env python3
"""The manual page, --help and the completions, all generated from
docs/gw502-logs.1.md (docs/gen_docs.py, at build time), agree with the CLI:

- the options that `gw502-logs --help` lists are exactly those of the
  source (an option added to the CLI without its manual entry, or the
  reverse, fails here);
- once the CLI prints the generated text (gw502_help.hpp's kHelpText),
  its --help is that text, byte for byte; until then this is a note;
- groff renders gw502-logs.1 without a warning, with NAME, SYNOPSIS,
  OPTIONS, EXAMPLES and EXIT STATUS;
- the bash, zsh and fish completions parse (bash -n, zsh -n, fish -n, each
  when installed), and bash completes `--explain read_` to read_timeout
  and `--proxy ` to the proxy names.

  test_docs.py GW502_LOGS BUILD_DOCS_DIR SOURCE_MD"""
import os
import re
import shutil
import subprocess
import sys

OPT_LINE = re.compile(r"^ {1,7}(?:-\w(?: \[ |, ))?(--[a-z][a-z-]*)")


def help_options(text):
    """Option names from a --help text's Options section (Boost's layout or ours)."""
    names, inside = [], False
    for line in text.splitlines():
        if line.startswith("Options"):
            inside = True
            continue
        if inside and not line.strip():
            break
        m = OPT_LINE.match(line) if inside else None
        if m:
            names.append(m.group(1))
    return names


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    binary, docs, source = sys.argv[1:]
    failed = passed = 0

    def ok(cond, what):
        nonlocal failed, passed
        if cond:
            passed += 1
        else:
            failed += 1
            print(f"FAIL: {what}")
        return cond

    cli_help = subprocess.run([binary, "--help"], stdout=subprocess.PIPE, text=True, timeout=30).stdout
    with open(os.path.join(docs, "help.txt")) as f:
        generated = f.read()
    cli = help_options(cli_help)
    src = re.findall(r"^\* (?:`-\w`, )?`(--[a-z][a-z-]*)`", open(source).read(), re.M)
    ok(len(cli) >= 10, f"could not read the options of gw502-logs --help: {cli}")
    ok(sorted(cli) == sorted(help_options(generated)), "help.txt's options are not the source's")
    missing = sorted(set(cli) - set(src))
    extra = sorted(set(src) - set(cli))
    ok(not missing, f"options of gw502-logs --help missing from docs/gw502-logs.1.md: {missing}")
    ok(not extra, f"options in docs/gw502-logs.1.md that gw502-logs does not have: {extra}")
    if cli_help == generated:
        print("gw502-logs --help is the generated text")
    else:
        print("note: gw502-logs --help is not yet the generated text (gw502_help.hpp, kHelpText)")

    page = os.path.join(docs, "gw502-logs.1")
    if shutil.which("groff"):
        r = subprocess.run(["groff", "-man", "-ww", "-z", page], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=60)
        ok(r.returncode == 0 and not r.stdout.strip(), f"groff warnings: {r.stdout}")
        r = subprocess.run(["groff", "-man", "-Tutf8", page], stdout=subprocess.PIPE, text=True, timeout=60,
                           env=dict(os.environ, GROFF_NO_SGR="1"))
        text = re.sub(r".\x08", "", r.stdout)
        for sec in ("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXAMPLES", "EXIT STATUS"):
            ok(re.search(rf"^{sec}$", text, re.M), f"man page has no {sec} section")
        for o in src:
            ok(o in text.replace("\u2010", "-"), f"man page lacks {o}")
    else:
        print("note: groff not installed; man page not rendered")

    comp = os.path.join(docs, "completions")
    for shell, name in (("bash", "gw502-logs"), ("zsh", "_gw502-logs"), ("fish", "gw502-logs.fish")):
        if shutil.which(shell):
            r = subprocess.run([shell, "-n", os.path.join(comp, name)], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, timeout=30)
            ok(r.returncode == 0, f"{shell} -n {name}: {r.stdout}")
        else:
            print(f"note: {shell} not installed; {name} not parsed")
    script = f"""source {os.path.join(comp, 'gw502-logs')}
COMP_WORDS=(gw502-logs --explain read_); COMP_CWORD=2; _gw502_logs; echo "${{COMPREPLY[*]}}"
COMP_WORDS=(gw502-logs --proxy ''); COMP_CWORD=2; _gw502_logs; echo "${{COMPREPLY[*]}}"
COMP_WORDS=(gw502-logs --bri); COMP_CWORD=1; _gw502_logs; echo "${{COMPREPLY[*]}}"
"""
    env = dict(os.environ, PATH=os.path.dirname(os.path.abspath(binary)) + os.pathsep + os.environ["PATH"])
    r = subprocess.run(["bash", "-c", script], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=30, env=env)
    lines = r.stdout.splitlines() + ["", "", ""]
    ok(lines[0] == "read_timeout", f"bash: --explain read_ completes to {lines[0]!r}")
    ok(lines[1].split() == ["auto", "nginx", "npm", "traefik", "caddy"], f"bash: --proxy completes to {lines[1]!r}")
    if "--brief" in src:
        ok(lines[2] == "--brief", f"bash: --bri completes to {lines[2]!r}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
