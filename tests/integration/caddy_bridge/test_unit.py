#!/usr/bin/env python3
"""The systemd unit and the README's install steps, without running systemd:

- `systemd-analyze verify` accepts the unit (ExecStart pointed at the built
  binary, since /usr/local/bin may not hold it yet) and
  `systemd-analyze security --offline=yes` rates it at most 2.0;
- the unit runs as Debian's caddy user, in RuntimeDirectory=gw502 (/run/gw502)
  with mode 0750, and listens where the snippet looks by default
  (unix//run/gw502/bridge.sock), with the hardening options the README names;
- the binary accepts the unit's ExecStart options; run with them under strace
  (the socket path moved to a temporary directory), every system call it
  makes while serving errors, /metrics, /healthz and exiting on SIGTERM is
  allowed by the unit's SystemCallFilter (@system-service minus @privileged
  and @resources), and it opens only AF_UNIX/AF_INET/AF_INET6 sockets;
- `cmake --install` puts the three files where the README's install steps
  copy them from.

Parts whose tool is missing (systemd-analyze, strace) are skipped with a
note; the test fails if all of them are.

  test_unit.py BRIDGE_BINARY BUILD_DIR"""
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bridgelib as bl  # noqa: E402

UNIT = os.path.join(bl.ROOT, "caddy-bridge", "gw502-caddy-bridge.service")
README = os.path.join(bl.ROOT, "caddy-bridge", "README.md")
INSTALLED_BIN = "/usr/local/bin/gw502-caddy-bridge"


def unit_settings(text):
    """[(key, value)] of the [Service] section, in order (keys may repeat)."""
    out, section = [], None
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or line.startswith(";"):
            continue
        if line.startswith("["):
            section = line
            continue
        if section == "[Service]":
            k, _, v = line.partition("=")
            out.append((k.strip(), v.strip()))
    return out


def syscall_set(name, cache={}):
    """The system calls in a systemd syscall group, groups expanded."""
    if name in cache:
        return cache[name]
    r = subprocess.run(["systemd-analyze", "syscall-filter", name], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=30)
    calls = set()
    for line in r.stdout.splitlines()[1:]:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        calls |= syscall_set(line) if line.startswith("@") else {line}
    cache[name] = calls
    return calls


