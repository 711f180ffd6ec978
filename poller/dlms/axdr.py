"""A-XDR data (IEC 62056-6-2 "Data" CHOICE) and COSEM date-time / OBIS helpers.

Encoding of one value: a tag octet, then the value. Variable-length items (array, structure,
octet-string, visible-string, bit-string) carry an A-XDR length: one octet below 0x80, else
0x80 | n followed by n octets, big-endian. Integers are big-endian, two's complement when signed.

Decoded Python values: null-data → None; boolean → bool; every integer type and enum → int;
octet-string → bytes; visible-string / utf8-string → str; array → list; structure → tuple;
bit-string → BitString; float32/64 → float; date-time/date/time (tags 25-27) → bytes (the raw
octets; :func:`parse_datetime` reads a 12-octet date-time).

COSEM date-time (12 octets): year (2, 0xFFFF = unspecified), month, day, day of week (1 = Monday,
0xFF unspecified), hour, minute, second, hundredths (0xFF unspecified), deviation (int16, minutes;
0x8000 = unspecified), clock status (bit 7 = daylight saving active). The sign of the deviation
differs between editions and meters (local − UTC, or UTC − local): we never rely on it; meter
times are read as local time at the meter's registered UTC offset (the deviation is kept raw).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from .errors import DlmsDecodeError

NULL, ARRAY, STRUCTURE, BOOLEAN, BIT_STRING = 0, 1, 2, 3, 4
DOUBLE_LONG, DOUBLE_LONG_UNSIGNED, OCTET_STRING, VISIBLE_STRING, UTF8_STRING = 5, 6, 9, 10, 12
BCD, INTEGER, LONG, UNSIGNED, LONG_UNSIGNED = 13, 15, 16, 17, 18
COMPACT_ARRAY, LONG64, LONG64_UNSIGNED, ENUM, FLOAT32, FLOAT64 = 19, 20, 21, 22, 23, 24
DATE_TIME, DATE, TIME = 25, 26, 27

_FIXED_INT = {
    DOUBLE_LONG: ">i",
    DOUBLE_LONG_UNSIGNED: ">I",
    INTEGER: ">b",
    LONG: ">h",
    UNSIGNED: ">B",
    LONG_UNSIGNED: ">H",
    LONG64: ">q",
    LONG64_UNSIGNED: ">Q",
    ENUM: ">B",
    BCD: ">b",
}
_FIXED_OCTETS = {DATE_TIME: 12, DATE: 5, TIME: 4}


@dataclass(frozen=True, slots=True)
class BitString:
    data: bytes
    bits: int


# --- lengths ---------------------------------------------------------------------------------
def encode_length(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(raw),)) + raw


def decode_length(buf: bytes, pos: int) -> tuple[int, int]:
    """(length, position after it). Raises DlmsDecodeError when ``buf`` ends first."""
    if pos >= len(buf):
        raise DlmsDecodeError("A-XDR length missing (data ends)")
    first = buf[pos]
    if first < 0x80:
        return first, pos + 1
    k = first & 0x7F
    if k == 0 or k > 4 or pos + 1 + k > len(buf):
        raise DlmsDecodeError(f"bad A-XDR length octet 0x{first:02X} at {pos}")
    return int.from_bytes(buf[pos + 1 : pos + 1 + k], "big"), pos + 1 + k


# --- decoding --------------------------------------------------------------------------------
def decode(buf: bytes, pos: int = 0) -> tuple[Any, int]:
    """One Data value at ``pos``: (value, position after it). Raises DlmsDecodeError."""
    if pos >= len(buf):
        raise DlmsDecodeError("A-XDR data ends before a value")
    tag = buf[pos]
    pos += 1
    if tag == NULL:
        return None, pos
    if tag in (ARRAY, STRUCTURE):
        n, pos = decode_length(buf, pos)
        items = []
        for _ in range(n):
            item, pos = decode(buf, pos)
            items.append(item)
        return (items if tag == ARRAY else tuple(items)), pos
    if tag == BOOLEAN:
        _need(buf, pos, 1, tag)
        return buf[pos] != 0, pos + 1
    if tag == BIT_STRING:
        bits, pos = decode_length(buf, pos)
        n = (bits + 7) // 8
        _need(buf, pos, n, tag)
        return BitString(bytes(buf[pos : pos + n]), bits), pos + n
    if tag in (OCTET_STRING, VISIBLE_STRING, UTF8_STRING):
        n, pos = decode_length(buf, pos)
        _need(buf, pos, n, tag)
        raw = bytes(buf[pos : pos + n])
        if tag == OCTET_STRING:
            return raw, pos + n
        try:
            return raw.decode("utf-8" if tag == UTF8_STRING else "latin-1"), pos + n
        except UnicodeDecodeError as exc:
            raise DlmsDecodeError(f"bad UTF-8 string: {exc}") from None
    if tag in _FIXED_INT:
        fmt = _FIXED_INT[tag]
        size = struct.calcsize(fmt)
        _need(buf, pos, size, tag)
        return struct.unpack_from(fmt, buf, pos)[0], pos + size
    if tag in (FLOAT32, FLOAT64):
        fmt = ">f" if tag == FLOAT32 else ">d"
        size = struct.calcsize(fmt)
        _need(buf, pos, size, tag)
        return struct.unpack_from(fmt, buf, pos)[0], pos + size
    if tag in _FIXED_OCTETS:
        size = _FIXED_OCTETS[tag]
        _need(buf, pos, size, tag)
        return bytes(buf[pos : pos + size]), pos + size
    raise DlmsDecodeError(f"unsupported A-XDR tag {tag} at {pos - 1}")


def decode_all(buf: bytes) -> Any:
    """Exactly one value filling ``buf``."""
    value, end = decode(buf, 0)
    if end != len(buf):
        raise DlmsDecodeError(f"{len(buf) - end} octet(s) after the A-XDR value")
    return value


def _need(buf: bytes, pos: int, n: int, tag: int) -> None:
    if pos + n > len(buf):
        raise DlmsDecodeError(f"A-XDR value of tag {tag} needs {n} octet(s), data ends")


# --- encoding (what the client sends: selective access, a new clock time) --------------------
def enc_octets(data: bytes) -> bytes:
    return bytes((OCTET_STRING,)) + encode_length(len(data)) + data


def enc_structure(*items: bytes) -> bytes:
    return bytes((STRUCTURE,)) + encode_length(len(items)) + b"".join(items)


def enc_array(*items: bytes) -> bytes:
    return bytes((ARRAY,)) + encode_length(len(items)) + b"".join(items)


def enc_u16(v: int) -> bytes:
    return bytes((LONG_UNSIGNED,)) + struct.pack(">H", v)


def enc_i8(v: int) -> bytes:
    return bytes((INTEGER,)) + struct.pack(">b", v)


def enc_i16(v: int) -> bytes:
    return bytes((LONG,)) + struct.pack(">h", v)


def enc_i32(v: int) -> bytes:
    return bytes((DOUBLE_LONG,)) + struct.pack(">i", v)


# --- OBIS ------------------------------------------------------------------------------------
def obis_bytes(text: str) -> bytes:
    """'1.0.99.1.0.255' → 6 octets. Raises ValueError on a malformed code."""
    parts = text.replace(":", ".").replace("-", ".").replace("*", ".").split(".")
    if len(parts) != 6 or not all(p.isdigit() and int(p) < 256 for p in parts):
        raise ValueError(f"bad OBIS code {text!r}: six numbers 0-255 (e.g. 1.0.99.1.0.255)")
    return bytes(int(p) for p in parts)


def obis_text(raw: bytes) -> str:
    if len(raw) != 6:
        raise DlmsDecodeError(f"logical name of {len(raw)} octets (6 expected)")
    return ".".join(str(b) for b in raw)


# --- COSEM date-time -------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class CosemDateTime:
    """A decoded 12-octet date-time: the meter's local wall time (naive), its raw deviation and
    clock status."""

    local: datetime | None  # None when a field is unspecified
    deviation: int | None  # minutes, as sent (sign convention unknown); None = unspecified
    status: int | None  # clock status octet; None = 0xFF unspecified

    @property
    def dst(self) -> bool:
        return self.status is not None and bool(self.status & 0x80)


def parse_datetime(raw: bytes) -> CosemDateTime:
    """Read a 12-octet COSEM date-time. Raises DlmsDecodeError on a malformed one."""
    if len(raw) != 12:
        raise DlmsDecodeError(f"date-time of {len(raw)} octets (12 expected)")
    year = int.from_bytes(raw[0:2], "big")
    month, day, _dow, hour, minute, second, hundredths = raw[2:9]
    deviation = int.from_bytes(raw[9:11], "big", signed=True)
    status = raw[11]
    local: datetime | None = None
    if year != 0xFFFF and month <= 12 and day <= 31 and hour != 0xFF and minute != 0xFF:
        try:
            local = datetime(
                year,
                month,
                day,
                hour,
                minute,
                0 if second == 0xFF else second,
                0 if hundredths == 0xFF else hundredths * 10_000,
            )
        except ValueError as exc:
            raise DlmsDecodeError(f"impossible date-time {raw.hex()}: {exc}") from None
    return CosemDateTime(
        local, None if deviation == -0x8000 else deviation, None if status == 0xFF else status
    )


def format_datetime(local: datetime, deviation: int | None = None, status: int = 0) -> bytes:
    """12 octets for a local wall time (naive or aware: its wall fields are used); day of week
    1 = Monday; hundredths from the microseconds; deviation None → 0x8000 (unspecified)."""
    dev = -0x8000 if deviation is None else deviation
    return (
        local.year.to_bytes(2, "big")
        + bytes(
            (
                local.month,
                local.day,
                local.isoweekday(),
                local.hour,
                local.minute,
                local.second,
                local.microsecond // 10_000,
            )
        )
        + dev.to_bytes(2, "big", signed=True)
        + bytes((status,))
    )


def local_to_utc(local: datetime, utc_offset: timedelta) -> datetime:
    """A meter's naive local wall time at a fixed offset → aware UTC."""
    return (local - utc_offset).replace(tzinfo=UTC)


def utc_to_local(utc: datetime, utc_offset: timedelta) -> datetime:
    return (utc.astimezone(UTC) + utc_offset).replace(tzinfo=None)
