"""Every result column of smf.hour_pieces_set (125_cycle.sql) on four local hours worked out by
hand, read from stored 15-minute rollups and again after the month is sealed (the function
reads smf.rollups_15min, both storage tiers): posto split, reactive window, closed forms of
UFER / DMCR, the P = 0 flag, the largest quarter and interval counts."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal as D
from typing import Any

import psycopg

from tests.rules.conftest import local, make_uc, put_hours
from tests.storage.helpers import seal_all

OCT = date(2026, 10, 1)
COLS = (
    "uc_id, hour, local_hour, posto, demand_posto, reactive_window, minutes, p_kwh, q_kvarh,"
    " s_kvah, power_factor, ufer_kwh, dmcr_kw, p_zero, max_demand_kw, max_demand_at,"
    " n_present, n_expected"
)
# the four local hours of Tuesday 2026-10-06 (-03:00), as their UTC starts
HOURS = ("2026-10-06 05:00+00", "2026-10-06 13:00+00", "2026-10-06 14:00+00", "2026-10-06 20:00+00")


def _pieces(
    conn: psycopg.Connection[Any], uc: int, losses: bool, detail: bool = True
) -> list[tuple[Any, ...]]:
    rows = conn.execute(
        f"select {COLS} from smf.hour_pieces_set(%s, %s, %s, %s)"
        " where hour = any (%s::timestamptz[]) order by hour, posto",
        ([uc], OCT, losses, detail, list(HOURS)),
    ).fetchall()
    return [tuple(r) for r in rows]


def _lh(text: str) -> datetime:
    return datetime.fromisoformat(text)  # local_hour: a local timestamp without zone


def _expected(uc: int) -> list[tuple[Any, ...]]:
    """Ponta 17:30-20:30, capacitive window 00:00-06:00, fR = 0.92, no loss."""
    return [
        # 02:00 (capacitive): P 0, Q = the capacitive 2 kvarh (the 5 inductive ignored); S = 2,
        # fT = 0 / 2 = 0, UFER = 0.92 x 2 - 0 = 1.84, DMCR 1.84 kW x 60 / 60; P = 0 & Q > 0;
        # every quarter 0 kWh: largest demand 0 kW, the earliest of the tie (02:00)
        (uc, local("2026-10-06 02:00"), _lh("2026-10-06 02:00"), "fora_ponta", "fora_ponta",
         "capacitive", 60, D(0), D(2), D(2), D(0), D("1.84"), D("1.84"), True, D(0),
         local("2026-10-06 02:00"), 4, 4),
        # 10:00 (inductive): P 30, Q 40 (the 3 capacitive ignored); S = sqrt(900 + 1600) = 50,
        # fT = 0.6, UFER = 0.92 x 50 - 30 = 16, DMCR = 46; 7.5 kWh a quarter = 30 kW at 10:00
        (uc, local("2026-10-06 10:00"), _lh("2026-10-06 10:00"), "fora_ponta", "fora_ponta",
         "inductive", 60, D(30), D(40), D(50), D("0.6"), D(16), D(46), False, D(30),
         local("2026-10-06 10:00"), 4, 4),
        # 11:00 without data: energies and results NULL, P = 0 flag false, 0 of 4 present
        (uc, local("2026-10-06 11:00"), _lh("2026-10-06 11:00"), "fora_ponta", "fora_ponta",
         "inductive", 60, None, None, None, None, None, None, False, None, None, 0, 4),
        # 17:00 split at 17:30: two 30-minute pieces of 2 x 25 kWh = 50 kWh, Q 0 -> fT 1,
        # UFER 0, DMCR = 50 kWh x 60 / 30 = 100 kW; largest quarter 25 x 4 = 100 kW at the
        # piece's first quarter (a tie); 2 of 2 intervals each
        (uc, local("2026-10-06 17:00"), _lh("2026-10-06 17:00"), "fora_ponta", "fora_ponta",
         "inductive", 30, D(50), D(0), D(50), D(1), D(0), D(100), False, D(100),
         local("2026-10-06 17:00"), 2, 2),
        (uc, local("2026-10-06 17:00"), _lh("2026-10-06 17:30"), "ponta", "ponta",
         "inductive", 30, D(50), D(0), D(50), D(1), D(0), D(100), False, D(100),
         local("2026-10-06 17:30"), 2, 2),
    ]  # fmt: skip


def test_hour_pieces_set_gives_every_column_from_stored_rollups_and_after_sealing(
    conn: psycopg.Connection[Any],
) -> None:
    """The same hand-worked pieces from hot rows and from the sealed month (the quarters of
    the sealed periods derived on read)."""
    uc = make_uc(conn, 221, aneel="982", ponta="17:30")
    put_hours(
        conn,
        uc,
        [
            ("2026-10-06 02:00", 0, 5, 2),
            ("2026-10-06 10:00", 30, 40, 3),
            ("2026-10-06 17:00", 100, 0, 0),
        ],
    )
    want = _expected(uc.id)
    assert _pieces(conn, uc.id, False) == want
    seal_all(conn)  # (in `pytest --sealed` the refresh sealed it already)
    got = conn.execute(
        "select (select count(*) from smf.rollup_15min where meter_id = %(m)s),"
        " (select count(*) from smf.interval_reading where meter_id = %(m)s),"
        " (select sum(n_rows) from smf.interval_sealed where meter_id = %(m)s)",
        {"m": uc.meter_id},
    ).fetchone()
    assert got == (0, 0, 12)  # one sealed week of 3 hours x 4 quarters, nothing stored hot
    assert _pieces(conn, uc.id, False) == want


def test_hour_pieces_set_applies_the_loss_factor_and_drops_detail_columns_without_detail(
    conn: psycopg.Connection[Any],
) -> None:
    """With a 2.5 % transformer loss every energy is x 1.025; p_detail false leaves s_kvah,
    power_factor and max_demand_at NULL and keeps UFER / DMCR."""
    uc = make_uc(conn, 222, aneel="983", loss="0.025")
    put_hours(conn, uc, [("2026-10-06 10:00", 30, 40, 3)])
    seal_all(conn)  # read from the sealed period
    # P = 30 x 1.025 = 30.75, Q = 40 x 1.025 = 41; S = sqrt(945.5625 + 1681) = 51.25;
    # fT = 30.75 / 51.25 = 0.6; UFER = 0.92 x 51.25 - 30.75 = 47.15 - 30.75 = 16.4;
    # DMCR = 47.15 kW; largest quarter 7.5 x 1.025 x 4 = 30.75 kW
    ten = [r for r in _pieces(conn, uc.id, True) if r[1] == local("2026-10-06 10:00")]
    assert ten == [
        (uc.id, local("2026-10-06 10:00"), _lh("2026-10-06 10:00"), "fora_ponta", "fora_ponta",
         "inductive", 60, D("30.75"), D(41), D("51.25"), D("0.6"), D("16.4"), D("47.15"), False,
         D("30.75"), local("2026-10-06 10:00"), 4, 4),
    ]  # fmt: skip
    ten = [r for r in _pieces(conn, uc.id, True, False) if r[1] == local("2026-10-06 10:00")]
    assert ten == [
        (uc.id, local("2026-10-06 10:00"), _lh("2026-10-06 10:00"), "fora_ponta", "fora_ponta",
         "inductive", 60, D("30.75"), D(41), None, None, D("16.4"), D("47.15"), False,
         D("30.75"), None, 4, 4),
    ]  # fmt: skip
