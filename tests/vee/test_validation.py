"""Each VEE rule with data that passes and data that fails; findings are recorded once.

Data is ingested through db.ingest (which runs the rules on the days touched); explicit runs use
smf.vee_validate. Day 2026-10-05 is a Monday; local time -03:00."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from tests.vee.conftest import FIVE, day_rows, findings, local, put, unit

DAY = "2026-10-05"
D0 = local(f"{DAY} 00:00")
D1 = local("2026-10-06 00:00")


def validate(conn: psycopg.Connection[Any], meter: int, lo=D0, hi=D1) -> dict[str, int]:
    return conn.execute("select smf.vee_validate(%s, %s, %s)", (meter, lo, hi)).fetchone()[0]


def rules(conn: psycopg.Connection[Any], meter: int) -> list[str]:
    return [f[0] for f in findings(conn, meter) if f[5] == "open"]


@pytest.mark.slow
def test_missing_run_found_on_ingest_and_not_duplicated(conn):
    u = unit(conn, 1)
    put(conn, u.main_serial, day_rows(DAY, 1.0, skip=range(10, 13)))
    [f] = findings(conn, u.main, "missing")
    # intervals 10, 11, 12 = 00:50, 00:55, 01:00 local; the finding covers [00:50, 01:05)
    assert (f[1], f[2], f[3]) == (D0 + 10 * FIVE, D0 + 13 * FIVE, "warning")
    assert "3 interval(s) of 5 min missing" in f[4]
    assert validate(conn, u.main) == {"found": 1, "new": 0, "resolved": 0}
    assert len(findings(conn, u.main)) == 1


def test_complete_day_has_no_missing_finding_and_late_data_resolves_it(conn):
    u = unit(conn, 2)
    put(conn, u.main_serial, day_rows(DAY, 1.0))
    assert findings(conn, u.main) == []
    u3 = unit(conn, 3)
    put(conn, u3.main_serial, day_rows(DAY, 1.0, skip=[5]))
    put(conn, u3.main_serial, [r for r in day_rows(DAY, 1.0) if r[0] == D0 + 5 * FIVE])
    [f] = findings(conn, u3.main, "missing")
    assert f[5] == "resolved"


def test_long_missing_run_is_an_error_and_trailing_gap_waits_for_an_explicit_run(conn):
    u = unit(conn, 4)
    put(conn, u.main_serial, day_rows(DAY, 1.0, skip=[*range(100, 112), *range(280, 288)]))
    assert [(f[0], f[3]) for f in findings(conn, u.main)] == [("missing", "error")]  # 12 = long
    validate(conn, u.main)  # the day is over: the last 8 intervals are missing too
    assert [(f[1], f[3]) for f in findings(conn, u.main)][1] == (D0 + 280 * FIVE, "warning")


def test_spike_above_k_times_third_highest(conn):
    u = unit(conn, 5)
    kwh = [1.0] * 288
    kwh[50] = 15.0  # 15 > 10 x 1.0 (the third-highest value of the day)
    kwh[60] = 9.0  # 9 < 10 x 1.0: not a spike
    put(conn, u.main_serial, day_rows(DAY, kwh))
    [f] = findings(conn, u.main, "spike")
    assert f[1] == D0 + 50 * FIVE and "15.000 kWh" in f[4] and "15.0 x" in f[4]


def test_spike_factor_per_meter_parameter(conn):
    u = unit(conn, 6)
    conn.execute(
        "insert into smf.vee_parameter (key, meter_id, value) values ('spike_factor', %s, 20)",
        (u.main,),
    )
    kwh = [1.0] * 288
    kwh[50] = 15.0  # 15 < 20 x 1.0 for this meter
    put(conn, u.main_serial, day_rows(DAY, kwh))
    assert findings(conn, u.main, "spike") == []


def test_spike_above_physical_maximum(conn):
    u = unit(conn, 7)
    kwh = [20.0] * 288
    kwh[7] = 30.0
    put(conn, u.main_serial, day_rows(DAY, kwh))
    assert findings(conn, u.main, "spike") == []  # 30 < 10 x 20 and < 1000 kW x 5 min = 83.3 kWh
    conn.execute("update smf.meter set max_power_kw = 300 where id = %s", (u.main,))
    validate(conn, u.main)  # 300 kW x 5/60 h = 25 kWh < 30
    [f] = findings(conn, u.main, "spike")
    assert "physical maximum 25.000 kWh" in f[4]


def test_zero_run_on_a_consuming_uc(conn):
    u = unit(conn, 8)
    kwh = [1.0] * 288
    kwh[100:112] = [0.0] * 12  # 12 zero intervals = zero_run_intervals
    kwh[200:211] = [0.0] * 11  # 11: too short
    put(conn, u.main_serial, day_rows(DAY, kwh))
    [f] = findings(conn, u.main, "zero_run")
    assert (f[1], f[2]) == (D0 + 100 * FIVE, D0 + 112 * FIVE)


def test_zero_run_not_reported_for_a_uc_that_never_consumes(conn):
    u = unit(conn, 9)
    put(conn, u.main_serial, day_rows(DAY, 0.0))
    assert findings(conn, u.main, "zero_run") == []


def test_reverse_flow_without_generation(conn):
    rows = day_rows(DAY, 1.0)
    for i in (30, 31, 32):
        rows[i][1]["active_rev_kwh"] = 0.5
    u = unit(conn, 10)
    put(conn, u.main_serial, rows)
    [f] = findings(conn, u.main, "reverse_flow")
    assert (f[1], f[2]) == (D0 + 30 * FIVE, D0 + 33 * FIVE) and "1.500" in f[4]
    g = unit(conn, 11, generation=True)
    put(conn, g.main_serial, rows)
    assert findings(conn, g.main, "reverse_flow") == []


def test_voltage_band_and_phase_loss(conn):
    u = unit(conn, 12)
    rows = day_rows(DAY, 1.0, volts=220.0)
    put(conn, u.main_serial, rows)
    assert findings(conn, u.main) == []
    u2 = unit(conn, 13)
    rows = day_rows(DAY, 1.0, volts=220.0)
    for i in (40, 41):
        rows[i][1]["voltage_b_v"] = 250.0  # above 1.05 x 220 = 231 V
    for i in (90, 91, 92):
        rows[i][1]["voltage_a_v"] = 0.0  # A lost while B and C are normal
    put(conn, u2.main_serial, rows)
    band = findings(conn, u2.main, "voltage_band")
    loss = findings(conn, u2.main, "phase_loss")
    assert [(f[1], f[2]) for f in band] == [(D0 + 40 * FIVE, D0 + 42 * FIVE)]
    assert (
        "phase B outside 202.4-231.0 V" in band[0][4]
        # the highest phase mean is B's: (286 x 220 + 2 x 250) / 288 = 220.208 V -> 220 V
        and "nominal 220 V (detected from mean 220.2 V)" in band[0][4]
    )
    assert [
        f[0]
        for f in conn.execute(
            "select subject from smf.vee_finding where meter_id = %s and rule in"
            " ('voltage_band', 'phase_loss') order by rule",
            (u2.main,),
        )
    ] == ["A", "B"]
    assert [(f[1], f[2], f[3]) for f in loss] == [(D0 + 90 * FIVE, D0 + 93 * FIVE, "error")]


def test_clock_events_and_off_grid_rows(conn):
    u = unit(conn, 14)
    put(conn, u.main_serial, day_rows(DAY, 1.0))
    assert validate(conn, u.main)["found"] == 0
    conn.execute(
        "insert into smf.meter_event (meter_id, at, kind, message) values"
        " (%s, %s, 'clock_drift_large', 'meter clock 412 s ahead')",
        (u.main, D0 + 3 * FIVE),
    )
    put(conn, u.main_serial, [(D0 + 2 * FIVE + FIVE / 5, {"active_fwd_kwh": 1.0})])  # 00:11
    validate(conn, u.main)
    got = {f[0]: f for f in findings(conn, u.main)}
    assert "412 s ahead" in got["clock"][4] and got["clock"][3] == "error"
    assert "1 row(s) off the 5-minute grid" in got["interval_length"][4]


def _registers(conn, meter, at, total):
    conn.execute(
        "insert into smf.register_reading (meter_id, at, period, channel, registers, demands)"
        " values (%s, %s, 'current', 1, %s, %s)",
        (meter, at, [total, 0, 0, 0, 0, 0, 0], [0] * 7),
    )


def test_register_delta_against_interval_sum(conn):
    u = unit(conn, 15)
    for d in ("2026-10-05", "2026-10-06", "2026-10-07"):
        put(conn, u.main_serial, day_rows(d, 1.0))  # 288 kWh a day
    # raw register units: +288 (= 288 kWh at 1000 Wh/unit), +288, then +350 on the last day
    for day, total in (("05", 1000), ("06", 1288), ("07", 1576), ("08", 1926)):
        _registers(conn, u.main, local(f"2026-10-{day} 00:00"), total)
    validate(conn, u.main, D0, local("2026-10-08 00:01"))
    [f] = findings(conn, u.main, "register")
    # detected scale = 10^round(log10(median(288000/288))) = 1000 Wh/unit; 350 kWh vs 288 kWh
    assert (f[1], f[2]) == (local("2026-10-07 00:00"), local("2026-10-08 00:00"))
    assert "register delta 350.000 kWh (350 raw units x 1000 Wh, detected)" in f[4]
    assert "sum to 288.000 kWh" in f[4]


def test_register_within_tolerance_configured_scale(conn):
    u = unit(conn, 16)
    put(conn, u.main_serial, day_rows(DAY, 1.0))
    conn.execute(
        "insert into smf.vee_parameter (key, meter_id, value) values"
        " ('register_wh_per_unit', %s, 100)",
        (u.main,),
    )
    _registers(conn, u.main, D0, 50_000)
    _registers(conn, u.main, D1, 50_000 + 2_900)  # 2900 x 100 Wh = 290 kWh: 0.7 % off 288
    validate(conn, u.main, D0, D1 + FIVE)
    assert findings(conn, u.main, "register") == []


def test_main_against_backup_per_interval_and_hour(conn):
    u = unit(conn, 17, backup=True)
    put(conn, u.backup_serial, day_rows(DAY, [1.2] * 12 + [1.0] * 276))
    put(conn, u.main_serial, day_rows(DAY, 1.0))
    got = {f[0]: f for f in findings(conn, u.main)}
    # interval: |1.0 - 1.2| / 1.2 = 16.7 % > 10 %; hour 00:00: 12 vs 14.4 kWh, 16.7 % > 5 %;
    # day: 288 vs 290.4 kWh = 0.83 % < 2 %: no day finding
    assert set(got) == {"backup_interval", "backup_hour"}
    assert (got["backup_interval"][1], got["backup_interval"][2]) == (D0, D0 + 12 * FIVE)
    assert "main 12.000 kWh and backup (B17) 14.400 kWh differ by 16.67%" in got["backup_hour"][4]


def test_main_against_backup_per_day(conn):
    u = unit(conn, 18, backup=True)
    put(conn, u.backup_serial, day_rows(DAY, 1.03))
    put(conn, u.main_serial, day_rows(DAY, 1.0))
    # 3 % per interval and hour (under 10 % and 5 %), 288 vs 296.64 kWh per day: 2.91 % > 2 %
    assert [f[0] for f in findings(conn, u.main)] == ["backup_day"]
    u2 = unit(conn, 19, backup=True)
    put(conn, u2.backup_serial, day_rows(DAY, 1.0))
    put(conn, u2.main_serial, day_rows(DAY, 1.0))
    assert findings(conn, u2.main) == []


def test_demand_above_sanity_limit(conn):
    u = unit(conn, 20, demand_kw=100)  # limit 3 x 100 kW
    kwh = [1.0] * 288
    kwh[12:15] = [26.0] * 3  # 78 kWh in the quarter hour 01:00 = 312 kW > 300 kW
    kwh[24:27] = [24.0] * 3  # 72 kWh = 288 kW: fine
    put(conn, u.main_serial, day_rows(DAY, kwh))
    [f] = findings(conn, u.main, "demand")
    assert (f[1], f[2]) == (D0 + 12 * FIVE, D0 + 15 * FIVE) and "312.000 kW" in f[4]


def test_meter_status_outage_and_serial_change(conn):
    u = unit(conn, 21)
    put(conn, u.main_serial, day_rows(DAY, 1.0))
    assert validate(conn, u.main)["found"] == 0
    conn.execute(
        "insert into smf.meter_outage (meter_id, start_at, end_at) values (%s, %s, %s)",
        (u.main, D0 + 10 * FIVE, D0 + 16 * FIVE),
    )
    conn.execute(
        "insert into smf.meter_event (meter_id, at, kind, message, detail) values"
        " (%s, %s, 'plausibility_contradiction', 'battery low', '{\"battery\": 0}')",
        (u.main, D0 + 20 * FIVE),
    )
    validate(conn, u.main)
    got = {f[0]: f for f in findings(conn, u.main)}
    assert "30.0 min" in got["outage"][4]
    assert got["meter_status"][4] == "battery: battery low"


def test_rerun_keeps_accepted_and_resolves_what_is_gone(conn):
    u = unit(conn, 22)
    kwh = [1.0] * 288
    kwh[50] = 15.0
    put(conn, u.main_serial, day_rows(DAY, kwh, skip=[5]))
    ids = dict(
        conn.execute(
            "select rule, id from smf.vee_finding where meter_id = %s", (u.main,)
        ).fetchall()
    )
    conn.execute("select smf.vee_finding_set_status(%s, 'accepted', 'analyst')", (ids["spike"],))
    put(conn, u.main_serial, [r for r in day_rows(DAY, 1.0) if r[0] == D0 + 5 * FIVE])
    assert validate(conn, u.main) == {"found": 1, "new": 0, "resolved": 0}
    st = dict(
        conn.execute(
            "select rule, status || ':' || resolved_by from smf.vee_finding where meter_id = %s",
            (u.main,),
        ).fetchall()
    )
    assert st == {"spike": "accepted:analyst", "missing": "resolved:validation: no longer found"}
    assert conn.execute("select count(*) from smf.vee_finding").fetchone()[0] == 2


def test_validation_on_ingest_can_be_switched_off(conn):
    conn.execute("update smf.setting set value = 'off' where key = 'vee_validate_on_ingest'")
    u = unit(conn, 23)
    put(conn, u.main_serial, day_rows(DAY, 1.0, skip=[7]))
    assert findings(conn, u.main) == []
    assert validate(conn, u.main)["new"] == 1  # on request it still runs


def test_unknown_meter_and_empty_range_are_refused(conn):
    with pytest.raises(psycopg.Error, match="no meter with id 999999"), conn.transaction():
        validate(conn, 999999)
    u = unit(conn, 24)
    with pytest.raises(psycopg.Error, match="is empty"), conn.transaction():
        validate(conn, u.main, D1, D0)
