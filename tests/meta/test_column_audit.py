"""The column audit (scripts/column_audit.py, docs/column-audit.md): every column users read
names the test that pins it; the list in the repository is up to date; a column without a test
is one of the holes listed when the audit began (a list that may only shrink)."""

from __future__ import annotations

import importlib.util
import sys
from typing import Any

import psycopg
import pytest

from db.settings import REPO_ROOT, Settings

_spec = importlib.util.spec_from_file_location(
    "column_audit", REPO_ROOT / "scripts" / "column_audit.py"
)
assert _spec is not None and _spec.loader is not None
column_audit = importlib.util.module_from_spec(_spec)
sys.modules["column_audit"] = column_audit  # (its dataclasses look their module up)
_spec.loader.exec_module(column_audit)


@pytest.fixture(scope="module")
def rows(module_db: Settings) -> list[tuple[str, str, str, str]]:
    with psycopg.connect(module_db.url) as conn:
        out: list[tuple[str, str, str, str]] = column_audit.audit(conn)
    return out


@pytest.mark.slow
def test_every_column_has_a_pinning_test_or_is_a_listed_hole(rows: Any) -> None:
    known = column_audit.known_holes()
    new = [f"{o}.{c}" for o, c, _, t in rows if not t and f"{o}.{c}" not in known]
    assert new == [], (
        "columns users read without a test that pins them (write one; see docs/column-audit.md)"
    )


def test_a_hole_that_got_its_test_leaves_the_list(rows: Any) -> None:
    pinned = {f"{o}.{c}" for o, c, _, t in rows if t}
    gone = {f"{o}.{c}" for o, c, _, _ in rows}
    stale = sorted((column_audit.known_holes() & pinned) | (column_audit.known_holes() - gone))
    assert stale == [], "remove these lines from tests/meta/column_audit_known_holes.txt"


def test_the_list_in_the_repository_is_up_to_date(rows: Any) -> None:
    want = column_audit.render(rows)
    have = column_audit.OUT.read_text() if column_audit.OUT.exists() else ""
    assert have == want, "run: .venv/bin/python scripts/column_audit.py --url <db at head> --write"


def test_the_audit_sees_a_test_that_names_a_column() -> None:
    """The detection itself: this module's own probe names smf_read.meter_daily and
    max_demand_at in a select and asserts, so it counts as pinning that column (and only it)."""
    texts = column_audit.tests_of(REPO_ROOT / "tests" / "meta")
    probe = next(
        t for t in texts if t.nodeid.endswith("::test_the_audit_sees_a_test_that_names_a_column")
    )
    assert "meter_daily" in probe.objects and "max_demand_at" in probe.words and probe.asserts
    _ = "select max_demand_at from smf_read.meter_daily"  # the text the probe finds
