#!/usr/bin/env python3
"""The snippet degrades safely: when the bridge is stopped, stuck, or answers
garbage, the visitor still gets the original status (Caddy's empty answer,
no X-Gw502-Cause), GET and POST. A bridge killed with SIGKILL leaves its
socket file behind; a new bridge replaces it and tagging resumes.

  test_down.py BRIDGE_BINARY"""
import dataclasses
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bridgelib as bl  # noqa: E402
from gwlab import Req  # noqa: E402
from gwlab.backends import RawAfterRequest, Respond, Unix  # noqa: E402
from gwlab.scenarios import BY_NAME  # noqa: E402

GET_POST = [Req("/"), Req("/api/items", method="POST")]


def variant(name, extra_backends=(), requests=GET_POST, expect_logged=True):
    """A lab scenario with GET and POST requests, optional extra backends (a
    fake bridge), and, when the bridge route fails, no logged cause expected:
    Caddy then logs only 'error handling handler error'."""
    s = BY_NAME[name]
    statuses = {"backend_not_running": 502, "read_timeout": 504}[name]
    case = dataclasses.replace(s.caddy, statuses=[statuses] * len(requests),
                               expect=None if expect_logged else [])
    return dataclasses.replace(s, backends=list(s.backends) + list(extra_backends), requests=list(requests),
                               caddy=case)


def check_untagged(ck, results, what):
    for res in results:
        ck.check(res.status == "pass", f"{what} {res.scenario}: lab checks: {res.problems}")
        for req, st, secs, headers in res.client:
            names = [k.lower() for k, _ in headers.get("__header_list__", [])]
            tag = f"{what} {res.scenario} {req.method} -> {st} in {secs:.2f}s"
            ck.check(not any(n.startswith("x-gw502") for n in names), f"{tag}: gw502 headers {names}")
            ck.check(headers.get("__body__", b"") == b"", f"{tag}: body {headers.get('__body__')!r}")


def check_tagged(ck, results, what):
    for res in results:
        ck.check(res.status == "pass", f"{what} {res.scenario}: lab checks: {res.problems}")
        want = bl.expected_causes(res)
        got = [c[3].get("X-Gw502-Cause") for c in res.client]
        ck.check(got == want and len(got) == 2, f"{what} {res.scenario}: causes {got}, want {want}")


def main():
    binary = sys.argv[1]
    bl.need_caddy()
    work = bl.tmpdir("gw502-bridge-down-")
    snippet = bl.snippet_copy(work)
    out = os.path.join(work, "out")
    sock = os.path.join(work, "bridge.sock")
    ck = bl.Checker()
    down_hooks = bl.bridge_hooks(snippet, "unix/" + sock, [bl.BRIDGE_DOWN])

    # 1. Nothing listens at the bridge's address.
    print("-- bridge not running")
    res = bl.run_scenarios([variant("backend_not_running", expect_logged=False),
                            variant("read_timeout", expect_logged=False)], out, down_hooks)
    check_untagged(ck, res, "not running:")

    # 2. A stand-in that accepts and never answers: Caddy gives up after the
    #    snippet's response_header_timeout (2 s).
    print("-- bridge stuck")
    stuck_hooks = bl.bridge_hooks(snippet, "unix/{{fakebridge_path}}", [bl.BRIDGE_DOWN])
    res = bl.run_scenarios([variant("backend_not_running", [Unix("fakebridge", Respond(delay=30))],
                                    expect_logged=False)], out, stuck_hooks)
    check_untagged(ck, res, "stuck:")
    for r in res:
        for req, st, secs, _h in r.client:
            ck.check(1.5 < secs < 5, f"stuck: {req.method} took {secs:.2f}s (want about 2 s)")

    # 3. A stand-in that answers garbage.
    print("-- bridge answers garbage")
    res = bl.run_scenarios([variant("backend_not_running",
                                    [Unix("fakebridge", RawAfterRequest(b"\x00\x01 not http at all\r\n\r\n"))],
                                    expect_logged=False)], out, stuck_hooks)
    check_untagged(ck, res, "garbage:")

    # 4. A real bridge, killed, then started again on the same path.
    print("-- bridge up, killed, restarted")
    up_hooks = bl.bridge_hooks(snippet, "unix/" + sock, [bl.BRIDGE_DOWN])
    bridge = bl.Bridge(binary, "unix:" + sock, log_dir=work).start()
    check_tagged(ck, bl.run_scenarios([variant("backend_not_running")], out, up_hooks), "up:")
    bridge.stop(signal.SIGKILL)
    ck.check(os.path.exists(sock), "after SIGKILL the socket file should be left (stale)")
    check_untagged(ck, bl.run_scenarios([variant("backend_not_running", expect_logged=False)], out, up_hooks),
                   "killed:")
    bridge = bl.Bridge(binary, "unix:" + sock, log_dir=work).start()  # replaces the stale socket
    check_tagged(ck, bl.run_scenarios([variant("read_timeout")], out, up_hooks), "restarted:")
    m = bridge.metrics()
    ck.check(bl.errors_by(m) == {("read_timeout", "127.0.0.1"): 2}, f"restarted bridge counted {bl.errors_by(m)}")
    # A second bridge on a live socket refuses to start (and leaves it alone).
    second = bl.Bridge(binary, "unix:" + sock, log_dir=work)
    try:
        second.start()
        ck.check(False, "a second bridge started on a live socket")
    except RuntimeError as e:
        ck.check("already listens" in str(e), f"second bridge: {e}")
    ck.check(bridge.alive() and bridge.get("/healthz")[0] == 200, "the first bridge is still serving")
    ck.check(bridge.stop() == 0, "bridge exit status on SIGTERM")
    ck.check(not os.path.exists(sock), "the socket file is left after SIGTERM")
    return ck.finish()


if __name__ == "__main__":
    sys.exit(main())
