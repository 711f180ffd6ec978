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
