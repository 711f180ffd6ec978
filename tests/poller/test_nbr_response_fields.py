"""Every field of the response codecs, both ways, from byte strings written by hand.

The layouts are those of the NBR 14522 notes (§3.2 parameters, §3.3 instantaneous, §3.4
registers, §3.5 outages, §3.6 alteration log, §3.7 measurement parameters). Each field gets a
value distinct from its neighbours, so a decoder reading the wrong octet, or an encoder writing
to the wrong one, fails. The expected values are written out, not computed by the codec.

A response body is octets 001-256 (no CRC): octet n is body[n - 1].
"""

from __future__ import annotations

import struct
from datetime import datetime, time

import pytest

from poller.protocol.codec.events import (
    Alteration,
    AlterationLog,
    Outage,
    Outages,
    decode_outages,
    encode_alteration_log,
    encode_outages,
)
from poller.protocol.codec.instant import (
    FLOAT_FIELDS,
    Instantaneous,
    decode_f32,
    decode_instantaneous,
    encode_f32,
    encode_instantaneous,
)
from poller.protocol.codec.measurement import (
    MeasurementParameters,
    decode_measurement_parameters,
    encode_measurement_parameters,
)
from poller.protocol.codec.params import (
    ChannelConstant,
    Parameters,
    decode_parameters,
    encode_parameters,
)
from poller.protocol.codec.registers import (
    ChannelRegisters,
    IntermediarioRegisters,
    Registers,
    decode_registers,
    encode_registers,
)
from poller.protocol.errors import DecodeError

from .helpers import GROUP0_FIELDS, PARAM_FIELDS, PARAMS, body

# ---------------------------------------------------------------- parameters (0x20/21/22/51)
# PARAM_FIELDS (octets) and PARAMS (the decoded block) are written out in helpers.py.


def test_parameters_decode_every_field() -> None:
    raw = body(0x21, PARAM_FIELDS)
    p = decode_parameters(raw)
    assert p == PARAMS
    assert p.raw == raw
    # 5 min x 60 + 30 s + 50 cs / 100 = 300 + 30 + 0.5 = 330.5 s
    assert p.mm_interval_seconds == 330.5


def test_parameters_encode_every_field() -> None:
    assert encode_parameters(PARAMS) == body(0x21, PARAM_FIELDS)
    # the reset counter is one BCD octet: 142 resets are sent as 42 (142 mod 100)
    again = encode_parameters(PARAMS.__class__(**{**_fields(PARAMS), "demand_reset_count": 142}))
    assert again[80] == 0x42


def _fields(p: Parameters) -> dict[str, object]:
    return {name: getattr(p, name) for name in Parameters.__slots__ if name != "raw"}


def test_parameters_an_unused_hhmm_slot_may_be_ff() -> None:
    # some meters fill an unused segment with FF FF instead of 99 00: read as None too
    p = decode_parameters(body(0x21, {**PARAM_FIELDS, 61: "FFFF"}))
    assert p.fora_ponta_start == (time(21), None, None, None)


@pytest.mark.parametrize(
    ("octet", "value", "field", "expected"),
    [
        # soft fields: a BCD octet decodes as BCD, a non-BCD one is kept raw
        (12, "FF", "day_of_week", 0xFF),  # both nibbles above 9: raw 255
        (12, "A1", "day_of_week", 0xA1),  # high nibble 10: raw 161
        (12, "1A", "day_of_week", 0x1A),  # low nibble 10: raw 26
        (12, "99", "day_of_week", 99),  # both nibbles exactly 9: BCD 99
        (247, "0A", "channel_groups", 0x0A),  # raw 10 (not BCD)
        (247, "10", "channel_groups", 10),  # BCD 10
        (81, "9F", "demand_reset_count", 0x9F),  # high 9 ok, low 15 not: raw 159
        (238, "F9", "tariff_segments", 0xF9),  # low 9 ok, high 15 not: raw 249
    ],
)
def test_parameters_soft_fields_keep_a_non_bcd_octet_raw(
    octet: int, value: str, field: str, expected: int
) -> None:
    p = decode_parameters(body(0x21, {**PARAM_FIELDS, octet: value}))
    assert getattr(p, field) == expected


