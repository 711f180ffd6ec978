"""The shared cycle evaluation (db/functions/125_cycle.sql): hour pieces and completeness."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D

import pytest

from db import rules
from tests.rules.conftest import local, make_uc, put_hours, put_intervals, scalar

OCT = date(2026, 10, 1)


@pytest.mark.slow
def test_ponta_at_half_past_splits_the_hour(conn):
    # Ponta 17:30-20:30: the 17:00 hour is split into two 30-minute pieces of 50 kWh each; the
    # DMCR of a piece is in kW: 50 kWh / 0.5 h = 100 kW.
    uc = make_uc(conn, 51, aneel="981", ponta="17:30")
    put_hours(conn, uc, [("2026-10-06 17:00", 100, 0, 0)])
    rows = conn.execute(
        "select posto, minutes, p_kwh, dmcr_kw from smf.uc_hour_pieces(%s, %s, true)"
        " where p_kwh is not null order by posto",
        (uc.id, OCT),
    ).fetchall()
    assert rows == [("fora_ponta", 30, D(50), D(100)), ("ponta", 30, D(50), D(100))]


def test_completeness_counts(conn):
    # October 2026 has 744 h x 4 quarters = 2976 expected 15-minute intervals; 2 hours present = 8.
    uc = make_uc(conn, 52)
    put_hours(conn, uc, [("2026-10-06 10:00", 100, 0, 0), ("2026-10-06 11:00", 100, 0, 0)])
    n = conn.execute(
        "select sum(n_present), sum(n_expected) from smf.cycle_evaluation_of(%s, %s)"
        " where kind = 'energy'",
        (uc.id, OCT),
    ).fetchone()
    assert n == (8, 2976)


# ---------- the P = 0 & Q > 0 flag at its edge, row order, an overrun without a contracted demand


def test_p_zero_flag_with_one_kvarh(conn):
    # An hour is flagged P = 0 when P = 0 and Q > 0, from the first kvarh on. 10:00: P = 0, Q_ind =
    # 1.000 kvarh (4 x 250 varh) -> flagged; S = 1, UFER = 0.92 x 1 - 0 = 0.92 kWh, DMCR = 0.92 kW.
    # 11:00: P = 0, Q = 0 -> not flagged (nothing was consumed), UFER 0, DMCR 0. One flagged hour.
    # 12:00 (fT is shown whenever S > 0, also for S = 1): P = 0.6, Q = 0.8 -> S = sqrt(0.36 + 0.64)
    # = 1.000, fT = 0.6 / 1 = 0.6000, UFER = 0.92 - 0.6 = 0.320, DMCR 0.920.
    uc = make_uc(conn, 144)
    put_hours(
        conn,
        uc,
        [
            ("2026-10-06 10:00", 0, 1, 0),
            ("2026-10-06 11:00", 0, 0, 0),
            ("2026-10-06 12:00", "0.6", "0.8", 0),
        ],
    )
    ten, eleven, noon = rules.ufer_dmcr_hourly(conn, uc.code, OCT)
    assert (noon["s_kvah"], noon["power_factor"], noon["ufer_kwh"], noon["dmcr_kw"]) == (
        D("1.000"),
        D("0.6000"),
        D("0.320"),
        D("0.920"),
    )
    assert (ten["p_zero"], ten["ufer_kwh"], ten["dmcr_kw"]) == (True, D("0.920"), D("0.920"))
    assert (eleven["p_zero"], eleven["ufer_kwh"], eleven["dmcr_kw"]) == (False, D(0), D(0))
    fp = {r["posto"]: r for r in rules.ufer_dmcr(conn, uc.code, OCT)}["fora_ponta"]
    assert (fp["hours"], fp["p_zero_hours"]) == (3, 1)


def test_measured_demand_rows_ponta_first(conn):
    # The cycle rows come in posto order (not by energy): measured_demand lists ponta, then
    # fora ponta. Fora ponta 10:00 quarter 100 kWh -> 400 kW; ponta 19:00 quarter 50 kWh -> 200 kW.
    uc = make_uc(conn, 152)
    put_intervals(
        conn,
        uc,
        [(local("2026-10-06 10:00"), 100000, 0, 0), (local("2026-10-06 19:00"), 50000, 0, 0)],
    )
    rows = rules.measured_demand(conn, uc.code, OCT)
    assert [(r["demand_posto"], r["measured_kw"]) for r in rows] == [
        ("ponta", D("200.000")),
        ("fora_ponta", D("400.000")),
    ]


def test_demand_overrun_without_a_contracted_demand_is_unknown(conn):
    # demand_overrun_kw needs both demands (`and p_contracted is not null`): a measured 50 kW
    # against no contracted demand has no overrun to bill, null, not 0; 50 kW against 40 kW with 5 %
    # tolerance (limit 42 kW) overruns by 50 - 40 = 10 kW; 41 kW is within the tolerance: 0.
    sql = "select smf.demand_overrun_kw(%s, %s, 0.05)"
    assert scalar(conn, sql, D(50), None) is None
    assert scalar(conn, sql, None, D(40)) is None
    assert scalar(conn, sql, D(50), D(40)) == D(10)
    assert scalar(conn, sql, D(41), D(40)) == D(0)


def test_the_largest_quarter_hour_of_a_split_hour_and_the_earliest_of_a_tie(conn):
    # Ponta 17:30-20:30 splits the 17:00 hour into fora ponta 17:00-17:30 and ponta 17:30-18:00.
    # Fora ponta: 10 kWh at 17:00, 30 kWh at 17:15 -> 30 x 4 = 120 kW at 17:15.
    # Ponta: 25 kWh at 17:30 and at 17:45 (a tie) -> 25 x 4 = 100 kW at the earlier, 17:30.
    uc = make_uc(conn, 54, aneel="983", ponta="17:30")
    t = local("2026-10-06 17:00")
    whs = (10000, 30000, 25000, 25000)
    put_intervals(conn, uc, [(t + timedelta(minutes=15 * k), wh, 0, 0) for k, wh in enumerate(whs)])
    rows = conn.execute(
        "select posto, max_demand_kw, max_demand_at from smf.uc_hour_pieces(%s, %s, false)"
        " where p_kwh is not null order by posto",
        (uc.id, OCT),
    ).fetchall()
    assert rows == [
        ("fora_ponta", D(120), local("2026-10-06 17:15")),
        ("ponta", D(100), local("2026-10-06 17:30")),
    ]


def test_pieces_off_the_utc_hour_keep_their_largest_quarter_and_the_earliest_tie(conn):
    # A local time zone half an hour off UTC (Asia/Kolkata, +05:30): the UTC hour 11:00-12:00 is
    # 16:30-17:30 local, and the ponta (18:00 local) cuts 12:00-13:00 UTC at 12:30. Quarter
    # hours from 17:00 local (11:30 UTC): 30, 30, 30, 20 kWh.
    # Piece 16:30 local (60 min): 30 + 30 = 60 kWh; largest 30 x 4 = 120 kW, a tie of 17:00 and
    # 17:15 local -> the earlier, 11:30 UTC. Piece 17:30 local (30 min, up to the ponta):
    # 30 + 20 = 50 kWh; largest 120 kW at 17:30 local = 12:00 UTC.
    conn.execute(
        "insert into smf.setting (key, value, description) values"
        " ('local_timezone', 'Asia/Kolkata', 'test: a zone half an hour off UTC')"
        " on conflict (key) do update set value = excluded.value"
    )
    uc = make_uc(conn, 55, aneel="984")
    t = datetime(2026, 10, 6, 11, 30, tzinfo=UTC)  # 17:00 local
    whs = (30000, 30000, 30000, 20000)
    put_intervals(conn, uc, [(t + timedelta(minutes=15 * k), wh, 0, 0) for k, wh in enumerate(whs)])
    rows = conn.execute(
        "select local_hour, minutes, p_kwh, max_demand_kw, max_demand_at"
        " from smf.uc_hour_pieces(%s, %s, false) where p_kwh is not null order by hour",
        (uc.id, OCT),
    ).fetchall()
    utc = datetime(2026, 10, 6, tzinfo=UTC)
    assert rows == [
        (datetime(2026, 10, 6, 16, 30), 60, D(60), D(120), utc + timedelta(hours=11, minutes=30)),
        (datetime(2026, 10, 6, 17, 30), 30, D(50), D(120), utc + timedelta(hours=12)),
    ]


# ---------- every column of an hour piece and of the cycle rows, worked by hand


def _three_hours(conn):
    """UC 164 (azul, contracted 30 kW ponta / 20 kW fora ponta, no loss), Tue 2026-10-06 local:
    02:00 P 0, Q ind 5, Q cap 2; 10:00 P 30, Q ind 40, Q cap 3; 19:00 (ponta) P 40 (kWh, kvarh),
    each spread over the hour's four quarters."""
    uc = make_uc(conn, 164, ponta_kw=30, fora_kw=20)
    put_hours(
        conn,
        uc,
        [
            ("2026-10-06 02:00", 0, 5, 2),
            ("2026-10-06 10:00", 30, 40, 3),
            ("2026-10-06 19:00", 40, 0, 0),
        ],
    )
    return uc


