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


@pytest.mark.slow
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


# ---------- seasonalization and modulation at their edges


def test_seasonalization_without_any_volume(conn):
    # Flat seasonalization needs an annual volume (`annual_mwh is not null`): a contract valid in
    # 2026 with neither an annual nor a month volume has 0 MWh and method 'none' in every month.
    uc = make_uc(conn, 162)
    conn.execute(
        "insert into smf.energy_contract (code, kind, seller, buyer_uc_id, submarket,"
        " valid_during, modulation) values ('NV1', 'bilateral', 'Seller', %s, 'SE/CO',"
        " '[2026-01-01,2027-01-01)', 'flat')",
        (uc.id,),
    )
    rows = conn.execute("select mwh, method from smf.contract_seasonalization('NV1', 2026)")
    assert rows.fetchall() == [(D(0), "none")] * 12


def test_load_following_on_exactly_one_kwh(conn):
    # Load following needs a load total > 0, and 1 kWh is one: the buyer consumed 1.000 kWh in
    # October 2026, all at 10:00 on the 6th (4 x 250 Wh). Load following of a declared 744 MWh
    # month: q_h = 744 x C_h / 1 -> 744 MWh at that hour, 0 in the other 743; the method is
    # load_following (a total of 1 kWh is > 0), not flat (flat would be 744 / 744 = 1 MWh/h).
    uc = make_uc(conn, 135)
    put_hours(conn, uc, [("2026-10-06 10:00", 1, 0, 0)])
    cid = conn.execute(
        "insert into smf.energy_contract (code, kind, seller, buyer_uc_id, submarket,"
        " valid_during, modulation) values ('LF1', 'bilateral', 'Seller', %s, 'SE/CO',"
        " '[2026-01-01,2027-01-01)', 'load_following') returning id",
        (uc.id,),
    ).fetchone()[0]
    conn.execute("insert into smf.contract_month_volume values (%s, '2026-10-01', 744)", (cid,))
    rows = conn.execute("select hour, mwh, method from smf.contract_modulation('LF1', %s)", (OCT,))
    hours = rows.fetchall()
    assert len(hours) == 744
    assert {m for _, _, m in hours} == {"load_following"}
    assert {(h, v) for h, v, _ in hours if v != 0} == {(local("2026-10-06 10:00"), D(744))}


def test_load_following_on_zero_consumption_is_flat(conn):
    # A load total of 0 is no load shape: the buyer's readings are all 0 kWh -> flat,
    # 744 MWh / 744 h = 1 MWh every hour.
    uc = make_uc(conn, 146)
    put_hours(conn, uc, [("2026-10-06 10:00", 0, 0, 0)])
    cid = conn.execute(
        "insert into smf.energy_contract (code, kind, seller, buyer_uc_id, submarket,"
        " valid_during, modulation) values ('LF0', 'bilateral', 'Seller', %s, 'SE/CO',"
        " '[2026-01-01,2027-01-01)', 'load_following') returning id",
        (uc.id,),
    ).fetchone()[0]
    conn.execute("insert into smf.contract_month_volume values (%s, '2026-10-01', 744)", (cid,))
    hours = conn.execute("select mwh, method from smf.contract_modulation('LF0', %s)", (OCT,))
    assert set(hours.fetchall()) == {(D(1), "flat")}


