"""Request parameters, the response dispatch and mass memory (blocks, assembly, the interval grid,
pulse scaling), with octets written by hand from the NBR 14522 notes: command layout §2.1, mass
memory §4.

Command parameters are octets 005-064 (notes §2.1): params[0] is octet 005.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, time, timedelta

import pytest

from poller.protocol.codec import RESPONSE_DECODERS, decode_response
from poller.protocol.codec.commands import (
    ReadOutages,
    ReadParameters,
    SetConstants,
    SetDate,
    SetDaylightSaving,
    SetDemandInterval,
    SetHolidays,
    SetSegments,
    SetTime,
)
from poller.protocol.codec.events import AlterationLog, Outages
from poller.protocol.codec.instant import Instantaneous
from poller.protocol.codec.massmem import (
    MassMemoryBlock,
    assemble_data,
    assemble_words,
    blocks_needed,
    decode_block_header,
    encode_block_header,
    encode_mass_memory_blocks,
    interval_starts,
    period_anchor,
    pulse_scale,
    pulses_to_value,
    split_intervals,
)
from poller.protocol.codec.measurement import MeasurementParameters
from poller.protocol.codec.mmlayout import (
    Layout,
)
from poller.protocol.codec.params import ChannelConstant, Parameters
from poller.protocol.codec.quantities import QuantityKind
from poller.protocol.codec.registers import Registers
from poller.protocol.errors import (
    DecodeError,
    SequenceBreakError,
)

from .helpers import PARAMS, body

# ---------------------------------------------------------------- request parameters


def test_read_requests_carry_the_group_or_the_period() -> None:
    assert ReadParameters.CODE == 0x21
    assert ReadParameters().params() == b"\x00\x00"
    assert ReadParameters(0x22, 12).params() == b"\x00\x12"  # octet 006 = group, BCD
    assert ReadParameters.from_params(0x51, b"\x00\x12") == ReadParameters(0x51, 12)
    assert ReadOutages.CODE == 0x25
    assert ReadOutages().params() == b"\x01" and ReadOutages(False).params() == b"\x00"
    assert ReadOutages.from_params(b"\x01") == ReadOutages(True)
    assert ReadOutages.from_params(b"\x02") == ReadOutages(False)  # only 01 means current


def test_set_date_carries_the_weekday_and_set_time_hhmmss() -> None:
    assert (SetDate.CODE, SetTime.CODE, SetDemandInterval.CODE) == (0x29, 0x30, 0x31)
    # 29/02/24 was a Thursday: 5 (1 = Sunday)
    assert SetDate(date(2024, 2, 29)).params() == bytes.fromhex("29 02 24 05")
    assert SetDate.from_params(bytes.fromhex("29 02 24 05")) == SetDate(date(2024, 2, 29))
    with pytest.raises(DecodeError, match=r"^0x29: empty date$"):
        SetDate.from_params(bytes.fromhex("000000 05"))
    with pytest.raises(DecodeError, match=r"^0x29: day of week 4 does not match 2024-02-29$"):
        SetDate.from_params(bytes.fromhex("29 02 24 04"))
    assert SetTime(time(23, 59, 58)).params() == bytes.fromhex("23 59 58")
    assert SetTime.from_params(bytes.fromhex("23 59 58")) == SetTime(time(23, 59, 58))
    with pytest.raises(DecodeError, match=r"^0x30: hour must be in 0\.\.23"):
        SetTime.from_params(bytes.fromhex("24 00 00"))
    assert SetDemandInterval(15).params() == b"\x15"
    assert SetDemandInterval.from_params(b"\x15") == SetDemandInterval(15)


def test_set_holidays_carries_15_ddmmyy_slots() -> None:
    assert SetHolidays.CODE == 0x32
    # one holiday 25/12/24, the other 14 slots zero: 3 + 42 octets
    one = SetHolidays((date(2024, 12, 25),))
    assert one.params() == bytes.fromhex("25 12 24") + bytes(42)
    full = SetHolidays((date(2024, 1, 1),) * 15)
    assert full.params() == bytes.fromhex("01 01 24") * 15
    with pytest.raises(ValueError, match=r"^at most 15 holidays$"):
        SetHolidays((date(2024, 1, 1),) * 16).params()
    back = SetHolidays.from_params(bytes.fromhex("25 12 24") + bytes(39) + bytes.fromhex("311299"))
    assert back.holidays == (date(2024, 12, 25),) + (None,) * 13 + (date(2099, 12, 31),)


def test_set_constants_carries_three_numerator_denominator_pairs() -> None:
    assert SetConstants.CODE == 0x33
    req = SetConstants(
        (ChannelConstant(3, 10000), ChannelConstant(120034, 560078), ChannelConstant(990001, 7))
    )
    raw = bytes.fromhex("000003 010000 120034 560078 990001 000007")
    assert req.params() == raw
    assert SetConstants.from_params(raw) == req


def test_set_segments_carries_four_groups_then_the_count() -> None:
    assert SetSegments.CODE == 0x35
    req = SetSegments(
        (time(18), None, None, None),
        (time(21), time(6, 30), None, None),
        (None, None, None, time(0, 15)),
        (time(17, 30), None, None, None),
        3,
    )
    # 4 groups x 4 x hh mm (octets 005-036), then octet 037 = count 03
    raw = bytes.fromhex(
        "1800 9900 9900 99002100 0630 9900 99009900 9900 9900 00151730 9900 9900 990003"
    )
    assert req.params() == raw
    assert SetSegments.from_params(raw) == req
    assert SetSegments((None,) * 4, (None,) * 4).params() == bytes.fromhex("9900" * 16 + "00")
    # octet 037 is the count, not a fifth group: a count of 24 ("24 00" is no clock time)
    counted = bytes.fromhex("9900" * 16 + "24") + bytes(23)
    assert SetSegments.from_params(counted).count == 24
    with pytest.raises(ValueError, match=r"^each tariff-post group has 4 segment starts$"):
        SetSegments((None,) * 3, (None,) * 4).params()


def test_set_daylight_saving_reads_octets_005_to_009_only() -> None:
    assert SetDaylightSaving.CODE == 0x64
    req = SetDaylightSaving(True, (3, 11), (16, 2))
    assert req.params() == bytes.fromhex("01 03 11 16 02")
    assert SetDaylightSaving.from_params(bytes.fromhex("01 03 11 16 02")) == req
    assert SetDaylightSaving(False).params() == bytes.fromhex("00 00 00 00 00")
    # octets after 009 are not part of 0x64: whatever they hold is not read
    assert SetDaylightSaving.from_params(bytes.fromhex("01 03 11 16 02 FF")) == req
    off = SetDaylightSaving.from_params(bytes.fromhex("02 03 11 16 02"))
    assert off == SetDaylightSaving(False, (3, 11), (16, 2))  # only 01 enables


# ---------------------------------------------------------------- decode_response dispatch


def test_every_response_code_has_its_decoder() -> None:
    kinds = {
        0x14: Instantaneous, 0x20: Parameters, 0x21: Parameters, 0x22: Parameters,
        0x51: Parameters, 0x23: Registers, 0x24: Registers, 0x25: Outages,
        0x26: MassMemoryBlock, 0x27: MassMemoryBlock, 0x52: MassMemoryBlock,
        0x28: AlterationLog, 0x80: MeasurementParameters,
    }  # fmt: skip
    assert set(RESPONSE_DECODERS) == set(kinds)
    for code, kind in kinds.items():
        fields = {6: "0001"} if kind is MassMemoryBlock else {}
        assert isinstance(decode_response(body(code, fields)), kind), hex(code)


# ---------------------------------------------------------------- mass-memory blocks


def test_block_header_is_the_bcd_number_with_the_last_flag() -> None:
    # block 999, last: hundreds 9 | 0x10 = 0x19, then 99; block 100: 01 00; block 1: 00 01
    assert encode_block_header(999, True) == b"\x19\x99"
    assert encode_block_header(100, False) == b"\x01\x00"
    assert encode_block_header(1, False) == b"\x00\x01"
    assert encode_block_header(10, True) == b"\x10\x10"
    for bad in (0, 1000):
        with pytest.raises(ValueError, match=rf"^block number out of range: {bad}$"):
            encode_block_header(bad, False)
    assert decode_block_header(0x19, 0x99) == (999, True)
    assert decode_block_header(0x10, 0x10) == (10, True)
    # bits 0x20, 0x40, 0x80 of octet 006 are not defined; a hundreds digit above 9 neither
    for octet6 in (0x20, 0x40, 0x80, 0x0A, 0x0F):
        with pytest.raises(DecodeError, match=rf"^invalid block header {octet6:02X} 01$"):
            decode_block_header(octet6, 0x01)


@pytest.mark.parametrize(
    ("words", "blocks"), [(0, 1), (1, 1), (166, 1), (167, 2), (332, 2), (333, 3)]
)
def test_blocks_needed_is_words_over_166_at_least_one(words: int, blocks: int) -> None:
    assert blocks_needed(words) == blocks  # ceil(words / 166), at least one


def test_mass_memory_blocks_hold_two_words_in_three_octets() -> None:
    # 167 words: block 1 holds words 0-165, block 2 (last) word 166 padded with a zero word
    words = [0x123, 0x456] + [0] * 164 + [0x0AB]
    b1, b2 = encode_mass_memory_blocks(0x27, "32600760", words)
    assert b1[:10] == bytes.fromhex("27 32600760 0001 23 14 56".replace(" ", ""))
    assert b1[10:] == bytes(246)
    assert b2 == bytes.fromhex("27 32600760 1002 AB 00 00".replace(" ", "")) + bytes(246)
    lo = encode_mass_memory_blocks(0x26, "32600760", [0x123, 0x456], Layout.LO_FIRST_BIN)
    assert lo == [bytes.fromhex("26 32600760 1001 23 41 56".replace(" ", "")) + bytes(246)]


def _blk(number: int, last: bool, data: bytes = bytes(249)) -> MassMemoryBlock:
    return MassMemoryBlock(0x26, "32600760", number, last, data)


def test_assembled_data_keeps_whole_word_pairs_in_block_order() -> None:
    with pytest.raises(SequenceBreakError, match=r"^mass memory: no block received$"):
        assemble_data([], 0)
    with pytest.raises(
        SequenceBreakError, match=r"^mass memory 0x26: last-block flag early at block 1$"
    ):
        assemble_data([_blk(1, True), _blk(2, True)], 10)
    with pytest.raises(
        SequenceBreakError, match=r"^mass memory 0x26: block 2 where block 1 was expected$"
    ):
        assemble_data([_blk(2, True)], 10)
    with pytest.raises(
        SequenceBreakError,
        match=r"^mass memory 0x26: 1 blocks hold at most 166 words, 167 were announced$",
    ):
        assemble_data([_blk(1, True)], 167)
    data = bytes(range(249))
    # exactly 166 words fit in one block: 83 pairs = 249 octets
    assert assemble_data([_blk(1, True, data)], 166) == data
    # 5 words: 3 pairs (the last half used) = 9 octets; 6 words: also 9; 0 words: nothing
    assert assemble_data([_blk(1, True, data)], 5) == data[:9]
    assert assemble_data([_blk(1, True, data)], 6) == data[:9]
    assert assemble_data([_blk(1, True, data)], 0) == b""
    two = assemble_data([_blk(1, False, data), _blk(2, True, bytes(249))], 168)
    assert two == data + bytes(3)  # 168 words = 84 pairs = 252 octets


def test_assemble_words_in_another_layout() -> None:
    # 2C 14 D2 read lo-first: (4 << 8 | 0x2C, 1 << 8 | 0xD2) = (1068, 466)
    blk = _blk(1, True, bytes.fromhex("2C14D2") + bytes(246))
    assert assemble_words([blk], 2, Layout.LO_FIRST_BIN) == [1068, 466]
    assert assemble_words([blk], 1) == [300]  # hi-first: 1 << 8 | 0x2C


def test_split_intervals_by_channel_count() -> None:
    assert split_intervals([1, 2, 3, 4], channels=2) == [[1, 2], [3, 4]]
    assert split_intervals([]) == []
    with pytest.raises(DecodeError, match=r"^mass memory: 4 words is not a multiple of 3$"):
        split_intervals([1, 2, 3, 4])


def test_period_anchor_is_the_reset_rounded_down_to_the_grid() -> None:
    # current period: last reset 00:07:30 on 01/03/24, 5-min grid from midnight -> 00:05:00
    p = dataclasses.replace(
        PARAMS,
        last_demand_reset=datetime(2024, 3, 1, 0, 7, 30),
        penultimate_demand_reset=datetime(2024, 2, 1, 23, 59, 59),
        mm_interval_min=5,
        mm_interval_s=0,
        mm_interval_cs=0,
    )
    assert period_anchor(p, previous=False) == datetime(2024, 3, 1, 0, 5)
    # previous period: 23:59:59 = 86399 s; 86399 - 86399 % 300 (= 299) = 86100 s = 23:55:00
    assert period_anchor(p, previous=True) == datetime(2024, 2, 1, 23, 55)
    # a 15-minute grid: 00:07:30 -> 00:00
    p15 = dataclasses.replace(p, mm_interval_min=15)
    assert period_anchor(p15, previous=False) == datetime(2024, 3, 1, 0, 0)
    assert period_anchor(dataclasses.replace(p, last_demand_reset=None), False) is None
    # 0.4 s rounds to 0 s: no grid
    bad = dataclasses.replace(p, mm_interval_min=0, mm_interval_cs=40)
    with pytest.raises(DecodeError, match=r"^invalid mass-memory interval: 0\.4 s$"):
        period_anchor(bad, previous=False)
    # 0.6 s rounds to 1 s: a one-second grid keeps 00:07:30
    one = dataclasses.replace(p, mm_interval_min=0, mm_interval_cs=60)
    assert period_anchor(one, previous=False) == datetime(2024, 3, 1, 0, 7, 30)


def test_period_anchor_grid_counts_from_midnight_not_from_the_hour() -> None:
    # A 40-minute grid does not divide an hour: from midnight its points are 00:00, 00:40, 01:20,
    # 02:00 ... A reset at 01:10:00 = 4200 s; 4200 - 4200 % 2400 (= 1800) = 2400 s = 00:40.
    # (Counted from the hour, or from 01:00 as midnight, it would be 01:00.)
    p = dataclasses.replace(
        PARAMS,
        last_demand_reset=datetime(2024, 3, 1, 1, 10, 0),
        mm_interval_min=40,
        mm_interval_s=0,
        mm_interval_cs=0,
    )
    assert period_anchor(p, previous=False) == datetime(2024, 3, 1, 0, 40)


def test_interval_starts_are_contiguous_slots() -> None:
    t0 = datetime(2024, 3, 1, 3)
    assert interval_starts(t0, 3, timedelta(minutes=15)) == [
        datetime(2024, 3, 1, 3, 0), datetime(2024, 3, 1, 3, 15), datetime(2024, 3, 1, 3, 30)
    ]  # fmt: skip
    assert interval_starts(t0, 0, timedelta(minutes=15)) == []


def test_pulse_scale_divides_hour_integrals_by_the_interval() -> None:
    five = timedelta(minutes=5)
    k = ChannelConstant(3, 10000)
    assert pulse_scale(k, QuantityKind.ENERGY, five) == (3, 10000)
    # V.h over 5 min: x 3600 / 300 s -> (3 x 3600, 10000 x 300) = (10800, 3000000)
    assert pulse_scale(k, QuantityKind.HOUR_INTEGRAL, five) == (10800, 3000000)
    assert pulse_scale(ChannelConstant(5, 0), QuantityKind.ENERGY, five) == (0, 1)
    assert pulse_scale(ChannelConstant(5, 0), QuantityKind.HOUR_INTEGRAL, five) == (0, 1)
    # 1000 pulses x 1/10 V.h = 100 V.h over 15 min (1/4 h) = 400 V
    assert pulses_to_value(
        1000, ChannelConstant(1, 10), QuantityKind.HOUR_INTEGRAL, timedelta(minutes=15)
    ) == pytest.approx(400.0, abs=1e-12)
