#!/usr/bin/env python3
"""The .so itself and its configuration: what it links and exports, that
Debian's nginx loads it (`nginx -t`, the Debian load file), the directives'
errors, gw502_catalogue, and a reload."""

import os
import re
import shutil
import signal
import subprocess
import time

import nmlib
from nmlib import Checks, Client, Nginx, Workdir

# What the module may need at run time. libstdc++ is linked in statically
# and hidden; RE2 and simdjson are shared on Debian (see the README).
ALLOWED_NEEDED = re.compile(r"^(libc\.so\.6|libm\.so\.6|libgcc_s\.so\.1|ld-linux-x86-64\.so\.2|"
                            r"libre2\.so\.\d+|libsimdjson\.so\.\d+|libhs\.so\.\d+|libzstd\.so\.1|libz\.so\.1)$")
EXPORTS = {"ngx_modules", "ngx_module_names", "ngx_module_order", "ngx_http_gw502_module"}

CUSTOM_CATALOGUE = """{
 "causes": [{"id": "site_backend_down", "family": "connection_refused", "title": "Our backend is down",
             "explain": "The site's own words.", "likely": ["it is down"],
             "fix": {"nginx": ["start it"], "npm": ["start it"], "traefik": ["start it"], "caddy": ["start it"]}}],
 "rules": [{"id": "site.refused", "cause": "site_backend_down", "proxies": ["nginx"], "log": "error",
            "regex": "\\\\(111: Connection refused\\\\)", "literal": "Connection refused"}]
}
"""


def conf(d, port, module_line, http="", server="", dead=1):
    return f"""
{module_line}
worker_processes 1;
error_log {d}/logs/error.log info;
events {{ worker_connections 64; }}
http {{
    log_format gw {nmlib.LOG_FORMAT};
    access_log {d}/logs/access.log gw;
    client_body_temp_path {d}/tmp; proxy_temp_path {d}/tmp;
    fastcgi_temp_path {d}/tmp; uwsgi_temp_path {d}/tmp; scgi_temp_path {d}/tmp;
    {http}
    server {{
        listen 127.0.0.1:{port};
        {server}
        location /refused {{ proxy_pass http://127.0.0.1:{dead}; }}
    }}
}}
"""


def tool(argv):
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return r.returncode, r.stdout.decode("utf-8", "replace")


