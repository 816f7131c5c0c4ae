#!/usr/bin/env python3
"""The literals gw502's prefilter seeks, from patterns/*.json, as the
classifier picks them: cause rules only (not noise rules), distinct, and a
literal that contains a shorter one dropped. One per line on stdout.

  bench/prefilter/literals.py > /tmp/literals.txt"""
import glob
import json
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
lits = set()
for path in glob.glob(os.path.join(ROOT, "patterns", "*.json")):
    doc = json.load(open(path))
    for rule in doc.get("rules", []) if isinstance(doc, dict) else []:
        if rule.get("ignore"):
            continue
        lit = rule.get("literal", [])
        lits.update([lit] if isinstance(lit, str) else lit)
ordered = sorted(lits)
for lit in ordered:
    if not any(o != lit and len(o) < len(lit) and o in lit for o in ordered):
        print(lit)
