"""Billing-cycle summary (db/functions/160_billing.sql), on the worked example of the notes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from db import rules
from tests.rules.conftest import local, make_uc, put_hours, put_intervals, scalar

OCT = date(2026, 10, 1)


def _tariffs(conn, dist: int) -> None:
    for item, posto, price in [
        ("energy", "fora_ponta", "0.30"),
        ("demand", "fora_ponta", "20"),
        ("demand", "ponta", "50"),
        ("ufer", "fora_ponta", "0.30"),
    ]:
        conn.execute(
            "insert into smf.tariff (distributor_id, modality, item, posto, valid_during,"
            " price) values (%s, 'azul', %s, %s, '[2026-01-01,2027-01-01)', %s)",
            (dist, item, posto, price),
        )


def _example(conn, seq: int):
    uc = make_uc(conn, seq, ponta_kw=300, fora_kw=520)
    put_hours(
        conn,
        uc,
        [
            ("2026-10-06 10:00", 480, 180, 0),
            ("2026-10-06 11:00", 500, 300, 0),
            ("2026-10-06 12:00", 450, 260, 0),
            ("2026-10-06 02:00", 120, 0, 90),
        ],
    )
    _tariffs(conn, uc.distributor_id)
    return uc


@pytest.mark.slow
def test_summary_items_and_amounts(conn):
    uc = _example(conn, 71)
    got = {
        (r["item"], r["posto"]): (r["quantity"], r["price"], r["amount"])
        for r in rules.billing_summary(conn, uc.code, OCT)
    }
    # energy fora ponta 480 + 500 + 450 + 120 = 1550 kWh x 0.30 = 465.00
    assert got[("energy", "fora_ponta")] == (D("1550.000"), D("0.300000"), D("465.00"))
    # measured fora ponta = largest quarter 125 kWh x 4 = 500 kW < contracted 520 -> billed 520 x 20
    assert got[("demand_measured", "fora_ponta")][0] == D("500.000")
    assert got[("demand_billed", "fora_ponta")] == (D("520.000"), D("20.000000"), D("10400.00"))
    # no ponta data: billed = contracted 300 x 50 = 15000.00
    assert got[("demand_billed", "ponta")] == (D("300.000"), D("50.000000"), D("15000.00"))
    assert got[("overrun", "fora_ponta")] == (D("0.000"), D("40.000000"), D("0.00"))  # 2 x 20
    # UFER 82.58 kWh x 0.30 = 24.774 -> 24.77
    assert got[("ufer", "fora_ponta")] == (D("82.58"), D("0.300000"), D("24.77"))
    assert got[("dmcr", "fora_ponta")][0] == D("536.45")
    # DMCR excess 16.45 kW at the demand tariff (no 'dmcr' tariff): 16.45 x 20 = 329.00
    assert got[("dmcr_excess", "fora_ponta")] == (D("16.45"), D("20.000000"), D("329.00"))
    # 16 quarter-hours present of 744 x 4 = 2976: 100 x 16 / 2976 = 0.5376 -> 0.54 %
    assert got[("intervals_present", None)][0] == 16
    assert got[("intervals_expected", None)][0] == 2976
    assert got[("completeness", None)][0] == D("0.54")
    # total 465.00 + 10400.00 + 15000.00 + 24.77 + 329.00 (+ zero items) = 26218.77
    assert got[("total", None)][2] == D("26218.77")


def test_raw_series_without_losses(conn):
    uc = make_uc(conn, 72, loss="0.01")
    put_hours(conn, uc, [("2026-10-06 10:00", 100, 0, 0)])
    raw = {
        r["item"] + str(r["posto"]): r["quantity"]
        for r in rules.billing_summary(conn, uc.code, OCT, with_losses=False)
    }
    adj = {
        r["item"] + str(r["posto"]): r["quantity"]
        for r in rules.billing_summary(conn, uc.code, OCT)
    }
    assert (raw["energyfora_ponta"], adj["energyfora_ponta"]) == (D("100.000"), D("101.000"))
    assert (raw["demand_measuredfora_ponta"], adj["demand_measuredfora_ponta"]) == (
        D("100.000"),
        D("101.000"),
    )  # 25 kWh x 4 and 25.25 x 4


def test_all_ucs_of_a_distributor(conn):
    a = _example(conn, 73)
    b = make_uc(conn, 74)
    put_hours(conn, b, [("2026-10-06 10:00", 100, 0, 0)])
    c = make_uc(conn, 75)  # no data in October: left out
    put_hours(conn, c, [("2026-09-06 10:00", 100, 0, 0)])
    rows = rules.billing_summary_distributor(conn, "991", OCT)
    assert sorted({r["uc_code"] for r in rows}) == sorted([a.code, b.code])
    totals = {r["uc_code"]: r["amount"] for r in rows if r["item"] == "total"}
    assert totals[a.code] == D("26218.77")
    # b: 100 kWh x 0.30 = 30.00; demand billed 520 x 20 + 300 x 50 = 25400.00 -> 25430.00
    assert totals[b.code] == D("25430.00")


# ---------- rounding of loss-adjusted values (more decimals than shown)
#
# A loss factor of 1.234 % gives loss-adjusted energies with 4 or more decimals, so that every
# rounding of the outputs shows in the expected values (one more decimal changes them).


def test_billing_items_of_a_loss_adjusted_overrun(conn):
    # Each item is shown rounded to its own decimals (overrun to 3, UFER and DMCR to 2). One
    # quarter-hour, raw 136.504 kWh, loss 1.234 %: 136.504 x 1.01234 = 136.504 + 1.68445936 =
    # 138.18845936 kWh. Demand 138.18845936 x 4 = 552.75383744 kW > 1.05 x 520 = 546 -> overrun
    # 552.75383744 - 520 = 32.75383744 kW. DMCR (Q = 0): P of the 10:00 hour x 60 / 60 =
    # 138.18845936 kW. Shown: energy 138.188, measured and billed 552.754, overrun 32.754 (3
    # decimals). A second hour, 02:00 (capacitive window), raw P = 400, Q_cap = 420 kWh/kvarh (4 x
    # 100000 and 4 x 105000 Wh): S = sqrt(400^2 + 420^2) = 580; adjusted P = 404.936, S = 580 x
    # 1.01234 = 587.1572, fR.S = 0.92 x 587.1572 = 540.184624 > P -> UFER 540.184624 - 404.936 =
    # 135.248624 -> 135.25, DMCR 540.184624 -> 540.18 (the month's largest). The billable demand is
    # the measured 552.754 > DMCR: no DMCR excess (it is over the billable demand, not over the
    # contracted 520). Its quarter-hours (101.234 kWh x 4 = 404.936 kW) stay below the 10:00 one;
    # energy 138.18845936 + 404.936 = 543.12445936 -> 543.124.
    uc = make_uc(conn, 132, fora_kw=520, loss="0.01234")
    put_intervals(conn, uc, [(local("2026-10-06 10:00"), 136504, 0, 0)])
    put_hours(conn, uc, [("2026-10-06 02:00", 400, 0, 420)])
    items = {
        (r["item"], r["posto"]): r["quantity"] for r in rules.billing_summary(conn, uc.code, OCT)
    }
    assert items[("energy", "fora_ponta")] == D("543.124")
    assert items[("demand_measured", "fora_ponta")] == D("552.754")
    assert items[("demand_billed", "fora_ponta")] == D("552.754")
    assert items[("overrun", "fora_ponta")] == D("32.754")
    assert items[("ufer", "fora_ponta")] == D("135.25")
    # no ponta reading: no ponta energy nor UFER (0, not missing)
    assert (items[("energy", "ponta")], items[("ufer", "ponta")]) == (D("0.000"), D("0.00"))
    assert items[("dmcr", "fora_ponta")] == D("540.18")
    assert items[("dmcr_excess", "fora_ponta")] == D("0.00")


# ---------- the distributor summary's month window and the tariff of each item


def test_distributor_summary_takes_ucs_with_a_reading_inside_the_month(conn):
    # billing_summary_distributor takes the same [month start, next month start) window as
    # require_cycle (test_100_parameters.py::test_month_needs_a_reading_inside_it): of three UCs
    # with one reading each, only the one at 2026-10-01 00:00 is listed.
    ucs = {}
    for seq, start in (
        (141, "2026-10-01 00:00"),
        (142, "2026-11-01 00:00"),
        (143, "2026-09-30 23:45"),
    ):
        ucs[start] = make_uc(conn, seq, aneel="965")
        put_intervals(conn, ucs[start], [(local(start), 5000, 0, 0)])
    rows = rules.billing_summary_distributor(conn, "965", OCT)
    assert {r["uc_code"] for r in rows} == {ucs["2026-10-01 00:00"].code}


def test_tariff_price_picks_its_own_row(conn):
    # tariff_price matches every column (modality, item, posto, period): decoys that differ in one
    # column each are inserted first, so that a lookup missing that column would find them first.
    # The wanted price: azul, energy, fora ponta, valid from 2026-10-01 = 0.25 R$/kWh.
    uc = make_uc(conn, 154, aneel="967")
    for modality, item, posto, valid, price in (
        ("verde", "energy", "fora_ponta", "[2020-01-01,)", 9),  # another modality
        ("azul", "demand", "fora_ponta", "[2020-01-01,)", 8),  # another item
        ("azul", "energy", "ponta", "[2020-01-01,)", 7),  # another posto
        ("azul", "energy", "fora_ponta", "[2020-01-01,2026-10-01)", 5),  # another period
        ("azul", "energy", "fora_ponta", "[2026-10-01,)", "0.25"),
    ):
        conn.execute(
            "insert into smf.tariff (distributor_id, modality, item, posto, valid_during, price)"
            " values (%s, %s, %s, %s, %s, %s)",
            (uc.distributor_id, modality, item, posto, valid, price),
        )
    sql = "select smf.tariff_price(%s, 'azul', 'energy', 'fora_ponta', '2026-10-01')"
    assert scalar(conn, sql, uc.distributor_id) == D("0.25")
    # billed: 4 kWh x 0.25 = 1.00 R$
    put_hours(conn, uc, [("2026-10-06 10:00", 4, 0, 0)])
    items = {(r["item"], r["posto"]): r for r in rules.billing_summary(conn, uc.code, OCT)}
    assert (
        items[("energy", "fora_ponta")]["price"],
        items[("energy", "fora_ponta")]["amount"],
    ) == (
        D("0.25"),
        D("1.00"),
    )


def test_summary_rows_give_each_quantity_its_unit(conn):
    # UC 73 (azul, contracted 300 kW ponta / 520 kW fora ponta, no loss, no tariffs), Tue
    # 2026-10-06: 10:00 local 100 kWh (25 kWh a quarter -> 100 kW), 19:00 (ponta) 40 kWh
    # (10 a quarter -> 40 kW), no reactive energy. Per demand posto: billed = max(measured,
    # contracted) = the contracted 300 / 520 kW; overrun 0 (below 1.05 x contracted); UFER 0;
    # DMCR = P over the hour = 40 / 100 kW, excess 40 - 300 < 0 -> 0. 8 of 744 x 4 = 2976
    # intervals: 100 x 8 / 2976 = 0.2688 -> 0.27 %. The total in R$ (no prices: no amount).
    uc = make_uc(conn, 73)
    put_hours(conn, uc, [("2026-10-06 10:00", 100, 0, 0), ("2026-10-06 19:00", 40, 0, 0)])
    rows = conn.execute(
        "select item, posto, quantity, unit from smf.billing_summary_of(%s, %s)", (uc.id, OCT)
    ).fetchall()
    assert rows == [
        ("energy", "ponta", D(40), "kWh"),
        ("energy", "fora_ponta", D(100), "kWh"),
        ("demand_measured", "ponta", D(40), "kW"),
        ("demand_measured", "fora_ponta", D(100), "kW"),
        ("demand_contracted", "ponta", D(300), "kW"),
        ("demand_contracted", "fora_ponta", D(520), "kW"),
        ("demand_billed", "ponta", D(300), "kW"),
        ("demand_billed", "fora_ponta", D(520), "kW"),
        ("overrun", "ponta", D(0), "kW"),
        ("overrun", "fora_ponta", D(0), "kW"),
        ("ufer", "ponta", D(0), "kWh"),
        ("ufer", "fora_ponta", D(0), "kWh"),
        ("dmcr", "ponta", D(40), "kW"),
        ("dmcr", "fora_ponta", D(100), "kW"),
        ("dmcr_excess", "ponta", D(0), "kW"),
        ("dmcr_excess", "fora_ponta", D(0), "kW"),
        ("intervals_present", None, D(8), "intervals"),
        ("intervals_expected", None, D(2976), "intervals"),
        ("completeness", None, D("0.27"), "%"),
        ("total", None, None, "R$"),
    ]


def test_summary_set_prices_each_uc_of_a_distributor(conn):
    # Two UCs of one distributor (azul, contracted 300 / 520 kW), the tariffs of _tariffs
    # (energy fora ponta 0.30 R$/kWh, demand 50 R$/kW ponta, 20 fora ponta); a date in the middle
    # of the month names the month (2026-10-01).
    # X: 10:00 local 100 kWh, 19:00 (ponta) 40 kWh. Energy ponta 40 kWh (no energy ponta tariff:
    #   no price, no amount), fora ponta 100 x 0.30 = 30.00. Billed demand = max(measured,
    #   contracted) = 300 x 50 = 15000.00 and 520 x 20 = 10400.00. Total (overrun, UFER and DMCR
    #   excess all 0) 30.00 + 15000.00 + 10400.00 = 25430.00 R$.
    # Y: 10:00 local 200 kWh, nothing in ponta: energy ponta 0; fora ponta 200 x 0.30 = 60.00;
    #   billed demand 300 (nothing measured: the contracted) x 50 and 520 (measured 200) x 20;
    #   total 60.00 + 15000.00 + 10400.00 = 25460.00 R$.
    x = make_uc(conn, 74)
    y = make_uc(conn, 75)
    put_hours(conn, x, [("2026-10-06 10:00", 100, 0, 0), ("2026-10-06 19:00", 40, 0, 0)])
    put_hours(conn, y, [("2026-10-06 10:00", 200, 0, 0)])
    _tariffs(conn, x.distributor_id)
    rows = conn.execute(
        "select uc_code, month, item, posto, quantity, unit, price, amount"
        " from smf.billing_summary_set(%s, %s)"
        " where item in ('energy', 'demand_billed', 'total')",
        ([x.id, y.id], date(2026, 10, 20)),
    ).fetchall()
    got = {}
    for code, month, *rest in rows:
        assert month == OCT
        got.setdefault(code, []).append(tuple(rest))
    fifty, twenty, thirty = D(50), D(20), D("0.30")
    assert got == {
        x.code: [
            ("energy", "ponta", D(40), "kWh", None, None),
            ("energy", "fora_ponta", D(100), "kWh", thirty, D("30.00")),
            ("demand_billed", "ponta", D(300), "kW", fifty, D("15000.00")),
            ("demand_billed", "fora_ponta", D(520), "kW", twenty, D("10400.00")),
            ("total", None, None, "R$", None, D("25430.00")),
        ],
        y.code: [
            ("energy", "ponta", D(0), "kWh", None, None),
            ("energy", "fora_ponta", D(200), "kWh", thirty, D("60.00")),
            ("demand_billed", "ponta", D(300), "kW", fifty, D("15000.00")),
            ("demand_billed", "fora_ponta", D(520), "kW", twenty, D("10400.00")),
            ("total", None, None, "R$", None, D("25460.00")),
        ],
    }


def test_a_tariff_readjustment_bills_the_month_at_the_price_then_valid_only(conn):
    # The energy tariff (azul, fora ponta) is readjusted on 2026-10-01: 0.40 R$/kWh before,
    # 0.50 R$/kWh from then on. October's one hour of 4 kWh (2026-10-06 10:00 local, fora ponta)
    # bills one energy row: 4 kWh x 0.50 = 2.00 R$, never a second row at the old price
    # (4 x 0.40 = 1.60 R$); the total is 2.00 R$ (no other item has a price here).
    uc = make_uc(conn, 162, aneel="966")
    for valid, price in (("[2026-01-01,2026-10-01)", "0.40"), ("[2026-10-01,2027-01-01)", "0.50")):
        conn.execute(
            "insert into smf.tariff (distributor_id, modality, item, posto, valid_during, price)"
            " values (%s, 'azul', 'energy', 'fora_ponta', %s, %s)",
            (uc.distributor_id, valid, price),
        )
    put_hours(conn, uc, [("2026-10-06 10:00", 4, 0, 0)])
    rows = rules.billing_summary(conn, uc.code, OCT)
    energy = [
        (r["quantity"], r["price"], r["amount"])
        for r in rows
        if (r["item"], r["posto"]) == ("energy", "fora_ponta")
    ]
    assert energy == [(D("4.000"), D("0.50"), D("2.00"))]
    assert [r["amount"] for r in rows if r["item"] == "total"] == [D("2.00")]
