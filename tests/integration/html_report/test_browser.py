#!/usr/bin/env python3
"""The HTML report in a real browser: gw502-logs --format html on sample logs,
opened offline with Debian's headless Chromium. The DOM after the page's
script ran must hold one summary row per group of the JSON report of the same
input, one timeline row per (site, cause) with its count, timeline points that
cover each row's first and last failure, and the embedded JSON; a screenshot
is kept in ARTIFACT_DIR. Then follow mode: `gw502-logs -f --metrics` serves
the same page live at / (HTML, read-only), and it grows when the log does.

  test_browser.py GW502_LOGS SOURCE_DIR ARTIFACT_DIR

Without chromium: exit 77 (skipped), but a failure under CI=true."""
import base64
import datetime
import glob
import hashlib
import html.parser
import json
import re
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "follow"))
from common import Follower, check, finish  # noqa: E402

ENV = dict(os.environ, TZ="UTC", NO_COLOR="1", LC_ALL="C")


class Dom(html.parser.HTMLParser):
    """What the test counts: summary rows, timeline rows and points, the
    embedded JSON, and any URL an element would fetch."""

    def __init__(self):
        super().__init__()
        self.rows, self.tl_rows, self.fetches = [], [], []
        self.json_text, self.in_json = "", False
        self.filter_hidden = None  # the filter box: hidden until the page's script ran

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        cls = (a.get("class") or "").split()
        if tag == "tr" and "grp" in cls:
            self.rows.append(a.get("data-kind"))
        elif tag == "g" and "tl-row" in cls:
            self.tl_rows.append({"site": a["data-site"], "cause": a["data-cause"],
                                 "count": int(a["data-count"]), "points": []})
        elif tag == "rect" and "pt" in cls:
            self.tl_rows[-1]["points"].append((a["data-start"], a["data-end"], int(a["data-minutes"])))
        elif tag == "input" and a.get("id") == "filter":
            self.filter_hidden = "hidden" in a
        elif tag == "script" and a.get("id") == "gw502-report":
            self.in_json = True
        for k in ("src", "href", "action", "srcset", "data"):
            v = a.get(k) or ""
            if "//" in v or v.startswith(("http:", "https:")):
                self.fetches.append((tag, k, v))

    def handle_endtag(self, tag):
        if tag == "script":
            self.in_json = False

    def handle_data(self, data):
        if self.in_json:
            self.json_text += data


def chromium():
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


def browser(exe, profile, *args):
    cmd = [exe, "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", "--disable-extensions",
           "--user-data-dir=" + profile] + list(args)
    return subprocess.run(cmd, capture_output=True, timeout=120, env=ENV)


def site_name(g):
    """The report's name of a group's site (report.hpp: site_name)."""
    host = "(no host)" if g["host"] == "-" else g["host"]
    if g["proxy"] == "npm" and g["site"].startswith("proxy-host-"):
        return "NPM #%s %s" % (g["site"][11:], host)
    if g["proxy"] == "npm" and g["site"]:
        return "NPM %s %s" % (g["site"], host)
    return host


def iso(t):
    if isinstance(t, int):  # a group's first/last (JSON version 3): seconds since 1970
        return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    return t.rstrip("Z")[:19]


def expected(doc):
    """Summary rows by kind and timeline rows, from the JSON report."""
    kinds, tl = [], {}
    for g in [dict(zip(doc["groups"]["fields"], r)) for r in doc["groups"]["rows"]]:  # version 3: rows
        failure = not g["context"] and doc["causes"][g["cause"]]["counts_as_failure"]
        kinds.append("context" if g["context"] else "failure" if failure else "abort")
        if failure:
            r = tl.setdefault((site_name(g), g["cause"]), {"count": 0, "first": None, "last": None})
            r["count"] += g["count"]
            if g["first"]:
                r["first"] = min(r["first"] or "9", iso(g["first"]))
                r["last"] = max(r["last"] or "0", iso(g["last"]))
    return kinds, tl


def minute(t):
    return int(datetime.datetime.fromisoformat(iso(t)).replace(tzinfo=datetime.timezone.utc).timestamp()) // 60


