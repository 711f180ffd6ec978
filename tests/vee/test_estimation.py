"""Estimation, worked by hand: backup fill, register delta spread over a similar-day profile,
day-type mean (plain and scaled to the register), no usable history; audit and idempotent re-run.

2026-10-05 is a Monday; the business days before it are Fri 10-02, Thu 10-01, Wed 09-30,
Tue 09-29, Mon 09-28; 10-03/10-04 are Saturday and Sunday. Local time -03:00."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from tests.vee.conftest import FIVE, day_rows, findings, local, put, unit, wh

DAY = "2026-10-05"
D0 = local(f"{DAY} 00:00")
D1 = local("2026-10-06 00:00")


def estimate(conn: psycopg.Connection[Any], meter: int, lo=D0, hi=D1) -> dict[str, Any]:
    return conn.execute(
        "select smf.vee_estimate(%s, %s, %s, 'tester')", (meter, lo, hi)
    ).fetchone()[0]


def registers(conn, meter, at, total, wh_per_unit):
    conn.execute(
        "insert into smf.vee_parameter (key, meter_id, value)"
        " values ('register_wh_per_unit', %s, %s)"
        " on conflict do nothing",
        (meter, wh_per_unit),
    )
    conn.execute(
        "insert into smf.register_reading (meter_id, at, period, channel, registers, demands)"
        " values (%s, %s, 'current', 1, %s, %s)",
        (meter, at, [total, 0, 0, 0, 0, 0, 0], [0] * 7),
    )


def state(conn, meter):
    return conn.execute(
        "select (select count(*) from smf.interval_reading_all where meter_id = %(m)s),"
        " (select md5(string_agg(r::text, ',' order by ts)) from smf.interval_reading_all r"
        "        where meter_id = %(m)s),"
        " (select count(*) from smf.interval_reading_history where meter_id = %(m)s),"
        " (select count(*) from smf.vee_estimation_run where meter_id = %(m)s)",
        {"m": meter},
    ).fetchone()


@pytest.mark.slow
def test_backup_fill_is_adjusted_and_explained(conn):
    u = unit(conn, 31, backup=True)
    put(conn, u.backup_serial, day_rows(DAY, 1.1))
    put(conn, u.main_serial, day_rows(DAY, 1.0, skip=range(10, 13)))
    measured_before = conn.execute(
        "select sum(active_fwd_wh) from smf.interval_reading_all where meter_id = %s", (u.main,)
    ).fetchone()[0]
    out = estimate(conn, u.main)
    assert out["filled"] == {"backup_meter": 3} and out["left_missing"] == 0
    # the backup's 1.1 kWh = 1100 Wh in each of the 3 intervals, adjusted, source backup_meter
    for i in (10, 11, 12):
        assert wh(conn, u.main, D0 + i * FIVE) == (1100, "adjusted", "backup_meter")
    # measured rows untouched: 285 x 1000 Wh before, and 285 000 + 3 x 1100 = 288 300 Wh after
    assert measured_before == 285_000
    day = conn.execute(
        "select active_fwd_wh, n_measured, n_adjusted, n_expected from smf.rollup_day"
        " where meter_id = %s",
        (u.main,),
    ).fetchone()
    assert day == (288_300, 285, 3, 288)
    ex = conn.execute("select * from smf.vee_explain(%s, %s)", (u.main, D0 + 10 * FIVE)).fetchone()
    names = [d.name for d in conn.execute("select * from smf.vee_explain(0, now())").description]
    e = dict(zip(names, ex, strict=True))
    assert e["method"] == "backup_meter" and e["inputs"]["backup_meter"] == "B31"
    assert e["written_by"] == "tester" and e["quality"] == "adjusted"
    assert e["parameters"]["short_gap_intervals"] == 6
    [f] = findings(conn, u.main, "missing")
    assert f[5] == "resolved"


def test_short_gap_spreads_the_register_delta_over_the_profile(conn):
    u = unit(conn, 32)
    shape = [1.0] * 288
    shape[10:13] = [1.0, 2.0, 1.0]  # the similar days' profile around the gap: 1 : 2 : 1
    for d in ("2026-09-29", "2026-09-30", "2026-10-01", "2026-10-02"):
        put(conn, u.main_serial, day_rows(d, shape))
    put(conn, u.main_serial, day_rows(DAY, 1.0, skip=range(10, 13)))
    # registers in Wh (1 Wh per unit): 290 001 Wh between the reads; stored 285 x 1000 Wh
    registers(conn, u.main, D0, 7_000_000, 1)
    registers(conn, u.main, D1, 7_290_001, 1)
    out = estimate(conn, u.main)
    assert out["filled"] == {"register_profile": 3}
    # gap energy = 290 001 - 285 000 = 5 001 Wh; x 1/4, 2/4, 1/4 = 1250.25, 2500.5, 1250.25;
    # floors 1250 + 2500 + 1250 = 5000, the 1 Wh left goes to the largest fraction (2500.5)
    got = [wh(conn, u.main, D0 + i * FIVE) for i in (10, 11, 12)]
    assert got == [
        (1250, "adjusted", "estimate"),
        (2501, "adjusted", "estimate"),
        (1250, "adjusted", "estimate"),
    ]
    inputs = conn.execute(
        "select inputs from smf.vee_explain(%s, %s)", (u.main, D0 + 11 * FIVE)
    ).fetchone()[0]
    assert inputs["register_energy_wh"] == 5001 and inputs["gap_intervals"] == 3
    assert inputs["days"] == ["2026-10-02", "2026-10-01", "2026-09-30", "2026-09-29"]


def _history(conn, serial):
    for d, v in (
        ("2026-09-28", 10.0),
        ("2026-09-29", 1.0),
        ("2026-09-30", 2.0),
        ("2026-10-01", 3.0),
        ("2026-10-02", 4.0),
        ("2026-10-03", 50.0),
        ("2026-10-04", 50.0),
    ):
        put(conn, serial, day_rows(d, v))


@pytest.mark.slow
def test_long_gap_takes_the_day_type_mean_of_the_last_four_valid_days(conn):
    u = unit(conn, 33)
    _history(conn, u.main_serial)
    put(conn, u.main_serial, day_rows(DAY, 1.0, skip=range(100, 112)))
    out = estimate(conn, u.main)
    assert out["filled"] == {"daytype_mean": 12}
    # business days only, the last 4: (4.0 + 3.0 + 2.0 + 1.0) / 4 = 2.5 kWh; not Mon 09-28
    # (10.0, fifth back) nor the weekend (50.0)
    for i in range(100, 112):
        assert wh(conn, u.main, D0 + i * FIVE) == (2500, "estimated", "estimate")


@pytest.mark.slow
def test_long_gap_scaled_to_the_register_delta(conn):
    u = unit(conn, 34)
    _history(conn, u.main_serial)
    put(conn, u.main_serial, day_rows(DAY, 1.0, skip=range(100, 112)))
    registers(conn, u.main, D0, 1_000, 1000)  # 1000 Wh per unit
    registers(conn, u.main, D1, 1_312, 1000)  # 312 kWh between the reads
    out = estimate(conn, u.main)
    assert out["filled"] == {"daytype_mean_scaled": 12}
    # gap energy = 312 000 - 276 x 1000 = 36 000 Wh; the profile is flat (2.5 kWh each), so
    # 36 000 / 12 = 3 000 Wh per interval, estimated
    for i in range(100, 112):
        assert wh(conn, u.main, D0 + i * FIVE) == (3000, "estimated", "estimate")


def test_no_usable_history_stays_missing_with_the_reason(conn):
    u = unit(conn, 35)
    put(conn, u.main_serial, day_rows(DAY, 1.0, skip=range(100, 112)))
    before = state(conn, u.main)
    out = estimate(conn, u.main)
    assert out == {"run_id": None, "filled": {}, "left_missing": 12}
    assert state(conn, u.main) == before
    [f] = findings(conn, u.main, "estimation")
    assert (f[1], f[2]) == (D0 + 100 * FIVE, D0 + 112 * FIVE)
    assert "fewer than 1 valid business day(s) in the 56 days before" in f[4]
    estimate(conn, u.main)
    assert len(findings(conn, u.main, "estimation")) == 1


@pytest.mark.slow
def test_rerun_changes_nothing_and_measured_is_never_touched(conn):
    u = unit(conn, 36, backup=True)
    _history(conn, u.main_serial)
    put(conn, u.backup_serial, day_rows(DAY, 1.5, skip=range(100, 103)))
    put(conn, u.main_serial, day_rows(DAY, 1.0, skip=range(98, 112)))
    first = estimate(conn, u.main)
    # 98, 99, 103..111 from the backup (11); 100..102 the backup lacks: day-type mean 2.5 kWh
    assert first["filled"] == {"backup_meter": 11, "daytype_mean": 3}
    after = state(conn, u.main)
    assert estimate(conn, u.main)["run_id"] is None
    assert state(conn, u.main) == after
    measured = conn.execute(
        "select count(*), sum(active_fwd_wh) from smf.interval_reading_all"
        " where meter_id = %s and quality = 'measured' and ts >= %s and ts < %s",
        (u.main, D0, D1),
    ).fetchone()
    assert measured == (274, 274_000)
