"""The IEC 62056-47 TCP/UDP wrapper, pure: no I/O.

WPDU::

    version (2) = 0x0001 | source wPort (2) | destination wPort (2) | length (2) | APDU

The client's wPort is its SAP (16 = public client), the server's its logical device (1 =
management). There is no checksum (TCP has one); a header whose version is not 1 means the
stream lost its framing, which only a reconnect repairs.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import DlmsDecodeError

VERSION = 1
HEADER = 8


def encode_wpdu(source: int, dest: int, apdu: bytes) -> bytes:
    if len(apdu) > 0xFFFF:
        raise ValueError(f"APDU of {len(apdu)} octets does not fit a wrapper frame")
    return (
        VERSION.to_bytes(2, "big")
        + source.to_bytes(2, "big")
        + dest.to_bytes(2, "big")
        + len(apdu).to_bytes(2, "big")
        + apdu
    )


@dataclass(frozen=True, slots=True)
class Wpdu:
    source: int
    dest: int
    apdu: bytes


class WrapperDeframer:
    def __init__(self) -> None:
        self.buf = bytearray()

    def feed(self, data: bytes) -> None:
        self.buf += data

    @property
    def pending(self) -> bool:
        return bool(self.buf)

    def next(self) -> Wpdu | None:
        """The next complete WPDU, or None. Raises DlmsDecodeError on a bad version."""
        if len(self.buf) < HEADER:
            return None
        version = int.from_bytes(self.buf[0:2], "big")
        if version != VERSION:
            head = bytes(self.buf[:HEADER]).hex()
            self.buf.clear()
            raise DlmsDecodeError(f"wrapper header {head}: version {version}, 1 expected")
        n = int.from_bytes(self.buf[6:8], "big")
        if len(self.buf) < HEADER + n:
            return None
        w = Wpdu(
            int.from_bytes(self.buf[2:4], "big"),
            int.from_bytes(self.buf[4:6], "big"),
            bytes(self.buf[HEADER : HEADER + n]),
        )
        del self.buf[: HEADER + n]
        return w
