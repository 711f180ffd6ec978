"""The Python list of session outcomes is the database's: one enum, equal to the check
constraint on smf.poll_attempt.outcome, and every outcome can be logged."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import psycopg
import pytest

from db.settings import Settings
from poller.outcome import Outcome

from .conftest import q


def test_outcome_enum_equals_the_check_constraint(db_settings: Settings) -> None:
    ((definition,),) = q(
        db_settings,
        "select pg_get_constraintdef(oid) from pg_constraint "
        "where conname = 'poll_attempt_outcome_check'",
    )
    allowed = set(re.findall(r"'([a-z_]+)'::text", definition))
    assert allowed == {o.value for o in Outcome}
    assert "busy_elsewhere" in allowed  # produced by the lease check, refused before 0005


@pytest.mark.slow
def test_every_outcome_can_be_logged(db_settings: Settings) -> None:
    with psycopg.connect(db_settings.url) as conn:
        mid = conn.execute(
            "insert into smf.meter (serial) values ('77777777') returning id"
        ).fetchone()[0]  # type: ignore[index]
        for i, o in enumerate(Outcome):
            conn.execute(
                "insert into smf.poll_attempt (meter_id, started_at, duration_ms, trigger, "
                "outcome, error_class) values (%s, %s, 0, 'schedule', %s, %s)",
                (mid, datetime(2024, 1, 1, 0, i, tzinfo=UTC), o.value,
                 None if o is Outcome.OK else "X"),
            )  # fmt: skip
    assert q(db_settings, "select count(*) from smf.poll_attempt") == [(len(Outcome),)]