def test_load_following_follows_loss_adjusted_consumption(conn):
    # Load following follows the loss-adjusted series, not the raw one: two loss periods in October
    # 2026, 0 up to the 15th and 0.125 from the 16th. The buyer consumed 1 kWh at 10:00 on the 6th
    # (adjusted 1 x 1.000 = 1) and 1 kWh at 10:00 on the 20th (adjusted 1 x 1.125 = 1.125); total
    # 2.125. A 17 MWh month follows it: 17 x 1 / 2.125 = 8 MWh and 17 x 1.125 / 2.125 = 9 MWh (the
    # raw series would give 8.5 and 8.5).
    uc = make_uc(conn, 160)
    for valid, factor in (("[2020-01-01,2026-10-16)", 0), ("[2026-10-16,)", "0.125")):
        conn.execute("insert into smf.transformer_loss values (%s, %s, %s)", (uc.id, valid, factor))
    put_hours(conn, uc, [("2026-10-06 10:00", 1, 0, 0), ("2026-10-20 10:00", 1, 0, 0)])
    cid = conn.execute(
        "insert into smf.energy_contract (code, kind, seller, buyer_uc_id, submarket,"
        " valid_during, modulation) values ('LF9', 'bilateral', 'Seller', %s, 'SE/CO',"
        " '[2026-01-01,2027-01-01)', 'load_following') returning id",
        (uc.id,),
    ).fetchone()[0]
    conn.execute("insert into smf.contract_month_volume values (%s, '2026-10-01', 17)", (cid,))
    rows = conn.execute("select hour, mwh from smf.contract_modulation('LF9', %s)", (OCT,))
    got = {h: v for h, v in rows.fetchall() if v != 0}
    assert got == {local("2026-10-06 10:00"): D(8), local("2026-10-20 10:00"): D(9)}


@pytest.mark.parametrize(
    ("declared_at", "method", "at_first_hour"),
    [
        # an hour volume at the last hour of September only: October is not declared -> flat,
        # 744 / 744 = 1 MWh in each hour (an hour volume before the month is not the month's)
        ("2026-09-30 23:00", "flat", D(1)),
        # at the first hour of October (2026-10-01 00:00 local): declared, 5 MWh there and 0 in
        # the other 743 hours (the month's first hour is the month's)
        ("2026-10-01 00:00", "declared", D(5)),
    ],
)
def test_declared_hour_volumes_at_the_month_start(conn, declared_at, method, at_first_hour):
    uc = make_uc(conn, 147)
    cid = conn.execute(
        "insert into smf.energy_contract (code, kind, seller, buyer_uc_id, submarket,"
        " valid_during, modulation) values ('DH1', 'bilateral', 'Seller', %s, 'SE/CO',"
        " '[2026-01-01,2027-01-01)', 'flat') returning id",
        (uc.id,),
    ).fetchone()[0]
    conn.execute("insert into smf.contract_month_volume values (%s, '2026-10-01', 744)", (cid,))
    conn.execute(
        "insert into smf.contract_hour_volume (contract_id, hour, mwh) values (%s, %s, 5)",
        (cid, local(declared_at)),
    )
    hours = conn.execute("select hour, mwh, method from smf.contract_modulation('DH1', %s)", (OCT,))
    rows = hours.fetchall()
    assert len(rows) == 744 and {m for _, _, m in rows} == {method}
    assert rows[0][:2] == (local("2026-10-01 00:00"), at_first_hour)
    assert sum(v for _, v, _ in rows) == (D(744) if method == "flat" else D(5))


def test_declared_hours_of_another_contract_do_not_count(conn):
    # A contract's hour volumes are its own (`v.contract_id = c.id`): contracts DH3 and
    # DH4 both declare 2026-10-06 10:00 (5 and 7 MWh). DH3's October: 5 MWh at that hour, 0 in
    # the other 743.
    uc = make_uc(conn, 158)
    for code, mwh in (("DH3", 5), ("DH4", 7)):
        cid = conn.execute(
            "insert into smf.energy_contract (code, kind, seller, buyer_uc_id, submarket,"
            " valid_during, modulation) values (%s, 'bilateral', 'Seller', %s, 'SE/CO',"
            " '[2026-01-01,2027-01-01)', 'flat') returning id",
            (code, uc.id),
        ).fetchone()[0]
        conn.execute(
            "insert into smf.contract_hour_volume (contract_id, hour, mwh) values (%s, %s, %s)",
            (cid, local("2026-10-06 10:00"), mwh),
        )
    rows = conn.execute("select hour, mwh from smf.contract_modulation('DH3', %s)", (OCT,))
    hours = rows.fetchall()
    assert len(hours) == 744
    assert [(h, v) for h, v in hours if v] == [(local("2026-10-06 10:00"), D(5))]


