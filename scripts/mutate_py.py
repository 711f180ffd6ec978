#!/usr/bin/env python3
"""Mutation testing of the Python protocol stack and the ingest module with mutmut.

Configuration: [tool.mutmut] in pyproject.toml (what is mutated: poller/protocol/*, db/ingest.py;
which tests run: mutmut maps each mutant to the tests that execute its function). This wrapper
starts the test cluster first (the DB tests of db/ingest.py need it, and a cluster started here
outlives every mutmut child), bounds the run by --budget seconds of wall time, then prints
killed / survived / timed out / other, the kill ratio, and the diff of every survivor.

    .venv/bin/python scripts/mutate_py.py                          # everything
    .venv/bin/python scripts/mutate_py.py --names 'poller.protocol.*' --budget 900

mutmut keeps its results in mutants/ (git-ignored); a later run resumes where a budget stopped.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))
MAIN = ("killed", "survived", "timeout", "not checked")
MUTMUT = str(Path(sys.executable).with_name("mutmut"))


def _results() -> dict[str, str]:
    out = subprocess.run(
        [MUTMUT, "results", "--all", "true"], cwd=ROOT, capture_output=True, text=True
    ).stdout
    return dict(re.findall(r"^\s+(\S+): (.+)$", out, re.M))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--names", nargs="*", default=[], help="mutant name globs (mutmut run NAMES)")
    ap.add_argument("--budget", type=float, default=None, help="stop mutmut after N seconds")
    ap.add_argument("--children", type=int, default=2)
    ap.add_argument("--report", type=Path, default=None)
    a = ap.parse_args(argv)

    import mutate_sql

    os.environ.setdefault(
        "SMF_TEST_PG_DATA", str(mutate_sql._cluster_settings().data_dir.resolve())
    )
    started = mutate_sql._prepare()
    t0 = time.monotonic()
    try:
        proc = subprocess.Popen(
            [MUTMUT, "run", "--max-children", str(a.children), *a.names],
            cwd=ROOT,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
        )
        try:
            proc.wait(timeout=a.budget)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=60)
            print(f"budget of {a.budget:.0f} s reached: mutmut stopped (results so far kept)")
    finally:
        if started:
            mutate_sql._stop()
    elapsed = time.monotonic() - t0
    res = _results()
    if a.names:
        pats = [re.compile(re.escape(n).replace(r"\*", ".*") + "$") for n in a.names]
        res = {k: v for k, v in res.items() if any(p.match(k) for p in pats)}
    count = Counter(res.values())
    killed, survived, timeout = count["killed"], count["survived"], count["timeout"]
    scored = killed + survived + timeout
    lines = [
        "# mutmut report",
        "",
        f"- mutants: {len(res)}; checked {scored}; not checked {count['not checked']}",
        f"- killed {killed}, survived {survived}, timed out {timeout};"
        f" other: {', '.join(f'{k} {v}' for k, v in count.items() if k not in MAIN) or 'none'}",
        f"- kill ratio (killed + timed out) / checked: {(killed + timeout) / scored:.1%}"
        if scored
        else "- nothing checked",
        f"- wall time {elapsed:.0f} s",
        "",
    ]
    survivors = sorted(k for k, v in res.items() if v == "survived")
    if survivors:
        lines.append("## Survivors")
        for name in survivors:
            diff = subprocess.run(
                [MUTMUT, "show", name], cwd=ROOT, capture_output=True, text=True
            ).stdout
            lines += ["", "```diff", diff.strip(), "```"]
    text = "\n".join(lines) + "\n"
    print(text)
    if a.report:
        a.report.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
