"""The small VEE functions the rules, the runner and the CLI build on, each pinned by hand: grid
rounding, local formatting and days (-03:00), Wh -> kWh for details, parameters by precedence,
channel names, scopes, the rule catalogue, nominal-voltage detection and setting, and the error
records of a failed validation."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D
from typing import Any

import psycopg
import pytest

from tests.rules.conftest import make_uc, put_hours
from tests.vee.conftest import day_rows, local, put, unit

DAY = "2026-10-05"  # a Monday
D0 = local(f"{DAY} 00:00")  # 03:00 UTC
D1 = local("2026-10-06 00:00")


def one(conn: psycopg.Connection[Any], sql: str, *args: Any) -> Any:
    return conn.execute(sql, args).fetchone()[0]


def test_grid_rounding_goes_to_multiples_of_the_step_since_the_epoch(
    conn: psycopg.Connection[Any],
) -> None:
    """An instant on the grid stays; others go up or down to the next multiple of the step."""
    t = datetime(2026, 10, 5, 3, 1, tzinfo=UTC)
    on = datetime(2026, 10, 5, 3, 5, tzinfo=UTC)
    five, fifteen = timedelta(minutes=5), timedelta(minutes=15)
    up = "select smf.vee_grid_up(%s, %s)"
    down = "select smf.vee_grid_down(%s, %s)"
    assert one(conn, up, t, five) == datetime(2026, 10, 5, 3, 5, tzinfo=UTC)
    assert one(conn, down, t, five) == datetime(2026, 10, 5, 3, 0, tzinfo=UTC)
    assert one(conn, up, on, five) == on
    assert one(conn, down, on, five) == on
    # 03:07 with 15 min: 03:00 (= 12 x 15 min into the UTC day) and 03:15
    t7 = datetime(2026, 10, 5, 3, 7, tzinfo=UTC)
    assert one(conn, up, t7, fifteen) == datetime(2026, 10, 5, 3, 15, tzinfo=UTC)
    assert one(conn, down, t7, fifteen) == datetime(2026, 10, 5, 3, 0, tzinfo=UTC)
    # 1 s before 03:05 rounds down to 03:00, 1 s after 03:00 up to 03:05
    assert one(conn, down, on - timedelta(seconds=1), five) == datetime(
        2026, 10, 5, 3, 0, tzinfo=UTC
    )
    assert one(conn, up, t - timedelta(seconds=59), five) == datetime(2026, 10, 5, 3, 5, tzinfo=UTC)


def test_local_format_and_kwh_are_what_finding_details_print(
    conn: psycopg.Connection[Any],
) -> None:
    """vee_fmt_local: local 'YYYY-MM-DD HH24:MI' (-03:00); vee_kwh: Wh / 1000 to 3 decimals."""
    fmt = "select smf.vee_fmt_local(%s)"
    assert one(conn, fmt, datetime(2026, 10, 5, 3, 0, tzinfo=UTC)) == "2026-10-05 00:00"
    # 02:59:59Z is still the 4th locally (23:59:59), seconds cut
    assert one(conn, fmt, datetime(2026, 10, 5, 2, 59, 59, tzinfo=UTC)) == "2026-10-04 23:59"
    assert one(conn, fmt, None) is None
    kwh = "select smf.vee_kwh(%s)"
    assert one(conn, kwh, 1500) == D("1.500")
    assert one(conn, kwh, 1) == D("0.001")
    assert one(conn, kwh, 1234567) == D("1234.567")
    assert one(conn, kwh, D("0.4")) == D("0.000")  # 0.0004 kWh
    assert one(conn, kwh, D("0.5")) == D("0.001")  # 0.0005 rounds half away from zero
    assert one(conn, kwh, -5) == D("-0.005")
    assert one(conn, kwh, None) is None


def test_day_type_is_business_saturday_or_sunday_holiday_of_the_ccee_calendar(
    conn: psycopg.Connection[Any],
) -> None:
    """Mon 2026-10-05 business, Sat 10-10 saturday, Sun 10-11 and a CCEE holiday
    sunday_holiday; a day added to the tariff calendar only stays business."""
    sql = "select smf.vee_day_type(%s)"
    assert one(conn, sql, date(2026, 10, 5)) == "business"
    assert one(conn, sql, date(2026, 10, 10)) == "saturday"
    assert one(conn, sql, date(2026, 10, 11)) == "sunday_holiday"
    # Tue 2026-10-13: a holiday by hand on the tariff calendar only
    conn.execute(
        "insert into smf.holiday (calendar_id, day, name) select id, '2026-10-13', 'tariff only'"
        " from smf.calendar where purpose = 'tariff' and valid_during @> date '2026-10-13'"
    )
    assert one(conn, sql, date(2026, 10, 13)) == "business"
    # Wed 2026-10-14 and Sat 2026-10-17 by hand on the CCEE calendar
    conn.execute(
        "insert into smf.holiday (calendar_id, day, name) select id, d, 'ccee by hand'"
        " from smf.calendar, unnest(array[date '2026-10-14', date '2026-10-17']) d"
        " where purpose = 'ccee' and valid_during @> d"
    )
    assert one(conn, sql, date(2026, 10, 14)) == "sunday_holiday"
    assert one(conn, sql, date(2026, 10, 17)) == "sunday_holiday"


def test_step_is_the_meters_interval_length(conn: psycopg.Connection[Any]) -> None:
    """5 and 15 minutes as intervals; an unknown meter is SMF04."""
    five = unit(conn, 7201)
    fifteen = unit(conn, 7202, interval=15)
    assert one(conn, "select smf.vee_step(%s)", five.main) == timedelta(minutes=5)
    assert one(conn, "select smf.vee_step(%s)", fifteen.main) == timedelta(minutes=15)
    with pytest.raises(psycopg.Error) as e, conn.transaction():
        conn.execute("select smf.vee_step(-1)")
    assert e.value.sqlstate == "SMF04"


def test_param_takes_the_meters_row_then_its_distributors_then_the_default(
    conn: psycopg.Connection[Any],
) -> None:
    """spike_factor: default 10; distributor row 12; meter row 15 from 2026-10-06 only."""
    u = unit(conn, 7203, backup=True, aneel="961")
    other = unit(conn, 7204, aneel="962")
    sql = "select smf.vee_param('spike_factor', %s, %s)"
    assert one(conn, sql, u.main, date(2026, 10, 5)) == D("10")
    dist = one(conn, "select id from smf.distributor where aneel_code = '961'")
    conn.execute(
        "insert into smf.vee_parameter (key, distributor_id, value)"
        " values ('spike_factor', %s, 12)",
        (dist,),
    )
    conn.execute(
        "insert into smf.vee_parameter (key, meter_id, valid_during, value)"
        " values ('spike_factor', %s, '[2026-10-06,)', 15)",
        (u.main,),
    )
    assert one(conn, sql, u.main, date(2026, 10, 5)) == D("12")  # meter row not valid yet
    assert one(conn, sql, u.main, date(2026, 10, 6)) == D("15")  # first day of the meter row
    assert one(conn, sql, u.backup, date(2026, 10, 6)) == D("12")  # backup: the UC's distributor
    assert one(conn, sql, other.main, date(2026, 10, 6)) == D("10")
    with pytest.raises(psycopg.Error) as e, conn.transaction():
        conn.execute("select smf.vee_param('no_such_key', %s, '2026-10-05')", (u.main,))
    assert e.value.sqlstate == "SMF04"


def test_channel_column_maps_every_spelling_to_the_stored_column(
    conn: psycopg.Connection[Any],
) -> None:
    """Engineering name (kWh, kvarh, V, A), bare name or stored column (Wh, varh, mV, mA), any
    case; an unknown channel is SMF02."""
    sql = "select smf.vee_channel_column(%s)"
    for given, column in [
        ("active_fwd", "active_fwd_wh"),
        ("active_fwd_kwh", "active_fwd_wh"),
        ("ACTIVE_FWD_WH", "active_fwd_wh"),
        ("reactive_cap_rev_kvarh", "reactive_cap_rev_varh"),
        ("reactive_ind_fwd", "reactive_ind_fwd_varh"),
        ("voltage_a_v", "voltage_a_mv"),
        ("Voltage_B", "voltage_b_mv"),
        ("current_c_a", "current_c_ma"),
        ("current_a_ma", "current_a_ma"),
    ]:
        assert one(conn, sql, given) == column, given
    with pytest.raises(psycopg.Error) as e, conn.transaction():
        conn.execute(sql, ("active_fwd_mwh",))
    assert e.value.sqlstate == "SMF02"


def test_rule_catalogue_lists_functions_in_order_with_the_findings_each_reports(
    conn: psycopg.Connection[Any],
) -> None:
    """smf.vee_rules: (fn, emits) in run order; smf.vee_rule_names: every emitted rule in that
    order, then validation_error."""
    rules = [
        ("vee_rule_missing", ["missing"]),
        ("vee_rule_zero_run", ["zero_run"]),
        ("vee_rule_spike", ["spike"]),
        ("vee_rule_demand", ["demand"]),
        ("vee_rule_reverse_flow", ["reverse_flow"]),
        ("vee_rule_voltage", ["voltage_band", "phase_loss"]),
        ("vee_rule_clock", ["clock", "interval_length"]),
        ("vee_rule_register", ["register"]),
        ("vee_rule_backup", ["backup_interval", "backup_hour", "backup_day"]),
        ("vee_rule_meter_status", ["outage", "meter_status"]),
    ]
    assert conn.execute("select fn, emits from smf.vee_rules()").fetchall() == rules
    assert one(conn, "select smf.vee_rule_names()") == [
        "missing",
        "zero_run",
        "spike",
        "demand",
        "reverse_flow",
        "voltage_band",
        "phase_loss",
        "clock",
        "interval_length",
        "register",
        "backup_interval",
        "backup_hour",
        "backup_day",
        "outage",
        "meter_status",
        "validation_error",
    ]


def test_scope_meters_are_a_meter_a_ucs_main_and_backup_or_a_distributors_meters(
    conn: psycopg.Connection[Any],
) -> None:
    """A UC without a backup meter yields a null for it; unknown references are SMF04, an
    unknown kind SMF02."""
    a = unit(conn, 7205, backup=True, aneel="963")
    b = unit(conn, 7206, aneel="963")
    c = unit(conn, 7207, aneel="964")
    sql = "select smf.vee_scope_meters(%s, %s)"

    def ids(kind: str, ref: str) -> list[int | None]:
        return [r[0] for r in conn.execute(sql, (kind, ref)).fetchall()]

    assert ids("meter", a.backup_serial) == [a.backup]
    assert ids("uc", a.uc_code) == [a.main, a.backup]
    assert ids("uc", b.uc_code) == [b.main, None]
    assert sorted(ids("distributor", "963"), key=str) == sorted(
        [a.main, a.backup, b.main, None], key=str
    )
    assert ids("distributor", "964") == [c.main, None]
    for kind, ref, state in [
        ("meter", "NO-SUCH", "SMF04"),
        ("uc", "000000000000000", "SMF04"),
        ("distributor", "999", "SMF04"),
        ("group", "x", "SMF02"),
    ]:
        with pytest.raises(psycopg.Error) as e, conn.transaction():
            conn.execute(sql, (kind, ref))
        assert e.value.sqlstate == state, (kind, ref)


def test_nominal_candidates_and_detection_with_its_how(conn: psycopg.Connection[Any]) -> None:
    """Detection takes the candidate nearest the highest phase mean; a mean halfway between two
    (225 V: 220 and 230) is ambiguous and names the command; no voltage: null nominal."""
    assert one(conn, "select smf.vee_nominal_candidates()") == [
        D(x)
        for x in [
            *("57.7", "63.5", "66.4", "69.3"),  # VT phase-to-earth secondaries
            *("100", "110", "115", "120"),  # VT phase-to-phase secondaries
            *("127", "220", "230", "240", "254", "380", "400", "440"),  # low voltage
        ]
    ]
    sql = "select nominal_v, how from smf.vee_nominal_voltage(%s, %s, %s)"
    none = unit(conn, 7208)
    assert conn.execute(sql, (none.main, D0, D1)).fetchone() == (None, "detected")
    vt = unit(conn, 7209)
    put(conn, vt.main_serial, day_rows(DAY, 1.0, volts=66.0))
    # 66.0: 66.4 is 0.4 away, 63.5 is 2.5: |0.4 - 2.5| = 2.1 >= 0.015 x 66 = 0.99, not ambiguous
    assert conn.execute(sql, (vt.main, D0, D1)).fetchone() == (
        D("66.4"),
        "detected from mean 66.0 V",
    )
    mid = unit(conn, 7210)
    put(conn, mid.main_serial, day_rows(DAY, 1.0, volts=225.0))
    # 225: 220 and 230 both 5 away (a tie: the smaller first); |5 - 5| = 0 < 3.375
    assert conn.execute(sql, (mid.main, D0, D1)).fetchone() == (
        D("220"),
        "detected from mean 225.0 V, ambiguous with 230 V: smf meter set V7210 --nominal-voltage V",
    )
    conn.execute(
        "insert into smf.vee_parameter (key, meter_id, value)"
        " values ('voltage_nominal_v', %s, 230)",
        (mid.main,),
    )
    assert conn.execute(sql, (mid.main, D0, D1)).fetchone() == (D("230"), "configured")


def test_set_nominal_voltage_returns_what_it_stored_and_replaces_later_rows(
    conn: psycopg.Connection[Any],
) -> None:
    """From a day on: an earlier open row ends that day, later ones go; 'standard' says whether
    the value is a candidate (0 = detect counts); out of 20-1000 V is SMF02."""
    u = unit(conn, 7211)
    sql = "select smf.vee_set_nominal_voltage(%s, %s, %s)"
    assert one(conn, sql, u.main_serial, D("66.4"), date(2026, 10, 1)) == {
        "serial": "V7211",
        "volts": 66.4,
        "valid_from": "2026-10-01",
        "standard": True,
    }
    assert one(conn, sql, u.main_serial, 70, date(2026, 11, 1)) == {
        "serial": "V7211",
        "volts": 70,
        "valid_from": "2026-11-01",
        "standard": False,
    }
    assert one(conn, sql, u.main_serial, 0, None) == {
        "serial": "V7211",
        "volts": 0,
        "valid_from": "2000-01-01",
        "standard": True,
    }
    # the call from 2000-01-01 replaced both rows (they start later)
    assert conn.execute(
        "select valid_during::text, value from smf.vee_parameter"
        " where key = 'voltage_nominal_v' and meter_id = %s",
        (u.main,),
    ).fetchall() == [("[2000-01-01,)", D("0"))]
    for volts in (D("19.99"), D("1000.01")):
        with pytest.raises(psycopg.Error) as e, conn.transaction():
            conn.execute(sql, (u.main_serial, volts, None))
        assert e.value.sqlstate == "SMF02"


def test_record_error_writes_one_finished_error_job_run_and_returns_its_id(
    conn: psycopg.Connection[Any],
) -> None:
    """outcome error, finished, the error cut to 2000 characters, null counts stored as {}."""
    rid = one(
        conn,
        "select smf.vee_record_error('vee_validate', 'test holder', %s, null)",
        "x" * 2100,
    )
    assert conn.execute(
        "select id, job, holder, outcome, counts, length(error), finished_at is not null"
        " from smf.job_run where id = %s",
        (rid,),
    ).fetchone() == (rid, "vee_validate", "test holder", "error", {}, 2000, True)


def test_validate_batch_failed_records_a_validation_error_per_touched_meter_range(
    conn: psycopg.Connection[Any],
) -> None:
    """Each meter of pg_temp.ingest_touched gets a validation_error over its whole local days,
    and smf.job_run one error row; the return is the number of meter-ranges."""
    u = unit(conn, 7212)
    conn.execute("create temp table ingest_touched (meter_id int, lo timestamptz, hi timestamptz)")
    # 00:10 local on the 5th to 00:05 local on the 6th: local days 5 and 6 -> [5th 00:00, 7th 00:00)
    conn.execute(
        "insert into pg_temp.ingest_touched values (%s, %s, %s)",
        (u.main, local("2026-10-05 00:10"), local("2026-10-06 00:05")),
    )
    assert one(conn, "select smf.vee_validate_batch_failed(42, 'XX000', 'boom')") == 1
    assert conn.execute(
        "select rule, subject, ts_from, ts_to, severity, status, detail from smf.vee_finding"
        " where meter_id = %s",
        (u.main,),
    ).fetchall() == [
        (
            "validation_error",
            "vee_validate_batch",
            datetime(2026, 10, 5, 3, 0, tzinfo=UTC),
            datetime(2026, 10, 7, 3, 0, tzinfo=UTC),
            "error",
            "open",
            "the validation of ingest batch 42 raised SQLSTATE XX000 (boom) on 2026-10-05 00:00"
            " to 2026-10-07 00:00 (local); the readings are stored, no finding of this range was"
            " refreshed; the daily VEE job runs it again",
        )
    ]
    assert conn.execute(
        "select holder, outcome, error, counts from smf.job_run where holder = 'ingest batch 42'"
    ).fetchall() == [
        (
            "ingest batch 42",
            "error",
            "validation of ingest batch 42 raised SQLSTATE XX000 (boom) on 1 meter-range(s); the"
            " readings are stored, open validation_error findings list the ranges, the daily VEE"
            " job runs them again",
            {"batch_id": 42, "sqlstate": "XX000", "ranges": 1},
        )
    ]


def test_uc_bill_total_is_the_summarys_total_or_null_when_the_uc_cannot_be_billed(
    conn: psycopg.Connection[Any],
) -> None:
    """One hour of 4 kWh fora ponta at 0.50 R$/kWh = 2.00 R$; a month without readings bills
    0 kWh (0.00: no demand item has a price here); an unknown UC: null."""
    uc = make_uc(conn, 7213, aneel="967")
    conn.execute(
        "insert into smf.tariff (distributor_id, modality, item, posto, valid_during, price)"
        " values (%s, 'azul', 'energy', 'fora_ponta', '[2026-01-01,2027-01-01)', 0.50)",
        (uc.distributor_id,),
    )
    put_hours(conn, uc, [("2026-10-06 10:00", 4, 0, 0)])
    sql = "select smf.vee_uc_bill_total(%s, %s)"
    assert one(conn, sql, uc.id, date(2026, 10, 1)) == D("2.00")
    assert one(conn, sql, uc.id, date(2026, 8, 1)) == D("0.00")
    assert one(conn, sql, -1, date(2026, 10, 1)) is None
