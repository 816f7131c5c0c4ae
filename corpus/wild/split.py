#!/usr/bin/env python3
"""Puts a random third of a wild corpus aside, once, with a fixed seed.

  split.py                      corpus/wild, seed 20261203 (the first round)
  split.py DIR SEED             another round, e.g. corpus/wild2 20261204

Every line of DIR/<proxy>/NAME.log (with its .labels and .sources
line) is drawn with probability 1/3 into DIR/heldaside/<proxy>/NAME.*;
the rest stays. The held-aside lines are measured (tests/corpus_check.py
--measure), never asserted, and their accuracy is recorded in the round's
README before anything is tuned. A held-aside miss that later leads to a
change is named in that README, and from then on the figure includes it.
Run once, when the corpus was collected; running it again on a split corpus
refuses."""
import os
import random
import sys

SEED = 20261203
HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    root, seed = (sys.argv[1], int(sys.argv[2])) if len(sys.argv) == 3 else (HERE, SEED)
    out_root = os.path.join(root, "heldaside")
    if os.path.exists(out_root):
        print("split.py: %s exists; the corpus is split already" % out_root)
        return 1
    rng = random.Random(seed)
    kept = aside = 0
    for proxy in sorted(os.listdir(root)):
        pdir = os.path.join(root, proxy)
        if not os.path.isdir(pdir):
            continue
        for f in sorted(os.listdir(pdir)):
            if not f.endswith(".log"):
                continue
            base = os.path.join(pdir, f[:-4])
            parts = [open(base + ext, encoding="utf-8").read().splitlines(True)
                     for ext in (".log", ".labels", ".sources")]
            assert len(set(map(len, parts))) == 1, base
            pick = [rng.random() < 1 / 3 for _ in parts[0]]
            odir = os.path.join(out_root, proxy)
            os.makedirs(odir, exist_ok=True)
            for ext, lines in zip((".log", ".labels", ".sources"), parts):
                stay = [l for l, p in zip(lines, pick) if not p]
                go = [l for l, p in zip(lines, pick) if p]
                open(base + ext, "w", encoding="utf-8").writelines(stay)
                if go:
                    open(os.path.join(odir, f[:-4] + ext), "w", encoding="utf-8").writelines(go)
            kept += pick.count(False)
            aside += pick.count(True)
    print("kept %d lines, put %d aside" % (kept, aside))
    return 0


if __name__ == "__main__":
    sys.exit(main())
