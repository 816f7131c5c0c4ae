#!/usr/bin/env python3
"""The Debian packages, installed on this machine the way a user would:

  scripts/package.sh --no-build packs gw502-logs, gw502-caddy-bridge and
  libnginx-mod-http-gw502 from the build under test; for each, `apt-get install ./X.deb`, then
  - gw502-logs: `gw502-logs --version` (the project's version), the man page
    (`man -w`), the completions, the exporter unit and /etc/default file
    (`systemd-analyze verify`), the unit enabled with `systemctl enable`;
  - gw502-caddy-bridge: `gw502-caddy-bridge --help`, its unit verified;
  - the module: Debian's nginx loads it through modules-enabled, and with
    the package's snippet (`include /usr/share/nginx/gw502/http[.]conf;`) a
    failed upstream's 502 carries X-Gw502-Cause for a loopback client;
  - Caddy: a site with `import /usr/share/gw502/caddy-bridge/gw502*.caddy`
    gets the bridge's handle_errors (`caddy adapt`);
  then `apt-get remove`: nginx with that include still passes `nginx -t`
  (the glob matches nothing once the snippet is gone), while a bare
  `gw502 on;` would not (what the module README's removal step is about);
  the Caddyfile still adapts, without the snippet;
  then `apt-get purge`: every file `dpkg -L` listed is gone, and so are the
  conffile, the modules-enabled link and the `systemctl enable` link.

Needs root and apt (exit 77, skipped, otherwise). Refuses to touch a
package that is already installed.

  test_debs.py REPO_ROOT BUILD_DIR"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

PKGS = ["gw502-logs", "gw502-caddy-bridge", "libnginx-mod-http-gw502"]
APT = ["apt-get", "-y", "-q", "-o", "DPkg::Lock::Timeout=300", "--no-install-recommends"]
ENV = dict(os.environ, DEBIAN_FRONTEND="noninteractive")


class Checks:
    def __init__(self):
        self.failed = 0
        self.passed = 0

    def ok(self, cond, what):
        if cond:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL: {what}", flush=True)
        return cond


def run(cmd, timeout=300, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=timeout, env=ENV, **kw)


def installed(pkg):
    r = run(["dpkg-query", "-W", "-f=${Status}", pkg])
    return r.returncode == 0 and "installed" in r.stdout and "not-installed" not in r.stdout


def known(pkg):
    """dpkg still knows the package (installed, or removed with its conffiles)."""
    r = run(["dpkg-query", "-W", "-f=${Status}", pkg])
    return r.returncode == 0 and "not-installed" not in r.stdout


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def nginx_conf(work, body, port=None):
    """A scratch nginx.conf that loads modules the Debian way."""
    path = os.path.join(work, "nginx.conf")
    server = ""
    if port:
        dead = free_port()
        server = f"""
    server {{
        listen 127.0.0.1:{port};
        location / {{ proxy_pass http://127.0.0.1:{dead}; }}
    }}"""
    with open(path, "w") as f:
        f.write(f"""include /etc/nginx/modules-enabled/*.conf;
pid {work}/nginx.pid;
error_log {work}/error.log;
events {{}}
http {{
    access_log off;
    client_body_temp_path {work}/tmp; proxy_temp_path {work}/tmp;
    fastcgi_temp_path {work}/tmp; uwsgi_temp_path {work}/tmp; scgi_temp_path {work}/tmp;
    {body}{server}
}}
""")
    os.makedirs(os.path.join(work, "tmp"), exist_ok=True)
    return path


def nginx_cmd(conf, work):
    # Debian's prefix, so that modules-enabled's "load_module modules/..." resolves
    return ["nginx", "-c", conf, "-p", "/usr/share/nginx/", "-e", os.path.join(work, "error.log")]


def nginx_t(conf, work):
    return run(nginx_cmd(conf, work) + ["-t"])


def module_serves_cause(ck, work):
    port = free_port()
    conf = nginx_conf(work, "include /usr/share/nginx/gw502/http[.]conf;", port)
    r = run(nginx_cmd(conf, work))
    if not ck.ok(r.returncode == 0, f"nginx with the packaged module did not start: {r.stdout}"):
        return
    try:
        header = None
        for _ in range(50):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5)
            except urllib.error.HTTPError as e:
                header = (e.code, e.headers.get("X-Gw502-Cause"))
                break
            except OSError:
                time.sleep(0.1)
        ck.ok(header == (502, "connection_refused"),
              f"502 through the packaged module and snippet: {header}")
        print(f"module: 502 with X-Gw502-Cause: {header and header[1]}")
    finally:
        with open(os.path.join(work, "nginx.pid")) as f:
            pid = int(f.read())
        os.kill(pid, 15)
        for _ in range(50):
            if not os.path.exists(os.path.join(work, "nginx.pid")):
                break
            time.sleep(0.1)


def caddy_adapt(work):
    """The Caddyfile the bridge's README gives, adapted to JSON: (ok, has handle_errors)."""
    path = os.path.join(work, "Caddyfile")
    with open(path, "w") as f:
        f.write(":18999 {\n\timport /usr/share/gw502/caddy-bridge/gw502*.caddy\n\trespond \"hi\"\n}\n")
    r = run(["caddy", "adapt", "--config", path, "--adapter", "caddyfile"])
    return r.returncode == 0, '"errors"' in r.stdout, r.stdout[-500:]


def files_of(pkg):
    r = run(["dpkg", "-L", pkg])
    return [l for l in r.stdout.splitlines() if l.startswith("/")]


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    root, build = sys.argv[1:]
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        print("skipped: needs root and apt-get")
        return 77
    ck = Checks()
    already = [p for p in PKGS if known(p)]
    if already:
        print(f"FAIL: already on this machine, not touched: {already} (purge them to run this test)")
        return 1
    work = tempfile.mkdtemp(prefix="gw502-debs-")
    try:
        out = os.path.join(work, "debs")
        t0 = time.time()
        r = run([os.path.join(root, "scripts", "package.sh"), "--build-dir", build, "--out", out, "--no-build"], timeout=900)
        print(r.stdout.strip())
        if not ck.ok(r.returncode == 0, f"package.sh failed ({r.returncode})"):
            return 1
        version = None
        with open(os.path.join(root, "CMakeLists.txt")) as f:
            for line in f:
                if line.startswith("project(gw502 VERSION "):
                    version = line.split()[2]
        arch = run(["dpkg", "--print-architecture"]).stdout.strip()
        debs = {p: os.path.join(out, f"{p}_{version}_{arch}.deb") for p in PKGS}
        for p, d in debs.items():
            ck.ok(os.path.isfile(d), f"package.sh did not write {d}")
            listing = run(["dpkg-deb", "-c", d]).stdout
            ck.ok(f"./usr/share/doc/{p}/copyright" in listing, f"{p}: no copyright file")
            text = run(["sh", "-c", f"dpkg-deb --fsys-tarfile '{d}' | tar -xO ./usr/share/doc/{p}/copyright"]).stdout
            ck.ok("Redistribution and use in source and binary forms" in text and "2026 the gw502 authors" in text,
                  f"{p}: copyright lacks the BSD-2-Clause text")
        print(f"packages built in {time.time() - t0:.0f} s")
        if ck.failed:
            return 1

        listed = {}
        try:
            # -- install -----------------------------------------------------------
            r = run(APT + ["install"] + [debs[p] for p in PKGS], timeout=600)
            if not ck.ok(r.returncode == 0, f"apt-get install: {r.stdout[-2000:]}"):
                return 1
            for p in PKGS:
                ck.ok(installed(p), f"{p} not installed")
                listed[p] = files_of(p)
                print(f"{p}: {len(listed[p])} paths")

            r = run(["gw502-logs", "--version"])
            ck.ok(r.returncode == 0 and r.stdout.strip() == f"gw502-logs {version}",
                  f"gw502-logs --version: {r.stdout!r}")
            print(f"$ gw502-logs --version\n{r.stdout.strip()}")
            clean = os.path.join(work, "access.log")
            with open(clean, "w") as f:
                f.write('127.0.0.1 - - [03/Dec/2026:07:41:40 +0000] "GET / HTTP/1.1" 200 612 "-" "curl/7.88.1"\n')
            failed = os.path.join(work, "error.log.1")
            with open(failed, "w") as f:
                f.write('2026/12/03 07:41:40 [error] 7#7: *8 connect() failed (111: Connection refused) while '
                        'connecting to upstream, client: 127.0.0.1, server: shop.test, request: "GET /p HTTP/1.1", '
                        'upstream: "http://127.0.0.1:18001/p", host: "shop.test"\n')
            r = run(["gw502-logs", clean])
            ck.ok(r.returncode == 0, f"installed gw502-logs on a clean log: {r.returncode} {r.stdout[-300:]}")
            r = run(["gw502-logs", failed])
            ck.ok(r.returncode == 1 and "connection" in r.stdout.lower(),
                  f"installed gw502-logs on a refused connection: {r.returncode} {r.stdout[-300:]}")
            if shutil.which("man"):
                r = run(["man", "-w", "gw502-logs"])
                ck.ok(r.stdout.strip() == "/usr/share/man/man1/gw502-logs.1.gz", f"man -w gw502-logs: {r.stdout!r}")
            for f in ("/usr/share/bash-completion/completions/gw502-logs",
                      "/usr/share/zsh/vendor-completions/_gw502-logs",
                      "/usr/share/fish/vendor_completions.d/gw502-logs.fish",
                      "/etc/default/gw502-logs", "/lib/systemd/system/gw502-logs-exporter.service"):
                ck.ok(os.path.isfile(f), f"{f} not installed")
            r = run(["gw502-caddy-bridge", "--help"])
            ck.ok(r.returncode == 0 and "Usage: gw502-caddy-bridge" in r.stdout, f"gw502-caddy-bridge --help: {r.stdout[:300]!r}")
            print("$ gw502-caddy-bridge --help | head -1\n" + r.stdout.splitlines()[0])
            if shutil.which("systemd-analyze"):
                for unit in ("gw502-logs-exporter.service", "gw502-caddy-bridge.service"):
                    r = run(["systemd-analyze", "verify", f"/lib/systemd/system/{unit}"])
                    bad = [l for l in r.stdout.splitlines() if unit in l or "gw502" in l]
                    ck.ok(r.returncode == 0 and not bad, f"systemd-analyze verify {unit}: {r.stdout}")
            r = run(["systemctl", "enable", "gw502-logs-exporter.service"])
            ck.ok(os.path.islink("/etc/systemd/system/multi-user.target.wants/gw502-logs-exporter.service"),
                  f"systemctl enable: {r.stdout}")
            ck.ok(os.path.islink("/etc/nginx/modules-enabled/50-mod-http-gw502.conf"), "module not linked in modules-enabled")
            if shutil.which("nginx"):
                module_serves_cause(ck, work)
            if shutil.which("caddy"):
                good, errors, text = caddy_adapt(work)
                ck.ok(good and errors, f"caddy adapt with the packaged snippet: {text}")

            # -- remove: the conf that includes the snippet must still work --------------------
            r = run(APT + ["remove"] + PKGS, timeout=600)
            ck.ok(r.returncode == 0, f"apt-get remove: {r.stdout[-2000:]}")
            ck.ok(os.path.isfile("/etc/default/gw502-logs"), "remove (not purge) dropped the conffile")
            if shutil.which("nginx"):
                r = nginx_t(nginx_conf(work, "include /usr/share/nginx/gw502/http[.]conf;"), work)
                ck.ok(r.returncode == 0, f"nginx -t with the snippet's include after removal: {r.stdout}")
                r = nginx_t(nginx_conf(work, "gw502 on;"), work)
                ck.ok(r.returncode != 0 and 'unknown directive "gw502"' in r.stdout,
                      f"a bare 'gw502 on;' after removal: {r.stdout}")
                print("after removal: nginx -t passes with the snippet's include; a bare 'gw502 on;' fails, as documented")
            if shutil.which("caddy"):
                good, errors, text = caddy_adapt(work)
                ck.ok(good and not errors, f"caddy adapt with the snippet's import glob after removal: {text}")

            # -- purge: nothing left -------------------------------------------------------------
            r = run(APT + ["purge"] + PKGS, timeout=600)
            ck.ok(r.returncode == 0, f"apt-get purge: {r.stdout[-2000:]}")
        finally:
            leftover = [p for p in PKGS if known(p)]
            if leftover:
                run(APT + ["purge"] + leftover, timeout=600)
        for p in PKGS:
            ck.ok(not known(p), f"{p} still known to dpkg after purge")
            # files and links must be gone; a directory may stay only if another package owns it
            left = [f for f in listed.get(p, []) if f != "/." and os.path.lexists(f) and
                    (not os.path.isdir(f) or run(["dpkg", "-S", f]).returncode != 0)]
            ck.ok(not left, f"{p}: left after purge: {left}")
        for f in ("/etc/nginx/modules-enabled/50-mod-http-gw502.conf",
                  "/etc/nginx/modules-enabled/50-mod-http-gw502.conf.removed",
                  "/etc/systemd/system/multi-user.target.wants/gw502-logs-exporter.service",
                  "/etc/default/gw502-logs"):
            ck.ok(not os.path.lexists(f), f"{f} left after purge")
        print(f"{ck.passed} passed, {ck.failed} failed")
        return 1 if ck.failed else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
