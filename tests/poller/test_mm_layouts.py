"""The four mass-memory word layouts (2 nibble placements × binary/BCD words, notes §4.3), read
and written exactly, and their detection from data and registers (poller/detect.py). Expected
values come from bytes written by hand below and from the emulator's own load table, never from
decoder code."""

from __future__ import annotations

from datetime import UTC

import pytest

from poller.detect import decide
from poller.emulator import FixedClock, MeterConfig
from poller.emulator.load import expected_value, interval_pulses
from poller.protocol.client import MeterClient
from poller.protocol.codec.mmlayout import (
    CANDIDATES,
    DEFAULT_LAYOUT,
    Layout,
    bcd_possible,
    field_value,
    is_bcd_word,
    pack,
    parse_layout,
    raw_words,
    unpack,
)
from poller.protocol.errors import DecodeError

from .conftest import rig

LAYOUTS = [x.value for x in Layout]
SERIAL = "32600999"  # peak 50 + 32600999 % 300 = 349 kW: 5-min counts up to ~2900 (binary),
# ~580 (BCD, five times coarser pulses)


# --- hand-written octets -------------------------------------------------------------------
# Binary: 300 = 0x12C (high nibble 1, low octet 0x2C = 44: 256 + 44 = 300) and
#         1234 = 0x4D2 (high nibble 4, low octet 0xD2 = 210: 4 × 256 + 210 = 1234).
# BCD:    300 = digits 3 0 0 (high nibble 3, low octet 0x00) and
#         987 = digits 9 8 7 (high nibble 9, low octet 0x87).
HAND = {
    "hi-first/bin": (bytes([0x2C, 0x14, 0xD2]), [300, 1234]),  # middle = 1 << 4 | 4
    "lo-first/bin": (bytes([0x2C, 0x41, 0xD2]), [300, 1234]),  # middle = 4 << 4 | 1
    "hi-first/bcd": (bytes([0x00, 0x39, 0x87]), [300, 987]),  # middle = 3 << 4 | 9
    "lo-first/bcd": (bytes([0x00, 0x93, 0x87]), [300, 987]),  # middle = 9 << 4 | 3
}


@pytest.mark.parametrize("name", LAYOUTS)
def test_hand_written_octets_decode_in_each_layout(name: str) -> None:
    data, want = HAND[name]
    assert unpack(data, Layout(name)) == want


def test_the_other_placement_reads_other_values() -> None:
    # 0x2C 0x14 0xD2 read lo-first: word 0 gets nibble 4 (4 × 256 + 44 = 1068), word 1 nibble 1
    # (256 + 210 = 466): what a reader with the wrong placement stores.
    assert unpack(bytes([0x2C, 0x14, 0xD2]), Layout.LO_FIRST_BIN) == [1068, 466]
    # BCD 0x00 0x39 0x87 read as binary: 3 × 256 = 768 and 9 × 256 + 0x87 (135) = 2439
    assert unpack(bytes([0x00, 0x39, 0x87]), Layout.HI_FIRST_BIN) == [768, 2439]


def test_a_nibble_above_nine_rules_bcd_out() -> None:
    assert not bcd_possible(bytes([0x2C, 0x14, 0xD2]))  # 0xC and 0xD
    assert bcd_possible(bytes([0x00, 0x39, 0x87]))
    with pytest.raises(DecodeError, match="not three BCD digits"):
        unpack(bytes([0x2C, 0x14, 0xD2]), Layout.HI_FIRST_BCD)
    assert parse_layout("undetermined") is None
    with pytest.raises(ValueError, match="unknown mass-memory layout"):
        parse_layout("middle-out/bin")


def test_layouts_hold_12_bit_or_three_digit_words() -> None:
    assert [(x.hi_first, x.bcd, x.max_word) for x in Layout] == [
        (True, False, 4095),  # hi-first/bin
        (True, True, 999),  # hi-first/bcd
        (False, False, 4095),  # lo-first/bin
        (False, True, 999),  # lo-first/bcd
    ]
    assert CANDIDATES == (
        Layout.HI_FIRST_BIN, Layout.LO_FIRST_BIN, Layout.HI_FIRST_BCD, Layout.LO_FIRST_BCD
    )  # fmt: skip
    assert DEFAULT_LAYOUT is Layout.HI_FIRST_BIN


