"""Rule parameters and shared lookups (db/functions/100_parameters.sql)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from db import driver, errors, rules
from tests.rules.conftest import make_uc, put_hours


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
