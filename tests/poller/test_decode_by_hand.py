"""Decode vectors independent of our encoder (issue 13 §3): every byte string below is written by
hand from the layout tables of the NBR 14522 notes (mass memory §4, registers §3.4, outages §3.5,
alteration log §3.6), and every expected engineering value is computed by hand in the comments.
None of them goes through an encode_* function. The last tests decode the real captured frames
(copied here as hex, from the shared test vectors, HEL-TCP capture) down to kWh.

A response body is octets 001-256 (no CRC): octet n is body[n - 1].
"""

from __future__ import annotations

from datetime import datetime, timedelta
from fractions import Fraction

import pytest

from poller.protocol.codec import decode_response
from poller.protocol.codec.events import decode_alteration_log, decode_outages
from poller.protocol.codec.massmem import (
    assemble_words,
    decode_mass_memory_block,
    pulses_to_value,
    split_intervals,
    unpack_words,
)
from poller.protocol.codec.params import ChannelConstant, decode_parameters
from poller.protocol.codec.quantities import QuantityKind
from poller.protocol.codec.registers import decode_registers, register_value
from poller.protocol.errors import DecodeError


def body(code: int, serial: bytes, fields: dict[int, bytes]) -> bytes:
    """A 256-octet response body: octet 001 = code, 002-005 = serial (BCD), and each
    {first octet: bytes} placed by hand; the rest 0x00."""
    b = bytearray(256)
    b[0] = code
    b[1:5] = serial
    for first, data in fields.items():
        b[first - 1 : first - 1 + len(data)] = data
    return bytes(b)


SERIAL = bytes.fromhex("32600760")  # meter 32600760


# ---------------------------------------------------------------- mass memory, both periods


@pytest.mark.parametrize(
    ("code", "header", "number", "last"),
    [
        (0x26, "0001", 1, False),  # current period, block 001, more to come
        (0x26, "1123", 123, True),  # 0x11: hundreds digit 1 + last flag 0x10; 0x23 -> 23
        (0x27, "0099", 99, False),  # previous period
        (0x27, "1005", 5, True),  # previous period, block 005, last (0x10 | 0)
    ],
)
def test_mass_memory_block_header(code, header, number, last):
    blk = decode_mass_memory_block(body(code, SERIAL, {6: bytes.fromhex(header)}))
    assert (blk.code, blk.meter_serial, blk.number, blk.last) == (code, "32600760", number, last)
    assert len(blk.data) == 249  # octets 008-256


# Words (12 bits) packed two per three octets: first word's low 8 bits in the first octet,
# second word's low 8 bits in the third, the middle octet holding hi(w0) << 4 | hi(w1):
#   w0 = 0x123 = 291, w1 = 0x456 = 1110  -> 23 14 56
#   w2 = 0x000 = 0,   w3 = 0xFFF = 4095  -> 00 0F FF
#   w4 = 0x052 = 82,  w5 = 0x000 = 0     -> 52 00 00
MM_DATA = bytes.fromhex("231456 000fff 520000")
MM_WORDS = [291, 1110, 0, 4095, 82, 0]


@pytest.mark.parametrize("code", [0x26, 0x27])
def test_mass_memory_words_and_kwh(code):
    blk = decode_mass_memory_block(body(code, SERIAL, {6: b"\x10\x01", 8: MM_DATA}))
    words = assemble_words([blk], 6)
    assert words == MM_WORDS
    # channel-interleaved, 3 words per interval: (291, 1110, 0) then (4095, 82, 0)
    assert split_intervals(words) == [[291, 1110, 0], [4095, 82, 0]]
    # constant 3/10000 kWh per pulse: 291 x 0.0003 = 0.0873 kWh; 4095 x 0.0003 = 1.2285 kWh;
    # 1110 x 0.0003 = 0.333 kvarh
    k = ChannelConstant(3, 10000)
    five = timedelta(minutes=5)
    assert pulses_to_value(291, k, QuantityKind.ENERGY, five) == pytest.approx(0.0873, abs=1e-12)
    assert pulses_to_value(4095, k, QuantityKind.ENERGY, five) == pytest.approx(1.2285, abs=1e-12)
    assert pulses_to_value(1110, k, QuantityKind.ENERGY, five) == pytest.approx(0.333, abs=1e-12)


@pytest.mark.parametrize(
    ("pulses", "constant", "minutes", "mean"),
    [
        # V.h: 92 pulses x 1/10 = 9.2 V.h over 5 min = 1/12 h -> 9.2 x 12 = 110.4 V
        (92, (1, 10), 5, 110.4),
        # the same over 15 min = 1/4 h -> 9.2 x 4 = 36.8 V
        (92, (1, 10), 15, 36.8),
        # A.h: 25 pulses x 1/100 = 0.25 A.h over 15 min -> 0.25 x 4 = 1.0 A
        (25, (1, 100), 15, 1.0),
    ],
)
def test_hour_integral_channels_become_mean_values(pulses, constant, minutes, mean):
    got = pulses_to_value(
        pulses, ChannelConstant(*constant), QuantityKind.HOUR_INTEGRAL, timedelta(minutes=minutes)
    )
    assert got == pytest.approx(mean, abs=1e-9)


