"""Clock drift: corrected between 1 and 60 minutes (with an event) within the meter's interval
(poller/clock.py: a partial move when the whole drift would cross a boundary), only reported
beyond (tests/poller_service/test_clock_policy.py has the 5- and 90-minute cases).
Database outage during a store: the decoded read waits in memory and is committed later."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from db.settings import Settings
from poller.emulator import FixedClock, MeterConfig

from .conftest import assert_matches, poller, q, site, without_profile

YESTERDAY = datetime(2024, 3, 7, 3, tzinfo=UTC)
LAST_END = datetime(2024, 3, 8, 15, tzinfo=UTC)
DEAD_DB = "postgresql://smf@127.0.0.1:9/nowhere?connect_timeout=1"  # nothing listens on port 9


@pytest.mark.slow
@pytest.mark.parametrize(
    ("offset", "left", "events"),
    [
        (timedelta(seconds=30), timedelta(seconds=30), []),
        # 5-minute meter at 11:57:31 local (p = 151 s in 11:55-12:00), 300 s slow: forward
        # only 300 - 10 - 151 = 139 s (more would close the interval early): 161 s left
        (timedelta(minutes=-5), timedelta(seconds=-161), ["clock_corrected"]),
        # 13:01:31 (p = 91 s), 3540 s fast, the wait (10 + 3540 - 91 s) beyond 300 s: back
        # 91 - 10 = 81 s only: 3459 s left
        (timedelta(minutes=59), timedelta(seconds=3459), ["clock_corrected"]),
        (timedelta(hours=2), timedelta(hours=2), ["clock_drift_large"]),
    ],
)
async def test_clock_drift(
    db_settings: Settings, clock: FixedClock, offset: timedelta, left: timedelta, events: list[str]
) -> None:
    cfg = MeterConfig(serial="32600760", clock_offset=offset)
    corrected = left != offset
    async with site(db_settings, clock, cfg) as s:
        res = await poller(db_settings, clock).read_meter(s.info)
        meter_error = s.meter.meter_utc() - clock()
    assert res.ok and without_profile(res.events) == events, res
    assert res.clock_drift_s == pytest.approx(offset.total_seconds())
    assert meter_error == left
    stored = q(
        db_settings,
        "select kind, (detail->>'drift_s')::numeric from smf.meter_event where kind like 'clock%%'",
    )
    assert stored == [(k, offset.total_seconds()) for k in events]
    alterations = q(db_settings, "select command_code from smf.meter_alteration order by 1")
    assert alterations == ([(0x29,), (0x30,)] if corrected else [])
    if corrected:  # corrected before the mass memory: every interval its clock closed is stored
        # by its own clock: 161 s slow, the meter at 11:59:50 local has closed 11:50-11:55 last
        # (hi 14:55 UTC); 3459 s fast, at 13:00:10 local it has closed 12:55-13:00 (hi 16:00)
        t = int((clock() + left).timestamp())
        hi = datetime.fromtimestamp(t - t % 300, UTC)
        assert_matches(db_settings, s.meter, YESTERDAY, hi)


@pytest.mark.slow
async def test_database_outage_keeps_the_read_in_memory(
    db_settings: Settings, clock: FixedClock
) -> None:
    async with site(db_settings, clock) as s:
        p = poller(db_settings, clock, store_attempts=2)
        p.settings = DEAD_DB  # the database goes away before the read
        res = await p.read_meter(s.info)
        assert res.ok and not res.committed and p.pending_count == 1
        assert q(db_settings, "select count(*) from smf.interval_reading") == [(0,)]
        p.settings = db_settings.url  # ... and comes back
        assert await p.flush(timeout=10)
    assert p.pending_count == 0
    assert_matches(db_settings, s.meter, YESTERDAY, LAST_END)
    assert q(db_settings, "select outcome, intervals_stored from smf.poll_attempt") == [("ok", 432)]


@pytest.mark.slow
async def test_store_retries_until_the_database_is_back(
    db_settings: Settings, clock: FixedClock
) -> None:
    async with site(db_settings, clock) as s:
        p = poller(db_settings, clock, store_attempts=50)
        await p.read_meter(s.info)  # something stored: the next read plans from the DB
        clock.advance(timedelta(hours=1))
        p.settings = DEAD_DB

        async def restore() -> None:
            while p.store_failures < 2:  # the store has met the dead database twice
                await asyncio.sleep(0.01)
            p.settings = db_settings.url

        res, _ = await asyncio.gather(p.read_meter(s.info), restore())
    assert res.ok and res.committed and res.intervals_stored == 12, res
    assert p.store_failures >= 2
    assert_matches(db_settings, s.meter, YESTERDAY, LAST_END + timedelta(hours=1))
