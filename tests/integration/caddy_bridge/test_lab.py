#!/usr/bin/env python3
"""Every lab scenario through real Caddy with gw502.caddy imported and the
bridge running, once with GET and once with POST (a 2 KiB body):

- the lab's own checks pass (the client sees the same statuses as without
  the bridge, every log line is accounted for, one access line per request);
- every failed request carries X-Gw502-Cause equal to the cause the lab's
  matchers (written without gw502's catalogue) gave Caddy's error entry, and
  the bridge's page, and nothing of the bridge's own headers;
- healthy answers are untouched (the backend's body, no X-Gw502-* header);
- /metrics counts exactly the failures sent, by cause and host.

  test_lab.py BRIDGE_BINARY"""
import collections
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bridgelib as bl  # noqa: E402
from gwlab.scenarios import SCENARIOS  # noqa: E402
from gwlab.runner import Skip  # noqa: E402


def main():
    binary = sys.argv[1]
    bl.need_caddy()
    work = bl.tmpdir("gw502-bridge-lab-")
    sock = os.path.join(work, "bridge.sock")
    # 0666: in the unix_socket_denied scenario caddy runs as nobody.
    bridge = bl.Bridge(binary, "unix:" + sock, "--socket-mode", "0666", log_dir=work).start()
    hooks = bl.bridge_hooks(bl.snippet_copy(work), bl.caddy_address(bridge.listen), [])
    chosen = [s for s in SCENARIOS if not isinstance(s.case("caddy"), Skip)]
    runs = [bl.as_method(s, "GET") for s in chosen] + [bl.as_method(s, "POST") for s in chosen]

    ck = bl.Checker()
    results = bl.run_scenarios(runs, os.path.join(work, "out"), hooks)
    sent = collections.Counter()
    skipped = 0
    for res, scen in zip(results, runs):
        method = scen.requests[0].method
        tag = f"{scen.name}/{method}"
        if res.status == "skip":
            skipped += 1
            print(f"skip {tag}: {res.reason}")
            continue
        ck.check(res.status == "pass", f"{tag}: lab checks: {res.problems}")
        causes = bl.expected_causes(res)
        failed = [c for c in res.client if isinstance(c[1], int) and c[1] >= 400]
        no_failure = scen.name in ("healthy", "client_gives_up")
        ck.check(len(causes) == len(failed) and (len(failed) > 0) != no_failure,
                 f"{tag}: {len(failed)} failed requests but {len(causes)} error entries {causes}")
        for i, (req, st, _secs, headers) in enumerate(failed):
            want = causes[i] if i < len(causes) else None
            got = headers.get("X-Gw502-Cause")
            if got:
                sent[(got, "127.0.0.1")] += 1
            ck.check(got == want, f"{tag} {req.method} {req.path}: status {st}, X-Gw502-Cause {got!r}, "
                                  f"the lab says {want!r}")
            names = [k.lower() for k, _ in headers.get("__header_list__", [])]
            ck.check(names.count("x-gw502-cause") == 1, f"{tag}: X-Gw502-Cause {names.count('x-gw502-cause')} times")
            ck.check("x-gw502-rule" not in names, f"{tag}: the bridge's X-Gw502-Rule reached the client")
            ck.check(names.count("server") == 1, f"{tag}: Server header {names.count('server')} times")
            body = headers.get("__body__", b"")
            ck.check(f"<h1>{st} ".encode() in body, f"{tag}: the bridge's page is missing: {body[:80]!r}")
            ck.check(b"127.0.0.1" not in body and b"dial" not in body, f"{tag}: the page leaks the error text")
            ck.check(not (want and want.encode() in body) and b"gw502" not in body,
                     f"{tag}: the default page names the cause")
        for req, st, _secs, headers in res.client:
            if st == 200:
                names = [k.lower() for k, _ in headers.get("__header_list__", [])]
                ck.check(not any(n.startswith("x-gw502") for n in names), f"{tag}: a 200 got {names}")
                ck.check(headers.get("__body__") == b"hello\n",
                         f"{tag}: the healthy body changed: {headers.get('__body__')!r}")

    ran = len(runs) - skipped
    ck.check(ran >= 30, f"only {ran} scenario runs (of {len(runs)})")
    m = bridge.metrics()
    got = bl.errors_by(m)
    ck.check(got == dict(sent), f"/metrics errors {sorted(got.items())} != sent {sorted(sent.items())}")
    ck.check(bl.metric(m, "gw502_bridge_requests_total", kind="error") == sum(sent.values()),
             "requests_total{kind=error} != failures sent")
    for reason in ("bad_request", "header_too_large", "body_too_large", "timeout", "too_many_connections"):
        ck.check(bl.metric(m, "gw502_bridge_rejected_total", reason=reason) == 0, f"rejected {reason} != 0")
    print(f"failures through the bridge: {sum(sent.values())} in {ran} scenario runs; by cause: "
          + ", ".join(f"{c}={n}" for (c, _h), n in sorted(sent.items())))
    ck.check(bridge.alive(), "the bridge died")
    ck.check(bridge.stop() == 0, "the bridge did not exit 0 on SIGTERM")
    ck.check(not os.path.exists(sock), "the socket file is left behind")
    return ck.finish()


if __name__ == "__main__":
    sys.exit(main())