# ---------- exposure and lastro: windows, loss periods and roundings


def test_exposure_month_rounds_to_six_decimals(conn):
    # The month totals are rounded to 6 decimals. Flat contract of 1000 MWh/year in 2026
    # (8760 h): October (744 h) = 1000 x 744 / 8760 = 84.931506849315... -> 84.931507.
    # Consumption: raw 1000.008 kWh at one hour, loss 1.234 %: 1.000008 x 1.01234 =
    # 1.01234 + 0.00000809872 = 1.01234809872 MWh -> 1.012348.
    # Exposure 84.931506849315 - 1.012348098720 = 83.919158750595 -> 83.919159 (surplus).
    uc = make_uc(conn, 149, loss="0.01234")
    put_hours(conn, uc, [("2026-10-06 10:00", "1000.008", 0, 0)])
    conn.execute(
        "insert into smf.energy_contract (code, kind, seller, buyer_uc_id, submarket,"
        " valid_during, annual_mwh, modulation) values ('FA1', 'bilateral', 'Seller', %s,"
        " 'SE/CO', '[2026-01-01,2027-01-01)', 1000, 'flat')",
        (uc.id,),
    )
    month = rules.exposure_month(conn, uc.code, OCT)
    assert (month["consumption_mwh"], month["contracted_mwh"], month["exposure_mwh"]) == (
        D("1.012348"),
        D("84.931507"),
        D("83.919159"),
    )


def test_lastro_without_any_pld(conn):
    # No PLD in the window -> mean null; price = max(VR 0, 0) = 0; consumption 1 MWh,
    # no contract -> shortfall 1 MWh, penalty 1 x 0 = 0.00 and its twelfth 0.00.
    uc = make_uc(conn, 134)
    put_hours(conn, uc, [("2026-10-06 10:00", 1000, 0, 0)])
    lp = rules.lastro_penalty(conn, uc.code, OCT)
    assert (lp["shortfall_mwh"], lp["mean_pld"], lp["price"]) == (D("1.000000"), None, D(0))
    assert (lp["penalty_brl"], lp["penalty_month_brl"]) == (D("0.00"), D("0.00"))


def test_lastro_totals_round_to_six_decimals(conn):
    # Consumption, contracts and shortfall are rounded to 6 decimals. Window Nov 2025 .. Oct 2026.
    # UC 1, no contract, loss 1.234 %: raw 1000.008 kWh -> 1.000008 x 1.01234 = 1.01234809872
    # MWh -> consumption and shortfall 1.012348.
    # UC 2, flat contract of 1000 MWh/year valid in 2026 only: Jan..Oct 2026 hold
    # (31+28+31+30+31+30+31+31+30+31) x 24 = 304 x 24 = 7296 of 8760 h -> 1000 x 7296 / 8760 =
    # 832.876712328767... -> 832.876712; consumption 1 MWh -> shortfall 0.
    uc1 = make_uc(conn, 150, loss="0.01234")
    put_hours(conn, uc1, [("2026-10-06 10:00", "1000.008", 0, 0)])
    lp1 = rules.lastro_penalty(conn, uc1.code, OCT)
    assert (lp1["consumption_mwh"], lp1["contracted_mwh"], lp1["shortfall_mwh"]) == (
        D("1.012348"),
        D(0),
        D("1.012348"),
    )
    uc2 = make_uc(conn, 151)
    put_hours(conn, uc2, [("2026-10-06 10:00", 1000, 0, 0)])
    conn.execute(
        "insert into smf.energy_contract (code, kind, seller, buyer_uc_id, submarket,"
        " valid_during, annual_mwh, modulation) values ('FA2', 'bilateral', 'Seller', %s,"
        " 'SE/CO', '[2026-01-01,2027-01-01)', 1000, 'flat')",
        (uc2.id,),
    )
    lp2 = rules.lastro_penalty(conn, uc2.code, OCT)
    assert (lp2["consumption_mwh"], lp2["contracted_mwh"], lp2["shortfall_mwh"]) == (
        D(1),
        D("832.876712"),
        D(0),
    )


