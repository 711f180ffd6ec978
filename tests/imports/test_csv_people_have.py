"""Imports people have (issue 18, item 7): a Brazilian spreadsheet's CSV (`;` between fields and
a decimal comma) is read as such and says so; a file whose cadence differs from the meter's
interval is a warning naming both; the summary names the quarantined lines and the query that
lists them, and a quarantined row's line_no is its line in the file, in the column and in the
JSON detail alike. Real ingest path, rolled-back transaction (and the CLI once)."""

from __future__ import annotations

import io
import json
from typing import Any

import psycopg
import pytest

from db.errors import BatchRejected
from db.ingest import ingest_csv_stream
from db.settings import Settings
from smf import cli
from tests.vee.conftest import meter


def load(conn: psycopg.Connection[Any], text: str, **kw: Any):
    return ingest_csv_stream(conn, io.BytesIO(text.encode()), origin="t.csv", **kw)


def stored(conn: psycopg.Connection[Any], serial: str) -> list[tuple[Any, ...]]:
    return conn.execute(
        "select r.ts, r.active_fwd_wh, r.voltage_a_mv from smf.interval_reading r"
        " join smf.meter m on m.id = r.meter_id where m.serial = %s order by r.ts",
        (serial,),
    ).fetchall()


def test_a_semicolon_file_with_decimal_commas_is_read_and_the_decision_noted(conn):
    meter(conn, "BR-1")
    r = load(
        conn,
        "meter_serial;ts;active_fwd_kwh;voltage_a_v\r\n"
        "BR-1;2026-10-05T10:00:00-03:00;8;127\r\n"
        "BR-1;2026-10-05T10:05:00-03:00;8,0;127,5\r\n"
        "BR-1;2026-10-05T10:10:00-03:00;0,125;126,25\r\n",
    )
    # 8,0 kWh = 8000 Wh; 127,5 V = 127500 mV; 0,125 kWh = 125 Wh; 126,25 V = 126250 mV
    assert [(wh, mv) for _, wh, mv in stored(conn, "BR-1")] == [
        (8000, 127000), (8000, 127500), (125, 126250),
    ]  # fmt: skip
    assert r.notes == (
        "numbers read with a decimal comma: fields separated by ';' and a comma in a number on "
        "line 3 (--decimal point to refuse)",
    )
    assert "note: numbers read with a decimal comma" in r.summary()


def test_a_semicolon_file_with_decimal_points_needs_no_note(conn):
    meter(conn, "BR-2")
    r = load(conn, "meter_serial;ts;active_fwd_kwh\nBR-2;2026-10-05T10:00:00-03:00;8.5\n")
    assert [wh for _, wh, _ in stored(conn, "BR-2")] == [8500] and r.notes == ()


@pytest.mark.parametrize(
    ("text", "decimal", "message"),
    [
        ("meter_serial;ts;active_fwd_kwh\nBR-3;2026-10-05T10:00:00-03:00;8,0\n", "point",
         'line 2, column active_fwd_kwh: invalid input syntax for type double precision: "8,0"'
         " (a decimal comma? --decimal comma)"),
        ('meter_serial,ts,active_fwd_kwh\nBR-3,2026-10-05T10:00:00-03:00,"8,0"\n', "comma",
         "line 1: a decimal comma needs ';' between fields; this header uses ','"),
        ("meter_serial;ts;active_fwd_kwh\nBR-3;2026-10-05T10:00:00-03:00;1.234,5\n", "auto",
         'double precision: "1.234.5" (read with a decimal comma, so the field\'s commas show as '
         "points here: write numbers without thousands separators, e.g. 1234,5)"),
    ],
)  # fmt: skip
def test_a_separator_that_cannot_be_read_is_refused_naming_the_way_out(
    conn, text: str, decimal: str, message: str
):
    meter(conn, "BR-3")
    with pytest.raises(BatchRejected) as exc:
        load(conn, text, decimal=decimal)
    assert message in str(exc.value)


def test_a_15_minute_file_into_a_5_minute_meter_is_stored_with_a_warning_naming_both(conn):
    meter(conn, "CAD-5", interval=5)
    rows = [f"CAD-5,2026-10-05T10:{m:02d}:00-03:00,1.5" for m in (0, 15, 30, 45)]
    r = load(conn, "meter_serial,ts,active_fwd_kwh\n" + "\n".join(rows) + "\n")
    assert r.inserted == 4
    assert r.warnings == (
        # 10:00 to 10:45 in 4 rows: 45 min / 3 = 15 minutes apart
        "meter CAD-5 is registered with 5-minute intervals, but the file's rows for it are 15 "
        "minutes apart on average (4 rows; stored as they are): check the file, or `smf meter "
        "set CAD-5 --interval 15` if the meter integrates over that",
    )
    assert "warning: meter CAD-5 is registered with 5-minute intervals" in r.summary()


