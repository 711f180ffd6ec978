"""A read stores exactly the emulator's profile with its registers, instantaneous values,
outages and log row; a re-read stores nothing twice; later reads store only what is new."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from db.settings import Settings
from poller.emulator import FixedClock, MeterConfig
from tests.db.helpers import fingerprint

from .conftest import assert_matches, poller, q, site

YESTERDAY = datetime(2024, 3, 7, 3, tzinfo=UTC)  # previous period: from 00:00 local yesterday
LAST_END = datetime(2024, 3, 8, 15, tzinfo=UTC)  # end of the last complete interval at NOW


@pytest.mark.slow
@pytest.mark.parametrize(("channels", "minutes", "n"), [(3, 5, 432), (12, 15, 144)])
async def test_read_stores_the_profile_value_for_value(
    db_settings: Settings, clock: FixedClock, channels: int, minutes: int, n: int
) -> None:
    cfg = MeterConfig(serial="32600760", channels=channels, interval_min=minutes)
    async with site(db_settings, clock, cfg) as s:
        res = await poller(db_settings, clock).read_meter(s.info)
    assert res.ok and res.committed and res.sessions == 1, res
    assert res.intervals_stored == n
    assert_matches(db_settings, s.meter, YESTERDAY, LAST_END)


@pytest.mark.slow
async def test_side_tables_and_connectivity_log(db_settings: Settings, clock: FixedClock) -> None:
    out = (datetime(2024, 3, 8, 10, 0, tzinfo=UTC), datetime(2024, 3, 8, 10, 30, tzinfo=UTC))
    async with site(db_settings, clock, MeterConfig(serial="32600760", outages=(out,))) as s:
        p = poller(db_settings, clock)
        await p.read_meter(s.info)
        clock.advance(timedelta(minutes=20))
        await p.read_meter(s.info)
    assert q(db_settings, "select start_at, end_at from smf.meter_outage") == [out]
    regs = q(db_settings, "select period, count(*) from smf.register_reading group by 1 order by 1")
    assert regs == [("current", 6), ("previous", 3)]  # previous-period snapshot stored once
    assert q(db_settings, "select count(*) from smf.instantaneous_reading") == [(2,)]
    log = q(
        db_settings,
        "select trigger, outcome, error_class, intervals_read, intervals_stored, "
        "bytes_in > 0, bytes_out > 0, clock_drift_s, batch_id is not null "
        "from smf.poll_attempt order by started_at",
    )
    assert log == [
        ("schedule", "ok", None, 432, 432, True, True, 0, True),
        ("schedule", "ok", None, 148, 4, True, True, 0, True),
    ]
    # the first read decides the emulator's profile from its data; registers agree with the
    # mass memory: no plausibility event
    assert q(db_settings, "select kind from smf.meter_event order by id") == [
        ("mm_layout_decided",),
        ("register_unit_decided",),
    ]


@pytest.mark.slow
async def test_reread_is_idempotent(db_settings: Settings, clock: FixedClock) -> None:
    async with site(db_settings, clock) as s:
        p = poller(db_settings, clock)
        first = await p.read_meter(s.info)
        before = fingerprint(db_settings.url)
        again = await p.read_meter(s.info)
        assert fingerprint(db_settings.url) == before
        clock.advance(timedelta(hours=1))
        later = await p.read_meter(s.info)
    assert (first.intervals_stored, again.intervals_stored, later.intervals_stored) == (432, 0, 12)
    assert again.intervals_read == 144  # previous period complete in the DB: not re-read
    assert_matches(db_settings, s.meter, YESTERDAY, LAST_END + timedelta(hours=1))


@pytest.mark.slow
async def test_read_over_a_pty(db_settings: Settings, clock: FixedClock) -> None:
    async with site(db_settings, clock, via="pty") as s:
        assert s.transport.startswith("serial:///dev/")
        res = await poller(db_settings, clock).read_meter(s.info)
    assert res.ok and res.intervals_stored == 432, res
    assert_matches(db_settings, s.meter, YESTERDAY, LAST_END)


@pytest.mark.slow
async def test_demand_reset_between_reads_reads_the_previous_period(
    db_settings: Settings, clock: FixedClock
) -> None:
    async with site(db_settings, clock) as s:
        p = poller(db_settings, clock)
        await p.read_meter(s.info)
        clock.advance(timedelta(minutes=30))
        s.meter.demand_reset()  # closes the period: 6 unread intervals are now "previous"
        clock.advance(timedelta(minutes=10))
        res = await p.read_meter(s.info)
    assert res.intervals_stored == 8, res
    assert_matches(db_settings, s.meter, YESTERDAY, LAST_END + timedelta(minutes=40))
