#!/usr/bin/env python3
"""What the snippet leaves alone, and what exactly Caddy sends the bridge.

Through real Caddy with gw502.caddy imported and the bridge running:
- healthy answers (GET, POST): the backend's status and body, no X-Gw502-*;
- a backend's own 502/504 and Caddy's `respond ... 502`: passed through as
  they are (the bridge only sees failures of reverse_proxy itself);
- other handlers' errors (file_server 404, an `error` directive's 403): Caddy's
  usual empty answer, not sent to the bridge;
- a visitor who sends X-Gw502-* headers of their own cannot choose the cause,
  status or host label;
then, with a recording stand-in for the bridge: the request Caddy sends is a
GET of /gw502/error with no body, the error text, status and host, and none
of the visitor's credentials. /metrics counted only the real failures.
The visitor's page names nothing internal by default; with --detail it adds
the catalogue's title and Caddy fix steps (escaped), never the error text.

  test_passthrough.py BRIDGE_BINARY"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bridgelib as bl  # noqa: E402
from gwlab import Case, M, Req, Scenario  # noqa: E402
from gwlab.backends import TCP, DeadPort, Respond, Unix, Behaviour, send_all, response  # noqa: E402

GET_POST = [Req("/"), Req("/api/items", method="POST")]
FS_MATCHERS = [
    M(logger=r"^http\.log\.error(?:\.\w+)?$", msg=r"fileserver\.\(\*FileServer\)\.notFound .*HTTP 404$"),
    M(logger=r"^http\.handlers\.file_server$", msg=r"^sanitized path join$"),
]
REFUSED = M(logger=r"^http\.log\.error(?:\.\w+)?$", msg=r"^dial tcp 127\.0\.0\.1:\d+: connect: connection refused$",
            label="connection_refused")


class Recorder(Behaviour):
    """Stands in for the bridge: keeps each request head, answers a fixed page."""

    def __init__(self):
        self.heads = []

    def answer(self, conn, stop, head):
        self.heads.append(head)
        return send_all(conn, response(502, "Bad Gateway", b"recorded\n", ["X-Gw502-Cause: recorded"]))


def main():
    binary = sys.argv[1]
    bl.need_caddy()
    work = bl.tmpdir("gw502-bridge-pass-")
    bridge = bl.Bridge(binary, "unix:" + os.path.join(work, "bridge.sock"), log_dir=work).start()
    snippet = bl.snippet_copy(work)
    hooks = bl.bridge_hooks(snippet, bl.caddy_address(bridge.listen))
    spoof = {"X-Gw502-Err-Message": "net/http: timeout awaiting response headers",
             "X-Gw502-Err-Status": "504", "X-Gw502-Host": "spoofed.example",
             "Cookie": "session=SECRETCOOKIE", "Authorization": "Bearer SECRETTOKEN"}
    bl.EXTRA_HEADERS["/spoof"] = spoof
    scenarios = [
        Scenario("healthy", "a working backend", [TCP("app", Respond(body=b"hello\n"))], GET_POST,
                 caddy=Case("reverse_proxy {{app_addr}}", [], [200, 200])),
        Scenario("backend_own_502", "the backend itself answers 502",
                 [TCP("app", Respond(502, "Bad Gateway", b"the app's own 502\n"))], GET_POST,
                 caddy=Case("reverse_proxy {{app_addr}}", [], [502, 502])),
        Scenario("backend_own_504", "the backend itself answers 504",
                 [TCP("app", Respond(504, "Gateway Timeout", b"the app's own 504\n"))], GET_POST,
                 caddy=Case("reverse_proxy {{app_addr}}", [], [504, 504])),
        Scenario("respond_502", "Caddy's respond directive with 502", [], GET_POST,
                 caddy=Case('respond "a static 502\n" 502', [], [502, 502])),
        Scenario("file_server_404", "file_server, missing files", [],
                 [Req("/missing.html"), Req("/nope/", method="POST")],
                 caddy=Case("root * {{dir}}\nfile_server", FS_MATCHERS, [404, 404])),
        Scenario("error_403", "an error directive", [], GET_POST,
                 caddy=Case('error "gw502 test forbidden" 403',
                            [M(logger=r"^http\.log\.error(?:\.\w+)?$", msg=r"gw502 test forbidden")], [403, 403])),
        Scenario("spoofed_headers", "a visitor sends X-Gw502-* headers; the backend is down",
                 [DeadPort("app")], [Req("/spoof"), Req("/spoof", method="POST")],
                 caddy=Case("reverse_proxy {{app_addr}}", [REFUSED], [502, 502])),
    ]
    ck = bl.Checker()
    results = bl.run_scenarios(scenarios, os.path.join(work, "out"), hooks)
    bodies = {"healthy": b"hello\n", "backend_own_502": b"the app's own 502\n",
              "backend_own_504": b"the app's own 504\n", "respond_502": b"a static 502\n"}
    for res in results:
        ck.check(res.status == "pass", f"{res.scenario}: lab checks: {res.problems}")
        for req, st, _secs, headers in res.client:
            tag = f"{res.scenario} {req.method} {req.path} -> {st}"
            names = [k.lower() for k, _ in headers.get("__header_list__", [])]
            body = headers.get("__body__", b"")
            if res.scenario == "spoofed_headers":
                ck.check(headers.get("X-Gw502-Cause") == "connection_refused",
                         f"{tag}: cause {headers.get('X-Gw502-Cause')!r} (the visitor's headers must not count)")
                ck.check(b"<h1>502 Bad Gateway</h1>" in body, f"{tag}: page {body[:60]!r}")
                # The bridge's own headers stay inside: only Caddy's Server, no rule id.
                servers = [v for k, v in headers.get("__header_list__", []) if k.lower() == "server"]
                ck.check(servers == ["Caddy"], f"{tag}: Server headers {servers}")
                ck.check("x-gw502-rule" not in names, f"{tag}: X-Gw502-Rule reached the visitor")
                ck.check([n for n in names if n.startswith("x-gw502")] == ["x-gw502-cause"], f"{tag}: {names}")
                continue
            ck.check(not any(n.startswith("x-gw502") for n in names), f"{tag}: got gw502 headers {names}")
            if res.scenario in bodies:
                ck.check(body == bodies[res.scenario], f"{tag}: body {body!r}")
            else:
                ck.check(body == b"", f"{tag}: Caddy's error answer should stay empty, got {body!r}")

    m = bridge.metrics()
    ck.check(bl.errors_by(m) == {("connection_refused", "127.0.0.1"): 2},
             f"/metrics counted {bl.errors_by(m)}; only the 2 spoofed-header failures were real")

    # What Caddy sends: a recorder in place of the bridge.
    rec = Recorder()
    rec_hooks = bl.bridge_hooks(snippet, "unix/{{gw502rec_path}}")
    bl.EXTRA_HEADERS["/rec"] = spoof
    sc = Scenario("what_caddy_sends", "the bridge's request, recorded",
                  [DeadPort("app"), Unix("gw502rec", rec)], [Req("/rec?q=1"), Req("/rec", method="POST")],
                  caddy=Case("reverse_proxy {{app_addr}}", [REFUSED], [502, 502]))
    bl.EXTRA_HEADERS["/rec?q=1"] = spoof
    (res,) = bl.run_scenarios([sc], os.path.join(work, "out"), rec_hooks)
    ck.check(res.status == "pass", f"what_caddy_sends: lab checks: {res.problems}")
    ck.check(len(rec.heads) == 2, f"the recorder got {len(rec.heads)} requests")
    for head in rec.heads:
        text = head.decode("latin-1")
        lines = text.split("\r\n")
        hdrs = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            hdrs.setdefault(k.strip().lower(), []).append(v.strip())
        ck.check(lines[0] == "GET /gw502/error HTTP/1.1", f"request line {lines[0]!r}")
        ck.check(hdrs.get("x-gw502-err-message", [""])[0].startswith("dial tcp 127.0.0.1:")
                 and hdrs["x-gw502-err-message"][0].endswith(": connect: connection refused"),
                 f"X-Gw502-Err-Message {hdrs.get('x-gw502-err-message')}")
        ck.check(hdrs.get("x-gw502-err-status") == ["502"], f"X-Gw502-Err-Status {hdrs.get('x-gw502-err-status')}")
        ck.check(hdrs.get("x-gw502-host") == ["127.0.0.1"], f"X-Gw502-Host {hdrs.get('x-gw502-host')}")
        ck.check("SECRET" not in text, "the visitor's Cookie/Authorization reached the bridge")
        ck.check(hdrs.get("content-length", ["0"]) == ["0"] and "transfer-encoding" not in hdrs,
                 f"the bridge request has a body: {hdrs.get('content-length')} {hdrs.get('transfer-encoding')}")
    for req, st, _secs, headers in res.client:
        names = [k.lower() for k, _ in headers.get("__header_list__", [])]
        ck.check(headers.get("X-Gw502-Cause") == "recorded" and st == 502, f"recorder answer {st} {names}")

    # The visitor's page through Caddy: nothing internal by default (the
    # spoofed_headers answers above, checked here), and with --detail the
    # catalogue's title and Caddy fix steps, HTML-escaped, never the error text.
    import html
    import json
    with open(os.path.join(bl.ROOT, "patterns", "causes.json")) as f:
        refused = next(c for c in json.load(f)["causes"] if c["id"] == "connection_refused")
    title, fixes = html.escape(refused["title"], quote=False), list(refused["fix"]["caddy"])
    for res in results:
        if res.scenario != "spoofed_headers":
            continue
        for req, st, _secs, headers in res.client:
            body = headers.get("__body__", b"").decode("utf-8", "replace")
            for leak in ("connection_refused", refused["title"], "127.0.0.1", "dial", "refused", "gw502",
                         "spoofed", "SECRET", "/spoof"):
                ck.check(leak not in body, f"default page {req.method}: {leak!r} leaks: {body!r}")
    detail = bl.Bridge(binary, "unix:" + os.path.join(work, "detail.sock"), "--detail", log_dir=work).start()
    det_hooks = bl.bridge_hooks(snippet, bl.caddy_address(detail.listen))
    sc = Scenario("detail_page", "--detail: title and fix on the page", [DeadPort("app")], GET_POST,
                  caddy=Case("reverse_proxy {{app_addr}}", [REFUSED], [502, 502]))
    (res,) = bl.run_scenarios([sc], os.path.join(work, "out"), det_hooks)
    ck.check(res.status == "pass", f"detail_page: lab checks: {res.problems}")
    for req, st, _secs, headers in res.client:
        body = headers.get("__body__", b"").decode("utf-8", "replace")
        tag = f"--detail {req.method} -> {st}"
        ck.check(st == 502 and headers.get("X-Gw502-Cause") == "connection_refused", f"{tag}: {headers.get('X-Gw502-Cause')}")
        ck.check("<code>connection_refused</code>" in body, f"{tag}: no cause id on the page: {body!r}")
        ck.check(title in body, f"{tag}: no title {title!r} on the page")
        items = [html.unescape(x) for x in re.findall(r"<li>(.*?)</li>", body, re.S)]
        ck.check(len(fixes) > 0 and items == fixes, f"{tag}: the Caddy fix steps {items}, want {fixes}")
        ck.check(all("<" not in x and ">" not in x for x in re.findall(r"<li>(.*?)</li>", body, re.S)),
                 f"{tag}: unescaped markup in the fix steps")
        ck.check("127.0.0.1" not in body and "dial tcp" not in body, f"{tag}: the error text leaks: {body!r}")
    ck.check(detail.stop() == 0, "the --detail bridge's exit status")

    ck.check(bridge.alive(), "the bridge died")
    bridge.stop()
    return ck.finish()


if __name__ == "__main__":
    sys.exit(main())
