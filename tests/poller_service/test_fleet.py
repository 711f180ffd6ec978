"""A fleet of emulated meters (3/12 channels, 5/15 minutes) polled over TCP into the database
matches the emulator's profile meter by meter."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from db.settings import Settings
from poller import emulated, store
from poller.emulator import FixedClock
from poller.protocol.link import LinkTimers

from .conftest import FAST_METER, assert_matches, poller, q

YESTERDAY = datetime(2024, 3, 7, 3, tzinfo=UTC)
LAST_END = datetime(2024, 3, 8, 15, tzinfo=UTC)
# No frame is lost here, so the response timeout never decides the outcome: it is generous so a
# loaded machine (20-200 sessions and their emulators share one event loop) cannot fail the test.
FLEET_TIMERS = LinkTimers(enq_timeout=5.0, response_timeout=5.0, inter_char_timeout=1.0)


async def _fleet(settings: Settings, clock: FixedClock, n: int) -> None:
    fleet = await emulated.start_fleet(n, clock=clock, behaviour=FAST_METER)
    try:
        store.register_meters(settings, emulated.fleet_registry_params(fleet))
        results = await poller(
            settings, clock, max_connections=64, tcp_timers=FLEET_TIMERS
        ).poll_once()
    finally:
        await fleet.close()
    assert len(results) == n and all(r.ok and r.committed for r in results), [
        r for r in results if not r.ok
    ]
    for e in fleet.emulators:
        assert_matches(settings, e.meter, YESTERDAY, LAST_END)
    # every meter is now polled: none is due again at the same instant
    assert await poller(settings, clock).poll_once() == []
    assert q(settings, "select count(*) from smf.poll_attempt where outcome <> 'ok'") == [(0,)]


async def test_twenty_meters(db_settings: Settings, clock: FixedClock) -> None:
    await _fleet(db_settings, clock, 20)


@pytest.mark.slow
async def test_two_hundred_meters(db_settings: Settings, clock: FixedClock) -> None:
    await _fleet(db_settings, clock, 200)
