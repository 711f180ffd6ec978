"""The monthly job parquet_export: the last closed months of every distributor, each run in
smf.job_run, a re-run changing nothing, a correction replacing only its month's file."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest

from db import archive, driver
from db.ingest import IntervalRow, ingest_rows
from db.settings import Settings
from jobs import parquet_export, scheduler
from tests.archive.helpers import DIST, MAIN, OTHER_DIST, QUARTER, registry

TZ = ZoneInfo("America/Sao_Paulo")


def test_months_before_counts_back_across_the_new_year() -> None:
    assert parquet_export.months_before(date(2026, 12, 7), 2) == ["2026-10", "2026-11"]
    assert parquet_export.months_before(date(2026, 1, 31), 2) == ["2025-11", "2025-12"]
    assert parquet_export.months_before(date(2026, 3, 1), 1) == ["2026-02"]


def test_it_runs_monthly_on_day_10_at_4_local_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    after = datetime(2026, 11, 30, 22, 30, tzinfo=TZ)
    trigger = scheduler.by_name("parquet_export").trigger("America/Sao_Paulo")
    assert trigger.get_next_fire_time(None, after).isoformat() == "2026-12-10T04:00:00-03:00"
    monkeypatch.setenv("SMF_JOBS_PARQUET_DAY", "3")
    monkeypatch.setenv("SMF_JOBS_PARQUET_AT", "01:15")
    trigger = scheduler.by_name("parquet_export").trigger("America/Sao_Paulo")
    assert trigger.get_next_fire_time(None, after).isoformat() == "2026-12-03T01:15:00-03:00"
    assert scheduler.by_name("parquet_export").func == "jobs.parquet_export:run"


def _runs(url: str) -> list[tuple]:
    with psycopg.connect(url) as c:
        return c.execute(
            "select outcome, counts, error from smf.job_run where job = 'parquet_export' "
            "order by id"
        ).fetchall()


@pytest.mark.slow
def test_the_job_archives_the_last_two_months_and_a_rerun_changes_nothing(
    db_settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SMF_DATABASE_URL", db_settings.url)
    monkeypatch.setenv("SMF_ARCHIVE_DIR", str(tmp_path))
    registry(db_settings.url)
    today = datetime.now(UTC).astimezone(TZ).date()
    older, last = parquet_export.months_before(today, 2)
    # One local day in each of the two months: 288 five-minute intervals of MAIN, 96
    # fifteen-minute ones of QUARTER; the other distributor's meter has none.
    with driver.connect(db_settings) as conn:
        for month in (older, last):
            start = datetime.fromisoformat(f"{month}-05T00:00").replace(tzinfo=TZ)
            rows = [
                IntervalRow(
                    ts=start + i * timedelta(minutes=5),
                    values={"active_fwd_kwh": 1.0},
                    meter_serial=MAIN,
                )
                for i in range(288)
            ] + [
                IntervalRow(
                    ts=start + i * timedelta(minutes=15),
                    values={"active_fwd_kwh": 3.0},
                    meter_serial=QUARTER,
                )
                for i in range(96)
            ]
            ingest_rows(conn, rows, source="meter")
    first = parquet_export.run()
    assert first["months"] == [older, last]
    assert first["distributors"] == 2  # 059 and 077 both have meters on UCs
    assert (first["written"], first["replaced"], first["unchanged"], first["empty"]) == (2, 0, 0, 2)
    assert first["intervals"] == 2 * (288 + 96)
    files = {month: archive.archive_path(tmp_path, DIST, month) for month in (older, last)}
    assert sorted(first["files"]) == sorted(str(p) for p in files.values())
    for month, path in files.items():
        meta = archive.verify(path)
        assert (meta["month"], meta["rows"], meta["meters"]) == (month, 288 + 96, 2)
    assert not (tmp_path / f"distributor={OTHER_DIST}").exists()  # no data, no file
    second = parquet_export.run()
    assert (second["written"], second["replaced"], second["unchanged"]) == (0, 0, 2)
    # A correction in the older month (inside the VEE/edit window): only its file is replaced.
    with driver.connect(db_settings) as conn:
        start = datetime.fromisoformat(f"{older}-05T00:00").replace(tzinfo=TZ)
        ingest_rows(
            conn,
            [IntervalRow(ts=start, values={"active_fwd_kwh": 1.5}, meter_serial=MAIN)],
            source="manual",
        )
    third = parquet_export.run()
    assert (third["written"], third["replaced"], third["unchanged"]) == (0, 1, 1)
    assert third["files"] == [str(files[older])]
    runs = _runs(db_settings.url)
    assert [r[0] for r in runs] == ["ok", "ok", "ok"]
    assert runs[0][1]["written"] == 2 and runs[2][1]["replaced"] == 1
