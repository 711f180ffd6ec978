"""MeterClient end to end against the emulator: values checked against the synthetic load
computed independently (poller.emulator.load), time conversion, writes, demand reset,
plausibility, the public-format file and the fleet runner."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from db.channels import LEGACY_3_CHANNELS, QUANTITY_NAMES
from poller.emulator import FixedClock, MeterConfig, run_fleet
from poller.emulator.load import GROUPS_12, expected_value
from poller.protocol.client import MassMemory, MeterClient
from poller.protocol.codec.quantities import DEFAULT_QUANTITY_MAP
from poller.protocol.link import Link
from poller.protocol.public_format import (
    FileSession,
    public_file_name,
    split_public_file,
    write_public_file,
)
from poller.protocol.timebase import DstRule
from poller.protocol.transport import TcpTransport

from .conftest import FAST_TIMERS, NOW, rig

CODE_OF = {name: code for code, (name, _) in DEFAULT_QUANTITY_MAP.items()}


def _assert_matches_load(mm: MassMemory, serial: str, interval_min: int, names: set[str]) -> None:
    for iv in mm.intervals:
        assert iv.start.tzinfo is UTC and set(iv.values) == set(QUANTITY_NAMES)
        for name in QUANTITY_NAMES:
            if name in names:
                exp = expected_value(serial, iv.start, interval_min, CODE_OF[name])
                assert iv.values[name] == pytest.approx(exp, abs=1e-9), (iv.start, name)
            else:
                assert iv.values[name] is None


@pytest.mark.parametrize("via", ["tcp", "pty"])
async def test_legacy_meter_current_period(clock: FixedClock, via: str) -> None:
    async with rig(clock, via=via, config=MeterConfig(serial="32600760")) as r:
        mm = await r.client.read_mass_memory()
    # period opened at 00:00 local = 03:00 UTC; last complete interval ends 15:00 UTC
    assert mm.intervals[0].start == datetime(2024, 3, 8, 3, 0, tzinfo=UTC)
    assert mm.intervals[-1].start == datetime(2024, 3, 8, 14, 55, tzinfo=UTC)
    assert len(mm.intervals) == 144 and mm.interval == timedelta(minutes=5)
    _assert_matches_load(mm, "32600760", 5, set(LEGACY_3_CHANNELS))
    assert sum(iv.values["active_fwd_kwh"] or 0 for iv in mm.intervals) > 100


async def test_twelve_channels_fifteen_minutes_previous_period(clock: FixedClock) -> None:
    cfg = MeterConfig(serial="55000052", channels=12, interval_min=15)
    async with rig(clock, config=cfg) as r:
        mm = await r.client.read_mass_memory(previous=True)
    assert len(mm.intervals) == 96  # the whole previous day
    assert mm.intervals[0].start == datetime(2024, 3, 7, 3, 0, tzinfo=UTC)
    assert set(mm.channels) == set(QUANTITY_NAMES)
    assert {g for g, _, _ in mm.channels.values()} == {0, 1, 2, 3}
    _assert_matches_load(mm, "55000052", 15, set(QUANTITY_NAMES))
    assert sorted((g, i, c) for g, i, c in mm.channels.values()) == [
        (g, i, c) for g, codes in enumerate(GROUPS_12) for i, c in enumerate(codes)
    ]
    volts = [iv.values["voltage_a_v"] for iv in mm.intervals]
    assert all(v is not None and 115 < v < 135 for v in volts)


async def test_demand_reset_moves_current_to_previous(clock: FixedClock) -> None:
    async with rig(clock) as r:
        before = await r.client.read_mass_memory()
        p = await r.client.read_parameters_with_reset()
        assert p.code == 0x20
        clock.advance(timedelta(minutes=20))
        after_prev = await r.client.read_mass_memory(previous=True)
        after_cur = await r.client.read_mass_memory()
        log = await r.client.read_alteration_log()
    assert after_prev.intervals == before.intervals
    assert [iv.start for iv in after_cur.intervals] == [
        datetime(2024, 3, 8, 15, 0, tzinfo=UTC) + k * timedelta(minutes=5) for k in range(4)
    ]
    assert [a.command_code for a in log.records] == [0x20]


async def test_clock_offset_dst_and_set_clock(clock: FixedClock) -> None:
    # DST active in March under this rule: the meter clock runs at UTC-2
    cfg = MeterConfig(clock_offset=timedelta(seconds=90), dst=DstRule(True, (1, 3), (1, 4)))
    async with rig(clock, config=cfg) as r:
        p = await r.client.read_parameters()
        assert p.current_time == datetime(2024, 3, 8, 13, 4, 1)  # 15:04:01 UTC at UTC-2
        assert await r.client.read_meter_time() == NOW + timedelta(seconds=90)
        mm = await r.client.read_mass_memory()
        _assert_matches_load(mm, "12345678", 5, set(LEGACY_3_CHANNELS))
        await r.client.set_clock(NOW)
        assert await r.client.read_meter_time() == NOW
        log = await r.client.read_alteration_log()
    assert [a.command_code for a in log.records] == [0x29, 0x30]


async def test_outages_zero_the_intervals(clock: FixedClock) -> None:
    out = (datetime(2024, 3, 8, 10, 0, tzinfo=UTC), datetime(2024, 3, 8, 10, 30, tzinfo=UTC))
    async with rig(clock, config=MeterConfig(outages=(out,))) as r:
        outages = await r.client.read_outages()
        mm = await r.client.read_mass_memory()
    assert [(r.client.to_utc(o.start), r.client.to_utc(o.end)) for o in outages.records] == [out]
    zeroed = [iv for iv in mm.intervals if out[0] <= iv.start < out[1]]
    assert len(zeroed) == 6 and all(iv.values["active_fwd_kwh"] == 0 for iv in zeroed)


async def test_public_format_file_decodes_like_the_live_read(clock: FixedClock) -> None:
    async with rig(clock) as r:
        live = await r.client.read_mass_memory()
        live_params = await r.client.read_parameters()
        bodies = [*await r.link.request(0x21, b"\x00\x00"), *await r.link.request(0x26)]
        bodies += await r.link.request(0x23)
    data = write_public_file(bodies)
    assert len(data) == 256 * len(bodies) and len(split_public_file(data)) == len(bodies)
    from_file = MeterClient(FileSession(data))
    assert await from_file.read_mass_memory() == live
    assert await from_file.read_parameters() == live_params
    assert (await from_file.read_registers()).channels[0].total > 0
    with pytest.raises(ValueError, match="mixed meter serials"):
        write_public_file([bodies[0], bodies[1][:1] + b"\x99" * 4 + bodies[1][5:]])


def test_public_file_name() -> None:
    # S = 31 + 60·2 + 3600·12 + 86400·8 + 31·86400·3 = 8 777 551 → base 20 "CUTJFB"... last 5
    name = public_file_name("32600760", datetime(2024, 3, 8, 12, 2, 31))
    s = 31 + 60 * 2 + 3600 * 12 + 86400 * 8 + 31 * 86400 * 3
    digits = ""
    while s:
        s, d = divmod(s, 20)
        digits = "ABCDEFGHIJKLMNOPQRST"[d] + digits
    assert name == f"00760${digits[-5:][:2]}.{digits[-5:][2:]}"
    assert len(name) == 12 and name[5] == "$" and name[8] == "."


async def test_fleet(clock: FixedClock) -> None:
    from .conftest import FAST_METER

    async with await run_fleet(3, behaviour=FAST_METER, clock=clock) as fleet:
        serials = []
        for port in fleet.ports:
            tr = TcpTransport(fleet.host, port)
            await tr.open()
            try:
                serials.append(
                    (await MeterClient(Link(tr, FAST_TIMERS)).read_parameters()).meter_serial
                )
            finally:
                await tr.close()
    assert serials == fleet.serials == ["10000000", "10000001", "10000002"]
