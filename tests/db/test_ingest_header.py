"""Ingest input checks that mutmut showed untested (db/ingest.py survivors, bench/RESULTS.md): the
CSV header (byte-order mark, quoted names, the delimiter, unknown and duplicated columns, each
with line 1) and ingest_rows' own checks (unknown quantities, a naive timestamp named as such,
the batch origin recorded)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from db import driver
from db.errors import BatchRejected
from db.ingest import ALLOWED_COLUMNS, IntervalRow, ingest_rows, parse_header
from db.settings import Settings
from tests.db.helpers import fingerprint, query


@pytest.mark.parametrize(
    ("header", "names", "delimiter"),
    [
        # a UTF-8 byte-order mark before the first name is dropped
        ("\ufeffmeter_serial,ts,active_fwd_kwh", ["meter_serial", "ts", "active_fwd_kwh"], ","),
        # quoted, upper-case names and semicolons (Excel in pt-BR)
        ('"Meter_Serial";"TS";"Active_Fwd_kWh"\n', ["meter_serial", "ts", "active_fwd_kwh"], ";"),
        # more semicolons than commas -> ';'
        ("meter_id;ts;voltage_a_v", ["meter_id", "ts", "voltage_a_v"], ";"),
    ],
)
def test_header_names_and_delimiter(header, names, delimiter):
    assert parse_header(header) == (names, delimiter)


def test_header_delimiter_tie_is_a_comma():
    # one ';' and one ',': a tie reads as commas, so "meter_serial;ts" is one unknown name
    with pytest.raises(BatchRejected) as exc:
        parse_header("meter_serial;ts,active_fwd_kwh")
    allowed = ", ".join(sorted(ALLOWED_COLUMNS))
    assert str(exc.value) == f"line 1: unknown column(s) meter_serial;ts; allowed: {allowed}"
    assert exc.value.line == 1


def test_header_unknown_columns_are_listed():
    with pytest.raises(BatchRejected) as exc:
        parse_header("meter_serial,ts,kwh,kvarh")
    assert str(exc.value).startswith("line 1: unknown column(s) kwh, kvarh; allowed: ")
    assert "active_fwd_kwh, active_rev_kwh" in str(exc.value)
    assert exc.value.line == 1


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("meter_serial,ts,ts,active_fwd_kwh", "line 1: column(s) ts given twice"),
        (
            "meter_serial,ts,active_fwd_kwh,meter_serial,active_fwd_kwh",
            "line 1: column(s) active_fwd_kwh, meter_serial given twice",
        ),
        ("meter_serial,active_fwd_kwh", "line 1: missing column ts (interval start)"),
        ("ts,active_fwd_kwh", "line 1: missing column meter_serial or meter_id"),
        ("meter_serial,ts,quality", "line 1: no quantity column (e.g. active_fwd_kwh)"),
    ],
)
def test_header_refusals_name_line_1(header, message):
    with pytest.raises(BatchRejected) as exc:
        parse_header(header)
    assert (str(exc.value), exc.value.line) == (message, 1)


@pytest.mark.slow
def test_ingest_rows_refuses_unknown_quantities(meters: Settings) -> None:
    row = IntervalRow(
        ts=datetime(2026, 10, 1, 3, 0, tzinfo=UTC), meter_serial="M1", values={"kwh": 1, "x": 2}
    )
    before = fingerprint(meters.url)
    with (
        pytest.raises(BatchRejected, match=r"^unknown quantities \['kwh', 'x'\]$"),
        driver.connect(meters) as conn,
    ):
        ingest_rows(conn, [row])
    assert fingerprint(meters.url) == before


@pytest.mark.slow
def test_ingest_rows_names_a_naive_timestamp(meters: Settings) -> None:
    naive = IntervalRow(ts=datetime(2026, 10, 1, 3, 0), meter_serial="M1", values={})
    with (
        pytest.raises(BatchRejected, match=r"2026-10-01T03:00:00\(no offset\)"),
        driver.connect(meters) as conn,
    ):
        ingest_rows(conn, [naive])


@pytest.mark.slow
def test_ingest_rows_records_the_origin(meters: Settings) -> None:
    row = IntervalRow(
        ts=datetime(2026, 10, 1, 3, 0, tzinfo=UTC),
        meter_serial="M1",
        values={"active_fwd_kwh": 1},
    )
    with driver.connect(meters) as conn:
        result = ingest_rows(conn, [row], source="import", origin="upload 42")
    got = query(
        meters.url,
        "select source::text, origin from smf.ingest_batch where id = %s",
        result.batch_id,
    )
    assert got == [("import", "upload 42")]