def test_words_of_two_blocks_are_concatenated_in_block_order():
    # block 1 carries 166 words; put 0x001 as its last word (octets 254-256 = pair 83:
    # words 164, 165 -> 00 00 01) and 0x002 as block 2's first word (octets 008-010 = 02 00 00).
    b1 = body(0x26, SERIAL, {6: b"\x00\x01", 254: b"\x00\x00\x01"})
    b2 = body(0x26, SERIAL, {6: b"\x10\x02", 8: b"\x02\x00\x00"})
    words = assemble_words([decode_mass_memory_block(b1), decode_mass_memory_block(b2)], 168)
    assert (words[164], words[165], words[166], words[167]) == (0, 1, 2, 0)


# ---------------------------------------------------------------- energy registers (0x23 / 0x24)


@pytest.mark.parametrize("code", [0x23, 0x24])
def test_registers_by_hand(code):
    fields = {
        6: bytes.fromhex("0000123456"),  # ch1 total (006-010): 123456 -> 123.456 kWh
        11: bytes.fromhex("0000009876"),  # ch1 ponta (011-015): 9876 -> 9.876 kWh
        21: bytes.fromhex("9999999999"),  # ch1 fora ponta (021-025): the largest register
        41: bytes.fromhex("012345"),  # ch1 last-interval demand (041-043): 12345
        47: bytes.fromhex("000500"),  # ch1 DMCR ponta (047-049): 500
        80: bytes.fromhex("0001000000"),  # ch2 total (080-084): 1000000 -> 1000.000
        154: bytes.fromhex("0000000001"),  # ch3 total (154-158): 1 -> 0.001
        228: bytes.fromhex("0000000007"),  # intermediario total (228-232): 7
        238: bytes.fromhex("000042"),  # intermediario max demand (238-240): 42
    }
    r = decode_registers(body(code, SERIAL, fields))
    ch1, ch2, ch3 = r.channels
    assert (r.code, r.meter_serial) == (code, "32600760")
    assert ch1.registers[:4] == (123456, 9876, 0, 9999999999)
    assert (ch1.demands[0], ch1.demands[2]) == (12345, 500)
    assert (ch2.total, ch3.total) == (1000000, 1)
    assert (r.intermediario.total, r.intermediario.max_demand) == (7, 42)
    # engineering values under the 3-decimal assumption: raw / 1000
    assert register_value(ch1.total) == Fraction(123456, 1000) == Fraction("123.456")
    assert register_value(ch2.total) == 1000
    assert register_value(ch3.total) == Fraction(1, 1000)


# ---------------------------------------------------------------- outages (0x25)


def test_outages_by_hand():
    fields = {
        # record 1 (006-017): 14:30:00 05/03/24 -> 15:45:30 05/03/24: 1 h 15 min 30 s = 4530 s
        6: bytes.fromhex("143000050324 154530050324"),
        # record 2 (018-029): 23:59:59 31/12/23 -> 00:00:01 01/01/24: 2 s across the new year
        18: bytes.fromhex("235959311223 000001010124"),
        # record 3 (030-041): still open: start 08:00:00 09/03/24, end blank
        30: bytes.fromhex("080000090324"),
        # record 20 (006 + 19 x 12 = 234 .. 245), the last slot: 00:00:00 01/01/00 -> 00:15:00
        234: bytes.fromhex("000000010100 001500010100"),
    }
    # octets 246-256: the totals trailer (bit layout unknown), kept raw: 01 02 .. 0B
    fields[246] = bytes(range(1, 12))
    raw = body(0x25, SERIAL, fields)
    o = decode_outages(raw)
    assert (o.meter_serial, o.trailer, o.raw) == ("32600760", bytes(range(1, 12)), raw)
    assert [(r.start, r.end) for r in o.records] == [
        (datetime(2024, 3, 5, 14, 30, 0), datetime(2024, 3, 5, 15, 45, 30)),
        (datetime(2023, 12, 31, 23, 59, 59), datetime(2024, 1, 1, 0, 0, 1)),
        (datetime(2024, 3, 9, 8, 0, 0), None),
        (datetime(2000, 1, 1, 0, 0, 0), datetime(2000, 1, 1, 0, 15, 0)),
    ]
    r1, r2 = o.records[0], o.records[1]
    assert r1.end is not None and (r1.end - r1.start).total_seconds() == 4530
    assert r2.end is not None and (r2.end - r2.start).total_seconds() == 2


# ---------------------------------------------------------------- alteration log (0x28)


