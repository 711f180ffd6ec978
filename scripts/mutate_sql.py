#!/usr/bin/env python3
"""Mutation testing of the stored logic (db/functions/*.sql).

Each mutant is one small change to one SQL file:

- cmp:      a comparison operator flipped (< <-> <=, > <-> >=);
- drop:     one term dropped: an `and` conjunct (of a where, a join or a case condition) or one
            `when ... then ...` branch of a case;
- series:   the raw and the loss-adjusted series swapped at one use (p_kwh <-> p_kwh_raw, ...);
- const:    a numeric constant changed by one unit of its last digit (60 -> 61, 0.92 -> 0.93),
            except two changes equivalent by construction, which are counted in the ids but not
            generated: the constant of `exists (select 1 ...)` and the `limit 1` of a PL/pgSQL
            `select ... into` (it keeps the first row anyway).

A mutant is applied to the test template database directly (`create or replace` of the mutated
file into smf_test_template, whose source-hash comment is set to the mutated tree's hash, so the
test fixtures use it as is), then the tests mapped to its file run (pytest -x). A failing run
kills it; a passing run lets it survive; a run over --timeout is "timed out"; a mutant whose SQL
does not load (e.g. it changes a return type) is "invalid" and left out of the ratio. The file and
the template are restored after every mutant, also on Ctrl-C.

    .venv/bin/python scripts/mutate_sql.py                       # the 1xx rule files
    .venv/bin/python scripts/mutate_sql.py db/functions/140_musd.sql --budget 300 --sample 40

With --budget (seconds of wall time) or --sample N the mutants run in a random order fixed by
--seed, and the report says how many of how many ran. The report (stdout, and --report FILE as
Markdown) lists every survivor with its diff.
"""

from __future__ import annotations

import argparse
import difflib
import os
import random
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# every test meets every mutant, the slow ones too (tests/conftest.py leaves them out otherwise)
os.environ["SMF_TESTS"] = "all"
sys.path.insert(0, str(ROOT))

# The rule-file modules of tests/rules/, each with the hand-worked cases of its own SQL file.
# A case of one module may reach the functions of other rule files (a bill runs the postos, the
# losses, the cycle, the demand and the reactive rules), so a mutant of any rule file runs every
# one of them: the modules of its own file first, then the others, then test_boundaries.py.
RULE_MODULES = [
    "tests/rules/test_100_parameters.py",
    "tests/rules/test_105_calendar.py",
    "tests/rules/test_110_postos.py",
    "tests/rules/test_120_losses.py",
    "tests/rules/test_125_cycle.py",
    "tests/rules/test_130_demand.py",
    "tests/rules/test_150_reactive.py",
    "tests/rules/test_160_billing.py",
    "tests/rules/test_170_contracts.py",
    # the set-based billing against the frozen SQL of main, over a distributor of every modality
    "tests/rules/test_billing_set.py",
]


def _rules(*first: str) -> list[str]:
    """`first`, then every rule-file module not among them, then test_boundaries.py."""
    return [*first, *(m for m in RULE_MODULES if m not in first), "tests/rules/test_boundaries.py"]


# file prefix -> the test files that exercise it (a mutant runs only these, in this order, and
# stops at the first failure: the fast modules of its own file first)
TEST_MAP: dict[str, list[str]] = {
    "100": _rules("tests/rules/test_100_parameters.py"),
    "105": _rules("tests/rules/test_105_calendar.py"),
    "110": _rules("tests/rules/test_110_postos.py"),
    "120": _rules("tests/rules/test_120_losses.py"),
    "125": _rules(
        "tests/rules/test_dmcr_billable.py",
        "tests/rules/test_125_cycle.py",
        "tests/rules/test_130_demand.py",
        "tests/rules/test_150_reactive.py",
    ),
    # (the web home page's demand curve, smf.uc_demand_curve, is pinned by hand in its own file)
    "130": _rules("tests/rules/test_130_demand.py", "tests/api/test_home_page_sql.py"),
    "140": _rules("tests/rules/test_140_musd.py"),
    "150": _rules("tests/rules/test_dmcr_billable.py", "tests/rules/test_150_reactive.py"),
    "160": _rules(
        "tests/rules/test_dmcr_billable.py",
        "tests/rules/test_160_billing.py",
        "tests/rules/test_billing_set.py",
    ),
    "170": _rules("tests/rules/test_170_contracts.py"),
    # beyond the rule files (run them by naming the files; `make mutate` runs the 1xx rules):
    # ingest, rollups, VEE validation and estimation, CCEE, alarms, each with its cheaper tests
    "020": ["tests/db/test_rollup_property.py", "tests/db/test_quarantine_matrix.py"],
    "040": ["tests/db/test_rollup_property.py"],
    "030": [
        "tests/db/test_quarantine_matrix.py",
        "tests/db/test_ingest_hardening.py",
        "tests/db/test_ingest_subset.py",
        "tests/db/test_source_precedence.py",
    ],
    **{f"05{k}": ["tests/vee/test_validation.py", "tests/vee/test_property.py"] for k in range(10)},
    "060": ["tests/vee/test_estimation.py", "tests/vee/test_property.py"],
    "400": ["tests/ccee/test_payload.py", "tests/ccee/test_board.py"],
    "410": ["tests/ccee/test_payload.py", "tests/ccee/test_exactly_once.py"],
    "600": ["tests/alarms/test_600_alarms.py"],
    "610": ["tests/alarms/test_600_alarms.py"],
}

