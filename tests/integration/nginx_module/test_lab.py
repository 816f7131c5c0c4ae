#!/usr/bin/env python3
"""Every nginx scenario of the real-proxy lab (tests/lab), three times:

1. without the module: the reference error logs;
2. with the module loaded and `gw502 on`: every 502/504 carries, in
   X-Gw502-Cause and in $gw502_cause of the access log, the cause the lab's
   own expectations give the last failure line of that request (the lab's
   matchers are written without looking at the catalogue); every other
   response carries nothing; the lab's own checks still pass; and the error
   log is the reference one, line for line (time, pids, connection numbers,
   ports and temp paths masked);
3. with the module loaded and `gw502 off`: nothing anywhere.
"""

import re
import time

import nmlib
from nmlib import Checks, Workdir

from gwlab import Hooks, M, run_scenarios  # noqa: E402  (nmlib put tests/lab on the path)

# OpenResty's nginx (NPM's core, see nginx-module/npm/openresty-core.sh) names
# itself "openresty/1.27.1.2" in the start-up line the lab knows as "nginx/X".
EXTRA = {"nginx": [M(r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[notice\] \d+#\d+: openresty/\S+$")]}

OFF_FORMAT = ('\'$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent '
              '"$http_referer" "$http_user_agent" conn=$connection\'')
DISABLED_SUBSET = ["healthy", "backend_not_running", "read_timeout", "dns_nxdomain", "unix_socket_missing",
                   "no_live_upstreams"]


def process_lines_apart(lines):
    """The master's process notices ("start worker process N", "signal ...",
    "worker process N exited") are written by another process than the
    request lines, so where they fall among them is timing: compare the
    request lines in order and the process notices as a sorted list after them."""
    proc = re.compile(r"\[notice\] P: (start worker process|signal |worker process |exit|gracefully)")
    return [l for l in lines if not proc.search(l)] + sorted(l for l in lines if proc.search(l))


def expected_causes(result):
    """Per request: the label of the last cause-bearing error line of its connection."""
    by_conn = {}
    for line, label in zip(result.error_lines, result.error_labels):
        if label in ("-", "?"):
            continue
        m = nmlib.re.search(r"\] \d+#\d+: \*(\d+) ", line)
        if m:
            by_conn[int(m.group(1))] = label
    out = []
    for line in result.access_lines:
        f = nmlib.access_fields(line)
        out.append((f, by_conn.get(f["conn"]) if f else None))
    return out


def header(headers, name="x-gw502-cause"):
    for k, v in headers.items():
        if k.lower() == name:
            return v
    return None


def main():
    args = nmlib.parse_args(__doc__)
    started = time.monotonic()
    ck = Checks()
    wd = Workdir("lab", args.keep)
    load = f"load_module {args.module};"
    t0 = time.monotonic()

    ref = run_scenarios(["nginx"], None, wd.sub("off"), Hooks(nginx_binary=args.nginx, extra_matchers=EXTRA, nginx_log_format=OFF_FORMAT))
    t1 = time.monotonic()
    on = run_scenarios(["nginx"], None, wd.sub("on"),
                       Hooks(nginx_binary=args.nginx, extra_matchers=EXTRA, nginx_main=load, nginx_http="gw502 on;", nginx_log_format=nmlib.LOG_FORMAT))
    t2 = time.monotonic()
    dis = run_scenarios(["nginx"], DISABLED_SUBSET, wd.sub("disabled"),
                        Hooks(nginx_binary=args.nginx, extra_matchers=EXTRA, nginx_main=load, nginx_http="gw502 off;", nginx_log_format=nmlib.LOG_FORMAT))
    t3 = time.monotonic()
    print(f"lab runs: off {t1 - t0:.1f}s, on {t2 - t1:.1f}s, disabled {t3 - t2:.1f}s")

    ref_by = {r.scenario: r for r in ref}
    tagged = 0
    for r in on:
        if r.status == "skip":
            print(f"skip {r.scenario}: {r.reason}")
            continue
        ck.ok(r.status == "pass", f"{r.scenario}: the lab's own checks failed with the module: {r.problems}")
        exp = expected_causes(r)
        ck.eq(len(exp), len(r.client), f"{r.scenario}: access lines vs requests")
        for i, ((req, st, _secs, hdrs), (acc, cause)) in enumerate(zip(r.client, exp), 1):
            what = f"{r.scenario} request {i} ({req.path}, status {st})"
            got = header(hdrs)
            if ck.ok(acc is not None, f"{what}: unparsable access line"):
                pass
            if st in (502, 504):
                ck.ok(cause is not None, f"{what}: the lab saw no cause line for this 502/504")
                ck.eq(got, cause, f"{what}: X-Gw502-Cause")
                if acc:
                    ck.eq(acc["cause"], cause, f"{what}: $gw502_cause")
                    ck.ok(acc["rule"] != "-", f"{what}: $gw502_rule is empty")
                tagged += 1
            else:
                ck.eq(got, None, f"{what}: X-Gw502-Cause")
                if acc:
                    ck.eq((acc["cause"], acc["rule"]), ("-", "-"), f"{what}: $gw502_cause/$gw502_rule")
            if got is not None:
                ck.ok(nmlib.CAUSE_ID.match(got) is not None, f"{what}: header value {got!r} is not a cause id")
        # the error log, line for line
        base = ref_by.get(r.scenario)
        if ck.ok(base is not None and base.status != "skip", f"{r.scenario}: no reference run"):
            a = process_lines_apart(nmlib.normalise_error_log("\n".join(base.error_lines)))
            b = process_lines_apart(nmlib.normalise_error_log("\n".join(r.error_lines)))
            if not ck.eq(len(b), len(a), f"{r.scenario}: error-log lines with the module vs without"):
                continue
            for x, y in zip(a, b):
                ck.eq(y, x, f"{r.scenario}: error-log line with the module")
    ck.ok(tagged >= 40, f"only {tagged} tagged responses across the lab")

    for r in dis:
        if r.status == "skip":
            continue
        ck.ok(r.status == "pass", f"gw502 off, {r.scenario}: the lab's own checks failed: {r.problems}")
        for i, (req, st, _secs, hdrs) in enumerate(r.client, 1):
            ck.eq(header(hdrs), None, f"gw502 off, {r.scenario} request {i}: X-Gw502-Cause")
        for line in r.access_lines:
            f = nmlib.access_fields(line)
            ck.ok(f is not None and f["cause"] == "-", f"gw502 off, {r.scenario}: access line {line}")

    print(f"{tagged} lab 502/504 responses tagged; {sum(1 for r in on if r.status != 'skip')} scenarios")
    ck.finish("nginx_module_lab", started)


if __name__ == "__main__":
    main()
