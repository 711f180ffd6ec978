"""MeterClient end to end.

Against the emulator: values checked against the synthetic load computed independently
(poller.emulator.load), time conversion, writes, demand reset, plausibility, the public-format
file, the fleet runner and which requests a mass-memory read makes. From public-format files
written by hand (notes §3.2 parameters, §4 mass memory): the client's arithmetic (pulses x
constant, V.h and A.h over the interval, interval starts in UTC) against values worked out by
hand, with no emulator and no encoder involved.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from db.channels import LEGACY_3_CHANNELS, QUANTITY_NAMES
from poller.emulator import FaultKind, FixedClock, MeterConfig, run_fleet
from poller.emulator.load import GROUPS_12, expected_value
from poller.protocol.client import MassMemory, MeterClient, mass_memory_plan
from poller.protocol.codec.commands import SetDaylightSaving, SetSegments
from poller.protocol.codec.quantities import DEFAULT_QUANTITY_MAP
from poller.protocol.errors import DecodeError, SequenceBreakError, WrongMeterError
from poller.protocol.link import Link
from poller.protocol.public_format import FileSession, split_public_file, write_public_file
from poller.protocol.timebase import DstRule
from poller.protocol.transport import TcpTransport

from .conftest import FAST_TIMERS, NOW, rig
from .helpers import GROUP0_FIELDS, GROUP0_MM_DATA, SERIAL, body, mm

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


# ---------------------------------------------------------------- writes, the read plan (emulator)


async def test_client_writes_reach_the_meter(clock: FixedClock) -> None:
    async with rig(clock, config=MeterConfig(serial="12345678")) as r:
        await r.client.set_holidays([date(2024, 12, 25), None, date(2025, 1, 1)])
        assert r.meter.holidays == (date(2024, 12, 25), None, date(2025, 1, 1)) + (None,) * 12
        seg = SetSegments((time(17, 30),) + (None,) * 3, (time(20, 30),) + (None,) * 3, count=2)
        await r.client.set_segments(seg)
        assert r.meter.segments == seg
        await r.client.set_daylight_saving(SetDaylightSaving(True, (1, 3), (1, 4)))
        assert r.meter.dst == DstRule(True, (1, 3), (1, 4))
        assert r.client.dst == DstRule(True, (1, 3), (1, 4))
        p = await r.client.read_parameters()
        assert p.holidays[0] == date(2024, 12, 25) and p.ponta_start[0] == time(17, 30)
        with pytest.raises(ValueError, match=r"^set_clock needs an aware datetime$"):
            await r.client.set_clock(datetime(2024, 3, 8, 12))
        # the clock is set in meter-local time: 15:02:31 UTC = 13:02:31 at -02:00 (DST)
        await r.client.set_clock(datetime(2024, 3, 8, 15, 2, 31, tzinfo=UTC))
        assert (await r.client.read_parameters()).current_time == datetime(2024, 3, 8, 13, 2, 31)
        assert (await r.client.read_measurement_parameters()).meter_serial == "12345678"
        # 0x20 with a group: the meter answers the group asked (octet 006)
        p1 = await r.client.read_parameters_with_reset(group=1)
        assert r.meter.selected_group == 1 and p1.code == 0x20


async def test_previous_mass_memory_reads_0x22_once(clock: FixedClock) -> None:
    """Previous period of a 3-channel meter: 0x22 (parameters, group 0) + 0x27 = 2 requests;
    the 0x22 block read first is reused for group 0."""
    async with rig(clock) as r:
        mm = await r.client.read_mass_memory(previous=True)
        assert r.link.stats.requests == 2
        assert len(mm.parameters) == 1


async def test_every_group_parameters_are_kept(clock: FixedClock) -> None:
    """12 channels = 4 groups: 0x21 (group 0) + 0x51 for groups 1, 2, 3 = 4 parameter blocks."""
    async with rig(clock, config=MeterConfig(channels=12)) as r:
        mm = await r.client.read_mass_memory()
    assert [p.meter_serial for p in mm.parameters] == ["12345678"] * 4


async def test_mass_memory_block_from_another_meter(clock: FixedClock) -> None:
    """No serial configured: 0x21 says 12345678, the 0x26 blocks say 99999999."""
    async with rig(clock) as r:
        r.faults.add(FaultKind.CHANGE_SERIAL, code=0x26)
        with pytest.raises(WrongMeterError) as ei:
            await r.client.read_mass_memory()
    assert str(ei.value) == "0x26 block 1 comes from meter 99999999, parameters from 12345678"
    assert ei.value.code == 0x26


# ---------------------------------------------------------------- decoding files written by hand
# GROUP0_FIELDS (parameters of group 0) and GROUP0_MM_DATA (its words): see helpers.py.


def _row(**values: float) -> dict[str, float | None]:
    row: dict[str, float | None] = dict.fromkeys(QUANTITY_NAMES)
    row.update(values)
    return row


async def test_client_decodes_the_current_period_from_a_file() -> None:
    data = body(0x21, GROUP0_FIELDS) + mm(0x26, "1001", GROUP0_MM_DATA)
    client = MeterClient(FileSession(data), meter_serial=SERIAL)
    got = await client.read_mass_memory()
    # interval 1 = words (291, 1110, 0); interval 2 = (4095, 82, 0):
    #   kWh: 291 x 3/10000 = 0.0873; 4095 x 3/10000 = 1.2285
    #   V:   1110 x 1/10 = 111 V.h over 5 min (1/12 h) = 1332 V; 82 x 1/10 = 8.2 V.h -> 98.4 V
    #   A:   0 x 1/100 = 0 A
    # starts: 00:00 and 00:05 local on 08/03/24 at -03:00 = 03:00 and 03:05 UTC
    assert [iv.start for iv in got.intervals] == [
        datetime(2024, 3, 8, 3, 0, tzinfo=UTC),
        datetime(2024, 3, 8, 3, 5, tzinfo=UTC),
    ]
    want = [
        _row(active_fwd_kwh=0.0873, voltage_a_v=1332.0, current_a_a=0.0),
        _row(active_fwd_kwh=1.2285, voltage_a_v=98.4, current_a_a=0.0),
    ]
    for iv, w in zip(got.intervals, want, strict=True):
        assert iv.values.keys() == w.keys()
        for k, v in w.items():
            assert iv.values[k] == (None if v is None else pytest.approx(v, abs=1e-12)), k
    assert got.interval == timedelta(minutes=5)
    assert got.meter_serial == SERIAL and got.previous is False
    assert got.channels == {
        "active_fwd_kwh": (0, 0, 1),
        "voltage_a_v": (0, 1, 17),
        "current_a_a": (0, 2, 20),
    }
    assert len(got.groups) == 1 and got.groups[0].group == 0
    # 6 words = 3 pairs of 3 octets = 9 data octets kept
    assert got.groups[0].data == bytes.fromhex(GROUP0_MM_DATA)
    assert len(got.parameters) == 1
    assert client.responses == [data[:256], data[256:]]


async def test_client_decodes_the_previous_period_under_dst() -> None:
    # 0x22 with DST on from 1/3 to 1/4 (octets 158-162): the meter runs at -02:00 in March.
    # Previous period: 3 words (291, 1110, 0) from the penultimate reset 00:00 01/03/24
    # -> one interval starting 00:00 local = 02:00 UTC.
    fields = {**GROUP0_FIELDS, 158: "01 01 03 01 04"}
    data = body(0x22, fields) + mm(0x27, "1001", GROUP0_MM_DATA)
    client = MeterClient(FileSession(data))
    got = await client.read_mass_memory(previous=True)
    assert [iv.start for iv in got.intervals] == [datetime(2024, 3, 1, 2, 0, tzinfo=UTC)]
    assert got.intervals[0].values["active_fwd_kwh"] == pytest.approx(0.0873, abs=1e-12)
    assert got.previous is True
    # the meter clock 12:00:00 08/03/24 at -02:00 = 14:00 UTC
    assert client.to_local(datetime(2024, 3, 8, 14, tzinfo=UTC)) == datetime(2024, 3, 8, 12)


async def test_client_reads_a_second_group_and_skips_absent_ones() -> None:
    # group 0 channels absent (99 99 99); group 1 (0x51 + 0x52) carries kWh received (14)
    base = body(0x21, {**GROUP0_FIELDS, 196: "99 99 99", 247: "03"})
    g0 = body(0x51, {**GROUP0_FIELDS, 196: "99 99 99", 247: "03"})  # 0x51 blocks count from group 0
    g1 = body(0x51, {**GROUP0_FIELDS, 196: "14 99 99", 247: "03"})
    g2 = body(0x51, {**GROUP0_FIELDS, 196: "06 07 00", 247: "03"})  # disabled/undefined: absent
    data = base + g0 + g1 + mm(0x52, "1001", GROUP0_MM_DATA) + g2
    got = await MeterClient(FileSession(data)).read_mass_memory()
    assert got.channels == {"active_rev_kwh": (1, 0, 14)}
    assert [round(iv.values["active_rev_kwh"] or 0, 6) for iv in got.intervals] == [
        0.0873,  # 291 x 3/10000
        1.2285,  # 4095 x 3/10000
    ]
    assert [g.group for g in got.groups] == [1]
    assert len(got.parameters) == 3  # 0x21, then 0x51 for groups 1 and 2
    # max_groups=1: only group 0, whose channels are absent: no interval at all
    one = await MeterClient(FileSession(data), max_groups=1).read_mass_memory()
    assert one.intervals == [] and one.channels == {} and one.interval == timedelta(0)


async def test_zero_channel_groups_reads_group_0_only() -> None:
    """Octet 247 (number of channel groups) = 00, as a meter without the field may send: the
    client reads group 0 alone (0x21 + 0x26), never asks for group 1 (0x51); the file holds
    the hand-built group 0 of helpers.py (two intervals)."""
    data = body(0x21, {**GROUP0_FIELDS, 247: "00"}) + mm(0x26, "1001", GROUP0_MM_DATA)
    got = await MeterClient(FileSession(data), meter_serial=SERIAL).read_mass_memory()
    assert len(got.parameters) == 1 and len(got.groups) == 1
    assert len(got.intervals) == 2


async def test_client_decoding_errors_name_their_cause() -> None:
    data = body(0x21, GROUP0_FIELDS) + mm(0x26, "1001", GROUP0_MM_DATA)
    with pytest.raises(
        WrongMeterError, match=r"^response to 0x21 comes from meter 32600760, expected 11111111$"
    ):
        await MeterClient(FileSession(data), meter_serial="11111111").read_parameters()
    # 7 words announced, one block of 166 holds them, but 7 is not a multiple of 3 channels
    odd = body(0x21, {**GROUP0_FIELDS, 75: "000007"}) + mm(0x26, "1001", GROUP0_MM_DATA)
    with pytest.raises(DecodeError, match=r"^mass memory: 7 words is not a multiple of 3$"):
        await MeterClient(FileSession(odd)).read_mass_memory()
    # intervals but no demand reset to anchor them
    loose = body(0x21, {**GROUP0_FIELDS, 19: "000000000000"}) + mm(0x26, "1001", GROUP0_MM_DATA)
    with pytest.raises(
        DecodeError, match=r"^2 mass-memory intervals but no demand reset to anchor them$"
    ):
        await MeterClient(FileSession(loose)).read_mass_memory()
    # no words: no interval, and no anchor needed
    empty = body(0x21, {**GROUP0_FIELDS, 19: "000000000000", 75: "000000"}) + mm(0x26, "1001")
    assert (await MeterClient(FileSession(empty)).read_mass_memory()).intervals == []
    # block 1 not flagged last and nothing after it: the error keeps the block received
    broken = body(0x21, GROUP0_FIELDS) + mm(0x26, "0001", GROUP0_MM_DATA)
    with pytest.raises(SequenceBreakError, match=r"last-block flag missing at block 1") as ei:
        await MeterClient(FileSession(broken)).read_mass_memory()
    assert ei.value.partial_blocks == (broken[256:],)
    # no clock in the parameter block
    no_clock = body(0x21, {**GROUP0_FIELDS, 6: "000000000000"})
    with pytest.raises(DecodeError, match=r"^meter reports no current time$"):
        await MeterClient(FileSession(no_clock)).read_meter_time()
    # 12:00:00 08/03/24 at -03:00 = 15:00 UTC
    clocked = MeterClient(FileSession(body(0x21, GROUP0_FIELDS)))
    assert await clocked.read_meter_time() == datetime(2024, 3, 8, 15, tzinfo=UTC)
    assert clocked.to_utc(None) is None


async def test_client_simple_reads_ask_the_right_codes() -> None:
    blocks = {
        0x20: body(0x20, {**GROUP0_FIELDS, 256: "20"}),
        0x22: body(0x22, {**GROUP0_FIELDS, 256: "22"}),
        0x23: body(0x23, {6: "0000000023"}),
        0x24: body(0x24, {6: "0000000024"}),
        0x25: body(0x25, {6: "143000050324"}),
        0x28: body(0x28, {6: "29 123456 080000080324"}),
        0x80: body(0x80, {13: "08"}),
        0x14: body(0x14, {6: "120231080324"}),
    }
    c = MeterClient(Recorder(b"".join(blocks.values())))
    assert (await c.read_registers()).channels[0].total == 23
    assert (await c.read_registers(previous=True)).channels[0].total == 24
    assert (await c.read_parameters(previous=True)).raw[255] == 0x22
    assert (await c.read_parameters_with_reset()).raw[255] == 0x20
    assert (await c.read_outages()).records[0].start == datetime(2024, 3, 5, 14, 30)
    await c.read_outages(current=False)
    # octet 005 of 0x25: 01 current period, 00 previous (notes §3.5 / ReadOutages)
    asked = c.session.asked  # type: ignore[attr-defined]
    assert [p for code, p in asked if code == 0x25] == [b"\x01", b"\x00"]
    assert (await c.read_alteration_log()).records[0].reader_serial == "123456"
    assert (await c.read_measurement_parameters()).universal_posts_condition == 8
    assert (await c.read_instantaneous()).timestamp == datetime(2024, 3, 8, 12, 2, 31)


class Recorder(FileSession):
    """A FileSession that also keeps every (code, parameters) it was asked."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.asked: list[tuple[int, bytes]] = []

    async def request(self, code: int, params: bytes = b"") -> list[bytes]:
        self.asked.append((code, params))
        return await super().request(code, params)


async def test_parameters_with_reset_ask_0x20_with_the_group() -> None:
    c = MeterClient(Recorder(body(0x20, GROUP0_FIELDS) + body(0x20, {**GROUP0_FIELDS, 247: "07"})))
    p = await c.read_parameters_with_reset(group=1)
    await c.read_parameters_with_reset()  # group 0 by default
    assert c.session.asked == [(0x20, b"\x00\x01"), (0x20, b"\x00\x00")]  # type: ignore[attr-defined]
    assert (p.code, p.channel_groups) == (0x20, 7)


def test_mass_memory_plan_reads_0x21_0x26_now_and_0x22_0x27_before() -> None:
    # group 0: 0x21 + 0x26 now, 0x22 + 0x27 before; other groups: 0x51 + 0x52 now, 0x22 + 0x27
    assert mass_memory_plan(False, 0) == (0x21, 0x26)
    assert mass_memory_plan(True, 0) == (0x22, 0x27)
    assert mass_memory_plan(False, 1) == (0x51, 0x52)
    assert mass_memory_plan(True, 2) == (0x22, 0x27)
