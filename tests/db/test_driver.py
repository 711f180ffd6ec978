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
