#!/usr/bin/env python3
"""Column audit: every answer a user reads from the database, and the test that pins it.

The catalogue gives the columns users read: every column of every relation of schema smf_read
(what Grafana and scoped psql users see) and every result column of every SQL function of
schema smf that PUBLIC may execute (a function returning one value has one result, named after
the function), triggers and void functions left out.

The tests give the pins. A test function pins column C of object O when

- it names O (`smf.O` / `smf_read.O`, in its own text, in a module-level helper or constant of
  its module that it uses, or in a named query of db/queries/*.sql it runs), and
- it names C (a word of its text or of those helpers: an SQL column, a dict key, an attribute)
  or it reads O with `select *` / `O.*` (every column, compared as a whole row), and
- it asserts something;

or when it says so explicitly with the decorator `tests.pins.pins("O.C", "O.*", ...)`, for a
test that pins a column the words above cannot show (e.g. through the API, or a whole row by
position). A column of smf_read that is a plain copy of a table of smf (`select * from smf.T`)
is pinned by the visibility test, which compares every column of every such copy with the
stored rows (tests/api/test_visibility.py); its stored values are pinned where they are written.

    .venv/bin/python scripts/column_audit.py            # print the holes (exit 1 if any)
    .venv/bin/python scripts/column_audit.py --write    # rewrite docs/column-audit.md

tests/meta/test_column_audit.py fails when docs/column-audit.md is out of date with the
catalogue and the tests, or when a column has no pinning test and is not one of the holes
listed when the audit began (tests/meta/column_audit_known_holes.txt, which may only shrink:
a hole that gets a test must leave it). So a new column without a test fails in review.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

OUT = ROOT / "docs" / "column-audit.md"
KNOWN_HOLES = ROOT / "tests" / "meta" / "column_audit_known_holes.txt"
COPY_PIN = (
    "tests/api/test_visibility.py::"
    "test_a_mapped_login_role_sees_exactly_its_own_rows_in_every_smf_read_relation"
)
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OBJ = re.compile(r"\bsmf(?:_read)?\s*\.\s*([a-z_][a-z0-9_]*)")
_STAR = re.compile(r"select\s+(?:[a-z_]+\.)?\*\s+from\s+smf(?:_read)?\.([a-z_][a-z0-9_]*)", re.I)
_QSTAR = re.compile(r"\b([a-z_][a-z0-9_]*)\.\*")
_QUERY = re.compile(r"^--\s*name:\s*([a-z_0-9]+)", re.M)

CATALOGUE_SQL = """
with rel as (
    select 'smf_read.' || c.relname as obj, a.attname::text as col, a.attnum as pos,
           -- smf.read_views_refresh copies each table T as `select * from smf.T`
           case when exists (select 1 from pg_class t
                             join pg_namespace tn on tn.oid = t.relnamespace
                             where tn.nspname = 'smf' and t.relname = c.relname
                               and t.relkind in ('r', 'p'))
                then 'copy' else 'view' end as kind
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
    where n.nspname = 'smf_read' and c.relkind = 'v'
), fn as (
    select distinct on (p.proname, coalesce(o.name, p.proname))
           'smf.' || p.proname as obj, coalesce(o.name, p.proname) as col,
           coalesce(o.ord, 1)::int as pos, 'function' as kind
    from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    left join lateral (
        select x.name, x.ord
        from unnest(p.proargnames, p.proargmodes) with ordinality as x(name, mode, ord)
        where x.mode in ('o', 't', 'b')
    ) o on p.proargmodes is not null
    where n.nspname = 'smf' and p.prokind = 'f'
      and p.prorettype not in ('trigger'::regtype, 'void'::regtype, 'event_trigger'::regtype)
      and (p.proacl is null or exists (select 1 from aclexplode(p.proacl) a
                                       where a.grantee = 0 and a.privilege_type = 'EXECUTE'))
    order by p.proname, coalesce(o.name, p.proname), coalesce(o.ord, 1)
)
select obj, col, kind from (select * from rel union all select * from fn) x
order by obj, pos, col
"""


@dataclass
class TestText:
    """What one test function shows: the words and objects it names, with its helpers."""

    nodeid: str
    words: set[str] = field(default_factory=set)
    objects: set[str] = field(default_factory=set)
    star: set[str] = field(default_factory=set)  # objects read whole (select *)
    asserts: bool = False
    pins: set[str] = field(default_factory=set)  # explicit "obj.col" / "obj.*"


def catalogue(conn: Any) -> list[tuple[str, str, str]]:
    """(object, column, kind) for every column users read; kind copy / view / function."""
    return [tuple(r) for r in conn.execute(CATALOGUE_SQL).fetchall()]


def _queries() -> dict[str, str]:
    out: dict[str, str] = {}
    for path in sorted((ROOT / "db" / "queries").glob("*.sql")):
        text = path.read_text()
        marks = list(_QUERY.finditer(text))
        for i, m in enumerate(marks):
            end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
            out[m.group(1)] = text[m.end() : end]
    return out


def _strings(node: ast.AST) -> Iterable[str]:
    for n in ast.walk(node):
        if isinstance(n, ast.Constant) and isinstance(n.value, str):
            yield n.value


def _names(node: ast.AST) -> Iterable[str]:
    for n in ast.walk(node):
        if isinstance(n, ast.Name):
            yield n.id
        elif isinstance(n, ast.Attribute):
            yield n.attr
        elif (isinstance(n, ast.keyword) and n.arg) or isinstance(n, ast.arg):
            yield n.arg


def _pins(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    out: set[str] = set()
    for d in fn.decorator_list:
        if isinstance(d, ast.Call) and (
            (isinstance(d.func, ast.Name) and d.func.id == "pins")
            or (isinstance(d.func, ast.Attribute) and d.func.attr == "pins")
        ):
            out |= {a.value for a in d.args if isinstance(a, ast.Constant)}
    return out


def _absorb(t: TestText, text: str, queries: dict[str, str]) -> None:
    t.words |= set(_WORD.findall(text))
    t.objects |= set(_OBJ.findall(text))
    t.star |= {m.lower() for m in _STAR.findall(text)}
    for alias in _QSTAR.findall(text):  # "select b.* from smf.ccee_board(...) b"
        m = re.search(rf"smf(?:_read)?\.([a-z_0-9]+)\s*\([^;]*?\)\s+(?:as\s+)?{alias}\b", text)
        if m:
            t.star.add(m.group(1))
    if text in queries:  # a named query run by name
        _absorb(t, queries[text], {})


_COMMON = {"run", "one", "rows", "connect", "main", "load", "build", "start", "close", "value"}


def _accessors(queries: dict[str, str]) -> dict[str, list[str]]:
    """Functions of the product's Python code (db/, smf/, ccee/, api/, jobs/) that reach SQL:
    name -> the SQL texts they send (named queries expanded), so a test that calls
    `rules.musd_check(...)` names what the query behind it reads."""
    out: dict[str, list[str]] = defaultdict(list)
    for pkg in ("db", "smf", "ccee", "api", "jobs"):
        for path in sorted((ROOT / pkg).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                if node.name in _COMMON or node.name.startswith("__"):
                    continue
                texts = []
                for st in _strings(node):
                    if st in queries:
                        texts.append(queries[st])
                    elif _OBJ.search(st):
                        texts.append(st)
                if texts:
                    out[node.name] += texts
    return out


def tests_of(root: Path = ROOT / "tests") -> list[TestText]:
    """Every test function of the suite with what it names."""
    queries = _queries()
    accessors = _accessors(queries)
    out: list[TestText] = []
    for path in sorted(root.rglob("test_*.py")):
        tree = ast.parse(path.read_text())
        helpers: dict[str, ast.AST] = {}
        for node in tree.body:
            if isinstance(
                node, ast.FunctionDef | ast.AsyncFunctionDef
            ) and not node.name.startswith("test_"):
                helpers[node.name] = node
            elif isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for tg in targets:
                    if isinstance(tg, ast.Name):
                        helpers[tg.id] = node
        rel = path.relative_to(ROOT).as_posix()
        for node in tree.body:
            if not (
                isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
                and node.name.startswith("test_")
            ):
                continue
            t = TestText(f"{rel}::{node.name}", pins=_pins(node))
            seen: set[str] = set()
            todo: list[ast.AST] = [node]
            while todo:  # the test and the module-level helpers it uses, transitively
                n = todo.pop()
                for s in _strings(n):
                    _absorb(t, s, queries)
                for name in _names(n):
                    t.words.add(name)
                    for text in accessors.get(name, ()):
                        _absorb(t, text, queries)
                    if name in helpers and name not in seen:
                        seen.add(name)
                        todo.append(helpers[name])
            t.asserts = any(isinstance(n, ast.Assert) for n in ast.walk(node)) or any(
                isinstance(n, ast.Assert) for h in seen for n in ast.walk(helpers[h])
            )
            out.append(t)
    return out


def audit(conn: Any, tests: list[TestText] | None = None) -> list[tuple[str, str, str, str]]:
    """(object, column, kind, pinning tests or '') for every column users read."""
    tests = tests if tests is not None else tests_of()
    by_obj: dict[str, list[TestText]] = defaultdict(list)
    explicit: dict[str, list[str]] = defaultdict(list)
    for t in tests:
        if t.asserts:
            for o in t.objects:
                by_obj[o].append(t)
        for p in t.pins:
            explicit[p].append(t.nodeid)
    rows = []
    for obj, col, kind in catalogue(conn):
        name = obj.split(".", 1)[1]
        found = explicit.get(f"{obj}.{col}", []) + explicit.get(f"{obj}.*", [])
        if kind == "copy":
            found = found or [COPY_PIN]
        for t in by_obj.get(name, []):
            if name in t.star or col in t.words or (kind == "function" and col == name):
                found.append(t.nodeid)
        rows.append((obj, col, kind, ", ".join(sorted(set(found))[:3])))
    return rows


def known_holes() -> set[str]:
    if not KNOWN_HOLES.exists():
        return set()
    return {
        line.strip()
        for line in KNOWN_HOLES.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }


def render(rows: list[tuple[str, str, str, str]]) -> str:
    holes = sum(1 for r in rows if not r[3])
    known = known_holes()
    lines = [
        "# Column audit",
        "",
        "Every column users read (each relation of `smf_read`, each result column of a public SQL",
        "function of `smf`) and up to three tests that pin it with values worked out by hand.",
        "Generated by `scripts/column_audit.py --write` from the catalogue and the tests; do not",
        "edit by hand. `tests/meta/test_column_audit.py` fails when this file is stale or a column",
        "has no test. `copy` = an `smf_read` copy of a table, pinned as a whole row by the",
        "visibility test (its stored values are pinned where they are written).",
        "",
        f"{len(rows)} columns, {holes} without a pinning test (each listed in",
        "`tests/meta/column_audit_known_holes.txt`, which may only shrink).",
        "",
        "| object | column | kind | pinned by |",
        "| --- | --- | --- | --- |",
    ]
    lines += [
        f"| {o} | {c} | {k} | "
        f"{t or ('**none** (known hole)' if f'{o}.{c}' in known else '**none**')} |"
        for o, c, k, t in rows
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--write", action="store_true", help=f"rewrite {OUT.relative_to(ROOT)}")
    ap.add_argument("--url", help="a database at head (default: the local cluster's)")
    ap.add_argument(
        "--freeze-holes",
        action="store_true",
        help=f"write today's holes to {KNOWN_HOLES.relative_to(ROOT)} (only when starting)",
    )
    a = ap.parse_args()
    import psycopg

    from db.settings import load

    with psycopg.connect(a.url or load().url) as conn:
        rows = audit(conn)
    holes = [r for r in rows if not r[3]]
    if a.freeze_holes:
        KNOWN_HOLES.write_text(
            "# Columns users read that no test pinned when the column audit began (issue 22).\n"
            "# Remove a line when a test pins it; never add one: a new column gets its test.\n"
            + "".join(f"{o}.{c}\n" for o, c, _, _ in holes)
        )
    if a.write:
        OUT.write_text(render(rows))
        print(f"wrote {OUT.relative_to(ROOT)}: {len(rows)} columns, {len(holes)} without a test")
    known = known_holes()
    new = [(o, c, k) for o, c, k, _ in holes if f"{o}.{c}" not in known]
    for o, c, k in new:
        print(f"no test pins {o}.{c} ({k})")
    print(f"{len(rows)} columns; {len(holes)} without a test, {len(new)} of them new")
    return 1 if new else 0


if __name__ == "__main__":
    raise SystemExit(main())
