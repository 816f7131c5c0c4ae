#!/usr/bin/env python3
"""The JSON report against docs/report-schema.json: every golden JSON report
and a run over every corpus log must validate, and every group's cause must be
a key of `causes`. A small validator for the JSON Schema keywords the schema
uses (type, enum, required, properties, additionalProperties, items, $ref,
minimum, pattern, const, minItems, maxItems; items as one schema or one per
position), so no package is needed.

  check_schema.py BIN SCHEMA CLI_DIR CORPUS_DIR"""
import glob
import json
import os
import re
import subprocess
import sys

TYPES = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}


def is_type(v, t):
    if t == "integer":
        return isinstance(v, int) and not isinstance(v, bool)
    if t == "number":
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    return isinstance(v, TYPES[t])


def validate(v, s, root, path, errors):
    if "$ref" in s:
        node = root
        for part in s["$ref"].lstrip("#/").split("/"):
            node = node[part]
        return validate(v, node, root, path, errors)
    t = s.get("type")
    if t is not None:
        types = t if isinstance(t, list) else [t]
        if not any(is_type(v, x) for x in types):
            errors.append("%s: %r is not %s" % (path, v, t))
            return
    if "enum" in s and v not in s["enum"]:
        errors.append("%s: %r not in %s" % (path, v, s["enum"]))
    if "minimum" in s and isinstance(v, (int, float)) and v < s["minimum"]:
        errors.append("%s: %r < %s" % (path, v, s["minimum"]))
    if "pattern" in s and isinstance(v, str) and not re.search(s["pattern"], v):
        errors.append("%s: %r does not match %s" % (path, v, s["pattern"]))
    if isinstance(v, dict):
        for k in s.get("required", []):
            if k not in v:
                errors.append("%s: missing %s" % (path, k))
        props = s.get("properties", {})
        extra = s.get("additionalProperties", True)
        for k, x in v.items():
            if k in props:
                validate(x, props[k], root, path + "." + k, errors)
            elif extra is False:
                errors.append("%s: unexpected key %s" % (path, k))
            elif isinstance(extra, dict):
                validate(x, extra, root, path + "." + k, errors)
    if "const" in s and v != s["const"]:
        errors.append("%s: %r is not %r" % (path, v, s["const"]))
    if isinstance(v, list):
        if "minItems" in s and len(v) < s["minItems"]:
            errors.append("%s: fewer than %d items" % (path, s["minItems"]))
        if "maxItems" in s and len(v) > s["maxItems"]:
            errors.append("%s: more than %d items" % (path, s["maxItems"]))
        items = s.get("items")
        for i, x in enumerate(v):
            # A list of schemas: one per position (a row of columns).
            sub = items[i] if isinstance(items, list) and i < len(items) else None if isinstance(items, list) else items
            if sub is not None:
                validate(x, sub, root, "%s[%d]" % (path, i), errors)


def check(doc, schema, name):
    errors = []
    validate(doc, schema, schema, name, errors)
    groups = doc.get("groups", {})
    fields = groups.get("fields", []) if isinstance(groups, dict) else []
    for row in groups.get("rows", []) if isinstance(groups, dict) else []:
        g = dict(zip(fields, row)) if isinstance(row, list) else {}
        if g.get("cause") not in doc.get("causes", {}):
            errors.append("%s: group cause %s not under causes" % (name, g.get("cause")))
        for r in g.get("rules", []) if isinstance(g.get("rules"), list) else []:
            if not (isinstance(r, list) and r and isinstance(r[0], int) and 0 <= r[0] < len(doc.get("rules", []))):
                errors.append("%s: group rule %r not an index into rules" % (name, r))
        for smp in g.get("samples", []) if isinstance(g.get("samples"), list) else []:
            if not (isinstance(smp, list) and smp and isinstance(smp[0], int) and 0 <= smp[0] < len(doc.get("sources", []))):
                errors.append("%s: sample %r does not name a source" % (name, smp[:2]))
    return errors


def main():
    binary, schema_path, cli_dir, corpus = sys.argv[1:5]
    schema = json.load(open(schema_path))
    failures, checked = [], 0
    docs = []
    for out in sorted(glob.glob(os.path.join(cli_dir, "cases", "*.stdout"))):
        text = open(out, encoding="utf-8", errors="replace").read()
        if text.startswith('{"version"'):
            docs.append((out, json.loads(text)))
    logs = sorted(glob.glob(os.path.join(corpus, "**", "*.log"), recursive=True))
    p = subprocess.run([binary, "--format", "json"] + logs, capture_output=True, timeout=300)
    docs.append(("corpus run", json.loads(p.stdout)))
    # The validator must notice a broken document.
    broken = json.loads(json.dumps(docs[0][1]))
    del broken["summary"]
    broken["groups"]["rows"].append(["nginx", "", "-", "-", "nope"])
    if len(check(broken, schema, "broken")) < 3:
        print("FAIL the validator accepted a broken document")
        return 1
    for name, doc in docs:
        errs = check(doc, schema, name)
        failures += errs
        checked += 1
        print(("ok   " if not errs else "FAIL ") + name)
    for f in failures[:50]:
        print("  " + f)
    print("%d passed, %d failed" % (checked - len({f.split(':')[0] for f in failures}), len({f.split(':')[0] for f in failures})))
    return 1 if failures or checked < 2 else 0


if __name__ == "__main__":
    sys.exit(main())
