"""db/ingest.py pieces mutmut showed untested (issue 13 §5): the staging `given` mask, the result
summary and the progress bar of `smf import` (so far run only in a subprocess, where mutmut cannot
switch a mutant on), each checked against output written out by hand; and the CSV stream's own
edges (an empty or non-UTF-8 first line, the line end of the last line), in-process."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from db import driver
from db.errors import BatchRejected
from db.ingest import (
    ROW_COLUMNS,
    IngestResult,
    given_mask,
    ingest_csv,
    ingest_csv_stream,
)
from db.settings import Settings
from tests.db.helpers import query


def test_given_mask_by_hand() -> None:
    # bit i = the i-th quantity of db/channels.py: active_fwd_kwh 1, active_rev_kwh 2,
    # reactive_ind_fwd_kvarh 4, ..., voltage_a_v 64, ..., current_c_a 2048
    assert given_mask([]) == 0
    assert given_mask(["active_fwd_kwh"]) == 1
    assert given_mask(["active_rev_kwh", "voltage_a_v"]) == 2 + 64
    assert given_mask(["current_c_a", "current_c_a", "ts", "meter_id"]) == 2048  # once; others 0
    assert ROW_COLUMNS[:3] == ("meter_id", "meter_serial", "ts")
    assert ROW_COLUMNS[-3:] == ("quality", "source", "given") and len(ROW_COLUMNS) == 18


def test_result_summary_by_hand() -> None:
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


@pytest.mark.parametrize(("data", "message"), [
    (b"", "line 1: empty file (a header line is required)"),
    (b"  \r\n", "line 1: empty file (a header line is required)"),
    (b"meter_serial,ts,active_fwd_kwh\xff\n", "line 1: not UTF-8 text (invalid start byte)"),
])  # fmt: skip
def test_stream_first_line_errors(meters: Settings, data: bytes, message: str) -> None:
    def work(conn: driver.Connection) -> None:
        ingest_csv_stream(conn, _stream(data))

    with pytest.raises(BatchRejected) as ei:
        driver.in_transaction(meters, work)
    assert str(ei.value) == message and ei.value.line == 1


def test_csv_file_with_progress_and_crlf(
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


def test_csv_last_line_without_line_end(meters: Settings, tmp_path: Path) -> None:
    path = tmp_path / "one.csv"
    path.write_bytes(b"meter_serial;ts;active_fwd_kwh\nM2;2024-03-01T03:00:00Z;0.5")
    r = ingest_csv(path, settings=meters)
    assert (r.rows, r.inserted) == (1, 1)
    # origin = the file name, source = import
    got = query(meters.url, "select source, origin from smf.ingest_batch where id = %s", r.batch_id)
    assert [tuple(x) for x in got] == [("import", "one.csv")]
