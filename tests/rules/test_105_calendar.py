"""Calendars (db/functions/105_calendar.sql): Easter, holiday sets, business days, deadlines."""

from __future__ import annotations

from datetime import date

import pytest

from db import driver, errors, rules
from tests.rules.conftest import local, make_uc, scalar

OCT = date(2026, 10, 1)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("year", "easter"),
    [
        (2000, date(2000, 4, 23)),
        (2008, date(2008, 3, 23)),
        (2011, date(2011, 4, 24)),
        (2024, date(2024, 3, 31)),
        (2025, date(2025, 4, 20)),
        (2026, date(2026, 4, 5)),
        (2038, date(2038, 4, 25)),
    ],
)
def test_easter_sunday(conn, year, easter):
    assert conn.execute("select smf.easter_sunday(%s)", (year,)).fetchone()[0] == easter


@pytest.mark.parametrize(
    ("day", "ccee", "tariff", "why"),
    [
        (date(2026, 2, 16), False, True, "Carnival Monday (Easter 5 Apr - 48): CCEE only"),
        (date(2026, 2, 17), False, False, "Carnival Tuesday (-47): both"),
        (date(2026, 2, 18), True, True, "Ash Wednesday (-46): in neither set"),
        (date(2026, 4, 3), False, False, "Good Friday (-2)"),
        (date(2026, 6, 4), False, False, "Corpus Christi (+60)"),
        (date(2023, 11, 20), True, True, "20 Nov is a holiday only from 2024"),
        (date(2024, 11, 20), False, False, "20 Nov 2024, a Wednesday"),
        (date(2026, 10, 12), False, False, "Aparecida"),
        (date(2026, 10, 10), False, False, "a Saturday"),
        (date(2026, 10, 13), True, True, "an ordinary Tuesday"),
        (date(2100, 12, 24), True, True, "generated up to 2100: a Friday"),
        (date(2100, 12, 25), False, False, "Christmas 2100"),
    ],
)
def test_business_days_of_each_calendar(conn, day, ccee, tariff, why):
    assert rules.is_business_day(conn, day, "ccee") is ccee, why
    assert rules.is_business_day(conn, day, "tariff") is tariff, why


@pytest.mark.parametrize(
    ("day", "n", "expected"),
    [
        (date(2026, 4, 2), 1, date(2026, 4, 6)),  # Thu -> (Good Friday, weekend) -> Mon
        (date(2026, 4, 6), -1, date(2026, 4, 2)),
        (date(2026, 10, 9), 1, date(2026, 10, 13)),  # Fri -> (weekend, 12 Oct) -> Tue
        (date(2026, 10, 9), 0, date(2026, 10, 9)),
        (date(2026, 2, 13), 1, date(2026, 2, 18)),  # Fri -> (weekend, Carnival) -> Ash Wed
    ],
)
def test_add_business_days(conn, day, n, expected):
    assert rules.add_business_days(conn, day, n) == expected


def test_deadlines_of_october_2026(conn):
    # October 2026 business days: 1, 2, 5, 6, 7, 8, 9, (12 is Aparecida), 13, 14 -> M+9du = 14 Oct.
    # November 2026: (2 is Finados) 3, 4, 5, 6, 9, 10, 11 -> MS+7du = 11 Nov; 12, 13 -> MS+9du = 13;
    # (14-15 weekend) 16 -> MS+10du; 17 -> MS+11du; 18 -> MS+12du.
    due = {r["code"]: (r["rule"], r["due"]) for r in rules.ccee_deadlines(conn, date(2026, 10, 1))}
    assert due == {
        "contract_registration": ("M+9du", date(2026, 10, 14)),
        "measurement": ("MS+7du", date(2026, 11, 11)),
        "contract_volumes": ("MS+9du", date(2026, 11, 13)),
        "contract_validation": ("MS+10du", date(2026, 11, 16)),
        "contract_adjustment": ("MS+11du", date(2026, 11, 17)),
        "contract_adjustment_validation": ("MS+12du", date(2026, 11, 18)),
    }


def test_holidays_are_editable(conn):
    # An operator adds a CCEE non-business day by hand: 13 Oct 2026 stops being a business day.
    conn.execute(
        "insert into smf.holiday (calendar_id, day, name) select id, '2026-10-13', 'extra'"
        " from smf.calendar where purpose = 'ccee'"
    )
    assert rules.is_business_day(conn, date(2026, 10, 13)) is False
    assert rules.add_business_days(conn, date(2026, 10, 9), 1) == date(2026, 10, 14)


def test_unknown_calendar_purpose(conn):
    with pytest.raises(errors.InvalidParameter, match="calendar purpose 'x' is not tariff or ccee"):
        rules.is_business_day(conn, date(2026, 10, 13), "x")