@pytest.mark.parametrize(
    ("octet", "value"),
    [(196, "1A"), (204, "A5"), (75, "01F345")],  # strict BCD fields refuse a nibble above 9
)
def test_parameters_strict_fields_refuse_a_non_bcd_octet(octet: int, value: str) -> None:
    with pytest.raises(DecodeError, match="invalid BCD octet"):
        decode_parameters(body(0x21, {**PARAM_FIELDS, octet: value}))


def test_parameters_flags_are_on_only_for_01() -> None:
    # octets 156 and 158: 01 = on; 00 and any other value = off
    p = decode_parameters(body(0x21, {**PARAM_FIELDS, 156: "02 29 00"}))
    assert (p.auto_demand_reset, p.dst_enabled) == (False, False)


def test_parameters_reactive_interval_of_three_digits() -> None:
    """Octets 214-215 = 01 20 (BCD 0120 = 120 min), 216-217 = 00 60 (60 min)."""
    p = decode_parameters(body(0x21, {**GROUP0_FIELDS, 214: "0120 0060"}))
    assert p.reactive_intervals == (120, 60)


def test_channel_constant_is_a_fraction_and_zero_denominator_is_zero() -> None:
    from fractions import Fraction

    assert ChannelConstant(3, 10000).value == Fraction(3, 10000)
    assert ChannelConstant(7, 0).value == 0  # an unset denominator reads as "no constant"


# ---------------------------------------------------------------- registers (0x23/0x24)

# Channel 1 from octet 006: 7 registers x 5 octets (006-040), 7 demands x 3 (041-061),
# accumulated 18 octets (062-079). Channel 2 from 080, channel 3 from 154 (same structure).
REG_FIELDS = {
    6: "0000000001 0000000002 0000000003 0000000004 0000000005 0000000006 0000000007",
    41: "000011 000012 000013 000014 000015 000016 000017",
    62: "A1A2A3A4A5A6A7A8A9AAABACADAEAFB0B1B2",  # accumulated (raw, 18 octets)
    80: "0000000021 0000000022 0000000023 0000000024 0000000025 0000000026 0000000027",
    115: "000031 000032 000033 000034 000035 000036 000037",
    136: "C1C2C3C4C5C6C7C8C9CACBCCCDCECFD0D1D2",
    154: "9999999999 0000000042 0000000043 0000000044 0000000045 0000000046 1234567890",
    189: "000051 000052 000053 000054 000055 000056 999999",
    210: "E1E2E3E4E5E6E7E8E9EAEBECEDEEEFF0F1F2",
    228: "1200000061 3400000062",  # intermediario total, UFER (5 octets each)
    238: "560063 780064",  # intermediario max demand, DMCR (3 octets each)
    244: "F1F2F3F4F5F6",  # intermediario accumulated (6 octets, raw)
}

REGISTERS = Registers(
    code=0x24,
    meter_serial="32600760",
    channels=(
        ChannelRegisters(
            (1, 2, 3, 4, 5, 6, 7),
            (11, 12, 13, 14, 15, 16, 17),
            bytes.fromhex("A1A2A3A4A5A6A7A8A9AAABACADAEAFB0B1B2"),
        ),
        ChannelRegisters(
            (21, 22, 23, 24, 25, 26, 27),
            (31, 32, 33, 34, 35, 36, 37),
            bytes.fromhex("C1C2C3C4C5C6C7C8C9CACBCCCDCECFD0D1D2"),
        ),
        ChannelRegisters(
            (9999999999, 42, 43, 44, 45, 46, 1234567890),
            (51, 52, 53, 54, 55, 56, 999999),
            bytes.fromhex("E1E2E3E4E5E6E7E8E9EAEBECEDEEEFF0F1F2"),
        ),
    ),
    intermediario=IntermediarioRegisters(
        1200000061, 3400000062, 560063, 780064, bytes.fromhex("F1F2F3F4F5F6")
    ),
)


def test_registers_every_field_both_ways() -> None:
    raw = body(0x24, REG_FIELDS)
    r = decode_registers(raw)
    assert r == REGISTERS
    assert r.raw == raw
    assert r.channels[2].total == 9999999999
    assert encode_registers(REGISTERS) == raw


def test_registers_need_three_channels_and_cut_long_fields() -> None:
    two = Registers(0x23, "32600760", REGISTERS.channels[:2], REGISTERS.intermediario)
    with pytest.raises(ValueError, match="zip"):
        encode_registers(two)
    # the intermediario accumulated field is 6 octets (244-249): a 7th is cut, 250 stays 00
    seven = Registers(
        0x23,
        "32600760",
        REGISTERS.channels,
        IntermediarioRegisters(0, 0, 0, 0, bytes(range(1, 8))),
    )
    raw = encode_registers(seven)
    assert raw[243:249] == bytes(range(1, 7)) and raw[249] == 0


