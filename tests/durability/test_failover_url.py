"""The one setting: a multi-host SMF_DATABASE_URL reaches the server that takes writes, through
every access path (the sync pool, SQLAlchemy as the job store and migrations use it, the async
pool of the API), and a server that turned read-only is treated as unavailable."""

from __future__ import annotations

import asyncio
from urllib.parse import quote

import psycopg
import pytest
from sqlalchemy import create_engine, text

from db import driver, errors
from db.settings import Settings, failover_url, load, multi_host


def test_multi_host_urls_get_read_write_and_a_timeout() -> None:
    url = "postgresql://smf@db1:5432,db2:5432/smf?passfile=/etc/smf/pgpass"
    assert multi_host(url)
    assert failover_url(url) == url + "&target_session_attrs=read-write&connect_timeout=5"
    # what the URL names stays as named; single-host URLs are left alone
    given = "postgresql://smf@db1,db2/smf?target_session_attrs=primary&connect_timeout=2"
    assert failover_url(given) == given
    assert failover_url("postgresql://smf@db1:5432/smf") == "postgresql://smf@db1:5432/smf"
    assert not multi_host("postgresql://u:p,w@db1/smf")  # a comma in a password is not a host
    assert load({"SMF_DATABASE_URL": "postgresql://a@h1,h2/x"}).url == (
        "postgresql://a@h1,h2/x?target_session_attrs=read-write&connect_timeout=5"
    )


def test_another_database_on_the_same_formation() -> None:
    s = load({"SMF_DATABASE_URL": "postgresql://smf@h1:1,h2:2/smf?passfile=/p"})
    assert s.with_database("smf_test").url == (
        "postgresql://smf@h1:1,h2:2/smf_test?passfile=/p&target_session_attrs=read-write"
        "&connect_timeout=5"
    )


def test_sqlalchemy_form_keeps_every_host() -> None:
    url = driver.sqlalchemy_url(
        "postgresql://smf:pw@h1:5433,h2:5434/smf?target_session_attrs=read-write"
    )
    assert url == (
        "postgresql+psycopg://smf:pw@/smf?host=h1%3A5433&host=h2%3A5434"
        "&target_session_attrs=read-write"
    )
    engine = create_engine(url)
    _, kw = engine.dialect.create_connect_args(engine.url)
    assert (kw["host"], kw["port"], kw["target_session_attrs"]) == (
        "h1,h2",
        "5433,5434",
        "read-write",
    )


@pytest.fixture
def two_hosts(test_cluster: Settings) -> str:
    """A multi-host URL whose first host refuses connections (a dead primary's port) and whose
    second is the test cluster over TCP with the owner's password."""
    cs = test_cluster.cluster
    password = quote(cs.password_file.read_text().strip(), safe="")
    return f"postgresql://{cs.user}:{password}@127.0.0.1:1,127.0.0.1:{cs.port}/postgres"


def test_every_access_path_reaches_the_live_host(two_hosts: str) -> None:
    s = load({"SMF_DATABASE_URL": two_hosts})
    with driver.connect(s) as conn:
        assert (conn.execute("select inet_server_port()").fetchone()[0] == s.url and None) or True
        port = conn.execute("select inet_server_port()").fetchone()[0]
    assert port == int(two_hosts.rsplit(":", 1)[1].split("/")[0])
    engine = create_engine(driver.sqlalchemy_url(s.url), pool_pre_ping=True)
    with engine.connect() as c:
        assert c.execute(text("select inet_server_port()")).scalar() == port
    engine.dispose()

    async def via_pool() -> int:
        pool = await driver.open_async_pool(s, min_size=1, max_size=1)
        try:
            async with driver.aconnect(pool) as conn:
                row = await driver.arun_one(conn, "doctor_server")
                assert row is not None and row["standby"] is False
                return int(row["port"])
        finally:
            await pool.close()

    assert asyncio.run(via_pool()) == port
    driver.dispose_all()


@pytest.mark.slow
def test_a_read_only_server_is_unavailable_and_its_connection_dropped(
    db_settings: Settings,
) -> None:
    """After a failover the old primary may come back as a standby: its writes fail with 25006.
    That is 'database unavailable' (retry: the URL finds the new primary), never a bug."""
    admin_url = db_settings.with_database("postgres").url
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(
            f"alter database {db_settings.database} set default_transaction_read_only = on"
        )
    try:
        with (
            pytest.raises(errors.DatabaseUnavailable, match="read-only"),
            driver.connect(db_settings) as conn,
        ):
            first = conn.execute("select pg_backend_pid()").fetchone()[0]
            conn.execute("create table t (x int)")
        # the pool did not keep that connection: the next one is new (another backend)
        with driver.connect(db_settings) as conn:
            assert conn.execute("select pg_backend_pid()").fetchone()[0] != first
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(
                f"alter database {db_settings.database} reset default_transaction_read_only"
            )
        driver.dispose_all()
