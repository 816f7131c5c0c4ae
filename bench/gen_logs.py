#!/usr/bin/env python3
"""Deterministic log generator for the benchmarks (fixed seed).

  gen_logs.py KIND SIZE OUT [--shape SHAPE]
      KIND:  nginx | caddy | traefik2 | traefik3
      SIZE:  bytes, with K/M/G suffix (default 1G)
      SHAPE: base (default) | multisite | hostflood

Shapes (the same for every KIND; hostflood is meant for nginx):
  base       5 hosts, 5 upstreams, ~15 % upstream failures of many kinds among
             ordinary notice/warn/info noise and client-side TLS errors.
  multisite  a fleet behind one proxy: 40 sites, 60 upstream services whose pod
             addresses change over the day as pods restart (each service
             restarts every 2-12 hours; the file spans one day whatever its
             size), 25 % failures: thousands of (site, upstream, cause) groups.
  hostflood  every failure names a new Host header and a new client (a scanner
             or a wildcard DNS name under attack), 25 % failures: as many
             groups as failures, unless the analyser bounds them.

The number of upstream-failure lines written goes to OUT.failures, for the
harness to check counts against."""
import random
import sys

FAILURES_NGINX = [
    "connect() failed (111: Connection refused) while connecting to upstream",
    "upstream timed out (110: Connection timed out) while reading response header from upstream",
    "upstream timed out (110: Connection timed out) while connecting to upstream",
    "no live upstreams while connecting to upstream",
    "upstream prematurely closed connection while reading response header from upstream",
    "recv() failed (104: Connection reset by peer) while reading response header from upstream",
    "upstream sent too big header while reading response header from upstream",
    "connect() to unix:/run/php/php8.2-fpm.sock failed (2: No such file or directory) while connecting to upstream",
    "SSL_do_handshake() failed (SSL: error:0A00010B:SSL routines::wrong version number) while SSL handshaking to upstream",
    "upstream SSL certificate verify error: (18:self-signed certificate) while SSL handshaking to upstream",
    "connect() failed (113: No route to host) while connecting to upstream",
    "upstream sent invalid header: \"\\x15\\x03\\x01\\x00\\x02\\x02\" while reading response header from upstream",
]
# Ordinary lines of a busy proxy. None matches a cause rule of the catalogue,
# so gw502-logs, rg and grep must count the same lines (the harness checks);
# several carry words the failures have too ("upstream", "failed (").
NOISE_NGINX = [
    ("notice", 'signal process started'),
    ("info", "client 10.1.2.3 closed keepalive connection"),
    ("crit", "SSL_do_handshake() failed (SSL: error:0A00006C:SSL routines::bad key share) while SSL handshaking"),
    ("error", "open() \"/usr/share/nginx/html/favicon.ico\" failed (2: No such file or directory)"),
    ("notice", '"GET /health" matched'),
    ("warn", "a client request body is buffered to a temporary file /var/cache/nginx/client_temp/0000000042"),
    ("warn", "upstream server temporarily disabled"),
    ("info", "client timed out (110: Connection timed out) while waiting for request"),
]
HOSTS = ["app.example.com", "cloud.example.com", "photos.example.com", "grafana.example.com", "wiki.example.com"]
UPSTREAMS = ["172.18.0.5:3000", "172.18.0.7:80", "127.0.0.1:8080", "172.17.0.1:2283", "10.0.3.4:9000"]
PATHS = ["/", "/api/v1/items?page=2", "/login", "/static/app.3f9a.js", "/remote.php/dav/files/anna/Photos"]


# multisite: 40 sites, 60 services (each site its own, 20 shared backends:
# an auth service, an API gateway, ...); a pod's address changes when the
# service restarts.
SITES = ["%s.%s" % (n, d) for n in ("shop", "api", "auth", "cdn", "blog", "mail", "git", "ci", "docs", "chat")
         for d in ("example.com", "example.org", "example.net", "example.io")]
SERVICE_PORTS = [3000, 8080, 80, 9000, 5000, 8000, 8443, 2283]
LINES_PER_BYTE = {"nginx": 1 / 237.0, "caddy": 1 / 441.0, "traefik2": 1 / 163.0, "traefik3": 1 / 194.0}