def test_a_5_minute_file_into_a_15_minute_meter_warns_and_quarantines_off_grid_rows(conn):
    meter(conn, "CAD-15", interval=15)
    rows = [f"CAD-15,2026-10-05T10:{m:02d}:00-03:00,0.5" for m in range(0, 30, 5)]
    r = load(conn, "meter_serial,ts,active_fwd_kwh\n" + "\n".join(rows) + "\n")
    # 10:00 and 10:15 are on the 15-minute grid; 10:05, 10:10, 10:20, 10:25 are not
    assert (r.inserted, r.quarantined) == (2, {"off_grid": 4})
    # 10:00 to 10:25 in 6 rows: 25 min / 5 = 5 minutes apart
    assert r.warnings[0].startswith(
        "meter CAD-15 is registered with 15-minute intervals, but the file's rows for it are 5 "
        "minutes apart on average (6 rows; the rows off its grid are quarantined)"
    )


def test_a_few_missing_rows_raise_no_cadence_warning(conn):
    meter(conn, "CAD-G", interval=5)
    # 10:00 to 11:00 with 10:20 and 10:25 missing: 11 rows, 60 min / 10 = 6 minutes on average,
    # below 1.5 x 5 = 7.5: no warning
    rows = [f"CAD-G,2026-10-05T{10 + m // 60}:{m % 60:02d}:00-03:00,0.5" for m in range(0, 65, 5)
            if m not in (20, 25)]  # fmt: skip
    r = load(conn, "meter_serial,ts,active_fwd_kwh\n" + "\n".join(rows) + "\n")
    assert (r.inserted, r.warnings) == (11, ())


def test_the_summary_names_quarantined_lines_and_line_no_matches_the_detail(conn):
    meter(conn, "Q-1")
    text = (
        "meter_serial,ts,active_fwd_kwh\n"  # line 1
        "Q-1,2026-10-05T10:00:00-03:00,1.0\n"  # line 2
        "NOPE,2026-10-05T10:00:00-03:00,1.0\n"  # line 3: unknown meter
        "Q-1,2026-10-05T10:05:00-03:00,1.0\n"  # line 4
        "Q-1,2026-10-05T10:10:00-03:00,-1.0\n"  # line 5: negative energy
    )
    r = load(conn, text)
    got = conn.execute(
        "select line_no, reason, detail from smf.ingest_quarantine where batch_id = %s"
        " order by line_no",
        (r.batch_id,),
    ).fetchall()
    assert [(n, json.loads(d)["line_no"], json.loads(d)["meter_serial"]) for n, _, d in got] == [
        (3, 3, "NOPE"), (5, 5, "Q-1"),
    ]  # fmt: skip
    assert r.quarantined_lines == (3, 5)
    summary = r.summary()
    assert "(lines 3, 5); list them: select line_no, reason, meter_ref, ts, detail from " in summary
    assert f"smf.ingest_quarantine where batch_id = {r.batch_id} order by line_no" in summary


def test_more_quarantined_lines_than_shown_are_counted(conn):
    meter(conn, "Q-2")
    rows = [f"GONE,2026-10-05T10:{m:02d}:00-03:00,1.0" for m in range(0, 60, 5)]
    r = load(conn, "meter_serial,ts,active_fwd_kwh\n" + "\n".join(rows) + "\n")
    # 12 rows on lines 2-13 quarantined; the first 10 are named
    assert r.quarantined_lines == tuple(range(2, 12))
    assert "(lines 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 and 2 more)" in r.summary()


@pytest.mark.slow
def test_the_cli_reads_a_brazilian_file(
    db_settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys, tmp_path
):
    monkeypatch.setenv("SMF_DATABASE_URL", db_settings.url)
    with psycopg.connect(db_settings.url) as c:
        meter(c, "BR-9")
    f = tmp_path / "planilha.csv"
    f.write_bytes(b"meter_serial;ts;active_fwd_kwh\nBR-9;2026-10-05T10:00:00-03:00;8,0\n")
    assert cli.main(["import", "--quiet", str(f)]) == 0
    out = capsys.readouterr().out
    assert "1 inserted" in out and "note: numbers read with a decimal comma" in out
    f.write_bytes(b"meter_serial;ts;active_fwd_kwh\nBR-9;2026-10-05T10:05:00-03:00;8,0\n")
    assert cli.main(["import", "--quiet", "--decimal", "point", str(f)]) != 0
    assert "(a decimal comma? --decimal comma)" in capsys.readouterr().err
