"""The emulator's own byte code: A-XDR encoding, request parsing, COSEM date-times, the HDLC
frame builder and its FCS (bit by bit, unlike the client's table-driven CRC)."""

from __future__ import annotations

import struct
from datetime import datetime
from typing import Any


def length(n: int) -> bytes:
    if n < 128:
        return bytes([n])
    if n < 256:
        return bytes([0x81, n])
    return bytes([0x82, n >> 8, n & 0xFF])


def null() -> bytes:
    return b"\x00"


def array(items: list[bytes]) -> bytes:
    return b"\x01" + length(len(items)) + b"".join(items)


def struct_(*items: bytes) -> bytes:
    return b"\x02" + length(len(items)) + b"".join(items)


def boolean(v: bool) -> bytes:
    return b"\x03" + (b"\xff" if v else b"\x00")


def i32(v: int) -> bytes:
    return b"\x05" + struct.pack(">i", v)


def u32(v: int) -> bytes:
    return b"\x06" + struct.pack(">I", v)


def octets(b: bytes) -> bytes:
    return b"\x09" + length(len(b)) + b


def i8(v: int) -> bytes:
    return b"\x0f" + struct.pack(">b", v)


def i16(v: int) -> bytes:
    return b"\x10" + struct.pack(">h", v)


def u8(v: int) -> bytes:
    return b"\x11" + bytes([v])


def u16(v: int) -> bytes:
    return b"\x12" + struct.pack(">H", v)


def i64(v: int) -> bytes:
    return b"\x14" + struct.pack(">q", v)


def enum(v: int) -> bytes:
    return b"\x16" + bytes([v])


def obis(text: str) -> bytes:
    return bytes(int(x) for x in text.split("."))


def date_time(local: datetime, status: int = 0, hundredths: int | None = None) -> bytes:
    """12 octets: the meter's local wall time, deviation unspecified (0x8000)."""
    h = local.microsecond // 10000 if hundredths is None else hundredths
    return bytes(
        [
            local.year >> 8,
            local.year & 0xFF,
            local.month,
            local.day,
            local.isoweekday(),
            local.hour,
            local.minute,
            local.second,
            h,
            0x80,
            0x00,
            status,
        ]
    )


def read_date_time(raw: bytes) -> datetime:
    year = raw[0] * 256 + raw[1]
    return datetime(year, raw[2], raw[3], raw[5], raw[6], 0 if raw[7] == 0xFF else raw[7])


def read_length(buf: bytes, pos: int) -> tuple[int, int]:
    if buf[pos] < 128:
        return buf[pos], pos + 1
    k = buf[pos] - 128
    return int.from_bytes(buf[pos + 1 : pos + 1 + k], "big"), pos + 1 + k


def read(buf: bytes, pos: int = 0) -> tuple[Any, int]:
    """The subset of A-XDR the emulator receives (selective access, a clock time, a shift)."""
    tag = buf[pos]
    pos += 1
    if tag == 0:
        return None, pos
    if tag in (1, 2):
        n, pos = read_length(buf, pos)
        out = []
        for _ in range(n):
            v, pos = read(buf, pos)
            out.append(v)
        return out, pos
    if tag == 9:
        n, pos = read_length(buf, pos)
        return bytes(buf[pos : pos + n]), pos + n
    sizes = {5: ">i", 6: ">I", 15: ">b", 16: ">h", 17: ">B", 18: ">H", 22: ">B", 20: ">q"}
    if tag in sizes:
        fmt = sizes[tag]
        return struct.unpack_from(fmt, buf, pos)[0], pos + struct.calcsize(fmt)
    raise ValueError(f"emulator cannot read A-XDR tag {tag}")


def fcs(data: bytes) -> int:
    """CRC-16/X.25, one bit at a time."""
    crc = 0xFFFF
    for byte in data:
        for bit in range(8):
            mix = (crc ^ (byte >> bit)) & 1
            crc >>= 1
            if mix:
                crc ^= 0x8408
    return crc ^ 0xFFFF


def hdlc_frame(
    dest: bytes, src: bytes, control: int, info: bytes = b"", segmented: bool = False
) -> bytes:
    n = 2 + len(dest) + len(src) + 1 + 2 + (len(info) + 2 if info else 0)
    head = bytes([0xA0 | (0x08 if segmented else 0) | (n >> 8), n & 0xFF]) + dest + src
    head += bytes([control])
    body = head
    if info:
        h = fcs(head)
        body = head + bytes([h & 0xFF, h >> 8]) + info
    f = fcs(body)
    return b"\x7e" + body + bytes([f & 0xFF, f >> 8]) + b"\x7e"


def hdlc_address(value: int, lower: int | None = None) -> bytes:
    if lower is None:
        return (
            bytes([(value << 1) | 1])
            if value < 128
            else bytes([(value >> 7) << 1, ((value & 127) << 1) | 1])
        )
    if value < 128 and lower < 128:
        return bytes([value << 1, (lower << 1) | 1])
    return bytes(
        [(value >> 7) << 1, (value & 127) << 1, (lower >> 7) << 1, ((lower & 127) << 1) | 1]
    )