def main():
    binary, build = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    ck = bl.Checker()
    work = bl.tmpdir("gw502-bridge-unit-")
    with open(UNIT) as f:
        unit_text = f.read()
    st = unit_settings(unit_text)
    d = {}
    for k, v in st:
        d.setdefault(k, []).append(v)

    # -- what the unit says ---------------------------------------------------------------
    ck.check(d.get("User") == ["caddy"] and d.get("Group") == ["caddy"], f"User/Group {d.get('User')} {d.get('Group')}")
    ck.check(d.get("RuntimeDirectory") == ["gw502"], f"RuntimeDirectory {d.get('RuntimeDirectory')}")
    ck.check(d.get("RuntimeDirectoryMode") == ["0750"], f"RuntimeDirectoryMode {d.get('RuntimeDirectoryMode')}")
    exec_start = shlex.split(d["ExecStart"][0])
    ck.check(exec_start[0] == INSTALLED_BIN, f"ExecStart binary {exec_start[0]}")
    args = exec_start[1:]
    listen = args[args.index("--listen") + 1] if "--listen" in args else None
    ck.check(listen == "unix:/run/gw502/bridge.sock", f"ExecStart --listen {listen}")
    with open(bl.SNIPPET) as f:
        snippet = f.read()
    ck.check("{$GW502_BRIDGE:unix//run/gw502/bridge.sock}" in snippet,
             "the snippet's default address is not the unit's socket")
    for key, want in [("NoNewPrivileges", "yes"), ("CapabilityBoundingSet", ""), ("ProtectSystem", "strict"),
                      ("ProtectHome", "yes"), ("PrivateTmp", "yes"), ("PrivateDevices", "yes"),
                      ("MemoryDenyWriteExecute", "yes"), ("RestrictAddressFamilies", "AF_UNIX AF_INET AF_INET6"),
                      ("IPAddressDeny", "any"), ("IPAddressAllow", "localhost"), ("MemoryMax", "128M")]:
        ck.check(d.get(key) == [want], f"{key}={d.get(key)}, want {want!r}")
    filters = d.get("SystemCallFilter", [])
    ck.check(filters == ["@system-service", "~@privileged @resources"], f"SystemCallFilter {filters}")
    ck.check("Restart" in d and d["Restart"] == ["on-failure"], f"Restart {d.get('Restart')}")

    # -- systemd-analyze ------------------------------------------------------------------
    tools = 0
    copy = os.path.join(work, "gw502-caddy-bridge.service")
    with open(copy, "w") as f:
        f.write(unit_text.replace(INSTALLED_BIN, binary))
    if shutil.which("systemd-analyze"):
        tools += 1
        r = subprocess.run(["systemd-analyze", "verify", copy], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=60)
        ck.check(r.returncode == 0 and r.stdout.strip() == "", f"systemd-analyze verify: {r.returncode} {r.stdout!r}")
        r = subprocess.run(["systemd-analyze", "security", "--offline=yes", copy], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=60)
        m = re.search(r"Overall exposure level for \S+: ([\d.]+)", r.stdout)
        if m:
            print(f"systemd-analyze security --offline=yes: exposure {m.group(1)}")
            ck.check(float(m.group(1)) <= 2.0, f"exposure level {m.group(1)} > 2.0")
        else:
            print("note: this systemd-analyze has no 'security --offline' (systemd < 252); not rated")
    else:
        print("note: systemd-analyze not installed; unit not verified")

    # -- ExecStart options under strace against the unit's syscall filter ------------------------
    if shutil.which("strace") and shutil.which("systemd-analyze"):
        tools += 1
        sock = os.path.join(work, "bridge.sock")
        argv = [("unix:" + sock if a == listen else a) for a in args]
        trace = os.path.join(work, "trace")
        p = subprocess.Popen(["strace", "-f", "-qq", "-o", trace, binary] + argv, stdout=subprocess.DEVNULL,
                             stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        bl._children.append(p)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not os.path.exists(sock):
            time.sleep(0.05)
        ck.check(os.path.exists(sock), "the bridge did not start with the unit's options under strace")
        if os.path.exists(sock):
            ck.check(oct(os.stat(sock).st_mode & 0o777) == "0o660", f"socket mode {oct(os.stat(sock).st_mode)}")
            b = bl.Bridge(binary, "unix:" + sock)
            st_, hdrs, _ = b.get("/gw502/error", {"X-Gw502-Err-Message": "dial tcp 10.0.0.1:80: connect: "
                                                  "connection refused", "X-Gw502-Err-Status": "502"})
            ck.check(st_ == 502 and ("X-Gw502-Cause", "connection_refused") in hdrs, f"error answer {st_} {hdrs}")
            ck.check(b.get("/healthz")[0] == 200, "healthz")
            ck.check(b.get("/metrics")[0] == 200, "metrics")
        # SIGTERM to the bridge itself (strace's child); strace exits with its status.
        try:
            with open(f"/proc/{p.pid}/task/{p.pid}/children") as f:
                kids = [int(x) for x in f.read().split()]
        except OSError:
            kids = []
        ck.check(len(kids) == 1, f"strace's children: {kids}")
        for k in kids:
            os.kill(k, signal.SIGTERM)
        try:
            rc = p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            rc = None
        ck.check(rc == 0, f"exit status under strace after SIGTERM: {rc}")
        allowed = syscall_set("@system-service") - syscall_set("@privileged") - syscall_set("@resources")
        used, families = set(), set()
        with open(trace, encoding="utf-8", errors="replace") as f:
            lines = f.read().splitlines()
        # Everything from the bridge's own execve on (systemd applies the filter at exec).
        start = next((i for i, ln in enumerate(lines) if "execve(" in ln and binary in ln), 0)
        for ln in lines[start:]:
            m = re.match(r"^\d+\s+([a-z_0-9]+)\(", ln)
            if m:
                used.add(m.group(1))
            m = re.match(r"^\d+\s+socket\((AF_\w+)", ln)
            if m:
                families.add(m.group(1))
        print(f"system calls made: {len(used)}: {' '.join(sorted(used))}")
        ck.check(len(used) > 20, f"strace saw only {sorted(used)}")
        ck.check(used <= allowed, f"system calls the unit's filter would kill: {sorted(used - allowed)}")
        ck.check(families <= {"AF_UNIX", "AF_INET", "AF_INET6"}, f"socket families {families}")
    else:
        print("note: strace or systemd-analyze not installed; system-call filter not checked")

    # -- cmake --install puts the files where the README copies them from -------------------------
    prefix = os.path.join(work, "prefix")
    r = subprocess.run(["cmake", "--install", build, "--prefix", prefix, "--component", "caddy-bridge"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)
    ck.check(r.returncode == 0, f"cmake --install: {r.stdout[-500:]}")
    with open(README) as f:
        readme = f.read()
    for rel in ("bin/gw502-caddy-bridge", "lib/systemd/system/gw502-caddy-bridge.service",
                "share/gw502/caddy-bridge/gw502.caddy", "share/gw502/caddy-bridge/README.md"):
        ck.check(os.path.isfile(os.path.join(prefix, rel)), f"cmake --install did not install {rel}")
        ck.check("/usr/local/" + rel in readme or rel.endswith("README.md"), f"the README does not name /usr/local/{rel}")
    ck.check(os.access(os.path.join(prefix, "bin/gw502-caddy-bridge"), os.X_OK), "installed binary not executable")
    unit_doc = re.search(r"^Documentation=file:(\S+)$", unit_text, re.M)
    ck.check(unit_doc and unit_doc.group(1) == "/usr/local/share/gw502/caddy-bridge/README.md",
             f"Documentation= {unit_doc and unit_doc.group(1)}")
    ck.check(tools > 0, "neither systemd-analyze nor strace is installed: nothing about the unit was verified")
    return ck.finish()


if __name__ == "__main__":
    sys.exit(main())