SERIES = ("p_kwh", "q_ind_kvarh", "q_cap_kvarh")
TERM_END = {
    "and",
    "or",
    "then",
    "else",
    "end",
    "when",
    "group",
    "order",
    "limit",
    "offset",
    "union",
    "window",
    "having",
    "loop",
    "returning",
    "select",
    "from",
    "where",
    "into",
    "on",
    "join",
    "left",
    "cross",
    "as",
}


@dataclass
class Mutant:
    path: Path
    kind: str
    line: int
    original: str
    mutated: str
    index: int = 0  # 1-based position among its file's mutants (all kinds): a stable id

    @property
    def id(self) -> str:
        return f"{self.path.name[:3]}#{self.index}"

    def diff(self) -> str:
        rel = self.path.relative_to(ROOT)
        return "".join(
            difflib.unified_diff(
                self.original.splitlines(keepends=True),
                self.mutated.splitlines(keepends=True),
                f"a/{rel}",
                f"b/{rel}",
                n=1,
            )
        )


# ---------------------------------------------------------------- tokenising (code only)

_TOKEN = re.compile(
    r"(?P<comment>--[^\n]*)|(?P<dollar>\$\$)|(?P<string>'(?:[^']|'')*')|(?P<ident>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<number>\d+(?:\.\d+)?)|(?P<op><>|<=|>=|=>|->>|#>>|->|#>|@>|<@|!=|::|[<>()=,;.+\-*/%\[\]])|(?P<ws>\s+)|(?P<other>.)",
    re.S,
)


@dataclass
class Tok:
    kind: str
    text: str
    start: int
    depth: int
    in_body: bool


def tokens(text: str) -> list[Tok]:
    out: list[Tok] = []
    depth = 0
    in_body = False
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup or "other"
        t = m.group()
        if kind == "dollar":
            in_body = not in_body
        if kind == "op" and t == ")":
            depth -= 1
        out.append(Tok(kind, t, m.start(), depth, in_body))
        if kind == "op" and t == "(":
            depth += 1
    return out


def _code(toks: list[Tok]) -> list[Tok]:
    return [t for t in toks if t.kind not in ("comment", "ws")]


