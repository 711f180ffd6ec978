"""Injected faults end in a clean retry or a specific logged error, never in a partial or
duplicated write."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from db.settings import Settings
from poller.emulator import FaultKind, FixedClock, MeterConfig

from .conftest import assert_matches, poller, q, site

YESTERDAY = datetime(2024, 3, 7, 3, tzinfo=UTC)
LAST_END = datetime(2024, 3, 8, 15, tzinfo=UTC)


def attempts(settings: Settings) -> list[tuple[str, str, str | None, int]]:
    return q(
        settings,
        "select trigger, outcome, error_class, intervals_stored "
        "from smf.poll_attempt order by started_at",
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("kind", "code", "block", "count", "error"),
    [
        (FaultKind.CORRUPT_CRC, 0x26, 2, 8, "CrcError"),  # 8 bad copies: more than the 7 NAKs
        (FaultKind.SILENCE, 0x26, None, 7, "ResponseTimeoutError"),
        (FaultKind.DISCONNECT, 0x26, 2, 1, "LinkClosedError"),  # mid mass memory
        (FaultKind.DISCONNECT, 0x27, 3, 1, "LinkClosedError"),
    ],
)
async def test_link_faults_end_in_a_clean_retry(
    db_settings: Settings,
    clock: FixedClock,
    kind: FaultKind,
    code: int,
    block: int | None,
    count: int,
    error: str,
) -> None:
    async with site(db_settings, clock) as s:
        s.faults.add(kind, code, block, count)
        res = await poller(db_settings, clock).read_meter(s.info)
    assert res.ok and res.committed and res.sessions == 2, res
    assert attempts(db_settings) == [
        ("schedule", "link_error", error, 0),
        ("retry", "ok", None, 432),
    ]
    assert_matches(db_settings, s.meter, YESTERDAY, LAST_END)


@pytest.mark.slow
async def test_wait_storm_gets_one_deferred_retry(db_settings: Settings, clock: FixedClock) -> None:
    async with site(db_settings, clock) as s:
        s.faults.add(FaultKind.WAIT, 0x26, None, 13)  # 13 WAITs: more than the 12 allowed
        res = await poller(db_settings, clock).read_meter(s.info)
    assert res.ok and res.sessions == 2, res
    assert attempts(db_settings) == [
        ("schedule", "meter_busy", "WaitStormError", 0),
        ("retry", "ok", None, 432),
    ]
    assert_matches(db_settings, s.meter, YESTERDAY, LAST_END)


@pytest.mark.slow
async def test_persistent_wait_storm_is_not_retried_blindly(
    db_settings: Settings, clock: FixedClock
) -> None:
    async with site(db_settings, clock) as s:
        s.faults.add(FaultKind.WAIT, 0x21, None, 1000)
        res = await poller(db_settings, clock).read_meter(s.info)
    assert not res.ok and res.sessions == 2 and res.outcome == "meter_busy"
    assert q(db_settings, "select count(*) from smf.interval_reading") == [(0,)]


@pytest.mark.slow
async def test_changed_serial_logs_an_event_and_stores_nothing(
    db_settings: Settings, clock: FixedClock
) -> None:
    async with site(db_settings, clock) as s:
        s.faults.add(FaultKind.CHANGE_SERIAL, 0x21, None, 2)
        p = poller(db_settings, clock)
        res = await p.read_meter(s.info)
        again = await p.read_meter(s.info)  # still the other meter: no new event
        back = await p.read_meter(s.info)  # the registered meter answers again
    assert res.outcome == "wrong_meter" and res.sessions == 1 and res.events == ["serial_changed"]
    assert again.outcome == "wrong_meter" and back.ok and back.intervals_stored == 432
    events = q(
        db_settings,
        "select kind, detail->>'expected', detail->>'found' from smf.meter_event "
        "where kind = 'serial_changed'",
    )
    assert events == [("serial_changed", "32600760", "99999999")]
    assert [a[:3] for a in attempts(db_settings)] == [
        ("schedule", "wrong_meter", "WrongMeterError"),
        ("schedule", "wrong_meter", "WrongMeterError"),
        ("schedule", "ok", None),
    ]


@pytest.mark.slow
async def test_occurrence_is_a_specific_error_without_retry(
    db_settings: Settings, clock: FixedClock
) -> None:
    async with site(db_settings, clock) as s:
        s.faults.add(FaultKind.OCCURRENCE, 0x26, None, 1)
        res = await poller(db_settings, clock).read_meter(s.info)
    assert res.outcome == "meter_refused" and res.sessions == 1
    assert res.error is not None and "occurrence (0x40)" in res.error
    assert q(db_settings, "select count(*) from smf.interval_reading") == [(0,)]
    assert q(db_settings, "select count(*) from smf.register_reading") == [(0,)]  # nothing partial


@pytest.mark.slow
async def test_disconnect_mid_mass_memory_resumes_on_the_next_read(
    db_settings: Settings, clock: FixedClock
) -> None:
    async with site(db_settings, clock) as s:
        s.faults.add(FaultKind.DISCONNECT, 0x26, 2, 1)
        p = poller(db_settings, clock, retries=0)
        first = await p.read_meter(s.info)
        assert not first.ok and q(db_settings, "select count(*) from smf.interval_reading") == [
            (0,)
        ]
        clock.advance(timedelta(minutes=15))
        second = await p.read_meter(s.info)
    assert second.ok and second.intervals_stored == 435
    assert q(db_settings, "select count(*), count(distinct ts) from smf.interval_reading") == [
        (435, 435)
    ]
    assert_matches(db_settings, s.meter, YESTERDAY, LAST_END + timedelta(minutes=15))


@pytest.mark.slow
async def test_a_failing_meter_never_blocks_the_others(
    db_settings: Settings, clock: FixedClock
) -> None:
    async with (
        site(db_settings, clock, MeterConfig(serial="11111111")) as bad,
        site(db_settings, clock, MeterConfig(serial="22222222")) as good,
    ):
        bad.faults.add(FaultKind.SILENCE, None, None, 10_000)
        p = poller(db_settings, clock, max_connections=1)
        results = await p.poll_once(due_only=False)
    by = {r.serial: r for r in results}
    assert not by["11111111"].ok and by["11111111"].sessions == 3
    assert by["22222222"].ok and by["22222222"].intervals_stored == 432
    assert_matches(db_settings, good.meter, YESTERDAY, LAST_END)
