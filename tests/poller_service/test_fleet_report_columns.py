"""Every column of the fleet reports operators read (smf.meter_config_report, meter_clock_report,
meter_connectivity_report; db/functions/200_poller.sql) and of the dashboard views over sessions
(smf_read.fleet_poll_health, meter_connectivity_daily; 620_dashboards.sql), row by row against
hand-made meters, sessions and clock corrections. Local days are America/Sao_Paulo (-03:00)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal as D
from typing import Any

import psycopg

from tests.ccee.helpers import make_uc
from tests.pins import pins

BRT = timezone(timedelta(hours=-3))
DEFAULT_MAP = ["active_fwd_kwh", "reactive_ind_fwd_kvarh", "reactive_cap_fwd_kvarh"]


def _meter(conn: psycopg.Connection[Any], serial: str, **cols: Any) -> int:
    names = ["serial", *cols]
    row = conn.execute(
        f"insert into smf.meter ({', '.join(names)})"  # type: ignore[arg-type]
        f" values ({', '.join(['%s'] * len(names))}) returning id",
        (serial, *cols.values()),
    ).fetchone()
    assert row is not None
    return int(row[0])


def _session(
    conn: psycopg.Connection[Any],
    meter: int,
    at: datetime,
    outcome: str = "ok",
    *,
    bytes_in: int = 0,
    bytes_out: int = 0,
    duration_ms: int = 0,
    drift: str | None = None,
    drift_after: str | None = None,
) -> None:
    conn.execute(
        "insert into smf.poll_attempt (meter_id, started_at, duration_ms, trigger, outcome,"
        " error_class, bytes_in, bytes_out, clock_drift_s, clock_drift_after_s)"
        " values (%s, %s, %s, 'schedule', %s, %s, %s, %s, %s, %s)",
        (
            meter,
            at,
            duration_ms,
            outcome,
            None if outcome == "ok" else "X",
            bytes_in,
            bytes_out,
            drift,
            drift_after,
        ),
    )


def _correction(
    conn: psycopg.Connection[Any],
    meter: int,
    at: datetime,
    kind: str,
    outcome: str,
    before: datetime | None = None,
    after: datetime | None = None,
) -> None:
    conn.execute(
        "insert into smf.clock_correction (meter_id, at, kind, outcome, meter_before,"
        " meter_after, reference_time, reason) values (%s, %s, %s, %s, %s, %s, %s, 'test')",
        (meter, at, kind, outcome, before, after, at),
    )


def _now(conn: psycopg.Connection[Any]) -> datetime:
    """The transaction's clock: what now() is in every query of this test."""
    row = conn.execute("select now()").fetchone()
    assert row is not None
    return row[0]


def test_config_report_shows_registry_dlms_settings_and_clock_policy_of_each_meter(
    conn: psycopg.Connection[Any],
) -> None:
    """One row per registered meter, ordered by serial: the registry row, the DLMS settings
    (null for a meter without them) and the clock policy in seconds (own row, else settings)."""
    conn.execute("update smf.setting set value = '90' where key = 'clock_correct_min_s'")
    abnt = _meter(
        conn,
        "CF-B",
        model="ELO2113",
        transport="tcp://10.0.0.1:4001",
        poll_schedule="hourly",
        mm_layout="hi-first/bcd",
        register_unit="kwh_x10",
    )
    dlms = _meter(
        conn,
        "CF-A",
        protocol="dlms",
        interval_minutes=15,
        utc_offset_minutes=0,
        transport="serial:///dev/ttyUSB0",
        poll_schedule="never",
        enabled=False,
        channel_map=["active_fwd_kwh"],
    )
    _meter(conn, "CF-C", protocol="import_only")  # no transport, no schedule of its own
    conn.execute(
        "insert into smf.dlms_meter (meter_id, client_sap, server_logical, server_physical, auth,"
        " profile_obis, profile_kind, energy_unit)"
        " values (%s, 1, 1, 17, 'lls', '1.0.99.2.0.255', 'cumulative', 'wh')",
        (dlms,),
    )
    # the DLMS meter's own policy: off, max 600 s; its min falls back to the setting (90 s)
    conn.execute(
        "insert into smf.meter_clock_policy (meter_id, auto_correct, correct_max_s)"
        " values (%s, false, 600)",
        (dlms,),
    )
    rows = conn.execute(
        "select * from smf.meter_config_report() where serial like 'CF-%'"
    ).fetchall()
    assert abnt != dlms
    assert rows == [
        # serial, protocol, transport, interval_minutes, utc_offset_minutes, poll_schedule,
        # enabled, model, channel_map, mm_layout, register_unit, dlms_client_sap,
        # dlms_server_logical, dlms_server_physical, dlms_auth, dlms_profile_obis,
        # dlms_profile_kind, dlms_energy_unit, clock_auto_correct, clock_correct_min_s,
        # clock_correct_max_s
        (
            "CF-A", "dlms", "serial:///dev/ttyUSB0", 15, 0, "never", False, None,
            ["active_fwd_kwh"], "undetermined", "undetermined",
            1, 1, 17, "lls", "1.0.99.2.0.255", "cumulative", "wh",
            False, 90, 600,
        ),
        # defaults of the registry: 5 min, -180 min (Brasília), the 3 legacy channels; no DLMS
        # row; policy from the settings: on, 90 s (changed above), 3600 s
        (
            "CF-B", "nbr14522", "tcp://10.0.0.1:4001", 5, -180, "hourly", True, "ELO2113",
            DEFAULT_MAP, "hi-first/bcd", "kwh_x10",
            None, None, None, None, None, None, None,
            True, 90, 3600,
        ),
        (
            "CF-C", "import_only", None, 5, -180, "daily", True, None,
            DEFAULT_MAP, "undetermined", "undetermined",
            None, None, None, None, None, None, None,
            True, 90, 3600,
        ),
    ]  # fmt: skip


