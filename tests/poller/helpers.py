"""Response bodies written by hand for the poller's specification tests.

The layouts are those of the NBR 14522 notes: parameters §3.2, mass memory §4 (block header in
octets 006-007, words from 008). A response body is octets 001-256 without its CRC: octet n is
body[n - 1]. Each field below gets a value distinct from its neighbours, so a decoder reading
the wrong octet, or an encoder writing to the wrong one, is caught; expected values are written
out, never computed by the codec.
"""

from __future__ import annotations

from datetime import date, datetime, time

from poller.protocol.codec.params import ChannelConstant, Parameters

SERIAL = "32600760"


def body(code: int, fields: dict[int, str] | None = None, serial: str = SERIAL) -> bytes:
    """256 octets: octet 001 = code, 002-005 = the meter serial (BCD), each {first octet: hex}."""
    b = bytearray(256)
    b[0] = code
    b[1:5] = bytes.fromhex(serial)
    for first, hexdata in (fields or {}).items():
        data = bytes.fromhex(hexdata)
        b[first - 1 : first - 1 + len(data)] = data
    return bytes(b)


def mm(code: int, header: str, data: str = "", tag: int = 0) -> bytes:
    """A mass-memory block: octets 006-007 = header (block number, 0x10 = last), data from 008;
    ``tag`` in octet 256 tells blocks apart in the assertions."""
    return body(code, {6: header, 8: data, 256: f"{tag:02X}"})


# ---------------------------------------------------------------- parameters, every field

PARAM_FIELDS = {
    6: "123456 080324",  # current time 12:34:56 08/03/24
    12: "06",  # day of week: 6 = Friday
    13: "123000 080324",  # end of the last interval 12:30:00 08/03/24
    19: "000000 010324",  # last demand reset 00:00:00 01/03/24
    25: "000000 010224",  # penultimate demand reset 00:00:00 01/02/24
    51: "1800 9900 9900 9900",  # ponta: 18:00, then three unused slots
    59: "2100 0630 9900 9900",  # fora ponta: 21:00, 06:30
    67: "0015 0145 2359 9900",  # reservado: 00:15, 01:45, 23:59
    75: "012345",  # words, current period: 12345
    78: "026784",  # words, previous period: 26784
    81: "42 15 05",  # 42 demand resets; demand interval 15 min now, 5 min before
    84: "010124 000000 251224",  # holidays 1 and 3 (slot 2 empty)
    126: "311299",  # holiday 15 (octets 084 + 14 x 3 = 126-128): 31/12/99
    129: "000003 010000",  # ch1 constant 3 / 10000
    135: "000001 000100",  # ch2 constant 1 / 100
    141: "012345 678901",  # ch3 constant 12345 / 678901
    147: "A5",  # battery octet, kept raw: 0xA5 = 165
    148: "0123",  # software version "0123"
    153: "4567",  # model "4567"
    156: "01 29 01",  # automatic demand reset on, on day 29 (BCD 29: low digit 9); DST on
    159: "03 11 16 02",  # DST: winter ends 3/11, summer ends 16/02
    196: "01 10 11",  # channels: kWh delivered, kvarh inductive, kvarh capacitive
    199: "52 3C",  # PF composition 52 (BCD); time base raw 0x3C = 60
    204: "05 30 50",  # mass-memory interval 5 min 30 s 50 cs
    213: "07",  # tariff type, raw
    214: "0015 0100",  # reactive intervals 15 and 100 min (4-digit BCD)
    218: "92 93",  # reference PF 0.92 / 0.93 (BCD 92: high digit 9)
    238: "04",  # 4 tariff segments
    247: "02",  # 2 channel groups
}

PARAMS = Parameters(
    code=0x21,
    meter_serial="32600760",
    current_time=datetime(2024, 3, 8, 12, 34, 56),
    day_of_week=6,
    last_interval_end=datetime(2024, 3, 8, 12, 30),
    last_demand_reset=datetime(2024, 3, 1),
    penultimate_demand_reset=datetime(2024, 2, 1),
    ponta_start=(time(18), None, None, None),
    fora_ponta_start=(time(21), time(6, 30), None, None),
    reservado_start=(time(0, 15), time(1, 45), time(23, 59), None),
    words_current=12345,
    words_previous=26784,
    demand_reset_count=42,
    demand_interval_current=15,
    demand_interval_previous=5,
    holidays=(date(2024, 1, 1), None, date(2024, 12, 25)) + (None,) * 11 + (date(2099, 12, 31),),
    constants=(ChannelConstant(3, 10000), ChannelConstant(1, 100), ChannelConstant(12345, 678901)),
    battery=0xA5,
    software_version="0123",
    model="4567",
    auto_demand_reset=True,
    auto_demand_reset_day=29,
    dst_enabled=True,
    dst_winter_end=(3, 11),
    dst_summer_end=(16, 2),
    quantity_codes=(1, 10, 11),
    pf_composition=52,
    time_base=60,
    mm_interval_min=5,
    mm_interval_s=30,
    mm_interval_cs=50,
    tariff_type=7,
    reactive_intervals=(15, 100),
    pf_reference=(92, 93),
    tariff_segments=4,
    channel_groups=2,
)


# ---------------------------------------------------------------- group 0, for the client

# Parameter block of group 0 for the client's arithmetic (notes §3.2), every value chosen by
# hand:
#   current time 12:00:00 08/03/24; last demand reset 00:00:00 08/03/24 (the current period
#   opens there); penultimate reset 00:00:00 01/03/24; 6 words now, 3 before;
#   constants 3/10000 (ch1), 1/10 (ch2), 1/100 (ch3); channels 01 kWh, 17 V.h A, 20 A.h A;
#   interval 05:00.00; 1 channel group.
GROUP0_FIELDS = {
    6: "120000 080324",
    19: "000000 080324",
    25: "000000 010324",
    75: "000006 000003",
    129: "000003 010000 000001 000010 000001 000100",
    196: "01 17 20",
    204: "05 00 00",
    247: "01",
}
# Words, first word's high nibble first in the middle octet (hi-first/bin):
#   23 14 56 -> 0x123 = 291, 0x456 = 1110; 00 0F FF -> 0, 0xFFF = 4095; 52 00 00 -> 82, 0
GROUP0_MM_DATA = "231456 000FFF 520000"