def test_lastro_of_a_uc_without_readings(conn):
    # No daily rollup in the window -> consumption 0 (coalesced to 0, not to any other value),
    # and the window stops at its end: a UC whose only reading is on 2026-11-01, the first day
    # after the window, consumed 0 MWh in Nov 2025..Oct 2026; without contracts the shortfall
    # and the penalty are 0.
    # The window has a start: another reading on 2025-10-31, the day before it, is not counted.
    uc = make_uc(conn, 153)
    put_hours(conn, uc, [("2026-11-01 10:00", 1000, 0, 0), ("2025-10-31 10:00", 1000, 0, 0)])
    lp = rules.lastro_penalty(conn, uc.code, OCT)
    assert (lp["consumption_mwh"], lp["shortfall_mwh"], lp["penalty_brl"]) == (
        D(0),
        D(0),
        D(0),
    )


def test_lastro_counts_the_first_day_of_its_window(conn):
    # The window includes its first day (`d.bucket >= u.w0`): the window of October 2026 is Nov
    # 2025..Oct 2026, so w0 = 2025-11-01. One hour of 1000 kWh on that very day (no loss factor, no
    # contract): consumption = 1000 kWh = 1 MWh, and all of it is shortfall.
    uc = make_uc(conn, 159)
    put_hours(conn, uc, [("2025-11-01 10:00", 1000, 0, 0)])
    lp = rules.lastro_penalty(conn, uc.code, OCT)
    assert lp["window_from"] == date(2025, 11, 1)
    assert (lp["consumption_mwh"], lp["shortfall_mwh"]) == (D(1), D(1))


def test_lastro_loss_periods_and_pld_window_start(conn):
    # Each day takes the loss period valid on it (`valid_during @> day`), and the PLD window
    # includes its first hour. Loss 2 % until 2026-09-30, 5 % from 2026-10-01; 1000 kWh on
    # 2026-10-06 -> 1000 x 1.05 = 1050 kWh = 1.05 MWh (each day once, at its own factor).
    # PLD 100 at 2025-11-01 00:00 local (the window's first hour, in) and 200 at
    # 2026-10-31 23:00 (its last, in): mean 150.00; price max(VR 0, 150) = 150; no contract:
    # shortfall 1.05 x 150 = 157.50.
    uc = make_uc(conn, 159)
    for valid, factor in (("[2020-01-01,2026-10-01)", "0.02"), ("[2026-10-01,)", "0.05")):
        conn.execute("insert into smf.transformer_loss values (%s, %s, %s)", (uc.id, valid, factor))
    put_hours(conn, uc, [("2026-10-06 10:00", 1000, 0, 0)])
    for when, price in (("2025-11-01 00:00", 100), ("2026-10-31 23:00", 200)):
        conn.execute("insert into smf.pld values ('SE/CO', %s, %s)", (local(when), price))
    lp = rules.lastro_penalty(conn, uc.code, OCT)
    assert (lp["consumption_mwh"], lp["mean_pld"], lp["penalty_brl"]) == (
        D("1.050000"),
        D("150.00"),
        D("157.50"),
    )


def test_a_months_flat_volume_divides_by_the_hours_of_its_own_year(conn):
    # contract_month_mwh: A = 8760 MWh in 2026 (H = 8760 h, no leap day, no DST in Brazil):
    # October (744 h) = 8760 x 744 / 8760 = 744 MWh exactly; outside the validity 0, 'none'.
    cid = _contract(conn, "S9", None, annual=8760)
    got = conn.execute("select * from smf.contract_month_mwh(%s, '2026-10-01')", (cid,)).fetchone()
    assert (round(got[0], 6), got[1]) == (D("744.000000"), "flat")
    got = conn.execute("select * from smf.contract_month_mwh(%s, '2027-01-01')", (cid,)).fetchone()
    assert (got[0], got[1]) == (0, "none")


# ---------- the hourly rows of a contract and of a UC's exposure, column by column


