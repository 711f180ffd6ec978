"""Time stamps without a UTC offset (a spreadsheet's `02/11/2026 00:00`): refused by default with
the way out named; read at the offset `--utc-offset` gives, a time stamp with its own offset
keeping it; slash dates read in the order the file proves (a field above 12 is a day), refused
when it proves both or never tells (unless --date-order); every decision a note naming its line.
Real ingest path in a rolled-back transaction (refusals behind a savepoint), and the CLI once."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest

from db.errors import MAX_SHOWN, BatchRejected
from db.ingest import ingest_csv_stream
from db.ingest_local_time import parse_utc_offset
from db.settings import Settings
from smf import cli
from tests.vee.conftest import meter

HEADER = "meter_serial,ts,active_fwd_kwh\n"


def load(conn: psycopg.Connection[Any], text: str, **kw: Any):
    return ingest_csv_stream(conn, io.BytesIO(text.encode()), origin="t.csv", **kw)


def stored(conn: psycopg.Connection[Any], serial: str) -> list[datetime]:
    rows = conn.execute(
        "select r.ts from smf.interval_reading r join smf.meter m on m.id = r.meter_id"
        " where m.serial = %s order by r.ts",
        (serial,),
    ).fetchall()
    return [r[0] for r in rows]


def counts(conn: psycopg.Connection[Any]) -> tuple[int, int, int]:
    row = conn.execute(
        "select (select count(*) from smf.interval_reading),"
        " (select count(*) from smf.ingest_quarantine), (select count(*) from smf.ingest_batch)"
    ).fetchone()
    assert row is not None
    return row


def refused(conn: psycopg.Connection[Any], text: str, **kw: Any) -> BatchRejected:
    """The refusal of `text`, checking that it stored nothing (readings, quarantine, batch)."""
    before = counts(conn)
    with pytest.raises(BatchRejected) as exc, conn.transaction():
        load(conn, text, **kw)
    assert counts(conn) == before
    assert len(str(exc.value)) <= MAX_SHOWN  # the CLI shows no more of it
    return exc.value


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_a_spreadsheet_time_is_read_at_the_offset_given_and_dd_mm_named_by_its_line(conn):
    meter(conn, "LT-1")
    r = load(
        conn,
        HEADER
        + "LT-1,02/11/2026 00:00,1.0\n"  # line 2: 2 Nov or 11 Feb
        + "LT-1,13/11/2026 00:00,1.0\n"  # line 3: 13 cannot be a month, so DD/MM
        + "LT-1,2/11/2026 0:05:00,1.0\n",  # line 4: unpadded, with seconds
        utc_offset="-03:00",
    )
    # 00:00 at -03:00 is 03:00 UTC
    assert stored(conn, "LT-1") == [utc(2026, 11, 2, 3, 0), utc(2026, 11, 2, 3, 5),
                                     utc(2026, 11, 13, 3, 0)]  # fmt: skip
    assert r.notes == (
        "3 of 3 rows had no UTC offset and were read at -03:00 (--utc-offset)",
        "dates read DD/MM/YYYY: line 3 has '13/11/2026 00:00', whose first field is above 12, "
        "so a day",
    )
    assert "note: dates read DD/MM/YYYY: line 3" in r.summary()


def test_a_time_stamp_with_its_own_offset_keeps_it_and_the_note_counts_both(conn):
    meter(conn, "LT-2")
    r = load(
        conn,
        HEADER
        + "LT-2,2026-11-02T00:05:00Z,1.0\n"  # its own offset: 00:05 UTC
        + "LT-2,2026-11-02 00:00,1.0\n"  # ISO without offset, space: 03:00 UTC
        + "LT-2,2026-11-02T00:10:00,1.0\n"  # ISO without offset: 03:10 UTC
        + "LT-2,2026-11-02T00:15:00-02:00,1.0\n",  # its own: 02:15 UTC
        utc_offset="-03:00",
    )
    assert stored(conn, "LT-2") == [utc(2026, 11, 2, 0, 5), utc(2026, 11, 2, 2, 15),
                                     utc(2026, 11, 2, 3, 0), utc(2026, 11, 2, 3, 10)]  # fmt: skip
    assert r.notes == (
        "2 of 4 rows had no UTC offset and were read at -03:00 (--utc-offset); the other 2 carry "
        "their own",
    )


def test_z_is_utc_and_a_half_hour_offset_is_applied(conn):
    meter(conn, "LT-3")
    load(conn, HEADER + "LT-3,2026-11-02 00:00,1.0\n", utc_offset="Z")
    # 02/11 00:00 at +05:30 is 1 Nov 18:30 UTC
    load(conn, HEADER + "LT-3,02/11/2026 00:00,1.0\n", utc_offset="+05:30", date_order="dmy")
    assert stored(conn, "LT-3") == [utc(2026, 11, 1, 18, 30), utc(2026, 11, 2, 0, 0)]


def test_mm_dd_is_detected_from_a_second_field_above_12(conn):
    meter(conn, "LT-4")
    r = load(
        conn,
        "meter_serial;ts;active_fwd_kwh\n"
        "LT-4;11/02/2026 00:00;1,5\n"  # line 2
        "LT-4;11/13/2026 00:00;1,5\n",  # line 3: 13 cannot be a month, so MM/DD
        utc_offset="-03:00",
    )
    assert stored(conn, "LT-4") == [utc(2026, 11, 2, 3, 0), utc(2026, 11, 13, 3, 0)]
    assert r.notes[1:] == (
        "2 of 2 rows had no UTC offset and were read at -03:00 (--utc-offset)",
        "dates read MM/DD/YYYY: line 3 has '11/13/2026 00:00', whose second field is above 12, "
        "so a day",
    )
    assert r.notes[0].startswith("numbers read with a decimal comma")


def test_a_file_in_both_orders_is_refused_naming_the_two_lines(conn):
    meter(conn, "LT-5")
    exc = refused(
        conn,
        HEADER
        + "LT-5,13/11/2026 00:00,1.0\n"  # line 2: only DD/MM
        + "LT-5,02/11/2026 00:00,1.0\n"  # line 3: either
        + "LT-5,11/13/2026 00:00,1.0\n",  # line 4: only MM/DD
        utc_offset="-03:00",
    )
    assert str(exc) == (
        "lines 2 and 4: dates in both orders: '13/11/2026 00:00' (line 2) can only be DD/MM, "
        "'11/13/2026 00:00' (line 4) only MM/DD; a file has one date order: correct the file"
    )
    assert exc.line == 4


UNDECIDED = HEADER + "LT-6,05/05/2026 00:00,1.0\nLT-6,02/11/2026 00:00,1.0\n"


def test_a_file_that_never_tells_its_date_order_is_refused_unless_told(conn):
    meter(conn, "LT-6")
    exc = refused(conn, UNDECIDED, utc_offset="-03:00")
    # line 2 (05/05) reads the same either way; line 3 does not
    assert str(exc) == (
        "line 3: '02/11/2026 00:00' reads as 2026-11-02 (DD/MM) or 2026-02-11 (MM/DD), and no "
        "date in the file has a field above 12 to tell: say which, --date-order dmy or "
        "--date-order mdy"
    )
    assert exc.line == 3
    r = load(conn, UNDECIDED, utc_offset="-03:00", date_order="mdy")
    assert r.notes[1] == "dates read MM/DD/YYYY (--date-order mdy)"
    assert stored(conn, "LT-6") == [utc(2026, 2, 11, 3, 0), utc(2026, 5, 5, 3, 0)]


def test_the_date_order_given_overrides_detection_but_not_a_month_above_12(conn):
    meter(conn, "LT-7")
    text = HEADER + "LT-7,13/11/2026 00:00,1.0\n"
    exc = refused(conn, text, utc_offset="-03:00", date_order="mdy")
    assert str(exc) == (
        "line 2: '13/11/2026 00:00' cannot be MM/DD/YYYY as --date-order mdy says: its first "
        "field, the month, is above 12"
    )
    r = load(conn, text, utc_offset="-03:00", date_order="dmy")
    assert r.notes[1] == "dates read DD/MM/YYYY (--date-order dmy)"


def test_dates_whose_day_equals_their_month_need_no_order(conn):
    meter(conn, "LT-8")
    r = load(conn, HEADER + "LT-8,05/05/2026 00:00,1.0\n", utc_offset="-03:00")
    assert stored(conn, "LT-8") == [utc(2026, 5, 5, 3, 0)]
    assert r.notes[1] == "dates read alike in either order: in every one, day and month are equal"


def test_without_the_flag_a_time_without_offset_is_refused_naming_the_flag(conn):
    meter(conn, "LT-9")
    exc = refused(conn, HEADER + "LT-9,2026-11-02T00:00:00Z,1\nLT-9,02/11/2026 00:00,1\n")
    assert str(exc) == (
        "line 3: timestamp '02/11/2026 00:00' is not ISO 8601 with a UTC offset or Z; none is "
        "guessed: if the file's times are local at one offset, say which, e.g. --utc-offset "
        "-03:00"
    )
    # a time stamp that is no time at all gets no such hint, flag or not
    for kw in ({}, {"utc_offset": "-03:00"}):
        exc = refused(conn, HEADER + "LT-9,yesterday,1\n", **kw)
        assert str(exc).startswith("line 2: timestamp 'yesterday' is not ISO 8601")
        assert "--utc-offset" not in str(exc)
    exc = refused(conn, HEADER + "LT-9,02/11/2026 00:00,1\n", date_order="dmy")
    assert "--date-order reads dates without a UTC offset" in str(exc)
    assert "add --utc-offset -03:00" in str(exc)


@pytest.mark.parametrize("text", ["-03:00", "+00:00", "+05:45", "+14:00", "-12:00"])
def test_an_offset_is_taken_as_written(text: str) -> None:
    assert parse_utc_offset(text) == text
    assert parse_utc_offset("Z") == parse_utc_offset("z") == "+00:00"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("-3", "UTC offset '-3': write it as ±HH:MM (e.g. -03:00 for Brasília, +00:00) or Z"),
        ("-0300", "UTC offset '-0300': write it as ±HH:MM"),
        ("UTC-3", "UTC offset 'UTC-3': write it as ±HH:MM"),
        ("America/Sao_Paulo", "UTC offset 'America/Sao_Paulo': write it as ±HH:MM"),
        ("", "UTC offset '': write it as ±HH:MM"),
        ("-03:60", "UTC offset '-03:60' is out of range: -12:00 to +14:00"),
        ("+14:30", "UTC offset '+14:30' is out of range: -12:00 to +14:00"),
        ("-13:00", "UTC offset '-13:00' is out of range: -12:00 to +14:00"),
        ("-00:00", "UTC offset '-00:00' means 'offset unknown' (RFC 3339): write +00:00 or Z"),
    ],
)
def test_a_bad_offset_is_refused_saying_what_is_accepted(text: str, message: str) -> None:
    with pytest.raises(ValueError) as exc:
        parse_utc_offset(text)
    assert str(exc.value).startswith(message)


def test_a_bad_offset_reaches_no_database_row(conn):
    meter(conn, "LT-10")
    exc = refused(conn, HEADER + "LT-10,02/11/2026 00:00,1\n", utc_offset="-3")
    assert str(exc).startswith("UTC offset '-3': write it as ±HH:MM")


@pytest.mark.slow
def test_the_cli_reads_a_brazilian_spreadsheet_at_the_offset_given(
    db_settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys, tmp_path
):
    monkeypatch.setenv("SMF_DATABASE_URL", db_settings.url)
    with psycopg.connect(db_settings.url) as c:
        meter(c, "LT-CLI")
    f = tmp_path / "planilha.csv"
    f.write_bytes(
        b"meter_serial;ts;active_fwd_kwh\n"
        b"LT-CLI;02/11/2026 00:00;8,5\n"
        b"LT-CLI;13/11/2026 00:00;1,0\n"
    )

    def nothing_stored() -> None:
        with psycopg.connect(db_settings.url) as c:
            assert counts(c) == (0, 0, 0)

    # no flag: refused, naming the line and the flag
    assert cli.main(["import", "--quiet", str(f)]) == 1
    err = capsys.readouterr().err
    assert "line 2: timestamp '02/11/2026 00:00' is not ISO 8601" in err
    assert "--utc-offset -03:00" in err
    nothing_stored()
    # a bad offset: argparse refuses it before anything is read
    with pytest.raises(SystemExit) as exc:
        cli.main(["import", "--quiet", str(f), "--utc-offset", "-3"])
    assert exc.value.code == 2
    assert "argument --utc-offset: UTC offset '-3': write it as ±HH:MM" in capsys.readouterr().err
    nothing_stored()
    # undecided (no field above 12): refused, naming the ambiguity
    g = tmp_path / "undecided.csv"
    g.write_bytes(b"meter_serial;ts;active_fwd_kwh\nLT-CLI;02/11/2026 00:00;8,5\n")
    assert cli.main(["import", "--quiet", str(g), "--utc-offset", "-03:00"]) == 1
    assert "reads as 2026-11-02 (DD/MM) or 2026-02-11 (MM/DD)" in capsys.readouterr().err
    nothing_stored()
    # `--utc-offset -03:00` as written (a value starting with '-')
    assert cli.main(["import", "--quiet", str(f), "--utc-offset", "-03:00"]) == 0
    out = capsys.readouterr().out
    assert "2 inserted" in out
    assert "note: 2 of 2 rows had no UTC offset and were read at -03:00 (--utc-offset)" in out
    assert "note: dates read DD/MM/YYYY: line 3 has '13/11/2026 00:00'" in out
    with psycopg.connect(db_settings.url) as c:
        assert stored(c, "LT-CLI") == [utc(2026, 11, 2, 3, 0), utc(2026, 11, 13, 3, 0)]


def test_the_batch_keeps_how_its_file_was_read(conn):
    """smf.ingest_batch.decisions: every decision of the summary, in the order taken, so a later
    reader knows the offset, the date order and the decimal separator the file was read with."""
    meter(conn, "LT-D")
    r = load(
        conn,
        "meter_serial;ts;active_fwd_kwh\n"
        + "LT-D;02/11/2026 00:00;1,5\n"  # line 2: a decimal comma, an offset-less slash date
        + "LT-D;14/11/2026 00:00;2,0\n",  # line 3: 14 is a day, so DD/MM
        utc_offset="-03:00",
    )
    row = conn.execute(
        "select decisions from smf.ingest_batch where id = %s", (r.batch_id,)
    ).fetchone()
    assert row is not None
    assert row[0] == [
        "numbers read with a decimal comma: fields separated by ';' and a comma in a number on "
        "line 2 (--decimal point to refuse)",
        "2 of 2 rows had no UTC offset and were read at -03:00 (--utc-offset)",
        "dates read DD/MM/YYYY: line 3 has '14/11/2026 00:00', whose first field is above 12, "
        "so a day",
    ]
    assert list(r.notes) == row[0]
    # a file that needed no decision leaves the column empty
    plain = load(conn, HEADER + "LT-D,2026-11-20T00:00:00-03:00,1.0\n")
    none = conn.execute(
        "select decisions from smf.ingest_batch where id = %s", (plain.batch_id,)
    ).fetchone()
    assert none == (None,)
