"""The shared cycle evaluation (db/functions/125_cycle.sql): hour pieces and completeness."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from tests.rules.conftest import make_uc, put_hours

OCT = date(2026, 10, 1)


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
