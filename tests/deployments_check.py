#!/usr/bin/env python3
"""Compare gw502's counts with what real deployments' access logs say.

usage: deployments_check.py BIN DIR [--max-off N]

DIR holds one folder per deployment (corpus/deployments/); each folder holds
the proxy's error and access logs as committed by its owner. For every folder:

  served    access lines with status 502 or 504 (combined/CLF, NPM proxy-host
            "[time] cache upstream_status status - ...", NPM default-host
            "[time] status - ...", Traefik CLF/JSON, Caddy JSON)
  retried   access lines answered 2xx-4xx whose upstream status list holds a
            502/504 (NPM proxy-host format)

and, from `BIN --format json <the folder's log files>`, summary.upstream_failures,
summary.retried_served, summary.paired and the count of "unexplained" groups.
A row is OFF when upstream_failures or retried_served differs from the access
logs by more than 5 %. Exit status 1 when more than N rows (default 0) are
OFF, else 0 (the ctest `deployments` passes the number known today, so that
the measure fails when it gets worse).
"""
import json
import os
import re
import subprocess
import sys

NPM_PROXY = re.compile(r'^\[[^\]]+\] \S+ ((?:[\d-]+(?:, | : ))*[\d-]+) (\d{3}) - ')
NPM_DEFAULT = re.compile(r'^\[[^\]]+\] (\d{3}) - ')
CLF = re.compile(r'\[[^\]]+\] "(?:[^"\\]|\\.)*" (\d{3}) ')
TOLERANCE = 0.05


def line_status(line):
    """(status, upstream statuses) of an access line, or None."""
    m = NPM_PROXY.match(line)
    if m:
        return int(m.group(2)), re.findall(r'\d{3}', m.group(1)) or ['-']
    m = NPM_DEFAULT.match(line)
    if m:
        return int(m.group(1)), []
    if line.startswith('{'):
        try:
            obj = json.loads(line)
        except ValueError:
            return None
        if 'DownstreamStatus' in obj:                    # Traefik JSON
            return int(obj['DownstreamStatus']), []
        if 'status' in obj and isinstance(obj.get('request'), dict):  # Caddy
            return int(obj['status']), []
        return None
    m = CLF.search(line)
    if m:
        return int(m.group(1)), []
    return None


def access_counts(files):
    """served 502/504, and retried (None when no access line names its
    upstream statuses: combined/CLF show only what was served, so a retried
    request is not told by the access log alone)."""
    served = retried = 0
    lists = False
    for path in files:
        with open(path, encoding='utf-8', errors='replace') as f:
            for line in f:
                st = line_status(line)
                if st is None:
                    continue
                status, upstream = st
                lists = lists or bool(upstream)
                if status in (502, 504):
                    served += 1
                elif 200 <= status < 500 and ('502' in upstream or '504' in upstream):
                    retried += 1
    return served, retried if lists else None


def off(expected, got):
    if expected == 0:
        return got != 0
    return abs(got - expected) / expected > TOLERANCE


def main():
    args = sys.argv[1:]
    max_off = 0
    if len(args) == 4 and args[2] == '--max-off':
        max_off = int(args[3])
        args = args[:2]
    if len(args) != 2:
        sys.exit(__doc__)
    binary, root = args
    rows, bad = [], 0
    for name in sorted(os.listdir(root)):
        folder = os.path.join(root, name)
        if not os.path.isdir(folder):
            continue
        files = sorted(os.path.join(d, f) for d, _, fs in os.walk(folder)
                       for f in fs if f.endswith('.log'))
        served, retried = access_counts(files)
        out = subprocess.run([binary, '--format', 'json', *files],
                             capture_output=True, text=True)
        report = json.loads(out.stdout)
        s = report['summary']
        groups = [dict(zip(report['groups']['fields'], r)) for r in report['groups']['rows']]  # version 3: rows
        unexplained = sum(g['count'] for g in groups
                          if g['cause'] == 'unexplained')
        flag = off(served, s['upstream_failures']) or (
            retried is not None and off(retried, s['retried_served']))
        bad += flag
        ratio = s['upstream_failures'] / served if served else float('nan')
        rows.append((name, served, s['upstream_failures'], f'{ratio:.2f}',
                     f"{'-' if retried is None else retried}/{s['retried_served']}", s['paired'],
                     unexplained, 'OFF' if flag else 'ok'))
    head = ('deployment', 'served 502+504', 'gw502 failures', 'ratio',
            'retried access/gw502', 'paired', 'unexplained', '±5%')
    widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
    for r in [head] + rows:
        print('  '.join(str(v).ljust(w) for v, w in zip(r, widths)).rstrip())
    print(f'{len(rows)} deployments, {bad} off by more than 5 %')
    return 1 if bad > max_off else 0


if __name__ == '__main__':
    sys.exit(main())
