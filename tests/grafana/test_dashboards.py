"""Every panel of grafana/dashboards/*.json runs on a seeded database with Grafana's macros
substituted, reads only smf.* views and functions, and returns rows of the right shape within
the panel's time range."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from db import driver
from db.ingest import IntervalRow, ingest_rows
from db.settings import Settings
from tests.alarms.helpers import THREE, TWELVE, execute, insert_instant, seed_registry
from tests.grafana.macros import interpolate, rfc3339, seconds

ROOT = Path(__file__).resolve().parents[2] / "grafana"
DASHBOARDS = sorted((ROOT / "dashboards").glob("*.json"))
# The local month of October 2026 (Sao Paulo, -03:00): data is seeded on the 5th and 6th.
T0 = datetime(2026, 10, 1, 3, tzinfo=UTC)
T1 = datetime(2026, 11, 1, 3, tzinfo=UTC)
DAY = datetime(2026, 10, 5, 3, tzinfo=UTC)


def panels_of(d: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for p in d["panels"]:
        yield p
        yield from p.get("panels", [])


def cases() -> list[Any]:
    out = []
    for path in DASHBOARDS:
        d = json.loads(path.read_text())
        for p in panels_of(d):
            for t in p.get("targets", []):
                out.append(pytest.param(d, p, t, id=f"{path.stem}:{p['id']}:{p['title'][:40]}"))
    return out


@pytest.fixture(scope="module")
def seeded(module_db: Settings) -> Settings:
    url = module_db.url
    ids = seed_registry(url)
    execute(
        url,
        "update smf.meter set channel_constants = %s where id = %s",
        [Decimal("0.5")] + [Decimal(1)] * 11,
        ids["a12"],
    )
    rows = []
    for i in range(2 * 96):  # two local days of 15-minute data
        ts = DAY + timedelta(minutes=15 * i)
        v = {
            "active_fwd_kwh": 20.0,
            "active_rev_kwh": 0.0,
            "reactive_ind_fwd_kvarh": 9.0,
            "reactive_ind_rev_kvarh": 0.0,
            "reactive_cap_fwd_kvarh": 2.0,
            "reactive_cap_rev_kvarh": 0.0,
            "voltage_a_v": 220.0,
            "voltage_b_v": 219.0,
            "voltage_c_v": 221.0,
            "current_a_a": 30.0,
            "current_b_a": 31.0,
            "current_c_a": 29.0,
        }
        assert set(v) == set(TWELVE)
        rows.append(IntervalRow(ts=ts, meter_serial="A12", values=v))
        if i % 3:  # the 3-channel meter misses one interval in three
            rows.append(IntervalRow(ts=ts, meter_serial="L3", values={q: 5.0 for q in THREE}))
    with driver.connect(module_db) as c:
        ingest_rows(c, rows, source="import")
    for h, outcome in enumerate(["ok", "link_error", "ok", "ok"]):
        execute(
            url,
            "insert into smf.poll_attempt (meter_id, started_at, duration_ms, trigger, "
            "outcome, error_class) values (%s, %s, 50, 'schedule', %s, %s)",
            ids["a12"],
            DAY + timedelta(hours=6 * h),
            outcome,
            None if outcome == "ok" else "timeout",
        )
    insert_instant(url, ids["a12"], DAY + timedelta(hours=1), VA=220, VB=200, VC=210)
    return module_db


def variable_values(conn: psycopg.Connection[Any], d: dict[str, Any]) -> list[dict[str, str]]:
    """Every combination of the dashboard's variables (query variables: the first UC option)."""
    options: dict[str, list[str]] = {}
    for v in d["templating"]["list"]:
        if v["type"] == "query":
            rows = conn.execute(v["query"]).fetchall()
            assert rows and set(rows[0]) == {"__value", "__text"}, v["name"]
            options[v["name"]] = [r["__value"] for r in rows if "Fabrica" in r["__text"]]
        else:
            options[v["name"]] = [o["value"] for o in v["options"]]
    names = list(options)
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*options.values())]


def relations(sql: str) -> list[str]:
    """Names after FROM / JOIN and function calls qualified by a schema."""
    bare = re.sub(r"\$__\w+\([^)]*\)", "", sql)
    found = re.findall(r"\b(?:from|join)\s+([a-z_][\w.]*)", bare, flags=re.I)
    found += re.findall(r"\b([a-z_]+\.[a-z_]+)\s*\(", bare, flags=re.I)
    return found


