"""Schedules and backoff (pure), and the SQL rules of db/functions/200_poller.sql with
hand-worked cases inside a rolled-back transaction."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from poller.schedule import Backoff, next_due

T = datetime(2024, 3, 8, 15, 2, 31, tzinfo=UTC)
BRT = timedelta(hours=-3)
SETTLE = timedelta(minutes=2)


@pytest.mark.parametrize(
    ("schedule", "after", "want"),
    [
        ("15min", T, datetime(2024, 3, 8, 15, 17, tzinfo=UTC)),
        ("15min", datetime(2024, 3, 8, 15, 1, tzinfo=UTC), datetime(2024, 3, 8, 15, 2, tzinfo=UTC)),
        (
            "15min",
            datetime(2024, 3, 8, 15, 2, tzinfo=UTC),
            datetime(2024, 3, 8, 15, 17, tzinfo=UTC),
        ),
        ("hourly", T, datetime(2024, 3, 8, 16, 2, tzinfo=UTC)),
        ("daily", T, datetime(2024, 3, 9, 3, 2, tzinfo=UTC)),  # 00:02 local
        ("daily", datetime(2024, 3, 8, 2, 0, tzinfo=UTC), datetime(2024, 3, 8, 3, 2, tzinfo=UTC)),
        ("never", T, None),
    ],
)
def test_next_due(schedule: str, after: datetime, want: datetime | None) -> None:
    assert next_due(schedule, after, BRT, SETTLE) == want


def test_next_due_rejects_unknown_schedule() -> None:
    with pytest.raises(ValueError, match="unknown poll schedule 'weekly'"):
        next_due("weekly", T)


def test_backoff_grows_and_caps() -> None:
    b = Backoff(base=1, factor=2, cap=10, jitter=0)
    assert [b.delay(n) for n in range(5)] == [1, 2, 4, 8, 10]
    jittered = Backoff(base=4, jitter=0.5).delay(0, random.Random(1))
    assert 2 <= jittered <= 4


def _meter(conn: psycopg.Connection[Any], minutes: int) -> int:
    row = conn.execute(
        "insert into smf.meter (serial, interval_minutes) values (%s, %s) returning id",
        (f"T{minutes}", minutes),
    ).fetchone()
    assert row is not None
    return int(row[0])


def _store(conn: psycopg.Connection[Any], meter: int, *ts: str, quality: str = "measured") -> None:
    for t in ts:
        conn.execute(
            "insert into smf.interval_reading (meter_id, ts, active_fwd_wh, quality, "
            "batch_id) values (%s, %s, 1, %s, 0)",
            (meter, t, quality),
        )


@pytest.mark.slow
def test_missing_intervals_and_gaps(conn: psycopg.Connection[Any]) -> None:
    m = _meter(conn, 15)
    _store(conn, m, "2024-03-08 00:00Z", "2024-03-08 00:15Z", "2024-03-08 01:00Z")
    _store(conn, m, "2024-03-08 00:45Z", quality="missing")
    missing = [
        r[0].strftime("%H:%M")
        for r in conn.execute(
            "select * from smf.meter_missing_intervals(%s, '2024-03-08 00:05Z', "
            "'2024-03-08 01:30Z')",
            (m,),
        )
    ]
    # 00:05 rounds up to the 00:15 grid point; 01:30 is excluded; 'missing' rows are wanted
    assert missing == ["00:30", "00:45", "01:15"]
    gaps = conn.execute(
        "select to_char(gap_start at time zone 'UTC', 'HH24:MI'), "
        "to_char(gap_end at time zone 'UTC', 'HH24:MI'), intervals "
        "from smf.meter_gaps(%s, '2024-03-08 00:00Z', '2024-03-08 01:30Z')",
        (m,),
    ).fetchall()
    assert gaps == [("00:30", "01:00", 2), ("01:15", "01:30", 1)]
    last = conn.execute("select smf.meter_last_interval(%s)", (m,)).fetchone()
    assert last == (datetime(2024, 3, 8, 1, 0, tzinfo=UTC),)
    assert conn.execute("select smf.meter_last_interval(-1)").fetchone() == (None,)


def test_recent_outages_keeps_the_newest(conn: psycopg.Connection[Any]) -> None:
    m = _meter(conn, 5)
    for day in range(1, 26):
        conn.execute(
            "insert into smf.meter_outage (meter_id, start_at, end_at) values (%s, %s, %s)",
            (m, datetime(2024, 1, day, tzinfo=UTC), datetime(2024, 1, day, 0, 10, tzinfo=UTC)),
        )
    rows = conn.execute(
        "select start_at, duration_s from smf.meter_recent_outages(%s)", (m,)
    ).fetchall()
    assert len(rows) == 20 and rows[0] == (datetime(2024, 1, 25, tzinfo=UTC), 600)
