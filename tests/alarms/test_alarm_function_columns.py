"""The alarm functions and the coverage sheet, value by value (db/functions/600_alarms.sql):
smf.alarm_unbalance_pct (%), alarm_clear, alarm_group_assign and the UC, rule and threshold
columns of smf_read.alarm_coverage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D
from typing import Any

import psycopg
import pytest

from tests.ccee.helpers import make_uc
from tests.pins import pins


@pytest.mark.parametrize(
    ("vals", "method", "pct"),
    [
        # mean 220; nema: max |x - 220| = 10, 10 / 220 x 100 = 4.5454.. -> 4.545
        ([230, 220, 210], "nema", "4.545"),
        # ieee: (230 - 210) / 220 x 100 = 9.0909.. -> 9.091
        ([230, 220, 210], "ieee", "9.091"),
        # a null phase is left out: mean (100 + 110) / 2 = 105; nema 5 / 105 x 100 = 4.7619..
        ([100, None, 110], "nema", "4.762"),
        ([100, None, 110], "ieee", "9.524"),  # 10 / 105 x 100 = 9.5238..
        ([127, 127, 127], "nema", "0.000"),
        ([1, 2, 3], "nema", "50.000"),  # mean 2: 1 / 2 x 100
        ([100, None, None], "nema", None),  # one phase: no unbalance
        ([0, 0, 0], "nema", None),  # mean 0
        ([-5, -5, 1], "ieee", None),  # mean -3: not positive
    ],
)
def test_unbalance_pct_by_nema_and_ieee(
    conn: psycopg.Connection[Any], vals: list[int | None], method: str, pct: str | None
) -> None:
    """Unbalance in %, 3 decimals, of 2 or 3 phase magnitudes with a positive mean."""
    row = conn.execute(
        "select smf.alarm_unbalance_pct(%s::numeric[], %s)", (vals, method)
    ).fetchone()
    assert row == (None if pct is None else D(pct),)


def _raise(conn: psycopg.Connection[Any], rule: str, meter: int, at: datetime) -> int:
    row = conn.execute(
        "select smf.alarm_raise(%s, %s, %s, %s, 80, 90, 'A', 'interval', 'low')",
        (rule, meter, at, at),
    ).fetchone()
    assert row is not None
    return int(row[0])


def test_alarm_clear_clears_the_active_alarm_only_with_data_not_older_than_its_violation(
    conn: psycopg.Connection[Any],
) -> None:
    """Returns the id of the alarm it cleared (state cleared, cleared_at = the data's time,
    an acknowledgement kept), null when nothing active or when the data are older."""
    uc = make_uc(conn, 1, registered=None)
    m = uc.meter_id
    t = datetime(2024, 3, 8, 12, 0, tzinfo=UTC)
    a = _raise(conn, "a", m, t)

    def clear(rule: str, at: datetime) -> Any:
        row = conn.execute("select smf.alarm_clear(%s, %s, %s)", (rule, m, at)).fetchone()
        assert row is not None
        return row[0]

    assert clear("a", t - timedelta(seconds=1)) is None  # older than the violation
    assert clear("b", t) is None  # no alarm of rule b
    assert clear("a", t) == a  # same instant as the last violation: clears
    assert clear("a", t + timedelta(hours=1)) is None  # nothing active any more
    g = _raise(conn, "g", m, t)
    conn.execute(
        "update smf.alarm set state = 'acknowledged', acknowledged_by = 'op',"
        " acknowledged_at = %s where id = %s",
        (t, g),
    )
    assert clear("g", t + timedelta(minutes=5)) == g
    rows = conn.execute(
        "select id, state, cleared_at, acknowledged_by from smf.alarm where meter_id = %s"
        " order by id",
        (m,),
    ).fetchall()
    assert rows == [(a, "cleared", t, None), (g, "cleared", t + timedelta(minutes=5), "op")]


def test_alarm_group_assign_creates_the_group_once_and_moves_a_uc(
    conn: psycopg.Connection[Any],
) -> None:
    """Returns the group id; the group is created with the UC's distributor the first time; a
    UC is in one group at a time; an empty name is refused (SMF02)."""
    u1 = make_uc(conn, 1, registered=None)
    u2 = make_uc(conn, 2, registered=None)

    def assign(group: str, uc_code: str) -> int:
        row = conn.execute("select smf.alarm_group_assign(%s, %s)", (group, uc_code)).fetchone()
        assert row is not None
        return int(row[0])

    g1 = assign("GA-1", u1.code)
    assert assign("GA-1", u2.code) == g1  # the same group, not a second one
    g2 = assign("GA-2", u1.code)  # u1 moves
    assert g2 != g1
    (dist,) = conn.execute(
        "select distributor_id from smf.consumer_unit where id = %s", (u1.id,)
    ).fetchone()  # type: ignore[misc]
    assert conn.execute(
        "select id, name, distributor_id from smf.alarm_group where name like 'GA-%' order by id"
    ).fetchall() == [(g1, "GA-1", dist), (g2, "GA-2", dist)]
    assert conn.execute(
        "select consumer_unit_id, group_id from smf.alarm_group_member order by 1"
    ).fetchall() == [(u1.id, g2), (u2.id, g1)]
    for name in ("", "   "):
        with pytest.raises(psycopg.Error) as e, conn.transaction():
            conn.execute("select smf.alarm_group_assign(%s, %s)", (name, u1.code))
        assert e.value.sqlstate == "SMF02"


@pins("smf_read.alarm_coverage.*")
def test_alarm_coverage_names_the_uc_the_rule_and_the_threshold_in_force_with_its_level(
    conn: psycopg.Connection[Any],
) -> None:
    """Per meter and rule: the UC it measures (as main or backup meter), the rule's name, and
    the value and level (meter, group, default) of the threshold in force now; a rule switched
    off at the meter has none. smf_read.alarm_coverage is this view's copy (compared row for
    row by tests/api/test_visibility.py)."""
    uc = make_uc(conn, 1, registered=None)
    backup = conn.execute(
        "insert into smf.meter (serial) values ('AC-BK') returning id"
    ).fetchone()[0]  # type: ignore[index]
    lone = conn.execute(
        "insert into smf.meter (serial) values ('AC-LONE') returning id"
    ).fetchone()[0]  # type: ignore[index]
    conn.execute("update smf.consumer_unit set backup_meter_id = %s where id = %s", (backup, uc.id))
    (dist,) = conn.execute(
        "select distributor_id from smf.consumer_unit where id = %s", (uc.id,)
    ).fetchone()  # type: ignore[misc]
    conn.execute("select smf.alarm_group_assign('AC-G', %s)", (uc.code,))
    since = datetime(2020, 1, 1, tzinfo=UTC)
    for rule, value, enabled, meter, group, frm in (
        ("a", 200, True, "C391-1", None, since),  # meter level
        ("b", 250, True, None, "AC-G", since),  # group level
        ("c", 5, False, "C391-1", None, since),  # switched off at the meter
        ("j", 60, True, "C391-1", None, datetime(2999, 1, 1, tzinfo=UTC)),  # not yet
    ):
        conn.execute(
            "select smf.alarm_set_threshold(%s, %s, '{}', %s, %s, %s, %s, 'test')",
            (rule, value, enabled, meter, group, frm),
        )
    rows = conn.execute(
        "select serial, customer_name, uc_id, distributor_id, rule_code, rule_name, threshold,"
        " level from smf.alarm_coverage where serial in ('C391-1', 'AC-BK', 'AC-LONE')"
        " and rule_code in ('a', 'b', 'c', 'j', 'm') order by serial, rule_code"
    ).fetchall()
    main = ("C391-1", "Test", uc.id, dist)
    bk = ("AC-BK", "Test", uc.id, dist)  # the backup meter measures the same UC
    no = ("AC-LONE", None, None, None)
    assert lone != backup
    assert rows == [
        # the backup meter is in the UC's group (b) but has no meter rows of its own
        (*bk, "a", "minimum voltage", None, None),
        (*bk, "b", "maximum voltage", D("250"), "group"),
        (*bk, "c", "voltage unbalance", D("3.0"), "default"),
        (*bk, "j", "clock deviation", D("300"), "default"),
        (*bk, "m", "daily connectivity", D("80"), "default"),
        (*no, "a", "minimum voltage", None, None),
        (*no, "b", "maximum voltage", None, None),
        (*no, "c", "voltage unbalance", D("3.0"), "default"),
        (*no, "j", "clock deviation", D("300"), "default"),
        (*no, "m", "daily connectivity", D("80"), "default"),
        (*main, "a", "minimum voltage", D("200"), "meter"),
        (*main, "b", "maximum voltage", D("250"), "group"),
        (*main, "c", "voltage unbalance", None, None),  # off at the meter: no threshold
        (*main, "j", "clock deviation", D("300"), "default"),  # its 60 s starts in 2999
        (*main, "m", "daily connectivity", D("80"), "default"),
    ]
