"""The long-running service (`smf poll`): a never-read meter is read at once, then again when
its schedule comes round; an on-demand request makes it due now; stop ends the loop cleanly."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

import pytest

from db.settings import Settings
from poller.emulator import FixedClock

from .conftest import poller, q, site


async def _until(predicate: Callable[[], bool], timeout: float = 60.0) -> None:
    """Wait for a condition (polled); the timeout only guards against a hang."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out waiting"
        await asyncio.sleep(0.01)


def _attempts(settings: Settings) -> int:
    return int(q(settings, "select count(*) from smf.poll_attempt where outcome = 'ok'")[0][0])


@pytest.mark.slow
async def test_schedule_on_demand_and_stop(db_settings: Settings, clock: FixedClock) -> None:
    async with site(db_settings, clock) as s:  # registered with the 15-minute schedule
        p = poller(db_settings, clock, tick=0.01, registry_refresh=0.05)
        stop = asyncio.Event()
        service = asyncio.create_task(p.run(stop))
        await _until(lambda: _attempts(db_settings) == 1)  # never read before: read at once
        seen = p.loops
        await _until(lambda: p.loops >= seen + 20)  # twenty passes of the loop, whatever speed
        assert _attempts(db_settings) == 1  # not due again until the next quarter hour
        clock.advance(timedelta(minutes=15))  # NOW 15:02:31 -> 15:17:31, past 15:15 + 2 min
        await _until(lambda: _attempts(db_settings) == 2)
        assert p.request_read(s.meter.serial) and not p.request_read("00000000")
        await _until(lambda: _attempts(db_settings) == 3)
        seen = p.loops
        await _until(lambda: p.loops >= seen + 20)
        assert _attempts(db_settings) == 3  # the on-demand read is not repeated
        stop.set()
        await asyncio.wait_for(service, 5)
    triggers = q(db_settings, "select trigger from smf.poll_attempt order by started_at")
    assert triggers == [("schedule",), ("schedule",), ("on_demand",)]
    stored = q(db_settings, "select count(*), max(ts) from smf.interval_reading")[0]
    # 5-minute meter: the read at 15:17:31 UTC stored up to the interval 15:10-15:15.
    assert stored[0] > 0 and stored[1].minute == 10