def main():
    args = nmlib.parse_args(__doc__)
    started = time.monotonic()
    ck = Checks()
    wd = Workdir("load", args.keep)
    so = args.module
    load = f"load_module {so};"

    # ---- the shared object
    rc, out = tool(["readelf", "-d", so])
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out)
    ck.ok(rc == 0 and needed, f"readelf -d failed: {out[:200]}")
    for lib in needed:
        ck.ok(ALLOWED_NEEDED.match(lib) is not None, f"the module needs {lib}")
    ck.ok(not any("stdc++" in n for n in needed), f"libstdc++ is linked dynamically: {needed}")
    rc, out = tool(["readelf", "-V", so])
    ck.ok("GLIBCXX" not in out and "CXXABI" not in out,
          "the module references versioned libstdc++ symbols (GLIBCXX/CXXABI)")
    rc, out = tool(["nm", "-D", "--defined-only", so])
    exported = {line.split()[-1] for line in out.splitlines() if line.strip()}
    ck.eq(exported, EXPORTS, "exported symbols")
    print(f"NEEDED: {' '.join(needed)}; exports: {' '.join(sorted(exported))}")

    port = nmlib.ports(1)[0]

    # ---- nginx -t with every directive
    d = wd.sub("full")
    catalogue = os.path.join(d, "custom.json")
    with open(catalogue, "w") as f:
        f.write(CUSTOM_CATALOGUE)
    ng = Nginx(args.nginx, d, conf(d, port, load, http="gw502 on; gw502_header X-Cause;",
                                    server="gw502_header off; location /x { gw502 off; return 200; }"), [port])
    ok, out = ng.test_config()
    ck.ok(ok, f"nginx -t with the module and every directive failed: {out}")

    # ---- the Debian load file, relative to the prefix (modules/ -> /usr/lib/nginx/modules)
    d = wd.sub("debian")
    os.makedirs(os.path.join(d, "modules"), exist_ok=True)
    shutil.copy(so, os.path.join(d, "modules", "ngx_http_gw502_module.so"))
    loadfile = os.path.join(nmlib.ROOT, "nginx-module", "debian", "mod-http-gw502.conf")
    ng = Nginx(args.nginx, d, conf(d, port, f"include {loadfile};", http="gw502 on;"), [port])
    ok, out = ng.test_config()
    ck.ok(ok, f"nginx -t with the Debian load file failed: {out}")

    # ---- directive errors
    bad = os.path.join(wd.path, "bad.json")
    with open(bad, "w") as f:
        f.write('{"rules": [{"id": "broken.rule", "cause": "connection_refused", "regex": "("}]}')
    cases = [
        ("gw502 maybe;", "", r'invalid value "maybe"'),
        ('gw502_header "X Bad";', "", r'invalid header name "X Bad"'),
        ("gw502_header A; gw502_header B;", "", r'"gw502_header" directive is duplicate'),
        ("gw502 on; gw502_catalogue /nonexistent/gw502.json;", "", r"gw502: cannot load the catalogue: .*nonexistent"),
        (f"gw502 on; gw502_catalogue {bad};", "", r"gw502: cannot load the catalogue: .*broken\.rule"),
        ("", f"gw502_catalogue {catalogue};", r'"gw502_catalogue" directive is not allowed here'),
    ]
    for i, (http, server, want) in enumerate(cases):
        d = wd.sub(f"bad{i}")
        ng = Nginx(args.nginx, d, conf(d, port, load, http=http, server=server), [port])
        ok, out = ng.test_config()
        ck.ok(not ok and re.search(want, out), f"nginx -t with [{http} {server}]: expected /{want}/, got: {out}")

    # ---- a loaded module with gw502 off, then on with gw502_catalogue, then a reload
    d = wd.sub("run")
    dead = nmlib.ports(1)[0]
    ng = Nginx(args.nginx, d, conf(d, port, load, dead=dead), [port]).start()
    c = Client(port)
    st, h, _ = c.get("/refused")
    ck.eq((st, h.get("x-gw502-cause")), (502, None), "module loaded, gw502 not enabled")
    c.close()
    ng.stop()

    d = wd.sub("custom")
    ng = Nginx(args.nginx, d, conf(d, port, load, dead=dead,
                                   http=f"gw502 on; gw502_catalogue {catalogue};"), [port]).start()
    c = Client(port)
    st, h, _ = c.get("/refused")
    ck.eq((st, h.get("x-gw502-cause")), (502, "site_backend_down"), "gw502_catalogue: the site's own rule first")
    # reload (SIGHUP): a new cycle, a new classifier; the old workers leave cleanly
    with open(ng.conf_path) as f:
        text = f.read()
    with open(ng.conf_path, "w") as f:
        f.write(text.replace(f"gw502_catalogue {catalogue};", "gw502_header X-After-Reload;"))
    old = ng.workers()
    os.kill(ng.proc.pid, signal.SIGHUP)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and (set(ng.workers()) & set(old) or not ng.workers()):
        time.sleep(0.1)
    c.close()
    st, h, _ = c.get("/refused")
    ck.eq((st, h.get("x-after-reload"), h.get("x-gw502-cause")), (502, "connection_refused", None),
          "after a reload: the embedded catalogue, the new header name")
    c.close()
    ng.stop()
    time.sleep(0.2)
    log = ng.log()
    ck.ok("exited on signal" not in log, "a worker crashed:\n" + log[-2000:])
    ck.ok("[emerg]" not in log and "[alert]" not in log, "emerg/alert in the error log:\n" + log[-2000:])
    acc = [nmlib.access_fields(line) for line in ng.log("access.log").splitlines()]
    ck.eq([(a["status"], a["cause"], a["rule"]) for a in acc if a],
          [(502, "site_backend_down", "site.refused"), (502, "connection_refused", "nginx.connection_refused")],
          "access log $gw502_cause $gw502_rule")

    debian_package(args, ck, wd)
    npm_guard(args, ck, wd, catalogue_port=port)

    ck.finish("nginx_module_load", started)


