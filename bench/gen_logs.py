#!/usr/bin/env python3
"""Deterministic log generator for the benchmarks (fixed seed).

  gen_logs.py KIND SIZE OUT      KIND: nginx | caddy | traefik2 | traefik3
                                 SIZE: bytes, with K/M/G suffix (default 1G)

nginx: an error log with ~15 % upstream failures of many kinds among
ordinary notice/warn/info noise and client-side TLS errors. The others: the
same mix in each proxy's JSON or text form. The number of upstream-failure
lines written goes to OUT.failures, for the harness to check counts against."""
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


def size_arg(s):
    mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    return int(float(s[:-1]) * mult[s[-1]]) if s[-1] in mult else int(s)


def nginx_line(rng, i):
    sec = i // 50
    ts = "2026/11/%02d %02d:%02d:%02d" % (1 + sec // 86400 % 28, sec // 3600 % 24, sec // 60 % 60, sec % 60)
    host, up, path = rng.choice(HOSTS), rng.choice(UPSTREAMS), rng.choice(PATHS)
    ctx = ', client: 10.%d.%d.%d, server: %s, request: "GET %s HTTP/1.1"' % (rng.randrange(256), rng.randrange(256), rng.randrange(256), host, path)
    if rng.random() < 0.15:
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


def caddy_line(rng, i):
    ts = 1764000000 + i / 50.0
    host, up, path = rng.choice(HOSTS), rng.choice(UPSTREAMS), rng.choice(PATHS)
    req = ('{"remote_ip":"10.0.0.%d","remote_port":"5%04d","proto":"HTTP/1.1","method":"GET","host":"%s","uri":"%s",'
           '"headers":{"User-Agent":["Mozilla/5.0 (X11; Linux x86_64)"],"Accept":["*/*"]}}' % (rng.randrange(256), rng.randrange(10000), host, path))
    if rng.random() < 0.15:
        err, status = rng.choice(GO_ERRORS)
        err = err.format(u=up)
        return ('{"level":"error","ts":%.6f,"logger":"http.log.error","msg":"%s","request":%s,"duration":0.0012,'
                '"status":%d,"err_id":"%09d","err_trace":"reverseproxy.statusError (reverseproxy.go:1299)"}\n'
                % (ts, err, req, status, rng.randrange(10 ** 9)))
    return ('{"level":"info","ts":%.6f,"logger":"http.log.access","msg":"handled request","request":%s,"bytes_read":0,'
            '"user_id":"","duration":0.0031,"size":5120,"status":200,"resp_headers":{"Content-Type":["text/html"]}}\n' % (ts, req))


def traefik2_line(rng, i):
    ts = "2026-11-24T10:%02d:%02dZ" % (i // 3000 % 60, i // 50 % 60)
    if rng.random() < 0.15:
        err, _ = rng.choice(GO_ERRORS)
        err = err.format(u=rng.choice(UPSTREAMS))
        return 'time="%s" level=debug msg="\'502 Bad Gateway\' caused by: %s"\n' % (ts, err)
    return 'time="%s" level=debug msg="vulcand/oxy/roundrobin/rr: completed ServeHttp on request" Request="{\\"Method\\":\\"GET\\",\\"URL\\":{\\"Path\\":\\"%s\\"}}"\n' % (ts, rng.choice(PATHS))


def traefik3_line(rng, i):
    ts = "2026-11-24T10:%02d:%02dZ" % (i // 3000 % 60, i // 50 % 60)
    if rng.random() < 0.15:
        err, status = rng.choice(GO_ERRORS)
        err = err.format(u=rng.choice(UPSTREAMS))
        return ('{"level":"debug","error":"%s","time":"%s","caller":"github.com/traefik/traefik/v3/pkg/proxy/httputil/proxy.go:113",'
                '"message":"%d %s"}\n' % (err, ts, status, "Bad Gateway" if status == 502 else "Gateway Timeout"))
    return '{"level":"debug","time":"%s","caller":"github.com/traefik/traefik/v3/pkg/server/service/loadbalancer/wrr/wrr.go:196","message":"Service selected by WRR: %s"}\n' % (ts, rng.choice(UPSTREAMS))


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("nginx", "caddy", "traefik2", "traefik3"):
        sys.exit(__doc__)
    kind = sys.argv[1]
    size = size_arg(sys.argv[2]) if len(sys.argv) > 2 else 1 << 30
    out = sys.argv[3] if len(sys.argv) > 3 else "/dev/stdout"
    gen = {"nginx": nginx_line, "caddy": caddy_line, "traefik2": traefik2_line, "traefik3": traefik3_line}[kind]
    rng = random.Random(502)
    written, i, buf, failures = 0, 0, [], 0
    markers = {"nginx": ', upstream: "', "caddy": "http.log.error", "traefik2": "caused by", "traefik3": '"error":'}
    marker = markers[kind]
    with open(out, "w") as f:
        while written < size:
            line = gen(rng, i)
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
