#!/usr/bin/env python3
"""corpus/caddy/handpicked*: real Caddy runs for forms the lab does not produce: console format with
colours, handle_errors (debug level) + X-Gw502-Cause, x509 variants, TLS
handshake failures, HTTP answer to TLS, truncated bodies, SERVFAIL, unreachable
network, dial-info errors, EMFILE. Needs caddy and python3-cryptography;
runs on loopback only (except the SERVFAIL case, see handpicked.md). Writes
the raw logs to OUT, then labels them (by logger and message, independently
of gw502's catalogue) into corpus/caddy/handpicked*.{log,labels}:

    python3 corpus/caddy/handpicked.py [OUT]
"""
import datetime, json, os, re, socket, ssl, struct, subprocess, sys, threading, time
import urllib.request

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

OUT = sys.argv[1] if len(sys.argv) > 1 else "/tmp/gw502-handpicked-out"
os.makedirs(OUT, exist_ok=True)
D = "/tmp/gw502-handpicked-run"
os.system(f"rm -rf {D}; mkdir -p {D}")
stop = threading.Event()


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p


def key():
    return ec.generate_private_key(ec.SECP256R1())


def cert(subject_cn, issuer_key, issuer_name, pub, san=None, ca=False, nb=None, na=None):
    now = datetime.datetime.utcnow()
    b = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject_cn)]))
         .issuer_name(issuer_name).public_key(pub).serial_number(x509.random_serial_number())
         .not_valid_before(nb or now - datetime.timedelta(days=1))
         .not_valid_after(na or now + datetime.timedelta(days=30)))
    if ca:
        b = b.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    if san:
        b = b.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in san]), critical=False)
    return b.sign(issuer_key, hashes.SHA256())


def write(path, obj):
    with open(path, "wb") as f:
        if isinstance(obj, x509.Certificate):
            f.write(obj.public_bytes(serialization.Encoding.PEM))
        else:
            f.write(obj.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))


ca_key = key()
ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "gw502 handpicked CA")])
ca_cert = cert("gw502 handpicked CA", ca_key, ca_name, ca_key.public_key(), ca=True)
write(f"{D}/ca.pem", ca_cert)
leaf_key = key(); write(f"{D}/leaf.key", leaf_key)
write(f"{D}/good.pem", cert("localhost", ca_key, ca_name, leaf_key.public_key(), san=["localhost"]))
old = datetime.datetime(2020, 1, 1)
write(f"{D}/expired.pem", cert("localhost", ca_key, ca_name, leaf_key.public_key(), san=["localhost"],
                               nb=old, na=old + datetime.timedelta(days=30)))


def serve(port, handler, tls=None):
    ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port)); ls.listen(64); ls.settimeout(0.2)

    def loop():
        while not stop.is_set():
            try:
                c, _ = ls.accept()
            except socket.timeout:
                continue
            threading.Thread(target=one, args=(c,), daemon=True).start()

    def one(c):
        try:
            if tls:
                c = tls.wrap_socket(c, server_side=True)
            handler(c)
        except Exception:
            pass
        finally:
            try: c.close()
            except Exception: pass
    threading.Thread(target=loop, daemon=True).start()


def read_head(c):
    buf = b""
    c.settimeout(5)
    while b"\r\n\r\n" not in buf:
        d = c.recv(65536)
        if not d: break
        buf += d
    return buf


def ok(c):
    read_head(c); c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n")


def http_answer_to_tls(c):  # a plain HTTP server: answers the ClientHello with HTTP
    c.settimeout(5); c.recv(4096)
    c.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")


def short_body(c):
    read_head(c); c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b"); time.sleep(0.1)


def bad_chunk(c):
    read_head(c); c.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nZZ\r\n"); time.sleep(0.1)


def slow(c):
    read_head(c); time.sleep(3); ok_body = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n"; c.sendall(ok_body)


