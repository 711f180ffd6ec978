"""Every VEE limit at its edge: just below, at and just above (db/functions/05x_validation_*.sql,
defaults in smf.vee_parameter). Data goes through the real ingest path, which validates the
days it touched. Local day 2026-10-05 (a Monday, -03:00), 5-minute meters."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from tests.vee.conftest import FIVE, day_rows, findings, local, put, unit

DAY = "2026-10-05"
D0 = local(f"{DAY} 00:00")


def _rules(conn: psycopg.Connection[Any], meter: int, rule: str) -> list[tuple[Any, ...]]:
    return [(f[1], f[3]) for f in findings(conn, meter, rule) if f[5] == "open"]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("kwh", "spike"),
    [
        # third-highest value of the day 1.000 kWh (>= floor 100 Wh); limit 10 x 1,000 Wh
        (9.999, False),
        (10.000, False),  # exactly 10 x: a spike is ABOVE spike_factor x the third-highest
        (10.001, True),
    ],
)
def test_spike_factor_edge(conn, kwh, spike) -> None:
    u = unit(conn, 1)
    values = [1.0] * 288
    values[100] = kwh
    put(conn, u.main_serial, day_rows(DAY, values))
    want = [(D0 + 100 * FIVE, "error")]  # interval 100 = 08:20 local
    assert _rules(conn, u.main, "spike") == (want if spike else [])


@pytest.mark.parametrize(
    ("base_kwh", "spike"),
    [
        (0.099, False),  # third-highest 99 Wh < spike_floor_wh 100: the factor is not applied
        (0.100, True),  # 100 Wh: applied; 5 kWh > 10 x 0.1 kWh
    ],
)
def test_spike_floor_edge(conn, base_kwh, spike) -> None:
    u = unit(conn, 2)
    values = [base_kwh] * 288
    values[7] = 5.0
    put(conn, u.main_serial, day_rows(DAY, values))
    assert len(_rules(conn, u.main, "spike")) == (1 if spike else 0)


@pytest.mark.parametrize("kwh", [1.000, 1.001])
def test_physical_maximum_edge(conn, kwh) -> None:
    """max_power_kw 12: 12 kW x 5 min = 1 kWh per interval. 1.000 kWh is stored and no spike
    (the day's third-highest, 50 Wh, is under the floor); 1.001 kWh is impossible for the meter:
    the ingest quarantines it (the interval is then missing), it never reaches the readings."""
    u = unit(conn, 3)
    conn.execute("update smf.meter set max_power_kw = 12 where id = %s", (u.main,))
    values = [0.05] * 288
    values[9] = kwh
    put(conn, u.main_serial, day_rows(DAY, values))
    stored = conn.execute(
        "select active_fwd_wh from smf.interval_reading where meter_id = %s and ts = %s",
        (u.main, D0 + 9 * FIVE),
    ).fetchone()
    quarantined = conn.execute(
        "select reason from smf.ingest_quarantine where meter_ref = %s and ts = %s",
        (u.main_serial, D0 + 9 * FIVE),
    ).fetchall()
    assert findings(conn, u.main, "spike") == []
    if kwh == 1.000:
        assert (stored, quarantined) == ((1000,), [])
    else:
        assert stored is None and len(quarantined) == 1, quarantined


@pytest.mark.parametrize(
    ("missing", "severity"),
    [(11, "warning"), (12, "error")],  # missing_long_run = 12 intervals: at it, an error
)
def test_missing_long_run_edge(conn, missing, severity) -> None:
    u = unit(conn, 4)
    put(conn, u.main_serial, day_rows(DAY, 1.0, skip=range(100, 100 + missing)))
    [(ts_from, sev)] = _rules(conn, u.main, "missing")
    assert (ts_from, sev) == (local(f"{DAY} 08:20"), severity)  # interval 100 = 08:20 local


@pytest.mark.parametrize(("zeros", "found"), [(11, False), (12, True)])
def test_zero_run_edge(conn, zeros, found) -> None:
    """zero_run_intervals = 12: a run of 11 zero intervals is normal, 12 is reported (every
    other interval consumes, share 1.0 >= zero_normal_share 0.8)."""
    u = unit(conn, 5)
    values = [1.0] * 288
    for i in range(50, 50 + zeros):
        values[i] = 0.0
    put(conn, u.main_serial, day_rows(DAY, values))
    assert len(_rules(conn, u.main, "zero_run")) == (1 if found else 0)


def test_zero_run_normal_share_edge(conn) -> None:
    """A 12-interval zero run is reported only while >= 80 % of the other intervals consume.
    Over the 7 days before the end of the range (only day 10-05 stored): 288 - 12 = 276 other
    intervals; with 55 more zeros scattered singly, 221 / 276 = 80.07 % >= 80 %: reported;
    with 56, 220 / 276 = 79.71 %: not."""
    for seq, extra, found in ((6, 55, True), (7, 56, False)):
        u = unit(conn, seq)
        values = [1.0] * 288
        for i in range(50, 62):
            values[i] = 0.0
        singles = [i for i in range(100, 288, 2)][:extra]  # isolated zeros, never a run of 12
        for i in singles:
            values[i] = 0.0
        put(conn, u.main_serial, day_rows(DAY, values))
        assert len(_rules(conn, u.main, "zero_run")) == (1 if found else 0), (extra, found)


@pytest.mark.parametrize(("rev_kwh", "found"), [(0.0, False), (0.001, True)])
def test_reverse_flow_edge(conn, rev_kwh, found) -> None:
    """reverse_min_wh = 1: 1 Wh of reverse energy on a UC without generation is reported."""
    u = unit(conn, 8)
    rows = day_rows(DAY, 1.0)
    ts, v = rows[20]
    rows[20] = (ts, {**v, "active_rev_kwh": rev_kwh})
    put(conn, u.main_serial, rows)
    assert len(_rules(conn, u.main, "reverse_flow")) == (1 if found else 0)


@pytest.mark.parametrize(
    ("volts", "kind"),
    [
        # nominal 127 V (the standard value nearest the median); band 0.92-1.05 pu inclusive:
        # 0.92 x 127 = 116.84 V, 1.05 x 127 = 133.35 V; phase loss below 0.1 x 127 = 12.7 V
        (116.840, None),
        (116.839, "voltage_band"),
        (133.350, None),
        (133.351, "voltage_band"),
    ],
)
def test_voltage_band_edges(conn, volts, kind) -> None:
    u = unit(conn, 9)
    rows = day_rows(DAY, 1.0, volts=127.0)
    ts, v = rows[30]
    rows[30] = (ts, {**v, "voltage_a_v": volts, "voltage_b_v": volts, "voltage_c_v": volts})
    put(conn, u.main_serial, rows)
    got = [(f[0], f[4]) for f in findings(conn, u.main) if f[0] in ("voltage_band", "phase_loss")]
    if kind is None:
        assert got == []
    else:  # one finding per phase for the interval (a finding's identity includes its phase)
        assert sorted(r for r, _ in got) == [kind] * 3
        assert sorted(p for p in ("phase A", "phase B", "phase C") for _, d in got if p in d) == [
            "phase A",
            "phase B",
            "phase C",
        ]
        subjects = conn.execute(
            "select subject from smf.vee_finding where meter_id = %s and rule = %s order by 1",
            (u.main, kind),
        ).fetchall()
        assert subjects == [("A",), ("B",), ("C",)]


@pytest.mark.parametrize(("volts", "kind"), [(12.700, "voltage_band"), (12.699, "phase_loss")])
def test_phase_loss_edge(conn, volts, kind) -> None:
    """Phase A alone drops; B and C stay at 127 V. Below 12.7 V it is a lost phase (error),
    at 12.7 V only a voltage outside the band (warning)."""
    u = unit(conn, 10)
    rows = day_rows(DAY, 1.0, volts=127.0)
    ts, v = rows[40]
    rows[40] = (ts, {**v, "voltage_a_v": volts})
    put(conn, u.main_serial, rows)
    got = [(f[0], f[3]) for f in findings(conn, u.main) if f[0] in ("voltage_band", "phase_loss")]
    assert got == [(kind, "error" if kind == "phase_loss" else "warning")]