def test_clock_report_shows_last_drift_and_counts_corrections_of_the_last_days(
    conn: psycopg.Connection[Any],
) -> None:
    """Last measured drift (s) and what was left; corrections (corrected + partial), deferrals
    and refusals of the last p_days days (a correction exactly p_days ago is out); the newest
    correction that moved the clock, with the meter's time before and after."""
    now = _now(conn)
    a = _meter(conn, "CK-A", transport="tcp://10.0.0.2:1")
    _meter(conn, "CK-B", protocol="dlms")  # never read, never corrected
    _meter(conn, "CK-C", protocol="import_only")  # not polled: not in the report
    h = timedelta(hours=1)
    _session(conn, a, now - 3 * h, drift="300.0", drift_after="0.4")
    _session(conn, a, now - 2 * h, "link_error")  # no drift measured
    _session(conn, a, now - 1 * h, drift="-12.5")  # the newest drift; nothing corrected after
    _session(conn, a, now - timedelta(minutes=30), "meter_busy")
    d = timedelta(days=1)
    partial_at = now - d
    before = datetime(2024, 3, 8, 12, 5, 0, tzinfo=UTC)
    after = datetime(2024, 3, 8, 12, 0, 30, tzinfo=UTC)
    _correction(conn, a, now - h, "auto", "deferred")  # newer, but it moved nothing
    _correction(conn, a, partial_at, "operator", "partial", before, after)
    _correction(conn, a, now - 2 * d, "auto", "corrected", before, after)
    _correction(conn, a, now - 5 * d, "auto", "refused")
    _correction(conn, a, now - 6 * d, "auto", "failed")  # counted nowhere
    _correction(conn, a, now - 7 * d, "operator", "checked")  # counted nowhere
    _correction(conn, a, now - 30 * d + timedelta(seconds=1), "auto", "deferred")  # inside
    _correction(conn, a, now - 30 * d, "auto", "corrected", before, after)  # exactly 30 d: out
    _correction(conn, a, now - 40 * d, "auto", "refused")  # out
    rows = conn.execute(
        "select serial, protocol, last_drift_at, last_drift_s, drift_after_s, corrections,"
        " deferred, refused, last_correction_at, last_correction_kind, last_meter_before,"
        " last_meter_after from smf.meter_clock_report() where serial like 'CK-%'"
    ).fetchall()
    assert rows == [
        # corrections: partial (1 d) + corrected (2 d) = 2; deferred: 1 h + 30 d - 1 s = 2;
        # refused: 5 d = 1 (40 d is out)
        ("CK-A", "nbr14522", now - h, D("-12.5"), None, 2, 2, 1,
         partial_at, "operator", before, after),
        ("CK-B", "dlms", None, None, None, 0, 0, 0, None, None, None, None),
    ]  # fmt: skip
    # over the last 3 days only: 2 corrections, 1 deferral (1 h), no refusal (5 d)
    (row,) = conn.execute(
        "select corrections, deferred, refused from smf.meter_clock_report(3) where serial = 'CK-A'"
    ).fetchall()
    assert row == (2, 1, 0)


