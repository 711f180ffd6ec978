"""BCD and date/time field helpers (NBR 14522 §2.3).

Dates and times are BCD ``hh mm ss DD MM YY`` with a two-digit year (20YY assumed), clock times
``hh mm``. Meters leave unused timestamps as all zeros or all 0xFF: those decode to ``None``.
"""

from __future__ import annotations

from datetime import date, datetime, time

from .errors import DecodeError


def bcd_byte(value: int) -> int:
    """Encode 0..99 as one BCD octet."""
    if not 0 <= value <= 99:
        raise ValueError(f"BCD octet out of range: {value}")
    return ((value // 10) << 4) | (value % 10)


def from_bcd_byte(octet: int) -> int:
    """Decode one BCD octet; raise DecodeError on a nibble above 9."""
    hi, lo = octet >> 4, octet & 0x0F
    if hi > 9 or lo > 9:
        raise DecodeError(f"invalid BCD octet 0x{octet:02X}")
    return hi * 10 + lo


def to_bcd(value: int, width: int) -> bytes:
    """Encode a non-negative integer as ``width`` BCD octets, most significant first."""
    if value < 0 or value >= 10 ** (2 * width):
        raise ValueError(f"{value} does not fit in {width} BCD octets")
    digits = f"{value:0{2 * width}d}"
    return bytes(int(digits[i : i + 2], 16) for i in range(0, 2 * width, 2))


def from_bcd(data: bytes | bytearray | memoryview) -> int:
    """Decode BCD octets (most significant first) to an integer."""
    value = 0
    for octet in data:
        value = value * 100 + from_bcd_byte(octet)
    return value


def bcd_digits(data: bytes | bytearray | memoryview) -> str:
    """BCD octets as a digit string, keeping leading zeros (serials, model, version)."""
    from_bcd(data)  # validates
    return bytes(data).hex()


def digits_to_bcd(digits: str, width: int) -> bytes:
    """A digit string (e.g. a meter serial) as ``width`` BCD octets."""
    if not digits.isdigit() or len(digits) > 2 * width:
        raise ValueError(f"not a {2 * width}-digit number: {digits!r}")
    return to_bcd(int(digits), width)


def _is_blank(data: bytes | bytearray | memoryview) -> bool:
    return all(b == 0 for b in data) or all(b == 0xFF for b in data)


def encode_datetime(dt: datetime | None) -> bytes:
    """``hh mm ss DD MM YY``; ``None`` encodes as six zero octets."""
    if dt is None:
        return bytes(6)
    return bytes(
        bcd_byte(v) for v in (dt.hour, dt.minute, dt.second, dt.day, dt.month, dt.year % 100)
    )


def decode_datetime(data: bytes | bytearray | memoryview) -> datetime | None:
    """Naive meter-local datetime from ``hh mm ss DD MM YY``; ``None`` if blank."""
    if _is_blank(data):
        return None
    hh, mm, ss, dd, mo, yy = (from_bcd_byte(b) for b in data[:6])
    try:
        return datetime(2000 + yy, mo, dd, hh, mm, ss)
    except ValueError as exc:
        raise DecodeError(f"invalid timestamp {bytes(data[:6]).hex(' ')}: {exc}") from None


def encode_date(d: date | None) -> bytes:
    """``DD MM YY``; ``None`` as zeros."""
    if d is None:
        return bytes(3)
    return bytes(bcd_byte(v) for v in (d.day, d.month, d.year % 100))


def decode_date(data: bytes | bytearray | memoryview) -> date | None:
    if _is_blank(data):
        return None
    dd, mo, yy = (from_bcd_byte(b) for b in data[:3])
    try:
        return date(2000 + yy, mo, dd)
    except ValueError as exc:
        raise DecodeError(f"invalid date {bytes(data[:3]).hex(' ')}: {exc}") from None


DISABLED_HOUR = 0x99  # "99 00" = tariff segment not used


def encode_hhmm(t: time | None) -> bytes:
    """``hh mm``; ``None`` (segment disabled) as ``99 00``."""
    if t is None:
        return bytes((DISABLED_HOUR, 0))
    return bytes((bcd_byte(t.hour), bcd_byte(t.minute)))


def decode_hhmm(data: bytes | bytearray | memoryview) -> time | None:
    if data[0] in (DISABLED_HOUR, 0xFF):
        return None
    hh, mm = from_bcd_byte(data[0]), from_bcd_byte(data[1])
    if hh > 23 or mm > 59:
        raise DecodeError(f"invalid clock time {bytes(data[:2]).hex(' ')}")
    return time(hh, mm)


def day_of_week(d: date) -> int:
    """NBR 14522 day of week: 1 = Sunday ... 7 = Saturday."""
    return (d.isoweekday() % 7) + 1
