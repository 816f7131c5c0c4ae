"""gw502 real-proxy lab (see tests/lab/lab.py)."""

from .proxies import Hooks  # noqa: F401
from .runner import Case, Req, Scenario, Skip, Session, run_one  # noqa: F401
from .matchers import M  # noqa: F401


def run_scenarios(proxies, names, out, hooks=None, keep=False, progress=None, scenarios=None):
    """Run scenarios (all, or those named) on each proxy; return Results."""
    from .scenarios import SCENARIOS

    pool = scenarios if scenarios is not None else SCENARIOS
    chosen = [s for s in pool if not names or s.name in names]
    session = Session(keep=keep)
    results = []
    try:
        for proxy in proxies:
            for s in chosen:
                r = run_one(session, proxy, s, out, hooks)
                results.append(r)
                if progress:
                    line = f"{r.status:4} {proxy:5} {s.name:22} {r.seconds:5.2f}s"
                    if r.status == "skip":
                        line += f"  ({r.reason})"
                    else:
                        line += "  client=" + ",".join(str(c[1]) for c in r.client)
                    progress.write(line + "\n")
                    for prob in r.problems:
                        progress.write(f"        {prob}\n")
                    progress.flush()
    finally:
        session.close()
    return results