def test_registers_short_accumulated_fields_are_padded_with_zeros() -> None:
    short = Registers(
        0x23,
        "32600760",
        tuple(ChannelRegisters((0,) * 7, (0,) * 7, b"\x11") for _ in range(3)),
        IntermediarioRegisters(0, 0, 0, 0, b"\x22"),
    )
    # octet 062 = 11, 063-079 = 00; 136 = 11; 210 = 11; intermediario 244 = 22, 245-249 = 00
    assert encode_registers(short) == body(
        0x23, {62: "11", 136: "11", 210: "11", 244: "22", 245: "0000000000"}
    )


# ---------------------------------------------------------------- outages and alterations

OUTAGE_RAW = body(
    0x25,
    {
        6: "143000050324 154530050324",  # 14:30:00 -> 15:45:30 on 05/03/24
        18: "080000090324 000000000000",  # 08:00:00 09/03/24, end not recorded (zeros)
        246: "0102030405",  # trailer (11 octets): 01..05 then 00 x 6
    },
)


def test_outages_encode_start_end_pairs_and_the_trailer() -> None:
    o = Outages(
        "32600760",
        (
            Outage(datetime(2024, 3, 5, 14, 30), datetime(2024, 3, 5, 15, 45, 30)),
            Outage(datetime(2024, 3, 9, 8), None),
        ),
        bytes.fromhex("0102030405"),  # shorter than 11 octets: padded with zeros
    )
    assert encode_outages(o) == OUTAGE_RAW


def test_outage_slots_are_read_six_octets_at_a_time() -> None:
    raw = body(
        0x25,
        {
            6: "000000000000 150000050324",  # slot 1: no start, an end: an empty slot
            18: "080000090324 000000000000",  # slot 2: open (no end) ...
            30: "100000090324 110000090324",  # ... and slot 3 right after it is read on its own
        },
    )
    o = decode_outages(raw)
    assert [(r.start, r.end) for r in o.records] == [
        (datetime(2024, 3, 9, 8), None),
        (datetime(2024, 3, 9, 10), datetime(2024, 3, 9, 11)),
    ]
    # a trailer longer than 11 octets is cut: the body stays 256 octets
    long = encode_outages(Outages("32600760", (), bytes(range(1, 13))))
    assert len(long) == 256 and long[245:] == bytes(range(1, 12))


def test_at_most_20_outage_records_fit() -> None:
    rec = Outage(datetime(2024, 1, 1), None)
    assert len(encode_outages(Outages("32600760", (rec,) * 20))) == 256  # 20 fit
    with pytest.raises(ValueError, match=r"^at most 20 outage records fit in one 0x25 response$"):
        encode_outages(Outages("32600760", (rec,) * 21))


def test_alteration_log_encodes_ten_octet_records_at_most_25() -> None:
    log = AlterationLog(
        "32600760",
        (
            Alteration(0x29, "123456", datetime(2024, 3, 8, 8)),
            Alteration(0x30, "001101", datetime(2024, 3, 9, 14, 5, 9)),
        ),
    )
    # record 1 at 006-015, record 2 at 016-025: code, reader (3 BCD), hh mm ss DD MM YY
    assert encode_alteration_log(log) == body(
        0x28, {6: "29 123456 080000080324", 16: "30 001101 140509090324"}
    )
    rec = Alteration(0x29, "1", datetime(2024, 1, 1))
    assert len(encode_alteration_log(AlterationLog("32600760", (rec,) * 25))) == 256
    with pytest.raises(ValueError, match=r"^at most 25 alteration records fit in one response$"):
        encode_alteration_log(AlterationLog("32600760", (rec,) * 26))


# ---------------------------------------------------------------- measurement parameters (0x80)