def test_hour_pieces_take_the_windows_reactive_channel_and_the_closed_forms(conn):
    # fR = 0.92. Capacitive window 00:00-06:00: Q is the capacitive channel inside it, the
    # inductive one outside (never netted).
    # 02:00: P 0, Q = 2 (cap; the 5 kvarh ind ignored) -> S = 2, fT = 0 / 2 = 0, UFER = 0.92 x 2 -
    #   0 = 1.84 kWh, DMCR 1.84 kW, P = 0 & Q > 0 flagged.
    # 10:00: P 30, Q = 40 (ind; the 3 kvarh cap ignored) -> S = sqrt(900 + 1600) = 50, fT = 0.6,
    #   UFER = 0.92 x 50 - 30 = 16 kWh, DMCR = 46 kW.
    # 19:00 (ponta): P 40, Q 0 -> S 40, fT 1, UFER 0, DMCR = P = 40 kW.
    # 11:00 without data: energies and results null, 0 of 4 intervals present; the P = 0 flag is
    # not raised (false: nothing is known to have been drawn without active energy).
    uc = _three_hours(conn)
    rows = conn.execute(
        "select local_hour, demand_posto, reactive_window, q_kvarh, s_kvah, power_factor,"
        " ufer_kwh, dmcr_kw, p_zero, n_present, n_expected"
        " from smf.uc_hour_pieces(%s, %s, true)"
        " where local_hour in ('2026-10-06 02:00', '2026-10-06 10:00', '2026-10-06 11:00',"
        " '2026-10-06 19:00') order by hour",
        (uc.id, OCT),
    ).fetchall()
    assert [(lh.hour, *rest) for lh, *rest in rows] == [
        (2, "fora_ponta", "capacitive", D(2), D(2), D(0), D("1.84"), D("1.84"), True, 4, 4),
        (10, "fora_ponta", "inductive", D(40), D(50), D("0.6"), D(16), D(46), False, 4, 4),
        (11, "fora_ponta", "inductive", None, None, None, None, None, False, 0, 4),
        (19, "ponta", "inductive", D(0), D(40), D(1), D(0), D(40), False, 4, 4),
    ]