def many_1xx(c):
    read_head(c); c.sendall(b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n" * 8); time.sleep(0.2)


def tls_ctx(certfile, client_auth=False):
    x = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    x.load_cert_chain(certfile, f"{D}/leaf.key")
    if client_auth:
        x.verify_mode = ssl.CERT_REQUIRED
        x.load_verify_locations(f"{D}/ca.pem")
    return x


def dns_servfail(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", port)); s.settimeout(0.2)

    def loop():
        while not stop.is_set():
            try:
                data, addr = s.recvfrom(512)
            except socket.timeout:
                continue
            tid, flags = struct.unpack(">HH", data[:4])
            resp = struct.pack(">HHHHHH", tid, 0x8182, 1, 0, 0, 0) + data[12:]  # QR RD RA, rcode 2 SERVFAIL
            s.sendto(resp, addr)
    threading.Thread(target=loop, daemon=True).start()


P = {k: free_port() for k in ["1xx", "ok", "httpans", "short", "chunk", "slow", "good", "expired", "mtls", "dns"]}
serve(P["ok"], ok)
serve(P["1xx"], many_1xx)
serve(P["httpans"], http_answer_to_tls)
serve(P["short"], short_body)
serve(P["chunk"], bad_chunk)
serve(P["slow"], slow)
serve(P["good"], ok, tls_ctx(f"{D}/good.pem"))
serve(P["expired"], ok, tls_ctx(f"{D}/expired.pem"))
serve(P["mtls"], ok, tls_ctx(f"{D}/good.pem", client_auth=True))
dns_servfail(P["dns"])

# site -> (port, body)
S = {}
def site(name, body):
    S[name] = (free_port(), body)

ca = f"{D}/ca.pem"
site("handle_errors", "reverse_proxy 127.0.0.1:1\n\thandle_errors {\n\t\theader X-Gw502-Cause connection_refused\n\t\trespond \"bad gateway\" 502\n\t}")
site("bridge_down", "reverse_proxy 127.0.0.1:1\n\thandle_errors {\n\t\treverse_proxy 127.0.0.1:2\n\t}")
site("http_to_tls_port", f"reverse_proxy https://127.0.0.1:{P['httpans']}")
site("no_ip_sans", f"reverse_proxy https://127.0.0.1:{P['good']} {{\n\t\ttransport http {{\n\t\t\ttls_trusted_ca_certs {ca}\n\t\t}}\n\t}}")
site("wrong_name", f"reverse_proxy https://127.0.0.1:{P['good']} {{\n\t\ttransport http {{\n\t\t\ttls_trusted_ca_certs {ca}\n\t\t\ttls_server_name other.example\n\t\t}}\n\t}}")
site("expired", f"reverse_proxy https://127.0.0.1:{P['expired']} {{\n\t\ttransport http {{\n\t\t\ttls_trusted_ca_certs {ca}\n\t\t\ttls_server_name localhost\n\t\t}}\n\t}}")
site("mtls", f"reverse_proxy https://127.0.0.1:{P['mtls']} {{\n\t\ttransport http {{\n\t\t\ttls_trusted_ca_certs {ca}\n\t\t\ttls_server_name localhost\n\t\t}}\n\t}}")
site("short_body", f"reverse_proxy 127.0.0.1:{P['short']}")
site("bad_chunk", f"reverse_proxy 127.0.0.1:{P['chunk']}")
site("servfail", f"reverse_proxy backend.lab.test:{P['ok']} {{\n\t\ttransport http {{\n\t\t\tresolvers udp/127.0.0.1:{P['dns']}\n\t\t}}\n\t}}")
site("unreachable", "reverse_proxy 255.255.255.255:80")
site("dial_info", "reverse_proxy {http.request.header.X-Upstream}")
site("many_1xx", f"reverse_proxy 127.0.0.1:{P['1xx']}")
site("h2c_to_http1", f"reverse_proxy h2c://127.0.0.1:{P['ok']}")
site("long_socket", "reverse_proxy unix//tmp/" + "s" * 120 + ".sock")
site("emfile", f"reverse_proxy 127.0.0.1:{P['slow']}")

caddyfile = ["{", "\tadmin off", "\tauto_https off", "\tgrace_period 1s", f"\tstorage file_system {D}/data",
             "\tlog {", f"\t\toutput file {D}/error.log", "\t\tformat json", "\t\tlevel DEBUG", "\t}",
             "\tlog iso {", f"\t\toutput file {D}/iso.log", "\t\tformat json {", "\t\t\ttime_format iso8601", "\t\t}",
             "\t\tlevel DEBUG", "\t\tinclude http.log.error", "\t}",
             "\tlog console {", f"\t\toutput file {D}/console.log", "\t\tformat console", "\t\tlevel DEBUG", "\t}",
             "}"]
for name, (port, body) in S.items():
    caddyfile += [f"http://127.0.0.1:{port} {{", "\tbind 127.0.0.1", "\tlog {", f"\t\toutput file {D}/access.log",
                  "\t\tformat json", "\t}", "\t" + body, "}"]
open(f"{D}/Caddyfile", "w").write("\n".join(caddyfile) + "\n")
env = dict(os.environ, HOME=D, XDG_CONFIG_HOME=f"{D}/cfg", XDG_DATA_HOME=f"{D}/xdg")
proc = subprocess.Popen(["caddy", "run", "--config", f"{D}/Caddyfile", "--adapter", "caddyfile"],
                        stdout=open(f"{D}/caddy.out", "w"), stderr=subprocess.STDOUT, env=env)
time.sleep(2)


def get(name, path="/", headers=None, timeout=5):
    port = S[name][0]
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers or {"User-Agent": "gw502-handpicked/1"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            r.read(); return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except Exception as e:
        return repr(e)


for name in S:
    if name == "emfile":
        continue
    print(name, get(name))
# EMFILE: lower the caddy process's open-file limit, then ask for more connections than it has.
n_open = len(os.listdir(f"/proc/{proc.pid}/fd"))
subprocess.run(["prlimit", f"--pid={proc.pid}", f"--nofile={n_open + 6}:{n_open + 6}"], check=True)
res = []
ths = [threading.Thread(target=lambda: res.append(get("emfile", timeout=8))) for _ in range(12)]
for t in ths: t.start()
for t in ths: t.join()
print("emfile", sorted(map(str, res)))
subprocess.run(["prlimit", f"--pid={proc.pid}", "--nofile=4096:4096"])
time.sleep(0.5)
proc.terminate(); proc.wait(10)
stop.set()
for f in ["error.log", "console.log", "access.log", "iso.log", "Caddyfile"]:
    os.system(f"cp {D}/{f} {OUT}/{f}")

# ---- labelling -------------------------------------------------------------
CORPUS = os.path.dirname(os.path.abspath(__file__))
ERR = [(r"connect: connection refused$", "connection_refused"),
       (r"^tls: first record does not look like a TLS handshake$", "tls_to_plain_backend"),
       (r"^x509: ", "tls_verify_failed"),
       (r"remote error: tls: certificate required$", "tls_handshake_failed"),
       (r": server misbehaving$", "dns_failure"),
       (r"connect: network is unreachable$", "network_unreachable"),
       (r"^making dial info: ", "proxy_internal_error"),
       (r"too many 1xx informational responses$", "invalid_upstream_response"),
       (r"^unexpected EOF$", "upstream_reset"),
       (r"socket: too many open files$", "resource_exhaustion"),
       (r"connect: invalid argument$", "unclassified")]
ABORT = [(r"unexpected EOF$", "upstream_reset"), (r"invalid byte in chunk length$", "invalid_upstream_response")]

def by(table, text):
    hits = [lab for rx, lab in table if re.search(rx, text)]
    assert len(hits) == 1, (text, hits)
    return hits[0]

def request_key(f):
    r = f.get("request", {})
    return (r.get("remote_ip"), r.get("remote_port"), r.get("method"), r.get("host"), r.get("uri"))

def label(logger, msg, f, seen):
    # seen: the requests whose error entry came earlier in the same stream;
    # their access entry is the same failure and counts no second time.
    if logger.startswith("http.log.error"):
        if msg == "error handling handler error":
            msg = f["first_error"]["msg"]
        seen.add(request_key(f))
        return by(ERR, msg)
    if logger == "http.handlers.reverse_proxy" and msg == "aborting with incomplete response":
        return by(ABORT, f["error"])
    if logger.startswith("http.log.access") and f.get("status") in (502, 504):
        if request_key(f) in seen:
            return "-"
        return f.get("resp_headers", {}).get("X-Gw502-Cause", ["unexplained"])[0]
    return "-"

def json_file(src, dst, note):
    lines, labels, seen = ["# " + note], ["-"], set()
    for l in open(src, encoding="utf-8"):
        l = l.rstrip("\n"); o = json.loads(l)
        lines.append(l); labels.append(label(o.get("logger", ""), o.get("msg", ""), o, seen))
    write(dst, lines, labels)

def console_file(src, dst, note):
    lines, labels, seen = ["# " + note], ["-"], set()
    for l in open(src, encoding="utf-8"):
        l = l.rstrip("\n"); p = l.split("\t")
        f = json.loads(p[-1]) if p[-1].startswith("{") else {}
        if p[-1].startswith("{"): p = p[:-1]
        logger, msg = (p[2], p[3]) if len(p) >= 4 else ("", p[-1])
        lines.append(l); labels.append(label(logger, msg, f, seen))
    write(dst, lines, labels)

def write(dst, lines, labels):
    open(f"{CORPUS}/{dst}.log", "w", encoding="utf-8").write("\n".join(lines) + "\n")
    open(f"{CORPUS}/{dst}.labels", "w").write("\n".join(labels) + "\n")
    print(dst, len(lines), {x: labels.count(x) for x in sorted(set(labels))})

note = "real Caddy 2.6.2 run, handpicked scenarios (see corpus/caddy/handpicked.md); "
json_file(OUT + "/error.log", "handpicked", note + "default log, format json, level DEBUG")
json_file(OUT + "/iso.log", "handpicked-iso", note + "log iso: format json { time_format iso8601 }, include http.log.error")
console_file(OUT + "/console.log", "handpicked-console", note + "log console: format console, level DEBUG (colours as Caddy writes them)")
json_file(OUT + "/access.log", "handpicked.access", note + "site access logs, format json")
