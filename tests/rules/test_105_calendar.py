"""Calendars (db/functions/105_calendar.sql): Easter, holiday sets, business days, deadlines."""

from __future__ import annotations

from datetime import date

import pytest

from db import driver, errors, rules


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
