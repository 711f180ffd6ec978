"""Service paths that only show under faults (issue 13 §4): a store the database rejects for
good, queued connectivity-log rows flushed later, a registry refresh while the database is down,
a meter removed from the registry while it is being read, a crashed cycle, failure backoff.
Every wait is on a condition or a counter of the service loop, never on wall time."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import psycopg
import pytest

from db.errors import SmfError
from db.settings import Settings
from poller.emulator import FaultKind, FixedClock, LinkBehaviour, MeterConfig
from poller.schedule import Backoff

from .conftest import poller, q, site, until

DEAD_DB = "postgresql://smf@127.0.0.1:9/nowhere?connect_timeout=1"  # nothing listens on port 9
SLOW = Backoff(base=60.0, cap=600.0)


def ex(settings: Settings, sql: str) -> None:
    with psycopg.connect(settings.url) as conn:
        conn.execute(sql)


REJECT = "alter table smf.instantaneous_reading add constraint reject_all check (false) not valid"


@pytest.mark.slow
async def test_a_store_rejected_for_good_drops_the_read_and_logs_it(
    db_settings: Settings, clock: FixedClock
) -> None:
    async with site(db_settings, clock) as s:
        ex(db_settings, REJECT)  # the database now refuses every read of this shape, for good
        p = poller(db_settings, clock)
        with pytest.raises(SmfError, match="reject_all"):
            await p.read_meter(s.info)
    assert p.pending_count == 0 and p.store_failures == 0  # not retried as if transient
    (outcome, error_class, message), = q(
        db_settings, "select outcome, error_class, error_message from smf.poll_attempt"
    )  # fmt: skip
    assert outcome == "store_failed" and error_class and message.startswith("store rejected:")
    assert q(db_settings, "select count(*) from smf.interval_reading") == [(0,)]  # all or nothing


@pytest.mark.slow
async def test_queued_attempt_logs_are_flushed_when_the_database_returns(
    db_settings: Settings, clock: FixedClock
) -> None:
    async with site(db_settings, clock) as s:
        s.faults.add(FaultKind.SILENCE, 0x21, count=1000)  # every session fails
        p = poller(db_settings, clock, retries=1)
        p.settings = DEAD_DB
        res = await p.read_meter(s.info)
        assert res.outcome == "link_error" and res.sessions == 2
        assert len(p.pending_attempts) == 2 and p.pending_count == 2
        p.settings = db_settings.url
        assert await p.flush(timeout=30)
    assert p.pending_count == 0
    rows = q(db_settings, "select attempt, trigger, outcome from smf.poll_attempt order by attempt")
    assert rows == [(1, "schedule", "link_error"), (2, "retry", "link_error")]


@pytest.mark.slow
async def test_registry_refresh_while_the_database_is_down_keeps_the_last_registry(
    db_settings: Settings, clock: FixedClock
) -> None:
    async with site(db_settings, clock) as s:
        p = poller(db_settings, clock, tick=0.01, registry_refresh=0.02)
        stop = asyncio.Event()
        service = asyncio.create_task(p.run(stop))
        await until(lambda: s.info.id in p._states and p._states[s.info.id].task is None
                    and p._states[s.info.id].next_at is not None
                    and p._states[s.info.id].next_at > clock())  # fmt: skip
        p.settings = DEAD_DB
        await until(lambda: p.registry_failures >= 3)
        assert not service.done() and s.info.id in p._states  # the meter is still scheduled
        p.settings = db_settings.url
        assert p.request_read(s.meter.serial)
        await until(lambda: q(db_settings, "select count(*) from smf.poll_attempt")[0][0] == 2)
        stop.set()
        await asyncio.wait_for(service, 30)


@pytest.mark.slow
async def test_a_meter_removed_while_being_read_is_dropped_and_its_read_cancelled(
    db_settings: Settings, clock: FixedClock
) -> None:
    slow_line = LinkBehaviour(enq_interval=0.01, response_timeout=0.5, inter_char_timeout=0.5,
                              baud=1200)  # fmt: skip  # ~2 s per block: the read takes long
    async with site(db_settings, clock, behaviour=slow_line) as s:
        p = poller(db_settings, clock, tick=0.01, registry_refresh=0.02)
        stop = asyncio.Event()
        service = asyncio.create_task(p.run(stop))
        await until(lambda: s.emulator.commands_served >= 1)  # the session is under way
        task = p._states[s.info.id].task
        assert task is not None and not task.done()
        ex(db_settings, "update smf.meter set enabled = false")  # removed from the registry
        await until(lambda: s.info.id not in p._states)
        await until(task.done)
        assert task.cancelled()
        stop.set()
        await asyncio.wait_for(service, 30)
    assert q(db_settings, "select count(*) from smf.interval_reading") == [(0,)]


@pytest.mark.slow
async def test_a_crashed_cycle_is_logged_and_the_meter_retried_after_the_cap(
    db_settings: Settings, clock: FixedClock
) -> None:
    async with site(db_settings, clock) as s:
        ex(db_settings, REJECT)
        p = poller(db_settings, clock, tick=0.01, cycle_backoff=SLOW)
        stop = asyncio.Event()
        service = asyncio.create_task(p.run(stop))
        await until(lambda: p.crashes == 1)
        st = p._states[s.info.id]
        assert st.task is None and st.next_at == clock() + timedelta(seconds=SLOW.cap)
        seen = p.loops
        await until(lambda: p.loops >= seen + 20)
        assert p.crashes == 1 and not service.done()  # the loop survives; no retry storm
        stop.set()
        await asyncio.wait_for(service, 30)


@pytest.mark.slow
async def test_failure_backoff_grows_and_waits_for_its_time(
    db_settings: Settings, clock: FixedClock
) -> None:
    async with site(db_settings, clock, MeterConfig(serial="32600760")) as s:
        s.faults.add(FaultKind.SILENCE, 0x21, count=10_000)
        p = poller(db_settings, clock, tick=0.01, retries=0, cycle_backoff=SLOW)
        stop = asyncio.Event()
        service = asyncio.create_task(p.run(stop))
        st_id = s.info.id

        def failures() -> int:
            st = p._states.get(st_id)
            return 0 if st is None or st.task is not None else st.failures

        await until(lambda: failures() == 1)
        first = p._states[st_id].next_at
        assert first is not None
        assert clock() + timedelta(seconds=48) <= first <= clock() + timedelta(seconds=60)
        seen = p.loops
        await until(lambda: p.loops >= seen + 20)
        assert failures() == 1  # the clock has not reached the backoff: no new attempt
        clock.advance(timedelta(seconds=61))
        await until(lambda: failures() == 2)
        second = p._states[st_id].next_at
        assert second is not None  # base × 2 = 120 s, jitter at most 20 % off
        assert clock() + timedelta(seconds=96) <= second <= clock() + timedelta(seconds=120)
        stop.set()
        await asyncio.wait_for(service, 30)
    assert q(db_settings, "select count(*) from smf.poll_attempt where outcome = 'link_error'") == [
        (2,)
    ]


@pytest.mark.slow
async def test_raw_blocks_are_kept_for_the_retention_then_pruned(
    db_settings: Settings, clock: FixedClock
) -> None:
    async with site(db_settings, clock) as s:
        await poller(db_settings, clock).read_meter(s.info)
    from poller import store

    ((read_at,),) = q(db_settings, "select read_at from smf.raw_read")  # the session's start
    # default retention 90 days: kept 89 days on
    assert store.prune_raw_reads(db_settings.url, read_at + timedelta(days=89)) == 0
    ex(db_settings, "update smf.setting set value = '10' where key = 'raw_block_retention_days'")
    assert store.prune_raw_reads(db_settings.url, read_at + timedelta(days=9)) == 0
    assert store.prune_raw_reads(db_settings.url, read_at + timedelta(days=11)) == 1
    assert q(db_settings, "select count(*) from smf.raw_read") == [(0,)]
