"""Data-quality flags of a bill (db/functions/165_billing_quality.sql): the days of the month below
the completeness threshold (setting billing_min_completeness_pct, default 99 %) and the days an
open VEE finding (warning or error) touches, then the month so far. The UCs here have a 15-minute
main meter: 96 intervals a local day, 31 x 96 = 2976 in October 2026 (a past month, so every day
up to the 31st counts)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from db import rules
from tests.rules.conftest import local, make_uc, put_intervals, scalar

OCT = date(2026, 10, 1)


def _full_days(conn, uc, first: int, last: int, *, skip: int = 0) -> None:
    # every quarter-hour of October first..last (local), 1 kWh each, less the last `skip` of each
    rows = []
    for day in range(first, last + 1):
        t0 = local(f"2026-10-{day:02d} 00:00")
        rows += [(t0 + timedelta(minutes=15 * k), 1000, 0, 0) for k in range(96 - skip)]
    put_intervals(conn, uc, rows)


def _finding(conn, uc, start: str, end: str, rule: str, severity: str = "warning") -> int:
    return conn.execute(
        "insert into smf.vee_finding (meter_id, rule, ts_from, ts_to, severity, detail)"
        " values (%s, %s, %s, %s, %s, 'test') returning id",
        (uc.meter_id, rule, local(start), local(end), severity),
    ).fetchone()[0]


def _flags(conn, uc) -> dict:
    return {r["day"]: r for r in rules.billing_data_quality(conn, uc.code, OCT)}


@pytest.mark.slow
def test_a_complete_month_without_findings_has_only_the_month_row(conn):
    uc = make_uc(conn, 501)
    _full_days(conn, uc, 1, 31)
    got = _flags(conn, uc)
    assert list(got) == [None]
    month = got[None]
    assert (month["completeness_pct"], month["threshold_pct"], month["below_threshold"]) == (
        D("100.00"),
        D("99"),
        False,
    )
    assert (month["open_findings"], month["finding_rules"]) == (0, [])


def test_days_without_data_are_flagged_at_zero_and_the_month_below_threshold(conn):
    # 30 complete days (2880 intervals) and 2026-10-17 absent: the day 0.00 %, the month
    # 2880 / 2976 = 96.774 % -> 96.77 < 99
    uc = make_uc(conn, 502)
    _full_days(conn, uc, 1, 16)
    _full_days(conn, uc, 18, 31)
    got = _flags(conn, uc)
    assert sorted(d for d in got if d) == [date(2026, 10, 17)]
    assert (
        got[date(2026, 10, 17)]["completeness_pct"],
        got[date(2026, 10, 17)]["below_threshold"],
    ) == (
        D("0.00"),
        True,
    )
    assert (got[None]["completeness_pct"], got[None]["below_threshold"]) == (D("96.77"), True)


def test_the_threshold_is_strict_and_a_setting(conn):
    # threshold 75 %: 72 of 96 intervals = 75.00 % is not below it; 71 of 96 = 73.958 % is
    uc = make_uc(conn, 503)
    conn.execute(
        "insert into smf.setting values ('billing_min_completeness_pct', '75', 'test')"
        " on conflict (key) do update set value = '75'"
    )
    _full_days(conn, uc, 1, 1, skip=24)  # 72 intervals
    _full_days(conn, uc, 2, 2, skip=25)  # 71 intervals
    _full_days(conn, uc, 3, 31)
    got = _flags(conn, uc)
    assert date(2026, 10, 1) not in got
    assert (
        got[date(2026, 10, 2)]["completeness_pct"],
        got[date(2026, 10, 2)]["threshold_pct"],
    ) == (
        D("73.96"),
        D("75"),
    )


def test_an_open_finding_flags_the_days_it_touches_until_resolved(conn):
    # a spike 2026-10-18 11:00-11:15 local and a missing run 2026-10-20 23:00 - 10-21 01:00 (two
    # days); an 'info' finding on 10-25 does not flag; a resolved one on 10-26 does not either
    uc = make_uc(conn, 504)
    _full_days(conn, uc, 1, 31)
    spike = _finding(conn, uc, "2026-10-18 11:00", "2026-10-18 11:15", "spike", "error")
    run = _finding(conn, uc, "2026-10-20 23:00", "2026-10-21 01:00", "missing_run")
    _finding(conn, uc, "2026-10-25 10:00", "2026-10-25 10:15", "voltage_band", "info")
    done = _finding(conn, uc, "2026-10-26 10:00", "2026-10-26 10:15", "spike")
    conn.execute(
        "update smf.vee_finding set status = 'resolved', resolved_by = 't', resolved_at = now()"
        " where id = %s",
        (done,),
    )
    got = _flags(conn, uc)
    assert sorted(d for d in got if d) == [
        date(2026, 10, 18),
        date(2026, 10, 20),
        date(2026, 10, 21),
    ]
    assert (got[date(2026, 10, 18)]["finding_rules"], got[date(2026, 10, 18)]["finding_ids"]) == (
        ["spike"],
        [spike],
    )
    assert got[date(2026, 10, 21)]["finding_ids"] == [run]
    assert got[date(2026, 10, 18)]["below_threshold"] is False  # complete, flagged for the finding
    assert (got[None]["open_findings"], got[None]["finding_rules"]) == (2, ["missing_run", "spike"])
    conn.execute(
        "update smf.vee_finding set status = 'resolved', resolved_by = 't', resolved_at = now()"
        " where id = %s",
        (spike,),
    )
    assert date(2026, 10, 18) not in _flags(conn, uc)


def test_a_finding_ending_at_midnight_does_not_touch_the_next_day(conn):
    # [2026-10-09 23:45, 2026-10-10 00:00) ends where the 10th begins: only the 9th is flagged
    uc = make_uc(conn, 505)
    _full_days(conn, uc, 1, 31)
    _finding(conn, uc, "2026-10-09 23:45", "2026-10-10 00:00", "spike")
    assert sorted(d for d in _flags(conn, uc) if d) == [date(2026, 10, 9)]


def test_a_day_without_data_counts_no_estimated_interval(conn):
    # 2026-10-06 complete with 4 of its 96 intervals estimated; every other day of October absent.
    # An absent day has nothing estimated: 0, not 1 (so the month's 4 is the data day's 4).
    uc = make_uc(conn, 503)
    _full_days(conn, uc, 6, 6)
    conn.execute(
        "update smf.interval_reading set quality = 'estimated' where meter_id = %s"
        " and ts >= %s and ts < %s",
        (uc.meter_id, local("2026-10-06 10:00"), local("2026-10-06 11:00")),
    )
    conn.execute(
        "select smf.rollup_refresh_meter(%s, %s, %s)",
        (uc.meter_id, local("2026-10-06 00:00"), local("2026-10-06 23:45")),
    )
    got = _flags(conn, uc)
    assert got[date(2026, 10, 7)]["estimated_intervals"] == 0
    assert got[date(2026, 10, 7)]["completeness_pct"] == D("0.00")
    assert got[None]["estimated_intervals"] == 4


@pytest.mark.parametrize(
    ("present_on_the_31st", "pct", "below"),
    [(66, "98.99", True), (67, "99.03", False)],
)
def test_the_month_threshold_at_its_edge(conn, present_on_the_31st, pct, below):
    # 30 complete days (2880) + n of the 96 of 2026-10-31: 2946 / 2976 = 98.992 % < 99 (flagged);
    # 2947 / 2976 = 99.026 % >= 99 (not flagged).
    uc = make_uc(conn, 504)
    _full_days(conn, uc, 1, 30)
    _full_days(conn, uc, 31, 31, skip=96 - present_on_the_31st)
    month = _flags(conn, uc)[None]
    assert (month["completeness_pct"], month["below_threshold"]) == (D(pct), below)


def test_quality_rows_of_a_uc_with_estimates_and_a_finding(conn):
    # Threshold set to 0 % (no day is below it), so only the day a finding touches is listed.
    # 2026-10-06 local: four 15-minute intervals, 10:00 and 10:15 measured, 10:30 and 10:45
    # estimated; an open warning 'spike' finding 10:00-10:15. Day: 4 / 96 = 4.1666 % -> 4.17,
    # 2 estimated, 1 finding; not below 0. Month (31 days x 96 = 2976 expected): 4 / 2976 =
    # 0.1344 % -> 0.13, 2 estimated, 1 finding.
    conn.execute("update smf.setting set value = '0' where key = 'billing_min_completeness_pct'")
    assert conn.execute("select smf.billing_min_completeness_pct()").fetchone()[0] == D(0)
    uc = make_uc(conn, 505)
    t = local("2026-10-06 10:00")
    put_intervals(conn, uc, [(t + timedelta(minutes=15 * k), 1000, 0, 0) for k in range(4)])
    conn.execute(
        "update smf.interval_reading set quality = 'estimated' where meter_id = %s and ts >= %s",
        (uc.meter_id, t + timedelta(minutes=30)),
    )
    conn.execute(
        "select smf.rollup_refresh_meter(%s, %s, %s)", (uc.meter_id, t, t + timedelta(minutes=45))
    )
    spike = _finding(conn, uc, "2026-10-06 10:00", "2026-10-06 10:15", "spike")
    rows = conn.execute(
        "select day, completeness_pct, threshold_pct, estimated_intervals, open_findings,"
        " finding_rules, finding_ids, below_threshold from smf.billing_data_quality_of(%s, %s)",
        (uc.id, OCT),
    ).fetchall()
    assert rows == [
        (date(2026, 10, 6), D("4.17"), D(0), 2, 1, ["spike"], [spike], False),
        (None, D("0.13"), D(0), 2, 1, ["spike"], [spike], False),
    ]


def test_the_completeness_threshold_defaults_to_99_percent(conn):
    # Without the row billing_min_completeness_pct of smf.setting: 99 (%).
    conn.execute("delete from smf.setting where key = 'billing_min_completeness_pct'")
    assert conn.execute("select smf.billing_min_completeness_pct()").fetchone()[0] == D(99)


def test_a_day_at_exactly_the_threshold_listed_for_a_finding_is_not_below_it(conn):
    # threshold 75 %: 2026-10-01 holds 72 of its 96 quarter hours = 75.00 %, not below 75; it is
    # listed only because an open finding (10:00-10:15 local) touches it, and flagged for that
    # alone: below_threshold false.
    uc = make_uc(conn, 506)
    conn.execute(
        "insert into smf.setting values ('billing_min_completeness_pct', '75', 'test')"
        " on conflict (key) do update set value = '75'"
    )
    _full_days(conn, uc, 1, 1, skip=24)  # 72 intervals
    _full_days(conn, uc, 2, 31)
    finding = _finding(conn, uc, "2026-10-01 10:00", "2026-10-01 10:15", "spike")
    day = _flags(conn, uc)[date(2026, 10, 1)]
    assert (day["completeness_pct"], day["finding_ids"], day["below_threshold"]) == (
        D("75.00"),
        [finding],
        False,
    )


def test_a_day_one_quarter_hour_short_is_below_the_default_threshold(conn):
    # default threshold 99 %: 2026-10-05 holds 95 of its 96 quarter hours = 9500 / 96 = 98.958 %
    # -> 98.96, below 99 (a ratio scaled by 100.1 instead of 100 would read 99.06 and not be).
    # The other 30 days are complete: the month has 30 x 96 + 95 = 2975 of 2976 = 99.966 %
    # -> 99.97, not below.
    uc = make_uc(conn, 507)
    _full_days(conn, uc, 1, 4)
    _full_days(conn, uc, 5, 5, skip=1)  # 95 intervals
    _full_days(conn, uc, 6, 31)
    got = _flags(conn, uc)
    assert sorted(d for d in got if d) == [date(2026, 10, 5)]
    day = got[date(2026, 10, 5)]
    assert (day["completeness_pct"], day["open_findings"], day["below_threshold"]) == (
        D("98.96"),
        0,
        True,
    )
    assert (got[None]["completeness_pct"], got[None]["below_threshold"]) == (D("99.97"), False)


def test_the_month_under_way_is_flagged_up_to_yesterday(conn):
    # In the month under way the days run from the 1st to yesterday (local), today being not over:
    # a UC whose main meter has no reading at all lists each of those days at 0 of 96 quarter
    # hours = 0.00 %, below 99, then the month row at 0 / (96 x days so far) = 0.00 %, below.
    # Yesterday is listed, today is not.
    uc = make_uc(conn, 508)
    today = scalar(conn, "select (now() at time zone smf.local_timezone())::date")
    yesterday = today - timedelta(days=1)
    first = yesterday.replace(day=1)
    rows = rules.billing_data_quality(conn, uc.code, first)
    assert [r["day"] for r in rows] == [
        *(first + timedelta(days=k) for k in range(yesterday.day)),
        None,
    ]
    assert {(r["completeness_pct"], r["below_threshold"]) for r in rows} == {(D("0.00"), True)}
