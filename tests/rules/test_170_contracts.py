"""Contracts, exposure and lastro (db/functions/170_contracts.sql)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from db import driver, errors, rules
from tests.rules.conftest import local, make_uc, put_hours

OCT = date(2026, 10, 1)


def _contract(
    conn,
    code: str,
    uc_id: int | None,
    *,
    annual=None,
    modulation="flat",
    valid="[2026-01-01,2027-01-01)",
) -> int:
    return conn.execute(
        "insert into smf.energy_contract (code, kind, seller, buyer_uc_id, buyer_agent, submarket,"
        " valid_during, annual_mwh, modulation) values (%s, 'bilateral', 'Seller', %s, %s, 'SE/CO',"
        " %s, %s, %s) returning id",
        (code, uc_id, None if uc_id else "AGENT", valid, annual, modulation),
    ).fetchone()[0]


def _exposure_case(conn, seq: int, *, contract: bool = True):
    # Raw 1000, 1200, 800 kWh with 1.5% losses -> 1.015, 1.218, 0.812 MWh.
    uc = make_uc(conn, seq, loss="0.015")
    put_hours(
        conn,
        uc,
        [
            ("2026-10-06 10:00", 1000, 0, 0),
            ("2026-10-06 11:00", 1200, 0, 0),
            ("2026-10-06 12:00", 800, 0, 0),
        ],
    )
    if contract:
        cid = _contract(conn, f"C{seq}", uc.id)
        # October 2026 has 744 h: 744 MWh flat-modulated = 1.0 MWh/h
        conn.execute("insert into smf.contract_month_volume values (%s, '2026-10-01', 744)", (cid,))
    for hour, price in (("10:00", 100), ("11:00", 300), ("12:00", 80)):
        conn.execute(
            "insert into smf.pld values ('SE/CO', %s, %s)", (local(f"2026-10-06 {hour}"), price)
        )
    return uc


def test_exposure_example_of_the_notes(conn):
    uc = _exposure_case(conn, 81)
    rows = {
        r["local_hour"].hour: r
        for r in rules.exposure_hourly(conn, uc.code, OCT)
        if r["pld"] is not None
    }
    # (1.0 - 1.015) x 100 = -1.50; (1.0 - 1.218) x 300 = -65.40; (1.0 - 0.812) x 80 = +15.04
    assert [
        (rows[h]["consumption_mwh"], rows[h]["contracted_mwh"], rows[h]["value_brl"])
        for h in (10, 11, 12)
    ] == [
        (D("1.015"), D(1), D("-1.50")),
        (D("1.218"), D(1), D("-65.40")),
        (D("0.812"), D(1), D("15.04")),
    ]
    month = rules.exposure_month(conn, uc.code, OCT)
    assert month["value_brl"] == D("-51.86")  # -1.50 - 65.40 + 15.04
    assert month["hours_without_pld"] == 744 - 3
    # contracts 744 MWh - consumption 3.045 MWh = 740.955 MWh surplus over the month
    assert month["exposure_mwh"] == D("740.955000")


def test_flat_seasonalization(conn):
    # A = 1000 MWh in 2028 (leap, H = 8784 h): February (696 h) = 1000 x 696 / 8784 = 79.234973;
    # October (744 h) = 1000 x 744 / 8784 = 84.699454. A declared month volume takes precedence.
    cid = _contract(conn, "S1", None, annual=1000, valid="[2028-01-01,2029-01-01)")
    conn.execute("insert into smf.contract_month_volume values (%s, '2028-03-01', 90)", (cid,))
    months = {
        r["month"].month: r
        for r in conn.execute("select * from smf.contract_seasonalization('S1', 2028)").fetchall()
        for r in [dict(zip(("month", "hours", "mwh", "method"), r, strict=True))]
    }
    assert (months[2]["hours"], round(months[2]["mwh"], 6), months[2]["method"]) == (
        696,
        D("79.234973"),
        "flat",
    )
    assert round(months[10]["mwh"], 6) == D("84.699454")
    assert (months[3]["mwh"], months[3]["method"]) == (D(90), "declared")


def test_flat_and_load_following_modulation(conn):
    uc = _exposure_case(conn, 82, contract=False)
    flat = _contract(conn, "F1", uc.id)
    follow = _contract(conn, "L1", uc.id, modulation="load_following")
    for cid in (flat, follow):
        conn.execute("insert into smf.contract_month_volume values (%s, '2026-10-01', 744)", (cid,))
    f = conn.execute(
        "select mwh, method from smf.contract_modulation('F1', %s) where hour = %s",
        (OCT, local("2026-10-06 11:00")),
    ).fetchone()
    assert f == (D(1), "flat")  # 744 / 744 h
    lf = dict(
        conn.execute(
            "select hour, mwh from smf.contract_modulation('L1', %s) where mwh > 0", (OCT,)
        ).fetchall()
    )
    # q_h = 744 x C_h / (1015 + 1218 + 812 = 3045): 248.0, 297.6, 198.4
    assert lf == {
        local("2026-10-06 10:00"): D("248.0"),
        local("2026-10-06 11:00"): D("297.6"),
        local("2026-10-06 12:00"): D("198.4"),
    }


def test_declared_modulation(conn):
    cid = _contract(conn, "D1", None)
    conn.execute(
        "insert into smf.contract_hour_volume values (%s, %s, 5)", (cid, local("2026-10-06 11:00"))
    )
    rows = conn.execute(
        "select mwh, method from smf.contract_modulation('D1', %s) where mwh > 0", (OCT,)
    ).fetchall()
    assert rows == [(D(5), "declared")]


def test_lastro_penalty(conn):
    # No contracts: shortfall = 3.045 MWh over Nov 2025 - Oct 2026; mean PLD (100 + 300 + 80) / 3
    # = 160 > VR 0 -> penalty 3.045 x 160 = 487.20, a twelfth per month = 40.60.
    uc = _exposure_case(conn, 83, contract=False)
    lp = rules.lastro_penalty(conn, uc.code, OCT)
    assert (lp["window_from"], lp["window_to"]) == (date(2025, 11, 1), date(2026, 10, 31))
    assert (lp["shortfall_mwh"], lp["mean_pld"], lp["price"]) == (
        D("3.045000"),
        D("160.00"),
        D(160),
    )
    assert (lp["penalty_brl"], lp["penalty_month_brl"]) == (D("487.20"), D("40.60"))


def test_unknown_contract(conn):
    with pytest.raises(errors.NotFound, match="unknown contract NOPE"), driver.translate_errors():
        conn.execute("select * from smf.contract_modulation('NOPE', '2026-10-01')")
