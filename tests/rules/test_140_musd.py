"""MUSD check (db/functions/140_musd.sql): hour kWh > factor x MUSD kW x 1 h."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from db import errors, rules
from tests.rules.conftest import local, make_uc, put_hours

OCT = date(2026, 10, 1)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("loss", "with_losses", "factor", "over", "verdict"),
    [
        # MUSD 100 kW x 1.25 = 125 kWh. Hours: 120, 126, 122 kWh raw.
        (None, True, None, [(11, D("126.000"), D("1.000"))], "rejected"),
        # with 2.5% losses: 120 x 1.025 = 123, 126 x 1.025 = 129.15, 122 x 1.025 = 125.05
        (
            "0.025",
            True,
            None,
            [(11, D("129.150"), D("4.150")), (12, D("125.050"), D("0.050"))],
            "rejected",
        ),
        ("0.025", False, None, [(11, D("126.000"), D("1.000"))], "rejected"),
        # factor 1.3 -> 130 kWh: nothing over
        (None, True, D("1.3"), [], "accepted"),
    ],
)
def test_musd_hours_and_verdict(conn, loss, with_losses, factor, over, verdict):
    uc = make_uc(conn, 61, musd_kw=100, loss=loss)
    put_hours(
        conn,
        uc,
        [
            ("2026-10-06 10:00", 120, 0, 0),
            ("2026-10-06 11:00", 126, 0, 0),
            ("2026-10-06 12:00", 122, 0, 0),
        ],
    )
    hours = rules.musd_check_hours(conn, uc.code, OCT, factor=factor, with_losses=with_losses)
    assert [(h["local_hour"].hour, h["kwh"], h["excess_kwh"]) for h in hours] == over
    v = rules.musd_check(conn, uc.code, OCT, factor=factor, with_losses=with_losses)
    assert (v["verdict"], v["hours_over"], v["hours_with_data"]) == (verdict, len(over), 3)


def test_no_musd(conn):
    uc = make_uc(conn, 62, musd_kw=None)
    put_hours(conn, uc, [("2026-10-06 10:00", 120, 0, 0)])
    assert rules.musd_check(conn, uc.code, OCT)["verdict"] == "no_musd"


def test_factor_must_be_positive(conn):
    uc = make_uc(conn, 63, musd_kw=100)
    put_hours(conn, uc, [("2026-10-06 10:00", 120, 0, 0)])
    with pytest.raises(errors.InvalidParameter, match="MUSD factor must be positive, got 0"):
        rules.musd_check(conn, uc.code, OCT, factor=D(0))


def test_hour_is_local(conn):
    uc = make_uc(conn, 64, musd_kw=1)
    put_hours(conn, uc, [("2026-10-06 00:00", 2, 0, 0)])
    (h,) = rules.musd_check_hours(conn, uc.code, OCT)
    assert h["hour"] == local("2026-10-06 00:00")


# ---------- the hourly limit series and the month's verdict row, column by column


def test_musd_hours_and_verdict_row_with_and_without_losses(conn):
    # MUSD 100 kW, factor 1.25 -> limit 1.25 x 100 kW x 1 h = 125 kWh an hour; loss 2 %.
    # 10:00 local 120 kWh raw -> 122.4 adjusted; 11:00 124 kWh raw -> 126.48 adjusted (> 125);
    # 12:00 without data: kwh null, never over. UTC = local + 3 h.
    uc = make_uc(conn, 65, musd_kw=100, loss="0.02")
    put_hours(conn, uc, [("2026-10-06 10:00", 120, 0, 0), ("2026-10-06 11:00", 124, 0, 0)])
    hours = conn.execute(
        "select hour, local_hour, kwh, limit_kwh, exceeds"
        " from smf.musd_hours_of(%s, %s, 1.25, true)"
        " where local_hour between '2026-10-06 10:00' and '2026-10-06 12:00'",
        (uc.id, OCT),
    ).fetchall()
    assert [(h, lh.hour, *rest) for h, lh, *rest in hours] == [
        (local("2026-10-06 10:00"), 10, D("122.4"), D(125), False),
        (local("2026-10-06 11:00"), 11, D("126.48"), D(125), True),
        (local("2026-10-06 12:00"), 12, None, D(125), False),
    ]
    # The verdict row (a mid-month date names its month): loss-adjusted, one hour over, the
    # largest 126.480 kWh -> rejected; raw, the largest 124.000 <= 125 -> accepted.
    sql = (
        "select uc_code, month, musd_kw, factor, limit_kwh, hours_with_data, hours_over,"
        " max_kwh, verdict from smf.musd_check_of(%s, %s, 1.25, %s)"
    )
    mid = date(2026, 10, 15)
    assert conn.execute(sql, (uc.id, mid, True)).fetchall() == [
        (uc.code, OCT, D(100), D("1.25"), D(125), 2, 1, D("126.48"), "rejected")
    ]
    assert conn.execute(sql, (uc.id, mid, False)).fetchall() == [
        (uc.code, OCT, D(100), D("1.25"), D(125), 2, 0, D(124), "accepted")
    ]


def test_musd_factor_defaults_to_the_rule_parameter(conn):
    # null -> rule_param('musd_factor') = 1.25; a given positive factor is kept (1.3).
    sql = "select smf.musd_factor_checked(%s, %s)"
    assert conn.execute(sql, (None, OCT)).fetchone()[0] == D("1.25")
    assert conn.execute(sql, (D("1.3"), OCT)).fetchone()[0] == D("1.3")
