"""The driver boundary: driver errors become domain errors, once, by SQLSTATE."""

from __future__ import annotations

import pytest

from db import driver, errors
from db.settings import Settings


def test_unreachable_server_is_database_unavailable() -> None:
    url = "postgresql://smf@127.0.0.1:9/smf?connect_timeout=2"
    with (
        pytest.raises(errors.DatabaseUnavailable, match=r"127\.0\.0\.1.*port 9 failed"),
        driver.connect(url),
    ):
        pass
    driver.dispose_all()


@pytest.mark.slow
def test_check_violation_is_invalid_parameter(db_settings: Settings) -> None:
    with (
        pytest.raises(errors.InvalidParameter, match="constraint meter_interval_minutes_check"),
        driver.connect(db_settings) as conn,
    ):
        conn.execute("insert into smf.meter (serial, interval_minutes) values ('X', 7)")


@pytest.mark.slow
def test_unique_violation_is_conflict(db_settings: Settings) -> None:
    with (
        pytest.raises(errors.Conflict, match="meter_serial_key"),
        driver.connect(db_settings) as conn,
    ):
        conn.execute("insert into smf.meter (serial) values ('X'), ('X')")


@pytest.mark.slow
def test_our_sqlstate_is_not_found(db_settings: Settings) -> None:
    with pytest.raises(errors.NotFound, match="nothing here"), driver.connect(db_settings) as conn:
        conn.execute(
            "do $$ begin raise exception using errcode = 'SMF04', message = 'nothing here'; end $$"
        )


def test_unknown_query_name_is_named() -> None:
    with pytest.raises(KeyError, match="no query named 'nope'"):
        driver.query("nope")


@pytest.mark.slow
def test_a_pooled_connection_whose_server_session_ended_is_replaced_even_when_just_returned(
    db_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A connection handed back a moment ago is reused without a round trip only while the
    server has said nothing on it: a terminated backend (a restart, a crash) is noticed on the
    socket and the pool hands out a new connection, so the request works."""
    import asyncio

    import psycopg

    monkeypatch.setattr(driver, "RECENT_S", 60.0)  # every reuse inside the window

    async def go() -> tuple[int, int]:
        pool = await driver.open_async_pool(db_settings.url, min_size=1, max_size=1)
        try:
            with psycopg.connect(db_settings.url, autocommit=True) as other:
                async with driver.aconnect(pool) as conn:
                    row = await (await conn.execute("select pg_backend_pid()")).fetchone()
                    assert row is not None
                    old = int(row[0])
                # wait (up to 5 s) until the backend is gone
                other.execute("select pg_terminate_backend(%s, 5000)", (old,))
            async with driver.aconnect(pool) as conn:
                row = await (await conn.execute("select pg_backend_pid()")).fetchone()
                assert row is not None
                return old, int(row[0])
        finally:
            await pool.close()

    old, new = asyncio.run(go())
    assert new != old
