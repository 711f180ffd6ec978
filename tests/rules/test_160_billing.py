"""Billing-cycle summary (db/functions/160_billing.sql), on the worked example of the notes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from db import rules
from tests.rules.conftest import make_uc, put_hours

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
