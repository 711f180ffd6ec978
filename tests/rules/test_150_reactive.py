"""UFER / DMCR (db/functions/150_reactive.sql over 125_cycle.sql). Expected values are worked out
by hand in the comments (S = sqrt(P^2 + Q^2); where P < 0.92 S: UFER = 0.92 S - P and DMCR =
0.92 S, else UFER = 0 and DMCR = P) and written as literals: every assertion checks what the SQL
functions return, none checks a Python re-implementation of the formula."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from db import rules
from tests.rules.conftest import local, make_uc, put_hours

OCT = date(2026, 10, 1)


@pytest.mark.slow
def test_worked_example_of_the_notes(conn):
    # Fora ponta, contracted 520 kW, Tuesday 2026-10-06. The inductive hours also carry capacitive
    # reactive and the capacitive hour inductive reactive: only the kind of the window counts.
    uc = make_uc(conn, 1, fora_kw=520)
    put_hours(
        conn,
        uc,
        [
            ("2026-10-06 10:00", 480, 180, 40),  # inductive: S = 512.64, 0.92 S = 471.63 < 480 -> 0
            ("2026-10-06 11:00", 500, 300, 40),  # S = 583.10, 0.92 S = 536.45 -> UFER 36.45
            ("2026-10-06 12:00", 450, 260, 40),  # S = 519.71, 0.92 S = 478.13 -> UFER 28.13
            ("2026-10-06 02:00", 120, 60, 90),  # capacitive window: Q = 90, S = 150 -> 138, UFER 18
        ],
    )
    hourly = {r["local_hour"].hour: r for r in rules.ufer_dmcr_hourly(conn, uc.code, OCT)}
    assert {h: hourly[h]["reactive_window"] for h in hourly} == {
        2: "capacitive",
        10: "inductive",
        11: "inductive",
        12: "inductive",
    }
    # hourly values are given to 3 decimals: 36.4476 -> 36.448, 28.13454 -> 28.135
    assert [hourly[h]["ufer_kwh"] for h in (10, 11, 12, 2)] == [
        D("0.000"),
        D("36.448"),
        D("28.135"),
        D("18.000"),
    ]
    assert [hourly[h]["dmcr_kw"] for h in (10, 11, 12, 2)] == [
        D("480.000"),
        D("536.448"),
        D("478.135"),
        D("138.000"),
    ]
    by_posto = {r["posto"]: r for r in rules.ufer_dmcr(conn, uc.code, OCT)}
    fp = by_posto["fora_ponta"]
    # to 2 decimals, the notes' figures: UFER 0 + 36.4476 + 28.1345 + 18 = 82.5821 -> 82.58
    assert fp["ufer_kwh"] == D("82.58")
    assert fp["dmcr_kw"] == D("536.45")
    assert fp["dmcr_excess_kw"] == D("16.45")  # 536.4476 - 520
    assert fp["contracted_kw"] == D("520")
    assert (fp["hours"], fp["p_zero_hours"]) == (4, 0)
    assert by_posto["ponta"]["ufer_kwh"] is None  # no ponta data


@pytest.mark.parametrize(
    ("hour", "window", "q_counted", "ufer", "dmcr"),
    [
        # P = 100, Q_ind = 80, Q_cap = 10. Default window 00:00-06:00: the 03:00 hour counts the
        # capacitive 10: S = sqrt(10000 + 100) = 100.4988, 0.92 S = 92.4589 < 100 -> UFER 0,
        # DMCR = P = 100
        ("2026-10-06 03:00", "capacitive", D(10), D("0.000"), D("100.000")),
        ("2026-10-06 05:00", "capacitive", D(10), D("0.000"), D("100.000")),
        # 06:00 is outside: the inductive 80 counts: S = sqrt(10000 + 6400) = 128.0625,
        # 0.92 S = 117.8175 > 100 -> UFER 17.8175 -> 17.817 (3 decimals: 17.81749 -> 17.817),
        # DMCR 117.817
        ("2026-10-06 06:00", "inductive", D(80), D("17.817"), D("117.817")),
        ("2026-10-06 23:00", "inductive", D(80), D("17.817"), D("117.817")),
    ],
)
def test_capacitive_window_decides_which_reactive_counts(conn, hour, window, q_counted, ufer, dmcr):
    uc = make_uc(conn, 2)
    put_hours(conn, uc, [(hour, 100, 80, 10)])
    (row,) = rules.ufer_dmcr_hourly(conn, uc.code, OCT)
    assert row["reactive_window"] == window
    assert row["q_kvarh"] == q_counted
    assert (row["ufer_kwh"], row["dmcr_kw"]) == (ufer, dmcr)


def test_window_starting_at_2330(conn):
    # Window 23:30-05:30. The 23:00 hour: 23:00 and 23:15 inductive (20 kvarh each), 23:30 and
    # 23:45 capacitive (15 each): Q = 20 + 20 + 15 + 15 = 70, P = 100.
    # S = sqrt(100^2 + 70^2) = sqrt(14900) = 122.0656; 0.92 S = 112.3003 > 100 -> UFER 12.300.
    # The 05:00 hour: 05:00, 05:15 capacitive (15), 05:30, 05:45 inductive (20): also Q = 70.
    # The 01:00 hour is wholly capacitive: Q = 4 x 15 = 60, S = sqrt(13600) = 116.619,
    # 0.92 S = 107.28952 -> UFER 7.28952 -> 7.290.
    uc = make_uc(conn, 3, aneel="992", capacitive="23:30")
    put_hours(
        conn,
        uc,
        [
            ("2026-10-06 23:00", 100, 80, 60),
            ("2026-10-07 05:00", 100, 80, 60),
            ("2026-10-07 01:00", 100, 80, 60),
        ],
    )
    rows = {r["local_hour"].hour: r for r in rules.ufer_dmcr_hourly(conn, uc.code, OCT)}
    assert rows[23]["reactive_window"] == "mixed"
    assert rows[23]["q_kvarh"] == D(70)
    assert rows[23]["ufer_kwh"] == D("12.300")  # 0.92 x 122.0656 - 100
    assert rows[23]["dmcr_kw"] == D("112.300")
    assert rows[5]["q_kvarh"] == D(70)
    assert rows[1]["reactive_window"] == "capacitive"
    assert rows[1]["q_kvarh"] == D(60)
    assert rows[1]["ufer_kwh"] == D("7.290")  # 0.92 x 116.61904 - 100


def test_losses_applied_before_ufer(conn):
    # Loss factor 2.5%: raw P = 400, Q = 300 (ind) -> adjusted P = 410, Q = 307.5,
    # S = 1.025 x 500 = 512.5, 0.92 S = 471.5 -> UFER = 471.5 - 410 = 61.5, DMCR = 471.5.
    # Raw series: S = 500, 0.92 S = 460 -> UFER 60, DMCR 460.
    uc = make_uc(conn, 4, loss="0.025", fora_kw=450)
    put_hours(conn, uc, [("2026-10-06 14:00", 400, 300, 0)])
    (adj,) = rules.ufer_dmcr_hourly(conn, uc.code, OCT)
    assert (adj["p_kwh"], adj["q_kvarh"], adj["s_kvah"]) == (
        D("410.000"),
        D("307.500"),
        D("512.500"),
    )
    assert (adj["ufer_kwh"], adj["dmcr_kw"]) == (D("61.500"), D("471.500"))
    (raw,) = rules.ufer_dmcr_hourly(conn, uc.code, OCT, with_losses=False)
    assert (raw["ufer_kwh"], raw["dmcr_kw"]) == (D("60.000"), D("460.000"))
    fp = {r["posto"]: r for r in rules.ufer_dmcr(conn, uc.code, OCT)}["fora_ponta"]
    assert (fp["ufer_kwh"], fp["dmcr_kw"], fp["dmcr_excess_kw"]) == (
        D("61.50"),
        D("471.50"),
        D("21.50"),
    )


def test_hour_without_active_energy_is_flagged(conn):
    # P = 0, Q = 50 inductive: UFER = 0.92 x 50 = 46, DMCR = 46, flagged.
    uc = make_uc(conn, 5)
    put_hours(conn, uc, [("2026-10-06 15:00", 0, 50, 0)])
    (row,) = rules.ufer_dmcr_hourly(conn, uc.code, OCT)
    assert (row["ufer_kwh"], row["dmcr_kw"], row["p_zero"]) == (D("46.000"), D("46.000"), True)
    fp = {r["posto"]: r for r in rules.ufer_dmcr(conn, uc.code, OCT)}["fora_ponta"]
    assert fp["p_zero_hours"] == 1


def test_verde_has_a_single_demand_row(conn):
    # Verde: ponta hour 19:00 (P 300, Q 300: S = 424.26, 0.92 S = 390.32, UFER 90.32) and fora
    # ponta hour 10:00 (P 100, Q 0). The single demand (contracted 350) takes the larger DMCR.
    uc = make_uc(conn, 6, modality="verde", ponta_kw=None, fora_kw=350)
    put_hours(conn, uc, [("2026-10-06 19:00", 300, 300, 0), ("2026-10-06 10:00", 100, 0, 0)])
    rows = {r["posto"]: r for r in rules.ufer_dmcr(conn, uc.code, OCT)}
    # S = sqrt(90000 + 90000) = 424.2641, 0.92 S = 390.3229 -> UFER 90.3229 -> 90.32
    assert rows["ponta"]["ufer_kwh"] == D("90.32")
    assert rows["ponta"]["dmcr_excess_kw"] is None
    assert rows["unica"]["ufer_kwh"] is None
    assert rows["unica"]["dmcr_kw"] == D("390.32")
    assert rows["unica"]["dmcr_excess_kw"] == D("40.32")  # 390.3229 - 350


# ---------- rounding of loss-adjusted values (more decimals than shown)
#
# A loss factor of 1.234 % gives loss-adjusted energies with 4 or more decimals, so that every
# rounding of the outputs shows in the expected values (one more decimal changes them).


def test_ufer_dmcr_roundings_with_a_loss_factor(conn):
    # Every rounding of ufer_dmcr_hourly (P, Q, S, UFER, DMCR to 3 decimals, fT to 4) and of
    # ufer_dmcr (2 decimals).
    # Loss 1.234 %, capacitive window 00:00-06:00, contracted fora ponta 250 kW.
    # 02:00: raw P = 200, Q_cap = 210 -> S = sqrt(200^2 + 210^2) = sqrt(84100) = 290, fT = 20/29.
    #   Adjusted (x 1.01234): P = 202.468, Q = 212.5914, S = 293.5786; fT = 20/29 = 0.689655...
    #   -> 0.6897; fR.S = 0.92 x 293.5786 = 270.092312 > P -> UFER = 270.092312 - 202.468 =
    #   67.624312 -> 67.624, DMCR = 270.092312 -> 270.092.
    # 03:00: raw P = 100.008, Q = 0 -> P = 100.008 x 1.01234 = 101.234 + 0.00809872 = 101.24209872
    #   -> 101.242 (P, S and DMCR), fT = 1, UFER 0.
    # Per posto (2 decimals): UFER 67.624312 -> 67.62, DMCR max 270.092312 -> 270.09 at 02:00,
    # excess 270.092312 - 250 = 20.092312 -> 20.09.
    uc = make_uc(conn, 133, fora_kw=250, loss="0.01234")
    put_hours(conn, uc, [("2026-10-06 02:00", 200, 0, 210), ("2026-10-06 03:00", "100.008", 0, 0)])
    a, b = rules.ufer_dmcr_hourly(conn, uc.code, OCT)
    assert (a["p_kwh"], a["q_kvarh"], a["s_kvah"], a["power_factor"]) == (
        D("202.468"),
        D("212.591"),
        D("293.579"),
        D("0.6897"),
    )
    assert (a["ufer_kwh"], a["dmcr_kw"]) == (D("67.624"), D("270.092"))
    assert (b["p_kwh"], b["s_kvah"], b["power_factor"], b["ufer_kwh"], b["dmcr_kw"]) == (
        D("101.242"),
        D("101.242"),
        D("1.0000"),
        D("0.000"),
        D("101.242"),
    )
    fp = {r["posto"]: r for r in rules.ufer_dmcr(conn, uc.code, OCT)}["fora_ponta"]
    assert (fp["ufer_kwh"], fp["dmcr_kw"], fp["dmcr_at"], fp["dmcr_excess_kw"]) == (
        D("67.62"),
        D("270.09"),
        local("2026-10-06 02:00"),
        D("20.09"),
    )


def test_single_demand_excess_rounding(conn):
    # The 'unica' row's excess is shown to 2 decimals: verde, contracted 250 kW, loss 1.234 %,
    # the 02:00 hour of test_ufer_dmcr_roundings_with_a_loss_factor: DMCR 270.092312 -> 270.09,
    # excess 270.092312 - 250 = 20.092312 -> 20.09.
    uc = make_uc(conn, 145, modality="verde", ponta_kw=None, fora_kw=250, loss="0.01234")
    put_hours(conn, uc, [("2026-10-06 02:00", 200, 0, 210)])
    unica = {r["posto"]: r for r in rules.ufer_dmcr(conn, uc.code, OCT)}["unica"]
    assert (unica["dmcr_kw"], unica["contracted_kw"], unica["dmcr_excess_kw"]) == (
        D("270.09"),
        D(250),
        D("20.09"),
    )


# ---------- row order of ufer_dmcr


def test_ufer_dmcr_rows_in_posto_order(conn):
    # Rows in posto order (not by UFER): ponta 19:00 P = 0, Q = 1 -> UFER 0.92;
    # fora ponta 10:00 P = 0, Q = 2 -> UFER 1.84. Rows: ponta first, then fora ponta.
    uc = make_uc(conn, 157)
    put_hours(conn, uc, [("2026-10-06 19:00", 0, 1, 0), ("2026-10-06 10:00", 0, 2, 0)])
    rows = rules.ufer_dmcr(conn, uc.code, OCT)
    assert [(r["posto"], r["ufer_kwh"]) for r in rows] == [
        ("ponta", D("0.92")),
        ("fora_ponta", D("1.84")),
    ]


def test_ufer_dmcr_rows_carry_dmcr_hour_contracted_demand_and_excess(conn):
    # Azul, contracted 30 kW ponta / 20 kW fora ponta, no loss, Tue 2026-10-06, fR 0.92:
    # 10:00 P 30, Q ind 40 -> S 50, UFER 0.92 x 50 - 30 = 16 kWh, DMCR 46 kW;
    # 19:00 (ponta) P 40, Q 0 -> UFER 0, DMCR = P = 40 kW.
    # Measured demand (quarter kWh x 4): fora ponta 7.5 x 4 = 30 kW, ponta 10 x 4 = 40 kW.
    # DMCR excess = DMCR - billable max(measured, contracted): ponta 40 - max(40, 30) = 0;
    # fora ponta 46 - max(30, 20) = 16 kW. One hour with data each. DMCR hour = the local hour
    # start (UTC + 3 h).
    uc = make_uc(conn, 167, ponta_kw=30, fora_kw=20)
    put_hours(conn, uc, [("2026-10-06 10:00", 30, 40, 0), ("2026-10-06 19:00", 40, 0, 0)])
    rows = conn.execute(
        "select posto, ufer_kwh, dmcr_kw, dmcr_at, contracted_kw, dmcr_excess_kw, hours,"
        " p_zero_hours from smf.ufer_dmcr_of(%s, %s)",
        (uc.id, OCT),
    ).fetchall()
    assert rows == [
        ("ponta", D(0), D(40), local("2026-10-06 19:00"), D(30), D(0), 1, 0),
        ("fora_ponta", D(16), D(46), local("2026-10-06 10:00"), D(20), D(16), 1, 0),
    ]
