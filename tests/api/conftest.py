"""API fixtures: a cloned database seeded with two distributors, three UCs (one per client
scope), their meters, a day of 5-minute data, accounts of every role with keys; Litestar's test
client over create_app() (the real app, lifespan and pool) against it.

Seed (UTC): meters M-A1, M-A2 (distributor 001), M-B1 (distributor 002), 2024-03-01 00:00 to
2024-03-02 00:00, 288 intervals each; interval i has active_fwd = (i + 1) * 0.001 * k kWh where
k = 1, 2, 3 per meter, reactive_ind_fwd = 0.5 kvarh, voltage_a = 127.0 V.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from psycopg import sql

from api import auth
from api.app import create_app
from api.config import ApiConfig
from db import driver, ingest
from db.settings import Settings

DAY = datetime(2024, 3, 1, tzinfo=UTC)
METERS = {"M-A1": 1, "M-A2": 2, "M-B1": 3}  # serial -> load factor k
ROLES = ("admin", "analyst", "client", "service")


@dataclass
class Seed:
    settings: Settings
    keys: dict[str, str]  # account name -> API key
    ucs: dict[str, str]  # meter serial -> UC code

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[who]}"}


def interval_csv() -> bytes:
    lines = ["meter_serial,ts,active_fwd_kwh,reactive_ind_fwd_kvarh,voltage_a_v"]
    for serial, k in METERS.items():
        for i in range(288):
            ts = (DAY + timedelta(minutes=5 * i)).isoformat()
            lines.append(f"{serial},{ts},{(i + 1) * k / 1000:.3f},0.500,127.000")
    return ("\n".join(lines) + "\n").encode()


def seed(settings: Settings) -> Seed:
    keys: dict[str, str] = {}
    ucs: dict[str, str] = {}
    with driver.connect(settings) as conn:
        for aneel, agent, name in (("001", 101, "Dist A"), ("002", 102, "Dist B")):
            conn.execute(
                "insert into smf.distributor (ccee_agent_code, aneel_code, name) values (%s,%s,%s)",
                (agent, aneel, name),
            )
        for n, serial in enumerate(METERS, start=1):
            conn.execute(
                "insert into smf.meter (serial, channel_map, channel_constants, max_power_kw) "
                "values (%s, %s, %s, 1000)",
                (
                    serial,
                    ["active_fwd_kwh", "reactive_ind_fwd_kvarh", "voltage_a_v"],
                    [0.001, 0.5, 0.1],
                ),
            )
            aneel = "002" if serial.startswith("M-B") else "001"
            row = conn.execute(
                "insert into smf.consumer_unit (uc_code, distributor_id, customer_name, submarket,"
                " tariff_group, modality, contracted_demand_ponta_kw,"
                " contracted_demand_fora_ponta_kw, musd_kw, supply_voltage_kv, main_meter_id)"
                " select smf.uc_code_with_check_digits(%s, %s::int), d.id, %s, 'SE/CO', 'A4',"
                " 'azul', 100, 100, 100, 13.8, m.id from smf.distributor d, smf.meter m"
                " where d.aneel_code = %s and m.serial = %s returning uc_code",
                (1000 + n, aneel, f"Cliente {serial}", aneel, serial),
            ).fetchone()
            assert row is not None
            ucs[serial] = row[0]
        ingest.ingest_csv_stream(conn, io.BytesIO(interval_csv()), origin="seed")
        for (dist_id,) in conn.execute("select id from smf.distributor").fetchall():
            driver.run(conn, "demo_posto_schedule", distributor_id=dist_id)
            driver.run(conn, "demo_tariffs", distributor_id=dist_id)
        accounts: list[tuple[str, str, list[tuple[str, str]]]] = [
            ("root", "admin", []),
            ("ana", "analyst", [("distributor", "001")]),
            ("gina", "analyst", [("group", "g1")]),
            ("cli", "client", [("uc", ucs["M-A1"])]),
            ("other", "client", [("uc", ucs["M-B1"])]),
            ("svc", "service", []),
        ]
        driver.run(conn, "user_group_add_member", group="g1", uc_code=ucs["M-A2"])
        for name, role, scopes in accounts:
            driver.run(conn, "user_add", name=name, role=role, db_role=None)
            for kind, ref in scopes:
                driver.run(conn, "user_scope_add", name=name, kind=kind, ref=ref)
            key_id, token, hash_ = auth.new_key()
            driver.run(conn, "user_key_add", name=name, key_id=key_id, hash=hash_, label=None)
            keys[name] = token
    return Seed(settings, keys, ucs)


SEEDED = "smf_test_api_seeded"


@pytest.fixture(scope="session")
def seeded_template(test_cluster: Settings, template: str) -> tuple[str, Seed]:
    """A database built once by seed() and kept as a template, with its keys and UC codes in
    its comment; rebuilt when the migrations, SQL functions or this file change. Cloning it takes
    a second where seeding takes several (argon2 hashes, a day of data through ingest), which
    matters most in `make mutate`, which starts a pytest session per changed copy of the code."""
    from tests.conftest import _admin, _sources_hash

    want = hashlib.sha256((_sources_hash() + Path(__file__).read_text()).encode()).hexdigest()
    with _admin(test_cluster) as conn:
        conn.execute("select pg_advisory_lock(hashtext(%s))", (SEEDED,))
        try:
            row = conn.execute(
                "select shobj_description(oid, 'pg_database') from pg_database where datname = %s",
                (SEEDED,),
            ).fetchone()
            if row is None or not (row[0] or "").startswith(want + " "):
                conn.execute(f"drop database if exists {SEEDED} with (force)")
                conn.execute(f"create database {SEEDED} template {template}")
                s = seed(test_cluster.with_database(SEEDED))
                driver.dispose_all()  # a template database must have no connection
                doc = json.dumps({"keys": s.keys, "ucs": s.ucs})
                conn.execute(
                    sql.SQL("comment on database {} is {}").format(
                        sql.Identifier(SEEDED), sql.Literal(f"{want} {doc}")
                    )
                )
                row = (f"{want} {doc}",)
        finally:
            conn.execute("select pg_advisory_unlock(hashtext(%s))", (SEEDED,))
    doc = json.loads(row[0].split(" ", 1)[1])
    return SEEDED, Seed(test_cluster, doc["keys"], doc["ucs"])


def seeded_clone(test_cluster: Settings, seeded_template: tuple[str, Seed]) -> Seed:
    from tests.conftest import clone

    name, s = seeded_template
    return Seed(database_grants(clone(test_cluster, name)), s.keys, s.ucs)


def database_grants(settings: Settings) -> Settings:
    """Re-apply the database-level privileges (no TEMP for readers) that a clone made with
    CREATE DATABASE ... TEMPLATE does not copy (smf.database_grants, 510_scope_policies.sql)."""
    with driver.connect(settings) as conn:
        conn.execute("select smf.database_grants()")
    return settings


@pytest.fixture(scope="module")
def seeded(test_cluster: Settings, seeded_template: tuple[str, Seed]) -> Iterator[Seed]:
    from tests.conftest import drop

    s = seeded_clone(test_cluster, seeded_template)
    yield s
    drop(s.settings)


def make_client(settings: Settings, **config: Any) -> TestClient[Any]:
    app = create_app(ApiConfig(db=settings, **config))
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture(scope="module")
def client(seeded: Seed) -> Iterator[TestClient[Any]]:
    with make_client(seeded.settings) as c:
        yield c


@pytest.fixture
def fresh(
    test_cluster: Settings, seeded_template: tuple[str, Seed]
) -> Iterator[tuple[Seed, TestClient[Any]]]:
    """A seeded database of its own and a client of it (tests that write)."""
    from tests.conftest import drop

    s = seeded_clone(test_cluster, seeded_template)
    with make_client(s.settings) as c:
        yield s, c
    drop(s.settings)


_SLOW = ("test_schemathesis.py", "test_serve.py", "test_db_down.py")
# the modules without a database (milliseconds each)
_DATABASE_FREE = (
    "test_request_helpers.py",
    "test_problems.py",
    "test_series_query.py",
    "test_web_render.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under `make mutate` (mutmut sets its environment variable and stops at the first
    failure, -x), run the database-free tests first and the slowest last, so a failing run ends
    sooner.
    The outcome of a run does not depend on the order; plain pytest runs keep theirs."""
    if not os.environ.get("MUTANT_UNDER_TEST"):
        return

    def rank(item: pytest.Item) -> int:
        name = item.path.name
        return 0 if name in _DATABASE_FREE else (2 if name in _SLOW else 1)

    items.sort(key=rank)


def web_csrf(c: TestClient[Any]) -> str:
    """The CSRF token of the client's web session (the login form's hidden field; the GET also
    sets the matching cookie in the client's jar)."""
    import re

    r = c.get("/web/login")
    m = re.search(r'name="_csrf_token" value="([^"]+)"', r.text)
    assert m, r.text
    return m.group(1)


def web_login(c: TestClient[Any], key: str) -> Any:
    """POST the login form as a browser would: with the form's CSRF token."""
    return c.post(
        "/web/login", data={"key": key, "_csrf_token": web_csrf(c)}, follow_redirects=False
    )
