"""Never two sessions on one meter, even from two pollers (processes): the database lease."""

from __future__ import annotations

import pytest

from db.settings import Settings
from poller import store
from poller.emulator import FixedClock

from .conftest import poller, q, site


@pytest.mark.slow
async def test_second_poller_does_not_open_a_session(
    db_settings: Settings, clock: FixedClock
) -> None:
    async with site(db_settings, clock) as s:
        first, second = poller(db_settings, clock), poller(db_settings, clock)
        assert store.lease_acquire(db_settings, s.info.id, first._holder, 60)
        blocked = await second.read_meter(s.info)
        assert (blocked.outcome, blocked.sessions) == ("busy_elsewhere", 0)
        assert q(db_settings, "select count(*) from smf.poll_attempt") == [(0,)]
        store.lease_release(db_settings, s.info.id, first._holder)
        done = await second.read_meter(s.info)
    assert done.ok and done.committed
    assert q(db_settings, "select count(*) from smf.meter_session_lease") == [(0,)]  # released


@pytest.mark.slow
async def test_an_expired_lease_is_taken_over(db_settings: Settings, clock: FixedClock) -> None:
    async with site(db_settings, clock) as s:
        assert store.lease_acquire(db_settings, s.info.id, "crashed-host:1", 0)  # expires at once
        res = await poller(db_settings, clock).read_meter(s.info)
    assert res.ok and res.committed
