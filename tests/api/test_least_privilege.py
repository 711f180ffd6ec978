"""Least privilege (issue 17 §1, §6): the services log in as their own non-superuser roles, the
principal comes from what the API sets per request (never from session_user matching an
account), `--db-role` takes only new names in the project's namespace or reader roles smf made,
readers have no TEMP and no TimescaleDB catalog, and every smf_read view works for a reader.

The first test is the exact sequence of the issue: `smf user add probe --role client --scope
uc:<one UC> --db-role smf` used to ALTER the superuser `smf` and turn every API key into that
client."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from litestar.testing import TestClient

from db import driver, errors
from db.cluster import scram_verifier
from db.settings import SERVICE_ROLES, Settings
from smf import cli
from tests.api.conftest import Seed


@pytest.fixture
def admin(
    fresh: tuple[Seed, TestClient[Any]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Any:
    """`smf user ...` in this process against the fresh database: (rc, out, err)."""
    seed, _ = fresh
    monkeypatch.setenv("SMF_DATABASE_URL", seed.settings.url)

    def run(*argv: str) -> tuple[int, str, str]:
        rc = cli.main(["user", *argv])
        out, err = capsys.readouterr()
        return rc, out, err

    return run


def _owner(settings: Settings) -> psycopg.Connection[Any]:
    return psycopg.connect(settings.url, autocommit=True)


def _uc_codes(client: TestClient[Any], seed: Seed, who: str) -> set[str]:
    r = client.get("/api/v1/search", params={"q": ""}, headers=seed.headers(who))
    assert r.status_code == 200, r.text
    return {u["uc_code"] for u in r.json()["units"]}


@pytest.mark.slow
def test_the_issue_sequence_is_refused_and_keys_keep_their_scope(
    fresh: tuple[Seed, TestClient[Any]], admin: Any
) -> None:
    seed, client = fresh
    one = seed.ucs["M-A1"]
    with _owner(seed.settings) as conn:
        before = conn.execute(
            "select rolsuper, rolpassword from pg_authid where rolname = current_user"
        ).fetchone()
        owner = conn.execute("select current_user").fetchone()[0]  # type: ignore[index]
    rc, out, err = admin(
        "add", "probe", "--role", "client", "--scope", f"uc:{one}", "--db-role", owner
    )
    assert rc == 1 and out == ""
    assert err.startswith(f"error: database role {owner}: a new role name must start with smf_")
    rc, _, err = admin(
        "add", "probe", "--role", "client", "--scope", f"uc:{one}", "--db-role", "postgres"
    )
    assert rc == 1 and "must start with smf_" in err
    with _owner(seed.settings) as conn:
        after = conn.execute(
            "select rolsuper, rolpassword from pg_authid where rolname = current_user"
        ).fetchone()
        assert after == before  # the superuser's password (its .smf file) was not touched
        assert conn.execute("select 1 from pg_roles where rolname = 'postgres'").fetchone() is None
        # nothing of the refused command stayed: no account probe
        assert conn.execute("select 1 from smf.account where name = 'probe'").fetchone() is None
    # every key still acts as its own account: the admin sees the three UCs, each client its own
    assert _uc_codes(client, seed, "root") == set(seed.ucs.values())
    assert _uc_codes(client, seed, "other") == {seed.ucs["M-B1"]}
    assert _uc_codes(client, seed, "cli") == {one}


@pytest.mark.slow
def test_an_account_mapped_to_the_api_login_does_not_capture_the_api(
    fresh: tuple[Seed, TestClient[Any]],
) -> None:
    """Even an account whose db_role names the API's own login role (written past every check,
    straight into the table) changes nothing: the API's principal is what it sets per request."""
    seed, client = fresh
    with _owner(seed.settings) as conn:
        conn.execute(
            "insert into smf.account (name, role, db_role) values ('probe', 'client', %s)",
            (SERVICE_ROLES["api"],),
        )
        conn.execute("select smf.account_scope_add('probe', 'uc', %s)", (seed.ucs["M-A1"],))
    assert _uc_codes(client, seed, "root") == set(seed.ucs.values())
    assert _uc_codes(client, seed, "other") == {seed.ucs["M-B1"]}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("make", "role", "why"),
    [
        (None, "smf", "must start with smf_"),  # the owner (a superuser)
        (None, "postgres", "must start with smf_"),  # a new name outside the namespace
        (None, "Smf_x", "must start with smf_"),
        (None, "smf_svc_api", "must start with smf_ (letters, digits, _; not smf_svc_)"),
        (None, "smf_writer", "was not made by smf as a reader role"),
        (None, "smf_api", "was not made by smf as a reader role"),
        (None, "smf_reader", "was not made by smf as a reader role"),
        ("create role {r} login", "smf_t_foreign_{pid}", "was not made by smf as a reader role"),
        ("create role {r} superuser", "smf_t_super_{pid}", "is a superuser"),
    ],
)
def test_db_role_refusals(
    fresh: tuple[Seed, TestClient[Any]], make: str | None, role: str, why: str
) -> None:
    seed, _ = fresh
    role = role.format(pid=os.getpid())
    try:
        if make:
            with _owner(seed.settings) as conn:
                conn.execute(make.format(r=role))
        with driver.connect(seed.settings) as conn, pytest.raises(errors.InvalidParameter) as e:
            driver.run(conn, "user_db_role_create", db_role=role, verifier=scram_verifier("x"))
        assert why in str(e.value)
        with driver.connect(seed.settings) as conn, pytest.raises(errors.InvalidParameter):
            driver.run(conn, "user_add", name="probe", role="client", db_role=role)
    finally:
        if make:
            with _owner(seed.settings) as conn:
                conn.execute(f"drop role if exists {role}")


