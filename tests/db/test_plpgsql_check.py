"""Static check of every PL/pgSQL function in schema smf with plpgsql_check (pgstac's gate).

Our ingest and rollup functions build temporary tables at run time, so the check runs inside a
transaction that has just taken both ingest paths (new rows, then changed rows) and sealed and
unsealed a period: every temporary table then exists and each statement can be resolved."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from db import driver
from db.ingest import IntervalRow, ingest_rows
from db.settings import Settings

CHECK = """
select p.oid::regprocedure::text as function, c.lineno, c.level, c.message
from pg_proc p
join pg_namespace n on n.oid = p.pronamespace
join pg_language l on l.oid = p.prolang
left join lateral (  -- a trigger function is checked against a table it is attached to
    select tgrelid from pg_trigger where tgfoid = p.oid limit 1) t on true,
lateral plpgsql_check_function_tb(p.oid, relid => coalesce(t.tgrelid, 0), fatal_errors => false) c
where n.nspname = 'smf' and l.lanname = 'plpgsql' and c.level = 'error'
order by 1, 2
"""


@pytest.mark.slow
def test_every_plpgsql_function_checks_clean(meters: Settings) -> None:
    ts = datetime(2026, 10, 1, 3, tzinfo=UTC)
    with driver.connect(meters) as conn:
        available = conn.execute(
            "select 1 from pg_available_extensions where name = 'plpgsql_check'"
        ).fetchone()
        if available is None:
            pytest.skip("plpgsql_check is not installed on this server (scripts/setup.sh adds it)")
        conn.execute("create extension if not exists plpgsql_check")
        for kwh in (1.0, 2.0):  # a new row, then a change: both merge paths run
            ingest_rows(
                conn, [IntervalRow(ts=ts, meter_serial="M1", values={"active_fwd_kwh": kwh})]
            )
        # the storage functions' temporary tables: seal that row, then write into the sealed
        # period (the ingest unseals it)
        conn.execute(
            "select smf.storage_seal_periods(array_agg(meter_id), array_agg(period_start))"
            " from smf.storage_seal_candidates('infinity')"
        )
        ingest_rows(conn, [IntervalRow(ts=ts, meter_serial="M1", values={"active_fwd_kwh": 3.0})])
        errors = conn.execute(CHECK).fetchall()
        conn.rollback()
    assert errors == [], "\n".join(f"{f}:{line}: {msg}" for f, line, _, msg in errors)
