"""Golden decodes of real frames, and encode/decode round trips of every command and response."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from db.channels import QUANTITY_NAMES
from poller.protocol.codec import decode_response
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
from poller.protocol.codec.events import (
    Alteration,
    AlterationLog,
    Outage,
    Outages,
    decode_alteration_log,
    decode_outages,
    encode_alteration_log,
    encode_outages,
)
from poller.protocol.codec.instant import decode_instantaneous, encode_instantaneous
from poller.protocol.codec.massmem import (
    WORDS_PER_BLOCK,
    assemble_words,
    decode_block_header,
    decode_mass_memory_block,
    encode_block_header,
    encode_mass_memory_blocks,
    pack_words,
    period_anchor,
    unpack_words,
)
from poller.protocol.codec.measurement import (
    decode_measurement_parameters,
    encode_measurement_parameters,
)
from poller.protocol.codec.params import ChannelConstant, decode_parameters, encode_parameters
from poller.protocol.codec.quantities import DEFAULT_QUANTITY_MAP
from poller.protocol.codec.registers import (
    ChannelRegisters,
    IntermediarioRegisters,
    Registers,
    decode_registers,
    encode_registers,
)
from poller.protocol.errors import DecodeError, SequenceBreakError
from poller.protocol.framing import build_command, parse_command


def _dt(s: str) -> datetime:
    return datetime.fromisoformat(s)


def _check_params(body: bytes, exp: dict[str, Any]) -> None:
    p = decode_parameters(body)
    assert f"{p.code:02X}" == str(exp["code"])
    assert p.meter_serial == exp["meter_serial"]
    assert p.current_time == _dt(exp["current_datetime"])
    assert p.day_of_week == exp["day_of_week"]
    assert p.last_interval_end == _dt(exp["last_interval_end"])
    assert p.last_demand_reset == _dt(exp["last_demand_reset"])
    assert p.penultimate_demand_reset == _dt(exp["penultimate_demand_reset"])
    assert p.words_current == exp["words_current_period"]
    assert p.words_previous == exp["words_previous_period"]
    assert p.demand_reset_count == exp["demand_reset_count"]
    assert p.demand_interval_current == exp["demand_interval_current_min"]
    assert [(c.numerator, c.denominator) for c in p.constants] == [
        (c["numerator"], c["denominator"]) for c in exp["constants"]
    ]
    assert p.model == f"{int(exp['model']):04d}"
    assert p.software_version == f"{int(exp['software_version']):04d}"
    assert [f"{c:02d}" for c in p.quantity_codes] == exp["channel_quantity_codes"]
    mm = exp.get("mm_interval", {"minutes": exp.get("mm_interval_min")})
    assert p.mm_interval_min == mm["minutes"]


def test_golden_rgn_0x20(vectors: dict[str, Any]) -> None:
    v = vectors["rgn_0x20_response"]
    frame = bytes.fromhex(v["frame_hex"])
    exp = v["expected"]
    _check_params(frame[:256], exp)
    p = decode_parameters(frame[:256])
    assert [t.strftime("%H:%M") for t in p.ponta_start if t] == exp["ponta_start"]
    assert [t.strftime("%H:%M") for t in p.fora_ponta_start if t] == exp["fora_ponta_start"]
    assert [d.isoformat() if d else None for d in p.holidays] == exp["holidays"]
    assert p.battery == exp["battery_octet_147"]
    assert p.pf_composition == int(exp["pf_composition_octet_199"])
    assert p.time_base == exp["time_base_octet_200"]
    assert (p.mm_interval_s, p.mm_interval_cs) == (0, 0)
    assert p.tariff_type == exp["tariff_type_octet_213"]
    assert list(p.reactive_intervals) == exp["reactive_intervals_min"]
    assert list(p.pf_reference) == exp["pf_reference"]
    assert p.tariff_segments == exp["tariff_segments_octet_238"]
    assert p.channel_groups == exp["channel_groups_octet_247"]
    # the derived check of the notes: previous-period words = 3 × intervals between resets
    anchor = period_anchor(p, previous=True)
    assert anchor == datetime(2021, 10, 1)
    assert p.last_demand_reset is not None
    assert 3 * (p.last_demand_reset - anchor) / timedelta(minutes=5) == p.words_previous


@pytest.mark.parametrize("name", ["0x21_group0", "0x51_group0", "0x21_group1"])
def test_golden_wrapped_parameters(vectors: dict[str, Any], name: str) -> None:
    r = vectors["hel_tcp_0199_wrapper"]["responses"][name]
    _check_params(bytes.fromhex(r["frame_hex"])[2:258], r["expected"])


def test_golden_hel_0x14(vectors: dict[str, Any]) -> None:
    v = vectors["hel_0x14_response"]
    frame = bytes.fromhex(v["frame_hex"])
    exp = v["expected"]
    inst = decode_instantaneous(frame[:256])
    assert inst.meter_serial == exp["meter_serial"]
    assert inst.timestamp == _dt(exp["timestamp"])
    assert inst.reactive_characteristic == exp["reactive_characteristic_148_151"]
    assert inst.octets_188_197.hex() == exp["octets_188_197_hex"]
    assert inst.raw[245:256].hex() == exp["octets_246_256_hex"]
    for name, f in exp["floats"].items():
        assert inst.values[name] == f["float32"], name  # exact: same float32 bits
        assert frame[int(f["octets"][:3]) - 1 : int(f["octets"][4:])].hex() == f["hex"]
    assert set(exp["floats"]) == set(inst.values)
    # the re-encoded frame is byte-identical (FF-filled unused octets included)
    assert encode_instantaneous(inst) == frame[:256]


def test_golden_wrapped_mass_memory_blocks(vectors: dict[str, Any]) -> None:
    mm = vectors["hel_tcp_0199_wrapper"]["mass_memory_0x26"]
    blocks = [decode_mass_memory_block(bytes.fromhex(b["frame_hex"])[2:258]) for b in mm["blocks"]]
    for blk, exp in zip(blocks, mm["blocks"], strict=True):
        assert (blk.number, blk.last) == (exp["block_number"], exp["last"])
        assert encode_block_header(blk.number, blk.last).hex() == exp["octets_006_007_hex"]
        assert blk.meter_serial == "12345678" and len(blk.data) == 249
    words = unpack_words(blocks[0].data)
    assert len(words) == WORDS_PER_BLOCK == mm["words_per_block"]
    assert words[:33] == mm["blocks"][0]["first_33_words_under_emulator_packing"]
    assert pack_words(words) == blocks[0].data
    assert -(-mm["announced_words_by_0x21"] // WORDS_PER_BLOCK) == mm["total_blocks"]


def test_block_header_edges() -> None:
    assert decode_block_header(0x11, 0x23) == (123, True)
    assert decode_block_header(0x00, 0x01) == (1, False)
    assert decode_block_header(0x09, 0x99) == (999, False)
    with pytest.raises(DecodeError, match="invalid block header"):
        decode_block_header(0x0A, 0x00)


@given(st.lists(st.integers(0, 0xFFF), max_size=400))
def test_word_packing_round_trip(words: list[int]) -> None:
    packed = pack_words(words)
    assert unpack_words(packed)[: len(words)] == words


def test_mass_memory_blocks_round_trip_and_assembly() -> None:
    words = [i % 4096 for i in range(1000)]
    bodies = encode_mass_memory_blocks(0x26, "12345678", words)
    assert len(bodies) == 7  # ceil(1000 / 166)
    blocks = [decode_mass_memory_block(b) for b in bodies]
    assert [b.last for b in blocks] == [False] * 6 + [True]
    assert assemble_words(blocks, 1000) == words
    with pytest.raises(SequenceBreakError, match="block 3 where block 2 was expected"):
        assemble_words([blocks[0], *blocks[2:]], 1000)
    with pytest.raises(SequenceBreakError, match="last-block flag missing at block 6"):
        assemble_words(blocks[:6], 996)
    with pytest.raises(SequenceBreakError, match="7 blocks hold at most 1162 words, 2000"):
        assemble_words(blocks, 2000)
    empty = encode_mass_memory_blocks(0x27, "12345678", [])
    assert len(empty) == 1 and decode_mass_memory_block(empty[0]).last


def test_parameters_round_trip(vectors: dict[str, Any]) -> None:
    for frame_hex, cut in [
        (vectors["rgn_0x20_response"]["frame_hex"], slice(0, 256)),
        (vectors["hel_tcp_0199_wrapper"]["responses"]["0x21_group0"]["frame_hex"], slice(2, 258)),
    ]:
        p = decode_parameters(bytes.fromhex(frame_hex)[cut])
        assert decode_parameters(encode_parameters(p)) == p


def test_registers_round_trip() -> None:
    chans = tuple(
        ChannelRegisters(tuple(range(k, k + 7)), tuple(range(k % 997, k % 997 + 7)), bytes(18))
        for k in (1, 100, 9_999_999_990)
    )
    r = Registers(0x23, "32600760", chans, IntermediarioRegisters(5, 6, 7, 8, bytes(6)))
    body = encode_registers(r)
    assert body[5:10].hex() == "0000000001"  # channel 1 total at octets 006-010
    assert decode_registers(body) == r
    assert decode_response(body) == r


def test_events_round_trip() -> None:
    o = Outages(
        "32600760",
        (Outage(datetime(2024, 3, 1, 10, 0, 5), datetime(2024, 3, 1, 11, 30)),),
        bytes(11),
    )
    assert decode_outages(encode_outages(o)) == o
    log = AlterationLog(
        "32600760",
        tuple(Alteration(0x29 + i % 2, "123456", datetime(2024, 3, 8, 12, i)) for i in range(25)),
    )
    assert decode_alteration_log(encode_alteration_log(log)) == log


def test_measurement_parameters_round_trip() -> None:
    from poller.emulator import EmulatedMeter

    m = EmulatedMeter().measurement_parameters()
    assert decode_measurement_parameters(encode_measurement_parameters(m)) == m


def test_instantaneous_round_trip_not_available_is_none() -> None:
    from poller.emulator import EmulatedMeter, FixedClock

    inst = EmulatedMeter(clock=FixedClock(datetime(2024, 3, 8, 15, tzinfo=UTC))).instantaneous()
    back = decode_instantaneous(encode_instantaneous(inst))
    assert back.values["VAB"] is None and back.values["frequency"] == 60.0
    assert back.values["VA"] is not None and inst.values["VA"] is not None
    assert math.isclose(back.values["VA"], inst.values["VA"], rel_tol=1e-6)


def _through_the_wire(code: int, params: bytes) -> bytes:
    cmd = parse_command(build_command(code, "123456", params))
    assert cmd.code == code and cmd.reader_serial == "123456"
    return cmd.params


def test_write_commands_match_captured_frames(vectors: dict[str, Any]) -> None:
    frames = {v["name"]: bytes.fromhex(v["frame_hex"]) for v in vectors["crc16_arc"]["vectors"]}
    cases = {
        "0x29 set date 08/03/24, Friday": SetDate(date(2024, 3, 8)),
        "0x30 set time 02:50:53": SetTime(time(2, 50, 53)),
        "0x31 demand interval 15 min": SetDemandInterval(15),
        "0x32 15 holidays = 01/01/01": SetHolidays((date(2001, 1, 1),) * 15),
        "0x33 3 constants 1/1000": SetConstants((ChannelConstant(1, 1000),) * 3),
        "0x35 all posts disabled": SetSegments((None,) * 4, (None,) * 4),
    }
    for name, req in cases.items():
        frame = build_command(req.CODE, "123456", req.params())
        if req.CODE == 0x35:  # ELE's frame has no segment count octet (037 = 00)
            assert frame[:36] == frames[name][:36]
        else:
            assert frame == frames[name], name


@pytest.mark.parametrize(
    "req",
    [
        SetDate(date(2024, 2, 29)),
        SetTime(time(23, 59, 58)),
        SetDemandInterval(5),
        SetHolidays((date(2024, 1, 1), None, date(2024, 12, 25)) + (None,) * 12),
        SetConstants((ChannelConstant(3, 10000), ChannelConstant(1, 1), ChannelConstant(0, 1))),
        SetSegments((time(18),) * 4, (time(21),) * 4, (None,) * 4, (time(17, 30),) * 4, 3),
        SetDaylightSaving(True, (3, 11), (16, 2)),
        ReadOutages(current=False),
    ],
)
def test_request_round_trips(req: Any) -> None:
    assert type(req).from_params(_through_the_wire(req.CODE, req.params())) == req


@pytest.mark.parametrize("code", [0x20, 0x21, 0x22, 0x51])
def test_parameter_read_requests(code: int) -> None:
    req = ReadParameters(code, 3)
    assert ReadParameters.from_params(code, _through_the_wire(code, req.params())) == req
    assert build_command(code, "000000", req.params())[5] == 0x03  # octet 006 = group


def test_set_date_rejects_wrong_weekday() -> None:
    with pytest.raises(DecodeError, match="day of week 2 does not match 2024-03-08"):
        SetDate.from_params(bytes.fromhex("08032402"))


def test_quantity_map_targets_canonical_names() -> None:
    names = {name for name, _ in DEFAULT_QUANTITY_MAP.values()}
    assert names == set(QUANTITY_NAMES)
