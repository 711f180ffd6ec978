"""The Parquet archive round trip: export a distributor-month, restore it through the ingest path
into another database, and compare every value, quality and source by hash (computed in SQL,
apart from the code under test). Re-importing changes nothing; re-exporting unchanged data keeps
the file."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import groupby
from pathlib import Path

import psycopg
import pyarrow.parquet as pq
import pytest

from db import archive, driver
from db.ingest import IntervalRow, ingest_rows
from db.settings import Settings
from tests.archive.helpers import (
    BACKUP,
    DIST,
    FOREIGN,
    MAIN,
    MONTH,
    MONTH_FROM,
    MONTH_TO,
    QUARTER,
    stored_rows,
    value_hash,
)
from tests.db.helpers import fingerprint


def test_the_file_holds_the_local_month_of_the_distributors_meters_only(exported: Path) -> None:
    table = pq.read_table(exported)
    # October has 31 days: 31 x 288 = 8,928 five-minute intervals for MAIN and BACKUP and
    # 31 x 96 = 2,976 fifteen-minute intervals for QUARTER; FOREIGN belongs to distributor 077;
    # the 3 hours loaded either side of the month belong to September and November.
    counts = {s: c for s, c in zip(*_value_counts(table), strict=True)}
    assert counts == {MAIN: 8928, BACKUP: 8928, QUARTER: 2976}
    ts = table.column("ts").to_pylist()
    # The first interval starts at local midnight of 1 October (-03:00) = 03:00 UTC; the last
    # five-minute one at 23:55 local of 31 October = 02:55 UTC of 1 November.
    assert min(ts) == MONTH_FROM
    assert max(ts) == datetime(2026, 11, 1, 2, 55, tzinfo=UTC)
    quarter = [
        t for s, t in zip(table.column("meter_serial").to_pylist(), ts, strict=True) if s == QUARTER
    ]
    assert max(quarter) == datetime(2026, 11, 1, 2, 45, tzinfo=UTC)  # 23:45 local
    # Rows are ordered by meter serial, then time (not by the meters' ids: the registry made
    # QUARTER first), and the footer declares that order to readers that rely on it.
    keys = list(zip(table.column("meter_serial").to_pylist(), ts, strict=True))
    assert keys == sorted(keys)
    assert [serial for serial, _ in groupby(k[0] for k in keys)] == [MAIN, BACKUP, QUARTER]
    sorting = pq.ParquetFile(exported).metadata.row_group(0).sorting_columns
    assert [(c.column_index, c.descending) for c in sorting] == [(0, False), (1, False)]
    assert FOREIGN not in counts


def _value_counts(table):  # type: ignore[no-untyped-def]
    vc = table.column("meter_serial").value_counts()
    return [v.as_py() for v in vc.field("values")], [c.as_py() for c in vc.field("counts")]


@pytest.mark.slow
def test_export_then_import_into_a_fresh_database_is_exact_by_hash(
    loaded: Settings, exported: Path, fresh_with_vee: Settings
) -> None:
    fresh = fresh_with_vee
    before = value_hash(loaded.url)
    assert before[0] == 8928 * 2 + 2976
    assert value_hash(fresh.url) == (0, "d41d8cd98f00b204e9800998ecf8427e")  # md5 of ''
    result = archive.import_file(exported, settings=fresh)
    assert (result.rows, result.inserted, result.updated, result.quarantined_total) == (
        before[0],
        before[0],
        0,
        0,
    )
    assert value_hash(fresh.url) == before
    # Nothing outside the month, nothing of the other distributor's meter.
    rows = stored_rows(fresh.url)
    assert len(rows) == before[0]
    assert all(MONTH_FROM <= ts < MONTH_TO for _s, ts in rows)
    # Every quality and source came back as it was (the hash covers them; the counts say
    # each kind is really there).
    with psycopg.connect(fresh.url) as c:
        kinds = dict(
            c.execute(
                "select quality::text || '/' || source::text, count(*) "
                "from smf.interval_reading group by 1"
            ).fetchall()
        )
    assert set(kinds) == {
        "measured/meter",
        "estimated/estimate",
        "adjusted/backup_meter",
        "adjusted/manual",
        "missing/meter",
    }


@pytest.mark.slow
def test_reimport_of_the_same_file_changes_nothing(
    loaded: Settings, exported: Path, fresh: Settings
) -> None:
    archive.import_file(exported, settings=fresh)
    before = fingerprint(fresh.url)
    again = archive.import_file(exported, settings=fresh)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, again.rows)
    assert fingerprint(fresh.url) == before
    # A manual edit made after the export outranks the archive's meter reading
    # (smf.source_precedence: manual 50 > meter 40): restoring the file keeps the edit.
    with driver.connect(fresh) as conn:
        ingest_rows(
            conn,
            [IntervalRow(ts=MONTH_FROM, values={"active_fwd_kwh": 7.777}, meter_serial=MAIN)],
            source="manual",
        )
    edited = fingerprint(fresh.url)
    third = archive.import_file(exported, settings=fresh)
    assert (third.inserted, third.updated) == (0, 0)
    assert fingerprint(fresh.url) == edited
    with psycopg.connect(fresh.url) as c:
        kept = c.execute(
            "select r.active_fwd_wh, r.source::text from smf.interval_reading r "
            "join smf.meter m on m.id = r.meter_id where m.serial = %s and r.ts = %s",
            (MAIN, MONTH_FROM),
        ).fetchone()
    assert kept == (7777, "manual")
    # ... and restoring a month into the database it came from changes nothing either.
    source_before = fingerprint(loaded.url)
    archive.import_file(exported, settings=loaded)
    assert fingerprint(loaded.url) == source_before


@pytest.mark.slow
def test_reexport_of_unchanged_data_keeps_the_file_and_a_change_replaces_it(
    fresh: Settings, exported: Path, tmp_path: Path
) -> None:
    archive.import_file(exported, settings=fresh)
    first = archive.export_month(DIST, MONTH, tmp_path, settings=fresh)
    assert first.status == "written" and first.path is not None
    # Same values as the file exported from the other database: same digest.
    assert first.digest == archive.existing_digest(exported)
    mtime = first.path.stat().st_mtime_ns
    second = archive.export_month(DIST, MONTH, tmp_path, settings=fresh)
    assert second.status == "unchanged"
    assert second.path == first.path and first.path.stat().st_mtime_ns == mtime
    # A manual correction of one interval: the next export replaces the file.
    with psycopg.connect(fresh.url) as c:
        c.execute(
            "update smf.interval_reading set active_fwd_wh = active_fwd_wh + 1 "
            "where ts = %s and meter_id = (select id from smf.meter where serial = %s)",
            (MONTH_FROM, MAIN),
        )
    third = archive.export_month(DIST, MONTH, tmp_path, settings=fresh)
    assert third.status == "replaced" and third.digest != first.digest
    assert third.rows == first.rows
    assert not list(tmp_path.rglob(".*.tmp-*"))  # no temporary file left behind