def test_overlapping_calendar_versions_are_refused(conn):
    with pytest.raises(errors.Conflict, match="calendar_no_overlap"), driver.translate_errors():
        conn.execute(
            "insert into smf.calendar (purpose, version, valid_during, description)"
            " values ('ccee', 2, '[2026-01-01,)', 'v2')"
        )


# Easter outside 2000-2100: easter_sunday() takes any Gregorian year. The dates below are those of
# the published Gregorian Easter tables (checked while writing against dateutil.easter, an
# implementation independent of ours). Each year was chosen because its Easter depends on a
# constant of the algorithm that the years 2000-2100 above do not exercise (a one-unit change of
# that constant moves it):
#   1707 (24 Apr): the 22 of 22*l (also 1734, 1859), the 100 of b = p_year / 100, and in
#        g = (b - (b + 8) / 25 + 1) / 3 the 25 and its 100 (for b = 17, (17 + 8) / 25 = 1 but
#        25 / 26 = 0);
#   3317 (18 Apr): the 451 (452 differs first in 3165), the 7 of 7*m in the day, the first
#        p_year / 100 of g;
#   1999 (4 Apr): the 31 of the month (worked below: 127 / 31 = 4, April, but 127 / 32 = 3), the
#        4 of e = b % 4 (19 % 4 = 3, 19 % 5 = 4).
# Worked for 1999 (anonymous Gregorian algorithm): a = 1999 % 19 = 4, b = 19, c = 99, d = 4,
# e = 3, f = (19 + 8) / 25 = 1, g = (19 - 1 + 1) / 3 = 6, h = (19*4 + 19 - 4 - 6 + 15) % 30
# = 100 % 30 = 10, i = 99 / 4 = 24, k = 99 % 4 = 3, l = (32 + 2*3 + 2*24 - 10 - 3) % 7 = 73 % 7
# = 3, m = (4 + 11*10 + 22*3) / 451 = 180 / 451 = 0, month = (10 + 3 + 114) / 31 = 127 / 31 = 4,
# day = 127 % 31 + 1 = 3 + 1 = 4 -> 4 April 1999.
@pytest.mark.parametrize(
    ("year", "easter"),
    [
        (1707, date(1707, 4, 24)),
        (1999, date(1999, 4, 4)),
        (3317, date(3317, 4, 18)),
        (1818, date(1818, 3, 22)),  # the earliest possible date, as in 2285
        (1943, date(1943, 4, 25)),  # the latest possible date, as in 2038
    ],
)
def test_easter_in_other_centuries(conn, year, easter):
    assert scalar(conn, "select smf.easter_sunday(%s)", year) == easter


# ---------- calendar versions, holiday generation and deadline order


def test_calendar_versions_apply_by_date(conn):
    # A calendar version counts only on the days it is valid (`valid_during @> day`, in the CCEE
    # business days of 105_calendar.sql and in the tariff holidays of 110_postos.sql).
    # The shipped versions (all holidays of 2000-2100) are made valid from 2027 only, and a
    # version without any holiday covers 2000-2026. So in 2026 no day is a holiday:
    # - Mon 2026-11-02 (All Souls) is a CCEE business day, Tue 2027-11-02 is not;
    # - 2 CCEE business days after Mon 2026-10-05: Tue 6, Wed 7 -> 2026-10-07 (counting each day
    #   once per version would give the 6th);
    # - 2026-11-02 19:00 is ponta (ponta 18:00-21:00 on a weekday without a tariff holiday).
    conn.execute(
        "update smf.calendar set valid_during = '[2027-01-01,2101-01-01)'"
        " where purpose in ('ccee', 'tariff')"
    )
    conn.execute(
        "insert into smf.calendar (purpose, version, valid_during, description) values"
        " ('ccee', 2, '[2000-01-01,2027-01-01)', 'none'),"
        " ('tariff', 2, '[2000-01-01,2027-01-01)', 'none')"
    )
    assert rules.is_business_day(conn, date(2026, 11, 2)) is True
    assert rules.is_business_day(conn, date(2027, 11, 2)) is False
    assert rules.add_business_days(conn, date(2026, 10, 5), 2) == date(2026, 10, 7)
    uc = make_uc(conn, 148)
    assert rules.posto_at(conn, uc.code, local("2026-11-02 19:00"))["posto"] == "ponta"


