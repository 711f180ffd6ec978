"""Rule boundaries of db/functions/1xx_*.sql: a case at, just below and just above every threshold,
with the arithmetic worked out by hand in the comments (issue 13 §1). Each table is small on
purpose: one UC per case, one month (local time, -03:00), values chosen so that the arithmetic is
exact in Wh.

Thresholds covered: MUSD factor x MUSD (140), 1.05 x contracted demand (125/130), fT = fR = 0.92
(125/150), the capacitive window edges and the ponta start and end (110), the tariff and CCEE
calendars (105), month and leap-year edges (100/125/170), a capacitive hour with a loss factor
(120/125/150), the loss-factor voltage threshold (120), two quarter-hours tied for the peak
(125)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from db import driver, errors, rules
from tests.rules.conftest import local, make_uc, put_hours, put_intervals

OCT = date(2026, 10, 1)


def _q(conn, sql: str, *args):
    return conn.execute(sql, args).fetchone()[0]


# ---------- 140 MUSD


@pytest.mark.parametrize(
    ("kwh", "over", "excess"),
    [
        # MUSD 100 kW x factor 1.25 x 1 h = 125.000 kWh; an hour over it is one with kWh > 125.
        ("124.996", False, None),  # 4 x 31249 Wh = 124996 Wh, below
        ("125.000", False, None),  # 4 x 31250 Wh = 125000 Wh, exactly at the limit: accepted
        ("125.004", True, D("0.004")),  # 4 x 31251 Wh, above by 0.004 kWh
    ],
)
def test_musd_limit_at_below_above(conn, kwh, over, excess):
    uc = make_uc(conn, 101, musd_kw=100)
    put_hours(conn, uc, [("2026-10-06 10:00", kwh, 0, 0)])
    hours = rules.musd_check_hours(conn, uc.code, OCT)
    assert [h["excess_kwh"] for h in hours] == ([excess] if over else [])
    v = rules.musd_check(conn, uc.code, OCT)
    assert v["limit_kwh"] == D("125.000")
    assert v["verdict"] == ("rejected" if over else "accepted")


@pytest.mark.parametrize(
    ("raw_kwh", "with_losses", "verdict", "max_kwh"),
    [
        # MUSD 98.4 kW x 1.25 = 123.000 kWh. Loss factor 2.5 %: raw 120 x 1.025 = 123.000 -> at.
        ("120", True, "accepted", D("123.000")),
        # raw 120.004 x 1.025 = 123.0041 -> over by 0.0041
        ("120.004", True, "rejected", D("123.004")),
        # the raw series: 120.004 < 123 -> accepted
        ("120.004", False, "accepted", D("120.004")),
    ],
)
def test_musd_limit_on_the_loss_adjusted_series(conn, raw_kwh, with_losses, verdict, max_kwh):
    uc = make_uc(conn, 102, musd_kw=D("98.4"), loss="0.025")
    put_hours(conn, uc, [("2026-10-06 10:00", raw_kwh, 0, 0)])
    v = rules.musd_check(conn, uc.code, OCT, with_losses=with_losses)
    assert (v["verdict"], v["max_kwh"], v["limit_kwh"]) == (verdict, max_kwh, D("123.000"))


def test_musd_factor_of_one_is_valid(conn):
    # factor 1 (> 0, allowed): limit = 1 x 100 kW x 1 h = 100 kWh; 100.004 kWh is over by 0.004
    uc = make_uc(conn, 103, musd_kw=100)
    put_hours(conn, uc, [("2026-10-06 10:00", "100.004", 0, 0)])
    (h,) = rules.musd_check_hours(conn, uc.code, OCT, factor=D(1))
    assert (h["limit_kwh"], h["excess_kwh"]) == (D("100.000"), D("0.004"))


def test_musd_excess_keeps_the_fourth_decimal_out(conn):
    # with 2.5 % losses, raw 122.0004 kWh is not whole in Wh/4; use raw 122.004:
    # 122.004 x 1.025 = 125.0541 kWh -> reported to 3 decimals: 125.054, excess 0.054
    uc = make_uc(conn, 104, musd_kw=100, loss="0.025")
    put_hours(conn, uc, [("2026-10-06 10:00", "122.004", 0, 0)])
    (h,) = rules.musd_check_hours(conn, uc.code, OCT)
    assert (h["kwh"], h["excess_kwh"]) == (D("125.054"), D("0.054"))


# ---------- 130 demand, 1.05 x contracted


def _quarter(start: str, wh: int) -> list:
    return [(local(start), wh, 0, 0)]


@pytest.mark.parametrize(
    ("wh", "measured", "overrun"),
    [
        # contracted fora ponta 520 kW; limit 520 x 1.05 = 546.000 kW = 136.5 kWh in 15 minutes
        (136499, D("545.996"), D("0.000")),  # 136.499 x 4 = 545.996 kW: below
        (136500, D("546.000"), D("0.000")),  # 136.500 x 4 = 546.000 kW: at the limit, no overrun
        (136501, D("546.004"), D("26.004")),  # above: the whole difference 546.004 - 520
    ],
)
def test_demand_tolerance_at_below_above(conn, wh, measured, overrun):
    uc = make_uc(conn, 111, fora_kw=520)
    put_intervals(conn, uc, _quarter("2026-10-06 10:00", wh))
    rows = {r["demand_posto"]: r for r in rules.measured_demand(conn, uc.code, OCT)}
    fp = rows["fora_ponta"]
    assert (fp["measured_kw"], fp["limit_kw"], fp["overrun_kw"]) == (
        measured,
        D("546.000"),
        overrun,
    )


def test_demand_tolerance_on_ponta(conn):
    # contracted ponta 300 kW; limit 300 x 1.05 = 315 kW = 78.75 kWh / 15 min.
    # 78.751 kWh x 4 = 315.004 kW > 315 -> overrun 315.004 - 300 = 15.004
    uc = make_uc(conn, 112, ponta_kw=300)
    put_intervals(conn, uc, _quarter("2026-10-06 19:00", 78751))
    rows = {r["demand_posto"]: r for r in rules.measured_demand(conn, uc.code, OCT)}
    assert (rows["ponta"]["limit_kw"], rows["ponta"]["overrun_kw"]) == (D("315.000"), D("15.004"))
    assert rows["fora_ponta"]["measured_kw"] is None


@pytest.mark.parametrize(
    ("measured", "contracted", "expected"),
    [
        ("546", "520", "0"),  # 520 x 1.05 = 546: at the limit
        ("546.001", "520", "26.001"),  # above: 546.001 - 520
        ("545.999", "520", "0"),
    ],
)
def test_demand_overrun_function(conn, measured, contracted, expected):
    got = _q(
        conn, "select smf.demand_overrun_kw(%s::numeric, %s::numeric, 0.05)", measured, contracted
    )
    assert got == D(expected)


@pytest.mark.parametrize(
    ("dmcr", "measured", "contracted", "expected"),
    [
        # PAF = max(measured, contracted); excess = DMCR - PAF when positive
        ("519.99", "500", "520", "0"),  # PAF 520: just below
        ("520", "500", "520", "0"),  # at PAF
        ("520.01", "500", "520", "0.01"),  # just above
        ("480", "450", "400", "30"),  # the notes' case: PAF = measured 450, not contracted 400
        ("450", "450", "400", "0"),  # DMCR at the measured demand
        ("450.01", "450", "400", "0.01"),
        ("200", None, "150", "50"),  # no measurement: PAF is the contracted demand
        ("200", "180", None, "20"),  # no contracted demand: PAF is the measured demand
    ],
)
def test_dmcr_excess_is_over_the_billable_demand(conn, dmcr, measured, contracted, expected):
    got = _q(
        conn,
        "select smf.dmcr_excess_kw(%s::numeric, %s::numeric, %s::numeric)",
        dmcr,
        measured,
        contracted,
    )
    assert got == D(expected)


def test_two_quarter_hours_tied_for_the_peak(conn):
    # 10:00 and 14:00 both 50 kWh -> 200 kW; the earlier one is reported.
    uc = make_uc(conn, 113, fora_kw=100)
    put_intervals(
        conn, uc, _quarter("2026-10-06 14:00", 50000) + _quarter("2026-10-06 10:00", 50000)
    )
    fp = {r["demand_posto"]: r for r in rules.measured_demand(conn, uc.code, OCT)}["fora_ponta"]
    assert (fp["measured_kw"], fp["measured_at"]) == (D("200.000"), local("2026-10-06 10:00"))


def test_demand_of_a_5_minute_quarter_with_losses(conn):
    # 5-minute data 10:00, 10:05, 10:10: 40 + 40 + 40.001 = 120.001 kWh raw; with 5 % losses:
    # 126.00105 kWh -> x 4 = 504.0042 kW (3 decimals: 504.004); contracted 480: limit 504.000 ->
    # overrun 504.0042 - 480 = 24.004. The raw series: 480.004 kW < 504 -> no overrun.
    uc = make_uc(conn, 114, interval=5, fora_kw=480, loss="0.05")
    t = local("2026-10-06 10:00")
    put_intervals(
        conn,
        uc,
        [
            (t, 40000, 0, 0),
            (t + timedelta(minutes=5), 40000, 0, 0),
            (t + timedelta(minutes=10), 40001, 0, 0),
        ],
    )
    adj = {r["demand_posto"]: r for r in rules.measured_demand(conn, uc.code, OCT)}["fora_ponta"]
    assert (adj["measured_kw"], adj["overrun_kw"]) == (D("504.004"), D("24.004"))
    raw = {
        r["demand_posto"]: r for r in rules.measured_demand(conn, uc.code, OCT, with_losses=False)
    }["fora_ponta"]
    assert (raw["measured_kw"], raw["overrun_kw"]) == (D("480.004"), D("0.000"))


# ---------- 150 fT = fR = 0.92


@pytest.mark.parametrize(
    ("q", "ufer", "dmcr"),
    [
        # P = 920 kWh. fT = 0.92 exactly would need Q = 920 x sqrt(1/0.92^2 - 1) = 391.918... kvarh
        # (irrational), so the cases straddle it:
        # Q = 391.8: S = sqrt(846400 + 153507.24) = 999.95362, fT = 0.92004 >= 0.92 -> UFER 0,
        #            DMCR = P = 920
        ("391.8", D("0.000"), D("920.000")),
        # Q = 391.92: S = sqrt(846400 + 153601.2864) = 1000.00064, fT = 0.9199994 < 0.92 ->
        #            UFER = 0.92 S - P = 920.00059 - 920 = 0.00059 -> 0.001; DMCR 920.001
        ("391.92", D("0.001"), D("920.001")),
        # Q = 392: S = sqrt(846400 + 153664) = sqrt(1000064) = 1000.031999, 0.92 S = 920.029440
        #            -> UFER 0.029, DMCR 920.029
        ("392", D("0.029"), D("920.029")),
    ],
)
def test_power_factor_threshold(conn, q, ufer, dmcr):
    uc = make_uc(conn, 121)
    put_hours(conn, uc, [("2026-10-06 10:00", 920, q, 0)])
    (row,) = rules.ufer_dmcr_hourly(conn, uc.code, OCT)
    assert (row["ufer_kwh"], row["dmcr_kw"]) == (ufer, dmcr)


def test_power_factor_exactly_one_and_zero_reactive(conn):
    # Q = 0: S = P = 100, fT = 1 -> UFER 0, DMCR = P = 100 (not 0.92 x 100 = 92)
    uc = make_uc(conn, 122)
    put_hours(conn, uc, [("2026-10-06 10:00", 100, 0, 0)])
    (row,) = rules.ufer_dmcr_hourly(conn, uc.code, OCT)
    assert (row["power_factor"], row["ufer_kwh"], row["dmcr_kw"], row["p_zero"]) == (
        D("1.0000"),
        D("0.000"),
        D("100.000"),
        False,
    )


def test_capacitive_hour_with_a_loss_factor(conn):
    # 02:00 lies in the capacitive window (00:00-06:00): only capacitive reactive counts.
    # Raw P = 400 kWh, Q_cap = 300 kvarh (Q_ind = 100 is ignored); loss factor 2.5 %:
    # P = 410, Q = 307.5, S = 1.025 x 500 = 512.5; 0.92 S = 471.5 > 410 -> UFER 61.5, DMCR 471.5.
    # Raw: S = 500, 0.92 S = 460 -> UFER 60, DMCR 460.
    uc = make_uc(conn, 123, loss="0.025", fora_kw=450)
    put_hours(conn, uc, [("2026-10-06 02:00", 400, 100, 300)])
    (adj,) = rules.ufer_dmcr_hourly(conn, uc.code, OCT)
    assert adj["reactive_window"] == "capacitive"
    assert (adj["p_kwh"], adj["q_kvarh"], adj["s_kvah"]) == (
        D("410.000"),
        D("307.500"),
        D("512.500"),
    )
    assert (adj["ufer_kwh"], adj["dmcr_kw"]) == (D("61.500"), D("471.500"))
    (raw,) = rules.ufer_dmcr_hourly(conn, uc.code, OCT, with_losses=False)
    assert (raw["q_kvarh"], raw["ufer_kwh"], raw["dmcr_kw"]) == (
        D("300.000"),
        D("60.000"),
        D("460.000"),
    )
    fp = {r["posto"]: r for r in rules.ufer_dmcr(conn, uc.code, OCT)}["fora_ponta"]
    # excess = 471.5 - 450 = 21.5
    assert (fp["ufer_kwh"], fp["dmcr_excess_kw"]) == (D("61.50"), D("21.50"))


def test_dmcr_tie_reports_the_earlier_hour(conn):
    # two hours with P = 100, Q = 0 -> DMCR 100 at 09:00 and at 15:00; the earlier is reported
    uc = make_uc(conn, 124)
    put_hours(conn, uc, [("2026-10-06 15:00", 100, 0, 0), ("2026-10-06 09:00", 100, 0, 0)])
    fp = {r["posto"]: r for r in rules.ufer_dmcr(conn, uc.code, OCT)}["fora_ponta"]
    assert (fp["dmcr_kw"], fp["dmcr_at"]) == (D("100.00"), local("2026-10-06 09:00"))


# ---------- 110 window and ponta edges


@pytest.mark.parametrize(
    ("when", "posto", "window"),
    [
        # ponta 18:00-21:00 (180 min), capacitive window 00:00-06:00 (360 min), Tuesday 2026-10-06
        ("2026-10-06 17:45", "fora_ponta", "inductive"),  # just before ponta
        ("2026-10-06 18:00", "ponta", "inductive"),  # ponta start
        ("2026-10-06 20:45", "ponta", "inductive"),  # last ponta slot: 18:00 + 180 - 15
        ("2026-10-06 21:00", "fora_ponta", "inductive"),  # ponta end is exclusive
        ("2026-10-06 23:45", "fora_ponta", "inductive"),  # before the window
        ("2026-10-07 00:00", "fora_ponta", "capacitive"),  # window start
        ("2026-10-07 05:45", "fora_ponta", "capacitive"),  # last window slot: 00:00 + 360 - 15
        ("2026-10-07 06:00", "fora_ponta", "inductive"),  # window end is exclusive
    ],
)
def test_ponta_and_window_edges(conn, when, posto, window):
    uc = make_uc(conn, 131)
    got = rules.posto_at(conn, uc.code, local(when))
    assert (got["posto"], got["reactive_window"]) == (posto, window)


@pytest.mark.parametrize(
    ("when", "window", "reservado"),
    [
        # window from 23:30: 23:15 inductive, 23:30 capacitive, 05:15 capacitive, 05:30 inductive.
        # reservado 21:30 for 510 min -> 21:30 .. 06:00 (21:30 + 8 h 30): 21:15 no, 21:30 yes,
        # 05:45 yes, 06:00 no.
        ("2026-10-06 23:15", "inductive", True),
        ("2026-10-06 23:30", "capacitive", True),
        ("2026-10-07 05:15", "capacitive", True),
        ("2026-10-07 05:30", "inductive", True),
        ("2026-10-06 21:15", "inductive", False),
        ("2026-10-06 21:30", "inductive", True),
        ("2026-10-07 05:45", "inductive", True),
        ("2026-10-07 06:00", "inductive", False),
    ],
)
def test_window_from_2330_and_reservado_edges(conn, when, window, reservado):
    uc = make_uc(conn, 132, aneel="993", capacitive="23:30", reservado=("21:30", 510))
    got = rules.posto_at(conn, uc.code, local(when))
    assert (got["reactive_window"], got["reservado"]) == (window, reservado)


@pytest.mark.parametrize(
    ("ponta", "ok"),
    [
        ("21:00", True),  # 21:00 + 180 min = 24:00 = 1440 min: ends exactly at midnight
        ("21:15", False),  # 21:15 + 180 = 1455 > 1440
        ("00:00", True),
    ],
)
def test_ponta_must_end_within_the_day(conn, ponta, ok):
    from tests.rules.conftest import distributor

    if ok:
        distributor(conn, "996", ponta=ponta)
    else:
        with (
            pytest.raises(errors.InvalidParameter, match="ponta must be 180 consecutive minutes"),
            driver.translate_errors(),
        ):
            distributor(conn, "996", ponta=ponta)


@pytest.mark.parametrize(
    ("capacitive", "ok"),
    [
        # the span is 23:30 (-30 min) .. 06:30 (390 min); the window lasts 360 min
        ("23:30", True),  # -30 .. 330
        ("23:15", False),  # -45 < -30
        ("00:30", True),  # 30 .. 390: ends exactly at the span end
        ("00:45", False),  # 45 .. 405 > 390
    ],
)
def test_capacitive_window_span_edges(conn, capacitive, ok):
    from tests.rules.conftest import distributor

    if ok:
        distributor(conn, "997", capacitive=capacitive)
    else:
        with (
            pytest.raises(errors.InvalidParameter, match="capacitive window"),
            driver.translate_errors(),
        ):
            distributor(conn, "997", capacitive=capacitive)


@pytest.mark.parametrize(
    ("minutes", "ok"),
    [(15, True), (0, False), (1425, True), (1440, False), (20, False)],
)
def test_reservado_length_edges(conn, minutes, ok):
    # reservado must be a positive multiple of 15 below 24 h (1440 min)
    from tests.rules.conftest import distributor

    if ok:
        distributor(conn, "998", reservado=("21:30", minutes))
    else:
        with (
            pytest.raises(errors.InvalidParameter, match="reservado window"),
            driver.translate_errors(),
        ):
            distributor(conn, "998", reservado=("21:30", minutes))


@pytest.mark.parametrize(
    ("ponta", "inter", "ok"),
    [
        # intermediario of 60 min around ponta: needs ponta start - 60 >= 0 and end + 60 <= 1440
        ("01:00", 60, True),  # 01:00 - 60 = 00:00
        ("00:45", 60, False),  # 45 - 60 < 0
        ("20:00", 60, True),  # 20:00 + 180 + 60 = 1440
        ("20:15", 60, False),  # 1215 + 240 = 1455 > 1440
    ],
)
def test_intermediario_must_fit_the_day(conn, ponta, inter, ok):
    from tests.rules.conftest import distributor

    if ok:
        distributor(conn, "999", ponta=ponta, intermediario=inter)
    else:
        with (
            pytest.raises(errors.InvalidParameter, match="intermediario"),
            driver.translate_errors(),
        ):
            distributor(conn, "999", ponta=ponta, intermediario=inter)


# ---------- 105 calendars


@pytest.mark.parametrize(
    ("day", "ccee", "tariff"),
    [
        (date(2026, 2, 13), True, True),  # Friday
        (date(2026, 2, 14), False, False),  # Saturday
        (date(2026, 2, 16), False, True),  # Carnival Monday: a CCEE holiday, not a tariff one
        (date(2026, 2, 17), False, False),  # Carnival Tuesday: holiday on both
        (date(2024, 2, 12), False, True),  # Carnival Monday 2024 = Easter (31 Mar) - 48
        (date(2024, 2, 29), True, True),  # leap day, a Thursday
    ],
)
def test_business_day_on_each_calendar(conn, day, ccee, tariff):
    assert rules.is_business_day(conn, day, "ccee") is ccee
    assert rules.is_business_day(conn, day, "tariff") is tariff


@pytest.mark.parametrize(
    ("day", "n", "purpose", "expected"),
    [
        # from Friday 13 Feb 2026, +1: Sat 14, Sun 15 are weekend; Mon 16 is a tariff business day
        (date(2026, 2, 13), 1, "tariff", date(2026, 2, 16)),
        # ... but a CCEE holiday, as is Tue 17 on both: the next CCEE business day is Wed 18
        (date(2026, 2, 13), 1, "ccee", date(2026, 2, 18)),
        (date(2026, 2, 13), 2, "tariff", date(2026, 2, 18)),
        # backwards from Wed 18: tariff Mon 16, CCEE Fri 13
        (date(2026, 2, 18), -1, "tariff", date(2026, 2, 16)),
        (date(2026, 2, 18), -1, "ccee", date(2026, 2, 13)),
        (date(2026, 2, 18), 0, "ccee", date(2026, 2, 18)),
        # across a month and a leap day: Wed 28 Feb 2024 + 1 = Thu 29 Feb; + 2 = Fri 1 Mar
        (date(2024, 2, 28), 1, "ccee", date(2024, 2, 29)),
        (date(2024, 2, 28), 2, "ccee", date(2024, 3, 1)),
    ],
)
def test_business_days_on_each_calendar(conn, day, n, purpose, expected):
    assert rules.add_business_days(conn, day, n, purpose) == expected


def test_ponta_on_a_ccee_only_holiday(conn):
    # Carnival Monday 2026-02-16 is not a tariff holiday: 19:00 is ponta; Tuesday 17 is: fora ponta
    uc = make_uc(conn, 141)
    assert rules.posto_at(conn, uc.code, local("2026-02-16 19:00"))["posto"] == "ponta"
    assert rules.posto_at(conn, uc.code, local("2026-02-17 19:00"))["posto"] == "fora_ponta"


@pytest.mark.parametrize(
    ("month", "n", "expected"),
    [
        # Feb 2026 CCEE business days: 2-6 (1..5), 9-13 (6..10), [16, 17 Carnival], 18 (11th)
        (date(2026, 2, 1), 1, date(2026, 2, 2)),
        (date(2026, 2, 1), 10, date(2026, 2, 13)),
        (date(2026, 2, 1), 11, date(2026, 2, 18)),
    ],
)
def test_m_du_across_carnival(conn, month, n, expected):
    assert _q(conn, "select smf.m_du(%s, %s)", month, n) == expected


def test_ms_du_counts_from_the_next_month(conn):
    # MS+1du of January 2026 = the 1st CCEE business day of February = Mon 2 Feb
    assert _q(conn, "select smf.ms_du('2026-01-15', 1)") == date(2026, 2, 2)


@pytest.mark.parametrize(
    ("year", "easter"),
    [
        (2038, date(2038, 4, 25)),  # the latest possible Easter
        (2285, date(2285, 3, 22)),  # the earliest possible
        (2024, date(2024, 3, 31)),
        (2100, date(2100, 3, 28)),
    ],
)
def test_easter_extremes(conn, year, easter):
    assert _q(conn, "select smf.easter_sunday(%s)", year) == easter


# ---------- month and leap-year edges


@pytest.mark.parametrize(
    ("month", "hours"),
    [
        (date(2024, 2, 10), 696),  # 29 x 24
        (date(2025, 2, 1), 672),  # 28 x 24
        (date(2026, 10, 31), 744),  # 31 x 24
        (date(2026, 11, 1), 720),  # 30 x 24
    ],
)
def test_local_month_hours(conn, month, hours):
    assert _q(conn, "select smf.local_month_hours(%s)", month) == hours


def test_month_edges_of_the_cycle(conn):
    # Readings at 2026-09-30 23:45, 2026-10-01 00:00, 2026-10-31 23:45, 2026-11-01 00:00 (local):
    # October holds the middle two only: 10 + 20 = 30 kWh (2026-10-01 00:00 local = 03:00 UTC).
    uc = make_uc(conn, 151)
    put_intervals(
        conn,
        uc,
        [
            (local("2026-09-30 23:45"), 5000, 0, 0),
            (local("2026-10-01 00:00"), 10000, 0, 0),
            (local("2026-10-31 23:45"), 20000, 0, 0),
            (local("2026-11-01 00:00"), 40000, 0, 0),
        ],
    )
    rows = rules.billing_summary(conn, uc.code, OCT)
    energy = {r["posto"]: r["quantity"] for r in rows if r["item"] == "energy"}
    assert energy["fora_ponta"] == D("30.000")
    # demand: max quarter 20 kWh x 4 = 80 kW at 2026-10-31 23:45
    fp = {r["demand_posto"]: r for r in rules.measured_demand(conn, uc.code, OCT)}["fora_ponta"]
    assert (fp["measured_kw"], fp["measured_at"]) == (D("80.000"), local("2026-10-31 23:45"))
    # 2024: the expected intervals of a leap February = 29 x 96 = 2784
    put_intervals(conn, uc, [(local("2024-02-29 12:00"), 1000, 0, 0)])
    feb = {r["item"]: r["quantity"] for r in rules.billing_summary(conn, uc.code, date(2024, 2, 1))}
    assert (feb["intervals_present"], feb["intervals_expected"]) == (1, 2784)


@pytest.mark.parametrize(
    ("year", "annual", "feb"),
    [
        # flat seasonalization Q_feb = A x h_feb / H: 2024: 8784 MWh x 696 / 8784 = 696 MWh
        (2024, 8784, D(696)),
        # 2025: 8760 x 672 / 8760 = 672
        (2025, 8760, D(672)),
    ],
)
def test_flat_seasonalization_in_leap_and_common_years(conn, year, annual, feb):
    conn.execute(
        "insert into smf.energy_contract (code, kind, seller, buyer_agent, submarket, valid_during,"
        " annual_mwh, modulation)"
        " values ('L1', 'bilateral', 'S', 'AGENT', 'SE/CO', %s, %s, 'flat')",
        (f"[{year}-01-01,{year + 1}-01-01)", annual),
    )
    rows = conn.execute(
        "select month, hours, mwh, method from smf.contract_seasonalization('L1', %s)", (year,)
    ).fetchall()
    assert rows[1][1] == feb and rows[1][3] == "flat"
    assert rows[1][2] == feb
    assert sum(r[2] for r in rows) == annual  # the 12 months add up to the annual volume


# ---------- 120 loss factor default


@pytest.mark.parametrize(
    ("kv", "factor"),
    [
        ("43.999", D("0.025")),
        ("44", D("0.025")),  # up to and including 44 kV: 2.5 %
        ("44.001", D("0.01")),  # above: 1 %
    ],
)
def test_loss_factor_threshold(conn, kv, factor):
    uc = make_uc(conn, 161, voltage_kv=D(kv))
    assert _q(conn, "select smf.transformer_loss_default(%s, '2026-10-01')", uc.code) == factor


# ---------- the rules' quieter edges: missing channels, empty hours, the single demand,
# completeness, month windows, rounding and row order


def test_missing_reactive_channel_counts_as_zero(conn):
    # A meter without reactive channels: Q is null in every slot and counts as 0:
    # P = 4 x 25 = 100 kWh, S = 100, fT = 1 -> UFER 0, DMCR = P = 100
    uc = make_uc(conn, 171)
    t = local("2026-10-06 10:00")
    put_intervals(conn, uc, [(t + timedelta(minutes=15 * k), 25000, None, None) for k in range(4)])
    (row,) = rules.ufer_dmcr_hourly(conn, uc.code, OCT)
    assert (row["q_kvarh"], row["s_kvah"], row["power_factor"]) == (
        D("0.000"),
        D("100.000"),
        D("1.0000"),
    )
    assert (row["ufer_kwh"], row["dmcr_kw"]) == (D("0.000"), D("100.000"))


def test_hour_without_any_energy(conn):
    # P = 0 and Q = 0: S = 0, fT undefined (null, no division by zero), UFER 0, DMCR 0, not flagged
    uc = make_uc(conn, 172)
    put_hours(conn, uc, [("2026-10-06 10:00", 0, 0, 0)])
    (row,) = rules.ufer_dmcr_hourly(conn, uc.code, OCT)
    assert (row["power_factor"], row["ufer_kwh"], row["dmcr_kw"], row["p_zero"]) == (
        None,
        D("0.000"),
        D("0.000"),
        False,
    )


def test_single_demand_dmcr_hour(conn):
    # Verde: 09:00 P = 100, 15:00 P = 200 (Q = 0): the single demand's DMCR is 200 kW at 15:00
    uc = make_uc(conn, 173, modality="verde", ponta_kw=None, fora_kw=150)
    put_hours(conn, uc, [("2026-10-06 09:00", 100, 0, 0), ("2026-10-06 15:00", 200, 0, 0)])
    unica = {r["posto"]: r for r in rules.ufer_dmcr(conn, uc.code, OCT)}["unica"]
    assert (unica["dmcr_kw"], unica["dmcr_at"]) == (D("200.00"), local("2026-10-06 15:00"))
    # measured demand 200 kW (the 15:00 hour evenly: 50 kWh a quarter) is above the contracted
    # 150 kW, so the billable demand is 200 and the DMCR of 200 kW is no excess
    assert unica["dmcr_excess_kw"] == D("0.00")


def test_completeness_percentage(conn):
    # 8 intervals of 744 h x 4 = 2976: 100 x 8 / 2976 = 0.26881... -> 0.27 %
    uc = make_uc(conn, 174)
    put_hours(conn, uc, [("2026-10-06 10:00", 4, 0, 0), ("2026-10-06 11:00", 4, 0, 0)])
    items = {r["item"]: r["quantity"] for r in rules.billing_summary(conn, uc.code, OCT)}
    assert (items["intervals_present"], items["intervals_expected"]) == (8, 2976)
    assert items["completeness"] == D("0.27")


def test_distributor_summary_leaves_out_ucs_without_data_in_the_month(conn):
    # a: data in October (in); b: only 2026-11-01 00:00 local, the first instant after October (out)
    a = make_uc(conn, 175)
    put_hours(conn, a, [("2026-10-31 23:00", 4, 0, 0)])
    b = make_uc(conn, 176)
    put_hours(conn, b, [("2026-11-01 00:00", 4, 0, 0)])
    rows = rules.billing_summary_distributor(conn, "991", OCT)
    assert {r["uc_code"] for r in rows} == {a.code}


def test_exposure_without_contracts(conn):
    # no contract: contracted 0 in every hour; 10:00 consumption 1000 kWh = 1 MWh -> exposure -1
    uc = make_uc(conn, 177)
    put_hours(conn, uc, [("2026-10-06 10:00", 1000, 0, 0)])
    hours = rules.exposure_hourly(conn, uc.code, OCT)
    assert len(hours) == 744
    assert {h["contracted_mwh"] for h in hours} == {D(0)}
    ten = next(h for h in hours if h["local_hour"].hour == 10 and h["local_hour"].day == 6)
    assert (ten["consumption_mwh"], ten["exposure_mwh"]) == (D(1), D(-1))


def test_lastro_mean_pld_window_and_rounding(conn):
    # Window Nov 2025 .. Oct 2026. PLD 100 and 100.01 inside; 999 at 2026-11-01 00:00 local, the
    # first hour after the window (left out). Mean = (100 + 100.01) / 2 = 100.005 -> 100.01 shown;
    # price = max(VR 0, 100.005) = 100.005. Consumption 1 MWh, no contract -> shortfall 1,
    # penalty 1 x 100.005 = 100.005 -> 100.01 (half away from zero); a twelfth: 8.33375 -> 8.33.
    uc = make_uc(conn, 178)
    put_hours(conn, uc, [("2026-10-06 10:00", 1000, 0, 0)])
    for when, price in (
        ("2026-10-06 10:00", "100"),
        ("2026-10-06 11:00", "100.01"),
        ("2026-11-01 00:00", "999"),
    ):
        conn.execute("insert into smf.pld values ('SE/CO', %s, %s)", (local(when), price))
    lp = rules.lastro_penalty(conn, uc.code, OCT)
    assert (lp["shortfall_mwh"], lp["mean_pld"], lp["price"]) == (
        D("1.000000"),
        D("100.01"),
        D("100.005"),
    )
    assert (lp["penalty_brl"], lp["penalty_month_brl"]) == (D("100.01"), D("8.33"))


def test_completeness_of_half_a_month(conn):
    # 1488 of 2976 intervals: 100 x 1488 / 2976 = 50.00 % exactly (a 0.1 % error would show)
    uc = make_uc(conn, 179)
    t = local("2026-10-01 00:00")
    put_intervals(conn, uc, [(t + timedelta(minutes=15 * k), 1000, 0, 0) for k in range(1488)])
    items = {r["item"]: r["quantity"] for r in rules.billing_summary(conn, uc.code, OCT)}
    assert items["completeness"] == D("50.00")


def test_billing_items_in_order(conn):
    uc = make_uc(conn, 180)
    put_hours(conn, uc, [("2026-10-06 10:00", 4, 0, 0)])
    got = [(r["item"], r["posto"]) for r in rules.billing_summary(conn, uc.code, OCT)]
    per_demand = [("ponta",), ("fora_ponta",)]
    assert got == [
        ("energy", "ponta"),
        ("energy", "fora_ponta"),
        *[("demand_measured", p) for (p,) in per_demand],
        *[("demand_contracted", p) for (p,) in per_demand],
        *[("demand_billed", p) for (p,) in per_demand],
        *[("overrun", p) for (p,) in per_demand],
        ("ufer", "ponta"),
        ("ufer", "fora_ponta"),
        *[("dmcr", p) for (p,) in per_demand],
        *[("dmcr_excess", p) for (p,) in per_demand],
        ("intervals_present", None),
        ("intervals_expected", None),
        ("completeness", None),
        ("total", None),
    ]


def test_demand_billed_keeps_three_decimals(conn):
    # raw 150.001 kWh in one quarter x 4 = 600.004 kW; 2.5 % losses: 615.0041 kW measured ->
    # billed max(615.0041, 520) shown to 3 decimals: 615.004
    uc = make_uc(conn, 181, loss="0.025")
    put_intervals(conn, uc, _quarter("2026-10-06 10:00", 150001))
    items = {
        (r["item"], r["posto"]): r["quantity"] for r in rules.billing_summary(conn, uc.code, OCT)
    }
    assert items[("demand_billed", "fora_ponta")] == D("615.004")
    assert str(items[("demand_billed", "fora_ponta")]) == "615.004"


def test_musd_ignores_the_next_month(conn):
    # October has one hour of 100 kWh; 2026-11-01 00:00 local has 500 kWh (over 125): October is
    # accepted with 1 hour of data
    uc = make_uc(conn, 182, musd_kw=100)
    put_hours(conn, uc, [("2026-10-06 10:00", 100, 0, 0), ("2026-11-01 00:00", 500, 0, 0)])
    v = rules.musd_check(conn, uc.code, OCT)
    assert (v["verdict"], v["hours_with_data"], v["max_kwh"]) == ("accepted", 1, D("100.000"))


def test_musd_limit_shown_to_three_decimals(conn):
    # MUSD 100.0003 kW is kept as 100.000 (musd_kw numeric(12,3)): 100.000 x 1.25 = 125.000 kWh;
    # the hour 125.004 is over by 0.004
    uc = make_uc(conn, 183, musd_kw=D("100.0003"))
    put_hours(conn, uc, [("2026-10-06 10:00", "125.004", 0, 0)])
    (h,) = rules.musd_check_hours(conn, uc.code, OCT)
    assert (str(h["limit_kwh"]), str(h["excess_kwh"])) == ("125.000", "0.004")


def test_declared_hour_volume_of_the_next_month_does_not_count(conn):
    # a declared hour volume at 2026-11-01 00:00 local only: October stays flat (744 MWh / 744 h)
    conn.execute(
        "insert into smf.energy_contract (code, kind, seller, buyer_agent, submarket, valid_during,"
        " annual_mwh, modulation) values ('H1', 'bilateral', 'S', 'AGENT', 'SE/CO',"
        " '[2026-01-01,2027-01-01)', 8760, 'flat')"
    )
    conn.execute(
        "insert into smf.contract_hour_volume select id, %s, 5 from smf.energy_contract"
        " where code = 'H1'",
        (local("2026-11-01 00:00"),),
    )
    rows = conn.execute("select mwh, method from smf.contract_modulation('H1', '2026-10-01')")
    got = rows.fetchall()
    # 8760 MWh x 744 / 8760 = 744 MWh in October, flat: 1 MWh per hour
    assert len(got) == 744 and {r[1] for r in got} == {"flat"} and {r[0] for r in got} == {1}


def test_exposure_value_rounded_to_cents(conn):
    # consumption 1000.5 kWh = 1.0005 MWh, no contract, PLD 33: value = -1.0005 x 33 = -33.0165
    # -> -33.02
    uc = make_uc(conn, 184)
    put_hours(conn, uc, [("2026-10-06 10:00", "1000.5", 0, 0)])
    conn.execute("insert into smf.pld values ('SE/CO', %s, 33)", (local("2026-10-06 10:00"),))
    ten = next(h for h in rules.exposure_hourly(conn, uc.code, OCT) if h["pld"] is not None)
    assert str(ten["value_brl"]) == "-33.02"


def test_lastro_window_edges_and_monthly_contracts(conn):
    # PLD 999 at 2025-10-31 23:00 local, the last hour before the window (out), 100 inside.
    # Contract months Sep and Oct 2026 declared 0.25 MWh each: contracts 0.5 MWh (both counted).
    # Consumption 1 MWh -> shortfall 0.5 x 100 = 50.00.
    uc = make_uc(conn, 185)
    put_hours(conn, uc, [("2026-10-06 10:00", 1000, 0, 0)])
    for when, price in (("2025-10-31 23:00", "999"), ("2026-10-06 10:00", "100")):
        conn.execute("insert into smf.pld values ('SE/CO', %s, %s)", (local(when), price))
    cid = conn.execute(
        "insert into smf.energy_contract (code, kind, seller, buyer_uc_id, submarket, valid_during,"
        " modulation) values ('W1', 'bilateral', 'S', %s, 'SE/CO', '[2025-01-01,2027-01-01)',"
        " 'flat') returning id",
        (uc.id,),
    ).fetchone()[0]
    for month in ("2026-09-01", "2026-10-01"):
        conn.execute("insert into smf.contract_month_volume values (%s, %s, 0.25)", (cid, month))
    lp = rules.lastro_penalty(conn, uc.code, OCT)
    assert (lp["contracted_mwh"], lp["shortfall_mwh"], lp["mean_pld"]) == (
        D("0.500000"),
        D("0.500000"),
        D("100.00"),
    )
    assert lp["penalty_brl"] == D("50.00")


def test_interval_energy_without_losses_equals_raw(conn):
    # no transformer-loss period: factor 0, adjusted = raw for every channel (1.5 kWh, 0.75 kvarh)
    uc = make_uc(conn, 186)
    put_intervals(conn, uc, [(local("2026-10-06 10:00"), 1500, 750, 250)])
    row = conn.execute(
        "select loss_factor, p_kwh_raw, p_kwh, q_ind_kvarh_raw, q_ind_kvarh, q_cap_kvarh_raw,"
        " q_cap_kvarh from smf.uc_interval_energy(%s, %s, %s)",
        (uc.code, local("2026-10-06 00:00"), local("2026-10-07 00:00")),
    ).fetchone()
    assert row == (0, D("1.5"), D("1.5"), D("0.75"), D("0.75"), D("0.25"), D("0.25"))


def test_intermediario_message_names_the_ponta_start(conn):
    from tests.rules.conftest import distributor

    with (
        pytest.raises(
            errors.InvalidParameter,
            match=r"intermediario of 60 minutes around ponta 20:15 does not fit the day",
        ),
        driver.translate_errors(),
    ):
        distributor(conn, "999", ponta="20:15", intermediario=60)


@pytest.mark.parametrize(
    ("day", "factor"),
    [
        (date(2026, 10, 9), D(0)),  # before the period [2026-10-10, 2026-10-20)
        (date(2026, 10, 10), D("0.02")),  # first day
        (date(2026, 10, 19), D("0.02")),  # last day
        (date(2026, 10, 20), D(0)),  # the upper bound is exclusive
    ],
)
def test_loss_period_edges(conn, day, factor):
    uc = make_uc(conn, 187)
    conn.execute(
        "insert into smf.transformer_loss values (%s, '[2026-10-10,2026-10-20)', 0.02)", (uc.id,)
    )
    assert _q(conn, "select smf.transformer_loss_factor(%s, %s)", uc.code, day) == factor


def test_loss_factor_follows_the_local_day_not_the_utc_one(conn):
    # loss 2 % on local days 10..19 October. 2026-10-19 22:00 local is 2026-10-20 01:00 UTC: it
    # belongs to local day 19 -> 100 kWh x 1.02 = 102; 2026-10-20 00:00 local (03:00 UTC) has no
    # loss -> 100. 2026-10-09 23:00 local (10-10 02:00 UTC) is day 9 -> 100.
    uc = make_uc(conn, 188)
    conn.execute(
        "insert into smf.transformer_loss values (%s, '[2026-10-10,2026-10-20)', 0.02)", (uc.id,)
    )
    put_hours(
        conn,
        uc,
        [
            ("2026-10-09 23:00", 100, 0, 0),
            ("2026-10-19 22:00", 100, 0, 0),
            ("2026-10-20 00:00", 100, 0, 0),
        ],
    )
    rows = conn.execute(
        "select local_hour, p_kwh_raw, p_kwh from smf.uc_hourly_energy(%s, %s, %s)"
        " where p_kwh_raw is not null order by 1",
        (uc.code, local("2026-10-01 00:00"), local("2026-11-01 00:00")),
    ).fetchall()
    assert [(r[0].day, r[0].hour, r[2]) for r in rows] == [
        (9, 23, D("100.000")),
        (19, 22, D("102.000")),
        (20, 0, D("100.000")),
    ]


def test_tariff_price_validity_edges(conn):
    # energy fora ponta 0.30 R$/kWh valid [2026-10-01, 2026-11-01): on 09-30 none, 10-01 and 10-31
    # 0.30, 11-01 none
    dist = make_uc(conn, 189).distributor_id
    conn.execute(
        "insert into smf.tariff (distributor_id, modality, item, posto, valid_during, price)"
        " values (%s, 'azul', 'energy', 'fora_ponta', '[2026-10-01,2026-11-01)', 0.30)",
        (dist,),
    )
    got = [
        _q(conn, "select smf.tariff_price(%s, 'azul', 'energy', 'fora_ponta', %s)", dist, d)
        for d in (date(2026, 9, 30), date(2026, 10, 1), date(2026, 10, 31), date(2026, 11, 1))
    ]
    assert got == [None, D("0.30"), D("0.30"), None]