def _line(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _splice(text: str, lo: int, hi: int, new: str) -> str:
    return text[:lo] + new + text[hi:]


# ---------------------------------------------------------------- operators


def mutants_of(path: Path) -> list[Mutant]:
    text = path.read_text()
    toks = _code(tokens(text))
    out: list[Mutant] = []
    generated = 0  # every mutant counts, the skipped ones too: ids stay those of past runs

    def add(kind: str, pos: int, new_text: str, equivalent: bool = False) -> None:
        nonlocal generated
        if new_text != text:
            generated += 1
            if not equivalent:
                out.append(Mutant(path, kind, _line(text, pos), text, new_text, generated))

    flips = {"<": "<=", "<=": "<", ">": ">=", ">=": ">"}
    for i, t in enumerate(toks):
        if not t.in_body:
            continue
        low = t.text.lower()
        if t.kind == "op" and t.text in flips:
            add("cmp", t.start, _splice(text, t.start, t.start + len(t.text), flips[t.text]))
        elif t.kind == "number":
            prev = toks[i - 1].text if i else ""
            if prev in ("$",):
                continue
            num = t.text
            if "." in num:
                digits = len(num.split(".")[1])
                new = f"{float(num) + 10**-digits:.{digits}f}"
            else:
                new = str(int(num) + 1)
            add(
                "const",
                t.start,
                _splice(text, t.start, t.start + len(num), new),
                equivalent=_exists_constant(toks, i) or _select_into_limit(toks, i),
            )
        elif t.kind == "string" and re.fullmatch(r"'\d+ (minutes?|hours?|days?|months?)'", t.text):
            n = int(t.text[1:].split()[0])
            new = t.text.replace(str(n), str(n + 1), 1)
            add("const", t.start, _splice(text, t.start, t.start + len(t.text), new))
        elif t.kind == "ident" and low in SERIES + tuple(s + "_raw" for s in SERIES):
            if i == 0 or toks[i - 1].text != ".":
                continue  # only column references (q.p_kwh), not declarations
            new = low[:-4] if low.endswith("_raw") else low + "_raw"
            add("series", t.start, _splice(text, t.start, t.start + len(t.text), new))
        elif (
            t.kind == "ident"
            and low == "p_with_losses"
            and i
            and toks[i - 1].text.lower() == "when"
        ):
            add("series", t.start, _splice(text, t.start, t.start, "not "))
        elif t.kind == "ident" and low == "and":
            end = _term_end(toks, i)
            if end is None or _is_between(toks, i):
                continue
            hi = toks[end].start if end < len(toks) else len(text)
            add("drop", t.start, _splice(text, t.start, hi, ""))
        elif t.kind == "ident" and low == "when":
            end = _when_end(toks, i)
            if end is None:
                continue
            # keep at least one branch: skip when it is the only `when` of its case
            if low == "when" and _only_branch(toks, i, end):
                continue
            add("drop", t.start, _splice(text, t.start, toks[end].start, ""))
    return out


# Constants whose change is equivalent by construction are not generated (their ids are kept):
# - the constant of `exists (select 1 ...)`: an EXISTS never reads what it selects;
# - the `limit 1` of a PL/pgSQL `select ... into`: `into` keeps the first row anyway.


def _exists_constant(toks: list[Tok], i: int) -> bool:
    return (
        i >= 3
        and toks[i - 1].text.lower() == "select"
        and toks[i - 2].text == "("
        and toks[i - 3].text.lower() == "exists"
    )


def _select_into_limit(toks: list[Tok], i: int) -> bool:
    if i < 1 or toks[i - 1].text.lower() != "limit" or toks[i].text != "1":
        return False
    d = toks[i].depth
    for j in range(i - 2, -1, -1):
        t = toks[j]
        if t.kind == "dollar" or t.text == ";" or t.depth < d:
            return False
        if t.depth == d and t.text.lower() == "into":
            return True
    return False


def _term_end(toks: list[Tok], i: int) -> int | None:
    d = toks[i].depth
    in_between = False
    for j in range(i + 1, len(toks)):
        t = toks[j]
        if t.depth == d and t.text.lower() == "between":
            in_between = True
            continue
        if in_between and t.depth == d and t.text.lower() == "and":
            in_between = False
            continue
        if t.depth < d or (t.depth == d and (t.text.lower() in TERM_END or t.text in (";", ","))):
            return j if j > i + 1 else None
        if t.kind == "dollar":
            return j
    return None


def _is_between(toks: list[Tok], i: int) -> bool:
    d = toks[i].depth
    for j in range(i - 1, max(i - 12, -1), -1):
        t = toks[j]
        if t.depth == d and t.text.lower() == "between":
            return True
        if t.depth == d and t.text.lower() in TERM_END:
            return False
    return False


def _when_end(toks: list[Tok], i: int) -> int | None:
    """The token after a case branch `when ... then ...` (the next when/else/end at its level)."""
    d = toks[i].depth
    nest = 0
    for j in range(i + 1, len(toks)):
        t = toks[j]
        low = t.text.lower()
        if t.depth < d:
            return None
        if t.depth > d:
            continue
        if low == "case":
            nest += 1
        elif low == "end" and nest:
            nest -= 1
        elif nest == 0 and low in ("when", "else", "end"):
            return j
    return None


def _only_branch(toks: list[Tok], i: int, end: int) -> bool:
    d = toks[i].depth
    # the branch before: scan back to `case` at this level
    for j in range(i - 1, -1, -1):
        t = toks[j]
        if t.depth == d and t.text.lower() == "case":
            prev_when = False
            break
        if t.depth == d and t.text.lower() in ("when", "then"):
            prev_when = True
            break
    else:
        return True
    return not prev_when and toks[end].text.lower() != "when"


# ---------------------------------------------------------------- running


def _sources_hash() -> str:
    from tests.conftest import _sources_hash as h

    return h()


def _apply(sql: str, want_hash: str) -> str | None:
    """Load sql into the template database and set its hash; the error text when it fails."""
    import psycopg

    from tests.conftest import TEMPLATE

    cs = _cluster_settings()
    url = cs.url(TEMPLATE)
    err = None
    with psycopg.connect(url, autocommit=True) as c:
        try:
            with c.transaction():
                c.execute(sql.encode())
        except psycopg.Error as e:
            err = str(e).splitlines()[0]
    admin = cs.url("postgres")
    with psycopg.connect(admin, autocommit=True) as c:
        c.execute(f"comment on database {TEMPLATE} is '{want_hash}'")
    return err


def _cluster_settings():  # type: ignore[no-untyped-def]
    from db.settings import ClusterSettings, default_state_dir, load

    base = load()
    return ClusterSettings(
        data_dir=Path(os.environ.get("SMF_TEST_PG_DATA", default_state_dir() / "test-pgdata")),
        port=int(os.environ.get("SMF_TEST_PG_PORT", "55433")),
        user=base.cluster.user,
        bin_dir=base.cluster.bin_dir,
    )


def _prepare() -> bool:
    """Start the test cluster (kept up for the whole run, so that pytest leaves it running) and
    make the template current (one test module). Returns whether it was started here."""
    from db.cluster import Cluster

    cluster = Cluster(
        _cluster_settings(),
        extra_conf={"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"},
    )
    started = not cluster.status().running
    cluster.start()
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-x", "tests/rules/test_125_cycle.py"],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return started


def _stop() -> None:
    from db.cluster import Cluster

    Cluster(_cluster_settings()).stop()


# Third-party pytest plugins are not auto-loaded in a mutant's run (importing hypothesis, faker
# and schemathesis costs ~3 s of CPU per run, more than most rule test files): a run loads
# pytest-asyncio (it owns ini options of pyproject.toml) and any other plugin whose name its test
# files mention. The tests and what they assert are the same.
_PLUGINS = {
    "hypothesis": "hypothesis.extra.pytestplugin",
    "anyio": "anyio.pytest_plugin",
    "subtests": "pytest_subtests.plugin",
    "faker": "faker.contrib.pytest.plugin",
    "schemathesis": "schemathesis.extra.pytest_plugin",
}


def _pytest_args(tests: list[str]) -> list[str]:
    args = ["-p", "no:cacheprovider", "-p", "pytest_asyncio.plugin"]
    text = ""
    for t in tests:
        p = ROOT / t
        files = sorted(p.rglob("*.py")) if p.is_dir() else [p]
        text += "".join(f.read_text() for f in files)
        text += "".join(c.read_text() for c in _conftests(p))
    for word, plugin in _PLUGINS.items():
        if word in text:
            args += ["-p", plugin]
    return args


def _conftests(p: Path) -> list[Path]:
    out = []
    for d in [p if p.is_dir() else p.parent, *(p if p.is_dir() else p.parent).parents]:
        if (d / "conftest.py").exists():
            out.append(d / "conftest.py")
        if d == ROOT:
            break
    return out


def run_mutant(m: Mutant, timeout: float) -> tuple[str, str]:
    prefix = m.path.name[:3]
    tests = [t for t in TEST_MAP.get(prefix, ["tests/rules"]) if (ROOT / t).exists()]
    orig_hash = _sources_hash()
    try:
        m.path.write_text(m.mutated)
        err = _apply(m.mutated, _sources_hash())
        if err:
            return "invalid", err
        try:
            r = subprocess.run(
                [sys.executable, "-m", "pytest", "-q", "-x", *_pytest_args(tests), *tests],
                cwd=ROOT,
                env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                timeout=timeout,
                text=True,
            )
        except subprocess.TimeoutExpired:
            return "timeout", ""
        if r.returncode == 0:
            return "survived", ""
        failed = [ln for ln in r.stdout.splitlines() if ln.startswith(("FAILED", "ERROR"))]
        return "killed", failed[0] if failed else r.stdout.strip().splitlines()[-1]
    finally:
        m.path.write_text(m.original)
        err = _apply(m.original, orig_hash)
        if err:
            raise SystemExit(f"could not restore {m.path}: {err}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("files", nargs="*", type=Path)
    ap.add_argument("--budget", type=float, default=None, help="stop after this many seconds")
    ap.add_argument("--sample", type=int, default=None, help="run at most N mutants")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--kinds", default="cmp,drop,series,const")
    ap.add_argument("--report", type=Path, default=None, help="write the Markdown report here")
    ap.add_argument("--list", action="store_true", help="list the mutants and exit")
    ap.add_argument(
        "--positions",
        default=None,
        help="re-run only these 1-based positions of the --seed order (a past run's survivors)",
    )
    ap.add_argument(
        "--only",
        default=None,
        help="run only these mutant ids (file prefix#index, e.g. 140#12,125#3)",
    )
    ap.add_argument(
        "--skip",
        type=int,
        default=0,
        help="leave out the first N of the order (finish a --shuffle run cut short after N)",
    )
    ap.add_argument(
        "--shuffle",
        action="store_true",
        help="run all the mutants in the --seed order (a run cut short is then a random sample;"
        " its [n/N] are --positions)",
    )
    a = ap.parse_args(argv)
    files = [f.resolve() for f in a.files] or sorted(
        (ROOT / "db/functions").glob("1[0-9][0-9]_*.sql")
    )
    kinds = set(a.kinds.split(","))
    all_mutants = [m for f in files for m in mutants_of(f) if m.kind in kinds]
    if a.list:
        for m in all_mutants:
            print(f"{m.id} {m.path.name}:{m.line} {m.kind}")
            print(m.diff())
        print(f"{len(all_mutants)} mutants")
        return 0
    order = list(all_mutants)
    sampled = a.sample is not None or a.budget is not None or a.positions is not None
    if sampled or a.shuffle:
        random.Random(a.seed).shuffle(order)
    if a.positions:
        order = [order[int(p) - 1] for p in a.positions.split(",")]
    if a.only:
        by_id = {m.id: m for m in all_mutants}
        order = [by_id[i.strip()] for i in a.only.split(",")]
        sampled = True
    if a.skip:
        order = order[a.skip :]
    if a.sample is not None:
        order = order[: a.sample]
    # SIGTERM (e.g. a CI timeout) unwinds like Ctrl-C, so the finally blocks restore the file
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = _prepare()
    t0 = time.monotonic()
    results: list[tuple[Mutant, str, str]] = []
    try:
        for n, m in enumerate(order, 1):
            if a.budget is not None and time.monotonic() - t0 > a.budget:
                break
            t1 = time.monotonic()
            status, why = run_mutant(m, a.timeout)
            results.append((m, status, why))
            print(
                f"[{n + a.skip}/{len(order) + a.skip}] {m.id} {m.path.name}:{m.line} {m.kind}:"
                f" {status} ({time.monotonic() - t1:.0f} s) {why}",
                flush=True,
            )
            if a.report:  # kept current, so a run cut short still leaves its figures
                a.report.write_text(
                    _report(results, len(all_mutants), time.monotonic() - t0, a, sampled)
                )
    finally:
        if started:
            _stop()
    elapsed = time.monotonic() - t0
    report = _report(results, len(all_mutants), elapsed, a, sampled)
    print(report)
    if a.report:
        a.report.write_text(report)
    return 0


def _report(results, total: int, elapsed: float, a: argparse.Namespace, sampled: bool) -> str:
    count = {
        k: sum(1 for _, s, _ in results if s == k)
        for k in ("killed", "survived", "timeout", "invalid")
    }
    scored = count["killed"] + count["survived"] + count["timeout"]
    ratio = (count["killed"] + count["timeout"]) / scored if scored else 0.0
    lines = [
        "# SQL mutation report",
        "",
        f"- mutants generated: {total}; run: {len(results)}"
        + (
            " (chosen by --only)"
            if a.only
            else f" (random sample, seed {a.seed})"
            if sampled
            else f" (all, in random order, seed {a.seed})"
            if a.shuffle
            else ""
        ),
        f"- killed {count['killed']}, survived {count['survived']}, timed out {count['timeout']},"
        f" invalid (SQL does not load) {count['invalid']}",
        f"- kill ratio (killed + timed out) / (killed + survived + timed out): {ratio:.1%}",
        f"- wall time {elapsed:.0f} s",
        "",
    ]
    by_file: dict[str, list[int]] = {}
    for m, s, _ in results:
        row = by_file.setdefault(m.path.name, [0, 0, 0, 0])
        row[["killed", "survived", "timeout", "invalid"].index(s)] += 1
    lines.append("| file | killed | survived | timed out | invalid |")
    lines.append("| --- | --- | --- | --- | --- |")
    for f, (k, s, t, i) in sorted(by_file.items()):
        lines.append(f"| {f} | {k} | {s} | {t} | {i} |")
    lines.append("")
    survivors = [m for m, s, _ in results if s == "survived"]
    if survivors:
        lines.append("## Survivors")
        for m in survivors:
            lines += [
                "",
                f"{m.id} {m.path.name}:{m.line} ({m.kind})",
                "```diff",
                m.diff().rstrip(),
                "```",
            ]
        lines += ["", "Re-run them: `--only " + ",".join(m.id for m in survivors) + "`"]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