def test_parse_layout_names_the_choices_for_an_unknown_name() -> None:
    assert parse_layout(None) is None  # "undetermined": test_a_nibble_above_nine_rules_bcd_out
    assert parse_layout("lo-first/bcd") is Layout.LO_FIRST_BCD
    with pytest.raises(
        ValueError,
        match=r"^unknown mass-memory layout 'x' \(one of hi-first/bin, hi-first/bcd, "
        r"lo-first/bin, lo-first/bcd, undetermined\)$",
    ):
        parse_layout("x")


def test_raw_words_split_three_octets_and_bcd_words_are_checked() -> None:
    with pytest.raises(
        DecodeError, match=r"^mass-memory data must be a multiple of 3 octets, got 4$"
    ):
        raw_words(bytes(4), Layout.HI_FIRST_BIN)
    # 2C 14 D2: hi-first -> (1 << 8 | 0x2C, 4 << 8 | 0xD2);
    #           lo-first -> (4 << 8 | 0x2C, 1 << 8 | 0xD2)
    assert raw_words(bytes.fromhex("2C14D2"), Layout.HI_FIRST_BCD) == [0x12C, 0x4D2]
    assert raw_words(bytes.fromhex("2C14D2"), Layout.LO_FIRST_BCD) == [0x42C, 0x1D2]
    assert raw_words(b"", Layout.HI_FIRST_BIN) == []
    for f, ok in ((0x999, True), (0x000, True), (0xA00, False), (0x0A0, False), (0x00A, False)):
        assert is_bcd_word(f) is ok, hex(f)
    assert field_value(0x987, True) == 987 and field_value(0x987, False) == 0x987
    for f in (0xA00, 0x0A0, 0x00A):
        with pytest.raises(DecodeError, match=rf"^mass-memory word {f:03X} is not three BCD"):
            field_value(f, True)
    assert bcd_possible(bytes.fromhex("0099")) and not bcd_possible(b"\x0a")
    assert not bcd_possible(b"\xa0")


def test_pack_writes_each_layout_and_refuses_out_of_range_values() -> None:
    # the octets of HAND above, the other way
    assert pack([300, 1234], Layout.HI_FIRST_BIN) == bytes.fromhex("2C14D2")
    assert pack([300, 1234], Layout.LO_FIRST_BIN) == bytes.fromhex("2C41D2")
    assert pack([300, 987], Layout.HI_FIRST_BCD) == bytes.fromhex("003987")
    assert pack([300, 987], Layout.LO_FIRST_BCD) == bytes.fromhex("009387")
    assert pack([5], Layout.HI_FIRST_BIN) == bytes.fromhex("050000")  # odd: padded with 0
    assert pack([], Layout.HI_FIRST_BIN) == b""
    assert pack([4095, 0], Layout.HI_FIRST_BIN) == bytes.fromhex("FFF000")
    assert pack([999, 0], Layout.LO_FIRST_BCD) == bytes.fromhex("990900")
    for value, layout in ((4096, Layout.HI_FIRST_BIN), (1000, Layout.HI_FIRST_BCD),
                          (-1, Layout.LO_FIRST_BIN)):  # fmt: skip
        with pytest.raises(
            ValueError, match=rf"^mass-memory value {value} out of range for {layout.value}$"
        ):
            pack([value], layout)


@pytest.mark.parametrize("layout", list(Layout))
def test_decoded_mass_memory_says_its_layout(layout: Layout) -> None:
    # decode_groups is pure (no I/O): no session is needed. Nothing to decode, but the result
    # must still name the layout it was decoded under (MassMemory's default is hi-first/bin).
    client = MeterClient(session=None)  # type: ignore[arg-type]
    mm = client.decode_groups("12345678", False, (), layout)
    assert mm.layout is layout
    assert mm.intervals == [] and mm.meter_serial == "12345678" and mm.previous is False


