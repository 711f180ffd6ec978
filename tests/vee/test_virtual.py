"""Virtual meters: parsing (no eval), precedence, errors at definition, values against hand sums,
division by zero, worst quality, resolutions; and the distributor/month group summary."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from db import vee
from db.errors import InvalidParameter, NotFound
from db.vee.formula import FormulaError, parse
from tests.vee.conftest import FIVE, day_rows, local, meter, put, unit

DAY = "2026-10-05"
D0 = local(f"{DAY} 00:00")


def test_parse_precedence_and_unary():
    assert parse("1 + 2 * 3") == {
        "op": "+",
        "args": [{"num": "1"}, {"op": "*", "args": [{"num": "2"}, {"num": "3"}]}],
    }
    assert parse("(1 + 2) * 3")["op"] == "*"
    assert parse("8 / 4 / 2") == {  # left-associative: (8 / 4) / 2
        "op": "/",
        "args": [{"op": "/", "args": [{"num": "8"}, {"num": "4"}]}, {"num": "2"}],
    }
    assert parse("-M(1).active_fwd") == {
        "op": "neg",
        "args": [{"meter": "1", "channel": "active_fwd"}],
    }
    t = parse(
        "M(12345678).active_fwd \u2212 M(87654321).active_fwd + 0.98 \u00d7 M(555).active_fwd"
    )
    assert t["op"] == "+" and t["args"][0]["op"] == "-" and t["args"][1]["op"] == "*"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty formula"),
        ("1 +", "column 4: expected a number"),
        ("(1 + 2", "column 7: expected '\\)'"),
        ("1 2", "column 3: unexpected '2'"),
        ("M(1).active_fwd; drop table x", "column 16: unexpected"),
        ("__import__('os')", "column 1: unexpected"),
        ("M(1)", "column 1: unexpected"),
    ],
)
def test_parse_errors_name_the_column(text, message):
    with pytest.raises(FormulaError, match=message):
        parse(text)


def _three(conn):
    a, b, c = meter(conn, "VA"), meter(conn, "VB"), meter(conn, "VC")
    kwh_a = [1.0] * 288
    kwh_b = [0.25] * 288
    kwh_c = [2.0] * 288
    kwh_c[3] = 0.0
    put(conn, "VA", day_rows(DAY, kwh_a))
    put(conn, "VB", day_rows(DAY, kwh_b, skip=[5]))  # interval 5 of VB is missing
    put(conn, "VC", day_rows(DAY, kwh_c))
    return a, b, c


@pytest.mark.slow
def test_values_against_hand_sums(conn):
    _three(conn)
    vee.define_virtual(
        conn,
        "NET",
        "M(VA).active_fwd - M(VB).active_fwd + 0.98 * M(VC).active_fwd",
        date(2026, 10, 1),
    )
    rows = conn.execute(
        "select ts, value_kwh, quality::text from smf.virtual_series('NET', %s, %s)",
        (D0, D0 + 8 * FIVE),
    ).fetchall()
    # 1.0 - 0.25 + 0.98 x 2.0 = 2.71; interval 3: 1.0 - 0.25 + 0 = 0.75; interval 5: VB missing
    assert [r[1] for r in rows] == [Decimal("2.71")] * 3 + [
        Decimal("0.75"),
        Decimal("2.71"),
        None,
        Decimal("2.71"),
        Decimal("2.71"),
    ]
    assert rows[5][2] == "missing" and rows[0][2] == "measured"
    hourly = vee.virtual_series(conn, "NET", D0, D0 + 2 * 12 * FIVE, "hour")
    # first hour: interval 3 = 0.75, interval 5 missing, the other 10 x 2.71: 27.10 + 0.75 = 27.85
    # second hour: 12 x 2.71 = 32.52
    assert hourly[0]["value_kwh"] == Decimal("27.85")
    assert (hourly[0]["n_intervals"], hourly[0]["n_missing"], hourly[0]["quality"]) == (
        12,
        1,
        "missing",
    )
    assert hourly[1]["value_kwh"] == Decimal("32.52") and hourly[1]["quality"] == "measured"
    day = vee.virtual_series(conn, "NET", D0, local("2026-10-06 00:00"), "day")
    # 286 x 2.71 + 0.75 = 775.81
    assert day[0]["value_kwh"] == Decimal("775.81") and day[0]["n_intervals"] == 288


def test_division_by_zero_is_missing_and_quality_is_the_worst(conn):
    _three(conn)
    # (a write beside the ingest: its period goes back to rows first, a no-op when not sealed)
    conn.execute(
        "select smf.storage_unseal(array[id], array[%s::timestamptz], array[%s::timestamptz])"
        " from smf.meter where serial = 'VA'",
        (D0 + FIVE, D0 + FIVE),
    )
    conn.execute(
        "update smf.interval_reading set quality = 'estimated' where meter_id = (select id from"
        " smf.meter where serial = 'VA') and ts = %s",
        (D0 + FIVE,),
    )
    vee.define_virtual(conn, "RATIO", "M(VA).active_fwd / M(VC).active_fwd", date(2026, 10, 1))
    rows = conn.execute(
        "select value_kwh, quality::text from smf.virtual_series('RATIO', %s, %s)",
        (D0, D0 + 4 * FIVE),
    ).fetchall()
    assert rows == [
        (Decimal("0.5"), "measured"),
        (Decimal("0.5"), "estimated"),
        (Decimal("0.5"), "measured"),
        (None, "missing"),
    ]  # 1.0 / 0.0


def test_nested_virtual_meter_and_refusals(conn):
    _three(conn)
    meter(conn, "Q15", interval=15)
    vee.define_virtual(conn, "AB", "M(VA).active_fwd + M(VB).active_fwd", date(2026, 10, 1))
    vee.define_virtual(conn, "ABC", "2 * M(AB).active_fwd - M(VC).active_fwd", date(2026, 10, 1))
    [r] = conn.execute(
        "select value_kwh from smf.virtual_series('ABC', %s, %s)", (D0, D0 + FIVE)
    ).fetchall()
    assert r[0] == Decimal("0.5")  # 2 x (1.0 + 0.25) - 2.0
    with pytest.raises(NotFound, match="unknown meter NOPE"), conn.transaction():
        vee.define_virtual(conn, "X1", "M(NOPE).active_fwd", date(2026, 10, 1))
    with pytest.raises(InvalidParameter, match="different interval lengths"), conn.transaction():
        vee.define_virtual(conn, "X2", "M(VA).active_fwd + M(Q15).active_fwd", date(2026, 10, 1))
    with (
        pytest.raises(InvalidParameter, match="circular definition: SELF -> SELF"),
        conn.transaction(),
    ):
        vee.define_virtual(conn, "SELF", "M(SELF).active_fwd + 1", date(2026, 10, 1))
    # AB -> ABC -> AB: a new version of AB that reads ABC
    conn.execute(
        "update smf.virtual_meter set valid_during = '[2026-10-01,2026-11-01)' where name = 'AB'"
    )
    with (
        pytest.raises(InvalidParameter, match="circular definition: AB -> ABC -> AB"),
        conn.transaction(),
    ):
        vee.define_virtual(conn, "AB", "M(ABC).active_fwd", date(2026, 11, 1))
    with pytest.raises(InvalidParameter, match="not an energy channel"), conn.transaction():
        vee.define_virtual(conn, "X3", "M(VA).voltage_a", date(2026, 10, 1))
    with pytest.raises(InvalidParameter, match="column 5"), conn.transaction():
        vee.define_virtual(conn, "X4", "1 + * 2", date(2026, 10, 1))


def test_validity_dates_pick_the_version(conn):
    _three(conn)
    vee.define_virtual(conn, "V", "M(VA).active_fwd", date(2026, 10, 1), date(2026, 10, 5))
    vee.define_virtual(conn, "V", "10 * M(VA).active_fwd", date(2026, 10, 5))
    put(conn, "VA", day_rows("2026-10-04", 1.0))
    days = vee.virtual_series(
        conn, "V", local("2026-10-04 00:00"), local("2026-10-06 00:00"), "day"
    )
    assert [d["value_kwh"] for d in days] == [Decimal("288"), Decimal("2880")]


@pytest.mark.slow
def test_distributor_month_summary(conn):
    free = unit(conn, 51)
    captive = unit(conn, 52, market="captive")
    gen = unit(conn, 53, generation=True)
    put(conn, free.main_serial, day_rows(DAY, 1.0))
    put(conn, captive.main_serial, day_rows(DAY, 0.5))
    rows = day_rows(DAY, 2.0)
    for i in range(10):
        rows[i][1]["active_rev_kwh"] = 0.1
    put(conn, gen.main_serial, rows)
    out = {r["market"]: r for r in vee.distributor_summary(conn, "993", date(2026, 10, 1))}
    assert (out["captive"]["ucs"], out["captive"]["consumption_kwh"]) == (1, Decimal("144"))
    # free: 288 x 1.0 + 288 x 2.0 = 864 kWh; generation 10 x 0.1 = 1 kWh (only the generating UC)
    assert (out["free"]["ucs"], out["free"]["consumption_kwh"], out["free"]["generation_kwh"]) == (
        2,
        Decimal("864"),
        Decimal("1"),
    )
    assert out["free"]["ucs_billed"] == 0  # no tariffs for this distributor: no bill, no error
    with pytest.raises(NotFound, match="no distributor with ANEEL code '000'"):
        vee.distributor_summary(conn, "000", date(2026, 10, 1))
