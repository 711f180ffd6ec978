"""Each VEE rule function's finding rows, whole, for a hand-built day that just trips it: rule,
subject, the UTC [ts_from, ts_to) at interval edges, severity and the detail text.

The rules are called directly (`select * from smf.vee_rule_x(meter, from, to)`) over local day
2026-10-05 (a Monday; local time -03:00, so 00:00 local = 03:00 UTC); five-minute interval i of
the day starts at 00:00 + 5 i min local. Default parameters (migration 0008) unless a test sets
one for its meter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from tests.vee.conftest import day_rows, local, put, unit

DAY = "2026-10-05"
D0 = local(f"{DAY} 00:00")  # = 2026-10-05 03:00 UTC
D1 = local("2026-10-06 00:00")  # = 2026-10-06 03:00 UTC


def utc(hh: int, mm: int, ss: int = 0, day: int = 5) -> datetime:
    return datetime(2026, 10, day, hh, mm, ss, tzinfo=UTC)


def rows_of(conn: psycopg.Connection[Any], sql: str, *args: Any) -> list[tuple[Any, ...]]:
    return sorted(conn.execute(sql, args).fetchall(), key=lambda r: tuple(map(str, r)))


def param(conn: psycopg.Connection[Any], meter: int, key: str, value: float) -> None:
    conn.execute(
        "insert into smf.vee_parameter (key, meter_id, value) values (%s, %s, %s)",
        (key, meter, value),
    )


def test_missing_rule_reports_each_gap_from_its_first_missing_start_to_the_next_stored_start(
    conn: psycopg.Connection[Any],
) -> None:
    """Runs of 3, 11 and 12 absent intervals (12 = missing_long_run: error); the day's last
    interval is reported only when p_upto_last is false."""
    u = unit(conn, 7101)
    put(
        conn,
        u.main_serial,
        day_rows(DAY, 1.0, skip=[*range(10, 13), *range(100, 112), *range(200, 211), 287]),
    )
    sql = "select * from smf.vee_rule_missing(%s, %s, %s, %s)"
    # i = 10: 50 min = 00:50 local = 03:50Z; gap ends at i = 13 = 01:05 local = 04:05Z
    # i = 100: 500 min = 08:20 local = 11:20Z, to i = 112 = 09:20 local = 12:20Z (12 >= 12: error)
    # i = 200: 1000 min = 16:40 local = 19:40Z, to i = 211 = 17:35 local = 20:35Z (11: warning)
    # i = 287: 23:55 local = 02:55Z of the 6th, to the day's end 00:00 local = 03:00Z
    inner = [
        (
            "missing",
            utc(3, 50),
            utc(4, 5),
            "warning",
            "3 interval(s) of 5 min missing, 2026-10-05 00:50 to 2026-10-05 01:05 (local)",
        ),
        (
            "missing",
            utc(11, 20),
            utc(12, 20),
            "error",
            "12 interval(s) of 5 min missing, 2026-10-05 08:20 to 2026-10-05 09:20 (local)",
        ),
        (
            "missing",
            utc(19, 40),
            utc(20, 35),
            "warning",
            "11 interval(s) of 5 min missing, 2026-10-05 16:40 to 2026-10-05 17:35 (local)",
        ),
    ]
    trailing = (
        "missing",
        utc(2, 55, day=6),
        utc(3, 0, day=6),
        "warning",
        "1 interval(s) of 5 min missing, 2026-10-05 23:55 to 2026-10-06 00:00 (local)",
    )
    assert rows_of(conn, sql, u.main, D0, D1, False) == sorted(
        [*inner, trailing], key=lambda r: tuple(map(str, r))
    )
    assert rows_of(conn, sql, u.main, D0, D1, True) == sorted(
        inner, key=lambda r: tuple(map(str, r))
    )


def test_zero_run_rule_reports_the_run_from_its_first_to_its_last_interval_end(
    conn: psycopg.Connection[Any],
) -> None:
    """12 zero intervals (zero_run_intervals) are a run; 11 are not, and count as other
    intervals that do not consume in the share."""
    u = unit(conn, 7102)
    kwh = [1.0] * 288
    for i in [*range(24, 36), *range(48, 59)]:
        kwh[i] = 0.0
    put(conn, u.main_serial, day_rows(DAY, kwh))
    # run i = 24..35: 02:00 local = 05:00Z to i = 36 = 03:00 local = 06:00Z.
    # share: other intervals = 288 - 12 = 276, of which non-zero 288 - 12 - 11 = 265;
    # 265 / 276 = 0.96014 -> 96.0 % (>= zero_normal_share 0.8)
    assert conn.execute(
        "select * from smf.vee_rule_zero_run(%s, %s, %s)", (u.main, D0, D1)
    ).fetchall() == [
        (
            "zero_run",
            utc(5, 0),
            utc(6, 0),
            "warning",
            "12 consecutive interval(s) with zero active energy, 2026-10-05 02:00 to"
            " 2026-10-05 03:00 (local); 96.0% of the other intervals consume",
        )
    ]


def test_reverse_flow_rule_reports_runs_at_or_above_the_threshold_on_a_uc_without_generation(
    conn: psycopg.Connection[Any],
) -> None:
    """3 intervals of 0.5 kWh reverse (1.500 kWh), and one of exactly reverse_min_wh = 1 Wh; a
    UC with generation gets nothing for the same data."""
    u = unit(conn, 7103)
    g = unit(conn, 7104, generation=True)
    rows = day_rows(DAY, 1.0)
    for i in (40, 41, 42):
        rows[i][1]["active_rev_kwh"] = 0.5  # 500 Wh each, 1500 Wh = 1.500 kWh in all
    rows[100][1]["active_rev_kwh"] = 0.001  # 1 Wh = reverse_min_wh: counts (>=)
    put(conn, u.main_serial, rows)
    put(conn, g.main_serial, rows)
    sql = "select * from smf.vee_rule_reverse_flow(%s, %s, %s)"
    # i = 40: 200 min = 03:20 local = 06:20Z, to i = 43 = 03:35 local = 06:35Z
    # i = 100: 08:20 local = 11:20Z, to 08:25 local = 11:25Z
    assert rows_of(conn, sql, u.main, D0, D1) == [
        (
            "reverse_flow",
            utc(6, 20),
            utc(6, 35),
            "warning",
            "3 interval(s) with reverse active energy (1.500 kWh in all), 2026-10-05 03:20 to"
            " 2026-10-05 03:35 (local), on a UC without generation",
        ),
        (
            "reverse_flow",
            utc(11, 20),
            utc(11, 25),
            "warning",
            "1 interval(s) with reverse active energy (0.001 kWh in all), 2026-10-05 08:20 to"
            " 2026-10-05 08:25 (local), on a UC without generation",
        ),
    ]
    assert rows_of(conn, sql, g.main, D0, D1) == []


def test_voltage_rule_reports_a_band_run_and_a_phase_loss_per_phase_with_the_nominal_used(
    conn: psycopg.Connection[Any],
) -> None:
    """Nominal 127 V configured for the meter: band 0.92-1.05 x 127 = 116.84-133.35 V, phase
    loss below 0.1 x 127 = 12.7 V while another phase is in the band."""
    u = unit(conn, 7105)
    param(conn, u.main, "voltage_nominal_v", 127)
    rows = day_rows(DAY, 1.0, volts=127.0)
    rows[60][1]["voltage_a_v"] = 140.0  # i = 60: 05:00 local = 08:00Z
    rows[61][1]["voltage_a_v"] = 138.0  # i = 61: 05:05 local; the run ends 05:10 = 08:10Z
    rows[80][1]["voltage_c_v"] = 5.0  # i = 80: 06:40 local = 09:40Z, to 06:45 = 09:45Z
    put(conn, u.main_serial, rows)
    # 116.84 -> 116.8, 133.35 -> 133.4 (rounded half away from zero); mV shown as V, 3 decimals
    assert rows_of(conn, "select * from smf.vee_rule_voltage(%s, %s, %s)", u.main, D0, D1) == [
        (
            "phase_loss",
            "C",
            utc(9, 40),
            utc(9, 45),
            "error",
            "phase C near zero (min 5.000 V, below 12.7 V) while another phase is normal,"
            " 1 interval(s) 2026-10-05 06:40 to 2026-10-05 06:45 (local); nominal 127 V"
            " (configured)",
        ),
        (
            "voltage_band",
            "A",
            utc(8, 0),
            utc(8, 10),
            "warning",
            "phase A outside 116.8-133.4 V (min 138.000 V, max 140.000 V), 2 interval(s)"
            " 2026-10-05 05:00 to 2026-10-05 05:10 (local); nominal 127 V (configured)",
        ),
    ]


def test_demand_rule_reports_a_15_minute_bucket_above_the_factor_times_the_contract(
    conn: psycopg.Connection[Any],
) -> None:
    """Contracted 100 kW x demand_sanity_factor 3 = 300 kW: 360 kW is reported, exactly
    300 kW is not (the limit is strict)."""
    u = unit(conn, 7106, demand_kw=100)
    kwh = [1.0] * 288
    for i in (144, 145, 146):  # 12:00-12:15 local: 3 x 30 kWh = 90 kWh x 4 = 360 kW
        kwh[i] = 30.0
    for i in (204, 205, 206):  # 17:00-17:15 local: 3 x 25 kWh = 75 kWh x 4 = 300 kW
        kwh[i] = 25.0
    put(conn, u.main_serial, day_rows(DAY, kwh))
    assert conn.execute(
        "select * from smf.vee_rule_demand(%s, %s, %s)", (u.main, D0, D1)
    ).fetchall() == [
        (
            "demand",
            utc(15, 0),  # 12:00 local
            utc(15, 15),
            "error",
            "15-minute demand 360.000 kW at 2026-10-05 12:00 (local) is above 3 x the"
            " contracted demand (100.000 kW)",
        )
    ]


def test_clock_rule_reports_each_clock_event_and_off_grid_rows_per_local_day(
    conn: psycopg.Connection[Any],
) -> None:
    """Two clock events at one instant are two findings (subject 'event N'); an event at p_to
    and a 'gap' event are not reported; two off-grid rows of one local day are one finding."""
    u = unit(conn, 7107)
    ev = {}
    for kind, at, msg in [
        ("clock_drift_large", utc(4, 0), "drift 130 s"),
        ("clock_corrected", utc(4, 0), "corrected by 40 s"),
        ("clock_corrected", utc(3, 0, day=6), "at p_to: outside"),
        ("gap", utc(5, 0), "not a clock event"),
    ]:
        ev[msg] = conn.execute(
            "insert into smf.meter_event (meter_id, at, kind, message) values (%s, %s, %s, %s)"
            " returning id",
            (u.main, at, kind, msg),
        ).fetchone()[0]
    # 00:07 local = 03:07Z and 01:02 local = 04:02Z are off the 5-minute grid
    put(
        conn,
        u.main_serial,
        [(D0 + timedelta(minutes=7), {"active_fwd_kwh": 1.0})],
    )
    put(
        conn,
        u.main_serial,
        [(D0 + timedelta(minutes=62), {"active_fwd_kwh": 1.0})],
    )
    got = conn.execute(
        "select * from smf.vee_rule_clock(%s, %s, %s) order by rule, severity", (u.main, D0, D1)
    ).fetchall()
    assert got == [
        (
            "clock",
            f"event {ev['drift 130 s']}",
            utc(4, 0),
            utc(4, 0),
            "error",
            "clock_drift_large: drift 130 s",
        ),
        (
            "clock",
            f"event {ev['corrected by 40 s']}",
            utc(4, 0),
            utc(4, 0),
            "warning",
            "clock_corrected: corrected by 40 s",
        ),
        (
            "interval_length",
            "",
            utc(3, 7),
            utc(4, 2),
            "error",
            # 03:07 UTC is 00:07 at -03:00
            "2 row(s) off the 5-minute grid quarantined on 2026-10-05 (first at"
            " 2026-10-05 00:07 local)",
        ),
    ]


def test_meter_status_rule_reports_outages_of_at_least_a_minute_and_status_events(
    conn: psycopg.Connection[Any],
) -> None:
    """Closed outages of 30 min and exactly outage_min_minutes = 1 min are reported, one of
    30 s is not; serial changes are errors, contradictions and battery conditions warnings."""
    u = unit(conn, 7108)
    for start, end in [
        (utc(13, 0), utc(13, 30)),  # 10:00-10:30 local, 30.0 min
        (utc(15, 0), utc(15, 0, 30)),  # 0.5 min < 1: not reported
        (utc(16, 0), utc(16, 1)),  # 13:00-13:01 local, 1.0 min = the minimum
    ]:
        conn.execute(
            "insert into smf.meter_outage (meter_id, start_at, end_at) values (%s, %s, %s)",
            (u.main, start, end),
        )
    ev = {}
    for kind, at, msg, detail in [
        ("serial_changed", utc(5, 0), "serial 123 -> 456", "{}"),
        ("plausibility_contradiction", utc(6, 0), "energy vs demand", "{}"),
        ("meter_log", utc(7, 0), "battery low", '{"battery": "low"}'),
        ("meter_log", utc(8, 0), "cover opened", "{}"),  # neither kind nor battery: left out
    ]:
        ev[msg] = conn.execute(
            "insert into smf.meter_event (meter_id, at, kind, message, detail)"
            " values (%s, %s, %s, %s, %s) returning id",
            (u.main, at, kind, msg, detail),
        ).fetchone()[0]
    got = conn.execute(
        "select * from smf.vee_rule_meter_status(%s, %s, %s) order by ts_from", (u.main, D0, D1)
    ).fetchall()
    assert got == [
        (
            "meter_status",
            f"event {ev['serial 123 -> 456']}",
            utc(5, 0),
            utc(5, 0),
            "error",
            "serial_changed: serial 123 -> 456",
        ),
        (
            "meter_status",
            f"event {ev['energy vs demand']}",
            utc(6, 0),
            utc(6, 0),
            "warning",
            "plausibility_contradiction: energy vs demand",
        ),
        (
            "meter_status",
            f"event {ev['battery low']}",
            utc(7, 0),
            utc(7, 0),
            "warning",
            "battery: battery low",
        ),
        (
            "outage",
            "",
            utc(13, 0),
            utc(13, 30),
            "warning",
            "supply outage reported by the meter from 2026-10-05 10:00 to 2026-10-05 10:30"
            " (local), 30.0 min",
        ),
        (
            "outage",
            "",
            utc(16, 0),
            utc(16, 1),
            "warning",
            "supply outage reported by the meter from 2026-10-05 13:00 to 2026-10-05 13:01"
            " (local), 1.0 min",
        ),
    ]


def test_meter_status_rule_reports_an_open_outage_up_to_the_range_end_without_a_duration(
    conn: psycopg.Connection[Any],
) -> None:
    """An outage still open (no end) ends at p_to and says 'still open', with no minutes."""
    u = unit(conn, 7109)
    conn.execute(
        "insert into smf.meter_outage (meter_id, start_at) values (%s, %s)", (u.main, utc(20, 0))
    )
    # 20:00Z = 17:00 local; p_to = 2026-10-06 03:00Z
    assert conn.execute(
        "select * from smf.vee_rule_meter_status(%s, %s, %s)", (u.main, D0, D1)
    ).fetchall() == [
        (
            "outage",
            "",
            utc(20, 0),
            utc(3, 0, day=6),
            "warning",
            "supply outage reported by the meter from 2026-10-05 17:00 to still open (local)",
        )
    ]


def register(conn: psycopg.Connection[Any], meter: int, at: datetime, total: int) -> None:
    conn.execute(
        "insert into smf.register_reading (meter_id, at, period, channel, registers, demands)"
        " values (%s, %s, 'current', 1, %s, %s)",
        (meter, at, [total, 0, 0, 0, 0, 0, 0], [0] * 7),
    )


def test_register_rule_reports_a_pair_off_by_more_than_the_tolerance_and_a_backwards_register(
    conn: psycopg.Connection[Any],
) -> None:
    """10 Wh per unit configured; 1 kWh per interval. Pair 1: 1000 units = 10 kWh against
    12 kWh; pair 2: -5 units; pair 3: 1176 units = 11.76 kWh, off by exactly 2 % (not more)."""
    u = unit(conn, 7110)
    param(conn, u.main, "register_wh_per_unit", 10)
    put(conn, u.main_serial, day_rows(DAY, 1.0))
    # reads 30 s after the hour: 00:00:30, 01:00:30, 02:00:30, 03:00:30 local
    for h, total in [(0, 5000), (1, 6000), (2, 5995), (3, 7171)]:
        register(conn, u.main, D0 + timedelta(hours=h, seconds=30), total)
    assert rows_of(conn, "select * from smf.vee_register_pairs(%s, %s, %s)", u.main, D0, D1) == [
        # read_from, read_to, lo/hi rounded down to the grid, raw delta, 12 x 1000 Wh, 12 of 12
        (utc(3, 0, 30), utc(4, 0, 30), utc(3, 0), utc(4, 0), 1000, 12000, 12, 12),
        (utc(4, 0, 30), utc(5, 0, 30), utc(4, 0), utc(5, 0), -5, 12000, 12, 12),
        (utc(5, 0, 30), utc(6, 0, 30), utc(5, 0), utc(6, 0), 1176, 12000, 12, 12),
    ]
    # pair 1: |1000 x 10 - 12000| = 2000 > 0.02 x 12000 = 240; pair 3: |11760 - 12000| = 240
    assert rows_of(conn, "select * from smf.vee_rule_register(%s, %s, %s)", u.main, D0, D1) == [
        (
            "register",
            "reads 2026-10-05T03:00:30.000000Z / 2026-10-05T04:00:30.000000Z",
            utc(3, 0),
            utc(4, 0),
            "error",
            "register delta 10.000 kWh (1000 raw units x 10 Wh, configured) but the intervals"
            " sum to 12.000 kWh between the reads of 2026-10-05 00:00 and 2026-10-05 01:00"
            " (local); tolerance 2.00%",
        ),
        (
            "register",
            "reads 2026-10-05T04:00:30.000000Z / 2026-10-05T05:00:30.000000Z",
            utc(4, 0),
            utc(5, 0),
            "error",
            "the total register went backwards between the reads of 2026-10-05 01:00 and"
            " 2026-10-05 02:00 (local): -5 raw units",
        ),
    ]


def test_register_scale_is_the_configured_value_or_the_power_of_ten_nearest_the_median_ratio(
    conn: psycopg.Connection[Any],
) -> None:
    """Detected: median of the complete pairs' Wh / raw unit, as the nearest power of ten; null
    before any complete pair; configured: the parameter as given."""
    u = unit(conn, 7111)
    put(conn, u.main_serial, day_rows(DAY, 1.0))
    sql = "select wh_per_unit, how from smf.vee_register_scale(%s, %s)"
    assert conn.execute(sql, (u.main, D1)).fetchone() == (None, "detected")
    # pairs of 12 x 1000 Wh: 1000 units (ratio 12) and 1176 units (ratio 10.204);
    # median 11.102, log10 = 1.045 -> 10^1 = 10 Wh per unit
    for h, total in [(0, 5000), (1, 6000), (2, 7176)]:
        register(conn, u.main, D0 + timedelta(hours=h, seconds=30), total)
    assert conn.execute(sql, (u.main, D1)).fetchone() == (10, "detected")
    param(conn, u.main, "register_wh_per_unit", 0.5)
    assert conn.execute(sql, (u.main, D1)).fetchone() == (pytest.approx(0.5), "configured")


def test_backup_rule_reports_interval_runs_utc_hours_and_local_days_over_their_tolerances(
    conn: psycopg.Connection[Any],
) -> None:
    """Main 1 kWh every interval; backup 0.5 kWh from 10:00 to 11:00 local, and 0.9 kWh once
    (deviation 100 Wh = exactly 10 % of 1000 Wh: not more)."""
    u = unit(conn, 7112, backup=True)
    put(conn, u.main_serial, day_rows(DAY, 1.0))
    kwh = [1.0] * 288
    for i in range(120, 132):  # i = 120: 600 min = 10:00 local = 13:00Z
        kwh[i] = 0.5
    kwh[200] = 0.9  # 16:40 local
    put(conn, u.backup_serial, day_rows(DAY, kwh))
    # hour 13:00Z: main 12 x 1000 = 12000, backup 6000: 6000 / 12000 = 50.00 % > 5 %
    # day: main 288000, backup 288000 - 6000 - 100 = 281900: 6100 / 288000 = 2.118 -> 2.12 % > 2 %
    # hour 19:00Z: 100 / 12000 = 0.83 % <= 5 %: no finding
    b = u.backup_serial
    assert rows_of(conn, "select * from smf.vee_rule_backup(%s, %s, %s)", u.main, D0, D1) == [
        (
            "backup_day",
            utc(3, 0),
            utc(3, 0, day=6),
            "error",
            f"main 288.000 kWh and backup ({b}) 281.900 kWh differ by 2.12% (limit 2.00%)"
            " on 2026-10-05",
        ),
        (
            "backup_hour",
            utc(13, 0),
            utc(14, 0),
            "warning",
            f"main 12.000 kWh and backup ({b}) 6.000 kWh differ by 50.00% (limit 5.00%) in the"
            " hour from 2026-10-05 10:00 (local)",
        ),
        (
            "backup_interval",
            utc(13, 0),
            utc(14, 0),
            "warning",
            f"main and backup ({b}) differ by more than 10.00% in 12 interval(s) 2026-10-05 10:00"
            " to 2026-10-05 11:00 (local); largest: main 1.000 kWh, backup 0.500 kWh",
        ),
    ]


def test_a_rule_finds_nothing_on_a_meter_that_trips_none(conn: psycopg.Connection[Any]) -> None:
    """A complete flat day at 127 V: every rule function returns no row."""
    u = unit(conn, 7113, backup=True)
    put(conn, u.main_serial, day_rows(DAY, 1.0, volts=127.0))
    put(conn, u.backup_serial, day_rows(DAY, 1.0))
    for fn in (
        "vee_rule_missing",
        "vee_rule_zero_run",
        "vee_rule_reverse_flow",
        "vee_rule_voltage",
        "vee_rule_demand",
        "vee_rule_clock",
        "vee_rule_register",
        "vee_rule_backup",
        "vee_rule_meter_status",
    ):
        assert conn.execute(
            f"select count(*) from smf.{fn}(%s, %s, %s)", (u.main, D0, D1)
        ).fetchone() == (0,), fn


def test_clock_rule_interval_length_detail_does_not_depend_on_the_session_time_zone(
    conn: psycopg.Connection[Any],
) -> None:
    """The same off-grid row gives the same detail whatever the session's TimeZone."""
    u = unit(conn, 7114)
    put(conn, u.main_serial, [(D0 + timedelta(minutes=7), {"active_fwd_kwh": 1.0})])
    sql = "select detail from smf.vee_rule_clock(%s, %s, %s)"
    conn.execute("set local timezone = 'UTC'")
    in_utc = conn.execute(sql, (u.main, D0, D1)).fetchall()
    conn.execute("set local timezone = 'America/Sao_Paulo'")
    in_brt = conn.execute(sql, (u.main, D0, D1)).fetchall()
    assert in_utc == in_brt
