"""A finding's identity includes what it is about (issue 24): two phases out of the band in the
same intervals are two findings, one per phase, and an import that meets them lands whole.

The reproduction of the issue, through the CSV import path with VEE on (the default): a 5-minute
meter with the three voltages in its channel map; 10:00 with phases A and B at 134.0 V and C at
127.0 V, 10:05 with all three at 127.0 V. Local time -03:00."""

from __future__ import annotations

import io
from typing import Any

import psycopg
import pytest

from db.ingest import ingest_csv_stream
from tests.vee.conftest import FIVE, findings, local, unit

T0 = local("2026-10-05 10:00")


def _csv(*lines: str) -> io.BytesIO:
    head = "meter_serial,ts,active_fwd_kwh,voltage_a_v,voltage_b_v,voltage_c_v\n"
    return io.BytesIO((head + "\n".join(lines) + "\n").encode())


def _open(conn: psycopg.Connection[Any], meter: int, rule: str) -> list[tuple[Any, ...]]:
    return conn.execute(
        "select subject, ts_from, ts_to, severity, detail from smf.vee_finding"
        " where meter_id = %s and rule = %s and status = 'open' order by subject, ts_from",
        (meter, rule),
    ).fetchall()


@pytest.mark.slow
def test_two_phases_out_of_band_in_one_interval_import_and_give_one_finding_each(conn):
    u = unit(conn, 2401)
    result = ingest_csv_stream(
        conn,
        _csv(
            f"{u.main_serial},2026-10-05T10:00:00-03:00,1.0,134.0,134.0,127.0",
            f"{u.main_serial},2026-10-05T10:05:00-03:00,1.0,127.0,127.0,127.0",
        ),
    )
    assert (result.rows, result.inserted) == (2, 2)
    assert conn.execute(
        "select count(*) from smf.interval_reading where meter_id = %s", (u.main,)
    ).fetchone() == (2,)
    band = _open(conn, u.main, "voltage_band")
    # Detected nominal: the highest phase mean of the day is A's (134 + 127) / 2 = 130.5 V, whose
    # nearest standard value is 127 V. Band 0.92 x 127 = 116.84 V to 1.05 x 127 = 133.35 V:
    # 134.0 V is above it on A and B at 10:00 only; C and the 10:05 interval are inside.
    assert [(f[0], f[1], f[2], f[3]) for f in band] == [
        ("A", T0, T0 + FIVE, "warning"),
        ("B", T0, T0 + FIVE, "warning"),
    ]
    for subject, *_, detail in band:
        assert f"phase {subject} outside 116.8-133.4 V" in detail
        assert "nominal 127 V (detected" in detail


def test_one_phase_out_of_band_is_one_finding(conn):
    u = unit(conn, 2402)
    ingest_csv_stream(
        conn,
        _csv(
            f"{u.main_serial},2026-10-05T10:00:00-03:00,1.0,134.0,127.0,127.0",
            f"{u.main_serial},2026-10-05T10:05:00-03:00,1.0,127.0,127.0,127.0",
        ),
    )
    assert [(f[0], f[1]) for f in _open(conn, u.main, "voltage_band")] == [("A", T0)]


def test_rerun_of_a_per_phase_finding_changes_nothing(conn):
    u = unit(conn, 2403)
    ingest_csv_stream(
        conn,
        _csv(
            f"{u.main_serial},2026-10-05T10:00:00-03:00,1.0,134.0,134.0,134.0",
            f"{u.main_serial},2026-10-05T10:05:00-03:00,1.0,127.0,127.0,127.0",
        ),
    )
    before = findings(conn, u.main)
    # the day again, as after an ingest: the three phases' findings and the gap before 10:00
    # are found again, none is new, none resolved
    got = conn.execute(
        "select smf.vee_validate(%s, %s, %s, true)",
        (u.main, local("2026-10-05 00:00"), local("2026-10-06 00:00")),
    ).fetchone()[0]
    assert got == {"found": 4, "new": 0, "resolved": 0}
    assert findings(conn, u.main) == before


def test_two_poller_events_at_one_instant_are_two_clock_findings(conn):
    u = unit(conn, 2404)
    ingest_csv_stream(conn, _csv(f"{u.main_serial},2026-10-05T10:00:00-03:00,1.0,127,127,127"))
    at = local("2026-10-05 10:02")
    ids = [
        conn.execute(
            "insert into smf.meter_event (meter_id, at, kind, message, dedupe_key)"
            " values (%s, %s, %s, %s, %s) returning id",
            (u.main, at, kind, msg, kind),
        ).fetchone()[0]
        for kind, msg in (("clock_corrected", "set by 40 s"), ("clock_drift_large", "412 s ahead"))
    ]
    conn.execute(
        "select smf.vee_validate(%s, %s, %s, true)",
        (u.main, local("2026-10-05 00:00"), local("2026-10-06 00:00")),
    )
    got = _open(conn, u.main, "clock")
    assert [(f[0], f[1], f[2], f[3]) for f in got] == [
        (f"event {ids[0]}", at, at, "warning"),
        (f"event {ids[1]}", at, at, "error"),
    ]


def test_register_read_pairs_rounded_to_one_span_are_two_findings(conn):
    u = unit(conn, 2405)
    ingest_csv_stream(conn, _csv(f"{u.main_serial},2026-10-05T10:00:00-03:00,1.0,127,127,127"))
    # three reads inside one 5-minute interval, the register going backwards twice: the pairs
    # (10:01, 10:02) and (10:02, 10:03) both round to the span [10:00, 10:00)
    for minute, total in ((1, 1000), (2, 990), (3, 980)):
        conn.execute(
            "insert into smf.register_reading (meter_id, at, period, channel, registers, demands)"
            " values (%s, %s, 'current', 1, %s, %s)",
            (u.main, local(f"2026-10-05 10:0{minute}"), [total, 0, 0, 0, 0, 0, 0], [0] * 7),
        )
    conn.execute(
        "select smf.vee_validate(%s, %s, %s, true)",
        (u.main, local("2026-10-05 00:00"), local("2026-10-06 00:00")),
    )
    got = _open(conn, u.main, "register")
    assert [(f[1], f[2]) for f in got] == [(T0, T0), (T0, T0)]
    assert [f[0] for f in got] == [
        "reads 2026-10-05T13:01:00.000000Z / 2026-10-05T13:02:00.000000Z",
        "reads 2026-10-05T13:02:00.000000Z / 2026-10-05T13:03:00.000000Z",
    ]
    assert all("went backwards" in f[4] for f in got)


def test_rows_of_one_identity_are_merged_before_the_upsert(conn):
    """Any rule (planted here) that reports one identity twice gives one finding: the worst
    severity, the distinct details joined; the upsert never meets a row twice."""
    u = unit(conn, 2406)
    conn.execute(
        "create or replace function smf.vee_rule_spike(p_meter int, p_from timestamptz,"
        " p_to timestamptz) returns table (rule text, ts_from timestamptz, ts_to timestamptz,"
        " severity text, detail text) language sql as $$"
        " select 'spike', p_from, p_from + interval '5 minutes', s, d from (values"
        " ('warning', 'second'), ('error', 'first'), ('warning', 'second')) v(s, d) $$"
    )
    ingest_csv_stream(conn, _csv(f"{u.main_serial},2026-10-05T10:00:00-03:00,1.0,127,127,127"))
    got = _open(conn, u.main, "spike")
    assert [(f[0], f[3], f[4]) for f in got] == [("", "error", "first; second")]
