"""Manual edits: set, scale, copy_from; who/when/why/old values; bad input changes nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from db import vee
from db.errors import InvalidParameter, NotFound
from tests.vee.conftest import FIVE, day_rows, local, put, unit, wh

DAY = "2026-10-05"
D0 = local(f"{DAY} 00:00")


def snapshot(conn, meter):
    return conn.execute(
        "select (select md5(string_agg(r::text, ',' order by ts)) from smf.interval_reading_all r"
        "        where meter_id = %(m)s),"
        " (select count(*) from smf.interval_reading_history where meter_id = %(m)s),"
        " (select count(*) from smf.vee_manual_edit),"
        " (select md5(string_agg(r::text, ',' order by bucket)) from smf.rollup_day r"
        "        where meter_id = %(m)s)",
        {"m": meter},
    ).fetchone()


@pytest.mark.slow
def test_set_scale_copy_are_recorded_with_old_values(conn):
    u = unit(conn, 41)
    other = unit(conn, 42)
    kwh = [1.0] * 288
    kwh[50] = 15.0
    put(conn, u.main_serial, day_rows(DAY, kwh))
    put(conn, other.main_serial, day_rows(DAY, 0.7))
    out = vee.edit(
        conn,
        serial=u.main_serial,
        start=D0 + 50 * FIVE,
        end=D0 + 51 * FIVE,
        operation="set",
        value=Decimal("1.234"),
        reason="spike: CT test current",
        operator="ana",
    )
    assert out["intervals"] == 1
    assert wh(conn, u.main, D0 + 50 * FIVE) == (1234, "adjusted", "manual")
    vee.edit(
        conn,
        serial=u.main_serial,
        start=D0,
        end=D0 + 2 * FIVE,
        operation="scale",
        value=Decimal("1.5"),
        reason="CT ratio 150/5 entered as 100/5",
        operator="ana",
    )
    assert wh(conn, u.main, D0) == (1500, "adjusted", "manual")  # 1000 Wh x 1.5
    vee.edit(
        conn,
        serial=u.main_serial,
        start=D0 + 2 * FIVE,
        end=D0 + 3 * FIVE,
        operation="copy_from",
        source_serial=other.main_serial,
        reason="twin feeder",
        operator="bruno",
    )
    assert wh(conn, u.main, D0 + 2 * FIVE) == (700, "adjusted", "manual")
    edits = conn.execute(
        "select operation, argument, reason, operator, old_values from smf.vee_manual_edit"
        " order by id"
    ).fetchall()
    assert edits[0][:4] == ("set", "1.234", "spike: CT test current", "ana")
    assert edits[0][4][0]["old"] == 15000 and edits[0][4][0]["quality"] == "measured"
    assert [o["old"] for o in edits[1][4]] == [1000, 1000]
    assert edits[2][:4] == ("copy_from", other.main_serial, "twin feeder", "bruno")
    hist = conn.execute(
        "select active_fwd_wh, changed_by, reason from smf.interval_reading_history"
        " where meter_id = %s and ts = %s",
        (u.main, D0 + 50 * FIVE),
    ).fetchall()
    assert hist == [(15000, "ana", "spike: CT test current")]
    # the spike finding inside the edited range is resolved by the edit
    st = conn.execute(
        "select status, resolved_by from smf.vee_finding where meter_id = %s and rule = 'spike'",
        (u.main,),
    ).fetchone()
    assert st[0] == "resolved" and st[1].startswith("manual edit ")
    # rollups follow: before 287 x 1000 + 15 000 = 302 000 Wh; interval 50: 15 000 -> 1 234
    # (-13 766), intervals 0, 1: 1000 -> 1500 (+1 000), interval 2: 1000 -> 700 (-300)
    assert conn.execute(
        "select active_fwd_wh, n_adjusted from smf.rollup_day where meter_id = %s", (u.main,)
    ).fetchone() == (302_000 - 13_766 + 1_000 - 300, 4)


@pytest.mark.parametrize(
    ("kw", "error", "message"),
    [
        ({"reason": " "}, InvalidParameter, "a reason is required"),
        ({"serial": "NOPE"}, NotFound, "no meter with serial 'NOPE'"),
        ({"value": Decimal("-1")}, InvalidParameter, "negative energy is refused"),
        ({"end": D0 + 300 * FIVE}, InvalidParameter, "beyond the data"),
        ({"start": D0 - FIVE}, InvalidParameter, "beyond the data"),
        ({"start": D0 + FIVE / 5}, InvalidParameter, "not on the"),
        ({"end": D0}, InvalidParameter, "is empty"),
        ({"operation": "copy_from", "source_serial": "NOPE"}, NotFound, "no meter 'NOPE'"),
        ({"operation": "rotate"}, InvalidParameter, "not set, scale or copy_from"),
        ({"channel": "power_factor"}, InvalidParameter, "unknown channel 'power_factor'"),
        ({"value": Decimal("500")}, InvalidParameter, "break an ingest rule"),  # > physical max
    ],
)
def test_bad_input_changes_nothing(conn, kw, error, message):
    u = unit(conn, 43)
    put(conn, u.main_serial, day_rows(DAY, 1.0))
    before = snapshot(conn, u.main)
    args = {
        "serial": u.main_serial,
        "start": D0,
        "end": D0 + 2 * FIVE,
        "operation": "set",
        "value": Decimal("2"),
        "reason": "test",
        "operator": "ana",
    } | kw
    conn.execute("savepoint s")
    with pytest.raises(error, match=message):
        vee.edit(conn, **args)
    conn.execute("rollback to savepoint s")
    assert snapshot(conn, u.main) == before
