"""VEE findings stay fresh: every change of the data a finding was computed from re-computes it
(through the ingest, which validates the days it touched), and a change that cannot affect it
leaves the stored finding exactly as it was (same row, same last_seen_at).

Day 2026-10-05 (local, -03:00). A 5-minute meter with 1.000 kWh in every interval except
interval 50 (04:10 local): 15.000 kWh = 15 x the day's third-highest value (1.000 kWh), over
spike_factor 10: one open spike finding."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from tests.vee.conftest import FIVE, day_rows, local, put, unit

DAY = "2026-10-05"
D0 = local(f"{DAY} 00:00")
SPIKE_AT = D0 + 50 * FIVE


def _spike(conn: psycopg.Connection[Any], meter: int) -> tuple[Any, ...]:
    return conn.execute(
        "select id, status, resolved_by, detail, last_seen_at from smf.vee_finding"
        " where meter_id = %s and rule = 'spike'",
        (meter,),
    ).fetchone()


def _with_spike(conn: psycopg.Connection[Any], seq: int) -> Any:
    u = unit(conn, seq)
    kwh = [1.0] * 288
    kwh[50] = 15.0
    put(conn, u.main_serial, day_rows(DAY, kwh))
    f = _spike(conn, u.main)
    assert f[1] == "open" and "15.000 kWh at 2026-10-05 04:10 (local) is 15.0 x" in f[3]
    return u


@pytest.mark.slow
def test_a_correction_of_the_spiking_interval_resolves_the_finding(conn) -> None:
    u = _with_spike(conn, 1)
    put(conn, u.main_serial, [(SPIKE_AT, {"active_fwd_kwh": 1.2})], source="manual")
    _, status, by, _, _ = _spike(conn, u.main)
    assert (status, by) == ("resolved", "validation: no longer found")


def test_a_change_of_the_reference_value_rewrites_the_detail_of_the_same_finding(conn) -> None:
    """Three intervals raised to 1.250 kWh make the third-highest 1.250: 15 / 1.25 = 12.0 x,
    still over 10: the same finding (same id), its detail rewritten."""
    u = _with_spike(conn, 2)
    before = _spike(conn, u.main)
    put(
        conn,
        u.main_serial,
        [(D0 + i * FIVE, {"active_fwd_kwh": 1.25}) for i in (200, 201, 202)],
        source="manual",
    )
    after = _spike(conn, u.main)
    assert after[0] == before[0] and after[1] == "open"
    assert "is 12.0 x the day's third-highest value 1.250 kWh (limit 10 x)" in after[3]


def test_data_of_another_day_leaves_the_finding_untouched(conn) -> None:
    u = _with_spike(conn, 3)
    before = _spike(conn, u.main)
    put(conn, u.main_serial, day_rows("2026-10-06", 1.0))
    assert _spike(conn, u.main) == before


def test_a_change_that_cannot_affect_the_spike_leaves_the_row_as_it_was(conn) -> None:
    """A voltage on another interval of the same day: the day is re-validated, the spike is
    found again with the same detail, and its row is not rewritten (same last_seen_at)."""
    u = _with_spike(conn, 4)
    before = _spike(conn, u.main)
    put(conn, u.main_serial, [(D0 + 10 * FIVE, {"voltage_a_v": 127.0})])
    assert _spike(conn, u.main) == before


def test_a_parameter_change_takes_effect_at_the_next_validation_of_the_day(conn) -> None:
    """spike_factor 16 for this meter: 15 x is no longer a spike. A parameter is data, not a
    reading: nothing re-validates by itself; the next run over the day (the daily job, or
    `smf vee validate`) resolves the finding."""
    u = _with_spike(conn, 5)
    conn.execute(
        "insert into smf.vee_parameter (key, meter_id, value, unit, description)"
        " values ('spike_factor', %s, 16, 'x', 'test')",
        (u.main,),
    )
    assert _spike(conn, u.main)[1] == "open"
    conn.execute("select smf.vee_validate(%s, %s, %s)", (u.main, D0, local("2026-10-06 00:00")))
    assert _spike(conn, u.main)[1:3] == ("resolved", "validation: no longer found")
