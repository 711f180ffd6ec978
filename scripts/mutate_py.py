#!/usr/bin/env python3
"""Mutation testing of the Python protocol stack and the ingest module with mutmut.

Configuration: [tool.mutmut] in pyproject.toml (what is mutated: poller/protocol/*, db/ingest.py;
which tests run: mutmut maps each mutant to the tests that execute its function). This wrapper
starts the test cluster first (the DB tests of db/ingest.py need it, and a cluster started here
outlives every mutmut child), bounds the run by --budget seconds of wall time, then prints
killed / survived / timed out / other, the kill ratio, and the diff of every survivor.

    .venv/bin/python scripts/mutate_py.py                          # everything
    .venv/bin/python scripts/mutate_py.py --names 'poller.protocol.*' --budget 900

mutmut keeps its results in mutants/ (git-ignored); a later run resumes where a budget stopped
(but a run given --names re-checks every mutant it names, whatever its earlier verdict).

``--recheck TEST_FILE ...`` is the fast proof that new tests kill earlier survivors: for each
mutant that mutmut reports survived or "no tests" (or each one named with --names), it runs
only the given test files with that mutant switched on (MUTANT_UNDER_TEST, one forked pytest per
mutant after a single collection, as mutmut's own runner does) and records a failing run as
killed in mutmut's results (exit code 1); a mutant the files do not kill keeps its verdict. The
files must pass with no mutant on first, or nothing is recorded. Run it after `mutmut run`
has regenerated mutants/ for the current sources::

    .venv/bin/python scripts/mutate_py.py --recheck tests/poller/test_nbr_response_fields.py
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
# every test meets every mutant, the slow ones too (tests/conftest.py leaves them out otherwise)
os.environ["SMF_TESTS"] = "all"
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))
MAIN = ("killed", "survived", "timeout", "not checked")
MUTMUT = str(Path(sys.executable).with_name("mutmut"))


def _results() -> dict[str, str]:
    out = subprocess.run(
        [MUTMUT, "results", "--all", "true"], cwd=ROOT, capture_output=True, text=True
    ).stdout
    return dict(re.findall(r"^\s+(\S+): (.+)$", out, re.M))


def _recheck_worker(names: list[str], tests: list[str], timeout: float) -> int:
    """Child process, cwd mutants/: one collection, then one fork per mutant. Prints
    ``name<TAB>exit code`` per mutant (-9: killed by the timeout)."""
    sys.path[:] = [str(ROOT / "mutants")] + [p for p in sys.path if Path(p).resolve() != ROOT]
    os.environ["PY_IGNORE_IMPORTMISMATCH"] = "1"
    import pytest

    args = ["--rootdir=.", "-x", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
            "-W", "ignore::DeprecationWarning", *tests]  # fmt: skip

    def one(name: str) -> int:
        pid = os.fork()
        if pid == 0:  # child
            os.environ["MUTANT_UNDER_TEST"] = name
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            os._exit(int(pytest.main(args)))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return os.waitstatus_to_exitcode(status)
            time.sleep(0.02)
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        return -9

    pytest.main(["--collect-only", "-qq", *args[1:]])  # import everything once, in the parent
    base = one("")
    print(f"baseline\t{base}", flush=True)
    if base != 0:
        return 1
    for name in names:
        print(f"{name}\t{one(name)}", flush=True)
    return 0


def _recheck(names: list[str], tests: list[str], timeout: float) -> dict[str, int]:
    """Run the worker; record kills in mutmut's .meta files. Returns {name: exit code}."""
    import json

    proc = subprocess.Popen(
        [sys.executable, __file__, "--recheck-worker", str(timeout), *tests, "--", *names],
        cwd=ROOT / "mutants",
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    out = []
    for line in proc.stdout:  # one line per mutant, as it is decided
        out.append(line)
        print(line, end="", flush=True)
    proc.wait()
    stdout = "".join(out)
    codes = dict((k, int(v)) for k, v in re.findall(r"^(\S+)\t(-?\d+)$", stdout, re.M))
    if codes.get("baseline") != 0:
        raise SystemExit(f"the test files fail with no mutant on:\n{stdout}")
    killed = {k for k, v in codes.items() if k != "baseline" and v != 0}
    for meta in (ROOT / "mutants").rglob("*.py.meta"):
        data = json.loads(meta.read_text())
        hit = killed & data["exit_code_by_key"].keys()
        if hit:
            for k in hit:
                data["exit_code_by_key"][k] = 1 if codes[k] > 0 else 36  # -9: timeout
            meta.write_text(json.dumps(data, indent=4))
    return {k: v for k, v in codes.items() if k != "baseline"}


def _sync_data_files() -> int:
    """Copy the changed non-Python files of the mutated packages (SQL functions, named queries,
    schema.sql, migrations' SQL) into mutants/: mutmut copies a changed .py file again, but keeps
    its first copy of every other file, so a mutants/ tree older than the checkout would load
    stale SQL and fail its clean run. Returns how many files were copied."""
    import shutil
    import tomllib

    mutants = ROOT / "mutants"
    if not mutants.is_dir():
        return 0
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]
    copied = 0
    for top in cfg.get("source_paths", []):
        for src in (ROOT / top).rglob("*"):
            if not src.is_file() or src.suffix in (".py", ".pyc") or "__pycache__" in src.parts:
                continue
            dst = mutants / src.relative_to(ROOT)
            if not dst.exists() or dst.read_bytes() != src.read_bytes():
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, dst)
                copied += 1
    return copied


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--recheck-worker"]:
        sep = argv.index("--")
        return _recheck_worker(argv[sep + 1 :], argv[2:sep], float(argv[1]))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--names", nargs="*", default=[], help="mutant name globs (mutmut run NAMES)")
    ap.add_argument("--budget", type=float, default=None, help="stop mutmut after N seconds")
    ap.add_argument("--children", type=int, default=2)
    ap.add_argument("--report", type=Path, default=None)
    ap.add_argument(
        "--recheck",
        nargs="+",
        default=None,
        metavar="TEST_FILE",
        help="re-check survivors (or --names) against these test files only (see above)",
    )
    ap.add_argument("--recheck-timeout", type=float, default=60.0)
    a = ap.parse_args(argv)
    if n := _sync_data_files():
        print(f"mutants/: {n} changed non-Python file(s) copied from the checkout")
    if a.recheck:
        return _recheck_main(a)

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


def _recheck_main(a: argparse.Namespace) -> int:
    import mutate_sql

    res = _results()
    if a.names:
        pats = [re.compile(re.escape(n).replace(r"\*", ".*") + "$") for n in a.names]
        names = sorted(k for k in res if any(p.match(k) for p in pats))
    else:
        names = sorted(k for k, v in res.items() if v in ("survived", "no tests"))
    os.environ.setdefault(
        "SMF_TEST_PG_DATA", str(mutate_sql._cluster_settings().data_dir.resolve())
    )
    # the database is needed only by database tests
    started = mutate_sql._prepare() if any("tests/db" in t for t in a.recheck) else False
    t0 = time.monotonic()
    try:
        codes = _recheck(names, a.recheck, a.recheck_timeout)
    finally:
        if started:
            mutate_sql._stop()
    killed = sorted(k for k, v in codes.items() if v != 0)
    kept = sorted(k for k, v in codes.items() if v == 0)
    took = time.monotonic() - t0
    print(f"re-checked {len(codes)} mutants against {' '.join(a.recheck)} in {took:.0f} s:")
    print(f"  {len(killed)} killed, {len(kept)} not killed")
    for k in kept:
        print(f"  not killed: {k}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
