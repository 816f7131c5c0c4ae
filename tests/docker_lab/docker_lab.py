#!/usr/bin/env python3
"""The Docker lab: gw502-logs --docker against a real, private dockerd.

  docker_lab.py GW502_LOGS [--only NAME[,NAME]] [--keep]

Creates a network namespace, starts Debian's dockerd inside it (its own data
root, exec root, socket, vfs storage, address pool), imports one image made
of busybox-static (the host's /usr is bind-mounted read-only at run time, so
Debian's nginx, caddy and python3 run inside), and runs one setup per root
cause with nginx and with Caddy (plus NPM's own proxy_host template on nginx).
Requests go only to containers inside that namespace. Each setup asserts the
verdict of `gw502-logs --docker --format json` (or --check for the healthy
control). Everything it started is stopped and removed in `finally`, also
when a check fails. Exit 0 all right, 1 a verdict was wrong, 77 skipped (not
root, or dockerd / nsenter / busybox-static missing).

Waits are deterministic: a backend is ready when its socket shows in
/proc/<pid>/net/tcp, a proxy when it listens or has exited, a failure when
the proxy's log holds its line; each wait has a timeout and nothing is
retried.
"""
import json
import os
import shutil
import socket
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DOCKER = "/usr/bin/docker"  # Debian's client; another one on PATH may speak only BuildKit
DOCKERD = shutil.which("dockerd") or "/usr/sbin/dockerd"
BUSYBOX = "/bin/busybox"
LAN_IP = "192.0.2.10"  # the lab namespace's "LAN" address (s_host_lan_ip)
SITE = "photos.example.com"

APP_PY = r'''
import http.server, socketserver, sys, time
host, port, delay = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        time.sleep(delay)
        body = b"hello from the app\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
print("app listening on %s:%d" % (host, port), flush=True)
S((host, port), H).serve_forever()
'''

NGINX_CONF = """user root;
worker_processes 1;
pid /tmp/nginx.pid;
error_log stderr warn;
events { worker_connections 64; }
http {
  access_log /dev/stdout;
  client_body_temp_path /tmp/cb; proxy_temp_path /tmp/pt; fastcgi_temp_path /tmp/ft;
  uwsgi_temp_path /tmp/ut; scgi_temp_path /tmp/st;
  include /etc/nginx/conf.d/*.conf;
}
"""

NGINX_SITE = """server {
  listen 80;
  server_name %(site)s;
  proxy_connect_timeout 2s;
  proxy_read_timeout 2s;
  location / {
    proxy_pass %(scheme)s://%(upstream)s;
  }
}
"""

CADDYFILE = """{
  admin off
  auto_https off
}
http://%(site)s {
  reverse_proxy %(scheme)s%(upstream)s {
    transport http {
      dial_timeout 2s
      read_timeout 2s%(tls)s
    }
  }
}
"""


def log(*a):
    print(*a, flush=True)


