"""Rule parameters and shared lookups (db/functions/100_parameters.sql)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest

from db import driver, errors, rules
from tests.rules.conftest import local, make_uc, put_hours, put_intervals, scalar

OCT = date(2026, 10, 1)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("power_factor_reference", D("0.92")),
        ("demand_tolerance", D("0.05")),
        ("musd_factor", D("1.25")),
        ("loss_factor_up_to_threshold", D("0.025")),
        ("loss_factor_above_threshold", D("0.01")),
        ("capacitive_span_start_min", D(-30)),
        ("capacitive_span_end_min", D(390)),
        ("ponta_minutes", D(180)),
    ],
)
def test_documented_defaults(conn, key, value):
    assert conn.execute("select smf.rule_param(%s, '2026-10-01')", (key,)).fetchone()[0] == value


def test_parameter_periods_may_not_overlap(conn):
    with (
        pytest.raises(errors.Conflict, match="rule_parameter_no_overlap"),
        driver.translate_errors(),
    ):
        conn.execute(
            "insert into smf.rule_parameter values ('musd_factor', '[2026-01-01,)', 1.3,"
            " '1', 'U', 'x')"
        )


def test_missing_parameter(conn):
    with (
        pytest.raises(errors.NotFound, match="no rule parameter nope valid on 2026-10-01"),
        driver.translate_errors(),
    ):
        conn.execute("select smf.rule_param('nope', '2026-10-01')")


def test_unknown_uc(conn):
    with pytest.raises(errors.NotFound, match="unknown consumer unit 000000000999910"):
        rules.billing_summary(conn, "000000000999910", date(2026, 10, 1))


def test_malformed_uc_code(conn):
    with pytest.raises(errors.InvalidParameter, match="UC code '12ab' is not 15 digits"):
        rules.ufer_dmcr(conn, "12ab", date(2026, 10, 1))


def test_month_without_data(conn):
    uc = make_uc(conn, 11)
    put_hours(conn, uc, [("2026-10-06 10:00", 100, 0, 0)])
    with pytest.raises(
        errors.NotFound, match=f"no readings for consumer unit {uc.code} in 2026-09"
    ):
        rules.billing_summary(conn, uc.code, date(2026, 9, 1))


def test_month_without_posto_schedule(conn):
    uc = make_uc(conn, 12, aneel="993", schedule=False)
    put_hours(conn, uc, [("2026-10-06 10:00", 100, 0, 0)])
    with pytest.raises(
        errors.NotFound,
        match=f"no posto schedule for the distributor of consumer unit {uc.code} on 2026-10-01",
    ):
        rules.measured_demand(conn, uc.code, date(2026, 10, 1))


def test_local_month_hours(conn):
    # October 2026: 31 x 24 = 744; February 2028 (leap): 29 x 24 = 696; February 2018 under the old
    # daylight saving time ended on 18 Feb: 28 x 24 + 1 = 673.
    q = "select smf.local_month_hours(%s)"
    assert [
        conn.execute(q, (d,)).fetchone()[0]
        for d in (date(2026, 10, 1), date(2028, 2, 1), date(2018, 2, 1))
    ] == [744, 696, 673]


# ---------- posto schedules must cover every day of the month


def test_schedule_must_cover_every_day_of_the_month(conn):
    # Every day of the month needs a posto schedule valid on it (require_cycle and
    # billing_summary_distributor test `valid_during @> day` for each day): a schedule valid from
    # 2026-10-15 leaves 1-14 October without postos, so October cannot be evaluated; the first
    # uncovered day, 2026-10-01, is named. A schedule from 2026-10-01 makes it evaluable.
    uc = make_uc(conn, 131, aneel="961", schedule=False)
    conn.execute(
        "insert into smf.posto_schedule (distributor_id, valid_during, ponta_start,"
        " capacitive_start) values (%s, '[2026-10-15,)', '18:00', '00:00')",
        (uc.distributor_id,),
    )
    put_hours(conn, uc, [("2026-10-20 10:00", 1, 0, 0)])
    with (
        pytest.raises(errors.NotFound, match=f"consumer unit {uc.code} on 2026-10-01"),
        driver.translate_errors(),
        conn.transaction(),
    ):
        rules.billing_summary(conn, uc.code, OCT)
    with (
        pytest.raises(errors.NotFound, match="no posto schedule for distributor 961 on 2026-10-01"),
        driver.translate_errors(),
        conn.transaction(),
    ):
        rules.billing_summary_distributor(conn, "961", OCT)
    # the same schedule from the 1st: 1 kWh of fora ponta energy
    conn.execute(
        "update smf.posto_schedule set valid_during = '[2026-10-01,)' where distributor_id = %s",
        (uc.distributor_id,),
    )
    rows = rules.billing_summary(conn, uc.code, OCT)
    assert {(r["item"], r["posto"]): r["quantity"] for r in rows}[("energy", "fora_ponta")] == D(
        "1.000"
    )


def test_schedule_gap_of_one_day(conn):
    # Every single day is checked, not every other one: two schedule versions leave only
    # 2026-10-02 uncovered; a check of every other day (1, 3, 5, ...) would miss it.
    uc = make_uc(conn, 136, aneel="964", schedule=False)
    for valid in ("[2020-01-01,2026-10-02)", "[2026-10-03,)"):
        conn.execute(
            "insert into smf.posto_schedule (distributor_id, valid_during, ponta_start,"
            " capacitive_start) values (%s, %s, '18:00', '00:00')",
            (uc.distributor_id, valid),
        )
    put_hours(conn, uc, [("2026-10-20 10:00", 1, 0, 0)])
    with (
        pytest.raises(errors.NotFound, match=f"consumer unit {uc.code} on 2026-10-02"),
        driver.translate_errors(),
        conn.transaction(),
    ):
        rules.billing_summary(conn, uc.code, OCT)
    with (
        pytest.raises(errors.NotFound, match="no posto schedule for distributor 964 on 2026-10-02"),
        driver.translate_errors(),
        conn.transaction(),
    ):
        rules.billing_summary_distributor(conn, "964", OCT)


# ---------- readings at the month edges decide whether the month can be evaluated
#
# October 2026 local = [2026-10-01 00:00, 2026-11-01 00:00) at -03:00. A reading whose interval
# starts at 2026-10-01 00:00 is October's; one at 2026-11-01 00:00 or 2026-09-30 23:45 is not.


@pytest.mark.parametrize(
    ("seq", "start", "evaluable"),
    [
        (137, "2026-10-01 00:00", True),  # the first interval of the month
        (138, "2026-11-01 00:00", False),  # the first of November (the month's end, excluded)
        (139, "2026-09-30 23:45", False),  # the last of September
    ],
)
def test_month_needs_a_reading_inside_it(conn, seq, start, evaluable):
    # require_cycle counts the readings of [month start, next month start) only, both ends
    # exact: 5 kWh in the one interval.
    uc = make_uc(conn, seq)
    put_intervals(conn, uc, [(local(start), 5000, 0, 0)])
    if evaluable:
        items = {
            (r["item"], r["posto"]): r["quantity"]
            for r in rules.billing_summary(conn, uc.code, OCT)
        }
        assert items[("energy", "fora_ponta")] == D("5.000")
    else:
        with (
            pytest.raises(
                errors.NotFound, match=f"no readings for consumer unit {uc.code} in 2026-10"
            ),
            driver.translate_errors(),
        ):
            rules.billing_summary(conn, uc.code, OCT)


# ---------- a parameter with two validity periods


def test_parameter_value_of_each_period(conn):
    # rule_param reads the period valid on the day (`valid_during @> day`): musd_factor 1.25 until
    # 2026-12-31, 1.30 from 2027-01-01; each day reads its own period's value, and a day
    # before every period has none.
    conn.execute(
        "update smf.rule_parameter set valid_during = '[2000-01-01,2027-01-01)'"
        " where key = 'musd_factor'"
    )
    conn.execute(
        "insert into smf.rule_parameter values ('musd_factor', '[2027-01-01,)', 1.30, '1', 'U',"
        " 'x')"
    )
    for day, value in (("2026-12-31", D("1.25")), ("2027-01-01", D("1.30"))):
        assert scalar(conn, "select smf.rule_param('musd_factor', %s)", day) == value
    with (
        pytest.raises(errors.NotFound, match="no rule parameter musd_factor valid on 1999-12-31"),
        driver.translate_errors(),
    ):
        scalar(conn, "select smf.rule_param('musd_factor', '1999-12-31')")


def test_a_month_whose_readings_are_all_sealed_is_billed_not_refused(conn):
    # 100 kWh at 10:00 and 146 kWh at 11:00 local on 2026-10-06, then every period sealed (no hot
    # row, no hot rollup left): the bill reads the sealed tier, 246 kWh fora ponta, and does not
    # say "no readings".
    from tests.storage.helpers import seal_all

    uc = make_uc(conn, 121, ponta_kw=300, fora_kw=520, musd_kw=400)
    put_hours(conn, uc, [("2026-10-06 10:00", 100, 0, 0), ("2026-10-06 11:00", 146, 0, 0)])
    seal_all(conn)
    hot = scalar(conn, "select count(*) from smf.interval_reading where meter_id = %s", uc.meter_id)
    assert hot == 0
    energy = conn.execute(
        "select quantity from smf.billing_summary(%s, %s) where item = 'energy'"
        " and posto = 'fora_ponta'",
        (uc.code, OCT),
    ).fetchone()
    assert energy == (D("246.000"),)


def test_local_month_start_and_a_cycle_that_can_be_evaluated(conn):
    # Any day of October 2026 -> 2026-10-01 00:00 local = 03:00 UTC (-03:00).
    sql = "select smf.local_month_start(%s)"
    assert scalar(conn, sql, date(2026, 10, 15)) == datetime(2026, 10, 1, 3, tzinfo=UTC)
    assert scalar(conn, sql, date(2026, 10, 1)) == datetime(2026, 10, 1, 3, tzinfo=UTC)
    # require_cycle returns the UC's id when it has a main meter, a schedule and a reading.
    uc = make_uc(conn, 171)
    put_hours(conn, uc, [("2026-10-31 23:00", 1, 0, 0)])
    assert scalar(conn, "select smf.require_cycle(%s, %s)", uc.id, OCT) == uc.id
