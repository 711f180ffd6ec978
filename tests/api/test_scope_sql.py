"""Scope holds in SQL too: a database login role mapped to a client account (what Grafana or an
analyst's psql uses) reads through the same row-level policies, and cannot widen them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from db import driver
from db.cluster import scram_verifier
from tests.api.conftest import DAY, METERS, Seed


@pytest.fixture(scope="module")
def client_role(seeded: Seed) -> Iterator[str]:
    """A login role for a new client account scoped to the UC of M-A1 (dropped afterwards)."""
    role = f"smf_t_cli_{os.getpid()}"
    with driver.connect(seeded.settings) as conn:
        driver.run(conn, "user_add", name=f"graf{os.getpid()}", role="client", db_role=role)
        driver.run(
            conn, "user_scope_add", name=f"graf{os.getpid()}", kind="uc", ref=seeded.ucs["M-A1"]
        )
        driver.run(conn, "user_db_role_create", db_role=role, verifier=scram_verifier("pw"))
    yield role
    with psycopg.connect(seeded.settings.url, autocommit=True) as conn:
        conn.execute(f"drop owned by {role}")
        conn.execute(f"drop role {role}")


def _as(seeded: Seed, role: str) -> psycopg.Connection[Any]:
    url = seeded.settings.url.replace(f"{seeded.settings.cluster.user}@", f"{role}@", 1)
    return psycopg.connect(url, autocommit=True)


def _count(conn: psycopg.Connection[Any], sql: str) -> int:
    row = conn.execute(sql).fetchone()  # type: ignore[call-overload]
    assert row is not None
    return int(row[0])


def test_a_scoped_role_reads_only_its_uc(seeded: Seed, client_role: str) -> None:
    with _as(seeded, client_role) as conn:
        assert _count(conn, "select count(*) from smf_read.interval_reading") == 288
        assert _count(conn, "select count(distinct meter_id) from smf_read.interval_reading") == 1
        assert _count(conn, "select count(*) from smf_read.consumer_unit") == 1
        assert _count(conn, "select count(*) from smf_read.meter") == 1
        assert _count(conn, "select count(*) from smf_read.rollup_15min") == 96
        assert _count(conn, "select count(*) from smf_read.meter_15min") == 96  # a view
        assert _count(conn, "select count(distinct serial) from smf_read.meter_daily") == 1
        row = conn.execute("select sum(active_fwd_wh) from smf_read.interval_reading").fetchone()
        # M-A1 (k = 1): interval i holds (i + 1) Wh, so 1 + 2 + ... + 288 = 288 * 289 / 2
        assert row is not None and row[0] == 288 * 289 // 2


def test_a_scoped_role_cannot_widen_its_scope(seeded: Seed, client_role: str) -> None:
    with _as(seeded, client_role) as conn:
        # naming another account in the API's setting is ignored for a mapped login role
        conn.execute("select set_config('smf.principal', '1', false)")
        assert _count(conn, "select count(distinct meter_id) from smf_read.interval_reading") == 1
        for sql in (
            "set role smf_api",
            "select * from smf.account",
            "select * from smf.api_key",
            "select * from smf.account_scope",
            "select * from smf.interval_reading",
            "select smf.api_key_lookup('x')",
            "insert into smf.meter (serial) values ('X-1')",
            "delete from smf_read.interval_reading",
            "select * from smf_read.account",
        ):
            with pytest.raises(
                (psycopg.errors.InsufficientPrivilege, psycopg.errors.UndefinedTable)
            ):
                conn.execute(sql)
    with driver.connect(seeded.settings) as owner:
        chunk = owner.execute(
            "select format('%I.%I', chunk_schema, chunk_name) from timescaledb_information.chunks"
            " where hypertable_name = 'interval_reading' limit 1"
        ).fetchone()
    assert chunk is not None
    # a chunk by its own name has no policy: no access
    with _as(seeded, client_role) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(f"select count(*) from {chunk[0]}")


def test_every_table_a_principal_may_read_has_a_policy(seeded: Seed) -> None:
    """Deny by default: a table added to smf without a row policy (and not declared reference
    data) would be readable whole by every client through smf_api and smf_read."""
    with driver.connect(seeded.settings) as conn:
        rows = conn.execute(
            "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace"
            " where n.nspname = 'smf' and c.relkind in ('r', 'p') and not c.relrowsecurity"
            "   and has_table_privilege('smf_api', c.oid, 'select')"
            "   and c.relname <> all (smf.scope_reference_tables())"
        ).fetchall()
    assert [r[0] for r in rows] == []


def test_findings_and_alarms_of_other_ucs_stay_hidden(seeded: Seed, client_role: str) -> None:
    """VEE findings (by meter) and alarms (by meter and UC) of the three seeded meters: the client
    scoped to M-A1's UC sees exactly M-A1's one finding and one alarm."""
    with driver.connect(seeded.settings) as conn:
        for serial in METERS:
            conn.execute(
                "insert into smf.vee_finding (meter_id, rule, ts_from, ts_to, severity, detail)"
                " select id, 'scope_probe', %s, %s, 'info', serial"
                " from smf.meter where serial = %s",
                (DAY, DAY, serial),
            )
            conn.execute(
                "insert into smf.alarm (rule_code, meter_id, uc_id, distributor_id, opened_at,"
                " last_at, source, message, state, closed_by, closed_at)"
                " select 'a', m.id, u.id, u.distributor_id, %s, %s, 'poll', m.serial,"
                " 'closed', 'test', now()"
                " from smf.meter m join smf.consumer_unit u on u.main_meter_id = m.id"
                " where m.serial = %s",
                (DAY, DAY, serial),
            )
        conn.commit()
    with _as(seeded, client_role) as conn:
        got = conn.execute(
            "select detail from smf_read.vee_finding where rule = 'scope_probe'"
        ).fetchall()
        assert [r[0] for r in got] == ["M-A1"]
        got = conn.execute("select message from smf_read.alarm where closed_by = 'test'").fetchall()
        assert [r[0] for r in got] == ["M-A1"]