MEAS_FIELDS = {
    6: "01020304050607",  # presentation mode (7 octets, raw)
    13: "08",  # universal-posts condition
    14: "10" + "00" * 126 + "1F",  # universal post starts (128 octets, 014-141)
    142: "20" + "00" * 22 + "2F",  # multiplication constants (24 octets, 142-165)
    166: "31 32",  # active / reactive mode
    168: "414243444546",  # reactive constant (6 octets)
    174: "33",  # display time
    176: "1800 2100 9900 0630",  # intermediario starts 18:00, 21:00, unused, 06:30
    184: "5152535455565758",  # universal weekdays (8 octets)
    192: "61 62 63 64 65",  # DST, billing quantities, instantaneous, connection, user output
    197: "717273747576",  # Kp (6 octets)
    203: "8182838485868788898A8B8C8D8E",  # consumer code (14 octets)
}

MEASUREMENT = MeasurementParameters(
    meter_serial="32600760",
    presentation_mode=bytes.fromhex("01020304050607"),
    universal_posts_condition=0x08,
    universal_post_starts=bytes.fromhex("10" + "00" * 126 + "1F"),
    multiplication_constants=bytes.fromhex("20" + "00" * 22 + "2F"),
    active_mode=0x31,
    reactive_mode=0x32,
    reactive_constant=bytes.fromhex("414243444546"),
    display_time=0x33,
    intermediario_start=(time(18), time(21), None, time(6, 30)),
    universal_weekdays=bytes.fromhex("5152535455565758"),
    universal_dst=0x61,
    billing_quantities=0x62,
    instantaneous_available=0x63,
    connection_type=0x64,
    user_output_redefinition=0x65,
    kp=bytes.fromhex("717273747576"),
    consumer_code=bytes.fromhex("8182838485868788898A8B8C8D8E"),
)


def test_measurement_parameters_every_field_both_ways() -> None:
    raw = body(0x80, MEAS_FIELDS)
    m = decode_measurement_parameters(raw)
    assert m == MEASUREMENT
    assert m.raw == raw
    assert encode_measurement_parameters(MEASUREMENT) == raw


def test_measurement_parameters_short_fields_are_padded_long_ones_cut() -> None:
    short = MeasurementParameters(
        "32600760", b"\x01", 0, b"\x02", b"\x03", 0, 0, b"\x04", 0, (None,) * 4, b"\x05",
        0, 0, 0, 0, 0, b"\x06", b"\x07",
    )  # fmt: skip
    assert encode_measurement_parameters(short) == body(
        0x80,
        {6: "01", 14: "02", 142: "03", 168: "04", 176: "9900" * 4, 184: "05", 197: "06",
         203: "07"},
    )  # fmt: skip
    # and a too-long field is cut to its width: 8 octets of presentation mode keep 7
    long = MEASUREMENT.__class__(
        **{
            **{n: getattr(MEASUREMENT, n) for n in MeasurementParameters.__slots__ if n != "raw"},
            "presentation_mode": bytes.fromhex("0102030405060799"),
        }
    )
    assert encode_measurement_parameters(long) == body(0x80, MEAS_FIELDS)
    # the consumer code is the last field (203-216): a 15th octet is cut, 217 stays 00
    code15 = MEASUREMENT.__class__(
        **{
            **{n: getattr(MEASUREMENT, n) for n in MeasurementParameters.__slots__ if n != "raw"},
            "consumer_code": bytes(range(1, 16)),
        }
    )
    raw = encode_measurement_parameters(code15)
    assert raw[202:216] == bytes(range(1, 15)) and raw[216] == 0 and len(raw) == 256


# ---------------------------------------------------------------- instantaneous (0x14)


def test_instantaneous_float_fields_sit_at_the_notes_offsets() -> None:
    # the octet map of the notes §3.3, one row per group: (first field, first octet)
    offsets = dict(FLOAT_FIELDS)
    assert len(FLOAT_FIELDS) == 3 + 3 + 4 + 4 * 7 + 3 + 2 + 3 * 4 == 55
    assert (offsets["VA"], offsets["VB"], offsets["VC"]) == (12, 16, 20)
    assert (offsets["VAB"], offsets["VBC"], offsets["VCA"]) == (24, 28, 32)
    assert (offsets["IA"], offsets["IN"]) == (36, 48)
    assert (offsets["PA"], offsets["P3"]) == (52, 64)
    assert (offsets["QA"], offsets["Q3"]) == (68, 80)
    assert (offsets["SqA"], offsets["Sq3"]) == (84, 96)
    assert (offsets["SvA"], offsets["Sv3"]) == (100, 112)
    assert (offsets["DA"], offsets["D3"]) == (116, 128)
    assert (offsets["cosA"], offsets["cos3"]) == (132, 144)
    assert (offsets["PF_A"], offsets["PF_3"]) == (152, 164)
    assert (offsets["phase_shift_A"], offsets["phase_shift_C"]) == (168, 176)
    assert (offsets["temperature"], offsets["frequency"]) == (180, 184)
    assert (offsets["Vangle_A"], offsets["Vangle_C"]) == (198, 206)
    assert (offsets["angle_AB"], offsets["angle_CA"]) == (210, 218)
    assert (offsets["THDV_A"], offsets["THDV_C"]) == (222, 230)
    assert (offsets["THDI_A"], offsets["THDI_C"]) == (234, 242)