@pytest.mark.slow
def test_a_reader_role_smf_made_may_get_a_new_password_a_registered_one_that_gained_power_not(
    fresh: tuple[Seed, TestClient[Any]],
) -> None:
    seed, _ = fresh
    role = f"smf_t_reader_{os.getpid()}"
    try:
        with driver.connect(seed.settings) as conn:
            driver.run(conn, "user_add", name="graf", role="analyst", db_role=role)
            driver.run(conn, "user_db_role_create", db_role=role, verifier=scram_verifier("a"))
        with driver.connect(seed.settings) as conn:  # again: a new password for it
            driver.run(conn, "user_db_role_create", db_role=role, verifier=scram_verifier("b"))
        with _owner(seed.settings) as conn:
            row = conn.execute(
                "select r.rolsuper, r.rolbypassrls, r.rolcreaterole, d.kind,"
                " pg_has_role(r.oid, 'smf_reader', 'MEMBER')"
                " from pg_roles r join smf.db_role d on d.name = r.rolname where r.rolname = %s",
                (role,),
            ).fetchone()
            assert row == (False, False, False, "reader", True)
            conn.execute(f"grant smf_writer to {role}")  # someone gave it more power
        with driver.connect(seed.settings) as conn, pytest.raises(errors.InvalidParameter) as e:
            driver.run(conn, "user_db_role_create", db_role=role, verifier=scram_verifier("c"))
        assert "bypass row-level security or become a service role" in str(e.value)
    finally:
        with _owner(seed.settings) as conn:
            conn.execute(f"drop owned by {role}")
            conn.execute(f"drop role {role}")


