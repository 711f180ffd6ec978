"""Every panel of grafana/dashboards/*.json runs on a seeded database with Grafana's macros
substituted, AS A SCOPED READ-ONLY LOGIN ROLE (made by the SQL `smf user add ... --db-role`
sends), reads only schema smf_read, and returns rows of the right shape within the panel's time
range; a client role scoped to one UC sees that UC's rows and nothing of the other one."""

from __future__ import annotations

import itertools
import json
import os
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
from db.cluster import scram_verifier
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


def _make_role(settings: Settings, role: str, account_role: str, kind: str, ref: str) -> None:
    """What `smf user add NAME --role R --scope KIND:REF --db-role ROLE` runs (smf/user verb)."""
    with driver.connect(settings) as conn:
        driver.run(conn, "user_add", name=role.replace("_", "-"), role=account_role, db_role=role)
        driver.run(conn, "user_scope_add", name=role.replace("_", "-"), kind=kind, ref=ref)
        driver.run(conn, "user_db_role_create", db_role=role, verifier=scram_verifier("pw"))
        conn.commit()


def _drop_role(settings: Settings, role: str) -> None:
    with psycopg.connect(settings.url, autocommit=True) as conn:
        conn.execute(f"drop owned by {role}")
        conn.execute(f"drop role {role}")


def _as(settings: Settings, role: str) -> psycopg.Connection[Any]:
    url = settings.url.replace(f"{settings.cluster.user}@", f"{role}@", 1)
    return psycopg.connect(url, row_factory=dict_row, autocommit=True)


@pytest.fixture(scope="module")
def analyst(seeded: Settings) -> Iterator[str]:
    """Grafana's login: an analyst account scoped to distributor 059 (both seeded UCs)."""
    role = f"smf_t_graf_{os.getpid()}"
    _make_role(seeded, role, "analyst", "distributor", "059")
    yield role
    _drop_role(seeded, role)


@pytest.fixture(scope="module")
def client(seeded: Settings) -> Iterator[str]:
    """A client login scoped to the UC 'Loja Dois' (meter L3) only."""
    role = f"smf_t_gcli_{os.getpid()}"
    with psycopg.connect(seeded.url) as conn:
        row = conn.execute(
            "select uc_code from smf.uc_directory where customer_name = 'Loja Dois'"
        ).fetchone()
    assert row is not None
    _make_role(seeded, role, "client", "uc", row[0])
    yield role
    _drop_role(seeded, role)


def variable_values(
    conn: psycopg.Connection[Any], d: dict[str, Any], customer: str = "Fabrica"
) -> list[dict[str, str]]:
    """Every combination of the dashboard's variables (query variables: the UC options whose
    name holds `customer`)."""
    options: dict[str, list[str]] = {}
    for v in d["templating"]["list"]:
        if v["type"] == "query":
            rows = conn.execute(v["query"]).fetchall()
            assert rows and set(rows[0]) == {"__value", "__text"}, v["name"]
            options[v["name"]] = [r["__value"] for r in rows if customer in r["__text"]]
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


@pytest.mark.slow
@pytest.mark.parametrize("dash, panel, target", cases())
def test_panel_sql(
    seeded: Settings,
    analyst: str,
    dash: dict[str, Any],
    panel: dict[str, Any],
    target: dict[str, Any],
) -> None:
    sql = target["rawSql"]
    with _as(seeded, analyst) as conn:
        for name in relations(sql):  # only smf_read views and functions
            assert name.startswith("smf_read."), f"{name} is not in schema smf_read"
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


