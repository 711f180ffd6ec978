"""Demand and overrun (db/functions/130_demand.sql over 125_cycle.sql)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from db import rules
from tests.rules.conftest import local, make_uc, put_hours, put_intervals

OCT = date(2026, 10, 1)


def _quarter(start: str, wh: tuple[int, int, int]):
    t = local(start)
    return [(t + timedelta(minutes=5 * k), w, 0, 0) for k, w in enumerate(wh)]


@pytest.mark.slow
def test_azul_demand_per_posto_from_5_minute_data(conn):
    # Ponta quarter 19:00: 10 + 12 + 14 = 36 kWh -> 36 x 4 = 144 kW; contracted 130, limit
    # 130 x 1.05 = 136.5 < 144 -> overrun 144 - 130 = 14 (the whole difference).
    # Fora ponta quarter 10:00: 10 + 10 + 10 = 30 kWh -> 120 kW; contracted 200 -> no overrun.
    uc = make_uc(conn, 41, interval=5, ponta_kw=130, fora_kw=200)
    put_intervals(
        conn,
        uc,
        _quarter("2026-10-06 19:00", (10000, 12000, 14000))
        + _quarter("2026-10-06 10:00", (10000, 10000, 10000)),
    )
    rows = {r["demand_posto"]: r for r in rules.measured_demand(conn, uc.code, OCT)}
    assert rows["ponta"]["measured_kw"] == D("144.000")
    assert rows["ponta"]["measured_at"] == local("2026-10-06 19:00")
    assert rows["ponta"]["limit_kw"] == D("136.500")
    assert rows["ponta"]["overrun_kw"] == D("14.000")
    assert rows["fora_ponta"]["measured_kw"] == D("120.000")
    assert rows["fora_ponta"]["overrun_kw"] == D("0.000")


def test_verde_single_demand_within_tolerance(conn):
    # Verde, contracted 130: max quarter 11 + 11 + 12 = 34 kWh -> 136 kW <= 136.5 -> no overrun,
    # whatever the posto.
    uc = make_uc(conn, 42, interval=5, modality="verde", ponta_kw=None, fora_kw=130)
    put_intervals(
        conn,
        uc,
        _quarter("2026-10-06 19:00", (11000, 11000, 12000))
        + _quarter("2026-10-06 10:00", (5000, 5000, 5000)),
    )
    (row,) = rules.measured_demand(conn, uc.code, OCT)
    assert (row["demand_posto"], row["measured_kw"], row["overrun_kw"]) == (
        "unica",
        D("136.000"),
        D("0.000"),
    )


def test_tolerance_is_a_parameter(conn):
    # With tolerance 0 from October 2026, 136 kW against 130 is an overrun of 6 kW.
    conn.execute(
        "update smf.rule_parameter set valid_during = '[2000-01-01,2026-10-01)'"
        " where key = 'demand_tolerance'"
    )
    conn.execute(
        "insert into smf.rule_parameter values ('demand_tolerance', '[2026-10-01,)', 0,"
        " '1', 'C', 'test')"
    )
    uc = make_uc(conn, 43, interval=5, modality="verde", ponta_kw=None, fora_kw=130)
    put_intervals(conn, uc, _quarter("2026-10-06 19:00", (11000, 11000, 12000)))
    (row,) = rules.measured_demand(conn, uc.code, OCT)
    assert row["overrun_kw"] == D("6.000")


def test_demand_series_with_losses(conn):
    # 15-minute meter, one quarter of 25 kWh: 100 kW raw, 102.5 kW with a 2.5% loss.
    uc = make_uc(conn, 44, loss="0.025")
    put_intervals(conn, uc, [(local("2026-10-06 10:00"), 25000, 0, 0)])
    row = conn.execute(
        "select demand_kw_raw, demand_kw from smf.demand_series(%s, %s, %s)",
        (uc.code, local("2026-10-06 10:00"), local("2026-10-06 10:15")),
    ).fetchone()
    assert row == (D(100), D("102.5"))


# ---------- limits and demands shown to 3 decimals


def test_limits_and_demand_shown_to_three_decimals(conn):
    # The demand limit is shown to 3 decimals: contracted fora ponta 100.001 kW x 1.05 = 105.00105
    # kW -> 105.001. So is musd_check's limit (140_musd.sql): MUSD 100.001 kW (the column keeps 3
    # decimals) x 1.25 x 1 h = 125.00125 kWh -> 125.001 (4 decimals: 125.0013). Measured demand and
    # overrun to 3 decimals too: the quarter of
    # test_160_billing.py::test_billing_items_of_a_loss_adjusted_overrun, 552.75383744 kW -> 552.754
    # against 520 kW: overrun 32.75383744 -> 32.754.
    uc = make_uc(conn, 163, fora_kw=D("100.001"), musd_kw=D("100.001"))
    put_hours(conn, uc, [("2026-10-06 10:00", 1, 0, 0)])
    fp = {r["demand_posto"]: r for r in rules.measured_demand(conn, uc.code, OCT)}["fora_ponta"]
    assert fp["limit_kw"] == D("105.001")
    assert rules.musd_check(conn, uc.code, OCT)["limit_kwh"] == D("125.001")
    uc2 = make_uc(conn, 164, fora_kw=520, loss="0.01234")
    put_intervals(conn, uc2, [(local("2026-10-06 10:00"), 136504, 0, 0)])
    fp2 = {r["demand_posto"]: r for r in rules.measured_demand(conn, uc2.code, OCT)}["fora_ponta"]
    assert (fp2["measured_kw"], fp2["limit_kw"], fp2["overrun_kw"]) == (
        D("552.754"),
        D("546.000"),
        D("32.754"),
    )


def test_demand_series_labels_each_quarter_with_its_demand_posto_and_counts(conn):
    # A 5-minute meter (3 intervals expected a quarter hour), azul. Tue 2026-10-06:
    # 17:45 (fora ponta) intervals of 1, 2, 3 kWh -> 6 kWh x 4 = 24 kW, 3 of 3 present;
    # 18:00 (ponta) one interval of 5 kWh -> 5 x 4 = 20 kW, 1 of 3 present;
    # 18:15 (ponta) no data -> demand null, 0 of 3. No loss: raw = adjusted.
    uc = make_uc(conn, 76, aneel="961", interval=5)
    put_intervals(conn, uc, [*_quarter("2026-10-06 17:45", (1000, 2000, 3000))])
    put_intervals(conn, uc, [(local("2026-10-06 18:00"), 5000, 0, 0)])
    rows = conn.execute(
        "select local_ts, demand_posto, demand_kw_raw, demand_kw, n_present, n_expected"
        " from smf.demand_series(%s, %s, %s)",
        (uc.code, local("2026-10-06 17:45"), local("2026-10-06 18:30")),
    ).fetchall()
    assert [(lt.strftime("%H:%M"), *rest) for lt, *rest in rows] == [
        ("17:45", "fora_ponta", D(24), D(24), 3, 3),
        ("18:00", "ponta", D(20), D(20), 1, 3),
        ("18:15", "ponta", None, None, 0, 3),
    ]