# --- the emulator in each layout ---------------------------------------------------------------
@pytest.mark.parametrize("name", LAYOUTS)
async def test_each_layout_is_read_exactly_with_values_above_255(
    clock: FixedClock, name: str
) -> None:
    cfg = MeterConfig(serial=SERIAL, mm_layout=name)
    async with rig(clock, config=cfg) as r:
        r.client.layout = Layout(name)
        mm = await r.client.read_mass_memory()
    assert len(mm.intervals) == 144  # 00:00-12:00 local, 5 min
    bcd = name.endswith("bcd")
    counts = [interval_pulses(SERIAL, iv.start, 5, 1, bcd) for iv in mm.intervals]
    assert max(counts) > 255  # a high nibble is in use: the placement matters
    for iv in mm.intervals:
        assert iv.start.tzinfo is UTC
        for name_, code in (("active_fwd_kwh", 1), ("reactive_ind_fwd_kvarh", 10)):
            want = expected_value(SERIAL, iv.start, 5, code, bcd)
            assert iv.values[name_] == pytest.approx(want, abs=1e-9), (iv.start, name_)


@pytest.mark.parametrize("name", LAYOUTS)
@pytest.mark.parametrize("unit", ["kwh_x1000", "pulses", "kwh_x100"])
async def test_detection_picks_the_layout_and_register_unit(
    clock: FixedClock, name: str, unit: str
) -> None:
    cfg = MeterConfig(serial=SERIAL, mm_layout=name, register_unit=unit)
    async with rig(clock, config=cfg) as r:
        mm = await r.client.read_mass_memory()  # decoded with the default guess
        before = await r.client.read_registers(previous=True)
        after = await r.client.read_registers()
    g0 = mm.groups[0]
    d = decide(g0.parameters, g0.data, [g0.data], before, after, None, None)
    assert d.layout is Layout(name) and d.decode_with is Layout(name)
    # Under the binary meter's 5-min constant of 1/100 kWh per pulse, kWh × 100 IS the pulse
    # count: the two units read its registers identically, and the first ("pulses") is recorded.
    # (BCD meters here count 1/20 kWh per pulse: there the two differ.)
    same = unit in ("pulses", "kwh_x100") and name.endswith("bin")
    assert d.unit == ("pulses" if same else unit) and not d.contradiction
    if name.endswith("bin"):
        assert set(d.excluded) == {"hi-first/bcd", "lo-first/bcd"}  # nibbles above 9 seen
    equivalent = ["pulses", "kwh_x100"] if same else [unit]
    assert d.agreeing == [(Layout(name), u) for u in equivalent]


async def test_undetermined_while_the_data_cannot_tell(clock: FixedClock) -> None:
    # Every word below 10: all four layouts read 0x05 0x00 0x07 as 5 and 7 (middle octet 0).
    data = bytes([0x05, 0x00, 0x07]) * 3
    async with rig(clock) as r:
        p = await r.client.read_parameters()
    d = decide(p, data, [data], None, None, None, None)  # no registers either
    assert d.layout is None and d.unit is None and not d.contradiction
    assert unpack(data, d.decode_with) == [5, 7] * 3  # exact whichever layout it is


async def test_a_correct_read_raises_nothing_a_wrong_one_names_both_figures(
    clock: FixedClock,
) -> None:
    for skew, contradicts in ((0.0, False), (0.05, True)):
        cfg = MeterConfig(serial=SERIAL, register_skew=skew)
        async with rig(clock, config=cfg) as r:
            mm = await r.client.read_mass_memory()
            before = await r.client.read_registers(previous=True)
            after = await r.client.read_registers()
        g0 = mm.groups[0]
        d = decide(
            g0.parameters, g0.data, [g0.data], before, after, Layout.HI_FIRST_BIN, "kwh_x1000"
        )
        assert bool(d.contradiction) is contradicts
    # 5 % more in the registers than in 144 intervals: beyond 0.5 % + 144 pulses + one digit
    f = d.contradiction[0]
    assert f.name == "active_fwd_kwh"
    total = sum(interval_pulses(SERIAL, iv.start, 5, 1) for iv in mm.intervals)
    assert f.pulse_sum == total
    assert float(f.register_delta) == pytest.approx(total * 1.05, abs=0.1)  # pulses, 1/100 kWh
    text = f.describe()
    assert f"intervals sum {total / 100:.3f} kWh" in text, text
    assert f"registers grew {total * 1.05 / 100:.3f} kWh" in text
