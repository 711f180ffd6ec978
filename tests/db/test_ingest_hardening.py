"""Smaller ingest cases: leap seconds, trailing blank lines, values below the storage resolution,
contradictory meter references, spaces around serials, retried conflicts, overlapping concurrent
imports."""

from __future__ import annotations

import io
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from db import driver
from db.errors import BatchRejected, RetryableConflict
from db.ingest import IngestResult, ingest_csv, ingest_csv_stream
from db.settings import Settings
from tests.db.helpers import fingerprint, query, write_csv

HEADER = "meter_serial,ts,active_fwd_kwh"


@pytest.mark.slow
def test_leap_second_is_rejected(meters: Settings, tmp_path: Path) -> None:
    before = fingerprint(meters.url)
    path = write_csv(tmp_path / "a.csv", HEADER, "M1,2026-10-01T00:00:00Z,1",
                     "M1,2026-10-01T23:59:60-03:00,1")  # fmt: skip
    with pytest.raises(BatchRejected, match=r"line 3: timestamp .* is a leap second") as exc:
        ingest_csv(path, settings=meters)
    assert exc.value.line == 3
    assert fingerprint(meters.url) == before


@pytest.mark.slow
def test_trailing_blank_lines_are_accepted(meters: Settings, tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text(f"{HEADER}\r\nM1,2026-10-01T00:00:00Z,1\r\nM1,2026-10-01T00:05:00Z,2\r\n\r\n\n")
    result = ingest_csv(path, settings=meters)
    assert (result.rows, result.inserted) == (2, 2)


@pytest.mark.slow
def test_blank_line_across_chunk_boundary(meters: Settings) -> None:
    """Line ends held back at a 1 MiB chunk end are written when more data follows."""
    row = "M1,2026-10-01T00:00:00Z,1\n"
    pad = f"{HEADER}\n" + " " * 0  # the header
    body = row + "\n" * ((1 << 20) - len(pad) - len(row))  # a chunk ends in line ends ...
    data = (pad + body).encode() + b"M1,2026-10-01T00:05:00Z,2\n"  # ... then a row follows
    with psycopg.connect(meters.url) as conn, pytest.raises(BatchRejected):
        ingest_csv_stream(conn, io.BytesIO(data))  # blank lines INSIDE a file stay an error


@pytest.mark.slow
def test_below_resolution_is_counted(meters: Settings, tmp_path: Path) -> None:
    # 0.0004 kWh = 0.4 Wh rounds to 0 Wh (counted); 0.0006 kWh = 0.6 Wh rounds to 1 Wh; 0 is 0.
    path = write_csv(tmp_path / "a.csv", HEADER, "M1,2026-10-01T00:00:00Z,0.0004",
                     "M1,2026-10-01T00:05:00Z,0.0006", "M1,2026-10-01T00:10:00Z,0")  # fmt: skip
    result = ingest_csv(path, settings=meters)
    assert result.below_resolution == 1
    assert "1 row(s) with a value below the storage resolution" in result.summary()
    got = query(meters.url, "select active_fwd_wh from smf.interval_reading order by ts")
    assert got == [(0,), (1,), (0,)]


@pytest.mark.slow
def test_meter_id_and_serial_that_disagree_are_quarantined(
    meters: Settings, tmp_path: Path
) -> None:
    ids = dict(query(meters.url, "select serial, id from smf.meter"))
    path = write_csv(
        tmp_path / "a.csv",
        "meter_id,meter_serial,ts,active_fwd_kwh",
        f"{ids['M1']},M2,2026-10-01T00:00:00Z,1",  # contradicts itself
        f"{ids['M1']},M1,2026-10-01T00:05:00Z,2",  # agrees
        f"{ids['M2']}, M2 ,2026-10-01T00:05:00Z,3",  # agrees once the spaces are trimmed
    )
    result = ingest_csv(path, settings=meters)
    assert result.quarantined == {"meter_mismatch": 1}
    assert result.inserted == 2
    assert query(meters.url, "select line_no, meter_ref, reason from smf.ingest_quarantine") == [
        (2, "M2", "meter_mismatch")
    ]


@pytest.mark.slow
def test_spaces_around_serials_are_trimmed(meters: Settings, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", HEADER, "  M1 ,2026-10-01T00:00:00Z,1")
    result = ingest_csv(path, settings=meters)
    assert (result.inserted, result.quarantined) == (1, {})


@pytest.mark.slow
def test_in_transaction_retries_a_deadlock(meters: Settings) -> None:
    tries: list[int] = []

    def work(conn: driver.Connection) -> int:
        tries.append(1)
        conn.execute("insert into smf.setting values (%s, 'v', 'd')", (f"k{len(tries)}",))
        if len(tries) < 3:  # the server reports a deadlock: the transaction is rolled back
            conn.execute("do $$ begin raise exception using errcode = '40P01'; end $$")
        return len(tries)

    assert driver.in_transaction(meters, work) == 3
    # the rolled-back tries left nothing; the third committed
    assert query(meters.url, "select key from smf.setting where key ~ '^k[0-9]' order by 1") == [
        ("k3",)
    ]


@pytest.mark.slow
def test_in_transaction_gives_up_after_its_attempts(meters: Settings) -> None:
    def work(conn: driver.Connection) -> None:
        conn.execute("do $$ begin raise exception using errcode = '40001'; end $$")

    with pytest.raises(RetryableConflict):
        driver.in_transaction(meters, work, attempts=2)


def _file(tmp: Path, name: str, start: datetime, hours: int, kwh: str) -> Path:
    rows = []
    for i in range(hours * 12):
        ts = (start + timedelta(minutes=5 * i)).isoformat()
        rows += [f"M1,{ts},{kwh}", f"M2,{ts},{kwh}"]
    return write_csv(tmp / name, HEADER, *rows)


@pytest.mark.slow
def test_overlapping_imports_concurrently_store_both_exactly(
    meters: Settings, tmp_path: Path
) -> None:
    """Two overlapping files imported at once, four times (each time into new chunks): both
    succeed, the overlap holds one file's values, the rest each file's, rollups exact."""
    for trial in range(4):
        t0 = datetime(2026, 6, 1, tzinfo=UTC) + timedelta(days=14 * trial)
        a = _file(tmp_path, f"a{trial}.csv", t0, 12, "1.000")  # 00:00-12:00
        b = _file(tmp_path, f"b{trial}.csv", t0 + timedelta(hours=6), 12, "2.000")  # 06-18
        results: list[IngestResult | BaseException] = []

        def run(path: Path, results: list[IngestResult | BaseException] = results) -> None:
            try:
                results.append(ingest_csv(path, settings=meters))
            except BaseException as exc:  # reported by the assertion below
                results.append(exc)

        threads = [threading.Thread(target=run, args=(p,)) for p in (a, b)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert all(isinstance(r, IngestResult) for r in results), results
        lo, hi = t0, t0 + timedelta(hours=18)
        rows = query(
            meters.url,
            "select meter_id, count(*), sum(active_fwd_wh) from smf.interval_reading "
            "where ts >= %s and ts < %s group by 1 order by 1",
            lo,
            hi,
        )
        # per meter 216 intervals: 72 of A only (1000 Wh), 72 of B only (2000 Wh), 72 overlapped
        # holding all 1000 or all 2000 (the later commit): 72k+144k or 72k+144k+72k
        for _meter, n, total in rows:
            assert n == 216
            assert total in (72 * 1000 + 144 * 2000, 144 * 1000 + 72 * 2000)
    # rollups equal a recomputation from the raw rows
    raw = query(
        meters.url,
        "select meter_id, sum(active_fwd_wh) from smf.interval_reading group by 1 order by 1",
    )
    month = query(
        meters.url,
        "select meter_id, sum(active_fwd_wh) from smf.rollup_month group by 1 order by 1",
    )
    assert raw == month
