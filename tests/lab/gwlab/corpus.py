"""Write passing runs into corpus/<proxy>/lab-<scenario>.{log,labels,access.log,access.labels}."""

import os

from .proxies import PROXIES


def _write(path, lines):
    with open(path, "w", encoding="utf-8") as f:
        for l in lines:
            f.write(l + "\n")


def write_corpus(results, corpus_dir, hooks):
    written = 0
    versions = {}
    for r in results:
        if r.status != "pass":
            continue
        d = os.path.join(corpus_dir, r.proxy)
        os.makedirs(d, exist_ok=True)
        base = os.path.join(d, f"lab-{r.scenario}")
        _write(base + ".log", r.error_lines)
        _write(base + ".labels", r.error_labels)
        _write(base + ".access.log", r.access_lines)
        _write(base + ".access.labels", r.access_labels)
        written += 4
        versions.setdefault(r.proxy, PROXIES[r.proxy](hooks).version())
    for proxy, text in versions.items():
        _write(os.path.join(corpus_dir, proxy, "VERSIONS"),
               [text, "# produced by tests/lab/lab.py corpus (real runs on loopback)"])
        written += 1
    return written
