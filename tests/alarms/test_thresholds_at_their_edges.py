"""Alarm thresholds at their edges: just below, at and just above (db/functions/610_alarm_eval.sql;
defaults in smf.alarm_threshold). Registry of tests/alarms/helpers.py: meter A12 (12 channels,
15-minute intervals, polled), UC 1 verde with 100 kW contracted. A rule fires when the value is
strictly beyond its threshold (above for b, c, g, h, j, k; below for a, d, e, f, m).

T0 = 2026-10-05 12:00 UTC (Monday 09:00 local: fora ponta)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from db import driver
from db.ingest import IntervalRow, ingest_rows
from tests.alarms.helpers import execute, insert_instant, rows

T0 = datetime(2026, 10, 5, 12, tzinfo=UTC)
BALANCED = {"VA": 220, "VB": 220, "VC": 220, "IA": 10, "IB": 10, "IC": 10}


def _open(url: str, rule: str) -> list[Decimal]:
    return [
        r["value"]
        for r in rows(
            url,
            "select value from smf.alarm where rule_code = %s and state = 'open'",
            rule,
        )
    ]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("va", "vb", "fires"),
    [
        # NEMA: largest deviation from the mean / mean; default limit 3.0 %. Mean 200 V each time.
        (205.9, 197.05, False),  # deviation 5.9 -> 2.95 %
        (206.0, 197.0, False),  # deviation 6.0 -> 3.000 %: at the limit
        (206.1, 196.95, True),  # deviation 6.1 -> 3.05 %
    ],
)
def test_voltage_unbalance_edge(reg: dict[str, Any], va, vb, fires) -> None:
    insert_instant(reg["url"], reg["a12"], T0, **{**BALANCED, "VA": va, "VB": vb, "VC": vb})
    assert _open(reg["url"], "c") == ([Decimal("3.050")] if fires else [])


@pytest.mark.slow
@pytest.mark.parametrize(
    ("ia", "ib", "fires"),
    [
        # default limit 20 %; mean 10 A each time
        (11.9, 9.05, False),  # 19 %
        (12.0, 9.0, False),  # 20.000 %: at the limit
        (12.03, 8.985, True),  # 20.3 %
    ],
)
def test_current_unbalance_edge(reg: dict[str, Any], ia, ib, fires) -> None:
    insert_instant(reg["url"], reg["a12"], T0, **{**BALANCED, "IA": ia, "IB": ib, "IC": ib})
    assert _open(reg["url"], "h") == ([Decimal("20.300")] if fires else [])


@pytest.mark.slow
@pytest.mark.parametrize(
    ("pa_w", "fires"),
    [
        (0, False),  # 0 kW is not negative
        (-0.4, False),  # -0.0004 kW rounds (3 decimals of kW, whole W) to 0.000
        (-1, True),  # -0.001 kW < 0
    ],
)
def test_negative_active_power_edge(reg: dict[str, Any], pa_w, fires) -> None:
    """0x14 powers are W (setting instantaneous_power_unit = W): kW = W x 0.001."""
    insert_instant(reg["url"], reg["a12"], T0, **BALANCED, PA=pa_w, PB=1000, PC=1000)
    assert _open(reg["url"], "d") == ([Decimal("-0.001")] if fires else [])


@pytest.mark.slow
@pytest.mark.parametrize(("va", "fires"), [(190.0, False), (189.99, True)])
def test_minimum_voltage_programmed_edge(reg: dict[str, Any], va, fires) -> None:
    execute(
        reg["url"],
        "insert into smf.alarm_threshold (rule_code, meter_id, value) values ('a', %s, 190)",
        reg["a12"],
    )
    # 189.99 / 220 / 220 (mean 206.66): the unbalance (8.07 %) fires c too; only a is checked here
    insert_instant(reg["url"], reg["a12"], T0, **{**BALANCED, "VA": va})
    assert _open(reg["url"], "a") == ([Decimal("189.99")] if fires else [])


@pytest.mark.slow
@pytest.mark.parametrize(
    ("drift", "fires"), [(-300, False), (300, False), (301, True), (-301, True)]
)
def test_clock_deviation_edge(reg: dict[str, Any], drift, fires) -> None:
    """Rule j, default 300 s: |drift| > 300 s, early or late."""
    execute(
        reg["url"],
        "insert into smf.poll_attempt (meter_id, started_at, duration_ms, trigger, outcome,"
        " clock_drift_s) values (%s, %s, 100, 'schedule', 'ok', %s)",
        reg["a12"],
        T0,
        drift,
    )
    assert len(_open(reg["url"], "j")) == (1 if fires else 0)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("ok", "failed", "fires"),
    [
        (4, 1, False),  # 4 of 5 sessions ok = 80.0 %: at the default limit
        (7, 2, True),  # 7 of 9 = 77.8 % < 80 %
        (9, 2, False),  # 9 of 11 = 81.8 %
    ],
)
def test_daily_connectivity_edge(reg: dict[str, Any], ok, failed, fires) -> None:
    """Rule m: share of successful sessions of the local day, evaluated after each session;
    the failures come first and the last session is a success, so only the final share counts
    for an alarm that is still open at the end."""
    ins = (
        "insert into smf.poll_attempt (meter_id, started_at, duration_ms, trigger, outcome,"
        " error_class) values (%s, %s, 100, 'schedule', %s, %s)"
    )
    t = T0
    for _ in range(failed):
        execute(reg["url"], ins, reg["a12"], t, "link_error", "timeout")
        t += timedelta(minutes=10)
    for _ in range(ok):
        execute(reg["url"], ins, reg["a12"], t, "ok", None)
        t += timedelta(minutes=10)
    assert len(_open(reg["url"], "m")) == (1 if fires else 0)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("kwh", "fires"),
    [
        # default 105 % of the contracted 100 kW = 105 kW; a 15-minute interval of E kWh is
        # E x 4 kW: 26.25 kWh = 105 kW (at the limit), 26.251 kWh = 105.004 kW
        ("26.249", False),
        ("26.250", False),
        ("26.251", True),
    ],
)
def test_contracted_demand_overrun_edge(reg: dict[str, Any], kwh, fires) -> None:
    with driver.connect(reg["settings"]) as c:
        ingest_rows(
            c,
            [IntervalRow(ts=T0, values={"active_fwd_kwh": Decimal(kwh)}, meter_serial="A12")],
            source="import",
        )
    assert _open(reg["url"], "k") == ([Decimal("105.004")] if fires else [])