def test_cycle_rows_sum_energy_and_ufer_and_bill_overrun_and_dmcr_excess(conn):
    # The three hours of _three_hours (no loss), October 2026, tolerance 5 %.
    # energy ponta: 40 kWh, UFER 0, DMCR 40 kW at 19:00 local (22:00 UTC), 1 hour, 0 flagged.
    # energy fora ponta: 0 + 30 = 30 kWh, UFER 1.84 + 16 = 17.84 kWh, DMCR max(1.84, 46) = 46 kW
    #   at 10:00 local (13:00 UTC), 2 hours with data, 1 flagged (02:00).
    # demand ponta: measured 10 kWh x 4 = 40 kW at 19:00 local (a tie of four: the earliest);
    #   contracted 30 > limit 30 x 1.05 = 31.5 -> overrun 40 - 30 = 10 kW; DMCR 40 - billable
    #   max(40, 30) = 0 excess.
    # demand fora ponta: measured 7.5 x 4 = 30 kW at 10:00 local; contracted 20, limit 21 ->
    #   overrun 30 - 20 = 10 kW; DMCR 46 - billable max(30, 20) = 16 kW excess.
    uc = _three_hours(conn)
    rows = conn.execute(
        "select kind, posto, energy_kwh, ufer_kwh, dmcr_kw, dmcr_at, hours, p_zero_hours,"
        " measured_kw, measured_at, contracted_kw, tolerance, overrun_kw, dmcr_excess_kw"
        " from smf.cycle_evaluation_of(%s, %s)",
        (uc.id, OCT),
    ).fetchall()
    at = local("2026-10-06 19:00")
    ten = local("2026-10-06 10:00")
    assert rows == [
        ("energy", "ponta", D(40), D(0), D(40), at, 1, 0, None, None, None, None, None, None),
        ("energy", "fora_ponta", D(30), D("17.84"), D(46), ten, 2, 1,
         None, None, None, None, None, None),
        ("demand", "ponta", None, None, D(40), at, 1, 0, D(40), at, D(30), D("0.05"), D(10), D(0)),
        ("demand", "fora_ponta", None, None, D(46), ten, 2, 1,
         D(30), ten, D(20), D("0.05"), D(10), D(16)),
    ]  # fmt: skip


