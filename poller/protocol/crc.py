"""CRC-16 variants used by ABNT NBR 14522.

* CRC-16/ARC (poly 0x8005 reflected = 0xA001, init 0x0000, no final XOR): every ordinary
  command and response frame. Check value over ASCII "123456789" = 0xBB3D.
* CRC-16/MODBUS (same polynomial, init 0xFFFF): the Landis+Gyr "01 99" TCP wrapper.
  Check value 0x4B37.

Both are sent low byte first. Table-driven: one 256-entry table serves both, since they differ
only in the initial value.
"""

from __future__ import annotations

ARC_CHECK = 0xBB3D
MODBUS_CHECK = 0x4B37


def _make_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_TABLE = _make_table()


def _crc16(data: bytes | bytearray | memoryview, crc: int) -> int:
    table = _TABLE
    for byte in data:
        crc = (crc >> 8) ^ table[(crc ^ byte) & 0xFF]
    return crc


def crc16_arc(data: bytes | bytearray | memoryview) -> int:
    """CRC-16/ARC of ``data`` (the ABNT frame CRC)."""
    return _crc16(data, 0x0000)


def crc16_modbus(data: bytes | bytearray | memoryview) -> int:
    """CRC-16/MODBUS of ``data`` (the "01 99" wrapper CRC)."""
    return _crc16(data, 0xFFFF)


def crc_bytes(crc: int) -> bytes:
    """The two wire octets of a CRC value: low byte first."""
    return bytes((crc & 0xFF, crc >> 8))


def crc_from_wire(two: bytes | bytearray | memoryview) -> int:
    """Inverse of :func:`crc_bytes`."""
    return two[0] | (two[1] << 8)
