"""Two transactions ingesting into the same meter's buckets at the same time both succeed and
the rollups hold both contributions (the rollup refresh is serialised per meter)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from db import driver
from db.ingest import IngestResult, IntervalRow, ingest_rows
from db.settings import Settings
from tests.db.helpers import query

T0 = datetime(2026, 10, 1, 3, 0, tzinfo=UTC)


def _rows(minutes: int, kwh: float, serial: str = "M1") -> list[IntervalRow]:
    return [IntervalRow(ts=T0 + timedelta(minutes=minutes), meter_serial=serial,
                        values={"active_fwd_kwh": kwh})]  # fmt: skip


def _blocked_on_a_lock(settings: Settings, thread: threading.Thread, limit_s: float = 120) -> bool:
    """True once another session of this database waits on a lock (pg_stat_activity); False if
    the thread ends first or nothing blocks within limit_s (a generous bound, not a timing)."""
    deadline = time.monotonic() + limit_s
    with psycopg.connect(settings.url, autocommit=True) as c:
        while thread.is_alive() and time.monotonic() < deadline:
            row = c.execute(
                "select count(*) from pg_stat_activity where datname = current_database()"
                " and pid <> pg_backend_pid() and wait_event_type = 'Lock'"
            ).fetchone()
            if row and row[0] > 0:
                return True
            time.sleep(0.01)
    return False


@pytest.mark.slow
def test_overlapping_buckets_from_two_sessions(meters: Settings) -> None:
    with driver.connect(meters) as conn:  # chunks exist, so chunk creation serialises nothing
        ingest_rows(conn, _rows(0, 5.0, "M2"), source="import")
    results: list[IngestResult | BaseException] = []

    def second() -> None:
        try:
            with driver.connect(meters) as conn:
                results.append(ingest_rows(conn, _rows(10, 2.0), source="import"))
        except BaseException as exc:  # reported by the assertion below
            results.append(exc)

    with driver.connect(meters) as conn:
        first = ingest_rows(conn, _rows(0, 1.0), source="import")  # holds bucket 03:00 open
        other = threading.Thread(target=second)
        other.start()
        # Wait for the condition itself (the second session blocked on a lock), not for a fixed
        # time: a slow machine then neither fails nor passes before the second session ran.
        assert _blocked_on_a_lock(meters, other), "the second session did not wait for the first"
        assert other.is_alive() and not results
    other.join(timeout=30)
    assert first.inserted == 1
    assert len(results) == 1 and isinstance(results[0], IngestResult), results
    # 1000 Wh + 2000 Wh in the 03:00 quarter hour, hour, day and month
    for table in ("rollup_15min", "rollup_hour", "rollup_day", "rollup_month"):
        got = query(
            meters.url, f"select active_fwd_wh, n_measured from smf.{table} where meter_id = 1"
        )
        assert got == [(3000, 2)], table
