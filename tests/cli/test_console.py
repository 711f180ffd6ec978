"""smf.console: the time policy, the table and CSV formats and the progress bar, by hand."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from smf import console

SP = ZoneInfo("America/Sao_Paulo")


@pytest.mark.parametrize(
    ("moment", "zone", "text"),
    [
        # 17:00 UTC = 14:00 at -03:00 (Sao Paulo, no DST since 2019)
        (datetime(2026, 11, 18, 17, 0, tzinfo=UTC), SP, "2026-11-18 14:00-03"),
        # 2018-11-18 Sao Paulo was on DST (-02:00): 17:00 UTC = 15:00-02
        (datetime(2018, 11, 18, 17, 0, tzinfo=UTC), SP, "2018-11-18 15:00-02"),
        # a half-hour zone keeps its minutes: 17:00 UTC = 22:30 at +05:30
        (
            datetime(2026, 11, 18, 17, 0, tzinfo=UTC),
            ZoneInfo("Asia/Kolkata"),
            "2026-11-18 22:30+05:30",
        ),
        # 02:30 UTC on the 19th is still the 18th locally (23:30-03)
        (datetime(2026, 11, 19, 2, 30, tzinfo=UTC), SP, "2026-11-18 23:30-03"),
        (
            datetime(2026, 11, 18, 14, 0, tzinfo=timezone(timedelta(hours=-3))),
            UTC,
            "2026-11-18 17:00+00",
        ),
    ],
)
def test_when_prints_local_time_with_its_offset(
    moment: datetime, zone: ZoneInfo, text: str
) -> None:
    assert console.when(moment, zone=zone) == text


def test_a_naive_time_is_refused_and_none_is_empty() -> None:
    with pytest.raises(ValueError, match="no UTC offset"):
        console.when(datetime(2026, 11, 18, 14, 0))
    assert console.when(None) == "" and console.iso(None) == ""


def test_csv_keeps_iso_8601_with_the_local_offset() -> None:
    out = io.StringIO()
    rows = [{"at": datetime(2026, 11, 18, 17, 0, tzinfo=UTC), "kwh": Decimal("1.500"), "x": None}]
    console.write_csv(rows, ["at", "kwh", "x"], out)
    assert out.getvalue().splitlines() == ["at,kwh,x", "2026-11-18T14:00:00-03:00,1.500,"]


def test_table_is_plain_ascii_with_a_rule_and_no_trailing_spaces() -> None:
    out = io.StringIO()
    console.table(
        [
            {"uc": "000000100105905", "kwh": Decimal("12.000"), "day": date(2026, 11, 1)},
            {"uc": "1", "kwh": None, "day": None},
        ],
        title="Title",
        out=out,
    )
    assert out.getvalue().splitlines() == [
        "Title",
        "uc               kwh     day",
        "---------------- ------- ----------",
        "000000100105905  12.000  2026-11-01",
        "1",
        "",
    ]


def test_empty_table_prints_the_empty_text_or_nothing() -> None:
    out = io.StringIO()
    console.table([], out=out)
    console.table([], out=out, empty="no rows")
    assert out.getvalue() == "no rows\n"


def test_progress_is_silent_unless_asked_and_reaches_the_total() -> None:
    with console.progress("file.csv", 200, enabled=False) as update:
        update(100)  # a no-op
    out = io.StringIO()
    with console.progress("file.csv", 200, out=out) as update:
        update(50)
        update(400)  # past the end: capped at the total
    text = out.getvalue()
    assert "file.csv" in text and "100%" in text
