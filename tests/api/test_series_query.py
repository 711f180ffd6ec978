"""api/series.py, the interval series' query, without a database: the time zone, the forms a
time may take in a query string, channel names, the columns and SQL parameters of a query, the
row estimate and the row limit's paging message, and the XLSX workbook, each against values
written out by hand."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from api import errors, series

SP = ZoneInfo("America/Sao_Paulo")  # -03:00 all year since 2019
T0 = datetime(2024, 3, 1, tzinfo=UTC)


def test_zone() -> None:
    assert series.zone("America/Sao_Paulo") == SP
    for bad in ("Mars/Olympus", "../etc/passwd"):
        with pytest.raises(errors.ApiError) as exc:
            series.zone(bad)
        assert exc.value.status_code == 422 and exc.value.field == "tz"
        assert exc.value.detail == (
            f"unknown time zone {bad!r} (an IANA name such as America/Sao_Paulo or UTC)"
        )


def test_parse_time_forms() -> None:
    p = series.parse_time
    assert p("2024-03-01", "from", SP) == datetime(2024, 3, 1, 3, 0, tzinfo=UTC)  # local midnight
    assert p("2024-03-01T10:00:00Z", "from", SP) == datetime(2024, 3, 1, 10, tzinfo=UTC)
    # "+" of an offset decoded as a space from a query string
    assert p("2024-03-01T10:00:00 01:00", "from", SP) == datetime(2024, 3, 1, 9, tzinfo=UTC)
    assert p("2024-03-01T10:00:00-03:00", "to", UTC) == datetime(2024, 3, 1, 13, tzinfo=UTC)
    assert p("2024-03-01T10:00", "to", SP) == datetime(2024, 3, 1, 13, tzinfo=UTC)  # naive: tz
    # a space as the date/time separator (no "T"): not an offset
    assert p("2024-03-01 10:00", "to", SP) == datetime(2024, 3, 1, 13, tzinfo=UTC)
    # ... and with an unescaped "+03:00" after it (the offset's space is read as "+" after
    # either separator, not only after a "T")
    assert p("2024-03-01 10:00:00 03:00", "to", UTC) == datetime(2024, 3, 1, 7, tzinfo=UTC)
    t = p("2024-03-01T10:00:00+01:00", "to", SP)
    assert t.utcoffset() == timedelta(hours=1)  # a given offset is kept
    for bad in ("yesterday", "2024-13-01", "2024-02-30T00:00Z", ""):
        with pytest.raises(errors.ApiError) as exc:
            p(bad, "to", SP)
        assert exc.value.status_code == 422 and exc.value.field == "to"
        assert exc.value.detail == f"to: {bad!r} is not a date or an RFC 3339 time"


def test_parse_channels() -> None:
    assert series.parse_channels(None) == list(series.CHANNELS)
    assert series.parse_channels("") == list(series.CHANNELS)
    assert len(series.CHANNELS) == 12
    assert series.parse_channels(" active_fwd_kwh, voltage_a_v,active_fwd,current_b_a") == [
        "active_fwd",
        "voltage_a",
        "current_b",
    ]
    assert series.parse_channels("reactive_cap_rev_kvarh,active_rev_pulses") == [
        "reactive_cap_rev",
        "active_rev",
    ]
    with pytest.raises(errors.ApiError) as exc:
        series.parse_channels("active_fwd, bogus_kwh ")
    assert exc.value.status_code == 422 and exc.value.field == "channels"
    assert exc.value.detail == "unknown channel 'bogus_kwh'; channels: " + ", ".join(
        series.CHANNELS
    )
    with pytest.raises(errors.ApiError):
        series.parse_channels("kwh")  # a bare suffix is no channel


def _q(**kw: Any) -> series.SeriesQuery:
    base: dict[str, Any] = dict(
        meter_id=5,
        serial="M-1",
        uc_code=None,
        lo=T0,
        hi=T0 + timedelta(hours=1),
        resolution="5m",
        units="engineering",
        tz="UTC",
        channels=["active_fwd", "voltage_a", "current_c", "reactive_ind_fwd"],
        rows_estimate=12,
    )
    return series.SeriesQuery(**{**base, **kw})


def test_columns_units_and_params() -> None:
    assert _q().columns == [
        ("bucket_start", "bucket_start"),
        ("active_fwd", "active_fwd_kwh"),
        ("voltage_a", "voltage_a_v"),
        ("current_c", "current_c_a"),
        ("reactive_ind_fwd", "reactive_ind_fwd_kvarh"),
        ("quality", "quality"),
        ("completeness_pct", "completeness_pct"),
    ]
    assert [n for _, n in _q(units="pulses", channels=["active_fwd"]).columns] == [
        "bucket_start",
        "active_fwd_pulses",
        "quality",
        "completeness_pct",
    ]
    assert _q(tz="America/Sao_Paulo", resolution="1h").params() == {
        "meter_id": 5,
        "lo": T0,
        "hi": T0 + timedelta(hours=1),
        "resolution": "1h",
        "tz": "America/Sao_Paulo",
        "pulses": False,
    }
    assert _q(units="pulses").params()["pulses"] is True


def test_estimate_rows() -> None:
    e = series.estimate_rows
    assert e(T0, T0 + timedelta(hours=1), "5m") == 12  # 60 / 5
    assert e(T0, T0 + timedelta(minutes=61), "5m") == 13  # a partial step counts
    assert e(T0, T0 + timedelta(days=1), "15m") == 96
    assert e(T0, T0 + timedelta(days=1), "1h") == 24
    assert e(T0, T0 + timedelta(days=3), "1d") == 3
    assert e(T0, T0 + timedelta(days=365), "1mo") == 14  # ceil(365 / 28) = 14 (upper bound)
    assert e(T0, T0 - timedelta(hours=1), "5m") == 0


def test_check_limit_and_paging_message() -> None:
    series.check_limit(_q(rows_estimate=100), "json", 100, 2500)  # exactly the limit: fine
    series.check_limit(_q(rows_estimate=2500), "csv", 100, 2500)
    with pytest.raises(errors.ApiError) as exc:
        series.check_limit(_q(rows_estimate=101), "json", 100, 2500)
    e = exc.value
    assert e.status_code == 422 and e.code == "too-many-rows" and e.field == "to"
    # 100 five-minute steps from 00:00 end at 08:20
    assert e.extra_members == {"limit": 100, "next_to": "2024-03-01T08:20:00+00:00"}
    assert e.detail == (
        "from..to at resolution 5m may hold 101 rows; one json response carries at most 100. "
        "Page: ask from=2024-03-01T00:00:00+00:00 to=2024-03-01T08:20:00+00:00, then "
        "from=2024-03-01T08:20:00+00:00 and so on; or use format=csv (streamed) or a coarser "
        "resolution."
    )
    with pytest.raises(errors.ApiError) as exc:
        series.check_limit(_q(rows_estimate=2501, resolution="1h"), "csv", 100, 2500)
    e = exc.value
    # 2500 h = 104 d 4 h after 2024-03-01 00:00: 30 (to Mar 31) + 30 + 31 + 13 = 104 -> Jun 13
    assert e.extra_members == {"limit": 2500, "next_to": "2024-06-13T04:00:00+00:00"}
    assert e.detail.endswith("and so on or a coarser resolution.")  # CSV: no "use csv"
    assert "one csv response carries at most 2500" in e.detail


def test_xlsx_workbook_by_hand() -> None:
    from openpyxl import load_workbook

    q = _q(tz="America/Sao_Paulo", channels=["active_fwd", "voltage_a"])
    rows = [
        [datetime(2024, 3, 1, 0, 0, tzinfo=timezone(timedelta(hours=-3))), 0.5, None, "m", 100.0],
        [datetime(2024, 3, 1, 0, 5, tzinfo=timezone(timedelta(hours=-3))), 0, 127.0, "e", 50.0],
    ]
    wb = load_workbook(io.BytesIO(series.xlsx(q, rows)))
    assert wb.sheetnames == ["intervals"]
    ws = wb["intervals"]
    got = [list(r) for r in ws.iter_rows(values_only=True)]
    assert got == [
        [
            "bucket_start (America/Sao_Paulo)",
            "active_fwd_kwh",
            "voltage_a_v",
            "quality",
            "completeness_pct",
        ],
        [datetime(2024, 3, 1, 0, 0), 0.5, None, "m", 100],  # local wall time, no offset
        [datetime(2024, 3, 1, 0, 5), 0, 127, "e", 50],
    ]
    assert ws["A2"].number_format == "yyyy-mm-dd hh:mm"
    # the time column alone is 18 characters wide (xlsxwriter stores 18 + 0.71 of padding)
    a = ws.column_dimensions["A"]
    assert (a.min, a.max, round(a.width, 2)) == (1, 1, 18.71)
