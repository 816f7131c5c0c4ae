"""Proxy drivers: write a config for a scenario, start, stop.

Both drivers take a `Hooks` object so later work (the nginx module, the Caddy
bridge) can reuse every scenario with extra configuration: `load_module` at
the top of nginx.conf, directives in http{}/server{}/location{}, an access
log format carrying $gw502_cause, extra Caddyfile global options, site
directives (handle_errors) and whole extra site blocks, other binaries.
"""

import os
import pwd
import grp
from dataclasses import dataclass, field

from .matchers import M
from .util import LOOPBACK, command_output, render, start_process, stop_process, wait_listening


@dataclass
class Hooks:
    # nginx
    nginx_binary: str = "nginx"
    nginx_main: str = ""  # top of nginx.conf, before anything (load_module ...)
    nginx_http: str = ""  # inside http{}, before the scenario's http fragment
    nginx_server: str = ""  # inside the proxy server{}
    nginx_location: str = ""  # inside location /, before the scenario's directives
    nginx_log_format: str = ""  # body of `log_format lab ...`; default: combined
    nginx_error_level: str = "info"
    # caddy
    caddy_binary: str = "caddy"
    caddy_global: str = ""  # inside the global options block
    caddy_site: str = ""  # inside the proxy site block, before the scenario's directives
    caddy_extra: str = ""  # extra top-level Caddyfile text (other sites)
    caddy_env: dict = field(default_factory=dict)
    # both: more matchers (e.g. lines a module adds), per proxy name
    extra_matchers: dict = field(default_factory=dict)
    # called as hook(ctx) after backends started, before the proxy starts;
    # may add placeholders (e.g. a sidecar's socket path)
    before_proxy: object = None


def _user_ids(user):
    pw = pwd.getpwnam(user)
    group = "nogroup" if _group_exists("nogroup") else grp.getgrgid(pw.pw_gid).gr_name
    return pw.pw_uid, grp.getgrnam(group).gr_gid, group


def _group_exists(name):
    try:
        grp.getgrnam(name)
        return True
    except KeyError:
        return False


# ---------------------------------------------------------------------------
# nginx

NGINX_CONF = """\
# gw502 lab: {{proxy}} / {{scenario}}
{{hook_main}}
worker_processes 1;
error_log {{dir}}/error.log {{error_level}};
{{user_line}}
events {
    worker_connections 256;
}
http {
    {{log_format_line}}
    access_log {{dir}}/access.log {{access_format}};
    client_body_temp_path {{dir}}/tmp/client_body;
    proxy_temp_path {{dir}}/tmp/proxy;
    fastcgi_temp_path {{dir}}/tmp/fastcgi;
    uwsgi_temp_path {{dir}}/tmp/uwsgi;
    scgi_temp_path {{dir}}/tmp/scgi;
    {{hook_http}}
    {{case_http}}
    server {
        listen 127.0.0.1:{{proxy_port}};
        server_name lab.test;
        {{hook_server}}
        location / {
            {{hook_location}}
            {{case_conf}}
        }
    }
}
"""

# Lines nginx writes at info/notice level whatever the scenario: start-up,
# shutdown, clients closing their keepalive connections.
_NG = r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[(?:notice|info)\] \d+#\d+: "
NGINX_NOISE = [
    M(_NG + r'using the "\w+" event method$'),
    M(_NG + r"nginx/\S+$"),
    M(_NG + r"built by "),
    M(_NG + r"built with OpenSSL "),
    M(_NG + r"OS: "),
    M(_NG + r"getrlimit\(RLIMIT_NOFILE\): "),
    M(_NG + r"start worker processes$"),
    M(_NG + r"start worker process \d+$"),
    M(_NG + r"signal \d+ \(SIG\w+\) received(?: from \d+)?, (?:exiting|reconfiguring|shutting down)$"),
    M(_NG + r"signal \d+ \(SIGCHLD\) received from \d+$"),
    # The timer signal nginx logs at notice level now and then (a worker's
    # timer resolution / resolver timeouts): seen once in a module lab run.
    M(_NG + r"signal \d+ \(SIGALRM\) received$"),
    M(_NG + r"worker process \d+ exited with code \d+$"),
    M(_NG + r"(?:exiting|exit|gracefully shutting down)$"),
    M(_NG + r"\*\d+ client [\d.]+ closed keepalive connection$"),
]


class Nginx:
    name = "nginx"
    json_lines = False
    noise = NGINX_NOISE
    config_name = "nginx.conf"

    def __init__(self, hooks):
        self.hooks = hooks
        self.proc = None

    def version(self):
        return command_output([self.hooks.nginx_binary, "-v"])

    def can_run_as(self, user):
        return os.geteuid() == 0

    def start(self, ctx, case):
        h = self.hooks
        d = ctx["dir"]
        os.makedirs(os.path.join(d, "tmp"), exist_ok=True)
        user_line = ""
        if case.user:
            _, _, group = _user_ids(case.user)
            user_line = f"user {case.user} {group};"
        values = dict(ctx)
        values.update(
            hook_main=render(h.nginx_main, ctx),
            hook_http=render(h.nginx_http, ctx),
            hook_server=render(h.nginx_server, ctx),
            hook_location=render(h.nginx_location, ctx),
            case_http=render(case.http, ctx),
            case_conf=render(case.conf, ctx),
            error_level=h.nginx_error_level,
            user_line=user_line,
            log_format_line=f"log_format lab {h.nginx_log_format};" if h.nginx_log_format else "",
            access_format="lab" if h.nginx_log_format else "combined",
        )
        conf = os.path.join(d, self.config_name)
        with open(conf, "w") as f:
            f.write(render(NGINX_CONF, values))
        argv = [h.nginx_binary, "-e", f"{d}/error.log", "-p", d + "/", "-c", conf,
                "-g", f"daemon off; pid {d}/nginx.pid;"]
        self.proc = start_process(argv, log_path=os.path.join(d, "proxy.out"), cwd=d)
        wait_listening(LOOPBACK, ctx["proxy_port"], self.proc, what="nginx")

    def stop(self):
        stop_process(self.proc)  # SIGTERM: fast shutdown
        self.proc = None