def test_contracted_and_billable_demand(conn):
    # contracted_demand: azul ponta -> the ponta demand (30 kW), fora_ponta -> 20 kW; a verde UC
    # has one demand, 'unica' -> contracted_demand_fora_ponta_kw (55 kW).
    # billable_demand_kw = the larger of measured and contracted; the known one when one is null.
    azul = make_uc(conn, 165, ponta_kw=30, fora_kw=20)
    verde = make_uc(conn, 166, modality="verde", ponta_kw=None, fora_kw=55)
    sql = "select smf.contracted_demand(%s, %s)"
    assert scalar(conn, sql, azul.id, "ponta") == D(30)
    assert scalar(conn, sql, azul.id, "fora_ponta") == D(20)
    assert scalar(conn, sql, verde.id, "unica") == D(55)
    sql = "select smf.billable_demand_kw(%s, %s)"
    assert scalar(conn, sql, D(42), D(40)) == D(42)
    assert scalar(conn, sql, D(38), D(40)) == D(40)
    assert scalar(conn, sql, None, D(40)) == D(40)
    assert scalar(conn, sql, D(38), None) == D(38)


# ---------- the set functions: several UCs in one pass, each with its own rows


def test_hour_pieces_set_gives_each_uc_its_pieces_demand_and_ufer(conn):
    # UC A = _three_hours; UC B: 10:00 local 8 kWh (2 kWh a quarter). Pieces with data:
    # A 02:00: UFER 1.84 kWh (see above); every quarter 0 kWh -> largest demand 0 kW, the
    #   earliest quarter of the tie, 02:00.
    # A 10:00: UFER 16 kWh; 7.5 kWh a quarter -> 7.5 x 4 = 30 kW at 10:00 (the earliest tie).
    # A 19:00 (ponta): UFER 0; 10 kWh a quarter -> 40 kW at 19:00.
    # B 10:00: P 8, Q 0 -> UFER 0; 2 x 4 = 8 kW at 10:00.
    a = _three_hours(conn)
    b = make_uc(conn, 168)
    put_hours(conn, b, [("2026-10-06 10:00", 8, 0, 0)])
    rows = conn.execute(
        "select uc_id, local_hour, demand_posto, ufer_kwh, max_demand_kw, max_demand_at"
        " from smf.hour_pieces_set(%s, %s, true) where p_kwh is not null order by uc_id, hour",
        ([a.id, b.id], OCT),
    ).fetchall()
    t = local
    assert [(u, lh.hour, *rest) for u, lh, *rest in rows] == [
        (a.id, 2, "fora_ponta", D("1.84"), D(0), t("2026-10-06 02:00")),
        (a.id, 10, "fora_ponta", D(16), D(30), t("2026-10-06 10:00")),
        (a.id, 19, "ponta", D(0), D(40), t("2026-10-06 19:00")),
        (b.id, 10, "fora_ponta", D(0), D(8), t("2026-10-06 10:00")),
    ]


def test_cycle_evaluation_set_gives_each_uc_its_rows_and_interval_counts(conn):
    # October 2026 ponta days: 22 weekdays (Oct 1 is a Thursday; 9 Saturdays and Sundays) less
    # Aparecida (Mon 12) = 21 days x 3 h x 4 = 252 ponta quarters expected; fora ponta the rest of
    # 744 x 4 = 2976: 2724.
    # UC A (_three_hours): as in test_cycle_rows_sum_energy_and_ufer_..., with 4 ponta and 8
    # fora ponta quarters present.
    # UC B (contracted 300 / 520 kW): 10:00 local 8 kWh -> energy fora 8 kWh, UFER 0, DMCR 8 kW,
    # measured 2 x 4 = 8 kW at 10:00, overrun 0, excess 8 - max(8, 520) < 0 -> 0. Its ponta has no
    # data: energy, UFER, DMCR and measured unknown (null), 0 hours, 0 of 252 present; overrun and
    # DMCR excess null (nothing measured), contracted 300 kW.
    a = _three_hours(conn)
    b = make_uc(conn, 169)
    put_hours(conn, b, [("2026-10-06 10:00", 8, 0, 0)])
    rows = conn.execute(
        "select uc_id, kind, posto, energy_kwh, ufer_kwh, dmcr_kw, dmcr_at, hours, p_zero_hours,"
        " n_present, n_expected, measured_kw, measured_at, contracted_kw, tolerance, overrun_kw,"
        " dmcr_excess_kw from smf.cycle_evaluation_set(%s, %s)"
        " order by uc_id, kind desc, posto desc",
        ([a.id, b.id], date(2026, 10, 20)),
    ).fetchall()
    p, ten, tol = local("2026-10-06 19:00"), local("2026-10-06 10:00"), D("0.05")
    no = (None,) * 6
    assert rows == [
        (a.id, "energy", "ponta", D(40), D(0), D(40), p, 1, 0, 4, 252, *no),
        (a.id, "energy", "fora_ponta", D(30), D("17.84"), D(46), ten, 2, 1, 8, 2724, *no),
        (a.id, "demand", "ponta", None, None, D(40), p, 1, 0, 4, 252,
         D(40), p, D(30), tol, D(10), D(0)),
        (a.id, "demand", "fora_ponta", None, None, D(46), ten, 2, 1, 8, 2724,
         D(30), ten, D(20), tol, D(10), D(16)),
        (b.id, "energy", "ponta", None, None, None, None, 0, 0, 0, 252, *no),
        (b.id, "energy", "fora_ponta", D(8), D(0), D(8), ten, 1, 0, 4, 2724, *no),
        (b.id, "demand", "ponta", None, None, None, None, 0, 0, 0, 252,
         None, None, D(300), tol, None, None),
        (b.id, "demand", "fora_ponta", None, None, D(8), ten, 1, 0, 4, 2724,
         D(8), ten, D(520), tol, D(0), D(0)),
    ]  # fmt: skip