def test_alteration_log_by_hand():
    fields = {
        # record 1 (006-015): code 0x29 (date), reader 123456, 08:00:00 08/03/24
        6: bytes.fromhex("29 123456 080000080324"),
        # record 2 (016-025): code 0x30 (time), reader 001101, 14:05:09 09/03/24
        16: bytes.fromhex("30 001101 140509090324"),
        # record 3 (026-035): all FF, an erased slot: skipped like an all-zero one
        26: b"\xff" * 10,
        # record 25 (006 + 24 x 10 = 246 .. 255): code 0x11, reader 999999, 23:59:00 31/12/99
        246: bytes.fromhex("11 999999 235900311299"),
    }
    raw = body(0x28, SERIAL, fields)
    log = decode_alteration_log(raw)
    assert (log.meter_serial, log.raw) == ("32600760", raw)
    assert [(a.command_code, a.reader_serial, a.when) for a in log.records] == [
        (0x29, "123456", datetime(2024, 3, 8, 8, 0, 0)),
        (0x30, "001101", datetime(2024, 3, 9, 14, 5, 9)),
        (0x11, "999999", datetime(2099, 12, 31, 23, 59, 0)),
    ]


def test_decode_response_refuses_empty_and_unknown_bodies():
    with pytest.raises(DecodeError, match=r"^empty$"):
        decode_response(b"")
    with pytest.raises(DecodeError, match=r"^no decoder for response code 0x77$"):
        decode_response(body(0x77, SERIAL, {}))


# ---------------------------------------------------------------- real frames down to kWh

# HEL-TCP capture ("01 99" wrapper: 2 prefix octets + 256-octet body + Modbus CRC), a Landis+Gyr
# meter 12345678: its 0x21 parameter response and block 1 of its 0x26 mass memory.
HEL_0X21 = (
    "01992112345678041733010115050415000101151654290101150003420101150000000000000000000000000000"
    "000000000000990099009900990099009900990099009900990099009900020271000033041515010102010102"
    "010102010102010102010102010102010102010102010102010102010102010102010102010102000003010000"
    "000003010000000003010000010168000000872100000100000000000000000000000000009900990099009900"
    "990099009900990099009900990099000110110000000000050000000000000000000000000000000000000000"
    "000000000000000000000000000400010000000001011600000000006f000000d5e9"
)
HEL_0X26_BLOCK1 = (
    "0199261234567800010000000000000000000000000000520000005300000000540000005300000000530000005400"
    "000000530000001000000000" + "00" * 199 + "9c50"
)


def _inner(frame_hex: str) -> bytes:
    f = bytes.fromhex(frame_hex)
    assert len(f) == 260
    return f[2:258]


def test_real_frames_decode_to_kwh():
    p = decode_parameters(_inner(HEL_0X21))
    # octets 129-146: three constants 000003 / 010000 -> 3/10000 kWh per pulse
    assert [c.value for c in p.constants] == [Fraction(3, 10000)] * 3
    # octets 196-198: channel 1 = code 01 (kWh delivered), 10 (kvarh ind.), 11 (kvarh cap.)
    assert p.quantity_codes == (1, 10, 11)
    assert p.mm_interval_seconds == 300  # octet 204 = 05 minutes
    assert p.words_current == 20271  # octets 075-077 = 02 02 71
    blk = decode_mass_memory_block(_inner(HEL_0X26_BLOCK1))
    assert (blk.number, blk.last) == (1, False)
    # data octets 008..: (00 00 00) x 4, then 00 00 52 -> words 8, 9 = 0, 0x52 = 82;
    # 00 00 00; 53 00 00 -> word 12 = 0x53 = 83; 00 00 54 -> word 15 = 84; ...
    intervals = split_intervals(unpack_words(blk.data)[:33])  # an intermediate block
    ch1 = [iv[0] for iv in intervals]
    assert ch1 == [0, 0, 0, 82, 83, 84, 83, 83, 84, 83, 16]
    assert all(iv[1] == iv[2] == 0 for iv in intervals)  # no reactive pulses in this capture
    k, five = p.constants[0], timedelta(seconds=p.mm_interval_seconds)
    kwh = [pulses_to_value(n, k, QuantityKind.ENERGY, five) for n in ch1]
    # 82 x 0.0003 = 0.0246 kWh; 84 x 0.0003 = 0.0252 kWh; 16 x 0.0003 = 0.0048 kWh
    assert kwh[3] == pytest.approx(0.0246, abs=1e-12)
    assert kwh[5] == pytest.approx(0.0252, abs=1e-12)
    assert kwh[10] == pytest.approx(0.0048, abs=1e-12)
    # 82+83+84+83+83+84+83+16 = 598 pulses x 0.0003 = 0.1794 kWh over the 11 intervals
    assert sum(kwh) == pytest.approx(0.1794, abs=1e-12)
    # demand of the 82-pulse interval: 0.0246 kWh x 60 / 5 = 0.2952 kW
    assert kwh[3] * 60 / 5 == pytest.approx(0.2952, abs=1e-12)
