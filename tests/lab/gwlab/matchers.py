"""Expectations: log line -> label, written independently of gw502's catalogue.

A matcher is a regex over the raw line (nginx) and/or regexes over fields of a
JSON log entry (Caddy; dotted keys reach into objects, e.g. ``request.uri``).
Every captured line must match exactly one matcher; the matcher's label is the
cause id the line proves, or ``-`` for noise.
"""

import json
import re

NOISE = "-"


class M:
    def __init__(self, line=None, label=NOISE, **fields):
        self.label = label
        self.line = re.compile(line) if line is not None else None
        self.fields = {k.replace("__", "."): re.compile(v) for k, v in fields.items()}
        if self.line is None and not self.fields:
            raise ValueError("matcher needs a line regex or field regexes")

    def matches(self, raw, obj):
        if self.line is not None and not self.line.search(raw):
            return False
        if self.fields:
            if obj is None:
                return False
            for key, rx in self.fields.items():
                val = _get(obj, key)
                if val is None or not rx.search(val if isinstance(val, str) else json.dumps(val)):
                    return False
        return True

    def __repr__(self):
        parts = []
        if self.line is not None:
            parts.append(repr(self.line.pattern))
        parts += [f"{k}={v.pattern!r}" for k, v in self.fields.items()]
        return f"M({', '.join(parts)} -> {self.label})"


def _get(obj, dotted):
    cur = obj
    for part in dotted.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur


def parse_json_line(raw):
    try:
        obj = json.loads(raw)
        return obj if isinstance(obj, dict) else None
    except ValueError:
        return None


def label_lines(lines, matchers, json_lines=False):
    """Label every line; return (labels, problems)."""
    labels, problems = [], []
    for raw in lines:
        obj = parse_json_line(raw) if json_lines else None
        hits = [m for m in matchers if m.matches(raw, obj)]
        if not hits:
            labels.append("?")
            problems.append(f"unexpected line: {raw}")
        elif len({m.label for m in hits}) > 1:
            # Two matchers for the same cause are not a contradiction; two
            # causes for one line are.
            labels.append("?")
            problems.append(f"ambiguous line (matches {hits}): {raw}")
        else:
            labels.append(hits[0].label)
    return labels, problems


# ---------------------------------------------------------------------------
# Access logs: a proxy-generated (or passed-through) 502/504 says nothing about
# its cause.

UNEXPLAINED = "unexplained"
UNEXPLAINED_STATUSES = (502, 504)

_COMBINED_STATUS = re.compile(r'^\S+ \S+ \S+ \[[^\]]+\] "(?:[^"\\]|\\.)*" (\d{3}) ')


def access_status(raw, json_lines):
    if json_lines:
        obj = parse_json_line(raw)
        st = obj.get("status") if obj else None
        return st if isinstance(st, int) else None
    m = _COMBINED_STATUS.match(raw)
    return int(m.group(1)) if m else None


def label_access(lines, json_lines=False):
    labels, statuses, problems = [], [], []
    for raw in lines:
        st = access_status(raw, json_lines)
        if st is None:
            problems.append(f"unparsable access line: {raw}")
            labels.append("?")
        else:
            # nginx's 499: the client left (counted apart, never the backend's fault).
            labels.append(UNEXPLAINED if st in UNEXPLAINED_STATUSES
                          else "client_closed" if st == 499 and not json_lines else NOISE)
        statuses.append(st)
    return labels, statuses, problems