@pytest.mark.parametrize("dash, panel, target", cases())
def test_panel_sql(
    seeded: Settings, dash: dict[str, Any], panel: dict[str, Any], target: dict[str, Any]
) -> None:
    sql = target["rawSql"]
    with psycopg.connect(seeded.url, row_factory=dict_row) as conn:
        conn.execute("set transaction read only")
        for name in relations(sql):  # only smf views and functions, never tables
            assert name.startswith("smf."), f"{name} is not in schema smf"
            kind = conn.execute(
                "select coalesce((select c.relkind::text from pg_class c join pg_namespace n "
                "on n.oid = c.relnamespace where n.nspname || '.' || c.relname = %(n)s), "
                "(select 'f' from pg_proc p join pg_namespace n on n.oid = p.pronamespace "
                "where n.nspname || '.' || p.proname = %(n)s limit 1)) as k",
                {"n": name},
            ).fetchone()
            assert kind is not None and kind["k"] in ("v", "f"), f"{name}: not a view/function"
        combos = variable_values(conn, dash)
        assert combos
        for variables in combos:
            got = conn.execute(interpolate(sql, T0, T1, variables)).fetchall()
            assert got, f"no rows for {variables}"
            if target["format"] == "time_series":
                assert "time" in got[0], "a time series needs a time column"
                times = [r["time"] for r in got]
                as_dt = [
                    datetime.fromtimestamp(float(t), UTC)
                    if isinstance(t, Decimal | float | int)
                    else t
                    for t in times
                ]
                assert all(T0 <= t <= T1 for t in as_dt), "a point outside the panel's range"
                assert as_dt == sorted(as_dt)
                for r in got:
                    for k, v in r.items():
                        if k not in ("time", "metric"):
                            assert v is None or isinstance(v, int | Decimal | float), (k, v)
                assert any(
                    v is not None for r in got for k, v in r.items() if k not in ("time", "metric")
                )
            else:
                for r in got:
                    for v in r.values():
                        if isinstance(v, datetime) and "time" in sql and "$__time" in sql:
                            assert T0 <= v <= T1


def test_dashboards_found_and_macros_as_grafana() -> None:
    assert {p.stem for p in DASHBOARDS} == {"smf-uc", "smf-fleet", "smf-alarms"}
    a, b = datetime(2026, 10, 1, 3, tzinfo=UTC), datetime(2026, 10, 2, 3, tzinfo=UTC)
    assert rfc3339(a) in ("2026-10-01T03:00:00+00:00", "2026-10-01T00:00:00-03:00")
    assert seconds("15m") == 900 and seconds("'1d'") == 86400
    s = interpolate(
        "select $__timeGroupAlias(ts, '1h'), x from smf.v where $__timeFilter(ts) and u = '${uc}'",
        a,
        b,
        {"uc": "123"},
    )
    assert 'floor(extract(epoch from ts)/3600)*3600 AS "time"' in s and "u = '123'" in s
    assert "ts BETWEEN '" in s


def test_uc_channels_units_and_pulses_by_hand(seeded: Settings) -> None:
    """20 kWh per 15 min; hourly = 4 x 20 = 80 kWh; the constant 0.5 kWh/pulse -> 160 pulses."""
    with psycopg.connect(seeded.url, row_factory=dict_row) as conn:
        uc = conn.execute(
            "select uc_code from smf.uc_directory where meter_serial = 'A12'"
        ).fetchone()
        assert uc is not None
        q = "select * from smf.uc_channels(%s, %s, %s, 'hour', %s) order by 1 limit 1"
        u = conn.execute(q, (uc["uc_code"], DAY, DAY + timedelta(hours=1), "units")).fetchone()
        p = conn.execute(q, (uc["uc_code"], DAY, DAY + timedelta(hours=1), "pulses")).fetchone()
    assert u is not None and p is not None
    assert (u["active_fwd"], u["voltage_b"], u["completeness_pct"]) == (80, 219, 100)
    assert p["active_fwd"] == 160 and p["voltage_b"] == 219  # constant 1 for the voltage channel