def test_uc_channels_units_and_pulses_by_hand(seeded: Settings, analyst: str) -> None:
    """20 kWh per 15 min; hourly = 4 x 20 = 80 kWh; the constant 0.5 kWh/pulse -> 160 pulses.
    The reader's smf_read.uc_channels gives what the owner's smf.uc_channels gives."""
    got = {}
    for schema, conn in (
        ("smf_read", _as(seeded, analyst)),
        ("smf", psycopg.connect(seeded.url, row_factory=dict_row)),
    ):
        with conn:
            uc = conn.execute(
                f"select uc_code from {schema}.uc_directory where meter_serial = 'A12'"
            ).fetchone()
            assert uc is not None
            q = f"select * from {schema}.uc_channels(%s, %s, %s, 'hour', %s) order by 1"
            for mode in ("units", "pulses"):
                got[schema, mode] = conn.execute(
                    q, (uc["uc_code"], DAY, DAY + timedelta(days=2), mode)
                ).fetchall()
    u, p = got["smf_read", "units"][0], got["smf_read", "pulses"][0]
    assert (u["active_fwd"], u["voltage_b"], u["completeness_pct"]) == (80, 219, 100)
    assert p["active_fwd"] == 160 and p["voltage_b"] == 219  # constant 1 for the voltage channel
    assert len(got["smf_read", "units"]) == 48  # two local days of hours
    for mode in ("units", "pulses"):
        assert got["smf_read", mode] == got["smf", mode]


def _uc_panels() -> list[dict[str, Any]]:
    d = json.loads((ROOT / "dashboards" / "smf-uc.json").read_text())
    return [t for p in panels_of(d) for t in p.get("targets", [])]


def test_a_client_sees_its_uc_and_nothing_of_another(
    seeded: Settings, analyst: str, client: str
) -> None:
    """Every panel of the UC dashboard, as a client scoped to 'Loja Dois': its own UC gives rows;
    the UC variable set to 'Fabrica Um' (which the analyst's panels show: test_panel_sql) gives
    none, in both units and pulses; the UC picker lists only its own UC."""
    d = json.loads((ROOT / "dashboards" / "smf-uc.json").read_text())
    with _as(seeded, analyst) as conn:
        other = variable_values(conn, d, "Fabrica")
        own_by_analyst = variable_values(conn, d, "Loja")
    assert other and own_by_analyst
    with _as(seeded, client) as conn:
        picker = next(v for v in d["templating"]["list"] if v["name"] == "uc")["query"]
        assert [r["__text"] for r in conn.execute(picker)] == [
            own_by_analyst[0]["uc"] + " Loja Dois"
        ]
        own = variable_values(conn, d, "Loja")
        assert own == own_by_analyst
        for t in _uc_panels():
            for variables in other:
                sql = interpolate(t["rawSql"], T0, T1, variables)
                assert conn.execute(sql).fetchall() == [], (t["rawSql"], variables)
        rows = 0
        for t in _uc_panels():
            for variables in own:
                rows += len(conn.execute(interpolate(t["rawSql"], T0, T1, variables)).fetchall())
        assert rows > 0
        # energy panel, 15 min, units: L3 holds 5 kWh in two intervals of three
        energy = next(t for t in _uc_panels() if "from smf_read.uc_channels" in t["rawSql"])
        got = conn.execute(
            interpolate(energy["rawSql"], T0, T1, {"uc": own[0]["uc"], "mode": "units"})
        ).fetchall()
        assert len(got) == 2 * 96 * 2 // 3 and {r["active_fwd"] for r in got} == {5}


def test_a_client_sees_no_other_meter_in_fleet_and_alarm_panels(
    seeded: Settings, analyst: str, client: str
) -> None:
    """The fleet and alarm dashboards' panels as the client of 'Loja Dois' (meter L3): no row
    names meter A12 or 'Fabrica Um', while the analyst's do; the security-definer wrappers
    (run as smf_api, filtered by the caller's account) give nothing of A12 either."""
    panels = [
        t
        for path in DASHBOARDS
        if path.stem != "smf-uc"
        for p in panels_of(json.loads(path.read_text()))
        for t in p.get("targets", [])
    ]

    def seen(role: str) -> set[str]:
        out: set[str] = set()
        with _as(seeded, role) as conn:
            for t in panels:
                for r in conn.execute(interpolate(t["rawSql"], T0, T1, {})).fetchall():
                    out |= {str(v) for v in r.values() if v is not None}
        return out

    assert {"A12", "Fabrica Um"} <= seen(analyst)
    assert not {"A12", "Fabrica Um"} & seen(client)
    probe = (
        "select (select last_attempt_at from smf_read.meter_poll_health(m.meter_id)) as at,"
        " (select count(*) from smf_read.alarm_thresholds_of(m.meter_id, now())) as thr,"
        " (select count(*) from smf_read.meter_uc(m.meter_id)) as uc"
        " from (select %s::int as meter_id) m"
    )
    with psycopg.connect(seeded.url) as owner:
        row = owner.execute("select id from smf.meter where serial = 'A12'").fetchone()
    assert row is not None
    with _as(seeded, analyst) as conn:
        r = conn.execute(probe, (row[0],)).fetchone()
        assert r is not None and r["at"] is not None and r["uc"] == 1 and r["thr"] > 0
    with _as(seeded, client) as conn:
        r = conn.execute(probe, (row[0],)).fetchone()
        assert r is not None and (r["at"], r["uc"]) == (None, 0)
        got = conn.execute(
            "select * from smf_read.uc_reactive_hourly(%s, %s, %s)",
            (other_uc(seeded), T0, T1),
        ).fetchall()
        assert got == []


