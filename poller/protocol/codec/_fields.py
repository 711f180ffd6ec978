"""Octet-addressed access to a 256-octet response body (octet 001 = index 0)."""

from __future__ import annotations

from ..errors import DecodeError
from ..framing import RESPONSE_BODY_LEN


def span(body: bytes, first: int, last: int) -> bytes:
    """Octets ``first``..``last`` inclusive, in the standard's 1-based numbering."""
    return body[first - 1 : last]


def require_body(body: bytes, codes: tuple[int, ...]) -> None:
    """Check the body length and response code before decoding."""
    if len(body) != RESPONSE_BODY_LEN:
        raise DecodeError(f"response body must be {RESPONSE_BODY_LEN} octets, got {len(body)}")
    if body[0] not in codes:
        want = "/".join(f"0x{c:02X}" for c in codes)
        raise DecodeError(f"expected a {want} response, got code 0x{body[0]:02X}")


class BodyWriter:
    """Builds a response body by octet numbers; unwritten octets stay 0x00."""

    def __init__(self, code: int, meter_serial: str) -> None:
        from ..bcd import digits_to_bcd

        self.buf = bytearray(RESPONSE_BODY_LEN)
        self.buf[0] = code
        self.buf[1:5] = digits_to_bcd(meter_serial, 4)

    def put(self, first: int, data: bytes) -> None:
        self.buf[first - 1 : first - 1 + len(data)] = data

    def bytes(self) -> bytes:
        return bytes(self.buf)