class Shape:
    """Where a line goes (host, upstream, client) and when, for one shape."""

    def __init__(self, name, kind, size):
        self.name = name
        self.fail = 0.15 if name == "base" else 0.25
        # multisite spans one day whatever the size; base keeps 50 lines/s
        self.lines = max(1, int(size * LINES_PER_BYTE[kind]))
        self.flood = 0

    def seconds(self, i):
        if self.name == "multisite":
            return i * 86400 // self.lines
        return i // 50

    def pick(self, rng, i, failure):
        """(host, upstream, client) of line i."""
        if self.name == "base":
            return rng.choice(HOSTS), rng.choice(UPSTREAMS), "10.%d.%d.%d" % (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        if self.name == "hostflood":
            if failure:
                self.flood += 1
                n = self.flood
                return ("h%07d.wild.example.com" % n, rng.choice(UPSTREAMS),
                        "%d.%d.%d.%d" % (11 + n // 16777216 % 200, n // 65536 % 256, n // 256 % 256, n % 256))
            return rng.choice(HOSTS), rng.choice(UPSTREAMS), "10.%d.%d.%d" % (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        site = rng.randrange(len(SITES))
        service = site if rng.random() < 0.6 else 40 + site % 20
        period = 2 + (service * 7) % 11  # hours between restarts
        epoch = (self.seconds(i) + service * 977) // (period * 3600)
        pod = 2 + (service * 131 + epoch * 53) % 250
        up = "10.42.%d.%d:%d" % (service, pod, SERVICE_PORTS[service % len(SERVICE_PORTS)])
        return SITES[site], up, "192.168.%d.%d" % (rng.randrange(256), rng.randrange(256))


def size_arg(s):
    mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    return int(float(s[:-1]) * mult[s[-1]]) if s[-1] in mult else int(s)


def nginx_line(rng, i, shape):
    sec = shape.seconds(i)
    ts = "2026/11/%02d %02d:%02d:%02d" % (1 + sec // 86400 % 28, sec // 3600 % 24, sec // 60 % 60, sec % 60)
    if shape.name == "base":  # the draws in the order of the first generator: the same file
        host, up, path = rng.choice(HOSTS), rng.choice(UPSTREAMS), rng.choice(PATHS)
        client = "10.%d.%d.%d" % (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        failure = rng.random() < shape.fail
    else:
        failure = rng.random() < shape.fail
        host, up, client = shape.pick(rng, i, failure)
        path = rng.choice(PATHS)
    ctx = ', client: %s, server: %s, request: "GET %s HTTP/1.1"' % (client, host, path)
    if failure:
        msg = rng.choice(FAILURES_NGINX)
        return '%s [error] 29#29: *%d %s%s, upstream: "http://%s%s", host: "%s"\n' % (ts, i, msg, ctx, up, path, host)
    level, msg = rng.choice(NOISE_NGINX)
    if "while" in msg and "upstream" in msg:
        return '%s [%s] 29#29: *%d %s%s, upstream: "http://%s%s", host: "%s"\n' % (ts, level, i, msg, ctx, up, path, host)
    return '%s [%s] 29#29: *%d %s%s, host: "%s"\n' % (ts, level, i, msg, ctx, host)


GO_ERRORS = [
    ("dial tcp {u}: connect: connection refused", 502),
    ("dial tcp {u}: i/o timeout", 502),
    ("dial tcp: lookup backend on 127.0.0.11:53: no such host", 502),
    ("net/http: timeout awaiting response headers", 504),
    ("EOF", 502),
    ("read tcp 172.18.0.2:41234->{u}: read: connection reset by peer", 502),
    ("tls: first record does not look like a TLS handshake", 502),
    ("tls: failed to verify certificate: x509: certificate signed by unknown authority", 502),
]


def caddy_line(rng, i, shape):
    ts = 1764000000 + (shape.seconds(i) if shape.name == "multisite" else i / 50.0)
    if shape.name == "base":  # the first generator's order of draws
        host, up, path = rng.choice(HOSTS), rng.choice(UPSTREAMS), rng.choice(PATHS)
        client = "10.0.0.%d" % rng.randrange(256)
        failure = None
    else:
        failure = rng.random() < shape.fail
        host, up, client = shape.pick(rng, i, failure)
        path = rng.choice(PATHS)
    req = ('{"remote_ip":"%s","remote_port":"5%04d","proto":"HTTP/1.1","method":"GET","host":"%s","uri":"%s",'
           '"headers":{"User-Agent":["Mozilla/5.0 (X11; Linux x86_64)"],"Accept":["*/*"]}}' % (client, rng.randrange(10000), host, path))
    if failure is None:
        failure = rng.random() < shape.fail
    if failure:
        err, status = rng.choice(GO_ERRORS)
        err = err.format(u=up)
        return ('{"level":"error","ts":%.6f,"logger":"http.log.error","msg":"%s","request":%s,"duration":0.0012,'
                '"status":%d,"err_id":"%09d","err_trace":"reverseproxy.statusError (reverseproxy.go:1299)"}\n'
                % (ts, err, req, status, rng.randrange(10 ** 9)))
    return ('{"level":"info","ts":%.6f,"logger":"http.log.access","msg":"handled request","request":%s,"bytes_read":0,'
            '"user_id":"","duration":0.0031,"size":5120,"status":200,"resp_headers":{"Content-Type":["text/html"]}}\n' % (ts, req))


def go_time(i, shape):
    if shape.name == "base":
        return "2026-11-24T10:%02d:%02dZ" % (i // 3000 % 60, i // 50 % 60)
    sec = shape.seconds(i)
    return "2026-11-%02dT%02d:%02d:%02dZ" % (24 + sec // 86400 % 5, sec // 3600 % 24, sec // 60 % 60, sec % 60)


def traefik2_line(rng, i, shape):
    ts = go_time(i, shape)
    if rng.random() < shape.fail:
        err, _ = rng.choice(GO_ERRORS)
        err = err.format(u=rng.choice(UPSTREAMS) if shape.name == "base" else shape.pick(rng, i, True)[1])
        return 'time="%s" level=debug msg="\'502 Bad Gateway\' caused by: %s"\n' % (ts, err)
    return 'time="%s" level=debug msg="vulcand/oxy/roundrobin/rr: completed ServeHttp on request" Request="{\\"Method\\":\\"GET\\",\\"URL\\":{\\"Path\\":\\"%s\\"}}"\n' % (ts, rng.choice(PATHS))


def traefik3_line(rng, i, shape):
    ts = go_time(i, shape)
    if rng.random() < shape.fail:
        err, status = rng.choice(GO_ERRORS)
        err = err.format(u=rng.choice(UPSTREAMS) if shape.name == "base" else shape.pick(rng, i, True)[1])
        return ('{"level":"debug","error":"%s","time":"%s","caller":"github.com/traefik/traefik/v3/pkg/proxy/httputil/proxy.go:113",'
                '"message":"%d %s"}\n' % (err, ts, status, "Bad Gateway" if status == 502 else "Gateway Timeout"))
    return '{"level":"debug","time":"%s","caller":"github.com/traefik/traefik/v3/pkg/server/service/loadbalancer/wrr/wrr.go:196","message":"Service selected by WRR: %s"}\n' % (ts, rng.choice(UPSTREAMS))


def main():
    args = list(sys.argv[1:])
    shape_name = "base"
    if "--shape" in args:
        at = args.index("--shape")
        shape_name = args[at + 1] if at + 1 < len(args) else ""
        del args[at:at + 2]
    if not args or args[0] not in ("nginx", "caddy", "traefik2", "traefik3") or shape_name not in ("base", "multisite", "hostflood"):
        sys.exit(__doc__)
    kind = args[0]
    size = size_arg(args[1]) if len(args) > 1 else 1 << 30
    out = args[2] if len(args) > 2 else "/dev/stdout"
    shape = Shape(shape_name, kind, size)
    gen = {"nginx": nginx_line, "caddy": caddy_line, "traefik2": traefik2_line, "traefik3": traefik3_line}[kind]
    rng = random.Random(502)
    written, i, buf, failures = 0, 0, [], 0
    markers = {"nginx": ', upstream: "', "caddy": "http.log.error", "traefik2": "caused by", "traefik3": '"error":'}
    marker = markers[kind]
    with open(out, "w") as f:
        while written < size:
            line = gen(rng, i, shape)
            i += 1
            buf.append(line)
            written += len(line)
            failures += marker in line
            if len(buf) >= 20000:
                f.write("".join(buf))
                buf = []
        f.write("".join(buf))
    if out != "/dev/stdout":
        with open(out + ".failures", "w") as f:
            f.write("%d\n" % failures)


if __name__ == "__main__":
    main()
