"""The SQL catalogue: every function and view of smf and smf_read carries a COMMENT ON derived
from the banner above its definition in db/functions (db/catalogue.py), month parameters take
'YYYY-MM' text as well as dates, and docs/sql-api.md is the catalogue as generated."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest

from db import catalogue, functions
from db.settings import REPO_ROOT, Settings


@pytest.mark.slow
def test_every_function_and_view_has_a_comment(conn: psycopg.Connection[Any]) -> None:
    gaps = catalogue.missing(conn)
    where = {b.name: f"{b.path}:{b.line}" for f in functions.files() for b in catalogue.parse(f)}
    assert not gaps, "no banner directly above the definition (so no COMMENT ON):\n" + "\n".join(
        f"  {kind} {schema}.{name}({identity})  {where.get(name, '')}"
        for kind, schema, name, identity in gaps
    )
    n = conn.execute("select count(*) from smf.catalogue").fetchone()
    assert n is not None and n[0] > 300  # functions and views of both schemas, all covered


def test_a_function_added_without_a_banner_is_named(
    conn: psycopg.Connection[Any], tmp_path: Path
) -> None:
    # The mechanism on a file of its own: a banner is picked up, its absence is reported.
    sql = tmp_path / "990_new.sql"
    sql.write_text(
        "-- zz_with: seven, an integer.\n"
        "create or replace function smf.zz_with() returns int\n"
        "language sql immutable set search_path = pg_catalog as $$ select 7 $$;\n"
        "\n"
        "create or replace function smf.zz_without() returns int\n"
        "language sql immutable set search_path = pg_catalog as $$ select 8 $$;\n"
    )
    conn.execute(sql.read_text())
    catalogue.apply(conn, [sql])
    assert ("function", "smf", "zz_without", "") in catalogue.missing(conn)
    assert ("function", "smf", "zz_with", "") not in catalogue.missing(conn)
    got = conn.execute("select obj_description('smf.zz_with()'::regprocedure, 'pg_proc')")
    assert got.fetchone() == ("Seven, an integer.",)


def test_banner_parsing(tmp_path: Path) -> None:
    sql = tmp_path / "991_x.sql"
    sql.write_text(
        "-- uc_thing: the thing of UC p_uc (kWh,\n"
        "-- local days).\n"
        "create or replace function smf.uc_thing(p_uc int) returns numeric\n"
        "language sql stable as $f$ select 1.0 $f$;\n"
        "-- catalogue: view smf.dyn_view: rows made by a loop,\n"
        "--   one per meter.\n"
        "-- not part of it\n"
    )
    got = list(catalogue.parse(sql))
    assert [(b.kind, b.name, b.text, b.body) for b in got] == [
        ("view", "dyn_view", "rows made by a loop, one per meter.", None),
        ("function", "uc_thing", "the thing of UC p_uc (kWh, local days).", " select 1.0 "),
    ]


@pytest.fixture
def billed(db_settings: Settings) -> tuple[Settings, str]:
    from tests.rules.conftest import make_uc, put_hours

    with psycopg.connect(db_settings.url) as c:
        uc = make_uc(c, 77, ponta_kw=300, fora_kw=520, musd_kw=100)
        put_hours(c, uc, [("2026-10-06 10:00", 120, 0, 0), ("2026-10-06 11:00", 126, 0, 0)])
        c.commit()
    return db_settings, uc.code


@pytest.mark.slow
def test_month_parameters_take_yyyy_mm_text(billed: tuple[Settings, str]) -> None:
    settings, code = billed
    with psycopg.connect(settings.url) as c:
        as_text = c.execute("select * from smf.billing_summary(%s, '2026-10')", (code,)).fetchall()
        as_date = c.execute(
            "select * from smf.billing_summary(%s, date '2026-10-01')", (code,)
        ).fetchall()
        full = c.execute("select * from smf.billing_summary(%s, '2026-10-01')", (code,)).fetchall()
        assert as_text == as_date == full and as_text  # the same rows, whichever form
        # 246 kWh fora ponta (120 + 126, see tests/test_cli_report.py)
        assert next(r for r in as_text if r[2] == "energy" and r[3] == "fora_ponta")[4] == 246
        assert (
            c.execute("select smf.ccee_deadlines('2026-11')").fetchone()
            == c.execute("select smf.ccee_deadlines(date '2026-11-01')").fetchone()
        )
    for bad, words in (("nov/2026", "expected YYYY-MM"), ("2026-13", "not a calendar month")):
        with psycopg.connect(settings.url) as c, pytest.raises(psycopg.Error) as err:
            c.execute("select * from smf.billing_summary(%s, %s)", (code, bad))
        assert err.value.sqlstate == "SMF02" and words in str(err.value), str(err.value)


def test_docs_sql_api_is_the_generated_catalogue(conn: psycopg.Connection[Any]) -> None:
    doc = REPO_ROOT / "docs" / "sql-api.md"
    assert doc.read_text() == catalogue.render(conn), (
        "docs/sql-api.md is out of date: run `.venv/bin/python scripts/sql_catalogue.py --write`"
    )


def test_schema_sql_keeps_signatures_and_hashes_bodies() -> None:
    from db import schema

    dumped = (
        "CREATE FUNCTION smf.f(p integer) RETURNS integer\n"
        "    LANGUAGE sql IMMUTABLE\n"
        "    AS $$ select p\n  + 1 $$;\n"
        "CREATE VIEW smf.v AS\n SELECT 1;\n"
    )
    # the body between the dollar quotes, two lines, hashed (not repeated)
    import hashlib

    digest = hashlib.sha256(b" select p\n  + 1 ").hexdigest()[:16]
    assert schema.hash_bodies(dumped) == (
        "CREATE FUNCTION smf.f(p integer) RETURNS integer\n"
        "    LANGUAGE sql IMMUTABLE\n"
        f"    AS -- body: 2 lines, sha256 {digest}\n"
        "CREATE VIEW smf.v AS\n SELECT 1;\n"
    )
    declared = schema.SCHEMA_FILE.read_text()
    assert "CREATE FUNCTION smf.uc_id(p_uc_code text) RETURNS integer" in declared
    assert "    AS $" not in declared  # no body is repeated
