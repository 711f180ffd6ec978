"""The client home page's one-call read (db/functions/535_web.sql smf.web_home, and the demand
curve it draws, 130_demand.sql smf.uc_demand_curve) shows exactly what the page's separate
queries showed: the registration (web_unit), the billed month's bill (web_bill) or why there is
none, the last 24 h of demand (smf.demand_series) and the bills of the last 12 months
(web_bill_history), read as the client (row-level security); nothing outside its scope. One
hand-worked curve pins the demand values."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal as D
from typing import Any

import psycopg
import pytest

from db import driver, errors
from tests.rules.conftest import distributor, local, make_uc, put_intervals

Q = timedelta(minutes=15)


def _curve(conn: psycopg.Connection[Any], uc_id: int, lo: Any, hi: Any) -> list[tuple[Any, ...]]:
    return conn.execute(
        "select ts, local_ts, demand_kw from smf.uc_demand_curve(%s, %s, %s)", (uc_id, lo, hi)
    ).fetchall()


def _series(conn: psycopg.Connection[Any], code: str, lo: Any, hi: Any) -> list[tuple[Any, ...]]:
    return conn.execute(
        "select ts, local_ts, demand_kw from smf.demand_series(%s, %s, %s)", (code, lo, hi)
    ).fetchall()


@pytest.mark.slow
def test_the_demand_curve_by_hand_and_equal_to_demand_series(conn: psycopg.Connection[Any]) -> None:
    # 5-minute meter; 2.5% loss until 2026-10-06 (local), 1% from 2026-10-07.
    uc = make_uc(conn, 61, interval=5)
    conn.execute(
        "insert into smf.transformer_loss values (%s, '[2020-01-01,2026-10-07)', 0.025),"
        " (%s, '[2026-10-07,)', 0.01)",
        (uc.id, uc.id),
    )
    five = timedelta(minutes=5)
    t = local("2026-10-06 23:30")
    # 23:30 quarter: 8 + 8 + 9 kWh = 25 kWh -> 100 kW raw, 102.5 kW with 2.5%;
    # 23:45 quarter: no data (a gap); 00:00 (next local day): 5 kWh x 3 = 15 kWh -> 60 kW,
    # 60.6 kW with 1%; 00:15: only one 5-minute interval of 2 kWh -> 8 kW, 8.08 kW.
    put_intervals(
        conn,
        uc,
        [
            (t, 8000, 0, 0),
            (t + five, 8000, 0, 0),
            (t + 2 * five, 9000, 0, 0),
            (t + 6 * five, 5000, 0, 0),
            (t + 7 * five, 5000, 0, 0),
            (t + 8 * five, 5000, 0, 0),
            (t + 9 * five, 2000, 0, 0),
        ],
    )
    lo, hi = t + timedelta(minutes=7), t + 4 * Q  # not on a quarter: the slot of lo counts
    got = _curve(conn, uc.id, lo, hi)
    assert [(r[1].strftime("%d %H:%M"), r[2]) for r in got] == [
        ("06 23:30", D("102.5")),
        ("06 23:45", None),
        ("07 00:00", D("60.6")),
        ("07 00:15", D("8.08")),
    ]
    assert got == _series(conn, uc.code, lo, hi)
    # wider and shifted windows, every slot: the same rows as the demand series
    for a, b in ((t - 8 * Q, t + 12 * Q), (t + Q, t + 2 * Q), (t + 3 * Q, t + 3 * Q)):
        assert _curve(conn, uc.id, a, b) == _series(conn, uc.code, a, b)


def _as_client(conn: psycopg.Connection[Any], name: str, uc_code: str) -> None:
    driver.run(conn, "user_add", name=name, role="client", db_role=None)
    driver.run(conn, "user_scope_add", name=name, kind="uc", ref=uc_code)
    account = conn.execute("select id from smf.account where name = %s", (name,)).fetchone()
    assert account is not None
    driver.run(conn, "api_enter", account=account[0])


def _try(conn: psycopg.Connection[Any], name: str, **params: Any) -> tuple[list[Any], str]:
    """A page query's rows, or none and the message (as the page's try_rows)."""
    try:
        with conn.transaction():
            return driver.run(conn, name, **params), ""
    except (errors.NotFound, errors.InvalidParameter) as exc:
        return [], str(exc)


BILL = ("item", "posto", "quantity", "unit", "price", "amount")  # what web_bill gave the page


def _bill_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: (float(r[k]) if isinstance(r[k], D) else r[k]) for k in BILL} for r in rows]


def _keys(rows: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    return [{k: r.get(k) for k in BILL} for r in rows or []]


def _check_home(conn: psycopg.Connection[Any], uc_code: str) -> dict[str, Any]:
    """smf.web_home of `uc_code` against the separate queries the page ran before."""
    home = conn.execute("select * from smf.web_home(%s)", (uc_code,)).fetchone()
    assert home is not None
    cols = [c.name for c in conn.execute("select * from smf.web_home(%s)", (uc_code,)).description]
    h = dict(zip(cols, home, strict=True))
    unit = driver.run_one(conn, "web_unit", uc_code=uc_code)
    assert unit is not None
    for key, value in unit.items():
        assert h[key] == value, key
    tz = unit["tz"]
    last = unit["last_ts"]
    month = conn.execute(
        "select date_trunc('month', coalesce(%s::timestamptz, now()) at time zone %s)::date",
        (last, tz),
    ).fetchone()[0]
    assert h["month"] == month
    bill, why = _try(conn, "web_bill", uc_code=uc_code, month=month)
    assert (_keys(h["bill"]), h["bill_why"] or "") == (_bill_rows(bill), why)
    if last is None:
        assert (h["demand_ts"], h["demand_kw"]) == (None, None)
    else:
        hi = last + Q
        series = _series(conn, uc_code, hi - timedelta(hours=24), hi)
        assert h["demand_ts"] == [r[1] for r in series]
        assert h["demand_kw"] == [r[2] for r in series]
    since = conn.execute("select (%s::date - interval '11 months')::date", (month,)).fetchone()[0]
    until = conn.execute("select (%s::date + interval '1 month')::date", (month,)).fetchone()[0]
    hist, _ = _try(
        conn,
        "web_bill_history",
        uc_code=uc_code,
        meter_id=unit["meter_id"],
        since=since,
        until=until,
    )
    months = sorted({r["month"] for r in hist})
    assert (h["history_months"] or []) == months
    assert [_keys(b) for b in h["history_billing"] or []] == [
        _bill_rows([r for r in hist if r["month"] == m]) for m in months
    ]
    return h


@pytest.mark.slow
def test_web_home_shows_what_the_page_queries_showed(conn: psycopg.Connection[Any]) -> None:
    uc = make_uc(conn, 62, interval=15, loss="0.025")
    other = make_uc(conn, 63, interval=15)
    hours = [local("2026-09-30 12:00") + Q * k for k in range(8)]
    hours += [local("2026-10-06 09:00") + Q * k for k in range(120)]
    put_intervals(conn, uc, [(t, 25000 + 1000 * (i % 7), 4000, 0) for i, t in enumerate(hours)])
    put_intervals(conn, other, [(local("2026-10-06 10:00"), 1000, 0, 0)])
    _as_client(conn, "home_sql_client", uc.code)
    h = _check_home(conn, uc.code)
    assert h["last_ts"] == hours[-1] and h["month"].isoformat() == "2026-10-01"
    # the 24 h before the end of the last quarter, every slot: 96 (15-minute data)
    assert len(h["demand_ts"]) == 96 and h["demand_ts"][-1] == datetime(2026, 10, 7, 14, 45)
    # the UC of another account: no row, as web_unit (row-level security)
    assert conn.execute("select * from smf.web_home(%s)", (other.code,)).fetchall() == []
    assert driver.run_one(conn, "web_unit", uc_code=other.code) is None


def test_web_home_says_why_without_figures(conn: psycopg.Connection[Any]) -> None:
    # a distributor without a posto schedule: no bill (SMF04), its reason on the page
    distributor(conn, "993", schedule=False)
    uc = make_uc(conn, 64, aneel="993", interval=15)
    put_intervals(conn, uc, [(local("2026-10-06 10:00"), 1000, 0, 0)])
    _as_client(conn, "home_sql_nofig", uc.code)
    h = _check_home(conn, uc.code)
    assert h["bill"] is None and h["bill_why"]
    assert h["history_months"] is None and h["history_billing"] is None
    assert h["demand_kw"] is not None and D(4) in h["demand_kw"]  # 1 kWh in 15 min -> 4 kW


@pytest.mark.parametrize("code", ["000000000000000", "x"])
def test_web_home_of_an_unknown_uc_is_no_row(conn: psycopg.Connection[Any], code: str) -> None:
    uc = make_uc(conn, 65)
    _as_client(conn, "home_sql_unknown", uc.code)
    assert conn.execute("select * from smf.web_home(%s)", (code,)).fetchall() == []