# ---------------------------------------------------------------------------
# Caddy

CADDYFILE = """\
# gw502 lab: {{proxy}} / {{scenario}}
{
\tadmin off
\tauto_https off
\tgrace_period 1s
\tstorage file_system {{dir}}/caddy-data
\tlog {
\t\toutput file {{dir}}/error.log
\t\tformat json
\t\tlevel DEBUG
\t}
{{hook_global}}
{{case_http}}
}

http://127.0.0.1:{{proxy_port}} {
\tbind 127.0.0.1
\tlog {
\t\toutput file {{dir}}/access.log
\t\tformat json
\t}
{{hook_site}}
{{case_conf}}
}
{{hook_extra}}
"""

# Caddy's own start-up/shutdown entries and reverse_proxy's DEBUG chatter.
# The "upstream roundtrip" DEBUG entry repeats the error of the http.log.error
# entry for the same request; it is labelled noise so a failure counts once.
CADDY_NOISE = [
    M(logger=r"^admin$", msg=r"^admin endpoint disabled$"),
    M(logger=r"^http$", msg=r"^server is listening only on the HTTP port"),
    M(logger=r"^http$", msg=r"^automatic HTTPS is completely disabled for server$"),
    M(logger=r"^http$", msg=r"^enabling HTTP/3 listener$"),
    M(logger=r"^http\.log$", msg=r"^server running$"),
    M(logger=r"^http$", msg=r"^servers shutting down with eternal grace period$"),
    M(logger=r"^http$", msg=r"^servers shutting down; grace period initiated$"),
    M(logger=r"^http$", msg=r"^server running$"),
    M(logger=r"^http$", msg=r"^starting server loop$"),
    M(logger=r"^http$", msg=r"^(?:stopped previous server|server shutting down)"),
    M(logger=r"^tls\.cache\.maintenance$", msg=r"^(?:started|stopped) background certificate maintenance$"),
    M(logger=r"^tls$", msg=r"^(?:cleaning storage unit|finished cleaning storage units|"
                            r"storage cleaning happened too recently; skipping for now)$"),
    M(line=r'^\{"level":"\w+","ts":[\d.e+]+,"msg":"(?:serving initial configuration|'
           r'shutting down apps, then terminating|shutdown complete|'
           r'autosaved config \(load with --resume flag\)|'
           r'exiting; byeee!! 👋|'
           r'using provided configuration|'
           r'Caddyfile input is not formatted;[^"]*)"'),
    M(logger=r"^http\.handlers\.reverse_proxy$", msg=r"^(?:selected upstream|upstream roundtrip|handling response)$"),
    M(logger=r"^http\.reverse_proxy\.transport\.fastcgi$", msg=r"^roundtrip$"),
]


class Caddy:
    name = "caddy"
    json_lines = True
    noise = CADDY_NOISE
    config_name = "Caddyfile"

    def __init__(self, hooks):
        self.hooks = hooks
        self.proc = None

    def version(self):
        return command_output([self.hooks.caddy_binary, "version"])

    def can_run_as(self, user):
        return os.geteuid() == 0

    def start(self, ctx, case):
        h = self.hooks
        d = ctx["dir"]
        home = os.path.join(d, "caddy-home")
        for sub in ("caddy-home", "caddy-data", "caddy-home/config", "caddy-home/data"):
            os.makedirs(os.path.join(d, sub), exist_ok=True)
        values = dict(ctx)
        values.update(
            hook_global=render(h.caddy_global, ctx),
            hook_site=render(h.caddy_site, ctx),
            hook_extra=render(h.caddy_extra, ctx),
            case_http=render(case.http, ctx),
            case_conf=render(case.conf, ctx),
        )
        conf = os.path.join(d, self.config_name)
        with open(conf, "w") as f:
            f.write(render(CADDYFILE, values))
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": home,
            "XDG_CONFIG_HOME": os.path.join(home, "config"),
            "XDG_DATA_HOME": os.path.join(home, "data"),
        }
        env.update({k: render(v, ctx) for k, v in h.caddy_env.items()})
        user = group = None
        if case.user:
            uid, gid, group = _user_ids(case.user)
            user = case.user
            # Caddy itself runs as the user: it must own its files.
            for root, dirs, files in os.walk(d):
                for name in dirs + files:
                    p = os.path.join(root, name)
                    if not p.endswith(".sock"):
                        os.chown(p, uid, gid)
            os.chown(d, uid, gid)
        argv = [h.caddy_binary, "run", "--config", conf, "--adapter", "caddyfile"]
        self.proc = start_process(argv, log_path=os.path.join(d, "proxy.out"), env=env, cwd=d,
                                  user=user, group=group)
        wait_listening(LOOPBACK, ctx["proxy_port"], self.proc, what="caddy")

    def stop(self):
        stop_process(self.proc)  # SIGTERM: graceful, grace_period 1s
        self.proc = None


PROXIES = {"nginx": Nginx, "caddy": Caddy}
