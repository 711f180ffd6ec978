"""Request parameters (octets 005-064 of a command): encoders and the decoders the emulator uses.

Every request is a small frozen dataclass with ``CODE``, ``params()`` and ``from_params()``.
Write layouts are [C] for 0x29/0x30/0x32 (two sources with CRC-checked frames), [S] for the
others.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from typing import ClassVar, Protocol

from ..bcd import (
    bcd_byte,
    day_of_week,
    decode_date,
    decode_hhmm,
    encode_date,
    encode_hhmm,
    from_bcd,
    from_bcd_byte,
    to_bcd,
)
from ..errors import DecodeError
from .params import ChannelConstant


class Request(Protocol):
    CODE: ClassVar[int]

    def params(self) -> bytes: ...


@dataclass(frozen=True, slots=True)
class ReadParameters:
    """0x20 (with demand reset), 0x21 (current), 0x22 (previous), 0x51 (with mass memory);
    octet 006 = channel group (BCD: 0 = channels 1-3, 1 = channels 4-6 ...)."""

    code: int = 0x21
    group: int = 0
    CODE: ClassVar[int] = 0x21

    def params(self) -> bytes:
        return bytes((0x00, bcd_byte(self.group)))

    @classmethod
    def from_params(cls, code: int, params: bytes) -> ReadParameters:
        return cls(code, from_bcd_byte(params[1]))


@dataclass(frozen=True, slots=True)
class ReadOutages:
    """0x25: octet 005 = 1 current period, 0 previous period [S]."""

    current: bool = True
    CODE: ClassVar[int] = 0x25

    def params(self) -> bytes:
        return bytes((1 if self.current else 0,))

    @classmethod
    def from_params(cls, params: bytes) -> ReadOutages:
        return cls(params[0] == 1)


@dataclass(frozen=True, slots=True)
class SetDate:
    """0x29: DD MM YY + day of week (1 = Sunday)."""

    day: date
    CODE: ClassVar[int] = 0x29

    def params(self) -> bytes:
        return encode_date(self.day) + bytes((day_of_week(self.day),))

    @classmethod
    def from_params(cls, params: bytes) -> SetDate:
        d = decode_date(params[:3])
        if d is None:
            raise DecodeError("0x29: empty date")
        if params[3] != day_of_week(d):
            raise DecodeError(f"0x29: day of week {params[3]} does not match {d.isoformat()}")
        return cls(d)


@dataclass(frozen=True, slots=True)
class SetTime:
    """0x30: hh mm ss."""

    at: time
    CODE: ClassVar[int] = 0x30

    def params(self) -> bytes:
        return bytes(bcd_byte(v) for v in (self.at.hour, self.at.minute, self.at.second))

    @classmethod
    def from_params(cls, params: bytes) -> SetTime:
        hh, mm, ss = (from_bcd_byte(b) for b in params[:3])
        try:
            return cls(time(hh, mm, ss))
        except ValueError as exc:
            raise DecodeError(f"0x30: {exc}") from None


@dataclass(frozen=True, slots=True)
class SetDemandInterval:
    """0x31: octet 005 = minutes BCD [S]."""

    minutes: int
    CODE: ClassVar[int] = 0x31

    def params(self) -> bytes:
        return bytes((bcd_byte(self.minutes),))

    @classmethod
    def from_params(cls, params: bytes) -> SetDemandInterval:
        return cls(from_bcd_byte(params[0]))


@dataclass(frozen=True, slots=True)
class SetHolidays:
    """0x32: 15 × DD MM YY; unused slots are sent as zeros."""

    holidays: tuple[date | None, ...]
    CODE: ClassVar[int] = 0x32

    def params(self) -> bytes:
        if len(self.holidays) > 15:
            raise ValueError("at most 15 holidays")
        padded = tuple(self.holidays) + (None,) * (15 - len(self.holidays))
        return b"".join(encode_date(d) for d in padded)

    @classmethod
    def from_params(cls, params: bytes) -> SetHolidays:
        return cls(tuple(decode_date(params[3 * i : 3 * i + 3]) for i in range(15)))


@dataclass(frozen=True, slots=True)
class SetConstants:
    """0x33: 3 × (numerator 3 BCD + denominator 3 BCD) [S]."""

    constants: tuple[ChannelConstant, ...]
    CODE: ClassVar[int] = 0x33

    def params(self) -> bytes:
        return b"".join(to_bcd(c.numerator, 3) + to_bcd(c.denominator, 3) for c in self.constants)

    @classmethod
    def from_params(cls, params: bytes) -> SetConstants:
        return cls(
            tuple(
                ChannelConstant(
                    from_bcd(params[6 * i : 6 * i + 3]), from_bcd(params[6 * i + 3 : 6 * i + 6])
                )
                for i in range(3)
            )
        )


Segments = tuple[time | None, ...]


@dataclass(frozen=True, slots=True)
class SetSegments:
    """0x35: 4 groups (ponta, fora de ponta, reservado, 4th [intermediário?]) × 4 × hh mm in
    octets 005-036, octet 037 = number of segments [S]. ``None`` = "99 00" (unused)."""

    ponta: Segments
    fora_ponta: Segments
    reservado: Segments = (None, None, None, None)
    fourth: Segments = (None, None, None, None)
    count: int = 0
    CODE: ClassVar[int] = 0x35

    def params(self) -> bytes:
        out = b""
        for group in (self.ponta, self.fora_ponta, self.reservado, self.fourth):
            if len(group) != 4:
                raise ValueError("each tariff-post group has 4 segment starts")
            out += b"".join(encode_hhmm(t) for t in group)
        return out + bytes((bcd_byte(self.count),))

    @classmethod
    def from_params(cls, params: bytes) -> SetSegments:
        groups = [
            tuple(decode_hhmm(params[8 * g + 2 * i : 8 * g + 2 * i + 2]) for i in range(4))
            for g in range(4)
        ]
        return cls(groups[0], groups[1], groups[2], groups[3], from_bcd_byte(params[32]))


@dataclass(frozen=True, slots=True)
class SetDaylightSaving:
    """0x64: octet 005 enable, 006-007 day/month end of winter time, 008-009 end of summer
    time [S]."""

    enabled: bool
    winter_end: tuple[int, int] = (0, 0)  # (day, month)
    summer_end: tuple[int, int] = (0, 0)
    CODE: ClassVar[int] = 0x64

    def params(self) -> bytes:
        return bytes(
            (int(self.enabled), *(bcd_byte(v) for v in (*self.winter_end, *self.summer_end)))
        )

    @classmethod
    def from_params(cls, params: bytes) -> SetDaylightSaving:
        d = [from_bcd_byte(b) for b in params[1:5]]
        return cls(params[0] == 1, (d[0], d[1]), (d[2], d[3]))
