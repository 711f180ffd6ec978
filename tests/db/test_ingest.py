"""Ingest: counts, exact storage, idempotency, corrections with history, quarantine, rejection;
then the pieces of db/ingest.py on their own, in-process, against output written out by hand: the
staging `given` mask, the result summary `smf import` prints, the progress callback, and the CSV
stream's edges (an empty or non-UTF-8 first line, CRLF, the last line without a line end)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from db import driver
from db.errors import BatchRejected
from db.ingest import (
    ROW_COLUMNS,
    IngestResult,
    IntervalRow,
    given_mask,
    ingest_csv,
    ingest_csv_stream,
    ingest_rows,
)
from db.settings import REPO_ROOT, Settings
from tests.db.helpers import fingerprint, query, write_csv

HEADER = "meter_serial,ts,active_fwd_kwh,reactive_ind_fwd_kvarh,voltage_a_v"
GOOD = [
    "M1,2026-10-01T00:00:00-03:00,1.234,0.500,220.1",
    "M1,2026-10-01T00:05:00-03:00,1.300,0.250,221.0",
    "M1,2026-10-01T00:10:00-03:00,0.466,0,219.9",
    "M2,2026-10-01T03:00:00Z,2,1,230",
]


@pytest.mark.slow
def test_first_import_stores_integers_and_rollups(meters: Settings, tmp_path: Path) -> None:
    result = ingest_csv(write_csv(tmp_path / "a.csv", HEADER, *GOOD), settings=meters)
    assert (result.rows, result.inserted, result.updated, result.unchanged) == (4, 4, 0, 0)
    assert result.quarantined == {}
    rows = query(
        meters.url,
        "select m.serial, r.ts, r.active_fwd_wh, r.voltage_a_mv, r.quality, "
        "r.source from smf.interval_reading r join smf.meter m on m.id = r.meter_id "
        "order by 1, 2",
    )
    first = rows[0]
    # 00:00 at -03:00 is 03:00 UTC; 1.234 kWh = 1234 Wh; 220.1 V = 220100 mV
    assert first[1] == datetime(2026, 10, 1, 3, 0, tzinfo=UTC)
    assert first[2:] == (1234, 220100, "measured", "import")
    # The 15-minute bucket 03:00 UTC of M1 holds 1234 + 1300 + 466 = 3000 Wh -> 3000*4/1000 = 12 kW.
    quarter = query(
        meters.url,
        "select active_fwd_wh, n_measured, n_expected, max_demand_kw, "
        "voltage_a_mv_min, voltage_a_mv_max, voltage_a_mv_sum from smf.rollup_15min "
        "where meter_id = 1",
    )
    assert quarter == [(3000, 3, 3, Decimal("12.000"), 219900, 221000, 661000)]
    # The analyst view in engineering units: 3000 Wh = 3.000 kWh; mean V = 661000 mV / 3 / 1000.
    view = query(
        meters.url,
        "select active_fwd_kwh, voltage_a_v_mean, voltage_a_v_min, completeness_pct "
        "from smf.meter_15min where serial = 'M1'",
    )
    assert view == [(Decimal("3.000"), Decimal("220.333"), Decimal("219.900"), Decimal("100.00"))]
    # M1 and M2 share the local day 2026-10-01 and month 2026-10; M2 adds 2000 Wh.
    days = query(
        meters.url,
        "select meter_id, bucket::text, active_fwd_wh, n_expected from smf.rollup_day order by 1",
    )
    assert days == [(1, "2026-10-01", 3000, 288), (2, "2026-10-01", 2000, 288)]
    months = query(
        meters.url, "select meter_id, active_fwd_wh, n_expected from smf.rollup_month order by 1"
    )
    assert months == [(1, 3000, 31 * 288), (2, 2000, 31 * 288)]


@pytest.mark.slow
def test_same_import_twice_changes_nothing(meters: Settings, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", HEADER, *GOOD)
    ingest_csv(path, settings=meters)
    before = fingerprint(meters.url)
    again = ingest_csv(path, settings=meters)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 4)
    assert fingerprint(meters.url) == before


@pytest.mark.slow
def test_correction_updates_rollups_and_keeps_history(meters: Settings, tmp_path: Path) -> None:
    ingest_csv(write_csv(tmp_path / "a.csv", HEADER, *GOOD), settings=meters)
    fixed = write_csv(
        tmp_path / "b.csv",
        HEADER + ",quality",
        "M1,2026-10-01T00:05:00-03:00,1.500,0.250,221.0,adjusted",
        "M1,2026-10-01T00:10:00-03:00,0.466,0,219.9,measured",
    )
    result = ingest_csv(fixed, settings=meters)
    assert (result.inserted, result.updated, result.unchanged) == (0, 1, 1)
    # 1234 + 1500 + 466 = 3200 Wh in the quarter hour, hour, day and month.
    for table in ("rollup_15min", "rollup_hour", "rollup_day", "rollup_month"):
        got = query(
            meters.url,
            f"select active_fwd_wh, n_measured, n_adjusted from smf.{table} where meter_id = 1",
        )
        assert got == [(3200, 2, 1)], table
    history = query(
        meters.url,
        "select active_fwd_wh, quality::text, batch_id, "
        "superseded_by_batch, reason from smf.interval_reading_history",
    )
    assert history == [(1300, "measured", 1, 2, "ingest batch 2")]


@pytest.mark.slow
def test_rule_breaking_rows_go_to_quarantine(meters: Settings, tmp_path: Path) -> None:
    rows = [
        *GOOD,
        "NOPE,2026-10-01T00:00:00-03:00,1,0,220",  # line 6: unknown meter
        "M1,2026-10-01T00:07:00-03:00,1,0,220",  # line 7: off the 5-minute grid
        "Q1,2026-10-01T00:05:00-03:00,1,0,220",  # line 8: off the 15-minute grid
        "M1,2099-10-01T00:00:00-03:00,1,0,220",  # line 9: future
        "M1,2026-10-01T00:15:00-03:00,-0.001,0,220",  # line 10: negative energy
        "M1,2026-10-01T00:20:00-03:00,83.334,0,220",  # line 11: > 1000 kW x 5 min = 83.333 kWh
        "M1,2026-10-01T00:25:00-03:00,NaN,0,220",  # line 12: not a number
        "M2,2026-10-01T03:05:00Z,1,0,230",  # lines 13-14: same key, different values
        "M2,2026-10-01T03:05:00Z,1.001,0,230",
        "M2,2026-10-01T03:10:00Z,1,0,230",  # lines 15-16: identical copies, stored once
        "M2,2026-10-01T03:10:00Z,1,0,230",
    ]
    result = ingest_csv(write_csv(tmp_path / "q.csv", HEADER, *rows), settings=meters)
    assert result.quarantined == {
        "unknown_meter": 1,
        "off_grid": 2,
        "future": 1,
        "negative_energy": 1,
        "above_physical_max": 1,
        "non_finite": 1,
        "duplicate_conflict": 2,
    }
    assert (result.rows, result.inserted, result.unchanged) == (15, 5, 1)
    lines = query(meters.url, "select line_no, reason from smf.ingest_quarantine order by 1")
    assert lines == [
        (6, "unknown_meter"),
        (7, "off_grid"),
        (8, "off_grid"),
        (9, "future"),
        (10, "negative_energy"),
        (11, "above_physical_max"),
        (12, "non_finite"),
        (13, "duplicate_conflict"),
        (14, "duplicate_conflict"),
    ]
    stored = query(meters.url, "select count(*) from smf.interval_reading")
    assert stored == [(5,)]


@pytest.mark.slow
def test_conflicting_copies_of_a_stored_interval(meters: Settings, tmp_path: Path) -> None:
    ingest_csv(write_csv(tmp_path / "a.csv", HEADER, *GOOD), settings=meters)
    before = fingerprint(meters.url)
    # GOOD[0] again, once as stored and once changed: the batch contradicts itself.
    changed = GOOD[0].replace(",1.234,", ",9.999,")
    result = ingest_csv(write_csv(tmp_path / "b.csv", HEADER, GOOD[0], changed), settings=meters)
    assert result.quarantined == {"duplicate_conflict": 2}
    assert (result.inserted, result.updated, result.unchanged) == (0, 0, 0)
    assert fingerprint(meters.url) == before


@pytest.mark.slow
@pytest.mark.parametrize(
    ("header", "rows", "message"),
    [
        (
            "meter_serial,ts,active_fwd_kwh,bogus",
            ["M1,2026-10-01T00:00:00Z,1,2"],
            r"line 1: unknown column\(s\) bogus",
        ),
        ("meter_serial,active_fwd_kwh", ["M1,1"], "line 1: missing column ts"),
        ("ts,active_fwd_kwh", ["2026-10-01T00:00:00Z,1"], "line 1: missing column meter_serial"),
        ("meter_serial,ts", ["M1,2026-10-01T00:00:00Z"], "line 1: no quantity column"),
        (
            HEADER,
            [GOOD[0], "M1,2026-10-01T00:05:00-03:00,abc,0,220"],
            'line 3, column active_fwd_kwh: invalid input syntax for type double precision: "abc"',
        ),
        (
            HEADER,
            [GOOD[0], GOOD[1], "M1,2026-10-01T00:10:00,1,0,220"],
            "line 4: timestamp '2026-10-01T00:10:00' is not ISO 8601 with a UTC offset or Z",
        ),
        (
            HEADER,
            [GOOD[0], "M1,2026-13-01T00:10:00Z,1,0,220"],
            "line 3: timestamp '2026-13-01T00:10:00Z': date/time field value out of range",
        ),
        (
            HEADER,
            [GOOD[0], "M1,2026-10-01T00:05:00Z,1,0,220,9"],
            "line 3: extra data after last expected column",
        ),
        (
            HEADER + ",quality",
            ["M1,2026-10-01T00:05:00Z,1,0,220,great"],
            "line 2: quality 'great' is not one of",
        ),
        (
            HEADER,
            [",2026-10-01T00:05:00Z,1,0,220"],
            r"line 2: no meter \(meter_serial or meter_id\)",
        ),
    ],
)
def test_malformed_file_is_rejected_whole(
    meters: Settings, tmp_path: Path, header: str, rows: list[str], message: str
) -> None:
    ingest_csv(write_csv(tmp_path / "ok.csv", HEADER, GOOD[3]), settings=meters)
    before = fingerprint(meters.url)
    batches = query(meters.url, "select count(*) from smf.ingest_batch")
    with pytest.raises(BatchRejected, match=message):
        ingest_csv(write_csv(tmp_path / "bad.csv", header, *rows), settings=meters)
    assert fingerprint(meters.url) == before
    assert query(meters.url, "select count(*) from smf.ingest_batch") == batches


def test_empty_and_binary_files_are_rejected(meters: Settings, tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(BatchRejected, match="line 1: empty file"):
        ingest_csv(empty, settings=meters)
    binary = tmp_path / "bin.csv"
    binary.write_bytes(b"\xff\xfe\x00meter\n")
    with pytest.raises(BatchRejected, match="line 1: not UTF-8"):
        ingest_csv(binary, settings=meters)


def test_semicolon_files_and_meter_ids(meters: Settings, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "s.csv",
        "meter_id;ts;active_fwd_kwh",
        "1;2026-10-01T00:00:00-03:00;1.5",
        "3;2026-10-01T00:15:00-03:00;4",
    )
    result = ingest_csv(path, settings=meters)
    assert (result.inserted, result.quarantined) == (2, {})


def test_ingest_rows_api(meters: Settings) -> None:
    ts = datetime(2026, 10, 1, 3, 0, tzinfo=UTC)
    rows = [
        IntervalRow(ts=ts, meter_serial="M1", values={"active_fwd_kwh": Decimal("0.123")}),
        IntervalRow(
            ts=ts,
            meter_serial="M2",
            values={"active_fwd_kwh": 1.0},
            quality="estimated",
            source="estimate",
        ),
    ]
    with driver.connect(meters) as conn:
        result = ingest_rows(conn, rows, source="meter", origin="test")
    assert (result.inserted, result.quarantined) == (2, {})
    got = query(
        meters.url,
        "select meter_id, active_fwd_wh, quality::text, source::text "
        "from smf.interval_reading order by 1",
    )
    assert got == [(1, 123, "measured", "meter"), (2, 1000, "estimated", "estimate")]


@pytest.mark.slow
def test_ingest_rows_refuses_naive_timestamps(meters: Settings) -> None:
    naive = IntervalRow(
        ts=datetime(2026, 10, 1, 3, 0), meter_serial="M1", values={"active_fwd_kwh": 1}
    )
    with (
        pytest.raises(BatchRejected, match=r"line 1: timestamp .* with a UTC offset"),
        driver.connect(meters) as conn,
    ):
        ingest_rows(conn, [naive])
    assert fingerprint(meters.url)["interval_reading"][0] == 0


@pytest.mark.slow
def test_meter_with_readings_cannot_be_deleted(meters: Settings, tmp_path: Path) -> None:
    ingest_csv(write_csv(tmp_path / "a.csv", HEADER, *GOOD), settings=meters)
    with (
        pytest.raises(psycopg.DatabaseError, match=r"meter M1 .* has stored readings") as exc,
        psycopg.connect(meters.url) as conn,
    ):
        conn.execute("delete from smf.meter where serial = 'M1'")
    assert exc.value.sqlstate == "SMF02"


@pytest.mark.slow
def test_cli_import_prints_summary(meters: Settings, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", HEADER, *GOOD, "NOPE,2026-10-01T00:00:00Z,1,0,1")
    env = {**os.environ, "SMF_DATABASE_URL": meters.url}
    proc = subprocess.run(
        [sys.executable, "-m", "smf.cli", "import", str(path)],
        env=env,
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "5 rows: 4 inserted, 0 updated, 0 unchanged, quarantined: unknown_meter 1" in proc.stdout
    # stderr is a pipe here, not a terminal: no progress bar drawn into a log (smf.console)
    assert "\r" not in proc.stderr and "%" not in proc.stderr, proc.stderr
    bad = write_csv(tmp_path / "b.csv", "meter_serial,ts,kwh", "M1,2026-10-01T00:00:00Z,1")
    proc = subprocess.run(
        [sys.executable, "-m", "smf.cli", "import", str(bad)],
        env=env,
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=120,
    )
    assert proc.returncode == 1
    assert "error: line 1: unknown column(s) kwh" in proc.stderr


# ---------------------------------------------------------------- the pieces, in-process


def test_given_mask_sets_one_bit_per_quantity() -> None:
    # bit i = the i-th quantity of db/channels.py: active_fwd_kwh 1, active_rev_kwh 2,
    # reactive_ind_fwd_kvarh 4, ..., voltage_a_v 64, ..., current_c_a 2048
    assert given_mask([]) == 0
    assert given_mask(["active_fwd_kwh"]) == 1
    assert given_mask(["active_rev_kwh", "voltage_a_v"]) == 2 + 64
    assert given_mask(["current_c_a", "current_c_a", "ts", "meter_id"]) == 2048  # once; others 0
    assert ROW_COLUMNS[:3] == ("meter_id", "meter_serial", "ts")
    assert ROW_COLUMNS[-3:] == ("quality", "source", "given") and len(ROW_COLUMNS) == 18


def test_result_summary_lists_counts_and_quarantine_reasons() -> None:
    r = IngestResult(7, 10, 4, 3, 1, {"unknown_meter": 1, "negative": 1})
    assert r.quarantined_total == 2
    assert r.summary() == (
        "batch 7: 10 rows: 4 inserted, 3 updated, 1 unchanged, "
        "quarantined: negative 1, unknown_meter 1"
    )
    tiny = IngestResult(8, 2, 2, 0, 0, {}, below_resolution=2)
    assert tiny.quarantined_total == 0
    assert tiny.summary() == (
        "batch 8: 2 rows: 2 inserted, 0 updated, 0 unchanged, quarantined: none; "
        "2 row(s) with a value below the storage resolution (0.001 kWh, kvarh, V or A) stored as 0"
    )
    assert IngestResult(9, 0, 0, 0, 0).below_resolution == 0


def _stream(data: bytes) -> io.BufferedReader:
    return io.BufferedReader(io.BytesIO(data))  # type: ignore[arg-type]


@pytest.mark.slow
@pytest.mark.parametrize(("data", "message"), [
    (b"", "line 1: empty file (a header line is required)"),
    (b"  \r\n", "line 1: empty file (a header line is required)"),
    (b"meter_serial,ts,active_fwd_kwh\xff\n", "line 1: not UTF-8 text (invalid start byte)"),
])  # fmt: skip
def test_stream_rejects_an_empty_or_non_utf8_first_line(
    meters: Settings, data: bytes, message: str
) -> None:
    def work(conn: driver.Connection) -> None:
        ingest_csv_stream(conn, _stream(data))

    with pytest.raises(BatchRejected) as ei:
        driver.in_transaction(meters, work)
    assert str(ei.value) == message and ei.value.line == 1


@pytest.mark.slow
def test_csv_with_crlf_and_blank_tail_reports_progress_in_bytes(
    meters: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # CRLF lines and two blank lines at the end: 2 rows, nothing quarantined
    text = (
        "meter_serial,ts,active_fwd_kwh\r\n"
        "M1,2024-03-01T03:00:00Z,1.5\r\n"
        "M1,2024-03-01T03:05:00Z,2.25\r\n\r\n\r\n"
    )
    path = tmp_path / "two.csv"
    path.write_bytes(text.encode())
    seen: list[int] = []
    r = ingest_csv(path, settings=meters, progress=seen.append)
    assert (r.rows, r.inserted, r.quarantined_total) == (2, 2, 0)
    assert seen[-1] == len(text.encode())  # bytes read, to the end of the file
    assert capsys.readouterr().err == ""  # db/ prints nothing: the CLI draws the bar
    seen.clear()
    # 1.5 kWh = 1500 Wh; 2.25 kWh = 2250 Wh, stored at the interval starts
    rows = query(
        meters.url,
        "select to_char(ts at time zone 'UTC', 'HH24:MI'), active_fwd_wh "
        "from smf.interval_reading order by ts",
    )
    assert [tuple(x) for x in rows] == [("03:00", 1500), ("03:05", 2250)]
    # the callback gets the bytes read so far: the header line, then the whole file
    with path.open("rb") as fh:
        driver.in_transaction(
            meters, lambda conn: ingest_csv_stream(conn, fh, progress=seen.append)
        )
    assert seen == [len(text)]


@pytest.mark.slow
def test_csv_last_line_without_a_line_end_is_read(meters: Settings, tmp_path: Path) -> None:
    path = tmp_path / "one.csv"
    path.write_bytes(b"meter_serial;ts;active_fwd_kwh\nM2;2024-03-01T03:00:00Z;0.5")
    r = ingest_csv(path, settings=meters)
    assert (r.rows, r.inserted) == (1, 1)
    # origin = the file name, source = import
    got = query(meters.url, "select source, origin from smf.ingest_batch where id = %s", r.batch_id)
    assert [tuple(x) for x in got] == [("import", "one.csv")]