def test_calendar_generate_one_year_and_rule_years(conn):
    # A range of one year is generated (an empty range is refused, naming it), and a rule counts
    # only in its first_year..last_year. A tariff calendar version for 2200 only, with Christmas and
    # Black Consciousness (a holiday from 2024 on): generating 2200..2200 adds 2 days; a rule
    # limited to 1900..2023 adds none.
    cal = conn.execute(
        "insert into smf.calendar (purpose, version, valid_during, description)"
        " values ('tariff', 9, '[2200-01-01,2201-01-01)', 'test') returning id"
    ).fetchone()[0]
    conn.execute(
        "insert into smf.holiday_rule (code, name, fixed_month, fixed_day, first_year, last_year)"
        " values ('old_rule', 'Old', 3, 3, 1900, 2023)"
    )
    for code in ("christmas", "black_consciousness", "old_rule"):
        conn.execute("insert into smf.calendar_rule values (%s, %s)", (cal, code))
    assert scalar(conn, "select smf.calendar_generate(%s, 2200, 2200)", cal) == 2
    days = conn.execute("select day from smf.holiday where calendar_id = %s order by 1", (cal,))
    assert [d for (d,) in days.fetchall()] == [date(2200, 11, 20), date(2200, 12, 25)]
    with (
        pytest.raises(errors.InvalidParameter, match=r"year range 2201\.\.2200 is empty"),
        driver.translate_errors(),
    ):
        scalar(conn, "select smf.calendar_generate(%s, 2201, 2200)", cal)


def test_deadlines_in_due_date_then_code_order(conn):
    # Deadlines on the same due date are listed by code (not by description): a second MS+7du
    # deadline falls on the measurement one (11 Nov 2026 for October, see
    # test_deadlines_of_october_2026). By code 'a_extra' < 'measurement'; by description 'Zz extra'
    # > 'Measurement data ...'.
    conn.execute(
        "insert into smf.ccee_deadline (code, description, base, business_days, valid_during)"
        " values ('a_extra', 'Zz extra', 'MS', 7, '[2000-01-01,)')"
    )
    rows = rules.ccee_deadlines(conn, OCT)
    assert [(r["code"], r["due"]) for r in rows[:3]] == [
        ("contract_registration", date(2026, 10, 14)),
        ("a_extra", date(2026, 11, 11)),
        ("measurement", date(2026, 11, 11)),
    ]


def test_deadlines_counted_from_a_month_ending_on_a_business_day(conn):
    # M+n du and MS+n du count from the last day of the month before (not from the one before it):
    # September 2026 ends on Wed 30, a business day. M+1du of October = Thu 1 Oct; MS+1du of
    # September = Thu 1 Oct (counting from Tue 29 would give Wed 30 Sep).
    assert scalar(conn, "select smf.m_du('2026-10-01', 1)") == date(2026, 10, 1)
    assert scalar(conn, "select smf.ms_du('2026-09-01', 1)") == date(2026, 10, 1)


def test_holiday_dates_of_fixed_and_moving_rules_within_their_years(conn):
    # Easter 2023 = April 9, 2024 = March 31. Good Friday = Easter - 2: 2023-04-07, 2024-03-29;
    # Corpus Christi = Easter + 60: 2023-06-08, 2024-05-30. Consciência Negra (Nov 20) is a
    # rule from 2024 on: 2024-11-20 only.
    rows = conn.execute(
        "select day, rule_code, name from smf.holiday_dates(%s, 2023, 2024) order by day",
        (["good_friday", "corpus_christi", "black_consciousness"],),
    ).fetchall()
    assert rows == [
        (date(2023, 4, 7), "good_friday", "Sexta-feira Santa"),
        (date(2023, 6, 8), "corpus_christi", "Corpus Christi"),
        (date(2024, 3, 29), "good_friday", "Sexta-feira Santa"),
        (date(2024, 5, 30), "corpus_christi", "Corpus Christi"),
        (date(2024, 11, 20), "black_consciousness", "Dia Nacional de Zumbi e da Consciência Negra"),
    ]


def test_calendar_for_takes_the_version_valid_on_the_day(conn):
    # The tariff calendar closed on 2026-12-31 and a version 2 from 2027-01-01: 2026-12-31 ->
    # the first, 2027-01-01 -> the new one; an unknown purpose is SMF02; a day no version
    # covers (2101-01-01, past both) is SMF04.
    old = scalar(conn, "select id from smf.calendar where purpose = 'tariff'")
    conn.execute(
        "update smf.calendar set valid_during = daterange(lower(valid_during), '2027-01-01')"
        " where id = %s",
        (old,),
    )
    new = scalar(
        conn,
        "insert into smf.calendar (purpose, version, valid_during, description)"
        " values ('tariff', 2, '[2027-01-01,2101-01-01)', 'test') returning id",
    )
    sql = "select smf.calendar_for('tariff', %s)"
    assert scalar(conn, sql, date(2026, 12, 31)) == old
    assert scalar(conn, sql, date(2027, 1, 1)) == new
    # (each in a savepoint, conn.transaction(): the transaction goes on after the error)
    bad = "calendar purpose 'x' is not tariff or ccee"
    with (
        pytest.raises(errors.InvalidParameter, match=bad),
        driver.translate_errors(),
        conn.transaction(),
    ):
        conn.execute("select smf.calendar_for('x', '2026-10-01')")
    with (
        pytest.raises(errors.NotFound, match="no tariff calendar covers 2101-01-01"),
        driver.translate_errors(),
        conn.transaction(),
    ):
        conn.execute(sql, (date(2101, 1, 1),))
