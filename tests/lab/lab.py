#!/usr/bin/env python3
"""gw502 real-proxy lab: make nginx and Caddy answer 502/504 for real reasons.

  lab.py list
  lab.py run [--proxy nginx|caddy|all] [--scenario NAME ...] --out DIR [--keep]
  lab.py corpus [--proxy ...] [--scenario ...]   (writes corpus/<proxy>/lab-*)

Everything binds and connects to 127.0.0.0/8 only. Python standard library
only; `openssl` makes the throw-away certificates.

Reuse from other tests:  from gwlab import Hooks, run_scenarios
  run_scenarios(["nginx"], None, out, Hooks(nginx_main="load_module /x.so;",
                nginx_http="gw502 on;", nginx_log_format="'$status $gw502_cause'"))
"""

import argparse
import os
import signal
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # keep the source tree clean
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from gwlab import Hooks, run_scenarios  # noqa: E402
from gwlab.scenarios import SCENARIOS  # noqa: E402
from gwlab.corpus import write_corpus  # noqa: E402

REPO = os.path.dirname(os.path.dirname(HERE))


def _hooks_from_args(args):
    h = Hooks()
    if args.nginx:
        h.nginx_binary = args.nginx
    if args.caddy:
        h.caddy_binary = args.caddy
    for attr in ("nginx_main", "nginx_http", "nginx_server", "nginx_location",
                 "caddy_global", "caddy_site", "caddy_extra"):
        path = getattr(args, attr)
        if path:
            with open(path) as f:
                setattr(h, attr, f.read())
    return h


def _proxies(arg):
    return ["nginx", "caddy"] if arg == "all" else [arg]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("list", help="list scenarios")
    for name in ("run", "corpus"):
        sp = sub.add_parser(name)
        sp.add_argument("--proxy", choices=["nginx", "caddy", "all"], default="all")
        sp.add_argument("--scenario", nargs="+", metavar="NAME")
        sp.add_argument("--keep", action="store_true", help="keep the temp working dirs")
        sp.add_argument("--nginx", metavar="BIN", help="nginx binary (default: nginx)")
        sp.add_argument("--caddy", metavar="BIN", help="caddy binary (default: caddy)")
        for attr, what in (("nginx_main", "top of nginx.conf (load_module)"),
                           ("nginx_http", "inside http{}"), ("nginx_server", "inside server{}"),
                           ("nginx_location", "inside location /"),
                           ("caddy_global", "Caddyfile global options"),
                           ("caddy_site", "inside the proxy site"), ("caddy_extra", "extra Caddyfile sites")):
            sp.add_argument("--" + attr.replace("_", "-"), dest=attr, metavar="FILE",
                            help=f"file whose text goes {what}")
        if name == "run":
            sp.add_argument("--out", required=True, metavar="DIR")
        else:
            sp.add_argument("--out", metavar="DIR", help="also keep the run's evidence here")
            sp.add_argument("--corpus-dir", default=os.path.join(REPO, "corpus"), metavar="DIR")
    args = p.parse_args(argv)

    if args.cmd == "list":
        for s in SCENARIOS:
            which = []
            for proxy in ("nginx", "caddy"):
                c = s.case(proxy)
                which.append(proxy if not hasattr(c, "reason") else f"({proxy}: skip)")
            print(f"{s.name:22} {' '.join(which):28} {s.doc}")
        return 0

    # Ctrl-C / SIGTERM: unwind through the try/finally blocks that stop servers.
    def _interrupt(signum, frame):
        raise KeyboardInterrupt()

    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)  # also when started in the background (SIGINT ignored)

    known = {s.name for s in SCENARIOS}
    for n in args.scenario or []:
        if n not in known:
            p.error(f"unknown scenario {n!r} (see `lab.py list`)")

    out = args.out or tempfile.mkdtemp(prefix="gw502-lab-out-")
    t0 = time.monotonic()
    try:
        results = run_scenarios(_proxies(args.proxy), args.scenario, out, _hooks_from_args(args),
                                keep=args.keep, progress=sys.stdout)
    except KeyboardInterrupt:
        print("interrupted; servers stopped", file=sys.stderr)
        return 130
    elapsed = time.monotonic() - t0
    passed = [r for r in results if r.status == "pass"]
    failed = [r for r in results if r.status == "fail"]
    skipped = [r for r in results if r.status == "skip"]
    print(f"\n{len(passed)} passed, {len(failed)} failed, {len(skipped)} skipped in {elapsed:.1f}s; evidence in {out}")
    if args.cmd == "corpus":
        if failed:
            print("not writing the corpus for failed scenarios:", ", ".join(f"{r.proxy}/{r.scenario}" for r in failed))
        written = write_corpus(results, args.corpus_dir, _hooks_from_args(args))
        print(f"wrote {written} corpus files under {args.corpus_dir}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