def test_float32_is_little_endian_and_all_ff_or_nan_is_none() -> None:
    # 60.0 = 1.875 x 2^5: sign 0, exponent 127 + 5 = 132 = 0x84, mantissa .875 = 0x700000
    # -> 0 10000100 11100000000000000000000 = 0x42700000, little endian 00 00 70 42
    assert encode_f32(60.0) == bytes.fromhex("00007042")
    assert decode_f32(bytes.fromhex("00007042")) == 60.0
    # -2.5 = -1.25 x 2^1: 1 10000000 01000000000000000000000 = 0xC0200000 -> 00 00 20 C0
    assert decode_f32(bytes.fromhex("000020C0")) == -2.5
    assert encode_f32(None) == b"\xff\xff\xff\xff"
    assert decode_f32(b"\xff\xff\xff\xff") is None
    assert decode_f32(bytes.fromhex("0000C07F")) is None  # the canonical quiet NaN 0x7FC00000


def test_instantaneous_both_ways_with_ff_padding() -> None:
    values: dict[str, float | None] = dict.fromkeys((n for n, _ in FLOAT_FIELDS), None)
    values.update(VA=60.0, THDI_C=-2.5, frequency=60.0)
    inst = Instantaneous(
        meter_serial="32600760",
        timestamp=datetime(2024, 3, 8, 12, 2, 31),
        values=values,
        reactive_characteristic="LC",  # shorter than 4: padded with FF
        octets_188_197=bytes.fromhex("0102"),  # shorter than 10: padded with FF
        conversion_indicator=0x07,
    )
    b = bytearray(body(0x14, {6: "120231 080324"}))
    for _name, first in FLOAT_FIELDS:
        b[first - 1 : first + 3] = b"\xff" * 4
    b[11:15] = bytes.fromhex("00007042")  # VA at 012-015
    b[241:245] = bytes.fromhex("000020C0")  # THDI_C at 242-245
    b[183:187] = bytes.fromhex("00007042")  # frequency at 184-187
    b[147:151] = b"LC\xff\xff"  # 148-151
    b[187:197] = bytes.fromhex("0102") + b"\xff" * 8  # 188-197
    b[245:256] = b"\x07" + b"\xff" * 10  # 246, then 247-256 FF
    assert encode_instantaneous(inst) == bytes(b)
    back = decode_instantaneous(bytes(b))
    assert back.values == values
    assert back.timestamp == datetime(2024, 3, 8, 12, 2, 31)
    assert back.reactive_characteristic == "LC\xff\xff"  # latin-1: FF is "ÿ"
    assert back.octets_188_197 == bytes.fromhex("0102") + b"\xff" * 8
    assert back.conversion_indicator == 7
    assert back.raw == bytes(b)


def test_instantaneous_cuts_long_fields_and_reads_a_blank_timestamp() -> None:
    values: dict[str, float | None] = dict.fromkeys((n for n, _ in FLOAT_FIELDS), None)
    values["VA"] = 60.0  # octets 012-015 right after the timestamp
    inst = Instantaneous("32600760", None, values, "LCCCX", bytes(range(1, 12)), 0)
    raw = encode_instantaneous(inst)
    assert len(raw) == 256
    assert raw[5:11] == bytes(6)  # no timestamp: zeros
    assert raw[147:151] == b"LCCC"  # 4 characters kept
    assert raw[187:197] == bytes(range(1, 11))  # 10 octets kept
    back = decode_instantaneous(raw)
    # a blank timestamp is None even with VA set in the very next octets
    assert back.timestamp is None and back.values["VA"] == 60.0


def test_struct_agrees_with_the_hand_bits() -> None:
    # a guard on the hand arithmetic above, independent of the codec
    assert struct.pack(">f", 60.0) == bytes.fromhex("42700000")
