"""0x20 / 0x21 / 0x22 / 0x51 response: "leitura de parâmetros" (NBR 14522 §3.2 of the notes).

Layout [C] on two real frames for the fields decoded here; octets not listed are kept only in
``raw``. Timestamps are naive meter-local time (see :mod:`poller.protocol.timebase`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from fractions import Fraction

from ..bcd import (
    bcd_byte,
    bcd_digits,
    decode_date,
    decode_datetime,
    decode_hhmm,
    digits_to_bcd,
    encode_date,
    encode_datetime,
    encode_hhmm,
    from_bcd,
    from_bcd_byte,
    to_bcd,
)
from ._fields import BodyWriter, require_body, span

PARAMETER_CODES = (0x20, 0x21, 0x22, 0x51)


@dataclass(frozen=True, slots=True)
class ChannelConstant:
    """Multiplication constant of a channel: engineering units per pulse = num / den."""

    numerator: int
    denominator: int

    @property
    def value(self) -> Fraction:
        if self.denominator == 0:
            return Fraction(0)
        return Fraction(self.numerator, self.denominator)


@dataclass(frozen=True, slots=True)
class Parameters:
    code: int
    meter_serial: str
    current_time: datetime | None  # 006-011
    day_of_week: int  # 012, 1 = Sunday
    last_interval_end: datetime | None  # 013-018
    last_demand_reset: datetime | None  # 019-024
    penultimate_demand_reset: datetime | None  # 025-030
    ponta_start: tuple[time | None, ...]  # 051-058, None = "99 00" (unused)
    fora_ponta_start: tuple[time | None, ...]  # 059-066
    reservado_start: tuple[time | None, ...]  # 067-074
    words_current: int  # 075-077
    words_previous: int  # 078-080
    demand_reset_count: int  # 081
    demand_interval_current: int  # 082 (min)
    demand_interval_previous: int  # 083 (min)
    holidays: tuple[date | None, ...]  # 084-128
    constants: tuple[ChannelConstant, ...]  # 129-146
    battery: int  # 147 (polarity [?])
    software_version: str  # 148-149
    model: str  # 153-154
    auto_demand_reset: bool  # 156
    auto_demand_reset_day: int  # 157
    dst_enabled: bool  # 158
    dst_winter_end: tuple[int, int]  # 159-160 (day, month): summer time starts
    dst_summer_end: tuple[int, int]  # 161-162 (day, month): summer time ends
    quantity_codes: tuple[int, ...]  # 196-198
    pf_composition: int  # 199
    time_base: int  # 200
    mm_interval_min: int  # 204
    mm_interval_s: int  # 205
    mm_interval_cs: int  # 206
    tariff_type: int  # 213
    reactive_intervals: tuple[int, int]  # 214-215, 216-217 (min)
    pf_reference: tuple[int, int]  # 218, 219 (92 = 0.92)
    tariff_segments: int  # 238
    channel_groups: int  # 247
    raw: bytes = field(default=b"", compare=False, repr=False)

    @property
    def mm_interval_seconds(self) -> float:
        return self.mm_interval_min * 60 + self.mm_interval_s + self.mm_interval_cs / 100


def _hhmm4(body: bytes, first: int) -> tuple[time | None, ...]:
    return tuple(decode_hhmm(span(body, first + 2 * i, first + 2 * i + 1)) for i in range(4))


def decode_parameters(body: bytes) -> Parameters:
    """Decode a 256-octet 0x20/0x21/0x22/0x51 response body."""
    require_body(body, PARAMETER_CODES)

    def b(octet: int) -> int:
        return body[octet - 1]

    def bcd(octet: int) -> int:
        return from_bcd_byte(body[octet - 1])

    def soft(octet: int) -> int:
        # Non-critical settings: real meters leave some as FF; keep the raw value then.
        value = body[octet - 1]
        return from_bcd_byte(value) if (value >> 4) <= 9 and (value & 0xF) <= 9 else value

    return Parameters(
        code=body[0],
        meter_serial=bcd_digits(span(body, 2, 5)),
        current_time=decode_datetime(span(body, 6, 11)),
        day_of_week=soft(12),
        last_interval_end=decode_datetime(span(body, 13, 18)),
        last_demand_reset=decode_datetime(span(body, 19, 24)),
        penultimate_demand_reset=decode_datetime(span(body, 25, 30)),
        ponta_start=_hhmm4(body, 51),
        fora_ponta_start=_hhmm4(body, 59),
        reservado_start=_hhmm4(body, 67),
        words_current=from_bcd(span(body, 75, 77)),
        words_previous=from_bcd(span(body, 78, 80)),
        demand_reset_count=soft(81),
        demand_interval_current=soft(82),
        demand_interval_previous=soft(83),
        holidays=tuple(decode_date(span(body, 84 + 3 * i, 86 + 3 * i)) for i in range(15)),
        constants=tuple(
            ChannelConstant(
                from_bcd(span(body, 129 + 6 * i, 131 + 6 * i)),
                from_bcd(span(body, 132 + 6 * i, 134 + 6 * i)),
            )
            for i in range(3)
        ),
        battery=b(147),
        software_version=bcd_digits(span(body, 148, 149)),
        model=bcd_digits(span(body, 153, 154)),
        auto_demand_reset=b(156) == 1,
        auto_demand_reset_day=soft(157),
        dst_enabled=b(158) == 1,
        dst_winter_end=(soft(159), soft(160)),
        dst_summer_end=(soft(161), soft(162)),
        quantity_codes=(bcd(196), bcd(197), bcd(198)),
        pf_composition=soft(199),
        time_base=b(200),
        mm_interval_min=bcd(204),
        mm_interval_s=bcd(205),
        mm_interval_cs=bcd(206),
        tariff_type=b(213),
        reactive_intervals=(from_bcd(span(body, 214, 215)), from_bcd(span(body, 216, 217))),
        pf_reference=(soft(218), soft(219)),
        tariff_segments=soft(238),
        channel_groups=soft(247),
        raw=bytes(body),
    )


def encode_parameters(p: Parameters) -> bytes:
    """Inverse of :func:`decode_parameters` (octets it does not decode are left 0x00)."""
    w = BodyWriter(p.code, p.meter_serial)
    w.put(6, encode_datetime(p.current_time))
    w.put(12, bytes((bcd_byte(p.day_of_week),)))
    w.put(13, encode_datetime(p.last_interval_end))
    w.put(19, encode_datetime(p.last_demand_reset))
    w.put(25, encode_datetime(p.penultimate_demand_reset))
    for first, seg in ((51, p.ponta_start), (59, p.fora_ponta_start), (67, p.reservado_start)):
        w.put(first, b"".join(encode_hhmm(t) for t in seg))
    w.put(75, to_bcd(p.words_current, 3))
    w.put(78, to_bcd(p.words_previous, 3))
    w.put(81, bytes(bcd_byte(v) for v in (p.demand_reset_count % 100, p.demand_interval_current,
                                             p.demand_interval_previous)))  # fmt: skip
    w.put(84, b"".join(encode_date(d) for d in p.holidays))
    w.put(
        129,
        b"".join(to_bcd(c.numerator, 3) + to_bcd(c.denominator, 3) for c in p.constants),
    )
    w.put(147, bytes((p.battery,)))
    w.put(148, digits_to_bcd(p.software_version, 2))
    w.put(153, digits_to_bcd(p.model, 2))
    w.put(156, bytes((int(p.auto_demand_reset), bcd_byte(p.auto_demand_reset_day),
                      int(p.dst_enabled))))  # fmt: skip
    w.put(159, bytes(bcd_byte(v) for v in (*p.dst_winter_end, *p.dst_summer_end)))
    w.put(196, bytes(bcd_byte(c) for c in p.quantity_codes))
    w.put(199, bytes((bcd_byte(p.pf_composition), p.time_base)))
    w.put(204, bytes(bcd_byte(v) for v in (p.mm_interval_min, p.mm_interval_s,
                                           p.mm_interval_cs)))  # fmt: skip
    w.put(213, bytes((p.tariff_type,)))
    w.put(214, to_bcd(p.reactive_intervals[0], 2) + to_bcd(p.reactive_intervals[1], 2))
    w.put(218, bytes(bcd_byte(v) for v in p.pf_reference))
    w.put(238, bytes((bcd_byte(p.tariff_segments),)))
    w.put(247, bytes((bcd_byte(p.channel_groups),)))
    return w.bytes()
