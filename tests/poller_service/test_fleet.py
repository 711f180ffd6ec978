"""A fleet of emulated meters (NBR 14522: 3/12 channels, 5/15 minutes; DLMS/COSEM: wrapper and
HDLC, no/LLS/HLS-GMAC authentication) polled over TCP into the database matches the emulators'
profiles meter by meter."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from db.settings import Settings
from poller import emulated, store
from poller.dlms.link import DlmsTimers
from poller.emulator import FixedClock
from poller.protocol.link import LinkTimers

from .conftest import FAST_METER, assert_matches, poller, q

YESTERDAY = datetime(2024, 3, 7, 3, tzinfo=UTC)
LAST_END = datetime(2024, 3, 8, 15, tzinfo=UTC)
# No frame is lost here, so the response timeout never decides the outcome: it is generous so a
# loaded machine (20-200 sessions and their emulators share one event loop) cannot fail the test.
FLEET_TIMERS = LinkTimers(enq_timeout=5.0, response_timeout=5.0, inter_char_timeout=1.0)


def _dlms_expected(serial_index: int, start: datetime) -> int:
    """+A Wh of a DLMS emulator interval, by the emulator's stated rule (k = 0, scaler 0):
    100 + 10 × (slot mod 6), slot = minutes since UTC midnight // 15."""
    return 100 + 10 * (((start.hour * 60 + start.minute) // 15) % 6)


async def _fleet(settings: Settings, clock: FixedClock, n: int, n_dlms: int = 0) -> None:
    fleet = await emulated.start_fleet(n - n_dlms, clock=clock, behaviour=FAST_METER)
    dlms = await emulated.start_dlms_fleet(n_dlms, clock=clock, profile_days=1)
    try:
        store.register_meters(settings, emulated.fleet_registry_params(fleet))
        emulated.register_dlms_fleet(settings.url, dlms)
        results = await poller(
            settings,
            clock,
            max_connections=64,
            tcp_timers=FLEET_TIMERS,
            dlms_tcp_timers=DlmsTimers(response_timeout=5.0, retries=1),
        ).poll_once()
    finally:
        await fleet.close()
        for emu, _, _ in dlms:
            await emu.close()
    assert len(results) == n and all(r.ok and r.committed for r in results), [
        r for r in results if not r.ok
    ]
    for e in fleet.emulators:
        assert_matches(settings, e.meter, YESTERDAY, LAST_END)
    # DLMS: one day of 15-minute intervals each (the emulators hold profile_days = 1), ending
    # with the interval the meter closed last: 11:45-12:00 local = 14:45 UTC
    for i, (emu, _, _) in enumerate(dlms):
        rows = q(
            settings,
            "select r.ts, r.active_fwd_wh, r.quality::text from smf.interval_reading r "
            "join smf.meter m on m.id = r.meter_id where m.serial = %s order by r.ts",
            emu.meter.serial,
        )
        assert len(rows) == 96 and rows[-1][0] == datetime(2024, 3, 8, 14, 45, tzinfo=UTC)
        assert all(wh == _dlms_expected(i, ts) and ql == "measured" for ts, wh, ql in rows)
    # every meter is now polled: none is due again at the same instant
    assert await poller(settings, clock).poll_once() == []
    assert q(settings, "select count(*) from smf.poll_attempt where outcome <> 'ok'") == [(0,)]


@pytest.mark.slow
async def test_twenty_meters(db_settings: Settings, clock: FixedClock) -> None:
    await _fleet(db_settings, clock, 20, n_dlms=4)


@pytest.mark.slow
async def test_two_hundred_meters(db_settings: Settings, clock: FixedClock) -> None:
    await _fleet(db_settings, clock, 200, n_dlms=40)  # 160 NBR 14522 + 40 DLMS/COSEM