def test_connectivity_report_counts_ok_sessions_and_their_percentage(
    conn: psycopg.Connection[Any],
) -> None:
    """Per meter over [from, to): sessions, ok ones, ok % (1 decimal), bytes in / out, mean
    duration (ms, rounded), the last session and its outcome, the most frequent failure (a tie
    goes to the outcome first in alphabetical order); import-only meters are left out."""
    lo = datetime(2024, 3, 1, tzinfo=BRT)  # 2024-03-01 03:00 UTC
    hi = lo + timedelta(days=1)
    a = _meter(conn, "CN-A")
    b = _meter(conn, "CN-B", protocol="dlms")
    _meter(conn, "CN-C")  # no session in the range
    _meter(conn, "CN-D", protocol="import_only")

    def at(hh: int, mm: int = 0, ss: int = 0) -> datetime:
        return lo + timedelta(hours=hh, minutes=mm, seconds=ss)

    _session(conn, a, lo - timedelta(seconds=1), "wrong_meter", bytes_in=9999)  # before: out
    _session(conn, a, lo, "ok", bytes_in=1000, bytes_out=200, duration_ms=1500)  # edge: in
    _session(conn, a, at(10), "link_error", bytes_in=10, bytes_out=20, duration_ms=3000)
    _session(conn, a, at(11), "meter_busy", bytes_out=5, duration_ms=100)
    _session(conn, a, at(12), "meter_busy", bytes_out=5, duration_ms=2001)
    _session(conn, a, at(13), "link_error", duration_ms=1000)
    _session(conn, a, at(23, 59, 59), "ok", bytes_in=500, bytes_out=100, duration_ms=400)
    _session(conn, a, hi, "wrong_meter", bytes_in=9999)  # the end is out
    _session(conn, b, at(6), "ok", bytes_in=7, bytes_out=3, duration_ms=250)
    _session(conn, b, at(7), "ok", bytes_in=7, bytes_out=3, duration_ms=251)
    rows = conn.execute(
        "select serial, protocol, sessions, ok, ok_pct, bytes_in, bytes_out, mean_duration_ms,"
        " last_attempt_at, last_outcome, top_failure"
        " from smf.meter_connectivity_report(%s, %s) where serial like 'CN-%%'",
        (lo, hi),
    ).fetchall()
    assert rows == [
        # 6 sessions, 2 ok: 100 x 2 / 6 = 33.33 -> 33.3 %; in 1000 + 10 + 500 = 1510,
        # out 200 + 20 + 5 + 5 + 100 = 330; mean (1500 + 3000 + 100 + 2001 + 1000 + 400) / 6
        # = 8001 / 6 = 1333.5 -> 1334 ms; failures link_error 2, meter_busy 2: link_error
        ("CN-A", "nbr14522", 6, 2, D("33.3"), 1510, 330, D("1334"), at(23, 59, 59), "ok",
         "link_error"),
        # 2 of 2 ok: 100.0 %; mean (250 + 251) / 2 = 250.5 -> 251 ms; no failure
        ("CN-B", "dlms", 2, 2, D("100.0"), 14, 6, D("251"), at(7), "ok", None),
        # no session: no share (not 0 %), no bytes, no mean
        ("CN-C", "nbr14522", 0, 0, None, 0, 0, None, None, None, None),
    ]  # fmt: skip