class Lab:
    def __init__(self, binary):
        self.binary = binary
        self.ns = "gw502dock%d" % os.getpid()
        self.dir = tempfile.mkdtemp(prefix="gw502dock.", dir="/tmp")
        self.sock = os.path.join(self.dir, "d.sock")
        self.dockerd = None
        self.ns_made = False

    # -- plumbing ---------------------------------------------------------
    def run(self, *args, check=True, timeout=60, netns=False, env=None):
        cmd = list(args)
        if netns:
            cmd = ["nsenter", "--net=/run/netns/" + self.ns] + cmd
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout, env=env)
        if check and p.returncode != 0:
            raise RuntimeError("%s: exit %d: %s" % (" ".join(cmd[:6]), p.returncode, p.stderr.decode(errors="replace")[-800:]))
        return p

    def docker(self, *args, check=True, timeout=60):
        return self.run(DOCKER, "-H", "unix://" + self.sock, *args, check=check, timeout=timeout)

    def inspect(self, name):
        p = self.docker("inspect", name, check=False)
        if p.returncode != 0:
            return None
        return json.loads(p.stdout)[0]

    def wait(self, what, cond, timeout=20.0, step=0.1):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            v = cond()
            if v:
                return v
            time.sleep(step)
        raise RuntimeError("timed out after %.0fs waiting for %s" % (timeout, what))

    def start(self):
        self.run("ip", "netns", "add", self.ns)
        self.ns_made = True
        self.run("ip", "-n", self.ns, "link", "set", "lo", "up")
        data, execroot = os.path.join(self.dir, "data"), os.path.join(self.dir, "exec")
        os.makedirs(data)
        os.makedirs(execroot)
        out = open(os.path.join(self.dir, "dockerd.log"), "wb")
        # `ip netns exec` remounts /sys and fails on the devices cgroup: nsenter.
        self.dockerd = subprocess.Popen(
            ["nsenter", "--net=/run/netns/" + self.ns, DOCKERD,
             "--data-root", data, "--exec-root", execroot, "--pidfile", os.path.join(self.dir, "dockerd.pid"),
             "-H", "unix://" + self.sock, "--storage-driver", "vfs", "--iptables=true",
             "--userland-proxy=false", "--bip", "10.212.0.1/24",
             # if a system containerd runs, dockerd uses it: keep apart from
             # another daemon's containers there
             "--containerd-namespace", "gw502lab", "--containerd-plugins-namespace", "gw502lab-plugins",
             "--default-address-pool", "base=10.213.0.0/16,size=24", "--log-level", "warn"],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

        def up():
            if self.dockerd.poll() is not None:
                raise RuntimeError("dockerd exited: " + open(os.path.join(self.dir, "dockerd.log")).read()[-1500:])
            return os.path.exists(self.sock) and self.docker("version", "--format", "{{.Server.APIVersion}}", check=False).returncode == 0
        self.wait("dockerd", up, timeout=60, step=0.2)
        # The image: busybox-static as /, Debian's /usr mounted at run time.
        ctx = os.path.join(self.dir, "ctx")
        for d in ("bin", "etc", "tmp", "proc", "sys", "dev", "usr", "var/tmp", "var/log", "run", "lab", "root"):
            os.makedirs(os.path.join(ctx, d), exist_ok=True)
        shutil.copy(BUSYBOX, os.path.join(ctx, "bin/busybox"))
        os.symlink("busybox", os.path.join(ctx, "bin/sh"))
        for l, t in (("lib", "usr/lib"), ("lib64", "usr/lib64"), ("sbin", "usr/sbin")):
            os.symlink(t, os.path.join(ctx, l))
        os.chmod(os.path.join(ctx, "tmp"), 0o1777)
        with open(os.path.join(ctx, "etc/passwd"), "w") as f:
            f.write("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\nwww-data:x:33:33::/:/bin/sh\n")
        with open(os.path.join(ctx, "etc/group"), "w") as f:
            f.write("root:x:0:\nnogroup:x:65534:\nwww-data:x:33:\n")
        with open(os.path.join(ctx, "etc/nsswitch.conf"), "w") as f:
            f.write("hosts: files dns\n")
        tar = subprocess.Popen(["tar", "-C", ctx, "-c", "."], stdout=subprocess.PIPE)
        p = subprocess.run([DOCKER, "-H", "unix://" + self.sock, "import", "-", "gw502lab:base"],
                           stdin=tar.stdout, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
        tar.wait()
        if p.returncode:
            raise RuntimeError("docker import: " + p.stderr.decode())
        with open(os.path.join(self.dir, "app.py"), "w") as f:
            f.write(APP_PY)

    def stop(self):
        """Removes every container, stops dockerd, unmounts what it left,
        deletes the namespace and the directory. Never raises."""
        def quiet(f):
            try:
                f()
            except Exception as e:  # cleanup goes on whatever failed
                log("cleanup: %s" % e)
        if self.dockerd and self.dockerd.poll() is None:
            def rm_all():
                ids = self.docker("ps", "-aq", check=False, timeout=30).stdout.decode().split()
                if ids:
                    self.docker("rm", "-f", *ids, check=False, timeout=120)
            quiet(rm_all)
            quiet(lambda: os.killpg(self.dockerd.pid, signal.SIGTERM))
            try:
                self.dockerd.wait(timeout=30)
            except subprocess.TimeoutExpired:
                quiet(lambda: os.killpg(self.dockerd.pid, signal.SIGKILL))
                quiet(lambda: self.dockerd.wait(timeout=10))
        # dockerd leaves mounts behind (its netns files, vfs layers): deepest first.
        def unmount():
            mounts = []
            for line in open("/proc/mounts"):
                mp = line.split()[1].replace("\\040", " ")
                if mp == self.dir or mp.startswith(self.dir + "/"):
                    mounts.append(mp)
            for mp in sorted(mounts, key=len, reverse=True):
                subprocess.run(["umount", "-l", mp], stderr=subprocess.DEVNULL)
        quiet(unmount)
        if self.ns_made:
            quiet(lambda: self.run("ip", "netns", "del", self.ns, check=False))
        quiet(lambda: shutil.rmtree(self.dir, ignore_errors=True))

    def reset(self):
        """Removes the previous setup's containers and networks."""
        ids = self.docker("ps", "-aq").stdout.decode().split()
        if ids:
            self.docker("rm", "-f", *ids, timeout=120)
        nets = self.docker("network", "ls", "--format", "{{.Name}}").stdout.decode().split()
        extra = [n for n in nets if n not in ("bridge", "host", "none")]
        if extra:
            self.docker("network", "rm", *extra)

    # -- containers -------------------------------------------------------
    def listens(self, name, port, timeout=20):
        def check():
            c = self.inspect(name)
            if not c or not c["State"]["Running"]:
                return False
            pid = c["State"]["Pid"]
            for f in ("tcp", "tcp6"):
                try:
                    rows = open("/proc/%d/net/%s" % (pid, f)).read().splitlines()[1:]
                except OSError:
                    continue
                for r in rows:
                    x = r.split()
                    if x[3] == "0A" and int(x[1].split(":")[1], 16) == port:
                        return True
            return False
        self.wait("%s to listen on %d" % (name, port), check, timeout)

    def app(self, name="app", network="front", bind="0.0.0.0", port=3000, delay=0, extra=()):
        args = ["run", "-d", "--name", name, "-v", "/usr:/usr:ro", "-v", self.dir + "/app.py:/lab/app.py:ro"]
        if network:
            args += ["--network", network]
        args += list(extra) + ["gw502lab:base", "/usr/bin/python3", "/lab/app.py", bind, str(port), str(delay)]
        self.docker(*args)
        self.listens(name, port)

    def nginx(self, upstream, scheme="http", network="front", name="proxy", extra_conf=None, expect_up=True):
        conf = os.path.join(self.dir, "nginx-" + name)
        shutil.rmtree(conf, ignore_errors=True)
        os.makedirs(conf + "/conf.d")
        open(conf + "/nginx.conf", "w").write(NGINX_CONF)
        open(conf + "/conf.d/site.conf", "w").write(extra_conf or NGINX_SITE % {"site": SITE, "scheme": scheme, "upstream": upstream})
        args = ["run", "-d", "--name", name, "-v", "/usr:/usr:ro", "-v", conf + ":/etc/nginx:ro"]
        if network:
            args += ["--network", network]
        self.docker(*(args + ["gw502lab:base", "/usr/sbin/nginx", "-e", "stderr", "-c", "/etc/nginx/nginx.conf",
                              "-g", "daemon off;"]))
        self.proxy_ready(name, 80, expect_up)

    def caddy(self, upstream, scheme="", network="front", name="proxy", tls=False):
        conf = os.path.join(self.dir, "caddy-" + name)
        shutil.rmtree(conf, ignore_errors=True)
        os.makedirs(conf)
        open(conf + "/Caddyfile", "w").write(CADDYFILE % {
            "site": SITE, "scheme": scheme, "upstream": upstream,
            "tls": "\n      tls\n      tls_insecure_skip_verify" if tls else ""})
        args = ["run", "-d", "--name", name, "-v", "/usr:/usr:ro", "-v", conf + ":/etc/caddy:ro",
                "-e", "HOME=/tmp", "-e", "XDG_DATA_HOME=/tmp", "-e", "XDG_CONFIG_HOME=/tmp"]
        if network:
            args += ["--network", network]
        self.docker(*(args + ["gw502lab:base", "/usr/bin/caddy", "run", "--config", "/etc/caddy/Caddyfile",
                              "--adapter", "caddyfile"]))
        self.proxy_ready(name, 80, True)

    def proxy_ready(self, name, port, expect_up):
        if expect_up:
            self.listens(name, port)
        else:  # nginx that cannot resolve its upstream exits at start
            self.wait(name + " to exit", lambda: (self.inspect(name) or {}).get("State", {}).get("Status") == "exited")

    def ip(self, name, network=None):
        c = self.inspect(name)
        nets = c["NetworkSettings"]["Networks"]
        if network:
            return nets[network]["IPAddress"]
        return next(v["IPAddress"] for v in nets.values() if v["IPAddress"])

    def request(self, proxy="proxy", n=2, timeout=8):
        # A proxy in the host's network (the namespace's) has no address of its own.
        nets = self.inspect(proxy)["NetworkSettings"]["Networks"]
        ip = self.ip(proxy) if any(v["IPAddress"] for v in nets.values()) else "127.0.0.1"
        codes = []
        for _ in range(n):
            p = self.run("curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-m", str(timeout),
                         "-H", "Host: " + SITE, "http://%s/" % ip, check=False, netns=True, timeout=timeout + 5)
            codes.append(p.stdout.decode())
        return codes

    def logged(self, name, words, timeout=15):
        def has():
            p = self.docker("logs", name, check=False)
            text = (p.stdout + p.stderr).decode(errors="replace")
            return any(w in text for w in words)
        self.wait("%s's log to show %s" % (name, words), has, timeout)

    def gw502(self, *extra):
        # Inside the namespace, where dockerd runs: the Docker host's own
        # interfaces (getifaddrs) are the namespace's.
        env = dict(os.environ, DOCKER_HOST="unix://" + self.sock)
        p = self.run(self.binary, "--docker", "--format", "json", *extra, check=False, env=env, timeout=120,
                     netns=True)
        if p.returncode not in (0, 1):
            raise RuntimeError("gw502-logs exit %d: %s" % (p.returncode, p.stderr.decode()))
        return json.loads(p.stdout)


# -- setups ---------------------------------------------------------------
# Each returns the findings of gw502-logs; the table checks root_cause.

class Skip(Exception):
    """A setup this machine cannot build (no veth or macvlan in its kernel, a
    host name that is localhost): left out of the table, said so."""


def net(lab, *names):
    for n in names:
        lab.docker("network", "create", n)


def fail_nginx(lab):
    lab.request()
    lab.logged("proxy", ["upstream", "connect()"])
    return lab.gw502("--container", "proxy")


def fail_caddy(lab):
    lab.request()
    lab.logged("proxy", ['"error"', "ERROR", "dial tcp", "lookup"])
    return lab.gw502("--container", "proxy")


def lan_address(lab):
    """The Docker host's "LAN" address, LAN_IP: a documentation address on
    the lab namespace's loopback device (traffic to it stays there)."""
    lab.run("ip", "addr", "replace", LAN_IP + "/32", "dev", "lo", netns=True)


def proxy_to(lab, proxy, upstream):
    """The proxy (nginx or Caddy) to `upstream`, requests through it, and
    gw502-logs' findings once the proxy has logged their failure."""
    (lab.nginx if proxy == "nginx" else lab.caddy)(upstream)
    return fail_nginx(lab) if proxy == "nginx" else fail_caddy(lab)


def proxy_to_unresolvable(lab, proxy, upstream):
    """The same for an upstream name that does not resolve: nginx exits at
    start (its stderr holds why), Caddy fails each request."""
    if proxy == "nginx":
        lab.nginx(upstream, expect_up=False)
        return lab.gw502("--container", "proxy")
    lab.caddy(upstream)
    return fail_caddy(lab)


def s_ok(lab, proxy):
    net(lab, "front")
    lab.app()
    (lab.nginx if proxy == "nginx" else lab.caddy)("app:3000")
    assert all(c == "200" for c in lab.request()), "the healthy control does not answer 200"
    return lab.gw502("--check")


def s_backend_down(lab, proxy):
    net(lab, "front")
    lab.app()
    (lab.nginx if proxy == "nginx" else lab.caddy)("app:3000")
    lab.docker("stop", "-t", "1", "app")
    return fail_nginx(lab) if proxy == "nginx" else fail_caddy(lab)


def s_wrong_port(lab, proxy):
    net(lab, "front")
    lab.app()
    return proxy_to(lab, proxy, "app:8080")


def s_host_port(lab, proxy):
    net(lab, "front")
    lab.app(extra=("-p", "9090:3000"))
    return proxy_to(lab, proxy, "app:9090")


def s_loopback_bind(lab, proxy):
    net(lab, "front")
    lab.app(bind="127.0.0.1")
    return proxy_to(lab, proxy, "app:3000")


def s_backend_slow(lab, proxy):
    net(lab, "front")
    lab.app(delay=4)
    (lab.nginx if proxy == "nginx" else lab.caddy)("app:3000")
    lab.request(n=1)
    lab.logged("proxy", ["timed out", "timeout", "deadline"])
    return lab.gw502("--container", "proxy")


def s_tls_mismatch(lab, proxy):
    net(lab, "front")
    lab.app()
    if proxy == "nginx":
        lab.nginx("app:3000", scheme="https")
        return fail_nginx(lab)
    lab.caddy("app:3000", tls=True)
    return fail_caddy(lab)


def s_no_shared_network(lab, proxy):
    net(lab, "front", "other")
    lab.app(network="other")
    return proxy_to_unresolvable(lab, proxy, "app:3000")


def s_default_bridge(lab, proxy):
    lab.app(network=None)
    if proxy == "nginx":
        lab.nginx("app:3000", network=None, expect_up=False)
        return lab.gw502("--container", "proxy")
    lab.caddy("app:3000", network=None)
    return fail_caddy(lab)


def s_name_unknown(lab, proxy):
    net(lab, "front")
    lab.app(name="immich")
    return proxy_to_unresolvable(lab, proxy, "imich:3000")


def s_host_network(lab, proxy):
    net(lab, "front")
    lab.app(network="host")
    return proxy_to_unresolvable(lab, proxy, "app:3000")


def s_vpn_netns(lab, proxy):
    # The app runs in a VPN client's network (compose: network_mode:
    # service:gluetun): it has no network and no name of its own; the proxy
    # has to reach it as vpn:3000.
    net(lab, "front")
    lab.docker("run", "-d", "--name", "vpn", "--network", "front", "gw502lab:base", "/bin/busybox", "sleep", "600")
    lab.app(network="container:vpn")
    return proxy_to_unresolvable(lab, proxy, "app:3000")


def s_host_lan_ip(lab, proxy):
    # NPM's Forward Hostname as the Docker host's LAN address and the app's
    # published port; the app has stopped. The "LAN" address is a
    # documentation address on the lab namespace's loopback device (no dummy
    # devices needed; traffic to it stays in the namespace).
    net(lab, "front")
    lan_address(lab)
    lab.app(extra=("-p", "9090:3000"))
    (lab.nginx if proxy == "nginx" else lab.caddy)(LAN_IP + ":9090")
    lab.docker("stop", "-t", "1", "app")
    return fail_nginx(lab) if proxy == "nginx" else fail_caddy(lab)


def s_restarted(lab, proxy):
    # The app was down while requests failed and has been started since:
    # serving now, but not then (Caddy's times have a zone to set against
    # the daemon's StartedAt).
    net(lab, "front")
    lab.app()
    lab.caddy("app:3000")
    lab.docker("stop", "-t", "1", "app")
    lab.request()
    lab.logged("proxy", ['"error"', "ERROR", "dial tcp", "lookup"])
    lab.docker("start", "app")
    lab.listens("app", 3000)
    return lab.gw502("--container", "proxy")


def s_loopback_publish(lab, proxy):
    # ports: "127.0.0.1:9090:3000", and the proxy uses the host's address:
    # the mapping is on the host's loopback only.
    net(lab, "front")
    lan_address(lab)
    lab.app(extra=("-p", "127.0.0.1:9090:3000"))
    return proxy_to(lab, proxy, LAN_IP + ":9090")


def s_outside_docker(lab, proxy):
    # An upstream on another machine (a NAS on the LAN): no container holds
    # it, nor this host. The lab's namespace has no route out, so the
    # connection fails at once inside it.
    net(lab, "front")
    return proxy_to(lab, proxy, "192.0.2.99:5000")


def s_macvlan(lab, proxy):
    # An app with its own LAN address on a macvlan network (Home Assistant,
    # Pi-hole), a proxy in the host's network: the host cannot reach its own
    # macvlan containers. The "LAN" is a veth pair inside the lab's namespace,
    # the host's address on it in the same documentation subnet.
    made = lab.run("ip", "link", "add", "lanA", "type", "veth", "peer", "name", "lanB", netns=True, check=False)
    if made.returncode != 0 and b"File exists" not in made.stderr:
        raise Skip("no veth pair: " + made.stderr.decode().strip())
    probe = lab.run("ip", "link", "add", "mvprobe", "link", "lanA", "type", "macvlan", netns=True, check=False)
    if probe.returncode != 0:
        raise Skip("no macvlan: " + probe.stderr.decode().strip())
    lab.run("ip", "link", "del", "mvprobe", netns=True)
    lab.run("ip", "addr", "replace", "198.51.100.1/24", "dev", "lanA", netns=True)
    for dev in ("lanA", "lanB"):
        lab.run("ip", "link", "set", dev, "up", netns=True)
    lab.docker("network", "create", "-d", "macvlan", "--subnet", "198.51.100.0/24", "--gateway", "198.51.100.254",
               "-o", "parent=lanA", "lan")
    lab.app(network="lan", extra=("--ip", "198.51.100.60"))
    lab.nginx("198.51.100.60:3000", network="host")
    return fail_nginx(lab)


def s_host_name(lab, proxy):
    # The Docker host's own name as the upstream: known to the host (its
    # /etc/hosts, mDNS), not to Docker's DNS inside the containers.
    # (the app has a name no machine is likely to have)
    if socket.gethostname().lower().startswith("localhost"):
        raise Skip("this machine's name is " + socket.gethostname())
    net(lab, "front")
    lab.app(name="gw502-media", extra=("-p", "9090:3000"))
    lab.caddy(socket.gethostname() + ":9090")
    return fail_caddy(lab)


def s_starting(lab, proxy):
    # The app's container runs, but its server has not opened its port yet
    # (a long start: migrations, an index build); its healthcheck says
    # "starting" for a minute.
    net(lab, "front")
    lab.docker("run", "-d", "--name", "app", "--network", "front", "--health-cmd", "/bin/busybox false",
               "--health-interval", "60s", "--health-start-period", "60s", "gw502lab:base", "/bin/busybox", "sleep", "600")
    return proxy_to(lab, proxy, "app:3000")


def s_stale_address(lab, proxy):
    # nginx resolves app once, at start; app comes back with another
    # address after a squatter took its old one (Docker hands out the
    # lowest free address).
    net(lab, "front")
    lab.app()
    old = lab.ip("app")
    lab.nginx("app:3000")
    lab.docker("stop", "-t", "1", "app")
    lab.app(name="squatter", port=4000)
    assert lab.ip("squatter") == old, "the squatter did not get app's old address"
    lab.docker("start", "app")
    lab.listens("app", 3000)
    assert lab.ip("app") != old
    return fail_nginx(lab)


def s_npm(lab, proxy):
    """NPM's proxy_host template (as NPM renders it) on Debian's nginx,
    with /data/nginx and /data/logs where NPM keeps them; the app listens
    on loopback only."""
    net(lab, "front")
    lab.app(bind="127.0.0.1")
    data = os.path.join(lab.dir, "npm-data")
    shutil.rmtree(data, ignore_errors=True)
    os.makedirs(data + "/nginx/proxy_host")
    os.makedirs(data + "/logs")
    conf = os.path.join(lab.dir, "npm-etc")
    shutil.rmtree(conf, ignore_errors=True)
    os.makedirs(conf + "/conf.d/include")
    open(conf + "/nginx.conf", "w").write(NGINX_CONF.replace("include /etc/nginx/conf.d/*.conf;",
                                                            "include /data/nginx/proxy_host/*.conf;"))
    open(conf + "/conf.d/include/proxy.conf", "w").write(
        "add_header X-Served-By $host;\nproxy_set_header Host $host;\n"
        "proxy_pass $forward_scheme://$server:$port$request_uri;\n")
    # NPM 2.15.1's proxy_host template, rendered for one host (no SSL, no
    # access list, no advanced config).
    open(data + "/nginx/proxy_host/1.conf", "w").write("""# ------------------------------------------------------------
# %(site)s
# ------------------------------------------------------------

server {
  set $forward_scheme http;
  set $server         "app";
  set $port           3000;

  listen 80;
  server_name %(site)s;

  access_log /data/logs/proxy-host-1_access.log;
  error_log /data/logs/proxy-host-1_error.log warn;

  location / {
    include conf.d/include/proxy.conf;
  }
}
""" % {"site": SITE})
    # NPM proxies resolve through Docker's DNS at request time.
    open(conf + "/conf.d/resolvers.conf", "w").write("resolver 127.0.0.11 valid=10s;\n")
    text = open(conf + "/nginx.conf").read().replace("http {\n", "http {\n  include /etc/nginx/conf.d/resolvers.conf;\n")
    open(conf + "/nginx.conf", "w").write(text)
    lab.docker("run", "-d", "--name", "proxy", "--network", "front", "-v", "/usr:/usr:ro",
               "-v", conf + ":/etc/nginx:ro", "-v", data + ":/data", "gw502lab:base",
               "/usr/sbin/nginx", "-e", "stderr", "-c", "/etc/nginx/nginx.conf", "-g", "daemon off;")
    lab.listens("proxy", 80)
    lab.request()
    lab.wait("NPM's error log", lambda: os.path.getsize(data + "/logs/proxy-host-1_error.log") > 0, 15)
    return lab.gw502("--container", "proxy", "--proxy", "npm")


SETUPS = [
    # name, proxy, function, expected root_cause
    ("ok", "nginx", s_ok, "ok"),
    ("backend_down", "nginx", s_backend_down, "backend_down"),
    ("wrong_port", "nginx", s_wrong_port, "wrong_port"),
    ("host_port", "nginx", s_host_port, "host_port"),
    ("loopback_bind", "nginx", s_loopback_bind, "loopback_bind"),
    ("backend_slow", "nginx", s_backend_slow, "backend_slow"),
    ("tls_mismatch", "nginx", s_tls_mismatch, "tls_mismatch"),
    ("no_shared_network", "nginx", s_no_shared_network, "no_shared_network"),
    ("default_bridge", "nginx", s_default_bridge, "no_shared_network"),
    ("name_unknown", "nginx", s_name_unknown, "name_unknown"),
    ("host_network", "nginx", s_host_network, "host_network"),
    ("stale_address", "nginx", s_stale_address, "stale_address"),
    ("vpn_netns", "nginx", s_vpn_netns, "no_shared_network", "http://vpn:3000"),
    ("host_lan_ip", "nginx", s_host_lan_ip, "backend_down", "app"),
    ("starting", "nginx", s_starting, "backend_down", "docker compose logs app"),
    ("loopback_publish", "nginx", s_loopback_publish, "loopback_bind", "http://app:3000"),
    ("outside_docker", "nginx", s_outside_docker, "unknown", "docker exec proxy wget"),
    ("macvlan", "nginx", s_macvlan, "no_shared_network", "bridge network"),
    ("ok", "caddy", s_ok, "ok"),
    ("backend_down", "caddy", s_backend_down, "backend_down"),
    ("wrong_port", "caddy", s_wrong_port, "wrong_port"),
    ("host_port", "caddy", s_host_port, "host_port"),
    ("loopback_bind", "caddy", s_loopback_bind, "loopback_bind"),
    ("backend_slow", "caddy", s_backend_slow, "backend_slow"),
    ("tls_mismatch", "caddy", s_tls_mismatch, "tls_mismatch"),
    ("no_shared_network", "caddy", s_no_shared_network, "no_shared_network"),
    ("default_bridge", "caddy", s_default_bridge, "no_shared_network"),
    ("name_unknown", "caddy", s_name_unknown, "name_unknown"),
    ("host_network", "caddy", s_host_network, "host_network"),
    ("vpn_netns", "caddy", s_vpn_netns, "no_shared_network", "vpn:3000"),
    ("host_name", "caddy", s_host_name, "name_unknown", "host.docker.internal"),
    ("restarted", "caddy", s_restarted, "backend_down", "docker compose logs app"),
    ("loopback_bind", "npm", s_npm, "loopback_bind"),
]


def main():
    args = sys.argv[1:]
    if not args:
        print(__doc__)
        return 2
    binary = os.path.abspath(args[0])
    only = None
    if "--only" in args:
        only = set(args[args.index("--only") + 1].split(","))
    missing = [t for t in ("nsenter", "ip", "curl", "tar") if not shutil.which(t)]
    missing += [p for p in (DOCKERD, DOCKER, BUSYBOX, "/usr/bin/python3", "/usr/sbin/nginx", "/usr/bin/caddy")
                if not os.path.exists(p)]
    if os.geteuid() != 0 or missing:
        print("SKIP: the Docker lab needs root and %s" % (", ".join(missing) or "root"))
        return 77
    lab = Lab(binary)
    rows = []
    t0 = time.monotonic()
    try:
        lab.start()
        api = lab.docker("version", "--format", "{{.Server.Version}} API {{.Server.APIVersion}}").stdout.decode().strip()
        log("private dockerd %s in netns %s, set-up %.1fs" % (api, lab.ns, time.monotonic() - t0))
        # (a setup's fifth field, when given: words its fix must hold)
        for name, proxy, fn, want, *fix_words in SETUPS:
            if only and name not in only and proxy not in only:
                continue
            t = time.monotonic()
            got, note = "-", ""
            try:
                lab.reset()
                out = fn(lab, proxy)
                causes = [f["root_cause"] for f in out["findings"]]
                got = causes[0] if len(set(causes)) == 1 else ",".join(causes) or "(no finding)"
                if want in causes and len(set(causes)) == 1:
                    f = out["findings"][0]
                    note = f["summary"][:90]
                    lacking = [w for w in fix_words if w not in f["fix"]]
                    if lacking:
                        got, note = got + " (fix without %s)" % ", ".join(lacking), f["fix"][:300]
                else:
                    note = json.dumps(out["findings"])[:1500]
            except Skip as e:
                log("%-18s %-6s skipped: %s" % (name, proxy, e))
                continue
            except Exception as e:  # a setup that breaks is a wrong row, not a crash
                note = "setup error: %s" % e
            rows.append((name, proxy, want, got, got == want, time.monotonic() - t, note))
            log("%-18s %-6s %-18s %-18s %-5s %5.1fs  %s" % (name, proxy, want, got, "right" if got == want else "WRONG",
                                                           rows[-1][5], note))
    except Exception as e:
        log("lab error: %s" % e)
        rows.append(("(lab)", "-", "-", "-", False, 0, str(e)))
    finally:
        t = time.monotonic()
        lab.stop()
        log("cleanup %.1fs" % (time.monotonic() - t))
    right = sum(1 for r in rows if r[4])
    log("")
    log("| setup | proxy | expected | verdict | right | seconds |")
    log("|---|---|---|---|---|---|")
    for r in rows:
        log("| %s | %s | %s | %s | %s | %.1f |" % (r[0], r[1], r[2], r[3], "yes" if r[4] else "NO", r[5]))
    log("")
    log("total %.1fs" % (time.monotonic() - t0))
    log("%d passed, %d failed" % (right, len(rows) - right))
    return 0 if right == len(rows) and rows else 1


if __name__ == "__main__":
    sys.exit(main())