def debian_package(args, ck, wd):
    """nginx-module/debian/build-deb.sh: the .so, the load file, the ABI dependency."""
    if not os.path.exists("/usr/share/nginx/src/debian/libnginx-mod.abisubstvars") or shutil.which("dpkg-deb") is None:
        ck.ok(False, "build-deb.sh needs nginx-dev and dpkg-deb")
        return
    out = wd.sub("deb")
    r = subprocess.run([os.path.join(nmlib.ROOT, "nginx-module", "debian", "build-deb.sh"), args.module, out],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
    text = r.stdout.decode()
    if not ck.ok(r.returncode == 0, f"build-deb.sh failed: {text}"):
        return
    deb = text.strip().splitlines()[-1]
    _, fields = tool(["dpkg-deb", "-f", deb])
    _, files = tool(["dpkg-deb", "-c", deb])
    ck.ok(re.search(r"^Depends: nginx-abi-\d[\w.-]*", fields, re.M) is not None, f"no nginx-abi dependency:\n{fields}")
    ck.ok("libstdc++" not in fields, f"depends on libstdc++:\n{fields}")
    for f in ("./usr/lib/nginx/modules/ngx_http_gw502_module.so",
              "./usr/share/nginx/modules-available/mod-http-gw502.conf"):
        ck.ok(f in files, f"{f} not in the package:\n{files}")
    print(f"{os.path.basename(deb)}: " + " ".join(l for l in fields.splitlines() if l.startswith("Depends")))


def npm_guard(args, ck, wd, catalogue_port):
    """nginx-module/npm/guard.sh, the NPM entrypoint wrapper, with this nginx:
    enabled when BUILT_FOR matches and the test load passes, left out (and
    nginx still starts) when the version differs or the .so is broken."""
    guard = os.path.join(nmlib.ROOT, "nginx-module", "npm", "guard.sh")
    data = wd.sub("npm-data")
    gdir = os.path.join(data, "gw502")
    os.makedirs(gdir, exist_ok=True)
    so = os.path.join(gdir, "ngx_http_gw502_module.so")
    shutil.copy(args.module, so)
    shutil.copy(os.path.join(nmlib.ROOT, "nginx-module", "npm", "http.conf"), os.path.join(gdir, "http.conf"))
    running = subprocess.run([args.nginx, "-v"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
                             ).stdout.decode().strip().split("nginx version: ")[-1]
    env = dict(os.environ, GW502_DIR=gdir, GW502_NGINX=args.nginx)
    d = wd.sub("npm-nginx")
    port = nmlib.ports(1)[0]
    dead = nmlib.ports(1)[0]
    # NPM's nginx.conf includes root_top.conf and http_top.conf; these are what they hold
    npm_conf = f"""
include {gdir}/active/main[.]conf;
worker_processes 1;
error_log {d}/logs/error.log info;
events {{ worker_connections 64; }}
http {{
    include {gdir}/active/http[.]conf;
    access_log off;
    client_body_temp_path {d}/tmp; proxy_temp_path {d}/tmp;
    fastcgi_temp_path {d}/tmp; uwsgi_temp_path {d}/tmp; scgi_temp_path {d}/tmp;
    server {{ listen 127.0.0.1:{port}; location / {{ proxy_pass http://127.0.0.1:{dead}; }} }}
}}
"""

    def run_guard(built_for):
        with open(os.path.join(gdir, "BUILT_FOR"), "w") as f:
            f.write(built_for + "\n")
        r = subprocess.run(["sh", guard, "sh", "-c", "echo exec-ok"], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        return r.returncode, r.stdout.decode(), r.stderr.decode()

    def serve():
        ng = Nginx(args.nginx, d, npm_conf, [port])
        ok, out = ng.test_config()
        if not ck.ok(ok, f"NPM-like nginx -t failed: {out}"):
            return None
        ng.start()
        c = Client(port)
        st, h, _ = c.get("/")
        c.close()
        ng.stop()
        return st, h.get("x-gw502-cause")

    rc, out, err = run_guard(running)
    ck.ok(rc == 0 and out.strip() == "exec-ok", f"guard did not exec its command: {rc} {out!r} {err!r}")
    ck.ok("module enabled" in err and os.path.exists(os.path.join(gdir, "active", "main.conf")),
          f"guard with the right BUILT_FOR did not enable the module: {err}")
    ck.eq(serve(), (502, "connection_refused"), "NPM-like config, guard enabled the module")

    rc, out, err = run_guard("openresty/0.0.0")
    ck.ok(rc == 0 and out.strip() == "exec-ok", f"guard did not exec its command: {rc} {out!r} {err!r}")
    ck.ok("NOT enabled" in err and not os.path.exists(os.path.join(gdir, "active", "main.conf")),
          f"guard with another BUILT_FOR enabled the module: {err}")
    ck.eq(serve(), (502, None), "NPM-like config, guard left the module out (version mismatch)")

    with open(so, "r+b") as f:
        f.truncate(4096)
    rc, out, err = run_guard(running)
    ck.ok("test load failed" in err and not os.path.exists(os.path.join(gdir, "active", "main.conf")),
          f"guard enabled a broken .so: {err}")
    ck.eq(serve(), (502, None), "NPM-like config, guard left a broken .so out")


if __name__ == "__main__":
    main()