@pins("smf_read.fleet_poll_health.*")
def test_fleet_poll_health_shows_last_session_failures_since_ok_and_monitoring(
    conn: psycopg.Connection[Any],
) -> None:
    """Per enabled polled meter: its UC, schedule, last session and outcome, last ok session,
    failures since it, and whether a 15-minute monitoring window holds now (start included,
    end excluded). smf_read.fleet_poll_health is this view's copy (tests/api/test_visibility.py
    compares them row for row)."""
    now = _now(conn)
    h = timedelta(hours=1)
    uc = make_uc(conn, 1, registered=None)  # meter C391-1, customer 'Test'
    conn.execute(
        "update smf.meter set transport = 'tcp://10.0.0.3:1', poll_schedule = '15min'"
        " where id = %s",
        (uc.meter_id,),
    )
    b = _meter(conn, "FP-B", transport="tcp://10.0.0.3:2")
    c = _meter(conn, "FP-C", transport="tcp://10.0.0.3:3", poll_schedule="never")
    _meter(conn, "FP-D", transport="tcp://10.0.0.3:4", enabled=False)  # disabled: out
    _meter(conn, "FP-E")  # no transport: out
    _meter(conn, "FP-F", transport="tcp://10.0.0.3:6", protocol="import_only")  # out
    _session(conn, uc.meter_id, now - 4 * h, "link_error")  # before the last ok: not counted
    _session(conn, uc.meter_id, now - 3 * h, "ok")
    _session(conn, uc.meter_id, now - 2 * h, "link_error")
    _session(conn, uc.meter_id, now - 1 * h, "meter_busy")
    _session(conn, c, now - 2 * h, "link_error")
    _session(conn, c, now - 1 * h, "link_error")  # never ok: every failure counts
    for meter, starts, ends in (
        (uc.meter_id, now - h, now + h),  # holds now
        (b, now - 2 * h, now),  # ended exactly now: no longer
        (c, now, now + h),  # starts exactly now: holds
    ):
        conn.execute(
            "insert into smf.meter_monitoring (meter_id, starts_at, ends_at) values (%s, %s, %s)",
            (meter, starts, ends),
        )
    rows = conn.execute(
        "select meter_id, serial, uc_code, customer_name, poll_schedule, last_attempt_at,"
        " last_outcome, last_ok_at, failures_since_ok, monitoring from smf.fleet_poll_health"
        " where serial like 'FP-%' or serial = 'C391-1' order by serial"
    ).fetchall()
    assert rows == [
        (uc.meter_id, "C391-1", uc.code, "Test", "15min", now - h, "meter_busy", now - 3 * h,
         2, True),
        (b, "FP-B", None, None, "daily", None, None, None, 0, False),
        (c, "FP-C", None, None, "never", now - h, "link_error", None, 2, True),
    ]  # fmt: skip


@pins("smf_read.meter_connectivity_daily.*")
def test_connectivity_daily_counts_sessions_per_local_day(
    conn: psycopg.Connection[Any],
) -> None:
    """Per meter and local day (America/Sao_Paulo, -03:00): sessions, ok ones, connectivity %
    (1 decimal) and bytes in + out; 02:59:59 UTC is still the previous local day.
    smf_read.meter_connectivity_daily is this view's copy (compared by test_visibility)."""
    a = _meter(conn, "CD-A")
    b = _meter(conn, "CD-B")
    # local 2024-02-29 23:59:59 (leap day); the UTC date is already 03-01
    _session(conn, a, datetime(2024, 3, 1, 2, 59, 59, tzinfo=UTC), "ok", bytes_in=100, bytes_out=10)
    # local 2024-03-01 00:00:00 .. 23:59:59
    _session(conn, a, datetime(2024, 3, 1, 3, 0, 0, tzinfo=UTC), "link_error", bytes_out=5)
    _session(conn, a, datetime(2024, 3, 1, 12, 0, tzinfo=UTC), "ok", bytes_in=200, bytes_out=20)
    late = datetime(2024, 3, 2, 2, 59, 59, tzinfo=UTC)  # local 03-01 23:59:59
    _session(conn, a, late, "meter_busy", bytes_in=1, bytes_out=1)
    _session(conn, b, datetime(2024, 3, 1, 15, 0, tzinfo=UTC), "ok", bytes_in=7, bytes_out=8)
    _session(conn, b, datetime(2024, 3, 1, 16, 0, tzinfo=UTC), "ok", bytes_in=1, bytes_out=1)
    _session(conn, b, datetime(2024, 3, 1, 17, 0, tzinfo=UTC), "link_error")
    rows = conn.execute(
        "select meter_id, serial, day_start, sessions, ok, connectivity_pct, bytes"
        " from smf.meter_connectivity_daily where serial like 'CD-%' order by serial, day_start"
    ).fetchall()
    feb29 = datetime(2024, 2, 29, tzinfo=BRT)  # 03:00 UTC
    mar1 = datetime(2024, 3, 1, tzinfo=BRT)
    assert rows == [
        (a, "CD-A", feb29, 1, 1, D("100.0"), 110),
        # 3 sessions, 1 ok: 100 / 3 = 33.33 -> 33.3 %; bytes 5 + 220 + 2 = 227
        (a, "CD-A", mar1, 3, 1, D("33.3"), 227),
        # 3 sessions, 2 ok: 200 / 3 = 66.67 -> 66.7 %; bytes 15 + 2 + 0 = 17
        (b, "CD-B", mar1, 3, 2, D("66.7"), 17),
    ]