def test_exposure_rows_carry_local_hour_volumes_pld_and_value(conn):
    # _exposure_case: 744 MWh declared for October, flat -> 744 / 744 h = 1 MWh an hour; loss-
    # adjusted consumption 1.015 / 1.218 / 0.812 MWh at 10:00 / 11:00 / 12:00 local (13:00 /
    # 14:00 / 15:00 UTC), PLD 100 / 300 / 80 R$/MWh. Exposure = 1 - consumption: -0.015 x 100 =
    # -1.50 R$, -0.218 x 300 = -65.40, +0.188 x 80 = 15.04. 13:00 local: no data (0 MWh), no
    # PLD -> exposure +1 MWh, value null.
    uc = _exposure_case(conn, 82)
    rows = conn.execute(
        "select hour, local_hour, consumption_mwh, contracted_mwh, exposure_mwh, pld, value_brl"
        " from smf.exposure_hourly_of(%s, %s)"
        " where local_hour between '2026-10-06 10:00' and '2026-10-06 13:00'",
        (uc.id, OCT),
    ).fetchall()
    assert [(h, lh.hour, *rest) for h, lh, *rest in rows] == [
        (local("2026-10-06 10:00"), 10, D("1.015"), D(1), D("-0.015"), D(100), D("-1.50")),
        (local("2026-10-06 11:00"), 11, D("1.218"), D(1), D("-0.218"), D(300), D("-65.40")),
        (local("2026-10-06 12:00"), 12, D("0.812"), D(1), D("0.188"), D(80), D("15.04")),
        (local("2026-10-06 13:00"), 13, D(0), D(1), D(1), None, None),
    ]


def test_hourly_volumes_declared_flat_and_load_following(conn):
    # Consumption of _exposure_case (no contract of its own): 1015 / 1218 / 812 kWh adjusted at
    # 10:00 / 11:00 / 12:00 local, 3045 kWh in the month.
    # Load following, 744 MWh in October: q_h = 744 x C_h / 3045: 248 (1015 / 3045 = 1/3),
    #   297.6 (x 0.4), 198.4 (744 x 812 = 604128 / 3045); 0 in every other hour.
    # Flat, the same volume, on an agent buyer: 744 / 744 h = 1 MWh every hour.
    # Declared: an hour volume of 5 MWh at 11:00 local -> 5 there, 0 in the other hours.
    uc = _exposure_case(conn, 83, contract=False)
    lf = _contract(conn, "C83LF", uc.id, modulation="load_following")
    flat = _contract(conn, "C83F", None)
    dec = _contract(conn, "C83D", None)
    for cid in (lf, flat):
        conn.execute("insert into smf.contract_month_volume values (%s, '2026-10-01', 744)", (cid,))
    conn.execute(
        "insert into smf.contract_hour_volume values (%s, %s, 5)", (dec, local("2026-10-06 11:00"))
    )
    assert conn.execute("select smf.contract_id('C83LF')").fetchone()[0] == lf
    sql = (
        "select hour, mwh, method from smf.contract_hourly_of(%s, %s)"
        " where hour in (%s, %s, %s, %s)"
    )
    hours = [local(f"2026-10-06 {h}:00") for h in (10, 11, 12, 13)]
    assert conn.execute(sql, (lf, OCT, *hours)).fetchall() == [
        (hours[0], D(248), "load_following"),
        (hours[1], D("297.6"), "load_following"),
        (hours[2], D("198.4"), "load_following"),
        (hours[3], D(0), "load_following"),
    ]
    assert conn.execute(sql, (flat, OCT, *hours)).fetchall() == [(h, D(1), "flat") for h in hours]
    assert conn.execute(sql, (dec, OCT, *hours)).fetchall() == [
        (h, D(5) if h == hours[1] else D(0), "declared") for h in hours
    ]


def test_an_unknown_contract_code_is_not_found(conn):
    with pytest.raises(errors.NotFound, match="unknown contract NOPE"), driver.translate_errors():
        conn.execute("select smf.contract_id('NOPE')")