@pytest.mark.slow
def test_service_roles_are_no_superusers_and_hold_only_their_grants(seeded: Seed) -> None:
    with _owner(seeded.settings) as conn:
        rows = {
            r[0]: r[1:]
            for r in conn.execute(
                "select rolname, rolsuper, rolcanlogin, rolbypassrls, rolinherit, rolcreaterole,"
                " rolcreatedb from pg_roles where rolname like 'smf\\_svc\\_%' or rolname in"
                " ('smf_writer', 'smf_api', 'smf_reader')"
            )
        }
        # name: (super, login, bypassrls, inherit, createrole, createdb)
        assert rows["smf_svc_api"] == (False, True, False, False, False, False)
        assert rows["smf_svc_poller"] == (False, True, True, True, False, False)
        assert rows["smf_svc_jobs"] == (False, True, True, True, False, False)
        assert rows["smf_writer"][:3] == (False, False, True)
        assert rows["smf_api"][:3] == (False, False, False)
        assert rows["smf_reader"][:3] == (False, False, False)

        def can(role: str, what: str, obj: str, priv: str) -> bool:
            q = f"select has_{what}_privilege(%s, %s, %s)"
            return bool(conn.execute(q, (role, obj, priv)).fetchone()[0])  # type: ignore[index]

        # the API's login by itself: the key lookup and the failed-login count, nothing else
        assert can("smf_svc_api", "function", "smf.api_key_lookup(text)", "execute")
        assert can("smf_svc_api", "function", "smf.login_failed(text)", "execute")
        assert not can("smf_svc_api", "table", "smf.interval_reading", "select")
        assert not can("smf_svc_api", "table", "smf.api_key", "select")
        # the writer: the data, not the accounts' secrets nor the account commands
        assert can("smf_writer", "table", "smf.interval_reading", "insert")
        assert can("smf_writer", "table", "smf_jobs.apscheduler_jobs", "update")
        assert not can("smf_writer", "table", "smf.api_key", "select")
        assert not can("smf_writer", "function", "smf.db_role_create(text, text)", "execute")
        assert not can("smf_writer", "function", "smf.api_key_lookup(text)", "execute")
        db = seeded.settings.database
        for role in ("smf_reader", "smf_svc_api"):
            assert not can(role, "database", db, "temporary"), role
            assert not can(role, "table", "_timescaledb_catalog.hypertable", "select"), role
            assert not can(role, "table", "_timescaledb_catalog.chunk", "select"), role
            assert not can(role, "schema", "timescaledb_information", "usage"), role
        assert can("smf_writer", "database", db, "temporary")


@pytest.fixture(scope="module")
def reader(seeded: Seed) -> Iterator[psycopg.Connection[Any]]:
    """A scoped reader (client of UC M-A1) logged in over the unix socket."""
    if seeded.settings.external_url:
        pytest.skip("logs in as a role of the local cluster")
    role = f"smf_t_rd_{os.getpid()}"
    with driver.connect(seeded.settings) as conn:
        driver.run(conn, "user_add", name=role.replace("_", "-"), role="client", db_role=role)
        driver.run(
            conn, "user_scope_add", name=role.replace("_", "-"), kind="uc", ref=seeded.ucs["M-A1"]
        )
        driver.run(conn, "user_db_role_create", db_role=role, verifier=scram_verifier("pw"))
    url = seeded.settings.cluster.url(seeded.settings.database, role)
    try:
        with psycopg.connect(url, autocommit=True) as c:
            yield c
    finally:
        with _owner(seeded.settings) as conn:
            conn.execute(f"drop owned by {role}")
            conn.execute(f"drop role {role}")


def test_every_smf_read_view_works_for_a_scoped_reader(
    reader: psycopg.Connection[Any], seeded: Seed
) -> None:
    views = [
        r[0]
        for r in reader.execute(
            "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace"
            " where n.nspname = 'smf_read' and c.relkind = 'v' order by 1"
        )
    ]
    assert {"ccee_board_recent", "hour_label", "interval_label", "meter_15min"} <= set(views)
    failed = {}
    for v in views:
        try:
            reader.execute(f"select * from smf_read.{v} limit 3").fetchall()
        except psycopg.Error as exc:
            failed[v] = str(exc).splitlines()[0]
    assert failed == {}
    # the three views of the issue, filtered to the reader's UC
    for v in ("interval_label", "hour_label"):
        ucs = reader.execute(f"select array_agg(distinct uc_code) from smf_read.{v}").fetchone()
        assert ucs == ([seeded.ucs["M-A1"]],), v


def test_a_reader_has_no_temp_and_no_timescaledb_catalog(
    reader: psycopg.Connection[Any],
) -> None:
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="temporary"):
        reader.execute("create temp table t (x int)")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        reader.execute("select * from _timescaledb_catalog.hypertable")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        reader.execute("select * from timescaledb_information.hypertables")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        reader.execute("select * from smf.interval_reading")
