"""Driver error paths a user meets: a NUL byte in a text value (refused before it is sent) is an
invalid parameter, also through the API; a database that does not answer while migrating (an
error SQLAlchemy wraps) is "unavailable" in one line; a query that must return a row names
itself when it does not."""

from __future__ import annotations

import pytest

from db import driver, errors, migrate
from db.settings import Settings, load
from tests.db.helpers import smf_cli

DEAD_URL = "postgresql://smf@127.0.0.1:9/nowhere?connect_timeout=1"  # nothing listens on port 9


def test_a_nul_byte_in_a_text_value_is_an_invalid_parameter(module_db: Settings) -> None:
    with driver.connect(module_db) as conn, pytest.raises(errors.InvalidParameter, match="NUL"):
        driver.run(conn, "meter_get", serial="M\x001")
    with driver.connect(module_db) as conn:  # nothing was sent: the database is as before
        assert driver.run(conn, "meter_get", serial="M1") == []


def test_a_query_that_must_return_a_row(module_db: Settings) -> None:
    with (
        driver.connect(module_db) as conn,
        pytest.raises(RuntimeError, match="query 'meter_get' returned no row"),
    ):
        driver.run_scalar(conn, "meter_get", serial="no-such-meter")


@pytest.mark.slow
def test_migrating_a_database_that_does_not_answer() -> None:
    dead = load({"SMF_DATABASE_URL": DEAD_URL})
    with pytest.raises(errors.DatabaseUnavailable, match=r"127\.0\.0\.1"):
        migrate.upgrade(dead)  # alembic runs through SQLAlchemy, which wraps the driver error
    proc = smf_cli(DEAD_URL, "db", "migrate")
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert len(lines) == 1 and lines[0].startswith("error: ") and "127.0.0.1" in lines[0]