def other_uc(settings: Settings) -> str:
    with psycopg.connect(settings.url) as conn:
        row = conn.execute(
            "select uc_code from smf.uc_directory where customer_name = 'Fabrica Um'"
        ).fetchone()
    assert row is not None
    return str(row[0])


def test_the_reader_has_no_way_around_smf_read(seeded: Settings, analyst: str) -> None:
    """The dashboards' role reads no smf table or view, calls no smf function, and cannot call
    the owner-only functions that rebuild smf_read."""
    with _as(seeded, analyst) as conn:
        for sql in (
            "select * from smf.uc_directory",
            "select * from smf.interval_reading",
            "select * from smf.uc_channels('000000000000000', now(), now())",
            "select smf.local_timezone()",
            "select smf.read_views_refresh()",
            "select smf.read_views_rewrite()",
            "create table smf_read.x (i int)",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(sql)


def test_no_smf_read_view_depends_on_another(seeded: Settings) -> None:
    """The frozen downgrades of 0008/0009 drop the views of smf_read one by one, without
    cascade: a copy that read another copy would make them fail."""
    with psycopg.connect(seeded.url) as conn:
        rows = conn.execute(
            "select distinct v.relname, r.relname from pg_depend d"
            " join pg_rewrite w on w.oid = d.objid join pg_class v on v.oid = w.ev_class"
            " join pg_class r on r.oid = d.refobjid"
            " where v.relnamespace = 'smf_read'::regnamespace"
            "   and r.relnamespace = 'smf_read'::regnamespace and r.oid <> v.oid"
        ).fetchall()
    assert rows == []


def test_every_panel_has_a_unit_and_references_are_lines() -> None:
    for path in DASHBOARDS:
        d = json.loads(path.read_text())
        assert d["timezone"] == "America/Sao_Paulo", path.name  # displayed in the local zone
        for p in panels_of(d):
            if p["type"] == "row":
                continue
            assert p["fieldConfig"]["defaults"].get("unit"), f"{path.stem}: {p['title']}"
            for t in p.get("targets", []):
                # a day of Grafana's $__timeGroup is a UTC day (21:00-21:00 local): never used
                assert "'1d')" not in t["rawSql"] and "'1M')" not in t["rawSql"], p["title"]
    uc = json.loads((ROOT / "dashboards" / "smf-uc.json").read_text())
    [pf] = [p for p in panels_of(uc) if p["title"].startswith("Power factor per hour")]
    defaults = pf["fieldConfig"]["defaults"]
    assert defaults["custom"]["thresholdsStyle"] == {"mode": "line"}
    assert [s["value"] for s in defaults["thresholds"]["steps"]] == [None, 0.92]
    [energy] = [p for p in panels_of(uc) if p["title"].startswith("Energy per bucket (15min)")]
    assert energy["fieldConfig"]["defaults"]["unit"] == "kwatth"  # kWh
    assert energy["fieldConfig"]["overrides"][0]["properties"] == [
        {"id": "unit", "value": "suffix: kvarh"}
    ]


def test_the_generated_files_are_up_to_date() -> None:
    import subprocess
    import sys

    before = {p.name: p.read_text() for p in DASHBOARDS}
    subprocess.run([sys.executable, str(ROOT / "generate.py")], check=True, capture_output=True)
    assert {p.name: p.read_text() for p in DASHBOARDS} == before, "run python grafana/generate.py"
