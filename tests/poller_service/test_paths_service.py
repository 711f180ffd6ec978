"""The one-shot entry points of the poller service under faults (what `smf poll --once`,
`smf read` and the API's on-demand reads run): a read whose store met a dead database is held in
memory and committed by the flush of the same call when the database returns, or reported
uncommitted (and kept) when it does not; an unknown meter or one without a transport is named;
an on-demand read whose sessions all fail raises with the outcome. Every wait is on a counter
or a condition, never on wall time."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import psycopg
import pytest

from db.settings import Settings
from poller.emulator import FaultKind, FixedClock
from poller.read_requests import ReadRequest
from poller.service import Poller, ReadFailed

from .conftest import assert_matches, poller, q, site

# What the first read of the emulated meter brings (as in test_clock_and_outage.py): from the
# -03:00 midnight of the day before the fixed clock (conftest NOW = 2024-03-08 15:02:31 UTC) to
# the end of the last closed interval.
YESTERDAY = datetime(2024, 3, 7, 3, tzinfo=UTC)
LAST_END = datetime(2024, 3, 8, 15, tzinfo=UTC)
DEAD_DB = "postgresql://smf@127.0.0.1:9/nowhere?connect_timeout=1"  # nothing listens on port 9


async def _back_when_pending(p: Poller, url: str) -> None:
    """Bring the database back once a decoded read waits in memory for it."""
    while p.pending_count == 0:
        await asyncio.sleep(0.01)
    p.settings = url


@pytest.mark.slow
async def test_poll_once_flushes_a_read_held_while_the_database_was_down(
    db_settings: Settings, clock: FixedClock
) -> None:
    async with site(db_settings, clock) as s:
        p = poller(db_settings, clock, store_attempts=1)
        p.settings = DEAD_DB  # lease and store meet a dead database: the read goes ahead
        results, _ = await asyncio.gather(
            p.poll_once([s.info], flush_timeout=60), _back_when_pending(p, db_settings.url)
        )
    [r] = results
    assert r.ok and r.committed, r  # committed by poll_once's own flush
    assert p.pending_count == 0 and p.store_failures >= 1
    assert_matches(db_settings, s.meter, YESTERDAY, LAST_END)
    assert q(db_settings, "select outcome from smf.poll_attempt") == [("ok",)]


@pytest.mark.slow
async def test_poll_once_reports_a_read_still_held_as_not_committed(
    db_settings: Settings, clock: FixedClock
) -> None:
    async with site(db_settings, clock) as s:
        p = poller(db_settings, clock, store_attempts=1)
        p.settings = DEAD_DB
        [r] = await p.poll_once([s.info], flush_timeout=0)
    assert r.ok and not r.committed, r  # read, but not yet in the database ...
    assert p.pending_count == 1  # ... and not lost: it waits in memory for the next flush
    assert q(db_settings, "select count(*) from smf.interval_reading") == [(0,)]
    p.settings = db_settings.url
    assert await p.flush(timeout=30)
    assert_matches(db_settings, s.meter, YESTERDAY, LAST_END)


@pytest.mark.slow
async def test_read_serial_names_an_unknown_meter_and_one_without_transport(
    db_settings: Settings, clock: FixedClock
) -> None:
    p = poller(db_settings, clock)
    with pytest.raises(LookupError, match=r"no meter with serial '77777777' in smf\.meter"):
        await p.read_serial("77777777")
    with psycopg.connect(db_settings.url) as conn:
        conn.execute("insert into smf.meter (serial) values ('88888888')")
    with pytest.raises(LookupError, match=r"meter 88888888 has no transport"):
        await p.read_serial("88888888")
    assert q(db_settings, "select count(*) from smf.poll_attempt") == [(0,)]


@pytest.mark.slow
async def test_read_serial_flushes_its_read_when_the_database_returns(
    db_settings: Settings, clock: FixedClock
) -> None:
    async with site(db_settings, clock) as s:
        p = poller(db_settings, clock, store_attempts=1)

        # The meter is looked up while the database is up; it goes down for the store.
        async def down_after_lookup() -> None:
            while not p._locks:  # read_meter takes the meter's lock after the lookup
                await asyncio.sleep(0.001)
            p.settings = DEAD_DB

        res, _, _ = await asyncio.gather(
            p.read_serial(s.meter.serial),
            down_after_lookup(),
            _back_when_pending(p, db_settings.url),
        )
    assert res.ok and p.pending_count == 0, res
    assert_matches(db_settings, s.meter, YESTERDAY, LAST_END)


@pytest.mark.slow
async def test_serve_request_raises_when_every_session_fails(
    db_settings: Settings, clock: FixedClock
) -> None:
    async with site(db_settings, clock) as s:
        s.faults.add(FaultKind.SILENCE, 0x21, count=1000)  # the meter never answers
        p = poller(db_settings, clock, retries=1)
        req = ReadRequest(1, s.info.id, s.meter.serial, "full", datetime.now(UTC))
        with pytest.raises(ReadFailed) as exc:
            await p.serve_request(req)
    msg = str(exc.value)
    assert msg.startswith(f"read of meter {s.meter.serial} failed (link_error): ")
    assert "ResponseTimeoutError" in msg
    rows = q(db_settings, "select attempt, outcome from smf.poll_attempt order by attempt")
    assert rows == [(1, "link_error"), (2, "link_error")]  # both sessions logged


@pytest.mark.slow
async def test_serve_request_commits_a_read_held_while_the_database_was_down(
    db_settings: Settings, clock: FixedClock
) -> None:
    async with site(db_settings, clock) as s:
        p = poller(db_settings, clock, store_attempts=1)
        req = ReadRequest(1, s.info.id, s.meter.serial, "intervals", datetime.now(UTC))

        async def down_after_lookup() -> None:
            while not p._locks:  # read_meter takes the meter's lock after the lookup
                await asyncio.sleep(0.001)
            p.settings = DEAD_DB

        summary, _, _ = await asyncio.gather(
            p.serve_request(req), down_after_lookup(), _back_when_pending(p, db_settings.url)
        )
    assert summary["committed"] is True and summary["outcome"] == "ok", summary
    assert summary["kind"] == "intervals" and summary["serial"] == s.meter.serial
    assert p.pending_count == 0
    assert_matches(db_settings, s.meter, YESTERDAY, LAST_END)