def test_hour_pieces_set_keeps_each_modality_to_its_own_split_hours(conn):
    # One distributor (ponta 17:30-20:30, so the 17:00 hour is split and read from the 15-minute
    # rollups), an azul and a verde UC in one call: each UC's quarter hours go to the pieces of
    # its own modality only, once. Azul: 100 kWh at 17:00 local, 25 kWh a quarter -> fora ponta
    # 17:00-17:30 = 2 x 25 = 50 kWh, ponta 17:30-18:00 = 50 kWh. Verde: 40 kWh, 10 a quarter ->
    # 20 kWh in each half (its demand posto is unica).
    azul = make_uc(conn, 56, aneel="985", ponta="17:30")
    verde = make_uc(conn, 57, aneel="985", modality="verde")
    put_hours(conn, azul, [("2026-10-06 17:00", 100, 0, 0)])
    put_hours(conn, verde, [("2026-10-06 17:00", 40, 0, 0)])
    rows = conn.execute(
        "select uc_id, posto, demand_posto, minutes, p_kwh from smf.hour_pieces_set(%s, %s, false)"
        " where p_kwh is not null order by uc_id, hour, posto",
        ([azul.id, verde.id], OCT),
    ).fetchall()
    assert rows == [
        (azul.id, "fora_ponta", "fora_ponta", 30, D(50)),
        (azul.id, "ponta", "ponta", 30, D(50)),
        (verde.id, "fora_ponta", "unica", 30, D(20)),
        (verde.id, "ponta", "unica", 30, D(20)),
    ]


def test_dmcr_excess_without_a_billable_demand_is_the_whole_dmcr(conn):
    # PAF = billable_demand_kw(measured, contracted) is unknown (null) when neither is known;
    # nothing is subtracted then: excess = greatest(200 - 0, 0) = 200 kW. (The cycle always has a
    # measured demand beside a DMCR; a direct call of the function can pass neither.)
    sql = "select smf.dmcr_excess_kw(%s::numeric, %s::numeric, %s::numeric)"
    assert scalar(conn, sql, "200", None, None) == D(200)
    assert scalar(conn, sql, "0.5", None, None) == D("0.5")


def test_an_hour_the_capacitive_window_starts_inside_takes_each_quarters_own_channel(conn):
    # Capacitive window 00:30-06:30: the 00:00 hour (Tuesday 2026-10-06, fora ponta) is split by
    # it, so it is not read as a whole hour. Each quarter: 1000 Wh, 400 varh inductive, 300
    # capacitive. Q = 400 + 400 (00:00, 00:15 inductive) + 300 + 300 (00:30, 00:45 inside the
    # window: capacitive) = 1400 varh = 1.4 kvarh, window "mixed"; P = 4 x 1000 Wh = 4 kWh.
    # (Reading the hour whole would take one channel for all four: 1.6 or 1.2 kvarh.)
    uc = make_uc(conn, 58, aneel="986", capacitive="00:30")
    t = local("2026-10-06 00:00")
    put_intervals(conn, uc, [(t + timedelta(minutes=15 * k), 1000, 400, 300) for k in range(4)])
    for fn in ("smf.uc_hour_pieces(%s, %s, false)", "smf.hour_pieces_set(array[%s], %s, false)"):
        rows = conn.execute(
            f"select reactive_window, minutes, p_kwh, q_kvarh from {fn} where p_kwh is not null",
            (uc.id, OCT),
        ).fetchall()
        assert rows == [("mixed", 60, D(4), D("1.4"))]
