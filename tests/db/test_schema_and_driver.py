"""Paths coverage showed untested in db/schema.py and db/driver.py: the scratch-database schema
dump behind `smf db schema --write`, a failing pg_dump, creating a database only when missing,
and how driver errors are (or are not) translated into the domain errors of db.errors."""

from __future__ import annotations

import psycopg
import pytest

from db import driver, errors, schema
from db.settings import Settings


@pytest.mark.slow
def test_fresh_dump_equals_the_declared_schema(test_cluster: Settings, template: str) -> None:
    # a scratch database migrated from nothing dumps to exactly db/schema.sql, and is dropped
    assert schema.dump_fresh(test_cluster) == schema.SCHEMA_FILE.read_text()
    with psycopg.connect(test_cluster.with_database("postgres").url) as c:
        left = c.execute(
            "select count(*) from pg_database where datname = 'smf_schema_scratch'"
        ).fetchone()
    assert left == (0,)


def test_pg_dump_failure_is_reported(test_cluster: Settings) -> None:
    with pytest.raises(RuntimeError, match=r"pg_dump failed: .*smf_no_such_db"):
        schema.dump(test_cluster.with_database("smf_no_such_db"))


def test_create_database_if_missing_is_idempotent(test_cluster: Settings) -> None:
    admin = test_cluster.with_database("postgres").url
    driver.drop_database(admin, "smf_if_missing")
    try:
        driver.create_database(admin, "smf_if_missing", if_missing=True)
        driver.create_database(admin, "smf_if_missing", if_missing=True)  # exists: kept, no error
        with pytest.raises(psycopg.errors.DuplicateDatabase):
            driver.create_database(admin, "smf_if_missing")  # a plain create of an existing one
    finally:
        driver.drop_database(admin, "smf_if_missing")


@pytest.mark.parametrize(
    ("exc", "domain"),
    [
        (psycopg.errors.SerializationFailure("could not serialize"), errors.RetryableConflict),
        (psycopg.errors.DeadlockDetected("deadlock detected"), errors.RetryableConflict),
        (psycopg.errors.AdminShutdown("terminating connection"), errors.DatabaseUnavailable),
        (psycopg.errors.ConnectionFailure("connection failure"), errors.DatabaseUnavailable),
    ],
)
def test_retryable_and_unavailable_states(exc, domain) -> None:
    got = driver.translate(exc)
    assert isinstance(got, domain)
    assert str(exc) in str(got)


@pytest.mark.slow
def test_an_error_that_is_not_ours_passes_through(module_db: Settings) -> None:
    # division by zero (22012) has no domain error: translate_errors re-raises it unchanged
    with psycopg.connect(module_db.url) as c:
        with pytest.raises(psycopg.errors.DivisionByZero), driver.translate_errors():
            c.execute("select 1 / 0")
        c.rollback()