def expected_points(doc, events):
    """Points per timeline row, from the classified lines (--events): the
    distinct minutes of each (site, cause) in slots of whole minutes, at most
    60 over the failures' window (html_timeline.cpp). Only rows made of
    error-log lines (an access line may be the echo of an error line)."""
    _, tl = expected(doc)
    first = min(minute(r["first"]) for r in tl.values() if r["first"])
    last = max(minute(r["last"]) for r in tl.values() if r["last"])
    span = last - first + 1
    slot = -(-span // 60)
    minutes, access = {}, set()
    for ev in events:
        key = (site_name(ev), ev["cause"])
        if key not in tl or not ev["time"]:
            continue
        if ev["status"] is not None:
            access.add(key)
        minutes.setdefault(key, set()).add(minute(ev["time"]))
    return {k: len({(m - first) // slot for m in ms}) for k, ms in minutes.items() if k not in access}


def check_page(dom, doc, what, events=None):
    kinds, tl = expected(doc)
    check(what + ": one summary row per group", sorted(dom.rows) == sorted(kinds), (dom.rows, kinds))
    got = {(r["site"], r["cause"]): r for r in dom.tl_rows}
    check(what + ": one timeline row per site and cause", sorted(got) == sorted(tl), (sorted(got), sorted(tl)))
    check(what + ": timeline counts", all(got[k]["count"] == tl[k]["count"] for k in tl if k in got),
          [(k, got[k]["count"], tl[k]["count"]) for k in tl if k in got])
    bad = []
    for k, want in tl.items():
        pts = got.get(k, {}).get("points", [])
        if want["first"] and not (pts and iso(pts[0][0]) <= want["first"] < iso(pts[0][1])
                                  and iso(pts[-1][0]) <= want["last"] < iso(pts[-1][1])):
            bad.append((k, want, pts[:1], pts[-1:]))
    check(what + ": points cover each row's first and last failure", not bad, bad)
    if events is not None:
        want = expected_points(doc, events)
        got_n = {k: len(got[k]["points"]) for k in want if k in got}
        check(what + ": points per row from the classified lines (%d rows)" % len(want), want and got_n == want,
              (got_n, want))
    n_points = sum(len(r["points"]) for r in dom.tl_rows)
    check(what + ": timeline points drawn", n_points >= len(tl) > 0, n_points)
    check(what + ": nothing fetched from the network", not dom.fetches, dom.fetches)
    return n_points


def check_csp(page):
    """The CSP lets exactly the page's inline script run, by its hash."""
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', page)
    scripts = re.findall(r"<script>(.*?)</script>", page, re.S)
    want = ["sha256-" + base64.b64encode(hashlib.sha256(js.encode()).digest()).decode() for js in scripts]
    have = re.findall(r"'(sha256-[^']+)'", csp.group(1)) if csp else []
    check("the CSP names the inline script's hash (html_assets.hpp kCsp)", len(want) == 1 and have == want,
          "CSP %s, script hash %s" % (have, want))


def batch(binary, exe, inputs, art, profile):
    report = os.path.join(art, "report.html")
    p = subprocess.run([binary, "--format", "json"] + inputs, capture_output=True, env=ENV, timeout=120)
    doc = json.loads(p.stdout)
    p = subprocess.run([binary, "--events"] + inputs, capture_output=True, env=ENV, timeout=120)
    events = [json.loads(line) for line in p.stdout.decode().splitlines() if line.strip()]
    p = subprocess.run([binary, "--format", "html", "--top", "0", "-o", report] + inputs,
                       capture_output=True, env=ENV, timeout=120)
    check("--format html -o: exit 1 (failures), nothing on stdout", p.returncode == 1 and p.stdout == b"",
          (p.returncode, p.stdout[:200], p.stderr[:300]))
    r = browser(exe, profile, "--dump-dom", "file://" + report)
    check("chromium --dump-dom", r.returncode == 0 and b"</html>" in r.stdout, r.stderr[-600:])
    dom = Dom()
    dom.feed(r.stdout.decode("utf-8", "replace"))
    n_points = check_page(dom, doc, "file", events)
    check_csp(open(report, encoding="utf-8").read())
    check("file: the page's script ran under its CSP (the filter box is shown)", dom.filter_hidden is False,
          dom.filter_hidden)
    embedded = json.loads(dom.json_text) if dom.json_text else None
    check("file: the embedded JSON is the JSON report", embedded == doc)
    shot = os.path.join(art, "report.png")
    if os.path.exists(shot):
        os.remove(shot)
    r = browser(exe, profile, "--screenshot=" + shot, "--window-size=1280,2000", "--hide-scrollbars",
                "file://" + report)
    ok = os.path.exists(shot) and open(shot, "rb").read(8) == b"\x89PNG\r\n\x1a\n" and os.path.getsize(shot) > 10000
    check("screenshot written", ok, r.stderr[-600:])
    print("summary rows: %d, timeline rows: %d, timeline points: %d" % (len(dom.rows), len(dom.tl_rows), n_points))
    print("report: " + report)
    print("screenshot: " + shot)


def get(port, path, method="GET"):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), method=method)
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, r.headers, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode("utf-8", "replace")


def follow(binary, exe, source, art, profile):
    work = tempfile.mkdtemp(prefix="gw502-html-")
    log = os.path.join(work, "error.log")
    shutil.copy(source, log)
    doc = json.loads(subprocess.run([binary, "--format", "json", log], capture_output=True, env=ENV).stdout)
    kinds, _ = expected(doc)
    fol = Follower(binary, ["--from-start", "--top", "0", log], work)
    try:
        check("follow: metrics listener up", fol.wait_ready(), fol.stderr())
        page, end = "", time.monotonic() + 20
        while time.monotonic() < end:
            status, headers, page = get(fol.port, "/")
            if page.count('<tr class="grp"') >= len(kinds):
                break
            time.sleep(0.2)
        check("follow: GET / is the HTML report",
              status == 200 and headers.get("Content-Type") == "text/html; charset=utf-8"
              and page.startswith("<!DOCTYPE html>"), (status, dict(headers), page[:200]))
        check("follow: no caching, no sniffing, a CSP",
              headers.get("Cache-Control") == "no-store" and headers.get("X-Content-Type-Options") == "nosniff"
              and "default-src 'none'" in (headers.get("Content-Security-Policy") or ""), dict(headers))
        dom = Dom()
        dom.feed(page)
        check_page(dom, doc, "follow")
        check("follow: the page reloads itself", '<meta http-equiv="refresh"' in page)
        status, headers, body = get(fol.port, "/metrics")
        check("follow: /metrics stays Prometheus", status == 200 and "text/plain" in headers.get("Content-Type", "")
              and "gw502_upstream_failures_total" in body, (status, body[:200]))
        status, headers, _ = get(fol.port, "/", method="POST")
        check("follow: read-only (POST is 405)", status == 405, status)
        before = page.count('data-kind="failure"')
        with open(log, "a") as f:
            f.write('2026/11/01 10:00:00 [error] 29#29: *1 connect() failed (111: Connection refused) while '
                    'connecting to upstream, client: 10.0.0.1, server: new.test, request: "GET / HTTP/1.1", '
                    'upstream: "http://10.9.9.9:81/", host: "new<b>.test"\n')
        grown, end = False, time.monotonic() + 20
        while not grown and time.monotonic() < end:
            page = get(fol.port, "/")[2]
            grown = page.count('data-kind="failure"') == before + 1
            time.sleep(0.2)
        check("follow: the live page shows a new failure, escaped", grown and "new&lt;b&gt;.test" in page
              and "new<b>" not in page, page[-400:])
        with open(os.path.join(art, "live.html"), "w") as f:
            f.write(page)
        r = browser(exe, profile, "--dump-dom", "file://" + os.path.join(art, "live.html"))
        dom = Dom()
        dom.feed(r.stdout.decode("utf-8", "replace"))
        check("follow: the live page renders in chromium", len(dom.rows) == len(kinds) + 1, (len(dom.rows), len(kinds)))
    finally:
        fol.stop()
        shutil.rmtree(work, ignore_errors=True)
    check("follow: stopped by SIGTERM", fol.rc in (0, 1), fol.rc)


def main():
    binary, root, art = os.path.abspath(sys.argv[1]), sys.argv[2], os.path.abspath(sys.argv[3])
    exe = chromium()
    if not exe:
        if os.environ.get("CI") == "true":
            print("FAIL: chromium is not installed (scripts/deps/test.txt lists it)")
            return 1
        print("skipped: chromium is not installed (apt install chromium)")
        return 77
    os.makedirs(art, exist_ok=True)
    profile = tempfile.mkdtemp(prefix="gw502-chromium-")
    try:
        inputs = sorted(glob.glob(os.path.join(root, "corpus", "sample", "*.log")))
        inputs += sorted(glob.glob(os.path.join(root, "tests", "cli", "data", "proxy-host-5_*.log")))
        batch(binary, exe, inputs, art, profile)
        follow(binary, exe, os.path.join(root, "corpus", "sample", "error.log"), art, profile)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    finish()


if __name__ == "__main__":
    sys.exit(main())
